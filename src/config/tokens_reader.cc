// Reads [tokens] (docs/api.md "What end users may change"): whether an end-user token may
// change its own account's alerts and auto top-up, and the packs and threshold it may choose.
#include "config/readers.h"
#include "ledger/text.h"

namespace tally::config::detail {

TokensConfig read_tokens(const TomlReader& r, const toml::table& root, const Catalog& catalog) {
  TokensConfig c;
  const toml::node* n = root.get("tokens");
  if (n == nullptr) return c;
  const toml::table& t = r.as_table(*n, "tokens");
  r.check_keys(t, {"edit_alerts", "edit_auto_topup", "auto_topup_packs", "auto_topup_below_max"},
               "[tokens]");
  if (const toml::node* v = t.get("edit_alerts"))
    c.edit_alerts = r.read_bool(*v, "tokens.edit_alerts");
  if (const toml::node* v = t.get("edit_auto_topup")) {
    c.edit_auto_topup = r.read_bool(*v, "tokens.edit_auto_topup");
  }
  if (const toml::node* v = t.get("auto_topup_packs")) {
    const toml::array& packs = r.as_array(*v, "tokens.auto_topup_packs");
    if (packs.empty()) {
      r.fail(v->source(), "tokens.auto_topup_packs is empty: leave it out to allow every pack");
    }
    for (size_t i = 0; i < packs.size(); ++i) {
      const std::string what = cat("tokens.auto_topup_packs[", i, "]");
      std::string id = r.read_id(packs[i], what);
      if (catalog.find_pack(id) == nullptr) {
        r.fail(packs[i].source(), cat(what, ": no pack ", quoted(id), " in [[packs]]"));
      }
      c.auto_topup_packs.push_back(std::move(id));
    }
  }
  if (const toml::node* v = t.get("auto_topup_below_max")) {
    c.auto_topup_below_max =
        r.read_credits(*v, "tokens.auto_topup_below_max", k_catalog_amount_max);
    if (!c.auto_topup_below_max->is_positive()) {
      r.fail(v->source(), "tokens.auto_topup_below_max must be more than zero");
    }
  }
  return c;
}

}  // namespace tally::config::detail
