#include "pricing/table.h"

#include <algorithm>

#include "ledger/check.h"
#include "pricing/quote.h"

namespace tally::pricing {
namespace {

std::string effect_text(const Effect& e) {
  switch (e.kind) {
    case EffectKind::none:
      return "no change";
    case EffectKind::price:
      return format_decimal(e.amount);
    case EffectKind::add:
      return "+ " + format_decimal(e.amount);
    case EffectKind::multiply:
      return "× " + format_decimal(e.amount);
  }
  return "?";
}

TableOption option_row(std::string id, std::string name, const Effect& e, bool is_default) {
  return TableOption{std::move(id),
                     std::move(name),
                     effect_text(e),
                     std::string(effect_kind_name(e.kind)),
                     e.kind == EffectKind::none ? "" : format_decimal(e.amount),
                     is_default,
                     {}};
}

void choice_rows(const PriceBook& book, const Param& p, TableParam& row) {
  row.detail =
      p.has_default ? "default " + p.options[static_cast<size_t>(p.default_value)].id : "required";
  for (size_t i = 0; i < p.options.size(); ++i) {
    const Option& o = p.options[i];
    TableOption r = option_row(o.id, o.name, o.effect,
                               p.has_default && static_cast<int64_t>(i) == p.default_value);
    for (size_t b = 0; b < book.plans.size(); ++b) {
      if (o.included_plans >> b & 1u) r.included_in.push_back(book.plans[b]);
    }
    row.options.push_back(std::move(r));
  }
}

void count_rows(const Param& p, TableParam& row) {
  row.detail = std::to_string(p.min) + " to " + std::to_string(p.max) +
               (p.has_default ? ", default " + std::to_string(p.default_value) : ", required");
  if (p.multiply_by_value) {
    row.options.push_back(TableOption{"each", "each", "× value", "multiply", "", false, {}});
    return;
  }
  int64_t from = p.min;
  for (const Tier& t : p.tiers) {
    int64_t to = std::min(t.up_to, p.max);
    if (from > to) break;
    std::string range =
        from == to ? std::to_string(from) : std::to_string(from) + "-" + std::to_string(to);
    bool is_default = p.has_default && p.default_value >= from && p.default_value <= to;
    row.options.push_back(option_row(range, range, t.effect, is_default));
    from = to + 1;
  }
}

TableParam param_row(const PriceBook& book, const Tool& tool, const Param& p) {
  TableParam row{p.id, p.name, std::string(param_kind_name(p.kind)), "", {}};
  switch (p.kind) {
    case ParamKind::choice:
      choice_rows(book, p, row);
      break;
    case ParamKind::toggle:
      row.detail = p.default_value ? "default on" : "default off";
      row.options.push_back(option_row("true", "on", p.on, p.default_value == 1));
      row.options.push_back(option_row("false", "off", p.off, p.default_value == 0));
      break;
    case ParamKind::count:
      count_rows(p, row);
      break;
    case ParamKind::usage: {
      row.detail = std::to_string(p.min) + " to " + std::to_string(p.max) + ", required";
      std::string per = unit_size(tool.unit) == 1
                            ? p.name
                            : p.name + " / " + std::to_string(unit_size(tool.unit));
      row.options.push_back(TableOption{"each", "each", "× " + per, "multiply", "", false, {}});
      break;
    }
  }
  return row;
}

// Quotes the tool with every parameter at its default (usage: one priced unit, clamped to
// the parameter's range); nullopt if a parameter is required.
std::optional<Credits> default_total(const PriceBook& book, uint16_t t) {
  const Tool& tool = book.tools[t];
  ResolvedRequest r;
  r.tool = t;
  for (size_t i = 0; i < tool.params.size(); ++i) {
    const Param& p = tool.params[i];
    if (p.kind == ParamKind::usage) {
      r.values[i] = std::clamp(unit_size(tool.unit), p.min, p.max);
    } else if (p.has_default) {
      r.values[i] = p.default_value;
    } else {
      return std::nullopt;
    }
  }
  auto q = price_request(book, r);
  return q ? std::optional<Credits>(q->total) : std::nullopt;
}

TableTool tool_row(const PriceBook& book, uint16_t t) {
  const Tool& tool = book.tools[t];
  TableTool row;
  row.id = tool.id;
  row.name = tool.name;
  row.description = tool.description;
  row.unit = std::string(unit_name(tool.unit));
  row.base = tool.has_base ? format_decimal(tool.base) : "";
  row.minimum = format_credits(tool.minimum);
  row.rounding = std::string(rounding_direction_name(tool.rounding.direction)) + " to " +
                 format_credits(tool.rounding.precision);
  row.default_total = default_total(book, t);
  for (const Param& p : tool.params) row.params.push_back(param_row(book, tool, p));
  return row;
}

}  // namespace

std::vector<UpcomingVersion> upcoming_versions(const PriceVersions& versions, TimeUs now) {
  std::vector<UpcomingVersion> out;
  for (const auto& v : versions.versions()) {
    if (v->effective_at > now) out.push_back({v->name, v->version, format_time(v->effective_at)});
  }
  return out;
}

std::string upcoming_line(const PriceTable& table) {
  std::string out;
  for (const UpcomingVersion& v : table.upcoming) {
    out += (out.empty() ? "" : " ") + std::string("Upcoming: price book ") + v.version +
           (v.name.empty() ? "" : " (" + v.name + ")") + " takes effect at " + v.effective_at +
           ".";
  }
  return out;
}

PriceTable build_price_table(const PriceBook& book, const std::vector<tally::Pack>& packs) {
  PriceTable table;
  table.name = book.name;
  table.version = book.version;
  table.effective_at = format_time(book.effective_at);
  table.credit_values = credit_values(packs);
  for (size_t t = 0; t < book.tools.size(); ++t) {
    table.tools.push_back(tool_row(book, static_cast<uint16_t>(t)));
  }
  return table;
}

}  // namespace tally::pricing
