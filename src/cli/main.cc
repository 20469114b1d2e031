// tally: the command line. Each command group registers its subcommands; a command's
// callback stores its exit status. Exit codes: 0 success, 1 the command failed (a pricing,
// configuration or scenario error, or the server refused), 2 usage (unknown command, missing
// or invalid argument), 3 no answer from the server: cannot connect, timeout or 5xx (client
// commands; docs/api.md "Command line").
#include <CLI/CLI.hpp>

#include "cli/backup_command.h"
#include "cli/client_commands.h"
#include "cli/lint_command.h"
#include "cli/pricing_commands.h"
#include "cli/scenario_command.h"
#include "cli/serve_command.h"
#include "cli/verify_command.h"

int main(int argc, char** argv) {
  CLI::App app{"tally: credit ledger and pricing engine for AI generation platforms"};
  app.require_subcommand(1);
  int exit_code = 0;
  tally::cli::add_pricing_commands(app, exit_code);
  tally::cli::add_scenario_command(app, exit_code);
  tally::cli::add_verify_command(app, exit_code);
  tally::cli::add_backup_command(app, exit_code);
  tally::cli::add_lint_command(app, exit_code);
  tally::cli::add_serve_command(app, exit_code);
  tally::cli::add_client_commands(app, exit_code);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    const int code = app.exit(e);  // prints help, or the error and a usage hint
    return code == 0 ? 0 : 2;
  }
  return exit_code;
}
