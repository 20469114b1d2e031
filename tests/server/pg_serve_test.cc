// `tally serve --store postgresql://...` end to end (issue 16), on the PostgreSQL server the
// ctest fixture `pg` starts (tests/pg): a database of its own per test, commands over HTTP, a
// SIGKILL, a restart on the same database, and everything acknowledged still there, answered
// again byte for byte to a retry, and `tally verify --store` clean. The ledger is in
// PostgreSQL only: the data directory holds no shard file.
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "ledger/text.h"
#include "store/pg_conn.h"
#include "store/pg_test_url.h"
#include "tests/server/server_process.h"

namespace tally::testing {
namespace {

class PgServe : public ::testing::Test {
 protected:
  HttpReply admin(HttpClient& c, const std::string& method, const std::string& path,
                  const std::string& body = "", const std::string& key = "") {
    std::vector<std::pair<std::string, std::string>> headers = {bearer("tk_admin_test")};
    if (!key.empty()) headers.emplace_back("Idempotency-Key", key);
    return c.send(method, path, body, headers);
  }
  int64_t available(HttpClient& c, const std::string& account) {
    auto r = admin(c, "GET", "/v1/accounts/" + account);
    EXPECT_EQ(r.status, 200) << r.body;
    return r.status == 200 ? r.json()["balance"]["available_micro"].GetInt64() / 1'000'000 : -1;
  }
};

TEST_F(PgServe, AcknowledgedChangesSurviveASigkillAndVerifyClean) {
  const std::string url = store::test_pg_database(cat("serve_kill_", ::getpid()));
  ASSERT_FALSE(url.empty());
  ServerProcess server({.extra_args = {"--clock", "manual", "--store", url}});  // 2 shards
  std::string spend_reply;
  {
    HttpClient c(server.port());
    for (const char* id : {"pg-a", "pg-b"}) {
      auto r = admin(c, "POST", "/v1/accounts", cat(R"({"id":")", id, R"(","plan":null})"),
                     cat("open-", id));
      ASSERT_EQ(r.status, 201) << r.body;
      r = admin(c, "POST", cat("/v1/accounts/", id, "/grants"),
                R"({"amount":"100","reason":"welcome"})", cat("grant-", id));
      ASSERT_EQ(r.status, 201) << r.body;
    }
    auto spend = admin(c, "POST", "/v1/spends", R"({"account":"pg-a","amount":"5","tool":"chat"})",
                       "spend-1");
    ASSERT_EQ(spend.status, 201) << spend.body;
    spend_reply = spend.body;
    auto hold = admin(c, "POST", "/v1/holds", R"({"account":"pg-b","amount":"30"})", "hold-1");
    ASSERT_EQ(hold.status, 201) << hold.body;
    const std::string id = hold.json()["id"].GetString();
    auto capture = admin(c, "POST", "/v1/holds/" + id + "/capture", R"({"amount":"12"})", "cap-1");
    ASSERT_EQ(capture.status, 200) << capture.body;
    EXPECT_EQ(available(c, "pg-a"), 95);
    EXPECT_EQ(available(c, "pg-b"), 88);
  }
  // Acknowledged means committed in PostgreSQL: the journal rows are there before the kill.
  EXPECT_GE(store::test_pg_scalar(url, "SELECT count(*) FROM journal"), 1);
  server.kill();  // SIGKILL: nothing is flushed on the way out
  for (const auto& f : std::filesystem::directory_iterator(server.data_dir())) {
    EXPECT_FALSE(f.path().filename().string().starts_with("shard-")) << f.path();
  }
  server.restart();
  {
    HttpClient c(server.port());
    EXPECT_EQ(available(c, "pg-a"), 95);
    EXPECT_EQ(available(c, "pg-b"), 88);
    // A retry of an acknowledged request gets its first answer, byte for byte, and changes
    // nothing (rule 8), across the restart.
    auto again = admin(c, "POST", "/v1/spends", R"({"account":"pg-a","amount":"5","tool":"chat"})",
                       "spend-1");
    EXPECT_EQ(again.status, 201);
    EXPECT_EQ(again.body, spend_reply);
    EXPECT_EQ(available(c, "pg-a"), 95);
    auto history = admin(c, "GET", "/v1/accounts/pg-b/entries");
    ASSERT_EQ(history.status, 200) << history.body;
    EXPECT_NE(history.body.find("capture"), std::string::npos) << history.body;
    // A change after the restart commits too.
    auto spend = admin(c, "POST", "/v1/spends", R"({"account":"pg-b","amount":"8","tool":"chat"})",
                       "spend-2");
    ASSERT_EQ(spend.status, 201) << spend.body;
    EXPECT_EQ(available(c, "pg-b"), 80);
  }
  EXPECT_EQ(server.stop(), 0);
  // The journal alone recomputes every balance; every journal row is whole.
  const CommandRun verify = run_tally({"verify", "--store", url}, 60'000);
  EXPECT_EQ(verify.status, 0) << verify.output;
  EXPECT_NE(verify.output.find(": ok"), std::string::npos) << verify.output;
  EXPECT_EQ(verify.output.find("DIFFERENCES"), std::string::npos) << verify.output;
  // The database keeps its shard count: another one is refused at start, naming it.
  const CommandRun other = run_tally({"serve", "--data", server.data_dir(), "--listen",
                                      "127.0.0.1:0", "--store", url, "--shards", "3"},
                                     60'000);
  EXPECT_EQ(other.status, 1) << other.output;
  EXPECT_NE(other.output.find("the database holds 2 shards"), std::string::npos) << other.output;
}

// The configuration's [store] (url and schema) is the command line's --store.
TEST_F(PgServe, TheConfigurationsStoreSectionPutsTheLedgerInPostgres) {
  const std::string url = store::test_pg_database(cat("serve_config_", ::getpid()));
  ASSERT_FALSE(url.empty());
  std::ifstream in(std::string(TALLY_SOURCE_DIR) + "/config/default.toml");
  std::stringstream config;
  config << in.rdbuf() << "\n[store]\nurl = \"" << url << "\"\nschema = \"ledger\"\n";
  const std::string file =
      (std::filesystem::temp_directory_path() / cat("tally-store-", ::getpid(), ".toml")).string();
  std::ofstream(file) << config.str();
  {
    ServerProcess server({.config = file});
    HttpClient c(server.port());
    auto r = admin(c, "POST", "/v1/accounts", R"({"id":"cfg-a","plan":null})", "open-cfg-a");
    ASSERT_EQ(r.status, 201) << r.body;
    EXPECT_EQ(server.stop(), 0);
  }
  std::filesystem::remove(file);
  EXPECT_EQ(store::test_pg_scalar(url, "SELECT count(*) FROM ledger.accounts WHERE id = 'cfg-a'"),
            1);
  // Nothing of it in the default schema.
  EXPECT_EQ(store::test_pg_scalar(url,
                                  "SELECT count(*) FROM pg_tables WHERE schemaname = 'public' "
                                  "AND tablename = 'accounts'"),
            0);
}

TEST_F(PgServe, AStoreThatCannotBeReachedIsAnErrorAtStartNamingTheHost) {
  const std::string dir =
      (std::filesystem::temp_directory_path() / cat("tally-unreachable-", ::getpid())).string();
  const CommandRun run = run_tally({"serve", "--data", dir, "--listen", "127.0.0.1:0", "--store",
                                    "postgresql://tally:secret@127.0.0.1:1/postgres"},
                                   30'000);
  std::filesystem::remove_all(dir);
  EXPECT_FALSE(run.timed_out);
  EXPECT_EQ(run.status, 1) << run.output;
  EXPECT_NE(run.output.find("cannot connect to PostgreSQL at 127.0.0.1:1"), std::string::npos)
      << run.output;
  EXPECT_EQ(run.output.find("secret"), std::string::npos) << run.output;  // never the password
}

}  // namespace
}  // namespace tally::testing
