// tally: the command line. Each command group registers its subcommands; a command's
// callback stores its exit status (0 success, 1 a pricing or configuration error, 2 usage).
#include <CLI/CLI.hpp>

#include "cli/pricing_commands.h"

int main(int argc, char** argv) {
  CLI::App app{"tally: credit ledger and pricing engine for AI generation platforms"};
  app.require_subcommand(1);
  int exit_code = 0;
  tally::cli::add_pricing_commands(app, exit_code);
  CLI11_PARSE(app, argc, argv);
  return exit_code;
}
