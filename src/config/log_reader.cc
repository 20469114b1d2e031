// Reads [log]: where `tally serve` writes its JSON lines and what it writes
// (docs/operations.md "Logs").
#include "config/readers.h"
#include "ledger/text.h"

namespace tally::config::detail {

LogConfig read_log(const TomlReader& r, const toml::table& root) {
  LogConfig c;
  const toml::node* n = root.get("log");
  if (n == nullptr) return c;
  const toml::table& t = r.as_table(*n, "log");
  r.check_keys(t, {"file", "level", "access", "commit_stall"}, "[log]");
  if (const toml::node* v = t.get("file")) {
    c.log.file = r.read_string(*v, "log.file", 4096);
    if (c.log.file.empty()) r.fail(v->source(), "log.file must be a path, or \"stderr\"");
  }
  if (const toml::node* v = t.get("level")) {
    const std::string s = r.read_string(*v, "log.level", 16);
    auto level = log::parse_level(s);
    if (!level) r.fail(v->source(), cat("log.level must be debug, info, warn or error, not ", quoted(s)));
    c.log.level = *level;
  }
  if (const toml::node* v = t.get("access")) c.log.access = r.read_bool(*v, "log.access");
  if (const toml::node* v = t.get("commit_stall")) {
    c.commit_stall_us = r.read_duration_us(*v, "log.commit_stall");
    if (c.commit_stall_us > 3600 * k_us_per_second) r.fail(v->source(), "log.commit_stall is too long (at most PT1H)");
  }
  return c;
}

}  // namespace tally::config::detail
