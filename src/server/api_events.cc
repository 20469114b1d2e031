// Events and alert settings (issue 18, docs/events.md): GET /v1/events (every account, a page
// at a time across the shards), GET /v1/accounts/{id}/events, GET and PUT
// /v1/accounts/{id}/alerts.
//
// A page of the feed: each shard reads its events after the cursor's position for it from the
// store (service::read, after the commit in flight: only durable events), at most `limit`; the
// last shard to answer merges them in time order and keeps the first `limit`. The cursor says,
// per shard, the last event given: nothing is skipped however the shards' commits interleave,
// and an event is never given twice.
#include <algorithm>
#include <mutex>

#include "ledger/text.h"
#include "server/api_internal.h"
#include "server/event_json.h"
#include "server/gather.h"

namespace tally::server {

void write_event(JsonWriter& w, ShardId shard, const Event& e) {
  w.StartObject();
  write_id(w, "id", event_id(shard, e.seq));
  write_text(w, "type", event_type_name(e.type));
  write_time(w, "at", e.at);
  write_text(w, "account", e.account);
  w.Key("data");
  w.StartObject();
  switch (e.type) {
    case EventType::balance_low:
      write_amount(w, "available", e.amount);
      write_amount(w, "threshold", e.threshold);
      break;
    case EventType::balance_depleted:
      write_amount(w, "available", e.amount);
      break;
    case EventType::credits_expiring:
      write_id(w, "lot", e.ref);
      write_amount(w, "remaining", e.amount);
      write_time(w, "expires_at", e.when);
      break;
    case EventType::credits_expired:
      write_id(w, "lot", e.ref);
      write_amount(w, "expired", e.amount);
      break;
    case EventType::hold_timed_out:
      write_id(w, "hold", e.ref);
      write_amount(w, "released", e.amount);
      break;
    case EventType::subscription_renewed:
      write_text(w, "plan", e.detail);
      write_amount(w, "allocation", e.amount);
      write_time(w, "period_end", e.when);
      break;
    case EventType::subscription_past_due:
      write_text(w, "plan", e.detail);
      write_time(w, "period_end", e.when);
      break;
    case EventType::purchase_completed:
      write_id(w, "purchase", e.ref);
      write_text(w, "pack", e.detail);
      write_amount(w, "credits", e.amount);
      break;
    case EventType::purchase_voided:
      write_id(w, "purchase", e.ref);
      write_text(w, "pack", e.detail);
      write_amount(w, "voided", e.amount);
      break;
    case EventType::refund_created:
      write_id(w, "spend", e.ref);
      write_text(w, "tool", e.detail);
      write_amount(w, "refunded", e.amount);
      break;
    case EventType::auto_topup_requested: {
      write_id(w, "auto_topup", e.ref);
      write_text(w, "payment_ref", auto_topup_payment_ref(e.ref));
      write_text(w, "pack", e.detail);
      write_amount(w, "credits", e.amount);
      write_price(w, "price", e.price);
      write_text_or_null(w, "region", e.region);
      write_amount(w, "below", e.threshold);
      write_time(w, "expires_at", e.when);
      break;
    }
    case EventType::budget_threshold_reached:
    case EventType::budget_exceeded:
      write_text(w, "budget", e.detail);
      write_id(w, "debit", e.ref);
      write_amount(w, "used", e.amount);
      write_amount(w, e.type == EventType::budget_exceeded ? "limit" : "alert_at", e.threshold);
      write_time(w, "period_end", e.when);
      break;
  }
  w.EndObject();
  w.EndObject();
}

std::string event_json(ShardId shard, const Event& e) {
  rapidjson::StringBuffer buffer;
  JsonWriter w(buffer);
  write_event(w, shard, e);
  return std::string(buffer.GetString(), buffer.GetSize());
}

namespace {

constexpr uint32_t k_events_default = 100;
constexpr uint32_t k_events_max = 1000;

struct EventQuery {
  std::vector<uint64_t> after;  // per shard: the last event given (0: none)
  std::vector<bool> types;      // by EventType; empty: every type
  uint32_t limit = k_events_default;
  std::string account;  // one account's events only
};

// The parts of `text` between `sep`s (Debian's Abseil has its own string_view: not StrSplit).
std::vector<std::string_view> parts(std::string_view text, char sep) {
  std::vector<std::string_view> out;
  for (size_t start = 0;;) {
    const size_t end = text.find(sep, start);
    out.push_back(text.substr(start, end == std::string_view::npos ? end : end - start));
    if (end == std::string_view::npos) return out;
    start = end + 1;
  }
}

}  // namespace

// "12.0.7": the last seq given per shard, in shard order.
std::string format_cursor(const std::vector<uint64_t>& after) {
  std::string out;
  for (size_t i = 0; i < after.size(); ++i) out += cat(i == 0 ? "" : ".", after[i]);
  return out;
}

std::optional<std::vector<uint64_t>> parse_cursor(std::string_view text, size_t shards) {
  std::vector<uint64_t> out;
  for (std::string_view part : parts(text, '.')) {
    auto n = part == "0" ? std::optional<uint64_t>(0) : parse_id(part);
    if (!n) return std::nullopt;
    out.push_back(*n);
  }
  if (out.size() != shards) return std::nullopt;
  return out;
}

namespace {

struct Found {
  ShardId shard;
  Event event;
};

std::expected<EventQuery, Problem> decode_event_query(const Call& call, size_t shards,
                                                      std::string account) {
  EventQuery q;
  q.after.assign(shards, 0);
  q.account = std::move(account);
  const bool one_account = !q.account.empty();
  for (const auto& [name, value] : call.query) {
    if (name == "limit") {
      auto n = parse_id(value);
      if (!n || *n > k_events_max) {
        return std::unexpected(
            bad_request(cat("'limit' must be an integer from 1 to ", k_events_max)));
      }
      q.limit = static_cast<uint32_t>(*n);
    } else if (name == "types") {
      q.types.assign(k_event_type_count, false);
      for (std::string_view t : parts(value, ',')) {
        auto type = parse_event_type(t);
        if (!type) {
          return std::unexpected(bad_request(cat("'types': no event type '", t.substr(0, 64),
                                                 "' (docs/events.md lists them)")));
        }
        q.types[static_cast<size_t>(*type)] = true;
      }
    } else if (name == "after" && one_account) {
      // An event id of the account (its shard's), or a page's next_after.
      auto id = parse_id(value);
      const ShardId shard = account_shard(call, q.account);
      if (!id || shard_of(*id) != shard) {
        return std::unexpected(bad_request("'after' must be an event id of this account"));
      }
      q.after[shard] = *id & ((uint64_t{1} << k_id_shard_shift) - 1);
    } else if (name == "after") {
      auto cursor = parse_cursor(value, shards);
      if (!cursor) {
        return std::unexpected(bad_request(
            cat("'after' must be the next_after of a page of GET /v1/events on this deployment (",
                shards, " shards)")));
      }
      q.after = std::move(*cursor);
    } else {
      return std::unexpected(bad_request(cat("unknown query parameter '", name.substr(0, 64),
                                             "': the event feed takes after, types and limit")));
    }
  }
  return q;
}

// Up to q.limit events of one shard after its position, of the asked types.
std::expected<std::vector<Found>, std::string> scan_shard(store::Store& store, ShardId shard,
                                                          const EventQuery& q) {
  std::vector<Found> out;
  auto scanned = store.scan_events(shard, q.after[shard], q.account, [&](const Event& e) {
    if (!q.types.empty() && !q.types[static_cast<size_t>(e.type)]) return true;
    out.push_back({shard, e});
    return out.size() < q.limit;
  });
  if (!scanned) return std::unexpected(scanned.error().message);
  return out;
}

// Every shard's page merged in time order (then shard, then seq), the first q.limit kept.
HttpResponse merged_page(std::vector<Found> found, EventQuery q, bool one_account) {
  std::sort(found.begin(), found.end(), [](const Found& a, const Found& b) {
    if (a.event.at != b.event.at) return a.event.at < b.event.at;
    if (a.shard != b.shard) return a.shard < b.shard;
    return a.event.seq < b.event.seq;
  });
  // A shard that filled its page may have more; so may the whole feed if we cut it.
  const bool more = found.size() >= q.limit;
  if (found.size() > q.limit) found.resize(q.limit);
  for (const Found& f : found) q.after[f.shard] = std::max(q.after[f.shard], f.event.seq);
  return json(200, [&](JsonWriter& w) {
    w.StartObject();
    w.Key("events");
    w.StartArray();
    for (const Found& f : found) write_event(w, f.shard, f.event);
    w.EndArray();
    if (one_account) {
      if (found.empty()) {
        w.Key("next_after");
        w.Null();
      } else {
        write_id(w, "next_after", event_id(found.back().shard, found.back().event.seq));
      }
    } else {
      write_text(w, "next_after", format_cursor(q.after));
    }
    w.Key("has_more");
    w.Bool(more);
    w.EndObject();
  });
}

// "P3D", "PT12H", "PT90M", "PT45S": the largest unit that divides it (what a person would write).
std::string iso_duration(int64_t us) {
  if (us % k_us_per_day == 0) return cat("P", us / k_us_per_day, "D");
  if (us % k_us_per_hour == 0) return cat("PT", us / k_us_per_hour, "H");
  if (us % k_us_per_minute == 0) return cat("PT", us / k_us_per_minute, "M");
  return format_validity(Validity::duration_us(us));  // seconds
}

// `editable`: whether the caller may change them (may_change), for the dashboard.
void write_alerts(JsonWriter& w, const Ledger& l, const Account& a, bool editable) {
  w.StartObject();
  write_text(w, "account", a.id);
  const Credits low = l.low_threshold(a);
  if (low.is_positive()) {
    write_amount(w, "low_balance", low);
  } else {
    w.Key("low_balance");
    w.Null();
  }
  write_text(w, "low_balance_from", a.alerts.low_balance ? "account" : "plan");
  const int64_t notice = l.expiring_notice_us(a);
  w.Key("expiring_notice");
  if (notice > 0) {
    const std::string text = iso_duration(notice);
    w.String(text.data(), static_cast<rapidjson::SizeType>(text.size()));
  } else {
    w.Null();
  }
  write_text(w, "expiring_notice_from", a.alerts.expiring_notice_us ? "account" : "plan");
  w.Key("editable");
  w.Bool(editable);
  w.EndObject();
}

}  // namespace

void get_events(const CallPtr& call) {
  service::Service& service = *call->ctx.o.service;
  auto q = decode_event_query(*call, service.shards(), {});
  if (!q) return fail(call, q.error());
  auto query = std::make_shared<const EventQuery>(std::move(*q));
  store::Store* store = call->ctx.o.store;
  gather_shards<std::vector<Found>>(
      call, /*uses_store=*/true,
      [query, store](ShardId shard, const Ledger&) { return scan_shard(*store, shard, *query); },
      [query](const CallPtr& call, std::vector<std::vector<Found>> pages) {
        std::vector<Found> found;
        for (std::vector<Found>& page : pages) {
          for (Found& f : page) found.push_back(std::move(f));
        }
        answer(call, merged_page(std::move(found), *query, false));
      });
}

void get_account_events(const CallPtr& call) {
  service::Service& service = *call->ctx.o.service;
  const std::string id = call->args[0];
  auto q = decode_event_query(*call, service.shards(), id);
  if (!q) return fail(call, q.error());
  store::Store* store = call->ctx.o.store;
  const ShardId shard = account_shard(*call, id);
  read_shard(call, shard, [q = std::move(*q), store, shard, id](const Ledger& l) {
    if (!l.find_account(id)) return problem_response(not_found(cat("no account '", id, "'")));
    auto page = scan_shard(*store, shard, q);
    if (!page) return problem_response({500, "internal", page.error(), {}});
    return merged_page(std::move(*page), q, true);
  }, /*uses_store=*/true);
}

void get_alerts(const CallPtr& call) {
  const std::string id = call->args[0];
  const bool editable = may_change(*call, true);
  read_shard(call, account_shard(*call, id), [id, editable](const Ledger& l) {
    const Account* a = l.find_account(id);
    if (!a) return problem_response(not_found(cat("no account '", id, "'")));
    return json(200, [&](JsonWriter& w) { write_alerts(w, l, *a, editable); });
  });
}

void set_alerts(const CallPtr& call) {
  auto c = decode_alerts(*call->body, call->args[0]);
  if (!c) return fail(call, c.error());
  submit(call, Change{std::move(*c), nullptr, [](const Ledger& l, const Reply& r) {
                        const AlertsReply& reply = std::get<AlertsReply>(r);
                        return json(200, [&](JsonWriter& w) {
                          write_alerts(w, l, *l.find_account(reply.account), true);
                        });
                      }});
}

}  // namespace tally::server
