// Events: what the ledger tells the world happened (issue 18, docs/events.md). The ledger
// produces them as part of the command (or the time-driven work) that causes them, and they
// travel in the same StateDelta as the command's rows: an event is durable exactly when its
// change is, and a refused or retried request produces none.
//
// Plain data. Each event has a per-shard sequence number (from 1, no gaps, like entries); its
// public id is the shard in the top 16 bits and the sequence below (EventId), so an id names
// the shard that holds it and orders the events of one account.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "catalog/catalog.h"
#include "ledger/credits.h"
#include "ledger/time.h"
#include "ledger/types.h"

namespace tally {

enum class EventType : uint8_t {
  balance_low = 0,           // available fell below the alert threshold (once per crossing)
  balance_depleted = 1,      // available reached zero (once per crossing)
  credits_expiring = 2,      // a lot with credits remaining expires within the notice (once)
  credits_expired = 3,       // a lot's remainder was written off at its expiry
  hold_timed_out = 4,        // an open hold passed its TTL and was released
  subscription_renewed = 5,  // a new period began
  subscription_past_due = 6,
  purchase_completed = 7,
  purchase_voided = 8,
  refund_created = 9,
  auto_topup_requested = 10,      // available fell below the auto top-up threshold
  budget_threshold_reached = 11,  // a debit took a budget's usage to its alert_at (once a period)
  budget_exceeded = 12,           // a debit took a soft budget's usage past its limit (likewise)
};
inline constexpr uint8_t k_event_type_count = 13;
// "balance.low", "credits.expiring", ... (the names of docs/events.md).
std::string_view event_type_name(EventType t);
std::optional<EventType> parse_event_type(std::string_view name);

// The public id of event `seq` of `shard`.
inline uint64_t event_id(ShardId shard, uint64_t seq) {
  return (static_cast<uint64_t>(shard) << k_id_shard_shift) | seq;
}

// One event. What each field means depends on the type (docs/events.md):
//   balance.low        amount = available, threshold = the threshold
//   balance.depleted   amount = available (0)
//   credits.expiring   ref = lot, amount = its remaining, when = its expiry
//   credits.expired    ref = lot, amount = written off
//   hold.timed_out     ref = hold, amount = released
//   subscription.*     detail = plan, when = the period's end
//   purchase.*         ref = purchase, amount = credits granted (completed) or voided,
//                      detail = pack
//   refund.created     ref = spend, amount = refunded, detail = tool
//   auto_topup.requested  ref = the request, amount = the pack's credits, threshold = below,
//                      when = when it times out, detail = pack, price (and region) to charge
//   budget.threshold_reached  detail = budget, ref = the hold or spend that took usage there,
//                      amount = usage in the period, threshold = alert_at, when = period's end
//   budget.exceeded    as budget.threshold_reached, with threshold = the limit
struct Event {
  uint64_t seq = 0;  // per shard, from 1, no gaps
  TimeUs at;         // the ledger's time when it happened
  EventType type = EventType::balance_low;
  std::string account;
  Credits amount;
  Credits threshold;
  uint64_t ref = 0;
  TimeUs when;
  std::string detail;
  Money price;         // auto_topup.requested only
  std::string region;  // auto_topup.requested only
  friend bool operator==(const Event&, const Event&) = default;
};

}  // namespace tally
