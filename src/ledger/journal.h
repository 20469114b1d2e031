// Pure functions over the journal: balances as of a past time, history pages, and verify
// (DESIGN rule 9: the journal alone recomputes every balance). The durable service feeds them
// entries from its store; tests feed them the entries the ledger produced.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "ledger/entry.h"
#include "ledger/ledger.h"

namespace tally {

struct AsOfBalance {
  TimeUs as_of;
  Credits available;  // effective lots' remaining
  Credits pending;    // lots granted but not yet effective at as_of
  Credits held;
  Credits total;  // available + pending + held
};

// Folds the account's entries with at <= as_of. Entries must be in journal (seq) order.
AsOfBalance balance_as_of(std::span<const Entry> entries, std::string_view account, TimeUs as_of);

struct EntryPage {
  std::vector<const Entry*> entries;  // oldest first
  uint64_t next_after = 0;            // pass as `after_seq` for the next page; 0 = no more
};
// The account's entries with seq > after_seq, at most `limit` (1..1000).
EntryPage page_entries(std::span<const Entry> entries, std::string_view account, uint64_t after_seq,
                       uint32_t limit);

struct VerifyReport {
  uint64_t entries = 0;
  uint64_t lots = 0;
  uint64_t accounts = 0;
  std::vector<std::string> differences;  // empty = the journal and the state agree
  bool ok() const { return differences.empty(); }
};
// Recomputes every lot, account and system book from `entries` alone (the complete journal of
// `ledger`, from seq 1) and compares them with the ledger's state; also checks that seqs have
// no gaps, times never go back, every entry balances and every balance_after is the running
// balance.
VerifyReport verify(const Ledger& ledger, std::span<const Entry> entries);

}  // namespace tally
