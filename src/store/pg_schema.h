// Internal to PgStore: the schema and its migrations (pg_schema.cc), the statements that write
// one batch (pg_write.cc) and the reads of one shard (pg_read.cc). The tables and columns are
// the SQLite store's (sqlite_schema.h, docs/storage.md), in PostgreSQL types: every integer a
// bigint, texts text, codec blobs bytea. Every function returns an error text on failure.
#pragma once

#include <cstdint>
#include <expected>
#include <functional>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "ledger/entry.h"
#include "ledger/ledger_state.h"
#include "store/pg_conn.h"
#include "store/store.h"

namespace tally::store::pg {

// Takes the database (the schema `schema`, or the search path's when empty) to `version`, in
// one transaction under an advisory lock (two nodes starting together migrate once). Returns
// the version found (0: no Tally tables yet). A database of a newer version is refused.
std::expected<int, std::string> migrate(Connection& db, const std::string& schema, int version);

// Queues the statements that write one batch, as journal record `record`: its journal row
// (`payload` is encode_batch's, its CRC-32C beside it), entries, books and counters, accounts
// and lots, records put and gone, and events. Run them with Connection::transaction.
// `lease_epoch`: the epoch the journal row records (0: written without a lease).
void queue_batch(ShardId shard, uint64_t record, int64_t lease_epoch, std::string_view payload,
                 std::span<const Entry> entries, const StateDelta& delta, std::vector<Queued>* out);
// Queues the lease check a fenced commit runs first (tally_fence, pg_schema.cc): it fails the
// transaction unless `node` holds the shard's lease at `epoch`; its message starts "fenced:".
void queue_fence(ShardId shard, const std::string& node, int64_t epoch, std::vector<Queued>* out);
// Queues the deletion of at most k_forget_max idempotency keys (events) that ran at or before
// their horizon, oldest first.
inline constexpr int64_t k_forget_max = 1024;
void queue_forget(ShardId shard, std::optional<TimeUs> keys_horizon,
                  std::optional<TimeUs> events_horizon, std::vector<Queued>* out);

// The last journal record of the shard (0: none) and the last entry's seq (meta 'seq').
std::expected<uint64_t, std::string> last_record(Connection& db, ShardId shard);
std::expected<uint64_t, std::string> last_seq(Connection& db, ShardId shard);

// As the SQLite store's reads (sqlite_schema.h): the state with at most `idempotency_max` keys,
// entries and events in seq order (each entry's checksum checked: "shard 0: entry seq 2 is
// corrupt: ..."), a meta number, records that left the ledger's memory.
std::expected<LedgerState, std::string> read_state(Connection& db, ShardId shard,
                                                   size_t idempotency_max, bool* left_out);
std::expected<void, std::string> scan_entries(Connection& db, ShardId shard, uint64_t after_seq,
                                              std::string_view account,
                                              const std::function<bool(const Entry&)>& visit);
std::expected<void, std::string> scan_events(Connection& db, ShardId shard, uint64_t after_seq,
                                             std::string_view account,
                                             const std::function<bool(const Event&)>& visit);
std::expected<void, std::string> scan_audit(Connection& db, ShardId shard, uint64_t after_seq,
                                            const AuditFilter& filter,
                                            const std::function<bool(const AuditLine&)>& visit);
std::expected<void, std::string> scan_keys(Connection& db, ShardId shard,
                                           const std::function<void(std::string_view)>& visit);
std::expected<std::optional<int64_t>, std::string> meta_value(Connection& db, ShardId shard,
                                                              const char* key);
std::expected<std::optional<IdempotencyRecord>, std::string> find_idempotency(Connection& db,
                                                                              ShardId shard,
                                                                              std::string_view key);
std::expected<std::optional<Spend>, std::string> find_spend(Connection& db, ShardId shard,
                                                            SpendId id);
std::expected<std::optional<FinishedHold>, std::string> find_finished_hold(Connection& db,
                                                                           ShardId shard,
                                                                           HoldId id);
std::expected<std::optional<Lot>, std::string> find_lot(Connection& db, ShardId shard, LotId id);
// Calls `visit` with each journal record (number, payload, stored checksum) in order.
std::expected<void, std::string> scan_journal(
    Connection& db, ShardId shard,
    const std::function<std::expected<void, std::string>(uint64_t, std::string_view, uint32_t)>&
        visit);

// Rows read per query by the scans (keyset pages inside one read transaction).
inline constexpr int64_t k_page_rows = 4096;

}  // namespace tally::store::pg
