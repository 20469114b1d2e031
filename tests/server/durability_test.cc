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
#include <thread>

#include "ledger/text.h"
#include "store/pg_test_url.h"
#include "tests/server/load_clients.h"

namespace tally::testing {
namespace {

TEST(GracefulShutdown, AnswersAndCommitsEverythingItReadThenExitsZero) {
  ServerProcess server({.extra_args = {}});  // the wall clock: no clock endpoint
  {
    HttpClient c(server.port());
    auto clock = c.send("POST", "/v1/admin/clock", R"({"now":"2030-01-01T00:00:00Z"})",
                        {bearer(server.admin_key())});
    EXPECT_EQ(clock.status, 404) << "the clock endpoint exists only under --clock manual";
  }
  open_load_accounts(server);
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
  for (int i = 0; i < k_load_clients; ++i) {
    const std::string id = "acct-" + std::to_string(i);
    // Exactly what was acknowledged: a request the server read was answered.
    EXPECT_EQ(available(c, server.admin_key(), id), k_load_grant + expected[id]) << id;
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
  open_load_accounts(server);
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
    auto r = resend(c, server.admin_key(), s);
    ASSERT_EQ(r.status, 201) << s.key << " " << r.body;
    if (s.acked) {
      EXPECT_EQ(r.json()["id"].GetString(), s.id) << s.key;
    }
    expected[s.account] += effect(s);
  }
  for (int i = 0; i < k_load_clients; ++i) {
    const std::string id = "acct-" + std::to_string(i);
    EXPECT_EQ(available(c, server.admin_key(), id), k_load_grant + expected[id]) << id;
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
