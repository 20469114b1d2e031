// Team accounts (issue 17, team.h): members, budgets, and the budget check of every debit on a
// team account (DESIGN rule 11).
#include <algorithm>

#include "ledger/check.h"
#include "ledger/ledger.h"
#include "ledger/text.h"

namespace tally {
namespace {

// Budget `id` of the team account `a`; not_found if it has none.
std::expected<std::vector<Budget>::iterator, LedgerError> team_budget(Account& a,
                                                                      const std::string& id) {
  auto it = std::find_if(a.team->budgets.begin(), a.team->budgets.end(),
                         [&](const Budget& b) { return b.spec.id == id; });
  if (it == a.team->budgets.end()) {
    return std::unexpected(make_error(ErrorCode::not_found,
                                      cat("team account '", a.id, "' has no budget '", id, "'")));
  }
  return it;
}

size_t owners(const Team& t) {
  return static_cast<size_t>(std::count_if(t.members.begin(), t.members.end(),
                                           [](const Member& m) { return m.role == Role::owner; }));
}

LedgerError no_member(const Account& a, std::string_view user) {
  return make_error(ErrorCode::not_a_member,
                    cat("'", user, "' is not a member of team account '", a.id, "'"));
}

// The start of the calendar period (UTC) containing `now`: the default anchor of a budget.
TimeUs calendar_anchor(BudgetPeriod p, TimeUs now) {
  const TimeUs day = day_start(now);
  switch (p) {
    case BudgetPeriod::day:
      return day;
    case BudgetPeriod::week: {
      // 1970-01-01 was a Thursday: Mondays are 4 days after it, modulo 7.
      const int64_t days = day.us / k_us_per_day;
      const int64_t since_monday = ((days - 4) % 7 + 7) % 7;
      return TimeUs{day.us - since_monday * k_us_per_day};
    }
    case BudgetPeriod::month: {
      CivilTime c = to_civil(now);
      c.day = 1;
      c.hour = c.minute = c.second = 0;
      c.micro = 0;
      return from_civil(c);
    }
  }
  return day;
}

// A budget's limit or alert_at: from 0 to the most an account may hold.
std::optional<LedgerError> check_budget_amount(std::string_view what, Credits c, Credits most) {
  if (!c.is_negative() && c <= most) return std::nullopt;
  return make_error(ErrorCode::invalid_request,
                    cat(what, " must be >= 0 and at most ", format_credits(most)));
}

}  // namespace

std::expected<uint32_t, LedgerError> Ledger::team_account(const std::string& id) const {
  auto index = account_for(id);
  if (!index) return index;
  if (!accounts_[*index].team) {
    return std::unexpected(
        make_error(ErrorCode::invalid_request, cat("account '", id, "' is not a team account")));
  }
  return index;
}

std::optional<LedgerError> Ledger::check_team_debit(const Account& a, const std::string& member,
                                                    const std::string& project, Credits amount,
                                                    TimeUs now) const {
  if (!a.team) {
    if (member.empty() && project.empty()) return std::nullopt;
    return make_error(
        ErrorCode::invalid_request,
        cat("member and project apply to team accounts only; '", a.id, "' is a personal account"));
  }
  if (member.empty()) {
    return make_error(ErrorCode::invalid_request,
                      cat("a hold or spend on team account '", a.id, "' names its member"));
  }
  if (auto e = check_text("member", member, k_team_name_length_max, true)) return e;
  if (!project.empty()) {
    if (auto e = check_text("project", project, k_team_name_length_max, true)) return e;
  }
  const Member* m = a.team->find_member(member);
  if (m == nullptr) return no_member(a, member);
  if (m->role == Role::viewer) {
    return make_error(ErrorCode::forbidden, cat("'", member, "' is a viewer of team account '",
                                                a.id, "' and may not spend"));
  }
  // Each budget as of `now` without rolling a copy of it: this runs for every team debit.
  for (const Budget& b : a.team->budgets) {
    if (b.spec.mode != BudgetMode::hard || !b.applies(member, project)) continue;
    if (amount <= b.left_at(now)) continue;
    const Credits used = b.used_at(now);
    const Credits left = max(b.left_at(now), Credits{});
    LedgerError e = make_error(
        ErrorCode::budget_exceeded,
        cat("budget '", b.spec.id, "' of team account '", a.id, "' allows ",
            format_credits(b.spec.limit), " per ", budget_period_name(b.spec.period), "; ",
            format_credits(used), " used since ", format_time(b.counting_from_at(now)), ", ",
            format_credits(left), " left; this debit needs ", format_credits(amount)));
    e.shortfall = amount - left;
    e.budget = BudgetRefusal{b.spec.id, b.spec.limit, used, left};
    return e;
  }
  return std::nullopt;
}

void Ledger::count_budgets(uint32_t account, const std::string& member, const std::string& project,
                           Credits amount, uint64_t debit, TimeUs now) {
  Account& a = accounts_[account];
  if (!a.team) return;
  for (Budget& b : a.team->budgets) {
    if (!b.applies(member, project)) continue;
    b.roll_to(now);
    b.used += amount;
    // Each event once a period (roll_to re-arms both), with the debit that caused it. A hard
    // budget never passes its limit: check_team_debit refused the debit whole, with no event.
    if (!b.reached && b.spec.alert_at.is_positive() && b.used >= b.spec.alert_at) {
      b.reached = true;
      emit(EventType::budget_threshold_reached, account, now, b.used, debit, b.period_end,
           b.spec.id, b.spec.alert_at);
    }
    if (!b.crossed && b.used > b.spec.limit) {
      b.crossed = true;
      if (b.spec.mode == BudgetMode::soft) {
        emit(EventType::budget_exceeded, account, now, b.used, debit, b.period_end, b.spec.id,
             b.spec.limit);
      }
    }
    touch(account);
  }
}

void Ledger::uncount_budgets(uint32_t account, const std::string& member,
                             const std::string& project, Credits amount, uint64_t debit,
                             TimeUs counted_at, TimeUs now) {
  Account& a = accounts_[account];
  if (!a.team || !amount.is_positive()) return;
  for (Budget& b : a.team->budgets) {
    if (!b.applies(member, project)) continue;
    b.roll_to(now);
    // Only what this period counted comes back to it (a debit before the budget existed, or
    // in an earlier period, was never in `used`).
    if (debit < b.first_debit || counted_at < b.period_start) continue;
    TALLY_CHECK(amount <= b.used);
    b.used -= amount;
    touch(account);
  }
}

Result Ledger::add_member(const AddMember& c, TimeUs now) {
  auto index = team_account(c.account);
  if (!index) return std::unexpected(std::move(index.error()));
  if (auto e = check_text("user", c.user, k_team_name_length_max, true)) {
    return std::unexpected(*e);
  }
  Account& a = accounts_[*index];
  Team& t = *a.team;
  if (t.find_member(c.user) != nullptr) {
    return std::unexpected(make_error(ErrorCode::member_exists,
                                      cat("'", c.user, "' is already a member of '", a.id, "'")));
  }
  // The plan's limit, and a pending plan's too: the team must fit it when it takes over.
  size_t most = k_team_members_max;
  if (a.subscription) {
    for (const std::string& id : {a.subscription->plan, a.subscription->pending_plan}) {
      if (const Plan* plan = id.empty() ? nullptr : catalog_->find_plan(id)) {
        most = std::min<size_t>(most, plan->team_members);
      }
    }
  }
  if (t.members.size() >= most) {
    return std::unexpected(make_error(ErrorCode::limit_exceeded,
                                      cat("team account '", a.id, "' has ", t.members.size(),
                                          " members, the most its plan allows (", most, ")")));
  }
  t.members.push_back(Member{c.user, c.role, now});
  touch(*index);
  return MemberReply{a.id, t.members.back()};
}

Result Ledger::set_member_role(const SetMemberRole& c) {
  auto index = team_account(c.account);
  if (!index) return std::unexpected(std::move(index.error()));
  Account& a = accounts_[*index];
  Member* m = a.team->find_member(c.user);
  if (m == nullptr) return std::unexpected(no_member(a, c.user));
  if (m->role == Role::owner && c.role != Role::owner && owners(*a.team) == 1) {
    return std::unexpected(make_error(
        ErrorCode::invalid_request,
        cat("'", c.user, "' is the only owner of '", a.id, "'; make another owner first")));
  }
  m->role = c.role;
  touch(*index);
  return MemberReply{a.id, *m};
}

Result Ledger::remove_member(const RemoveMember& c) {
  auto index = team_account(c.account);
  if (!index) return std::unexpected(std::move(index.error()));
  Account& a = accounts_[*index];
  Team& t = *a.team;
  const Member* m = t.find_member(c.user);
  if (m == nullptr) return std::unexpected(no_member(a, c.user));
  if (m->role == Role::owner && owners(t) == 1) {
    return std::unexpected(make_error(
        ErrorCode::invalid_request,
        cat("'", c.user, "' is the only owner of '", a.id, "'; make another owner first")));
  }
  MemberReply reply{a.id, *m};
  t.members.erase(t.members.begin() + (m - t.members.data()));
  touch(*index);
  return reply;
}

Result Ledger::add_budget(const AddBudget& c, TimeUs now) {
  auto index = team_account(c.account);
  if (!index) return std::unexpected(std::move(index.error()));
  const BudgetSpec& s = c.spec;
  if (auto e = check_text("id", s.id, k_team_name_length_max, true)) return std::unexpected(*e);
  if (s.member.empty() && s.project.empty()) {
    return std::unexpected(
        make_error(ErrorCode::invalid_request, "a budget names a member, a project, or both"));
  }
  for (auto [what, text] : {std::pair{"member", &s.member}, std::pair{"project", &s.project}}) {
    if (text->empty()) continue;
    if (auto e = check_text(what, *text, k_team_name_length_max, true)) {
      return std::unexpected(*e);
    }
  }
  for (auto [what, amount] : {std::pair{"limit", s.limit}, std::pair{"alert_at", s.alert_at}}) {
    if (auto e = check_budget_amount(what, amount, config_.account_total_max)) {
      return std::unexpected(*e);
    }
  }
  Account& a = accounts_[*index];
  Team& t = *a.team;
  if (t.find_budget(s.id) != nullptr) {
    return std::unexpected(make_error(ErrorCode::budget_exists,
                                      cat("team account '", a.id, "' has a budget '", s.id, "'")));
  }
  if (t.budgets.size() >= k_team_budgets_max) {
    return std::unexpected(make_error(
        ErrorCode::limit_exceeded,
        cat("team account '", a.id, "' has ", t.budgets.size(), " budgets, the most allowed")));
  }
  Budget& b = t.budgets.emplace_back();
  b.spec = s;
  b.spec.anchor = c.anchor.value_or(calendar_anchor(s.period, now));
  b.created_at = now;
  b.first_debit = ((static_cast<uint64_t>(shard_) << k_id_shard_shift) | id_counter_) + 1;
  b.period_start = TimeUs::never();  // rolled below
  b.roll_to(now);
  touch(*index);
  return BudgetReply{a.id, b};
}

Result Ledger::update_budget(const UpdateBudget& c, TimeUs now) {
  auto index = team_account(c.account);
  if (!index) return std::unexpected(std::move(index.error()));
  Account& a = accounts_[*index];
  auto found = team_budget(a, c.id);
  if (!found) return std::unexpected(std::move(found.error()));
  const auto it = *found;
  for (auto [what, amount] : {std::pair{"limit", &c.limit}, std::pair{"alert_at", &c.alert_at}}) {
    if (!*amount) continue;
    if (auto e = check_budget_amount(what, **amount, config_.account_total_max)) {
      return std::unexpected(*e);
    }
  }
  it->roll_to(now);
  if (c.limit) it->spec.limit = *c.limit;
  if (c.mode) it->spec.mode = *c.mode;
  if (c.alert_at) {
    // Armed from now, like an account's low_balance: usage already past the new alert_at emits
    // nothing until the next period.
    it->spec.alert_at = *c.alert_at;
    it->reached = it->spec.alert_at.is_positive() && it->used >= it->spec.alert_at;
  }
  touch(*index);
  return BudgetReply{a.id, *it};
}

Result Ledger::remove_budget(const RemoveBudget& c) {
  auto index = team_account(c.account);
  if (!index) return std::unexpected(std::move(index.error()));
  Account& a = accounts_[*index];
  auto found = team_budget(a, c.id);
  if (!found) return std::unexpected(std::move(found.error()));
  const auto it = *found;
  it->roll_to(now_);
  BudgetReply reply{a.id, *it};
  a.team->budgets.erase(it);
  touch(*index);
  return reply;
}

}  // namespace tally
