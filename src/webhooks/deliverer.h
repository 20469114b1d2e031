// Webhook delivery (docs/webhooks.md, issue 18): the registry of endpoints (store/webhooks_db.h)
// and one delivery thread per endpoint.
//
// An endpoint's thread walks each shard's events in seq order (Store::scan_events: durable
// events only) from its cursor, passing over the types it does not want, and POSTs each event
// (signature.h, sender.h) on a connection it keeps open (keep-alive). It does not go past an
// event until the receiver answered 2xx: events of one account (one shard) arrive in order, at
// least once. Deliveries go in groups (up to k_group_max events of one shard, or
// k_group_window): the group's attempts and the cursor after its last acknowledged event are
// written in one transaction, so a crash before that write sends the group's acknowledged
// events again, and never skips one. A failure is retried by the same thread after a backoff
// (retry_first_us doubling up to retry_max_us); when no delivery has succeeded for give_up_us
// the endpoint is disabled (disabled_at, disabled_reason; logged) until enable(), and a
// `webhook.disabled` platform event is written with that change, for the other endpoints
// (and GET /v1/platform/events). Platform events are walked like one more shard. Cursors and
// retry state are in DATA/webhooks.db: a restart carries on where it stopped. A slow or dead
// receiver holds up its own thread only; the ledger's writer only calls notify(), which takes
// two short locks.
//
// Times here are the server's wall clock (signatures are checked against the receiver's), not
// the ledger's.
//
// Thread-safe: any thread may call any method; notify() is called by the shards' writers.
#pragma once

#include <atomic>
#include <cstdint>
#include <expected>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "ledger/event.h"
#include "store/store.h"
#include "store/webhooks_db.h"

namespace tally::webhooks {

struct DelivererOptions {
  std::string db_path;  // DATA/webhooks.db (":memory:" in tests)
  // Read from the delivery threads: its scan_events must take calls from any thread
  // (SqliteStore's does).
  store::Store* store = nullptr;
  size_t shards = 0;
  // The body of an event's delivery: its JSON as GET /v1/events gives it.
  std::function<std::string(ShardId, const Event&)> render;
  int64_t timeout_us = 10 * k_us_per_second;
  int64_t retry_first_us = 5 * k_us_per_second;
  int64_t retry_max_us = k_us_per_hour;
  int64_t give_up_us = 3 * k_us_per_day;
  std::string ca_file;                          // more trusted certificates for HTTPS receivers
  std::function<TimeUs()> clock;                // the wall clock
  std::function<void(const std::string&)> log;  // one line, no newline
};

inline constexpr size_t k_webhooks_max = 100;
// A group of deliveries written in one transaction: at most this many events...
inline constexpr size_t k_group_max = 256;
// ... or the acknowledged ones of this long (so that a slow receiver's log shows promptly).
inline constexpr int64_t k_group_window_us = 100'000;
// The types of platform events (docs/events.md "Platform events"), beside the ledger's.
inline constexpr std::string_view k_platform_event_types[] = {"webhook.disabled"};
inline constexpr size_t k_platform_events_page_max = 1000;
inline constexpr size_t k_description_bytes_max = 256;
inline constexpr int64_t k_overlap_max_us = 30 * k_us_per_day;

// What the delivery threads did since the start, for GET /metrics (docs/operations.md).
struct DelivererCounters {
  uint64_t delivered = 0;    // attempts the receiver acknowledged (2xx), redeliveries too
  uint64_t failed = 0;       // the others (a status, a timeout, a refused connection...)
  uint64_t connections = 0;  // connections opened to receivers
  uint64_t writes = 0;       // transactions that recorded deliveries (a group each)
};

struct WebhookError {
  enum class Code : uint8_t { not_found, invalid, limit, store };
  Code code;
  std::string detail;
};

// What the API shows of an endpoint: its record without the secrets.
using WebhookView = store::WebhookRecord;

class Deliverer {
 public:
  // Opens the registry; start() starts the delivery threads.
  static std::expected<std::unique_ptr<Deliverer>, std::string> open(DelivererOptions options);
  ~Deliverer();  // stop()
  void start();
  // Ends the deliveries in progress (they are retried after a restart) and joins the threads.
  void stop();
  // Shard `shard` has durable events up to `seq`: wakes the threads. Quick; never blocks on I/O.
  void notify(ShardId shard, uint64_t seq);

  // A new endpoint that delivers the events durable after this call (it starts after each
  // shard's last event now). `event_types`: "*" or names separated by commas, already checked.
  // Answers the endpoint and its secret (shown once).
  std::expected<std::pair<WebhookView, std::string>, WebhookError> create(
      const std::string& url, const std::string& event_types, const std::string& description);
  std::vector<WebhookView> list() const;
  std::expected<WebhookView, WebhookError> get(const std::string& id) const;
  std::expected<WebhookView, WebhookError> remove(const std::string& id);
  // A new secret; the current one keeps signing beside it for `overlap_us`.
  std::expected<std::pair<WebhookView, std::string>, WebhookError> rotate(const std::string& id,
                                                                          int64_t overlap_us);
  // Delivers again from where it stopped (a disabled endpoint's cursor never moved).
  std::expected<WebhookView, WebhookError> enable(const std::string& id);
  std::expected<std::vector<store::DeliveryAttempt>, WebhookError> deliveries(const std::string& id,
                                                                              size_t limit) const;
  // Sends event `event_id` once more, out of turn (not_found if the store no longer has it).
  std::expected<void, WebhookError> redeliver(const std::string& id, uint64_t event_id);

  // Up to `limit` platform events after seq `after_seq` (GET /v1/platform/events), each as
  // its JSON (the body of its delivery), oldest first, with its seq.
  std::expected<std::vector<std::pair<uint64_t, std::string>>, WebhookError> platform_events(
      uint64_t after_seq, size_t limit) const;
  DelivererCounters counters() const;

  struct Endpoint;
  struct Pending;

 private:
  explicit Deliverer(DelivererOptions options);
  std::shared_ptr<Endpoint> find(const std::string& id) const;
  // Edits endpoint `id`'s record with `edit`, writes it, then wakes its thread; the record as
  // written.
  std::expected<store::WebhookRecord, WebhookError> change(
      const std::string& id, const std::function<void(store::WebhookRecord&)>& edit);
  std::shared_ptr<Endpoint> make_endpoint(store::WebhookRecord record,
                                          std::vector<uint64_t> redeliveries) const;
  void launch(const std::shared_ptr<Endpoint>& ep);
  void run(const std::shared_ptr<Endpoint>& ep);
  // One step of an endpoint's thread: a group of events of one shard (or of the platform's);
  // false when it should wait for a wake-up.
  bool deliver_next(Endpoint& ep, size_t* next_shard);
  // The events after `cursor` of shard `s` (options_.shards: the platform events), up to a
  // group; false on a read error (logged).
  bool scan(Endpoint& ep, size_t s, uint64_t cursor, std::vector<Pending>* out) const;
  // Sends the group in order until one fails; writes what came of it (save()). `stopped` if
  // the endpoint was stopped or removed meanwhile.
  enum class Outcome : uint8_t { delivered, failed, stopped };
  Outcome deliver_group(Endpoint& ep, size_t s, const std::vector<Pending>& group);
  // Writes the endpoint's cursor of `s` moved to `seq`, the `attempts` acknowledged (the
  // failures are over if any), and `failure` (the backoff, or the endpoint disabled with its
  // platform event), in one transaction. False if the endpoint was removed.
  bool save(Endpoint& ep, size_t s, uint64_t seq,
            const std::vector<store::DeliveryAttempt>& attempts,
            const store::DeliveryAttempt* failure);
  void redeliver_one(Endpoint& ep, uint64_t event_id);
  // Wakes every endpoint's thread (new events).
  void wake_all();
  store::DeliveryAttempt send(Endpoint& ep, uint64_t event_id, std::string_view type,
                              const std::string& body, bool redelivery);
  // The type and the body of event `event_id`, if still kept (ledger or platform).
  std::optional<std::pair<std::string, std::string>> find_body(uint64_t event_id) const;
  // The seq of the shard's last durable event (0: none), or the store's error.
  std::expected<uint64_t, store::StoreError> last_event_seq(ShardId shard) const;
  std::string platform_json(const store::PlatformEvent& e) const;
  void log(const std::string& line) const;

  DelivererOptions options_;
  std::unique_ptr<store::WebhooksDb> db_;
  std::mutex registry_mu_;  // create and remove, one at a time
  mutable std::mutex mu_;   // endpoints_, retired_, started_
  std::map<std::string, std::shared_ptr<Endpoint>> endpoints_;
  std::vector<std::shared_ptr<Endpoint>> retired_;  // removed; their threads end on their own
  bool started_ = false;
  std::atomic<uint64_t> delivered_{0}, failed_{0}, connections_{0}, writes_{0};
};

}  // namespace tally::webhooks
