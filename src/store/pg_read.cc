// Reading a shard back from PostgreSQL: its state for Ledger::from_state, its entries, events
// and keys, and the records that left the ledger's memory. The SQLite store's reads
// (sqlite_read.cc), query for query.
#include <algorithm>

#include "catalog/catalog.h"
#include "ledger/text.h"
#include "store/codec.h"
#include "store/entry_row.h"
#include "store/pg_schema.h"
#include "store/row_columns.h"

namespace tally::store::pg {
namespace {

std::expected<void, std::string> read_meta_and_books(Connection& db, ShardId shard,
                                                     LedgerState* s) {
  auto meta = db.query("SELECT key, value FROM meta WHERE shard_id = $1", Params().i64(shard));
  if (!meta) return std::unexpected(meta.error());
  for (int i = 0; i < meta->size(); ++i) {
    meta_row(meta->text(i, 0), std::stoll(meta->text(i, 1)), s);
  }
  auto books = db.query("SELECT book, key, amount_micro FROM books WHERE shard_id = $1",
                        Params().i64(shard));
  if (!books) return std::unexpected(books.error());
  for (int i = 0; i < books->size(); ++i) {
    if (auto r = book_row(Row{*books, i}, s); !r) return r;
  }
  return {};
}

// Each row of `sql` ($1 the shard) made a record by `row` and appended to `*out`.
template <typename T, typename Make>
std::expected<void, std::string> read_all(Connection& db, const char* sql, ShardId shard,
                                          Make&& make, std::vector<T>* out) {
  auto rows = db.query(sql, Params().i64(shard));
  if (!rows) return std::unexpected(rows.error());
  out->reserve(out->size() + static_cast<size_t>(rows->size()));
  for (int i = 0; i < rows->size(); ++i) {
    auto record = make(Row{*rows, i});
    if (!record) return std::unexpected(record.error());
    out->push_back(std::move(*record));
  }
  return {};
}

std::expected<void, std::string> read_accounts(Connection& db, ShardId shard, LedgerState* s) {
  auto acc =
      db.query("SELECT " TALLY_ACCOUNT_SELECT " FROM accounts WHERE shard_id = $1 ORDER BY idx",
               Params().i64(shard));
  if (!acc) return std::unexpected(acc.error());
  s->accounts.reserve(static_cast<size_t>(acc->size()));
  for (int i = 0; i < acc->size(); ++i) {
    const Row row{*acc, i};
    if (row.i64(17) != static_cast<int64_t>(s->accounts.size())) {
      return std::unexpected("account positions are not 0, 1, 2, ...");
    }
    if (auto r = account_row(row, s->accounts.emplace_back()); !r) return r;
  }
  auto lots = db.query("SELECT " TALLY_LOT_SELECT " FROM lots WHERE shard_id = $1 ORDER BY id",
                       Params().i64(shard));
  if (!lots) return std::unexpected(lots.error());
  for (int i = 0; i < lots->size(); ++i) {
    const Row row{*lots, i};
    const int64_t owner = row.i64(1);
    auto lot = lot_row(row);
    if (owner < 0 || owner >= static_cast<int64_t>(s->accounts.size()) || !lot) {
      return std::unexpected("a lot of an unknown account");
    }
    s->accounts[static_cast<size_t>(owner)].lots.push_back(std::move(*lot));
  }
  for (Account& a : s->accounts) a.lots.shrink_to_fit();
  return {};
}

std::expected<void, std::string> read_holds_and_spends(Connection& db, ShardId shard,
                                                       LedgerState* s) {
  if (auto r = read_all(
          db, "SELECT " TALLY_HOLD_SELECT " FROM holds WHERE shard_id = $1 ORDER BY id", shard,
          [](const Row& r) { return hold_row(r); }, &s->holds);
      !r) {
    return r;
  }
  // Finished holds and spends behind the cold marks stay in the tables only.
  auto finished_mark = meta_value(db, shard, "finished_cold_until_us");
  auto spends_mark = meta_value(db, shard, "spends_cold_through");
  if (!finished_mark) return std::unexpected(finished_mark.error());
  if (!spends_mark) return std::unexpected(spends_mark.error());
  auto fin = db.query("SELECT " TALLY_FINISHED_SELECT
                      " FROM finished_holds WHERE shard_id = $1 AND ended_at_us > $2 ORDER BY ord",
                      Params().i64(shard).i64(finished_mark->value_or(INT64_MIN)));
  if (!fin) return std::unexpected(fin.error());
  for (int i = 0; i < fin->size(); ++i) s->finished_holds.push_back(finished_row(Row{*fin, i}));
  auto spends = db.query("SELECT " TALLY_SPEND_SELECT
                         " FROM spends WHERE shard_id = $1 AND id > $2 ORDER BY id",
                         Params().i64(shard).i64(spends_mark->value_or(0)));
  if (!spends) return std::unexpected(spends.error());
  for (int i = 0; i < spends->size(); ++i) {
    auto spend = spend_row(Row{*spends, i});
    if (!spend) return std::unexpected(spend.error());
    s->spends.push_back(std::move(*spend));
  }
  return {};
}

std::expected<void, std::string> read_purchases(Connection& db, ShardId shard, LedgerState* s) {
  return read_all(
      db, "SELECT " TALLY_PURCHASE_SELECT " FROM purchases WHERE shard_id = $1 ORDER BY id", shard,
      [](const Row& r) { return purchase_row(r); }, &s->purchases);
}

// The keys that ran after the cold mark, the most recent `max` of them, in the order they ran.
std::expected<void, std::string> read_keys(Connection& db, ShardId shard, size_t max,
                                           bool* left_out, LedgerState* s) {
  auto mark = meta_value(db, shard, "idempotency_cold_until_us");
  if (!mark) return std::unexpected(mark.error());
  auto k = db.query(
      "SELECT " TALLY_KEY_SELECT
      " FROM idempotency WHERE shard_id = $1 AND at_us > $2 ORDER BY ord DESC "
      "LIMIT $3",
      Params().i64(shard).i64(mark->value_or(INT64_MIN)).i64(static_cast<int64_t>(max) + 1));
  if (!k) return std::unexpected(k.error());
  for (int i = 0; i < k->size(); ++i) {
    if (s->idempotency.size() == max) {
      *left_out = true;
      break;
    }
    auto record = key_row(Row{*k, i});
    if (!record) return std::unexpected(record.error());
    s->idempotency.push_back(std::move(*record));
  }
  std::reverse(s->idempotency.begin(), s->idempotency.end());
  return {};
}

// Runs `sql` ($1 shard, $2 the last key seen, then `more`) page by page until it gives fewer
// than k_page_rows rows or `visit` returns false; `next` gives a row's key for the next page.
template <typename Visit, typename Next>
std::expected<void, std::string> paged(Connection& db, const char* sql, ShardId shard,
                                       int64_t after, std::string_view more, Visit&& visit,
                                       Next&& next) {
  for (;;) {
    Params p;
    p.i64(shard).i64(after).i64(k_page_rows);
    if (!more.empty()) p.text(more);
    auto rows = db.query(sql, p);
    if (!rows) return std::unexpected(rows.error());
    for (int i = 0; i < rows->size(); ++i) {
      const Row row{*rows, i};
      auto go_on = visit(row);
      if (!go_on) return std::unexpected(go_on.error());
      if (!*go_on) return {};
      after = next(row);
    }
    if (rows->size() < k_page_rows) return {};
  }
}

}  // namespace

std::expected<std::optional<int64_t>, std::string> meta_value(Connection& db, ShardId shard,
                                                              const char* key) {
  auto q = db.query("SELECT value FROM meta WHERE shard_id = $1 AND key = $2",
                    Params().i64(shard).text(key));
  if (!q) return std::unexpected(q.error());
  if (q->size() == 0) return std::nullopt;
  return std::stoll(q->text(0, 0));
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

#define TALLY_PG_ENTRIES "SELECT " TALLY_ENTRY_COLUMNS ", checksum FROM entries "

std::expected<void, std::string> scan_entries(Connection& db, ShardId shard, uint64_t after_seq,
                                              std::string_view account,
                                              const std::function<bool(const Entry&)>& visit) {
  const char* sql = account.empty() ? TALLY_PG_ENTRIES
                        "WHERE shard_id = $1 AND seq > $2 ORDER BY seq LIMIT $3"
                                    : TALLY_PG_ENTRIES
                        "WHERE shard_id = $1 AND seq > $2 AND account = $4 ORDER BY seq LIMIT $3";
  auto scanned = paged(
      db, sql, shard, static_cast<int64_t>(after_seq), account,
      [&](const Row& q) -> std::expected<bool, std::string> {
        auto e = entry_row(q, shard);
        if (!e) return std::unexpected(e.error());
        return visit(*e);
      },
      [](const Row& q) { return q.i64(0); });
  if (!scanned) return std::unexpected(cat("shard ", shard, ": ", scanned.error()));
  return {};
}
#undef TALLY_PG_ENTRIES

std::expected<void, std::string> scan_events(Connection& db, ShardId shard, uint64_t after_seq,
                                             std::string_view account,
                                             const std::function<bool(const Event&)>& visit) {
#define TALLY_PG_EVENTS "SELECT " TALLY_EVENT_SELECT " FROM events "
  const char* sql = account.empty() ? TALLY_PG_EVENTS
                        "WHERE shard_id = $1 AND seq > $2 ORDER BY seq LIMIT $3"
                                    : TALLY_PG_EVENTS
                        "WHERE shard_id = $1 AND seq > $2 AND account = $4 ORDER BY seq LIMIT $3";
#undef TALLY_PG_EVENTS
  auto scanned = paged(
      db, sql, shard, static_cast<int64_t>(after_seq), account,
      [&](const Row& q) -> std::expected<bool, std::string> {
        auto e = event_row(q);
        if (!e) return std::unexpected(e.error());
        return visit(*e);
      },
      [](const Row& q) { return q.i64(0); });
  if (!scanned) return std::unexpected(cat("shard ", shard, ": reading events: ", scanned.error()));
  return {};
}

std::expected<void, std::string> scan_audit(Connection& db, ShardId shard, uint64_t after_seq,
                                            const AuditFilter& filter,
                                            const std::function<bool(const AuditLine&)>& visit) {
  // Pages of k_page_rows, as paged() reads, with the filters' parameters.
  int64_t after = static_cast<int64_t>(after_seq);
  for (;;) {
    Params p;
    p.i64(shard).i64(after).i64(k_page_rows).text(filter.account).text(filter.credential);
    p.i64(filter.from.us).i64(filter.to.us);
    auto rows =
        db.query("SELECT " TALLY_AUDIT_SELECT
                 " FROM audit WHERE shard_id = $1 AND seq > $2 AND "
                 "($4 = '' OR account = $4) AND ($5 = '' OR credential = $5) AND at_us >= $6 AND "
                 "at_us < $7 ORDER BY seq LIMIT $3",
                 p);
    if (!rows) {
      return std::unexpected(cat("shard ", shard, ": reading the audit trail: ", rows.error()));
    }
    for (int i = 0; i < rows->size(); ++i) {
      const Row row{*rows, i};
      auto l = audit_row(row);
      if (!l) return std::unexpected(cat("shard ", shard, ": ", l.error()));
      if (!visit(*l)) return {};
      after = row.i64(0);
    }
    if (rows->size() < k_page_rows) return {};
  }
}

std::expected<void, std::string> scan_keys(Connection& db, ShardId shard,
                                           const std::function<void(std::string_view)>& visit) {
  // Pages in `ord` order (the key's index would need a text key to page by).
  return paged(
      db, "SELECT ord, key FROM idempotency WHERE shard_id = $1 AND ord > $2 ORDER BY ord LIMIT $3",
      shard, INT64_MIN, {},
      [&](const Row& q) -> std::expected<bool, std::string> {
        visit(q.bytes(1));
        return true;
      },
      [](const Row& q) { return q.i64(0); });
}

std::expected<std::optional<IdempotencyRecord>, std::string> find_idempotency(
    Connection& db, ShardId shard, std::string_view key) {
  auto k = db.query("SELECT " TALLY_KEY_SELECT " FROM idempotency WHERE shard_id = $1 AND key = $2",
                    Params().i64(shard).text(key));
  if (!k) return std::unexpected(k.error());
  if (k->size() == 0) return std::nullopt;
  auto record = key_row(Row{*k, 0});
  if (!record) return std::unexpected(record.error());
  return std::move(*record);
}

std::expected<std::optional<Spend>, std::string> find_spend(Connection& db, ShardId shard,
                                                            SpendId id) {
  auto q = db.query("SELECT " TALLY_SPEND_SELECT " FROM spends WHERE shard_id = $1 AND id = $2",
                    Params().i64(shard).i64(id64(id.value)));
  if (!q) return std::unexpected(q.error());
  if (q->size() == 0) return std::nullopt;
  auto spend = spend_row(Row{*q, 0});
  if (!spend) return std::unexpected(spend.error());
  return std::move(*spend);
}

std::expected<std::optional<FinishedHold>, std::string> find_finished_hold(Connection& db,
                                                                           ShardId shard,
                                                                           HoldId id) {
  auto q = db.query("SELECT " TALLY_FINISHED_SELECT
                    " FROM finished_holds WHERE shard_id = $1 AND id = $2",
                    Params().i64(shard).i64(id64(id.value)));
  if (!q) return std::unexpected(q.error());
  if (q->size() == 0) return std::nullopt;
  return finished_row(Row{*q, 0}).second;
}

std::expected<std::optional<Lot>, std::string> find_lot(Connection& db, ShardId shard, LotId id) {
  for (const char* sql :
       {"SELECT " TALLY_LOT_SELECT " FROM lots WHERE shard_id = $1 AND id = $2",
        "SELECT " TALLY_LOT_SELECT " FROM lots_past WHERE shard_id = $1 AND id = $2"}) {
    auto q = db.query(sql, Params().i64(shard).i64(id64(id.value)));
    if (!q) return std::unexpected(q.error());
    if (q->size() == 0) continue;
    auto lot = lot_row(Row{*q, 0});
    if (!lot) return std::unexpected(cat("lot ", id.value, ": unknown source"));
    return lot;
  }
  return std::nullopt;
}

std::expected<void, std::string> scan_journal(
    Connection& db, ShardId shard,
    const std::function<std::expected<void, std::string>(uint64_t, std::string_view, uint32_t)>&
        visit) {
  return paged(
      db,
      "SELECT record, payload, checksum FROM journal WHERE shard_id = $1 AND record > $2 "
      "ORDER BY record LIMIT $3",
      shard, 0, {},
      [&](const Row& q) -> std::expected<bool, std::string> {
        auto r = visit(u64(q.i64(0)), q.bytes(1), static_cast<uint32_t>(q.i64(2)));
        if (!r) return std::unexpected(r.error());
        return true;
      },
      [](const Row& q) { return q.i64(0); });
}

}  // namespace tally::store::pg
