#include "store/backup.h"

#include <fcntl.h>
#include <sqlite3.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>

#include "ledger/text.h"
#include "store/journal_file.h"
#include "store/payments.h"
#include "store/sqlite_schema.h"

namespace tally::store {
namespace {

namespace fs = std::filesystem;

std::string errno_text() {
  return std::strerror(errno);
}

// Databases whose readers follow the shards (cursors into their events): copied first.
constexpr const char* k_before_shards[] = {"webhooks.db"};
// Claims copied after the shards, answers from a copy taken before them (keep_answers_of).
constexpr const char* k_payments = "payments.db";

// N if `name` is `<prefix>N<suffix>` with N a shard number.
std::optional<ShardId> shard_in(const std::string& name, std::string_view prefix,
                                std::string_view suffix) {
  if (!name.starts_with(prefix) || !name.ends_with(suffix)) return std::nullopt;
  const std::string n = name.substr(prefix.size(), name.size() - prefix.size() - suffix.size());
  if (n.empty() || n.size() > 5 || n.find_first_not_of("0123456789") != std::string::npos)
    return std::nullopt;
  const unsigned long v = std::stoul(n);
  if (v > UINT16_MAX) return std::nullopt;
  return static_cast<ShardId>(v);
}

std::expected<void, std::string> sync_path(const std::string& path, bool dir) {
  const int fd = ::open(path.c_str(), (dir ? O_RDONLY | O_DIRECTORY : O_RDONLY) | O_CLOEXEC);
  if (fd < 0) return std::unexpected(cat("opening ", path, ": ", errno_text()));
  const int rc = ::fsync(fd);
  ::close(fd);
  if (rc != 0) return std::unexpected(cat("syncing ", path, ": ", errno_text()));
  return {};
}

// Copies `from` to `to` byte for byte and syncs it; ENOENT when `from` is gone is returned as
// `*gone` = true (a segment compaction removed), not as an error.
std::expected<uint64_t, std::string> copy_file(const std::string& from, const std::string& to,
                                               bool* gone = nullptr) {
  const int in = ::open(from.c_str(), O_RDONLY | O_CLOEXEC);
  if (in < 0) {
    if (errno == ENOENT && gone) {
      *gone = true;
      return 0;
    }
    return std::unexpected(cat("opening ", from, ": ", errno_text()));
  }
  const int out = ::open(to.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (out < 0) {
    ::close(in);
    return std::unexpected(cat("creating ", to, ": ", errno_text()));
  }
  uint64_t bytes = 0;
  std::string error;
  char buf[1 << 16];
  for (;;) {
    const ssize_t n = ::read(in, buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) error = cat("reading ", from, ": ", errno_text());
    if (n <= 0) break;
    for (ssize_t done = 0; done < n && error.empty();) {
      const ssize_t w = ::write(out, buf + done, static_cast<size_t>(n - done));
      if (w < 0 && errno == EINTR) continue;
      if (w <= 0)
        error = cat("writing ", to, ": ", errno_text());
      else
        done += w;
    }
    if (!error.empty()) break;
    bytes += static_cast<uint64_t>(n);
  }
  if (error.empty() && ::fsync(out) != 0) error = cat("syncing ", to, ": ", errno_text());
  ::close(in);
  ::close(out);
  if (!error.empty()) return std::unexpected(error);
  return bytes;
}

// SQLite's online backup of the database `from` into a new file `to`: every page in one step,
// so in one read transaction of `from` (a snapshot; in WAL mode the writer is never blocked).
// `to` is left in rollback-journal mode, synced, with nothing beside it.
std::expected<uint64_t, std::string> copy_database(const std::string& from, const std::string& to) {
  sqlite3* src = nullptr;
  sqlite3* dst = nullptr;
  auto fail = [&](sqlite3* db, std::string_view what) {
    std::string message = cat(what, ": ", db ? sqlite3_errmsg(db) : "out of memory");
    sqlite3_close_v2(src);
    sqlite3_close_v2(dst);
    return std::unexpected(message);
  };
  if (sqlite3_open_v2(from.c_str(), &src, SQLITE_OPEN_READONLY, nullptr) != SQLITE_OK)
    return fail(src, cat("opening ", from));
  sqlite3_busy_timeout(src, 5000);
  if (sqlite3_open_v2(to.c_str(), &dst, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, nullptr) !=
      SQLITE_OK)
    return fail(dst, cat("creating ", to));
  sqlite3_busy_timeout(dst, 5000);
  sqlite3_backup* b = sqlite3_backup_init(dst, "main", src, "main");
  if (!b) return fail(dst, cat("copying ", from));
  int rc;
  // BUSY or LOCKED: the source is being opened or checkpointed right now; try again.
  while ((rc = sqlite3_backup_step(b, -1)) == SQLITE_BUSY || rc == SQLITE_LOCKED) {
    sqlite3_sleep(10);
  }
  const int pages = sqlite3_backup_pagecount(b);
  sqlite3_backup_finish(b);
  if (rc != SQLITE_DONE) return fail(dst, cat("copying ", from));
  // The copy carries the source's WAL flag; back to a single file, synced, before it is closed.
  if (sqlite3_exec(dst, "PRAGMA journal_mode = DELETE", nullptr, nullptr, nullptr) != SQLITE_OK)
    return fail(dst, cat("finishing ", to));
  const int page_size = [&] {
    sqlite3_stmt* q = nullptr;
    int size = 0;
    if (sqlite3_prepare_v2(dst, "PRAGMA page_size", -1, &q, nullptr) == SQLITE_OK &&
        sqlite3_step(q) == SQLITE_ROW)
      size = sqlite3_column_int(q, 0);
    sqlite3_finalize(q);
    return size;
  }();
  sqlite3_close_v2(src);
  sqlite3_close_v2(dst);
  if (auto r = sync_path(to, false); !r) return std::unexpected(r.error());
  return static_cast<uint64_t>(pages) * static_cast<uint64_t>(page_size);
}

// The copied tables' watermark.
std::expected<uint64_t, std::string> tables_through(const std::string& db_path, ShardId shard) {
  sqlite3* raw = nullptr;
  if (sqlite3_open_v2(db_path.c_str(), &raw, SQLITE_OPEN_READONLY, nullptr) != SQLITE_OK) {
    std::string message = raw ? sqlite3_errmsg(raw) : "out of memory";
    sqlite3_close_v2(raw);
    return std::unexpected(cat("opening ", db_path, ": ", message));
  }
  sqlite::Connection db(raw);
  return sqlite::journal_through(db, shard);
}

// The segment files of a journal directory, by first record, oldest first.
std::vector<std::pair<uint64_t, std::string>> list_segments(const std::string& dir) {
  std::vector<std::pair<uint64_t, std::string>> out;
  std::error_code ec;
  for (const auto& f : fs::directory_iterator(dir, ec)) {
    const std::string name = f.path().filename().string();
    if (name.size() != 24 || !name.ends_with(".log")) continue;
    const std::string digits = name.substr(0, 20);
    if (digits.find_first_not_of("0123456789") != std::string::npos) continue;
    out.emplace_back(std::stoull(digits), name);
  }
  std::sort(out.begin(), out.end());
  return out;
}

// One attempt at a shard: its tables, then its segments from the one holding the record after
// the tables' watermark, then the copied journal opened as recovery opens it (every record
// checked, a torn tail cut). An error means this attempt's copy is not consistent (a segment
// removed meanwhile, most likely): the caller removes it and tries again.
std::expected<BackupReport::Shard, std::string> copy_shard(const BackupOptions& options,
                                                           const std::string& into, ShardId id,
                                                           int attempt, uint64_t* bytes) {
  BackupReport::Shard out{id, 0, 0, 0, attempt + 1};
  const std::string db_name = cat("shard-", id, ".db");
  auto db_bytes = copy_database(cat(options.from, "/", db_name), cat(into, "/", db_name));
  if (!db_bytes) return std::unexpected(db_bytes.error());
  *bytes += *db_bytes;
  auto through = tables_through(cat(into, "/", db_name), id);
  if (!through) return std::unexpected(through.error());
  out.tables_through = *through;
  if (options.after_tables) options.after_tables(id, attempt);

  const std::string journal = cat("journal-", id);
  const std::string from_dir = cat(options.from, "/", journal), to_dir = cat(into, "/", journal);
  std::error_code ec;
  fs::create_directory(to_dir, ec);
  if (ec) return std::unexpected(cat("creating ", to_dir, ": ", ec.message()));
  const auto segments = list_segments(from_dir);
  // The newest segment starting at or before the record after the watermark: it holds that
  // record (or is the one the next record goes to); the ones before it hold nothing after W.
  size_t start = 0;
  for (size_t i = 0; i < segments.size(); ++i) {
    if (segments[i].first <= out.tables_through + 1) start = i;
  }
  for (size_t i = start; i < segments.size(); ++i) {
    bool gone = false;
    auto copied = copy_file(cat(from_dir, "/", segments[i].second),
                            cat(to_dir, "/", segments[i].second), &gone);
    if (!copied) return std::unexpected(copied.error());
    if (gone) {
      return std::unexpected(
          cat(from_dir, "/", segments[i].second, " was removed by compaction while it was copied"));
    }
    *bytes += *copied;
    ++out.segments;
  }
  // Recovery's own checks on the copy: contiguous from W + 1, every record whole but a torn
  // last one (cut here). Nothing is decoded: the tables are projected when the copy is opened.
  auto opened = JournalFile::open(
      {into, id, uint64_t{64} << 20, true, ""}, out.tables_through,
      [](uint64_t, std::string_view) -> std::expected<void, std::string> { return {}; });
  if (!opened) return std::unexpected(opened.error());
  out.journal_last = (*opened)->last();
  opened->reset();
  if (auto r = sync_path(to_dir, true); !r) return std::unexpected(r.error());
  return out;
}

std::expected<void, std::string> check_target(const std::string& to) {
  std::error_code ec;
  const fs::file_status st = fs::symlink_status(to, ec);
  if (st.type() == fs::file_type::not_found) return {};
  if (st.type() != fs::file_type::directory) {
    return std::unexpected(cat(to, " exists and is not a directory; give a new path"));
  }
  if (!fs::is_empty(to, ec) || ec) {
    return std::unexpected(cat(to,
                               " exists and is not empty; a backup goes to a new (or empty) "
                               "directory, never over another one"));
  }
  return {};
}

// What a data directory holds, sorted: shards, databases to copy before them and after them,
// plain files, and directories left out.
struct Listing {
  std::vector<ShardId> shards;
  std::vector<std::string> before, databases, files, skipped;
};

std::expected<Listing, std::string> list_data_dir(const std::string& from) {
  Listing out;
  std::error_code ec;
  if (!fs::is_directory(from, ec)) return std::unexpected(cat(from, " is not a directory"));
  for (const auto& e : fs::directory_iterator(from, ec)) {
    const std::string name = e.path().filename().string();
    if (e.is_directory()) {
      if (!shard_in(name, "journal-", "")) out.skipped.push_back(name);
      continue;
    }
    if (!e.is_regular_file()) continue;
    if (auto id = shard_in(name, "shard-", ".db")) {
      out.shards.push_back(*id);
    } else if (name.ends_with(".db")) {
      const bool first =
          std::find_if(std::begin(k_before_shards), std::end(k_before_shards),
                       [&](const char* n) { return name == n; }) != std::end(k_before_shards);
      (first ? out.before : out.databases).push_back(name);
    } else if (name != "lock" && !name.ends_with("-wal") && !name.ends_with("-shm") &&
               !name.ends_with("-journal")) {
      out.files.push_back(name);
    }
  }
  if (ec) return std::unexpected(cat("cannot list ", from, ": ", ec.message()));
  if (out.shards.empty()) {
    return std::unexpected(cat(from,
                               " is not a Tally data directory (no shard-N.db); a "
                               "ledger in PostgreSQL is backed up with pg_basebackup or pg_dump "
                               "(docs/operations.md)"));
  }
  std::sort(out.shards.begin(), out.shards.end());
  std::sort(out.databases.begin(), out.databases.end());
  std::sort(out.files.begin(), out.files.end());
  return out;
}

// A shard, copied again (tables first) until a copy is consistent, at most attempts_max times.
std::expected<BackupReport::Shard, std::string> copy_shard_again_and_again(
    const BackupOptions& options, const std::string& into, ShardId id, uint64_t* bytes) {
  std::string last_error;
  for (int attempt = 0; attempt < options.attempts_max; ++attempt) {
    auto copied = copy_shard(options, into, id, attempt, bytes);
    if (copied) return copied;
    last_error = copied.error();
    std::error_code ec;
    fs::remove(cat(into, "/shard-", id, ".db"), ec);
    fs::remove_all(cat(into, "/journal-", id), ec);
  }
  return std::unexpected(cat("shard ", id, ": no consistent copy in ", options.attempts_max,
                             " attempts; the last: ", last_error));
}

// Everything of `in` into `partial`, in the order of store/backup.h, synced.
std::expected<void, std::string> copy_all(const BackupOptions& options, const Listing& in,
                                          const std::string& partial, BackupReport* report) {
  auto copy_db = [&](const std::string& name) -> std::expected<void, std::string> {
    auto b = copy_database(cat(options.from, "/", name), cat(partial, "/", name));
    if (!b) return std::unexpected(b.error());
    report->bytes += *b;
    report->databases.push_back(name);
    return {};
  };
  for (const std::string& name : in.before) {
    if (auto r = copy_db(name); !r) return r;
  }
  // payments.db: its answers as they were before the shards, its claims after them.
  const bool payments =
      std::find(in.databases.begin(), in.databases.end(), k_payments) != in.databases.end();
  const std::string answers = cat(partial, "/", k_payments, ".answers");
  if (payments) {
    auto b = copy_database(cat(options.from, "/", k_payments), answers);
    if (!b) return std::unexpected(b.error());
  }
  for (ShardId id : in.shards) {
    auto copied = copy_shard_again_and_again(options, partial, id, &report->bytes);
    if (!copied) return std::unexpected(copied.error());
    report->shards.push_back(*copied);
  }
  for (const std::string& name : in.databases) {
    if (auto r = copy_db(name); !r) return r;
  }
  if (payments) {
    if (auto r = keep_answers_of(cat(partial, "/", k_payments), answers); !r) return r;
    std::error_code ec;
    fs::remove(answers, ec);
    if (ec) return std::unexpected(cat("removing ", answers, ": ", ec.message()));
  }
  for (const std::string& name : in.files) {
    auto b = copy_file(cat(options.from, "/", name), cat(partial, "/", name));
    if (!b) return std::unexpected(b.error());
    report->bytes += *b;
    report->files.push_back(name);
  }
  return sync_path(partial, true);
}

}  // namespace

std::expected<BackupReport, std::string> backup_data_dir(const BackupOptions& given) {
  ::umask(077);
  BackupOptions options = given;
  while (options.to.size() > 1 && options.to.back() == '/') options.to.pop_back();
  auto listed = list_data_dir(options.from);
  if (!listed) return std::unexpected(listed.error());
  const Listing& in = *listed;
  if (auto r = check_target(options.to); !r) return std::unexpected(r.error());

  std::error_code ec;
  const std::string partial = cat(options.to, ".partial");
  fs::remove_all(partial, ec);
  fs::create_directories(partial, ec);
  if (ec) return std::unexpected(cat("cannot create ", partial, ": ", ec.message()));
  fs::permissions(partial, fs::perms::owner_all, ec);
  BackupReport report;
  report.skipped = in.skipped;
  if (auto r = copy_all(options, in, partial, &report); !r) {
    fs::remove_all(partial, ec);
    return std::unexpected(r.error());
  }
  // Into place in one step (over an empty directory too), and the rename made durable.
  if (::rename(partial.c_str(), options.to.c_str()) != 0) {
    const std::string error = errno_text();
    fs::remove_all(partial, ec);
    return std::unexpected(cat("renaming ", partial, " to ", options.to, ": ", error));
  }
  const fs::path parent = fs::absolute(options.to, ec).parent_path();
  if (auto r = sync_path(parent.string(), true); !r) return std::unexpected(r.error());
  return report;
}

}  // namespace tally::store
