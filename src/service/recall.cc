#include "service/recall.h"

#include "ledger/text.h"

namespace tally::service {

bool needs_recall(const Ledger& ledger, const Request& request, bool store_has_cold_keys) {
  return store_has_cold_keys && !request.idempotency_key.empty() &&
         !std::holds_alternative<AdvanceTime>(request.command) &&
         !ledger.remembers(request.idempotency_key);
}

std::expected<std::optional<Result>, store::StoreError> recall(Ledger& ledger, store::Store& store,
                                                              const Request& request, TimeUs now,
                                                              std::vector<Entry>* entries) {
  auto found = store.find_idempotency(ledger.shard(), request.idempotency_key);
  if (!found) return std::unexpected(found.error());
  if (!found->has_value()) return std::nullopt;
  (void)ledger.apply(Request{"", AdvanceTime{}}, now, entries);  // time still moves
  if ((*found)->fingerprint == fingerprint(request.command)) return (*found)->result;
  return Result{std::unexpected(make_error(
      ErrorCode::idempotency_conflict,
      cat("idempotency key '", request.idempotency_key, "' was used for a different request")))};
}

}  // namespace tally::service
