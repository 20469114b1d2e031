#include "service/service.h"

#include <chrono>
#if defined(__GLIBC__)
#include <malloc.h>
#endif
#include <condition_variable>
#include <cstdlib>
#include <deque>
#include <mutex>
#include <optional>
#include <span>
#include <thread>

#include "ledger/check.h"
#include "ledger/ledger_state.h"
#include "ledger/text.h"
#include "log/log.h"
#include "service/recall.h"
#include "store/lend.h"

namespace tally::service {
namespace {

// The Handoff open on this thread, if any (Service::Handoff).
thread_local Service::Handoff* t_handoff = nullptr;

// FNV-1a: stable across processes and builds, unlike std::hash, so an account keeps its shard.
uint64_t stable_hash(std::string_view s) {
  uint64_t h = 0xcbf29ce484222325ULL;
  for (unsigned char c : s) h = (h ^ c) * 0x100000001b3ULL;
  return h;
}

}  // namespace

struct Service::Item {
  std::optional<Submission> submission;
  DoneFn done;
  std::function<void(const Ledger&)> read;
  std::function<void()> read_done;
  bool read_uses_store = true;  // read(): wait for the commit in flight first
  std::function<void(Ledger&)> reconfigure;  // reconfigure(): neither a submission nor a read
  std::chrono::steady_clock::time_point queued_at{};  // for the queue-wait histogram
};

// One applied batch on its way to the disk: what it replies, and what it writes.
struct Service::Batch {
  std::vector<Item> items;
  std::vector<Outcome> results;  // one per request item, in order
  std::vector<Entry> entries;
  StateDelta delta;
  bool commit = false;  // something to write (else the batch only waits its turn)
  void clear() {
    items.clear();
    results.clear();
    entries.clear();
    commit = false;
  }
};

struct Service::Shard {
  using Clock = std::chrono::steady_clock;
  using Item = Service::Item;
  using Batch = Service::Batch;

  ShardId id = 0;
  // Without threads (ServiceOptions::threads false): where the shard thread would wait for its
  // writer, this commits the batch handed over instead, on the caller's thread.
  std::function<void()> commit_inline;
  std::unique_ptr<Ledger> ledger;
  std::mutex mu;
  std::condition_variable wake;
  std::deque<Item> queue;
  bool stopping = false;
  std::thread thread;  // applies batches (owns the ledger)
  TimeUs last_now{INT64_MIN};
  ColdKeys cold;  // keys the store holds that the ledger let go: looked up on a miss
  std::atomic<uint64_t> cold_lookups{0};

  // The pipeline (depth 2): the shard thread applies batch k+1 while the writer thread
  // commits batch k and then releases its replies. `committing` belongs to the writer while
  // `writer_busy`; the shard thread hands it the next batch by swapping buffers.
  std::mutex writer_mu;
  std::condition_variable writer_wake;
  bool writer_busy = false;
  bool writer_stop = false;
  Batch committing;
  std::thread writer;

  uint64_t released = 0;  // batches committed and replied to (read without threads only)
  std::atomic<uint64_t> batches{0};
  std::atomic<uint64_t> commands{0};
  Histogram commit_us;  // recorded by the writer
  Histogram batch_commands;
  Histogram queue_wait_ns;  // recorded by the shard thread
  Histogram apply_ns;

  // Wakes the shard thread only if the queue was empty: it sleeps only on an empty queue, and
  // a queue that already held work has had its wake-up (a futex call and a context switch
  // saved per request under load).
  void push(std::span<Item> items) {
    bool was_empty;
    {
      std::lock_guard lock(mu);
      was_empty = queue.empty();
      for (Item& item : items) queue.push_back(std::move(item));
    }
    if (was_empty) wake.notify_one();
  }
  // Waits until every batch handed to the writer is durable and replied to: the store is then
  // the shard thread's to read, and up to date with the ledger as of the last handed batch.
  void wait_writer_idle() {
    if (commit_inline) {
      if (writer_busy) commit_inline();
      return;
    }
    std::unique_lock lock(writer_mu);
    writer_wake.wait(lock, [&] { return !writer_busy; });
  }
  // Hands `batch` to the writer once it is free; `batch` comes back empty (the old buffers).
  void hand_over(Batch& batch) {
    if (commit_inline) {
      if (writer_busy) commit_inline();
      std::swap(batch, committing);
      writer_busy = true;
      return;
    }
    {
      std::unique_lock lock(writer_mu);
      writer_wake.wait(lock, [&] { return !writer_busy; });
      std::swap(batch, committing);
      writer_busy = true;
    }
    writer_wake.notify_all();
  }
};

struct Service::Handoff::Held {
  std::vector<std::vector<Item>> by_shard;
};

Service::Handoff::Handoff(Service& service)
    : service_(service), held_(std::make_unique<Held>()) {
  TALLY_CHECK(t_handoff == nullptr);  // they do not nest
  held_->by_shard.resize(service.shards());
  t_handoff = this;
}

Service::Handoff::~Handoff() {
  t_handoff = nullptr;
  for (size_t i = 0; i < held_->by_shard.size(); ++i) {
    if (!held_->by_shard[i].empty()) service_.shards_[i]->push(held_->by_shard[i]);
  }
}

void Service::push(Shard& shard, Item item) {
  item.queued_at = Shard::Clock::now();
  if (t_handoff != nullptr && &t_handoff->service_ == this) {
    return t_handoff->held_->by_shard[shard.id].push_back(std::move(item));
  }
  shard.push(std::span<Item>(&item, 1));
}

Service::Service(ServiceOptions options, store::Store* store)
    : options_(std::move(options)), store_(store) {}

std::expected<std::unique_ptr<Service>, std::string> Service::start(ServiceOptions options,
                                                                    store::Store* store) {
  if (options.shards == 0) options.shards = std::max(1u, std::thread::hardware_concurrency());
  if (options.shards > 4096) return std::unexpected("at most 4096 shards");
  if (!options.clock) return std::unexpected("the service needs a clock");
  options.ledger.track_changes = true;  // the service commits each batch's delta
  std::unique_ptr<Service> s(new Service(std::move(options), store));
  // Recovery: shards load in parallel, one loader per core.
  const size_t n = s->options_.shards;
  std::vector<std::expected<std::unique_ptr<Shard>, std::string>> loaded(n);
  std::atomic<size_t> next{0};
  auto loader = [&] {
    for (size_t i = next++; i < n; i = next++) loaded[i] = s->load_shard(static_cast<ShardId>(i));
  };
  std::vector<std::thread> loaders;
  const size_t cores = std::max(1u, std::thread::hardware_concurrency());
  for (size_t t = 1; t < std::min(n, cores); ++t) loaders.emplace_back(loader);
  loader();
  for (std::thread& t : loaders) t.join();
  for (auto& shard : loaded) {
    if (!shard) return std::unexpected(shard.error());
    s->shards_.push_back(std::move(*shard));
  }
#if defined(__GLIBC__)
  malloc_trim(0);  // give the loading's transient memory (rows, states) back to the system
#endif
  for (auto& shard : s->shards_) {
    Shard* raw = shard.get();
    if (!s->options_.threads) {
      raw->commit_inline = [svc = s.get(), raw] {
        (void)svc->commit_batch(*raw, raw->committing);
        raw->writer_busy = false;
      };
      continue;
    }
    // Without the overlap the shard thread commits its own batches: no writer thread, no
    // hand-over between threads per batch.
    if (s->options_.overlap_commit) {
      raw->writer = std::thread([svc = s.get(), raw] {
        log::name_thread(cat("commit-", raw->id));
        svc->write(*raw);
      });
    }
    raw->thread = std::thread([svc = s.get(), raw] {
      log::name_thread(cat("shard-", raw->id));
      svc->run(*raw);
    });
  }
  return s;
}

// One shard as last committed (exactly what was acknowledged), with its cold-key filter.
std::expected<std::unique_ptr<Service::Shard>, std::string> Service::load_shard(ShardId id) {
  auto state = store_->load(id);
  if (!state) return std::unexpected(cat("shard ", id, ": ", state.error().message));
  auto ledger = Ledger::from_state(options_.ledger, options_.catalog, id, std::move(*state));
  if (!ledger) return std::unexpected(cat("shard ", id, " is not sound: ", ledger.error()));
  auto shard = std::make_unique<Shard>();
  shard->id = id;
  shard->ledger = std::move(*ledger);
  if (auto cold = shard->cold.load(*store_, id, *shard->ledger); !cold) {
    return std::unexpected(cat("shard ", id, ": ", cold.error().message));
  }
  shard->last_now = shard->ledger->now();
  return shard;
}

Service::~Service() {
  for (auto& shard : shards_) {
    std::lock_guard lock(shard->mu);
    shard->stopping = true;
    shard->wake.notify_one();
  }
  for (auto& shard : shards_) {
    if (shard->thread.joinable()) shard->thread.join();  // it stops its writer last
    if (shard->writer.joinable()) shard->writer.join();
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
  ShardId operator()(const MarkOutcome& c) const { return id(c.spend.value); }
  ShardId operator()(const VoidLot& c) const { return id(c.lot.value); }
  ShardId operator()(const VoidPurchase& c) const { return id(c.purchase); }
  ShardId operator()(const FailAutoTopup& c) const { return id(c.id); }
  ShardId operator()(const CancelAutoTopup& c) const { return id(c.id); }
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

void Service::submit(Submission submission, DoneFn done) {
  Shard& shard = *shards_[shard_of(submission.request.command)];
  Shard::Item item;
  item.submission = std::move(submission);
  item.done = std::move(done);
  push(shard, std::move(item));
}

void Service::submit(Request request, ReplyFn done) {
  submit(Submission{std::move(request), nullptr, nullptr},
         [done = std::move(done)](Outcome o) { done(std::move(*o.result)); });
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
  push(shard, std::move(item));
}

void Service::read_ledger(ShardId id, std::function<void(const Ledger&)> read,
                          std::function<void()> done) {
  Shard& shard = *shards_.at(id);
  Shard::Item item;
  item.read = std::move(read);
  item.read_done = std::move(done);
  item.read_uses_store = false;
  push(shard, std::move(item));
}

std::future<void> Service::read(ShardId id, std::function<void(const Ledger&)> read) {
  auto promise = std::make_shared<std::promise<void>>();
  std::future<void> done = promise->get_future();
  this->read(id, std::move(read), [promise] { promise->set_value(); });
  return done;
}

void Service::reconfigure(std::function<void(Ledger&)> change, std::function<void()> done) {
  struct Left {
    std::atomic<size_t> shards{0};
    std::function<void(Ledger&)> change;
    std::function<void()> done;
  };
  auto left = std::make_shared<Left>();
  left->shards = shards_.size();
  left->change = std::move(change);
  left->done = std::move(done);
  for (auto& shard : shards_) {
    Shard::Item item;
    item.reconfigure = [left](Ledger& l) {
      left->change(l);
      if (left->shards.fetch_sub(1) == 1) left->done();
    };
    push(*shard, std::move(item));
  }
}

ShardStats Service::stats(ShardId id) const {
  const Shard& s = *shards_.at(id);
  ShardStats st;
  st.commit_us = s.commit_us.snapshot();
  st.batch_commands = s.batch_commands.snapshot();
  st.batches = s.batches.load();
  st.commands = s.commands.load();
  st.commit_us_total = st.commit_us.sum;
  st.commit_us_max = st.commit_us.max;
  st.commit_us_p50 = st.commit_us.quantile(0.5);
  st.commit_us_p99 = st.commit_us.quantile(0.99);
  st.cold_key_lookups = s.cold_lookups.load();
  st.queue_wait_ns = s.queue_wait_ns.snapshot();
  st.apply_ns = s.apply_ns.snapshot();
  return st;
}

// Rule 8 beyond the ledger's memory: a key the ledger no longer remembers may be in the store,
// and then its first reply is the answer (or a conflict, if the command differs).
std::optional<Recalled> Service::recall_cold(Shard& shard, const Request& request, TimeUs now,
                                             std::vector<Entry>* entries) {
  if (!shard.cold.must_look_up(*shard.ledger, request)) return std::nullopt;
  ++shard.cold_lookups;
  shard.wait_writer_idle();  // the store is the writer's while it commits
  auto found = recall(*shard.ledger, *store_, request, now, entries);
  if (!found) {
    log::Line(log::Level::error, "store_failed")
        .num("shard", shard.id)
        .text("during", "idempotency lookup")
        .text("message", found.error().message)
        .text("then", "stopping");
    std::abort();
  }
  return std::move(*found);
}

// What left the ledger's memory and a command names (a refund of an older spend, a capture of
// a hold that finished earlier) comes back from the store for the batch.
void Service::lend_cold(Shard& shard, const Command& command) {
  if (!store::needs_lending(*shard.ledger, command)) return;
  ++shard.cold_lookups;
  shard.wait_writer_idle();  // the store is the writer's while it commits
  if (auto lent = store::lend_records(*shard.ledger, *store_, command); !lent) {
    log::Line(log::Level::error, "store_failed")
        .num("shard", shard.id)
        .text("during", "reading a record back")
        .text("message", lent.error().message)
        .text("then", "stopping");
    std::abort();
  }
}

Outcome Service::apply(Shard& shard, Submission& s, TimeUs now, std::vector<Entry>* entries) {
  return run_submission(
      *shard.ledger, s, now, entries,
      ColdAccess{[&](const Request& request) { return recall_cold(shard, request, now, entries); },
                 [&](const Command& command) { lend_cold(shard, command); }});
}

void Service::run(Shard& shard) {
  Batch batch;
  bool last = false;
  while (!last) {
    {
      std::unique_lock lock(shard.mu);
      shard.wake.wait_for(lock, std::chrono::microseconds(options_.tick_us),
                          [&] { return shard.stopping || !shard.queue.empty(); });
      while (!shard.queue.empty() && batch.items.size() < options_.batch_max) {
        batch.items.push_back(std::move(shard.queue.front()));
        shard.queue.pop_front();
      }
      last = shard.stopping && shard.queue.empty();
    }
    apply_batch(shard, batch);
    if (batch.commit || !batch.items.empty()) {
      if (options_.overlap_commit) {
        shard.hand_over(batch);  // committed and replied to by the writer, in order
      } else {
        (void)commit_batch(shard, batch);  // here: a failed commit aborts (fail-stop)
      }
    } else {
      batch.clear();
    }
  }
  shard.wait_writer_idle();
  {
    std::lock_guard lock(shard.writer_mu);
    shard.writer_stop = true;
  }
  shard.writer_wake.notify_all();
}

// Applies the items taken into `batch` at the shard's time, and takes the ledger's delta.
void Service::apply_batch(Shard& shard, Batch& batch) {
  // The ledger's time never goes back, whatever the wall clock does.
  const TimeUs now = std::max(options_.clock(), shard.last_now);
  shard.last_now = now;
  const auto taken = Shard::Clock::now();
  for (const Item& item : batch.items) {
    shard.queue_wait_ns.record(static_cast<uint64_t>((taken - item.queued_at).count()));
  }
  const auto queue_ns = [taken](const Item& item) { return (taken - item.queued_at).count(); };
  // Time first, for reads too: a read answers as of its own time (rule 10), so nothing that
  // expired shows as available and no hold past its TTL as active. On an idle tick this is
  // all the batch does.
  (void)shard.ledger->apply(Request{"", AdvanceTime{}}, now, &batch.entries);
  auto stamp = Shard::Clock::now();
  for (Item& item : batch.items) {
    if (item.submission) {
      batch.results.push_back(apply(shard, *item.submission, now, &batch.entries));
      batch.results.back().queue_ns = queue_ns(item);
      const auto applied = Shard::Clock::now();
      shard.apply_ns.record(static_cast<uint64_t>((applied - stamp).count()));
      stamp = applied;
    } else if (item.reconfigure) {
      item.reconfigure(*shard.ledger);
      stamp = Shard::Clock::now();
    } else {
      if (item.read_uses_store) shard.wait_writer_idle();
      item.read(*shard.ledger);
      stamp = Shard::Clock::now();
    }
  }
  shard.ledger->take_delta(&batch.delta);
  shard.cold.left_memory(*shard.ledger, batch.delta);
  batch.commit = !batch.entries.empty() || has_changes(batch.delta);
  shard.commands += batch.results.size();
}

void Service::write(Shard& shard) {
  while (true) {
    {
      std::unique_lock lock(shard.writer_mu);
      shard.writer_wake.wait(lock, [&] { return shard.writer_busy || shard.writer_stop; });
      if (!shard.writer_busy) return;  // stopping, and nothing left
    }
    (void)commit_batch(shard, shard.committing);  // the writer's while writer_busy
    {
      std::lock_guard lock(shard.writer_mu);
      shard.writer_busy = false;
    }
    shard.writer_wake.notify_all();
  }
}

// Makes `batch` durable, then releases its replies, in order; `batch` is left empty. A failed
// commit stops the process (fail-stop: the disk state is unknown; a restart recovers what was
// acknowledged); without threads it stops the service instead, releasing nothing.
bool Service::commit_batch(Shard& shard, Batch& batch) {
  if (stopped_) {
    batch.clear();
    return false;
  }
  int64_t commit_ns = 0;
  if (batch.commit) {
    const auto t0 = std::chrono::steady_clock::now();
    auto committed = store_->commit(shard.id, batch.entries, batch.delta);
    if (!committed) {
      log::Line(log::Level::error, "store_failed")
          .num("shard", shard.id)
          .text("during", "commit")
          .text("message", committed.error().message)
          .text("then", "stopping");
      if (options_.threads) std::abort();
      stopped_ = true;
      batch.clear();
      return false;
    }
    commit_ns = (std::chrono::steady_clock::now() - t0).count();
    const auto us = static_cast<uint64_t>(commit_ns / 1000);
    shard.commit_us.record(us);
    if (const int64_t stall = commit_stall_us_.load(std::memory_order_relaxed);
        stall > 0 && static_cast<int64_t>(us) >= stall) {
      log::Line(log::Level::warn, "commit_stall")
          .num("shard", shard.id)
          .num("commit_us", us)
          .num("threshold_us", stall)
          .num("commands", batch.results.size())
          .num("entries", batch.entries.size());
    }
    shard.batch_commands.record(batch.results.size());
    ++shard.batches;
    if (!batch.delta.events.empty() && options_.on_events) {
      options_.on_events(shard.id, batch.delta.events.back().seq);
    }
  }
  size_t next = 0;
  for (Item& item : batch.items) {  // only now: the batch is durable
    if (item.submission) {
      Outcome& o = batch.results[next++];
      o.commit_ns = commit_ns;
      item.done(std::move(o));
    } else if (item.read_done) {  // (a reconfigure has nothing to release)
      item.read_done();
    }
  }
  batch.clear();
  ++shard.released;
  return true;
}

Service::Applied Service::step_apply(ShardId id, size_t max) {
  TALLY_CHECK(!options_.threads);
  Shard& shard = *shards_.at(id);
  if (stopped_) return {0, shard.last_now, false, false};
  Batch batch;
  while (!shard.queue.empty() && batch.items.size() < std::min(max, options_.batch_max)) {
    batch.items.push_back(std::move(shard.queue.front()));
    shard.queue.pop_front();
  }
  const size_t taken = batch.items.size();
  apply_batch(shard, batch);
  const bool writes = batch.commit;
  const bool handed = writes || !batch.items.empty();
  if (handed) shard.hand_over(batch);
  return {taken, shard.last_now, handed, writes};
}

bool Service::step_commit(ShardId id) {
  TALLY_CHECK(!options_.threads);
  Shard& shard = *shards_.at(id);
  shard.wait_writer_idle();
  return !stopped_;
}

size_t Service::queued(ShardId id) const {
  return shards_.at(id)->queue.size();
}

bool Service::handed_over(ShardId id) const {
  return shards_.at(id)->writer_busy;
}

uint64_t Service::released(ShardId id) const {
  return shards_.at(id)->released;
}

const Ledger& Service::ledger(ShardId id) const {
  return *shards_.at(id)->ledger;
}

}  // namespace tally::service
