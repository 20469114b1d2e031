// Arguments -> ApiCall for the client commands (client_commands.h). Pure: no I/O. Checks
// here are the ones a person gets wrong at the keyboard (exit 2 before any request); the
// server checks everything again.
#include <algorithm>
#include <charconv>

#include "cli/client_call_parts.h"

namespace tally::cli {
namespace {

std::optional<int64_t> as_integer(std::string_view v) {
  if (v.empty() || v.size() > 19) return std::nullopt;
  if (v.size() > 1 && (v.front() == '0' || (v.front() == '-' && v[1] == '0'))) return std::nullopt;
  int64_t out = 0;
  const auto [end, ec] = std::from_chars(v.data(), v.data() + v.size(), out);
  if (ec != std::errc() || end != v.data() + v.size()) return std::nullopt;
  return out;
}

bool in_id_alphabet(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
         std::string_view("._-:@+~").find(c) != std::string_view::npos;
}

}  // namespace

Body& Body::params(std::string_view key,
                   const std::vector<std::pair<std::string, std::string>>& kvs) {
  name(key);
  w_.StartObject();
  for (const auto& [k, v] : kvs) {
    w_.Key(k.data(), static_cast<rapidjson::SizeType>(k.size()));
    if (auto i = as_integer(v)) {
      w_.Int64(*i);
    } else if (v == "true" || v == "false") {
      w_.Bool(v == "true");
    } else {
      w_.String(v.data(), static_cast<rapidjson::SizeType>(v.size()));
    }
  }
  w_.EndObject();
  return *this;
}

std::optional<std::string> check_id(const char* what, const std::string& id) {
  if (id.empty() || id.size() > 128) {
    return std::string(what) + " id \"" + id + "\" must be 1 to 128 characters";
  }
  for (char c : id) {
    if (!in_id_alphabet(c)) {
      return std::string(what) + " id \"" + id + "\" may hold only A-Z a-z 0-9 . _ - : @ + ~";
    }
  }
  return std::nullopt;
}

std::optional<std::string> check_object_id(const char* what, const std::string& id) {
  if (id.empty() || id.size() > 20 || id.find_first_not_of("0123456789") != std::string::npos) {
    return std::string(what) + " id \"" + id + "\" must be the decimal id the server gave";
  }
  return std::nullopt;
}

std::optional<std::string> check_amount(const char* what, const std::string& a) {
  const size_t dot = a.find('.');
  const std::string whole = a.substr(0, dot);
  const std::string frac = dot == std::string::npos ? "" : a.substr(dot + 1);
  const bool ok =
      !whole.empty() && whole.size() <= 13 &&
      whole.find_first_not_of("0123456789") == std::string::npos &&
      (dot == std::string::npos || (!frac.empty() && frac.size() <= 6 &&
                                    frac.find_first_not_of("0123456789") == std::string::npos));
  if (ok) return std::nullopt;
  return std::string(what) + " \"" + a +
         "\" must be credits such as 12 or 12.5 (at most 6 decimals)";
}

std::optional<std::string> check_time(const char* option, const std::string& time) {
  if (time.empty() || time.find_first_not_of("0123456789-:.TZtz+") != std::string::npos)
    return std::string(option) + " must be an RFC 3339 time such as 2026-11-01T00:00:00Z";
  return std::nullopt;
}

std::optional<std::string> add_time_query(std::string* path, const char* name,
                                          const std::string& time) {
  const std::string option = std::string("--") + name;
  if (auto e = check_time(option.c_str(), time)) return e;
  *path += path->find('?') == std::string::npos ? '?' : '&';
  *path += std::string(name) + "=";
  for (char c : time) *path += c == '+' ? std::string("%2B") : std::string(1, c);
  return std::nullopt;
}

namespace {

std::expected<std::vector<std::pair<std::string, std::string>>, std::string> parse_params(
    const char* what, const std::vector<std::string>& kvs) {
  std::vector<std::pair<std::string, std::string>> out;
  for (const std::string& kv : kvs) {
    const size_t eq = kv.find('=');
    if (eq == std::string::npos || eq == 0) {
      return std::unexpected(std::string(what) + " \"" + kv + "\" must be written key=value");
    }
    for (const auto& [k, v] : out) {
      if (k == kv.substr(0, eq))
        return std::unexpected(std::string(what) + " " + k + " given twice");
    }
    out.emplace_back(kv.substr(0, eq), kv.substr(eq + 1));
  }
  return out;
}

}  // namespace

Built build_account_open(const std::string& account, const std::optional<std::string>& plan,
                         bool no_plan, bool team, const std::string& owner) {
  if (auto e = check_account(account)) return std::unexpected(*e);
  if (plan && no_plan) return std::unexpected("give --plan or --no-plan, not both");
  if (team && owner.empty()) return std::unexpected("a team account needs --owner USER");
  if (!team && !owner.empty()) return std::unexpected("--owner applies to --team accounts only");
  if (team) {
    if (auto e = check_id("--owner: user", owner)) return std::unexpected(*e);
  }
  Body b;
  b.str("id", account);
  if (plan) b.str("plan", *plan);
  if (no_plan) b.null("plan");
  if (team) b.str("kind", "team").str("owner", owner);
  return call("POST", "/v1/accounts", b.take(), KeyUse::always, View::account);
}

Built build_balance(const std::string& account) {
  if (auto e = check_account(account)) return std::unexpected(*e);
  return call("GET", "/v1/accounts/" + account, "", KeyUse::none, View::account);
}

Built build_history(const std::string& account, std::optional<int64_t> limit,
                    std::optional<int64_t> after, bool by_operation) {
  if (auto e = check_account(account)) return std::unexpected(*e);
  if (limit && (*limit < 1 || *limit > 1000)) return std::unexpected("--limit must be 1 to 1000");
  if (after && *after < 0) return std::unexpected("--after must be a sequence number (0 or more)");
  std::string path = "/v1/accounts/" + account + "/entries";
  char sep = '?';
  if (limit) {
    path += sep + std::string("limit=") + std::to_string(*limit);
    sep = '&';
  }
  if (after) {
    path += sep + std::string("after=") + std::to_string(*after);
    sep = '&';
  }
  if (by_operation) path += sep + std::string("group=operation");
  return call("GET", path, "", KeyUse::none, by_operation ? View::operations : View::history);
}

Built build_balance_at(const std::string& account, const std::string& as_of) {
  if (auto e = check_account(account)) return std::unexpected(*e);
  if (auto e = check_time("--as-of", as_of)) return std::unexpected(*e);
  std::string query;  // '+' of an offset would read as a space in a query
  for (char c : as_of) query += c == '+' ? std::string("%2B") : std::string(1, c);
  return call("GET", "/v1/accounts/" + account + "/balance?as_of=" + query, "", KeyUse::none,
              View::fields);
}

Built build_account_list(const AccountListArgs& a) {
  std::string path = "/v1/accounts";
  char sep = '?';
  auto add = [&](const char* name, const std::string& v) {
    path += sep + std::string(name) + "=" + v;
    sep = '&';
  };
  if (!a.prefix.empty()) {
    if (auto e = check_account(a.prefix)) return std::unexpected("--prefix: " + *e);
    add("prefix", a.prefix);
  }
  if (!a.plan.empty()) {
    if (auto e = check_account(a.plan)) return std::unexpected("--plan: " + *e);
    add("plan", a.plan);
  }
  if (!a.kind.empty()) {
    if (a.kind != "team" && a.kind != "personal") {
      return std::unexpected("--kind must be team or personal");
    }
    add("kind", a.kind);
  }
  if (!a.cursor.empty()) {
    if (auto e = check_account(a.cursor)) return std::unexpected("--cursor: " + *e);
    add("cursor", a.cursor);
  }
  if (a.limit) {
    if (*a.limit < 1 || *a.limit > 1000) return std::unexpected("--limit must be 1 to 1000");
    add("limit", std::to_string(*a.limit));
  }
  return call("GET", path, "", KeyUse::none, View::fields);
}

Built build_grant(const GrantArgs& a) {
  if (auto e = check_account(a.account)) return std::unexpected(*e);
  if (auto e = check_amount("amount", a.amount)) return std::unexpected(*e);
  if (a.reason.empty()) return std::unexpected("--reason is required and may not be empty");
  const int validities =
      int(!a.valid_for.empty()) + int(!a.expires_at.empty()) + int(a.never_expires);
  if (validities > 1) {
    return std::unexpected("give at most one of --valid-for, --expires-at, --never-expires");
  }
  Body b;
  b.str("amount", a.amount);
  if (!a.source.empty()) b.str("source", a.source);
  if (!a.valid_for.empty()) b.str("valid_for", a.valid_for);
  if (!a.expires_at.empty()) b.str("expires_at", a.expires_at);
  if (a.never_expires) b.boolean("never_expires", true);
  if (!a.scope.empty()) b.strings("scope", a.scope);
  b.str("reason", a.reason);
  return call("POST", "/v1/accounts/" + a.account + "/grants", b.take(), KeyUse::always, View::lot);
}

namespace {

// The body shared by holds and spends: priced by tool and params, or by amount.
// Writes into b (a Body cannot move: its writer points at its buffer); error: a usage message.
std::optional<std::string> job_body(const HoldArgs& a, Body& b) {
  if (auto e = check_account(a.account)) return e;
  b.str("account", a.account);
  if (!a.amount.empty()) {
    if (auto e = check_amount("--amount", a.amount)) return e;
    if (!a.params.empty()) return "--param prices a job: give --tool without --amount";
    b.str("amount", a.amount);
    if (!a.tool.empty()) b.str("tool", a.tool);
  } else {
    if (a.tool.empty()) return "give --amount A, or --tool T with its --param k=v";
    auto params = parse_params("--param", a.params);
    if (!params) return params.error();
    b.str("tool", a.tool).params("params", *params);
  }
  if (!a.member.empty()) {
    if (auto e = check_id("--member: user", a.member)) return e;
    b.str("member", a.member);
  }
  if (!a.project.empty()) {
    if (auto e = check_id("--project: project", a.project)) return e;
    b.str("project", a.project);
  }
  return std::nullopt;
}

// An --outcome (issue 19), if given, into the body.
std::optional<std::string> outcome_field(const std::string& outcome, Body& b) {
  if (outcome.empty()) return std::nullopt;
  if (outcome != "usable" && outcome != "rejected") {
    return "--outcome is 'usable' or 'rejected'";
  }
  b.str("outcome", outcome);
  return std::nullopt;
}

std::optional<std::string> check_reason(const std::string& reason) {
  if (reason.empty()) return "--reason is required and may not be empty";
  if (reason.size() > 1024) return "--reason may be at most 1024 bytes";
  return std::nullopt;
}

}  // namespace

Built build_hold(const HoldArgs& a) {
  Body b;
  if (!a.outcome.empty()) return std::unexpected("a hold has no --outcome: give it to capture");
  if (auto e = job_body(a, b)) return std::unexpected(*e);
  if (a.ttl_s) b.integer("ttl_s", *a.ttl_s);
  return call("POST", "/v1/holds", b.take(), KeyUse::always, View::hold);
}

Built build_spend(const HoldArgs& a) {
  if (a.ttl_s) return std::unexpected("a spend has no --ttl-s");
  Body b;
  if (auto e = job_body(a, b)) return std::unexpected(*e);
  if (auto e = outcome_field(a.outcome, b)) return std::unexpected(*e);
  return call("POST", "/v1/spends", b.take(), KeyUse::always, View::fields);
}

Built build_show(const std::string& kind, const std::string& id) {
  if (kind != "hold" && kind != "spend") return std::unexpected("show hold ID, or show spend ID");
  if (auto e = check_object_id(kind.c_str(), id)) return std::unexpected(*e);
  return call("GET", "/v1/" + kind + "s/" + id, "", KeyUse::none,
              kind == "hold" ? View::hold : View::fields);
}

Built build_refund(const std::string& spend, const std::string& amount, const std::string& reason) {
  if (auto e = check_object_id("spend", spend)) return std::unexpected(*e);
  if (auto e = check_reason(reason)) return std::unexpected(*e);
  Body b;
  if (!amount.empty()) {
    if (auto e = check_amount("--amount", amount)) return std::unexpected(*e);
    b.str("amount", amount);
  }
  b.str("reason", reason);
  return call("POST", "/v1/spends/" + spend + "/refunds", b.take(), KeyUse::always, View::fields);
}

Built build_outcome(const std::string& spend, const std::string& outcome) {
  if (auto e = check_object_id("spend", spend)) return std::unexpected(*e);
  if (outcome != "usable" && outcome != "rejected") {
    return std::unexpected("the outcome is 'usable' or 'rejected'");
  }
  Body b;
  b.str("outcome", outcome);
  return call("POST", "/v1/spends/" + spend + "/outcome", b.take(), KeyUse::always, View::fields);
}

Built build_void(const std::string& kind, const std::string& id, const std::string& reason) {
  if (kind != "lot" && kind != "purchase")
    return std::unexpected("void lot ID, or void purchase ID");
  if (auto e = check_object_id(kind.c_str(), id)) return std::unexpected(*e);
  if (auto e = check_reason(reason)) return std::unexpected(*e);
  return call("POST", "/v1/" + kind + "s/" + id + "/void", Body().str("reason", reason).take(),
              KeyUse::always, View::fields);
}

Built build_capture(const std::string& hold, const std::string& amount,
                    const std::vector<std::string>& usage, const std::string& outcome) {
  if (auto e = check_object_id("hold", hold)) return std::unexpected(*e);
  if (!amount.empty() && !usage.empty())
    return std::unexpected("give --amount or --usage, not both");
  Body b;
  if (!amount.empty()) {
    if (auto e = check_amount("--amount", amount)) return std::unexpected(*e);
    b.str("amount", amount);
  }
  if (!usage.empty()) {
    auto params = parse_params("--usage", usage);
    if (!params) return std::unexpected(params.error());
    b.params("usage", *params);
  }
  if (auto e = outcome_field(outcome, b)) return std::unexpected(*e);
  return call("POST", "/v1/holds/" + hold + "/capture", b.take(), KeyUse::always, View::capture);
}

Built build_release(const std::string& hold, const std::string& reason) {
  if (auto e = check_object_id("hold", hold)) return std::unexpected(*e);
  Body b;
  if (!reason.empty()) b.str("reason", reason);
  return call("POST", "/v1/holds/" + hold + "/release", b.take(), KeyUse::always, View::release);
}

Built build_buy(const BuyArgs& a) {
  if (auto e = check_account(a.account)) return std::unexpected(*e);
  if (a.pack.empty()) return std::unexpected("the pack id may not be empty");
  if (a.currency.size() != 3)
    return std::unexpected("--currency must be an ISO 4217 code such as USD");
  if (a.payment_ref.empty()) return std::unexpected("--payment-ref may not be empty");
  Body b;
  b.str("account", a.account).str("pack", a.pack).str("currency", a.currency);
  if (!a.region.empty()) b.str("region", a.region);
  b.str("payment_ref", a.payment_ref);
  return call("POST", "/v1/purchases", b.take(), KeyUse::only_if_given, View::purchase);
}

Built build_subscribe(const std::string& account, const std::string& plan,
                      const std::string& allocation) {
  if (auto e = check_account(account)) return std::unexpected(*e);
  if (plan.empty()) return std::unexpected("the plan id may not be empty");
  Body b;
  b.str("plan", plan);
  if (!allocation.empty()) {
    if (auto e = check_amount("--allocation", allocation)) return std::unexpected(*e);
    b.str("allocation", allocation);
  }
  return call("PUT", "/v1/accounts/" + account + "/subscription", b.take(), KeyUse::always,
              View::subscription);
}

Built build_subscription_change(const std::string& account, const std::string& action) {
  if (auto e = check_account(account)) return std::unexpected(*e);
  const std::string base = "/v1/accounts/" + account + "/subscription";
  if (action == "cancel") return call("DELETE", base, "", KeyUse::always, View::subscription);
  if (action == "past-due")
    return call("POST", base + "/past_due", "{}", KeyUse::always, View::subscription);
  if (action == "resume")
    return call("POST", base + "/resume", "{}", KeyUse::always, View::subscription);
  return std::unexpected("subscription cancel, past-due or resume");
}

Built build_reward(const std::string& account) {
  if (auto e = check_account(account)) return std::unexpected(*e);
  return call("POST", "/v1/accounts/" + account + "/rewards/daily", "{}", KeyUse::always,
              View::fields);
}

Built build_events(const EventsArgs& a) {
  std::string path = "/v1/events";
  if (!a.account.empty()) {
    if (auto e = check_account(a.account)) return std::unexpected(*e);
    path = "/v1/accounts/" + a.account + "/events";
  }
  char sep = '?';
  auto add = [&](const char* name, const std::string& v) {
    path += sep + std::string(name) + "=" + v;
    sep = '&';
  };
  auto plain = [](const std::string& v, const char* extra) {
    return v.find_first_not_of(std::string("abcdefghijklmnopqrstuvwxyz0123456789") + extra) ==
           std::string::npos;
  };
  if (!a.types.empty()) {
    if (!plain(a.types, "._,")) return std::unexpected("--types: event types separated by commas");
    add("types", a.types);
  }
  if (!a.after.empty()) {
    if (!plain(a.after, ".")) return std::unexpected("--after: the next_after of a page");
    add("after", a.after);
  }
  if (a.limit) {
    if (*a.limit < 1 || *a.limit > 1000) return std::unexpected("--limit must be 1 to 1000");
    add("limit", std::to_string(*a.limit));
  }
  return call("GET", path, "", KeyUse::none, View::fields);
}

Built build_alerts_show(const std::string& account) {
  if (auto e = check_account(account)) return std::unexpected(*e);
  return call("GET", "/v1/accounts/" + account + "/alerts", "", KeyUse::none, View::fields);
}

Built build_alerts_set(const std::string& account, const std::string& low_balance,
                       const std::string& expiring_notice) {
  if (auto e = check_account(account)) return std::unexpected(*e);
  Body b;
  if (!low_balance.empty()) {
    if (auto e = check_amount("--low-balance", low_balance)) return std::unexpected(*e);
    b.str("low_balance", low_balance);
  }
  if (!expiring_notice.empty()) b.str("expiring_notice", expiring_notice);
  return call("PUT", "/v1/accounts/" + account + "/alerts", b.take(), KeyUse::always, View::fields);
}

Built build_auto_topup_show(const std::string& account) {
  if (auto e = check_account(account)) return std::unexpected(*e);
  return call("GET", "/v1/accounts/" + account + "/auto_topup", "", KeyUse::none, View::fields);
}

Built build_auto_topup_set(const std::string& account, const std::string& below,
                           const std::string& pack, const std::string& currency,
                           const std::string& region) {
  if (auto e = check_account(account)) return std::unexpected(*e);
  if (auto e = check_amount("--below", below)) return std::unexpected(*e);
  if (pack.empty()) return std::unexpected("--pack is required");
  if (currency.empty()) return std::unexpected("--currency is required");
  Body b;
  b.str("below", below).str("pack", pack).str("currency", currency);
  if (!region.empty()) b.str("region", region);
  return call("PUT", "/v1/accounts/" + account + "/auto_topup", b.take(), KeyUse::always,
              View::fields);
}

Built build_auto_topup_off(const std::string& account) {
  if (auto e = check_account(account)) return std::unexpected(*e);
  return call("DELETE", "/v1/accounts/" + account + "/auto_topup", "", KeyUse::always,
              View::fields);
}

Built build_auto_topup_end(const std::string& verb, const std::string& id,
                           const std::string& reason) {
  if (verb != "fail" && verb != "cancel") return std::unexpected("auto-topup fail|cancel ID");
  if (auto e = check_object_id("auto top-up", id)) return std::unexpected(*e);
  Body b;
  if (!reason.empty()) {
    if (auto e = check_reason(reason)) return std::unexpected(*e);
    b.str("reason", reason);
  }
  return call("POST", "/v1/auto_topups/" + id + "/" + verb, b.take(), KeyUse::always, View::fields);
}

Built build_key_create(const std::string& name, const std::string& scope,
                       const std::string& expires_at) {
  if (name.empty() || name.size() > 128)
    return std::unexpected("--name must be 1 to 128 characters");
  Body b;
  b.str("name", name).str("scope", scope.empty() ? "service" : scope);
  if (!expires_at.empty()) b.str("expires_at", expires_at);
  return call("POST", "/v1/keys", b.take(), KeyUse::none, View::key);
}

Built build_key_list() {
  return call("GET", "/v1/keys", "", KeyUse::none, View::fields);
}

Built build_key_revoke(const std::string& id) {
  if (auto e = check_id("key", id)) return std::unexpected(*e);
  return call("DELETE", "/v1/keys/" + id, "", KeyUse::none, View::fields);
}

Built build_key_rotate(const std::string& id, int64_t overlap_s) {
  if (auto e = check_id("key", id)) return std::unexpected(*e);
  if (overlap_s < 0 || overlap_s > 2592000)
    return std::unexpected("--overlap-s must be 0 to 2592000 (30 days)");
  return call("POST", "/v1/keys/" + id + "/rotate", Body().integer("overlap_s", overlap_s).take(),
              KeyUse::none, View::key);
}

Built build_token(const std::string& account, std::optional<int64_t> ttl_s,
                  const std::string& member) {
  if (auto e = check_account(account)) return std::unexpected(*e);
  if (!member.empty()) {
    if (auto e = check_id("--member: user", member)) return std::unexpected(*e);
  }
  Body b;
  if (ttl_s) b.integer("ttl_s", *ttl_s);
  if (!member.empty()) b.str("member", member);
  return call("POST", "/v1/accounts/" + account + "/tokens", b.take(), KeyUse::none, View::token);
}

Built build_token_revoke(const std::string& account, const std::string& token_id, bool all) {
  if (auto e = check_account(account)) return std::unexpected(*e);
  if (token_id.empty() == !all) return std::unexpected("give --token-id ID or --all, not both");
  if (!all && (token_id.size() > 64 ||
               token_id.find_first_not_of("0123456789abcdef") != std::string::npos)) {
    return std::unexpected("--token-id must be the token's id (lowercase hex)");
  }
  Body b;
  if (all)
    b.boolean("all", true);
  else
    b.str("token_id", token_id);
  return call("POST", "/v1/accounts/" + account + "/tokens/revoke", b.take(), KeyUse::none,
              View::fields);
}

Built build_public_read(const std::string& what) {
  if (what == "pricing" || what == "plans" || what == "packs")
    return call("GET", "/v1/" + what, "", KeyUse::none, View::fields);
  if (what == "health") return call("GET", "/healthz", "", KeyUse::none, View::fields);
  if (what == "metrics") return call("GET", "/metrics", "", KeyUse::none, View::text);
  return std::unexpected("unknown read " + what);
}

Built build_batch(const std::string& body) {
  if (body.find_first_not_of(" \t\r\n") == std::string::npos)
    return std::unexpected("the batch file is empty");
  if (body.size() > (size_t{1} << 20)) return std::unexpected("a batch body is at most 1 MiB");
  return call("POST", "/v1/batch", body, KeyUse::none, View::fields);
}

Built build_clock_set(const std::string& now) {
  if (now.empty()) return std::unexpected("the time may not be empty (RFC 3339)");
  return call("POST", "/v1/admin/clock", Body().str("now", now).take(), KeyUse::none, View::fields);
}

Built build_reload() {
  return call("POST", "/v1/admin/reload", "", KeyUse::none, View::fields);
}

Built build_quote(const std::string& tool, const std::vector<std::string>& params,
                  const std::string& plan, const std::string& account) {
  if (tool.empty()) return std::unexpected("the tool id may not be empty");
  auto kvs = parse_params("parameter", params);
  if (!kvs) return std::unexpected(kvs.error());
  Body b;
  b.str("tool", tool).params("params", *kvs);
  if (!account.empty()) {
    if (auto e = check_account(account)) return std::unexpected(*e);
    b.str("account", account);
  }
  if (!plan.empty()) b.str("plan", plan);
  return call("POST", "/v1/quotes", b.take(), KeyUse::none, View::quote);
}

// --- webhooks (docs/webhooks.md) ---

Built build_webhook_create(const std::string& url, const std::string& types,
                           const std::string& description) {
  if (url.empty()) return std::unexpected("give the endpoint's URL");
  Body b;
  b.str("url", url);
  if (!types.empty()) {
    std::vector<std::string> list;
    for (size_t start = 0; start <= types.size();) {
      const size_t end = std::min(types.find(',', start), types.size());
      if (end == start) return std::unexpected("--types: event types separated by commas");
      list.push_back(types.substr(start, end - start));
      start = end + 1;
    }
    b.strings("event_types", list);
  }
  if (!description.empty()) b.str("description", description);
  return call("POST", "/v1/webhooks", b.take(), KeyUse::none, View::fields);
}

Built build_webhook_list() {
  return call("GET", "/v1/webhooks", "", KeyUse::none, View::fields);
}

Built build_webhook_action(const std::string& action, const std::string& id) {
  if (auto e = check_id("webhook", id)) return std::unexpected(*e);
  if (action == "show") return call("GET", "/v1/webhooks/" + id, "", KeyUse::none, View::fields);
  if (action == "delete") {
    return call("DELETE", "/v1/webhooks/" + id, "", KeyUse::none, View::fields);
  }
  if (action == "enable") {
    return call("POST", "/v1/webhooks/" + id + "/enable", "", KeyUse::none, View::fields);
  }
  return std::unexpected("unknown webhook action " + action);
}

Built build_webhook_rotate(const std::string& id, std::optional<int64_t> overlap_s) {
  if (auto e = check_id("webhook", id)) return std::unexpected(*e);
  Body b;
  if (overlap_s) {
    if (*overlap_s < 0 || *overlap_s > 2592000)
      return std::unexpected("--overlap-s must be 0 to 2592000 (30 days)");
    b.integer("overlap_s", *overlap_s);
  }
  return call("POST", "/v1/webhooks/" + id + "/rotate_secret", b.take(), KeyUse::none,
              View::fields);
}

Built build_webhook_deliveries(const std::string& id, std::optional<int64_t> limit) {
  if (auto e = check_id("webhook", id)) return std::unexpected(*e);
  std::string path = "/v1/webhooks/" + id + "/deliveries";
  if (limit) {
    if (*limit < 1 || *limit > 1000) return std::unexpected("--limit must be 1 to 1000");
    path += "?limit=" + std::to_string(*limit);
  }
  return call("GET", path, "", KeyUse::none, View::fields);
}

Built build_audit(const AuditArgs& a) {
  std::string path = "/v1/audit";
  char sep = '?';
  auto add = [&](const char* name, const std::string& v) {
    path += sep + std::string(name) + "=" + v;  // every value checked: nothing to escape
    sep = '&';
  };
  if (!a.key.empty()) {
    if (auto e = check_id("key", a.key)) return std::unexpected(*e);
    add("key", a.key);
  }
  if (!a.account.empty()) {
    if (auto e = check_account(a.account)) return std::unexpected(*e);
    add("account", a.account);
  }
  for (const auto& [name, value] :
       {std::pair<const char*, const std::string*>{"from", &a.from}, {"to", &a.to}}) {
    if (value->empty()) continue;
    // The server reads the time; here only what a query may carry as it is.
    if (value->size() > 40 || value->find_first_not_of("0123456789TZtz:.-+") != std::string::npos) {
      return std::unexpected("--" + std::string(name) +
                             " is an RFC 3339 time, e.g. 2026-12-01T00:00:00Z");
    }
    add(name, *value);
  }
  if (!a.cursor.empty()) {
    if (a.cursor.find_first_not_of("0123456789.") != std::string::npos) {
      return std::unexpected("--cursor: the next_cursor of a page");
    }
    add("cursor", a.cursor);
  }
  if (a.limit) {
    if (*a.limit < 1 || *a.limit > 1000) return std::unexpected("--limit must be 1 to 1000");
    add("limit", std::to_string(*a.limit));
  }
  return call("GET", path, "", KeyUse::none, View::fields);
}

Built build_platform_events(const std::string& after, std::optional<int64_t> limit) {
  std::string query;
  if (!after.empty()) {
    if (after.size() > 20 || after.find_first_not_of("0123456789") != std::string::npos) {
      return std::unexpected("--after is a platform event's id (a decimal number)");
    }
    query = "after=" + after;
  }
  if (limit) {
    if (*limit < 1 || *limit > 1000) return std::unexpected("--limit must be 1 to 1000");
    query += (query.empty() ? "limit=" : "&limit=") + std::to_string(*limit);
  }
  return call("GET", "/v1/platform/events" + (query.empty() ? "" : "?" + query), "", KeyUse::none,
              View::fields);
}

Built build_webhook_redeliver(const std::string& id, const std::string& event) {
  if (auto e = check_id("webhook", id)) return std::unexpected(*e);
  if (event.empty() || event.size() > 20 ||
      event.find_first_not_of("0123456789") != std::string::npos) {
    return std::unexpected("the event id is a decimal number (GET /v1/events shows them)");
  }
  return call("POST", "/v1/webhooks/" + id + "/deliveries/" + event + "/redeliver", "",
              KeyUse::none, View::fields);
}

}  // namespace tally::cli
