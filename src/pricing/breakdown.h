// Human text for a quote's line items, built on demand (never on the quote hot path).
#pragma once

#include <string>

#include "pricing/quote.h"

namespace tally::pricing {

// The operator and amount of an item: "base 7", "× 2", "+ 2", "minimum 5", "rounding +0.4",
// "included".
std::string line_operation(const LineItem& item);
// What the item is about: "resolution 1080p", "Face Fix", "batch size", "seconds",
// "model Aetherion in plan elite"; empty for the tool base, minimum and rounding.
std::string line_label(const Quote& q, const LineItem& item);
// "× 2 resolution 1080p": operation and label.
std::string line_text(const Quote& q, const LineItem& item);

// A multi-line breakdown: the book version, one line per item with its running subtotal,
// and the total.
std::string format_breakdown(const Quote& q);

// "base", "add", "multiply", "included", "minimum", "rounding".
std::string_view line_kind_name(LineKind kind);

// The quote as JSON: tool, version, total (decimal string and micro-credits), exact cost and
// the line items with their text, amounts and subtotals.
std::string render_quote_json(const Quote& q);

}  // namespace tally::pricing
