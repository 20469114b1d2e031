// Decimal: an exact non-negative decimal number used for every intermediate value of a quote.
//
// value = mantissa / 10^scale, with a 128-bit mantissa. Price book amounts (credits with up
// to six decimals, multipliers such as "1.5") are decimals, so every product and sum of them
// is a decimal too: a quote is computed exactly and rounded once, at the end, by a named
// rounding function. Every operation that could overflow returns std::nullopt instead.
// No binary fractions anywhere in pricing. Thread-compatible value type.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "ledger/credits.h"

namespace tally::pricing {

using Int128 = __int128;

inline constexpr int k_decimal_scale_max = 36;
// Decimals in a credit amount or multiplier written in a price book.
inline constexpr int k_book_decimals_max = 6;

struct Decimal {
  Int128 mantissa = 0;
  int scale = 0;

  static constexpr Decimal from_int(int64_t n) { return Decimal{n, 0}; }
  static constexpr Decimal from_credits(Credits c) { return Decimal{c.micro, 6}; }
  constexpr bool is_zero() const { return mantissa == 0; }
  constexpr bool is_negative() const { return mantissa < 0; }
};

// 10^n for 0 <= n <= 38.
Int128 pow10_i128(int n);

// The same value with the smallest scale (trailing zeros removed).
Decimal normalized(Decimal d);

[[nodiscard]] std::optional<Decimal> checked_add(Decimal a, Decimal b);
[[nodiscard]] std::optional<Decimal> checked_sub(Decimal a, Decimal b);
[[nodiscard]] std::optional<Decimal> checked_mul(Decimal a, Decimal b);
// -1, 0 or 1; nullopt only if the values cannot be aligned (astronomically large).
[[nodiscard]] std::optional<int> compare(Decimal a, Decimal b);
// Exact equality of values (1.50 == 1.5).
bool same_value(Decimal a, Decimal b);

// Parses "12", "0.5", "1.125" (no sign, no exponent, at most max_decimals decimals,
// at most 18 integer digits). nullopt on anything else.
[[nodiscard]] std::optional<Decimal> parse_decimal(std::string_view text,
                                                   int max_decimals = k_book_decimals_max);

// Shortest exact decimal text: "12.5", "0", "-0.4", "200000".
std::string format_decimal(Decimal d);

// The exact value as Credits if it has at most six decimals and fits int64 micro-credits.
[[nodiscard]] std::optional<Credits> to_credits_exact(Decimal d);

// Rounding to a multiple of precision (a positive amount of credits), once, at the end of a
// quote. nullopt if the result does not fit Credits. Values must be non-negative.
enum class RoundingDirection : uint8_t { up, down, nearest };
std::string_view rounding_direction_name(RoundingDirection d);
[[nodiscard]] std::optional<Credits> ceil_to_precision(Decimal value, Credits precision);
[[nodiscard]] std::optional<Credits> floor_to_precision(Decimal value, Credits precision);
// Half up: 0.5 of a step goes up.
[[nodiscard]] std::optional<Credits> nearest_to_precision(Decimal value, Credits precision);
[[nodiscard]] std::optional<Credits> round_to_precision(Decimal value, Credits precision,
                                                        RoundingDirection direction);

}  // namespace tally::pricing
