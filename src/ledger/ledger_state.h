// The whole state of a ledger as plain data: what a store persists and loads (issue 5), and
// what a test compares. Lists that the ledger keeps in time order (finished holds, spends,
// purchases, idempotency records) are in that order; the rest in id order.
#pragma once

#include <cstdint>
#include <vector>

#include "ledger/ledger.h"

namespace tally {

struct LedgerState {
  TimeUs now{INT64_MIN};
  uint64_t seq = 0;         // the last entry's seq
  uint64_t id_counter = 0;  // the last id handed out (without the shard bits)
  SystemBooks books;
  std::vector<Account> accounts;  // in opening order, each with its lots and subscription
  std::vector<Hold> holds;        // open holds, by id
  std::vector<std::pair<HoldId, FinishedHold>> finished_holds;  // in the order they finished
  std::vector<Spend> spends;                                    // in the order they were made
  std::vector<PurchaseRecord> purchases;                        // in the order they were made
  std::vector<IdempotencyRecord> idempotency;                   // in the order they ran
};

}  // namespace tally
