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
#include "ledger/event.h"
#include "ledger/ledger_state.h"

namespace tally::store {

struct StoreError {
  std::string message;
};

// Which audit lines a scan returns (GET /v1/audit): each filter that is set must match.
struct AuditFilter {
  std::string account;     // the account changed; empty: any
  std::string credential;  // the key's or token's id (Credential::id); empty: any
  TimeUs from{INT64_MIN};  // at or after
  TimeUs to{INT64_MAX};    // before
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

  // Records that left the ledger's memory (LedgerConfig::memory_window_us) and that a command
  // needs again: a spend to refund, a finished hold a capture or a read names, a lot a lent
  // spend came from (Ledger::lend_spend). Each as last committed; nullopt if the store never
  // held it. load() does not return what left memory.
  [[nodiscard]] virtual std::expected<std::optional<Spend>, StoreError> find_spend(
      ShardId shard, SpendId id) = 0;
  [[nodiscard]] virtual std::expected<std::optional<FinishedHold>, StoreError>
  find_finished_hold(ShardId shard, HoldId id) = 0;
  [[nodiscard]] virtual std::expected<std::optional<Lot>, StoreError> find_lot(ShardId shard,
                                                                                LotId id) = 0;

  // Calls `visit` for each event (StateDelta::events) with seq > after_seq, in seq order, until
  // it returns false; only `account`'s when it is not empty. Events older than the store's
  // event retention may be gone.
  [[nodiscard]] virtual std::expected<void, StoreError> scan_events(
      ShardId shard, uint64_t after_seq, std::string_view account,
      const std::function<bool(const Event&)>& visit) = 0;

  // Calls `visit` for each audit line (StateDelta::audit) with seq > after_seq that `filter`
  // lets through, in seq order (the order the changes ran), until it returns false. Kept for
  // good (docs/storage.md).
  [[nodiscard]] virtual std::expected<void, StoreError> scan_audit(
      ShardId shard, uint64_t after_seq, const AuditFilter& filter,
      const std::function<bool(const AuditLine&)>& visit) = 0;
};

// Whether `line` passes `filter` (for a backend that filters in memory).
inline bool audit_matches(const AuditLine& line, const AuditFilter& filter) {
  return (filter.account.empty() || line.account == filter.account) &&
         (filter.credential.empty() || line.by.id == filter.credential) && line.at >= filter.from &&
         line.at < filter.to;
}

// A store that passes every call to another; wrappers (fault injection, planted bugs) derive
// from it and override what they change.
class ForwardingStore : public Store {
 public:
  explicit ForwardingStore(Store* inner) : inner_(inner) {}
  std::expected<LedgerState, StoreError> load(ShardId shard) override {
    return inner_->load(shard);
  }
  std::expected<void, StoreError> commit(ShardId shard, std::span<const Entry> entries,
                                         const StateDelta& delta) override {
    return inner_->commit(shard, entries, delta);
  }
  std::expected<void, StoreError> scan_entries(
      ShardId shard, uint64_t after_seq, const std::function<bool(const Entry&)>& visit) override {
    return inner_->scan_entries(shard, after_seq, visit);
  }
  std::expected<void, StoreError> scan_account_entries(
      ShardId shard, std::string_view account, uint64_t after_seq,
      const std::function<bool(const Entry&)>& visit) override {
    return inner_->scan_account_entries(shard, account, after_seq, visit);
  }
  std::expected<std::optional<IdempotencyRecord>, StoreError> find_idempotency(
      ShardId shard, std::string_view key) override {
    return inner_->find_idempotency(shard, key);
  }
  std::expected<bool, StoreError> has_cold_keys(ShardId shard) override {
    return inner_->has_cold_keys(shard);
  }
  std::expected<void, StoreError> scan_idempotency_keys(
      ShardId shard, const std::function<void(std::string_view)>& visit) override {
    return inner_->scan_idempotency_keys(shard, visit);
  }
  std::expected<std::optional<Spend>, StoreError> find_spend(ShardId shard, SpendId id) override {
    return inner_->find_spend(shard, id);
  }
  std::expected<std::optional<FinishedHold>, StoreError> find_finished_hold(ShardId shard,
                                                                             HoldId id) override {
    return inner_->find_finished_hold(shard, id);
  }
  std::expected<std::optional<Lot>, StoreError> find_lot(ShardId shard, LotId id) override {
    return inner_->find_lot(shard, id);
  }
  std::expected<void, StoreError> scan_events(
      ShardId shard, uint64_t after_seq, std::string_view account,
      const std::function<bool(const Event&)>& visit) override {
    return inner_->scan_events(shard, after_seq, account, visit);
  }
  std::expected<void, StoreError> scan_audit(
      ShardId shard, uint64_t after_seq, const AuditFilter& filter,
      const std::function<bool(const AuditLine&)>& visit) override {
    return inner_->scan_audit(shard, after_seq, filter, visit);
  }

 protected:
  Store* inner() { return inner_; }

 private:
  Store* inner_;
};

}  // namespace tally::store
