// Rule 7 across the two pure cores: a hold records the price book version it was quoted with,
// and its capture is priced with that version even after a new one takes effect. The service
// will do exactly this (price, then hand the ledger an amount).
#include <gtest/gtest.h>

#include <cstdlib>

#include "config/toml_reader.h"
#include "ledger/ledger.h"
#include "ledger/test_support.h"
#include "pricing/loader.h"
#include "pricing/versions.h"

namespace tally {
namespace {

using testing::at;
using testing::cr;

std::shared_ptr<const pricing::PriceBook> modelpix_book(bool dearer) {
  const char* root = std::getenv("TALLY_SOURCE_DIR");
  auto text =
      config::read_config_text(std::string(root ? root : ".") + "/config/examples/modelpix.toml");
  EXPECT_TRUE(text.has_value());
  std::string t = *text;
  if (dearer) {  // version 2: 720p video goes from 7 to 9 credits a second
    auto replace = [&t](const std::string& from, const std::string& to) {
      const size_t i = t.find(from);
      ASSERT_NE(i, std::string::npos) << from;
      t.replace(i, from.size(), to);
    };
    replace("version = \"modelpix-2026-11-01\"", "version = \"modelpix-2026-12-01\"");
    replace("effective_at = 2026-11-01T00:00:00Z", "effective_at = 2026-12-01T00:00:00Z");
    replace("{ id = \"720p\", price = 7 }", "{ id = \"720p\", price = 9 }");
  }
  auto book = pricing::parse_price_book(t, "modelpix.toml");
  EXPECT_TRUE(book.has_value()) << (book ? "" : book.error().to_string());
  return book ? *book : nullptr;
}

TEST(Rule7QuotesBeforeUse, CaptureIsPricedWithTheHoldsVersionAfterANewOneTakesEffect) {
  pricing::PriceVersions versions;
  ASSERT_TRUE(versions.add(modelpix_book(false)).has_value());
  Ledger ledger{LedgerConfig{}};
  std::vector<Entry> out;
  TimeUs now = at("2026-11-30T23:50:00Z");
  ASSERT_TRUE(ledger.apply({"open", OpenAccount{"u"}}, now, &out).has_value());
  ASSERT_TRUE(
      ledger
          .apply({"g", Grant{.account = "u", .source = Source::purchase, .amount = cr("1000")}},
                 now, &out)
          .has_value());

  // A 720p video of at most 10 seconds, held at the price in force: 7 a second.
  const pricing::ParamValue max_usage[] = {{"resolution", "720p"}, {"seconds", "10"}};
  auto quote = versions.quote_at(now, "video", max_usage);
  ASSERT_TRUE(quote.has_value());
  EXPECT_EQ(quote->quote.total, cr("70"));
  auto hold = ledger.apply({"h", PlaceHold{"u", quote->quote.total, "video", 60 * k_us_per_minute,
                                           quote->book->version}},
                           now, &out);
  ASSERT_TRUE(hold.has_value());
  const HoldId id = std::get<HoldReply>(*hold).hold;

  // Version 2 takes effect while the job runs.
  ASSERT_TRUE(versions.add(modelpix_book(true)).has_value());
  now = at("2026-12-01T00:05:00Z");
  EXPECT_EQ(versions.quote_at(now, "video", max_usage)->quote.total, cr("90"));

  // The job produced 6 seconds: priced with the hold's version, 6 x 7.
  const std::string version = ledger.find_hold(id)->price_book_version;
  EXPECT_EQ(version, "modelpix-2026-11-01");
  const pricing::ParamValue too_long[] = {{"resolution", "720p"}, {"seconds", "11"}};
  auto refused = versions.price_capture(version, cr("70"), "video", too_long);
  ASSERT_FALSE(refused.has_value());
  EXPECT_EQ(refused.error().code, pricing::PricingErrorCode::capture_exceeds_hold);
  const pricing::ParamValue actual[] = {{"resolution", "720p"}, {"seconds", "6"}};
  auto priced = versions.price_capture(version, cr("70"), "video", actual);
  ASSERT_TRUE(priced.has_value());
  EXPECT_EQ(priced->quote.total, cr("42"));
  auto captured = ledger.apply({"c", Capture{id, priced->quote.total}}, now, &out);
  ASSERT_TRUE(captured.has_value());
  EXPECT_EQ(std::get<CaptureReply>(*captured).captured, cr("42"));
  EXPECT_EQ(std::get<CaptureReply>(*captured).released, cr("28"));
  EXPECT_EQ(ledger.balance(*ledger.find_account("u"), now).available, cr("958"));
  EXPECT_EQ(ledger.find_spend(std::get<CaptureReply>(*captured).spend)->price_book_version,
            "modelpix-2026-11-01");
}

}  // namespace
}  // namespace tally
