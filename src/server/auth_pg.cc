// AuthDb in the ledger's PostgreSQL database (auth_db.h): the tables of schema version 7
// (pg_schema.cc), shared by every node. Each write is one transaction that first checks this
// node's lease on shard 0 (tally_fence, FOR SHARE: a takeover waits for it, and a write after a
// takeover fails "fenced:"), so the node that took over, which loads these tables only once it
// holds the leases, sees every change the old holder made and none comes after.
#include <climits>

#include "ledger/text.h"
#include "server/auth_db.h"
#include "server/auth_internal.h"
#include "store/pg_conn.h"
#include "store/pg_schema.h"

namespace tally::server {

using namespace auth_detail;
using store::pg::Params;
using store::pg::Queued;
using store::pg::Rows;

namespace {

// A nullable time column: k_no_end for NULL (as auth_sqlite.cc reads them).
int64_t time_col(const Rows& r, int row, int col) {
  return r.is_null(row, col) ? k_no_end : r.i64(row, col);
}

class PgAuthDb final : public AuthDb {
 public:
  PgAuthDb(const std::string& url, const std::string& schema, std::string node, int64_t epoch)
      : db_(url, schema, "keys"), node_(std::move(node)), epoch_(epoch) {}

  std::expected<void, std::string> check() {
    auto r = query("open", "SELECT count(*) FROM api_keys WHERE false", Params());
    if (!r) return std::unexpected(r.error());
    return {};
  }

  std::expected<StoredAuth, std::string> load() override;
  std::expected<void, std::string> import_admin_secret(const std::string& sha256, bool only,
                                                       TimeUs now) override;
  std::expected<void, std::string> insert_key(const KeyInfo& info,
                                              const std::string& sha256) override {
    return write(
        "create a key",
        {{"INSERT INTO api_keys (id, name, scope, created_at_us, expires_at_us)"
          " VALUES ($1, $2, $3, $4, $5)",
          opt(Params()
                  .text(info.id)
                  .text(info.name)
                  .text(scope_name(info.scope))
                  .i64(info.created_at.us),
              info.expires_at)},
         {"INSERT INTO api_key_secrets (sha256, key_id, created_at_us) VALUES ($1, $2, $3)",
          Params().text(sha256).text(info.id).i64(info.created_at.us)}});
  }
  std::expected<void, std::string> revoke_key(const std::string& id, TimeUs now,
                                              std::optional<TimeUs> last_used) override {
    return write("revoke a key",
                 {{"UPDATE api_keys SET revoked_at_us = $1, last_used_at_us = $2 WHERE id = $3",
                   opt(Params().i64(now.us), last_used).text(id)}});
  }
  std::expected<void, std::string> rotate_key(const std::string& id, int64_t until_us,
                                              const std::string& sha256, TimeUs now) override {
    return write(
        "rotate a key",
        {{"UPDATE api_key_secrets SET valid_until_us = $1 WHERE key_id = $2 AND"
          " (valid_until_us IS NULL OR valid_until_us > $1)",
          Params().i64(until_us).text(id)},
         {"INSERT INTO api_key_secrets (sha256, key_id, created_at_us) VALUES ($1, $2, $3)",
          Params().text(sha256).text(id).i64(now.us)}});
  }
  std::expected<void, std::string> write_last_used(
      const std::vector<std::pair<std::string, int64_t>>& used) override {
    std::vector<Queued> q;
    for (const auto& [id, at] : used) {
      q.push_back(
          {"UPDATE api_keys SET last_used_at_us = $1 WHERE id = $2", Params().i64(at).text(id)});
    }
    return write("record last uses", std::move(q));
  }
  std::expected<void, std::string> prune(TimeUs now) override {
    return write(
        "prune revocations",
        {{"DELETE FROM token_revocations WHERE prune_at_us <= $1", Params().i64(now.us)},
         {"DELETE FROM account_token_revocations WHERE prune_at_us <= $1", Params().i64(now.us)}});
  }
  std::expected<void, std::string> revoke_token(const std::string& token_id,
                                                const std::string& account, TimeUs now,
                                                int64_t prune_at_us) override {
    return write("revoke a token",
                 {{"INSERT INTO token_revocations (token_id, account, revoked_at_us, prune_at_us)"
                   " VALUES ($1, $2, $3, $4) ON CONFLICT (token_id) DO NOTHING",
                   Params().text(token_id).text(account).i64(now.us).i64(prune_at_us)}});
  }
  std::expected<void, std::string> revoke_account_tokens(const std::string& account,
                                                         int64_t issued_before_us,
                                                         int64_t prune_at_us) override {
    return write("revoke an account's tokens",
                 {{"INSERT INTO account_token_revocations (account, issued_before_us, prune_at_us)"
                   " VALUES ($1, $2, $3) ON CONFLICT (account) DO UPDATE SET"
                   " issued_before_us = EXCLUDED.issued_before_us,"
                   " prune_at_us = EXCLUDED.prune_at_us",
                   Params().text(account).i64(issued_before_us).i64(prune_at_us)}});
  }
  std::expected<void, std::string> record_action(const AdminAction& a) override {
    return write("record an admin action",
                 {{"INSERT INTO admin_audit (at_us, credential_kind, credential, member, action,"
                   " account, target) VALUES ($1, $2, $3, $4, $5, $6, $7)",
                   Params()
                       .i64(a.at.us)
                       .text(credential_kind_name(a.by.kind))
                       .text(a.by.id)
                       .text(a.by.member)
                       .text(a.action)
                       .text(a.account)
                       .text(a.target)}});
  }
  std::expected<void, std::string> scan_actions(
      uint64_t after_seq, const store::AuditFilter& filter,
      const std::function<bool(const AdminAction&)>& visit) override;
  std::expected<std::optional<std::string>, std::string> shared_token_secret(
      const std::string& candidate) override {
    auto put = write("store the token secret",
                     {{"INSERT INTO auth_secrets VALUES ('token', $1) ON CONFLICT DO NOTHING",
                       Params().text(candidate)}});
    if (!put) return std::unexpected(put.error());
    auto r = query("read the token secret", "SELECT value FROM auth_secrets WHERE name = 'token'",
                   Params());
    if (!r) return std::unexpected(r.error());
    if (r->size() != 1) return std::unexpected("keys: the token secret is missing");
    return r->text(0, 0);
  }
  bool shared() const override { return true; }
  std::string where() const override { return "PostgreSQL"; }

 private:
  static Params opt(Params p, std::optional<TimeUs> t) {
    return t ? std::move(p.i64(t->us)) : std::move(p.null());
  }
  std::expected<Rows, std::string> query(std::string_view step, const char* sql,
                                         const Params& params) {
    auto c = db_.get();
    if (!c) return std::unexpected(c.error());
    auto r = (*c)->query(sql, params);
    if (!r) return std::unexpected(db_.failed(step, r.error()));
    return r;
  }
  // `statements` in one transaction, after the lease check.
  std::expected<void, std::string> write(std::string_view step, std::vector<Queued> statements) {
    std::vector<Queued> all;
    if (!node_.empty()) store::pg::queue_fence(0, node_, epoch_, &all);
    for (auto& q : statements) all.push_back(std::move(q));
    auto c = db_.get();
    if (!c) return std::unexpected(c.error());
    if (auto r = (*c)->transaction(all); !r) return std::unexpected(db_.failed(step, r.error()));
    return {};
  }

  store::pg::LazyConnection db_;
  std::string node_;
  int64_t epoch_;
};

std::expected<StoredAuth, std::string> PgAuthDb::load() {
  StoredAuth out;
  auto keys = query("load the keys",
                    "SELECT id, name, scope, created_at_us, expires_at_us, last_used_at_us"
                    " FROM api_keys WHERE revoked_at_us IS NULL",
                    Params());
  if (!keys) return std::unexpected(keys.error());
  for (int i = 0; i < keys->size(); ++i) {
    auto scope = parse_scope(keys->text(i, 2));
    if (!scope) return std::unexpected(cat("key ", keys->text(i, 0), " has an unknown scope"));
    out.keys.push_back({KeyInfo{keys->text(i, 0),
                                keys->text(i, 1),
                                *scope,
                                TimeUs{keys->i64(i, 3)},
                                opt_time(time_col(*keys, i, 4)),
                                {},
                                {},
                                {}},
                        time_col(*keys, i, 5)});
  }
  auto secrets = query("load the keys",
                       "SELECT sha256, key_id, valid_until_us FROM api_key_secrets", Params());
  if (!secrets) return std::unexpected(secrets.error());
  for (int i = 0; i < secrets->size(); ++i) {
    out.secrets.push_back({secrets->text(i, 0), secrets->text(i, 1), time_col(*secrets, i, 2)});
  }
  auto tokens = query("load the revocations", "SELECT token_id, prune_at_us FROM token_revocations",
                      Params());
  if (!tokens) return std::unexpected(tokens.error());
  for (int i = 0; i < tokens->size(); ++i) {
    out.tokens.push_back({tokens->text(i, 0), tokens->i64(i, 1)});
  }
  auto accounts = query(
      "load the revocations",
      "SELECT account, issued_before_us, prune_at_us FROM account_token_revocations", Params());
  if (!accounts) return std::unexpected(accounts.error());
  for (int i = 0; i < accounts->size(); ++i) {
    out.accounts.push_back({accounts->text(i, 0), accounts->i64(i, 1), accounts->i64(i, 2)});
  }
  return out;
}

std::expected<void, std::string> PgAuthDb::import_admin_secret(const std::string& sha256, bool only,
                                                               TimeUs now) {
  auto known =
      query("import the admin key", "SELECT 1::bigint FROM api_key_secrets WHERE sha256 = $1",
            Params().text(sha256));
  if (!known) return std::unexpected(known.error());
  if (known->size() > 0) return {};
  std::vector<Queued> q;
  q.push_back(
      {"INSERT INTO api_keys (id, name, scope, created_at_us) VALUES ($1, 'admin', 'admin',"
       " $2) ON CONFLICT (id) DO NOTHING",
       Params().text(k_admin_key_id).i64(now.us)});
  if (only) {
    q.push_back(
        {"UPDATE api_key_secrets SET valid_until_us = $1 WHERE key_id = $2 AND"
         " (valid_until_us IS NULL OR valid_until_us > $1)",
         Params().i64(INT64_MIN).text(k_admin_key_id)});
  }
  q.push_back(
      {"INSERT INTO api_key_secrets (sha256, key_id, created_at_us) VALUES ($1, $2, $3)"
       " ON CONFLICT (sha256) DO NOTHING",
       Params().text(sha256).text(k_admin_key_id).i64(now.us)});
  return write("import the admin key", std::move(q));
}

std::expected<void, std::string> PgAuthDb::scan_actions(
    uint64_t after_seq, const store::AuditFilter& filter,
    const std::function<bool(const AdminAction&)>& visit) {
  // Pages of k_page_rows by seq: a long trail is not read into memory at once.
  for (int64_t after = static_cast<int64_t>(after_seq);;) {
    auto r = query("read the audit trail",
                   "SELECT seq, at_us, credential_kind, credential, member, action, account, target"
                   " FROM admin_audit WHERE seq > $1 AND ($2 = '' OR account = $2) AND"
                   " ($3 = '' OR credential = $3) AND at_us >= $4 AND at_us < $5"
                   " ORDER BY seq LIMIT $6",
                   Params()
                       .i64(after)
                       .text(filter.account)
                       .text(filter.credential)
                       .i64(filter.from.us)
                       .i64(filter.to.us)
                       .i64(store::pg::k_page_rows));
    if (!r) return std::unexpected(r.error());
    for (int i = 0; i < r->size(); ++i) {
      AdminAction a;
      a.seq = static_cast<uint64_t>(r->i64(i, 0));
      a.at = TimeUs{r->i64(i, 1)};
      auto kind = parse_credential_kind(r->text(i, 2));
      if (!kind) return std::unexpected(cat("audit line ", a.seq, " has no known kind"));
      a.by = Credential{*kind, r->text(i, 3), r->text(i, 4)};
      a.action = r->text(i, 5);
      a.account = r->text(i, 6);
      a.target = r->text(i, 7);
      after = r->i64(i, 0);
      if (!visit(a)) return {};
    }
    if (r->size() < store::pg::k_page_rows) return {};
  }
}

}  // namespace

std::expected<std::unique_ptr<AuthDb>, std::string> open_pg_auth_db(const std::string& url,
                                                                    const std::string& schema,
                                                                    const std::string& node,
                                                                    int64_t epoch) {
  auto db = std::make_unique<PgAuthDb>(url, schema, node, epoch);
  if (auto r = db->check(); !r) return std::unexpected(r.error());
  return db;
}

}  // namespace tally::server
