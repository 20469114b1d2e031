#include "server/lease.h"

#include "ledger/text.h"
#include "log/log.h"
#include "server/json.h"

namespace tally::server {
namespace {

int64_t steady_ns() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

}  // namespace

LeaseManager::LeaseManager(LeaseOptions options, std::unique_ptr<store::PgLeases> leases)
    : options_(std::move(options)), leases_(std::move(leases)) {}

LeaseManager::~LeaseManager() {
  {
    std::lock_guard lock(mu_);
    stop_ = true;
  }
  cv_.notify_all();
  if (renewer_.joinable()) renewer_.join();
}

bool LeaseManager::try_acquire() {
  if (held_) return true;
  const int64_t sent_ns = steady_ns();
  auto r = leases_->acquire_all(options_.node, options_.lease_ms);
  if (!r) {
    // One line per run of failures, not one per attempt of a standby.
    if (renew_failures_++ == failures_logged_) {
      log::Line(log::Level::warn, "lease_unreachable")
          .text("node", options_.node)
          .text("message", r.error().message);
    }
    return false;
  }
  failures_logged_ = renew_failures_.load();
  std::string previous;
  for (const store::LeaseRow& row : r->rows) {
    if (!row.owner.empty() && row.owner != options_.node && previous.empty()) previous = row.owner;
  }
  if (!r->epoch) {
    std::lock_guard lock(mu_);
    owner_ = previous;
    return false;
  }
  {
    std::lock_guard lock(mu_);
    owner_ = options_.node;
  }
  epoch_ = *r->epoch;
  valid_until_ns_ = sent_ns + options_.lease_ms * 900'000;  // 9/10 of the lease, in ns
  held_ = true;
  ++acquisitions_;
  log::Line(log::Level::info, "lease_acquired")
      .text("node", options_.node)
      .num("epoch", *r->epoch)
      .num("shards", options_.shards)
      .text("previous_owner", previous)
      .num("lease_ms", options_.lease_ms);
  renewer_ = std::thread([this] { renew_loop(); });
  return true;
}

void LeaseManager::renew_loop() {
  bool answering = true;  // as last logged
  std::unique_lock lock(mu_);
  while (!stop_) {
    cv_.wait_for(lock, std::chrono::milliseconds(options_.lease_ms / 3), [&] { return stop_; });
    if (stop_) break;
    lock.unlock();
    const int64_t sent_ns = steady_ns();
    auto r = leases_->renew(options_.node, epoch_, options_.lease_ms);
    if (r && *r < options_.shards) {
      held_ = false;
      const std::string why =
          cat("node ", options_.node, " holds ", *r, " of ", options_.shards,
              " shard leases at epoch ", epoch_.load(), ": another node took them over");
      log::Line(log::Level::error, "lease_lost")
          .text("node", options_.node)
          .num("epoch", epoch_.load())
          .text("message", why);
      if (options_.on_lost) options_.on_lost(why);
      lock.lock();
      break;
    }
    if (r) {
      ++renewals_;
      valid_until_ns_ = sent_ns + options_.lease_ms * 900'000;
    } else {
      ++renew_failures_;
      log::Line(log::Level::warn, "lease_renew_failed")
          .text("node", options_.node)
          .num("epoch", epoch_.load())
          .text("message", r.error().message);
    }
    // One line when the node stops answering for want of a renewal, one when it answers again.
    if (serving() != answering) {
      answering = !answering;
      log::Line(answering ? log::Level::info : log::Level::error,
                answering ? "lease_renewed" : "lease_expired")
          .text("node", options_.node)
          .num("epoch", epoch_.load());
    }
    lock.lock();
  }
}

bool LeaseManager::serving() const {
  return held_ && steady_ns() < valid_until_ns_;
}

std::string LeaseManager::owner() const {
  std::lock_guard lock(mu_);
  return owner_;
}

const char* LeaseManager::state() const {
  if (!held_) return "standby";
  return serving() ? "active" : "expired";
}

std::string LeaseManager::health_json() const {
  rapidjson::StringBuffer b;
  JsonWriter w(b);
  w.StartObject();
  write_text(w, "id", options_.node);
  write_text(w, "state", state());
  w.Key("epoch");
  w.Int64(epoch_);
  w.Key("lease_ms");
  w.Int64(options_.lease_ms);
  write_text(w, "owner", owner());
  w.Key("shards_held");
  w.Uint64(held_ ? options_.shards : 0);
  w.EndObject();
  return std::string(b.GetString(), b.GetSize());
}

std::string LeaseManager::metrics_text() const {
  return cat("# TYPE tally_lease_serving gauge\ntally_lease_serving ", serving() ? 1 : 0,
             "\n# TYPE tally_lease_shards_held gauge\ntally_lease_shards_held ",
             held_ ? options_.shards : 0, "\n# TYPE tally_lease_epoch gauge\ntally_lease_epoch ",
             epoch_.load(), "\n# TYPE tally_lease_acquisitions_total counter\n",
             "tally_lease_acquisitions_total ", acquisitions_.load(),
             "\n# TYPE tally_lease_renewals_total counter\ntally_lease_renewals_total ",
             renewals_.load(),
             "\n# TYPE tally_lease_failures_total counter\ntally_lease_failures_total ",
             renew_failures_.load(), "\n");
}

void LeaseManager::release() {
  {
    std::lock_guard lock(mu_);
    stop_ = true;
  }
  cv_.notify_all();
  if (renewer_.joinable()) renewer_.join();
  if (!held_) return;
  held_ = false;
  if (auto r = leases_->release(options_.node, epoch_); !r) {
    // They expire by themselves within the lease time.
    log::Line(log::Level::warn, "lease_release_failed")
        .text("node", options_.node)
        .text("message", r.error().message);
    return;
  }
  log::Line(log::Level::info, "lease_released")
      .text("node", options_.node)
      .num("epoch", epoch_.load());
}

HttpResponse not_serving_answer(const HttpRequest& request, const LeaseManager& lease,
                                size_t shards) {
  const std::string_view path =
      std::string_view(request.target)
          .substr(0, std::min(request.target.size(), request.target.find('?')));
  if (request.method == "GET" && path == "/healthz") {
    const std::string node = lease.health_json();
    return json(503, [&](JsonWriter& w) {
      w.StartObject();
      write_text(w, "status", lease.owner() == lease.node() ? "expired" : "standby");
      w.Key("shards");
      w.Uint64(shards);
      w.Key("node");
      w.RawValue(node.data(), node.size(), rapidjson::kObjectType);
      w.EndObject();
    });
  }
  if (request.method == "GET" && path == "/metrics") {
    HttpResponse r;
    r.content_type = "text/plain; version=0.0.4";
    r.body = lease.metrics_text();
    return r;
  }
  const std::string owner = lease.owner();
  Problem p{503, "unavailable", "", {}};
  if (owner == lease.node()) {
    p.detail = cat("node ", lease.node(),
                   " could not renew its shard leases in time; it answers "
                   "again once it has (or another node takes them over)");
  } else {
    p.detail = cat("node ", lease.node(), " does not hold the shard leases (it stands by)",
                   owner.empty() ? std::string() : cat("; node ", owner, " does"),
                   ": send the request there");
    p.owner = owner;
  }
  HttpResponse r = problem_response(p);
  add_request_id(r.body, request.request_id);
  r.headers.emplace_back("Retry-After", "1");
  return r;
}

}  // namespace tally::server
