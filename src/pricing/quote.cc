// price_request: the hot path. Fixed-size arrays, no allocation, no strings on success.
#include "pricing/quote.h"

#include "ledger/check.h"

namespace tally::pricing {
namespace {

std::unexpected<PricingError> too_large(const Tool& tool) {
  return std::unexpected(PricingError{
      PricingErrorCode::amount_too_large, tool.id + ": the price is too large to represent", {}});
}

// The effect of param p taking value v (option index, 0/1, count, usage).
Effect effect_of(const Tool& tool, const Param& p, int64_t v) {
  switch (p.kind) {
    case ParamKind::choice:
      TALLY_CHECK(v >= 0 && v < static_cast<int64_t>(p.options.size()));
      return p.options[static_cast<size_t>(v)].effect;
    case ParamKind::toggle:
      TALLY_CHECK(v == 0 || v == 1);
      return v ? p.on : p.off;
    case ParamKind::count:
      TALLY_CHECK(v >= p.min && v <= p.max);
      if (p.multiply_by_value) return Effect{EffectKind::multiply, Decimal::from_int(v)};
      for (const Tier& tier : p.tiers) {
        if (v <= tier.up_to) return tier.effect;
      }
      TALLY_CHECK(false);  // the loader checks that the last tier covers max
      break;
    case ParamKind::usage:
      TALLY_CHECK(v >= p.min && v <= p.max);
      // v / unit_size: tokens are priced per 1,000.
      return Effect{EffectKind::multiply, Decimal{v, tool.unit == Unit::thousand_tokens ? 3 : 0}};
  }
  return Effect{};
}

bool included(const Param& p, int64_t v, int plan) {
  return plan >= 0 && p.kind == ParamKind::choice &&
         (p.options[static_cast<size_t>(v)].included_plans >> plan & 1u) != 0;
}

void push(Quote& q, LineKind kind, int param, int64_t value, Decimal amount, Decimal subtotal) {
  TALLY_CHECK(q.item_count < k_line_items_max);
  q.items[q.item_count++] = LineItem{kind, static_cast<int8_t>(param), value, amount, subtotal};
}

std::optional<Decimal> apply(Decimal cost, const Effect& e) {
  switch (e.kind) {
    case EffectKind::none:
      return cost;
    case EffectKind::price:
      return e.amount;
    case EffectKind::add:
      return checked_add(cost, e.amount);
    case EffectKind::multiply:
      return checked_mul(cost, e.amount);
  }
  return std::nullopt;
}

LineKind line_kind(EffectKind kind) {
  return kind == EffectKind::price ? LineKind::base
                                   : (kind == EffectKind::add ? LineKind::add : LineKind::multiply);
}

// Minimum charge, then the one rounding. Returns false on overflow.
bool finish(const Tool& tool, Decimal cost, Quote& q) {
  q.exact = cost;
  if (!cost.is_zero() && tool.minimum.is_positive()) {
    Decimal minimum = Decimal::from_credits(tool.minimum);
    auto c = compare(cost, minimum);
    if (!c) return false;
    if (*c < 0) {
      cost = minimum;
      push(q, LineKind::minimum, -1, 0, minimum, cost);
    }
  }
  auto total = round_to_precision(cost, tool.rounding.precision, tool.rounding.direction);
  if (!total) return false;
  Decimal total_d = Decimal::from_credits(*total);
  auto diff = checked_sub(total_d, cost);
  if (!diff) return false;
  if (!diff->is_zero()) push(q, LineKind::rounding, -1, 0, *diff, total_d);
  q.total = *total;
  return true;
}

}  // namespace

std::expected<Quote, PricingError> price_request(const PriceBook& book,
                                                 const ResolvedRequest& request) {
  TALLY_CHECK(request.tool < book.tools.size());
  const Tool& tool = book.tools[request.tool];
  Quote q;
  q.book = &book;
  q.tool = request.tool;
  q.plan = request.plan;
  Decimal cost;
  if (tool.has_base) {
    cost = tool.base;
    push(q, LineKind::base, -1, 0, cost, cost);
  }
  for (size_t i = 0; i < tool.params.size(); ++i) {
    const Param& p = tool.params[i];
    int64_t v = request.values[i];
    Effect e = effect_of(tool, p, v);
    if (included(p, v, request.plan)) {
      push(q, LineKind::included, static_cast<int>(i), v, Decimal{}, Decimal{});
      q.exact = Decimal{};
      q.total = Credits{};
      return q;
    }
    auto next = apply(cost, e);
    if (!next) return too_large(tool);
    cost = *next;
    if (e.kind == EffectKind::price || !e.is_identity()) {
      push(q, line_kind(e.kind), static_cast<int>(i), v, e.amount, cost);
    }
  }
  if (!finish(tool, cost, q)) return too_large(tool);
  return q;
}

std::expected<Quote, PricingError> quote(const PriceBook& book, std::string_view tool,
                                         std::span<const ParamValue> params,
                                         std::string_view plan) {
  auto resolved = resolve_request(book, tool, params, plan);
  if (!resolved) return std::unexpected(resolved.error());
  return price_request(book, *resolved);
}

}  // namespace tally::pricing
