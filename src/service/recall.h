// Rule 8 beyond the ledger's memory: a request whose idempotency key the ledger has let go (or
// never loaded) may still be known to the store, and must get its first reply again. Shared by
// the service's shards and the simulator (tests/sim), so both run the same code.
#pragma once

#include <expected>
#include <optional>
#include <vector>

#include "ledger/command.h"
#include "ledger/ledger.h"
#include "store/store.h"

namespace tally::service {

// Whether `request` has to be looked up in the store before the ledger applies it: it carries
// a key the ledger does not remember, and the store holds keys the ledger does not.
bool needs_recall(const Ledger& ledger, const Request& request, bool store_has_cold_keys);

// Looks `request`'s key up in the store of `ledger`'s shard. If the store knows it, moves the
// ledger's time to `now` (time-driven entries go to `entries`) and returns what the request
// gets: the first reply when it is the same command, idempotency_conflict otherwise. nullopt if
// the store never saw the key (the ledger applies the request as new). A store error must stop
// the caller (fail-stop), like a failed commit.
[[nodiscard]] std::expected<std::optional<Result>, store::StoreError> recall(
    Ledger& ledger, store::Store& store, const Request& request, TimeUs now,
    std::vector<Entry>* entries);

}  // namespace tally::service
