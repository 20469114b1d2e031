// Shard leases in PostgreSQL (issue 16, docs/storage.md "Leases and fencing"): the `leases`
// table (a row per shard: owner, epoch, expires_at) and the statements a node runs on it. Time
// is PostgreSQL's (clock_timestamp()), so the nodes' clocks need not agree.
//
// A node takes every shard's lease at once, or none (the serving model of this step: one active
// node, the others standing by): acquire_all() succeeds when no other node holds a lease that
// has not expired, and gives every shard one new epoch, higher than any before. The holder
// renews them well inside the lease time; a commit checks its shard's lease in its own
// transaction (PgStore::set_fence), so a node that lost a lease never writes again.
//
// Not thread-safe: one thread at a time (the lease manager's). Each call opens the connection
// again if the last one failed, so a restarted or failed-over PostgreSQL is picked up.
#pragma once

#include <cstdint>
#include <expected>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "store/store.h"

namespace tally::store {

namespace pg {
class Connection;
}

// One shard's lease as PostgreSQL holds it.
struct LeaseRow {
  ShardId shard = 0;
  std::string owner;          // empty: free (released, or never taken)
  int64_t epoch = 0;          // raised by every acquisition
  int64_t expires_in_ms = 0;  // from now, by PostgreSQL's clock; <= 0: expired
};

class PgLeases {
 public:
  // Connects (the URL and schema as PgStore's, whose open() created the table) and makes sure
  // shards 0 .. shards-1 each have a row.
  static std::expected<std::unique_ptr<PgLeases>, StoreError> open(std::string url,
                                                                   std::string schema,
                                                                   size_t shards);
  ~PgLeases();

  struct Acquired {
    std::optional<int64_t> epoch;  // the epoch now held on every shard; none: another holds one
    std::vector<LeaseRow> rows;    // the leases as they were before (by shard)
  };
  // Takes every shard's lease for `node` for `lease_ms`, in one transaction, if none is held
  // unexpired by another node (a lease `node` itself holds is taken again, at a new epoch: a
  // node restarted under the same name need not wait for its old leases to expire).
  std::expected<Acquired, StoreError> acquire_all(const std::string& node, int64_t lease_ms);
  // Extends by `lease_ms` (from now) every lease `node` holds at `epoch`: how many it still
  // holds (fewer than the shards: the others were taken over).
  std::expected<size_t, StoreError> renew(const std::string& node, int64_t epoch, int64_t lease_ms);
  // Gives up every lease `node` holds at `epoch` (a clean stop): another node may take them
  // at once.
  std::expected<void, StoreError> release(const std::string& node, int64_t epoch);
  // Every shard's lease, by shard.
  std::expected<std::vector<LeaseRow>, StoreError> rows();

 private:
  PgLeases(std::string url, std::string schema);
  // The connection, opened again if the last call failed. With `lease_ms`, a statement waits at
  // most a third of it for a row lock (another transaction on the lease rows, a paused node's
  // commit): it fails instead, and the caller tries again, rather than hang past the lease.
  std::expected<pg::Connection*, StoreError> db(int64_t lease_ms = 0);
  // The error, and the connection dropped (opened again by the next call).
  StoreError failed(const std::string& message);

  std::string url_, schema_;
  std::unique_ptr<pg::Connection> db_;
  int64_t lock_timeout_ms_ = 0;  // as set on db_ (0: PostgreSQL's default, no limit)
};

}  // namespace tally::store
