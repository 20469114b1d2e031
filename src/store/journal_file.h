// A shard's journal on disk (issue 14, docs/storage.md "The journal"): numbered records in
// segment files, appended and synced once per batch; the durable truth the projections are made
// from.
//
// Files: `<dir>/journal-<shard>/<first record, 20 digits>.log`. A segment starts with a 32-byte
// header (magic "TALLYJNL", format version, shard, first record number, and its CRC-32C); then
// records, each a 24-byte header (payload length, the payload's CRC-32C, record number, the
// CRC-32C of those 16 bytes, 4 zero bytes) and its payload. Numbers run from 1 without a gap,
// across segments.
//
// Opening checks every record. The last record of the last segment may be torn (a crash while
// it was appended: it was never acknowledged): it is recognized by a whole header whose length
// runs past the end of the file, a payload failing its checksum at the very end, or zeros (or a
// header cut short) where a header belongs, and cut off. Any
// other bad record, a gap in the numbers or a foreign header stops the open with an error that
// names the file, the record, its offset and what to do.
//
// Not thread-safe: one thread appends (the shard's writer); open and remove_through are called
// from that thread or before it starts.
#pragma once

#include <cstdint>
#include <expected>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "ledger/types.h"

namespace tally::store {

struct JournalOptions {
  std::string dir;  // the data directory; the journal is in <dir>/journal-<shard>/
  ShardId shard = 0;
  // A new segment starts once the current one is at least this long.
  uint64_t segment_bytes = uint64_t{64} << 20;
  // fdatasync after every append (false: the page cache only, which survives a process crash
  // but not a power loss; benchmarks and tests).
  bool sync = true;
  // Where removed segments go (empty: they are deleted).
  std::string archive_dir;
};

class JournalFile {
 public:
  // Called for each record numbered above `after`, in order, with its payload (valid during the
  // call). An error stops the open and is returned, prefixed with the record's place.
  using Visit = std::function<std::expected<void, std::string>(uint64_t no, std::string_view)>;

  // Opens (creating the directory if needed) and checks every segment, cuts a torn tail, and
  // visits the records after `after`. Fails if the records after `after` do not start at
  // `after + 1` (a segment is missing) unless there are none.
  static std::expected<std::unique_ptr<JournalFile>, std::string> open(JournalOptions options,
                                                                       uint64_t after,
                                                                       const Visit& visit);
  ~JournalFile();

  // The number of the last record (0: none yet). The next append is last() + 1.
  uint64_t last() const { return last_; }

  // Appends one record (numbered last() + 1) with one write and, with `sync`, one fdatasync.
  // On error the journal must not be used again (the process stops: fail-stop).
  std::expected<void, std::string> append(std::string_view payload);

  // Removes (or archives) every segment whose records are all numbered at or below `through`,
  // except the one being appended to. Returns how many went.
  std::expected<size_t, std::string> remove_through(uint64_t through);

  // The segment files, oldest first (for backups and tests), and how many there are.
  std::vector<std::string> segment_paths() const;
  size_t segment_count() const { return segments_.size(); }
  const std::string& directory() const { return dir_; }

  static constexpr uint32_t k_format_version = 1;
  static constexpr size_t k_segment_header_bytes = 32;
  static constexpr size_t k_record_header_bytes = 24;
  static constexpr uint32_t k_payload_max = uint32_t{1} << 30;

 private:
  struct Segment {
    uint64_t first = 0;  // its first record's number
    uint64_t last = 0;   // its last record's number (first - 1 while empty)
    std::string path;
    uint64_t size = 0;  // its length, as checked by open()
  };
  JournalFile(JournalOptions options, std::string dir);
  std::expected<void, std::string> start_segment();

  JournalOptions options_;
  std::string dir_;
  std::vector<Segment> segments_;  // oldest first; the last is appended to
  int fd_ = -1;                    // the last segment, open for appends
  uint64_t size_ = 0;              // its length
  uint64_t last_ = 0;
  std::string frame_;  // the record being appended (reused)
};

}  // namespace tally::store
