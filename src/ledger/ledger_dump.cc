// dump_state(): every field of a LedgerState as canonical text (ledger_state.h).
#include <algorithm>
#include <map>

#include "ledger/describe.h"
#include "ledger/ledger_state.h"
#include "ledger/text.h"

namespace tally {
namespace {

std::string c(Credits x) {
  return format_credits(x);
}
std::string t(TimeUs x) {
  return x.us == INT64_MIN ? "-" : format_time(x);
}

std::string portions(const Portions& ps) {
  std::string out;
  for (const Portion& p : ps) {
    out += cat(" [lot ", p.lot.value, " ", c(p.amount), " exp ", t(p.expires_at), " refunded ",
               c(p.refunded), "]");
  }
  return out;
}

std::string lot_text(const Lot& l) {
  std::string scope;
  for (const std::string& tool : l.scope) scope += cat(tool, ",");
  return cat("  lot ", l.id.value, " ", source_name(l.source), l.voided ? " voided" : "",
             l.plan_credit ? " plan" : "", " amount ", c(l.amount), " remaining ", c(l.remaining),
             " held ", c(l.held), " consumed ", c(l.consumed), " expired ", c(l.expired),
             " voided ", c(l.voided_amount), " restored ", c(l.restored), " granted ",
             t(l.granted_at), " effective ", t(l.effective_at), " expires ", t(l.expires_at),
             " scope ", scope, " cost ", currency_code(l.cost_basis.currency), " ",
             l.cost_basis.paid_minor, " ref '", l.reference, "' reason '", l.reason, "' refs ",
             l.refs, " notice ", t(l.notice_at), l.noticed ? " noticed" : "", "\n");
}

const char* yes_no(bool b) {
  return b ? "yes" : "no";
}

std::string account_text(const Account& a) {
  std::string out = cat("account ", a.id, " balance ", c(a.balance), " held ", c(a.held),
                        " open_holds ", a.open_holds, " signup_granted ", yes_no(a.signup_granted),
                        " last_reward_day ", t(a.last_reward_day), " alerts low ",
                        a.alerts.low_balance ? c(*a.alerts.low_balance) : "-", " notice ",
                        a.alerts.expiring_notice_us ? cat(*a.alerts.expiring_notice_us) : "-",
                        " armed ", yes_no(a.low_armed), "/", yes_no(a.depleted_armed), "\n");
  if (a.auto_topup) {
    const AutoTopup& u = *a.auto_topup;
    out += cat("  auto_topup below ", c(u.settings.below), " pack ", u.settings.pack, " ",
               u.settings.currency, " region ", u.settings.region, " armed ", yes_no(u.armed),
               " pending ", u.pending, " until ", t(u.pending_until), " failures ", u.failures,
               " retry_at ", t(u.retry_at), "\n");
  }
  if (a.team) {
    for (const Member& m : a.team->members) {
      out += cat("  member ", m.user, " ", role_name(m.role), " since ", t(m.added_at), "\n");
    }
    for (const Budget& b : a.team->budgets) {
      out += cat("  budget ", b.spec.id, " member '", b.spec.member, "' project '", b.spec.project,
                 "' limit ", c(b.spec.limit), " ", budget_period_name(b.spec.period), " anchor ",
                 t(b.spec.anchor), " ", budget_mode_name(b.spec.mode), " created ", t(b.created_at),
                 " period ", b.period_index, " ", t(b.period_start), "..", t(b.period_end),
                 " from ", t(b.counting_from), " first_debit ", b.first_debit, " used ", c(b.used),
                 b.crossed ? " crossed" : "",
                 b.spec.alert_at.is_zero() ? "" : cat(" alert_at ", c(b.spec.alert_at)),
                 b.reached ? " reached" : "", "\n");
    }
  }
  if (a.subscription) {
    const Subscription& s = *a.subscription;
    out += cat("  subscription ", s.plan, " past_due ", yes_no(s.past_due), " cancel ",
               yes_no(s.cancel_at_period_end), " anchor ", t(s.anchor), " period ", s.period, " ",
               t(s.period_start), "..", t(s.period_end), " allocation ", c(s.allocation),
               " allocated ", yes_no(s.allocated), " pending '", s.pending_plan, "' ",
               s.pending_allocation ? c(*s.pending_allocation) : "-", "\n");
  }
  // By id: the order of an account's lots is derived (consumption order), not state.
  std::vector<const Lot*> lots;
  for (const Lot& l : a.lots) lots.push_back(&l);
  std::sort(lots.begin(), lots.end(), [](const Lot* x, const Lot* y) { return x->id < y->id; });
  for (const Lot* l : lots) out += lot_text(*l);
  return out;
}

}  // namespace

std::string dump_state(const LedgerState& s) {
  std::string out = cat("now ", t(s.now), " seq ", s.seq, " ids ", s.id_counter, " events ",
                        s.event_seq, " audit ", s.audit_seq, "\n");
  for (size_t i = 0; i < k_source_count; ++i) {
    out += cat("issuance ", source_name(static_cast<Source>(i)), " ",
               format_book(s.books.issuance[i]), "\n");
  }
  std::map<std::string, BookMicro> consumption(s.books.consumption.begin(),
                                               s.books.consumption.end());
  for (const auto& [tool, v] : consumption) {
    if (v != 0) out += cat("consumption ", tool, " ", format_book(v), "\n");
  }
  out +=
      cat("expired ", format_book(s.books.expired), " voided ", format_book(s.books.voided), "\n");
  for (const Account& a : s.accounts) out += account_text(a);
  for (const Hold& h : s.holds) {
    out += cat("hold ", h.id.value, " account ", h.account, " ", c(h.amount), " tool ", h.tool,
               " version ", h.price_book_version, " ", t(h.created_at), "..", t(h.expires_at),
               portions(h.portions), h.member.empty() ? "" : cat(" member ", h.member),
               h.project.empty() ? "" : cat(" project ", h.project), "\n");
  }
  for (const auto& [id, f] : s.finished_holds) {
    out += cat("finished ", id.value, " ", hold_state_name(f.state), " ttl ", t(f.expires_at),
               " spend ", f.spend.value, " at ", t(f.ended_at), "\n");
  }
  for (const Spend& x : s.spends) {
    out += cat("spend ", x.id.value, " account ", x.account, " ", c(x.amount), " refunded ",
               c(x.refunded), " tool ", x.tool, " version ", x.price_book_version, " at ", t(x.at),
               " hold ", x.hold.value, portions(x.portions),
               x.member.empty() ? "" : cat(" member ", x.member, " counted ", t(x.counted_at)),
               x.project.empty() ? "" : cat(" project ", x.project),
               x.outcome == Outcome::none ? "" : cat(" outcome ", outcome_name(x.outcome)), "\n");
  }
  for (const PurchaseRecord& p : s.purchases) {
    out += cat("purchase ", p.id, " account ", p.account, " ref ", p.payment_ref, " at ", t(p.at),
               " voided ", yes_no(p.voided), " digest ", p.fingerprint.hi, ":", p.fingerprint.lo, " reply ",
               describe(Result{p.reply}), "\n");
  }
  for (const IdempotencyRecord& r : s.idempotency) {
    out += cat("key ", r.key, " at ", t(r.at), " digest ", r.fingerprint.hi, ":", r.fingerprint.lo,
               " ", describe(r.result), "\n");
  }
  return out;
}

}  // namespace tally
