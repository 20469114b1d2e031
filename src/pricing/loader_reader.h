// Internal to the loader: typed reads of TOML nodes that fail with a source position.
//
// Errors inside the loader are thrown as LoadFailure and caught at its edge (parse_config),
// where they become values: a malformed book ends the load, and propagating an expected
// through every nested read would triple the code without making it safer.
#pragma once

#include <toml++/toml.h>

#include <cstdint>
#include <span>
#include <string>
#include <string_view>

#include "ledger/time.h"
#include "pricing/book.h"
#include "pricing/errors.h"

namespace tally::pricing::detail {

struct LoadFailure {
  PricingError error;
};

using KeyList = std::initializer_list<std::string_view>;

class BookReader {
 public:
  explicit BookReader(std::string file) : file_(std::move(file)) {}

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
  std::string read_string(const toml::node& n, std::string_view what, size_t length_max) const;
  // Ids: 1..64 of [A-Za-z0-9._:+-].
  std::string read_id(const toml::node& n, std::string_view what) const;
  void check_id(const toml::source_region& at, std::string_view id, std::string_view what) const;
  int64_t read_integer(const toml::node& n, std::string_view what, int64_t min, int64_t max) const;
  bool read_bool(const toml::node& n, std::string_view what) const;
  // Credits: an integer or a decimal string ("0.5"), >= 0, at most 6 decimals.
  Decimal read_amount(const toml::node& n, std::string_view what) const;
  // A multiplier: an integer or a decimal string ("1.5"), 0..1,000,000, at most 6 decimals.
  Decimal read_factor(const toml::node& n, std::string_view what) const;
  // An offset date-time or an RFC 3339 string.
  TimeUs read_time(const toml::node& n, std::string_view what) const;
  Rounding read_rounding(const toml::node& n, std::string_view what) const;
  // Exactly one of the keys price (if allow_price), add, multiply.
  Effect read_effect(const toml::table& t, bool allow_price, std::string_view what) const;

  // Tools and parameters (loader_tool.cc).
  Tool read_tool(const toml::key& id, const toml::node& n, const Rounding& book_rounding);
  std::vector<std::string>& plans() { return plans_; }

 private:
  Param read_param(const toml::table& t, const Tool& tool, size_t index);
  void read_choice(const toml::table& t, const Tool& tool, size_t index, Param& p);
  Option read_option(const toml::node& n, bool is_price, const std::string& what);
  uint64_t read_plans(const toml::node& n, std::string_view what);
  void read_toggle(const toml::table& t, Param& p, const std::string& what);
  void read_count(const toml::table& t, Param& p, const std::string& what);
  void read_tiers(const toml::node& n, Param& p, const std::string& what);
  void read_usage(const toml::table& t, Param& p, const std::string& what);
  void check_tool(const toml::table& t, Tool& tool) const;

  std::string file_;
  std::vector<std::string> plans_;
};

}  // namespace tally::pricing::detail
