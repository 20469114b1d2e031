#include "ledger/time.h"

#include <gtest/gtest.h>

namespace tally {
namespace {

TimeUs at(const char* text) {
  auto t = parse_time(text);
  EXPECT_TRUE(t.has_value()) << text;
  return t.value_or(TimeUs{});
}

TEST(Time, ParseAndFormatRoundTrip) {
  for (const char* text : {"1970-01-01T00:00:00Z", "2026-11-21T05:29:58Z",
                           "2024-02-29T23:59:59.000001Z", "1969-12-31T23:59:59.5Z"}) {
    EXPECT_EQ(format_time(at(text)),
              text == std::string("1969-12-31T23:59:59.5Z") ? "1969-12-31T23:59:59.500000Z" : text);
  }
  EXPECT_EQ(at("1970-01-01T00:00:01Z").us, k_us_per_second);
  EXPECT_EQ(at("1970-01-01T02:00:00+02:00").us, 0);
  EXPECT_EQ(format_time(TimeUs::never()), "never");
}

TEST(Time, ParseRejectsMalformed) {
  for (const char* bad :
       {"", "2026-11-21", "2026-11-21T05:29:58", "2026-13-01T00:00:00Z", "2026-02-29T00:00:00Z",
        "2026-11-21T24:00:00Z", "2026-11-21T05:29:58.Z", "2026-11-21T05:29:58.1234567Z",
        "2026-11-21T05:29:58Zjunk", "2026-11-21 05:29:58Z", "2026-11-21T05:29:58+0200"}) {
    EXPECT_FALSE(parse_time(bad).has_value()) << bad;
  }
}

TEST(Time, AddMonthsClampsToMonthEnd) {
  EXPECT_EQ(format_time(add_months(at("2026-01-31T10:00:00Z"), 1)), "2026-02-28T10:00:00Z");
  EXPECT_EQ(format_time(add_months(at("2028-01-31T10:00:00Z"), 1)), "2028-02-29T10:00:00Z");
  EXPECT_EQ(format_time(add_months(at("2026-01-31T10:00:00Z"), 3)), "2026-04-30T10:00:00Z");
  EXPECT_EQ(format_time(add_months(at("2026-11-21T05:00:00Z"), 12)), "2027-11-21T05:00:00Z");
  EXPECT_EQ(format_time(add_months(at("2026-03-31T00:00:00Z"), -1)), "2026-02-28T00:00:00Z");
  EXPECT_TRUE(add_months(TimeUs::never(), 1).is_never());
}

TEST(Time, AddUsSaturatesAtNever) {
  EXPECT_TRUE(add_us(TimeUs{INT64_MAX - 5}, 10).is_never());
  EXPECT_EQ(add_us(TimeUs{5}, 10).us, 15);
  EXPECT_EQ(format_time(day_start(at("2026-11-21T05:29:58Z"))), "2026-11-21T00:00:00Z");
  EXPECT_EQ(format_time(day_start(at("1969-12-31T23:00:00Z"))), "1969-12-31T00:00:00Z");
}

// Issue 13 item 8: parse_time reads exactly what format_time writes as RFC 3339 (years 0000 to
// 9999), and time arithmetic stops at the last such instant.
TEST(Time, TimesStayWithinWhatRfc3339CanWrite) {
  EXPECT_EQ(format_time(k_time_max), "9999-12-31T23:59:59.999999Z");
  EXPECT_EQ(at("9999-12-31T23:59:59.999999Z"), k_time_max);
  EXPECT_EQ(format_time(k_time_min), "0000-01-01T00:00:00Z");
  EXPECT_EQ(at("0000-01-01T00:00:00Z"), k_time_min);
  // An offset that moves a time past either end.
  EXPECT_FALSE(parse_time("9999-12-31T23:59:59-00:01").has_value());
  EXPECT_FALSE(parse_time("0000-01-01T00:00:00+00:01").has_value());
  EXPECT_EQ(add_months(at("9999-12-31T00:00:00Z"), 12), k_time_max);
  EXPECT_EQ(add_months(at("9999-11-30T00:00:00Z"), 1), at("9999-12-30T00:00:00Z"));
  EXPECT_EQ(add_us(at("9999-12-31T00:00:00Z"), 7 * k_us_per_day), k_time_max);
  EXPECT_EQ(add_us(k_time_max, 1), k_time_max);
  EXPECT_TRUE(add_us(TimeUs::never(), 1).is_never());
  EXPECT_TRUE(add_months(TimeUs::never(), 1).is_never());
}

}  // namespace
}  // namespace tally
