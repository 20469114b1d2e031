// Internal to the HTTP API: one request in progress (Call), the route table, and the helpers
// every endpoint uses to answer, submit a command or read a shard. Endpoints live in
// api_accounts.cc (accounts, grants, history, subscriptions, rewards, tokens), api_jobs.cc
// (quotes, holds, spends, refunds, purchases, voids), api_keys.cc (keys, token revocation),
// api_webhooks.cc (webhook endpoints), api_team.cc (members, budgets) and api.cc (dispatch, batch, public reads, health, metrics, clock).
#pragma once

#include <atomic>
#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "ledger/ledger.h"
#include "pricing/quote.h"
#include "server/api.h"
#include "server/api_decode.h"
#include "server/json.h"

namespace tally::server {

// Idempotency keys under this prefix are Tally's own: a purchase sent without an
// Idempotency-Key runs under "purchase:<payment_ref>" (docs/api.md). Clients may not use it.
inline constexpr std::string_view k_purchase_key_prefix = "purchase:";

// The configuration requests are priced and checked with (Api::use_config).
struct LiveConfig {
  std::shared_ptr<const pricing::PriceVersions> prices;
  std::shared_ptr<const Catalog> catalog;
  config::TokensConfig tokens;  // what end-user tokens may change ([tokens])
};

struct Api::Context {
  ApiOptions o;
  // From a request's arrival to its command handed to the shard (or its read): routing,
  // authentication, parsing and decoding, on the I/O threads.
  service::Histogram decode_ns;
  // What the I/O threads read (quotes, the price table, plans, packs).
  std::atomic<std::shared_ptr<const LiveConfig>> live;
  // What each shard prices with, by shard: each slot is read and replaced on its shard's thread
  // only, in order with the shard's commands (use_config).
  std::vector<std::shared_ptr<const LiveConfig>> on_shard;

  std::shared_ptr<const LiveConfig> current() const { return live.load(std::memory_order_acquire); }
  // For a prepare step (service::Submission), on the shard thread of `l`.
  const LiveConfig& shard_config(const Ledger& l) const { return *on_shard.at(l.shard()); }
};

struct Route;

struct Call {
  Api::Context& ctx;
  HttpRequest request;
  std::string path;
  std::vector<std::pair<std::string, std::string>> query;  // decoded
  std::vector<std::string> args;                            // the path's {} segments, decoded
  Principal who;
  // What the endpoint decodes: `document`, or a request's body inside a /v1/batch's document,
  // decoded in place (`batch` keeps it alive).
  const JsonValue* body = nullptr;
  rapidjson::Document document;
  std::shared_ptr<const Call> batch;
  bool in_batch = false;  // an item of a /v1/batch
  TimeUs now;  // the clock when the request arrived (pricing, tokens)
  Respond respond;
  std::chrono::steady_clock::time_point arrived = std::chrono::steady_clock::now();
  // For the access log (AccessNote): the route matched, when the request was handed to a
  // shard, the account of its command, and its stages on the shard (-1: none).
  const Route* route = nullptr;
  std::chrono::steady_clock::time_point handed_at{};
  std::string account;
  int64_t queue_ns = -1;
  int64_t commit_ns = -1;
  // A team member's token (Principal::member): the member's role when the request arrived.
  std::optional<Role> role;

  std::optional<std::string> query_value(std::string_view name) const;
  // A member's or viewer's token: it reads the team's balance and what is its own only.
  bool sees_only_itself() const { return role && (*role == Role::member || *role == Role::viewer); }
};
using CallPtr = std::shared_ptr<Call>;

// Who may call a route.
enum class Access : uint8_t {
  open,     // no credential
  reader,   // admin, service or read key, or the end-user token of the account in the path
  service,  // admin or service key; a read key for GET; a worker key on its routes (api.cc)
  admin,    // admin key
  any,      // any valid credential (the batch checks each request)
  // An account's own settings: admin or service key, or the end-user token of the account in
  // the path when [tokens] lets tokens change that setting (api.cc, docs/api.md).
  owner,
};

struct Route {
  const char* method;
  const char* pattern;  // "/v1/accounts/{}/grants"
  Access access;
  bool changes;  // needs an Idempotency-Key (and a JSON body, if any)
  void (*fn)(const CallPtr&);
};
std::span<const Route> routes();

// --- Answers (any thread) ---
void answer(const CallPtr& call, HttpResponse response);
void fail(const CallPtr& call, const Problem& problem);
Problem ledger_problem(const LedgerError& e);
Problem pricing_problem(const pricing::PricingError& e);
Problem not_found(std::string detail);

// A change as its shard runs it (service::Submission): the key is looked up first; for a new
// key `prepare` (optional) completes `command` from the ledger's state, e.g. prices it with the
// account's plan, or answers instead; then the ledger applies it and `encode` turns the reply
// into the answer, from the ledger as the command left it. Both run on the shard's thread. The
// answer (a refusal's too) is remembered with the key: a retry gets it byte for byte (rule 8).
using Prepared = service::Submission::Answer;
struct Change {
  Command command;
  std::function<std::optional<Prepared>(const Ledger&, Command*, TimeUs now)> prepare;
  std::function<HttpResponse(const Ledger&, const Reply&)> encode;
};
// Submits `change` under the request's Idempotency-Key (or `key` when given) and answers once
// its batch is durable. Ledger errors become problems.
void submit(const CallPtr& call, Change change, std::string key = {});
// The same for a change whose answer needs the reply only.
using Encode = std::function<HttpResponse(const Reply&)>;
void submit(const CallPtr& call, Command command, Encode encode, std::string key = {});
// Records the decode stage of `call` (its arrival until now): call it as the call's command or
// read is handed to its shard.
void handed(Call& call);
// A packed answer (pack_response) with the request's id added to its body if it is a problem:
// an answer remembered under an Idempotency-Key names the request that first got it, and a
// retry gets it byte for byte (docs/api.md).
std::string remembered(std::string packed, std::string_view request_id);
// An answer as the bytes remembered with its key, and back.
std::string pack_response(const HttpResponse& r);
HttpResponse unpack_response(std::string_view bytes);
// The same, reusing `bytes`' buffer for the body (no copy).
HttpResponse unpack_response(std::string&& bytes);
// Runs `read` on the shard's thread after the writes queued before it; answers with its
// response once what it saw is durable. `uses_store`: the read also reads the store (history),
// so it waits for the commit in flight; else it reads the ledger only and does not.
void read_shard(const CallPtr& call, ShardId shard,
                std::function<HttpResponse(const Ledger&)> read, bool uses_store = false);
// Answers with `in_memory` (the ledger's memory only: no wait for the commit in flight), or, if
// it finds nothing, with `from_store`, run after the commit in flight so that it may read the
// store (records that left the ledger's memory, LedgerConfig::memory_window_us).
void read_memory_then_store(const CallPtr& call, ShardId shard,
                            std::function<std::optional<HttpResponse>(const Ledger&)> in_memory,
                            std::function<HttpResponse(const Ledger&)> from_store);
ShardId account_shard(const Call& call, std::string_view account);
ShardId object_shard(const Call& call, uint64_t id);

// A path id or an account id from the path; nullopt after answering 400 / 404.
std::optional<uint64_t> id_arg(const CallPtr& call, size_t i, std::string_view what);
// The query parameter `name` as an id (is_account_id: a member, a project): its value, or an
// empty optional when the query does not give it; nullopt after answering 400 when it is not one.
std::optional<std::optional<std::string>> id_query(const CallPtr& call, std::string_view name);
// The query parameter `name` as an RFC 3339 time, required; nullopt after answering 400.
std::optional<TimeUs> time_query(const CallPtr& call, std::string_view name);

// The plan of `account` as pricing needs it (plan-included options), read from its shard,
// then `then(plan)` on that shard thread; not_found if the account does not exist. Skips
// the read when the price book includes nothing in any plan.
void with_plan(const CallPtr& call, const std::string& account,
               std::function<void(std::string plan)> then);

// --- Encoders (docs/openapi.yaml shapes) ---
void write_lot(JsonWriter& w, const Lot& lot, std::string_view account);
void write_account(JsonWriter& w, const Ledger& ledger, const Account& a, TimeUs now);
// Its first fields, which the account list's summaries share: id, plan and balance.
void write_account_head(JsonWriter& w, const Account& a, const BalanceSummary& b);
void write_portions(JsonWriter& w, const Portions& portions);
// `key`: {"amount": "9.99", "currency": "USD"} (major units as text, never a float).
void write_price(JsonWriter& w, std::string_view key, const Money& price);
void write_restored(JsonWriter& w, const Restored& r);
void write_subscription(JsonWriter& w, const Subscription* s);
void write_quote(JsonWriter& w, const pricing::Quote& q, std::string_view plan);

// --- Endpoints ---
void open_account(const CallPtr& call);
void get_account(const CallPtr& call);
void get_entries(const CallPtr& call);
void get_balance(const CallPtr& call);
void grant(const CallPtr& call);
void set_subscription(const CallPtr& call);
void cancel_subscription(const CallPtr& call);
void past_due(const CallPtr& call);
void resume(const CallPtr& call);
void daily_reward(const CallPtr& call);
void issue_token(const CallPtr& call);
void quote(const CallPtr& call);
void place_hold(const CallPtr& call);
void get_hold(const CallPtr& call);
void capture(const CallPtr& call);
void release(const CallPtr& call);
void spend(const CallPtr& call);
void get_spend(const CallPtr& call);
void refund(const CallPtr& call);
void mark_outcome(const CallPtr& call);
void purchase(const CallPtr& call);
void void_purchase(const CallPtr& call);
void void_lot(const CallPtr& call);
void get_events(const CallPtr& call);          // api_events.cc
void get_account_events(const CallPtr& call);
void get_alerts(const CallPtr& call);
void set_alerts(const CallPtr& call);
// api_topup.cc
void get_auto_topup(const CallPtr& call);
void set_auto_topup(const CallPtr& call);
void delete_auto_topup(const CallPtr& call);
void fail_auto_topup(const CallPtr& call);
void cancel_auto_topup(const CallPtr& call);
// api_team.cc
void add_member(const CallPtr& call);
void list_members(const CallPtr& call);
void set_member_role(const CallPtr& call);
void remove_member(const CallPtr& call);
void add_budget(const CallPtr& call);
void list_budgets(const CallPtr& call);
void get_usage(const CallPtr& call);
void get_budget(const CallPtr& call);
void update_budget(const CallPtr& call);
void remove_budget(const CallPtr& call);
// api_account_list.cc
void list_accounts(const CallPtr& call);
// api_keys.cc
void create_key(const CallPtr& call);
void list_keys(const CallPtr& call);
void revoke_key(const CallPtr& call);
void rotate_key(const CallPtr& call);
void revoke_tokens(const CallPtr& call);
// api_webhooks.cc
void create_webhook(const CallPtr& call);
void list_webhooks(const CallPtr& call);
void get_webhook(const CallPtr& call);
void delete_webhook(const CallPtr& call);
void rotate_webhook_secret(const CallPtr& call);
void enable_webhook(const CallPtr& call);
void list_webhook_deliveries(const CallPtr& call);
void redeliver_webhook_event(const CallPtr& call);
void get_platform_events(const CallPtr& call);

// Whether the caller may change the account's alert settings (`alerts`) or its auto top-up:
// an admin or service key, or a token when [tokens] allows it (the `editable` of the replies).
bool may_change(const Call& call, bool alerts);
// Why an end-user token may not set auto top-up `s` ([tokens] auto_topup_packs and
// auto_topup_below_max); nullopt when it may, or when the caller is not a token.
std::optional<Problem> token_limits(const Call& call, const AutoTopupSettings& s);
// api_admin.cc
void reload(const CallPtr& call);
// api_audit.cc
void get_audit(const CallPtr& call);
// Records an admin action outside the ledger (AdminAction) as the caller's, after the change
// and before the answer; false after answering 500 when keys.db could not be written.
bool record_action(const CallPtr& call, std::string action, std::string account,
                   std::string target);
// The caller's credential as an audit line names it.
Credential credential_of(const Principal& who);
// A page cursor of several sources: "12.0.7", the last seq given by each, in order
// (api_events.cc); nullopt unless it has exactly `sources` parts.
std::string format_cursor(const std::vector<uint64_t>& after);
std::optional<std::vector<uint64_t>> parse_cursor(std::string_view text, size_t sources);

}  // namespace tally::server
