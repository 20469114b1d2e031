#include "service/recall.h"

#include "ledger/text.h"

namespace tally::service {

std::expected<void, store::StoreError> ColdKeys::load(store::Store& store, ShardId shard) {
  auto cold = store.has_cold_keys(shard);
  if (!cold) return std::unexpected(cold.error());
  any_ = *cold;
  if (!any_) return {};
  return store.scan_idempotency_keys(shard, [&](std::string_view key) { filter_.add(key); });
}

void ColdKeys::left_memory(const StateDelta& delta) {
  for (const std::string& key : delta.idempotency_gone) filter_.add(key);
  any_ = any_ || !delta.idempotency_gone.empty();
}

bool ColdKeys::must_look_up(const Ledger& ledger, const Request& request) const {
  return any_ && !request.idempotency_key.empty() &&
         !std::holds_alternative<AdvanceTime>(request.command) &&
         !ledger.remembers(request.idempotency_key) &&
         filter_.may_contain(request.idempotency_key);
}

std::expected<std::optional<Recalled>, store::StoreError> recall(Ledger& ledger,
                                                                store::Store& store,
                                                                const Request& request, TimeUs now,
                                                                std::vector<Entry>* entries) {
  auto found = store.find_idempotency(ledger.shard(), request.idempotency_key);
  if (!found) return std::unexpected(found.error());
  if (!found->has_value()) return std::nullopt;
  (void)ledger.apply(Request{"", AdvanceTime{}}, now, entries);  // time still moves
  IdempotencyRecord& first = **found;
  if (first.fingerprint == fingerprint(request.command)) {
    return Recalled{std::move(first.result), std::move(first.response)};
  }
  return Recalled{std::unexpected(make_error(
                      ErrorCode::idempotency_conflict,
                      cat("idempotency key '", request.idempotency_key,
                          "' was used for a different request"))),
                  {}};
}

}  // namespace tally::service
