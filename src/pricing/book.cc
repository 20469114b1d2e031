#include "pricing/book.h"

#include <absl/strings/string_view.h>

namespace tally::pricing {

std::string_view effect_kind_name(EffectKind kind) {
  switch (kind) {
    case EffectKind::none:
      return "none";
    case EffectKind::price:
      return "price";
    case EffectKind::add:
      return "add";
    case EffectKind::multiply:
      return "multiply";
  }
  return "?";
}

bool Effect::is_identity() const {
  if (kind == EffectKind::none) return true;
  if (kind == EffectKind::add) return amount.is_zero();
  if (kind == EffectKind::multiply) return same_value(amount, Decimal::from_int(1));
  return false;
}

bool Effect::operator==(const Effect& o) const {
  return kind == o.kind && same_value(amount, o.amount);
}

std::string_view unit_name(Unit unit) {
  switch (unit) {
    case Unit::generation:
      return "generation";
    case Unit::second:
      return "second";
    case Unit::thousand_tokens:
      return "1k_tokens";
    case Unit::step:
      return "step";
    case Unit::item:
      return "item";
  }
  return "?";
}

int64_t unit_size(Unit unit) {
  return unit == Unit::thousand_tokens ? 1000 : 1;
}

std::string_view param_kind_name(ParamKind kind) {
  switch (kind) {
    case ParamKind::choice:
      return "choice";
    case ParamKind::toggle:
      return "switch";
    case ParamKind::count:
      return "count";
    case ParamKind::usage:
      return "usage";
  }
  return "?";
}

bool Tool::operator==(const Tool& o) const {
  return id == o.id && name == o.name && description == o.description && unit == o.unit &&
         has_base == o.has_base && (!has_base || same_value(base, o.base)) &&
         minimum == o.minimum && rounding == o.rounding && params == o.params &&
         usage_param == o.usage_param;
}

int PriceBook::find_tool(std::string_view id) const {
  // Debian's Abseil has its own string_view type: convert without allocating.
  auto it = tool_index.find(absl::string_view(id.data(), id.size()));
  return it == tool_index.end() ? -1 : it->second;
}

int PriceBook::find_plan(std::string_view id) const {
  for (size_t i = 0; i < plans.size(); ++i) {
    if (plans[i] == id) return static_cast<int>(i);
  }
  return -1;
}

bool PriceBook::same_content(const PriceBook& o) const {
  return name == o.name && version == o.version && effective_at == o.effective_at &&
         rounding == o.rounding && tools == o.tools && plans == o.plans;
}

void PriceBook::index_tools() {
  tool_index.clear();
  for (size_t i = 0; i < tools.size(); ++i) {
    tool_index.emplace(tools[i].id, static_cast<uint16_t>(i));
  }
}

}  // namespace tally::pricing
