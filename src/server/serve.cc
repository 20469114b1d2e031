#include "server/serve.h"

#include <pthread.h>
#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <thread>

#include "config/config.h"
#include "config/toml_reader.h"
#include "ledger/text.h"
#include "server/access_log.h"
#include "server/api.h"
#include "server/demo.h"
#include "server/event_json.h"
#include "server/lease.h"
#include "server/price_book_store.h"
#include "server/reload.h"
#include "service/purchase.h"
#include "store/data_dir.h"
#include "store/pg_lease.h"
#include "store/pg_store.h"
#include "store/sqlite_store.h"
#include "webhooks/deliverer.h"

namespace tally::server {
namespace {

// How often keys' last uses reach DATA/keys.db (GET /v1/keys reads them live).
constexpr int64_t k_key_use_flush_s = 10;

TimeUs wall_clock() {
  return TimeUs{std::chrono::duration_cast<std::chrono::microseconds>(
                    std::chrono::system_clock::now().time_since_epoch())
                    .count()};
}

bool split_listen(const std::string& listen, std::string* address, uint16_t* port) {
  const size_t colon = listen.rfind(':');
  if (colon == std::string::npos) return false;
  *address = listen.substr(0, colon);
  if (address->size() > 2 && address->front() == '[' && address->back() == ']') {
    *address = address->substr(1, address->size() - 2);
  }
  const std::string p = listen.substr(colon + 1);
  if (p.empty() || p.size() > 5 || p.find_first_not_of("0123456789") != std::string::npos) {
    return false;
  }
  const int n = std::stoi(p);
  if (n > 65535) return false;
  *port = static_cast<uint16_t>(n);
  return true;
}

// A failure to start: a line in the log, and for a person on standard error too when the log
// goes elsewhere.
int error(const std::string& message) {
  log::Line(log::Level::error, "startup_failed").text("message", message);
  const std::string file = log::settings().file;
  if (!file.empty() && file != "stderr") {
    std::fprintf(stderr, "tally serve: %s\n", message.c_str());
  }
  return 1;
}

size_t default_shards() {
  return std::max<size_t>(1, std::thread::hardware_concurrency());
}

// The exit status of a node that lost its shard leases (fail-stop, server/lease.h).
constexpr int k_exit_lease_lost = 3;

// Another node took this node's leases: it stops at once, writing nothing more (its commits
// are fenced anyway) and answering nothing more.
[[noreturn]] void exit_lease_lost() {
  std::fflush(stdout);
  std::_Exit(k_exit_lease_lost);
}

// The default [store] node_id: this host and the data directory, stable across restarts of
// one node (which then takes its leases back at once) and unique among the live ones (a data
// directory has one server at a time).
std::string default_node_id(const std::string& data_dir) {
  char host[256] = {};
  if (::gethostname(host, sizeof host - 1) != 0) host[0] = '\0';
  return cat(host[0] ? host : "localhost", ":", std::filesystem::absolute(data_dir).string());
}

struct OpenedStore {
  std::unique_ptr<store::Store> store;
  store::PgStore* pg = nullptr;  // store, when it is PostgreSQL
  size_t shards = 0;
  bool fresh = false;  // no shard holds anything yet
};

// The ledger's store and its shard count. Accounts map to shards by hash modulo the count, so
// a ledger keeps the count it was created with: the data directory's shard files say it for
// SQLite, the database's meta row for PostgreSQL.
std::expected<OpenedStore, std::string> open_store(const ServeOptions& options,
                                                   const config::Config& config,
                                                   const std::string& url) {
  size_t existing = 0;
  while (std::filesystem::exists(cat(options.data_dir, "/shard-", existing, ".db"))) ++existing;
  OpenedStore out;
  if (!url.empty()) {
    if (existing > 0) {
      return std::unexpected(cat(
          options.data_dir, " holds the SQLite shards of a ledger (shard-0.db ...); the store ",
          store::url_for_display(url), " would start another ledger beside it: use another data "
          "directory (moving a ledger from SQLite to PostgreSQL is not supported yet)"));
    }
    store::PgOptions po;
    po.url = url;
    po.schema = config.store.schema;
    po.idempotency_retention_us = config.ledger.idempotency_retention_us;
    po.event_retention_us = config.ledger.event_retention_us;
    po.lease_ms = config.store.lease_us / 1000;
    po.on_reconnected = [](const std::string& message) {
      log::Line(log::Level::warn, "store_reconnected").text("message", message);
    };
    po.on_fenced = [](const std::string& message) {
      log::Line(log::Level::error, "lease_lost").text("message", message);
      exit_lease_lost();
    };
    auto pg = store::PgStore::open(po);
    if (!pg) return std::unexpected(pg.error().message);
    auto count = (*pg)->claim_shard_count(options.shards, default_shards());
    if (!count) return std::unexpected(count.error().message);
    auto used = (*pg)->shards_in_use();
    if (!used) return std::unexpected(used.error().message);
    out.shards = *count;
    out.fresh = used->empty();
    out.pg = pg->get();
    out.store = std::move(*pg);
    return out;
  }
  size_t shards = options.shards;
  if (existing > 0 && shards == 0) shards = existing;
  if (existing > 0 && shards != existing) {
    return std::unexpected(cat(options.data_dir, " holds ", existing,
                               " shards; start with --shards ", existing,
                               " (changing the shard count of existing data is not supported)"));
  }
  store::SqliteOptions so{options.data_dir, options.synchronous_full};
  so.idempotency_retention_us = config.ledger.idempotency_retention_us;
  so.event_retention_us = config.ledger.event_retention_us;
  auto sqlite = store::SqliteStore::open(so);
  if (!sqlite) return std::unexpected(sqlite.error().message);
  out.shards = shards > 0 ? shards : default_shards();
  out.fresh = existing == 0;
  out.store = std::move(*sqlite);
  return out;
}

HttpOptions http_options(const ServeOptions& options, const std::string& address, uint16_t port) {
  HttpOptions ho;
  ho.address = address;
  ho.port = port;
  ho.threads = options.http_threads;
  ho.tls_cert_file = options.tls_cert_file;
  ho.tls_key_file = options.tls_key_file;
  ho.on_exchange = log_access;
  return ho;
}

enum class Waited { acquired, stopped, failed };

// A node that does not hold the shard leases stands by (server/lease.h): it answers on the
// address it will serve on (503 naming the holder; /healthz and /metrics say why), tries to
// take the leases every retry_ms(), and returns once it has them (its HTTP server closed, the
// port it bound in `*port`), or on SIGTERM or SIGINT.
Waited stand_by(LeaseManager& lease, size_t shards, HttpOptions ho, const std::string& url_host,
                const sigset_t& stop_signals, uint16_t* port) {
  auto http = HttpServer::start(ho, [&lease, shards](HttpRequest&& r, Respond respond) {
    respond(not_serving_answer(r, lease, shards));
  });
  if (!http) {
    error(http.error());
    return Waited::failed;
  }
  *port = (*http)->port();
  std::printf("tally: listening on %s://%s:%u\n", ho.tls_cert_file.empty() ? "http" : "https",
              url_host.c_str(), static_cast<unsigned>(*port));
  const std::string owner = lease.owner();
  std::printf("tally: standby     node %s waits for the leases of %zu shards%s\n",
              lease.node().c_str(), shards,
              owner.empty() ? "" : cat(" (held by ", owner, ")").c_str());
  std::fflush(stdout);
  log::Line(log::Level::info, "standby")
      .text("node", lease.node())
      .text("owner", owner)
      .num("shards", shards);
  const timespec wait{lease.retry_ms() / 1000, (lease.retry_ms() % 1000) * 1'000'000};
  for (;;) {
    const int sig = sigtimedwait(&stop_signals, nullptr, &wait);
    if (sig == SIGTERM || sig == SIGINT) {
      (*http)->shutdown();
      std::printf("tally: stopped (standby)\n");
      log::Line(log::Level::info, "stopped");
      return Waited::stopped;
    }
    if (lease.try_acquire()) break;
  }
  (*http)->shutdown();  // the serving server binds the same port next
  return Waited::acquired;
}

}  // namespace

int serve(const ServeOptions& options) {
  // Block the stop signals in every thread; this one waits for them below.
  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGTERM);
  sigaddset(&stop_signals, SIGINT);
  sigaddset(&stop_signals, SIGHUP);  // a reload, not a stop
  pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);
  signal(SIGPIPE, SIG_IGN);

  // The command line's log settings at once (a failure to read the file is logged there too);
  // the file's [log] once it is read.
  log::Settings early;
  early.file = options.log_file.value_or("");
  early.level = options.log_level.value_or(log::Level::info);
  if (auto r = log::configure(early); !r) {
    std::fprintf(stderr, "tally serve: --log-file %s\n", r.error().c_str());
    return 1;
  }

  std::string config_text(default_config_text());
  const std::string config_name =
      options.config_file.empty() ? "(built-in default.toml)" : options.config_file;
  if (!options.config_file.empty()) {
    auto text = config::read_config_text(options.config_file);
    if (!text) return error(text.error().to_string());
    config_text = std::move(*text);
  }
  auto config = config::parse_config(config_text, config_name);
  if (!config) return error(config.error().to_string());
  if (!config->price_book) return error("the configuration has no [price_book]");
  ReloadOptions reload_options;
  reload_options.log_file = options.log_file;
  reload_options.log_level = options.log_level;
  reload_options.log = effective_log(config->log, reload_options);
  if (auto r = log::configure(reload_options.log.log); !r) return error(cat("log.file: ", r.error()));

  std::string address;
  uint16_t port = 0;
  if (!split_listen(options.listen, &address, &port)) {
    return error(cat("--listen must be ADDRESS:PORT, not '", options.listen, "'"));
  }
  // Held until serve() returns: a second process on the same directory would write the same
  // shards (its commits collide with ours, and the first to see it stops).
  auto data_dir = store::DataDir::open(options.data_dir, true);
  if (!data_dir) return error(data_dir.error());
  // The ledger's store: --store, else the configuration's [store], else SQLite in DATA.
  const std::string store_url = options.store_url.empty() ? config->store.url : options.store_url;
  auto opened = open_store(options, *config, store_url);
  if (!opened) return error(opened.error());
  std::unique_ptr<store::Store> store = std::move(opened->store);
  const size_t shards = opened->shards;
  // On PostgreSQL the node serves only while it holds every shard's lease (server/lease.h): a
  // standby until it takes them, fenced from then on.
  std::unique_ptr<LeaseManager> lease;
  const std::string url_host =
      address.find(':') == std::string::npos ? address : cat("[", address, "]");  // IPv6
  if (opened->pg) {
    auto leases = store::PgLeases::open(store_url, config->store.schema, shards);
    if (!leases) return error(leases.error().message);
    LeaseOptions lo;
    lo.node =
        config->store.node_id.empty() ? default_node_id(options.data_dir) : config->store.node_id;
    lo.lease_ms = config->store.lease_us / 1000;
    lo.shards = shards;
    lo.on_lost = [](const std::string&) { exit_lease_lost(); };  // logged as lease_lost
    lease = std::make_unique<LeaseManager>(std::move(lo), std::move(*leases));
    if (!lease->try_acquire()) {
      switch (stand_by(*lease, shards, http_options(options, address, port), url_host, stop_signals,
                       &port)) {
        case Waited::acquired:
          break;
        case Waited::stopped:
          return 0;
        case Waited::failed:
          return 1;
      }
    }
    opened->pg->set_fence(lease->node(), lease->epoch());
  }
  // Every version run so far stays priceable (rule 7: a capture uses its hold's version).
  auto prices = open_price_versions(options.data_dir, config_text, config_name);
  if (!prices) return error(prices.error());

  std::string generated_key_file;
  const char* env_key = std::getenv("TALLY_ADMIN_KEY");
  // The payments record (rule 8): the deployment's, so in PostgreSQL beside the ledger when
  // that is the store (every node claims a payment_ref in one table), else DATA/payments.db.
  std::unique_ptr<store::Payments> payments;
  if (opened->pg) {
    auto p = store::PgPayments::open(store_url, config->store.schema);
    if (!p) return error(p.error().message);
    payments = std::move(*p);
  } else {
    auto p = store::SqlitePayments::open(options.data_dir + "/payments.db");
    if (!p) return error(p.error().message);
    payments = std::move(*p);
  }
  // Keys, token revocations and the admin audit trail: the deployment's on PostgreSQL, read
  // here, once this node holds the leases (the previous holder, fenced, writes no more), and
  // written under the lease from now on (auth_db.h).
  AuthStorage keys_storage;
  if (opened->pg) {
    keys_storage = {store_url, config->store.schema, lease->node(), lease->epoch()};
  }
  auto auth = Auth::open(options.data_dir, env_key ? env_key : "", &generated_key_file,
                         wall_clock(), keys_storage);
  if (!auth) return error(auth.error());

  std::atomic<int64_t> manual_now{wall_clock().us};
  std::function<TimeUs()> clock = wall_clock;
  if (options.manual_clock) {
    log::Line(log::Level::warn, "manual_clock")
        .text("message", "--clock manual: time moves only by POST /v1/admin/clock. For tests "
                         "only; never in production.");
    clock = [&manual_now] { return TimeUs{manual_now.load()}; };
  }
  // --demo on new data: the shards start three months back on a clock the seeding moves, then
  // (unless --clock manual) run on the wall clock.
  const TimeUs demo_end = wall_clock();
  std::atomic<bool> demo_seeding{options.demo && opened->fresh};
  if (demo_seeding) {
    manual_now = demo_end.us - 91 * k_us_per_day;
    if (!options.manual_clock) {
      clock = [&manual_now, &demo_seeding] {
        return demo_seeding ? TimeUs{manual_now.load()} : wall_clock();
      };
    }
  }

  // Webhook deliveries (docs/webhooks.md): their own threads, woken by each durable batch with
  // events; they read the events from the store, never from the shards.
  const size_t shard_count = shards;
  webhooks::DelivererOptions wo;
  wo.db_path = options.data_dir + "/webhooks.db";
  wo.store = store.get();
  wo.shards = shard_count;
  wo.render = [](ShardId shard, const Event& e) { return event_json(shard, e); };
  wo.timeout_us = config->webhooks.timeout_us;
  wo.retry_first_us = config->webhooks.retry_first_us;
  wo.retry_max_us = config->webhooks.retry_max_us;
  wo.give_up_us = config->webhooks.give_up_after_us;
  wo.ca_file = config->webhooks.ca_file;
  wo.clock = wall_clock;
  wo.log = [](const std::string& line) {
    log::Line(log::Level::warn, "webhook").text("message", line);
  };
  auto hooks = webhooks::Deliverer::open(wo);
  if (!hooks) return error(hooks.error());

  service::ServiceOptions so;
  so.shards = shard_count;
  so.overlap_commit = options.shard_threads == 2;
  so.on_events = [d = hooks->get()](ShardId shard, uint64_t seq) { d->notify(shard, seq); };
  so.ledger = config->ledger;
  so.catalog = config->catalog;
  so.clock = clock;
  auto service = service::Service::start(so, store.get());
  if (!service) return error(service.error());
  (*hooks)->start();
  (*service)->set_commit_stall_us(reload_options.log.commit_stall_us);
  // Payments a stopped process made durable without recording their answer (service/purchase.h).
  auto settled = service::settle_pending_payments(*payments, service::find_in_service(**service),
                                                  purchase_answer_bytes);
  if (!settled) return error(settled.error().message);
  if (*settled > 0) log::Line(log::Level::info, "payments_settled").num("payments", *settled);

  ApiOptions ao;
  ao.service = service->get();
  ao.store = store.get();
  ao.payments = payments.get();
  ao.auth = auth->get();
  ao.webhooks = hooks->get();
  ao.prices = *prices;
  ao.catalog = config->catalog;
  ao.tokens = config->tokens;
  ao.clock = clock;
  ao.public_url = options.public_url;
  // Links without --public-url name the address bound. With port 0 the port is known only once
  // the server listens, and no client can know it before either (it is printed after).
  std::atomic<uint16_t> listening_port{port};
  const bool tls = !options.tls_cert_file.empty();
  ao.listen_url = [&listening_port, url_host, tls] {
    return cat(tls ? "https://" : "http://", url_host, ":", listening_port.load());
  };
  if (options.manual_clock) {
    ao.set_clock = [&manual_now](TimeUs t) { manual_now = t.us; };
  }
  HttpServer* http_raw = nullptr;
  if (lease) ao.node_health = [l = lease.get()] { return l->health_json(); };
  ao.metrics_extra = [&http_raw, d = hooks->get(), l = lease.get()] {
    if (!http_raw) return std::string();
    const HttpServer::Counters c = http_raw->counters();
    const webhooks::DelivererCounters w = d->counters();
    return cat("# TYPE tally_http_requests_total counter\ntally_http_requests_total ", c.requests,
               "\n# TYPE tally_http_connections_open gauge\ntally_http_connections_open ",
               c.connections_open,
               "\n# TYPE tally_http_connections_total counter\ntally_http_connections_total ",
               c.connections_total,
               "\n# TYPE tally_http_timeouts_total counter\ntally_http_timeouts_total ", c.timeouts,
               "\n# TYPE tally_http_refused_too_large_total counter\n"
               "tally_http_refused_too_large_total ",
               c.refused_too_large, "\n",
               "# TYPE tally_webhook_deliveries_total counter\n"
               "tally_webhook_deliveries_total{outcome=\"delivered\"} ",
               w.delivered, "\ntally_webhook_deliveries_total{outcome=\"failed\"} ", w.failed,
               "\n# TYPE tally_webhook_connections_total counter\ntally_webhook_connections_total ",
               w.connections, "\n# TYPE tally_webhook_writes_total counter\n",
               "tally_webhook_writes_total ", w.writes, "\n", l ? l->metrics_text() : "");
  };
  ao.reply_ns = [&http_raw] {
    return http_raw ? http_raw->counters().reply_ns : service::HistogramSnapshot{};
  };
  Reloader* reloader_raw = nullptr;  // set before the first request can arrive
  ao.reload = [&reloader_raw](ReloadTrigger trigger, std::function<void(ReloadOutcome)> done) {
    reloader_raw->reload(std::move(trigger), std::move(done));
  };
  Api api(ao);
  reload_options.config_file = options.config_file;
  reload_options.config_name = config_name;
  reload_options.config_text = config_text;
  reload_options.data_dir = options.data_dir;
  reload_options.api = &api;
  reload_options.service = service->get();
  reload_options.clock = clock;
  auto reloader = std::make_unique<Reloader>(std::move(reload_options), config->catalog);
  reloader_raw = reloader.get();
  if (demo_seeding) {
    std::string admin_key = env_key ? env_key : "";
    if (admin_key.empty()) std::getline(std::ifstream(options.data_dir + "/admin.key"), admin_key);
    log::Line(log::Level::info, "demo_seeding").text("message", "seeding three months of history");
    auto seeded = seed_demo(
        api, admin_key, [&manual_now](TimeUs t) { manual_now = t.us; }, demo_end);
    demo_seeding = false;
    if (!seeded) return error(cat("--demo: ", seeded.error()));
  }
  const HttpOptions ho = http_options(options, address, port);
  auto http =
      HttpServer::start(ho, [&api, l = lease.get(), shards](HttpRequest&& r, Respond respond) {
        if (l == nullptr) return api.handle(std::move(r), std::move(respond));
        // A lease that ran out before its renewal: nothing is answered from memory that another
        // node may by now have changed. Checked again when the answer is ready: a node paused
        // in between (and taken over) answers 503, which a client resends safely with its key.
        if (!l->serving()) return respond(not_serving_answer(r, *l, shards));
        HttpRequest head;
        head.request_id = r.request_id;
        head.method = r.method;
        head.target = r.target;
        api.handle(std::move(r), [l, shards, head = std::move(head),
                                  respond = std::move(respond)](HttpResponse answer) {
          if (!l->serving()) answer = not_serving_answer(head, *l, shards);
          respond(std::move(answer));
        });
      });
  if (!http) return error(http.error());
  http_raw = http->get();
  listening_port = (*http)->port();

  const std::string url = ao.listen_url();
  std::printf("tally: listening on %s\n", url.c_str());
  std::printf("tally: dashboard   %s/\n", url.c_str());
  if (store_url.empty()) {
    std::printf("tally: data        %s (%zu shards, synchronous=%s)\n",
                std::filesystem::absolute(options.data_dir).c_str(), (*service)->shards(),
                options.synchronous_full ? "FULL" : "NORMAL");
  } else {
    std::printf("tally: data        %s (price books, webhooks)\n",
                std::filesystem::absolute(options.data_dir).c_str());
    std::printf("tally: store       %s (%zu shards, synchronous_commit=on)\n",
                store::url_for_display(store_url).c_str(), (*service)->shards());
  }
  if (!(*auth)->bootstrap_admin_key_valid(clock())) {
    std::printf("tally: admin key   %s no longer works: the admin key was rotated "
                "(POST /v1/keys/admin/rotate); use its new secret\n",
                env_key ? "TALLY_ADMIN_KEY" : "DATA/admin.key");
  } else if (env_key) {
    std::printf("tally: admin key   from TALLY_ADMIN_KEY\n");
  } else {
    std::printf("tally: admin key   in %s%s\n",
                (std::filesystem::absolute(options.data_dir) / "admin.key").c_str(),
                generated_key_file.empty() ? "" : " (generated now)");
  }
  if (options.demo) {
    const Token t =
        (*auth)->issue_token(k_demo_account, TimeUs{clock().us + 7 * k_us_per_day}, clock());
    std::printf("tally: demo        %s/#token=%s (%s, for 7 days)\n",
                options.public_url.empty() ? url.c_str() : options.public_url.c_str(),
                t.token.c_str(), std::string(k_demo_account).c_str());
  }
  std::fflush(stdout);
  log::Line(log::Level::info, "started")
      .text("listen", url)
      .text("data", options.data_dir)
      .text("store", store_url.empty() ? "sqlite" : store::url_for_display(store_url))
      .num("shards", (*service)->shards())
      .text("config", config_name)
      .text("price_book_version", config->price_book->version);

  // Keys' last uses are kept in memory by the request path and written here, off it; the
  // same pass prunes token revocations whose tokens have all expired.
  std::mutex flush_mu;
  std::condition_variable flush_cv;
  bool flush_stop = false;
  auto flush = [&auth, &clock] {
    if (auto r = (*auth)->flush_last_used(clock()); !r) {
      log::Line(log::Level::error, "store_failed")
          .text("during", "writing keys' last uses to keys.db")
          .text("message", r.error());
    }
  };
  std::thread flusher([&] {
    std::unique_lock lock(flush_mu);
    while (!flush_cv.wait_for(lock, std::chrono::seconds(k_key_use_flush_s),
                              [&] { return flush_stop; })) {
      lock.unlock();
      flush();
      lock.lock();
    }
  });

  int signal_number = 0;
  while (sigwait(&stop_signals, &signal_number) == 0 && signal_number == SIGHUP) {
    // It logs what it did; one in force goes into the audit trail, by no credential.
    reloader->reload({"SIGHUP", "", ""}, [&auth, &clock](ReloadOutcome o) {
      if (!o.applied) return;
      // Filled field by field: g++ 12 -O3 takes `{}` for the Credential as maybe uninitialized
      // (-Werror), which broke the release build `make run` uses.
      AdminAction reload;
      reload.at = clock();
      reload.action = "reload";
      reload.target = o.file;
      auto recorded = (*auth)->record_action(reload);
      if (!recorded) {
        log::Line(log::Level::error, "store_failed")
            .text("during", "recording a SIGHUP reload in the audit trail")
            .text("message", recorded.error().detail);
      }
    });
  }
  const char* stop_name = signal_number == SIGINT ? "SIGINT" : "SIGTERM";
  std::printf("tally: %s: finishing what is in flight\n", stop_name);
  std::fflush(stdout);
  log::Line(log::Level::info, "stopping").text("signal", stop_name);
  (*http)->shutdown();  // every request read is answered, hence durable
  reloader.reset();     // after the answers (a POST /v1/admin/reload waits for it)
  // The shards go first: their threads may still hold finished requests (and through them
  // connections), which must be released while the HTTP server's state exists.
  service->reset();  // commits anything still queued
  if (lease) lease->release();  // after the last commit: a standby takes over at once
  http->reset();
  hooks->reset();  // deliveries in progress end; they are sent again after a restart
  {
    std::lock_guard lock(flush_mu);
    flush_stop = true;
  }
  flush_cv.notify_all();
  flusher.join();
  flush();
  std::printf("tally: stopped\n");
  log::Line(log::Level::info, "stopped");
  return 0;
}

}  // namespace tally::server
