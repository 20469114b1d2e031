#include "store/codec.h"

#include <gtest/gtest.h>

#include "ledger/describe.h"
#include "ledger/test_support.h"

namespace tally::store {
namespace {

using testing::at;
using testing::cr;

Portions two_portions() {
  return {Portion{LotId{7}, cr("1.5"), at("2026-02-01T00:00:00Z"), cr("0.5")},
          Portion{LotId{9}, cr("3"), TimeUs::never(), cr("0")}};
}

Restored restored() {
  return Restored{cr("1"), cr("2"), cr("3"), {LotId{11}, LotId{12}}};
}

// One result of every kind, every field set to something other than its default.
std::vector<Result> every_kind() {
  const TimeUs t = at("2026-03-04T05:06:07.000008Z");
  const VoidReply v{LotId{4}, cr("1"), cr("2"), cr("3"), cr("4")};
  std::vector<Result> out = {
      OpenAccountReply{"user-1", "pro", LotId{1}, LotId{2}},
      GrantReply{LotId{3}, cr("10"), t, TimeUs::never()},
      HoldReply{HoldId{5}, cr("4.5"), t, two_portions()},
      CaptureReply{HoldId{5}, SpendId{6}, cr("4"), cr("0.5"), two_portions(), restored()},
      ReleaseReply{HoldId{5}, cr("4.5"), restored()},
      SpendReply{SpendId{8}, cr("2"), two_portions()},
      RefundReply{SpendId{8}, cr("1"), cr("2"), restored()},
      v,
      AdvanceReply{t, 1, 2, 3},
      SubscriptionReply{"user-1", "basic", "free", "cancelling", true, t, t, cr("20"), LotId{13},
                        LotId{14}, LotId{15}},
      RewardReply{LotId{16}, cr("2"), t, "winter"},
      PurchaseReply{17, "p20", Money{{'U', 'S', 'D'}, 999}, LotId{18}, cr("20"), LotId{19}, cr("2"),
                    t},
      VoidPurchaseReply{17, cr("1"), cr("2"), cr("3"), cr("4"), {v, v}},
      NoChangeReply{},
      AlertsReply{"u", Alerts{cr("10"), 3 * k_us_per_day}},
      AutoTopupReply{"u", AutoTopup{AutoTopupSettings{cr("5"), "p20", "USD", "IN"}, true, 21, t, 2,
                                    TimeUs::never()}},
  };
  out.push_back(MemberReply{"team", Member{"ana", Role::admin, t}});
  Budget b;
  b.spec = BudgetSpec{"ana-week",         "ana", "site",           cr("50"),
                      BudgetPeriod::week, t,     BudgetMode::soft, cr("40")};
  b.created_at = t;
  b.period_index = 3;
  b.period_start = t;
  b.period_end = at("2026-03-11T05:06:07Z");
  b.counting_from = t;
  b.first_debit = 22;
  b.used = cr("45");
  b.crossed = true;
  b.reached = true;
  out.push_back(BudgetReply{"team", b});
  out.push_back(OutcomeReply{SpendId{23}, Outcome::rejected, true});
  out.push_back(std::unexpected(LedgerError{ErrorCode::insufficient_credits, "needs 5", cr("5")}));
  out.push_back(std::unexpected(LedgerError{ErrorCode::budget_exceeded, "over b-1", cr("2"),
                                            BudgetRefusal{"b-1", cr("10"), cr("9"), cr("1")}}));
  return out;
}

TEST(Codec, EveryResultRoundTrips) {
  const auto results = every_kind();
  ASSERT_EQ(results.size(), std::variant_size_v<Reply> + 2);  // a new reply needs a case here
  for (const Result& r : results) {
    auto back = decode_result(encode_result(r));
    ASSERT_TRUE(back.has_value()) << back.error();
    EXPECT_TRUE(*back == r) << describe(r);
  }
}

TEST(Codec, AnAutoTopupRoundTripsAndCorruptBytesAreErrors) {
  const AutoTopup t{AutoTopupSettings{cr("12.5"), "p200", "USD", "IN"}, false, 281474976710661,
                    at("2026-03-04T05:06:07Z"), 3, at("2026-03-05T00:00:00Z")};
  const std::string bytes = encode_auto_topup(t);
  auto back = decode_auto_topup(bytes);
  ASSERT_TRUE(back.has_value()) << back.error();
  EXPECT_EQ(*back, t);
  EXPECT_FALSE(decode_auto_topup(bytes.substr(0, bytes.size() - 1)).has_value());
  EXPECT_FALSE(decode_auto_topup(bytes + "x").has_value());
  EXPECT_FALSE(decode_auto_topup("").has_value());
}

TEST(Codec, ATeamRoundTripsAndOneStoredBeforeBudgetAlertsReadsWithNone) {
  Team t;
  t.members.push_back(Member{"olga", Role::owner, at("2026-03-01T00:00:00Z")});
  Budget& b = t.budgets.emplace_back();
  b.spec = BudgetSpec{
      "ana-month",      "ana",   "", cr("100"), BudgetPeriod::month, at("2026-03-01T00:00:00Z"),
      BudgetMode::soft, cr("80")};
  b.created_at = at("2026-03-02T00:00:00Z");
  b.period_start = at("2026-03-01T00:00:00Z");
  b.period_end = at("2026-04-01T00:00:00Z");
  b.counting_from = b.created_at;
  b.first_debit = 5;
  b.used = cr("90");
  b.reached = true;
  const std::string bytes = encode_team(t);
  auto back = decode_team(bytes);
  ASSERT_TRUE(back.has_value()) << back.error();
  EXPECT_EQ(*back, t);
  // Codec version 1 (batch version 4): the same fields without alert_at and reached, which
  // close the last budget's.
  std::string old = bytes.substr(0, bytes.size() - 9);
  old[0] = 1;
  auto before = decode_team(old);
  ASSERT_TRUE(before.has_value()) << before.error();
  Team want = t;
  want.budgets[0].spec.alert_at = Credits{};
  want.budgets[0].reached = false;
  EXPECT_EQ(*before, want);
  EXPECT_FALSE(decode_team(bytes.substr(0, bytes.size() - 1)).has_value());
  old[0] = 3;
  EXPECT_EQ(decode_team(old).error(), "unknown codec version 3");
}

TEST(Codec, CorruptBytesAreErrorsNotCrashes) {
  for (const Result& r : every_kind()) {
    const std::string bytes = encode_result(r);
    for (size_t n = 0; n < bytes.size(); ++n) {
      EXPECT_FALSE(decode_result(std::string_view(bytes).substr(0, n)).has_value()) << n;
    }
    EXPECT_EQ(decode_result(bytes + "x").error(), "trailing bytes");
  }
  EXPECT_EQ(decode_result(std::string("\x03\x01", 2)).error(), "unknown codec version 3");
  EXPECT_EQ(decode_result(std::string("\x01\x63", 2)).error(), "unknown reply tag 99");
  std::string huge("\x01\x01\xff\xff\xff\x7f", 6);  // an account name of 2 GB
  EXPECT_FALSE(decode_result(huge).has_value());
}

}  // namespace
}  // namespace tally::store
