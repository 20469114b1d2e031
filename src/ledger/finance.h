// The finance report (issue 19, docs/reports.md): for a period and a currency, the money
// received for credits, revenue recognized as paid credits are consumed, deferred revenue
// (paid credits not yet spent), breakage (paid credits that expired), refunded (paid credits
// voided: a charge-back gave the money back), and free credits by source. Computed from the
// journal alone (entry.h), one shard's entries at a time, plus each lot's cost basis.
//
// Money follows the credits of a lot exactly, in integer minor units: a lot bought for P minor
// units of A credits has, after its credits' net outflow to the system books reached `out`,
// paid out floor(P * out / A) and still defers P - floor(P * out / A). Each entry moves the
// difference of that floor before and after it, to the book it names (consumption: recognized,
// expired: breakage, voided: refunded). So for every lot and every instant
//   received = recognized + breakage + refunded + deferred
// holds to the minor unit, and for a period
//   deferred_opening + received = recognized + breakage + refunded + deferred_closing.
//
// A refund lot (rule 3) continues the lot it came from: its credits and money are that lot's
// (its grant, counted against consumption or expired, takes back that book's outflow). A
// rollover lot (rule 6) continues the plan's allocation: its grant takes back the expiry of
// the credits it carries, so rolled-over credits are never breakage; they are reported as
// `rolled_over`, beside the allocations' real expiries.
//
// Pure: no I/O, no clock. Thread-compatible.
#pragma once

#include <array>
#include <cstdint>
#include <functional>
#include <optional>
#include <set>
#include <string>

#include "absl/container/flat_hash_map.h"
#include "ledger/entry.h"
#include "ledger/types.h"

namespace tally {

// What the report needs of a lot besides its entries: what it cost, and for a refund lot the
// lot whose credits it brings back (the "lot:N" reference rule 3 gives it).
struct FinanceLot {
  CostBasis cost_basis;
  LotId origin;  // refund lots only
};
FinanceLot finance_lot(const Lot& lot);
// Looks a lot up by id (the ledger's memory, else the store); nullopt if unknown.
using FindFinanceLot = std::function<std::optional<FinanceLot>(LotId)>;

// Paid credits of one currency over a period, in credits and in minor units.
struct PaidFigures {
  Credits received, recognized, breakage, refunded, deferred_opening, deferred_closing;
  int64_t received_minor = 0, recognized_minor = 0, breakage_minor = 0, refunded_minor = 0,
          deferred_opening_minor = 0, deferred_closing_minor = 0;
};

// Free credits (no cost basis) of one source over a period.
struct FreeFigures {
  Credits issued, consumed, expired, voided, outstanding_opening, outstanding_closing;
};

struct FinanceReport {
  TimeUs from, to;
  std::array<char, 3> currency{};
  PaidFigures paid;
  // By the source of the lot that was issued: a rollover lot's credits count under
  // `subscription` (the allocation they came from), a refund lot's under its origin's source.
  std::array<FreeFigures, k_source_count> free{};
  Credits rolled_over;     // plan credits carried into rollover lots in the period
  uint64_t paid_lots = 0;  // lots with a cost basis in this currency issued in the period
  std::set<std::string> other_currencies;  // paid lots of other currencies seen (not counted)

  // Adds another shard's report of the same period and currency.
  void merge(const FinanceReport& other);
};

// Builds a report from one shard's entries, fed in journal (seq) order from the first.
class FinanceBook {
 public:
  FinanceBook(TimeUs from, TimeUs to, std::array<char, 3> currency);
  // `find` is asked once per lot, at its first grant entry. Entries at or after `to` are
  // ignored. Returns false if a refund lot names an origin never granted in these entries (a
  // journal that does not start at seq 1): its credits are then counted as a free lot's.
  bool add(const Entry& e, const FindFinanceLot& find);
  const FinanceReport& report() const { return report_; }

 private:
  struct Root {
    Source source = Source::admin;
    bool paid = false;   // in the report's currency, with money paid
    bool other = false;  // paid in another currency: not counted
    int64_t paid_minor = 0;
    Credits amount;
    Credits out;            // net credits gone to consumption, expired and voided books
    int64_t out_minor = 0;  // floor(paid_minor * out / amount)
  };
  uint32_t root_for_grant(const Entry& e, const FindFinanceLot& find, bool* known);
  void count(const Root& r, const Entry& e, Credits out, int64_t out_minor, bool issued);

  TimeUs from_, to_;
  FinanceReport report_;
  std::vector<Root> roots_;
  absl::flat_hash_map<uint64_t, uint32_t> root_of_;  // lot id -> index into roots_
};

}  // namespace tally
