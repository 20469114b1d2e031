// Every price book version `tally serve` has run, kept in DATA/price_books.db (issue 5's
// "price book versions"): a hold placed under an old version is still captured with usage under
// that version (rule 7) after the configuration moved on to a new one, also across restarts.
//
// Called once at start, before any thread runs.
#pragma once

#include <expected>
#include <memory>
#include <string>
#include <string_view>

#include "pricing/versions.h"

namespace tally::server {

// Loads the stored versions, adds the configuration's own (`config_text`, the whole file, which
// holds its [price_book]) and stores it if it is new. Fails if the configuration reuses a
// stored version id with different content, or takes effect before a stored version (versions
// never change the past); the message says which.
std::expected<std::shared_ptr<pricing::PriceVersions>, std::string> open_price_versions(
    const std::string& data_dir, std::string_view config_text, std::string_view config_name);

}  // namespace tally::server
