// Plans and packs (DESIGN §2): how credits come in. Plain immutable data, pure C++ (no I/O),
// shared by the ledger (renewals, rollover, rewards, purchases), the loader (catalog_loader.h)
// and the price table. Thread-safe to read once built.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "ledger/config.h"
#include "ledger/credits.h"
#include "ledger/time.h"

namespace tally {

// Integer minor units of an ISO 4217 currency: USD 999 = $9.99. Never floating point.
struct Money {
  std::array<char, 3> currency{};
  int64_t minor = 0;
  friend bool operator==(const Money&, const Money&) = default;
};
std::string_view currency_code(const std::array<char, 3>& c);
std::optional<std::array<char, 3>> parse_currency(std::string_view code);  // "USD"
// Minor-unit digits of a currency (2 for USD/EUR, 0 for JPY/KRW, 3 for BHD/KWD...).
int currency_exponent(const std::array<char, 3>& c);
// "USD 9.99"
std::string format_money(const Money& m);
// The amount alone, in major units: "9.99" (JSON carries the currency in its own field).
std::string format_major(const Money& m);
// What one credit of a pack costs at `price`: price / credits, the cost basis of the purchase
// lot (a pack's bonus credits are free and not counted), in units of 10^-5 of the major unit,
// rounded half up. The one computation behind every per-credit figure: the price table's
// credit value, GET /v1/packs, the dashboard and `tally lint`. `credits` must be positive.
int64_t price_per_credit_e5(const Money& price, Credits credits);
// That value with the currency: USD 999 for 20 credits -> "USD 0.4995".
std::string format_price_per_credit(const Money& price, Credits credits);
// The same without the currency, at least the currency's minor-unit digits and at most 5
// decimals: "0.4995", "0.10", "0.04998" (USD), "1000" (JPY).
std::string format_price_per_credit_major(const Money& price, Credits credits);
// A value of price_per_credit_e5 in `currency` as format_price_per_credit_major writes it.
std::string format_per_credit_e5(const std::array<char, 3>& currency, int64_t e5);

enum class Period : uint8_t { weekly, monthly, yearly };
std::string_view period_name(Period p);
std::optional<Period> parse_period(std::string_view name);
// The end of period `n` (0-based) of a schedule anchored at `anchor`. Months count from the
// anchor, not from the previous boundary: an anchor of Jan 31 gives Feb 28/29, Mar 31, Apr 30.
TimeUs period_end(TimeUs anchor, Period p, int64_t n);

// A multiplier as an exact ratio (200% = 2/1, 150% = 3/2).
struct Ratio {
  int64_t num = 1;
  int64_t den = 1;
  friend bool operator==(const Ratio&, const Ratio&) = default;
};
// amount * r, rounded down to a micro-credit; nullopt on overflow.
std::optional<Credits> apply_ratio(Credits amount, Ratio r);
// A ratio as a decimal, rounded down to 6 places: 2/1 -> "2", 3/2 -> "1.5".
std::string format_ratio(Ratio r);

struct DailyReward {
  Credits amount;            // per claim
  Ratio member_boost{1, 1};  // applied on plans that are `member`
  Validity validity = Validity::months(1);
};

// A seasonal override of the daily reward, active on [from, to).
struct Season {
  std::string id;
  TimeUs from;
  TimeUs to;
  std::optional<Credits> amount;  // replaces the plan's amount, or
  Ratio multiplier{1, 1};         // multiplies it
};

// What a daily reward claim grants at one instant (Catalog::daily_reward_at).
struct DailyRewardAt {
  std::optional<Credits> amount;   // nullopt: no daily reward on the plan, or an overflow
  const Season* season = nullptr;  // the season whose override applied
};

// Models included at no cost in a plan are declared in the price book (an option's
// `included_in` list, docs/pricing.md); the config loader checks that every plan it names exists.
struct Plan {
  std::string id;
  std::string name;
  int tier = 0;        // higher = better; moving up is an upgrade (immediate)
  Credits allocation;  // per period; zero for plans without one
  Period period = Period::monthly;
  Credits rollover_cap;            // 0 = the cycle resets
  bool custom_allocation = false;  // enterprise: each subscription sets its own allocation
  Credits signup_grant;            // once per account, when it first joins this plan
  Validity signup_validity = Validity::never();
  std::optional<DailyReward> daily_reward;
  bool member = false;                 // member boosts apply
  int64_t purchase_bonus_percent = 0;  // bonus credits on every pack bought while on this plan
  // Alerts (issue 18) for its accounts that set none of their own: balance.low below this
  // (0: none), credits.expiring this long before a lot expires (0: none).
  Credits low_balance;
  int64_t expiring_notice_us = 0;
  // Team accounts (issue 17) may be on this plan with up to this many members; 0: none may.
  uint32_t team_members = 0;
};

struct PackPrice {
  Money price;
  std::string region;  // empty = any region
};

// What the platform adds to a pack's price when it is paid with one payment method, in percent.
// Tally takes no payments (a purchase records the price the platform reports); a surcharge is
// declared so that it is disclosed, and `tally lint` fails a configuration that has one.
struct PaymentSurcharge {
  std::string method;  // "paypal", "card"…
  int64_t percent = 0;
};

struct Pack {
  std::string id;
  std::string name;
  Credits credits;
  std::vector<PackPrice> prices;
  Validity validity = Validity::months(12);
  Credits bonus;  // extra credits in their own lot
  Validity bonus_validity = Validity::months(12);
  std::vector<PaymentSurcharge> payment_surcharges;  // in file order

  // The price in `currency` for `region`: the region's own price, else the price for any
  // region; nullopt if the pack is not sold in that currency there.
  std::optional<Money> price_for(std::string_view currency, std::string_view region) const;
};

struct Catalog {
  std::vector<Plan> plans;
  std::vector<Pack> packs;
  std::vector<Season> seasons;
  std::string default_plan;  // for accounts opened without a plan; may be empty

  const Plan* find_plan(std::string_view id) const;
  const Pack* find_pack(std::string_view id) const;
  // "small, medium, large" (or "none configured"), for errors that name the choices.
  std::string pack_ids() const;
  // The season active at `t`, if any (the first listed wins).
  const Season* season_at(TimeUs t) const;
  // The one definition of what a claim of `plan`'s daily reward grants at `t`: the plan's
  // amount, or the season's (its own amount, or the plan's times its multiplier), then times
  // the member boost on a member plan. The ledger's claims and GET /v1/plans both use it.
  DailyRewardAt daily_reward_at(const Plan& plan, TimeUs t) const;
};

}  // namespace tally
