// Export and import of the whole ledger state (ledger_state.h). Every index and timer is
// derived again from the objects, so only the objects themselves need storing.
#include "ledger/ledger_state.h"

#include <algorithm>

#include "absl/strings/str_join.h"
#include "ledger/check.h"
#include "ledger/text.h"

namespace tally {

LedgerState Ledger::export_state() const {
  LedgerState s;
  s.now = now_;
  s.seq = seq_;
  s.id_counter = id_counter_;
  s.books = books_;
  s.accounts = accounts_;
  for (const auto& [id, h] : holds_) s.holds.push_back(h);
  std::sort(s.holds.begin(), s.holds.end(),
            [](const Hold& a, const Hold& b) { return a.id < b.id; });
  for (const auto& [at, id] : finished_holds_) s.finished_holds.emplace_back(id, finished_.at(id));
  for (const auto& [at, id] : retained_spends_) s.spends.push_back(spends_.at(id));
  for (const auto& [at, id] : purchase_order_) s.purchases.push_back(purchases_.at(id));
  for (const auto& [at, key] : idempotency_order_) {
    const Idempotent& r = idempotency_.at(*key);
    s.idempotency.push_back(IdempotencyRecord{*key, r.at, r.fingerprint, r.result});
  }
  return s;
}

std::expected<std::unique_ptr<Ledger>, std::string> Ledger::from_state(
    LedgerConfig config, std::shared_ptr<const Catalog> catalog, ShardId shard, LedgerState state) {
  auto l = std::make_unique<Ledger>(std::move(config), std::move(catalog), shard);
  l->now_ = state.now;
  l->seq_ = state.seq;
  l->id_counter_ = state.id_counter;
  l->books_ = std::move(state.books);
  l->accounts_ = std::move(state.accounts);
  for (uint32_t i = 0; i < l->accounts_.size(); ++i) {
    const Account& a = l->accounts_[i];
    if (!l->account_index_.emplace(a.id, i).second)
      return std::unexpected("duplicate account " + a.id);
    if (a.subscription) l->renewals_.emplace(a.subscription->period_end, i);
    for (const Lot& lot : a.lots) {
      if (!l->lot_account_.emplace(lot.id, i).second) {
        return std::unexpected(cat("lot ", lot.id.value, " appears twice"));
      }
      // Expiries not yet run: later ones, and any of this instant (running one again is a
      // no-op: nothing remains to write off).
      if (!lot.voided && !lot.expires_at.is_never() && lot.expires_at >= l->now_) {
        l->lot_expiries_.emplace(lot.expires_at, lot.id);
      }
    }
  }
  for (Hold& h : state.holds) {
    if (h.account >= l->accounts_.size()) return std::unexpected("hold of an unknown account");
    l->hold_timeouts_.emplace(h.expires_at, h.id);
    l->holds_.emplace(h.id, std::move(h));
  }
  for (auto& [id, f] : state.finished_holds) {
    l->finished_holds_.emplace_back(f.ended_at, id);
    l->finished_.emplace(id, f);
  }
  for (Spend& s : state.spends) {
    l->retained_spends_.emplace_back(s.at, s.id);
    l->spends_.emplace(s.id, std::move(s));
  }
  for (PurchaseRecord& p : state.purchases) {
    l->purchase_order_.emplace_back(p.at, p.id);
    l->purchase_by_payment_.emplace(p.payment_ref, p.id);
    l->purchases_.emplace(p.id, std::move(p));
  }
  for (IdempotencyRecord& r : state.idempotency) {
    auto [it, fresh] = l->idempotency_.try_emplace(std::move(r.key));
    if (!fresh) return std::unexpected("idempotency key " + it->first + " appears twice");
    it->second = Idempotent{r.fingerprint, std::move(r.result), r.at};
    l->idempotency_order_.emplace_back(r.at, &it->first);
  }
  std::vector<std::string> bad = l->check_invariants();
  if (!bad.empty()) return std::unexpected(absl::StrJoin(bad, "; "));
  return l;
}

}  // namespace tally
