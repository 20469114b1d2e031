#include "store/lend.h"

#include "ledger/text.h"

namespace tally::store {

namespace {

// The spend or hold `command` names, if it is a refund, an outcome, a capture or a release.
const SpendId* spend_named(const Command& command) {
  if (const auto* refund = std::get_if<Refund>(&command)) return &refund->spend;
  if (const auto* mark = std::get_if<MarkOutcome>(&command)) return &mark->spend;
  return nullptr;
}

const HoldId* hold_named(const Command& command) {
  if (const auto* c = std::get_if<Capture>(&command)) return &c->hold;
  if (const auto* r = std::get_if<Release>(&command)) return &r->hold;
  return nullptr;
}

}  // namespace

bool needs_lending(const Ledger& ledger, const Command& command) {
  if (const SpendId* spend = spend_named(command)) {
    return ledger.find_spend(*spend) == nullptr && ledger.may_have_let_go(spend->value);
  }
  if (const HoldId* hold = hold_named(command)) {
    return !ledger.hold_status(*hold) && ledger.may_have_let_go(hold->value);
  }
  return false;
}

std::expected<void, StoreError> lend_records(Ledger& ledger, Store& store,
                                                    const Command& command) {
  if (!needs_lending(ledger, command)) return {};
  const ShardId shard = ledger.shard();
  if (const HoldId* hold = hold_named(command)) {
    auto found = store.find_finished_hold(shard, *hold);
    if (!found) return std::unexpected(found.error());
    if (*found) ledger.lend_finished_hold(*hold, **found);
    return {};
  }
  const SpendId id = *spend_named(command);
  auto found = store.find_spend(shard, id);
  if (!found) return std::unexpected(found.error());
  if (!*found) return {};
  Spend& spend = **found;
  if (spend.account >= ledger.accounts().size()) {
    return std::unexpected(StoreError{cat("stored spend ", id.value, " names account #",
                                                 spend.account, ", which the shard lacks")});
  }
  std::vector<Lot> lots;
  for (const Portion& p : spend.portions) {
    if (ledger.find_lot(p.lot) != nullptr) continue;
    auto lot = store.find_lot(shard, p.lot);
    if (!lot) return std::unexpected(lot.error());
    if (*lot) lots.push_back(std::move(**lot));
  }
  if (auto missing = ledger.lend_spend(std::move(spend), std::move(lots))) {
    return std::unexpected(StoreError{
        cat("stored spend ", id.value, " came from lot ", missing->value, ", which the store lacks")});
  }
  return {};
}

}  // namespace tally::store
