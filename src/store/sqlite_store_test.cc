// The SQLite store's own promises beside the conformance suite: every entry row carries a
// checksum that every read checks (issue 13), a version-2 file is migrated to the current one,
// and the tables are projections of the journal (issue 14): batches journaled but not projected
// are read and recovered, and segments the tables hold go.
#include "store/sqlite_store.h"

#include <gtest/gtest.h>
#include <sqlite3.h>
#include <unistd.h>

#include <filesystem>

#include "ledger/ledger.h"
#include "ledger/ledger_state.h"
#include "ledger/test_support.h"
#include "ledger/text.h"
#include "store/checksum.h"
#include "store/entry_row.h"
#include "store/sqlite_schema.h"

namespace tally::store {
namespace {

using testing::cr;

TEST(Crc32c, GivesTheStandardCheckValueInOnePieceOrMany) {
  EXPECT_EQ(crc32c(0, "123456789"), 0xE3069283u);  // the CRC-32C check value (RFC 3720)
  EXPECT_EQ(crc32c(crc32c(0, "1234"), "56789"), 0xE3069283u);
  EXPECT_EQ(crc32c(0, ""), 0u);
  // The CPU's instruction and the table agree on every length and alignment.
  std::string bytes;
  for (int i = 0; i < 300; ++i) bytes.push_back(static_cast<char>(i * 131 + 7));
  for (size_t start = 0; start < 9; ++start) {
    for (size_t n = 0; start + n <= bytes.size(); n += 1 + n / 7) {
      const std::string_view v = std::string_view(bytes).substr(start, n);
      ASSERT_EQ(crc32c(0x1234567u, v), crc32c_portable(0x1234567u, v)) << start << " " << n;
    }
  }
  // A row's fields are framed: moving a byte from one text to the next changes the checksum.
  EXPECT_NE(RowChecksum().add("ab").add("c").value(), RowChecksum().add("a").add("bc").value());
}

LedgerConfig config() {
  LedgerConfig c;
  c.track_changes = true;
  return c;
}

struct Fixture {
  std::string dir;
  std::vector<Entry> journal;  // everything committed, in order
};

// Commits a short history of accounts "a" and "b" on shard 0 of a new store in a new directory.
Fixture write_journal(const char* name) {
  Fixture f{cat(::testing::TempDir(), "tally-", name, "-", ::getpid()), {}};
  std::filesystem::remove_all(f.dir);
  auto store = SqliteStore::open({f.dir, false});
  EXPECT_TRUE(store.has_value());
  Ledger ledger(config(), testing::test_catalog());
  const TimeUs now = testing::at("2026-11-02T00:00:00Z");
  const Command commands[] = {OpenAccount{"a", "", true}, OpenAccount{"b", "", true},
                              Grant{.account = "a", .amount = cr("10"), .reason = "welcome"},
                              Grant{.account = "b", .amount = cr("5")},
                              SpendNow{"a", cr("3"), "image", "v1"}};
  int key = 0;
  for (const Command& c : commands) {
    std::vector<Entry> entries;
    EXPECT_TRUE(ledger.apply({cat("k", key++), c}, now, &entries).has_value());
    StateDelta delta;
    ledger.take_delta(&delta);
    EXPECT_TRUE((*store)->commit(0, entries, delta).has_value());
    f.journal.insert(f.journal.end(), entries.begin(), entries.end());
  }
  return f;
}

// Runs `sql` on the shard-0 file with a connection of its own, as an operator (or a bad disk
// sector) would change it.
void raw_sql(const std::string& dir, const std::string& sql) {
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(cat(dir, "/shard-0.db").c_str(), &db), SQLITE_OK);
  char* error = nullptr;
  EXPECT_EQ(sqlite3_exec(db, sql.c_str(), nullptr, nullptr, &error), SQLITE_OK) << error;
  sqlite3_free(error);
  sqlite3_close(db);
}

// Every entry a read visits (of `account` if not empty), or the read's error.
std::expected<std::vector<Entry>, std::string> read_entries(const std::string& dir,
                                                            const std::string& account = "") {
  auto store = SqliteStore::open({dir, false});
  if (!store) return std::unexpected(store.error().message);
  std::vector<Entry> out;
  auto visit = [&](const Entry& e) {
    out.push_back(e);
    return true;
  };
  auto r = account.empty() ? (*store)->scan_entries(0, 0, visit)
                           : (*store)->scan_account_entries(0, account, 0, visit);
  if (!r) return std::unexpected(r.error().message);
  return out;
}

std::vector<Entry> of(const std::vector<Entry>& journal, const std::string& account) {
  std::vector<Entry> out;
  for (const Entry& e : journal) {
    if (e.account == account) out.push_back(e);
  }
  return out;
}

TEST(SqliteEntries, AChangedEntryRowIsAnErrorNamingShardAndSeqOnEveryRead) {
  const Fixture f = write_journal("entry-checksum");
  ASSERT_EQ(read_entries(f.dir).value_or(std::vector<Entry>{}), f.journal);
  const Entry target = of(f.journal, "a").back();  // the spend
  const std::string row = cat(" WHERE seq = ", target.seq);
  const std::string named = cat("shard 0: entry seq ", target.seq, " is corrupt");
  // Each change and the one that undoes it: a flipped bit in an amount, in a high bit of a
  // balance, in a text, the row moved to another account's history, the checksum itself.
  const std::pair<std::string, std::string> changes[] = {
      {"amount_micro = (amount_micro | 1) - (amount_micro & 1)",
       "amount_micro = (amount_micro | 1) - (amount_micro & 1)"},
      {"balance_after_micro = balance_after_micro + 4294967296",
       "balance_after_micro = balance_after_micro - 4294967296"},
      {"tool = 'imagf'", "tool = 'image'"},
      {"account = 'b'", "account = 'a'"},
      {"checksum = (checksum | 1) - (checksum & 1)", "checksum = (checksum | 1) - (checksum & 1)"},
  };
  for (const auto& [change, undo] : changes) {
    SCOPED_TRACE(change);
    raw_sql(f.dir, cat("UPDATE entries SET ", change, row));
    auto all = read_entries(f.dir);
    ASSERT_FALSE(all.has_value()) << "served a changed row";
    EXPECT_NE(all.error().find(named), std::string::npos) << all.error();
    const std::string account = change == "account = 'b'" ? "b" : "a";
    auto history = read_entries(f.dir, account);
    ASSERT_FALSE(history.has_value()) << "served a changed row";
    EXPECT_NE(history.error().find(named), std::string::npos) << history.error();
    raw_sql(f.dir, cat("UPDATE entries SET ", undo, row));
    EXPECT_EQ(read_entries(f.dir).value_or(std::vector<Entry>{}), f.journal);
  }
  // A history without the changed row is still served.
  raw_sql(f.dir, cat("UPDATE entries SET ", changes[0].first, row));
  EXPECT_EQ(read_entries(f.dir, "b").value_or(std::vector<Entry>{}), of(f.journal, "b"));
  std::filesystem::remove_all(f.dir);
}

// The file as version 2 wrote it: no checksum column, nothing of versions 5 to 8, version 2
// in meta.
void make_version_2(const std::string& dir) {
  raw_sql(dir,
          "ALTER TABLE entries DROP COLUMN checksum; ALTER TABLE holds DROP COLUMN params; "
          "ALTER TABLE holds DROP COLUMN plan; ALTER TABLE idempotency DROP COLUMN response; "
          "DROP TABLE lots_past; DROP TABLE events; "
          "ALTER TABLE accounts DROP COLUMN low_balance_micro; "
          "ALTER TABLE accounts DROP COLUMN expiring_notice_us; "
          "ALTER TABLE accounts DROP COLUMN low_armed; "
          "ALTER TABLE accounts DROP COLUMN depleted_armed; ALTER TABLE accounts DROP COLUMN "
          "auto_topup; "
          "ALTER TABLE lots DROP COLUMN notice_at_us; ALTER TABLE lots DROP COLUMN noticed; "
          "ALTER TABLE accounts DROP COLUMN team; ALTER TABLE holds DROP COLUMN member; "
          "ALTER TABLE holds DROP COLUMN project; ALTER TABLE spends DROP COLUMN member; "
          "ALTER TABLE spends DROP COLUMN project; ALTER TABLE spends DROP COLUMN counted_at_us; "
          "ALTER TABLE entries DROP COLUMN member; ALTER TABLE entries DROP COLUMN project; "
          "ALTER TABLE spends DROP COLUMN outcome; "
          "UPDATE meta SET value = '2' WHERE shard_id = -1 AND key = 'schema_version'");
}

std::string stored_version(const std::string& dir) {
  sqlite3* db = nullptr;
  EXPECT_EQ(sqlite3_open(cat(dir, "/shard-0.db").c_str(), &db), SQLITE_OK);
  sqlite3_stmt* q = nullptr;
  sqlite3_prepare_v2(db, "SELECT value FROM meta WHERE shard_id = -1 AND key = 'schema_version'",
                     -1, &q, nullptr);
  std::string v =
      sqlite3_step(q) == SQLITE_ROW ? reinterpret_cast<const char*>(sqlite3_column_text(q, 0)) : "";
  sqlite3_finalize(q);
  sqlite3_close(db);
  return v;
}

TEST(SqliteMigration, AVersion2FileGetsAChecksumOnEveryEntryAndGoesOnAsBefore) {
  const Fixture f = write_journal("migration");
  // What version 2 had no column for reads as the migration's defaults: no alert armed.
  raw_sql(f.dir, "UPDATE accounts SET low_armed = 0, depleted_armed = 0");
  std::string state_before;
  {
    auto store = SqliteStore::open({f.dir, false});
    state_before = dump_state(*(*store)->load(0));
  }
  make_version_2(f.dir);
  ASSERT_EQ(stored_version(f.dir), "2");

  auto store = SqliteStore::open({f.dir, false});
  auto loaded = (*store)->load(0);  // opens the file: migrates it
  ASSERT_TRUE(loaded.has_value()) << loaded.error().message;
  EXPECT_EQ(dump_state(*loaded), state_before);
  EXPECT_EQ(stored_version(f.dir), std::to_string(SqliteStore::k_schema_version));
  EXPECT_EQ(read_entries(f.dir).value_or(std::vector<Entry>{}), f.journal);
  // The checksums the migration wrote are checked: a row changed since is found.
  raw_sql(f.dir, "UPDATE entries SET amount_micro = amount_micro + 1 WHERE seq = 1");
  EXPECT_FALSE(read_entries(f.dir).has_value());
  raw_sql(f.dir, "UPDATE entries SET amount_micro = amount_micro - 1 WHERE seq = 1");
  // The migrated file takes new batches like a new one.
  auto ledger = Ledger::from_state(config(), testing::test_catalog(), 0, std::move(*loaded));
  ASSERT_TRUE(ledger.has_value()) << ledger.error();
  std::vector<Entry> entries;
  ASSERT_TRUE((*ledger)
                  ->apply({"after", SpendNow{"b", cr("1"), "image", "v1"}},
                          testing::at("2026-11-03T00:00:00Z"), &entries)
                  .has_value());
  StateDelta delta;
  (*ledger)->take_delta(&delta);
  ASSERT_TRUE((*store)->commit(0, entries, delta).has_value());
  std::vector<Entry> all = f.journal;
  all.insert(all.end(), entries.begin(), entries.end());
  store->reset();  // one store per directory at a time (the server holds the directory's lock)
  EXPECT_EQ(read_entries(f.dir).value_or(std::vector<Entry>{}), all);
  std::filesystem::remove_all(f.dir);
}

// Entry rows written before entries had a member and a project (schema 8 and older) keep the
// checksum they were written with: it is the one entry_checksum gives an entry without them.
TEST(SqliteEntries, ARowWrittenBeforeMemberAndProjectStillVerifies) {
  Entry e;
  e.seq = 7;
  e.at = testing::at("2026-11-02T00:00:00Z");
  e.kind = EntryKind::spend;
  e.counter = Book::consumption;
  e.source = Source::purchase;
  e.account = "a";
  e.lot = LotId{3};
  e.amount = Credits::from_micro(-3'000'000);
  e.balance_after = cr("7");
  e.spend = SpendId{9};
  e.tool = "image";
  e.reason = "why";
  e.expires_at = TimeUs::never();
  // The checksum as schema 3 to 8 computed it: shard, then the sixteen columns of then.
  RowChecksum old;
  old.add(int64_t{2}).add(int64_t{7}).add(e.at.us).add("spend").add("consumption").add("purchase");
  old.add("a").add(int64_t{3}).add(e.amount.micro).add(int64_t{0}).add(e.balance_after.micro);
  old.add(int64_t{0}).add(int64_t{9}).add("image").add("why").add(int64_t{0}).add(e.expires_at.us);
  EXPECT_EQ(entry_checksum(2, e), old.value());
  // A team account's entry: its member and project are part of what the checksum proves.
  Entry team = e;
  team.member = "ana";
  EXPECT_NE(entry_checksum(2, team), old.value());
  Entry other = team;
  other.member = "anb";
  EXPECT_NE(entry_checksum(2, other), entry_checksum(2, team));
  other = team;
  other.project = "launch";
  EXPECT_NE(entry_checksum(2, other), entry_checksum(2, team));

  // A version 8 file: its rows verify after the migration adds the columns, and it goes on.
  const Fixture f = write_journal("version-8");
  raw_sql(f.dir,
          "ALTER TABLE entries DROP COLUMN member; ALTER TABLE entries DROP COLUMN project; "
          "ALTER TABLE spends DROP COLUMN outcome; "
          "UPDATE meta SET value = '8' WHERE shard_id = -1 AND key = 'schema_version'");
  EXPECT_EQ(read_entries(f.dir).value_or(std::vector<Entry>{}), f.journal);
  EXPECT_EQ(stored_version(f.dir), std::to_string(SqliteStore::k_schema_version));
  std::filesystem::remove_all(f.dir);
}

// A version 10 file (before outcomes, issue 19) loads as before, its spends with none.
TEST(SqliteMigration, AVersion10FileGetsSpendsWithoutAnOutcome) {
  const Fixture f = write_journal("version-10");
  std::string state_before;
  {
    auto store = SqliteStore::open({f.dir, false});
    state_before = dump_state(*(*store)->load(0));
  }
  raw_sql(f.dir,
          "ALTER TABLE spends DROP COLUMN outcome; "
          "UPDATE meta SET value = '10' WHERE shard_id = -1 AND key = 'schema_version'");
  auto store = SqliteStore::open({f.dir, false});
  auto loaded = (*store)->load(0);  // opens the file: migrates it
  ASSERT_TRUE(loaded.has_value()) << loaded.error().message;
  EXPECT_EQ(stored_version(f.dir), std::to_string(SqliteStore::k_schema_version));
  EXPECT_EQ(dump_state(*loaded), state_before);
  ASSERT_FALSE(loaded->spends.empty());
  for (const Spend& s : loaded->spends) EXPECT_EQ(s.outcome, Outcome::none);
  std::filesystem::remove_all(f.dir);
}

// A version 9 file (before the audit trail) gets an empty trail: the changes made before have
// no line, and the first change after the migration is line 1, with its credential and key.
TEST(SqliteMigration, AVersion9FileGetsAnEmptyAuditTrailThatTheNextChangesFill) {
  const Fixture f = write_journal("version-9");
  raw_sql(f.dir,
          "DROP TABLE audit; DELETE FROM meta WHERE key = 'audit_seq'; "
          "ALTER TABLE spends DROP COLUMN outcome; "
          "UPDATE meta SET value = '9' WHERE shard_id = -1 AND key = 'schema_version'");
  auto store = SqliteStore::open({f.dir, false});
  auto loaded = (*store)->load(0);  // opens the file: migrates it
  ASSERT_TRUE(loaded.has_value()) << loaded.error().message;
  EXPECT_EQ(stored_version(f.dir), std::to_string(SqliteStore::k_schema_version));
  EXPECT_EQ(loaded->audit_seq, 0u);
  auto trail = [&](const AuditFilter& filter) {
    std::vector<AuditLine> out;
    auto r = (*store)->scan_audit(0, 0, filter, [&](const AuditLine& l) {
      out.push_back(l);
      return true;
    });
    EXPECT_TRUE(r.has_value()) << r.error().message;
    return out;
  };
  EXPECT_TRUE(trail({}).empty());
  auto ledger = Ledger::from_state(config(), testing::test_catalog(), 0, std::move(*loaded));
  ASSERT_TRUE(ledger.has_value()) << ledger.error();
  const TimeUs now = testing::at("2026-11-03T00:00:00Z");
  const Credential svc{CredentialKind::key, "key_1", ""};
  const Credential ana{CredentialKind::token, "tok_9", "ana"};
  std::vector<Entry> entries;
  ASSERT_TRUE((*ledger)
                  ->apply({"s1", SpendNow{"b", cr("1"), "image", "v1"}, svc}, now, &entries)
                  .has_value());
  ASSERT_TRUE((*ledger)
                  ->apply({"s2", SpendNow{"a", cr("1"), "image", "v1"}, ana}, now, &entries)
                  .has_value());
  StateDelta delta;
  (*ledger)->take_delta(&delta);
  ASSERT_TRUE((*store)->commit(0, entries, delta).has_value());
  const std::vector<AuditLine> want = {AuditLine{1, now, svc, "s1", "b", "spend"},
                                       AuditLine{2, now, ana, "s2", "a", "spend"}};
  EXPECT_EQ(trail({}), want);
  // The filters: by account, by credential, by time.
  EXPECT_EQ(trail({.account = "a"}), std::vector<AuditLine>{want[1]});
  EXPECT_EQ(trail({.credential = "key_1"}), std::vector<AuditLine>{want[0]});
  EXPECT_TRUE(trail({.from = TimeUs{now.us + 1}}).empty());
  EXPECT_TRUE(trail({.to = now}).empty());
  store->reset();
  // Projected and read back by a new store, the same lines.
  auto again = SqliteStore::open({f.dir, false});
  std::vector<AuditLine> read;
  ASSERT_TRUE((*again)
                  ->scan_audit(0, 1, {},
                               [&](const AuditLine& l) {
                                 read.push_back(l);
                                 return true;
                               })
                  .has_value());
  EXPECT_EQ(read, std::vector<AuditLine>{want[1]});
  again->reset();
  std::filesystem::remove_all(f.dir);
}

TEST(SqliteMigration, AFileOfAVersionWithNoPathToThisOneIsRefusedNamingIt) {
  const Fixture f = write_journal("versions");
  const std::string newer = std::to_string(SqliteStore::k_schema_version + 1);
  for (const std::string& version : {std::string("1"), newer}) {
    raw_sql(f.dir, cat("UPDATE meta SET value = '", version,
                       "' WHERE shard_id = -1 AND key = 'schema_version'"));
    auto store = SqliteStore::open({f.dir, false});
    auto loaded = (*store)->load(0);
    ASSERT_FALSE(loaded.has_value()) << version;
    EXPECT_NE(loaded.error().message.find(cat("schema version ", version)), std::string::npos)
        << loaded.error().message;
    EXPECT_EQ(stored_version(f.dir), version);  // untouched
  }
  std::filesystem::remove_all(f.dir);
}

// Commits commands from..to-1 of account "a"'s history (open, grant 1000, then spends of 1), one
// batch each, appending their entries to `all`.
void commit_history(SqliteStore& store, Ledger& ledger, int from, int to, std::vector<Entry>* all) {
  const TimeUs now = testing::at("2026-11-02T00:00:00Z");
  for (int i = from; i < to; ++i) {
    std::vector<Entry> entries;
    const Command c = i == 0 ? Command{OpenAccount{"a", "", true}}
                             : i == 1 ? Command{Grant{.account = "a", .amount = cr("1000")}}
                                      : Command{SpendNow{"a", cr("1"), "image", "v1"}};
    ASSERT_TRUE(ledger.apply({cat("k", i), c}, now, &entries).has_value());
    StateDelta delta;
    ledger.take_delta(&delta);
    ASSERT_TRUE(store.commit(0, entries, delta).has_value());
    all->insert(all->end(), entries.begin(), entries.end());
  }
}

// A crash after a batch's journal record and before its projection: reads see the batch, and
// the next open projects it into the tables.
TEST(SqliteJournal, BatchesJournaledButNotProjectedAreReadAndProjectedAtTheNextOpen) {
  const std::string dir = cat(::testing::TempDir(), "tally-unprojected-", ::getpid());
  std::filesystem::remove_all(dir);
  Ledger ledger(config(), testing::test_catalog());
  std::vector<Entry> all;
  SqliteOptions unprojected{dir, false};
  unprojected.project = false;
  {
    auto store = SqliteStore::open({dir, false});
    commit_history(**store, ledger, 0, 5, &all);  // projected (the store projects what is pending before it closes)
  }
  {
    auto store = SqliteStore::open(unprojected);
    commit_history(**store, ledger, 5, 20, &all);
    auto state = (*store)->journal_state(0);
    ASSERT_TRUE(state.has_value());
    EXPECT_EQ(state->last, 20u);
    EXPECT_EQ(state->projected, 5u);
    // Reads merge the tables and the journal's tail.
    EXPECT_EQ(dump_state(*(*store)->load(0)), dump_state(ledger.export_state()));
    std::vector<Entry> seen;
    ASSERT_TRUE((*store)->scan_account_entries(0, "a", 0, [&](const Entry& e) {
      seen.push_back(e);
      return true;
    }).has_value());
    EXPECT_EQ(seen, all);
    auto found = (*store)->find_idempotency(0, "k17");
    ASSERT_TRUE(found.has_value() && found->has_value());
  }  // closes without projecting: a crash
  EXPECT_EQ(read_entries(dir).value_or(std::vector<Entry>{}), all);
  auto store = SqliteStore::open({dir, false});
  auto state = (*store)->journal_state(0);
  ASSERT_TRUE(state.has_value());
  EXPECT_EQ(state->projected, 20u);  // projected at open
  EXPECT_EQ(dump_state(*(*store)->load(0)), dump_state(ledger.export_state()));
  store->reset();
  std::filesystem::remove_all(dir);
}

// Segments whose records the tables hold (durably) are removed: the journal stays small.
TEST(SqliteJournal, SegmentsTheTablesHoldAreRemovedAsTheJournalGrows) {
  const std::string dir = cat(::testing::TempDir(), "tally-compaction-", ::getpid());
  std::filesystem::remove_all(dir);
  SqliteOptions o{dir, true};
  o.journal_segment_bytes = 2048;
  auto store = SqliteStore::open(o);
  Ledger ledger(config(), testing::test_catalog());
  size_t most = 0;
  std::vector<Entry> all;
  for (int i = 0; i < 400; ++i) {
    commit_history(**store, ledger, i, i + 1, &all);
    most = std::max(most, (*store)->journal_state(0)->segments);
  }
  // About 400 records of a few hundred bytes fill dozens of 2 KiB segments; only the few the
  // projector has not yet made durable remain at any time.
  size_t files = 0;
  uint64_t oldest = UINT64_MAX;  // the first record of the oldest segment left
  for (const auto& f : std::filesystem::directory_iterator(cat(dir, "/journal-0"))) {
    ++files;
    oldest = std::min<uint64_t>(oldest, std::stoull(f.path().filename().string()));
  }
  EXPECT_LT(most, 40u);
  EXPECT_LT(files, 40u);
  EXPECT_GT(oldest, 200u);  // the first half of the records is gone from the journal
  store->reset();
  auto again = SqliteStore::open({dir, false});
  EXPECT_EQ(dump_state(*(*again)->load(0)), dump_state(ledger.export_state()));
  again->reset();
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace tally::store

namespace tally::store {
namespace {

// Issue 14: the store keeps idempotency keys for their retention only (rule 8 within it), and
// spends, finished holds and drained lots that left the ledger's memory stay findable.
TEST(SqliteRetention, KeysPastTheRetentionAreForgottenWhenABatchPastItIsProjected) {
  const std::string dir = cat(::testing::TempDir(), "tally-key-retention-", ::getpid());
  std::filesystem::remove_all(dir);
  SqliteOptions o{dir, false};
  o.idempotency_retention_us = k_us_per_hour;
  Ledger ledger(config(), testing::test_catalog());
  TimeUs now = testing::at("2026-11-02T00:00:00Z");
  auto run = [&](Store& store, const std::string& key, Command c) {
    std::vector<Entry> out;
    ASSERT_TRUE(ledger.apply({key, std::move(c)}, now, &out).has_value());
    StateDelta d;
    ledger.take_delta(&d);
    ASSERT_TRUE(store.commit(0, out, d).has_value());
  };
  {
    auto store = SqliteStore::open(o);
    ASSERT_TRUE(store.has_value());
    run(**store, "o", OpenAccount{"u"});
    run(**store, "g", Grant{.account = "u", .amount = testing::cr("3")});
    now = add_us(now, 30 * k_us_per_minute);
    run(**store, "later", Grant{.account = "u", .amount = testing::cr("1")});
    now = add_us(now, 45 * k_us_per_minute);  // "o" and "g" ran 75 minutes ago
    run(**store, "last", Grant{.account = "u", .amount = testing::cr("1")});
  }  // projects what is pending as it closes
  auto store = SqliteStore::open(o);
  ASSERT_TRUE(store.has_value());
  EXPECT_FALSE((*store)->find_idempotency(0, "o")->has_value());
  EXPECT_FALSE((*store)->find_idempotency(0, "g")->has_value());
  EXPECT_TRUE((*store)->find_idempotency(0, "later")->has_value());
  EXPECT_TRUE((*store)->find_idempotency(0, "last")->has_value());
  store->reset();
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace tally::store
