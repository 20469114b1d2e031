#include "service/purchase.h"

#include <memory>
#include <utility>
#include <variant>

#include "ledger/check.h"
#include "log/log.h"

namespace tally::service {

void submit_purchase(Service& service, store::Payments& payments, Submission submission, TimeUs now,
                     std::function<void(PurchaseOutcome)> done) {
  const auto* purchase = std::get_if<Purchase>(&submission.request.command);
  TALLY_CHECK(purchase != nullptr);
  const CommandDigest digest = fingerprint(submission.request.command);
  auto claim = payments.claim(purchase->payment_ref, purchase->account, digest, now);
  PurchaseOutcome out;
  if (!claim) {
    out.kind = PurchaseOutcome::Kind::failed;
    out.message = claim.error().message;
    return done(std::move(out));
  }
  using State = store::PaymentClaim::State;
  switch (claim->state) {
    case State::credited:
      out.kind = PurchaseOutcome::Kind::credited;
      out.response = std::move(claim->response);
      return done(std::move(out));
    case State::taken:
      out.kind = PurchaseOutcome::Kind::taken;
      out.account = std::move(claim->account);
      return done(std::move(out));
    case State::claimed:
    case State::pending:
      break;
  }
  service.submit(std::move(submission), [&payments, payment_ref = purchase->payment_ref, digest,
                                         done = std::move(done)](Outcome o) {
    std::expected<void, store::StoreError> recorded;
    if (o.result) {
      const Result& r = *o.result;
      if (r && std::holds_alternative<PurchaseReply>(*r)) {
        recorded = payments.credit(payment_ref, digest, o.response);
      } else if (!r && r.error().code != ErrorCode::idempotency_conflict) {
        recorded = payments.release(payment_ref, digest);  // nothing was credited
      }
    }
    if (!recorded) {
      log::Line(log::Level::error, "store_failed")
          .text("during", "recording a payment")
          .text("payment_ref", payment_ref)
          .text("message", recorded.error().message);
    }
    PurchaseOutcome ran;
    ran.outcome = std::move(o);
    done(std::move(ran));
  });
}

std::expected<size_t, store::StoreError> settle_pending_payments(store::Payments& payments,
                                                                 const FindPurchase& find,
                                                                 const EncodePurchase& encode) {
  auto pending = payments.pending();
  if (!pending) return std::unexpected(pending.error());
  size_t settled = 0;
  for (const store::PendingPayment& p : *pending) {
    const std::optional<PurchaseRecord> purchase = find(p);
    if (!purchase || purchase->fingerprint != p.digest) continue;  // not durable: may run
    auto credited = payments.credit(p.payment_ref, p.digest, encode(p.account, purchase->reply));
    if (!credited) return std::unexpected(credited.error());
    ++settled;
  }
  return settled;
}

FindPurchase find_in_service(Service& service) {
  return [&service](const store::PendingPayment& p) {
    std::optional<PurchaseRecord> found;
    service
        .read(service.shard_of_account(p.account),
              [&](const Ledger& l) {
                if (const PurchaseRecord* r = l.find_purchase_by_payment(p.payment_ref)) found = *r;
              })
        .wait();
    return found;
  };
}

}  // namespace tally::service
