// Reads [store]: where the shards' ledger lives (docs/storage.md "PostgreSQL"). Without it, or
// without `url`, the embedded SQLite store in the data directory.
#include "config/readers.h"
#include "ledger/text.h"

namespace tally::config::detail {

StoreConfig read_store(const TomlReader& r, const toml::table& root) {
  StoreConfig c;
  const toml::node* n = root.get("store");
  if (n == nullptr) return c;
  const toml::table& t = r.as_table(*n, "store");
  r.check_keys(t, {"url", "schema", "lease", "node_id"}, "[store]");
  if (const toml::node* v = t.get("url")) {
    c.url = r.read_string(*v, "store.url", 4096);
    if (!c.url.starts_with("postgresql://") && !c.url.starts_with("postgres://")) {
      r.fail(v->source(),
             "store.url must be a PostgreSQL URL (postgresql://USER@HOST:PORT/DB); "
             "without it the ledger is in the data directory (SQLite)");
    }
  }
  if (const toml::node* v = t.get("schema")) {
    c.schema = r.read_string(*v, "store.schema", 63);
    if (c.schema.empty() ||
        c.schema.find_first_not_of("abcdefghijklmnopqrstuvwxyz0123456789_") != std::string::npos ||
        (c.schema[0] >= '0' && c.schema[0] <= '9')) {
      r.fail(v->source(), "store.schema must be 1-63 of a-z 0-9 _, not starting with a digit");
    }
    if (c.url.empty()) r.fail(v->source(), "store.schema needs store.url");
  }
  if (const toml::node* v = t.get("lease")) {
    c.lease_us = r.read_duration_us(*v, "store.lease");
    // Renewed every third of it: shorter than half a second is renewing all the time, longer
    // than five minutes is a failover nobody waits for.
    if (c.lease_us < k_us_per_second / 2 || c.lease_us > 300 * k_us_per_second) {
      r.fail(v->source(), "store.lease must be from PT0.5S to PT5M");
    }
  }
  if (const toml::node* v = t.get("node_id")) {
    c.node_id = r.read_string(*v, "store.node_id", 128);
    if (c.node_id.empty() ||
        c.node_id.find_first_not_of("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
                                    "0123456789._:/@-") != std::string::npos) {
      r.fail(v->source(), "store.node_id must be 1-128 of A-Z a-z 0-9 . _ : / @ -");
    }
  }
  return c;
}

}  // namespace tally::config::detail
