// Worked examples from the seeds, voids, bounds and queries.
#include <gtest/gtest.h>

#include <map>

#include "absl/strings/str_join.h"
#include "ledger/ledger_state.h"
#include "ledger/test_support.h"
#include "ledger/text.h"

namespace tally::testing {
namespace {

// MiocAI (seed 000): free weekly 5 credits, an admin grant of 10 (one month), a purchase of
// 100 (one year). A 30-credit video takes 5 + 10 + 15 in that order; it fails; every lot is
// restored exactly.
TEST(MiocaiWorkedExample, VideoTakesWeeklyThenAdminThenPurchaseAndFailureRestoresAll) {
  Harness h(LedgerConfig{}, "2026-11-16T00:00:00Z");
  h.open("miocai-user");
  LotId weekly =
      h.grant("miocai-user", Source::subscription, "5", expires_at("2026-11-23T00:00:00Z"));
  LotId admin = h.grant("miocai-user", Source::admin, "10");
  LotId purchase = h.grant("miocai-user", Source::purchase, "100");
  EXPECT_EQ(format_time(h.lot(admin).expires_at), "2026-12-16T00:00:00Z");
  EXPECT_EQ(format_time(h.lot(purchase).expires_at), "2027-11-16T00:00:00Z");

  const size_t before = h.journal().size();
  auto hold = h.hold("miocai-user", "30", "video");
  ASSERT_EQ(hold.portions.size(), 3u);
  EXPECT_EQ(hold.portions[0].lot, weekly);
  EXPECT_EQ(hold.portions[0].amount, cr("5"));
  EXPECT_EQ(hold.portions[1].lot, admin);
  EXPECT_EQ(hold.portions[1].amount, cr("10"));
  EXPECT_EQ(hold.portions[2].lot, purchase);
  EXPECT_EQ(hold.portions[2].amount, cr("15"));
  EXPECT_EQ(h.available("miocai-user"), cr("85"));

  h.release(hold.hold);  // the video failed
  EXPECT_EQ(h.lot(weekly).remaining, cr("5"));
  EXPECT_EQ(h.lot(admin).remaining, cr("10"));
  EXPECT_EQ(h.lot(purchase).remaining, cr("100"));
  EXPECT_EQ(h.available("miocai-user"), cr("115"));
  // History explains each step with the balance after it.
  std::vector<std::string> lines;
  for (const Entry& e : h.since(before)) {
    lines.push_back(std::string(entry_kind_name(e.kind)) + " " + format_credits(e.amount) + " " +
                    format_credits(e.balance_after));
  }
  EXPECT_EQ(lines, (std::vector<std::string>{"hold -5 110", "hold -10 100", "hold -15 85",
                                             "release 5 90", "release 10 100", "release 15 115"}));
}

TEST(VoidLot, VoidAfterPartialSpendReportsWhatWasSpent) {
  Harness h;
  h.open("u");
  LotId bought = h.grant("u", Source::purchase, "100");
  h.spend("u", "30");
  auto hold = h.hold("u", "20");
  auto r = h.run(VoidLot{bought, "payment charged back"});
  ASSERT_TRUE(r.has_value());
  const auto& v = std::get<VoidReply>(*r);
  EXPECT_EQ(v.voided, cr("50"));
  EXPECT_EQ(v.consumed, cr("30"));
  EXPECT_EQ(v.held, cr("20"));
  EXPECT_EQ(h.available("u"), cr("0"));
  // The held part comes back to a voided lot when its job fails: it is voided, not restored.
  auto released = h.release(hold.hold);
  EXPECT_EQ(released.restored.voided, cr("20"));
  EXPECT_EQ(h.available("u"), cr("0"));
  EXPECT_EQ(book(h.ledger().system_books().voided), cr("70"));
  EXPECT_EQ(h.run(VoidLot{bought, "again"}).error().code, ErrorCode::lot_voided);
}

TEST(VoidLot, RefundIntoAVoidedLotIsVoided) {
  Harness h;
  h.open("u");
  LotId bought = h.grant("u", Source::purchase, "10");
  auto s = h.spend("u", "4");
  ASSERT_TRUE(h.run(VoidLot{bought, "charge-back"}).has_value());
  auto r = h.refund(s.spend);
  EXPECT_EQ(r.restored.voided, cr("4"));
  EXPECT_EQ(h.available("u"), cr("0"));
  EXPECT_EQ(h.lot(bought).voided_amount, cr("10"));
  EXPECT_EQ(h.lot(bought).restored, cr("4"));
}

TEST(Bounds, LotsAndOpenHoldsPerAccountAreLimited) {
  LedgerConfig config;
  config.lots_per_account_max = 3;
  config.holds_per_account_max = 2;
  Harness h(config);
  h.open("u");
  for (int i = 0; i < 3; ++i) h.grant("u", Source::purchase, "10");
  auto r = h.run(Grant{.account = "u", .source = Source::purchase, .amount = cr("1")});
  EXPECT_EQ(r.error().code, ErrorCode::limit_exceeded);
  h.hold("u", "1");
  h.hold("u", "1");
  EXPECT_EQ(h.run(PlaceHold{"u", cr("1"), "image", std::nullopt, "v1"}).error().code,
            ErrorCode::limit_exceeded);
}

TEST(Bounds, TextsIdsAndAmountsAreChecked) {
  Harness h;
  EXPECT_EQ(h.run(OpenAccount{""}).error().code, ErrorCode::invalid_request);
  EXPECT_EQ(h.run(OpenAccount{"a/b"}).error().code, ErrorCode::invalid_request);
  EXPECT_EQ(h.run(OpenAccount{std::string(129, 'a')}).error().code, ErrorCode::invalid_request);
  h.open("u");
  EXPECT_EQ(h.run(OpenAccount{"u"}).error().code, ErrorCode::account_exists);
  Grant g{.account = "u", .source = Source::admin, .amount = cr("1")};
  g.reason = std::string(1025, 'x');
  EXPECT_EQ(h.run(g).error().code, ErrorCode::invalid_request);
  g.reason = "ok";
  g.amount = Credits::from_micro(INT64_MAX);
  EXPECT_EQ(h.run(g).error().code, ErrorCode::invalid_request);
  g.amount = cr("-1");
  EXPECT_EQ(h.run(g).error().code, ErrorCode::invalid_request);
  g.amount = cr("1");
  g.expiry = expires_at("2026-01-04T00:00:00Z");
  EXPECT_EQ(h.run(g).error().code, ErrorCode::invalid_request);  // already expired
  g.expiry = {};
  g.account = "nobody";
  EXPECT_EQ(h.run(g).error().code, ErrorCode::not_found);
}

TEST(BalanceSummary, ReportsBySourceAndNextExpiry) {
  Harness h;
  h.open("u");
  h.grant("u", Source::promo, "3", expires_at("2026-01-07T00:00:00Z"));
  h.grant("u", Source::reward, "2", expires_at("2026-01-07T00:00:00Z"));
  h.grant("u", Source::purchase, "10");
  h.hold("u", "1");
  auto b = h.ledger().balance(*h.ledger().find_account("u"), h.now());
  EXPECT_EQ(b.available, cr("14"));
  EXPECT_EQ(b.held, cr("1"));
  EXPECT_EQ(b.total, cr("15"));
  EXPECT_EQ(b.by_source[static_cast<size_t>(Source::promo)], cr("3"));
  EXPECT_EQ(b.by_source[static_cast<size_t>(Source::reward)], cr("1"));
  EXPECT_EQ(format_time(b.next_expiry), "2026-01-07T00:00:00Z");
  EXPECT_EQ(b.next_expiry_amount, cr("4"));
}

TEST(Retention, SpendsStayRefundableForTheirWindowThenAreForgotten) {
  LedgerConfig config;
  config.spend_retention_us = 2 * k_us_per_day;
  Harness h(config);
  h.open("u");
  LotId lot = h.grant("u", Source::signup, "5");
  auto s = h.spend("u", "5");
  EXPECT_EQ(h.lot(lot).refs, 1u);  // the spend keeps its fully spent lot refundable
  h.advance_us(2 * k_us_per_day);
  EXPECT_EQ(h.run(Refund{s.spend, std::nullopt, ""}).error().code, ErrorCode::not_found);
  EXPECT_EQ(h.ledger().find_lot(lot), nullptr);  // nothing left in it, nothing can return
}

TEST(Retention, IdempotencyKeysAreForgottenAfterTheirWindow) {
  LedgerConfig config;
  config.idempotency_retention_us = k_us_per_hour;
  Harness h(config);
  h.open("u");
  h.grant("u", Source::signup, "5");
  ASSERT_TRUE(h.run(SpendNow{"u", cr("1"), "image", "v1"}, "k").has_value());
  h.advance_us(k_us_per_hour);
  ASSERT_TRUE(h.run(SpendNow{"u", cr("2"), "image", "v1"}, "k").has_value());
  EXPECT_EQ(h.available("u"), cr("2"));
}

// A store keeps a key's record after the ledger lets it go, and the service asks the store
// about keys the ledger does not remember, but only once the batch's delta names them. A
// retry arriving in the very batch whose time step let its key go must still get its first
// reply, not run again (a double spend the simulator found, issue 7).
TEST(Retention, AKeyLetGoInTheCurrentBatchIsStillAnsweredUntilTheDeltaIsTaken) {
  LedgerConfig config;
  config.memory_window_us = k_us_per_hour;  // within the retention: the store keeps it
  config.track_changes = true;
  Ledger ledger(config);
  std::vector<Entry> out;
  StateDelta delta;
  TimeUs t = at("2026-01-05T00:00:00Z");
  ASSERT_TRUE(ledger.apply({"o", OpenAccount{"u", "", true}}, t, &out).has_value());
  ASSERT_TRUE(ledger.apply({"g", Grant{.account = "u", .source = Source::admin, .amount = cr("5")}},
                           t, &out).has_value());
  const Request spend{"k", SpendNow{"u", cr("1"), "image", "v1"}};
  Result first = ledger.apply(spend, t, &out);
  ASSERT_TRUE(first.has_value());
  ledger.take_delta(&delta);

  // One batch, an hour later: a time step lets "k" go, then its retry arrives.
  t = add_us(t, k_us_per_hour);
  ASSERT_TRUE(ledger.apply({"", AdvanceTime{}}, t, &out).has_value());
  EXPECT_TRUE(ledger.remembers("k"));
  const size_t entries = out.size();
  EXPECT_EQ(ledger.apply(spend, t, &out), first);
  EXPECT_EQ(out.size(), entries);  // nothing ran again
  EXPECT_EQ(ledger.apply({"k", SpendNow{"u", cr("2"), "image", "v1"}}, t, &out).error().code,
            ErrorCode::idempotency_conflict);
  EXPECT_EQ(ledger.balance(*ledger.find_account("u"), t).available, cr("4"));

  // Once the delta is taken the store has the key's record; the ledger no longer does.
  ledger.take_delta(&delta);
  EXPECT_EQ(delta.idempotency_gone, (std::vector<std::string>{"o", "g", "k"}));
  EXPECT_FALSE(ledger.remembers("k"));
}

}  // namespace
}  // namespace tally::testing

namespace tally::testing {
namespace {

TEST(Bounds, AccountTotalIsBoundedSoNoSumCanOverflow) {
  LedgerConfig config;
  config.account_total_max = cr("1000");
  Harness h(config, "2026-01-05T00:00:00Z", test_catalog());
  h.open("u");
  h.grant("u", Source::admin, "900");
  auto r = h.run(Grant{.account = "u", .source = Source::admin, .amount = cr("100.000001")});
  EXPECT_EQ(r.error().code, ErrorCode::limit_exceeded);
  EXPECT_EQ(h.run(Purchase{"u", "p200", "USD", "", "pay"}).error().code, ErrorCode::limit_exceeded);
  h.grant("u", Source::admin, "100");  // exactly at the bound
}

// The lots an account shows (credits remaining or held), as the API lists them.
size_t shown_lots(Harness& h, const std::string& account) {
  size_t n = 0;
  for (const Lot& l : h.ledger().find_account(account)->lots) {
    if (l.remaining.is_positive() || l.held.is_positive()) ++n;
  }
  return n;
}

// Issue 13 item 2: spent lots stay in memory for a retained purchase or spend, but count
// against no bound: 300 packs (half with a bonus) bought and spent, then every kind of credit
// still comes in.
TEST(Bounds, SpentLotsKeptForRetainedPurchasesDoNotCountAgainstTheLotBound) {
  Harness h(LedgerConfig{}, "2026-01-05T00:00:00Z", test_catalog());
  h.open("u");
  for (int i = 0; i < 300; ++i) {
    const bool bonus = i % 2 == 1;
    auto r = h.run(Purchase{"u", bonus ? "forever" : "p20", "USD", "", cat("pay_", i)});
    ASSERT_TRUE(r.has_value()) << "pack " << i << ": " << r.error().detail;
    h.spend("u", bonus ? "120" : "20");
  }
  EXPECT_EQ(shown_lots(h, "u"), 0u);
  EXPECT_GT(h.ledger().find_account("u")->lots.size(), 256u);  // kept for refunds and voids
  EXPECT_TRUE(h.run(Purchase{"u", "p20", "USD", "", "pay_last"}).has_value());
  EXPECT_TRUE(h.run(Grant{.account = "u", .source = Source::admin, .amount = cr("1")}).has_value());
  ASSERT_TRUE(h.run(SetPlan{"u", "miocai-free", std::nullopt}).has_value());
  auto reward = h.run(ClaimDailyReward{"u"});
  EXPECT_TRUE(reward.has_value()) << reward.error().detail;
}

// A purchase is money already taken: it is never refused for a count of lots, and its lots
// count like any other shown lot against what grants and rewards may add.
TEST(Bounds, APurchaseIsNeverRefusedForACountOfLots) {
  LedgerConfig config;
  config.lots_per_account_max = 3;
  Harness h(config, "2026-01-05T00:00:00Z", test_catalog());
  h.open("u");
  for (int i = 0; i < 5; ++i) {
    auto r = h.run(Purchase{"u", "forever", "USD", "", cat("pay_", i)});
    ASSERT_TRUE(r.has_value()) << "pack " << i << ": " << r.error().detail;
  }
  EXPECT_EQ(shown_lots(h, "u"), 10u);
  auto refused = h.run(Grant{.account = "u", .source = Source::admin, .amount = cr("1")});
  ASSERT_FALSE(refused.has_value());
  EXPECT_EQ(refused.error().code, ErrorCode::limit_exceeded);
  h.spend("u", "600");  // every lot spent: the account shows none
  EXPECT_EQ(shown_lots(h, "u"), 0u);
  h.grant("u", Source::admin, "1");
}

TEST(Bounds, RefundsCannotSplitAnAccountIntoUnboundedRefundLots) {
  LedgerConfig config;
  config.lots_per_account_max = 4;
  Harness h(config);
  h.open("u");
  for (const char* expiry : {"2026-01-05T01:00:00Z", "2026-01-05T02:00:00Z"}) {
    h.grant("u", Source::promo, "10", expires_at(expiry));
  }
  auto s = h.spend("u", "20");
  h.advance_to(at("2026-01-06T00:00:00Z"));  // both lots expired: refunds need refund lots
  // Many small refunds at one instant share one refund lot per origin.
  for (int i = 0; i < 5; ++i) h.refund(s.spend, cr("1"));
  EXPECT_EQ(h.ledger().find_account("u")->lots.size(), 3u);  // 2 spent + 1 refund lot
  EXPECT_EQ(shown_lots(h, "u"), 1u);  // the spent lots, kept for the spend, do not count
  for (int i = 0; i < 3; ++i) h.grant("u", Source::admin, "1");  // 4 with credits: full
  auto refused = h.run(Refund{s.spend, cr("10"), ""});  // needs a lot for the other origin
  EXPECT_EQ(refused.error().code, ErrorCode::limit_exceeded);
  EXPECT_EQ(h.ledger().find_spend(s.spend)->refunded, cr("5"));  // nothing half-done
}

// Issue 13 item 8: every time the ledger writes can be read back. A grant whose validity ends
// past the last instant RFC 3339 can write is refused, naming it; the times the ledger computes
// itself (a pack's validity, a hold's TTL, a period's end, a reward's validity, a refund lot's
// grace) stop at that instant.
TEST(Times, EveryTimeTheLedgerWritesCanBeReadBack) {
  Harness h(LedgerConfig{}, "9999-12-30T00:00:00Z", test_catalog());
  h.open("u");
  Grant g{.account = "u",
          .amount = cr("10"),
          .effective_at = at("9999-12-31T00:00:00Z"),
          .expiry = {Expiry::Mode::valid_for, {}, Validity::months(12)}};
  auto refused = h.run(g);
  ASSERT_FALSE(refused.has_value());
  EXPECT_EQ(refused.error().code, ErrorCode::invalid_request);
  EXPECT_NE(refused.error().detail.find("9999-12-31T23:59:59.999999Z"), std::string::npos)
      << refused.error().detail;
  g.expiry = {};  // an admin grant's default month ends past it too
  EXPECT_EQ(h.run(g).error().code, ErrorCode::invalid_request);
  g.expiry = never_expires();
  ASSERT_TRUE(h.run(g).has_value());
  auto bought = h.run(Purchase{"u", "p20", "USD", "", "pay"});
  ASSERT_TRUE(bought.has_value()) << bought.error().detail;
  EXPECT_EQ(format_time(std::get<PurchaseReply>(*bought).expires_at), "9999-12-31T23:59:59.999999Z");
  const LotId short_lot = h.grant("u", Source::promo, "5", expires_at("9999-12-31T01:00:00Z"));
  const SpendReply spent = h.spend("u", "5");
  EXPECT_EQ(spent.portions.front().lot, short_lot);
  h.advance_to(at("9999-12-31T12:00:00Z"));
  const RefundReply back = h.refund(spent.spend);  // its lot expired: a refund lot, 7 days' grace
  ASSERT_EQ(back.restored.refund_lots.size(), 1u);
  const HoldReply hold = std::get<HoldReply>(
      *h.run(PlaceHold{"u", cr("1"), "image", 24 * k_us_per_hour, "v1"}));
  EXPECT_EQ(format_time(hold.expires_at), "9999-12-31T23:59:59.999999Z");
  ASSERT_TRUE(h.run(SetPlan{"u", "miocai-free", std::nullopt}).has_value());
  auto reward = h.run(ClaimDailyReward{"u"});
  ASSERT_TRUE(reward.has_value()) << reward.error().detail;
  const auto readable = [](TimeUs t) { return t.is_never() || parse_time(format_time(t)) == t; };
  EXPECT_TRUE(readable(std::get<RewardReply>(*reward).expires_at));
  EXPECT_TRUE(readable(h.ledger().find_account("u")->subscription->period_end));
  for (const Lot& l : h.ledger().find_account("u")->lots) {
    EXPECT_TRUE(readable(l.expires_at)) << "lot " << l.id.value << " " << format_time(l.expires_at);
  }
  for (const Entry& e : h.journal()) {
    EXPECT_TRUE(readable(e.at) && readable(e.expires_at) && readable(e.effective_at))
        << "entry " << e.seq << " " << format_time(e.expires_at);
  }
}

TEST(Rule4Expiry, TimeDrivenEntriesAreWrittenEvenWhenTheCommandIsRefused) {
  Harness h;
  h.open("u");
  h.grant("u", Source::admin, "10", expires_at("2026-01-05T01:00:00Z"));
  std::vector<Entry> out;
  auto r = h.ledger().apply(Request{"k", SpendNow{"u", cr("1"), "image", "v1"}},
                            at("2026-01-05T02:00:00Z"), &out);
  EXPECT_EQ(r.error().code, ErrorCode::insufficient_credits);
  ASSERT_EQ(out.size(), 1u);  // the expiry at 01:00, which the journal must keep
  EXPECT_EQ(out[0].kind, EntryKind::expire);
  EXPECT_EQ(format_time(out[0].at), "2026-01-05T01:00:00Z");
}

}  // namespace
}  // namespace tally::testing

namespace tally::testing {
namespace {

// The delta of a batch (what a store writes) holds the lots that changed, not the account's
// others; a lot that leaves memory is named once.
TEST(ChangeTracking, ADeltaCarriesOnlyTheLotsThatChanged) {
  LedgerConfig config;
  config.track_changes = true;
  config.spend_retention_us = 0;  // spends leave at once: a drained lot can leave memory
  Ledger l(config, test_catalog());
  std::vector<Entry> out;
  TimeUs now = at("2026-11-16T00:00:00Z");
  ASSERT_TRUE(l.apply({"o", OpenAccount{"u"}}, now, &out).has_value());
  std::vector<LotId> lots;
  for (int i = 0; i < 5; ++i) {
    auto r = l.apply({cat("g", i), Grant{.account = "u", .source = Source::purchase,
                                         .amount = cr("10")}},
                     now, &out);
    ASSERT_TRUE(r.has_value());
    lots.push_back(std::get<GrantReply>(*r).lot);
  }
  StateDelta d;
  l.take_delta(&d);
  ASSERT_EQ(d.accounts.size(), 1u);
  EXPECT_EQ(d.accounts[0].lots.size(), 5u);  // new lots are all written
  // A spend that one lot pays for changes that lot only.
  ASSERT_TRUE(l.apply({"s1", SpendNow{"u", cr("4"), "image", "v1"}}, now, &out).has_value());
  l.take_delta(&d);
  ASSERT_EQ(d.accounts.size(), 1u);
  ASSERT_EQ(d.accounts[0].lots.size(), 1u);
  EXPECT_EQ(d.accounts[0].lots[0].id, lots[0]);
  EXPECT_EQ(d.accounts[0].lots[0].remaining, cr("6"));
  EXPECT_EQ(d.accounts[0].balance, cr("46"));
  EXPECT_TRUE(d.lots_gone.empty());
  // Draining it: the lot leaves memory once its spends are forgotten, and the delta says so.
  ASSERT_TRUE(l.apply({"s2", SpendNow{"u", cr("6"), "image", "v1"}}, now, &out).has_value());
  ASSERT_TRUE(l.apply({"t", AdvanceTime{}}, add_us(now, 1), &out).has_value());
  l.take_delta(&d);
  EXPECT_EQ(d.lots_gone, std::vector<LotId>{lots[0]});
  // Nothing changed: no account, no lot.
  l.take_delta(&d);
  EXPECT_TRUE(d.accounts.empty());
  EXPECT_TRUE(d.lots_gone.empty());
}

}  // namespace
}  // namespace tally::testing

namespace tally::testing {
namespace {

// Issue 14: with a store, spends, finished holds and keys leave memory after
// config.memory_window_us, and the store lends them back to the command that names them. What a
// client sees must not change: the same commands give the same entries and replies as a ledger
// that kept everything in memory. The "store" here is what the deltas wrote.
class MemoryWindowTest : public ::testing::Test {
 protected:
  MemoryWindowTest() : kept_(kept_config()), windowed_(windowed_config()) {}

  static LedgerConfig kept_config() { return LedgerConfig{}; }  // no store: kept for retention
  static LedgerConfig windowed_config() {
    LedgerConfig c;
    c.track_changes = true;
    c.memory_window_us = k_us_per_minute;
    return c;
  }

  // Applies `c` to both ledgers; their replies and entries must be equal.
  Result run(const Command& c, const std::string& key) {
    const size_t from_kept = kept_out_.size(), from_windowed = windowed_out_.size();
    Result a = kept_.apply({key, c}, now_, &kept_out_);
    Result b = windowed_.apply({key, c}, now_, &windowed_out_);
    EXPECT_EQ(a, b) << key;
    EXPECT_TRUE(std::equal(kept_out_.begin() + static_cast<ptrdiff_t>(from_kept), kept_out_.end(),
                           windowed_out_.begin() + static_cast<ptrdiff_t>(from_windowed),
                           windowed_out_.end()))
        << key;
    for (Ledger* l : {&kept_, &windowed_}) {
      auto bad = l->check_invariants();
      EXPECT_TRUE(bad.empty()) << key << (l == &kept_ ? " kept: " : " windowed: ") << absl::StrJoin(bad, "; ");
    }
    return b;
  }
  // The end of a batch: the windowed ledger's delta goes to the "store".
  StateDelta end_batch() {
    StateDelta d;
    windowed_.take_delta(&d);
    for (const Spend& s : d.spends_put) spends_[s.id] = s;
    for (const auto& [id, f] : d.finished_put) finished_.insert_or_assign(id, f);
    for (const Account& a : d.accounts) {
      for (const Lot& l : a.lots) lots_.insert_or_assign(l.id, l);
    }
    auto bad = windowed_.check_invariants();
    EXPECT_TRUE(bad.empty()) << absl::StrJoin(bad, "; ");
    return d;
  }
  void lend(SpendId id) {
    std::vector<Lot> lots;
    for (const Portion& p : spends_.at(id).portions) {
      if (windowed_.find_lot(p.lot) == nullptr) lots.push_back(lots_.at(p.lot));
    }
    EXPECT_EQ(windowed_.lend_spend(spends_.at(id), std::move(lots)), std::nullopt);
  }

  Ledger kept_;
  Ledger windowed_;
  std::vector<Entry> kept_out_, windowed_out_;
  TimeUs now_ = at("2026-11-16T00:00:00Z");
  std::map<SpendId, Spend> spends_;
  std::map<HoldId, FinishedHold> finished_;
  std::map<LotId, Lot> lots_;
};

TEST_F(MemoryWindowTest, ARefundOfASpendThatLeftMemoryRunsAsIfItHadStayed) {
  run(OpenAccount{"u"}, "o");
  run(Grant{.account = "u", .source = Source::purchase, .amount = cr("10")}, "g1");
  run(Grant{.account = "u", .source = Source::admin, .amount = cr("5"),
            .expiry = expires_at("2026-11-18T00:00:00Z")},
      "g2");
  const SpendId spend = std::get<SpendReply>(*run(SpendNow{"u", cr("12"), "image", "v1"}, "s")).spend;
  EXPECT_TRUE(end_batch().spends_gone.empty());

  // A minute later the spend leaves memory, and so does the admin lot it drained.
  now_ = add_us(now_, k_us_per_minute);
  run(AdvanceTime{}, "");
  const StateDelta d = end_batch();
  EXPECT_EQ(d.spends_gone, std::vector<SpendId>{spend});
  EXPECT_EQ(d.lots_gone.size(), 1u);
  EXPECT_EQ(windowed_.find_spend(spend), nullptr);
  EXPECT_NE(kept_.find_spend(spend), nullptr);
  EXPECT_TRUE(windowed_.may_have_let_go(spend.value));

  // Three days later (the admin lot has expired) 8 are refunded: lent back with that lot, the
  // spend gives the same entries, the expired lot's share going to a new refund lot.
  now_ = at("2026-11-19T00:00:00Z");
  lend(spend);
  const RefundReply r = std::get<RefundReply>(*run(Refund{spend, cr("8"), "failed"}, "r1"));
  EXPECT_EQ(r.restored.to_lots, cr("7"));         // the purchase's share, latest expiry first
  EXPECT_EQ(r.restored.to_refund_lots, cr("1"));  // then the expired admin lot's
  const StateDelta after = end_batch();
  ASSERT_EQ(after.spends_put.size(), 1u);
  EXPECT_EQ(after.spends_put[0].refunded, cr("8"));  // the store gets what changed
  EXPECT_EQ(after.spends_gone, std::vector<SpendId>{spend});  // and it leaves memory again
  EXPECT_EQ(windowed_.find_spend(spend), nullptr);

  // Lent again, it knows what was refunded: the rest, then nothing more.
  lend(spend);
  EXPECT_EQ(run(Refund{spend, cr("5"), "too much"}, "r2").error().code,
            ErrorCode::refund_exceeds_spend);
  end_batch();
  lend(spend);
  run(Refund{spend, std::nullopt, "the rest"}, "r3");
  end_batch();
  EXPECT_EQ(spends_.at(spend).refunded, cr("12"));
}

TEST_F(MemoryWindowTest, AFinishedHoldThatLeftMemoryIsAnsweredAsBefore) {
  run(OpenAccount{"u"}, "o");
  run(Grant{.account = "u", .source = Source::purchase, .amount = cr("10")}, "g");
  const HoldId hold = std::get<HoldReply>(*run(PlaceHold{"u", cr("3"), "image"}, "h")).hold;
  run(Capture{hold, cr("2")}, "c");
  end_batch();
  now_ = add_us(now_, 2 * k_us_per_minute);
  run(AdvanceTime{}, "");
  EXPECT_EQ(end_batch().finished_gone, std::vector<HoldId>{hold});
  EXPECT_FALSE(windowed_.hold_status(hold).has_value());

  // Without the store's record the ledger would say it never knew the hold.
  std::vector<Entry> out;
  EXPECT_EQ(windowed_.apply({"probe", Release{hold, "late"}}, now_, &out).error().code,
            ErrorCode::not_found);
  end_batch();
  windowed_.lend_finished_hold(hold, finished_.at(hold));
  run(Release{hold, "late"}, "late");  // the same refusal as the ledger that kept it
  end_batch();
  EXPECT_FALSE(windowed_.hold_status(hold).has_value());
}

// Issue 19: a spend that left memory is lent back to be marked, and the store gets the outcome.
TEST_F(MemoryWindowTest, AnOutcomeOfASpendThatLeftMemoryIsMarkedAsIfItHadStayed) {
  run(OpenAccount{"u"}, "o");
  run(Grant{.account = "u", .source = Source::purchase, .amount = cr("10")}, "g");
  const SpendId spend =
      std::get<SpendReply>(*run(SpendNow{"u", cr("1"), "image", "v1"}, "s")).spend;
  end_batch();
  now_ = add_us(now_, 2 * k_us_per_minute);
  run(AdvanceTime{}, "");
  EXPECT_EQ(end_batch().spends_gone, std::vector<SpendId>{spend});
  lend(spend);
  EXPECT_EQ(std::get<OutcomeReply>(*run(MarkOutcome{spend, Outcome::usable}, "m")).changed, true);
  const StateDelta d = end_batch();
  ASSERT_EQ(d.spends_put.size(), 1u);
  EXPECT_EQ(d.spends_put[0].outcome, Outcome::usable);
  lend(spend);
  EXPECT_EQ(run(MarkOutcome{spend, Outcome::rejected}, "m2").error().code,
            ErrorCode::outcome_conflict);
  end_batch();
}

// Past its retention a lent spend is refused like one the ledger forgot.
TEST_F(MemoryWindowTest, ASpendPastItsRetentionIsNotRefundedEvenIfTheStoreLendsIt) {
  run(OpenAccount{"u"}, "o");
  run(Grant{.account = "u", .source = Source::purchase, .amount = cr("10")}, "g");
  const SpendId spend = std::get<SpendReply>(*run(SpendNow{"u", cr("1"), "image", "v1"}, "s")).spend;
  end_batch();
  now_ = add_us(now_, windowed_config().spend_retention_us);
  run(AdvanceTime{}, "");
  end_batch();
  lend(spend);
  EXPECT_EQ(run(Refund{spend, std::nullopt, "late"}, "r").error().code, ErrorCode::not_found);
  end_batch();
}

}  // namespace
}  // namespace tally::testing
