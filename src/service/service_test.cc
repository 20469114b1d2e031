#include "service/service.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <atomic>
#include <filesystem>
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

ServiceOptions options(ManualClock& clock, size_t shards) {
  ServiceOptions o;
  o.shards = shards;
  o.catalog = testing::test_catalog();
  o.clock = clock.fn();
  o.tick_us = 5'000;
  return o;
}

std::string temp_dir(const char* name) {
  return testing::scratch_dir(cat("service-", name));
}

Credits balance(Service& s, const std::string& account) {
  Credits out;
  s.read(s.shard_of_account(account), [&](const Ledger& l) {
     const Account* a = l.find_account(account);
     if (a != nullptr) out = a->balance;
   }).get();
  return out;
}

TEST(Service, ConcurrentClientsAreAcknowledgedDurablyAndRecoveredExactly) {
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
    uint64_t commands = 0;
    for (ShardId i = 0; i < s.shards(); ++i) commands += s.stats(i).commands;
    EXPECT_GE(commands, static_cast<uint64_t>(k_clients * k_accounts * 6));
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

TEST(Service, AReadSeesEveryWriteQueuedBeforeIt) {
  store::MemoryStore store;
  ManualClock clock;
  auto service = Service::start(options(clock, 2), &store);
  ASSERT_TRUE(service.has_value());
  Service& s = **service;
  s.submit({"o", OpenAccount{"u", "", true}});
  s.submit(
      {"g", Grant{.account = "u", .source = Source::admin, .amount = cr("7")}});  // not awaited
  EXPECT_EQ(balance(s, "u"), cr("7"));
}

TEST(Service, IdleShardsAdvanceTimeThemselves) {
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

TEST(Service, AKeyOlderThanTheLedgersMemoryStillGetsItsFirstReply) {
  auto store = store::SqliteStore::open({temp_dir("old-keys"), /*synchronous_full=*/false});
  ASSERT_TRUE(store.has_value());
  ManualClock clock;
  ServiceOptions o = options(clock, 1);
  o.ledger.idempotency_retention_us = k_us_per_hour;
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

TEST(ServiceDeathTest, AFailedCommitStopsTheProcess) {
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  EXPECT_DEATH(
      {
        store::MemoryStore inner;
        store::FaultyStore store(&inner);
        store.fail_commit_after(0);
        ManualClock clock;
        auto service = Service::start(options(clock, 1), &store);
        (*service)->submit({"o", OpenAccount{"u", "", true}}).get();
      },
      "commit failed: injected commit failure; stopping");
}

}  // namespace
}  // namespace tally::service
