// The ledger's vocabulary (docs/design.md §2): ids, sources, lots, holds and spends.
// Plain data; the rules that change them live in ledger.h. Thread-compatible.
#pragma once

#include <array>
#include <compare>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/container/inlined_vector.h"
#include "ledger/credits.h"
#include "ledger/time.h"

namespace tally {

// Ids the ledger assigns: the shard in the top 16 bits, a per-shard counter below, so an
// id names the shard that owns it (DESIGN §4: shard_id everywhere from day one).
template <typename Tag>
struct Id {
  uint64_t value = 0;
  constexpr bool is_set() const { return value != 0; }
  friend constexpr auto operator<=>(Id, Id) = default;
  template <typename H>
  friend H AbslHashValue(H h, Id id) {
    return H::combine(std::move(h), id.value);
  }
};
using LotId = Id<struct LotTag>;
using HoldId = Id<struct HoldTag>;
using SpendId = Id<struct SpendTag>;
using ShardId = uint16_t;

// The alphabet of account ids, tool names and idempotency keys: A-Z a-z 0-9 . _ - : @ + ~
// (safe in URLs, logs and file names). The ledger refuses text outside it; the HTTP server
// checks path segments against it before anything else.
bool is_id_char(char c);
inline constexpr int k_id_shard_shift = 48;
constexpr ShardId shard_of(uint64_t id) {
  return static_cast<ShardId>(id >> k_id_shard_shift);
}

// Why a lot exists. The numeric values are stable (they are stored).
enum class Source : uint8_t {
  signup = 0,
  subscription = 1,
  rollover = 2,
  reward = 3,
  promo = 4,
  admin = 5,
  purchase = 6,
  refund = 7,
};
inline constexpr int k_source_count = 8;
inline constexpr std::array<Source, k_source_count> k_all_sources = {
    Source::signup, Source::subscription, Source::rollover, Source::reward,
    Source::promo,  Source::admin,        Source::purchase, Source::refund};
std::string_view source_name(Source s);
std::optional<Source> parse_source(std::string_view name);

// What the credits of a lot cost: `paid_minor` units of `currency` (ISO 4217) for the
// lot's whole amount. Free credits have paid_minor 0 and an empty currency.
struct CostBasis {
  std::array<char, 3> currency{};
  int64_t paid_minor = 0;
  friend bool operator==(const CostBasis&, const CostBasis&) = default;
};

// A lot: one grant of credits. The per-lot books obey, at every instant (DESIGN rule 9):
//   amount = remaining + held + consumed + expired + voided - restored
struct Lot {
  LotId id;
  Source source = Source::admin;
  bool voided = false;
  // Made by the plan machinery (a period's allocation or a rollover lot): only these are
  // consolidated at a period boundary (rule 6). A client's grant is never, whatever its source.
  bool plan_credit = false;
  Credits amount;     // granted
  Credits remaining;  // unspent, unreserved
  Credits held;       // reserved by open holds
  Credits consumed;   // captured or spent (gross of refunds)
  Credits expired;    // written off at expiry
  Credits voided_amount;
  Credits restored;  // refunded back into this lot
  TimeUs granted_at;
  TimeUs effective_at;             // not spendable before
  TimeUs expires_at;               // not spendable from this instant; never() if it never expires
  std::vector<std::string> scope;  // tools it may pay for, sorted; empty = every tool
  CostBasis cost_basis;
  std::string reference;  // purchase id, origin lot of a refund lot, ...
  std::string reason;
  // When credits.expiring is due for it (issue 18), from its account's expiring notice: set
  // when it is granted or the notice changes; never() if there is none or once it is due.
  TimeUs notice_at = TimeUs::never();
  bool noticed = false;  // its notice came (once per lot)
  // Retained spends whose portions may still be refunded into this lot, and the retained
  // purchase that created it; the lot stays in memory while this is non-zero.
  uint32_t refs = 0;

  // Credits remaining (pending ones included) or held: what an account shows, and what counts
  // against config.lots_per_account_max (Account::lots_with_credits).
  bool has_credits() const { return !remaining.is_zero() || !held.is_zero(); }
  bool is_expired_at(TimeUs now) const { return now >= expires_at; }
  bool is_effective_at(TimeUs now) const { return now >= effective_at; }
  bool allows_tool(std::string_view tool) const;
};

// One lot's share of a hold or spend, in consumption order.
struct Portion {
  LotId lot;
  Credits amount;
  TimeUs expires_at;  // the lot's expiry, kept to order refunds (rule 3)
  Credits refunded;   // spends only
  friend bool operator==(const Portion&, const Portion&) = default;
};
using Portions = absl::InlinedVector<Portion, 2>;

// One parameter a job was priced from ("resolution" = "1080p"), as the client sent it.
struct JobParam {
  std::string name;
  std::string value;
  friend bool operator==(const JobParam&, const JobParam&) = default;
};
using JobParams = std::vector<JobParam>;

enum class HoldState : uint8_t { active, captured, released, expired };
std::string_view hold_state_name(HoldState s);

// What a job's output turned out to be (issue 19, for effective cost per usable output): given
// with a capture or a spend, or marked later (MarkOutcome). `none`: not said. A released or
// timed-out hold is a failed job; its state says so, it has no spend and no outcome. Stored as
// its number: add values at the end only.
enum class Outcome : uint8_t { none = 0, usable = 1, rejected = 2 };
inline constexpr uint8_t k_outcome_last = 2;
std::string_view outcome_name(Outcome o);  // "none", "usable", "rejected"
std::optional<Outcome> parse_outcome(std::string_view name);

// An open hold. Once captured, released or timed out it leaves the ledger's memory (a small
// tombstone answers late captures; the journal and the store keep its history).
struct Hold {
  HoldId id;
  uint32_t account = 0;  // index into the ledger's accounts
  Credits amount;
  std::string tool;
  std::string price_book_version;
  TimeUs created_at;
  TimeUs expires_at;  // TTL end: released by the ledger itself at this instant
  Portions portions;
  JobParams params;     // what it was priced from (empty when placed by amount)
  std::string plan;  // the plan it was priced for
  std::string member;   // team accounts: who placed it, and for which project (team.h)
  std::string project;
};

struct Spend {
  SpendId id;
  uint32_t account = 0;
  Credits amount;
  Credits refunded;
  std::string tool;
  std::string price_book_version;
  TimeUs at;
  HoldId hold;  // the captured hold, unset for a one-shot spend
  Portions portions;
  std::string member;  // team accounts: as the hold's, or the spend's own
  std::string project;
  TimeUs counted_at;   // when it counted against budgets: the hold's placement, or `at`
  Outcome outcome = Outcome::none;  // set once: with the capture or spend, or by MarkOutcome
};

}  // namespace tally
