#include "cli/backup_command.h"

#include <chrono>
#include <iostream>
#include <memory>

#include "store/backup.h"

namespace tally::cli {
namespace {

struct BackupArgs {
  std::string data;
  std::string to;
};

int backup(const BackupArgs& args) {
  const auto started = std::chrono::steady_clock::now();
  auto report = store::backup_data_dir({.from = args.data, .to = args.to});
  if (!report) {
    std::cerr << "tally backup: " << report.error() << "\n";
    return 1;
  }
  const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                      std::chrono::steady_clock::now() - started)
                      .count();
  for (const auto& s : report->shards) {
    std::cout << "shard " << s.id << ": tables through record " << s.tables_through
              << ", journal to record " << s.journal_last << " (" << s.segments << " segment"
              << (s.segments == 1 ? "" : "s") << (s.attempts > 1 ? ", " : "")
              << (s.attempts > 1 ? std::to_string(s.attempts) + " attempts" : "") << ")\n";
  }
  for (const std::string& d : report->skipped) {
    std::cout << "skipped " << d << "/ (not part of a data directory)\n";
  }
  std::cout << "tally backup: " << args.data << " copied to " << args.to << ": "
            << report->shards.size() << " shards, " << report->databases.size()
            << " other databases, " << report->files.size() << " files, " << report->bytes
            << " bytes in " << ms << " ms\n";
  return 0;
}

}  // namespace

void add_backup_command(CLI::App& app, int& exit_code) {
  auto args = std::make_shared<BackupArgs>();
  CLI::App* cmd = app.add_subcommand(
      "backup", "Copy a data directory consistently, also while tally serve runs on it");
  cmd->add_option("--data", args->data, "the data directory (shard-N.db files)")->required();
  cmd->add_option("--to", args->to, "where the copy goes: a new or empty directory")->required();
  cmd->callback([args, &exit_code] { exit_code = backup(*args); });
}

}  // namespace tally::cli
