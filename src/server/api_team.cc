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
//   GET    /v1/accounts/{id}/usage?from=&to=    what members and projects used, from entries
// Every change is a ledger command, journaled and remembered with its idempotency key like any
// other; reads show each budget as of the shard's time (its period rolled at its boundary).
#include <map>

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
  // A member's or viewer's token sees its own entry only.
  const std::string only = call->sees_only_itself() ? call->who.member : "";
  read_team(call, call->args[0], [only](const Ledger&, const Account& a) {
    return json(200, [&](JsonWriter& w) {
      w.StartObject();
      write_text(w, "account", a.id);
      w.Key("members");
      w.StartArray();
      for (const Member& m : a.team->members) {
        if (only.empty() || m.user == only) write_member(w, a.id, m);
      }
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
  // A member's or viewer's token sees the budgets that bind it only.
  const std::string only = call->sees_only_itself() ? call->who.member : "";
  read_team(call, call->args[0], [budget, only](const Ledger& l, const Account& a) {
    const Budget* b = a.team->find_budget(budget);
    if (!b || (!only.empty() && !b->spec.member.empty() && b->spec.member != only)) {
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

namespace {

// What a team's members and projects used in a period, from the entries that name them.
struct Usage {
  Credits total;
  std::map<std::string, Credits> by_member;
  std::map<std::string, Credits> by_project;  // entries without a project are in total only

  // An entry's use is what it took from the team's balance: a hold or spend takes, a release,
  // a refund or the refund lot that replaces an expired one gives back, a capture moves held
  // credits and takes nothing more. So holds count until released, net of what came back.
  void add(const Entry& e) {
    if (e.member.empty() && e.project.empty()) return;
    const Credits used = -e.amount;
    total += used;
    if (!e.member.empty()) by_member[e.member] += used;
    if (!e.project.empty()) by_project[e.project] += used;
  }
};

void write_usage_list(JsonWriter& w, const char* key, const char* name,
                      const std::map<std::string, Credits>& used) {
  w.Key(key);
  w.StartArray();
  for (const auto& [id, amount] : used) {
    w.StartObject();
    write_text(w, name, id);
    write_amount(w, "used", amount);
    w.EndObject();
  }
  w.EndArray();
}

}  // namespace

void get_usage(const CallPtr& call) {
  const std::string id = call->args[0];
  auto from = time_query(call, "from");
  if (!from) return;
  auto to = time_query(call, "to");
  if (!to) return;
  if (*to <= *from) return fail(call, bad_request("'to' must be after 'from'"));
  store::Store* store = call->ctx.o.store;
  const ShardId shard = account_shard(*call, id);
  // A member's or viewer's token sees its own usage only.
  const std::string only = call->sees_only_itself() ? call->who.member : "";
  read_shard(
      call, shard,
      [id, from = *from, to = *to, store, shard, only](const Ledger& l) {
        const Account* a = l.find_account(id);
        if (!a) return problem_response(not_found(cat("no account '", id, "'")));
        if (!a->team) {
          return problem_response(bad_request(cat("account '", id, "' is not a team account")));
        }
        Usage usage;
        auto scanned = store->scan_account_entries(shard, id, 0, [&](const Entry& e) {
          if (e.at >= from && e.at < to && (only.empty() || e.member == only)) usage.add(e);
          return true;
        });
        if (!scanned) return problem_response({500, "internal", scanned.error().message, {}});
        return json(200, [&](JsonWriter& w) {
          w.StartObject();
          write_text(w, "account", id);
          write_time(w, "from", from);
          write_time(w, "to", to);
          write_amount(w, "used", usage.total);
          write_usage_list(w, "by_member", "member", usage.by_member);
          write_usage_list(w, "by_project", "project", usage.by_project);
          w.EndObject();
        });
      },
      /*uses_store=*/true);
}

void remove_budget(const CallPtr& call) {
  if (auto p = decode_no_fields(*call->body)) return fail(call, *p);
  submit(call, RemoveBudget{call->args[0], call->args[1]}, budget_answer(200));
}

}  // namespace tally::server
