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
    // The next due item: renewals, then lot expiries, then hold timeouts at equal times.
    TimeUs next = TimeUs::never();
    int which = -1;
    if (!renewals_.empty() && renewals_.begin()->first <= now) {
      next = renewals_.begin()->first;
      which = 0;
    }
    if (!lot_expiries_.empty() && lot_expiries_.begin()->first <= now &&
        (which < 0 || lot_expiries_.begin()->first < next)) {
      next = lot_expiries_.begin()->first;
      which = 1;
    }
    if (!hold_timeouts_.empty() && hold_timeouts_.begin()->first <= now &&
        (which < 0 || hold_timeouts_.begin()->first < next)) {
      which = 2;
    }
    if (which < 0) break;
    if (which == 0) {
      auto [at, account] = *renewals_.begin();
      renewals_.erase(renewals_.begin());
      renew(account, at, out);
      ++reply.renewals;
    } else if (which == 1) {
      auto [at, lot] = *lot_expiries_.begin();
      lot_expiries_.erase(lot_expiries_.begin());
      if (expire_lot(lot_account_.at(lot), lot, at, out)) ++reply.lots_expired;
    } else {
      auto [at, id] = *hold_timeouts_.begin();
      Hold& h = holds_.at(id);
      restore(h.account, h.portions, /*from_held=*/true, h.tool, h.id, {}, k_timeout_reason, at,
              out);
      end_hold(h, HoldState::expired, {}, at);  // erases the timeout and the hold
      ++reply.holds_expired;
    }
  }
  now_ = now;
  prune_retained(now);
  return reply;
}

bool Ledger::expire_lot(uint32_t account, LotId id, TimeUs at, std::vector<Entry>* out) {
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
  return remaining.is_positive();
}

void Ledger::ref_lot(uint32_t account, LotId id) {
  Lot* lot = lot_in(account, id);
  TALLY_CHECK(lot != nullptr);
  ++lot->refs;
  touch_lot(account, id);
}

void Ledger::unref_lot(uint32_t account, LotId id) {
  Lot* lot = lot_in(account, id);
  TALLY_CHECK(lot != nullptr && lot->refs > 0);
  --lot->refs;
  touch_lot(account, id);
  maybe_drop_lot(account, id);
}

void Ledger::prune_retained(TimeUs now) {
  while (!finished_holds_.empty() &&
         add_us(finished_holds_.front().first, config_.spend_retention_us) <= now) {
    finished_.erase(finished_holds_.front().second);
    if (tracking()) changes_.finished_gone.push_back(finished_holds_.front().second);
    finished_holds_.pop_front();
  }
  while (!retained_spends_.empty() &&
         add_us(retained_spends_.front().first, config_.spend_retention_us) <= now) {
    auto it = spends_.find(retained_spends_.front().second);
    TALLY_CHECK(it != spends_.end());
    const Spend& s = it->second;
    for (const Portion& p : s.portions) unref_lot(s.account, p.lot);
    if (tracking()) changes_.spends_gone.push_back(s.id);
    spends_.erase(it);
    retained_spends_.pop_front();
  }
  while (!purchase_order_.empty() &&
         add_us(purchase_order_.front().first, config_.purchase_retention_us) <= now) {
    auto it = purchases_.find(purchase_order_.front().second);
    TALLY_CHECK(it != purchases_.end());
    const PurchaseRecord& rec = it->second;
    for (LotId id : {rec.reply.lot, rec.reply.bonus_lot}) {
      if (id.is_set()) unref_lot(rec.account, id);
    }
    if (tracking()) changes_.purchases_gone.push_back(rec.id);
    purchase_by_payment_.erase(rec.payment_ref);
    purchases_.erase(it);
    purchase_order_.pop_front();
  }
  while (!idempotency_order_.empty() &&
         add_us(idempotency_order_.front().first, config_.idempotency_retention_us) <= now) {
    const std::string& key = *idempotency_order_.front().second;
    if (tracking()) {
      changes_.idempotency_gone.push_back(key);
      auto node = idempotency_.extract(key);
      leaving_.insert_or_assign(std::move(node.key()), std::move(node.mapped()));
    } else {
      idempotency_.erase(key);
    }
    idempotency_order_.pop_front();
  }
}

}  // namespace tally
