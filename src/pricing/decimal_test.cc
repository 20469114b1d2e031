#include "pricing/decimal.h"

#include <gtest/gtest.h>

namespace tally::pricing {
namespace {

Decimal dec(const char* s) {
  auto d = parse_decimal(s, 12);  // tests build values finer than a book may write
  EXPECT_TRUE(d.has_value()) << s;
  return d.value_or(Decimal{});
}

TEST(Decimal, ParseAndFormatRoundTrip) {
  for (const char* s : {"0", "1", "1.5", "0.000001", "200000", "2.875", "999999999999999999"}) {
    EXPECT_EQ(format_decimal(dec(s)), s);
  }
  EXPECT_EQ(format_decimal(dec("1.50")), "1.5");
  EXPECT_EQ(format_decimal(dec("007")), "7");
}

TEST(Decimal, ParseRejectsMalformed) {
  for (const char* s : {"", ".5", "5.", "-1", "+1", "1e3", "1.0000001", "1,5", " 1", "×1.5",
                        "1.2.3", "1000000000000000000"}) {
    EXPECT_FALSE(parse_decimal(s).has_value()) << s;
  }
}

TEST(Decimal, ArithmeticIsExact) {
  // 0.1 + 0.2 is exactly 0.3 (binary fractions would give 0.30000000000000004).
  EXPECT_EQ(format_decimal(*checked_add(dec("0.1"), dec("0.2"))), "0.3");
  EXPECT_EQ(format_decimal(*checked_mul(dec("7"), dec("1.5"))), "10.5");
  EXPECT_EQ(format_decimal(*checked_mul(dec("0.000001"), dec("0.000001"))), "0.000000000001");
  EXPECT_EQ(format_decimal(*checked_sub(dec("4"), dec("3.75"))), "0.25");
  EXPECT_TRUE(same_value(dec("1.5"), Decimal{1500, 3}));
  EXPECT_EQ(*compare(dec("2.5"), dec("2.50")), 0);
  EXPECT_EQ(*compare(dec("2.4"), dec("2.5")), -1);
}

TEST(Decimal, OverflowIsAValue) {
  Decimal big{static_cast<Int128>(1) << 126, 0};
  EXPECT_FALSE(checked_mul(big, Decimal::from_int(1024)).has_value());
  EXPECT_FALSE(checked_add(big, big).has_value());
  EXPECT_FALSE(ceil_to_precision(big, Credits::from_credits(1)).has_value());
  // Scales beyond the limit normalize before giving up: 1.000000 × 1.000000 … stays exact.
  Decimal one{1'000'000, 6};
  Decimal v = one;
  for (int i = 0; i < 10; ++i) v = *checked_mul(v, one);
  EXPECT_EQ(format_decimal(v), "1");
}

TEST(Decimal, RoundingIsNamedAndExact) {
  const Credits whole = Credits::from_credits(1);
  EXPECT_EQ(ceil_to_precision(dec("3.2"), whole)->micro, 4'000'000);
  EXPECT_EQ(ceil_to_precision(dec("3"), whole)->micro, 3'000'000);
  EXPECT_EQ(ceil_to_precision(dec("3.0000000001"), whole)->micro, 4'000'000);
  EXPECT_EQ(floor_to_precision(dec("3.9"), whole)->micro, 3'000'000);
  EXPECT_EQ(nearest_to_precision(dec("3.5"), whole)->micro, 4'000'000);
  EXPECT_EQ(nearest_to_precision(dec("3.4999999"), whole)->micro, 3'000'000);
  const Credits half = Credits::from_micro(500'000);
  EXPECT_EQ(ceil_to_precision(dec("3.2"), half)->micro, 3'500'000);
  EXPECT_EQ(floor_to_precision(dec("3.2"), half)->micro, 3'000'000);
  const Credits cent = Credits::from_micro(10'000);
  EXPECT_EQ(round_to_precision(dec("0.125"), cent, RoundingDirection::nearest)->micro, 130'000);
  EXPECT_EQ(round_to_precision(dec("0.125"), cent, RoundingDirection::down)->micro, 120'000);
  EXPECT_EQ(to_credits_exact(dec("0.0000001")), std::nullopt);
  EXPECT_EQ(to_credits_exact(dec("12.5"))->micro, 12'500'000);
}

}  // namespace
}  // namespace tally::pricing
