// Rule 8 beyond the ledger's memory: a request whose idempotency key the ledger has let go (or
// never loaded) may still be known to the store, and must get its first reply again. Shared by
// the service's shards and the simulator (tests/sim), so both run the same code.
#pragma once

#include <deque>
#include <expected>
#include <optional>
#include <vector>

#include "ledger/command.h"
#include "ledger/ledger.h"
#include "ledger/ledger_state.h"
#include "service/key_filter.h"
#include "store/store.h"

namespace tally::service {

// The keys a shard's store holds that its ledger does not remember: whether there are any,
// and filters over them (a key outside them was never used, or is past its retention). Loaded
// with the shard and told of every batch's delta; owned by the shard's thread.
//
// Pruned by time: keys go into generations, each covering an eighth of the idempotency
// retention; a generation is dropped once its newest key is past the retention (the store
// forgets those keys too), so the filters cover one retention of keys, not every key ever let
// go. Each generation's filter is bounded (k_generation_bytes_max): past it, it answers "maybe"
// for every key, so a store lookup decides (slower, never wrong).
class ColdKeys {
 public:
  // From the store, when the shard loads (`ledger`, just loaded, gives the time). The stored
  // keys' times are not read: they go into one generation dated now.
  [[nodiscard]] std::expected<void, store::StoreError> load(store::Store& store, ShardId shard,
                                                            const Ledger& ledger);
  // After a batch: the keys its delta says left `ledger`'s memory.
  void left_memory(const Ledger& ledger, const StateDelta& delta);
  // Whether `request` has to be looked up in the store before the ledger applies it: it carries
  // a key the ledger does not remember, and the store may hold it.
  bool must_look_up(const Ledger& ledger, const Request& request) const;
  static constexpr uint64_t k_generation_bytes_max = uint64_t{16} << 20;

 private:
  struct Generation {
    TimeUs first, newest;  // the delta times that added its first and newest keys
    KeyFilter filter{uint64_t{1} << 12, k_generation_bytes_max};
  };
  void add(std::string_view key, TimeUs at, int64_t retention_us);

  bool any_ = false;
  std::deque<Generation> generations_;
};

// Looks `request`'s key up in the store of `ledger`'s shard. If the store knows it, moves the
// ledger's time to `now` (time-driven entries go to `entries`) and returns what the request
// gets: the first reply and response when it is the same command, idempotency_conflict
// otherwise. nullopt if the store never saw the key, or saw it the idempotency retention ago
// or more (the ledger applies the request as new). A
// store error must stop the caller (fail-stop), like a failed commit.
[[nodiscard]] std::expected<std::optional<Recalled>, store::StoreError> recall(
    Ledger& ledger, store::Store& store, const Request& request, TimeUs now,
    std::vector<Entry>* entries);

}  // namespace tally::service
