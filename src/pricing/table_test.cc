#include "pricing/table.h"

#include <gtest/gtest.h>

#include <optional>

#include "config/config.h"
#include "pricing/json_writer.h"
#include "pricing/test_books.h"

namespace tally::pricing {
namespace {

// An example config read whole, as the CLI reads it: the book and the catalog's packs.
struct Example {
  std::shared_ptr<const PriceBook> book;
  std::vector<tally::Pack> packs;
};

std::optional<Example> load(const char* name) {
  auto r = config::load_config(testing::example_path(name));
  EXPECT_TRUE(r.has_value()) << name << ": " << (r ? "" : r.error().to_string());
  if (!r || !r->price_book) return std::nullopt;
  return Example{r->price_book, r->catalog->packs};
}

tally::Pack pack(const char* id, int64_t credits, std::vector<tally::PackPrice> prices) {
  tally::Pack p;
  p.id = id;
  p.credits = Credits::from_credits(credits);
  p.prices = std::move(prices);
  return p;
}

tally::PackPrice price(const char* currency, int64_t minor, const char* region = "") {
  return tally::PackPrice{tally::Money{*parse_currency(currency), minor}, region};
}

TEST(PriceTable, CreditValueFromPacks) {
  auto miocai = load("miocai");
  ASSERT_TRUE(miocai);
  PriceTable t = build_price_table(*miocai->book, miocai->packs);
  // $0.10 (100 for $10) down to $0.05 (1,000 for $50 in region IN).
  EXPECT_EQ(credit_value_line(t), "1 credit = $0.05–$0.10 (USD, 3 packs)");
  // Amisi: $9.99/20 .. $59.99/200, exact to 5 decimals.
  auto amisi = load("amisi");
  ASSERT_TRUE(amisi);
  EXPECT_EQ(credit_value_line(build_price_table(*amisi->book, amisi->packs)),
            "1 credit = $0.29995–$0.4995 (USD, 4 packs)");
  // No packs, no line.
  auto pixai = load("pixai");
  ASSERT_TRUE(pixai);
  EXPECT_EQ(credit_value_line(build_price_table(*pixai->book, {})), "");
}

TEST(PriceTable, CreditValueSpansEveryPackAndRegion) {
  const std::vector<tally::Pack> packs = {
      pack("small", 100, {price("USD", 1000), price("USD", 700, "IN"), price("EUR", 900)}),
      pack("large", 1000, {price("USD", 6000), price("USD", 5000, "IN")}),
  };
  std::vector<CreditValue> v = credit_values(packs);
  ASSERT_EQ(v.size(), 2u);  // sorted by currency
  EXPECT_EQ(v[0].currency, "EUR");
  EXPECT_EQ(v[0].min_text, "€0.09");
  EXPECT_EQ(v[0].packs, 1);
  EXPECT_EQ(v[1].currency, "USD");
  EXPECT_EQ(v[1].min_major, "0.05");  // the regional price of the large pack
  EXPECT_EQ(v[1].max_major, "0.10");
  EXPECT_EQ(v[1].packs, 2);  // a pack counts once, however many regions it has
  PriceBook book;
  EXPECT_EQ(credit_value_line(build_price_table(book, packs)),
            "1 credit = €0.09 (EUR, 1 pack); 1 credit = $0.05–$0.10 (USD, 2 packs)");
}

TEST(PriceTable, CreditValueUsesTheCurrencysMinorUnit) {
  // JPY has no minor unit, KWD three digits: ¥1,000 for 100 credits is ¥10 a credit.
  std::vector<CreditValue> v =
      credit_values({pack("p", 100, {price("JPY", 1000)}), pack("q", 3, {price("KWD", 1000)})});
  ASSERT_EQ(v.size(), 2u);
  EXPECT_EQ(v[0].min_text, "¥10");
  EXPECT_EQ(v[1].min_major, "0.33333");  // 1.000 KWD / 3, half up at 5 decimals
  EXPECT_EQ(v[1].min_text, "KWD 0.33333");
}

TEST(PriceTable, EveryToolAndOptionWithItsCost) {
  auto amisi = load("amisi");
  ASSERT_TRUE(amisi);
  PriceTable t = build_price_table(*amisi->book, amisi->packs);
  ASSERT_EQ(t.tools.size(), 1u);
  ASSERT_EQ(t.tools[0].params[0].options.size(), 4u);
  EXPECT_EQ(t.tools[0].params[0].options[3].effect, "4");
  EXPECT_EQ(t.tools[0].default_total, Credits::from_credits(1));
  std::string text = render_table_text(t);
  for (const char* s :
       {"Amisi", "amisi-2025-05-15", "720p *", "8K (ultra-high)", "1 credit = $0.29995"}) {
    EXPECT_NE(text.find(s), std::string::npos) << s << "\n" << text;
  }
  std::string md = render_table_markdown(t);
  EXPECT_NE(md.find("| resolution | 4K (premium) (`4k`) | 3 |"), std::string::npos) << md;
  std::string json = render_table_json(t);
  EXPECT_NE(json.find(R"j({"id":"8k","name":"8K (ultra-high)","effect":"price","amount":"4")j"),
            std::string::npos)
      << json;
  EXPECT_NE(
      json.find(R"("credit_value":[{"currency":"USD","min":"0.29995","max":"0.4995","packs":4}])"),
      std::string::npos)
      << json;
}

TEST(PriceTable, PixaiShowsTiersSwitchesAndBatch) {
  auto pixai = load("pixai");
  ASSERT_TRUE(pixai);
  std::string text = render_table_text(build_price_table(*pixai->book, pixai->packs));
  for (const char* s :
       {"26-35", "× 1.25", "Face Fix (switch, default off)", "+ 200", "× value",
        "priority (switch, default on)", "default job: 1800 credits", "dit2", "200000"}) {
    EXPECT_NE(text.find(s), std::string::npos) << s << "\n" << text;
  }
}

TEST(JsonWriter, EscapesStrings) {
  std::string out;
  append_json_string(out, "a\"b\\c\nd\x01\té");
  EXPECT_EQ(out, R"("a\"b\\c\nd\u0001\té")");
  JsonWriter w;
  w.begin_object();
  w.key("k");
  w.begin_array();
  w.integer(-1);
  w.boolean(true);
  w.null();
  w.string("x");
  w.end_array();
  w.key("o");
  w.begin_object();
  w.end_object();
  w.end_object();
  EXPECT_EQ(w.take(), R"({"k":[-1,true,null,"x"],"o":{}})");
}

}  // namespace
}  // namespace tally::pricing
