#include "lint/lint.h"

#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <map>

#include "config/config.h"
#include "config/toml_reader.h"

namespace tally::lint {
namespace {

std::string source(const std::string& rel) {
  const char* root = std::getenv("TALLY_SOURCE_DIR");
  return std::string(root ? root : ".") + "/" + rel;
}

// A configuration file scored as `tally lint` scores it, lines included.
Report lint_file(const std::string& path) {
  auto text = config::read_config_text(path);
  EXPECT_TRUE(text.has_value()) << path;
  auto c = config::parse_config(text.value_or(""), path);
  EXPECT_TRUE(c.has_value()) << path << ": " << (c ? "" : c.error().to_string());
  if (!c) return {};
  Report r = lint_config(c->price_book.get(), *c->catalog);
  std::vector<std::string> paths;
  for (const Item& i : r.items) paths.push_back(i.where);
  const std::vector<uint32_t> lines = config::lines_of(*text, paths);
  for (size_t i = 0; i < lines.size(); ++i) r.items[i].line = lines[i];
  return r;
}

// What an item should say: its outcome, where (key path:line), and words of its why.
struct Expected {
  Outcome outcome;
  std::string where;  // "packs[1].validity:57"; empty for a pass
  std::string why;    // a part of the one-line reason
};
using Expectations = std::map<std::string, Expected>;  // by item id; unlisted items pass

const std::vector<std::string> k_items = {"credit_ratio",    "tool_costs",   "expiry",
                                          "bonus_expiry",    "price_variation", "volume_tiers",
                                          "premium_labels"};

// The findings of every shipped configuration, written down. A new example must add its own.
const std::map<std::string, Expectations>& shipped() {
  static const auto* m = new std::map<std::string, Expectations>{
      {"config/examples/fair-guide.toml", {}},
      {"config/default.toml",
       {{"credit_ratio",
         {Outcome::warn, "packs[0].prices.USD:171", "USD 9.99 for 100 credits is 0.0999"}},
        {"expiry",
         {Outcome::fail, "plans[0].rollover_cap:132",
          "plan free: its 10 weekly credits vanish unused"}},
        {"bonus_expiry",
         {Outcome::fail, "packs[1].bonus_validity:181",
          "pack medium: its 25 bonus credits expire 30 days after purchase"}},
        {"price_variation", {Outcome::warn, "seasons[0]:191", "season new-year"}},
        // India pays the any-region price for the large pack, more a credit than medium's.
        {"volume_tiers",
         {Outcome::fail, "packs[2].prices.USD:187",
          "pack large (2000 credits) costs more a credit than pack medium (500)"}},
        {"premium_labels",
         {Outcome::warn, "price_book.tools.image.params[4].default:57",
          "image.priority is on by default"}}}},
      {"config/examples/amisi.toml",
       {{"credit_ratio",
         {Outcome::warn, "packs[0].prices.USD:75", "USD 9.99 for 20 credits is 0.4995"}},
        {"expiry", {Outcome::fail, "plans[4].rollover_cap:64", "plan enterprise"}}}},
      {"config/examples/miocai.toml",
       {{"expiry",
         {Outcome::fail, "plans[0].rollover_cap:63",
          "plan free: its 5 weekly credits vanish unused"}}}},
      {"config/examples/modelpix.toml",
       {{"credit_ratio", {Outcome::warn, "packs[0].prices.USD:81", "pack starter"}}}},
      {"config/examples/pixai.toml",
       {{"credit_ratio", {Outcome::warn, "packs[0].prices.USD:137", "pack c100k"}},
        {"expiry", {Outcome::fail, "plans[1].rollover_cap:128", "plan member"}},
        {"bonus_expiry",
         {Outcome::fail, "packs[1].bonus_validity:145",
          "25000 bonus credits expire 30 days after purchase"}},
        {"premium_labels",
         {Outcome::warn, "price_book.tools.image.params[6].default:80",
          "image.priority is on by default"}}}},
  };
  return *m;
}

void check(const std::string& file, const Report& r, const Expectations& want) {
  ASSERT_EQ(r.items.size(), k_items.size()) << file;
  for (size_t i = 0; i < k_items.size(); ++i) {
    const Item& item = r.items[i];
    SCOPED_TRACE(file + " " + item.id + ": " + std::string(outcome_name(item.outcome)) + " " +
                 item.why + " at " + item.where + ":" + std::to_string(item.line));
    EXPECT_EQ(item.id, k_items[i]);
    EXPECT_FALSE(item.why.empty());
    EXPECT_EQ(item.why.find('\n'), std::string::npos) << "one line";
    auto w = want.find(item.id);
    if (w == want.end()) {
      EXPECT_EQ(item.outcome, Outcome::pass);
      continue;
    }
    EXPECT_EQ(item.outcome, w->second.outcome);
    EXPECT_EQ(item.where + ":" + std::to_string(item.line), w->second.where);
    EXPECT_NE(item.why.find(w->second.why), std::string::npos);
  }
}

TEST(Lint, EveryShippedConfigurationScoresAsWrittenDown) {
  std::vector<std::string> files = {"config/default.toml"};
  for (const auto& e : std::filesystem::directory_iterator(source("config/examples"))) {
    files.push_back("config/examples/" + e.path().filename().string());
  }
  for (const std::string& f : files) {
    auto want = shipped().find(f);
    ASSERT_NE(want, shipped().end()) << f << " has no expected findings in lint_test.cc";
    check(f, lint_file(source(f)), want->second);
  }
}

TEST(Lint, TheFairGuideConfigurationPassesEveryItem) {
  const Report r = lint_file(source("config/examples/fair-guide.toml"));
  EXPECT_EQ(r.outcome(), Outcome::pass) << render_text(r, "fair-guide.toml");
}

// Monthly expiry, 7-day bonus credits, a surcharge for one payment method, and the rest of the
// guide's red flags (each is commented in the file).
TEST(Lint, TheUnfairConfigurationFailsWhereItIsUnfair) {
  const std::string file = "tests/lint/unfair.toml";
  const Report r = lint_file(source(file));
  EXPECT_EQ(r.outcome(), Outcome::fail);
  check(file, r,
        {{"credit_ratio", {Outcome::warn, "packs[0].prices.USD:48", "0.1299 a credit"}},
         {"tool_costs",
          {Outcome::warn, "price_book.tools.image.description:13",
           "says 1 credit, but the job with the default options costs 3"}},
         {"expiry",
          {Outcome::fail, "plans[0].rollover_cap:39",
           "plan basic: its 100 monthly credits vanish unused at each period end"}},
         {"bonus_expiry",
          {Outcome::fail, "packs[0].bonus_validity:50",
           "pack p100: its 20 bonus credits expire 7 days after purchase"}},
         {"price_variation",
          {Outcome::fail, "packs[0].payment_surcharges.paypal:51",
           "pack p100 costs 5% more paid with paypal"}},
         {"volume_tiers",
          {Outcome::fail, "packs[1].prices.USD:58",
           "pack p300 (300 credits) costs more a credit than pack p100 (100)"}},
         {"premium_labels",
          {Outcome::fail, "price_book.tools.image.params[0].options:20",
           "\"Flux Premium\" costs more than \"Flux\""}}});
}

// The default image's description once said "1 credit is a standard 1024 px image" while the
// job with the default options (priority on) cost 2: the price page contradicted itself.
TEST(Lint, ADescriptionThatContradictsThePriceIsFound) {
  std::string text = *config::read_config_text(source("config/default.toml"));
  const std::string now = "a standard 1024 px image is 2 credits with priority";
  ASSERT_NE(text.find(now), std::string::npos);
  text.replace(text.find(now), now.size(), "1 credit is a standard 1024 px image");
  auto c = config::parse_config(text, "old-default.toml");
  ASSERT_TRUE(c.has_value()) << c.error().to_string();
  const Item item = lint_config(c->price_book.get(), *c->catalog).items[1];
  EXPECT_EQ(item.outcome, Outcome::warn);
  EXPECT_EQ(item.why,
            "tool image: the description says 1 credit, but the job with the default options "
            "costs 2");
}

TEST(Lint, AFileWithoutPacksOrBookWarnsAndFails) {
  auto c = config::parse_config("[ledger]\nrefund_grace = \"P7D\"\n", "empty.toml");
  ASSERT_TRUE(c.has_value()) << c.error().to_string();
  const Report r = lint_config(c->price_book.get(), *c->catalog);
  check("empty.toml", r,
        {{"credit_ratio", {Outcome::warn, ":0", "no [[packs]]"}},
         {"tool_costs", {Outcome::fail, ":0", "no [price_book]"}},
         {"volume_tiers", {Outcome::warn, ":0", "no packs"}}});
}

TEST(Lint, TextAndJsonSayTheSame) {
  const Report r = lint_file(source("tests/lint/unfair.toml"));
  const std::string text = render_text(r, "unfair.toml");
  const std::string json = render_json(r);
  EXPECT_EQ(text.substr(0, text.find('\n')), "unfair.toml: fail (5 fail, 2 warn, 0 pass)");
  for (const Item& i : r.items) {
    EXPECT_NE(text.find(i.why), std::string::npos) << i.id;
    EXPECT_NE(json.find("\"id\":\"" + i.id + "\""), std::string::npos) << json;
  }
  EXPECT_NE(json.find(R"("outcome":"fail")"), std::string::npos) << json;
}

}  // namespace
}  // namespace tally::lint
