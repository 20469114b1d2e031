// Configuration reload (issue 21, docs/operations.md "Reload"): SIGHUP, POST /v1/admin/reload
// and `tally reload` read the configuration file again and put in force, without a restart,
// what can change while the server runs: a new price book version, plans (new ones, changed
// allocations, alerts, rewards), packs, seasons, and the [log] section. An invalid file is
// refused with the messages a start would give, and nothing changes. A changed [ledger] is
// reported as needing a restart and keeps running as it is; the listen address, the data
// directory, the shard count and TLS are command-line settings a reload never reads.
//
// Threads: one reloader thread applies reloads one at a time, in the order asked.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "config/config.h"
#include "ledger/time.h"
#include "log/log.h"

namespace tally::service {
class Service;
}

namespace tally::server {

class Api;

struct ReloadOutcome {
  bool applied = false;
  std::string file;  // the configuration file read (or "(built-in default.toml)")
  // Why it was refused: what a start with this file would say. Empty when applied.
  std::vector<std::string> errors;
  // Sections of the file (config::k_sections) that differ from the running configuration.
  std::vector<std::string> changed;
  // Changed sections a reload does not apply: they keep running as they are until a restart.
  std::vector<std::string> restart_required;
  std::string price_book_version;   // the file's price book
  bool price_book_added = false;    // a version DATA/price_books.db did not have
  std::string price_book_in_force;  // the version in force after the reload
  uint64_t generation = 0;          // reloads applied since the start
};

// Who asked, for the log line of the reload.
struct ReloadTrigger {
  std::string via;  // "SIGHUP" or "POST /v1/admin/reload"
  std::string request_id;
  std::string key_id;
};

struct ReloadOptions {
  std::string config_file;   // empty: the built-in default (nothing to reload from)
  std::string config_name;   // as messages name it
  std::string config_text;   // the text running now
  std::string data_dir;      // DATA/price_books.db
  config::LogConfig log;     // the [log] running now, command-line overrides applied
  // `tally serve --log-file/--log-level`: they win over the file's [log], also on a reload.
  std::optional<std::string> log_file;
  std::optional<log::Level> log_level;
  Api* api = nullptr;
  service::Service* service = nullptr;
  std::function<TimeUs()> clock;
};

// The [log] settings in force for `file_log` with the command-line overrides of `options`.
config::LogConfig effective_log(const config::LogConfig& file_log, const ReloadOptions& options);

class Reloader {
 public:
  // The running configuration is `options`' (its catalog is what the API and the shards use).
  Reloader(ReloadOptions options, std::shared_ptr<const Catalog> running_catalog);
  // Applies the reloads already asked for, then stops the thread.
  ~Reloader();
  Reloader(const Reloader&) = delete;
  Reloader& operator=(const Reloader&) = delete;

  // Queues a reload; `done` runs on the reloader's thread once it is applied or refused.
  void reload(ReloadTrigger trigger, std::function<void(ReloadOutcome)> done);

 private:
  struct Job {
    ReloadTrigger trigger;
    std::function<void(ReloadOutcome)> done;
  };
  void run();
  ReloadOutcome apply(const ReloadTrigger& trigger);

  ReloadOptions options_;  // config_text and log follow each applied reload
  std::shared_ptr<const Catalog> catalog_;  // the running one
  const std::string start_text_;  // the configuration of the start ([ledger] runs as there)
  uint64_t generation_ = 0;
  std::mutex mu_;
  std::condition_variable wake_;
  std::deque<Job> jobs_;
  bool stopping_ = false;
  std::thread thread_;
};

}  // namespace tally::server
