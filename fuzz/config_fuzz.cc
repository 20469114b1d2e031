// The configuration loader: the whole file as `tally serve --config` loads it
// (config::parse_config: [price_book], [[plans]], [[packs]], [[seasons]], [ledger]), and then
// what the server does with a loaded configuration before and while it serves.
//
// Properties of a configuration that loads:
//  - it passes its own validation: ids are unique and valid, the default plan and every plan
//    the price book includes models for exist, bounds of docs/pricing.md hold (tools, params,
//    options), amounts and prices are not negative, pack credits are positive, hold TTLs are
//    positive and the default is at most the maximum;
//  - every part of the server accepts it without an assertion: a ledger built on its policy and
//    catalog, the price table (/v1/pricing) and its JSON with the fairness score (`tally
//    lint`, one outcome per item, and the lines of its key paths), the plan and pack listings (/v1/plans,
//    /v1/packs, with prices per credit), a quote of every tool with its defaults;
//  - loading is deterministic: the same text gives the same price book.
// A refused configuration has an error with a message.
#include <rapidjson/document.h>

#include <algorithm>
#include <set>
#include <string>
#include <string_view>

#include "catalog/catalog.h"
#include "config/config.h"
#include "fuzz_check.h"
#include "ledger/ledger.h"
#include "lint/lint.h"
#include "pricing/quote.h"
#include "pricing/table.h"

namespace {

using namespace tally;

bool valid_id(std::string_view s) {
  return !s.empty() && s.size() <= 64 &&
         std::all_of(s.begin(), s.end(), [](char c) { return is_id_char(c); });
}

void check_catalog(const Catalog& c) {
  std::set<std::string_view> plans, packs;
  for (const Plan& p : c.plans) {
    FUZZ_CHECK(valid_id(p.id) && plans.insert(p.id).second, "plan ids are unique ids");
    FUZZ_CHECK(!p.allocation.is_negative() && !p.rollover_cap.is_negative() &&
                   !p.signup_grant.is_negative(),
               "plan amounts are not negative");
    FUZZ_CHECK(c.find_plan(p.id) == &p, "find_plan finds each plan");
    // GET /v1/plans
    (void)format_validity(p.signup_validity);
    if (p.daily_reward) {
      FUZZ_CHECK(!p.daily_reward->amount.is_negative(), "rewards are not negative");
      FUZZ_CHECK(p.daily_reward->member_boost.den > 0, "ratios have a positive denominator");
      (void)format_validity(p.daily_reward->validity);
      (void)apply_ratio(p.daily_reward->amount, p.daily_reward->member_boost);
    }
  }
  FUZZ_CHECK(c.default_plan.empty() || c.find_plan(c.default_plan), "the default plan exists");
  for (const Pack& p : c.packs) {
    FUZZ_CHECK(valid_id(p.id) && packs.insert(p.id).second, "pack ids are unique ids");
    FUZZ_CHECK(p.credits.is_positive() && !p.bonus.is_negative(), "packs sell credits");
    FUZZ_CHECK(c.find_pack(p.id) == &p, "find_pack finds each pack");
    for (const PackPrice& pp : p.prices) {
      FUZZ_CHECK(pp.price.minor >= 0, "prices are not negative");
      // GET /v1/packs and the price table's text
      (void)format_major(pp.price);
      (void)format_money(pp.price);
      (void)format_price_per_credit_major(pp.price, p.credits);
      (void)format_price_per_credit(pp.price, p.credits);
      FUZZ_CHECK(p.price_for(currency_code(pp.price.currency), pp.region).has_value(),
                 "a pack is sold where it has a price");
    }
  }
  for (const Season& s : c.seasons) {
    FUZZ_CHECK(s.from < s.to, "seasons end after they start");
    FUZZ_CHECK(s.multiplier.den > 0, "season ratios have a positive denominator");
    FUZZ_CHECK(c.season_at(s.from) != nullptr, "a season is active at its start");
  }
}

void check_book(const pricing::PriceBook& book, const Catalog& catalog) {
  using namespace tally::pricing;
  FUZZ_CHECK(book.tools.size() <= k_tools_per_book_max, "at most 256 tools");
  FUZZ_CHECK(book.plans.size() <= k_plans_per_book_max, "at most 64 plans");
  if (!catalog.plans.empty()) {
    for (const std::string& plan : book.plans) {
      FUZZ_CHECK(catalog.find_plan(plan) != nullptr, "the book includes models for real plans");
    }
  }
  for (size_t i = 0; i < book.tools.size(); ++i) {
    const Tool& t = book.tools[i];
    FUZZ_CHECK(book.find_tool(t.id) == static_cast<int>(i), "find_tool finds each tool");
    FUZZ_CHECK(t.params.size() <= k_params_per_tool_max, "at most 16 params per tool");
    FUZZ_CHECK(!t.base.is_negative() && !t.minimum.is_negative(), "bases are not negative");
    FUZZ_CHECK(t.rounding.precision.is_positive(), "rounding precisions are positive");
    for (const Param& p : t.params) {
      FUZZ_CHECK(p.options.size() <= k_options_per_param_max, "at most 64 options");
      FUZZ_CHECK(p.min <= p.max || p.kind == ParamKind::choice || p.kind == ParamKind::toggle,
                 "ranges are ordered");
    }
    // A quote of the tool with its defaults (a refusal names a missing parameter).
    for (int plan = -1; plan < static_cast<int>(book.plans.size()) && plan < 2; ++plan) {
      auto q = quote(book, t.id, {}, plan < 0 ? "" : book.plans[plan]);
      if (q) FUZZ_CHECK(!q->total.is_negative(), "quotes are not negative");
      if (!q) FUZZ_CHECK(!q.error().detail.empty(), "refusals say why");
    }
  }
  // GET /v1/pricing: the table with the fairness score, as valid JSON.
  const PriceTable table = build_price_table(book, catalog.packs);
  const tally::lint::Report fairness = tally::lint::lint_config(&book, catalog);
  FUZZ_CHECK(fairness.items.size() == 7, "lint scores every item");
  const std::string json = render_table_json(
      table, [&](JsonWriter& w) {
        w.key("fairness");
        tally::lint::write_json(w, fairness);
      });
  rapidjson::Document doc;
  doc.Parse(json.data(), json.size());
  FUZZ_CHECK(!doc.HasParseError(), "the price table renders as valid JSON");
  (void)render_table_text(table);
  (void)render_table_markdown(table);
}

void check_ledger(const config::Config& c) {
  const LedgerConfig& l = c.ledger;
  FUZZ_CHECK(l.hold_ttl_default_us > 0 && l.hold_ttl_default_us <= l.hold_ttl_max_us,
             "the default hold TTL is positive and at most the maximum");
  FUZZ_CHECK(l.refund_grace_us > 0, "refund lots live a while");
  // The ledger asserts its configuration (a bug if the loader let a bad one through).
  Ledger ledger(l, c.catalog);
  std::vector<Entry> out;
  const TimeUs now{1'790'000'000LL * k_us_per_second};
  auto opened = ledger.apply(Request{"k1", OpenAccount{"a", "", false}}, now, &out);
  if (opened && !c.catalog->plans.empty()) {
    (void)ledger.apply(Request{"k2", ClaimDailyReward{"a"}}, now, &out);
    // A year of renewals at once (rule 6), every plan in turn.
    for (const Plan& p : c.catalog->plans) {
      (void)ledger.apply(Request{"p" + p.id, SetPlan{"a", p.id, std::nullopt}}, now, &out);
    }
    (void)ledger.apply(Request{"", AdvanceTime{}}, add_us(now, 400 * k_us_per_day), &out);
  }
  if (!c.catalog->packs.empty()) {
    const Pack& pack = c.catalog->packs.front();
    if (!pack.prices.empty()) {
      const PackPrice& pp = pack.prices.front();
      (void)ledger.apply(
          Request{"k3", Purchase{"a", pack.id, std::string(currency_code(pp.price.currency)),
                                 pp.region, "pay-1"}},
          add_us(now, 400 * k_us_per_day), &out);
    }
  }
  const auto violations = ledger.check_invariants();
  FUZZ_CHECK(violations.empty(), "rule 9 invariants hold on a loaded configuration");
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  auto c = config::parse_config(text, "fuzz.toml");
  if (!c) {
    FUZZ_CHECK(!c.error().detail.empty(), "a refused configuration says why");
    return 0;
  }
  FUZZ_CHECK(c->catalog != nullptr, "a catalog, perhaps empty");
  check_catalog(*c->catalog);
  if (c->price_book) {
    check_book(*c->price_book, *c->catalog);
    auto again = config::parse_config(text, "fuzz.toml");
    FUZZ_CHECK(again && again->price_book && again->price_book->same_content(*c->price_book),
               "loading is deterministic");
  }
  check_ledger(*c);
  // `tally lint FILE`: the report, located in the text (a catalog without a book is scored too).
  const tally::lint::Report r = tally::lint::lint_config(c->price_book.get(), *c->catalog);
  std::vector<std::string> paths;
  for (const tally::lint::Item& i : r.items) paths.push_back(i.where);
  for (uint32_t line : config::lines_of(text, paths)) {
    FUZZ_CHECK(line <= size + 1, "a located line is a line of the file");
  }
  (void)tally::lint::render_text(r, "fuzz.toml");
  return 0;
}
