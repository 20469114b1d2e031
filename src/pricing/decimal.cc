#include "pricing/decimal.h"

#include <algorithm>

#include "ledger/check.h"

namespace tally::pricing {
namespace {

constexpr Int128 make_pow10(int n) {
  Int128 r = 1;
  for (int i = 0; i < n; ++i) r *= 10;
  return r;
}

struct Pow10Table {
  Int128 v[39];
  constexpr Pow10Table() : v() {
    for (int i = 0; i <= 38; ++i) v[i] = make_pow10(i);
  }
};
constexpr Pow10Table k_pow10;

// Rescales a to scale s >= a.scale; nullopt on overflow.
std::optional<Decimal> rescaled(Decimal a, int s) {
  if (s == a.scale) return a;
  if (s > 38 || s < a.scale) return std::nullopt;
  Int128 m = 0;
  if (__builtin_mul_overflow(a.mantissa, k_pow10.v[s - a.scale], &m)) return std::nullopt;
  return Decimal{m, s};
}

// Brings a and b to one scale; normalizes first if the direct alignment overflows.
bool align(Decimal& a, Decimal& b) {
  for (int attempt = 0; attempt < 2; ++attempt) {
    int s = std::max(a.scale, b.scale);
    auto ra = rescaled(a, s);
    auto rb = rescaled(b, s);
    if (ra && rb) {
      a = *ra;
      b = *rb;
      return true;
    }
    a = normalized(a);
    b = normalized(b);
  }
  return false;
}

Int128 floor_div(Int128 n, Int128 d) {
  Int128 q = n / d;
  if ((n % d != 0) && ((n < 0) != (d < 0))) --q;
  return q;
}

// value / step in units of step, where step = precision; mode 0 floor, 1 ceil, 2 half up.
std::optional<Credits> round_impl(Decimal value, Credits precision, int mode) {
  TALLY_CHECK(precision.micro > 0);
  // Work in units of 10^-max(scale, 6) credits; normalize only if that overflows, since
  // normalizing costs 128-bit divisions on the quote path.
  std::optional<Decimal> v;
  Int128 step = 0;
  for (int attempt = 0; attempt < 2; ++attempt, value = normalized(value)) {
    int s = std::max(value.scale, 6);
    v = rescaled(value, s);
    if (v && s <= 38 &&
        !__builtin_mul_overflow(static_cast<Int128>(precision.micro), k_pow10.v[s - 6], &step))
      break;
    v.reset();
  }
  if (!v) return std::nullopt;
  Int128 q = floor_div(v->mantissa, step);
  Int128 r = v->mantissa - q * step;
  if (mode == 1 && r != 0) ++q;
  if (mode == 2 && r * 2 >= step) ++q;
  Int128 micro = 0;
  if (__builtin_mul_overflow(q, static_cast<Int128>(precision.micro), &micro)) return std::nullopt;
  if (micro > INT64_MAX || micro < INT64_MIN) return std::nullopt;
  return Credits::from_micro(static_cast<int64_t>(micro));
}

}  // namespace

Int128 pow10_i128(int n) {
  TALLY_CHECK(n >= 0 && n <= 38);
  return k_pow10.v[n];
}

Decimal normalized(Decimal d) {
  if (d.mantissa == 0) return Decimal{0, 0};
  while (d.scale > 0 && d.mantissa % 10 == 0) {
    d.mantissa /= 10;
    --d.scale;
  }
  return d;
}

std::optional<Decimal> checked_add(Decimal a, Decimal b) {
  if (!align(a, b)) return std::nullopt;
  Int128 m = 0;
  if (__builtin_add_overflow(a.mantissa, b.mantissa, &m)) return std::nullopt;
  return Decimal{m, a.scale};
}

std::optional<Decimal> checked_sub(Decimal a, Decimal b) {
  b.mantissa = -b.mantissa;
  return checked_add(a, b);
}

std::optional<Decimal> checked_mul(Decimal a, Decimal b) {
  for (int attempt = 0; attempt < 2; ++attempt) {
    Int128 m = 0;
    if (a.scale + b.scale <= k_decimal_scale_max &&
        !__builtin_mul_overflow(a.mantissa, b.mantissa, &m)) {
      return Decimal{m, a.scale + b.scale};
    }
    a = normalized(a);
    b = normalized(b);
  }
  return std::nullopt;
}

std::optional<int> compare(Decimal a, Decimal b) {
  if (!align(a, b)) return std::nullopt;
  return a.mantissa < b.mantissa ? -1 : (a.mantissa > b.mantissa ? 1 : 0);
}

bool same_value(Decimal a, Decimal b) {
  Decimal na = normalized(a);
  Decimal nb = normalized(b);
  return na.mantissa == nb.mantissa && na.scale == nb.scale;
}

std::optional<Decimal> parse_decimal(std::string_view text, int max_decimals) {
  Int128 m = 0;
  int int_digits = 0;
  int frac_digits = 0;
  size_t i = 0;
  for (; i < text.size() && text[i] != '.'; ++i) {
    char ch = text[i];
    if (ch < '0' || ch > '9' || ++int_digits > 18) return std::nullopt;
    m = m * 10 + (ch - '0');
  }
  if (int_digits == 0) return std::nullopt;
  if (i < text.size()) {
    if (++i == text.size()) return std::nullopt;  // "5." is not a number
    for (; i < text.size(); ++i) {
      char ch = text[i];
      if (ch < '0' || ch > '9' || ++frac_digits > max_decimals) return std::nullopt;
      m = m * 10 + (ch - '0');
    }
  }
  return normalized(Decimal{m, frac_digits});
}

std::string format_decimal(Decimal d) {
  d = normalized(d);
  bool negative = d.mantissa < 0;
  // The most negative int128 cannot be negated; no priced value comes near it.
  TALLY_CHECK(d.mantissa != -d.mantissa || d.mantissa == 0);
  Int128 m = negative ? -d.mantissa : d.mantissa;
  std::string digits;
  do {
    digits.push_back(static_cast<char>('0' + static_cast<int>(m % 10)));
    m /= 10;
  } while (m != 0);
  while (static_cast<int>(digits.size()) <= d.scale) digits.push_back('0');
  std::reverse(digits.begin(), digits.end());
  if (d.scale > 0) digits.insert(digits.end() - d.scale, '.');
  return negative ? "-" + digits : digits;
}

std::optional<Credits> to_credits_exact(Decimal d) {
  d = normalized(d);
  if (d.scale > 6) return std::nullopt;
  auto r = rescaled(d, 6);
  if (!r || r->mantissa > INT64_MAX || r->mantissa < INT64_MIN) return std::nullopt;
  return Credits::from_micro(static_cast<int64_t>(r->mantissa));
}

std::string_view rounding_direction_name(RoundingDirection d) {
  switch (d) {
    case RoundingDirection::up:
      return "up";
    case RoundingDirection::down:
      return "down";
    case RoundingDirection::nearest:
      return "nearest";
  }
  return "?";
}

std::optional<Credits> ceil_to_precision(Decimal value, Credits precision) {
  return round_impl(value, precision, 1);
}
std::optional<Credits> floor_to_precision(Decimal value, Credits precision) {
  return round_impl(value, precision, 0);
}
std::optional<Credits> nearest_to_precision(Decimal value, Credits precision) {
  return round_impl(value, precision, 2);
}

std::optional<Credits> round_to_precision(Decimal value, Credits precision,
                                          RoundingDirection direction) {
  switch (direction) {
    case RoundingDirection::up:
      return ceil_to_precision(value, precision);
    case RoundingDirection::down:
      return floor_to_precision(value, precision);
    case RoundingDirection::nearest:
      return nearest_to_precision(value, precision);
  }
  return std::nullopt;
}

}  // namespace tally::pricing
