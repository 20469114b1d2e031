// Commands that talk to a running `tally serve` over HTTP (issue 6 "CLI", docs/api.md):
// account open, balance, history, grant, hold, capture, release, buy, subscribe, keys create,
// token, and `quote --server`.
//
// Every command takes --server URL (default $TALLY_SERVER, else http://127.0.0.1:8080),
// --key K (default $TALLY_KEY), --json (print the server's JSON body as is), --verbose and,
// when it changes the ledger, --idempotency-key K (default: a random key per invocation;
// `buy` sends none unless given, so its payment_ref is the key). People get compact aligned
// tables. Exit codes: 0 success, 1 the server refused (the problem's type and detail go to
// stderr), 2 usage, 3 the server cannot be reached.
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
  lot,           // a grant's lot
  hold,          // a new hold
  capture,       // a capture's outcome
  release,       // a release's outcome
  purchase,      // a purchase and its lots
  subscription,  // a subscription
  key,           // a new service key (the secret, shown once)
  token,         // an end-user token
  quote,         // a quote with its breakdown
};

// When a call sends an Idempotency-Key header.
enum class KeyUse {
  none,           // reads, and calls the API takes no key for (keys, tokens, quotes)
  always,         // changes: --idempotency-key, else a random key per invocation
  only_if_given,  // purchases: --idempotency-key, else none (the payment_ref is the key)
};

// One request to the API, built from a command's arguments.
struct ApiCall {
  std::string method;  // GET, POST, PUT, DELETE
  std::string path;    // "/v1/..." with its query
  std::string body;    // JSON, or empty for no body
  KeyUse key = KeyUse::none;
  View view = View::account;

  friend bool operator==(const ApiCall&, const ApiCall&) = default;
};

// A builder's error is a usage message (exit 2).
using Built = std::expected<ApiCall, std::string>;

// `account open ID [--plan P | --no-plan]`: plan absent = the catalog's default plan.
Built build_account_open(const std::string& account, const std::optional<std::string>& plan,
                         bool no_plan);
// `balance ID`.
Built build_balance(const std::string& account);
// `history ID [--limit N] [--after SEQ]`.
Built build_history(const std::string& account, std::optional<int64_t> limit,
                    std::optional<int64_t> after);

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
};
// `hold ACCOUNT (--amount A | --tool T [--param k=v]...) [--ttl-s N]`.
Built build_hold(const HoldArgs& args);

// `capture HOLD [--amount A | --usage k=v ...]`: neither captures the whole hold.
Built build_capture(const std::string& hold, const std::string& amount,
                    const std::vector<std::string>& usage);
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
// `subscribe ACCOUNT PLAN`.
Built build_subscribe(const std::string& account, const std::string& plan);
// `keys create --name N`.
Built build_key_create(const std::string& name);
// `token ACCOUNT [--ttl-s N]`.
Built build_token(const std::string& account, std::optional<int64_t> ttl_s);
// `quote --server URL TOOL [k=v]... [--plan P] [--account A]`.
Built build_quote(const std::string& tool, const std::vector<std::string>& params,
                  const std::string& plan, const std::string& account);

// A successful response body as text for people. Error: the body is not JSON of the view's
// shape (the message names what is missing).
std::expected<std::string, std::string> render_view(View view, std::string_view body);

// An error response as one line for stderr: "insufficient_credits: <detail> (shortfall 2)",
// or "HTTP 502: <body's first line>" when the body is not a problem.
std::string format_problem(int status, std::string_view body);

// 32 random hex characters (a fresh key for each invocation).
std::string random_idempotency_key();

// Common options of every client command.
struct ClientOptions {
  std::string server = "http://127.0.0.1:8080";
  std::string key;
  std::string idempotency_key;
  bool json = false;
  bool verbose = false;
  int64_t timeout_s = 30;
};

// Sends the call and prints its outcome; returns the exit code (0, 1, 2 for a bad --server,
// 3 when the server cannot be reached).
int run_call(const ClientOptions& options, const ApiCall& call);

// Adds the common options to a command: --server, --key, --verbose, --timeout-s; --json when
// `json` (quote has its own); --idempotency-key when `key` is not none. Returns --server.
CLI::Option* add_client_options(CLI::App* command, ClientOptions& options, KeyUse key,
                                bool json = true);

// `quote --server`: the quote of a running server (the offline quote is pricing_commands.h).
int run_remote_quote(const ClientOptions& options, const std::string& tool,
                     const std::vector<std::string>& params, const std::string& plan,
                     const std::string& account);

}  // namespace tally::cli
