// The checks of the fair-pricing checklist (lint.h). Each check lists its findings; the item
// shows the worst one and counts the others, so a line stays one line.
#include "lint/lint.h"

#include <algorithm>
#include <cctype>
#include <optional>
#include <set>
#include <utility>

#include "ledger/check.h"
#include "ledger/text.h"
#include "ledger/time.h"
#include "pricing/table.h"

namespace tally::lint {
namespace {

struct Finding {
  Outcome outcome;
  std::string why;
  std::string where;
};

// The item of a check: its worst finding (the first of them), or `pass_why` when none.
Item make_item(std::string id, std::string title, const std::vector<Finding>& findings,
               std::string pass_why, std::string pass_where = {}) {
  Item item{std::move(id), std::move(title), Outcome::pass, std::move(pass_why),
            std::move(pass_where)};
  const Finding* worst = nullptr;
  for (const Finding& f : findings) {
    if (worst == nullptr || f.outcome > worst->outcome) worst = &f;
  }
  if (worst == nullptr) return item;
  item.outcome = worst->outcome;
  item.why = worst->why;
  item.where = worst->where;
  if (findings.size() > 1) item.why += cat(" (and ", findings.size() - 1, " more)");
  return item;
}

std::string pack_path(size_t i) {
  return cat("packs[", i, "]");
}

// "USD 9.99 for 100 credits is 0.0999 a credit"
std::string per_credit_text(const Pack& p, const PackPrice& pp) {
  return cat(format_money(pp.price), pp.region.empty() ? "" : cat(" in ", pp.region), " for ",
             format_credits(p.credits), " credits is ",
             format_price_per_credit_major(pp.price, p.credits), " a credit");
}

std::string price_path(size_t i, const PackPrice& pp) {
  return pp.region.empty() ? cat(pack_path(i), ".prices.", currency_code(pp.price.currency))
                           : cat(pack_path(i), ".regions.", pp.region, ".",
                                 currency_code(pp.price.currency));
}

Item credit_ratio(const Catalog& c) {
  if (c.packs.empty()) {
    return make_item("credit_ratio", "credit-to-money ratio shown and simple",
                     {{Outcome::warn, "no [[packs]]: the configuration sets no money price for a credit", ""}},
                     "");
  }
  std::vector<Finding> findings;
  for (size_t i = 0; i < c.packs.size(); ++i) {
    const Pack& p = c.packs[i];
    for (const PackPrice& pp : p.prices) {
      // Simple: exact to a tenth of the currency's minor unit ($0.05, $0.005), so that the
      // cost of a job is mental arithmetic, not a calculator's.
      const __int128 tenths = static_cast<__int128>(pp.price.minor) * 10 * k_micro_per_credit;
      if (tenths % p.credits.micro != 0) {
        findings.push_back({Outcome::warn,
                            cat("pack ", p.id, ": ", per_credit_text(p, pp), ", not a round figure"),
                            price_path(i, pp)});
      }
    }
  }
  pricing::PriceTable shown;
  shown.credit_values = pricing::credit_values(c.packs);
  return make_item("credit_ratio", "credit-to-money ratio shown and simple", findings,
                   cat(pricing::credit_value_line(shown), ", on the public price page"), "packs");
}

// The numbers a description gives as credits: "1 credit is a standard image" -> {"1"}.
std::vector<std::string> stated_credits(std::string_view text) {
  std::vector<std::string> out;
  for (size_t i = 0; i < text.size();) {
    if (!std::isdigit(static_cast<unsigned char>(text[i]))) {
      ++i;
      continue;
    }
    size_t j = i;
    while (j < text.size() && (std::isdigit(static_cast<unsigned char>(text[j])) ||
                               text[j] == '.' || text[j] == ',')) {
      ++j;
    }
    std::string number(text.substr(i, j - i));
    while (!number.empty() && (number.back() == '.' || number.back() == ',')) number.pop_back();
    std::erase(number, ',');
    if (text.substr(j).starts_with(" credit")) out.push_back(number);
    i = j;
  }
  return out;
}

Item tool_costs(const pricing::PriceBook* book) {
  const char* title = "every tool's cost public before use";
  if (book == nullptr || book->tools.empty()) {
    return make_item("tool_costs", title,
                     {{Outcome::fail, "no [price_book] tools: no cost can be seen before use", ""}},
                     "");
  }
  std::vector<Finding> findings;
  const pricing::PriceTable table = pricing::build_price_table(*book, {});
  for (const pricing::TableTool& t : table.tools) {
    const std::vector<std::string> stated = stated_credits(t.description);
    if (stated.empty() || !t.default_total) continue;
    const std::string actual = format_credits(*t.default_total);
    if (std::find(stated.begin(), stated.end(), actual) != stated.end()) continue;
    findings.push_back({Outcome::warn,
                        cat("tool ", t.id, ": the description says ", stated.front(),
                            stated.front() == "1" ? " credit" : " credits",
                            ", but the job with the default options costs ", actual),
                        cat("price_book.tools.", t.id, ".description")});
  }
  return make_item("tool_costs", title, findings,
                   cat("every tool (", table.tools.size(),
                       ") and option is priced on the public price page"),
                   "price_book");
}

std::string plural(int64_t n, std::string_view unit) {
  return cat(n, " ", unit, n == 1 ? "" : "s");
}

// A validity in words: "30 days", "1 year", "6 months"; an ISO duration when not whole days.
std::string validity_text(const Validity& v) {
  if (v.kind == Validity::Kind::never) return "never";
  if (v.kind == Validity::Kind::months) {
    return v.count % 12 == 0 ? plural(v.count / 12, "year") : plural(v.count, "month");
  }
  if (v.count % k_us_per_day == 0) return plural(v.count / k_us_per_day, "day");
  return format_validity(v);
}

// Within a month: the guide's "expire within days" and "monthly expiration".
bool within_a_month(const Validity& v) {
  if (v.kind == Validity::Kind::never) return false;
  if (v.kind == Validity::Kind::months) return v.count <= 1;
  return v.count <= 31 * k_us_per_day;
}

// Longer-lived or equal: never beats any finite validity; months and durations compare by
// their nominal length (a month as 31 days, so that "P1M" is not shorter than "P30D").
int64_t nominal_us(const Validity& v) {
  if (v.kind == Validity::Kind::never) return INT64_MAX;
  return v.kind == Validity::Kind::months ? v.count * 31 * k_us_per_day : v.count;
}

Item expiry(const Catalog& c) {
  std::vector<Finding> findings;
  for (size_t i = 0; i < c.plans.size(); ++i) {
    const Plan& p = c.plans[i];
    if (!p.allocation.is_positive() && !p.custom_allocation) continue;
    const std::string path = cat("plans[", i, "].rollover_cap");
    const std::string amount =
        p.custom_allocation ? std::string("contracted") : format_credits(p.allocation);
    if (p.rollover_cap.is_zero()) {
      findings.push_back({Outcome::fail,
                          cat("plan ", p.id, ": its ", amount, " ", period_name(p.period),
                              " credits vanish unused at each period end (no rollover)"),
                          path});
    } else {
      findings.push_back({Outcome::warn,
                          cat("plan ", p.id, ": unused credits roll over (at most ",
                              format_credits(p.rollover_cap), "), the rest expires at each ",
                              period_name(p.period), " period end"),
                          path});
    }
  }
  for (size_t i = 0; i < c.packs.size(); ++i) {
    const Pack& p = c.packs[i];
    if (p.validity.kind == Validity::Kind::never) continue;
    findings.push_back({within_a_month(p.validity) ? Outcome::fail : Outcome::warn,
                        cat("pack ", p.id, ": purchased credits expire ",
                            validity_text(p.validity), " after purchase"),
                        pack_path(i) + ".validity"});
  }
  return make_item("expiry", "expiry policy", findings,
                   "purchased credits never expire and no plan's credits expire at a period end");
}

Item bonus_expiry(const Catalog& c) {
  const bool plan_bonus = std::any_of(c.plans.begin(), c.plans.end(), [](const Plan& p) {
    return p.purchase_bonus_percent > 0;
  });
  std::vector<Finding> findings;
  for (size_t i = 0; i < c.packs.size(); ++i) {
    const Pack& p = c.packs[i];
    if (!p.bonus.is_positive() && !plan_bonus) continue;
    const std::string what = p.bonus.is_positive()
                                 ? cat("its ", format_credits(p.bonus), " bonus credits")
                                 : std::string("plan purchase bonus credits");
    if (within_a_month(p.bonus_validity)) {
      findings.push_back({Outcome::fail,
                          cat("pack ", p.id, ": ", what, " expire ",
                              validity_text(p.bonus_validity), " after purchase"),
                          pack_path(i) + ".bonus_validity"});
    } else if (nominal_us(p.bonus_validity) < nominal_us(p.validity)) {
      findings.push_back({Outcome::warn,
                          cat("pack ", p.id, ": ", what, " expire before the credits bought (",
                              validity_text(p.bonus_validity), " against ",
                              validity_text(p.validity), ")"),
                          pack_path(i) + ".bonus_validity"});
    }
  }
  return make_item("bonus_expiry", "bonus credits that expire within days", findings,
                   "no bonus credits expire sooner than the credits they come with");
}

Item price_variation(const Catalog& c) {
  std::vector<Finding> findings;
  bool regional = false;
  for (size_t i = 0; i < c.packs.size(); ++i) {
    const Pack& p = c.packs[i];
    for (const PaymentSurcharge& s : p.payment_surcharges) {
      if (s.percent == 0) continue;
      findings.push_back({Outcome::fail,
                          cat("pack ", p.id, " costs ", s.percent, "% more paid with ", s.method),
                          cat(pack_path(i), ".payment_surcharges.", s.method)});
    }
    for (const PackPrice& pp : p.prices) regional = regional || !pp.region.empty();
  }
  for (size_t i = 0; i < c.seasons.size(); ++i) {
    const Season& s = c.seasons[i];
    findings.push_back({Outcome::warn,
                        cat("season ", s.id, " changes the daily reward from ",
                            format_time(s.from).substr(0, 10), " to ",
                            format_time(s.to).substr(0, 10), ": a time-limited offer"),
                        cat("seasons[", i, "]")});
  }
  return make_item("price_variation", "prices that vary by payment method or time", findings,
                   regional ? "one price per pack, currency and region; none by payment method or time"
                            : "one price per pack and currency; none by payment method or time");
}

// The price a buyer in `region` pays, as the pack lists it: the region's own, else the
// any-region one (Pack::price_for), so that a finding points at the key that sets it.
PackPrice own_price(const Pack& p, std::string_view currency, std::string_view region) {
  const PackPrice* any = nullptr;
  for (const PackPrice& pp : p.prices) {
    if (currency_code(pp.price.currency) != currency) continue;
    if (pp.region == region) return pp;
    if (pp.region.empty()) any = &pp;
  }
  TALLY_CHECK(any != nullptr);
  return *any;
}

Item volume_tiers(const Catalog& c) {
  const char* title = "volume tiers with clear breakpoints";
  if (c.packs.size() < 2) {
    return make_item("volume_tiers", title,
                     {{Outcome::warn,
                       c.packs.empty() ? "no packs, so no volume tiers" : "one pack, no volume tiers",
                       c.packs.empty() ? "" : "packs"}},
                     "");
  }
  std::vector<Finding> findings;
  std::vector<size_t> order(c.packs.size());
  for (size_t i = 0; i < order.size(); ++i) order[i] = i;
  std::stable_sort(order.begin(), order.end(),
                   [&](size_t a, size_t b) { return c.packs[a].credits < c.packs[b].credits; });
  for (size_t k = 1; k < order.size(); ++k) {
    const Pack& a = c.packs[order[k - 1]];
    const Pack& b = c.packs[order[k]];
    if (a.credits == b.credits) {
      findings.push_back({Outcome::warn,
                          cat("packs ", a.id, " and ", b.id, " both sell ",
                              format_credits(a.credits), " credits: no clear breakpoint"),
                          pack_path(order[k]) + ".credits"});
    }
  }
  // Per currency and region (a region without its own price pays the any-region price): a
  // larger pack must not cost more per credit than a smaller one.
  std::set<std::pair<std::string, std::string>> markets;
  for (const Pack& p : c.packs) {
    for (const PackPrice& pp : p.prices) {
      markets.emplace(std::string(currency_code(pp.price.currency)), pp.region);
    }
  }
  for (const auto& [currency, region] : markets) {
    std::optional<size_t> prev;
    int64_t prev_e5 = 0;
    for (size_t i : order) {
      const std::optional<Money> price = c.packs[i].price_for(currency, region);
      if (!price) continue;
      const int64_t e5 = price_per_credit_e5(*price, c.packs[i].credits);
      if (prev && e5 > prev_e5 && c.packs[*prev].credits < c.packs[i].credits) {
        findings.push_back(
            {Outcome::fail,
             cat("pack ", c.packs[i].id, " (", format_credits(c.packs[i].credits),
                 " credits) costs more a credit than pack ", c.packs[*prev].id, " (",
                 format_credits(c.packs[*prev].credits), "): ",
                 format_per_credit_e5(price->currency, e5), " against ",
                 format_per_credit_e5(price->currency, prev_e5), " ", currency,
                 region.empty() ? "" : cat(" in ", region)),
             price_path(i, own_price(c.packs[i], currency, region))});
      }
      prev = i;
      prev_e5 = e5;
    }
  }
  return make_item("volume_tiers", title, findings,
                   cat(c.packs.size(), " packs; a larger one never costs more a credit"), "packs");
}

// Words that sell the same thing for more ("Flux Premium" against "Flux").
bool is_premium_word(std::string_view w) {
  for (std::string_view p : {"premium", "pro", "plus", "priority", "turbo", "express", "ultra",
                             "deluxe", "vip", "fast"}) {
    if (w == p) return true;
  }
  return false;
}

// The words of a label, lower case, and whether one of them is a premium word.
std::pair<std::vector<std::string>, bool> label_words(std::string_view label) {
  std::vector<std::string> words;
  bool premium = false;
  std::string w;
  for (size_t i = 0; i <= label.size(); ++i) {
    const unsigned char ch = i < label.size() ? static_cast<unsigned char>(label[i]) : ' ';
    if (std::isalnum(ch)) {
      w.push_back(static_cast<char>(std::tolower(ch)));
      continue;
    }
    if (w.empty()) continue;
    if (is_premium_word(w)) {
      premium = true;
    } else {
      words.push_back(w);
    }
    w.clear();
  }
  return {words, premium};
}

bool costs_more(const pricing::Effect& a, const pricing::Effect& b) {
  if (a.kind != b.kind) return false;
  return pricing::compare(a.amount, b.amount).value_or(0) > 0;
}

bool raises_cost(const pricing::Effect& e) {
  if (e.kind == pricing::EffectKind::add || e.kind == pricing::EffectKind::price) {
    return !e.amount.is_zero();
  }
  return e.kind == pricing::EffectKind::multiply &&
         pricing::compare(e.amount, pricing::Decimal::from_int(1)).value_or(0) > 0;
}

void premium_findings(const pricing::Tool& tool, size_t j, std::vector<Finding>& out) {
  const pricing::Param& p = tool.params[j];
  const std::string path = cat("price_book.tools.", tool.id, ".params[", j, "]");
  if (p.kind == pricing::ParamKind::toggle) {
    if (label_words(p.id + " " + p.name).second && p.has_default && p.default_value == 1 &&
        raises_cost(p.on)) {
      out.push_back({Outcome::warn,
                     cat(tool.id, ".", p.id, " is on by default and costs more (",
                         p.on.kind == pricing::EffectKind::multiply ? "×" : "+",
                         pricing::format_decimal(p.on.amount),
                         ") for the same output unless the user turns it off"),
                     path + ".default"});
    }
    return;
  }
  if (p.kind != pricing::ParamKind::choice) return;
  for (const pricing::Option& a : p.options) {
    const auto [a_words, a_premium] = label_words(a.name);
    if (!a_premium) continue;
    for (const pricing::Option& b : p.options) {
      const auto [b_words, b_premium] = label_words(b.name);
      if (&a == &b || b_premium || a_words != b_words || !costs_more(a.effect, b.effect)) continue;
      out.push_back({Outcome::fail,
                     cat(tool.id, ".", p.id, ": \"", a.name, "\" costs more than \"", b.name,
                         "\" and names nothing more than a premium label"),
                     path + ".options"});
    }
  }
}

Item premium_labels(const pricing::PriceBook* book) {
  std::vector<Finding> findings;
  if (book != nullptr) {
    for (const pricing::Tool& tool : book->tools) {
      for (size_t j = 0; j < tool.params.size(); ++j) premium_findings(tool, j, findings);
    }
  }
  return make_item("premium_labels", "\"premium\" options that cost more for the same capability",
                   findings, "no option costs more for a premium label on the same capability");
}

}  // namespace

std::string_view outcome_name(Outcome o) {
  switch (o) {
    case Outcome::pass:
      return "pass";
    case Outcome::warn:
      return "warn";
    case Outcome::fail:
      return "fail";
  }
  return "?";
}

Outcome Report::outcome() const {
  Outcome worst = Outcome::pass;
  for (const Item& i : items) worst = std::max(worst, i.outcome);
  return worst;
}

Report lint_config(const pricing::PriceBook* book, const Catalog& catalog) {
  Report r;
  r.items.push_back(credit_ratio(catalog));
  r.items.push_back(tool_costs(book));
  r.items.push_back(expiry(catalog));
  r.items.push_back(bonus_expiry(catalog));
  r.items.push_back(price_variation(catalog));
  r.items.push_back(volume_tiers(catalog));
  r.items.push_back(premium_labels(book));
  return r;
}

}  // namespace tally::lint
