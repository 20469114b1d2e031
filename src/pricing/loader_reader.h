// Internal to the price book loader: the pricing-specific typed reads of TOML nodes (amounts,
// factors, rounding, effects, tools and parameters). The generic reads (keys, ids, strings,
// integers, times) and their messages come from config::TomlReader, shared with every other
// reader of the configuration file, so one file has one set of rules.
//
// A failed read throws config::ConfigFailure, caught at the loader's edge (loader.cc), where
// it becomes a PricingError value.
#pragma once

#include <toml++/toml.h>

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "config/toml_reader.h"
#include "pricing/book.h"

namespace tally::pricing::detail {

using config::KeyList;

class BookReader : public config::TomlReader {
 public:
  using config::TomlReader::TomlReader;

  // Credits: an integer or a decimal string ("0.5"), >= 0, at most 6 decimals.
  Decimal read_amount(const toml::node& n, std::string_view what) const;
  // A multiplier: an integer or a decimal string ("1.5"), 0..1,000,000, at most 6 decimals.
  Decimal read_factor(const toml::node& n, std::string_view what) const;
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

  std::vector<std::string> plans_;
};

}  // namespace tally::pricing::detail
