// Tools and their parameters. Rules checked here (each with the position of the node at
// fault): one starting price per tool; `price` options only on the first parameter of a tool
// without a base; unique ids; defaults that exist; count tiers that cover the whole range;
// exactly one usage parameter for metered units and none for per-generation tools.
#include <algorithm>

#include "pricing/loader_reader.h"

namespace tally::pricing::detail {
namespace {

Unit parse_unit(std::string_view s, bool& ok) {
  ok = true;
  for (Unit u : {Unit::generation, Unit::second, Unit::thousand_tokens, Unit::step, Unit::item}) {
    if (unit_name(u) == s) return u;
  }
  ok = false;
  return Unit::generation;
}

}  // namespace

Tool BookReader::read_tool(const toml::key& key, const toml::node& n,
                           const Rounding& book_rounding) {
  std::string what = "tool " + std::string(key.str());
  const toml::table& t = as_table(n, what);
  check_keys(t, {"name", "description", "unit", "base", "minimum", "rounding", "params"}, what);
  Tool tool;
  tool.id = std::string(key.str());
  check_id(key.source(), tool.id, "tool id");
  tool.name =
      t.get("name") ? read_string(*t.get("name"), what + ".name", k_name_length_max) : tool.id;
  if (const toml::node* d = t.get("description")) {
    tool.description = read_string(*d, what + ".description", 1000);
  }
  if (const toml::node* u = t.get("unit")) {
    bool ok = false;
    tool.unit = parse_unit(read_string(*u, what + ".unit", 32), ok);
    if (!ok) fail(u->source(), what + ".unit must be generation, second, 1k_tokens, step or item");
  }
  if (const toml::node* b = t.get("base")) {
    tool.has_base = true;
    tool.base = read_amount(*b, what + ".base");
  }
  if (const toml::node* m = t.get("minimum")) {
    auto c = to_credits_exact(read_amount(*m, what + ".minimum"));
    tool.minimum = *c;  // read_amount bounds it well inside Credits
  }
  tool.rounding =
      t.get("rounding") ? read_rounding(*t.get("rounding"), what + ".rounding") : book_rounding;
  // The minimum is applied before the rounding; one that is not a multiple of the precision
  // could round below itself (a minimum of 1.5 rounded down to 1), so it is refused.
  if (tool.minimum.micro % tool.rounding.precision.micro != 0) {
    fail(t.get("minimum")->source(), what +
                                         ".minimum must be a multiple of the rounding precision (" +
                                         format_credits(tool.rounding.precision) + ")");
  }
  if (const toml::node* ps = t.get("params")) {
    const toml::array& arr = as_array(*ps, what + ".params");
    if (arr.size() > k_params_per_tool_max) {
      fail(ps->source(),
           what + " has more than " + std::to_string(k_params_per_tool_max) + " parameters");
    }
    for (size_t i = 0; i < arr.size(); ++i) {
      tool.params.push_back(read_param(as_table(arr[i], what + ".params"), tool, i));
    }
  }
  check_tool(t, tool);
  return tool;
}

void BookReader::check_tool(const toml::table& t, Tool& tool) const {
  std::string what = "tool " + tool.id;
  bool price_param = !tool.params.empty() && tool.params[0].kind == ParamKind::choice &&
                     tool.params[0].options[0].effect.kind == EffectKind::price;
  if (tool.has_base == price_param) {
    fail(t.source(),
         what + (tool.has_base ? " has both a base and a first parameter that sets the price"
                               : " needs a base, or a first parameter whose options set a price"));
  }
  for (size_t i = 0; i < tool.params.size(); ++i) {
    if (tool.params[i].kind != ParamKind::usage) continue;
    if (tool.usage_param >= 0) fail(t.source(), what + " has more than one usage parameter");
    tool.usage_param = static_cast<int>(i);
  }
  if (tool.unit == Unit::generation && tool.usage_param >= 0) {
    fail(t.source(), what + " is priced per generation but has a usage parameter; set unit");
  }
  if (tool.unit != Unit::generation && tool.usage_param < 0) {
    fail(t.source(), what + " is priced per " + std::string(unit_name(tool.unit)) +
                         " and needs a parameter of kind \"usage\" (e.g. seconds)");
  }
}

Param BookReader::read_param(const toml::table& t, const Tool& tool, size_t index) {
  std::string what = "tool " + tool.id + " parameter " + std::to_string(index + 1);
  Param p;
  p.id = read_id(require(t, "id", what), what + ".id");
  what = "tool " + tool.id + " parameter " + p.id;
  for (const Param& other : tool.params) {
    if (other.id == p.id) fail(t.get("id")->source(), what + " is declared twice");
  }
  p.name = t.get("name") ? read_string(*t.get("name"), what + ".name", k_name_length_max) : p.id;
  std::string kind = read_string(require(t, "kind", what), what + ".kind", 16);
  if (kind == "choice") {
    check_keys(t, {"id", "name", "kind", "default", "options"}, what);
    read_choice(t, tool, index, p);
  } else if (kind == "switch") {
    check_keys(t, {"id", "name", "kind", "default", "on", "off"}, what);
    read_toggle(t, p, what);
  } else if (kind == "count") {
    check_keys(t, {"id", "name", "kind", "default", "min", "max", "multiply_by_value", "tiers"},
               what);
    read_count(t, p, what);
  } else if (kind == "usage") {
    check_keys(t, {"id", "name", "kind", "min", "max"}, what);
    read_usage(t, p, what);
  } else {
    fail(t.get("kind")->source(),
         what + ".kind must be choice, switch, count or usage, got \"" + kind + "\"");
  }
  return p;
}

void BookReader::read_choice(const toml::table& t, const Tool& tool, size_t index, Param& p) {
  std::string what = "tool " + tool.id + " parameter " + p.id;
  p.kind = ParamKind::choice;
  const toml::node& os = require(t, "options", what);
  const toml::array& arr = as_array(os, what + ".options");
  if (arr.empty() || arr.size() > k_options_per_param_max) {
    fail(os.source(), what + " needs 1 to " + std::to_string(k_options_per_param_max) + " options");
  }
  // The first parameter of a tool without a base sets its price; every other option adds
  // or multiplies.
  bool is_price = index == 0 && !tool.has_base;
  for (const toml::node& o : arr) {
    Option opt = read_option(o, is_price, what);
    for (const Option& other : p.options) {
      if (other.id == opt.id)
        fail(o.source(), what + " option \"" + opt.id + "\" is declared twice");
    }
    p.options.push_back(std::move(opt));
  }
  if (const toml::node* d = t.get("default")) {
    std::string id = read_string(*d, what + ".default", k_id_length_max);
    auto it = std::find_if(p.options.begin(), p.options.end(),
                           [&](const Option& o) { return o.id == id; });
    if (it == p.options.end()) fail(d->source(), what + ".default \"" + id + "\" is not an option");
    p.has_default = true;
    p.default_value = it - p.options.begin();
  }
}

Option BookReader::read_option(const toml::node& n, bool is_price, const std::string& what) {
  const toml::table& t = as_table(n, what + " option");
  Option o;
  o.id = read_id(require(t, "id", what + " option"), what + " option id");
  std::string where = what + " option " + o.id;
  check_keys(t, {"id", "name", "price", "add", "multiply", "included_in"}, where);
  o.name = t.get("name") ? read_string(*t.get("name"), where + ".name", k_name_length_max) : o.id;
  o.effect = read_effect(t, is_price, where);
  if (is_price && o.effect.kind != EffectKind::price) {
    fail(t.source(), where + " must set a price: this parameter gives the tool its starting price");
  }
  if (const toml::node* inc = t.get("included_in")) o.included_plans = read_plans(*inc, where);
  return o;
}

uint64_t BookReader::read_plans(const toml::node& n, std::string_view what) {
  std::string where = std::string(what) + ".included_in";
  uint64_t mask = 0;
  for (const toml::node& e : as_array(n, where)) {
    std::string plan = read_id(e, where + " plan");
    auto it = std::find(plans_.begin(), plans_.end(), plan);
    if (it == plans_.end()) {
      if (plans_.size() >= k_plans_per_book_max) {
        fail(e.source(),
             "a price book names at most " + std::to_string(k_plans_per_book_max) + " plans");
      }
      it = plans_.insert(plans_.end(), plan);
    }
    mask |= uint64_t{1} << (it - plans_.begin());
  }
  return mask;
}

void BookReader::read_toggle(const toml::table& t, Param& p, const std::string& what) {
  p.kind = ParamKind::toggle;
  p.has_default = true;
  p.default_value = t.get("default") ? read_bool(*t.get("default"), what + ".default") : 0;
  if (const toml::node* on = t.get("on"))
    p.on = read_effect(as_table(*on, what + ".on"), false, what + ".on");
  if (const toml::node* off = t.get("off"))
    p.off = read_effect(as_table(*off, what + ".off"), false, what + ".off");
  if (!t.get("on") && !t.get("off")) fail(t.source(), what + " needs an `on` or `off` effect");
}

void BookReader::read_count(const toml::table& t, Param& p, const std::string& what) {
  p.kind = ParamKind::count;
  p.min = read_integer(require(t, "min", what), what + ".min", 0, k_count_max);
  p.max = read_integer(require(t, "max", what), what + ".max", p.min, k_count_max);
  if (const toml::node* d = t.get("default")) {
    p.has_default = true;
    p.default_value = read_integer(*d, what + ".default", p.min, p.max);
  }
  const toml::node* by_value = t.get("multiply_by_value");
  p.multiply_by_value = by_value && read_bool(*by_value, what + ".multiply_by_value");
  const toml::node* tiers = t.get("tiers");
  if (p.multiply_by_value == (tiers != nullptr)) {
    fail(t.source(), what + " needs either multiply_by_value = true or tiers");
  }
  if (tiers) read_tiers(*tiers, p, what);
}

void BookReader::read_tiers(const toml::node& n, Param& p, const std::string& what) {
  const toml::array& arr = as_array(n, what + ".tiers");
  if (arr.empty() || arr.size() > k_tiers_per_param_max) {
    fail(n.source(), what + " needs 1 to " + std::to_string(k_tiers_per_param_max) + " tiers");
  }
  for (const toml::node& e : arr) {
    const toml::table& t = as_table(e, what + " tier");
    check_keys(t, {"up_to", "add", "multiply"}, what + " tier");
    int64_t floor = p.tiers.empty() ? p.min : p.tiers.back().up_to + 1;
    Tier tier;
    tier.up_to =
        read_integer(require(t, "up_to", what + " tier"), what + " tier up_to", floor, k_count_max);
    tier.effect = read_effect(t, false, what + " tier up_to " + std::to_string(tier.up_to));
    p.tiers.push_back(tier);
  }
  if (p.tiers.back().up_to < p.max) {
    fail(n.source(), what + " tiers end at " + std::to_string(p.tiers.back().up_to) +
                         " but max is " + std::to_string(p.max));
  }
}

void BookReader::read_usage(const toml::table& t, Param& p, const std::string& what) {
  p.kind = ParamKind::usage;
  p.min = t.get("min") ? read_integer(*t.get("min"), what + ".min", 0, k_usage_max) : 0;
  p.max = read_integer(require(t, "max", what), what + ".max", std::max<int64_t>(p.min, 1),
                       k_usage_max);
}

}  // namespace tally::pricing::detail
