// Ledger state machine throughput, in memory, one core (DESIGN §7: floor 1,000,000 commands/s).
// Every command goes through Ledger::apply exactly as the service will call it: with an
// idempotency key, a time, and an output vector of entries (cleared as the journal writer
// would take them).
#include <benchmark/benchmark.h>

#include <string>
#include <vector>

#include "ledger/ledger.h"
#include "ledger/ledger_state.h"

namespace tally {
namespace {

// prefix + n, written so that GCC 12's -Wrestrict false positive on "x" + std::string at -O3
// does not fire.
std::string key_of(char prefix, uint64_t n) {
  std::string key(1, prefix);
  key += std::to_string(n);
  return key;
}

constexpr int k_accounts = 10'000;
constexpr int64_t k_step_us = 1'000;  // time moves 1 ms per iteration

LedgerConfig bench_config() {
  LedgerConfig c;
  // Steady state: finished spends and idempotency keys are pruned after a minute of
  // simulated time (60,000 iterations), so memory stays flat and pruning is measured too.
  c.spend_retention_us = 60 * k_us_per_second;
  c.idempotency_retention_us = 60 * k_us_per_second;
  return c;
}

// Opens k_accounts accounts with 5 lots each of `lot_credits` (five sources, five expiries).
void setup(Ledger& ledger, TimeUs now, int64_t lot_credits, std::vector<std::string>* ids) {
  std::vector<Entry> out;
  const Source sources[] = {Source::subscription, Source::admin, Source::reward, Source::purchase,
                            Source::signup};
  uint64_t key = 0;
  for (int i = 0; i < k_accounts; ++i) {
    ids->push_back(key_of('u', static_cast<uint64_t>(i)));
    (void)ledger.apply({key_of('s', ++key), OpenAccount{ids->back()}}, now, &out);
    for (int l = 0; l < 5; ++l) {
      Grant g{.account = ids->back(),
              .source = sources[l],
              .amount = Credits::from_credits(lot_credits)};
      g.expiry = {Expiry::Mode::at, add_us(now, (l + 1) * 400 * k_us_per_day), {}};
      (void)ledger.apply({key_of('s', ++key), g}, now, &out);
    }
  }
}

// One hold of 1 credit and its capture: each hold takes one lot portion. Not inlined, so that
// `valgrind --tool=callgrind --toggle-collect='*hold_capture_step*'` counts exactly the two
// commands (instructions are repeatable where wall time on a shared VM is not).
[[gnu::noinline]] void hold_capture_step(Ledger& ledger, const std::string& account, uint64_t n,
                                         TimeUs now, std::vector<Entry>* out) {
  static const std::string tool = "image";
  std::string key = key_of('h', n);
  Result h =
      ledger.apply({key, PlaceHold{account, Credits::from_credits(1), tool, {}, "v1"}}, now, out);
  key[0] = 'c';
  Result c = ledger.apply({key, Capture{std::get<HoldReply>(*h).hold, {}}}, now, out);
  benchmark::DoNotOptimize(c);
  out->clear();
}

// `tracked`: as under a store (the durable service): the ledger records what changed, produces
// events and watches balances, and the delta is taken every 64 commands, as a batch would be.
void run_hold_capture(benchmark::State& state, bool tracked) {
  LedgerConfig config = bench_config();
  config.track_changes = tracked;
  Ledger ledger(config);
  std::vector<std::string> ids;
  TimeUs now{1'767'225'600'000'000};
  setup(ledger, now, 1'000'000'000, &ids);
  std::vector<Entry> out;
  out.reserve(64);
  uint64_t n = 0;
  for (auto _ : state) {
    now.us += k_step_us;
    hold_capture_step(ledger, ids[n % k_accounts], n, now, &out);
    ++n;
    if (tracked && n % 32 == 0) {
      StateDelta delta;
      ledger.take_delta(&delta);
      benchmark::DoNotOptimize(delta);
    }
  }
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations()) * 2);
  state.counters["commands/s"] =
      benchmark::Counter(static_cast<double>(state.iterations()) * 2, benchmark::Counter::kIsRate);
}
void BM_HoldCapture(benchmark::State& state) { run_hold_capture(state, false); }
void BM_HoldCaptureTracked(benchmark::State& state) { run_hold_capture(state, true); }
BENCHMARK(BM_HoldCapture)->Unit(benchmark::kNanosecond)->MinTime(2.0);
BENCHMARK(BM_HoldCaptureTracked)->Unit(benchmark::kNanosecond)->MinTime(2.0);

// Hold 5 credits over 5 lots of 1 credit, then release them all back: the widest hold.
void BM_HoldReleaseAcross5Lots(benchmark::State& state) {
  Ledger ledger(bench_config());
  std::vector<std::string> ids;
  TimeUs now{1'767'225'600'000'000};
  setup(ledger, now, 1, &ids);
  std::vector<Entry> out;
  out.reserve(64);
  uint64_t n = 0;
  const std::string tool = "image";
  for (auto _ : state) {
    now.us += k_step_us;
    const std::string& account = ids[n % k_accounts];
    std::string key = key_of('h', n);
    Result h = ledger.apply({key, PlaceHold{account, Credits::from_credits(5), tool, {}, "v1"}},
                            now, &out);
    key[0] = 'r';
    Result r = ledger.apply({key, Release{std::get<HoldReply>(*h).hold, {}}}, now, &out);
    benchmark::DoNotOptimize(r);
    out.clear();
    ++n;
  }
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations()) * 2);
  state.counters["commands/s"] =
      benchmark::Counter(static_cast<double>(state.iterations()) * 2, benchmark::Counter::kIsRate);
}
BENCHMARK(BM_HoldReleaseAcross5Lots)->Unit(benchmark::kNanosecond)->MinTime(2.0);

}  // namespace
}  // namespace tally

BENCHMARK_MAIN();
