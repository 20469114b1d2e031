// AuthDb in DATA/keys.db (auth_db.h): SQLite, WAL, synchronous=FULL, its schema versioned by
// `PRAGMA user_version` and migrated on open (k_migrations).
#include <sqlite3.h>

#include <climits>
#include <iterator>

#include "ledger/check.h"
#include "ledger/text.h"
#include "server/auth_db.h"
#include "server/auth_internal.h"

namespace tally::server {

using namespace auth_detail;

namespace {

// Each step takes the schema from version i to i + 1, in one transaction with the version
// bump. Version 0 is the schema before migrations existed (keys with their one hash).
constexpr const char* k_migrations[] = {
    // 0 -> 1: several secrets per key (rotation), expiry, revocation, last use; the admin key
    // kept here; token revocations.
    "CREATE TABLE IF NOT EXISTS keys (id TEXT PRIMARY KEY, name TEXT NOT NULL,"
    " scope TEXT NOT NULL, sha256 TEXT NOT NULL UNIQUE, created_at_us INTEGER NOT NULL);"
    "ALTER TABLE keys RENAME TO keys_v0;"
    "CREATE TABLE keys (id TEXT PRIMARY KEY, name TEXT NOT NULL, scope TEXT NOT NULL,"
    " created_at_us INTEGER NOT NULL, expires_at_us INTEGER, revoked_at_us INTEGER,"
    " last_used_at_us INTEGER);"
    "CREATE TABLE key_secrets (sha256 TEXT PRIMARY KEY, key_id TEXT NOT NULL,"
    " created_at_us INTEGER NOT NULL, valid_until_us INTEGER);"
    "INSERT INTO keys (id, name, scope, created_at_us)"
    " SELECT id, name, scope, created_at_us FROM keys_v0;"
    "INSERT INTO key_secrets (sha256, key_id, created_at_us)"
    " SELECT sha256, id, created_at_us FROM keys_v0;"
    "DROP TABLE keys_v0;"
    "CREATE TABLE token_revocations (token_id TEXT PRIMARY KEY, account TEXT NOT NULL,"
    " revoked_at_us INTEGER NOT NULL, prune_at_us INTEGER NOT NULL);"
    "CREATE TABLE account_token_revocations (account TEXT PRIMARY KEY,"
    " issued_before_us INTEGER NOT NULL, prune_at_us INTEGER NOT NULL);",
    // 1 -> 2: the audit trail of admin actions outside the ledger (issue 21, auth_audit.cc),
    // kept for good.
    "CREATE TABLE audit (seq INTEGER PRIMARY KEY, at_us INTEGER NOT NULL,"
    " credential_kind TEXT NOT NULL, credential TEXT NOT NULL, member TEXT NOT NULL,"
    " action TEXT NOT NULL, account TEXT NOT NULL, target TEXT NOT NULL);"
    "CREATE INDEX audit_by_credential ON audit (credential, seq);"
    "CREATE INDEX audit_by_account ON audit (account, seq);",
};
constexpr int k_schema_version = static_cast<int>(std::size(k_migrations));
static_assert(k_schema_version == 2, "a new migration: update docs/operations.md");

class Stmt {
 public:
  Stmt(sqlite3* db, const char* sql) {
    TALLY_CHECK(sqlite3_prepare_v2(db, sql, -1, &q_, nullptr) == SQLITE_OK);
  }
  ~Stmt() { sqlite3_finalize(q_); }
  Stmt& text(int i, std::string_view s) {
    sqlite3_bind_text(q_, i, s.data(), static_cast<int>(s.size()), SQLITE_TRANSIENT);
    return *this;
  }
  Stmt& int64(int i, int64_t v) {
    sqlite3_bind_int64(q_, i, v);
    return *this;
  }
  Stmt& opt(int i, std::optional<TimeUs> t) {
    if (t) return int64(i, t->us);
    sqlite3_bind_null(q_, i);
    return *this;
  }
  bool row() {
    rc_ = sqlite3_step(q_);
    return rc_ == SQLITE_ROW;
  }
  // The last row() ended in an error, not at the end of the rows.
  bool failed() const { return rc_ != SQLITE_ROW && rc_ != SQLITE_DONE; }
  // Runs a statement that returns no rows; false (and the db's message) on failure.
  bool run() {
    const int rc = sqlite3_step(q_);
    sqlite3_reset(q_);
    return rc == SQLITE_DONE;
  }
  std::string col(int i) const {
    const auto* p = reinterpret_cast<const char*>(sqlite3_column_text(q_, i));
    return p ? p : "";
  }
  // NULL reads as k_no_end.
  int64_t col_time(int i) const {
    return sqlite3_column_type(q_, i) == SQLITE_NULL ? k_no_end : sqlite3_column_int64(q_, i);
  }

 private:
  sqlite3_stmt* q_ = nullptr;
  int rc_ = SQLITE_OK;
};

class SqliteAuthDb final : public AuthDb {
 public:
  explicit SqliteAuthDb(std::string path) : path_(std::move(path)) {}
  ~SqliteAuthDb() override { sqlite3_close(db_); }

  std::expected<void, std::string> open();

  std::expected<StoredAuth, std::string> load() override;
  std::expected<void, std::string> import_admin_secret(const std::string& sha256, bool only,
                                                       TimeUs now) override;
  std::expected<void, std::string> insert_key(const KeyInfo& info,
                                              const std::string& sha256) override;
  std::expected<void, std::string> revoke_key(const std::string& id, TimeUs now,
                                              std::optional<TimeUs> last_used) override {
    if (Stmt(db_, "UPDATE keys SET revoked_at_us = ?, last_used_at_us = ? WHERE id = ?")
            .int64(1, now.us)
            .opt(2, last_used)
            .text(3, id)
            .run()) {
      return {};
    }
    return std::unexpected(error());
  }
  std::expected<void, std::string> rotate_key(const std::string& id, int64_t until_us,
                                              const std::string& sha256, TimeUs now) override;
  std::expected<void, std::string> write_last_used(
      const std::vector<std::pair<std::string, int64_t>>& used) override;
  std::expected<void, std::string> prune(TimeUs now) override {
    if (Stmt(db_, "DELETE FROM token_revocations WHERE prune_at_us <= ?").int64(1, now.us).run() &&
        Stmt(db_, "DELETE FROM account_token_revocations WHERE prune_at_us <= ?")
            .int64(1, now.us)
            .run()) {
      return {};
    }
    return std::unexpected(error());
  }
  std::expected<void, std::string> revoke_token(const std::string& token_id,
                                                const std::string& account, TimeUs now,
                                                int64_t prune_at_us) override {
    if (Stmt(db_,
             "INSERT OR IGNORE INTO token_revocations (token_id, account, revoked_at_us,"
             " prune_at_us) VALUES (?,?,?,?)")
            .text(1, token_id)
            .text(2, account)
            .int64(3, now.us)
            .int64(4, prune_at_us)
            .run()) {
      return {};
    }
    return std::unexpected(error());
  }
  std::expected<void, std::string> revoke_account_tokens(const std::string& account,
                                                         int64_t issued_before_us,
                                                         int64_t prune_at_us) override {
    if (Stmt(db_,
             "INSERT OR REPLACE INTO account_token_revocations (account, issued_before_us,"
             " prune_at_us) VALUES (?,?,?)")
            .text(1, account)
            .int64(2, issued_before_us)
            .int64(3, prune_at_us)
            .run()) {
      return {};
    }
    return std::unexpected(error());
  }
  std::expected<void, std::string> record_action(const AdminAction& a) override;
  std::expected<void, std::string> scan_actions(
      uint64_t after_seq, const store::AuditFilter& filter,
      const std::function<bool(const AdminAction&)>& visit) override;
  std::expected<std::optional<std::string>, std::string> shared_token_secret(
      const std::string&) override {
    return std::nullopt;
  }
  bool shared() const override { return false; }
  std::string where() const override { return path_; }

 private:
  std::expected<void, std::string> exec(const char* sql) {
    char* err = nullptr;
    if (sqlite3_exec(db_, sql, nullptr, nullptr, &err) == SQLITE_OK) return {};
    std::string m = err ? err : sqlite3_errmsg(db_);
    sqlite3_free(err);
    return std::unexpected(m);
  }
  std::string error() const { return sqlite3_errmsg(db_); }
  // Runs `body` (true: all its statements ran) in one transaction.
  template <typename F>
  std::expected<void, std::string> transaction(F&& body) {
    if (auto r = exec("BEGIN IMMEDIATE"); !r) return r;
    if (!body() || !exec("COMMIT")) {
      const std::string m = error();
      (void)exec("ROLLBACK");
      return std::unexpected(m);
    }
    return {};
  }

  std::string path_;
  sqlite3* db_ = nullptr;
};

std::expected<void, std::string> SqliteAuthDb::open() {
  if (sqlite3_open(path_.c_str(), &db_) != SQLITE_OK) {
    return std::unexpected(cat("cannot open ", path_, ": ", error()));
  }
  if (auto r = exec("PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL;"); !r) {
    return std::unexpected(cat(path_, ": ", r.error()));
  }
  int version = 0;
  {
    Stmt q(db_, "PRAGMA user_version");
    if (q.row()) version = static_cast<int>(std::stoll(q.col(0)));
  }
  if (version > k_schema_version) {
    return std::unexpected(cat(path_, " has schema version ", version, "; this tally knows up to ",
                               k_schema_version, " (a newer tally wrote it)"));
  }
  for (; version < k_schema_version; ++version) {
    const std::string step = cat("BEGIN IMMEDIATE;", k_migrations[version],
                                 "PRAGMA user_version = ", version + 1, "; COMMIT;");
    if (auto r = exec(step.c_str()); !r) {
      (void)exec("ROLLBACK");
      return std::unexpected(
          cat(path_, ": migrating from schema version ", version, ": ", r.error()));
    }
  }
  return {};
}

std::expected<StoredAuth, std::string> SqliteAuthDb::load() {
  StoredAuth out;
  Stmt keys(db_,
            "SELECT id, name, scope, created_at_us, expires_at_us, last_used_at_us FROM keys"
            " WHERE revoked_at_us IS NULL");
  while (keys.row()) {
    auto scope = parse_scope(keys.col(2));
    if (!scope) return std::unexpected(cat("key ", keys.col(0), " has an unknown scope"));
    out.keys.push_back({KeyInfo{keys.col(0),
                                keys.col(1),
                                *scope,
                                TimeUs{keys.col_time(3)},
                                opt_time(keys.col_time(4)),
                                {},
                                {},
                                {}},
                        keys.col_time(5)});
  }
  Stmt secrets(db_, "SELECT sha256, key_id, valid_until_us FROM key_secrets");
  while (secrets.row()) {
    out.secrets.push_back({secrets.col(0), secrets.col(1), secrets.col_time(2)});
  }
  Stmt tokens(db_, "SELECT token_id, prune_at_us FROM token_revocations");
  while (tokens.row()) out.tokens.push_back({tokens.col(0), tokens.col_time(1)});
  Stmt accounts(db_,
                "SELECT account, issued_before_us, prune_at_us FROM account_token_revocations");
  while (accounts.row()) {
    out.accounts.push_back({accounts.col(0), accounts.col_time(1), accounts.col_time(2)});
  }
  if (keys.failed() || secrets.failed() || tokens.failed() || accounts.failed()) {
    return std::unexpected(cat("reading the keys: ", error()));
  }
  return out;
}

std::expected<void, std::string> SqliteAuthDb::import_admin_secret(const std::string& sha256,
                                                                   bool only, TimeUs now) {
  {
    Stmt q(db_, "SELECT 1 FROM key_secrets WHERE sha256 = ?");
    if (q.text(1, sha256).row()) return {};
  }
  return transaction([&] {
    return Stmt(db_,
                "INSERT OR IGNORE INTO keys (id, name, scope, created_at_us)"
                " VALUES (?, 'admin', 'admin', ?)")
               .text(1, k_admin_key_id)
               .int64(2, now.us)
               .run() &&
           (!only || Stmt(db_,
                          "UPDATE key_secrets SET valid_until_us = ? WHERE key_id = ? AND"
                          " (valid_until_us IS NULL OR valid_until_us > ?)")
                         .int64(1, INT64_MIN)
                         .text(2, k_admin_key_id)
                         .int64(3, INT64_MIN)
                         .run()) &&
           Stmt(db_, "INSERT INTO key_secrets (sha256, key_id, created_at_us) VALUES (?, ?, ?)")
               .text(1, sha256)
               .text(2, k_admin_key_id)
               .int64(3, now.us)
               .run();
  });
}

std::expected<void, std::string> SqliteAuthDb::insert_key(const KeyInfo& info,
                                                          const std::string& sha256) {
  return transaction([&] {
    return Stmt(db_,
                "INSERT INTO keys (id, name, scope, created_at_us, expires_at_us)"
                " VALUES (?,?,?,?,?)")
               .text(1, info.id)
               .text(2, info.name)
               .text(3, scope_name(info.scope))
               .int64(4, info.created_at.us)
               .opt(5, info.expires_at)
               .run() &&
           Stmt(db_, "INSERT INTO key_secrets (sha256, key_id, created_at_us) VALUES (?,?,?)")
               .text(1, sha256)
               .text(2, info.id)
               .int64(3, info.created_at.us)
               .run();
  });
}

std::expected<void, std::string> SqliteAuthDb::rotate_key(const std::string& id, int64_t until_us,
                                                          const std::string& sha256, TimeUs now) {
  return transaction([&] {
    return Stmt(db_,
                "UPDATE key_secrets SET valid_until_us = ? WHERE key_id = ? AND"
                " (valid_until_us IS NULL OR valid_until_us > ?)")
               .int64(1, until_us)
               .text(2, id)
               .int64(3, until_us)
               .run() &&
           Stmt(db_, "INSERT INTO key_secrets (sha256, key_id, created_at_us) VALUES (?,?,?)")
               .text(1, sha256)
               .text(2, id)
               .int64(3, now.us)
               .run();
  });
}

std::expected<void, std::string> SqliteAuthDb::write_last_used(
    const std::vector<std::pair<std::string, int64_t>>& used) {
  return transaction([&] {
    Stmt q(db_, "UPDATE keys SET last_used_at_us = ? WHERE id = ?");
    for (const auto& [id, at] : used) {
      if (!q.int64(1, at).text(2, id).run()) return false;
    }
    return true;
  });
}

std::expected<void, std::string> SqliteAuthDb::record_action(const AdminAction& a) {
  Stmt in(db_,
          "INSERT INTO audit (at_us, credential_kind, credential, member, action, account, target)"
          " VALUES (?, ?, ?, ?, ?, ?, ?)");
  in.int64(1, a.at.us).text(2, credential_kind_name(a.by.kind)).text(3, a.by.id);
  in.text(4, a.by.member).text(5, a.action).text(6, a.account).text(7, a.target);
  if (!in.run()) return std::unexpected(error());
  return {};
}

std::expected<void, std::string> SqliteAuthDb::scan_actions(
    uint64_t after_seq, const store::AuditFilter& filter,
    const std::function<bool(const AdminAction&)>& visit) {
  Stmt q(
      db_,
      "SELECT seq, at_us, credential_kind, credential, member, action, account, target FROM audit"
      " WHERE seq > ?1 AND (?2 = '' OR account = ?2) AND (?3 = '' OR credential = ?3) AND"
      " at_us >= ?4 AND at_us < ?5 ORDER BY seq");
  q.int64(1, static_cast<int64_t>(after_seq)).text(2, filter.account).text(3, filter.credential);
  q.int64(4, filter.from.us).int64(5, filter.to.us);
  while (q.row()) {
    AdminAction a;
    a.seq = static_cast<uint64_t>(q.col_time(0));
    a.at = TimeUs{q.col_time(1)};
    auto kind = parse_credential_kind(q.col(2));
    if (!kind) return std::unexpected(cat("audit line ", a.seq, " has no known kind"));
    a.by = Credential{*kind, q.col(3), q.col(4)};
    a.action = q.col(5);
    a.account = q.col(6);
    a.target = q.col(7);
    if (!visit(a)) return {};
  }
  if (q.failed()) return std::unexpected(cat("reading the audit trail: ", error()));
  return {};
}

}  // namespace

std::expected<std::unique_ptr<AuthDb>, std::string> open_sqlite_auth_db(const std::string& path) {
  auto db = std::make_unique<SqliteAuthDb>(path.empty() ? ":memory:" : path);
  if (auto r = db->open(); !r) return std::unexpected(r.error());
  return db;
}

}  // namespace tally::server
