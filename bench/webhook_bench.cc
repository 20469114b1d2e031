// Webhook delivery throughput for one endpoint (issue 18, docs/BENCHMARKS.md "Webhook
// delivery"): a real `tally serve` (the binary in TALLY_BIN, else the one built beside this)
// delivers to a real HTTP receiver on 127.0.0.1 (tests/server/webhook_receiver.h).
//
// The events are made first, while the receiver answers 503 (so they wait in the outbox, as a
// backlog); then it answers 200 and the bench times the deliveries from the first
// acknowledged one to the last. Events: balance.depleted, one per account per round (a grant
// of 1 credit and a spend of it), made through /v1/batch. With `https`, the receiver speaks TLS
// with a certificate the bench makes and Tally trusts ([webhooks] ca_file).
//
//   TALLY_BIN=build/release/tally build/test/bench/webhook_bench [events] [accounts] [https]
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>

#include "tests/server/server_process.h"
#include "tests/server/test_certificate.h"
#include "tests/server/webhook_receiver.h"

namespace {

using tally::testing::bearer;
using tally::testing::HttpClient;
using tally::testing::ServerOptions;
using tally::testing::ServerProcess;
using tally::testing::WebhookReceiver;

std::string config_file(const std::string& ca_file) {
  std::ifstream in(TALLY_SOURCE_DIR "/config/default.toml");
  std::stringstream text;
  text << in.rdbuf() << "\n[webhooks]\nretry_first = \"PT1S\"\nretry_max = \"PT1S\"\n";
  if (!ca_file.empty()) text << "ca_file = \"" << ca_file << "\"\n";
  char tmpl[] = "/tmp/tally-webhook-bench-XXXXXX";
  const std::string path = std::string(::mkdtemp(tmpl)) + "/tally.toml";
  std::ofstream(path) << text.str();
  return path;
}

[[noreturn]] void die(const std::string& what, const tally::testing::HttpReply& r) {
  std::fprintf(stderr, "webhook_bench: %s: %d %s\n", what.c_str(), r.status, r.body.c_str());
  std::exit(1);
}

// One /v1/batch of `items` (JSON objects separated by commas); every item must succeed.
void batch(HttpClient& c, const std::string& key, const std::string& items) {
  auto r = c.send("POST", "/v1/batch", "{\"requests\":[" + items + "]}", {bearer(key)});
  if (r.status != 200 || r.body.find("\"status\":4") != std::string::npos ||
      r.body.find("\"status\":5") != std::string::npos) {
    die("batch", r);
  }
}

std::string item(const std::string& path, const std::string& key, const std::string& body) {
  return "{\"method\":\"POST\",\"path\":\"" + path + "\",\"idempotency_key\":\"" + key +
         "\",\"body\":" + body + "}";
}

}  // namespace

int main(int argc, char** argv) {
  const size_t events = argc > 1 ? std::strtoul(argv[1], nullptr, 10) : 10'000;
  const size_t accounts = argc > 2 ? std::strtoul(argv[2], nullptr, 10) : 250;
  const bool https = argc > 3 && std::string(argv[3]) == "https";
  const tally::testing::CertFiles cert =
      https ? tally::testing::make_certificate() : tally::testing::CertFiles{};
  ServerOptions o;
  o.config = config_file(cert.cert);
  ServerProcess server(o);
  const std::string key = server.admin_key();
  HttpClient c(server.port());
  WebhookReceiver receiver(cert.cert, cert.key);
  receiver.set_status(503);
  auto made = c.send("POST", "/v1/webhooks",
                     "{\"url\":\"" + receiver.url() + "\",\"event_types\":[\"balance.depleted\"]}",
                     {bearer(key)});
  if (made.status != 201) die("create the webhook", made);

  std::string items;
  for (size_t a = 0; a < accounts; ++a) {
    items += (a ? "," : "") + item("/v1/accounts", "open-" + std::to_string(a),
                                   "{\"id\":\"b" + std::to_string(a) + "\"}");
  }
  batch(c, key, items);
  auto first = c.send("GET", "/v1/accounts/b0", "", {bearer(key)});
  const std::string opening = first.json()["balance"]["available"].GetString();
  size_t made_events = 0;
  for (size_t round = 0; made_events < events; ++round) {
    items.clear();
    for (size_t a = 0; a < accounts && made_events < events; ++a, ++made_events) {
      const std::string id = "b" + std::to_string(a), n = std::to_string(round);
      if (round > 0) {
        items += item("/v1/accounts/" + id + "/grants", "g" + n + "-" + id,
                      "{\"amount\":\"1\",\"reason\":\"bench\"}") +
                 ",";
      }
      items += item("/v1/spends", "s" + n + "-" + id,
                    "{\"account\":\"" + id + "\",\"amount\":\"" + (round ? "1" : opening) + "\"}") +
               ",";
    }
    items.pop_back();
    batch(c, key, items);
  }

  receiver.set_status(200);
  using Requests = std::vector<WebhookReceiver::Request>;
  const bool done = receiver.wait_until(
      [&](const Requests& rs) {
        size_t ok = 0;
        for (const auto& r : rs) ok += r.answered == 200;
        return ok >= events;
      },
      600'000);
  const Requests all = receiver.delivered();
  if (!done || all.size() < events) {
    std::fprintf(stderr, "webhook_bench: %zu of %zu delivered in 10 minutes\n", all.size(), events);
    return 1;
  }
  const double seconds = std::chrono::duration<double>(all.back().at - all.front().at).count();
  std::printf("webhook_bench: %zu deliveries (%s) in %.2f s: %.0f deliveries/s, %d connections\n",
              all.size(), https ? "https" : "http", seconds,
              static_cast<double>(all.size() - 1) / seconds, receiver.connections());
  return server.stop() == 0 ? 0 : 1;
}
