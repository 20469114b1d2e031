// The price book model: an immutable rate card of tools, their parameters and options.
//
// Built by the loader (loader.h) or by tests, then shared read-only as
// std::shared_ptr<const PriceBook>; every const method is safe from any thread.
// The cost of a job is evaluated by quote.h: a starting price (the tool's base, or the
// price of the option chosen for its first parameter), then each parameter's effect in
// declaration order (add credits or multiply), then the minimum charge, then rounding.
#pragma once

#include <absl/container/flat_hash_map.h>

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "ledger/credits.h"
#include "ledger/time.h"
#include "pricing/decimal.h"

namespace tally::pricing {

inline constexpr int k_tools_per_book_max = 256;
inline constexpr int k_params_per_tool_max = 16;
inline constexpr int k_options_per_param_max = 64;
inline constexpr int k_tiers_per_param_max = 16;
inline constexpr int k_plans_per_book_max = 64;
inline constexpr size_t k_id_length_max = 64;
inline constexpr size_t k_name_length_max = 200;
inline constexpr int64_t k_count_max = 1'000'000;
inline constexpr int64_t k_usage_max = 1'000'000'000;

// What a parameter choice does to the running cost.
enum class EffectKind : uint8_t {
  none,      // nothing (a switch state without an effect)
  price,     // sets the starting price (first parameter of a tool without a base)
  add,       // + amount credits
  multiply,  // × amount
};
std::string_view effect_kind_name(EffectKind kind);

struct Effect {
  EffectKind kind = EffectKind::none;
  Decimal amount;  // credits for price/add, a factor for multiply; never negative

  // ×1 and +0 change nothing and are left out of breakdowns.
  bool is_identity() const;
  bool operator==(const Effect& o) const;
};

// The unit a tool is sold in. Anything but `generation` is metered by a usage parameter.
enum class Unit : uint8_t { generation, second, thousand_tokens, step, item };
std::string_view unit_name(Unit unit);  // "generation", "second", "1k_tokens", "step", "item"
// Usage quantities per priced unit: 1000 for thousand_tokens, 1 otherwise.
int64_t unit_size(Unit unit);

struct Rounding {
  Credits precision = Credits::from_micro(k_micro_per_credit);  // whole credits
  RoundingDirection direction = RoundingDirection::up;
  bool operator==(const Rounding&) const = default;
};

struct Option {
  std::string id;
  std::string name;  // display name; the id when the book gives none
  Effect effect;
  uint64_t included_plans = 0;  // bit i: free for PriceBook::plans[i]
  bool operator==(const Option&) const = default;
};

struct Tier {
  int64_t up_to = 0;  // applies to values <= up_to (and above the previous tier)
  Effect effect;
  bool operator==(const Tier&) const = default;
};

enum class ParamKind : uint8_t {
  choice,  // one of named options
  toggle,  // a switch: "true"/"false", with an effect when on and/or when off
  count,   // an integer that multiplies (batch size) or selects a tier (steps)
  usage,   // the metered quantity of a per-unit tool (seconds, tokens, steps, items)
};
std::string_view param_kind_name(ParamKind kind);  // "choice", "switch", "count", "usage"

struct Param {
  std::string id;
  std::string name;
  ParamKind kind = ParamKind::choice;
  bool has_default = false;
  int64_t default_value = 0;       // option index, 0/1, or the count
  std::vector<Option> options;     // choice
  Effect on, off;                  // toggle
  int64_t min = 0, max = 0;        // count, usage
  bool multiply_by_value = false;  // count: cost × value
  std::vector<Tier> tiers;         // count: effect of the tier the value falls in
  bool operator==(const Param&) const = default;
};

struct Tool {
  std::string id;
  std::string name;
  std::string description;
  Unit unit = Unit::generation;
  bool has_base = false;  // otherwise params[0] is a choice whose options all set a price
  Decimal base;
  Credits minimum;  // applied to non-zero costs before rounding
  Rounding rounding;
  std::vector<Param> params;
  int usage_param = -1;  // index of the usage parameter, -1 for per-generation tools

  bool operator==(const Tool& o) const;
};

struct PriceBook {
  std::string name;     // display name of the platform or book ("MiocAI")
  std::string version;  // unique id of this version ("2026-11-01")
  TimeUs effective_at;
  Rounding rounding;  // the book default; each tool has its resolved rounding
  std::vector<Tool> tools;
  std::vector<std::string> plans;  // every plan id named by an `included_in` list
  absl::flat_hash_map<std::string, uint16_t> tool_index;

  // Index of a tool, -1 if absent. No allocation.
  int find_tool(std::string_view id) const;
  // Index of a plan in `plans`, -1 if no option names it (then it includes nothing).
  int find_plan(std::string_view id) const;
  // Same tools, options, amounts and effective time (source layout ignored).
  bool same_content(const PriceBook& other) const;
  // Rebuilds tool_index from tools; the loader calls it once.
  void index_tools();
};

}  // namespace tally::pricing
