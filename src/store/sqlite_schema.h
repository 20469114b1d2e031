// Internal to SqliteStore: the schema (docs/storage.md), a statement wrapper, and the reads
// and writes of one shard's database. Every function returns an error text on failure; a
// failed write leaves the transaction rolled back.
#pragma once

#include <sqlite3.h>

#include <cstdint>
#include <expected>
#include <functional>
#include <map>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "ledger/entry.h"
#include "ledger/ledger_state.h"
#include "store/entry_row.h"
#include "store/store.h"

namespace tally::store::sqlite {

// One shard's connection and its prepared statements, each prepared once (by the address of
// its SQL literal) and reused. Used by one thread at a time.
class Connection {
 public:
  explicit Connection(sqlite3* db) : raw(db) {}
  ~Connection();
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;
  sqlite3_stmt* statement(const char* sql);
  sqlite3* const raw;

 private:
  std::map<const char*, sqlite3_stmt*> cache_;
};

// A cached statement in use: reset when it goes out of scope. Columns and parameters are
// 0- and 1-based as in SQLite.
class Stmt {
 public:
  Stmt(Connection& c, const char* sql) : s_(c.statement(sql)) {}
  ~Stmt() {
    sqlite3_reset(s_);
    sqlite3_clear_bindings(s_);
  }
  Stmt(const Stmt&) = delete;
  Stmt& operator=(const Stmt&) = delete;

  bool ok() const { return s_ != nullptr; }
  Stmt& bind(int i, int64_t v);
  Stmt& bind(int i, std::string_view v);  // copies v
  // Binds v without a copy: v must stay valid until the statement is run (or stepped to its
  // end) and reset, as in `s.bind_ref(1, x).run()`.
  Stmt& bind_ref(int i, std::string_view v);
  Stmt& blob(int i, std::string_view v);
  Stmt& null(int i);
  // SQLITE_ROW, SQLITE_DONE, or an error code.
  int step() { return sqlite3_step(s_); }
  // Steps to SQLITE_DONE and resets; false on error. Bindings stay: the next row binds every
  // parameter again.
  bool run();
  // Rows the last run() inserted, updated or deleted.
  int64_t changes() const { return sqlite3_changes64(sqlite3_db_handle(s_)); }
  void reset() { sqlite3_reset(s_); }

  int64_t i64(int col) const { return sqlite3_column_int64(s_, col); }
  std::string text(int col) const;
  std::string_view bytes(int col) const;  // a BLOB column, valid until the next step
  bool is_null(int col) const { return sqlite3_column_type(s_, col) == SQLITE_NULL; }

 private:
  sqlite3_stmt* s_ = nullptr;
};

// The entry row (TALLY_ENTRY_COLUMNS, entry_columns, entry_checksum): store/entry_row.h.

// WAL mode, synchronous = NORMAL (the tables are projections: the journal is what is durable at
// a reply), and the schema made or migrated to `schema_version`.
std::expected<void, std::string> prepare_database(Connection& db, int schema_version);
// Runs `sql` (one or more statements); the error is SQLite's message.
std::expected<void, std::string> exec(Connection& db, const char* sql);
// The rows of one batch (a journal record), inside the caller's transaction.
std::expected<void, std::string> write_rows(Connection& db, ShardId shard,
                                            std::span<const Entry> entries,
                                            const StateDelta& delta);
// The last journal record the tables hold (meta 'journal_through'; 0: none), and setting it in
// the transaction that writes the record's rows.
uint64_t journal_through(Connection& db, ShardId shard);
std::expected<void, std::string> set_journal_through(Connection& db, ShardId shard,
                                                     uint64_t record);
// The shard's state, with at most `idempotency_max` idempotency records (the most recent);
// `*left_out` says whether the store holds others that are not cold.
std::expected<LedgerState, std::string> read_state(Connection& db, ShardId shard,
                                                   size_t idempotency_max, bool* left_out);
// Entries with seq > after_seq in seq order; only `account`'s when it is not empty. Each row's
// checksum is checked before it is visited: a row that fails is an error naming the shard and
// the seq ("shard 0: entry seq 2 is corrupt: ..."), as is every other error of the scan.
std::expected<void, std::string> scan_entries(Connection& db, ShardId shard, uint64_t after_seq,
                                              const std::function<bool(const Entry&)>& visit,
                                              std::string_view account = {});
// Deletes the oldest idempotency rows (rowid order is the order they ran, a key used again
// being inserted anew) that ran at or before `horizon`, at most k_forget_keys_max of them: a
// busy shard catches up over several transactions.
inline constexpr int k_forget_keys_max = 1024;
std::expected<void, std::string> forget_keys_before(Connection& db, ShardId shard, TimeUs horizon);
// The same for events (at most k_forget_keys_max of them, oldest first).
std::expected<void, std::string> forget_events_before(Connection& db, ShardId shard,
                                                      TimeUs horizon);
// Events with seq > after_seq in seq order; only `account`'s when it is not empty.
std::expected<void, std::string> scan_events(Connection& db, ShardId shard, uint64_t after_seq,
                                             std::string_view account,
                                             const std::function<bool(const Event&)>& visit);
// Audit lines with seq > after_seq that `filter` lets through, in seq order.
std::expected<void, std::string> scan_audit(Connection& db, ShardId shard, uint64_t after_seq,
                                            const AuditFilter& filter,
                                            const std::function<bool(const AuditLine&)>& visit);
// A number of the shard's meta table, or nullopt if it has none under `key`. The cold marks
// (write_records and write_purchases_and_keys explain them): `idempotency_cold_until_us` (the
// time of the newest key the ledger let go), `finished_cold_until_us` (the end of the newest
// finished hold it let go), `spends_cold_through` (the newest spend it let go).
std::optional<int64_t> meta_value(Connection& db, ShardId shard, std::string_view key);
std::expected<std::optional<IdempotencyRecord>, std::string> find_idempotency(Connection& db,
                                                                              ShardId shard,
                                                                              std::string_view key);
// Records the ledger let go of, as the tables hold them (Store::find_spend and the others).
std::expected<std::optional<Spend>, std::string> find_spend(Connection& db, ShardId shard,
                                                           SpendId id);
std::optional<FinishedHold> find_finished_hold(Connection& db, ShardId shard, HoldId id);
// A lot in memory (`lots`) or one that left it (`lots_past`).
std::expected<std::optional<Lot>, std::string> find_lot(Connection& db, ShardId shard, LotId id);

}  // namespace tally::store::sqlite
