// A consistent copy of a data directory while `tally serve` runs on it (issue 14,
// docs/storage.md "Backup and restore"): the copy is a data directory itself, that `tally serve`
// and `tally verify` open as they open the original.
//
// Per shard, the tables first (SQLite's online backup, one read transaction: a snapshot at
// their watermark `journal_through` = W, without blocking the projector or any commit), then
// the journal segments from the one holding record W + 1 to the last, byte for byte (the last
// one may be cut mid-append: the copy's open drops that torn record, which was never
// acknowledged). Compaction may remove a segment after the tables were copied and before it is
// read; then the copy of that shard is made again from its tables (a bounded number of times).
// Every request acknowledged before backup_data_dir() was called is in the copy: its record
// was appended before the segments were read.
//
// webhooks.db is copied before the shards (its cursors never run ahead of the shards' events:
// an event may be delivered again, never skipped); every other database (payments.db, keys.db,
// price_books.db) after them (every purchase in the copy has its payment_ref claim, every hold
// its price book). payments.db keeps only the answers a copy taken before the shards had
// (keep_answers_of in store/payments.h): a later answer may be for a purchase the shards lack.
// Other plain files (admin.key, token.secret) are copied; `lock` and SQLite's -wal and -shm files
// are not; a directory other than a shard's journal is skipped and named.
//
// Never takes the data directory's lock: the server keeps it. Call from one thread; sets the
// process umask to 077 (files 0600, directories 0700, as a data directory).
#pragma once

#include <cstdint>
#include <expected>
#include <functional>
#include <string>
#include <vector>

#include "ledger/types.h"

namespace tally::store {

struct BackupOptions {
  std::string from;  // a data directory (shard-N.db files), in use or not
  // Made (mode 0700). It must not exist, or be an empty directory. The copy is written beside
  // it (`<to>.partial`) and renamed into place once whole and synced: a failed backup leaves
  // nothing at `to`.
  std::string to;
  // Copies of one shard made again because compaction removed a segment meanwhile, at most.
  int attempts_max = 8;
  // Tests: called after a shard's tables are copied, before its segments are (attempt 0 first).
  std::function<void(ShardId, int attempt)> after_tables;
};

struct BackupReport {
  struct Shard {
    ShardId id = 0;
    uint64_t tables_through = 0;  // the copied tables' journal_through
    uint64_t journal_last = 0;    // the last whole record of the copied journal
    size_t segments = 0;
    int attempts = 1;
  };
  std::vector<Shard> shards;
  std::vector<std::string> databases;  // other .db files copied, in order
  std::vector<std::string> files;      // plain files copied
  std::vector<std::string> skipped;    // directories left out
  uint64_t bytes = 0;                  // written
};

// Fails, with a message for the operator, if `from` is not a Tally data directory, `to` exists
// and is not an empty directory, a file cannot be read or written, or a shard's copy fails
// attempts_max times; `to` then does not exist (or is still the empty directory it was).
[[nodiscard]] std::expected<BackupReport, std::string> backup_data_dir(
    const BackupOptions& options);

}  // namespace tally::store
