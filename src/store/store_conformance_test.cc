// The conformance suite every Store backend passes (issue 5): batches of random commands are
// committed as the shard writer will commit them, and at random points the shard is loaded
// back and must equal the ledger field by field, continue identically, and verify clean.
// The backends are instantiated elsewhere (store_conformance.h).
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <memory>
#include <random>
#include <sstream>

#include "absl/strings/str_join.h"
#include "ledger/journal.h"
#include "ledger/ledger_state.h"
#include "ledger/test_support.h"
#include "ledger/text.h"
#include "store/lend.h"
#include "store/memory_store.h"
#include "store/store_conformance.h"

namespace tally::store {
namespace {

using testing::cr;

LedgerConfig config() {
  LedgerConfig c;
  c.track_changes = true;
  c.spend_retention_us = 2 * k_us_per_day;
  c.idempotency_retention_us = k_us_per_day;
  return c;
}

// A random but reproducible command (from `rng`) over three accounts.
Command random_command(std::mt19937_64& rng, const std::vector<HoldId>& holds,
                       const std::vector<SpendId>& spends) {
  static const char* const accounts[] = {"a", "b", "c"};
  static const char* const plans[] = {"basic", "pro", "miocai-free", "free"};
  auto pick = [&](size_t n) { return static_cast<size_t>(rng() % n); };
  const std::string account = accounts[pick(3)];
  const Credits amount = Credits::from_micro(static_cast<int64_t>(1 + pick(3000)) * 10'000);
  switch (pick(10)) {
    case 9:  // alerts and auto top-up, so that events of every kind are committed and the
             // settings stored
      switch (pick(3)) {
        case 0:
          return SetAlerts{account, Alerts{cr("40"), 2 * k_us_per_day}};
        case 1:
          return SetAlerts{account, Alerts{}};
        default:
          return SetAutoTopup{account, AutoTopupSettings{cr("30"), "p200", "USD", "IN"}};
      }
    case 0:
    case 1:
      return Grant{.account = account,
                   .source = static_cast<Source>(pick(k_source_count)),
                   .amount = Credits::from_micro(amount.micro * 3)};
    case 2:
      return PlaceHold{account, amount, "image", 3600 * k_us_per_second, "v1"};
    case 3:
      return holds.empty() ? Command{AdvanceTime{}}
                           : Command{Capture{holds[pick(holds.size())], std::nullopt}};
    case 4:
      return holds.empty() ? Command{AdvanceTime{}}
                           : Command{Release{holds[pick(holds.size())], ""}};
    case 5:
      return SpendNow{account, amount, "video", "v1"};
    case 6:
      return spends.empty() ? Command{AdvanceTime{}}
                            : Command{Refund{spends[pick(spends.size())], std::nullopt, ""}};
    case 7:
      return SetPlan{account, plans[pick(4)], std::nullopt};
    default:
      return Purchase{account, "p20", "USD", "", cat("pay-", pick(20))};
  }
}

struct Run {
  std::unique_ptr<Ledger> ledger;
  std::vector<Entry> journal;  // everything committed
};

void check_loaded_equals(Store& store, const Ledger& ledger) {
  auto loaded = store.load(0);
  ASSERT_TRUE(loaded.has_value()) << loaded.error().message;
  const std::string stored = dump_state(*loaded);
  const std::string live = dump_state(ledger.export_state());
  if (stored == live) return;
  // Show the first line that differs: the dumps are long.
  std::istringstream a(stored), b(live);
  std::string la, lb;
  while (std::getline(a, la) && std::getline(b, lb) && la == lb) {
  }
  ADD_FAILURE() << "the stored state differs from the ledger's\n stored: " << la
                << "\n ledger: " << lb;
}


TEST_P(StoreConformance, BatchesLoadBackExactlyAndContinueIdentically) {
  for (uint64_t seed = 1; seed <= 40; ++seed) {
    SCOPED_TRACE(cat("seed ", seed));
    std::mt19937_64 rng(seed);
    std::unique_ptr<Store> store = GetParam().make();
    auto ledger = std::make_unique<Ledger>(config(), testing::test_catalog());
    std::vector<Entry> pending;
    std::vector<Entry> committed;
    std::vector<Event> events;  // every event committed
    std::vector<HoldId> holds;
    std::vector<SpendId> spends;
    TimeUs now{1'767'225'600'000'000};
    for (const char* a : {"a", "b", "c"}) {
      ASSERT_TRUE(ledger->apply({cat("open-", a), OpenAccount{a}}, now, &pending).has_value());
    }
    for (int op = 0; op < 300; ++op) {
      now = add_us(now, static_cast<int64_t>(rng() % 4) * static_cast<int64_t>(rng() % 40'000) *
                            k_us_per_second);
      const Command command = random_command(rng, holds, spends);
      // What left memory comes back for the command that names it, as a shard does it.
      ASSERT_TRUE(lend_records(*ledger, *store, command).has_value());
      Result r = ledger->apply({cat("k", seed, "-", op), command}, now, &pending);
      const std::vector<std::string> bad = ledger->check_invariants();
      ASSERT_TRUE(bad.empty()) << "op " << op << ": " << absl::StrJoin(bad, "; ") << " cmd " << command.index() << " " << (r ? "ok" : error_code_name(r.error().code));
      if (r && std::holds_alternative<HoldReply>(*r)) holds.push_back(std::get<HoldReply>(*r).hold);
      if (r && std::holds_alternative<SpendReply>(*r))
        spends.push_back(std::get<SpendReply>(*r).spend);
      if (rng() % 4 != 0) continue;  // batches of about four commands
      StateDelta delta;
      ledger->take_delta(&delta);
      ASSERT_TRUE(store->commit(0, pending, delta).has_value());
      committed.insert(committed.end(), pending.begin(), pending.end());
      events.insert(events.end(), delta.events.begin(), delta.events.end());
      pending.clear();
      if (rng() % 8 == 0) {  // restart from the store
        check_loaded_equals(*store, *ledger);
        auto restarted = Ledger::from_state(config(), testing::test_catalog(), 0, *store->load(0));
        ASSERT_TRUE(restarted.has_value()) << restarted.error();
        ledger = std::move(*restarted);
      }
    }
    StateDelta delta;
    ledger->take_delta(&delta);
    ASSERT_TRUE(store->commit(0, pending, delta).has_value());
    committed.insert(committed.end(), pending.begin(), pending.end());
    events.insert(events.end(), delta.events.begin(), delta.events.end());
    check_loaded_equals(*store, *ledger);
    // The outbox holds exactly the events of the committed batches, in order, from seq 1.
    ASSERT_FALSE(events.empty());
    for (size_t i = 0; i < events.size(); ++i) ASSERT_EQ(events[i].seq, i + 1);
    const uint64_t events_after = events.size() / 3;
    for (const std::string account : {"", "a"}) {
      std::vector<Event> want, got;
      for (const Event& e : events) {
        if (e.seq > events_after && (account.empty() || e.account == account)) want.push_back(e);
      }
      ASSERT_TRUE(store
                      ->scan_events(0, events_after, account,
                                    [&](const Event& e) {
                                      got.push_back(e);
                                      return true;
                                    })
                      .has_value());
      EXPECT_EQ(got, want) << "account '" << account << "'";
    }
    std::vector<Entry> scanned;
    ASSERT_TRUE(store
                    ->scan_entries(0, 0,
                                   [&](const Entry& e) {
                                     scanned.push_back(e);
                                     return true;
                                   })
                    .has_value());
    EXPECT_EQ(scanned, committed);
    VerifyReport report = verify(*ledger, scanned);
    EXPECT_TRUE(report.ok()) << absl::StrJoin(report.differences, "\n");
    // One account's history, from the middle of the journal, equals the filtered journal.
    const uint64_t after = committed.empty() ? 0 : committed[committed.size() / 2].seq;
    for (const Account& a : ledger->accounts()) {
      std::vector<Entry> want, got;
      for (const Entry& e : committed) {
        if (e.account == a.id && e.seq > after) want.push_back(e);
      }
      ASSERT_TRUE(store
                      ->scan_account_entries(0, a.id, after,
                                             [&](const Entry& e) {
                                               got.push_back(e);
                                               return true;
                                             })
                      .has_value());
      EXPECT_EQ(got, want) << a.id;
    }
  }
}

TEST_P(StoreConformance, TeamEntriesKeepTheirMemberAndProject) {
  std::unique_ptr<Store> store = GetParam().make();
  Ledger ledger(config(), testing::test_catalog());
  std::vector<Entry> pending;
  TimeUs now{1'767'225'600'000'000};
  int key = 0;
  auto run = [&](Command c) {
    Result r = ledger.apply({cat("k", ++key), std::move(c)}, now, &pending);
    EXPECT_TRUE(r.has_value()) << (r ? "" : r.error().detail);
    return r;
  };
  run(OpenAccount{"t", "business", false, true, "olga"});
  run(AddMember{"t", "ana", Role::member});
  run(Grant{.account = "t", .source = Source::purchase, .amount = cr("100")});
  PlaceHold hold{"t", cr("30"), "image", 3600 * k_us_per_second, "v1"};
  hold.member = "ana";
  hold.project = "launch";
  Result held = run(hold);
  ASSERT_TRUE(held.has_value());
  run(Capture{std::get<HoldReply>(*held).hold, cr("20")});
  SpendNow spend{"t", cr("10"), "video", "v1"};
  spend.member = "olga";
  Result spent = run(spend);
  ASSERT_TRUE(spent.has_value());
  run(Refund{std::get<SpendReply>(*spent).spend, cr("4"), ""});
  StateDelta delta;
  ledger.take_delta(&delta);
  ASSERT_TRUE(store->commit(0, pending, delta).has_value());
  size_t named = 0;
  for (const Entry& e : pending) named += e.member.empty() ? 0 : 1;
  EXPECT_GE(named, 5u);  // hold, capture, release of the rest, spend, refund
  std::vector<Entry> got;
  ASSERT_TRUE(store
                  ->scan_account_entries(0, "t", 0,
                                         [&](const Entry& e) {
                                           got.push_back(e);
                                           return true;
                                         })
                  .has_value());
  EXPECT_EQ(got, pending);  // member and project included (Entry's operator==)
  check_loaded_equals(*store, ledger);
}

// Outcomes (issue 19): a spend's outcome, given with it or marked in a later batch, is what
// every backend loads and finds again.
TEST_P(StoreConformance, ASpendsOutcomeIsStoredAndLoaded) {
  std::unique_ptr<Store> store = GetParam().make();
  Ledger ledger(config(), testing::test_catalog());
  const TimeUs now{1'767'225'600'000'000};
  // Each command in its own committed batch.
  auto commit = [&, key = 0](Command c) mutable {
    std::vector<Entry> entries;
    Result r = ledger.apply({cat("k", ++key), std::move(c)}, now, &entries);
    EXPECT_TRUE(r.has_value()) << (r ? "" : r.error().detail);
    StateDelta delta;
    ledger.take_delta(&delta);
    EXPECT_TRUE(store->commit(0, entries, delta).has_value());
    return r;
  };
  commit(OpenAccount{"u", "", true});
  commit(Grant{.account = "u", .source = Source::purchase, .amount = cr("10")});
  SpendNow spend{"u", cr("2"), "image", "v1"};
  spend.outcome = Outcome::rejected;
  const SpendId rejected = std::get<SpendReply>(*commit(spend)).spend;
  const SpendId later = std::get<SpendReply>(*commit(SpendNow{"u", cr("1"), "image", "v1"})).spend;
  commit(MarkOutcome{later, Outcome::usable});
  check_loaded_equals(*store, ledger);
  for (const auto& [id, want] :
       {std::pair{rejected, Outcome::rejected}, {later, Outcome::usable}}) {
    auto found = store->find_spend(0, id);
    ASSERT_TRUE(found.has_value()) << found.error().message;
    ASSERT_TRUE(found->has_value());
    EXPECT_EQ((*found)->outcome, want);
  }
}

// The audit trail (issue 21): every change's line as the ledger wrote it into its batch, read
// back in seq order from every backend, narrowed by account, credential and time, and paged by
// seq; a refused command has none.
TEST_P(StoreConformance, TheAuditTrailHoldsEveryChangeWithItsCredential) {
  std::unique_ptr<Store> store = GetParam().make();
  Ledger ledger(config(), testing::test_catalog());
  std::mt19937_64 rng(7);
  const Credential credentials[] = {{CredentialKind::key, "admin", ""},
                                    {CredentialKind::key, "key_svc", ""},
                                    {CredentialKind::token, "tok_a", "ana"}};
  std::vector<AuditLine> want;
  std::vector<HoldId> holds;
  std::vector<SpendId> spends;
  TimeUs now{1'767'225'600'000'000};
  for (const char* a : {"a", "b", "c"}) {
    std::vector<Entry> entries;
    ASSERT_TRUE(
        ledger.apply({cat("open-", a), OpenAccount{a, "", true}, credentials[0]}, now, &entries)
            .has_value());
    StateDelta delta;
    ledger.take_delta(&delta);
    want.insert(want.end(), delta.audit.begin(), delta.audit.end());
    ASSERT_TRUE(store->commit(0, entries, delta).has_value());
  }
  for (int batch = 0; batch < 30; ++batch) {
    std::vector<Entry> entries;
    for (int i = 0; i < 4; ++i) {
      const Command c = random_command(rng, holds, spends);
      const Credential& by = credentials[rng() % 3];
      const std::string key = cat("b", batch, "-", i);
      Result r = ledger.apply({key, c, by}, now, &entries);
      if (r && std::holds_alternative<HoldReply>(*r)) holds.push_back(std::get<HoldReply>(*r).hold);
      if (r && std::holds_alternative<SpendReply>(*r))
        spends.push_back(std::get<SpendReply>(*r).spend);
    }
    StateDelta delta;
    ledger.take_delta(&delta);
    for (const AuditLine& l : delta.audit) {
      EXPECT_EQ(l.seq, want.size() + 1);  // from 1, no gap
      want.push_back(l);
    }
    ASSERT_TRUE(store->commit(0, entries, delta).has_value());
    now = TimeUs{now.us + k_us_per_second};
  }
  ASSERT_GT(want.size(), 40u);
  auto trail = [&](uint64_t after, const AuditFilter& f, size_t stop_at = SIZE_MAX) {
    std::vector<AuditLine> out;
    auto r = store->scan_audit(0, after, f, [&](const AuditLine& l) {
      out.push_back(l);
      return out.size() < stop_at;
    });
    EXPECT_TRUE(r.has_value()) << r.error().message;
    return out;
  };
  EXPECT_EQ(trail(0, {}), want);
  auto only = [&](auto keep) {
    std::vector<AuditLine> out;
    for (const AuditLine& l : want) {
      if (keep(l)) out.push_back(l);
    }
    return out;
  };
  EXPECT_EQ(trail(0, {.account = "b"}), only([](const AuditLine& l) { return l.account == "b"; }));
  EXPECT_EQ(trail(0, {.credential = "tok_a"}),
            only([](const AuditLine& l) { return l.by.id == "tok_a"; }));
  const TimeUs mid = want[want.size() / 2].at;
  EXPECT_EQ(trail(0, {.from = mid}), only([&](const AuditLine& l) { return l.at >= mid; }));
  EXPECT_EQ(trail(0, {.to = mid}), only([&](const AuditLine& l) { return l.at < mid; }));
  // Paged: after a seq, and stopped by the visitor.
  EXPECT_EQ(trail(want[9].seq, {}, 5),
            std::vector<AuditLine>(want.begin() + 10, want.begin() + 15));
  check_loaded_equals(*store, ledger);  // audit_seq loads back
}

TEST_P(StoreConformance, AFailedCommitWritesNothing) {
  std::unique_ptr<Store> inner = GetParam().make();
  FaultyStore store(inner.get());
  Ledger ledger(config(), testing::test_catalog());
  std::vector<Entry> out;
  StateDelta delta;
  TimeUs now{1'767'225'600'000'000};
  ASSERT_TRUE(ledger.apply({"open", OpenAccount{"u", "basic"}}, now, &out).has_value());
  ledger.take_delta(&delta);
  ASSERT_TRUE(store.commit(0, out, delta).has_value());
  const std::string before = dump_state(*store.load(0));
  out.clear();
  store.fail_commit_after(0);
  ASSERT_TRUE(
      ledger.apply({"spend", SpendNow{"u", cr("5"), "image", "v1"}}, now, &out).has_value());
  ledger.take_delta(&delta);
  EXPECT_FALSE(store.commit(0, out, delta).has_value());
  EXPECT_EQ(dump_state(*store.load(0)), before);  // the process stops; a restart sees this
  uint64_t last = 0;
  ASSERT_TRUE(store
                  .scan_entries(0, 0,
                                [&](const Entry& e) {
                                  last = e.seq;
                                  return true;
                                })
                  .has_value());
  EXPECT_EQ(last, 1u);
}

TEST_P(StoreConformance, ABatchThatDoesNotFollowTheJournalIsRefusedWhole) {
  std::unique_ptr<Store> store = GetParam().make();
  Ledger ledger(config(), testing::test_catalog());
  std::vector<Entry> out;
  StateDelta delta;
  TimeUs now{1'767'225'600'000'000};
  ASSERT_TRUE(ledger.apply({"open", OpenAccount{"u", "basic"}}, now, &out).has_value());
  ledger.take_delta(&delta);
  ASSERT_TRUE(store->commit(0, out, delta).has_value());
  const std::string before = dump_state(*store->load(0));
  // The same entries again (a writer bug, or a replay): refused, and nothing of it is written.
  ASSERT_TRUE(ledger.apply({"g", Grant{.account = "u", .amount = cr("5")}}, now, &out).has_value());
  ledger.take_delta(&delta);
  EXPECT_FALSE(store->commit(0, out, delta).has_value());
  EXPECT_EQ(dump_state(*store->load(0)), before);
}

TEST_P(StoreConformance, IdempotencyRecordsOutliveTheLedgersMemory) {
  std::unique_ptr<Store> store = GetParam().make();
  Ledger ledger(config(), testing::test_catalog());
  std::vector<Entry> out;
  StateDelta delta;
  TimeUs now{1'767'225'600'000'000};
  ASSERT_TRUE(ledger.apply({"open", OpenAccount{"u", "basic"}}, now, &out).has_value());
  Result first = ledger.apply({"job-1", SpendNow{"u", cr("5"), "image", "v1"}}, now, &out);
  ledger.take_delta(&delta);
  ASSERT_TRUE(store->commit(0, out, delta).has_value());
  EXPECT_FALSE(*store->has_cold_keys(0));
  out.clear();
  now = add_us(now, 2 * k_us_per_day);  // past the in-memory window
  ASSERT_TRUE(ledger.apply({"later", AdvanceTime{}}, now, &out).has_value());
  ledger.take_delta(&delta);
  ASSERT_TRUE(store->commit(0, out, delta).has_value());
  EXPECT_TRUE(store->load(0)->idempotency.empty());
  EXPECT_TRUE(*store->has_cold_keys(0));
  auto found = store->find_idempotency(0, "job-1");
  ASSERT_TRUE(found.has_value() && found->has_value());
  EXPECT_TRUE((*found)->result == first);
  EXPECT_FALSE(store->find_idempotency(0, "never-used")->has_value());
}

// A key the ledger let go and a client then used again for a new request is the ledger's
// again: loaded with its new reply, found with it, and the store still holds cold keys.
TEST_P(StoreConformance, AKeyUsedAgainAfterItWentColdIsLoadedWithItsNewReply) {
  std::unique_ptr<Store> store = GetParam().make();
  Ledger ledger(config(), testing::test_catalog());
  std::vector<Entry> out;
  StateDelta delta;
  TimeUs now{1'767'225'600'000'000};
  auto commit = [&] {
    ledger.take_delta(&delta);
    ASSERT_TRUE(store->commit(0, out, delta).has_value());
    out.clear();
  };
  ASSERT_TRUE(ledger.apply({"open", OpenAccount{"u", "basic"}}, now, &out).has_value());
  ASSERT_TRUE(ledger.apply({"job", SpendNow{"u", cr("5"), "image", "v1"}}, now, &out));
  commit();
  now = add_us(now, 2 * k_us_per_day);  // "open" and "job" leave the ledger's memory
  ASSERT_TRUE(ledger.apply({"tick", AdvanceTime{}}, now, &out).has_value());
  commit();
  EXPECT_FALSE(ledger.remembers("job"));
  Result again = ledger.apply({"job", SpendNow{"u", cr("2"), "image", "v1"}}, now, &out);
  ASSERT_TRUE(again.has_value());
  commit();
  check_loaded_equals(*store, ledger);  // "job" is loaded again, "open" is not
  auto loaded = store->load(0);
  ASSERT_TRUE(loaded.has_value());
  ASSERT_FALSE(loaded->idempotency.empty());
  EXPECT_EQ(loaded->idempotency.back().key, "job");  // the newest
  EXPECT_TRUE(loaded->idempotency.back().result == again);
  for (const IdempotencyRecord& r : loaded->idempotency) EXPECT_NE(r.key, "open");
  EXPECT_TRUE(*store->has_cold_keys(0));
  auto found = store->find_idempotency(0, "job");
  ASSERT_TRUE(found.has_value() && found->has_value());
  EXPECT_TRUE((*found)->result == again);
  EXPECT_TRUE(store->find_idempotency(0, "open")->has_value());  // cold, still there
}

// Spends, finished holds and drained lots leave the ledger's memory after its window
// (issue 14): load() no longer returns them, and the store finds each as last committed, for a
// refund or a capture that names it; lent back, a refund's change is stored and the spend
// leaves again.
TEST_P(StoreConformance, RecordsThatLeftMemoryAreFoundButNotLoaded) {
  std::unique_ptr<Store> store = GetParam().make();
  Ledger ledger(config(), testing::test_catalog());
  std::vector<Entry> out;
  TimeUs now{1'767'225'600'000'000};
  auto commit = [&] {
    StateDelta delta;
    ledger.take_delta(&delta);
    ASSERT_TRUE(store->commit(0, out, delta).has_value());
    out.clear();
    check_loaded_equals(*store, ledger);
  };
  ASSERT_TRUE(ledger.apply({"open", OpenAccount{"u"}}, now, &out).has_value());
  // An admin lot (a month) is spent before a purchased one (a year).
  auto granted = ledger.apply(
      {"g1", Grant{.account = "u", .source = Source::admin, .amount = cr("5")}}, now, &out);
  const LotId lot = std::get<GrantReply>(*granted).lot;
  ASSERT_TRUE(ledger.apply({"g2", Grant{.account = "u", .source = Source::purchase,
                                        .amount = cr("10")}},
                           now, &out).has_value());
  auto spent = ledger.apply({"s", SpendNow{"u", cr("5"), "image", "v1"}}, now, &out);
  const SpendId spend = std::get<SpendReply>(*spent).spend;
  auto held = ledger.apply({"h", PlaceHold{"u", cr("3"), "image"}}, now, &out);
  const HoldId hold = std::get<HoldReply>(*held).hold;
  ASSERT_TRUE(ledger.apply({"c", Capture{hold, cr("2")}}, now, &out).has_value());
  commit();
  now = add_us(now, 2 * k_us_per_minute);
  ASSERT_TRUE(ledger.apply({"tick", AdvanceTime{}}, now, &out).has_value());
  commit();
  EXPECT_EQ(ledger.find_spend(spend), nullptr);
  EXPECT_EQ(ledger.find_lot(lot), nullptr);  // drained, and no spend in memory keeps it
  EXPECT_TRUE(store->load(0)->spends.empty());
  auto found = store->find_spend(0, spend);
  ASSERT_TRUE(found.has_value() && found->has_value());
  EXPECT_EQ((*found)->amount, cr("5"));
  auto found_lot = store->find_lot(0, lot);
  ASSERT_TRUE(found_lot.has_value() && found_lot->has_value());
  EXPECT_EQ((*found_lot)->consumed, cr("5"));
  EXPECT_FALSE(store->find_spend(0, SpendId{spend.value + 1000})->has_value());
  EXPECT_TRUE(store->load(0)->finished_holds.empty());
  auto finished = store->find_finished_hold(0, hold);
  ASSERT_TRUE(finished.has_value() && finished->has_value());
  EXPECT_EQ((*finished)->state, HoldState::captured);

  // A refund lends it back; the store keeps the change; the lot, credited again, stays.
  const Command refund = Refund{spend, cr("2"), "failed"};
  ASSERT_TRUE(lend_records(ledger, *store, refund).has_value());
  ASSERT_TRUE(ledger.apply({"r", refund}, now, &out).has_value());
  commit();
  EXPECT_EQ(ledger.find_spend(spend), nullptr);
  EXPECT_EQ((*store->find_spend(0, spend))->refunded, cr("2"));
  ASSERT_NE(ledger.find_lot(lot), nullptr);
  EXPECT_EQ(ledger.find_lot(lot)->remaining, cr("2"));
  EXPECT_EQ(store->load(0)->accounts[0].lots.size(), 2u);
}

}  // namespace
}  // namespace tally::store
