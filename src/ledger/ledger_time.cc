// Time-driven work (DESIGN rules 2 and 4): lot expiries at their exact instants, holds released
// when their TTL passes, and retention of finished holds, spends and idempotency keys.
#include "ledger/check.h"
#include "ledger/ledger.h"
#include "ledger/text.h"

namespace tally {

AdvanceReply Ledger::advance_to(TimeUs now, std::vector<Entry>* out) {
  AdvanceReply reply{now};
  static const std::string k_timeout_reason = "released: hold passed its TTL";
  while (true) {
    const bool has_lot = !lot_expiries_.empty() && lot_expiries_.begin()->first <= now;
    const bool has_hold = !hold_timeouts_.empty() && hold_timeouts_.begin()->first <= now;
    if (!has_lot && !has_hold) break;
    // At the same instant a lot expires before a hold times out (see ledger.h).
    if (has_lot && (!has_hold || lot_expiries_.begin()->first <= hold_timeouts_.begin()->first)) {
      auto [at, lot] = *lot_expiries_.begin();
      lot_expiries_.erase(lot_expiries_.begin());
      expire_lot(lot_account_.at(lot), lot, at, out);
      ++reply.lots_expired;
    } else {
      auto [at, id] = *hold_timeouts_.begin();
      Hold& h = holds_.at(id);
      restore(h.account, h.portions, /*from_held=*/true, h.tool, h.id, {}, k_timeout_reason, at,
              out);
      end_hold(h, HoldState::expired, at);  // erases the timeout
      ++reply.holds_expired;
    }
  }
  now_ = now;
  prune_retained(now);
  return reply;
}

void Ledger::expire_lot(uint32_t account, LotId id, TimeUs at, std::vector<Entry>* out) {
  Lot* lot = lot_in(account, id);
  TALLY_CHECK(lot != nullptr && lot->expires_at == at);
  const Credits remaining = lot->remaining;
  if (remaining.is_positive()) {
    static const std::string k_reason = "expired";
    post(account, id,
         {.kind = EntryKind::expire,
          .counter = Book::expired,
          .amount = -remaining,
          .reason = &k_reason},
         at, out);
  }
  maybe_drop_lot(account, id);
}

void Ledger::prune_retained(TimeUs now) {
  while (!finished_holds_.empty() &&
         add_us(finished_holds_.front().first, config_.spend_retention_us) <= now) {
    holds_.erase(finished_holds_.front().second);
    finished_holds_.pop_front();
  }
  while (!retained_spends_.empty() &&
         add_us(retained_spends_.front().first, config_.spend_retention_us) <= now) {
    auto it = spends_.find(retained_spends_.front().second);
    TALLY_CHECK(it != spends_.end());
    const Spend& s = it->second;
    for (const Portion& p : s.portions) {
      Lot* lot = lot_in(s.account, p.lot);
      TALLY_CHECK(lot != nullptr && lot->refs > 0);
      --lot->refs;
      maybe_drop_lot(s.account, p.lot);
    }
    spends_.erase(it);
    retained_spends_.pop_front();
  }
  while (!idempotency_order_.empty() &&
         add_us(idempotency_order_.front().first, config_.idempotency_retention_us) <= now) {
    idempotency_.erase(*idempotency_order_.front().second);
    idempotency_order_.pop_front();
  }
}

}  // namespace tally
