// Plans, subscriptions, rollover (DESIGN rule 6), daily rewards and purchases (issue 4).
#include <gtest/gtest.h>

#include "ledger/ledger_state.h"
#include "ledger/test_support.h"
#include "ledger/text.h"

namespace tally::testing {
namespace {

Harness plans_harness(const char* start) {
  return Harness(LedgerConfig{}, start, test_catalog());
}

void open_on(Harness& h, const std::string& account, const std::string& plan) {
  auto r = h.run(OpenAccount{account, plan});
  ASSERT_TRUE(r.has_value()) << r.error().detail;
}

const Subscription& sub(Harness& h, const std::string& account) {
  const Account* a = h.ledger().find_account(account);
  EXPECT_TRUE(a != nullptr && a->subscription.has_value());
  static const Subscription k_none{};
  return a && a->subscription ? *a->subscription : k_none;
}

std::vector<std::string> lines(const std::vector<Entry>& entries) {
  std::vector<std::string> out;
  for (const Entry& e : entries) {
    out.push_back(cat(entry_kind_name(e.kind), " ", source_name(e.source), " ",
                      format_credits(e.amount), " ", e.reason));
  }
  return out;
}

// Amisi Basic (seed 003): 20 a month, rollover up to 40.
TEST(Rule6Rollover, AmisiBasicWorkedExample) {
  Harness h = plans_harness("2026-01-15T00:00:00Z");
  open_on(h, "u", "basic");
  EXPECT_EQ(h.available("u"), cr("20"));
  h.spend("u", "5");  // month 1: 15 left, all carried
  size_t mark = h.journal().size();
  h.advance_to(at("2026-02-15T00:00:00Z"));
  EXPECT_EQ(h.available("u"), cr("35"));
  EXPECT_EQ(lines(h.since(mark)),
            (std::vector<std::string>{"expire subscription -15 rolled over into lot 3",
                                      "grant rollover 15 rollover of 15 (cap 40)",
                                      "grant subscription 20 basic monthly allocation"}));
  h.advance_to(at("2026-03-15T00:00:00Z"));  // month 2: nothing spent, 35 carried
  EXPECT_EQ(h.available("u"), cr("55"));
  mark = h.journal().size();
  const BookMicro expired_before = h.ledger().system_books().expired;
  h.advance_to(at("2026-04-15T00:00:00Z"));  // month 3: 55 -> 40 carried, 15 expired
  EXPECT_EQ(h.available("u"), cr("60"));     // month 4: 40 + 20
  EXPECT_EQ(book(h.ledger().system_books().expired - expired_before), cr("15"));
  EXPECT_EQ(lines(h.since(mark)),
            (std::vector<std::string>{"expire rollover -35 rolled over into lot 7",
                                      "expire subscription -5 rolled over into lot 7",
                                      "expire subscription -15 expired at period end",
                                      "grant rollover 40 rollover of 40 (cap 40)",
                                      "grant subscription 20 basic monthly allocation"}));
  for (const Entry& e : h.since(mark)) EXPECT_EQ(format_time(e.at), "2026-04-15T00:00:00Z");
}

// MiocAI (seed 000): weekly credits, the cycle resets on renewal.
TEST(Rule6Rollover, MiocaiWeeklyCycleResets) {
  Harness h = plans_harness("2026-11-16T09:00:00Z");
  open_on(h, "m", "miocai-free");
  h.spend("m", "2");
  const size_t mark = h.journal().size();
  h.advance_to(at("2026-11-23T09:00:00Z"));
  EXPECT_EQ(h.available("m"), cr("5"));  // exactly the allocation, nothing carried
  EXPECT_EQ(lines(h.since(mark)),
            (std::vector<std::string>{"expire subscription -3 expired at period end",
                                      "grant subscription 5 miocai-free weekly allocation"}));
}

TEST(Subscriptions, MonthEndAnchoringOverALeapYearRenewsIdleAccountsAtTheBoundary) {
  Harness h = plans_harness("2028-01-31T10:00:00Z");
  open_on(h, "u", "basic");
  h.advance_to(at("2029-02-15T00:00:00Z"));  // one jump across thirteen boundaries
  std::vector<std::string> grants;
  for (const Entry& e : h.journal()) {
    if (e.kind == EntryKind::grant && e.source == Source::subscription) {
      grants.push_back(format_time(e.at));
    }
  }
  EXPECT_EQ(grants, (std::vector<std::string>{
                        "2028-01-31T10:00:00Z", "2028-02-29T10:00:00Z", "2028-03-31T10:00:00Z",
                        "2028-04-30T10:00:00Z", "2028-05-31T10:00:00Z", "2028-06-30T10:00:00Z",
                        "2028-07-31T10:00:00Z", "2028-08-31T10:00:00Z", "2028-09-30T10:00:00Z",
                        "2028-10-31T10:00:00Z", "2028-11-30T10:00:00Z", "2028-12-31T10:00:00Z",
                        "2029-01-31T10:00:00Z"}));
  EXPECT_EQ(format_time(sub(h, "u").period_end), "2029-02-28T10:00:00Z");
  EXPECT_EQ(h.available("u"), cr("60"));  // 40 carried (cap) + 20
}

TEST(Subscriptions, AStateWhosePlanTheConfigurationLostIsRefusedNotRenewed) {
  Harness h = plans_harness("2026-01-15T00:00:00Z");
  open_on(h, "u", "basic");
  auto without = std::make_shared<Catalog>(*test_catalog());
  std::erase_if(without->plans, [](const Plan& p) { return p.id == "basic"; });
  auto restored = Ledger::from_state({}, without, 0, h.ledger().export_state());
  ASSERT_FALSE(restored.has_value());
  EXPECT_NE(restored.error().find("account u is on plan 'basic'"), std::string::npos)
      << restored.error();
  EXPECT_TRUE(Ledger::from_state({}, test_catalog(), 0, h.ledger().export_state()).has_value());
  // No catalog at all (`tally verify --data` without --config): nothing to check plans against.
  EXPECT_TRUE(Ledger::from_state({}, nullptr, 0, h.ledger().export_state()).has_value());
}

TEST(Subscriptions, UpgradeTakesEffectNowWithTheOldPlansRollover) {
  Harness h = plans_harness("2026-01-15T00:00:00Z");
  open_on(h, "u", "basic");
  h.spend("u", "2");
  // A job running across the upgrade.
  auto hold = h.run(PlaceHold{"u", cr("3"), "video", 24 * k_us_per_hour, "v1"});
  const HoldId held = std::get<HoldReply>(*hold).hold;
  h.advance_to(at("2026-01-15T10:00:00Z"));
  auto r = h.run(SetPlan{"u", "pro", std::nullopt});
  ASSERT_TRUE(r.has_value());
  const auto& reply = std::get<SubscriptionReply>(*r);
  EXPECT_EQ(reply.plan, "pro");
  EXPECT_EQ(format_time(reply.period_end), "2026-02-15T10:00:00Z");
  EXPECT_EQ(h.lot(reply.rollover_lot).remaining, cr("15"));  // basic's 15 left, under cap 40
  EXPECT_EQ(h.available("u"), cr("65"));
  // The job fails: its portion's lot ended with the old period, so it returns as a refund lot.
  auto released = h.release(held);
  EXPECT_EQ(released.restored.to_refund_lots, cr("3"));
  EXPECT_EQ(h.available("u"), cr("68"));
  // The old schedule (Feb 15, 00:00) no longer renews; the refund lot's grace has passed.
  h.advance_to(at("2026-02-15T05:00:00Z"));
  EXPECT_EQ(h.available("u"), cr("65"));
  EXPECT_EQ(format_time(sub(h, "u").period_end), "2026-02-15T10:00:00Z");
}

TEST(Subscriptions, DowngradeTakesEffectAtThePeriodEnd) {
  Harness h = plans_harness("2026-01-15T00:00:00Z");
  open_on(h, "u", "pro");
  auto r = h.run(SetPlan{"u", "basic", std::nullopt});
  EXPECT_EQ(std::get<SubscriptionReply>(*r).pending_plan, "basic");
  EXPECT_EQ(h.available("u"), cr("50"));
  h.advance_to(at("2026-02-15T00:00:00Z"));
  EXPECT_EQ(sub(h, "u").plan, "basic");
  EXPECT_EQ(h.available("u"), cr("70"));  // pro's 50 carried under pro's cap 100, + basic 20
  EXPECT_EQ(format_time(sub(h, "u").period_end), "2026-03-15T00:00:00Z");
}

TEST(Subscriptions, CancelEndsAtThePeriodEnd) {
  Harness h = plans_harness("2026-01-15T00:00:00Z");
  open_on(h, "u", "basic");
  ASSERT_TRUE(h.run(CancelSubscription{"u"}).has_value());
  EXPECT_EQ(sub(h, "u").state(), "cancelling");
  h.advance_to(at("2026-02-15T00:00:00Z"));
  EXPECT_FALSE(h.ledger().find_account("u")->subscription.has_value());
  EXPECT_EQ(h.available("u"), cr("0"));
  EXPECT_EQ(h.run(CancelSubscription{"u"}).error().code, ErrorCode::not_subscribed);
  // Keeping the plan withdraws a cancellation.
  open_on(h, "v", "basic");
  ASSERT_TRUE(h.run(CancelSubscription{"v"}).has_value());
  ASSERT_TRUE(h.run(SetPlan{"v", "basic", std::nullopt}).has_value());
  h.advance_to(at("2026-03-15T00:00:00Z"));
  EXPECT_EQ(h.available("v"), cr("40"));
}

TEST(Subscriptions, PastDuePausesAllocationsUntilResume) {
  Harness h = plans_harness("2026-01-15T00:00:00Z");
  open_on(h, "u", "basic");
  h.advance_to(at("2026-01-20T00:00:00Z"));
  ASSERT_TRUE(h.run(MarkPastDue{"u"}).has_value());
  h.advance_to(at("2026-02-15T00:00:00Z"));
  EXPECT_EQ(h.available("u"), cr("20"));  // carried, but no new allocation
  EXPECT_EQ(sub(h, "u").state(), "past_due");
  h.advance_to(at("2026-02-20T00:00:00Z"));
  auto r = h.run(ResumeSubscription{"u"});
  ASSERT_TRUE(r.has_value());
  EXPECT_TRUE(std::get<SubscriptionReply>(*r).allocation_lot.is_set());
  EXPECT_EQ(h.available("u"), cr("40"));
  ASSERT_TRUE(h.run(ResumeSubscription{"u"}).has_value());  // nothing more this period
  EXPECT_EQ(h.available("u"), cr("40"));
}

TEST(Subscriptions, ResumeWithdrawsACancellationAndTheSubscriptionRenews) {
  Harness h = plans_harness("2026-01-15T00:00:00Z");
  open_on(h, "u", "basic");
  ASSERT_TRUE(h.run(CancelSubscription{"u"}).has_value());
  EXPECT_EQ(sub(h, "u").state(), "cancelling");
  auto r = h.run(ResumeSubscription{"u"});
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(std::get<SubscriptionReply>(*r).state, "active");
  EXPECT_FALSE(std::get<SubscriptionReply>(*r).cancel_at_period_end);
  h.advance_to(at("2026-02-16T00:00:00Z"));  // past the period end: renewed, not ended
  EXPECT_EQ(sub(h, "u").state(), "active");
  EXPECT_EQ(sub(h, "u").plan, "basic");
}

TEST(Subscriptions, SignupGrantOnceAndCustomAllocations) {
  Harness h = plans_harness("2026-01-15T00:00:00Z");
  auto r = h.run(OpenAccount{"u", "free"});
  EXPECT_TRUE(std::get<OpenAccountReply>(*r).signup_lot.is_set());
  EXPECT_TRUE(h.lot(std::get<OpenAccountReply>(*r).signup_lot).expires_at.is_never());
  ASSERT_TRUE(h.run(SetPlan{"u", "basic", std::nullopt}).has_value());
  EXPECT_EQ(h.available("u"), cr("25"));
  EXPECT_EQ(h.run(SetPlan{"u", "enterprise", std::nullopt}).error().code,
            ErrorCode::invalid_request);
  ASSERT_TRUE(h.run(SetPlan{"u", "enterprise", cr("1000")}).has_value());
  EXPECT_EQ(h.available("u"), cr("1025"));  // upgrade: basic's 20 carried, 1000 allocated
  // A plan the configuration lacks is a malformed request: refused, not remembered.
  EXPECT_EQ(h.run(SetPlan{"u", "gold", std::nullopt}).error().code, ErrorCode::invalid_request);
  EXPECT_EQ(h.run(OpenAccount{"x", "gold"}).error().code, ErrorCode::invalid_request);
}

TEST(DailyRewards, OncePerUtcDayWithMemberBoostAndSeasons) {
  Harness h = plans_harness("2026-12-18T23:00:00Z");
  open_on(h, "free", "miocai-free");
  open_on(h, "member", "miocai-premium");
  h.open("nobody");
  auto claim = [&](const char* account) { return h.run(ClaimDailyReward{account}); };
  EXPECT_EQ(std::get<RewardReply>(*claim("free")).amount, cr("1"));
  EXPECT_EQ(claim("free").error().code, ErrorCode::already_claimed);
  EXPECT_EQ(std::get<RewardReply>(*claim("member")).amount, cr("2"));  // boost x2
  EXPECT_EQ(claim("nobody").error().code, ErrorCode::reward_unavailable);
  h.advance_to(at("2026-12-19T00:00:00Z"));  // a new UTC day an hour later
  auto next = claim("free");
  ASSERT_TRUE(next.has_value());
  EXPECT_EQ(format_time(std::get<RewardReply>(*next).expires_at), "2027-01-19T00:00:00Z");
  h.advance_to(at("2026-12-24T12:00:00Z"));  // the winter season triples rewards
  EXPECT_EQ(std::get<RewardReply>(*claim("free")).amount, cr("3"));
  auto boosted = claim("member");
  EXPECT_EQ(std::get<RewardReply>(*boosted).amount, cr("6"));
  EXPECT_EQ(std::get<RewardReply>(*boosted).season, "winter");
}

TEST(Purchases, PackLotsBonusesAndIdempotentWebhooks) {
  Harness h = plans_harness("2026-01-15T00:00:00Z");
  h.open("u");
  Purchase p{"u", "p20", "USD", "", "pay_1"};
  auto first = h.run(p, "webhook-1");
  ASSERT_TRUE(first.has_value());
  const auto& bought = std::get<PurchaseReply>(*first);
  EXPECT_EQ(bought.price.minor, 999);
  EXPECT_EQ(format_time(bought.expires_at), "2027-01-15T00:00:00Z");  // one year
  EXPECT_EQ(h.lot(bought.lot).cost_basis.paid_minor, 999);
  const size_t mark = h.journal().size();
  auto retry = h.run(p, "webhook-2");  // the payment provider retries with a new delivery id
  ASSERT_TRUE(retry.has_value());
  EXPECT_EQ(std::get<PurchaseReply>(*retry).purchase, bought.purchase);
  EXPECT_EQ(h.journal().size(), mark);
  EXPECT_EQ(h.run(Purchase{"u", "p50", "USD", "", "pay_1"}).error().code,
            ErrorCode::idempotency_conflict);
  auto forever = std::get<PurchaseReply>(*h.run(Purchase{"u", "forever", "USD", "", "pay_2"}));
  EXPECT_TRUE(forever.expires_at.is_never());
  EXPECT_EQ(forever.bonus, cr("20"));
  EXPECT_EQ(format_time(h.lot(forever.bonus_lot).expires_at), "2026-01-22T00:00:00Z");
  EXPECT_EQ(
      std::get<PurchaseReply>(*h.run(Purchase{"u", "p200", "USD", "IN", "pay_3"})).price.minor,
      4999);
  EXPECT_EQ(h.run(Purchase{"u", "p200", "EUR", "", "pay_4"}).error().code,
            ErrorCode::invalid_request);
  EXPECT_EQ(h.run(Purchase{"u", "p999", "USD", "", "pay_5"}).error().code,
            ErrorCode::invalid_request);
  open_on(h, "member", "miocai-premium");
  auto member = std::get<PurchaseReply>(*h.run(Purchase{"member", "p50", "USD", "", "pay_6"}));
  EXPECT_EQ(member.bonus, cr("5"));  // 10% purchase bonus for premium members
}

TEST(Purchases, VoidAfterPartialSpendReportsWhatWasSpent) {
  Harness h = plans_harness("2026-01-15T00:00:00Z");
  h.open("u");
  auto bought = std::get<PurchaseReply>(*h.run(Purchase{"u", "forever", "USD", "", "pay_1"}));
  h.spend("u", "30");  // 20 from the bonus lot (it expires first), 10 from the pack
  auto r = h.run(VoidPurchase{bought.purchase, "charge-back"});
  ASSERT_TRUE(r.has_value());
  const auto& v = std::get<VoidPurchaseReply>(*r);
  EXPECT_EQ(v.voided, cr("90"));
  EXPECT_EQ(v.consumed, cr("30"));
  EXPECT_EQ(h.available("u"), cr("0"));
  EXPECT_EQ(h.run(VoidPurchase{bought.purchase, "again"}).error().code, ErrorCode::lot_voided);
}

TEST(Purchases, PricePerCreditOfEveryAmisiPack) {
  auto catalog = test_catalog();
  std::vector<std::string> per_credit;
  for (const char* id : {"p20", "p50", "p100", "p200"}) {
    const Pack* p = catalog->find_pack(id);
    per_credit.push_back(format_price_per_credit(*p->price_for("USD", ""), p->credits));
  }
  EXPECT_EQ(per_credit,
            (std::vector<std::string>{"USD 0.4995", "USD 0.3998", "USD 0.3499", "USD 0.29995"}));
}

}  // namespace
}  // namespace tally::testing
