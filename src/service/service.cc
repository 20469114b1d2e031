#include "service/service.h"

#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <deque>
#include <mutex>
#include <optional>
#include <thread>

#include "ledger/ledger_state.h"
#include "ledger/text.h"

namespace tally::service {
namespace {

// FNV-1a: stable across processes and builds, unlike std::hash, so an account keeps its shard.
uint64_t stable_hash(std::string_view s) {
  uint64_t h = 0xcbf29ce484222325ULL;
  for (unsigned char c : s) h = (h ^ c) * 0x100000001b3ULL;
  return h;
}

bool has_changes(const StateDelta& d) {
  return !d.accounts.empty() || !d.holds_put.empty() || !d.holds_gone.empty() ||
         !d.finished_put.empty() || !d.finished_gone.empty() || !d.spends_put.empty() ||
         !d.spends_gone.empty() || !d.purchases_put.empty() || !d.purchases_gone.empty() ||
         !d.idempotency_put.empty() || !d.idempotency_gone.empty();
}

}  // namespace

struct Service::Shard {
  struct Item {
    std::optional<Request> request;
    ReplyFn reply;
    std::function<void(const Ledger&)> read;
    std::function<void()> read_done;
  };

  ShardId id = 0;
  std::unique_ptr<Ledger> ledger;
  std::mutex mu;
  std::condition_variable wake;
  std::deque<Item> queue;
  bool stopping = false;
  std::thread thread;
  TimeUs last_now{INT64_MIN};
  bool cold_keys = false;  // the store holds keys the ledger let go: look them up on a miss
  std::atomic<uint64_t> batches{0};
  std::atomic<uint64_t> commands{0};
  std::atomic<uint64_t> commit_us_total{0};
  std::atomic<uint64_t> commit_us_max{0};

  void push(Item item) {
    {
      std::lock_guard lock(mu);
      queue.push_back(std::move(item));
    }
    wake.notify_one();
  }
};

Service::Service(ServiceOptions options, store::Store* store)
    : options_(std::move(options)), store_(store) {}

std::expected<std::unique_ptr<Service>, std::string> Service::start(ServiceOptions options,
                                                                    store::Store* store) {
  if (options.shards == 0) options.shards = std::max(1u, std::thread::hardware_concurrency());
  if (options.shards > 4096) return std::unexpected("at most 4096 shards");
  if (!options.clock) return std::unexpected("the service needs a clock");
  options.ledger.track_changes = true;  // the service commits each batch's delta
  std::unique_ptr<Service> s(new Service(std::move(options), store));
  for (size_t i = 0; i < s->options_.shards; ++i) {
    const ShardId id = static_cast<ShardId>(i);
    auto state = store->load(id);  // recovery: exactly what was acknowledged
    if (!state) return std::unexpected(cat("shard ", id, ": ", state.error().message));
    auto ledger =
        Ledger::from_state(s->options_.ledger, s->options_.catalog, id, std::move(*state));
    if (!ledger) return std::unexpected(cat("shard ", id, " is not sound: ", ledger.error()));
    auto cold = store->has_cold_keys(id);
    if (!cold) return std::unexpected(cat("shard ", id, ": ", cold.error().message));
    auto shard = std::make_unique<Shard>();
    shard->id = id;
    shard->cold_keys = *cold;
    shard->ledger = std::move(*ledger);
    shard->last_now = shard->ledger->now();
    s->shards_.push_back(std::move(shard));
  }
  for (auto& shard : s->shards_) {
    Shard* raw = shard.get();
    raw->thread = std::thread([svc = s.get(), raw] { svc->run(*raw); });
  }
  return s;
}

Service::~Service() {
  for (auto& shard : shards_) {
    std::lock_guard lock(shard->mu);
    shard->stopping = true;
    shard->wake.notify_one();
  }
  for (auto& shard : shards_) {
    if (shard->thread.joinable()) shard->thread.join();
  }
}

ShardId Service::shard_of_account(std::string_view account) const {
  return static_cast<ShardId>(stable_hash(account) % shards_.size());
}

namespace {

// Commands on an object go to the shard in its id; the rest to their account's shard.
struct Route {
  const Service& s;
  ShardId id(uint64_t v) const { return static_cast<ShardId>(tally::shard_of(v) % s.shards()); }
  ShardId operator()(const Capture& c) const { return id(c.hold.value); }
  ShardId operator()(const Release& c) const { return id(c.hold.value); }
  ShardId operator()(const Refund& c) const { return id(c.spend.value); }
  ShardId operator()(const VoidLot& c) const { return id(c.lot.value); }
  ShardId operator()(const VoidPurchase& c) const { return id(c.purchase); }
  ShardId operator()(const AdvanceTime&) const { return 0; }
  template <typename T>
  ShardId operator()(const T& c) const {
    return s.shard_of_account(c.account);
  }
};

}  // namespace

ShardId Service::shard_of(const Command& command) const {
  return std::visit(Route{*this}, command);
}

void Service::submit(Request request, ReplyFn done) {
  Shard& shard = *shards_[shard_of(request.command)];
  Shard::Item item;
  item.request = std::move(request);
  item.reply = std::move(done);
  shard.push(std::move(item));
}

std::future<Result> Service::submit(Request request) {
  auto promise = std::make_shared<std::promise<Result>>();
  std::future<Result> reply = promise->get_future();
  submit(std::move(request), [promise](Result r) { promise->set_value(std::move(r)); });
  return reply;
}

void Service::read(ShardId id, std::function<void(const Ledger&)> read,
                   std::function<void()> done) {
  Shard& shard = *shards_.at(id);
  Shard::Item item;
  item.read = std::move(read);
  item.read_done = std::move(done);
  shard.push(std::move(item));
}

std::future<void> Service::read(ShardId id, std::function<void(const Ledger&)> read) {
  auto promise = std::make_shared<std::promise<void>>();
  std::future<void> done = promise->get_future();
  this->read(id, std::move(read), [promise] { promise->set_value(); });
  return done;
}

ShardStats Service::stats(ShardId id) const {
  const Shard& s = *shards_.at(id);
  return {s.batches.load(), s.commands.load(), s.commit_us_total.load(), s.commit_us_max.load()};
}

// Rule 8 beyond the ledger's memory: a key the ledger no longer remembers may be in the store,
// and then its first reply is the answer (or a conflict, if the command differs).
Result Service::apply(Shard& shard, const Request& request, TimeUs now,
                      std::vector<Entry>* entries) {
  if (shard.cold_keys && !request.idempotency_key.empty() &&
      !std::holds_alternative<AdvanceTime>(request.command) &&
      !shard.ledger->remembers(request.idempotency_key)) {
    auto found = store_->find_idempotency(shard.id, request.idempotency_key);
    if (!found) {
      std::fprintf(stderr, "tally: shard %u: idempotency lookup failed: %s; stopping\n", shard.id,
                   found.error().message.c_str());
      std::abort();
    }
    if (found->has_value()) {
      (void)shard.ledger->apply(Request{"", AdvanceTime{}}, now, entries);  // time still moves
      if ((*found)->fingerprint == fingerprint(request.command)) return (*found)->result;
      return std::unexpected(make_error(
          ErrorCode::idempotency_conflict,
          cat("idempotency key '", request.idempotency_key, "' was used for a different request")));
    }
  }
  return shard.ledger->apply(request, now, entries);
}

void Service::run(Shard& shard) {
  std::vector<Shard::Item> batch;
  std::vector<Entry> entries;
  std::vector<Result> results;
  StateDelta delta;
  bool last = false;
  while (!last) {
    {
      std::unique_lock lock(shard.mu);
      shard.wake.wait_for(lock, std::chrono::microseconds(options_.tick_us),
                          [&] { return shard.stopping || !shard.queue.empty(); });
      while (!shard.queue.empty() && batch.size() < options_.batch_max) {
        batch.push_back(std::move(shard.queue.front()));
        shard.queue.pop_front();
      }
      last = shard.stopping && shard.queue.empty();
    }
    // The ledger's time never goes back, whatever the wall clock does.
    const TimeUs now = std::max(options_.clock(), shard.last_now);
    shard.last_now = now;
    entries.clear();
    results.clear();
    if (batch.empty()) {
      (void)shard.ledger->apply(Request{"", AdvanceTime{}}, now, &entries);  // idle tick
    }
    for (Shard::Item& item : batch) {
      if (item.request) {
        results.push_back(apply(shard, *item.request, now, &entries));
      } else {
        item.read(*shard.ledger);
      }
    }
    shard.ledger->take_delta(&delta);
    shard.cold_keys = shard.cold_keys || !delta.idempotency_gone.empty();
    if (!entries.empty() || has_changes(delta)) {
      const auto t0 = std::chrono::steady_clock::now();
      auto committed = store_->commit(shard.id, entries, delta);
      if (!committed) {
        // Fail-stop: the disk state is unknown; a restart recovers what was acknowledged.
        std::fprintf(stderr, "tally: shard %u: commit failed: %s; stopping\n", shard.id,
                     committed.error().message.c_str());
        std::fflush(stderr);
        std::abort();
      }
      const auto us = static_cast<uint64_t>(std::chrono::duration_cast<std::chrono::microseconds>(
                                                std::chrono::steady_clock::now() - t0)
                                                .count());
      shard.commit_us_total += us;
      if (us > shard.commit_us_max) shard.commit_us_max = us;
      ++shard.batches;
    }
    shard.commands += results.size();
    size_t next = 0;
    for (Shard::Item& item : batch) {  // only now: the batch is durable
      if (item.request) {
        item.reply(std::move(results[next++]));
      } else {
        item.read_done();
      }
    }
    batch.clear();
  }
}

}  // namespace tally::service
