// `tally serve [--config FILE] [--data DIR] [--listen ADDR] [--shards N]`: runs the server
// (src/server/serve.h) until SIGTERM or SIGINT.
#pragma once

#include <CLI/CLI.hpp>

namespace tally::cli {

void add_serve_command(CLI::App& app, int& exit_code);

}  // namespace tally::cli
