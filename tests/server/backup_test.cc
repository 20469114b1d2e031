// `tally backup` of a running server (issue 14, docs/operations.md "Backup and restore"): a
// backup taken under load, while the server goes on committing, restores into a new server
// whose data `tally verify` finds clean; every request acknowledged before the backup began is
// in it exactly once, and resending every request with its key gives exactly-once totals. The
// server keeps its lock and its clients throughout; a target that is not empty is refused.
#include <gtest/gtest.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <iostream>
#include <map>
#include <thread>

#include "tests/server/load_clients.h"

namespace tally::testing {
namespace {

namespace fs = std::filesystem;

TEST(Backup, TakenUnderLoadRestoresIntoAServerHoldingEveryRequestAcknowledgedBeforeIt) {
  const std::string backup_dir =
      ::testing::TempDir() + "tally-backup-" + std::to_string(::getpid());
  fs::remove_all(backup_dir);
  ServerProcess server;
  open_load_accounts(server);

  std::atomic<bool> stop{false}, backup_began{false};
  std::vector<Sent> sent;
  std::thread clients(
      [&] { sent = load(server.port(), server.admin_key(), stop, 0, &backup_began); });
  std::this_thread::sleep_for(std::chrono::milliseconds(500));
  backup_began = true;  // every reply read before this is acknowledged before the backup
  const CommandRun backup =
      run_tally({"backup", "--data", server.data_dir(), "--to", backup_dir}, 60'000);
  EXPECT_EQ(backup.status, 0) << backup.output;
  std::this_thread::sleep_for(std::chrono::milliseconds(300));  // the load goes on
  stop = true;
  clients.join();

  size_t before = 0, after = 0;
  for (const Sent& s : sent) (s.acked_before_mark ? before : after) += s.acked ? 1 : 0;
  std::cout << "acknowledged before the backup: " << before << ", after: " << after << "\n"
            << backup.output;
  EXPECT_GT(before, 0u);
  EXPECT_GT(after, 0u) << "the server took no request after the backup: it was not under load";
  // The server kept its data directory and went on answering: the backup took nothing from it.
  EXPECT_EQ(server.stop(), 0);
  EXPECT_EQ(verify(server.data_dir()), 0);

  // Another backup over the first one is refused, and the first is left as it was.
  const CommandRun again =
      run_tally({"backup", "--data", server.data_dir(), "--to", backup_dir}, 60'000);
  EXPECT_EQ(again.status, 1) << again.output;
  EXPECT_NE(again.output.find("is not empty"), std::string::npos) << again.output;

  // Restore: the backup is a data directory that verifies, and a server starts on it.
  ASSERT_EQ(verify(backup_dir), 0);
  ServerProcess restored({.data_dir = backup_dir});
  HttpClient c(restored.port());
  // Each request acknowledged before the backup is in it: its retry answers the object it
  // first created (a missing one would be created anew, with another id).
  std::map<std::string, int64_t> expected;
  for (const Sent& s : sent) {
    if (!s.acked_before_mark) continue;
    auto r = resend(c, restored.admin_key(), s);
    ASSERT_EQ(r.status, 201) << s.key << " " << r.body;
    EXPECT_EQ(r.json()["id"].GetString(), s.id) << s.key;
  }
  // Every request resent, twice: each takes effect exactly once, whether the backup held it.
  for (int pass = 0; pass < 2; ++pass) {
    for (const Sent& s : sent) {
      auto r = resend(c, restored.admin_key(), s);
      ASSERT_EQ(r.status, 201) << s.key << " " << r.body;
      if (pass == 0) expected[s.account] += effect(s);
    }
  }
  for (int i = 0; i < k_load_clients; ++i) {
    const std::string id = "acct-" + std::to_string(i);
    EXPECT_EQ(available(c, restored.admin_key(), id), k_load_grant + expected[id]) << id;
  }
  EXPECT_EQ(restored.stop(), 0);
  EXPECT_EQ(verify(backup_dir), 0);
  fs::remove_all(backup_dir);
}

}  // namespace
}  // namespace tally::testing
