#include "service/histogram.h"

#include <gtest/gtest.h>

#include <thread>
#include <vector>

namespace tally::service {
namespace {

TEST(Histogram, BucketsAreIncreasingAndWithinAQuarterOfTheirValues) {
  const auto& b = Histogram::upper_bounds();
  for (size_t i = 1; i < b.size(); ++i) EXPECT_LT(b[i - 1], b[i]);
  EXPECT_EQ(b.back(), UINT64_MAX);
  for (uint64_t v : {1ull, 3ull, 5ull, 9ull, 17ull, 1000ull, 123'456ull, 1ull << 39}) {
    const uint64_t bound = b[Histogram::bucket_of(v)];
    EXPECT_GE(bound, v);
    EXPECT_LE(bound, v + v / 4 + 1) << v;
  }
  EXPECT_EQ(Histogram::bucket_of(uint64_t{1} << 41), b.size() - 1);  // +Inf
}

TEST(Histogram, QuantilesCountsSumAndMax) {
  Histogram h;
  EXPECT_EQ(h.snapshot().quantile(0.5), 0u);  // empty
  for (uint64_t v = 1; v <= 100; ++v) h.record(v);
  h.record(10'000);
  const HistogramSnapshot s = h.snapshot();
  EXPECT_EQ(s.count, 101u);
  EXPECT_EQ(s.sum, 5050u + 10'000u);
  EXPECT_EQ(s.max, 10'000u);
  EXPECT_EQ(s.quantile(0.5), 56u);  // the 51st value lies in (48, 56]
  EXPECT_EQ(s.quantile(0.99), 112u);  // the 100th value, 100, lies in (96, 112]
  EXPECT_EQ(s.quantile(1.0), 10'000u);  // capped at the exact maximum
  uint64_t total = 0;
  for (uint64_t c : s.counts) total += c;
  EXPECT_EQ(total, s.count);
  EXPECT_EQ(s.counts.size(), s.upper_bounds.size());
}

// The request stages' histograms are shared by the I/O threads: nothing is lost, not even the
// maximum, when several threads record at once.
TEST(Histogram, SeveralThreadsRecordAtOnce) {
  Histogram h;
  std::vector<std::thread> threads;
  for (uint64_t t = 1; t <= 4; ++t) {
    threads.emplace_back([&h, t] {
      for (uint64_t v = 1; v <= 10'000; ++v) h.record(v * t);
    });
  }
  for (std::thread& t : threads) t.join();
  const HistogramSnapshot s = h.snapshot();
  EXPECT_EQ(s.count, 40'000u);
  EXPECT_EQ(s.sum, 50'005'000u * (1 + 2 + 3 + 4));
  EXPECT_EQ(s.max, 40'000u);
}

}  // namespace
}  // namespace tally::service
