// Tokens for team members (issue 17, docs/api.md "Tokens for team members"): an end-user token
// that names a member of a team account reads what the member's role allows now (an owner or
// admin everything the account's own token reads; a member or viewer the team's balance, its
// own history, its own entry in the members and the budgets that bind it), follows role
// changes at the next request, stops at the member's removal, and never reads another account.
#include <string>

#include "tests/server/api_suite.h"

namespace tally::testing {
namespace {

std::string str(const rapidjson::Value& v) {
  return v.IsString() ? v.GetString() : "(not text)";
}

class TeamTokens : public Api {
 protected:
  // Team `id` on plan pro, owned by olga, with ana a member, vic a viewer and adam an admin;
  // a budget for ana, one for bo and one for the project "launch"; ana and olga each spent.
  void team(const std::string& id) {
    auto r =
        admin("POST", "/v1/accounts",
              R"({"id":")" + id + R"(","plan":"pro","kind":"team","owner":"olga"})", "open-" + id);
    ASSERT_EQ(r.status, 201) << r.body;
    for (const auto& [user, role] : {std::pair{"ana", "member"}, std::pair{"vic", "viewer"},
                                     std::pair{"adam", "admin"}, std::pair{"bo", "member"}}) {
      auto m = admin("POST", "/v1/accounts/" + id + "/members",
                     std::string(R"({"user":")") + user + R"(","role":")" + role + "\"}",
                     "member-" + id + "-" + user);
      ASSERT_EQ(m.status, 201) << m.body;
    }
    for (const auto& [budget, field] :
         {std::pair{"b-ana", R"("member":"ana")"}, std::pair{"b-bo", R"("member":"bo")"},
          std::pair{"b-launch", R"("project":"launch")"}}) {
      auto b = admin(
          "POST", "/v1/accounts/" + id + "/budgets",
          std::string(R"({"id":")") + budget + "\"," + field + R"(,"limit":"100","period":"P1M"})",
          "budget-" + id + "-" + budget);
      ASSERT_EQ(b.status, 201) << b.body;
    }
    ASSERT_EQ(admin("POST", "/v1/spends",
                    R"({"account":")" + id + R"(","amount":"3","member":"ana"})", id + "-s-ana")
                  .status,
              201);
    ASSERT_EQ(admin("POST", "/v1/spends",
                    R"({"account":")" + id + R"(","amount":"4","member":"olga"})", id + "-s-olga")
                  .status,
              201);
  }
  // A token of `member` of team `id`.
  std::string token(const std::string& id, const std::string& member) {
    auto r = admin("POST", "/v1/accounts/" + id + "/tokens", R"({"member":")" + member + "\"}");
    EXPECT_EQ(r.status, 201) << r.body;
    auto j = r.json();
    EXPECT_EQ(str(j["member"]), member);
    return str(j["token"]);
  }
  // The `field` of each item of the list at `path` (`list` its key), as a token sees them.
  std::string seen(const std::string& t, const std::string& path, const char* list,
                   const char* field) {
    auto r = as(t, "GET", path);
    EXPECT_EQ(r.status, 200) << r.body;
    std::string out;
    const auto j = r.json();
    for (const auto& item : j[list].GetArray()) out += str(item[field]) + " ";
    return out;
  }
  std::string members_seen(const std::string& t, const std::string& id) {
    return seen(t, "/v1/accounts/" + id + "/members", "members", "user");
  }
  std::string budgets_seen(const std::string& t, const std::string& id) {
    return seen(t, "/v1/accounts/" + id + "/budgets", "budgets", "id");
  }
};

TEST_F(TeamTokens, AMemberReadsTheBalanceItsOwnEntryAndTheBudgetsThatBindIt) {
  team("tt-a");
  const std::string ana = token("tt-a", "ana");
  auto account = as(ana, "GET", "/v1/accounts/tt-a");
  ASSERT_EQ(account.status, 200) << account.body;
  EXPECT_EQ(str(account.json()["balance"]["available"]), available("tt-a"));
  EXPECT_EQ(as(ana, "GET", "/v1/accounts/tt-a/balance").status, 200);
  EXPECT_EQ(members_seen(ana, "tt-a"), "ana ");
  // Its own budget and the project's (which binds every member), not bo's.
  EXPECT_EQ(budgets_seen(ana, "tt-a"), "b-ana b-launch ");
  EXPECT_EQ(as(ana, "GET", "/v1/accounts/tt-a/budgets/b-ana").status, 200);
  EXPECT_EQ(as(ana, "GET", "/v1/accounts/tt-a/budgets/b-bo").status, 404);
  auto other = as(ana, "GET", "/v1/accounts/tt-a/budgets?member=bo");
  EXPECT_EQ(other.status, 403) << other.body;
  EXPECT_EQ(type(other), "forbidden");
  // What is the team's and not its own: another's history, events, settings.
  EXPECT_EQ(type(as(ana, "GET", "/v1/accounts/tt-a/entries?member=olga")), "forbidden");
  for (const char* path :
       {"/v1/accounts/tt-a/events", "/v1/accounts/tt-a/alerts", "/v1/accounts/tt-a/auto_topup"}) {
    auto r = as(ana, "GET", path);
    EXPECT_EQ(r.status, 403) << path << " " << r.body;
    EXPECT_NE(r.body.find("role member"), std::string::npos) << r.body;
  }
  auto change = as(ana, "PUT", "/v1/accounts/tt-a/alerts", R"({"low_balance":"5"})", "tt-a-al");
  EXPECT_EQ(change.status, 403) << change.body;
  // A viewer reads as a member does.
  const std::string vic = token("tt-a", "vic");
  EXPECT_EQ(members_seen(vic, "tt-a"), "vic ");
  EXPECT_EQ(budgets_seen(vic, "tt-a"), "b-launch ");
}

TEST_F(TeamTokens, AMembersHistoryIsItsOwn) {
  team("tt-h");
  const std::string ana = token("tt-h", "ana");
  auto mine = as(ana, "GET", "/v1/accounts/tt-h/entries");
  ASSERT_EQ(mine.status, 200) << mine.body;
  auto j = mine.json();
  ASSERT_GT(j["entries"].Size(), 0u) << mine.body;
  for (const auto& e : j["entries"].GetArray()) {
    ASSERT_TRUE(e.HasMember("member")) << mine.body;
    EXPECT_EQ(str(e["member"]), "ana") << mine.body;
  }
  // Its usage is its own: 3 spent by ana, not olga's 4.
  auto usage = as(ana, "GET",
                  "/v1/accounts/tt-h/usage?from=2027-01-01T00:00:00Z&to=2028-01-01T00:00:00Z");
  ASSERT_EQ(usage.status, 200) << usage.body;
  auto u = usage.json();
  EXPECT_EQ(str(u["used"]), "3") << usage.body;
  ASSERT_EQ(u["by_member"].Size(), 1u) << usage.body;
  EXPECT_EQ(str(u["by_member"][0]["member"]), "ana") << usage.body;
  // The owner's token reads every member's entries.
  const std::string olga = token("tt-h", "olga");
  auto all = as(olga, "GET", "/v1/accounts/tt-h/entries");
  ASSERT_EQ(all.status, 200) << all.body;
  EXPECT_GT(all.json()["entries"].Size(), j["entries"].Size()) << all.body;
}

TEST_F(TeamTokens, OwnersAndAdminsReadEverythingAndChangesFollowTheRoleNow) {
  team("tt-b");
  const std::string adam = token("tt-b", "adam");
  EXPECT_EQ(members_seen(adam, "tt-b"), "olga ana vic adam bo ");
  EXPECT_EQ(budgets_seen(adam, "tt-b"), "b-ana b-bo b-launch ");
  EXPECT_EQ(as(adam, "GET", "/v1/accounts/tt-b/events").status, 200);
  EXPECT_EQ(as(adam, "GET", "/v1/accounts/tt-b/alerts").status, 200);
  // Made a member: the same token sees its own only, at the next request.
  ASSERT_EQ(
      admin("PATCH", "/v1/accounts/tt-b/members/adam", R"({"role":"member"})", "tt-b-r1").status,
      200);
  EXPECT_EQ(members_seen(adam, "tt-b"), "adam ");
  EXPECT_EQ(as(adam, "GET", "/v1/accounts/tt-b/events").status, 403);
  // Removed: its token reads nothing, not even the balance.
  ASSERT_EQ(admin("DELETE", "/v1/accounts/tt-b/members/adam", "", "tt-b-r2").status, 200);
  auto gone = as(adam, "GET", "/v1/accounts/tt-b");
  EXPECT_EQ(gone.status, 403) << gone.body;
  EXPECT_EQ(type(gone), "not_a_member");
  // Added again: the token works again, as the new role says.
  ASSERT_EQ(
      admin("POST", "/v1/accounts/tt-b/members", R"({"user":"adam","role":"viewer"})", "tt-b-r3")
          .status,
      201);
  EXPECT_EQ(as(adam, "GET", "/v1/accounts/tt-b").status, 200);
  // Never another account, whatever the role.
  open("tt-other");
  EXPECT_EQ(type(as(token("tt-b", "olga"), "GET", "/v1/accounts/tt-other")), "forbidden");
}

TEST_F(TeamTokens, ATokenNamesACurrentMemberOfATeamAccount) {
  team("tt-c");
  auto stranger = admin("POST", "/v1/accounts/tt-c/tokens", R"({"member":"zed"})");
  EXPECT_EQ(stranger.status, 403) << stranger.body;
  EXPECT_EQ(type(stranger), "not_a_member");
  open("tt-personal");
  auto personal = admin("POST", "/v1/accounts/tt-personal/tokens", R"({"member":"ana"})");
  EXPECT_EQ(personal.status, 400) << personal.body;
  EXPECT_NE(personal.body.find("not a team account"), std::string::npos) << personal.body;
  auto bad = admin("POST", "/v1/accounts/tt-c/tokens", R"({"member":"a b"})");
  EXPECT_EQ(bad.status, 400) << bad.body;
  // The account's own token (no member) reads all of it, as before.
  auto own = admin("POST", "/v1/accounts/tt-c/tokens", "{}");
  ASSERT_EQ(own.status, 201) << own.body;
  EXPECT_TRUE(own.json()["member"].IsNull()) << own.body;
  EXPECT_EQ(members_seen(str(own.json()["token"]), "tt-c"), "olga ana vic adam bo ");
  // A member token is a token: revoking the account's tokens revokes it.
  const std::string ana = token("tt-c", "ana");
  ASSERT_EQ(admin("POST", "/v1/accounts/tt-c/tokens/revoke", R"({"all":true})").status, 200);
  EXPECT_EQ(as(ana, "GET", "/v1/accounts/tt-c").status, 401);
}

using AccountKinds = Api;

TEST_F(AccountKinds, TheAccountListFindsTeamsOrPersonalAccounts) {
  ASSERT_EQ(admin("POST", "/v1/accounts",
                  R"({"id":"kind-t1","plan":"pro","kind":"team","owner":"o"})", "open-kind-t1")
                .status,
            201);
  open("kind-p1");
  auto ids = [&](const std::string& query) {
    auto r = admin("GET", "/v1/accounts?prefix=kind-" + query);
    EXPECT_EQ(r.status, 200) << r.body;
    std::string out;
    const auto j = r.json();
    for (const auto& a : j["accounts"].GetArray()) out += str(a["id"]) + " ";
    return out;
  };
  EXPECT_EQ(ids(""), "kind-p1 kind-t1 ");
  EXPECT_EQ(ids("&kind=team"), "kind-t1 ");
  EXPECT_EQ(ids("&kind=personal"), "kind-p1 ");
  auto bad = admin("GET", "/v1/accounts?kind=group");
  EXPECT_EQ(bad.status, 400) << bad.body;
  EXPECT_NE(bad.body.find("'kind' must be team or personal"), std::string::npos) << bad.body;
}

}  // namespace
}  // namespace tally::testing
