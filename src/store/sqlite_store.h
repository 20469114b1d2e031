// The embedded durable Store (issue 14, docs/storage.md): per shard, a journal of one record
// per batch (store/journal_file.h: one append and one fdatasync before a reply), and SQLite
// tables derived from it (accounts, lots, entries, holds, spends, purchases, idempotency: plain
// SQL a finance team can query) that a background projector per shard writes in large
// transactions, off the commit path.
//
// Reads see every committed batch: the tables up to their watermark (meta 'journal_through'),
// and the batches journaled since, which stay in memory until projected. Recovery = the tables
// (the snapshot) + the journal records after their watermark, projected at open. Segments the
// tables cover (durably) are removed, or archived.
//
// Thread-safe across shards; per shard, commit() is called by one thread (the shard's writer)
// and the reads by any one thread at a time.
#pragma once

#include <map>
#include <memory>
#include <mutex>
#include <string>

#include "store/shard_slots.h"
#include "store/store.h"

namespace tally::store {

namespace sqlite {
class Connection;
}

struct SqliteOptions {
  std::string dir;  // created if missing
  // true: every commit's journal record is fdatasynced before it returns. false: written to
  // the page cache only: a process crash loses nothing, a power loss may lose acknowledged
  // batches (benchmarks and tests).
  bool synchronous_full = true;
  // load() returns at most this many idempotency records per shard, the most recent; older
  // ones stay in the store, where a retry finds them (rule 8). Bounds restart time and memory.
  size_t idempotency_loaded_max = 65'536;
  // Idempotency keys that ran this long before the newest batch are forgotten (the projector
  // deletes the oldest, a bounded number per transaction); 0: kept for good. The ledger's
  // idempotency retention (rule 8 holds within it).
  int64_t idempotency_retention_us = 0;
  // Events (scan_events) older than this before the newest batch are deleted the same way;
  // 0: kept for good.
  int64_t event_retention_us = 0;
  // A journal segment is closed and a new one started past this size; closed segments the
  // tables cover are removed (or moved to `journal_archive_dir` when it is set).
  uint64_t journal_segment_bytes = uint64_t{64} << 20;
  std::string journal_archive_dir;
  // Batches journaled but not yet projected, at most, and their journal records' bytes: past
  // either, commit() waits for the projector (memory stays bounded if the tables fall behind).
  size_t pending_max = 4096;
  size_t pending_bytes_max = size_t{64} << 20;
  // Tests: no projector runs, so every batch stays journaled and in memory only, as after a
  // crash between the append and its projection; the next open projects them.
  bool project = true;
};

class SqliteStore : public Store {
 public:
  static std::expected<std::unique_ptr<SqliteStore>, StoreError> open(SqliteOptions options);
  // Projects what is pending, then closes.
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
  std::expected<std::optional<Spend>, StoreError> find_spend(ShardId shard, SpendId id) override;
  std::expected<std::optional<FinishedHold>, StoreError> find_finished_hold(ShardId shard,
                                                                             HoldId id) override;
  std::expected<std::optional<Lot>, StoreError> find_lot(ShardId shard, LotId id) override;
  std::expected<void, StoreError> scan_audit(
      ShardId shard, uint64_t after_seq, const AuditFilter& filter,
      const std::function<bool(const AuditLine&)>& visit) override;
  std::expected<void, StoreError> scan_events(
      ShardId shard, uint64_t after_seq, std::string_view account,
      const std::function<bool(const Event&)>& visit) override;

  // The last journal record of the shard, and the last one its tables hold (for tests and
  // `tally verify`).
  struct JournalState {
    uint64_t last = 0;
    uint64_t projected = 0;
    size_t segments = 0;
  };
  std::expected<JournalState, StoreError> journal_state(ShardId shard);

  static constexpr int k_schema_version = 11;  // docs/storage.md; migrations: sqlite_write.cc

 private:
  struct Shard;
  explicit SqliteStore(SqliteOptions options);
  // The shard, opened (schema made, journal checked and projected up to its end, projector
  // started) on first use. Different shards open in parallel.
  std::expected<Shard*, StoreError> shard(ShardId id);
  std::expected<void, std::string> open_shard(Shard& s);
  void project_loop(Shard& s);
  // Runs `read` on the shard's reader connection inside one read transaction, with the batches
  // committed after what that transaction sees (oldest first).
  struct Tail;
  std::expected<void, StoreError> with_snapshot(
      Shard& s, const std::function<std::expected<void, std::string>(const Tail&)>& read);
  // One record as last committed: `in_tail` is asked of the pending batches' deltas, newest
  // first, until it finds it (true); else `in_tables` reads the tables.
  std::expected<void, StoreError> find_newest(
      ShardId id, const std::function<bool(const StateDelta&)>& in_tail,
      const std::function<std::expected<void, std::string>(sqlite::Connection&)>& in_tables);

  SqliteOptions options_;
  ShardSlots<Shard> shards_;
};

}  // namespace tally::store
