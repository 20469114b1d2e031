// Advice for one account (issue 19, docs/reports.md "Forecast and advice"): a burn-rate
// forecast (at the trailing 7- and 30-day rates, when the available credits run out and what
// expires unused before then), and upgrade-or-buy advice from the plan and pack prices of the
// catalog, after Amisi's rule (seed 003): "consistently exceeding by 50% or more: upgrade";
// "occasional extra usage: purchase additional credits".
//
// Pure: no I/O, no clock; integers only. Thread-compatible.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "catalog/catalog.h"
#include "ledger/entry.h"
#include "ledger/types.h"

namespace tally {

// An account's consumption over time: what its entries took for jobs (captures and spends),
// net of refunds (entries counted against the `consumption` book, refund lots included).
class ConsumptionLog {
 public:
  void add(const Entry& e);
  // Net consumption of entries in [from, to).
  Credits between(TimeUs from, TimeUs to) const;

 private:
  std::vector<std::pair<TimeUs, Credits>> at_;  // in the order added (journal order)
};

struct BurnRate {
  int64_t window_days = 0;            // 7 or 30
  Credits consumed;                   // in [now - window, now)
  Credits per_day;                    // consumed / window_days, rounded down to a micro-credit
  std::optional<TimeUs> runs_out_at;  // nullopt: nothing is being consumed
  Credits expires_unused;             // available credits that expire before they are reached
};

// The forecast at `rate_per_day` over the account's lots (in consumption order, as
// Account::lots): credits are taken from the lots in that order, continuously, from `now`;
// a lot whose expiry comes first loses the rest. Only credits available at `now` count
// (remaining, effective, not expired; no future allocation or pending grant).
BurnRate forecast(const std::vector<Lot>& lots, TimeUs now, int64_t window_days, Credits consumed);

// One past period of the account's subscription and what it consumed.
struct PeriodUse {
  TimeUs start, end;
  Credits used;
};

// The cheapest set of packs (any-region price in one currency) that gives at least `need`
// credits; nullopt if no pack is sold in that currency or `need` is past k_pack_need_max.
struct PackChoice {
  std::vector<std::pair<std::string, int64_t>> packs;  // pack id, count
  Credits credits;
  Money price;
};
inline constexpr int64_t k_pack_need_max = 1'000'000;  // credits
std::optional<PackChoice> cheapest_packs(const Catalog& catalog, Credits need,
                                         std::string_view currency);

enum class AdviceKind : uint8_t { stay, buy_packs, upgrade };
std::string_view advice_kind_name(AdviceKind k);

struct Advice {
  AdviceKind kind = AdviceKind::stay;
  std::string why;                     // one line for people
  std::string plan;                    // the current plan ("" without one)
  Credits allocation;                  // per period
  std::vector<PeriodUse> periods;      // the recent complete periods, oldest first
  int64_t periods_over = 0;            // of them, those that used 150 % of the allocation or more
  Credits need;                        // upgrade: the periods' mean use, rounded up
  std::string upgrade_plan;            // upgrade: the cheapest plan whose allocation covers `need`
  std::optional<Money> upgrade_price;  // its price per period
  std::optional<Money> stay_price;     // upgrade: the current plan and packs for the excess
  std::optional<Money> saves;          // stay_price - upgrade_price, per period
  std::optional<PackChoice> packs;     // buy_packs: for the largest recent excess;
                                       // upgrade: what staying would buy each period
};

// How many complete periods count as "recent".
inline constexpr int k_advice_periods = 3;

// A plan's price per period in a currency, or nullopt when the configuration gives none.
using PlanPrice = std::function<std::optional<Money>(const Plan&, std::string_view currency)>;

// Amisi's rule over `periods` (complete, oldest first; the last k_advice_periods are used):
// - upgrade when a strict majority of at least two recent periods used 150 % or more of the
//   allocation (used * 2 >= allocation * 3), to a plan of the same period whose allocation
//   covers their mean use: the cheapest one `price` knows, if it costs less than staying and
//   buying packs for the excess (else buy_packs, saying so); without prices, the one with the
//   smallest such allocation, and no saving is stated;
// - buy_packs when some recent period used more than the allocation, but not that often: the
//   cheapest packs for the largest excess; also when no plan covers the mean use;
// - stay otherwise, or without a plan with an allocation.
Advice advise(const Catalog& catalog, const Plan* plan, Credits allocation,
              const std::vector<PeriodUse>& periods, std::string_view currency,
              const PlanPrice& price);

}  // namespace tally
