#include "ledger/lot_order.h"

#include <gtest/gtest.h>

namespace tally {
namespace {

Lot make(uint64_t id, Source source, int64_t expires_us, int64_t granted_us) {
  Lot l;
  l.id = LotId{id};
  l.source = source;
  l.expires_at = TimeUs{expires_us};
  l.granted_at = TimeUs{granted_us};
  l.remaining = Credits::from_credits(1);
  return l;
}

TEST(LotOrder, ExpiryFirstIsAStrictOrder) {
  LedgerConfig config;
  Lot a = make(1, Source::purchase, 10, 0);
  Lot b = make(2, Source::reward, 20, 0);
  Lot never = make(3, Source::reward, INT64_MAX, 0);
  EXPECT_TRUE(consumes_before(a, b, config));
  EXPECT_FALSE(consumes_before(b, a, config));
  EXPECT_TRUE(consumes_before(b, never, config));
  EXPECT_FALSE(consumes_before(a, a, config));
}

TEST(LotOrder, PriorityFirstPutsSourceBeforeExpiry) {
  LedgerConfig config;
  config.policy = ConsumptionPolicy::priority_first;
  Lot purchase_soon = make(1, Source::purchase, 10, 0);
  Lot reward_late = make(2, Source::reward, 20, 0);
  EXPECT_TRUE(consumes_before(reward_late, purchase_soon, config));
  Lot reward_older = make(3, Source::reward, 20, -5);
  EXPECT_TRUE(consumes_before(reward_older, reward_late, config));
}

TEST(LotOrder, EligibilityChecksTimeScopeAndVoid) {
  Lot l = make(1, Source::promo, 100, 0);
  l.effective_at = TimeUs{10};
  l.scope = {"upscale", "video"};
  EXPECT_FALSE(is_eligible(l, "video", TimeUs{9}));
  EXPECT_TRUE(is_eligible(l, "video", TimeUs{10}));
  EXPECT_FALSE(is_eligible(l, "image", TimeUs{10}));
  EXPECT_FALSE(is_eligible(l, "video", TimeUs{100}));
  l.voided = true;
  EXPECT_FALSE(is_eligible(l, "video", TimeUs{50}));
}

TEST(Names, EveryEnumRoundTrips) {
  for (Source s : k_all_sources) EXPECT_EQ(parse_source(source_name(s)), s);
  EXPECT_FALSE(parse_source("bonus").has_value());
  EXPECT_EQ(parse_policy("priority_first"), ConsumptionPolicy::priority_first);
  EXPECT_FALSE(parse_policy("fifo").has_value());
}

}  // namespace
}  // namespace tally
