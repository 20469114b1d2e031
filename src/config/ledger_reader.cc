// Reads [ledger]: the consumption policy, source priorities, default validity by source
// (DESIGN rule 5), refund grace, hold TTLs, retention windows and bounds (docs/catalog.md).
#include <algorithm>

#include "config/readers.h"
#include "ledger/text.h"

namespace tally::config::detail {
namespace {

Source read_source(const TomlReader& r, const toml::node& n, std::string_view what) {
  const std::string s = r.read_string(n, what, 32);
  auto source = parse_source(s);
  if (!source) {
    r.fail(n.source(), cat(what, " \"", s, "\" is not a source: signup, subscription, rollover, ",
                           "reward, promo, admin, purchase or refund"));
  }
  return *source;
}

void read_priority(const TomlReader& r, const toml::node& n, LedgerConfig* c) {
  const toml::array& arr = r.as_array(n, "ledger.source_priority");
  if (arr.size() != k_source_count) {
    r.fail(n.source(), cat("ledger.source_priority must list all ", k_source_count,
                           " sources once, first consumed first"));
  }
  std::array<bool, k_source_count> seen{};
  for (size_t i = 0; i < arr.size(); ++i) {
    const Source s = read_source(r, arr[i], "ledger.source_priority entry");
    if (seen[static_cast<size_t>(s)]) {
      r.fail(arr[i].source(), cat("ledger.source_priority names ", source_name(s), " twice"));
    }
    seen[static_cast<size_t>(s)] = true;
    c->source_priority[static_cast<size_t>(s)] = static_cast<uint8_t>(i);
  }
}

void read_validities(const TomlReader& r, const toml::node& n, LedgerConfig* c) {
  const toml::table& t = r.as_table(n, "ledger.validity");
  for (auto&& [key, node] : t) {
    auto source = parse_source(key.str());
    if (!source || *source == Source::refund) {
      r.fail(key.source(), cat("ledger.validity: \"", key.str(), "\" is not a source with a ",
                               "default validity (signup, subscription, rollover, reward, promo,",
                               " admin, purchase; refund lots use ledger.refund_grace)"));
    }
    c->default_validity[static_cast<size_t>(*source)] =
        r.read_validity(node, cat("ledger.validity.", key.str()));
  }
}

void read_limits(const TomlReader& r, const toml::node& n, LedgerConfig* c) {
  const toml::table& t = r.as_table(n, "ledger.limits");
  r.check_keys(t, {"lots_per_account", "holds_per_account"}, "ledger.limits");
  if (const toml::node* v = t.get("lots_per_account")) {
    c->lots_per_account_max =
        static_cast<uint32_t>(r.read_integer(*v, "ledger.limits.lots_per_account", 1, 10'000));
  }
  if (const toml::node* v = t.get("holds_per_account")) {
    c->holds_per_account_max =
        static_cast<uint32_t>(r.read_integer(*v, "ledger.limits.holds_per_account", 1, 10'000));
  }
}

}  // namespace

LedgerConfig read_ledger(const TomlReader& r, const toml::table& root) {
  LedgerConfig c;
  const toml::node* n = root.get("ledger");
  if (n == nullptr) return c;
  const toml::table& t = r.as_table(*n, "ledger");
  r.check_keys(
      t,
      {"consumption_order", "source_priority", "validity", "refund_grace", "hold_ttl_default",
       "hold_ttl_max", "spend_retention", "purchase_retention", "idempotency_retention", "memory_window",
       "event_retention", "limits"},
      "[ledger]");
  if (const toml::node* v = t.get("consumption_order")) {
    const std::string s = r.read_string(*v, "ledger.consumption_order", 32);
    auto p = parse_policy(s);
    if (!p) r.fail(v->source(), "ledger.consumption_order must be expiry_first or priority_first");
    c.policy = *p;
  }
  if (const toml::node* v = t.get("source_priority")) read_priority(r, *v, &c);
  if (const toml::node* v = t.get("validity")) read_validities(r, *v, &c);
  struct Window {
    const char* key;
    int64_t* field;
    int64_t max_us;
  };
  for (const Window& w :
       {Window{"refund_grace", &c.refund_grace_us, 366 * k_us_per_day},
        // DESIGN rule 2: a hold lives at most 24 hours.
        Window{"hold_ttl_default", &c.hold_ttl_default_us, k_us_per_day},
        Window{"hold_ttl_max", &c.hold_ttl_max_us, k_us_per_day},
        Window{"spend_retention", &c.spend_retention_us, 3660 * k_us_per_day},
        Window{"purchase_retention", &c.purchase_retention_us, 3660 * k_us_per_day},
        Window{"idempotency_retention", &c.idempotency_retention_us, 3660 * k_us_per_day},
        Window{"memory_window", &c.memory_window_us, 3660 * k_us_per_day},
        Window{"event_retention", &c.event_retention_us, 3660 * k_us_per_day},
        Window{"auto_topup_timeout", &c.auto_topup_timeout_us, 30 * k_us_per_day},
        Window{"auto_topup_backoff", &c.auto_topup_backoff_us, 30 * k_us_per_day}}) {
    const toml::node* v = t.get(w.key);
    if (v == nullptr) continue;
    const std::string what = cat("ledger.", w.key);
    *w.field = r.read_duration_us(*v, what);
    if (*w.field > w.max_us) r.fail(v->source(), cat(what, " is too long"));
  }
  c.default_validity[static_cast<size_t>(Source::refund)] =
      Validity::duration_us(c.refund_grace_us);
  if (c.hold_ttl_default_us > c.hold_ttl_max_us) {
    r.fail(t.source(), "ledger.hold_ttl_default must not exceed ledger.hold_ttl_max");
  }
  if (const toml::node* v = t.get("limits")) read_limits(r, *v, &c);
  return c;
}

}  // namespace tally::config::detail
