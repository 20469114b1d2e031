// API keys (auth.h): keys.db and its migrations, the admin key, create, list, revoke, rotate,
// and the key half of authenticate(). Tokens: auth_tokens.cc.
#include "server/auth.h"

#include <fcntl.h>
#include <sqlite3.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <climits>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <sstream>

#include "absl/strings/match.h"
#include "ledger/check.h"
#include "ledger/text.h"
#include "log/log.h"
#include "server/auth_internal.h"

namespace tally::server {

using namespace auth_detail;

namespace {

// Reads a secret file, or creates it with `make()` and mode 0600.
std::expected<std::string, std::string> secret_file(const std::string& path,
                                                    std::string (*make)(), bool* created) {
  *created = false;
  if (std::ifstream in(path); in) {
    std::stringstream ss;
    ss << in.rdbuf();
    std::string s = ss.str();
    while (!s.empty() && (s.back() == '\n' || s.back() == '\r')) s.pop_back();
    if (s.empty()) return std::unexpected(cat(path, " is empty"));
    return s;
  }
  std::string s = make();
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL, 0600);
  if (fd < 0) return std::unexpected(cat("cannot create ", path));
  const std::string line = s + "\n";
  const bool ok = ::write(fd, line.data(), line.size()) == static_cast<ssize_t>(line.size()) &&
                  ::fsync(fd) == 0;
  ::close(fd);
  if (!ok) return std::unexpected(cat("cannot write ", path));
  *created = true;
  return s;
}

// Replaces `path` with `secret` (mode 0600) atomically: a new file, fsync, rename.
std::expected<void, std::string> replace_secret_file(const std::string& path,
                                                     const std::string& secret) {
  const std::string tmp = path + ".new";
  ::unlink(tmp.c_str());
  const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL, 0600);
  if (fd < 0) return std::unexpected(cat("cannot create ", tmp));
  const std::string line = secret + "\n";
  const bool ok = ::write(fd, line.data(), line.size()) == static_cast<ssize_t>(line.size()) &&
                  ::fsync(fd) == 0;
  ::close(fd);
  if (!ok || ::rename(tmp.c_str(), path.c_str()) != 0) {
    return std::unexpected(cat("cannot write ", path));
  }
  return {};
}

std::string new_admin_key() { return "tk_admin_" + crypto::random_hex(24); }
std::string new_token_secret() { return crypto::random_hex(32); }

std::string secret_prefix(Scope s) {
  switch (s) {
    case Scope::admin: return "tk_admin_";
    case Scope::service: return "tk_svc_";
    case Scope::worker: return "tk_wrk_";
    case Scope::read: return "tk_read_";
  }
  return "tk_";
}

Principal::Kind kind_of(Scope s) {
  switch (s) {
    case Scope::admin: return Principal::Kind::admin;
    case Scope::service: return Principal::Kind::service;
    case Scope::worker: return Principal::Kind::worker;
    case Scope::read: return Principal::Kind::read;
  }
  return Principal::Kind::none;
}

// --- keys.db ---

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

}  // namespace

namespace auth_detail {

// 1 to 18 decimal digits (no overflow of int64).
std::optional<int64_t> digits(std::string_view s) {
  if (s.empty() || s.size() > 18) return std::nullopt;
  int64_t v = 0;
  for (char c : s) {
    if (c < '0' || c > '9') return std::nullopt;
    v = v * 10 + (c - '0');
  }
  return v;
}

std::optional<TimeUs> opt_time(int64_t us) {
  return us == k_no_end ? std::nullopt : std::optional<TimeUs>(TimeUs{us});
}

}  // namespace auth_detail

std::optional<Scope> parse_scope(std::string_view name) {
  for (Scope s : {Scope::admin, Scope::service, Scope::worker, Scope::read}) {
    if (scope_name(s) == name) return s;
  }
  return std::nullopt;
}

std::string_view scope_name(Scope scope) {
  switch (scope) {
    case Scope::admin: return "admin";
    case Scope::service: return "service";
    case Scope::worker: return "worker";
    case Scope::read: return "read";
  }
  return "?";
}

// A key as authenticate() sees it; last_used_us is written by every request that uses it.
struct Auth::KeyState {
  KeyInfo info;  // last_used_at and previous_valid_until are filled in by list_keys()
  std::atomic<int64_t> last_used_us{k_no_end};
  int64_t flushed_us = k_no_end;  // under change_mu_
};

Auth::~Auth() = default;

std::expected<std::unique_ptr<Auth>, std::string> Auth::open(const std::string& data_dir,
                                                             std::string admin_key,
                                                             std::string* admin_key_file,
                                                             TimeUs now) {
  std::unique_ptr<Auth> a(new Auth());
  a->db_ = std::make_unique<Db>();
  const std::string db_path = data_dir.empty() ? ":memory:" : data_dir + "/keys.db";
  if (sqlite3_open(db_path.c_str(), &a->db_->db) != SQLITE_OK) {
    return std::unexpected(cat("cannot open ", db_path, ": ", a->db_->error()));
  }
  if (auto r = a->db_->exec("PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL;"); !r) {
    return std::unexpected(cat(db_path, ": ", r.error()));
  }
  int version = 0;
  {
    Stmt q(a->db_->db, "PRAGMA user_version");
    if (q.row()) version = static_cast<int>(std::stoll(q.col(0)));
  }
  if (version > k_schema_version) {
    return std::unexpected(cat(db_path, " has schema version ", version, "; this tally knows up to ",
                               k_schema_version, " (a newer tally wrote it)"));
  }
  for (; version < k_schema_version; ++version) {
    const std::string step = cat("BEGIN IMMEDIATE;", k_migrations[version],
                                 "PRAGMA user_version = ", version + 1, "; COMMIT;");
    if (auto r = a->db_->exec(step.c_str()); !r) {
      (void)a->db_->exec("ROLLBACK");
      return std::unexpected(cat(db_path, ": migrating from schema version ", version, ": ",
                                 r.error()));
    }
  }

  if (admin_key.empty()) {
    if (data_dir.empty()) return std::unexpected("an in-memory Auth needs an admin key");
    bool created = false;
    auto key = secret_file(data_dir + "/admin.key", new_admin_key, &created);
    if (!key) return std::unexpected(key.error());
    admin_key = *key;
    a->admin_key_path_ = data_dir + "/admin.key";
    if (created && admin_key_file) *admin_key_file = data_dir + "/admin.key";
  }
  if (auto r = a->import_bootstrap(admin_key, now); !r) {
    return std::unexpected(cat(db_path, ": ", r.error()));
  }
  if (auto r = a->load(); !r) return std::unexpected(cat(db_path, ": ", r.error()));
  if (data_dir.empty()) {
    a->token_secret_ = new_token_secret();
  } else {
    bool created = false;
    auto secret = secret_file(data_dir + "/token.secret", new_token_secret, &created);
    if (!secret) return std::unexpected(secret.error());
    a->token_secret_ = *secret;
  }
  return a;
}

// A bootstrap secret never seen becomes the admin key's one secret; a known one changes
// nothing (if it was rotated away it stays away).
std::expected<void, std::string> Auth::import_bootstrap(const std::string& secret, TimeUs now) {
  bootstrap_hash_ = sha256_hex(secret);
  {
    Stmt q(db_->db, "SELECT 1 FROM key_secrets WHERE sha256 = ?");
    if (q.text(1, bootstrap_hash_).row()) return {};
  }
  if (auto r = db_->exec("BEGIN IMMEDIATE"); !r) return r;
  const bool ok =
      Stmt(db_->db,
           "INSERT OR IGNORE INTO keys (id, name, scope, created_at_us) VALUES (?, 'admin', 'admin', ?)")
          .text(1, k_admin_key_id)
          .int64(2, now.us)
          .run() &&
      Stmt(db_->db,
           "UPDATE key_secrets SET valid_until_us = ? WHERE key_id = ? AND"
           " (valid_until_us IS NULL OR valid_until_us > ?)")
          .int64(1, INT64_MIN)
          .text(2, k_admin_key_id)
          .int64(3, INT64_MIN)
          .run() &&
      Stmt(db_->db, "INSERT INTO key_secrets (sha256, key_id, created_at_us) VALUES (?, ?, ?)")
          .text(1, bootstrap_hash_)
          .text(2, k_admin_key_id)
          .int64(3, now.us)
          .run();
  if (!ok) {
    const std::string m = db_->error();
    (void)db_->exec("ROLLBACK");
    return std::unexpected(m);
  }
  return db_->exec("COMMIT");
}

std::expected<void, std::string> Auth::load() {
  Stmt keys(db_->db,
            "SELECT id, name, scope, created_at_us, expires_at_us, last_used_at_us FROM keys"
            " WHERE revoked_at_us IS NULL");
  while (keys.row()) {
    auto k = std::make_unique<KeyState>();
    auto scope = parse_scope(keys.col(2));
    if (!scope) return std::unexpected(cat("key ", keys.col(0), " has an unknown scope"));
    k->info = KeyInfo{keys.col(0), keys.col(1), *scope, TimeUs{keys.col_time(3)},
                      opt_time(keys.col_time(4)), {}, {}, {}};
    k->last_used_us = k->flushed_us = keys.col_time(5);
    keys_[k->info.id] = std::move(k);
  }
  Stmt secrets(db_->db, "SELECT sha256, key_id, valid_until_us FROM key_secrets");
  while (secrets.row()) {
    auto it = keys_.find(secrets.col(1));
    if (it == keys_.end()) continue;  // revoked
    by_hash_[secrets.col(0)] = Secret{it->second.get(), secrets.col_time(2)};
  }
  Stmt tokens(db_->db, "SELECT token_id, prune_at_us FROM token_revocations");
  while (tokens.row()) revoked_tokens_[tokens.col(0)] = tokens.col_time(1);
  Stmt accounts(db_->db,
                "SELECT account, issued_before_us, prune_at_us FROM account_token_revocations");
  while (accounts.row()) {
    const int64_t before = accounts.col_time(1);
    revoked_accounts_[accounts.col(0)] = AccountCutoff{before, accounts.col_time(2)};
    // Tokens issued from now on are stamped after every cutoff, whatever the clock says.
    last_stamp_us_ = std::max(last_stamp_us_.load(), before);
  }
  return {};
}

Principal Auth::authenticate(std::string_view authorization, TimeUs now, std::string* why) const {
  auto refuse = [why](std::string_view w) {
    *why = w;
    return Principal{};
  };
  if (authorization.empty()) {
    return refuse("an Authorization header with a Bearer key or token is required");
  }
  const std::optional<std::string_view> secret = bearer_secret(authorization);
  if (!secret) return refuse("the Authorization header must be 'Bearer <key or token>'");
  if (is_token(*secret)) {
    return authenticate_token(*secret, now, why);
  }
  return authenticate_key(sha256_hex(*secret), now, why);
}

std::optional<std::string_view> Auth::bearer_secret(std::string_view authorization) {
  constexpr std::string_view bearer = "Bearer ";
  // The scheme's name is case-insensitive (RFC 9110 §11.1): "bearer" and "BEARER" do too.
  if (authorization.size() < bearer.size() ||
      !absl::EqualsIgnoreCase(to_absl(authorization.substr(0, bearer.size())), to_absl(bearer))) {
    return std::nullopt;
  }
  return authorization.substr(bearer.size());
}

Auth::Presented Auth::present(std::string_view authorization) const {
  Presented p{std::string(authorization), {}};
  const std::optional<std::string_view> secret = bearer_secret(authorization);
  if (secret && !is_token(*secret)) {
    p.key_hash = sha256_hex(*secret);
  }
  return p;
}

Principal Auth::authenticate(const Presented& presented, TimeUs now, std::string* why) const {
  if (presented.key_hash.empty()) return authenticate(presented.authorization, now, why);
  return authenticate_key(presented.key_hash, now, why);
}

Principal Auth::authenticate_key(const std::string& hash, TimeUs now, std::string* why) const {
  auto refuse = [why](std::string_view w) {
    *why = w;
    return Principal{};
  };
  std::shared_lock lock(mu_);
  auto it = by_hash_.find(hash);
  if (it == by_hash_.end()) return refuse("the key is not valid");
  KeyState& k = *it->second.key;
  if (now.us >= it->second.valid_until_us) {
    return refuse("the key was rotated and its overlap has ended: use the new secret");
  }
  if (k.info.expires_at && now >= *k.info.expires_at) return refuse("the key has expired");
  // To the second: a busy key's cache line is written once a second, not by every request.
  const int64_t last = k.last_used_us.load(std::memory_order_relaxed);
  if (last == k_no_end || now.us < last || now.us - last >= k_us_per_second) {
    k.last_used_us.store(now.us, std::memory_order_relaxed);
  }
  return {kind_of(k.info.scope), {}, k.info.id, {}};
}

bool Auth::bootstrap_admin_key_valid(TimeUs now) const {
  std::shared_lock lock(mu_);
  auto it = by_hash_.find(bootstrap_hash_);
  return it != by_hash_.end() && now.us < it->second.valid_until_us;
}

std::expected<NewKey, AuthError> Auth::create_key(std::string name, Scope scope,
                                                  std::optional<TimeUs> expires_at, TimeUs now) {
  std::lock_guard change(change_mu_);
  {
    std::shared_lock lock(mu_);
    if (keys_.size() >= k_keys_max) {
      return std::unexpected(AuthError{AuthError::Code::limit,
                                       cat("at most ", k_keys_max, " keys: revoke one first")});
    }
  }
  NewKey k;
  k.secret = cat(secret_prefix(scope), crypto::random_hex(24));
  k.info = KeyInfo{cat("key_", crypto::random_hex(8)), std::move(name), scope, now, expires_at, {}, {}, {}};
  const std::string hash = sha256_hex(k.secret);
  if (auto r = db_->exec("BEGIN IMMEDIATE"); !r) {
    return std::unexpected(AuthError{AuthError::Code::store, r.error()});
  }
  const bool ok =
      Stmt(db_->db,
           "INSERT INTO keys (id, name, scope, created_at_us, expires_at_us) VALUES (?,?,?,?,?)")
          .text(1, k.info.id)
          .text(2, k.info.name)
          .text(3, scope_name(scope))
          .int64(4, now.us)
          .opt(5, expires_at)
          .run() &&
      Stmt(db_->db, "INSERT INTO key_secrets (sha256, key_id, created_at_us) VALUES (?,?,?)")
          .text(1, hash)
          .text(2, k.info.id)
          .int64(3, now.us)
          .run();
  if (!ok || !db_->exec("COMMIT")) {
    const std::string m = db_->error();
    (void)db_->exec("ROLLBACK");
    return std::unexpected(AuthError{AuthError::Code::store, cat("storing the key: ", m)});
  }
  auto state = std::make_unique<KeyState>();
  state->info = k.info;
  std::unique_lock lock(mu_);
  by_hash_[hash] = Secret{state.get(), k_no_end};
  keys_[k.info.id] = std::move(state);
  return k;
}

std::vector<KeyInfo> Auth::list_keys(TimeUs now) const {
  std::vector<KeyInfo> out;
  std::shared_lock lock(mu_);
  std::unordered_map<const KeyState*, int64_t> previous;  // the latest end of an old secret
  for (const auto& [hash, s] : by_hash_) {
    if (s.valid_until_us == k_no_end || s.valid_until_us <= now.us) continue;
    int64_t& p = previous[s.key];
    p = std::max(p, s.valid_until_us);
  }
  for (const auto& [id, k] : keys_) {
    KeyInfo info = k->info;
    info.last_used_at = opt_time(k->last_used_us.load(std::memory_order_relaxed));
    if (auto it = previous.find(k.get()); it != previous.end()) {
      info.previous_valid_until = TimeUs{it->second};
    }
    out.push_back(std::move(info));
  }
  std::sort(out.begin(), out.end(), [](const KeyInfo& a, const KeyInfo& b) {
    return a.created_at != b.created_at ? a.created_at < b.created_at : a.id < b.id;
  });
  return out;
}

std::expected<KeyInfo, AuthError> Auth::revoke_key(const std::string& id, TimeUs now) {
  if (id == k_admin_key_id) {
    return std::unexpected(AuthError{
        AuthError::Code::invalid,
        "the admin key cannot be revoked: rotate it (POST /v1/keys/admin/rotate)"});
  }
  std::lock_guard change(change_mu_);
  KeyInfo info;
  {
    std::shared_lock lock(mu_);
    auto it = keys_.find(id);
    if (it == keys_.end()) {
      return std::unexpected(AuthError{AuthError::Code::not_found, cat("no key '", id, "'")});
    }
    info = it->second->info;
    info.last_used_at = opt_time(it->second->last_used_us.load());
  }
  info.revoked_at = now;
  if (!Stmt(db_->db, "UPDATE keys SET revoked_at_us = ?, last_used_at_us = ? WHERE id = ?")
           .int64(1, now.us)
           .opt(2, info.last_used_at)
           .text(3, id)
           .run()) {
    return std::unexpected(AuthError{AuthError::Code::store, db_->error()});
  }
  std::unique_lock lock(mu_);
  const KeyState* gone = keys_.at(id).get();
  std::erase_if(by_hash_, [gone](const auto& e) { return e.second.key == gone; });
  keys_.erase(id);
  return info;
}

std::expected<NewKey, AuthError> Auth::rotate_key(const std::string& id, int64_t overlap_us,
                                                  TimeUs now) {
  TALLY_CHECK(overlap_us >= 0);
  std::lock_guard change(change_mu_);
  NewKey k;
  KeyState* state = nullptr;
  {
    std::shared_lock lock(mu_);
    auto it = keys_.find(id);
    if (it == keys_.end()) {
      return std::unexpected(AuthError{AuthError::Code::not_found, cat("no key '", id, "'")});
    }
    state = it->second.get();
    k.info = state->info;
  }
  k.secret = cat(secret_prefix(k.info.scope), crypto::random_hex(24));
  const std::string hash = sha256_hex(k.secret);
  // No overlap: ended whatever the clock says later (a manual clock restarts behind).
  const int64_t until = overlap_us == 0 ? INT64_MIN : add_us(now, overlap_us).us;
  if (auto r = db_->exec("BEGIN IMMEDIATE"); !r) {
    return std::unexpected(AuthError{AuthError::Code::store, r.error()});
  }
  const bool ok =
      Stmt(db_->db,
           "UPDATE key_secrets SET valid_until_us = ? WHERE key_id = ? AND"
           " (valid_until_us IS NULL OR valid_until_us > ?)")
          .int64(1, until)
          .text(2, id)
          .int64(3, until)
          .run() &&
      Stmt(db_->db, "INSERT INTO key_secrets (sha256, key_id, created_at_us) VALUES (?,?,?)")
          .text(1, hash)
          .text(2, id)
          .int64(3, now.us)
          .run();
  if (!ok || !db_->exec("COMMIT")) {
    const std::string m = db_->error();
    (void)db_->exec("ROLLBACK");
    return std::unexpected(AuthError{AuthError::Code::store, cat("rotating the key: ", m)});
  }
  {
    std::unique_lock lock(mu_);
    for (auto& [h, s] : by_hash_) {
      if (s.key == state) s.valid_until_us = std::min(s.valid_until_us, until);
    }
    by_hash_[hash] = Secret{state, k_no_end};
  }
  k.info.previous_valid_until = add_us(now, overlap_us);
  // The CLI and operators read DATA/admin.key: it names the secret that works from now on.
  if (id == k_admin_key_id && !admin_key_path_.empty()) {
    if (auto r = replace_secret_file(admin_key_path_, k.secret); !r) {
      return std::unexpected(AuthError{AuthError::Code::store,
                                       cat(r.error(), " (the new secret is stored: rotate again)")});
    }
  }
  return k;
}

std::expected<void, std::string> Auth::flush_last_used(TimeUs now) {
  std::lock_guard change(change_mu_);
  std::vector<std::pair<std::string, int64_t>> changed;
  {
    std::shared_lock lock(mu_);
    for (auto& [id, k] : keys_) {
      const int64_t used = k->last_used_us.load(std::memory_order_relaxed);
      if (used != k->flushed_us) changed.emplace_back(id, used);
    }
  }
  if (!changed.empty()) {
    if (auto r = db_->exec("BEGIN IMMEDIATE"); !r) return r;
    Stmt q(db_->db, "UPDATE keys SET last_used_at_us = ? WHERE id = ?");
    for (const auto& [id, used] : changed) {
      if (!q.int64(1, used).text(2, id).run()) {
        const std::string m = db_->error();
        (void)db_->exec("ROLLBACK");
        return std::unexpected(m);
      }
    }
    if (auto r = db_->exec("COMMIT"); !r) return r;
    std::shared_lock lock(mu_);
    for (const auto& [id, used] : changed) {
      if (auto it = keys_.find(id); it != keys_.end()) it->second->flushed_us = used;
    }
  }
  if (auto r = prune_stored(now); !r) return std::unexpected(r.error().detail);
  return {};
}

}  // namespace tally::server
