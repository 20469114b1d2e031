// The money value of a credit, from pack prices. Integer arithmetic only: a pack's price per
// credit is price_minor / credits, kept as an exact 128-bit fraction and shown to 5 decimals.
// Minor-unit digits per currency come from the catalog (tally::currency_exponent).
#include <algorithm>
#include <cstdint>
#include <map>

#include "pricing/decimal.h"
#include "pricing/table.h"

namespace tally::pricing {
namespace {

std::string symbol(std::string_view currency) {
  if (currency == "USD") return "$";
  if (currency == "EUR") return "€";
  if (currency == "GBP") return "£";
  if (currency == "JPY") return "¥";
  return std::string(currency) + " ";
}

// price_minor / credits in major units, as a Decimal with 5 decimals, rounded half up.
Decimal per_credit(int64_t price_minor, Credits credits, int digits) {
  // (price_minor / 10^digits) / (micro / 10^6) = price_minor * 10^(6+5-digits) / micro
  Int128 num = static_cast<Int128>(price_minor) * pow10_i128(11 - digits);
  Int128 den = credits.micro;
  Int128 q = (num + den / 2) / den;
  return Decimal{q, 5};
}

// At least 2 decimals ("0.10"), at most 5.
std::string money_text(Decimal d) {
  std::string s = format_decimal(d);
  size_t dot = s.find('.');
  if (dot == std::string::npos) return s + ".00";
  while (s.size() - dot - 1 < 2) s.push_back('0');
  return s;
}

}  // namespace

std::vector<CreditValue> credit_values(const std::vector<tally::Pack>& packs) {
  struct Range {
    Decimal lo, hi;
    int packs = 0;
    size_t last_pack = SIZE_MAX;  // the pack counted last, so a pack counts once per currency
  };
  std::map<std::string, Range> by_currency;
  for (size_t i = 0; i < packs.size(); ++i) {
    const tally::Pack& pack = packs[i];
    if (!pack.credits.is_positive()) continue;  // no price per credit without credits
    for (const tally::PackPrice& p : pack.prices) {
      Decimal v =
          per_credit(p.price.minor, pack.credits, tally::currency_exponent(p.price.currency));
      auto [it, fresh] = by_currency.try_emplace(
          std::string(tally::currency_code(p.price.currency)), Range{v, v, 0});
      Range& r = it->second;
      if (compare(v, r.lo).value_or(0) < 0) r.lo = v;
      if (compare(v, r.hi).value_or(0) > 0) r.hi = v;
      if (r.last_pack != i) {
        r.last_pack = i;
        ++r.packs;
      }
    }
  }
  std::vector<CreditValue> out;
  for (const auto& [currency, r] : by_currency) {
    std::string sym = symbol(currency);
    out.push_back(CreditValue{currency, sym + money_text(r.lo), sym + money_text(r.hi),
                              money_text(r.lo), money_text(r.hi), r.packs});
  }
  return out;
}

std::string credit_value_line(const PriceTable& table) {
  std::string out;
  for (const CreditValue& v : table.credit_values) {
    if (!out.empty()) out += "; ";
    out += "1 credit = " + v.min_text;
    if (v.max_text != v.min_text) out += "–" + v.max_text;
    out +=
        " (" + v.currency + ", " + std::to_string(v.packs) + (v.packs == 1 ? " pack)" : " packs)");
  }
  return out;
}

}  // namespace tally::pricing
