// The payments record in PostgreSQL (store/payments.h, PgPayments): the same claim, credit and
// release as SqlitePayments, against the ledger database's `payments` table, so that every node
// of a deployment answers a payment_ref from one record.
#include "ledger/text.h"
#include "store/payments.h"
#include "store/pg_conn.h"

namespace tally::store {
namespace {

int64_t word(uint64_t v) {
  return static_cast<int64_t>(v);
}  // digests, bit for bit

// A claim's row read back after its insert found one: a release by another node may remove it
// in between, so the claim is tried again, a bounded number of times.
constexpr int k_claim_attempts = 8;

}  // namespace

struct PgPayments::Db {
  pg::LazyConnection conn;
  std::expected<pg::Connection*, StoreError> get() {
    auto c = conn.get();
    if (!c) return std::unexpected(StoreError{c.error()});
    return *c;
  }
  StoreError failed(std::string_view step, const std::string& message) {
    return StoreError{conn.failed(step, message)};
  }
};

PgPayments::PgPayments(std::unique_ptr<Db> db) : db_(std::move(db)) {}
PgPayments::~PgPayments() = default;

std::expected<std::unique_ptr<PgPayments>, StoreError> PgPayments::open(std::string url,
                                                                        std::string schema) {
  auto db = std::make_unique<Db>(pg::LazyConnection(std::move(url), std::move(schema), "payments"));
  auto c = db->get();
  if (!c) return std::unexpected(c.error());
  // The table is the schema's (version 6): a database PgStore::open has not migrated is refused.
  auto r = (*c)->query("SELECT count(*) FROM payments WHERE false");
  if (!r) return std::unexpected(db->failed("open", r.error()));
  return std::unique_ptr<PgPayments>(new PgPayments(std::move(db)));
}

std::expected<PaymentClaim, StoreError> PgPayments::claim(std::string_view payment_ref,
                                                          std::string_view account,
                                                          CommandDigest digest, TimeUs now) {
  std::lock_guard lock(mu_);
  for (int attempt = 0; attempt < k_claim_attempts; ++attempt) {
    auto c = db_->get();
    if (!c) return std::unexpected(c.error());
    auto inserted = (*c)->query(
        "INSERT INTO payments VALUES ($1, $2, $3, $4, $5, NULL) "
        "ON CONFLICT (payment_ref) DO NOTHING RETURNING 1::bigint",
        pg::Params()
            .text(payment_ref)
            .text(account)
            .i64(word(digest.hi))
            .i64(word(digest.lo))
            .i64(now.us));
    if (!inserted) return std::unexpected(db_->failed("claim", inserted.error()));
    if (inserted->size() == 1) return PaymentClaim{PaymentClaim::State::claimed, {}, {}};
    auto got = (*c)->query(
        "SELECT account, digest_hi, digest_lo, response FROM payments WHERE payment_ref = $1",
        pg::Params().text(payment_ref));
    if (!got) return std::unexpected(db_->failed("read a claim", got.error()));
    if (got->size() == 0) continue;  // released in between: claim it again
    if (CommandDigest{static_cast<uint64_t>(got->i64(0, 1)),
                      static_cast<uint64_t>(got->i64(0, 2))} != digest) {
      return PaymentClaim{PaymentClaim::State::taken, {}, got->text(0, 0)};
    }
    if (got->is_null(0, 3)) return PaymentClaim{PaymentClaim::State::pending, {}, {}};
    return PaymentClaim{PaymentClaim::State::credited, std::string(got->bytes(0, 3)), {}};
  }
  return std::unexpected(
      StoreError{cat("payments: claim: payment_ref '", payment_ref, "' was claimed and given up ",
                     k_claim_attempts, " times while this claim ran")});
}

std::expected<void, StoreError> PgPayments::credit(std::string_view payment_ref,
                                                   CommandDigest digest,
                                                   std::string_view response) {
  std::lock_guard lock(mu_);
  auto c = db_->get();
  if (!c) return std::unexpected(c.error());
  auto r = (*c)->query(
      "UPDATE payments SET response = $1 WHERE payment_ref = $2 AND digest_hi = $3 "
      "AND digest_lo = $4 AND response IS NULL",
      pg::Params().bytes(response).text(payment_ref).i64(word(digest.hi)).i64(word(digest.lo)));
  if (!r) return std::unexpected(db_->failed("credit", r.error()));
  return {};
}

std::expected<void, StoreError> PgPayments::release(std::string_view payment_ref,
                                                    CommandDigest digest) {
  std::lock_guard lock(mu_);
  auto c = db_->get();
  if (!c) return std::unexpected(c.error());
  auto r = (*c)->query(
      "DELETE FROM payments WHERE payment_ref = $1 AND digest_hi = $2 AND digest_lo = $3 "
      "AND response IS NULL",
      pg::Params().text(payment_ref).i64(word(digest.hi)).i64(word(digest.lo)));
  if (!r) return std::unexpected(db_->failed("release", r.error()));
  return {};
}

std::expected<std::vector<PendingPayment>, StoreError> PgPayments::pending() {
  std::lock_guard lock(mu_);
  auto c = db_->get();
  if (!c) return std::unexpected(c.error());
  auto r = (*c)->query(
      "SELECT payment_ref, account, digest_hi, digest_lo FROM payments "
      "WHERE response IS NULL ORDER BY payment_ref");
  if (!r) return std::unexpected(db_->failed("read pending claims", r.error()));
  std::vector<PendingPayment> out;
  out.reserve(static_cast<size_t>(r->size()));
  for (int i = 0; i < r->size(); ++i) {
    out.push_back(PendingPayment{
        r->text(i, 0), r->text(i, 1),
        CommandDigest{static_cast<uint64_t>(r->i64(i, 2)), static_cast<uint64_t>(r->i64(i, 3))}});
  }
  return out;
}

}  // namespace tally::store
