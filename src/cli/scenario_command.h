// `tally scenario FILE`: runs a scenario file (docs/scenarios.md) and prints its transcript.
#pragma once

#include <CLI/CLI.hpp>

namespace tally::cli {

void add_scenario_command(CLI::App& app, int& exit_code);

}  // namespace tally::cli
