// The commands on a ledger's store, offline (no server):
//   `tally verify --data DIR | --store URL`: recomputes every balance of every shard from its
//   journal alone and compares it with the stored state (DESIGN rule 9); with PostgreSQL, also
//   checks every journal row against its checksum and the entries table.
//   `tally migrate --store URL`: brings a PostgreSQL store's schema to this version, alone.
#pragma once

#include <CLI/CLI.hpp>

namespace tally::cli {

// Registers `verify` and `migrate`.
void add_verify_command(CLI::App& app, int& exit_code);

// --store's check: a postgresql:// or postgres:// URL.
CLI::Validator postgres_url();

}  // namespace tally::cli
