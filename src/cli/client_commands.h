// Commands that talk to a running `tally serve` over HTTP (issues 6 and 21, docs/api.md
// "Command line"): one subcommand for every operation of docs/openapi.yaml (the test
// ClientCoverage.EveryOpenApiOperationHasACommand keeps the two lists together).
//
// Every command takes --server URL (default $TALLY_SERVER, else http://127.0.0.1:8080),
// --key K (default $TALLY_KEY), --json (print the server's body as is), --verbose and, when it
// changes the ledger, --idempotency-key K. Without one, the key is derived from the request
// itself (derive_idempotency_key): running the same command again is a retry that the server
// answers with its first answer, never a second hold or grant. `buy` sends none unless given
// (the server keys a purchase by its payment_ref). People get compact aligned tables.
// Exit codes (ExitCode): 0 success, 1 the server refused the request (4xx; the problem's type
// and detail go to stderr), 2 usage, 3 no answer from the server (cannot connect, timeout, or
// 5xx): retrying the same command is safe.
//
// A command is built in two pure steps, exposed for tests: arguments -> ApiCall (method,
// path, JSON body), and a response body -> text (render_view). Only run_call does I/O.
#pragma once

#include <CLI/CLI.hpp>
#include <cstdint>
#include <expected>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace tally::cli {

// Registers the client commands on app; each sets exit_code when it runs.
void add_client_commands(CLI::App& app, int& exit_code);

// How a successful response is shown to people.
enum class View {
  account,       // GET /v1/accounts/{id}, POST /v1/accounts: balance, then lots
  history,       // entries page
  operations,    // entries page grouped by operation (?group=operation)
  lot,           // a grant's lot
  hold,          // a new hold
  capture,       // a capture's outcome
  release,       // a release's outcome
  purchase,      // a purchase and its lots
  subscription,  // a subscription
  key,           // a new service key (the secret, shown once)
  token,         // an end-user token
  quote,         // a quote with its breakdown
  fields,        // anything else: top-level values as "name  value" lines, arrays as tables
  text,          // not JSON (GET /metrics): the body as is
};

// What a client command returns to the shell (docs/api.md "Command line").
enum ExitCode : int {
  k_exit_ok = 0,
  k_exit_refused = 1,      // the server answered 4xx: the request is wrong, do not retry it
  k_exit_usage = 2,        // bad arguments; nothing was sent
  k_exit_unavailable = 3,  // no answer, a timeout or 5xx: the same command may be retried
};

// When a call sends an Idempotency-Key header.
enum class KeyUse {
  none,           // reads, and calls the API takes no key for (keys, tokens, quotes)
  always,         // changes: --idempotency-key, else derive_idempotency_key(call)
  only_if_given,  // purchases: --idempotency-key, else none (the payment_ref is the key)
};

// One request to the API, built from a command's arguments.
struct ApiCall {
  std::string method;  // GET, POST, PUT, PATCH, DELETE
  std::string path;    // "/v1/..." with its query
  std::string body;    // JSON, or empty for no body
  KeyUse key = KeyUse::none;
  View view = View::account;

  friend bool operator==(const ApiCall&, const ApiCall&) = default;
};

// A builder's error is a usage message (exit 2).
using Built = std::expected<ApiCall, std::string>;

// `account open ID [--plan P | --no-plan] [--team --owner U]`: plan absent = the catalog's
// default plan; a team account (issue 17) names its owner, and only a team account does.
Built build_account_open(const std::string& account, const std::optional<std::string>& plan,
                         bool no_plan, bool team = false, const std::string& owner = "");
// `balance ID`.
Built build_balance(const std::string& account);
// `history ID [--limit N] [--after SEQ] [--group operation]`: by operation, `--limit` counts
// operations (GET /v1/accounts/{id}/entries?group=operation).
Built build_history(const std::string& account, std::optional<int64_t> limit,
                    std::optional<int64_t> after, bool by_operation = false);
// `balance ID --as-of T`: the balance at a time, recomputed from the journal.
Built build_balance_at(const std::string& account, const std::string& as_of);

struct AccountListArgs {
  std::string prefix, plan, kind, cursor;
  std::optional<int64_t> limit;
};
// `account list [--prefix P] [--plan P] [--kind team|personal] [--cursor C] [--limit N]`.
Built build_account_list(const AccountListArgs& args);

struct GrantArgs {
  std::string account;
  std::string amount;
  std::string reason;
  std::string source;      // empty: the server's default (admin)
  std::string valid_for;   // ISO 8601 duration
  std::string expires_at;  // RFC 3339
  bool never_expires = false;
  std::vector<std::string> scope;  // tools
};
// `grant ID AMOUNT --reason R [--source S] [--valid-for P | --expires-at T | --never-expires]
// [--scope TOOL]...`.
Built build_grant(const GrantArgs& args);

struct HoldArgs {
  std::string account;
  std::string amount;               // by amount, or
  std::string tool;                 // priced by tool and params (with an amount: its scope)
  std::vector<std::string> params;  // key=value
  std::optional<int64_t> ttl_s;
  std::string member;   // a team account's member who spends (the server requires it there)
  std::string project;  // a team account's project (optional)
  std::string outcome;  // spends only: usable or rejected (issue 19); a hold's comes with capture
};
// `hold ACCOUNT (--amount A | --tool T [--param k=v]...) [--ttl-s N] [--member U]
// [--project P]`.
Built build_hold(const HoldArgs& args);

// `spend ACCOUNT (--amount A | --tool T [--param k=v]...) [--member U] [--project P]
// [--outcome usable|rejected]`: a one-shot debit (ttl_s unused).
Built build_spend(const HoldArgs& args);
// `show hold ID`, `show spend ID`: kind is "hold" or "spend".
Built build_show(const std::string& kind, const std::string& id);
// `refund SPEND --reason R [--amount A]`: without an amount, all that is left of the spend.
Built build_refund(const std::string& spend, const std::string& amount, const std::string& reason);
// `outcome SPEND usable|rejected` (issue 19): what a spend's output turned out to be; for a
// captured hold, SPEND is the spend its capture made.
Built build_outcome(const std::string& spend, const std::string& outcome);
// `void lot ID --reason R`, `void purchase ID --reason R`: kind is "lot" or "purchase".
Built build_void(const std::string& kind, const std::string& id, const std::string& reason);

// `capture HOLD [--amount A | --usage k=v ...] [--outcome usable|rejected]`: neither amount nor
// usage captures the whole hold.
Built build_capture(const std::string& hold, const std::string& amount,
                    const std::vector<std::string>& usage, const std::string& outcome = "");
// `release HOLD [--reason R]`.
Built build_release(const std::string& hold, const std::string& reason);

struct BuyArgs {
  std::string account;
  std::string pack;
  std::string currency;
  std::string region;
  std::string payment_ref;
};
// `buy ACCOUNT PACK --currency C [--region R] --payment-ref REF`.
Built build_buy(const BuyArgs& args);
// `subscribe ACCOUNT PLAN [--allocation A]`.
Built build_subscribe(const std::string& account, const std::string& plan,
                      const std::string& allocation = "");
// `subscription cancel|past-due|resume ACCOUNT`: action is one of those three words.
Built build_subscription_change(const std::string& account, const std::string& action);
// `reward ACCOUNT`: claim today's daily reward.
Built build_reward(const std::string& account);
// `events [--account A] [--types T,U] [--after X] [--limit N]`: the event feed (issue 18), of
// one account or of every account.
struct EventsArgs {
  std::string account, types, after;
  std::optional<int64_t> limit;
};
Built build_events(const EventsArgs& args);
// `audit [--key-id K] [--account A] [--from T] [--to T] [--cursor C] [--limit N]` (issue 21,
// docs/api.md "Audit trail"): who did what, oldest first, a page at a time.
struct AuditArgs {
  std::string key, account, from, to, cursor;
  std::optional<int64_t> limit;
};
Built build_audit(const AuditArgs& args);
// `alerts show ACCOUNT`, `alerts set ACCOUNT [--low-balance X] [--expiring-notice P3D]` (a
// setting not given goes back to the plan's).
Built build_alerts_show(const std::string& account);
Built build_alerts_set(const std::string& account, const std::string& low_balance,
                       const std::string& expiring_notice);
// `auto-topup show ACCOUNT`, `auto-topup set ACCOUNT --below X --pack P --currency C
// [--region R]`, `auto-topup off ACCOUNT`, `auto-topup fail ID [--reason R]`, `auto-topup
// cancel ID [--reason R]` (issue 18, docs/events.md "Auto top-up").
Built build_auto_topup_show(const std::string& account);
Built build_auto_topup_set(const std::string& account, const std::string& below,
                           const std::string& pack, const std::string& currency,
                           const std::string& region);
Built build_auto_topup_off(const std::string& account);
Built build_auto_topup_end(const std::string& verb, const std::string& id,
                           const std::string& reason);
// `webhooks create URL [--types T,U] [--description D]`, `webhooks list`,
// `webhooks show|delete|enable ID`, `webhooks rotate ID [--overlap-s N]`,
// `webhooks deliveries ID [--limit N]`, `webhooks redeliver ID EVENT`,
// `webhooks platform-events [--after ID] [--limit N]` (admin key; issue 18).
Built build_webhook_create(const std::string& url, const std::string& types,
                           const std::string& description);
Built build_webhook_list();
Built build_webhook_action(const std::string& action, const std::string& id);
Built build_webhook_rotate(const std::string& id, std::optional<int64_t> overlap_s);
Built build_webhook_deliveries(const std::string& id, std::optional<int64_t> limit);
Built build_webhook_redeliver(const std::string& id, const std::string& event);
Built build_platform_events(const std::string& after, std::optional<int64_t> limit);
// Registers `webhooks` and its subcommands (client_webhooks.cc).
void add_webhook_commands(CLI::App& app, int& exit_code);
// `members add ACCOUNT USER [--role R]`, `members list ACCOUNT`, `members role ACCOUNT USER
// ROLE`, `members remove ACCOUNT USER` (issue 17, docs/api.md "Teams"). A role is owner, admin,
// member or viewer; role empty in add: the server's default (member).
Built build_member_add(const std::string& account, const std::string& user,
                       const std::string& role);
Built build_member_list(const std::string& account);
Built build_member_role(const std::string& account, const std::string& user,
                        const std::string& role);
Built build_member_remove(const std::string& account, const std::string& user);
struct BudgetArgs {
  std::string account, id;
  std::string limit;            // credits
  std::string period;           // P1D, P1W or P1M
  std::string member, project;  // at least one
  std::string anchor;           // RFC 3339; empty: the calendar boundary in UTC
  std::string mode;             // hard or soft; empty: the server's default (hard)
  std::string alert_at;         // credits: budget.threshold_reached there; empty: none
};
// `budgets add ACCOUNT ID --limit L --period P1D|P1W|P1M [--member U] [--project P]
// [--anchor TIME] [--mode hard|soft] [--alert-at A]`.
Built build_budget_add(const BudgetArgs& args);
// `budgets list ACCOUNT [--member U] [--project P]`: the budgets that bind them.
Built build_budget_list(const std::string& account, const std::string& member,
                        const std::string& project);
// `budgets show ACCOUNT ID`, `budgets remove ACCOUNT ID`.
Built build_budget_show(const std::string& account, const std::string& id);
Built build_budget_remove(const std::string& account, const std::string& id);
// `budgets update ACCOUNT ID [--limit L] [--mode M] [--alert-at A]`: at least one of them.
Built build_budget_update(const std::string& account, const std::string& id,
                          const std::string& limit, const std::string& mode,
                          const std::string& alert_at = "");
// Registers `members` and `budgets` and their subcommands (client_teams.cc).
void add_team_commands(CLI::App& app, int& exit_code);
// `usage ACCOUNT --from T --to T`: what a team's members and projects used in [from, to).
Built build_team_usage(const std::string& account, const std::string& from, const std::string& to);
// `finance --from T --to T --currency C [--csv]`: the finance report of [from, to)
// (client_reports.cc).
Built build_finance(const std::string& from, const std::string& to, const std::string& currency,
                    bool csv);
// `forecast ACCOUNT [--currency C]`: burn rate and upgrade-or-buy advice (client_reports.cc).
Built build_forecast(const std::string& account, const std::string& currency);
// `top-accounts --from T --to T [--limit N]`: the accounts that used most over [from, to).
Built build_top_accounts(const std::string& from, const std::string& to,
                         std::optional<int64_t> limit);
// Registers `finance`, `top-accounts` and `forecast` (client_reports.cc).
void add_report_commands(CLI::App& app, int& exit_code);
// `keys create --name N [--scope S] [--expires-at T]`: scope empty = service.
Built build_key_create(const std::string& name, const std::string& scope = "service",
                       const std::string& expires_at = "");
// `keys list`, `keys revoke ID`, `keys rotate ID --overlap-s N`.
Built build_key_list();
Built build_key_revoke(const std::string& id);
Built build_key_rotate(const std::string& id, int64_t overlap_s);
// `token ACCOUNT [--ttl-s N] [--member U]` (also `tokens create`): with --member, a token for
// that member of a team account.
Built build_token(const std::string& account, std::optional<int64_t> ttl_s,
                  const std::string& member = "");
// `tokens revoke ACCOUNT (--token-id ID | --all)`.
Built build_token_revoke(const std::string& account, const std::string& token_id, bool all);
// `pricing`, `plans`, `packs`, `health`, `metrics`: reads that need no credential.
Built build_public_read(const std::string& what);
// `batch FILE`: body is the file's text, a {"requests": [...]} object sent as is.
Built build_batch(const std::string& body);
// `clock set TIME`: the manual clock of a test server.
Built build_clock_set(const std::string& now);
// `reload`: the server reads its configuration file again (admin key; docs/operations.md).
Built build_reload();
// `quote --server URL TOOL [k=v]... [--plan P] [--account A]`.
Built build_quote(const std::string& tool, const std::vector<std::string>& params,
                  const std::string& plan, const std::string& account);

// A successful response body as text for people. Error: the body is not JSON of the view's
// shape (the message names what is missing).
std::expected<std::string, std::string> render_view(View view, std::string_view body);

// An error response as one line for stderr: "insufficient_credits: <detail> (shortfall 2)",
// or "HTTP 502: <body's first line>" when the body is not a problem.
std::string format_problem(int status, std::string_view body);

// 32 random hex characters.
std::string random_idempotency_key();
// "cli-" and 32 hex characters of SHA-256 over the method, path and body: the same command
// with the same arguments gets the same key (a retry), a different one another key.
std::string derive_idempotency_key(const ApiCall& call);

// Common options of every client command.
struct ClientOptions {
  std::string server = "http://127.0.0.1:8080";
  std::string key;
  std::string idempotency_key;
  bool json = false;
  bool verbose = false;
  int64_t timeout_s = 30;
};

// Sends the call and prints its outcome; returns an ExitCode (2 for a bad --server).
int run_call(const ClientOptions& options, const ApiCall& call);
// run_call for a built call; a builder's error goes to stderr as usage (exit 2), nothing sent.
int run_built(const ClientOptions& options, const Built& built);

// Adds the common options to a command: --server, --key, --verbose, --timeout-s; --json when
// `json` (quote has its own); --idempotency-key when `key` is not none. Returns --server.
CLI::Option* add_client_options(CLI::App* command, ClientOptions& options, KeyUse key,
                                bool json = true);

// `history ID --newest-first [--limit N]`: reads every page (oldest first, as the API pages)
// and prints the last N entries (default 100), newest first; --json prints them as one
// {"entries": [...], "next_after": null} object. Reads at most history_entries_max entries.
inline constexpr int64_t history_entries_max = 10'000'000;
int run_history_newest_first(const ClientOptions& options, const std::string& account,
                             std::optional<int64_t> limit);

// `quote --server`: the quote of a running server (the offline quote is pricing_commands.h).
int run_remote_quote(const ClientOptions& options, const std::string& tool,
                     const std::vector<std::string>& params, const std::string& plan,
                     const std::string& account);

}  // namespace tally::cli
