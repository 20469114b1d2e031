// Registration and I/O of the client commands (client_commands.h). The pure parts are in
// client_calls.cc (arguments -> ApiCall) and client_views.cc (JSON -> text).
#include "cli/client_commands.h"

#include <iostream>
#include <memory>
#include <random>

#include "cli/http_client.h"

namespace tally::cli {
namespace {

constexpr int k_exit_refused = 1;
constexpr int k_exit_usage = 2;
constexpr int k_exit_unreachable = 3;

int usage_error(const std::string& message) {
  std::cerr << "tally: " << message << "\n";
  return k_exit_usage;
}

int run_built(const ClientOptions& options, const Built& built) {
  return built ? run_call(options, *built) : usage_error(built.error());
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
    std::string account, plan;
    bool no_plan = false;
  };
  auto c = std::make_shared<Command<Args>>();
  CLI::App* group = app.add_subcommand("account", "Accounts on a running server");
  group->require_subcommand(1);
  CLI::App* cmd =
      group->add_subcommand("open", "Open an account (its plan's signup grant applies)");
  cmd->add_option("id", c->args.account, "The platform's account id")->required();
  CLI::Option* plan =
      cmd->add_option("--plan", c->args.plan, "Its plan (default: the catalog's default plan)");
  cmd->add_flag("--no-plan", c->args.no_plan, "Open it without a subscription")->excludes(plan);
  add_client_options(cmd, c->options, KeyUse::always);
  cmd->callback([c, plan, &exit_code] {
    std::optional<std::string> p;
    if (plan->count() > 0) p = c->args.plan;
    exit_code = run_built(c->options, build_account_open(c->args.account, p, c->args.no_plan));
  });
}

void add_balance_and_history(CLI::App& app, int& exit_code) {
  auto b = std::make_shared<Command<std::string>>();
  CLI::App* bal = app.add_subcommand("balance", "An account's balance and lots");
  bal->add_option("id", b->args, "Account id")->required();
  add_client_options(bal, b->options, KeyUse::none);
  bal->callback([b, &exit_code] { exit_code = run_built(b->options, build_balance(b->args)); });

  struct Args {
    std::string account;
    int64_t limit = 0, after = 0;
  };
  auto h = std::make_shared<Command<Args>>();
  CLI::App* hist = app.add_subcommand("history", "An account's journal, oldest first");
  hist->add_option("id", h->args.account, "Account id")->required();
  CLI::Option* limit =
      hist->add_option("--limit", h->args.limit, "Entries per page (1 to 1000; default 100)");
  CLI::Option* after =
      hist->add_option("--after", h->args.after, "Start after this sequence number");
  add_client_options(hist, h->options, KeyUse::none);
  hist->callback([h, limit, after, &exit_code] {
    std::optional<int64_t> l, a;
    if (limit->count() > 0) l = h->args.limit;
    if (after->count() > 0) a = h->args.after;
    exit_code = run_built(h->options, build_history(h->args.account, l, a));
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

void add_hold_capture_release(CLI::App& app, int& exit_code) {
  auto h = std::make_shared<Command<HoldArgs>>();
  CLI::App* hold = app.add_subcommand("hold", "Reserve credits for a job");
  hold->add_option("account", h->args.account, "Account id")->required();
  CLI::Option* amount = hold->add_option("--amount", h->args.amount, "Hold this many credits");
  hold->add_option("--tool", h->args.tool,
                   "Price the job of this tool (or, with --amount, pay for it)");
  hold->add_option("--param", h->args.params, "A job parameter key=value (repeatable)")
      ->allow_extra_args(false)
      ->excludes(amount);
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
  add_client_options(cap, c->options, KeyUse::always);
  cap->callback([c, &exit_code] {
    exit_code = run_built(c->options, build_capture(c->args.hold, c->args.amount, c->args.usage));
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
  CLI::App* buy = app.add_subcommand("buy", "Record a paid pack");
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
  add_client_options(sub, s->options, KeyUse::always);
  sub->callback([s, &exit_code] {
    exit_code = run_built(s->options, build_subscribe(s->args.first, s->args.second));
  });
}

void add_keys_token(CLI::App& app, int& exit_code) {
  auto k = std::make_shared<Command<std::string>>();
  CLI::App* keys = app.add_subcommand("keys", "Service keys (admin key)");
  keys->require_subcommand(1);
  CLI::App* create =
      keys->add_subcommand("create", "Create a service key; its secret is shown once");
  create->add_option("--name", k->args, "What the key is for")->required();
  add_client_options(create, k->options, KeyUse::none);
  create->callback(
      [k, &exit_code] { exit_code = run_built(k->options, build_key_create(k->args)); });

  auto t = std::make_shared<Command<std::string>>();
  CLI::App* tok = app.add_subcommand("token", "Mint an end-user token and its dashboard link");
  tok->add_option("account", t->args, "Account id")->required();
  CLI::Option* ttl =
      tok->add_option("--ttl-s", t->ttl_s, "Seconds the token is valid (default 3600)")
          ->check(CLI::Range(int64_t{1}, int64_t{2592000}));
  add_client_options(tok, t->options, KeyUse::none);
  tok->callback([t, ttl, &exit_code] {
    std::optional<int64_t> ttl_s;
    if (ttl->count() > 0) ttl_s = t->ttl_s;
    exit_code = run_built(t->options, build_token(t->args, ttl_s));
  });
}

}  // namespace

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
                            ? "Key that makes a retry safe (default: a new random key)"
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
  if (call.key == KeyUse::always && key.empty()) key = random_idempotency_key();
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
    return k_exit_unreachable;
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

int run_remote_quote(const ClientOptions& options, const std::string& tool,
                     const std::vector<std::string>& params, const std::string& plan,
                     const std::string& account) {
  return run_built(options, build_quote(tool, params, plan, account));
}

void add_client_commands(CLI::App& app, int& exit_code) {
  add_account_open(app, exit_code);
  add_balance_and_history(app, exit_code);
  add_grant(app, exit_code);
  add_hold_capture_release(app, exit_code);
  add_buy_subscribe(app, exit_code);
  add_keys_token(app, exit_code);
}

}  // namespace tally::cli
