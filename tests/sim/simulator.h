// The deterministic simulator (issue 7), in the style of TigerBeetle's VOPR: from a seed it
// generates a workload of clients (accounts, plans, grants, purchases, daily rewards, holds,
// captures, releases, refunds, voids, subscription changes, retries, duplicate deliveries, key
// reuse) and of time (small steps and jumps across many expiries and renewals at once), and
// runs it through the real service shards, ledger and store interface, with faults injected
// between them: failed commits, ambiguous commits (written, reported failed), crashes between
// apply and commit and between commit and reply (with a second batch applied behind the
// first), and restarts.
//
// The simulated process is the real service (src/service, ServiceOptions::threads false) with
// three shards, stepped by the simulation: it chooses from the seed which shard applies a batch
// next, when each batch commits (one batch in four stays uncommitted while the shard's next one
// applies, as the shard thread's pipeline lets it), and when a commit fails or the process
// crashes. Purchases go through the payments record as the HTTP API sends them
// (service/purchase.h), so a payment reported for accounts on different shards meets the record,
// not a shard. A failed commit stops the process (fail-stop) and it restarts from the store
// (recovery), with idempotency keys the ledger let go looked up in the store
// (service/recall.h). Everything runs on one thread from one random stream, so a seed replays
// exactly.
//
// After every request it checks the invariants, and after every step that runs a batch or
// restarts the process it checks:
//   - every invariant of DESIGN rule 9 (Ledger::check_invariants);
//   - rule 11 on team accounts: no debit takes a hard budget past its limit, and a debit
//     refused for its member, role or budget writes nothing;
//   - `verify`: the store's whole journal recomputes the ledger's state;
//   - against a shadow ledger per shard that applied exactly the batches that reached the store,
//     without faults or restarts: the same state (dump_state), the same journal, the same reply
//     to every request; so after a recovery every acknowledged command is present, none is
//     half-applied and nothing that did not commit survived;
//   - every reply a client was given is given again, unchanged, to every retry of its key, and
//     a key reused for another command is refused with idempotency_conflict;
//   - a payment_ref credits at most one purchase in the deployment, whatever shard or account it
//     comes with; the payments record answers a payment credited before with its purchase's
//     answer, and refuses one as taken only while another purchase holds it.
// The journal's digest at the end lets a test check that a seed gives byte-identical journals.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace tally::sim {

enum class StoreKind {
  memory,  // store::MemoryStore
  sqlite,  // store::SqliteStore in `dir`, loading few idempotency keys so recalls happen
  postgres,  // store::PgStore at `pg_url`, schema `pg_schema` (a new one), the same way
};

// A bug planted in the store, to show that the checks catch one (the simulator's own test).
enum class Plant {
  none,
  drop_lot_change,  // from the 20th commit on, one changed lot of a delta is not written
  drop_entry,       // the first commit with entries from the 15th on loses its last entry
};

struct Options {
  uint64_t seed = 1;
  size_t steps = 300;
  StoreKind store = StoreKind::memory;
  std::string dir;  // for StoreKind::sqlite: an empty directory the run may use
  std::string pg_url;     // for StoreKind::postgres: the server
  std::string pg_schema;  // ... and a schema name no other run uses (created)
  Plant plant = Plant::none;
  bool keep_trace = false;  // record one line per step (for failure reports)
};

struct Outcome {
  bool ok = true;
  size_t steps_run = 0;  // steps generated and run (== steps unless it failed)
  size_t failed_step = 0;
  std::string failure;             // what was found wrong, with the step
  std::vector<std::string> trace;  // with keep_trace: what each step did
  // Counts, to show the run exercised what it should.
  uint64_t requests = 0;  // requests applied by the ledger (every attempt)
  uint64_t acknowledged = 0;
  uint64_t commits = 0;
  uint64_t crashes = 0;  // injected: failed commits, crashes, ambiguous commits
  uint64_t restarts = 0;
  uint64_t retries = 0;          // requests sent again under a key already used
  uint64_t recalls = 0;          // keys answered from the store, not the ledger's memory
  uint64_t team_refusals = 0;    // team debits refused (not a member, a viewer, a budget)
  uint64_t budget_refusals = 0;  // ... of which by a hard budget
  uint64_t payments_taken = 0;   // purchases refused: their payment credits another purchase
  uint64_t entries = 0;
  uint64_t journal_digest = 0;  // FNV-1a over the store's journal as text
};

// Runs the seed's first `options.steps` steps, then drains every queue without faults and
// checks everything once more.
Outcome run(const Options& options);

// For a failed run: the shortest number of steps of the same seed that still fails, found by
// bisection, and a report naming the seed, the command line that replays it and its last steps.
std::string explain_failure(const Options& options, const Outcome& failed);

}  // namespace tally::sim
