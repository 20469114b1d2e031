// Request bodies to commands: the part of each endpoint that reads its JSON body (already
// parsed and checked by parse_body, json.h) and its path ids, and builds the ledger command or
// the request it describes. Pure functions: no service, no clock, no I/O. The endpoints of
// api_*.cc call them, and so does the fuzz target fuzz/api_decode_fuzz.cc, so both run the
// same code.
//
// Every decoder returns the first problem a client caused (400 invalid_request, naming the
// field), in the order the endpoint has always reported them, or what the body asks with the
// documented bounds applied (docs/api.md, docs/openapi.yaml): account ids are 1 to 128
// characters of the id alphabet, texts are within their byte limits, amounts are decimals of
// at most 6 places within int64 micro-credits. Whether an amount is positive, a plan or pack
// exists, or a hold is open is the ledger's to say, not the decoder's.
//
// Thread-safe: no shared state. Results that hold pointers (BatchItem::body) point into the
// body they were decoded from.
#pragma once

#include <rapidjson/fwd.h>

#include <cstdint>
#include <expected>
#include <optional>
#include <string>
#include <vector>

#include "ledger/command.h"
#include "pricing/quote.h"
#include "server/problem.h"

namespace tally::server {

using JsonValue = rapidjson::Value;

inline constexpr int64_t k_hold_ttl_max_s = 24 * 3600;
inline constexpr int64_t k_token_ttl_default_s = 3600;
inline constexpr int64_t k_token_ttl_max_s = 30 * 86400;
inline constexpr size_t k_batch_requests_max = 1000;
inline constexpr size_t k_target_bytes_max = 4096;

// Params of a quote or a capture's usage, {"name": "value" | 123 | true}, as pricing reads
// them: `values` views `storage`. Move it, never copy it (a copy's views point at the original).
struct ParamList {
  std::vector<std::string> storage;
  std::vector<pricing::ParamValue> values;
};
// `params` may be null (no params). At most 2 * pricing::k_params_per_tool_max members.
[[nodiscard]] std::expected<ParamList, Problem> decode_params(const JsonValue* params);

// A body that must be empty ({}): subscription changes and daily rewards.
[[nodiscard]] std::optional<Problem> decode_no_fields(const JsonValue& body);

// POST /v1/accounts.
[[nodiscard]] std::expected<OpenAccount, Problem> decode_open_account(const JsonValue& body);
// POST /v1/accounts/{account}/grants. Never a refund source; at most one expiry form.
[[nodiscard]] std::expected<Grant, Problem> decode_grant(const JsonValue& body,
                                                         const std::string& account);
// PUT /v1/accounts/{account}/subscription.
[[nodiscard]] std::expected<SetPlan, Problem> decode_set_plan(const JsonValue& body,
                                                              const std::string& account);
// PUT /v1/accounts/{account}/alerts: {"low_balance": credits | null, "expiring_notice":
// "P3D" | null}; absent or null: the plan's. A notice is a fixed duration of at most a year.
[[nodiscard]] std::expected<SetAlerts, Problem> decode_alerts(const JsonValue& body,
                                                              const std::string& account);
// POST /v1/accounts/{id}/tokens: {"ttl_s": 60 to k_token_ttl_max_s, "member": user id of a team
// account's member the token acts as (optional)}.
struct TokenRequest {
  int64_t ttl_s = 0;
  std::string member;  // empty: the account's own token
};
[[nodiscard]] std::expected<TokenRequest, Problem> decode_token_request(const JsonValue& body);

// POST /v1/quotes.
struct QuoteRequest {
  std::string tool;
  std::optional<std::string> account;  // price for this account's plan, or
  std::optional<std::string> plan;     // for this plan (not both)
  ParamList params;
};
[[nodiscard]] std::expected<QuoteRequest, Problem> decode_quote(const JsonValue& body);

// POST /v1/holds and /v1/spends: an amount, or a tool with params to price (not both).
struct JobRequest {
  std::string account;
  std::string tool;               // "unspecified" for an amount without a tool
  std::optional<Credits> amount;  // when set, `params` is empty
  ParamList params;
  std::optional<int64_t> ttl_s;  // holds only: 1 to k_hold_ttl_max_s
  std::string member;            // team accounts: who debits, and for which project
  std::string project;
  Outcome outcome = Outcome::none;  // spends only: "outcome": "usable" | "rejected" (issue 19)
};
[[nodiscard]] std::expected<JobRequest, Problem> decode_job(const JsonValue& body, bool hold);
// The ledger command of a priced job.
PlaceHold hold_command(const JobRequest& job, Credits amount, std::string price_book_version);
SpendNow spend_command(const JobRequest& job, Credits amount, std::string price_book_version);

// POST /v1/holds/{hold}/capture: an amount, or usage to price (not both), or neither (all).
struct CaptureRequest {
  Capture command;                 // the amount is unset when `usage` is given
  std::optional<ParamList> usage;  // priced with the hold's price book version
};
[[nodiscard]] std::expected<CaptureRequest, Problem> decode_capture(const JsonValue& body,
                                                                    HoldId hold);
[[nodiscard]] std::expected<Release, Problem> decode_release(const JsonValue& body, HoldId hold);
[[nodiscard]] std::expected<Refund, Problem> decode_refund(const JsonValue& body, SpendId spend);
// POST /v1/spends/{spend}/outcome: {"outcome": "usable" | "rejected"}.
[[nodiscard]] std::expected<MarkOutcome, Problem> decode_outcome(const JsonValue& body,
                                                                 SpendId spend);
[[nodiscard]] std::expected<Purchase, Problem> decode_purchase(const JsonValue& body);
[[nodiscard]] std::expected<VoidPurchase, Problem> decode_void_purchase(const JsonValue& body,
                                                                        uint64_t purchase);
[[nodiscard]] std::expected<VoidLot, Problem> decode_void_lot(const JsonValue& body, LotId lot);

// POST /v1/keys: a name, the scope "service" (default), "admin", "worker" or "read", and an
// optional expiry (any time: one in the past makes a key that never works).
struct KeyRequest {
  std::string name;
  std::string scope;
  std::optional<TimeUs> expires_at;
};
[[nodiscard]] std::expected<KeyRequest, Problem> decode_key(const JsonValue& body);
// POST /v1/keys/{id}/rotate: how long the secrets in use keep working, 0 to 30 days.
[[nodiscard]] std::expected<int64_t, Problem> decode_rotate_overlap_s(const JsonValue& body);
// POST /v1/accounts/{id}/tokens/revoke: one token by id, or all of the account's.
struct TokenRevocation {
  std::optional<std::string> token_id;  // unset: all
};
[[nodiscard]] std::expected<TokenRevocation, Problem> decode_token_revocation(
    const JsonValue& body);
// POST /v1/admin/clock: the new time (the endpoint checks that it does not go back).
[[nodiscard]] std::expected<TimeUs, Problem> decode_clock(const JsonValue& body);

// POST /v1/batch: 1 to k_batch_requests_max requests, none of them a batch.
struct BatchItem {
  std::string method;
  std::string path;  // at most k_target_bytes_max bytes
  std::optional<std::string> idempotency_key;
  const JsonValue* body = nullptr;  // an object inside the batch's body, or null
};
[[nodiscard]] std::expected<std::vector<BatchItem>, Problem> decode_batch(const JsonValue& body);

}  // namespace tally::server
