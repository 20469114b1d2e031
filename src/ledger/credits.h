// Credits: the platform's currency as int64 micro-credits (1 credit = 1,000,000 micro).
//
// Every arithmetic operator asserts on overflow (a bug: amounts entering the ledger are
// bounded at the edge). Code that handles client input uses the checked_* functions, which
// return std::nullopt instead. Thread-compatible value type.
#pragma once

#include <compare>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "ledger/check.h"

namespace tally {

inline constexpr int64_t k_micro_per_credit = 1'000'000;

struct Credits {
  int64_t micro = 0;

  static constexpr Credits from_micro(int64_t m) { return Credits{m}; }
  // Whole credits; asserts the result fits.
  static Credits from_credits(int64_t whole);

  constexpr bool is_zero() const { return micro == 0; }
  constexpr bool is_negative() const { return micro < 0; }
  constexpr bool is_positive() const { return micro > 0; }

  friend constexpr auto operator<=>(Credits, Credits) = default;
  // Inline: they are on every hot path. Overflow is a bug and stops the process.
  friend Credits operator+(Credits a, Credits b) {
    int64_t r;
    TALLY_CHECK(!__builtin_add_overflow(a.micro, b.micro, &r));
    return Credits{r};
  }
  friend Credits operator-(Credits a, Credits b) {
    int64_t r;
    TALLY_CHECK(!__builtin_sub_overflow(a.micro, b.micro, &r));
    return Credits{r};
  }
  friend Credits operator-(Credits a) { return Credits{} - a; }
  Credits& operator+=(Credits b) { return *this = *this + b; }
  Credits& operator-=(Credits b) { return *this = *this - b; }
};

[[nodiscard]] std::optional<Credits> checked_add(Credits a, Credits b);
[[nodiscard]] std::optional<Credits> checked_sub(Credits a, Credits b);
// a * n, n an integer factor (batch size, seconds); nullopt on overflow.
[[nodiscard]] std::optional<Credits> checked_mul(Credits a, int64_t n);

constexpr Credits min(Credits a, Credits b) {
  return a < b ? a : b;
}
constexpr Credits max(Credits a, Credits b) {
  return a < b ? b : a;
}

// Parses a decimal amount of credits: "12", "12.5", "-0.000001". At most six decimals,
// no exponent, no spaces, no leading '+'. nullopt on any malformed or out-of-range input.
[[nodiscard]] std::optional<Credits> parse_credits(std::string_view text);

// Formats as the shortest exact decimal: 12500000 micro -> "12.5", 0 -> "0", -1 -> "-0.000001".
std::string format_credits(Credits c);

}  // namespace tally
