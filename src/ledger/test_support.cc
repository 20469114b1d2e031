#include "ledger/test_support.h"

#include <unistd.h>

#include <filesystem>

#include "absl/strings/str_join.h"
#include "ledger/text.h"

namespace tally::testing {

TimeUs at(const char* rfc3339) {
  auto t = parse_time(rfc3339);
  EXPECT_TRUE(t.has_value()) << rfc3339;
  return t.value_or(TimeUs{});
}

Credits cr(const char* decimal) {
  auto c = parse_credits(decimal);
  EXPECT_TRUE(c.has_value()) << decimal;
  return c.value_or(Credits{});
}

Credits book(BookMicro b) {
  EXPECT_TRUE(b >= INT64_MIN && b <= INT64_MAX);
  return Credits::from_micro(static_cast<int64_t>(b));
}

std::string scratch_dir(std::string_view name) {
  static struct Cleanup {
    std::vector<std::string> dirs;
    ~Cleanup() {
      std::error_code ec;
      for (const std::string& d : dirs) std::filesystem::remove_all(d, ec);
    }
  } cleanup;
  const std::string dir =
      cat(::testing::TempDir(), "tally-", name, "-", ::getpid(), "-", cleanup.dirs.size());
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  cleanup.dirs.push_back(dir);
  return dir;
}

Expiry expires_at(const char* rfc3339) {
  return {Expiry::Mode::at, at(rfc3339), {}};
}
Expiry never_expires() {
  return {Expiry::Mode::never, {}, {}};
}

Harness::Harness(LedgerConfig config, const char* start, std::shared_ptr<const Catalog> catalog)
    : ledger_(std::move(config), std::move(catalog)), now_(at(start)) {}

PlaceHold team_hold(const char* account, const char* member, const char* amount,
                    const char* project) {
  PlaceHold c;
  c.account = account;
  c.amount = cr(amount);
  c.tool = "video";
  c.member = member;
  c.project = project;
  return c;
}

SpendNow team_spend(const char* account, const char* member, const char* amount,
                    const char* project) {
  SpendNow c;
  c.account = account;
  c.amount = cr(amount);
  c.tool = "image";
  c.member = member;
  c.project = project;
  return c;
}

LedgerConfig tracked_config() {
  LedgerConfig config;
  config.track_changes = true;
  return config;
}

std::shared_ptr<const Catalog> test_catalog() {
  auto c = std::make_shared<Catalog>();
  auto plan = [&](const char* id, int tier, const char* allocation, Period period,
                  const char* cap) -> Plan& {
    Plan& p = c->plans.emplace_back();
    p.id = id;
    p.tier = tier;
    p.allocation = cr(allocation);
    p.period = period;
    p.rollover_cap = cr(cap);
    return p;
  };
  const DailyReward reward{cr("1"), Ratio{2, 1}, Validity::months(1)};
  plan("miocai-free", 0, "5", Period::weekly, "0").daily_reward = reward;
  Plan& premium = plan("miocai-premium", 1, "40", Period::weekly, "0");
  premium.daily_reward = reward;
  premium.member = true;
  premium.purchase_bonus_percent = 10;
  plan("miocai-elite", 2, "100", Period::weekly, "0").member = true;
  plan("free", 0, "0", Period::monthly, "0").signup_grant = cr("5");
  plan("basic", 1, "20", Period::monthly, "40");
  plan("pro", 2, "50", Period::monthly, "100").team_members = 3;  // Amisi: team access
  plan("business", 3, "150", Period::monthly, "300").team_members = 10;
  plan("enterprise", 4, "0", Period::monthly, "0").custom_allocation = true;
  auto pack = [&](const char* id, const char* credits, int64_t usd_cents) -> Pack& {
    Pack& p = c->packs.emplace_back();
    p.id = id;
    p.credits = cr(credits);
    p.prices.push_back({Money{{'U', 'S', 'D'}, usd_cents}, ""});
    return p;
  };
  pack("p20", "20", 999);
  pack("p50", "50", 1999);
  pack("p100", "100", 3499);
  Pack& p200 = pack("p200", "200", 5999);
  p200.prices.push_back({Money{{'U', 'S', 'D'}, 4999}, "IN"});
  Pack& forever = pack("forever", "100", 1000);
  forever.validity = Validity::never();
  forever.bonus = cr("20");
  forever.bonus_validity = Validity::duration_us(7 * k_us_per_day);
  c->seasons.push_back(Season{"winter", at("2026-12-20T00:00:00Z"), at("2027-01-01T00:00:00Z"),
                              std::nullopt, Ratio{3, 1}});
  return c;
}

void Harness::check() const {
  auto bad = ledger_.check_invariants();
  EXPECT_TRUE(bad.empty()) << absl::StrJoin(bad, "\n");
  VerifyReport report = verify(ledger_, journal_);
  EXPECT_TRUE(report.ok()) << absl::StrJoin(report.differences, "\n");
}

Result Harness::run(const Command& c, std::string key) {
  if (key.empty()) key = cat("key-", ++key_counter_);
  Result r = ledger_.apply(Request{key, c}, now_, &journal_);
  check();
  return r;
}

void Harness::advance_us(int64_t us) {
  advance_to(add_us(now_, us));
}

void Harness::advance_to(TimeUs t) {
  now_ = t;
  auto r = run(AdvanceTime{});
  EXPECT_TRUE(r.has_value());
}

void Harness::open(const std::string& account) {
  auto r = run(OpenAccount{account});
  ASSERT_TRUE(r.has_value()) << r.error().detail;
}

LotId Harness::grant(const std::string& account, Source source, const char* amount, Expiry expiry,
                     std::vector<std::string> scope) {
  Grant g{.account = account,
          .source = source,
          .amount = cr(amount),
          .expiry = expiry,
          .scope = std::move(scope)};
  auto r = run(g);
  EXPECT_TRUE(r.has_value()) << (r ? "" : r.error().detail);
  return r ? std::get<GrantReply>(*r).lot : LotId{};
}

template <typename T>
static T expect_reply(const Result& r) {
  EXPECT_TRUE(r.has_value()) << (r ? "" : r.error().detail);
  return r ? std::get<T>(*r) : T{};
}

HoldReply Harness::hold(const std::string& account, const char* amount, const std::string& tool) {
  return expect_reply<HoldReply>(run(PlaceHold{account, cr(amount), tool, std::nullopt, "v1"}));
}

CaptureReply Harness::capture(HoldId h, std::optional<Credits> amount) {
  return expect_reply<CaptureReply>(run(Capture{h, amount}));
}

ReleaseReply Harness::release(HoldId h) {
  return expect_reply<ReleaseReply>(run(Release{h, "job failed"}));
}

SpendReply Harness::spend(const std::string& account, const char* amount, const std::string& tool) {
  return expect_reply<SpendReply>(run(SpendNow{account, cr(amount), tool, "v1"}));
}

RefundReply Harness::refund(SpendId s, std::optional<Credits> amount) {
  return expect_reply<RefundReply>(run(Refund{s, amount, "job failed"}));
}

Credits Harness::available(const std::string& account) const {
  const Account* a = ledger_.find_account(account);
  EXPECT_NE(a, nullptr);
  return a ? ledger_.balance(*a, now_).available : Credits{};
}

const Lot& Harness::lot(LotId id) const {
  const Lot* l = ledger_.find_lot(id);
  EXPECT_NE(l, nullptr) << "lot " << id.value;
  static const Lot k_missing{};
  return l ? *l : k_missing;
}

std::vector<Entry> Harness::since(size_t from) const {
  return {journal_.begin() + static_cast<std::ptrdiff_t>(from), journal_.end()};
}

}  // namespace tally::testing
