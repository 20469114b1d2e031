// Entries folded into operations (history.h). The reasons matched here are the ones the ledger
// writes itself (ledger_time.cc, ledger_holds.cc, ledger_plans.cc); history_test.cc runs the
// real ledger, so a changed wording there fails it.
#include "ledger/history.h"

#include "ledger/text.h"

namespace tally {
namespace {

constexpr std::string_view k_lot_expired = "expired";                              // expire_lot
constexpr std::string_view k_timed_out = "released: hold passed its TTL";          // advance_to
constexpr std::string_view k_bonus_prefix = "bonus with pack ";                    // purchase
constexpr std::string_view k_captured_rest = "released: captured less than held";  // capture

// What an entry was written for; consecutive entries with equal keys are one operation.
enum class Family : uint8_t {
  hold,
  settle,
  spend,
  refund,
  plan,
  purchase,
  grant,
  expiry,
  void_lot,
  other
};

struct Key {
  Family family = Family::other;
  uint64_t id = 0;  // the hold's or the spend's id, 0 for the others
  TimeUs at;
  bool opens = false;  // always starts an operation of its own (a grant, a pack's purchase)
};

bool plan_credits(const Entry& e) {
  return e.source == Source::subscription || e.source == Source::rollover;
}

Key key_of(const Entry& e) {
  const uint64_t hold = e.hold.value, spend = e.spend.value;
  if (e.kind == EntryKind::hold) return {Family::hold, hold, e.at};
  if (e.kind == EntryKind::capture) return {Family::settle, hold, e.at};
  if (e.kind == EntryKind::spend) return {Family::spend, spend, e.at};
  // A refund (of a captured hold's spend too: it names both) and what it caused.
  if (e.kind == EntryKind::refund || spend != 0) return {Family::refund, spend, e.at};
  // A release, and the expire, grant or void of credits a release or capture gave back.
  if (hold != 0) return {Family::settle, hold, e.at};
  if (e.kind == EntryKind::expire && e.reason == k_lot_expired) return {Family::expiry, 0, e.at};
  if (e.kind == EntryKind::void_lot) return {Family::void_lot, 0, e.at};
  if (plan_credits(e)) return {Family::plan, 0, e.at};
  if (e.kind == EntryKind::grant && e.source == Source::purchase) {
    return {Family::purchase, 0, e.at, true};
  }
  if (e.kind == EntryKind::grant && e.source == Source::promo &&
      e.reason.starts_with(k_bonus_prefix)) {
    return {Family::purchase, 0, e.at};
  }
  if (e.kind == EntryKind::grant) return {Family::grant, 0, e.at, true};
  if (e.kind == EntryKind::expire) return {Family::expiry, 0, e.at};
  return {Family::other, 0, e.at, true};
}

// "1 credit", "12.5 credits".
std::string credits_text(Credits c) {
  return cat(format_credits(c), c == Credits::from_credits(1) ? " credit" : " credits");
}

std::string_view tool_of(std::span<const Entry> entries) {
  for (const Entry& e : entries) {
    if (!e.tool.empty()) return e.tool;
  }
  return "a job";
}

// What came back of a hold or spend, portion by portion: to the lots they left, into new
// refund lots (theirs had expired), or removed (theirs was voided).
struct Returned {
  Credits to_lots, new_lots, voided;
  Credits total() const { return to_lots + new_lots + voided; }
};

Returned returned_of(std::span<const Entry> entries) {
  Returned r;
  for (const Entry& e : entries) {
    if (e.kind == EntryKind::release || e.kind == EntryKind::refund) r.to_lots += e.amount;
    if (e.kind == EntryKind::grant) r.new_lots += e.amount;
    if (e.kind == EntryKind::void_lot) r.voided -= e.amount + e.held;
  }
  // A refund to a voided lot is written as a refund, then its void: it never reached the lot.
  r.to_lots -= r.voided;
  return r;
}

std::string returned_notes(const Returned& r) {
  std::string out;
  if (r.new_lots.is_positive()) {
    out += cat("; ", credits_text(r.new_lots), " as a new refund lot, their lot having expired");
  }
  if (r.voided.is_positive()) {
    out += cat("; ", credits_text(r.voided), " removed, their lot having been voided");
  }
  return out;
}

// The reason the caller gave: on the entries of `kind`, else (every portion's lot had expired)
// on the refund lot's grant, as "reason (lot N had expired)" (ledger_restore.cc).
std::string_view first_reason(std::span<const Entry> entries, EntryKind kind) {
  for (const Entry& e : entries) {
    if (e.kind == kind) return e.reason;
  }
  for (const Entry& e : entries) {
    if (e.kind != EntryKind::grant) continue;
    std::string_view r = e.reason;
    const size_t cut = r.rfind(" (lot ");
    if (cut != std::string_view::npos) r = r.substr(0, cut);
    return r == "returned" ? std::string_view{} : r;  // what it says when none was given
  }
  return {};
}

void fold_settle(std::span<const Entry> entries, Operation& op) {
  const Credits held_total = -op.held;
  const Returned back = returned_of(entries);
  Credits used;
  for (const Entry& e : entries) {
    if (e.kind == EntryKind::capture) used -= e.held;
  }
  const std::string_view tool = tool_of(entries);
  const std::string_view reason = first_reason(entries, EntryKind::release);
  // A capture of 0 writes no capture entry: its release names the capture.
  if (!used.is_zero() || reason == k_captured_rest) {
    op.kind = OperationKind::capture;
    op.credits = used;
    op.summary = used == held_total
                     ? cat("Used ", credits_text(used), " for ", tool)
                     : cat("Used ", format_credits(used), " of the ", credits_text(held_total),
                           " held for ", tool, "; ", format_credits(back.total()), " came back");
    op.summary += returned_notes(back);
    return;
  }
  op.kind = OperationKind::release;
  op.credits = held_total;
  std::string why = reason.empty()          ? std::string("the job failed or was cancelled")
                    : reason == k_timed_out ? std::string("the job did not finish in time")
                                            : std::string(reason);
  op.summary = cat("Returned ", credits_text(held_total), " held for ", tool, ": ", why,
                   returned_notes(back));
}

void fold_refund(std::span<const Entry> entries, Operation& op) {
  const Returned back = returned_of(entries);
  op.credits = back.total();
  const std::string_view reason = first_reason(entries, EntryKind::refund);
  op.summary = cat("Refunded ", credits_text(back.total()), " used by ", tool_of(entries),
                   reason.empty() ? "" : ": ", reason, returned_notes(back));
}

void fold_plan(std::span<const Entry> entries, Operation& op) {
  Credits added, rolled, expired;
  std::string_view allocation;
  for (const Entry& e : entries) {
    if (e.kind == EntryKind::grant && e.source == Source::subscription) {
      added += e.amount;
      allocation = e.reason;
    } else if (e.kind == EntryKind::grant) {
      rolled += e.amount;  // the rollover lot
    } else {
      expired -= e.amount + e.held;  // plan credits leaving: carried or expired
    }
  }
  expired -= rolled;  // the carried ones were written as expiries of their old lots
  op.credits = added;
  if (rolled.is_zero() && expired.is_zero()) {
    op.kind = OperationKind::grant;
    op.summary = cat("Added ", credits_text(added), " (subscription)",
                     allocation.empty() ? "" : ": ", allocation);
    return;
  }
  op.kind = OperationKind::renewal;
  op.summary = cat("New plan period: ", credits_text(added), " added");
  if (!allocation.empty()) op.summary += cat(" (", allocation, ")");
  if (rolled.is_positive()) op.summary += cat(", ", format_credits(rolled), " rolled over");
  if (expired.is_positive()) op.summary += cat(", ", format_credits(expired), " expired");
}

void fold_purchase(std::span<const Entry> entries, Operation& op) {
  Credits bought, bonus;
  std::string_view pack;
  for (const Entry& e : entries) {
    if (e.source == Source::purchase) {
      bought += e.amount;
      pack = e.reason;
    } else {
      bonus += e.amount;
    }
  }
  op.credits = bought + bonus;
  op.summary =
      cat("Bought ", credits_text(bought), pack.empty() ? "" : " (", pack, pack.empty() ? "" : ")");
  if (bonus.is_positive()) op.summary += cat(", plus a bonus of ", credits_text(bonus));
}

void fold_expiry(std::span<const Entry> entries, Operation& op) {
  op.credits = -(op.amount + op.held);
  if (entries.size() == 1) {
    op.summary = cat(format_credits(op.credits), " ", source_name(entries[0].source),
                     op.credits == Credits::from_credits(1) ? " credit" : " credits", " expired");
  } else {
    op.summary = cat(credits_text(op.credits), " expired from ", entries.size(), " lots");
  }
}

}  // namespace

std::string_view operation_kind_name(OperationKind k) {
  switch (k) {
    case OperationKind::grant:
      return "grant";
    case OperationKind::purchase:
      return "purchase";
    case OperationKind::hold:
      return "hold";
    case OperationKind::capture:
      return "capture";
    case OperationKind::release:
      return "release";
    case OperationKind::spend:
      return "spend";
    case OperationKind::refund:
      return "refund";
    case OperationKind::expiry:
      return "expiry";
    case OperationKind::renewal:
      return "renewal";
    case OperationKind::void_lot:
      return "void";
    case OperationKind::other:
      return "other";
  }
  return "other";
}

bool continues_operation(const Entry& first, const Entry& e) {
  const Key a = key_of(first), b = key_of(e);
  return !b.opens && a.family == b.family && a.id == b.id && a.at == b.at;
}

Operation fold_operation(std::span<const Entry> entries) {
  TALLY_CHECK(!entries.empty());
  Operation op;
  for (const Entry& e : entries) {
    op.amount += e.amount;
    op.held += e.held;
  }
  op.balance_after = entries.back().balance_after;
  const Entry& first = entries.front();
  switch (key_of(first).family) {
    case Family::hold:
      op.kind = OperationKind::hold;
      op.credits = op.held;
      op.summary = cat("Held ", credits_text(op.held), " for ", tool_of(entries));
      break;
    case Family::settle:
      fold_settle(entries, op);
      break;
    case Family::spend:
      op.kind = OperationKind::spend;
      op.credits = -op.amount;
      op.summary = cat("Used ", credits_text(op.credits), " for ", tool_of(entries));
      break;
    case Family::refund:
      op.kind = OperationKind::refund;
      fold_refund(entries, op);
      break;
    case Family::plan:
      fold_plan(entries, op);
      break;
    case Family::purchase:
      op.kind = OperationKind::purchase;
      fold_purchase(entries, op);
      break;
    case Family::grant:
      op.kind = OperationKind::grant;
      op.credits = op.amount;
      op.summary = cat("Added ", credits_text(op.amount), " (", source_name(first.source), ")",
                       first.reason.empty() ? "" : ": ", first.reason);
      break;
    case Family::expiry:
      op.kind = OperationKind::expiry;
      fold_expiry(entries, op);
      break;
    case Family::void_lot:
      op.kind = OperationKind::void_lot;
      op.credits = -(op.amount + op.held);
      op.summary =
          cat("Removed ", credits_text(op.credits), first.reason.empty() ? "" : ": ", first.reason);
      break;
    case Family::other:
      op.kind = OperationKind::other;
      op.credits = op.amount;
      op.summary = cat(entry_kind_name(first.kind), " ", credits_text(op.amount));
      break;
  }
  return op;
}

std::vector<OperationSpan> group_operations(std::span<const Entry> entries) {
  std::vector<OperationSpan> out;
  for (size_t i = 0; i < entries.size(); ++i) {
    if (!out.empty() && continues_operation(entries[out.back().first], entries[i])) {
      ++out.back().count;
    } else {
      out.push_back({i, 1});
    }
  }
  return out;
}

}  // namespace tally
