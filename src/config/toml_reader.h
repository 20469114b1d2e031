// Typed reads of TOML nodes that fail with the node's file, line and column. Shared by every
// loader of the configuration file (price book, catalog, ledger settings) so that one file
// has one set of rules: unknown keys are errors, ids have one alphabet, amounts are exact.
//
// Inside a loader, a failed read throws ConfigFailure; the loader's edge catches it and
// returns a value (a malformed file ends the load; threading an expected through every nested
// read would triple the code without making it safer). Nothing else throws it.
#pragma once

#include <toml++/toml.h>

#include <cstdint>
#include <expected>
#include <initializer_list>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "config/config_error.h"
#include "ledger/config.h"
#include "ledger/credits.h"
#include "ledger/time.h"

namespace tally::config {

struct ConfigFailure {
  ConfigError error;
};

inline constexpr size_t k_config_bytes_max = 4 << 20;
inline constexpr size_t k_id_length_max = 64;
inline constexpr size_t k_name_length_max = 200;

using KeyList = std::initializer_list<std::string_view>;

// For messages: a node's TOML type ("string", "integer"…) and a string in double quotes.
std::string type_name(const toml::node& n);
std::string quoted(std::string_view s);

class TomlReader {
 public:
  explicit TomlReader(std::string file) : file_(std::move(file)) {}
  const std::string& file() const { return file_; }

  [[noreturn]] void fail(const toml::source_region& at, const std::string& message) const;

  // Every key of t must be in allowed; `what` names t in the message.
  void check_keys(const toml::table& t, KeyList allowed, std::string_view what) const;
  const toml::node& require(const toml::table& t, std::string_view key,
                            std::string_view what) const;
  // The entries of t in file order (toml++ tables are sorted by key).
  std::vector<std::pair<const toml::key*, const toml::node*>> in_file_order(
      const toml::table& t) const;

  const toml::table& as_table(const toml::node& n, std::string_view what) const;
  const toml::array& as_array(const toml::node& n, std::string_view what) const;
  // A string without control characters, at most length_max bytes.
  std::string read_string(const toml::node& n, std::string_view what, size_t length_max) const;
  // Ids: 1..64 of [A-Za-z0-9._:+-].
  std::string read_id(const toml::node& n, std::string_view what) const;
  void check_id(const toml::source_region& at, std::string_view id, std::string_view what) const;
  int64_t read_integer(const toml::node& n, std::string_view what, int64_t min, int64_t max) const;
  bool read_bool(const toml::node& n, std::string_view what) const;
  // An offset date-time or an RFC 3339 string.
  TimeUs read_time(const toml::node& n, std::string_view what) const;
  // Credits: an integer or a decimal string ("0.5"), 0..max, at most 6 decimals. TOML
  // fractions (0.5) are binary and inexact, so they are refused with that reason.
  Credits read_credits(const toml::node& n, std::string_view what, Credits max) const;
  // "never" or an ISO 8601 duration: "P1M", "P1Y", "P7D", "PT15M" (see parse_validity).
  Validity read_validity(const toml::node& n, std::string_view what) const;
  // A duration in microseconds: an ISO 8601 duration of days, hours, minutes or seconds.
  int64_t read_duration_us(const toml::node& n, std::string_view what) const;

 private:
  std::string file_;
};

// Reads a whole file of at most k_config_bytes_max bytes.
[[nodiscard]] std::expected<std::string, ConfigError> read_config_text(const std::string& path);
// Parses TOML text; `file` names it in positions.
[[nodiscard]] std::expected<toml::table, ConfigError> parse_toml(std::string_view text,
                                                                 std::string_view file);

}  // namespace tally::config
