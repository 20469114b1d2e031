// The simulator in the test suite (issue 7): a few hundred seeds on the in-memory store and
// some on SQLite and PostgreSQL, the same seed giving the same journal, and planted store bugs
// it must catch.
// `tally_sim --long SECONDS` runs more seeds for as long as asked.
#include <gtest/gtest.h>

#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "ledger/test_support.h"
#include "ledger/text.h"
#include "sim/simulator.h"
#include "store/pg_test_url.h"

namespace tally::sim {
namespace {

struct Totals {
  uint64_t requests = 0, acknowledged = 0, commits = 0, crashes = 0, restarts = 0, retries = 0,
           recalls = 0, entries = 0, team_refusals = 0, budget_refusals = 0, payments_taken = 0;
  void add(const Outcome& o) {
    requests += o.requests;
    acknowledged += o.acknowledged;
    commits += o.commits;
    crashes += o.crashes;
    restarts += o.restarts;
    retries += o.retries;
    recalls += o.recalls;
    entries += o.entries;
    team_refusals += o.team_refusals;
    budget_refusals += o.budget_refusals;
    payments_taken += o.payments_taken;
  }
};

// Runs seeds [first, first + count); every failure is reported with its shortest prefix.
Totals run_seeds(uint64_t first, uint64_t count, StoreKind store) {
  Totals totals;
  for (uint64_t seed = first; seed < first + count; ++seed) {
    Options o{.seed = seed, .steps = 300, .store = store};
    if (store == StoreKind::sqlite) o.dir = testing::scratch_dir(cat("sim-", seed));
    if (store == StoreKind::postgres) {
      o.pg_url = store::test_pg_url();
      o.pg_schema = cat("sim_", ::getpid(), "_", seed);
    }
    const Outcome out = run(o);
    if (!out.ok) {
      ADD_FAILURE() << explain_failure(o, out);
      continue;
    }
    EXPECT_EQ(out.steps_run, o.steps);
    totals.add(out);
  }
  // The runs did what the simulator is for: faults, restarts, retries, recalls.
  EXPECT_GT(totals.crashes, count);
  EXPECT_GT(totals.restarts, count);
  EXPECT_GT(totals.retries, count);
  EXPECT_GT(totals.recalls, 0u);
  EXPECT_GT(totals.acknowledged, count * 50);
  // Team accounts were debited by users who may not, and past hard budgets (issue 17).
  EXPECT_GT(totals.team_refusals, count);
  EXPECT_GT(totals.budget_refusals, 0u);
  // A payment was reported for two accounts, and the payments record refused the second
  // (across shards: issue 13).
  EXPECT_GT(totals.payments_taken, 0u);
  std::printf(
      "seeds %llu..%llu: %llu requests, %llu acknowledged, %llu commits, %llu crashes, "
      "%llu restarts, %llu retries, %llu recalled from the store, %llu entries, %llu team "
      "debits refused (%llu by a budget)\n",
      static_cast<unsigned long long>(first), static_cast<unsigned long long>(first + count - 1),
      static_cast<unsigned long long>(totals.requests),
      static_cast<unsigned long long>(totals.acknowledged),
      static_cast<unsigned long long>(totals.commits),
      static_cast<unsigned long long>(totals.crashes),
      static_cast<unsigned long long>(totals.restarts),
      static_cast<unsigned long long>(totals.retries),
      static_cast<unsigned long long>(totals.recalls),
      static_cast<unsigned long long>(totals.entries),
      static_cast<unsigned long long>(totals.team_refusals),
      static_cast<unsigned long long>(totals.budget_refusals));
  return totals;
}

// Four tests, so that ctest runs them side by side.
TEST(Simulator, Seeds1To100OnTheMemoryStore) { run_seeds(1, 100, StoreKind::memory); }
TEST(Simulator, Seeds101To200OnTheMemoryStore) { run_seeds(101, 100, StoreKind::memory); }
TEST(Simulator, Seeds201To300OnTheMemoryStore) { run_seeds(201, 100, StoreKind::memory); }
TEST(Simulator, Seeds1To20OnSqlite) { run_seeds(1, 20, StoreKind::sqlite); }
// The same workload through the PostgreSQL store (issue 16): crashes drop its connections
// (what was not committed is rolled back by the server), recovery is a load.
TEST(Simulator, Seeds1To20OnPostgres) { run_seeds(1, 20, StoreKind::postgres); }

TEST(Simulator, TheSameSeedGivesTheSameJournal) {
  for (uint64_t seed = 1; seed <= 10; ++seed) {
    const Outcome a = run({.seed = seed});
    const Outcome b = run({.seed = seed});
    ASSERT_TRUE(a.ok && b.ok) << a.failure << b.failure;
    EXPECT_EQ(a.journal_digest, b.journal_digest) << "seed " << seed;
    EXPECT_EQ(a.entries, b.entries);
    EXPECT_EQ(a.crashes, b.crashes);
    // The store under the ledger changes nothing the ledger writes.
    const Outcome c = run({.seed = seed, .store = StoreKind::sqlite,
                           .dir = testing::scratch_dir(cat("same-", seed))});
    ASSERT_TRUE(c.ok) << c.failure;
    EXPECT_EQ(a.journal_digest, c.journal_digest) << "seed " << seed;
  }
  EXPECT_NE(run({.seed = 1}).journal_digest, run({.seed = 2}).journal_digest);
}

// A store that loses a write must be caught, and the report must lead to the shortest replay.
void expect_caught(Plant plant) {
  for (uint64_t seed = 1; seed <= 5; ++seed) {
    const Options o{.seed = seed, .plant = plant};
    const Outcome out = run(o);
    ASSERT_FALSE(out.ok) << "seed " << seed << ": the planted bug went unnoticed";
    const std::string report = explain_failure(o, out);
    EXPECT_NE(report.find(cat("seed ", seed, " failed")), std::string::npos) << report;
    EXPECT_NE(report.find("replay: tally_sim --seed"), std::string::npos) << report;
    // The prefix it names is the shortest: it fails, one step less does not.
    const size_t at = report.find("shortest failing prefix: ");
    ASSERT_NE(at, std::string::npos) << report;
    const size_t steps = std::stoul(report.substr(at + 25));
    EXPECT_FALSE(run({.seed = seed, .steps = steps, .plant = plant}).ok) << report;
    EXPECT_TRUE(run({.seed = seed, .steps = steps - 1, .plant = plant}).ok) << report;
    if (seed == 1) std::printf("%s", report.c_str());
  }
}

TEST(Simulator, CatchesAStoreThatDropsALotChange) { expect_caught(Plant::drop_lot_change); }
TEST(Simulator, CatchesAStoreThatDropsAnEntry) { expect_caught(Plant::drop_entry); }

}  // namespace
}  // namespace tally::sim
