// The Amisi team scenario of issue 17, over HTTP against `tally serve` with
// config/examples/amisi.toml (Business: 150 credits a month, rollover up to 300, up to 10
// members): a team of three with monthly budgets per member (calendar months) and a project
// budget anchored on the subscription's renewal instant, over two months with a renewal and its
// rollover. Each step checks the balance, every budget's usage, and the refusals.
#include <string>

#include "tests/server/api_suite.h"

namespace tally::testing {
namespace {

std::string str(const rapidjson::Value& v) {
  return v.IsString() ? v.GetString() : "(not text)";
}

class AmisiTeam : public Api {
 protected:
  static void SetUpTestSuite() {
    server_ = new ServerProcess(
        {.config = std::string(TALLY_SOURCE_DIR) + "/config/examples/amisi.toml"});
  }

  int key_ = 0;
  std::string key() { return "amisi-" + std::to_string(++key_); }

  HttpReply debit(const char* path, const std::string& member, const std::string& amount,
                  const std::string& project) {
    std::string body =
        R"({"account":"studio","amount":")" + amount + R"(","member":")" + member + "\"";
    if (!project.empty()) body += R"(,"project":")" + project + "\"";
    return admin("POST", path, body + "}", key());
  }
  HttpReply spend(const std::string& member, const std::string& amount,
                  const std::string& project = "") {
    return debit("/v1/spends", member, amount, project);
  }
  HttpReply hold(const std::string& member, const std::string& amount,
                 const std::string& project = "") {
    return debit("/v1/holds", member, amount, project);
  }
  void add_budget(const std::string& body) {
    auto r = admin("POST", "/v1/accounts/studio/budgets", body, key());
    ASSERT_EQ(r.status, 201) << body << " -> " << r.body;
  }
  // "used/left" of a budget as the API shows it now, "exceeded" appended when crossed.
  std::string usage(const std::string& budget) {
    auto r = admin("GET", "/v1/accounts/studio/budgets/" + budget);
    if (r.status != 200) return "status " + std::to_string(r.status) + ": " + r.body;
    auto j = r.json();
    return str(j["used"]) + "/" + str(j["left"]) + (j["exceeded"].GetBool() ? " exceeded" : "");
  }
  // A 402 budget_exceeded naming `budget` with what it has left.
  void expect_refused(const HttpReply& r, const std::string& budget, const std::string& left) {
    EXPECT_EQ(r.status, 402) << r.body;
    EXPECT_EQ(type(r), "budget_exceeded");
    auto j = r.json();
    ASSERT_TRUE(j.IsObject() && j.HasMember("budget")) << r.body;
    EXPECT_EQ(str(j["budget"]["id"]), budget) << r.body;
    EXPECT_EQ(str(j["budget"]["left"]), left) << r.body;
  }
  std::string by_source(const char* source) {
    auto j = admin("GET", "/v1/accounts/studio").json();
    if (!j["by_source"].HasMember(source)) return "none";
    return str(j["by_source"][source]["amount"]);
  }
};

TEST_F(AmisiTeam, ABusinessTeamOfThreeWithBudgetsOverTwoMonthsAndARenewal) {
  // January: the Business subscription starts on the 10th at 09:00 with its 150 credits.
  set_clock("2027-01-10T09:00:00Z");
  auto opened = admin("POST", "/v1/accounts",
                      R"({"id":"studio","plan":"business","kind":"team","owner":"olga"})", key());
  ASSERT_EQ(opened.status, 201) << opened.body;
  for (const char* user : {"ana", "ben"}) {
    auto r = admin("POST", "/v1/accounts/studio/members",
                   std::string(R"({"user":")") + user + R"(","role":"member"})", key());
    ASSERT_EQ(r.status, 201) << r.body;
  }
  EXPECT_EQ(available("studio"), "150");
  add_budget(R"({"id":"ana-month","member":"ana","limit":"60","period":"P1M"})");
  add_budget(R"({"id":"ben-month","member":"ben","limit":"40","period":"P1M"})");
  add_budget(R"({"id":"olga-month","member":"olga","limit":"30","period":"P1M","mode":"soft"})");
  // The project's months follow the subscription's: they roll at each renewal instant.
  add_budget(R"({"id":"launch","project":"launch","limit":"50","period":"P1M",)"
             R"("anchor":"2027-01-10T09:00:00Z"})");

  ASSERT_EQ(spend("ana", "30", "launch").status, 201);
  EXPECT_EQ(available("studio"), "120");
  EXPECT_EQ(usage("ana-month"), "30/30");
  EXPECT_EQ(usage("launch"), "30/20");

  // Ben's hold fits his budget but not the project's: refused whole.
  expect_refused(hold("ben", "25", "launch"), "launch", "20");
  EXPECT_EQ(available("studio"), "120");
  EXPECT_EQ(usage("ben-month"), "0/40");
  auto held = hold("ben", "20", "launch");
  ASSERT_EQ(held.status, 201) << held.body;
  EXPECT_EQ(available("studio"), "100");
  EXPECT_EQ(usage("ben-month"), "20/20");
  EXPECT_EQ(usage("launch"), "50/0");
  // Someone outside the team is refused, and nothing is written.
  auto outsider = spend("zed", "5");
  EXPECT_EQ(outsider.status, 403) << outsider.body;
  EXPECT_EQ(type(outsider), "not_a_member");
  // The job used 15 of the 20 held: the rest comes back to the budgets and the balance.
  auto captured = admin("POST", "/v1/holds/" + str(held.json()["id"]) + "/capture",
                        R"({"amount":"15"})", key());
  ASSERT_EQ(captured.status, 200) << captured.body;
  EXPECT_EQ(available("studio"), "105");
  EXPECT_EQ(usage("ben-month"), "15/25");
  EXPECT_EQ(usage("launch"), "45/5");

  expect_refused(spend("ana", "31"), "ana-month", "30");
  auto ana_rest = spend("ana", "30");
  ASSERT_EQ(ana_rest.status, 201) << ana_rest.body;
  EXPECT_EQ(usage("ana-month"), "60/0");
  EXPECT_EQ(available("studio"), "75");
  // Olga (the owner) is bound by the project's budget, and her soft budget only marks the
  // crossing.
  expect_refused(spend("olga", "20", "launch"), "launch", "5");
  ASSERT_EQ(spend("olga", "35").status, 201);
  EXPECT_EQ(usage("olga-month"), "35/0 exceeded");  // left stops at 0
  EXPECT_EQ(available("studio"), "40");
  // A refund of part of ana's last job gives back to her budget (the job was no project's).
  auto refunded = admin("POST", "/v1/spends/" + str(ana_rest.json()["id"]) + "/refunds",
                        R"({"amount":"10","reason":"blurry"})", key());
  ASSERT_EQ(refunded.status, 200) << refunded.body;
  EXPECT_EQ(usage("ana-month"), "50/10");
  EXPECT_EQ(usage("launch"), "45/5");
  EXPECT_EQ(available("studio"), "50");

  // The calendar month ends: the member budgets start again at its instant, the project's
  // (anchored on the 10th) does not.
  set_clock("2027-01-31T23:59:59Z");
  expect_refused(spend("ana", "11"), "ana-month", "10");
  set_clock("2027-02-01T00:00:00Z");
  EXPECT_EQ(usage("ana-month"), "0/60");
  EXPECT_EQ(usage("ben-month"), "0/40");
  EXPECT_EQ(usage("olga-month"), "0/30");
  EXPECT_EQ(usage("launch"), "45/5");
  ASSERT_EQ(spend("ana", "5", "launch").status, 201);
  expect_refused(spend("ben", "1", "launch"), "launch", "0");
  EXPECT_EQ(available("studio"), "45");

  // February 10th, 09:00: the renewal. The 45 left roll over (under Business's cap of 300)
  // beside the new 150, and the project's period starts again.
  set_clock("2027-02-10T09:00:00Z");
  EXPECT_EQ(available("studio"), "195");
  EXPECT_EQ(by_source("rollover"), "45");
  EXPECT_EQ(by_source("subscription"), "150");
  EXPECT_EQ(usage("launch"), "0/50");
  EXPECT_EQ(usage("ana-month"), "5/55");
  ASSERT_EQ(spend("ben", "40", "launch").status, 201);
  EXPECT_EQ(usage("ben-month"), "40/0");
  EXPECT_EQ(usage("launch"), "40/10");
  // Rollover credits go first (the same expiry as the allocation; rollover comes before
  // subscription in the default priority).
  EXPECT_EQ(by_source("rollover"), "5");
  EXPECT_EQ(available("studio"), "155");
  expect_refused(spend("ben", "1"), "ben-month", "0");
  expect_refused(spend("ana", "56"), "ana-month", "55");
  ASSERT_EQ(spend("ana", "55").status, 201);
  EXPECT_EQ(available("studio"), "100");

  // The next renewal carries the 100 left over.
  set_clock("2027-03-10T09:00:00Z");
  EXPECT_EQ(available("studio"), "250");
  EXPECT_EQ(by_source("rollover"), "100");
  EXPECT_EQ(usage("ana-month"), "0/60");
  EXPECT_EQ(usage("launch"), "0/50");
}

}  // namespace
}  // namespace tally::testing
