// Outcomes (issue 19): what a job's output turned out to be, given with a capture or spend or
// marked later, once.
#include <gtest/gtest.h>

#include "ledger/ledger_state.h"
#include "ledger/test_support.h"

namespace tally::testing {
namespace {

OutcomeReply mark(Harness& h, SpendId spend, Outcome outcome, std::string key = "") {
  auto r = h.run(MarkOutcome{spend, outcome}, std::move(key));
  EXPECT_TRUE(r.has_value()) << (r ? "" : r.error().detail);
  return std::get<OutcomeReply>(*r);
}

TEST(Outcome, ACaptureOrASpendCarriesItsOutcome) {
  Harness h;
  h.open("u");
  h.grant("u", Source::purchase, "10");
  const HoldReply hold = h.hold("u", "4", "video");
  Capture capture{hold.hold, cr("3")};
  capture.outcome = Outcome::usable;
  const SpendId captured = std::get<CaptureReply>(*h.run(capture)).spend;
  SpendNow spend{"u", cr("2"), "image", "v1"};
  spend.outcome = Outcome::rejected;
  const SpendId spent = std::get<SpendReply>(*h.run(spend)).spend;
  const SpendId unsaid = h.spend("u", "1").spend;

  EXPECT_EQ(h.ledger().find_spend(captured)->outcome, Outcome::usable);
  EXPECT_EQ(h.ledger().find_spend(spent)->outcome, Outcome::rejected);
  EXPECT_EQ(h.ledger().find_spend(unsaid)->outcome, Outcome::none);
}

TEST(Outcome, ASpendIsMarkedOnceTheSameOutcomeAgainChangesNothingAnotherIsAConflict) {
  Harness h(tracked_config());
  h.open("u");
  h.grant("u", Source::purchase, "10");
  const SpendId spend = h.spend("u", "2").spend;
  StateDelta d;
  h.ledger().take_delta(&d);

  const OutcomeReply first = mark(h, spend, Outcome::rejected, "m1");
  EXPECT_EQ(first, (OutcomeReply{spend, Outcome::rejected, true}));
  h.ledger().take_delta(&d);
  ASSERT_EQ(d.spends_put.size(), 1u);  // the store gets the marked spend
  EXPECT_EQ(d.spends_put[0].outcome, Outcome::rejected);
  ASSERT_EQ(d.audit.size(), 1u);  // and an audit line naming the spend's account
  EXPECT_EQ(d.audit[0].account, "u");
  EXPECT_EQ(d.audit[0].action, "mark_outcome");

  // The same outcome under another key: answered, nothing changes.
  EXPECT_EQ(mark(h, spend, Outcome::rejected, "m2"),
            (OutcomeReply{spend, Outcome::rejected, false}));
  h.ledger().take_delta(&d);
  EXPECT_TRUE(d.spends_put.empty());

  // Another outcome is refused, and the spend keeps its first.
  auto again = h.run(MarkOutcome{spend, Outcome::usable}, "m3");
  ASSERT_FALSE(again.has_value());
  EXPECT_EQ(again.error().code, ErrorCode::outcome_conflict);
  EXPECT_EQ(error_code_name(again.error().code), "outcome_conflict");
  EXPECT_EQ(h.ledger().find_spend(spend)->outcome, Outcome::rejected);

  // A spend marked with its capture or spend is marked the same way.
  SpendNow usable{"u", cr("1"), "image", "v1"};
  usable.outcome = Outcome::usable;
  const SpendId second = std::get<SpendReply>(*h.run(usable)).spend;
  EXPECT_EQ(h.run(MarkOutcome{second, Outcome::rejected}).error().code,
            ErrorCode::outcome_conflict);
}

TEST(Outcome, UnknownSpendsHoldsAndNoOutcomeAreRefused) {
  LedgerConfig config;
  config.spend_retention_us = 2 * k_us_per_day;
  Harness h(config);
  h.open("u");
  h.grant("u", Source::purchase, "10");
  EXPECT_EQ(h.run(MarkOutcome{SpendId{999}, Outcome::usable}).error().code, ErrorCode::not_found);
  const HoldReply hold = h.hold("u", "1");
  const CaptureReply c = h.capture(hold.hold);
  auto by_hold = h.run(MarkOutcome{SpendId{hold.hold.value}, Outcome::usable});
  EXPECT_EQ(by_hold.error().code, ErrorCode::not_found);
  EXPECT_NE(by_hold.error().detail.find("that is a hold"), std::string::npos)
      << by_hold.error().detail;
  EXPECT_EQ(h.run(MarkOutcome{c.spend, Outcome::none}).error().code, ErrorCode::invalid_request);
  // Past the retention window a spend is no longer marked, as it is no longer refunded.
  h.advance_us(2 * k_us_per_day);
  EXPECT_EQ(h.run(MarkOutcome{c.spend, Outcome::usable}).error().code, ErrorCode::not_found);
}

// Rule 8: the outcome is part of what a request asks; requests without one keep their digests.
TEST(Outcome, TheOutcomeIsPartOfARequestsFingerprint) {
  const HoldId hold{7};
  Capture plain{hold, cr("1")};
  Capture usable = plain;
  usable.outcome = Outcome::usable;
  Capture rejected = plain;
  rejected.outcome = Outcome::rejected;
  EXPECT_NE(fingerprint(plain), fingerprint(usable));
  EXPECT_NE(fingerprint(usable), fingerprint(rejected));
  EXPECT_NE(fingerprint(MarkOutcome{SpendId{7}, Outcome::usable}),
            fingerprint(MarkOutcome{SpendId{7}, Outcome::rejected}));

  Harness h;
  h.open("u");
  h.grant("u", Source::purchase, "10");
  SpendNow spend{"u", cr("1"), "image", "v1"};
  spend.outcome = Outcome::usable;
  ASSERT_TRUE(h.run(spend, "k").has_value());
  spend.outcome = Outcome::rejected;
  EXPECT_EQ(h.run(spend, "k").error().code, ErrorCode::idempotency_conflict);
}

}  // namespace
}  // namespace tally::testing
