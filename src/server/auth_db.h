// Where Auth (auth.h) keeps API keys, their secrets, the token revocation list and the admin
// audit trail: one interface, two implementations, chosen by the ledger's store.
//
// - SQLite (auth_sqlite.cc): DATA/keys.db, the node's own file (a one-node deployment).
// - PostgreSQL (auth_pg.cc): tables of the ledger's database (schema version 7, pg_schema.cc),
//   shared by every node of the deployment. Each write runs in one transaction that first
//   checks this node's lease (tally_fence on shard 0, as a ledger commit does), so a node that
//   lost its leases changes nothing here either; the end-user token secret is kept there too,
//   so that a token issued by one node is read by the others.
//
// Auth answers requests from memory and writes through this interface before it changes its
// memory: a change is durable before it is in force (and before the reply). Rows come back as
// stored; the rules (what a revoked key is, when a revocation is pruned) stay in Auth.
//
// Not thread-safe: Auth serialises calls (its change_mu_).
#pragma once

#include <cstdint>
#include <expected>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "server/auth.h"

namespace tally::server {

// Everything authenticate() needs, as load() reads it. Times as stored: k_no_end for none.
struct StoredAuth {
  struct Key {
    KeyInfo info;  // last_used_at, revoked_at and previous_valid_until not set
    int64_t last_used_us;
  };
  struct Secret {
    std::string sha256;
    std::string key_id;
    int64_t valid_until_us;
  };
  struct TokenRevocation {
    std::string token_id;
    int64_t prune_at_us;
  };
  struct AccountRevocation {
    std::string account;
    int64_t issued_before_us;
    int64_t prune_at_us;
  };
  std::vector<Key> keys;  // not revoked
  std::vector<Secret> secrets;
  std::vector<TokenRevocation> tokens;
  std::vector<AccountRevocation> accounts;
};

class AuthDb {
 public:
  virtual ~AuthDb() = default;

  // The keys not revoked, every secret, every revocation not pruned.
  virtual std::expected<StoredAuth, std::string> load() = 0;
  // Unless some key has the secret `sha256` already: makes it a secret of the admin key (made
  // if missing), its only one when `only` (the others end at once), else beside the others.
  virtual std::expected<void, std::string> import_admin_secret(const std::string& sha256, bool only,
                                                               TimeUs now) = 0;
  // A new key with its one secret.
  virtual std::expected<void, std::string> insert_key(const KeyInfo& info,
                                                      const std::string& sha256) = 0;
  virtual std::expected<void, std::string> revoke_key(const std::string& id, TimeUs now,
                                                      std::optional<TimeUs> last_used) = 0;
  // The key's secrets valid past `until_us` end then; `sha256` is its new secret.
  virtual std::expected<void, std::string> rotate_key(const std::string& id, int64_t until_us,
                                                      const std::string& sha256, TimeUs now) = 0;
  virtual std::expected<void, std::string> write_last_used(
      const std::vector<std::pair<std::string, int64_t>>& used) = 0;
  // Deletes the revocations whose prune time is at or before `now`.
  virtual std::expected<void, std::string> prune(TimeUs now) = 0;
  // Kept if the token id is revoked already.
  virtual std::expected<void, std::string> revoke_token(const std::string& token_id,
                                                        const std::string& account, TimeUs now,
                                                        int64_t prune_at_us) = 0;
  // Replaces the account's cutoff.
  virtual std::expected<void, std::string> revoke_account_tokens(const std::string& account,
                                                                 int64_t issued_before_us,
                                                                 int64_t prune_at_us) = 0;
  // Appends the action (its seq is the store's).
  virtual std::expected<void, std::string> record_action(const AdminAction& action) = 0;
  // As Auth::scan_actions.
  virtual std::expected<void, std::string> scan_actions(
      uint64_t after_seq, const store::AuditFilter& filter,
      const std::function<bool(const AdminAction&)>& visit) = 0;
  // The deployment's end-user token secret (PostgreSQL: `candidate` stored if none is yet, and
  // the stored one returned), or none: the node's DATA/token.secret (SQLite).
  virtual std::expected<std::optional<std::string>, std::string> shared_token_secret(
      const std::string& candidate) = 0;
  // Whether a secret new to the store replaces the admin key's (one node, one configuration)
  // or joins them (several nodes, each with its configured admin key).
  virtual bool shared() const = 0;
  // For messages: "DATA/keys.db", or "PostgreSQL host:port".
  virtual std::string where() const = 0;
};

// DATA/keys.db (created or migrated; "" for an in-memory database in tests).
std::expected<std::unique_ptr<AuthDb>, std::string> open_sqlite_auth_db(const std::string& path);

// The ledger's PostgreSQL database at `url` in `schema` (migrated by PgStore::open). Writes
// are fenced by the lease of `node` at `epoch` (empty node: not fenced, for tools and tests).
std::expected<std::unique_ptr<AuthDb>, std::string> open_pg_auth_db(const std::string& url,
                                                                    const std::string& schema,
                                                                    const std::string& node,
                                                                    int64_t epoch);

}  // namespace tally::server
