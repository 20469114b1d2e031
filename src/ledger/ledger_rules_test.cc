// One test (or a few) per rule of docs/design.md §3, named after it. Every command in these tests
// runs through the Harness, which checks every invariant and `verify` after it.
#include <gtest/gtest.h>

#include "ledger/test_support.h"

namespace tally::testing {
namespace {

const Expiry k_week = expires_at("2026-01-12T00:00:00Z");

std::vector<LotId> lots_of(const Portions& portions) {
  std::vector<LotId> out;
  for (const auto& p : portions) out.push_back(p.lot);
  return out;
}

std::vector<Credits> amounts_of(const Portions& portions) {
  std::vector<Credits> out;
  for (const auto& p : portions) out.push_back(p.amount);
  return out;
}

TEST(Rule1ConsumptionOrder, EarliestExpiryFirstAcrossSources) {
  Harness h;
  h.open("u");
  LotId purchase = h.grant("u", Source::purchase, "100");          // one year
  LotId signup = h.grant("u", Source::signup, "3");                // never
  LotId admin = h.grant("u", Source::admin, "10");                 // one month
  LotId weekly = h.grant("u", Source::subscription, "5", k_week);  // one week
  auto s = h.spend("u", "117");
  EXPECT_EQ(lots_of(s.portions), (std::vector<LotId>{weekly, admin, purchase, signup}));
  EXPECT_EQ(amounts_of(s.portions), (std::vector<Credits>{cr("5"), cr("10"), cr("100"), cr("2")}));
}

TEST(Rule1ConsumptionOrder, SameExpiryTiesBySourcePriorityThenGrantTimeThenId) {
  Harness h;
  h.open("u");
  const Expiry same = expires_at("2026-02-01T00:00:00Z");
  LotId purchase = h.grant("u", Source::purchase, "1", same);
  LotId subscription = h.grant("u", Source::subscription, "1", same);
  LotId reward = h.grant("u", Source::reward, "1", same);
  LotId promo_first = h.grant("u", Source::promo, "1", same);
  h.advance_us(k_us_per_second);
  LotId promo_later = h.grant("u", Source::promo, "1", same);
  LotId admin = h.grant("u", Source::admin, "1", same);
  auto s = h.spend("u", "6");
  EXPECT_EQ(lots_of(s.portions),
            (std::vector<LotId>{reward, promo_first, promo_later, admin, subscription, purchase}));
}

TEST(Rule1ConsumptionOrder, PriorityFirstPolicyOrdersBySourceBeforeExpiry) {
  LedgerConfig config;
  config.policy = ConsumptionPolicy::priority_first;
  Harness h(config);
  h.open("u");
  LotId purchase = h.grant("u", Source::purchase, "10", expires_at("2026-01-06T00:00:00Z"));
  LotId promo = h.grant("u", Source::promo, "10", never_expires());
  auto s = h.spend("u", "15");
  EXPECT_EQ(lots_of(s.portions), (std::vector<LotId>{promo, purchase}));
}

TEST(Rule1ConsumptionOrder, SourcePriorityTableIsConfigurable) {
  LedgerConfig config;
  config.source_priority[static_cast<size_t>(Source::purchase)] = 0;
  config.source_priority[static_cast<size_t>(Source::reward)] = 7;
  Harness h(config);
  h.open("u");
  const Expiry same = expires_at("2026-03-01T00:00:00Z");
  LotId reward = h.grant("u", Source::reward, "1", same);
  LotId purchase = h.grant("u", Source::purchase, "1", same);
  auto s = h.spend("u", "2");
  EXPECT_EQ(lots_of(s.portions), (std::vector<LotId>{purchase, reward}));
}

TEST(Rule1ConsumptionOrder, ScopeRestrictsEligibleLots) {
  Harness h;
  h.open("u");
  LotId video_promo = h.grant("u", Source::promo, "50", k_week, {"video"});
  LotId general = h.grant("u", Source::purchase, "10");
  auto image = h.spend("u", "4", "image");
  EXPECT_EQ(lots_of(image.portions), (std::vector<LotId>{general}));
  auto refused = h.run(SpendNow{"u", cr("7"), "image", "v1"});
  ASSERT_FALSE(refused.has_value());
  EXPECT_EQ(refused.error().code, ErrorCode::insufficient_credits);
  EXPECT_EQ(refused.error().shortfall, cr("1"));
  auto video = h.spend("u", "55", "video");
  EXPECT_EQ(lots_of(video.portions), (std::vector<LotId>{video_promo, general}));
}

TEST(Rule1ConsumptionOrder, InsufficientCreditsRefusedWholeWithShortfall) {
  Harness h;
  h.open("u");
  h.grant("u", Source::admin, "10");
  h.grant("u", Source::purchase, "5");
  const size_t before = h.journal().size();
  auto r = h.run(SpendNow{"u", cr("15.5"), "video", "v1"});
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error().code, ErrorCode::insufficient_credits);
  EXPECT_EQ(r.error().shortfall, cr("0.5"));
  auto held = h.run(PlaceHold{"u", cr("16"), "video", std::nullopt, "v1"});
  ASSERT_FALSE(held.has_value());
  EXPECT_EQ(held.error().shortfall, cr("1"));
  EXPECT_EQ(h.journal().size(), before);  // nothing partial was written
  EXPECT_EQ(h.available("u"), cr("15"));
}

TEST(Rule1ConsumptionOrder, LotDatedInTheFutureIsNotSpendableUntilThen) {
  Harness h;
  h.open("u");
  Grant g{.account = "u",
          .source = Source::promo,
          .amount = cr("10"),
          .effective_at = at("2026-01-06T00:00:00Z")};
  ASSERT_TRUE(h.run(g).has_value());
  auto balance = h.ledger().balance(*h.ledger().find_account("u"), h.now());
  EXPECT_EQ(balance.available, cr("0"));
  EXPECT_EQ(balance.pending, cr("10"));
  EXPECT_FALSE(h.run(SpendNow{"u", cr("1"), "image", "v1"}).has_value());
  h.advance_to(at("2026-01-06T00:00:00Z"));
  EXPECT_EQ(h.available("u"), cr("10"));
  h.spend("u", "1");
  // Validity counts from the effective time: promo default is one calendar month.
  EXPECT_EQ(format_time(h.ledger().accounts()[0].lots[0].expires_at), "2026-02-06T00:00:00Z");
}

TEST(Rule2Holds, HoldReservesWholeAmountAcrossLots) {
  Harness h;
  h.open("u");
  h.grant("u", Source::subscription, "5", k_week);
  h.grant("u", Source::purchase, "100");
  auto hold = h.hold("u", "30", "video");
  EXPECT_EQ(amounts_of(hold.portions), (std::vector<Credits>{cr("5"), cr("25")}));
  auto b = h.ledger().balance(*h.ledger().find_account("u"), h.now());
  EXPECT_EQ(b.available, cr("75"));
  EXPECT_EQ(b.held, cr("30"));
  EXPECT_EQ(b.total, cr("105"));
  EXPECT_EQ(hold.expires_at, add_us(h.now(), 15 * k_us_per_minute));  // default TTL
}

TEST(Rule2Holds, PartialCaptureConsumesInOrderAndReleasesTheRest) {
  Harness h;
  h.open("u");
  LotId weekly = h.grant("u", Source::subscription, "5", k_week);
  LotId purchase = h.grant("u", Source::purchase, "100");
  auto hold = h.hold("u", "30", "video");
  auto c = h.capture(hold.hold, cr("12"));
  EXPECT_EQ(c.captured, cr("12"));
  EXPECT_EQ(c.released, cr("18"));
  EXPECT_EQ(lots_of(c.portions), (std::vector<LotId>{weekly, purchase}));
  EXPECT_EQ(amounts_of(c.portions), (std::vector<Credits>{cr("5"), cr("7")}));
  EXPECT_EQ(h.lot(purchase).remaining, cr("93"));
  EXPECT_EQ(h.available("u"), cr("93"));
  EXPECT_EQ(h.ledger().find_spend(c.spend)->amount, cr("12"));
  EXPECT_EQ(h.ledger().hold_status(hold.hold)->state, HoldState::captured);
  EXPECT_EQ(h.ledger().hold_status(hold.hold)->spend, c.spend);
  EXPECT_EQ(h.ledger().find_hold(hold.hold), nullptr);  // only open holds stay in memory
}

TEST(Rule2Holds, CaptureAfterTtlIsHoldExpiredAndCreditsReturned) {
  Harness h;
  h.open("u");
  h.grant("u", Source::purchase, "10");
  auto hold = h.hold("u", "4");
  h.advance_us(15 * k_us_per_minute);  // the TTL passes exactly now
  EXPECT_EQ(h.available("u"), cr("10"));
  auto r = h.run(Capture{hold.hold, std::nullopt});
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error().code, ErrorCode::hold_expired);
  EXPECT_EQ(h.ledger().hold_status(hold.hold)->state, HoldState::expired);
  auto release = h.run(Release{hold.hold, ""});
  EXPECT_EQ(release.error().code, ErrorCode::hold_expired);
}

TEST(Rule2Holds, HoldTimesOutAtItsInstantWithoutAnyRequest) {
  Harness h;
  h.open("u");
  h.grant("u", Source::purchase, "10");
  PlaceHold p{"u", cr("4"), "image", 60 * k_us_per_second, "v1"};
  ASSERT_TRUE(h.run(p).has_value());
  const size_t before = h.journal().size();
  h.advance_us(3600 * k_us_per_second);  // a jump far past the TTL
  auto released = h.since(before);
  ASSERT_EQ(released.size(), 1u);
  EXPECT_EQ(released[0].kind, EntryKind::release);
  EXPECT_EQ(format_time(released[0].at), "2026-01-05T00:01:00Z");  // at the TTL, not later
  EXPECT_EQ(h.available("u"), cr("10"));
}

TEST(Rule2Holds, CaptureOrReleaseOfFinishedHoldIsAnError) {
  Harness h;
  h.open("u");
  h.grant("u", Source::purchase, "10");
  auto a = h.hold("u", "2");
  h.capture(a.hold);
  EXPECT_EQ(h.run(Capture{a.hold, std::nullopt}).error().code, ErrorCode::hold_not_active);
  EXPECT_EQ(h.run(Release{a.hold, ""}).error().code, ErrorCode::hold_not_active);
  auto b = h.hold("u", "2");
  h.release(b.hold);
  EXPECT_EQ(h.run(Capture{b.hold, std::nullopt}).error().code, ErrorCode::hold_not_active);
  EXPECT_EQ(h.run(Capture{HoldId{999}, std::nullopt}).error().code, ErrorCode::not_found);
  EXPECT_EQ(h.available("u"), cr("8"));
}

TEST(Rule2Holds, CaptureMoreThanHeldIsRefused) {
  Harness h;
  h.open("u");
  h.grant("u", Source::purchase, "10");
  auto a = h.hold("u", "2");
  auto r = h.run(Capture{a.hold, cr("2.000001")});
  EXPECT_EQ(r.error().code, ErrorCode::capture_exceeds_hold);
  EXPECT_EQ(h.ledger().hold_status(a.hold)->state, HoldState::active);
}

TEST(Rule2Holds, TtlIsBounded) {
  Harness h;
  h.open("u");
  h.grant("u", Source::purchase, "10");
  for (int64_t ttl : {int64_t{0}, int64_t{-1}, 24 * k_us_per_hour + 1}) {
    auto r = h.run(PlaceHold{"u", cr("1"), "image", ttl, "v1"});
    EXPECT_EQ(r.error().code, ErrorCode::invalid_request) << ttl;
  }
  EXPECT_TRUE(h.run(PlaceHold{"u", cr("1"), "image", 24 * k_us_per_hour, "v1"}).has_value());
}

TEST(Rule3NothingLostToErrors, ReleaseRestoresTheExactLots) {
  Harness h;
  h.open("u");
  LotId weekly = h.grant("u", Source::subscription, "5", k_week);
  LotId admin = h.grant("u", Source::admin, "10");
  auto hold = h.hold("u", "12");
  auto r = h.release(hold.hold);
  EXPECT_EQ(r.released, cr("12"));
  EXPECT_EQ(r.restored.to_lots, cr("12"));
  EXPECT_EQ(h.lot(weekly).remaining, cr("5"));
  EXPECT_EQ(h.lot(admin).remaining, cr("10"));
  EXPECT_EQ(h.lot(admin).held, cr("0"));
}

TEST(Rule3NothingLostToErrors, ReleaseAfterHeldLotExpiredYieldsRefundLotWithGrace) {
  Harness h;
  h.open("u");
  LotId short_lot = h.grant("u", Source::promo, "5", expires_at("2026-01-05T00:10:00Z"));
  h.grant("u", Source::purchase, "100");
  auto hold = h.hold("u", "8");              // 5 from the promo, 3 from the purchase
  h.advance_to(at("2026-01-05T00:12:00Z"));  // the promo expired while held
  EXPECT_EQ(h.lot(short_lot).held, cr("5"));
  auto r = h.release(hold.hold);
  EXPECT_EQ(r.restored.to_lots, cr("3"));
  EXPECT_EQ(r.restored.to_refund_lots, cr("5"));
  ASSERT_EQ(r.restored.refund_lots.size(), 1u);
  const Lot& refund = h.lot(r.restored.refund_lots[0]);
  EXPECT_EQ(refund.source, Source::refund);
  EXPECT_EQ(refund.remaining, cr("5"));
  EXPECT_EQ(format_time(refund.expires_at), "2026-01-12T00:12:00Z");  // 7 days of grace
  EXPECT_EQ(h.ledger().find_lot(short_lot), nullptr);                 // settled and forgotten
  EXPECT_EQ(h.available("u"), cr("105"));
}

TEST(Rule3NothingLostToErrors, PartialRefundRestoresLatestExpiringPortionsFirst) {
  Harness h;
  h.open("u");
  LotId weekly = h.grant("u", Source::subscription, "5", k_week);
  LotId admin = h.grant("u", Source::admin, "10");
  LotId purchase = h.grant("u", Source::purchase, "100");
  auto s = h.spend("u", "30", "video");
  auto r = h.refund(s.spend, cr("18"));
  EXPECT_EQ(r.refunded, cr("18"));
  EXPECT_EQ(h.lot(purchase).remaining, cr("100"));  // 15 back first (latest expiry)
  EXPECT_EQ(h.lot(admin).remaining, cr("3"));       // then 3 of the admin lot
  EXPECT_EQ(h.lot(weekly).remaining, cr("0"));
  auto rest = h.refund(s.spend);
  EXPECT_EQ(rest.refunded, cr("12"));
  EXPECT_EQ(rest.refunded_total, cr("30"));
  EXPECT_EQ(h.lot(weekly).remaining, cr("5"));
}

TEST(Rule3NothingLostToErrors, RepeatedRefundCannotCreateCredits) {
  Harness h;
  h.open("u");
  h.grant("u", Source::purchase, "10");
  auto s = h.spend("u", "6");
  h.refund(s.spend, cr("4"));
  auto over = h.run(Refund{s.spend, cr("2.5"), ""});
  EXPECT_EQ(over.error().code, ErrorCode::refund_exceeds_spend);
  h.refund(s.spend, cr("2"));
  EXPECT_EQ(h.run(Refund{s.spend, std::nullopt, ""}).error().code, ErrorCode::refund_exceeds_spend);
  EXPECT_EQ(h.available("u"), cr("10"));
}

TEST(Rule3NothingLostToErrors, RefundOfPortionWhoseLotExpiredBecomesRefundLot) {
  Harness h;
  h.open("u");
  LotId weekly = h.grant("u", Source::subscription, "5", k_week);
  auto s = h.spend("u", "5", "video");
  h.advance_to(at("2026-01-20T00:00:00Z"));
  auto r = h.refund(s.spend);
  EXPECT_EQ(r.restored.to_refund_lots, cr("5"));
  EXPECT_EQ(h.lot(r.restored.refund_lots[0]).reference, "lot:" + std::to_string(weekly.value));
  EXPECT_EQ(h.available("u"), cr("5"));
}

TEST(Rule4Expiry, RemainderWrittenOffAtTheExactInstant) {
  Harness h;
  h.open("u");
  LotId lot = h.grant("u", Source::promo, "7", expires_at("2026-01-05T10:00:00Z"));
  h.grant("u", Source::purchase, "1");
  h.advance_to(at("2026-01-05T09:59:59.999999Z"));
  EXPECT_EQ(h.available("u"), cr("8"));
  const size_t before = h.journal().size();
  h.advance_to(at("2026-01-09T00:00:00Z"));  // long after: the entry is dated at the instant
  auto written = h.since(before);
  ASSERT_EQ(written.size(), 1u);
  EXPECT_EQ(written[0].kind, EntryKind::expire);
  EXPECT_EQ(written[0].lot, lot);
  EXPECT_EQ(written[0].amount, -cr("7"));
  EXPECT_EQ(format_time(written[0].at), "2026-01-05T10:00:00Z");
  EXPECT_EQ(written[0].balance_after, cr("1"));
  EXPECT_EQ(book(h.ledger().system_books().expired), cr("7"));
}

TEST(Rule4Expiry, HeldPortionsOfAnExpiringLotStayReservedForTheirHold) {
  Harness h;
  h.open("u");
  LotId lot = h.grant("u", Source::promo, "10", expires_at("2026-01-05T00:05:00Z"));
  auto hold = h.hold("u", "4");
  h.advance_to(at("2026-01-05T00:06:00Z"));
  EXPECT_EQ(h.lot(lot).remaining, cr("0"));
  EXPECT_EQ(h.lot(lot).expired, cr("6"));
  EXPECT_EQ(h.lot(lot).held, cr("4"));
  auto c = h.capture(hold.hold);  // the job succeeded: the held credits are spent
  EXPECT_EQ(c.captured, cr("4"));
  EXPECT_EQ(book(h.ledger().system_books().consumption.at("image")), cr("4"));
}

TEST(Rule5DefaultsBySource, AdminMonthPurchaseYearSignupNever) {
  Harness h(LedgerConfig{}, "2026-01-31T12:00:00Z");
  h.open("u");
  EXPECT_EQ(format_time(h.lot(h.grant("u", Source::admin, "1")).expires_at),
            "2026-02-28T12:00:00Z");  // one calendar month, clamped
  EXPECT_EQ(format_time(h.lot(h.grant("u", Source::purchase, "1")).expires_at),
            "2027-01-31T12:00:00Z");
  EXPECT_TRUE(h.lot(h.grant("u", Source::signup, "1")).expires_at.is_never());
  // A grant's own expiry wins over the default.
  EXPECT_TRUE(h.lot(h.grant("u", Source::admin, "1", never_expires())).expires_at.is_never());
}

TEST(Rule5DefaultsBySource, DefaultsAreConfiguration) {
  LedgerConfig config;
  config.default_validity[static_cast<size_t>(Source::purchase)] = Validity::never();
  config.default_validity[static_cast<size_t>(Source::admin)] =
      Validity::duration_us(3 * k_us_per_day);
  Harness h(config);
  h.open("u");
  EXPECT_TRUE(h.lot(h.grant("u", Source::purchase, "1")).expires_at.is_never());
  EXPECT_EQ(format_time(h.lot(h.grant("u", Source::admin, "1")).expires_at),
            "2026-01-08T00:00:00Z");
}

TEST(Rule7QuotesBeforeUse, HoldsAndSpendsRecordTheirPriceBookVersion) {
  Harness h;
  h.open("u");
  h.grant("u", Source::purchase, "10");
  auto r = h.run(PlaceHold{"u", cr("2"), "image", std::nullopt, "2026-01-01"});
  const Hold* hold = h.ledger().find_hold(std::get<HoldReply>(*r).hold);
  EXPECT_EQ(hold->price_book_version, "2026-01-01");
  auto c = h.capture(hold->id);
  EXPECT_EQ(h.ledger().find_spend(c.spend)->price_book_version, "2026-01-01");
}

TEST(Rule8ExactlyOnce, RetryReturnsTheFirstReplyAndChangesNothing) {
  Harness h;
  h.open("u");
  h.grant("u", Source::purchase, "10");
  SpendNow s{"u", cr("3"), "image", "v1"};
  auto first = h.run(s, "job-42");
  const size_t before = h.journal().size();
  auto again = h.run(s, "job-42");
  ASSERT_TRUE(again.has_value());
  EXPECT_EQ(std::get<SpendReply>(*again).spend, std::get<SpendReply>(*first).spend);
  EXPECT_EQ(h.journal().size(), before);
  EXPECT_EQ(h.available("u"), cr("7"));
  // Refusals are remembered too: the retry of a refused spend is refused the same way.
  SpendNow big{"u", cr("50"), "image", "v1"};
  EXPECT_EQ(h.run(big, "job-43").error().code, ErrorCode::insufficient_credits);
  h.grant("u", Source::purchase, "100");
  EXPECT_EQ(h.run(big, "job-43").error().code, ErrorCode::insufficient_credits);
}

TEST(Rule8ExactlyOnce, SameKeyWithDifferentCommandIsConflict) {
  Harness h;
  h.open("u");
  h.grant("u", Source::purchase, "10");
  ASSERT_TRUE(h.run(SpendNow{"u", cr("3"), "image", "v1"}, "k").has_value());
  auto r = h.run(SpendNow{"u", cr("4"), "image", "v1"}, "k");
  EXPECT_EQ(r.error().code, ErrorCode::idempotency_conflict);
  EXPECT_EQ(h.available("u"), cr("7"));
}

TEST(Rule8ExactlyOnce, InvalidRequestsAreNotRememberedAndKeysAreRequired) {
  Harness h;
  h.open("u");
  h.grant("u", Source::purchase, "10");
  EXPECT_EQ(h.run(SpendNow{"u", cr("0"), "image", "v1"}, "k").error().code,
            ErrorCode::invalid_request);
  EXPECT_TRUE(h.run(SpendNow{"u", cr("1"), "image", "v1"}, "k").has_value());
  std::vector<Entry> out;
  auto r = h.ledger().apply(Request{"", SpendNow{"u", cr("1"), "image", "v1"}}, h.now(), &out);
  EXPECT_EQ(r.error().code, ErrorCode::invalid_request);
}

TEST(Rule9DoubleEntry, EveryEntryBalancesAndLotsConserve) {
  Harness h;
  h.open("u");
  h.grant("u", Source::purchase, "10");
  auto hold = h.hold("u", "4");
  h.capture(hold.hold, cr("3"));
  const SystemBooks& b = h.ledger().system_books();
  EXPECT_EQ(book(b.issuance[static_cast<size_t>(Source::purchase)]), -cr("10"));
  EXPECT_EQ(book(b.consumption.at("image")), cr("3"));
  for (const Entry& e : h.journal()) {
    EXPECT_EQ((e.amount + e.held + e.counter_amount()).micro, 0) << format_entry(e);
  }
}

TEST(Rule9DoubleEntry, VerifyFindsAJournalThatDisagreesWithTheState) {
  Harness h;
  h.open("u");
  h.grant("u", Source::purchase, "10");
  h.spend("u", "4");
  std::vector<Entry> tampered = h.journal();
  tampered.back().amount = -cr("3");
  EXPECT_FALSE(verify(h.ledger(), tampered).ok());
  tampered.pop_back();
  EXPECT_FALSE(verify(h.ledger(), tampered).ok());
  EXPECT_TRUE(verify(h.ledger(), h.journal()).ok());
}

TEST(Rule10TimeIsAnInput, SameCommandsAndTimesGiveIdenticalEntries) {
  auto run = [] {
    Harness h;
    h.open("u");
    h.grant("u", Source::promo, "5", expires_at("2026-01-05T01:00:00Z"));
    h.grant("u", Source::purchase, "20");
    auto hold = h.hold("u", "7");
    h.advance_us(k_us_per_hour * 2);
    h.spend("u", "1");
    std::string text;
    for (const Entry& e : h.journal()) text += format_entry(e) + "\n";
    (void)hold;
    return text;
  };
  EXPECT_EQ(run(), run());
}

}  // namespace
}  // namespace tally::testing
