// Auto top-up (issue 18, docs/events.md "Auto top-up"): GET, PUT and DELETE
// /v1/accounts/{id}/auto_topup, POST /v1/auto_topups/{id}/fail and /cancel. The ledger decides
// when to ask (an auto_topup.requested event); the platform charges its customer and posts the
// purchase with the request's payment_ref (POST /v1/purchases), which completes it.
#include "ledger/text.h"
#include "server/api_internal.h"

namespace tally::server {

namespace {

// {"account", "enabled", "below", "pack", "currency", "region", "price", "credits",
//  "request": {"id", "payment_ref", "expires_at"} | null, "failures", "retry_at"}: the
// settings, what the pack costs and grants now, and where the account stands; `editable`:
// whether the caller may change them (may_change).
void write_auto_topup(JsonWriter& w, const Ledger& l, const std::string& account,
                      const std::optional<AutoTopup>& t, bool editable) {
  w.StartObject();
  write_text(w, "account", account);
  w.Key("editable");
  w.Bool(editable);
  w.Key("enabled");
  w.Bool(t.has_value());
  if (t) {
    const AutoTopupSettings& s = t->settings;
    write_amount(w, "below", s.below);
    write_text(w, "pack", s.pack);
    write_text(w, "currency", s.currency);
    write_text_or_null(w, "region", s.region);
    const Pack* pack = l.catalog().find_pack(s.pack);
    const std::optional<Money> price =
        pack != nullptr ? pack->price_for(s.currency, s.region) : std::nullopt;
    w.Key("price");
    if (price) {
      const std::string major = format_major(*price);
      w.String(major.data(), static_cast<rapidjson::SizeType>(major.size()));
    } else {
      w.Null();  // the pack is no longer sold so: no request is made until the settings change
    }
    if (pack != nullptr) {
      write_amount(w, "credits", pack->credits);
    } else {
      w.Key("credits");
      w.Null();
    }
    w.Key("request");
    if (t->pending != 0) {
      w.StartObject();
      write_id(w, "id", t->pending);
      write_text(w, "payment_ref", auto_topup_payment_ref(t->pending));
      write_time(w, "expires_at", t->pending_until);
      w.EndObject();
    } else {
      w.Null();
    }
    w.Key("failures");
    w.Uint(t->failures);
    write_time(w, "retry_at", t->retry_at);  // null unless backing off after a failure
  }
  w.EndObject();
}

HttpResponse auto_topup_answer(const Ledger& l, const Reply& r) {
  const AutoTopupReply& reply = std::get<AutoTopupReply>(r);
  return json(
      200, [&](JsonWriter& w) { write_auto_topup(w, l, reply.account, reply.auto_topup, true); });
}

std::expected<SetAutoTopup, Problem> decode_auto_topup(const JsonValue& body,
                                                        const std::string& account) {
  FieldReader f(body);
  auto below = f.amount("below", true);
  if (f.ok() && below && !below->is_positive()) {
    f.fail("'below' must be positive (DELETE turns auto top-up off)");
  }
  auto pack = f.text("pack", true, 128);
  auto currency = f.text("currency", true, 3);
  auto region = f.text("region", false, 64);
  if (auto p = f.finish()) return std::unexpected(*p);
  return SetAutoTopup{account, AutoTopupSettings{*below, std::move(*pack), std::move(*currency),
                                                 region.value_or("")}};
}

std::expected<std::string, Problem> decode_optional_reason(const JsonValue& body) {
  FieldReader f(body);
  auto reason = f.text("reason", false, 1024);
  if (auto p = f.finish()) return std::unexpected(*p);
  return reason.value_or("");
}

void end_request(const CallPtr& call, bool failed) {
  auto id = id_arg(call, 0, "auto top-up");
  if (!id) return;
  auto reason = decode_optional_reason(*call->body);
  if (!reason) return fail(call, reason.error());
  Command c = failed ? Command{FailAutoTopup{*id, std::move(*reason)}}
                     : Command{CancelAutoTopup{*id, std::move(*reason)}};
  submit(call, Change{std::move(c), nullptr, auto_topup_answer});
}

}  // namespace

void get_auto_topup(const CallPtr& call) {
  const std::string id = call->args[0];
  const bool editable = may_change(*call, false);
  read_shard(call, account_shard(*call, id), [id, editable](const Ledger& l) {
    const Account* a = l.find_account(id);
    if (!a) return problem_response(not_found(cat("no account '", id, "'")));
    return json(200,
                [&](JsonWriter& w) { write_auto_topup(w, l, a->id, a->auto_topup, editable); });
  });
}

void set_auto_topup(const CallPtr& call) {
  auto c = decode_auto_topup(*call->body, call->args[0]);
  if (!c) return fail(call, c.error());
  if (auto p = token_limits(*call, *c->settings)) return fail(call, *p);
  submit(call, Change{std::move(*c), nullptr, auto_topup_answer});
}

void delete_auto_topup(const CallPtr& call) {
  if (auto p = decode_no_fields(*call->body)) return fail(call, *p);
  submit(call, Change{SetAutoTopup{call->args[0], std::nullopt}, nullptr, auto_topup_answer});
}

void fail_auto_topup(const CallPtr& call) { end_request(call, true); }
void cancel_auto_topup(const CallPtr& call) { end_request(call, false); }

}  // namespace tally::server
