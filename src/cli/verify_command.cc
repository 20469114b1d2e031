#include "cli/verify_command.h"

#include <filesystem>
#include <iostream>
#include <memory>

#include "config/config.h"
#include "ledger/journal.h"
#include "store/data_dir.h"
#include "store/pg_store.h"
#include "store/sqlite_store.h"

namespace tally::cli {

CLI::Validator postgres_url() {
  return CLI::Validator(
      [](std::string& url) -> std::string {
        return store::is_postgres_url(url)
                   ? ""
                   : "must be a PostgreSQL URL: postgresql://USER@HOST:PORT/DATABASE";
      },
      "URL", "postgresql://");
}

namespace {

// The shard-N.db files of `dir`, by shard.
std::vector<ShardId> sqlite_shards(const std::string& dir) {
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
  return shards;
}

// Verifies each shard of `store`: 0 every shard verifies, 1 a difference or an unreadable
// store. `check` runs first for each shard (a backend's own checks); its error counts.
int verify_shards(store::Store& store, const std::vector<ShardId>& shards,
                  const LedgerConfig& ledger_config, std::shared_ptr<const Catalog> catalog,
                  const std::function<std::expected<void, std::string>(ShardId)>& check) {
  int bad = 0;
  for (ShardId shard : shards) {
    if (auto r = check(shard); !r) {
      std::cout << "shard " << shard << ": " << r.error() << "\n";
      ++bad;
      continue;
    }
    auto state = store.load(shard);
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
    auto scanned = store.scan_entries(shard, 0, [&](const Entry& e) {
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

struct VerifyArgs {
  std::string data;
  std::string store;  // a PostgreSQL URL
  std::string schema;
  std::string config;
};

// Exit codes: 0 every shard verifies, 1 a difference or an unreadable store, 2 usage.
int verify_data(const VerifyArgs& args) {
  LedgerConfig ledger_config;
  std::shared_ptr<const Catalog> catalog;
  std::string url = args.store, schema = args.schema;
  if (!args.config.empty()) {
    auto c = config::load_config(args.config);
    if (!c) {
      std::cerr << "tally: " << c.error().to_string() << "\n";
      return 1;
    }
    ledger_config = c->ledger;
    catalog = c->catalog;
    if (url.empty() && args.data.empty()) url = c->store.url;
    if (schema.empty()) schema = c->store.schema;
  }
  if (!url.empty()) {
    // PostgreSQL: no lock of ours keeps a server from committing meanwhile; stop it first.
    auto store = store::PgStore::open({.url = url, .schema = schema});
    if (!store) {
      std::cerr << "tally: " << store.error().message << "\n";
      return 1;
    }
    auto shards = (*store)->shards_in_use();
    if (!shards || shards->empty()) {
      std::cerr << "tally: " << (shards ? "no shard holds anything in " : shards.error().message)
                << (shards ? store::url_for_display(url) : "") << "\n";
      return 1;
    }
    // Each journal row is whole, and the entries table holds exactly the journal's entries.
    return verify_shards(**store, *shards, ledger_config, catalog,
                         [&](ShardId shard) -> std::expected<void, std::string> {
                           auto r = (*store)->check_journal(shard);
                           if (!r) return std::unexpected(r.error().message);
                           return {};
                         });
  }
  if (args.data.empty()) {
    std::cerr << "tally verify: --data DIR or --store URL (or a --config with [store])\n";
    return 2;
  }
  const std::vector<ShardId> shards = sqlite_shards(args.data);
  if (shards.empty()) {
    std::cerr << "tally: no shard-N.db files in " << args.data << "\n";
    return 1;
  }
  // The same lock as `tally serve`: verify may write (a schema migration, SQLite's WAL files),
  // and a server committing between the state read and the journal read would show as a
  // difference. So verify runs on data no server holds.
  auto held = store::DataDir::open(args.data, false);
  if (!held) {
    std::cerr << "tally verify: " << held.error() << "\n";
    return 1;
  }
  auto store = store::SqliteStore::open({args.data, true});
  if (!store) {
    std::cerr << "tally: " << store.error().message << "\n";
    return 1;
  }
  return verify_shards(**store, shards, ledger_config, catalog,
                       [](ShardId) -> std::expected<void, std::string> { return {}; });
}

// `tally migrate`: the PostgreSQL schema to this version, nothing else.
int migrate(const std::string& url, const std::string& schema) {
  auto m = store::PgStore::migrate(url, schema);
  if (!m) {
    std::cerr << "tally migrate: " << m.error().message << "\n";
    return 1;
  }
  const std::string where = store::url_for_display(url) + (schema.empty() ? "" : " schema " + schema);
  if (m->from == m->to) {
    std::cout << "tally migrate: " << where << " is at schema version " << m->to
              << "; nothing to do\n";
  } else {
    std::cout << "tally migrate: " << where << " migrated from schema version " << m->from
              << " to " << m->to << "\n";
  }
  return 0;
}

}  // namespace

void add_verify_command(CLI::App& app, int& exit_code) {
  auto args = std::make_shared<VerifyArgs>();
  CLI::App* cmd = app.add_subcommand(
      "verify", "Recompute every balance from the journal alone and compare with the stored state");
  CLI::Option* data =
      cmd->add_option("--data", args->data, "the data directory (shard-N.db files)");
  CLI::Option* url = cmd->add_option("--store", args->store,
                                     "the ledger's PostgreSQL database (postgresql://...)")
                         ->check(postgres_url());
  data->excludes(url);
  cmd->add_option("--schema", args->schema, "the PostgreSQL schema of Tally's tables");
  cmd->add_option("--config", args->config,
                  "the configuration the data was written with (its plans and policy, and its "
                  "[store])");
  cmd->callback([args, &exit_code] { exit_code = verify_data(*args); });

  auto migrate_args = std::make_shared<VerifyArgs>();
  CLI::App* m = app.add_subcommand(
      "migrate", "Bring a PostgreSQL store's schema to this version (tally serve does it too)");
  m->add_option("--store", migrate_args->store, "the PostgreSQL database (postgresql://...)")
      ->check(postgres_url());
  m->add_option("--schema", migrate_args->schema, "the PostgreSQL schema of Tally's tables");
  m->add_option("--config", migrate_args->config, "a configuration whose [store] names it");
  m->callback([migrate_args, &exit_code] {
    VerifyArgs a = *migrate_args;
    if (!a.config.empty()) {
      auto c = config::load_config(a.config);
      if (!c) {
        std::cerr << "tally: " << c.error().to_string() << "\n";
        exit_code = 1;
        return;
      }
      if (a.store.empty()) a.store = c->store.url;
      if (a.schema.empty()) a.schema = c->store.schema;
    }
    if (a.store.empty()) {
      std::cerr << "tally migrate: --store postgresql://... (or a --config with [store] url)\n";
      exit_code = 2;
      return;
    }
    exit_code = migrate(a.store, a.schema);
  });
}

}  // namespace tally::cli
