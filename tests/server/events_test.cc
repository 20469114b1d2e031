// Events and alerts over HTTP (issue 18): alert settings, the events a command produces in the
// account's feed and in the whole deployment's feed, paged across shards without loss or
// repeat, kept across a restart, and refused bad input.
#include <set>

#include "tests/server/api_suite.h"

namespace tally::testing {
namespace {

using Events = Api;

TEST_F(Events, AlertSettingsAreTheAccountsOwnOrItsPlans) {
  open("ev-alerts");
  auto got = admin("GET", "/v1/accounts/ev-alerts/alerts");
  ASSERT_EQ(got.status, 200) << got.body;
  EXPECT_TRUE(got.json()["low_balance"].IsNull()) << got.body;
  EXPECT_STREQ(got.json()["low_balance_from"].GetString(), "plan");
  auto set = admin("PUT", "/v1/accounts/ev-alerts/alerts",
                   R"({"low_balance":"12.5","expiring_notice":"P3D"})", "al-1");
  ASSERT_EQ(set.status, 200) << set.body;
  EXPECT_STREQ(set.json()["low_balance"].GetString(), "12.5");
  EXPECT_STREQ(set.json()["low_balance_from"].GetString(), "account");
  EXPECT_STREQ(set.json()["expiring_notice"].GetString(), "P3D");
  auto retry = admin("PUT", "/v1/accounts/ev-alerts/alerts",
                     R"({"low_balance":"12.5","expiring_notice":"P3D"})", "al-1");
  EXPECT_EQ(retry.body, set.body);
  EXPECT_EQ(admin("GET", "/v1/accounts/ev-alerts/alerts").body, set.body);
  auto back = admin("PUT", "/v1/accounts/ev-alerts/alerts", "{}", "al-2");
  ASSERT_EQ(back.status, 200) << back.body;
  EXPECT_STREQ(back.json()["low_balance_from"].GetString(), "plan");
  EXPECT_EQ(admin("GET", "/v1/accounts/nobody/alerts").status, 404);
}

TEST_F(Events, ASpendBelowTheThresholdIsInTheAccountsFeedOnce) {
  open("ev-low", "20");  // 55 available
  ASSERT_EQ(admin("PUT", "/v1/accounts/ev-low/alerts", R"({"low_balance":"50"})", "evl-1").status,
            200);
  ASSERT_EQ(admin("POST", "/v1/spends", R"({"account":"ev-low","amount":"10"})", "evl-2").status,
            201);
  ASSERT_EQ(admin("POST", "/v1/spends", R"({"account":"ev-low","amount":"1"})", "evl-3").status,
            201);
  auto feed = admin("GET", "/v1/accounts/ev-low/events?types=balance.low");
  ASSERT_EQ(feed.status, 200) << feed.body;
  auto j = feed.json();
  ASSERT_EQ(j["events"].Size(), 1u) << feed.body;
  const auto& e = j["events"][0];
  EXPECT_STREQ(e["type"].GetString(), "balance.low");
  EXPECT_STREQ(e["account"].GetString(), "ev-low");
  EXPECT_STREQ(e["data"]["available"].GetString(), "45");
  EXPECT_STREQ(e["data"]["threshold"].GetString(), "50");
  EXPECT_STREQ(e["at"].GetString(), "2027-01-04T10:00:00Z");
  EXPECT_STREQ(j["next_after"].GetString(), e["id"].GetString());
  EXPECT_FALSE(j["has_more"].GetBool());
  // After the last one there is nothing more.
  auto after = admin("GET", std::string("/v1/accounts/ev-low/events?after=") + e["id"].GetString());
  ASSERT_EQ(after.status, 200) << after.body;
  auto rest_page = after.json();
  for (const auto& rest : rest_page["events"].GetArray()) {
    EXPECT_STRNE(rest["type"].GetString(), "balance.low") << after.body;
  }
  // The account's own token reads its feed, not the deployment's.
  auto t = admin("POST", "/v1/accounts/ev-low/tokens", R"({"ttl_s":600})");
  ASSERT_EQ(t.status, 201) << t.body;
  const std::string token = t.json()["token"].GetString();
  EXPECT_EQ(as(token, "GET", "/v1/accounts/ev-low/events").status, 200);
  EXPECT_EQ(as(token, "GET", "/v1/events").status, 403);
}

TEST_F(Events, TheFeedPagesAcrossShardsWithoutLossOrRepeat) {
  std::set<std::string> ours;
  for (int i = 0; i < 9; ++i) {
    const std::string id = "ev-page-" + std::to_string(i);
    ours.insert(id);
    open(id);
    auto s = admin("POST", "/v1/spends", R"({"account":")" + id + R"(","amount":"35"})",
                   "evp-" + std::to_string(i));
    ASSERT_EQ(s.status, 201) << s.body;  // all of it: balance.depleted
  }
  std::string after;
  std::multiset<std::string> seen;
  std::set<std::string> ids;
  int pages = 0;
  while (true) {
    auto r = admin("GET", "/v1/events?types=balance.depleted&limit=2" +
                              (after.empty() ? std::string() : "&after=" + after));
    ASSERT_EQ(r.status, 200) << r.body;
    auto j = r.json();
    ASSERT_LE(j["events"].Size(), 2u);
    for (const auto& e : j["events"].GetArray()) {
      EXPECT_STREQ(e["type"].GetString(), "balance.depleted");
      EXPECT_TRUE(ids.insert(e["id"].GetString()).second) << "given twice: " << e["id"].GetString();
      seen.insert(e["account"].GetString());
    }
    after = j["next_after"].GetString();
    ++pages;
    ASSERT_LT(pages, 200);
    if (!j["has_more"].GetBool()) break;
  }
  for (const std::string& id : ours) EXPECT_EQ(seen.count(id), 1u) << id;
  EXPECT_GE(pages, 5);
  // The last cursor gives nothing new until something happens.
  auto rest = admin("GET", "/v1/events?types=balance.depleted&after=" + after);
  ASSERT_EQ(rest.status, 200) << rest.body;
  EXPECT_EQ(rest.json()["events"].Size(), 0u) << rest.body;
  EXPECT_EQ(rest.json()["next_after"].GetString(), after);
}

TEST_F(Events, BadQueriesAndSettingsAreRefused) {
  open("ev-bad");
  for (const char* q : {"/v1/events?types=balance.nope", "/v1/events?limit=0",
                        "/v1/events?limit=1001", "/v1/events?after=xyz", "/v1/events?after=1.2.3.4.5",
                        "/v1/events?color=red", "/v1/accounts/ev-bad/events?after=abc"}) {
    auto r = admin("GET", q);
    EXPECT_EQ(r.status, 400) << q << " " << r.body;
  }
  int n = 0;
  for (const char* body : {R"({"low_balance":"-1"})", R"({"low_balance":"1.0000001"})",
                           R"({"expiring_notice":"P1M"})", R"({"expiring_notice":"P400D"})",
                           R"({"expiring_notice":"soon"})", R"({"color":"red"})"}) {
    auto r = admin("PUT", "/v1/accounts/ev-bad/alerts", body, "evb-" + std::to_string(n++));
    EXPECT_EQ(r.status, 400) << body << " " << r.body;
  }
  EXPECT_EQ(admin("PUT", "/v1/accounts/ev-none/alerts", "{}", "evb-x").status, 404);
}

TEST(EventsRestart, EventsAreKeptAcrossARestart) {
  ServerProcess server;
  HttpClient c(server.port());
  const auto auth = bearer(server.admin_key());
  ASSERT_EQ(c.send("POST", "/v1/accounts", R"({"id":"r"})", {auth, {"Idempotency-Key", "o"}}).status,
            201);
  ASSERT_EQ(c.send("POST", "/v1/spends", R"({"account":"r","amount":"35"})",
                   {auth, {"Idempotency-Key", "s"}})
                .status,
            201);
  auto before = c.send("GET", "/v1/accounts/r/events", "", {auth});
  ASSERT_EQ(before.status, 200) << before.body;
  ASSERT_GE(before.json()["events"].Size(), 1u) << before.body;
  server.kill();  // no clean shutdown: the journal holds the events
  server.restart();
  HttpClient again(server.port());
  auto after = again.send("GET", "/v1/accounts/r/events", "", {auth});
  EXPECT_EQ(after.body, before.body);
}

}  // namespace
}  // namespace tally::testing
