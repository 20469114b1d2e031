// JSON in and out for the HTTP API (docs/api.md): strict request parsing, a field reader
// that names the field at fault and refuses unknown ones, and writers for amounts, ids and
// times. Server-internal: RapidJSON appears only in src/server.
//
// Thread-safe: no shared state.
#pragma once

#include <rapidjson/document.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "ledger/config.h"
#include "ledger/credits.h"
#include "ledger/time.h"
#include "server/http_server.h"
#include "server/problem.h"

namespace tally::server {

inline constexpr int k_json_depth_max = 32;

HttpResponse problem_response(const Problem& p);
// Adds "request_id" as the last member of a problem body that has none (a remembered answer
// keeps the id of the request that first got it).
void add_request_id(std::string& body, std::string_view request_id);

using JsonWriter = rapidjson::Writer<rapidjson::StringBuffer>;

// Parses a request body: UTF-8, nested at most k_json_depth_max deep, no duplicate keys, no
// NaN or Infinity, and an object at the top. An empty body is an empty object.
std::optional<Problem> parse_body(std::string_view body, rapidjson::Document* doc);

// Reads the fields of one JSON object. The first error is kept (later reads return
// nullopt); finish() reports it, or an unknown field if every read succeeded.
class FieldReader {
 public:
  // `where` prefixes field names in errors ("params." for a nested object).
  explicit FieldReader(const rapidjson::Value& object, std::string where = "");

  bool has(const char* name) const;
  bool is_null(const char* name) const;
  // A string of at most `max_bytes`; a required one must not be empty either.
  std::optional<std::string> text(const char* name, bool required, size_t max_bytes = 256);
  // An account id: 1 to 128 characters of A-Z a-z 0-9 . _ - : @ + ~ (not "." or "..").
  std::optional<std::string> id(const char* name, bool required);
  // A decimal string of credits or a JSON integer of credits; fractions as numbers refused.
  std::optional<Credits> amount(const char* name, bool required);
  std::optional<int64_t> integer(const char* name, bool required, int64_t min, int64_t max);
  std::optional<bool> boolean(const char* name, bool required);
  std::optional<TimeUs> time(const char* name, bool required);
  std::optional<Validity> validity(const char* name, bool required);
  // A JSON array of strings.
  std::optional<std::vector<std::string>> texts(const char* name, bool required,
                                                size_t count_max);
  // A nested object (nullptr if absent and not required, or on error).
  const rapidjson::Value* object(const char* name, bool required);
  // Marks a field as known without reading it.
  void allow(const char* name);

  bool ok() const { return !error_; }
  void fail(std::string detail);
  // The first error, or an unknown field, or nothing.
  std::optional<Problem> finish();

 private:
  const rapidjson::Value* find(const char* name, bool required);
  const rapidjson::Value& object_;
  std::string where_;
  std::vector<std::string_view> known_;
  std::optional<Problem> error_;
};

// Writers. An amount is two members: `key` as a decimal string and `key_micro` as an integer.
void write_amount(JsonWriter& w, std::string_view key, Credits c);
// RFC 3339, or null for never().
void write_time(JsonWriter& w, std::string_view key, TimeUs t);
// RFC 3339, or null for nullopt.
void write_optional_time(JsonWriter& w, std::string_view key, std::optional<TimeUs> t);
// A ledger id as a decimal string, or null when unset (0).
void write_id(JsonWriter& w, std::string_view key, uint64_t id);
void write_text(JsonWriter& w, std::string_view key, std::string_view value);
// A string, or null when empty.
void write_text_or_null(JsonWriter& w, std::string_view key, std::string_view value);
std::string_view json_text(const rapidjson::StringBuffer& b);

// A 200 (or `status`) JSON response from a finished writer buffer.
HttpResponse json_response(int status, const rapidjson::StringBuffer& b);
// A JSON response whose body `write` writes.
HttpResponse json(int status, const std::function<void(JsonWriter&)>& write);

// Whether `s` may be an account id (FieldReader::id).
bool is_account_id(std::string_view s);

// Parses a ledger id ("281474976710657"); nullopt if it is not a positive decimal u64.
std::optional<uint64_t> parse_id(std::string_view text);

}  // namespace tally::server
