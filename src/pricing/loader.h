// Loads a price book (and the minimal pack prices the price table needs) from TOML.
//
// The only part of pricing that does I/O. The format is documented in docs/pricing.md.
// A config file may hold other top-level tables (plans, packs, ledger settings) owned by
// other parts of Tally; the loader reads `[price_book]` and, if present, the `id`,
// `credits` and `prices` of each `[[packs]]` entry, and ignores every other top-level table.
// Inside `[price_book]` every key must be known: a typo is an error, not a silent default.
//
// Every error is a PricingError with code invalid_book (io_error if the file cannot be read)
// and the file, line and column of the node at fault. Thread-safe: no shared state.
#pragma once

#include <expected>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "ledger/credits.h"
#include "pricing/book.h"
#include "pricing/errors.h"

namespace tally::pricing {

inline constexpr size_t k_config_bytes_max = 4 << 20;
inline constexpr int k_packs_max = 64;

// A price of a pack in one currency, in integer minor units (USD 999 = $9.99).
struct PackPrice {
  std::string currency;  // ISO 4217, three upper-case letters
  int64_t amount_minor = 0;
};

// The part of a pack the price table needs (issue 4 owns the rest of `[[packs]]`).
struct Pack {
  std::string id;
  Credits credits;
  std::vector<PackPrice> prices;
};

struct LoadedConfig {
  std::shared_ptr<const PriceBook> book;
  std::vector<Pack> packs;  // empty when the file has no [[packs]]
};

// Parses TOML text; `file` names the source in error positions.
[[nodiscard]] std::expected<LoadedConfig, PricingError> parse_config(std::string_view text,
                                                                     std::string_view file);

// Reads and parses a file (at most k_config_bytes_max bytes).
[[nodiscard]] std::expected<LoadedConfig, PricingError> load_config_file(const std::string& path);

}  // namespace tally::pricing
