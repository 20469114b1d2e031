// Test helpers shared by the pricing tests: load a book from text or from config/examples.
#pragma once

#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <vector>

#include "pricing/loader.h"
#include "pricing/quote.h"

namespace tally::pricing::testing {

inline std::string example_path(const std::string& name) {
  return std::string(TALLY_SOURCE_DIR) + "/config/examples/" + name + ".toml";
}

// Loads a book; fails the test (and returns nullptr) on error.
inline std::shared_ptr<const PriceBook> book_from_text(const std::string& text) {
  auto r = parse_price_book(text, "test.toml");
  EXPECT_TRUE(r.has_value()) << (r ? "" : r.error().to_string());
  return r ? *r : nullptr;
}

inline std::shared_ptr<const PriceBook> example_book(const std::string& name) {
  auto r = load_price_book_file(example_path(name));
  EXPECT_TRUE(r.has_value()) << (r ? "" : r.error().to_string());
  return r ? *r : nullptr;
}

// Quotes with params written "key=value"; fails the test on error and returns the quote.
inline Quote must_quote(const PriceBook& book, const std::string& tool,
                        const std::vector<std::string>& kv, const std::string& plan = "") {
  std::vector<ParamValue> params;
  for (const std::string& s : kv) {
    auto eq = s.find('=');
    params.push_back(
        ParamValue{std::string_view(s).substr(0, eq), std::string_view(s).substr(eq + 1)});
  }
  auto q = quote(book, tool, params, plan);
  EXPECT_TRUE(q.has_value()) << tool << ": " << (q ? "" : q.error().to_string());
  return q ? *q : Quote{};
}

// Quotes and returns the total in whole credits as text ("7", "11.5").
inline std::string total_of(const PriceBook& book, const std::string& tool,
                            const std::vector<std::string>& kv, const std::string& plan = "") {
  return format_credits(must_quote(book, tool, kv, plan).total);
}

}  // namespace tally::pricing::testing
