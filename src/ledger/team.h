// Team accounts (issue 17, DESIGN rule 11): a shared wallet with members and budgets.
//
// A team account is an account like any other (lots, plans, packs, every rule) that also has
// members, each a user id of the platform with a role, and budgets: per-period limits on what
// one member, one project, or one member within one project may debit. Every hold and spend on
// a team account names the member who makes it (and may name a project); the ledger refuses a
// user who is not a member, or a viewer, and checks every budget that applies atomically with
// the debit (a hard budget refuses it whole, a soft one lets it through and marks the crossing).
//
// Usage of a budget in its current period: holds placed (their whole amount) and spends made in
// it, less what comes back while the period lasts (a hold's release or timeout, the rest a
// capture does not take, a refund). Credits that come back after the period they were counted in
// ended change no period's usage. Periods roll at their boundary instant; a budget made in the
// middle of a period counts from its creation.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "ledger/credits.h"
#include "ledger/time.h"

namespace tally {

// What a member may do. owner and admin manage members and budgets and see everything; member
// spends and sees its own usage and budgets; viewer reads only.
enum class Role : uint8_t { owner, admin, member, viewer };
inline constexpr uint8_t k_role_last = static_cast<uint8_t>(Role::viewer);
std::string_view role_name(Role r);
std::optional<Role> parse_role(std::string_view name);

struct Member {
  std::string user;
  Role role = Role::member;
  TimeUs added_at;
  friend bool operator==(const Member&, const Member&) = default;
};

enum class BudgetPeriod : uint8_t { day, week, month };
inline constexpr uint8_t k_budget_period_last = static_cast<uint8_t>(BudgetPeriod::month);
// ISO 8601 durations: "P1D", "P1W", "P1M".
std::string_view budget_period_name(BudgetPeriod p);
std::optional<BudgetPeriod> parse_budget_period(std::string_view name);
// The start of period n counted from `anchor` (period 0 starts at the anchor; n may be negative).
// Months keep the anchor's day and time of day, clamped to the end of shorter months.
TimeUs budget_period_start(TimeUs anchor, BudgetPeriod p, int64_t n);
// The n whose period contains t.
int64_t budget_period_index(TimeUs anchor, BudgetPeriod p, TimeUs t);

enum class BudgetMode : uint8_t { hard, soft };
inline constexpr uint8_t k_budget_mode_last = static_cast<uint8_t>(BudgetMode::soft);
std::string_view budget_mode_name(BudgetMode m);
std::optional<BudgetMode> parse_budget_mode(std::string_view name);

// What a client sets.
struct BudgetSpec {
  std::string id;
  std::string member;   // empty: any member
  std::string project;  // empty: any project (at least one of the two is set)
  Credits limit;
  BudgetPeriod period = BudgetPeriod::month;
  TimeUs anchor;  // a period boundary
  BudgetMode mode = BudgetMode::hard;
  // Usage at which a debit emits budget.threshold_reached (once a period), in credits like an
  // account's low_balance; zero: no such event.
  Credits alert_at;
  friend bool operator==(const BudgetSpec&, const BudgetSpec&) = default;
};

// A budget and where it stands in its current period.
struct Budget {
  BudgetSpec spec;
  TimeUs created_at;
  int64_t period_index = 0;
  TimeUs period_start, period_end;
  TimeUs counting_from;  // max(period_start, created_at): debits from then on count
  uint64_t first_debit = 0;  // the first hold or spend id made after it: older ones never count
  Credits used;          // usage in the current period
  bool crossed = false;  // usage passed the limit in this period (a soft budget's crossing)
  bool reached = false;  // usage reached spec.alert_at in this period, or was past it when set

  // Whether a debit by `member` on `project` counts against it.
  bool applies(std::string_view member, std::string_view project) const {
    return (spec.member.empty() || spec.member == member) &&
           (spec.project.empty() || spec.project == project);
  }
  // Rolls to the period containing `now` (usage starts again from zero at its start).
  void roll_to(TimeUs now);
  Credits left() const { return spec.limit - used; }
  // Whether `t` is in the current period (roll_to(t) would change nothing).
  bool in_period(TimeUs t) const { return t >= period_start && t < period_end; }
  // What used and left() would be after roll_to(now), without rolling.
  Credits used_at(TimeUs now) const { return in_period(now) ? used : Credits{}; }
  Credits left_at(TimeUs now) const { return spec.limit - used_at(now); }
  TimeUs counting_from_at(TimeUs now) const;
  friend bool operator==(const Budget&, const Budget&) = default;
};

// What a team account has beyond an account.
struct Team {
  std::vector<Member> members;  // in the order they were added
  std::vector<Budget> budgets;  // in the order they were made
  const Member* find_member(std::string_view user) const;
  Member* find_member(std::string_view user);
  const Budget* find_budget(std::string_view id) const;
  friend bool operator==(const Team&, const Team&) = default;
};

inline constexpr size_t k_team_members_max = 1000;     // and a plan's team_members, if lower
inline constexpr size_t k_team_budgets_max = 100;
inline constexpr size_t k_team_name_length_max = 128;  // a user, project or budget id

}  // namespace tally
