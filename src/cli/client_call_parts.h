// The parts the builders of client_commands.h share (client_calls.cc, client_teams.cc): a JSON
// body writer and the checks of what a person types (exit 2 before any request; the server
// checks everything again). Pure: no I/O. Internal to src/cli.
#pragma once

#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "cli/client_commands.h"

namespace tally::cli {

// Builds one JSON object; keys and values are copied. Cannot move: its writer points at its
// buffer.
class Body {
 public:
  Body() : w_(buf_) { w_.StartObject(); }
  Body(const Body&) = delete;
  Body& operator=(const Body&) = delete;
  Body& str(std::string_view key, std::string_view value) {
    name(key);
    w_.String(value.data(), static_cast<rapidjson::SizeType>(value.size()));
    return *this;
  }
  Body& integer(std::string_view key, int64_t value) {
    name(key);
    w_.Int64(value);
    return *this;
  }
  Body& boolean(std::string_view key, bool value) {
    name(key);
    w_.Bool(value);
    return *this;
  }
  Body& null(std::string_view key) {
    name(key);
    w_.Null();
    return *this;
  }
  Body& strings(std::string_view key, const std::vector<std::string>& values) {
    name(key);
    w_.StartArray();
    for (const std::string& v : values)
      w_.String(v.data(), static_cast<rapidjson::SizeType>(v.size()));
    w_.EndArray();
    return *this;
  }
  // {"k": v, ...} from "k=v" texts already checked by parse_params: integers and booleans
  // travel as JSON integers and booleans, everything else as strings.
  Body& params(std::string_view key, const std::vector<std::pair<std::string, std::string>>& kvs);
  std::string take() {
    w_.EndObject();
    return buf_.GetString();
  }

 private:
  void name(std::string_view key) {
    w_.Key(key.data(), static_cast<rapidjson::SizeType>(key.size()));
  }
  rapidjson::StringBuffer buf_;
  rapidjson::Writer<rapidjson::StringBuffer> w_;
};

// An id of the API's id alphabet (accounts, users, projects, budgets, keys): 1 to 128 of
// A-Z a-z 0-9 . _ - : @ + ~, so that it is safe in a path and a query as is. Error: a usage
// message that starts with `what` ("account id \"x y\" may hold only ...").
std::optional<std::string> check_id(const char* what, const std::string& id);
inline std::optional<std::string> check_account(const std::string& id) {
  return check_id("account", id);
}
// An id the ledger gave (holds, spends, lots): decimal digits.
std::optional<std::string> check_object_id(const char* what, const std::string& id);
// Credits as the API takes them: digits with at most 6 decimals ("12", "12.5").
std::optional<std::string> check_amount(const char* what, const std::string& amount);
// An RFC 3339 time's characters (the server parses it); `option` names it in the message.
std::optional<std::string> check_time(const char* option, const std::string& time);
// Appends `name`=`time` to `path`'s query (after '?' or '&'), checked by check_time, the '+' of
// an offset escaped (it would read as a space). Error: the usage message.
std::optional<std::string> add_time_query(std::string* path, const char* name,
                                          const std::string& time);

inline ApiCall call(std::string method, std::string path, std::string body, KeyUse key, View view) {
  return ApiCall{std::move(method), std::move(path), std::move(body), key, view};
}

}  // namespace tally::cli
