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
  r.check_keys(t, {"url", "schema"}, "[store]");
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
  return c;
}

}  // namespace tally::config::detail
