// The payments record in PostgreSQL (store/payments.h, PgPayments) against the test server:
// two nodes, each with its own PgPayments on one database, hold one record (rule 8: a
// payment_ref credits at most one purchase in the deployment, whichever node it reaches).
#include <gtest/gtest.h>
#include <unistd.h>

#include <atomic>
#include <thread>

#include "ledger/text.h"
#include "store/payments.h"
#include "store/pg_store.h"
#include "store/pg_test_url.h"

namespace tally::store {
namespace {

using State = PaymentClaim::State;

// A migrated schema of its own, and a node's PgPayments on it.
std::string migrated_schema() {
  static std::atomic<int> n{0};
  const std::string schema = cat("pay_", ::getpid(), "_", n++);
  auto m = PgStore::migrate(test_pg_url(), schema);
  EXPECT_TRUE(m.has_value()) << m.error().message;
  return schema;
}

std::unique_ptr<store::PgPayments> node(const std::string& schema) {
  auto p = store::PgPayments::open(test_pg_url(), schema);
  EXPECT_TRUE(p.has_value()) << p.error().message;
  return p ? std::move(*p) : nullptr;
}

// Two nodes' records on one new database: a fixture, since every test needs both.
class PgPayments : public ::testing::Test {
 protected:
  void SetUp() override {
    const std::string schema = migrated_schema();
    a_ = node(schema);
    b_ = node(schema);
    ASSERT_TRUE(a_ && b_);
  }
  std::unique_ptr<store::PgPayments> a_, b_;
};

CommandDigest digest_of(const std::string& account, const std::string& pack) {
  return fingerprint(Command{Purchase{account, pack, "USD", "", "pi_1"}});
}

TEST_F(PgPayments, APaymentRefClaimedOnOneNodeIsTakenOnTheOther) {
  auto& a = a_;
  auto& b = b_;
  const CommandDigest bob = digest_of("bob", "small");
  ASSERT_EQ(a->claim("pi_1", "bob", bob, TimeUs{1})->state, State::claimed);
  // The same purchase on the other node: pending (its shard dedupes it); another: taken.
  EXPECT_EQ(b->claim("pi_1", "bob", bob, TimeUs{2})->state, State::pending);
  auto alice = b->claim("pi_1", "alice", digest_of("alice", "small"), TimeUs{3});
  ASSERT_TRUE(alice.has_value()) << alice.error().message;
  EXPECT_EQ(alice->state, State::taken);
  EXPECT_EQ(alice->account, "bob");
  // Pending on both nodes until one records the answer; then credited on both.
  ASSERT_EQ(b->pending()->size(), 1u);
  EXPECT_EQ(b->pending()->at(0).payment_ref, "pi_1");
  const std::string answer("201 {\"id\":\"7\"}\0x", 16);  // bytes, NUL and all
  ASSERT_TRUE(a->credit("pi_1", bob, answer).has_value());
  EXPECT_TRUE(b->pending()->empty());
  auto again = b->claim("pi_1", "bob", bob, TimeUs{4});
  EXPECT_EQ(again->state, State::credited);
  EXPECT_EQ(again->response, answer);
  ASSERT_TRUE(b->release("pi_1", bob).has_value());  // too late: it was credited
  EXPECT_EQ(a->claim("pi_1", "bob", bob, TimeUs{5})->state, State::credited);
}

TEST_F(PgPayments, AClaimGivenUpOnOneNodeCanBeTakenOnTheOther) {
  auto& a = a_;
  auto& b = b_;
  const CommandDigest typo = digest_of("nobody", "small");
  ASSERT_EQ(a->claim("pi_1", "nobody", typo, TimeUs{1})->state, State::claimed);
  ASSERT_TRUE(b->release("pi_1", digest_of("bob", "small")).has_value());  // not its claim
  EXPECT_EQ(b->claim("pi_1", "bob", digest_of("bob", "small"), TimeUs{2})->state, State::taken);
  ASSERT_TRUE(a->release("pi_1", typo).has_value());
  EXPECT_EQ(b->claim("pi_1", "bob", digest_of("bob", "small"), TimeUs{3})->state, State::claimed);
}

// Two nodes claiming the same payment_ref for different purchases at the same time: exactly one
// gets it, whatever the interleaving.
TEST_F(PgPayments, ConcurrentClaimsOnTwoNodesGiveThePaymentToOne) {
  auto& a = a_;
  auto& b = b_;
  for (int i = 0; i < 50; ++i) {
    const std::string ref = cat("pi_race_", i);
    std::atomic<int> claimed{0}, taken{0};
    auto run = [&](store::PgPayments& p, const std::string& account) {
      auto c = p.claim(ref, account, digest_of(account, "small"), TimeUs{i});
      ASSERT_TRUE(c.has_value()) << c.error().message;
      (c->state == State::claimed ? claimed : taken) += 1;
    };
    std::thread ta([&] { run(*a, "ana"); });
    std::thread tb([&] { run(*b, "ben"); });
    ta.join();
    tb.join();
    EXPECT_EQ(claimed.load(), 1) << ref;
    EXPECT_EQ(taken.load(), 1) << ref;
  }
}

TEST(PgPaymentsOpen, ADatabaseWithoutTheTableIsRefused) {
  const std::string schema = cat("pay_empty_", ::getpid());
  auto p = store::PgPayments::open(test_pg_url(), schema);
  ASSERT_FALSE(p.has_value());
  EXPECT_NE(p.error().message.find("payments"), std::string::npos) << p.error().message;
}

}  // namespace
}  // namespace tally::store
