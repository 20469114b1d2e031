#include "pricing/table.h"

#include <gtest/gtest.h>

#include "pricing/json_writer.h"
#include "pricing/test_books.h"

namespace tally::pricing {
namespace {

LoadedConfig load(const char* name) {
  auto r = load_config_file(testing::example_path(name));
  EXPECT_TRUE(r.has_value());
  return *r;
}

TEST(PriceTable, CreditValueFromPacks) {
  auto miocai = load("miocai");
  PriceTable t = build_price_table(*miocai.book, miocai.packs);
  EXPECT_EQ(credit_value_line(t), "1 credit = $0.05–$0.10 (USD, 2 packs)");
  // Amisi: $9.99/20 .. $59.99/200, exact to 5 decimals.
  auto amisi = load("amisi");
  EXPECT_EQ(credit_value_line(build_price_table(*amisi.book, amisi.packs)),
            "1 credit = $0.29995–$0.4995 (USD, 4 packs)");
  // No packs, no line.
  auto pixai = load("pixai");
  EXPECT_EQ(credit_value_line(build_price_table(*pixai.book, pixai.packs)), "");
}

TEST(PriceTable, EveryToolAndOptionWithItsCost) {
  auto amisi = load("amisi");
  PriceTable t = build_price_table(*amisi.book, amisi.packs);
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
  std::string text = render_table_text(build_price_table(*pixai.book, pixai.packs));
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
