// The HTTP API of `tally serve` (issue 6, docs/api.md, docs/openapi.yaml): routes a request,
// authenticates it, decodes and prices it on the I/O thread, hands the command to its shard
// and answers once the change is durable.
//
// Threads: handle() runs on any I/O thread; answers come from shard threads. The Api's mutable
// state is the manual clock and the configuration in use (use_config()).
#pragma once

#include <atomic>
#include <functional>
#include <memory>
#include <string>

#include "catalog/catalog.h"
#include "config/config.h"
#include "pricing/versions.h"
#include "server/auth.h"
#include "server/http_server.h"
#include "server/reload.h"
#include "service/service.h"
#include "store/payments.h"
#include "store/store.h"

namespace tally::webhooks {
class Deliverer;
}

namespace tally::server {

struct ApiOptions {
  service::Service* service = nullptr;
  store::Store* store = nullptr;  // history reads, on the shard threads
  store::Payments* payments = nullptr;  // payment_refs claimed and credited (rule 8)
  Auth* auth = nullptr;
  webhooks::Deliverer* webhooks = nullptr;  // /v1/webhooks (null: answered 503)
  // The configuration at start; a reload replaces them (Api::use_config).
  std::shared_ptr<const pricing::PriceVersions> prices;
  std::shared_ptr<const Catalog> catalog;
  config::TokensConfig tokens;
  // POST /v1/admin/reload: loads the configuration file again and calls `done` once, from any
  // thread (server/reload.h's Reloader::reload). Unset: the endpoint answers 404.
  std::function<void(ReloadTrigger, std::function<void(ReloadOutcome)> done)> reload;
  std::function<TimeUs()> clock;
  // Set only under `tally serve --clock manual` (tests): POST /v1/admin/clock moves it.
  std::function<void(TimeUs)> set_clock;
  // The base of dashboard links ("https://credits.example.com"); empty: listen_url().
  std::string public_url;
  // The base URL of the address the server listens on ("http://127.0.0.1:8080"), for links
  // when public_url is empty. Never built from a request: a client could name any host in its
  // Host header and receive a link there carrying a token. Called on I/O threads.
  std::function<std::string()> listen_url;
  // More Prometheus text for /metrics (the HTTP server's counters).
  std::function<std::string()> metrics_extra;
  // The "node" object of /healthz (a JSON object: the node's shard leases, server/lease.h);
  // unset: none (SQLite).
  std::function<std::string()> node_health;
  // The reply stage's histogram for /metrics (HttpServer::Counters::reply_ns); may be empty.
  std::function<service::HistogramSnapshot()> reply_ns;
};

class Api {
 public:
  explicit Api(ApiOptions options);
  ~Api();
  // The HttpServer handler.
  void handle(HttpRequest&& request, Respond respond);
  // Refuses new work with 503 (graceful shutdown); answers already started complete.
  void stop_accepting() { stopping_ = true; }

  // Prices, plans and what tokens may change from now on (a configuration reload): each shard takes
  // them in order with its queue (Service::reconfigure), so a change queued before this call is
  // priced with the old ones and one queued after with the new; reads on the I/O threads (GET
  // /v1/pricing, /v1/plans, quotes) take them once every shard has. `done` then runs, on a shard's
  // thread. One call at a time. Any thread.
  void use_config(std::shared_ptr<const pricing::PriceVersions> prices,
                  std::shared_ptr<const Catalog> catalog, config::TokensConfig tokens,
                  std::function<void()> done);
  // The prices in use on the I/O threads.
  std::shared_ptr<const pricing::PriceVersions> prices() const;

  struct Context;

 private:
  std::unique_ptr<Context> context_;
  std::atomic<bool> stopping_{false};
};

// A purchase's answer as remembered with its key and its payment (201 and its JSON), byte for
// byte what POST /v1/purchases answered (service/purchase.h settles pending payments with it).
std::string purchase_answer_bytes(const std::string& account, const PurchaseReply& reply);

}  // namespace tally::server
