// Durable commands/s through the service: SQLite with synchronous=FULL (an fsync per commit),
// group commit, one shard per core. A client keeps `window` commands in flight (what many
// concurrent HTTP clients, or /v1/batch, produce); the service turns each queue into one
// transaction. DESIGN §7 floor: 100,000 commands/s through /v1/batch.
#include <benchmark/benchmark.h>
#include <unistd.h>

#include <filesystem>
#include <future>
#include <string>
#include <vector>

#include "ledger/text.h"
#include "service/service.h"
#include "store/sqlite_store.h"

namespace tally {
namespace {

constexpr int k_accounts = 10'000;

void BM_DurableSpends(benchmark::State& state) {
  const size_t window = static_cast<size_t>(state.range(0));
  const std::string dir = cat("/tmp/tally-durable-bench-", ::getpid());
  std::filesystem::remove_all(dir);
  auto store = store::SqliteStore::open({dir, /*synchronous_full=*/true});
  service::ServiceOptions o;
  o.shards = 2;
  o.clock = [] { return TimeUs{1'790'000'000'000'000}; };
  auto service = service::Service::start(o, store->get());
  service::Service& s = **service;
  std::vector<std::string> ids;
  std::vector<std::future<Result>> setup;
  for (int i = 0; i < k_accounts; ++i) {
    ids.push_back(cat("u", i));
    setup.push_back(s.submit({cat("o", i), OpenAccount{ids.back(), "", true}}));
    setup.push_back(s.submit({cat("g", i), Grant{.account = ids.back(),
                                                 .source = Source::purchase,
                                                 .amount = Credits::from_credits(1'000'000)}}));
  }
  for (auto& f : setup) f.get();
  uint64_t n = 0;
  std::vector<std::future<Result>> inflight;
  inflight.reserve(window);
  for (auto _ : state) {
    for (size_t i = 0; i < window; ++i, ++n) {
      inflight.push_back(s.submit(
          {cat("s", n), SpendNow{ids[n % k_accounts], Credits::from_credits(1), "image", "v1"}}));
    }
    for (auto& f : inflight) benchmark::DoNotOptimize(f.get());
    inflight.clear();
  }
  state.SetItemsProcessed(static_cast<int64_t>(n));
  uint64_t batches = 0, commit_us = 0, commit_max = 0;
  for (ShardId i = 0; i < s.shards(); ++i) {
    const auto st = s.stats(i);
    batches += st.batches;
    commit_us += st.commit_us_total;
    commit_max = std::max(commit_max, st.commit_us_max);
  }
  state.counters["batch_avg"] =
      static_cast<double>(n + 2 * k_accounts) / static_cast<double>(batches);
  state.counters["commit_avg_us"] = static_cast<double>(commit_us) / static_cast<double>(batches);
  state.counters["commit_max_us"] = static_cast<double>(commit_max);
  service->reset();
  store->reset();
  std::filesystem::remove_all(dir);
}
BENCHMARK(BM_DurableSpends)
    ->Arg(1)
    ->Arg(64)
    ->Arg(1024)
    ->Arg(8192)
    ->Unit(benchmark::kMicrosecond)
    ->MinTime(3.0)
    ->UseRealTime();

}  // namespace
}  // namespace tally

BENCHMARK_MAIN();
