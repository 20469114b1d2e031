// `tally backup --data DIR --to PATH`: a consistent copy of a data directory, also while
// `tally serve` runs on it (store/backup.h, docs/operations.md "Backup and restore"). The copy
// is a data directory: `tally serve --data PATH` and `tally verify --data PATH` open it.
// Exit codes: 0 copied, 1 refused or failed (nothing left at PATH), 2 usage.
#pragma once

#include <CLI/CLI.hpp>

namespace tally::cli {

void add_backup_command(CLI::App& app, int& exit_code);

}  // namespace tally::cli
