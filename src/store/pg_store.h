// The PostgreSQL Store (issue 16, docs/storage.md "PostgreSQL"): every shard's journal records
// and tables in one PostgreSQL 15 database, through libpq.
//
// A commit is one transaction, sent pipelined (a round trip per 512 statements) and committed
// with synchronous_commit = on: the batch's journal record (a `journal` row: the same
// encode_batch payload the SQLite store appends to its journal file, with its CRC-32C) and the
// rows it changes (the same tables and columns as the SQLite store, every one keyed by
// shard_id). So the database alone holds every acknowledged batch, and a reply is sent only
// once PostgreSQL has made it durable (and, with a synchronous standby, replicated it).
// Nothing is journaled outside the tables: the tables are never behind, and recovery is a load.
//
// Schema migrations are versioned (k_schema_version, pg_schema.cc) and run by open() and by
// `tally migrate`, under an advisory lock, in one transaction.
//
// Thread-safe across shards: each shard has its own two connections, one for commit() (the
// shard's writer) and one for the reads (any one thread at a time).
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>

#include "store/shard_slots.h"
#include "store/store.h"

namespace tally::store {

namespace pg {
class Connection;
}

struct PgOptions {
  // A libpq connection URI ("postgresql://user@host:port/db?sslmode=..."), or key=value pairs.
  std::string url;
  // The PostgreSQL schema Tally's tables live in (created if missing); empty: the connection's
  // search_path (normally `public`). Tests give each store a schema of its own.
  std::string schema;
  // As SqliteOptions: load() returns at most this many idempotency records per shard.
  size_t idempotency_loaded_max = 65'536;
  // As SqliteOptions: keys and events this long before the newest batch are deleted (at most
  // 1,024 per commit, every 64th commit of a shard); 0: kept for good.
  int64_t idempotency_retention_us = 0;
  int64_t event_retention_us = 0;
  // Called (on the shard's writer thread) when a commit is refused because this node no
  // longer holds the shard's lease at its epoch (set_fence), before commit() returns the
  // error. `tally serve` stops the process there (docs/storage.md "Leases and fencing").
  std::function<void(const std::string&)> on_fenced;
  // The shard lease's length ([store] lease): a writer connection's transaction left idle
  // longer than half of it (its node paused in the middle of a batch) is ended by PostgreSQL
  // (idle_in_transaction_session_timeout), so it cannot hold off a takeover past the lease.
  // 0: no limit (tools, tests without leases).
  int64_t lease_ms = 0;
  // Called when a connection found broken between two transactions (its server died or was
  // restarted, or a failover moved the primary) was opened again, with what and where. Nothing
  // of a transaction had been sent on it, so nothing is in doubt. `tally serve` logs it.
  std::function<void(const std::string&)> on_reconnected;
};

class PgStore : public Store {
 public:
  // Connects (failing at once, naming the host, if the server cannot be reached within the
  // URL's connect_timeout, 10 s by default), and migrates the schema to k_schema_version.
  static std::expected<std::unique_ptr<PgStore>, StoreError> open(PgOptions options);
  ~PgStore() override;

  // Runs the schema migrations alone (`tally migrate`): the version found and the version left.
  struct Migrated {
    int from = 0;
    int to = 0;
  };
  static std::expected<Migrated, StoreError> migrate(const std::string& url,
                                                     const std::string& schema);

  // The deployment's shard count, fixed when it is first set: `requested` (0: keep the stored
  // one, or `fallback` if none is stored) must match a stored count, or it is an error that
  // says which count the database holds.
  std::expected<size_t, StoreError> claim_shard_count(size_t requested, size_t fallback);
  // The shards that hold anything (for `tally verify`).
  std::expected<std::vector<ShardId>, StoreError> shards_in_use();

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
  std::expected<std::optional<Spend>, StoreError> find_spend(ShardId shard, SpendId id) override;
  std::expected<std::optional<FinishedHold>, StoreError> find_finished_hold(ShardId shard,
                                                                            HoldId id) override;
  std::expected<std::optional<Lot>, StoreError> find_lot(ShardId shard, LotId id) override;
  std::expected<void, StoreError> scan_events(
      ShardId shard, uint64_t after_seq, std::string_view account,
      const std::function<bool(const Event&)>& visit) override;
  std::expected<void, StoreError> scan_audit(
      ShardId shard, uint64_t after_seq, const AuditFilter& filter,
      const std::function<bool(const AuditLine&)>& visit) override;

  // From now on every commit first checks, in its own transaction, that the lease of its shard
  // is `node`'s at `epoch` (the leases table, pg_lease.h): if not, nothing of it is written,
  // on_fenced is called and the shard stops (its later commits fail too). Without a fence
  // (tests, tools) commits check nothing. Any thread; a commit in flight keeps the old fence.
  void set_fence(std::string node, int64_t epoch);

  // Every journal record of the shard, decoded, checked against its checksum and against the
  // entries table (for tests and `tally verify`): the last record's number.
  std::expected<uint64_t, StoreError> check_journal(ShardId shard);

  static constexpr int k_schema_version = 8;  // docs/storage.md; migrations: pg_schema.cc

 private:
  struct Shard;
  explicit PgStore(PgOptions options);
  std::expected<Shard*, StoreError> shard(ShardId id);
  std::expected<void, std::string> open_shard(Shard& s);
  // A writer (with the session limits of PgOptions::lease_ms) or a reader connection.
  std::expected<std::unique_ptr<pg::Connection>, std::string> connect(bool writer) const;
  // Opens `*conn` again if it broke since its last transaction (docs/storage.md "PostgreSQL
  // fails over"); an error if that fails.
  std::expected<void, std::string> reopen_if_broken(ShardId id, bool writer,
                                                    std::unique_ptr<pg::Connection>* conn);
  // Runs `read` on the shard's reader connection, in one read-only repeatable-read transaction.
  template <typename F>
  std::expected<void, StoreError> read(ShardId id, F&& body);

  PgOptions options_;
  ShardSlots<Shard> shards_;
  std::mutex fence_mu_;
  std::string fence_node_;  // empty: no fence
  int64_t fence_epoch_ = 0;
};

// Whether `text` names a PostgreSQL store (`postgresql://` or `postgres://`).
bool is_postgres_url(std::string_view text);
// `url` without its password (for output and logs): postgresql://user:***@host/db.
std::string url_for_display(std::string_view url);

}  // namespace tally::store
