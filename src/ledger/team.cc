#include "ledger/team.h"

#include <algorithm>
#include <utility>

namespace tally {

std::string_view role_name(Role r) {
  switch (r) {
    case Role::owner: return "owner";
    case Role::admin: return "admin";
    case Role::member: return "member";
    case Role::viewer: return "viewer";
  }
  return "?";
}

std::optional<Role> parse_role(std::string_view name) {
  for (Role r : {Role::owner, Role::admin, Role::member, Role::viewer}) {
    if (role_name(r) == name) return r;
  }
  return std::nullopt;
}

std::string_view budget_period_name(BudgetPeriod p) {
  switch (p) {
    case BudgetPeriod::day: return "P1D";
    case BudgetPeriod::week: return "P1W";
    case BudgetPeriod::month: return "P1M";
  }
  return "?";
}

std::optional<BudgetPeriod> parse_budget_period(std::string_view name) {
  for (BudgetPeriod p : {BudgetPeriod::day, BudgetPeriod::week, BudgetPeriod::month}) {
    if (budget_period_name(p) == name) return p;
  }
  return std::nullopt;
}

std::string_view budget_mode_name(BudgetMode m) {
  return m == BudgetMode::hard ? "hard" : "soft";
}

std::optional<BudgetMode> parse_budget_mode(std::string_view name) {
  if (name == "hard") return BudgetMode::hard;
  if (name == "soft") return BudgetMode::soft;
  return std::nullopt;
}

namespace {

int64_t fixed_length_us(BudgetPeriod p) {
  return p == BudgetPeriod::day ? k_us_per_day : 7 * k_us_per_day;
}

// floor(a / b) for b > 0.
int64_t floor_div(int64_t a, int64_t b) {
  const int64_t q = a / b;
  return (a % b != 0 && a < 0) ? q - 1 : q;
}

}  // namespace

TimeUs budget_period_start(TimeUs anchor, BudgetPeriod p, int64_t n) {
  if (p == BudgetPeriod::month) {
    return add_months(anchor, static_cast<int>(std::clamp<int64_t>(n, -120'000, 120'000)));
  }
  int64_t r = 0;
  if (__builtin_mul_overflow(n, fixed_length_us(p), &r) ||
      __builtin_add_overflow(anchor.us, r, &r) || r > k_time_max.us) {
    return k_time_max;
  }
  return TimeUs{std::max(r, k_time_min.us)};
}

int64_t budget_period_index(TimeUs anchor, BudgetPeriod p, TimeUs t) {
  if (p != BudgetPeriod::month) return floor_div(t.us - anchor.us, fixed_length_us(p));
  // Months: an estimate from the calendar, then a step either way (clamped days).
  const CivilTime a = to_civil(anchor), c = to_civil(t);
  int64_t n = (c.year - a.year) * 12 + (c.month - a.month);
  while (n > -120'000 && budget_period_start(anchor, p, n) > t) --n;
  while (n < 120'000 && budget_period_start(anchor, p, n + 1) <= t) ++n;
  return n;
}

void Budget::roll_to(TimeUs now) {
  if (in_period(now)) return;
  const int64_t n = budget_period_index(spec.anchor, spec.period, now);
  period_index = n;
  period_start = budget_period_start(spec.anchor, spec.period, n);
  period_end = budget_period_start(spec.anchor, spec.period, n + 1);
  counting_from = std::max(period_start, created_at);
  used = Credits{};
  crossed = false;
  reached = false;
}

TimeUs Budget::counting_from_at(TimeUs now) const {
  if (in_period(now)) return counting_from;
  const int64_t n = budget_period_index(spec.anchor, spec.period, now);
  return std::max(budget_period_start(spec.anchor, spec.period, n), created_at);
}

const Member* Team::find_member(std::string_view user) const {
  auto it = std::find_if(members.begin(), members.end(),
                         [&](const Member& m) { return m.user == user; });
  return it == members.end() ? nullptr : &*it;
}

Member* Team::find_member(std::string_view user) {
  return const_cast<Member*>(std::as_const(*this).find_member(user));
}

const Budget* Team::find_budget(std::string_view id) const {
  auto it = std::find_if(budgets.begin(), budgets.end(),
                         [&](const Budget& b) { return b.spec.id == id; });
  return it == budgets.end() ? nullptr : &*it;
}

}  // namespace tally
