// Read-only views of the ledger and the invariant check of DESIGN rule 9.
#include <map>
#include <vector>

#include "ledger/ledger.h"
#include "ledger/lot_order.h"
#include "ledger/text.h"

namespace tally {

BalanceSummary Ledger::balance(const Account& a, TimeUs now) const {
  BalanceSummary b;
  b.held = a.held;
  for (const Lot& lot : a.lots) {
    if (!lot.remaining.is_positive() || lot.is_expired_at(now)) continue;
    if (lot.is_effective_at(now)) {
      b.available += lot.remaining;
    } else {
      b.pending += lot.remaining;
    }
    b.by_source[static_cast<size_t>(lot.source)] += lot.remaining;
    if (lot.expires_at < b.next_expiry) {
      b.next_expiry = lot.expires_at;
      b.next_expiry_amount = Credits{};
    }
    if (lot.expires_at == b.next_expiry && !lot.expires_at.is_never()) {
      b.next_expiry_amount += lot.remaining;
    }
  }
  b.total = b.available + b.pending + b.held;
  return b;
}

const Hold* Ledger::find_hold(HoldId id) const {
  auto it = holds_.find(id);
  return it == holds_.end() ? nullptr : &it->second;
}

std::optional<Ledger::HoldStatus> Ledger::hold_status(HoldId id) const {
  if (holds_.contains(id)) return HoldStatus{HoldState::active, {}};
  auto it = finished_.find(id);
  if (it == finished_.end()) return std::nullopt;
  return HoldStatus{it->second.state, it->second.spend};
}

const PurchaseRecord* Ledger::find_purchase(uint64_t id) const {
  auto it = purchases_.find(id);
  return it == purchases_.end() ? nullptr : &it->second;
}

const PurchaseRecord* Ledger::find_purchase_by_payment(std::string_view payment_ref) const {
  auto it = purchase_by_payment_.find(std::string(payment_ref));
  return it == purchase_by_payment_.end() ? nullptr : find_purchase(it->second);
}

const Spend* Ledger::find_spend(SpendId id) const {
  auto it = spends_.find(id);
  return it == spends_.end() ? nullptr : &it->second;
}

std::vector<std::string> Ledger::check_invariants() const {
  std::vector<std::string> bad;
  // What open holds and retained spends say each lot should carry.
  std::map<uint64_t, Credits> held_by_holds;
  std::map<uint64_t, uint32_t> refs_by_spends;
  std::vector<uint32_t> open_holds(accounts_.size());
  for (const auto& [id, h] : holds_) {
    ++open_holds[h.account];
    if (!hold_timeouts_.contains({h.expires_at, id})) {
      bad.push_back(cat("hold ", id.value, ": no timeout scheduled"));
    }
    Credits sum;
    for (const Portion& p : h.portions) {
      held_by_holds[p.lot.value] += p.amount;
      sum += p.amount;
    }
    if (sum != h.amount) bad.push_back(cat("hold ", id.value, " portions != amount"));
  }
  for (const auto& [id, s] : spends_) {
    Credits amount, refunded;
    for (const Portion& p : s.portions) {
      ++refs_by_spends[p.lot.value];
      amount += p.amount;
      refunded += p.refunded;
      if (p.refunded > p.amount) bad.push_back(cat("spend ", id.value, ": portion over-refunded"));
    }
    if (amount != s.amount || refunded != s.refunded || s.refunded > s.amount) {
      bad.push_back(cat("spend ", id.value, ": portions disagree with amount or refunded"));
    }
  }
  for (const auto& [id, p] : purchases_) {
    for (LotId lot : {p.reply.lot, p.reply.bonus_lot}) {
      if (lot.is_set()) ++refs_by_spends[lot.value];
    }
  }
  for (const auto& [at, id] : lot_expiries_) {
    if (!lot_account_.contains(id))
      bad.push_back(cat("expiry scheduled for unknown lot ", id.value));
  }
  if (hold_timeouts_.size() != holds_.size()) bad.push_back("hold timeouts != open holds");
  // Auto top-up: each outstanding request is known by its id and has its timeout scheduled,
  // each retry its timer, and nothing else is scheduled.
  size_t topup_timers = 0, topup_pending = 0;
  for (uint32_t i = 0; i < accounts_.size(); ++i) {
    const Account& a = accounts_[i];
    if (!a.auto_topup) continue;
    const AutoTopup& t = *a.auto_topup;
    if (t.pending != 0) {
      ++topup_pending;
      auto it = topup_pending_.find(t.pending);
      if (it == topup_pending_.end() || it->second != i) {
        bad.push_back(cat(a.id, ": auto top-up request ", t.pending, " not indexed"));
      }
    }
    const TimeUs due = t.pending != 0 ? t.pending_until : t.retry_at;
    if (due.is_never()) continue;
    ++topup_timers;
    if (!topup_timers_.contains({due, i})) bad.push_back(cat(a.id, ": auto top-up not scheduled"));
  }
  if (topup_timers != topup_timers_.size()) bad.push_back("auto top-up timers of no account");
  if (topup_pending != topup_pending_.size()) bad.push_back("auto top-up requests of no account");
  // Teams (rule 11): at least one owner, each user once; a budget's usage is never negative and
  // covers at least the open holds it counted (they are in it until they end). And counted again
  // from scratch, it is exactly its open holds and the spends counted in its current period, net
  // of their refunds: possible while every spend made since the period started is in memory
  // (older ones may be only in the store), which covers the periods of a short memory window
  // only. A hard budget's usage past its limit is not an invariant of the state alone: an
  // update may lower the limit below what was used (the budget then refuses every debit), so the
  // rule that no debit takes a hard budget past its limit is checked by the callers that see
  // each command (the simulator, the property test). The open holds and the spends are grouped
  // by team account in one pass, so each budget looks at its own account's only.
  const int64_t spends_kept_us = in_memory_us(config_.spend_retention_us);
  std::map<uint32_t, std::vector<const Hold*>> team_holds;
  for (const auto& [id, h] : holds_) {
    if (accounts_[h.account].team) team_holds[h.account].push_back(&h);
  }
  std::map<uint32_t, std::vector<const Spend*>> team_spends;
  for (const auto& [id, sp] : spends_) {
    if (accounts_[sp.account].team) team_spends[sp.account].push_back(&sp);
  }
  for (uint32_t i = 0; i < accounts_.size(); ++i) {
    const Account& a = accounts_[i];
    if (!a.team) continue;
    std::map<std::string_view, int> users;
    int owners = 0;
    for (const Member& m : a.team->members) {
      if (++users[m.user] > 1) bad.push_back(cat(a.id, ": member ", m.user, " twice"));
      owners += m.role == Role::owner ? 1 : 0;
    }
    if (owners == 0) bad.push_back(cat(a.id, ": a team account without an owner"));
    static const std::vector<const Hold*> k_none;
    auto it = team_holds.find(i);
    const std::vector<const Hold*>& held = it == team_holds.end() ? k_none : it->second;
    for (const Budget& b : a.team->budgets) {
      if (b.used.is_negative()) bad.push_back(cat(a.id, ": budget ", b.spec.id, " used < 0"));
      if (!b.in_period(now_)) continue;  // rolls at its next use
      Credits open;
      for (const Hold* h : held) {
        if (b.applies(h->member, h->project) && h->id.value >= b.first_debit &&
            h->created_at >= b.period_start) {
          open += h->amount;
        }
      }
      if (open > b.used) {
        bad.push_back(cat(a.id, ": budget ", b.spec.id, " used ", format_credits(b.used),
                          " < its open holds ", format_credits(open)));
      }
      if (add_us(b.counting_from, spends_kept_us) <= now_) continue;
      Credits counted = open;
      static const std::vector<const Spend*> k_no_spends;
      auto sp = team_spends.find(i);
      for (const Spend* s : sp == team_spends.end() ? k_no_spends : sp->second) {
        const uint64_t debit = s->hold.is_set() ? s->hold.value : s->id.value;
        if (b.applies(s->member, s->project) && debit >= b.first_debit &&
            s->counted_at >= b.period_start) {
          counted += s->amount - s->refunded;
        }
      }
      if (counted != b.used) {
        bad.push_back(cat(a.id, ": budget ", b.spec.id, " used ", format_credits(b.used),
                          " but its open holds and spends this period come to ",
                          format_credits(counted)));
      }
    }
  }
  __int128 total = 0;
  for (size_t i = 0; i < accounts_.size(); ++i) {
    const Account& a = accounts_[i];
    Credits balance, held;
    uint32_t with_credits = 0;
    if (open_holds[i] != a.open_holds) bad.push_back(cat(a.id, ": open_holds cache"));
    for (size_t j = 0; j < a.lots.size(); ++j) {
      const Lot& l = a.lots[j];
      const std::string name = cat(a.id, " lot ", l.id.value);
      if (l.remaining.is_negative() || l.held.is_negative() || l.consumed.is_negative() ||
          l.expired.is_negative() || l.voided_amount.is_negative() || l.restored.is_negative()) {
        bad.push_back(name + ": negative book");
      }
      if (l.amount !=
          l.remaining + l.held + l.consumed + l.expired + l.voided_amount - l.restored) {
        bad.push_back(name +
                      ": amount != remaining + held + consumed + expired + voided - restored");
      }
      if (l.restored > l.consumed) bad.push_back(name + ": restored more than consumed");
      if (l.held != held_by_holds[l.id.value]) bad.push_back(name + ": held != open hold portions");
      if (l.refs != refs_by_spends[l.id.value]) bad.push_back(name + ": refs != spend portions");
      if (l.remaining.is_positive() && l.is_expired_at(now_)) bad.push_back(name + ": unexpired");
      if (j > 0 && !consumes_before(a.lots[j - 1], l, config_)) bad.push_back(name + ": order");
      if (!l.voided && !l.expires_at.is_never() && l.expires_at > now_ &&
          !lot_expiries_.contains({l.expires_at, l.id})) {
        bad.push_back(name + ": no expiry scheduled");
      }
      if (!l.has_credits() && l.refs == 0) bad.push_back(name + ": kept");
      if (l.has_credits()) ++with_credits;
      auto owner = lot_account_.find(l.id);
      if (owner == lot_account_.end() || owner->second != i) bad.push_back(name + ": index");
      balance += l.remaining;
      held += l.held;
    }
    if (balance != a.balance) bad.push_back(cat(a.id, ": balance cache"));
    if (with_credits != a.lots_with_credits) bad.push_back(cat(a.id, ": lots_with_credits cache"));
    if (a.subscription &&
        (!renewals_.contains({a.subscription->period_end, static_cast<uint32_t>(i)}) ||
         a.subscription->period_end <= now_)) {
      bad.push_back(cat(a.id, ": subscription renewal not scheduled"));
    }
    if (held != a.held) bad.push_back(cat(a.id, ": held cache"));
    total += static_cast<__int128>(balance.micro) + held.micro;
  }
  // Issuance books only go down (credits issued), the others only up; a refund can never
  // take a tool's consumption below zero.
  for (BookMicro c : books_.issuance) {
    total += c;
    if (c > 0) bad.push_back("an issuance book is positive");
  }
  for (const auto& [tool, c] : books_.consumption) {
    total += c;
    if (c < 0) bad.push_back(cat("consumption of ", tool, " is negative"));
  }
  if (books_.expired < 0 || books_.voided < 0) bad.push_back("expired or voided book is negative");
  total += books_.expired;
  total += books_.voided;
  if (total != 0) bad.push_back("lots and system books do not sum to zero");
  return bad;
}

}  // namespace tally
