#include "store/pg_store.h"

#include "ledger/text.h"
#include "store/checksum.h"
#include "store/codec.h"
#include "store/pg_conn.h"
#include "store/pg_schema.h"

namespace tally::store {
namespace {

// Retention deletes run on every k_forget_every-th commit of a shard (each deletes at most
// pg::k_forget_max rows): a busy shard catches up over several, an idle one costs nothing.
constexpr uint64_t k_forget_every = 64;

// The instant `retention_us` before `now`, or none without a retention.
std::optional<TimeUs> horizon(TimeUs now, int64_t retention_us) {
  if (retention_us <= 0) return std::nullopt;
  return TimeUs{now.us > INT64_MIN + retention_us ? now.us - retention_us : INT64_MIN};
}

}  // namespace

bool is_postgres_url(std::string_view text) {
  return text.starts_with("postgresql://") || text.starts_with("postgres://");
}

std::string url_for_display(std::string_view url) {
  std::string out(url);
  const size_t scheme = out.find("://");
  const size_t start = scheme == std::string::npos ? 0 : scheme + 3;
  const size_t at = out.find('@', start);
  const size_t slash = out.find('/', start);
  const size_t colon = out.find(':', start);
  if (scheme != std::string::npos && at != std::string::npos &&
      (slash == std::string::npos || at < slash) && colon < at) {
    out.replace(colon + 1, at - colon - 1, "***");
  }
  // A password given as a parameter (?password=... or password=... in key=value form) too.
  const size_t param = out.find("password=");
  if (param != std::string::npos) {
    const size_t value = param + 9;
    size_t end = out.find_first_of("& ", value);
    if (end == std::string::npos) end = out.size();
    out.replace(value, end - value, "***");
  }
  return out;
}

struct PgStore::Shard {
  ShardId id = 0;

  std::unique_ptr<pg::Connection> writer;  // commit()'s
  uint64_t seq = 0;                        // the last committed entry's seq
  uint64_t record = 0;                     // the last journal record
  std::string payload;                     // commit()'s encoding buffer
  std::vector<pg::Queued> statements;      // commit()'s
  std::string failed;                      // a commit failed: the shard stops

  std::mutex read_mu;  // one reader at a time
  std::unique_ptr<pg::Connection> reader;
  bool keys_left_out = false;  // load() left idempotency records out (read_mu)
};

PgStore::PgStore(PgOptions options) : options_(std::move(options)) {}
PgStore::~PgStore() = default;

std::expected<PgStore::Migrated, StoreError> PgStore::migrate(const std::string& url,
                                                              const std::string& schema) {
  auto db = pg::Connection::open(url, schema);
  if (!db) return std::unexpected(StoreError{db.error()});
  auto from = pg::migrate(**db, schema, k_schema_version);
  if (!from) {
    return std::unexpected(StoreError{cat((*db)->where(), ": schema: ", from.error())});
  }
  return Migrated{*from, k_schema_version};
}

std::expected<std::unique_ptr<PgStore>, StoreError> PgStore::open(PgOptions options) {
  if (auto m = migrate(options.url, options.schema); !m) return std::unexpected(m.error());
  return std::unique_ptr<PgStore>(new PgStore(std::move(options)));
}

std::expected<size_t, StoreError> PgStore::claim_shard_count(size_t requested, size_t fallback) {
  auto db = pg::Connection::open(options_.url, options_.schema);
  if (!db) return std::unexpected(StoreError{db.error()});
  // Inserted if missing, in one statement: two nodes starting together agree on one count.
  const size_t wanted = requested > 0 ? requested : fallback;
  auto r = (*db)->query(
      "WITH put AS (INSERT INTO meta VALUES (-1, 'shards', $1) ON CONFLICT DO NOTHING "
      "RETURNING value) SELECT value FROM put UNION ALL "
      "SELECT value FROM meta WHERE shard_id = -1 AND key = 'shards'",
      pg::Params().text(std::to_string(wanted)));
  if (!r) return std::unexpected(StoreError{cat((*db)->where(), ": ", r.error())});
  const size_t stored = r->size() > 0 ? std::stoul(r->text(0, 0)) : wanted;
  if (requested > 0 && requested != stored) {
    return std::unexpected(
        StoreError{cat("the database holds ", stored, " shards; start with --shards ", stored,
                       " (changing the shard count of existing data is not supported)")});
  }
  return stored;
}

std::expected<std::vector<ShardId>, StoreError> PgStore::shards_in_use() {
  auto db = pg::Connection::open(options_.url, options_.schema);
  if (!db) return std::unexpected(StoreError{db.error()});
  auto r = (*db)->query("SELECT DISTINCT shard_id FROM meta WHERE shard_id >= 0 ORDER BY 1");
  if (!r) return std::unexpected(StoreError{cat((*db)->where(), ": ", r.error())});
  std::vector<ShardId> out;
  for (int i = 0; i < r->size(); ++i) out.push_back(static_cast<ShardId>(r->i64(i, 0)));
  return out;
}

std::expected<PgStore::Shard*, StoreError> PgStore::shard(ShardId id) {
  return shards_.get(id, [this](Shard& s) { return open_shard(s); });
}

// Nothing to recover: every committed batch is in the tables. The writer only needs where the
// shard's journal and entries end.
std::expected<void, std::string> PgStore::open_shard(Shard& s) {
  auto writer = connect(/*writer=*/true);
  if (!writer) return std::unexpected(writer.error());
  auto reader = connect(/*writer=*/false);
  if (!reader) return std::unexpected(reader.error());
  auto record = pg::last_record(**writer, s.id);
  if (!record) return std::unexpected(record.error());
  auto seq = pg::last_seq(**writer, s.id);
  if (!seq) return std::unexpected(seq.error());
  s.record = *record;
  s.seq = *seq;
  s.writer = std::move(*writer);
  s.reader = std::move(*reader);
  return {};
}

std::expected<std::unique_ptr<pg::Connection>, std::string> PgStore::connect(bool writer) const {
  auto c = pg::Connection::open(options_.url, options_.schema);
  if (!c || !writer || options_.lease_ms <= 0) return c;
  if (auto r = (*c)->exec(pg::writer_session_sql(options_.lease_ms)); !r) {
    return std::unexpected(cat((*c)->where(), ": ", r.error()));
  }
  return c;
}

std::expected<void, std::string> PgStore::reopen_if_broken(ShardId id, bool writer,
                                                           std::unique_ptr<pg::Connection>* conn) {
  if ((*conn)->alive()) return {};
  const std::string was = (*conn)->where();
  auto c = connect(writer);
  if (!c) return std::unexpected(c.error());
  *conn = std::move(*c);
  if (options_.on_reconnected) {
    options_.on_reconnected(cat("shard ", id, ": the ", writer ? "writer" : "reader",
                                " connection to ", was, " broke; reconnected to ",
                                (*conn)->where()));
  }
  return {};
}

std::expected<void, StoreError> PgStore::commit(ShardId id, std::span<const Entry> entries,
                                                const StateDelta& delta) {
  auto sp = shard(id);
  if (!sp) return std::unexpected(sp.error());
  Shard& s = **sp;
  if (!s.failed.empty()) return std::unexpected(shard_error(id, s.failed));
  if (auto r = check_follows(id, s.seq, entries, delta); !r) return r;
  encode_batch(entries, delta, &s.payload);
  s.statements.clear();
  std::string fence_node;
  int64_t fence_epoch = 0;
  {
    std::lock_guard lock(fence_mu_);
    fence_node = fence_node_;
    fence_epoch = fence_epoch_;
  }
  // A connection that broke while idle is opened again: nothing of this batch was sent, so
  // nothing is in doubt. One that breaks from here on leaves the commit's outcome unknown.
  if (auto r = reopen_if_broken(id, /*writer=*/true, &s.writer); !r) {
    s.failed = cat("reconnecting before journal record ", s.record + 1, ": ", r.error());
    return std::unexpected(shard_error(id, s.failed));
  }
  if (!fence_node.empty()) pg::queue_fence(id, fence_node, fence_epoch, &s.statements);
  pg::queue_batch(id, s.record + 1, fence_epoch, s.payload, entries, delta, &s.statements);
  if ((s.record + 1) % k_forget_every == 0) {
    pg::queue_forget(id, horizon(delta.now, options_.idempotency_retention_us),
                     horizon(delta.now, options_.event_retention_us), &s.statements);
  }
  if (auto r = s.writer->transaction(s.statements); !r) {
    // Fail-stop: the caller stops; whether an interrupted COMMIT took effect is for the next
    // start to read. Asking now would not settle it: a commit waiting for the synchronous
    // standby stays invisible until that wait ends, and a wait ended without the standby (its
    // session cancelled) leaves it on the primary alone (docs/storage.md "PostgreSQL fails
    // over").
    s.failed = cat("committing journal record ", s.record + 1, ": ", r.error());
    if (r.error().starts_with("fenced:") && options_.on_fenced) options_.on_fenced(s.failed);
    return std::unexpected(shard_error(id, s.failed));
  }
  s.record += 1;
  s.seq = delta.seq;
  return {};
}

void PgStore::set_fence(std::string node, int64_t epoch) {
  std::lock_guard lock(fence_mu_);
  fence_node_ = std::move(node);
  fence_epoch_ = epoch;
}

template <typename F>
std::expected<void, StoreError> PgStore::read(ShardId id, F&& body) {
  auto sp = shard(id);
  if (!sp) return std::unexpected(sp.error());
  Shard& s = **sp;
  std::lock_guard lock(s.read_mu);
  if (auto r = reopen_if_broken(id, /*writer=*/false, &s.reader); !r) {
    return std::unexpected(shard_error(id, r.error()));
  }
  pg::Connection& db = *s.reader;
  if (auto r = db.exec("BEGIN ISOLATION LEVEL REPEATABLE READ, READ ONLY"); !r) {
    return std::unexpected(shard_error(id, r.error()));
  }
  std::expected<void, std::string> r = body(s, db);
  (void)db.exec(r ? "COMMIT" : "ROLLBACK");
  if (!r) {
    // The scans' messages already name the shard.
    return std::unexpected(r.error().starts_with("shard ") ? StoreError{r.error()}
                                                           : shard_error(id, r.error()));
  }
  return {};
}

std::expected<LedgerState, StoreError> PgStore::load(ShardId id) {
  LedgerState state;
  auto r = read(id, [&](Shard& s, pg::Connection& db) -> std::expected<void, std::string> {
    auto loaded = pg::read_state(db, id, options_.idempotency_loaded_max, &s.keys_left_out);
    if (!loaded) return std::unexpected(loaded.error());
    state = std::move(*loaded);
    return {};
  });
  if (!r) return std::unexpected(r.error());
  return state;
}

std::expected<void, StoreError> PgStore::scan_entries(
    ShardId id, uint64_t after_seq, const std::function<bool(const Entry&)>& visit) {
  return scan_account_entries(id, {}, after_seq, visit);
}

std::expected<void, StoreError> PgStore::scan_account_entries(
    ShardId id, std::string_view account, uint64_t after_seq,
    const std::function<bool(const Entry&)>& visit) {
  return read(id, [&](Shard&, pg::Connection& db) {
    return pg::scan_entries(db, id, after_seq, account, visit);
  });
}

std::expected<void, StoreError> PgStore::scan_events(
    ShardId id, uint64_t after_seq, std::string_view account,
    const std::function<bool(const Event&)>& visit) {
  return read(id, [&](Shard&, pg::Connection& db) {
    return pg::scan_events(db, id, after_seq, account, visit);
  });
}

std::expected<void, StoreError> PgStore::scan_audit(
    ShardId id, uint64_t after_seq, const AuditFilter& filter,
    const std::function<bool(const AuditLine&)>& visit) {
  return read(id, [&](Shard&, pg::Connection& db) {
    return pg::scan_audit(db, id, after_seq, filter, visit);
  });
}

namespace {

// Reads one optional record into `*out`.
template <typename T>
std::expected<void, std::string> into(std::expected<std::optional<T>, std::string> read,
                                      std::optional<T>* out) {
  if (!read) return std::unexpected(read.error());
  *out = std::move(*read);
  return {};
}

}  // namespace

std::expected<std::optional<IdempotencyRecord>, StoreError> PgStore::find_idempotency(
    ShardId id, std::string_view key) {
  std::optional<IdempotencyRecord> found;
  auto r = read(id, [&](Shard&, pg::Connection& db) {
    return into(pg::find_idempotency(db, id, key), &found);
  });
  if (!r) return std::unexpected(r.error());
  return found;
}

std::expected<std::optional<Spend>, StoreError> PgStore::find_spend(ShardId id, SpendId spend) {
  std::optional<Spend> found;
  auto r = read(
      id, [&](Shard&, pg::Connection& db) { return into(pg::find_spend(db, id, spend), &found); });
  if (!r) return std::unexpected(r.error());
  return found;
}

std::expected<std::optional<FinishedHold>, StoreError> PgStore::find_finished_hold(ShardId id,
                                                                                   HoldId hold) {
  std::optional<FinishedHold> found;
  auto r = read(id, [&](Shard&, pg::Connection& db) {
    return into(pg::find_finished_hold(db, id, hold), &found);
  });
  if (!r) return std::unexpected(r.error());
  return found;
}

std::expected<std::optional<Lot>, StoreError> PgStore::find_lot(ShardId id, LotId lot) {
  std::optional<Lot> found;
  auto r =
      read(id, [&](Shard&, pg::Connection& db) { return into(pg::find_lot(db, id, lot), &found); });
  if (!r) return std::unexpected(r.error());
  return found;
}

std::expected<bool, StoreError> PgStore::has_cold_keys(ShardId id) {
  bool cold = false;
  auto r = read(id, [&](Shard& s, pg::Connection& db) -> std::expected<void, std::string> {
    auto mark = pg::meta_value(db, id, "idempotency_cold_until_us");
    if (!mark) return std::unexpected(mark.error());
    cold = s.keys_left_out || mark->has_value();
    return {};
  });
  if (!r) return std::unexpected(r.error());
  return cold;
}

std::expected<void, StoreError> PgStore::scan_idempotency_keys(
    ShardId id, const std::function<void(std::string_view)>& visit) {
  return read(id, [&](Shard&, pg::Connection& db) { return pg::scan_keys(db, id, visit); });
}

std::expected<uint64_t, StoreError> PgStore::check_journal(ShardId id) {
  uint64_t last = 0;
  auto r = read(id, [&](Shard&, pg::Connection& db) -> std::expected<void, std::string> {
    uint64_t seq = 0;
    auto scanned = pg::scan_journal(
        db, id,
        [&](uint64_t record, std::string_view payload,
            uint32_t checksum) -> std::expected<void, std::string> {
          if (record != last + 1) {
            return std::unexpected(cat("journal record ", last + 1, " is missing"));
          }
          if (crc32c(0, payload) != checksum) {
            return std::unexpected(cat("journal record ", record, " fails its checksum"));
          }
          auto batch = decode_batch(payload);
          if (!batch) return std::unexpected(cat("journal record ", record, ": ", batch.error()));
          for (const Entry& e : batch->entries) {
            if (e.seq != ++seq) {
              return std::unexpected(
                  cat("journal record ", record, ": entry ", e.seq, " does not follow ", seq - 1));
            }
          }
          last = record;
          return {};
        });
    if (!scanned) return scanned;
    // The entries table holds exactly the journal's entries.
    auto rows = db.query("SELECT count(*), coalesce(max(seq), 0) FROM entries WHERE shard_id = $1",
                         pg::Params().i64(id));
    if (!rows) return std::unexpected(rows.error());
    if (static_cast<uint64_t>(rows->i64(0, 0)) != seq ||
        static_cast<uint64_t>(rows->i64(0, 1)) != seq) {
      return std::unexpected(cat("the journal holds entries 1 to ", seq, ", the entries table ",
                                 rows->i64(0, 0), " rows up to ", rows->i64(0, 1)));
    }
    return {};
  });
  if (!r) return std::unexpected(r.error());
  return last;
}

}  // namespace tally::store
