#include "cli/verify_command.h"

#include <filesystem>
#include <iostream>
#include <memory>

#include "config/config.h"
#include "ledger/journal.h"
#include "store/data_dir.h"
#include "store/sqlite_store.h"

namespace tally::cli {
namespace {

// Exit codes: 0 every shard verifies, 1 a difference or an unreadable store, 2 usage.
int verify_data(const std::string& dir, const std::string& config_path) {
  LedgerConfig ledger_config;
  std::shared_ptr<const Catalog> catalog;
  if (!config_path.empty()) {
    auto c = config::load_config(config_path);
    if (!c) {
      std::cerr << "tally: " << c.error().to_string() << "\n";
      return 1;
    }
    ledger_config = c->ledger;
    catalog = c->catalog;
  }
  std::vector<ShardId> shards;
  std::error_code ec;
  for (const auto& e : std::filesystem::directory_iterator(dir, ec)) {
    const std::string file = e.path().filename().string();  // shard-<N>.db
    if (!file.starts_with("shard-") || !file.ends_with(".db")) continue;
    const std::string n = file.substr(6, file.size() - 9);
    if (n.empty() || n.size() > 5 || n.find_first_not_of("0123456789") != std::string::npos)
      continue;
    shards.push_back(static_cast<ShardId>(std::stoul(n)));
  }
  if (ec || shards.empty()) {
    std::cerr << "tally: no shard-N.db files in " << dir << "\n";
    return 1;
  }
  // The same lock as `tally serve`: verify may write (a schema migration, SQLite's WAL files),
  // and a server committing between the state read and the journal read would show as a
  // difference. So verify runs on data no server holds.
  auto held = store::DataDir::open(dir, false);
  if (!held) {
    std::cerr << "tally verify: " << held.error() << "\n";
    return 1;
  }
  auto store = store::SqliteStore::open({dir, true});
  if (!store) {
    std::cerr << "tally: " << store.error().message << "\n";
    return 1;
  }
  int bad = 0;
  for (ShardId shard : shards) {
    auto state = (*store)->load(shard);
    if (!state) {
      std::cerr << "shard " << shard << ": " << state.error().message << "\n";
      ++bad;
      continue;
    }
    auto ledger = Ledger::from_state(ledger_config, catalog, shard, std::move(*state));
    if (!ledger) {
      std::cout << "shard " << shard << ": stored state is not sound: " << ledger.error() << "\n";
      ++bad;
      continue;
    }
    std::vector<Entry> journal;
    auto scanned = (*store)->scan_entries(shard, 0, [&](const Entry& e) {
      journal.push_back(e);
      return true;
    });
    if (!scanned) {  // the message names the shard (and a corrupt row's seq)
      std::cerr << scanned.error().message << "\n";
      ++bad;
      continue;
    }
    VerifyReport r = verify(**ledger, journal);
    std::cout << "shard " << shard << ": " << r.entries << " entries, " << r.lots << " lots, "
              << r.accounts << " accounts: " << (r.ok() ? "ok" : "DIFFERENCES") << "\n";
    for (const std::string& d : r.differences) std::cout << "  " << d << "\n";
    if (!r.ok()) ++bad;
  }
  return bad == 0 ? 0 : 1;
}

}  // namespace

void add_verify_command(CLI::App& app, int& exit_code) {
  auto data = std::make_shared<std::string>();
  auto config_path = std::make_shared<std::string>();
  CLI::App* cmd = app.add_subcommand(
      "verify", "Recompute every balance from the journal alone and compare with the stored state");
  cmd->add_option("--data", *data, "the data directory (shard-N.db files)")->required();
  cmd->add_option("--config", *config_path,
                  "the configuration the data was written with (its plans and policy)");
  cmd->callback([data, config_path, &exit_code] { exit_code = verify_data(*data, *config_path); });
}

}  // namespace tally::cli
