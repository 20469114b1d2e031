// The lease manager (server/lease.h) against the test PostgreSQL (fixture `pg`): a node whose
// renewal is held up past nine tenths of the lease stops answering and says so, and answers
// again once a renewal goes through, as long as nobody took the leases; a standby's answers name
// the holder.
#include "server/lease.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <chrono>
#include <thread>

#include "ledger/text.h"
#include "server/json.h"
#include "store/pg_conn.h"
#include "store/pg_store.h"
#include "store/pg_test_url.h"

namespace tally::server {
namespace {

std::unique_ptr<store::PgLeases> leases(const std::string& schema) {
  auto m = store::PgStore::migrate(store::test_pg_url(), schema);
  EXPECT_TRUE(m.has_value()) << m.error().message;
  auto l = store::PgLeases::open(store::test_pg_url(), schema, 2);
  EXPECT_TRUE(l.has_value()) << l.error().message;
  return l ? std::move(*l) : nullptr;
}

// Waits until serving() is `want`, at most `limit_ms`: whether it got there.
bool wait_for(const LeaseManager& m, bool want, int limit_ms) {
  const auto end = std::chrono::steady_clock::now() + std::chrono::milliseconds(limit_ms);
  while (std::chrono::steady_clock::now() < end) {
    if (m.serving() == want) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return m.serving() == want;
}

TEST(LeaseManager, ALateRenewalStopsTheAnswersUntilItGoesThrough) {
  const std::string schema = cat("lease_manager_", ::getpid());
  bool lost = false;
  LeaseManager m({.node = "node-a",
                  .lease_ms = 600,
                  .shards = 2,
                  .on_lost = [&lost](const std::string&) { lost = true; }},
                 leases(schema));
  ASSERT_TRUE(m.try_acquire());
  EXPECT_TRUE(m.serving());
  // Another session holds the lease rows: the renewals wait on it.
  auto blocker = store::pg::Connection::open(store::test_pg_url(), schema);
  ASSERT_TRUE(blocker.has_value()) << blocker.error();
  ASSERT_TRUE((*blocker)->exec("BEGIN").has_value());
  ASSERT_TRUE((*blocker)->exec("SELECT * FROM leases FOR UPDATE").has_value());
  EXPECT_TRUE(wait_for(m, false, 2'000));  // within 9/10 of the lease of the last renewal
  EXPECT_NE(m.health_json().find(R"("state":"expired")"), std::string::npos) << m.health_json();
  // A renewal waits at most a third of the lease for the rows: it fails and is tried again,
  // rather than hang (PgLeases::db).
  for (int i = 0;
       i < 200 && m.metrics_text().find("tally_lease_failures_total 0\n") != std::string::npos;
       ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  EXPECT_EQ(m.metrics_text().find("tally_lease_failures_total 0\n"), std::string::npos)
      << m.metrics_text();
  HttpRequest r;
  r.method = "GET";
  r.target = "/v1/accounts/a";
  HttpResponse refused = not_serving_answer(r, m, 2);
  EXPECT_EQ(refused.status, 503);
  EXPECT_NE(refused.body.find("could not renew its shard leases in time"), std::string::npos)
      << refused.body;
  ASSERT_TRUE((*blocker)->exec("COMMIT").has_value());  // nobody took them: renewed
  EXPECT_TRUE(wait_for(m, true, 2'000));
  EXPECT_FALSE(lost);
  m.release();
  EXPECT_FALSE(m.serving());
}

TEST(LeaseManager, AStandbyNamesTheHolderAndTakesOverOnceReleased) {
  const std::string schema = cat("lease_standby_", ::getpid());
  LeaseManager a({.node = "node-a", .lease_ms = 60'000, .shards = 2}, leases(schema));
  LeaseManager b({.node = "node-b", .lease_ms = 60'000, .shards = 2}, leases(schema));
  ASSERT_TRUE(a.try_acquire());
  EXPECT_FALSE(b.try_acquire());
  EXPECT_FALSE(b.serving());
  EXPECT_EQ(b.owner(), "node-a");
  HttpRequest r;
  r.method = "POST";
  r.target = "/v1/spends";
  r.request_id = "req-1";
  HttpResponse refused = not_serving_answer(r, b, 2);
  EXPECT_EQ(refused.status, 503);
  EXPECT_NE(refused.body.find(R"("owner":"node-a")"), std::string::npos) << refused.body;
  EXPECT_NE(refused.body.find(R"("request_id":"req-1")"), std::string::npos) << refused.body;
  r.method = "GET";
  r.target = "/healthz";
  HttpResponse health = not_serving_answer(r, b, 2);
  EXPECT_EQ(health.status, 503);
  EXPECT_NE(health.body.find(R"("status":"standby")"), std::string::npos) << health.body;
  a.release();  // a clean stop: no waiting for the 60 s lease
  ASSERT_TRUE(b.try_acquire());
  EXPECT_TRUE(b.serving());
  EXPECT_GT(b.epoch(), a.epoch());
  b.release();
}

}  // namespace
}  // namespace tally::server
