// The HTTP request decoder: a request line and a JSON body, through exactly what the server
// runs for them (parse_body, then the endpoint's decoder of src/server/api_decode.h), then the
// decoded command through a real ledger.
//
// Input: "METHOD /path\n" then the body. A first line that names no endpoint picks one by its
// hash (path ids "alice" and "1"), so every input reaches some decoder.
//
// Properties:
//  - parse_body accepts only objects nested at most 32 deep, without duplicate keys, whose
//    strings (keys too) are valid UTF-8; what it accepts writes back to JSON that it accepts
//    again as the same document. A refusal is a 400 invalid_request with a detail.
//  - a decoded request obeys docs/api.md: ids are 1 to 128 characters of the id alphabet, every
//    member of the body is a field the endpoint knows, the required ones are there, texts are
//    within their limits, amounts are the JSON amount exactly (decimal string or integer of
//    credits, at most 6 decimals, within int64 micro-credits), times and durations format back
//    to the same value, a grant has at most one expiry and never the refund source.
//  - decoding is deterministic: the same body gives a command with the same fingerprint.
//  - the ledger takes any decoded command: it is applied or refused with an error value
//    (never an assertion), and the invariants of DESIGN rule 9 hold after it.
#include <rapidjson/document.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <algorithm>
#include <cstdint>
#include <fstream>
#include <functional>
#include <iterator>
#include <set>
#include <sstream>
#include <string>
#include <string_view>
#include <vector>

#include "config/config.h"
#include "fuzz_check.h"
#include "ledger/ledger.h"
#include "server/api_decode.h"
#include "server/json.h"

namespace {

using namespace tally;
using namespace tally::server;

// --- parse_body ---

bool valid_utf8(std::string_view s) {
  size_t i = 0;
  while (i < s.size()) {
    const auto c = static_cast<unsigned char>(s[i]);
    int n = 0;
    uint32_t cp = 0;
    if (c < 0x80) {
      ++i;
      continue;
    } else if ((c & 0xE0) == 0xC0) {
      n = 1, cp = c & 0x1F;
    } else if ((c & 0xF0) == 0xE0) {
      n = 2, cp = c & 0x0F;
    } else if ((c & 0xF8) == 0xF0) {
      n = 3, cp = c & 0x07;
    } else {
      return false;
    }
    if (i + static_cast<size_t>(n) >= s.size()) return false;  // truncated
    for (int k = 1; k <= n; ++k) {
      const auto cc = static_cast<unsigned char>(s[i + k]);
      if ((cc & 0xC0) != 0x80) return false;
      cp = (cp << 6) | (cc & 0x3F);
    }
    static constexpr uint32_t k_min[] = {0, 0x80, 0x800, 0x10000};
    if (cp < k_min[n] || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return false;
    i += static_cast<size_t>(n) + 1;
  }
  return true;
}

std::string_view str(const rapidjson::Value& v) {
  return {v.GetString(), v.GetStringLength()};
}

// Depth (1 for a scalar inside the top object...), unique keys, UTF-8, checked on the DOM.
void check_document(const rapidjson::Value& v, int depth) {
  FUZZ_CHECK(depth <= k_json_depth_max, "nested at most k_json_depth_max deep");
  if (v.IsString()) FUZZ_CHECK(valid_utf8(str(v)), "strings are valid UTF-8");
  if (v.IsObject()) {
    std::set<std::string_view> names;
    for (auto m = v.MemberBegin(); m != v.MemberEnd(); ++m) {
      FUZZ_CHECK(valid_utf8(str(m->name)), "keys are valid UTF-8");
      FUZZ_CHECK(names.insert(str(m->name)).second, "no duplicate keys");
      check_document(m->value, depth + 1);
    }
  } else if (v.IsArray()) {
    for (const auto& e : v.GetArray()) check_document(e, depth + 1);
  }
}

// Equal documents; doubles only by type (RapidJSON's default number parsing is not exact, which
// is why amounts never travel as fractions).
bool same_json(const rapidjson::Value& a, const rapidjson::Value& b) {
  if (a.GetType() != b.GetType()) return false;
  if (a.IsNumber()) {
    if (a.IsDouble() || b.IsDouble()) return a.IsDouble() && b.IsDouble();
    if (a.IsInt64() && b.IsInt64()) return a.GetInt64() == b.GetInt64();
    return a.IsUint64() && b.IsUint64() && a.GetUint64() == b.GetUint64();
  }
  if (a.IsString()) return str(a) == str(b);
  if (a.IsArray()) {
    if (a.Size() != b.Size()) return false;
    for (rapidjson::SizeType i = 0; i < a.Size(); ++i) {
      if (!same_json(a[i], b[i])) return false;
    }
    return true;
  }
  if (a.IsObject()) {
    if (a.MemberCount() != b.MemberCount()) return false;
    for (auto m = a.MemberBegin(), n = b.MemberBegin(); m != a.MemberEnd(); ++m, ++n) {
      if (str(m->name) != str(n->name) || !same_json(m->value, n->value)) return false;
    }
    return true;
  }
  return a == b;  // null, true, false
}

bool check_parse_body(std::string_view body, rapidjson::Document* doc) {
  auto problem = parse_body(body, doc);
  if (problem) {
    FUZZ_CHECK(
        problem->status == 400 && problem->type == "invalid_request" && !problem->detail.empty(),
        "a refused body is a 400 invalid_request with a detail");
    return false;
  }
  FUZZ_CHECK(doc->IsObject(), "the body is an object");
  check_document(*doc, 0);
  rapidjson::StringBuffer b;
  rapidjson::Writer<rapidjson::StringBuffer> w(b);
  FUZZ_CHECK(doc->Accept(w), "an accepted body writes back");
  rapidjson::Document again;
  FUZZ_CHECK(!parse_body(std::string_view(b.GetString(), b.GetSize()), &again),
             "a body written back from an accepted one is accepted");
  FUZZ_CHECK(same_json(*doc, again), "and reads as the same document");
  return true;
}

// --- the decoded request against docs/api.md ---

struct Fields {
  std::vector<std::string_view> known;
  std::vector<std::string_view> required;
};

void check_fields(const rapidjson::Value& body, const Fields& f) {
  for (auto m = body.MemberBegin(); m != body.MemberEnd(); ++m) {
    FUZZ_CHECK(std::find(f.known.begin(), f.known.end(), str(m->name)) != f.known.end(),
               "every member of an accepted body is a known field");
  }
  for (std::string_view r : f.required) {
    auto m = body.FindMember(rapidjson::Value(rapidjson::StringRef(r.data(), r.size())));
    FUZZ_CHECK(m != body.MemberEnd() && !m->value.IsNull(), "required fields are present");
  }
}

const rapidjson::Value* member(const rapidjson::Value& body, std::string_view name) {
  auto m = body.FindMember(rapidjson::Value(rapidjson::StringRef(name.data(), name.size())));
  return m == body.MemberEnd() || m->value.IsNull() ? nullptr : &m->value;
}

bool api_id(std::string_view s) {
  return !s.empty() && s.size() <= 128 && s != "." && s != ".." &&
         std::all_of(s.begin(), s.end(), [](char c) { return is_id_char(c); });
}

void check_amount(const rapidjson::Value& body, std::string_view name,
                  std::optional<Credits> decoded) {
  const rapidjson::Value* v = member(body, name);
  FUZZ_CHECK(!!v == decoded.has_value(), "an amount is decoded iff it is given");
  if (!v) return;
  if (v->IsString()) {
    FUZZ_CHECK(parse_credits(str(*v)) == decoded, "a string amount is its decimal value");
    const size_t dot = str(*v).find('.');
    FUZZ_CHECK(dot == std::string_view::npos || v->GetStringLength() - dot - 1 <= 6,
               "amounts have at most 6 decimals");
  } else {
    FUZZ_CHECK(v->IsInt64(), "a non-string amount is a JSON integer");
    int64_t micro = 0;
    FUZZ_CHECK(!__builtin_mul_overflow(v->GetInt64(), k_micro_per_credit, &micro) &&
                   micro == decoded->micro,
               "an integer amount is whole credits, within int64 micro-credits");
  }
}

void check_text(const std::string& s, size_t max_bytes) {
  FUZZ_CHECK(s.size() <= max_bytes, "texts are within their limit");
}

void check_time_field(const rapidjson::Value& body, std::string_view name,
                      std::optional<TimeUs> t) {
  FUZZ_CHECK(!!member(body, name) == t.has_value(), "a time is decoded iff it is given");
  if (t) FUZZ_CHECK(parse_time(format_time(*t)) == t, "decoded times format back");
}

void check_params(const ParamList& p, const rapidjson::Value* json) {
  FUZZ_CHECK(p.values.size() * 2 == p.storage.size(), "params come in name/value pairs");
  FUZZ_CHECK(p.values.size() <= 2 * pricing::k_params_per_tool_max, "bounded params");
  FUZZ_CHECK(p.values.size() == (json ? json->MemberCount() : 0), "one value per member");
  for (size_t i = 0; i < p.values.size(); ++i) {
    FUZZ_CHECK(p.values[i].name.data() == p.storage[2 * i].data() &&
                   p.values[i].value.data() == p.storage[2 * i + 1].data(),
               "param views point into their own storage");
  }
}

// --- endpoints ---

enum class Endpoint {
  open_account,
  grant,
  set_plan,
  cancel,
  past_due,
  resume,
  daily,
  token,
  quote,
  hold,
  capture,
  release,
  spend,
  refund,
  purchase,
  void_purchase,
  void_lot,
  key,
  rotate_key,
  revoke_tokens,
  clock,
  batch
};

struct Route {
  const char* method;
  const char* pattern;
  Endpoint endpoint;
  bool object_id;  // the path's {} is a ledger id (parse_id), not an account id
};

constexpr Route k_routes[] = {
    {"POST", "/v1/accounts", Endpoint::open_account, false},
    {"POST", "/v1/accounts/{}/grants", Endpoint::grant, false},
    {"PUT", "/v1/accounts/{}/subscription", Endpoint::set_plan, false},
    {"DELETE", "/v1/accounts/{}/subscription", Endpoint::cancel, false},
    {"POST", "/v1/accounts/{}/subscription/past_due", Endpoint::past_due, false},
    {"POST", "/v1/accounts/{}/subscription/resume", Endpoint::resume, false},
    {"POST", "/v1/accounts/{}/rewards/daily", Endpoint::daily, false},
    {"POST", "/v1/accounts/{}/tokens", Endpoint::token, false},
    {"POST", "/v1/quotes", Endpoint::quote, false},
    {"POST", "/v1/holds", Endpoint::hold, false},
    {"POST", "/v1/holds/{}/capture", Endpoint::capture, true},
    {"POST", "/v1/holds/{}/release", Endpoint::release, true},
    {"POST", "/v1/spends", Endpoint::spend, false},
    {"POST", "/v1/spends/{}/refunds", Endpoint::refund, true},
    {"POST", "/v1/purchases", Endpoint::purchase, false},
    {"POST", "/v1/purchases/{}/void", Endpoint::void_purchase, true},
    {"POST", "/v1/lots/{}/void", Endpoint::void_lot, true},
    {"POST", "/v1/keys", Endpoint::key, false},
    {"POST", "/v1/keys/{}/rotate", Endpoint::rotate_key, false},
    {"POST", "/v1/accounts/{}/tokens/revoke", Endpoint::revoke_tokens, false},
    {"POST", "/v1/admin/clock", Endpoint::clock, false},
    {"POST", "/v1/batch", Endpoint::batch, false},
};

// The route of "METHOD /path" and its {} argument ("" when it has none).
const Route* match(std::string_view method, std::string_view path, std::string* arg) {
  for (const Route& r : k_routes) {
    if (method != r.method) continue;
    const std::string_view pattern = r.pattern;
    const size_t hole = pattern.find("{}");
    if (hole == std::string_view::npos) {
      if (path == pattern) return &r;
      continue;
    }
    const std::string_view head = pattern.substr(0, hole), tail = pattern.substr(hole + 2);
    if (path.size() > head.size() + tail.size() && path.starts_with(head) && path.ends_with(tail)) {
      *arg = std::string(path.substr(head.size(), path.size() - head.size() - tail.size()));
      if (arg->find('/') == std::string::npos) return &r;
    }
  }
  return nullptr;
}

// --- the ledger the commands run on ---

const config::Config& fuzz_config() {
  static const config::Config c = [] {
    std::ifstream in(TALLY_SOURCE_DIR "/config/default.toml");
    std::stringstream text;
    text << in.rdbuf();
    auto parsed = config::parse_config(text.str(), "default.toml");
    FUZZ_CHECK(parsed.has_value(), "config/default.toml loads");
    return *parsed;
  }();
  return c;
}

constexpr TimeUs k_start{1'790'000'000LL * k_us_per_second};  // 2026-09-21

// A ledger with an account "alice" on the default plan, a grant, an open hold and a spend:
// enough state for every command to reach its real checks.
struct World {
  Ledger ledger{fuzz_config().ledger, fuzz_config().catalog};
  std::vector<Entry> entries;
  int keys = 0;

  Result apply(Command c, TimeUs at) {
    entries.clear();
    return ledger.apply(Request{"k" + std::to_string(keys++), std::move(c)}, at, &entries);
  }
  World() {
    FUZZ_CHECK(apply(OpenAccount{"alice", "", false}, k_start).has_value(), "setup: open");
    FUZZ_CHECK(
        apply(Grant{.account = "alice", .amount = Credits::from_credits(100), .reason = "setup"},
              k_start)
            .has_value(),
        "setup: grant");
    FUZZ_CHECK(
        apply(PlaceHold{"alice", Credits::from_credits(10), "image", {}, ""}, k_start).has_value(),
        "setup: hold");
    FUZZ_CHECK(apply(SpendNow{"alice", Credits::from_credits(5), "image", ""}, k_start).has_value(),
               "setup: spend");
  }
};

void run_on_ledger(const Command& c) {
  const CommandDigest first = fingerprint(c);
  FUZZ_CHECK(fingerprint(Command(c)) == first, "fingerprints are deterministic");
  World w;
  auto r = w.apply(c, add_us(k_start, k_us_per_second));
  (void)r;  // applied or refused: both are fine; an assertion would have stopped the process
  const auto violations = w.ledger.check_invariants();
  if (!violations.empty()) std::fprintf(stderr, "invariant: %s\n", violations[0].c_str());
  FUZZ_CHECK(violations.empty(), "rule 9 invariants hold after any decoded command");
}

void decode(const Route& route, const std::string& arg, const rapidjson::Value& body, int depth);

void decode_batch_items(const rapidjson::Value& body, int depth) {
  auto items = decode_batch(body);
  if (!items) return;
  check_fields(body, {{"requests"}, {"requests"}});
  FUZZ_CHECK(!items->empty() && items->size() <= k_batch_requests_max, "1 to 1000 requests");
  FUZZ_CHECK(depth == 0, "a batch never decodes inside a batch");
  static const rapidjson::Value k_empty(rapidjson::kObjectType);
  for (const BatchItem& item : *items) {
    check_text(item.method, 8);
    check_text(item.path, k_target_bytes_max);
    FUZZ_CHECK(!item.path.starts_with("/v1/batch"), "no batch in a batch");
    if (item.idempotency_key) check_text(*item.idempotency_key, 256);
    FUZZ_CHECK(!item.body || item.body->IsObject(), "item bodies are objects");
    // Each item is dispatched as a request of its own: decode it the same way.
    std::string arg;
    const Route* r = match(item.method, item.path, &arg);
    if (r && r->endpoint == Endpoint::batch) FUZZ_CHECK(false, "batch paths were refused");
    if (r) decode(*r, arg, item.body ? *item.body : k_empty, depth + 1);
  }
}

void decode(const Route& route, const std::string& arg, const rapidjson::Value& body, int depth) {
  // The server answers a bad path id before it reads the body (dispatch, id_arg).
  if (!arg.empty() || std::string_view(route.pattern).find("{}") != std::string_view::npos) {
    if (!is_account_id(arg)) return;
    FUZZ_CHECK(api_id(arg), "path ids are ids");
  }
  std::optional<uint64_t> object_id;
  if (route.object_id) {
    object_id = parse_id(arg);
    if (!object_id) return;
  }
  switch (route.endpoint) {
    case Endpoint::open_account: {
      auto c = decode_open_account(body);
      if (!c) return;
      check_fields(body, {{"id", "plan"}, {"id"}});
      FUZZ_CHECK(api_id(c->account), "account ids are 1 to 128 id characters");
      check_text(c->plan, 128);
      FUZZ_CHECK(!c->no_plan || c->plan.empty(), "no_plan has no plan");
      return run_on_ledger(*c);
    }
    case Endpoint::grant: {
      auto g = decode_grant(body, arg);
      if (!g) return;
      check_fields(body, {{"amount", "source", "expires_at", "valid_for", "never_expires",
                           "effective_at", "scope", "reason", "reference"},
                          {"amount", "reason"}});
      check_amount(body, "amount", g->amount);
      FUZZ_CHECK(g->source != Source::refund, "clients never grant refund lots");
      check_text(g->reason, 1024);
      check_text(g->reference, 256);
      FUZZ_CHECK(g->scope.size() <= 64, "at most 64 scope entries");
      for (const auto& s : g->scope) check_text(s, 256);
      check_time_field(body, "effective_at", g->effective_at);
      const int forms = !!member(body, "expires_at") + !!member(body, "valid_for") +
                        (member(body, "never_expires") && member(body, "never_expires")->IsTrue());
      FUZZ_CHECK(forms <= 1, "at most one expiry form");
      if (g->expiry.mode == Expiry::Mode::at) {
        FUZZ_CHECK(parse_time(format_time(g->expiry.at)) == g->expiry.at, "expires_at formats");
      }
      if (g->expiry.mode == Expiry::Mode::valid_for) {
        FUZZ_CHECK(parse_validity(format_validity(g->expiry.valid_for)) == g->expiry.valid_for,
                   "valid_for formats back");
      }
      return run_on_ledger(*g);
    }
    case Endpoint::set_plan: {
      auto c = decode_set_plan(body, arg);
      if (!c) return;
      check_fields(body, {{"plan", "allocation"}, {"plan"}});
      check_text(c->plan, 128);
      check_amount(body, "allocation", c->allocation);
      return run_on_ledger(*c);
    }
    case Endpoint::cancel:
    case Endpoint::past_due:
    case Endpoint::resume:
    case Endpoint::daily: {
      if (decode_no_fields(body)) return;
      FUZZ_CHECK(body.MemberCount() == 0, "these endpoints take no fields");
      if (route.endpoint == Endpoint::cancel) return run_on_ledger(CancelSubscription{arg});
      if (route.endpoint == Endpoint::past_due) return run_on_ledger(MarkPastDue{arg});
      if (route.endpoint == Endpoint::resume) return run_on_ledger(ResumeSubscription{arg});
      return run_on_ledger(ClaimDailyReward{arg});
    }
    case Endpoint::token: {
      auto t = decode_token_request(body);
      if (!t) return;
      check_fields(body, {{"ttl_s", "member"}, {}});
      FUZZ_CHECK(t->ttl_s >= 60 && t->ttl_s <= k_token_ttl_max_s, "token ttl in range");
      FUZZ_CHECK(body.HasMember("member") == !t->member.empty(), "a member is given or not");
      FUZZ_CHECK(t->member.empty() || is_account_id(t->member), "a member is an id");
      return;
    }
    case Endpoint::quote: {
      auto q = decode_quote(body);
      if (!q) return;
      check_fields(body, {{"tool", "params", "account", "plan"}, {"tool"}});
      check_text(q->tool, 128);
      FUZZ_CHECK(!(q->account && q->plan), "account or plan, not both");
      if (q->account) FUZZ_CHECK(api_id(*q->account), "account ids are ids");
      if (q->plan) check_text(*q->plan, 128);
      check_params(q->params, member(body, "params"));
      return;
    }
    case Endpoint::hold:
    case Endpoint::spend: {
      const bool hold = route.endpoint == Endpoint::hold;
      auto j = decode_job(body, hold);
      if (!j) return;
      if (hold) {
        check_fields(body, {{"account", "tool", "amount", "params", "ttl_s"}, {"account"}});
      } else {
        check_fields(body, {{"account", "tool", "amount", "params"}, {"account"}});
      }
      FUZZ_CHECK(api_id(j->account), "account ids are ids");
      check_text(j->tool, 128);
      check_amount(body, "amount", j->amount);
      FUZZ_CHECK(j->amount || member(body, "tool"), "an amount or a tool");
      FUZZ_CHECK(!j->amount || !member(body, "params"), "an amount or params, not both");
      if (j->ttl_s) FUZZ_CHECK(*j->ttl_s >= 1 && *j->ttl_s <= k_hold_ttl_max_s, "hold ttl");
      if (!j->amount) return check_params(j->params, member(body, "params"));
      if (hold) return run_on_ledger(hold_command(*j, *j->amount, ""));
      return run_on_ledger(spend_command(*j, *j->amount, ""));
    }
    case Endpoint::capture: {
      auto c = decode_capture(body, HoldId{*object_id});
      if (!c) return;
      check_fields(body, {{"amount", "usage"}, {}});
      FUZZ_CHECK(c->command.hold.value == *object_id, "the path's hold");
      check_amount(body, "amount", c->command.amount);
      if (c->usage) return check_params(*c->usage, member(body, "usage"));
      return run_on_ledger(c->command);
    }
    case Endpoint::release: {
      auto c = decode_release(body, HoldId{*object_id});
      if (!c) return;
      check_fields(body, {{"reason"}, {}});
      check_text(c->reason, 1024);
      return run_on_ledger(*c);
    }
    case Endpoint::refund: {
      auto c = decode_refund(body, SpendId{*object_id});
      if (!c) return;
      check_fields(body, {{"amount", "reason"}, {"reason"}});
      check_amount(body, "amount", c->amount);
      check_text(c->reason, 1024);
      return run_on_ledger(*c);
    }
    case Endpoint::purchase: {
      auto c = decode_purchase(body);
      if (!c) return;
      check_fields(body, {{"account", "pack", "currency", "region", "payment_ref"},
                          {"account", "pack", "currency", "payment_ref"}});
      FUZZ_CHECK(api_id(c->account), "account ids are ids");
      check_text(c->pack, 128);
      check_text(c->currency, 3);
      check_text(c->region, 64);
      check_text(c->payment_ref, 100);
      return run_on_ledger(*c);
    }
    case Endpoint::void_purchase:
    case Endpoint::void_lot: {
      const bool lot = route.endpoint == Endpoint::void_lot;
      std::optional<Command> c;
      if (lot) {
        auto v = decode_void_lot(body, LotId{*object_id});
        if (!v) return;
        check_text(v->reason, 1024);
        c = *v;
      } else {
        auto v = decode_void_purchase(body, *object_id);
        if (!v) return;
        check_text(v->reason, 1024);
        c = *v;
      }
      check_fields(body, {{"reason"}, {"reason"}});
      return run_on_ledger(*c);
    }
    case Endpoint::key: {
      auto k = decode_key(body);
      if (!k) return;
      check_fields(body, {{"name", "scope", "expires_at"}, {"name"}});
      check_text(k->name, 128);
      FUZZ_CHECK(k->scope == "service" || k->scope == "admin" || k->scope == "worker" ||
                     k->scope == "read",
                 "key scopes");
      return;
    }
    case Endpoint::rotate_key: {
      auto overlap = decode_rotate_overlap_s(body);
      if (!overlap) return;
      check_fields(body, {{"overlap_s"}, {"overlap_s"}});
      FUZZ_CHECK(*overlap >= 0 && *overlap <= 30 * 86400, "rotation overlap bounds");
      return;
    }
    case Endpoint::revoke_tokens: {
      auto r = decode_token_revocation(body);
      if (!r) return;
      check_fields(body, {{"token_id", "all"}, {}});
      FUZZ_CHECK(!r->token_id || (!r->token_id->empty() && r->token_id->size() <= 64 &&
                                  r->token_id->find_first_not_of("0123456789abcdef") ==
                                      std::string::npos),
                 "a token id is 1 to 64 lowercase hex digits");
      FUZZ_CHECK(body.HasMember("token_id") != body.HasMember("all"), "token_id or all, not both");
      return;
    }
    case Endpoint::clock: {
      auto t = decode_clock(body);
      if (!t) return;
      check_fields(body, {{"now"}, {"now"}});
      check_time_field(body, "now", *t);
      return;
    }
    case Endpoint::batch:
      return decode_batch_items(body, depth);
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  const size_t eol = input.find('\n');
  const std::string_view line =
      eol == std::string_view::npos ? std::string_view() : input.substr(0, eol);
  const std::string_view body = eol == std::string_view::npos ? input : input.substr(eol + 1);
  const size_t space = line.find(' ');
  std::string arg;
  const Route* route = nullptr;
  if (space != std::string_view::npos) {
    route = match(line.substr(0, space), line.substr(space + 1), &arg);
  }
  if (!route) {  // any other first line: pick an endpoint by it
    route = &k_routes[std::hash<std::string_view>{}(line) % std::size(k_routes)];
    const bool has_arg = std::string_view(route->pattern).find("{}") != std::string_view::npos;
    arg = !has_arg ? "" : route->object_id ? "1" : "alice";
  }
  rapidjson::Document doc;
  if (!check_parse_body(body, &doc)) return 0;
  decode(*route, arg, doc, 0);
  return 0;
}
