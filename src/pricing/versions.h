// PriceVersions: every loaded version of a price book, kept forever (DESIGN rule 7).
//
// Versions are immutable once added and shared as std::shared_ptr<const PriceBook>.
// Rules of add():
//   - the same version id with the same content again is a no-op (loading is idempotent);
//   - the same version id with different content is version_conflict;
//   - effective_at must be later than every loaded version's: the timeline only grows at
//     its end, so adding a version never changes which version was in force at any earlier
//     time (version_out_of_order otherwise). Load historical files oldest first
//     (add_all sorts them). Whether a new version may take effect in the past is the
//     caller's policy (the server requires effective_at >= now).
// Thread-safe: any number of readers, adds serialized by a shared mutex.
#pragma once

#include <expected>
#include <memory>
#include <shared_mutex>
#include <string_view>
#include <vector>

#include "ledger/credits.h"
#include "ledger/time.h"
#include "pricing/book.h"
#include "pricing/errors.h"
#include "pricing/quote.h"

namespace tally::pricing {

// A quote together with ownership of the book it was priced with.
struct BookedQuote {
  std::shared_ptr<const PriceBook> book;
  Quote quote;
};

class PriceVersions {
 public:
  [[nodiscard]] std::expected<void, PricingError> add(std::shared_ptr<const PriceBook> book);
  // Adds books in effective_at order; stops at the first error.
  [[nodiscard]] std::expected<void, PricingError> add_all(
      std::vector<std::shared_ptr<const PriceBook>> books);

  // The version in force at `at`: the latest with effective_at <= at; nullptr if none.
  std::shared_ptr<const PriceBook> version_at(TimeUs at) const;
  // By version id; nullptr if unknown.
  std::shared_ptr<const PriceBook> version(std::string_view id) const;
  // All versions, oldest first.
  std::vector<std::shared_ptr<const PriceBook>> versions() const;

  // A quote at time `at` (for a hold: usage parameters carry the declared maximum).
  // Errors: no_version_in_force, and those of quote().
  [[nodiscard]] std::expected<BookedQuote, PricingError> quote_at(
      TimeUs at, std::string_view tool, std::span<const ParamValue> params,
      std::string_view plan = {}) const;

  // Prices a capture with actual usage under the hold's version. Errors: unknown_version,
  // capture_exceeds_hold (the actual price is above `held`; the detail gives both), and
  // those of quote().
  [[nodiscard]] std::expected<BookedQuote, PricingError> price_capture(
      std::string_view hold_version, Credits held, std::string_view tool,
      std::span<const ParamValue> params, std::string_view plan = {}) const;

 private:
  mutable std::shared_mutex mu_;
  std::vector<std::shared_ptr<const PriceBook>> by_time_;  // ascending effective_at
};

}  // namespace tally::pricing
