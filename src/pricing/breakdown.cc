#include "pricing/breakdown.h"

#include "ledger/check.h"
#include "pricing/json_writer.h"

namespace tally::pricing {

std::string line_operation(const LineItem& item) {
  switch (item.kind) {
    case LineKind::base:
      return "base " + format_decimal(item.amount);
    case LineKind::add:
      return "+ " + format_decimal(item.amount);
    case LineKind::multiply:
      return "× " + format_decimal(item.amount);
    case LineKind::included:
      return "included";
    case LineKind::minimum:
      return "minimum " + format_decimal(item.amount);
    case LineKind::rounding:
      return std::string("rounding ") + (item.amount.is_negative() ? "" : "+") +
             format_decimal(item.amount);
  }
  return "?";
}

std::string line_label(const Quote& q, const LineItem& item) {
  if (item.param < 0) return "";
  const Tool& tool = q.tool_def();
  const Param& p = tool.params[static_cast<size_t>(item.param)];
  switch (p.kind) {
    case ParamKind::choice: {
      std::string label = p.name + " " + p.options[static_cast<size_t>(item.value)].name;
      if (item.kind == LineKind::included) {
        TALLY_CHECK(q.plan >= 0);
        label += " in plan " + q.book->plans[static_cast<size_t>(q.plan)] + ": 0";
      }
      return label;
    }
    case ParamKind::toggle:
      return item.value ? p.name : p.name + " off";
    case ParamKind::count:
      return p.multiply_by_value ? p.name : p.name + " " + std::to_string(item.value);
    case ParamKind::usage:
      if (unit_size(tool.unit) == 1) return p.name;
      return p.name + " " + std::to_string(item.value) + " / " +
             std::to_string(unit_size(tool.unit));
  }
  return "";
}

std::string line_text(const Quote& q, const LineItem& item) {
  std::string label = line_label(q, item);
  return label.empty() ? line_operation(item) : line_operation(item) + " " + label;
}

std::string format_breakdown(const Quote& q) {
  const Tool& tool = q.tool_def();
  std::string out = tool.id + " (price book " + q.book->version + ")\n";
  for (const LineItem& item : q.line_items()) {
    std::string text = line_text(q, item);
    // Pad by code points so "×" (two bytes) lines up.
    size_t width = 0;
    for (unsigned char ch : text) width += (ch & 0xC0) != 0x80;
    text.append(width < 40 ? 40 - width : 1, ' ');
    out += "  " + text + "= " + format_decimal(item.subtotal) + "\n";
  }
  out += "total " + format_credits(q.total) +
         (q.total == Credits::from_credits(1) ? " credit\n" : " credits\n");
  return out;
}

std::string_view line_kind_name(LineKind kind) {
  switch (kind) {
    case LineKind::base:
      return "base";
    case LineKind::add:
      return "add";
    case LineKind::multiply:
      return "multiply";
    case LineKind::included:
      return "included";
    case LineKind::minimum:
      return "minimum";
    case LineKind::rounding:
      return "rounding";
  }
  return "?";
}

std::string render_quote_json(const Quote& q) {
  JsonWriter w;
  w.begin_object();
  w.key("tool");
  w.string(q.tool_def().id);
  w.key("version");
  w.string(q.book->version);
  w.key("total");
  w.string(format_credits(q.total));
  w.key("total_micro");
  w.integer(q.total.micro);
  w.key("exact");
  w.string(format_decimal(q.exact));
  w.key("plan");
  q.plan >= 0 ? w.string(q.book->plans[static_cast<size_t>(q.plan)]) : w.null();
  w.key("line_items");
  w.begin_array();
  for (const LineItem& item : q.line_items()) {
    w.begin_object();
    w.key("kind");
    w.string(line_kind_name(item.kind));
    w.key("text");
    w.string(line_text(q, item));
    w.key("param");
    item.param >= 0 ? w.string(q.tool_def().params[static_cast<size_t>(item.param)].id) : w.null();
    w.key("amount");
    w.string(format_decimal(item.amount));
    w.key("subtotal");
    w.string(format_decimal(item.subtotal));
    w.end_object();
  }
  w.end_array();
  w.end_object();
  return w.take();
}

}  // namespace tally::pricing
