#include "service/service.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <filesystem>
#include <future>
#include <thread>

#include "absl/strings/str_join.h"
#include "ledger/journal.h"
#include "ledger/test_support.h"
#include "ledger/text.h"
#include "store/memory_store.h"
#include "store/sqlite_store.h"

namespace tally::service {
namespace {

using testing::at;
using testing::cr;

// A clock the test moves by hand.
struct ManualClock {
  std::atomic<int64_t> us{at("2026-11-02T00:00:00Z").us};
  std::function<TimeUs()> fn() {
    return [this] { return TimeUs{us.load()}; };
  }
};

// The layout the running test uses (ServiceOptions::overlap_commit): the tests that hold for
// both run once with a writer thread per shard and once with one thread per shard.
bool g_overlap_commit = true;

ServiceOptions options(ManualClock& clock, size_t shards) {
  ServiceOptions o;
  o.shards = shards;
  o.catalog = testing::test_catalog();
  o.clock = clock.fn();
  o.tick_us = 5'000;
  o.overlap_commit = g_overlap_commit;
  return o;
}

class ServiceLayout : public ::testing::TestWithParam<bool> {
 protected:
  void SetUp() override { g_overlap_commit = GetParam(); }
  void TearDown() override { g_overlap_commit = true; }
};
INSTANTIATE_TEST_SUITE_P(Layouts, ServiceLayout, ::testing::Values(true, false),
                         [](const ::testing::TestParamInfo<bool>& info) {
                           return info.param ? "ApplyWhileCommitting" : "OneThreadPerShard";
                         });

std::string temp_dir(const char* name) {
  return testing::scratch_dir(cat("service-", name));
}

// A service of `shards` shards on `store`; null (and the test failed) if it does not start.
std::unique_ptr<Service> started(store::Store* store, ManualClock& clock, size_t shards) {
  auto service = Service::start(options(clock, shards), store);
  EXPECT_TRUE(service.has_value()) << service.error();
  return service ? std::move(*service) : nullptr;
}

Credits balance(Service& s, const std::string& account) {
  Credits out;
  s.read(s.shard_of_account(account), [&](const Ledger& l) {
     const Account* a = l.find_account(account);
     if (a != nullptr) out = a->balance;
   }).get();
  return out;
}

TEST_P(ServiceLayout, ConcurrentClientsAreAcknowledgedDurablyAndRecoveredExactly) {
  auto store = store::SqliteStore::open({temp_dir("concurrent"), /*synchronous_full=*/false});
  ASSERT_TRUE(store.has_value());
  ManualClock clock;
  constexpr int k_clients = 4;
  constexpr int k_accounts = 25;
  std::vector<std::string> accounts;
  std::map<std::string, Credits> acknowledged;
  {
    auto service = Service::start(options(clock, 3), store->get());
    ASSERT_TRUE(service.has_value()) << service.error();
    Service& s = **service;
    std::vector<std::thread> clients;
    std::mutex mu;
    for (int c = 0; c < k_clients; ++c) {
      clients.emplace_back([&, c] {
        for (int i = 0; i < k_accounts; ++i) {
          const std::string id = cat("client", c, "-", i);
          auto k = [&](const char* what) { return cat(id, "-", what); };
          s.submit({k("open"), OpenAccount{id, "", true}}).get();
          s.submit(
              {k("grant"), Grant{.account = id, .source = Source::purchase, .amount = cr("100")}});
          auto hold =
              s.submit({k("hold"), PlaceHold{id, cr("30"), "video", std::nullopt, "v1"}}).get();
          ASSERT_TRUE(hold.has_value());
          s.submit({k("capture"), Capture{std::get<HoldReply>(*hold).hold, cr("12")}});
          auto spent = s.submit({k("spend"), SpendNow{id, cr("5"), "image", "v1"}}).get();
          ASSERT_TRUE(spent.has_value());
          // A retry of an acknowledged request changes nothing.
          auto again = s.submit({k("spend"), SpendNow{id, cr("5"), "image", "v1"}}).get();
          EXPECT_EQ(std::get<SpendReply>(*again).spend, std::get<SpendReply>(*spent).spend);
          std::lock_guard lock(mu);
          accounts.push_back(id);
        }
      });
    }
    for (auto& t : clients) t.join();
    for (const std::string& id : accounts) acknowledged[id] = balance(s, id);
    uint64_t commands = 0, batches = 0, batched = 0;
    for (ShardId i = 0; i < s.shards(); ++i) {
      const ShardStats st = s.stats(i);
      commands += st.commands;
      batches += st.batches;
      batched += st.batch_commands.sum;
      // One commit time and one batch size per committed batch.
      EXPECT_EQ(st.commit_us.count, st.batches);
      EXPECT_EQ(st.batch_commands.count, st.batches);
      EXPECT_LE(st.commit_us_p50, st.commit_us_p99);
      EXPECT_LE(st.commit_us_p99, st.commit_us_max);
      EXPECT_EQ(st.commit_us.upper_bounds.size(), st.commit_us.counts.size());
    }
    EXPECT_GE(commands, static_cast<uint64_t>(k_clients * k_accounts * 6));
    EXPECT_GT(batches, 0u);
    // Every command that changed something was in a committed batch (retries change nothing).
    EXPECT_LE(batched, commands);
    EXPECT_GE(batched, static_cast<uint64_t>(k_clients * k_accounts * 5));
  }
  for (const auto& [id, b] : acknowledged) EXPECT_EQ(b, cr("83")) << id;  // 100 - 12 - 5
  // A new service on the same files: exactly what was acknowledged, and a clean journal.
  auto service = Service::start(options(clock, 3), store->get());
  ASSERT_TRUE(service.has_value()) << service.error();
  for (const auto& [id, b] : acknowledged) EXPECT_EQ(balance(**service, id), b) << id;
  for (ShardId i = 0; i < 3; ++i) {
    std::vector<Entry> journal;
    ASSERT_TRUE((*store)
                    ->scan_entries(i, 0,
                                   [&](const Entry& e) {
                                     journal.push_back(e);
                                     return true;
                                   })
                    .has_value());
    (*service)
        ->read(i,
               [&](const Ledger& l) {
                 VerifyReport r = verify(l, journal);
                 EXPECT_TRUE(r.ok()) << absl::StrJoin(r.differences, "\n");
               })
        .get();
  }
}

TEST_P(ServiceLayout, AReadSeesEveryWriteQueuedBeforeIt) {
  store::MemoryStore store;
  ManualClock clock;
  auto service = started(&store, clock, 2);
  ASSERT_NE(service, nullptr);
  Service& s = *service;
  s.submit({"o", OpenAccount{"u", "", true}});
  s.submit(
      {"g", Grant{.account = "u", .source = Source::admin, .amount = cr("7")}});  // not awaited
  EXPECT_EQ(balance(s, "u"), cr("7"));
}

// A configuration reload (server/reload.h) swaps each shard's catalog in order with the
// shard's queue: what was queued before runs with the old catalog, what is queued after with the
// new one, and `done` runs once, after every shard has it.
TEST_P(ServiceLayout, ReconfigureRunsInOrderWithEachShardsQueue) {
  store::MemoryStore store;
  ManualClock clock;
  auto service = started(&store, clock, 3);
  ASSERT_NE(service, nullptr);
  Service& s = *service;
  auto bigger = std::make_shared<Catalog>(*testing::test_catalog());
  Plan studio;
  studio.id = "studio";
  bigger->plans.push_back(studio);
  ASSERT_EQ(testing::test_catalog()->find_plan("studio"), nullptr);
  std::vector<std::future<Result>> before, after;
  for (int i = 0; i < 6; ++i) before.push_back(s.submit({cat("b", i), OpenAccount{cat("b", i), "studio"}}));
  std::atomic<int> swapped{0};
  std::promise<void> done;
  s.reconfigure([&](Ledger& l) {
    EXPECT_EQ(l.catalog().find_plan("studio"), nullptr);  // the old one until now
    l.set_catalog(bigger);
    ++swapped;
  }, [&] {
    EXPECT_EQ(swapped.load(), 3);
    done.set_value();
  });
  for (int i = 0; i < 6; ++i) after.push_back(s.submit({cat("a", i), OpenAccount{cat("a", i), "studio"}}));
  for (auto& f : before) {
    const Result r = f.get();
    ASSERT_FALSE(r.has_value());
    EXPECT_EQ(r.error().code, ErrorCode::invalid_request) << r.error().detail;
  }
  for (auto& f : after) EXPECT_TRUE(f.get().has_value());
  done.get_future().get();
  for (int i = 0; i < 3; ++i) {
    s.read(static_cast<ShardId>(i), [&](const Ledger& l) {
       EXPECT_NE(l.catalog().find_plan("studio"), nullptr);
     }).get();
  }
}

// A /v1/batch hands each shard its items at once: held back while the Handoff lives, then one
// batch (one commit) per shard, in the order given, a read after the writes before it.
TEST_P(ServiceLayout, AHandoffGivesEachShardItsItemsAsOneBatchInOrder) {
  store::MemoryStore store;
  ManualClock clock;
  auto service = started(&store, clock, 2);
  ASSERT_NE(service, nullptr);
  Service& s = *service;
  std::vector<std::string> ids;
  for (int i = 0; ids.size() < 4; ++i) {  // two accounts on each shard
    std::string id = cat("h", i);
    const size_t on_shard = static_cast<size_t>(std::count_if(
        ids.begin(), ids.end(), [&](const std::string& x) {
          return s.shard_of_account(x) == s.shard_of_account(id);
        }));
    if (on_shard < 2) ids.push_back(std::move(id));
  }
  // Idle shards: time ticks alone commit nothing (no entries), so batches count our items only.
  const uint64_t before = s.stats(0).batches + s.stats(1).batches;
  std::vector<std::future<Result>> replies;
  std::vector<std::future<void>> reads;
  std::vector<Credits> seen(ids.size());
  {
    Service::Handoff handoff(s);
    for (size_t i = 0; i < ids.size(); ++i) {
      replies.push_back(s.submit({cat("o", i), OpenAccount{ids[i], "", true}}));
      replies.push_back(s.submit(
          {cat("g", i), Grant{.account = ids[i], .source = Source::admin, .amount = cr("3")}}));
      reads.push_back(s.read(s.shard_of_account(ids[i]), [&seen, &ids, i](const Ledger& l) {
        seen[i] = l.find_account(ids[i])->balance;
      }));
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
    for (auto& r : replies) {  // nothing reached a shard yet
      EXPECT_EQ(r.wait_for(std::chrono::seconds(0)), std::future_status::timeout);
    }
  }
  for (auto& r : replies) EXPECT_TRUE(r.get().has_value());
  for (auto& r : reads) r.get();
  for (const Credits& c : seen) EXPECT_EQ(c, cr("3"));
  EXPECT_EQ(s.stats(0).batches + s.stats(1).batches, before + 2);  // one commit per shard
  const ShardStats st = s.stats(0);
  EXPECT_GE(st.queue_wait_ns.count, 6u);  // the stages were timed
  EXPECT_GE(st.apply_ns.count, 4u);
}

// Rule 10 on the journal-first store (issue 14): the tables are written after the reply, so a
// history read right after an acknowledged write must find it in the journal's tail when the
// projector has not caught up, and never miss it while the projector moves it.
TEST_P(ServiceLayout, AHistoryReadRightAfterAWriteSeesItWhateverTheProjectionLags) {
  for (const bool project : {true, false}) {
    SCOPED_TRACE(project ? "projecting" : "no projector");
    store::SqliteOptions so{temp_dir(project ? "read-after-write" : "read-after-write-tail"), false};
    so.project = project;
    auto store = store::SqliteStore::open(so);
    ASSERT_TRUE(store.has_value());
    ManualClock clock;
    auto service = Service::start(options(clock, 1), store->get());
    ASSERT_TRUE(service.has_value());
    Service& s = **service;
    ASSERT_TRUE(s.submit({"o", OpenAccount{"u", "", true}}).get().has_value());
    ASSERT_TRUE(
        s.submit({"g", Grant{.account = "u", .source = Source::admin, .amount = cr("1000")}})
            .get()
            .has_value());
    for (int i = 0; i < 200; ++i) {
      auto r = s.submit({cat("s", i), SpendNow{"u", cr("1"), "image", "v1"}}).get();
      ASSERT_TRUE(r.has_value());
      const SpendId id = std::get<SpendReply>(*r).spend;
      bool seen = false;
      ASSERT_TRUE((*store)
                      ->scan_account_entries(0, "u", 0,
                                             [&](const Entry& e) {
                                               seen = seen || e.spend == id;
                                               return true;
                                             })
                      .has_value());
      ASSERT_TRUE(seen) << "spend " << i << " acknowledged but not in the history";
    }
    service->reset();
  }
}

TEST_P(ServiceLayout, IdleShardsAdvanceTimeThemselves) {
  store::MemoryStore store;
  ManualClock clock;
  auto service = Service::start(options(clock, 1), &store);
  ASSERT_TRUE(service.has_value());
  Service& s = **service;
  s.submit({"o", OpenAccount{"u", "", true}}).get();
  Grant g{.account = "u", .source = Source::promo, .amount = cr("5")};
  g.expiry = {Expiry::Mode::at, at("2026-11-02T00:01:00Z"), {}};
  s.submit({"g", g}).get();
  clock.us = at("2026-11-02T00:02:00Z").us;  // nobody sends anything from now on
  for (int i = 0; i < 200 && balance(s, "u") != cr("0"); ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  EXPECT_EQ(balance(s, "u"), cr("0"));
  bool expired = false;
  ASSERT_TRUE(store
                  .scan_entries(0, 0,
                                [&](const Entry& e) {
                                  expired =
                                      expired || (e.kind == EntryKind::expire &&
                                                  format_time(e.at) == "2026-11-02T00:01:00Z");
                                  return true;
                                })
                  .has_value());
  EXPECT_TRUE(expired);  // durable, dated at the expiry instant
}

TEST_P(ServiceLayout, AKeyOlderThanTheLedgersMemoryStillGetsItsFirstReply) {
  auto store = store::SqliteStore::open({temp_dir("old-keys"), /*synchronous_full=*/false});
  ASSERT_TRUE(store.has_value());
  ManualClock clock;
  ServiceOptions o = options(clock, 1);
  o.ledger.memory_window_us = k_us_per_hour;
  Result first;
  {
    auto service = Service::start(o, store->get());
    ASSERT_TRUE(service.has_value()) << service.error();
    (*service)->submit({"o", OpenAccount{"u", "", true}}).get();
    (*service)->submit({"g", Grant{.account = "u", .amount = cr("10")}}).get();
    first = (*service)->submit({"job-1", SpendNow{"u", cr("4"), "image", "v1"}}).get();
    ASSERT_TRUE(first.has_value());
    clock.us += 2 * k_us_per_hour;  // the ledger lets the key go at its next tick
    (*service)->submit({"later", SpendNow{"u", cr("1"), "image", "v1"}}).get();
  }
  // After a restart too: the retry of the old key is answered from the store.
  auto service = Service::start(o, store->get());
  ASSERT_TRUE(service.has_value()) << service.error();
  Result again = (*service)->submit({"job-1", SpendNow{"u", cr("4"), "image", "v1"}}).get();
  ASSERT_TRUE(again.has_value());
  EXPECT_EQ(std::get<SpendReply>(*again).spend, std::get<SpendReply>(*first).spend);
  EXPECT_EQ(balance(**service, "u"), cr("5"));  // 10 - 4 - 1, the retry changed nothing
  Result other = (*service)->submit({"job-1", SpendNow{"u", cr("3"), "image", "v1"}}).get();
  EXPECT_EQ(other.error().code, ErrorCode::idempotency_conflict);
}

// A restart loads only the most recent keys (SqliteOptions::idempotency_loaded_max); an older
// one is still answered from the store, and a key never seen costs no store lookup.
TEST_P(ServiceLayout, KeysLeftOutOfTheLoadStillGetTheirFirstReplyAndNewKeysAreNotLookedUp) {
  const std::string dir = temp_dir("load-window");
  ManualClock clock;
  std::vector<Result> first;
  {
    auto store = store::SqliteStore::open({dir, /*synchronous_full=*/false});
    ASSERT_TRUE(store.has_value());
    auto service = Service::start(options(clock, 1), store->get());
    ASSERT_TRUE(service.has_value()) << service.error();
    (*service)->submit({"o", OpenAccount{"u", "", true}}).get();
    (*service)->submit({"g", Grant{.account = "u", .amount = cr("100")}}).get();
    for (int i = 0; i < 10; ++i) {
      first.push_back((*service)->submit({cat("job-", i), SpendNow{"u", cr("1"), "image", "v1"}})
                          .get());
      ASSERT_TRUE(first.back().has_value());
    }
  }
  store::SqliteOptions small{dir, /*synchronous_full=*/false};
  small.idempotency_loaded_max = 3;
  auto store = store::SqliteStore::open(small);
  ASSERT_TRUE(store.has_value());
  EXPECT_EQ((*store)->load(0)->idempotency.size(), 3u);  // job-7, job-8, job-9
  EXPECT_TRUE(*(*store)->has_cold_keys(0));
  auto service = Service::start(options(clock, 1), store->get());
  ASSERT_TRUE(service.has_value()) << service.error();
  Service& s = **service;
  for (int i = 0; i < 10; ++i) {  // every retry, loaded or not, gets its first reply
    Result again = s.submit({cat("job-", i), SpendNow{"u", cr("1"), "image", "v1"}}).get();
    ASSERT_TRUE(again.has_value()) << i;
    EXPECT_EQ(std::get<SpendReply>(again.value()).spend,
              std::get<SpendReply>(first[static_cast<size_t>(i)].value()).spend);
  }
  EXPECT_EQ(balance(s, "u"), cr("90"));
  Result other = s.submit({"job-0", SpendNow{"u", cr("2"), "image", "v1"}}).get();
  EXPECT_EQ(other.error().code, ErrorCode::idempotency_conflict);
  const uint64_t lookups = s.stats(0).cold_key_lookups;
  EXPECT_GE(lookups, 7u);  // job-0 .. job-6 came from the store
  for (int i = 0; i < 100; ++i) {  // new keys: the filter knows they were never used
    ASSERT_TRUE(s.submit({cat("new-", i), SpendNow{"u", cr("0.1"), "image", "v1"}}).get());
  }
  EXPECT_LE(s.stats(0).cold_key_lookups, lookups + 2);  // a false positive at most, rarely
}

// Issue 14: spends and finished holds leave memory after the memory window, and a refund or a
// capture that names them later, also after a restart, is answered as if they had stayed; the
// ledger's memory of them stays bounded.
TEST_P(ServiceLayout, ARefundOrCaptureAfterTheMemoryWindowIsAnsweredFromTheStore) {
  const std::string dir = temp_dir("memory-window");
  ManualClock clock;
  ServiceOptions o = options(clock, 1);
  o.ledger.memory_window_us = k_us_per_minute;
  SpendId spend;
  HoldId hold;
  {
    auto store = store::SqliteStore::open({dir, /*synchronous_full=*/false});
    ASSERT_TRUE(store.has_value());
    auto service = Service::start(o, store->get());
    ASSERT_TRUE(service.has_value()) << service.error();
    Service& s = **service;
    s.submit({"o", OpenAccount{"u", "", true}}).get();
    s.submit({"g", Grant{.account = "u", .amount = cr("10")}}).get();
    spend = std::get<SpendReply>(*s.submit({"s", SpendNow{"u", cr("4"), "image", "v1"}}).get())
                .spend;
    hold = std::get<HoldReply>(*s.submit({"h", PlaceHold{"u", cr("2"), "image"}}).get()).hold;
    ASSERT_TRUE(s.submit({"c", Capture{hold, cr("1")}}).get().has_value());
    clock.us += 2 * k_us_per_minute;  // both leave memory at the end of the next batch
    s.read(0, [](const Ledger&) {}).get();
    s.read(0, [&](const Ledger& l) {
       EXPECT_EQ(l.find_spend(spend), nullptr);
       EXPECT_FALSE(l.hold_status(hold).has_value());
     }).get();
    Result r = s.submit({"r1", Refund{spend, cr("1"), "failed"}}).get();
    ASSERT_TRUE(r.has_value()) << r.error().detail;
    EXPECT_EQ(std::get<RefundReply>(*r).refunded_total, cr("1"));
    EXPECT_EQ(s.submit({"c2", Capture{hold, std::nullopt}}).get().error().code,
              ErrorCode::hold_not_active);
  }
  auto store = store::SqliteStore::open({dir, /*synchronous_full=*/false});
  ASSERT_TRUE(store.has_value());
  EXPECT_TRUE((*store)->load(0)->spends.empty());
  auto service = Service::start(o, store->get());
  ASSERT_TRUE(service.has_value()) << service.error();
  Service& s = **service;
  Result r = s.submit({"r2", Refund{spend, std::nullopt, "the rest"}}).get();
  ASSERT_TRUE(r.has_value()) << r.error().detail;
  EXPECT_EQ(std::get<RefundReply>(*r).refunded, cr("3"));
  EXPECT_EQ(s.submit({"r3", Refund{spend, cr("1"), "more"}}).get().error().code,
            ErrorCode::refund_exceeds_spend);
  EXPECT_EQ(balance(s, "u"), cr("9"));  // 10 - 4 + 4 - 1 (the capture)
  EXPECT_GE(s.stats(0).cold_key_lookups, 2u);
}

// The store forgets keys past the idempotency retention, and so do the key filters: a key that
// old is a new request (rule 8 holds within the retention), and nothing grows without bound.
TEST_P(ServiceLayout, KeysPastTheirRetentionAreForgottenByTheStoreAndTheFilters) {
  store::SqliteOptions so{temp_dir("key-retention"), /*synchronous_full=*/false};
  so.idempotency_retention_us = k_us_per_hour;
  auto store = store::SqliteStore::open(so);
  ASSERT_TRUE(store.has_value());
  ManualClock clock;
  ServiceOptions o = options(clock, 1);
  o.ledger.idempotency_retention_us = k_us_per_hour;
  o.ledger.memory_window_us = k_us_per_minute;
  auto service = Service::start(o, store->get());
  ASSERT_TRUE(service.has_value()) << service.error();
  Service& s = **service;
  s.submit({"o", OpenAccount{"u", "", true}}).get();
  s.submit({"g", Grant{.account = "u", .amount = cr("10")}}).get();
  Result first = s.submit({"job", SpendNow{"u", cr("1"), "image", "v1"}}).get();
  clock.us += 30 * k_us_per_minute;  // out of memory, within the retention: a retry
  s.read(0, [](const Ledger&) {}).get();
  EXPECT_EQ(s.submit({"job", SpendNow{"u", cr("1"), "image", "v1"}}).get(), first);
  EXPECT_EQ(balance(s, "u"), cr("9"));
  clock.us += 2 * k_us_per_hour;  // past the retention: forgotten, a new request
  s.read(0, [](const Ledger&) {}).get();
  Result again = s.submit({"job", SpendNow{"u", cr("1"), "image", "v1"}}).get();
  ASSERT_TRUE(again.has_value());
  EXPECT_NE(std::get<SpendReply>(*again).spend, std::get<SpendReply>(*first).spend);
  EXPECT_EQ(balance(s, "u"), cr("8"));
}

// A store whose commits wait at a gate the test opens: what a slow fsync looks like.
class GatedStore : public store::MemoryStore {
 public:
  std::expected<void, store::StoreError> commit(ShardId shard, std::span<const Entry> entries,
                                                const StateDelta& delta) override {
    std::unique_lock lock(mu_);
    ++waiting_;
    changed_.notify_all();
    changed_.wait(lock, [&] { return open_; });
    --waiting_;
    lock.unlock();
    return MemoryStore::commit(shard, entries, delta);
  }
  void open() {
    std::lock_guard lock(mu_);
    open_ = true;
    changed_.notify_all();
  }
  void wait_for_commit() {
    std::unique_lock lock(mu_);
    changed_.wait(lock, [&] { return waiting_ > 0; });
  }

 private:
  std::mutex mu_;
  std::condition_variable changed_;
  int waiting_ = 0;
  bool open_ = false;
};

// Applying the next batch overlaps the commit in flight, but nothing of it is acknowledged
// before its own batch (and every one before it) is durable, and replies come in order.
TEST(Service, TheNextBatchIsAppliedWhileOneCommitsAndRepliesWaitTheirTurn) {
  GatedStore store;
  ManualClock clock;
  auto service = Service::start(options(clock, 1), &store);
  ASSERT_TRUE(service.has_value());
  Service& s = **service;
  struct Opener {  // whatever happens, the service can stop
    GatedStore& store;
    ~Opener() { store.open(); }
  } opener{store};
  std::mutex mu;
  std::vector<std::string> replied;
  auto note = [&](std::string what) {
    std::lock_guard lock(mu);
    replied.push_back(std::move(what));
  };
  s.submit({"o", OpenAccount{"u", "", true}}, [&](Result r) {
    EXPECT_TRUE(r.has_value());
    note("open");
  });
  store.wait_for_commit();  // batch 1 is committing and cannot finish
  std::promise<bool> seen;
  s.read_ledger(
      0, [&](const Ledger& l) { seen.set_value(l.find_account("u") != nullptr); },
      [&] { note("read"); });
  // The read was applied meanwhile (batch 2) and saw batch 1's account...
  auto applied = seen.get_future();
  ASSERT_EQ(applied.wait_for(std::chrono::seconds(10)), std::future_status::ready);
  EXPECT_TRUE(applied.get());
  s.submit({"g", Grant{.account = "u", .source = Source::admin, .amount = cr("7")}},
           [&](Result r) {
             EXPECT_TRUE(r.has_value());
             note("grant");
           });
  std::this_thread::sleep_for(std::chrono::milliseconds(20));
  {
    std::lock_guard lock(mu);
    EXPECT_TRUE(replied.empty());  // ...but nothing is acknowledged before it is durable
  }
  store.open();
  EXPECT_EQ(balance(s, "u"), cr("7"));
  std::lock_guard lock(mu);
  EXPECT_EQ(replied, (std::vector<std::string>{"open", "read", "grant"}));
}

TEST(ServiceDeathTest, AFailedCommitStopsTheProcess) {
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  for (bool overlap : {true, false}) {  // committed on the writer thread, or the shard's own
    SCOPED_TRACE(overlap ? "a writer thread per shard" : "one thread per shard");
    g_overlap_commit = overlap;
    EXPECT_DEATH(
        {
          store::MemoryStore inner;
          store::FaultyStore store(&inner);
          store.fail_commit_after(0);
          ManualClock clock;
          auto service = Service::start(options(clock, 1), &store);
          (*service)->submit({"o", OpenAccount{"u", "", true}}).get();
        },
        // The log's line (log.h) on standard error, then the stop.
        R"("event":"store_failed","shard":0,"during":"commit","message":"injected commit failure","then":"stopping")");
  }
  g_overlap_commit = true;
}

}  // namespace
}  // namespace tally::service
