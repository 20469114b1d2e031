// What the durable stores (SqliteStore, PgStore) share around their shards: each shard's state
// made on first use and opened once (different shards open in parallel), errors that name the
// shard, and the check that a batch follows the last one committed.
#pragma once

#include <expected>
#include <map>
#include <memory>
#include <mutex>
#include <span>
#include <string>

#include "ledger/ledger_state.h"
#include "ledger/text.h"
#include "store/store.h"

namespace tally::store {

inline StoreError shard_error(ShardId shard, const std::string& message) {
  return StoreError{cat("shard ", shard, ": ", message)};
}

// A batch whose entries do not follow `last_seq` without a gap, or whose delta does not end
// where its entries do (a writer bug, a replay), is refused whole, before anything is written.
inline std::expected<void, StoreError> check_follows(ShardId shard, uint64_t last_seq,
                                                     std::span<const Entry> entries,
                                                     const StateDelta& delta) {
  uint64_t expected = last_seq + 1;
  for (const Entry& e : entries) {
    if (e.seq != expected++) {
      return std::unexpected(
          shard_error(shard, cat("entry ", e.seq, " does not follow the journal (", last_seq,
                                 " is the last committed)")));
    }
  }
  if (delta.seq != expected - 1) {
    return std::unexpected(shard_error(
        shard, cat("the batch ends at seq ", delta.seq, " but its entries at ", expected - 1)));
  }
  return {};
}

// The shards of a store, each an `S` (with a member `ShardId id`). Thread-safe.
template <typename S>
class ShardSlots {
 public:
  // The shard, opened by `open(S&) -> std::expected<void, std::string>` on its first use. An
  // open that failed is not tried again: every use returns its error.
  template <typename Open>
  std::expected<S*, StoreError> get(ShardId id, Open&& open) {
    Slot* slot = nullptr;
    {
      std::lock_guard lock(mu_);
      auto& made = slots_[id];
      if (!made) {
        made = std::make_unique<Slot>();
        made->shard = std::make_unique<S>();
        made->shard->id = id;
      }
      slot = made.get();
    }
    std::lock_guard lock(slot->open_mu);
    if (!slot->opened && slot->error.empty()) {
      auto r = open(*slot->shard);
      if (r) {
        slot->opened = true;
      } else {
        slot->error = r.error();
      }
    }
    if (!slot->opened) return std::unexpected(shard_error(id, slot->error));
    return slot->shard.get();
  }

  // Calls `f(S&)` for every shard made so far (opened or not), in shard order.
  template <typename F>
  void for_each(F&& f) {
    std::lock_guard lock(mu_);
    for (auto& [id, slot] : slots_) f(*slot->shard);
  }

 private:
  struct Slot {
    std::mutex open_mu;  // held while the shard opens
    bool opened = false;
    std::string error;
    std::unique_ptr<S> shard;
  };
  std::mutex mu_;
  std::map<ShardId, std::unique_ptr<Slot>> slots_;
};

}  // namespace tally::store
