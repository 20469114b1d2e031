#include "ledger/describe.h"

#include "ledger/text.h"

namespace tally {
namespace {

std::string c(Credits x) {
  return format_credits(x);
}
std::string t(TimeUs x) {
  return format_time(x);
}

std::string portions(const Portions& ps) {
  std::string out;
  for (const Portion& p : ps)
    out += cat(out.empty() ? "" : " ", "lot ", p.lot.value, ":", c(p.amount));
  return out.empty() ? "none" : out;
}

std::string restored(const Restored& r) {
  std::string out = cat("to lots ", c(r.to_lots));
  if (r.to_refund_lots.is_positive()) out += cat(", to refund lots ", c(r.to_refund_lots));
  for (LotId id : r.refund_lots) out += cat(" (lot ", id.value, ")");
  if (r.voided.is_positive()) out += cat(", voided ", c(r.voided));
  return out;
}

struct Describe {
  std::string operator()(const OpenAccountReply& r) {
    std::string out = cat("account ", r.account);
    if (!r.plan.empty()) out += cat(" on plan ", r.plan);
    if (r.signup_lot.is_set()) out += cat(", signup lot ", r.signup_lot.value);
    if (r.allocation_lot.is_set()) out += cat(", allocation lot ", r.allocation_lot.value);
    return out;
  }
  std::string operator()(const GrantReply& r) {
    return cat("lot ", r.lot.value, ": ", c(r.amount), ", effective ", t(r.effective_at),
               ", expires ", t(r.expires_at));
  }
  std::string operator()(const HoldReply& r) {
    return cat("hold ", r.hold.value, ": ", c(r.amount), " until ", t(r.expires_at), " from ",
               portions(r.portions));
  }
  std::string operator()(const CaptureReply& r) {
    return cat("spend ", r.spend.value, ": captured ", c(r.captured), " from ",
               portions(r.portions), "; released ", c(r.released), " (", restored(r.restored), ")");
  }
  std::string operator()(const ReleaseReply& r) {
    return cat("released ", c(r.released), " (", restored(r.restored), ")");
  }
  std::string operator()(const SpendReply& r) {
    return cat("spend ", r.spend.value, ": ", c(r.amount), " from ", portions(r.portions));
  }
  std::string operator()(const RefundReply& r) {
    return cat("refunded ", c(r.refunded), " (", c(r.refunded_total), " in all; ",
               restored(r.restored), ")");
  }
  std::string operator()(const VoidReply& r) {
    return cat("lot ", r.lot.value, ": voided ", c(r.voided), "; already consumed ", c(r.consumed),
               ", held ", c(r.held), ", expired ", c(r.expired));
  }
  std::string operator()(const NoChangeReply&) { return "nothing changed"; }
  std::string operator()(const AlertsReply& r) {
    return cat("alerts of ", r.account, ": low balance ",
               r.alerts.low_balance ? c(*r.alerts.low_balance) : "the plan's", ", expiring notice ",
               r.alerts.expiring_notice_us ? cat(*r.alerts.expiring_notice_us / 1'000'000, " s")
                                           : "the plan's");
  }
  std::string operator()(const AutoTopupReply& r) {
    if (!r.auto_topup) return cat("auto top-up of ", r.account, ": off");
    const AutoTopup& u = *r.auto_topup;
    return cat("auto top-up of ", r.account, ": pack ", u.settings.pack, " in ",
               u.settings.currency, " below ", c(u.settings.below),
               u.pending != 0 ? cat(", request ", u.pending, " until ", t(u.pending_until)) : "",
               u.failures > 0 ? cat(", ", u.failures, " failed, again at ", t(u.retry_at)) : "");
  }
  std::string operator()(const AdvanceReply& r) {
    return cat("now ", t(r.now), ": ", r.renewals, " renewals, ", r.lots_expired, " lots expired, ",
               r.holds_expired, " holds timed out");
  }
  std::string operator()(const SubscriptionReply& r) {
    std::string out = cat(r.plan, " (", r.state, ") ", t(r.period_start), " to ", t(r.period_end),
                          ", allocation ", c(r.allocation));
    if (!r.pending_plan.empty()) out += cat(", then ", r.pending_plan);
    if (r.allocation_lot.is_set()) out += cat(", allocation lot ", r.allocation_lot.value);
    if (r.rollover_lot.is_set()) out += cat(", rollover lot ", r.rollover_lot.value);
    if (r.signup_lot.is_set()) out += cat(", signup lot ", r.signup_lot.value);
    return out;
  }
  std::string operator()(const RewardReply& r) {
    std::string out =
        cat("lot ", r.lot.value, ": reward ", c(r.amount), ", expires ", t(r.expires_at));
    if (!r.season.empty()) out += cat(" (season ", r.season, ")");
    return out;
  }
  std::string operator()(const PurchaseReply& r) {
    std::string out =
        cat("purchase ", r.purchase, ": pack ", r.pack, " for ", format_money(r.price), ", lot ",
            r.lot.value, ": ", c(r.credits), ", expires ", t(r.expires_at));
    if (r.bonus_lot.is_set()) out += cat(", bonus lot ", r.bonus_lot.value, ": ", c(r.bonus));
    return out;
  }
  std::string operator()(const VoidPurchaseReply& r) {
    return cat("purchase ", r.purchase, ": voided ", c(r.voided), "; already consumed ",
               c(r.consumed), ", held ", c(r.held), ", expired ", c(r.expired));
  }
  std::string operator()(const MemberReply& r) {
    return cat("member ", r.member.user, " of ", r.account, ": ", role_name(r.member.role));
  }
  std::string operator()(const OutcomeReply& r) {
    return cat("spend ", r.spend.value, ": ", outcome_name(r.outcome),
               r.changed ? "" : " (already)");
  }
  std::string operator()(const BudgetReply& r) {
    const Budget& b = r.budget;
    return cat("budget ", b.spec.id, " of ", r.account, ": ", c(b.used), " of ", c(b.spec.limit),
               " used (", budget_mode_name(b.spec.mode), ", ", budget_period_name(b.spec.period),
               " from ", t(b.period_start), ")");
  }
};

}  // namespace

std::string describe(const Result& r) {
  if (!r) {
    std::string out = cat("error ", error_code_name(r.error().code), ": ", r.error().detail);
    if (r.error().shortfall.is_positive()) out += cat(" (shortfall ", c(r.error().shortfall), ")");
    if (r.error().code == ErrorCode::budget_exceeded) {
      const BudgetRefusal& b = r.error().budget;
      out += cat(" [budget ", b.budget, " limit ", c(b.limit), " used ", c(b.used), " left ",
                 c(b.left), "]");
    }
    return out;
  }
  return cat("ok: ", std::visit(Describe{}, *r));
}

std::string describe(const Entry& e) {
  std::string out = cat("#", e.seq, " ", t(e.at), " ", entry_kind_name(e.kind), " ", e.account,
                        " lot ", e.lot.value, " (", source_name(e.source), ") ");
  out += cat(e.amount.is_negative() ? "" : "+", c(e.amount));
  if (!e.held.is_zero()) out += cat(" held ", e.held.is_negative() ? "" : "+", c(e.held));
  out += cat(" -> balance ", c(e.balance_after));
  if (!e.tool.empty()) out += cat(" tool ", e.tool);
  if (!e.reason.empty()) out += cat(" \"", e.reason, "\"");
  return out;
}

}  // namespace tally
