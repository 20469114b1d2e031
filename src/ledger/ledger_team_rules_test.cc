// DESIGN rule 11 (issue 17), the cases ledger_team_test.cc leaves out: each named rule where two
// of them meet (two budgets and a refusal, a removed member and a timeout, a period boundary and
// a capture), weekly and monthly boundaries with their own anchors, and a limit lowered below
// usage. Spends stay in memory as long as they are kept, so the Harness's invariants count every
// budget's usage again from its open holds and spends after every command.
#include <gtest/gtest.h>

#include "ledger/test_support.h"

namespace tally::testing {
namespace {

LedgerConfig recounting_config() {
  LedgerConfig config = tracked_config();
  config.memory_window_us = config.spend_retention_us;
  return config;
}

struct TeamRig {
  Harness h{recounting_config(), "2026-03-10T12:00:00Z", test_catalog()};

  // Team "t" on Amisi Business, owned by olga, with ana (member) and 1000 credits.
  TeamRig() {
    EXPECT_TRUE(h.run(OpenAccount{"t", "business", false, true, "olga"}).has_value());
    EXPECT_TRUE(h.run(AddMember{"t", "ana", Role::member}).has_value());
    h.grant("t", Source::purchase, "1000", never_expires());
  }
  Result hold(const char* member, const char* amount, const char* project = "",
              int64_t ttl_us = 15 * k_us_per_minute) {
    PlaceHold c = team_hold("t", member, amount, project);
    c.ttl_us = ttl_us;
    return h.run(c);
  }
  Result spend(const char* member, const char* amount, const char* project = "") {
    return h.run(team_spend("t", member, amount, project));
  }
  Result budget(const char* id, const char* member, const char* project, const char* limit,
                BudgetPeriod period = BudgetPeriod::month,
                std::optional<TimeUs> anchor = std::nullopt) {
    AddBudget c;
    c.account = "t";
    c.spec = BudgetSpec{id, member, project, cr(limit), period, {}, BudgetMode::hard};
    c.anchor = anchor;
    return h.run(c);
  }
  // The budget's usage as a read at now() shows it.
  Credits used(const char* id) {
    const Budget* stored = h.ledger().find_account("t")->team->find_budget(id);
    EXPECT_NE(stored, nullptr);
    Budget b = *stored;
    b.roll_to(h.now());
    return b.used;
  }
  static HoldId hold_id(const Result& r) { return std::get<HoldReply>(*r).hold; }
  static SpendId spend_id(const Result& r) { return std::get<SpendReply>(*r).spend; }
};

TEST(TeamRules, AHardBudgetRefusesWholeAndTwoBudgetsOnOneDebitCountNothingOfARefusal) {
  TeamRig f;
  ASSERT_TRUE(f.budget("ana", "ana", "", "100").has_value());
  ASSERT_TRUE(f.budget("launch", "", "launch", "50").has_value());
  const HoldId first = f.hold_id(f.hold("ana", "40", "launch"));
  const size_t journal = f.h.journal().size();
  const Credits available = f.h.available("t");
  // Within ana's 60 left, past the project's 10: refused whole, by the project's budget.
  Result r = f.hold("ana", "20", "launch");
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error().code, ErrorCode::budget_exceeded);
  EXPECT_EQ(r.error().budget.budget, "launch");
  EXPECT_EQ(r.error().budget.left, cr("10"));
  EXPECT_EQ(r.error().shortfall, cr("10"));
  EXPECT_EQ(f.h.journal().size(), journal);
  EXPECT_EQ(f.h.available("t"), available);
  EXPECT_EQ(f.used("ana"), cr("40"));  // the budget that passed it counted nothing either
  EXPECT_EQ(f.used("launch"), cr("40"));
  // A release gives back to both budgets it counted against.
  f.h.release(first);
  EXPECT_EQ(f.used("ana"), cr("0"));
  EXPECT_EQ(f.used("launch"), cr("0"));
  EXPECT_TRUE(f.hold("ana", "50", "launch").has_value());
}

TEST(TeamRules, ARefundOfACapturedHoldGivesBudgetBack) {
  TeamRig f;
  ASSERT_TRUE(f.budget("ana", "ana", "", "100").has_value());
  const HoldId h = f.hold_id(f.hold("ana", "70"));
  const SpendId s = f.h.capture(h, cr("60")).spend;
  EXPECT_EQ(f.used("ana"), cr("60"));
  f.h.refund(s, cr("25"));
  EXPECT_EQ(f.used("ana"), cr("35"));
  EXPECT_EQ(f.hold("ana", "66").error().code, ErrorCode::budget_exceeded);
  f.h.refund(s);
  EXPECT_EQ(f.used("ana"), cr("0"));
  EXPECT_TRUE(f.spend("ana", "100").has_value());
}

TEST(TeamRules, AWeeklyPeriodBoundaryResetsUsageAtItsAnchoredInstant) {
  TeamRig f;  // Tuesday 2026-03-10T12:00Z; weeks from Wednesday 09:30
  ASSERT_TRUE(f.budget("ana-week", "ana", "", "30", BudgetPeriod::week, at("2026-03-04T09:30:00Z"))
                  .has_value());
  ASSERT_TRUE(f.spend("ana", "30").has_value());
  f.h.advance_to(at("2026-03-11T09:29:59.999999Z"));
  EXPECT_EQ(f.spend("ana", "0.01").error().code, ErrorCode::budget_exceeded);
  f.h.advance_to(at("2026-03-11T09:30:00Z"));
  EXPECT_EQ(f.used("ana-week"), cr("0"));
  EXPECT_TRUE(f.spend("ana", "30").has_value());
  EXPECT_EQ(f.spend("ana", "0.01").error().code, ErrorCode::budget_exceeded);
}

TEST(TeamRules, AMonthlyPeriodBoundaryResetsUsageAtItsInstantInAShortMonth) {
  TeamRig f;  // 2026-03-10; months from the 31st at 08:00: this one began on February 28
  Result made = f.budget("m", "", "site", "20", BudgetPeriod::month, at("2026-01-31T08:00:00Z"));
  ASSERT_TRUE(made.has_value());
  EXPECT_EQ(std::get<BudgetReply>(*made).budget.period_start, at("2026-02-28T08:00:00Z"));
  EXPECT_EQ(std::get<BudgetReply>(*made).budget.period_end, at("2026-03-31T08:00:00Z"));
  ASSERT_TRUE(f.spend("olga", "20", "site").has_value());
  f.h.advance_to(at("2026-03-31T07:59:59.999999Z"));
  EXPECT_EQ(f.spend("ana", "1", "site").error().code, ErrorCode::budget_exceeded);
  EXPECT_TRUE(f.spend("ana", "1", "other").has_value());  // another project
  f.h.advance_to(at("2026-03-31T08:00:00Z"));
  EXPECT_EQ(f.used("m"), cr("0"));
  EXPECT_TRUE(f.spend("ana", "20", "site").has_value());
}

TEST(TeamRules, AHoldCountsInThePeriodItWasPlacedInEvenWhenCapturedInTheNext) {
  TeamRig f;
  ASSERT_TRUE(f.budget("ana-day", "ana", "", "50", BudgetPeriod::day).has_value());
  f.h.advance_to(at("2026-03-10T23:00:00Z"));
  const HoldId h = f.hold_id(f.hold("ana", "50", "", 2 * k_us_per_hour));
  EXPECT_EQ(f.spend("ana", "1").error().code, ErrorCode::budget_exceeded);
  f.h.advance_to(at("2026-03-11T00:30:00Z"));
  EXPECT_EQ(f.used("ana-day"), cr("0"));
  ASSERT_TRUE(f.spend("ana", "40").has_value());
  // Yesterday's hold captured today, for less than held: today's usage does not move, and
  // neither does a refund of what it took.
  const SpendId s = f.h.capture(h, cr("30")).spend;
  EXPECT_EQ(f.used("ana-day"), cr("40"));
  f.h.refund(s);
  EXPECT_EQ(f.used("ana-day"), cr("40"));
  EXPECT_TRUE(f.spend("ana", "10").has_value());
  EXPECT_EQ(f.spend("ana", "0.01").error().code, ErrorCode::budget_exceeded);
}

TEST(TeamRules, AMemberRemovedMidHoldGetsBudgetBackFromATimeoutAndARefund) {
  TeamRig f;
  ASSERT_TRUE(f.budget("ana", "ana", "", "100").has_value());
  ASSERT_TRUE(f.hold("ana", "30", "", k_us_per_minute).has_value());
  const SpendId s = f.spend_id(f.spend("ana", "50"));
  ASSERT_TRUE(f.h.run(RemoveMember{"t", "ana"}).has_value());
  EXPECT_EQ(f.hold("ana", "1").error().code, ErrorCode::not_a_member);
  f.h.advance_us(2 * k_us_per_minute);  // the hold times out
  EXPECT_EQ(f.used("ana"), cr("50"));
  f.h.refund(s, cr("20"));
  EXPECT_EQ(f.used("ana"), cr("30"));
  // Back in the team, ana spends against the same budget and what it already used.
  ASSERT_TRUE(f.h.run(AddMember{"t", "ana", Role::member}).has_value());
  EXPECT_EQ(f.spend("ana", "71").error().code, ErrorCode::budget_exceeded);
  EXPECT_TRUE(f.spend("ana", "70").has_value());
  // As a viewer it may not spend at all, whatever its budget leaves.
  ASSERT_TRUE(f.h.run(SetMemberRole{"t", "ana", Role::viewer}).has_value());
  ASSERT_TRUE(f.h.run(UpdateBudget{"t", "ana", cr("500"), std::nullopt}).has_value());
  EXPECT_EQ(f.spend("ana", "1").error().code, ErrorCode::forbidden);
}

// The one way a hard budget's usage is past its limit: an update lowers the limit below what
// was used. No debit then passes; what comes back lowers usage, and debits resume once it is
// under the limit again.
TEST(TeamRules, ALimitLoweredBelowUsageRefusesEveryDebitUntilUsageFalls) {
  TeamRig f;
  ASSERT_TRUE(f.budget("ana", "ana", "", "100").has_value());
  const HoldId h = f.hold_id(f.hold("ana", "60"));
  ASSERT_TRUE(f.spend("ana", "20").has_value());
  Result lowered = f.h.run(UpdateBudget{"t", "ana", cr("50"), std::nullopt});
  ASSERT_TRUE(lowered.has_value());
  EXPECT_EQ(std::get<BudgetReply>(*lowered).budget.used, cr("80"));
  Result r = f.spend("ana", "0.01");
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error().budget.left, cr("0"));
  f.h.release(h);
  EXPECT_EQ(f.used("ana"), cr("20"));
  EXPECT_EQ(f.spend("ana", "31").error().code, ErrorCode::budget_exceeded);
  EXPECT_TRUE(f.spend("ana", "30").has_value());
}

}  // namespace
}  // namespace tally::testing
