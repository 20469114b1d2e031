// `backup_data_dir` (store/backup.h, docs/storage.md "Backup and restore"): the copy of a store
// in use is a store that opens, holds every batch committed before the backup began, and only
// a prefix of the original's journal; compaction racing the copy makes the shard's copy again;
// a target in use, or a directory that is not a data directory, is refused and nothing is left.
#include "store/backup.h"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <fstream>

#include "ledger/journal.h"
#include "ledger/ledger.h"
#include "ledger/ledger_state.h"
#include "ledger/test_support.h"
#include "ledger/text.h"
#include "store/data_dir.h"
#include "store/payments.h"
#include "store/sqlite_store.h"

namespace tally::store {
namespace {

namespace fs = std::filesystem;
using testing::cr;

std::string fresh_dir(const char* name) {
  std::string dir = cat(::testing::TempDir(), "tally-backup-", name, "-", ::getpid());
  fs::remove_all(dir);
  return dir;
}

// A ledger committing grants to account "a" into shard 0 of `store`, one batch each.
struct Writer {
  explicit Writer(Store& s) : store(s), ledger(config(), testing::test_catalog()) {
    commit(OpenAccount{"a", "", true});
  }
  static LedgerConfig config() {
    LedgerConfig c;
    c.track_changes = true;
    return c;
  }
  void commit(const Command& c) {
    std::vector<Entry> entries;
    ASSERT_TRUE(ledger.apply({cat("k", keys++), c}, now, &entries).has_value());
    StateDelta delta;
    ledger.take_delta(&delta);
    ASSERT_TRUE(store.commit(0, entries, delta).has_value());
    journal.insert(journal.end(), entries.begin(), entries.end());
  }
  void grant() { commit(Grant{.account = "a", .amount = cr("1"), .reason = "backup test"}); }

  Store& store;
  Ledger ledger;
  TimeUs now = testing::at("2026-11-02T00:00:00Z");
  int keys = 0;
  std::vector<Entry> journal;  // every entry committed, in order
};

// The first record of the oldest segment of `dir`'s shard 0 journal.
uint64_t oldest_segment(const std::string& dir) {
  uint64_t first = UINT64_MAX;
  for (const auto& f : fs::directory_iterator(dir + "/journal-0")) {
    first = std::min<uint64_t>(first, std::stoull(f.path().filename().string().substr(0, 20)));
  }
  return first;
}

mode_t mode_of(const std::string& path) {
  struct stat st {};
  EXPECT_EQ(::stat(path.c_str(), &st), 0) << path;
  return st.st_mode & 0777;
}

TEST(Backup, ACopyTakenWhileCompactionRemovesItsSegmentIsMadeAgainAndHoldsEveryBatchBefore) {
  const std::string from = fresh_dir("race-from"), to = fresh_dir("race-to");
  fs::remove_all(to + ".partial");
  SqliteOptions options{from, false};
  options.journal_segment_bytes = 1024;  // a few batches per segment: compaction runs often
  auto store = SqliteStore::open(options);
  ASSERT_TRUE(store.has_value());
  Writer w(**store);
  for (int i = 0; i < 40; ++i) w.grant();
  const size_t committed_before = w.journal.size();

  // Between the tables' copy and the segments', the store goes on until compaction has
  // removed the segment that held the record after the copied tables' watermark.
  int raced = 0;
  BackupOptions b{.from = from, .to = to};
  b.after_tables = [&](ShardId, int attempt) {
    if (attempt > 0) return;
    auto state = (*store)->journal_state(0);
    ASSERT_TRUE(state.has_value());
    const uint64_t watermark_max = state->projected;  // the copy's is at most this
    for (int i = 0; i < 2000 && oldest_segment(from) <= watermark_max + 1; ++i) {
      w.grant();
      if (i % 8 == 7) ::usleep(1000);  // the projector syncs; the next commit compacts
    }
    raced = oldest_segment(from) > watermark_max + 1 ? 1 : 0;
  };
  auto report = backup_data_dir(b);
  ASSERT_TRUE(report.has_value()) << report.error();
  ASSERT_EQ(raced, 1) << "compaction never removed the segment: the test did not race";
  ASSERT_EQ(report->shards.size(), 1u);
  EXPECT_GE(report->shards[0].attempts, 2) << "the first copy lacked a segment and was kept";
  EXPECT_GE(report->shards[0].journal_last, report->shards[0].tables_through);
  EXPECT_FALSE(fs::exists(to + ".partial"));
  EXPECT_EQ(mode_of(to), 0700u);
  EXPECT_EQ(mode_of(to + "/shard-0.db"), 0600u);
  EXPECT_EQ(mode_of(to + "/journal-0"), 0700u);
  for (int i = 0; i < 10; ++i) w.grant();  // the original goes on after the backup
  store->reset();

  // The copy is a store: it opens (projecting its journal), its state is sound and verifies,
  // and its journal is the original's up to some point at or after the backup began.
  auto copy = SqliteStore::open({to, false});
  ASSERT_TRUE(copy.has_value());
  auto state = (*copy)->load(0);
  ASSERT_TRUE(state.has_value()) << state.error().message;
  std::vector<Entry> journal;
  ASSERT_TRUE((*copy)
                  ->scan_entries(0, 0,
                                 [&](const Entry& e) {
                                   journal.push_back(e);
                                   return true;
                                 })
                  .has_value());
  EXPECT_GE(journal.size(), committed_before);
  ASSERT_LE(journal.size(), w.journal.size());
  for (size_t i = 0; i < journal.size(); ++i) {
    ASSERT_EQ(journal[i].seq, w.journal[i].seq) << i;
    ASSERT_EQ(journal[i].amount, w.journal[i].amount) << i;
  }
  auto ledger = Ledger::from_state(Writer::config(), testing::test_catalog(), 0, std::move(*state));
  ASSERT_TRUE(ledger.has_value()) << ledger.error();
  EXPECT_TRUE(verify(**ledger, journal).ok());
}

TEST(Backup, RefusesATargetThatIsNotEmptyAndADirectoryThatIsNotADataDirectory) {
  const std::string from = fresh_dir("refuse-from"), to = fresh_dir("refuse-to");
  {
    auto store = SqliteStore::open({from, false});
    ASSERT_TRUE(store.has_value());
    Writer w(**store);
  }
  fs::create_directories(to);
  std::ofstream(to + "/something") << "x";
  auto refused = backup_data_dir({.from = from, .to = to});
  ASSERT_FALSE(refused.has_value());
  EXPECT_NE(refused.error().find("is not empty"), std::string::npos) << refused.error();
  EXPECT_TRUE(fs::exists(to + "/something"));
  EXPECT_FALSE(fs::exists(to + ".partial"));

  auto not_data = backup_data_dir({.from = to, .to = fresh_dir("refuse-other")});
  ASSERT_FALSE(not_data.has_value());
  EXPECT_NE(not_data.error().find("not a Tally data directory"), std::string::npos);
  EXPECT_NE(not_data.error().find("pg_dump"), std::string::npos) << not_data.error();

  // An empty directory is taken (a mount point made for the backup), while a server holds the
  // source's lock: the backup neither needs it nor copies it.
  fs::remove(to + "/something");
  auto held = DataDir::open(from, false);
  ASSERT_TRUE(held.has_value()) << held.error();
  auto taken = backup_data_dir({.from = from, .to = to});
  ASSERT_TRUE(taken.has_value()) << taken.error();
  EXPECT_TRUE(fs::exists(to + "/shard-0.db"));
  EXPECT_FALSE(fs::exists(to + "/lock"));
  EXPECT_TRUE(DataDir::open(to, false).has_value()) << "the copy is free for a server to take";
}

// A purchase answered while the shards were copied may be missing from them: the backup keeps
// its claim (no other purchase can take the payment_ref) but not its answer, so the payment
// reported again reaches the shard. One answered before the backup keeps its answer.
TEST(Backup, APaymentAnsweredDuringTheBackupIsPendingInItAndOneAnsweredBeforeKeepsItsAnswer) {
  const std::string from = fresh_dir("pay-from"), to = fresh_dir("pay-to");
  auto store = SqliteStore::open({from, false});
  ASSERT_TRUE(store.has_value());
  Writer w(**store);
  auto payments = SqlitePayments::open(from + "/payments.db");
  ASSERT_TRUE(payments.has_value()) << payments.error().message;
  const CommandDigest bob{1, 2}, carol{3, 4};
  using State = PaymentClaim::State;
  ASSERT_EQ((*payments)->claim("pi_before", "bob", bob, TimeUs{1})->state, State::claimed);
  ASSERT_TRUE((*payments)->credit("pi_before", bob, "201 before").has_value());
  BackupOptions b{.from = from, .to = to};
  b.after_tables = [&](ShardId, int) {
    ASSERT_EQ((*payments)->claim("pi_during", "carol", carol, TimeUs{2})->state, State::claimed);
    ASSERT_TRUE((*payments)->credit("pi_during", carol, "201 during").has_value());
  };
  auto report = backup_data_dir(b);
  ASSERT_TRUE(report.has_value()) << report.error();
  EXPECT_FALSE(fs::exists(to + "/payments.db.answers"));

  auto copy = SqlitePayments::open(to + "/payments.db");
  ASSERT_TRUE(copy.has_value()) << copy.error().message;
  auto before = (*copy)->claim("pi_before", "bob", bob, TimeUs{5});
  EXPECT_EQ(before->state, State::credited);
  EXPECT_EQ(before->response, "201 before");
  EXPECT_EQ((*copy)->claim("pi_during", "carol", carol, TimeUs{5})->state, State::pending);
  EXPECT_EQ((*copy)->claim("pi_during", "bob", bob, TimeUs{5})->state, State::taken);
  // The original is untouched.
  EXPECT_EQ((*payments)->claim("pi_during", "carol", carol, TimeUs{5})->state, State::credited);
}

}  // namespace
}  // namespace tally::store
