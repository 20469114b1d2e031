// Team accounts over HTTP (issue 17, docs/api.md "Teams"): a shared wallet opened with its
// owner, members and their roles, holds and spends that name their member and project, hard
// and soft budgets refusing with 402 budget_exceeded and what is left, reads of usage, and all
// of it kept across a SIGKILL and restart.
#include <string>
#include <vector>

#include "tests/server/api_suite.h"

namespace tally::testing {
namespace {

std::string str(const rapidjson::Value& v) { return v.IsString() ? v.GetString() : "(not text)"; }

class TeamsApi : public Api {
 protected:
  // Team `id` on plan pro (up to 5 members, 1000 a month), owned by olga, with ana a member and
  // vic a viewer.
  void team(const std::string& id) {
    auto r = admin("POST", "/v1/accounts",
                   R"({"id":")" + id + R"(","plan":"pro","kind":"team","owner":"olga"})",
                   "open-" + id);
    ASSERT_EQ(r.status, 201) << r.body;
    EXPECT_EQ(str(r.json()["kind"]), "team");
    ASSERT_EQ(member(id, "ana", "member").status, 201);
    ASSERT_EQ(member(id, "vic", "viewer").status, 201);
  }
  HttpReply member(const std::string& id, const std::string& user, const std::string& role) {
    return admin("POST", "/v1/accounts/" + id + "/members",
                 R"({"user":")" + user + R"(","role":")" + role + "\"}",
                 "member-" + id + "-" + user + "-" + role);
  }
  HttpReply spend(const std::string& id, const std::string& member, const std::string& amount,
                  const std::string& key, const std::string& project = "") {
    std::string body = R"({"account":")" + id + R"(","amount":")" + amount + R"(","member":")" +
                       member + "\"";
    if (!project.empty()) body += R"(,"project":")" + project + "\"";
    return admin("POST", "/v1/spends", body + "}", key);
  }
  rapidjson::Document budget(const std::string& id, const std::string& budget) {
    auto r = admin("GET", "/v1/accounts/" + id + "/budgets/" + budget);
    EXPECT_EQ(r.status, 200) << r.body;
    return r.json();
  }
};

TEST_F(TeamsApi, MembersSpendAndOthersAreRefusedWithNothingWritten) {
  team("tm-a");
  const std::string before = available("tm-a");
  auto outsider = spend("tm-a", "zed", "5", "tma-1");
  EXPECT_EQ(outsider.status, 403) << outsider.body;
  EXPECT_EQ(type(outsider), "not_a_member");
  auto viewer = spend("tm-a", "vic", "5", "tma-2");
  EXPECT_EQ(viewer.status, 403) << viewer.body;
  EXPECT_EQ(type(viewer), "forbidden");
  auto nobody = admin("POST", "/v1/spends", R"({"account":"tm-a","amount":"5"})", "tma-3");
  EXPECT_EQ(nobody.status, 400) << nobody.body;
  EXPECT_EQ(available("tm-a"), before);
  EXPECT_EQ(spend("tm-a", "ana", "5", "tma-4", "launch").status, 201);
  auto hold = admin("POST", "/v1/holds",
                    R"({"account":"tm-a","amount":"7","member":"olga","project":"launch"})",
                    "tma-5");
  EXPECT_EQ(hold.status, 201) << hold.body;

  auto list = admin("GET", "/v1/accounts/tm-a/members");
  ASSERT_EQ(list.status, 200) << list.body;
  auto l = list.json();
  ASSERT_EQ(l["members"].Size(), 3u) << list.body;
  EXPECT_EQ(str(l["members"][0]["user"]), "olga");
  EXPECT_EQ(str(l["members"][0]["role"]), "owner");

  auto promoted = admin("PATCH", "/v1/accounts/tm-a/members/vic", R"({"role":"member"})", "tma-6");
  ASSERT_EQ(promoted.status, 200) << promoted.body;
  EXPECT_EQ(str(promoted.json()["role"]), "member");
  EXPECT_EQ(spend("tm-a", "vic", "1", "tma-7").status, 201);
  auto removed = admin("DELETE", "/v1/accounts/tm-a/members/vic", "", "tma-8");
  ASSERT_EQ(removed.status, 200) << removed.body;
  EXPECT_EQ(type(spend("tm-a", "vic", "1", "tma-9")), "not_a_member");
  auto last_owner = admin("DELETE", "/v1/accounts/tm-a/members/olga", "", "tma-10");
  EXPECT_EQ(last_owner.status, 400) << last_owner.body;
  auto again = member("tm-a", "ana", "viewer");
  EXPECT_EQ(again.status, 409) << again.body;
  EXPECT_EQ(type(again), "member_exists");
}

TEST_F(TeamsApi, AHardBudgetRefusesWithWhatIsLeftAndASoftOneLetsThrough) {
  team("tm-b");
  auto made = admin("POST", "/v1/accounts/tm-b/budgets",
                    R"({"id":"ana-month","member":"ana","limit":"100","period":"P1M"})", "tmb-1");
  ASSERT_EQ(made.status, 201) << made.body;
  auto m = made.json();
  EXPECT_EQ(str(m["mode"]), "hard");
  EXPECT_EQ(str(m["anchor"]), "2027-01-01T00:00:00Z");  // calendar months by default
  EXPECT_EQ(str(m["period_end"]), "2027-02-01T00:00:00Z");
  EXPECT_EQ(str(m["used"]), "0");
  ASSERT_EQ(admin("POST", "/v1/accounts/tm-b/budgets",
                  R"({"id":"launch","project":"launch","limit":"30","period":"P1W",)"
                  R"("mode":"soft"})",
                  "tmb-2")
                .status,
            201);

  ASSERT_EQ(spend("tm-b", "ana", "90", "tmb-3").status, 201);
  auto refused = spend("tm-b", "ana", "15", "tmb-4");
  ASSERT_EQ(refused.status, 402) << refused.body;
  auto r = refused.json();
  EXPECT_EQ(str(r["type"]), "budget_exceeded");
  EXPECT_EQ(str(r["budget"]["id"]), "ana-month");
  EXPECT_EQ(str(r["budget"]["limit"]), "100");
  EXPECT_EQ(str(r["budget"]["used"]), "90");
  EXPECT_EQ(str(r["budget"]["left"]), "10");
  EXPECT_EQ(str(r["shortfall"]), "5");
  // A retry of the refused request gets the same answer byte for byte.
  EXPECT_EQ(spend("tm-b", "ana", "15", "tmb-4").body, refused.body);

  // The soft project budget lets olga through past its limit and says so.
  ASSERT_EQ(spend("tm-b", "olga", "40", "tmb-5", "launch").status, 201);
  auto launch = budget("tm-b", "launch");
  EXPECT_EQ(str(launch["used"]), "40");
  EXPECT_EQ(str(launch["left"]), "0");
  EXPECT_TRUE(launch["exceeded"].GetBool());

  // Raising the limit makes room; the list filtered by member shows what binds ana.
  auto raised = admin("PATCH", "/v1/accounts/tm-b/budgets/ana-month", R"({"limit":"120"})",
                      "tmb-6");
  ASSERT_EQ(raised.status, 200) << raised.body;
  EXPECT_EQ(str(raised.json()["left"]), "30");
  EXPECT_EQ(spend("tm-b", "ana", "15", "tmb-7").status, 201);
  auto mine = admin("GET", "/v1/accounts/tm-b/budgets?member=ana");
  ASSERT_EQ(mine.status, 200) << mine.body;
  auto b = mine.json();
  ASSERT_EQ(b["budgets"].Size(), 2u) << mine.body;  // its own, and the project's
  EXPECT_EQ(str(b["budgets"][0]["used"]), "105");

  // The next month starts from zero at its first instant.
  set_clock("2027-02-01T00:00:00Z");
  EXPECT_EQ(str(budget("tm-b", "ana-month")["used"]), "0");
  EXPECT_EQ(spend("tm-b", "ana", "120", "tmb-8").status, 201);
  auto removed = admin("DELETE", "/v1/accounts/tm-b/budgets/launch", "", "tmb-9");
  EXPECT_EQ(removed.status, 200) << removed.body;
  EXPECT_EQ(admin("GET", "/v1/accounts/tm-b/budgets/launch").status, 404);
}

TEST_F(TeamsApi, ReleasesGiveBudgetBackAndEverythingSurvivesAKill) {
  set_clock("2027-03-01T10:00:00Z");  // later than any other test's: set again after the restart
  team("tm-c");
  ASSERT_EQ(admin("POST", "/v1/accounts/tm-c/budgets",
                  R"({"id":"ana-day","member":"ana","limit":"50","period":"P1D"})", "tmc-1")
                .status,
            201);
  auto hold = admin("POST", "/v1/holds", R"({"account":"tm-c","amount":"40","member":"ana"})",
                    "tmc-2");
  ASSERT_EQ(hold.status, 201) << hold.body;
  const std::string id = str(hold.json()["id"]);
  EXPECT_EQ(str(budget("tm-c", "ana-day")["used"]), "40");
  ASSERT_EQ(admin("POST", "/v1/holds/" + id + "/capture", R"({"amount":"25"})", "tmc-3").status,
            200);
  EXPECT_EQ(str(budget("tm-c", "ana-day")["used"]), "25");

  server_->kill();
  server_->restart();
  client_ = std::make_unique<HttpClient>(server_->port());
  set_clock("2027-03-01T10:00:00Z");
  EXPECT_EQ(str(budget("tm-c", "ana-day")["used"]), "25");
  auto members = admin("GET", "/v1/accounts/tm-c/members");
  EXPECT_EQ(members.json()["members"].Size(), 3u) << members.body;
  EXPECT_EQ(type(spend("tm-c", "ana", "26", "tmc-4")), "budget_exceeded");
  EXPECT_EQ(spend("tm-c", "ana", "25", "tmc-5").status, 201);
}

// Holds and spends show their member and project; entries record them, so history filters by
// them; usage for a period groups what was taken, net of releases and refunds, by member and by
// project; and GET /v1/plans says how many members each plan allows.
TEST_F(TeamsApi, HistoryFiltersByMemberAndProjectAndUsageGroupsByThem) {
  set_clock("2027-03-02T10:00:00Z");
  team("tm-u");
  auto first = spend("tm-u", "ana", "10", "tmu-1", "launch");
  ASSERT_EQ(first.status, 201) << first.body;
  EXPECT_EQ(str(first.json()["member"]), "ana");
  EXPECT_EQ(str(first.json()["project"]), "launch");
  const std::string first_id = str(first.json()["id"]);
  auto hold =
      admin("POST", "/v1/holds",
            R"({"account":"tm-u","amount":"7","member":"olga","project":"launch"})", "tmu-2");
  ASSERT_EQ(hold.status, 201) << hold.body;
  EXPECT_EQ(str(hold.json()["member"]), "olga");
  EXPECT_EQ(str(hold.json()["project"]), "launch");
  const std::string hold_id = str(hold.json()["id"]);
  auto shown = admin("GET", "/v1/holds/" + hold_id);
  EXPECT_EQ(str(shown.json()["member"]), "olga") << shown.body;
  ASSERT_EQ(admin("POST", "/v1/holds/" + hold_id + "/release", "{}", "tmu-3").status, 200);
  ASSERT_EQ(spend("tm-u", "ana", "5", "tmu-4", "ads").status, 201);
  auto plain = spend("tm-u", "olga", "3", "tmu-5");
  ASSERT_EQ(plain.status, 201);
  EXPECT_EQ(str(plain.json()["member"]), "olga");
  EXPECT_FALSE(plain.json().HasMember("project")) << plain.body;
  ASSERT_EQ(admin("POST", "/v1/spends/" + first_id + "/refunds",
                  R"({"amount":"2","reason":"partly failed"})", "tmu-6")
                .status,
            200);
  auto got = admin("GET", "/v1/spends/" + first_id);
  EXPECT_EQ(str(got.json()["project"]), "launch") << got.body;

  // History: only the entries that name the member, the project, or both.
  auto history = [&](const std::string& query) {
    auto r = admin("GET", "/v1/accounts/tm-u/entries" + query);
    EXPECT_EQ(r.status, 200) << query << " -> " << r.body;
    std::vector<std::string> kinds;
    auto j = r.json();
    for (const auto& e : j["entries"].GetArray()) {
      std::string member = e.HasMember("member") ? str(e["member"]) : "";
      std::string project = e.HasMember("project") ? str(e["project"]) : "";
      kinds.push_back(str(e["kind"]) + ":" + member + ":" + project);
    }
    return kinds;
  };
  using V = std::vector<std::string>;
  EXPECT_EQ(history("?member=ana"), (V{"spend:ana:launch", "spend:ana:ads", "refund:ana:launch"}));
  EXPECT_EQ(history("?project=launch"), (V{"spend:ana:launch", "hold:olga:launch",
                                           "release:olga:launch", "refund:ana:launch"}));
  EXPECT_EQ(history("?member=olga&project=launch"), (V{"hold:olga:launch", "release:olga:launch"}));
  EXPECT_EQ(history("?member=nobody"), V{});
  EXPECT_EQ(history("?member=ana&limit=1").size(), 1u);

  // Usage for the day: taken, net of what came back.
  auto usage = admin("GET",
                     "/v1/accounts/tm-u/usage?from=2027-03-02T00:00:00Z"
                     "&to=2027-03-03T00:00:00Z");
  ASSERT_EQ(usage.status, 200) << usage.body;
  auto u = usage.json();
  EXPECT_EQ(str(u["used"]), "16") << usage.body;
  ASSERT_EQ(u["by_member"].Size(), 2u) << usage.body;
  EXPECT_EQ(str(u["by_member"][0]["member"]), "ana");
  EXPECT_EQ(str(u["by_member"][0]["used"]), "13");
  EXPECT_EQ(str(u["by_member"][1]["member"]), "olga");
  EXPECT_EQ(str(u["by_member"][1]["used"]), "3");
  ASSERT_EQ(u["by_project"].Size(), 2u) << usage.body;
  EXPECT_EQ(str(u["by_project"][0]["project"]), "ads");
  EXPECT_EQ(str(u["by_project"][0]["used"]), "5");
  EXPECT_EQ(str(u["by_project"][1]["project"]), "launch");
  EXPECT_EQ(str(u["by_project"][1]["used"]), "8");
  auto later = admin("GET",
                     "/v1/accounts/tm-u/usage?from=2027-03-03T00:00:00Z"
                     "&to=2027-03-04T00:00:00Z");
  ASSERT_EQ(later.status, 200) << later.body;
  EXPECT_EQ(str(later.json()["used"]), "0");
  EXPECT_EQ(later.json()["by_member"].Size(), 0u);

  // A personal account has no team usage; bad periods are refused.
  open("tm-up");
  auto personal = admin("GET",
                        "/v1/accounts/tm-up/usage?from=2027-03-02T00:00:00Z"
                        "&to=2027-03-03T00:00:00Z");
  EXPECT_EQ(personal.status, 400) << personal.body;
  EXPECT_EQ(type(personal), "invalid_request");
  for (const char* query :
       {"", "?from=2027-03-02T00:00:00Z", "?from=yesterday&to=2027-03-03T00:00:00Z",
        "?from=2027-03-03T00:00:00Z&to=2027-03-02T00:00:00Z"}) {
    auto r = admin("GET", std::string("/v1/accounts/tm-u/usage") + query);
    EXPECT_EQ(r.status, 400) << query << " -> " << r.body;
  }
  EXPECT_EQ(admin("GET",
                  "/v1/accounts/tm-none/usage?from=2027-03-02T00:00:00Z"
                  "&to=2027-03-03T00:00:00Z")
                .status,
            404);

  // Plans say how many members a team on them may have (0: no teams).
  auto plans = admin("GET", "/v1/plans");
  ASSERT_EQ(plans.status, 200);
  bool pro = false;
  const auto listed = plans.json();
  for (const auto& p : listed["plans"].GetArray()) {
    ASSERT_TRUE(p.HasMember("team_members")) << plans.body;
    if (str(p["id"]) == "pro") {
      pro = true;
      EXPECT_GT(p["team_members"].GetUint(), 0u);
    }
    if (str(p["id"]) == "free") {
      EXPECT_EQ(p["team_members"].GetUint(), 0u);
    }
  }
  EXPECT_TRUE(pro) << plans.body;
}

TEST_F(TeamsApi, BadTeamRequestsAreRefusedClearly) {
  auto personal = admin("POST", "/v1/accounts", R"({"id":"tm-p","owner":"olga"})", "tmp-1");
  EXPECT_EQ(personal.status, 400) << personal.body;
  auto no_owner = admin("POST", "/v1/accounts", R"({"id":"tm-q","kind":"team"})", "tmp-2");
  EXPECT_EQ(no_owner.status, 400) << no_owner.body;
  auto kind = admin("POST", "/v1/accounts", R"({"id":"tm-q","kind":"club","owner":"o"})", "tmp-3");
  EXPECT_EQ(kind.status, 400) << kind.body;
  auto plan = admin("POST", "/v1/accounts", R"({"id":"tm-q","kind":"team","owner":"o"})", "tmp-4");
  EXPECT_EQ(plan.status, 400) << plan.body;  // the default plan (free) has no teams
  open("tm-r");
  auto members = admin("POST", "/v1/accounts/tm-r/members", R"({"user":"ana"})", "tmp-5");
  EXPECT_EQ(members.status, 400) << members.body;
  EXPECT_EQ(admin("GET", "/v1/accounts/tm-r/budgets").status, 400);
  team("tm-s");
  for (const char* body :
       {R"({"id":"b","limit":"10","period":"P1M"})",                      // neither
        R"({"id":"b","member":"ana","limit":"10","period":"P2M"})",       // period
        R"({"id":"b","member":"ana","limit":"10","period":"P1M","mode":"x"})",
        R"({"id":"b","member":"ana","limit":"-1","period":"P1M"})",
        R"({"member":"ana","limit":"10","period":"P1M"})"}) {
    auto r = admin("POST", "/v1/accounts/tm-s/budgets", body);
    EXPECT_EQ(r.status, 400) << body << " -> " << r.body;
  }
  auto role = admin("PATCH", "/v1/accounts/tm-s/members/ana", R"({"role":"king"})");
  EXPECT_EQ(role.status, 400) << role.body;
}

// Budget events (docs/events.md "Budget events"): produced by the spend that causes them, in
// the account's feed once per period, with the budget's state that says so kept across a
// SIGKILL and restart (SQLite), and armed again in the next period.
TEST_F(TeamsApi, BudgetEventsAreInTheFeedOncePerPeriodAcrossAKill) {
  set_clock("2027-03-01T10:00:00Z");  // as the test before: the clock never goes back
  team("tm-e");
  auto made = admin("POST", "/v1/accounts/tm-e/budgets",
                    R"({"id":"ana-soft","member":"ana","limit":"30","period":"P1W",)"
                    R"("mode":"soft","alert_at":"20"})",
                    "tme-1");
  ASSERT_EQ(made.status, 201) << made.body;
  EXPECT_EQ(str(made.json()["alert_at"]), "20");
  EXPECT_FALSE(made.json()["threshold_reached"].GetBool());
  auto first = spend("tm-e", "ana", "25", "tme-2");  // past alert_at
  ASSERT_EQ(first.status, 201) << first.body;
  auto second = spend("tm-e", "ana", "10", "tme-3");  // past the limit
  ASSERT_EQ(second.status, 201) << second.body;
  EXPECT_EQ(spend("tm-e", "ana", "10", "tme-3").status, 201);  // a retry: no event
  auto feed = [&] {
    auto r =
        admin("GET", "/v1/accounts/tm-e/events?types=budget.threshold_reached,budget.exceeded");
    EXPECT_EQ(r.status, 200) << r.body;
    return r.json();
  };
  auto events = feed();
  ASSERT_EQ(events["events"].Size(), 2u);
  const auto& reached = events["events"][0];
  EXPECT_EQ(str(reached["type"]), "budget.threshold_reached");
  EXPECT_EQ(str(reached["account"]), "tm-e");
  EXPECT_EQ(str(reached["data"]["budget"]), "ana-soft");
  EXPECT_EQ(str(reached["data"]["debit"]), str(first.json()["id"]));
  EXPECT_EQ(str(reached["data"]["used"]), "25");
  EXPECT_EQ(str(reached["data"]["alert_at"]), "20");
  EXPECT_EQ(str(reached["data"]["period_end"]), "2027-03-08T00:00:00Z");  // a Monday
  const auto& exceeded = events["events"][1];
  EXPECT_EQ(str(exceeded["type"]), "budget.exceeded");
  EXPECT_EQ(str(exceeded["data"]["debit"]), str(second.json()["id"]));
  EXPECT_EQ(str(exceeded["data"]["used"]), "35");
  EXPECT_EQ(str(exceeded["data"]["limit"]), "30");
  EXPECT_EQ(exceeded["data"]["limit_micro"].GetInt64(), 30'000'000);

  server_->kill();
  server_->restart();
  client_ = std::make_unique<HttpClient>(server_->port());
  set_clock("2027-03-01T10:00:00Z");
  auto b = budget("tm-e", "ana-soft");
  EXPECT_TRUE(b["threshold_reached"].GetBool());
  EXPECT_TRUE(b["exceeded"].GetBool());
  EXPECT_EQ(str(b["alert_at"]), "20");
  EXPECT_EQ(feed()["events"].Size(), 2u);
  ASSERT_EQ(spend("tm-e", "ana", "5", "tme-4").status, 201);  // still this period: nothing
  EXPECT_EQ(feed()["events"].Size(), 2u);

  set_clock("2027-03-08T00:00:00Z");  // the next period arms both again (events are kept 30 days)
  ASSERT_EQ(spend("tm-e", "ana", "31", "tme-5").status, 201);
  events = feed();
  ASSERT_EQ(events["events"].Size(), 4u) << admin("GET", "/v1/accounts/tm-e/events").body;
  EXPECT_EQ(str(events["events"][3]["type"]), "budget.exceeded");
  EXPECT_EQ(str(events["events"][3]["data"]["period_end"]), "2027-03-15T00:00:00Z");
  auto off = admin("PATCH", "/v1/accounts/tm-e/budgets/ana-soft", R"({"alert_at":"0"})", "tme-6");
  ASSERT_EQ(off.status, 200) << off.body;
  EXPECT_TRUE(off.json()["alert_at"].IsNull());
  auto bad = admin("PATCH", "/v1/accounts/tm-e/budgets/ana-soft", R"({"alert_at":"-1"})", "tme-7");
  EXPECT_EQ(bad.status, 400) << bad.body;
}

}  // namespace
}  // namespace tally::testing
