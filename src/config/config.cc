#include "config/config.h"

#include "config/readers.h"
#include "config/toml_reader.h"
#include "ledger/text.h"
#include "pricing/loader.h"

namespace tally::config {
namespace {

// Every plan the price book names in an `included_in` list must exist, when plans exist.
void check_plans(const TomlReader& r, const toml::table& root, const Config& c) {
  if (!c.price_book || c.catalog->plans.empty()) return;
  for (const std::string& plan : c.price_book->plans) {
    if (c.catalog->find_plan(plan) == nullptr) {
      r.fail(root.get("price_book")->source(), cat("the price book includes models for plan \"",
                                                   plan, "\", which is not one of the [[plans]]"));
    }
  }
}

}  // namespace

std::expected<Config, ConfigError> parse_config(std::string_view text, std::string_view file) {
  auto root = parse_toml(text, file);
  if (!root) return std::unexpected(root.error());
  TomlReader r{std::string(file)};
  try {
    r.check_keys(*root,
                 {"price_book", "plans", "packs", "seasons", "ledger", "webhooks", "tokens", "log", "store"},
                 "the configuration (top level)");
    Config c;
    c.file = std::string(file);
    if (const toml::node* book = root->get("price_book")) {
      auto read = pricing::read_price_book(*book, file);
      if (!read) {
        return std::unexpected(ConfigError{read.error().detail, read.error().where});
      }
      c.price_book = std::move(*read);
    }
    c.catalog = std::make_shared<const Catalog>(detail::read_catalog(r, *root));
    c.ledger = detail::read_ledger(r, *root);
    c.webhooks = detail::read_webhooks(r, *root);
    c.tokens = detail::read_tokens(r, *root, *c.catalog);
    c.log = detail::read_log(r, *root);
    c.store = detail::read_store(r, *root);
    check_plans(r, *root, c);
    return c;
  } catch (const ConfigFailure& f) {
    return std::unexpected(f.error);
  }
}

std::expected<Config, ConfigError> load_config(const std::string& path) {
  auto text = read_config_text(path);
  if (!text) return std::unexpected(text.error());
  return parse_config(*text, path);
}

std::vector<std::string> changed_sections(std::string_view old_text, std::string_view new_text) {
  auto before = parse_toml(old_text, "");
  auto after = parse_toml(new_text, "");
  const toml::table none;
  const toml::table& a = before ? *before : none;
  const toml::table& b = after ? *after : none;
  std::vector<std::string> out;
  for (std::string_view section : k_sections) {
    if (a[section] != b[section]) out.emplace_back(section);  // deep equality; absent == absent
  }
  return out;
}

std::vector<uint32_t> lines_of(std::string_view text, const std::vector<std::string>& paths) {
  std::vector<uint32_t> lines(paths.size(), 0);
  auto root = parse_toml(text, "");
  if (!root) return lines;
  for (size_t i = 0; i < paths.size(); ++i) {
    std::string_view path = paths[i];
    while (!path.empty()) {
      const toml::node* n = toml::at_path(*root, path).node();
      if (n != nullptr && n->source().begin.line != 0) {
        lines[i] = n->source().begin.line;
        break;
      }
      const size_t cut = path.find_last_of(".[");
      path = cut == std::string_view::npos ? std::string_view{} : path.substr(0, cut);
    }
  }
  return lines;
}

}  // namespace tally::config
