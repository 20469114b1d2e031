// Webhooks end to end (issue 18, docs/webhooks.md): a real `tally serve` delivers to real HTTP
// receivers on 127.0.0.1 (webhook_receiver.h), each started and stopped by its test. Every event
// type arrives signed and equal to the feed's JSON; one balance.low per crossing; an endpoint
// gets only its types; a receiver that answers 500, hangs or is down gets every event once it
// recovers, in order per account, also across a SIGKILL of Tally; a secret rotation signs with
// both secrets during its overlap; an endpoint that fails for the whole give-up window is
// disabled and can be enabled, and the other endpoints are told (webhook.disabled); a
// redelivery; the registry survives a restart; deliveries share one kept-alive connection.
#include <gtest/gtest.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <memory>
#include <set>
#include <sstream>
#include <thread>

#include "tests/server/server_process.h"
#include "tests/server/test_certificate.h"
#include "tests/server/webhook_receiver.h"
#include "webhooks/signature.h"

namespace tally::testing {
namespace {

using Requests = std::vector<WebhookReceiver::Request>;

// The built-in configuration with `extra` after it (a [webhooks] section), as a file.
std::string config_file(const std::string& extra) {
  std::ifstream in(TALLY_SOURCE_DIR "/config/default.toml");
  std::stringstream text;
  text << in.rdbuf() << "\n" << extra << "\n";
  char tmpl[] = "/tmp/tally-webhooks-test-XXXXXX";
  const std::string dir = ::mkdtemp(tmpl);
  const std::string path = dir + "/tally.toml";
  std::ofstream(path) << text.str();
  return path;
}

std::string compact(const rapidjson::Value& v) {
  rapidjson::StringBuffer b;
  rapidjson::Writer<rapidjson::StringBuffer> w(b);
  v.Accept(w);
  return b.GetString();
}

rapidjson::Document parse(const std::string& s) {
  rapidjson::Document d;
  d.Parse(s.c_str());
  return d;
}

std::string field(const std::string& json, const char* name) {
  auto d = parse(json);
  return d.IsObject() && d.HasMember(name) && d[name].IsString() ? d[name].GetString() : "";
}

// Retries were made quick, so that the tests take seconds.
const char* k_quick = R"([webhooks]
timeout = "PT2S"
retry_first = "PT1S"
retry_max = "PT2S"
)";

class Webhooks : public ::testing::Test {
 protected:
  void start(const std::string& extra = k_quick) {
    ServerOptions o;
    o.config = config_file(extra);
    server_ = std::make_unique<ServerProcess>(o);
    set_clock("2027-01-04T10:00:00Z");
  }
  void TearDown() override {
    if (server_) {
      EXPECT_EQ(server_->stop(), 0);
    }
  }

  HttpReply admin(const std::string& method, const std::string& path, const std::string& body = "",
                  const std::string& key = "") {
    HttpClient c(server_->port());
    std::vector<std::pair<std::string, std::string>> h = {bearer(server_->admin_key())};
    if (!key.empty()) h.emplace_back("Idempotency-Key", key);
    return c.send(method, path, body, h);
  }
  void ok(const HttpReply& r, int status = 0) {
    if (status) {
      EXPECT_EQ(r.status, status) << r.body;
    } else {
      EXPECT_TRUE(r.status >= 200 && r.status < 300) << r.status << " " << r.body;
    }
  }
  void set_clock(const std::string& t) {
    ASSERT_EQ(admin("POST", "/v1/admin/clock", R"({"now":")" + t + "\"}").status, 200);
  }
  // A new endpoint: its id and secret.
  std::pair<std::string, std::string> hook(const std::string& url, const std::string& types = "") {
    const std::string body = R"({"url":")" + url + R"(","description":"test")" +
                             (types.empty() ? "" : R"(,"event_types":)" + types) + "}";
    auto r = admin("POST", "/v1/webhooks", body);
    EXPECT_EQ(r.status, 201) << r.body;
    return {field(r.body, "id"), field(r.body, "secret")};
  }
  void open(const std::string& id, const std::string& extra = "") {
    ok(admin("POST", "/v1/accounts", R"({"id":")" + id + "\"}", "open-" + id), 201);
    if (!extra.empty()) grant(id, extra, "grant-" + id);
  }
  void grant(const std::string& id, const std::string& amount, const std::string& key,
             const std::string& more = "") {
    ok(admin("POST", "/v1/accounts/" + id + "/grants",
             R"({"amount":")" + amount + R"(","reason":"test")" + more + "}", key),
       201);
  }
  std::string spend(const std::string& id, const std::string& amount, const std::string& key) {
    auto r = admin("POST", "/v1/spends",
                   R"({"account":")" + id + R"(","amount":")" + amount + "\"}", key);
    EXPECT_EQ(r.status, 201) << r.body;
    return field(r.body, "id");
  }
  std::string available(const std::string& id) {
    auto r = admin("GET", "/v1/accounts/" + id);
    return r.json()["balance"]["available"].GetString();
  }
  // The account's events in the feed: id -> the event's JSON.
  std::map<uint64_t, std::string> feed(const std::string& account) {
    auto r = admin("GET", "/v1/accounts/" + account + "/events?limit=1000");
    EXPECT_EQ(r.status, 200) << r.body;
    std::map<uint64_t, std::string> out;
    auto d = r.json();
    for (const auto& e : d["events"].GetArray()) out[std::stoull(e["id"].GetString())] = compact(e);
    return out;
  }

  std::unique_ptr<ServerProcess> server_;
};

int64_t unix_now() {
  return static_cast<int64_t>(std::time(nullptr));
}

// The deliveries of `account`'s events, in the order they arrived.
std::vector<uint64_t> ids_of(const Requests& rs, const std::string& account) {
  std::vector<uint64_t> out;
  for (const auto& r : rs) {
    auto d = parse(r.body);
    if (d.IsObject() && std::string(d["account"].GetString()) == account) {
      out.push_back(std::stoull(d["id"].GetString()));
    }
  }
  return out;
}

TEST_F(Webhooks, EveryEventTypeIsDeliveredSignedAsTheFeedShowsIt) {
  start();
  WebhookReceiver receiver;
  auto [id, secret] = hook(receiver.url());
  open("all", "20");  // 55 available
  ok(admin("PUT", "/v1/accounts/all/alerts", R"({"low_balance":"50","expiring_notice":"P3D"})",
           "al"));
  spend("all", "10", "s1");                          // balance.low
  grant("all", "5", "g2", R"(,"valid_for":"P1D")");  // credits.expiring
  auto hold = admin("POST", "/v1/holds", R"({"account":"all","amount":"2","ttl_s":60})", "h1");
  ok(hold, 201);
  auto buy = admin("POST", "/v1/purchases",
                   R"({"account":"all","pack":"small","currency":"USD","payment_ref":"wh-pay-1"})");
  ok(buy, 201);  // purchase.completed
  ok(admin("POST", "/v1/purchases/" + field(buy.body, "id") + "/void", R"({"reason":"chargeback"})",
           "v1"));  // purchase.voided
  const std::string s2 = spend("all", "3", "s2");
  ok(admin("POST", "/v1/spends/" + s2 + "/refunds", R"({"reason":"blurry"})",
           "r1"));                    // refund.created
  set_clock("2027-01-06T10:00:00Z");  // hold.timed_out, credits.expired
  set_clock("2027-01-12T10:00:00Z");  // subscription.renewed (weekly)
  ok(admin("POST", "/v1/accounts/all/subscription/past_due", "", "pd"));  // subscription.past_due
  ok(admin("PUT", "/v1/accounts/all/auto_topup", R"({"below":"5","pack":"small","currency":"USD"})",
           "at"));
  spend("all", available("all"), "s3");  // balance.depleted, auto_topup.requested
  // A team account's soft budget: one spend past its alert_at and its limit.
  ok(admin("POST", "/v1/accounts", R"({"id":"crew","plan":"pro","kind":"team","owner":"olga"})",
           "open-crew"),
     201);
  ok(admin("POST", "/v1/accounts/crew/budgets",
           R"({"id":"olga-soft","member":"olga","limit":"10","period":"P1M","mode":"soft",)"
           R"("alert_at":"5"})",
           "b1"),
     201);
  ok(admin("POST", "/v1/spends", R"({"account":"crew","amount":"11","member":"olga"})", "s4"),
     201);  // budget.threshold_reached, budget.exceeded

  const std::set<std::string> all_types = {
      "balance.low",           "balance.depleted",     "credits.expiring",
      "credits.expired",       "hold.timed_out",       "subscription.renewed",
      "subscription.past_due", "purchase.completed",   "purchase.voided",
      "refund.created",        "auto_topup.requested", "budget.threshold_reached",
      "budget.exceeded"};
  auto events = feed("all");
  events.merge(feed("crew"));
  ASSERT_TRUE(receiver.wait_until([&](const Requests& rs) {
    std::set<uint64_t> got;
    for (const auto& r : rs) {
      if (r.answered == 200) got.insert(std::stoull(r.headers.at("tally-event-id")));
    }
    for (const auto& [event, json] : events) {
      if (!got.count(event)) return false;
    }
    return true;
  })) << receiver.requests().size()
      << " requests";
  std::set<std::string> types;
  for (const auto& r : receiver.delivered()) {
    EXPECT_EQ(r.target, "/hook");
    EXPECT_EQ(r.headers.at("content-type"), "application/json");
    EXPECT_EQ(r.headers.at("tally-webhook-id"), id);
    EXPECT_TRUE(
        webhooks::verify_signature(r.headers.at("tally-signature"), r.body, secret, unix_now()))
        << r.headers.at("tally-signature");
    EXPECT_FALSE(webhooks::verify_signature(r.headers.at("tally-signature"), r.body, secret + "x",
                                            unix_now()));
    const uint64_t event = std::stoull(r.headers.at("tally-event-id"));
    ASSERT_TRUE(events.count(event)) << r.body;
    EXPECT_EQ(r.body, events.at(event)) << "the delivery's body is the feed's event";
    types.insert(field(r.body, "type"));
  }
  EXPECT_EQ(types, all_types);
  // Each one was delivered once: the receiver answered 200 at once.
  EXPECT_EQ(receiver.delivered().size(), events.size());
  HttpReply deliveries;
  for (int i = 0; i < 200; ++i) {  // the last attempt is recorded once it was answered
    deliveries = admin("GET", "/v1/webhooks/" + id + "/deliveries?limit=1000");
    ASSERT_EQ(deliveries.status, 200) << deliveries.body;
    if (deliveries.json()["deliveries"].Size() >= events.size()) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  auto d = deliveries.json();
  EXPECT_EQ(d["deliveries"].Size(), events.size());
  EXPECT_EQ(d["deliveries"][0]["status"].GetInt(), 200);
  EXPECT_TRUE(d["deliveries"][0]["delivered"].GetBool());
  EXPECT_TRUE(d["deliveries"][0]["error"].IsNull());
  EXPECT_GE(d["deliveries"][0]["latency_ms"].GetInt64(), 0);
}

TEST_F(Webhooks, OneBalanceLowPerCrossingAndOnlyTheTypesAsked) {
  start();
  WebhookReceiver low, everything;
  hook(low.url(), R"(["balance.low"])");
  hook(everything.url());
  open("cross", "20");  // 55
  ok(admin("PUT", "/v1/accounts/cross/alerts", R"({"low_balance":"50"})", "al"));
  spend("cross", "10", "c1");  // 45: crosses
  spend("cross", "1", "c2");   // 44: still below
  grant("cross", "20", "c3");  // 64: armed again
  spend("cross", "20", "c4");  // 44: crosses again
  spend("cross", "44", "c5");  // 0: balance.depleted, no third balance.low
  const auto events = feed("cross");
  ASSERT_TRUE(everything.wait_until(
      [&](const Requests& rs) { return ids_of(rs, "cross").size() >= events.size(); }));
  ASSERT_TRUE(low.wait_until([](const Requests& rs) { return rs.size() >= 2; }));
  // The filtered endpoint walks the same events: once the other has them all, give it a moment.
  std::this_thread::sleep_for(std::chrono::milliseconds(1500));
  const Requests got = low.delivered();
  ASSERT_EQ(got.size(), 2u);
  for (const auto& r : got) EXPECT_EQ(field(r.body, "type"), "balance.low") << r.body;
  EXPECT_EQ(field(got[0].body, "account"), "cross");
  EXPECT_LT(std::stoull(field(got[0].body, "id")), std::stoull(field(got[1].body, "id")));
  int lows = 0;
  for (const auto& [id, json] : events) lows += field(json, "type") == "balance.low";
  EXPECT_EQ(lows, 2);
}

TEST_F(Webhooks, AFailingReceiverGetsEveryEventInOrderOnceItRecoversAcrossASigkill) {
  start();
  WebhookReceiver receiver;
  receiver.set_status(500);
  auto [id, secret] = hook(receiver.url());
  const std::vector<std::string> accounts = {"f-a", "f-b", "f-c", "f-d"};
  int n = 0;
  auto churn = [&] {  // each account: depleted, then credits again
    for (const std::string& a : accounts) {
      spend(a, available(a), "f-s" + std::to_string(++n));
      grant(a, "7", "f-g" + std::to_string(++n));
    }
  };
  for (const std::string& a : accounts) open(a);
  churn();
  // It answers 500: retried.
  ASSERT_TRUE(receiver.wait_until([](const Requests& rs) { return rs.size() >= 2; }));
  EXPECT_TRUE(receiver.delivered().empty());
  // It hangs: each attempt times out (a second one arrives after the first timed out).
  receiver.set_hang(true);
  const size_t before = receiver.requests().size();
  ASSERT_TRUE(
      receiver.wait_until([&](const Requests& rs) { return rs.size() >= before + 2; }, 20'000));
  // It is down, and so is Tally, killed.
  receiver.stop();
  churn();
  server_->kill();
  server_->restart();
  churn();
  // Every kind of failure is in the endpoint's log: the 500s, the timeouts, and the refused
  // connections (before and after the restart).
  std::set<std::string> outcomes;
  std::string log;
  for (int i = 0; i < 150 && outcomes.size() < 3; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    auto attempts = admin("GET", "/v1/webhooks/" + id + "/deliveries?limit=1000");
    ASSERT_EQ(attempts.status, 200) << attempts.body;
    log = attempts.body;
    outcomes.clear();
    auto ad = attempts.json();
    for (const auto& a : ad["deliveries"].GetArray()) {
      const std::string what =
          a["status"].IsNull() ? a["error"].GetString() : std::to_string(a["status"].GetInt());
      if (what == "500") outcomes.insert("500");
      if (what.starts_with("timed out")) outcomes.insert("timeout");
      if (what.starts_with("connecting: Connection refused")) outcomes.insert("refused");
    }
  }
  EXPECT_EQ(outcomes, (std::set<std::string>{"500", "timeout", "refused"})) << log;
  auto failing = admin("GET", "/v1/webhooks/" + id);
  ASSERT_EQ(failing.status, 200) << failing.body;
  EXPECT_EQ(field(failing.body, "status"), "failing") << failing.body;

  // It recovers.
  receiver.set_hang(false);
  receiver.set_status(200);
  receiver.start();
  std::map<std::string, std::map<uint64_t, std::string>> events;
  for (const std::string& a : accounts) events[a] = feed(a);
  ASSERT_TRUE(receiver.wait_until(
      [&](const Requests& rs) {
        Requests got;
        for (const auto& r : rs) {
          if (r.answered == 200) got.push_back(r);
        }
        for (const std::string& a : accounts) {
          const auto ids = ids_of(got, a);
          if (std::set<uint64_t>(ids.begin(), ids.end()).size() < events[a].size()) return false;
        }
        return true;
      },
      60'000));
  const Requests got = receiver.delivered();
  for (const std::string& a : accounts) {
    const auto ids = ids_of(got, a);
    EXPECT_TRUE(std::is_sorted(ids.begin(), ids.end())) << a << ": out of order";
    std::set<uint64_t> expected;
    for (const auto& [event, json] : events[a]) expected.insert(event);
    EXPECT_EQ(std::set<uint64_t>(ids.begin(), ids.end()), expected) << a;
  }
  for (const auto& r : got) {
    EXPECT_TRUE(
        webhooks::verify_signature(r.headers.at("tally-signature"), r.body, secret, unix_now()));
  }
  auto healthy = admin("GET", "/v1/webhooks/" + id);
  EXPECT_EQ(field(healthy.body, "status"), "enabled") << healthy.body;
}

TEST_F(Webhooks, ARotatedSecretSignsBesideTheOldOneDuringTheOverlap) {
  start();
  WebhookReceiver receiver;
  auto [id, first] = hook(receiver.url());
  auto rotated = admin("POST", "/v1/webhooks/" + id + "/rotate_secret", R"({"overlap_s":3600})");
  ASSERT_EQ(rotated.status, 200) << rotated.body;
  const std::string second = field(rotated.body, "secret");
  ASSERT_TRUE(second.starts_with("whsec_")) << rotated.body;
  EXPECT_NE(second, first);
  EXPECT_FALSE(rotated.json()["previous_secret_valid_until"].IsNull()) << rotated.body;
  open("rot", "20");
  spend("rot", available("rot"), "rot-1");  // balance.depleted
  ASSERT_TRUE(receiver.wait_until([](const Requests& rs) { return !rs.empty(); }));
  const auto r = receiver.delivered().at(0);
  const std::string sig = r.headers.at("tally-signature");
  EXPECT_NE(sig.find(",v1="), sig.rfind(",v1=")) << "two signatures: " << sig;
  EXPECT_TRUE(webhooks::verify_signature(sig, r.body, first, unix_now()));
  EXPECT_TRUE(webhooks::verify_signature(sig, r.body, second, unix_now()));

  // No overlap: only the newest signs.
  auto again = admin("POST", "/v1/webhooks/" + id + "/rotate_secret", R"({"overlap_s":0})");
  ASSERT_EQ(again.status, 200) << again.body;
  const std::string third = field(again.body, "secret");
  EXPECT_TRUE(again.json()["previous_secret_valid_until"].IsNull()) << again.body;
  grant("rot", "5", "rot-2");
  spend("rot", "5", "rot-3");
  ASSERT_TRUE(receiver.wait_until([](const Requests& rs) { return rs.size() >= 2; }));
  const auto later = receiver.delivered().back();
  const std::string sig2 = later.headers.at("tally-signature");
  EXPECT_EQ(sig2.find(",v1="), sig2.rfind(",v1=")) << sig2;
  EXPECT_TRUE(webhooks::verify_signature(sig2, later.body, third, unix_now()));
  EXPECT_FALSE(webhooks::verify_signature(sig2, later.body, second, unix_now()));
  EXPECT_FALSE(webhooks::verify_signature(sig2, later.body, first, unix_now()));
}

TEST_F(Webhooks, AnEndpointFailingForTheWholeWindowIsDisabledAndCanBeEnabled) {
  start(std::string(k_quick) + "give_up_after = \"PT3S\"\n");
  WebhookReceiver receiver;
  receiver.set_status(503);
  auto [id, secret] = hook(receiver.url());
  open("dis", "20");
  spend("dis", available("dis"), "dis-1");
  HttpReply got;
  for (int i = 0; i < 100; ++i) {
    got = admin("GET", "/v1/webhooks/" + id);
    if (field(got.body, "status") == "disabled") break;
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
  }
  ASSERT_EQ(field(got.body, "status"), "disabled") << got.body;
  EXPECT_NE(field(got.body, "disabled_at"), "");
  EXPECT_NE(field(got.body, "disabled_reason").find("HTTP 503"), std::string::npos) << got.body;
  auto list = admin("GET", "/v1/webhooks");
  ASSERT_EQ(list.status, 200) << list.body;
  auto l = list.json();
  ASSERT_EQ(l["webhooks"].Size(), 1u);
  EXPECT_STREQ(l["webhooks"][0]["status"].GetString(), "disabled");
  // Disabled: nothing more is tried.
  const size_t tried = receiver.requests().size();
  EXPECT_GE(tried, 2u);
  std::this_thread::sleep_for(std::chrono::milliseconds(2500));
  EXPECT_EQ(receiver.requests().size(), tried);
  // Enabled again: the event that never went through arrives.
  receiver.set_status(200);
  auto enabled = admin("POST", "/v1/webhooks/" + id + "/enable");
  ASSERT_EQ(enabled.status, 200) << enabled.body;
  EXPECT_EQ(field(enabled.body, "status"), "enabled");
  EXPECT_TRUE(enabled.json()["disabled_at"].IsNull());
  ASSERT_TRUE(receiver.wait_until([&](const Requests& rs) {
    for (const auto& r : rs) {
      if (r.answered == 200 && field(r.body, "type") == "balance.depleted") return true;
    }
    return false;
  }));
}

TEST_F(Webhooks, ARedeliverySendsAnEventAgain) {
  start();
  WebhookReceiver receiver;
  auto [id, secret] = hook(receiver.url(), R"(["balance.depleted"])");
  open("again", "20");
  spend("again", available("again"), "ag-1");
  ASSERT_TRUE(receiver.wait_until([](const Requests& rs) { return !rs.empty(); }));
  const std::string event = receiver.delivered().at(0).headers.at("tally-event-id");
  auto r = admin("POST", "/v1/webhooks/" + id + "/deliveries/" + event + "/redeliver");
  ASSERT_EQ(r.status, 202) << r.body;
  ASSERT_TRUE(receiver.wait_until([](const Requests& rs) { return rs.size() >= 2; }));
  const auto got = receiver.delivered();
  EXPECT_EQ(got[1].headers.at("tally-event-id"), event);
  EXPECT_EQ(got[1].body, got[0].body);
  EXPECT_TRUE(webhooks::verify_signature(got[1].headers.at("tally-signature"), got[1].body, secret,
                                         unix_now()));
  // The attempt is recorded once the receiver answered: it may take a moment to show.
  HttpReply deliveries;
  for (int i = 0; i < 200; ++i) {
    deliveries = admin("GET", "/v1/webhooks/" + id + "/deliveries");
    if (deliveries.json()["deliveries"].Size() >= 2) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  auto d = deliveries.json();
  ASSERT_EQ(d["deliveries"].Size(), 2u) << deliveries.body;
  EXPECT_TRUE(d["deliveries"][0]["redelivery"].GetBool());  // newest first
  EXPECT_FALSE(d["deliveries"][1]["redelivery"].GetBool());
  EXPECT_EQ(admin("POST", "/v1/webhooks/" + id + "/deliveries/999999/redeliver").status, 404);
}

TEST_F(Webhooks, HttpsReceiversMustPresentATrustedCertificate) {
  const CertFiles trusted_cert = make_certificate(), other_cert = make_certificate();
  start(std::string(k_quick) + "ca_file = \"" + trusted_cert.cert + "\"\n");
  WebhookReceiver trusted(trusted_cert.cert, trusted_cert.key);
  WebhookReceiver untrusted(other_cert.cert, other_cert.key);
  ASSERT_TRUE(trusted.url().starts_with("https://127.0.0.1:"));
  auto [id, secret] = hook(trusted.url());
  auto [bad, bad_secret] = hook(untrusted.url());
  open("tls", "20");
  spend("tls", available("tls"), "tls-1");
  ASSERT_TRUE(trusted.wait_until([](const Requests& rs) { return !rs.empty(); }));
  grant("tls", "5", "tls-2");
  spend("tls", "5", "tls-3");  // a second delivery, on the same TLS connection
  ASSERT_TRUE(trusted.wait_until([](const Requests& rs) { return rs.size() >= 2; }));
  EXPECT_EQ(trusted.connections(), 1);
  const auto r = trusted.delivered().at(0);
  EXPECT_TRUE(
      webhooks::verify_signature(r.headers.at("tally-signature"), r.body, secret, unix_now()));
  EXPECT_EQ(field(r.body, "type"), "balance.depleted");
  // The other certificate is not trusted: the handshake fails, nothing is sent, it is retried.
  std::string log;
  for (int i = 0; i < 100 && log.find("TLS handshake") == std::string::npos; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    log = admin("GET", "/v1/webhooks/" + bad + "/deliveries").body;
  }
  EXPECT_NE(log.find("TLS handshake"), std::string::npos) << log;
  EXPECT_TRUE(untrusted.requests().empty());
  EXPECT_EQ(field(admin("GET", "/v1/webhooks/" + bad).body, "status"), "failing");
}

TEST_F(Webhooks, DeliveriesShareOneKeptAliveConnectionAndReconnectWhenItCloses) {
  start();
  WebhookReceiver receiver;
  auto [id, secret] = hook(receiver.url(), R"(["balance.depleted"])");
  const std::vector<std::string> accounts = {"ka-a", "ka-b", "ka-c", "ka-d", "ka-e"};
  int n = 0;
  auto deplete_all = [&] {  // one balance.depleted per account
    for (const std::string& a : accounts) {
      grant(a, "3", "ka-g" + std::to_string(++n));
      spend(a, available(a), "ka-s" + std::to_string(++n));
    }
  };
  for (const std::string& a : accounts) open(a);
  deplete_all();
  deplete_all();
  auto count = [&](size_t k) {
    return receiver.wait_until([k](const Requests& rs) { return rs.size() >= k; });
  };
  ASSERT_TRUE(count(10));
  EXPECT_EQ(receiver.connections(), 1) << "every delivery on the first connection";
  for (const auto& r : receiver.requests()) EXPECT_EQ(r.connection, 1);
  // /metrics says the same (the last attempt is counted once it is answered: a moment).
  std::string metrics;
  for (int i = 0; i < 100; ++i) {
    metrics = HttpClient(server_->port()).send("GET", "/metrics").body;
    if (metrics.find("tally_webhook_deliveries_total{outcome=\"delivered\"} 10\n") !=
        std::string::npos) {
      break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  EXPECT_NE(metrics.find("tally_webhook_deliveries_total{outcome=\"delivered\"} 10\n"),
            std::string::npos)
      << metrics;
  EXPECT_NE(metrics.find("tally_webhook_deliveries_total{outcome=\"failed\"} 0\n"),
            std::string::npos);
  EXPECT_NE(metrics.find("tally_webhook_connections_total 1\n"), std::string::npos) << metrics;
  // The receiver goes away and comes back: the kept connection is closed under the sender,
  // which opens a new one; nothing fails.
  receiver.stop();
  receiver.start();
  deplete_all();
  ASSERT_TRUE(count(15));
  EXPECT_EQ(receiver.connections(), 2);
  // A receiver that closes each connection: one per delivery.
  receiver.set_keep_alive(false);
  deplete_all();
  ASSERT_TRUE(count(20));
  EXPECT_GE(receiver.connections(), 6);
  for (const auto& r : receiver.requests()) EXPECT_EQ(r.answered, 200);
  EXPECT_EQ(receiver.delivered().size(), 20u);
  auto attempts = admin("GET", "/v1/webhooks/" + id + "/deliveries?limit=1000");
  EXPECT_EQ(attempts.body.find("\"delivered\":false"), std::string::npos) << attempts.body;
}

// Deliveries are recorded in groups: a SIGKILL in the middle of a stream may send acknowledged
// events again, never skip one, and each account's events first arrive in order.
TEST_F(Webhooks, ASigkillInTheMiddleOfGroupedDeliveriesSkipsNothing) {
  start();
  WebhookReceiver receiver;
  hook(receiver.url(), R"(["balance.depleted"])");
  constexpr int k_accounts = 50, k_rounds = 40;  // 2,000 events
  std::string items;
  for (int a = 0; a < k_accounts; ++a) {
    items += std::string(a ? "," : "") +
             R"({"method":"POST","path":"/v1/accounts","idempotency_key":"o)" + std::to_string(a) +
             R"(","body":{"id":"k)" + std::to_string(a) + R"(","plan":null}})";
  }
  ok(admin("POST", "/v1/batch", R"({"requests":[)" + items + "]}"));
  for (int round = 0; round < k_rounds; round += 10) {
    items.clear();
    for (int r = round; r < round + 10; ++r) {
      for (int a = 0; a < k_accounts; ++a) {
        const std::string id = "k" + std::to_string(a), n = std::to_string(r) + "-" + id;
        items += std::string(items.empty() ? "" : ",") +
                 R"({"method":"POST","path":"/v1/accounts/)" + id +
                 R"(/grants","idempotency_key":"g)" + n +
                 R"(","body":{"amount":"1","reason":"t"}},)" +
                 R"({"method":"POST","path":"/v1/spends","idempotency_key":"s)" + n +
                 R"(","body":{"account":")" + id + R"(","amount":"1"}})";
      }
    }
    auto r = admin("POST", "/v1/batch", R"({"requests":[)" + items + "]}");
    ASSERT_EQ(r.status, 200) << r.body.substr(0, 300);
    ASSERT_EQ(r.body.find(R"("status":4)"), std::string::npos) << r.body.substr(0, 300);
  }
  ASSERT_TRUE(receiver.wait_until([](const Requests& rs) { return rs.size() >= 300; }));
  server_->kill();
  const size_t before_kill = receiver.requests().size();
  server_->restart();
  const size_t total = static_cast<size_t>(k_accounts) * k_rounds;
  auto unique = [](const Requests& rs) {
    std::set<std::string> ids;
    for (const auto& r : rs) {
      if (r.answered == 200) ids.insert(r.headers.at("tally-event-id"));
    }
    return ids;
  };
  ASSERT_TRUE(
      receiver.wait_until([&](const Requests& rs) { return unique(rs).size() >= total; }, 120'000))
      << unique(receiver.requests()).size() << " of " << total;
  const Requests got = receiver.delivered();
  EXPECT_EQ(unique(got).size(), total);
  std::cout << before_kill << " deliveries before the SIGKILL, " << got.size() - total
            << " sent again after it\n";
  for (int a = 0; a < k_accounts; ++a) {
    const std::string account = "k" + std::to_string(a);
    std::vector<uint64_t> first;  // each event at its first arrival
    std::set<uint64_t> seen;
    for (uint64_t id : ids_of(got, account)) {
      if (seen.insert(id).second) first.push_back(id);
    }
    EXPECT_EQ(first.size(), static_cast<size_t>(k_rounds)) << account;
    EXPECT_TRUE(std::is_sorted(first.begin(), first.end())) << account << ": out of order";
    EXPECT_EQ(std::set<uint64_t>(first.begin(), first.end()).size(), first.size());
    const auto feed_ids = feed(account);
    std::set<uint64_t> expected;
    for (const auto& [event, json] : feed_ids) expected.insert(event);
    EXPECT_EQ(seen, expected) << account;
  }
}

TEST_F(Webhooks, ADisabledEndpointIsAnnouncedToTheOtherEndpointsAndInTheFeed) {
  start(std::string(k_quick) + "give_up_after = \"PT3S\"\n");
  WebhookReceiver failing, watcher, everything, other;
  failing.set_status(503);
  auto [bad, bad_secret] = hook(failing.url());
  auto [watch, watch_secret] = hook(watcher.url(), R"(["webhook.disabled"])");
  auto [all, all_secret] = hook(everything.url());
  hook(other.url(), R"(["balance.depleted"])");
  EXPECT_EQ(admin("GET", "/v1/webhooks/" + watch).json()["event_types"][0].GetString(),
            std::string("webhook.disabled"));
  open("ann", "20");
  spend("ann", available("ann"), "ann-1");  // balance.depleted: the failing endpoint fails
  ASSERT_TRUE(watcher.wait_until([](const Requests& rs) { return !rs.empty(); }, 30'000));
  const auto got = watcher.delivered().at(0);
  EXPECT_EQ(field(got.body, "type"), "webhook.disabled") << got.body;
  EXPECT_TRUE(webhooks::verify_signature(got.headers.at("tally-signature"), got.body, watch_secret,
                                         unix_now()));
  auto d = parse(got.body);
  EXPECT_TRUE(d["account"].IsNull());
  EXPECT_EQ(std::string(d["data"]["webhook"].GetString()), bad);
  EXPECT_EQ(std::string(d["data"]["url"].GetString()), failing.url());
  EXPECT_NE(std::string(d["data"]["disabled_reason"].GetString()).find("HTTP 503"),
            std::string::npos);
  EXPECT_GE(d["data"]["failures"].GetInt(), 2);
  EXPECT_EQ(field(admin("GET", "/v1/webhooks/" + bad).body, "status"), "disabled");
  // The feed lists it, as delivered.
  auto feed = admin("GET", "/v1/platform/events");
  ASSERT_EQ(feed.status, 200) << feed.body;
  auto f = feed.json();
  ASSERT_EQ(f["events"].Size(), 1u) << feed.body;
  EXPECT_EQ(compact(f["events"][0]), got.body);
  EXPECT_EQ(std::string(f["next_after"].GetString()), got.headers.at("tally-event-id"));
  auto after = admin("GET", "/v1/platform/events?after=" + got.headers.at("tally-event-id"));
  EXPECT_EQ(after.json()["events"].Size(), 0u) << after.body;
  EXPECT_EQ(admin("GET", "/v1/platform/events?after=12").status, 400);
  // "*" gets it beside the ledger's events; an endpoint that did not ask for it does not.
  ASSERT_TRUE(everything.wait_until([](const Requests& rs) { return rs.size() >= 2; }));
  std::set<std::string> types;
  for (const auto& r : everything.delivered()) types.insert(field(r.body, "type"));
  EXPECT_EQ(types, (std::set<std::string>{"balance.depleted", "webhook.disabled"}));
  std::this_thread::sleep_for(std::chrono::milliseconds(1000));
  ASSERT_EQ(other.delivered().size(), 1u);
  EXPECT_EQ(field(other.delivered().at(0).body, "type"), "balance.depleted");
  EXPECT_EQ(watcher.delivered().size(), 1u);
  // Enabled again, the endpoint gets what it missed, not the news of its own disabling; the
  // announcement survives a restart in the feed.
  failing.set_status(200);
  ASSERT_EQ(admin("POST", "/v1/webhooks/" + bad + "/enable").status, 200);
  ASSERT_TRUE(failing.wait_until([](const Requests& rs) { return rs.back().answered == 200; }));
  std::this_thread::sleep_for(std::chrono::milliseconds(1000));
  for (const auto& r : failing.delivered()) EXPECT_EQ(field(r.body, "type"), "balance.depleted");
  server_->kill();
  server_->restart();
  auto kept = admin("GET", "/v1/platform/events");
  ASSERT_EQ(kept.json()["events"].Size(), 1u) << kept.body;
  EXPECT_EQ(compact(kept.json()["events"][0]), got.body);
}

TEST_F(Webhooks, TheRegistryIsKeptAcrossARestartAndDeleted) {
  start();
  auto [id, secret] =
      hook("https://hooks.example.com/tally?x=1", R"(["credits.expired","balance.low"])");
  ASSERT_TRUE(id.starts_with("wh_"));
  auto shown = admin("GET", "/v1/webhooks/" + id);
  ASSERT_EQ(shown.status, 200) << shown.body;
  EXPECT_EQ(shown.body.find("whsec_"), std::string::npos) << "the secret is shown once";
  auto s = shown.json();
  EXPECT_STREQ(s["url"].GetString(), "https://hooks.example.com/tally?x=1");
  ASSERT_EQ(s["event_types"].Size(), 2u);
  EXPECT_STREQ(s["event_types"][0].GetString(), "balance.low");  // in the order of docs/events.md
  EXPECT_STREQ(s["description"].GetString(), "test");
  server_->kill();
  server_->restart();
  auto after = admin("GET", "/v1/webhooks");
  ASSERT_EQ(after.status, 200) << after.body;
  auto l = after.json();
  ASSERT_EQ(l["webhooks"].Size(), 1u) << after.body;
  EXPECT_EQ(compact(l["webhooks"][0]), shown.body);
  auto gone = admin("DELETE", "/v1/webhooks/" + id);
  ASSERT_EQ(gone.status, 200) << gone.body;
  EXPECT_EQ(admin("GET", "/v1/webhooks/" + id).status, 404);
  server_->restart();
  EXPECT_EQ(admin("GET", "/v1/webhooks").json()["webhooks"].Size(), 0u);
}

}  // namespace
}  // namespace tally::testing
