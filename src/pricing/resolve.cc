// resolve_request: the validating half of quote.h. Runs once per request; errors build
// messages that list what is valid, so a client can correct the request from the error alone.
#include <bitset>
#include <charconv>
#include <string>

#include "pricing/quote.h"

namespace tally::pricing {
namespace {

PricingError error(PricingErrorCode code, std::string detail) {
  return PricingError{code, std::move(detail), {}};
}

std::string join_ids(const std::vector<std::string>& ids) {
  std::string out;
  for (const auto& id : ids) {
    if (!out.empty()) out += ", ";
    out += id;
  }
  return out;
}

std::string valid_tools(const PriceBook& book) {
  std::vector<std::string> ids;
  for (const auto& t : book.tools) ids.push_back(t.id);
  return join_ids(ids);
}

std::string valid_params(const Tool& tool) {
  std::vector<std::string> ids;
  for (const auto& p : tool.params) ids.push_back(p.id);
  return ids.empty() ? "none" : join_ids(ids);
}

std::string valid_options(const Param& param) {
  std::vector<std::string> ids;
  for (const auto& o : param.options) ids.push_back(o.id);
  return join_ids(ids);
}

int find_param(const Tool& tool, std::string_view id) {
  for (size_t i = 0; i < tool.params.size(); ++i) {
    if (tool.params[i].id == id) return static_cast<int>(i);
  }
  return -1;
}

std::expected<int64_t, PricingError> parse_integer(const Tool& tool, const Param& p,
                                                   std::string_view text) {
  int64_t v = 0;
  auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  bool ok = ec == std::errc{} && ptr == text.data() + text.size() && !text.empty();
  if (!ok || v < p.min || v > p.max) {
    return std::unexpected(error(PricingErrorCode::bad_value,
                                 tool.id + ": " + p.id + " must be an integer from " +
                                     std::to_string(p.min) + " to " + std::to_string(p.max) +
                                     ", got \"" + std::string(text) + "\""));
  }
  return v;
}

std::expected<int64_t, PricingError> parse_value(const Tool& tool, const Param& p,
                                                 std::string_view text) {
  switch (p.kind) {
    case ParamKind::choice:
      for (size_t i = 0; i < p.options.size(); ++i) {
        if (p.options[i].id == text) return static_cast<int64_t>(i);
      }
      return std::unexpected(error(PricingErrorCode::unknown_option,
                                   tool.id + ": " + p.id + " has no option \"" + std::string(text) +
                                       "\"; valid: " + valid_options(p)));
    case ParamKind::toggle:
      if (text == "true") return 1;
      if (text == "false") return 0;
      return std::unexpected(error(
          PricingErrorCode::bad_value,
          tool.id + ": " + p.id + " must be true or false, got \"" + std::string(text) + "\""));
    case ParamKind::count:
    case ParamKind::usage:
      return parse_integer(tool, p, text);
  }
  return std::unexpected(error(PricingErrorCode::bad_value, "unreachable"));
}

}  // namespace

std::expected<ResolvedRequest, PricingError> resolve_request(const PriceBook& book,
                                                             std::string_view tool_id,
                                                             std::span<const ParamValue> params,
                                                             std::string_view plan) {
  int t = book.find_tool(tool_id);
  if (t < 0) {
    return std::unexpected(error(PricingErrorCode::unknown_tool,
                                 "no tool \"" + std::string(tool_id) + "\" in price book " +
                                     book.version + "; valid: " + valid_tools(book)));
  }
  const Tool& tool = book.tools[static_cast<size_t>(t)];
  ResolvedRequest r;
  r.tool = static_cast<uint16_t>(t);
  r.plan = static_cast<int16_t>(plan.empty() ? -1 : book.find_plan(plan));
  std::bitset<k_params_per_tool_max> given;
  for (const ParamValue& pv : params) {
    int i = find_param(tool, pv.name);
    if (i < 0) {
      return std::unexpected(error(PricingErrorCode::unknown_parameter,
                                   tool.id + " has no parameter \"" + std::string(pv.name) +
                                       "\"; valid: " + valid_params(tool)));
    }
    const Param& p = tool.params[static_cast<size_t>(i)];
    if (given.test(static_cast<size_t>(i))) {
      return std::unexpected(
          error(PricingErrorCode::bad_value, tool.id + ": " + p.id + " is given twice"));
    }
    auto v = parse_value(tool, p, pv.value);
    if (!v) return std::unexpected(v.error());
    r.values[static_cast<size_t>(i)] = *v;
    given.set(static_cast<size_t>(i));
  }
  std::string missing;
  for (size_t i = 0; i < tool.params.size(); ++i) {
    if (given.test(i)) continue;
    const Param& p = tool.params[i];
    if (p.has_default) {
      r.values[i] = p.default_value;
    } else {
      missing += (missing.empty() ? "" : ", ") + p.id;
    }
  }
  if (!missing.empty()) {
    return std::unexpected(
        error(PricingErrorCode::missing_parameter, tool.id + " needs: " + missing));
  }
  return r;
}

}  // namespace tally::pricing
