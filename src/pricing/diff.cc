#include "pricing/diff.h"

#include <algorithm>

#include "pricing/quote.h"

namespace tally::pricing {
namespace {

using Request = std::vector<std::pair<std::string, std::string>>;

const Tool* find(const PriceBook& b, const std::string& id) {
  int t = b.find_tool(id);
  return t < 0 ? nullptr : &b.tools[static_cast<size_t>(t)];
}

const Param* find_param(const Tool& t, const std::string& id) {
  for (const Param& p : t.params) {
    if (p.id == id) return &p;
  }
  return nullptr;
}

// Defaults, plus a value for each parameter that has none (taken from `tool`).
Request reference_request(const Tool& tool) {
  Request r;
  for (const Param& p : tool.params) {
    if (p.kind == ParamKind::usage) {
      r.emplace_back(p.id, std::to_string(std::clamp(unit_size(tool.unit), p.min, p.max)));
    } else if (!p.has_default && p.kind == ParamKind::choice) {
      r.emplace_back(p.id, p.options[0].id);
    } else if (!p.has_default) {
      r.emplace_back(p.id, std::to_string(p.min));
    }
  }
  return r;
}

void add_values(const Param& p, std::vector<std::string>& out) {
  auto push = [&](std::string v) {
    if (std::find(out.begin(), out.end(), v) == out.end()) out.push_back(std::move(v));
  };
  switch (p.kind) {
    case ParamKind::choice:
      for (const Option& o : p.options) push(o.id);
      break;
    case ParamKind::toggle:
      push("true");
      push("false");
      break;
    case ParamKind::count:
      push(std::to_string(p.min));
      if (p.has_default) push(std::to_string(p.default_value));
      push(std::to_string(p.max));
      break;
    case ParamKind::usage:
      break;  // the reference request fixes one unit of usage
  }
}

std::optional<Quote> try_quote(const PriceBook& book, const std::string& tool, const Request& r) {
  std::vector<ParamValue> params;
  for (const auto& [k, v] : r) params.push_back(ParamValue{k, v});
  auto q = quote(book, tool, params);
  return q ? std::optional<Quote>(*q) : std::nullopt;
}

void compare_probe(const PriceBook& a, const PriceBook& b, const std::string& tool,
                   std::string probe, const Request& r, PriceDiff& out) {
  auto qa = try_quote(a, tool, r);
  auto qb = try_quote(b, tool, r);
  if (!qa && !qb) return;
  DiffLine line{tool, std::move(probe), DiffChange::same_total, {}, {}, {}, {}};
  if (qa) line.old_total = qa->total, line.old_exact = format_decimal(qa->exact);
  if (qb) line.new_total = qb->total, line.new_exact = format_decimal(qb->exact);
  if (!qa) {
    line.change = DiffChange::added;
  } else if (!qb) {
    line.change = DiffChange::removed;
  } else if (qa->total != qb->total) {
    line.change = qa->total < qb->total ? DiffChange::dearer : DiffChange::cheaper;
  } else if (line.old_exact == line.new_exact) {
    ++out.unchanged;
    return;
  }
  out.lines.push_back(std::move(line));
}

void diff_tool(const PriceBook& a, const PriceBook& b, const std::string& id, PriceDiff& out) {
  const Tool* ta = find(a, id);
  const Tool* tb = find(b, id);
  if (!ta || !tb) {
    out.lines.push_back(
        DiffLine{id, "tool", ta ? DiffChange::removed : DiffChange::added, {}, {}, {}, {}});
    return;
  }
  Request ref = reference_request(*tb);
  compare_probe(a, b, id, "default", ref, out);
  std::vector<std::string> param_ids;
  for (const Tool* t : {ta, tb}) {
    for (const Param& p : t->params) {
      if (std::find(param_ids.begin(), param_ids.end(), p.id) == param_ids.end())
        param_ids.push_back(p.id);
    }
  }
  for (const std::string& pid : param_ids) {
    std::vector<std::string> values;
    for (const Tool* t : {ta, tb}) {
      if (const Param* p = find_param(*t, pid)) add_values(*p, values);
    }
    for (const std::string& v : values) {
      Request r = ref;
      auto it = std::find_if(r.begin(), r.end(), [&](const auto& kv) { return kv.first == pid; });
      if (it != r.end())
        it->second = v;
      else
        r.emplace_back(pid, v);
      compare_probe(a, b, id, pid + "=" + v, r, out);
    }
  }
}

std::string total_text(const std::optional<Credits>& c) {
  return c ? format_credits(*c) : "-";
}

}  // namespace

std::string_view diff_change_name(DiffChange c) {
  switch (c) {
    case DiffChange::cheaper:
      return "cheaper";
    case DiffChange::dearer:
      return "dearer";
    case DiffChange::same_total:
      return "same total";
    case DiffChange::added:
      return "added";
    case DiffChange::removed:
      return "removed";
  }
  return "?";
}

PriceDiff diff_price_books(const PriceBook& a, const PriceBook& b) {
  PriceDiff out{a.version, b.version, {}, 0};
  std::vector<std::string> ids;
  for (const PriceBook* book : {&a, &b}) {
    for (const Tool& t : book->tools) {
      if (std::find(ids.begin(), ids.end(), t.id) == ids.end()) ids.push_back(t.id);
    }
  }
  for (const std::string& id : ids) diff_tool(a, b, id, out);
  return out;
}

std::string render_diff_text(const PriceDiff& diff) {
  std::string out = "price-diff " + diff.old_version + " -> " + diff.new_version + "\n";
  for (const DiffLine& l : diff.lines) {
    std::string row = "  " + l.tool + "  " + l.probe + "  ";
    row += total_text(l.old_total) + " -> " + total_text(l.new_total) + "  " +
           std::string(diff_change_name(l.change));
    if (l.old_total && l.new_total && l.change != DiffChange::same_total) {
      Credits d = *l.new_total - *l.old_total;
      row += " (" + std::string(d.is_negative() ? "" : "+") + format_credits(d) + ")";
    }
    if (l.change == DiffChange::same_total)
      row += " (exact " + l.old_exact + " -> " + l.new_exact + ")";
    out += row + "\n";
  }
  if (diff.lines.empty()) out += "  no price changed\n";
  out += std::to_string(diff.unchanged) + " quotes unchanged\n";
  return out;
}

}  // namespace tally::pricing
