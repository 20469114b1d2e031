// Time-driven work (DESIGN rules 2 and 4): lot expiries at their exact instants, holds released
// when their TTL passes, and retention of finished holds, spends and idempotency keys, in memory
// (config.memory_window_us) and beyond it (lent back by the store).
#include <algorithm>

#include "absl/container/flat_hash_set.h"
#include "ledger/check.h"
#include "ledger/ledger.h"
#include "ledger/text.h"

namespace tally {

AdvanceReply Ledger::advance_to(TimeUs now, std::vector<Entry>* out) {
  AdvanceReply reply{now};
  static const std::string k_timeout_reason = "released: hold passed its TTL";
  while (true) {
    // The next due item: renewals, then lot expiries, then hold timeouts, then expiry notices,
    // then auto top-up timers at equal times; the balance alerts of each item's accounts
    // follow it.
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
      next = hold_timeouts_.begin()->first;
      which = 2;
    }
    if (!notices_.empty() && notices_.begin()->first <= now &&
        (which < 0 || notices_.begin()->first < next)) {
      next = notices_.begin()->first;
      which = 3;
    }
    if (!topup_timers_.empty() && topup_timers_.begin()->first <= now &&
        (which < 0 || topup_timers_.begin()->first < next)) {
      next = topup_timers_.begin()->first;
      which = 4;
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
    } else if (which == 2) {
      auto [at, id] = *hold_timeouts_.begin();
      Hold& h = holds_.at(id);
      restore(h.account, h.portions, /*from_held=*/true, h.tool, h.id, {}, k_timeout_reason, at,
              out);
      emit(EventType::hold_timed_out, h.account, at, h.amount, id.value);
      uncount_budgets(h.account, h.member, h.project, h.amount, h.id.value, h.created_at, at);
      end_hold(h, HoldState::expired, {}, at);  // erases the timeout and the hold
      ++reply.holds_expired;
    } else if (which == 3) {
      auto [at, id] = *notices_.begin();
      notices_.erase(notices_.begin());
      run_notice(id, at);
    } else {
      auto [at, account] = *topup_timers_.begin();
      topup_timers_.erase(topup_timers_.begin());
      run_auto_topup_due(account, at);
    }
    check_balances(next);
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
    emit(EventType::credits_expired, account, at, remaining, id.value);
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

int64_t Ledger::in_memory_us(int64_t retention_us) const {
  return tracking() ? std::min(retention_us, config_.memory_window_us) : retention_us;
}

void Ledger::let_go_finished(int64_t kept_us, TimeUs now) {
  while (!finished_holds_.empty() && add_us(finished_holds_.front().first, kept_us) <= now) {
    finished_.erase(finished_holds_.front().second);
    if (tracking()) changes_.finished_gone.push_back(finished_holds_.front().second);
    finished_holds_.pop_front();
  }
}

void Ledger::let_go_spends(int64_t kept_us, TimeUs now) {
  while (!retained_spends_.empty() && add_us(retained_spends_.front().first, kept_us) <= now) {
    auto it = spends_.find(retained_spends_.front().second);
    TALLY_CHECK(it != spends_.end());
    const Spend& s = it->second;
    for (const Portion& p : s.portions) unref_lot(s.account, p.lot);
    if (tracking()) changes_.spends_gone.push_back(s.id);
    spends_.erase(it);
    retained_spends_.pop_front();
  }
}

void Ledger::prune_retained(TimeUs now) {
  let_go_finished(config_.spend_retention_us, now);
  let_go_spends(config_.spend_retention_us, now);
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
  // Keys leave during a batch (leaving_ answers their retries until the store has them);
  // spends and finished holds at its end (release_memory), since their lots go with them.
  const int64_t keys_kept_us = in_memory_us(config_.idempotency_retention_us);
  while (!idempotency_order_.empty() &&
         add_us(idempotency_order_.front().first, keys_kept_us) <= now) {
    const std::string& key = *idempotency_order_.front().second;
    const bool forgotten =
        add_us(idempotency_order_.front().first, config_.idempotency_retention_us) <= now;
    if (tracking()) changes_.idempotency_gone.push_back(key);
    if (tracking() && !forgotten) {  // only the store remembers it from now on
      auto node = idempotency_.extract(key);
      leaving_.insert_or_assign(std::move(node.key()), std::move(node.mapped()));
    } else {  // past its retention: a new request from now on (rule 8 holds within it)
      idempotency_.erase(key);
    }
    idempotency_order_.pop_front();
  }
}

void Ledger::release_memory() {
  let_go_finished(in_memory_us(config_.spend_retention_us), now_);
  let_go_spends(in_memory_us(config_.spend_retention_us), now_);
}

bool Ledger::may_have_let_go(uint64_t id) const {
  const uint64_t counter = id & ((uint64_t{1} << k_id_shard_shift) - 1);
  return tracking() && (id >> k_id_shard_shift) == shard_ && counter != 0 &&
         counter <= id_counter_;
}

std::optional<LotId> Ledger::lend_spend(Spend spend, std::vector<Lot> lots) {
  TALLY_CHECK(tracking() && spend.account < accounts_.size() && !spends_.contains(spend.id));
  auto named = [&](LotId id) {
    return std::any_of(spend.portions.begin(), spend.portions.end(),
                       [id](const Portion& p) { return p.lot == id; });
  };
  // A lot that left memory earlier in this batch is lent as it left, not as the store last
  // had it (the store gets this batch's changes only with its delta); it comes back as a change
  // of this batch, and leaves again (written as it left) when it is returned.
  std::vector<LotId> left_this_batch;
  for (auto it = changes_.lots_left.begin(); it != changes_.lots_left.end();) {
    if (it->first != spend.account || !named(it->second.id)) {
      ++it;
      continue;
    }
    const LotId id = it->second.id;
    std::erase_if(lots, [id](const Lot& l) { return l.id == id; });
    lots.push_back(std::move(it->second));
    left_this_batch.push_back(id);
    std::erase(changes_.lots_gone, id);
    it = changes_.lots_left.erase(it);
  }
  auto given = [&](LotId id) {
    return std::find_if(lots.begin(), lots.end(), [id](const Lot& l) { return l.id == id; });
  };
  for (const Portion& p : spend.portions) {
    if (lot_in(spend.account, p.lot) == nullptr && given(p.lot) == lots.end()) return p.lot;
  }
  // Lending changes nothing by itself: a lot put back and the spend's references to lots are
  // not changes to write; only what the command then does is (a refused refund writes nothing).
  for (const Portion& p : spend.portions) {
    if (lot_in(spend.account, p.lot) != nullptr) continue;
    const bool tracked = std::find(left_this_batch.begin(), left_this_batch.end(), p.lot) !=
                         left_this_batch.end();
    Lot& lot = place_lot(spend.account, std::move(*given(p.lot)), tracked);
    lot.refs = 0;  // out of memory, nothing referred to it (the refs below are the lent spend's)
    // As from_state schedules it: an expiry that already ran is not run again.
    if (lot.voided || (!lot.expires_at.is_never() && lot.expires_at < now_)) {
      lot_expiries_.erase({lot.expires_at, lot.id});
    }
    lent_lots_.emplace_back(spend.account, lot.id);
  }
  for (const Portion& p : spend.portions) ++lot_in(spend.account, p.lot)->refs;
  lent_spends_.push_back(spend.id);
  const SpendId id = spend.id;
  spends_.emplace(id, std::move(spend));
  return std::nullopt;
}

void Ledger::lend_finished_hold(HoldId id, FinishedHold hold) {
  TALLY_CHECK(tracking() && !holds_.contains(id) && !finished_.contains(id));
  finished_.emplace(id, hold);
  lent_finished_.push_back(id);
}

void Ledger::return_lent() {
  // The lots the lent spends refer to: once the spends go, one that nothing keeps leaves.
  std::vector<std::pair<uint32_t, LotId>> referred;
  for (SpendId id : lent_spends_) {
    auto it = spends_.find(id);
    TALLY_CHECK(it != spends_.end());
    for (const Portion& p : it->second.portions) {
      Lot* lot = lot_in(it->second.account, p.lot);
      TALLY_CHECK(lot != nullptr && lot->refs > 0);
      --lot->refs;  // the lent references go as they came, unrecorded
      referred.emplace_back(it->second.account, p.lot);
    }
    // It leaves memory again; if the command changed it, the store gets the change.
    if (std::find(changes_.spends_put.begin(), changes_.spends_put.end(), id) !=
        changes_.spends_put.end()) {
      changes_.spends_gone.push_back(id);
    }
    spends_.erase(it);
  }
  lent_spends_.clear();
  if (!referred.empty()) {
    const absl::flat_hash_set<LotId> changed(changes_.lots_put.begin(), changes_.lots_put.end());
    for (const auto& [account, id] : referred) {
      const Lot* lot = lot_in(account, id);
      if (lot == nullptr || lot->has_credits() || lot->refs != 0) continue;
      const bool lent = std::find(lent_lots_.begin(), lent_lots_.end(),
                                  std::pair<uint32_t, LotId>{account, id}) != lent_lots_.end();
      if (lent && !changed.contains(id)) {  // put back for the spend and unchanged: unrecorded
        if (!lot->expires_at.is_never()) lot_expiries_.erase({lot->expires_at, id});
        lot_account_.erase(id);
        std::erase_if(accounts_[account].lots, [id](const Lot& l) { return l.id == id; });
      } else {
        maybe_drop_lot(account, id);  // a change of this batch: written as it leaves
      }
    }
  }
  lent_lots_.clear();
  for (HoldId id : lent_finished_) finished_.erase(id);
  lent_finished_.clear();
}

}  // namespace tally
