// The money value of a credit, from pack prices. Integer arithmetic only: a pack's price per
// credit is price_minor / credits, kept as an exact 128-bit fraction and shown to 5 decimals.
#include <algorithm>
#include <map>

#include "pricing/decimal.h"
#include "pricing/table.h"

namespace tally::pricing {
namespace {

int minor_digits(std::string_view currency) {
  for (std::string_view c : {"JPY", "KRW", "VND", "CLP", "ISK", "UGX", "XAF", "XOF"}) {
    if (c == currency) return 0;
  }
  for (std::string_view c : {"BHD", "KWD", "JOD", "OMR", "TND", "LYD", "IQD"}) {
    if (c == currency) return 3;
  }
  return 2;
}

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

std::vector<CreditValue> credit_values(const std::vector<Pack>& packs) {
  struct Range {
    Decimal lo, hi;
    int packs = 0;
  };
  std::map<std::string, Range> by_currency;
  for (const Pack& pack : packs) {
    for (const PackPrice& price : pack.prices) {
      Decimal v = per_credit(price.amount_minor, pack.credits, minor_digits(price.currency));
      auto [it, fresh] = by_currency.try_emplace(price.currency, Range{v, v, 0});
      Range& r = it->second;
      if (compare(v, r.lo).value_or(0) < 0) r.lo = v;
      if (compare(v, r.hi).value_or(0) > 0) r.hi = v;
      ++r.packs;
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
