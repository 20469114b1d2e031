#include "sim/simulator.h"

#include <algorithm>
#include <deque>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string_view>
#include <utility>

#include "absl/strings/str_join.h"
#include "ledger/journal.h"
#include "ledger/ledger.h"
#include "ledger/ledger_state.h"
#include "ledger/test_support.h"
#include "ledger/text.h"
#include "service/purchase.h"
#include "service/recall.h"
#include "service/service.h"
#include "service/submission.h"
#include "store/lend.h"
#include "store/memory_store.h"
#include "store/payments.h"
#include "store/pg_store.h"
#include "store/sqlite_store.h"

namespace tally::sim {
namespace {

const TimeUs k_start{1'767'225'600'000'000};  // 2026-01-01T00:00:00Z

// splitmix64: the same stream on every platform and standard library (std's distributions are
// not specified exactly, so they are not used).
struct Rng {
  uint64_t state;
  uint64_t next() {
    uint64_t z = (state += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
  }
  uint64_t below(uint64_t n) { return n == 0 ? 0 : next() % n; }
  int64_t range(int64_t lo, int64_t hi) {  // [lo, hi]
    return lo + static_cast<int64_t>(below(static_cast<uint64_t>(hi - lo) + 1));
  }
  bool percent(unsigned p) { return below(100) < p; }
  template <typename T>
  const T& pick(const std::vector<T>& v) {
    return v[below(v.size())];
  }
};

uint64_t fnv1a(std::string_view s, uint64_t h = 0xcbf29ce484222325ULL) {
  for (unsigned char c : s) h = (h ^ c) * 0x100000001b3ULL;
  return h;
}

// Short retention windows, so that keys, holds and spends leave the ledger's memory (and keys
// are then recalled from the store) within a run; the default memory window (a minute) makes
// most refunds and captures of finished holds run on records the store lends back.
LedgerConfig sim_config() {
  LedgerConfig c;
  c.spend_retention_us = 5 * k_us_per_day;
  c.idempotency_retention_us = 2 * k_us_per_day;
  c.track_changes = true;
  return c;
}

const std::vector<std::string> k_accounts = {"u0", "u1", "u2", "u3", "u4", "u5"};
const std::vector<std::string> k_tools = {"image", "video", "chat"};
const std::vector<std::string> k_plans = {"basic", "pro",  "business",       "free",
                                          "miocai-free", "miocai-premium", "enterprise"};
const std::vector<std::string> k_packs = {"p20", "p200", "forever", "p50"};
// Team accounts (issue 17): the users of the platform who may be their members (some never
// are), their projects and the ids their budgets take.
const std::vector<std::string> k_teams = {"t0", "t1"};
const std::vector<std::string> k_users = {"ann", "bob", "cy", "dee", "eve", "fay"};
const std::vector<std::string> k_projects = {"alpha", "beta", "gamma"};
const std::vector<std::string> k_budget_ids = {"b0", "b1", "b2", "b3", "b4"};

std::string describe(const Command& command) {
  struct V {
    std::string operator()(const OpenAccount& c) {
      return cat("open ", c.account, c.no_plan ? " no-plan" : "",
                 c.plan.empty() ? "" : " plan=", c.plan,
                 c.team ? cat(" team owner=", c.owner) : "");
    }
    std::string operator()(const Grant& c) {
      return cat("grant ", c.account, " ", format_credits(c.amount), " ", source_name(c.source),
                 c.expiry.mode == Expiry::Mode::at ? cat(" expires=", format_time(c.expiry.at)) : "",
                 c.expiry.mode == Expiry::Mode::never ? " never-expires" : "",
                 c.effective_at ? cat(" effective=", format_time(*c.effective_at)) : "",
                 c.scope.empty() ? "" : cat(" scope=", c.scope[0]));
    }
    static std::string params(const JobParams& list) {
      std::string out;
      for (const JobParam& p : list) out += cat(" ", p.name, "=", p.value);
      return out;
    }
    static std::string team(const std::string& member, const std::string& project) {
      return cat(member.empty() ? "" : cat(" member=", member),
                 project.empty() ? "" : cat(" project=", project));
    }
    std::string operator()(const PlaceHold& c) {
      return cat("hold ", c.account, " ", format_credits(c.amount), " ", c.tool,
                 " ttl=", c.ttl_us.value_or(0) / k_us_per_second, "s", params(c.params),
                 team(c.member, c.project));
    }
    std::string operator()(const Capture& c) {
      return cat("capture ", c.hold.value, c.amount ? cat(" ", format_credits(*c.amount)) : "",
                 params(c.usage));
    }
    std::string operator()(const Release& c) { return cat("release ", c.hold.value); }
    std::string operator()(const SpendNow& c) {
      return cat("spend ", c.account, " ", format_credits(c.amount), " ", c.tool, params(c.params),
                 team(c.member, c.project));
    }
    std::string operator()(const Refund& c) {
      return cat("refund ", c.spend.value, c.amount ? cat(" ", format_credits(*c.amount)) : "");
    }
    std::string operator()(const VoidLot& c) { return cat("void-lot ", c.lot.value); }
    std::string operator()(const SetPlan& c) { return cat("set-plan ", c.account, " ", c.plan); }
    std::string operator()(const CancelSubscription& c) { return cat("cancel ", c.account); }
    std::string operator()(const MarkPastDue& c) { return cat("past-due ", c.account); }
    std::string operator()(const ResumeSubscription& c) { return cat("resume ", c.account); }
    std::string operator()(const ClaimDailyReward& c) { return cat("daily-reward ", c.account); }
    std::string operator()(const Purchase& c) {
      return cat("purchase ", c.account, " ", c.pack, " ", c.region, " ref=", c.payment_ref);
    }
    std::string operator()(const VoidPurchase& c) { return cat("void-purchase ", c.purchase); }
    std::string operator()(const AdvanceTime&) { return "advance-time"; }
    std::string operator()(const SetAlerts& c) {
      return cat("alerts ", c.account, " low=",
                 c.alerts.low_balance ? format_credits(*c.alerts.low_balance) : "plan", " notice=",
                 c.alerts.expiring_notice_us ? cat(*c.alerts.expiring_notice_us) : "plan");
    }
    std::string operator()(const AddMember& c) {
      return cat("add-member ", c.account, " ", c.user, " ", role_name(c.role));
    }
    std::string operator()(const SetMemberRole& c) {
      return cat("member-role ", c.account, " ", c.user, " ", role_name(c.role));
    }
    std::string operator()(const RemoveMember& c) {
      return cat("remove-member ", c.account, " ", c.user);
    }
    std::string operator()(const AddBudget& c) {
      return cat("add-budget ", c.account, " ", c.spec.id, " member=", c.spec.member,
                 " project=", c.spec.project, " ", format_credits(c.spec.limit), " ",
                 budget_period_name(c.spec.period), " ", budget_mode_name(c.spec.mode),
                 c.anchor ? cat(" anchor=", format_time(*c.anchor)) : "");
    }
    std::string operator()(const UpdateBudget& c) {
      return cat("update-budget ", c.account, " ", c.id,
                 c.limit ? cat(" limit=", format_credits(*c.limit)) : "",
                 c.mode ? cat(" ", budget_mode_name(*c.mode)) : "");
    }
    std::string operator()(const RemoveBudget& c) {
      return cat("remove-budget ", c.account, " ", c.id);
    }
    std::string operator()(const SetAutoTopup& c) {
      if (!c.settings) return cat("auto-topup ", c.account, " off");
      return cat("auto-topup ", c.account, " below=", format_credits(c.settings->below), " ",
                 c.settings->pack, " ", c.settings->currency, " ", c.settings->region);
    }
    std::string operator()(const FailAutoTopup& c) { return cat("auto-topup-fail ", c.id); }
    std::string operator()(const CancelAutoTopup& c) { return cat("auto-topup-cancel ", c.id); }
    std::string operator()(const MarkOutcome& c) {
      return cat("outcome ", c.spend.value, " ", outcome_name(c.outcome));
    }
  };
  return std::visit(V{}, command);
}

std::string describe(const Result& r) {
  if (!r) return cat("refused ", error_code_name(r.error().code));
  return std::visit(
      [](const auto& reply) -> std::string {
        using T = std::decay_t<decltype(reply)>;
        if constexpr (std::is_same_v<T, OpenAccountReply>) return "opened";
        if constexpr (std::is_same_v<T, GrantReply>) return cat("lot ", reply.lot.value);
        if constexpr (std::is_same_v<T, HoldReply>) return cat("hold ", reply.hold.value);
        if constexpr (std::is_same_v<T, CaptureReply>) return cat("spend ", reply.spend.value);
        if constexpr (std::is_same_v<T, ReleaseReply>) return "released";
        if constexpr (std::is_same_v<T, SpendReply>) return cat("spend ", reply.spend.value);
        if constexpr (std::is_same_v<T, RefundReply>) return "refunded";
        if constexpr (std::is_same_v<T, VoidReply>) return "voided";
        if constexpr (std::is_same_v<T, AdvanceReply>) return "advanced";
        if constexpr (std::is_same_v<T, SubscriptionReply>) return cat("plan ", reply.plan);
        if constexpr (std::is_same_v<T, RewardReply>) return cat("lot ", reply.lot.value);
        if constexpr (std::is_same_v<T, PurchaseReply>) return cat("purchase ", reply.purchase);
        if constexpr (std::is_same_v<T, VoidPurchaseReply>) return "voided";
        return "ok";
      },
      *r);
}

std::string describe(const service::Outcome& o) {
  return o.result ? describe(*o.result) : cat("answered before the ledger: ", o.response);
}

bool same(const service::Outcome& a, const service::Outcome& b) {
  return a.result == b.result && a.response == b.response;
}

// A store with a bug planted on purpose (Plant), between the fault layer and the real store.
class PlantedStore final : public store::ForwardingStore {
 public:
  PlantedStore(store::Store* inner, Plant plant) : ForwardingStore(inner), plant_(plant) {}
  std::expected<void, store::StoreError> commit(ShardId s, std::span<const Entry> entries,
                                                const StateDelta& delta) override {
    ++commits_;
    if (plant_ == Plant::drop_lot_change && commits_ >= 20) {
      for (size_t i = 0; i < delta.accounts.size(); ++i) {
        if (delta.accounts[i].lots.empty()) continue;
        StateDelta lossy = delta;
        lossy.accounts[i].lots.pop_back();
        return inner()->commit(s, entries, lossy);
      }
    }
    if (plant_ == Plant::drop_entry && commits_ >= 15 && !dropped_ && !entries.empty()) {
      dropped_ = true;  // the first batch with entries from the 15th commit on
      return inner()->commit(s, entries.first(entries.size() - 1), delta);
    }
    return inner()->commit(s, entries, delta);
  }

 private:
  Plant plant_;
  bool dropped_ = false;
  uint64_t commits_ = 0;
};

// Priced jobs, as the HTTP API prices them: on the shard, after the key was found new, with the
// account's plan in hand (service/submission.h). A small rate card: "video" costs 2 credits a
// second at 480p and 10 at 1080p; plans pro and business include 480p (a job priced at 0 is
// answered "included", remembered under its key, and holds nothing).
Credits sim_price(const std::vector<std::pair<std::string_view, std::string_view>>& params,
                  const std::string& plan) {
  int64_t per_second = 2, seconds = 1;
  for (const auto& [name, value] : params) {
    if (name == "resolution") per_second = value == "1080p" ? 10 : 2;
    if (name == "seconds") seconds = std::stoll(std::string(value));
  }
  if (per_second == 2 && (plan == "pro" || plan == "business")) return Credits{};
  return Credits::from_micro(per_second * seconds * 1'000'000);
}

std::vector<std::pair<std::string_view, std::string_view>> view(const JobParams& params) {
  std::vector<std::pair<std::string_view, std::string_view>> out;
  for (const JobParam& p : params) out.emplace_back(p.name, p.value);
  return out;
}

std::string plan_of(const Account& a) {
  return a.subscription ? a.subscription->plan : std::string();
}

std::optional<service::Submission::Answer> sim_prepare(const Ledger& l, Command* c, TimeUs) {
  auto price_job = [&](const std::string& account, Credits* amount, std::string* version,
                       const JobParams& params, std::string* plan) -> bool {
    const Account* a = l.find_account(account);
    if (a == nullptr) return false;  // the ledger says not_found
    const std::string p = plan_of(*a);
    *amount = sim_price(view(params), p);
    *version = "sim-1";
    if (plan) *plan = p;
    return amount->is_positive();
  };
  if (auto* h = std::get_if<PlaceHold>(c); h && h->priced) {
    if (!price_job(h->account, &h->amount, &h->price_book_version, h->params, &h->plan) &&
        l.find_account(h->account)) {
      return service::Submission::Answer{"included", true};
    }
  } else if (auto* s = std::get_if<SpendNow>(c); s && s->priced) {
    if (!price_job(s->account, &s->amount, &s->price_book_version, s->params, nullptr) &&
        l.find_account(s->account)) {
      return service::Submission::Answer{"included", true};
    }
  } else if (auto* cap = std::get_if<Capture>(c); cap && cap->priced) {
    const Hold* hold = l.find_hold(cap->hold);
    if (hold == nullptr) return std::nullopt;  // the ledger says why
    if (hold->price_book_version != "sim-1") {
      return service::Submission::Answer{"placed by amount", false};
    }
    auto params = view(hold->params);
    for (const JobParam& u : cap->usage) params.emplace_back(u.name, u.value);  // later ones win
    const Credits price = sim_price(params, hold->plan);
    if (price > hold->amount) return service::Submission::Answer{"exceeds the hold", false};
    cap->amount = price;
  }
  return std::nullopt;
}

std::string sim_answer(const Result& r) {
  return cat("answer: ", describe(r));
}
std::string sim_encode(const Ledger&, const Result& r) {
  return sim_answer(r);
}

// The shadow's shard: a ledger applying requests as a service shard does (service/submission.h)
// with the store's cold keys beside it. It is the oracle, not the code under test: it applies
// exactly the batches that reached the store, once, without faults or restarts.
struct ShadowShard {
  std::unique_ptr<Ledger> ledger;
  service::ColdKeys cold;

  std::expected<service::Outcome, std::string> apply(store::Store& store, const Request& request,
                                                     TimeUs now, std::vector<Entry>* entries) {
    service::Submission submission{request, sim_prepare, sim_encode};
    std::string error;
    auto out = service::run_submission(
        *ledger, submission, now, entries,
        service::ColdAccess{
            [&](const Request& r) -> std::optional<Recalled> {
              if (!cold.must_look_up(*ledger, r)) return std::nullopt;
              auto found = service::recall(*ledger, store, r, now, entries);
              if (!found) {
                error = cat("idempotency lookup: ", found.error().message);
                return std::nullopt;
              }
              return std::move(*found);
            },
            [&](const Command& c) {
              if (auto lent = store::lend_records(*ledger, store, c); !lent) {
                error = cat("reading a record back: ", lent.error().message);
              }
            }});
    if (!error.empty()) return std::unexpected(error);
    return out;
  }

  // After a batch: the delta to commit; the keys that left memory become cold.
  void take_delta(StateDelta* delta) {
    ledger->take_delta(delta);
    cold.left_memory(*ledger, *delta);
  }
};

// Sees what reaches the store below the fault layer: every batch written, per shard, in order,
// until the shadow has matched it with a batch it applied.
class WitnessStore final : public store::ForwardingStore {
 public:
  WitnessStore(store::Store* inner, std::vector<std::deque<std::vector<Entry>>>* written)
      : ForwardingStore(inner), written_(written) {}
  std::expected<void, store::StoreError> commit(ShardId s, std::span<const Entry> entries,
                                                const StateDelta& delta) override {
    auto committed = inner()->commit(s, entries, delta);
    if (committed) (*written_)[s].emplace_back(entries.begin(), entries.end());
    return committed;
  }

 private:
  std::vector<std::deque<std::vector<Entry>>>* written_;
};

// A ledger's state as text for comparison, without what a restart legitimately changes: the
// clock of batches that changed nothing (never committed) and the idempotency records (a store
// may load only the recent ones; the rest are compared by recall).
std::string comparable(LedgerState state, TimeUs now) {
  state.now = now;
  state.idempotency.clear();
  return dump_state(state);
}

std::string first_difference(const std::string& a, const std::string& b) {
  size_t line = 1, i = 0;
  while (i < a.size() && i < b.size() && a[i] == b[i]) {
    if (a[i] == '\n') ++line;
    ++i;
  }
  auto line_at = [](const std::string& s, size_t at) {
    const size_t begin = s.rfind('\n', at == 0 ? 0 : at - 1);
    const size_t from = begin == std::string::npos ? 0 : begin + 1;
    return s.substr(from, s.find('\n', from) - from);
  };
  return cat("line ", line, ": '", line_at(a, i), "' vs '", line_at(b, i), "'");
}

enum class Fault {
  none,
  fail_commit,          // the store refuses the commit: nothing written, the process stops
  ambiguous_commit,     // written, but reported failed: the process stops
  crash_before_commit,  // the process dies with a batch applied, not committed
  crash_before_reply,   // the process dies after the commit, before any reply leaves
};

const char* fault_name(Fault f) {
  switch (f) {
    case Fault::none: return "none";
    case Fault::fail_commit: return "failed commit";
    case Fault::ambiguous_commit:
      return "ambiguous commit (written, reported failed)";
    case Fault::crash_before_commit: return "crash between apply and commit";
    case Fault::crash_before_reply: return "crash between commit and reply";
  }
  return "?";
}

// The process has three shards: accounts spread over them by the service's hash, so payments
// reported for accounts on different shards meet only in the payments record.
constexpr size_t k_shards = 3;

class Simulation {
 public:
  explicit Simulation(const Options& options)
      : options_(options), rng_{options.seed}, written_(k_shards), books_(k_shards) {}

  Outcome run() {
    for (size_t s = 0; s < k_shards; ++s) {
      shadows_.emplace_back();
      shadows_.back().ledger =
          std::make_unique<Ledger>(sim_config(), testing::test_catalog(), static_cast<ShardId>(s));
      shadow_journals_.emplace_back();
    }
    if (!open_store() || !start_process()) return std::move(outcome_);
    for (size_t step = 1; step <= options_.steps && outcome_.ok; ++step) {
      step_ = step;
      run_step();
      outcome_.steps_run = step;
    }
    if (outcome_.ok) drain();
    if (outcome_.ok) check_store_journal("at the end");
    if (outcome_.ok) check_store_keys();
    if (outcome_.ok) {
      for (const std::vector<Entry>& journal : shadow_journals_) {
        for (const Entry& e : journal) {
          outcome_.journal_digest = fnv1a(format_entry(e), outcome_.journal_digest);
          outcome_.journal_digest = fnv1a("\n", outcome_.journal_digest);
        }
        outcome_.entries += journal.size();
      }
    }
    return std::move(outcome_);
  }

 private:
  // --- Failure reporting ---
  bool fail(std::string what) {
    if (outcome_.ok) {
      outcome_.ok = false;
      outcome_.failed_step = step_;
      outcome_.failure = cat("step ", step_, ": ", what);
    }
    return false;
  }
  void trace(std::string line) {
    if (options_.keep_trace) outcome_.trace.push_back(cat(step_, ": ", line));
  }

  // --- The store and the process ---
  uint64_t sqlite_opens_ = 0;
  uint64_t crashes_seen_ = 0;

  // A crash in the middle of an append leaves a torn record after the last acknowledged one;
  // the next open must cut it and lose nothing acknowledged. Two of every three crashes leave
  // one: zeros where the header belongs (the file grew, the data never came), or a header cut
  // short. Chosen from the seed and the crash count, not from rng_ (the workload stays the
  // memory store's).
  void tear_journal_tail() {
    const uint64_t kind = (options_.seed + crashes_seen_++) % 3;
    if (kind == 0) return;
    namespace fs = std::filesystem;
    std::error_code ec;
    for (const auto& dir : fs::directory_iterator(options_.dir, ec)) {
      if (!dir.is_directory() || !dir.path().filename().string().starts_with("journal-")) continue;
      std::string last;
      for (const auto& f : fs::directory_iterator(dir.path())) {
        last = std::max(last, f.path().string());
      }
      if (last.empty()) continue;
      const std::string torn = kind == 1 ? std::string(40, '\0') : std::string("\x07\x01\x00\x00\x5a", 5);
      std::ofstream(last, std::ios::binary | std::ios::app) << torn;
      trace(cat("crash tore the journal's tail: ", kind == 1 ? "zeros" : "a header cut short"));
    }
  }

  bool open_store() {
    if (options_.store == StoreKind::memory) {
      if (!memory_) memory_ = std::make_unique<store::MemoryStore>();
      base_ = memory_.get();
      // The payments record outlives the process like the store does.
      if (!payments_) {
        auto opened = store::SqlitePayments::open(":memory:");
        if (!opened) return fail(cat("open payments: ", opened.error().message));
        payments_ = std::move(*opened);
      }
    } else if (options_.store == StoreKind::postgres) {
      durable_.reset();  // a crash: the connections go away with the process
      store::PgOptions o;
      o.url = options_.pg_url;
      o.schema = options_.pg_schema;
      o.idempotency_loaded_max = 4;  // so that restarts leave keys in the store only
      auto opened = store::PgStore::open(o);
      if (!opened) return fail(cat("open postgres store: ", opened.error().message));
      durable_ = std::move(*opened);
      base_ = durable_.get();
      if (!payments_) {
        auto record = store::SqlitePayments::open(":memory:");
        if (!record) return fail(cat("open payments: ", record.error().message));
        payments_ = std::move(*record);
      }
    } else {
      durable_.reset();  // a crash: the connections go away with the process
      store::SqliteOptions o;
      o.dir = options_.dir;
      o.synchronous_full = false;  // a process crash loses nothing committed either way
      o.idempotency_loaded_max = 4;  // so that restarts leave keys in the store only
      // Every other process runs no projector: every batch stays in the journal and in memory
      // until the next open projects it (a crash between appends and projections). Not drawn
      // from rng_, so the workload is the memory store's, command for command.
      o.project = (options_.seed + sqlite_opens_++) % 2 == 0;
      auto opened = store::SqliteStore::open(o);
      if (!opened) return fail(cat("open sqlite store: ", opened.error().message));
      base_ = opened->get();
      durable_ = std::move(*opened);
      payments_.reset();  // DATA/payments.db, as tally serve keeps it
      auto record = store::SqlitePayments::open(cat(options_.dir, "/payments.db"));
      if (!record) return fail(cat("open payments: ", record.error().message));
      payments_ = std::move(*record);
    }
    planted_ = std::make_unique<PlantedStore>(base_, options_.plant);
    witness_ = std::make_unique<WitnessStore>(planted_.get(), &written_);
    faulty_ = std::make_unique<store::FaultyStore>(witness_.get());
    return true;
  }

  // The process starts: the real service (src/service) recovers every shard from the store,
  // and is then stepped by this simulation (ServiceOptions::threads false), at its clock.
  bool start_process() {
    service::ServiceOptions o;
    o.shards = k_shards;
    o.ledger = sim_config();
    o.catalog = testing::test_catalog();
    o.clock = [this] { return now_; };
    o.threads = false;
    auto started = service::Service::start(std::move(o), faulty_.get());
    if (!started) return fail(cat("recovery: ", started.error()));
    service_ = std::move(*started);
    for (Books& b : books_) b = Books{};
    // Payments made durable by the process that stopped, their answers never recorded.
    auto settled = service::settle_pending_payments(
        *payments_,
        [this](const store::PendingPayment& p) -> std::optional<PurchaseRecord> {
          const PurchaseRecord* r = service_->ledger(service_->shard_of_account(p.account))
                                        .find_purchase_by_payment(p.payment_ref);
          if (r == nullptr) return std::nullopt;
          if (r->fingerprint == p.digest) {  // the model of the record: settled with its answer
            payment_answers_.emplace(p.payment_ref, sim_answer(Result(r->reply)));
          }
          return *r;
        },
        [](const std::string&, const PurchaseReply& reply) { return sim_answer(Result(reply)); });
    if (!settled) return fail(cat("settling payments: ", settled.error().message));
    if (*settled > 0) trace(cat(*settled, " pending payments settled"));
    return check_state("after recovery") && check_store_journal("after recovery");
  }

  // The process stops. A clean stop first commits what is queued; a crash loses the queues and
  // every batch not committed, whose requests clients will send again.
  bool restart(bool clean) {
    if (clean) {
      for (size_t s = 0; s < k_shards && outcome_.ok; ++s) {
        const auto id = static_cast<ShardId>(s);
        while (outcome_.ok && !service_->stopped() &&
               (service_->queued(id) > 0 || service_->handed_over(id))) {
          run_batch(id, SIZE_MAX, true);
        }
      }
      deliver(false);
      if (!outcome_.ok) return false;
      if (service_->stopped()) return fail("a commit failed with no fault injected");
    } else {
      // What the store holds of the batches in flight: the first one whose commit failed may
      // have been written (an ambiguous failure); nothing after it was.
      for (size_t s = 0; s < k_shards && outcome_.ok; ++s) {
        settle(static_cast<ShardId>(s));
        Books& b = books_[s];
        if (!b.batches.empty() && !written_[s].empty()) {
          trace(cat("shard ", s, ": the failed commit was written"));
          if (!shadow_commit(static_cast<ShardId>(s), b.batches.front(), nullptr)) return false;
        }
        if (!written_[s].empty()) {
          return fail(cat("shard ", s, ": the store holds a batch no request made"));
        }
      }
      deliver(false);  // replies released before the crash reached their clients
      for (auto& [serial, r] : in_flight_) lost_.push_back(std::move(r));
      in_flight_.clear();
    }
    ++outcome_.restarts;
    outcome_.recalls += cold_lookups();
    service_.reset();
    if (options_.store != StoreKind::memory) {
      durable_.reset();  // the process is gone
      if (!clean && options_.store == StoreKind::sqlite) tear_journal_tail();
      if (!open_store()) return false;
    }
    return start_process();
  }

  // Every budget of every team account a ledger holds.
  using TeamBudgets = std::map<std::pair<std::string, std::string>, Budget>;
  static TeamBudgets team_budgets(const Ledger& l) {
    TeamBudgets out;
    for (const std::string& t : k_teams) {
      const Account* a = l.find_account(t);
      if (a == nullptr || !a->team) continue;
      for (const Budget& b : a->team->budgets) out.emplace(std::pair{t, b.spec.id}, b);
    }
    return out;
  }

  // --- The shards' books: which batches each shard applied, and which of them the store has ---
  struct Sent {
    uint64_t serial = 0;
    Request request;
  };
  struct AppliedBatch {
    std::vector<Sent> requests;
    TimeUs now;
    bool handed = false;   // else it had no request and changed nothing
    bool writes = false;   // it went to the store (entries, or state alone)
    uint64_t ordinal = 0;  // among the batches this process handed over on its shard
  };
  struct Books {
    std::deque<Sent> queued;           // submitted to the shard, in its queue's order
    std::deque<AppliedBatch> batches;  // applied, not yet settled with the shadow
    uint64_t handed = 0;               // batches handed over since the process started
  };

  // Submits `r` to the process: a purchase through the payments record (service/purchase.h),
  // everything else to its shard.
  void submit(Request r) {
    const uint64_t serial = ++serials_;
    const ShardId shard = service_->shard_of(r.command);
    in_flight_.emplace(serial, r);
    service::Submission submission{r, checked_prepare(shard), checked_encode(shard)};
    const size_t before = service_->queued(shard);
    if (std::holds_alternative<Purchase>(r.command)) {
      service::submit_purchase(*service_, *payments_, std::move(submission), now_,
                               [this, serial](service::PurchaseOutcome o) {
                                 if (o.kind == service::PurchaseOutcome::Kind::ran) {
                                   results_.emplace(serial, o.outcome);
                                 }
                                 inbox_.emplace_back(serial, std::move(o));
                               });
    } else {
      service_->submit(std::move(submission), [this, serial](service::Outcome o) {
        results_.emplace(serial, o);
        service::PurchaseOutcome ran;
        ran.outcome = std::move(o);
        inbox_.emplace_back(serial, std::move(ran));
      });
    }
    if (service_->queued(shard) == before) return;  // answered by the payments record
    if (const auto* p = std::get_if<Purchase>(&r.command)) {
      claims_.emplace(p->payment_ref, fingerprint(r.command));  // claimed, or pending before
    }
    books_[shard].queued.push_back(Sent{serial, std::move(r)});
  }

  // The checks that run inside the shard after each request (through the submission's own
  // steps, as the HTTP API's pricing and answers run): before a new request's command, what the
  // team budgets and the journal are; after it, every invariant and rule 11.
  struct BeforeCommand {
    TeamBudgets budgets;
    uint64_t seq = 0;
    Command command;
  };
  std::function<std::optional<service::Submission::Answer>(const Ledger&, Command*, TimeUs)>
  checked_prepare(ShardId) {
    return [this](const Ledger& l, Command* c, TimeUs now) {
      before_ = BeforeCommand{team_budgets(l), l.last_seq(), *c};
      auto answer = sim_prepare(l, c, now);
      if (answer) before_.reset();
      return answer;
    };
  }
  std::function<std::string(const Ledger&, const Result&)> checked_encode(ShardId) {
    return [this](const Ledger& l, const Result& r) {
      if (before_) {
        check_invariants(l, "after a request");
        check_budgets(l, before_->command, r, before_->budgets, l.last_seq() - before_->seq);
        before_.reset();
      }
      return sim_encode(l, r);
    };
  }

  // Applies up to `n` of the shard's queued requests as one batch (an idle tick if none) and,
  // with `commit`, commits it (else it stays handed over while the next one applies: the
  // pipeline). The shadow takes every batch the process released.
  void run_batch(ShardId s, size_t n, bool commit) {
    Books& b = books_[s];
    if (service_->stopped()) return;
    const service::Service::Applied applied = service_->step_apply(s, n);
    AppliedBatch batch{{}, applied.now, applied.handed, applied.writes, 0};
    for (size_t i = 0; i < applied.taken; ++i) {
      batch.requests.push_back(std::move(b.queued.front()));
      b.queued.pop_front();
    }
    outcome_.requests += applied.taken;
    if (applied.handed) batch.ordinal = b.handed++;
    trace(cat("shard ", s, ": batch of ", applied.taken, " at ", format_time(applied.now),
              applied.handed ? "" : " (changed nothing)"));
    b.batches.push_back(std::move(batch));
    if (commit && !service_->stopped()) (void)service_->step_commit(s);
    settle(s);
  }

  // The batches the shard released, in order, go to the shadow.
  void settle(ShardId s) {
    Books& b = books_[s];
    while (outcome_.ok && !b.batches.empty()) {
      const AppliedBatch& front = b.batches.front();
      if (front.handed && front.ordinal >= service_->released(s)) return;
      if (!shadow_commit(s, front, &results_)) return;
      b.batches.pop_front();
    }
  }

  // --- Checks ---
  bool check_invariants(const Ledger& l, const char* when) {
    auto bad = l.check_invariants();
    if (!bad.empty()) return fail(cat("invariant broken ", when, ": ", absl::StrJoin(bad, "; ")));
    return true;
  }

  // Rule 11 after one request: no debit takes a hard budget past its limit (a hard budget is
  // over its limit only when an update lowered the limit or made it hard below its usage, and
  // then its usage only falls until its period ends); and a debit a team refuses for its
  // member, role or budget writes nothing and counts against no budget.
  bool check_budgets(const Ledger& l, const Command& command, const Result& result,
                     const TeamBudgets& before, uint64_t entries_written) {
    const auto* update = std::get_if<UpdateBudget>(&command);
    const bool updated = update != nullptr && result.has_value();
    const TeamBudgets after = team_budgets(l);
    for (const auto& [key, b] : after) {
      if (b.spec.mode != BudgetMode::hard || b.used <= b.spec.limit) continue;
      if (updated && update->account == key.first && update->id == key.second) continue;
      auto was = before.find(key);
      const bool still_over = was != before.end() && was->second.created_at == b.created_at &&
                              was->second.period_index == b.period_index &&
                              was->second.used > was->second.spec.limit &&
                              b.used <= was->second.used;
      if (!still_over) {
        return fail(cat("rule 11: ", describe(command), " left hard budget ", key.second, " of ",
                        key.first, " at ", format_credits(b.used), ", past its limit ",
                        format_credits(b.spec.limit)));
      }
    }
    if (result.has_value()) return true;
    const ErrorCode code = result.error().code;
    if (code != ErrorCode::not_a_member && code != ErrorCode::forbidden &&
        code != ErrorCode::budget_exceeded) {
      return true;
    }
    ++outcome_.team_refusals;
    if (code == ErrorCode::budget_exceeded) ++outcome_.budget_refusals;
    bool unchanged = entries_written == 0 && before.size() == after.size();
    for (const auto& [key, b] : after) {
      auto was = before.find(key);
      unchanged = unchanged && was != before.end() && was->second.used == b.used;
    }
    if (!unchanged) {
      return fail(cat(describe(command), " was refused (", error_code_name(code),
                      ") but wrote entries or counted against a budget"));
    }
    return true;
  }

  // Each shard with nothing in flight: the process's ledger and the shadow's hold the same
  // state; a record the process remembers is the shadow's; `verify` recomputes the process's
  // ledger from the journal; and no payment credited two purchases.
  bool check_state(const char* when) {
    for (size_t s = 0; s < k_shards; ++s) {
      const auto id = static_cast<ShardId>(s);
      if (!books_[s].batches.empty() || service_->handed_over(id)) continue;
      const Ledger& process = service_->ledger(id);
      if (!check_invariants(process, when)) return false;
      const LedgerState mine = process.export_state();
      const LedgerState truth = shadows_[s].ledger->export_state();
      if (mine.now > truth.now) {
        return fail(cat(when, ": shard ", s, "'s clock ", format_time(mine.now),
                        " is past the last one applied ", format_time(truth.now)));
      }
      const std::string a = comparable(mine, truth.now);
      const std::string b = comparable(truth, truth.now);
      if (a != b) {
        return fail(
            cat(when, ": shard ", s,
                "'s state differs from the shadow's (what committed): ", first_difference(a, b)));
      }
      std::map<std::string_view, const IdempotencyRecord*> known;
      for (const IdempotencyRecord& r : truth.idempotency) known[r.key] = &r;
      for (const IdempotencyRecord& r : mine.idempotency) {
        auto it = known.find(r.key);
        if (it == known.end() || it->second->at != r.at ||
            !(it->second->fingerprint == r.fingerprint) || it->second->result != r.result) {
          return fail(cat(when, ": shard ", s, " remembers key '", r.key,
                          "' unlike the shadow (a record changed or came back)"));
        }
      }
      VerifyReport report = verify(process, shadow_journals_[s]);
      if (!report.ok()) {
        return fail(
            cat("verify ", when, ": shard ", s, ": ", absl::StrJoin(report.differences, "; ")));
      }
    }
    return true;
  }

  // The store's whole journal is the shadow's, entry for entry, shard by shard.
  bool check_store_journal(const char* when) {
    for (size_t s = 0; s < k_shards; ++s) {
      if (!check_store_journal(static_cast<ShardId>(s), when)) return false;
    }
    return true;
  }
  bool check_store_journal(ShardId s, const char* when) {
    const std::vector<Entry>& journal = shadow_journals_[s];
    size_t i = 0;
    std::string diff;
    auto scanned = faulty_->scan_entries(s, 0, [&](const Entry& e) {
      if (i >= journal.size() || !(journal[i] == e)) {
        diff = cat("entry ", i + 1, " is '", format_entry(e), "', the shadow's is '",
                   i < journal.size() ? format_entry(journal[i]) : "nothing", "'");
        return false;
      }
      ++i;
      return true;
    });
    if (!scanned) return fail(cat("scan_entries ", when, ": ", scanned.error().message));
    if (diff.empty() && i != journal.size()) {
      diff = cat("the store has ", i, " entries, the shadow ", journal.size());
    }
    if (!diff.empty())
      return fail(cat("shard ", s, "'s journal in the store ", when, " differs: ", diff));
    // The outbox holds exactly the events of the committed batches (rule 12): those the shadow
    // produced replaying them, in order.
    std::vector<Event> stored, shadowed;
    auto collect = [](std::vector<Event>* into) {
      return [into](const Event& e) {
        into->push_back(e);
        return true;
      };
    };
    auto events = faulty_->scan_events(s, 0, "", collect(&stored));
    if (!events) return fail(cat("scan_events ", when, ": ", events.error().message));
    auto shadow_events = memory_shadow_.scan_events(s, 0, "", collect(&shadowed));
    if (!shadow_events) return fail(cat("shadow scan_events: ", shadow_events.error().message));
    if (stored != shadowed) {
      return fail(cat("shard ", s, "'s events in the store ", when,
                      " are not the committed batches' (", stored.size(), " stored, ",
                      shadowed.size(), " from the batches)"));
    }
    // Each account's history, read through the store's per-account index.
    std::vector<std::string> accounts = k_accounts;
    accounts.insert(accounts.end(), k_teams.begin(), k_teams.end());
    for (const std::string& account : accounts) {
      if (service_ && service_->shard_of_account(account) != s) continue;
      std::vector<const Entry*> expected;
      for (const Entry& e : journal) {
        if (e.account == account) expected.push_back(&e);
      }
      size_t n = 0;
      bool same = true;
      auto history = faulty_->scan_account_entries(s, account, 0, [&](const Entry& e) {
        same = same && n < expected.size() && *expected[n] == e;
        ++n;
        return same;
      });
      if (!history) return fail(cat("scan_account_entries ", when, ": ", history.error().message));
      if (!same || n != expected.size()) {
        return fail(cat("the store's history of ", account, " ", when, " is not its journal's"));
      }
    }
    return true;
  }

  // Rule 8 for good: the store answers every key that committed with its first reply.
  bool check_store_keys() {
    for (const auto& [at, first] : first_) {
      const auto& [shard, key] = at;
      // Rule 8 holds within the retention; past it the store may have forgotten the key.
      if (add_us(first.at, sim_config().idempotency_retention_us) <= now_) continue;
      auto found = faulty_->find_idempotency(shard, key);
      if (!found) return fail(cat("find_idempotency: ", found.error().message));
      if (!found->has_value() || !((*found)->fingerprint == first.fingerprint) ||
          (*found)->result != first.result || (*found)->response != first.response) {
        return fail(cat("the store does not give key '", key, "' its first reply"));
      }
    }
    return true;
  }

  // A batch reached shard `s`'s store: the shadow applies it, which must give the same entries
  // and (when the process released them: `results`) the same replies; each reply must be what
  // its key got first (rule 8), and a payment must credit one purchase in the deployment.
  bool shadow_commit(ShardId s, const AppliedBatch& batch,
                     std::map<uint64_t, service::Outcome>* results) {
    ShadowShard& shadow = shadows_[s];
    std::vector<Entry> shadow_entries;
    std::vector<service::Outcome> shadow_results;
    (void)shadow.ledger->apply(Request{"", AdvanceTime{}}, batch.now, &shadow_entries);
    for (const Sent& sent : batch.requests) {
      auto applied = shadow.apply(memory_shadow_, sent.request, batch.now, &shadow_entries);
      if (!applied) return fail(cat("shadow: ", applied.error()));
      shadow_results.push_back(std::move(*applied));
    }
    StateDelta delta;
    shadow.take_delta(&delta);
    for (const Event& e : delta.events) {  // the workload pays, fails and cancels them
      if (e.type != EventType::auto_topup_requested) continue;
      topups_.emplace_back(e.ref, e.account);
      if (topups_.size() > 48) topups_.erase(topups_.begin());
    }
    if (!shadow_entries.empty() || has_changes(delta)) {
      auto committed = memory_shadow_.commit(s, shadow_entries, delta);
      if (!committed) return fail(cat("shadow commit: ", committed.error().message));
    }
    // (Whether a batch with no entries writes state may differ: what a restarted process lets go
    // from memory is not what the shadow, which never restarts, holds. Entries may not.)
    static const std::vector<Entry> k_nothing;
    if (batch.writes && written_[s].empty()) {
      return fail(cat("shard ", s, " released a batch the store never got (", batch.requests.size(),
                      " requests at ", format_time(batch.now), ")"));
    }
    {
      const std::vector<Entry>& entries = batch.writes ? written_[s].front() : k_nothing;
      if (shadow_entries != entries) {
        std::string text =
            cat("shard ", s, ": the batch's entries differ from the shadow's:\n  process:\n");
        for (const Entry& e : entries) text += cat("    ", format_entry(e), "\n");
        text += "  shadow:\n";
        for (const Entry& e : shadow_entries) text += cat("    ", format_entry(e), "\n");
        return fail(text);
      }
      if (batch.writes) {
        written_[s].pop_front();
        ++outcome_.commits;
      }
    }
    shadow_journals_[s].insert(shadow_journals_[s].end(), shadow_entries.begin(),
                               shadow_entries.end());
    for (size_t i = 0; i < batch.requests.size(); ++i) {
      const Request& r = batch.requests[i].request;
      if (!check_one_payment(r, shadow_results[i], s)) return false;
      if (results == nullptr) {  // an ambiguous commit: nobody got a reply, the store has it
        if (!check_first_reply(r, shadow_results[i], batch.now, s)) return false;
        continue;
      }
      auto it = results->find(batch.requests[i].serial);
      if (it == results->end()) {
        return fail(cat("request '", r.idempotency_key, "' was committed but got no reply"));
      }
      const service::Outcome got = std::move(it->second);
      results->erase(it);
      if (!same(got, shadow_results[i])) {
        return fail(cat("request '", r.idempotency_key, "' (", describe(r.command), ") got ",
                        describe(got), ", the shadow ", describe(shadow_results[i])));
      }
      if (!check_first_reply(r, got, batch.now, s)) return false;
    }
    return true;
  }

  // Rule 8 across shards: a payment_ref credits at most one purchase in the whole deployment.
  bool check_one_payment(const Request& r, const service::Outcome& outcome, ShardId s) {
    const auto* p = std::get_if<Purchase>(&r.command);
    if (p == nullptr || !outcome.result || !outcome.result->has_value()) return true;
    const auto* reply = std::get_if<PurchaseReply>(&**outcome.result);
    if (reply == nullptr) return true;
    auto [it, fresh] = credited_.emplace(p->payment_ref, std::pair{s, reply->purchase});
    if (!fresh && it->second != std::pair{s, reply->purchase}) {
      return fail(cat("payment '", p->payment_ref, "' credited purchase ", it->second.second,
                      " on shard ", it->second.first, " and purchase ", reply->purchase,
                      " on shard ", s));
    }
    return true;
  }

  bool check_first_reply(const Request& r, const service::Outcome& outcome, TimeUs now, ShardId s) {
    // Answered before the ledger and not remembered (a job the rate card cannot price): it may
    // run again.
    if (!outcome.result) return true;
    const Result& result = *outcome.result;
    auto it = first_.find(std::pair{s, r.idempotency_key});
    // Past the idempotency retention a key is forgotten (rule 8 holds within it): its next use
    // is a new request, whose reply is the key's first from then on.
    if (it != first_.end() &&
        add_us(it->second.at, sim_config().idempotency_retention_us) <= now) {
      first_.erase(it);
      it = first_.end();
    }
    if (it == first_.end()) {
      // Refusals of malformed requests are not remembered (rule 8): they may run again.
      if (!result && result.error().code == ErrorCode::invalid_request) return true;
      first_.emplace(std::pair{s, r.idempotency_key},
                     First{fingerprint(r.command), result, outcome.response, now});
      return true;
    }
    if (it->second.fingerprint == fingerprint(r.command)) {
      if (result != it->second.result || outcome.response != it->second.response) {
        return fail(cat("a retry of '", r.idempotency_key, "' (", describe(r.command), ") got ",
                        describe(outcome), ", first ", describe(it->second.result), " '",
                        it->second.response, "'"));
      }
    } else if (result || result.error().code != ErrorCode::idempotency_conflict) {
      return fail(cat("key '", r.idempotency_key, "' reused for ", describe(r.command), " got ",
                      describe(result), ", not idempotency_conflict"));
    }
    return true;
  }

  // Replies released in this step reach their clients (or, with `drop`, are lost with the
  // process before they leave). An answer of the payments record is checked here: a payment
  // credited before answers that purchase's first answer; one taken by another purchase is
  // refused only while another purchase holds it.
  void deliver(bool drop) {
    for (auto& [serial, o] : inbox_) {
      auto it = in_flight_.find(serial);
      if (it == in_flight_.end()) {
        (void)fail(cat("reply ", serial, " to a request no client is waiting for"));
        return;
      }
      Request r = std::move(it->second);
      in_flight_.erase(it);
      note_payment(r, o);
      if (drop) {
        lost_.push_back(std::move(r));
        continue;
      }
      if (!check_gate_answer(r, o)) return;
      service::Outcome answer = std::move(o.outcome);
      if (o.kind != service::PurchaseOutcome::Kind::ran) {
        answer.result.reset();
        answer.response =
            cat("payments record: ",
                o.kind == service::PurchaseOutcome::Kind::credited ? "credited" : "taken by ",
                o.account, o.response);
      }
      acknowledge(std::move(r), answer);
    }
    inbox_.clear();
  }

  // What a purchase that ran did to the payments record (before its reply left the process):
  // credited, its answer is the payment's; refused, its claim was given up.
  void note_payment(const Request& r, const service::PurchaseOutcome& o) {
    const auto* p = std::get_if<Purchase>(&r.command);
    if (p == nullptr || o.kind != service::PurchaseOutcome::Kind::ran) return;
    const Result& result = *o.outcome.result;
    if (result && std::holds_alternative<PurchaseReply>(*result)) {
      payment_answers_.emplace(p->payment_ref, o.outcome.response);
    } else if (!result && result.error().code != ErrorCode::idempotency_conflict) {
      auto claim = claims_.find(p->payment_ref);
      if (claim != claims_.end() && claim->second == fingerprint(r.command)) claims_.erase(claim);
    }
  }

  bool check_gate_answer(const Request& r, const service::PurchaseOutcome& o) {
    using Kind = service::PurchaseOutcome::Kind;
    const auto* p = std::get_if<Purchase>(&r.command);
    if (p == nullptr) return true;
    const CommandDigest digest = fingerprint(r.command);
    switch (o.kind) {
      case Kind::ran:
        return true;
      case Kind::credited: {
        auto answer = payment_answers_.find(p->payment_ref);
        if (answer == payment_answers_.end() || answer->second != o.response) {
          return fail(cat("payment '", p->payment_ref, "' answered as credited with '", o.response,
                          "', not its purchase's answer"));
        }
        return true;
      }
      case Kind::taken: {
        auto claim = claims_.find(p->payment_ref);
        if (claim == claims_.end() || claim->second == digest) {
          return fail(cat("payment '", p->payment_ref, "' refused as taken, but no other ",
                          "purchase holds it"));
        }
        ++outcome_.payments_taken;
        return true;
      }
      case Kind::failed:
        return fail(cat("the payments record failed: ", o.message));
    }
    return true;
  }

  // --- Steps ---
  void run_step() {
    const uint64_t w = rng_.below(100);
    if (opens_sent_ < 3 || w < 48) {
      send(new_request());
    } else if (w < 54) {
      resend_acknowledged();
    } else if (w < 60) {
      retry_lost();
    } else if (w < 63) {
      reuse_key();
    } else if (w < 84) {
      work(choose_fault(), 1 + rng_.below(12));
    } else if (w < 95) {
      jump();
    } else if (w < 97) {
      trace("restart (clean)");
      restart(/*clean=*/true);
    } else {
      work(choose_fault(), SIZE_MAX);
    }
    if (outcome_.ok) deliver(false);
    // Sends and time jumps change nothing in the process until a batch runs.
    const bool changed = w >= 63 && !(w >= 84 && w < 95);
    if (changed && outcome_.ok) check_state("after the step");
  }

  Fault choose_fault() {
    const uint64_t w = rng_.below(100);
    if (w < 78) return Fault::none;
    if (w < 82) return Fault::fail_commit;
    if (w < 85) return Fault::ambiguous_commit;
    if (w < 95) return Fault::crash_before_commit;
    return Fault::crash_before_reply;
  }

  void send(Request r) {
    trace(cat("send ", r.idempotency_key, ": ", describe(r.command)));
    submit(std::move(r));
  }

  // A duplicate delivery: a request whose reply the client had, sent again as it was.
  void resend_acknowledged() {
    if (acknowledged_.empty()) return send(new_request());
    ++outcome_.retries;
    Request r = rng_.pick(acknowledged_);
    trace("duplicate delivery:");
    send(std::move(r));
  }

  // A client whose request was lost in a crash sends it again, not knowing if it committed.
  void retry_lost() {
    if (lost_.empty()) return send(new_request());
    ++outcome_.retries;
    const size_t i = rng_.below(lost_.size());
    Request r = std::move(lost_[i]);
    lost_.erase(lost_.begin() + static_cast<std::ptrdiff_t>(i));
    trace("retry after a crash:");
    send(std::move(r));
  }

  // A client bug: a key used before, with another command.
  void reuse_key() {
    if (acknowledged_.empty()) return send(new_request());
    Request r = new_request();
    r.idempotency_key = rng_.pick(acknowledged_).idempotency_key;
    trace("key reused:");
    send(std::move(r));
  }

  void jump() {
    const uint64_t w = rng_.below(100);
    int64_t us;
    if (w < 70) {
      us = rng_.range(1, 2 * 3600) * k_us_per_second;
    } else if (w < 95) {
      us = rng_.range(1, 10) * k_us_per_day + rng_.range(0, 86'399) * k_us_per_second;
    } else {  // across many expiries and renewals at once
      us = rng_.range(30, 400) * k_us_per_day;
    }
    now_ = add_us(now_, us);
    trace(cat("time jumps to ", format_time(now_)));
  }

  // One shard, chosen at random, applies up to `n` of its queued requests as one batch (an idle
  // tick if none) and commits it, with `fault` injected. Without a fault, one batch in four is
  // left handed over, so that the shard's next batch applies while it is still uncommitted.
  void work(Fault fault, size_t n) {
    now_ = add_us(now_, rng_.range(0, 5) * k_us_per_second);
    const auto s = static_cast<ShardId>(rng_.below(k_shards));
    const bool leave = rng_.percent(25);
    trace(cat("shard ", s, ", fault: ", fault_name(fault)));
    run_batch(s, n, fault == Fault::crash_before_reply || (fault == Fault::none && !leave));
    if (!outcome_.ok) return;
    if (service_->stopped()) return (void)fail("a commit failed with no fault injected");
    switch (fault) {
      case Fault::none:
        return;
      case Fault::fail_commit:
      case Fault::ambiguous_commit:
        if (service_->handed_over(s)) {
          // (A batch that writes nothing does not reach the store: the fault is taken back.)
          faulty_->fail_next_commit(fault == Fault::ambiguous_commit);
          (void)service_->step_commit(s);
          faulty_->disarm();
          settle(s);
        }
        if (outcome_.ok && service_->stopped()) crash();
        return;
      case Fault::crash_before_commit:
        return crash();
      case Fault::crash_before_reply:
        deliver(/*drop=*/true);
        return crash();
    }
  }

  void crash() {
    ++outcome_.crashes;
    trace(cat("the process stops; ", in_flight_.size() - inbox_.size(), " requests lost"));
    restart(/*clean=*/false);
  }

  // The client has its reply: it learns the ids in it.
  void acknowledge(Request r, const service::Outcome& outcome) {
    ++outcome_.acknowledged;
    trace(cat("  ", r.idempotency_key, " -> ", describe(outcome)));
    static const Result k_none = std::unexpected(LedgerError{});
    const Result& result = outcome.result ? *outcome.result : k_none;
    if (const auto* open = std::get_if<OpenAccount>(&r.command)) {
      if (result || result.error().code == ErrorCode::account_exists) opened_.insert(open->account);
    }
    if (result) {
      std::visit(
          [&](const auto& reply) {
            using T = std::decay_t<decltype(reply)>;
            if constexpr (std::is_same_v<T, GrantReply>) remember(lots_, reply.lot.value);
            if constexpr (std::is_same_v<T, RewardReply>) remember(lots_, reply.lot.value);
            if constexpr (std::is_same_v<T, HoldReply>) remember(holds_, reply.hold.value);
            if constexpr (std::is_same_v<T, SpendReply>) remember(spends_, reply.spend.value);
            if constexpr (std::is_same_v<T, CaptureReply>) remember(spends_, reply.spend.value);
            if constexpr (std::is_same_v<T, PurchaseReply>) {
              remember(purchases_, reply.purchase);
              remember(lots_, reply.lot.value);
            }
          },
          *result);
    }
    if (acknowledged_.size() < 256) {
      acknowledged_.push_back(std::move(r));
    } else {
      acknowledged_[rng_.below(acknowledged_.size())] = std::move(r);
    }
  }

  static void remember(std::vector<uint64_t>& ids, uint64_t id) {
    ids.push_back(id);
    if (ids.size() > 48) ids.erase(ids.begin());
  }
  uint64_t pick_id(const std::vector<uint64_t>& ids) {
    if (ids.empty() || rng_.percent(5)) return rng_.next() >> 20;  // unknown
    return rng_.pick(ids);
  }

  // --- The workload ---
  std::string account() {
    std::vector<std::string> open(opened_.begin(), opened_.end());
    if (open.empty() || rng_.percent(3)) return rng_.pick(k_accounts);  // maybe not open yet
    return rng_.pick(open);
  }
  Credits amount(int64_t max_centi) {
    return Credits::from_micro(rng_.range(1, max_centi) * 10'000);
  }

  Request new_request() {
    Request r;
    r.idempotency_key = cat("k", ++keys_);
    r.command = new_command();
    return r;
  }

  JobParams video_params() {
    return {{"resolution", rng_.percent(50) ? "480p" : "1080p"}, {"seconds", cat(rng_.range(1, 10))}};
  }

  Command new_command() {
    if (opens_sent_ < 3 || rng_.percent(2)) {
      const std::string a = opens_sent_ < 3 ? k_accounts[opens_sent_++] : rng_.pick(k_accounts);
      const uint64_t p = rng_.below(8);
      if (p == 0) return OpenAccount{a, "", true};
      if (p == 1) return OpenAccount{a, "", false};
      std::string plan = rng_.pick(k_plans);
      if (plan == "enterprise") plan = "pro";
      return OpenAccount{a, plan, false};
    }
    if (rng_.percent(18)) return team_command();
    const std::string tool = rng_.pick(k_tools);
    switch (rng_.below(20)) {
      case 0:
      case 1:
      case 2: {
        Grant g{.account = account(),
                .source = k_all_sources[rng_.below(k_source_count)],
                .amount = amount(50'000)};
        const uint64_t e = rng_.below(6);
        if (e == 1) g.expiry = {Expiry::Mode::never, {}, {}};
        if (e >= 2) {
          g.expiry = {Expiry::Mode::at, add_us(now_, rng_.range(1, 60 * 24 * 40) * k_us_per_minute),
                      {}};
        }
        if (rng_.percent(15)) g.scope = {tool};
        if (rng_.percent(10)) g.effective_at = add_us(now_, rng_.range(1, 3000) * k_us_per_minute);
        if (rng_.percent(10)) g.reason = "promo";
        return g;
      }
      case 3:
      case 4:
      case 5: {
        PlaceHold h{account(), amount(3'000), tool, rng_.range(60, 7200) * k_us_per_second, "v1"};
        if (rng_.percent(35)) {  // priced on the shard from its params (sim_prepare)
          h = PlaceHold{h.account, {}, "video", h.ttl_us, "", true, video_params(), ""};
        }
        return h;
      }
      case 6:
      case 7: {
        Capture c{HoldId{pick_id(holds_)},
                  rng_.percent(40) ? std::optional<Credits>{} : amount(3'000)};
        if (rng_.percent(35)) {  // usage, priced with the hold's params and plan
          c.amount.reset();
          c.priced = true;
          c.usage = {{"seconds", cat(rng_.range(1, 12))}};
          if (rng_.percent(20)) c.usage.push_back({"resolution", "480p"});
        }
        return c;
      }
      case 8:
        return Release{HoldId{pick_id(holds_)}, "job failed"};
      case 9:
      case 10:
        if (rng_.percent(35)) return SpendNow{account(), {}, "video", "", true, video_params()};
        return SpendNow{account(), amount(2'000), tool, "v1"};
      case 11:
        if (rng_.percent(30)) {  // issue 19: marked once; again the same, or a conflict
          return MarkOutcome{SpendId{pick_id(spends_)},
                             rng_.percent(50) ? tally::Outcome::usable : tally::Outcome::rejected};
        }
        return Refund{SpendId{pick_id(spends_)},
                      rng_.percent(50) ? std::optional<Credits>{} : amount(1'000), "job failed"};
      case 12:
        return VoidLot{LotId{pick_id(lots_)}, "charge-back"};
      case 13: {
        const std::string& plan = rng_.pick(k_plans);
        std::optional<Credits> allocation;
        if (plan == "enterprise") allocation = amount(100'000);
        return SetPlan{account(), plan, allocation};
      }
      case 14:
        if (rng_.percent(25)) {  // alerts: balance and expiry events in every batch kind
          return SetAlerts{account(), rng_.percent(70)
                                          ? Alerts{Credits::from_micro(
                                                       static_cast<int64_t>(rng_.below(60)) *
                                                       k_micro_per_credit),
                                                   static_cast<int64_t>(rng_.below(4)) *
                                                       k_us_per_day}
                                          : Alerts{}};
        }
        if (rng_.percent(25)) {  // auto top-up: requests, completions, failures, timeouts
          if (rng_.percent(15)) return SetAutoTopup{account(), std::nullopt};
          return SetAutoTopup{
              account(), AutoTopupSettings{Credits::from_micro(rng_.range(1, 60) *
                                                               k_micro_per_credit),
                                           rng_.pick(k_packs), "USD", rng_.percent(30) ? "IN" : ""}};
        }
        if (rng_.percent(50)) return CancelSubscription{account()};
        return rng_.percent(50) ? Command{MarkPastDue{account()}}
                                : Command{ResumeSubscription{account()}};
      case 15:
      case 16:
        return ClaimDailyReward{account()};
      case 17:
      case 18:
        if (!topups_.empty() && rng_.percent(30)) {  // the platform charged an auto top-up
          const auto& [id, holder] = rng_.pick(topups_);
          return Purchase{rng_.percent(90) ? holder : account(), rng_.pick(k_packs), "USD", "",
                          auto_topup_payment_ref(id)};
        }
        return Purchase{account(), rng_.pick(k_packs), "USD", rng_.percent(30) ? "IN" : "",
                        cat("pay-", rng_.below(40))};  // a payment may be notified twice
      default:
        if (!topups_.empty() && rng_.percent(30)) {
          const uint64_t id = rng_.pick(topups_).first;
          if (rng_.percent(50)) return FailAutoTopup{id, "card declined"};
          return CancelAutoTopup{id, "card removed"};
        }
        return VoidPurchase{pick_id(purchases_), "charge-back"};
    }
  }

  // Team accounts (issue 17): opened with an owner on a plan that allows teams (or, refused, on
  // one that does not), members added, given roles and removed, budgets on a member, a project
  // or both (hard and soft, daily, weekly and monthly, calendar or anchored anywhere), and holds
  // and spends by members, former members, viewers and users who never were. Captures, releases
  // and refunds of team debits come from the general workload (they share its ids), time jumps
  // move budgets across their period boundaries.
  Command team_command() {
    const std::string& t = rng_.pick(k_teams);
    if (!opened_.contains(t) || rng_.percent(2)) {
      const uint64_t p = rng_.below(10);
      return OpenAccount{t,
                         p == 0  ? "basic"
                         : p < 5 ? "pro"
                                 : "business",
                         false, true, rng_.pick(k_users)};
    }
    // Mostly a member as the team stood at its last commit (the shadow's state: the same for
    // every store), so that debits reach the budgets; else anyone.
    std::string user = rng_.pick(k_users);
    const Account* team = shadows_[service_->shard_of_account(t)].ledger->find_account(t);
    if (team != nullptr && team->team && rng_.percent(75)) {
      user = team->team->members[rng_.below(team->team->members.size())].user;
    }
    auto role = [&] {
      const uint64_t r = rng_.below(10);
      return r == 0 ? Role::owner : r < 3 ? Role::admin : r < 8 ? Role::member : Role::viewer;
    };
    auto project = [&] { return rng_.percent(40) ? std::string() : rng_.pick(k_projects); };
    switch (rng_.below(20)) {
      case 0:
      case 1:
      case 2:
        return Grant{.account = t,
                     .source = rng_.percent(50) ? Source::purchase : Source::admin,
                     .amount = amount(20'000)};
      case 3:
      case 4:
        return AddMember{t, rng_.pick(k_users), role()};
      case 5:
        return SetMemberRole{t, user, role()};
      case 6:
        return RemoveMember{t, user};
      case 7:
      case 8: {
        AddBudget c;
        c.account = t;
        const uint64_t on = rng_.below(3);
        c.spec = BudgetSpec{rng_.pick(k_budget_ids),
                            on == 1 ? std::string() : user,
                            on == 0 ? std::string() : rng_.pick(k_projects),
                            amount(4'000),
                            static_cast<BudgetPeriod>(rng_.below(k_budget_period_last + 1)),
                            {},
                            rng_.percent(70) ? BudgetMode::hard : BudgetMode::soft};
        if (rng_.percent(50)) {  // anchored anywhere within 40 days either way
          c.anchor = TimeUs{now_.us + rng_.range(-40 * 24 * 60, 40 * 24 * 60) * k_us_per_minute};
        }
        return c;
      }
      case 9: {
        UpdateBudget c{t, rng_.pick(k_budget_ids), {}, {}};
        if (rng_.percent(70)) c.limit = amount(4'000);
        if (!c.limit || rng_.percent(30)) {
          c.mode = rng_.percent(60) ? BudgetMode::hard : BudgetMode::soft;
        }
        return c;
      }
      case 10:
        return RemoveBudget{t, rng_.pick(k_budget_ids)};
      case 11:
      case 12:
      case 13:
      case 14:
      case 15: {
        PlaceHold h{t, amount(3'000), rng_.pick(k_tools), rng_.range(60, 7200) * k_us_per_second,
                    "v1"};
        h.member = user;
        h.project = project();
        return h;
      }
      default: {
        SpendNow c{t, amount(2'000), rng_.pick(k_tools), "v1"};
        c.member = user;
        c.project = project();
        return c;
      }
    }
  }

  // After the last step: clients retry everything lost, every shard drains its queue without
  // faults, and the process stops cleanly and starts again.
  void drain() {
    step_ = options_.steps + 1;
    trace("drain: every lost request is retried, no more faults");
    while (!lost_.empty() && outcome_.ok) retry_lost();
    if (outcome_.ok) deliver(false);
    if (outcome_.ok) restart(/*clean=*/true);
    if (outcome_.ok && !in_flight_.empty()) {
      fail(cat(in_flight_.size(), " requests never got a reply"));
    }
    if (outcome_.ok) outcome_.recalls += cold_lookups();
  }

  uint64_t cold_lookups() const {
    uint64_t n = 0;
    for (size_t s = 0; s < k_shards; ++s)
      n += service_->stats(static_cast<ShardId>(s)).cold_key_lookups;
    return n;
  }

  struct First {
    CommandDigest fingerprint;
    Result result;
    std::string response;  // the answer, byte for byte
    TimeUs at;             // when it was given
  };

  Options options_;
  Rng rng_;
  Outcome outcome_;
  size_t step_ = 0;
  TimeUs now_ = k_start;
  uint64_t keys_ = 0;
  size_t opens_sent_ = 0;  // the first three steps open three accounts

  // The disk: the store (with the fault layer, a planted bug and the witness above it) and the
  // payments record, which outlive the process.
  std::unique_ptr<store::MemoryStore> memory_;
  std::unique_ptr<store::Store> durable_;  // SQLite or PostgreSQL
  store::Store* base_ = nullptr;
  std::unique_ptr<PlantedStore> planted_;
  std::unique_ptr<WitnessStore> witness_;
  std::unique_ptr<store::FaultyStore> faulty_;
  std::unique_ptr<store::SqlitePayments> payments_;
  std::vector<std::deque<std::vector<Entry>>> written_;  // per shard, not yet matched

  // The process, and what the simulation knows of each of its shards.
  std::unique_ptr<service::Service> service_;
  std::vector<Books> books_;
  std::optional<BeforeCommand> before_;
  uint64_t serials_ = 0;
  std::map<uint64_t, Request> in_flight_;  // submitted, no reply delivered
  std::vector<std::pair<uint64_t, service::PurchaseOutcome>> inbox_;  // released this step
  std::map<uint64_t, service::Outcome> results_;  // released, not yet settled with the shadow

  // The truth: what committed, applied once per shard, without faults or restarts.
  std::vector<ShadowShard> shadows_;
  store::MemoryStore memory_shadow_;
  std::vector<std::vector<Entry>> shadow_journals_;
  std::map<std::string, std::pair<ShardId, uint64_t>> credited_;  // payment_ref: shard, purchase
  std::map<std::string, CommandDigest> claims_;         // payment_ref: the purchase holding it
  std::map<std::string, std::string> payment_answers_;  // payment_ref: its purchase's answer

  // The clients' side.
  std::vector<Request> lost_;          // in flight when the process stopped
  std::vector<Request> acknowledged_;  // a sample of requests whose reply arrived
  // Each key's first committed reply, by shard: keys are scoped to the shard of the request's
  // account or object (docs/api.md), so a key reused on another shard is a new request there.
  std::map<std::pair<ShardId, std::string>, First> first_;
  std::set<std::string> opened_;
  std::vector<uint64_t> lots_, holds_, spends_, purchases_;
  std::vector<std::pair<uint64_t, std::string>> topups_;  // requested: id, account
};

}  // namespace

Outcome run(const Options& options) {
  return Simulation(options).run();
}

std::string explain_failure(const Options& options, const Outcome& failed) {
  // Bisect for the shortest prefix of the seed's steps that still fails.
  size_t lo = 0, hi = std::min(failed.steps_run + 1, options.steps);  // hi fails
  while (lo + 1 < hi) {
    const size_t mid = lo + (hi - lo) / 2;
    Options o = options;
    o.steps = mid;
    if (!o.dir.empty()) o.dir = cat(options.dir, "/bisect-", mid);
    if (!o.pg_schema.empty()) o.pg_schema = cat(options.pg_schema, "_b", mid);
    if (run(o).ok) {
      lo = mid;
    } else {
      hi = mid;
    }
  }
  Options shortest = options;
  shortest.steps = hi;
  shortest.keep_trace = true;
  if (!shortest.dir.empty()) shortest.dir = cat(options.dir, "/shortest");
  if (!shortest.pg_schema.empty()) shortest.pg_schema = cat(options.pg_schema, "_short");
  const Outcome again = run(shortest);
  std::string report =
      cat("seed ", options.seed, " failed: ", failed.failure, "\n", "shortest failing prefix: ", hi,
          " steps (", again.failure, ")\n", "replay: tally_sim --seed ", options.seed, " --steps ",
          hi,
          options.store == StoreKind::sqlite     ? " --store sqlite"
          : options.store == StoreKind::postgres ? " --store postgres --pg-url URL"
                                                 : "",
          options.plant != Plant::none ? " (with the planted bug)" : "", "\n");
  const size_t from = again.trace.size() > 160 ? again.trace.size() - 160 : 0;
  if (from > 0) report += cat("... (", from, " earlier lines)\n");
  for (size_t i = from; i < again.trace.size(); ++i) report += cat("  ", again.trace[i], "\n");
  return report;
}

}  // namespace tally::sim
