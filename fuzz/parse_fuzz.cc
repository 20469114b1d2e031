// Amounts, durations and times: every parser of a number or instant a client or a
// configuration file writes. The whole input is offered to each parser as text; its first
// bytes are also read as integers for format -> parse round trips. Properties:
//  - credits (parse_credits): what parses formats back to text that parses to the same amount,
//    and that text is canonical (formatting it again gives the same text); at most 6 decimals.
//  - decimals (pricing::parse_decimal): the same round trip through format_decimal, never
//    negative, at most the decimals asked; to_credits_exact agrees with parse_credits; rounding
//    to a precision gives floor <= nearest <= ceil, a multiple of the precision, ceil - floor
//    in {0, precision}; a + b - b == a and compare() is antisymmetric.
//  - durations (parse_validity, ISO 8601 and "never"): format_validity parses back to the same
//    validity; months and durations are positive and at most 100 years.
//  - times (parse_time, RFC 3339): format_time parses back to the same instant; any instant
//    in years 0000..9999 formats to text that parses back to it.
//  - ledger ids (server parse_id): a decimal u64 > 0 without leading zeros, and back.
#include <algorithm>
#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>

#include "catalog/catalog.h"
#include "fuzz_check.h"
#include "ledger/config.h"
#include "ledger/credits.h"
#include "ledger/time.h"
#include "pricing/decimal.h"
#include "server/json.h"

namespace {

using namespace tally;

// RFC 3339 can write the instants of years 0000 to 9999 (with offsets, a day either side).
constexpr int64_t k_time_min_us = -62167219200LL * k_us_per_second;           // 0000-01-01
constexpr int64_t k_time_max_us = 253402300799LL * k_us_per_second + 999999;  // 9999-12-31

void check_credits(std::string_view text) {
  auto c = parse_credits(text);
  if (!c) return;
  const std::string formatted = format_credits(*c);
  auto again = parse_credits(formatted);
  FUZZ_CHECK(again && *again == *c, "format_credits(parse_credits(s)) parses back");
  FUZZ_CHECK(format_credits(*again) == formatted, "format_credits is canonical");
  const size_t dot = text.find('.');
  FUZZ_CHECK(dot == std::string_view::npos || text.size() - dot - 1 <= 6, "at most 6 decimals");
}

void check_credits_value(int64_t micro) {
  // The symmetric range: -INT64_MAX .. INT64_MAX (INT64_MIN has no positive twin, and
  // parse_credits documents nothing for it).
  if (micro == INT64_MIN) return;
  const Credits c = Credits::from_micro(micro);
  auto back = parse_credits(format_credits(c));
  FUZZ_CHECK(back && *back == c, "every amount formats to text that parses back to it");
}

void check_decimal(std::string_view text, int max_decimals) {
  auto d = pricing::parse_decimal(text, max_decimals);
  if (!d) return;
  FUZZ_CHECK(!d->is_negative(), "parsed decimals are never negative");
  FUZZ_CHECK(d->scale <= max_decimals, "at most max_decimals decimals");
  const std::string formatted = pricing::format_decimal(*d);
  auto again = pricing::parse_decimal(formatted, max_decimals);
  FUZZ_CHECK(again && pricing::same_value(*again, *d), "format_decimal parses back");
  if (max_decimals <= 6) {
    // parse_credits refuses more than 13 integer digits, leading zeros included; what it reads,
    // the price book's decimal reads as the same number of credits.
    auto credits = parse_credits(text);
    auto exact = pricing::to_credits_exact(*d);
    if (credits) {
      FUZZ_CHECK(exact && *exact == *credits,
                 "a book amount is the same number of credits as parse_credits reads");
    }
  }
}

void check_decimal_arithmetic(pricing::Decimal a, pricing::Decimal b, Credits precision) {
  using namespace tally::pricing;
  if (auto sum = checked_add(a, b)) {
    auto back = checked_sub(*sum, b);
    FUZZ_CHECK(back && same_value(*back, a), "a + b - b == a");
  }
  auto ab = compare(a, b);
  auto ba = compare(b, a);
  FUZZ_CHECK(ab.has_value() == ba.has_value() && (!ab || *ab == -*ba), "compare antisymmetric");
  if (ab) FUZZ_CHECK((*ab == 0) == same_value(a, b), "compare == 0 iff same value");
  if (a.is_negative() || !precision.is_positive()) return;
  auto lo = floor_to_precision(a, precision);
  auto mid = nearest_to_precision(a, precision);
  auto hi = ceil_to_precision(a, precision);
  if (!lo || !mid || !hi) return;  // out of range for Credits: refused, not wrapped
  FUZZ_CHECK(*lo <= *mid && *mid <= *hi, "floor <= nearest <= ceil");
  FUZZ_CHECK(lo->micro % precision.micro == 0 && hi->micro % precision.micro == 0,
             "rounded amounts are multiples of the precision");
  FUZZ_CHECK(*hi == *lo || hi->micro - lo->micro == precision.micro, "ceil - floor is 0 or 1 step");
  auto lo_cmp = compare(Decimal::from_credits(*lo), a);
  auto hi_cmp = compare(Decimal::from_credits(*hi), a);
  FUZZ_CHECK(lo_cmp && *lo_cmp <= 0 && hi_cmp && *hi_cmp >= 0, "floor <= value <= ceil");
}

void check_validity(std::string_view text) {
  auto v = parse_validity(text);
  if (!v) return;
  if (v->kind == Validity::Kind::months) {
    FUZZ_CHECK(v->count > 0 && v->count <= 1200, "months in 1..1200");
  } else if (v->kind == Validity::Kind::duration) {
    FUZZ_CHECK(v->count > 0 && v->count <= 100 * 366 * k_us_per_day, "duration in (0, 100 y]");
  }
  const std::string formatted = format_validity(*v);
  auto again = parse_validity(formatted);
  FUZZ_CHECK(again && *again == *v, "format_validity(parse_validity(s)) parses back");
  // Expiries move forward from any representable time.
  const TimeUs from{k_time_max_us / 2};
  FUZZ_CHECK(v->expiry_from(from) > from, "a validity ends after it starts");
}

void check_time(std::string_view text) {
  auto t = parse_time(text);
  if (!t) return;
  FUZZ_CHECK(t->us >= k_time_min_us - k_us_per_day && t->us <= k_time_max_us + k_us_per_day,
             "RFC 3339 times are within years 0000..9999 (+- an offset)");
  if (t->us < k_time_min_us || t->us > k_time_max_us) return;  // offset pushed it past a year
  const std::string formatted = format_time(*t);
  auto again = parse_time(formatted);
  FUZZ_CHECK(again && *again == *t, "format_time(parse_time(s)) parses back");
}

void check_time_value(int64_t us) {
  // Fold into the range RFC 3339 can write.
  const uint64_t span = static_cast<uint64_t>(k_time_max_us - k_time_min_us) + 1;
  const int64_t t = k_time_min_us + static_cast<int64_t>(static_cast<uint64_t>(us) % span);
  const std::string formatted = format_time(TimeUs{t});
  auto back = parse_time(formatted);
  FUZZ_CHECK(back && back->us == t, "every time of years 0000..9999 formats and parses back");
  const CivilTime c = to_civil(TimeUs{t});
  FUZZ_CHECK(from_civil(c).us == t, "from_civil(to_civil(t)) == t");
}

void check_id(std::string_view text) {
  auto id = server::parse_id(text);
  if (!id) return;
  FUZZ_CHECK(*id > 0 && std::to_string(*id) == text, "ids are canonical positive decimals");
}

template <typename T>
T read_le(const uint8_t* data, size_t size, size_t at) {
  T v{};
  if (at < size) std::memcpy(&v, data + at, std::min(sizeof v, size - at));
  return v;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  check_credits(text);
  check_decimal(text, pricing::k_book_decimals_max);
  check_decimal(text, size == 0 ? 0 : data[0] % 19);
  check_validity(text);
  check_time(text);
  check_id(text);
  // Two halves: text parsers see `a|b` pairs the way configs write amounts next to each other.
  if (const size_t bar = text.find('|'); bar != std::string_view::npos) {
    auto a = pricing::parse_decimal(text.substr(0, bar), 18);
    auto b = pricing::parse_decimal(text.substr(bar + 1), 18);
    const Credits precision =
        Credits::from_micro(1 + read_le<uint32_t>(data, size, 0) % 10'000'000);
    if (a && b) check_decimal_arithmetic(*a, *b, precision);
  }
  check_credits_value(read_le<int64_t>(data, size, 0));
  check_time_value(read_le<int64_t>(data, size, 0));
  pricing::Decimal x{read_le<int64_t>(data, size, 0), read_le<uint8_t>(data, size, 8) % 19};
  pricing::Decimal y{read_le<int64_t>(data, size, 9), read_le<uint8_t>(data, size, 17) % 19};
  check_decimal_arithmetic(x, y,
                           Credits::from_micro(1 + read_le<uint32_t>(data, size, 18) % 10'000'000));
  return 0;
}
