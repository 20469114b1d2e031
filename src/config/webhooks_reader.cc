// Reads [webhooks] (docs/webhooks.md): how deliveries are sent and retried.
#include "config/readers.h"
#include "ledger/text.h"

namespace tally::config::detail {

WebhooksConfig read_webhooks(const TomlReader& r, const toml::table& root) {
  WebhooksConfig c;
  const toml::node* n = root.get("webhooks");
  if (n == nullptr) return c;
  const toml::table& t = r.as_table(*n, "webhooks");
  r.check_keys(t, {"timeout", "retry_first", "retry_max", "give_up_after", "ca_file"},
               "[webhooks]");
  struct Window {
    const char* key;
    int64_t* field;
    int64_t max_us;
  };
  for (const Window& w : {Window{"timeout", &c.timeout_us, 10 * k_us_per_minute},
                          Window{"retry_first", &c.retry_first_us, k_us_per_day},
                          Window{"retry_max", &c.retry_max_us, 7 * k_us_per_day},
                          Window{"give_up_after", &c.give_up_after_us, 30 * k_us_per_day}}) {
    const toml::node* v = t.get(w.key);
    if (v == nullptr) continue;
    const std::string what = cat("webhooks.", w.key);
    *w.field = r.read_duration_us(*v, what);
    if (*w.field <= 0) r.fail(v->source(), cat(what, " must be longer than zero"));
    if (*w.field > w.max_us) r.fail(v->source(), cat(what, " is too long"));
  }
  if (c.retry_first_us > c.retry_max_us) {
    r.fail(t.source(), "webhooks.retry_first must not exceed webhooks.retry_max");
  }
  if (const toml::node* v = t.get("ca_file"))
    c.ca_file = r.read_string(*v, "webhooks.ca_file", 4096);
  return c;
}

}  // namespace tally::config::detail
