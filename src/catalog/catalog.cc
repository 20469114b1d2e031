#include "catalog/catalog.h"

#include <algorithm>

#include "ledger/check.h"
#include "ledger/text.h"

namespace tally {

std::string_view currency_code(const std::array<char, 3>& c) {
  return {c.data(), c.size()};
}

std::optional<std::array<char, 3>> parse_currency(std::string_view code) {
  if (code.size() != 3) return std::nullopt;
  std::array<char, 3> c{};
  for (size_t i = 0; i < 3; ++i) {
    if (code[i] < 'A' || code[i] > 'Z') return std::nullopt;
    c[i] = code[i];
  }
  return c;
}

int currency_exponent(const std::array<char, 3>& c) {
  // ISO 4217 currencies whose minor unit is not 1/100.
  static constexpr std::string_view k_zero[] = {"BIF", "CLP", "DJF", "GNF", "ISK", "JPY",
                                                "KMF", "KRW", "PYG", "RWF", "UGX", "UYI",
                                                "VND", "VUV", "XAF", "XOF", "XPF"};
  static constexpr std::string_view k_three[] = {"BHD", "IQD", "JOD", "KWD", "LYD", "OMR", "TND"};
  const std::string_view code = currency_code(c);
  if (std::find(std::begin(k_zero), std::end(k_zero), code) != std::end(k_zero)) return 0;
  if (std::find(std::begin(k_three), std::end(k_three), code) != std::end(k_three)) return 3;
  return 2;
}

std::string format_money(const Money& m) {
  return cat(currency_code(m.currency), " ", format_major(m));
}

std::string format_major(const Money& m) {
  const int exp = currency_exponent(m.currency);
  const bool negative = m.minor < 0;
  const uint64_t abs =
      negative ? 0 - static_cast<uint64_t>(m.minor) : static_cast<uint64_t>(m.minor);
  uint64_t scale = 1;
  for (int i = 0; i < exp; ++i) scale *= 10;
  std::string out = cat(negative ? "-" : "", abs / scale);
  if (exp > 0) {
    std::string frac = std::to_string(abs % scale);
    frac.insert(0, static_cast<size_t>(exp) - frac.size(), '0');
    out += cat(".", frac);
  }
  return out;
}

std::string format_price_per_credit(const Money& price, Credits credits) {
  return cat(currency_code(price.currency), " ", format_price_per_credit_major(price, credits));
}

int64_t price_per_credit_e5(const Money& price, Credits credits) {
  TALLY_CHECK(credits.is_positive());
  // minor / 10^exp / (micro / 10^6) in units of 10^-5 major
  //   = minor * 10^(11 - exp) / micro, rounded half up.
  __int128 num = price.minor;
  for (int i = currency_exponent(price.currency); i < 11; ++i) num *= 10;
  const __int128 e5 = (num + credits.micro / 2) / credits.micro;
  TALLY_CHECK(e5 <= INT64_MAX);
  return static_cast<int64_t>(e5);
}

std::string format_per_credit_e5(const std::array<char, 3>& currency, int64_t e5) {
  TALLY_CHECK(e5 >= 0);
  std::string frac = std::to_string(e5 % 100'000);
  frac.insert(0, 5 - frac.size(), '0');
  const size_t keep = static_cast<size_t>(std::min(currency_exponent(currency), 5));
  while (frac.size() > keep && frac.back() == '0') frac.pop_back();
  return frac.empty() ? cat(e5 / 100'000) : cat(e5 / 100'000, ".", frac);
}

std::string format_price_per_credit_major(const Money& price, Credits credits) {
  return format_per_credit_e5(price.currency, price_per_credit_e5(price, credits));
}

std::string_view period_name(Period p) {
  switch (p) {
    case Period::weekly:
      return "weekly";
    case Period::monthly:
      return "monthly";
    case Period::yearly:
      return "yearly";
  }
  return "?";
}

std::optional<Period> parse_period(std::string_view name) {
  if (name == "weekly") return Period::weekly;
  if (name == "monthly") return Period::monthly;
  if (name == "yearly") return Period::yearly;
  return std::nullopt;
}

TimeUs period_end(TimeUs anchor, Period p, int64_t n) {
  TALLY_CHECK(n >= 0 && n < 1'000'000);
  switch (p) {
    case Period::weekly:
      return add_us(anchor, (n + 1) * 7 * k_us_per_day);
    case Period::monthly:
      return add_months(anchor, static_cast<int>(n + 1));
    case Period::yearly:
      return add_months(anchor, static_cast<int>(12 * (n + 1)));
  }
  return TimeUs::never();
}

std::optional<Credits> apply_ratio(Credits amount, Ratio r) {
  TALLY_CHECK(r.num >= 0 && r.den > 0);
  const __int128 v = static_cast<__int128>(amount.micro) * r.num / r.den;
  if (v > INT64_MAX || v < INT64_MIN) return std::nullopt;
  return Credits::from_micro(static_cast<int64_t>(v));
}

std::optional<Money> Pack::price_for(std::string_view currency, std::string_view region) const {
  const PackPrice* any = nullptr;
  for (const PackPrice& p : prices) {
    if (currency_code(p.price.currency) != currency) continue;
    if (!region.empty() && p.region == region) return p.price;
    if (p.region.empty()) any = &p;
  }
  return any ? std::optional<Money>(any->price) : std::nullopt;
}

const Plan* Catalog::find_plan(std::string_view id) const {
  for (const Plan& p : plans) {
    if (p.id == id) return &p;
  }
  return nullptr;
}

std::string Catalog::pack_ids() const {
  std::string out;
  for (const Pack& p : packs) out += (out.empty() ? "" : ", ") + p.id;
  return out.empty() ? "none configured" : out;
}

const Pack* Catalog::find_pack(std::string_view id) const {
  for (const Pack& p : packs) {
    if (p.id == id) return &p;
  }
  return nullptr;
}

const Season* Catalog::season_at(TimeUs t) const {
  for (const Season& s : seasons) {
    if (t >= s.from && t < s.to) return &s;
  }
  return nullptr;
}

DailyRewardAt Catalog::daily_reward_at(const Plan& plan, TimeUs t) const {
  if (!plan.daily_reward) return {};
  const DailyReward& rule = *plan.daily_reward;
  DailyRewardAt r{rule.amount, season_at(t)};
  if (r.season) {
    r.amount = r.season->amount ? r.season->amount : apply_ratio(rule.amount, r.season->multiplier);
  }
  if (r.amount && plan.member) r.amount = apply_ratio(*r.amount, rule.member_boost);
  return r;
}

std::string format_ratio(Ratio r) {
  const std::optional<Credits> one = apply_ratio(Credits::from_micro(k_micro_per_credit), r);
  TALLY_CHECK(one.has_value());  // a boost or multiplier of a configuration is small
  return format_credits(*one);
}

}  // namespace tally
