#include "store/data_dir.h"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>

#include "ledger/text.h"

namespace tally::store {
namespace {

std::string errno_text() {
  return std::strerror(errno);
}

// The pid the lock's holder wrote into it ("unknown" if it has not yet).
std::string holder_pid(int fd) {
  char buf[32] = {};
  const ssize_t n = ::pread(fd, buf, sizeof buf - 1, 0);
  std::string pid;
  for (ssize_t i = 0; i < n && buf[i] >= '0' && buf[i] <= '9'; ++i) pid += buf[i];
  return pid.empty() ? "unknown" : pid;
}

// Takes group's and others' permissions off `path` if it has any. Symbolic links are left
// alone (their target may be anywhere).
std::expected<void, std::string> make_private(const std::string& path) {
  struct stat st;
  if (::lstat(path.c_str(), &st) != 0) return std::unexpected(cat(path, ": ", errno_text()));
  if (S_ISLNK(st.st_mode)) return {};
  // A directory (the shards' journals) stays searchable by its owner: 0700.
  const mode_t mode = S_ISDIR(st.st_mode) ? 0700 : st.st_mode & 0700;
  if ((st.st_mode & 0777) == mode || (!S_ISDIR(st.st_mode) && (st.st_mode & 077) == 0)) return {};
  if (::chmod(path.c_str(), mode) != 0) {
    return std::unexpected(
        cat("cannot make ", path, " private (mode 0700 or 0600): ", errno_text()));
  }
  return {};
}

std::expected<void, std::string> make_all_private(const std::string& dir) {
  if (auto r = make_private(dir); !r) return r;
  std::error_code ec;
  for (const auto& e : std::filesystem::recursive_directory_iterator(dir, ec)) {
    if (auto r = make_private(e.path().string()); !r) return r;
  }
  if (ec) return std::unexpected(cat("cannot list ", dir, ": ", ec.message()));
  return {};
}

}  // namespace

std::expected<DataDir, std::string> DataDir::open(const std::string& path, bool create) {
  ::umask(077);
  if (create) {
    std::error_code ec;
    std::filesystem::create_directories(path, ec);  // 0777 less the umask: 0700
    if (ec) return std::unexpected(cat("cannot create ", path, ": ", ec.message()));
  }
  const std::string lock_path = cat(path, "/lock");
  const int fd = ::open(lock_path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
  if (fd < 0) return std::unexpected(cat("cannot open ", lock_path, ": ", errno_text()));
  DataDir held(fd);  // closes the file on every return below but the last
  if (::flock(fd, LOCK_EX | LOCK_NB) != 0) {
    if (errno != EWOULDBLOCK)
      return std::unexpected(cat("cannot lock ", lock_path, ": ", errno_text()));
    return std::unexpected(cat(path, " is in use by another process (pid ", holder_pid(fd),
                               ", which holds ", lock_path,
                               "); stop it first, or use another "
                               "data directory"));
  }
  const std::string pid = cat(::getpid(), "\n");
  if (::pwrite(fd, pid.data(), pid.size(), 0) != static_cast<ssize_t>(pid.size()) ||
      ::ftruncate(fd, static_cast<off_t>(pid.size())) != 0) {
    return std::unexpected(cat("cannot write ", lock_path, ": ", errno_text()));
  }
  if (auto r = make_all_private(path); !r) return std::unexpected(r.error());
  return held;
}

DataDir::~DataDir() {
  if (fd_ >= 0) ::close(fd_);  // releases the flock
}

}  // namespace tally::store
