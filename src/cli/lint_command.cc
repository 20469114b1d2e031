#include "cli/lint_command.h"

#include <iostream>
#include <memory>
#include <string>

#include "config/config.h"
#include "config/toml_reader.h"
#include "lint/lint.h"

namespace tally::cli {
namespace {

int lint_file(const std::string& file, bool json) {
  auto text = config::read_config_text(file);
  if (!text) {
    std::cerr << "tally: " << text.error().to_string() << "\n";
    return 2;
  }
  auto c = config::parse_config(*text, file);
  if (!c) {
    std::cerr << "tally: " << c.error().to_string() << "\n";
    return 2;
  }
  lint::Report report = lint::lint_config(c->price_book.get(), *c->catalog);
  std::vector<std::string> paths;
  for (const lint::Item& i : report.items) paths.push_back(i.where);
  const std::vector<uint32_t> lines = config::lines_of(*text, paths);
  for (size_t i = 0; i < lines.size(); ++i) report.items[i].line = lines[i];
  std::cout << (json ? lint::render_json(report) + "\n" : lint::render_text(report, file));
  return report.outcome() == lint::Outcome::fail ? 1 : 0;
}

}  // namespace

void add_lint_command(CLI::App& app, int& exit_code) {
  auto file = std::make_shared<std::string>();
  auto json = std::make_shared<bool>(false);
  CLI::App* cmd = app.add_subcommand(
      "lint", "Score a configuration against the fair-pricing checklist (docs/lint.md)");
  cmd->add_option("CONFIG", *file, "the configuration file (TOML)")->required();
  cmd->add_flag("--json", *json, "print the report as JSON");
  cmd->callback([file, json, &exit_code] { exit_code = lint_file(*file, *json); });
}

}  // namespace tally::cli
