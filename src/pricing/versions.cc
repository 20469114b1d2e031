#include "pricing/versions.h"

#include <algorithm>
#include <mutex>

namespace tally::pricing {

std::expected<void, PricingError> PriceVersions::add(std::shared_ptr<const PriceBook> book) {
  std::unique_lock lock(mu_);
  for (const auto& existing : by_time_) {
    if (existing->version != book->version) continue;
    if (existing->same_content(*book)) return {};
    return std::unexpected(
        PricingError{PricingErrorCode::version_conflict,
                     "price book version " + book->version +
                         " is already loaded with different content; a change needs a new version",
                     {}});
  }
  if (!by_time_.empty() && book->effective_at <= by_time_.back()->effective_at) {
    return std::unexpected(PricingError{
        PricingErrorCode::version_out_of_order,
        "version " + book->version + " takes effect at " + format_time(book->effective_at) +
            ", not after version " + by_time_.back()->version + " (" +
            format_time(by_time_.back()->effective_at) +
            "); versions are added in effective order and never change the past",
        {}});
  }
  by_time_.push_back(std::move(book));
  return {};
}

std::expected<void, PricingError> PriceVersions::add_all(
    std::vector<std::shared_ptr<const PriceBook>> books) {
  std::stable_sort(books.begin(), books.end(),
                   [](const auto& a, const auto& b) { return a->effective_at < b->effective_at; });
  for (auto& b : books) {
    if (auto r = add(std::move(b)); !r) return r;
  }
  return {};
}

std::shared_ptr<const PriceBook> PriceVersions::version_at(TimeUs at) const {
  std::shared_lock lock(mu_);
  auto it = std::upper_bound(by_time_.begin(), by_time_.end(), at,
                             [](TimeUs t, const auto& b) { return t < b->effective_at; });
  if (it == by_time_.begin()) return nullptr;
  return *std::prev(it);
}

std::shared_ptr<const PriceBook> PriceVersions::version(std::string_view id) const {
  std::shared_lock lock(mu_);
  for (const auto& b : by_time_) {
    if (b->version == id) return b;
  }
  return nullptr;
}

std::vector<std::shared_ptr<const PriceBook>> PriceVersions::versions() const {
  std::shared_lock lock(mu_);
  return by_time_;
}

std::expected<BookedQuote, PricingError> PriceVersions::quote_at(TimeUs at, std::string_view tool,
                                                                 std::span<const ParamValue> params,
                                                                 std::string_view plan) const {
  auto book = version_at(at);
  if (!book) {
    return std::unexpected(PricingError{PricingErrorCode::no_version_in_force,
                                        "no price book version is in force at " + format_time(at),
                                        {}});
  }
  auto q = quote(*book, tool, params, plan);
  if (!q) return std::unexpected(q.error());
  return BookedQuote{std::move(book), *q};
}

std::expected<BookedQuote, PricingError> PriceVersions::price_capture(
    std::string_view hold_version, Credits held, std::string_view tool,
    std::span<const ParamValue> params, std::string_view plan) const {
  auto book = version(hold_version);
  if (!book) {
    return std::unexpected(
        PricingError{PricingErrorCode::unknown_version,
                     "no price book version \"" + std::string(hold_version) + "\" is loaded",
                     {}});
  }
  auto q = quote(*book, tool, params, plan);
  if (!q) return std::unexpected(q.error());
  if (q->total > held) {
    return std::unexpected(PricingError{PricingErrorCode::capture_exceeds_hold,
                                        "actual usage costs " + format_credits(q->total) +
                                            " credits but the hold reserved " +
                                            format_credits(held),
                                        {}});
  }
  return BookedQuote{std::move(book), *q};
}

}  // namespace tally::pricing
