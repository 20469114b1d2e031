// Durability of `tally serve` (issue 6): a graceful shutdown (SIGTERM) while clients send
// answers and commits everything it read and exits 0; a SIGKILL loses no acknowledged request,
// and resending every request with its key afterwards gives exactly-once totals; `tally
// verify` is clean on what is left on disk. The SIGKILL test runs on the data directory and on
// PostgreSQL (issue 16; the ctest fixture `pg` starts the server, tests/pg).
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdlib>
#include <mutex>
#include <thread>

#include "ledger/text.h"
#include "store/pg_test_url.h"
#include "tests/server/server_process.h"

namespace tally::testing {
namespace {

constexpr int k_clients = 4;
constexpr int k_grant = 1'000'000;

struct Sent {
  std::string account, key, body;
  bool acked = false;
  std::string id;  // of the spend or lot, when acknowledged
};

// Clients spend 1 credit per request on their own account with unique keys until `stop`;
// every 10th request is a grant of 2 (admin). Returns every request sent.
std::vector<Sent> load(int port, const std::string& admin_key, std::atomic<bool>& stop,
                       int round) {
  std::vector<Sent> all;
  std::mutex mu;
  std::vector<std::thread> threads;
  for (int c = 0; c < k_clients; ++c) {
    threads.emplace_back([&, c] {
      HttpClient client(port);
      const std::string account = "acct-" + std::to_string(c);
      for (int i = 0; !stop; ++i) {
        Sent s;
        s.account = account;
        s.key = "r" + std::to_string(round) + "-c" + std::to_string(c) + "-" + std::to_string(i);
        const bool grant = i % 10 == 9;
        const std::string path = grant ? "/v1/accounts/" + account + "/grants" : "/v1/spends";
        s.body = grant ? R"({"amount":"2","reason":"top-up"})"
                       : R"({"account":")" + account + R"(","amount":"1","tool":"chat"})";
        s.body = path + "\n" + s.body;
        auto r = client.send("POST", path, s.body.substr(s.body.find('\n') + 1),
                             {bearer(admin_key), {"Idempotency-Key", s.key}});
        s.acked = r.status == 201;
        if (s.acked) s.id = r.json()["id"].GetString();
        if (r.status != 0 && r.status != 201 && r.status != 503) {
          ADD_FAILURE() << "unexpected " << r.status << " " << r.body;
        }
        {
          std::lock_guard lock(mu);
          all.push_back(s);
        }
        if (r.status == 0) break;  // the server went away
      }
    });
  }
  for (auto& t : threads) t.join();
  return all;
}

// The change a request makes to its account's available balance, in credits.
int64_t effect(const Sent& s) { return s.body.starts_with("/v1/spends") ? -1 : 2; }

int64_t available(HttpClient& c, const std::string& key, const std::string& account) {
  auto r = c.send("GET", "/v1/accounts/" + account, "", {bearer(key)});
  EXPECT_EQ(r.status, 200) << r.body;
  return r.json()["balance"]["available_micro"].GetInt64() / 1'000'000;
}

void open_accounts(ServerProcess& server) {
  HttpClient c(server.port());
  for (int i = 0; i < k_clients; ++i) {
    const std::string id = "acct-" + std::to_string(i);
    auto r = c.send("POST", "/v1/accounts", R"({"id":")" + id + R"(","plan":null})",
                    {bearer(server.admin_key()), {"Idempotency-Key", "open-" + id}});
    ASSERT_EQ(r.status, 201) << r.body;
    r = c.send("POST", "/v1/accounts/" + id + "/grants",
               R"({"amount":")" + std::to_string(k_grant) + R"(","reason":"float","never_expires":true})",
               {bearer(server.admin_key()), {"Idempotency-Key", "float-" + id}});
    ASSERT_EQ(r.status, 201) << r.body;
  }
}

// `tally verify --data DIR`, or `--store URL` for a store given by URL.
int verify(const std::string& data_dir, const std::string& store_url = "") {
  const std::string cmd = tally_binary() + " verify " +
                          (store_url.empty() ? "--data " + data_dir : "--store " + store_url) +
                          " > /dev/null";
  const int status = std::system(cmd.c_str());
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

TEST(GracefulShutdown, AnswersAndCommitsEverythingItReadThenExitsZero) {
  ServerProcess server({.extra_args = {}});  // the wall clock: no clock endpoint
  {
    HttpClient c(server.port());
    auto clock = c.send("POST", "/v1/admin/clock", R"({"now":"2030-01-01T00:00:00Z"})",
                        {bearer(server.admin_key())});
    EXPECT_EQ(clock.status, 404) << "the clock endpoint exists only under --clock manual";
  }
  open_accounts(server);
  std::atomic<bool> stop{false};
  std::vector<Sent> sent;
  std::thread clients([&] { sent = load(server.port(), server.admin_key(), stop, 0); });
  std::this_thread::sleep_for(std::chrono::milliseconds(700));
  EXPECT_EQ(server.stop(), 0);  // SIGTERM while the clients send
  stop = true;
  clients.join();
  server.restart();
  HttpClient c(server.port());
  std::map<std::string, int64_t> expected;
  size_t acked = 0;
  for (const Sent& s : sent) {
    if (!s.acked) continue;
    expected[s.account] += effect(s);
    ++acked;
  }
  EXPECT_GT(acked, 0u);
  for (int i = 0; i < k_clients; ++i) {
    const std::string id = "acct-" + std::to_string(i);
    // Exactly what was acknowledged: a request the server read was answered.
    EXPECT_EQ(available(c, server.admin_key(), id), k_grant + expected[id]) << id;
  }
  EXPECT_EQ(server.stop(), 0);
  EXPECT_EQ(verify(server.data_dir()), 0);
  // Another shard count would look for accounts in the wrong shards: refused at start.
  const std::string other = tally_binary() + " serve --data " + server.data_dir() +
                            " --shards 3 --listen 127.0.0.1:0 > /dev/null 2>&1";
  const int status = std::system(other.c_str());
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 1) << status;
}

// Three SIGKILLs under load, then every request resent with its key; on `store_url` when given
// (PostgreSQL), else the data directory.
void crash_over_http(const std::string& store_url) {
  ServerOptions options;
  if (!store_url.empty()) options.extra_args = {"--clock", "manual", "--store", store_url};
  ServerProcess server(options);
  open_accounts(server);
  std::vector<Sent> all;
  for (int round = 0; round < 3; ++round) {
    std::atomic<bool> stop{false};
    std::vector<Sent> sent;
    std::thread clients([&] { sent = load(server.port(), server.admin_key(), stop, round); });
    std::this_thread::sleep_for(std::chrono::milliseconds(300 + 200 * round));
    server.kill();  // SIGKILL at a random moment of the load
    stop = true;
    clients.join();
    server.restart();
    all.insert(all.end(), sent.begin(), sent.end());
  }
  // Resend every request ever sent, with its key: each takes effect exactly once, and an
  // acknowledged one answers with the object it first created (it survived every crash).
  HttpClient c(server.port());
  std::map<std::string, int64_t> expected;
  for (const Sent& s : all) {
    const std::string path = s.body.substr(0, s.body.find('\n'));
    auto r = c.send("POST", path, s.body.substr(s.body.find('\n') + 1),
                    {bearer(server.admin_key()), {"Idempotency-Key", s.key}});
    ASSERT_EQ(r.status, 201) << s.key << " " << r.body;
    if (s.acked) {
      EXPECT_EQ(r.json()["id"].GetString(), s.id) << s.key;
    }
    expected[s.account] += effect(s);
  }
  for (int i = 0; i < k_clients; ++i) {
    const std::string id = "acct-" + std::to_string(i);
    EXPECT_EQ(available(c, server.admin_key(), id), k_grant + expected[id]) << id;
  }
  EXPECT_EQ(server.stop(), 0);
  EXPECT_EQ(verify(server.data_dir(), store_url), 0);
}

TEST(CrashOverHttp, NoAcknowledgedRequestIsLostAndRetriesAreExactlyOnce) { crash_over_http(""); }

// The same with the ledger in PostgreSQL (issue 16), on the fixture's server (tests/pg).
TEST(CrashOverHttp, OnPostgresNoAcknowledgedRequestIsLostAndRetriesAreExactlyOnce) {
  const std::string url = store::test_pg_database(cat("crash_http_", ::getpid()));
  ASSERT_FALSE(url.empty());
  crash_over_http(url);
}

}  // namespace
}  // namespace tally::testing
