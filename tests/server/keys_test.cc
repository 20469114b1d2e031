// Keys and tokens an operator can manage (issue 21): listing, revocation (in force for the
// very next request, also inside /v1/batch), rotation with an overlap, expiry, the scopes
// admin, service, worker and read, token revocation by id and by account, the admin key
// rotated without a restart, everything kept across a restart, and keys.db of before
// migrations read as it was.
#include <openssl/evp.h>
#include <sqlite3.h>

#include <filesystem>
#include <string>

#include "tests/server/api_suite.h"

namespace tally::testing {
namespace {

std::string field(const HttpReply& r, const char* name) {
  auto j = r.json();
  EXPECT_TRUE(j.IsObject() && j.HasMember(name) && j[name].IsString()) << name << " in " << r.body;
  return j.IsObject() && j.HasMember(name) && j[name].IsString() ? j[name].GetString() : "";
}

// {"requests":[...]} of GET/DELETE requests without bodies.
std::string batch_of(std::initializer_list<std::pair<std::string, std::string>> requests) {
  std::string out = R"({"requests":[)";
  for (const auto& [method, path] : requests) {
    if (out.back() != '[') out += ",";
    out += R"({"method":")" + method + R"(","path":")" + path + "\"}";
  }
  return out + "]}";
}

std::vector<int> inner_statuses(const HttpReply& r) {
  std::vector<int> out;
  auto j = r.json();
  for (const auto& a : j["responses"].GetArray()) out.push_back(a["status"].GetInt());
  return out;
}

using Keys = Api;

TEST_F(Keys, ListShowsEveryKeyWithItsFieldsAndNoSecret) {
  auto k = admin("POST", "/v1/keys",
                 R"({"name":"pipeline","scope":"worker","expires_at":"2030-01-01T00:00:00Z"})");
  ASSERT_EQ(k.status, 201) << k.body;
  const std::string id = field(k, "id");
  EXPECT_EQ(field(k, "scope"), "worker");
  EXPECT_EQ(field(k, "expires_at"), "2030-01-01T00:00:00Z");
  EXPECT_TRUE(field(k, "key").starts_with("tk_wrk_"));

  auto l = admin("GET", "/v1/keys");
  ASSERT_EQ(l.status, 200) << l.body;
  EXPECT_EQ(l.body.find(field(k, "key")), std::string::npos) << "a secret in the list";
  EXPECT_EQ(l.body.find("\"key\""), std::string::npos) << l.body;
  auto j = l.json();
  bool seen_admin = false, seen_new = false;
  for (const auto& key : j["keys"].GetArray()) {
    const std::string kid = key["id"].GetString();
    for (const char* f : {"name", "scope", "created_at", "expires_at", "last_used_at"}) {
      EXPECT_TRUE(key.HasMember(f)) << f << " in " << l.body;
    }
    if (kid == "admin") {
      seen_admin = true;
      EXPECT_EQ(std::string(key["scope"].GetString()), "admin");
      EXPECT_TRUE(key["last_used_at"].IsString()) << "the admin key was used: " << l.body;
    }
    if (kid == id) {
      seen_new = true;
      EXPECT_EQ(std::string(key["name"].GetString()), "pipeline");
      EXPECT_TRUE(key["last_used_at"].IsNull()) << "never used yet: " << l.body;
    }
  }
  EXPECT_TRUE(seen_admin && seen_new) << l.body;

  // Used once: its last use shows at once (kept in memory, written to keys.db later).
  EXPECT_EQ(as(field(k, "key"), "POST", "/v1/quotes", R"({"tool":"upscale"})").status, 200);
  auto again = admin("GET", "/v1/keys").json();
  for (const auto& key : again["keys"].GetArray()) {
    if (std::string(key["id"].GetString()) == id) {
      EXPECT_EQ(std::string(key["last_used_at"].GetString()), "2027-01-04T10:00:00Z");
    }
  }
}

TEST_F(Keys, ARevokedKeyIsRefusedAtOnce) {
  open("rk-1");
  auto k = admin("POST", "/v1/keys", R"({"name":"backend"})");
  ASSERT_EQ(k.status, 201) << k.body;
  const std::string secret = field(k, "key"), id = field(k, "id");
  EXPECT_EQ(as(secret, "GET", "/v1/accounts/rk-1").status, 200);

  auto d = admin("DELETE", "/v1/keys/" + id);
  ASSERT_EQ(d.status, 200) << d.body;
  EXPECT_EQ(field(d, "revoked_at"), "2027-01-04T10:00:00Z");
  auto r = as(secret, "GET", "/v1/accounts/rk-1");
  EXPECT_EQ(r.status, 401) << r.body;
  EXPECT_EQ(type(r), "unauthorized");
  EXPECT_EQ(as(secret, "POST", "/v1/batch", batch_of({{"GET", "/v1/accounts/rk-1"}})).status, 401);
  EXPECT_EQ(admin("GET", "/v1/keys").body.find(id), std::string::npos) << "still listed";
  EXPECT_EQ(admin("DELETE", "/v1/keys/" + id).status, 404) << "revoked twice";
  EXPECT_EQ(admin("DELETE", "/v1/keys/key_0000000000000000").status, 404);
  auto a = admin("DELETE", "/v1/keys/admin");
  EXPECT_EQ(a.status, 400) << a.body;
  EXPECT_NE(a.body.find("rotate"), std::string::npos) << a.body;
}

TEST_F(Keys, ARevocationInsideABatchHoldsForTheRestOfTheBatch) {
  open("rk-2");
  auto k = admin("POST", "/v1/keys", R"({"name":"second admin","scope":"admin"})");
  ASSERT_EQ(k.status, 201) << k.body;
  const std::string secret = field(k, "key"), id = field(k, "id");
  auto b = as(secret, "POST", "/v1/batch",
              batch_of({{"GET", "/v1/accounts/rk-2"},
                        {"DELETE", "/v1/keys/" + id},
                        {"GET", "/v1/accounts/rk-2"},
                        {"GET", "/v1/keys"}}));
  ASSERT_EQ(b.status, 200) << b.body;
  EXPECT_EQ(inner_statuses(b), (std::vector<int>{200, 200, 401, 401})) << b.body;
  EXPECT_EQ(as(secret, "GET", "/v1/accounts/rk-2").status, 401);
}

TEST_F(Keys, ScopesLimitWhatAKeyMayCall) {
  open("sc-1", "50");
  auto w = admin("POST", "/v1/keys", R"({"name":"gpu worker","scope":"worker"})");
  auto r = admin("POST", "/v1/keys", R"({"name":"reporting","scope":"read"})");
  ASSERT_EQ(w.status, 201) << w.body;
  ASSERT_EQ(r.status, 201) << r.body;
  const std::string worker = field(w, "key"), reader = field(r, "key");

  // A worker quotes, holds, captures and releases; nothing else.
  EXPECT_EQ(as(worker, "POST", "/v1/quotes", R"({"tool":"upscale"})").status, 200);
  auto h = as(worker, "POST", "/v1/holds", R"({"account":"sc-1","amount":"5"})", "sc-h1");
  ASSERT_EQ(h.status, 201) << h.body;
  const std::string hold = field(h, "id");
  EXPECT_EQ(as(worker, "GET", "/v1/holds/" + hold).status, 200);
  EXPECT_EQ(
      as(worker, "POST", "/v1/holds/" + hold + "/capture", R"({"amount":"2"})", "sc-c1").status,
      200);
  auto h2 = as(worker, "POST", "/v1/holds", R"({"account":"sc-1","amount":"1"})", "sc-h2");
  ASSERT_EQ(h2.status, 201) << h2.body;
  EXPECT_EQ(as(worker, "POST", "/v1/holds/" + field(h2, "id") + "/release", "{}", "sc-r1").status,
            200);
  for (auto [method, path, body] : std::vector<std::tuple<std::string, std::string, std::string>>{
           {"GET", "/v1/accounts/sc-1", ""},
           {"POST", "/v1/spends", R"({"account":"sc-1","amount":"1"})"},
           {"POST", "/v1/accounts", R"({"id":"sc-x"})"},
           {"POST", "/v1/accounts/sc-1/tokens", "{}"},
           {"GET", "/v1/keys", ""}}) {
    auto x = as(worker, method, path, body, "sc-w-" + path);
    EXPECT_EQ(x.status, 403) << method << " " << path << ": " << x.body;
  }
  // A read key reads (GET) what a service key may read; it changes nothing.
  EXPECT_EQ(as(reader, "GET", "/v1/accounts/sc-1").status, 200);
  EXPECT_EQ(as(reader, "GET", "/v1/accounts/sc-1/entries").status, 200);
  EXPECT_EQ(as(reader, "GET", "/v1/holds/" + hold).status, 200);
  for (auto [method, path, body] : std::vector<std::tuple<std::string, std::string, std::string>>{
           {"POST", "/v1/quotes", R"({"tool":"upscale"})"},
           {"POST", "/v1/holds", R"({"account":"sc-1","amount":"1"})"},
           {"POST", "/v1/accounts/sc-1/tokens", "{}"},
           {"GET", "/v1/keys", ""}}) {
    auto x = as(reader, method, path, body, "sc-r-" + path);
    EXPECT_EQ(x.status, 403) << method << " " << path << ": " << x.body;
  }
  // The same inside a batch: each request is checked against the key's scope.
  const std::string before = available("sc-1");
  auto b = as(
      reader, "POST", "/v1/batch",
      R"({"requests":[{"method":"GET","path":"/v1/accounts/sc-1"},)"
      R"({"method":"POST","path":"/v1/spends","idempotency_key":"sc-b1","body":{"account":"sc-1","amount":"1"}}]})");
  ASSERT_EQ(b.status, 200) << b.body;
  EXPECT_EQ(inner_statuses(b), (std::vector<int>{200, 403})) << b.body;
  EXPECT_EQ(available("sc-1"), before) << "the refused spend took nothing";
}

TEST_F(Keys, TokensAreRevokedOneByIdOrAllAtOnce) {
  open("tk-1");
  open("tk-2");
  auto token = [&](const std::string& account) {
    auto t = admin("POST", "/v1/accounts/" + account + "/tokens", R"({"ttl_s":86400})");
    EXPECT_EQ(t.status, 201) << t.body;
    EXPECT_EQ(field(t, "id").size(), 16u) << t.body;
    return std::make_pair(field(t, "token"), field(t, "id"));
  };
  auto [t1, id1] = token("tk-1");
  auto [t2, id2] = token("tk-1");
  auto [other, other_id] = token("tk-2");
  EXPECT_NE(id1, id2);
  EXPECT_EQ(as(t1, "GET", "/v1/accounts/tk-1").status, 200);

  auto r = admin("POST", "/v1/accounts/tk-1/tokens/revoke", R"({"token_id":")" + id1 + "\"}");
  ASSERT_EQ(r.status, 200) << r.body;
  auto refused = as(t1, "GET", "/v1/accounts/tk-1");
  EXPECT_EQ(refused.status, 401) << refused.body;
  EXPECT_NE(refused.body.find("revoked"), std::string::npos) << refused.body;
  EXPECT_EQ(as(t1, "POST", "/v1/batch", batch_of({{"GET", "/v1/accounts/tk-1"}})).status, 401);
  EXPECT_EQ(as(t2, "GET", "/v1/accounts/tk-1").status, 200) << "only the one token";

  auto all = admin("POST", "/v1/accounts/tk-1/tokens/revoke", R"({"all":true})");
  ASSERT_EQ(all.status, 200) << all.body;
  EXPECT_EQ(as(t2, "GET", "/v1/accounts/tk-1").status, 401);
  EXPECT_EQ(as(other, "GET", "/v1/accounts/tk-2").status, 200) << "another account's token";
  // A token issued after the revocation works, on the same (manual, unmoving) clock.
  auto [t3, id3] = token("tk-1");
  EXPECT_EQ(as(t3, "GET", "/v1/accounts/tk-1").status, 200);

  EXPECT_EQ(admin("POST", "/v1/accounts/nobody/tokens/revoke", R"({"all":true})").status, 404);
  // A token cannot revoke tokens; a service key can.
  EXPECT_EQ(as(t3, "POST", "/v1/accounts/tk-1/tokens/revoke", R"({"all":true})").status, 403);
}

// GET /v1/accounts: found by prefix and plan, a page at a time across the shards.
using AccountList = Api;

std::vector<std::string> ids_of(const HttpReply& r) {
  std::vector<std::string> out;
  auto j = r.json();
  for (const auto& a : j["accounts"].GetArray()) out.push_back(a["id"].GetString());
  return out;
}

TEST_F(AccountList, PagesByPrefixAndPlanInIdOrder) {
  for (const char* id : {"al-a3", "al-a1", "al-b1", "al-a2"}) open(id);
  ASSERT_EQ(admin("POST", "/v1/accounts", R"({"id":"al-a0","plan":null})", "open-al-a0").status,
            201);
  auto p1 = admin("GET", "/v1/accounts?prefix=al-a&limit=2");
  ASSERT_EQ(p1.status, 200) << p1.body;
  EXPECT_EQ(ids_of(p1), (std::vector<std::string>{"al-a0", "al-a1"}));
  EXPECT_EQ(field(p1, "next_cursor"), "al-a1");
  auto p2 = admin("GET", "/v1/accounts?prefix=al-a&limit=2&cursor=al-a1");
  EXPECT_EQ(ids_of(p2), (std::vector<std::string>{"al-a2", "al-a3"})) << p2.body;
  auto p3 = admin("GET", "/v1/accounts?prefix=al-a&limit=2&cursor=al-a3");
  EXPECT_TRUE(ids_of(p3).empty()) << p3.body;
  EXPECT_TRUE(p3.json()["next_cursor"].IsNull()) << p3.body;
  auto all = admin("GET", "/v1/accounts?prefix=al-a");
  EXPECT_EQ(ids_of(all).size(), 4u) << all.body;
  EXPECT_TRUE(all.json()["next_cursor"].IsNull()) << all.body;
  auto free_plan = admin("GET", "/v1/accounts?prefix=al-&plan=free");
  EXPECT_EQ(ids_of(free_plan), (std::vector<std::string>{"al-a1", "al-a2", "al-a3", "al-b1"}))
      << free_plan.body;
  auto one = all.json();
  EXPECT_TRUE(one["accounts"][0]["plan"].IsNull());
  EXPECT_TRUE(one["accounts"][1]["balance"]["available"].IsString());
  EXPECT_TRUE(one["accounts"][1].HasMember("open_holds"));

  auto r = admin("POST", "/v1/keys", R"({"name":"support","scope":"read"})");
  auto w = admin("POST", "/v1/keys", R"({"name":"gpu","scope":"worker"})");
  EXPECT_EQ(as(field(r, "key"), "GET", "/v1/accounts?prefix=al-").status, 200);
  EXPECT_EQ(as(field(w, "key"), "GET", "/v1/accounts?prefix=al-").status, 403);
  for (const char* bad :
       {"/v1/accounts?limit=0", "/v1/accounts?limit=1001", "/v1/accounts?prefix=a%20b",
        "/v1/accounts?cursor=", "/v1/accounts?plan=", "/v1/accounts?kind=group"}) {
    auto b = admin("GET", bad);
    EXPECT_EQ(b.status, 400) << bad << ": " << b.body;
  }
}

using KeyRotation = Api;

TEST_F(KeyRotation, TheOldSecretWorksUntilTheOverlapEnds) {
  open("ro-1");
  auto k = admin("POST", "/v1/keys", R"({"name":"backend"})");
  ASSERT_EQ(k.status, 201) << k.body;
  const std::string old_secret = field(k, "key"), id = field(k, "id");
  auto r = admin("POST", "/v1/keys/" + id + "/rotate", R"({"overlap_s":600})");
  ASSERT_EQ(r.status, 200) << r.body;
  const std::string new_secret = field(r, "key");
  EXPECT_NE(new_secret, old_secret);
  EXPECT_EQ(field(r, "id"), id);
  EXPECT_EQ(field(r, "previous_valid_until"), "2027-01-04T10:10:00Z");
  EXPECT_EQ(as(old_secret, "GET", "/v1/accounts/ro-1").status, 200);
  EXPECT_EQ(as(new_secret, "GET", "/v1/accounts/ro-1").status, 200);

  set_clock("2027-01-04T10:09:59Z");
  EXPECT_EQ(as(old_secret, "GET", "/v1/accounts/ro-1").status, 200);
  set_clock("2027-01-04T10:10:00Z");
  auto late = as(old_secret, "GET", "/v1/accounts/ro-1");
  EXPECT_EQ(late.status, 401) << late.body;
  EXPECT_NE(late.body.find("rotated"), std::string::npos) << late.body;
  EXPECT_EQ(as(new_secret, "GET", "/v1/accounts/ro-1").status, 200);

  // No overlap: the secret in use stops at once.
  auto r0 = admin("POST", "/v1/keys/" + id + "/rotate", R"({"overlap_s":0})");
  ASSERT_EQ(r0.status, 200) << r0.body;
  EXPECT_EQ(as(new_secret, "GET", "/v1/accounts/ro-1").status, 401);
  EXPECT_EQ(as(field(r0, "key"), "GET", "/v1/accounts/ro-1").status, 200);
  EXPECT_EQ(admin("POST", "/v1/keys/key_0000000000000000/rotate", R"({"overlap_s":0})").status,
            404);
}

TEST_F(KeyRotation, AKeyStopsWorkingWhenItExpires) {
  open("ex-1");
  auto k = admin("POST", "/v1/keys", R"({"name":"temp","expires_at":"2027-01-05T00:00:00Z"})");
  ASSERT_EQ(k.status, 201) << k.body;
  EXPECT_EQ(as(field(k, "key"), "GET", "/v1/accounts/ex-1").status, 200);
  set_clock("2027-01-05T00:00:00Z");
  auto r = as(field(k, "key"), "GET", "/v1/accounts/ex-1");
  EXPECT_EQ(r.status, 401) << r.body;
  EXPECT_NE(r.body.find("expired"), std::string::npos) << r.body;
}

// The admin key rotated through the API, without a restart; a restart with the old
// TALLY_ADMIN_KEY does not bring the old secret back.
TEST(AdminKey, RotatesWithoutARestartAndStaysRotated) {
  ServerProcess server;
  HttpClient c(server.port());
  auto old_admin = bearer(server.admin_key());
  ASSERT_EQ(
      c.send("POST", "/v1/admin/clock", R"({"now":"2027-01-04T10:00:00Z"})", {old_admin}).status,
      200);
  auto r = c.send("POST", "/v1/keys/admin/rotate", R"({"overlap_s":0})", {old_admin});
  ASSERT_EQ(r.status, 200) << r.body;
  const std::string new_admin = field(r, "key");
  EXPECT_TRUE(new_admin.starts_with("tk_admin_")) << r.body;
  EXPECT_EQ(c.send("GET", "/v1/keys", "", {old_admin}).status, 401);
  EXPECT_EQ(c.send("GET", "/v1/keys", "", {bearer(new_admin)}).status, 200);

  server.restart();
  HttpClient c2(server.port());
  EXPECT_EQ(c2.send("GET", "/v1/keys", "", {old_admin}).status, 401);
  EXPECT_EQ(c2.send("GET", "/v1/keys", "", {bearer(new_admin)}).status, 200);
}

// Revocations, rotations and last uses are in DATA/keys.db: a restart keeps them.
TEST(KeysRestart, RevocationsAndRotationsSurviveARestart) {
  ServerProcess server;
  auto admin_h = bearer(server.admin_key());
  std::string revoked, rotated_old, rotated_new, kept, t_one, t_all, used_id;
  {
    HttpClient c(server.port());
    ASSERT_EQ(
        c.send("POST", "/v1/admin/clock", R"({"now":"2027-01-04T10:00:00Z"})", {admin_h}).status,
        200);
    ASSERT_EQ(
        c.send("POST", "/v1/accounts", R"({"id":"rs-1"})", {admin_h, {"Idempotency-Key", "o1"}})
            .status,
        201);
    ASSERT_EQ(
        c.send("POST", "/v1/accounts", R"({"id":"rs-2"})", {admin_h, {"Idempotency-Key", "o2"}})
            .status,
        201);
    auto k1 = c.send("POST", "/v1/keys", R"({"name":"revoked"})", {admin_h});
    auto k2 = c.send("POST", "/v1/keys", R"({"name":"rotated"})", {admin_h});
    auto k3 = c.send("POST", "/v1/keys", R"({"name":"kept"})", {admin_h});
    revoked = field(k1, "key");
    rotated_old = field(k2, "key");
    kept = field(k3, "key");
    used_id = field(k3, "id");
    EXPECT_EQ(c.send("GET", "/v1/accounts/rs-1", "", {bearer(kept)}).status, 200);
    ASSERT_EQ(c.send("DELETE", "/v1/keys/" + field(k1, "id"), "", {admin_h}).status, 200);
    auto r =
        c.send("POST", "/v1/keys/" + field(k2, "id") + "/rotate", R"({"overlap_s":0})", {admin_h});
    rotated_new = field(r, "key");
    auto a = c.send("POST", "/v1/accounts/rs-1/tokens", "{}", {admin_h});
    auto b = c.send("POST", "/v1/accounts/rs-2/tokens", "{}", {admin_h});
    t_one = field(a, "token");
    t_all = field(b, "token");
    ASSERT_EQ(c.send("POST", "/v1/accounts/rs-1/tokens/revoke",
                     R"({"token_id":")" + field(a, "id") + "\"}", {admin_h})
                  .status,
              200);
    ASSERT_EQ(
        c.send("POST", "/v1/accounts/rs-2/tokens/revoke", R"({"all":true})", {admin_h}).status,
        200);
  }
  server.restart();
  HttpClient c(server.port());
  ASSERT_EQ(
      c.send("POST", "/v1/admin/clock", R"({"now":"2027-01-04T10:00:01Z"})", {admin_h}).status,
      200);
  EXPECT_EQ(c.send("GET", "/v1/accounts/rs-1", "", {bearer(revoked)}).status, 401);
  EXPECT_EQ(c.send("GET", "/v1/accounts/rs-1", "", {bearer(rotated_old)}).status, 401);
  EXPECT_EQ(c.send("GET", "/v1/accounts/rs-1", "", {bearer(rotated_new)}).status, 200);
  EXPECT_EQ(c.send("GET", "/v1/accounts/rs-1", "", {bearer(t_one)}).status, 401);
  EXPECT_EQ(c.send("GET", "/v1/accounts/rs-2", "", {bearer(t_all)}).status, 401);
  // A token issued after the restart is stamped after the revocation, whatever the clock.
  auto fresh = c.send("POST", "/v1/accounts/rs-2/tokens", "{}", {admin_h});
  EXPECT_EQ(c.send("GET", "/v1/accounts/rs-2", "", {bearer(field(fresh, "token"))}).status, 200);
  // The last use, written at shutdown.
  auto l = c.send("GET", "/v1/keys", "", {admin_h}).json();
  bool found = false;
  for (const auto& k : l["keys"].GetArray()) {
    if (std::string(k["id"].GetString()) != used_id) continue;
    found = true;
    ASSERT_TRUE(k["last_used_at"].IsString());
    EXPECT_EQ(std::string(k["last_used_at"].GetString()), "2027-01-04T10:00:00Z");
  }
  EXPECT_TRUE(found);
}

std::string sha256_hex(const std::string& s) {
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int n = 0;
  EVP_Digest(s.data(), s.size(), md, &n, EVP_sha256(), nullptr);
  std::string out;
  for (unsigned i = 0; i < n; ++i) {
    char b[3];
    std::snprintf(b, sizeof b, "%02x", md[i]);
    out += b;
  }
  return out;
}

// A keys.db written before schema versions existed (one table, one hash per key) is migrated
// on open: its keys keep working and are listed.
TEST(KeysMigration, AKeysDbOfSchemaZeroIsMigrated) {
  char tmpl[] = "/tmp/tally-keys-migration-XXXXXX";
  const std::string dir = ::mkdtemp(tmpl);
  {
    sqlite3* db = nullptr;
    ASSERT_EQ(sqlite3_open((dir + "/keys.db").c_str(), &db), SQLITE_OK);
    const std::string sql =
        "CREATE TABLE keys (id TEXT PRIMARY KEY, name TEXT NOT NULL, scope TEXT NOT NULL,"
        " sha256 TEXT NOT NULL UNIQUE, created_at_us INTEGER NOT NULL);"
        "INSERT INTO keys VALUES ('key_00000000000000aa', 'legacy', 'service', '" +
        sha256_hex("tk_svc_legacy") + "', 1000000);";
    ASSERT_EQ(sqlite3_exec(db, sql.c_str(), nullptr, nullptr, nullptr), SQLITE_OK);
    sqlite3_close(db);
  }
  {
    ServerProcess server(ServerOptions{.data_dir = dir});
    HttpClient c(server.port());
    EXPECT_EQ(
        c.send("POST", "/v1/quotes", R"({"tool":"upscale"})", {bearer("tk_svc_legacy")}).status,
        200);
    auto l = c.send("GET", "/v1/keys", "", {bearer(server.admin_key())});
    ASSERT_EQ(l.status, 200) << l.body;
    EXPECT_NE(l.body.find("key_00000000000000aa"), std::string::npos) << l.body;
    EXPECT_NE(l.body.find("\"legacy\""), std::string::npos) << l.body;
    EXPECT_EQ(server.stop(), 0);
  }
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open((dir + "/keys.db").c_str(), &db), SQLITE_OK);
  sqlite3_stmt* q = nullptr;
  sqlite3_prepare_v2(db, "PRAGMA user_version", -1, &q, nullptr);
  ASSERT_EQ(sqlite3_step(q), SQLITE_ROW);
  EXPECT_EQ(sqlite3_column_int(q, 0), 2);  // migrated to the latest: 2 adds the audit trail
  sqlite3_finalize(q);
  sqlite3_close(db);
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace tally::testing
