// tally_sim: runs the deterministic simulator (tests/sim/simulator.h) outside the test suite.
//   tally_sim --seed 42                 one seed; on failure, its shortest failing prefix
//   tally_sim --seed 1 --seeds 1000     seeds 1..1000
//   tally_sim --long 3600               consecutive seeds (from --seed) for an hour
//   --steps N (default 300), --store memory|sqlite|postgres, --dir DIR (sqlite; default a temp
//   dir), --pg-url URL (postgres: each seed gets a new schema in that database), --plant
//   drop-lot-change|drop-entry (a store bug the checks must catch)
// Exits 1 at the first failing seed, printing the report; 0 if every seed passed.
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <string>

#include "ledger/text.h"
#include "sim/simulator.h"

int main(int argc, char** argv) {
  CLI::App app{"Tally's deterministic simulator: the ledger and the store under injected faults"};
  uint64_t seed = 1;
  uint64_t seeds = 1;
  size_t steps = 300;
  double long_s = 0;
  std::string store = "memory";
  std::string dir;
  bool trace = false;
  app.add_option("--seed", seed, "First seed");
  app.add_option("--seeds", seeds, "How many consecutive seeds");
  app.add_option("--steps", steps, "Steps per seed");
  app.add_option("--long", long_s, "Run consecutive seeds for this many seconds");
  std::string pg_url;
  app.add_option("--store", store, "memory, sqlite or postgres")
      ->check(CLI::IsMember({"memory", "sqlite", "postgres"}));
  app.add_option("--pg-url", pg_url, "The PostgreSQL server for --store postgres");
  app.add_option("--dir", dir, "Directory for the SQLite store (default: a temporary one)");
  app.add_flag("--trace", trace, "Print every step of the seed");
  std::string plant = "none";
  app.add_option("--plant", plant, "A bug planted in the store, to see the checks catch it")
      ->check(CLI::IsMember({"none", "drop-lot-change", "drop-entry"}));
  CLI11_PARSE(app, argc, argv);

  namespace fs = std::filesystem;
  const bool sqlite = store == "sqlite";
  const fs::path base = dir.empty()
                            ? fs::temp_directory_path() / tally::cat("tally-sim-", ::getpid())
                            : fs::path(dir);
  const auto start = std::chrono::steady_clock::now();
  auto elapsed = [&] {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  };
  uint64_t ran = 0, requests = 0, crashes = 0, commits = 0, taken = 0;
  int rc = 0;
  for (uint64_t s = seed;; ++s) {
    if (long_s > 0 ? elapsed() >= long_s : s >= seed + seeds) break;
    tally::sim::Options o{.seed = s, .steps = steps, .keep_trace = trace};
    if (plant == "drop-lot-change") o.plant = tally::sim::Plant::drop_lot_change;
    if (plant == "drop-entry") o.plant = tally::sim::Plant::drop_entry;
    if (sqlite) {
      o.store = tally::sim::StoreKind::sqlite;
      o.dir = (base / tally::cat("seed-", s)).string();
      fs::remove_all(o.dir);
    }
    if (store == "postgres") {
      o.store = tally::sim::StoreKind::postgres;
      o.pg_url = pg_url;
      o.pg_schema = tally::cat("sim_", ::getpid(), "_", s);
    }
    const tally::sim::Outcome out = tally::sim::run(o);
    for (const std::string& line : out.trace) std::printf("%s\n", line.c_str());
    if (!out.ok) {
      std::printf("%s", tally::sim::explain_failure(o, out).c_str());
      rc = 1;
      break;
    }
    if (sqlite) fs::remove_all(o.dir);
    ++ran;
    requests += out.requests;
    crashes += out.crashes;
    commits += out.commits;
    taken += out.payments_taken;
    if (long_s > 0 && ran % 100 == 0) {
      std::printf("%.0f s: %llu seeds passed (last %llu)\n", elapsed(),
                  static_cast<unsigned long long>(ran), static_cast<unsigned long long>(s));
      std::fflush(stdout);
    }
  }
  if (sqlite && dir.empty()) fs::remove_all(base);
  std::printf(
      "%llu seeds passed, %llu requests, %llu commits, %llu injected faults, %llu payments "
      "refused as another purchase's, %.1f s\n",
      static_cast<unsigned long long>(ran), static_cast<unsigned long long>(requests),
      static_cast<unsigned long long>(commits), static_cast<unsigned long long>(crashes),
      static_cast<unsigned long long>(taken), elapsed());
  return rc;
}
