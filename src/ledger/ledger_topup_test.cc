// Auto top-up (issue 18, ledger_topup.cc): one request per crossing, completed by the purchase
// posted with its payment_ref, retried after a backoff when it fails or times out, never again
// after a cancel until the account rises to its threshold and falls below it. Every command
// runs through the Harness, which checks every invariant after it.
#include <gtest/gtest.h>

#include "ledger/ledger_state.h"
#include "ledger/test_support.h"

namespace tally::testing {
namespace {

struct Topup {
  Harness h{tracked_config(), "2026-01-05T00:00:00Z", test_catalog()};

  std::vector<Event> events() {
    StateDelta delta;
    h.ledger().take_delta(&delta);
    return delta.events;
  }
  const AutoTopup& state(const std::string& account = "u") {
    const Account* a = h.ledger().find_account(account);
    EXPECT_TRUE(a != nullptr && a->auto_topup.has_value());
    return *a->auto_topup;
  }
  Result set(const char* below, const char* pack = "p20", const char* currency = "USD",
             const char* region = "") {
    return h.run(SetAutoTopup{"u", AutoTopupSettings{cr(below), pack, currency, region}});
  }
  // The one event of the last steps, an auto_topup.requested; its request id.
  uint64_t requested() {
    std::vector<Event> got = events();
    EXPECT_EQ(got.size(), 1u);
    if (got.size() != 1) return 0;
    EXPECT_EQ(got[0].type, EventType::auto_topup_requested);
    return got[0].ref;
  }
  // u with 50 credits that never expire and auto top-up below 10, spent down to 5: the id of
  // the request that asked for p20.
  uint64_t asked() {
    h.open("u");
    h.grant("u", Source::admin, "50", never_expires());
    EXPECT_TRUE(set("10").has_value());
    h.spend("u", "45");
    return requested();
  }
  Result pay(uint64_t id, const char* pack = "p20") {
    return h.run(Purchase{"u", pack, "USD", "", auto_topup_payment_ref(id)});
  }
};

std::vector<EventType> types(const std::vector<Event>& events) {
  std::vector<EventType> out;
  for (const Event& e : events) out.push_back(e.type);
  return out;
}

TEST(AutoTopup, OneRequestPerCrossingCompletedByItsPurchase) {
  Topup t;
  t.h.open("u");
  t.h.grant("u", Source::admin, "50");
  ASSERT_TRUE(t.set("10").has_value());
  EXPECT_TRUE(t.events().empty());  // 50: above the threshold, nothing to ask
  t.h.spend("u", "45");
  std::vector<Event> got = t.events();
  ASSERT_EQ(types(got), std::vector<EventType>{EventType::auto_topup_requested});
  const Event& e = got[0];
  EXPECT_EQ(e.account, "u");
  EXPECT_EQ(e.detail, "p20");
  EXPECT_EQ(e.amount, cr("20"));
  EXPECT_EQ(e.threshold, cr("10"));
  EXPECT_EQ(e.price, (Money{{'U', 'S', 'D'}, 999}));
  EXPECT_EQ(e.at, t.h.now());
  EXPECT_EQ(e.when, TimeUs{t.h.now().us + k_us_per_hour});
  EXPECT_EQ(t.state().pending, e.ref);
  t.h.spend("u", "1");  // still below, a request outstanding: nothing more
  EXPECT_TRUE(t.events().empty());

  auto paid = t.pay(e.ref);
  ASSERT_TRUE(paid.has_value());
  EXPECT_EQ(types(t.events()), std::vector<EventType>{EventType::purchase_completed});
  EXPECT_EQ(t.state().pending, 0u);
  EXPECT_EQ(t.state().failures, 0u);
  EXPECT_TRUE(t.state().armed);  // 24: above again
  // The platform's webhook retried: the first reply, nothing again.
  EXPECT_EQ(t.pay(e.ref), paid);
  EXPECT_TRUE(t.events().empty());
  t.h.spend("u", "20");  // 4: a new crossing, a new request
  const uint64_t second = t.requested();
  EXPECT_NE(second, e.ref);
}

TEST(AutoTopup, AFailureBacksOffAndAsksAgainWhileStillBelow) {
  Topup t;
  const uint64_t first = t.asked();
  auto failed = t.h.run(FailAutoTopup{first, "card declined"});
  ASSERT_TRUE(failed.has_value());
  const AutoTopup& after = *std::get<AutoTopupReply>(*failed).auto_topup;
  EXPECT_EQ(after.pending, 0u);
  EXPECT_EQ(after.failures, 1u);
  EXPECT_EQ(after.retry_at, TimeUs{t.h.now().us + k_us_per_hour});
  EXPECT_TRUE(t.events().empty());
  // Failing it again is refused: it is no longer outstanding.
  auto again = t.h.run(FailAutoTopup{first, "card declined"});
  ASSERT_FALSE(again.has_value());
  EXPECT_EQ(again.error().code, ErrorCode::not_found);
  t.h.advance_us(59 * k_us_per_minute);
  EXPECT_TRUE(t.events().empty());
  t.h.advance_us(k_us_per_minute);
  const uint64_t second = t.requested();
  EXPECT_NE(second, first);
  ASSERT_TRUE(t.h.run(FailAutoTopup{second, ""}).has_value());
  EXPECT_EQ(t.state().failures, 2u);
  EXPECT_EQ(t.state().retry_at, TimeUs{t.h.now().us + 2 * k_us_per_hour});  // doubled
  // Credits that arrive another way end the retries.
  t.h.grant("u", Source::admin, "100");
  EXPECT_TRUE(t.events().empty());
  EXPECT_EQ(t.state().failures, 0u);
  EXPECT_TRUE(t.state().retry_at.is_never());
  t.h.advance_us(3 * k_us_per_hour);
  EXPECT_TRUE(t.events().empty());
}

TEST(AutoTopup, ARequestNotPaidInTimeCountsAsAFailure) {
  Topup t;
  const uint64_t first = t.asked();
  t.h.advance_us(k_us_per_hour);
  EXPECT_TRUE(t.events().empty());
  EXPECT_EQ(t.state().pending, 0u);
  EXPECT_EQ(t.state().failures, 1u);
  // A payment that arrives late is still money taken: an ordinary purchase.
  ASSERT_TRUE(t.pay(first).has_value());
  EXPECT_EQ(types(t.events()), std::vector<EventType>{EventType::purchase_completed});
  t.h.advance_us(k_us_per_hour);  // 25: above, so the retry asks nothing
  EXPECT_TRUE(t.events().empty());
  EXPECT_EQ(t.state().failures, 0u);
}

TEST(AutoTopup, ACancelWaitsForTheNextCrossing) {
  Topup t;
  const uint64_t first = t.asked();
  ASSERT_TRUE(t.h.run(CancelAutoTopup{first, "card removed"}).has_value());
  EXPECT_EQ(t.state().pending, 0u);
  EXPECT_TRUE(t.state().retry_at.is_never());
  t.h.advance_us(3 * k_us_per_day);
  t.h.spend("u", "1");
  EXPECT_TRUE(t.events().empty());
  t.h.grant("u", Source::admin, "20");  // 24
  t.h.spend("u", "20");                 // 4
  EXPECT_NE(t.requested(), 0u);
}

TEST(AutoTopup, SettingsBelowAskAtOnceAndTurningOffDropsTheRequest) {
  Topup t;
  t.h.open("u");
  t.h.grant("u", Source::admin, "5", never_expires());
  auto set = t.set("10", "p200", "USD", "IN");
  ASSERT_TRUE(set.has_value());
  const AutoTopup& in_reply = *std::get<AutoTopupReply>(*set).auto_topup;
  std::vector<Event> got = t.events();
  ASSERT_EQ(types(got), std::vector<EventType>{EventType::auto_topup_requested});
  EXPECT_EQ(in_reply.pending, got[0].ref);
  EXPECT_EQ(got[0].price, (Money{{'U', 'S', 'D'}, 4999}));  // the region's price
  EXPECT_EQ(got[0].region, "IN");
  // New settings keep the request outstanding.
  ASSERT_TRUE(t.set("8", "p50").has_value());
  EXPECT_EQ(t.state().pending, got[0].ref);
  EXPECT_TRUE(t.events().empty());
  auto off = t.h.run(SetAutoTopup{"u", std::nullopt});
  ASSERT_TRUE(off.has_value());
  EXPECT_FALSE(std::get<AutoTopupReply>(*off).auto_topup.has_value());
  auto fail = t.h.run(FailAutoTopup{got[0].ref, ""});
  ASSERT_FALSE(fail.has_value());
  EXPECT_EQ(fail.error().code, ErrorCode::not_found);
  ASSERT_TRUE(t.pay(got[0].ref, "p200").has_value());  // paid anyway: an ordinary purchase
  EXPECT_EQ(t.h.available("u"), cr("205"));
}

TEST(AutoTopup, SettingsAreChecked) {
  Topup t;
  t.h.open("u");
  for (auto r : {t.set("0"), t.set("10", "p999"), t.set("10", "p20", "EUR"),
                 t.h.run(SetAutoTopup{"nobody", AutoTopupSettings{cr("1"), "p20", "USD", ""}})}) {
    ASSERT_FALSE(r.has_value());
  }
  EXPECT_EQ(t.set("0").error().code, ErrorCode::invalid_request);
  EXPECT_EQ(t.set("10", "p999").error().code, ErrorCode::invalid_request);
  EXPECT_NE(t.set("10", "p20", "EUR").error().detail.find("not sold in 'EUR'"), std::string::npos);
  EXPECT_FALSE(t.h.ledger().find_account("u")->auto_topup.has_value());
}

TEST(AutoTopup, ARestoredLedgerKeepsTheRequestAndItsTimer) {
  Topup t;
  const uint64_t first = t.asked();
  auto restored = Ledger::from_state(tracked_config(), test_catalog(), 0, t.h.ledger().export_state());
  ASSERT_TRUE(restored.has_value()) << restored.error();
  Ledger& l = **restored;
  std::vector<Entry> out;
  ASSERT_TRUE(l.apply(Request{"", AdvanceTime{}}, TimeUs{t.h.now().us + k_us_per_hour}, &out)
                  .has_value());
  EXPECT_EQ(l.find_account("u")->auto_topup->failures, 1u);  // timed out after the restore
  auto late = l.apply(Request{"k", FailAutoTopup{first, ""}}, l.now(), &out);
  ASSERT_FALSE(late.has_value());
  EXPECT_TRUE(l.check_invariants().empty());
}

}  // namespace
}  // namespace tally::testing
