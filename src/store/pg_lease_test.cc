// Shard leases and fencing (issue 16, docs/storage.md "Leases and fencing") against the test
// PostgreSQL (fixture `pg`): one node at a time holds every shard, another takes them only once
// they expired (or were released), at a higher epoch, and a commit under a lease that was taken
// over writes nothing.
#include "store/pg_lease.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <thread>

#include "ledger/ledger.h"
#include "ledger/test_support.h"
#include "ledger/text.h"
#include "store/pg_conn.h"
#include "store/pg_store.h"
#include "store/pg_test_url.h"

namespace tally::store {
namespace {

std::string lease_schema() {
  static std::atomic<int> n{0};
  return cat("lease_", ::getpid(), "_", n++);
}

// A schema migrated to the current version, with `shards` lease rows.
std::unique_ptr<PgLeases> leases(const std::string& schema, size_t shards = 2) {
  auto m = PgStore::migrate(test_pg_url(), schema);
  EXPECT_TRUE(m.has_value()) << m.error().message;
  auto l = PgLeases::open(test_pg_url(), schema, shards);
  EXPECT_TRUE(l.has_value()) << l.error().message;
  return l ? std::move(*l) : nullptr;
}

int64_t scalar(const std::string& schema, const char* sql) {
  auto db = pg::Connection::open(test_pg_url(), schema);
  EXPECT_TRUE(db.has_value());
  if (!db) return -1;
  auto r = (*db)->query(sql);
  EXPECT_TRUE(r.has_value()) << (r ? "" : r.error());
  return r && r->size() > 0 ? r->i64(0, 0) : -1;
}

void sleep_ms(int ms) {
  std::this_thread::sleep_for(std::chrono::milliseconds(ms));
}

TEST(PgLeases, OneNodeHoldsEveryShardAndAnotherTakesThemOnlyOnceExpired) {
  const std::string schema = lease_schema();
  auto a = leases(schema, 3);
  auto b = leases(schema, 3);
  ASSERT_TRUE(a && b);
  auto first = a->acquire_all("node-a", 400);
  ASSERT_TRUE(first.has_value()) << first.error().message;
  ASSERT_TRUE(first->epoch.has_value());  // free rows: taken
  const int64_t epoch_a = *first->epoch;
  auto refused = b->acquire_all("node-b", 400);
  ASSERT_TRUE(refused.has_value()) << refused.error().message;
  EXPECT_FALSE(refused->epoch.has_value());
  ASSERT_EQ(refused->rows.size(), 3u);
  for (const LeaseRow& row : refused->rows) {
    EXPECT_EQ(row.owner, "node-a");
    EXPECT_EQ(row.epoch, epoch_a);
    EXPECT_GT(row.expires_in_ms, 0);
  }
  // Renewed well inside the lease, it stays A's past the first expiry.
  for (int i = 0; i < 4; ++i) {
    sleep_ms(150);
    EXPECT_EQ(a->renew("node-a", epoch_a, 400).value_or(0), 3u);
    EXPECT_FALSE(b->acquire_all("node-b", 400)->epoch.has_value());
  }
  sleep_ms(500);  // A stops renewing: its leases expire
  auto taken = b->acquire_all("node-b", 400);
  ASSERT_TRUE(taken.has_value() && taken->epoch.has_value());
  EXPECT_GT(*taken->epoch, epoch_a);
  // A finds out at its next renewal, and its release gives up nothing of B's.
  EXPECT_EQ(a->renew("node-a", epoch_a, 400).value_or(99), 0u);
  ASSERT_TRUE(a->release("node-a", epoch_a).has_value());
  for (const LeaseRow& row : b->rows().value_or(std::vector<LeaseRow>{})) {
    EXPECT_EQ(row.owner, "node-b");
    EXPECT_EQ(row.epoch, *taken->epoch);
  }
  // B's clean stop frees them at once.
  ASSERT_TRUE(b->release("node-b", *taken->epoch).has_value());
  auto back = a->acquire_all("node-a", 400);
  ASSERT_TRUE(back.has_value() && back->epoch.has_value());
  EXPECT_GT(*back->epoch, *taken->epoch);
}

// A node restarted under its own name does not wait for the leases its last run held: it
// takes them again at a new epoch, which fences anything the old run still had in flight.
TEST(PgLeases, ANodeRestartedUnderItsNameTakesItsLeasesAgainAtANewEpoch) {
  const std::string schema = lease_schema();
  auto before = leases(schema);
  auto after = leases(schema);
  ASSERT_TRUE(before && after);
  auto first = before->acquire_all("node-a", 60'000);
  ASSERT_TRUE(first.has_value() && first->epoch.has_value());
  auto again = after->acquire_all("node-a", 60'000);
  ASSERT_TRUE(again.has_value() && again->epoch.has_value());
  EXPECT_GT(*again->epoch, *first->epoch);
  EXPECT_EQ(before->renew("node-a", *first->epoch, 60'000).value_or(99), 0u);
}

// Nodes that all try at once on free leases: exactly one holds them.
TEST(PgLeases, NodesAcquiringTogetherNeverBothHold) {
  const std::string schema = lease_schema();
  constexpr int k_nodes = 4;
  std::vector<std::unique_ptr<PgLeases>> nodes;
  for (int i = 0; i < k_nodes; ++i) nodes.push_back(leases(schema));
  std::atomic<int> won{0};
  std::vector<std::thread> threads;
  for (int i = 0; i < k_nodes; ++i) {
    threads.emplace_back([&, i] {
      auto r = nodes[i]->acquire_all(cat("node-", i), 60'000);
      if (r && r->epoch) ++won;
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(won.load(), 1);
}

// The commit's check (tally_fence, in the commit's transaction): once another node took the
// shard's lease, the old holder's commit writes nothing, says it was fenced, and the shard
// stops; every journal row records the epoch it was written under.
TEST(PgFencing, ACommitAfterItsLeaseWasTakenOverWritesNothing) {
  const std::string schema = lease_schema();
  auto a = leases(schema, 1);
  auto b = leases(schema, 1);
  ASSERT_TRUE(a && b);
  auto held = a->acquire_all("node-a", 300);
  ASSERT_TRUE(held.has_value() && held->epoch.has_value());
  PgOptions o;
  o.url = test_pg_url();
  o.schema = schema;
  std::string fenced;
  o.on_fenced = [&fenced](const std::string& m) { fenced = m; };
  auto store = PgStore::open(o);
  ASSERT_TRUE(store.has_value()) << store.error().message;
  (*store)->set_fence("node-a", *held->epoch);
  LedgerConfig config;
  config.track_changes = true;
  Ledger ledger(config, testing::test_catalog());
  const TimeUs now = testing::at("2026-11-02T00:00:00Z");
  auto commit = [&](const std::string& account) {
    std::vector<Entry> entries;
    EXPECT_TRUE(ledger.apply({"open-" + account, OpenAccount{account}}, now, &entries));
    StateDelta delta;
    ledger.take_delta(&delta);
    return (*store)->commit(0, entries, delta);
  };
  ASSERT_TRUE(commit("x").has_value());
  EXPECT_EQ(scalar(schema, "SELECT lease_epoch FROM journal WHERE record = 1"), *held->epoch);
  EXPECT_TRUE(fenced.empty());
  sleep_ms(400);  // A's lease expires, B takes it
  auto taken = b->acquire_all("node-b", 60'000);
  ASSERT_TRUE(taken.has_value() && taken->epoch.has_value());
  auto refused = commit("y");
  ASSERT_FALSE(refused.has_value());
  EXPECT_NE(
      refused.error().message.find(cat("fenced: the lease of shard 0 is held by 'node-b' at "
                                       "epoch ",
                                       *taken->epoch, ", not by 'node-a' at epoch ", *held->epoch)),
      std::string::npos)
      << refused.error().message;
  EXPECT_NE(fenced.find("fenced:"), std::string::npos) << fenced;
  EXPECT_EQ(scalar(schema, "SELECT count(*) FROM journal"), 1);
  EXPECT_EQ(scalar(schema, "SELECT count(*) FROM accounts WHERE id = 'y'"), 0);
  // Stopped: even a fence naming the new holder does not make this store write again.
  (*store)->set_fence("node-b", *taken->epoch);
  EXPECT_FALSE(commit("z").has_value());
  EXPECT_EQ(scalar(schema, "SELECT count(*) FROM journal"), 1);
}

// An expired lease nobody took over is still its holder's: a renewal brings it back (no other
// node wrote meanwhile, so what the holder has in memory is still the shard).
TEST(PgFencing, AnExpiredLeaseNobodyTookIsRenewed) {
  const std::string schema = lease_schema();
  auto a = leases(schema, 1);
  ASSERT_TRUE(a);
  auto held = a->acquire_all("node-a", 200);
  ASSERT_TRUE(held.has_value() && held->epoch.has_value());
  sleep_ms(300);
  EXPECT_EQ(a->renew("node-a", *held->epoch, 200).value_or(0), 1u);
}

// How long `node` takes to acquire every lease of `leases`, trying every 100 ms for at most
// `limit_ms`: -1 if it did not.
int64_t takeover_ms(PgLeases& leases, const std::string& node, int64_t lease_ms, int limit_ms) {
  const auto start = std::chrono::steady_clock::now();
  for (;;) {
    const auto took = std::chrono::duration_cast<std::chrono::milliseconds>(
                          std::chrono::steady_clock::now() - start)
                          .count();
    if (took > limit_ms) return -1;
    auto r = leases.acquire_all(node, lease_ms);
    if (r && r->epoch) return took;
    sleep_ms(100);
  }
}

// A writer paused in the middle of a commit (a batch of several pipeline chunks: its node
// stopped between two) holds the row lock tally_fence took on its lease row. Without a limit,
// no takeover gets past that lock until the node wakes; with PgStore's writer settings
// (pg::writer_session_sql, idle_in_transaction_session_timeout at half the lease) PostgreSQL
// ends the session and the standby takes the shards about when the lease runs out.
TEST(PgFencing, APausedWriterHoldsOffATakeoverOnlyUntilItsSessionTimesOut) {
  constexpr int64_t k_lease = 1000;
  const std::string schema = lease_schema();
  auto a = leases(schema, 1);
  auto b = leases(schema, 1);
  ASSERT_TRUE(a && b);
  for (const bool limited : {false, true}) {
    SCOPED_TRACE(limited ? "with the writer settings" : "without them");
    auto held = a->acquire_all("node-a", k_lease);
    ASSERT_TRUE(held.has_value() && held->epoch.has_value());
    auto writer = pg::Connection::open(test_pg_url(), schema);
    ASSERT_TRUE(writer.has_value()) << writer.error();
    pg::Connection& w = **writer;
    if (limited) {
      ASSERT_TRUE(w.exec(pg::writer_session_sql(k_lease)).has_value());
    }
    ASSERT_TRUE(w.exec("BEGIN").has_value());
    auto fenced = w.query("SELECT tally_fence($1, $2, $3)",
                          pg::Params().i64(0).text("node-a").i64(*held->epoch));
    ASSERT_TRUE(fenced.has_value()) << fenced.error();
    // The node pauses here: it neither renews nor sends the rest of its commit.
    const int64_t took = takeover_ms(*b, "node-b", k_lease, 3 * k_lease);
    if (limited) {
      EXPECT_GE(took, k_lease - 300);  // not before the lease ran out (taken just before)
      EXPECT_LE(took, k_lease + 1000);
      EXPECT_FALSE(w.alive());  // PostgreSQL ended the paused writer's session
      auto late = w.exec("COMMIT");
      EXPECT_FALSE(late.has_value());
    } else {
      EXPECT_EQ(took, -1);  // three leases long, and still the lock stands
      EXPECT_TRUE(w.alive());
      ASSERT_TRUE(w.exec("ROLLBACK").has_value());
    }
    std::printf("takeover behind a paused writer %s the limit: %lld ms\n",
                limited ? "with" : "without", static_cast<long long>(took));
  }
}

}  // namespace
}  // namespace tally::store
