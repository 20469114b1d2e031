// The JSON shapes of docs/openapi.yaml, written from ledger state and replies.
#include "ledger/text.h"
#include "pricing/breakdown.h"
#include "server/api_internal.h"

namespace tally::server {

void write_lot(JsonWriter& w, const Lot& lot, std::string_view account) {
  w.StartObject();
  write_id(w, "id", lot.id.value);
  write_text(w, "account", account);
  write_text(w, "source", source_name(lot.source));
  write_amount(w, "amount", lot.amount);
  write_amount(w, "remaining", lot.remaining);
  write_amount(w, "held", lot.held);
  write_amount(w, "consumed", lot.consumed);
  write_amount(w, "expired", lot.expired);
  write_time(w, "granted_at", lot.granted_at);
  write_time(w, "effective_at", lot.effective_at);
  write_time(w, "expires_at", lot.expires_at);
  w.Key("scope");
  w.StartArray();
  for (const std::string& t : lot.scope) w.String(t.data(), static_cast<rapidjson::SizeType>(t.size()));
  w.EndArray();
  write_text(w, "reason", lot.reason);
  write_text(w, "reference", lot.reference);
  w.Key("voided");
  w.Bool(lot.voided);
  w.EndObject();
}

void write_subscription(JsonWriter& w, const Subscription* s) {
  w.Key("subscription");
  if (!s) {
    w.Null();
    return;
  }
  w.StartObject();
  write_text(w, "plan", s->plan);
  write_text(w, "state", s->state());
  write_time(w, "period_start", s->period_start);
  write_time(w, "period_end", s->period_end);
  write_amount(w, "allocation", s->allocation);
  write_text_or_null(w, "pending_plan", s->pending_plan);
  w.Key("cancel_at_period_end");
  w.Bool(s->cancel_at_period_end);
  w.EndObject();
}

void write_account_head(JsonWriter& w, const Account& a, const BalanceSummary& b) {
  write_text(w, "id", a.id);
  write_text(w, "kind", a.team ? "team" : "personal");
  write_text_or_null(w, "plan", a.subscription ? std::string_view(a.subscription->plan) : "");
  w.Key("balance");
  w.StartObject();
  write_amount(w, "available", b.available);
  write_amount(w, "held", b.held);
  write_amount(w, "pending", b.pending);
  write_amount(w, "total", b.total);
  w.EndObject();
}

void write_account(JsonWriter& w, const Ledger& ledger, const Account& a, TimeUs now) {
  const BalanceSummary b = ledger.balance(a, now);
  w.StartObject();
  write_account_head(w, a, b);
  w.Key("by_source");
  w.StartObject();
  for (Source s : k_all_sources) {
    const Credits c = b.by_source[static_cast<size_t>(s)];
    if (c == Credits{}) continue;
    const std::string_view name = source_name(s);
    w.Key(name.data(), static_cast<rapidjson::SizeType>(name.size()));
    w.StartObject();
    write_amount(w, "amount", c);
    w.EndObject();
  }
  w.EndObject();
  w.Key("next_expiry");
  if (b.next_expiry == TimeUs::never()) {
    w.Null();
  } else {
    w.StartObject();
    write_time(w, "at", b.next_expiry);
    write_amount(w, "amount", b.next_expiry_amount);
    w.EndObject();
  }
  w.Key("open_holds");
  w.Uint(a.open_holds);
  w.Key("lots");
  w.StartArray();
  for (const Lot& lot : a.lots) {
    if (lot.remaining == Credits{} && lot.held == Credits{}) continue;  // spent: history only
    write_lot(w, lot, a.id);
  }
  w.EndArray();
  write_subscription(w, a.subscription ? &*a.subscription : nullptr);
  w.EndObject();
}

void write_price(JsonWriter& w, std::string_view key, const Money& price) {
  w.Key(key.data(), static_cast<rapidjson::SizeType>(key.size()));
  w.StartObject();
  write_text(w, "amount", format_major(price));
  write_text(w, "currency", currency_code(price.currency));
  w.EndObject();
}

void write_portions(JsonWriter& w, const Portions& portions) {
  w.Key("portions");
  w.StartArray();
  for (const Portion& p : portions) {
    w.StartObject();
    write_id(w, "lot", p.lot.value);
    write_amount(w, "amount", p.amount);
    write_time(w, "expires_at", p.expires_at);
    w.EndObject();
  }
  w.EndArray();
}

void write_restored(JsonWriter& w, const Restored& r) {
  w.Key("restored");
  w.StartObject();
  write_amount(w, "to_lots", r.to_lots);
  write_amount(w, "to_refund_lots", r.to_refund_lots);
  write_amount(w, "voided", r.voided);
  w.Key("refund_lots");
  w.StartArray();
  for (LotId id : r.refund_lots) {
    const std::string s = std::to_string(id.value);
    w.String(s.data(), static_cast<rapidjson::SizeType>(s.size()));
  }
  w.EndArray();
  w.EndObject();
}

void write_quote(JsonWriter& w, const pricing::Quote& q, std::string_view plan) {
  const pricing::Tool& tool = q.tool_def();
  w.StartObject();
  write_text(w, "tool", tool.id);
  write_amount(w, "total", q.total);
  write_text(w, "price_book_version", q.book->version);
  write_text_or_null(w, "plan", plan);
  w.Key("breakdown");
  w.StartArray();
  for (const pricing::LineItem& item : q.line_items()) {
    w.StartObject();
    write_text(w, "kind", pricing::line_kind_name(item.kind));
    write_text_or_null(w, "param", item.param >= 0 ? std::string_view(tool.params[static_cast<size_t>(item.param)].id) : "");
    if (item.param >= 0) {
      const pricing::Param& param = tool.params[static_cast<size_t>(item.param)];
      std::string value = std::to_string(item.value);
      if (param.kind == pricing::ParamKind::choice) {
        value = param.options[static_cast<size_t>(item.value)].id;
      } else if (param.kind == pricing::ParamKind::toggle) {
        value = item.value ? "true" : "false";
      }
      write_text(w, "value", value);
    } else {
      write_text_or_null(w, "value", "");
    }
    write_text(w, "amount", pricing::format_decimal(item.amount));
    write_text(w, "label", pricing::line_label(q, item));
    write_text(w, "operation", pricing::line_operation(item));
    write_text(w, "subtotal", pricing::format_decimal(item.subtotal));
    w.EndObject();
  }
  w.EndArray();
  w.EndObject();
}

}  // namespace tally::server
