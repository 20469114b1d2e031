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
};
std::string_view error_code_name(ErrorCode c);
// The highest ErrorCode value (keep it the last enumerator): decoders check against it.
inline constexpr uint8_t k_error_code_last = static_cast<uint8_t>(ErrorCode::reward_unavailable);

struct LedgerError {
  ErrorCode code = ErrorCode::invalid_request;
  std::string detail;  // for people: names the field and what is valid
  Credits shortfall;   // insufficient_credits only
  friend bool operator==(const LedgerError&, const LedgerError&) = default;
};

inline LedgerError make_error(ErrorCode code, std::string detail) {
  return {code, std::move(detail), {}};
}

}  // namespace tally
