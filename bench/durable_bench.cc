// Durable commands/s through the service: SQLite with synchronous=FULL (an fsync per commit),
// group commit, one shard per core. A client keeps `window` commands in flight (what many
// concurrent HTTP clients, or /v1/batch, produce); the service turns each queue into one
// transaction. DESIGN §7 floor: 100,000 commands/s through /v1/batch.
#include <benchmark/benchmark.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
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
  // TALLY_BENCH_SYNC=normal measures without the fsync per commit (to see what it costs).
  const char* sync = std::getenv("TALLY_BENCH_SYNC");
  const bool full = sync == nullptr || std::string_view(sync) != "normal";
  store::SqliteOptions so{dir, /*synchronous_full=*/full};
  auto store = store::SqliteStore::open(so);
  service::ServiceOptions o;
  o.shards = 2;
  o.overlap_commit = state.range(1) != 0;
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
  // Only the measured spends count: stats before them are subtracted.
  std::vector<service::ShardStats> before;
  for (ShardId i = 0; i < s.shards(); ++i) before.push_back(s.stats(i));
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
  // The commit-time histogram of every shard, minus what setup recorded.
  service::HistogramSnapshot commit = before[0].commit_us;
  std::fill(commit.counts.begin(), commit.counts.end(), 0);
  commit.max = 0;
  uint64_t batches = 0;
  for (ShardId i = 0; i < s.shards(); ++i) {
    const auto st = s.stats(i);
    batches += st.batches - before[i].batches;
    for (size_t b = 0; b < commit.counts.size(); ++b) {
      const uint64_t c = st.commit_us.counts[b] - before[i].commit_us.counts[b];
      commit.counts[b] += c;
      commit.count += c;
    }
    commit.sum += st.commit_us.sum - before[i].commit_us.sum;
    commit.max = std::max(commit.max, st.commit_us.max);
  }
  state.counters["batch_avg"] = static_cast<double>(n) / static_cast<double>(batches);
  state.counters["commit_avg_us"] = static_cast<double>(commit.mean());
  state.counters["commit_p50_us"] = static_cast<double>(commit.quantile(0.5));
  state.counters["commit_p99_us"] = static_cast<double>(commit.quantile(0.99));
  service->reset();
  store->reset();
  std::filesystem::remove_all(dir);
}
// Arguments: the window, and whether applying overlaps committing (1, the default) or waits
// for each commit (0, to see what the overlap gives).
BENCHMARK(BM_DurableSpends)
    ->ArgNames({"window", "overlap"})
    ->Args({1, 1})
    ->Args({64, 1})
    ->Args({1024, 1})
    ->Args({8192, 1})
    ->Args({1024, 0})
    ->Args({8192, 0})
    ->Unit(benchmark::kMicrosecond)
    ->MinTime(3.0)
    ->UseRealTime();

}  // namespace
}  // namespace tally

BENCHMARK_MAIN();
