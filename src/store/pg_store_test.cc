// The PostgreSQL store (issue 16) against a real PostgreSQL 15 server, which ctest starts for
// these tests (fixture `pg`, tests/pg/pg_cluster.sh) and names in the file $TALLY_PG_URL_FILE:
// the conformance suite every backend passes, and what is PostgreSQL's own: migrations, the
// journal rows and their checksums, entry checksums, one writer per shard, the shard count, and
// a clear error for a server that is not there.
#include "store/pg_store.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <fstream>
#include <thread>

#include "ledger/ledger.h"
#include "ledger/test_support.h"
#include "ledger/text.h"
#include "store/pg_conn.h"
#include "store/pg_test_url.h"
#include "store/store_conformance.h"

namespace tally::store {
namespace {

using testing::cr;

// A schema of its own for each store a test makes.
std::string fresh_schema() {
  static std::atomic<int> n{0};
  return cat("t_", ::getpid(), "_", n++);
}

PgOptions options(const std::string& schema) {
  PgOptions o;
  o.url = test_pg_url();
  o.schema = schema;
  return o;
}

std::unique_ptr<PgStore> open_store(const std::string& schema) {
  auto s = PgStore::open(options(schema));
  EXPECT_TRUE(s.has_value()) << s.error().message;
  return s ? std::move(*s) : nullptr;
}

INSTANTIATE_TEST_SUITE_P(Postgres, StoreConformance,
                         ::testing::Values(Backend{
                             "postgres",
                             [] { return std::unique_ptr<Store>(open_store(fresh_schema())); }}),
                         [](const auto& info) { return std::string(info.param.name); });

// SQL run on the test database as an operator (or a bad disk) would, in `schema`.
void raw_sql(const std::string& schema, const std::string& sql) {
  auto db = pg::Connection::open(test_pg_url(), schema);
  ASSERT_TRUE(db.has_value()) << db.error();
  auto r = (*db)->exec(sql);
  ASSERT_TRUE(r.has_value()) << r.error();
}

LedgerConfig config() {
  LedgerConfig c;
  c.track_changes = true;
  return c;
}

// Commits a short history of accounts "a" and "b" on shard 0, one batch per command.
std::vector<Entry> write_history(Store& store, Ledger& ledger) {
  const TimeUs now = testing::at("2026-11-02T00:00:00Z");
  const Command commands[] = {OpenAccount{"a", "", true}, OpenAccount{"b", "", true},
                              Grant{.account = "a", .amount = cr("10"), .reason = "welcome"},
                              Grant{.account = "b", .amount = cr("5")},
                              SpendNow{"a", cr("3"), "image", "v1"}};
  std::vector<Entry> journal;
  int key = 0;
  for (const Command& c : commands) {
    std::vector<Entry> entries;
    EXPECT_TRUE(ledger.apply({cat("k", key++), c}, now, &entries).has_value());
    StateDelta delta;
    ledger.take_delta(&delta);
    EXPECT_TRUE(store.commit(0, entries, delta).has_value());
    journal.insert(journal.end(), entries.begin(), entries.end());
  }
  return journal;
}

std::expected<std::vector<Entry>, std::string> read_entries(Store& store) {
  std::vector<Entry> out;
  auto r = store.scan_entries(0, 0, [&](const Entry& e) {
    out.push_back(e);
    return true;
  });
  if (!r) return std::unexpected(r.error().message);
  return out;
}

TEST(PgMigrations, ANewSchemaIsMigratedOnceAndANewerOneIsRefused) {
  const std::string schema = fresh_schema();
  auto first = PgStore::migrate(test_pg_url(), schema);
  ASSERT_TRUE(first.has_value()) << first.error().message;
  EXPECT_EQ(first->from, 0);
  EXPECT_EQ(first->to, PgStore::k_schema_version);
  auto again = PgStore::migrate(test_pg_url(), schema);
  ASSERT_TRUE(again.has_value()) << again.error().message;
  EXPECT_EQ(again->from, PgStore::k_schema_version);  // nothing to do
  // A database a newer Tally migrated is refused, by this Tally's start as by `tally migrate`.
  raw_sql(schema, cat("UPDATE meta SET value = '", PgStore::k_schema_version + 1,
                      "' WHERE shard_id = -1 AND key = 'schema_version'"));
  auto newer = PgStore::open(options(schema));
  ASSERT_FALSE(newer.has_value());
  EXPECT_NE(
      newer.error().message.find(cat("schema version ", PgStore::k_schema_version + 1,
                                     ": this Tally reads version ", PgStore::k_schema_version)),
      std::string::npos)
      << newer.error().message;
}

// A version 3 database (before the audit trail and the leases) is migrated to the latest: an
// empty `audit` table that the next changes fill, each with its credential and key (and the
// leases step after it); what came before keeps going.
TEST(PgMigrations, AVersion3DatabaseGetsAnEmptyAuditTrail) {
  const std::string schema = fresh_schema();
  std::vector<Entry> journal;
  {
    std::unique_ptr<PgStore> store(open_store(schema));
    Ledger ledger(config(), testing::test_catalog());
    journal = write_history(*store, ledger);
  }
  raw_sql(schema,
          "DROP TABLE audit; DELETE FROM meta WHERE key = 'audit_seq'; DROP TABLE payments, "
          "api_keys, api_key_secrets, token_revocations, account_token_revocations, admin_audit, "
          "auth_secrets; "
          "DROP TABLE leases; DROP FUNCTION tally_fence; ALTER TABLE journal DROP COLUMN "
          "lease_epoch; ALTER TABLE spends DROP COLUMN outcome; "
          "UPDATE meta SET value = '3' WHERE shard_id = -1 AND key = 'schema_version'");
  auto migrated = PgStore::migrate(test_pg_url(), schema);
  ASSERT_TRUE(migrated.has_value()) << migrated.error().message;
  EXPECT_EQ(migrated->from, 3);
  EXPECT_EQ(migrated->to, PgStore::k_schema_version);
  std::unique_ptr<PgStore> store(open_store(schema));
  auto loaded = store->load(0);
  ASSERT_TRUE(loaded.has_value()) << loaded.error().message;
  EXPECT_EQ(loaded->audit_seq, 0u);
  EXPECT_EQ(read_entries(*store).value_or(std::vector<Entry>{}), journal);
  auto ledger = Ledger::from_state(config(), testing::test_catalog(), 0, std::move(*loaded));
  ASSERT_TRUE(ledger.has_value()) << ledger.error();
  const TimeUs now = testing::at("2026-11-03T00:00:00Z");
  const Credential by{CredentialKind::token, "tok_1", "ana"};
  std::vector<Entry> entries;
  ASSERT_TRUE((*ledger)
                  ->apply({"after", SpendNow{"b", cr("1"), "image", "v1"}, by}, now, &entries)
                  .has_value());
  StateDelta delta;
  (*ledger)->take_delta(&delta);
  ASSERT_TRUE(store->commit(0, entries, delta).has_value());
  std::vector<AuditLine> lines;
  ASSERT_TRUE(store
                  ->scan_audit(0, 0, {.credential = "tok_1"},
                               [&](const AuditLine& l) {
                                 lines.push_back(l);
                                 return true;
                               })
                  .has_value());
  EXPECT_EQ(lines, (std::vector<AuditLine>{AuditLine{1, now, by, "after", "b", "spend"}}));
}

TEST(PgMigrations, ConcurrentStartsMigrateOnce) {
  const std::string schema = fresh_schema();
  std::vector<std::thread> starts;
  std::atomic<int> ok{0}, fresh{0};
  for (int i = 0; i < 4; ++i) {
    starts.emplace_back([&] {
      auto m = PgStore::migrate(test_pg_url(), schema);
      if (m) ++ok;
      if (m && m->from == 0) ++fresh;
    });
  }
  for (std::thread& t : starts) t.join();
  EXPECT_EQ(ok, 4);
  EXPECT_EQ(fresh, 1);  // the advisory lock: one created the tables, the others found them
}

TEST(PgConnect, AServerThatIsNotThereIsAnErrorNamingItAtOnce) {
  // A port nothing listens on (bound, then closed), and an address that resolves nowhere.
  const auto start = std::chrono::steady_clock::now();
  auto refused = PgStore::open({.url = "postgresql://tally@127.0.0.1:1/postgres"});
  ASSERT_FALSE(refused.has_value());
  EXPECT_NE(refused.error().message.find("cannot connect to PostgreSQL at 127.0.0.1:1"),
            std::string::npos)
      << refused.error().message;
  auto bad_url = PgStore::open({.url = "postgresql://tally@[nonsense/postgres"});
  ASSERT_FALSE(bad_url.has_value());
  EXPECT_NE(bad_url.error().message.find("cannot connect to PostgreSQL"), std::string::npos)
      << bad_url.error().message;
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(5));
}

TEST(PgJournal, EveryBatchIsOneJournalRowWithItsEntriesAndAChangedRowIsFound) {
  const std::string schema = fresh_schema();
  auto store = open_store(schema);
  ASSERT_NE(store, nullptr);
  Ledger ledger(config(), testing::test_catalog());
  const std::vector<Entry> journal = write_history(*store, ledger);
  auto records = store->check_journal(0);
  ASSERT_TRUE(records.has_value()) << records.error().message;
  EXPECT_EQ(*records, 5u);  // five batches
  ASSERT_EQ(read_entries(*store).value_or(std::vector<Entry>{}), journal);

  // A changed payload fails its checksum; a missing record is named.
  raw_sql(schema, "UPDATE journal SET payload = payload || '\\x00'::bytea WHERE record = 3");
  auto damaged = store->check_journal(0);
  ASSERT_FALSE(damaged.has_value());
  EXPECT_NE(damaged.error().message.find("shard 0: journal record 3 fails its checksum"),
            std::string::npos)
      << damaged.error().message;
  raw_sql(schema, "DELETE FROM journal WHERE record = 3");
  auto gap = store->check_journal(0);
  ASSERT_FALSE(gap.has_value());
  EXPECT_NE(gap.error().message.find("journal record 3 is missing"), std::string::npos)
      << gap.error().message;

  // An entry row changed by hand is an error naming shard and seq, never an entry served.
  const Entry target = journal.back();
  raw_sql(schema,
          cat("UPDATE entries SET amount_micro = amount_micro + 1 WHERE seq = ", target.seq));
  auto read = read_entries(*store);
  ASSERT_FALSE(read.has_value()) << "served a changed row";
  EXPECT_NE(read.error().find(cat("shard 0: entry seq ", target.seq, " is corrupt")),
            std::string::npos)
      << read.error();
}

// Two stores writing the same shard (two processes given the same database): the second
// one's commit is refused whole (its journal record exists), it stops, and what the first
// committed stands. The fencing of issue 16 (leases) replaces this last line of defence.
TEST(PgJournal, ASecondWriterOfAShardIsRefusedAndWritesNothing) {
  const std::string schema = fresh_schema();
  auto first = open_store(schema);
  auto second = open_store(schema);
  ASSERT_TRUE(first && second);
  Ledger a(config(), testing::test_catalog());
  Ledger b(config(), testing::test_catalog());
  const TimeUs now = testing::at("2026-11-02T00:00:00Z");
  auto commit = [&](Store& store, Ledger& ledger, const std::string& account) {
    std::vector<Entry> entries;
    EXPECT_TRUE(ledger.apply({"open-" + account, OpenAccount{account}}, now, &entries));
    StateDelta delta;
    ledger.take_delta(&delta);
    return store.commit(0, entries, delta);
  };
  ASSERT_TRUE(second->load(0).has_value());  // opens the shard: nothing committed yet
  ASSERT_TRUE(commit(*first, a, "x").has_value());
  auto refused = commit(*second, b, "y");
  ASSERT_FALSE(refused.has_value());
  EXPECT_NE(refused.error().message.find("committing journal record 1"), std::string::npos)
      << refused.error().message;
  // Stopped: it does not try again.
  EXPECT_FALSE(commit(*second, b, "z").has_value());
  auto loaded = open_store(schema)->load(0);
  ASSERT_TRUE(loaded.has_value());
  ASSERT_EQ(loaded->accounts.size(), 1u);
  EXPECT_EQ(loaded->accounts[0].id, "x");
  EXPECT_EQ(dump_state(*loaded), dump_state(a.export_state()));
}

TEST(PgShards, TheShardCountIsFixedByTheFirstStart) {
  const std::string schema = fresh_schema();
  auto store = open_store(schema);
  ASSERT_NE(store, nullptr);
  EXPECT_EQ(store->claim_shard_count(0, 3).value_or(0), 3u);  // none stored: the fallback
  EXPECT_EQ(store->claim_shard_count(0, 8).value_or(0), 3u);  // stored: kept
  EXPECT_EQ(store->claim_shard_count(3, 8).value_or(0), 3u);
  auto other = store->claim_shard_count(4, 8);
  ASSERT_FALSE(other.has_value());
  EXPECT_NE(other.error().message.find("the database holds 3 shards; start with --shards 3"),
            std::string::npos)
      << other.error().message;
  EXPECT_TRUE(store->shards_in_use()->empty());
  Ledger ledger(config(), testing::test_catalog());
  write_history(*store, ledger);
  EXPECT_EQ(*store->shards_in_use(), std::vector<ShardId>{0});
}

}  // namespace
}  // namespace tally::store
