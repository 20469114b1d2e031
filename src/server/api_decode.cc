// Bodies to commands (api_decode.h). Each decoder reads its fields with a FieldReader, which
// keeps the first error; the checks that relate fields run only while no error is kept, so a
// client always hears about the first field at fault.
#include "server/api_decode.h"

#include "ledger/text.h"
#include "server/json.h"

namespace tally::server {

std::expected<ParamList, Problem> decode_params(const JsonValue* params) {
  ParamList out;
  if (!params) return out;
  if (params->MemberCount() > 2 * pricing::k_params_per_tool_max) {
    return std::unexpected(bad_request("'params' has too many members"));
  }
  out.storage.reserve(2 * params->MemberCount());
  for (auto m = params->MemberBegin(); m != params->MemberEnd(); ++m) {
    std::string value;
    if (m->value.IsString()) {
      value.assign(m->value.GetString(), m->value.GetStringLength());
    } else if (m->value.IsInt64()) {
      value = std::to_string(m->value.GetInt64());
    } else if (m->value.IsBool()) {
      value = m->value.GetBool() ? "true" : "false";
    } else {
      return std::unexpected(bad_request(
          cat("'params.", m->name.GetString(), "' must be a string, an integer or a boolean")));
    }
    out.storage.emplace_back(m->name.GetString(), m->name.GetStringLength());
    out.storage.push_back(std::move(value));
  }
  for (size_t i = 0; i < out.storage.size(); i += 2) {
    out.values.push_back({out.storage[i], out.storage[i + 1]});
  }
  return out;
}

std::optional<Problem> decode_no_fields(const JsonValue& body) {
  return FieldReader(body).finish();
}

std::expected<OpenAccount, Problem> decode_open_account(const JsonValue& body) {
  FieldReader f(body);
  auto id = f.id("id", true);
  OpenAccount c;
  if (f.is_null("plan")) {
    f.allow("plan");
    c.no_plan = true;
  } else if (auto plan = f.text("plan", false, 128)) {
    // Absent: the default plan; null: none; "" would silently mean the default.
    if (plan->empty()) f.fail("'plan' is empty: leave it out for the default plan, null for none");
    c.plan = std::move(*plan);
  }
  // "kind": "team" opens a shared wallet whose first member, `owner`, is its owner (issue 17).
  auto kind = f.text("kind", false, 16);
  auto owner = f.id("owner", false);
  if (f.ok() && kind && *kind != "personal" && *kind != "team") {
    f.fail("'kind' must be personal or team");
  }
  c.team = kind == "team";
  if (f.ok() && c.team && !owner) f.fail("a team account names its 'owner'");
  if (f.ok() && !c.team && owner) f.fail("'owner' applies to team accounts only");
  if (auto p = f.finish()) return std::unexpected(*p);
  c.account = std::move(*id);
  c.owner = owner.value_or("");
  return c;
}

std::expected<Grant, Problem> decode_grant(const JsonValue& body, const std::string& account) {
  FieldReader f(body);
  Grant g;
  g.account = account;
  auto amount = f.amount("amount", true);
  auto source = f.text("source", false, 32);
  auto expires_at = f.time("expires_at", false);
  auto valid_for = f.validity("valid_for", false);
  auto never = f.boolean("never_expires", false);
  auto effective_at = f.time("effective_at", false);
  auto scope = f.texts("scope", false, 64);
  auto reason = f.text("reason", true, 1024);
  auto reference = f.text("reference", false, 256);
  if (f.ok() && (!!expires_at + !!valid_for + (never && *never) > 1)) {
    f.fail("give at most one of 'expires_at', 'valid_for' and 'never_expires'");
  }
  if (f.ok() && source) {
    auto s = parse_source(*source);
    if (!s || *s == Source::refund) {
      f.fail(
          cat("'source' must be one of signup, subscription, rollover, reward, promo, admin, "
              "purchase; not '",
              *source, "'"));
    } else {
      g.source = *s;
    }
  }
  if (auto p = f.finish()) return std::unexpected(*p);
  g.amount = *amount;
  if (expires_at) g.expiry = {Expiry::Mode::at, *expires_at, {}};
  if (valid_for) g.expiry = {Expiry::Mode::valid_for, {}, *valid_for};
  if (never && *never) g.expiry.mode = Expiry::Mode::never;
  g.effective_at = effective_at;
  if (scope) g.scope = std::move(*scope);
  g.reason = std::move(*reason);
  if (reference) g.reference = std::move(*reference);
  return g;
}

std::expected<SetPlan, Problem> decode_set_plan(const JsonValue& body, const std::string& account) {
  FieldReader f(body);
  auto plan = f.text("plan", true, 128);
  auto allocation = f.amount("allocation", false);
  if (auto p = f.finish()) return std::unexpected(*p);
  return SetPlan{account, std::move(*plan), allocation};
}

std::expected<SetAlerts, Problem> decode_alerts(const JsonValue& body, const std::string& account) {
  FieldReader f(body);
  SetAlerts c{account, {}};
  c.alerts.low_balance = f.amount("low_balance", false);
  if (f.ok() && c.alerts.low_balance && c.alerts.low_balance->is_negative()) {
    f.fail("'low_balance' must not be negative (0: no alert)");
  }
  auto text = f.text("expiring_notice", false, 64);
  std::optional<Validity> notice;
  if (text) notice = *text == "PT0S" ? Validity::duration_us(0) : parse_validity(*text);
  if (f.ok() && text) {
    if (!notice || notice->kind != Validity::Kind::duration ||
        notice->count > 366 * k_us_per_day) {
      f.fail("'expiring_notice' must be a fixed duration of days, hours, minutes or seconds of "
             "at most P366D, such as \"P3D\" (PT0S: no alert)");
    } else {
      c.alerts.expiring_notice_us = notice->count;
    }
  }
  if (auto p = f.finish()) return std::unexpected(*p);
  return c;
}

std::expected<TokenRequest, Problem> decode_token_request(const JsonValue& body) {
  FieldReader f(body);
  auto ttl = f.integer("ttl_s", false, 60, k_token_ttl_max_s);
  auto member = f.id("member", false);
  if (auto p = f.finish()) return std::unexpected(*p);
  return TokenRequest{ttl.value_or(k_token_ttl_default_s), member.value_or("")};
}

std::expected<QuoteRequest, Problem> decode_quote(const JsonValue& body) {
  FieldReader f(body);
  auto tool = f.text("tool", true, 128);
  const JsonValue* params = f.object("params", false);
  auto account = f.id("account", false);
  auto plan = f.text("plan", false, 128);
  if (f.ok() && account && plan) f.fail("give 'account' or 'plan', not both");
  if (auto p = f.finish()) return std::unexpected(*p);
  auto list = decode_params(params);
  if (!list) return std::unexpected(list.error());
  return QuoteRequest{std::move(*tool), std::move(account), std::move(plan), std::move(*list)};
}

namespace {

// An "outcome" field (issue 19): usable or rejected; Outcome::none when absent and not required.
Outcome read_outcome(FieldReader& f, bool required) {
  auto text = f.text("outcome", required, 16);
  if (!text || !f.ok()) return Outcome::none;
  auto o = parse_outcome(*text);
  if (!o || *o == Outcome::none) {
    f.fail(cat("'outcome' must be 'usable' or 'rejected', not '", *text, "'"));
    return Outcome::none;
  }
  return *o;
}

}  // namespace

std::expected<JobRequest, Problem> decode_job(const JsonValue& body, bool hold) {
  FieldReader f(body);
  JobRequest j;
  auto account = f.id("account", true);
  auto tool = f.text("tool", false, 128);
  j.amount = f.amount("amount", false);
  const JsonValue* params = f.object("params", false);
  if (hold) j.ttl_s = f.integer("ttl_s", false, 1, k_hold_ttl_max_s);
  j.member = f.id("member", false).value_or("");  // team accounts (issue 17)
  j.project = f.id("project", false).value_or("");
  if (!hold) j.outcome = read_outcome(f, false);  // a hold's outcome comes with its capture
  if (f.ok() && !j.amount && !tool) f.fail("give 'amount', or 'tool' with its 'params'");
  if (f.ok() && j.amount && params) f.fail("give 'amount' or 'params', not both");
  if (auto p = f.finish()) return std::unexpected(*p);
  j.account = std::move(*account);
  // A job priced by amount may name no tool; its consumption is booked under "unspecified".
  j.tool = tool.value_or(j.amount ? "unspecified" : "");
  if (!j.amount) {  // priced from its params
    auto list = decode_params(params);
    if (!list) return std::unexpected(list.error());
    j.params = std::move(*list);
  }
  return j;
}

PlaceHold hold_command(const JobRequest& job, Credits amount, std::string price_book_version) {
  PlaceHold h{job.account, amount, job.tool, std::nullopt, std::move(price_book_version)};
  if (job.ttl_s) h.ttl_us = *job.ttl_s * k_us_per_second;
  h.member = job.member;
  h.project = job.project;
  return h;
}

SpendNow spend_command(const JobRequest& job, Credits amount, std::string price_book_version) {
  SpendNow s{job.account, amount, job.tool, std::move(price_book_version)};
  s.member = job.member;
  s.project = job.project;
  s.outcome = job.outcome;
  return s;
}

std::expected<CaptureRequest, Problem> decode_capture(const JsonValue& body, HoldId hold) {
  FieldReader f(body);
  auto amount = f.amount("amount", false);
  const JsonValue* usage = f.object("usage", false);
  const Outcome outcome = read_outcome(f, false);
  if (f.ok() && amount && usage) f.fail("give 'amount' or 'usage', not both");
  if (auto p = f.finish()) return std::unexpected(*p);
  CaptureRequest c{Capture{hold, amount}, std::nullopt};
  c.command.outcome = outcome;
  if (usage) {
    auto list = decode_params(usage);
    if (!list) return std::unexpected(list.error());
    c.usage = std::move(*list);
  }
  return c;
}

std::expected<Release, Problem> decode_release(const JsonValue& body, HoldId hold) {
  FieldReader f(body);
  auto reason = f.text("reason", false, 1024);
  if (auto p = f.finish()) return std::unexpected(*p);
  return Release{hold, reason.value_or("")};
}

std::expected<Refund, Problem> decode_refund(const JsonValue& body, SpendId spend) {
  FieldReader f(body);
  auto amount = f.amount("amount", false);
  auto reason = f.text("reason", true, 1024);
  if (auto p = f.finish()) return std::unexpected(*p);
  return Refund{spend, amount, std::move(*reason)};
}

std::expected<MarkOutcome, Problem> decode_outcome(const JsonValue& body, SpendId spend) {
  FieldReader f(body);
  const Outcome outcome = read_outcome(f, true);
  if (auto p = f.finish()) return std::unexpected(*p);
  return MarkOutcome{spend, outcome};
}

std::expected<Purchase, Problem> decode_purchase(const JsonValue& body) {
  FieldReader f(body);
  auto account = f.id("account", true);
  auto pack = f.text("pack", true, 128);
  auto currency = f.text("currency", true, 3);
  auto region = f.text("region", false, 64);
  auto payment_ref = f.text("payment_ref", true, 100);
  if (auto problem = f.finish()) return std::unexpected(*problem);
  return Purchase{std::move(*account), std::move(*pack), std::move(*currency), region.value_or(""),
                  std::move(*payment_ref)};
}

namespace {

std::expected<std::string, Problem> decode_reason(const JsonValue& body) {
  FieldReader f(body);
  auto reason = f.text("reason", true, 1024);
  if (auto p = f.finish()) return std::unexpected(*p);
  return std::move(*reason);
}

}  // namespace

std::expected<VoidPurchase, Problem> decode_void_purchase(const JsonValue& body,
                                                          uint64_t purchase) {
  auto reason = decode_reason(body);
  if (!reason) return std::unexpected(reason.error());
  return VoidPurchase{purchase, std::move(*reason)};
}

std::expected<VoidLot, Problem> decode_void_lot(const JsonValue& body, LotId lot) {
  auto reason = decode_reason(body);
  if (!reason) return std::unexpected(reason.error());
  return VoidLot{lot, std::move(*reason)};
}

std::expected<KeyRequest, Problem> decode_key(const JsonValue& body) {
  FieldReader f(body);
  auto name = f.text("name", true, 128);
  auto scope = f.text("scope", false, 16);
  auto expires_at = f.time("expires_at", false);
  if (f.ok() && scope && *scope != "service" && *scope != "admin" && *scope != "worker" &&
      *scope != "read") {
    f.fail("'scope' must be \"service\", \"admin\", \"worker\" or \"read\"");
  }
  if (auto p = f.finish()) return std::unexpected(*p);
  return KeyRequest{std::move(*name), scope.value_or("service"), expires_at};
}

std::expected<int64_t, Problem> decode_rotate_overlap_s(const JsonValue& body) {
  FieldReader f(body);
  auto overlap = f.integer("overlap_s", true, 0, 30 * 86400);
  if (auto p = f.finish()) return std::unexpected(*p);
  return *overlap;
}

std::expected<TokenRevocation, Problem> decode_token_revocation(const JsonValue& body) {
  FieldReader f(body);
  auto id = f.text("token_id", false, 64);
  auto all = f.boolean("all", false);
  if (f.ok() && all && !*all) f.fail("'all' must be true, or left out");
  if (f.ok() && !!id == !!all) f.fail("give 'token_id' (one token) or 'all': true, not both");
  if (f.ok() && id && (id->empty() || id->find_first_not_of("0123456789abcdef") != std::string::npos)) {
    f.fail("'token_id' is the 'id' the token was issued with: lowercase hex");
  }
  if (auto p = f.finish()) return std::unexpected(*p);
  return TokenRevocation{std::move(id)};
}

std::expected<TimeUs, Problem> decode_clock(const JsonValue& body) {
  FieldReader f(body);
  auto now = f.time("now", true);
  // The ledger's time stays before the last time RFC 3339 can write, so that every expiry
  // computed from it is after it and can be written (time.h).
  if (now && *now >= k_time_max) {
    f.fail(cat("'now' must be before ", format_time(k_time_max),
               ", the latest time the API reads and writes"));
  }
  if (auto p = f.finish()) return std::unexpected(*p);
  return *now;
}

std::expected<std::vector<BatchItem>, Problem> decode_batch(const JsonValue& body) {
  FieldReader f(body);
  const JsonValue* list = nullptr;
  f.allow("requests");
  if (auto m = body.FindMember("requests"); m == body.MemberEnd() || !m->value.IsArray()) {
    f.fail("'requests' must be an array of {method, path, body?, idempotency_key?}");
  } else if (m->value.Size() == 0 || m->value.Size() > k_batch_requests_max) {
    f.fail(cat("'requests' must hold 1 to ", k_batch_requests_max, " requests"));
  } else {
    list = &m->value;
  }
  if (auto p = f.finish()) return std::unexpected(*p);

  std::vector<BatchItem> items;
  items.reserve(list->Size());
  for (rapidjson::SizeType i = 0; i < list->Size(); ++i) {
    const JsonValue& item = (*list)[i];
    if (!item.IsObject()) {
      return std::unexpected(bad_request(cat("requests[", i, "] must be an object")));
    }
    FieldReader r(item, cat("requests[", i, "]."));
    auto method = r.text("method", true, 8);
    auto path = r.text("path", true, k_target_bytes_max);
    auto key = r.text("idempotency_key", false, 256);
    const JsonValue* sub_body = r.object("body", false);
    if (auto p = r.finish()) return std::unexpected(*p);
    if (path->starts_with("/v1/batch")) {
      return std::unexpected(bad_request(cat("requests[", i, "]: a batch cannot contain a batch")));
    }
    items.push_back({std::move(*method), std::move(*path), std::move(key), sub_body});
  }
  return items;
}

}  // namespace tally::server
