// History grouped by operation (history.h, docs/api.md "History by operation"): sequences run
// through the real ledger, then their journal folded into the lines a person reads.
#include "ledger/history.h"

#include <gtest/gtest.h>

#include "ledger/test_support.h"

namespace tally::testing {
namespace {

struct Line {
  std::string kind;
  size_t portions = 0;
  std::string amount, held, credits;
  std::string summary;
  friend bool operator==(const Line&, const Line&) = default;
};

void PrintTo(const Line& l, std::ostream* os) {
  *os << l.kind << " x" << l.portions << " amount " << l.amount << " held " << l.held << " credits "
      << l.credits << " \"" << l.summary << "\"";
}

// The operations of the journal's entries from index `from` on.
std::vector<Line> lines(const Harness& h, size_t from = 0) {
  const std::vector<Entry> entries = h.since(from);
  std::vector<Line> out;
  for (const OperationSpan& s : group_operations(entries)) {
    const Operation op = fold_operation(std::span(entries).subspan(s.first, s.count));
    out.push_back({std::string(operation_kind_name(op.kind)), s.count, format_credits(op.amount),
                   format_credits(op.held), format_credits(op.credits), op.summary});
  }
  return out;
}

LotId admin_lot(Harness& h, const char* amount, const char* expires_at) {
  auto r = h.run(Grant{.account = "u",
                       .source = Source::admin,
                       .amount = cr(amount),
                       .expiry = {Expiry::Mode::at, at(expires_at), {}},
                       .reason = "goodwill"});
  EXPECT_TRUE(r.has_value());
  return r ? std::get<GrantReply>(*r).lot : LotId{};
}

// The new user: one failed 12-credit video over four lots was four "held for video"
// lines and four "returned" ones; it is one line each, with the portions under it.
TEST(History, AHoldOverSeveralLotsAndItsReleaseAreOneLineEach) {
  Harness h;
  h.open("u");
  for (const char* expiry : {"2026-02-01T00:00:00Z", "2026-02-02T00:00:00Z", "2026-02-03T00:00:00Z",
                             "2026-02-04T00:00:00Z"}) {
    admin_lot(h, "3", expiry);
  }
  const size_t from = h.journal().size();
  const HoldReply held = h.hold("u", "12", "video");
  ASSERT_TRUE(h.run(Release{held.hold, "render failed"}).has_value());
  EXPECT_EQ(
      lines(h, from),
      (std::vector<Line>{
          {"hold", 4, "-12", "12", "12", "Held 12 credits for video"},
          {"release", 4, "12", "-12", "12", "Returned 12 credits held for video: render failed"},
      }));
  // Each grant is a line of its own, even at one instant.
  EXPECT_EQ(lines(h).size(), 4u + 2u);
  EXPECT_EQ(lines(h)[0], (Line{"grant", 1, "3", "0", "3", "Added 3 credits (admin): goodwill"}));
}

TEST(History, APartialCaptureIsOneLineWithWhatCameBack) {
  Harness h;
  h.open("u");
  admin_lot(h, "3", "2026-02-01T00:00:00Z");
  admin_lot(h, "3", "2026-02-02T00:00:00Z");
  const size_t from = h.journal().size();
  const HoldReply held = h.hold("u", "6", "image");
  h.capture(held.hold, cr("4"));  // 3 of the first lot, 1 of the second; 2 go back to it
  EXPECT_EQ(
      lines(h, from),
      (std::vector<Line>{
          {"hold", 2, "-6", "6", "6", "Held 6 credits for image"},
          {"capture", 3, "2", "-6", "4", "Used 4 of the 6 credits held for image; 2 came back"},
      }));
  const HoldReply all = h.hold("u", "2", "image");
  h.capture(all.hold);
  EXPECT_EQ(lines(h).back(), (Line{"capture", 1, "0", "-2", "2", "Used 2 credits for image"}));
}

TEST(History, APurchaseWithItsBonusIsOneLine) {
  Harness h(LedgerConfig{}, "2026-01-05T00:00:00Z", test_catalog());
  h.open("u");
  ASSERT_TRUE(h.run(Purchase{"u", "forever", "USD", "", "pi_1"}).has_value());
  EXPECT_EQ(lines(h), (std::vector<Line>{
                          {"purchase", 2, "120", "0", "120",
                           "Bought 100 credits (pack forever), plus a bonus of 20 credits"},
                      }));
  // The next purchase at the same instant is a line of its own.
  ASSERT_TRUE(h.run(Purchase{"u", "p20", "USD", "", "pi_2"}).has_value());
  EXPECT_EQ(lines(h).size(), 2u);
  EXPECT_EQ(lines(h)[1].summary, "Bought 20 credits (pack p20)");
}

TEST(History, LotsExpiringAtOneInstantAreOneLine) {
  Harness h;
  h.open("u");
  admin_lot(h, "3", "2026-02-01T00:00:00Z");
  admin_lot(h, "4", "2026-02-01T00:00:00Z");
  admin_lot(h, "5", "2026-02-02T00:00:00Z");
  const size_t from = h.journal().size();
  h.advance_to(at("2026-02-03T00:00:00Z"));
  ASSERT_TRUE(h.run(AdvanceTime{}).has_value());
  EXPECT_EQ(lines(h, from), (std::vector<Line>{
                                {"expiry", 2, "-7", "0", "7", "7 credits expired from 2 lots"},
                                {"expiry", 1, "-5", "0", "5", "5 admin credits expired"},
                            }));
}

TEST(History, ATimedOutHoldSaysSo) {
  Harness h;
  h.open("u");
  admin_lot(h, "10", "2026-02-01T00:00:00Z");
  const size_t from = h.journal().size();
  ASSERT_TRUE(h.run(PlaceHold{"u", cr("2"), "chat", 60 * k_us_per_second, "v1"}).has_value());
  h.advance_us(61 * k_us_per_second);
  ASSERT_TRUE(h.run(AdvanceTime{}).has_value());
  EXPECT_EQ(lines(h, from).back(),
            (Line{"release", 1, "2", "-2", "2",
                  "Returned 2 credits held for chat: the job did not finish in time"}));
}

// A refund after its lot expired comes back as a refund lot (rule 3): part of the refund's line.
TEST(History, ARefundIntoAnExpiredLotSaysWhere) {
  Harness h;
  h.open("u");
  admin_lot(h, "5", "2026-01-06T00:00:00Z");
  const SpendReply spent = h.spend("u", "4", "image");
  h.advance_to(at("2026-01-07T00:00:00Z"));
  const size_t from = h.journal().size();
  ASSERT_TRUE(h.run(Refund{spent.spend, cr("2"), "bad output"}).has_value());
  const std::vector<Line> got = lines(h, from);
  ASSERT_FALSE(got.empty());
  EXPECT_EQ(got.back(),
            (Line{"refund", 1, "2", "0", "2",
                  "Refunded 2 credits used by image: bad output; 2 credits as a new refund lot, "
                  "their lot having expired"}));
  EXPECT_EQ(lines(h, 0)[1], (Line{"spend", 1, "-4", "0", "4", "Used 4 credits for image"}));
}

TEST(History, ARenewalIsOneLine) {
  Harness h(LedgerConfig{}, "2026-01-05T00:00:00Z", test_catalog());
  h.open("u");
  ASSERT_TRUE(h.run(SetPlan{"u", "basic", std::nullopt}).has_value());
  h.spend("u", "5", "image");
  const size_t from = h.journal().size();
  h.advance_to(at("2026-02-06T00:00:00Z"));
  ASSERT_TRUE(h.run(AdvanceTime{}).has_value());
  const std::vector<Line> got = lines(h, from);
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0].kind, "renewal");
  EXPECT_EQ(got[0].credits, "20");
  EXPECT_TRUE(got[0].summary.starts_with("New plan period: 20 credits added")) << got[0].summary;
  EXPECT_TRUE(got[0].summary.ends_with(", 15 rolled over")) << got[0].summary;
  EXPECT_EQ(lines(h, 0)[0].kind, "grant");  // the first allocation is a grant
}

// Every entry is in exactly one operation, the operations add up to the entries, and a page
// cut at an operation's end groups as the whole does.
TEST(History, EveryEntryIsInOneOperationAndPagesCutBetweenThem) {
  Harness h(LedgerConfig{}, "2026-01-05T00:00:00Z", test_catalog());
  h.open("u");
  admin_lot(h, "3", "2026-01-20T00:00:00Z");
  admin_lot(h, "3", "2026-01-21T00:00:00Z");
  ASSERT_TRUE(h.run(Purchase{"u", "forever", "USD", "", "pi_1"}).has_value());
  h.release(h.hold("u", "110", "video").hold);
  h.capture(h.hold("u", "7", "image").hold, cr("1"));
  h.refund(h.spend("u", "9", "chat").spend);
  h.advance_to(at("2026-02-01T00:00:00Z"));
  ASSERT_TRUE(h.run(AdvanceTime{}).has_value());
  const std::vector<Entry> all = h.journal();
  const std::vector<OperationSpan> ops = group_operations(all);
  size_t next = 0;
  Credits amount, held;
  for (const OperationSpan& s : ops) {
    EXPECT_EQ(s.first, next);
    next += s.count;
    const Operation op = fold_operation(std::span(all).subspan(s.first, s.count));
    amount += op.amount;
    held += op.held;
    EXPECT_EQ(op.balance_after, all[s.first + s.count - 1].balance_after);
  }
  EXPECT_EQ(next, all.size());
  Credits entries_amount, entries_held;
  for (const Entry& e : all) {
    entries_amount += e.amount;
    entries_held += e.held;
  }
  EXPECT_EQ(amount, entries_amount);
  EXPECT_EQ(held, entries_held);
  for (size_t cut = 1; cut < ops.size(); ++cut) {
    const size_t at_entry = ops[cut].first;
    const auto tail = group_operations(std::span(all).subspan(at_entry));
    EXPECT_EQ(tail.size(), ops.size() - cut);
  }
  // Two grants, a purchase, a hold and its release, a hold and its capture, a spend and its
  // refund, then three expiries: the bonus lot (12 Jan), and each admin lot on its own day.
  EXPECT_EQ(ops.size(), 2u + 1u + 2u + 2u + 2u + 3u);
}

}  // namespace
}  // namespace tally::testing
