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

// The range of times RFC 3339 can write (four-digit years): parse_time reads no time outside
// it, and time arithmetic stops at its end, so every time Tally computes can be written and
// read back (issue 13).
inline constexpr TimeUs k_time_min{-62'167'219'200'000'000};  // 0000-01-01T00:00:00Z
inline constexpr TimeUs k_time_max{253'402'300'799'999'999};  // 9999-12-31T23:59:59.999999Z

// t + d_us, stopping at k_time_max; never() (and any time past k_time_max) stays never().
// Asserts d_us >= 0.
inline TimeUs add_us(TimeUs t, int64_t d_us) {
  TALLY_CHECK(d_us >= 0);
  if (t > k_time_max) return TimeUs::never();
  int64_t r = 0;
  if (__builtin_add_overflow(t.us, d_us, &r) || r > k_time_max.us) return k_time_max;
  return TimeUs{r};
}

// Calendar months in UTC, keeping the time of day; the day is clamped to the end of the
// target month (Jan 31 + 1 month = Feb 28 or 29). n may be negative. never stays never; the
// result stops at k_time_max (t must not be past it).
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
// Parses RFC 3339 with 'Z' or a numeric offset ("+02:00"), up to 6 fractional digits; nullopt
// for a time outside [k_time_min, k_time_max] once the offset is applied.
[[nodiscard]] std::optional<TimeUs> parse_time(std::string_view text);

}  // namespace tally
