// A payment through the payments record (service/purchase.h), on a service stepped by hand.
#include "service/purchase.h"

#include <gtest/gtest.h>

#include "ledger/test_support.h"
#include "ledger/text.h"
#include "store/memory_store.h"

namespace tally::service {
namespace {

using testing::at;

struct Process {
  TimeUs now = at("2026-11-02T00:00:00Z");
  store::MemoryStore disk;
  store::FaultyStore faulty{&disk};
  std::unique_ptr<store::SqlitePayments> payments =
      std::move(*store::SqlitePayments::open(":memory:"));
  std::unique_ptr<Service> service;

  void start() {
    ServiceOptions o;
    o.shards = 2;
    o.catalog = testing::test_catalog();
    o.clock = [this] { return now; };
    o.threads = false;
    auto s = Service::start(std::move(o), &faulty);
    ASSERT_TRUE(s.has_value()) << s.error();
    service = std::move(*s);
  }
  // Started, with account "u" open; its shard.
  ShardId start_with_account() {
    start();
    const ShardId shard = service->shard_of_account("u");
    service->submit(Request{"open", OpenAccount{"u", "", true}}, [](Result) {});
    (void)service->step_apply(shard, 8);
    EXPECT_TRUE(service->step_commit(shard));
    return shard;
  }
  static std::string answer(const std::string& account, const PurchaseReply& r) {
    return cat("purchase ", r.purchase, " for ", account);
  }
  // Sends `request` through the payments record and runs its shard until it is answered.
  std::optional<PurchaseOutcome> send(Request request) {
    std::optional<PurchaseOutcome> got;
    const ShardId shard = service->shard_of(request.command);
    Submission s{std::move(request), nullptr, [](const Ledger&, const Result& r) {
                   const auto* p = r ? std::get_if<PurchaseReply>(&*r) : nullptr;
                   return p ? answer("", *p) : std::string("refused");
                 }};
    submit_purchase(*service, *payments, std::move(s), now,
                    [&](PurchaseOutcome o) { got = std::move(o); });
    (void)service->step_apply(shard, 64);
    (void)service->step_commit(shard);
    return got;
  }
  size_t settle() {
    auto settled = settle_pending_payments(
        *payments,
        [this](const store::PendingPayment& p) -> std::optional<PurchaseRecord> {
          const Ledger& l = service->ledger(service->shard_of_account(p.account));
          const PurchaseRecord* r = l.find_purchase_by_payment(p.payment_ref);
          return r ? std::optional<PurchaseRecord>(*r) : std::nullopt;
        },
        [](const std::string&, const PurchaseReply& r) { return answer("", r); });
    EXPECT_TRUE(settled.has_value());
    return settled.value_or(0);
  }
};

const Purchase k_pay{"u", "p20", "USD", "", "pi_1"};

// The promise (docs/api.md, rule 8): one payment credits one purchase, for good. A process that
// stopped between the purchase's commit and the record of its answer leaves its claim pending;
// once the shard has let the purchase go from memory, a retry would reach a shard that no longer
// knows the payment. Settling pending claims at start closes that gap.
TEST(Payments, APurchaseCommittedBeforeACrashCreditsOnceAlsoPastItsRetention) {
  Process p;
  const ShardId shard = p.start_with_account();

  // The purchase is written, but the process stops before its answer is recorded.
  p.faulty.fail_next_commit(/*written=*/true);
  auto first = p.send(Request{"k1", k_pay});
  EXPECT_FALSE(first.has_value());
  EXPECT_TRUE(p.service->stopped());
  ASSERT_EQ(p.payments->pending()->size(), 1u);

  p.service.reset();
  p.start();
  EXPECT_EQ(p.settle(), 1u);
  EXPECT_TRUE(p.payments->pending()->empty());
  const PurchaseRecord* made = p.service->ledger(shard).find_purchase_by_payment("pi_1");
  ASSERT_NE(made, nullptr);
  const std::string made_answer = cat("purchase ", made->id, " for ");

  // Past the ledger's memory of purchases (and of the key), the payment reported again is
  // answered from the record, and the account holds one purchase's credits.
  p.now = add_us(p.now, 401 * k_us_per_day);
  auto again = p.send(Request{"k2", k_pay});
  ASSERT_TRUE(again.has_value());
  EXPECT_EQ(again->kind, PurchaseOutcome::Kind::credited);
  EXPECT_EQ(again->response, made_answer);
  EXPECT_EQ(p.service->ledger(shard).find_purchase_by_payment("pi_1"), nullptr);  // none made
}

// A claim whose purchase never reached the store stays pending: the retry is the purchase.
TEST(Payments, AClaimWhosePurchaseNeverCommittedStaysPending) {
  Process p;
  p.start_with_account();
  p.faulty.fail_next_commit(/*written=*/false);
  EXPECT_FALSE(p.send(Request{"k1", k_pay}).has_value());
  p.service.reset();
  p.start();
  EXPECT_EQ(p.settle(), 0u);
  ASSERT_EQ(p.payments->pending()->size(), 1u);
  auto retry = p.send(Request{"k1", k_pay});
  ASSERT_TRUE(retry.has_value());
  ASSERT_EQ(retry->kind, PurchaseOutcome::Kind::ran);
  ASSERT_TRUE(retry->outcome.result && retry->outcome.result->has_value());
  EXPECT_TRUE(p.payments->pending()->empty());
}

}  // namespace
}  // namespace tally::service
