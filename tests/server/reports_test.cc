// Reports over HTTP (issue 19, docs/reports.md): the finance report of a period, in JSON and
// CSV, over purchases in two currencies, their consumption and expiry, with the paid lots long
// gone from the ledger's memory (their cost basis then comes from the store); an account's
// forecast and advice.
#include <string>

#include "tests/server/api_suite.h"

namespace tally::testing {
namespace {

using ReportsApi = Api;

std::string str(const rapidjson::Value& v) {
  return v.IsString() ? v.GetString() : "(not text)";
}

TEST_F(ReportsApi, FinanceFollowsPaidCreditsToTheCentAndFreeCreditsBySource) {
  // 2027-01-04: no plan, so the only credits are bought or granted here.
  ASSERT_EQ(admin("POST", "/v1/accounts", R"({"id":"fin-a","plan":null})", "fin-open").status, 201);
  auto usd = admin("POST", "/v1/purchases",
                   R"({"account":"fin-a","pack":"small","currency":"USD","payment_ref":"fin-1"})");
  ASSERT_EQ(usd.status, 201) << usd.body;  // 100 credits for USD 9.99, a year
  ASSERT_EQ(admin("POST", "/v1/spends", R"({"account":"fin-a","amount":"40"})", "fin-s1").status,
            201);  // floor(999 * 40 / 100) = 399
  set_clock("2027-01-10T00:00:00Z");
  auto eur = admin("POST", "/v1/purchases",
                   R"({"account":"fin-a","pack":"small","currency":"EUR","payment_ref":"fin-2"})");
  ASSERT_EQ(eur.status, 201) << eur.body;  // 100 credits for EUR 8.99, a year
  auto grant = admin("POST", "/v1/accounts/fin-a/grants",
                     R"({"amount":"10","reason":"goodwill","source":"promo"})", "fin-g1");
  ASSERT_EQ(grant.status, 201) << grant.body;
  set_clock("2027-02-01T00:00:00Z");

  auto january = admin("GET",
                       "/v1/reports/finance?from=2027-01-01T00:00:00Z&to=2027-02-01T00:00:00Z"
                       "&currency=USD");
  ASSERT_EQ(january.status, 200) << january.body;
  auto j = january.json();
  EXPECT_EQ(str(j["paid"]["received"]), "9.99");
  EXPECT_EQ(j["paid"]["received_minor"].GetInt64(), 999);
  EXPECT_EQ(str(j["paid"]["received_credits"]), "100");
  EXPECT_EQ(str(j["paid"]["recognized"]), "3.99");
  EXPECT_EQ(str(j["paid"]["deferred_closing"]), "6.00");
  EXPECT_EQ(str(j["paid"]["deferred_opening"]), "0.00");
  EXPECT_EQ(j["paid_lots"].GetUint64(), 1u);
  ASSERT_EQ(j["other_currencies"].Size(), 1u) << january.body;
  EXPECT_EQ(str(j["other_currencies"][0]), "EUR");
  ASSERT_EQ(j["free"].Size(), 1u) << january.body;
  EXPECT_EQ(str(j["free"][0]["source"]), "promo");
  EXPECT_EQ(str(j["free"][0]["issued"]), "10");

  auto csv = admin("GET",
                   "/v1/reports/finance?from=2027-01-01T00:00:00Z&to=2027-02-01T00:00:00Z"
                   "&currency=USD&format=csv");
  ASSERT_EQ(csv.status, 200) << csv.body;
  EXPECT_EQ(csv.body.substr(0, csv.body.find('\n')), "figure,source,credits,money,currency");
  EXPECT_NE(csv.body.find("\nreceived,paid,100,9.99,USD\n"), std::string::npos) << csv.body;
  EXPECT_NE(csv.body.find("\nissued,promo,10,,\n"), std::string::npos) << csv.body;

  // After the promo credits expired (a month), the 60 left of the USD pack (it expires before
  // the EUR one), then past the EUR pack's expiry and the purchases' retention: both lots are
  // gone from the ledger's memory.
  set_clock("2027-02-15T00:00:00Z");
  ASSERT_EQ(admin("POST", "/v1/spends", R"({"account":"fin-a","amount":"60"})", "fin-s2").status,
            201);
  set_clock("2028-03-01T00:00:00Z");
  auto later = admin("GET",
                     "/v1/reports/finance?from=2027-02-01T00:00:00Z&to=2028-04-01T00:00:00Z"
                     "&currency=USD");
  ASSERT_EQ(later.status, 200) << later.body;
  auto l = later.json();
  EXPECT_EQ(str(l["paid"]["deferred_opening"]), "6.00");
  EXPECT_EQ(str(l["paid"]["recognized"]), "6.00");
  EXPECT_EQ(str(l["paid"]["deferred_closing"]), "0.00");
  auto euros = admin("GET",
                     "/v1/reports/finance?from=2027-01-01T00:00:00Z&to=2028-04-01T00:00:00Z"
                     "&currency=EUR");
  ASSERT_EQ(euros.status, 200) << euros.body;
  auto e = euros.json();
  EXPECT_EQ(str(e["paid"]["received"]), "8.99");
  EXPECT_EQ(str(e["paid"]["breakage"]), "8.99");  // never spent, expired 2028-01-10
  EXPECT_EQ(str(e["paid"]["deferred_closing"]), "0.00");
  // The promo grant expired after its default month: free, not breakage of money.
  ASSERT_EQ(e["free"].Size(), 1u) << euros.body;
  EXPECT_EQ(str(e["free"][0]["expired"]), "10");
}

// The accounts that used most over a period: captures and spends less refunds, most first, ties
// by id, none that used nothing; a hold counts once captured, a release not at all.
TEST_F(ReportsApi, TopAccountsAreThoseThatUsedMostInThePeriod) {
  set_clock("2029-01-01T00:00:00Z");  // after the finance test's activity (it runs first)
  for (const char* id : {"top-a", "top-b", "top-c", "top-d"}) {
    const std::string account = id;
    ASSERT_EQ(admin("POST", "/v1/accounts", R"({"id":")" + account + R"(","plan":null})",
                    "top-open-" + account)
                  .status,
              201);
    ASSERT_EQ(admin("POST", "/v1/accounts/" + account + "/grants",
                    R"({"amount":"100","reason":"test","never_expires":true})", "top-g-" + account)
                  .status,
              201);
  }
  auto spend = [&](const std::string& id, const std::string& amount, const std::string& key) {
    auto r =
        admin("POST", "/v1/spends",
              R"({"account":")" + id + R"(","amount":")" + amount + R"(","tool":"chat"})", key);
    EXPECT_EQ(r.status, 201) << r.body;
    return r.json()["id"].IsString() ? std::string(r.json()["id"].GetString()) : std::string();
  };
  const std::string a1 = spend("top-a", "30", "top-s1");  // a: 30 - 25 refunded = 5
  ASSERT_EQ(
      admin("POST", "/v1/spends/" + a1 + "/refunds", R"({"amount":"25","reason":"r"})", "top-r1")
          .status,
      200);
  spend("top-b", "12", "top-s2");  // b: 12 + 8 captured of a 20 hold = 20
  auto hold =
      admin("POST", "/v1/holds", R"({"account":"top-b","amount":"20","tool":"video"})", "top-h1");
  ASSERT_EQ(hold.status, 201) << hold.body;
  ASSERT_EQ(admin("POST", "/v1/holds/" + str(hold.json()["id"]) + "/capture", R"({"amount":"8"})",
                  "top-c1")
                .status,
            200);
  spend("top-c", "20", "top-s3");  // c: 20, as b: after b by id
  auto released = admin("POST", "/v1/holds", R"({"account":"top-d","amount":"50"})", "top-h2");
  ASSERT_EQ(released.status, 201);  // d: a released hold uses nothing
  ASSERT_EQ(
      admin("POST", "/v1/holds/" + str(released.json()["id"]) + "/release", "{}", "top-rel").status,
      200);
  auto top =
      admin("GET", "/v1/reports/top-accounts?from=2029-01-01T00:00:00Z&to=2029-02-01T00:00:00Z");
  ASSERT_EQ(top.status, 200) << top.body;
  std::vector<std::string> got;
  const auto ranked = top.json();
  for (const auto& u : ranked["accounts"].GetArray()) {
    got.push_back(str(u["account"]) + " " + str(u["used"]));
  }
  EXPECT_EQ(got, (std::vector<std::string>{"top-b 20", "top-c 20", "top-a 5"})) << top.body;
  auto two = admin("GET",
                   "/v1/reports/top-accounts?from=2029-01-01T00:00:00Z&to=2029-02-01T00:00:00Z"
                   "&limit=2");
  EXPECT_EQ(two.json()["accounts"].Size(), 2u);
  auto before =
      admin("GET", "/v1/reports/top-accounts?from=2028-12-01T00:00:00Z&to=2029-01-01T00:00:00Z");
  const auto earlier = before.json();
  for (const auto& u : earlier["accounts"].GetArray()) {
    EXPECT_FALSE(str(u["account"]).starts_with("top-")) << before.body;  // none before the period
  }
}

using ForecastApi = Api;

// 14 credits spent in the last 7 days (2 a day) over 16 credits expiring in 12 days and 100
// that never expire; at the 30-day rate (0.466666 a day) 10.400008 of the 16 expire unused.
TEST_F(ForecastApi, BurnRatesRunOutAndSayWhatExpiresUnused) {
  ASSERT_EQ(admin("POST", "/v1/accounts", R"({"id":"fc-a","plan":null})", "fc-open").status, 201);
  ASSERT_EQ(admin("POST", "/v1/accounts/fc-a/grants",
                  R"({"amount":"100","reason":"t","never_expires":true})", "fc-g1")
                .status,
            201);
  ASSERT_EQ(admin("POST", "/v1/accounts/fc-a/grants",
                  R"({"amount":"30","reason":"t","expires_at":"2027-01-20T10:00:00Z"})", "fc-g2")
                .status,
            201);
  ASSERT_EQ(admin("POST", "/v1/spends", R"({"account":"fc-a","amount":"14"})", "fc-s1").status,
            201);
  set_clock("2027-01-08T10:00:00Z");
  auto r = admin("GET", "/v1/accounts/fc-a/forecast");
  ASSERT_EQ(r.status, 200) << r.body;
  auto j = r.json();
  EXPECT_EQ(str(j["available"]), "116");
  ASSERT_EQ(j["rates"].Size(), 2u);
  const auto& week = j["rates"][0];
  EXPECT_EQ(week["window_days"].GetInt(), 7);
  EXPECT_EQ(str(week["per_day"]), "2");
  EXPECT_EQ(str(week["runs_out_at"]), "2027-03-07T10:00:00Z");
  EXPECT_EQ(str(week["expires_unused"]), "0");
  const auto& month = j["rates"][1];
  EXPECT_EQ(str(month["per_day"]), "0.466666");
  EXPECT_EQ(str(month["expires_unused"]), "10.400008");
  EXPECT_EQ(str(month["runs_out_at"]), "2027-08-22T16:51:52.163304Z");
  EXPECT_EQ(str(j["advice"]["kind"]), "stay");  // no plan to compare with
}

// On the default free plan (10 a week): 16, 16 and 5 used in its last three weeks, two of them
// at 150 % or more. No plan of the default configuration has a price, so no upgrade can be
// compared: packs for the 2.333334 over the allocation of the mean use (12.333334), the cheapest
// being `small` (100 credits, USD 9.99).
TEST_F(ForecastApi, AdviceOverTheSubscriptionsRecentPeriods) {
  set_clock("2027-01-11T10:00:00Z");
  ASSERT_EQ(admin("POST", "/v1/accounts", R"({"id":"fc-b"})", "fc-open-b").status, 201);
  ASSERT_EQ(admin("POST", "/v1/spends", R"({"account":"fc-b","amount":"16"})", "fc-b1").status,
            201);
  set_clock("2027-01-18T11:00:00Z");
  ASSERT_EQ(admin("POST", "/v1/spends", R"({"account":"fc-b","amount":"16"})", "fc-b2").status,
            201);
  set_clock("2027-01-25T11:00:00Z");
  ASSERT_EQ(admin("POST", "/v1/spends", R"({"account":"fc-b","amount":"5"})", "fc-b3").status, 201);
  set_clock("2027-02-01T12:00:00Z");
  auto r = admin("GET", "/v1/accounts/fc-b/forecast?currency=USD");
  ASSERT_EQ(r.status, 200) << r.body;
  auto doc = r.json();
  const rapidjson::Value& a = doc["advice"];
  EXPECT_EQ(str(a["plan"]), "free");
  ASSERT_EQ(a["periods"].Size(), 3u) << r.body;
  EXPECT_EQ(str(a["periods"][0]["start"]), "2027-01-11T10:00:00Z");
  EXPECT_EQ(str(a["periods"][0]["used"]), "16");
  EXPECT_EQ(str(a["periods"][2]["used"]), "5");
  EXPECT_EQ(a["periods_over"].GetInt(), 2);
  EXPECT_EQ(str(a["need"]), "12.333334");
  EXPECT_EQ(str(a["kind"]), "buy_packs") << str(a["why"]);
  EXPECT_TRUE(a["upgrade_plan"].IsNull());
  EXPECT_EQ(str(a["packs"]["price"]["amount"]), "9.99");
  EXPECT_EQ(str(a["packs"]["items"][0]["pack"]), "small");
}

}  // namespace
}  // namespace tally::testing
