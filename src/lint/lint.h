// `tally lint`: scores a configuration against the fair-pricing checklist of the industry guide
// (docs/design.md, seed 001; docs/lint.md). Seven items, each pass, warn or fail with one line
// of why and the configuration key it is about:
//
//   credit_ratio     the credit-to-money ratio is shown and simple
//   tool_costs       every tool's cost is public before use (and its description agrees)
//   expiry           no expiry (pass), rollover (warn), or credits that vanish at a period end
//   bonus_expiry     "bonus" credits that expire within days
//   price_variation  prices that vary by payment method or time
//   volume_tiers     volume tiers with clear breakpoints
//   premium_labels   "premium" options that cost more for the same capability
//
// Pure: works on the loaded model (price book, catalog), no I/O and no clock. The CLI adds line
// numbers from the TOML file (lint_locate in src/cli); the server shows the report on
// GET /v1/pricing. Thread-safe: no shared state.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "catalog/catalog.h"
#include "pricing/book.h"
#include "pricing/json_writer.h"

namespace tally::lint {

enum class Outcome : uint8_t { pass, warn, fail };  // ordered: worse is greater
std::string_view outcome_name(Outcome o);           // "pass", "warn", "fail"

struct Item {
  std::string id;     // "expiry"
  std::string title;  // "expiry policy"
  Outcome outcome = Outcome::pass;
  std::string why;    // one line
  std::string where;  // the key path in the file ("packs[1].bonus_validity"), empty: the file
  uint32_t line = 0;  // 1-based line of `where` in the file; 0 unknown (set by the CLI)
};

struct Report {
  std::vector<Item> items;  // always the seven items, in the order above
  Outcome outcome() const;  // the worst item's
};

// Scores a configuration. `book` may be null (a file with only a catalog).
Report lint_config(const pricing::PriceBook* book, const Catalog& catalog);

// One line per item, "fail  expiry  file:12 (plans[0].rollover_cap)  why", then a summary line.
std::string render_text(const Report& report, std::string_view file);
// {"outcome": "...", "items": [{"id", "title", "outcome", "why", "where", "line"}...]};
// "line" is null when unknown.
void write_json(pricing::JsonWriter& w, const Report& report);
std::string render_json(const Report& report);

}  // namespace tally::lint
