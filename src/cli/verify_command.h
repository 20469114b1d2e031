// `tally verify --data DIR`: recomputes every balance of every shard in a data directory from
// its journal alone and compares it with the stored state (DESIGN rule 9).
#pragma once

#include <CLI/CLI.hpp>

namespace tally::cli {

void add_verify_command(CLI::App& app, int& exit_code);

}  // namespace tally::cli
