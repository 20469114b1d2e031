#include "cli/serve_command.h"

#include <memory>

#include "cli/verify_command.h"
#include "server/serve.h"

namespace tally::cli {

void add_serve_command(CLI::App& app, int& exit_code) {
  struct Args {
    server::ServeOptions serve;
    std::string clock = "wall";
    std::string sync = "full";
    std::string log_file;
    std::string log_level;
  };
  auto args = std::make_shared<Args>();
  server::ServeOptions* options = &args->serve;
  CLI::App* cmd = app.add_subcommand("serve", "run the HTTP API and the dashboard");
  cmd->add_option("--config", options->config_file,
                  "configuration file (default: the built-in config/default.toml)");
  cmd->add_option("--data", options->data_dir, "data directory (created if missing)")
      ->capture_default_str();
  cmd->add_option("--store", options->store_url,
                  "keep the ledger in PostgreSQL (postgresql://USER@HOST:PORT/DB; wins over the "
                  "configuration's [store]); default: SQLite files in --data")
      ->check(postgres_url());
  cmd->add_option("--listen", options->listen, "ADDRESS:PORT to listen on (port 0: any free)")
      ->capture_default_str();
  cmd->add_option("--shards", options->shards, "ledger shards (default: the data directory's count, else the number of cores)")
      ->check(CLI::Range(0, 4096));
  cmd->add_option("--public-url", options->public_url,
                  "base URL of dashboard links in end-user tokens (default: the address "
                  "listened on, http://ADDRESS:PORT)");
  cmd->add_option("--http-threads", options->http_threads, "HTTP I/O threads")
      ->capture_default_str()
      ->check(CLI::Range(1, 256));
  cmd->add_option("--shard-threads", options->shard_threads,
                  "threads per shard: 1 applies and commits each batch, 2 applies the next while "
                  "one commits")
      ->capture_default_str()
      ->check(CLI::Range(1, 2));
  cmd->add_option("--clock", args->clock, "wall, or manual (tests only: POST /v1/admin/clock)")
      ->check(CLI::IsMember({"wall", "manual"}))
      ->capture_default_str();
  cmd->add_option("--sync", args->sync,
                  "full (fsync every commit) or normal (a power loss may lose the last "
                  "acknowledged commits; docs/storage.md)")
      ->check(CLI::IsMember({"full", "normal"}))
      ->capture_default_str();
  CLI::Option* cert = cmd->add_option("--tls-cert", options->tls_cert_file,
                                      "serve HTTPS (TLS 1.2+): the certificate chain, PEM")
                          ->check(CLI::ExistingFile);
  CLI::Option* key = cmd->add_option("--tls-key", options->tls_key_file,
                                     "the private key of --tls-cert, PEM")
                         ->check(CLI::ExistingFile);
  cert->needs(key);
  key->needs(cert);
  cmd->add_option("--log-file", args->log_file,
                  "write the log (JSON lines) to this file, or \"stderr\"; wins over the "
                  "configuration's [log] file (docs/operations.md)");
  cmd->add_option("--log-level", args->log_level,
                  "debug, info, warn or error; wins over the configuration's [log] level")
      ->check(CLI::IsMember({"debug", "info", "warn", "error"}));
  cmd->add_flag("--demo", options->demo,
                "on a new data directory, seed demo accounts with three months of history; "
                "print a dashboard link to one");
  cmd->callback([args, &exit_code] {
    args->serve.manual_clock = args->clock == "manual";
    args->serve.synchronous_full = args->sync == "full";
    if (!args->log_file.empty()) args->serve.log_file = args->log_file;
    if (!args->log_level.empty()) args->serve.log_level = log::parse_level(args->log_level);
    exit_code = server::serve(args->serve);
  });
}

}  // namespace tally::cli
