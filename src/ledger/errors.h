// Expected outcomes that refuse a command: values, not exceptions (docs/design.md §8). Each code
// has a stable name that the HTTP API uses as its problem `type`.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "ledger/credits.h"

namespace tally {

enum class ErrorCode : uint8_t {
  invalid_request,       // malformed or out-of-range field; never remembered by idempotency
  not_found,             // no such account, lot, hold or spend
  account_exists,        // open of an existing account
  insufficient_credits,  // rule 1: refused whole; `shortfall` says how much is missing
  hold_expired,          // capture after the TTL released the hold (rule 2)
  hold_not_active,       // capture or release of a captured or released hold
  capture_exceeds_hold,  // capture of more than was held
  refund_exceeds_spend,  // refund of more than captured minus already refunded
  spend_not_refundable,  // spend past its retention window
  lot_voided,            // void of a lot already voided
  idempotency_conflict,  // same key, different command (rule 8)
  limit_exceeded,        // a bound on lots, holds or sizes
  not_subscribed,        // a subscription command for an account without a subscription
  already_claimed,       // a second daily reward in the same UTC day
  reward_unavailable,    // the account's plan has no daily reward (or none today)
  not_a_member,          // a debit on a team account by a user who is not a member
  forbidden,             // a member whose role does not allow it (a viewer's debit)
  budget_exceeded,       // rule 11: a hard budget refuses the debit whole; `budget` says which
  member_exists,         // a member added twice
  budget_exists,         // a budget id used twice
  outcome_conflict,      // a spend's outcome marked again differently (issue 19)
};
std::string_view error_code_name(ErrorCode c);
// The highest ErrorCode value (keep it the last enumerator): decoders check against it.
inline constexpr uint8_t k_error_code_last = static_cast<uint8_t>(ErrorCode::outcome_conflict);

// budget_exceeded: the budget that refused, where it stood and what the debit needed.
struct BudgetRefusal {
  std::string budget;
  Credits limit;
  Credits used;
  Credits left;  // limit - used (never below zero)
  friend bool operator==(const BudgetRefusal&, const BudgetRefusal&) = default;
};

struct LedgerError {
  ErrorCode code = ErrorCode::invalid_request;
  std::string detail;  // for people: names the field and what is valid
  Credits shortfall;   // insufficient_credits, and budget_exceeded: what the debit lacks
  BudgetRefusal budget;  // budget_exceeded only
  friend bool operator==(const LedgerError&, const LedgerError&) = default;
};

inline LedgerError make_error(ErrorCode code, std::string detail) {
  return {code, std::move(detail), {}, {}};
}

}  // namespace tally
