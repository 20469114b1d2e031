// Quotes: the cost of one job under one price book, with a line-item breakdown.
//
// Two steps, both pure and callable from any thread on a shared const PriceBook:
//   resolve_request: names and text values ("resolution" = "1080p") -> indexes; all the
//                    validation and every error a client can cause happens here.
//   price_request:   indexes -> Quote. No allocation, no string work: the hot path. Callers
//                    that keep resolved indexes (the server caches them) call it directly.
// The breakdown is a fixed array of LineItem; its text is built on demand (breakdown.h).
//
// Semantics (docs/pricing.md): start from the tool's base (or the price of the option chosen
// for the first parameter), apply each parameter's effect in declaration order, exactly.
// If the chosen option of a choice is included in the caller's plan the job costs 0 and the
// breakdown ends there. Otherwise a non-zero cost below the tool's minimum is raised to it,
// and the result is rounded once with the tool's rounding rule.
#pragma once

#include <array>
#include <cstdint>
#include <expected>
#include <span>
#include <string_view>

#include "ledger/credits.h"
#include "pricing/book.h"
#include "pricing/decimal.h"
#include "pricing/errors.h"

namespace tally::pricing {

inline constexpr int k_line_items_max = k_params_per_tool_max + 4;

// One parameter as a client sends it. Values are text: option ids, "true"/"false", integers.
struct ParamValue {
  std::string_view name;
  std::string_view value;
};

struct ResolvedRequest {
  uint16_t tool = 0;
  int16_t plan = -1;  // index into PriceBook::plans, -1 for none
  // Per parameter of the tool: option index (choice), 0/1 (switch), the integer (count,
  // usage). For a hold, the usage value is the maximum usage the caller declares.
  std::array<int64_t, k_params_per_tool_max> values{};
};

enum class LineKind : uint8_t {
  base,      // starting price (the tool's base, or a price option when param >= 0)
  add,       // + amount
  multiply,  // × amount
  included,  // the chosen option is included in the plan: the cost is 0, items end here
  minimum,   // the cost was raised to the minimum charge (amount)
  rounding,  // total - cost before rounding (may be negative when rounding down)
};

struct LineItem {
  LineKind kind = LineKind::base;
  int8_t param = -1;  // parameter index in the tool, -1 for tool-level items
  int64_t value = 0;  // the parameter's resolved value
  Decimal amount;     // credits (base, add, minimum, rounding) or factor (multiply)
  Decimal subtotal;   // running cost after this item
};

struct Quote {
  const PriceBook* book = nullptr;  // borrowed: keep the book's shared_ptr alive
  uint16_t tool = 0;
  int16_t plan = -1;
  Credits total;  // what the job costs
  Decimal exact;  // the cost before minimum and rounding
  std::array<LineItem, k_line_items_max> items{};
  uint8_t item_count = 0;

  std::span<const LineItem> line_items() const { return {items.data(), item_count}; }
  const Tool& tool_def() const { return book->tools[tool]; }
};

// Validates and resolves. Errors: unknown_tool (lists the tools), unknown_parameter (lists
// the tool's parameters), unknown_option (lists the options), missing_parameter (lists the
// missing ones), bad_value (wrong type, out of range, given twice). An empty plan or a plan
// no option names is valid: it simply includes nothing.
[[nodiscard]] std::expected<ResolvedRequest, PricingError> resolve_request(
    const PriceBook& book, std::string_view tool, std::span<const ParamValue> params,
    std::string_view plan = {});

// Prices resolved indexes (which must come from resolve_request on the same book, or be
// equally valid: asserted). Error: amount_too_large when the total does not fit Credits.
[[nodiscard]] std::expected<Quote, PricingError> price_request(const PriceBook& book,
                                                               const ResolvedRequest& request);

// resolve_request + price_request.
[[nodiscard]] std::expected<Quote, PricingError> quote(const PriceBook& book, std::string_view tool,
                                                       std::span<const ParamValue> params,
                                                       std::string_view plan = {});

}  // namespace tally::pricing
