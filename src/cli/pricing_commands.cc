#include "cli/pricing_commands.h"

#include <iostream>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "cli/client_commands.h"
#include "config/config.h"
#include "ledger/time.h"
#include "pricing/breakdown.h"
#include "pricing/diff.h"
#include "pricing/table.h"
#include "pricing/versions.h"

namespace tally::cli {
namespace {

struct Loaded {
  pricing::PriceVersions versions;
  std::vector<config::Config> configs;
};

int fail(const std::string& message, int code = 1) {
  std::cerr << "tally: " << message << "\n";
  return code;
}

// Loads a whole config file (config/config.h) that must hold a price book. Errors print as
// pricing errors ("file:line:column: invalid_book: detail", or io_error), as before the
// config loader was shared.
std::optional<config::Config> load_book_config(const std::string& file, int& code) {
  auto c = config::load_config(file);
  if (!c) {
    code = fail(pricing::from_config_error(c.error()).to_string());
    return std::nullopt;
  }
  if (!c->price_book) {
    code = fail(file + " has no [price_book]");
    return std::nullopt;
  }
  return std::move(*c);
}

// Loads every file's price book into one set of versions (each file is one version).
std::unique_ptr<Loaded> load_all(const std::vector<std::string>& files, int& code) {
  auto out = std::make_unique<Loaded>();
  std::vector<std::shared_ptr<const pricing::PriceBook>> books;
  for (const std::string& f : files) {
    auto c = load_book_config(f, code);
    if (!c) return nullptr;
    books.push_back(c->price_book);
    out->configs.push_back(std::move(*c));
  }
  if (auto r = out->versions.add_all(books); !r) {
    code = fail(r.error().to_string());
    return nullptr;
  }
  return out;
}

// The version in force at `at`, or the latest version when at is empty.
std::shared_ptr<const pricing::PriceBook> pick_version(const Loaded& l, const std::string& at,
                                                       int& code) {
  if (at.empty()) return l.versions.versions().back();
  auto t = parse_time(at);
  if (!t) {
    code = fail("--at \"" + at + "\" is not an RFC 3339 time (e.g. 2026-11-21T00:00:00Z)", 2);
    return nullptr;
  }
  auto book = l.versions.version_at(*t);
  if (!book) code = fail("no_version_in_force: no price book version is in force at " + at);
  return book;
}

struct TableOptions {
  std::vector<std::string> configs;
  std::string format = "text";
  std::string at;
};

int run_price_table(const TableOptions& o) {
  int code = 0;
  auto loaded = load_all(o.configs, code);
  if (!loaded) return code;
  auto book = pick_version(*loaded, o.at, code);
  if (!book) return code;
  // The packs of the file that holds the chosen version.
  const std::vector<Pack>* packs = nullptr;
  for (const auto& c : loaded->configs) {
    if (c.price_book->version == book->version) packs = &c.catalog->packs;
  }
  auto table = pricing::build_price_table(*book, *packs);
  // With --at, the versions given that take effect later are announced, as the server does.
  if (!o.at.empty()) table.upcoming = pricing::upcoming_versions(loaded->versions, book->effective_at);
  if (o.format == "json")
    std::cout << pricing::render_table_json(table) << "\n";
  else if (o.format == "markdown")
    std::cout << pricing::render_table_markdown(table);
  else
    std::cout << pricing::render_table_text(table);
  return 0;
}

struct QuoteOptions {
  std::vector<std::string> configs;
  std::string at, plan, tool;
  std::vector<std::string> params;
  bool json = false;
  std::string account;   // --server only
  ClientOptions remote;  // --server, --key...: quote on a running server instead
};

int run_quote(const QuoteOptions& o) {
  int code = 0;
  std::vector<pricing::ParamValue> params;
  for (const std::string& kv : o.params) {
    auto eq = kv.find('=');
    if (eq == std::string::npos || eq == 0) {
      return fail("parameter \"" + kv + "\" must be written key=value", 2);
    }
    params.push_back({std::string_view(kv).substr(0, eq), std::string_view(kv).substr(eq + 1)});
  }
  auto loaded = load_all(o.configs, code);
  if (!loaded) return code;
  auto book = pick_version(*loaded, o.at, code);
  if (!book) return code;
  auto q = pricing::quote(*book, o.tool, params, o.plan);
  if (!q) return fail(q.error().to_string());
  std::cout << (o.json ? pricing::render_quote_json(*q) + "\n" : pricing::format_breakdown(*q));
  return 0;
}

int run_price_diff(const std::string& old_file, const std::string& new_file) {
  int code = 0;
  auto a = load_book_config(old_file, code);
  if (!a) return code;
  auto b = load_book_config(new_file, code);
  if (!b) return code;
  std::cout << pricing::render_diff_text(pricing::diff_price_books(*a->price_book, *b->price_book));
  return 0;
}

}  // namespace

void add_pricing_commands(CLI::App& app, int& exit_code) {
  auto table = std::make_shared<TableOptions>();
  CLI::App* t = app.add_subcommand("price-table", "Print the public price table of a price book");
  t->add_option("--config", table->configs, "Config file(s); each holds one price book version")
      ->required()
      ->allow_extra_args(false)
      ->check(CLI::ExistingFile);
  t->add_option("--format", table->format, "text, markdown or json")
      ->check(CLI::IsMember({"text", "markdown", "json"}));
  t->add_option("--at", table->at,
                "Use the version in force at this RFC 3339 time (default: latest)");
  t->callback([table, &exit_code] { exit_code = run_price_table(*table); });

  auto quote = std::make_shared<QuoteOptions>();
  CLI::App* q = app.add_subcommand(
      "quote", "Quote one job with its breakdown, from config files or a running server");
  q->add_option("--config", quote->configs,
                "Config file(s); each holds one price book version (offline)")
      ->allow_extra_args(false)
      ->check(CLI::ExistingFile);
  q->add_option("--at", quote->at, "Quote at this RFC 3339 time (default: latest version)");
  q->add_option("--plan", quote->plan, "The account's plan id (for included options)");
  q->add_flag("--json", quote->json, "Print the quote as JSON");
  q->add_option("--account", quote->account, "With --server: price with this account's plan");
  CLI::Option* server = add_client_options(q, quote->remote, KeyUse::none, /*json=*/false);
  q->add_option("tool", quote->tool, "Tool id")->required();
  q->add_option("params", quote->params, "Parameters as key=value");
  q->callback([quote, server, &exit_code] {
    if (!quote->configs.empty()) {  // offline wins, even with $TALLY_SERVER set
      exit_code = quote->account.empty() ? run_quote(*quote)
                                         : fail("--account needs --server, not --config", 2);
    } else if (server->count() == 0) {
      exit_code = fail("quote needs --config FILE (offline) or --server URL", 2);
    } else if (!quote->at.empty()) {
      exit_code = fail("--at works offline only (with --config)", 2);
    } else {
      quote->remote.json = quote->json;
      exit_code =
          run_remote_quote(quote->remote, quote->tool, quote->params, quote->plan, quote->account);
    }
  });

  auto files = std::make_shared<std::pair<std::string, std::string>>();
  CLI::App* d =
      app.add_subcommand("price-diff", "Show what got cheaper or dearer between versions");
  d->add_option("old", files->first, "The old price book file")
      ->required()
      ->check(CLI::ExistingFile);
  d->add_option("new", files->second, "The new price book file")
      ->required()
      ->check(CLI::ExistingFile);
  d->callback([files, &exit_code] { exit_code = run_price_diff(files->first, files->second); });
}

}  // namespace tally::cli
