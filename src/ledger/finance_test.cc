// The finance report (finance.h, docs/reports.md): hand-computed periods, and the
// reconciliation received = recognized + breakage + refunded + deferred over random commands.
#include "ledger/finance.h"

#include <gtest/gtest.h>
#include <rapidcheck.h>
#include <rapidcheck/gtest.h>

#include <map>
#include <tuple>

#include "ledger/test_support.h"
#include "ledger/text.h"

namespace tally::testing {
namespace {

constexpr std::array<char, 3> k_usd{'U', 'S', 'D'};
constexpr std::array<char, 3> k_eur{'E', 'U', 'R'};

// A ledger run that remembers what each lot cost as it is granted (lots leave the ledger's
// memory once settled; the server asks the store for those).
struct Books {
  Harness h;
  std::map<uint64_t, FinanceLot> lots;
  size_t seen = 0;

  explicit Books(const char* start) : h(LedgerConfig{}, start, test_catalog()) {}
  Result run(const Command& c) {
    Result r = h.run(c);
    note();
    return r;
  }
  void at(const char* t) {
    note();
    h.advance_to(testing::at(t));
    (void)h.run(AdvanceTime{});
    note();
  }
  void note() {
    for (; seen < h.journal().size(); ++seen) {
      const Entry& e = h.journal()[seen];
      if (e.kind != EntryKind::grant || lots.contains(e.lot.value)) continue;
      // A lot made and settled within one command (a refund lot expiring while time passes)
      // is gone already; the report finds its origin in its reason.
      if (const Lot* lot = h.ledger().find_lot(e.lot)) lots.emplace(e.lot.value, finance_lot(*lot));
    }
  }
  FinanceReport report(TimeUs from, TimeUs to, std::array<char, 3> currency) const {
    FinanceBook book(from, to, currency);
    for (const Entry& e : h.journal()) {
      EXPECT_TRUE(book.add(e, [&](LotId id) -> std::optional<FinanceLot> {
        auto it = lots.find(id.value);
        if (it == lots.end()) return std::nullopt;
        return it->second;
      }));
    }
    return book.report();
  }
};

// The identity every report keeps, in credits and in minor units.
void expect_reconciles(const FinanceReport& r) {
  const PaidFigures& p = r.paid;
  EXPECT_EQ(p.deferred_opening + p.received,
            p.recognized + p.breakage + p.refunded + p.deferred_closing);
  EXPECT_EQ(p.deferred_opening_minor + p.received_minor,
            p.recognized_minor + p.breakage_minor + p.refunded_minor + p.deferred_closing_minor);
}

TimeUs epoch() {
  return TimeUs{0};
}

// p20 is 20 credits for USD 9.99: a credit is 49.95 cents, and money follows the credits by
// floor(999 * out / 20) of the lot's net outflow.
TEST(Finance, PurchaseSpentRefundedAndChargedBack) {
  Books b("2026-01-05T00:00:00Z");
  ASSERT_TRUE(b.run(OpenAccount{"u", "", true}).has_value());
  auto bought = b.run(Purchase{"u", "p20", "USD", "", "pi_1"});
  ASSERT_TRUE(bought.has_value());
  ASSERT_TRUE(b.run(SpendNow{"u", cr("5"), "image", "v1"}).has_value());  // out 5: 249 (249.75)
  auto second = b.run(SpendNow{"u", cr("5"), "image", "v1"});             // out 10: 499
  ASSERT_TRUE(second.has_value());
  // Back into the lot, which has not expired: out 8, floor(399.6) = 399.
  ASSERT_TRUE(b.run(Refund{std::get<SpendReply>(*second).spend, cr("2"), "r"}).has_value());
  b.h.grant("u", Source::promo, "10");  // free: not in the money
  // The charge-back voids the 12 left: out 20, 999; the 600 voided were given back.
  ASSERT_TRUE(
      b.run(VoidPurchase{std::get<PurchaseReply>(*bought).purchase, "charge-back"}).has_value());
  b.note();
  const FinanceReport r = b.report(epoch(), at("2026-02-01T00:00:00Z"), k_usd);
  expect_reconciles(r);
  EXPECT_EQ(r.paid.received, cr("20"));
  EXPECT_EQ(r.paid.received_minor, 999);
  EXPECT_EQ(r.paid.recognized, cr("8"));
  EXPECT_EQ(r.paid.recognized_minor, 399);
  EXPECT_EQ(r.paid.refunded, cr("12"));
  EXPECT_EQ(r.paid.refunded_minor, 600);
  EXPECT_EQ(r.paid.breakage_minor, 0);
  EXPECT_EQ(r.paid.deferred_closing_minor, 0);
  EXPECT_EQ(r.paid_lots, 1u);
  const FreeFigures& promo = r.free[static_cast<size_t>(Source::promo)];
  EXPECT_EQ(promo.issued, cr("10"));
  EXPECT_EQ(promo.outstanding_closing, cr("10"));
  // Another currency's report sees none of it, and names USD as present.
  const FinanceReport eur = b.report(epoch(), at("2026-02-01T00:00:00Z"), k_eur);
  EXPECT_EQ(eur.paid.received_minor, 0);
  EXPECT_EQ(eur.other_currencies, std::set<std::string>{"USD"});
}

// 30 credits for EUR 10.00 expiring after 10 days; a refund after the expiry comes back as a
// refund lot that continues the paid lot, and expires in its turn.
TEST(Finance, BreakageAndRefundLotsAcrossTwoPeriods) {
  Books b("2026-01-05T00:00:00Z");
  ASSERT_TRUE(b.run(OpenAccount{"u", "", true}).has_value());
  Grant g{.account = "u", .source = Source::purchase, .amount = cr("30")};
  g.expiry = expires_at("2026-01-15T00:00:00Z");
  g.cost_basis = CostBasis{k_eur, 1000};
  ASSERT_TRUE(b.run(g).has_value());
  b.at("2026-01-06T00:00:00Z");
  const HoldReply hold = b.h.hold("u", "10");
  b.at("2026-01-06T00:05:00Z");
  b.h.capture(hold.hold, cr("4"));  // out 4: floor(133.3) = 133
  b.at("2026-01-08T00:00:00Z");
  const SpendReply spent = b.h.spend("u", "6");  // out 10: 333
  b.at("2026-01-15T00:00:00Z");                  // 20 expire: out 30, 1000 (667 breakage)
  b.at("2026-01-16T00:00:00Z");
  b.h.refund(spent.spend);       // a refund lot of 6: out 24, 800 (-200 recognized)
  b.at("2026-01-24T00:00:00Z");  // it expires after 7 days: out 30, 1000 (+200 breakage)
  b.note();

  const FinanceReport first = b.report(epoch(), at("2026-01-10T00:00:00Z"), k_eur);
  expect_reconciles(first);
  EXPECT_EQ(first.paid.received_minor, 1000);
  EXPECT_EQ(first.paid.recognized, cr("10"));
  EXPECT_EQ(first.paid.recognized_minor, 333);
  EXPECT_EQ(first.paid.deferred_closing, cr("20"));
  EXPECT_EQ(first.paid.deferred_closing_minor, 667);

  const FinanceReport second =
      b.report(at("2026-01-10T00:00:00Z"), at("2026-02-01T00:00:00Z"), k_eur);
  expect_reconciles(second);
  EXPECT_EQ(second.paid.deferred_opening_minor, 667);
  EXPECT_EQ(second.paid.received_minor, 0);
  EXPECT_EQ(second.paid.recognized, cr("-6"));
  EXPECT_EQ(second.paid.recognized_minor, -200);
  EXPECT_EQ(second.paid.breakage, cr("26"));
  EXPECT_EQ(second.paid.breakage_minor, 867);
  EXPECT_EQ(second.paid.deferred_closing_minor, 0);

  const FinanceReport all = b.report(epoch(), at("2026-02-01T00:00:00Z"), k_eur);
  EXPECT_EQ(all.paid.recognized_minor, 133);
  EXPECT_EQ(all.paid.breakage_minor, 867);
  EXPECT_EQ(all.paid.received_minor, all.paid.recognized_minor + all.paid.breakage_minor);
}

// Amisi Basic (20 a month, rollover cap 40): the 15 left at the period end move into a
// rollover lot through `expire` entries. They are rolled over, not expired.
TEST(Finance, RolledOverCreditsAreNotBreakage) {
  Books b("2026-01-05T00:00:00Z");
  ASSERT_TRUE(b.run(OpenAccount{"u", "basic"}).has_value());
  b.h.spend("u", "5");
  b.at("2026-02-05T01:00:00Z");
  b.note();
  const FinanceReport r = b.report(epoch(), at("2026-03-01T00:00:00Z"), k_usd);
  const FreeFigures& sub = r.free[static_cast<size_t>(Source::subscription)];
  EXPECT_EQ(sub.issued, cr("40"));
  EXPECT_EQ(sub.consumed, cr("5"));
  EXPECT_EQ(sub.expired, cr("0"));
  EXPECT_EQ(r.rolled_over, cr("15"));
  EXPECT_EQ(sub.outstanding_closing, cr("35"));
  EXPECT_EQ(r.free[static_cast<size_t>(Source::rollover)].issued, cr("0"));
  // The journal does write them as expire entries (entry.h): the report is what tells them apart.
  size_t carried = 0;
  for (const Entry& e : b.h.journal()) {
    carried += e.kind == EntryKind::expire && e.reason.starts_with("rolled over") ? 1 : 0;
  }
  EXPECT_EQ(carried, 1u);
}

// Random commands: purchases, grants with and without a cost basis in two currencies, holds,
// captures, releases, spends, refunds, voids, plan changes (rollovers) and time. Every report
// reconciles; periods chain (one's closing is the next one's opening, and their flows add up);
// the closing deferred credits are exactly the credits paid lots still hold in the ledger; the
// money received is exactly what was paid.
using Op = std::tuple<uint8_t, uint16_t, uint16_t>;  // kind, amount, pick

RC_GTEST_PROP(FinanceProperty, ReportsReconcileWithTheJournal, (const std::vector<Op>& ops)) {
  Books b("2026-01-05T00:00:00Z");
  RC_ASSERT(b.run(OpenAccount{"a", "basic"}).has_value());
  RC_ASSERT(b.run(OpenAccount{"b", "", true}).has_value());
  std::vector<HoldId> holds;
  std::vector<SpendId> spends;
  std::vector<LotId> lots;
  std::vector<uint64_t> purchases;
  std::map<std::string, int64_t> paid_minor;  // by currency
  std::map<std::string, Credits> paid_credits;
  std::vector<TimeUs> times;
  for (size_t i = 0; i < ops.size(); ++i) {
    const auto [kind, n, pick] = ops[i];
    const std::string account = pick % 2 ? "a" : "b";
    const Credits amount = Credits::from_micro(int64_t{n % 2000 + 1} * 10'000);
    auto any = [&](const auto& v) { return v.empty() ? decltype(v[0]){} : v[pick % v.size()]; };
    Command c;
    switch (kind % 12) {
      case 0: {
        const char* packs[] = {"p20", "p50", "p200"};
        c = Purchase{account, packs[pick % 3], "USD", n % 3 == 0 ? "IN" : "", cat("pay-", i)};
        break;
      }
      case 1: {
        Grant g{.account = account,
                .source = static_cast<Source>(pick % 7),
                .amount = Credits::from_micro(amount.micro * 3)};
        if (n % 3 != 0) g.cost_basis = CostBasis{n % 3 == 1 ? k_usd : k_eur, n % 5000 + 1};
        if (pick % 3 == 0)
          g.expiry = {Expiry::Mode::at, add_us(b.h.now(), int64_t{n} * k_us_per_hour), {}};
        c = g;
        break;
      }
      case 2:
        c = PlaceHold{account, amount, "image", int64_t{pick % 90 + 1} * 60 * k_us_per_second,
                      "v1"};
        break;
      case 3:
        c = Capture{any(holds), pick % 3 ? std::optional<Credits>{amount} : std::nullopt};
        break;
      case 4:
        c = Release{any(holds), "failed"};
        break;
      case 5:
        c = SpendNow{account, amount, "image", "v1"};
        break;
      case 6:
        c = Refund{any(spends), pick % 2 ? std::optional<Credits>{amount} : std::nullopt, "r"};
        break;
      case 7:
        c = VoidLot{any(lots), "charge-back"};
        break;
      case 8:
        c = VoidPurchase{any(purchases), "charge-back"};
        break;
      case 9:
        c = SetPlan{"a", pick % 2 ? "basic" : "pro", std::nullopt};
        break;
      default:
        b.h.advance_us(int64_t{n} * 37 * k_us_per_minute);
        c = AdvanceTime{};
        break;
    }
    Result r = b.run(c);
    times.push_back(b.h.now());
    if (!r) continue;
    if (auto* g = std::get_if<GrantReply>(&*r)) {
      lots.push_back(g->lot);
      const Grant& grant = std::get<Grant>(c);
      if (grant.cost_basis.paid_minor > 0) {
        const std::string cur(currency_code(grant.cost_basis.currency));
        paid_minor[cur] += grant.cost_basis.paid_minor;
        paid_credits[cur] += grant.amount;
      }
    }
    if (auto* h = std::get_if<HoldReply>(&*r)) holds.push_back(h->hold);
    if (auto* s = std::get_if<SpendReply>(&*r)) spends.push_back(s->spend);
    if (auto* s = std::get_if<CaptureReply>(&*r)) spends.push_back(s->spend);
    if (auto* p = std::get_if<PurchaseReply>(&*r)) {
      if (std::find(purchases.begin(), purchases.end(), p->purchase) != purchases.end()) continue;
      purchases.push_back(p->purchase);
      lots.push_back(p->lot);
      paid_minor["USD"] += p->price.minor;
      paid_credits["USD"] += p->credits;
    }
  }
  const TimeUs end = add_us(b.h.now(), 1);
  const TimeUs split =
      times.empty() ? b.h.now() : times[*rc::gen::inRange<size_t>(0, times.size())];
  for (const auto& currency : {k_usd, k_eur}) {
    const std::string code(currency_code(currency));
    const FinanceReport all = b.report(epoch(), end, currency);
    const FinanceReport first = b.report(epoch(), split, currency);
    const FinanceReport second = b.report(split, end, currency);
    for (const FinanceReport* r : {&all, &first, &second}) {
      const PaidFigures& p = r->paid;
      RC_ASSERT(p.deferred_opening + p.received ==
                p.recognized + p.breakage + p.refunded + p.deferred_closing);
      RC_ASSERT(p.deferred_opening_minor + p.received_minor ==
                p.recognized_minor + p.breakage_minor + p.refunded_minor +
                    p.deferred_closing_minor);
      RC_ASSERT(p.deferred_closing_minor >= 0);
      if (p.deferred_closing.is_zero()) RC_ASSERT(p.deferred_closing_minor == 0);
    }
    RC_ASSERT(all.paid.deferred_opening_minor == 0);
    RC_ASSERT(all.paid.received_minor == paid_minor[code]);
    RC_ASSERT(all.paid.received == paid_credits[code]);
    RC_ASSERT(second.paid.deferred_opening_minor == first.paid.deferred_closing_minor);
    RC_ASSERT(second.paid.deferred_opening == first.paid.deferred_closing);
    RC_ASSERT(all.paid.recognized_minor ==
              first.paid.recognized_minor + second.paid.recognized_minor);
    RC_ASSERT(all.paid.breakage_minor == first.paid.breakage_minor + second.paid.breakage_minor);
    RC_ASSERT(all.paid.refunded_minor == first.paid.refunded_minor + second.paid.refunded_minor);
    // What paid lots of this currency (refund lots carry their origin's) hold now.
    Credits held_paid, held_free;
    for (const Account& a : b.h.ledger().accounts()) {
      for (const Lot& lot : a.lots) {
        if (lot.cost_basis.currency == currency) held_paid += lot.remaining + lot.held;
        if (lot.cost_basis.currency == std::array<char, 3>{}) held_free += lot.remaining + lot.held;
      }
    }
    RC_ASSERT(all.paid.deferred_closing == held_paid);
    Credits free_closing;
    for (const FreeFigures& f : all.free) {
      RC_ASSERT(f.outstanding_opening.is_zero());
      RC_ASSERT(f.issued - f.consumed - f.expired - f.voided == f.outstanding_closing);
      free_closing += f.outstanding_closing;
    }
    RC_ASSERT(free_closing == held_free);
  }
}

}  // namespace
}  // namespace tally::testing
