#include "ledger/test_support.h"

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

Expiry expires_at(const char* rfc3339) {
  return {Expiry::Mode::at, at(rfc3339), {}};
}
Expiry never_expires() {
  return {Expiry::Mode::never, {}, {}};
}

Harness::Harness(LedgerConfig config, const char* start)
    : ledger_(std::move(config)), now_(at(start)) {}

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
