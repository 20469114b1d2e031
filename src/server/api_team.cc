// Team accounts (issue 17, docs/api.md "Teams"): members and budgets.
//   POST   /v1/accounts/{id}/members            {"user", "role"}
//   GET    /v1/accounts/{id}/members
//   PATCH  /v1/accounts/{id}/members/{user}     {"role"}
//   DELETE /v1/accounts/{id}/members/{user}
//   POST   /v1/accounts/{id}/budgets            {"id", "member", "project", "limit", "period",
//                                                "anchor", "mode", "alert_at"}
//   GET    /v1/accounts/{id}/budgets[?member=&project=]
//   GET    /v1/accounts/{id}/budgets/{budget}
//   PATCH  /v1/accounts/{id}/budgets/{budget}   {"limit", "mode", "alert_at"}
//   DELETE /v1/accounts/{id}/budgets/{budget}
// Every change is a ledger command, journaled and remembered with its idempotency key like any
// other; reads show each budget as of the shard's time (its period rolled at its boundary).
#include "ledger/text.h"
#include "server/api_internal.h"

namespace tally::server {
namespace {

void write_member(JsonWriter& w, std::string_view account, const Member& m) {
  w.StartObject();
  write_text(w, "account", account);
  write_text(w, "user", m.user);
  write_text(w, "role", role_name(m.role));
  write_time(w, "added_at", m.added_at);
  w.EndObject();
}

// A budget as it stands: its settings, its current period, usage and what is left.
void write_budget(JsonWriter& w, std::string_view account, const Budget& b) {
  w.StartObject();
  write_text(w, "account", account);
  write_text(w, "id", b.spec.id);
  write_text_or_null(w, "member", b.spec.member);
  write_text_or_null(w, "project", b.spec.project);
  write_amount(w, "limit", b.spec.limit);
  write_text(w, "period", budget_period_name(b.spec.period));
  write_time(w, "anchor", b.spec.anchor);
  write_text(w, "mode", budget_mode_name(b.spec.mode));
  if (b.spec.alert_at.is_positive()) {
    write_amount(w, "alert_at", b.spec.alert_at);
  } else {
    w.Key("alert_at");  // like an account's low_balance: null when there is no alert
    w.Null();
  }
  write_time(w, "period_start", b.period_start);
  write_time(w, "period_end", b.period_end);
  write_time(w, "counting_from", b.counting_from);
  write_amount(w, "used", b.used);
  write_amount(w, "left", max(b.left(), Credits{}));
  w.Key("exceeded");
  w.Bool(b.crossed);
  w.Key("threshold_reached");
  w.Bool(b.reached);
  write_time(w, "created_at", b.created_at);
  w.EndObject();
}

// A stored budget as of a read's `now`: rolled (on a copy) only if its period has ended.
void write_budget_at(JsonWriter& w, std::string_view account, const Budget& b, TimeUs now) {
  if (b.in_period(now)) return write_budget(w, account, b);
  Budget rolled = b;
  rolled.roll_to(now);
  write_budget(w, account, rolled);
}

Encode member_answer(int status) {
  return [status](const Reply& r) {
    const MemberReply& m = std::get<MemberReply>(r);
    return json(status, [&](JsonWriter& w) { write_member(w, m.account, m.member); });
  };
}

Encode budget_answer(int status) {
  return [status](const Reply& r) {
    const BudgetReply& b = std::get<BudgetReply>(r);
    // The ledger rolled the reply's budget to the command's time: shown as it is.
    return json(status, [&](JsonWriter& w) { write_budget(w, b.account, b.budget); });
  };
}

std::optional<Role> role_field(FieldReader& f, bool required) {
  auto text = f.text("role", required, 16);
  if (!text) return required ? std::nullopt : std::optional<Role>(Role::member);
  auto role = parse_role(*text);
  if (!role) f.fail("'role' must be owner, admin, member or viewer");
  return role;
}

std::optional<BudgetMode> mode_field(FieldReader& f) {
  auto text = f.text("mode", false, 16);
  if (!text) return std::nullopt;
  auto mode = parse_budget_mode(*text);
  if (!mode) f.fail("'mode' must be hard or soft");
  return mode;
}

// Reads the team account `id` on its shard; 404 if there is none, 400 if it is personal.
void read_team(const CallPtr& call, const std::string& id,
               std::function<HttpResponse(const Ledger&, const Account&)> read) {
  read_shard(call, account_shard(*call, id), [id, read](const Ledger& l) {
    const Account* a = l.find_account(id);
    if (!a) return problem_response(not_found(cat("no account '", id, "'")));
    if (!a->team) {
      return problem_response(bad_request(cat("account '", id, "' is not a team account")));
    }
    return read(l, *a);
  });
}

}  // namespace

void add_member(const CallPtr& call) {
  FieldReader f(*call->body);
  auto user = f.id("user", true);
  auto role = role_field(f, false);
  if (auto p = f.finish()) return fail(call, *p);
  submit(call, AddMember{call->args[0], std::move(*user), *role}, member_answer(201));
}

void list_members(const CallPtr& call) {
  read_team(call, call->args[0], [](const Ledger&, const Account& a) {
    return json(200, [&](JsonWriter& w) {
      w.StartObject();
      write_text(w, "account", a.id);
      w.Key("members");
      w.StartArray();
      for (const Member& m : a.team->members) write_member(w, a.id, m);
      w.EndArray();
      w.EndObject();
    });
  });
}

void set_member_role(const CallPtr& call) {
  FieldReader f(*call->body);
  auto role = role_field(f, true);
  if (auto p = f.finish()) return fail(call, *p);
  submit(call, SetMemberRole{call->args[0], call->args[1], *role}, member_answer(200));
}

void remove_member(const CallPtr& call) {
  if (auto p = decode_no_fields(*call->body)) return fail(call, *p);
  submit(call, RemoveMember{call->args[0], call->args[1]}, member_answer(200));
}

void add_budget(const CallPtr& call) {
  FieldReader f(*call->body);
  AddBudget c;
  c.account = call->args[0];
  auto id = f.id("id", true);
  auto member = f.id("member", false);
  auto project = f.id("project", false);
  auto limit = f.amount("limit", true);
  auto period = f.text("period", true, 8);
  c.anchor = f.time("anchor", false);
  auto mode = mode_field(f);
  auto alert_at = f.amount("alert_at", false);
  if (f.ok() && !member && !project) f.fail("give 'member', 'project' or both");
  std::optional<BudgetPeriod> p;
  if (f.ok()) {
    p = parse_budget_period(*period);
    if (!p) f.fail("'period' must be P1D, P1W or P1M");
  }
  if (auto problem = f.finish()) return fail(call, *problem);
  c.spec = BudgetSpec{std::move(*id),
                      member.value_or(""),
                      project.value_or(""),
                      *limit,
                      *p,
                      {},
                      mode.value_or(BudgetMode::hard),
                      alert_at.value_or(Credits{})};
  submit(call, std::move(c), budget_answer(201));
}

void list_budgets(const CallPtr& call) {
  const std::optional<std::string> member = call->query_value("member");
  const std::optional<std::string> project = call->query_value("project");
  read_team(call, call->args[0], [member, project](const Ledger& l, const Account& a) {
    return json(200, [&](JsonWriter& w) {
      w.StartObject();
      write_text(w, "account", a.id);
      write_time(w, "as_of", l.now());
      w.Key("budgets");
      w.StartArray();
      for (const Budget& b : a.team->budgets) {
        // ?member=: the budgets that bind that member (its own, and those of any member);
        // ?project=: likewise for a project.
        if (member && !b.spec.member.empty() && b.spec.member != *member) continue;
        if (project && !b.spec.project.empty() && b.spec.project != *project) continue;
        write_budget_at(w, a.id, b, l.now());
      }
      w.EndArray();
      w.EndObject();
    });
  });
}

void get_budget(const CallPtr& call) {
  const std::string budget = call->args[1];
  read_team(call, call->args[0], [budget](const Ledger& l, const Account& a) {
    const Budget* b = a.team->find_budget(budget);
    if (!b) {
      return problem_response(
          not_found(cat("team account '", a.id, "' has no budget '", budget, "'")));
    }
    return json(200, [&](JsonWriter& w) { write_budget_at(w, a.id, *b, l.now()); });
  });
}

void update_budget(const CallPtr& call) {
  FieldReader f(*call->body);
  UpdateBudget c{call->args[0], call->args[1], f.amount("limit", false), mode_field(f),
                 f.amount("alert_at", false)};
  if (f.ok() && !c.limit && !c.mode && !c.alert_at) {
    f.fail("give 'limit', 'mode', 'alert_at' or several");
  }
  if (auto p = f.finish()) return fail(call, *p);
  submit(call, std::move(c), budget_answer(200));
}

void remove_budget(const CallPtr& call) {
  if (auto p = decode_no_fields(*call->body)) return fail(call, *p);
  submit(call, RemoveBudget{call->args[0], call->args[1]}, budget_answer(200));
}

}  // namespace tally::server
