#include "webhooks/deliverer.h"

#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <algorithm>
#include <condition_variable>
#include <deque>
#include <thread>

#include "ledger/check.h"
#include "ledger/text.h"
#include "webhooks/sender.h"
#include "webhooks/signature.h"

namespace tally::webhooks {
namespace {

// Events one scan passes over at most before the thread saves its place and looks again.
constexpr size_t k_scan_max = 1000;
// How long an idle thread waits for a wake-up before looking anyway (a safety net: notify()
// wakes it as soon as events are durable).
constexpr auto k_idle_wait = std::chrono::seconds(5);

std::string new_id() {
  return "wh_" + new_secret().substr(6, 16);
}

// The event types of an endpoint: by EventType (all true for "*"), then the platform's
// (k_platform_event_types).
std::vector<bool> wanted_types(const std::string& names) {
  const size_t platform_types = std::size(k_platform_event_types);
  std::vector<bool> out(k_event_type_count + platform_types, names == "*");
  if (names == "*") return out;
  size_t start = 0;
  while (start <= names.size()) {
    const size_t end = std::min(names.find(',', start), names.size());
    const std::string_view name = std::string_view(names).substr(start, end - start);
    if (auto t = parse_event_type(name)) out[static_cast<size_t>(*t)] = true;
    for (size_t i = 0; i < platform_types; ++i) {
      if (name == k_platform_event_types[i]) out[k_event_type_count + i] = true;
    }
    start = end + 1;
  }
  return out;
}

bool acknowledged(const store::DeliveryAttempt& a) {
  return a.error.empty() && a.status >= 200 && a.status < 300;
}

using JsonOut = rapidjson::Writer<rapidjson::StringBuffer>;

void json_text(JsonOut& w, const char* key, std::string_view value) {
  w.Key(key);
  w.String(value.data(), static_cast<rapidjson::SizeType>(value.size()));
}

// The `data` of webhook.disabled (docs/events.md "Platform events").
std::string disabled_data(const store::WebhookRecord& w) {
  rapidjson::StringBuffer b;
  JsonOut out(b);
  out.StartObject();
  json_text(out, "webhook", w.id);
  json_text(out, "url", w.url);
  json_text(out, "description", w.description);
  json_text(out, "disabled_reason", w.disabled_reason);
  json_text(out, "failing_since", format_time(w.failing_since.value_or(TimeUs{0})));
  out.Key("failures");
  out.Uint(w.failures);
  out.EndObject();
  return std::string(b.GetString(), b.GetSize());
}

// "P3D", "PT1H", "PT30S": how long no delivery succeeded, for the disable reason.
std::string duration_text(int64_t us) {
  if (us % k_us_per_day == 0) return cat("P", us / k_us_per_day, "D");
  if (us % k_us_per_hour == 0) return cat("PT", us / k_us_per_hour, "H");
  if (us % k_us_per_minute == 0) return cat("PT", us / k_us_per_minute, "M");
  return cat("PT", us / k_us_per_second, "S");
}

std::string outcome(const store::DeliveryAttempt& a) {
  return a.error.empty() ? cat("HTTP ", a.status) : a.error;
}

}  // namespace

struct Deliverer::Endpoint {
  Endpoint(store::WebhookRecord record, const SenderOptions& sender_options)
      : w(std::move(record)), types(wanted_types(w.event_types)), sender(sender_options) {}

  // Held while a change of `w` is made and written, so that writes reach the db in the order
  // they were made; never while waiting for a receiver.
  std::mutex write_mu;
  std::mutex mu;  // what follows, except the constants
  std::condition_variable cv;
  store::WebhookRecord w;
  std::deque<uint64_t> redeliveries;
  bool wake = false;
  bool stop = false;
  bool removed = false;  // gone from the db: nothing of it may be written again

  const std::vector<bool> types;
  Url url;
  Sender sender;  // the thread's own
  std::thread thread;
};

// One event of a group: passed over (not wanted), or to send.
struct Deliverer::Pending {
  uint64_t seq = 0;
  bool wanted = false;
  uint64_t id = 0;   // wanted only: the public id,
  std::string type;  // the type's name
  std::string body;  // and the JSON sent
};

namespace {

WebhookView view(const store::WebhookRecord& w) {
  WebhookView v = w;
  v.secret.clear();
  v.previous_secret.clear();
  return v;
}

WebhookError store_error(const store::StoreError& e) {
  return {WebhookError::Code::store, e.message};
}

WebhookError no_webhook(const std::string& id) {
  return {WebhookError::Code::not_found, cat("no webhook '", id, "'")};
}

}  // namespace

Deliverer::Deliverer(DelivererOptions options) : options_(std::move(options)) {}

std::expected<std::unique_ptr<Deliverer>, std::string> Deliverer::open(DelivererOptions options) {
  TALLY_CHECK(options.store != nullptr && options.shards > 0 && options.render && options.clock);
  TALLY_CHECK(options.shards < store::k_platform_shard);
  auto db = store::WebhooksDb::open(options.db_path);
  if (!db) return std::unexpected(db.error().message);
  std::unique_ptr<Deliverer> d(new Deliverer(std::move(options)));
  d->db_ = std::move(*db);
  auto records = d->db_->load(d->options_.shards);
  if (!records) return std::unexpected(records.error().message);
  for (store::WebhookRecord& r : *records) {
    auto redeliveries = d->db_->redeliveries(r.id);
    if (!redeliveries) return std::unexpected(redeliveries.error().message);
    auto ep = d->make_endpoint(std::move(r), std::move(*redeliveries));
    if (!ep) return std::unexpected("webhooks.db holds an endpoint with a bad URL");
    d->endpoints_[ep->w.id] = std::move(ep);
  }
  return d;
}

Deliverer::~Deliverer() {
  stop();
}

std::shared_ptr<Deliverer::Endpoint> Deliverer::make_endpoint(
    store::WebhookRecord record, std::vector<uint64_t> redeliveries) const {
  auto url = parse_url(record.url);
  if (!url) return nullptr;
  SenderOptions so;
  so.timeout = std::chrono::milliseconds(options_.timeout_us / 1000);
  so.ca_file = options_.ca_file;
  auto ep = std::make_shared<Endpoint>(std::move(record), so);
  ep->url = std::move(*url);
  ep->redeliveries.assign(redeliveries.begin(), redeliveries.end());
  return ep;
}

void Deliverer::launch(const std::shared_ptr<Endpoint>& ep) {
  ep->thread = std::thread([this, ep] { run(ep); });
}

void Deliverer::start() {
  std::lock_guard lock(mu_);
  if (started_) return;
  started_ = true;
  for (auto& [id, ep] : endpoints_) launch(ep);
}

void Deliverer::stop() {
  std::vector<std::shared_ptr<Endpoint>> all;
  {
    std::lock_guard lock(mu_);
    for (auto& [id, ep] : endpoints_) all.push_back(ep);
    for (auto& ep : retired_) all.push_back(ep);
    started_ = false;
  }
  for (auto& ep : all) {
    {
      std::lock_guard lock(ep->mu);
      ep->stop = true;
    }
    ep->cv.notify_all();
    ep->sender.cancel();
  }
  for (auto& ep : all) {
    if (ep->thread.joinable()) ep->thread.join();
  }
}

void Deliverer::notify(ShardId, uint64_t) {
  wake_all();
}

void Deliverer::wake_all() {
  std::lock_guard lock(mu_);
  for (auto& [id, ep] : endpoints_) {
    {
      std::lock_guard ep_lock(ep->mu);
      ep->wake = true;
    }
    ep->cv.notify_all();
  }
}

void Deliverer::log(const std::string& line) const {
  if (options_.log) options_.log(line);
}

std::shared_ptr<Deliverer::Endpoint> Deliverer::find(const std::string& id) const {
  std::lock_guard lock(mu_);
  auto it = endpoints_.find(id);
  return it == endpoints_.end() ? nullptr : it->second;
}

// --- The registry ---

std::expected<uint64_t, store::StoreError> Deliverer::last_event_seq(ShardId shard) const {
  // Seqs have no gaps and retention removes the oldest first, so "is there an event after k" is
  // true below the last seq and false from it on: a search of ~2·log2(last) one-row reads.
  std::optional<store::StoreError> error;
  auto after = [&](uint64_t k) {
    bool any = false;
    auto r = options_.store->scan_events(shard, k, "", [&](const Event&) {
      any = true;
      return false;
    });
    if (!r) error = r.error();
    return any;
  };
  if (!after(0)) {
    if (error) return std::unexpected(*error);
    return 0;
  }
  uint64_t lo = 0, hi = 1;  // after(lo) holds, after(hi) does not
  while (after(hi) && !error) {
    lo = hi;
    hi *= 2;
  }
  while (hi - lo > 1 && !error) {
    const uint64_t mid = lo + (hi - lo) / 2;
    (after(mid) ? lo : hi) = mid;
  }
  if (error) return std::unexpected(*error);
  return hi;
}

std::expected<std::pair<WebhookView, std::string>, WebhookError> Deliverer::create(
    const std::string& url, const std::string& event_types, const std::string& description) {
  std::vector<uint64_t> start_after(options_.shards, 0);
  for (size_t s = 0; s < options_.shards; ++s) {
    auto last = last_event_seq(static_cast<ShardId>(s));
    if (!last) return std::unexpected(store_error(last.error()));
    start_after[s] = *last;
  }
  auto last_platform = db_->last_platform_event();
  if (!last_platform) return std::unexpected(store_error(last_platform.error()));
  if (auto u = parse_url(url); !u)
    return std::unexpected(WebhookError{WebhookError::Code::invalid, cat("'url': ", u.error())});
  if (description.size() > k_description_bytes_max) {
    return std::unexpected(
        WebhookError{WebhookError::Code::invalid,
                     cat("'description' is longer than ", k_description_bytes_max, " bytes")});
  }
  std::lock_guard registry(registry_mu_);
  {
    std::lock_guard lock(mu_);
    if (endpoints_.size() >= k_webhooks_max) {
      return std::unexpected(WebhookError{WebhookError::Code::limit,
                                          cat("at most ", k_webhooks_max, " webhook endpoints")});
    }
  }
  store::WebhookRecord r;
  r.id = new_id();
  r.url = url;
  r.event_types = event_types;
  r.description = description;
  r.secret = new_secret();
  r.created_at = options_.clock();
  r.cursors = std::move(start_after);
  r.platform_cursor = *last_platform;
  if (auto w = db_->insert(r); !w) return std::unexpected(store_error(w.error()));
  auto ep = make_endpoint(r, {});
  TALLY_CHECK(ep != nullptr);
  std::lock_guard lock(mu_);
  endpoints_[r.id] = ep;
  if (started_) launch(ep);
  return std::pair{view(r), r.secret};
}

std::vector<WebhookView> Deliverer::list() const {
  std::vector<std::shared_ptr<Endpoint>> all;
  {
    std::lock_guard lock(mu_);
    for (const auto& [id, ep] : endpoints_) all.push_back(ep);
  }
  std::vector<WebhookView> out;
  for (const auto& ep : all) {
    std::lock_guard lock(ep->mu);
    out.push_back(view(ep->w));
  }
  std::sort(out.begin(), out.end(), [](const WebhookView& a, const WebhookView& b) {
    return a.created_at != b.created_at ? a.created_at < b.created_at : a.id < b.id;
  });
  return out;
}

std::expected<WebhookView, WebhookError> Deliverer::get(const std::string& id) const {
  auto ep = find(id);
  if (!ep) return std::unexpected(no_webhook(id));
  std::lock_guard lock(ep->mu);
  return view(ep->w);
}

std::expected<WebhookView, WebhookError> Deliverer::remove(const std::string& id) {
  std::lock_guard registry(registry_mu_);
  auto ep = find(id);
  if (!ep) return std::unexpected(no_webhook(id));
  std::lock_guard write(ep->write_mu);
  if (auto r = db_->remove(id); !r) return std::unexpected(store_error(r.error()));
  {
    std::lock_guard lock(mu_);
    endpoints_.erase(id);
    retired_.push_back(ep);
  }
  WebhookView v;
  {
    std::lock_guard lock(ep->mu);
    ep->stop = true;
    ep->removed = true;
    v = view(ep->w);
  }
  ep->cv.notify_all();
  ep->sender.cancel();
  return v;
}

std::expected<store::WebhookRecord, WebhookError> Deliverer::change(
    const std::string& id, const std::function<void(store::WebhookRecord&)>& edit) {
  auto ep = find(id);
  if (!ep) return std::unexpected(no_webhook(id));
  // The delivery thread changes the record under write_mu too: it stays as read until written.
  std::lock_guard write(ep->write_mu);
  store::WebhookRecord r;
  {
    std::lock_guard lock(ep->mu);
    if (ep->removed) return std::unexpected(no_webhook(id));
    r = ep->w;
  }
  edit(r);
  if (auto w = db_->update(r); !w) return std::unexpected(store_error(w.error()));
  {
    std::lock_guard lock(ep->mu);
    ep->w = r;
    ep->wake = true;
  }
  ep->cv.notify_all();
  return r;
}

std::expected<std::pair<WebhookView, std::string>, WebhookError> Deliverer::rotate(
    const std::string& id, int64_t overlap_us) {
  TALLY_CHECK(overlap_us >= 0 && overlap_us <= k_overlap_max_us);
  const TimeUs now = options_.clock();
  auto r = change(id, [&](store::WebhookRecord& w) {
    w.previous_secret = overlap_us > 0 ? w.secret : std::string();
    w.previous_valid_until = TimeUs{overlap_us > 0 ? now.us + overlap_us : 0};
    w.secret = new_secret();
  });
  if (!r) return std::unexpected(r.error());
  return std::pair{view(*r), r->secret};
}

std::expected<WebhookView, WebhookError> Deliverer::enable(const std::string& id) {
  auto r = change(id, [](store::WebhookRecord& w) {
    w.disabled_at.reset();
    w.disabled_reason.clear();
    w.failing_since.reset();
    w.failures = 0;
    w.next_attempt_at.reset();
  });
  if (!r) return std::unexpected(r.error());
  log(cat("webhook ", id, " enabled: delivering from where it stopped"));
  return view(*r);
}

std::expected<std::vector<store::DeliveryAttempt>, WebhookError> Deliverer::deliveries(
    const std::string& id, size_t limit) const {
  if (!find(id)) return std::unexpected(no_webhook(id));
  auto a = db_->attempts(id, limit);
  if (!a) return std::unexpected(store_error(a.error()));
  return std::move(*a);
}

std::optional<std::pair<std::string, std::string>> Deliverer::find_body(uint64_t event_id) const {
  const ShardId shard = shard_of(event_id);
  const uint64_t seq = event_id & ((uint64_t{1} << k_id_shard_shift) - 1);
  if (seq == 0) return std::nullopt;
  if (shard == store::k_platform_shard) {
    auto events = db_->platform_events(seq - 1, 1);
    if (!events || events->empty() || events->front().seq != seq) return std::nullopt;
    return std::pair{events->front().type, platform_json(events->front())};
  }
  if (shard >= options_.shards) return std::nullopt;
  std::optional<std::pair<std::string, std::string>> found;
  auto r = options_.store->scan_events(shard, seq - 1, "", [&](const Event& e) {
    if (e.seq == seq) found = {std::string(event_type_name(e.type)), options_.render(shard, e)};
    return false;
  });
  if (!r) return std::nullopt;
  return found;
}

std::string Deliverer::platform_json(const store::PlatformEvent& e) const {
  rapidjson::StringBuffer b;
  JsonOut out(b);
  out.StartObject();
  json_text(out, "id", std::to_string(event_id(store::k_platform_shard, e.seq)));
  json_text(out, "type", e.type);
  json_text(out, "at", format_time(e.at));
  out.Key("account");
  out.Null();
  out.Key("data");
  out.RawValue(e.data.data(), e.data.size(), rapidjson::kObjectType);
  out.EndObject();
  return std::string(b.GetString(), b.GetSize());
}

std::expected<std::vector<std::pair<uint64_t, std::string>>, WebhookError>
Deliverer::platform_events(uint64_t after_seq, size_t limit) const {
  auto events = db_->platform_events(after_seq, limit);
  if (!events) return std::unexpected(store_error(events.error()));
  std::vector<std::pair<uint64_t, std::string>> out;
  for (const store::PlatformEvent& e : *events) out.emplace_back(e.seq, platform_json(e));
  return out;
}

std::expected<void, WebhookError> Deliverer::redeliver(const std::string& id, uint64_t event_id) {
  auto ep = find(id);
  if (!ep) return std::unexpected(no_webhook(id));
  if (!find_body(event_id)) {
    return std::unexpected(WebhookError{
        WebhookError::Code::not_found,
        cat("no event '", event_id, "' (events are kept for [ledger] event_retention)")});
  }
  std::lock_guard write(ep->write_mu);
  if (auto r = db_->add_redelivery(id, event_id, options_.clock()); !r) {
    return std::unexpected(store_error(r.error()));
  }
  {
    std::lock_guard lock(ep->mu);
    if (std::find(ep->redeliveries.begin(), ep->redeliveries.end(), event_id) ==
        ep->redeliveries.end()) {
      ep->redeliveries.push_back(event_id);
    }
    ep->wake = true;
  }
  ep->cv.notify_all();
  return {};
}

// --- Delivery ---

store::DeliveryAttempt Deliverer::send(Endpoint& ep, uint64_t id, std::string_view type,
                                       const std::string& body, bool redelivery) {
  const TimeUs at = options_.clock();
  std::vector<std::string> secrets;
  std::string webhook_id;
  {
    std::lock_guard lock(ep.mu);
    webhook_id = ep.w.id;
    secrets.push_back(ep.w.secret);
    if (!ep.w.previous_secret.empty() && at < ep.w.previous_valid_until) {
      secrets.push_back(ep.w.previous_secret);
    }
  }
  const PostResult r =
      ep.sender.post(ep.url, body,
                     {{"Tally-Signature", signature_header(at.us / k_us_per_second, body, secrets)},
                      {"Tally-Event-Id", std::to_string(id)},
                      {"Tally-Webhook-Id", webhook_id}});
  connections_.fetch_add(static_cast<uint64_t>(r.connections_opened), std::memory_order_relaxed);
  store::DeliveryAttempt a;
  a.webhook = webhook_id;
  a.event_id = id;
  a.event_type = std::string(type);
  a.at = at;
  a.status = r.status;
  a.error = r.error;
  a.latency_ms = r.latency_ms;
  a.redelivery = redelivery;
  if (a.error != "cancelled") (acknowledged(a) ? delivered_ : failed_).fetch_add(1);
  return a;
}

DelivererCounters Deliverer::counters() const {
  return {delivered_.load(), failed_.load(), connections_.load(), writes_.load()};
}

void Deliverer::redeliver_one(Endpoint& ep, uint64_t event_id) {
  store::DeliveryAttempt a;
  if (auto found = find_body(event_id)) {
    a = send(ep, event_id, found->first, found->second, true);
  } else {
    a.webhook = ep.w.id;  // constant after creation
    a.event_id = event_id;
    a.at = options_.clock();
    a.error = "the event is no longer kept ([ledger] event_retention)";
    a.redelivery = true;
  }
  std::lock_guard write(ep.write_mu);
  {
    std::lock_guard lock(ep.mu);
    if (!ep.redeliveries.empty() && ep.redeliveries.front() == event_id) {
      ep.redeliveries.pop_front();
    }
    if (ep.removed || a.error == "cancelled") return;
  }
  // Written without ep.mu, which notify() takes on a shard's writer: it never waits for a sync.
  if (auto r = db_->redelivered(a.webhook, a); !r) {
    log(cat("webhook ", a.webhook, ": ", r.error().message));
  }
}

bool Deliverer::scan(Endpoint& ep, size_t s, uint64_t cursor, std::vector<Pending>* out) const {
  if (s == options_.shards) {  // the platform events
    auto events = db_->platform_events(cursor, k_group_max);
    if (!events) {
      log(cat("webhook ", ep.w.id, ": reading platform events: ", events.error().message));
      return false;
    }
    for (const store::PlatformEvent& e : *events) {
      Pending p;
      p.seq = e.seq;
      // An endpoint is not told of its own disabling: it is disabled.
      for (size_t i = 0; i < std::size(k_platform_event_types); ++i) {
        if (e.type == k_platform_event_types[i] && ep.types[k_event_type_count + i]) {
          p.wanted = e.webhook != ep.w.id;
        }
      }
      if (p.wanted) {
        p.id = event_id(store::k_platform_shard, e.seq);
        p.type = e.type;
        p.body = platform_json(e);
      }
      out->push_back(std::move(p));
    }
    return true;
  }
  const auto shard = static_cast<ShardId>(s);
  size_t wanted = 0, seen = 0;
  auto r = options_.store->scan_events(shard, cursor, "", [&](const Event& e) {
    Pending p;
    p.seq = e.seq;
    p.wanted = ep.types[static_cast<size_t>(e.type)];
    if (p.wanted) {
      p.id = event_id(shard, e.seq);
      p.type = std::string(event_type_name(e.type));
      p.body = options_.render(shard, e);
      ++wanted;
    }
    out->push_back(std::move(p));
    return wanted < k_group_max && ++seen < k_scan_max;
  });
  if (!r) {
    log(cat("webhook ", ep.w.id, ": reading events: ", r.error().message));
    return false;
  }
  return true;
}

bool Deliverer::deliver_next(Endpoint& ep, size_t* next_shard) {
  std::vector<uint64_t> cursors;
  {
    std::lock_guard lock(ep.mu);
    cursors = ep.w.cursors;
    cursors.push_back(ep.w.platform_cursor);
  }
  // A shard at a time from *next_shard, so that no shard waits behind another's stream of
  // events; the platform events come after the last shard.
  const size_t n = cursors.size();
  for (size_t i = 0; i < n; ++i) {
    const size_t s = (*next_shard + i) % n;
    std::vector<Pending> group;
    if (!scan(ep, s, cursors[s], &group)) return false;
    if (group.empty()) continue;
    switch (deliver_group(ep, s, group)) {
      case Outcome::delivered:
        *next_shard = (s + 1) % n;
        return true;
      case Outcome::failed:  // retried first after the backoff: *next_shard stays
        return true;
      case Outcome::stopped:
        return false;
    }
  }
  return false;
}

Deliverer::Outcome Deliverer::deliver_group(Endpoint& ep, size_t s,
                                            const std::vector<Pending>& group) {
  // `position`: the seq the cursor may move to (every event up to it acknowledged or passed
  // over); `saved`: where it is in the db. A crash between the two sends the acknowledged
  // events after `saved` again: at least once, never fewer.
  uint64_t position = 0, saved = 0;
  std::vector<store::DeliveryAttempt> acked;
  auto since = std::chrono::steady_clock::now();
  auto flush = [&]() {
    if (position == saved) return true;
    if (!save(ep, s, position, acked, nullptr)) return false;
    saved = position;
    acked.clear();
    since = std::chrono::steady_clock::now();
    return true;
  };
  for (const Pending& p : group) {
    if (!p.wanted) {
      position = p.seq;
      continue;
    }
    const store::DeliveryAttempt a = send(ep, p.id, p.type, p.body, false);
    if (a.error == "cancelled") {
      (void)flush();
      return Outcome::stopped;
    }
    if (!acknowledged(a)) {
      return save(ep, s, position, acked, &a) ? Outcome::failed : Outcome::stopped;
    }
    position = p.seq;
    acked.push_back(a);
    if (acked.size() >= k_group_max ||
        std::chrono::steady_clock::now() - since >= std::chrono::microseconds(k_group_window_us)) {
      if (!flush()) return Outcome::stopped;
    }
  }
  return flush() ? Outcome::delivered : Outcome::stopped;
}

bool Deliverer::save(Endpoint& ep, size_t s, uint64_t seq,
                     const std::vector<store::DeliveryAttempt>& attempts,
                     const store::DeliveryAttempt* failure) {
  std::optional<store::PlatformEvent> disabled;
  {
    std::lock_guard write(ep.write_mu);
    store::WebhookRecord w;
    {
      std::lock_guard lock(ep.mu);
      if (ep.removed) return false;
      store::WebhookRecord& e = ep.w;
      uint64_t& cursor = s == options_.shards ? e.platform_cursor : e.cursors[s];
      cursor = std::max(cursor, seq);
      if (!attempts.empty()) {
        e.failing_since.reset();
        e.failures = 0;
        e.next_attempt_at.reset();
      }
      if (failure != nullptr) {
        const store::DeliveryAttempt& a = *failure;
        ++e.failures;
        if (!e.failing_since) e.failing_since = a.at;
        if (a.at.us - e.failing_since->us >= options_.give_up_us) {
          e.disabled_at = a.at;
          e.disabled_reason = cat("no delivery succeeded for ", duration_text(options_.give_up_us),
                                  " (the last: ", outcome(a), ")");
          e.next_attempt_at.reset();
          disabled = store::PlatformEvent{0, a.at, "webhook.disabled", e.id, disabled_data(e)};
        } else {
          int64_t wait = options_.retry_first_us;
          for (uint32_t i = 1; i < e.failures && wait < options_.retry_max_us; ++i) wait *= 2;
          e.next_attempt_at = TimeUs{a.at.us + std::min(wait, options_.retry_max_us)};
        }
      }
      w = e;
    }
    if (disabled) {
      log(cat("webhook ", w.id, " (", w.url, ") disabled: ", w.disabled_reason,
              "; POST /v1/webhooks/", w.id, "/enable delivers from where it stopped"));
    }
    std::vector<store::DeliveryAttempt> all = attempts;
    if (failure != nullptr) all.push_back(*failure);
    const ShardId shard = s == options_.shards ? store::k_platform_shard : static_cast<ShardId>(s);
    writes_.fetch_add(1, std::memory_order_relaxed);
    if (auto r = db_->save(w, shard, all, disabled ? &*disabled : nullptr); !r) {
      log(cat("webhook ", w.id, ": ", r.error().message));
      disabled.reset();
    }
  }
  if (disabled) wake_all();  // the other endpoints have a platform event to deliver
  return true;
}

void Deliverer::run(const std::shared_ptr<Endpoint>& ep_ptr) {
  Endpoint& ep = *ep_ptr;
  size_t next_shard = 0;
  std::unique_lock lock(ep.mu);
  auto wait_for = [&](auto timeout) {
    ep.cv.wait_for(lock, timeout, [&] { return ep.stop || ep.wake; });
    ep.wake = false;
  };
  while (!ep.stop) {
    if (ep.w.disabled_at) {
      wait_for(k_idle_wait);
      continue;
    }
    if (!ep.redeliveries.empty()) {
      const uint64_t id = ep.redeliveries.front();
      lock.unlock();
      redeliver_one(ep, id);
      lock.lock();
      continue;
    }
    const TimeUs now = options_.clock();
    if (ep.w.next_attempt_at && now < *ep.w.next_attempt_at) {
      wait_for(std::chrono::microseconds(ep.w.next_attempt_at->us - now.us));
      continue;
    }
    ep.wake = false;
    lock.unlock();
    const bool more = deliver_next(ep, &next_shard);
    lock.lock();
    if (!more) wait_for(k_idle_wait);
  }
}

}  // namespace tally::webhooks
