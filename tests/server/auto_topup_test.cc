// Auto top-up over HTTP (issue 18, docs/events.md "Auto top-up"): a request produced by the
// spend that crosses the threshold, completed by the purchase posted with its payment_ref (and
// a retried purchase credits once), failed and asked again after the backoff, cancelled and not
// asked again, timed out, turned off, and kept across a SIGKILL and restart.
#include <string>

#include "tests/server/api_suite.h"

namespace tally::testing {
namespace {

std::string str(const rapidjson::Value& v) { return v.IsString() ? v.GetString() : "(not text)"; }

class AutoTopupApi : public Api {
 protected:
  // The ids of every auto_topup.requested of `account`, oldest first.
  std::vector<std::string> requests(const std::string& account) {
    auto r = admin("GET", "/v1/accounts/" + account + "/events?types=auto_topup.requested");
    EXPECT_EQ(r.status, 200) << r.body;
    std::vector<std::string> ids;
    auto j = r.json();
    for (const auto& e : j["events"].GetArray()) ids.push_back(str(e["data"]["auto_topup"]));
    return ids;
  }
};

TEST_F(AutoTopupApi, ASpendBelowAsksAndTheMatchingPurchaseCompletesIt) {
  open("at-pay");  // free plan: 35 available
  auto set = admin("PUT", "/v1/accounts/at-pay/auto_topup",
                   R"({"below":"20","pack":"small","currency":"USD"})", "atp-1");
  ASSERT_EQ(set.status, 200) << set.body;
  auto s = set.json();
  EXPECT_TRUE(s["enabled"].GetBool());
  EXPECT_EQ(str(s["below"]), "20");
  EXPECT_EQ(str(s["price"]), "9.99");
  EXPECT_EQ(str(s["credits"]), "100");
  EXPECT_TRUE(s["request"].IsNull()) << set.body;  // 35: above, nothing asked
  EXPECT_TRUE(s["region"].IsNull());
  EXPECT_EQ(admin("PUT", "/v1/accounts/at-pay/auto_topup",
                  R"({"below":"20","pack":"small","currency":"USD"})", "atp-1")
                .body,
            set.body);  // a retry: the first answer

  ASSERT_EQ(admin("POST", "/v1/spends", R"({"account":"at-pay","amount":"20"})", "atp-2").status,
            201);
  auto got = admin("GET", "/v1/accounts/at-pay/auto_topup");
  ASSERT_EQ(got.status, 200) << got.body;
  auto g = got.json();
  ASSERT_TRUE(g["request"].IsObject()) << got.body;
  const std::string id = str(g["request"]["id"]);
  const std::string ref = str(g["request"]["payment_ref"]);
  EXPECT_EQ(ref, "auto_topup_" + id);
  EXPECT_EQ(str(g["request"]["expires_at"]), "2027-01-04T11:00:00Z");  // PT1H after

  auto feed = admin("GET", "/v1/accounts/at-pay/events?types=auto_topup.requested");
  auto f = feed.json();
  ASSERT_EQ(f["events"].Size(), 1u) << feed.body;
  const auto& data = f["events"][0]["data"];
  EXPECT_EQ(str(data["auto_topup"]), id);
  EXPECT_EQ(str(data["payment_ref"]), ref);
  EXPECT_EQ(str(data["pack"]), "small");
  EXPECT_EQ(str(data["credits"]), "100");
  EXPECT_EQ(str(data["price"]["amount"]), "9.99");
  EXPECT_EQ(str(data["price"]["currency"]), "USD");
  EXPECT_TRUE(data["region"].IsNull());
  EXPECT_EQ(str(data["below"]), "20");

  // Another spend while it is outstanding asks nothing more.
  ASSERT_EQ(admin("POST", "/v1/spends", R"({"account":"at-pay","amount":"1"})", "atp-3").status,
            201);
  EXPECT_EQ(requests("at-pay").size(), 1u);

  // The platform charged its customer: the purchase with the payment_ref completes it, and
  // its webhook retried under another key credits nothing again.
  const std::string purchase =
      R"({"account":"at-pay","pack":"small","currency":"USD","payment_ref":")" + ref + "\"}";
  auto paid = admin("POST", "/v1/purchases", purchase, "atp-4");
  ASSERT_EQ(paid.status, 201) << paid.body;
  auto again = admin("POST", "/v1/purchases", purchase, "atp-5");
  EXPECT_EQ(again.status, 201);
  EXPECT_EQ(again.body, paid.body);
  EXPECT_EQ(available("at-pay"), "114");
  auto after = admin("GET", "/v1/accounts/at-pay/auto_topup").json();
  EXPECT_TRUE(after["request"].IsNull());
  EXPECT_EQ(after["failures"].GetUint(), 0u);
  // Done: failing it now is refused.
  auto late = admin("POST", "/v1/auto_topups/" + id + "/fail", "{}", "atp-6");
  EXPECT_EQ(late.status, 404) << late.body;
  EXPECT_EQ(type(late), "not_found");
  EXPECT_EQ(admin("POST", "/v1/auto_topups/" + id + "/cancel", "{}", "atp-7").status, 404);
  EXPECT_EQ(admin("PUT", "/v1/accounts/at-nobody/auto_topup",
                  R"({"below":"5","pack":"small","currency":"USD"})", "atp-8")
                .status,
            404);
  EXPECT_EQ(admin("DELETE", "/v1/accounts/at-nobody/auto_topup", "", "atp-9").status, 404);
}

TEST_F(AutoTopupApi, AFailedChargeIsAskedAgainAfterTheBackoffAndACancelIsNot) {
  open("at-fail");
  ASSERT_EQ(admin("PUT", "/v1/accounts/at-fail/auto_topup",
                  R"({"below":"50","pack":"medium","currency":"USD","region":"IN"})", "atf-1")
                .status,
            200);  // 35 is already below: asked at once
  auto first = requests("at-fail");
  ASSERT_EQ(first.size(), 1u);
  auto failed = admin("POST", "/v1/auto_topups/" + first[0] + "/fail",
                      R"({"reason":"card declined"})", "atf-2");
  ASSERT_EQ(failed.status, 200) << failed.body;
  auto fj = failed.json();
  EXPECT_TRUE(fj["request"].IsNull());
  EXPECT_EQ(fj["failures"].GetUint(), 1u);
  EXPECT_EQ(str(fj["retry_at"]), "2027-01-04T11:00:00Z");
  EXPECT_EQ(str(fj["price"]), "24.99");  // the region's price
  // A retry of the same fail: the first answer.
  EXPECT_EQ(admin("POST", "/v1/auto_topups/" + first[0] + "/fail",
                  R"({"reason":"card declined"})", "atf-2")
                .body,
            failed.body);

  set_clock("2027-01-04T11:00:00Z");
  // Any command on the account's shard runs the time-driven work due before it.
  ASSERT_EQ(admin("PUT", "/v1/accounts/at-fail/alerts", "{}", "atf-3").status, 200);
  auto second = requests("at-fail");
  ASSERT_EQ(second.size(), 2u);
  EXPECT_NE(second[1], second[0]);
  auto cancelled = admin("POST", "/v1/auto_topups/" + second[1] + "/cancel", "{}", "atf-4");
  ASSERT_EQ(cancelled.status, 200) << cancelled.body;
  auto cj = cancelled.json();
  EXPECT_TRUE(cj["request"].IsNull());
  EXPECT_TRUE(cj["retry_at"].IsNull());
  set_clock("2027-01-06T11:00:00Z");
  ASSERT_EQ(admin("PUT", "/v1/accounts/at-fail/alerts", "{}", "atf-5").status, 200);
  EXPECT_EQ(requests("at-fail").size(), 2u);  // not asked again

  // An unpaid request times out and counts as a failure.
  ASSERT_EQ(admin("POST", "/v1/accounts/at-fail/grants", R"({"amount":"100","reason":"r"})",
                  "atf-6")
                .status,
            201);
  ASSERT_EQ(admin("POST", "/v1/spends", R"({"account":"at-fail","amount":"100"})", "atf-7").status,
            201);
  ASSERT_EQ(requests("at-fail").size(), 3u);
  set_clock("2027-01-06T12:00:00Z");
  ASSERT_EQ(admin("PUT", "/v1/accounts/at-fail/alerts", "{}", "atf-8").status, 200);
  auto timed_out = admin("GET", "/v1/accounts/at-fail/auto_topup").json();
  EXPECT_TRUE(timed_out["request"].IsNull());
  EXPECT_EQ(timed_out["failures"].GetUint(), 1u);

  auto off = admin("DELETE", "/v1/accounts/at-fail/auto_topup", "", "atf-9");
  ASSERT_EQ(off.status, 200) << off.body;
  EXPECT_FALSE(off.json()["enabled"].GetBool());
  EXPECT_EQ(admin("GET", "/v1/accounts/at-fail/auto_topup").body, off.body);
}

TEST_F(AutoTopupApi, AnEndUserTokenReadsItsOwnAndCannotChangeIt) {
  open("at-user");
  auto token = admin("POST", "/v1/accounts/at-user/tokens", "{}");
  ASSERT_EQ(token.status, 201) << token.body;
  const std::string secret = str(token.json()["token"]);
  auto got = as(secret, "GET", "/v1/accounts/at-user/auto_topup");
  EXPECT_EQ(got.status, 200);
  EXPECT_FALSE(got.json()["editable"].GetBool()) << "[tokens] lets tokens change nothing";
  EXPECT_TRUE(admin("GET", "/v1/accounts/at-user/auto_topup").json()["editable"].GetBool());
  auto refused = as(secret, "PUT", "/v1/accounts/at-user/auto_topup",
                    R"({"below":"5","pack":"small","currency":"USD"})", "atu-1");
  EXPECT_EQ(refused.status, 403);
  EXPECT_STREQ(refused.json()["type"].GetString(), "editing_not_allowed") << refused.body;
  auto alerts = as(secret, "PUT", "/v1/accounts/at-user/alerts", R"({"low_balance":"5"})", "atu-2");
  EXPECT_EQ(alerts.status, 403);
  EXPECT_STREQ(alerts.json()["type"].GetString(), "editing_not_allowed") << alerts.body;
}

TEST(AutoTopupRestart, TheRequestSurvivesAKillAndItsPurchaseCompletesIt) {
  ServerProcess server;
  HttpClient c(server.port());
  const auto auth = bearer(server.admin_key());
  auto send = [&](HttpClient& to, const char* method, const std::string& path,
                  const std::string& body, const std::string& key) {
    std::vector<std::pair<std::string, std::string>> h = {auth};
    if (!key.empty()) h.emplace_back("Idempotency-Key", key);
    return to.send(method, path, body, h);
  };
  ASSERT_EQ(send(c, "POST", "/v1/accounts", R"({"id":"r"})", "o").status, 201);
  ASSERT_EQ(send(c, "PUT", "/v1/accounts/r/auto_topup",
                 R"({"below":"10","pack":"small","currency":"EUR"})", "a")
                .status,
            200);
  ASSERT_EQ(send(c, "POST", "/v1/spends", R"({"account":"r","amount":"30"})", "s").status, 201);
  auto before = send(c, "GET", "/v1/accounts/r/auto_topup", "", "");
  ASSERT_EQ(before.status, 200) << before.body;
  ASSERT_TRUE(before.json()["request"].IsObject()) << before.body;
  const std::string ref = str(before.json()["request"]["payment_ref"]);
  server.kill();  // no clean shutdown: the journal holds the request
  server.restart();
  HttpClient again(server.port());
  auto after = send(again, "GET", "/v1/accounts/r/auto_topup", "", "");
  EXPECT_EQ(after.body, before.body);
  ASSERT_EQ(send(again, "POST", "/v1/purchases",
                 R"({"account":"r","pack":"small","currency":"EUR","payment_ref":")" + ref + "\"}",
                 "p")
                .status,
            201);
  EXPECT_TRUE(send(again, "GET", "/v1/accounts/r/auto_topup", "", "").json()["request"].IsNull());
}

}  // namespace
}  // namespace tally::testing
