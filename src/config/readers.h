// The readers of the configuration file's sections, each over the parsed TOML root. They
// throw ConfigFailure (toml_reader.h) and are called only from parse_config (config.cc).
#pragma once

#include <toml++/toml.h>

#include "catalog/catalog.h"
#include "config/config.h"
#include "config/toml_reader.h"
#include "ledger/config.h"

namespace tally::config::detail {

// The largest amount of credits the configuration may name (a grant, an allocation, a bound).
inline const Credits k_catalog_amount_max = Credits::from_credits(1'000'000'000);

// [[plans]] (one may be the default), [[packs]] and [[seasons]].
Catalog read_catalog(const TomlReader& r, const toml::table& root);
// [ledger]: policy defaults and bounds; absent keys keep LedgerConfig's defaults.
LedgerConfig read_ledger(const TomlReader& r, const toml::table& root);
// [webhooks]: delivery timeout, retry backoff and give-up window, extra CA certificates.
WebhooksConfig read_webhooks(const TomlReader& r, const toml::table& root);
// [tokens]: what end-user tokens may change; the packs named must be in `catalog`.
TokensConfig read_tokens(const TomlReader& r, const toml::table& root, const Catalog& catalog);
// [log]: file, level, access, commit_stall; absent keys keep LogConfig's defaults.
LogConfig read_log(const TomlReader& r, const toml::table& root);
// [store]: url and schema of a PostgreSQL store; absent: SQLite in the data directory.
StoreConfig read_store(const TomlReader& r, const toml::table& root);

}  // namespace tally::config::detail
