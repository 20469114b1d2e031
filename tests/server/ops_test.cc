// Operating a running server (issue 21): the structured log (JSON lines: an access line per
// request with its id, route, credential ids, account, key and stages; reloads; commit stalls;
// failures to start), request ids from X-Request-Id to the answer and into every problem, no
// secret or token in any line, and the configuration reloaded by POST /v1/admin/reload and by
// SIGHUP: new prices only for requests after the reload (also under load, shard by shard, with
// no request lost), an invalid file refused with the messages a start gives and the old
// configuration kept. Every test starts its own `tally serve` with a configuration file and
// --log-file, and stops it.
#include <gtest/gtest.h>
#include <rapidjson/document.h>
#include <signal.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "tests/server/server_process.h"

namespace tally::testing {
namespace {

using Clock = std::chrono::steady_clock;

std::string read_text(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

void write_text(const std::string& path, const std::string& text) {
  // Written beside and renamed: a reload never reads half a file.
  std::ofstream(path + ".tmp", std::ios::binary) << text;
  std::filesystem::rename(path + ".tmp", path);
}

std::string replace(std::string s, const std::string& from, const std::string& to) {
  const size_t at = s.find(from);
  EXPECT_NE(at, std::string::npos) << from;
  if (at != std::string::npos) s.replace(at, from.size(), to);
  return s;
}

// config/default.toml with another price book version and price of a standard image (whose
// price is that times 1.25 for priority, rounded up to a credit), and `more` appended.
std::string config_text(const std::string& version, const std::string& effective_at,
                        int standard_price, const std::string& more = "") {
  std::string t = read_text(std::string(TALLY_SOURCE_DIR) + "/config/default.toml");
  t = replace(t, R"(version = "studio-2026-11-01")", "version = \"" + version + "\"");
  t = replace(t, "effective_at = 2026-11-01T00:00:00Z", "effective_at = " + effective_at);
  t = replace(t, R"({ id = "standard", name = "Standard", price = 1 },)",
              R"({ id = "standard", name = "Standard", price = )" + std::to_string(standard_price) +
                  " },");
  return t + more;
}

// The versions used below: a standard image costs 2, then 5, then 10 credits.
const std::string k_v1 = "ops-v1", k_v2 = "ops-v2", k_v3 = "ops-v3";
const int64_t k_image_v1 = 2, k_image_v2 = 5, k_image_v3 = 10;

std::string text_of(const rapidjson::Value& v, const char* name) {
  return v.IsObject() && v.HasMember(name) && v[name].IsString() ? v[name].GetString() : "";
}

class Ops : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("tally-ops-test-" + std::to_string(::getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_);
    config_ = (dir_ / "tally.toml").string();
    log_ = (dir_ / "tally.log").string();
    write_text(config_, config_text(k_v1, "2027-01-01T00:00:00Z", 1));
    ServerOptions o;
    o.config = config_;
    o.extra_args = {"--clock", "manual", "--log-file", log_};
    server_ = std::make_unique<ServerProcess>(o);
    ASSERT_EQ(admin("POST", "/v1/admin/clock", R"({"now":"2027-01-04T10:00:00Z"})").status, 200);
  }
  void TearDown() override {
    if (server_) {
      EXPECT_EQ(server_->stop(), 0);
    }
    server_.reset();
    std::filesystem::remove_all(dir_);
  }

  HttpReply send(const std::string& method, const std::string& path, const std::string& body,
                 std::vector<std::pair<std::string, std::string>> headers) {
    HttpClient c(server_->port());
    return c.send(method, path, body, headers);
  }
  HttpReply admin(const std::string& method, const std::string& path, const std::string& body = "",
                  const std::string& key = "") {
    std::vector<std::pair<std::string, std::string>> h = {bearer(server_->admin_key())};
    if (!key.empty()) h.emplace_back("Idempotency-Key", key);
    return send(method, path, body, h);
  }
  void open_rich(const std::string& account) {
    ASSERT_EQ(admin("POST", "/v1/accounts", R"({"id":")" + account + R"(","plan":null})",
                    "open-" + account).status, 201);
    ASSERT_EQ(admin("POST", "/v1/accounts/" + account + "/grants",
                    R"({"amount":"1000000","reason":"test","never_expires":true})",
                    "grant-" + account).status, 201);
  }
  // A standard image spent by `account`: its amount (credits) and price book version.
  std::pair<int64_t, std::string> spend_image(const std::string& account, const std::string& key) {
    const HttpReply r = admin("POST", "/v1/spends", R"({"account":")" + account + R"(","tool":"image"})", key);
    EXPECT_EQ(r.status, 201) << r.body;
    if (r.status != 201) return {-1, ""};
    const auto j = r.json();
    return {j["amount_micro"].GetInt64() / 1'000'000, text_of(j, "price_book_version")};
  }
  // Every line of the log, parsed; a line that is not a JSON object fails the test.
  std::vector<rapidjson::Document> log_lines() {
    std::vector<rapidjson::Document> out;
    std::string text = read_text(log_);
    text.erase(text.rfind('\n') + 1);  // a line being written as we read: not yet
    std::istringstream in(text);
    for (std::string line; std::getline(in, line);) {
      rapidjson::Document d;
      d.Parse<rapidjson::kParseValidateEncodingFlag>(line.c_str(), line.size());
      EXPECT_FALSE(d.HasParseError()) << "not JSON: " << line;
      EXPECT_TRUE(d.IsObject() && d.HasMember("time") && d.HasMember("level") &&
                  d.HasMember("event"))
          << line;
      if (!d.HasParseError()) out.push_back(std::move(d));
    }
    return out;
  }
  // The log's lines of `event` (with `field` == `value` when given), waiting up to 10 s for
  // at least `count` (the access line is written just after its answer).
  std::vector<rapidjson::Document> events(const std::string& event, size_t count = 1,
                                          const char* field = nullptr,
                                          const std::string& value = "") {
    std::vector<rapidjson::Document> out;
    for (auto until = Clock::now() + std::chrono::seconds(10); Clock::now() < until;) {
      out.clear();
      for (auto& d : log_lines()) {
        if (text_of(d, "event") == event && (field == nullptr || text_of(d, field) == value)) {
          out.push_back(std::move(d));
        }
      }
      if (out.size() >= count) break;
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    return out;
  }
  HttpReply reload() { return admin("POST", "/v1/admin/reload"); }

  std::filesystem::path dir_;
  std::string config_, log_;
  std::unique_ptr<ServerProcess> server_;
};

// --- The access log ---

TEST_F(Ops, EveryRequestHasOneAccessLineWithItsFields) {
  open_rich("ana");
  const HttpReply r = send("POST", "/v1/spends", R"({"account":"ana","tool":"image"})",
                           {bearer(server_->admin_key()), {"Idempotency-Key", "job-77"},
                            {"X-Request-Id", "trace-spend-1"}});
  ASSERT_EQ(r.status, 201) << r.body;
  auto lines = events("access", 1, "request_id", "trace-spend-1");
  ASSERT_EQ(lines.size(), 1u);
  const auto& a = lines[0];
  EXPECT_EQ(text_of(a, "level"), "info");
  EXPECT_EQ(text_of(a, "method"), "POST");
  EXPECT_EQ(text_of(a, "route"), "/v1/spends");
  EXPECT_EQ(text_of(a, "path"), "/v1/spends");
  EXPECT_EQ(a["status"].GetInt(), 201);
  EXPECT_EQ(text_of(a, "key_id"), "admin");
  EXPECT_EQ(text_of(a, "account"), "ana");  // from the body, through the command
  EXPECT_EQ(text_of(a, "idempotency_key"), "job-77");
  EXPECT_EQ(text_of(a, "remote"), "127.0.0.1");
  for (const char* stage : {"total_us", "decode_us", "queue_us", "commit_us", "shard_us", "write_us",
                            "bytes_in", "bytes_out"}) {
    EXPECT_TRUE(a.HasMember(stage) && a[stage].IsInt64() && a[stage].GetInt64() >= 0) << stage;
  }
  EXPECT_GE(a["total_us"].GetInt64(), a["decode_us"].GetInt64() + a["shard_us"].GetInt64());
  EXPECT_GT(a["bytes_out"].GetUint64(), r.body.size());  // the head and the body

  // A route with ids: the pattern, and the path as sent; an account read names its account.
  const std::string spend = r.json()["id"].GetString();
  ASSERT_EQ(send("GET", "/v1/spends/" + spend, "", {bearer(server_->admin_key()), {"X-Request-Id", "get-1"}}).status, 200);
  ASSERT_EQ(send("GET", "/v1/accounts/ana/entries?limit=5", "", {bearer(server_->admin_key()), {"X-Request-Id", "get-2"}}).status, 200);
  ASSERT_EQ(send("GET", "/healthz", "", {{"X-Request-Id", "get-3"}}).status, 200);
  auto get1 = events("access", 1, "request_id", "get-1");
  auto get2 = events("access", 1, "request_id", "get-2");
  auto get3 = events("access", 1, "request_id", "get-3");
  ASSERT_EQ(get1.size() + get2.size() + get3.size(), 3u);
  EXPECT_EQ(text_of(get1[0], "route"), "/v1/spends/{}");
  EXPECT_EQ(text_of(get1[0], "path"), "/v1/spends/" + spend);
  EXPECT_EQ(text_of(get2[0], "route"), "/v1/accounts/{}/entries");
  EXPECT_EQ(text_of(get2[0], "path"), "/v1/accounts/ana/entries?limit=5");
  EXPECT_EQ(text_of(get2[0], "account"), "ana");
  EXPECT_EQ(text_of(get3[0], "route"), "/healthz");
  EXPECT_FALSE(get3[0].HasMember("key_id"));  // no credential
  EXPECT_FALSE(get3[0].HasMember("queue_us"));  // never on a shard
}

TEST_F(Ops, RequestIdsRoundTripAndAreInEveryProblem) {
  // Sent: echoed in the header and in a problem.
  HttpReply r = send("GET", "/v1/accounts/nobody", "",
                     {bearer(server_->admin_key()), {"X-Request-Id", "abc-123.x:y/z=+@_"}});
  EXPECT_EQ(r.status, 404);
  EXPECT_EQ(r.headers["x-request-id"], "abc-123.x:y/z=+@_");
  EXPECT_EQ(text_of(r.json(), "request_id"), "abc-123.x:y/z=+@_");

  // Not sane (a space, 129 characters, a quote): a new one instead, 16 hex digits.
  std::set<std::string> made;
  for (const std::string& bad : {std::string("has space"), std::string(129, 'a'), std::string("q\"uote")}) {
    r = send("GET", "/v1/accounts/nobody", "", {bearer(server_->admin_key()), {"X-Request-Id", bad}});
    const std::string id = r.headers["x-request-id"];
    EXPECT_EQ(id.size(), 16u) << id;
    EXPECT_EQ(id.find_first_not_of("0123456789abcdef"), std::string::npos) << id;
    EXPECT_EQ(text_of(r.json(), "request_id"), id);
    made.insert(id);
  }
  // None sent: a new one on every answer, successes too.
  for (int i = 0; i < 3; ++i) made.insert(send("GET", "/healthz", "", {}).headers["x-request-id"]);
  EXPECT_EQ(made.size(), 6u);

  // Problems made by the HTTP layer (a body over 1 MiB), by auth, and inside a batch.
  r = send("POST", "/v1/spends", std::string((1 << 20) + 10, ' '),
           {bearer(server_->admin_key()), {"Content-Type", "application/json"}, {"X-Request-Id", "big-1"}});
  EXPECT_EQ(r.status, 413);
  EXPECT_EQ(r.headers["x-request-id"], "big-1");
  EXPECT_EQ(text_of(r.json(), "request_id"), "big-1");
  r = send("GET", "/v1/accounts/ana", "", {bearer("tk_svc_not_a_key"), {"X-Request-Id", "auth-1"}});
  EXPECT_EQ(r.status, 401);
  EXPECT_EQ(text_of(r.json(), "request_id"), "auth-1");
  r = send("POST", "/v1/batch", R"({"requests":[{"method":"GET","path":"/v1/accounts/nobody"}]})",
           {bearer(server_->admin_key()), {"X-Request-Id", "batch-1"}});
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(text_of(r.json()["responses"][0]["body"], "request_id"), "batch-1");

  // A problem remembered under a key is answered byte for byte (rule 8): it keeps the first
  // request's id; the retry's own id is in its header.
  open_rich("poor");
  const std::string body = R"({"account":"poor","amount":"2000000"})";
  const HttpReply first = send("POST", "/v1/spends", body,
                               {bearer(server_->admin_key()), {"Idempotency-Key", "too-much"},
                                {"X-Request-Id", "first-try"}});
  const HttpReply retry = send("POST", "/v1/spends", body,
                               {bearer(server_->admin_key()), {"Idempotency-Key", "too-much"},
                                {"X-Request-Id", "second-try"}});
  EXPECT_EQ(first.status, 402) << first.body;
  EXPECT_EQ(retry.status, 402);
  EXPECT_EQ(retry.body, first.body);
  EXPECT_EQ(text_of(first.json(), "request_id"), "first-try");
  EXPECT_EQ(retry.headers.at("x-request-id"), "second-try");
}

TEST_F(Ops, NoSecretOrTokenEverReachesTheLog) {
  open_rich("ana");
  const HttpReply k = admin("POST", "/v1/keys", R"({"name":"svc","scope":"service"})");
  ASSERT_EQ(k.status, 201) << k.body;
  const std::string secret = text_of(k.json(), "key"), key_id = text_of(k.json(), "id");
  const HttpReply rotated = admin("POST", "/v1/keys/" + key_id + "/rotate", R"({"overlap_s":60})");
  ASSERT_EQ(rotated.status, 200) << rotated.body;
  const std::string rotated_secret = text_of(rotated.json(), "key");
  const HttpReply t = admin("POST", "/v1/accounts/ana/tokens", R"({"ttl_s":600})");
  ASSERT_EQ(t.status, 201) << t.body;
  const std::string token = text_of(t.json(), "token");
  ASSERT_FALSE(secret.empty() || rotated_secret.empty() || token.empty());

  int n = 0;
  for (const std::string& s : {secret, rotated_secret}) {
    EXPECT_EQ(send("GET", "/v1/accounts/ana", "", {bearer(s)}).status, 200);
    EXPECT_EQ(send("POST", "/v1/spends", R"({"account":"ana","amount":"1"})",
                   {bearer(s), {"Idempotency-Key", "s-" + std::to_string(++n)}}).status, 201);
  }
  EXPECT_EQ(send("GET", "/v1/accounts/ana", "", {bearer(token)}).status, 200);
  EXPECT_EQ(send("GET", "/v1/accounts/ana/entries", "", {bearer(token)}).status, 200);
  EXPECT_EQ(send("GET", "/v1/accounts/bob", "", {bearer(token)}).status, 403);
  EXPECT_EQ(send("GET", "/v1/accounts/ana", "", {bearer(token + "0")}).status, 401);  // forged
  EXPECT_EQ(send("GET", "/v1/accounts/ana", "", {bearer(secret + "x")}).status, 401);
  // Secrets where they do not belong: a query string, a batch.
  send("GET", "/v1/accounts?prefix=a&api_key=" + secret + "&x=" + server_->admin_key(), "",
       {bearer(server_->admin_key())});
  send("POST", "/v1/batch", R"({"requests":[{"method":"GET","path":"/v1/accounts/ana"}]})", {bearer(token)});
  ASSERT_EQ(admin("POST", "/v1/accounts/ana/tokens/revoke", R"({"all":true})").status, 200);
  EXPECT_EQ(send("GET", "/v1/accounts/ana", "", {bearer(token)}).status, 401);

  // The credentials were logged by id (the test can see them), never by secret.
  const size_t accesses = events("access", 16).size();
  EXPECT_GE(accesses, 16u);
  const std::string log = read_text(log_);
  EXPECT_NE(log.find(R"("key_id":")" + key_id + "\""), std::string::npos);
  EXPECT_NE(log.find(R"("token_id":")"), std::string::npos);
  EXPECT_NE(log.find("[redacted]"), std::string::npos);
  for (const std::string& s : {secret, rotated_secret, token, server_->admin_key(),
                               token.substr(token.rfind('.') + 1)}) {  // its signature alone too
    EXPECT_EQ(log.find(s), std::string::npos) << "a secret in the log: " << s;
  }
}

// --- Reload ---

TEST_F(Ops, PostReloadPricesOnlyLaterRequestsWithTheNewBook) {
  open_rich("ana");
  EXPECT_EQ(spend_image("ana", "before-1"), std::make_pair(k_image_v1, k_v1));
  // A hold placed under v1 and captured after the reload keeps v1's prices (rule 7).
  const HttpReply hold = admin("POST", "/v1/holds", R"({"account":"ana","tool":"image","params":{"batch_size":2}})", "hold-1");
  ASSERT_EQ(hold.status, 201) << hold.body;
  const std::string hold_id = hold.json()["id"].GetString();
  // A plan the running configuration does not have yet.
  const std::string studio = "\n[[plans]]\nid = \"studio\"\nname = \"Studio\"\ntier = 4\n"
                             "allocation = 300\nperiod = \"monthly\"\n";
  EXPECT_EQ(admin("PUT", "/v1/accounts/ana/subscription", R"({"plan":"studio"})", "sub-1").status, 400);

  write_text(config_, config_text(k_v2, "2027-01-02T00:00:00Z", 4, studio));
  const HttpReply r = reload();
  ASSERT_EQ(r.status, 200) << r.body;
  const auto j = r.json();
  EXPECT_EQ(text_of(j, "price_book_version"), k_v2);
  EXPECT_EQ(text_of(j, "price_book_in_force"), k_v2);
  EXPECT_TRUE(j["price_book_added"].GetBool());
  EXPECT_EQ(j["generation"].GetInt(), 1);
  std::set<std::string> changed;
  for (const auto& c : j["changed"].GetArray()) changed.insert(c.GetString());
  EXPECT_EQ(changed, (std::set<std::string>{"price_book", "plans"}));
  EXPECT_EQ(j["restart_required"].Size(), 0u);

  EXPECT_EQ(spend_image("ana", "after-1"), std::make_pair(k_image_v2, k_v2));
  // The first spend's retry still gets its first answer (v1), whatever changed since (rule 8).
  EXPECT_EQ(spend_image("ana", "before-1"), std::make_pair(k_image_v1, k_v1));
  const HttpReply captured = admin("POST", "/v1/holds/" + hold_id + "/capture", R"({"usage":{"batch_size":1}})", "cap-1");
  ASSERT_EQ(captured.status, 200) << captured.body;
  EXPECT_EQ(captured.json()["captured_micro"].GetInt64(), k_image_v1 * 1'000'000) << captured.body;
  // The new plan, for subscriptions and for GET /v1/plans; the price table shows v2.
  EXPECT_EQ(admin("PUT", "/v1/accounts/ana/subscription", R"({"plan":"studio"})", "sub-2").status, 200);
  EXPECT_NE(send("GET", "/v1/plans", "", {}).body.find(R"("id":"studio")"), std::string::npos);
  EXPECT_NE(send("GET", "/v1/pricing", "", {}).body.find(k_v2), std::string::npos);
  const auto reloads = events("reload");
  ASSERT_EQ(reloads.size(), 1u);
  EXPECT_EQ(text_of(reloads[0], "via"), "POST /v1/admin/reload");
  EXPECT_EQ(text_of(reloads[0], "key_id"), "admin");
  EXPECT_EQ(text_of(reloads[0], "price_book_version"), k_v2);
  EXPECT_EQ(reloads[0]["generation"].GetInt(), 1);
}

TEST_F(Ops, SighupReloadsTheFileAndTheLogSettings) {
  open_rich("ana");
  EXPECT_EQ(spend_image("ana", "s-1"), std::make_pair(k_image_v1, k_v1));
  // v3, and the access log off.
  write_text(config_, config_text(k_v3, "2027-01-03T00:00:00Z", 8, "\n[log]\naccess = false\n"));
  ASSERT_EQ(::kill(server_->pid(), SIGHUP), 0);
  const auto reloads = events("reload");
  ASSERT_EQ(reloads.size(), 1u);
  EXPECT_EQ(text_of(reloads[0], "via"), "SIGHUP");
  EXPECT_EQ(text_of(reloads[0], "price_book_in_force"), k_v3);
  EXPECT_EQ(spend_image("ana", "s-2"), std::make_pair(k_image_v3, k_v3));
  const size_t accesses = events("access", 1).size();
  for (int i = 0; i < 5; ++i) EXPECT_EQ(send("GET", "/healthz", "", {}).status, 200);
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  EXPECT_EQ(events("access", 1).size(), accesses) << "the access log is off";

  EXPECT_TRUE(events("config_swapped", 0).empty()) << "a debug line at level info";

  // Back on, at level debug, with a stall threshold every commit passes: each commit is
  // logged as a stall, and each shard's swap at debug.
  write_text(config_, config_text(k_v3, "2027-01-03T00:00:00Z", 8,
                                  "\n[log]\naccess = true\nlevel = \"debug\"\n"
                                  "commit_stall = \"PT0.000001S\"\n"));
  ASSERT_EQ(::kill(server_->pid(), SIGHUP), 0);
  ASSERT_EQ(events("reload", 2).size(), 2u);
  EXPECT_EQ(events("config_swapped", 2).size(), 2u);  // one per shard
  EXPECT_EQ(text_of(events("config_swapped", 2)[0], "level"), "debug");
  EXPECT_EQ(spend_image("ana", "s-3").second, k_v3);
  const auto stalls = events("commit_stall");
  ASSERT_GE(stalls.size(), 1u);
  EXPECT_EQ(text_of(stalls[0], "level"), "warn");
  EXPECT_TRUE(stalls[0]["commit_us"].IsInt64() && stalls[0]["threshold_us"].GetInt64() == 1);
  EXPECT_GT(events("access", accesses + 1).size(), accesses);
}

TEST_F(Ops, AnInvalidFileIsRefusedWithTheStartMessagesAndTheOldKept) {
  open_rich("ana");
  const std::string good = read_text(config_);
  const std::string broken = good + "\n[price_book.tools.image\n";
  write_text(config_, broken);
  HttpReply r = reload();
  ASSERT_EQ(r.status, 422) << r.body;
  auto j = r.json();
  EXPECT_EQ(text_of(j, "type"), "invalid_config");
  ASSERT_TRUE(j.HasMember("errors") && j["errors"].IsArray() && j["errors"].Size() >= 1) << r.body;
  const std::string message = j["errors"][0].GetString();
  EXPECT_NE(message.find(config_ + ":"), std::string::npos) << message;  // file:line:column
  EXPECT_FALSE(text_of(j, "request_id").empty());

  // A start with the same file says the same.
  const std::string other_data = (dir_ / "other-data").string();
  const CommandRun start = run_tally({"serve", "--config", config_, "--data", other_data,
                                      "--listen", "127.0.0.1:0", "--log-file", (dir_ / "start.log").string()},
                                     60'000);
  EXPECT_EQ(start.status, 1) << start.output;
  EXPECT_NE(start.output.find("tally serve: " + message), std::string::npos) << start.output;
  rapidjson::Document failed;
  const std::string start_log = read_text((dir_ / "start.log").string());
  failed.Parse(start_log.c_str(), start_log.size() - (start_log.empty() ? 0 : 1));
  ASSERT_FALSE(failed.HasParseError()) << start_log;
  EXPECT_EQ(text_of(failed, "event"), "startup_failed");
  EXPECT_EQ(text_of(failed, "message"), message);

  // The running configuration is kept.
  EXPECT_EQ(spend_image("ana", "after-bad"), std::make_pair(k_image_v1, k_v1));
  const auto refused = events("reload_refused");
  ASSERT_EQ(refused.size(), 1u);
  EXPECT_EQ(std::string(refused[0]["errors"][0].GetString()), message);

  // Valid as a file, but a reload may not remove a plan or change its period; a price book
  // that reuses a version id with other prices is refused as a start would refuse it.
  write_text(config_, replace(good, "id = \"enterprise\"", "id = \"enterprise2\""));
  r = reload();
  EXPECT_EQ(r.status, 422) << r.body;
  EXPECT_NE(r.body.find(R"(plan \"enterprise\")"), std::string::npos) << r.body;
  write_text(config_, replace(good, "period = \"weekly\"", "period = \"monthly\""));
  r = reload();
  EXPECT_EQ(r.status, 422) << r.body;
  EXPECT_NE(r.body.find("from weekly to monthly"), std::string::npos) << r.body;
  write_text(config_, config_text(k_v1, "2027-01-01T00:00:00Z", 7));
  r = reload();
  EXPECT_EQ(r.status, 422) << r.body;
  EXPECT_NE(r.body.find(k_v1), std::string::npos) << r.body;
  EXPECT_EQ(spend_image("ana", "after-bad-2"), std::make_pair(k_image_v1, k_v1));

  // The file fixed: the next reload applies it (generation 1: the refusals applied nothing).
  write_text(config_, config_text(k_v2, "2027-01-02T00:00:00Z", 4));
  r = reload();
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.json()["generation"].GetInt(), 1);
  EXPECT_EQ(spend_image("ana", "after-fixed"), std::make_pair(k_image_v2, k_v2));
}

TEST_F(Ops, ALedgerChangeIsReportedAsNeedingARestart) {
  write_text(config_, replace(read_text(config_), R"(refund_grace = "P7D")", R"(refund_grace = "P9D")"));
  const HttpReply r = reload();
  ASSERT_EQ(r.status, 200) << r.body;
  const auto j = r.json();
  ASSERT_EQ(j["restart_required"].Size(), 1u) << r.body;
  EXPECT_EQ(std::string(j["restart_required"][0].GetString()), "ledger");
  EXPECT_FALSE(j["price_book_added"].GetBool());
  const auto reloads = events("reload");
  ASSERT_EQ(reloads.size(), 1u);
  EXPECT_EQ(text_of(reloads[0], "level"), "warn");
  // Still reported by the next reload, which changes nothing else.
  const HttpReply again = reload();
  ASSERT_EQ(again.status, 200);
  EXPECT_EQ(again.json()["changed"].Size(), 0u) << again.body;
  EXPECT_EQ(again.json()["restart_required"].Size(), 1u) << again.body;
}

// Clients spend while the configuration is reloaded: every request is answered (201), nothing
// is lost or charged twice, requests answered before the reload began have the old price and
// requests sent after it answered the new one, and on each shard the prices change once, in
// the order the shard applied the spends (their ids).
TEST_F(Ops, AReloadUnderLoadLosesNoRequestAndSwitchesInShardOrder) {
  const int accounts = 6, threads = 4;
  for (int a = 0; a < accounts; ++a) open_rich("load-" + std::to_string(a));
  struct Done {
    int status = 0;
    std::string account, id, version;
    int64_t amount = 0;
    Clock::time_point sent, received;
  };
  std::vector<std::vector<Done>> done(threads);
  std::atomic<bool> stop{false};
  std::vector<std::thread> clients;
  for (int t = 0; t < threads; ++t) {
    clients.emplace_back([&, t] {
      HttpClient c(server_->port());
      for (int i = 0; !stop; ++i) {
        Done d;
        d.account = "load-" + std::to_string((t + i) % accounts);
        d.sent = Clock::now();
        const HttpReply r = c.send("POST", "/v1/spends", R"({"account":")" + d.account + R"(","tool":"image"})",
                                   {bearer(server_->admin_key()),
                                    {"Idempotency-Key", "load-" + std::to_string(t) + "-" + std::to_string(i)}});
        d.received = Clock::now();
        d.status = r.status;
        if (r.status == 201) {
          const auto j = r.json();
          d.id = j["id"].GetString();
          d.version = text_of(j, "price_book_version");
          d.amount = j["amount_micro"].GetInt64() / 1'000'000;
        }
        done[t].push_back(std::move(d));
      }
    });
  }
  std::this_thread::sleep_for(std::chrono::milliseconds(400));
  write_text(config_, config_text(k_v2, "2027-01-02T00:00:00Z", 4));
  const auto reload_sent = Clock::now();
  const HttpReply r = reload();
  const auto reload_answered = Clock::now();
  std::this_thread::sleep_for(std::chrono::milliseconds(400));
  stop = true;
  for (auto& c : clients) c.join();
  ASSERT_EQ(r.status, 200) << r.body;

  std::map<std::string, int64_t> spent;  // by account
  std::map<uint64_t, std::map<uint64_t, std::string>> by_shard;  // shard -> id -> version
  size_t old_book = 0, new_book = 0;
  for (const auto& list : done) {
    for (const Done& d : list) {
      ASSERT_EQ(d.status, 201) << "a request was not answered with its spend";
      ASSERT_TRUE(d.version == k_v1 || d.version == k_v2) << d.version;
      EXPECT_EQ(d.amount, d.version == k_v1 ? k_image_v1 : k_image_v2);
      if (d.received < reload_sent) {
        EXPECT_EQ(d.version, k_v1) << "answered before the reload";
      }
      if (d.sent > reload_answered) {
        EXPECT_EQ(d.version, k_v2) << "sent after the reload";
      }
      (d.version == k_v1 ? old_book : new_book)++;
      spent[d.account] += d.amount;
      const uint64_t id = std::stoull(d.id);
      by_shard[id >> 48][id] = d.version;
    }
  }
  EXPECT_GT(old_book, 0u);
  EXPECT_GT(new_book, 0u);
  for (const auto& [shard, spends] : by_shard) {
    bool switched = false;
    for (const auto& [id, version] : spends) {
      if (version == k_v2) switched = true;
      EXPECT_FALSE(switched && version == k_v1) << "shard " << shard << ": spend " << id
                                                << " priced with the old book after a new one";
    }
  }
  for (const auto& [account, amount] : spent) {
    const HttpReply b = admin("GET", "/v1/accounts/" + account + "/balance");
    ASSERT_EQ(b.status, 200) << b.body;
    EXPECT_EQ(b.json()["available_micro"].GetInt64(), (1'000'000 - amount) * 1'000'000) << account;
  }
}

}  // namespace
}  // namespace tally::testing
