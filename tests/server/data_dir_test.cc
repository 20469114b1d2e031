// The data directory of `tally serve` (issue 13): one process at a time holds it, what is in it
// is readable by its owner only, and a journal row changed on disk is an error, not an answer.
#include <gtest/gtest.h>
#include <sqlite3.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <map>
#include <string>

#include "tests/server/server_process.h"

namespace tally::testing {
namespace {

std::string available(HttpClient& c, const ServerProcess& s, const std::string& id) {
  auto r = c.send("GET", "/v1/accounts/" + id, "", {bearer(s.admin_key())});
  EXPECT_EQ(r.status, 200) << r.body;
  return r.status == 200 ? r.json()["balance"]["available"].GetString() : "";
}

int post(HttpClient& c, const ServerProcess& s, const std::string& path, const std::string& body,
         const std::string& key) {
  return c.send("POST", path, body, {bearer(s.admin_key()), {"Idempotency-Key", key}}).status;
}

TEST(DataDirLock, ASecondServerOnTheSameDataIsRefusedNamingTheFirstWhichGoesOnServing) {
  ServerProcess first;
  HttpClient c(first.port());
  ASSERT_EQ(post(c, first, "/v1/accounts", R"({"id":"u"})", "open-u"), 201);
  const std::string pid = "pid " + std::to_string(first.pid());
  const std::string before = available(c, first, "u");

  CommandRun second = run_tally({"serve", "--data", first.data_dir(), "--listen", "127.0.0.1:0",
                                 "--shards", "2", "--clock", "manual"},
                                30'000);
  EXPECT_FALSE(second.timed_out) << "the second server started: " << second.output;
  EXPECT_EQ(second.status, 1) << second.output;
  EXPECT_NE(second.output.find(pid), std::string::npos) << second.output;
  // `tally verify` takes the same lock: it does not read data a server is changing.
  CommandRun verify = run_tally({"verify", "--data", first.data_dir()}, 30'000);
  EXPECT_EQ(verify.status, 1) << verify.output;
  EXPECT_NE(verify.output.find(pid), std::string::npos) << verify.output;

  // The first server still writes and answers.
  ASSERT_EQ(post(c, first, "/v1/accounts/u/grants", R"({"amount":"5","reason":"after"})", "g"),
            201);
  EXPECT_EQ(std::stoi(available(c, first, "u")), std::stoi(before) + 5);
  EXPECT_EQ(first.stop(), 0);
  // Once it has stopped, the directory is free.
  CommandRun after = run_tally({"verify", "--data", first.data_dir()}, 60'000);
  EXPECT_EQ(after.status, 0) << after.output;
}

// Every entry of the data directory and its mode bits.
std::map<std::string, unsigned> modes(const std::string& dir) {
  std::map<std::string, unsigned> out;
  for (const auto& e : std::filesystem::recursive_directory_iterator(dir)) {
    struct stat st;
    EXPECT_EQ(::lstat(e.path().c_str(), &st), 0) << e.path();
    out[std::filesystem::relative(e.path(), dir).string()] = st.st_mode & 07777;
  }
  return out;
}

void expect_private(const std::string& dir) {
  struct stat st;
  ASSERT_EQ(::stat(dir.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 07777, 0700u) << dir;
  const auto files = modes(dir);
  for (const char* name : {"shard-0.db", "shard-1.db", "shard-0.db-wal", "shard-0.db-shm",
                           "keys.db", "price_books.db", "webhooks.db", "token.secret", "lock", "journal-0",
                           "journal-1"}) {
    EXPECT_TRUE(files.contains(name)) << name;
  }
  // The shards' journals are directories: searchable by the owner only.
  for (const auto& [name, mode] : files) {
    EXPECT_EQ(mode, std::filesystem::is_directory(dir + "/" + name) ? 0700u : 0600u) << name;
  }
}

TEST(DataDirModes, TheDataDirectoryAndEveryFileInItAreReadableByTheOwnerOnly) {
  char tmpl[] = "/tmp/tally-modes-test-XXXXXX";
  const std::string root = ::mkdtemp(tmpl);
  const std::string dir = root + "/data";  // created by the server
  {
    ServerProcess server({.data_dir = dir});
    HttpClient c(server.port());
    ASSERT_EQ(post(c, server, "/v1/accounts", R"({"id":"u"})", "open-u"), 201);
    expect_private(dir);
    EXPECT_EQ(server.stop(), 0);
    // Data written before this rule (or opened up by hand) is tightened at start.
    std::filesystem::permissions(dir, std::filesystem::perms(0755));
    for (const auto& file : modes(dir)) {
      const std::string path = dir + "/" + file.first;
      std::filesystem::permissions(
          path, std::filesystem::perms(std::filesystem::is_directory(path) ? 0755 : 0644));
    }
    server.restart();
    expect_private(dir);
    EXPECT_EQ(server.stop(), 0);
  }
  std::filesystem::remove_all(root);
}

// The shard file holding `account`'s entries, and the seq of its last one; "" if none does.
std::pair<std::string, int64_t> last_entry_of(const std::string& dir, const std::string& account) {
  for (const char* shard : {"shard-0.db", "shard-1.db"}) {
    sqlite3* db = nullptr;
    EXPECT_EQ(sqlite3_open((dir + "/" + shard).c_str(), &db), SQLITE_OK);
    sqlite3_stmt* q = nullptr;
    sqlite3_prepare_v2(db, "SELECT max(seq) FROM entries WHERE account = ?", -1, &q, nullptr);
    sqlite3_bind_text(q, 1, account.c_str(), -1, SQLITE_TRANSIENT);
    const bool found = sqlite3_step(q) == SQLITE_ROW && sqlite3_column_type(q, 0) != SQLITE_NULL;
    const int64_t seq = found ? sqlite3_column_int64(q, 0) : 0;
    sqlite3_finalize(q);
    sqlite3_close(db);
    if (found) return {shard, seq};
  }
  return {"", 0};
}

TEST(JournalChecksum, AFlippedBitInAnEntryRowIsServedAsAnErrorNamingTheRowNeverAsMoney) {
  ServerProcess server;
  HttpClient c(server.port());
  ASSERT_EQ(post(c, server, "/v1/accounts", R"({"id":"u"})", "open-u"), 201);
  ASSERT_EQ(post(c, server, "/v1/accounts/u/grants", R"({"amount":"5","reason":"r"})", "g"), 201);
  EXPECT_EQ(server.stop(), 0);
  const auto [file, seq] = last_entry_of(server.data_dir(), "u");
  ASSERT_FALSE(file.empty());
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open((server.data_dir() + "/" + file).c_str(), &db), SQLITE_OK);
  const std::string flip = "UPDATE entries SET amount_micro = amount_micro + 1048576 WHERE seq = " +
                           std::to_string(seq);  // one bit: 5 credits are 5,000,000 micro
  ASSERT_EQ(sqlite3_exec(db, flip.c_str(), nullptr, nullptr, nullptr), SQLITE_OK);
  sqlite3_close(db);

  server.restart();
  HttpClient again(server.port());
  auto r = again.send("GET", "/v1/accounts/u/entries", "", {bearer(server.admin_key())});
  EXPECT_EQ(r.status, 500) << r.body;
  EXPECT_STREQ(r.json()["type"].GetString(), "internal") << r.body;
  const std::string shard = file.substr(6, 1);  // "shard-N.db"
  EXPECT_NE(r.body.find("shard " + shard + ": entry seq " + std::to_string(seq) + " is corrupt"),
            std::string::npos)
      << r.body;
  auto balance = again.send("GET", "/v1/accounts/u/balance?as_of=2030-01-01T00:00:00Z", "",
                            {bearer(server.admin_key())});
  EXPECT_EQ(balance.status, 500) << balance.body;
  EXPECT_EQ(server.stop(), 0);
}

}  // namespace
}  // namespace tally::testing
