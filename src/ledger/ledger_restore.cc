// Credits coming back: releases and refunds to the lots they came from, refund lots for the
// parts whose lot expired (DESIGN rule 3), and voids (charge-backs).
#include <algorithm>
#include <numeric>

#include "ledger/check.h"
#include "ledger/ledger.h"
#include "ledger/text.h"

namespace tally {
namespace {

// The cost basis of `part` of a lot, prorated and rounded down to a minor unit.
CostBasis prorate(const Lot& lot, Credits part) {
  CostBasis c = lot.cost_basis;
  if (c.paid_minor != 0) {
    __int128 paid = static_cast<__int128>(c.paid_minor) * part.micro / lot.amount.micro;
    c.paid_minor = static_cast<int64_t>(paid);
  }
  return c;
}

}  // namespace

Lot* Ledger::mergeable_refund_lot(uint32_t account, const Lot& origin, TimeUs now) {
  const TimeUs expires = add_us(now, config_.refund_grace_us);
  const std::string reference = cat("lot:", origin.id.value);
  for (Lot& l : accounts_[account].lots) {
    if (l.source == Source::refund && !l.voided && l.granted_at == now && l.expires_at == expires &&
        l.reference == reference) {
      return &l;
    }
  }
  return nullptr;
}

LotId Ledger::refund_lot(uint32_t account, const Lot& origin, Credits amount, Book counter,
                         const Posting& base, TimeUs now, std::vector<Entry>* out) {
  const std::string& reason = *base.reason;
  // Credits of one origin coming back at one instant share one refund lot.
  if (Lot* same = mergeable_refund_lot(account, origin, now)) {
    same->amount += amount;
    same->cost_basis.paid_minor += prorate(origin, amount).paid_minor;
    const LotId id = same->id;
    const std::string why = same->reason;
    Posting grant = base;
    grant.kind = EntryKind::grant;
    grant.counter = counter;
    grant.amount = amount;
    grant.reason = &why;
    post(account, id, grant, now, out);
    return id;
  }
  Lot lot;
  lot.source = Source::refund;
  lot.amount = amount;
  lot.granted_at = now;
  lot.effective_at = now;
  lot.expires_at = add_us(now, config_.refund_grace_us);
  lot.scope = origin.scope;
  lot.cost_basis = prorate(origin, amount);
  lot.reference = cat("lot:", origin.id.value);
  // The history says why the credits came back and why into a new lot.
  const std::string why =
      cat(reason.empty() ? "returned" : reason, " (lot ", origin.id.value, " had expired)");
  lot.reason = why;
  Posting grant = base;
  grant.counter = counter;
  grant.reason = &why;
  return create_lot(account, std::move(lot), grant, now, out);
}

Restored Ledger::restore(uint32_t account, const Portions& portions, bool from_held,
                         const std::string& tool, HoldId hold, SpendId spend,
                         const std::string& reason, TimeUs now, std::vector<Entry>* out) {
  Restored r;
  // A team account's entries name the member and project of the hold (release) or spend
  // (refund) whose credits come back; both are still known here.
  const std::string* member = nullptr;
  const std::string* project = nullptr;
  if (auto h = holds_.find(hold); hold.value != 0 && h != holds_.end()) {
    member = &h->second.member;
    project = &h->second.project;
  } else if (auto s = spends_.find(spend); spend.value != 0 && s != spends_.end()) {
    member = &s->second.member;
    project = &s->second.project;
  }
  for (const Portion& p : portions) {
    const Credits a = p.amount;
    if (a.is_zero()) continue;
    Lot* lot = lot_in(account, p.lot);
    TALLY_CHECK(lot != nullptr);  // held credits or a retained spend keep their lot
    const Posting base{.hold = hold,
                       .spend = spend,
                       .tool = &tool,
                       .reason = &reason,
                       .member = member,
                       .project = project};
    if (lot->voided) {
      // The lot's payment was charged back: what comes back to it is voided.
      if (!from_held) {
        Posting back = base;
        back.kind = EntryKind::refund;
        back.counter = Book::consumption;
        back.amount = a;
        post(account, p.lot, back, now, out);
      }
      Posting v = base;
      v.kind = EntryKind::void_lot;
      v.counter = Book::voided;
      (from_held ? v.held : v.amount) = -a;
      post(account, p.lot, v, now, out);
      r.voided += a;
    } else if (lot->is_expired_at(now)) {
      // Nothing is lost to errors: a new refund lot valid for the grace period.
      Book counter = Book::consumption;
      if (from_held) {
        static const std::string k_expired_held = "lot expired while held";
        Posting x = base;
        x.kind = EntryKind::expire;
        x.counter = Book::expired;
        x.held = -a;
        x.reason = &k_expired_held;
        post(account, p.lot, x, now, out);
        counter = Book::expired;
      }
      const Lot origin = *lot;  // refund_lot inserts into the lots vector
      const LotId to = refund_lot(account, origin, a, counter, base, now, out);
      if (std::find(r.refund_lots.begin(), r.refund_lots.end(), to) == r.refund_lots.end()) {
        r.refund_lots.push_back(to);
      }
      r.to_refund_lots += a;
    } else {
      Posting back = base;
      back.kind = from_held ? EntryKind::release : EntryKind::refund;
      back.counter = from_held ? Book::none : Book::consumption;
      back.amount = a;
      if (from_held) back.held = -a;
      post(account, p.lot, back, now, out);
      r.to_lots += a;
    }
    maybe_drop_lot(account, p.lot);
  }
  return r;
}

Result Ledger::refund(const Refund& c, TimeUs now, std::vector<Entry>* out) {
  if (auto e = check_text("reason", c.reason, config_.reason_length_max, false)) {
    return std::unexpected(*e);
  }
  auto it = spends_.find(c.spend);
  // A spend the store lent back (Ledger::lend_spend) may be past its retention.
  if (it == spends_.end() || add_us(it->second.at, config_.spend_retention_us) <= now) {
    return std::unexpected(
        make_error(ErrorCode::not_found,
                   cat("no refundable spend ", c.spend.value, " (spends stay refundable for ",
                       config_.spend_retention_us / k_us_per_day, " days)")));
  }
  Spend& s = it->second;
  const Credits refundable = s.amount - s.refunded;
  if (c.amount && !c.amount->is_positive()) {
    return std::unexpected(make_error(ErrorCode::invalid_request, "refund amount must be > 0"));
  }
  const Credits amount = c.amount.value_or(refundable);
  if (amount > refundable || amount.is_zero()) {
    return std::unexpected(make_error(
        ErrorCode::refund_exceeds_spend,
        cat("refund of ", format_credits(amount), " exceeds the ", format_credits(refundable),
            " refundable of spend ", s.id.value, " (", format_credits(s.amount), " spent, ",
            format_credits(s.refunded), " refunded)")));
  }
  // Rule 3: restore the latest-expiring portions first; among equals, the last consumed.
  std::vector<size_t> order(s.portions.size());
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) {
    if (s.portions[a].expires_at != s.portions[b].expires_at) {
      return s.portions[a].expires_at > s.portions[b].expires_at;
    }
    return a > b;
  });
  Portions back;
  std::vector<size_t> taken;
  Credits left = amount;
  size_t new_lots = 0;  // refund lots this refund would add
  for (size_t i : order) {
    const Portion& p = s.portions[i];
    Credits take = min(left, p.amount - p.refunded);
    if (!take.is_positive()) continue;
    left -= take;
    back.push_back({p.lot, take, p.expires_at, {}});
    taken.push_back(i);
    const Lot* lot = lot_in(s.account, p.lot);
    if (!lot->voided && lot->is_expired_at(now) && !mergeable_refund_lot(s.account, *lot, now)) {
      ++new_lots;
    }
    if (left.is_zero()) break;
  }
  TALLY_CHECK(left.is_zero());
  // Refund lots count against the account's bound: a refund split into many small ones cannot
  // grow an account without limit. Refused, nothing changes; the refund can be retried later.
  if (new_lots > 0) {
    if (auto e = check_lots(accounts_[s.account], new_lots)) return std::unexpected(*e);
  }
  for (size_t k = 0; k < taken.size(); ++k) s.portions[taken[k]].refunded += back[k].amount;
  s.refunded += amount;
  if (tracking()) changes_.spends_put.push_back(s.id);
  Restored restored =
      restore(s.account, back, /*from_held=*/false, s.tool, s.hold, s.id, c.reason, now, out);
  emit(EventType::refund_created, s.account, now, amount, s.id.value, TimeUs::never(), s.tool);
  uncount_budgets(s.account, s.member, s.project, amount, s.hold.value != 0 ? s.hold.value : s.id.value,
                  s.counted_at, now);
  return RefundReply{s.id, amount, s.refunded, std::move(restored)};
}

Result Ledger::void_lot(const VoidLot& c, TimeUs now, std::vector<Entry>* out) {
  if (auto e = check_text("reason", c.reason, config_.reason_length_max, false)) {
    return std::unexpected(*e);
  }
  auto it = lot_account_.find(c.lot);
  if (it == lot_account_.end()) {
    return std::unexpected(
        make_error(ErrorCode::not_found, cat("no open lot ", c.lot.value,
                                             " (a fully spent and settled lot has nothing left"
                                             " to void)")));
  }
  const uint32_t account = it->second;
  if (lot_in(account, c.lot)->voided) {
    return std::unexpected(
        make_error(ErrorCode::lot_voided, cat("lot ", c.lot.value, " is already voided")));
  }
  return void_open_lot(account, c.lot, c.reason, now, out);
}

VoidReply Ledger::void_open_lot(uint32_t account, LotId id, const std::string& reason, TimeUs now,
                                std::vector<Entry>* out) {
  Lot* lot = lot_in(account, id);
  TALLY_CHECK(lot != nullptr && !lot->voided);
  const Credits voided = lot->remaining;
  if (voided.is_positive()) {
    post(account, id,
         {.kind = EntryKind::void_lot,
          .counter = Book::voided,
          .amount = -voided,
          .reason = &reason},
         now, out);
    lot = lot_in(account, id);
  }
  lot->voided = true;
  touch_lot(account, id);
  if (!lot->expires_at.is_never()) lot_expiries_.erase({lot->expires_at, lot->id});
  VoidReply reply{id, voided, lot->consumed - lot->restored, lot->held, lot->expired};
  maybe_drop_lot(account, id);
  return reply;
}

}  // namespace tally
