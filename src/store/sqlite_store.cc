#include "store/sqlite_store.h"

#include <sqlite3.h>

#include <filesystem>

#include "ledger/check.h"
#include "ledger/text.h"
#include "store/codec.h"
#include "store/sqlite_schema.h"

namespace tally::store {

SqliteStore::SqliteStore(SqliteOptions options) : options_(std::move(options)) {}
SqliteStore::~SqliteStore() = default;

std::expected<std::unique_ptr<SqliteStore>, StoreError> SqliteStore::open(SqliteOptions options) {
  std::error_code ec;
  std::filesystem::create_directories(options.dir, ec);
  if (ec)
    return std::unexpected(StoreError{cat("cannot create ", options.dir, ": ", ec.message())});
  return std::unique_ptr<SqliteStore>(new SqliteStore(std::move(options)));
}

std::expected<sqlite::Connection*, StoreError> SqliteStore::db(ShardId shard) {
  if (auto it = dbs_.find(shard); it != dbs_.end()) return it->second.get();
  const std::string path = cat(options_.dir, "/shard-", shard, ".db");
  sqlite3* db = nullptr;
  if (sqlite3_open_v2(path.c_str(), &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, nullptr) !=
      SQLITE_OK) {
    std::string message = db ? sqlite3_errmsg(db) : "out of memory";
    sqlite3_close_v2(db);
    return std::unexpected(StoreError{cat("cannot open ", path, ": ", message)});
  }
  auto conn = std::make_unique<sqlite::Connection>(db);  // owns and closes it from here on
  auto ready = sqlite::prepare_database(*conn, options_.synchronous_full, k_schema_version);
  if (!ready) return std::unexpected(StoreError{cat(path, ": ", ready.error())});
  return dbs_.emplace(shard, std::move(conn)).first->second.get();
}

std::expected<void, StoreError> SqliteStore::commit(ShardId shard, std::span<const Entry> entries,
                                                    const StateDelta& delta) {
  auto d = db(shard);
  if (!d) return std::unexpected(d.error());
  auto written = sqlite::write_batch(**d, shard, entries, delta);
  if (!written) return std::unexpected(StoreError{written.error()});
  return {};
}

std::expected<LedgerState, StoreError> SqliteStore::load(ShardId shard) {
  auto d = db(shard);
  if (!d) return std::unexpected(d.error());
  auto state = sqlite::read_state(**d, shard);
  if (!state) return std::unexpected(StoreError{state.error()});
  return std::move(*state);
}

std::expected<void, StoreError> SqliteStore::scan_entries(
    ShardId shard, uint64_t after_seq, const std::function<bool(const Entry&)>& visit) {
  auto d = db(shard);
  if (!d) return std::unexpected(d.error());
  auto scanned = sqlite::scan_entries(**d, shard, after_seq, visit);
  if (!scanned) return std::unexpected(StoreError{scanned.error()});
  return {};
}

std::expected<void, StoreError> SqliteStore::scan_account_entries(
    ShardId shard, std::string_view account, uint64_t after_seq,
    const std::function<bool(const Entry&)>& visit) {
  auto d = db(shard);
  if (!d) return std::unexpected(d.error());
  auto scanned = sqlite::scan_entries(**d, shard, after_seq, visit, account);
  if (!scanned) return std::unexpected(StoreError{scanned.error()});
  return {};
}

std::expected<std::optional<IdempotencyRecord>, StoreError> SqliteStore::find_idempotency(
    ShardId shard, std::string_view key) {
  auto d = db(shard);
  if (!d) return std::unexpected(d.error());
  auto found = sqlite::find_idempotency(**d, shard, key);
  if (!found) return std::unexpected(StoreError{found.error()});
  return std::move(*found);
}

std::expected<bool, StoreError> SqliteStore::has_cold_keys(ShardId shard) {
  auto d = db(shard);
  if (!d) return std::unexpected(d.error());
  sqlite::Stmt q(**d, "SELECT 1 FROM idempotency WHERE shard_id = ? AND in_memory = 0 LIMIT 1");
  q.bind(1, shard);
  return q.step() == SQLITE_ROW;
}

}  // namespace tally::store
