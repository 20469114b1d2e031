// What an end user may change (issue 18, docs/api.md "What end users may change"): with
// [tokens] edit_alerts and edit_auto_topup, an end-user token changes its own account's alert
// settings and auto top-up, within auto_topup_packs and auto_topup_below_max; never another
// account's; and without the switch (the default, or after a reload that turns it off) it is
// refused with 403 editing_not_allowed. The replies say whether the caller may change them.
#include <gtest/gtest.h>
#include <unistd.h>

#include <fstream>
#include <memory>
#include <sstream>
#include <string>

#include "tests/server/server_process.h"

namespace tally::testing {
namespace {

const char* k_allowed = R"([tokens]
edit_alerts = true
edit_auto_topup = true
auto_topup_packs = ["small"]
auto_topup_below_max = 50
)";

std::string default_config() {
  std::ifstream in(TALLY_SOURCE_DIR "/config/default.toml");
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

std::string type_of(const HttpReply& r) {
  auto d = r.json();
  return d.HasMember("type") ? d["type"].GetString() : "";
}

class TokenSettings : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/tally-token-settings-XXXXXX";
    config_ = std::string(::mkdtemp(tmpl)) + "/tally.toml";
    write_config(k_allowed);
    ServerOptions o;
    o.config = config_;
    server_ = std::make_unique<ServerProcess>(o);
    client_ = std::make_unique<HttpClient>(server_->port());
    for (const char* id : {"mine", "theirs"}) {
      ASSERT_EQ(admin("POST", "/v1/accounts", cat_id(id), std::string("open-") + id).status, 201);
    }
    auto t = admin("POST", "/v1/accounts/mine/tokens", "{}");
    ASSERT_EQ(t.status, 201) << t.body;
    token_ = t.json()["token"].GetString();
  }
  void TearDown() override { EXPECT_EQ(server_->stop(), 0); }

  static std::string cat_id(const char* id) { return std::string(R"({"id":")") + id + "\"}"; }
  void write_config(const std::string& tokens) {
    std::ofstream(config_) << default_config() << "\n" << tokens << "\n";
  }
  HttpReply as(const std::string& secret, const std::string& method, const std::string& path,
               const std::string& body = "", const std::string& key = "") {
    return send_as(*client_, secret, method, path, body, key);
  }
  HttpReply admin(const std::string& method, const std::string& path, const std::string& body = "",
                  const std::string& key = "") {
    return as(server_->admin_key(), method, path, body, key);
  }
  HttpReply user(const std::string& method, const std::string& path, const std::string& body = "",
                 const std::string& key = "") {
    return as(token_, method, path, body, key);
  }

  std::string config_;
  std::unique_ptr<ServerProcess> server_;
  std::unique_ptr<HttpClient> client_;
  std::string token_;
};

TEST_F(TokenSettings, ATokenChangesItsOwnAlertsAndAutoTopupWithinTheLimits) {
  auto alerts = user("GET", "/v1/accounts/mine/alerts");
  ASSERT_EQ(alerts.status, 200) << alerts.body;
  EXPECT_TRUE(alerts.json()["editable"].GetBool());
  EXPECT_TRUE(user("GET", "/v1/accounts/mine/auto_topup").json()["editable"].GetBool());

  auto set = user("PUT", "/v1/accounts/mine/alerts", R"({"low_balance":"12"})", "u-1");
  ASSERT_EQ(set.status, 200) << set.body;
  EXPECT_STREQ(set.json()["low_balance"].GetString(), "12");
  EXPECT_STREQ(set.json()["low_balance_from"].GetString(), "account");
  EXPECT_STREQ(admin("GET", "/v1/accounts/mine/alerts").json()["low_balance"].GetString(), "12");

  // Never another account's.
  auto other = user("PUT", "/v1/accounts/theirs/alerts", R"({"low_balance":"1"})", "u-2");
  EXPECT_EQ(other.status, 403) << other.body;
  EXPECT_EQ(type_of(other), "forbidden");
  EXPECT_EQ(user("DELETE", "/v1/accounts/theirs/auto_topup", "", "u-3").status, 403);
  EXPECT_TRUE(admin("GET", "/v1/accounts/theirs/alerts").json()["low_balance"].IsNull());

  auto topup = user("PUT", "/v1/accounts/mine/auto_topup",
                    R"({"below":"20","pack":"small","currency":"USD"})", "u-4");
  ASSERT_EQ(topup.status, 200) << topup.body;
  EXPECT_TRUE(topup.json()["enabled"].GetBool());
  // Within the limits only: a pack the platform does not offer to end users, a threshold
  // above the cap.
  auto pack = user("PUT", "/v1/accounts/mine/auto_topup",
                   R"({"below":"20","pack":"medium","currency":"USD"})", "u-5");
  EXPECT_EQ(pack.status, 403) << pack.body;
  EXPECT_EQ(type_of(pack), "editing_not_allowed");
  EXPECT_NE(pack.body.find("small"), std::string::npos) << pack.body;
  auto high = user("PUT", "/v1/accounts/mine/auto_topup",
                   R"({"below":"60","pack":"small","currency":"USD"})", "u-6");
  EXPECT_EQ(high.status, 403) << high.body;
  EXPECT_EQ(type_of(high), "editing_not_allowed");
  EXPECT_NE(high.body.find("50"), std::string::npos) << high.body;
  // A key is not bound by them.
  EXPECT_EQ(admin("PUT", "/v1/accounts/mine/auto_topup",
                  R"({"below":"60","pack":"medium","currency":"USD"})", "a-1")
                .status,
            200);
  auto off = user("DELETE", "/v1/accounts/mine/auto_topup", "", "u-7");
  ASSERT_EQ(off.status, 200) << off.body;
  EXPECT_FALSE(off.json()["enabled"].GetBool());
}

TEST_F(TokenSettings, WithoutTheSwitchATokenIsRefusedAndAReloadAppliesItAtOnce) {
  ASSERT_EQ(user("PUT", "/v1/accounts/mine/alerts", R"({"low_balance":"5"})", "r-1").status, 200);
  write_config("[tokens]\nedit_auto_topup = true\n");  // alerts: no longer
  auto reload = admin("POST", "/v1/admin/reload");
  ASSERT_EQ(reload.status, 200) << reload.body;
  const auto outcome = reload.json();
  for (const auto& section : outcome["restart_required"].GetArray()) {
    EXPECT_STRNE(section.GetString(), "tokens") << "a reload applies [tokens] at once";
  }
  auto refused = user("PUT", "/v1/accounts/mine/alerts", R"({"low_balance":"6"})", "r-2");
  EXPECT_EQ(refused.status, 403) << refused.body;
  EXPECT_EQ(type_of(refused), "editing_not_allowed");
  EXPECT_NE(refused.body.find("edit_alerts"), std::string::npos) << refused.body;
  EXPECT_FALSE(user("GET", "/v1/accounts/mine/alerts").json()["editable"].GetBool());
  EXPECT_TRUE(admin("GET", "/v1/accounts/mine/alerts").json()["editable"].GetBool());
  EXPECT_STREQ(admin("GET", "/v1/accounts/mine/alerts").json()["low_balance"].GetString(), "5");
  // Any pack, any threshold now: no limits are configured.
  EXPECT_EQ(user("PUT", "/v1/accounts/mine/auto_topup",
                 R"({"below":"500","pack":"medium","currency":"USD"})", "r-3")
                .status,
            200);
  write_config("");  // the default: tokens only read
  ASSERT_EQ(admin("POST", "/v1/admin/reload").status, 200);
  auto off = user("DELETE", "/v1/accounts/mine/auto_topup", "", "r-4");
  EXPECT_EQ(off.status, 403) << off.body;
  EXPECT_EQ(type_of(off), "editing_not_allowed");
  EXPECT_FALSE(user("GET", "/v1/accounts/mine/auto_topup").json()["editable"].GetBool());
  EXPECT_TRUE(admin("GET", "/v1/accounts/mine/auto_topup").json()["enabled"].GetBool());
}

}  // namespace
}  // namespace tally::testing
