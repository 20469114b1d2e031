// Forecast and advice (advice.h, docs/reports.md), against hand-computed expectations on
// Amisi's plans and packs (seed 003) with plan prices added for the comparison.
#include "ledger/advice.h"

#include <gtest/gtest.h>

#include "ledger/test_support.h"

namespace tally::testing {
namespace {

constexpr std::array<char, 3> k_usd{'U', 'S', 'D'};

// Amisi: basic 20, pro 50, business 150 a month; packs 20 / 50 / 100 / 200 for 9.99 / 19.99 /
// 34.99 / 59.99.
Catalog amisi() {
  Catalog c;
  auto plan = [&](const char* id, int tier, const char* allocation) {
    Plan& p = c.plans.emplace_back();
    p.id = id;
    p.tier = tier;
    p.allocation = cr(allocation);
  };
  plan("basic", 1, "20");
  plan("pro", 2, "50");
  plan("business", 3, "150");
  auto pack = [&](const char* id, const char* credits, int64_t cents) {
    Pack& p = c.packs.emplace_back();
    p.id = id;
    p.credits = cr(credits);
    p.prices.push_back({Money{k_usd, cents}, ""});
  };
  pack("p20", "20", 999);
  pack("p50", "50", 1999);
  pack("p100", "100", 3499);
  pack("p200", "200", 5999);
  return c;
}

// Plans priced at 9.99, 19.99 and 49.99 a month in USD (the seed gives none).
std::optional<Money> priced(const Plan& p, std::string_view currency) {
  if (currency != "USD") return std::nullopt;
  const int64_t cents = p.id == "basic" ? 999 : p.id == "pro" ? 1999 : 4999;
  return Money{k_usd, cents};
}
std::optional<Money> unpriced(const Plan&, std::string_view) {
  return std::nullopt;
}

std::vector<PeriodUse> used(std::initializer_list<const char*> amounts) {
  std::vector<PeriodUse> out;
  TimeUs start = at("2026-01-01T00:00:00Z");
  for (const char* a : amounts) {
    const TimeUs end = add_us(start, 30 * k_us_per_day);
    out.push_back({start, end, cr(a)});
    start = end;
  }
  return out;
}

TEST(Advice, CheapestPacksCombineSizes) {
  const Catalog c = amisi();
  auto thirty = cheapest_packs(c, cr("30"), "USD");
  ASSERT_TRUE(thirty.has_value());
  EXPECT_EQ(thirty->price.minor, 1998);  // 2 x p20 (40 credits) beats p50 at 19.99
  EXPECT_EQ(thirty->credits, cr("40"));
  auto seventy = cheapest_packs(c, cr("70"), "USD");
  ASSERT_TRUE(seventy.has_value());
  EXPECT_EQ(seventy->price.minor, 2998);  // p20 + p50, under p100 (34.99) and 4 x p20
  EXPECT_EQ(seventy->packs.size(), 2u);
  auto fraction = cheapest_packs(c, cr("0.5"), "USD");
  ASSERT_TRUE(fraction.has_value());
  EXPECT_EQ(fraction->price.minor, 999);
  EXPECT_FALSE(cheapest_packs(c, cr("10"), "EUR").has_value());
}

// Amisi: "consistently exceeding by 50% or more: upgrading will likely provide better value".
// 45, 40 and 50 on basic (20): all three at 150 % or more; their mean, 45, fits pro (50). Staying
// costs 9.99 and packs for 25 more (2 x p20, 19.98) = 29.97 a month; pro costs 19.99: 9.98 saved.
TEST(Advice, ConsistentExcessOfHalfTheAllocationUpgrades) {
  const Catalog c = amisi();
  const Advice a = advise(c, &c.plans[0], cr("20"), used({"10", "45", "40", "50"}), "USD", priced);
  EXPECT_EQ(a.kind, AdviceKind::upgrade) << a.why;
  EXPECT_EQ(a.periods.size(), 3u);  // the last three
  EXPECT_EQ(a.periods_over, 3);
  EXPECT_EQ(a.need, cr("45"));
  EXPECT_EQ(a.upgrade_plan, "pro");
  EXPECT_EQ(a.upgrade_price->minor, 1999);
  EXPECT_EQ(a.stay_price->minor, 2997);
  EXPECT_EQ(a.saves->minor, 998);
}

// 35, 32 and 10: two of three periods at 150 % or more (a majority), mean 25.666667. Pro would
// cost 19.99; basic and one p20 for the 5.666667 over cost 19.98: the packs are cheaper.
TEST(Advice, AnUpgradeThatCostsMoreThanPacksIsNotAdvised) {
  const Catalog c = amisi();
  const Advice a = advise(c, &c.plans[0], cr("20"), used({"35", "32", "10"}), "USD", priced);
  EXPECT_EQ(a.kind, AdviceKind::buy_packs) << a.why;
  EXPECT_EQ(a.periods_over, 2);
  EXPECT_EQ(a.need, cr("25.666667"));
  EXPECT_EQ(a.upgrade_plan, "pro");
  EXPECT_EQ(a.saves->minor, -1);
}

// Amisi: "occasional extra usage ... purchasing additional credits as needed may be more
// economical". 25 is 125 % of basic once: one p20 covers the 5 over.
TEST(Advice, OccasionalExcessBuysThePack) {
  const Catalog c = amisi();
  const Advice a = advise(c, &c.plans[0], cr("20"), used({"25", "10", "12"}), "USD", priced);
  EXPECT_EQ(a.kind, AdviceKind::buy_packs) << a.why;
  EXPECT_EQ(a.periods_over, 0);
  ASSERT_TRUE(a.packs.has_value());
  EXPECT_EQ(a.packs->price.minor, 999);
  // One period at 225 % is not "consistently": packs for its 25 over (2 x p20).
  const Advice once = advise(c, &c.plans[0], cr("20"), used({"45"}), "USD", priced);
  EXPECT_EQ(once.kind, AdviceKind::buy_packs) << once.why;
  EXPECT_EQ(once.packs->price.minor, 1998);
  // 30 is exactly 150 %: it counts.
  EXPECT_EQ(advise(c, &c.plans[0], cr("20"), used({"30", "30"}), "USD", priced).periods_over, 2);
}

// Without plan prices the rule still holds: the smallest plan that covers the mean, with no
// saving stated (and no price to refuse it on).
TEST(Advice, WithoutPlanPricesTheCoveringPlanIsNamed) {
  const Catalog c = amisi();
  const Advice a = advise(c, &c.plans[0], cr("20"), used({"35", "32", "10"}), "USD", unpriced);
  EXPECT_EQ(a.kind, AdviceKind::upgrade) << a.why;
  EXPECT_EQ(a.upgrade_plan, "pro");
  EXPECT_FALSE(a.upgrade_price.has_value());
  EXPECT_FALSE(a.saves.has_value());
  // 160 a period is more than any monthly plan but business' 150: none covers it.
  const Advice big = advise(c, &c.plans[0], cr("20"), used({"160", "160"}), "USD", unpriced);
  EXPECT_EQ(big.kind, AdviceKind::buy_packs) << big.why;
  EXPECT_EQ(big.upgrade_plan, "");
  // Packs for its 140 over: p100 + 2 x p20 (54.97), under p200 (59.99) and p100 + p50 (54.98).
  EXPECT_EQ(big.packs->price.minor, 5497);
  EXPECT_EQ(big.packs->credits, cr("140"));
}

TEST(Advice, WithinTheAllocationStays) {
  const Catalog c = amisi();
  EXPECT_EQ(advise(c, &c.plans[0], cr("20"), used({"10", "20", "5"}), "USD", priced).kind,
            AdviceKind::stay);
  EXPECT_EQ(advise(c, nullptr, Credits{}, used({"100"}), "USD", priced).kind, AdviceKind::stay);
}

Lot lot(const char* remaining, TimeUs expires) {
  Lot l;
  l.remaining = cr(remaining);
  l.amount = l.remaining;
  l.effective_at = at("2026-01-01T00:00:00Z");
  l.expires_at = expires;
  return l;
}

// 10 credits expiring in 5 days, then 20 that never expire. At 14 credits in 7 days (2 a day)
// the 10 last exactly 5 days and the 20 ten more: out on day 15, nothing lost. At 30 in 30
// days (1 a day) only 5 of the 10 are used before they expire; the 20 last 20 days from day 5.
TEST(Forecast, BurnRateRunsOutAndWhatExpiresFirst) {
  const TimeUs now = at("2026-03-01T00:00:00Z");
  const std::vector<Lot> lots = {lot("10", at("2026-03-06T00:00:00Z")), lot("20", TimeUs::never())};
  const BurnRate week = forecast(lots, now, 7, cr("14"));
  EXPECT_EQ(week.per_day, cr("2"));
  EXPECT_EQ(week.runs_out_at, at("2026-03-16T00:00:00Z"));
  EXPECT_EQ(week.expires_unused, cr("0"));
  const BurnRate month = forecast(lots, now, 30, cr("30"));
  EXPECT_EQ(month.per_day, cr("1"));
  EXPECT_EQ(month.runs_out_at, at("2026-03-26T00:00:00Z"));
  EXPECT_EQ(month.expires_unused, cr("5"));
  const BurnRate idle = forecast(lots, now, 7, Credits{});
  EXPECT_FALSE(idle.runs_out_at.has_value());
  EXPECT_EQ(idle.expires_unused, cr("10"));
}

TEST(Forecast, ConsumptionIsNetOfRefunds) {
  ConsumptionLog log;
  Entry spend;
  spend.at = at("2026-03-01T00:00:00Z");
  spend.kind = EntryKind::spend;
  spend.counter = Book::consumption;
  spend.amount = -cr("5");
  Entry refund = spend;
  refund.kind = EntryKind::refund;
  refund.amount = cr("2");
  Entry hold = spend;
  hold.kind = EntryKind::hold;
  hold.counter = Book::none;
  hold.held = cr("5");
  for (const Entry& e : {spend, refund, hold}) log.add(e);
  EXPECT_EQ(log.between(at("2026-03-01T00:00:00Z"), at("2026-03-02T00:00:00Z")), cr("3"));
  EXPECT_EQ(log.between(at("2026-03-02T00:00:00Z"), at("2026-03-03T00:00:00Z")), cr("0"));
}

}  // namespace
}  // namespace tally::testing
