#include "store/webhooks_db.h"

#include <climits>

#include "ledger/text.h"
#include "store/sqlite_schema.h"

namespace tally::store {
namespace {

constexpr const char* k_pragmas = R"SQL(
PRAGMA journal_mode = WAL;
PRAGMA synchronous = FULL;
PRAGMA busy_timeout = 5000;
)SQL";

// Each step takes the schema from version i to i + 1 (docs/webhooks.md).
constexpr const char* k_migrations[] = {
    "CREATE TABLE webhooks (id TEXT PRIMARY KEY, url TEXT NOT NULL, event_types TEXT NOT NULL,"
    " description TEXT NOT NULL, secret TEXT NOT NULL, previous_secret TEXT NOT NULL,"
    " previous_valid_until_us INTEGER NOT NULL, created_at_us INTEGER NOT NULL,"
    " disabled_at_us INTEGER, disabled_reason TEXT NOT NULL, failing_since_us INTEGER,"
    " failures INTEGER NOT NULL, next_attempt_at_us INTEGER);"
    "CREATE TABLE webhook_cursors (webhook_id TEXT NOT NULL, shard INTEGER NOT NULL,"
    " seq INTEGER NOT NULL, PRIMARY KEY (webhook_id, shard)) WITHOUT ROWID;"
    "CREATE TABLE webhook_attempts (id INTEGER PRIMARY KEY AUTOINCREMENT,"
    " webhook_id TEXT NOT NULL, event_id INTEGER NOT NULL, event_type TEXT NOT NULL,"
    " at_us INTEGER NOT NULL, status INTEGER NOT NULL, error TEXT NOT NULL,"
    " latency_ms INTEGER NOT NULL, redelivery INTEGER NOT NULL);"
    "CREATE INDEX webhook_attempts_by_webhook ON webhook_attempts (webhook_id, id);"
    "CREATE TABLE webhook_redeliveries (webhook_id TEXT NOT NULL, event_id INTEGER NOT NULL,"
    " requested_at_us INTEGER NOT NULL, PRIMARY KEY (webhook_id, event_id)) WITHOUT ROWID;",
    // 2: platform events (webhook.disabled); an endpoint's position in them is its cursor of
    // shard k_platform_shard.
    "CREATE TABLE platform_events (seq INTEGER PRIMARY KEY, at_us INTEGER NOT NULL,"
    " type TEXT NOT NULL, webhook_id TEXT NOT NULL, data TEXT NOT NULL);",
};
constexpr int k_schema_version = static_cast<int>(std::size(k_migrations));

int64_t i64(uint64_t v) {
  return static_cast<int64_t>(v);
}

std::optional<TimeUs> opt_time(const sqlite::Stmt& q, int col) {
  if (q.is_null(col)) return std::nullopt;
  return TimeUs{q.i64(col)};
}

void bind_opt(sqlite::Stmt& q, int i, std::optional<TimeUs> t) {
  if (t) {
    q.bind(i, t->us);
  } else {
    q.null(i);
  }
}

}  // namespace

struct WebhooksDb::Db {
  explicit Db(sqlite3* raw) : conn(raw) {}
  sqlite::Connection conn;
  StoreError error(std::string_view what) const {
    return StoreError{cat("webhooks.db: ", what, ": ", sqlite3_errmsg(conn.raw))};
  }
};

WebhooksDb::WebhooksDb(std::unique_ptr<Db> db) : db_(std::move(db)) {}
WebhooksDb::~WebhooksDb() = default;

std::expected<std::unique_ptr<WebhooksDb>, StoreError> WebhooksDb::open(const std::string& path) {
  sqlite3* raw = nullptr;
  const int rc =
      sqlite3_open_v2(path.c_str(), &raw,
                      SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, nullptr);
  auto db = std::make_unique<Db>(raw);  // closes `raw` on every path
  if (rc != SQLITE_OK) return std::unexpected(db->error(cat("open ", path)));
  if (auto r = sqlite::exec(db->conn, k_pragmas); !r) {
    return std::unexpected(StoreError{cat("webhooks.db: ", path, ": ", r.error())});
  }
  int version = 0;
  {
    sqlite::Stmt q(db->conn, "PRAGMA user_version");
    if (q.step() == SQLITE_ROW) version = static_cast<int>(q.i64(0));
  }
  if (version > k_schema_version) {
    return std::unexpected(StoreError{
        cat(path, " has schema version ", version, "; this tally knows up to ", k_schema_version)});
  }
  for (; version < k_schema_version; ++version) {
    const std::string step = cat("BEGIN IMMEDIATE;", k_migrations[version],
                                 "PRAGMA user_version = ", version + 1, "; COMMIT;");
    if (auto r = sqlite::exec(db->conn, step.c_str()); !r) {
      (void)sqlite::exec(db->conn, "ROLLBACK");
      return std::unexpected(
          StoreError{cat(path, ": migrating from schema version ", version, ": ", r.error())});
    }
  }
  return std::unique_ptr<WebhooksDb>(new WebhooksDb(std::move(db)));
}

std::expected<std::vector<WebhookRecord>, StoreError> WebhooksDb::load(size_t shards) {
  std::lock_guard lock(mu_);
  std::vector<WebhookRecord> out;
  sqlite::Stmt q(db_->conn,
                 "SELECT id, url, event_types, description, secret, previous_secret,"
                 " previous_valid_until_us, created_at_us, disabled_at_us, disabled_reason,"
                 " failing_since_us, failures, next_attempt_at_us FROM webhooks"
                 " ORDER BY created_at_us, id");
  int rc;
  while ((rc = q.step()) == SQLITE_ROW) {
    WebhookRecord w;
    w.id = q.text(0);
    w.url = q.text(1);
    w.event_types = q.text(2);
    w.description = q.text(3);
    w.secret = q.text(4);
    w.previous_secret = q.text(5);
    w.previous_valid_until = TimeUs{q.i64(6)};
    w.created_at = TimeUs{q.i64(7)};
    w.disabled_at = opt_time(q, 8);
    w.disabled_reason = q.text(9);
    w.failing_since = opt_time(q, 10);
    w.failures = static_cast<uint32_t>(q.i64(11));
    w.next_attempt_at = opt_time(q, 12);
    w.cursors.assign(shards, 0);
    out.push_back(std::move(w));
  }
  if (rc != SQLITE_DONE) return std::unexpected(db_->error("load"));
  for (WebhookRecord& w : out) {
    sqlite::Stmt c(db_->conn, "SELECT shard, seq FROM webhook_cursors WHERE webhook_id = ?");
    c.bind(1, w.id);
    while ((rc = c.step()) == SQLITE_ROW) {
      const auto shard = static_cast<size_t>(c.i64(0));
      if (shard < shards) w.cursors[shard] = static_cast<uint64_t>(c.i64(1));
      if (shard == k_platform_shard) w.platform_cursor = static_cast<uint64_t>(c.i64(1));
    }
    if (rc != SQLITE_DONE) return std::unexpected(db_->error("load cursors"));
  }
  return out;
}

std::expected<void, StoreError> WebhooksDb::in_transaction(std::string_view what,
                                                           const std::function<bool()>& write) {
  if (!sqlite::exec(db_->conn, "BEGIN IMMEDIATE")) return std::unexpected(db_->error(what));
  if (!write()) {
    StoreError e = db_->error(what);
    (void)sqlite::exec(db_->conn, "ROLLBACK");
    return std::unexpected(e);
  }
  if (!sqlite::exec(db_->conn, "COMMIT")) {
    StoreError e = db_->error(what);
    (void)sqlite::exec(db_->conn, "ROLLBACK");
    return std::unexpected(e);
  }
  return {};
}

bool WebhooksDb::write_fields(const WebhookRecord& w) {
  sqlite::Stmt q(db_->conn,
                 "INSERT INTO webhooks (id, url, event_types, description, secret,"
                 " previous_secret, previous_valid_until_us, created_at_us, disabled_at_us,"
                 " disabled_reason, failing_since_us, failures, next_attempt_at_us)"
                 " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (id) DO UPDATE SET"
                 " url = excluded.url, event_types = excluded.event_types,"
                 " description = excluded.description, secret = excluded.secret,"
                 " previous_secret = excluded.previous_secret,"
                 " previous_valid_until_us = excluded.previous_valid_until_us,"
                 " disabled_at_us = excluded.disabled_at_us,"
                 " disabled_reason = excluded.disabled_reason,"
                 " failing_since_us = excluded.failing_since_us, failures = excluded.failures,"
                 " next_attempt_at_us = excluded.next_attempt_at_us");
  q.bind(1, w.id).bind(2, w.url).bind(3, w.event_types).bind(4, w.description);
  q.bind(5, w.secret).bind(6, w.previous_secret).bind(7, w.previous_valid_until.us);
  q.bind(8, w.created_at.us);
  bind_opt(q, 9, w.disabled_at);
  q.bind(10, w.disabled_reason);
  bind_opt(q, 11, w.failing_since);
  q.bind(12, static_cast<int64_t>(w.failures));
  bind_opt(q, 13, w.next_attempt_at);
  return q.run();
}

bool WebhooksDb::write_attempt(const DeliveryAttempt& a) {
  sqlite::Stmt q(db_->conn,
                 "INSERT INTO webhook_attempts (webhook_id, event_id, event_type, at_us, status,"
                 " error, latency_ms, redelivery) VALUES (?, ?, ?, ?, ?, ?, ?, ?)");
  q.bind(1, a.webhook).bind(2, i64(a.event_id)).bind(3, a.event_type).bind(4, a.at.us);
  q.bind(5, a.status).bind(6, a.error).bind(7, a.latency_ms).bind(8, a.redelivery ? 1 : 0);
  return q.run();
}

bool WebhooksDb::prune_attempts(const std::string& webhook) {
  // Bounded: the oldest attempts past the limit go.
  sqlite::Stmt prune(db_->conn,
                     "DELETE FROM webhook_attempts WHERE webhook_id = ? AND id <= (SELECT id FROM"
                     " webhook_attempts WHERE webhook_id = ? ORDER BY id DESC LIMIT 1 OFFSET ?)");
  prune.bind(1, webhook)
      .bind(2, webhook)
      .bind(3, static_cast<int64_t>(k_attempts_kept_per_webhook));
  return prune.run();
}

bool WebhooksDb::write_cursor(const std::string& webhook, int64_t shard, uint64_t seq) {
  sqlite::Stmt c(
      db_->conn,
      "INSERT OR REPLACE INTO webhook_cursors (webhook_id, shard, seq) VALUES (?, ?, ?)");
  return c.bind(1, webhook).bind(2, shard).bind(3, i64(seq)).run();
}

std::expected<void, StoreError> WebhooksDb::insert(const WebhookRecord& w) {
  std::lock_guard lock(mu_);
  return in_transaction("insert", [&] {
    if (!write_fields(w)) return false;
    for (size_t s = 0; s < w.cursors.size(); ++s) {
      if (!write_cursor(w.id, static_cast<int64_t>(s), w.cursors[s])) return false;
    }
    return write_cursor(w.id, k_platform_shard, w.platform_cursor);
  });
}

std::expected<void, StoreError> WebhooksDb::remove(std::string_view id) {
  std::lock_guard lock(mu_);
  return in_transaction("remove", [&] {
    sqlite::Stmt a(db_->conn, "DELETE FROM webhooks WHERE id = ?");
    sqlite::Stmt b(db_->conn, "DELETE FROM webhook_cursors WHERE webhook_id = ?");
    sqlite::Stmt c(db_->conn, "DELETE FROM webhook_attempts WHERE webhook_id = ?");
    sqlite::Stmt d(db_->conn, "DELETE FROM webhook_redeliveries WHERE webhook_id = ?");
    return a.bind(1, id).run() && b.bind(1, id).run() && c.bind(1, id).run() && d.bind(1, id).run();
  });
}

std::expected<void, StoreError> WebhooksDb::update(const WebhookRecord& w) {
  std::lock_guard lock(mu_);
  return in_transaction("update", [&] { return write_fields(w); });
}

std::expected<void, StoreError> WebhooksDb::save(const WebhookRecord& w, ShardId shard,
                                                 std::span<const DeliveryAttempt> attempts,
                                                 PlatformEvent* event) {
  std::lock_guard lock(mu_);
  return in_transaction("save", [&] {
    const uint64_t seq = shard == k_platform_shard ? w.platform_cursor : w.cursors.at(shard);
    if (!write_fields(w) || !write_cursor(w.id, shard, seq)) return false;
    for (const DeliveryAttempt& a : attempts) {
      if (!write_attempt(a)) return false;
    }
    if (!attempts.empty() && !prune_attempts(w.id)) return false;
    if (event == nullptr) return true;
    sqlite::Stmt q(db_->conn,
                   "INSERT INTO platform_events (at_us, type, webhook_id, data) VALUES (?, ?, ?, ?)"
                   " RETURNING seq");
    q.bind(1, event->at.us).bind(2, event->type).bind(3, event->webhook).bind(4, event->data);
    if (q.step() != SQLITE_ROW) return false;
    event->seq = static_cast<uint64_t>(q.i64(0));
    if (q.step() != SQLITE_DONE) return false;
    sqlite::Stmt prune(db_->conn, "DELETE FROM platform_events WHERE seq <= ?");
    return prune.bind(1, i64(event->seq) - static_cast<int64_t>(k_platform_events_kept)).run();
  });
}

std::expected<std::vector<DeliveryAttempt>, StoreError> WebhooksDb::attempts(std::string_view id,
                                                                             size_t limit) {
  std::lock_guard lock(mu_);
  std::vector<DeliveryAttempt> out;
  sqlite::Stmt q(db_->conn,
                 "SELECT id, event_id, event_type, at_us, status, error, latency_ms, redelivery"
                 " FROM webhook_attempts WHERE webhook_id = ? ORDER BY id DESC LIMIT ?");
  q.bind(1, id).bind(2, static_cast<int64_t>(limit));
  int rc;
  while ((rc = q.step()) == SQLITE_ROW) {
    DeliveryAttempt a;
    a.id = q.i64(0);
    a.webhook = std::string(id);
    a.event_id = static_cast<uint64_t>(q.i64(1));
    a.event_type = q.text(2);
    a.at = TimeUs{q.i64(3)};
    a.status = static_cast<int>(q.i64(4));
    a.error = q.text(5);
    a.latency_ms = q.i64(6);
    a.redelivery = q.i64(7) != 0;
    out.push_back(std::move(a));
  }
  if (rc != SQLITE_DONE) return std::unexpected(db_->error("attempts"));
  return out;
}

std::expected<std::vector<uint64_t>, StoreError> WebhooksDb::redeliveries(std::string_view id) {
  std::lock_guard lock(mu_);
  std::vector<uint64_t> out;
  sqlite::Stmt q(db_->conn,
                 "SELECT event_id FROM webhook_redeliveries WHERE webhook_id = ?"
                 " ORDER BY requested_at_us, event_id");
  q.bind(1, id);
  int rc;
  while ((rc = q.step()) == SQLITE_ROW) out.push_back(static_cast<uint64_t>(q.i64(0)));
  if (rc != SQLITE_DONE) return std::unexpected(db_->error("redeliveries"));
  return out;
}

std::expected<void, StoreError> WebhooksDb::add_redelivery(std::string_view id, uint64_t event_id,
                                                           TimeUs now) {
  std::lock_guard lock(mu_);
  return in_transaction("redeliver", [&] {
    sqlite::Stmt q(db_->conn,
                   "INSERT OR IGNORE INTO webhook_redeliveries (webhook_id, event_id,"
                   " requested_at_us) VALUES (?, ?, ?)");
    return q.bind(1, id).bind(2, i64(event_id)).bind(3, now.us).run();
  });
}

std::expected<void, StoreError> WebhooksDb::redelivered(std::string_view id,
                                                        const DeliveryAttempt& attempt) {
  std::lock_guard lock(mu_);
  return in_transaction("redelivered", [&] {
    sqlite::Stmt q(db_->conn,
                   "DELETE FROM webhook_redeliveries WHERE webhook_id = ? AND event_id = ?");
    return q.bind(1, id).bind(2, i64(attempt.event_id)).run() && write_attempt(attempt);
  });
}

std::expected<std::vector<PlatformEvent>, StoreError> WebhooksDb::platform_events(
    uint64_t after_seq, size_t limit) {
  std::lock_guard lock(mu_);
  std::vector<PlatformEvent> out;
  sqlite::Stmt q(db_->conn,
                 "SELECT seq, at_us, type, webhook_id, data FROM platform_events WHERE seq > ?"
                 " ORDER BY seq LIMIT ?");
  q.bind(1, i64(after_seq)).bind(2, static_cast<int64_t>(limit));
  int rc;
  while ((rc = q.step()) == SQLITE_ROW) {
    out.push_back(PlatformEvent{static_cast<uint64_t>(q.i64(0)), TimeUs{q.i64(1)}, q.text(2),
                                q.text(3), q.text(4)});
  }
  if (rc != SQLITE_DONE) return std::unexpected(db_->error("platform events"));
  return out;
}

std::expected<uint64_t, StoreError> WebhooksDb::last_platform_event() {
  std::lock_guard lock(mu_);
  // A seq is a rowid (INTEGER PRIMARY KEY): a new one is the largest + 1, and pruning keeps
  // the newest, so no seq is given twice.
  sqlite::Stmt q(db_->conn, "SELECT COALESCE(MAX(seq), 0) FROM platform_events");
  if (q.step() != SQLITE_ROW) return std::unexpected(db_->error("platform events"));
  return static_cast<uint64_t>(q.i64(0));
}

}  // namespace tally::store
