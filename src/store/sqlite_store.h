// The embedded durable Store: one SQLite database file per shard in a data directory, WAL
// mode, synchronous=FULL by default (a commit returns once it is on disk). Schema and
// options: docs/storage.md.
//
// One thread per shard may call it; different shards use different connections and files.
#pragma once

#include <map>
#include <memory>
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

  static constexpr int k_schema_version = 1;

 private:
  explicit SqliteStore(SqliteOptions options);
  // The shard's connection, opened (and its schema made) on first use. Call load() for every
  // shard before shards are used from several threads: this map is then only read.
  std::expected<sqlite::Connection*, StoreError> db(ShardId shard);

  SqliteOptions options_;
  std::map<ShardId, std::unique_ptr<sqlite::Connection>> dbs_;
};

}  // namespace tally::store
