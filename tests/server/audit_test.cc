// The audit trail (issue 21, docs/api.md "Audit trail"): over HTTP, a random sequence of changes
// made with several keys and end-user tokens (a team member's among them); GET /v1/audit names
// the credential and idempotency key of every change that was made, and of none that was
// refused or retried; admin actions (keys, token revocations, the clock, a reload) are there
// too; the filters and the cursor; the same trail after a restart; who may read it.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <random>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "tests/server/server_process.h"

namespace tally::testing {
namespace {

// A line of GET /v1/audit, as the fields this test checks.
struct Seen {
  std::string source, action, credential, key_id, token_id, member, idempotency_key, account,
      target, at;
  bool operator==(const Seen&) const = default;
};

std::string text_or_empty(const rapidjson::Value& v, const char* name) {
  return v.HasMember(name) && v[name].IsString() ? v[name].GetString() : "";
}

Seen seen(const rapidjson::Value& l) {
  Seen s;
  for (auto [field, name] : {std::pair{&Seen::source, "source"},
                             {&Seen::action, "action"},
                             {&Seen::credential, "credential"},
                             {&Seen::key_id, "key_id"},
                             {&Seen::token_id, "token_id"},
                             {&Seen::member, "member"},
                             {&Seen::idempotency_key, "idempotency_key"},
                             {&Seen::account, "account"},
                             {&Seen::target, "target"},
                             {&Seen::at, "at"}}) {
    s.*field = text_or_empty(l, name);
  }
  return s;
}

std::string default_config() {
  std::ifstream in(TALLY_SOURCE_DIR "/config/default.toml");
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

// Who sends a request: a key's secret and id, or a token's secret, id and member.
struct Caller {
  std::string secret, key_id, token_id, member, account;  // account: a token's own
  bool worker = false;
};

class Audit : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/tally-audit-XXXXXX";
    dir_ = ::mkdtemp(tmpl);
    config_ = dir_ + "/tally.toml";
    std::ofstream(config_) << default_config() << "\n[tokens]\nedit_alerts = true\n";
    ServerOptions o;
    o.config = config_;
    server_ = std::make_unique<ServerProcess>(o);
    client_ = std::make_unique<HttpClient>(server_->port());
    set_clock("2027-01-04T10:00:00Z");
  }
  void TearDown() override {
    EXPECT_EQ(server_->stop(), 0);
    server_.reset();
    std::filesystem::remove_all(dir_);
  }

  HttpReply as(const std::string& secret, const std::string& method, const std::string& path,
               const std::string& body = "", const std::string& key = "") {
    return send_as(*client_, secret, method, path, body, key);
  }
  HttpReply admin(const std::string& method, const std::string& path, const std::string& body = "",
                  const std::string& key = "") {
    return as(server_->admin_key(), method, path, body, key);
  }
  void set_clock(const std::string& t) {
    ASSERT_EQ(admin("POST", "/v1/admin/clock", R"({"now":")" + t + "\"}").status, 200);
  }
  Caller new_key(const std::string& name, const std::string& scope) {
    auto r = admin("POST", "/v1/keys", R"({"name":")" + name + R"(","scope":")" + scope + "\"}");
    EXPECT_EQ(r.status, 201) << r.body;
    auto j = r.json();
    return Caller{j["key"].GetString(), j["id"].GetString(), "", "", "", scope == "worker"};
  }
  Caller new_token(const std::string& account, const std::string& member = "") {
    auto r = admin(
        "POST", "/v1/accounts/" + account + "/tokens",
        member.empty() ? R"({"ttl_s":86400})" : R"({"ttl_s":86400,"member":")" + member + "\"}");
    EXPECT_EQ(r.status, 201) << r.body;
    auto j = r.json();
    return Caller{j["token"].GetString(), "", j["id"].GetString(), member, account};
  }
  // Every line of the trail with `query`, a page of `limit` at a time, following next_cursor.
  std::vector<Seen> trail(const std::string& query = "", int limit = 1000,
                          const std::string& secret = "") {
    std::vector<Seen> out;
    std::string cursor;
    for (int page = 0; page < 1000; ++page) {
      std::string path = "/v1/audit?limit=" + std::to_string(limit) + query;
      if (!cursor.empty()) path += "&cursor=" + cursor;
      auto r = as(secret.empty() ? server_->admin_key() : secret, "GET", path);
      EXPECT_EQ(r.status, 200) << r.body;
      if (r.status != 200) return out;
      auto j = r.json();
      EXPECT_LE(j["lines"].GetArray().Size(), static_cast<unsigned>(limit));
      for (const auto& l : j["lines"].GetArray()) out.push_back(seen(l));
      cursor = j["next_cursor"].GetString();
      if (!j["has_more"].GetBool()) return out;
    }
    ADD_FAILURE() << "the pages never ended";
    return out;
  }

  std::string dir_, config_;
  std::unique_ptr<ServerProcess> server_;
  std::unique_ptr<HttpClient> client_;
};

// One change the test made, as its audit line must say.
Seen change(const Caller& by, const std::string& key, const std::string& account,
            const std::string& action) {
  Seen s;
  s.source = "ledger";
  s.action = action;
  s.credential = by.key_id.empty() ? "token" : "key";
  s.key_id = by.key_id;
  s.token_id = by.token_id;
  s.member = by.member;
  s.idempotency_key = key;
  s.account = account;
  return s;
}

TEST_F(Audit, TheTrailNamesTheCredentialAndKeyOfEveryChangeInARandomSequence) {
  const Caller root{server_->admin_key(), "admin"};
  std::vector<Caller> keys = {root, new_key("svc-1", "service"), new_key("svc-2", "service"),
                              new_key("gpu", "worker")};
  std::vector<Seen> want;  // every change made, in the order made
  auto made = [&](const Caller& by, const HttpReply& r, const std::string& key,
                  const std::string& account, const std::string& action) {
    if (r.status / 100 == 2) want.push_back(change(by, key, account, action));
    return r;
  };
  const std::vector<std::string> accounts = {"u1", "u2", "u3"};
  for (const std::string& a : accounts) {
    made(root, admin("POST", "/v1/accounts", R"({"id":")" + a + "\"}", "open-" + a), "open-" + a, a,
         "open_account");
    made(root,
         admin("POST", "/v1/accounts/" + a + "/grants", R"({"amount":"500","reason":"t"})",
               "grant-" + a),
         "grant-" + a, a, "grant");
  }
  made(root,
       admin("POST", "/v1/accounts", R"({"id":"team","plan":"pro","kind":"team","owner":"olga"})",
             "open-team"),
       "open-team", "team", "open_account");
  ASSERT_EQ(want.size(), 7u) << "setup";
  const std::vector<Caller> tokens = {new_token("u1"), new_token("team", "olga")};

  const uint64_t seed = std::random_device{}();
  SCOPED_TRACE("seed " + std::to_string(seed));
  std::mt19937_64 rng(seed);
  std::vector<std::pair<std::string, std::string>> holds;  // id, account
  std::vector<std::pair<std::string, std::string>> spends;
  size_t refused = 0;
  for (int i = 0; i < 80; ++i) {
    const std::string key = "r" + std::to_string(i);
    if (i == 40) set_clock("2027-01-04T11:00:00Z");  // for the time filters below
    if (rng() % 6 == 0) {  // an end-user token changes its own account's alerts
      const Caller& t = tokens[rng() % tokens.size()];
      const std::string low = std::to_string(1 + rng() % 50);
      made(t,
           as(t.secret, "PUT", "/v1/accounts/" + t.account + "/alerts",
              R"({"low_balance":")" + low + "\"}", key),
           key, t.account, "set_alerts");
      continue;
    }
    const Caller& k = keys[rng() % keys.size()];
    const std::string a = accounts[rng() % accounts.size()];
    const std::string amount = std::to_string(1 + rng() % 40);
    switch (k.worker ? 1 + rng() % 3 : rng() % 5) {
      case 0: {  // a spend, sometimes far more than the account has: refused, no line
        const bool too_much = rng() % 5 == 0;
        auto r = made(
            k,
            as(k.secret, "POST", "/v1/spends",
               R"({"account":")" + a + R"(","amount":")" + (too_much ? "100000" : amount) + "\"}",
               key),
            key, a, "spend");
        if (r.status == 201) spends.emplace_back(r.json()["id"].GetString(), a);
        refused += r.status / 100 == 2 ? 0 : 1;
        break;
      }
      case 1: {
        auto r = made(k,
                      as(k.secret, "POST", "/v1/holds",
                         R"({"account":")" + a + R"(","amount":")" + amount + "\"}", key),
                      key, a, "place_hold");
        if (r.status == 201) holds.emplace_back(r.json()["id"].GetString(), a);
        break;
      }
      case 2:
      case 3: {
        if (holds.empty()) break;
        const auto [hold, account] = holds.back();
        holds.pop_back();
        const bool capture = rng() % 2 == 0;
        made(k,
             as(k.secret, "POST", "/v1/holds/" + hold + (capture ? "/capture" : "/release"), "{}",
                key),
             key, account, capture ? "capture" : "release");
        break;
      }
      default: {
        if (spends.empty()) break;
        const auto [spend, account] = spends[rng() % spends.size()];
        made(k,
             as(k.secret, "POST", "/v1/spends/" + spend + "/refunds",
                R"({"amount":"0.5","reason":"t"})", key),
             key, account, "refund");
        break;
      }
    }
  }
  // Each token changes something at least once, whatever the sequence drew.
  for (const Caller& t : tokens) {
    const std::string key = "t-" + t.token_id;
    made(
        t,
        as(t.secret, "PUT", "/v1/accounts/" + t.account + "/alerts", R"({"low_balance":"7"})", key),
        key, t.account, "set_alerts");
  }
  ASSERT_EQ(want.back().idempotency_key, "t-" + tokens[1].token_id) << "olga's change refused";
  // A retry answered from its first reply makes no second line.
  ASSERT_EQ(admin("POST", "/v1/accounts", R"({"id":"u1"})", "open-u1").status, 201);

  std::vector<Seen> all = trail();
  std::map<std::string, Seen> by_key;  // the ledger's lines by idempotency key
  std::vector<Seen> admin_lines;
  for (Seen s : all) {
    if (s.source == "admin") {
      admin_lines.push_back(s);
      continue;
    }
    EXPECT_EQ(s.source, "ledger");
    const std::string k = s.idempotency_key;
    s.at.clear();
    EXPECT_TRUE(by_key.emplace(k, s).second) << "two lines for key " << k;
  }
  EXPECT_EQ(by_key.size(), want.size()) << refused << " refused";
  for (const Seen& w : want) {
    auto it = by_key.find(w.idempotency_key);
    ASSERT_NE(it, by_key.end()) << "no line for " << w.idempotency_key;
    EXPECT_EQ(it->second, w) << w.idempotency_key;
  }

  // Admin actions: three keys created, the clock set twice, each by the admin key.
  std::multiset<std::string> actions;
  for (const Seen& s : admin_lines) {
    actions.insert(s.action);
    EXPECT_EQ(s.key_id, "admin");
    EXPECT_EQ(s.credential, "key");
    EXPECT_EQ(s.idempotency_key, "");
  }
  EXPECT_EQ(actions.count("create_key"), 3u);
  EXPECT_EQ(actions.count("set_clock"), 2u);

  // Paged 7 at a time, the same lines in the same order.
  EXPECT_EQ(trail("", 7), all);
  // Filters: by key, by token, by account, by time.
  const std::string svc = keys[1].key_id;
  std::vector<Seen> of_svc;
  for (const Seen& s : all) {
    if (s.key_id == svc) of_svc.push_back(s);
  }
  EXPECT_EQ(trail("&key=" + svc, 5), of_svc);
  std::vector<Seen> of_olga, of_u2, late, early;
  for (const Seen& s : all) {
    if (s.token_id == tokens[1].token_id) of_olga.push_back(s);
    if (s.account == "u2") of_u2.push_back(s);
    (s.at >= "2027-01-04T11:00:00Z" ? late : early).push_back(s);
  }
  EXPECT_EQ(trail("&key=" + tokens[1].token_id), of_olga);
  for (const Seen& s : of_olga) EXPECT_EQ(s.member, "olga");
  EXPECT_EQ(trail("&account=u2", 3), of_u2);
  EXPECT_EQ(trail("&from=2027-01-04T11:00:00Z"), late);
  EXPECT_EQ(trail("&to=2027-01-04T11:00:00Z"), early);
  EXPECT_FALSE(late.empty());
  EXPECT_FALSE(early.empty());

  // The same trail after a restart: each line was durable with its change.
  server_->restart();
  client_ = std::make_unique<HttpClient>(server_->port());
  EXPECT_EQ(trail(), all);
}

TEST_F(Audit, AdminActionsAreAuditedAndRefusalsAreNot) {
  const Caller svc = new_key("svc", "service");
  const Caller worker = new_key("gpu", "worker");
  ASSERT_EQ(admin("POST", "/v1/keys/" + svc.key_id + "/rotate", R"({"overlap_s":60})").status, 200);
  ASSERT_EQ(admin("DELETE", "/v1/keys/" + worker.key_id).status, 200);
  ASSERT_EQ(admin("POST", "/v1/accounts", R"({"id":"u"})", "open-u").status, 201);
  const Caller token = new_token("u");
  ASSERT_EQ(as(svc.secret, "POST", "/v1/accounts/u/tokens/revoke",
               R"({"token_id":")" + token.token_id + "\"}")
                .status,
            200);
  auto reload = admin("POST", "/v1/admin/reload", "{}");
  ASSERT_EQ(reload.status, 200) << reload.body;
  // Refused: nothing changed, no line (an unknown key, a clock that goes back, a spend of
  // credits the account does not have).
  EXPECT_EQ(admin("DELETE", "/v1/keys/key_0000000000000000").status, 404);
  EXPECT_EQ(admin("POST", "/v1/admin/clock", R"({"now":"2026-01-01T00:00:00Z"})").status, 400);
  EXPECT_EQ(admin("POST", "/v1/spends", R"({"account":"u","amount":"100000"})", "too-much").status,
            402);

  std::vector<Seen> lines;
  for (Seen s : trail()) {
    s.at.clear();
    if (s.source == "admin") lines.push_back(s);
  }
  auto action = [](std::string name, std::string key_id, std::string account, std::string target) {
    Seen s;
    s.source = "admin";
    s.action = std::move(name);
    s.credential = "key";
    s.key_id = std::move(key_id);
    s.account = std::move(account);
    s.target = std::move(target);
    return s;
  };
  const std::vector<Seen> want = {action("set_clock", "admin", "", "2027-01-04T10:00:00Z"),
                                  action("create_key", "admin", "", svc.key_id),
                                  action("create_key", "admin", "", worker.key_id),
                                  action("rotate_key", "admin", "", svc.key_id),
                                  action("revoke_key", "admin", "", worker.key_id),
                                  action("revoke_tokens", svc.key_id, "u", token.token_id),
                                  action("reload", "admin", "", config_)};
  EXPECT_EQ(lines, want);
  // The ledger's lines: the opening only (the refused spend has none).
  std::vector<Seen> ledger;
  for (const Seen& s : trail()) {
    if (s.source == "ledger") ledger.push_back(s);
  }
  ASSERT_EQ(ledger.size(), 1u);
  EXPECT_EQ(ledger[0].action, "open_account");

  // Who may read it: an admin or service key; not a worker key or a token.
  EXPECT_EQ(as(svc.secret, "GET", "/v1/audit").status, 200);
  const Caller w2 = new_key("gpu-2", "worker");
  EXPECT_EQ(as(w2.secret, "GET", "/v1/audit").status, 403);
  const Caller t2 = new_token("u");
  EXPECT_EQ(as(t2.secret, "GET", "/v1/audit").status, 403);
  EXPECT_EQ(client_->send("GET", "/v1/audit").status, 401);
  // Bad queries are 400.
  for (const char* q :
       {"?limit=0", "?limit=1001", "?from=yesterday", "?cursor=1.2", "?account=a%20b",
        "?from=2027-01-05T00:00:00Z&to=2027-01-04T00:00:00Z", "?what=1"}) {
    EXPECT_EQ(admin("GET", std::string("/v1/audit") + q).status, 400) << q;
  }
}

}  // namespace
}  // namespace tally::testing
