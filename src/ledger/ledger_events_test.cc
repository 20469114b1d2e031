// Events (issue 18, ledger/event.h): produced by the step that causes them, once per crossing or
// lot, never by a refused request or a retry. Every command runs through the Harness, which
// checks every invariant after it.
#include <gtest/gtest.h>

#include "ledger/ledger_state.h"
#include "ledger/test_support.h"

namespace tally::testing {
namespace {

// The events produced since the last call (the delta a store would commit).
std::vector<Event> events(Harness& h) {
  StateDelta delta;
  h.ledger().take_delta(&delta);
  EXPECT_EQ(delta.event_seq, h.ledger().export_state().event_seq);
  return delta.events;
}

std::vector<std::string> types(const std::vector<Event>& events) {
  std::vector<std::string> out;
  for (const Event& e : events) out.emplace_back(event_type_name(e.type));
  return out;
}

using Names = std::vector<std::string>;

void set_low(Harness& h, const std::string& account, const char* low) {
  ASSERT_TRUE(h.run(SetAlerts{account, Alerts{cr(low), std::nullopt}}).has_value());
}

TEST(Events, BalanceLowOncePerCrossingAndRearmedWhenItRisesAbove) {
  Harness h(tracked_config());
  h.open("u");
  set_low(h, "u", "10");
  h.grant("u", Source::admin, "50");
  EXPECT_EQ(types(events(h)), Names{});
  h.spend("u", "45");
  std::vector<Event> low = events(h);
  ASSERT_EQ(types(low), Names{"balance.low"});
  EXPECT_EQ(low[0].account, "u");
  EXPECT_EQ(low[0].amount, cr("5"));
  EXPECT_EQ(low[0].threshold, cr("10"));
  EXPECT_EQ(low[0].at, h.now());
  h.spend("u", "1");  // still below: no second event
  EXPECT_EQ(types(events(h)), Names{});
  h.grant("u", Source::admin, "20");  // 24: above again, re-armed
  EXPECT_EQ(types(events(h)), Names{});
  h.spend("u", "15");
  EXPECT_EQ(types(events(h)), Names{"balance.low"});
}

TEST(Events, AHoldCountsAndAReleaseRearms) {
  Harness h(tracked_config());
  h.open("u");
  set_low(h, "u", "10");
  h.grant("u", Source::admin, "30");
  HoldReply hold = h.hold("u", "25");
  EXPECT_EQ(types(events(h)), Names{"balance.low"});
  h.release(hold.hold);
  EXPECT_EQ(types(events(h)), Names{});
  h.hold("u", "30");
  EXPECT_EQ(types(events(h)), (Names{"balance.low", "balance.depleted"}));
}

TEST(Events, DepletedOncePerCrossingWithoutAnySetting) {
  Harness h(tracked_config());
  h.open("u");
  h.grant("u", Source::admin, "5");
  h.spend("u", "5");
  EXPECT_EQ(types(events(h)), Names{"balance.depleted"});
  ASSERT_FALSE(h.run(SpendNow{"u", cr("1"), "image", "v1"}).has_value());
  EXPECT_EQ(types(events(h)), Names{});
}

TEST(Events, ARefusedRequestOrARetryProducesNone) {
  Harness h(tracked_config());
  h.open("u");
  set_low(h, "u", "10");
  h.grant("u", Source::admin, "20");
  (void)events(h);
  ASSERT_FALSE(h.run(SpendNow{"u", cr("25"), "image", "v1"}).has_value());  // insufficient
  EXPECT_EQ(types(events(h)), Names{});
  ASSERT_TRUE(h.run(SpendNow{"u", cr("15"), "image", "v1"}, "once").has_value());
  EXPECT_EQ(types(events(h)), Names{"balance.low"});
  h.grant("u", Source::admin, "20");
  (void)events(h);
  ASSERT_TRUE(h.run(SpendNow{"u", cr("15"), "image", "v1"}, "once").has_value());  // a retry
  EXPECT_EQ(types(events(h)), Names{});
  EXPECT_EQ(h.available("u"), cr("25"));
}

TEST(Events, CreditsExpiringOncePerLotAtItsNoticeThenExpiredAtItsExpiry) {
  Harness h(tracked_config());
  h.open("u");
  ASSERT_TRUE(h.run(SetAlerts{"u", Alerts{std::nullopt, 3 * k_us_per_day}}).has_value());
  const LotId lot = h.grant("u", Source::promo, "8", expires_at("2026-01-15T00:00:00Z"));
  h.spend("u", "3");
  h.advance_to(at("2026-01-11T23:59:59Z"));
  EXPECT_EQ(types(events(h)), Names{});
  h.advance_to(at("2026-01-13T00:00:00Z"));
  std::vector<Event> expiring = events(h);
  ASSERT_EQ(types(expiring), Names{"credits.expiring"});
  EXPECT_EQ(expiring[0].at, at("2026-01-12T00:00:00Z"));  // at its instant, not when seen
  EXPECT_EQ(expiring[0].ref, lot.value);
  EXPECT_EQ(expiring[0].amount, cr("5"));
  EXPECT_EQ(expiring[0].when, at("2026-01-15T00:00:00Z"));
  h.advance_to(at("2026-01-16T00:00:00Z"));
  std::vector<Event> expired = events(h);
  ASSERT_EQ(types(expired), (Names{"credits.expired", "balance.depleted"}));
  EXPECT_EQ(expired[0].amount, cr("5"));
  EXPECT_EQ(expired[0].at, at("2026-01-15T00:00:00Z"));
}

TEST(Events, ALotGrantedWithinItsNoticeIsNoticedAtOnceAndASpentOneNever) {
  Harness h(tracked_config());
  h.open("u");
  ASSERT_TRUE(h.run(SetAlerts{"u", Alerts{std::nullopt, 3 * k_us_per_day}}).has_value());
  h.grant("u", Source::promo, "4", expires_at("2026-01-06T00:00:00Z"));
  EXPECT_EQ(types(events(h)), Names{"credits.expiring"});
  h.grant("u", Source::promo, "2", expires_at("2026-01-20T00:00:00Z"));
  h.spend("u", "6");
  (void)events(h);
  h.advance_to(at("2026-01-21T00:00:00Z"));
  EXPECT_EQ(types(events(h)), Names{});  // nothing left in it: nothing to warn of
}

TEST(Events, CommandsAndTimeProduceTheirEvents) {
  Harness h(tracked_config(), "2026-01-05T00:00:00Z", test_catalog());
  ASSERT_TRUE(h.run(OpenAccount{"u", "basic"}).has_value());
  (void)events(h);
  ASSERT_TRUE(h.run(Purchase{"u", "p20", "USD", "", "pay-1"}).has_value());
  std::vector<Event> bought = events(h);
  ASSERT_EQ(types(bought), Names{"purchase.completed"});
  EXPECT_EQ(bought[0].amount, cr("20"));
  EXPECT_EQ(bought[0].detail, "p20");
  ASSERT_TRUE(h.run(VoidPurchase{bought[0].ref, "chargeback"}).has_value());
  EXPECT_EQ(types(events(h)), Names{"purchase.voided"});
  SpendReply spend = h.spend("u", "4");
  h.refund(spend.spend, cr("1"));
  std::vector<Event> refunded = events(h);
  ASSERT_EQ(types(refunded), Names{"refund.created"});
  EXPECT_EQ(refunded[0].ref, spend.spend.value);
  EXPECT_EQ(refunded[0].amount, cr("1"));
  ASSERT_TRUE(h.run(PlaceHold{.account = "u", .amount = cr("2"), .tool = "image",
                              .ttl_us = k_us_per_minute}).has_value());
  (void)events(h);
  h.advance_us(2 * k_us_per_minute);
  EXPECT_EQ(types(events(h)), Names{"hold.timed_out"});
  ASSERT_TRUE(h.run(MarkPastDue{"u"}).has_value());
  EXPECT_EQ(types(events(h)), Names{"subscription.past_due"});
  ASSERT_TRUE(h.run(ResumeSubscription{"u"}).has_value());
  h.advance_to(at("2026-02-05T00:00:01Z"));
  std::vector<Event> renewed = events(h);
  ASSERT_EQ(types(renewed), Names{"subscription.renewed"});
  EXPECT_EQ(renewed[0].detail, "basic");
  EXPECT_EQ(renewed[0].at, at("2026-02-05T00:00:00Z"));
}

TEST(Events, APlansSettingsApplyUnlessTheAccountSetsItsOwn) {
  auto catalog = std::make_shared<Catalog>(*test_catalog());
  for (Plan& p : catalog->plans) {
    if (p.id == "basic") p.low_balance = cr("15");
  }
  Harness h(tracked_config(), "2026-01-05T00:00:00Z", catalog);
  ASSERT_TRUE(h.run(OpenAccount{"u", "basic"}).has_value());  // 20 allocated
  (void)events(h);
  h.spend("u", "6");
  EXPECT_EQ(types(events(h)), Names{"balance.low"});
  set_low(h, "u", "0");  // its own: none
  h.grant("u", Source::admin, "30");
  h.spend("u", "40");
  EXPECT_EQ(types(events(h)), Names{});
}

TEST(Events, SeqsFollowEachOtherAndSurviveARestore) {
  Harness h(tracked_config());
  h.open("u");
  h.grant("u", Source::admin, "1");
  h.spend("u", "1");
  h.grant("u", Source::admin, "1");
  h.spend("u", "1");
  std::vector<Event> all = events(h);
  ASSERT_EQ(all.size(), 2u);
  EXPECT_EQ(all[0].seq, 1u);
  EXPECT_EQ(all[1].seq, 2u);
  auto restored = Ledger::from_state(tracked_config(), nullptr, 0, h.ledger().export_state());
  ASSERT_TRUE(restored.has_value()) << restored.error();
  std::vector<Entry> out;
  Ledger& l = **restored;
  ASSERT_TRUE(l.apply({"g", Grant{.account = "u", .source = Source::admin, .amount = cr("1")}},
                      h.now(), &out).has_value());
  ASSERT_TRUE(l.apply({"s", SpendNow{"u", cr("1"), "image", "v1"}}, h.now(), &out).has_value());
  StateDelta delta;
  l.take_delta(&delta);
  ASSERT_EQ(delta.events.size(), 1u);
  EXPECT_EQ(delta.events[0].seq, 3u);
}

}  // namespace
}  // namespace tally::testing
