#include "store/sqlite_store.h"

#include <sqlite3.h>

#include <condition_variable>
#include <deque>
#include <filesystem>
#include <thread>

#include "ledger/text.h"
#include "log/log.h"
#include "store/codec.h"
#include "store/journal_file.h"
#include "store/sqlite_schema.h"

namespace tally::store {
namespace {

// A batch journaled and not yet projected (reads serve it from here).
struct Pending {
  uint64_t record = 0;
  size_t bytes = 0;  // its journal record's
  std::vector<Entry> entries;
  StateDelta delta;
};
using PendingPtr = std::shared_ptr<const Pending>;

// Journal records projected per transaction at open, at most.
constexpr size_t k_catch_up_chunk = 256;

std::expected<std::unique_ptr<sqlite::Connection>, std::string> open_connection(
    const std::string& path, bool create) {
  sqlite3* db = nullptr;
  const int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX | (create ? SQLITE_OPEN_CREATE : 0);
  if (sqlite3_open_v2(path.c_str(), &db, flags, nullptr) != SQLITE_OK) {
    std::string message = db ? sqlite3_errmsg(db) : "out of memory";
    sqlite3_close_v2(db);
    return std::unexpected(cat("cannot open ", path, ": ", message));
  }
  return std::make_unique<sqlite::Connection>(db);  // owns and closes it from here on
}

// The instant `retention_us` before `now` (INT64_MIN if there is none).
TimeUs horizon(int64_t now, int64_t retention_us) {
  return TimeUs{now > INT64_MIN + retention_us ? now - retention_us : INT64_MIN};
}

// Writes `batches` and the watermark in one transaction; with retentions, forgets some of the
// idempotency keys and events past them.
std::expected<void, std::string> project(sqlite::Connection& db, ShardId shard,
                                         std::span<const PendingPtr> batches,
                                         const SqliteOptions& options) {
  if (auto r = sqlite::exec(db, "BEGIN IMMEDIATE"); !r) return r;
  std::expected<void, std::string> r;
  for (const PendingPtr& b : batches) {
    r = sqlite::write_rows(db, shard, b->entries, b->delta);
    if (!r) break;
  }
  const int64_t now = batches.empty() ? INT64_MIN : batches.back()->delta.now.us;
  if (r && options.idempotency_retention_us > 0) {
    r = sqlite::forget_keys_before(db, shard, horizon(now, options.idempotency_retention_us));
  }
  if (r && options.event_retention_us > 0) {
    r = sqlite::forget_events_before(db, shard, horizon(now, options.event_retention_us));
  }
  if (r) r = sqlite::set_journal_through(db, shard, batches.back()->record);
  if (!r) {
    (void)sqlite::exec(db, "ROLLBACK");
    return r;
  }
  return sqlite::exec(db, "COMMIT");
}

}  // namespace

struct SqliteStore::Shard {
  ShardId id = 0;

  std::unique_ptr<JournalFile> journal;  // commit()'s
  std::string record;                    // commit()'s encoding buffer
  uint64_t seq = 0;                      // commit(): the last committed entry's seq
  uint64_t removed_through = 0;          // commit(): segments up to here are gone

  std::unique_ptr<sqlite::Connection> writer;  // the projector's
  std::mutex read_mu;                          // one reader at a time
  std::unique_ptr<sqlite::Connection> reader;
  bool keys_left_out = false;  // load() left idempotency records out (read_mu)

  // Between commit() and the projector.
  std::mutex mu;
  std::condition_variable wake;     // the projector: work, or stop
  std::condition_variable drained;  // commit(): room in `pending`
  std::deque<PendingPtr> pending;   // journaled, not projected, oldest first
  size_t pending_bytes = 0;         // their records' bytes
  uint64_t projected = 0;           // the last record the tables hold
  uint64_t durable_through = 0;     // ... and have synced (segments up to it may go)
  uint64_t compact_through = 0;     // set by commit(): a closed segment ends here
  std::string failed;               // the projector's error: commits stop
  bool stopping = false;
  std::thread projector;
};

struct SqliteStore::Tail {
  sqlite::Connection& db;
  std::vector<PendingPtr> batches;  // committed after what `db` sees, oldest first
};

SqliteStore::SqliteStore(SqliteOptions options) : options_(std::move(options)) {}

SqliteStore::~SqliteStore() {
  shards_.for_each([](Shard& s) {
    {
      std::lock_guard lock(s.mu);
      s.stopping = true;
    }
    s.wake.notify_all();
    if (s.projector.joinable()) s.projector.join();
  });
}

std::expected<std::unique_ptr<SqliteStore>, StoreError> SqliteStore::open(SqliteOptions options) {
  std::error_code ec;
  std::filesystem::create_directories(options.dir, ec);
  if (ec)
    return std::unexpected(StoreError{cat("cannot create ", options.dir, ": ", ec.message())});
  return std::unique_ptr<SqliteStore>(new SqliteStore(std::move(options)));
}

std::expected<SqliteStore::Shard*, StoreError> SqliteStore::shard(ShardId id) {
  return shards_.get(id, [this](Shard& s) { return open_shard(s); });
}

// Recovery: the tables are the snapshot; the journal records after their watermark are
// projected into them now, in transactions of k_catch_up_chunk records.
std::expected<void, std::string> SqliteStore::open_shard(Shard& s) {
  const std::string path = cat(options_.dir, "/shard-", s.id, ".db");
  auto writer = open_connection(path, /*create=*/true);
  if (!writer) return std::unexpected(writer.error());
  if (auto r = sqlite::prepare_database(**writer, k_schema_version); !r) {
    return std::unexpected(cat(path, ": ", r.error()));
  }
  sqlite::Connection& db = **writer;
  const uint64_t through = sqlite::journal_through(db, s.id);
  std::vector<PendingPtr> chunk;
  auto flush = [&]() -> std::expected<void, std::string> {
    if (chunk.empty()) return {};
    auto r = project(db, s.id, chunk, options_);
    chunk.clear();
    return r;
  };
  JournalOptions jo{options_.dir, s.id, options_.journal_segment_bytes, options_.synchronous_full,
                    options_.journal_archive_dir};
  auto journal = JournalFile::open(
      jo, through, [&](uint64_t no, std::string_view payload) -> std::expected<void, std::string> {
        auto batch = decode_batch(payload);
        if (!batch) return std::unexpected(batch.error());
        chunk.push_back(std::make_shared<const Pending>(
            Pending{no, payload.size(), std::move(batch->entries), std::move(batch->delta)}));
        if (chunk.size() == k_catch_up_chunk) return flush();
        return {};
      });
  if (!journal) return std::unexpected(journal.error());
  if (auto r = flush(); !r) return std::unexpected(cat(path, ": projecting the journal: ", r.error()));
  // What the tables hold may be in the page cache only (synchronous = NORMAL before a process
  // crash, and the catch-up above): one synced transaction makes all of it durable before any
  // segment is removed on its account.
  if (options_.synchronous_full) {
    auto synced = sqlite::exec(db, "PRAGMA synchronous = FULL");
    if (synced) synced = sqlite::exec(db, "BEGIN IMMEDIATE");
    if (synced) synced = sqlite::set_journal_through(db, s.id, (*journal)->last());
    if (synced) synced = sqlite::exec(db, "COMMIT");
    if (synced) synced = sqlite::exec(db, "PRAGMA synchronous = NORMAL");
    if (!synced) return std::unexpected(cat(path, ": syncing the tables: ", synced.error()));
  }
  auto reader = open_connection(path, /*create=*/false);
  if (!reader) return std::unexpected(reader.error());
  if (auto r = sqlite::exec(**reader, "PRAGMA busy_timeout = 5000"); !r) return r;
  {
    sqlite::Stmt q(db, "SELECT value FROM meta WHERE shard_id = ? AND key = 'seq'");
    q.bind(1, s.id);
    s.seq = q.step() == SQLITE_ROW ? std::stoull(q.text(0)) : 0;
  }
  s.projected = (*journal)->last();
  // Without synchronous_full nothing is synced (tests and benchmarks): as durable as it gets.
  s.durable_through = (*journal)->last();
  s.journal = std::move(*journal);
  s.writer = std::move(*writer);
  s.reader = std::move(*reader);
  if (options_.project) {
    s.projector = std::thread([this, &s] {
      log::name_thread(cat("project-", s.id));
      project_loop(s);
    });
  }
  return {};
}

// The projector: writes every pending batch in one transaction, then lets them go. When a
// closed segment waits to be removed, that transaction is synced (synchronous = FULL syncs the
// WAL, and with it every transaction before it), so the removed records are durable in the
// tables.
void SqliteStore::project_loop(Shard& s) {
  std::vector<PendingPtr> work;
  for (;;) {
    bool sync = false;
    {
      std::unique_lock lock(s.mu);
      s.wake.wait(lock, [&] { return s.stopping || !s.pending.empty(); });
      if (s.pending.empty()) return;  // stopping, and everything is projected
      work.assign(s.pending.begin(), s.pending.end());
      sync = s.compact_through > s.durable_through && work.back()->record >= s.compact_through;
    }
    auto r = sync ? sqlite::exec(*s.writer, "PRAGMA synchronous = FULL")
                  : std::expected<void, std::string>{};
    if (r) r = project(*s.writer, s.id, work, options_);
    if (r && sync) r = sqlite::exec(*s.writer, "PRAGMA synchronous = NORMAL");
    {
      std::lock_guard lock(s.mu);
      if (!r) {
        s.failed = cat("projecting journal records ", work.front()->record, " to ",
                       work.back()->record, ": ", r.error());
        std::fprintf(stderr, "tally: shard %u: %s\n", s.id, s.failed.c_str());
      } else {
        s.projected = work.back()->record;
        if (sync) s.durable_through = s.projected;
        for (const PendingPtr& b : work) s.pending_bytes -= b->bytes;
        s.pending.erase(s.pending.begin(), s.pending.begin() + static_cast<long>(work.size()));
      }
    }
    s.drained.notify_all();
    work.clear();
    if (!r) return;
  }
}

std::expected<void, StoreError> SqliteStore::commit(ShardId id, std::span<const Entry> entries,
                                                    const StateDelta& delta) {
  auto sp = shard(id);
  if (!sp) return std::unexpected(sp.error());
  Shard& s = **sp;
  uint64_t durable = 0;
  {
    std::unique_lock lock(s.mu);
    if (options_.project) {
      s.drained.wait(lock, [&] {
        return !s.failed.empty() || (s.pending.size() < options_.pending_max &&
                                     s.pending_bytes < options_.pending_bytes_max);
      });
    }
    if (!s.failed.empty()) return std::unexpected(shard_error(id, s.failed));
    durable = s.durable_through;
  }
  // A batch that does not follow the last one is refused before it is journaled: the journal
  // only ever holds batches the tables will take.
  if (auto r = check_follows(id, s.seq, entries, delta); !r) return r;
  // Segments the tables hold durably go (at most once per segment; a no-op otherwise).
  if (durable > s.removed_through) {
    auto removed = s.journal->remove_through(durable);
    if (!removed) return std::unexpected(shard_error(id, removed.error()));
    s.removed_through = durable;
  }
  encode_batch(entries, delta, &s.record);
  const size_t segments_before = s.journal->segment_count();
  if (auto r = s.journal->append(s.record); !r) return std::unexpected(shard_error(id, r.error()));
  s.seq = delta.seq;
  auto batch = std::make_shared<Pending>();
  batch->record = s.journal->last();
  batch->bytes = s.record.size();
  batch->entries.assign(entries.begin(), entries.end());
  batch->delta = delta;
  {
    std::lock_guard lock(s.mu);
    // A new segment began: the one before it may go once the tables durably hold its end.
    if (s.journal->segment_count() > segments_before && batch->record > 1) {
      s.compact_through = batch->record - 1;
    }
    s.pending_bytes += batch->bytes;
    s.pending.push_back(std::move(batch));
  }
  s.wake.notify_one();
  return {};
}

std::expected<void, StoreError> SqliteStore::with_snapshot(
    Shard& s, const std::function<std::expected<void, std::string>(const Tail&)>& read) {
  std::lock_guard read_lock(s.read_mu);
  Tail tail{*s.reader, {}};
  if (auto r = sqlite::exec(*s.reader, "BEGIN"); !r) return std::unexpected(shard_error(s.id, r.error()));
  {
    // The read transaction's snapshot starts at its first read, taken while the projector
    // cannot let a batch go: every batch the snapshot lacks is still pending.
    std::lock_guard lock(s.mu);
    const uint64_t through = sqlite::journal_through(*s.reader, s.id);
    for (const PendingPtr& b : s.pending) {
      if (b->record > through) tail.batches.push_back(b);
    }
  }
  auto r = read(tail);
  (void)sqlite::exec(*s.reader, "COMMIT");
  if (!r) return std::unexpected(shard_error(s.id, r.error()));
  return {};
}

std::expected<LedgerState, StoreError> SqliteStore::load(ShardId id) {
  auto sp = shard(id);
  if (!sp) return std::unexpected(sp.error());
  Shard& s = **sp;
  LedgerState state;
  bool left_out = false;
  auto read = with_snapshot(s, [&](const Tail& tail) -> std::expected<void, std::string> {
    auto loaded = sqlite::read_state(tail.db, id, options_.idempotency_loaded_max, &left_out);
    if (!loaded) return std::unexpected(loaded.error());
    state = std::move(*loaded);
    for (const PendingPtr& b : tail.batches) apply_delta(&state, b->delta);
    return {};
  });
  if (!read) return std::unexpected(read.error());
  std::lock_guard lock(s.read_mu);
  s.keys_left_out = left_out;
  return state;
}

namespace {

// The tail's entries with seq > after_seq (of `account` only, if set), after what the tables
// gave; false once `visit` stops.
bool visit_tail(const std::vector<PendingPtr>& batches, uint64_t after_seq,
                std::string_view account, const std::function<bool(const Entry&)>& visit) {
  for (const PendingPtr& b : batches) {
    for (const Entry& e : b->entries) {
      if (e.seq <= after_seq || (!account.empty() && e.account != account)) continue;
      if (!visit(e)) return false;
    }
  }
  return true;
}

}  // namespace

std::expected<void, StoreError> SqliteStore::scan_entries(
    ShardId shard_id, uint64_t after_seq, const std::function<bool(const Entry&)>& visit) {
  return scan_account_entries(shard_id, {}, after_seq, visit);
}

std::expected<void, StoreError> SqliteStore::scan_account_entries(
    ShardId id, std::string_view account, uint64_t after_seq,
    const std::function<bool(const Entry&)>& visit) {
  auto sp = shard(id);
  if (!sp) return std::unexpected(sp.error());
  return with_snapshot(**sp, [&](const Tail& tail) -> std::expected<void, std::string> {
    bool more = true;
    auto scanned = sqlite::scan_entries(
        tail.db, id, after_seq,
        [&](const Entry& e) {
          more = visit(e);
          return more;
        },
        account);
    if (!scanned) return scanned;
    if (more) visit_tail(tail.batches, after_seq, account, visit);
    return {};
  });
}

std::expected<void, StoreError> SqliteStore::scan_events(
    ShardId id, uint64_t after_seq, std::string_view account,
    const std::function<bool(const Event&)>& visit) {
  auto sp = shard(id);
  if (!sp) return std::unexpected(sp.error());
  return with_snapshot(**sp, [&](const Tail& tail) -> std::expected<void, std::string> {
    bool more = true;
    auto scanned = sqlite::scan_events(tail.db, id, after_seq, account, [&](const Event& e) {
      more = visit(e);
      return more;
    });
    if (!scanned || !more) return scanned;
    for (const PendingPtr& b : tail.batches) {
      for (const Event& e : b->delta.events) {
        if (e.seq <= after_seq || (!account.empty() && e.account != account)) continue;
        if (!visit(e)) return {};
      }
    }
    return {};
  });
}

std::expected<void, StoreError> SqliteStore::scan_audit(
    ShardId id, uint64_t after_seq, const AuditFilter& filter,
    const std::function<bool(const AuditLine&)>& visit) {
  auto sp = shard(id);
  if (!sp) return std::unexpected(sp.error());
  return with_snapshot(**sp, [&](const Tail& tail) -> std::expected<void, std::string> {
    bool more = true;
    auto scanned = sqlite::scan_audit(tail.db, id, after_seq, filter, [&](const AuditLine& l) {
      more = visit(l);
      return more;
    });
    if (!scanned || !more) return scanned;
    // The batches the tables do not hold yet follow them.
    for (const PendingPtr& b : tail.batches) {
      for (const AuditLine& l : b->delta.audit) {
        if (l.seq <= after_seq || !audit_matches(l, filter)) continue;
        if (!visit(l)) return {};
      }
    }
    return {};
  });
}

std::expected<void, StoreError> SqliteStore::find_newest(
    ShardId id, const std::function<bool(const StateDelta&)>& in_tail,
    const std::function<std::expected<void, std::string>(sqlite::Connection&)>& in_tables) {
  auto sp = shard(id);
  if (!sp) return std::unexpected(sp.error());
  return with_snapshot(**sp, [&](const Tail& tail) -> std::expected<void, std::string> {
    for (auto b = tail.batches.rbegin(); b != tail.batches.rend(); ++b) {  // newest first
      if (in_tail((*b)->delta)) return {};
    }
    return in_tables(tail.db);
  });
}

namespace {

// The last element of `items` that `match` accepts, or nullopt.
template <typename T, typename Match>
std::optional<T> last_of(const std::vector<T>& items, Match match) {
  auto it = std::find_if(items.rbegin(), items.rend(), match);
  if (it == items.rend()) return std::nullopt;
  return *it;
}

// Sets `*out` from a table read that may fail.
template <typename T>
std::expected<void, std::string> from_table(std::expected<std::optional<T>, std::string> read,
                                            std::optional<T>* out) {
  if (!read) return std::unexpected(read.error());
  *out = std::move(*read);
  return {};
}

}  // namespace

std::expected<std::optional<IdempotencyRecord>, StoreError> SqliteStore::find_idempotency(
    ShardId id, std::string_view key) {
  std::optional<IdempotencyRecord> found;
  auto read = find_newest(
      id,
      [&](const StateDelta& d) {
        found = last_of(d.idempotency_put, [&](const IdempotencyRecord& r) { return r.key == key; });
        return found.has_value();
      },
      [&](sqlite::Connection& db) {
        return from_table(sqlite::find_idempotency(db, id, key), &found);
      });
  if (!read) return std::unexpected(read.error());
  return found;
}

std::expected<std::optional<Spend>, StoreError> SqliteStore::find_spend(ShardId id,
                                                                        SpendId spend) {
  std::optional<Spend> found;
  auto read = find_newest(
      id,
      [&](const StateDelta& d) {
        found = last_of(d.spends_put, [&](const Spend& s) { return s.id == spend; });
        return found.has_value();
      },
      [&](sqlite::Connection& db) { return from_table(sqlite::find_spend(db, id, spend), &found); });
  if (!read) return std::unexpected(read.error());
  return found;
}

std::expected<std::optional<FinishedHold>, StoreError> SqliteStore::find_finished_hold(
    ShardId id, HoldId hold) {
  std::optional<FinishedHold> found;
  auto read = find_newest(
      id,
      [&](const StateDelta& d) {
        auto f = last_of(d.finished_put,
                         [&](const std::pair<HoldId, FinishedHold>& x) { return x.first == hold; });
        if (f) found = f->second;
        return found.has_value();
      },
      [&](sqlite::Connection& db) -> std::expected<void, std::string> {
        found = sqlite::find_finished_hold(db, id, hold);
        return {};
      });
  if (!read) return std::unexpected(read.error());
  return found;
}

std::expected<std::optional<Lot>, StoreError> SqliteStore::find_lot(ShardId id, LotId lot) {
  std::optional<Lot> found;
  auto read = find_newest(
      id,
      [&](const StateDelta& d) {
        for (auto a = d.accounts.rbegin(); a != d.accounts.rend() && !found; ++a) {
          found = last_of(a->lots, [&](const Lot& l) { return l.id == lot; });
        }
        return found.has_value();
      },
      [&](sqlite::Connection& db) { return from_table(sqlite::find_lot(db, id, lot), &found); });
  if (!read) return std::unexpected(read.error());
  return found;
}

std::expected<bool, StoreError> SqliteStore::has_cold_keys(ShardId id) {
  auto sp = shard(id);
  if (!sp) return std::unexpected(sp.error());
  bool cold = false;
  auto read = with_snapshot(**sp, [&](const Tail& tail) -> std::expected<void, std::string> {
    cold = (*sp)->keys_left_out || sqlite::meta_value(tail.db, id, "idempotency_cold_until_us").has_value();
    for (const PendingPtr& b : tail.batches) cold = cold || !b->delta.idempotency_gone.empty();
    return {};
  });
  if (!read) return std::unexpected(read.error());
  return cold;
}

std::expected<void, StoreError> SqliteStore::scan_idempotency_keys(
    ShardId id, const std::function<void(std::string_view)>& visit) {
  auto sp = shard(id);
  if (!sp) return std::unexpected(sp.error());
  return with_snapshot(**sp, [&](const Tail& tail) -> std::expected<void, std::string> {
    // Reads the (shard_id, key) index only, not the rows and their replies.
    sqlite::Stmt q(tail.db, "SELECT key FROM idempotency WHERE shard_id = ?");
    q.bind(1, id);
    int rc;
    while ((rc = q.step()) == SQLITE_ROW) visit(q.bytes(0));
    if (rc != SQLITE_DONE) return std::unexpected(cat("reading keys: ", sqlite3_errmsg(tail.db.raw)));
    for (const PendingPtr& b : tail.batches) {
      for (const IdempotencyRecord& r : b->delta.idempotency_put) visit(r.key);
    }
    return {};
  });
}

std::expected<SqliteStore::JournalState, StoreError> SqliteStore::journal_state(ShardId id) {
  auto sp = shard(id);
  if (!sp) return std::unexpected(sp.error());
  Shard& s = **sp;
  std::lock_guard lock(s.mu);
  return JournalState{s.journal->last(), s.projected, s.journal->segment_count()};
}

}  // namespace tally::store
