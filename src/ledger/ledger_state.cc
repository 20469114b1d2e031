// Export and import of the whole ledger state (ledger_state.h). Every index and timer is
// derived again from the objects, so only the objects themselves need storing.
#include "ledger/ledger_state.h"

#include <algorithm>

#include "absl/container/flat_hash_set.h"
#include "absl/strings/str_join.h"
#include "ledger/check.h"
#include "ledger/lot_order.h"
#include "ledger/text.h"

namespace tally {

LedgerState Ledger::export_state() const {
  LedgerState s;
  s.now = now_;
  s.seq = seq_;
  s.id_counter = id_counter_;
  s.event_seq = event_seq_;
  s.audit_seq = audit_seq_;
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
    s.idempotency.push_back(IdempotencyRecord{*key, r.at, r.fingerprint, r.result, r.response});
  }
  return s;
}

std::expected<std::unique_ptr<Ledger>, std::string> Ledger::from_state(
    LedgerConfig config, std::shared_ptr<const Catalog> catalog, ShardId shard, LedgerState state) {
  // Without a catalog (`tally verify --data` with no --config) plans are not checked.
  const bool check_plans = catalog != nullptr;
  auto l = std::make_unique<Ledger>(std::move(config), std::move(catalog), shard);
  l->now_ = state.now;
  l->seq_ = state.seq;
  l->id_counter_ = state.id_counter;
  l->event_seq_ = state.event_seq;
  l->audit_seq_ = state.audit_seq;
  l->books_ = std::move(state.books);
  l->accounts_ = std::move(state.accounts);
  for (uint32_t i = 0; i < l->accounts_.size(); ++i) {
    Account& a = l->accounts_[i];
    // A store may return lots in any order; the ledger keeps them in consumption order.
    std::sort(a.lots.begin(), a.lots.end(),
              [&l](const Lot& x, const Lot& y) { return consumes_before(x, y, l->config_); });
    if (!l->account_index_.emplace(a.id, i).second)
      return std::unexpected("duplicate account " + a.id);
    if (a.subscription) {
      // A plan in use gone from the configuration would stop the shard at the account's next
      // renewal: refuse to start instead, and say what to do.
      for (const std::string* plan : {&a.subscription->plan, &a.subscription->pending_plan}) {
        if (plan->empty() || !check_plans || l->catalog_->find_plan(*plan)) continue;
        return std::unexpected(cat("account ", a.id, " is on plan '", *plan,
                                   "', which the configuration does not have: put the plan "
                                   "back (a plan in use can only be removed once no account "
                                   "is on it)"));
      }
      l->renewals_.emplace(a.subscription->period_end, i);
    }
    a.lots_with_credits = 0;  // a cache, not stored: counted again
    for (const Lot& lot : a.lots) {
      if (lot.has_credits()) ++a.lots_with_credits;
      if (!l->lot_account_.emplace(lot.id, i).second) {
        return std::unexpected(cat("lot ", lot.id.value, " appears twice"));
      }
      // Expiries not yet run: later ones, and any of this instant (running one again is a
      // no-op: nothing remains to write off).
      if (!lot.voided && !lot.expires_at.is_never() && lot.expires_at >= l->now_) {
        l->lot_expiries_.emplace(lot.expires_at, lot.id);
      }
      if (!lot.notice_at.is_never()) l->notices_.emplace(lot.notice_at, lot.id);
    }
    if (a.auto_topup) {
      if (a.auto_topup->pending != 0) l->topup_pending_.emplace(a.auto_topup->pending, i);
      l->schedule_auto_topup(i);
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
    it->second = Idempotent{r.fingerprint, std::move(r.result), r.at, std::move(r.response)};
    l->idempotency_order_.emplace_back(r.at, &it->first);
  }
  std::vector<std::string> bad = l->check_invariants();
  if (!bad.empty()) return std::unexpected(absl::StrJoin(bad, "; "));
  return l;
}

}  // namespace tally

namespace tally {

void Ledger::touch(uint32_t account) {
  if (!tracking()) return;
  if (changes_.account_dirty.size() <= account) changes_.account_dirty.resize(accounts_.size());
  if (changes_.account_dirty[account]) return;
  changes_.account_dirty[account] = true;
  changes_.accounts.push_back(account);
}

void Ledger::touch_lot(uint32_t account, LotId id) {
  if (!tracking()) return;
  touch(account);
  changes_.lots_put.push_back(id);
}

void Ledger::take_delta(StateDelta* d) {
  TALLY_CHECK(tracking());
  *d = StateDelta{};
  Changes& c = changes_;
  // The records first, while those leaving below are still in memory: each is put once, at its
  // first place (the order records arrived in is the order they leave in), if still in memory.
  auto unique = [](auto& v) {
    absl::flat_hash_set<std::decay_t<decltype(v[0])>> seen;
    std::erase_if(v, [&](const auto& x) { return !seen.insert(x).second; });
  };
  unique(c.holds_put);
  for (HoldId id : c.holds_put) {
    if (auto it = holds_.find(id); it != holds_.end()) d->holds_put.push_back(it->second);
  }
  for (HoldId id : c.finished_put) {
    if (auto it = finished_.find(id); it != finished_.end())
      d->finished_put.emplace_back(id, it->second);
  }
  unique(c.spends_put);
  for (SpendId id : c.spends_put) {
    if (auto it = spends_.find(id); it != spends_.end()) d->spends_put.push_back(it->second);
  }
  unique(c.purchases_put);
  for (uint64_t id : c.purchases_put) {
    if (auto it = purchases_.find(id); it != purchases_.end())
      d->purchases_put.push_back(it->second);
  }
  unique(c.idempotency_put);
  for (const std::string& key : c.idempotency_put) {
    if (auto it = idempotency_.find(key); it != idempotency_.end()) {
      d->idempotency_put.push_back(
          IdempotencyRecord{key, it->second.at, it->second.fingerprint,
                            it->second.result, it->second.response});
    }
  }
  // Then what leaves memory at the end of the batch; lots it drops are in the accounts below.
  return_lent();
  release_memory();
  d->now = now_;
  d->seq = seq_;
  d->id_counter = id_counter_;
  d->event_seq = event_seq_;
  d->audit_seq = audit_seq_;
  d->events = std::move(c.events);
  d->audit = std::move(c.audit);
  d->books = books_;
  std::sort(c.accounts.begin(), c.accounts.end());
  // Each changed account goes with the lots that changed only: its other lots are as stored.
  const absl::flat_hash_set<LotId> lots_put(c.lots_put.begin(), c.lots_put.end());
  d->accounts.reserve(c.accounts.size());
  for (uint32_t i : c.accounts) {
    Account& a = accounts_[i];
    std::vector<Lot> lots = std::move(a.lots);  // copy the account without its lots
    Account& copy = d->accounts.emplace_back(a);
    a.lots = std::move(lots);
    for (auto& [account, lot] : c.lots_left) {  // first: a lot lent back since is newer
      if (account == i) copy.lots.push_back(std::move(lot));
    }
    for (const Lot& lot : a.lots) {
      if (lots_put.contains(lot.id)) copy.lots.push_back(lot);
    }
    d->account_indexes.push_back(i);
    c.account_dirty[i] = false;
  }
  d->lots_gone = std::move(c.lots_gone);
  d->holds_gone = std::move(c.holds_gone);
  d->finished_gone = std::move(c.finished_gone);
  d->spends_gone = std::move(c.spends_gone);
  d->purchases_gone = std::move(c.purchases_gone);
  d->idempotency_gone = std::move(c.idempotency_gone);
  leaving_.clear();  // the store has them once this delta is committed
  std::vector<bool> dirty = std::move(c.account_dirty);
  c = Changes{};
  c.account_dirty = std::move(dirty);
}

namespace {

// Replaces the element with the same key, or appends: records keep the order they arrived in.
template <typename T, typename Key>
void put(std::vector<T>* v, const T& item, Key key) {
  auto it = std::find_if(v->begin(), v->end(), [&](const T& x) { return key(x) == key(item); });
  if (it != v->end()) {
    *it = item;
  } else {
    v->push_back(item);
  }
}

template <typename T, typename Id, typename Key>
void erase(std::vector<T>* v, const Id& id, Key key) {
  std::erase_if(*v, [&](const T& x) { return key(x) == id; });
}

}  // namespace

bool has_changes(const StateDelta& d) {
  return !d.accounts.empty() || !d.holds_put.empty() || !d.holds_gone.empty() ||
         !d.finished_put.empty() || !d.finished_gone.empty() || !d.spends_put.empty() ||
         !d.spends_gone.empty() || !d.purchases_put.empty() || !d.purchases_gone.empty() ||
         !d.idempotency_put.empty() || !d.idempotency_gone.empty() || !d.events.empty() ||
         !d.audit.empty();
}

void apply_delta(LedgerState* s, const StateDelta& d) {
  s->now = d.now;
  s->seq = d.seq;
  s->id_counter = d.id_counter;
  s->event_seq = d.event_seq;
  s->audit_seq = d.audit_seq;
  s->books = d.books;
  // An account's lots that are not in the delta stay as they were.
  const absl::flat_hash_set<LotId> gone(d.lots_gone.begin(), d.lots_gone.end());
  for (const Account& a : d.accounts) {
    auto it = std::find_if(s->accounts.begin(), s->accounts.end(),
                           [&](const Account& x) { return x.id == a.id; });
    if (it == s->accounts.end()) {
      it = s->accounts.insert(s->accounts.end(), a);
      it->lots.clear();
    }
    std::vector<Lot> lots = std::move(it->lots);
    *it = a;
    it->lots = std::move(lots);
    // A lot can be put and gone in one delta: it changed, then left memory (as it left).
    for (const Lot& lot : a.lots) put(&it->lots, lot, [](const Lot& x) { return x.id; });
    std::erase_if(it->lots, [&](const Lot& x) { return gone.contains(x.id); });
  }
  auto hold_id = [](const Hold& h) { return h.id; };
  auto finished_id = [](const std::pair<HoldId, FinishedHold>& f) { return f.first; };
  auto spend_id = [](const Spend& x) { return x.id; };
  auto purchase_id = [](const PurchaseRecord& p) { return p.id; };
  auto key = [](const IdempotencyRecord& r) { return r.key; };
  for (HoldId id : d.holds_gone) erase(&s->holds, id, hold_id);
  for (uint64_t id : d.purchases_gone) erase(&s->purchases, id, purchase_id);
  for (const std::string& k : d.idempotency_gone) erase(&s->idempotency, k, key);
  for (const Hold& h : d.holds_put) put(&s->holds, h, hold_id);
  std::sort(s->holds.begin(), s->holds.end(),
            [](const Hold& a, const Hold& b) { return a.id < b.id; });
  // Finished holds and spends never come back under their id: one put and gone in the same
  // batch (lent back and returned, or made and let go) is out of memory.
  for (const auto& f : d.finished_put) put(&s->finished_holds, f, finished_id);
  for (const Spend& x : d.spends_put) put(&s->spends, x, spend_id);
  for (HoldId id : d.finished_gone) erase(&s->finished_holds, id, finished_id);
  for (SpendId id : d.spends_gone) erase(&s->spends, id, spend_id);
  for (const PurchaseRecord& p : d.purchases_put) put(&s->purchases, p, purchase_id);
  for (const IdempotencyRecord& r : d.idempotency_put) put(&s->idempotency, r, key);
}

}  // namespace tally
