#include "ledger/lot_order.h"

#include <algorithm>
#include <tuple>

namespace tally {

bool consumes_before(const Lot& a, const Lot& b, const LedgerConfig& config) {
  const auto pa = config.source_priority[static_cast<size_t>(a.source)];
  const auto pb = config.source_priority[static_cast<size_t>(b.source)];
  if (config.policy == ConsumptionPolicy::priority_first) {
    return std::tie(pa, a.expires_at, a.granted_at, a.id) <
           std::tie(pb, b.expires_at, b.granted_at, b.id);
  }
  return std::tie(a.expires_at, pa, a.granted_at, a.id) <
         std::tie(b.expires_at, pb, b.granted_at, b.id);
}

bool is_eligible(const Lot& lot, std::string_view tool, TimeUs now) {
  return !lot.voided && lot.remaining.is_positive() && lot.is_effective_at(now) &&
         !lot.is_expired_at(now) && lot.allows_tool(tool);
}

bool Lot::allows_tool(std::string_view tool) const {
  return scope.empty() || std::binary_search(scope.begin(), scope.end(), tool);
}

}  // namespace tally
