// Registration and I/O of the client commands (client_commands.h). The pure parts are in
// client_calls.cc (arguments -> ApiCall) and client_views.cc (JSON -> text).
#include "cli/client_commands.h"

#include <openssl/evp.h>
#include <rapidjson/document.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <deque>
#include <fstream>
#include <iostream>
#include <memory>
#include <random>
#include <sstream>

#include "cli/http_client.h"

namespace tally::cli {
namespace {

int usage_error(const std::string& message) {
  std::cerr << "tally: " << message << "\n";
  return k_exit_usage;
}

// A command's state: its common options and its own arguments, alive as long as the app.
template <typename Args>
struct Command {
  ClientOptions options;
  Args args;
  int64_t ttl_s = 0;  // commands with --ttl-s; used when the option was given
};

const std::vector<std::string> k_sources = {"signup", "subscription", "rollover", "reward",
                                            "promo",  "admin",        "purchase", "refund"};

void add_account_open(CLI::App& app, int& exit_code) {
  struct Args {
    std::string account, plan, owner;
    bool no_plan = false, team = false;
  };
  auto c = std::make_shared<Command<Args>>();
  CLI::App* group = app.add_subcommand("account", "Accounts on a running server");
  group->alias("accounts");
  group->require_subcommand(1);
  CLI::App* cmd =
      group->add_subcommand("open", "Open an account (its plan's signup grant applies)");
  cmd->add_option("id", c->args.account, "The platform's account id")->required();
  CLI::Option* plan =
      cmd->add_option("--plan", c->args.plan, "Its plan (default: the catalog's default plan)");
  cmd->add_flag("--no-plan", c->args.no_plan, "Open it without a subscription")->excludes(plan);
  cmd->add_flag("--team", c->args.team,
                "A team account: a shared wallet with members and budgets (needs --owner)");
  cmd->add_option("--owner", c->args.owner, "The team's first member, its owner (a user id)");
  add_client_options(cmd, c->options, KeyUse::always);
  cmd->callback([c, plan, &exit_code] {
    std::optional<std::string> p;
    if (plan->count() > 0) p = c->args.plan;
    const auto& a = c->args;
    exit_code = run_built(c->options, build_account_open(a.account, p, a.no_plan, a.team, a.owner));
  });

  auto l = std::make_shared<Command<AccountListArgs>>();
  CLI::App* list =
      group->add_subcommand("list", "Find accounts by id prefix, plan and kind, a page at a time");
  list->add_option("--prefix", l->args.prefix, "Only ids that start with it");
  list->add_option("--plan", l->args.plan, "Only accounts on this plan");
  list->add_option("--kind", l->args.kind, "Only team or only personal accounts");
  list->add_option("--cursor", l->args.cursor, "The previous page's next_cursor");
  CLI::Option* limit =
      list->add_option("--limit", l->ttl_s, "Accounts per page (1 to 1000; default 100)");
  add_client_options(list, l->options, KeyUse::none);
  list->callback([l, limit, &exit_code] {
    if (limit->count() > 0) l->args.limit = l->ttl_s;
    exit_code = run_built(l->options, build_account_list(l->args));
  });
}

void add_balance_and_history(CLI::App& app, int& exit_code) {
  auto b = std::make_shared<Command<std::pair<std::string, std::string>>>();
  CLI::App* bal = app.add_subcommand("balance", "An account's balance and lots");
  bal->add_option("id", b->args.first, "Account id")->required();
  bal->add_option("--as-of", b->args.second,
                  "The balance at this RFC 3339 time, recomputed from the journal");
  add_client_options(bal, b->options, KeyUse::none);
  bal->callback([b, &exit_code] {
    exit_code = run_built(b->options, b->args.second.empty()
                                          ? build_balance(b->args.first)
                                          : build_balance_at(b->args.first, b->args.second));
  });

  struct Args {
    std::string account;
    int64_t limit = 0, after = 0;
    bool newest_first = false;
    std::string group = "entry";
  };
  auto h = std::make_shared<Command<Args>>();
  CLI::App* hist = app.add_subcommand("history", "An account's journal, oldest first");
  hist->add_option("id", h->args.account, "Account id")->required();
  CLI::Option* limit =
      hist->add_option("--limit", h->args.limit, "Entries per page (1 to 1000; default 100)");
  CLI::Option* after =
      hist->add_option("--after", h->args.after, "Start after this sequence number");
  hist->add_flag("--newest-first", h->args.newest_first,
                 "The last --limit entries (default 100), newest first")
      ->excludes(after);
  hist->add_option("--group", h->args.group,
                   "entry (one line per lot portion, the default) or operation (one line per "
                   "hold, capture, release, spend, refund, purchase, grant, renewal, expiry or "
                   "void, its portions under it; --limit then counts operations)")
      ->check(CLI::IsMember({"entry", "operation"}))
      ->excludes("--newest-first");
  add_client_options(hist, h->options, KeyUse::none);
  hist->callback([h, limit, after, &exit_code] {
    std::optional<int64_t> l, a;
    if (limit->count() > 0) l = h->args.limit;
    if (after->count() > 0) a = h->args.after;
    const bool by_operation = h->args.group == "operation";
    exit_code = h->args.newest_first
                    ? run_history_newest_first(h->options, h->args.account, l)
                    : run_built(h->options, build_history(h->args.account, l, a, by_operation));
  });
}

void add_grant(CLI::App& app, int& exit_code) {
  auto c = std::make_shared<Command<GrantArgs>>();
  GrantArgs& a = c->args;
  CLI::App* cmd =
      app.add_subcommand("grant", "Grant credits to an account as a new lot (admin key)");
  cmd->add_option("id", a.account, "Account id")->required();
  cmd->add_option("amount", a.amount, "Credits, e.g. 50 or 12.5")->required();
  cmd->add_option("--reason", a.reason, "Why (shown in the account's history)")->required();
  cmd->add_option("--source", a.source, "Lot source (default admin)")
      ->check(CLI::IsMember(k_sources));
  CLI::Option* valid_for =
      cmd->add_option("--valid-for", a.valid_for, "Validity as an ISO 8601 duration, e.g. P30D");
  CLI::Option* expires_at =
      cmd->add_option("--expires-at", a.expires_at, "Expiry as an RFC 3339 time");
  CLI::Option* never =
      cmd->add_flag("--never-expires", a.never_expires, "The credits never expire");
  valid_for->excludes(expires_at)->excludes(never);
  expires_at->excludes(never);
  cmd->add_option("--scope", a.scope, "A tool the credits may pay for (repeatable; default any)")
      ->allow_extra_args(false);
  add_client_options(cmd, c->options, KeyUse::always);
  cmd->callback([c, &exit_code] { exit_code = run_built(c->options, build_grant(c->args)); });
}

// A job's account, and its price: an amount, or a tool and its parameters (hold, spend).
void add_job_options(CLI::App* cmd, HoldArgs& args, const char* amount_help) {
  cmd->add_option("account", args.account, "Account id")->required();
  CLI::Option* amount = cmd->add_option("--amount", args.amount, amount_help);
  cmd->add_option("--tool", args.tool,
                  "Price the job of this tool (or, with --amount, pay for it)");
  cmd->add_option("--param", args.params, "A job parameter key=value (repeatable)")
      ->allow_extra_args(false)
      ->excludes(amount);
  cmd->add_option("--member", args.member,
                  "The member (user id) who spends; required on a team account");
  cmd->add_option("--project", args.project, "The team's project it is for (budgets by project)");
}

void add_hold_capture_release(CLI::App& app, int& exit_code) {
  auto h = std::make_shared<Command<HoldArgs>>();
  CLI::App* hold = app.add_subcommand("hold", "Reserve credits for a job");
  add_job_options(hold, h->args, "Hold this many credits");
  CLI::Option* ttl = hold->add_option("--ttl-s", h->ttl_s,
                                      "Seconds before the hold is released by itself (default 900)")
                         ->check(CLI::Range(int64_t{1}, int64_t{86400}));
  add_client_options(hold, h->options, KeyUse::always);
  hold->callback([h, ttl, &exit_code] {
    if (ttl->count() > 0) h->args.ttl_s = h->ttl_s;
    exit_code = run_built(h->options, build_hold(h->args));
  });

  struct CaptureArgs {
    std::string hold, amount;
    std::vector<std::string> usage;
    std::string outcome;
  };
  auto c = std::make_shared<Command<CaptureArgs>>();
  CLI::App* cap = app.add_subcommand("capture", "Capture a hold (all of it by default)");
  cap->add_option("hold", c->args.hold, "Hold id")->required();
  CLI::Option* cap_amount =
      cap->add_option("--amount", c->args.amount, "Capture this many credits");
  cap->add_option("--usage", c->args.usage,
                  "Actual usage key=value, priced with the hold's book (repeatable)")
      ->allow_extra_args(false)
      ->excludes(cap_amount);
  cap->add_option("--outcome", c->args.outcome, "What the job's output was: usable or rejected");
  add_client_options(cap, c->options, KeyUse::always);
  cap->callback([c, &exit_code] {
    exit_code = run_built(
        c->options, build_capture(c->args.hold, c->args.amount, c->args.usage, c->args.outcome));
  });

  auto r = std::make_shared<Command<std::pair<std::string, std::string>>>();
  CLI::App* rel =
      app.add_subcommand("release", "Release a hold: its credits go back to their lots");
  rel->add_option("hold", r->args.first, "Hold id")->required();
  rel->add_option("--reason", r->args.second, "Why (shown in the history)");
  add_client_options(rel, r->options, KeyUse::always);
  rel->callback([r, &exit_code] {
    exit_code = run_built(r->options, build_release(r->args.first, r->args.second));
  });
}

void add_buy_subscribe(CLI::App& app, int& exit_code) {
  auto b = std::make_shared<Command<BuyArgs>>();
  CLI::App* buy = app.add_subcommand("buy", "Record a paid pack (also: purchase)");
  buy->alias("purchase");
  buy->add_option("account", b->args.account, "Account id")->required();
  buy->add_option("pack", b->args.pack, "Pack id")->required();
  buy->add_option("--currency", b->args.currency, "ISO 4217 currency paid in, e.g. USD")
      ->required();
  buy->add_option("--region", b->args.region, "Region whose price applies");
  buy->add_option("--payment-ref", b->args.payment_ref,
                  "The payment's reference (also the purchase's idempotency identity)")
      ->required();
  add_client_options(buy, b->options, KeyUse::only_if_given);
  buy->callback([b, &exit_code] { exit_code = run_built(b->options, build_buy(b->args)); });

  auto s = std::make_shared<Command<std::pair<std::string, std::string>>>();
  CLI::App* sub = app.add_subcommand("subscribe", "Put an account on a plan, or change its plan");
  sub->add_option("account", s->args.first, "Account id")->required();
  sub->add_option("plan", s->args.second, "Plan id")->required();
  auto allocation = std::make_shared<std::string>();
  sub->add_option("--allocation", *allocation, "Credits per period (custom-allocation plans)");
  add_client_options(sub, s->options, KeyUse::always);
  sub->callback([s, allocation, &exit_code] {
    exit_code = run_built(s->options, build_subscribe(s->args.first, s->args.second, *allocation));
  });

  CLI::App* group = app.add_subcommand("subscription", "Change an account's subscription");
  group->require_subcommand(1);
  for (const auto& [action, what] :
       {std::pair<const char*, const char*>{"cancel", "Cancel at the end of the current period"},
        {"past-due", "The period's payment failed: no allocation until resumed"},
        {"resume", "Back to active (payment recovered, or a cancellation withdrawn)"}}) {
    auto c = std::make_shared<Command<std::string>>();
    CLI::App* cmd = group->add_subcommand(action, what);
    cmd->add_option("account", c->args, "Account id")->required();
    add_client_options(cmd, c->options, KeyUse::always);
    cmd->callback([c, a = std::string(action), &exit_code] {
      exit_code = run_built(c->options, build_subscription_change(c->args, a));
    });
  }

  auto r = std::make_shared<Command<std::string>>();
  CLI::App* reward =
      app.add_subcommand("reward", "Claim an account's daily reward (once a UTC day)");
  reward->add_option("account", r->args, "Account id")->required();
  add_client_options(reward, r->options, KeyUse::always);
  reward->callback([r, &exit_code] { exit_code = run_built(r->options, build_reward(r->args)); });
}

void add_spend_refund_void(CLI::App& app, int& exit_code) {
  auto s = std::make_shared<Command<HoldArgs>>();
  CLI::App* spend = app.add_subcommand("spend", "Debit credits at once (no hold)");
  add_job_options(spend, s->args, "Spend this many credits");
  spend->add_option("--outcome", s->args.outcome, "What the job's output was: usable or rejected");
  add_client_options(spend, s->options, KeyUse::always);
  spend->callback([s, &exit_code] { exit_code = run_built(s->options, build_spend(s->args)); });

  struct RefundArgs {
    std::string spend, amount, reason;
  };
  auto r = std::make_shared<Command<RefundArgs>>();
  CLI::App* refund =
      app.add_subcommand("refund", "Return credits of a spend to the lots they came from");
  refund->add_option("spend", r->args.spend, "Spend id")->required();
  refund->add_option("--amount", r->args.amount, "Refund this many credits (default: all)");
  refund->add_option("--reason", r->args.reason, "Why (shown in the history)")->required();
  add_client_options(refund, r->options, KeyUse::always);
  refund->callback([r, &exit_code] {
    exit_code = run_built(r->options, build_refund(r->args.spend, r->args.amount, r->args.reason));
  });

  auto o = std::make_shared<Command<std::pair<std::string, std::string>>>();
  CLI::App* outcome = app.add_subcommand(
      "outcome", "Mark what a spend's output turned out to be: usable or rejected (once)");
  outcome->add_option("spend", o->args.first, "Spend id (for a captured hold: its capture's)")
      ->required();
  outcome->add_option("outcome", o->args.second, "usable or rejected")->required();
  add_client_options(outcome, o->options, KeyUse::always);
  outcome->callback([o, &exit_code] {
    exit_code = run_built(o->options, build_outcome(o->args.first, o->args.second));
  });

  CLI::App* voids =
      app.add_subcommand("void", "Void what is left of a lot or a purchase (admin key)");
  voids->require_subcommand(1);
  CLI::App* show = app.add_subcommand("show", "A hold or a spend, by id");
  show->require_subcommand(1);
  for (const char* kind : {"lot", "purchase"}) {
    auto v = std::make_shared<Command<std::pair<std::string, std::string>>>();
    CLI::App* cmd = voids->add_subcommand(
        kind, std::string("Void what is left of a ") + kind +
                  (std::string(kind) == "lot" ? "" : "'s lots (a charge-back)"));
    cmd->add_option("id", v->args.first, std::string("The ") + kind + "'s id")->required();
    cmd->add_option("--reason", v->args.second, "Why (shown in the history)")->required();
    add_client_options(cmd, v->options, KeyUse::always);
    cmd->callback([v, k = std::string(kind), &exit_code] {
      exit_code = run_built(v->options, build_void(k, v->args.first, v->args.second));
    });
  }
  for (const char* kind : {"hold", "spend"}) {
    auto v = std::make_shared<Command<std::string>>();
    CLI::App* cmd = show->add_subcommand(kind, std::string("A ") + kind + "'s state");
    cmd->add_option("id", v->args, std::string("The ") + kind + "'s id")->required();
    add_client_options(cmd, v->options, KeyUse::none);
    cmd->callback([v, k = std::string(kind), &exit_code] {
      exit_code = run_built(v->options, build_show(k, v->args));
    });
  }
}

void add_reads_batch_clock(CLI::App& app, int& exit_code) {
  for (const auto& [name, what] :
       {std::pair<const char*, const char*>{"pricing", "The server's public price table"},
        {"plans", "The server's plans"},
        {"packs", "The server's credit packs and their prices"},
        {"health", "Whether the server is serving (GET /healthz)"},
        {"metrics", "The server's Prometheus metrics"}}) {
    auto c = std::make_shared<Command<int>>();
    CLI::App* cmd = app.add_subcommand(name, what);
    add_client_options(cmd, c->options, KeyUse::none);
    cmd->callback([c, n = std::string(name), &exit_code] {
      exit_code = run_built(c->options, build_public_read(n));
    });
  }

  auto b = std::make_shared<Command<std::string>>();
  CLI::App* batch = app.add_subcommand(
      "batch", "Send many requests in one round trip: FILE holds {\"requests\": [...]}");
  batch->add_option("file", b->args, "The batch as JSON ('-' reads standard input)")->required();
  add_client_options(batch, b->options, KeyUse::none);
  batch->callback([b, &exit_code] {
    std::ostringstream text;
    if (b->args == "-") {
      text << std::cin.rdbuf();
    } else {
      std::ifstream in(b->args);
      if (!in) {
        exit_code = usage_error("cannot read " + b->args);
        return;
      }
      text << in.rdbuf();
    }
    exit_code = run_built(b->options, build_batch(text.str()));
  });

  auto c = std::make_shared<Command<std::string>>();
  CLI::App* clock = app.add_subcommand("clock", "The manual clock of a test server");
  clock->require_subcommand(1);
  CLI::App* set =
      clock->add_subcommand("set", "Move the clock forward (tally serve --clock manual)");
  set->add_option("now", c->args, "The new time, RFC 3339")->required();
  add_client_options(set, c->options, KeyUse::none);
  set->callback([c, &exit_code] { exit_code = run_built(c->options, build_clock_set(c->args)); });

  auto r = std::make_shared<Command<int>>();
  CLI::App* reload = app.add_subcommand(
      "reload",
      "Make the server read its configuration file again (admin key): a new price "
      "book version, plans, packs, [log]; what needs a restart is reported");
  add_client_options(reload, r->options, KeyUse::none);
  reload->callback([r, &exit_code] { exit_code = run_built(r->options, build_reload()); });
}

void add_keys_token(CLI::App& app, int& exit_code) {
  CLI::App* keys = app.add_subcommand("keys", "Service keys (admin key)");
  keys->require_subcommand(1);
  struct KeyArgs {
    std::string name, scope = "service", expires_at;
  };
  auto k = std::make_shared<Command<KeyArgs>>();
  CLI::App* create = keys->add_subcommand("create",
                                          "Create a key; its secret is shown once (no retry: a "
                                          "second run makes a second key)");
  create->add_option("--name", k->args.name, "What the key is for")->required();
  create->add_option("--scope", k->args.scope, "admin, service, worker or read")
      ->check(CLI::IsMember({"admin", "service", "worker", "read"}))
      ->capture_default_str();
  create->add_option("--expires-at", k->args.expires_at, "It stops working then (RFC 3339)");
  add_client_options(create, k->options, KeyUse::none);
  create->callback([k, &exit_code] {
    exit_code =
        run_built(k->options, build_key_create(k->args.name, k->args.scope, k->args.expires_at));
  });

  auto l = std::make_shared<Command<int>>();
  CLI::App* list = keys->add_subcommand("list", "The keys not revoked (never a secret)");
  add_client_options(list, l->options, KeyUse::none);
  list->callback([l, &exit_code] { exit_code = run_built(l->options, build_key_list()); });

  auto r = std::make_shared<Command<std::string>>();
  CLI::App* revoke = keys->add_subcommand("revoke", "Revoke a key at once, for good");
  revoke->add_option("id", r->args, "The key's id")->required();
  add_client_options(revoke, r->options, KeyUse::none);
  revoke->callback(
      [r, &exit_code] { exit_code = run_built(r->options, build_key_revoke(r->args)); });

  auto o = std::make_shared<Command<std::string>>();
  CLI::App* rotate = keys->add_subcommand(
      "rotate", "A new secret for a key; the old one works --overlap-s seconds more");
  rotate->add_option("id", o->args, "The key's id (admin: the admin key)")->required();
  rotate->add_option("--overlap-s", o->ttl_s, "Seconds the old secret keeps working (0 to 2592000)")
      ->required();
  add_client_options(rotate, o->options, KeyUse::none);
  rotate->callback(
      [o, &exit_code] { exit_code = run_built(o->options, build_key_rotate(o->args, o->ttl_s)); });

  // `token ACCOUNT` (issue 6) and `tokens create ACCOUNT` are the same command.
  auto add_token = [&exit_code](CLI::App* tok) {
    auto t = std::make_shared<Command<std::pair<std::string, std::string>>>();
    tok->add_option("account", t->args.first, "Account id")->required();
    tok->add_option("--member", t->args.second,
                    "A token for this member of a team account: it reads what the role allows");
    CLI::Option* ttl =
        tok->add_option("--ttl-s", t->ttl_s, "Seconds the token is valid (default 3600)")
            ->check(CLI::Range(int64_t{1}, int64_t{2592000}));
    add_client_options(tok, t->options, KeyUse::none);
    tok->callback([t, ttl, &exit_code] {
      std::optional<int64_t> ttl_s;
      if (ttl->count() > 0) ttl_s = t->ttl_s;
      exit_code = run_built(t->options, build_token(t->args.first, ttl_s, t->args.second));
    });
  };
  add_token(app.add_subcommand("token", "Mint an end-user token and its dashboard link"));
  CLI::App* tokens = app.add_subcommand("tokens", "End-user tokens");
  tokens->require_subcommand(1);
  add_token(tokens->add_subcommand("create", "Mint an end-user token and its dashboard link"));

  struct RevokeArgs {
    std::string account, token_id;
    bool all = false;
  };
  auto v = std::make_shared<Command<RevokeArgs>>();
  CLI::App* rev =
      tokens->add_subcommand("revoke", "Revoke one token of an account, or all of them");
  rev->add_option("account", v->args.account, "Account id")->required();
  CLI::Option* one = rev->add_option("--token-id", v->args.token_id, "The token's id");
  rev->add_flag("--all", v->args.all, "Every token of the account issued so far")->excludes(one);
  add_client_options(rev, v->options, KeyUse::none);
  rev->callback([v, &exit_code] {
    exit_code =
        run_built(v->options, build_token_revoke(v->args.account, v->args.token_id, v->args.all));
  });
}

}  // namespace

int run_built(const ClientOptions& options, const Built& built) {
  return built ? run_call(options, *built) : usage_error(built.error());
}

std::string random_idempotency_key() {
  std::random_device rd;
  static constexpr char k_hex[] = "0123456789abcdef";
  std::string out;
  for (int i = 0; i < 4; ++i) {
    uint32_t v = rd();
    for (int j = 0; j < 8; ++j, v >>= 4) out += k_hex[v & 0xF];
  }
  return out;
}

CLI::Option* add_client_options(CLI::App* command, ClientOptions& options, KeyUse key, bool json) {
  CLI::Option* server = command->add_option("--server", options.server, "Server URL")
                            ->envname("TALLY_SERVER")
                            ->capture_default_str();
  command->add_option("--key", options.key, "Admin or service key (sent as a bearer token)")
      ->envname("TALLY_KEY");
  if (json) command->add_flag("--json", options.json, "Print the server's JSON answer as is");
  command->add_flag("-v,--verbose", options.verbose,
                    "Print the request, its status and its idempotency key");
  command->add_option("--timeout-s", options.timeout_s, "Seconds to wait for the server")
      ->check(CLI::Range(int64_t{1}, int64_t{3600}))
      ->capture_default_str();
  if (key != KeyUse::none) {
    command->add_option("--idempotency-key", options.idempotency_key,
                        key == KeyUse::always
                            ? "Key that makes a retry safe (default: derived from the request, "
                              "so the same command run again is a retry)"
                            : "Key that makes a retry safe (default: none; the payment reference)");
  }
  return server;
}

int run_call(const ClientOptions& options, const ApiCall& call) {
  auto server = parse_server_url(options.server);
  if (!server) return usage_error(server.error());
  ClientRequest request{call.method, call.path, call.body, {}};
  if (!options.key.empty()) request.headers.emplace_back("Authorization", "Bearer " + options.key);
  std::string key = options.idempotency_key;
  if (call.key == KeyUse::always && key.empty()) key = derive_idempotency_key(call);
  if (call.key == KeyUse::none) key.clear();
  if (!key.empty()) request.headers.emplace_back("Idempotency-Key", key);
  if (options.verbose) {
    std::cerr << call.method << " " << options.server << call.path << "\n";
    if (!key.empty()) std::cerr << "Idempotency-Key: " << key << "\n";
  }

  auto response = http_send(*server, request, std::chrono::seconds(options.timeout_s));
  if (!response) {
    std::cerr << "tally: " << response.error() << "\n";
    if (!key.empty()) std::cerr << "tally: to retry safely, add --idempotency-key " << key << "\n";
    return k_exit_unavailable;
  }
  if (options.verbose) std::cerr << "HTTP " << response->status << "\n";
  const bool ok = response->status >= 200 && response->status < 300;
  if (options.json) {
    std::cout << response->body << (response->body.ends_with('\n') ? "" : "\n");
  }
  if (!ok) {
    std::cerr << "tally: " << format_problem(response->status, response->body) << "\n";
    if (response->status == 401 && options.key.empty()) {
      std::cerr << "tally: no key given: use --key or set TALLY_KEY\n";
    }
    if (response->status >= 500) {  // the server did not answer the request: it may be retried
      if (!key.empty())
        std::cerr << "tally: to retry safely, add --idempotency-key " << key << "\n";
      return k_exit_unavailable;
    }
    return k_exit_refused;
  }
  if (options.json) return 0;
  auto text = render_view(call.view, response->body);
  if (!text) {  // the change happened; show what the server said
    std::cerr << "tally: " << text.error() << "\n";
    std::cout << response->body << "\n";
    return 0;
  }
  std::cout << *text;
  return 0;
}

std::string derive_idempotency_key(const ApiCall& call) {
  // Length-prefixed parts, so that no two different requests hash the same bytes.
  std::string bytes = "tally-cli-idempotency-v1";
  for (const std::string* part : {&call.method, &call.path, &call.body}) {
    bytes += std::to_string(part->size()) + ":" + *part;
  }
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int n = 0;
  const int ok = EVP_Digest(bytes.data(), bytes.size(), md, &n, EVP_sha256(), nullptr);
  if (ok != 1 || n < 16) std::abort();  // SHA-256 cannot fail on memory we own
  static constexpr char k_hex[] = "0123456789abcdef";
  std::string out = "cli-";
  for (unsigned int i = 0; i < 16; ++i) {
    out += k_hex[md[i] >> 4];
    out += k_hex[md[i] & 0xF];
  }
  return out;
}

int run_history_newest_first(const ClientOptions& options, const std::string& account,
                             std::optional<int64_t> limit) {
  const int64_t keep = limit.value_or(100);
  auto first = build_history(account, 1000, std::nullopt);
  if (!first) return usage_error(first.error());
  if (keep < 1 || keep > 1000) return usage_error("--limit must be 1 to 1000");
  auto server = parse_server_url(options.server);
  if (!server) return usage_error(server.error());
  ClientRequest request{"GET", "", "", {}};
  if (!options.key.empty()) request.headers.emplace_back("Authorization", "Bearer " + options.key);

  // The API pages oldest first; keep the last `keep` entries (as JSON text, so that memory
  // stays bounded by `keep` however long the history).
  std::deque<std::string> last;
  std::optional<int64_t> after;
  int64_t read = 0;
  while (true) {
    auto built = build_history(account, 1000, after);
    if (!built) return usage_error(built.error());
    request.target = built->path;  // http_send puts the server's base path before it
    if (options.verbose) std::cerr << "GET " << options.server << built->path << "\n";
    auto response = http_send(*server, request, std::chrono::seconds(options.timeout_s));
    if (!response) {
      std::cerr << "tally: " << response.error() << "\n";
      return k_exit_unavailable;
    }
    if (response->status < 200 || response->status >= 300) {
      if (options.json) std::cout << response->body << "\n";
      std::cerr << "tally: " << format_problem(response->status, response->body) << "\n";
      return response->status >= 500 ? k_exit_unavailable : k_exit_refused;
    }
    rapidjson::Document page;
    page.Parse(response->body.data(), response->body.size());
    if (page.HasParseError() || !page.IsObject() || !page.HasMember("entries") ||
        !page["entries"].IsArray()) {
      std::cerr << "tally: the server's answer is not a page of entries\n";
      return k_exit_unavailable;
    }
    for (const auto& e : page["entries"].GetArray()) {
      rapidjson::StringBuffer buf;
      rapidjson::Writer<rapidjson::StringBuffer> w(buf);
      e.Accept(w);
      last.emplace_back(buf.GetString());
      if (static_cast<int64_t>(last.size()) > keep) last.pop_front();
      ++read;
    }
    const auto next = page.FindMember("next_after");
    if (next == page.MemberEnd() || !next->value.IsInt64()) break;
    if (read >= history_entries_max) {
      std::cerr << "tally: stopped after " << read << " entries (history_entries_max)\n";
      break;
    }
    after = next->value.GetInt64();
  }
  std::string body = "{\"entries\":[";
  for (auto it = last.rbegin(); it != last.rend(); ++it) {
    if (it != last.rbegin()) body += ",";
    body += *it;
  }
  body += "],\"next_after\":null}";
  if (options.json) {
    std::cout << body << "\n";
    return k_exit_ok;
  }
  auto text = render_view(View::history, body);
  std::cout << (text ? *text : body + "\n");
  return k_exit_ok;
}

int run_remote_quote(const ClientOptions& options, const std::string& tool,
                     const std::vector<std::string>& params, const std::string& plan,
                     const std::string& account) {
  return run_built(options, build_quote(tool, params, plan, account));
}

void add_events_alerts(CLI::App& app, int& exit_code) {
  auto e = std::make_shared<Command<EventsArgs>>();
  CLI::App* events = app.add_subcommand("events", "Events, oldest first (docs/events.md)");
  events->add_option("--account", e->args.account, "Only this account's (else every account's)");
  events->add_option("--types", e->args.types, "Only these types, separated by commas");
  events->add_option("--after", e->args.after, "The previous page's next_after");
  CLI::Option* limit = events->add_option("--limit", e->ttl_s, "Events per page (1 to 1000)");
  add_client_options(events, e->options, KeyUse::none);
  events->callback([e, limit, &exit_code] {
    if (limit->count() > 0) e->args.limit = e->ttl_s;
    exit_code = run_built(e->options, build_events(e->args));
  });

  struct Args {
    std::string account, low_balance, expiring_notice;
  };
  auto a = std::make_shared<Command<Args>>();
  CLI::App* group = app.add_subcommand("alerts", "An account's alert settings");
  group->require_subcommand(1);
  CLI::App* show = group->add_subcommand("show", "The settings in force, and from where");
  show->add_option("id", a->args.account, "Account id")->required();
  add_client_options(show, a->options, KeyUse::none);
  show->callback(
      [a, &exit_code] { exit_code = run_built(a->options, build_alerts_show(a->args.account)); });
  auto s = std::make_shared<Command<Args>>();
  CLI::App* set =
      group->add_subcommand("set", "Set the account's own settings (one not given is the plan's)");
  set->add_option("id", s->args.account, "Account id")->required();
  set->add_option("--low-balance", s->args.low_balance,
                  "balance.low below this many credits (0: none)");
  set->add_option("--expiring-notice", s->args.expiring_notice,
                  "credits.expiring this long before expiry, e.g. P3D (PT0S: none)");
  add_client_options(set, s->options, KeyUse::always);
  set->callback([s, &exit_code] {
    exit_code = run_built(s->options, build_alerts_set(s->args.account, s->args.low_balance,
                                                       s->args.expiring_notice));
  });
}

void add_audit(CLI::App& app, int& exit_code) {
  auto a = std::make_shared<Command<AuditArgs>>();
  CLI::App* audit = app.add_subcommand(
      "audit", "Who did what: every change and admin action, oldest first (service key)");
  audit->add_option("--key-id", a->args.key, "Only what this key (its id) or token (its id) did");
  audit->add_option("--account", a->args.account, "Only changes to this account");
  audit->add_option("--from", a->args.from, "Only at or after this RFC 3339 time");
  audit->add_option("--to", a->args.to, "Only before this RFC 3339 time");
  audit->add_option("--cursor", a->args.cursor, "The previous page's next_cursor");
  CLI::Option* limit = audit->add_option("--limit", a->ttl_s, "Lines per page (1 to 1000)");
  add_client_options(audit, a->options, KeyUse::none);
  audit->callback([a, limit, &exit_code] {
    if (limit->count() > 0) a->args.limit = a->ttl_s;
    exit_code = run_built(a->options, build_audit(a->args));
  });
}

void add_auto_topup(CLI::App& app, int& exit_code) {
  struct Args {
    std::string account, below, pack, currency, region, id, reason;
  };
  CLI::App* group = app.add_subcommand(
      "auto-topup", "An account's auto top-up: the ledger asks for a pack when it runs low");
  group->require_subcommand(1);
  auto a = std::make_shared<Command<Args>>();
  CLI::App* show = group->add_subcommand("show", "The settings and the outstanding request");
  show->add_option("id", a->args.account, "Account id")->required();
  add_client_options(show, a->options, KeyUse::none);
  show->callback([a, &exit_code] {
    exit_code = run_built(a->options, build_auto_topup_show(a->args.account));
  });
  auto s = std::make_shared<Command<Args>>();
  CLI::App* set = group->add_subcommand("set", "Turn it on or change it");
  set->add_option("id", s->args.account, "Account id")->required();
  set->add_option("--below", s->args.below, "Ask when available credits fall below this")
      ->required();
  set->add_option("--pack", s->args.pack, "The pack to sell")->required();
  set->add_option("--currency", s->args.currency, "ISO 4217 currency, e.g. USD")->required();
  set->add_option("--region", s->args.region, "The region whose price applies");
  add_client_options(set, s->options, KeyUse::always);
  set->callback([s, &exit_code] {
    const Args& x = s->args;
    exit_code = run_built(s->options,
                          build_auto_topup_set(x.account, x.below, x.pack, x.currency, x.region));
  });
  auto o = std::make_shared<Command<Args>>();
  CLI::App* off = group->add_subcommand("off", "Turn it off (drops the outstanding request)");
  off->add_option("id", o->args.account, "Account id")->required();
  add_client_options(off, o->options, KeyUse::always);
  off->callback([o, &exit_code] {
    exit_code = run_built(o->options, build_auto_topup_off(o->args.account));
  });
  for (const char* verb : {"fail", "cancel"}) {
    auto e = std::make_shared<Command<Args>>();
    CLI::App* end = group->add_subcommand(
        verb, std::string(verb) == "fail"
                  ? "The charge failed: asked again after a backoff while still below"
                  : "The customer withdrew it: not asked again until the next crossing");
    end->add_option("id", e->args.id, "The request's id (auto_topup in its event)")->required();
    end->add_option("--reason", e->args.reason, "Why");
    add_client_options(end, e->options, KeyUse::always);
    end->callback([e, verb, &exit_code] {
      exit_code = run_built(e->options, build_auto_topup_end(verb, e->args.id, e->args.reason));
    });
  }
}

void add_client_commands(CLI::App& app, int& exit_code) {
  add_account_open(app, exit_code);
  add_balance_and_history(app, exit_code);
  add_grant(app, exit_code);
  add_hold_capture_release(app, exit_code);
  add_buy_subscribe(app, exit_code);
  add_keys_token(app, exit_code);
  add_spend_refund_void(app, exit_code);
  add_reads_batch_clock(app, exit_code);
  add_events_alerts(app, exit_code);
  add_audit(app, exit_code);
  add_auto_topup(app, exit_code);
  add_webhook_commands(app, exit_code);
  add_team_commands(app, exit_code);
  add_report_commands(app, exit_code);
}

}  // namespace tally::cli
