// Outcomes over HTTP (issue 19, docs/api.md "Outcomes"): given with a spend or a capture,
// marked later on a spend (for a captured hold: the spend its capture made), once; refusals;
// the audit line; and kept across a SIGKILL and restart (replayed from the journal).
#include <string>

#include "tests/server/api_suite.h"

namespace tally::testing {
namespace {

std::string str(const rapidjson::Value& v) {
  return v.IsString() ? v.GetString() : "(null)";
}

class OutcomeApi : public Api {
 protected:
  std::string outcome_of(const std::string& spend) {
    auto r = admin("GET", "/v1/spends/" + spend);
    EXPECT_EQ(r.status, 200) << r.body;
    return str(r.json()["outcome"]);
  }
};

TEST_F(OutcomeApi, ASpendOrCaptureCarriesItsOutcomeAndASpendIsMarkedLaterOnce) {
  open("oc-1");
  auto s = admin("POST", "/v1/spends", R"({"account":"oc-1","amount":"2","outcome":"rejected"})",
                 "oc-1-s");
  ASSERT_EQ(s.status, 201) << s.body;
  EXPECT_EQ(str(s.json()["outcome"]), "rejected");
  const std::string rejected = str(s.json()["id"]);
  EXPECT_EQ(outcome_of(rejected), "rejected");

  auto h = admin("POST", "/v1/holds", R"({"account":"oc-1","amount":"3"})", "oc-1-h");
  ASSERT_EQ(h.status, 201) << h.body;
  const std::string hold = str(h.json()["id"]);
  auto c = admin("POST", "/v1/holds/" + hold + "/capture", R"({"amount":"2"})", "oc-1-c");
  ASSERT_EQ(c.status, 200) << c.body;
  const std::string captured = str(c.json()["spend"]);
  EXPECT_EQ(outcome_of(captured), "(null)");  // nothing said yet

  // The hold's own id is not a spend; the capture's spend is what is marked.
  auto by_hold =
      admin("POST", "/v1/spends/" + hold + "/outcome", R"({"outcome":"usable"})", "oc-1-m0");
  EXPECT_EQ(by_hold.status, 404) << by_hold.body;
  EXPECT_NE(by_hold.body.find("that is a hold"), std::string::npos) << by_hold.body;

  auto m =
      admin("POST", "/v1/spends/" + captured + "/outcome", R"({"outcome":"usable"})", "oc-1-m1");
  ASSERT_EQ(m.status, 200) << m.body;
  EXPECT_EQ(m.body, R"({"spend":")" + captured + R"(","outcome":"usable","changed":true})");
  EXPECT_EQ(outcome_of(captured), "usable");
  // A retry under the same key: the first answer, byte for byte.
  EXPECT_EQ(
      admin("POST", "/v1/spends/" + captured + "/outcome", R"({"outcome":"usable"})", "oc-1-m1")
          .body,
      m.body);
  // The same outcome under another key: nothing changes.
  auto same =
      admin("POST", "/v1/spends/" + captured + "/outcome", R"({"outcome":"usable"})", "oc-1-m2");
  EXPECT_EQ(same.status, 200) << same.body;
  EXPECT_EQ(same.json()["changed"].GetBool(), false);
  // Another outcome is a conflict, and the first stays.
  auto other =
      admin("POST", "/v1/spends/" + captured + "/outcome", R"({"outcome":"rejected"})", "oc-1-m3");
  EXPECT_EQ(other.status, 409) << other.body;
  EXPECT_NE(other.body.find("outcome_conflict"), std::string::npos) << other.body;
  EXPECT_EQ(outcome_of(captured), "usable");
  EXPECT_EQ(
      admin("POST", "/v1/spends/" + rejected + "/outcome", R"({"outcome":"usable"})", "oc-1-m4")
          .status,
      409);

  // The change has its audit line, naming the spend's account.
  auto audit = admin("GET", "/v1/audit?account=oc-1");
  ASSERT_EQ(audit.status, 200) << audit.body;
  EXPECT_NE(audit.body.find(R"("action":"mark_outcome")"), std::string::npos) << audit.body;
  EXPECT_NE(audit.body.find(R"("idempotency_key":"oc-1-m1")"), std::string::npos) << audit.body;
}

TEST(OutcomeRestart, AMarkedOutcomeIsReplayedAfterASigkill) {
  ServerProcess server;
  HttpClient c(server.port());
  auto send = [&](HttpClient& to, const std::string& method, const std::string& path,
                  const std::string& body, const std::string& key) {
    return send_as(to, server.admin_key(), method, path, body, key);
  };
  ASSERT_EQ(send(c, "POST", "/v1/accounts", R"({"id":"r"})", "o").status, 201);
  auto s =
      send(c, "POST", "/v1/spends", R"({"account":"r","amount":"1","outcome":"usable"})", "s1");
  ASSERT_EQ(s.status, 201) << s.body;
  auto t = send(c, "POST", "/v1/spends", R"({"account":"r","amount":"1"})", "s2");
  ASSERT_EQ(t.status, 201) << t.body;
  const std::string first = str(s.json()["id"]), second = str(t.json()["id"]);
  ASSERT_EQ(
      send(c, "POST", "/v1/spends/" + second + "/outcome", R"({"outcome":"rejected"})", "m").status,
      200);
  server.kill();  // no clean shutdown: only the journal holds the outcomes
  server.restart();
  HttpClient again(server.port());
  EXPECT_EQ(str(send(again, "GET", "/v1/spends/" + first, "", "").json()["outcome"]), "usable");
  EXPECT_EQ(str(send(again, "GET", "/v1/spends/" + second, "", "").json()["outcome"]), "rejected");
  auto conflict =
      send(again, "POST", "/v1/spends/" + second + "/outcome", R"({"outcome":"usable"})", "m2");
  EXPECT_EQ(conflict.status, 409) << conflict.body;
  // The retried request still gets its first answer after the restart.
  auto retry =
      send(again, "POST", "/v1/spends/" + second + "/outcome", R"({"outcome":"rejected"})", "m");
  EXPECT_EQ(retry.status, 200) << retry.body;
  EXPECT_EQ(retry.json()["changed"].GetBool(), true);
}

}  // namespace
}  // namespace tally::testing
