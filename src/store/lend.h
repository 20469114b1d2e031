// What left a ledger's memory comes back from its store for the command that names it
// (LedgerConfig::memory_window_us, issue 14): shared by the service's shards, the simulator and
// the store tests, so all run the same code.
#pragma once

#include <expected>

#include "ledger/command.h"
#include "ledger/ledger.h"
#include "store/store.h"

namespace tally::store {

// Whether `command` names a record (the spend a refund names, the hold a capture or release
// names) that the ledger may have let go of (LedgerConfig::memory_window_us), so that
// lend_records must ask the store.
bool needs_lending(const Ledger& ledger, const Command& command);

// Lends `ledger` what `command` names that left its memory and the store holds (a spend with
// the lots it came from, a finished hold), until the ledger's next take_delta. Nothing if the
// store does not hold it either (the ledger then answers not_found). A store error, or a stored
// spend whose lot the store lacks, must stop the caller (fail-stop).
[[nodiscard]] std::expected<void, StoreError> lend_records(Ledger& ledger, Store& store,
                                                          const Command& command);

}  // namespace tally::store
