#include "pricing/loader_reader.h"

#include <algorithm>
#include <sstream>

namespace tally::pricing::detail {
namespace {

std::string type_name(const toml::node& n) {
  std::ostringstream os;
  os << n.type();
  return os.str();
}

std::string quoted(std::string_view s) {
  return "\"" + std::string(s) + "\"";
}

bool is_id_char(char ch) {
  return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
         ch == '.' || ch == '_' || ch == ':' || ch == '+' || ch == '-';
}

std::string known_keys(KeyList allowed) {
  std::string out;
  for (std::string_view k : allowed) out += (out.empty() ? "" : ", ") + std::string(k);
  return out;
}

}  // namespace

void BookReader::fail(const toml::source_region& at, const std::string& message) const {
  throw LoadFailure{PricingError{PricingErrorCode::invalid_book, message,
                                 SourcePosition{file_, at.begin.line, at.begin.column}}};
}

void BookReader::check_keys(const toml::table& t, KeyList allowed, std::string_view what) const {
  for (auto&& [key, node] : t) {
    if (std::find(allowed.begin(), allowed.end(), key.str()) == allowed.end()) {
      fail(key.source(), "unknown key " + quoted(key.str()) + " in " + std::string(what) +
                             "; known keys: " + known_keys(allowed));
    }
  }
}

const toml::node& BookReader::require(const toml::table& t, std::string_view key,
                                      std::string_view what) const {
  const toml::node* n = t.get(key);
  if (n == nullptr) fail(t.source(), std::string(what) + " needs a key " + quoted(key));
  return *n;
}

std::vector<std::pair<const toml::key*, const toml::node*>> BookReader::in_file_order(
    const toml::table& t) const {
  std::vector<std::pair<const toml::key*, const toml::node*>> out;
  for (auto&& [key, node] : t) out.emplace_back(&key, &node);
  std::sort(out.begin(), out.end(), [](const auto& a, const auto& b) {
    const auto& pa = a.first->source().begin;
    const auto& pb = b.first->source().begin;
    return pa.line != pb.line ? pa.line < pb.line : pa.column < pb.column;
  });
  return out;
}

const toml::table& BookReader::as_table(const toml::node& n, std::string_view what) const {
  if (!n.is_table()) fail(n.source(), std::string(what) + " must be a table, got " + type_name(n));
  return *n.as_table();
}

const toml::array& BookReader::as_array(const toml::node& n, std::string_view what) const {
  if (!n.is_array()) fail(n.source(), std::string(what) + " must be an array, got " + type_name(n));
  return *n.as_array();
}

std::string BookReader::read_string(const toml::node& n, std::string_view what,
                                    size_t length_max) const {
  if (!n.is_string())
    fail(n.source(), std::string(what) + " must be a string, got " + type_name(n));
  const std::string& s = n.as_string()->get();
  if (s.size() > length_max) {
    fail(n.source(),
         std::string(what) + " is longer than " + std::to_string(length_max) + " bytes");
  }
  for (unsigned char ch : s) {
    if (ch < 0x20 || ch == 0x7f) fail(n.source(), std::string(what) + " has a control character");
  }
  return s;
}

void BookReader::check_id(const toml::source_region& at, std::string_view id,
                          std::string_view what) const {
  bool ok =
      !id.empty() && id.size() <= k_id_length_max && std::all_of(id.begin(), id.end(), is_id_char);
  if (!ok) {
    fail(at, std::string(what) + " " + quoted(id) +
                 " is not a valid id: 1 to 64 characters of A-Z a-z 0-9 . _ : + -");
  }
}

std::string BookReader::read_id(const toml::node& n, std::string_view what) const {
  std::string id = read_string(n, what, k_name_length_max);
  check_id(n.source(), id, what);
  return id;
}

int64_t BookReader::read_integer(const toml::node& n, std::string_view what, int64_t min,
                                 int64_t max) const {
  if (!n.is_integer())
    fail(n.source(), std::string(what) + " must be an integer, got " + type_name(n));
  int64_t v = n.as_integer()->get();
  if (v < min || v > max) {
    fail(n.source(), std::string(what) + " must be from " + std::to_string(min) + " to " +
                         std::to_string(max) + ", got " + std::to_string(v));
  }
  return v;
}

bool BookReader::read_bool(const toml::node& n, std::string_view what) const {
  if (!n.is_boolean())
    fail(n.source(), std::string(what) + " must be true or false, got " + type_name(n));
  return n.as_boolean()->get();
}

Decimal BookReader::read_amount(const toml::node& n, std::string_view what) const {
  Decimal d = read_factor(n, what);  // same syntax; the bound differs
  if (compare(d, Decimal::from_int(1'000'000'000'000)).value_or(1) > 0) {
    fail(n.source(), std::string(what) + " is larger than 1000000000000 credits");
  }
  return d;
}

Decimal BookReader::read_factor(const toml::node& n, std::string_view what) const {
  if (n.is_integer()) {
    int64_t v = n.as_integer()->get();
    if (v < 0) fail(n.source(), std::string(what) + " must not be negative");
    return Decimal::from_int(v);
  }
  if (!n.is_string()) {
    fail(n.source(), std::string(what) +
                         " must be an integer or a decimal string such as \"1.5\", got " +
                         type_name(n) + " (TOML fractions are binary and inexact; quote them)");
  }
  const std::string& s = n.as_string()->get();
  auto d = parse_decimal(s);
  if (!d) {
    fail(n.source(), std::string(what) + " " + quoted(s) +
                         " is not a non-negative decimal with at most 6 decimals");
  }
  return *d;
}

TimeUs BookReader::read_time(const toml::node& n, std::string_view what) const {
  if (n.is_string()) {
    auto t = parse_time(n.as_string()->get());
    if (!t) fail(n.source(), std::string(what) + " is not an RFC 3339 time with an offset");
    return *t;
  }
  if (!n.is_date_time()) {
    fail(n.source(), std::string(what) + " must be a date-time such as 2026-11-01T00:00:00Z, got " +
                         type_name(n));
  }
  const toml::date_time& dt = n.as_date_time()->get();
  if (!dt.offset) fail(n.source(), std::string(what) + " needs a UTC offset (e.g. a trailing Z)");
  CivilTime c{dt.date.year,
              dt.date.month,
              dt.date.day,
              dt.time.hour,
              dt.time.minute,
              dt.time.second,
              dt.time.nanosecond / 1000};
  return TimeUs{from_civil(c).us - int64_t{dt.offset->minutes} * k_us_per_minute};
}

Rounding BookReader::read_rounding(const toml::node& n, std::string_view what) const {
  const toml::table& t = as_table(n, what);
  check_keys(t, {"precision", "direction"}, what);
  Rounding r;
  if (const toml::node* p = t.get("precision")) {
    Decimal d = read_factor(*p, std::string(what) + ".precision");
    auto c = to_credits_exact(d);
    if (!c || !c->is_positive() || c->micro > 1'000'000 * k_micro_per_credit) {
      fail(p->source(), std::string(what) + ".precision must be from 0.000001 to 1000000 credits");
    }
    r.precision = *c;
  }
  if (const toml::node* d = t.get("direction")) {
    std::string s = read_string(*d, std::string(what) + ".direction", 16);
    if (s == "up")
      r.direction = RoundingDirection::up;
    else if (s == "down")
      r.direction = RoundingDirection::down;
    else if (s == "nearest")
      r.direction = RoundingDirection::nearest;
    else
      fail(d->source(),
           std::string(what) + ".direction must be up, down or nearest, got " + quoted(s));
  }
  return r;
}

Effect BookReader::read_effect(const toml::table& t, bool allow_price,
                               std::string_view what) const {
  Effect e;
  int found = 0;
  for (std::string_view key : {"price", "add", "multiply"}) {
    const toml::node* n = t.get(key);
    if (n == nullptr) continue;
    ++found;
    std::string name = std::string(what) + "." + std::string(key);
    if (key == "price") {
      if (!allow_price) {
        fail(n->source(), name +
                              ": price sets the starting price and is only allowed on the "
                              "first parameter of a tool without a base");
      }
      e = Effect{EffectKind::price, read_amount(*n, name)};
    } else if (key == "add") {
      e = Effect{EffectKind::add, read_amount(*n, name)};
    } else {
      e = Effect{EffectKind::multiply, read_factor(*n, name)};
      if (compare(e.amount, Decimal::from_int(1'000'000)).value_or(1) > 0) {
        fail(n->source(), name + " must be at most 1000000");
      }
    }
  }
  if (found != 1) {
    fail(t.source(), std::string(what) + " needs exactly one of " +
                         (allow_price ? "price, add, multiply" : "add, multiply"));
  }
  return e;
}

}  // namespace tally::pricing::detail
