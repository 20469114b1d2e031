// The PostgreSQL schema (docs/storage.md, "PostgreSQL") and its migrations.
#include "store/pg_schema.h"

#include <algorithm>
#include <iterator>

#include "ledger/text.h"
#include "store/entry_row.h"
#include "store/pg_store.h"

namespace tally::store::pg {
namespace {

// The columns of `lots` and `lots_past`, in the SQLite store's order.
#define TALLY_PG_LOT_TABLE                                                                      \
  "(shard_id bigint NOT NULL, id bigint NOT NULL, account_idx bigint NOT NULL, "                \
  "source text NOT NULL, voided bigint NOT NULL, plan_credit bigint NOT NULL, "                 \
  "amount_micro bigint NOT NULL, remaining_micro bigint NOT NULL, held_micro bigint NOT NULL, " \
  "consumed_micro bigint NOT NULL, expired_micro bigint NOT NULL, "                             \
  "voided_micro bigint NOT NULL, restored_micro bigint NOT NULL, "                              \
  "granted_at_us bigint NOT NULL, effective_at_us bigint NOT NULL, "                            \
  "expires_at_us bigint NOT NULL, scope text NOT NULL, currency text NOT NULL, "                \
  "paid_minor bigint NOT NULL, reference text NOT NULL, reason text NOT NULL, "                 \
  "refs bigint NOT NULL, notice_at_us bigint NOT NULL, noticed bigint NOT NULL, "               \
  "PRIMARY KEY (shard_id, id))"

// Version 1: the tables of SQLite schema 7, and `journal`. `row_order` numbers rows whose order
// matters (SQLite's rowid): finished holds in the order they finished, keys in the order they
// ran (a key used again gets a new number).
constexpr const char* k_schema_1 = R"SQL(
CREATE SEQUENCE row_order;
CREATE TABLE meta (shard_id bigint NOT NULL, key text NOT NULL, value text NOT NULL,
  PRIMARY KEY (shard_id, key));
CREATE TABLE journal (shard_id bigint NOT NULL, record bigint NOT NULL,
  last_seq bigint NOT NULL, payload bytea NOT NULL, checksum bigint NOT NULL,
  PRIMARY KEY (shard_id, record));
CREATE TABLE books (shard_id bigint NOT NULL, book text NOT NULL, key text NOT NULL,
  amount_micro text NOT NULL, PRIMARY KEY (shard_id, book, key));
CREATE TABLE accounts (shard_id bigint NOT NULL, idx bigint NOT NULL, id text NOT NULL,
  balance_micro bigint NOT NULL, held_micro bigint NOT NULL, open_holds bigint NOT NULL,
  signup_granted bigint NOT NULL, last_reward_day_us bigint NOT NULL, plan text,
  past_due bigint, cancel_at_period_end bigint, anchor_us bigint, period bigint,
  period_start_us bigint, period_end_us bigint, allocation_micro bigint, allocated bigint,
  pending_plan text, pending_allocation_micro bigint, low_balance_micro bigint,
  expiring_notice_us bigint, low_armed bigint NOT NULL, depleted_armed bigint NOT NULL,
  auto_topup bytea, PRIMARY KEY (shard_id, idx), UNIQUE (shard_id, id));
CREATE TABLE lots )SQL" TALLY_PG_LOT_TABLE R"SQL(;
CREATE TABLE lots_past )SQL" TALLY_PG_LOT_TABLE R"SQL(;
CREATE TABLE holds (shard_id bigint NOT NULL, id bigint NOT NULL, account_idx bigint NOT NULL,
  amount_micro bigint NOT NULL, tool text NOT NULL, price_book_version text NOT NULL,
  created_at_us bigint NOT NULL, expires_at_us bigint NOT NULL, portions bytea NOT NULL,
  params bytea NOT NULL, plan text NOT NULL, PRIMARY KEY (shard_id, id));
CREATE TABLE finished_holds (shard_id bigint NOT NULL, id bigint NOT NULL,
  state bigint NOT NULL, expires_at_us bigint NOT NULL, spend bigint NOT NULL,
  ended_at_us bigint NOT NULL, ord bigint NOT NULL DEFAULT nextval('row_order'),
  PRIMARY KEY (shard_id, id));
CREATE INDEX finished_holds_by_order ON finished_holds (shard_id, ord);
CREATE TABLE spends (shard_id bigint NOT NULL, id bigint NOT NULL, account_idx bigint NOT NULL,
  amount_micro bigint NOT NULL, refunded_micro bigint NOT NULL, tool text NOT NULL,
  price_book_version text NOT NULL, at_us bigint NOT NULL, hold bigint NOT NULL,
  portions bytea NOT NULL, PRIMARY KEY (shard_id, id));
CREATE TABLE purchases (shard_id bigint NOT NULL, id bigint NOT NULL,
  account_idx bigint NOT NULL, pack text NOT NULL, payment_ref text NOT NULL,
  currency text NOT NULL, price_minor bigint NOT NULL, lot bigint NOT NULL,
  bonus_lot bigint NOT NULL, at_us bigint NOT NULL, voided bigint NOT NULL,
  digest_hi bigint NOT NULL, digest_lo bigint NOT NULL, reply bytea NOT NULL,
  PRIMARY KEY (shard_id, id));
CREATE TABLE idempotency (shard_id bigint NOT NULL, key text NOT NULL, at_us bigint NOT NULL,
  digest_hi bigint NOT NULL, digest_lo bigint NOT NULL, result bytea NOT NULL,
  response bytea NOT NULL, ord bigint NOT NULL DEFAULT nextval('row_order'),
  PRIMARY KEY (shard_id, key));
CREATE INDEX idempotency_by_order ON idempotency (shard_id, ord);
CREATE TABLE entries (shard_id bigint NOT NULL, seq bigint NOT NULL, at_us bigint NOT NULL,
  kind text NOT NULL, counter text NOT NULL, source text NOT NULL, account text NOT NULL,
  lot bigint NOT NULL, amount_micro bigint NOT NULL, held_micro bigint NOT NULL,
  balance_after_micro bigint NOT NULL, hold bigint NOT NULL, spend bigint NOT NULL,
  tool text NOT NULL, reason text NOT NULL, effective_at_us bigint NOT NULL,
  expires_at_us bigint NOT NULL, checksum bigint NOT NULL, PRIMARY KEY (shard_id, seq));
CREATE INDEX entries_by_account ON entries (shard_id, account, seq);
CREATE TABLE events (shard_id bigint NOT NULL, seq bigint NOT NULL, at_us bigint NOT NULL,
  type text NOT NULL, account text NOT NULL, amount_micro bigint NOT NULL,
  threshold_micro bigint NOT NULL, ref bigint NOT NULL, when_us bigint NOT NULL,
  detail text NOT NULL, currency text NOT NULL, price_minor bigint NOT NULL,
  region text NOT NULL, PRIMARY KEY (shard_id, seq));
CREATE INDEX events_by_account ON events (shard_id, account, seq);
)SQL";

// The leases step: a row per shard (created by the first node, pg_lease.cc), and the check a
// commit runs first. FOR SHARE holds the row until the commit ends, so a takeover (an UPDATE of
// the row) waits for a commit in flight, and a commit after a takeover reads the new owner.
constexpr const char* k_schema_leases = R"SQL(
CREATE TABLE leases (shard_id bigint PRIMARY KEY, owner text NOT NULL, epoch bigint NOT NULL,
  expires_at timestamptz NOT NULL);
ALTER TABLE journal ADD COLUMN lease_epoch bigint NOT NULL DEFAULT 0;
CREATE FUNCTION tally_fence(s bigint, node text, e bigint) RETURNS bigint
LANGUAGE plpgsql AS $fence$
DECLARE
  held record;
BEGIN
  SELECT owner, epoch INTO held FROM leases WHERE shard_id = s FOR SHARE;
  IF NOT FOUND THEN
    RAISE EXCEPTION 'fenced: shard % has no lease row', s USING ERRCODE = 'TL001';
  END IF;
  IF held.owner <> node OR held.epoch <> e THEN
    RAISE EXCEPTION 'fenced: the lease of shard % is held by ''%'' at epoch %, not by ''%'' at epoch %',
      s, held.owner, held.epoch, node, e USING ERRCODE = 'TL001';
  END IF;
  RETURN e;
END
$fence$;
)SQL";

// One step of the schema: takes a database at `from_version` to the next. Steps run in order
// from the database's version, all in the transaction that records the new version; what one
// version adds goes into its one step (a column the ledger gains: ALTER TABLE ... ADD COLUMN
// with the default that means "as before", as the SQLite store's k_migrations do).
struct Migration {
  int from_version;
  const char* sql;
};

constexpr Migration k_migrations[] = {
    {0, k_schema_1},
    // 1 -> 2 (SQLite 7 -> 8): team accounts (issue 17): an account's members and budgets; the
    // member and project of holds and spends, and when a spend counted against budgets.
    {1,
     "ALTER TABLE accounts ADD COLUMN team bytea;"
     "ALTER TABLE holds ADD COLUMN member text NOT NULL DEFAULT '';"
     "ALTER TABLE holds ADD COLUMN project text NOT NULL DEFAULT '';"
     "ALTER TABLE spends ADD COLUMN member text NOT NULL DEFAULT '';"
     "ALTER TABLE spends ADD COLUMN project text NOT NULL DEFAULT '';"
     "ALTER TABLE spends ADD COLUMN counted_at_us bigint NOT NULL DEFAULT 0;"},
    // 2 -> 3 (SQLite 8 -> 9): entries name the member and project of a team account's hold or
    // spend. Rows written before have neither; their checksums stay valid.
    {2,
     "ALTER TABLE entries ADD COLUMN member text NOT NULL DEFAULT '';"
     "ALTER TABLE entries ADD COLUMN project text NOT NULL DEFAULT '';"},
    // 3 -> 4 (SQLite 9 -> 10): the audit trail (issue 21), kept for good. Changes made before
    // have no line.
    {3,
     "CREATE TABLE audit (shard_id bigint NOT NULL, seq bigint NOT NULL, at_us bigint NOT NULL,"
     " credential_kind text NOT NULL, credential text NOT NULL, member text NOT NULL,"
     " idempotency_key text NOT NULL, account text NOT NULL, action text NOT NULL,"
     " PRIMARY KEY (shard_id, seq));"
     "CREATE INDEX audit_by_account ON audit (shard_id, account, seq);"
     "CREATE INDEX audit_by_credential ON audit (shard_id, credential, seq);"},
    // 4 -> 5, "leases" (issue 16, docs/storage.md "Leases and fencing"): a shard is written
    // only by the node holding its lease at its epoch; tally_fence() checks it inside each
    // commit, and each journal row keeps the epoch it was written under (0: before leases).
    {4, k_schema_leases},
    // 5 -> 6, "payments" (docs/storage.md "PostgreSQL"): the deployment's payments record
    // (store/payments.h), DATA/payments.db's one table, here so that a payment_ref credits at
    // most one purchase whichever node it reaches (rule 8). A node's payments.db is not copied.
    {5,
     "CREATE TABLE payments (payment_ref text PRIMARY KEY, account text NOT NULL,"
     " digest_hi bigint NOT NULL, digest_lo bigint NOT NULL, claimed_at_us bigint NOT NULL,"
     " response bytea);"},
    // 6 -> 7, "keys" (docs/operations.md "Keys on PostgreSQL"): DATA/keys.db's tables (API
    // keys, their secrets, the token revocation list, the admin audit trail) and the end-user
    // token secret, shared by every node (server/auth_db.h). A node's keys.db is not copied.
    {6,
     "CREATE TABLE api_keys (id text PRIMARY KEY, name text NOT NULL, scope text NOT NULL,"
     " created_at_us bigint NOT NULL, expires_at_us bigint, revoked_at_us bigint,"
     " last_used_at_us bigint);"
     "CREATE TABLE api_key_secrets (sha256 text PRIMARY KEY, key_id text NOT NULL,"
     " created_at_us bigint NOT NULL, valid_until_us bigint);"
     "CREATE TABLE token_revocations (token_id text PRIMARY KEY, account text NOT NULL,"
     " revoked_at_us bigint NOT NULL, prune_at_us bigint NOT NULL);"
     "CREATE TABLE account_token_revocations (account text PRIMARY KEY,"
     " issued_before_us bigint NOT NULL, prune_at_us bigint NOT NULL);"
     "CREATE TABLE admin_audit (seq bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,"
     " at_us bigint NOT NULL, credential_kind text NOT NULL, credential text NOT NULL,"
     " member text NOT NULL, action text NOT NULL, account text NOT NULL, target text NOT NULL);"
     "CREATE INDEX admin_audit_by_credential ON admin_audit (credential, seq);"
     "CREATE INDEX admin_audit_by_account ON admin_audit (account, seq);"
     "CREATE TABLE auth_secrets (name text PRIMARY KEY, value text NOT NULL);"},
    // 7 -> 8 (SQLite 10 -> 11): a spend's outcome (issue 19): 0 none, 1 usable, 2 rejected.
    {7, "ALTER TABLE spends ADD COLUMN outcome bigint NOT NULL DEFAULT 0;"},
};
static_assert(std::size(k_migrations) > 0 &&
              k_migrations[std::size(k_migrations) - 1].from_version + 1 ==
                  PgStore::k_schema_version);

// An arbitrary constant: the advisory lock every migrating Tally takes.
constexpr int64_t k_migration_lock = 0x74616c6c79'3136;  // "tally16"

std::expected<int, std::string> stored_version(Connection& db) {
  auto table = db.query("SELECT to_regclass('meta') IS NOT NULL");
  if (!table) return std::unexpected(table.error());
  if (table->size() == 0 || table->bytes(0, 0) != std::string_view("\1", 1)) return 0;
  auto v = db.query("SELECT value FROM meta WHERE shard_id = -1 AND key = 'schema_version'");
  if (!v) return std::unexpected(v.error());
  if (v->size() == 0) return 0;
  const std::string text = v->text(0, 0);
  if (text.empty() || text.size() > 6 ||
      text.find_first_not_of("0123456789") != std::string::npos) {
    return std::unexpected(cat("meta.schema_version is '", text, "', not a version"));
  }
  return std::stoi(text);
}

std::expected<int, std::string> migrate_locked(Connection& db, const std::string& schema,
                                               int version) {
  if (!schema.empty()) {
    // The connection's search path already names it (Connection::open); it may not exist yet.
    auto exists = db.query("SELECT 1::bigint FROM pg_namespace WHERE nspname::text = $1",
                           Params().text(schema));
    if (!exists) return std::unexpected(exists.error());
    if (exists->size() == 0) {
      if (auto r = db.query("SELECT pg_catalog.format('CREATE SCHEMA %I', $1::text)",
                            Params().text(schema));
          !r) {
        return std::unexpected(r.error());
      } else if (auto made = db.exec(r->text(0, 0)); !made) {
        return std::unexpected(made.error());
      }
    }
  }
  auto stored = stored_version(db);
  if (!stored) return stored;
  if (*stored == version) return *stored;
  if (*stored > version) {
    return std::unexpected(cat("schema version ", *stored, ": this Tally reads version ", version,
                               " (a newer Tally migrated the database)"));
  }
  for (const Migration& m : k_migrations) {
    if (m.from_version < *stored) continue;
    if (auto r = db.exec(m.sql); !r) {
      return std::unexpected(cat("migrating from version ", m.from_version, ": ", r.error()));
    }
  }
  auto set = db.query(
      "INSERT INTO meta VALUES (-1, 'schema_version', $1) "
      "ON CONFLICT (shard_id, key) DO UPDATE SET value = EXCLUDED.value",
      Params().text(std::to_string(version)));
  if (!set) return std::unexpected(set.error());
  return *stored;
}

}  // namespace

std::expected<int, std::string> migrate(Connection& db, const std::string& schema, int version) {
  if (auto r = db.exec("BEGIN"); !r) return std::unexpected(r.error());
  auto locked = db.query("SELECT pg_advisory_xact_lock($1)", Params().i64(k_migration_lock));
  auto r = locked ? migrate_locked(db, schema, version) : std::unexpected(locked.error());
  if (!r) {
    (void)db.exec("ROLLBACK");
    return r;
  }
  if (auto c = db.exec("COMMIT"); !c) return std::unexpected(c.error());
  return r;
}

std::expected<uint64_t, std::string> last_record(Connection& db, ShardId shard) {
  auto r = db.query("SELECT max(record) FROM journal WHERE shard_id = $1", Params().i64(shard));
  if (!r) return std::unexpected(r.error());
  return r->is_null(0, 0) ? 0 : static_cast<uint64_t>(r->i64(0, 0));
}

std::expected<uint64_t, std::string> last_seq(Connection& db, ShardId shard) {
  auto v = meta_value(db, shard, "seq");
  if (!v) return std::unexpected(v.error());
  return static_cast<uint64_t>(v->value_or(0));
}

}  // namespace tally::store::pg
