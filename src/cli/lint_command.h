// `tally lint CONFIG [--json]`: scores a configuration file against the fair-pricing checklist
// (src/lint/lint.h, docs/lint.md). Exit codes: 0 no item fails, 1 an item fails, 2 usage or a
// file that cannot be read or does not load (nothing was scored).
#pragma once

#include <CLI/CLI.hpp>

namespace tally::cli {

void add_lint_command(CLI::App& app, int& exit_code);

}  // namespace tally::cli
