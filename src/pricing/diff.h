// price-diff: what got cheaper or dearer between two price book versions, tool by tool and
// option by option. Each probe is a real quote in both versions: the tool with its defaults
// (one unit of usage for metered tools; the first option for a required choice), then the
// same request with one parameter set to each of its options (switch on/off; count min,
// default and max). Comparing quotes rather than raw effects keeps the answer right when a
// book restructures a tool (say, an add turned into a multiply). Pure.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "ledger/credits.h"
#include "pricing/book.h"

namespace tally::pricing {

enum class DiffChange : uint8_t {
  cheaper,
  dearer,
  same_total,  // the same rounded total, a different exact price
  added,       // priced in the new version only
  removed,     // priced in the old version only
};
std::string_view diff_change_name(DiffChange c);

struct DiffLine {
  std::string tool;
  std::string probe;  // "default", "resolution=1080p", or "tool" for a whole tool
  DiffChange change;
  std::optional<Credits> old_total, new_total;
  std::string old_exact, new_exact;  // exact price before minimum and rounding
};

struct PriceDiff {
  std::string old_version, new_version;
  std::vector<DiffLine> lines;  // changes only
  int unchanged = 0;            // probes with the same exact price in both versions
};

PriceDiff diff_price_books(const PriceBook& old_book, const PriceBook& new_book);
std::string render_diff_text(const PriceDiff& diff);

}  // namespace tally::pricing
