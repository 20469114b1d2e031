#include "pricing/loader_reader.h"

#include <sstream>

namespace tally::pricing::detail {

using config::quoted;
using config::type_name;

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
