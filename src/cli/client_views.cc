// Response bodies -> text for people (client_commands.h render_view, format_problem). Pure.
// Amounts are shown as the server wrote them (exact decimal strings), times as RFC 3339.
#include <rapidjson/document.h>

#include <algorithm>
#include <iterator>

#include "cli/client_commands.h"

namespace tally::cli {
namespace {

using Value = rapidjson::Value;

// A member, or nullptr when absent (or when o is not an object).
const Value* member(const Value& o, const char* key) {
  if (!o.IsObject()) return nullptr;
  auto it = o.FindMember(key);
  return it == o.MemberEnd() ? nullptr : &it->value;
}

// A scalar member as text: strings as is, integers in decimal, booleans, "" for null/absent.
std::string text(const Value& o, const char* key) {
  const Value* v = member(o, key);
  if (v == nullptr || v->IsNull()) return "";
  if (v->IsString()) return {v->GetString(), v->GetStringLength()};
  if (v->IsInt64()) return std::to_string(v->GetInt64());
  if (v->IsUint64()) return std::to_string(v->GetUint64());
  if (v->IsBool()) return v->GetBool() ? "true" : "false";
  return "?";
}

std::string or_dash(std::string s) {
  return s.empty() ? "-" : s;
}

// "+40" for credits coming in, "-5" going out, "" for no change.
std::string signed_amount(const std::string& a) {
  if (a.empty() || a == "0") return "";
  return a.front() == '-' ? a : "+" + a;
}

bool is_zero(const std::string& a) {
  return a.empty() || a.find_first_not_of("-0.") == std::string::npos;
}

std::string join(const Value* array, const char* sep) {
  std::string out;
  if (array == nullptr || !array->IsArray()) return out;
  for (const Value& v : array->GetArray()) {
    if (!out.empty()) out += sep;
    if (v.IsString()) out += v.GetString();
  }
  return out;
}

size_t width(const std::string& s) {  // UTF-8 code points
  return static_cast<size_t>(std::count_if(
      s.begin(), s.end(), [](char c) { return (static_cast<unsigned char>(c) & 0xC0) != 0x80; }));
}

// Columns separated by two spaces; `align` has 'r' for right-aligned columns.
struct Table {
  std::vector<std::string> header;
  std::string align;
  std::vector<std::vector<std::string>> rows;

  std::string render() const {
    std::vector<size_t> w(header.size(), 0);
    for (size_t c = 0; c < header.size(); ++c) w[c] = width(header[c]);
    for (const auto& row : rows) {
      for (size_t c = 0; c < row.size(); ++c) w[c] = std::max(w[c], width(row[c]));
    }
    std::string out;
    auto line = [&](const std::vector<std::string>& cells) {
      std::string l;
      for (size_t c = 0; c < cells.size(); ++c) {
        const std::string pad(w[c] - width(cells[c]), ' ');
        if (c > 0) l += "  ";
        l += c < align.size() && align[c] == 'r' ? pad + cells[c] : cells[c] + pad;
      }
      l.erase(l.find_last_not_of(' ') + 1);
      out += l + "\n";
    };
    line(header);
    for (const auto& row : rows) line(row);
    return out;
  }
};

// "label  value" lines, labels aligned; empty values are left out.
std::string pairs(const std::vector<std::pair<std::string, std::string>>& kv) {
  size_t w = 0;
  for (const auto& [k, v] : kv) {
    if (!v.empty()) w = std::max(w, width(k));
  }
  std::string out;
  for (const auto& [k, v] : kv) {
    if (!v.empty()) out += k + std::string(w - width(k) + 2, ' ') + v + "\n";
  }
  return out;
}

std::string expires(const Value& o, const char* key) {
  const Value* v = member(o, key);
  return v == nullptr ? "" : v->IsNull() ? "never" : text(o, key);
}

std::string portions_table(const Value& o) {
  const Value* ps = member(o, "portions");
  if (ps == nullptr || !ps->IsArray() || ps->Empty()) return "";
  Table t{{"lot", "amount"}, "lr", {}};
  for (const Value& p : ps->GetArray()) t.rows.push_back({text(p, "lot"), text(p, "amount")});
  return t.render();
}

// Where released or refunded credits went, when not all simply went back to their lots.
std::string restored_line(const Value& o) {
  const Value* r = member(o, "restored");
  if (r == nullptr || !r->IsObject()) return "";
  std::string out;
  if (!is_zero(text(*r, "to_refund_lots"))) {
    out += "restored " + text(*r, "to_refund_lots") + " as refund lots " +
           join(member(*r, "refund_lots"), ", ") + " (their lots had expired)\n";
  }
  if (!is_zero(text(*r, "voided")))
    out += "voided " + text(*r, "voided") + " (their lots were voided)\n";
  return out;
}

std::string view_account(const Value& a) {
  std::string out = "account " + text(a, "id");
  const std::string plan = text(a, "plan");
  out += plan.empty() ? "  (no plan)" : "  plan " + plan;
  if (const Value* s = member(a, "subscription"); s != nullptr && s->IsObject()) {
    out += "  " + text(*s, "state") + " until " + text(*s, "period_end");
  }
  out += "\n";
  const Value* b = member(a, "balance");
  const Value& bal = b != nullptr ? *b : a;
  const bool pending = !is_zero(text(bal, "pending"));
  Table t{{"available", "held", "total"},
          "rrrr",
          {{text(bal, "available"), text(bal, "held"), text(bal, "total")}}};
  if (pending) {
    t.header.push_back("pending");
    t.rows[0].push_back(text(bal, "pending"));
  }
  out += t.render();
  if (const Value* n = member(a, "next_expiry"); n != nullptr && n->IsObject()) {
    out += "next expiry: " + text(*n, "amount") + " on " + text(*n, "at") + "\n";
  }
  if (const Value* lots = member(a, "lots"); lots != nullptr && lots->IsArray() && !lots->Empty()) {
    Table l{{"lot", "source", "remaining", "held", "expires", "scope"}, "llrrll", {}};
    for (const Value& lot : lots->GetArray()) {
      std::string scope = join(member(lot, "scope"), ",");
      if (text(lot, "voided") == "true") scope = scope.empty() ? "voided" : scope + " voided";
      l.rows.push_back({text(lot, "id"), text(lot, "source"), text(lot, "remaining"),
                        text(lot, "held"), expires(lot, "expires_at"), scope});
    }
    out += "\n" + l.render();
  }
  return out;
}

std::string view_history(const Value& page) {
  const Value* entries = member(page, "entries");
  if (entries == nullptr || !entries->IsArray() || entries->Empty()) return "no entries\n";
  Table t{{"seq", "time", "kind", "amount", "held", "balance after", "source/tool", "reason"},
          "rllrrrll",
          {}};
  for (const Value& e : entries->GetArray()) {
    std::string what = text(e, "source");
    if (const std::string tool = text(e, "tool"); !tool.empty()) what += "/" + tool;
    t.rows.push_back({text(e, "seq"), text(e, "at"), text(e, "kind"),
                      signed_amount(text(e, "amount")), signed_amount(text(e, "held")),
                      text(e, "balance_after"), what, text(e, "reason")});
  }
  std::string out = t.render();
  if (const std::string next = text(page, "next_after"); !next.empty()) {
    out += "more: --after " + next + "\n";
  }
  return out;
}

// ?group=operation: a line per operation, then its lot portions indented under it.
std::string view_operations(const Value& page) {
  const Value* ops = member(page, "operations");
  if (ops == nullptr || !ops->IsArray() || ops->Empty()) return "no entries\n";
  Table t{{"seq", "time", "operation", "amount", "held", "balance after", "what"}, "rllrrrl", {}};
  for (const Value& op : ops->GetArray()) {
    const std::string first = text(op, "first_seq"), last = text(op, "last_seq");
    t.rows.push_back({first == last ? first : first + "-" + last, text(op, "at"),
                      text(op, "operation"), signed_amount(text(op, "amount")),
                      signed_amount(text(op, "held")), text(op, "balance_after"),
                      text(op, "summary")});
    const Value* portions = member(op, "portions");
    if (portions == nullptr || !portions->IsArray() || portions->Size() < 2) continue;
    for (const Value& e : portions->GetArray()) {
      t.rows.push_back({text(e, "seq"), "", "  " + text(e, "kind") + " lot " + text(e, "lot"),
                        signed_amount(text(e, "amount")), signed_amount(text(e, "held")), "",
                        text(e, "source")});
    }
  }
  std::string out = t.render();
  if (const std::string next = text(page, "next_after"); !next.empty()) {
    out += "more: --after " + next + "\n";
  }
  return out;
}

std::string view_lot(const Value& lot) {
  return "lot " + text(lot, "id") + " on " + text(lot, "account") + ": " +
         signed_amount(text(lot, "amount")) + " " + text(lot, "source") + " credits\n" +
         pairs({{"effective", text(lot, "effective_at")},
                {"expires", expires(lot, "expires_at")},
                {"scope", join(member(lot, "scope"), ", ")},
                {"reason", text(lot, "reason")},
                {"reference", text(lot, "reference")}});
}

std::string view_hold(const Value& h) {
  std::string out = "hold " + text(h, "id") + " " + text(h, "state") + ": " + text(h, "amount") +
                    " held on " + text(h, "account");
  if (const std::string tool = text(h, "tool"); !tool.empty()) out += " for " + tool;
  out += "\n" +
         pairs({{"expires", text(h, "expires_at")}, {"price book", text(h, "price_book_version")}});
  return out + portions_table(h);
}

std::string view_capture(const Value& c) {
  std::string out = "hold " + text(c, "hold") + ": captured " + text(c, "captured");
  if (const std::string spend = text(c, "spend"); !spend.empty()) out += " (spend " + spend + ")";
  out += ", released " + text(c, "released") + "\n";
  return out + portions_table(c) + restored_line(c);
}

std::string view_release(const Value& r) {
  return "hold " + text(r, "hold") + ": " + or_dash(text(r, "state")) + ", " + text(r, "released") +
         " back to its lots\n" + restored_line(r);
}

std::string view_purchase(const Value& p) {
  const Value* price = member(p, "price");
  std::string bonus;
  if (!text(p, "bonus_lot").empty())
    bonus = "+" + text(p, "bonus") + " (lot " + text(p, "bonus_lot") + ")";
  return "purchase " + text(p, "id") + ": pack " + text(p, "pack") + " for " + text(p, "account") +
         "\n" +
         pairs({{"price",
                 price == nullptr ? "" : text(*price, "amount") + " " + text(*price, "currency")},
                {"credits", "+" + text(p, "credits") + " (lot " + text(p, "lot") + ")"},
                {"bonus", bonus},
                {"expires", expires(p, "expires_at")}});
}

std::string view_subscription(const Value& s) {
  return pairs({{"plan", text(s, "plan")},
                {"state", text(s, "state")},
                {"period", text(s, "period_start") + " to " + text(s, "period_end")},
                {"allocation", text(s, "allocation")},
                {"next plan", text(s, "pending_plan")},
                {"cancels", text(s, "cancel_at_period_end") == "true" ? "at period end" : ""}});
}

std::string view_key(const Value& k) {
  return pairs({{"id", text(k, "id")},
                {"name", text(k, "name")},
                {"scope", text(k, "scope")},
                {"created", text(k, "created_at")},
                {"key", text(k, "key")}}) +
         "(the key is shown once: store it now)\n";
}

std::string view_token(const Value& t) {
  return pairs({{"account", text(t, "account")},
                {"expires", text(t, "expires_at")},
                {"token", text(t, "token")},
                {"dashboard", text(t, "url")}});
}

std::string view_quote(const Value& q) {
  std::string out = text(q, "tool") + ": " + text(q, "total") + " credits  (price book " +
                    text(q, "price_book_version");
  if (const std::string plan = text(q, "plan"); !plan.empty()) out += ", plan " + plan;
  out += ")\n";
  const Value* items = member(q, "breakdown");
  if (items == nullptr || !items->IsArray() || items->Empty()) return out;
  Table t{{"kind", "item", "amount", "subtotal"}, "llrr", {}};
  for (const Value& i : items->GetArray()) {
    std::string amount = text(i, "amount");
    if (text(i, "kind") == "multiply") amount = "×" + amount;
    // The server's human label when it sends one ("model Standard"), else "param value".
    std::string item = text(i, "label");
    if (item.empty()) {
      item = text(i, "param");
      if (const std::string v = text(i, "value"); !v.empty()) item += " " + v;
    }
    t.rows.push_back({text(i, "kind"), item, amount, text(i, "subtotal")});
  }
  return out + t.render();
}

bool is_scalar(const Value& v) {
  return v.IsString() || v.IsNumber() || v.IsBool() || v.IsNull();
}

// A response without a view of its own: its scalar members as "name  value" lines (the
// `_micro` twins left out, null shown as "-"), an object member's scalars as "name.sub",
// and every array of objects as a table of their scalar columns.
std::string view_fields(const Value& o) {
  std::vector<std::pair<std::string, std::string>> kv;
  std::string tables;
  auto scalar = [](const Value& parent, const char* key) {
    const std::string t = text(parent, key);
    return t.empty() && member(parent, key)->IsNull() ? std::string("-") : t;
  };
  for (const auto& m : o.GetObject()) {
    const std::string name(m.name.GetString(), m.name.GetStringLength());
    if (name.ends_with("_micro")) continue;
    if (is_scalar(m.value)) {
      kv.emplace_back(name, scalar(o, name.c_str()));
    } else if (m.value.IsObject()) {
      for (const auto& sub : m.value.GetObject()) {
        const std::string sub_name(sub.name.GetString(), sub.name.GetStringLength());
        if (sub_name.ends_with("_micro") || !is_scalar(sub.value)) continue;
        kv.emplace_back(name + "." + sub_name, scalar(m.value, sub_name.c_str()));
      }
    } else if (m.value.IsArray()) {
      const auto items = m.value.GetArray();
      if (items.Empty()) {
        kv.emplace_back(name, "(none)");
        continue;
      }
      if (!items[0].IsObject()) {
        kv.emplace_back(name, join(&m.value, ", "));
        continue;
      }
      Table t;
      for (const auto& col : items[0].GetObject()) {
        const std::string c(col.name.GetString(), col.name.GetStringLength());
        if (!c.ends_with("_micro") && is_scalar(col.value)) t.header.push_back(c);
      }
      for (const Value& item : items) {
        std::vector<std::string> row;
        for (const std::string& c : t.header) {
          row.push_back(member(item, c.c_str()) == nullptr ? "" : scalar(item, c.c_str()));
        }
        t.rows.push_back(std::move(row));
      }
      tables += "\n" + name + ":\n" + t.render();
    }
  }
  return pairs(kv) + tables;
}

}  // namespace

std::expected<std::string, std::string> render_view(View view, std::string_view body) {
  if (view == View::text) return std::string(body) + (body.ends_with('\n') ? "" : "\n");
  rapidjson::Document d;
  d.Parse(body.data(), body.size());
  if (d.HasParseError() || !d.IsObject())
    return std::unexpected("the server's answer is not a JSON object");
  static constexpr const char* k_key_field[] = {"balance", "entries",  "operations", "id",
                                                "id",      "captured", "released",   "id",
                                                "plan",    "key",      "token",      "total"};
  static_assert(std::size(k_key_field) == static_cast<size_t>(View::quote) + 1);
  if (view == View::fields) return view_fields(d);
  if (const char* key = k_key_field[static_cast<size_t>(view)]; member(d, key) == nullptr) {
    return std::unexpected(std::string("the server's answer has no \"") + key + "\"");
  }
  switch (view) {
    case View::account:
      return view_account(d);
    case View::history:
      return view_history(d);
    case View::operations:
      return view_operations(d);
    case View::lot:
      return view_lot(d);
    case View::hold:
      return view_hold(d);
    case View::capture:
      return view_capture(d);
    case View::release:
      return view_release(d);
    case View::purchase:
      return view_purchase(d);
    case View::subscription:
      return view_subscription(d);
    case View::key:
      return view_key(d);
    case View::token:
      return view_token(d);
    case View::quote:
      return view_quote(d);
    case View::fields:
    case View::text:
      break;  // handled above
  }
  return std::unexpected("unknown view");
}

std::string format_problem(int status, std::string_view body) {
  rapidjson::Document d;
  d.Parse(body.data(), body.size());
  if (!d.HasParseError() && d.IsObject() && !text(d, "type").empty()) {
    std::string out = text(d, "type");
    if (const std::string detail = text(d, "detail"); !detail.empty()) out += ": " + detail;
    if (const std::string s = text(d, "shortfall"); !s.empty()) out += " (shortfall " + s + ")";
    return out;
  }
  std::string first(body.substr(0, std::min(body.find('\n'), size_t{200})));
  return "HTTP " + std::to_string(status) + (first.empty() ? "" : ": " + first);
}

}  // namespace tally::cli
