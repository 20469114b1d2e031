#include "pricing/quote.h"

#include <gtest/gtest.h>

#include "pricing/breakdown.h"
#include "pricing/test_books.h"

namespace tally::pricing {
namespace {

using testing::book_from_text;
using testing::must_quote;

// The breakdown example of issue 3: base 7, × 2 resolution 1080p, + 2 Face Fix, × 4 batch.
constexpr const char* k_book = R"(
[price_book]
version = "v1"
effective_at = 2026-01-01T00:00:00Z

[price_book.tools.image]
base = 7
minimum = 10
[[price_book.tools.image.params]]
id = "resolution"
kind = "choice"
default = "720p"
options = [ { id = "720p", multiply = 1 }, { id = "1080p", multiply = 2 } ]
[[price_book.tools.image.params]]
id = "face_fix"
name = "Face Fix"
kind = "switch"
on = { add = 2 }
[[price_book.tools.image.params]]
id = "batch_size"
name = "batch"
kind = "count"
min = 1
max = 4
default = 1
multiply_by_value = true

[price_book.tools.chat]
[[price_book.tools.chat.params]]
id = "model"
kind = "choice"
options = [
  { id = "standard", price = 0 },
  { id = "aetherion", name = "Aetherion", price = 1, included_in = ["elite"] },
]
[[price_book.tools.chat.params]]
id = "web"
kind = "switch"
on = { add = "0.5" }

[price_book.tools.draft]
base = "0.3"
rounding = { precision = "0.5", direction = "nearest" }
)";

std::vector<std::string> texts(const Quote& q) {
  std::vector<std::string> out;
  for (const LineItem& item : q.line_items()) out.push_back(line_text(q, item));
  return out;
}

TEST(Quote, BreakdownReadsLikeTheIssueExample) {
  auto book = book_from_text(k_book);
  ASSERT_TRUE(book);
  Quote q = must_quote(*book, "image", {"resolution=1080p", "face_fix=true", "batch_size=4"});
  EXPECT_EQ(q.total, Credits::from_credits(64));
  EXPECT_EQ(texts(q), (std::vector<std::string>{"base 7", "× 2 resolution 1080p", "+ 2 Face Fix",
                                                "× 4 batch"}));
  EXPECT_EQ(q.book->version, "v1");
}

TEST(Quote, MinimumChargeThenRounding) {
  auto book = book_from_text(k_book);
  ASSERT_TRUE(book);
  Quote q = must_quote(*book, "image", {});
  EXPECT_EQ(q.total, Credits::from_credits(10));
  EXPECT_EQ(texts(q), (std::vector<std::string>{"base 7", "minimum 10"}));
  // Rounding to the nearest half credit: 0.3 -> 0.5, shown as its own line.
  Quote d = must_quote(*book, "draft", {});
  EXPECT_EQ(d.total.micro, 500'000);
  EXPECT_EQ(texts(d), (std::vector<std::string>{"base 0.3", "rounding +0.2"}));
}

TEST(Quote, PlanIncludedOptionCostsNothing) {
  auto book = book_from_text(k_book);
  ASSERT_TRUE(book);
  EXPECT_EQ(must_quote(*book, "chat", {"model=aetherion"}).total, Credits::from_credits(1));
  EXPECT_EQ(must_quote(*book, "chat", {"model=aetherion"}, "premium").total,
            Credits::from_credits(1));
  Quote q = must_quote(*book, "chat", {"model=aetherion", "web=true"}, "elite");
  EXPECT_TRUE(q.total.is_zero());
  EXPECT_EQ(texts(q), (std::vector<std::string>{"included model Aetherion in plan elite: 0"}));
  // Half a credit of web search on the free model rounds up to 1.
  EXPECT_EQ(must_quote(*book, "chat", {"model=standard", "web=true"}).total,
            Credits::from_credits(1));
}

struct BadRequest {
  const char* tool;
  std::vector<std::string> params;
  PricingErrorCode code;
  const char* detail_part;
};

TEST(Quote, ClientErrorsAreValuesThatListWhatIsValid) {
  auto book = book_from_text(k_book);
  ASSERT_TRUE(book);
  const BadRequest cases[] = {
      {"imgae", {}, PricingErrorCode::unknown_tool, "valid: image, chat, draft"},
      {"image",
       {"size=4"},
       PricingErrorCode::unknown_parameter,
       "valid: resolution, face_fix, batch_size"},
      {"image", {"resolution=4k"}, PricingErrorCode::unknown_option, "valid: 720p, 1080p"},
      {"chat", {}, PricingErrorCode::missing_parameter, "chat needs: model"},
      {"image", {"batch_size=5"}, PricingErrorCode::bad_value, "from 1 to 4"},
      {"image", {"batch_size=two"}, PricingErrorCode::bad_value, "integer"},
      {"image", {"batch_size="}, PricingErrorCode::bad_value, "integer"},
      {"image", {"face_fix=yes"}, PricingErrorCode::bad_value, "true or false"},
      {"image", {"batch_size=2", "batch_size=3"}, PricingErrorCode::bad_value, "given twice"},
  };
  for (const BadRequest& c : cases) {
    std::vector<ParamValue> params;
    for (const std::string& kv : c.params) {
      auto eq = kv.find('=');
      params.push_back({std::string_view(kv).substr(0, eq), std::string_view(kv).substr(eq + 1)});
    }
    auto q = quote(*book, c.tool, params);
    ASSERT_FALSE(q.has_value()) << c.tool;
    EXPECT_EQ(q.error().code, c.code) << q.error().to_string();
    EXPECT_NE(q.error().detail.find(c.detail_part), std::string::npos) << q.error().to_string();
  }
}

TEST(Quote, PerThousandTokensIsExact) {
  auto book = testing::example_book("fair-guide");
  ASSERT_TRUE(book);
  Quote q = must_quote(*book, "text", {"model=premium", "tokens=1234"});
  EXPECT_EQ(format_decimal(q.exact), "3.085");  // 2.5 × 1.234
  EXPECT_EQ(q.total, Credits::from_credits(4));
  EXPECT_EQ(texts(q), (std::vector<std::string>{"base 2.5 model premium",
                                                "× 1.234 tokens 1234 / 1000", "rounding +0.915"}));
}

TEST(Quote, ResolvedPathMatchesNamedPath) {
  auto book = testing::example_book("pixai");
  ASSERT_TRUE(book);
  std::vector<ParamValue> params{{"model", "tsubaki-1"}, {"steps", "30"}, {"batch_size", "2"}};
  auto r = resolve_request(*book, "image", params);
  ASSERT_TRUE(r.has_value());
  auto a = price_request(*book, *r);
  auto b = quote(*book, "image", params);
  ASSERT_TRUE(a && b);
  EXPECT_EQ(a->total, b->total);
  EXPECT_EQ(a->total, Credits::from_credits(7500));  // 2500 × 1.25 × 2 × 1.2
}

TEST(Quote, OverflowIsAnError) {
  auto book = book_from_text(R"(
[price_book]
version = "big"
effective_at = 2026-01-01T00:00:00Z
[price_book.tools.t]
base = 1000000000000
[[price_book.tools.t.params]]
id = "n"
kind = "count"
min = 1
max = 1000000
default = 1
multiply_by_value = true
[[price_book.tools.t.params]]
id = "m"
kind = "count"
min = 1
max = 1000000
default = 1
multiply_by_value = true
)");
  ASSERT_TRUE(book);
  std::vector<ParamValue> params{{"n", "1000000"}, {"m", "1000000"}};
  auto q = quote(*book, "t", params);
  ASSERT_FALSE(q.has_value());
  EXPECT_EQ(q.error().code, PricingErrorCode::amount_too_large);
}

}  // namespace
}  // namespace tally::pricing
