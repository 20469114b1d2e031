// The deployment's record of payments (DESIGN rule 8): a purchase's `payment_ref` credits at
// most one purchase in the whole deployment, whatever account, shard or idempotency key it
// arrives with. A shard sees only its own purchases, so before a purchase reaches its account's
// shard it claims its payment_ref here, durably; once the purchase is durable its answer is
// recorded here too, so a payment reported again is answered from this record for good (also
// after the shard let the purchase go from memory).
//
// A claim binds the payment_ref to one purchase request: its account and the digest of what it
// asks (account, pack, currency, region, payment_ref). The same purchase may claim it again (a
// retry, or a webhook delivered twice at once): the shard then dedupes it by payment_ref. Any
// other request is refused. A claim whose purchase the ledger refused is given up, so a
// corrected request can use the payment_ref.
//
// Two implementations with the same table (one row per payment, PRIMARY KEY payment_ref):
// SqlitePayments in DATA/payments.db (one node), PgPayments in the ledger's PostgreSQL database
// (every node of a deployment: the unique key is the deployment's). `tally serve` picks the one
// of its store.
//
// Thread-safe: any thread may call; calls are serialized.
#pragma once

#include <expected>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "ledger/command.h"
#include "store/store.h"

namespace tally::store {

struct PaymentClaim {
  enum class State : uint8_t {
    claimed,   // new: this request holds the payment_ref now
    pending,   // the same purchase claimed it before and has no recorded answer yet
    credited,  // the same purchase was credited: `response` is its answer
    taken,     // another purchase holds it: `account` is that purchase's account
  };
  State state = State::claimed;
  std::string response;
  std::string account;
};

// A claim with no answer recorded: its purchase is in flight, never reached its shard, or was
// made durable by a process that stopped before recording its answer.
struct PendingPayment {
  std::string payment_ref;
  std::string account;
  CommandDigest digest;
};

class Payments {
 public:
  virtual ~Payments() = default;
  // Claims `payment_ref` for the purchase of `account` whose request digest is `digest`; durable
  // before it returns `claimed`.
  [[nodiscard]] virtual std::expected<PaymentClaim, StoreError> claim(std::string_view payment_ref,
                                                                      std::string_view account,
                                                                      CommandDigest digest,
                                                                      TimeUs now) = 0;
  // The purchase holding `payment_ref` under `digest` is durable and answered `response`.
  [[nodiscard]] virtual std::expected<void, StoreError> credit(std::string_view payment_ref,
                                                               CommandDigest digest,
                                                               std::string_view response) = 0;
  // The ledger refused that purchase: the claim goes, unless it was credited.
  [[nodiscard]] virtual std::expected<void, StoreError> release(std::string_view payment_ref,
                                                                CommandDigest digest) = 0;
  // Every claim with no answer recorded.
  [[nodiscard]] virtual std::expected<std::vector<PendingPayment>, StoreError> pending() = 0;
};

// DATA/payments.db (created 0600 by the caller's umask). `path` ":memory:" for tests.
class SqlitePayments final : public Payments {
 public:
  static std::expected<std::unique_ptr<SqlitePayments>, StoreError> open(const std::string& path);
  ~SqlitePayments() override;

  std::expected<PaymentClaim, StoreError> claim(std::string_view payment_ref,
                                                std::string_view account, CommandDigest digest,
                                                TimeUs now) override;
  std::expected<void, StoreError> credit(std::string_view payment_ref, CommandDigest digest,
                                         std::string_view response) override;
  std::expected<void, StoreError> release(std::string_view payment_ref,
                                          CommandDigest digest) override;
  std::expected<std::vector<PendingPayment>, StoreError> pending() override;

 private:
  struct Db;
  explicit SqlitePayments(std::unique_ptr<Db> db);
  std::mutex mu_;
  std::unique_ptr<Db> db_;
};

// The table `payments` of the ledger's PostgreSQL database (schema version 6, pg_schema.cc;
// PgStore::open created it). Each node has its own connection; the primary key makes a
// payment_ref the deployment's, and every write is committed (synchronous_commit = on) before
// the call returns. A failed call drops the connection; the next call opens it again (a
// restarted or promoted PostgreSQL is picked up).
class PgPayments final : public Payments {
 public:
  static std::expected<std::unique_ptr<PgPayments>, StoreError> open(std::string url,
                                                                     std::string schema);
  ~PgPayments() override;

  std::expected<PaymentClaim, StoreError> claim(std::string_view payment_ref,
                                                std::string_view account, CommandDigest digest,
                                                TimeUs now) override;
  std::expected<void, StoreError> credit(std::string_view payment_ref, CommandDigest digest,
                                         std::string_view response) override;
  std::expected<void, StoreError> release(std::string_view payment_ref,
                                          CommandDigest digest) override;
  std::expected<std::vector<PendingPayment>, StoreError> pending() override;

 private:
  struct Db;
  explicit PgPayments(std::unique_ptr<Db> db);
  std::mutex mu_;
  std::unique_ptr<Db> db_;
};

// For backups (store/backup.h): in the payments database `copy`, forgets every recorded answer
// that the payments database `earlier` (a copy of the same file taken before) does not hold;
// the claims stay, pending. A backup copies the shards between the two: an answer recorded
// before they were copied is for a purchase they hold, a later one may be for a purchase they
// lack, which a pending claim lets the shard credit (or answer from its own payment_ref check)
// when the payment is reported again, where a recorded answer would credit nothing.
[[nodiscard]] std::expected<void, std::string> keep_answers_of(const std::string& copy,
                                                               const std::string& earlier);

}  // namespace tally::store
