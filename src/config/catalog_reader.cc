// Reads the catalog: plans, packs and reward seasons (docs/catalog.md).
#include <algorithm>

#include "config/readers.h"
#include "ledger/team.h"
#include "ledger/text.h"

namespace tally::config::detail {
namespace {

constexpr size_t k_plans_max = 64;
constexpr size_t k_packs_max = 64;
constexpr size_t k_seasons_max = 64;
constexpr size_t k_prices_max = 64;
// 10^12 major units per credit (a trillion dollars), far beyond any price.
constexpr int64_t k_price_per_credit_micro_major_max = 1'000'000'000'000'000'000;

// An exact multiplier from an integer or a decimal string ("1.5" = 3/2 as 1500000/1000000).
Ratio read_ratio(const TomlReader& r, const toml::node& n, std::string_view what) {
  const Credits c = r.read_credits(n, what, Credits::from_credits(1'000'000));
  return Ratio{c.micro, k_micro_per_credit};
}

DailyReward read_reward(const TomlReader& r, const toml::node& n, const std::string& what) {
  const toml::table& t = r.as_table(n, what);
  r.check_keys(t, {"amount", "member_boost", "validity"}, what);
  DailyReward d;
  d.amount = r.read_credits(r.require(t, "amount", what), what + ".amount", k_catalog_amount_max);
  if (const toml::node* b = t.get("member_boost"))
    d.member_boost = read_ratio(r, *b, what + ".member_boost");
  if (const toml::node* v = t.get("validity")) d.validity = r.read_validity(*v, what + ".validity");
  return d;
}

Plan read_plan(const TomlReader& r, const toml::node& n, size_t index) {
  const std::string what = cat("plans[", index, "]");
  const toml::table& t = r.as_table(n, what);
  r.check_keys(
      t,
      {"id", "name", "default", "tier", "allocation", "period", "rollover_cap", "custom_allocation",
       "signup_grant", "signup_validity", "daily_reward", "member", "purchase_bonus_percent",
       "low_balance", "expiring_notice", "team_members"},
      what);
  Plan p;
  p.id = r.read_id(r.require(t, "id", what), what + ".id");
  const std::string name = cat("plan ", p.id);
  p.name = t.get("name") ? r.read_string(*t.get("name"), name + ".name", k_name_length_max) : p.id;
  p.tier = static_cast<int>(t.get("tier") ? r.read_integer(*t.get("tier"), name + ".tier", 0, 1000)
                                          : int64_t(index));
  if (const toml::node* a = t.get("allocation")) {
    p.allocation = r.read_credits(*a, name + ".allocation", k_catalog_amount_max);
  }
  if (const toml::node* per = t.get("period")) {
    const std::string s = r.read_string(*per, name + ".period", 16);
    auto period = parse_period(s);
    if (!period) r.fail(per->source(), name + ".period must be weekly, monthly or yearly");
    p.period = *period;
  }
  if (const toml::node* cap = t.get("rollover_cap")) {
    p.rollover_cap = r.read_credits(*cap, name + ".rollover_cap", k_catalog_amount_max);
  }
  if (const toml::node* c = t.get("custom_allocation")) {
    p.custom_allocation = r.read_bool(*c, name + ".custom_allocation");
  }
  if (const toml::node* g = t.get("signup_grant")) {
    p.signup_grant = r.read_credits(*g, name + ".signup_grant", k_catalog_amount_max);
  }
  if (const toml::node* v = t.get("signup_validity")) {
    p.signup_validity = r.read_validity(*v, name + ".signup_validity");
  }
  if (const toml::node* d = t.get("daily_reward"))
    p.daily_reward = read_reward(r, *d, name + ".daily_reward");
  if (const toml::node* m = t.get("member")) p.member = r.read_bool(*m, name + ".member");
  if (const toml::node* b = t.get("purchase_bonus_percent")) {
    p.purchase_bonus_percent = r.read_integer(*b, name + ".purchase_bonus_percent", 0, 1000);
  }
  if (const toml::node* tm = t.get("team_members")) {
    p.team_members = static_cast<uint32_t>(
        r.read_integer(*tm, name + ".team_members", 0, static_cast<int64_t>(k_team_members_max)));
  }
  if (const toml::node* low = t.get("low_balance")) {
    p.low_balance = r.read_credits(*low, name + ".low_balance", k_catalog_amount_max);
  }
  if (const toml::node* notice = t.get("expiring_notice")) {
    p.expiring_notice_us = r.read_duration_us(*notice, name + ".expiring_notice");
  }
  if (p.custom_allocation && p.allocation.is_positive()) {
    r.fail(t.source(), name + ": a custom_allocation plan takes its allocation per subscription");
  }
  return p;
}

void read_prices(const TomlReader& r, const toml::node& n, const std::string& what,
                 const std::string& region, Pack* p) {
  const toml::table& t = r.as_table(n, what);
  for (const auto& [key, node] : r.in_file_order(t)) {
    auto currency = parse_currency(key->str());
    if (!currency) {
      r.fail(key->source(),
             cat(what, ": \"", key->str(), "\" is not an ISO 4217 currency code such as USD"));
    }
    const int64_t minor = r.read_integer(
        *node, cat(what, ".", key->str(), " (integer minor units, e.g. 999 for 9.99)"), 0,
        int64_t{1} << 50);
    p->prices.push_back(PackPrice{Money{*currency, minor}, region});
  }
}

Pack read_pack(const TomlReader& r, const toml::node& n, size_t index) {
  const std::string what = cat("packs[", index, "]");
  const toml::table& t = r.as_table(n, what);
  r.check_keys(
      t,
      {"id", "name", "credits", "prices", "regions", "validity", "bonus", "bonus_validity",
       "payment_surcharges"},
      what);
  Pack p;
  p.id = r.read_id(r.require(t, "id", what), what + ".id");
  const std::string name = cat("pack ", p.id);
  p.name = t.get("name") ? r.read_string(*t.get("name"), name + ".name", k_name_length_max) : p.id;
  p.credits =
      r.read_credits(r.require(t, "credits", name), name + ".credits", k_catalog_amount_max);
  if (!p.credits.is_positive()) r.fail(t.get("credits")->source(), name + ".credits must be > 0");
  read_prices(r, r.require(t, "prices", name), name + ".prices", "", &p);
  if (const toml::node* regions = t.get("regions")) {
    const toml::table& rt = r.as_table(*regions, name + ".regions");
    for (const auto& [key, node] : r.in_file_order(rt)) {
      r.check_id(key->source(), key->str(), name + " region");
      read_prices(r, *node, cat(name, ".regions.", key->str()), std::string(key->str()), &p);
    }
  }
  if (p.prices.size() > k_prices_max)
    r.fail(t.source(), cat(name, " has more than ", k_prices_max, " prices"));
  // The price of one credit is shown (price table, GET /v1/packs) in millionths of the major
  // unit, an int64: a huge price for a tiny pack would not fit.
  for (const PackPrice& pp : p.prices) {
    __int128 micro_major = pp.price.minor;
    for (int i = currency_exponent(pp.price.currency); i < 12; ++i) micro_major *= 10;
    if (micro_major / p.credits.micro > k_price_per_credit_micro_major_max) {
      r.fail(t.source(), cat(name, ": a price of ", format_money(pp.price), " for ",
                             format_credits(p.credits), " credits is too much per credit"));
    }
  }
  if (const toml::node* v = t.get("validity")) p.validity = r.read_validity(*v, name + ".validity");
  if (const toml::node* b = t.get("bonus"))
    p.bonus = r.read_credits(*b, name + ".bonus", k_catalog_amount_max);
  if (const toml::node* v = t.get("bonus_validity")) {
    p.bonus_validity = r.read_validity(*v, name + ".bonus_validity");
  }
  if (const toml::node* s = t.get("payment_surcharges")) {
    const toml::table& st = r.as_table(*s, name + ".payment_surcharges");
    if (st.size() > k_prices_max) r.fail(s->source(), cat(name, ": at most ", k_prices_max, " payment surcharges"));
    for (const auto& [key, node] : r.in_file_order(st)) {
      r.check_id(key->source(), key->str(), name + " payment method");
      p.payment_surcharges.push_back(PaymentSurcharge{
          std::string(key->str()),
          r.read_integer(*node, cat(name, ".payment_surcharges.", key->str(), " (percent)"), 0,
                         100)});
    }
  }
  return p;
}

Season read_season(const TomlReader& r, const toml::node& n, size_t index) {
  const std::string what = cat("seasons[", index, "]");
  const toml::table& t = r.as_table(n, what);
  r.check_keys(t, {"id", "from", "to", "amount", "multiplier"}, what);
  Season s;
  s.id = r.read_id(r.require(t, "id", what), what + ".id");
  const std::string name = cat("season ", s.id);
  s.from = r.read_time(r.require(t, "from", name), name + ".from");
  s.to = r.read_time(r.require(t, "to", name), name + ".to");
  if (s.to <= s.from) r.fail(t.get("to")->source(), name + ".to must be after from");
  const toml::node* amount = t.get("amount");
  const toml::node* multiplier = t.get("multiplier");
  if ((amount == nullptr) == (multiplier == nullptr)) {
    r.fail(t.source(), name + " needs exactly one of amount, multiplier");
  }
  if (amount) s.amount = r.read_credits(*amount, name + ".amount", k_catalog_amount_max);
  if (multiplier) s.multiplier = read_ratio(r, *multiplier, name + ".multiplier");
  return s;
}

template <typename T, typename Read>
std::vector<T> read_list(const TomlReader& r, const toml::table& root, std::string_view key,
                         size_t max, Read read) {
  std::vector<T> out;
  const toml::node* n = root.get(key);
  if (n == nullptr) return out;
  const toml::array& arr = r.as_array(*n, cat(key, " (write [[", key, "]])"));
  if (arr.size() > max) r.fail(n->source(), cat("at most ", max, " ", key));
  for (size_t i = 0; i < arr.size(); ++i) {
    out.push_back(read(r, arr[i], i));
    for (size_t j = 0; j + 1 < out.size(); ++j) {
      if (out[j].id == out.back().id) {
        r.fail(arr[i].source(), cat(key, ": the id \"", out.back().id, "\" appears twice"));
      }
    }
  }
  return out;
}

}  // namespace

Catalog read_catalog(const TomlReader& r, const toml::table& root) {
  Catalog c;
  c.plans = read_list<Plan>(r, root, "plans", k_plans_max, read_plan);
  c.packs = read_list<Pack>(r, root, "packs", k_packs_max, read_pack);
  c.seasons = read_list<Season>(r, root, "seasons", k_seasons_max, read_season);
  // At most one plan is the default: accounts opened without a plan join it.
  if (const toml::node* plans = root.get("plans")) {
    const toml::array& arr = *plans->as_array();
    for (size_t i = 0; i < arr.size(); ++i) {
      const toml::node* d = arr[i].as_table()->get("default");
      if (d == nullptr || !r.read_bool(*d, cat("plan ", c.plans[i].id, ".default"))) continue;
      if (!c.default_plan.empty()) {
        r.fail(d->source(), cat("plans \"", c.default_plan, "\" and \"", c.plans[i].id,
                                "\" are both the default; at most one may be"));
      }
      if (c.plans[i].custom_allocation) {
        r.fail(d->source(), "a custom_allocation plan cannot be the default");
      }
      c.default_plan = c.plans[i].id;
    }
  }
  return c;
}

}  // namespace tally::config::detail
