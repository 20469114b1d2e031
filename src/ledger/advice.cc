#include "ledger/advice.h"

#include <algorithm>
#include <limits>

#include "ledger/text.h"

namespace tally {
namespace {

int64_t mul_div_floor(int64_t a, int64_t b, int64_t c) {
  return static_cast<int64_t>(static_cast<__int128>(a) * b / c);
}
int64_t mul_div_ceil(int64_t a, int64_t b, int64_t c) {
  const __int128 n = static_cast<__int128>(a) * b;
  return static_cast<int64_t>((n + c - 1) / c);
}

}  // namespace

void ConsumptionLog::add(const Entry& e) {
  if (e.counter != Book::consumption) return;
  at_.emplace_back(e.at, e.counter_amount());
}

Credits ConsumptionLog::between(TimeUs from, TimeUs to) const {
  Credits sum;
  for (const auto& [at, c] : at_) {
    if (at >= from && at < to) sum += c;
  }
  return sum;
}

BurnRate forecast(const std::vector<Lot>& lots, TimeUs now, int64_t window_days, Credits consumed) {
  BurnRate b;
  b.window_days = window_days;
  b.consumed = consumed;
  const int64_t rate = std::max<int64_t>(consumed.micro, 0) / window_days;  // micro per day
  b.per_day = Credits::from_micro(rate);
  TimeUs t = now;
  for (const Lot& lot : lots) {
    if (lot.voided || !lot.remaining.is_positive() || !lot.is_effective_at(now) ||
        lot.is_expired_at(now)) {
      continue;
    }
    if (rate == 0) {
      if (!lot.expires_at.is_never()) b.expires_unused += lot.remaining;
      continue;
    }
    // How long this lot lasts at the rate, once the lots before it are gone.
    const int64_t lasts_us = mul_div_ceil(lot.remaining.micro, k_us_per_day, rate);
    if (lot.expires_at.is_never() || (lot.expires_at > t && lot.expires_at.us - t.us >= lasts_us)) {
      t = add_us(t, lasts_us);
      continue;
    }
    // It expires first: what the rate takes before then, the rest expires unused.
    const int64_t until_us = std::max<int64_t>(lot.expires_at.us - t.us, 0);
    const Credits taken = Credits::from_micro(
        std::min(lot.remaining.micro, mul_div_floor(until_us, rate, k_us_per_day)));
    b.expires_unused += lot.remaining - taken;
    t = std::max(t, lot.expires_at);
  }
  if (rate > 0) b.runs_out_at = t;
  return b;
}

std::optional<PackChoice> cheapest_packs(const Catalog& catalog, Credits need,
                                         std::string_view currency) {
  struct Option {
    const Pack* pack;
    int64_t credits;  // whole credits (a fraction is not counted)
    int64_t price;
  };
  std::vector<Option> options;
  std::array<char, 3> code{};
  for (const Pack& p : catalog.packs) {
    auto price = p.price_for(currency, "");
    const int64_t whole = p.credits.micro / k_micro_per_credit;
    if (!price || whole <= 0) continue;
    options.push_back({&p, whole, price->minor});
    code = price->currency;
  }
  const int64_t want =
      (std::max<int64_t>(need.micro, 0) + k_micro_per_credit - 1) / k_micro_per_credit;
  if (options.empty() || want > k_pack_need_max) return std::nullopt;
  // cost[c]: the cheapest packs that give at least c credits; last[c]: the pack added last.
  constexpr int64_t k_none = std::numeric_limits<int64_t>::max();
  std::vector<int64_t> cost(static_cast<size_t>(want) + 1, k_none);
  std::vector<int> last(static_cast<size_t>(want) + 1, -1);
  cost[0] = 0;
  for (int64_t c = 1; c <= want; ++c) {
    for (size_t i = 0; i < options.size(); ++i) {
      const int64_t before =
          cost[static_cast<size_t>(std::max<int64_t>(c - options[i].credits, 0))];
      if (before == k_none) continue;
      const int64_t total = before + options[i].price;
      if (total < cost[static_cast<size_t>(c)]) {
        cost[static_cast<size_t>(c)] = total;
        last[static_cast<size_t>(c)] = static_cast<int>(i);
      }
    }
  }
  PackChoice choice;
  choice.price = Money{code, cost[static_cast<size_t>(want)]};
  std::vector<int64_t> count(options.size(), 0);
  for (int64_t c = want; c > 0;) {
    const int i = last[static_cast<size_t>(c)];
    ++count[static_cast<size_t>(i)];
    choice.credits += options[static_cast<size_t>(i)].pack->credits;
    c = std::max<int64_t>(c - options[static_cast<size_t>(i)].credits, 0);
  }
  for (size_t i = 0; i < options.size(); ++i) {
    if (count[i] > 0) choice.packs.emplace_back(options[i].pack->id, count[i]);
  }
  return choice;
}

std::string_view advice_kind_name(AdviceKind k) {
  switch (k) {
    case AdviceKind::stay:
      return "stay";
    case AdviceKind::buy_packs:
      return "buy_packs";
    case AdviceKind::upgrade:
      return "upgrade";
  }
  return "stay";
}

namespace {

std::string pack_text(const PackChoice& c) {
  std::string out;
  for (const auto& [id, n] : c.packs) out += cat(out.empty() ? "" : " + ", n, " x ", id);
  return cat(out, " (", format_credits(c.credits), " credits, ", format_money(c.price), ")");
}

// Upgrade advice once the rule holds: a plan that covers `a.need`, if it is worth it.
void upgrade_or_packs(const Catalog& catalog, const Plan& current, std::string_view currency,
                      const PlanPrice& price, Advice& a) {
  const std::string over = cat("usage was 150 % of the allocation or more in ", a.periods_over,
                               " of the last ", a.periods.size(), " periods");
  const Plan* best = nullptr;
  std::optional<Money> best_price;
  for (const Plan& p : catalog.plans) {
    if (p.id == current.id || p.custom_allocation || p.period != current.period ||
        p.allocation < a.need) {
      continue;
    }
    const std::optional<Money> cost = price(p, currency);
    // A priced plan before an unpriced one; among priced ones the cheapest, among the rest the
    // smallest allocation.
    const bool better = best == nullptr ||
                        (cost && (!best_price || cost->minor < best_price->minor)) ||
                        (!cost && !best_price && p.allocation < best->allocation);
    if (better) {
      best = &p;
      best_price = cost;
    }
  }
  a.packs = cheapest_packs(catalog, a.need - a.allocation, currency);
  if (best == nullptr) {
    a.kind = AdviceKind::buy_packs;
    a.why = cat(over, ", but no plan covers ", format_credits(a.need), " credits a period: buy ",
                a.packs ? pack_text(*a.packs) : std::string("credits as needed"));
    return;
  }
  a.upgrade_plan = best->id;
  a.upgrade_price = best_price;
  const std::optional<Money> stay = price(current, currency);
  if (stay && best_price && a.packs) {
    a.stay_price = Money{stay->currency, stay->minor + a.packs->price.minor};
    a.saves = Money{stay->currency, a.stay_price->minor - best_price->minor};
  }
  if (a.saves && a.saves->minor <= 0) {
    a.kind = AdviceKind::buy_packs;
    a.why = cat(over, ", but plan ", best->id, " (", format_money(*best_price),
                ") costs more than ", current.id, " and ", pack_text(*a.packs), ": buy packs");
    return;
  }
  a.kind = AdviceKind::upgrade;
  a.why = cat(over, ": plan ", best->id, " (", format_credits(best->allocation),
              " credits) covers the mean of ", format_credits(a.need),
              a.saves ? cat(" and saves ", format_money(*a.saves), " a period over ", current.id,
                            " and ", pack_text(*a.packs))
                      : cat(" (no plan prices in ", currency, " to compare with packs",
                            a.packs ? cat(": ", pack_text(*a.packs), " a period") : "", ")"));
}

}  // namespace

Advice advise(const Catalog& catalog, const Plan* plan, Credits allocation,
              const std::vector<PeriodUse>& periods, std::string_view currency,
              const PlanPrice& price) {
  Advice a;
  a.allocation = allocation;
  if (plan == nullptr || !allocation.is_positive()) {
    a.why = "no plan with an allocation to compare usage with";
    return a;
  }
  a.plan = plan->id;
  const size_t first = periods.size() > k_advice_periods ? periods.size() - k_advice_periods : 0;
  a.periods.assign(periods.begin() + static_cast<std::ptrdiff_t>(first), periods.end());
  Credits total, largest_excess;
  for (const PeriodUse& p : a.periods) {
    total += p.used;
    if (static_cast<__int128>(p.used.micro) * 2 >= static_cast<__int128>(allocation.micro) * 3) {
      ++a.periods_over;
    }
    largest_excess = max(largest_excess, p.used - allocation);
  }
  const int64_t n = static_cast<int64_t>(a.periods.size());
  if (n >= 2 && a.periods_over * 2 > n) {
    a.need = Credits::from_micro((total.micro + n - 1) / n);
    upgrade_or_packs(catalog, *plan, currency, price, a);
    return a;
  }
  if (largest_excess.is_positive()) {
    a.kind = AdviceKind::buy_packs;
    a.packs = cheapest_packs(catalog, largest_excess, currency);
    a.why = cat("usage passed the allocation now and then (at most by ",
                format_credits(largest_excess), " in the last ", n, " periods): buy ",
                a.packs ? pack_text(*a.packs) : std::string("credits as needed"));
    return a;
  }
  a.why = n == 0 ? "no complete period yet"
                 : cat("usage stayed within the allocation in the last ", n, " periods");
  return a;
}

}  // namespace tally
