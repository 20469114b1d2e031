#include "store/payments.h"

#include "ledger/text.h"
#include "store/sqlite_schema.h"

namespace tally::store {
namespace {

constexpr const char* k_schema = R"SQL(
PRAGMA journal_mode = WAL;
PRAGMA synchronous = FULL;
PRAGMA busy_timeout = 5000;
CREATE TABLE IF NOT EXISTS payments (payment_ref TEXT NOT NULL PRIMARY KEY,
  account TEXT NOT NULL, digest_hi INTEGER NOT NULL, digest_lo INTEGER NOT NULL,
  claimed_at_us INTEGER NOT NULL, response BLOB) WITHOUT ROWID;
)SQL";

int64_t word(uint64_t v) { return static_cast<int64_t>(v); }  // digests, bit for bit

}  // namespace

struct SqlitePayments::Db {
  explicit Db(sqlite3* raw) : conn(raw) {}
  sqlite::Connection conn;
  StoreError error(std::string_view what) const {
    return StoreError{cat("payments: ", what, ": ", sqlite3_errmsg(conn.raw))};
  }
};

SqlitePayments::SqlitePayments(std::unique_ptr<Db> db) : db_(std::move(db)) {}
SqlitePayments::~SqlitePayments() = default;

std::expected<std::unique_ptr<SqlitePayments>, StoreError> SqlitePayments::open(
    const std::string& path) {
  sqlite3* raw = nullptr;
  const int rc = sqlite3_open_v2(path.c_str(), &raw,
                                 SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX,
                                 nullptr);
  auto db = std::make_unique<Db>(raw);  // closes `raw` on every path
  if (rc != SQLITE_OK) return std::unexpected(db->error(cat("open ", path)));
  char* message = nullptr;
  if (sqlite3_exec(raw, k_schema, nullptr, nullptr, &message) != SQLITE_OK) {
    StoreError e{cat("payments: ", path, ": ", message ? message : "schema")};
    sqlite3_free(message);
    return std::unexpected(e);
  }
  return std::unique_ptr<SqlitePayments>(new SqlitePayments(std::move(db)));
}

std::expected<PaymentClaim, StoreError> SqlitePayments::claim(std::string_view payment_ref,
                                                              std::string_view account,
                                                              CommandDigest digest, TimeUs now) {
  std::lock_guard lock(mu_);
  sqlite::Stmt insert(db_->conn,
                      "INSERT INTO payments VALUES (?, ?, ?, ?, ?, NULL) "
                      "ON CONFLICT (payment_ref) DO NOTHING");
  insert.bind(1, payment_ref).bind(2, account).bind(3, word(digest.hi)).bind(4, word(digest.lo));
  if (!insert.bind(5, now.us).run()) return std::unexpected(db_->error("claim"));
  if (insert.changes() == 1) return PaymentClaim{PaymentClaim::State::claimed, {}, {}};
  sqlite::Stmt get(db_->conn,
                   "SELECT account, digest_hi, digest_lo, response FROM payments "
                   "WHERE payment_ref = ?");
  get.bind(1, payment_ref);
  if (get.step() != SQLITE_ROW) return std::unexpected(db_->error("read a claim"));
  if (CommandDigest{static_cast<uint64_t>(get.i64(1)), static_cast<uint64_t>(get.i64(2))} !=
      digest) {
    return PaymentClaim{PaymentClaim::State::taken, {}, get.text(0)};
  }
  if (get.is_null(3)) return PaymentClaim{PaymentClaim::State::pending, {}, {}};
  return PaymentClaim{PaymentClaim::State::credited, std::string(get.bytes(3)), {}};
}

std::expected<void, StoreError> SqlitePayments::credit(std::string_view payment_ref,
                                                       CommandDigest digest,
                                                       std::string_view response) {
  std::lock_guard lock(mu_);
  sqlite::Stmt update(db_->conn,
                      "UPDATE payments SET response = ? WHERE payment_ref = ? AND digest_hi = ? "
                      "AND digest_lo = ? AND response IS NULL");
  update.blob(1, response).bind(2, payment_ref).bind(3, word(digest.hi));
  if (!update.bind(4, word(digest.lo)).run()) return std::unexpected(db_->error("credit"));
  return {};
}

std::expected<void, StoreError> SqlitePayments::release(std::string_view payment_ref,
                                                        CommandDigest digest) {
  std::lock_guard lock(mu_);
  sqlite::Stmt del(db_->conn,
                   "DELETE FROM payments WHERE payment_ref = ? AND digest_hi = ? AND "
                   "digest_lo = ? AND response IS NULL");
  del.bind(1, payment_ref).bind(2, word(digest.hi)).bind(3, word(digest.lo));
  if (!del.run()) return std::unexpected(db_->error("release"));
  return {};
}

std::expected<std::vector<PendingPayment>, StoreError> SqlitePayments::pending() {
  std::lock_guard lock(mu_);
  sqlite::Stmt get(db_->conn,
                   "SELECT payment_ref, account, digest_hi, digest_lo FROM payments "
                   "WHERE response IS NULL ORDER BY payment_ref");
  std::vector<PendingPayment> out;
  int rc;
  while ((rc = get.step()) == SQLITE_ROW) {
    out.push_back(PendingPayment{
        get.text(0), get.text(1),
        CommandDigest{static_cast<uint64_t>(get.i64(2)), static_cast<uint64_t>(get.i64(3))}});
  }
  if (rc != SQLITE_DONE) return std::unexpected(db_->error("read pending claims"));
  return out;
}

std::expected<void, std::string> keep_answers_of(const std::string& copy,
                                                 const std::string& earlier) {
  sqlite3* raw = nullptr;
  const int rc = sqlite3_open_v2(copy.c_str(), &raw, SQLITE_OPEN_READWRITE, nullptr);
  sqlite::Connection db(raw);  // closes `raw` on every path
  auto error = [&](std::string_view what) {
    return std::unexpected(
        cat(copy, ": ", what, ": ", raw ? sqlite3_errmsg(raw) : "out of memory"));
  };
  if (rc != SQLITE_OK) return error("open");
  if (!sqlite::Stmt(db, "ATTACH ? AS earlier").bind(1, earlier).run()) return error("attach");
  const bool updated = sqlite::Stmt(db,
                                    "UPDATE payments SET response = NULL WHERE response IS NOT "
                                    "NULL AND payment_ref NOT IN (SELECT payment_ref FROM "
                                    "earlier.payments WHERE response IS NOT NULL)")
                           .run();
  if (!updated) return error("forgetting later answers");
  return {};
}

}  // namespace tally::store
