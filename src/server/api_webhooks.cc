// Webhook endpoints (docs/webhooks.md, issue 18): register, list, show, delete, rotate the
// signing secret, enable again, list delivery attempts and ask for a redelivery; and the feed of
// platform events (webhook.disabled, docs/events.md). Admin key.
// These change DATA/webhooks.db, not the ledger: no Idempotency-Key (a repeated create makes a
// second endpoint, as a repeated POST /v1/keys makes a second key).
#include <algorithm>

#include "ledger/text.h"
#include "server/api_internal.h"
#include "webhooks/deliverer.h"
#include "webhooks/sender.h"

namespace tally::server {
namespace {

constexpr int64_t k_overlap_default_s = 86400;
constexpr uint32_t k_deliveries_default = 100;
constexpr uint32_t k_deliveries_max = 1000;
constexpr uint32_t k_platform_events_default = 100;
constexpr size_t k_platform_type_count = std::size(webhooks::k_platform_event_types);

Problem webhook_problem(const webhooks::WebhookError& e) {
  using C = webhooks::WebhookError::Code;
  switch (e.code) {
    case C::not_found:
      return not_found(e.detail);
    case C::invalid:
      return bad_request(e.detail);
    case C::limit:
      return {422, "limit_exceeded", e.detail, {}};
    case C::store:
      break;
  }
  return {500, "internal", e.detail, {}};
}

// "*" or the names of `types` in EventType order, then the platform's, once each.
std::expected<std::string, Problem> canonical_types(const std::vector<std::string>& types) {
  if (types.empty()) {
    return std::unexpected(
        bad_request("'event_types' is empty: leave it out, or [\"*\"], for every type"));
  }
  std::vector<bool> wanted(k_event_type_count, false);
  std::vector<bool> platform(k_platform_type_count, false);
  for (const std::string& t : types) {
    if (t == "*") {
      if (types.size() != 1)
        return std::unexpected(bad_request("'event_types': \"*\" stands alone"));
      return std::string("*");
    }
    const auto* named = std::find(std::begin(webhooks::k_platform_event_types),
                                  std::end(webhooks::k_platform_event_types), t);
    if (named != std::end(webhooks::k_platform_event_types)) {
      platform[static_cast<size_t>(named - std::begin(webhooks::k_platform_event_types))] = true;
      continue;
    }
    auto type = parse_event_type(t);
    if (!type) {
      return std::unexpected(
          bad_request(cat("'event_types': no event type '", std::string_view(t).substr(0, 64),
                          "' (docs/events.md lists them)")));
    }
    wanted[static_cast<size_t>(*type)] = true;
  }
  std::string out;
  for (uint8_t i = 0; i < k_event_type_count; ++i) {
    if (wanted[i]) out += cat(out.empty() ? "" : ",", event_type_name(static_cast<EventType>(i)));
  }
  for (size_t i = 0; i < k_platform_type_count; ++i) {
    if (platform[i]) out += cat(out.empty() ? "" : ",", webhooks::k_platform_event_types[i]);
  }
  return out;
}

void write_webhook_fields(JsonWriter& w, const webhooks::WebhookView& v) {
  write_text(w, "id", v.id);
  write_text(w, "url", v.url);
  w.Key("event_types");
  w.StartArray();
  for (size_t start = 0; start <= v.event_types.size();) {
    const size_t end = std::min(v.event_types.find(',', start), v.event_types.size());
    const std::string_view name = std::string_view(v.event_types).substr(start, end - start);
    w.String(name.data(), static_cast<rapidjson::SizeType>(name.size()));
    start = end + 1;
  }
  w.EndArray();
  write_text(w, "description", v.description);
  write_time(w, "created_at", v.created_at);
  write_text(w, "status", v.disabled_at ? "disabled" : v.failing_since ? "failing" : "enabled");
  write_optional_time(w, "disabled_at", v.disabled_at);
  write_text_or_null(w, "disabled_reason", v.disabled_reason);
  write_optional_time(w, "failing_since", v.failing_since);
  w.Key("failures");
  w.Uint(v.failures);
  write_optional_time(w, "next_attempt_at", v.next_attempt_at);
  std::optional<TimeUs> previous_until;
  if (v.previous_valid_until.us > 0) previous_until = v.previous_valid_until;
  write_optional_time(w, "previous_secret_valid_until", previous_until);
}

HttpResponse webhook_response(int status, const webhooks::WebhookView& v,
                              const std::string& secret = {}) {
  return json(status, [&](JsonWriter& w) {
    w.StartObject();
    write_webhook_fields(w, v);
    if (!secret.empty()) write_text(w, "secret", secret);
    w.EndObject();
  });
}

webhooks::Deliverer* deliverer(const CallPtr& call) {
  webhooks::Deliverer* d = call->ctx.o.webhooks;
  if (d == nullptr) fail(call, {503, "unavailable", "this server delivers no webhooks", {}});
  return d;
}

}  // namespace

void create_webhook(const CallPtr& call) {
  webhooks::Deliverer* d = deliverer(call);
  if (!d) return;
  FieldReader f(*call->body);
  auto url = f.text("url", true, webhooks::k_url_bytes_max);
  auto types = f.texts("event_types", false, k_event_type_count + k_platform_type_count + 1);
  auto description = f.text("description", false, webhooks::k_description_bytes_max);
  if (f.ok()) {
    if (auto parsed = webhooks::parse_url(*url); !parsed) f.fail(cat("'url': ", parsed.error()));
  }
  std::string type_text = "*";
  if (f.ok() && types) {
    auto canonical = canonical_types(*types);
    if (!canonical) return fail(call, canonical.error());
    type_text = std::move(*canonical);
  }
  if (auto p = f.finish()) return fail(call, *p);
  auto made = d->create(*url, type_text, description.value_or(""));
  if (!made) return fail(call, webhook_problem(made.error()));
  if (!record_action(call, "create_webhook", "", made->first.id)) return;
  answer(call, webhook_response(201, made->first, made->second));
}

void list_webhooks(const CallPtr& call) {
  webhooks::Deliverer* d = deliverer(call);
  if (!d) return;
  const std::vector<webhooks::WebhookView> all = d->list();
  answer(call, json(200, [&](JsonWriter& w) {
           w.StartObject();
           w.Key("webhooks");
           w.StartArray();
           for (const auto& v : all) {
             w.StartObject();
             write_webhook_fields(w, v);
             w.EndObject();
           }
           w.EndArray();
           w.EndObject();
         }));
}

void get_webhook(const CallPtr& call) {
  webhooks::Deliverer* d = deliverer(call);
  if (!d) return;
  auto v = d->get(call->args[0]);
  if (!v) return fail(call, webhook_problem(v.error()));
  answer(call, webhook_response(200, *v));
}

void delete_webhook(const CallPtr& call) {
  webhooks::Deliverer* d = deliverer(call);
  if (!d) return;
  auto v = d->remove(call->args[0]);
  if (!v) return fail(call, webhook_problem(v.error()));
  if (!record_action(call, "delete_webhook", "", call->args[0])) return;
  answer(call, webhook_response(200, *v));
}

void rotate_webhook_secret(const CallPtr& call) {
  webhooks::Deliverer* d = deliverer(call);
  if (!d) return;
  FieldReader f(*call->body);
  auto overlap = f.integer("overlap_s", false, 0, webhooks::k_overlap_max_us / k_us_per_second);
  if (auto p = f.finish()) return fail(call, *p);
  auto made = d->rotate(call->args[0], overlap.value_or(k_overlap_default_s) * k_us_per_second);
  if (!made) return fail(call, webhook_problem(made.error()));
  if (!record_action(call, "rotate_webhook_secret", "", call->args[0])) return;
  answer(call, webhook_response(200, made->first, made->second));
}

void enable_webhook(const CallPtr& call) {
  webhooks::Deliverer* d = deliverer(call);
  if (!d) return;
  if (auto p = decode_no_fields(*call->body)) return fail(call, *p);
  auto v = d->enable(call->args[0]);
  if (!v) return fail(call, webhook_problem(v.error()));
  if (!record_action(call, "enable_webhook", "", call->args[0])) return;
  answer(call, webhook_response(200, *v));
}

void list_webhook_deliveries(const CallPtr& call) {
  webhooks::Deliverer* d = deliverer(call);
  if (!d) return;
  uint32_t limit = k_deliveries_default;
  for (const auto& [name, value] : call->query) {
    if (name != "limit") {
      return fail(call,
                  bad_request(cat("unknown query parameter '", std::string_view(name).substr(0, 64),
                                  "': deliveries take limit")));
    }
    const std::optional<uint64_t> n = parse_id(value);
    if (!n || *n > k_deliveries_max) {
      return fail(call,
                  bad_request(cat("'limit' must be an integer from 1 to ", k_deliveries_max)));
    }
    limit = static_cast<uint32_t>(*n);
  }
  auto attempts = d->deliveries(call->args[0], limit);
  if (!attempts) return fail(call, webhook_problem(attempts.error()));
  answer(call, json(200, [&](JsonWriter& w) {
           w.StartObject();
           w.Key("deliveries");
           w.StartArray();
           for (const store::DeliveryAttempt& a : *attempts) {
             w.StartObject();
             write_id(w, "event", a.event_id);
             write_text(w, "event_type", a.event_type);
             write_time(w, "at", a.at);
             w.Key("status");
             if (a.status > 0) {
               w.Int(a.status);
             } else {
               w.Null();
             }
             write_text_or_null(w, "error", a.error);
             w.Key("latency_ms");
             w.Int64(a.latency_ms);
             w.Key("redelivery");
             w.Bool(a.redelivery);
             w.Key("delivered");
             w.Bool(a.error.empty() && a.status >= 200 && a.status < 300);
             w.EndObject();
           }
           w.EndArray();
           w.EndObject();
         }));
}

void redeliver_webhook_event(const CallPtr& call) {
  webhooks::Deliverer* d = deliverer(call);
  if (!d) return;
  if (auto p = decode_no_fields(*call->body)) return fail(call, *p);
  auto event = parse_id(call->args[1]);
  if (!event) return fail(call, not_found(cat("no event '", call->args[1], "'")));
  if (auto r = d->redeliver(call->args[0], *event); !r)
    return fail(call, webhook_problem(r.error()));
  if (!record_action(call, "redeliver_webhook_event", "", cat(call->args[0], " ", *event))) return;
  answer(call, json(202, [&](JsonWriter& w) {
           w.StartObject();
           write_text(w, "webhook", call->args[0]);
           write_id(w, "event", *event);
           w.Key("queued");
           w.Bool(true);
           w.EndObject();
         }));
}

// GET /v1/platform/events?after=<id>&limit=: events about the platform (webhook.disabled),
// oldest first, a page at a time.
void get_platform_events(const CallPtr& call) {
  webhooks::Deliverer* d = deliverer(call);
  if (!d) return;
  uint64_t after = 0;
  uint32_t limit = k_platform_events_default;
  for (const auto& [name, value] : call->query) {
    if (name == "limit") {
      const std::optional<uint64_t> n = parse_id(value);
      if (!n || *n > webhooks::k_platform_events_page_max) {
        return fail(call, bad_request(cat("'limit' must be an integer from 1 to ",
                                          webhooks::k_platform_events_page_max)));
      }
      limit = static_cast<uint32_t>(*n);
    } else if (name == "after") {
      const std::optional<uint64_t> id = parse_id(value);
      if (!id || shard_of(*id) != store::k_platform_shard) {
        return fail(call, bad_request("'after' must be the id of a platform event"));
      }
      after = *id & ((uint64_t{1} << k_id_shard_shift) - 1);
    } else {
      return fail(call,
                  bad_request(cat("unknown query parameter '", std::string_view(name).substr(0, 64),
                                  "': platform events take after and limit")));
    }
  }
  auto events = d->platform_events(after, limit);
  if (!events) return fail(call, webhook_problem(events.error()));
  answer(call, json(200, [&](JsonWriter& w) {
           w.StartObject();
           w.Key("events");
           w.StartArray();
           for (const auto& [seq, text] : *events) {
             w.RawValue(text.data(), text.size(), rapidjson::kObjectType);
           }
           w.EndArray();
           // The last event's id (null: none after `after` yet; ask again with the same).
           write_id(w, "next_after",
                    events->empty() ? 0 : event_id(store::k_platform_shard, events->back().first));
           w.Key("has_more");
           w.Bool(events->size() >= limit);
           w.EndObject();
         }));
}

}  // namespace tally::server
