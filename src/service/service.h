// The service layer (DESIGN §4, issue 5): accounts map to shards by a stable hash of the
// account id; one thread per shard owns that shard's Ledger; commands queued while a batch
// is being applied and committed form the next batch (group commit: one batch, one store
// transaction, one fsync); a reply is released only after its batch is durable. The shard's
// thread commits each batch itself, or (overlap_commit) hands it to the shard's writer thread
// and applies the next batch meanwhile (a pipeline of depth 2); either way replies are
// released in order once their batch is durable.
//
// Thread-safe: any thread may submit. Reads go through the same queue, so a read submitted
// after a write was acknowledged sees it. A failed commit stops the process (fail-stop):
// restarting recovers exactly what was acknowledged.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <future>
#include <memory>
#include <string>
#include <vector>

#include "catalog/catalog.h"
#include "ledger/command.h"
#include "ledger/config.h"
#include "ledger/ledger.h"
#include "service/histogram.h"
#include "service/submission.h"
#include "store/store.h"

namespace tally::service {

struct ServiceOptions {
  size_t shards = 0;  // 0: the number of cores
  LedgerConfig ledger;
  std::shared_ptr<const Catalog> catalog;
  // The wall clock in production; tests pass their own. Never goes back as the ledger sees it.
  std::function<TimeUs()> clock;
  // How often an idle shard advances time, so expiries, hold timeouts and renewals land on
  // time for accounts that send nothing (DESIGN rule 4).
  int64_t tick_us = k_us_per_second;
  size_t batch_max = 4096;  // commands per batch at most
  // Apply the next batch while the last one commits (true: each shard has a writer thread that
  // commits and releases replies, a pipeline of depth 2), or apply and commit each batch on the
  // shard's one thread (false: one thread per shard, no hand-over between threads per batch,
  // and a cold key or a read from the store never waits for another thread).
  bool overlap_commit = false;
  // Called on the thread that committed (the shard's, or its writer's) once a batch that produced
  // events (ledger/event.h) is durable, with the shard and its last event's seq (the store's
  // scan_events now returns it). Must be quick and must not block, like a reply (webhook delivery
  // wakes its thread here).
  std::function<void(ShardId, uint64_t)> on_events;
  // Who runs the shards. true (production): each shard's own thread (and writer thread). false: the
  // caller, step by step on one thread (step_apply, step_commit), as the simulator (tests/sim)
  // does to choose the order of every apply, commit and crash from a seed, with the same shard
  // code production runs.
  bool threads = true;
};

// What a shard has done since it started. A batch is one commit (one store transaction);
// commands count every request applied, also those of batches that changed nothing.
struct ShardStats {
  uint64_t batches = 0;
  uint64_t commands = 0;
  uint64_t commit_us_total = 0;
  uint64_t commit_us_max = 0;
  uint64_t commit_us_p50 = 0;  // bucket upper bounds (within 25 %), see histogram.h
  uint64_t commit_us_p99 = 0;
  HistogramSnapshot commit_us;       // time of each commit, µs
  HistogramSnapshot batch_commands;  // commands in each committed batch
  // Keys the ledger did not remember that were looked up in the store (the filter said they
  // may be there): retries of old keys, and the filter's false positives.
  uint64_t cold_key_lookups = 0;
  // The stages of a request on its shard (DESIGN §4), in ns: from queued to taken into a batch
  // (reads too), and applying one change (key lookup, pricing, the ledger, its answer).
  HistogramSnapshot queue_wait_ns;
  HistogramSnapshot apply_ns;
};

class Service {
 public:
  // Loads every shard from `store` (recovery; shards in parallel, so `store` must take calls
  // for different shards from different threads) and starts the shard threads. `store` must
  // outlive the service. Fails if a shard's stored state breaks an invariant.
  static std::expected<std::unique_ptr<Service>, std::string> start(ServiceOptions options,
                                                                    store::Store* store);
  // Stops taking work, applies and commits everything queued, then joins the threads.
  ~Service();

  // Called with a command's result on the thread that committed its batch once that batch is
  // durable, in submission order per shard. Must be quick and must not block: it delays the
  // shard's next commit.
  using ReplyFn = std::function<void(Result)>;
  using DoneFn = std::function<void(Outcome)>;

  // Runs `submission` on its command's shard (see Submission); `done` as for ReplyFn.
  void submit(Submission submission, DoneFn done);

  // Applies a command on its shard; `done` runs once the batch holding it is durable.
  // AdvanceTime is not routed (each shard advances itself).
  void submit(Request request, ReplyFn done);
  // The same, waited for with a future.
  std::future<Result> submit(Request request);

  // Runs `read` on the shard's thread after every write queued before it, once every earlier
  // batch is durable (so it may also use the store's reads for that shard, which then hold
  // every write before `read`'s own batch); `done` runs after that batch is durable, so what
  // `read` saw was acknowledged. `read` on the shard's thread, `done` where its batch committed;
  // neither may block.
  void read(ShardId shard, std::function<void(const Ledger&)> read, std::function<void()> done);
  // The same for a `read` that uses the Ledger only, never the store: it does not wait for the
  // commit in flight (a balance read costs no pipeline stall). `done` as for read().
  void read_ledger(ShardId shard, std::function<void(const Ledger&)> read,
                   std::function<void()> done);
  // The same, waited for with a future.
  std::future<void> read(ShardId shard, std::function<void(const Ledger&)> read);

  // Runs `change` on every shard's thread, in order with the shard's queue: what was queued on
  // a shard before it is applied before it, what is queued after, after it. `change` may swap
  // what the shard's ledger works with (Ledger::set_catalog) and what the caller's prepare
  // steps price with. `done` runs once, on the thread of the last shard to run `change`, when
  // every shard has; it may not block. A configuration reload (server/reload.h) goes this way.
  void reconfigure(std::function<void(Ledger&)> change, std::function<void()> done);

  // A commit slower than this is logged (log.h, "commit_stall", warn); 0: none is.
  void set_commit_stall_us(int64_t us) { commit_stall_us_ = us; }

  // While a Handoff lives on a thread, what that thread submits or reads on this service is
  // kept back, then handed to each shard at once when the Handoff ends: one lock and at most
  // one wake-up per shard, whose thread takes the items into one batch (up to batch_max), in
  // the order they were given. A /v1/batch is dispatched under one. Nothing given meanwhile
  // may be waited for on that thread (it has not reached its shard yet). Handoffs do not nest.
  class Handoff {
   public:
    explicit Handoff(Service& service);
    ~Handoff();
    Handoff(const Handoff&) = delete;
    Handoff& operator=(const Handoff&) = delete;

    struct Held;  // the items kept back, by shard

   private:
    friend class Service;
    Service& service_;
    std::unique_ptr<Held> held_;
  };

  // --- Stepping by hand (options.threads == false), all on the caller's thread ---
  // What step_apply did: how many queued items it took into the batch, and the shard's time for
  // it (the clock's, never earlier than the shard's last).
  struct Applied {
    size_t taken = 0;
    TimeUs now;
    bool handed = false;  // handed over to be committed (else it changed nothing and had no item)
    bool writes = false;  // ... and has something to write (entries or state)
  };
  // Takes up to `max` queued items of `shard` into one batch, applies it (an idle tick when none
  // is queued: time advances) and hands it to be committed. Where the shard thread would wait
  // for its writer (a batch already handed over, a key or record looked up in the store), the
  // batch handed over is committed first, here. Nothing once stopped().
  Applied step_apply(ShardId shard, size_t max);
  // Commits the batch handed over, if any, then releases its replies (their DoneFns run here).
  // false if the service has stopped (now or before).
  bool step_commit(ShardId shard);
  // A commit failed: the service has stopped (fail-stop), released nothing of that batch and
  // will commit nothing more. With threads the process aborts instead.
  bool stopped() const { return stopped_; }
  // Submitted to `shard` and not yet taken into a batch; a batch handed over, not committed.
  size_t queued(ShardId shard) const;
  bool handed_over(ShardId shard) const;
  // How many batches handed over have been committed and released since the start.
  uint64_t released(ShardId shard) const;
  // The shard's ledger between steps (as applied: possibly ahead of what is durable).
  const Ledger& ledger(ShardId shard) const;
  // Without threads the destructor drops what is queued or handed over, as a crash would; a
  // clean stop steps until nothing is left first.

  ShardId shard_of_account(std::string_view account) const;
  // The shard a command goes to: its account's, or the shard in its id.
  ShardId shard_of(const Command& command) const;
  size_t shards() const { return shards_.size(); }
  ShardStats stats(ShardId shard) const;

 private:
  struct Shard;
  explicit Service(ServiceOptions options, store::Store* store);
  std::expected<std::unique_ptr<Shard>, std::string> load_shard(ShardId id);
  struct Item;  // a submission or a read, queued for its shard
  void push(Shard& shard, Item item);
  void run(Shard& shard);    // the shard thread: applies batches, hands them to write()
  void write(Shard& shard);  // the writer thread: commits each batch, then releases its replies
  // One turn of each (the threads loop on them; step_apply and step_commit call them once).
  struct Batch;
  void apply_batch(Shard& shard, Batch& batch);
  bool commit_batch(Shard& shard, Batch& batch);
  Outcome apply(Shard& shard, Submission& submission, TimeUs now, std::vector<Entry>* entries);
  // The answer the store remembers for the submission's key, if the ledger let it go.
  std::optional<Recalled> recall_cold(Shard& shard, const Request& request, TimeUs now,
                                      std::vector<Entry>* entries);
  // The records `command` names that the ledger let go, lent back by the store.
  void lend_cold(Shard& shard, const Command& command);

  ServiceOptions options_;
  store::Store* store_;
  std::atomic<int64_t> commit_stall_us_{100'000};
  std::vector<std::unique_ptr<Shard>> shards_;
  bool stopped_ = false;  // without threads: a commit failed
};

}  // namespace tally::service
