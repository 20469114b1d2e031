// `tally members ...` and `tally budgets ...` (client_commands.h; issue 17, docs/api.md
// "Teams"): the members and budgets of a team account on a running server. Every change is a
// ledger command the server remembers under its Idempotency-Key, so each sends one
// (KeyUse::always): running the same command again is a retry, not a second change.
#include <array>
#include <memory>
#include <string_view>

#include "cli/client_call_parts.h"

namespace tally::cli {
namespace {

constexpr std::array<std::string_view, 4> k_roles = {"owner", "admin", "member", "viewer"};
constexpr std::array<std::string_view, 3> k_periods = {"P1D", "P1W", "P1M"};
constexpr std::array<std::string_view, 2> k_modes = {"hard", "soft"};

// Error unless `value` is one of `allowed`: "--role must be owner, admin, member or viewer".
template <size_t n>
std::optional<std::string> check_word(const char* what, const std::string& value,
                                      const std::array<std::string_view, n>& allowed) {
  for (std::string_view a : allowed) {
    if (value == a) return std::nullopt;
  }
  std::string message = std::string(what) + " must be ";
  for (size_t i = 0; i < n; ++i) {
    message += i == 0 ? "" : i + 1 == n ? " or " : ", ";
    message += allowed[i];
  }
  return message + " (not \"" + value + "\")";
}

// "/v1/accounts/ACCOUNT/<what>/ID": both ids checked (error: a usage message).
std::expected<std::string, std::string> team_path(const std::string& account, const char* what,
                                                  const char* id_name, const std::string& id) {
  if (auto e = check_account(account)) return std::unexpected(*e);
  if (auto e = check_id(id_name, id)) return std::unexpected(*e);
  return "/v1/accounts/" + account + "/" + what + "/" + id;
}

}  // namespace

Built build_member_add(const std::string& account, const std::string& user,
                       const std::string& role) {
  if (auto e = check_account(account)) return std::unexpected(*e);
  if (auto e = check_id("user", user)) return std::unexpected(*e);
  Body b;
  b.str("user", user);
  if (!role.empty()) {
    if (auto e = check_word("--role", role, k_roles)) return std::unexpected(*e);
    b.str("role", role);
  }
  return call("POST", "/v1/accounts/" + account + "/members", b.take(), KeyUse::always,
              View::fields);
}

Built build_member_list(const std::string& account) {
  if (auto e = check_account(account)) return std::unexpected(*e);
  return call("GET", "/v1/accounts/" + account + "/members", "", KeyUse::none, View::fields);
}

Built build_member_role(const std::string& account, const std::string& user,
                        const std::string& role) {
  auto path = team_path(account, "members", "user", user);
  if (!path) return std::unexpected(path.error());
  if (auto e = check_word("the role", role, k_roles)) return std::unexpected(*e);
  return call("PATCH", *path, Body().str("role", role).take(), KeyUse::always, View::fields);
}

Built build_member_remove(const std::string& account, const std::string& user) {
  auto path = team_path(account, "members", "user", user);
  if (!path) return std::unexpected(path.error());
  return call("DELETE", *path, "", KeyUse::always, View::fields);
}

Built build_budget_add(const BudgetArgs& a) {
  if (auto e = check_account(a.account)) return std::unexpected(*e);
  if (auto e = check_id("budget", a.id)) return std::unexpected(*e);
  if (auto e = check_amount("--limit", a.limit)) return std::unexpected(*e);
  if (auto e = check_word("--period", a.period, k_periods)) return std::unexpected(*e);
  if (a.member.empty() && a.project.empty()) {
    return std::unexpected("a budget binds --member U, --project P or both");
  }
  Body b;
  b.str("id", a.id);
  if (!a.member.empty()) {
    if (auto e = check_id("--member: user", a.member)) return std::unexpected(*e);
    b.str("member", a.member);
  }
  if (!a.project.empty()) {
    if (auto e = check_id("--project: project", a.project)) return std::unexpected(*e);
    b.str("project", a.project);
  }
  b.str("limit", a.limit).str("period", a.period);
  if (!a.anchor.empty()) {
    if (auto e = check_time("--anchor", a.anchor)) return std::unexpected(*e);
    b.str("anchor", a.anchor);
  }
  if (!a.mode.empty()) {
    if (auto e = check_word("--mode", a.mode, k_modes)) return std::unexpected(*e);
    b.str("mode", a.mode);
  }
  if (!a.alert_at.empty()) {
    if (auto e = check_amount("--alert-at", a.alert_at)) return std::unexpected(*e);
    b.str("alert_at", a.alert_at);
  }
  return call("POST", "/v1/accounts/" + a.account + "/budgets", b.take(), KeyUse::always,
              View::fields);
}

Built build_budget_list(const std::string& account, const std::string& member,
                        const std::string& project) {
  if (auto e = check_account(account)) return std::unexpected(*e);
  std::string path = "/v1/accounts/" + account + "/budgets";
  char sep = '?';
  for (const auto& [name, value] :
       {std::pair<const char*, const std::string&>{"member", member}, {"project", project}}) {
    if (value.empty()) continue;
    const std::string option = std::string("--") + name + ": " + name;
    if (auto e = check_id(option.c_str(), value)) return std::unexpected(*e);
    path += sep + std::string(name) + "=" + value;  // the id alphabet needs no escaping
    sep = '&';
  }
  return call("GET", path, "", KeyUse::none, View::fields);
}

Built build_budget_show(const std::string& account, const std::string& id) {
  auto path = team_path(account, "budgets", "budget", id);
  if (!path) return std::unexpected(path.error());
  return call("GET", *path, "", KeyUse::none, View::fields);
}

Built build_budget_remove(const std::string& account, const std::string& id) {
  auto path = team_path(account, "budgets", "budget", id);
  if (!path) return std::unexpected(path.error());
  return call("DELETE", *path, "", KeyUse::always, View::fields);
}

Built build_budget_update(const std::string& account, const std::string& id,
                          const std::string& limit, const std::string& mode,
                          const std::string& alert_at) {
  auto path = team_path(account, "budgets", "budget", id);
  if (!path) return std::unexpected(path.error());
  if (limit.empty() && mode.empty() && alert_at.empty()) {
    return std::unexpected("give --limit, --mode, --alert-at or several");
  }
  Body b;
  if (!limit.empty()) {
    if (auto e = check_amount("--limit", limit)) return std::unexpected(*e);
    b.str("limit", limit);
  }
  if (!mode.empty()) {
    if (auto e = check_word("--mode", mode, k_modes)) return std::unexpected(*e);
    b.str("mode", mode);
  }
  if (!alert_at.empty()) {
    if (auto e = check_amount("--alert-at", alert_at)) return std::unexpected(*e);
    b.str("alert_at", alert_at);
  }
  return call("PATCH", *path, b.take(), KeyUse::always, View::fields);
}

Built build_team_usage(const std::string& account, const std::string& from, const std::string& to) {
  if (auto e = check_account(account)) return std::unexpected(*e);
  std::string path = "/v1/accounts/" + account + "/usage";
  if (auto e = add_time_query(&path, "from", from)) return std::unexpected(*e);
  if (auto e = add_time_query(&path, "to", to)) return std::unexpected(*e);
  return call("GET", path, "", KeyUse::none, View::fields);
}

namespace {

struct Args {
  ClientOptions options;
  BudgetArgs a;  // account and id (a member's user id too), and a budget's fields
  std::string role;
};

// A subcommand of `group` whose first argument is the team account; `key`: whether it changes.
CLI::App* on_account(CLI::App* group, const char* name, const char* what, Args& a, KeyUse key) {
  CLI::App* cmd = group->add_subcommand(name, what);
  cmd->add_option("account", a.a.account, "The team account's id")->required();
  add_client_options(cmd, a.options, key);
  return cmd;
}

void add_member_commands(CLI::App& app, int& exit_code) {
  CLI::App* group = app.add_subcommand("members", "The members of a team account and their roles");
  group->alias("member");
  group->require_subcommand(1);

  auto add = std::make_shared<Args>();
  CLI::App* cmd = on_account(group, "add", "Add a member", *add, KeyUse::always);
  cmd->add_option("user", add->a.id, "The member's user id")->required();
  cmd->add_option("--role", add->role, "owner, admin, member (default) or viewer");
  cmd->callback([add, &exit_code] {
    exit_code = run_built(add->options, build_member_add(add->a.account, add->a.id, add->role));
  });

  auto list = std::make_shared<Args>();
  on_account(group, "list", "The members, in the order they were added", *list, KeyUse::none)
      ->callback([list, &exit_code] {
        exit_code = run_built(list->options, build_member_list(list->a.account));
      });

  auto role = std::make_shared<Args>();
  cmd = on_account(group, "role", "Change a member's role (a team keeps an owner)", *role,
                   KeyUse::always);
  cmd->add_option("user", role->a.id, "The member's user id")->required();
  cmd->add_option("role", role->role, "owner, admin, member or viewer")->required();
  cmd->callback([role, &exit_code] {
    exit_code =
        run_built(role->options, build_member_role(role->a.account, role->a.id, role->role));
  });

  auto remove = std::make_shared<Args>();
  cmd = on_account(group, "remove", "Remove a member: it starts no new hold or spend", *remove,
                   KeyUse::always);
  cmd->add_option("user", remove->a.id, "The member's user id")->required();
  cmd->callback([remove, &exit_code] {
    exit_code = run_built(remove->options, build_member_remove(remove->a.account, remove->a.id));
  });
}

void add_budget_commands(CLI::App& app, int& exit_code) {
  CLI::App* group =
      app.add_subcommand("budgets", "Budgets of a team account, per member and per project");
  group->alias("budget");
  group->require_subcommand(1);

  auto add = std::make_shared<Args>();
  CLI::App* cmd = on_account(group, "add", "Add a budget", *add, KeyUse::always);
  BudgetArgs& a = add->a;
  cmd->add_option("id", a.id, "The budget's id, of your choosing")->required();
  cmd->add_option("--limit", a.limit, "Credits per period, e.g. 500 or 12.5")->required();
  cmd->add_option("--period", a.period, "P1D, P1W or P1M")->required();
  cmd->add_option("--member", a.member, "The member it binds (user id)");
  cmd->add_option("--project", a.project, "The project it binds");
  cmd->add_option("--anchor", a.anchor, "A period boundary, RFC 3339 (default: the calendar's)");
  cmd->add_option("--mode", a.mode, "hard (default: refuses past the limit) or soft (marks it)");
  cmd->add_option("--alert-at", a.alert_at,
                  "Usage at which budget.threshold_reached is sent, once a period");
  cmd->callback(
      [add, &exit_code] { exit_code = run_built(add->options, build_budget_add(add->a)); });

  auto list = std::make_shared<Args>();
  cmd = on_account(group, "list", "Budgets with their usage in the current period", *list,
                   KeyUse::none);
  cmd->add_option("--member", list->a.member, "Only those that bind this member");
  cmd->add_option("--project", list->a.project, "Only those that bind this project");
  cmd->callback([list, &exit_code] {
    const BudgetArgs& l = list->a;
    exit_code = run_built(list->options, build_budget_list(l.account, l.member, l.project));
  });

  for (const char* verb : {"show", "remove"}) {
    auto one = std::make_shared<Args>();
    const bool show = std::string_view(verb) == "show";
    cmd = on_account(group, verb, show ? "One budget with its usage" : "Remove a budget", *one,
                     show ? KeyUse::none : KeyUse::always);
    cmd->add_option("id", one->a.id, "The budget's id")->required();
    cmd->callback([one, show, &exit_code] {
      const BudgetArgs& o = one->a;
      exit_code = run_built(one->options, show ? build_budget_show(o.account, o.id)
                                               : build_budget_remove(o.account, o.id));
    });
  }

  auto update = std::make_shared<Args>();
  cmd = on_account(group, "update", "Change a budget's limit or mode (usage so far stays)", *update,
                   KeyUse::always);
  cmd->add_option("id", update->a.id, "The budget's id")->required();
  cmd->add_option("--limit", update->a.limit, "Credits per period");
  cmd->add_option("--mode", update->a.mode, "hard or soft");
  cmd->add_option("--alert-at", update->a.alert_at,
                  "Usage that sends budget.threshold_reached (0: none)");
  cmd->callback([update, &exit_code] {
    const BudgetArgs& u = update->a;
    exit_code = run_built(update->options,
                          build_budget_update(u.account, u.id, u.limit, u.mode, u.alert_at));
  });
}

}  // namespace

void add_team_commands(CLI::App& app, int& exit_code) {
  add_member_commands(app, exit_code);
  add_budget_commands(app, exit_code);
  auto usage = std::make_shared<Args>();
  CLI::App* cmd = app.add_subcommand(
      "usage", "What a team's members and projects used in a period, net of releases and refunds");
  cmd->add_option("account", usage->a.account, "The team account's id")->required();
  cmd->add_option("--from", usage->a.id, "The start, RFC 3339 (included)")->required();
  cmd->add_option("--to", usage->a.anchor, "The end, RFC 3339 (excluded)")->required();
  add_client_options(cmd, usage->options, KeyUse::none);
  cmd->callback([usage, &exit_code] {
    const BudgetArgs& u = usage->a;
    exit_code = run_built(usage->options, build_team_usage(u.account, u.id, u.anchor));
  });
}

}  // namespace tally::cli
