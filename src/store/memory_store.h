// A Store in memory: what the durable backends must be indistinguishable from (the
// conformance suite runs against every backend and this one). Not durable; thread-safe.
#pragma once

#include <map>
#include <mutex>
#include <vector>

#include "store/store.h"

namespace tally::store {

class MemoryStore : public Store {
 public:
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

 private:
  struct Shard {
    LedgerState state;  // what the ledger holds in memory
    std::vector<Entry> entries;
    std::vector<Event> events;  // kept for good
    std::vector<AuditLine> audit;  // kept for good, in seq order
    // What left the ledger's memory (and, for spends, finished holds and lots, every version
    // put): kept for good.
    std::map<std::string, IdempotencyRecord, std::less<>> archive;
    std::map<SpendId, Spend> spends;
    std::map<HoldId, FinishedHold> finished;
    std::map<LotId, Lot> lots;
  };
  std::mutex mu_;  // shards commit from their own threads
  std::map<ShardId, Shard> shards_;
};

// Fails commits on purpose (the fault layer of issues 5 and 7). A failed commit writes
// nothing, as a real one would, unless it is an ambiguous failure: written, then reported as
// failed (an fsync error after the data reached the disk), which a caller cannot tell apart.
class FaultyStore : public ForwardingStore {
 public:
  explicit FaultyStore(Store* inner) : ForwardingStore(inner) {}
  // Every commit fails from the Nth one from now on.
  void fail_commit_after(uint64_t successes) { fail_at_ = commits_ + successes; }
  // Only the next commit fails; with `written`, after the inner store committed it.
  void fail_next_commit(bool written) {
    fail_next_ = true;
    next_written_ = written;
  }
  // Takes back a fail_next_commit no commit has used yet.
  void disarm() { fail_next_ = false; }
  std::expected<void, StoreError> commit(ShardId shard, std::span<const Entry> entries,
                                         const StateDelta& delta) override;

 private:
  uint64_t commits_ = 0;
  uint64_t fail_at_ = UINT64_MAX;
  bool fail_next_ = false;
  bool next_written_ = false;
};

}  // namespace tally::store
