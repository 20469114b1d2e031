#include "service/key_filter.h"

#include <gtest/gtest.h>

#include "ledger/text.h"

namespace tally::service {
namespace {

TEST(KeyFilter, NoFalseNegativesAndFewFalsePositivesAsItGrows) {
  KeyFilter f(1000);  // grows through several blocks
  constexpr int k_keys = 50'000;
  for (int i = 0; i < k_keys; ++i) f.add(cat("job-", i));
  EXPECT_EQ(f.size(), static_cast<uint64_t>(k_keys));
  for (int i = 0; i < k_keys; ++i) ASSERT_TRUE(f.may_contain(cat("job-", i))) << i;
  int false_positives = 0;
  for (int i = 0; i < k_keys; ++i) false_positives += f.may_contain(cat("other-", i)) ? 1 : 0;
  // About 0.05 % per block, over a handful of blocks: well under 1 %.
  EXPECT_LT(false_positives, k_keys / 100);
  EXPECT_LE(f.memory_bytes(), 8u * k_keys);
  EXPECT_FALSE(f.saturated());
}

TEST(KeyFilter, PastItsMemoryBoundEveryKeyMayBeThere) {
  KeyFilter f(1000, /*bytes_max=*/16 << 10);
  for (int i = 0; i < 20'000; ++i) f.add(cat("job-", i));
  EXPECT_TRUE(f.saturated());
  EXPECT_LE(f.memory_bytes(), 16u << 10);
  EXPECT_TRUE(f.may_contain("job-1"));
  EXPECT_TRUE(f.may_contain("never-added"));  // looked up: slower, never wrong
}

TEST(KeyFilter, AnEmptyFilterContainsNothing) {
  KeyFilter f;
  EXPECT_FALSE(f.may_contain("anything"));
  EXPECT_FALSE(f.may_contain(""));
}

}  // namespace
}  // namespace tally::service
