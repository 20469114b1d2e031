#include "config/toml_reader.h"

#include <algorithm>
#include <fstream>
#include <sstream>

#include "ledger/text.h"

namespace tally::config {

std::string type_name(const toml::node& n) {
  std::ostringstream os;
  os << n.type();
  return os.str();
}

std::string quoted(std::string_view s) {
  return cat("\"", s, "\"");
}

namespace {

bool is_id_char(char ch) {
  return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
         ch == '.' || ch == '_' || ch == ':' || ch == '+' || ch == '-';
}

std::string known_keys(KeyList allowed) {
  std::string out;
  for (std::string_view k : allowed) out += cat(out.empty() ? "" : ", ", k);
  return out;
}

}  // namespace

std::string ConfigError::to_string() const {
  if (where.file.empty()) return detail;
  if (where.line == 0) return cat(where.file, ": ", detail);
  return cat(where.file, ":", where.line, ":", where.column, ": ", detail);
}

void TomlReader::fail(const toml::source_region& at, const std::string& message) const {
  throw ConfigFailure{ConfigError{message, SourcePosition{file_, at.begin.line, at.begin.column}}};
}

void TomlReader::check_keys(const toml::table& t, KeyList allowed, std::string_view what) const {
  for (auto&& [key, node] : t) {
    if (std::find(allowed.begin(), allowed.end(), key.str()) == allowed.end()) {
      fail(key.source(), cat("unknown key ", quoted(key.str()), " in ", what,
                             "; known keys: ", known_keys(allowed)));
    }
  }
}

const toml::node& TomlReader::require(const toml::table& t, std::string_view key,
                                      std::string_view what) const {
  const toml::node* n = t.get(key);
  if (n == nullptr) fail(t.source(), cat(what, " needs a key ", quoted(key)));
  return *n;
}

std::vector<std::pair<const toml::key*, const toml::node*>> TomlReader::in_file_order(
    const toml::table& t) const {
  std::vector<std::pair<const toml::key*, const toml::node*>> out;
  for (auto&& [key, node] : t) out.emplace_back(&key, &node);
  std::sort(out.begin(), out.end(), [](const auto& a, const auto& b) {
    const auto& pa = a.first->source().begin;
    const auto& pb = b.first->source().begin;
    return pa.line != pb.line ? pa.line < pb.line : pa.column < pb.column;
  });
  return out;
}

const toml::table& TomlReader::as_table(const toml::node& n, std::string_view what) const {
  if (!n.is_table()) fail(n.source(), cat(what, " must be a table, got ", type_name(n)));
  return *n.as_table();
}

const toml::array& TomlReader::as_array(const toml::node& n, std::string_view what) const {
  if (!n.is_array()) fail(n.source(), cat(what, " must be an array, got ", type_name(n)));
  return *n.as_array();
}

std::string TomlReader::read_string(const toml::node& n, std::string_view what,
                                    size_t length_max) const {
  if (!n.is_string()) fail(n.source(), cat(what, " must be a string, got ", type_name(n)));
  const std::string& s = n.as_string()->get();
  if (s.size() > length_max) fail(n.source(), cat(what, " is longer than ", length_max, " bytes"));
  for (unsigned char ch : s) {
    if (ch < 0x20 || ch == 0x7f) fail(n.source(), cat(what, " has a control character"));
  }
  return s;
}

void TomlReader::check_id(const toml::source_region& at, std::string_view id,
                          std::string_view what) const {
  const bool ok =
      !id.empty() && id.size() <= k_id_length_max && std::all_of(id.begin(), id.end(), is_id_char);
  if (!ok) {
    fail(at, cat(what, " ", quoted(id),
                 " is not a valid id: 1 to 64 characters of A-Z a-z 0-9 . _ : + -"));
  }
}

std::string TomlReader::read_id(const toml::node& n, std::string_view what) const {
  std::string id = read_string(n, what, k_name_length_max);
  check_id(n.source(), id, what);
  return id;
}

int64_t TomlReader::read_integer(const toml::node& n, std::string_view what, int64_t min,
                                 int64_t max) const {
  if (!n.is_integer()) fail(n.source(), cat(what, " must be an integer, got ", type_name(n)));
  const int64_t v = n.as_integer()->get();
  if (v < min || v > max) {
    fail(n.source(), cat(what, " must be from ", min, " to ", max, ", got ", v));
  }
  return v;
}

bool TomlReader::read_bool(const toml::node& n, std::string_view what) const {
  if (!n.is_boolean()) fail(n.source(), cat(what, " must be true or false, got ", type_name(n)));
  return n.as_boolean()->get();
}

TimeUs TomlReader::read_time(const toml::node& n, std::string_view what) const {
  if (n.is_string()) {
    auto t = parse_time(n.as_string()->get());
    if (!t) fail(n.source(), cat(what, " is not an RFC 3339 time with an offset"));
    return *t;
  }
  if (!n.is_date_time()) {
    fail(n.source(),
         cat(what, " must be a date-time such as 2026-11-01T00:00:00Z, got ", type_name(n)));
  }
  const toml::date_time& dt = n.as_date_time()->get();
  if (!dt.offset) fail(n.source(), cat(what, " needs a UTC offset (e.g. a trailing Z)"));
  CivilTime c{dt.date.year,
              dt.date.month,
              dt.date.day,
              dt.time.hour,
              dt.time.minute,
              dt.time.second,
              dt.time.nanosecond / 1000};
  return TimeUs{from_civil(c).us - int64_t{dt.offset->minutes} * k_us_per_minute};
}

Credits TomlReader::read_credits(const toml::node& n, std::string_view what, Credits max) const {
  std::optional<Credits> c;
  if (n.is_integer()) {
    c = checked_mul(Credits::from_micro(k_micro_per_credit), n.as_integer()->get());
  } else if (n.is_string()) {
    c = parse_credits(n.as_string()->get());
  } else {
    fail(n.source(), cat(what, " must be an integer or a decimal string such as \"0.5\", got ",
                         type_name(n), " (TOML fractions are binary and inexact; quote them)"));
  }
  if (!c || c->is_negative() || *c > max) {
    fail(n.source(), cat(what, " must be a number of credits from 0 to ", format_credits(max),
                         " with at most 6 decimals"));
  }
  return *c;
}

Validity TomlReader::read_validity(const toml::node& n, std::string_view what) const {
  const std::string s = read_string(n, what, 64);
  auto v = parse_validity(s);
  if (!v) {
    fail(n.source(), cat(what, " ", quoted(s),
                         " is not \"never\" or an ISO 8601 duration such as \"P1M\", \"P1Y\", "
                         "\"P7D\" or \"PT15M\""));
  }
  return *v;
}

int64_t TomlReader::read_duration_us(const toml::node& n, std::string_view what) const {
  const Validity v = read_validity(n, what);
  if (v.kind != Validity::Kind::duration) {
    fail(n.source(), cat(what,
                         " must be a fixed duration of days, hours, minutes or seconds, "
                         "such as \"PT15M\" or \"P7D\""));
  }
  return v.count;
}

std::expected<std::string, ConfigError> read_config_text(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return std::unexpected(ConfigError{"cannot open the file", {path, 0, 0}, true});
  std::string text;
  char buf[65536];
  while (in.read(buf, sizeof buf) || in.gcount() > 0) {
    text.append(buf, static_cast<size_t>(in.gcount()));
    if (text.size() > k_config_bytes_max) {
      return std::unexpected(
          ConfigError{cat("larger than ", k_config_bytes_max, " bytes"), {path, 0, 0}, true});
    }
  }
  if (in.bad()) return std::unexpected(ConfigError{"cannot read the file", {path, 0, 0}, true});
  return text;
}

std::expected<toml::table, ConfigError> parse_toml(std::string_view text, std::string_view file) {
  try {
    return toml::parse(text, file);
  } catch (const toml::parse_error& e) {
    const auto& at = e.source().begin;
    return std::unexpected(ConfigError{std::string(e.description()),
                                       SourcePosition{std::string(file), at.line, at.column}});
  }
}

}  // namespace tally::config
