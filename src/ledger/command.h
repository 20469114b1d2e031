// Commands the ledger applies, and the replies it gives. A command is plain data: amounts are
// already priced (the ledger never prices, DESIGN §4), times come from the caller.
#pragma once

#include <cstdint>
#include <expected>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "catalog/catalog.h"
#include "ledger/config.h"
#include "ledger/errors.h"
#include "ledger/team.h"
#include "ledger/types.h"

namespace tally {

// Opens an account; with a plan (or the catalog's default plan when `plan` is empty and
// `no_plan` is false) it also subscribes and applies the plan's signup grant.
// A team account (issue 17) is opened with its first member, `owner`, in the owner role; its
// plan must allow teams (Plan::team_members).
struct OpenAccount {
  std::string account;
  std::string plan;
  bool no_plan = false;
  bool team = false;
  std::string owner;  // team accounts only
};

// When a granted lot expires: the source's default (rule 5), an instant, never, or a validity
// counted from the lot's effective time.
struct Expiry {
  enum class Mode : uint8_t { source_default, at, never, valid_for };
  Mode mode = Mode::source_default;
  TimeUs at;
  Validity valid_for;
};

struct Grant {
  std::string account;
  Source source = Source::admin;
  Credits amount;
  std::optional<TimeUs> effective_at;  // default: now; a later time is not spendable until then
  Expiry expiry;
  std::vector<std::string> scope;  // tools the lot may pay for; empty = every tool
  CostBasis cost_basis;
  std::string reference;
  std::string reason;
};

// A hold or spend is given its amount, or priced from a tool's parameters. A priced one keeps
// the parameters it was priced from (`params`, `priced`): they, not the amount, price book
// version or plan they led to, are what the client asked, so they are what tells a retry from a
// conflict (rule 8), and a hold keeps them so that a capture's usage overrides only what it names.
struct PlaceHold {
  std::string account;
  Credits amount;
  std::string tool;
  std::optional<int64_t> ttl_us;  // default config.hold_ttl_default_us, at most hold_ttl_max_us
  std::string price_book_version;
  // Priced by the caller from `tool` and `params` (`amount`, `price_book_version` and `plan` are
  // what the pricing gave), rather than given by the client.
  bool priced = false;
  JobParams params;  // what it was priced from (may be empty: the tool's defaults)
  std::string plan;  // the account's plan the price was computed for
  // Team accounts (team.h): the member who debits (required) and the project (optional).
  std::string member;
  std::string project;
};

struct Capture {
  HoldId hold;
  std::optional<Credits> amount;  // default: everything held; the rest is released
  bool priced = false;  // `amount` was priced by the caller from `usage` and the hold
  JobParams usage;      // the usage it was priced from
  Outcome outcome = Outcome::none;  // what the job's output turned out to be, if known yet
};

struct Release {
  HoldId hold;
  std::string reason;
};

struct SpendNow {
  std::string account;
  Credits amount;
  std::string tool;
  std::string price_book_version;
  bool priced = false;  // as PlaceHold's
  JobParams params;
  std::string member;  // as PlaceHold's
  std::string project;
  Outcome outcome = Outcome::none;  // as Capture's
};

struct Refund {
  SpendId spend;
  std::optional<Credits> amount;  // default: everything not yet refunded
  std::string reason;
};

struct VoidLot {
  LotId lot;
  std::string reason;
};

// Subscription lifecycle (issue 4, DESIGN rule 6). SetPlan starts a subscription, or changes
// plan: a higher tier is an upgrade that takes effect now (the current period ends with a
// rollover under the old plan's cap and a full period of the new plan starts); a lower or equal
// tier takes effect at the period end. Setting the current plan again cancels a pending change
// or cancellation.
struct SetPlan {
  std::string account;
  std::string plan;
  std::optional<Credits> allocation;  // plans with custom_allocation only (enterprise)
};
struct CancelSubscription {  // takes effect at the period end
  std::string account;
};
struct MarkPastDue {  // payment failed: allocations pause until ResumeSubscription
  std::string account;
};
struct ResumeSubscription {  // payment recovered: this period's allocation is granted if missing
  std::string account;
};

// One daily reward per UTC day, from the account's plan (with member boost and any season).
struct ClaimDailyReward {
  std::string account;
};

// A pack bought with money. `payment_ref` identifies the payment: a webhook retried with the
// same reference (under any idempotency key) gets the first reply and changes nothing.
struct Purchase {
  std::string account;
  std::string pack;
  std::string currency;  // ISO 4217
  std::string region;    // empty = the pack's price for any region
  std::string payment_ref;
};

// Charge-back of a purchase: voids what remains of its lots (the pack's and its bonus).
struct VoidPurchase {
  uint64_t purchase = 0;
  std::string reason;
};

// An account's alert settings (issue 18, docs/events.md): each unset one is its plan's.
// balance.low fires when available credits fall below `low_balance` (zero: never);
// credits.expiring when a lot with credits remaining is within `expiring_notice_us` of its
// expiry (zero: never).
struct Alerts {
  std::optional<Credits> low_balance;
  std::optional<int64_t> expiring_notice_us;
  friend bool operator==(const Alerts&, const Alerts&) = default;
};
// Replaces the account's alert settings (an unset field goes back to the plan's).
struct SetAlerts {
  std::string account;
  Alerts alerts;
};

// Auto top-up (issue 18, docs/events.md): when an account's available credits fall below
// `below`, the ledger asks the platform to sell it `pack` (an auto_topup.requested event naming
// the price and a payment_ref); the purchase the platform posts with that payment_ref completes
// the request. Tally charges nothing itself.
struct AutoTopupSettings {
  Credits below;
  std::string pack;
  std::string currency;  // ISO 4217
  std::string region;    // empty = the pack's price for any region
  friend bool operator==(const AutoTopupSettings&, const AutoTopupSettings&) = default;
};
// An account's auto top-up: its settings and where it stands. At most one request is
// outstanding; one that fails or times out is asked again after a backoff while the account is
// still below `below`.
struct AutoTopup {
  AutoTopupSettings settings;
  bool armed = false;                 // available last seen at or above `below`
  uint64_t pending = 0;               // the outstanding request's id; 0: none
  TimeUs pending_until;               // when it times out
  uint32_t failures = 0;              // requests failed or timed out in a row
  TimeUs retry_at = TimeUs::never();  // after a failure: ask again then, if still below
  friend bool operator==(const AutoTopup&, const AutoTopup&) = default;
};
// The payment_ref a request asks the platform to post its purchase with.
std::string auto_topup_payment_ref(uint64_t id);
// Replaces the account's settings (an outstanding request stays); nullopt turns auto top-up off
// and drops the outstanding request (a purchase posted for it later is an ordinary purchase).
struct SetAutoTopup {
  std::string account;
  std::optional<AutoTopupSettings> settings;
};
// The platform could not charge for request `id`: it ends, and another is asked after a backoff
// if the account is still below its threshold then.
struct FailAutoTopup {
  uint64_t id = 0;
  std::string reason;
};
// The platform will not charge for request `id` (the user withdrew it): it ends, and no other is
// asked until available credits reach the threshold and fall below it again.
struct CancelAutoTopup {
  uint64_t id = 0;
  std::string reason;
};

// Members of a team account (team.h). A team keeps at least one owner.
struct AddMember {
  std::string account;
  std::string user;
  Role role = Role::member;
};
struct SetMemberRole {
  std::string account;
  std::string user;
  Role role = Role::member;
};
// A member removed can start no new debit; its open holds can still be captured or released.
struct RemoveMember {
  std::string account;
  std::string user;
};
// Budgets of a team account (team.h).
// Without an anchor, periods are calendar ones in UTC: days from 00:00, weeks from Monday
// 00:00, months from the 1st at 00:00.
struct AddBudget {
  std::string account;
  BudgetSpec spec;             // its anchor is ignored: `anchor` below sets it
  std::optional<TimeUs> anchor;
};
// Changes a budget's limit, mode or alert_at (usage so far stays).
struct UpdateBudget {
  std::string account;
  std::string id;
  std::optional<Credits> limit;
  std::optional<BudgetMode> mode;
  std::optional<Credits> alert_at;  // zero: no more budget.threshold_reached
};
struct RemoveBudget {
  std::string account;
  std::string id;
};

// Applies due renewals, expiries and hold timeouts up to `now` and does nothing else.
struct AdvanceTime {};

// Says what a spend's output turned out to be (issue 19), after the capture or spend that made
// it. `spend` is a spend's id; for a captured hold, the spend its capture made
// (CaptureReply::spend). A spend keeps its first outcome: the same one again changes nothing
// (OutcomeReply::changed is false), another is outcome_conflict. Spends can be marked while
// they can be refunded (config.spend_retention_us).
struct MarkOutcome {
  SpendId spend;
  Outcome outcome = Outcome::usable;  // usable or rejected
};

using Command = std::variant<OpenAccount, Grant, PlaceHold, Capture, Release, SpendNow, Refund,
                             VoidLot, SetPlan, CancelSubscription, MarkPastDue, ResumeSubscription,
                             ClaimDailyReward, Purchase, VoidPurchase, AdvanceTime, SetAlerts,
                             SetAutoTopup, FailAutoTopup, CancelAutoTopup, AddMember,
                             SetMemberRole, RemoveMember, AddBudget, UpdateBudget, RemoveBudget,
                             MarkOutcome>;

// Who sent a request (issue 21's audit trail, docs/api.md "Audit trail"): an API key, by its id
// ("admin": the admin key), or an end-user token, by its id (empty for a v1 token) and the team
// member it acts as (empty for an account's own token). `none`: no caller (a test, the
// simulator). Not part of the command's fingerprint: a retry with another key is a retry.
enum class CredentialKind : uint8_t { none = 0, key = 1, token = 2 };
inline constexpr uint8_t k_credential_kind_last = 2;
std::string_view credential_kind_name(CredentialKind k);
std::optional<CredentialKind> parse_credential_kind(std::string_view name);
struct Credential {
  CredentialKind kind = CredentialKind::none;
  std::string id;      // the key's id, or the token's
  std::string member;  // a team member's token: the member
  friend bool operator==(const Credential&, const Credential&) = default;
};

// Every mutating command carries an idempotency key (rule 8); AdvanceTime needs none.
struct Request {
  std::string idempotency_key;
  Command command;
  Credential by;  // recorded with the change it makes (AuditLine)
};

// The stable name of a command ("place_hold", "void_lot", ...): the action of an audit line.
std::string_view command_name(const Command& command);

// --- Replies ---

struct OpenAccountReply {
  std::string account;
  std::string plan;      // empty without a subscription
  LotId signup_lot;      // the signup grant, if any
  LotId allocation_lot;  // the first period's allocation, if any
  friend bool operator==(const OpenAccountReply&, const OpenAccountReply&) = default;
};
struct GrantReply {
  LotId lot;
  Credits amount;
  TimeUs effective_at;
  TimeUs expires_at;
  friend bool operator==(const GrantReply&, const GrantReply&) = default;
};
struct HoldReply {
  HoldId hold;
  Credits amount;
  TimeUs expires_at;
  Portions portions;
  friend bool operator==(const HoldReply&, const HoldReply&) = default;
};
// Refund lots created when credits came back to a lot that had expired (rule 3).
struct Restored {
  Credits to_lots;         // back into the lots they came from
  Credits to_refund_lots;  // into new refund lots
  Credits voided;          // came back to a voided lot, so voided
  std::vector<LotId> refund_lots;
  friend bool operator==(const Restored&, const Restored&) = default;
};
struct CaptureReply {
  HoldId hold;
  SpendId spend;
  Credits captured;
  Credits released;
  Portions portions;  // what was consumed, per lot
  Restored restored;  // where the released rest went
  friend bool operator==(const CaptureReply&, const CaptureReply&) = default;
};
struct ReleaseReply {
  HoldId hold;
  Credits released;
  Restored restored;
  friend bool operator==(const ReleaseReply&, const ReleaseReply&) = default;
};
struct SpendReply {
  SpendId spend;
  Credits amount;
  Portions portions;
  friend bool operator==(const SpendReply&, const SpendReply&) = default;
};
struct RefundReply {
  SpendId spend;
  Credits refunded;        // by this command
  Credits refunded_total;  // by every refund of the spend so far
  Restored restored;
  friend bool operator==(const RefundReply&, const RefundReply&) = default;
};
struct VoidReply {
  LotId lot;
  Credits voided;    // the remainder removed now
  Credits consumed;  // already spent from the lot, net of refunds
  Credits held;      // reserved by open holds; voided if those holds are released
  Credits expired;
  friend bool operator==(const VoidReply&, const VoidReply&) = default;
};
struct AdvanceReply {
  TimeUs now;
  uint32_t lots_expired = 0;  // lots with credits left when they expired
  uint32_t holds_expired = 0;
  uint32_t renewals = 0;
  friend bool operator==(const AdvanceReply&, const AdvanceReply&) = default;
};
// The state of a subscription after a lifecycle command.
struct SubscriptionReply {
  std::string account;
  std::string plan;
  std::string pending_plan;  // takes effect at period_end
  std::string state;         // past_due, else cancelling, else active
  bool cancel_at_period_end = false;
  TimeUs period_start;
  TimeUs period_end;
  Credits allocation;
  LotId allocation_lot;  // granted by this command, if any
  LotId rollover_lot;    // created by this command (upgrade), if any
  LotId signup_lot;      // granted by this command, if any
  friend bool operator==(const SubscriptionReply&, const SubscriptionReply&) = default;
};
struct RewardReply {
  LotId lot;
  Credits amount;
  TimeUs expires_at;
  std::string season;  // the season that set the amount, if any
  friend bool operator==(const RewardReply&, const RewardReply&) = default;
};
struct PurchaseReply {
  uint64_t purchase = 0;
  std::string pack;
  Money price;
  LotId lot;
  Credits credits;
  LotId bonus_lot;
  Credits bonus;
  TimeUs expires_at;
  friend bool operator==(const PurchaseReply&, const PurchaseReply&) = default;
};
struct VoidPurchaseReply {
  uint64_t purchase = 0;
  Credits voided;    // removed now, over the purchase's lots
  Credits consumed;  // already spent, net of refunds
  Credits held;
  Credits expired;
  std::vector<VoidReply> lots;  // one per lot still open
  friend bool operator==(const VoidPurchaseReply&, const VoidPurchaseReply&) = default;
};

// A request answered before it reached the ledger's books (a job its plan includes: nothing to
// hold or spend), remembered under its key all the same so that a retry gets that answer again
// whatever changed since (Ledger::apply_unchanged).
struct NoChangeReply {
  friend bool operator==(const NoChangeReply&, const NoChangeReply&) = default;
};
struct AlertsReply {
  std::string account;
  Alerts alerts;  // the account's own settings, as set
  friend bool operator==(const AlertsReply&, const AlertsReply&) = default;
};

struct AutoTopupReply {
  std::string account;
  std::optional<AutoTopup> auto_topup;  // nullopt: off
  friend bool operator==(const AutoTopupReply&, const AutoTopupReply&) = default;
};

struct MemberReply {
  std::string account;
  Member member;  // as it is now (a removed member: as it was)
  friend bool operator==(const MemberReply&, const MemberReply&) = default;
};
struct BudgetReply {
  std::string account;
  Budget budget;  // as it is now, in the period containing the command's time
  friend bool operator==(const BudgetReply&, const BudgetReply&) = default;
};
struct OutcomeReply {
  SpendId spend;
  Outcome outcome = Outcome::none;  // the spend's outcome now
  bool changed = false;             // false: it already had this outcome
  friend bool operator==(const OutcomeReply&, const OutcomeReply&) = default;
};

// Stored as its index (store/codec.cc): add alternatives at the end only.
using Reply = std::variant<OpenAccountReply, GrantReply, HoldReply, CaptureReply, ReleaseReply,
                           SpendReply, RefundReply, VoidReply, AdvanceReply, SubscriptionReply,
                           RewardReply, PurchaseReply, VoidPurchaseReply, NoChangeReply,
                           AlertsReply, AutoTopupReply, MemberReply, BudgetReply, OutcomeReply>;
using Result = std::expected<Reply, LedgerError>;

// A 128-bit digest of everything a command asks, used to tell a retry (same key, same command)
// from a conflict (same key, different command). Deterministic across processes and machines
// (little-endian, as every supported platform is). Not cryptographic: two different commands
// under one key are told apart except with probability 2^-128.
struct CommandDigest {
  uint64_t hi = 0;
  uint64_t lo = 0;
  friend bool operator==(const CommandDigest&, const CommandDigest&) = default;
};
CommandDigest fingerprint(const Command& c);

}  // namespace tally
