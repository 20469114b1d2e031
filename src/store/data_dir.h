// A data directory held by one process: `tally serve` and `tally verify` hold it for their whole
// life, so that two processes never write the same shard files (the second one's commits would
// collide with the first's, which then stops), and what they create is readable by the owner
// only (docs/storage.md).
#pragma once

#include <expected>
#include <string>

namespace tally::store {

class DataDir {
 public:
  // Sets the process umask to 077, so that every file created from here on (shard databases,
  // their -wal and -shm files, keys.db, secrets) is mode 0600 and every directory 0700; creates
  // `path` (mode 0700) if `create` and it is missing; takes an exclusive lock on `path`/lock
  // (flock, not waiting) and writes this process's pid into it; then tightens the directory to
  // 0700 and each file in it to 0600 if they allow more (data written before this rule).
  //
  // Fails, with a message for the operator, if another process holds the lock (naming its pid,
  // as that process wrote it), or if the directory cannot be created, locked or tightened.
  // Call from the main thread before other threads create files: the umask is process-wide.
  [[nodiscard]] static std::expected<DataDir, std::string> open(const std::string& path,
                                                                bool create);

  DataDir(DataDir&& other) noexcept : fd_(other.fd_) { other.fd_ = -1; }
  DataDir& operator=(DataDir&&) = delete;
  DataDir(const DataDir&) = delete;
  // Releases the lock (closing the file releases it too if the process dies); the file stays.
  ~DataDir();

 private:
  explicit DataDir(int fd) : fd_(fd) {}
  int fd_ = -1;
};

}  // namespace tally::store
