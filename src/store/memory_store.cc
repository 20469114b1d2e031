#include "store/memory_store.h"

#include <algorithm>

#include "ledger/text.h"

namespace tally::store {

std::expected<LedgerState, StoreError> MemoryStore::load(ShardId shard) {
  std::lock_guard lock(mu_);
  auto it = shards_.find(shard);
  return it == shards_.end() ? LedgerState{} : it->second.state;
}

std::expected<void, StoreError> MemoryStore::commit(ShardId shard, std::span<const Entry> entries,
                                                    const StateDelta& delta) {
  std::lock_guard lock(mu_);
  Shard& s = shards_[shard];
  uint64_t expected = s.entries.empty() ? 1 : s.entries.back().seq + 1;
  for (const Entry& e : entries) {
    if (e.seq != expected++) {
      return std::unexpected(StoreError{cat("entry ", e.seq, " does not follow the journal")});
    }
  }
  if (delta.seq != expected - 1) {
    return std::unexpected(StoreError{"the delta does not match the entries"});
  }
  uint64_t next_event = s.state.event_seq + 1;
  for (const Event& e : delta.events) {
    if (e.seq != next_event++) {
      return std::unexpected(StoreError{cat("event ", e.seq, " does not follow the last one")});
    }
  }
  if (delta.event_seq != next_event - 1) {
    return std::unexpected(StoreError{"the delta's event seq does not match its events"});
  }
  s.events.insert(s.events.end(), delta.events.begin(), delta.events.end());
  uint64_t next_line = s.state.audit_seq + 1;
  for (const AuditLine& line : delta.audit) {
    if (line.seq != next_line++) {
      return std::unexpected(StoreError{cat("audit line ", line.seq, " does not follow the last")});
    }
  }
  if (delta.audit_seq != next_line - 1) {
    return std::unexpected(StoreError{"the delta's audit seq does not match its lines"});
  }
  s.audit.insert(s.audit.end(), delta.audit.begin(), delta.audit.end());
  // Records leaving the ledger's memory stay here for good.
  for (const std::string& key : delta.idempotency_gone) {
    auto it = std::find_if(s.state.idempotency.begin(), s.state.idempotency.end(),
                           [&](const IdempotencyRecord& r) { return r.key == key; });
    if (it != s.state.idempotency.end()) s.archive.insert_or_assign(key, *it);
  }
  s.entries.insert(s.entries.end(), entries.begin(), entries.end());
  apply_delta(&s.state, delta);
  for (const IdempotencyRecord& r : delta.idempotency_put) s.archive.erase(r.key);
  for (const Spend& x : delta.spends_put) s.spends.insert_or_assign(x.id, x);
  for (const auto& [id, f] : delta.finished_put) s.finished.insert_or_assign(id, f);
  for (const Account& a : delta.accounts) {
    for (const Lot& lot : a.lots) s.lots.insert_or_assign(lot.id, lot);
  }
  return {};
}

namespace {

template <typename Map, typename Id>
std::optional<typename Map::mapped_type> find_in(const Map& map, const Id& id) {
  auto it = map.find(id);
  if (it == map.end()) return std::nullopt;
  return it->second;
}

}  // namespace

std::expected<std::optional<Spend>, StoreError> MemoryStore::find_spend(ShardId shard,
                                                                        SpendId id) {
  std::lock_guard lock(mu_);
  return find_in(shards_[shard].spends, id);
}

std::expected<std::optional<FinishedHold>, StoreError> MemoryStore::find_finished_hold(
    ShardId shard, HoldId id) {
  std::lock_guard lock(mu_);
  return find_in(shards_[shard].finished, id);
}

std::expected<std::optional<Lot>, StoreError> MemoryStore::find_lot(ShardId shard, LotId id) {
  std::lock_guard lock(mu_);
  return find_in(shards_[shard].lots, id);
}

std::expected<void, StoreError> MemoryStore::scan_entries(
    ShardId shard, uint64_t after_seq, const std::function<bool(const Entry&)>& visit) {
  std::lock_guard lock(mu_);
  auto it = shards_.find(shard);
  if (it == shards_.end()) return {};
  for (const Entry& e : it->second.entries) {
    if (e.seq > after_seq && !visit(e)) break;
  }
  return {};
}

std::expected<void, StoreError> MemoryStore::scan_account_entries(
    ShardId shard, std::string_view account, uint64_t after_seq,
    const std::function<bool(const Entry&)>& visit) {
  return scan_entries(shard, after_seq,
                      [&](const Entry& e) { return e.account != account || visit(e); });
}

std::expected<void, StoreError> MemoryStore::scan_events(
    ShardId shard, uint64_t after_seq, std::string_view account,
    const std::function<bool(const Event&)>& visit) {
  std::lock_guard lock(mu_);
  auto it = shards_.find(shard);
  if (it == shards_.end()) return {};
  const std::vector<Event>& events = it->second.events;
  auto from = std::upper_bound(events.begin(), events.end(), after_seq,
                               [](uint64_t seq, const Event& e) { return seq < e.seq; });
  for (; from != events.end(); ++from) {
    if ((account.empty() || from->account == account) && !visit(*from)) break;
  }
  return {};
}

std::expected<std::optional<IdempotencyRecord>, StoreError> MemoryStore::find_idempotency(
    ShardId shard, std::string_view key) {
  std::lock_guard lock(mu_);
  auto it = shards_.find(shard);
  if (it == shards_.end()) return std::nullopt;
  for (const IdempotencyRecord& r : it->second.state.idempotency) {
    if (r.key == key) return r;
  }
  auto a = it->second.archive.find(key);
  if (a == it->second.archive.end()) return std::nullopt;
  return a->second;
}

std::expected<bool, StoreError> MemoryStore::has_cold_keys(ShardId shard) {
  std::lock_guard lock(mu_);
  auto it = shards_.find(shard);
  return it != shards_.end() && !it->second.archive.empty();
}

std::expected<void, StoreError> MemoryStore::scan_idempotency_keys(
    ShardId shard, const std::function<void(std::string_view)>& visit) {
  std::lock_guard lock(mu_);
  auto it = shards_.find(shard);
  if (it == shards_.end()) return {};
  for (const IdempotencyRecord& r : it->second.state.idempotency) visit(r.key);
  for (const auto& [key, r] : it->second.archive) visit(key);
  return {};
}

std::expected<void, StoreError> FaultyStore::commit(ShardId shard, std::span<const Entry> entries,
                                                    const StateDelta& delta) {
  if (commits_++ >= fail_at_) return std::unexpected(StoreError{"injected commit failure"});
  if (fail_next_) {
    fail_next_ = false;
    if (!next_written_) return std::unexpected(StoreError{"injected commit failure"});
    auto written = inner()->commit(shard, entries, delta);
    if (!written) return written;
    return std::unexpected(StoreError{"injected commit failure (after the write)"});
  }
  return inner()->commit(shard, entries, delta);
}

std::expected<void, StoreError> MemoryStore::scan_audit(
    ShardId shard, uint64_t after_seq, const AuditFilter& filter,
    const std::function<bool(const AuditLine&)>& visit) {
  std::lock_guard lock(mu_);
  auto it = shards_.find(shard);
  if (it == shards_.end()) return {};
  const std::vector<AuditLine>& lines = it->second.audit;
  // Lines are kept in seq order from 1: line n is at n - 1.
  for (size_t i = std::min<uint64_t>(after_seq, lines.size()); i < lines.size(); ++i) {
    if (audit_matches(lines[i], filter) && !visit(lines[i])) break;
  }
  return {};
}

}  // namespace tally::store
