// Rule 8 beyond the ledger's memory: a request whose idempotency key the ledger has let go (or
// never loaded) may still be known to the store, and must get its first reply again. Shared by
// the service's shards and the simulator (tests/sim), so both run the same code.
#pragma once

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
// and a filter over them (a key outside it was never used). Loaded with the shard and told of
// every batch's delta; owned by the shard's thread.
class ColdKeys {
 public:
  // From the store, when the shard loads.
  [[nodiscard]] std::expected<void, store::StoreError> load(store::Store& store, ShardId shard);
  // After a batch: the keys its delta says left the ledger's memory.
  void left_memory(const StateDelta& delta);
  // Whether `request` has to be looked up in the store before the ledger applies it: it carries
  // a key the ledger does not remember, and the store may hold it.
  bool must_look_up(const Ledger& ledger, const Request& request) const;

 private:
  bool any_ = false;
  KeyFilter filter_;
};

// Looks `request`'s key up in the store of `ledger`'s shard. If the store knows it, moves the
// ledger's time to `now` (time-driven entries go to `entries`) and returns what the request
// gets: the first reply and response when it is the same command, idempotency_conflict
// otherwise. nullopt if the store never saw the key (the ledger applies the request as new). A
// store error must stop the caller (fail-stop), like a failed commit.
[[nodiscard]] std::expected<std::optional<Recalled>, store::StoreError> recall(
    Ledger& ledger, store::Store& store, const Request& request, TimeUs now,
    std::vector<Entry>* entries);

}  // namespace tally::service
