#include "store/sqlite_store.h"

#include <sqlite3.h>

#include <chrono>
#include <filesystem>

#include "ledger/check.h"
#include "ledger/text.h"
#include "store/codec.h"
#include "store/sqlite_schema.h"

namespace tally::store {

SqliteStore::SqliteStore(SqliteOptions options) : options_(std::move(options)) {
  if (options_.checkpoint_interval_ms > 0) checkpointer_ = std::thread([this] { checkpoint_loop(); });
}

SqliteStore::~SqliteStore() {
  {
    std::lock_guard lock(dbs_mu_);
    stopping_ = true;
  }
  checkpoint_wake_.notify_all();
  if (checkpointer_.joinable()) checkpointer_.join();
  checkpoint_dbs_.clear();  // before the writers' connections, which run the last checkpoint
}

// Copies committed WAL frames into each shard's database file, off the commit path. PASSIVE:
// it never blocks a writer (it stops at frames a transaction still needs) and a failed or
// partial checkpoint loses nothing (the frames stay in the WAL, which recovery reads).
void SqliteStore::checkpoint_loop() {
  std::unique_lock lock(dbs_mu_);
  while (!stopping_) {
    checkpoint_wake_.wait_for(lock, std::chrono::milliseconds(options_.checkpoint_interval_ms));
    if (stopping_) break;
    std::vector<ShardId> shards;
    for (const auto& [shard, conn] : dbs_) shards.push_back(shard);
    lock.unlock();
    for (ShardId shard : shards) {
      auto& conn = checkpoint_dbs_[shard];
      if (!conn) {
        const std::string path = cat(options_.dir, "/shard-", shard, ".db");
        sqlite3* db = nullptr;
        if (sqlite3_open_v2(path.c_str(), &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX,
                            nullptr) != SQLITE_OK) {
          sqlite3_close_v2(db);
          continue;  // the commits' own checkpoints still run (wal_autocheckpoint)
        }
        conn = std::make_unique<sqlite::Connection>(db);
      }
      (void)sqlite3_wal_checkpoint_v2(conn->raw, nullptr, SQLITE_CHECKPOINT_PASSIVE, nullptr,
                                      nullptr);
    }
    lock.lock();
  }
}

std::expected<std::unique_ptr<SqliteStore>, StoreError> SqliteStore::open(SqliteOptions options) {
  std::error_code ec;
  std::filesystem::create_directories(options.dir, ec);
  if (ec)
    return std::unexpected(StoreError{cat("cannot create ", options.dir, ": ", ec.message())});
  return std::unique_ptr<SqliteStore>(new SqliteStore(std::move(options)));
}

std::expected<sqlite::Connection*, StoreError> SqliteStore::db(ShardId shard) {
  std::lock_guard lock(dbs_mu_);  // held while a shard opens: opening is rare
  if (auto it = dbs_.find(shard); it != dbs_.end()) return it->second.get();
  const std::string path = cat(options_.dir, "/shard-", shard, ".db");
  sqlite3* db = nullptr;
  if (sqlite3_open_v2(path.c_str(), &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX,
                      nullptr) !=
      SQLITE_OK) {
    std::string message = db ? sqlite3_errmsg(db) : "out of memory";
    sqlite3_close_v2(db);
    return std::unexpected(StoreError{cat("cannot open ", path, ": ", message)});
  }
  auto conn = std::make_unique<sqlite::Connection>(db);  // owns and closes it from here on
  auto ready = sqlite::prepare_database(*conn, options_.synchronous_full, k_schema_version,
                                        options_.checkpoint_interval_ms > 0);
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
  bool left_out = false;
  auto state = sqlite::read_state(**d, shard, options_.idempotency_loaded_max, &left_out);
  if (!state) return std::unexpected(StoreError{state.error()});
  std::lock_guard lock(dbs_mu_);
  keys_left_out_[shard] = left_out;
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
  {
    std::lock_guard lock(dbs_mu_);
    auto it = keys_left_out_.find(shard);
    if (it != keys_left_out_.end() && it->second) return true;
  }
  return sqlite::idempotency_cold_until_us(**d, shard).has_value();
}

std::expected<void, StoreError> SqliteStore::scan_idempotency_keys(
    ShardId shard, const std::function<void(std::string_view)>& visit) {
  auto d = db(shard);
  if (!d) return std::unexpected(d.error());
  // Reads the (shard_id, key) index only, not the rows and their replies.
  sqlite::Stmt q(**d, "SELECT key FROM idempotency "
                      "WHERE shard_id = ?");
  q.bind(1, shard);
  int rc;
  while ((rc = q.step()) == SQLITE_ROW) visit(q.bytes(0));
  if (rc != SQLITE_DONE) {
    return std::unexpected(StoreError{cat("reading keys: ", sqlite3_errmsg((*d)->raw))});
  }
  return {};
}

}  // namespace tally::store
