// The public price table: every tool, every option and what it costs, plus the money value
// of a credit derived from the pack catalog when one is configured. Built once into a plain
// model (PriceTable), then rendered as text (CLI), Markdown (docs) or JSON (API). Pure.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "catalog/catalog.h"
#include "ledger/credits.h"
#include "pricing/book.h"
#include "pricing/json_writer.h"
#include "pricing/versions.h"

namespace tally::pricing {

struct TableOption {
  std::string id;      // option id, "true"/"false", a tier range "26-35", or "each"
  std::string name;    // display name
  std::string effect;  // "1500", "× 0.9", "+ 200", "× value", "× seconds"
  std::string kind;    // effect kind: "price", "add", "multiply", "none"
  std::string amount;  // exact decimal ("0.9"), empty for "× value" rows
  bool is_default = false;
  std::vector<std::string> included_in;  // plans for which the option is free
};

struct TableParam {
  std::string id, name, kind;
  std::string detail;  // "default 1:1", "10 to 50, default 25", "required"
  std::vector<TableOption> options;
};

struct TableTool {
  std::string id, name, description;
  std::string unit;                      // "generation", "second", "1k_tokens"…
  std::string base;                      // decimal, empty if the first parameter sets the price
  std::string minimum;                   // decimal, "0" if none
  std::string rounding;                  // "up to 1", "nearest 0.5"
  std::optional<Credits> default_total;  // all defaults, one unit of usage; none if required
  std::vector<TableParam> params;
};

// What one credit costs in one currency, across the packs priced in it.
struct CreditValue {
  std::string currency;
  std::string min_text, max_text;    // "$0.05", "$0.29995" (exact to 5 decimals, half up)
  std::string min_major, max_major;  // "0.05" (decimal of the major unit)
  int packs = 0;                     // packs with at least one price in this currency
};

// A version that takes effect after the table's moment: announced, not yet charged.
struct UpcomingVersion {
  std::string name, version, effective_at;
};

struct PriceTable {
  std::string name, version, effective_at;
  std::vector<CreditValue> credit_values;
  std::vector<TableTool> tools;
  std::vector<UpcomingVersion> upcoming;  // oldest first; see upcoming_versions
};

// The versions of `versions` that take effect after `now`, oldest first: what GET /v1/pricing
// and `tally price-table --at` show as upcoming beside the version in force.
std::vector<UpcomingVersion> upcoming_versions(const PriceVersions& versions, TimeUs now);
// "Upcoming: price book V (NAME) takes effect at T." per version, or empty.
std::string upcoming_line(const PriceTable& table);

// The value of a credit per currency (price / credits), sorted by currency: the range over
// every price of every pack in that currency, regional prices included. Exact to 5 decimals
// of the major unit, rounded half up. Packs without credits are skipped.
std::vector<CreditValue> credit_values(const std::vector<tally::Pack>& packs);

// The packs come from the catalog (catalog/catalog.h); empty when none is configured.
PriceTable build_price_table(const PriceBook& book, const std::vector<tally::Pack>& packs);

std::string render_table_text(const PriceTable& table);
std::string render_table_markdown(const PriceTable& table);
// `more`, when given, writes further keys of the top-level object after "upcoming" (the server
// adds the fairness score, which pricing does not know).
std::string render_table_json(const PriceTable& table,
                              const std::function<void(JsonWriter&)>& more = {});

// "1 credit = $0.05–$0.10" per currency, or empty when no pack is configured.
std::string credit_value_line(const PriceTable& table);

}  // namespace tally::pricing
