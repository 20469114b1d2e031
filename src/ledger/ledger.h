// The ledger state machine of one shard: pure, deterministic, single-threaded.
//
// apply(request, now) first brings the ledger's time up to `now` (expiring lots at their
// exact instants and releasing holds whose TTL passed, in time order, rule 2 and rule 4), then
// applies the command and appends the entries it produced. Same configuration + same requests
// with the same times => byte-identical entries (DESIGN rule 10).
//
// Threads: none of its own; not thread-safe. One thread owns a Ledger (the shard thread).
// Memory: bounded per account. History is not kept: the entries go to the caller (the journal
// writer); finished holds and spends stay only for config.spend_retention_us, purchases for
// config.purchase_retention_us, idempotency keys for config.idempotency_retention_us. With a
// store (config.track_changes), idempotency records, finished holds and spends stay in memory
// only for config.memory_window_us (if shorter): then only the store holds them, and lends them
// back (lend_spend, lend_finished_hold) to a command that needs them.
// Lots: an account has at most config.lots_per_account_max lots with credits remaining or held
// (what it shows) from grants, rewards and refunds; past it they are refused (limit_exceeded).
// A purchase is money already taken and is never refused for a count of lots: its lots are
// bounded by the payments made, not by the ledger. A lot with nothing left stays in memory only
// while a retained spend or purchase refers to it (Lot::refs), so those lots are at most one per
// portion of a retained spend and two per retained purchase, and go with them.
#pragma once

#include <cstdint>
#include <deque>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "absl/container/btree_set.h"
#include "absl/container/flat_hash_map.h"
#include "absl/container/node_hash_map.h"
#include "catalog/catalog.h"
#include "ledger/command.h"
#include "ledger/config.h"
#include "ledger/entry.h"
#include "ledger/event.h"
#include "ledger/types.h"

namespace tally {

// An account on a plan. Periods are numbered from the anchor: period n runs from
// period_end(anchor, n - 1) (or the anchor) to period_end(anchor, n).
struct Subscription {
  std::string plan;
  bool past_due = false;              // allocations pause until resumed
  bool cancel_at_period_end = false;  // no renewal: the subscription ends at period_end
  TimeUs anchor;
  int64_t period = 0;
  TimeUs period_start;
  TimeUs period_end;
  Credits allocation;        // per period (the plan's, or the subscription's own when custom)
  bool allocated = false;    // this period's allocation was granted
  std::string pending_plan;  // a downgrade that takes effect at period_end
  std::optional<Credits> pending_allocation;

  // "past_due" if payment failed, else "cancelling" if it ends at period_end, else "active".
  std::string_view state() const;
};

struct Account {
  std::string id;
  std::vector<Lot> lots;  // always sorted in consumption order (lot_order.h)
  Credits balance;        // sum of lot remaining
  Credits held;           // sum of lot held
  // Lots with credits remaining or held (Lot::has_credits): what the account shows and what
  // counts against config.lots_per_account_max. A cache kept by post(), not stored: from_state
  // counts it again.
  uint32_t lots_with_credits = 0;
  uint32_t open_holds = 0;
  std::optional<Subscription> subscription;
  bool signup_granted = false;        // a plan's signup grant is given once per account
  TimeUs last_reward_day{INT64_MIN};  // start of the UTC day of the last daily reward
  Alerts alerts;                      // its own; unset ones are its plan's
  // Armed when available credits were last seen at or above the low-balance threshold (above
  // zero): the next fall below it produces balance.low (balance.depleted) and disarms.
  bool low_armed = false;
  bool depleted_armed = false;
  std::optional<AutoTopup> auto_topup;  // off when unset
  std::optional<Team> team;             // set: a team account (team.h)
};

// What the ledger remembers of a captured, released or timed-out hold.
struct FinishedHold {
  HoldState state = HoldState::released;
  TimeUs expires_at;  // its TTL end
  SpendId spend;      // the capture's spend
  TimeUs ended_at;
};

// A remembered request (rule 8): its key, when it ran, a digest of the command and the reply;
// `response` is the answer its caller gave, as bytes (the HTTP API's status and body), so that a
// retry gets it byte for byte (empty: none was attached).
struct IdempotencyRecord {
  std::string key;
  TimeUs at;
  CommandDigest fingerprint;
  Result result;
  std::string response;
};

// One change a request made, and who made it (issue 21's audit trail): the ledger writes it
// into the delta of the batch that makes the change durable, so a change is acknowledged with its
// line or not at all. Only a command that succeeded has one: a refusal (insufficient_credits, a
// conflict, ...) changes nothing, and neither does a retry or a job its plan includes.
struct AuditLine {
  uint64_t seq = 0;  // its position in the shard's trail: from 1, no gaps (as entries)
  TimeUs at;
  Credential by;
  std::string idempotency_key;
  std::string account;  // the account the command changed
  std::string action;   // command_name()
  friend bool operator==(const AuditLine&, const AuditLine&) = default;
};

// What a request whose key is remembered gets: the first result (or idempotency_conflict, with
// no response) and the first response.
struct Recalled {
  Result result;
  std::string response;
};

// A purchase the ledger can still void. Its pack, price and lots are those of its reply.
struct PurchaseRecord {
  uint64_t id = 0;
  uint32_t account = 0;
  std::string payment_ref;
  TimeUs at;
  bool voided = false;
  PurchaseReply reply;  // what a retried webhook gets
  CommandDigest fingerprint;
};

struct BalanceSummary {
  Credits available;  // spendable now: effective, unexpired remaining
  Credits pending;    // granted with a future effective time
  Credits held;
  Credits total;                                    // available + pending + held
  std::array<Credits, k_source_count> by_source{};  // available + pending, by lot source
  TimeUs next_expiry = TimeUs::never();             // earliest expiry of a lot with remaining
  Credits next_expiry_amount;                       // what expires then
};

// Micro-credits summed over a shard's whole life: 128 bits, so a system book cannot overflow
// however many credits pass through it (a single lot or account stays within int64).
using BookMicro = __int128;
// Decimal text of a book ("-125970000"), and back (nullopt unless exactly such text).
std::string format_book(BookMicro v);
std::optional<BookMicro> parse_book_micro(std::string_view s);

// The system books, recomputable from entries (journal.h).
struct SystemBooks {
  std::array<BookMicro, k_source_count> issuance{};  // negative: credits issued
  absl::flat_hash_map<std::string, BookMicro> consumption;
  BookMicro expired = 0;
  BookMicro voided = 0;
};

struct LedgerState;  // ledger_state.h
struct StateDelta;   // ledger_state.h

class Ledger {
 public:
  // `catalog` holds the plans and packs that subscriptions, rewards and purchases use.
  explicit Ledger(LedgerConfig config, std::shared_ptr<const Catalog> catalog = nullptr,
                  ShardId shard = 0);

  // Applies one request at `now` (>= every earlier now, and before k_time_max so that every time
  // computed from it can be written; both asserted). First runs the time-driven
  // work due by `now` (expiries, hold timeouts, renewals), whose entries are appended to `out`
  // whatever happens next; then the command, whose entries follow (none if it is refused or
  // a retry). Persist all of `out`, on success and failure alike. A retry (same key, same command)
  // returns the first result and changes nothing; the same key with another command is
  // idempotency_conflict. invalid_request results are not remembered.
  [[nodiscard]] Result apply(const Request& request, TimeUs now, std::vector<Entry>* out);

  // The same for a request answered without changing the books (a job its plan includes):
  // brings time up to `now`, then remembers the key with a NoChangeReply (or answers a retry or a
  // conflict as apply does).
  [[nodiscard]] Result apply_unchanged(const Request& request, TimeUs now,
                                       std::vector<Entry>* out);

  // The answer for `request` if its key is remembered: the first result and response when it is
  // the same command, idempotency_conflict otherwise; nullopt for a key the ledger does not
  // remember (a store may still know it). No side effects: callers look the key up before they
  // price or derive anything from the ledger's state (rule 8).
  std::optional<Recalled> recall(const Request& request) const;

  // Attaches the caller's answer to the record of `key`, which the last apply remembered; a
  // record that has one keeps it. Call before take_delta(), so the store gets both at once.
  void set_response(const std::string& key, std::string response);

  // --- Queries (no side effects; `now` only decides what is spendable) ---
  const Account* find_account(std::string_view id) const;
  // Whether an idempotency key is still in memory (else a store may still know it).
  bool remembers(const std::string& idempotency_key) const {
    return idempotency_.contains(idempotency_key) || leaving_.contains(idempotency_key);
  }
  BalanceSummary balance(const Account& account, TimeUs now) const;
  // The account's alert settings in force: its own, or its plan's (zero: none).
  Credits low_threshold(const Account& a) const;
  int64_t expiring_notice_us(const Account& a) const;
  // Why `member` (on `project`) may not debit `amount` from `a`, or nullopt: a personal account
  // takes neither; a team account needs a member that may spend, within every hard budget that
  // applies (checked as of `now`, rule 11).
  std::optional<LedgerError> check_team_debit(const Account& a, const std::string& member,
                                              const std::string& project, Credits amount,
                                              TimeUs now) const;
  // An open hold, or nullptr once it was captured, released or timed out.
  const Hold* find_hold(HoldId id) const;
  // The state of any hold the ledger still knows: open holds, and finished ones for
  // config.spend_retention_us (with the spend a capture made). nullopt if unknown.
  struct HoldStatus {
    HoldState state;
    SpendId spend;
  };
  std::optional<HoldStatus> hold_status(HoldId id) const;
  const Spend* find_spend(SpendId id) const;
  const Lot* find_lot(LotId id) const;
  std::span<const Account> accounts() const { return accounts_; }
  const SystemBooks& system_books() const { return books_; }
  const LedgerConfig& config() const { return config_; }
  const Catalog& catalog() const { return *catalog_; }
  // The catalog from the next command on (a configuration reload). Every plan a subscription
  // is on, or is to move to, must be in it (asserted): a reload may add plans, never remove
  // one (server/reload.h refuses that first). O(accounts).
  void set_catalog(std::shared_ptr<const Catalog> catalog);
  const PurchaseRecord* find_purchase(uint64_t id) const;
  // The purchase a payment_ref credited, while the ledger remembers it (purchase_retention_us).
  const PurchaseRecord* find_purchase_by_payment(std::string_view payment_ref) const;
  TimeUs now() const { return now_; }
  uint64_t last_seq() const { return seq_; }
  ShardId shard() const { return shard_; }

  // With config.track_changes: what changed since the last call, as rows to write (one
  // store transaction). Applying every delta in order to an exported state gives the current
  // export (apply_delta, ledger_state.h). O(changes). First returns what was lent and lets go
  // of the spends and finished holds whose memory window has passed (they stay in the store).
  void take_delta(StateDelta* delta);

  // --- Records that left memory (config.memory_window_us), lent back by the store ---
  // Whether `id` (of a hold or a spend) may name a record that left memory: this shard issued
  // it and the ledger does not hold it. Only then is the store asked.
  bool may_have_let_go(uint64_t id) const;
  // Lends `spend`, which left memory, back until take_delta(), with those of its lots that left
  // memory too (`lots`, as the store holds them): a refund of an older spend runs exactly as if
  // it had stayed. Returns the id of a lot found neither in memory nor in `lots` (the store is
  // missing a row; nothing was lent), or nullopt.
  std::optional<LotId> lend_spend(Spend spend, std::vector<Lot> lots);
  // The same for a hold that finished and left memory: a capture or release of it is answered
  // with how it finished, as before it left.
  void lend_finished_hold(HoldId id, FinishedHold hold);

  // Everything needed to continue exactly where this ledger is (ledger_state.h). O(state).
  LedgerState export_state() const;
  // A ledger that continues from `state` as the one that exported it would: the same
  // commands at the same times give byte-identical entries. Refused, with every violation
  // named, if the state breaks an invariant (a corrupt or half-written store).
  static std::expected<std::unique_ptr<Ledger>, std::string> from_state(
      LedgerConfig config, std::shared_ptr<const Catalog> catalog, ShardId shard,
      LedgerState state);

  // Checks every invariant of rule 9 on the whole state: no negative book, each lot's
  // conservation, account caches, and the zero sum of lots and system books. Returns one line
  // per violation (empty = sound). O(state); tests call it after every command.
  std::vector<std::string> check_invariants() const;

 private:
  // One movement on one lot, balanced by its counter book (see entry.h).
  struct Posting {
    EntryKind kind;
    Book counter = Book::none;
    Credits amount;  // change of the lot's remaining
    Credits held;    // change of the lot's held
    HoldId hold;
    SpendId spend;
    const std::string* tool = nullptr;
    const std::string* reason = nullptr;
    const std::string* member = nullptr;   // a team account's hold or spend: its member
    const std::string* project = nullptr;  // and project
  };
  struct Idempotent {
    CommandDigest fingerprint;
    Result result;
    TimeUs at;
    std::string response;
  };
  // apply() and apply_unchanged(): the command runs only when `execute`.
  Result run(const Request& request, TimeUs now, std::vector<Entry>* out, bool execute);
  const Idempotent* remembered(const std::string& key) const;

  Result execute(const Command& c, TimeUs now, std::vector<Entry>* out);
  Result open_account(const OpenAccount& c, TimeUs now, std::vector<Entry>* out);
  Result grant(const Grant& c, TimeUs now, std::vector<Entry>* out);
  Result place_hold(const PlaceHold& c, TimeUs now, std::vector<Entry>* out);
  Result capture(const Capture& c, TimeUs now, std::vector<Entry>* out);
  Result release(const Release& c, TimeUs now, std::vector<Entry>* out);
  Result spend_now(const SpendNow& c, TimeUs now, std::vector<Entry>* out);
  Result refund(const Refund& c, TimeUs now, std::vector<Entry>* out);
  Result mark_outcome(const MarkOutcome& c, TimeUs now);
  Result void_lot(const VoidLot& c, TimeUs now, std::vector<Entry>* out);
  Result set_plan(const SetPlan& c, TimeUs now, std::vector<Entry>* out);
  Result cancel_subscription(const CancelSubscription& c);
  Result mark_past_due(const MarkPastDue& c);
  Result resume_subscription(const ResumeSubscription& c, TimeUs now, std::vector<Entry>* out);
  Result claim_daily_reward(const ClaimDailyReward& c, TimeUs now, std::vector<Entry>* out);
  Result purchase(const Purchase& c, TimeUs now, std::vector<Entry>* out);
  Result void_purchase(const VoidPurchase& c, TimeUs now, std::vector<Entry>* out);
  Result set_alerts(const SetAlerts& c);
  Result set_auto_topup(const SetAutoTopup& c);
  Result end_auto_topup(uint64_t id, const std::string& reason, bool failed);
  // Teams (ledger_team.cc).
  Result add_member(const AddMember& c, TimeUs now);
  Result set_member_role(const SetMemberRole& c);
  Result remove_member(const RemoveMember& c);
  Result add_budget(const AddBudget& c, TimeUs now);
  Result update_budget(const UpdateBudget& c, TimeUs now);
  Result remove_budget(const RemoveBudget& c);
  // The team account `id`, or not_found / invalid_request (not a team).
  std::expected<uint32_t, LedgerError> team_account(const std::string& id) const;
  // A debit (`debit`, a hold's or a one-shot spend's id) counts against every budget of the
  // account that applies, emitting budget.threshold_reached and budget.exceeded for the budgets
  // it takes there first in their period; credits that come back (of the debit `debit`, counted
  // at `counted_at`) give back to those whose current period counted them.
  void count_budgets(uint32_t account, const std::string& member, const std::string& project,
                     Credits amount, uint64_t debit, TimeUs now);
  void uncount_budgets(uint32_t account, const std::string& member, const std::string& project,
                       Credits amount, uint64_t debit, TimeUs counted_at, TimeUs now);

  // Events (ledger/event.h, ledger_events.cc). With tracking only: they go to the store with
  // the delta of their batch (take_delta), like every other change.
  void emit(EventType type, uint32_t account, TimeUs at, Credits amount = {}, uint64_t ref = 0,
            TimeUs when = TimeUs::never(), std::string detail = {}, Credits threshold = {});
  // Balance alerts: an account is watched from before its first posting in a step (arming its
  // alerts from its available credits then), and checked once the step is done: a fall below a
  // threshold that was armed produces balance.low or balance.depleted.
  void watch_balance(uint32_t account, TimeUs at);
  void check_balances(TimeUs at);
  Credits available(const Account& a, TimeUs now) const;
  // Sets when credits.expiring is due for a lot of `account` that has none produced yet, given
  // the account's notice at `now` (never() without one), and schedules it.
  void set_notice(uint32_t account, Lot& lot, TimeUs now);
  // The notice of `id` is due at `at`: credits.expiring if credits remain.
  void run_notice(LotId id, TimeUs at);
  void run_notices_due(TimeUs now);
  // Auto top-up (ledger_topup.cc). After a step: asks for a top-up of `account` when it is
  // armed (or retrying) and below its threshold with no request outstanding.
  void check_auto_topup(uint32_t account, Credits available, TimeUs at);
  void request_auto_topup(uint32_t account, TimeUs at);
  // Its timer (a request timing out, or a retry after a failure) is due at `at`.
  void run_auto_topup_due(uint32_t account, TimeUs at);
  // The outstanding request ends (completed, failed, cancelled, timed out, turned off); with
  // `failed`, another is asked after the backoff.
  void settle_auto_topup(uint32_t account, TimeUs at, bool failed);
  void schedule_auto_topup(uint32_t account);
  void unschedule_auto_topup(uint32_t account);
  // A purchase with a request's payment_ref completes it.
  void complete_auto_topup(uint32_t account, const std::string& payment_ref);

  // Voids what remains of an open, unvoided lot.
  VoidReply void_open_lot(uint32_t account, LotId id, const std::string& reason, TimeUs now,
                          std::vector<Entry>* out);
  // Plans (ledger_plans.cc).
  // Starts a subscription to `plan` at `now` (first period, allocation, signup grant).
  void start_subscription(uint32_t account, const Plan& plan, Credits allocation, TimeUs now,
                          std::vector<Entry>* out, SubscriptionReply* reply);
  // Ends the current period at `at`: consolidates the plan's credits (subscription and
  // rollover lots), carrying min(remaining, cap) into one rollover lot expiring at `new_end`
  // and expiring the rest (rule 6). Returns the rollover lot, if any.
  LotId end_period(uint32_t account, Credits cap, TimeUs at, TimeUs period_end, TimeUs new_end,
                   std::vector<Entry>* out);
  void renew(uint32_t account, TimeUs at, std::vector<Entry>* out);
  LotId grant_allocation(uint32_t account, TimeUs now, std::vector<Entry>* out);
  // A lot granted by the ledger itself (allocations, rewards, purchases), counter issuance.
  LotId grant_internal(uint32_t account, Source source, Credits amount, TimeUs now,
                       TimeUs expires_at, const std::string& reference, const std::string& reason,
                       std::vector<Entry>* out, const CostBasis& cost_basis = {});
  // The plan's signup grant, if the account has never had one.
  LotId grant_signup_once(uint32_t account, const Plan& plan, TimeUs now, std::vector<Entry>* out);
  SubscriptionReply subscription_reply(const Account& a) const;
  // Moves a lot's expiry earlier to `at` (an upgrade ends the period early).
  void shorten_expiry(uint32_t account, LotId id, TimeUs at);
  std::expected<uint32_t, LedgerError> account_for(const std::string& id) const;
  // limit_exceeded if `amount` more would put the account past config.account_total_max.
  std::optional<LedgerError> check_room(const Account& a, Credits amount) const;
  // limit_exceeded if `more` new lots with credits would put the account past
  // config.lots_per_account_max. Purchases never ask.
  std::optional<LedgerError> check_lots(const Account& a, size_t more) const;
  // A grant's expiry from its Expiry and effective time; invalid_request if it is not after
  // `effective`, or if a validity would end at or after k_time_max.
  std::expected<TimeUs, LedgerError> grant_expiry(const Grant& c, TimeUs effective) const;
  // account_for, and not_subscribed unless the account has a subscription.
  std::expected<uint32_t, LedgerError> subscribed(const std::string& id) const;
  // Validates a hold or spend; returns the account's index.
  std::expected<uint32_t, LedgerError> check_debit(const std::string& account, Credits amount,
                                                   const std::string& tool,
                                                   const std::string& version,
                                                   const JobParams& params) const;

  // Time: runs every lot expiry and hold timeout due at or before `now`, in time order.
  AdvanceReply advance_to(TimeUs now, std::vector<Entry>* out);
  // Writes off a lot's remainder at its expiry; false if nothing remained.
  bool expire_lot(uint32_t account, LotId lot, TimeUs at, std::vector<Entry>* out);
  void prune_retained(TimeUs now);
  // Finished holds and spends kept for `kept_us` leave memory once it has passed at `now`.
  void let_go_finished(int64_t kept_us, TimeUs now);
  void let_go_spends(int64_t kept_us, TimeUs now);
  // How long a record kept for `retention_us` stays in memory.
  int64_t in_memory_us(int64_t retention_us) const;
  // At take_delta: what was lent goes back; spends and finished holds past their memory window
  // leave (their lots too, once nothing else keeps them).
  void return_lent();
  void release_memory();

  // Consumption (rule 1): the portions that pay `amount` for `tool`, or the shortfall.
  std::expected<Portions, LedgerError> choose_portions(const Account& a, Credits amount,
                                                       std::string_view tool, TimeUs now) const;
  // Returns credits of `portions` to their lots or refund lots (rule 3). `from_held` says
  // whether they come from a hold (release) or from consumption (refund).
  Restored restore(uint32_t account, const Portions& portions, bool from_held,
                   const std::string& tool, HoldId hold, SpendId spend, const std::string& reason,
                   TimeUs now, std::vector<Entry>* out);
  // Creates a refund lot of `amount` for credits of `origin` that came back after it expired.
  // `base` names the hold, spend, tool, reason, member and project its grant entry records.
  LotId refund_lot(uint32_t account, const Lot& origin, Credits amount, Book counter,
                   const Posting& base, TimeUs now, std::vector<Entry>* out);
  std::expected<Hold*, LedgerError> active_hold(HoldId id);
  // Finishes an open hold: it leaves holds_ (references to it dangle) for a small tombstone.
  // A refund lot created at `now` for credits of `origin`, which more of them may join.
  Lot* mergeable_refund_lot(uint32_t account, const Lot& origin, TimeUs now);
  void end_hold(Hold& h, HoldState state, SpendId spend, TimeUs now);
  void record_spend(SpendId id, uint32_t account, const Portions& portions, const std::string& tool,
                    const std::string& version, HoldId hold, TimeUs now);

  // Lots
  Lot& insert_lot(uint32_t account, Lot lot);  // with a new id
  // Puts `lot` (with its id) in consumption order and schedules its expiry; `tracked`: as a
  // change to write (a lot lent back by the store is not one until a command changes it).
  Lot& place_lot(uint32_t account, Lot lot, bool tracked = true);
  // Inserts `lot` and posts its grant entry (kind, amount set here; counter and references
  // from `grant`).
  LotId create_lot(uint32_t account, Lot lot, Posting grant, TimeUs now, std::vector<Entry>* out);
  Lot* lot_in(uint32_t account, LotId id);
  // Change tracking (config.track_changes): what take_delta() will report.
  void touch(uint32_t account);
  // The same, and the lot `id` of that account changed (it is written again).
  void touch_lot(uint32_t account, LotId id);
  // With tracking: the audit line of `request`, which succeeded and made the entries `made`.
  void audit(const Request& request, TimeUs now, std::span<const Entry> made);
  struct Changes {
    std::vector<uint32_t> accounts;
    std::vector<bool> account_dirty;
    std::vector<LotId> lots_put, lots_gone;
    std::vector<std::pair<uint32_t, Lot>> lots_left;  // the lots gone, as they left, by account
    std::vector<HoldId> holds_put, holds_gone;
    std::vector<HoldId> finished_put, finished_gone;
    std::vector<SpendId> spends_put, spends_gone;
    std::vector<uint64_t> purchases_put, purchases_gone;
    std::vector<std::string> idempotency_put, idempotency_gone;
    std::vector<Event> events;
    std::vector<AuditLine> audit;
  };
  Changes changes_;
  bool tracking() const { return config_.track_changes; }

  // A retained spend or purchase starts or stops keeping `id` in memory (Lot::refs).
  void ref_lot(uint32_t account, LotId id);
  void unref_lot(uint32_t account, LotId id);
  // Forgets a lot with nothing remaining, held or refundable into it.
  void maybe_drop_lot(uint32_t account, LotId id);
  void post(uint32_t account, LotId lot, const Posting& p, TimeUs at, std::vector<Entry>* out);
  uint64_t next_id();

  std::optional<LedgerError> check_text(std::string_view what, std::string_view text, uint32_t max,
                                        bool required) const;

  LedgerConfig config_;
  ShardId shard_;
  TimeUs now_{INT64_MIN};
  uint64_t seq_ = 0;
  uint64_t id_counter_ = 0;
  uint64_t event_seq_ = 0;
  uint64_t audit_seq_ = 0;         // the last audit line's seq
  std::vector<uint32_t> watched_;  // accounts posted to in the current step (check_balances)

  std::vector<Account> accounts_;
  absl::flat_hash_map<std::string, uint32_t> account_index_;
  absl::flat_hash_map<LotId, uint32_t> lot_account_;
  absl::flat_hash_map<HoldId, Hold> holds_;  // open holds only
  absl::flat_hash_map<HoldId, FinishedHold> finished_;
  absl::flat_hash_map<SpendId, Spend> spends_;
  SystemBooks books_;
  std::shared_ptr<const Catalog> catalog_;
  absl::flat_hash_map<uint64_t, PurchaseRecord> purchases_;
  absl::flat_hash_map<std::string, uint64_t> purchase_by_payment_;
  std::deque<std::pair<TimeUs, uint64_t>> purchase_order_;

  // Time-ordered work. At the same instant renewals run first (they consolidate the plan
  // credits that expire then), then lot expiries, then hold timeouts (so a hold on a lot that
  // expires when the hold times out returns its portion as a refund lot).
  absl::btree_set<std::pair<TimeUs, uint32_t>> renewals_;  // period ends, by account
  absl::btree_set<std::pair<TimeUs, LotId>> lot_expiries_;
  absl::btree_set<std::pair<TimeUs, HoldId>> hold_timeouts_;
  absl::btree_set<std::pair<TimeUs, LotId>> notices_;  // Lot::notice_at, run after the above
  // Auto top-up timers, by account: a request's timeout, or a retry after a failure; then the
  // outstanding requests by id.
  absl::btree_set<std::pair<TimeUs, uint32_t>> topup_timers_;
  absl::flat_hash_map<uint64_t, uint32_t> topup_pending_;
  // Retention: finished holds and spends, idempotency keys, in the order they finish.
  std::deque<std::pair<TimeUs, HoldId>> finished_holds_;
  std::deque<std::pair<TimeUs, SpendId>> retained_spends_;
  // Node map: the order queue points at its keys, which must not move.
  absl::node_hash_map<std::string, Idempotent> idempotency_;
  std::deque<std::pair<TimeUs, const std::string*>> idempotency_order_;
  // With tracking: records let go since the last take_delta. Until the delta reaches the store,
  // a retry of their key in the same batch could be found nowhere else, and would run again;
  // the ledger answers it from here (found by the simulator, issue 7).
  absl::flat_hash_map<std::string, Idempotent> leaving_;
  // Lent by the store until take_delta (in spends_ and finished_, not in the retention queues).
  std::vector<SpendId> lent_spends_;
  std::vector<HoldId> lent_finished_;
  std::vector<std::pair<uint32_t, LotId>> lent_lots_;  // lots put back for lent spends
};

}  // namespace tally
