// The webhook registry (docs/webhooks.md), durable in DATA/webhooks.db: the endpoints, each
// one's delivery position (per shard, the last event delivered or passed over), its retry
// state, the redeliveries asked for and the log of delivery attempts. What the delivery threads
// (webhooks/deliverer.h) need to carry on after a restart exactly where they stopped. And the
// platform events: events about the webhooks themselves (`webhook.disabled`), which no ledger
// change carries, kept here with their own sequence and delivered like the ledger's.
//
// Every change is durable (WAL, synchronous=FULL) before the call returns: a group of
// deliveries is one transaction, so one sync (save()). The schema is versioned by
// `PRAGMA user_version`.
//
// Thread-safe: any thread may call; calls are serialized.
#pragma once

#include <cstdint>
#include <expected>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "ledger/time.h"
#include "store/store.h"

namespace tally::store {

// One endpoint as stored. Times are the server's wall clock (not the ledger's).
struct WebhookRecord {
  std::string id;
  std::string url;
  std::string event_types;  // "*" or type names separated by commas
  std::string description;
  std::string secret;
  std::string previous_secret;     // empty: none
  TimeUs previous_valid_until{0};  // the previous secret signs until then
  TimeUs created_at{0};
  std::optional<TimeUs> disabled_at;
  std::string disabled_reason;
  // Retry state: the first failure of the current run of failures, how many in a row, and when
  // the next attempt is due.
  std::optional<TimeUs> failing_since;
  uint32_t failures = 0;
  std::optional<TimeUs> next_attempt_at;
  std::vector<uint64_t> cursors;  // per shard: the last event seq delivered or passed over
  uint64_t platform_cursor = 0;   // the same for the platform events
};

// An event about the platform rather than an account (docs/events.md "Platform events"): its
// seq (from 1, no gaps, given by insert) and id (event_id(k_platform_shard, seq)), the server's
// wall-clock time, the type's name, the endpoint it is about and its `data` as JSON.
struct PlatformEvent {
  uint64_t seq = 0;
  TimeUs at{0};
  std::string type;
  std::string webhook;
  std::string data;  // a JSON object
};
// The shard number of platform event ids: no ledger shard has it.
inline constexpr ShardId k_platform_shard = 0xFFFF;
inline constexpr size_t k_platform_events_kept = 10'000;

// One delivery attempt.
struct DeliveryAttempt {
  int64_t id = 0;  // increasing
  std::string webhook;
  uint64_t event_id = 0;
  std::string event_type;
  TimeUs at{0};
  int status = 0;     // the HTTP status; 0: no answer (`error` says why)
  std::string error;  // empty when an answer came
  int64_t latency_ms = 0;
  bool redelivery = false;  // asked for by POST .../redeliver
};

inline constexpr size_t k_attempts_kept_per_webhook = 1000;

class WebhooksDb {
 public:
  // Opens (creating or migrating) the database at `path`; ":memory:" for tests.
  static std::expected<std::unique_ptr<WebhooksDb>, StoreError> open(const std::string& path);
  ~WebhooksDb();

  // Every endpoint with its cursors (missing shards read 0), oldest first.
  std::expected<std::vector<WebhookRecord>, StoreError> load(size_t shards);
  std::expected<void, StoreError> insert(const WebhookRecord& w);
  // Removes the endpoint, its cursors, attempts and redeliveries.
  std::expected<void, StoreError> remove(std::string_view id);
  // Writes the endpoint's fields (not its cursors).
  std::expected<void, StoreError> update(const WebhookRecord& w);
  // A group of deliveries, in one transaction: the endpoint's fields, its cursor of `shard`
  // (k_platform_shard: its platform cursor) as `w` has it, the `attempts`, and `event` if given
  // (its seq is set). The oldest attempts past k_attempts_kept_per_webhook go, and the oldest
  // platform events past k_platform_events_kept.
  std::expected<void, StoreError> save(const WebhookRecord& w, ShardId shard,
                                       std::span<const DeliveryAttempt> attempts,
                                       PlatformEvent* event = nullptr);
  // The newest `limit` attempts, newest first.
  std::expected<std::vector<DeliveryAttempt>, StoreError> attempts(std::string_view id,
                                                                   size_t limit);

  // Redeliveries asked for and not yet attempted, oldest first (event ids).
  std::expected<std::vector<uint64_t>, StoreError> redeliveries(std::string_view id);
  std::expected<void, StoreError> add_redelivery(std::string_view id, uint64_t event_id,
                                                 TimeUs now);
  // The attempt of a redelivery, and the request gone, in one transaction.
  std::expected<void, StoreError> redelivered(std::string_view id, const DeliveryAttempt& attempt);

  // Up to `limit` platform events after `after_seq`, oldest first.
  std::expected<std::vector<PlatformEvent>, StoreError> platform_events(uint64_t after_seq,
                                                                        size_t limit);
  // The seq of the last platform event (0: none yet).
  std::expected<uint64_t, StoreError> last_platform_event();

 private:
  struct Db;
  explicit WebhooksDb(std::unique_ptr<Db> db);
  std::expected<void, StoreError> in_transaction(std::string_view what,
                                                 const std::function<bool()>& write);
  bool write_fields(const WebhookRecord& w);
  bool write_attempt(const DeliveryAttempt& a);
  bool prune_attempts(const std::string& webhook);
  bool write_cursor(const std::string& webhook, int64_t shard, uint64_t seq);
  std::mutex mu_;
  std::unique_ptr<Db> db_;
};

}  // namespace tally::store
