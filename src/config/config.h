// The configuration file: one TOML file holds the price book ([price_book], docs/pricing.md),
// the catalog ([[plans]], [[packs]], [[seasons]]; docs/catalog.md), the ledger's policy
// ([ledger]; docs/catalog.md), webhook delivery ([webhooks]; docs/webhooks.md), what end-user
// tokens may change ([tokens]; docs/api.md "Auth"), the server's logs ([log];
// docs/operations.md) and where the ledger is stored ([store]; docs/storage.md). Any other
// top-level key is an error, so a typo never
// becomes a silent default.
//
// The only part of the config layer most callers need. Thread-safe: no shared state.
#pragma once

#include <cstdint>
#include <expected>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "catalog/catalog.h"
#include "config/config_error.h"
#include "ledger/config.h"
#include "log/log.h"
#include "pricing/book.h"

namespace tally::config {

// [webhooks] (docs/webhooks.md): how deliveries are sent and retried. Durations in µs.
struct WebhooksConfig {
  int64_t timeout_us = 10 * k_us_per_second;     // one delivery, connect to answer
  int64_t retry_first_us = 5 * k_us_per_second;  // the first retry's wait, doubling...
  int64_t retry_max_us = k_us_per_hour;          // ... up to this
  int64_t give_up_after_us = 3 * k_us_per_day;   // no success this long: the endpoint is disabled
  std::string ca_file;  // more CA certificates (PEM) trusted for https:// receivers
};

// [tokens] (docs/api.md "What end users may change"): whether an end-user token may change its
// own account's alert settings and auto top-up, and within which limits. Off by default: tokens
// only read.
struct TokensConfig {
  bool edit_alerts = false;                     // PUT /v1/accounts/{id}/alerts
  bool edit_auto_topup = false;                 // PUT and DELETE /v1/accounts/{id}/auto_topup
  std::vector<std::string> auto_topup_packs;    // the packs a token may choose; empty: any pack
  std::optional<Credits> auto_topup_below_max;  // the highest `below` a token may set
  friend bool operator==(const TokensConfig&, const TokensConfig&) = default;
};

// [log]: where `tally serve` writes its JSON lines, from which level, whether it writes one
// per request, and when a commit counts as a stall.
struct LogConfig {
  log::Settings log;  // file (empty: standard error), level, access
  int64_t commit_stall_us = 100'000;  // a commit slower than this is logged (warn)
};

// [store] (docs/storage.md "PostgreSQL"): the shards' ledger in PostgreSQL instead of the data
// directory's SQLite files. `tally serve --store` wins over it.
struct StoreConfig {
  std::string url;     // postgresql://...; empty: SQLite in the data directory
  std::string schema;  // the PostgreSQL schema of Tally's tables; empty: the search path's
  // Shard leases (docs/storage.md "Leases and fencing"): how long a lease lasts unless renewed,
  // and the name this node holds them under (empty: HOSTNAME:DATA_DIR, stable across restarts
  // of one node and unique among live ones, since a data directory has one server at a time).
  int64_t lease_us = 5 * k_us_per_second;
  std::string node_id;
};

struct Config {
  std::string file;
  std::shared_ptr<const pricing::PriceBook> price_book;  // null when the file has none
  std::shared_ptr<const Catalog> catalog;                // never null; empty without plans/packs
  LedgerConfig ledger;
  WebhooksConfig webhooks;
  TokensConfig tokens;
  LogConfig log;
  StoreConfig store;
};

// The top-level sections of the configuration file, in file-format order.
inline constexpr std::string_view k_sections[] = {"price_book", "plans",    "packs",
                                                  "seasons",    "ledger",   "webhooks",
                                                  "tokens",     "log",      "store"};

// Parses configuration text; `file` names it in error positions.
[[nodiscard]] std::expected<Config, ConfigError> parse_config(std::string_view text,
                                                              std::string_view file);
// Reads and parses a file (at most k_config_bytes_max bytes).
[[nodiscard]] std::expected<Config, ConfigError> load_config(const std::string& path);

// The top-level sections (k_sections) whose contents differ between two configuration texts
// that both parse, in k_sections order (a section present in one only counts as changed).
std::vector<std::string> changed_sections(std::string_view old_text, std::string_view new_text);

// For messages about a file that loaded (`tally lint`): the 1-based line of each key path
// ("packs[1].bonus_validity", "price_book.tools.image.params[4].default", toml++'s path syntax)
// in configuration text, or of its nearest enclosing key the text has; 0 when none or when
// the text does not parse.
std::vector<uint32_t> lines_of(std::string_view text, const std::vector<std::string>& paths);

}  // namespace tally::config
