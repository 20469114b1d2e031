#include "server/json.h"

#include <rapidjson/error/en.h>

#include <algorithm>
#include <charconv>
#include <cmath>

#include "ledger/text.h"
#include "ledger/types.h"

namespace tally::server {
namespace {

std::string_view status_title(int status) {
  switch (status) {
    case 400: return "Bad Request";
    case 401: return "Unauthorized";
    case 402: return "Payment Required";
    case 403: return "Forbidden";
    case 404: return "Not Found";
    case 405: return "Method Not Allowed";
    case 409: return "Conflict";
    case 413: return "Payload Too Large";
    case 415: return "Unsupported Media Type";
    case 422: return "Unprocessable Content";
    case 500: return "Internal Server Error";
    case 503: return "Service Unavailable";
    default: return "Error";
  }
}

// The deepest nesting of arrays and objects, found without recursion (a body of a million
// '[' must not exhaust the stack of a recursive parser).
int nesting_depth(std::string_view body) {
  int depth = 0, deepest = 0;
  bool in_string = false, escaped = false;
  for (char c : body) {
    if (in_string) {
      if (escaped) {
        escaped = false;
      } else if (c == '\\') {
        escaped = true;
      } else if (c == '"') {
        in_string = false;
      }
      continue;
    }
    if (c == '"') {
      in_string = true;
    } else if (c == '[' || c == '{') {
      deepest = std::max(deepest, ++depth);
    } else if (c == ']' || c == '}') {
      --depth;
    }
  }
  return deepest;
}

// Whether `s` is well-formed UTF-8 without surrogates. RapidJSON validates the raw bytes of a
// body, but it decodes an escaped low surrogate with no high surrogate before it ("\udc00")
// into the bytes of U+DC00, which is not UTF-8; those would be stored and echoed back.
bool is_utf8(std::string_view s) {
  for (size_t i = 0; i < s.size();) {
    const auto c = static_cast<unsigned char>(s[i]);
    // Continuation bytes after the lead byte; 4 = not a lead byte.
    const size_t n = c < 0x80             ? 0
                     : (c & 0xE0) == 0xC0 ? 1
                     : (c & 0xF0) == 0xE0 ? 2
                     : (c & 0xF8) == 0xF0 ? 3
                                          : 4;
    if (n == 4 || i + n >= s.size()) return false;
    uint32_t cp = n == 0 ? c : c & (0x3F >> n);
    for (size_t k = 1; k <= n; ++k) {
      const auto cc = static_cast<unsigned char>(s[i + k]);
      if ((cc & 0xC0) != 0x80) return false;
      cp = (cp << 6) | (cc & 0x3F);
    }
    static constexpr uint32_t k_min[] = {0, 0x80, 0x800, 0x10000};
    if (cp < k_min[n] || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return false;
    i += n + 1;
  }
  return true;
}

// What is wrong with a parsed document that RapidJSON let through, in one walk (depth already
// bounded): a repeated member name; a number too large for a double (RapidJSON 1.1.0 reads a
// long mantissa with a large exponent as infinity, which it cannot write back); and, when the
// body has `\u` escapes (`escapes`), a string or name that is not UTF-8 (RapidJSON validates
// the raw bytes, but decodes a lone escaped surrogate into bytes that are not). nullopt: sound.
std::optional<std::string> fault_in(const rapidjson::Value& v, bool escapes) {
  if (v.IsObject()) {
    std::vector<std::string_view> names;
    for (auto m = v.MemberBegin(); m != v.MemberEnd(); ++m) {
      names.emplace_back(m->name.GetString(), m->name.GetStringLength());
      if (escapes && !is_utf8(names.back())) {
        return "the body is not valid UTF-8: a \\u escape names a lone surrogate";
      }
      if (auto f = fault_in(m->value, escapes)) return f;
    }
    std::sort(names.begin(), names.end());
    if (auto it = std::adjacent_find(names.begin(), names.end()); it != names.end()) {
      return cat("the body repeats the key '", *it, "'");
    }
  } else if (v.IsArray()) {
    for (const auto& e : v.GetArray()) {
      if (auto f = fault_in(e, escapes)) return f;
    }
  } else if (v.IsString()) {
    if (escapes && !is_utf8({v.GetString(), v.GetStringLength()})) {
      return "the body is not valid UTF-8: a \\u escape names a lone surrogate";
    }
  } else if (v.IsDouble() && !std::isfinite(v.GetDouble())) {
    return "the body is not valid JSON: a number too large";
  }
  return std::nullopt;
}

std::string_view kind_of(const rapidjson::Value& v) {
  if (v.IsNull()) return "null";
  if (v.IsBool()) return "a boolean";
  if (v.IsString()) return "a string";
  if (v.IsNumber()) return "a number";
  if (v.IsArray()) return "an array";
  return "an object";
}

}  // namespace

Problem bad_request(std::string detail) { return {400, "invalid_request", std::move(detail), {}}; }

// Adds "request_id" as the last member of a problem body that has none (a remembered answer
// keeps the id of the request that first got it).
void add_request_id(std::string& body, std::string_view request_id) {
  if (request_id.empty() || body.size() < 2 || body.back() != '}' ||
      body.find(R"("request_id":)") != std::string::npos) {
    return;
  }
  body.pop_back();
  body += R"(,"request_id":")";
  body += request_id;  // HttpRequest::request_id: nothing to escape
  body += "\"}";
}

HttpResponse problem_response(const Problem& p) {
  rapidjson::StringBuffer b;
  JsonWriter w(b);
  w.StartObject();
  write_text(w, "type", p.type);
  write_text(w, "title", status_title(p.status));
  w.Key("status");
  w.Int(p.status);
  write_text(w, "detail", p.detail);
  if (p.shortfall) write_amount(w, "shortfall", *p.shortfall);
  if (p.budget) {
    w.Key("budget");
    w.StartObject();
    write_text(w, "id", p.budget->budget);
    write_amount(w, "limit", p.budget->limit);
    write_amount(w, "used", p.budget->used);
    write_amount(w, "left", p.budget->left);
    w.EndObject();
  }
  if (!p.owner.empty()) write_text(w, "owner", p.owner);
  if (!p.errors.empty()) {
    w.Key("errors");
    w.StartArray();
    for (const std::string& e : p.errors) w.String(e.data(), static_cast<rapidjson::SizeType>(e.size()));
    w.EndArray();
  }
  w.EndObject();
  HttpResponse r = json_response(p.status, b);
  r.content_type = "application/problem+json";
  return r;
}

std::optional<Problem> parse_body(std::string_view body, rapidjson::Document* doc) {
  if (body.find_first_not_of(" \t\r\n") == std::string_view::npos) {
    doc->SetObject();
    return std::nullopt;
  }
  // RapidJSON reads a NUL byte as the end of the text, so `{...}\0junk` would parse as `{...}`.
  // JSON has no raw NUL anywhere (in strings it is escaped), so refuse it before parsing.
  if (const size_t nul = body.find('\0'); nul != std::string_view::npos) {
    return bad_request(cat("the body is not valid JSON: a NUL byte at byte ", nul));
  }
  if (nesting_depth(body) > k_json_depth_max) {
    return bad_request(cat("the body is nested more than ", k_json_depth_max, " levels deep"));
  }
  doc->Parse<rapidjson::kParseValidateEncodingFlag>(body.data(), body.size());
  if (doc->HasParseError()) {
    return bad_request(cat("the body is not valid JSON: ",
                           rapidjson::GetParseError_En(doc->GetParseError()), " at byte ",
                           doc->GetErrorOffset()));
  }
  if (!doc->IsObject()) return bad_request(cat("the body must be a JSON object, not ", kind_of(*doc)));
  if (auto f = fault_in(*doc, body.find("\\u") != std::string_view::npos)) return bad_request(*f);
  return std::nullopt;
}

FieldReader::FieldReader(const rapidjson::Value& object, std::string where)
    : object_(object), where_(std::move(where)) {}

void FieldReader::fail(std::string detail) {
  if (!error_) error_ = bad_request(std::move(detail));
}

bool FieldReader::has(const char* name) const { return object_.HasMember(name); }

bool FieldReader::is_null(const char* name) const {
  auto m = object_.FindMember(name);
  return m != object_.MemberEnd() && m->value.IsNull();
}

void FieldReader::allow(const char* name) { known_.emplace_back(name); }

const rapidjson::Value* FieldReader::find(const char* name, bool required) {
  known_.emplace_back(name);
  if (error_) return nullptr;
  auto m = object_.FindMember(name);
  if (m == object_.MemberEnd() || (m->value.IsNull() && !required)) {
    if (required) fail(cat("'", where_, name, "' is required"));
    return nullptr;
  }
  return &m->value;
}

std::optional<std::string> FieldReader::text(const char* name, bool required, size_t max_bytes) {
  const rapidjson::Value* v = find(name, required);
  if (!v) return std::nullopt;
  if (!v->IsString()) {
    fail(cat("'", where_, name, "' must be a string, not ", kind_of(*v)));
    return std::nullopt;
  }
  // A required text says something: "" is as good as missing (a reason, a name, a pack).
  if (required && v->GetStringLength() == 0) {
    fail(cat("'", where_, name, "' must not be empty"));
    return std::nullopt;
  }
  if (v->GetStringLength() > max_bytes) {
    fail(cat("'", where_, name, "' is ", v->GetStringLength(), " bytes; at most ", max_bytes,
             " allowed"));
    return std::nullopt;
  }
  return std::string(v->GetString(), v->GetStringLength());
}

std::optional<std::string> FieldReader::id(const char* name, bool required) {
  auto t = text(name, required, 128);
  if (t && !is_account_id(*t)) {
    fail(cat("'", where_, name, "' must be 1 to 128 characters of A-Z a-z 0-9 . _ - : @ + ~"));
    return std::nullopt;
  }
  return t;
}

bool is_account_id(std::string_view s) {
  return !s.empty() && s.size() <= 128 && s != "." && s != ".." &&
         std::all_of(s.begin(), s.end(), is_id_char);
}

std::optional<Credits> FieldReader::amount(const char* name, bool required) {
  const rapidjson::Value* v = find(name, required);
  if (!v) return std::nullopt;
  std::optional<Credits> c;
  if (v->IsString()) {
    c = parse_credits(std::string_view(v->GetString(), v->GetStringLength()));
  } else if (v->IsInt64()) {
    c = parse_credits(std::to_string(v->GetInt64()));
  } else if (v->IsNumber()) {
    fail(cat("'", where_, name,
             "' is a JSON number with a fraction or exponent; send amounts as decimal strings "
             "(\"12.5\")"));
    return std::nullopt;
  } else {
    fail(cat("'", where_, name, "' must be a decimal string of credits, not ", kind_of(*v)));
    return std::nullopt;
  }
  if (!c) {
    fail(cat("'", where_, name,
             "' is not an amount of credits: a decimal with at most 6 decimals, within range"));
  }
  return c;
}

std::optional<int64_t> FieldReader::integer(const char* name, bool required, int64_t min,
                                            int64_t max) {
  const rapidjson::Value* v = find(name, required);
  if (!v) return std::nullopt;
  if (!v->IsInt64() || v->GetInt64() < min || v->GetInt64() > max) {
    fail(cat("'", where_, name, "' must be an integer from ", min, " to ", max));
    return std::nullopt;
  }
  return v->GetInt64();
}

std::optional<bool> FieldReader::boolean(const char* name, bool required) {
  const rapidjson::Value* v = find(name, required);
  if (!v) return std::nullopt;
  if (!v->IsBool()) {
    fail(cat("'", where_, name, "' must be true or false, not ", kind_of(*v)));
    return std::nullopt;
  }
  return v->GetBool();
}

std::optional<TimeUs> FieldReader::time(const char* name, bool required) {
  auto t = text(name, required, 64);
  if (!t) return std::nullopt;
  auto parsed = parse_time(*t);
  if (!parsed) {
    fail(cat("'", where_, name, "' is not an RFC 3339 time from ", format_time(k_time_min), " to ",
             format_time(k_time_max), ": '", *t, "'"));
  }
  return parsed;
}

std::optional<Validity> FieldReader::validity(const char* name, bool required) {
  auto t = text(name, required, 64);
  if (!t) return std::nullopt;
  auto parsed = parse_validity(*t);
  if (!parsed) fail(cat("'", where_, name, "' is not an ISO 8601 duration (P30D, P1M): '", *t, "'"));
  return parsed;
}

std::optional<std::vector<std::string>> FieldReader::texts(const char* name, bool required,
                                                           size_t count_max) {
  const rapidjson::Value* v = find(name, required);
  if (!v) return std::nullopt;
  if (!v->IsArray() || v->Size() > count_max) {
    fail(cat("'", where_, name, "' must be an array of at most ", count_max, " strings"));
    return std::nullopt;
  }
  std::vector<std::string> out;
  for (const auto& e : v->GetArray()) {
    if (!e.IsString() || e.GetStringLength() > 256) {
      fail(cat("'", where_, name, "' must hold strings of at most 256 bytes"));
      return std::nullopt;
    }
    out.emplace_back(e.GetString(), e.GetStringLength());
  }
  return out;
}

const rapidjson::Value* FieldReader::object(const char* name, bool required) {
  const rapidjson::Value* v = find(name, required);
  if (!v) return nullptr;
  if (!v->IsObject()) {
    fail(cat("'", where_, name, "' must be an object, not ", kind_of(*v)));
    return nullptr;
  }
  return v;
}

std::optional<Problem> FieldReader::finish() {
  if (error_) return error_;
  for (auto m = object_.MemberBegin(); m != object_.MemberEnd(); ++m) {
    const std::string_view name(m->name.GetString(), m->name.GetStringLength());
    if (std::find(known_.begin(), known_.end(), name) == known_.end()) {
      std::string list;
      for (std::string_view k : known_) list += cat(list.empty() ? "" : ", ", k);
      return bad_request(cat("unknown field '", where_, name, "'; known: ",
                             list.empty() ? std::string("none") : list));
    }
  }
  return std::nullopt;
}

void write_amount(JsonWriter& w, std::string_view key, Credits c) {
  write_text(w, key, format_credits(c));
  const std::string micro = cat(key, "_micro");
  w.Key(micro.data(), static_cast<rapidjson::SizeType>(micro.size()));
  w.Int64(c.micro);
}

void write_time(JsonWriter& w, std::string_view key, TimeUs t) {
  w.Key(key.data(), static_cast<rapidjson::SizeType>(key.size()));
  if (t == TimeUs::never()) {
    w.Null();
  } else {
    const std::string s = format_time(t);
    w.String(s.data(), static_cast<rapidjson::SizeType>(s.size()));
  }
}

void write_optional_time(JsonWriter& w, std::string_view key, std::optional<TimeUs> t) {
  if (t) return write_time(w, key, *t);
  w.Key(key.data(), static_cast<rapidjson::SizeType>(key.size()));
  w.Null();
}

void write_id(JsonWriter& w, std::string_view key, uint64_t id) {
  w.Key(key.data(), static_cast<rapidjson::SizeType>(key.size()));
  if (id == 0) {
    w.Null();
  } else {
    const std::string s = std::to_string(id);
    w.String(s.data(), static_cast<rapidjson::SizeType>(s.size()));
  }
}

void write_text(JsonWriter& w, std::string_view key, std::string_view value) {
  w.Key(key.data(), static_cast<rapidjson::SizeType>(key.size()));
  w.String(value.data(), static_cast<rapidjson::SizeType>(value.size()));
}

void write_text_or_null(JsonWriter& w, std::string_view key, std::string_view value) {
  if (!value.empty()) return write_text(w, key, value);
  w.Key(key.data(), static_cast<rapidjson::SizeType>(key.size()));
  w.Null();
}

std::string_view json_text(const rapidjson::StringBuffer& b) {
  return {b.GetString(), b.GetSize()};
}

// A thread's reused JSON buffer keeps at most this much between answers.
constexpr size_t k_reused_bytes_max = 64 * 1024;

HttpResponse json_response(int status, const rapidjson::StringBuffer& b) {
  return {status, "application/json", std::string(json_text(b)), {}};
}

HttpResponse json(int status, const std::function<void(JsonWriter&)>& write) {
  // One buffer per thread, reused: an answer then allocates its own string only. A `write` that
  // encodes another answer inside (none does today) gets a buffer of its own.
  thread_local rapidjson::StringBuffer reused;
  thread_local bool in_use = false;
  if (in_use) {
    rapidjson::StringBuffer b;
    JsonWriter w(b);
    write(w);
    return json_response(status, b);
  }
  in_use = true;
  struct Done {
    ~Done() {
      const bool big = reused.GetSize() > k_reused_bytes_max;  // a long list's answer
      reused.Clear();
      if (big) reused.ShrinkToFit();  // empty: gives its memory back
      in_use = false;
    }
  } done;
  JsonWriter w(reused);
  write(w);
  return json_response(status, reused);
}

std::optional<uint64_t> parse_id(std::string_view text) {
  uint64_t v = 0;
  if (text.empty() || text.size() > 20 || text[0] == '0') return std::nullopt;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (ec != std::errc() || end != text.data() + text.size()) return std::nullopt;
  return v;
}

}  // namespace tally::server
