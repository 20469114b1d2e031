// Property: for random parameter choices of every example book, the breakdown says the total.
// Two independent replays: from the structured line items, and from their printed text
// ("× 1.5 …", "+ 200 …", "minimum 1", "rounding +0.25"), parsed back with exact decimals.
#include <gtest/gtest.h>
#include <rapidcheck.h>
#include <rapidcheck/gtest.h>

#include "pricing/breakdown.h"
#include "pricing/test_books.h"

namespace tally::pricing {
namespace {

// Applies one printed line ("× 1.5 aspect ratio 3:4") to the running value.
Decimal replay_text(Decimal value, const std::string& text) {
  auto number_after = [&](size_t pos) {
    size_t end = text.find(' ', pos);
    std::string n = text.substr(pos, end == std::string::npos ? std::string::npos : end - pos);
    auto d = parse_decimal(n[0] == '-' || n[0] == '+' ? n.substr(1) : n, 36);
    RC_ASSERT(d.has_value());
    return n[0] == '-' ? Decimal{-d->mantissa, d->scale} : *d;
  };
  if (text.rfind("base ", 0) == 0) return number_after(5);
  if (text.rfind("+ ", 0) == 0) return *checked_add(value, number_after(2));
  if (text.rfind("× ", 0) == 0) return *checked_mul(value, number_after(std::string("× ").size()));
  if (text.rfind("minimum ", 0) == 0) return number_after(8);
  if (text.rfind("rounding ", 0) == 0) return *checked_add(value, number_after(9));
  if (text.rfind("included ", 0) == 0) return Decimal{};
  RC_FAIL("unexpected line: " + text);
}

void check_book(const PriceBook& book) {
  const auto t = *rc::gen::inRange<size_t>(0, book.tools.size());
  const Tool& tool = book.tools[t];
  ResolvedRequest r;
  r.tool = static_cast<uint16_t>(t);
  for (size_t i = 0; i < tool.params.size(); ++i) {
    const Param& p = tool.params[i];
    switch (p.kind) {
      case ParamKind::choice:
        r.values[i] = *rc::gen::inRange<int64_t>(0, static_cast<int64_t>(p.options.size()));
        break;
      case ParamKind::toggle:
        r.values[i] = *rc::gen::inRange<int64_t>(0, 2);
        break;
      case ParamKind::count:
      case ParamKind::usage:
        r.values[i] = *rc::gen::inRange<int64_t>(p.min, p.max + 1);
        break;
    }
  }
  auto q = price_request(book, r);
  RC_ASSERT(q.has_value());
  Decimal structured, printed;
  for (const LineItem& item : q->line_items()) {
    printed = replay_text(printed, line_text(*q, item));
    RC_ASSERT(same_value(printed, item.subtotal));
    structured = item.subtotal;
  }
  RC_ASSERT(same_value(structured, Decimal::from_credits(q->total)));
  RC_ASSERT(same_value(printed, Decimal::from_credits(q->total)));
  // The named-parameter path gives the same total.
  std::vector<std::string> storage;
  for (size_t i = 0; i < tool.params.size(); ++i) {
    const Param& p = tool.params[i];
    storage.push_back(p.kind == ParamKind::choice   ? p.options[static_cast<size_t>(r.values[i])].id
                      : p.kind == ParamKind::toggle ? (r.values[i] ? "true" : "false")
                                                    : std::to_string(r.values[i]));
  }
  std::vector<ParamValue> params;
  for (size_t i = 0; i < tool.params.size(); ++i) params.push_back({tool.params[i].id, storage[i]});
  auto named = quote(book, tool.id, params);
  RC_ASSERT(named.has_value());
  RC_ASSERT(named->total == q->total);
}

RC_GTEST_PROP(QuoteProperty, BreakdownEqualsTotalForEveryExampleBook, ()) {
  static const auto books = [] {
    std::vector<std::shared_ptr<const PriceBook>> out;
    for (const char* name : {"miocai", "modelpix", "amisi", "pixai", "fair-guide"}) {
      out.push_back(testing::example_book(name));
    }
    return out;
  }();
  const auto& book = *rc::gen::elementOf(books);
  RC_ASSERT(book != nullptr);
  check_book(*book);
}

}  // namespace
}  // namespace tally::pricing
