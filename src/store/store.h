// Where a shard's ledger lives durably (DESIGN §4, issue 5). One interface, several backends:
// MemoryStore (tests, the simulator), a fault-injecting wrapper, and SQLite / PostgreSQL.
//
// A shard's writer calls commit() once per batch, in order; load() is called before the
// shard's ledger exists. Implementations are used by one thread per shard and need not be
// thread-safe across calls for the same shard.
#pragma once

#include <expected>
#include <functional>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "ledger/entry.h"
#include "ledger/ledger_state.h"

namespace tally::store {

struct StoreError {
  std::string message;
};

class Store {
 public:
  virtual ~Store() = default;

  // The shard's state as last committed (empty for a new shard), for Ledger::from_state.
  // Idempotency records that left the ledger's memory stay in the store but are not loaded;
  // a backend may also load only the most recent of the others (has_cold_keys then says so).
  [[nodiscard]] virtual std::expected<LedgerState, StoreError> load(ShardId shard) = 0;

  // Writes one batch atomically and durably: its entries (seqs following the last committed
  // one, no gap) and the state delta taken after them. On error nothing of the batch is
  // written and the caller must stop: the disk state is unknown (fail-stop, issue 5).
  [[nodiscard]] virtual std::expected<void, StoreError> commit(ShardId shard,
                                                               std::span<const Entry> entries,
                                                               const StateDelta& delta) = 0;

  // Calls `visit` for each entry with seq > after_seq, in seq order, until it returns false.
  // A durable backend checks each row it reads: a row that is not what was written is an error
  // naming the shard and the seq, never an entry visited.
  [[nodiscard]] virtual std::expected<void, StoreError> scan_entries(
      ShardId shard, uint64_t after_seq, const std::function<bool(const Entry&)>& visit) = 0;

  // The same for one account's entries only (its history, issue 6), using an index.
  [[nodiscard]] virtual std::expected<void, StoreError> scan_account_entries(
      ShardId shard, std::string_view account, uint64_t after_seq,
      const std::function<bool(const Entry&)>& visit) = 0;
  // A request remembered by the store, also after it left the ledger's memory (rule 8: a retry
  // of an old key still gets its first reply). nullopt if the key was never used.
  [[nodiscard]] virtual std::expected<std::optional<IdempotencyRecord>, StoreError>
  find_idempotency(ShardId shard, std::string_view key) = 0;

  // Whether the store holds keys that left the ledger's memory, or that load() did not return
  // (then a key the ledger does not remember must be looked up here before it is treated as
  // new).
  [[nodiscard]] virtual std::expected<bool, StoreError> has_cold_keys(ShardId shard) = 0;

  // Calls `visit` with every idempotency key the store holds, in no particular order (for a
  // filter that spares the lookup of keys never seen).
  [[nodiscard]] virtual std::expected<void, StoreError> scan_idempotency_keys(
      ShardId shard, const std::function<void(std::string_view)>& visit) = 0;
};

}  // namespace tally::store
