// Offline pricing commands on config files (no server): price-table, quote, price-diff.
// Usage and output formats: docs/pricing.md.
#pragma once

#include <CLI/CLI.hpp>

namespace tally::cli {

// Registers the commands on app; each sets exit_code when it runs.
void add_pricing_commands(CLI::App& app, int& exit_code);

}  // namespace tally::cli
