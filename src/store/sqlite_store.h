// The embedded durable Store: one SQLite database file per shard in a data directory, WAL
// mode, synchronous=FULL by default (a commit returns once it is on disk). Schema and
// options: docs/storage.md.
//
// One thread per shard may call it at a time; different shards use different connections and
// files, and may be used from different threads at once.
#pragma once

#include <condition_variable>
#include <map>
#include <memory>
#include <mutex>
#include <thread>
#include <string>

#include "store/store.h"

namespace tally::store {
namespace sqlite {
class Connection;
}

struct SqliteOptions {
  std::string dir;  // created if missing
  // FULL: every commit is fsynced before it returns. NORMAL: WAL commits are fsynced at
  // checkpoints only: a power loss (not a process crash) may lose the last commits, which
  // were acknowledged. FULL is the default; NORMAL is for benchmarks and tests.
  bool synchronous_full = true;
  // load() returns at most this many idempotency records per shard, the most recent; older
  // ones stay in the store, where a retry finds them (rule 8). Bounds restart time and memory.
  size_t idempotency_loaded_max = 65'536;
  // If > 0, how often a background thread checkpoints every shard's WAL into its database
  // file (a PASSIVE checkpoint on a connection of its own), so that commits do not (they then
  // checkpoint only past 16,384 WAL pages, as a backstop). A checkpoint inside a commit writes
  // and fsyncs the database file and stalls that batch; on the project VM moving it out made
  // no measurable difference (docs/BENCHMARKS.md), so by default (0) SQLite checkpoints inside
  // commits, every 1,000 WAL pages.
  int checkpoint_interval_ms = 0;
};

class SqliteStore : public Store {
 public:
  static std::expected<std::unique_ptr<SqliteStore>, StoreError> open(SqliteOptions options);
  ~SqliteStore() override;

  std::expected<LedgerState, StoreError> load(ShardId shard) override;
  std::expected<void, StoreError> commit(ShardId shard, std::span<const Entry> entries,
                                         const StateDelta& delta) override;
  std::expected<void, StoreError> scan_entries(
      ShardId shard, uint64_t after_seq, const std::function<bool(const Entry&)>& visit) override;
  std::expected<void, StoreError> scan_account_entries(
      ShardId shard, std::string_view account, uint64_t after_seq,
      const std::function<bool(const Entry&)>& visit) override;
  std::expected<std::optional<IdempotencyRecord>, StoreError> find_idempotency(
      ShardId shard, std::string_view key) override;
  std::expected<bool, StoreError> has_cold_keys(ShardId shard) override;
  std::expected<void, StoreError> scan_idempotency_keys(
      ShardId shard, const std::function<void(std::string_view)>& visit) override;

  static constexpr int k_schema_version = 3;  // docs/storage.md; migrations: sqlite_write.cc

 private:
  explicit SqliteStore(SqliteOptions options);
  // The shard's connection, opened (and its schema made) on first use. Different shards may
  // be used from different threads; one shard from one thread at a time.
  std::expected<sqlite::Connection*, StoreError> db(ShardId shard);

  SqliteOptions options_;
  void checkpoint_loop();

  std::mutex dbs_mu_;  // shards open (and load) from their own threads
  std::map<ShardId, std::unique_ptr<sqlite::Connection>> dbs_;
  std::map<ShardId, bool> keys_left_out_;  // load() left idempotency records (dbs_mu_)
  // The checkpointer: its own connection per shard, used by its thread only.
  std::map<ShardId, std::unique_ptr<sqlite::Connection>> checkpoint_dbs_;
  std::condition_variable checkpoint_wake_;
  bool stopping_ = false;  // dbs_mu_
  std::thread checkpointer_;
};

}  // namespace tally::store
