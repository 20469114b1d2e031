#include "config/config.h"

#include <gtest/gtest.h>

#include <cstdlib>

#include "ledger/text.h"

namespace tally::config {
namespace {

std::string example(const char* name) {
  const char* root = std::getenv("TALLY_SOURCE_DIR");
  return cat(root ? root : ".", "/config/", name);
}

Credits cr(const char* s) {
  return *parse_credits(s);
}

// "p20 20 USD 9.99 USD 0.4995": id, credits, price, price per credit.
std::string cat_text(const char* id, const Pack* p) {
  const Money price = *p->price_for("USD", "");
  return cat(id, " ", format_credits(p->credits), " ", format_money(price), " ",
             format_price_per_credit(price, p->credits));
}

TEST(Config, EveryShippedConfigurationLoads) {
  for (const char* name : {"examples/miocai.toml", "examples/modelpix.toml", "examples/amisi.toml",
                           "examples/pixai.toml", "examples/fair-guide.toml", "default.toml"}) {
    auto c = load_config(example(name));
    ASSERT_TRUE(c.has_value()) << c.error().to_string();
    EXPECT_NE(c->price_book, nullptr) << name;
  }
}

TEST(Config, AmisiCatalogMatchesTheSeed) {
  auto c = load_config(example("examples/amisi.toml"));
  ASSERT_TRUE(c.has_value()) << c.error().to_string();
  const Catalog& cat = *c->catalog;
  EXPECT_EQ(cat.default_plan, "free");
  EXPECT_EQ(cat.find_plan("free")->signup_grant, cr("5"));
  EXPECT_TRUE(cat.find_plan("free")->signup_validity.kind == Validity::Kind::never);
  struct Row {
    const char* plan;
    const char* allocation;
    const char* cap;
  };
  for (const Row& row :
       {Row{"basic", "20", "40"}, Row{"pro", "50", "100"}, Row{"business", "150", "300"}}) {
    const Plan* p = cat.find_plan(row.plan);
    ASSERT_NE(p, nullptr) << row.plan;
    EXPECT_EQ(p->allocation, cr(row.allocation)) << row.plan;
    EXPECT_EQ(p->rollover_cap, cr(row.cap)) << row.plan;
    EXPECT_EQ(p->period, Period::monthly);
  }
  EXPECT_TRUE(cat.find_plan("enterprise")->custom_allocation);
  std::vector<std::string> prices;
  for (const char* id : {"p20", "p50", "p100", "p200"}) {
    const Pack* p = cat.find_pack(id);
    ASSERT_NE(p, nullptr) << id;
    prices.push_back(cat_text(id, p));
  }
  EXPECT_EQ(prices, (std::vector<std::string>{
                        "p20 20 USD 9.99 USD 0.4995", "p50 50 USD 19.99 USD 0.3998",
                        "p100 100 USD 34.99 USD 0.3499", "p200 200 USD 59.99 USD 0.29995"}));
}

TEST(Config, MiocaiCatalogMatchesTheSeed) {
  auto c = load_config(example("examples/miocai.toml"));
  ASSERT_TRUE(c.has_value()) << c.error().to_string();
  for (auto [id, credits] : {std::pair{"free", "5"}, {"premium", "40"}, {"elite", "100"}}) {
    const Plan* p = c->catalog->find_plan(id);
    ASSERT_NE(p, nullptr);
    EXPECT_EQ(p->allocation, cr(credits));
    EXPECT_EQ(p->period, Period::weekly);
    EXPECT_TRUE(p->rollover_cap.is_zero());  // the cycle resets
  }
  EXPECT_EQ(c->ledger.default_validity[static_cast<size_t>(Source::admin)], Validity::months(1));
  EXPECT_EQ(c->ledger.default_validity[static_cast<size_t>(Source::purchase)],
            Validity::months(12));
  // Every pack and region costs $0.05 to $0.10 a credit.
  for (const Pack& p : c->catalog->packs) {
    for (const PackPrice& price : p.prices) {
      const __int128 per_credit_micro_cents = static_cast<__int128>(price.price.minor) * 1'000'000 *
                                              k_micro_per_credit / p.credits.micro;
      EXPECT_GE(per_credit_micro_cents, 5 * 1'000'000) << p.id << " " << price.region;
      EXPECT_LE(per_credit_micro_cents, 10 * 1'000'000) << p.id << " " << price.region;
    }
  }
}

TEST(Config, ModelpixPurchasedCreditsNeverExpire) {
  auto c = load_config(example("examples/modelpix.toml"));
  ASSERT_TRUE(c.has_value()) << c.error().to_string();
  for (const Pack& p : c->catalog->packs) EXPECT_EQ(p.validity, Validity::never()) << p.id;
  EXPECT_TRUE(c->catalog->find_plan("free")->signup_grant.is_positive());
  EXPECT_TRUE(c->catalog->find_plan("free")->daily_reward.has_value());
}

TEST(Config, LedgerPolicyIsConfiguration) {
  auto c = parse_config(R"(
[ledger]
consumption_order = "priority_first"
source_priority = ["purchase", "reward", "promo", "admin", "refund", "signup", "rollover",
                   "subscription"]
refund_grace = "P3D"
hold_ttl_default = "PT5M"
hold_ttl_max = "PT2H"

[ledger.validity]
admin = "P14D"
purchase = "never"

[ledger.limits]
lots_per_account = 64
)",
                        "policy.toml");
  ASSERT_TRUE(c.has_value()) << c.error().to_string();
  EXPECT_EQ(c->ledger.policy, ConsumptionPolicy::priority_first);
  EXPECT_EQ(c->ledger.source_priority[static_cast<size_t>(Source::purchase)], 0);
  EXPECT_EQ(c->ledger.refund_grace_us, 3 * k_us_per_day);
  EXPECT_EQ(c->ledger.hold_ttl_default_us, 5 * k_us_per_minute);
  EXPECT_EQ(c->ledger.hold_ttl_max_us, 2 * k_us_per_hour);
  EXPECT_EQ(c->ledger.default_validity[static_cast<size_t>(Source::admin)],
            Validity::duration_us(14 * k_us_per_day));
  EXPECT_EQ(c->ledger.lots_per_account_max, 64u);
  EXPECT_EQ(c->price_book, nullptr);
}

TEST(Config, BrokenConfigurationsSayWhereAndWhy) {
  struct Case {
    const char* text;
    const char* where;  // "line:column"
    const char* says;
  } cases[] = {
      {"[pricebook]\n", "1:2", "unknown key \"pricebook\""},
      {"[[plans]]\nid = \"a\"\nperiod = \"daily\"\n", "3:10", "weekly, monthly or yearly"},
      {"[[plans]]\nid = \"a\"\nalocation = 5\n", "3:1", "unknown key \"alocation\""},
      {"[[plans]]\nid = \"a\"\n[[plans]]\nid = \"a\"\n", "3:1", "appears twice"},
      {"[[plans]]\nid = \"a\"\nallocation = 1.5\n", "3:14", "inexact"},
      {"[[plans]]\nid = \"a\"\ndefault = true\n[[plans]]\nid = \"b\"\ndefault = true\n", "6:11",
       "both the default"},
      {"[[packs]]\nid = \"p\"\ncredits = 10\nprices = { usd = 100 }\n", "4:12", "ISO 4217"},
      {"[[packs]]\nid = \"p\"\ncredits = 10\n", "1:1", "needs a key \"prices\""},
      {"[[packs]]\nid = \"p\"\ncredits = 10\nprices = { USD = 100 }\nvalidity = \"P1M2D\"\n",
       "5:12", "ISO 8601"},
      {"[[packs]]\nid = \"p\"\ncredits = 10\nprices = { USD = 100 }\n"
       "payment_surcharges = { paypal = 101 }\n",
       "5:33", "from 0 to 100"},
      {"[[packs]]\nid = \"p\"\ncredits = 10\nprices = { USD = 100 }\n"
       "payment_surcharges = { \"pay pal\" = 5 }\n",
       "5:24", "payment method"},
      {"[ledger]\nsource_priority = [\"reward\"]\n", "2:19", "all 8 sources"},
      {"[ledger]\nconsumption_order = \"fifo\"\n", "2:21", "expiry_first or priority_first"},
      {"[ledger]\nhold_ttl_default = \"P1M\"\n", "2:20", "fixed duration"},
      {"[ledger]\nhold_ttl_max = \"PT25H\"\n", "2:16", "too long"},
      {"[ledger.validity]\nadmin = \"P999999999D\"\n", "2:9", "ISO 8601"},
      {"[ledger.validity]\nrefund = \"P1D\"\n", "2:1", "refund_grace"},
      {"[[seasons]]\nid = \"s\"\nfrom = 2026-01-02T00:00:00Z\nto = 2026-01-01T00:00:00Z\n"
       "amount = 1\n",
       "4:6", "after from"},
      {"[[plans]]\nid = \"a\"\n[price_book]\nname = \"x\"\nversion = \"v\"\n"
       "effective_at = 2026-01-01T00:00:00Z\n[price_book.tools.chat]\n"
       "[[price_book.tools.chat.params]]\nid = \"model\"\nkind = \"choice\"\n"
       "options = [{ id = \"std\", price = 1, included_in = [\"gold\"] }]\n",
       "3:1", "plan \"gold\""},
      {"x = [\n", "", "parse"},
  };
  for (const Case& c : cases) {
    auto r = parse_config(c.text, "broken.toml");
    ASSERT_FALSE(r.has_value()) << c.text;
    const std::string message = r.error().to_string();
    if (*c.where != '\0') {
      EXPECT_NE(message.find(cat("broken.toml:", c.where, ":")), std::string::npos)
          << message << "\n--- for ---\n"
          << c.text;
    }
    if (std::string_view(c.says) != "parse") {
      EXPECT_NE(message.find(c.says), std::string::npos) << message;
    }
  }
}

// Found by fuzz/config_fuzz: a pack whose price per credit does not fit the int64 the price
// listings format it in loaded, and GET /v1/packs then stopped the server on an assertion.
TEST(Config, PackPricesPerCreditAreBounded) {
  auto r = parse_config(
      "[[packs]]\nid = \"p\"\ncredits = \"0.000001\"\nprices = { JPY = 1125899906842624 }\n",
      "broken.toml");
  ASSERT_FALSE(r.has_value());
  EXPECT_NE(r.error().to_string().find("broken.toml:1:1:"), std::string::npos)
      << r.error().to_string();
  EXPECT_NE(r.error().detail.find("too much per credit"), std::string::npos) << r.error().detail;
  // A trillion yen per credit is still a price.
  auto ok = parse_config(
      "[[packs]]\nid = \"p\"\ncredits = 1\nprices = { JPY = 1000000000000, KWD = 5 }\n",
      "fine.toml");
  ASSERT_TRUE(ok.has_value()) << ok.error().to_string();
  const Pack& pack = ok->catalog->packs[0];
  EXPECT_EQ(format_price_per_credit(pack.prices[0].price, pack.credits), "JPY 1000000000000");
}

// A payment surcharge (docs/catalog.md) is disclosed data: read in file order, per method.
TEST(Config, PaymentSurchargesAreReadPerMethod) {
  auto c = parse_config(
      "[[packs]]\nid = \"p\"\ncredits = 10\nprices = { USD = 100 }\n"
      "payment_surcharges = { paypal = 5, card = 0 }\n",
      "s.toml");
  ASSERT_TRUE(c.has_value()) << c.error().to_string();
  const auto& s = c->catalog->packs[0].payment_surcharges;
  ASSERT_EQ(s.size(), 2u);
  EXPECT_EQ(s[0].method, "paypal");
  EXPECT_EQ(s[0].percent, 5);
  EXPECT_EQ(s[1].method, "card");
  EXPECT_EQ(s[1].percent, 0);
}

TEST(Config, WebhookDeliveryIsConfiguration) {
  auto none = parse_config("", "t.toml");
  ASSERT_TRUE(none) << none.error().to_string();
  EXPECT_EQ(none->webhooks.timeout_us, 10 * k_us_per_second);
  EXPECT_EQ(none->webhooks.retry_first_us, 5 * k_us_per_second);
  EXPECT_EQ(none->webhooks.retry_max_us, k_us_per_hour);
  EXPECT_EQ(none->webhooks.give_up_after_us, 3 * k_us_per_day);
  auto set = parse_config(
      "[webhooks]\ntimeout = \"PT2S\"\nretry_first = \"PT1S\"\nretry_max = \"PT30S\"\n"
      "give_up_after = \"PT3M\"\nca_file = \"/etc/ca.pem\"\n",
      "t.toml");
  ASSERT_TRUE(set) << set.error().to_string();
  EXPECT_EQ(set->webhooks.timeout_us, 2 * k_us_per_second);
  EXPECT_EQ(set->webhooks.retry_first_us, k_us_per_second);
  EXPECT_EQ(set->webhooks.retry_max_us, 30 * k_us_per_second);
  EXPECT_EQ(set->webhooks.give_up_after_us, 3 * k_us_per_minute);
  EXPECT_EQ(set->webhooks.ca_file, "/etc/ca.pem");
  for (const char* bad : {"[webhooks]\ntimeout = \"P1M\"\n", "[webhooks]\ntimeout = \"PT0S\"\n",
                          "[webhooks]\ntimeout = \"PT11M\"\n", "[webhooks]\nretries = 3\n",
                          "[webhooks]\nretry_first = \"PT2H\"\nretry_max = \"PT1H\"\n"}) {
    EXPECT_FALSE(parse_config(bad, "t.toml")) << bad;
  }
}

TEST(Config, MissingFileIsAnIoError) {
  auto r = load_config("/nonexistent/tally.toml");
  ASSERT_FALSE(r.has_value());
  EXPECT_TRUE(r.error().io_error);
}

TEST(Validity, Iso8601DurationsAndNever) {
  EXPECT_EQ(parse_validity("never"), Validity::never());
  EXPECT_EQ(parse_validity("P1M"), Validity::months(1));
  EXPECT_EQ(parse_validity("P1Y6M"), Validity::months(18));
  EXPECT_EQ(parse_validity("P7D"), Validity::duration_us(7 * k_us_per_day));
  EXPECT_EQ(parse_validity("P1W"), Validity::duration_us(7 * k_us_per_day));
  EXPECT_EQ(parse_validity("PT15M"), Validity::duration_us(15 * k_us_per_minute));
  EXPECT_EQ(parse_validity("P1DT12H"), Validity::duration_us(36 * k_us_per_hour));
  EXPECT_EQ(parse_validity("PT0.5S"), Validity::duration_us(500'000));
  for (const char* bad : {"", "P", "PT", "1M", "P1", "P1M2D", "P0D", "PT1.5M", "P1.5D", "P-1D",
                          "P1DT", "PTM", "P99999999999D", "P101Y", "never ", "p1m", "P999999999D",
                          "PT999999999H", "P999999999W", "P36601D"}) {
    EXPECT_FALSE(parse_validity(bad).has_value()) << bad;
  }
  for (const char* text : {"never", "P12M", "PT900S", "PT0.5S"}) {
    EXPECT_EQ(format_validity(*parse_validity(text)), text);
  }
}

// Found by fuzz/parse_fuzz: durations of more than 10^9 seconds (~32 years, up to the allowed
// 100) formatted as "PT2620512000S", which had too many digits to be read back.
TEST(Validity, LongDurationsFormatBackToTextThatParses) {
  for (const char* text : {"P30330D", "P36600D", "PT3162240000S", "PT3162239999.5S"}) {
    auto v = parse_validity(text);
    ASSERT_TRUE(v.has_value()) << text;
    EXPECT_EQ(parse_validity(format_validity(*v)), v) << text;
  }
  EXPECT_EQ(format_validity(*parse_validity("P30330D")), "PT2620512000S");
  EXPECT_FALSE(parse_validity("PT3162240001S").has_value());  // past 100 years
}

TEST(ConfigLog, DefaultsWithoutTheSection) {
  auto c = parse_config("", "t.toml");
  ASSERT_TRUE(c.has_value()) << c.error().to_string();
  EXPECT_EQ(c->log.log.file, "");
  EXPECT_EQ(c->log.log.level, log::Level::info);
  EXPECT_TRUE(c->log.log.access);
  EXPECT_EQ(c->log.commit_stall_us, 100'000);
}

TEST(ConfigLog, ReadsEveryKey) {
  auto c = parse_config(
      "[log]\nfile = \"/var/log/tally.log\"\nlevel = \"warn\"\naccess = false\n"
      "commit_stall = \"PT0.25S\"\n",
      "t.toml");
  ASSERT_TRUE(c.has_value()) << c.error().to_string();
  EXPECT_EQ(c->log.log.file, "/var/log/tally.log");
  EXPECT_EQ(c->log.log.level, log::Level::warn);
  EXPECT_FALSE(c->log.log.access);
  EXPECT_EQ(c->log.commit_stall_us, 250'000);
}

TEST(ConfigLog, RefusesWhatItDoesNotKnow) {
  struct Row {
    const char* text;
    const char* message;
  };
  for (const Row& row : {
           Row{"[log]\nlevel = \"loud\"\n", "log.level must be debug, info, warn or error"},
           Row{"[log]\nfile = \"\"\n", "log.file must be a path"},
           Row{"[log]\naccess = \"yes\"\n", "log.access"},
           Row{"[log]\ncommit_stall = \"P1M\"\n", "log.commit_stall must be a fixed duration"},
           Row{"[log]\ncommit_stall = \"P1D\"\n", "log.commit_stall is too long"},
           Row{"[log]\nrotate = true\n", "rotate"},
           Row{"log = 1\n", "log"},
       }) {
    auto c = parse_config(row.text, "t.toml");
    ASSERT_FALSE(c.has_value()) << row.text;
    EXPECT_NE(c.error().to_string().find(row.message), std::string::npos)
        << row.text << " -> " << c.error().to_string();
    EXPECT_TRUE(c.error().to_string().starts_with("t.toml:")) << c.error().to_string();
  }
}

TEST(ConfigTokens, OffWithoutTheSectionAndReadsEveryKey) {
  auto none = parse_config("", "t.toml");
  ASSERT_TRUE(none.has_value()) << none.error().to_string();
  EXPECT_EQ(none->tokens, TokensConfig{});
  EXPECT_FALSE(none->tokens.edit_alerts);
  const std::string packs = "[[packs]]\nid = \"small\"\ncredits = 100\nprices = { USD = 999 }\n";
  auto c = parse_config(packs +
                            "[tokens]\nedit_alerts = true\nedit_auto_topup = true\n"
                            "auto_topup_packs = [\"small\"]\nauto_topup_below_max = \"50.5\"\n",
                        "t.toml");
  ASSERT_TRUE(c.has_value()) << c.error().to_string();
  EXPECT_TRUE(c->tokens.edit_alerts);
  EXPECT_TRUE(c->tokens.edit_auto_topup);
  EXPECT_EQ(c->tokens.auto_topup_packs, std::vector<std::string>{"small"});
  ASSERT_TRUE(c->tokens.auto_topup_below_max.has_value());
  EXPECT_EQ(c->tokens.auto_topup_below_max->micro, 50'500'000);
}

TEST(ConfigTokens, RefusesWhatItDoesNotKnow) {
  struct Row {
    const char* text;
    const char* message;
  };
  for (const Row& row : {
           Row{"[tokens]\nedit_alerts = \"yes\"\n", "tokens.edit_alerts"},
           Row{"[tokens]\nauto_topup_packs = [\"nope\"]\n",
               "tokens.auto_topup_packs[0]: no pack \"nope\""},
           Row{"[tokens]\nauto_topup_packs = []\n", "tokens.auto_topup_packs is empty"},
           Row{"[tokens]\nauto_topup_below_max = 0\n", "must be more than zero"},
           Row{"[tokens]\nedit_grants = true\n", "edit_grants"},
       }) {
    auto c = parse_config(row.text, "t.toml");
    ASSERT_FALSE(c.has_value()) << row.text;
    EXPECT_NE(c.error().to_string().find(row.message), std::string::npos)
        << row.text << " -> " << c.error().to_string();
  }
}

TEST(ConfigStore, ReadsAPostgresUrlAndSchemaAndRefusesTheRest) {
  auto none = parse_config("", "t.toml");
  ASSERT_TRUE(none.has_value());
  EXPECT_TRUE(none->store.url.empty());  // SQLite in the data directory
  auto pg = parse_config(
      "[store]\nurl = \"postgresql://tally@db.internal:5432/ledger\"\nschema = \"tally_eu\"\n",
      "t.toml");
  ASSERT_TRUE(pg.has_value()) << pg.error().to_string();
  EXPECT_EQ(pg->store.url, "postgresql://tally@db.internal:5432/ledger");
  EXPECT_EQ(pg->store.schema, "tally_eu");
  EXPECT_EQ(pg->store.lease_us, 5'000'000);  // the default lease
  EXPECT_TRUE(pg->store.node_id.empty());    // HOSTNAME:DATA_DIR
  auto leased = parse_config(
      "[store]\nurl = \"postgresql://h/d\"\nlease = \"PT1.5S\"\nnode_id = \"eu-1:a\"\n", "t.toml");
  ASSERT_TRUE(leased.has_value()) << leased.error().to_string();
  EXPECT_EQ(leased->store.lease_us, 1'500'000);
  EXPECT_EQ(leased->store.node_id, "eu-1:a");
  struct Row {
    const char* text;
    const char* message;
  };
  for (const Row& row : {
           Row{"[store]\nurl = \"sqlite:///x\"\n", "store.url must be a PostgreSQL URL"},
           Row{"[store]\nurl = \"postgres://h/d\"\nschema = \"Bad-Name\"\n",
               "store.schema must be 1-63 of a-z 0-9 _"},
           Row{"[store]\nschema = \"s\"\n", "store.schema needs store.url"},
           Row{"[store]\nlease = \"PT0.1S\"\n", "store.lease must be from PT0.5S to PT5M"},
           Row{"[store]\nlease = \"PT6M\"\n", "store.lease must be from PT0.5S to PT5M"},
           Row{"[store]\nnode_id = \"a b\"\n", "store.node_id must be 1-128 of"},
           Row{"[store]\nhost = \"db\"\n", "host"},
       }) {
    auto c = parse_config(row.text, "t.toml");
    ASSERT_FALSE(c.has_value()) << row.text;
    EXPECT_NE(c.error().to_string().find(row.message), std::string::npos)
        << row.text << " -> " << c.error().to_string();
  }
}

TEST(ConfigSections, ChangedSectionsCompareValuesNotText) {
  const std::string a =
      "[price_book]\nversion = \"a\"\n[[plans]]\nid = \"p\"\n[ledger]\nrefund_grace = \"P7D\"\n";
  // Comments, spacing and key order do not count; values do.
  EXPECT_TRUE(changed_sections(a, "# c\n[price_book]\nversion   = \"a\"\n[[plans]]\nid = \"p\"\n"
                                  "[ledger]\nrefund_grace = \"P7D\"\n")
                  .empty());
  EXPECT_EQ(changed_sections(a, "[price_book]\nversion = \"b\"\n[[plans]]\nid = \"p\"\n[ledger]\n"
                                "refund_grace = \"P9D\"\n[log]\nlevel = \"warn\"\n"),
            (std::vector<std::string>{"price_book", "ledger", "log"}));
  EXPECT_EQ(changed_sections(a, "[price_book]\nversion = \"a\"\n[ledger]\nrefund_grace = \"P7D\"\n"),
            (std::vector<std::string>{"plans"}));
}

}  // namespace
}  // namespace tally::config
