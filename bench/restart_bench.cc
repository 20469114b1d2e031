// Restart time and memory per account (DESIGN §7: 1,000,000 accounts loaded in 10 s, goal 3 s;
// 1 KiB per account with 5 lots, goal 512 B). Writes ACCOUNTS accounts with 5 lots each
// through the service into a fresh SQLite directory, stops, then times a new service's start
// (load + Ledger::from_state per shard) and the memory it takes.
//
// Usage: restart_bench [ACCOUNTS] (default 1,000,000)
#include <malloc.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <future>
#include <string>
#include <vector>

#include "ledger/text.h"
#include "service/service.h"
#include "store/sqlite_store.h"

namespace {

long rss_kib() {
  std::ifstream in("/proc/self/status");
  for (std::string line; std::getline(in, line);) {
    if (line.rfind("VmRSS:", 0) == 0) return std::stol(line.substr(6));
  }
  return 0;
}

double seconds_since(std::chrono::steady_clock::time_point t) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t).count();
}

}  // namespace

int main(int argc, char** argv) {
  using namespace tally;
  const int accounts = argc > 1 ? std::atoi(argv[1]) : 1'000'000;
  const std::string dir = tally::cat("/tmp/tally-restart-bench-", ::getpid());
  std::filesystem::remove_all(dir);
  service::ServiceOptions o;
  o.shards = 2;
  o.clock = [] { return TimeUs{1'790'000'000'000'000}; };
  {
    auto store = store::SqliteStore::open({dir, /*synchronous_full=*/false});
    auto service = service::Service::start(o, store->get());
    const auto t = std::chrono::steady_clock::now();
    std::vector<std::future<Result>> inflight;
    const Source sources[] = {Source::purchase, Source::admin, Source::promo, Source::reward,
                              Source::signup};
    for (int i = 0; i < accounts; ++i) {
      const std::string id = tally::cat("user-", i);
      inflight.push_back((*service)->submit({tally::cat(id, ":o"), OpenAccount{id, "", true}}));
      for (int l = 0; l < 5; ++l) {
        inflight.push_back((*service)->submit(
            {tally::cat(id, ":g", l),
             Grant{.account = id, .source = sources[l], .amount = Credits::from_credits(10 + l)}}));
      }
      if (inflight.size() >= 60'000) {
        for (auto& f : inflight) f.get();
        inflight.clear();
      }
    }
    for (auto& f : inflight) f.get();
    std::printf("wrote %d accounts with 5 lots each in %.1f s\n", accounts, seconds_since(t));
  }
  // Memory the writing left free goes back to the system first (the service does the same
  // after loading), so that the difference is what the loaded shards hold.
  malloc_trim(0);
  const long before = rss_kib();
  const auto t = std::chrono::steady_clock::now();
  auto store = store::SqliteStore::open({dir, /*synchronous_full=*/true});
  auto service = service::Service::start(o, store->get());
  if (!service) {
    std::fprintf(stderr, "restart failed: %s\n", service.error().c_str());
    return 1;
  }
  const double restart_s = seconds_since(t);
  const long after = rss_kib();
  std::printf("restart: %d accounts loaded in %.2f s; memory %.0f B per account (RSS %ld -> %ld KiB)\n",
              accounts, restart_s, static_cast<double>(after - before) * 1024.0 / accounts, before,
              after);
  service->reset();
  store->reset();
  std::filesystem::remove_all(dir);
}
