// End to end over real HTTP against `tally serve` (issue 6): every row of the API table, each
// error type, auth scopes, idempotent retries and conflicts, and the batch endpoint. One
// server (manual clock) serves the suite; each test uses its own accounts.
#include <gtest/gtest.h>

#include <algorithm>
#include <charconv>
#include <sstream>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <sys/wait.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <memory>

#include "tests/server/api_suite.h"
#include "tests/server/server_process.h"

namespace tally::testing {
namespace {

using Headers = std::vector<std::pair<std::string, std::string>>;

// Issue 19, "one truth on the price page": the price table's credit range said
// 0.04998–0.0999 USD (price over credits) while GET /v1/packs said 0.0476 for the same IN
// price (over credits and bonus) with 6 decimals. Now every per-credit figure is one
// computation: the range is exactly the lowest and highest per_credit of the packs.
TEST_F(Api, ThePricePageHasOneFigurePerCredit) {
  const auto pricing = client_->send("GET", "/v1/pricing");
  const auto packs = client_->send("GET", "/v1/packs");
  ASSERT_EQ(pricing.status, 200);
  ASSERT_EQ(packs.status, 200);
  const auto table = pricing.json();
  const auto list = packs.json();
  for (const auto& v : table["credit_value"].GetArray()) {
    const std::string currency = v["currency"].GetString();
    std::vector<std::pair<double, std::string>> shown;  // double only to order the texts
    for (const auto& p : list["packs"].GetArray()) {
      for (const auto& x : p["prices"].GetArray()) {
        if (currency != x["currency"].GetString()) continue;
        const std::string per = x["per_credit"].GetString();
        const size_t dot = per.find('.');
        EXPECT_TRUE(dot == std::string::npos || per.size() - dot - 1 <= 5) << per;
        shown.emplace_back(std::stod(per), per);
      }
    }
    ASSERT_FALSE(shown.empty()) << currency;
    std::sort(shown.begin(), shown.end());
    EXPECT_EQ(v["min"].GetString(), shown.front().second) << currency;
    EXPECT_EQ(v["max"].GetString(), shown.back().second) << currency;
  }
  // default.toml's medium pack in region IN: USD 24.99 for 500 credits (+25 bonus, not counted).
  EXPECT_STREQ(list["packs"][1]["prices"][2]["per_credit"].GetString(), "0.04998");
  EXPECT_STREQ(table["credit_value"][1]["min"].GetString(), "0.04998");
  // Its bonus credits have a life of their own, 30 days, and the listing says so.
  EXPECT_STREQ(list["packs"][1]["validity"].GetString(), "P12M");
  EXPECT_STREQ(list["packs"][1]["bonus_validity"].GetString(), "PT2592000S");
  // The fairness score of the configuration, with its seven items.
  EXPECT_EQ(table["fairness"]["items"].Size(), 7u);
  EXPECT_TRUE(table["upcoming"].IsArray());
}

TEST_F(Api, PublicEndpointsNeedNoCredential) {
  auto h = client_->send("GET", "/healthz");
  EXPECT_EQ(h.status, 200);
  EXPECT_STREQ(h.json()["status"].GetString(), "ok");
  auto p = client_->send("GET", "/v1/pricing");
  ASSERT_EQ(p.status, 200) << p.body;
  std::vector<std::string> tools;
  const auto table = p.json();
  for (const auto& t : table["tools"].GetArray()) tools.push_back(t["id"].GetString());
  EXPECT_EQ(tools, (std::vector<std::string>{"image", "upscale", "video", "chat", "lora-training"}));
  auto plans = client_->send("GET", "/v1/plans");
  ASSERT_EQ(plans.status, 200);
  EXPECT_STREQ(plans.json()["default_plan"].GetString(), "free");
  EXPECT_EQ(plans.json()["plans"].Size(), 4u);
  auto packs = client_->send("GET", "/v1/packs");
  ASSERT_EQ(packs.status, 200);
  EXPECT_STREQ(packs.json()["packs"][0]["id"].GetString(), "small");
  auto m = client_->send("GET", "/metrics");
  EXPECT_EQ(m.status, 200);
  EXPECT_NE(m.body.find("tally_commands_total{shard=\"0\"}"), std::string::npos);
  // Every sample line is in Prometheus' text format: a name, maybe labels, a number.
  auto is_sample = [](const std::string& line) {
    for (char ch : line) {
      if (ch < 0x20 || ch > 0x7e) return false;  // a number once came out as a raw byte
    }
    const size_t space = line.rfind(' ');
    if (space == std::string::npos || space == 0) return false;
    const std::string value = line.substr(space + 1);
    double v = 0;
    auto [end, ec] = std::from_chars(value.data(), value.data() + value.size(), v);
    const bool number = ec == std::errc() && end == value.data() + value.size();
    const std::string name = line.substr(0, std::min(space, line.find('{')));
    const bool named = !name.empty() && name.find_first_not_of(
        "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_:") == std::string::npos;
    return named && (number || value == "+Inf" || value == "NaN");
  };
  std::istringstream lines(m.body);
  size_t samples = 0;
  for (std::string line; std::getline(lines, line);) {
    if (line.empty() || line[0] == '#') continue;
    ++samples;
    EXPECT_TRUE(is_sample(line)) << "not a metric sample: '" << line << "'";
    const size_t le = line.find("le=\"");
    if (le != std::string::npos) {  // bucket bounds are numbers too
      const std::string bound = line.substr(le + 4, line.find('"', le + 4) - le - 4);
      EXPECT_TRUE(is_sample("b " + bound)) << line;
    }
  }
  EXPECT_GT(samples, 10u);
  EXPECT_NE(m.body.find("tally_commit_seconds_bucket{shard=\"0\",le=\"+Inf\"}"), std::string::npos)
      << m.body;
  // A histogram per stage of a request (docs/operations.md#metrics).
  for (const char* stage : {"tally_decode_seconds_bucket{le=", "tally_queue_wait_seconds_bucket{shard=\"0\",le=",
                            "tally_apply_seconds_bucket{shard=\"1\",le=", "tally_reply_seconds_bucket{le=",
                            "tally_decode_seconds_count ", "tally_reply_seconds_sum "}) {
    EXPECT_NE(m.body.find(stage), std::string::npos) << stage << " in " << m.body;
  }
}

TEST_F(Api, OpenAccountAppliesTheSignupGrantAndRetriesGetTheFirstReply) {
  auto r = admin("POST", "/v1/accounts", R"({"id":"open-1"})", "k-open-1");
  ASSERT_EQ(r.status, 201) << r.body;
  auto a = r.json();
  EXPECT_STREQ(a["plan"].GetString(), "free");
  EXPECT_STREQ(a["balance"]["available"].GetString(), "35");
  EXPECT_EQ(a["balance"]["available_micro"].GetInt64(), 35'000'000);
  EXPECT_EQ(a["lots"].Size(), 2u);
  EXPECT_TRUE(a["subscription"].IsObject());
  auto again = admin("POST", "/v1/accounts", R"({"id":"open-1"})", "k-open-1");
  EXPECT_EQ(again.status, 201);
  auto other = admin("POST", "/v1/accounts", R"({"id":"open-1"})", "k-open-2");
  EXPECT_EQ(other.status, 409);
  EXPECT_EQ(type(other), "account_exists");
  auto conflict = admin("POST", "/v1/accounts", R"({"id":"open-1","plan":"plus"})", "k-open-1");
  EXPECT_EQ(conflict.status, 409);
  EXPECT_EQ(type(conflict), "idempotency_conflict");
  auto none = admin("POST", "/v1/accounts", R"({"id":"open-3","plan":null})", "k-open-3");
  ASSERT_EQ(none.status, 201) << none.body;
  EXPECT_TRUE(none.json()["plan"].IsNull());
  EXPECT_STREQ(none.json()["balance"]["total"].GetString(), "0");
  auto missing = admin("GET", "/v1/accounts/nobody");
  EXPECT_EQ(missing.status, 404);
  EXPECT_EQ(type(missing), "not_found");
}

TEST_F(Api, GrantsReplyWithTheirLotAndRefuseBadAmounts) {
  open("grant-1");
  auto r = admin("POST", "/v1/accounts/grant-1/grants",
                 R"({"amount":"12.5","reason":"goodwill","valid_for":"P30D","scope":["video"]})",
                 "g-1");
  ASSERT_EQ(r.status, 201) << r.body;
  auto lot = r.json();
  EXPECT_STREQ(lot["source"].GetString(), "admin");
  EXPECT_STREQ(lot["amount"].GetString(), "12.5");
  EXPECT_STREQ(lot["remaining"].GetString(), "12.5");
  EXPECT_STREQ(lot["expires_at"].GetString(), "2027-02-03T10:00:00Z");
  EXPECT_STREQ(lot["scope"][0].GetString(), "video");
  auto never = admin("POST", "/v1/accounts/grant-1/grants",
                     R"({"amount":5,"source":"promo","never_expires":true,"reason":"r"})", "g-2");
  ASSERT_EQ(never.status, 201) << never.body;
  EXPECT_TRUE(never.json()["expires_at"].IsNull());
  EXPECT_EQ(available("grant-1"), "52.5");

  for (const char* body : {R"({"amount":1.5,"reason":"r"})", R"({"amount":"-1","reason":"r"})",
                           R"({"amount":"0","reason":"r"})", R"({"amount":"1.0000001","reason":"r"})",
                           R"({"amount":"99999999999999999999","reason":"r"})",
                           R"({"amount":"1"})", R"({"amount":"1","reason":"r","colour":"red"})",
                           R"({"amount":"1","reason":"r","source":"refund"})",
                           R"({"amount":"1","reason":"r","valid_for":"P1M","never_expires":true})"}) {
    auto bad = admin("POST", "/v1/accounts/grant-1/grants", body, std::string("bad-") + body);
    EXPECT_TRUE(bad.status == 400 || bad.status == 422) << body << " -> " << bad.body;
  }
  EXPECT_EQ(available("grant-1"), "52.5");  // nothing was written
  auto no_key = admin("POST", "/v1/accounts/grant-1/grants", R"({"amount":"1","reason":"r"})");
  EXPECT_EQ(no_key.status, 400);
  EXPECT_EQ(type(no_key), "idempotency_key_missing");
  auto text = client_->send("POST", "/v1/accounts/grant-1/grants", "amount=1",
                            {bearer(server_->admin_key()), {"Idempotency-Key", "g-t"},
                             {"Content-Type", "text/plain"}});
  EXPECT_EQ(text.status, 415);
  EXPECT_EQ(type(text), "unsupported_media_type");
}

TEST_F(Api, HoldCaptureAndReleaseFollowRulesOneTwoAndSeven) {
  open("hold-1", "100");
  auto h = admin("POST", "/v1/holds",
                 R"({"account":"hold-1","tool":"video","params":{"resolution":"720p","seconds":10}})",
                 "h-1");
  ASSERT_EQ(h.status, 201) << h.body;
  auto hold = h.json();
  const std::string id = hold["id"].GetString();
  EXPECT_STREQ(hold["amount"].GetString(), "50");
  EXPECT_STREQ(hold["state"].GetString(), "active");
  EXPECT_STREQ(hold["quote"]["total"].GetString(), "50");
  EXPECT_TRUE(hold["price_book_version"].IsString());
  EXPECT_GE(hold["portions"].Size(), 1u);
  auto got = admin("GET", "/v1/holds/" + id);
  ASSERT_EQ(got.status, 200);
  EXPECT_STREQ(got.json()["state"].GetString(), "active");
  auto acct = admin("GET", "/v1/accounts/hold-1").json();
  EXPECT_STREQ(acct["balance"]["held"].GetString(), "50");
  // The job used 4 seconds: 20 captured, 30 back (rule 7: priced with the hold's version).
  auto c = admin("POST", "/v1/holds/" + id + "/capture",
                 R"({"usage":{"resolution":"720p","seconds":4}})", "c-1");
  ASSERT_EQ(c.status, 200) << c.body;
  EXPECT_STREQ(c.json()["captured"].GetString(), "20");
  EXPECT_STREQ(c.json()["released"].GetString(), "30");
  auto after = admin("GET", "/v1/holds/" + id).json();
  EXPECT_STREQ(after["state"].GetString(), "captured");
  EXPECT_TRUE(after["spend"].IsString());
  auto twice = admin("POST", "/v1/holds/" + id + "/capture", "{}", "c-2");
  EXPECT_EQ(twice.status, 409);
  EXPECT_EQ(type(twice), "hold_not_active");
  EXPECT_EQ(available("hold-1"), "115");  // 135 - 20

  auto by_amount = admin("POST", "/v1/holds", R"({"account":"hold-1","amount":"10"})", "h-2");
  ASSERT_EQ(by_amount.status, 201) << by_amount.body;
  const std::string id2 = by_amount.json()["id"].GetString();
  auto rel = admin("POST", "/v1/holds/" + id2 + "/release", R"({"reason":"job failed"})", "r-1");
  ASSERT_EQ(rel.status, 200) << rel.body;
  EXPECT_STREQ(rel.json()["released"].GetString(), "10");
  EXPECT_EQ(available("hold-1"), "115");

  auto too_much = admin("POST", "/v1/holds", R"({"account":"hold-1","amount":"1000"})", "h-3");
  EXPECT_EQ(too_much.status, 402);
  EXPECT_EQ(type(too_much), "insufficient_credits");
  EXPECT_STREQ(too_much.json()["shortfall"].GetString(), "885");
  auto over = admin("POST", "/v1/holds", R"({"account":"hold-1","amount":"5"})", "h-4");
  const std::string id4 = over.json()["id"].GetString();
  auto big = admin("POST", "/v1/holds/" + id4 + "/capture", R"({"amount":"6"})", "c-4");
  EXPECT_EQ(big.status, 409);
  EXPECT_EQ(type(big), "capture_exceeds_hold");
  auto unknown = admin("POST", "/v1/holds", R"({"account":"hold-1","tool":"teleport","params":{}})", "h-5");
  EXPECT_EQ(unknown.status, 400);
  EXPECT_EQ(type(unknown), "unknown_tool");
  auto option = admin("POST", "/v1/holds",
                      R"({"account":"hold-1","tool":"video","params":{"resolution":"8k","seconds":1}})",
                      "h-6");
  EXPECT_EQ(option.status, 400);
  EXPECT_EQ(type(option), "unknown_option");
}

TEST_F(Api, AHoldTimesOutWithTheClock) {
  open("ttl-1", "20");
  auto h = admin("POST", "/v1/holds", R"({"account":"ttl-1","amount":"5","ttl_s":60})", "t-1");
  ASSERT_EQ(h.status, 201) << h.body;
  const std::string id = h.json()["id"].GetString();
  set_clock("2027-01-04T10:30:00Z");
  auto c = admin("POST", "/v1/holds/" + id + "/capture", "{}", "t-2");
  EXPECT_EQ(c.status, 409) << c.body;
  EXPECT_EQ(type(c), "hold_expired");
  EXPECT_EQ(available("ttl-1"), "55");
}

TEST_F(Api, SpendsAndRefunds) {
  open("spend-1", "10");
  auto s = admin("POST", "/v1/spends", R"({"account":"spend-1","tool":"upscale","params":{}})", "s-1");
  ASSERT_EQ(s.status, 201) << s.body;
  const std::string id = s.json()["id"].GetString();
  EXPECT_STREQ(s.json()["amount"].GetString(), "3");
  auto again = admin("POST", "/v1/spends", R"({"account":"spend-1","tool":"upscale","params":{}})", "s-1");
  EXPECT_EQ(again.status, 201);
  EXPECT_EQ(again.json()["id"].GetString(), id);  // a retry, not a second spend
  EXPECT_EQ(available("spend-1"), "42");
  auto got = admin("GET", "/v1/spends/" + id);
  ASSERT_EQ(got.status, 200) << got.body;
  EXPECT_STREQ(got.json()["tool"].GetString(), "upscale");
  auto r = admin("POST", "/v1/spends/" + id + "/refunds", R"({"amount":"1","reason":"blurry"})", "rf-1");
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_STREQ(r.json()["refunded_total"].GetString(), "1");
  auto more = admin("POST", "/v1/spends/" + id + "/refunds", R"({"amount":"5","reason":"x"})", "rf-2");
  EXPECT_EQ(more.status, 409);
  EXPECT_EQ(type(more), "refund_exceeds_spend");
  EXPECT_EQ(available("spend-1"), "43");
  auto nope = admin("POST", "/v1/spends/123/refunds", R"({"reason":"x"})", "rf-3");
  EXPECT_EQ(nope.status, 404);
}

TEST_F(Api, PurchasesUseThePaymentReferenceAndVoidsAreForAdmins) {
  open("buy-1");
  const std::string body =
      R"({"account":"buy-1","pack":"small","currency":"USD","payment_ref":"pay_1"})";
  auto p = client_->send("POST", "/v1/purchases", body, {bearer(server_->admin_key())});
  ASSERT_EQ(p.status, 201) << p.body;
  const std::string id = p.json()["id"].GetString();
  EXPECT_STREQ(p.json()["price"]["amount"].GetString(), "9.99");
  auto retry = client_->send("POST", "/v1/purchases", body, {bearer(server_->admin_key())});
  EXPECT_EQ(retry.json()["id"].GetString(), id);
  EXPECT_EQ(available("buy-1"), "135");
  auto key = admin("POST", "/v1/keys", R"({"name":"billing"})");
  ASSERT_EQ(key.status, 201) << key.body;
  const std::string service = key.json()["key"].GetString();
  auto denied = as(service, "POST", "/v1/purchases/" + id + "/void", R"({"reason":"chargeback"})", "v-1");
  EXPECT_EQ(denied.status, 403);
  auto v = admin("POST", "/v1/purchases/" + id + "/void", R"({"reason":"chargeback"})", "v-1");
  ASSERT_EQ(v.status, 200) << v.body;
  EXPECT_STREQ(v.json()["voided"].GetString(), "100");
  EXPECT_EQ(available("buy-1"), "35");
}

TEST_F(Api, SubscriptionLifecycleAndDailyRewards) {
  open("sub-1");
  auto up = admin("PUT", "/v1/accounts/sub-1/subscription", R"({"plan":"plus"})", "u-1");
  ASSERT_EQ(up.status, 200) << up.body;
  EXPECT_STREQ(up.json()["plan"].GetString(), "plus");
  auto cancel = admin("DELETE", "/v1/accounts/sub-1/subscription", "", "u-2");
  ASSERT_EQ(cancel.status, 200) << cancel.body;
  EXPECT_STREQ(cancel.json()["state"].GetString(), "cancelling");
  auto due = admin("POST", "/v1/accounts/sub-1/subscription/past_due", "", "u-3");
  ASSERT_EQ(due.status, 200) << due.body;
  EXPECT_STREQ(due.json()["state"].GetString(), "past_due");
  auto back = admin("POST", "/v1/accounts/sub-1/subscription/resume", "", "u-4");
  ASSERT_EQ(back.status, 200) << back.body;
  auto reward = admin("POST", "/v1/accounts/sub-1/rewards/daily", "", "d-1");
  ASSERT_EQ(reward.status, 201) << reward.body;
  auto twice = admin("POST", "/v1/accounts/sub-1/rewards/daily", "", "d-2");
  EXPECT_EQ(twice.status, 409);
  EXPECT_EQ(type(twice), "already_claimed");
  auto none = admin("POST", "/v1/accounts", R"({"id":"sub-2","plan":null})", "open-sub-2");
  ASSERT_EQ(none.status, 201);
  auto not_sub = admin("DELETE", "/v1/accounts/sub-2/subscription", "", "u-5");
  EXPECT_EQ(not_sub.status, 409);
  EXPECT_EQ(type(not_sub), "not_subscribed");
}

TEST_F(Api, HistoryPagesAndBalanceAsOf) {
  open("hist-1", "10");
  for (int i = 0; i < 5; ++i) {
    ASSERT_EQ(admin("POST", "/v1/spends", R"({"account":"hist-1","amount":"1","tool":"chat"})",
                    "hs-" + std::to_string(i))
                  .status,
              201);
  }
  std::vector<std::string> kinds;
  std::string after = "0";
  std::string last_balance;
  for (int page = 0; page < 10; ++page) {
    auto r = admin("GET", "/v1/accounts/hist-1/entries?limit=3&after=" + after);
    ASSERT_EQ(r.status, 200) << r.body;
    auto j = r.json();
    for (const auto& e : j["entries"].GetArray()) {
      kinds.push_back(e["kind"].GetString());
      last_balance = e["balance_after"].GetString();
    }
    if (j["next_after"].IsNull()) break;
    after = std::to_string(j["next_after"].GetUint64());
  }
  EXPECT_EQ(kinds.size(), 8u);  // signup, allocation, grant, 5 spends
  EXPECT_EQ(last_balance, "40");
  EXPECT_EQ(available("hist-1"), "40");
  auto past = admin("GET", "/v1/accounts/hist-1/balance?as_of=2020-01-01T00:00:00Z");
  ASSERT_EQ(past.status, 200) << past.body;
  EXPECT_STREQ(past.json()["total"].GetString(), "0");
  auto now = admin("GET", "/v1/accounts/hist-1/balance");
  EXPECT_STREQ(now.json()["available"].GetString(), "40");
  EXPECT_EQ(admin("GET", "/v1/accounts/hist-1/entries?limit=0").status, 400);
  EXPECT_EQ(admin("GET", "/v1/accounts/hist-1/balance?as_of=yesterday").status, 400);
}

// Issue 19, "history people can read": ?group=operation folds a hold over three lots and its
// release into one line each, and pages by operation.
TEST_F(Api, HistoryByOperationFoldsPortionsAndPagesByOperation) {
  open("grp-1", "10");  // 25 signup (never expire), 10 weekly, 10 admin (a month)
  auto h =
      admin("POST", "/v1/holds", R"({"account":"grp-1","amount":"40","tool":"video"})", "gh-1");
  ASSERT_EQ(h.status, 201) << h.body;
  const std::string hold = h.json()["id"].GetString();
  ASSERT_EQ(admin("POST", "/v1/holds/" + hold + "/release", R"({"reason":"render failed"})", "gr-1")
                .status,
            200);
  for (int i = 0; i < 3; ++i) {
    ASSERT_EQ(admin("POST", "/v1/spends", R"({"account":"grp-1","amount":"1","tool":"chat"})",
                    "gs-" + std::to_string(i))
                  .status,
              201);
  }
  std::vector<std::string> lines;
  std::vector<size_t> portions;
  std::string after = "0";
  int pages = 0;
  for (; pages < 10; ++pages) {
    auto r = admin("GET", "/v1/accounts/grp-1/entries?group=operation&limit=2&after=" + after);
    ASSERT_EQ(r.status, 200) << r.body;
    auto j = r.json();
    ASSERT_TRUE(j["operations"].IsArray()) << r.body;
    EXPECT_LE(j["operations"].Size(), 2u);
    uint64_t last = 0;
    for (const auto& op : j["operations"].GetArray()) {
      lines.push_back(std::string(op["operation"].GetString()) + ": " + op["summary"].GetString());
      portions.push_back(op["portions"].Size());
      last = op["last_seq"].GetUint64();
      EXPECT_EQ(op["portions"][op["portions"].Size() - 1]["seq"].GetUint64(), last);
    }
    if (j["next_after"].IsNull()) break;
    EXPECT_EQ(j["next_after"].GetUint64(), last);  // the cursor is the last operation's end
    after = std::to_string(j["next_after"].GetUint64());
  }
  EXPECT_EQ(pages, 3);  // 8 operations, 2 a page: the 4th page says there is no more
  ASSERT_EQ(lines.size(), 8u);
  EXPECT_EQ(lines[3], "hold: Held 40 credits for video");
  EXPECT_EQ(lines[4], "release: Returned 40 credits held for video: render failed");
  EXPECT_EQ(portions[3], 3u);  // the weekly, admin and signup lots
  EXPECT_EQ(portions[4], 3u);
  EXPECT_EQ(lines[7], "spend: Used 1 credit for chat");
  // By entry, the same history is 2 + 1 + 3 + 3 + 3 lines.
  auto flat = admin("GET", "/v1/accounts/grp-1/entries?group=entry");
  ASSERT_EQ(flat.status, 200);
  EXPECT_EQ(flat.json()["entries"].Size(), 12u);
  EXPECT_EQ(admin("GET", "/v1/accounts/grp-1/entries?group=lot").status, 400);
}

TEST_F(Api, AuthScopes) {
  open("auth-1");
  open("auth-2");
  auto none = client_->send("GET", "/v1/accounts/auth-1");
  EXPECT_EQ(none.status, 401);
  EXPECT_EQ(none.headers["www-authenticate"], "Bearer");
  EXPECT_EQ(as("tk_wrong", "GET", "/v1/accounts/auth-1").status, 401);
  auto key = admin("POST", "/v1/keys", R"({"name":"backend"})");
  const std::string service = key.json()["key"].GetString();
  EXPECT_EQ(as(service, "GET", "/v1/accounts/auth-1").status, 200);
  // The scheme's name is case-insensitive; anything but Bearer is refused.
  EXPECT_EQ(client_->send("GET", "/v1/accounts/auth-1", "", {{"Authorization", "bearer " + service}})
                .status,
            200);
  EXPECT_EQ(client_->send("GET", "/v1/accounts/auth-1", "", {{"Authorization", "Basic " + service}})
                .status,
            401);
  EXPECT_EQ(as(service, "POST", "/v1/spends", R"({"account":"auth-1","amount":"1"})", "a-1").status, 201);
  auto grant = as(service, "POST", "/v1/accounts/auth-1/grants", R"({"amount":"1","reason":"r"})", "a-2");
  EXPECT_EQ(grant.status, 403);
  EXPECT_EQ(type(grant), "forbidden");
  EXPECT_EQ(as(service, "POST", "/v1/keys", R"({"name":"x"})").status, 403);

  auto t = as(service, "POST", "/v1/accounts/auth-1/tokens", R"({"ttl_s":600})");
  ASSERT_EQ(t.status, 201) << t.body;
  const std::string token = t.json()["token"].GetString();
  EXPECT_NE(std::string(t.json()["url"].GetString()).find("/#token=" + token), std::string::npos);
  EXPECT_EQ(as(token, "GET", "/v1/accounts/auth-1").status, 200);
  EXPECT_EQ(as(token, "GET", "/v1/accounts/auth-1/entries").status, 200);
  EXPECT_EQ(as(token, "GET", "/v1/accounts/auth-1/balance").status, 200);
  EXPECT_EQ(as(token, "GET", "/v1/accounts/auth-2").status, 403);
  EXPECT_EQ(as(token, "POST", "/v1/spends", R"({"account":"auth-1","amount":"1"})", "a-3").status, 403);
  std::string forged = token;
  forged.back() = forged.back() == '0' ? '1' : '0';
  EXPECT_EQ(as(forged, "GET", "/v1/accounts/auth-1").status, 401);
  set_clock("2027-01-05T00:00:00Z");  // past the token's 10 minutes
  auto expired = as(token, "GET", "/v1/accounts/auth-1");
  EXPECT_EQ(expired.status, 401);
  EXPECT_NE(expired.body.find("expired"), std::string::npos);
}

TEST_F(Api, BatchAnswersEachRequestAsIfSentAlone) {
  open("batch-1", "5");
  auto r = admin("POST", "/v1/batch", R"({"requests":[
      {"method":"POST","path":"/v1/spends","idempotency_key":"b-1","body":{"account":"batch-1","amount":"2"}},
      {"method":"POST","path":"/v1/spends","idempotency_key":"b-1","body":{"account":"batch-1","amount":"2"}},
      {"method":"POST","path":"/v1/spends","body":{"account":"batch-1","amount":"2"}},
      {"method":"POST","path":"/v1/spends","idempotency_key":"b-2","body":{"account":"batch-1","amount":"999"}},
      {"method":"GET","path":"/v1/accounts/batch-1/balance"},
      {"method":"GET","path":"/v1/nowhere"}]})");
  ASSERT_EQ(r.status, 200) << r.body;
  auto j = r.json();
  const auto& a = j["responses"];
  ASSERT_EQ(a.Size(), 6u);
  EXPECT_EQ(a[0]["status"].GetInt(), 201);
  EXPECT_EQ(a[1]["status"].GetInt(), 201);
  EXPECT_STREQ(a[0]["body"]["id"].GetString(), a[1]["body"]["id"].GetString());
  EXPECT_EQ(a[2]["status"].GetInt(), 400);
  EXPECT_STREQ(a[2]["body"]["type"].GetString(), "idempotency_key_missing");
  EXPECT_EQ(a[3]["status"].GetInt(), 402);
  EXPECT_EQ(a[4]["status"].GetInt(), 200);
  EXPECT_STREQ(a[4]["body"]["available"].GetString(), "38");
  EXPECT_EQ(a[5]["status"].GetInt(), 404);
  auto nested = admin("POST", "/v1/batch",
                      R"({"requests":[{"method":"POST","path":"/v1/batch","body":{"requests":[]}}]})");
  EXPECT_EQ(nested.status, 400);
  EXPECT_EQ(admin("POST", "/v1/batch", R"({"requests":[]})").status, 400);
}

// HTTP/1.1 pipelining: several requests sent at once on one connection, without waiting, are
// answered in the order sent, and each sees the changes of those before it.
TEST_F(Api, PipelinedRequestsAreAnsweredInOrder) {
  open("pipe-1", "10");
  const std::string auth = "Authorization: Bearer " + server_->admin_key() + "\r\n";
  auto post = [&](const std::string& path, const std::string& key, const std::string& body) {
    return "POST " + path + " HTTP/1.1\r\nHost: x\r\n" + auth +
           "Content-Type: application/json\r\nIdempotency-Key: " + key +
           "\r\nContent-Length: " + std::to_string(body.size()) + "\r\n\r\n" + body;
  };
  const std::string get = "GET /v1/accounts/pipe-1/balance HTTP/1.1\r\nHost: x\r\n" + auth + "\r\n";
  std::string bytes;
  for (int i = 1; i <= 3; ++i) {
    bytes += post("/v1/spends", "pipe-spend-" + std::to_string(i),
                  R"({"account":"pipe-1","amount":")" + std::to_string(i) + R"("})");
    bytes += get;
  }
  bytes += post("/v1/holds", "pipe-hold", R"({"account":"pipe-1","amount":"100"})");  // too much
  bytes += get;
  HttpClient c(server_->port());
  ASSERT_TRUE(c.send_only(bytes));  // all of it at once, in one write
  // Spends of 1, 2 and 3 from 45 (25 signup, 10 weekly, 10 granted): each balance follows its
  // spend.
  const char* after[] = {"44", "42", "39"};
  for (int i = 0; i < 3; ++i) {
    const HttpReply spent = c.receive();
    ASSERT_EQ(spent.status, 201) << spent.body;
    EXPECT_STREQ(spent.json()["amount"].GetString(), std::to_string(i + 1).c_str());
    const HttpReply balance = c.receive();
    ASSERT_EQ(balance.status, 200) << balance.body;
    EXPECT_STREQ(balance.json()["available"].GetString(), after[i]);
  }
  const HttpReply refused = c.receive();
  EXPECT_EQ(refused.status, 402) << refused.body;
  EXPECT_EQ(type(refused), "insufficient_credits");
  const HttpReply last = c.receive();
  ASSERT_EQ(last.status, 200) << last.body;
  EXPECT_STREQ(last.json()["available"].GetString(), "39");
}

// Bad input (malformed, oversized, unauthorised requests and slow clients) is covered by
// tests/server/bad_input_test.cc.

}  // namespace
}  // namespace tally::testing

namespace tally::testing {
namespace {

// The CLI's client commands against the same server: tables for people, exit codes.
std::pair<int, std::string> run_cli(const std::string& args) {
  const std::string cmd = tally_binary() + " " + args + " 2>&1";
  std::string out;
  FILE* p = ::popen(cmd.c_str(), "r");
  char buf[4096];
  size_t n;
  while ((n = std::fread(buf, 1, sizeof buf, p)) > 0) out.append(buf, n);
  const int status = ::pclose(p);
  return {WIFEXITED(status) ? WEXITSTATUS(status) : -1, out};
}

// " --server URL --key K": the options every client command of these tests takes.
std::string cli_options(const ServerProcess& server) {
  return " --server http://127.0.0.1:" + std::to_string(server.port()) + " --key " +
         server.admin_key();
}

TEST(Cli, ClientCommandsTalkToTheServer) {
  ServerProcess server;
  const std::string common = cli_options(server);
  auto [open_rc, open_out] = run_cli("account open cli-1" + common);
  EXPECT_EQ(open_rc, 0) << open_out;
  auto [grant_rc, grant_out] = run_cli("grant cli-1 7.5 --reason 'cli test'" + common);
  EXPECT_EQ(grant_rc, 0) << grant_out;
  auto [bal_rc, bal_out] = run_cli("balance cli-1" + common);
  EXPECT_EQ(bal_rc, 0) << bal_out;
  EXPECT_NE(bal_out.find("42.5"), std::string::npos) << bal_out;  // 25 + 10 + 7.5
  auto [json_rc, json_out] = run_cli("balance cli-1 --json" + common);
  EXPECT_EQ(json_rc, 0);
  EXPECT_NE(json_out.find("\"available_micro\":42500000"), std::string::npos) << json_out;
  auto [hold_rc, hold_out] = run_cli("hold cli-1 --amount 1000" + common);
  EXPECT_EQ(hold_rc, 1) << hold_out;  // refused by the server
  EXPECT_NE(hold_out.find("insufficient_credits"), std::string::npos) << hold_out;
  auto [down_rc, down_out] = run_cli("balance cli-1 --server http://127.0.0.1:1 --key x");
  EXPECT_EQ(down_rc, 3) << down_out;  // cannot connect
}

// A field of a command's --json answer.
std::string json_field(const std::string& out, const char* field) {
  rapidjson::Document d;
  d.Parse(out.c_str());
  if (d.HasParseError() || !d.IsObject() || !d.HasMember(field) || !d[field].IsString()) return "";
  return d[field].GetString();
}

// Issue 21: the commands added for every operation, against a real server; a rerun change is
// a retry (the derived idempotency key), and scripts get the documented exit codes.
TEST(Cli, RerunningAChangeIsARetryAndEveryOperationRuns) {
  ServerProcess server;
  const std::string common = cli_options(server);
  ASSERT_EQ(run_cli("account open cli-2" + common).first, 0);
  auto [h1_rc, h1] = run_cli("hold cli-2 --amount 5 --json" + common);
  auto [h2_rc, h2] = run_cli("hold cli-2 --amount 5 --json" + common);
  ASSERT_EQ(h1_rc, 0) << h1;
  EXPECT_EQ(h2_rc, 0) << h2;
  EXPECT_FALSE(json_field(h1, "id").empty()) << h1;
  EXPECT_EQ(json_field(h1, "id"), json_field(h2, "id"));  // one hold, not two
  auto [h3_rc, h3] = run_cli("hold cli-2 --amount 5 --idempotency-key job-2 --json" + common);
  EXPECT_NE(json_field(h3, "id"), json_field(h1, "id")) << h3;
  auto [bal_rc, bal] = run_cli("balance cli-2 --json" + common);
  EXPECT_NE(bal.find(R"("held":"10")"), std::string::npos) << bal;

  auto [sp_rc, sp] = run_cli("spend cli-2 --amount 2 --json" + common);
  ASSERT_EQ(sp_rc, 0) << sp;
  const std::string spend = json_field(sp, "id");
  EXPECT_EQ(run_cli("show spend " + spend + common).first, 0);
  EXPECT_EQ(run_cli("show hold " + json_field(h1, "id") + common).first, 0);
  auto [rf_rc, rf] = run_cli("refund " + spend + " --amount 1 --reason dup" + common);
  EXPECT_EQ(rf_rc, 0) << rf;
  EXPECT_NE(rf.find("refunded"), std::string::npos) << rf;

  auto [g_rc, g] = run_cli("grant cli-2 3 --reason promo --json" + common);
  ASSERT_EQ(g_rc, 0) << g;
  auto [v_rc, v] = run_cli("void lot " + json_field(g, "id") + " --reason fraud" + common);
  EXPECT_EQ(v_rc, 0) << v;
  EXPECT_NE(v.find("voided"), std::string::npos) << v;
  auto [v2_rc, v2] = run_cli("void lot 999 --reason fraud" + common);
  EXPECT_EQ(v2_rc, 1) << v2;  // refused (404): do not retry

  auto [newest_rc, newest] = run_cli("history cli-2 --newest-first --limit 2 --json" + common);
  ASSERT_EQ(newest_rc, 0) << newest;
  rapidjson::Document d;
  d.Parse(newest.c_str());
  ASSERT_TRUE(d.IsObject() && d["entries"].IsArray() && d["entries"].Size() == 2) << newest;
  EXPECT_GT(d["entries"][0]["seq"].GetInt64(), d["entries"][1]["seq"].GetInt64());
  auto [all_rc, all] = run_cli("history cli-2 --json" + common);
  EXPECT_NE(all.find(R"("seq":1,)"), std::string::npos) << all;

  auto [kl_rc, kl] = run_cli("keys list" + common);
  EXPECT_EQ(kl_rc, 0) << kl;
  EXPECT_NE(kl.find("admin"), std::string::npos) << kl;
  auto [kc_rc, kc] = run_cli("keys create --name ci --scope read --json" + common);
  ASSERT_EQ(kc_rc, 0) << kc;
  const std::string key_id = json_field(kc, "id");
  EXPECT_EQ(run_cli("keys rotate " + key_id + " --overlap-s 0" + common).first, 0);
  EXPECT_EQ(run_cli("keys revoke " + key_id + common).first, 0);

  auto [t_rc, t] = run_cli("tokens create cli-2 --json" + common);
  ASSERT_EQ(t_rc, 0) << t;
  EXPECT_EQ(run_cli("tokens revoke cli-2 --token-id " + json_field(t, "id") + common).first, 0);
  EXPECT_EQ(run_cli("tokens revoke cli-2 --all" + common).first, 0);

  auto [al_rc, al] = run_cli("account list --prefix cli-" + common);
  EXPECT_EQ(al_rc, 0) << al;
  EXPECT_NE(al.find("cli-2"), std::string::npos) << al;
  EXPECT_EQ(run_cli("subscription cancel cli-2" + common).first, 0);
  EXPECT_EQ(run_cli("subscription resume cli-2" + common).first, 0);
  EXPECT_EQ(run_cli("health" + common).first, 0);
  EXPECT_EQ(run_cli("plans --json" + common).first, 0);
  EXPECT_EQ(run_cli("clock set 2030-01-01T00:00:00Z" + common).first, 0);
  EXPECT_EQ(run_cli("void lot 9 --reason" + common).first, 2);  // usage: nothing sent

  // The reads and commands the test above does not reach.
  ASSERT_EQ(run_cli("account open cli-3" + common).first, 0);
  auto [pd_rc, pd] = run_cli("subscription past-due cli-3" + common);
  EXPECT_EQ(pd_rc, 0) << pd;
  EXPECT_NE(pd.find("past_due"), std::string::npos) << pd;
  EXPECT_EQ(run_cli("subscription resume cli-3" + common).first, 0);
  auto [as_rc, as_of] = run_cli("balance cli-2 --as-of 2030-01-01T00:00:00Z --json" + common);
  EXPECT_EQ(as_rc, 0) << as_of;
  EXPECT_NE(as_of.find(R"("as_of":"2030-01-01T00:00:00Z")"), std::string::npos) << as_of;
  EXPECT_EQ(run_cli("pricing" + common).first, 0);
  EXPECT_EQ(run_cli("packs" + common).first, 0);
  auto [m_rc, m] = run_cli("metrics" + common);
  EXPECT_EQ(m_rc, 0);
  EXPECT_NE(m.find("# TYPE"), std::string::npos) << m.substr(0, 200);
  const std::string batch_file = server.data_dir() + "/../cli-batch.json";
  std::ofstream(batch_file) << R"({"requests":[{"method":"GET","path":"/v1/accounts/cli-2"},)"
                            << R"({"method":"GET","path":"/v1/accounts/nobody"}]})";
  auto [b_rc, b] = run_cli("batch " + batch_file + " --json" + common);
  std::filesystem::remove(batch_file);
  EXPECT_EQ(b_rc, 0) << b;
  EXPECT_NE(b.find(R"("status":404)"), std::string::npos) << b;
}

// Issue 17: a team account from the shell. Members and budgets change by PATCH and DELETE
// too, every change is a retry when run again, and a member's hold meets its budget.
TEST(Cli, TeamMembersAndBudgets) {
  ServerProcess server;
  const std::string common = cli_options(server);
  auto [o_rc, o] = run_cli("account open cli-t --plan pro --team --owner olga --json" + common);
  ASSERT_EQ(o_rc, 0) << o;
  EXPECT_EQ(json_field(o, "kind"), "team") << o;
  ASSERT_EQ(run_cli("grant cli-t 100 --reason team" + common).first, 0);
  EXPECT_EQ(run_cli("account open cli-u --team" + common).first, 2);  // no --owner: not sent

  auto [ma_rc, ma] = run_cli("members add cli-t bob" + common);
  EXPECT_EQ(ma_rc, 0) << ma;
  auto [again_rc, again] = run_cli("members add cli-t bob" + common);
  EXPECT_EQ(again_rc, 0) << again;  // a retry, not member_exists
  auto [mr_rc, mr] = run_cli("members role cli-t bob admin --json" + common);
  EXPECT_EQ(mr_rc, 0) << mr;
  EXPECT_EQ(json_field(mr, "role"), "admin") << mr;
  auto [ml_rc, ml] = run_cli("members list cli-t" + common);
  EXPECT_EQ(ml_rc, 0) << ml;
  EXPECT_NE(ml.find("bob"), std::string::npos) << ml;
  EXPECT_NE(ml.find("olga"), std::string::npos) << ml;
  EXPECT_EQ(run_cli("members role cli-t bob boss" + common).first, 2);

  auto [ba_rc, ba] =
      run_cli("budgets add cli-t bob-day --limit 5 --period P1D --member bob" + common);
  EXPECT_EQ(ba_rc, 0) << ba;
  auto [over_rc, over] = run_cli("hold cli-t --amount 6 --member bob --project p1" + common);
  EXPECT_EQ(over_rc, 1) << over;
  EXPECT_NE(over.find("budget_exceeded"), std::string::npos) << over;
  auto [h_rc, h] = run_cli("hold cli-t --amount 3 --member bob --project p1" + common);
  EXPECT_EQ(h_rc, 0) << h;
  auto [nm_rc, nm] = run_cli("spend cli-t --amount 1" + common);
  EXPECT_EQ(nm_rc, 1) << nm;  // a team account names the member
  auto [bs_rc, bs] = run_cli("budgets show cli-t bob-day --json" + common);
  EXPECT_EQ(bs_rc, 0) << bs;
  EXPECT_EQ(json_field(bs, "used"), "3") << bs;
  auto [bu_rc, bu] = run_cli("budgets update cli-t bob-day --limit 10 --mode soft --json" + common);
  EXPECT_EQ(bu_rc, 0) << bu;
  EXPECT_EQ(json_field(bu, "limit"), "10") << bu;
  EXPECT_EQ(json_field(bu, "mode"), "soft") << bu;
  auto [bl_rc, bl] = run_cli("budgets list cli-t --member bob" + common);
  EXPECT_EQ(bl_rc, 0) << bl;
  EXPECT_NE(bl.find("bob-day"), std::string::npos) << bl;
  EXPECT_EQ(run_cli("budgets update cli-t bob-day" + common).first, 2);
  EXPECT_EQ(run_cli("budgets remove cli-t bob-day" + common).first, 0);
  EXPECT_EQ(run_cli("budgets show cli-t bob-day" + common).first, 1);  // 404
  EXPECT_EQ(run_cli("members remove cli-t bob" + common).first, 0);
  auto [gone_rc, gone] = run_cli("spend cli-t --amount 1 --member bob" + common);
  EXPECT_EQ(gone_rc, 1) << gone;
  EXPECT_NE(gone.find("not_a_member"), std::string::npos) << gone;
}

}  // namespace
}  // namespace tally::testing

namespace tally::testing {
namespace {

TEST(PublicUrl, TokenLinksUseTheConfiguredBase) {
  ServerProcess server({.extra_args = {"--public-url", "https://credits.example.com"}});
  HttpClient c(server.port());
  ASSERT_EQ(c.send("POST", "/v1/accounts", R"({"id":"u"})",
                   {bearer(server.admin_key()), {"Idempotency-Key", "o"}})
                .status,
            201);
  auto t = c.send("POST", "/v1/accounts/u/tokens", "{}", {bearer(server.admin_key())});
  ASSERT_EQ(t.status, 201) << t.body;
  EXPECT_EQ(std::string(t.json()["url"].GetString()).rfind("https://credits.example.com/#token=", 0),
            0u)
      << t.body;
}

}  // namespace
}  // namespace tally::testing

namespace tally::testing {
namespace {

TEST(IncludedJobs, AJobThePlanIncludesCostsNothingAndWritesNothing) {
  ServerProcess server;
  HttpClient c(server.port());
  const auto key = bearer(server.admin_key());
  ASSERT_EQ(c.send("POST", "/v1/accounts", R"({"id":"pro-1","plan":"pro"})",
                   {key, {"Idempotency-Key", "o"}}).status, 201);
  auto before = c.send("GET", "/v1/accounts/pro-1/entries", "", {key}).json()["entries"].Size();
  auto s = c.send("POST", "/v1/spends",
                  R"({"account":"pro-1","tool":"chat","params":{"model":"advanced"}})",
                  {key, {"Idempotency-Key", "s"}});
  ASSERT_EQ(s.status, 200) << s.body;
  EXPECT_TRUE(s.json()["id"].IsNull());
  EXPECT_STREQ(s.json()["state"].GetString(), "included");
  EXPECT_EQ(s.json()["amount_micro"].GetInt64(), 0);
  auto h = c.send("POST", "/v1/holds",
                  R"({"account":"pro-1","tool":"chat","params":{"model":"advanced"}})",
                  {key, {"Idempotency-Key", "h"}});
  EXPECT_EQ(h.status, 200) << h.body;
  EXPECT_EQ(c.send("GET", "/v1/accounts/pro-1/entries", "", {key}).json()["entries"].Size(), before);
  // On a plan that does not include it, the same job is charged.
  ASSERT_EQ(c.send("POST", "/v1/accounts", R"({"id":"free-1"})", {key, {"Idempotency-Key", "o2"}}).status, 201);
  auto paid = c.send("POST", "/v1/spends",
                     R"({"account":"free-1","tool":"chat","params":{"model":"advanced"}})",
                     {key, {"Idempotency-Key", "s2"}});
  EXPECT_EQ(paid.status, 201) << paid.body;
}

}  // namespace
}  // namespace tally::testing

namespace tally::testing {
namespace {

std::string default_config() {
  std::ifstream in(std::string(TALLY_SOURCE_DIR) + "/config/default.toml");
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// default.toml with another price book version, effective time and 720p video price.
std::string write_config(const std::string& dir, const std::string& name,
                         const std::string& version, const std::string& effective_at,
                         const std::string& price_720p) {
  std::string text = default_config();
  auto replace = [&](const std::string& from, const std::string& to) {
    const size_t at = text.find(from);
    ASSERT_NE(at, std::string::npos) << from;
    text.replace(at, from.size(), to);
  };
  replace(R"(version = "studio-2026-11-01")", "version = \"" + version + "\"");
  replace("effective_at = 2026-11-01T00:00:00Z", "effective_at = " + effective_at);
  replace(R"({ id = "720p", price = 5 })", "{ id = \"720p\", price = " + price_720p + " }");
  const std::string path = dir + "/" + name;
  std::ofstream(path) << text;
  return path;
}

TEST(PriceBookVersions, AHoldIsCapturedUnderItsVersionAfterTheConfigurationMovesOn) {
  char tmpl[] = "/tmp/tally-versions-test-XXXXXX";
  const std::string dir = ::mkdtemp(tmpl);
  const std::string data = dir + "/data";
  const std::string a = write_config(dir, "a.toml", "v-a", "2026-11-01T00:00:00Z", "5");
  const std::string b = write_config(dir, "b.toml", "v-b", "2027-01-04T10:30:00Z", "6");
  std::string hold;
  {
    ServerProcess server({.data_dir = data, .config = a});
    HttpClient c(server.port());
    const auto key = bearer(server.admin_key());
    ASSERT_EQ(c.send("POST", "/v1/admin/clock", R"({"now":"2027-01-04T10:00:00Z"})", {key}).status, 200);
    ASSERT_EQ(c.send("POST", "/v1/accounts", R"({"id":"v-1"})", {key, {"Idempotency-Key", "o"}}).status, 201);
    ASSERT_EQ(c.send("POST", "/v1/accounts/v-1/grants", R"({"amount":"100","reason":"r"})",
                     {key, {"Idempotency-Key", "g"}}).status, 201);
    auto h = c.send("POST", "/v1/holds",
                    R"({"account":"v-1","tool":"video","params":{"resolution":"720p","seconds":10},"ttl_s":86400})",
                    {key, {"Idempotency-Key", "h"}});
    ASSERT_EQ(h.status, 201) << h.body;
    EXPECT_STREQ(h.json()["price_book_version"].GetString(), "v-a");
    EXPECT_STREQ(h.json()["amount"].GetString(), "50");
    hold = h.json()["id"].GetString();
    EXPECT_EQ(server.stop(), 0);
  }
  {
    ServerProcess server({.data_dir = data, .config = b});
    HttpClient c(server.port());
    const auto key = bearer(server.admin_key());
    // Before v-b's effective time the page shows v-a, with v-b announced as upcoming.
    ASSERT_EQ(c.send("POST", "/v1/admin/clock", R"({"now":"2027-01-04T10:15:00Z"})", {key}).status, 200);
    auto before = c.send("GET", "/v1/pricing").json();
    EXPECT_STREQ(before["version"].GetString(), "v-a");
    ASSERT_EQ(before["upcoming"].Size(), 1u);
    EXPECT_STREQ(before["upcoming"][0]["version"].GetString(), "v-b");
    EXPECT_STREQ(before["upcoming"][0]["effective_at"].GetString(), "2027-01-04T10:30:00Z");
    ASSERT_EQ(c.send("POST", "/v1/admin/clock", R"({"now":"2027-01-04T11:00:00Z"})", {key}).status, 200);
    auto after = c.send("GET", "/v1/pricing").json();
    EXPECT_STREQ(after["version"].GetString(), "v-b");
    EXPECT_EQ(after["upcoming"].Size(), 0u);
    auto cap = c.send("POST", "/v1/holds/" + hold + "/capture",
                      R"({"usage":{"resolution":"720p","seconds":4}})", {key, {"Idempotency-Key", "c"}});
    ASSERT_EQ(cap.status, 200) << cap.body;
    EXPECT_STREQ(cap.json()["captured"].GetString(), "20");  // 4 s at v-a's 5, not v-b's 6
    auto q = c.send("POST", "/v1/quotes", R"({"tool":"video","params":{"resolution":"720p","seconds":10}})", {key});
    EXPECT_STREQ(q.json()["price_book_version"].GetString(), "v-b");
    EXPECT_STREQ(q.json()["total"].GetString(), "60");
    EXPECT_EQ(server.stop(), 0);
  }
  // A version id reused with other content is refused at start, naming the conflict.
  const std::string changed = write_config(dir, "a2.toml", "v-a", "2026-11-01T00:00:00Z", "7");
  const std::string cmd = tally_binary() + " serve --data " + data + " --config " + changed +
                          " --listen 127.0.0.1:0 > /dev/null 2>&1";
  const int status = std::system(cmd.c_str());
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 1) << status;
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace tally::testing

namespace tally::testing {
namespace {

// Without --public-url, a token's link names the address the server listens on, whatever Host
// the request carries: a caller must not be able to have a token sent to a host of its choice.
TEST(PublicUrl, TokenLinksNameTheListeningAddressNeverTheHostHeader) {
  ServerProcess server;
  HttpClient c(server.port());
  ASSERT_EQ(c.send("POST", "/v1/accounts", R"({"id":"u"})",
                   {bearer(server.admin_key()), {"Idempotency-Key", "o"}})
                .status,
            201);
  const std::string body = R"({"ttl_s":600})";
  auto t = c.raw("POST /v1/accounts/u/tokens HTTP/1.1\r\nHost: evil.example\r\n"
                 "Authorization: Bearer " + server.admin_key() +
                 "\r\nContent-Type: application/json\r\nContent-Length: " +
                 std::to_string(body.size()) + "\r\n\r\n" + body);
  ASSERT_EQ(t.status, 201) << t.body;
  const std::string url = t.json()["url"].GetString();
  const std::string token = t.json()["token"].GetString();
  EXPECT_EQ(url, "http://127.0.0.1:" + std::to_string(server.port()) + "/#token=" + token);
  EXPECT_EQ(url.find("evil.example"), std::string::npos) << url;
  EXPECT_EQ(server.stop(), 0);
}

// Issue 13: /v1/plans showed a plan's configured daily reward (Plus: 1) while a claim granted
// it with the member boost (2). What /v1/plans says a claim grants is what it grants, on every
// plan with a reward, outside and inside a season; the boost and the season are shown apart.
TEST(Plans, TheDailyRewardShownIsWhatAClaimGrants) {
  char tmpl[] = "/tmp/tally-plans-test-XXXXXX";
  const std::string dir = ::mkdtemp(tmpl);
  const std::string config = dir + "/plans.toml";
  std::ofstream(config) << default_config()
                        << "\n[[seasons]]\nid = \"spring\"\nfrom = 2040-03-01T00:00:00Z\n"
                           "to = 2040-03-08T00:00:00Z\namount = 5\n";
  ServerProcess server({.config = config});
  HttpClient c(server.port());
  const auto key = bearer(server.admin_key());
  auto plans_at = [&](const std::string& now) {
    EXPECT_EQ(c.send("POST", "/v1/admin/clock", R"({"now":")" + now + "\"}", {key}).status, 200);
    return c.send("GET", "/v1/plans");
  };
  for (const std::string now : {"2040-02-27T10:00:00Z", "2040-03-02T10:00:00Z"}) {
    SCOPED_TRACE(now);
    const HttpReply plans = plans_at(now);
    ASSERT_EQ(plans.status, 200) << plans.body;
    const auto j = plans.json();
    int claimed = 0;
    for (const auto& p : j["plans"].GetArray()) {
      if (p["daily_reward"].IsNull()) continue;
      const std::string plan = p["id"].GetString();
      const std::string account = "reward-" + plan + "-" + now.substr(0, 10);
      ASSERT_EQ(c.send("POST", "/v1/accounts", R"({"id":")" + account + R"(","plan":")" + plan + "\"}",
                       {key, {"Idempotency-Key", "o-" + account}}).status, 201);
      const HttpReply claim = c.send("POST", "/v1/accounts/" + account + "/rewards/daily", "",
                                     {key, {"Idempotency-Key", "c-" + account}});
      ASSERT_EQ(claim.status, 201) << claim.body;
      const auto got = claim.json();
      const auto& shown = p["daily_reward"];
      EXPECT_STREQ(shown["amount"].GetString(), got["amount"].GetString()) << plan;
      EXPECT_EQ(shown["amount_micro"].GetInt64(), got["amount_micro"].GetInt64()) << plan;
      EXPECT_TRUE(shown.HasMember("season") && shown["season"].IsNull() == got["season"].IsNull())
          << plan;
      ++claimed;
    }
    EXPECT_EQ(claimed, 3);  // free, plus and pro
  }
  // Plus (config/default.toml): 1 a day with a member boost of 2; in the season 5, boosted.
  using Shown = std::tuple<std::string, std::string, bool>;  // now, amount, in a season
  for (const auto& [now, amount, season] : std::vector<Shown>{
           {"2040-03-03T10:00:00Z", "10", true}, {"2040-03-09T10:00:00Z", "2", false}}) {
    const auto j = plans_at(now).json();
    for (const auto& p : j["plans"].GetArray()) {
      if (std::string(p["id"].GetString()) != "plus") continue;
      const auto& r = p["daily_reward"];
      ASSERT_TRUE(r.HasMember("base_amount") && r.HasMember("member_boost") &&
                  r.HasMember("season"));
      EXPECT_EQ(r["amount"].GetString(), amount) << now;
      EXPECT_STREQ(r["base_amount"].GetString(), "1");
      EXPECT_STREQ(r["member_boost"].GetString(), "2");
      EXPECT_EQ(r["season"].IsString(), season) << now;
    }
  }
  EXPECT_EQ(server.stop(), 0);
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace tally::testing
