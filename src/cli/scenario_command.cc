#include "cli/scenario_command.h"

#include <iostream>
#include <memory>

#include "scenario/scenario.h"

namespace tally::cli {

void add_scenario_command(CLI::App& app, int& exit_code) {
  auto file = std::make_shared<std::string>();
  auto quiet = std::make_shared<bool>(false);
  CLI::App* cmd = app.add_subcommand(
      "scenario", "Run a scenario file through the ledger and print what happened");
  cmd->add_option("file", *file, "the scenario (docs/scenarios.md)")->required();
  cmd->add_flag("--quiet", *quiet, "print only failures");
  cmd->callback([file, quiet, &exit_code] {
    scenario::Outcome o = scenario::run_file(*file);
    if (!*quiet) std::cout << o.transcript;
    for (const std::string& f : o.failures) std::cerr << "FAILED " << f << "\n";
    if (!o.ok()) std::cerr << o.failures.size() << " expectation(s) failed\n";
    exit_code = o.ok() ? 0 : 1;
  });
}

}  // namespace tally::cli
