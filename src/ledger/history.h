// History people can read (issue 19): an account's entries folded into operations.
//
// The journal writes one entry per lot portion, so one hold spread over ten lots is ten `hold`
// entries and its release ten `release` entries. An operation is what one command (or one
// instant of the ledger's own work: an expiry, a renewal, a hold's timeout) did to one
// account: a run of consecutive entries of that account, in seq order, that share what they
// did it for (the hold, the spend, the instant). Entries carry no command id; the rules below
// read the operation from the entries alone, so any page of entries can be grouped:
//
//   operation  its entries
//   hold       `hold` entries of one hold
//   capture    a hold's `capture` entries and the `release` of what was held but not used
//   release    a hold's `release` entries (asked for, or its TTL passed)
//   spend      `spend` entries of one spend
//   refund     `refund` entries of one spend
//   purchase   the pack's `purchase` grant and its bonus grant ("bonus with pack …")
//   renewal    at a plan period's end: its plan credits expiring or rolled over, the rollover
//              lot and the new period's allocation
//   grant      any other grant (a first allocation, signup, reward, promo, admin)
//   expiry     lots expiring at one instant
//   void       lots voided at one instant (a charge-back)
//
// Within a hold's capture or release, a refund and a void, credits whose lot had expired come
// back as a new refund lot (DESIGN rule 3): that `expire` and `grant` are part of the
// operation too, as is a `void` of credits returned to a voided lot. Every entry belongs to
// exactly one operation. Pure; callable from any thread.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "ledger/entry.h"

namespace tally {

enum class OperationKind : uint8_t {
  grant = 0,
  purchase = 1,
  hold = 2,
  capture = 3,
  release = 4,
  spend = 5,
  refund = 6,
  expiry = 7,
  renewal = 8,
  void_lot = 9,  // named "void" outside C++
  other = 10,    // an entry kind these rules do not know: its own operation
};
std::string_view operation_kind_name(OperationKind k);

// Whether `e` continues the operation that `first` (its first entry) opened. Both are
// entries of one account, `e` the next after the operation's last one in seq order.
bool continues_operation(const Entry& first, const Entry& e);

struct Operation {
  OperationKind kind = OperationKind::other;
  Credits amount;         // change of the account's available credits (sum of the entries)
  Credits held;           // change of its held credits
  Credits credits;        // the figure the summary leads with (held, used, returned, added…)
  Credits balance_after;  // the last entry's
  std::string summary;    // one line a person reads: "Held 12 credits for video"
};

// Folds the entries of one operation (non-empty, as continues_operation grouped them).
Operation fold_operation(std::span<const Entry> entries);

// The operations of consecutive entries of one account: each as [first, first + count).
struct OperationSpan {
  size_t first = 0;
  size_t count = 0;
};
std::vector<OperationSpan> group_operations(std::span<const Entry> entries);

}  // namespace tally
