// The row of a journal entry as every SQL backend stores it (docs/storage.md, "Entry
// checksums"): its columns, their values for an entry, and the checksum that proves a row whole.
// SQLite and PostgreSQL store the same columns and the same checksum.
//
// Pure and thread-safe.
#pragma once

#include <cstdint>
#include <string_view>

#include "ledger/entry.h"
#include "ledger/types.h"

namespace tally::store {

// The columns of an entry's row between `shard_id` and `checksum`: the INSERTs and the SELECTs
// name them from here. TALLY_ENTRY_COLUMNS_3 are the columns every row has had since schema 3
// (SQLite; the migration that adds checksums names them); SQLite 9 and PostgreSQL 3 add a team
// account's member and project.
#define TALLY_ENTRY_COLUMNS_3                                                   \
  "seq, at_us, kind, counter, source, account, lot, amount_micro, held_micro, " \
  "balance_after_micro, hold, spend, tool, reason, effective_at_us, expires_at_us"
#define TALLY_ENTRY_COLUMNS TALLY_ENTRY_COLUMNS_3 ", member, project"

constexpr int count_columns(std::string_view columns) {
  int n = 1;
  for (const char c : columns) n += c == ',' ? 1 : 0;
  return n;
}
inline constexpr int k_entry_column_count_3 = count_columns(TALLY_ENTRY_COLUMNS_3);
inline constexpr int k_entry_column_count = count_columns(TALLY_ENTRY_COLUMNS);

// Calls `f` with each value of TALLY_ENTRY_COLUMNS_3 for `e`, in order, as stored: an int64_t or
// a std::string_view (valid while `e` is).
template <typename F>
void entry_columns_3(const Entry& e, F&& f) {
  f(static_cast<int64_t>(e.seq));
  f(e.at.us);
  f(entry_kind_name(e.kind));
  f(book_name(e.counter));
  f(source_name(e.source));
  f(std::string_view(e.account));
  f(static_cast<int64_t>(e.lot.value));
  f(e.amount.micro);
  f(e.held.micro);
  f(e.balance_after.micro);
  f(static_cast<int64_t>(e.hold.value));
  f(static_cast<int64_t>(e.spend.value));
  f(std::string_view(e.tool));
  f(std::string_view(e.reason));
  f(e.effective_at.us);
  f(e.expires_at.us);
}

// Calls `f` with each value of TALLY_ENTRY_COLUMNS for `e`, in order: the one list the INSERT
// binds and the checksum reads.
template <typename F>
void entry_columns(const Entry& e, F&& f) {
  entry_columns_3(e, f);
  f(std::string_view(e.member));
  f(std::string_view(e.project));
}

// The `checksum` column of an entry's row: CRC-32C (store/checksum.h) of its shard_id and
// entry_columns_3, then member and project only when either is not empty. So every row written
// before entries had them (empty in every such row) still verifies, unchanged.
uint32_t entry_checksum(ShardId shard, const Entry& e);

}  // namespace tally::store
