// Pricing benchmarks (docs/BENCHMARKS.md, "Pricing"). Target: a PixAI-style image quote with
// 6 factors in <= 1 µs on one core. Run from a Release build: ./build/release/bench/pricing_bench
#include <benchmark/benchmark.h>

#include <cstdlib>
#include <iostream>
#include <string>
#include <vector>

#include "pricing/breakdown.h"
#include "pricing/loader.h"
#include "pricing/quote.h"

namespace {

using namespace tally::pricing;

std::shared_ptr<const PriceBook> pixai() {
  static auto book = [] {
    auto r = load_price_book_file(std::string(TALLY_SOURCE_DIR) + "/config/examples/pixai.toml");
    if (!r) {
      std::cerr << r.error().to_string() << "\n";
      std::abort();
    }
    return *r;
  }();
  return book;
}

// Model, aspect ratio, steps tier, HiRes, Face Fix, batch of 4, priority: 6 non-trivial
// factors after the model's price.
const std::vector<ParamValue> k_params{
    {"model", "tsubaki-2"}, {"aspect_ratio", "16:9"}, {"steps", "40"},     {"hires", "true"},
    {"face_fix", "true"},   {"batch_size", "4"},      {"priority", "true"}};

// The hot path: indexes resolved once (the server caches them per request shape).
void BM_QuoteResolved_PixaiImage6Factors(benchmark::State& state) {
  auto book = pixai();
  auto r = resolve_request(*book, "image", k_params);
  if (!r) std::abort();
  for (auto _ : state) {
    auto q = price_request(*book, *r);
    benchmark::DoNotOptimize(q);
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_QuoteResolved_PixaiImage6Factors);

// From names and text values, as a request arrives: resolve (validate) + price.
void BM_QuoteNamed_PixaiImage6Factors(benchmark::State& state) {
  auto book = pixai();
  for (auto _ : state) {
    auto q = quote(*book, "image", k_params);
    benchmark::DoNotOptimize(q);
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_QuoteNamed_PixaiImage6Factors);

// The human breakdown text, built lazily when a client asks for it.
void BM_BreakdownText_PixaiImage(benchmark::State& state) {
  auto book = pixai();
  auto q = quote(*book, "image", k_params);
  if (!q) std::abort();
  for (auto _ : state) {
    std::string text = format_breakdown(*q);
    benchmark::DoNotOptimize(text);
  }
}
BENCHMARK(BM_BreakdownText_PixaiImage);

}  // namespace

BENCHMARK_MAIN();
