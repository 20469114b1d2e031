// Time as an input (DESIGN rule 10): microseconds since the Unix epoch, UTC.
// Nothing here reads a clock; these are value types and pure calendar arithmetic.
#pragma once

#include <compare>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "ledger/check.h"

namespace tally {

inline constexpr int64_t k_us_per_second = 1'000'000;
inline constexpr int64_t k_us_per_minute = 60 * k_us_per_second;
inline constexpr int64_t k_us_per_hour = 60 * k_us_per_minute;
inline constexpr int64_t k_us_per_day = 24 * k_us_per_hour;

struct TimeUs {
  int64_t us = 0;

  // The end of time: a lot that never expires has expires_at == TimeUs::never().
  static constexpr TimeUs never() { return TimeUs{INT64_MAX}; }
  constexpr bool is_never() const { return us == INT64_MAX; }

  friend constexpr auto operator<=>(TimeUs, TimeUs) = default;
};

// t + d_us, saturating at never() (never + anything stays never). Asserts d_us >= 0.
inline TimeUs add_us(TimeUs t, int64_t d_us) {
  TALLY_CHECK(d_us >= 0);
  int64_t r = 0;
  if (t.is_never() || __builtin_add_overflow(t.us, d_us, &r)) return TimeUs::never();
  return TimeUs{r};
}

// Calendar months in UTC, keeping the time of day; the day is clamped to the end of the
// target month (Jan 31 + 1 month = Feb 28 or 29). n may be negative. never stays never.
TimeUs add_months(TimeUs t, int n);

struct CivilTime {
  int64_t year;
  int month;  // 1..12
  int day;    // 1..31
  int hour, minute, second;
  int64_t micro;  // 0..999999
};
CivilTime to_civil(TimeUs t);
TimeUs from_civil(const CivilTime& c);

// The start (00:00 UTC) of the day containing t.
TimeUs day_start(TimeUs t);

// RFC 3339 in UTC: "2026-11-21T05:29:58Z", with ".ffffff" only when there are microseconds.
// never() formats as "never".
std::string format_time(TimeUs t);
// Parses RFC 3339 with 'Z' or a numeric offset ("+02:00"), up to 6 fractional digits.
[[nodiscard]] std::optional<TimeUs> parse_time(std::string_view text);

}  // namespace tally
