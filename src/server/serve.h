// `tally serve`: loads the configuration, recovers the data directory, starts the shards,
// the HTTP API and (issue 8) the dashboard, and runs until SIGTERM or SIGINT, when it stops
// accepting, answers and commits everything in flight, and returns 0. SIGHUP reloads the
// configuration file (server/reload.h) and reopens the log file.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "log/log.h"

namespace tally::server {

struct ServeOptions {
  std::string config_file;  // empty: the embedded default configuration
  std::string data_dir = "tally-data";
  // The ledger in PostgreSQL (postgresql://...; wins over the configuration's [store] url);
  // empty: [store], else SQLite files in data_dir. The data directory keeps the rest (keys,
  // payments, price books, webhooks) either way.
  std::string store_url;
  std::string listen = "127.0.0.1:8080";
  size_t shards = 0;        // 0: the number of cores
  size_t http_threads = 2;
  // Threads per shard: 2 applies the next batch while the last one commits (a writer thread
  // per shard), 1 applies and commits on one thread (service.h, ServiceOptions::overlap_commit).
  size_t shard_threads = 1;
  bool manual_clock = false;  // tests only: POST /v1/admin/clock sets the time
  bool synchronous_full = true;
  // Seed demo accounts with three months of history on a new data directory (src/server/demo.h).
  bool demo = false;
  // The base of dashboard links in tokens ("https://credits.example.com"); empty: the address
  // the server listens on (never a request's Host header).
  std::string public_url;
  // HTTPS (TLS 1.2 or later) with this certificate chain and private key, both PEM files;
  // empty: plain HTTP.
  std::string tls_cert_file;
  std::string tls_key_file;
  // The log's file ("stderr": standard error) and level; they win over the configuration's
  // [log], also after a reload.
  std::optional<std::string> log_file;
  std::optional<log::Level> log_level;
};

// Runs the server; returns the process exit status (0 after a graceful shutdown, 1 if it
// could not start). Where things are goes to stdout, for people; events and failures go to the
// log (JSON lines, log.h: standard error unless [log] or --log-file names a file, and then a
// failure to start is also said on standard error).
int serve(const ServeOptions& options);

// The configuration `tally serve` runs when given none (config/default.toml, built in).
std::string_view default_config_text();

}  // namespace tally::server
