// Bad input, end to end (issue 7): a table of malformed, oversized, unauthorised and otherwise
// wrong requests against one running `tally serve`, and clients that break the protocol
// (truncated bodies, bodies over the limit, slow and idle connections). Each gets the right
// 4xx problem (or, when nobody is left to answer, a closed connection); the server keeps
// serving others; and nothing is written: the accounts the fixture opened, their journals and
// the shards' commit counters are the same after every case as before.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "tests/server/server_process.h"

namespace tally::testing {
namespace {

// The credential a case sends.
enum class Who {
  admin,
  service,
  own_token,      // alice's end-user token (the table's paths are alice's)
  other_token,    // bob's end-user token
  expired_token,  // alice's, issued for 60 s two minutes before the table runs
  forged_token,   // alice's with its signature's last digit changed
  swapped_token,  // alice's signature over bob's account
  wrong_key,      // a key the server never issued
  empty_bearer,   // "Bearer "
  basic,          // "Basic ..."
  none,
};

struct Case {
  std::string name;
  std::string method;
  std::string path;  // {hold}, {tool_hold}, {spend}, {lot}, {purchase} are replaced
  std::string body;  // the same placeholders are replaced
  int status = 0;
  std::string type;  // the problem's `type`; empty for a success (a positive control)
  Who who = Who::admin;
  std::optional<std::string> content_type = "application/json";  // nullopt: no header
  std::optional<std::string> key;  // Idempotency-Key; default "bad-<case index>"
  bool send_key = true;
  std::string detail;        // a part of the problem's `detail`, when it matters
  int inner_status = 0;      // a batch: the status of its first response
  std::string inner_type;    // ... and its problem type

  Case(std::string n, std::string m, std::string p, std::string b, int s, std::string t)
      : name(std::move(n)), method(std::move(m)), path(std::move(p)), body(std::move(b)),
        status(s), type(std::move(t)) {}
  Case&& as(Who w) && { who = w; return std::move(*this); }
  Case&& type_header(std::optional<std::string> t) && { content_type = std::move(t); return std::move(*this); }
  Case&& idem(std::string k) && { key = std::move(k); return std::move(*this); }
  Case&& no_key() && { send_key = false; return std::move(*this); }
  Case&& with_detail(std::string d) && { detail = std::move(d); return std::move(*this); }
  Case&& inner(int s, std::string t) && { inner_status = s; inner_type = std::move(t); return std::move(*this); }
};

Case post(std::string name, std::string path, std::string body, int status, std::string type) {
  return Case{std::move(name), "POST", std::move(path), std::move(body), status, std::move(type)};
}
Case put(std::string name, std::string path, std::string body, int status, std::string type) {
  return Case{std::move(name), "PUT", std::move(path), std::move(body), status, std::move(type)};
}
Case get(std::string name, std::string path, int status, std::string type) {
  return Case{std::move(name), "GET", std::move(path), "", status, std::move(type)};
}
Case del(std::string name, std::string path, int status, std::string type) {
  return Case{std::move(name), "DELETE", std::move(path), "", status, std::move(type)};
}

std::string repeat(std::string_view s, size_t n) {
  std::string out;
  for (size_t i = 0; i < n; ++i) out += s;
  return out;
}

// {"account":"alice","amount":<amount>} for the endpoints that take one.
std::string spend_of(std::string_view amount) {
  return R"({"account":"alice","amount":)" + std::string(amount) + "}";
}
std::string grant_of(std::string_view fields) {
  return R"({"amount":"1","reason":"r",)" + std::string(fields) + "}";
}

const std::vector<Case>& cases() {
  static const std::vector<Case> k_cases = [] {
    const std::string deep33 = repeat(R"({"a":)", 33) + "1" + repeat("}", 33);
    const std::string deep32_in_params =
        R"({"tool":"video","params":{"x":)" + repeat("[", 30) + repeat("]", 30) + "}}";
    std::vector<Case> c = {
        // --- Malformed JSON ---
        post("truncated object", "/v1/spends", R"({"account":)", 400, "invalid_request").with_detail("not valid JSON"),
        post("no closing brace", "/v1/spends", R"({"account":"alice","amount":"1")", 400, "invalid_request"),
        post("trailing comma", "/v1/spends", R"({"account":"alice","amount":"1",})", 400, "invalid_request"),
        post("missing comma", "/v1/spends", R"({"account":"alice" "amount":"1"})", 400, "invalid_request"),
        post("single quotes", "/v1/spends", R"({'account':'alice','amount':'1'})", 400, "invalid_request"),
        post("a comment", "/v1/spends", R"({"account":"alice",/* x */"amount":"1"})", 400, "invalid_request"),
        post("two documents", "/v1/spends", R"({"account":"alice","amount":"1"} {})", 400, "invalid_request"),
        post("NUL then junk after the document", "/v1/spends",
             std::string(R"({"account":"alice","amount":"1"})") + std::string(1, '\0') + "junk", 400,
             "invalid_request"),
        post("an array", "/v1/spends", "[1,2]", 400, "invalid_request").with_detail("must be a JSON object"),
        post("a string", "/v1/spends", R"("alice")", 400, "invalid_request"),
        post("null", "/v1/spends", "null", 400, "invalid_request"),
        post("NaN", "/v1/spends", spend_of("NaN"), 400, "invalid_request"),
        post("Infinity", "/v1/spends", spend_of("Infinity"), 400, "invalid_request"),
        post("a raw control character in a string", "/v1/spends", "{\"account\":\"al\x01ice\",\"amount\":\"1\"}", 400, "invalid_request"),
        post("a lone surrogate escape", "/v1/spends", R"({"account":"\ud800","amount":"1"})", 400, "invalid_request"),
        post("a lone low surrogate escape", "/v1/accounts/alice/grants", R"({"amount":"1","reason":"\udc00"})", 400, "invalid_request"),
        // RFC 8259 §8.1 lets a parser ignore a leading byte order mark, and RapidJSON does.
        post("a UTF-8 byte order mark is ignored", "/v1/quotes", "\xEF\xBB\xBF" R"({"tool":"upscale"})", 200, ""),
        post("whitespace only: an empty object", "/v1/spends", "  \r\n ", 400, "invalid_request").with_detail("'account' is required"),
        post("a number too large for a double", "/v1/spends", spend_of("1e400"), 400, "invalid_request"),

        // --- Deep nesting ---
        post("33 levels", "/v1/spends", deep33, 400, "invalid_request").with_detail("nested"),
        post("40 arrays", "/v1/spends", repeat("[", 40) + repeat("]", 40), 400, "invalid_request").with_detail("nested"),
        post("100000 arrays (no stack overflow)", "/v1/spends", repeat("[", 100000), 400, "invalid_request").with_detail("nested"),
        post("brackets inside a string do not nest", "/v1/accounts/alice/grants",
             R"({"reason":")" + repeat("[{", 40) + R"("})", 400, "invalid_request").with_detail("'amount' is required"),
        post("nesting within the bound, in params", "/v1/quotes", deep32_in_params, 400, "invalid_request"),
        post("deep nesting in a batch body", "/v1/batch",
             R"({"requests":[{"method":"POST","path":"/v1/spends","body":)" + deep33 + "}]}", 400,
             "invalid_request").with_detail("nested"),

        // --- Duplicate keys ---
        post("duplicate key", "/v1/spends", R"({"account":"alice","account":"bob","amount":"1"})", 400, "invalid_request").with_detail("repeats the key 'account'"),
        post("duplicate key by escape", "/v1/spends", R"({"account":"alice","acc\u006funt":"bob","amount":"1"})", 400, "invalid_request"),
        post("duplicate key in params", "/v1/quotes", R"({"tool":"video","params":{"seconds":1,"seconds":2}})", 400, "invalid_request"),
        post("duplicate key in a batch item", "/v1/batch",
             R"({"requests":[{"method":"GET","path":"/healthz","path":"/metrics"}]})", 400, "invalid_request"),

        // --- Unknown fields ---
        post("unknown field: spend", "/v1/spends", R"({"account":"alice","amount":"1","tool":"chat","x":1})", 400, "invalid_request").with_detail("unknown field 'x'"),
        post("field names are case-sensitive", "/v1/spends", R"({"Account":"alice","amount":"1"})", 400, "invalid_request"),
        post("unknown field: account", "/v1/accounts", R"({"id":"new-1","planet":"mars"})", 400, "invalid_request"),
        post("unknown field: grant", "/v1/accounts/alice/grants", grant_of(R"("colour":"red")"), 400, "invalid_request"),
        post("unknown field: hold", "/v1/holds", R"({"account":"alice","amount":"1","ttl":60})", 400, "invalid_request"),
        post("unknown field: capture", "/v1/holds/{hold}/capture", R"({"amount":"1","note":"x"})", 400, "invalid_request"),
        post("unknown field: release", "/v1/holds/{hold}/release", R"({"why":"x"})", 400, "invalid_request"),
        post("unknown field: refund", "/v1/spends/{spend}/refunds", R"({"reason":"r","all":true})", 400, "invalid_request"),
        post("unknown field: outcome", "/v1/spends/{spend}/outcome", R"({"outcome":"usable","note":"x"})", 400, "invalid_request"),
        post("outcome missing", "/v1/spends/{spend}/outcome", "{}", 400, "invalid_request"),
        post("outcome failed (a released hold)", "/v1/spends/{spend}/outcome", R"({"outcome":"failed"})", 400, "invalid_request"),
        post("outcome none", "/v1/spends/{spend}/outcome", R"({"outcome":"none"})", 400, "invalid_request"),
        post("outcome not a string", "/v1/spends/{spend}/outcome", R"({"outcome":1})", 400, "invalid_request"),
        post("outcome of a spend id not a number", "/v1/spends/abc/outcome", R"({"outcome":"usable"})", 404, "not_found"),
        post("outcome on a hold", "/v1/holds", R"({"account":"alice","amount":"1","outcome":"usable"})", 400, "invalid_request"),
        post("outcome of a spend unknown", "/v1/spends", R"({"account":"alice","amount":"1","outcome":"great"})", 400, "invalid_request"),
        post("outcome of a capture unknown", "/v1/holds/{hold}/capture", R"({"outcome":"meh"})", 400, "invalid_request"),
        post("unknown field: purchase", "/v1/purchases", R"({"account":"alice","pack":"small","currency":"USD","payment_ref":"p-x","coupon":"x"})", 400, "invalid_request"),
        put("unknown field: subscription", "/v1/accounts/alice/subscription", R"({"plan":"plus","trial":true})", 400, "invalid_request"),
        post("a body on past_due", "/v1/accounts/alice/subscription/past_due", R"({"x":1})", 400, "invalid_request"),
        post("a body on resume", "/v1/accounts/alice/subscription/resume", R"({"x":1})", 400, "invalid_request"),
        post("a body on the daily reward", "/v1/accounts/alice/rewards/daily", R"({"x":1})", 400, "invalid_request"),
        post("unknown field: token", "/v1/accounts/alice/tokens", R"({"ttl":60})", 400, "invalid_request"),
        post("unknown field: quote", "/v1/quotes", R"({"tool":"upscale","currency":"USD"})", 400, "invalid_request"),
        post("unknown field: key", "/v1/keys", R"({"name":"x","role":"admin"})", 400, "invalid_request"),
        post("unknown field: clock", "/v1/admin/clock", R"({"now":"2027-01-05T00:00:00Z","tz":"UTC"})", 400, "invalid_request"),
        post("unknown field: void", "/v1/lots/{lot}/void", R"({"reason":"r","force":true})", 400, "invalid_request"),
        post("unknown field: batch", "/v1/batch", R"({"requests":[{"method":"GET","path":"/healthz"}],"atomic":true})", 400, "invalid_request"),
        post("unknown field: batch item", "/v1/batch", R"({"requests":[{"method":"GET","path":"/healthz","headers":{}}]})", 400, "invalid_request"),

        // --- Non-integer JSON numbers ---
        post("amount with a fraction", "/v1/spends", spend_of("1.5"), 400, "invalid_request").with_detail("fraction or exponent"),
        post("amount 1.0", "/v1/spends", spend_of("1.0"), 400, "invalid_request"),
        post("amount with an exponent", "/v1/spends", spend_of("1e2"), 400, "invalid_request"),
        post("amount 1E+2", "/v1/accounts/alice/grants", R"({"amount":1E+2,"reason":"r"})", 400, "invalid_request"),
        post("amount -0.0", "/v1/holds", spend_of("-0.0"), 400, "invalid_request"),
        post("amount over int64 as a JSON number", "/v1/spends", spend_of("18446744073709551615"), 400, "invalid_request"),
        post("hold ttl_s with a fraction", "/v1/holds", R"({"account":"alice","amount":"1","ttl_s":60.5})", 400, "invalid_request"),
        post("hold ttl_s with an exponent", "/v1/holds", R"({"account":"alice","amount":"1","ttl_s":1e2})", 400, "invalid_request"),
        post("hold ttl_s as a string", "/v1/holds", R"({"account":"alice","amount":"1","ttl_s":"600"})", 400, "invalid_request"),
        post("token ttl_s with a fraction", "/v1/accounts/alice/tokens", R"({"ttl_s":600.0})", 400, "invalid_request"),
        post("token member not an id", "/v1/accounts/alice/tokens", R"({"member":"a b"})", 400, "invalid_request"),
        post("token member a number", "/v1/accounts/alice/tokens", R"({"member":7})", 400, "invalid_request"),
        post("token member on a personal account", "/v1/accounts/alice/tokens", R"({"member":"ana"})", 400, "invalid_request"),
        post("a param with a fraction", "/v1/quotes", R"({"tool":"video","params":{"seconds":1.5}})", 400, "invalid_request"),
        post("a param that is an object", "/v1/quotes", R"({"tool":"video","params":{"seconds":{}}})", 400, "invalid_request"),
        get("limit with a fraction", "/v1/accounts/alice/entries?limit=1.5", 400, "invalid_request"),
        get("limit with an exponent", "/v1/accounts/alice/entries?limit=1e2", 400, "invalid_request"),

        // --- Negative, zero and overflowing amounts ---
        post("spend of 0", "/v1/spends", spend_of(R"("0")"), 400, "invalid_request"),
        post("spend of -0", "/v1/spends", spend_of(R"("-0")"), 400, "invalid_request"),
        post("spend of -1 (string)", "/v1/spends", spend_of(R"("-1")"), 400, "invalid_request"),
        post("spend of -1 (integer)", "/v1/spends", spend_of("-1"), 400, "invalid_request"),
        post("spend of 0 (integer)", "/v1/spends", spend_of("0"), 400, "invalid_request"),
        post("spend over the per-command bound", "/v1/spends", spend_of(R"("1000000001")"), 400, "invalid_request"),
        post("spend overflowing int64 micro-credits", "/v1/spends", spend_of(R"("9999999999999")"), 400, "invalid_request"),
        post("spend of 20 digits", "/v1/spends", spend_of(R"("99999999999999999999")"), 400, "invalid_request"),
        post("spend of INT64_MAX credits (integer)", "/v1/spends", spend_of("9223372036854775807"), 400, "invalid_request"),
        post("spend of INT64_MIN credits (integer)", "/v1/spends", spend_of("-9223372036854775808"), 400, "invalid_request"),
        post("hold of 0", "/v1/holds", spend_of(R"("0")"), 400, "invalid_request"),
        post("hold of -5", "/v1/holds", spend_of(R"("-5")"), 400, "invalid_request"),
        post("grant of 0", "/v1/accounts/alice/grants", R"({"amount":"0","reason":"r"})", 400, "invalid_request"),
        post("grant of -1", "/v1/accounts/alice/grants", R"({"amount":"-1","reason":"r"})", 400, "invalid_request"),
        post("grant over the per-command bound", "/v1/accounts/alice/grants", R"({"amount":"1000000001","reason":"r"})", 400, "invalid_request"),
        post("grant of 99999999999999999999", "/v1/accounts/alice/grants", R"({"amount":"99999999999999999999","reason":"r"})", 400, "invalid_request"),
        post("capture of -1", "/v1/holds/{hold}/capture", R"({"amount":"-1"})", 400, "invalid_request"),
        post("refund of 0", "/v1/spends/{spend}/refunds", R"({"amount":"0","reason":"r"})", 400, "invalid_request"),
        post("refund of -1", "/v1/spends/{spend}/refunds", R"({"amount":"-1","reason":"r"})", 400, "invalid_request"),
        put("custom allocation of -1", "/v1/accounts/alice/subscription", R"({"plan":"plus","allocation":"-1"})", 400, "invalid_request"),
        post("amount as a boolean", "/v1/spends", spend_of("true"), 400, "invalid_request"),
        post("amount as an object", "/v1/spends", spend_of(R"({"credits":1})"), 400, "invalid_request"),
        post("amount as an empty string", "/v1/spends", spend_of(R"("")"), 400, "invalid_request"),
        post("amount with spaces", "/v1/spends", spend_of(R"(" 1")"), 400, "invalid_request"),
        post("amount with a plus sign", "/v1/spends", spend_of(R"("+1")"), 400, "invalid_request"),
        post("amount 1.", "/v1/spends", spend_of(R"("1.")"), 400, "invalid_request"),
        post("amount .5", "/v1/spends", spend_of(R"(".5")"), 400, "invalid_request"),
        post("amount in hex", "/v1/spends", spend_of(R"("0x10")"), 400, "invalid_request"),
        post("amount with an exponent (string)", "/v1/spends", spend_of(R"("1e2")"), 400, "invalid_request"),
        post("amount with a decimal comma", "/v1/spends", spend_of(R"("1,5")"), 400, "invalid_request"),
        post("amount and params", "/v1/spends", R"({"account":"alice","amount":"1","tool":"video","params":{"seconds":1}})", 400, "invalid_request"),
        post("neither amount nor tool", "/v1/holds", R"({"account":"alice"})", 400, "invalid_request"),

        // --- Too many decimals ---
        post("7 decimals", "/v1/spends", spend_of(R"("1.0000001")"), 400, "invalid_request").with_detail("at most 6 decimals"),
        post("7 decimals, the last 0", "/v1/spends", spend_of(R"("1.1234560")"), 400, "invalid_request"),
        post("7 decimals below a micro-credit", "/v1/holds", spend_of(R"("0.0000001")"), 400, "invalid_request"),
        post("7 decimals in a grant", "/v1/accounts/alice/grants", R"({"amount":"0.0000005","reason":"r"})", 400, "invalid_request"),
        post("7 decimals in a capture", "/v1/holds/{hold}/capture", R"({"amount":"0.1234567"})", 400, "invalid_request"),
        post("7 decimals in a refund", "/v1/spends/{spend}/refunds", R"({"amount":"0.1234567","reason":"r"})", 400, "invalid_request"),

        // --- Invalid UTF-8 ---
        post("0xFF in a string", "/v1/spends", "{\"account\":\"alice\xff\",\"amount\":\"1\"}", 400, "invalid_request"),
        post("an overlong encoding", "/v1/accounts/alice/grants", "{\"amount\":\"1\",\"reason\":\"\xC0\xAF\"}", 400, "invalid_request"),
        post("a truncated sequence", "/v1/accounts/alice/grants", "{\"amount\":\"1\",\"reason\":\"ab\xE2\x82\"}", 400, "invalid_request"),
        post("a UTF-16 surrogate in UTF-8", "/v1/accounts/alice/grants", "{\"amount\":\"1\",\"reason\":\"\xED\xA0\x80\"}", 400, "invalid_request"),
        post("past U+10FFFF", "/v1/accounts/alice/grants", "{\"amount\":\"1\",\"reason\":\"\xF4\x90\x80\x80\"}", 400, "invalid_request"),
        post("0xFF in a key", "/v1/spends", "{\"account\":\"alice\",\"amount\":\"1\",\"\xff\":1}", 400, "invalid_request"),
        post("Latin-1 text", "/v1/accounts", "{\"id\":\"caf\xe9\"}", 400, "invalid_request"),
        post("valid UTF-8 outside the id alphabet", "/v1/accounts", "{\"id\":\"caf\xc3\xa9\"}", 400, "invalid_request"),
        get("0xFF in the path (escaped)", "/v1/accounts/alice%FF", 400, "invalid_request"),
        get("0xFF in the query (escaped)", "/v1/accounts/alice/balance?as_of=%FF", 400, "invalid_request"),

        // --- Huge and empty ids ---
        post("empty account id", "/v1/accounts", R"({"id":""})", 400, "invalid_request"),
        post("account id of 129 characters", "/v1/accounts", R"({"id":")" + std::string(129, 'a') + R"("})", 400, "invalid_request"),
        post("account id of 64 KiB", "/v1/accounts", R"({"id":")" + std::string(65536, 'a') + R"("})", 400, "invalid_request"),
        post("account id '.'", "/v1/accounts", R"({"id":"."})", 400, "invalid_request"),
        post("account id '..'", "/v1/accounts", R"({"id":".."})", 400, "invalid_request"),
        post("account id with a space", "/v1/accounts", R"({"id":"a b"})", 400, "invalid_request"),
        post("account id with a slash", "/v1/accounts", R"({"id":"a/b"})", 400, "invalid_request"),
        post("account id with NUL", "/v1/accounts", R"({"id":"a\u0000b"})", 400, "invalid_request"),
        post("account id as a number", "/v1/accounts", R"({"id":123})", 400, "invalid_request"),
        post("account id null", "/v1/accounts", R"({"id":null})", 400, "invalid_request"),
        post("no account id", "/v1/accounts", "{}", 400, "invalid_request"),
        post("empty account in a spend", "/v1/spends", R"({"account":"","amount":"1"})", 400, "invalid_request"),
        post("account of 300 characters in a spend", "/v1/spends", R"({"account":")" + std::string(300, 'a') + R"(","amount":"1"})", 400, "invalid_request"),
        get("empty account in the path", "/v1/accounts/", 400, "invalid_request"),
        get("empty account before /entries", "/v1/accounts//entries", 400, "invalid_request"),
        get("account of 129 characters in the path", "/v1/accounts/" + std::string(129, 'a'), 400, "invalid_request"),
        get("a target over 4096 bytes", "/v1/accounts/alice?x=" + std::string(5000, 'a'), 400, "invalid_request"),
        get("an unknown account of 128 characters", "/v1/accounts/" + std::string(128, 'a'), 404, "not_found"),
        get("hold id 0", "/v1/holds/0", 404, "not_found"),
        get("hold id with a leading 0", "/v1/holds/0{hold}", 404, "not_found"),
        get("hold id over 2^64", "/v1/holds/18446744073709551616", 404, "not_found"),
        get("hold id of 30 digits", "/v1/holds/" + std::string(30, '9'), 404, "not_found"),
        get("hold id -1", "/v1/holds/-1", 404, "not_found"),
        get("hold id not a number", "/v1/holds/not-a-number", 404, "not_found"),
        get("spend id not a number", "/v1/spends/abc", 404, "not_found"),
        post("capture of a hold id not a number", "/v1/holds/abc/capture", "{}", 404, "not_found"),
        post("refund of a spend id not a number", "/v1/spends/1.5/refunds", R"({"reason":"r"})", 404, "not_found"),
        post("void of a lot id not a number", "/v1/lots/lot-1/void", R"({"reason":"r"})", 404, "not_found"),
        post("void of a purchase id not a number", "/v1/purchases/x/void", R"({"reason":"r"})", 404, "not_found"),
        post("empty Idempotency-Key", "/v1/spends", spend_of(R"("1")"), 400, "invalid_request").idem(""),
        post("Idempotency-Key of 257 characters", "/v1/spends", spend_of(R"("1")"), 400, "invalid_request").idem(std::string(257, 'k')),
        post("Idempotency-Key with a space", "/v1/spends", spend_of(R"("1")"), 400, "invalid_request").idem("a b"),
        post("Idempotency-Key with UTF-8", "/v1/spends", spend_of(R"("1")"), 400, "invalid_request").idem("cl\xc3\xa9"),
        post("no Idempotency-Key", "/v1/spends", spend_of(R"("1")"), 400, "idempotency_key_missing").no_key(),
        post("no Idempotency-Key on a grant", "/v1/accounts/alice/grants", R"({"amount":"1","reason":"r"})", 400, "idempotency_key_missing").no_key(),
        post("reason of 1025 bytes", "/v1/accounts/alice/grants", R"({"amount":"1","reason":")" + std::string(1025, 'r') + R"("})", 400, "invalid_request"),
        post("reference of 257 bytes", "/v1/accounts/alice/grants", grant_of(R"("reference":")" + std::string(257, 'r') + "\""), 400, "invalid_request"),
        post("tool of 129 bytes", "/v1/spends", R"({"account":"alice","amount":"1","tool":")" + std::string(129, 't') + R"("})", 400, "invalid_request"),
        post("tool with a space", "/v1/spends", R"({"account":"alice","amount":"1","tool":"my tool"})", 400, "invalid_request"),
        post("scope of 65 tools", "/v1/accounts/alice/grants", grant_of(R"("scope":[)" + repeat(R"("t",)", 64) + R"("t"])"), 400, "invalid_request"),
        post("scope with a number", "/v1/accounts/alice/grants", grant_of(R"("scope":[1])"), 400, "invalid_request"),
        post("scope not an array", "/v1/accounts/alice/grants", grant_of(R"("scope":"video")"), 400, "invalid_request"),
        post("payment_ref of 101 bytes", "/v1/purchases", R"({"account":"alice","pack":"small","currency":"USD","payment_ref":")" + std::string(101, 'p') + R"("})", 400, "invalid_request"),
        post("key name of 129 bytes", "/v1/keys", R"({"name":")" + std::string(129, 'n') + R"("})", 400, "invalid_request"),
        post("key name missing", "/v1/keys", "{}", 400, "invalid_request"),
        post("key name empty", "/v1/keys", R"({"name":""})", 400, "invalid_request"),
        post("grant reason empty", "/v1/accounts/alice/grants", R"({"amount":"1","reason":""})", 400, "invalid_request"),
        post("refund reason empty", "/v1/spends/{spend}/refunds", R"({"amount":"1","reason":""})", 400, "invalid_request"),
        post("void reason empty", "/v1/lots/{lot}/void", R"({"reason":""})", 400, "invalid_request"),

        // --- Path tricks ---
        get("'..' as the account", "/v1/accounts/..", 400, "invalid_request"),
        get("'.' as the account", "/v1/accounts/.", 400, "invalid_request"),
        get("'%2E%2E' as the account", "/v1/accounts/%2E%2E", 400, "invalid_request"),
        get("'%2F' in the account", "/v1/accounts/a%2Fb", 400, "invalid_request"),
        get("'%2F' to another endpoint", "/v1/accounts/alice%2Fentries", 400, "invalid_request"),
        get("'%2f' lower case", "/v1/accounts/bob%2f..%2falice", 400, "invalid_request").as(Who::other_token),
        get("'%00' in the account", "/v1/accounts/alice%00", 400, "invalid_request"),
        get("'%3F' in the account", "/v1/accounts/alice%3Fx", 400, "invalid_request"),
        get("a bad escape", "/v1/accounts/a%zz", 400, "invalid_request"),
        get("a cut escape", "/v1/accounts/a%2", 400, "invalid_request"),
        get("a lone '%'", "/v1/accounts/%", 400, "invalid_request"),
        get("a bad escape in the query", "/v1/accounts/alice/entries?limit=%zz", 400, "invalid_request"),
        get("'..' as a segment", "/v1/accounts/alice/..", 404, "not_found"),
        get("'/../' into another account", "/v1/accounts/alice/../bob", 404, "not_found").as(Who::own_token),
        get("a trailing slash", "/v1/accounts/alice/", 404, "not_found"),
        get("a double slash", "/v1//accounts/alice", 404, "not_found"),
        get("a leading double slash", "//v1/accounts/alice", 404, "not_found"),
        get("upper-case V1", "/V1/accounts/alice", 404, "not_found"),
        get("a file outside the dashboard", "/../../etc/passwd", 404, "not_found"),
        get("an escaped file outside the dashboard", "/%2e%2e/%2e%2e/etc/passwd", 404, "not_found"),
        get("a path that is not there", "/v1/nowhere", 404, "not_found"),
        get("a target that is not a path", "*", 400, "invalid_request"),
        get("an absolute-form target", "http://127.0.0.1/v1/accounts/alice", 400, "invalid_request"),
        Case{"DELETE on holds", "DELETE", "/v1/holds", "", 405, "method_not_allowed"},
        get("GET on spends", "/v1/spends", 405, "method_not_allowed"),
        Case{"PATCH on an account", "PATCH", "/v1/accounts/alice", R"({"plan":"pro"})", 405, "method_not_allowed"},
        Case{"a lower-case method", "get", "/healthz", "", 405, "method_not_allowed"},

        // --- Unknown tools and options (priced before anything reaches a shard) ---
        post("quote: unknown tool", "/v1/quotes", R"({"tool":"teleport"})", 400, "unknown_tool"),
        post("quote: unknown option", "/v1/quotes", R"({"tool":"video","params":{"resolution":"8k","seconds":1}})", 400, "unknown_option"),
        post("quote: unknown parameter", "/v1/quotes", R"({"tool":"video","params":{"colour":"red","seconds":1}})", 400, "unknown_parameter"),
        post("quote: missing parameter", "/v1/quotes", R"({"tool":"lora-training"})", 400, "missing_parameter"),
        post("quote: usage below its minimum", "/v1/quotes", R"({"tool":"video","params":{"seconds":0}})", 400, "bad_value"),
        post("quote: usage above its maximum", "/v1/quotes", R"({"tool":"video","params":{"seconds":61}})", 400, "bad_value"),
        post("quote: usage not a number", "/v1/quotes", R"({"tool":"video","params":{"seconds":"ten"}})", 400, "bad_value"),
        post("quote: usage negative", "/v1/quotes", R"({"tool":"video","params":{"seconds":-1}})", 400, "bad_value"),
        post("quote: count over its maximum", "/v1/quotes", R"({"tool":"image","params":{"batch_size":5}})", 400, "bad_value"),
        post("quote: switch not a boolean", "/v1/quotes", R"({"tool":"image","params":{"face_fix":"maybe"}})", 400, "bad_value"),
        post("quote: no tool", "/v1/quotes", R"({"params":{}})", 400, "invalid_request"),
        post("quote: params not an object", "/v1/quotes", R"({"tool":"video","params":[1]})", 400, "invalid_request"),
        post("quote: account and plan", "/v1/quotes", R"({"tool":"upscale","account":"alice","plan":"pro"})", 400, "invalid_request"),
        post("quote: an unknown account", "/v1/quotes", R"({"tool":"upscale","account":"nobody"})", 404, "not_found"),
        post("hold: unknown tool", "/v1/holds", R"({"account":"alice","tool":"teleport"})", 400, "unknown_tool"),
        post("hold: unknown option", "/v1/holds", R"({"account":"alice","tool":"video","params":{"resolution":"8k","seconds":1}})", 400, "unknown_option"),
        post("spend: unknown parameter", "/v1/spends", R"({"account":"alice","tool":"image","params":{"style":"noir"}})", 400, "unknown_parameter"),
        post("spend: missing parameter", "/v1/spends", R"({"account":"alice","tool":"lora-training","params":{}})", 400, "missing_parameter"),
        post("spend: tool without params or amount for an unknown account", "/v1/spends", R"({"account":"nobody","tool":"upscale"})", 404, "not_found"),
        post("capture: unknown option", "/v1/holds/{tool_hold}/capture", R"({"usage":{"resolution":"8k","seconds":1}})", 400, "unknown_option"),
        post("capture: usage over its maximum", "/v1/holds/{tool_hold}/capture", R"({"usage":{"resolution":"720p","seconds":61}})", 400, "bad_value"),
        post("capture: usage of a hold placed by amount", "/v1/holds/{hold}/capture", R"({"usage":{"seconds":1}})", 400, "invalid_request"),
        post("capture: amount and usage", "/v1/holds/{tool_hold}/capture", R"({"amount":"1","usage":{"seconds":1}})", 400, "invalid_request"),
        post("open: plan not a string", "/v1/accounts", R"({"id":"new-2","plan":7})", 400, "invalid_request"),
        post("open: an unknown plan", "/v1/accounts", R"({"id":"new-3","plan":"platinum"})", 400, "invalid_request"),
        post("open: an empty plan", "/v1/accounts", R"({"id":"new-5","plan":""})", 400, "invalid_request"),
        put("subscription: no plan", "/v1/accounts/alice/subscription", "{}", 400, "invalid_request"),
        put("subscription: an unknown plan", "/v1/accounts/alice/subscription", R"({"plan":"platinum"})", 400, "invalid_request"),
        post("purchase: an unknown currency", "/v1/purchases", R"({"account":"alice","pack":"small","currency":"XYZ","payment_ref":"p-1"})", 400, "invalid_request"),
        post("purchase: a currency of 4 letters", "/v1/purchases", R"({"account":"alice","pack":"small","currency":"USDT","payment_ref":"p-2"})", 400, "invalid_request"),
        post("purchase: a lower-case currency", "/v1/purchases", R"({"account":"alice","pack":"small","currency":"usd","payment_ref":"p-3"})", 400, "invalid_request"),
        post("purchase: an unknown pack", "/v1/purchases", R"({"account":"alice","pack":"mega","currency":"USD","payment_ref":"p-4"})", 400, "invalid_request"),
        post("purchase: payment_ref outside the id alphabet", "/v1/purchases", R"({"account":"alice","pack":"small","currency":"USD","payment_ref":"p 5"})", 400, "invalid_request").no_key(),
        post("purchase: payment_ref outside the id alphabet, with a key", "/v1/purchases", R"({"account":"alice","pack":"small","currency":"USD","payment_ref":"p 6"})", 400, "invalid_request"),
        post("purchase: no payment_ref", "/v1/purchases", R"({"account":"alice","pack":"small","currency":"USD"})", 400, "invalid_request"),
        post("a key under the reserved purchase: prefix", "/v1/spends", R"({"account":"alice","amount":"1"})", 400, "invalid_request").idem("purchase:pay-77"),
        post("a batch holding /metrics, which answers text", "/v1/batch", R"({"requests":[{"method":"GET","path":"/metrics"}]})", 200, "").inner(400, "invalid_request"),
        put("auto top-up: below 0", "/v1/accounts/alice/auto_topup", R"({"below":"0","pack":"small","currency":"USD"})", 400, "invalid_request").with_detail("below"),
        put("auto top-up: below negative", "/v1/accounts/alice/auto_topup", R"({"below":"-5","pack":"small","currency":"USD"})", 400, "invalid_request"),
        put("auto top-up: no pack", "/v1/accounts/alice/auto_topup", R"({"below":"5","currency":"USD"})", 400, "invalid_request").with_detail("pack"),
        put("auto top-up: no currency", "/v1/accounts/alice/auto_topup", R"({"below":"5","pack":"small"})", 400, "invalid_request"),
        put("auto top-up: an unknown pack", "/v1/accounts/alice/auto_topup", R"({"below":"5","pack":"mega","currency":"USD"})", 400, "invalid_request").with_detail("no pack 'mega'"),
        put("auto top-up: a currency the pack is not sold in", "/v1/accounts/alice/auto_topup", R"({"below":"5","pack":"small","currency":"JPY"})", 400, "invalid_request").with_detail("not sold in 'JPY'"),
        put("auto top-up: an unknown field", "/v1/accounts/alice/auto_topup", R"({"below":"5","pack":"small","currency":"USD","every":"P1D"})", 400, "invalid_request"),
        put("auto top-up: below as a number", "/v1/accounts/alice/auto_topup", R"({"below":5.5,"pack":"small","currency":"USD"})", 400, "invalid_request"),
        put("auto top-up: no Idempotency-Key", "/v1/accounts/alice/auto_topup", R"({"below":"5","pack":"small","currency":"USD"})", 400, "idempotency_key_missing").no_key(),
        // --- Team accounts (issue 17): every new field ---
        post("open: kind unknown", "/v1/accounts", R"({"id":"tm-1","kind":"club","owner":"o"})", 400, "invalid_request").with_detail("kind"),
        post("open: kind not a string", "/v1/accounts", R"({"id":"tm-1","kind":1,"owner":"o"})", 400, "invalid_request"),
        post("open: a team without owner", "/v1/accounts", R"({"id":"tm-1","kind":"team","plan":"pro"})", 400, "invalid_request").with_detail("owner"),
        post("open: owner of a personal account", "/v1/accounts", R"({"id":"tm-1","owner":"o"})", 400, "invalid_request").with_detail("owner"),
        post("open: owner outside the id alphabet", "/v1/accounts", R"({"id":"tm-1","kind":"team","plan":"pro","owner":"o o"})", 400, "invalid_request"),
        post("open: a team on a plan without teams", "/v1/accounts", R"({"id":"tm-1","kind":"team","plan":"plus","owner":"o"})", 400, "invalid_request").with_detail("does not allow teams"),
        post("spend: member on a personal account", "/v1/spends", R"({"account":"alice","amount":"1","member":"ana"})", 400, "invalid_request").with_detail("team accounts only"),
        post("hold: project on a personal account", "/v1/holds", R"({"account":"alice","amount":"1","project":"x"})", 400, "invalid_request"),
        post("spend: member not a string", "/v1/spends", R"({"account":"alice","amount":"1","member":5})", 400, "invalid_request"),
        post("hold: member outside the id alphabet", "/v1/holds", R"({"account":"alice","amount":"1","member":"a b"})", 400, "invalid_request"),
        post("members of a personal account", "/v1/accounts/alice/members", R"({"user":"ana"})", 400, "invalid_request").with_detail("not a team account"),
        post("member: no user", "/v1/accounts/alice/members", R"({"role":"member"})", 400, "invalid_request").with_detail("user"),
        post("member: an unknown role", "/v1/accounts/alice/members", R"({"user":"ana","role":"king"})", 400, "invalid_request").with_detail("role"),
        post("member: an unknown field", "/v1/accounts/alice/members", R"({"user":"ana","admin":true})", 400, "invalid_request"),
        post("member: no Idempotency-Key", "/v1/accounts/alice/members", R"({"user":"ana"})", 400, "idempotency_key_missing").no_key(),
        get("members of an unknown account", "/v1/accounts/nobody/members", 404, "not_found"),
        get("members of a personal account (read)", "/v1/accounts/alice/members", 400, "invalid_request"),
        Case{"member role: none", "PATCH", "/v1/accounts/alice/members/ana", "{}", 400, "invalid_request"},
        Case{"member role: unknown", "PATCH", "/v1/accounts/alice/members/ana", R"({"role":"king"})", 400, "invalid_request"},
        del("remove a member of a personal account", "/v1/accounts/alice/members/ana", 400, "invalid_request"),
        post("budget: neither member nor project", "/v1/accounts/alice/budgets", R"({"id":"b","limit":"1","period":"P1M"})", 400, "invalid_request").with_detail("member"),
        post("budget: no id", "/v1/accounts/alice/budgets", R"({"member":"ana","limit":"1","period":"P1M"})", 400, "invalid_request"),
        post("budget: no limit", "/v1/accounts/alice/budgets", R"({"id":"b","member":"ana","period":"P1M"})", 400, "invalid_request").with_detail("limit"),
        post("budget: a negative limit", "/v1/accounts/alice/budgets", R"({"id":"b","member":"ana","limit":"-1","period":"P1M"})", 400, "invalid_request"),
        post("budget: limit as a fraction number", "/v1/accounts/alice/budgets", R"({"id":"b","member":"ana","limit":1.5,"period":"P1M"})", 400, "invalid_request"),
        post("budget: no period", "/v1/accounts/alice/budgets", R"({"id":"b","member":"ana","limit":"1"})", 400, "invalid_request").with_detail("period"),
        post("budget: an unknown period", "/v1/accounts/alice/budgets", R"({"id":"b","member":"ana","limit":"1","period":"P2M"})", 400, "invalid_request").with_detail("P1D"),
        post("budget: an unknown mode", "/v1/accounts/alice/budgets", R"({"id":"b","member":"ana","limit":"1","period":"P1M","mode":"strict"})", 400, "invalid_request").with_detail("mode"),
        post("budget: anchor not a time", "/v1/accounts/alice/budgets", R"({"id":"b","member":"ana","limit":"1","period":"P1M","anchor":"monday"})", 400, "invalid_request"),
        post("budget: project outside the id alphabet", "/v1/accounts/alice/budgets", R"({"id":"b","project":"x y","limit":"1","period":"P1M"})", 400, "invalid_request"),
        post("budget of a personal account", "/v1/accounts/alice/budgets", R"({"id":"b","member":"ana","limit":"1","period":"P1M"})", 400, "invalid_request").with_detail("not a team account"),
        get("budgets of a personal account", "/v1/accounts/alice/budgets", 400, "invalid_request"),
        get("budgets of an unknown account", "/v1/accounts/nobody/budgets", 404, "not_found"),
        Case{"budget update: nothing", "PATCH", "/v1/accounts/alice/budgets/b", "{}", 400, "invalid_request"},
        Case{"budget update: an unknown mode", "PATCH", "/v1/accounts/alice/budgets/b", R"({"mode":"x"})", 400, "invalid_request"},
        del("remove a budget of a personal account", "/v1/accounts/alice/budgets/b", 400, "invalid_request"),
        get("history: member empty", "/v1/accounts/alice/entries?member=", 400, "invalid_request").with_detail("member"),
        get("history: member outside the id alphabet", "/v1/accounts/alice/entries?member=a%20b", 400, "invalid_request").with_detail("member"),
        get("history: member too long", "/v1/accounts/alice/entries?member=" + std::string(129, 'm'), 400, "invalid_request").with_detail("member"),
        get("history: project empty", "/v1/accounts/alice/entries?project=", 400, "invalid_request").with_detail("project"),
        get("history: project outside the id alphabet", "/v1/accounts/alice/entries?project=x/y", 400, "invalid_request").with_detail("project"),
        get("history: group neither entry nor operation", "/v1/accounts/alice/entries?group=lot", 400, "invalid_request").with_detail("group"),
        get("history: group empty", "/v1/accounts/alice/entries?group=", 400, "invalid_request").with_detail("group"),
        get("usage: no period", "/v1/accounts/alice/usage", 400, "invalid_request").with_detail("from"),
        get("usage: no end", "/v1/accounts/alice/usage?from=2027-01-01T00:00:00Z", 400, "invalid_request").with_detail("to"),
        get("usage: from not a time", "/v1/accounts/alice/usage?from=monday&to=2027-01-02T00:00:00Z", 400, "invalid_request").with_detail("from"),
        get("usage: to before from", "/v1/accounts/alice/usage?from=2027-01-02T00:00:00Z&to=2027-01-01T00:00:00Z", 400, "invalid_request").with_detail("after"),
        get("usage: an empty period", "/v1/accounts/alice/usage?from=2027-01-01T00:00:00Z&to=2027-01-01T00:00:00Z", 400, "invalid_request"),
        get("usage of a personal account", "/v1/accounts/alice/usage?from=2027-01-01T00:00:00Z&to=2027-01-02T00:00:00Z", 400, "invalid_request").with_detail("not a team account"),
        get("usage of an unknown account", "/v1/accounts/nobody/usage?from=2027-01-01T00:00:00Z&to=2027-01-02T00:00:00Z", 404, "not_found"),
        get("forecast: currency in lower case", "/v1/accounts/alice/forecast?currency=usd", 400, "invalid_request").with_detail("currency"),
        get("forecast: unknown parameter", "/v1/accounts/alice/forecast?days=7", 400, "invalid_request").with_detail("unknown query parameter"),
        get("forecast of an unknown account", "/v1/accounts/nobody/forecast", 404, "not_found"),
        get("forecast: another account's token", "/v1/accounts/alice/forecast", 403, "forbidden").as(Who::other_token),
        get("forecast: its own token may read it", "/v1/accounts/alice/forecast", 200, "").as(Who::own_token),
        get("finance: no period", "/v1/reports/finance?currency=USD", 400, "invalid_request").with_detail("from"),
        get("finance: no end", "/v1/reports/finance?from=2027-01-01T00:00:00Z&currency=USD", 400, "invalid_request").with_detail("to"),
        get("finance: from not a time", "/v1/reports/finance?from=monday&to=2027-01-02T00:00:00Z&currency=USD", 400, "invalid_request").with_detail("from"),
        get("finance: to before from", "/v1/reports/finance?from=2027-01-02T00:00:00Z&to=2027-01-01T00:00:00Z&currency=USD", 400, "invalid_request").with_detail("after"),
        get("finance: no currency", "/v1/reports/finance?from=2027-01-01T00:00:00Z&to=2027-01-02T00:00:00Z", 400, "invalid_request").with_detail("currency"),
        get("finance: currency in lower case", "/v1/reports/finance?from=2027-01-01T00:00:00Z&to=2027-01-02T00:00:00Z&currency=usd", 400, "invalid_request").with_detail("currency"),
        get("finance: currency too long", "/v1/reports/finance?from=2027-01-01T00:00:00Z&to=2027-01-02T00:00:00Z&currency=USDX", 400, "invalid_request").with_detail("currency"),
        get("finance: unknown format", "/v1/reports/finance?from=2027-01-01T00:00:00Z&to=2027-01-02T00:00:00Z&currency=USD&format=xml", 400, "invalid_request").with_detail("format"),
        get("finance: an end-user token", "/v1/reports/finance?from=2027-01-01T00:00:00Z&to=2027-01-02T00:00:00Z&currency=USD", 403, "forbidden").as(Who::own_token),
        get("finance: a service key may read it", "/v1/reports/finance?from=2027-01-01T00:00:00Z&to=2027-01-02T00:00:00Z&currency=USD", 200, "").as(Who::service),
        get("finance: unknown parameter", "/v1/reports/finance?from=2027-01-01T00:00:00Z&to=2027-01-02T00:00:00Z&currency=USD&account=alice", 400, "invalid_request").with_detail("unknown query parameter"),
        get("top accounts: no period", "/v1/reports/top-accounts", 400, "invalid_request").with_detail("from"),
        get("top accounts: to before from", "/v1/reports/top-accounts?from=2027-01-02T00:00:00Z&to=2027-01-01T00:00:00Z", 400, "invalid_request").with_detail("after"),
        get("top accounts: limit 0", "/v1/reports/top-accounts?from=2027-01-01T00:00:00Z&to=2027-01-02T00:00:00Z&limit=0", 400, "invalid_request").with_detail("limit"),
        get("top accounts: limit past 100", "/v1/reports/top-accounts?from=2027-01-01T00:00:00Z&to=2027-01-02T00:00:00Z&limit=101", 400, "invalid_request").with_detail("limit"),
        get("top accounts: unknown parameter", "/v1/reports/top-accounts?from=2027-01-01T00:00:00Z&to=2027-01-02T00:00:00Z&currency=USD", 400, "invalid_request").with_detail("unknown query parameter"),
        get("top accounts: an end-user token", "/v1/reports/top-accounts?from=2027-01-01T00:00:00Z&to=2027-01-02T00:00:00Z", 403, "forbidden").as(Who::own_token),
        get("top accounts: a service key may read it", "/v1/reports/top-accounts?from=2027-01-01T00:00:00Z&to=2027-01-02T00:00:00Z", 200, "").as(Who::service),
        get("auto top-up of an unknown account", "/v1/accounts/nobody/auto_topup", 404, "not_found"),
        post("auto top-up fail: an id that is not a number", "/v1/auto_topups/abc/fail", "{}", 404, "not_found"),
        post("auto top-up fail: an unknown field", "/v1/auto_topups/281474976710655/fail", R"({"why":"x"})", 400, "invalid_request"),
        post("auto top-up fail: reason a number", "/v1/auto_topups/281474976710655/fail", R"({"reason":7})", 400, "invalid_request"),
        post("auto top-up cancel: no Idempotency-Key", "/v1/auto_topups/281474976710655/cancel", "{}", 400, "idempotency_key_missing").no_key(),
        post("key: an unknown scope", "/v1/keys", R"({"name":"x","scope":"root"})", 400, "invalid_request"),
        post("key: scope in capitals", "/v1/keys", R"({"name":"x","scope":"Worker"})", 400, "invalid_request"),
        post("key: expires_at not a time", "/v1/keys", R"({"name":"x","expires_at":"tomorrow"})", 400, "invalid_request"),
        post("key: expires_at a number", "/v1/keys", R"({"name":"x","expires_at":1767225600})", 400, "invalid_request"),
        post("rotate: no overlap_s", "/v1/keys/admin/rotate", "{}", 400, "invalid_request").with_detail("overlap_s"),
        post("rotate: overlap_s negative", "/v1/keys/admin/rotate", R"({"overlap_s":-1})", 400, "invalid_request"),
        post("rotate: overlap_s over 30 days", "/v1/keys/admin/rotate", R"({"overlap_s":2592001})", 400, "invalid_request"),
        post("rotate: overlap_s a string", "/v1/keys/admin/rotate", R"({"overlap_s":"60"})", 400, "invalid_request"),
        post("rotate: an unknown field", "/v1/keys/admin/rotate", R"({"overlap_s":60,"grace_s":1})", 400, "invalid_request"),
        post("rotate: an unknown key", "/v1/keys/key_0000000000000000/rotate", R"({"overlap_s":60})", 404, "not_found"),
        post("rotate: a key id outside the id alphabet", "/v1/keys/key%20x/rotate", R"({"overlap_s":60})", 400, "invalid_request"),
        del("revoke: an unknown key", "/v1/keys/key_0000000000000000", 404, "not_found"),
        del("revoke: the admin key", "/v1/keys/admin", 400, "invalid_request").with_detail("rotate"),
        post("keys: POST on a key", "/v1/keys/admin", "{}", 405, "method_not_allowed"),
        post("webhook: no url", "/v1/webhooks", "{}", 400, "invalid_request").with_detail("url"),
        post("webhook: a url that is not http", "/v1/webhooks", R"({"url":"ftp://127.0.0.1/x"})", 400, "invalid_request").with_detail("http"),
        post("webhook: a url without a host", "/v1/webhooks", R"({"url":"http:///x"})", 400, "invalid_request").with_detail("host"),
        post("webhook: a url with a bad port", "/v1/webhooks", R"({"url":"http://127.0.0.1:99999/x"})", 400, "invalid_request").with_detail("port"),
        post("webhook: a url with a space", "/v1/webhooks", R"({"url":"http://127.0.0.1/a b"})", 400, "invalid_request"),
        post("webhook: a url of 2049 bytes", "/v1/webhooks", R"({"url":"http://h/)" + std::string(2040, 'a') + R"("})", 400, "invalid_request"),
        post("webhook: a url with credentials", "/v1/webhooks", R"({"url":"http://u:p@127.0.0.1/x"})", 400, "invalid_request"),
        post("webhook: an unknown event type", "/v1/webhooks", R"({"url":"http://127.0.0.1/x","event_types":["balance.nope"]})", 400, "invalid_request").with_detail("balance.nope"),
        post("webhook: no event type", "/v1/webhooks", R"({"url":"http://127.0.0.1/x","event_types":[]})", 400, "invalid_request"),
        post("webhook: * beside a type", "/v1/webhooks", R"({"url":"http://127.0.0.1/x","event_types":["*","balance.low"]})", 400, "invalid_request"),
        post("webhook: event_types a string", "/v1/webhooks", R"({"url":"http://127.0.0.1/x","event_types":"balance.low"})", 400, "invalid_request"),
        post("webhook: a description of 257 bytes", "/v1/webhooks", R"({"url":"http://127.0.0.1/x","description":")" + std::string(257, 'd') + R"("})", 400, "invalid_request"),
        post("webhook: an unknown field", "/v1/webhooks", R"({"url":"http://127.0.0.1/x","secret":"mine"})", 400, "invalid_request").with_detail("secret"),
        get("webhook: an unknown one", "/v1/webhooks/wh_0000000000000000", 404, "not_found"),
        del("webhook: delete an unknown one", "/v1/webhooks/wh_0000000000000000", 404, "not_found"),
        post("webhook: rotate an unknown one", "/v1/webhooks/wh_0000000000000000/rotate_secret", "{}", 404, "not_found"),
        post("webhook: rotate with overlap_s over 30 days", "/v1/webhooks/wh_0000000000000000/rotate_secret", R"({"overlap_s":2592001})", 400, "invalid_request"),
        post("webhook: rotate with overlap_s negative", "/v1/webhooks/wh_0000000000000000/rotate_secret", R"({"overlap_s":-1})", 400, "invalid_request"),
        post("webhook: enable an unknown one", "/v1/webhooks/wh_0000000000000000/enable", "{}", 404, "not_found"),
        post("webhook: enable with a field", "/v1/webhooks/wh_0000000000000000/enable", R"({"now":true})", 400, "invalid_request"),
        get("webhook: deliveries of an unknown one", "/v1/webhooks/wh_0000000000000000/deliveries", 404, "not_found"),
        get("webhook: deliveries limit 0", "/v1/webhooks/wh_0000000000000000/deliveries?limit=0", 400, "invalid_request"),
        get("webhook: deliveries limit over 1000", "/v1/webhooks/wh_0000000000000000/deliveries?limit=1001", 400, "invalid_request"),
        get("webhook: deliveries with an unknown parameter", "/v1/webhooks/wh_0000000000000000/deliveries?status=500", 400, "invalid_request").with_detail("status"),
        post("webhook: redeliver to an unknown one", "/v1/webhooks/wh_0000000000000000/deliveries/281474976710657/redeliver", "{}", 404, "not_found"),
        post("webhook: redeliver an event id that is not a number", "/v1/webhooks/wh_0000000000000000/deliveries/abc/redeliver", "{}", 404, "not_found"),
        post("webhook: a service key registering one", "/v1/webhooks", R"({"url":"http://127.0.0.1/x"})", 403, "forbidden").as(Who::service),
        get("webhook: a service key listing them", "/v1/webhooks", 403, "forbidden").as(Who::service),
        get("webhook: a token listing them", "/v1/webhooks", 403, "forbidden").as(Who::own_token),
        get("webhook: no credential", "/v1/webhooks", 401, "unauthorized").as(Who::none),
        Case("webhook: PUT on one", "PUT", "/v1/webhooks/wh_0000000000000000", "{}", 405, "method_not_allowed"),
        get("audit: limit 0", "/v1/audit?limit=0", 400, "invalid_request"),
        get("audit: limit over 1000", "/v1/audit?limit=1001", 400, "invalid_request"),
        get("audit: a key outside the id alphabet", "/v1/audit?key=key%20x", 400, "invalid_request"),
        get("audit: an account of 129 characters", "/v1/audit?account=" + std::string(129, 'a'), 400, "invalid_request"),
        get("audit: from not a time", "/v1/audit?from=yesterday", 400, "invalid_request").with_detail("from"),
        get("audit: to before from", "/v1/audit?from=2027-01-02T00:00:00Z&to=2027-01-01T00:00:00Z", 400, "invalid_request"),
        get("audit: a cursor of another deployment", "/v1/audit?cursor=1.2.3.4.5.6.7.8.9", 400, "invalid_request"),
        get("audit: a cursor that is not one", "/v1/audit?cursor=abc", 400, "invalid_request"),
        get("audit: an unknown parameter", "/v1/audit?member=ana", 400, "invalid_request").with_detail("member"),
        get("audit: a token reading it", "/v1/audit", 403, "forbidden").as(Who::own_token),
        get("audit: no credential", "/v1/audit", 401, "unauthorized").as(Who::none),
        Case("audit: POST", "POST", "/v1/audit", "{}", 405, "method_not_allowed"),
        get("accounts: limit 0", "/v1/accounts?limit=0", 400, "invalid_request"),
        get("accounts: limit over 1000", "/v1/accounts?limit=1001", 400, "invalid_request"),
        get("accounts: a prefix outside the id alphabet", "/v1/accounts?prefix=al%20i", 400, "invalid_request"),
        get("accounts: a kind that is not team or personal", "/v1/accounts?kind=group", 400, "invalid_request"),
        get("accounts: an empty kind", "/v1/accounts?kind=", 400, "invalid_request"),
        get("accounts: a prefix of 129 characters", "/v1/accounts?prefix=" + std::string(129, 'a'), 400, "invalid_request"),
        get("accounts: an empty cursor", "/v1/accounts?cursor=", 400, "invalid_request"),
        get("accounts: an unknown parameter", "/v1/accounts?owner=olga", 400, "invalid_request").with_detail("owner"),
        get("accounts: a token listing accounts", "/v1/accounts", 403, "forbidden").as(Who::own_token),
        post("token revoke: both token_id and all", "/v1/accounts/alice/tokens/revoke", R"({"token_id":"00ff00ff00ff00ff","all":true})", 400, "invalid_request"),
        post("token revoke: neither", "/v1/accounts/alice/tokens/revoke", "{}", 400, "invalid_request"),
        post("token revoke: all false", "/v1/accounts/alice/tokens/revoke", R"({"all":false})", 400, "invalid_request"),
        post("token revoke: all a string", "/v1/accounts/alice/tokens/revoke", R"({"all":"true"})", 400, "invalid_request"),
        post("token revoke: token_id not hex", "/v1/accounts/alice/tokens/revoke", R"({"token_id":"zz"})", 400, "invalid_request"),
        post("token revoke: token_id of 65 bytes", "/v1/accounts/alice/tokens/revoke", R"({"token_id":")" + std::string(65, 'a') + R"("})", 400, "invalid_request"),
        post("token revoke: token_id empty", "/v1/accounts/alice/tokens/revoke", R"({"token_id":""})", 400, "invalid_request"),
        post("token revoke: an unknown field", "/v1/accounts/alice/tokens/revoke", R"({"all":true,"reason":"x"})", 400, "invalid_request"),
        post("grant: an unknown source", "/v1/accounts/alice/grants", grant_of(R"("source":"gift")"), 400, "invalid_request"),
        post("grant: source refund", "/v1/accounts/alice/grants", grant_of(R"("source":"refund")"), 400, "invalid_request"),

        // --- Bad times and durations ---
        post("expires_at not a time", "/v1/accounts/alice/grants", grant_of(R"("expires_at":"tomorrow")"), 400, "invalid_request").with_detail("RFC 3339"),
        post("expires_at on 30 February", "/v1/accounts/alice/grants", grant_of(R"("expires_at":"2027-02-30T00:00:00Z")"), 400, "invalid_request"),
        post("expires_at at hour 25", "/v1/accounts/alice/grants", grant_of(R"("expires_at":"2027-03-01T25:00:00Z")"), 400, "invalid_request"),
        post("expires_at on a leap second", "/v1/accounts/alice/grants", grant_of(R"("expires_at":"2027-03-01T23:59:60Z")"), 400, "invalid_request"),
        post("expires_at without a zone", "/v1/accounts/alice/grants", grant_of(R"("expires_at":"2027-03-01T00:00:00")"), 400, "invalid_request"),
        post("expires_at with a space", "/v1/accounts/alice/grants", grant_of(R"("expires_at":"2027-03-01 00:00:00Z")"), 400, "invalid_request"),
        post("expires_at with 7 fraction digits", "/v1/accounts/alice/grants", grant_of(R"("expires_at":"2027-03-01T00:00:00.1234567Z")"), 400, "invalid_request"),
        post("expires_at as a number", "/v1/accounts/alice/grants", grant_of(R"("expires_at":1800000000)"), 400, "invalid_request"),
        post("expires_at in the past", "/v1/accounts/alice/grants", grant_of(R"("expires_at":"2020-01-01T00:00:00Z")"), 400, "invalid_request"),
        post("expires_at before effective_at", "/v1/accounts/alice/grants", grant_of(R"("effective_at":"2027-03-01T00:00:00Z","expires_at":"2027-02-01T00:00:00Z")"), 400, "invalid_request"),
        post("effective_at in the past", "/v1/accounts/alice/grants", grant_of(R"("effective_at":"2027-01-01T00:00:00Z")"), 400, "invalid_request"),
        post("effective_at in year 0", "/v1/accounts/alice/grants", grant_of(R"("effective_at":"0000-01-01T00:00:00Z")"), 400, "invalid_request"),
        post("expires_at and valid_for", "/v1/accounts/alice/grants", grant_of(R"("expires_at":"2027-03-01T00:00:00Z","valid_for":"P1M")"), 400, "invalid_request"),
        post("valid_for and never_expires", "/v1/accounts/alice/grants", grant_of(R"("valid_for":"P1M","never_expires":true)"), 400, "invalid_request"),
        post("never_expires not a boolean", "/v1/accounts/alice/grants", grant_of(R"("never_expires":"yes")"), 400, "invalid_request"),
        post("valid_for without P", "/v1/accounts/alice/grants", grant_of(R"("valid_for":"30D")"), 400, "invalid_request").with_detail("ISO 8601"),
        post("valid_for 'P'", "/v1/accounts/alice/grants", grant_of(R"("valid_for":"P")"), 400, "invalid_request"),
        post("valid_for 'PT'", "/v1/accounts/alice/grants", grant_of(R"("valid_for":"PT")"), 400, "invalid_request"),
        post("valid_for 'P1DT'", "/v1/accounts/alice/grants", grant_of(R"("valid_for":"P1DT")"), 400, "invalid_request"),
        post("valid_for negative", "/v1/accounts/alice/grants", grant_of(R"("valid_for":"P-1D")"), 400, "invalid_request"),
        post("valid_for zero", "/v1/accounts/alice/grants", grant_of(R"("valid_for":"P0D")"), 400, "invalid_request"),
        post("valid_for with a fraction of days", "/v1/accounts/alice/grants", grant_of(R"("valid_for":"P1.5D")"), 400, "invalid_request"),
        post("valid_for in lower case", "/v1/accounts/alice/grants", grant_of(R"("valid_for":"p30d")"), 400, "invalid_request"),
        post("valid_for over 100 years", "/v1/accounts/alice/grants", grant_of(R"("valid_for":"P101Y")"), 400, "invalid_request"),
        post("valid_for of 10 digits", "/v1/accounts/alice/grants", grant_of(R"("valid_for":"P9999999999D")"), 400, "invalid_request"),
        post("valid_for mixing months and days", "/v1/accounts/alice/grants", grant_of(R"("valid_for":"P1M1D")"), 400, "invalid_request"),
        post("valid_for 'never'", "/v1/accounts/alice/grants", grant_of(R"("valid_for":"never")"), 400, "invalid_request"),
        post("hold ttl_s 0", "/v1/holds", R"({"account":"alice","amount":"1","ttl_s":0})", 400, "invalid_request"),
        post("hold ttl_s -1", "/v1/holds", R"({"account":"alice","amount":"1","ttl_s":-1})", 400, "invalid_request"),
        post("hold ttl_s over a day", "/v1/holds", R"({"account":"alice","amount":"1","ttl_s":86401})", 400, "invalid_request"),
        post("hold ttl_s of INT64_MAX", "/v1/holds", R"({"account":"alice","amount":"1","ttl_s":9223372036854775807})", 400, "invalid_request"),
        post("token ttl_s under a minute", "/v1/accounts/alice/tokens", R"({"ttl_s":59})", 400, "invalid_request"),
        post("token ttl_s over 30 days", "/v1/accounts/alice/tokens", R"({"ttl_s":2592001})", 400, "invalid_request"),
        post("token ttl_s negative", "/v1/accounts/alice/tokens", R"({"ttl_s":-3600})", 400, "invalid_request"),
        post("token ttl_s of UINT64_MAX", "/v1/accounts/alice/tokens", R"({"ttl_s":18446744073709551615})", 400, "invalid_request"),
        post("token for an unknown account", "/v1/accounts/nobody/tokens", "{}", 404, "not_found"),
        post("clock: back in time", "/v1/admin/clock", R"({"now":"2020-01-01T00:00:00Z"})", 400, "invalid_request"),
        post("clock: not a time", "/v1/admin/clock", R"({"now":"soon"})", 400, "invalid_request"),
        post("clock: null", "/v1/admin/clock", R"({"now":null})", 400, "invalid_request"),
        get("as_of not a time", "/v1/accounts/alice/balance?as_of=yesterday", 400, "invalid_request"),
        get("as_of in month 13", "/v1/accounts/alice/balance?as_of=2027-13-01T00:00:00Z", 400, "invalid_request"),
        get("as_of empty", "/v1/accounts/alice/balance?as_of=", 400, "invalid_request"),
        get("as_of a date only", "/v1/accounts/alice/balance?as_of=2027-01-01", 400, "invalid_request"),
        get("as_of as seconds", "/v1/accounts/alice/balance?as_of=1800000000", 400, "invalid_request"),
        get("limit 0", "/v1/accounts/alice/entries?limit=0", 400, "invalid_request"),
        get("limit 1001", "/v1/accounts/alice/entries?limit=1001", 400, "invalid_request"),
        get("limit -1", "/v1/accounts/alice/entries?limit=-1", 400, "invalid_request"),
        get("limit empty", "/v1/accounts/alice/entries?limit=", 400, "invalid_request"),
        get("limit not a number", "/v1/accounts/alice/entries?limit=ten", 400, "invalid_request"),
        get("limit of 20 digits", "/v1/accounts/alice/entries?limit=99999999999999999999", 400, "invalid_request"),
        get("after -1", "/v1/accounts/alice/entries?after=-1", 400, "invalid_request"),
        get("after not a number", "/v1/accounts/alice/entries?after=abc", 400, "invalid_request"),
        get("after with a leading 0", "/v1/accounts/alice/entries?after=01", 400, "invalid_request"),
        get("after over 2^64", "/v1/accounts/alice/entries?after=18446744073709551616", 400, "invalid_request"),

        // --- Bad, expired and other accounts' credentials ---
        get("no credential", "/v1/accounts/alice", 401, "unauthorized").as(Who::none),
        get("a key the server never issued", "/v1/accounts/alice", 401, "unauthorized").as(Who::wrong_key),
        get("Basic instead of Bearer", "/v1/accounts/alice", 401, "unauthorized").as(Who::basic),
        get("an empty bearer", "/v1/accounts/alice", 401, "unauthorized").as(Who::empty_bearer),
        get("a forged token", "/v1/accounts/alice", 401, "unauthorized").as(Who::forged_token),
        get("a signature over another account", "/v1/accounts/bob", 401, "unauthorized").as(Who::swapped_token),
        get("an expired token", "/v1/accounts/alice", 401, "unauthorized").as(Who::expired_token).with_detail("expired"),
        get("an expired token on entries", "/v1/accounts/alice/entries", 401, "unauthorized").as(Who::expired_token),
        post("no credential on a spend", "/v1/spends", spend_of(R"("1")"), 401, "unauthorized").as(Who::none),
        post("an expired token on a batch", "/v1/batch", R"({"requests":[{"method":"GET","path":"/v1/accounts/alice"}]})", 401, "unauthorized").as(Who::expired_token),
        get("another account's token", "/v1/accounts/alice", 403, "forbidden").as(Who::other_token),
        get("another account's token on entries", "/v1/accounts/alice/entries", 403, "forbidden").as(Who::other_token),
        get("another account's token on balance", "/v1/accounts/alice/balance?as_of=2027-01-04T10:00:00Z", 403, "forbidden").as(Who::other_token),
        get("another account's token, escaped path", "/v1/accounts/%61lice", 403, "forbidden").as(Who::other_token),
        get("a token on a hold", "/v1/holds/{hold}", 403, "forbidden").as(Who::own_token),
        post("a token spending", "/v1/spends", spend_of(R"("1")"), 403, "forbidden").as(Who::own_token),
        post("a token granting", "/v1/accounts/alice/grants", R"({"amount":"1","reason":"r"})", 403, "forbidden").as(Who::own_token),
        post("a token minting tokens", "/v1/accounts/alice/tokens", "{}", 403, "forbidden").as(Who::own_token),
        post("a token opening an account", "/v1/accounts", R"({"id":"new-4"})", 403, "forbidden").as(Who::own_token),
        post("a service key granting", "/v1/accounts/alice/grants", R"({"amount":"1","reason":"r"})", 403, "forbidden").as(Who::service),
        post("a service key voiding a lot", "/v1/lots/{lot}/void", R"({"reason":"r"})", 403, "forbidden").as(Who::service),
        post("a service key voiding a purchase", "/v1/purchases/{purchase}/void", R"({"reason":"r"})", 403, "forbidden").as(Who::service),
        post("a service key making a key", "/v1/keys", R"({"name":"x","scope":"admin"})", 403, "forbidden").as(Who::service),
        post("a service key moving the clock", "/v1/admin/clock", R"({"now":"2030-01-01T00:00:00Z"})", 403, "forbidden").as(Who::service),
        get("a service key listing keys", "/v1/keys", 403, "forbidden").as(Who::service),
        del("a service key revoking a key", "/v1/keys/admin", 403, "forbidden").as(Who::service),
        post("a service key rotating the admin key", "/v1/keys/admin/rotate", R"({"overlap_s":0})", 403, "forbidden").as(Who::service),
        get("a token listing keys", "/v1/keys", 403, "forbidden").as(Who::own_token),
        post("a token revoking its account's tokens", "/v1/accounts/alice/tokens/revoke", R"({"all":true})", 403, "forbidden").as(Who::own_token),
        post("a service key in a batch revoking the admin key", "/v1/batch", R"({"requests":[{"method":"DELETE","path":"/v1/keys/admin"}]})", 200, "").as(Who::service).inner(403, "forbidden"),
        post("a service key in a batch rotating the admin key", "/v1/batch", R"({"requests":[{"method":"POST","path":"/v1/keys/admin/rotate","body":{"overlap_s":0}}]})", 200, "").as(Who::service).inner(403, "forbidden"),
        post("a token in a batch reads another account", "/v1/batch", R"({"requests":[{"method":"GET","path":"/v1/accounts/bob"}]})", 200, "").as(Who::own_token).inner(403, "forbidden"),
        post("a token in a batch spends", "/v1/batch", R"({"requests":[{"method":"POST","path":"/v1/spends","idempotency_key":"b-1","body":{"account":"alice","amount":"1"}}]})", 200, "").as(Who::own_token).inner(403, "forbidden"),

        // --- Content types ---
        post("text/plain", "/v1/spends", spend_of(R"("1")"), 415, "unsupported_media_type").type_header("text/plain"),
        post("no Content-Type", "/v1/spends", spend_of(R"("1")"), 415, "unsupported_media_type").type_header(std::nullopt),
        post("an empty Content-Type", "/v1/spends", spend_of(R"("1")"), 415, "unsupported_media_type").type_header(""),
        post("a form", "/v1/accounts/alice/grants", "amount=1&reason=r", 415, "unsupported_media_type").type_header("application/x-www-form-urlencoded"),
        post("multipart", "/v1/spends", spend_of(R"("1")"), 415, "unsupported_media_type").type_header("multipart/form-data; boundary=x"),
        post("text/json", "/v1/spends", spend_of(R"("1")"), 415, "unsupported_media_type").type_header("text/json"),
        post("application/jsonp", "/v1/spends", spend_of(R"("1")"), 415, "unsupported_media_type").type_header("application/jsonp"),
        post("application/json-patch+json", "/v1/spends", spend_of(R"("1")"), 415, "unsupported_media_type").type_header("application/json-patch+json"),
        put("text/plain on a PUT", "/v1/accounts/alice/subscription", R"({"plan":"plus"})", 415, "unsupported_media_type").type_header("text/plain"),
        post("text/plain on a batch", "/v1/batch", R"({"requests":[{"method":"GET","path":"/healthz"}]})", 415, "unsupported_media_type").type_header("text/plain"),
        post("text/plain on a quote", "/v1/quotes", R"({"tool":"upscale"})", 415, "unsupported_media_type").type_header("text/plain"),
        post("JSON with a charset is fine", "/v1/quotes", R"({"tool":"upscale"})", 200, "").type_header("Application/JSON; charset=UTF-8"),
        post("an empty body needs no Content-Type", "/v1/spends", "", 400, "invalid_request").type_header(std::nullopt).with_detail("'account' is required"),

        // --- Batches ---
        post("batch: requests not an array", "/v1/batch", R"({"requests":{}})", 400, "invalid_request"),
        post("batch: no requests", "/v1/batch", R"({"requests":[]})", 400, "invalid_request"),
        post("batch: 1001 requests", "/v1/batch", R"({"requests":[)" + repeat(R"({"method":"GET","path":"/healthz"},)", 1000) + R"({"method":"GET","path":"/healthz"}]})", 400, "invalid_request"),
        post("batch: an item not an object", "/v1/batch", R"({"requests":["GET /healthz"]})", 400, "invalid_request"),
        post("batch: an item without a path", "/v1/batch", R"({"requests":[{"method":"GET"}]})", 400, "invalid_request"),
        post("batch: a method of 9 bytes", "/v1/batch", R"({"requests":[{"method":"GETGETGET","path":"/healthz"}]})", 400, "invalid_request"),
        post("batch: a body that is an array", "/v1/batch", R"({"requests":[{"method":"POST","path":"/v1/spends","body":[]}]})", 400, "invalid_request"),
        post("batch: a batch in a batch", "/v1/batch", R"({"requests":[{"method":"POST","path":"/v1/batch","body":{"requests":[]}}]})", 400, "invalid_request"),
        post("batch: a path over 4096 bytes", "/v1/batch", R"({"requests":[{"method":"GET","path":"/)" + std::string(4100, 'a') + R"("}]})", 400, "invalid_request"),
        post("batch: a bad amount inside", "/v1/batch", R"({"requests":[{"method":"POST","path":"/v1/spends","idempotency_key":"b-2","body":{"account":"alice","amount":1.5}}]})", 200, "").inner(400, "invalid_request"),
        post("batch: a bad key inside", "/v1/batch", R"({"requests":[{"method":"POST","path":"/v1/spends","idempotency_key":"a b","body":{"account":"alice","amount":"1"}}]})", 200, "").inner(400, "invalid_request"),
        post("batch: no key inside", "/v1/batch", R"({"requests":[{"method":"POST","path":"/v1/spends","body":{"account":"alice","amount":"1"}}]})", 200, "").inner(400, "idempotency_key_missing"),
        post("batch: a path without a slash", "/v1/batch", R"({"requests":[{"method":"GET","path":"v1/accounts/alice"}]})", 200, "").inner(400, "invalid_request"),
        post("batch: a path trick inside", "/v1/batch", R"({"requests":[{"method":"GET","path":"/v1/accounts/a%2Fb"}]})", 200, "").inner(400, "invalid_request"),
        post("batch: an unknown tool inside", "/v1/batch", R"({"requests":[{"method":"POST","path":"/v1/holds","idempotency_key":"b-3","body":{"account":"alice","tool":"teleport"}}]})", 200, "").inner(400, "unknown_tool"),
        post("batch: an unknown method inside", "/v1/batch", R"({"requests":[{"method":"PATCH","path":"/v1/spends"}]})", 200, "").inner(405, "method_not_allowed"),
        post("batch: an unknown path inside", "/v1/batch", R"({"requests":[{"method":"GET","path":"/v1/nowhere"}]})", 200, "").inner(404, "not_found"),

        // --- Times past what RFC 3339 can write (issue 13): every time the server writes reads back ---
        post("grant: valid_for ending after year 9999", "/v1/accounts/alice/grants", grant_of(R"("effective_at":"9999-12-31T00:00:00Z","valid_for":"P1Y")"), 400, "invalid_request").with_detail("valid_for from effective_at 9999-12-31T00:00:00Z ends at or after 9999-12-31T23:59:59.999999Z"),
        post("grant: the default validity ending after year 9999", "/v1/accounts/alice/grants", grant_of(R"("effective_at":"9999-12-31T00:00:00Z")"), 400, "invalid_request").with_detail("9999-12-31T23:59:59.999999Z"),
        post("expires_at past year 9999 by its offset", "/v1/accounts/alice/grants", grant_of(R"("expires_at":"9999-12-31T23:59:59-01:00")"), 400, "invalid_request").with_detail("9999-12-31T23:59:59.999999Z"),
        post("effective_at past year 9999 by its offset", "/v1/accounts/alice/grants", grant_of(R"("effective_at":"9999-12-31T23:00:00-02:00","never_expires":true)"), 400, "invalid_request"),
        get("as_of past year 9999 by its offset", "/v1/accounts/alice/balance?as_of=9999-12-31T23:59:59-01:00", 400, "invalid_request"),
        post("clock: at the last time RFC 3339 can write", "/v1/admin/clock", R"({"now":"9999-12-31T23:59:59.999999Z"})", 400, "invalid_request").with_detail("'now' must be before 9999-12-31T23:59:59.999999Z"),
        post("clock: past year 9999 by its offset", "/v1/admin/clock", R"({"now":"9999-12-31T23:59:59-01:00"})", 400, "invalid_request"),

        // --- Configuration reload (issue 21): only the admin key, no body but {}, never in a batch ---
        post("reload: an unknown field", "/v1/admin/reload", R"({"force":true})", 400, "invalid_request").with_detail("unknown field 'force'"),
        post("reload: not JSON", "/v1/admin/reload", "reload please", 400, "invalid_request"),
        post("reload: an array", "/v1/admin/reload", "[]", 400, "invalid_request"),
        post("reload: text/plain", "/v1/admin/reload", "{}", 415, "unsupported_media_type").type_header("text/plain"),
        post("reload: a service key", "/v1/admin/reload", "{}", 403, "forbidden").as(Who::service),
        post("reload: an end-user token", "/v1/admin/reload", "{}", 403, "forbidden").as(Who::own_token),
        post("reload: no credential", "/v1/admin/reload", "{}", 401, "unauthorized").as(Who::none),
        post("reload: a key the server never issued", "/v1/admin/reload", "{}", 401, "unauthorized").as(Who::wrong_key),
        get("reload: GET", "/v1/admin/reload", 405, "method_not_allowed"),
        del("reload: DELETE", "/v1/admin/reload", 405, "method_not_allowed"),
        post("reload: inside a batch", "/v1/batch", R"({"requests":[{"method":"POST","path":"/v1/admin/reload"}]})", 200, "").inner(400, "invalid_request"),
        post("reload: a service key inside a batch", "/v1/batch", R"({"requests":[{"method":"POST","path":"/v1/admin/reload","body":{}}]})", 200, "").as(Who::service).inner(403, "forbidden"),
    };
    return c;
  }();
  return k_cases;
}

class BadInput : public ::testing::Test {
 protected:
  static void SetUpTestSuite();
  static void TearDownTestSuite() {
    EXPECT_EQ(server_->stop(), 0);  // graceful: exit 0, so no sanitizer report either
    delete server_;
    server_ = nullptr;
  }

  static HttpReply admin(const std::string& method, const std::string& path,
                         const std::string& body = "", const std::string& key = "") {
    HttpClient c(server_->port());
    std::vector<std::pair<std::string, std::string>> h = {bearer(server_->admin_key())};
    if (!key.empty()) h.emplace_back("Idempotency-Key", key);
    return c.send(method, path, body, h);
  }
  static std::string must(const HttpReply& r, const char* field) {
    const auto j = r.json();
    EXPECT_TRUE(j.IsObject() && j.HasMember(field) && j[field].IsString()) << r.body;
    return j.IsObject() && j.HasMember(field) && j[field].IsString() ? j[field].GetString() : "";
  }
  // The Prometheus lines whose names start with `prefix`, as one string.
  static std::string metric_lines(const std::string& prefix) {
    HttpClient c(server_->port());
    const HttpReply m = c.send("GET", "/metrics");
    EXPECT_EQ(m.status, 200);
    std::string out;
    size_t at = 0;
    while (at < m.body.size()) {
      size_t end = m.body.find('\n', at);
      if (end == std::string::npos) end = m.body.size();
      const std::string line = m.body.substr(at, end - at);
      if (line.rfind(prefix, 0) == 0) out += line + "\n";
      at = end + 1;
    }
    return out;
  }
  static uint64_t metric(const std::string& name) {
    const std::string line = metric_lines(name + " ");
    return line.empty() ? 0 : std::stoull(line.substr(name.size() + 1));
  }
  // Everything a bad request must not change: each account as read, its whole journal, and
  // the commits of every shard (a refused request that wrote an idempotency record, or
  // anything else, commits a batch).
  static std::string state() {
    std::string out;
    for (const char* id : {"alice", "bob"}) {
      out += admin("GET", std::string("/v1/accounts/") + id).body + "\n";
      out += admin("GET", std::string("/v1/accounts/") + id + "/entries?limit=1000").body + "\n";
    }
    return out;
  }
  static std::string commits() { return metric_lines("tally_batches_total"); }
  static std::string problem_type(const HttpReply& r) {
    rapidjson::Document j;
    j.Parse(r.body.c_str(), r.body.size());
    if (j.HasParseError() || !j.IsObject() || !j.HasMember("type") || !j["type"].IsString()) {
      return "(no type in '" + r.body.substr(0, 200) + "')";
    }
    return j["type"].GetString();
  }
  // A problem as docs/api.md says: problem+json with type, title, status and detail.
  static void expect_problem(const HttpReply& r, int status, const std::string& type) {
    EXPECT_EQ(r.status, status) << r.body;
    EXPECT_EQ(r.headers.count("content-type") ? r.headers.at("content-type") : "",
              "application/problem+json");
    rapidjson::Document j;
    j.Parse(r.body.c_str(), r.body.size());
    ASSERT_FALSE(j.HasParseError()) << r.body;
    ASSERT_TRUE(j.IsObject()) << r.body;
    EXPECT_EQ(problem_type(r), type) << r.body;
    EXPECT_TRUE(j.HasMember("title") && j["title"].IsString()) << r.body;
    EXPECT_TRUE(j.HasMember("status") && j["status"].IsInt() && j["status"].GetInt() == r.status)
        << r.body;
    EXPECT_TRUE(j.HasMember("detail") && j["detail"].IsString()) << r.body;
    // Every problem names its request, as its X-Request-Id header does (issue 21).
    EXPECT_TRUE(j.HasMember("request_id") && j["request_id"].IsString()) << r.body;
    if (j.HasMember("request_id") && j["request_id"].IsString()) {
      EXPECT_EQ(r.headers.count("x-request-id") ? r.headers.at("x-request-id") : "",
                j["request_id"].GetString());
    }
  }

  static std::string expand(std::string s) {
    for (const auto& [name, value] : vars_) {
      for (size_t at; (at = s.find(name)) != std::string::npos;) s.replace(at, name.size(), value);
    }
    return s;
  }
  static std::string authorization(Who who);
  static std::string request_bytes(const Case& c, size_t index);

  static ServerProcess* server_;
  static std::map<std::string, std::string> vars_;   // placeholders: {hold}, ...
  static std::map<Who, std::string> secrets_;
};
ServerProcess* BadInput::server_ = nullptr;
std::map<std::string, std::string> BadInput::vars_;
std::map<Who, std::string> BadInput::secrets_;

void BadInput::SetUpTestSuite() {
  server_ = new ServerProcess();
  // A fixed time: every run sees the same calendar (the ledger's time never goes back).
  ASSERT_EQ(admin("POST", "/v1/admin/clock", R"({"now":"2027-01-04T10:00:00Z"})").status, 200);
  for (const char* id : {"alice", "bob"}) {
    auto r = admin("POST", "/v1/accounts", std::string(R"({"id":")") + id + "\"}", std::string("open-") + id);
    ASSERT_EQ(r.status, 201) << r.body;
  }
  auto g = admin("POST", "/v1/accounts/alice/grants", R"({"amount":"100","reason":"setup"})", "setup-grant");
  ASSERT_EQ(g.status, 201) << g.body;
  vars_["{lot}"] = must(g, "id");
  auto h = admin("POST", "/v1/holds", R"({"account":"alice","amount":"5","ttl_s":86400})", "setup-hold");
  ASSERT_EQ(h.status, 201) << h.body;
  vars_["{hold}"] = must(h, "id");
  auto th = admin("POST", "/v1/holds",
                  R"({"account":"alice","tool":"video","params":{"resolution":"720p","seconds":2},"ttl_s":86400})",
                  "setup-tool-hold");
  ASSERT_EQ(th.status, 201) << th.body;
  vars_["{tool_hold}"] = must(th, "id");
  auto s = admin("POST", "/v1/spends", R"({"account":"alice","amount":"3"})", "setup-spend");
  ASSERT_EQ(s.status, 201) << s.body;
  vars_["{spend}"] = must(s, "id");
  auto p = admin("POST", "/v1/purchases",
                 R"({"account":"bob","pack":"small","currency":"USD","payment_ref":"setup-pay"})");
  ASSERT_EQ(p.status, 201) << p.body;
  vars_["{purchase}"] = must(p, "id");
  auto k = admin("POST", "/v1/keys", R"({"name":"backend"})");
  ASSERT_EQ(k.status, 201) << k.body;
  secrets_[Who::service] = must(k, "key");
  // Expired: issued for a minute, then the clock moves two.
  auto e = admin("POST", "/v1/accounts/alice/tokens", R"({"ttl_s":60})");
  ASSERT_EQ(e.status, 201) << e.body;
  secrets_[Who::expired_token] = must(e, "token");
  ASSERT_EQ(admin("POST", "/v1/admin/clock", R"({"now":"2027-01-04T10:02:00Z"})").status, 200);
  auto a = admin("POST", "/v1/accounts/alice/tokens", R"({"ttl_s":86400})");
  ASSERT_EQ(a.status, 201) << a.body;
  const std::string alice = must(a, "token");
  auto b = admin("POST", "/v1/accounts/bob/tokens", R"({"ttl_s":86400})");
  ASSERT_EQ(b.status, 201) << b.body;
  const std::string bob = must(b, "token");
  secrets_[Who::admin] = server_->admin_key();
  secrets_[Who::own_token] = alice;
  secrets_[Who::other_token] = bob;
  std::string forged = alice;
  forged.back() = forged.back() == '0' ? '1' : '0';
  secrets_[Who::forged_token] = forged;
  // v2.<expires_s>.<issued_us>.<id>.<hex account>.<hex hmac>: bob's account under alice's
  // signature.
  auto fields = [](const std::string& t) {
    std::vector<std::string> out;
    for (size_t at = 0;;) {
      const size_t dot = t.find('.', at);
      out.push_back(t.substr(at, dot - at));
      if (dot == std::string::npos) return out;
      at = dot + 1;
    }
  };
  auto swapped = fields(alice);
  ASSERT_EQ(swapped.size(), 6u) << alice;
  swapped[4] = fields(bob).at(4);
  std::string joined;
  for (const std::string& f : swapped) joined += (joined.empty() ? "" : ".") + f;
  secrets_[Who::swapped_token] = joined;
  secrets_[Who::wrong_key] = "tk_svc_000000000000000000000000000000000000000000000000";
}

std::string BadInput::authorization(Who who) {
  switch (who) {
    case Who::none: return "";
    case Who::empty_bearer: return "Bearer ";
    case Who::basic: return "Basic YWRtaW46YWRtaW4=";
    default: return "Bearer " + secrets_.at(who);
  }
}

std::string BadInput::request_bytes(const Case& c, size_t index) {
  const std::string body = expand(c.body);
  std::string req = c.method + " " + expand(c.path) + " HTTP/1.1\r\nHost: 127.0.0.1:" +
                    std::to_string(server_->port()) + "\r\n";
  if (const std::string a = authorization(c.who); !a.empty()) req += "Authorization: " + a + "\r\n";
  if (c.content_type) req += "Content-Type: " + *c.content_type + "\r\n";
  if (c.send_key) req += "Idempotency-Key: " + c.key.value_or("bad-" + std::to_string(index)) + "\r\n";
  if (!body.empty() || c.method != "GET") {
    req += "Content-Length: " + std::to_string(body.size()) + "\r\n";
  }
  return req + "\r\n" + body;
}

// A short, readable name of what a reply was.
std::string summary(const HttpReply& r) {
  return std::to_string(r.status) + " " + r.body.substr(0, 300);
}

TEST_F(BadInput, EachCaseGetsItsProblemAndNothingIsWritten) {
  const std::string before = state();
  std::string last_commits = commits();
  HttpClient client(server_->port());  // reused until the server closes it
  size_t index = 0;
  for (const Case& c : cases()) {
    ++index;
    SCOPED_TRACE("case " + std::to_string(index) + ": " + c.name);
    const HttpReply r = client.raw(request_bytes(c, index));
    const std::string now_commits = commits();
    const bool wrote = now_commits != last_commits;
    last_commits = now_commits;
    EXPECT_FALSE(wrote) << "a commit: this bad request wrote something; got " << summary(r);
    if (c.status < 400) {
      EXPECT_EQ(r.status, c.status) << summary(r);
      EXPECT_EQ(r.headers.count("content-type") ? r.headers.at("content-type") : "", "application/json");
      if (c.inner_status != 0 && r.status == 200) {
        const auto j = r.json();
        ASSERT_TRUE(j.HasMember("responses") && j["responses"].Size() == 1) << r.body;
        const auto& a = j["responses"][0];
        EXPECT_EQ(a["status"].GetInt(), c.inner_status) << r.body;
        EXPECT_TRUE(a["body"].IsObject() && a["body"].HasMember("type") &&
                    a["body"]["type"].GetString() == c.inner_type)
            << r.body;
        // An item's problem names the batch's request.
        EXPECT_TRUE(a["body"].IsObject() && a["body"].HasMember("request_id") &&
                    r.headers.count("x-request-id") &&
                    a["body"]["request_id"].GetString() == r.headers.at("x-request-id"))
            << r.body;
      }
      continue;
    }
    expect_problem(r, c.status, c.type);
    if (!c.detail.empty()) {
      EXPECT_NE(r.body.find(c.detail), std::string::npos) << r.body;
    }
    if (r.status == 401) {
      EXPECT_EQ(r.headers.count("www-authenticate") ? r.headers.at("www-authenticate") : "", "Bearer");
    }
    if (r.status == 405) {
      EXPECT_FALSE(r.headers.count("allow") == 0 || r.headers.at("allow").empty());
    }
  }
  std::printf("  %zu cases\n", index);
  // Nothing was written: every account and journal as before, and no commit on any shard.
  EXPECT_EQ(state(), before);
  EXPECT_EQ(last_commits, commits());
  // And the server still serves.
  EXPECT_EQ(admin("GET", "/healthz").status, 200);
}

// Requests that are not HTTP the server can read: refused by the transport (400, 413, 431) and
// the connection closed, or dropped unanswered when the client leaves before finishing.
struct RawCase {
  std::string name;
  std::string bytes;
  int status;
  std::string type;
  bool closes;  // the server closes the connection after answering
};

TEST_F(BadInput, BrokenAndOversizedRequestsAreRefusedAndTheConnectionCloses) {
  const std::string before = state();
  const std::string last_commits = commits();
  const uint64_t too_large_before = metric("tally_http_refused_too_large_total");
  const std::string auth = "Authorization: Bearer " + server_->admin_key() + "\r\n";
  const std::string head = "POST /v1/spends HTTP/1.1\r\nHost: x\r\n" + auth +
                           "Content-Type: application/json\r\nIdempotency-Key: raw-1\r\n";
  const std::string spend = R"({"account":"alice","amount":"1.5x"})";  // refused if read
  std::string exact = spend;
  exact.resize(1 << 20, ' ');  // trailing white space: still one JSON document
  std::string over = exact + " ";
  std::string chunked;
  for (int i = 0; i < 17; ++i) chunked += "10000\r\n" + std::string(0x10000, ' ') + "\r\n";
  const std::vector<RawCase> raw_cases = {
      {"a body of exactly 1 MiB is read", head + "Content-Length: 1048576\r\n\r\n" + exact, 400, "invalid_request", false},
      {"a body of 1 MiB + 1", head + "Content-Length: 1048577\r\n\r\n" + over, 413, "payload_too_large", true},
      {"a declared length over 1 MiB, no body sent", head + "Content-Length: 2097152\r\n\r\n", 413, "payload_too_large", true},
      {"a chunked body over 1 MiB", head + "Transfer-Encoding: chunked\r\n\r\n" + chunked, 413, "payload_too_large", true},
      {"a Content-Length of 25 digits", head + "Content-Length: 9999999999999999999999999\r\n\r\n", 400, "invalid_request", true},
      {"a negative Content-Length", head + "Content-Length: -1\r\n\r\n", 400, "invalid_request", true},
      {"two different Content-Lengths", head + "Content-Length: 5\r\nContent-Length: 6\r\n\r\n{}", 400, "invalid_request", true},
      {"Content-Length and chunked", head + "Content-Length: 4\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n", 400, "invalid_request", true},
      {"a bad chunk size", head + "Transfer-Encoding: chunked\r\n\r\nzz\r\n{}\r\n0\r\n\r\n", 400, "invalid_request", true},
      {"headers over 16 KiB", "GET /healthz HTTP/1.1\r\nHost: x\r\nX-Pad: " + std::string(20000, 'a') + "\r\n\r\n", 431, "invalid_request", true},
      {"a request line over 16 KiB", "GET /v1/accounts/" + std::string(20000, 'a') + " HTTP/1.1\r\nHost: x\r\n\r\n", 431, "invalid_request", true},
      {"not HTTP", "GARBAGE\r\n\r\n", 400, "invalid_request", true},
      {"HTTP/9.9", "GET /healthz HTTP/9.9\r\nHost: x\r\n\r\n", 400, "invalid_request", true},
      {"a NUL in the request line", "GET /heal" + std::string(1, '\0') + "thz HTTP/1.1\r\nHost: x\r\n\r\n", 400, "invalid_request", true},
      {"a space in the target", "GET /v1/accounts/a b HTTP/1.1\r\nHost: x\r\n\r\n", 400, "invalid_request", true},
      {"a raw 0xFF in the target", "GET /v1/accounts/alice\xff HTTP/1.1\r\n" + auth + "Host: x\r\n\r\n", 400, "invalid_request", false},  // HTTP allows it; not an id
      {"a header without a colon", "GET /healthz HTTP/1.1\r\nHost x\r\n\r\n", 400, "invalid_request", true},
      {"a header name with a space", "GET /healthz HTTP/1.1\r\nHost: x\r\nBad Header: 1\r\n\r\n", 400, "invalid_request", true},
  };
  for (const RawCase& c : raw_cases) {
    SCOPED_TRACE(c.name);
    HttpClient client(server_->port());
    const HttpReply r = client.raw(c.bytes);
    expect_problem(r, c.status, c.type);
    if (c.closes) {
      EXPECT_EQ(r.headers.count("connection") ? r.headers.at("connection") : "", "close");
      EXPECT_TRUE(client.wait_closed(10'000)) << "the connection stayed open";
    } else {
      EXPECT_TRUE(client.connected());
    }
  }
  EXPECT_EQ(metric("tally_http_refused_too_large_total"), too_large_before + 3);

  // A Content-Length shorter than the body: the rest is read as the next request.
  {
    HttpClient client(server_->port());
    const HttpReply first = client.raw(head + "Content-Length: 10\r\n\r\n" + spend + "\r\n\r\n");
    expect_problem(first, 400, "invalid_request");  // '{"account"' is not JSON
    const HttpReply second = client.receive(10'000);
    expect_problem(second, 400, "invalid_request");  // ':"alice",...' is not HTTP
  }
  EXPECT_EQ(state(), before);
  EXPECT_EQ(commits(), last_commits);
}

TEST_F(BadInput, TruncatedRequestsAreDroppedUnansweredAndNothingIsWritten) {
  const std::string before = state();
  const std::string last_commits = commits();
  const std::string head = "POST /v1/spends HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " +
                           server_->admin_key() +
                           "\r\nContent-Type: application/json\r\nIdempotency-Key: trunc-";
  const std::string spend = R"({"account":"alice","amount":"1"})";  // a valid spend, if whole
  {  // The body is 32 of the 100 bytes announced; the client half-closes: nobody to answer.
    HttpClient c(server_->port());
    ASSERT_TRUE(c.send_only(head + "1\r\nContent-Length: 100\r\n\r\n" + spend));
    c.shutdown_send();
    std::string received;
    EXPECT_TRUE(c.wait_closed(10'000, &received)) << "still open";
    EXPECT_EQ(received, "");
  }
  {  // The headers stop half-way.
    HttpClient c(server_->port());
    ASSERT_TRUE(c.send_only("POST /v1/spends HTTP/1.1\r\nHost: x\r\nContent-Le"));
    c.shutdown_send();
    std::string received;
    EXPECT_TRUE(c.wait_closed(10'000, &received)) << "still open";
    EXPECT_EQ(received, "");
  }
  {  // The client goes away altogether in the middle of the body.
    HttpClient c(server_->port());
    ASSERT_TRUE(c.send_only(head + "2\r\nContent-Length: 100\r\n\r\n" + spend));
  }
  {  // The body is whole but the JSON is cut.
    HttpClient c(server_->port());
    const std::string cut = spend.substr(0, 20);
    const HttpReply r = c.raw(head + "3\r\nContent-Length: " + std::to_string(cut.size()) + "\r\n\r\n" + cut);
    expect_problem(r, 400, "invalid_request");
  }
  // The server still serves, and none of the spends was applied.
  EXPECT_EQ(admin("GET", "/v1/accounts/alice").status, 200);
  EXPECT_EQ(state(), before);
  EXPECT_EQ(commits(), last_commits);
}

// Slowloris: one client dribbles its headers a byte at a time, one sends its headers and then
// its body too slowly, one connects and sends nothing. The server's read timeout (15 s for a
// whole request, src/server/http_server.cc) closes each without an answer (it sends no 408),
// and meanwhile other clients are answered as usual.
TEST_F(BadInput, SlowClientsAreCutOffWhileOthersAreServed) {
  const std::string before = state();
  const uint64_t timeouts_before = metric("tally_http_timeouts_total");
  const int port = server_->port();
  HttpClient slow_body(port), idle(port);
  ASSERT_TRUE(slow_body.connected() && idle.connected());
  ASSERT_TRUE(slow_body.send_only(
      "POST /v1/spends HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " + server_->admin_key() +
      "\r\nContent-Type: application/json\r\nIdempotency-Key: slow-1\r\nContent-Length: 32\r\n\r\n{"));
  std::atomic<bool> loris_closed{false};
  std::string loris_received;
  std::thread loris([&] {
    HttpClient c(port);
    const std::string bytes =
        "GET /v1/accounts/alice HTTP/1.1\r\nHost: x\r\nX-Slow: " + std::string(4000, 'a');
    // A byte every 200 ms, well within the header limit until the server gives up (at 15 s);
    // the bound of 40 s only keeps a broken server from hanging the test.
    for (size_t i = 0; i < bytes.size() && i < 200; ++i) {
      if (!c.send_only(bytes.substr(i, 1)) || c.wait_closed(200, &loris_received)) {
        loris_closed = true;
        return;
      }
    }
  });
  // Meanwhile, normal clients: a new connection each time and a kept-alive one, each answered
  // (the 10 s bound is a liveness check, not a timing).
  HttpClient kept(port);
  int served = 0;
  while (!loris_closed && served < 400) {
    HttpClient fresh(port);
    const HttpReply a = fresh.raw("GET /v1/accounts/alice HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " +
                                  server_->admin_key() + "\r\n\r\n");
    ASSERT_EQ(a.status, 200) << "a normal client was not answered while slow clients hung on";
    const HttpReply h = kept.send("GET", "/healthz");
    ASSERT_EQ(h.status, 200);
    ++served;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  loris.join();
  EXPECT_TRUE(loris_closed) << "the slowloris client was never cut off";
  EXPECT_EQ(loris_received, "");  // closed, not answered
  std::string received;
  EXPECT_TRUE(slow_body.wait_closed(30'000, &received)) << "the slow body was never cut off";
  EXPECT_EQ(received, "");
  EXPECT_TRUE(idle.wait_closed(30'000, &received)) << "the idle connection was never closed";
  EXPECT_EQ(received, "");
  EXPECT_GE(metric("tally_http_timeouts_total"), timeouts_before + 3);
  EXPECT_GT(served, 0);
  EXPECT_EQ(state(), before);
}

}  // namespace
}  // namespace tally::testing
