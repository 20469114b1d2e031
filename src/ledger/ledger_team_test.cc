// Team accounts (issue 17, DESIGN rule 11): members and their roles, and budgets checked
// atomically with the debit that would break them. Each test is a rule; every command runs
// through the Harness, which checks every invariant (a budget's usage covers its open holds) and
// verifies the journal after it.
#include <gtest/gtest.h>

#include <algorithm>

#include "ledger/ledger_state.h"
#include "ledger/test_support.h"

namespace tally::testing {
namespace {

struct TeamFixture {
  Harness h{tracked_config(), "2026-03-10T12:00:00Z", test_catalog()};

  // Team "t" on Amisi Business (up to 10 members), owned by olga, with ana (member), vic
  // (viewer) and 1000 credits that never expire.
  TeamFixture() {
    EXPECT_TRUE(h.run(OpenAccount{"t", "business", false, true, "olga"}).has_value());
    EXPECT_TRUE(h.run(AddMember{"t", "ana", Role::member}).has_value());
    EXPECT_TRUE(h.run(AddMember{"t", "vic", Role::viewer}).has_value());
    h.grant("t", Source::purchase, "1000", never_expires());
  }
  Result hold(const char* member, const char* amount, const char* project = "") {
    return h.run(team_hold("t", member, amount, project));
  }
  Result spend(const char* member, const char* amount, const char* project = "") {
    return h.run(team_spend("t", member, amount, project));
  }
  Result budget(const char* id, const char* member, const char* project, const char* limit,
                BudgetPeriod period = BudgetPeriod::month, BudgetMode mode = BudgetMode::hard) {
    AddBudget c;
    c.account = "t";
    c.spec = BudgetSpec{id, member, project, cr(limit), period, {}, mode};
    return h.run(c);
  }
  const Budget& state(const char* id) {
    const Budget* b = h.ledger().find_account("t")->team->find_budget(id);
    EXPECT_NE(b, nullptr);
    return *b;
  }
  // The budget's usage as a read at now() shows it (rolled to the current period).
  Credits used(const char* id) {
    Budget b = state(id);
    b.roll_to(h.now());
    return b.used;
  }
  Result budget_alert(const char* id, const char* limit, const char* alert_at,
                      BudgetPeriod period = BudgetPeriod::month,
                      BudgetMode mode = BudgetMode::hard) {
    AddBudget c;
    c.account = "t";
    c.spec = BudgetSpec{id, "ana", "", cr(limit), period, {}, mode, cr(alert_at)};
    return h.run(c);
  }
  Result set_alert_at(const char* id, const char* alert_at) {
    UpdateBudget c;
    c.account = "t";
    c.id = id;
    c.alert_at = cr(alert_at);
    return h.run(c);
  }
  // The budget events produced since the last call (of the delta a store would commit).
  std::vector<Event> events() {
    StateDelta delta;
    h.ledger().take_delta(&delta);
    std::vector<Event> out;
    for (Event& e : delta.events) {
      if (e.type == EventType::budget_threshold_reached || e.type == EventType::budget_exceeded) {
        out.push_back(std::move(e));
      }
    }
    return out;
  }
  static HoldId hold_id(const Result& r) { return std::get<HoldReply>(*r).hold; }
  static SpendId spend_id(const Result& r) { return std::get<SpendReply>(*r).spend; }
};

TEST(Teams, ATeamAccountOpensWithItsOwnerOnAPlanThatAllowsTeams) {
  Harness h{tracked_config(), "2026-03-10T12:00:00Z", test_catalog()};
  Result r = h.run(OpenAccount{"t", "basic", false, true, "olga"});
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error().code, ErrorCode::invalid_request);
  EXPECT_NE(r.error().detail.find("does not allow teams"), std::string::npos);
  ASSERT_TRUE(h.run(OpenAccount{"t", "pro", false, true, "olga"}).has_value());
  const Account* a = h.ledger().find_account("t");
  ASSERT_TRUE(a->team.has_value());
  ASSERT_EQ(a->team->members.size(), 1u);
  EXPECT_EQ(a->team->members[0].user, "olga");
  EXPECT_EQ(a->team->members[0].role, Role::owner);
  // A personal account takes no owner; a team account needs one.
  EXPECT_EQ(h.run(OpenAccount{"p", "", false, false, "olga"}).error().code,
            ErrorCode::invalid_request);
  EXPECT_EQ(h.run(OpenAccount{"q", "pro", false, true, ""}).error().code,
            ErrorCode::invalid_request);
}

TEST(Teams, APlanBoundsTheMembers) {
  Harness h{tracked_config(), "2026-03-10T12:00:00Z", test_catalog()};
  ASSERT_TRUE(h.run(OpenAccount{"t", "pro", false, true, "olga"}).has_value());  // 3 members
  ASSERT_TRUE(h.run(AddMember{"t", "ana", Role::member}).has_value());
  ASSERT_TRUE(h.run(AddMember{"t", "ben", Role::admin}).has_value());
  Result r = h.run(AddMember{"t", "cid", Role::member});
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error().code, ErrorCode::limit_exceeded);
  EXPECT_EQ(h.run(AddMember{"t", "ana", Role::viewer}).error().code, ErrorCode::member_exists);
}

TEST(Teams, APlanChangeKeepsTheTeamWithinWhatThePlanAllows) {
  Harness h{tracked_config(), "2026-03-10T12:00:00Z", test_catalog()};
  ASSERT_TRUE(h.run(OpenAccount{"t", "business", false, true, "olga"}).has_value());  // 10
  for (const char* user : {"ana", "ben", "cid"}) {
    ASSERT_TRUE(h.run(AddMember{"t", user, Role::member}).has_value());
  }
  // basic allows no team; pro 3 members, fewer than the 4 the team has: refused, nothing pending.
  Result none = h.run(SetPlan{"t", "basic", std::nullopt});
  ASSERT_FALSE(none.has_value());
  EXPECT_EQ(none.error().code, ErrorCode::invalid_request);
  EXPECT_NE(none.error().detail.find("does not allow teams"), std::string::npos);
  Result fewer = h.run(SetPlan{"t", "pro", std::nullopt});
  ASSERT_FALSE(fewer.has_value());
  EXPECT_EQ(fewer.error().code, ErrorCode::limit_exceeded);
  EXPECT_NE(fewer.error().detail.find("has 4 members; plan 'pro' allows 3"), std::string::npos)
      << fewer.error().detail;
  EXPECT_TRUE(h.ledger().find_account("t")->subscription->pending_plan.empty());
  // With 3 members the downgrade is taken (at the period end), and the pending plan bounds the
  // team from then on: a fourth member is refused now, not found too many at the renewal.
  ASSERT_TRUE(h.run(RemoveMember{"t", "cid"}).has_value());
  ASSERT_TRUE(h.run(SetPlan{"t", "pro", std::nullopt}).has_value());
  EXPECT_EQ(h.ledger().find_account("t")->subscription->pending_plan, "pro");
  EXPECT_EQ(h.run(AddMember{"t", "cid", Role::member}).error().code, ErrorCode::limit_exceeded);
}

TEST(Teams, ATeamKeepsAnOwner) {
  TeamFixture f;
  EXPECT_EQ(f.h.run(RemoveMember{"t", "olga"}).error().code, ErrorCode::invalid_request);
  EXPECT_EQ(f.h.run(SetMemberRole{"t", "olga", Role::admin}).error().code,
            ErrorCode::invalid_request);
  ASSERT_TRUE(f.h.run(SetMemberRole{"t", "ana", Role::owner}).has_value());
  EXPECT_TRUE(f.h.run(RemoveMember{"t", "olga"}).has_value());
  EXPECT_EQ(f.h.run(RemoveMember{"t", "olga"}).error().code, ErrorCode::not_a_member);
}

TEST(Teams, ADebitNamesAMemberWhoMaySpendAndARefusalWritesNothing) {
  TeamFixture f;
  const size_t journal = f.h.journal().size();
  const Credits available = f.h.available("t");  // 1000 and the plan's 150
  EXPECT_EQ(f.hold("", "5").error().code, ErrorCode::invalid_request);
  EXPECT_EQ(f.hold("zed", "5").error().code, ErrorCode::not_a_member);
  EXPECT_EQ(f.spend("zed", "5").error().code, ErrorCode::not_a_member);
  EXPECT_EQ(f.hold("vic", "5").error().code, ErrorCode::forbidden);
  EXPECT_EQ(f.spend("vic", "5").error().code, ErrorCode::forbidden);
  EXPECT_EQ(f.h.journal().size(), journal);
  EXPECT_EQ(f.h.available("t"), available);
  EXPECT_TRUE(f.hold("ana", "5").has_value());
  EXPECT_TRUE(f.spend("olga", "5", "launch").has_value());
}

TEST(Teams, MemberAndProjectApplyToTeamAccountsOnly) {
  Harness h{tracked_config(), "2026-03-10T12:00:00Z", test_catalog()};
  h.open("p");
  h.grant("p", Source::admin, "10", never_expires());
  SpendNow c;
  c.account = "p";
  c.amount = cr("1");
  c.tool = "image";
  c.project = "x";
  EXPECT_EQ(h.run(c).error().code, ErrorCode::invalid_request);
  EXPECT_EQ(h.run(AddMember{"p", "ana", Role::member}).error().code, ErrorCode::invalid_request);
}

TEST(Teams, AMemberRemovedMidHoldCanHaveItCapturedOrReleasedButStartsNoOther) {
  TeamFixture f;
  ASSERT_TRUE(f.budget("ana-month", "ana", "", "100").has_value());
  const HoldId first = f.hold_id(f.hold("ana", "30"));
  const HoldId second = f.hold_id(f.hold("ana", "20"));
  ASSERT_TRUE(f.h.run(RemoveMember{"t", "ana"}).has_value());
  EXPECT_EQ(f.hold("ana", "1").error().code, ErrorCode::not_a_member);
  EXPECT_EQ(f.spend("ana", "1").error().code, ErrorCode::not_a_member);
  EXPECT_EQ(f.h.capture(first, cr("25")).captured, cr("25"));
  EXPECT_EQ(f.h.release(second).released, cr("20"));
  EXPECT_EQ(f.used("ana-month"), cr("25"));
}

TEST(Teams, AHardBudgetRefusesTheDebitWhole) {
  TeamFixture f;
  ASSERT_TRUE(f.budget("ana-month", "ana", "", "100").has_value());
  ASSERT_TRUE(f.spend("ana", "90").has_value());
  const size_t journal = f.h.journal().size();
  Result r = f.spend("ana", "15");
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error().code, ErrorCode::budget_exceeded);
  EXPECT_EQ(r.error().budget.budget, "ana-month");
  EXPECT_EQ(r.error().budget.limit, cr("100"));
  EXPECT_EQ(r.error().budget.used, cr("90"));
  EXPECT_EQ(r.error().budget.left, cr("10"));
  EXPECT_EQ(r.error().shortfall, cr("5"));
  EXPECT_EQ(f.h.journal().size(), journal);  // nothing of it written
  EXPECT_EQ(f.used("ana-month"), cr("90"));
  EXPECT_EQ(f.hold("ana", "15").error().code, ErrorCode::budget_exceeded);
  // Up to the limit exactly is allowed; other members are not bound by ana's budget.
  EXPECT_TRUE(f.spend("ana", "10").has_value());
  EXPECT_TRUE(f.spend("olga", "200").has_value());
  EXPECT_EQ(f.used("ana-month"), cr("100"));
}

TEST(Teams, AHoldCountsAgainstABudgetUntilItEnds) {
  TeamFixture f;
  ASSERT_TRUE(f.budget("ana-month", "ana", "", "100").has_value());
  const HoldId h = f.hold_id(f.hold("ana", "60"));
  EXPECT_EQ(f.used("ana-month"), cr("60"));
  EXPECT_EQ(f.hold("ana", "50").error().code, ErrorCode::budget_exceeded);
  // A capture of less than held gives the rest back.
  f.h.capture(h, cr("45"));
  EXPECT_EQ(f.used("ana-month"), cr("45"));
  EXPECT_TRUE(f.hold("ana", "50").has_value());
}

TEST(Teams, AReleaseATimeoutAndARefundGiveBudgetBack) {
  TeamFixture f;
  ASSERT_TRUE(f.budget("ana-month", "ana", "", "100").has_value());
  const HoldId released = f.hold_id(f.hold("ana", "30"));
  f.h.release(released);
  EXPECT_EQ(f.used("ana-month"), cr("0"));
  PlaceHold short_hold;
  short_hold.account = "t";
  short_hold.amount = cr("40");
  short_hold.tool = "video";
  short_hold.member = "ana";
  short_hold.ttl_us = k_us_per_minute;
  ASSERT_TRUE(f.h.run(short_hold).has_value());
  EXPECT_EQ(f.used("ana-month"), cr("40"));
  f.h.advance_us(2 * k_us_per_minute);  // the hold times out
  EXPECT_EQ(f.used("ana-month"), cr("0"));
  const SpendId s = f.spend_id(f.spend("ana", "80"));
  f.h.refund(s, cr("30"));
  EXPECT_EQ(f.used("ana-month"), cr("50"));
  f.h.refund(s);
  EXPECT_EQ(f.used("ana-month"), cr("0"));
}

TEST(Teams, APeriodBoundaryResetsUsageAtItsInstant) {
  TeamFixture f;  // 2026-03-10T12:00Z
  AddBudget c;
  c.account = "t";
  c.spec = BudgetSpec{"ana-day", "ana", "", cr("10"), BudgetPeriod::day, {}, BudgetMode::hard};
  Result r = f.h.run(c);
  ASSERT_TRUE(r.has_value());
  const Budget& made = std::get<BudgetReply>(*r).budget;
  EXPECT_EQ(made.spec.anchor, at("2026-03-10T00:00:00Z"));  // calendar days by default
  EXPECT_EQ(made.period_end, at("2026-03-11T00:00:00Z"));
  ASSERT_TRUE(f.spend("ana", "10").has_value());
  f.h.advance_to(at("2026-03-10T23:59:59.999999Z"));
  EXPECT_EQ(f.spend("ana", "1").error().code, ErrorCode::budget_exceeded);
  f.h.advance_to(at("2026-03-11T00:00:00Z"));
  EXPECT_EQ(f.used("ana-day"), cr("0"));
  EXPECT_TRUE(f.spend("ana", "10").has_value());
}

TEST(Teams, CreditsThatComeBackAfterTheirPeriodChangeNoPeriod) {
  TeamFixture f;
  ASSERT_TRUE(f.budget("ana-day", "ana", "", "50", BudgetPeriod::day).has_value());
  const SpendId s = f.spend_id(f.spend("ana", "40"));
  PlaceHold c = team_hold("t", "ana", "10");
  c.ttl_us = 20 * k_us_per_hour;
  const HoldId h = f.hold_id(f.h.run(c));
  f.h.advance_to(at("2026-03-11T01:00:00Z"));  // the next day
  ASSERT_TRUE(f.spend("ana", "45").has_value());
  f.h.refund(s);   // counted yesterday: today's usage stays
  f.h.release(h);  // likewise
  EXPECT_EQ(f.used("ana-day"), cr("45"));
}

TEST(Teams, ABudgetCountsDebitsFromItsCreation) {
  TeamFixture f;
  const HoldId before = f.hold_id(f.hold("ana", "30"));
  ASSERT_TRUE(f.budget("ana-month", "ana", "", "100").has_value());
  EXPECT_EQ(f.used("ana-month"), cr("0"));
  f.h.release(before);  // never counted, so nothing comes back
  EXPECT_EQ(f.used("ana-month"), cr("0"));
  EXPECT_TRUE(f.spend("ana", "100").has_value());
}

TEST(Teams, TwoBudgetsOnOneDebitAreBothChecked) {
  TeamFixture f;
  ASSERT_TRUE(f.budget("ana-month", "ana", "", "100").has_value());
  ASSERT_TRUE(f.budget("launch", "", "launch", "60").has_value());
  ASSERT_TRUE(f.spend("ana", "50", "launch").has_value());
  EXPECT_EQ(f.used("ana-month"), cr("50"));
  EXPECT_EQ(f.used("launch"), cr("50"));
  // Within ana's budget but past the project's: refused, naming the project's budget.
  Result r = f.spend("ana", "20", "launch");
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error().budget.budget, "launch");
  ASSERT_TRUE(f.spend("olga", "10", "launch").has_value());  // the project's, not ana's
  EXPECT_EQ(f.used("ana-month"), cr("50"));
  EXPECT_EQ(f.used("launch"), cr("60"));
  ASSERT_TRUE(f.spend("ana", "50", "other").has_value());
  EXPECT_EQ(f.spend("ana", "1").error().budget.budget, "ana-month");
  // A budget on both member and project counts only that member within that project.
  ASSERT_TRUE(f.budget("olga-site", "olga", "site", "5").has_value());
  EXPECT_TRUE(f.spend("olga", "50", "other").has_value());
  EXPECT_EQ(f.spend("olga", "6", "site").error().budget.budget, "olga-site");
}

TEST(Teams, ASoftBudgetLetsTheDebitThroughAndMarksTheCrossing) {
  TeamFixture f;
  ASSERT_TRUE(
      f.budget("ana-soft", "ana", "", "20", BudgetPeriod::week, BudgetMode::soft).has_value());
  ASSERT_TRUE(f.spend("ana", "15").has_value());
  EXPECT_FALSE(f.state("ana-soft").crossed);
  ASSERT_TRUE(f.spend("ana", "15").has_value());
  EXPECT_TRUE(f.state("ana-soft").crossed);
  EXPECT_EQ(f.used("ana-soft"), cr("30"));
  // Made hard, it refuses what would take it further.
  UpdateBudget u;
  u.account = "t";
  u.id = "ana-soft";
  u.mode = BudgetMode::hard;
  ASSERT_TRUE(f.h.run(u).has_value());
  EXPECT_EQ(f.spend("ana", "1").error().code, ErrorCode::budget_exceeded);
  u.mode.reset();
  u.limit = cr("40");
  ASSERT_TRUE(f.h.run(u).has_value());
  EXPECT_TRUE(f.spend("ana", "10").has_value());
  ASSERT_TRUE(f.h.run(RemoveBudget{"t", "ana-soft"}).has_value());
  EXPECT_TRUE(f.spend("ana", "100").has_value());
  EXPECT_EQ(f.h.run(RemoveBudget{"t", "ana-soft"}).error().code, ErrorCode::not_found);
}

TEST(Teams, BudgetsAreValidated) {
  TeamFixture f;
  EXPECT_EQ(f.budget("b", "", "", "10").error().code, ErrorCode::invalid_request);
  EXPECT_EQ(f.budget("", "ana", "", "10").error().code, ErrorCode::invalid_request);
  EXPECT_EQ(f.budget("b", "ana", "", "-1").error().code, ErrorCode::invalid_request);
  EXPECT_EQ(f.budget("b", "an a", "", "1").error().code, ErrorCode::invalid_request);
  ASSERT_TRUE(f.budget("b", "ana", "", "10").has_value());
  EXPECT_EQ(f.budget("b", "olga", "", "10").error().code, ErrorCode::budget_exists);
}

TEST(Teams, MonthlyPeriodsKeepTheAnchorDayClampedToShortMonths) {
  const TimeUs anchor = at("2026-01-31T00:00:00Z");
  EXPECT_EQ(budget_period_start(anchor, BudgetPeriod::month, 1), at("2026-02-28T00:00:00Z"));
  EXPECT_EQ(budget_period_index(anchor, BudgetPeriod::month, at("2026-02-28T00:00:00Z")), 1);
  EXPECT_EQ(budget_period_index(anchor, BudgetPeriod::month, at("2026-02-27T23:59:59Z")), 0);
  EXPECT_EQ(budget_period_index(anchor, BudgetPeriod::month, at("2025-12-31T00:00:00Z")), -1);
  EXPECT_EQ(budget_period_index(anchor, BudgetPeriod::week, at("2026-01-30T00:00:00Z")), -1);
  EXPECT_EQ(budget_period_start(anchor, BudgetPeriod::week, 2), at("2026-02-14T00:00:00Z"));
}

TEST(Teams, ATeamSurvivesExportAndRestore) {
  TeamFixture f;
  ASSERT_TRUE(f.budget_alert("ana-month", "100", "40").has_value());
  ASSERT_TRUE(f.hold("ana", "30", "launch").has_value());
  ASSERT_TRUE(f.spend("ana", "20").has_value());
  const LedgerState state = f.h.ledger().export_state();
  auto restored = Ledger::from_state(tracked_config(), test_catalog(), 0, state);
  ASSERT_TRUE(restored.has_value()) << restored.error();
  EXPECT_EQ(dump_state((*restored)->export_state()), dump_state(state));
  EXPECT_NE(dump_state(state).find("budget ana-month"), std::string::npos);
  EXPECT_NE(dump_state(state).find("project launch"), std::string::npos);
  EXPECT_NE(dump_state(state).find("alert_at 40 reached"), std::string::npos);
}

// --- Budget events (issue 18, docs/events.md "Budget events") ---

std::vector<std::string> types(const std::vector<Event>& events) {
  std::vector<std::string> out;
  for (const Event& e : events) out.emplace_back(event_type_name(e.type));
  return out;
}
using Names = std::vector<std::string>;

TEST(BudgetEvents, ThresholdReachedOncePerPeriodAndArmedAgainInTheNext) {
  TeamFixture f;  // 2026-03-10T12:00Z; calendar months
  ASSERT_TRUE(f.budget_alert("ana-month", "100", "80").has_value());
  f.events();
  ASSERT_TRUE(f.spend("ana", "50").has_value());
  EXPECT_EQ(types(f.events()), Names{});
  const HoldId h = f.hold_id(f.hold("ana", "30"));  // a hold counts when it is placed
  std::vector<Event> got = f.events();
  ASSERT_EQ(types(got), Names{"budget.threshold_reached"});
  EXPECT_EQ(got[0].account, "t");
  EXPECT_EQ(got[0].detail, "ana-month");
  EXPECT_EQ(got[0].ref, h.value);
  EXPECT_EQ(got[0].amount, cr("80"));
  EXPECT_EQ(got[0].threshold, cr("80"));
  EXPECT_EQ(got[0].when, at("2026-04-01T00:00:00Z"));
  EXPECT_EQ(got[0].at, f.h.now());
  EXPECT_TRUE(f.state("ana-month").reached);
  // Usage falls back below and rises past it again: still once in this period.
  f.h.release(h);
  ASSERT_TRUE(f.spend("ana", "45").has_value());
  EXPECT_EQ(types(f.events()), Names{});
  // The next period arms it again at its instant.
  f.h.advance_to(at("2026-04-01T00:00:00Z"));
  EXPECT_EQ(types(f.events()), Names{});
  ASSERT_TRUE(f.spend("ana", "79").has_value());
  EXPECT_EQ(types(f.events()), Names{});
  const SpendId s = f.spend_id(f.spend("ana", "1"));
  got = f.events();
  ASSERT_EQ(types(got), Names{"budget.threshold_reached"});
  EXPECT_EQ(got[0].ref, s.value);
  EXPECT_EQ(got[0].when, at("2026-05-01T00:00:00Z"));
}

TEST(BudgetEvents, ASoftBudgetIsExceededOncePerPeriodAfterItsThreshold) {
  TeamFixture f;  // a Tuesday; calendar weeks from Monday
  ASSERT_TRUE(
      f.budget_alert("ana-week", "20", "15", BudgetPeriod::week, BudgetMode::soft).has_value());
  f.events();
  ASSERT_TRUE(f.spend("ana", "10").has_value());
  EXPECT_EQ(types(f.events()), Names{});
  // One debit past both: the threshold first, then the limit.
  const SpendId s = f.spend_id(f.spend("ana", "15"));
  std::vector<Event> got = f.events();
  ASSERT_EQ(types(got), (Names{"budget.threshold_reached", "budget.exceeded"}));
  EXPECT_EQ(got[1].detail, "ana-week");
  EXPECT_EQ(got[1].ref, s.value);
  EXPECT_EQ(got[1].amount, cr("25"));
  EXPECT_EQ(got[1].threshold, cr("20"));
  EXPECT_EQ(got[1].when, at("2026-03-16T00:00:00Z"));
  EXPECT_TRUE(f.state("ana-week").crossed);
  // Further past, back under by a refund and past again: nothing more this week.
  ASSERT_TRUE(f.spend("ana", "5").has_value());
  f.h.refund(s);
  ASSERT_TRUE(f.spend("ana", "20").has_value());
  EXPECT_EQ(types(f.events()), Names{});
  f.h.advance_to(at("2026-03-16T00:00:00Z"));
  ASSERT_TRUE(f.spend("ana", "21").has_value());
  EXPECT_EQ(types(f.events()), (Names{"budget.threshold_reached", "budget.exceeded"}));
  // Other members are not bound by ana's budget.
  ASSERT_TRUE(f.spend("olga", "100").has_value());
  EXPECT_EQ(types(f.events()), Names{});
}

TEST(BudgetEvents, AHardBudgetsRefusalEmitsNothingAndItsThresholdTellsInstead) {
  TeamFixture f;
  ASSERT_TRUE(f.budget_alert("ana-month", "100", "100").has_value());
  f.events();
  ASSERT_TRUE(f.spend("ana", "90").has_value());
  const size_t journal = f.h.journal().size();
  EXPECT_EQ(f.spend("ana", "15").error().code, ErrorCode::budget_exceeded);
  EXPECT_EQ(f.hold("ana", "15").error().code, ErrorCode::budget_exceeded);
  EXPECT_EQ(types(f.events()), Names{});  // a refused request produces none (rule 12)
  EXPECT_EQ(f.h.journal().size(), journal);
  ASSERT_TRUE(f.spend("ana", "10").has_value());  // up to the limit: reached, not exceeded
  EXPECT_EQ(types(f.events()), Names{"budget.threshold_reached"});
  EXPECT_EQ(f.spend("ana", "1").error().code, ErrorCode::budget_exceeded);
  EXPECT_EQ(types(f.events()), Names{});
  EXPECT_FALSE(f.state("ana-month").crossed);
}

TEST(BudgetEvents, AnAlertAtSetPastTheUsageIsArmedFromNow) {
  TeamFixture f;
  ASSERT_TRUE(f.budget("ana-month", "ana", "", "100").has_value());  // no alert_at: no event
  ASSERT_TRUE(f.spend("ana", "50").has_value());
  ASSERT_TRUE(f.spend("ana", "45").has_value());
  EXPECT_EQ(types(f.events()), Names{});
  Result r = f.set_alert_at("ana-month", "40");
  ASSERT_TRUE(r.has_value());
  EXPECT_TRUE(std::get<BudgetReply>(*r).budget.reached);
  EXPECT_EQ(std::get<BudgetReply>(*r).budget.spec.alert_at, cr("40"));
  ASSERT_TRUE(f.spend("ana", "1").has_value());
  EXPECT_EQ(types(f.events()), Names{});
  ASSERT_TRUE(f.set_alert_at("ana-month", "97").has_value());  // above the usage: armed
  EXPECT_FALSE(f.state("ana-month").reached);
  ASSERT_TRUE(f.spend("ana", "1").has_value());
  EXPECT_EQ(types(f.events()), Names{"budget.threshold_reached"});
  ASSERT_TRUE(f.set_alert_at("ana-month", "0").has_value());  // off
  EXPECT_EQ(f.state("ana-month").spec.alert_at, cr("0"));
  EXPECT_EQ(f.set_alert_at("ana-month", "-1").error().code, ErrorCode::invalid_request);
  EXPECT_EQ(f.budget_alert("b", "10", "-1").error().code, ErrorCode::invalid_request);
}

TEST(BudgetEvents, ARetryProducesNoSecondEvent) {
  TeamFixture f;
  ASSERT_TRUE(f.budget_alert("ana-month", "100", "10").has_value());
  f.events();
  SpendNow c;
  c.account = "t";
  c.amount = cr("10");
  c.tool = "image";
  c.member = "ana";
  ASSERT_TRUE(f.h.run(c, "same-key").has_value());
  EXPECT_EQ(types(f.events()), Names{"budget.threshold_reached"});
  ASSERT_TRUE(f.h.run(c, "same-key").has_value());  // a retry: the first reply, nothing new
  EXPECT_EQ(types(f.events()), Names{});
  EXPECT_EQ(f.used("ana-month"), cr("10"));
}

// Entries record the member and project of the hold or spend they move credits for, so that
// history filters by them and usage groups by them; a personal account's entries name neither.
TEST(Teams, EntriesNameTheMemberAndProjectOfTheirHoldOrSpend) {
  TeamFixture f;
  auto all_name = [](const std::vector<Entry>& entries, const char* member, const char* project) {
    EXPECT_FALSE(entries.empty());
    for (const Entry& e : entries) {
      EXPECT_EQ(e.member, member) << format_entry(e);
      EXPECT_EQ(e.project, project) << format_entry(e);
    }
  };
  size_t from = f.h.journal().size();
  const HoldId captured = f.hold_id(f.hold("ana", "30", "launch"));
  all_name(f.h.since(from), "ana", "launch");
  from = f.h.journal().size();
  f.h.capture(captured, cr("20"));  // a capture and the release of what it did not take
  all_name(f.h.since(from), "ana", "launch");
  from = f.h.journal().size();
  f.h.release(f.hold_id(f.hold("olga", "5")));
  all_name(f.h.since(from), "olga", "");
  PlaceHold short_hold;
  short_hold.account = "t";
  short_hold.amount = cr("7");
  short_hold.tool = "video";
  short_hold.member = "ana";
  short_hold.project = "ads";
  short_hold.ttl_us = k_us_per_minute;
  ASSERT_TRUE(f.h.run(short_hold).has_value());
  from = f.h.journal().size();
  f.h.advance_us(2 * k_us_per_minute);  // the hold times out: its release names them too
  all_name(f.h.since(from), "ana", "ads");
  from = f.h.journal().size();
  const SpendId s = f.spend_id(f.spend("olga", "12", "ads"));
  f.h.refund(s, cr("2"));
  all_name(f.h.since(from), "olga", "ads");
  // Credits that come back into a refund lot (theirs expired) name them on every entry.
  f.h.grant("t", Source::promo, "5", expires_at("2026-03-10T12:10:00Z"));
  const HoldId late = f.hold_id(f.hold("ana", "100", "launch"));  // the promo lot first
  f.h.advance_to(at("2026-03-10T12:11:00Z"));                     // the hold lives to 12:17
  from = f.h.journal().size();
  f.h.release(late);
  const std::vector<Entry> back = f.h.since(from);
  EXPECT_TRUE(std::any_of(back.begin(), back.end(),
                          [](const Entry& e) { return e.kind == EntryKind::grant; }));
  all_name(back, "ana", "launch");
  // A personal account's entries name neither, and their canonical line has no such fields.
  f.h.open("p");
  f.h.grant("p", Source::admin, "10", never_expires());
  from = f.h.journal().size();
  f.h.spend("p", "3");
  all_name(f.h.since(from), "", "");
  EXPECT_EQ(format_entry(f.h.since(from)[0]).find("member="), std::string::npos);
}

}  // namespace
}  // namespace tally::testing
