// The crash test of issue 5: a driver process sends commands with idempotency keys and logs
// what was acknowledged; it is killed with SIGKILL at random moments several times and
// restarted on the same data. Afterwards every acknowledged request is durable, nothing is
// half-applied (the stored state is sound and the journal verifies), and resending every
// command with its key leaves each account changed exactly once.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <random>
#include <set>
#include <thread>

#include "absl/strings/str_join.h"
#include "crash_workload.h"
#include "ledger/journal.h"
#include "store/sqlite_store.h"

namespace tally {
namespace {

Credits balance(service::Service& s, const std::string& account) {
  Credits out = Credits::from_micro(-1);
  s.read(s.shard_of_account(account), [&](const Ledger& l) {
     if (const Account* a = l.find_account(account)) out = a->balance;
   }).get();
  return out;
}

void expect_journals_verify(store::Store& store, service::Service& s) {
  for (ShardId i = 0; i < s.shards(); ++i) {
    std::vector<Entry> journal;
    ASSERT_TRUE(store
                    .scan_entries(i, 0,
                                  [&](const Entry& e) {
                                    journal.push_back(e);
                                    return true;
                                  })
                    .has_value());
    s.read(i, [&](const Ledger& l) {
       VerifyReport r = verify(l, journal);
       EXPECT_TRUE(r.ok()) << "shard " << i << ":\n" << absl::StrJoin(r.differences, "\n");
     }).get();
  }
}

TEST(CrashTest, SigkillAtRandomMomentsLosesNothingAcknowledgedAndRetriesApplyOnce) {
  const std::string dir = cat(::testing::TempDir(), "tally-crash-", ::getpid());
  const std::string log = dir + ".log";
  std::filesystem::remove_all(dir);
  std::filesystem::remove(log);
  std::mt19937 rng(20261121);
  for (int run = 0; run < 5; ++run) {
    const pid_t pid = fork();
    ASSERT_GE(pid, 0);
    if (pid == 0) {
      const std::string r = std::to_string(run);
      execl(CRASH_DRIVER, CRASH_DRIVER, dir.c_str(), log.c_str(), r.c_str(), nullptr);
      _exit(127);
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(200 + rng() % 500));
    ASSERT_EQ(kill(pid, SIGKILL), 0);
    int status = 0;
    waitpid(pid, &status, 0);
    ASSERT_TRUE(WIFSIGNALED(status)) << "the driver ended by itself: " << status;
  }
  std::set<std::string> sent;
  std::vector<std::string> acknowledged;
  std::ifstream in(log);
  for (std::string line; std::getline(in, line);) {  // a last line cut by the kill is ignored
    if (line.starts_with("sent ")) sent.insert(line.substr(5));
    if (line.starts_with("ack ") && line.find(':') != std::string::npos) {
      acknowledged.push_back(line.substr(4));
    }
  }
  ASSERT_GT(acknowledged.size(), 40u) << "the driver barely ran";

  auto store = store::SqliteStore::open({dir, /*synchronous_full=*/false});
  ASSERT_TRUE(store.has_value());
  service::ServiceOptions o;
  o.shards = 2;
  o.clock = crash::clock;
  auto service = service::Service::start(o, store->get());  // recovery; refuses unsound state
  ASSERT_TRUE(service.has_value()) << service.error();
  for (const std::string& key : acknowledged) {  // every acknowledged request is durable
    bool found = false;
    for (ShardId i = 0; i < 2 && !found; ++i) {
      auto r = (*store)->find_idempotency(i, key);
      found = r.has_value() && r->has_value();
    }
    EXPECT_TRUE(found) << key;
  }
  expect_journals_verify(**store, **service);

  // Resend everything with its key, twice: each account ends at 85, changed exactly once.
  for (int pass = 0; pass < 2; ++pass) {
    for (const std::string& account : sent) crash::run_account(**service, account, [](auto&) {});
    for (const std::string& account : sent) {
      EXPECT_EQ(balance(**service, account), Credits::from_credits(85)) << account;
    }
  }
  expect_journals_verify(**store, **service);
  service->reset();
  store->reset();
  std::filesystem::remove_all(dir);
  std::filesystem::remove(log);
}

}  // namespace
}  // namespace tally
