#include "service/recall.h"

#include <algorithm>

#include "ledger/text.h"

namespace tally::service {

std::expected<void, store::StoreError> ColdKeys::load(store::Store& store, ShardId shard,
                                                      const Ledger& ledger) {
  generations_.clear();
  auto cold = store.has_cold_keys(shard);
  if (!cold) return std::unexpected(cold.error());
  any_ = *cold;
  if (!any_) return {};
  const int64_t retention_us = ledger.config().idempotency_retention_us;
  return store.scan_idempotency_keys(
      shard, [&](std::string_view key) { add(key, ledger.now(), retention_us); });
}

void ColdKeys::add(std::string_view key, TimeUs at, int64_t retention_us) {
  // A new generation once the newest one spans an eighth of the retention.
  if (generations_.empty() ||
      add_us(generations_.back().first, std::max<int64_t>(retention_us / 8, 1)) <= at) {
    generations_.push_back(Generation{at, at});
  }
  generations_.back().newest = std::max(generations_.back().newest, at);
  generations_.back().filter.add(key);
}

void ColdKeys::left_memory(const Ledger& ledger, const StateDelta& delta) {
  const int64_t retention_us = ledger.config().idempotency_retention_us;
  for (const std::string& key : delta.idempotency_gone) add(key, delta.now, retention_us);
  any_ = any_ || !delta.idempotency_gone.empty();
  // Every key of a generation ran at or before its newest time: past the retention, gone.
  while (!generations_.empty() && add_us(generations_.front().newest, retention_us) <= delta.now) {
    generations_.pop_front();
  }
}

bool ColdKeys::must_look_up(const Ledger& ledger, const Request& request) const {
  if (!any_ || request.idempotency_key.empty() ||
      std::holds_alternative<AdvanceTime>(request.command) ||
      ledger.remembers(request.idempotency_key)) {
    return false;
  }
  return std::any_of(generations_.begin(), generations_.end(), [&](const Generation& g) {
    return g.filter.may_contain(request.idempotency_key);
  });
}

std::expected<std::optional<Recalled>, store::StoreError> recall(Ledger& ledger,
                                                                store::Store& store,
                                                                const Request& request, TimeUs now,
                                                                std::vector<Entry>* entries) {
  auto found = store.find_idempotency(ledger.shard(), request.idempotency_key);
  if (!found) return std::unexpected(found.error());
  if (!found->has_value()) return std::nullopt;
  IdempotencyRecord& first = **found;
  // Past the retention a key is forgotten, whether or not the store has deleted it yet.
  if (add_us(first.at, ledger.config().idempotency_retention_us) <= now) return std::nullopt;
  (void)ledger.apply(Request{"", AdvanceTime{}}, now, entries);  // time still moves
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
