// The service layer (DESIGN §4, issue 5): accounts map to shards by a stable hash of the
// account id; one thread per shard owns that shard's Ledger; commands queued while a batch
// is being applied and committed form the next batch (group commit: one batch, one store
// transaction, one fsync); a reply is released only after its batch is durable.
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
};

struct ShardStats {
  uint64_t batches = 0;
  uint64_t commands = 0;
  uint64_t commit_us_total = 0;
  uint64_t commit_us_max = 0;
};

class Service {
 public:
  // Loads every shard from `store` (recovery) and starts the shard threads. `store` must
  // outlive the service. Fails if a shard's stored state breaks an invariant.
  static std::expected<std::unique_ptr<Service>, std::string> start(ServiceOptions options,
                                                                    store::Store* store);
  // Stops taking work, applies and commits everything queued, then joins the threads.
  ~Service();

  // Called with a command's result on its shard's thread once the batch holding it is
  // durable. Must be quick and must not block: it delays the shard's next batch.
  using ReplyFn = std::function<void(Result)>;

  // Applies a command on its shard; `done` runs once the batch holding it is durable.
  // AdvanceTime is not routed (each shard advances itself).
  void submit(Request request, ReplyFn done);
  // The same, waited for with a future.
  std::future<Result> submit(Request request);

  // Runs `read` on the shard's thread after every write queued before it (so it may also use
  // the store's reads for that shard); `done` runs after that batch is durable, so what `read`
  // saw was acknowledged. Both on the shard's thread; neither may block.
  void read(ShardId shard, std::function<void(const Ledger&)> read, std::function<void()> done);
  // The same, waited for with a future.
  std::future<void> read(ShardId shard, std::function<void(const Ledger&)> read);

  ShardId shard_of_account(std::string_view account) const;
  // The shard a command goes to: its account's, or the shard in its id.
  ShardId shard_of(const Command& command) const;
  size_t shards() const { return shards_.size(); }
  ShardStats stats(ShardId shard) const;

 private:
  struct Shard;
  explicit Service(ServiceOptions options, store::Store* store);
  void run(Shard& shard);
  Result apply(Shard& shard, const Request& request, TimeUs now, std::vector<Entry>* entries);

  ServiceOptions options_;
  store::Store* store_;
  std::vector<std::unique_ptr<Shard>> shards_;
};

}  // namespace tally::service
