// A purchase on its way to its shard through the deployment's payments record (DESIGN rule 8,
// store/payments.h): a payment_ref credits at most one purchase in the whole deployment,
// whatever account, shard or key it comes with. A shard sees only its own purchases, so the
// payment_ref is claimed first; the purchase runs on its shard only with the claim in hand, and
// its answer is recorded with the claim once it is durable (or the claim given up if the ledger
// refused it). Shared by the HTTP API and the simulator (tests/sim), so both run this code.
#pragma once

#include <expected>
#include <functional>
#include <optional>
#include <string>

#include "service/service.h"
#include "store/payments.h"

namespace tally::service {

struct PurchaseOutcome {
  enum class Kind : uint8_t {
    ran,       // the purchase ran on its shard: `outcome` is what it got
    credited,  // the payment already credited this same purchase: `response` is its answer
    taken,     // the payment belongs to another purchase, of `account`: refused (409)
    failed,    // the payments record could not be read or written: `message` (500, retry)
  };
  Kind kind = Kind::ran;
  Outcome outcome;
  std::string response;
  std::string account;
  std::string message;
};

// Claims the payment_ref of `submission`'s Purchase, then submits it to its shard unless the
// claim answers (credited, taken, failed: `done` runs at once, on this thread). Once the
// purchase is durable, on the shard's writer thread: a credited purchase records its answer
// with the claim, a refusal (but a key conflict, which says nothing of this payment) gives the
// claim up, then `done` runs. A failure to record is logged: the purchase is durable anyway,
// and a claim left pending lets a retry of the same purchase through to the shard, whose own
// payment_ref check answers it.
void submit_purchase(Service& service, store::Payments& payments, Submission submission, TimeUs now,
                     std::function<void(PurchaseOutcome)> done);

// At start, before any request: a process that stopped between a purchase's commit and the
// record of its answer left its claim pending. While the shard remembers the purchase (its
// purchase retention) a retry is answered by the shard; past that, a pending claim would let the
// retry through to a shard that no longer knows the payment, and credit it twice. So every
// pending claim whose purchase a shard holds (`find`, the purchase of that payment_ref on the
// account's shard) is recorded as credited with its answer (`encode`, byte for byte what the
// purchase's first reply was). Returns how many were.
using FindPurchase = std::function<std::optional<PurchaseRecord>(const store::PendingPayment&)>;
using EncodePurchase = std::function<std::string(const std::string& account, const PurchaseReply&)>;
std::expected<size_t, store::StoreError> settle_pending_payments(store::Payments& payments,
                                                                 const FindPurchase& find,
                                                                 const EncodePurchase& encode);
// The same against a running service, reading each shard on its thread: `find` of the above.
FindPurchase find_in_service(Service& service);

}  // namespace tally::service
