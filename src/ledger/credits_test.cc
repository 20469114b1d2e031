#include "ledger/credits.h"
#include "ledger/text.h"

#include <gtest/gtest.h>

namespace tally {
namespace {

TEST(Credits, ParseAndFormatRoundTrip) {
  struct Case {
    const char* text;
    int64_t micro;
  } cases[] = {{"0", 0},           {"12", 12'000'000}, {"12.5", 12'500'000},
               {"0.000001", 1},    {"-0.000001", -1},  {"1000000", 1'000'000'000'000},
               {"3.14", 3'140'000}};
  for (const auto& c : cases) {
    auto parsed = parse_credits(c.text);
    ASSERT_TRUE(parsed.has_value()) << c.text;
    EXPECT_EQ(parsed->micro, c.micro) << c.text;
    EXPECT_EQ(format_credits(*parsed), c.text);
  }
}

TEST(Credits, ParseRejectsMalformed) {
  for (const char* bad : {"", "-", ".5", "5.", "1.0000001", "1e3", "+1", " 1", "1 ", "0x10", "12a",
                          "99999999999999", "9223372036854.775808", "1..2", "--1"}) {
    EXPECT_FALSE(parse_credits(bad).has_value()) << bad;
  }
}

TEST(Credits, ParseAcceptsLargestAmount) {
  auto max = parse_credits("9223372036854.775807");
  ASSERT_TRUE(max.has_value());
  EXPECT_EQ(max->micro, INT64_MAX);
}

TEST(Credits, CheckedArithmeticReportsOverflow) {
  Credits max = Credits::from_micro(INT64_MAX);
  EXPECT_FALSE(checked_add(max, Credits::from_micro(1)).has_value());
  EXPECT_FALSE(checked_sub(Credits::from_micro(INT64_MIN), Credits::from_micro(1)).has_value());
  EXPECT_FALSE(checked_mul(max, 2).has_value());
  EXPECT_EQ(checked_mul(Credits::from_credits(7), 4)->micro, 28'000'000);
  EXPECT_EQ(format_credits(Credits::from_micro(INT64_MIN)), "-9223372036854.775808");
}

TEST(CreditsDeathTest, OperatorsStopOnOverflow) {
  Credits max = Credits::from_micro(INT64_MAX);
  EXPECT_DEATH({ [[maybe_unused]] auto r = max + Credits::from_micro(1); }, "check failed");
}

}  // namespace
}  // namespace tally

namespace tally {
namespace {

// cat() writes floating-point values as numbers (it once wrote a double as one char, and the
// /metrics histograms came out as bytes).
TEST(Text, CatWritesFloatingPointAsTheShortestNumber) {
  EXPECT_EQ(cat(0.0001), "0.0001");
  EXPECT_EQ(cat("le=\"", 2.5, "\" ", 3), "le=\"2.5\" 3");
  EXPECT_EQ(cat(static_cast<double>(1500) / 1e6), "0.0015");
  EXPECT_EQ(cat('x', uint8_t{7}), "x7");
}

}  // namespace
}  // namespace tally
