#include "store/journal_file.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>

#include "ledger/text.h"
#include "store/checksum.h"

namespace tally::store {
namespace {

namespace fs = std::filesystem;

constexpr char k_magic[8] = {'T', 'A', 'L', 'L', 'Y', 'J', 'N', 'L'};
constexpr const char* k_what_to_do =
    "the journal is damaged; restore the data directory from a backup (docs/storage.md, "
    "\"Backup and restore\")";

template <typename T>
void put(std::string* out, T v) {
  out->append(reinterpret_cast<const char*>(&v), sizeof v);
}
template <typename T>
T get(const char* p) {
  T v;
  std::memcpy(&v, p, sizeof v);
  return v;
}

std::string errno_text() { return std::strerror(errno); }

std::string segment_header(ShardId shard, uint64_t first) {
  std::string h(k_magic, sizeof k_magic);
  put(&h, JournalFile::k_format_version);
  put(&h, shard);
  put(&h, uint16_t{0});
  put(&h, first);
  put(&h, crc32c(0, h));
  put(&h, uint32_t{0});
  return h;
}

// A record's header: length, the payload's CRC-32C, number, and the CRC-32C of those 16 bytes
// (so a damaged length is told from a torn append), then 4 zero bytes.
void put_record_header(std::string* out, uint64_t no, std::string_view payload) {
  const size_t start = out->size();
  put(out, static_cast<uint32_t>(payload.size()));
  put(out, crc32c(0, payload));
  put(out, no);
  put(out, crc32c(0, std::string_view(out->data() + start, 16)));
  put(out, uint32_t{0});
}

bool all_zero(std::string_view bytes) {
  return std::all_of(bytes.begin(), bytes.end(), [](char c) { return c == 0; });
}

std::expected<void, std::string> write_all(int fd, std::string_view bytes,
                                           const std::string& path) {
  while (!bytes.empty()) {
    const ssize_t n = ::write(fd, bytes.data(), bytes.size());
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return std::unexpected(cat("writing ", path, ": ", errno_text()));
    bytes.remove_prefix(static_cast<size_t>(n));
  }
  return {};
}

std::expected<void, std::string> sync_dir(const std::string& dir) {
  const int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return std::unexpected(cat("opening ", dir, ": ", errno_text()));
  const int rc = ::fsync(fd);
  ::close(fd);
  if (rc != 0) return std::unexpected(cat("syncing ", dir, ": ", errno_text()));
  return {};
}

std::expected<std::string, std::string> read_file(const std::string& path) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return std::unexpected(cat("opening ", path, ": ", errno_text()));
  std::string out;
  char buf[1 << 16];
  for (;;) {
    const ssize_t n = ::read(fd, buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      ::close(fd);
      return std::unexpected(cat("reading ", path, ": ", errno_text()));
    }
    if (n == 0) break;
    out.append(buf, static_cast<size_t>(n));
  }
  ::close(fd);
  return out;
}

// Cuts a torn tail off `path` at `length` and makes the cut durable.
std::expected<void, std::string> truncate_to(const std::string& path, uint64_t length) {
  const int fd = ::open(path.c_str(), O_WRONLY | O_CLOEXEC);
  if (fd < 0) return std::unexpected(cat("opening ", path, ": ", errno_text()));
  const bool ok = ::ftruncate(fd, static_cast<off_t>(length)) == 0 && ::fsync(fd) == 0;
  const std::string error = ok ? "" : errno_text();
  ::close(fd);
  if (!ok) return std::unexpected(cat("cutting the torn tail of ", path, ": ", error));
  return {};
}

}  // namespace

JournalFile::JournalFile(JournalOptions options, std::string dir)
    : options_(std::move(options)), dir_(std::move(dir)) {}

JournalFile::~JournalFile() {
  if (fd_ >= 0) ::close(fd_);
}

std::expected<std::unique_ptr<JournalFile>, std::string> JournalFile::open(JournalOptions options,
                                                                           uint64_t after,
                                                                           const Visit& visit) {
  std::string dir = cat(options.dir, "/journal-", options.shard);
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec) return std::unexpected(cat("cannot create ", dir, ": ", ec.message()));
  fs::permissions(dir, fs::perms::owner_all, ec);
  std::unique_ptr<JournalFile> j(new JournalFile(std::move(options), dir));

  // The segments, by their first record's number (the file name).
  for (const auto& f : fs::directory_iterator(dir, ec)) {
    const std::string name = f.path().filename().string();
    if (name.size() != 24 || !name.ends_with(".log")) continue;
    const std::string digits = name.substr(0, 20);
    if (!std::all_of(digits.begin(), digits.end(), [](char c) { return c >= '0' && c <= '9'; }))
      continue;
    const uint64_t first = std::stoull(digits);
    j->segments_.push_back({first, first - 1, f.path().string(), 0});
  }
  if (ec) return std::unexpected(cat("cannot list ", dir, ": ", ec.message()));
  std::sort(j->segments_.begin(), j->segments_.end(),
            [](const Segment& a, const Segment& b) { return a.first < b.first; });

  uint64_t expect = 0;  // the next record's number (0: none read yet)
  for (size_t i = 0; i < j->segments_.size(); ++i) {
    Segment& seg = j->segments_[i];
    const bool last_segment = i + 1 == j->segments_.size();
    auto data = read_file(seg.path);
    if (!data) return std::unexpected(data.error());
    const std::string_view bytes = *data;
    // A crash while a new segment was started leaves at most its header, torn: no record was
    // in it.
    const bool header_ok = bytes.size() >= k_segment_header_bytes &&
                           bytes.substr(0, k_segment_header_bytes) ==
                               segment_header(j->options_.shard, seg.first);
    if (!header_ok) {
      if (last_segment && (bytes.size() <= k_segment_header_bytes ||
                           all_zero(bytes.substr(k_segment_header_bytes)))) {
        if (::unlink(seg.path.c_str()) != 0) {
          return std::unexpected(cat("removing the torn segment ", seg.path, ": ", errno_text()));
        }
        j->segments_.pop_back();
        break;
      }
      return std::unexpected(cat(seg.path, ": the segment header is not a journal header of shard ",
                                 j->options_.shard, " starting at record ", seg.first, "; ",
                                 k_what_to_do));
    }
    if (expect != 0 && seg.first != expect) {
      return std::unexpected(cat(seg.path, ": starts at record ", seg.first, " but record ", expect,
                                 " was expected (a segment is missing); ", k_what_to_do));
    }
    expect = seg.first;
    size_t pos = k_segment_header_bytes;
    while (pos < bytes.size()) {
      const std::string_view rest = bytes.substr(pos);
      auto torn_or_corrupt = [&](std::string_view why) -> std::expected<bool, std::string> {
        if (last_segment) return true;  // cut below
        return std::unexpected(cat(seg.path, ": record ", expect, " at offset ", pos, " ", why,
                                   "; ", k_what_to_do));
      };
      std::expected<bool, std::string> torn = false;
      if (rest.size() < k_record_header_bytes) {
        torn = torn_or_corrupt("has a header cut short");
      } else {
        const uint32_t length = get<uint32_t>(rest.data());
        const uint32_t payload_crc = get<uint32_t>(rest.data() + 4);
        const uint64_t no = get<uint64_t>(rest.data() + 8);
        const bool header_whole = crc32c(0, rest.substr(0, 16)) == get<uint32_t>(rest.data() + 16) &&
                                  get<uint32_t>(rest.data() + 20) == 0 && length <= k_payload_max;
        if (!header_whole) {
          // Zeros where a header belongs: the file grew but the append never reached it.
          if (last_segment && all_zero(rest)) {
            torn = true;
          } else {
            return std::unexpected(cat(seg.path, ": record ", expect, " at offset ", pos,
                                       " has a damaged header; ", k_what_to_do));
          }
        } else if (rest.size() - k_record_header_bytes < length) {
          torn = torn_or_corrupt("runs past the end of the segment");
        } else {
          const std::string_view payload = rest.substr(k_record_header_bytes, length);
          const bool whole = crc32c(0, payload) == payload_crc;
          const bool at_end = rest.size() == k_record_header_bytes + length;
          if (!whole && last_segment && at_end) {
            torn = true;  // the payload's last pages never reached the disk
          } else if (!whole) {
            return std::unexpected(cat(seg.path, ": record ", expect, " at offset ", pos,
                                       " fails its checksum; ", k_what_to_do));
          } else if (no != expect) {
            return std::unexpected(cat(seg.path, ": record at offset ", pos, " is numbered ", no,
                                       " but ", expect, " was expected; ", k_what_to_do));
          } else {
            if (no > after) {
              if (auto r = visit(no, payload); !r) {
                return std::unexpected(cat(seg.path, ": record ", no, " at offset ", pos, ": ",
                                           r.error()));
              }
            }
            seg.last = no;
            ++expect;
            pos += k_record_header_bytes + length;
            continue;
          }
        }
      }
      if (!torn) return std::unexpected(torn.error());
      // A torn last record: never acknowledged, so dropped.
      if (auto r = truncate_to(seg.path, pos); !r) return std::unexpected(r.error());
      break;
    }
    seg.size = pos;
  }
  // The segment appended to is never removed, so tables that hold records have a journal
  // beside them: none at all means it was deleted or the tables were copied without it.
  if (j->segments_.empty() && after > 0) {
    return std::unexpected(cat(dir, ": no journal segment, but the projections hold records up to ",
                               after, " (the journal was removed, or the tables were copied "
                               "without it); ", k_what_to_do));
  }
  const uint64_t last = expect == 0 ? 0 : expect - 1;
  if (!j->segments_.empty() && last != 0 && j->segments_.front().first > after + 1) {
    return std::unexpected(cat(dir, ": the journal starts at record ", j->segments_.front().first,
                               " but the projections end at record ", after,
                               " (the records between are missing); ", k_what_to_do));
  }
  if (last != 0 && last < after) {
    return std::unexpected(cat(dir, ": the journal ends at record ", last,
                               " but the projections already hold record ", after,
                               " (the journal's tail is missing); ", k_what_to_do));
  }
  j->last_ = std::max(last, after);
  if (!j->segments_.empty()) {
    const Segment& tail = j->segments_.back();
    if (tail.last + 1 == tail.first && tail.first != j->last_ + 1) {  // empty, and misplaced
      return std::unexpected(cat(tail.path, ": an empty segment starting at record ", tail.first,
                                 " but the next record is ", j->last_ + 1, "; ", k_what_to_do));
    }
  }
  if (!j->segments_.empty()) {
    Segment& tail = j->segments_.back();
    j->size_ = tail.size;
    j->fd_ = ::open(tail.path.c_str(), O_WRONLY | O_APPEND | O_CLOEXEC);
    if (j->fd_ < 0) return std::unexpected(cat("opening ", tail.path, ": ", errno_text()));
  }
  return j;
}

std::expected<void, std::string> JournalFile::start_segment() {
  const uint64_t first = last_ + 1;
  char name[32];
  std::snprintf(name, sizeof name, "%020llu.log", static_cast<unsigned long long>(first));
  const std::string path = cat(dir_, "/", name);
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_APPEND | O_CLOEXEC, 0600);
  if (fd < 0) return std::unexpected(cat("creating ", path, ": ", errno_text()));
  const std::string header = segment_header(options_.shard, first);
  auto written = write_all(fd, header, path);
  if (written && options_.sync && ::fdatasync(fd) != 0) {
    written = std::unexpected(cat("syncing ", path, ": ", errno_text()));
  }
  if (written && options_.sync) written = sync_dir(dir_);
  if (!written) {
    ::close(fd);
    return written;
  }
  if (fd_ >= 0) ::close(fd_);  // every record in it was synced by its append
  fd_ = fd;
  size_ = header.size();
  segments_.push_back({first, first - 1, path, size_});
  return {};
}

std::expected<void, std::string> JournalFile::append(std::string_view payload) {
  if (payload.size() > k_payload_max) {
    return std::unexpected(cat("a journal record of ", payload.size(), " bytes is too long"));
  }
  if (fd_ < 0 || size_ >= options_.segment_bytes) {
    if (auto r = start_segment(); !r) return r;
  }
  const uint64_t no = last_ + 1;
  frame_.clear();
  put_record_header(&frame_, no, payload);
  frame_.append(payload);
  const std::string& path = segments_.back().path;
  if (auto r = write_all(fd_, frame_, path); !r) return r;
  if (options_.sync && ::fdatasync(fd_) != 0) {
    return std::unexpected(cat("syncing ", path, ": ", errno_text()));
  }
  size_ += frame_.size();
  last_ = no;
  segments_.back().last = no;
  return {};
}

std::expected<size_t, std::string> JournalFile::remove_through(uint64_t through) {
  size_t removed = 0;
  while (segments_.size() > 1 && segments_.front().last <= through) {
    const Segment& seg = segments_.front();
    if (!options_.archive_dir.empty()) {
      std::error_code ec;
      const std::string to = cat(options_.archive_dir, "/journal-", options_.shard);
      fs::create_directories(to, ec);
      if (!ec) fs::rename(seg.path, cat(to, "/", fs::path(seg.path).filename().string()), ec);
      if (ec) return std::unexpected(cat("archiving ", seg.path, ": ", ec.message()));
    } else if (::unlink(seg.path.c_str()) != 0) {
      return std::unexpected(cat("removing ", seg.path, ": ", errno_text()));
    }
    segments_.erase(segments_.begin());
    ++removed;
  }
  if (removed > 0 && options_.sync) {
    if (auto r = sync_dir(dir_); !r) return std::unexpected(r.error());
  }
  return removed;
}

std::vector<std::string> JournalFile::segment_paths() const {
  std::vector<std::string> out;
  for (const Segment& s : segments_) out.push_back(s.path);
  return out;
}

}  // namespace tally::store
