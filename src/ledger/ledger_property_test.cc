// Property tests (rapidcheck): random command sequences with random time jumps. After every
// command every invariant holds and `verify` is clean; the same sequence replayed gives
// byte-identical entries. A failure prints rapidcheck's seed and the shrunk sequence.
#include <gtest/gtest.h>
#include <rapidcheck.h>
#include <rapidcheck/gtest.h>

#include <map>

#include "absl/strings/str_join.h"
#include "ledger/journal.h"
#include "ledger/ledger.h"
#include "ledger/ledger_state.h"
#include "ledger/test_support.h"
#include "ledger/text.h"

namespace tally {
namespace {

struct Op {
  int kind = 0;     // which command
  int account = 0;  // 0..2
  int amount = 1;   // centi-credits 1..5000
  int pick = 0;     // which earlier hold, spend or lot
  int source = 0;   // 0..7
  int expiry = 0;   // 0 default, 1 never, 2.. minutes * 97
  int dt_s = 0;     // time advance before the command
  bool reuse_key = false;
};

}  // namespace
}  // namespace tally

namespace rc {
template <>
struct Arbitrary<tally::Op> {
  static Gen<tally::Op> arbitrary() {
    using tally::Op;
    return gen::build<Op>(
        gen::set(&Op::kind, gen::inRange(0, 28)), gen::set(&Op::account, gen::inRange(0, 3)),
        gen::set(&Op::amount, gen::inRange(1, 5000)), gen::set(&Op::pick, gen::inRange(0, 64)),
        gen::set(&Op::source, gen::inRange(0, 8)), gen::set(&Op::expiry, gen::inRange(0, 40)),
        gen::set(&Op::dt_s, gen::weightedOneOf<int>({{6, gen::just(0)},
                                                     {6, gen::inRange(1, 900)},
                                                     {2, gen::inRange(900, 3 * 86400)},
                                                     {1, gen::inRange(86400, 40 * 86400)}})),
        gen::set(&Op::reuse_key,
                 gen::weightedOneOf<bool>({{9, gen::just(false)}, {1, gen::just(true)}})));
  }
};
}  // namespace rc

namespace tally {
namespace {

const char* const k_accounts[] = {"a", "b", "c"};
const char* const k_tools[] = {"image", "video"};
// Team account "t" (issue 17): ann owns it, bob is a member and cy a viewer from the start; dee
// and eve may join; fay never does.
const char* const k_users[] = {"ann", "bob", "cy", "dee", "eve", "fay"};
const char* const k_projects[] = {"", "alpha", "beta"};

using Budgets = std::map<std::string, Budget>;
Budgets team_budgets(const Ledger& l) {
  Budgets out;
  for (const Budget& b : l.find_account("t")->team->budgets) out.emplace(b.spec.id, b);
  return out;
}

// Rule 11 after one command: no debit takes a hard budget past its limit (one is past it only
// when an update lowered its limit or made it hard below its usage; then its usage only falls
// until its period ends), and a debit refused for its member, role or budget writes nothing.
void check_budgets(const Command& c, const Result& r, const Budgets& before, const Budgets& after,
                   size_t entries_written) {
  const auto* update = std::get_if<UpdateBudget>(&c);
  for (const auto& [id, b] : after) {
    if (b.spec.mode != BudgetMode::hard || b.used <= b.spec.limit) continue;
    if (update != nullptr && r && update->id == id) continue;
    auto was = before.find(id);
    RC_ASSERT(was != before.end());
    RC_ASSERT(was->second.created_at == b.created_at);
    RC_ASSERT(was->second.period_index == b.period_index);
    RC_ASSERT(was->second.used > was->second.spec.limit);
    RC_ASSERT(b.used <= was->second.used);
  }
  if (r) return;
  const ErrorCode code = r.error().code;
  if (code != ErrorCode::not_a_member && code != ErrorCode::forbidden &&
      code != ErrorCode::budget_exceeded) {
    return;
  }
  RC_ASSERT(entries_written == 0u);
  RC_ASSERT(before.size() == after.size());
  for (const auto& [id, b] : after) RC_ASSERT(before.at(id).used == b.used);
}

// Runs `ops` against a fresh ledger, asserting the invariants after every command; returns
// the journal as canonical text.
// With `restart_at` < ops.size(), the ledger is exported before that op and the rest runs on
// a ledger rebuilt from the export (what a restart from the store does).
// With `check_deltas`, the deltas taken after every command are applied to a copy of the
// state (what a store holds) and compared with the ledger's own export.
std::string run_ops(const std::vector<Op>& ops, ConsumptionPolicy policy,
                    size_t restart_at = SIZE_MAX, bool check_deltas = false,
                    bool team_only = false) {
  LedgerConfig config;
  config.policy = policy;
  config.spend_retention_us = 20 * k_us_per_day;
  config.idempotency_retention_us = 10 * k_us_per_day;
  config.track_changes = true;
  // No store lends back what leaves memory here: records stay for their retention, as without
  // one (the simulator and the store tests cover the memory window).
  config.memory_window_us = config.spend_retention_us;
  auto owned = std::make_unique<Ledger>(config, testing::test_catalog());
  Ledger* ledger_ptr = owned.get();
  // What a store would hold: the deltas applied, one per command, to an empty state.
  LedgerState stored = ledger_ptr->export_state();
  StateDelta delta;
  const char* const plans[] = {"basic",          "pro",       "business", "free", "miocai-free",
                               "miocai-premium", "enterprise"};
  const char* const packs[] = {"p20", "p200", "forever", "p50"};
  std::vector<uint64_t> purchases;
  std::vector<Entry> journal;
  TimeUs now{1'767'225'600'000'000};  // 2026-01-01
  std::vector<HoldId> holds;
  // The team's debits, to capture, release and refund in part (the general picks rarely land
  // on them, or take less than they could).
  std::vector<std::pair<HoldId, Credits>> team_holds;
  std::vector<std::pair<SpendId, Credits>> team_spends;
  std::vector<SpendId> spends;
  std::vector<LotId> lots;
  std::vector<Request> sent;
  for (const char* a : k_accounts) {
    RC_ASSERT(ledger_ptr->apply({cat("open-", a), OpenAccount{a}}, now, &journal).has_value());
  }
  RC_ASSERT(
      ledger_ptr->apply({"open-t", OpenAccount{"t", "business", false, true, "ann"}}, now, &journal)
          .has_value());
  RC_ASSERT(
      ledger_ptr->apply({"bob", AddMember{"t", "bob", Role::member}}, now, &journal).has_value());
  RC_ASSERT(
      ledger_ptr->apply({"cy", AddMember{"t", "cy", Role::viewer}}, now, &journal).has_value());
  ledger_ptr->take_delta(&delta);  // a store commits what it is told before anything else
  apply_delta(&stored, delta);
  for (size_t i = 0; i < ops.size(); ++i) {
    const Op& op = ops[i];
    if (i == restart_at) {
      auto restarted =
          Ledger::from_state(config, testing::test_catalog(), 0, ledger_ptr->export_state());
      if (!restarted) RC_FAIL(cat("restart refused: ", restarted.error()));
      owned = std::move(*restarted);
      ledger_ptr = owned.get();
    }
    now = add_us(now, int64_t{op.dt_s} * k_us_per_second);
    const std::string account = k_accounts[op.account];
    const Credits amount = Credits::from_micro(int64_t{op.amount} * 10'000);
    const std::string tool = k_tools[op.pick % 2];
    auto pick = [&](const auto& v) { return v.empty() ? decltype(v[0]){} : v[op.pick % v.size()]; };
    Command c;
    // Team only: the team's commands, and time passing (a tenth of the ops).
    const int kind = !team_only ? op.kind : op.kind < 3 ? 9 : 18 + op.kind % 10;
    switch (kind) {
      case 0:
      case 1: {
        // Grants are larger than debits, so that most debits find credits to take.
        Grant g{.account = account,
                .source = static_cast<Source>(op.source),
                .amount = Credits::from_micro(amount.micro * 3)};
        if (op.expiry == 1) g.expiry = {Expiry::Mode::never, {}, {}};
        if (op.expiry >= 2) {
          g.expiry = {Expiry::Mode::at, add_us(now, int64_t{op.expiry} * 97 * k_us_per_minute), {}};
        }
        if (op.pick % 5 == 0) g.scope = {tool};
        if (op.pick % 7 == 0) g.effective_at = add_us(now, int64_t{op.pick} * k_us_per_minute);
        c = g;
        break;
      }
      case 2:
      case 3:
        c = PlaceHold{account, amount, tool, int64_t{op.expiry + 1} * 60 * k_us_per_second, "v1"};
        break;
      case 4:
        c = Capture{pick(holds), op.pick % 3 == 0 ? std::optional<Credits>{} : amount};
        break;
      case 5:
        c = Release{pick(holds), "failed"};
        break;
      case 6:
        c = SpendNow{account, amount, tool, "v1"};
        break;
      case 7:
        c = Refund{pick(spends), op.pick % 2 ? std::optional<Credits>{} : amount, "r"};
        break;
      case 8:
        c = VoidLot{pick(lots), "charge-back"};
        break;
      case 9:
        c = AdvanceTime{};
        break;
      case 10:
        c = Capture{pick(holds), std::nullopt};
        break;
      case 11:
      case 12: {
        const char* plan = plans[static_cast<size_t>(op.pick) % std::size(plans)];
        std::optional<Credits> allocation;
        if (std::string_view(plan) == "enterprise") allocation = amount;
        c = SetPlan{account, plan, allocation};
        break;
      }
      case 13:
        c = CancelSubscription{account};
        break;
      case 14:
        if (op.pick % 2) {
          c = MarkPastDue{account};
        } else {
          c = ResumeSubscription{account};
        }
        break;
      case 15:
        c = ClaimDailyReward{account};
        break;
      case 16:
        c = Purchase{account, packs[static_cast<size_t>(op.pick) % std::size(packs)], "USD",
                     op.source % 2 ? "IN" : "", cat("pay-", op.amount % 50)};
        break;
      // Team account "t": members, budgets and debits by members and others.
      case 18: {
        const Role role = static_cast<Role>(op.source % (k_role_last + 1));
        c = AddMember{"t", k_users[op.pick % 5], role};
        if (op.pick % 3 == 0) c = SetMemberRole{"t", k_users[op.pick % 5], role};
        break;
      }
      case 19:
        c = RemoveMember{"t", k_users[op.pick % 5]};
        break;
      case 20: {
        AddBudget b;
        b.account = "t";
        const int on = op.pick % 3;
        b.spec = BudgetSpec{cat("b", op.source % 4),
                            on == 1 ? "" : k_users[op.pick % 2],
                            on == 0 ? "" : k_projects[1 + op.amount % 2],
                            Credits::from_micro(amount.micro / 2),
                            static_cast<BudgetPeriod>(op.expiry % (k_budget_period_last + 1)),
                            {},
                            op.source % 3 == 0 ? BudgetMode::soft : BudgetMode::hard};
        // Anchored up to 9 days either way (add_us only moves forward).
        if (op.amount % 2 == 0)
          b.anchor = TimeUs{now.us + int64_t{op.pick - 32} * 7 * k_us_per_hour};
        c = b;
        break;
      }
      case 21:
        if (op.pick % 3 == 0) {
          c = RemoveBudget{"t", cat("b", op.source % 4)};
        } else {
          c = UpdateBudget{
              "t", cat("b", op.source % 4),
              op.pick % 3 == 1 ? std::optional<Credits>{amount} : std::nullopt,
              op.expiry % 2
                  ? std::optional<BudgetMode>{}
                  : std::optional<BudgetMode>{op.expiry % 4 ? BudgetMode::hard : BudgetMode::soft}};
        }
        break;
      case 22:
      case 23: {
        PlaceHold h{"t", amount, tool, int64_t{op.expiry + 1} * 60 * k_us_per_second, "v1"};
        h.member = k_users[op.pick % 6];
        h.project = k_projects[op.source % 3];
        c = h;
        break;
      }
      case 24: {
        SpendNow sp{"t", amount, tool, "v1"};
        sp.member = k_users[op.pick % 6];
        sp.project = k_projects[op.source % 3];
        c = sp;
        break;
      }
      case 26:
        if (!team_holds.empty()) {
          const auto& [hold, held] = team_holds[static_cast<size_t>(op.pick) % team_holds.size()];
          if (op.source % 3 == 0) {
            c = Release{hold, "failed"};
          } else {
            c = Capture{hold, Credits::from_micro(held.micro / (1 + op.source % 3))};
          }
          break;
        }
        [[fallthrough]];
      case 27:
        if (!team_spends.empty()) {
          const auto& [spend, spent] =
              team_spends[static_cast<size_t>(op.pick) % team_spends.size()];
          c = Refund{spend, Credits::from_micro(spent.micro / (1 + op.source % 3)), "r"};
          break;
        }
        [[fallthrough]];
      case 25:
        c = Grant{.account = "t",
                  .source = Source::purchase,
                  .amount = Credits::from_micro(amount.micro * 3)};
        break;
      default:
        c = VoidPurchase{pick(purchases), "charge-back"};
        break;
    }
    Request req{cat("k", i), c};
    if (op.reuse_key && !sent.empty()) req = sent[static_cast<size_t>(op.pick) % sent.size()];
    sent.push_back(req);
    // Time first, as a shard does: what it brings (expiries, timeouts, renewals) is not the
    // command's, which is then alone in what it writes and changes.
    (void)ledger_ptr->apply(Request{"", AdvanceTime{}}, now, &journal);
    const Budgets budgets_before = team_budgets(*ledger_ptr);
    const size_t journal_before = journal.size();
    Result r = ledger_ptr->apply(req, now, &journal);
    check_budgets(req.command, r, budgets_before, team_budgets(*ledger_ptr),
                  r ? 0 : journal.size() - journal_before);
    if (r) {
      if (auto* g = std::get_if<GrantReply>(&*r)) lots.push_back(g->lot);
      if (auto* h = std::get_if<HoldReply>(&*r)) holds.push_back(h->hold);
      if (auto* s = std::get_if<SpendReply>(&*r)) spends.push_back(s->spend);
      if (auto* cap = std::get_if<CaptureReply>(&*r)) spends.push_back(cap->spend);
      const bool team_debit = (std::holds_alternative<PlaceHold>(req.command) &&
                               std::get<PlaceHold>(req.command).account == "t") ||
                              (std::holds_alternative<SpendNow>(req.command) &&
                               std::get<SpendNow>(req.command).account == "t");
      if (auto* h = std::get_if<HoldReply>(&*r); h && team_debit) {
        team_holds.emplace_back(h->hold, h->amount);
      }
      if (auto* s = std::get_if<SpendReply>(&*r); s && team_debit) {
        team_spends.emplace_back(s->spend, s->amount);
      }
      if (auto* cap = std::get_if<CaptureReply>(&*r); cap && !cap->captured.is_zero()) {
        team_spends.emplace_back(cap->spend, cap->captured);  // a personal one is refunded too
      }
      if (auto* p = std::get_if<PurchaseReply>(&*r)) purchases.push_back(p->purchase);
    }
    ledger_ptr->take_delta(&delta);
    apply_delta(&stored, delta);
    if (check_deltas && dump_state(stored) != dump_state(ledger_ptr->export_state())) {
      RC_FAIL(cat("after op ", i, " the stored deltas differ from the state:\n", dump_state(stored),
                  "--- state ---\n", dump_state(ledger_ptr->export_state())));
    }
    auto bad = ledger_ptr->check_invariants();
    if (!bad.empty()) RC_FAIL(cat("after op ", i, ": ", absl::StrJoin(bad, "; ")));
    VerifyReport report = verify(*ledger_ptr, journal);
    if (!report.ok()) {
      RC_FAIL(cat("after op ", i, ": ", absl::StrJoin(report.differences, "; ")));
    }
  }
  std::string text;
  for (const Entry& e : journal) text += cat(format_entry(e), "\n");
  return text;
}

RC_GTEST_PROP(LedgerProperty, RandomCommandsKeepEveryInvariantExpiryFirst,
              (const std::vector<Op>& ops)) {
  run_ops(ops, ConsumptionPolicy::expiry_first, SIZE_MAX, /*check_deltas=*/true);
}

// The team's commands alone, so that its budgets see long runs of debits, captures, releases,
// refunds and period boundaries: every budget's usage is counted again after each
// (check_invariants) and no debit takes a hard one past its limit.
RC_GTEST_PROP(LedgerProperty, RandomTeamCommandsKeepEveryBudget, (const std::vector<Op>& ops)) {
  run_ops(ops, ConsumptionPolicy::expiry_first, SIZE_MAX, /*check_deltas=*/false,
          /*team_only=*/true);
}

RC_GTEST_PROP(LedgerProperty, RandomCommandsKeepEveryInvariantPriorityFirst,
              (const std::vector<Op>& ops)) {
  run_ops(ops, ConsumptionPolicy::priority_first, SIZE_MAX, /*check_deltas=*/true);
}

// A ledger rebuilt from its exported state continues exactly as the original would have.
RC_GTEST_PROP(LedgerProperty, RestartFromExportedStateContinuesIdentically,
              (const std::vector<Op>& ops)) {
  const size_t restart_at = *rc::gen::inRange<size_t>(0, ops.size() + 1);
  RC_ASSERT(run_ops(ops, ConsumptionPolicy::expiry_first) ==
            run_ops(ops, ConsumptionPolicy::expiry_first, restart_at));
}

RC_GTEST_PROP(LedgerProperty, ReplayGivesByteIdenticalEntries, (const std::vector<Op>& ops)) {
  RC_ASSERT(run_ops(ops, ConsumptionPolicy::expiry_first) ==
            run_ops(ops, ConsumptionPolicy::expiry_first));
}

}  // namespace
}  // namespace tally
