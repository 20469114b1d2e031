// Pricing commands on config files: price-table, quote, price-diff. `quote --server URL` asks
// a running server instead (client_commands.h). Usage and output formats: docs/pricing.md.
#pragma once

#include <CLI/CLI.hpp>

namespace tally::cli {

// Registers the commands on app; each sets exit_code when it runs.
void add_pricing_commands(CLI::App& app, int& exit_code);

}  // namespace tally::cli
