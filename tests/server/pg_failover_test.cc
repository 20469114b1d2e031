// Two `tally serve` nodes on one PostgreSQL (issue 16, docs/deploy.md): shard leases with
// fencing, on the fixture's server (tests/pg). One node holds every shard's lease and serves;
// the other stands by, answering 503 with the holder's name, and takes over once the holder
// stops renewing. Clients resend what got no answer, with its key, to whichever node answers:
// every acknowledged change is there exactly once, and `tally verify --store` is clean.
//
// The lease is one second here (docs/storage.md "Leases and fencing"), so each test takes a
// few seconds.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <mutex>
#include <sstream>
#include <thread>

#include "ledger/text.h"
#include "store/pg_conn.h"
#include "store/pg_test_url.h"
#include "tests/server/server_process.h"

namespace tally::testing {
namespace {

using Clock = std::chrono::steady_clock;
constexpr int k_lease_ms = 1000;

std::string read_file(const std::string& path) {
  std::ifstream in(path);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

// Two nodes' files: the configuration (the ledger in PostgreSQL, a one-second lease) and each
// node's log.
class PgFailover : public ::testing::Test {
 protected:
  void SetUp() override {
    make_dir();
    url_ = store::test_pg_database(cat("failover_", ::getpid(), "_", n_));
    ASSERT_FALSE(url_.empty());
    write_config();
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  void make_dir() {
    dir_ = (std::filesystem::temp_directory_path() / cat("tally-failover-", ::getpid(), "-", ++n_))
               .string();
    std::filesystem::create_directories(dir_);
  }
  // The nodes' configuration: the ledger in PostgreSQL at url_, a one-second lease.
  void write_config() {
    std::ifstream in(std::string(TALLY_SOURCE_DIR) + "/config/default.toml");
    std::stringstream config;
    config << in.rdbuf() << "\n[store]\nurl = \"" << url_ << "\"\nlease = \"PT1S\"\n";
    std::ofstream(dir_ + "/tally.toml") << config.str();
  }

  ServerOptions node(const std::string& name) {
    return {.config = dir_ + "/tally.toml", .extra_args = {"--log-file", log(name)}};
  }
  std::string log(const std::string& name) const { return cat(dir_, "/", name, ".log"); }

  static HttpReply admin(HttpClient& c, const std::string& method, const std::string& path,
                         const std::string& body = "", const std::string& key = "") {
    std::vector<std::pair<std::string, std::string>> headers = {bearer("tk_admin_test")};
    if (!key.empty()) headers.emplace_back("Idempotency-Key", key);
    return c.send(method, path, body, headers);
  }
  // Waits until the node's /healthz answers 200 (it holds the leases and serves): how long it
  // took, or -1 after `limit_ms`.
  static int64_t wait_serving(int port, int limit_ms) {
    const auto start = Clock::now();
    while (Clock::now() - start < std::chrono::milliseconds(limit_ms)) {
      HttpClient c(port);
      if (c.send("GET", "/healthz").status == 200) {
        return std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - start).count();
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    return -1;
  }
  void open_accounts(HttpClient& c) {
    for (int a = 0; a < k_accounts; ++a) {
      auto r = admin(c, "POST", "/v1/accounts", cat(R"({"id":"fo-)", a, R"(","plan":null})"),
                     cat("open-", a));
      ASSERT_EQ(r.status, 201) << r.body;
      r = admin(c, "POST", cat("/v1/accounts/fo-", a, "/grants"),
                R"({"amount":"100000","reason":"failover test"})", cat("grant-", a));
      ASSERT_EQ(r.status, 201) << r.body;
    }
  }

  // Clients spending 1 credit at a time, each with a key of its own, sent to `*target` (the node
  // a client believes serves). A request that gets no answer, or 503, goes again with the same
  // key, to the port in `*target` then, until it is answered 201.
  struct Load {
    std::atomic<int>* target;
    std::atomic<bool> stop{false};
    std::mutex mu;
    std::map<std::string, std::string> acknowledged;  // key -> first reply body
    std::map<int, int> spent;                         // account -> acknowledged spends
    std::atomic<int> not_served{0};                   // 503 answers
    std::atomic<int> no_answer{0};                    // the connection failed or closed
    std::vector<std::thread> threads;
  };
  static void run_load(Load& load, int clients) {
    for (int t = 0; t < clients; ++t) {
      load.threads.emplace_back([&load, t] {
        for (int i = 0; !load.stop; ++i) {
          const std::string key = cat("spend-", t, "-", i);
          const int account = (t + i) % k_accounts;
          const std::string body = cat(R"({"account":"fo-)", account, R"(","amount":"1"})");
          for (;;) {
            HttpClient c(load.target->load());
            auto r = admin(c, "POST", "/v1/spends", body, key);
            if (r.status == 201) {
              std::lock_guard lock(load.mu);
              load.acknowledged.emplace(key, r.body);
              load.spent[account] += 1;
              break;
            }
            ASSERT_TRUE(r.status == 0 || r.status == 503) << r.status << " " << r.body;
            ++(r.status == 503 ? load.not_served : load.no_answer);
            std::this_thread::sleep_for(std::chrono::milliseconds(20));
          }
        }
      });
    }
  }
  static void stop_load(Load& load) {
    load.stop = true;
    for (auto& t : load.threads) t.join();
  }
  // Every acknowledged spend is there once: each account's balance is its grant less its
  // acknowledged spends, and a retry of an acknowledged key gets its first reply.
  void expect_exactly_once(HttpClient& c, Load& load) {
    for (int a = 0; a < k_accounts; ++a) {
      auto r = admin(c, "GET", cat("/v1/accounts/fo-", a));
      ASSERT_EQ(r.status, 200) << r.body;
      EXPECT_EQ(r.json()["balance"]["available_micro"].GetInt64(),
                (100'000 - int64_t{load.spent[a]}) * 1'000'000)
          << "account fo-" << a;
    }
    int retried = 0;
    for (const auto& [key, reply] : load.acknowledged) {
      if (retried++ % 7 != 0) continue;  // a sample: each is a request
      const int t = std::stoi(key.substr(6));
      const int i = std::stoi(key.substr(key.rfind('-') + 1));
      auto again =
          admin(c, "POST", "/v1/spends",
                cat(R"({"account":"fo-)", (t + i) % k_accounts, R"(","amount":"1"})"), key);
      EXPECT_EQ(again.status, 201);
      EXPECT_EQ(again.body, reply) << key;
    }
  }
  void expect_verify_clean() {
    const CommandRun verify = run_tally({"verify", "--store", url_}, 60'000);
    EXPECT_EQ(verify.status, 0) << verify.output;
    EXPECT_EQ(verify.output.find("DIFFERENCES"), std::string::npos) << verify.output;
  }

  static constexpr int k_accounts = 4;
  static inline int n_ = 0;
  std::string url_, dir_;
};

TEST_F(PgFailover, TheStandbyAnswers503NamingTheHolderAndServesWithinTheLeaseTimeAfterASigkill) {
  ServerProcess a(node("a"));
  ServerProcess b(node("b"));  // starts while A holds the leases: stands by
  {
    HttpClient c(b.port());
    auto health = c.send("GET", "/healthz");
    EXPECT_EQ(health.status, 503) << health.body;
    EXPECT_EQ(std::string(health.json()["status"].GetString()), "standby");
    EXPECT_EQ(std::string(health.json()["node"]["state"].GetString()), "standby");
    HttpClient ca(a.port());
    auto active = ca.send("GET", "/healthz");
    ASSERT_EQ(active.status, 200) << active.body;
    const std::string holder = active.json()["node"]["id"].GetString();
    EXPECT_EQ(std::string(active.json()["node"]["state"].GetString()), "active");
    EXPECT_EQ(std::string(health.json()["node"]["owner"].GetString()), holder);
    auto refused = admin(c, "GET", "/v1/accounts/fo-0");
    EXPECT_EQ(refused.status, 503) << refused.body;
    EXPECT_EQ(std::string(refused.json()["type"].GetString()), "unavailable");
    EXPECT_EQ(std::string(refused.json()["owner"].GetString()), holder);
    EXPECT_NE(refused.body.find("does not hold the shard leases"), std::string::npos);
    auto metrics = c.send("GET", "/metrics");
    EXPECT_NE(metrics.body.find("tally_lease_serving 0"), std::string::npos) << metrics.body;
    EXPECT_NE(ca.send("GET", "/metrics").body.find("tally_lease_serving 1"), std::string::npos);
    open_accounts(ca);
  }
  std::atomic<int> target{a.port()};
  Load load{&target};
  run_load(load, 3);
  std::this_thread::sleep_for(std::chrono::milliseconds(500));
  a.kill();  // SIGKILL under load: no release, the lease runs out
  target = b.port();
  const int64_t took_ms = wait_serving(b.port(), 20'000);
  ASSERT_GE(took_ms, 0) << read_file(log("b"));
  // Within the lease time, a standby's retry (a fifth of it) and the load of the shards.
  EXPECT_LT(took_ms, k_lease_ms + k_lease_ms / 5 + 3'000);
  std::printf("failover: the standby served %lld ms after the SIGKILL\n",
              static_cast<long long>(took_ms));
  std::this_thread::sleep_for(std::chrono::milliseconds(500));
  stop_load(load);
  EXPECT_GT(load.acknowledged.size(), 10u);
  {
    HttpClient c(b.port());
    expect_exactly_once(c, load);
  }
  EXPECT_NE(read_file(log("b")).find("\"lease_acquired\""), std::string::npos);
  EXPECT_EQ(b.stop(), 0);
  EXPECT_NE(read_file(log("b")).find("\"lease_released\""), std::string::npos);
  expect_verify_clean();
}

// SIGSTOP the holder until the standby took its leases, then SIGCONT it: nothing it commits
// after the takeover lands (fencing: its journal rows stop at the takeover), it answers no
// request from then on, and it notices and stops (exit status 3, `lease_lost` in its log).
TEST_F(PgFailover, APausedHolderIsFencedWhenItWakesAndStops) {
  ServerProcess a(node("a"));
  ServerProcess b(node("b"));
  int64_t epoch_a = 0;
  {
    HttpClient ca(a.port());
    open_accounts(ca);
    auto health = ca.send("GET", "/healthz");
    ASSERT_EQ(health.status, 200) << health.body;
    epoch_a = health.json()["node"]["epoch"].GetInt64();
  }
  std::atomic<int> target{a.port()};
  Load load{&target};
  run_load(load, 3);
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  ASSERT_EQ(::kill(a.pid(), SIGSTOP), 0);
  const int64_t took_ms = wait_serving(b.port(), 20'000);
  ASSERT_GE(took_ms, 0) << read_file(log("b"));
  const std::string journal_of_a =
      cat("SELECT count(*) FROM journal WHERE lease_epoch = ", epoch_a);
  const int64_t rows_of_a = store::test_pg_scalar(url_, journal_of_a);
  EXPECT_GT(rows_of_a, 0);
  target = b.port();  // clients waiting on A stay there until it wakes
  ASSERT_EQ(::kill(a.pid(), SIGCONT), 0);
  int status = 0;
  const auto start = Clock::now();
  while (::waitpid(a.pid(), &status, WNOHANG) == 0 &&
         Clock::now() - start < std::chrono::seconds(20)) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  ASSERT_TRUE(WIFEXITED(status)) << "status " << status;
  EXPECT_EQ(WEXITSTATUS(status), 3);
  const std::string log_a = read_file(log("a"));
  const size_t lost = log_a.find("\"lease_lost\"");
  ASSERT_NE(lost, std::string::npos) << log_a;
  std::printf("fencing: %s\n", log_a.substr(log_a.rfind('{', lost)).c_str());
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  stop_load(load);
  // An answer A gave before the pause may still reach its client after A wakes (the I/O thread
  // writes it then): a change committed under A's lease, which expect_exactly_once counts. A
  // change A applied but could not commit is never acknowledged: the balances would show it.
  EXPECT_EQ(store::test_pg_scalar(url_, journal_of_a),
            rows_of_a);  // nothing of A's after the takeover
  EXPECT_GT(store::test_pg_scalar(
                url_, cat("SELECT count(*) FROM journal WHERE lease_epoch > ", epoch_a)),
            0);
  {
    HttpClient c(b.port());
    expect_exactly_once(c, load);
  }
  EXPECT_EQ(b.stop(), 0);
  expect_verify_clean();
}

// Rule 8 across nodes: a payment_ref credited on the old active node is the deployment's, so
// the new one answers the same purchase with its first reply and refuses it for any other
// account (whatever shard that account is on), from the `payments` table both nodes share.
TEST_F(PgFailover, APaymentRefCreditsOncePerDeploymentAcrossAFailover) {
  ServerProcess a(node("a"));
  ServerProcess b(node("b"));
  const std::string body =
      R"({"account":"fo-0","pack":"small","currency":"USD","payment_ref":"pay_fo"})";
  std::string reply;
  {
    HttpClient ca(a.port());
    open_accounts(ca);
    auto p = admin(ca, "POST", "/v1/purchases", body, "buy-a");
    ASSERT_EQ(p.status, 201) << p.body;
    reply = p.body;
  }
  // The other accounts are not all on fo-0's shard: a shard's own payment_ref check would
  // not see the payment from there.
  ASSERT_GT(store::test_pg_scalar(url_,
                                  "SELECT count(DISTINCT shard_id) FROM accounts WHERE id "
                                  "IN ('fo-0', 'fo-1', 'fo-2', 'fo-3')"),
            1);
  EXPECT_EQ(a.stop(), 0);
  ASSERT_GE(wait_serving(b.port(), 20'000), 0) << read_file(log("b"));
  HttpClient cb(b.port());
  auto again = admin(cb, "POST", "/v1/purchases", body, "buy-b");  // another key, same payment
  EXPECT_EQ(again.status, 201) << again.body;
  EXPECT_EQ(again.body, reply);
  for (int other = 1; other < k_accounts; ++other) {
    auto taken = admin(cb, "POST", "/v1/purchases",
                       cat(R"({"account":"fo-)", other,
                           R"(","pack":"small","currency":"USD","payment_ref":"pay_fo"})"),
                       cat("buy-other-", other));
    EXPECT_EQ(taken.status, 409) << taken.body;
    EXPECT_NE(taken.body.find("payment_ref_used"), std::string::npos) << taken.body;
  }
  EXPECT_EQ(
      store::test_pg_scalar(url_, "SELECT count(*) FROM purchases WHERE payment_ref = 'pay_fo'"),
      1);
  EXPECT_EQ(store::test_pg_scalar(url_, "SELECT count(*) FROM payments WHERE response IS NOT NULL"),
            1);
  EXPECT_EQ(b.stop(), 0);
}

// Keys, token revocations and the admin audit trail are the deployment's (docs/operations.md
// "Keys on PostgreSQL"): made or revoked on the active node, in force on the node that takes
// over from the first request it answers, and back again. B stands by while A makes every
// change, so it cannot have read them at its start: it reads them once it holds the leases.
TEST_F(PgFailover, KeysTokenRevocationsAndTheAdminAuditFollowTheActiveNode) {
  ServerProcess a(node("a"));
  ServerProcess b(node("b"));
  auto as = [](HttpClient& c, const std::string& secret, const std::string& path) {
    return c.send("GET", path, "", {bearer(secret)});
  };
  auto field = [](const HttpReply& r, const char* name) {
    return std::string(r.json()[name].GetString());
  };
  std::string kept, revoked, kept_id, token_kept, token_kept_id, token_revoked;
  {
    HttpClient ca(a.port());
    open_accounts(ca);
    auto k1 = admin(ca, "POST", "/v1/keys", R"({"name":"kept","scope":"read"})", "key-1");
    auto k2 = admin(ca, "POST", "/v1/keys", R"({"name":"revoked","scope":"read"})", "key-2");
    ASSERT_EQ(k1.status, 201) << k1.body;
    ASSERT_EQ(k2.status, 201) << k2.body;
    kept = field(k1, "key");
    kept_id = field(k1, "id");
    revoked = field(k2, "key");
    ASSERT_EQ(admin(ca, "DELETE", "/v1/keys/" + field(k2, "id")).status, 200);
    auto t1 = admin(ca, "POST", "/v1/accounts/fo-0/tokens", "{}");
    auto t2 = admin(ca, "POST", "/v1/accounts/fo-0/tokens", "{}");
    ASSERT_EQ(t1.status, 201) << t1.body;
    ASSERT_EQ(t2.status, 201) << t2.body;
    token_kept = field(t1, "token");
    token_kept_id = field(t1, "id");
    token_revoked = field(t2, "token");
    ASSERT_EQ(admin(ca, "POST", "/v1/accounts/fo-0/tokens/revoke",
                    R"({"token_id":")" + field(t2, "id") + "\"}")
                  .status,
              200);
    EXPECT_EQ(as(ca, kept, "/v1/accounts/fo-0").status, 200);
    EXPECT_EQ(as(ca, revoked, "/v1/accounts/fo-0").status, 401);
  }
  EXPECT_EQ(a.stop(), 0);
  ASSERT_GE(wait_serving(b.port(), 20'000), 0) << read_file(log("b"));
  {
    HttpClient cb(b.port());
    EXPECT_EQ(as(cb, kept, "/v1/accounts/fo-0").status, 200) << "a key made on A works on B";
    auto refused = as(cb, revoked, "/v1/accounts/fo-0");
    EXPECT_EQ(refused.status, 401) << "a key revoked on A is refused on B: " << refused.body;
    EXPECT_EQ(as(cb, token_kept, "/v1/accounts/fo-0").status, 200) << "A's token is read on B";
    auto token_refused = as(cb, token_revoked, "/v1/accounts/fo-0");
    EXPECT_EQ(token_refused.status, 401) << token_refused.body;
    EXPECT_NE(token_refused.body.find("revoked"), std::string::npos) << token_refused.body;
    // A's admin actions are in B's audit trail.
    auto audit = admin(cb, "GET", "/v1/audit?limit=100");
    ASSERT_EQ(audit.status, 200) << audit.body;
    std::map<std::string, int> actions;
    const auto page = audit.json();
    for (const auto& l : page["lines"].GetArray()) {
      if (std::string(l["source"].GetString()) == "admin") ++actions[l["action"].GetString()];
    }
    EXPECT_EQ(actions["create_key"], 2) << audit.body;
    EXPECT_EQ(actions["revoke_key"], 1) << audit.body;
    EXPECT_EQ(actions["revoke_tokens"], 1) << audit.body;
    // Revoked on B: refused on A when it serves again.
    ASSERT_EQ(admin(cb, "DELETE", "/v1/keys/" + kept_id).status, 200);
    ASSERT_EQ(admin(cb, "POST", "/v1/accounts/fo-0/tokens/revoke",
                    R"({"token_id":")" + token_kept_id + "\"}")
                  .status,
              200);
    EXPECT_EQ(as(cb, kept, "/v1/accounts/fo-0").status, 401);
  }
  a.restart();  // stands by while B holds the leases
  EXPECT_EQ(b.stop(), 0);
  ASSERT_GE(wait_serving(a.port(), 20'000), 0) << read_file(log("a"));
  HttpClient ca(a.port());
  EXPECT_EQ(as(ca, kept, "/v1/accounts/fo-0").status, 401) << "revoked on B";
  EXPECT_EQ(as(ca, token_kept, "/v1/accounts/fo-0").status, 401) << "revoked on B";
  auto keys = admin(ca, "GET", "/v1/keys");
  ASSERT_EQ(keys.status, 200) << keys.body;
  EXPECT_EQ(keys.body.find(kept_id), std::string::npos) << keys.body;
  EXPECT_EQ(store::test_pg_scalar(url_, "SELECT count(*) FROM admin_audit"), 6);
  EXPECT_EQ(a.stop(), 0);
}

// A primary with a synchronous standby (tests/pg/pg_ha.sh), started and stopped by the test;
// the nodes connect with a multi-host URL (target_session_attrs=read-write).
class PgHaFailover : public PgFailover {
 protected:
  void SetUp() override {
    make_dir();
    state_ = dir_ + "/pg-ha";
    ASSERT_EQ(ha("start"), 0);
    std::string primary, multi;
    std::getline(std::ifstream(state_ + "/primary_url"), primary);
    std::getline(std::ifstream(state_ + "/url"), multi);
    ASSERT_FALSE(primary.empty());
    auto db = store::pg::Connection::open(primary, "");
    ASSERT_TRUE(db.has_value()) << db.error();
    ASSERT_TRUE((*db)->exec("CREATE DATABASE ha").has_value());
    url_ = multi;
    url_.replace(url_.rfind("/postgres"), 9, "/ha");
    write_config();
  }
  void TearDown() override {
    EXPECT_EQ(ha("stop"), 0);
    PgFailover::TearDown();
  }
  int ha(const std::string& command) {
    const std::string script = std::string(TALLY_SOURCE_DIR) + "/tests/pg/pg_ha.sh";
    const int status = std::system(cat(script, " ", command, " ", state_).c_str());
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  }
  std::string state_;
};

// SIGKILL the PostgreSQL primary (postmaster and backends: its machine died) under load, then
// promote the standby. The active node's commit in flight has an unknown outcome: it stops
// (fail-stop, as on SQLite), its lease runs out, and the standby node takes the shards from the
// promoted server. Meanwhile every request is answered 503 `unavailable` or not at all, never
// 201 for something lost nor 500; afterwards every acknowledged spend is there exactly once
// (those the old primary committed reached the standby before their reply: synchronous
// replication) and `tally verify --store` is clean.
TEST_F(PgHaFailover, SigkillOfThePrimaryThenPromotionLosesNoAcknowledgedChange) {
  ServerProcess a(node("a"));
  ServerProcess b(node("b"));
  {
    HttpClient ca(a.port());
    ASSERT_EQ(ca.send("GET", "/healthz").status, 200);
    open_accounts(ca);
  }
  std::atomic<int> target{a.port()};
  Load load{&target};
  run_load(load, 3);
  std::this_thread::sleep_for(std::chrono::milliseconds(500));
  size_t before_kill = 0;
  {
    std::lock_guard lock(load.mu);
    before_kill = load.acknowledged.size();
  }
  ASSERT_EQ(ha("kill-primary"), 0);
  const auto killed = Clock::now();
  target = b.port();
  // No primary for a while (longer than the lease): nothing is served, nothing is lost.
  std::this_thread::sleep_for(std::chrono::milliseconds(k_lease_ms + 500));
  {
    HttpClient c(b.port());
    auto refused = admin(c, "GET", "/v1/accounts/fo-0");
    EXPECT_EQ(refused.status, 503) << refused.body;
    EXPECT_EQ(std::string(refused.json()["type"].GetString()), "unavailable");
  }
  ASSERT_EQ(ha("promote"), 0);
  const auto promoted = Clock::now();
  // Either node may serve next: b, once a's lease ran out, or a itself, if it renewed its lease
  // (expired, not taken) on the promoted server before b took it.
  ServerProcess* serving = nullptr;
  while (serving == nullptr && Clock::now() - promoted < std::chrono::seconds(30)) {
    for (ServerProcess* p : {&a, &b}) {
      HttpClient c(p->port());
      if (c.send("GET", "/healthz").status == 200) serving = p;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  ASSERT_NE(serving, nullptr) << read_file(log("a")) << read_file(log("b"));
  target = serving->port();
  const auto since = [](Clock::time_point t) {
    return static_cast<long long>(
        std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - t).count());
  };
  std::printf("pg failover: node %s served %lld ms after the promotion (%lld ms after the kill)\n",
              serving == &a ? "a" : "b", since(promoted), since(killed));
  std::this_thread::sleep_for(std::chrono::milliseconds(500));
  stop_load(load);
  std::printf(
      "pg failover: %zu acknowledged (%zu before the kill), %d answered 503, %d not at all\n",
      load.acknowledged.size(), before_kill, load.not_served.load(), load.no_answer.load());
  EXPECT_GT(before_kill, 10u);
  EXPECT_GT(load.acknowledged.size(), before_kill);  // served again after the promotion
  EXPECT_GT(load.not_served.load(), 0);
  {
    HttpClient c(serving->port());
    expect_exactly_once(c, load);
  }
  EXPECT_EQ(serving->stop(), 0);
  expect_verify_clean();
}

// A node that was idle while the primary died and the standby was promoted: it answers 503
// while it cannot renew its lease, renews it on the promoted server (nobody took it), and goes
// on. Its connections broke while nothing was in flight on them: the next commit and the next
// read open them again (`store_reconnected`), rather than fail (a stop, a 500).
TEST_F(PgHaFailover, ANodeIdleThroughTheFailoverReconnectsAndServesOn) {
  ServerProcess a(node("a"));
  HttpClient c(a.port());
  open_accounts(c);
  ASSERT_EQ(admin(c, "GET", "/v1/events").status, 200);
  ASSERT_EQ(ha("kill-primary"), 0);
  std::this_thread::sleep_for(std::chrono::milliseconds(k_lease_ms + 300));
  auto refused = admin(c, "POST", "/v1/spends", R"({"account":"fo-0","amount":"1"})", "idle-1");
  EXPECT_EQ(refused.status, 503) << refused.body;
  ASSERT_EQ(ha("promote"), 0);
  ASSERT_GE(wait_serving(a.port(), 30'000), 0) << read_file(log("a"));
  auto spent = admin(c, "POST", "/v1/spends", R"({"account":"fo-0","amount":"1"})", "idle-1");
  ASSERT_EQ(spent.status, 201) << spent.body << read_file(log("a"));
  EXPECT_EQ(admin(c, "GET", "/v1/events").status, 200);
  auto account = admin(c, "GET", "/v1/accounts/fo-0");
  EXPECT_EQ(account.json()["balance"]["available_micro"].GetInt64(), 99'999'000'000);
  EXPECT_NE(read_file(log("a")).find("\"store_reconnected\""), std::string::npos);
  EXPECT_EQ(a.stop(), 0);
  expect_verify_clean();
}

}  // namespace
}  // namespace tally::testing
