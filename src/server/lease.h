// A node's shard leases (issue 16, docs/storage.md "Leases and fencing", docs/deploy.md):
// `tally serve --store postgresql://...` serves only while it holds the lease of every shard.
// One node is active, the others stand by: a standby tries to take the leases every fifth of
// the lease time and takes them once the active node stopped renewing (killed, paused, cut
// off) or released them (a clean stop); it then loads the shards from PostgreSQL and serves.
//
// The active node renews every third of the lease time. It answers requests only while its last
// renewal, counted from when it was sent, is younger than nine tenths of the lease (serving()):
// PostgreSQL counts the same lease from when it ran the renewal, later, so the node stops
// answering before any other node can take the lease. Writes are fenced besides
// (PgStore::set_fence): a commit after a takeover writes nothing.
//
// A node that finds its leases taken (a renewal that extends fewer than all, or a fenced commit)
// calls on_lost: `tally serve` exits there (status 3, fail-stop). What it holds in memory may be
// ahead of what it committed, and requests may be in flight; a restart under a supervisor loads
// the shards again as a standby.
//
// Thread-safe: try_acquire() and release() from the thread that runs serve(), the rest from any
// thread (I/O threads ask serving()).
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "server/http_server.h"
#include "store/pg_lease.h"

namespace tally::server {

struct LeaseOptions {
  std::string node;  // this node's name in the leases table ([store] node_id)
  int64_t lease_ms = 5000;
  size_t shards = 0;
  // Called once, on the renewal thread, when another node took the leases. May not return.
  std::function<void(const std::string& why)> on_lost;
};

class LeaseManager {
 public:
  LeaseManager(LeaseOptions options, std::unique_ptr<store::PgLeases> leases);
  // Stops renewing (does not release: release() does).
  ~LeaseManager();

  // One attempt to take every shard's lease. True once they are this node's: the renewal
  // thread then runs. A failure to reach PostgreSQL is logged and is a false.
  bool try_acquire();
  // How long a standby waits between attempts.
  int64_t retry_ms() const { return std::max<int64_t>(options_.lease_ms / 5, 50); }

  // Holds every lease, and the last renewal is recent enough to answer requests.
  bool serving() const;
  int64_t epoch() const { return epoch_.load(); }
  const std::string& node() const { return options_.node; }
  // The node that holds the leases, as last seen (empty: none, or not known).
  std::string owner() const;

  // The "node" object of /healthz: {"id", "state" (active | expired | standby), "epoch",
  // "lease_ms", "owner", "shards_held"}.
  std::string health_json() const;
  // Lines for /metrics (Prometheus text).
  std::string metrics_text() const;

  // Stops renewing and gives the leases up, so a standby takes them at once. Call after the
  // last commit (a clean stop).
  void release();

 private:
  void renew_loop();
  // The state's name for /healthz and the logs.
  const char* state() const;

  LeaseOptions options_;
  std::unique_ptr<store::PgLeases> leases_;  // the calling thread's, then the renewal thread's
  std::atomic<bool> held_{false};
  std::atomic<int64_t> epoch_{0};
  // steady_clock ns: answer until then (the last renewal sent, plus 9/10 of the lease).
  std::atomic<int64_t> valid_until_ns_{0};
  std::atomic<uint64_t> renewals_{0}, renew_failures_{0}, acquisitions_{0};
  uint64_t failures_logged_ = 0;  // renew_failures_ when try_acquire last reached PostgreSQL
  mutable std::mutex mu_;
  std::string owner_;  // mu_
  bool stop_ = false;  // mu_
  std::condition_variable cv_;
  std::thread renewer_;
};

// The answer of a node that does not serve (a standby, or an active node whose lease ran out
// before a renewal): /healthz 503 with the node's state, /metrics the lease lines, anything else
// 503 `unavailable` naming the node that holds the leases (forwarding is not there yet).
HttpResponse not_serving_answer(const HttpRequest& request, const LeaseManager& lease,
                                size_t shards);

}  // namespace tally::server
