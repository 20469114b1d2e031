// The money value of a credit, from pack prices. Each pack price's value per credit is the
// catalog's (tally::price_per_credit_e5, 5 decimals, the same figure GET /v1/packs shows), so
// the range and the pack list can never disagree.
#include <algorithm>
#include <array>
#include <cstdint>
#include <map>

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

}  // namespace

std::vector<CreditValue> credit_values(const std::vector<tally::Pack>& packs) {
  struct Range {
    int64_t lo = 0, hi = 0;  // price_per_credit_e5
    std::array<char, 3> currency{};
    int packs = 0;
    size_t last_pack = SIZE_MAX;  // the pack counted last, so a pack counts once per currency
  };
  std::map<std::string, Range> by_currency;
  for (size_t i = 0; i < packs.size(); ++i) {
    const tally::Pack& pack = packs[i];
    if (!pack.credits.is_positive()) continue;  // no price per credit without credits
    for (const tally::PackPrice& p : pack.prices) {
      const int64_t v = tally::price_per_credit_e5(p.price, pack.credits);
      auto [it, fresh] = by_currency.try_emplace(
          std::string(tally::currency_code(p.price.currency)), Range{v, v, p.price.currency});
      Range& r = it->second;
      r.lo = std::min(r.lo, v);
      r.hi = std::max(r.hi, v);
      if (r.last_pack != i) {
        r.last_pack = i;
        ++r.packs;
      }
    }
  }
  std::vector<CreditValue> out;
  for (const auto& [currency, r] : by_currency) {
    const std::string sym = symbol(currency);
    const std::string lo = tally::format_per_credit_e5(r.currency, r.lo);
    const std::string hi = tally::format_per_credit_e5(r.currency, r.hi);
    out.push_back(CreditValue{currency, sym + lo, sym + hi, lo, hi, r.packs});
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
