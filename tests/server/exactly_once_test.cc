// Exactly once, end to end over real HTTP (issue 13, DESIGN rules 8 and 10): one payment credits
// one purchase in the whole deployment, a retry gets its first answer byte for byte whatever
// changed since, priced requests keep batch order, a capture's usage overrides only what it
// names, reserved keys, batch answers that are JSON, and reads exact at their own time.
#include <gtest/gtest.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <memory>
#include <string>
#include <thread>

#include "ledger/time.h"
#include "tests/server/api_suite.h"
#include "tests/server/server_process.h"

namespace tally::testing {
namespace {

using Headers = std::vector<std::pair<std::string, std::string>>;

class ExactlyOnce : public Api {
 protected:
  // The shard that owns an account: the top 16 bits of its lots' ids.
  uint64_t shard_of(const std::string& id) {
    auto a = admin("GET", "/v1/accounts/" + id).json();
    return std::stoull(a["lots"][0]["id"].GetString()) >> 48;
  }
};

TEST_F(ExactlyOnce, OnePaymentCreditsOnePurchaseAcrossShards) {
  open("pay-bob");
  // An account on another shard than bob's.
  std::string alice;
  for (int i = 0; i < 64 && alice.empty(); ++i) {
    const std::string id = "pay-alice-" + std::to_string(i);
    open(id);
    if (shard_of(id) != shard_of("pay-bob")) alice = id;
  }
  ASSERT_FALSE(alice.empty()) << "the server runs one shard: this test needs two";
  const std::string bob_body =
      R"({"account":"pay-bob","pack":"small","currency":"USD","payment_ref":"pi_123"})";
  auto first = admin("POST", "/v1/purchases", bob_body, "buy-bob");
  ASSERT_EQ(first.status, 201) << first.body;
  // The same payment for another account, under another key or none: refused, nothing credited.
  const std::string alice_body = R"({"account":")" + alice +
                                 R"(","pack":"small","currency":"USD","payment_ref":"pi_123"})";
  auto other = admin("POST", "/v1/purchases", alice_body, "buy-alice");
  EXPECT_EQ(other.status, 409) << other.body;
  EXPECT_EQ(type(other), "payment_ref_used");
  auto webhook = admin("POST", "/v1/purchases", alice_body);
  EXPECT_EQ(webhook.status, 409) << webhook.body;
  EXPECT_EQ(available(alice), "35");
  // Another pack under the same payment is another purchase: refused too.
  auto bigger = admin("POST", "/v1/purchases",
                      R"({"account":"pay-bob","pack":"medium","currency":"USD","payment_ref":"pi_123"})");
  EXPECT_EQ(bigger.status, 409) << bigger.body;
  // The same purchase, reported again under any key or none: its first answer, byte for byte.
  for (const std::string key : {"", "buy-bob", "buy-bob-again"}) {
    auto again = admin("POST", "/v1/purchases", bob_body, key);
    EXPECT_EQ(again.status, 201);
    EXPECT_EQ(again.body, first.body) << "key '" << key << "'";
  }
  EXPECT_EQ(available("pay-bob"), "135");
}

TEST_F(ExactlyOnce, ARefusedPurchaseLeavesItsPaymentFree) {
  // A payment reported for an account that does not exist credits nothing and does not bind
  // the payment: reported again for the right account, it is credited.
  auto wrong = admin("POST", "/v1/purchases",
                     R"({"account":"nobody-here","pack":"small","currency":"USD","payment_ref":"pi_9"})");
  EXPECT_EQ(wrong.status, 404) << wrong.body;
  open("pay-right");
  auto right = admin("POST", "/v1/purchases",
                     R"({"account":"pay-right","pack":"small","currency":"USD","payment_ref":"pi_9"})");
  EXPECT_EQ(right.status, 201) << right.body;
  EXPECT_EQ(available("pay-right"), "135");
}

TEST_F(ExactlyOnce, PurchaseKeysAreReserved) {
  open("res-1", "10");
  auto spend = admin("POST", "/v1/spends", R"({"account":"res-1","amount":"1"})", "purchase:pay-77");
  EXPECT_EQ(spend.status, 400) << spend.body;
  EXPECT_EQ(type(spend), "invalid_request");
  auto bought = admin("POST", "/v1/purchases",
                      R"({"account":"res-1","pack":"small","currency":"USD","payment_ref":"pay-77"})");
  EXPECT_EQ(bought.status, 201) << bought.body;
  EXPECT_EQ(available("res-1"), "145");
}

TEST_F(ExactlyOnce, ARetryGetsItsFirstAnswerByteForByte) {
  // Opening: the account as the opening left it, not as it is now.
  auto opened = open("retry-1");
  ASSERT_EQ(admin("POST", "/v1/spends", R"({"account":"retry-1","amount":"20"})", "s-1").status, 201);
  auto reopened = admin("POST", "/v1/accounts", R"({"id":"retry-1"})", "open-retry-1");
  EXPECT_EQ(reopened.status, 201);
  EXPECT_EQ(reopened.body, opened.body);
  // A grant: the lot as granted, not its state after spends.
  auto grant = admin("POST", "/v1/accounts/retry-1/grants", R"({"amount":"50","reason":"r"})", "g-1");
  ASSERT_EQ(grant.status, 201) << grant.body;
  ASSERT_EQ(admin("POST", "/v1/spends", R"({"account":"retry-1","amount":"55"})", "s-2").status, 201);
  auto regrant = admin("POST", "/v1/accounts/retry-1/grants", R"({"amount":"50","reason":"r"})", "g-1");
  EXPECT_EQ(regrant.status, 201);
  EXPECT_EQ(regrant.body, grant.body);
  // A capture with usage.
  ASSERT_EQ(admin("POST", "/v1/accounts/retry-1/grants", R"({"amount":"100","reason":"r"})", "g-2").status, 201);
  auto hold = admin("POST", "/v1/holds",
                    R"({"account":"retry-1","tool":"video","params":{"resolution":"720p","seconds":10}})",
                    "h-1");
  ASSERT_EQ(hold.status, 201) << hold.body;
  const std::string id = hold.json()["id"].GetString();
  const std::string usage = R"({"usage":{"seconds":4}})";
  auto capture = admin("POST", "/v1/holds/" + id + "/capture", usage, "c-1");
  ASSERT_EQ(capture.status, 200) << capture.body;
  auto recapture = admin("POST", "/v1/holds/" + id + "/capture", usage, "c-1");
  EXPECT_EQ(recapture.status, 200) << recapture.body;
  EXPECT_EQ(recapture.body, capture.body);
  // The same key with another body is still a conflict.
  auto other = admin("POST", "/v1/holds/" + id + "/capture", R"({"usage":{"seconds":5}})", "c-1");
  EXPECT_EQ(other.status, 409);
  EXPECT_EQ(type(other), "idempotency_conflict");
}

TEST_F(ExactlyOnce, APricedRetryIgnoresAPlanChange) {
  // The advanced chat model costs 1 on free and is included in pro.
  open("plan-1", "10");
  const std::string job = R"({"account":"plan-1","tool":"chat","params":{"model":"advanced"}})";
  auto held = admin("POST", "/v1/holds", job, "ph-1");
  ASSERT_EQ(held.status, 201) << held.body;
  ASSERT_EQ(admin("PUT", "/v1/accounts/plan-1/subscription", R"({"plan":"pro"})", "up-1").status, 200);
  auto retry = admin("POST", "/v1/holds", job, "ph-1");
  EXPECT_EQ(retry.status, 201);
  EXPECT_EQ(retry.body, held.body);
  EXPECT_STREQ(admin("GET", "/v1/accounts/plan-1").json()["balance"]["held"].GetString(), "1");
}

// The other way, on a server of its own (its clock moves a month, so its keys are kept for 60
// days rather than 7: past its retention a key is a new request): a job included in the plan,
// retried once the plan no longer includes it, gets "included" again and holds nothing.
TEST(ExactlyOnceAlone, AnIncludedJobRetriedAfterADowngradeChangesNothing) {
  std::ifstream in(std::string(TALLY_SOURCE_DIR) + "/config/default.toml");
  std::stringstream text;
  text << in.rdbuf();
  std::string config = text.str();
  const size_t ledger = config.find("[ledger]\n");
  ASSERT_NE(ledger, std::string::npos);
  config.insert(ledger + 9, "idempotency_retention = \"P60D\"\n");
  char dir[] = "/tmp/tally-exactly-once-XXXXXX";
  ASSERT_NE(::mkdtemp(dir), nullptr);
  const std::string path = std::string(dir) + "/long-keys.toml";
  std::ofstream(path) << config;
  ServerProcess server({.config = path});
  std::filesystem::remove_all(dir);  // read at the start
  HttpClient c(server.port());
  auto send = [&](const std::string& method, const std::string& path, const std::string& body,
                  const std::string& key = "") {
    Headers h = {bearer(server.admin_key())};
    if (!key.empty()) h.emplace_back("Idempotency-Key", key);
    return c.send(method, path, body, h);
  };
  ASSERT_EQ(send("POST", "/v1/admin/clock", R"({"now":"2027-01-04T10:00:00Z"})").status, 200);
  ASSERT_EQ(send("POST", "/v1/accounts", R"({"id":"inc-1","plan":"pro"})", "o").status, 201);
  const std::string job = R"({"account":"inc-1","tool":"chat","params":{"model":"advanced"}})";
  auto included = send("POST", "/v1/holds", job, "ph-2");
  ASSERT_EQ(included.status, 200) << included.body;
  EXPECT_STREQ(included.json()["state"].GetString(), "included");
  ASSERT_EQ(send("PUT", "/v1/accounts/inc-1/subscription", R"({"plan":"free"})", "d").status, 200);
  ASSERT_EQ(send("POST", "/v1/admin/clock", R"({"now":"2027-02-10T10:00:00Z"})").status, 200);
  auto account = send("GET", "/v1/accounts/inc-1", "").json();
  ASSERT_STREQ(account["subscription"]["plan"].GetString(), "free");
  auto again = send("POST", "/v1/holds", job, "ph-2");
  EXPECT_EQ(again.status, 200);
  EXPECT_EQ(again.body, included.body);
  EXPECT_STREQ(send("GET", "/v1/accounts/inc-1", "").json()["balance"]["held"].GetString(), "0");
  // A new key is priced on the plan of now.
  EXPECT_EQ(send("POST", "/v1/holds", job, "ph-3").status, 201);
  EXPECT_EQ(server.stop(), 0);
}

TEST_F(ExactlyOnce, ACaptureUsageOverridesOnlyWhatItNames) {
  open("usage-1", "100");
  auto hold = admin("POST", "/v1/holds",
                    R"({"account":"usage-1","tool":"video","params":{"resolution":"1080p","seconds":8}})",
                    "uh-1");
  ASSERT_EQ(hold.status, 201) << hold.body;
  EXPECT_STREQ(hold.json()["amount"].GetString(), "80");
  const std::string id = hold.json()["id"].GetString();
  // 6 seconds at the hold's 1080p: 60, not 6 seconds at the default 480p (12).
  auto c = admin("POST", "/v1/holds/" + id + "/capture", R"({"usage":{"seconds":6}})", "uc-1");
  ASSERT_EQ(c.status, 200) << c.body;
  EXPECT_STREQ(c.json()["captured"].GetString(), "60");
  EXPECT_STREQ(c.json()["released"].GetString(), "20");
}

TEST_F(ExactlyOnce, ABatchKeepsOrderForPricedRequests) {
  for (int run = 0; run < 10; ++run) {
    const std::string a = "order-" + std::to_string(run);
    open(a);
    // Spend the opening's 35 credits down to exactly 10.
    ASSERT_EQ(admin("POST", "/v1/spends", R"({"account":")" + a + R"(","amount":"25"})",
                    "down-" + a).status, 201);
    auto r = admin("POST", "/v1/batch", R"({"requests":[
        {"method":"POST","path":"/v1/holds","idempotency_key":"ph-)" + a + R"(","body":{"account":")" + a + R"(","tool":"upscale"}},
        {"method":"POST","path":"/v1/spends","idempotency_key":"sp-)" + a + R"(","body":{"account":")" + a + R"(","amount":"10"}}]})");
    ASSERT_EQ(r.status, 200) << r.body;
    auto j = r.json();
    EXPECT_EQ(j["responses"][0]["status"].GetInt(), 201) << r.body;
    EXPECT_EQ(j["responses"][1]["status"].GetInt(), 402) << r.body;
  }
  open("order-cap", "100");
  auto hold = admin("POST", "/v1/holds",
                    R"({"account":"order-cap","tool":"video","params":{"resolution":"720p","seconds":10}})",
                    "oc-h");
  ASSERT_EQ(hold.status, 201) << hold.body;
  const std::string id = hold.json()["id"].GetString();
  auto r = admin("POST", "/v1/batch", R"({"requests":[
      {"method":"POST","path":"/v1/holds/)" + id + R"(/capture","idempotency_key":"oc-c","body":{"usage":{"seconds":2}}},
      {"method":"POST","path":"/v1/holds/)" + id + R"(/release","idempotency_key":"oc-r","body":{"reason":"late"}}]})");
  ASSERT_EQ(r.status, 200) << r.body;
  auto j = r.json();
  EXPECT_EQ(j["responses"][0]["status"].GetInt(), 200) << r.body;
  EXPECT_EQ(j["responses"][1]["status"].GetInt(), 409) << r.body;
  EXPECT_STREQ(j["responses"][1]["body"]["type"].GetString(), "hold_not_active");
}

TEST_F(ExactlyOnce, ABatchItemAnswersJsonOrIsRefused) {
  open("json-1", "10");
  auto r = admin("POST", "/v1/batch", R"({"requests":[
      {"method":"POST","path":"/v1/spends","idempotency_key":"js-1","body":{"account":"json-1","amount":"1"}},
      {"method":"GET","path":"/metrics"}]})");
  ASSERT_EQ(r.status, 200) << r.body;
  auto j = r.json();  // asserts the whole answer is JSON
  EXPECT_EQ(j["responses"][0]["status"].GetInt(), 201);
  EXPECT_EQ(j["responses"][1]["status"].GetInt(), 400);
  EXPECT_STREQ(j["responses"][1]["body"]["type"].GetString(), "invalid_request");
}

TEST_F(ExactlyOnce, ReadsAreExactAtTheirOwnTimeWithAManualClock) {
  open("exp-1");
  auto g = admin("POST", "/v1/accounts/exp-1/grants",
                 R"({"amount":"7","reason":"short","expires_at":"2027-01-04T10:00:05Z"})", "eg-1");
  ASSERT_EQ(g.status, 201) << g.body;
  EXPECT_EQ(available("exp-1"), "42");
  // The clock's reply promises every shard has moved: the very next read shows the expiry,
  // and so does every read after it, however often they come.
  auto c = admin("POST", "/v1/admin/clock", R"({"now":"2027-01-04T10:00:06Z"})");
  ASSERT_EQ(c.status, 200) << c.body;
  for (int i = 0; i < 20; ++i) {
    ASSERT_EQ(available("exp-1"), "35") << "read " << i;
    auto b = admin("GET", "/v1/accounts/exp-1/balance").json();
    ASSERT_STREQ(b["available"].GetString(), "35");
  }
}

// With the real clock: polled every 50 ms around its expiry, a lot never shows as available in
// a reply whose own time is at or past its expiry, and it is gone within a second of it.
TEST(ExactlyOnceRealClock, ReadsAreExactAtTheirOwnTimeWithTheRealClock) {
  ServerOptions options;
  options.extra_args = {};
  ServerProcess server(options);
  HttpClient c(server.port());
  const Headers admin = {bearer(server.admin_key())};
  auto with_key = [&](const std::string& key) {
    Headers h = admin;
    h.emplace_back("Idempotency-Key", key);
    return h;
  };
  ASSERT_EQ(c.send("POST", "/v1/accounts", R"({"id":"rt-1","plan":null})", with_key("o")).status, 201);
  const auto now = std::chrono::system_clock::now();
  const int64_t now_us =
      std::chrono::duration_cast<std::chrono::microseconds>(now.time_since_epoch()).count();
  const TimeUs expires{now_us + 1'500'000};
  auto g = c.send("POST", "/v1/accounts/rt-1/grants",
                  R"({"amount":"5","reason":"short","expires_at":")" + format_time(expires) + "\"}",
                  with_key("g"));
  ASSERT_EQ(g.status, 201) << g.body;
  bool seen_gone = false;
  const auto deadline = now + std::chrono::milliseconds(3500);
  while (std::chrono::system_clock::now() < deadline) {
    const int64_t sent_us = std::chrono::duration_cast<std::chrono::microseconds>(
                                std::chrono::system_clock::now().time_since_epoch())
                                .count();
    auto b = c.send("GET", "/v1/accounts/rt-1/balance", "", admin);
    ASSERT_EQ(b.status, 200) << b.body;
    auto j = b.json();
    auto as_of = parse_time(j["as_of"].GetString());
    ASSERT_TRUE(as_of.has_value());
    // As of its own time: not older than the moment it was sent (same machine, same clock).
    ASSERT_GE(as_of->us, sent_us) << j["as_of"].GetString();
    const std::string avail = j["available"].GetString();
    if (*as_of >= expires) {
      ASSERT_EQ(avail, "0") << "as of " << j["as_of"].GetString();
      seen_gone = true;
    } else {
      ASSERT_EQ(avail, "5");
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  EXPECT_TRUE(seen_gone) << "no read in the 2 s after the expiry was as of a time past it";
  EXPECT_EQ(server.stop(), 0);
}

}  // namespace
}  // namespace tally::testing
