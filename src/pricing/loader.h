// Reads a price book from TOML: the `[price_book]` table of a configuration file
// (docs/pricing.md). The whole file is read by config::load_config (config/config.h), which
// calls read_price_book for that table with the same typed reads (config::TomlReader) as
// every other part of the file. parse_price_book and load_price_book_file read only the
// `[price_book]` of a text or file, for tests, benchmarks and tools that need a book alone;
// they ignore other top-level keys (the full config loader checks those).
//
// Inside `[price_book]` every key must be known: a typo is an error, not a silent default.
// Every error is a PricingError with code invalid_book (io_error if the file cannot be read)
// and the file, line and column of the node at fault. Thread-safe: no shared state.
//
// Only loaders include this header (it brings in toml++).
#pragma once

#include <toml++/toml.h>

#include <expected>
#include <memory>
#include <string>
#include <string_view>

#include "pricing/book.h"
#include "pricing/errors.h"

namespace tally::pricing {

// Reads the node of a `[price_book]` table; `file` names the source in error positions.
[[nodiscard]] std::expected<std::shared_ptr<const PriceBook>, PricingError> read_price_book(
    const toml::node& price_book_table, std::string_view file);

// Parses TOML text and reads its `[price_book]` (an error if there is none).
[[nodiscard]] std::expected<std::shared_ptr<const PriceBook>, PricingError> parse_price_book(
    std::string_view text, std::string_view file);

// Reads a file (at most config::k_config_bytes_max bytes), then as parse_price_book.
[[nodiscard]] std::expected<std::shared_ptr<const PriceBook>, PricingError> load_price_book_file(
    const std::string& path);

}  // namespace tally::pricing
