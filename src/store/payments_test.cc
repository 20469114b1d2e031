// The payments record (rule 8: one payment credits one purchase in the deployment).
#include "store/payments.h"

#include <gtest/gtest.h>

#include "ledger/test_support.h"

namespace tally::store {
namespace {

using State = PaymentClaim::State;

std::unique_ptr<SqlitePayments> open_at(const std::string& dir) {
  auto p = SqlitePayments::open(dir + "/payments.db");
  EXPECT_TRUE(p.has_value()) << p.error().message;
  return std::move(*p);
}

CommandDigest digest_of(const std::string& account, const std::string& pack) {
  return fingerprint(Command{Purchase{account, pack, "USD", "", "pi_1"}});
}

TEST(Payments, APaymentRefBelongsToTheFirstPurchaseThatClaimsIt) {
  auto p = open_at(testing::scratch_dir("payments"));
  const CommandDigest bob = digest_of("bob", "small");
  auto first = p->claim("pi_1", "bob", bob, TimeUs{1});
  ASSERT_TRUE(first.has_value());
  EXPECT_EQ(first->state, State::claimed);
  // The same purchase again, before it was credited: pending (the shard dedupes it).
  EXPECT_EQ(p->claim("pi_1", "bob", bob, TimeUs{2})->state, State::pending);
  // Another account, or another pack for the same account: taken, naming the holder.
  auto alice = p->claim("pi_1", "alice", digest_of("alice", "small"), TimeUs{3});
  EXPECT_EQ(alice->state, State::taken);
  EXPECT_EQ(alice->account, "bob");
  EXPECT_EQ(p->claim("pi_1", "bob", digest_of("bob", "large"), TimeUs{4})->state, State::taken);
  // Credited: the answer comes back for good; another purchase can no longer release it.
  ASSERT_TRUE(p->credit("pi_1", bob, "201 {\"id\":\"7\"}").has_value());
  ASSERT_TRUE(p->release("pi_1", digest_of("alice", "small")).has_value());
  ASSERT_TRUE(p->release("pi_1", bob).has_value());  // too late: it was credited
  auto again = p->claim("pi_1", "bob", bob, TimeUs{5});
  EXPECT_EQ(again->state, State::credited);
  EXPECT_EQ(again->response, "201 {\"id\":\"7\"}");
}

TEST(Payments, ARefusedPurchaseGivesItsClaimUp) {
  auto p = open_at(testing::scratch_dir("payments"));
  const CommandDigest typo = digest_of("nobody", "small");
  ASSERT_EQ(p->claim("pi_1", "nobody", typo, TimeUs{1})->state, State::claimed);
  ASSERT_TRUE(p->release("pi_1", typo).has_value());
  EXPECT_EQ(p->claim("pi_1", "bob", digest_of("bob", "small"), TimeUs{2})->state, State::claimed);
}

TEST(Payments, ClaimsAndCreditsOutliveTheProcess) {
  const std::string dir = testing::scratch_dir("payments");
  const CommandDigest bob = digest_of("bob", "small");
  {
    auto p = open_at(dir);
    ASSERT_EQ(p->claim("pi_1", "bob", bob, TimeUs{1})->state, State::claimed);
    ASSERT_EQ(p->claim("pi_2", "bob", digest_of("bob", "large"), TimeUs{1})->state,
              State::claimed);
    ASSERT_TRUE(p->credit("pi_1", bob, "201 {}").has_value());
  }
  auto p = open_at(dir);
  EXPECT_EQ(p->claim("pi_1", "bob", bob, TimeUs{2})->state, State::credited);
  EXPECT_EQ(p->claim("pi_2", "alice", digest_of("alice", "large"), TimeUs{2})->state,
            State::taken);
}

}  // namespace
}  // namespace tally::store
