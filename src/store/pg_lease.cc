#include "store/pg_lease.h"

#include <algorithm>

#include "ledger/text.h"
#include "store/pg_conn.h"

namespace tally::store {
namespace {

constexpr const char* k_rows_sql =
    "SELECT shard_id, owner, epoch, "
    "(extract(epoch FROM expires_at - clock_timestamp()) * 1000)::bigint "
    "FROM leases ORDER BY shard_id";
// The same rows, locked until the transaction ends: two nodes acquiring at once take turns,
// and the second sees what the first did.
constexpr const char* k_rows_locked_sql =
    "SELECT shard_id, owner, epoch, "
    "(extract(epoch FROM expires_at - clock_timestamp()) * 1000)::bigint "
    "FROM leases ORDER BY shard_id FOR UPDATE";

std::vector<LeaseRow> lease_rows(const pg::Rows& r) {
  std::vector<LeaseRow> out;
  for (int i = 0; i < r.size(); ++i) {
    out.push_back({static_cast<ShardId>(r.i64(i, 0)), r.text(i, 1), r.i64(i, 2), r.i64(i, 3)});
  }
  return out;
}

}  // namespace

PgLeases::PgLeases(std::string url, std::string schema)
    : url_(std::move(url)), schema_(std::move(schema)) {}
PgLeases::~PgLeases() = default;

std::expected<std::unique_ptr<PgLeases>, StoreError> PgLeases::open(std::string url,
                                                                    std::string schema,
                                                                    size_t shards) {
  std::unique_ptr<PgLeases> leases(new PgLeases(std::move(url), std::move(schema)));
  auto conn = leases->db();
  if (!conn) return std::unexpected(conn.error());
  // Free rows expired long ago (1970): the first acquisition takes them.
  auto r = (*conn)->query(
      "INSERT INTO leases SELECT g, '', 0, 'epoch'::timestamptz "
      "FROM generate_series(0::bigint, $1::bigint - 1) AS g ON CONFLICT DO NOTHING",
      pg::Params().i64(static_cast<int64_t>(shards)));
  if (!r) return std::unexpected(leases->failed(r.error()));
  return leases;
}

std::expected<pg::Connection*, StoreError> PgLeases::db(int64_t lease_ms) {
  if (!db_) {
    auto c = pg::Connection::open(url_, schema_);
    if (!c) return std::unexpected(StoreError{c.error()});
    db_ = std::move(*c);
    lock_timeout_ms_ = 0;
  }
  const int64_t wanted = lease_ms > 0 ? std::max<int64_t>(lease_ms / 3, 1) : 0;
  if (wanted != lock_timeout_ms_) {
    if (auto r = db_->exec(cat("SET lock_timeout = ", wanted)); !r) {
      return std::unexpected(failed(r.error()));
    }
    lock_timeout_ms_ = wanted;
  }
  return db_.get();
}

StoreError PgLeases::failed(const std::string& message) {
  std::string where = db_ ? db_->where() : std::string("PostgreSQL");
  db_.reset();
  return StoreError{cat(where, ": leases: ", message)};
}

std::expected<PgLeases::Acquired, StoreError> PgLeases::acquire_all(const std::string& node,
                                                                    int64_t lease_ms) {
  auto conn = db(lease_ms);
  if (!conn) return std::unexpected(conn.error());
  pg::Connection& c = **conn;
  if (auto r = c.exec("BEGIN"); !r) return std::unexpected(failed(r.error()));
  auto fail = [&](const std::string& m) {
    (void)c.exec("ROLLBACK");
    return std::unexpected(failed(m));
  };
  auto locked = c.query(k_rows_locked_sql);
  if (!locked) return fail(locked.error());
  Acquired out;
  out.rows = lease_rows(*locked);
  for (const LeaseRow& row : out.rows) {
    if (row.expires_in_ms > 0 && !row.owner.empty() && row.owner != node) {
      if (auto r = c.exec("ROLLBACK"); !r) return std::unexpected(failed(r.error()));
      return out;  // held by another node: nothing taken
    }
  }
  // One epoch for every shard, above any epoch any shard ever had.
  auto taken = c.query(
      "WITH next AS (SELECT coalesce(max(epoch), 0) + 1 AS e FROM leases) "
      "UPDATE leases SET owner = $1, epoch = next.e, "
      "expires_at = clock_timestamp() + $2::bigint * interval '1 millisecond' FROM next "
      "RETURNING next.e",
      pg::Params().text(node).i64(lease_ms));
  if (!taken) return fail(taken.error());
  if (taken->size() == 0) return fail("no lease rows");
  const int64_t epoch = taken->i64(0, 0);
  if (auto r = c.exec("COMMIT"); !r) return std::unexpected(failed(r.error()));
  out.epoch = epoch;
  return out;
}

std::expected<size_t, StoreError> PgLeases::renew(const std::string& node, int64_t epoch,
                                                  int64_t lease_ms) {
  auto conn = db(lease_ms);
  if (!conn) return std::unexpected(conn.error());
  auto r = (*conn)->query(
      "UPDATE leases SET expires_at = clock_timestamp() + $3::bigint * interval '1 millisecond' "
      "WHERE owner = $1 AND epoch = $2 RETURNING shard_id",
      pg::Params().text(node).i64(epoch).i64(lease_ms));
  if (!r) return std::unexpected(failed(r.error()));
  return static_cast<size_t>(r->size());
}

std::expected<void, StoreError> PgLeases::release(const std::string& node, int64_t epoch) {
  auto conn = db();
  if (!conn) return std::unexpected(conn.error());
  auto r = (*conn)->query(
      "UPDATE leases SET owner = '', expires_at = 'epoch'::timestamptz "
      "WHERE owner = $1 AND epoch = $2",
      pg::Params().text(node).i64(epoch));
  if (!r) return std::unexpected(failed(r.error()));
  return {};
}

std::expected<std::vector<LeaseRow>, StoreError> PgLeases::rows() {
  auto conn = db();
  if (!conn) return std::unexpected(conn.error());
  auto r = (*conn)->query(k_rows_sql);
  if (!r) return std::unexpected(failed(r.error()));
  return lease_rows(*r);
}

}  // namespace tally::store
