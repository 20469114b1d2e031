#include "pricing/loader.h"

#include <gtest/gtest.h>

#include "config/config.h"
#include "pricing/test_books.h"

namespace tally::pricing {
namespace {

constexpr const char* k_head = R"([price_book]
version = "v1"
effective_at = 2026-01-01T00:00:00Z
)";

constexpr const char* k_two_tools = R"(
[price_book.tools.zeta]
base = 2
[price_book.tools.alpha]
base = "0.5"
)";

constexpr const char* k_pack = R"(
[[packs]]
id = "p"
credits = 10
prices = { USD = 500, EUR = 450 }
bonus = 2
)";

TEST(Loader, ReadsAMinimalBookAndIgnoresTablesItDoesNotOwn) {
  auto r = parse_price_book(std::string(k_head) + k_two_tools + R"(
[[plans]]
id = "pro"
anything = "the catalog reader owns this"
)" + k_pack,
                            "book.toml");
  ASSERT_TRUE(r.has_value()) << r.error().to_string();
  const PriceBook& b = **r;
  EXPECT_EQ(b.version, "v1");
  EXPECT_EQ(b.name, "v1");
  EXPECT_EQ(format_time(b.effective_at), "2026-01-01T00:00:00Z");
  ASSERT_EQ(b.tools.size(), 2u);
  EXPECT_EQ(b.tools[0].id, "zeta");  // file order, not key order
  EXPECT_EQ(b.find_tool("alpha"), 1);
  EXPECT_EQ(b.find_tool("beta"), -1);
}

// The packs beside a book are the catalog's (config/catalog_reader.cc); the whole file,
// read by config::parse_config, gives both the book and the packs the price table uses.
TEST(Loader, PacksBesideTheBookComeFromTheConfigLoader) {
  auto r = config::parse_config(std::string(k_head) + k_two_tools + k_pack, "book.toml");
  ASSERT_TRUE(r.has_value()) << r.error().to_string();
  ASSERT_TRUE(r->price_book);
  EXPECT_EQ(r->price_book->tools.size(), 2u);
  const std::vector<tally::Pack>& packs = r->catalog->packs;
  ASSERT_EQ(packs.size(), 1u);
  EXPECT_EQ(packs[0].credits, Credits::from_credits(10));
  ASSERT_EQ(packs[0].prices.size(), 2u);
  EXPECT_EQ(currency_code(packs[0].prices[0].price.currency), "USD");
  EXPECT_EQ(packs[0].prices[0].price.minor, 500);
}

TEST(Loader, EffectiveTimeAcceptsOffsetsAndStrings) {
  auto a = parse_price_book(R"([price_book]
version = "v"
effective_at = 2026-01-01T02:00:00+02:00
[price_book.tools.t]
base = 1
)",
                            "a.toml");
  auto b = parse_price_book(R"([price_book]
version = "v"
effective_at = "2026-01-01T00:00:00Z"
[price_book.tools.t]
base = 1
)",
                            "b.toml");
  ASSERT_TRUE(a && b);
  EXPECT_EQ((*a)->effective_at, (*b)->effective_at);
  EXPECT_TRUE((*a)->same_content(**b));
}

TEST(Loader, MissingFileIsAnIoError) {
  auto r = load_price_book_file("/nonexistent/book.toml");
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error().code, PricingErrorCode::io_error);
}

TEST(Loader, EveryExampleBookLoads) {
  for (const char* name : {"miocai", "modelpix", "amisi", "pixai", "fair-guide"}) {
    auto r = load_price_book_file(testing::example_path(name));
    EXPECT_TRUE(r.has_value()) << name << ": " << (r ? "" : r.error().to_string());
    // The whole file, as the CLI and the server read it.
    auto c = config::load_config(testing::example_path(name));
    EXPECT_TRUE(c.has_value()) << name << ": " << (c ? "" : c.error().to_string());
    EXPECT_TRUE(c && c->price_book) << name;
  }
}

struct Broken {
  const char* name;
  std::string text;
  uint32_t line;  // of the node at fault
  const char* message_part;
};

std::string tool(const std::string& body) {
  return std::string(k_head) + body;
}

std::vector<Broken> broken_books() {
  return {
      {"not toml", "[price_book\nversion = 1", 1, ""},
      {"no price_book", "[plans]\nx = 1\n", 1, "no [price_book]"},
      {"price_book not a table", "price_book = 3\n", 1, "must be a table"},
      {"unknown key in price_book", "[price_book]\nversoin = \"v\"\n", 2,
       "unknown key \"versoin\""},
      {"missing version",
       "[price_book]\neffective_at = 2026-01-01T00:00:00Z\n[price_book.tools.t]\nbase = 1\n", 1,
       "needs a key \"version\""},
      {"bad version id", "[price_book]\nversion = \"v 1\"\neffective_at = 2026-01-01T00:00:00Z\n",
       2, "not a valid id"},
      {"local time", "[price_book]\nversion = \"v\"\neffective_at = 2026-01-01T00:00:00\n", 3,
       "needs a UTC offset"},
      {"time as integer", "[price_book]\nversion = \"v\"\neffective_at = 5\n", 3,
       "must be a date-time"},
      {"no tools", std::string(k_head), 1, "needs a key \"tools\""},
      {"empty tools", std::string(k_head) + "[price_book.tools]\n", 4, "1 to 256 tools"},
      {"unknown tool key", tool("[price_book.tools.t]\nbase = 1\ncost = 2\n"), 6,
       "unknown key \"cost\""},
      {"fraction as TOML number", tool("[price_book.tools.t]\nbase = 1.5\n"), 5, "quote them"},
      {"negative base", tool("[price_book.tools.t]\nbase = -1\n"), 5, "must not be negative"},
      {"seven decimals", tool("[price_book.tools.t]\nbase = \"0.0000001\"\n"), 5,
       "at most 6 decimals"},
      {"huge base", tool("[price_book.tools.t]\nbase = \"10000000000000\"\n"), 5, "larger than"},
      {"no base and no price param", tool("[price_book.tools.t]\nname = \"T\"\n"), 4,
       "needs a base"},
      {"bad unit", tool("[price_book.tools.t]\nbase = 1\nunit = \"minute\"\n"), 6, "unit must be"},
      {"metered without usage", tool("[price_book.tools.t]\nbase = 1\nunit = \"second\"\n"), 4,
       "kind \"usage\""},
      {"bad rounding",
       tool("[price_book.tools.t]\nbase = 1\nrounding = { direction = \"sideways\" }\n"), 6,
       "up, down or nearest"},
      {"zero precision", tool("[price_book.tools.t]\nbase = 1\nrounding = { precision = 0 }\n"), 6,
       "precision must be"},
      {"param without kind",
       tool("[price_book.tools.t]\nbase = 1\n[[price_book.tools.t.params]]\nid = \"p\"\n"), 6,
       "needs a key \"kind\""},
      {"bad kind",
       tool("[price_book.tools.t]\nbase = 1\n[[price_book.tools.t.params]]\nid = \"p\"\nkind = "
            "\"slider\"\n"),
       8, "choice, switch, count or usage"},
      {"unknown option key",
       tool("[price_book.tools.t]\nbase = 1\n[[price_book.tools.t.params]]\nid = \"p\"\nkind = "
            "\"choice\"\noptions = [ { id = \"a\", multiply = 2, colour = \"red\" } ]\n"),
       9, "unknown key \"colour\""},
      {"two effects",
       tool("[price_book.tools.t]\nbase = 1\n[[price_book.tools.t.params]]\nid = \"p\"\nkind = "
            "\"choice\"\noptions = [ { id = \"a\", multiply = 2, add = 1 } ]\n"),
       9, "exactly one of"},
      {"price after a base",
       tool("[price_book.tools.t]\nbase = 1\n[[price_book.tools.t.params]]\nid = \"p\"\nkind = "
            "\"choice\"\noptions = [ { id = \"a\", price = 2 } ]\n"),
       9, "only allowed on the first parameter"},
      {"price param mixes effects",
       tool("[price_book.tools.t]\n[[price_book.tools.t.params]]\nid = \"p\"\nkind = "
            "\"choice\"\noptions = [ { id = \"a\", price = 2 }, { id = \"b\", multiply = 2 } ]\n"),
       8, "must set a price"},
      {"duplicate option",
       tool("[price_book.tools.t]\nbase = 1\n[[price_book.tools.t.params]]\nid = \"p\"\nkind = "
            "\"choice\"\noptions = [ { id = \"a\", add = 1 }, { id = \"a\", add = 2 } ]\n"),
       9, "declared twice"},
      {"duplicate param",
       tool("[price_book.tools.t]\nbase = 1\n[[price_book.tools.t.params]]\nid = \"p\"\nkind = "
            "\"switch\"\non = { add = 1 }\n[[price_book.tools.t.params]]\nid = \"p\"\nkind = "
            "\"switch\"\non = { add = 1 }\n"),
       11, "declared twice"},
      {"default not an option",
       tool("[price_book.tools.t]\nbase = 1\n[[price_book.tools.t.params]]\nid = \"p\"\nkind = "
            "\"choice\"\ndefault = \"z\"\noptions = [ { id = \"a\", add = 1 } ]\n"),
       9, "not an option"},
      {"no options",
       tool("[price_book.tools.t]\nbase = 1\n[[price_book.tools.t.params]]\nid = \"p\"\nkind = "
            "\"choice\"\noptions = []\n"),
       9, "1 to 64 options"},
      {"switch without effect",
       tool("[price_book.tools.t]\nbase = 1\n[[price_book.tools.t.params]]\nid = \"p\"\nkind = "
            "\"switch\"\n"),
       6, "needs an `on` or `off`"},
      {"switch default not bool",
       tool("[price_book.tools.t]\nbase = 1\n[[price_book.tools.t.params]]\nid = \"p\"\nkind = "
            "\"switch\"\ndefault = \"yes\"\non = { add = 1 }\n"),
       9, "true or false"},
      {"count without effect",
       tool("[price_book.tools.t]\nbase = 1\n[[price_book.tools.t.params]]\nid = \"n\"\nkind = "
            "\"count\"\nmin = 1\nmax = 4\n"),
       6, "multiply_by_value = true or tiers"},
      {"count max below min",
       tool("[price_book.tools.t]\nbase = 1\n[[price_book.tools.t.params]]\nid = \"n\"\nkind = "
            "\"count\"\nmin = 4\nmax = 1\nmultiply_by_value = true\n"),
       10, "must be from 4"},
      {"count default out of range",
       tool("[price_book.tools.t]\nbase = 1\n[[price_book.tools.t.params]]\nid = \"n\"\nkind = "
            "\"count\"\nmin = 1\nmax = 4\ndefault = 9\nmultiply_by_value = true\n"),
       11, "from 1 to 4, got 9"},
      {"tiers not covering max",
       tool("[price_book.tools.t]\nbase = 1\n[[price_book.tools.t.params]]\nid = \"n\"\nkind = "
            "\"count\"\nmin = 1\nmax = 50\ntiers = [ { up_to = 25, multiply = 1 } ]\n"),
       11, "tiers end at 25 but max is 50"},
      {"tiers not ascending",
       tool("[price_book.tools.t]\nbase = 1\n[[price_book.tools.t.params]]\nid = \"n\"\nkind = "
            "\"count\"\nmin = 1\nmax = 50\ntiers = [ { up_to = 25, multiply = 1 }, { up_to = 20, "
            "multiply = 2 } ]\n"),
       11, "must be from 26"},
      {"two usage params",
       tool("[price_book.tools.t]\nbase = 1\nunit = \"second\"\n[[price_book.tools.t.params]]\nid "
            "= \"s\"\nkind = \"usage\"\nmax = 5\n[[price_book.tools.t.params]]\nid = \"u\"\nkind = "
            "\"usage\"\nmax = 5\n"),
       4, "more than one usage"},
      {"usage on per-generation tool",
       tool("[price_book.tools.t]\nbase = 1\n[[price_book.tools.t.params]]\nid = \"s\"\nkind = "
            "\"usage\"\nmax = 5\n"),
       4, "has a usage parameter"},
      {"usage with default",
       tool("[price_book.tools.t]\nbase = 1\nunit = \"second\"\n[[price_book.tools.t.params]]\nid "
            "= \"s\"\nkind = \"usage\"\nmax = 5\ndefault = 1\n"),
       11, "unknown key \"default\""},
      {"bad tool id", tool("[price_book.tools.\"my tool\"]\nbase = 1\n"), 4, "not a valid id"},
      {"multiply too large",
       tool("[price_book.tools.t]\nbase = 1\n[[price_book.tools.t.params]]\nid = \"p\"\nkind = "
            "\"switch\"\non = { multiply = 2000000 }\n"),
       9, "at most 1000000"},
      {"included_in not array",
       tool("[price_book.tools.t]\nbase = 1\n[[price_book.tools.t.params]]\nid = \"p\"\nkind = "
            "\"choice\"\noptions = [ { id = \"a\", add = 1, included_in = \"pro\" } ]\n"),
       9, "must be an array"},
      {"control char in name", tool("[price_book.tools.t]\nbase = 1\nname = \"a\\u0001b\"\n"), 6,
       "control character"},
      {"minimum not a multiple of the precision",
       tool("[price_book.tools.t]\nbase = 1\nminimum = \"1.5\"\n"
            "rounding = { precision = \"1\", direction = \"down\" }\n"),
       6, "multiple of the rounding precision"},
  };
}

TEST(Loader, BrokenBooksAreRejectedWithPositionAndReason) {
  for (const Broken& b : broken_books()) {
    auto r = parse_price_book(b.text, "broken.toml");
    ASSERT_FALSE(r.has_value()) << b.name;
    const PricingError& e = r.error();
    EXPECT_EQ(e.code, PricingErrorCode::invalid_book) << b.name;
    EXPECT_EQ(e.where.file, "broken.toml") << b.name;
    EXPECT_EQ(e.where.line, b.line) << b.name << ": " << e.to_string();
    EXPECT_GT(e.where.column, 0u) << b.name;
    EXPECT_NE(e.detail.find(b.message_part), std::string::npos) << b.name << ": " << e.to_string();
  }
}

// Packs are read by the catalog reader with the same rules and positions; through the whole
// config loader, a broken pack beside a good book is an error of the file.
TEST(Loader, BrokenPacksAreRejectedWithPositionAndReason) {
  const std::vector<Broken> packs = {
      {"pack bad currency",
       tool("[price_book.tools.t]\nbase = 1\n[[packs]]\nid = \"p\"\ncredits = 10\nprices = { usd = "
            "5 }\n"),
       9, "ISO 4217"},
      {"pack fractional price",
       tool("[price_book.tools.t]\nbase = 1\n[[packs]]\nid = \"p\"\ncredits = 10\nprices = { USD = "
            "\"9.99\" }\n"),
       9, "integer minor units"},
      {"pack zero credits",
       tool("[price_book.tools.t]\nbase = 1\n[[packs]]\nid = \"p\"\ncredits = 0\n"), 8,
       ".credits must be"},
  };
  for (const Broken& b : packs) {
    auto r = config::parse_config(b.text, "broken.toml");
    ASSERT_FALSE(r.has_value()) << b.name;
    const PricingError e = from_config_error(r.error());
    EXPECT_EQ(e.code, PricingErrorCode::invalid_book) << b.name;
    EXPECT_EQ(e.where.file, "broken.toml") << b.name;
    EXPECT_EQ(e.where.line, b.line) << b.name << ": " << e.to_string();
    EXPECT_GT(e.where.column, 0u) << b.name;
    EXPECT_NE(e.detail.find(b.message_part), std::string::npos) << b.name << ": " << e.to_string();
  }
}

TEST(Loader, ErrorTextNamesFileLineAndColumn) {
  auto r = parse_price_book(tool("[price_book.tools.t]\nbase = 1.5\n"), "books/x.toml");
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error().to_string().rfind("books/x.toml:5:8: invalid_book: tool t.base", 0), 0u)
      << r.error().to_string();
}

}  // namespace
}  // namespace tally::pricing
