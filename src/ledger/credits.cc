#include "ledger/credits.h"

#include "ledger/check.h"

namespace tally {

Credits Credits::from_credits(int64_t whole) {
  int64_t m = 0;
  TALLY_CHECK(!__builtin_mul_overflow(whole, k_micro_per_credit, &m));
  return Credits{m};
}

std::optional<Credits> checked_add(Credits a, Credits b) {
  int64_t r = 0;
  if (__builtin_add_overflow(a.micro, b.micro, &r)) return std::nullopt;
  return Credits{r};
}

std::optional<Credits> checked_sub(Credits a, Credits b) {
  int64_t r = 0;
  if (__builtin_sub_overflow(a.micro, b.micro, &r)) return std::nullopt;
  return Credits{r};
}

std::optional<Credits> checked_mul(Credits a, int64_t n) {
  int64_t r = 0;
  if (__builtin_mul_overflow(a.micro, n, &r)) return std::nullopt;
  return Credits{r};
}

std::optional<Credits> parse_credits(std::string_view text) {
  bool negative = false;
  if (!text.empty() && text.front() == '-') {
    negative = true;
    text.remove_prefix(1);
  }
  if (text.empty()) return std::nullopt;
  uint64_t whole = 0;
  size_t i = 0;
  size_t whole_digits = 0;
  for (; i < text.size() && text[i] != '.'; ++i) {
    char ch = text[i];
    if (ch < '0' || ch > '9') return std::nullopt;
    whole = whole * 10 + static_cast<uint64_t>(ch - '0');
    if (++whole_digits > 13) return std::nullopt;  // 10^13 credits = 10^19 micro: too large
  }
  if (whole_digits == 0) return std::nullopt;
  uint64_t frac = 0;
  size_t frac_digits = 0;
  if (i < text.size()) {
    ++i;                                        // '.'
    if (i == text.size()) return std::nullopt;  // "12." is not an amount
    for (; i < text.size(); ++i) {
      char ch = text[i];
      if (ch < '0' || ch > '9') return std::nullopt;
      if (++frac_digits > 6) return std::nullopt;
      frac = frac * 10 + static_cast<uint64_t>(ch - '0');
    }
  }
  for (size_t d = frac_digits; d < 6; ++d) frac *= 10;
  uint64_t micro = whole * static_cast<uint64_t>(k_micro_per_credit) + frac;
  if (micro > static_cast<uint64_t>(INT64_MAX)) return std::nullopt;
  int64_t m = static_cast<int64_t>(micro);
  return Credits{negative ? -m : m};
}

std::string format_credits(Credits c) {
  // Work in unsigned so that INT64_MIN formats without overflow.
  bool negative = c.micro < 0;
  uint64_t abs = negative ? 0 - static_cast<uint64_t>(c.micro) : static_cast<uint64_t>(c.micro);
  uint64_t whole = abs / static_cast<uint64_t>(k_micro_per_credit);
  uint64_t frac = abs % static_cast<uint64_t>(k_micro_per_credit);
  std::string out = negative ? "-" : "";
  out += std::to_string(whole);
  if (frac != 0) {
    std::string digits = std::to_string(frac);
    digits.insert(0, 6 - digits.size(), '0');
    while (digits.back() == '0') digits.pop_back();
    out += '.';
    out += digits;
  }
  return out;
}

}  // namespace tally
