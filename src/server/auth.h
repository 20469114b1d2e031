// Credentials of the HTTP API (docs/api.md "Auth", docs/operations.md): API keys with a scope,
// stored in DATA/keys.db as SHA-256 hashes of their secrets (the admin key too), and end-user
// tokens signed with HMAC-SHA256 that read one account until they expire or are revoked.
//
// The store (auth_db.h) holds keys, their secrets (a key has several during a rotation's
// overlap), the revoked token ids, the accounts whose tokens were all revoked and the admin
// audit trail: DATA/keys.db (SQLite, migrated on open), or the ledger's PostgreSQL database
// when that is the store (shared by every node; open it only once this node holds the shard
// leases, so that it reads every change the previous holder made). Every change is durable
// before the call returns, and in force for the next authenticate(). authenticate() answers
// from memory, loaded at open.
//
// Thread-safe: authenticate() runs on every I/O thread, under a shared lock and without I/O
// (a key's last use is kept in memory and written by flush_last_used()); the changes may run
// on any thread, serialised among themselves. Secrets are compared in constant time (hashes)
// and never logged.
#pragma once

#include <atomic>
#include <cstdint>
#include <expected>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <shared_mutex>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "ledger/command.h"
#include "ledger/time.h"
#include "store/store.h"

namespace tally::server {

// What a key may call (docs/api.md "Auth"): admin everything; service everything but grants,
// voids, keys and the clock; worker quotes, holds, captures and releases; read GET only.
enum class Scope : uint8_t { admin, service, worker, read };
std::optional<Scope> parse_scope(std::string_view name);
std::string_view scope_name(Scope scope);

struct Principal {
  enum class Kind : uint8_t { none, admin, service, worker, read, user };
  Kind kind = Kind::none;
  std::string account;   // user: the one account the token reads
  std::string key_id;    // a key: which one
  std::string token_id;  // user: the token's id (empty for a v1 token, which has none)
  // user: the member of the team account the token acts as (docs/api.md "Tokens for team
  // members"); empty for the account's own token, which reads all of the account.
  std::string member;
};

inline constexpr size_t k_keys_max = 1000;                   // keys not revoked
inline constexpr size_t k_token_revocations_max = 100'000;  // token ids revoked and not pruned
inline constexpr size_t k_account_revocations_max = 100'000;
inline constexpr int64_t k_key_overlap_max_s = 30 * 86400;
// The longest an end-user token lives (POST /v1/accounts/{id}/tokens): a revocation is kept
// this long, then pruned, since every token it could refuse has expired by then.
inline constexpr int64_t k_token_lifetime_max_s = 30 * 86400;
inline constexpr std::string_view k_admin_key_id = "admin";

// An admin action that changed something outside the ledger (issue 21's audit trail): a key
// created, revoked or rotated, tokens revoked, a webhook endpoint changed, the clock set, the
// configuration reloaded. Ledger changes (voids among them) have their AuditLine instead.
struct AdminAction {
  uint64_t seq = 0;  // from 1, set by record_action
  TimeUs at;
  Credential by;        // kind none: a SIGHUP reload
  std::string action;   // "create_key", "revoke_tokens", "reload", ... (docs/api.md)
  std::string account;  // the account it concerns (a token revocation), else empty
  std::string target;   // what it changed: a key's or webhook's id, the new time, ...
};

struct KeyInfo {
  std::string id;
  std::string name;
  Scope scope = Scope::service;
  TimeUs created_at;
  std::optional<TimeUs> expires_at;
  std::optional<TimeUs> last_used_at;
  std::optional<TimeUs> revoked_at;
  // After a rotation: until when the previous secret still works (null when none does).
  std::optional<TimeUs> previous_valid_until;
};

struct NewKey {
  KeyInfo info;
  std::string secret;  // shown once
};

struct Token {
  std::string token;
  std::string id;
  TimeUs expires_at;
};

// Why a key or token change was refused; the API maps `code` to its problem type.
struct AuthError {
  enum class Code : uint8_t { not_found, invalid, limit, store };
  Code code;
  std::string detail;
};

class AuthDb;

// Where the keys are kept (auth_db.h).
struct AuthStorage {
  std::string pg_url;  // empty: DATA/keys.db; else the ledger's PostgreSQL database
  std::string pg_schema;
  // PostgreSQL: every write is fenced by this node's lease at `epoch` (empty: not fenced).
  std::string node;
  int64_t epoch = 0;
};

class Auth {
 public:
  // Opens the keys' store (`storage`: DATA/keys.db, created or migrated, or PostgreSQL) and
  // the end-user token secret (DATA/token.secret; on PostgreSQL the database's, made by the
  // first node). The admin key's secret comes from `admin_key` when not empty, else from
  // DATA/admin.key (generated, mode 0600, on the first start; `*generated_admin_key_file` then
  // names it). A secret the store has never seen becomes the admin key's only secret with
  // keys.db (a new TALLY_ADMIN_KEY replaces the old), one more of its secrets on PostgreSQL
  // (each node keeps the admin key of its configuration); one it has seen (rotated away, say)
  // is not brought back. `data_dir` empty: everything in memory (tests). Fails with a message
  // on a store or file error.
  static std::expected<std::unique_ptr<Auth>, std::string> open(const std::string& data_dir,
                                                                std::string admin_key,
                                                                std::string* admin_key_file,
                                                                TimeUs now,
                                                                const AuthStorage& storage = {});
  ~Auth();

  // From an Authorization header value; Kind::none if missing, bad, expired or revoked (`why`
  // says). Records the key's last use in memory.
  Principal authenticate(std::string_view authorization, TimeUs now, std::string* why) const;
  // An Authorization header read once for a caller that presents it many times (a /v1/batch's
  // items): a key's secret hashed; a token or a bad header is kept to be read every time.
  struct Presented {
    std::string authorization;
    std::string key_hash;  // empty: not a key
  };
  Presented present(std::string_view authorization) const;
  // authenticate() of what present() read: the same answer from the same checks at `now`
  // (revoked, rotated away, expired), without hashing a key's secret again.
  Principal authenticate(const Presented& presented, TimeUs now, std::string* why) const;
  // Whether the admin key's bootstrap secret (TALLY_ADMIN_KEY or DATA/admin.key) still works.
  bool bootstrap_admin_key_valid(TimeUs now) const;

  std::expected<NewKey, AuthError> create_key(std::string name, Scope scope,
                                              std::optional<TimeUs> expires_at, TimeUs now);
  // Keys not revoked, oldest first (the admin key among them); previous_valid_until is set
  // while a previous secret still works at `now`.
  std::vector<KeyInfo> list_keys(TimeUs now) const;
  // Revoked at once for good; the admin key cannot be (rotate it instead): invalid.
  std::expected<KeyInfo, AuthError> revoke_key(const std::string& id, TimeUs now);
  // A new secret; the ones in use now keep working until now + overlap_us (earlier if they
  // were to end sooner). Rotating the admin key rewrites DATA/admin.key if it came from there.
  std::expected<NewKey, AuthError> rotate_key(const std::string& id, int64_t overlap_us,
                                              TimeUs now);
  // Writes the last uses recorded since the previous call, and prunes revocations past their
  // end. Called periodically (serve.cc) and at shutdown.
  std::expected<void, std::string> flush_last_used(TimeUs now);

  // An end-user token for `account` that expires at `expires_at`, with a new id.
  // A token for `member` of the team account `account` when `member` is not empty (the caller
  // checks the membership; every request checks the member's role again).
  Token issue_token(std::string_view account, TimeUs expires_at, TimeUs now,
                    std::string_view member = {}) const;
  // Refuses the token `token_id` from now on (limit past k_token_revocations_max).
  std::expected<void, AuthError> revoke_token(const std::string& account,
                                              const std::string& token_id, TimeUs now);
  // Refuses every token of `account` issued before now; tokens issued later work.
  std::expected<void, AuthError> revoke_tokens(const std::string& account, TimeUs now);
  size_t revocations() const;  // entries of the revocation list (metrics, tests)

  // Writes `action` (its seq set by the store) durably; the caller answers after it. Any
  // thread that may wait for an fsync (not a shard's). auth_audit.cc.
  std::expected<void, AuthError> record_action(AdminAction action);
  // Calls `visit` for each recorded action with seq > after_seq that `filter` lets through
  // (its credential is the action's credential id), in seq order, until it returns false.
  std::expected<void, std::string> scan_actions(
      uint64_t after_seq, const store::AuditFilter& filter,
      const std::function<bool(const AdminAction&)>& visit);

  struct KeyState;

 private:
  Auth() = default;
  std::expected<void, std::string> load();
  // The token part of authenticate() (auth_tokens.cc), for a secret starting "v1." or "v2.".
  Principal authenticate_token(std::string_view secret, TimeUs now, std::string* why) const;
  // The key part of authenticate(), from the hash of the key's secret.
  Principal authenticate_key(const std::string& hash, TimeUs now, std::string* why) const;
  // The secret of a well-formed "Bearer <secret>" header, if any.
  static std::optional<std::string_view> bearer_secret(std::string_view authorization);
  std::expected<void, std::string> import_bootstrap(const std::string& secret, TimeUs now);
  void prune_locked(TimeUs now);
  std::expected<void, AuthError> prune_stored(TimeUs now);

  std::unique_ptr<AuthDb> db_;
  std::mutex change_mu_;            // one change at a time (the db, then the maps)
  mutable std::shared_mutex mu_;    // the maps below
  struct Secret {
    KeyState* key;
    int64_t valid_until_us;  // INT64_MAX: no end
  };
  std::unordered_map<std::string, std::unique_ptr<KeyState>> keys_;  // by id, not revoked
  std::unordered_map<std::string, Secret> by_hash_;                  // SHA-256 hex -> key
  std::unordered_map<std::string, int64_t> revoked_tokens_;          // id -> prune at (µs)
  struct AccountCutoff {
    int64_t issued_before_us;
    int64_t prune_at_us;
  };
  std::unordered_map<std::string, AccountCutoff> revoked_accounts_;
  std::string token_secret_;     // 32 random bytes
  std::string bootstrap_hash_;   // SHA-256 of the admin key's bootstrap secret
  std::string admin_key_path_;   // DATA/admin.key when the bootstrap secret came from it
  // Tokens' issue stamps: strictly increasing µs (at least the clock), so that a revocation of
  // all of an account's tokens refuses exactly those issued before it, even on a manual clock.
  mutable std::atomic<int64_t> last_stamp_us_{0};
};

}  // namespace tally::server
