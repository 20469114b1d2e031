#include "pricing/diff.h"

#include <gtest/gtest.h>

#include "pricing/test_books.h"

namespace tally::pricing {
namespace {

std::string book(const std::string& version, const std::string& tools) {
  return "[price_book]\nversion = \"" + version + "\"\neffective_at = 2026-01-01T00:00:00Z\n" +
         tools;
}

constexpr const char* k_old = R"(
[price_book.tools.image]
[[price_book.tools.image.params]]
id = "resolution"
kind = "choice"
default = "720p"
options = [ { id = "720p", price = 1 }, { id = "1080p", price = 2 }, { id = "4k", price = 3 } ]
[price_book.tools.upscale]
base = 3
[price_book.tools.legacy]
base = 1
)";

constexpr const char* k_new = R"(
[price_book.tools.image]
[[price_book.tools.image.params]]
id = "resolution"
kind = "choice"
default = "720p"
options = [ { id = "720p", price = 1 }, { id = "1080p", price = "1.5" }, { id = "4k", price = 4 }, { id = "8k", price = 5 } ]
[price_book.tools.upscale]
base = "2.6"
[price_book.tools.video]
base = 30
)";

const DiffLine* find(const PriceDiff& d, const std::string& tool, const std::string& probe) {
  for (const DiffLine& l : d.lines) {
    if (l.tool == tool && l.probe == probe) return &l;
  }
  return nullptr;
}

TEST(PriceDiff, ToolByToolOptionByOption) {
  auto a = testing::book_from_text(book("old", k_old));
  auto b = testing::book_from_text(book("new", k_new));
  ASSERT_TRUE(a && b);
  PriceDiff d = diff_price_books(*a, *b);
  EXPECT_EQ(find(d, "image", "resolution=4k")->change, DiffChange::dearer);
  EXPECT_EQ(find(d, "image", "resolution=8k")->change, DiffChange::added);
  // 2 -> 1.5 rounds up to 2: the same total, a different exact price.
  const DiffLine* hd = find(d, "image", "resolution=1080p");
  ASSERT_NE(hd, nullptr);
  EXPECT_EQ(hd->change, DiffChange::same_total);
  EXPECT_EQ(hd->new_exact, "1.5");
  // 3 -> 2.6 still rounds up to 3, but the change is reported.
  EXPECT_EQ(find(d, "upscale", "default")->change, DiffChange::same_total);
  EXPECT_EQ(find(d, "legacy", "tool")->change, DiffChange::removed);
  EXPECT_EQ(find(d, "video", "tool")->change, DiffChange::added);
  EXPECT_EQ(find(d, "image", "resolution=720p"), nullptr);  // unchanged
  EXPECT_GE(d.unchanged, 2);
  std::string text = render_diff_text(d);
  EXPECT_NE(text.find("image  resolution=4k  3 -> 4  dearer (+1)"), std::string::npos) << text;
}

TEST(PriceDiff, IdenticalBooksHaveNoChanges) {
  auto a = testing::example_book("pixai");
  ASSERT_TRUE(a);
  PriceDiff d = diff_price_books(*a, *a);
  EXPECT_TRUE(d.lines.empty());
  EXPECT_GT(d.unchanged, 20);
}

TEST(PriceDiff, CheaperOption) {
  auto a = testing::example_book("amisi");
  auto b = testing::book_from_text(book("amisi-2", R"(
[price_book.tools.image]
[[price_book.tools.image.params]]
id = "resolution"
kind = "choice"
default = "720p"
options = [ { id = "720p", price = 1 }, { id = "1080p", price = 2 }, { id = "4k", price = 3 }, { id = "8k", price = 3 } ]
)"));
  ASSERT_TRUE(a && b);
  PriceDiff d = diff_price_books(*a, *b);
  ASSERT_EQ(d.lines.size(), 1u);
  EXPECT_EQ(d.lines[0].probe, "resolution=8k");
  EXPECT_EQ(d.lines[0].change, DiffChange::cheaper);
}

}  // namespace
}  // namespace tally::pricing
