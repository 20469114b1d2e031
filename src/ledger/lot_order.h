// Consumption order (DESIGN rule 1) — the one place that decides which lot pays first.
#pragma once

#include <string_view>

#include "ledger/config.h"
#include "ledger/types.h"

namespace tally {

// True when lot `a` is consumed before lot `b`.
//   expiry_first (default): earliest expires_at (never last), then source priority, then
//     oldest granted_at, then lower lot id.
//   priority_first: source priority, then earliest expires_at, then oldest granted_at, then
//     lower lot id.
// A strict total order over distinct lot ids; accounts keep their lots sorted by it.
bool consumes_before(const Lot& a, const Lot& b, const LedgerConfig& config);

// Whether `lot` may pay for `tool` at `now`: effective, not expired, not voided, with
// remaining credits, and its scope allows the tool.
bool is_eligible(const Lot& lot, std::string_view tool, TimeUs now);

}  // namespace tally
