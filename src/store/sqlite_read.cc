// Reading a shard's database back: its state for Ledger::from_state, its journal, and
// remembered requests.
#include <algorithm>
#include <map>
#include <optional>

#include "ledger/text.h"
#include "store/codec.h"
#include "store/row_columns.h"
#include "store/sqlite_schema.h"

namespace tally::store::sqlite {
namespace {

std::expected<void, std::string> read_meta_and_books(Connection& db, ShardId shard,
                                                     LedgerState* s) {
  Stmt meta(db, "SELECT key, value FROM meta WHERE shard_id = ?");
  meta.bind(1, shard);
  while (meta.step() == SQLITE_ROW) meta_row(meta.text(0), std::stoll(meta.text(1)), s);
  Stmt books(db, "SELECT book, key, amount_micro FROM books WHERE shard_id = ?");
  books.bind(1, shard);
  while (books.step() == SQLITE_ROW) {
    if (auto r = book_row(books, s); !r) return r;
  }
  return {};
}

std::expected<void, std::string> read_accounts(Connection& db, ShardId shard, LedgerState* s) {
  Stmt acc(db, "SELECT " TALLY_ACCOUNT_SELECT " FROM accounts WHERE shard_id = ? ORDER BY idx");
  acc.bind(1, shard);
  {  // positions are 0, 1, 2, ...: the largest is the count less one (one B-tree descent)
    Stmt last(db, "SELECT max(idx) FROM accounts WHERE shard_id = ?");
    last.bind(1, shard);
    if (last.step() == SQLITE_ROW && !last.is_null(0)) {
      s->accounts.reserve(static_cast<size_t>(last.i64(0)) + 1);
    }
  }
  while (acc.step() == SQLITE_ROW) {
    if (acc.i64(17) != static_cast<int64_t>(s->accounts.size())) {
      return std::unexpected("account positions are not 0, 1, 2, ...");
    }
    if (auto r = account_row(acc, s->accounts.emplace_back()); !r) return r;
  }
  Stmt lots(db, "SELECT " TALLY_LOT_SELECT " FROM lots WHERE shard_id = ? ORDER BY id");
  lots.bind(1, shard);
  while (lots.step() == SQLITE_ROW) {
    const int64_t owner = lots.i64(1);
    auto lot = lot_row(lots);
    if (owner < 0 || owner >= static_cast<int64_t>(s->accounts.size()) || !lot) {
      return std::unexpected("a lot of an unknown account");
    }
    s->accounts[static_cast<size_t>(owner)].lots.push_back(std::move(*lot));
  }
  // Lots arrive one by one: give back what vector growth reserved beyond them (an account of
  // 5 lots would otherwise keep room for 8, 624 bytes for nothing).
  for (Account& a : s->accounts) a.lots.shrink_to_fit();
  return {};
}

std::expected<void, std::string> read_holds_and_spends(Connection& db, ShardId shard,
                                                       LedgerState* s) {
  Stmt holds(db, "SELECT " TALLY_HOLD_SELECT " FROM holds WHERE shard_id = ? ORDER BY id");
  holds.bind(1, shard);
  while (holds.step() == SQLITE_ROW) {
    auto hold = hold_row(holds);
    if (!hold) return std::unexpected(hold.error());
    s->holds.push_back(std::move(*hold));
  }
  // Finished holds and spends that left the ledger's memory stay here; the cold marks say
  // which (write_records explains them).
  Stmt fin(db, "SELECT " TALLY_FINISHED_SELECT
               " FROM finished_holds WHERE shard_id = ? AND ended_at_us > ? ORDER BY rowid");
  fin.bind(1, shard).bind(2, meta_value(db, shard, "finished_cold_until_us").value_or(INT64_MIN));
  while (fin.step() == SQLITE_ROW) s->finished_holds.push_back(finished_row(fin));
  Stmt spends(
      db, "SELECT " TALLY_SPEND_SELECT " FROM spends WHERE shard_id = ? AND id > ? ORDER BY id");
  spends.bind(1, shard).bind(2, meta_value(db, shard, "spends_cold_through").value_or(0));
  while (spends.step() == SQLITE_ROW) {
    auto spend = spend_row(spends);
    if (!spend) return std::unexpected(spend.error());
    s->spends.push_back(std::move(*spend));
  }
  return {};
}

std::expected<void, std::string> read_purchases(Connection& db, ShardId shard, LedgerState* s) {
  Stmt p(db, "SELECT " TALLY_PURCHASE_SELECT " FROM purchases WHERE shard_id = ? ORDER BY id");
  p.bind(1, shard);
  while (p.step() == SQLITE_ROW) {
    auto purchase = purchase_row(p);
    if (!purchase) return std::unexpected(purchase.error());
    s->purchases.push_back(std::move(*purchase));
  }
  return {};
}

// Keys that ran after the cold mark are the ledger's (write_batch explains the mark); of
// those, the most recent `max` are loaded, in the order they ran.
std::expected<void, std::string> read_keys(Connection& db, ShardId shard, size_t max,
                                           bool* left_out, LedgerState* s) {
  Stmt k(db, "SELECT " TALLY_KEY_SELECT
             " FROM idempotency WHERE shard_id = ?1 AND at_us > ?2 ORDER BY rowid DESC LIMIT ?3");
  k.bind(1, shard).bind(2, meta_value(db, shard, "idempotency_cold_until_us").value_or(INT64_MIN));
  k.bind(3, static_cast<int64_t>(max) + 1);  // one more: whether any is left out
  while (k.step() == SQLITE_ROW) {
    if (s->idempotency.size() == max) {
      *left_out = true;
      break;
    }
    auto record = key_row(k);
    if (!record) return std::unexpected(record.error());
    s->idempotency.push_back(std::move(*record));
  }
  std::reverse(s->idempotency.begin(), s->idempotency.end());
  return {};
}

}  // namespace

std::optional<int64_t> meta_value(Connection& db, ShardId shard, std::string_view key) {
  Stmt q(db, "SELECT value FROM meta WHERE shard_id = ? AND key = ?");
  q.bind(1, shard).bind(2, key);
  if (q.step() != SQLITE_ROW) return std::nullopt;
  return std::stoll(q.text(0));
}

std::expected<LedgerState, std::string> read_state(Connection& db, ShardId shard,
                                                   size_t idempotency_max, bool* left_out) {
  LedgerState s;
  *left_out = false;
  for (auto step : {read_meta_and_books, read_accounts, read_holds_and_spends, read_purchases}) {
    if (auto r = step(db, shard, &s); !r) return std::unexpected(r.error());
  }
  if (auto r = read_keys(db, shard, idempotency_max, left_out, &s); !r) {
    return std::unexpected(r.error());
  }
  return s;
}

#define TALLY_ENTRY_SELECT "SELECT " TALLY_ENTRY_COLUMNS ", checksum FROM entries "

std::expected<void, std::string> scan_events(Connection& db, ShardId shard, uint64_t after_seq,
                                             std::string_view account,
                                             const std::function<bool(const Event&)>& visit) {
  Stmt q(db, account.empty() ? "SELECT " TALLY_EVENT_SELECT
                               " FROM events WHERE shard_id = ? AND seq > ? ORDER BY seq"
                             : "SELECT " TALLY_EVENT_SELECT
                               " FROM events WHERE shard_id = ? AND seq > ? AND account = ? "
                               "ORDER BY seq");
  q.bind(1, shard).bind(2, static_cast<int64_t>(after_seq));
  if (!account.empty()) q.bind(3, account);
  int rc;
  while ((rc = q.step()) == SQLITE_ROW) {
    auto e = event_row(q);
    if (!e) return std::unexpected(cat("shard ", shard, ": ", e.error()));
    if (!visit(*e)) return {};
  }
  if (rc != SQLITE_DONE) {
    return std::unexpected(cat("shard ", shard, ": reading events: ", sqlite3_errmsg(db.raw)));
  }
  return {};
}

std::expected<void, std::string> scan_audit(Connection& db, ShardId shard, uint64_t after_seq,
                                            const AuditFilter& filter,
                                            const std::function<bool(const AuditLine&)>& visit) {
  // One statement per index it should use: the account's, the credential's, or the shard's.
#define TALLY_AUDIT_WHERE                                                           \
  " FROM audit WHERE shard_id = ?1 AND seq > ?2 AND (?3 = '' OR account = ?3) AND " \
  "(?4 = '' OR credential = ?4) AND at_us >= ?5 AND at_us < ?6 "
  Stmt q(db, !filter.account.empty() ? "SELECT " TALLY_AUDIT_SELECT TALLY_AUDIT_WHERE
                                       "AND account = ?3 ORDER BY seq"
             : !filter.credential.empty()
                 ? "SELECT " TALLY_AUDIT_SELECT TALLY_AUDIT_WHERE "AND credential = ?4 ORDER BY seq"
                 : "SELECT " TALLY_AUDIT_SELECT TALLY_AUDIT_WHERE "ORDER BY seq");
#undef TALLY_AUDIT_WHERE
  q.bind(1, shard).bind(2, static_cast<int64_t>(after_seq));
  q.bind(3, filter.account)
      .bind(4, filter.credential)
      .bind(5, filter.from.us)
      .bind(6, filter.to.us);
  int rc;
  while ((rc = q.step()) == SQLITE_ROW) {
    auto l = audit_row(q);
    if (!l) return std::unexpected(cat("shard ", shard, ": ", l.error()));
    if (!visit(*l)) return {};
  }
  if (rc != SQLITE_DONE) {
    return std::unexpected(
        cat("shard ", shard, ": reading the audit trail: ", sqlite3_errmsg(db.raw)));
  }
  return {};
}

std::expected<void, std::string> scan_entries(Connection& db, ShardId shard, uint64_t after_seq,
                                              const std::function<bool(const Entry&)>& visit,
                                              std::string_view account) {
  // Two statements, so that each keeps its own plan (the account one uses entries_by_account).
  Stmt q(db, account.empty()
                 ? TALLY_ENTRY_SELECT "WHERE shard_id = ? AND seq > ? ORDER BY seq"
                 : TALLY_ENTRY_SELECT "WHERE shard_id = ? AND seq > ? AND account = ? ORDER BY seq");
  q.bind(1, shard).bind(2, static_cast<int64_t>(after_seq));
  if (!account.empty()) q.bind(3, account);
  int rc;
  while ((rc = q.step()) == SQLITE_ROW) {
    auto e = entry_row(q, shard);
    if (!e) return std::unexpected(cat("shard ", shard, ": ", e.error()));
    if (!visit(*e)) return {};
  }
  if (rc != SQLITE_DONE) {
    return std::unexpected(cat("shard ", shard, ": reading entries: ", sqlite3_errmsg(db.raw)));
  }
  return {};
}
#undef TALLY_ENTRY_SELECT

std::expected<std::optional<IdempotencyRecord>, std::string> find_idempotency(
    Connection& db, ShardId shard, std::string_view key) {
  Stmt k(db, "SELECT " TALLY_KEY_SELECT " FROM idempotency WHERE shard_id = ? AND key = ?");
  k.bind(1, shard).bind(2, key);
  if (k.step() != SQLITE_ROW) return std::nullopt;
  auto record = key_row(k);
  if (!record) return std::unexpected(record.error());
  return std::move(*record);
}

std::expected<std::optional<Spend>, std::string> find_spend(Connection& db, ShardId shard,
                                                           SpendId id) {
  Stmt q(db, "SELECT " TALLY_SPEND_SELECT " FROM spends WHERE shard_id = ? AND id = ?");
  q.bind(1, shard).bind(2, static_cast<int64_t>(id.value));
  if (q.step() != SQLITE_ROW) return std::nullopt;
  auto spend = spend_row(q);
  if (!spend) return std::unexpected(spend.error());
  return std::move(*spend);
}

std::optional<FinishedHold> find_finished_hold(Connection& db, ShardId shard, HoldId id) {
  Stmt q(db, "SELECT " TALLY_FINISHED_SELECT " FROM finished_holds WHERE shard_id = ? AND id = ?");
  q.bind(1, shard).bind(2, static_cast<int64_t>(id.value));
  if (q.step() != SQLITE_ROW) return std::nullopt;
  return finished_row(q).second;
}

std::expected<std::optional<Lot>, std::string> find_lot(Connection& db, ShardId shard, LotId id) {
  for (const char* sql : {"SELECT " TALLY_LOT_SELECT " FROM lots WHERE shard_id = ? AND id = ?",
                          "SELECT " TALLY_LOT_SELECT
                          " FROM lots_past WHERE shard_id = ? AND id = ?"}) {
    Stmt q(db, sql);
    q.bind(1, shard).bind(2, static_cast<int64_t>(id.value));
    if (q.step() != SQLITE_ROW) continue;
    auto lot = lot_row(q);
    if (!lot) return std::unexpected(cat("lot ", id.value, ": unknown source"));
    return lot;
  }
  return std::nullopt;
}

}  // namespace tally::store::sqlite
