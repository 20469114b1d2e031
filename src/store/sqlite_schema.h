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
  Stmt& bind(int i, std::string_view v);
  Stmt& blob(int i, std::string_view v);
  Stmt& null(int i);
  // SQLITE_ROW, SQLITE_DONE, or an error code.
  int step() { return sqlite3_step(s_); }
  bool run();  // steps to SQLITE_DONE and resets; false on error
  void reset() { sqlite3_reset(s_); }

  int64_t i64(int col) const { return sqlite3_column_int64(s_, col); }
  std::string text(int col) const;
  std::string_view bytes(int col) const;  // a BLOB column, valid until the next step
  bool is_null(int col) const { return sqlite3_column_type(s_, col) == SQLITE_NULL; }

 private:
  sqlite3_stmt* s_ = nullptr;
};

std::expected<void, std::string> prepare_database(Connection& db, bool synchronous_full,
                                                  int schema_version);
std::expected<void, std::string> write_batch(Connection& db, ShardId shard,
                                             std::span<const Entry> entries,
                                             const StateDelta& delta);
std::expected<LedgerState, std::string> read_state(Connection& db, ShardId shard);
// Entries with seq > after_seq in seq order; only `account`'s when it is not empty.
std::expected<void, std::string> scan_entries(Connection& db, ShardId shard, uint64_t after_seq,
                                              const std::function<bool(const Entry&)>& visit,
                                              std::string_view account = {});
std::expected<std::optional<IdempotencyRecord>, std::string> find_idempotency(Connection& db,
                                                                              ShardId shard,
                                                                              std::string_view key);

}  // namespace tally::store::sqlite
