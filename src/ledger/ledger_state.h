// The whole state of a ledger as plain data: what a store persists and loads (issue 5), and
// what a test compares. Lists that the ledger keeps in time order (finished holds, spends,
// purchases, idempotency records) are in that order; the rest in id order.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "ledger/event.h"
#include "ledger/ledger.h"

namespace tally {

struct LedgerState {
  TimeUs now{INT64_MIN};
  uint64_t seq = 0;         // the last entry's seq
  uint64_t id_counter = 0;  // the last id handed out (without the shard bits)
  uint64_t event_seq = 0;   // the last event's seq
  uint64_t audit_seq = 0;   // the last audit line's seq
  SystemBooks books;
  std::vector<Account> accounts;  // in opening order, each with its lots and subscription
  std::vector<Hold> holds;        // open holds, by id
  std::vector<std::pair<HoldId, FinishedHold>> finished_holds;  // in the order they finished
  std::vector<Spend> spends;                                    // in the order they were made
  std::vector<PurchaseRecord> purchases;                        // in the order they were made
  std::vector<IdempotencyRecord> idempotency;                   // in the order they ran
};

// What a batch of commands changed: the rows a store writes in one transaction. Always the
// clock, counters and system books; then the accounts that changed (with their subscription),
// in opening order, each with only the lots that appeared or changed since the last delta
// (its other lots are unchanged), and the lots that left memory (`lots_gone`, from accounts in
// the delta); and per kind of record the ones that appeared or changed (`put`) and the ones that
// left memory (`gone`). Keys: apply `gone` before `put`, since a key can leave and come back in
// one batch. Lots, finished holds and spends: `put` before `gone`, since one can be lent back by
// the store and leave again in one batch (Ledger::lend_spend), or be made and leave in one. What
// leaves memory stays in a store: idempotency records for good, spends and finished holds for
// their retention at least, lots while a stored spend may need them.
struct StateDelta {
  TimeUs now{INT64_MIN};
  uint64_t seq = 0;
  uint64_t id_counter = 0;
  uint64_t event_seq = 0;     // the last event's seq
  uint64_t audit_seq = 0;     // the last audit line's seq
  SystemBooks books;
  std::vector<Event> events;  // produced since the last delta, seqs following the last one
  std::vector<Account> accounts;
  std::vector<uint32_t> account_indexes;  // each account's position in opening order
  std::vector<LotId> lots_gone;
  std::vector<Hold> holds_put;
  std::vector<HoldId> holds_gone;
  std::vector<std::pair<HoldId, FinishedHold>> finished_put;
  std::vector<HoldId> finished_gone;
  std::vector<Spend> spends_put;
  std::vector<SpendId> spends_gone;
  std::vector<PurchaseRecord> purchases_put;
  std::vector<uint64_t> purchases_gone;
  std::vector<IdempotencyRecord> idempotency_put;
  std::vector<std::string> idempotency_gone;
  std::vector<AuditLine> audit;  // the batch's changes, seqs following the last one
};

// Whether a delta changes anything beyond the clock, counters and books (an idle batch whose
// delta does not, and that made no entries, need not be committed).
bool has_changes(const StateDelta& delta);

// What a store does with a delta, on a state held in memory (the in-memory store and tests).
void apply_delta(LedgerState* state, const StateDelta& delta);

// Every field of a state as canonical text: two states are equal exactly when their dumps are.
std::string dump_state(const LedgerState& state);

}  // namespace tally
