// The schema of a shard's SQLite database and the write of one batch (one transaction).
#include <algorithm>
#include <iterator>
#include <string>

#include "ledger/text.h"
#include "store/checksum.h"
#include "store/codec.h"
#include "store/row_columns.h"
#include "store/sqlite_schema.h"
#include "store/sqlite_store.h"

namespace tally::store::sqlite {
namespace {

// Columns added in version 6 (issue 18): a lot's expiry notice. After the others, as ALTER TABLE
// adds them; a row of an older file has no notice pending.
#define TALLY_LOT_NOTICE_COLUMNS \
  "notice_at_us INTEGER NOT NULL DEFAULT 9223372036854775807, noticed INTEGER NOT NULL DEFAULT 0"
#define TALLY_ACCOUNT_ALERT_COLUMNS                                                        \
  "low_balance_micro INTEGER, expiring_notice_us INTEGER, "                                \
  "low_armed INTEGER NOT NULL DEFAULT 0, depleted_armed INTEGER NOT NULL DEFAULT 0"
// The events table as version 6 made it; version 7 adds TALLY_EVENT_PRICE_COLUMNS.
#define TALLY_EVENTS_TABLE_6(price_columns)                                                 \
  "CREATE TABLE IF NOT EXISTS events (shard_id INTEGER NOT NULL, seq INTEGER NOT NULL, "    \
  "at_us INTEGER NOT NULL, type TEXT NOT NULL, account TEXT NOT NULL, "                     \
  "amount_micro INTEGER NOT NULL, threshold_micro INTEGER NOT NULL, ref INTEGER NOT NULL, " \
  "when_us INTEGER NOT NULL, detail TEXT NOT NULL" price_columns                            \
  ", PRIMARY KEY (shard_id, seq)) WITHOUT ROWID; "                                         \
  "CREATE INDEX IF NOT EXISTS events_by_account ON events (shard_id, account, seq);"
// Version 7 (auto top-up): the price an auto_topup.requested asks, and its region.
#define TALLY_EVENT_PRICE_COLUMNS                                                 \
  ", currency TEXT NOT NULL DEFAULT '', price_minor INTEGER NOT NULL DEFAULT 0, " \
  "region TEXT NOT NULL DEFAULT ''"
#define TALLY_EVENTS_TABLE TALLY_EVENTS_TABLE_6(TALLY_EVENT_PRICE_COLUMNS)
// Version 10 (issue 21): who made each change (AuditLine), kept for good.
#define TALLY_AUDIT_TABLE                                                               \
  "CREATE TABLE IF NOT EXISTS audit (shard_id INTEGER NOT NULL, seq INTEGER NOT NULL, " \
  "at_us INTEGER NOT NULL, credential_kind TEXT NOT NULL, credential TEXT NOT NULL, "   \
  "member TEXT NOT NULL, idempotency_key TEXT NOT NULL, account TEXT NOT NULL, "        \
  "action TEXT NOT NULL, PRIMARY KEY (shard_id, seq)) WITHOUT ROWID; "                  \
  "CREATE INDEX IF NOT EXISTS audit_by_account ON audit (shard_id, account, seq); "     \
  "CREATE INDEX IF NOT EXISTS audit_by_credential ON audit (shard_id, credential, seq);"

// The columns of `lots` (lots in memory) and `lots_past` (lots that left it, kept for the
// refunds of stored spends): those of version 5 (TALLY_LOT_COLUMNS_5, which the migration that
// adds lots_past creates), then the notice columns of version 6.
#define TALLY_LOT_COLUMNS_5                                                                  \
  "(shard_id INTEGER NOT NULL, id INTEGER NOT NULL, account_idx INTEGER NOT NULL, "           \
  "source TEXT NOT NULL, voided INTEGER NOT NULL, plan_credit INTEGER NOT NULL, "             \
  "amount_micro INTEGER NOT NULL, remaining_micro INTEGER NOT NULL, "                         \
  "held_micro INTEGER NOT NULL, consumed_micro INTEGER NOT NULL, "                            \
  "expired_micro INTEGER NOT NULL, voided_micro INTEGER NOT NULL, "                           \
  "restored_micro INTEGER NOT NULL, granted_at_us INTEGER NOT NULL, "                         \
  "effective_at_us INTEGER NOT NULL, expires_at_us INTEGER NOT NULL, scope TEXT NOT NULL, "   \
  "currency TEXT NOT NULL, paid_minor INTEGER NOT NULL, reference TEXT NOT NULL, "            \
  "reason TEXT NOT NULL, refs INTEGER NOT NULL"
#define TALLY_PRIMARY_ID ", PRIMARY KEY (shard_id, id)) WITHOUT ROWID"
#define TALLY_LOT_TABLE TALLY_LOT_COLUMNS_5 ", " TALLY_LOT_NOTICE_COLUMNS TALLY_PRIMARY_ID

// shard_id is in every table and key, so that one database can also hold many shards.
constexpr const char* k_schema = R"SQL(
CREATE TABLE IF NOT EXISTS meta (shard_id INTEGER NOT NULL, key TEXT NOT NULL,
  value TEXT NOT NULL, PRIMARY KEY (shard_id, key)) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS books (shard_id INTEGER NOT NULL, book TEXT NOT NULL,
  key TEXT NOT NULL, amount_micro TEXT NOT NULL, PRIMARY KEY (shard_id, book, key)) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS accounts (shard_id INTEGER NOT NULL, idx INTEGER NOT NULL,
  id TEXT NOT NULL, balance_micro INTEGER NOT NULL, held_micro INTEGER NOT NULL,
  open_holds INTEGER NOT NULL, signup_granted INTEGER NOT NULL, last_reward_day_us INTEGER NOT NULL,
  plan TEXT, past_due INTEGER, cancel_at_period_end INTEGER, anchor_us INTEGER, period INTEGER,
  period_start_us INTEGER, period_end_us INTEGER, allocation_micro INTEGER, allocated INTEGER,
  pending_plan TEXT, pending_allocation_micro INTEGER, )SQL" TALLY_ACCOUNT_ALERT_COLUMNS R"SQL(,
  auto_topup BLOB, team BLOB, PRIMARY KEY (shard_id, idx), UNIQUE (shard_id, id)) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS lots )SQL" TALLY_LOT_TABLE R"SQL(;
CREATE TABLE IF NOT EXISTS holds (shard_id INTEGER NOT NULL, id INTEGER NOT NULL,
  account_idx INTEGER NOT NULL, amount_micro INTEGER NOT NULL, tool TEXT NOT NULL,
  price_book_version TEXT NOT NULL, created_at_us INTEGER NOT NULL,
  expires_at_us INTEGER NOT NULL, portions BLOB NOT NULL, params BLOB NOT NULL DEFAULT x'',
  plan TEXT NOT NULL DEFAULT '', member TEXT NOT NULL DEFAULT '',
  project TEXT NOT NULL DEFAULT '', PRIMARY KEY (shard_id, id)) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS finished_holds (shard_id INTEGER NOT NULL, id INTEGER NOT NULL,
  state INTEGER NOT NULL, expires_at_us INTEGER NOT NULL, spend INTEGER NOT NULL,
  ended_at_us INTEGER NOT NULL, UNIQUE (shard_id, id));
CREATE TABLE IF NOT EXISTS spends (shard_id INTEGER NOT NULL, id INTEGER NOT NULL,
  account_idx INTEGER NOT NULL, amount_micro INTEGER NOT NULL, refunded_micro INTEGER NOT NULL,
  tool TEXT NOT NULL, price_book_version TEXT NOT NULL, at_us INTEGER NOT NULL,
  hold INTEGER NOT NULL, portions BLOB NOT NULL, member TEXT NOT NULL DEFAULT '',
  project TEXT NOT NULL DEFAULT '', counted_at_us INTEGER NOT NULL DEFAULT 0,
  outcome INTEGER NOT NULL DEFAULT 0, PRIMARY KEY (shard_id, id)) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS purchases (shard_id INTEGER NOT NULL, id INTEGER NOT NULL,
  account_idx INTEGER NOT NULL, pack TEXT NOT NULL, payment_ref TEXT NOT NULL,
  currency TEXT NOT NULL, price_minor INTEGER NOT NULL, lot INTEGER NOT NULL,
  bonus_lot INTEGER NOT NULL, at_us INTEGER NOT NULL, voided INTEGER NOT NULL,
  digest_hi INTEGER NOT NULL, digest_lo INTEGER NOT NULL, reply BLOB NOT NULL,
  PRIMARY KEY (shard_id, id)) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS idempotency (shard_id INTEGER NOT NULL, key TEXT NOT NULL,
  at_us INTEGER NOT NULL, digest_hi INTEGER NOT NULL, digest_lo INTEGER NOT NULL,
  result BLOB NOT NULL, response BLOB NOT NULL DEFAULT x'', UNIQUE (shard_id, key));
CREATE TABLE IF NOT EXISTS entries (shard_id INTEGER NOT NULL, seq INTEGER NOT NULL,
  at_us INTEGER NOT NULL, kind TEXT NOT NULL, counter TEXT NOT NULL, source TEXT NOT NULL,
  account TEXT NOT NULL, lot INTEGER NOT NULL, amount_micro INTEGER NOT NULL,
  held_micro INTEGER NOT NULL, balance_after_micro INTEGER NOT NULL, hold INTEGER NOT NULL,
  spend INTEGER NOT NULL, tool TEXT NOT NULL, reason TEXT NOT NULL,
  effective_at_us INTEGER NOT NULL, expires_at_us INTEGER NOT NULL, checksum INTEGER NOT NULL,
  member TEXT NOT NULL DEFAULT '', project TEXT NOT NULL DEFAULT '',
  PRIMARY KEY (shard_id, seq)) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS entries_by_account ON entries (shard_id, account, seq);
CREATE TABLE IF NOT EXISTS lots_past )SQL" TALLY_LOT_TABLE R"SQL(;
)SQL" TALLY_EVENTS_TABLE TALLY_AUDIT_TABLE;

std::string error_of(Connection& db, std::string_view what) {
  return cat(what, ": ", sqlite3_errmsg(db.raw));
}


// Binds an account's row (?1 shard, ?2 id, ?3..?18 fields, ?19 idx, ?20..?23 alerts, ?24 auto
// top-up, ?25 team) to `st`.
void bind_account(Stmt& st, ShardId shard, uint32_t index, const Account& a) {
  st.bind(1, shard).bind_ref(2, a.id).bind(3, a.balance.micro).bind(4, a.held.micro);
  st.bind(5, a.open_holds).bind(6, a.signup_granted).bind(7, a.last_reward_day.us);
  st.bind(19, index);
  if (a.alerts.low_balance) {
    st.bind(20, a.alerts.low_balance->micro);
  } else {
    st.null(20);
  }
  if (a.alerts.expiring_notice_us) {
    st.bind(21, *a.alerts.expiring_notice_us);
  } else {
    st.null(21);
  }
  st.bind(22, a.low_armed).bind(23, a.depleted_armed);
  if (a.auto_topup) {
    st.blob(24, encode_auto_topup(*a.auto_topup));
  } else {
    st.null(24);
  }
  if (a.team) {
    st.blob(25, encode_team(*a.team));
  } else {
    st.null(25);
  }
  if (a.subscription) {
    const Subscription& s = *a.subscription;
    st.bind_ref(8, s.plan).bind(9, s.past_due).bind(10, s.cancel_at_period_end);
    st.bind(11, s.anchor.us).bind(12, s.period).bind(13, s.period_start.us);
    st.bind(14, s.period_end.us).bind(15, s.allocation.micro).bind(16, s.allocated);
    st.bind_ref(17, s.pending_plan);
    if (s.pending_allocation) {
      st.bind(18, s.pending_allocation->micro);
    } else {
      st.null(18);
    }
  } else {
    for (int i = 8; i <= 18; ++i) st.null(i);
  }
}

// Writes an account row and the lots the delta holds for it (those that appeared or changed).
// A row that exists is updated in place (one B-tree search); only a new one is inserted.
bool write_account(Connection& db, ShardId shard, uint32_t index, const Account& a) {
  Stmt update(db, R"SQL(UPDATE accounts SET balance_micro = ?3, held_micro = ?4,
      open_holds = ?5, signup_granted = ?6, last_reward_day_us = ?7, plan = ?8, past_due = ?9,
      cancel_at_period_end = ?10, anchor_us = ?11, period = ?12, period_start_us = ?13,
      period_end_us = ?14, allocation_micro = ?15, allocated = ?16, pending_plan = ?17,
      pending_allocation_micro = ?18, low_balance_micro = ?20, expiring_notice_us = ?21,
      low_armed = ?22, depleted_armed = ?23, auto_topup = ?24, team = ?25
      WHERE shard_id = ?1 AND idx = ?19)SQL");
  // (By the key alone: a condition on `id` too makes SQLite search the (shard_id, id) index
  // first, then the table.)
  bind_account(update, shard, index, a);
  if (!update.run()) return false;
  if (update.changes() == 0) {
    Stmt insert(db, R"SQL(INSERT INTO accounts VALUES (?1, ?19, ?2,
        ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18, ?20, ?21, ?22,
        ?23, ?24, ?25))SQL");
    bind_account(insert, shard, index, a);
    if (!insert.run()) return false;
  }
  Stmt lot_update(db,
                  "UPDATE lots SET voided = ?3, plan_credit = ?4, amount_micro = ?5, "
                  "remaining_micro = ?6, held_micro = ?7, consumed_micro = ?8, "
                  "expired_micro = ?9, voided_micro = ?10, restored_micro = ?11, "
                  "expires_at_us = ?12, paid_minor = ?13, refs = ?14, notice_at_us = ?15, "
                  "noticed = ?16 WHERE shard_id = ?1 AND id = ?2");
  Stmt lot_insert(db,
                  "INSERT INTO lots VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, "
                  "?13, ?14, ?15, ?16, ?17, ?18, ?19, ?20, ?21, ?22, ?23, ?24)");
  Stmt past_delete(db, "DELETE FROM lots_past WHERE shard_id = ? AND id = ?");
  for (const Lot& l : a.lots) {
    lot_update.bind(1, shard).bind(2, id64(l.id.value)).bind(3, l.voided).bind(4, l.plan_credit);
    lot_update.bind(5, l.amount.micro).bind(6, l.remaining.micro).bind(7, l.held.micro);
    lot_update.bind(8, l.consumed.micro).bind(9, l.expired.micro);
    lot_update.bind(10, l.voided_amount.micro).bind(11, l.restored.micro);
    lot_update.bind(12, l.expires_at.us).bind(13, l.cost_basis.paid_minor).bind(14, l.refs);
    lot_update.bind(15, l.notice_at.us).bind(16, l.noticed);
    if (!lot_update.run()) return false;
    if (lot_update.changes() != 0) continue;
    Stmt& in = lot_insert;
    in.bind(1, shard).bind(2, id64(l.id.value)).bind(3, index).bind(4, source_name(l.source));
    in.bind(5, l.voided).bind(6, l.plan_credit).bind(7, l.amount.micro);
    in.bind(8, l.remaining.micro).bind(9, l.held.micro).bind(10, l.consumed.micro);
    in.bind(11, l.expired.micro).bind(12, l.voided_amount.micro).bind(13, l.restored.micro);
    in.bind(14, l.granted_at.us).bind(15, l.effective_at.us).bind(16, l.expires_at.us);
    in.bind(17, scope_text(l.scope)).bind(18, currency_text(l.cost_basis.currency));
    in.bind(19, l.cost_basis.paid_minor).bind(20, l.reference).bind(21, l.reason);
    in.bind(22, l.refs).bind(23, l.notice_at.us).bind(24, l.noticed);
    if (!in.run()) return false;
    // A lot lent back by the store (Ledger::lend_spend) that stays in memory leaves lots_past.
    if (!past_delete.bind(1, shard).bind(2, id64(l.id.value)).run()) return false;
  }
  return true;
}

bool write_entries(Connection& db, ShardId shard, std::span<const Entry> entries) {
  Stmt in(db, "INSERT INTO entries (shard_id, " TALLY_ENTRY_COLUMNS
              ", checksum) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, "
              "?15, ?16, ?17, ?18, ?19, ?20)");
  for (const Entry& e : entries) {
    // Names are static text and the entry outlives the row: nothing is copied.
    int i = 1;
    in.bind(i++, shard);
    entry_columns(e, [&](auto v) {
      if constexpr (std::is_same_v<decltype(v), std::string_view>) {
        in.bind_ref(i++, v);
      } else {
        in.bind(i++, v);
      }
    });
    in.bind(i, entry_checksum(shard, e));
    if (!in.run()) return false;
  }
  return true;
}

bool write_events(Connection& db, ShardId shard, std::span<const Event> events) {
  Stmt in(db, "INSERT INTO events VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)");
  for (const Event& e : events) {
    in.bind(1, shard).bind(2, id64(e.seq)).bind(3, e.at.us).bind_ref(4, event_type_name(e.type));
    in.bind_ref(5, e.account).bind(6, e.amount.micro).bind(7, e.threshold.micro);
    in.bind(8, id64(e.ref)).bind(9, e.when.us).bind_ref(10, e.detail);
    in.bind(11, e.price.currency[0] == 0 ? std::string_view("") : currency_code(e.price.currency));
    in.bind(12, e.price.minor).bind_ref(13, e.region);
    if (!in.run()) return false;
  }
  return true;
}

bool write_audit(Connection& db, ShardId shard, std::span<const AuditLine> lines) {
  Stmt in(db, "INSERT INTO audit VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)");
  for (const AuditLine& l : lines) {
    in.bind(1, shard).bind(2, id64(l.seq)).bind(3, l.at.us);
    in.bind_ref(4, credential_kind_name(l.by.kind)).bind_ref(5, l.by.id).bind_ref(6, l.by.member);
    in.bind_ref(7, l.idempotency_key).bind_ref(8, l.account).bind_ref(9, l.action);
    if (!in.run()) return false;
  }
  return true;
}

bool write_books_and_meta(Connection& db, ShardId shard, const StateDelta& d) {
  // Books only grow keys (a tool, once consumed, stays): each is written in place.
  Stmt book(db, "INSERT OR REPLACE INTO books VALUES (?, ?, ?, ?)");
  auto put = [&](std::string_view name, std::string_view key, BookMicro v) {
    return book.bind(1, shard).bind(2, name).bind(3, key).bind(4, format_book(v)).run();
  };
  for (size_t i = 0; i < k_source_count; ++i) {
    if (!put("issuance", source_name(static_cast<Source>(i)), d.books.issuance[i])) return false;
  }
  for (const auto& [tool, v] : d.books.consumption) {
    if (!put("consumption", tool, v)) return false;
  }
  if (!put("expired", "", d.books.expired) || !put("voided", "", d.books.voided)) return false;
  Stmt meta(db, "INSERT OR REPLACE INTO meta VALUES (?, ?, ?)");
  for (auto [key, value] : {std::pair<const char*, int64_t>{"now_us", d.now.us},
                            {"seq", id64(d.seq)},
                            {"id_counter", id64(d.id_counter)},
                            {"event_seq", id64(d.event_seq)},
                            {"audit_seq", id64(d.audit_seq)}}) {
    if (!meta.bind(1, shard).bind(2, key).bind(3, std::to_string(value)).run()) return false;
  }
  return true;
}

// Runs `sql` for each of `ids` ("DELETE FROM t WHERE shard_id = ? AND id = ?").
template <typename Ids>
bool for_ids(Connection& db, const char* sql, ShardId shard, const Ids& ids) {
  Stmt del(db, sql);
  for (const auto& id : ids) {
    uint64_t v;
    if constexpr (std::is_integral_v<std::decay_t<decltype(id)>>) {
      v = id;
    } else {
      v = id.value;
    }
    if (!del.bind(1, shard).bind(2, id64(v)).run()) return false;
  }
  return true;
}

// Sets meta `key` to `value` unless it holds a larger one.
bool raise_mark(Connection& db, ShardId shard, const char* key, int64_t value) {
  if (meta_value(db, shard, key).value_or(INT64_MIN) >= value) return true;
  return Stmt(db, "INSERT OR REPLACE INTO meta VALUES (?, ?, ?)")
      .bind(1, shard)
      .bind(2, key)
      .bind(3, std::to_string(value))
      .run();
}

bool write_records(Connection& db, ShardId shard, const StateDelta& d) {
  if (!for_ids(db, "DELETE FROM holds WHERE shard_id = ? AND id = ?", shard, d.holds_gone)) {
    return false;
  }
  Stmt hold(db, "INSERT OR REPLACE INTO holds VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)");
  for (const Hold& h : d.holds_put) {
    hold.bind(1, shard).bind(2, id64(h.id.value)).bind(3, h.account).bind(4, h.amount.micro);
    hold.bind(5, h.tool).bind(6, h.price_book_version).bind(7, h.created_at.us);
    hold.bind(8, h.expires_at.us).blob(9, encode_portions(h.portions));
    hold.blob(10, h.params.empty() ? std::string() : encode_params(h.params)).bind(11, h.plan);
    hold.bind_ref(12, h.member).bind_ref(13, h.project);
    if (!hold.run()) return false;
  }
  Stmt fin(db, "INSERT INTO finished_holds VALUES (?, ?, ?, ?, ?, ?)");
  for (const auto& [id, f] : d.finished_put) {
    fin.bind(1, shard).bind(2, id64(id.value)).bind(3, static_cast<int64_t>(f.state));
    fin.bind(4, f.expires_at.us).bind(5, id64(f.spend.value)).bind(6, f.ended_at.us);
    if (!fin.run()) return false;
  }
  Stmt spend(db, "INSERT OR REPLACE INTO spends VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)");
  for (const Spend& s : d.spends_put) {
    spend.bind(1, shard).bind(2, id64(s.id.value)).bind(3, s.account).bind(4, s.amount.micro);
    spend.bind(5, s.refunded.micro).bind_ref(6, s.tool).bind_ref(7, s.price_book_version);
    spend.bind(8, s.at.us).bind(9, id64(s.hold.value)).blob(10, encode_portions(s.portions));
    spend.bind_ref(11, s.member).bind_ref(12, s.project).bind(13, s.counted_at.us);
    spend.bind(14, static_cast<int64_t>(s.outcome));
    if (!spend.run()) return false;
  }
  // Finished holds and spends that leave memory stay, for a capture or refund that names them
  // later. They leave in the order they arrived (all of one instant together), so one mark per
  // kind says which rows load() skips: finished holds that ended at or before the end of the
  // newest one let go, spends up to the newest one let go (ids grow with time). A spend lent
  // back and let go again is older than the mark, which never goes back.
  // The newest one gone that has a row: a hold that finished past its retention leaves in the
  // batch that finishes it, never put (found by the simulator, issue 18: taking it as the newest
  // left the mark behind, and the holds gone with it were loaded again).
  std::optional<int64_t> ended;
  for (auto gone = d.finished_gone.rbegin(); gone != d.finished_gone.rend() && !ended; ++gone) {
    for (const auto& [id, f] : d.finished_put) {
      if (id == *gone) ended = f.ended_at.us;
    }
    if (ended) break;
    Stmt q(db, "SELECT ended_at_us FROM finished_holds WHERE shard_id = ? AND id = ?");
    q.bind(1, shard).bind(2, id64(gone->value));
    if (q.step() == SQLITE_ROW) ended = q.i64(0);
  }
  if (ended && !raise_mark(db, shard, "finished_cold_until_us", *ended)) return false;
  if (!d.spends_gone.empty()) {
    const SpendId newest = *std::max_element(d.spends_gone.begin(), d.spends_gone.end());
    if (!raise_mark(db, shard, "spends_cold_through", id64(newest.value))) return false;
  }
  return true;
}

bool write_purchases_and_keys(Connection& db, ShardId shard, const StateDelta& d) {
  if (!for_ids(db, "DELETE FROM purchases WHERE shard_id = ? AND id = ?", shard,
                  d.purchases_gone)) {
    return false;
  }
  Stmt put(db,
           "INSERT OR REPLACE INTO purchases VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)");
  for (const PurchaseRecord& p : d.purchases_put) {
    // pack, price and lots are also columns, for people querying the database.
    const PurchaseReply& r = p.reply;
    put.bind(1, shard).bind(2, id64(p.id)).bind(3, p.account).bind(4, r.pack);
    put.bind(5, p.payment_ref).bind(6, currency_text(r.price.currency)).bind(7, r.price.minor);
    put.bind(8, id64(r.lot.value)).bind(9, id64(r.bonus_lot.value)).bind(10, p.at.us);
    put.bind(11, p.voided).bind(12, id64(p.fingerprint.hi)).bind(13, id64(p.fingerprint.lo));
    put.blob(14, encode_result(Result{p.reply}));
    if (!put.run()) return false;
  }
  // Keys leaving the ledger's memory stay, for retries of old keys (rule 8). The ledger lets
  // keys go in the order they ran, all of one instant together, so one mark says which rows
  // are cold: every key that ran at or before it (a key used again later has a newer time).
  if (!d.idempotency_gone.empty()) {
    int64_t cold_until_us = INT64_MIN;
    Stmt at(db, "SELECT at_us FROM idempotency WHERE shard_id = ? AND key = ?");
    for (auto k = d.idempotency_gone.rbegin(); k != d.idempotency_gone.rend(); ++k) {
      at.bind(1, shard).bind(2, *k);  // the newest key gone that a row holds
      const bool found = at.step() == SQLITE_ROW;
      if (found) cold_until_us = at.i64(0);
      at.reset();
      if (found) break;
    }
    if (cold_until_us != INT64_MIN &&
        !Stmt(db, "INSERT OR REPLACE INTO meta VALUES (?, 'idempotency_cold_until_us', ?)")
             .bind(1, shard)
             .bind(2, std::to_string(cold_until_us))
             .run()) {
      return false;
    }
  }
  // A key used again after it went cold replaces its row: the new row comes last (run order).
  Stmt key(db, "INSERT OR REPLACE INTO idempotency VALUES (?, ?, ?, ?, ?, ?, ?)");
  for (const IdempotencyRecord& r : d.idempotency_put) {
    key.bind(1, shard).bind_ref(2, r.key).bind(3, r.at.us).bind(4, id64(r.fingerprint.hi));
    key.bind(5, id64(r.fingerprint.lo)).blob(6, encode_result(r.result)).blob(7, r.response);
    if (!key.run()) return false;
  }
  return true;
}

// `tally_entry_checksum(shard_id, <TALLY_ENTRY_COLUMNS_3>)`: entry_checksum of a stored row, for
// the migration that gives existing rows their checksum (rows then had no member or project).
// The row's values feed the checksum as they are stored, which is how entry_columns_3 gives them.
void sql_entry_checksum(sqlite3_context* context, int argc, sqlite3_value** argv) {
  RowChecksum c;
  for (int i = 0; i < argc; ++i) {
    switch (sqlite3_value_type(argv[i])) {
      case SQLITE_INTEGER:
        c.add(static_cast<int64_t>(sqlite3_value_int64(argv[i])));
        break;
      case SQLITE_TEXT: {
        const auto* text = reinterpret_cast<const char*>(sqlite3_value_text(argv[i]));
        c.add(std::string_view(text, static_cast<size_t>(sqlite3_value_bytes(argv[i]))));
        break;
      }
      default:
        return sqlite3_result_error(context, "an entry column is neither integer nor text", -1);
    }
  }
  sqlite3_result_int64(context, c.value());
}

// Version 3: every entry row carries a checksum, computed here for the rows written before.
std::expected<void, std::string> checksum_entries(Connection& db) {
  if (sqlite3_create_function(db.raw, "tally_entry_checksum", 1 + k_entry_column_count_3,
                              SQLITE_UTF8 | SQLITE_DETERMINISTIC, nullptr, sql_entry_checksum,
                              nullptr, nullptr) != SQLITE_OK) {
    return std::unexpected(error_of(db, "tally_entry_checksum"));
  }
  return exec(db,
              "UPDATE entries SET checksum = tally_entry_checksum(shard_id, " TALLY_ENTRY_COLUMNS_3
              ")");
}

// One step of the schema: takes a file at `from_version` to the next version. `sql` runs
// first, then `rewrite` (if any), inside the transaction that records the new version. Steps
// run in order from the file's version; what one version adds goes into its one step.
struct Migration {
  int from_version;
  const char* sql;
  std::expected<void, std::string> (*rewrite)(Connection& db);
};

constexpr Migration k_migrations[] = {
    // 2 -> 3: entries prove they are whole; holds keep the parameters they were priced from
    // and the plan; a remembered request keeps the answer it was given (rule 8, byte for byte).
    // Rows written before mean: no params (priced from usage alone, as before), no answer
    // (a retry is answered from its result).
    {2,
     "ALTER TABLE entries ADD COLUMN checksum INTEGER NOT NULL DEFAULT 0;"
     "ALTER TABLE holds ADD COLUMN params BLOB NOT NULL DEFAULT x'';"
     "ALTER TABLE holds ADD COLUMN plan TEXT NOT NULL DEFAULT '';"
     "ALTER TABLE idempotency ADD COLUMN response BLOB NOT NULL DEFAULT x'';",
     checksum_entries},
    // 3 -> 4: the tables become projections of the journal (journal-<shard>/ beside the file,
    // issue 14); meta 'journal_through' says which record they hold up to (none yet: 0). A
    // version 3 file holds every committed batch, so nothing is replayed into it.
    {3, "SELECT 1", nullptr},
    // 4 -> 5: what leaves the ledger's memory stays (LedgerConfig::memory_window_us): lots in
    // `lots_past`, spends and finished holds in their tables behind cold marks in meta. A
    // version 4 file has neither: everything in it is in memory.
    {4, "CREATE TABLE IF NOT EXISTS lots_past " TALLY_LOT_COLUMNS_5 TALLY_PRIMARY_ID, nullptr},
    // 5 -> 6: events (issue 18), alert settings and the crossing state of accounts, the expiry
    // notice of lots. A version 5 file has no events, no settings and no notice pending.
    {5,
     "ALTER TABLE accounts ADD COLUMN low_balance_micro INTEGER;"
     "ALTER TABLE accounts ADD COLUMN expiring_notice_us INTEGER;"
     "ALTER TABLE accounts ADD COLUMN low_armed INTEGER NOT NULL DEFAULT 0;"
     "ALTER TABLE accounts ADD COLUMN depleted_armed INTEGER NOT NULL DEFAULT 0;"
     "ALTER TABLE lots ADD COLUMN notice_at_us INTEGER NOT NULL DEFAULT 9223372036854775807;"
     "ALTER TABLE lots ADD COLUMN noticed INTEGER NOT NULL DEFAULT 0;"
     "ALTER TABLE lots_past ADD COLUMN notice_at_us INTEGER NOT NULL "
     "DEFAULT 9223372036854775807;"
     "ALTER TABLE lots_past ADD COLUMN noticed INTEGER NOT NULL DEFAULT 0;" TALLY_EVENTS_TABLE_6(
         ""),
     nullptr},
    // 6 -> 7: auto top-up (issue 18): an account's settings and state, the price an
    // auto_topup.requested event asks. A version 6 file has neither.
    {6,
     "ALTER TABLE accounts ADD COLUMN auto_topup BLOB;"
     "ALTER TABLE events ADD COLUMN currency TEXT NOT NULL DEFAULT '';"
     "ALTER TABLE events ADD COLUMN price_minor INTEGER NOT NULL DEFAULT 0;"
     "ALTER TABLE events ADD COLUMN region TEXT NOT NULL DEFAULT '';",
     nullptr},
    // 7 -> 8: team accounts (issue 17): an account's members and budgets; the member and
    // project of holds and spends, and when a spend counted against budgets. A version 7 file
    // has no team account.
    {7,
     "ALTER TABLE accounts ADD COLUMN team BLOB;"
     "ALTER TABLE holds ADD COLUMN member TEXT NOT NULL DEFAULT '';"
     "ALTER TABLE holds ADD COLUMN project TEXT NOT NULL DEFAULT '';"
     "ALTER TABLE spends ADD COLUMN member TEXT NOT NULL DEFAULT '';"
     "ALTER TABLE spends ADD COLUMN project TEXT NOT NULL DEFAULT '';"
     "ALTER TABLE spends ADD COLUMN counted_at_us INTEGER NOT NULL DEFAULT 0;",
     nullptr},
    // 8 -> 9: entries name the member and project of a team account's hold or spend (issue 17),
    // so history filters by them and usage groups by them. Rows written before have neither,
    // and their checksums (which add member and project only when set) stay as they are.
    {8,
     "ALTER TABLE entries ADD COLUMN member TEXT NOT NULL DEFAULT '';"
     "ALTER TABLE entries ADD COLUMN project TEXT NOT NULL DEFAULT '';",
     nullptr},
    // 9 -> 10: the audit trail (issue 21): who made each change, with which idempotency key.
    // Changes made before have no line: the trail starts at the migration (meta 'audit_seq' 0).
    {9, TALLY_AUDIT_TABLE, nullptr},
    // 10 -> 11: a spend's outcome (issue 19): 0 none, 1 usable, 2 rejected (Outcome). Spends
    // written before have none.
    {10, "ALTER TABLE spends ADD COLUMN outcome INTEGER NOT NULL DEFAULT 0;", nullptr},
};
static_assert(std::size(k_migrations) > 0 &&
              k_migrations[std::size(k_migrations) - 1].from_version + 1 ==
                  SqliteStore::k_schema_version);

// The version the file records; nullopt for a new file (no meta table, or no version in it).
std::optional<std::string> stored_schema_version(Connection& db) {
  Stmt table(db, "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'meta'");
  if (table.step() != SQLITE_ROW) return std::nullopt;
  Stmt get(db, "SELECT value FROM meta WHERE shard_id = -1 AND key = 'schema_version'");
  if (get.step() != SQLITE_ROW) return std::nullopt;
  return get.text(0);
}

// Inside a transaction: the schema of a new file, or the steps from the file's version.
std::expected<void, std::string> make_schema(Connection& db, int schema_version) {
  const std::optional<std::string> stored = stored_schema_version(db);
  if (stored == std::to_string(schema_version)) return {};
  if (!stored) {
    if (auto r = exec(db, k_schema); !r) return r;
  } else {
    const Migration* m = std::find_if(
        std::begin(k_migrations), std::end(k_migrations),
        [&](const Migration& step) { return std::to_string(step.from_version) == *stored; });
    if (m == std::end(k_migrations)) {
      return std::unexpected(cat("schema version ", *stored, ", this Tally reads ", schema_version,
                                 " and migrates from ", k_migrations[0].from_version));
    }
    for (; m != std::end(k_migrations); ++m) {
      auto r = exec(db, m->sql);
      if (r && m->rewrite) r = m->rewrite(db);
      if (!r) {
        return std::unexpected(cat("migrating from version ", m->from_version, ": ", r.error()));
      }
    }
  }
  if (!Stmt(db, "INSERT OR REPLACE INTO meta VALUES (-1, 'schema_version', ?)")
           .bind(1, std::to_string(schema_version))
           .run()) {
    return std::unexpected(error_of(db, "schema version"));
  }
  return {};
}

}  // namespace

Connection::~Connection() {
  for (auto& [sql, stmt] : cache_) sqlite3_finalize(stmt);
  sqlite3_close_v2(raw);
}

sqlite3_stmt* Connection::statement(const char* sql) {
  auto [it, fresh] = cache_.try_emplace(sql, nullptr);
  if (fresh) sqlite3_prepare_v3(raw, sql, -1, SQLITE_PREPARE_PERSISTENT, &it->second, nullptr);
  return it->second;
}

Stmt& Stmt::bind(int i, int64_t v) {
  sqlite3_bind_int64(s_, i, v);
  return *this;
}

Stmt& Stmt::bind(int i, std::string_view v) {
  sqlite3_bind_text(s_, i, v.data(), static_cast<int>(v.size()), SQLITE_TRANSIENT);
  return *this;
}

Stmt& Stmt::bind_ref(int i, std::string_view v) {
  sqlite3_bind_text(s_, i, v.data(), static_cast<int>(v.size()), SQLITE_STATIC);
  return *this;
}

Stmt& Stmt::blob(int i, std::string_view v) {
  sqlite3_bind_blob(s_, i, v.data(), static_cast<int>(v.size()), SQLITE_TRANSIENT);
  return *this;
}

Stmt& Stmt::null(int i) {
  sqlite3_bind_null(s_, i);
  return *this;
}

bool Stmt::run() {
  if (s_ == nullptr) return false;
  const int rc = sqlite3_step(s_);
  sqlite3_reset(s_);
  return rc == SQLITE_DONE;
}

std::string Stmt::text(int col) const {
  const auto* p = reinterpret_cast<const char*>(sqlite3_column_text(s_, col));
  return p ? std::string(p, static_cast<size_t>(sqlite3_column_bytes(s_, col))) : std::string();
}

std::string_view Stmt::bytes(int col) const {
  const void* p = sqlite3_column_blob(s_, col);
  const int n = sqlite3_column_bytes(s_, col);
  return p ? std::string_view(static_cast<const char*>(p), static_cast<size_t>(n))
           : std::string_view();
}

std::expected<void, std::string> prepare_database(Connection& db, int schema_version) {
  // A larger page cache (64 MiB) keeps the hot pages of accounts and lots. Another connection
  // (a reader, `tally verify`) may hold a lock for a moment: wait for it rather than fail.
  for (const char* pragma : {"PRAGMA journal_mode = WAL", "PRAGMA foreign_keys = OFF",
                             "PRAGMA cache_size = -65536", "PRAGMA busy_timeout = 5000",
                             "PRAGMA synchronous = NORMAL"}) {
    if (auto r = exec(db, pragma); !r) return r;
  }
  // One transaction: a new file gets its whole schema, an older one every step, or nothing.
  if (auto r = exec(db, "BEGIN IMMEDIATE"); !r) return r;
  auto made = make_schema(db, schema_version);
  if (!made) {
    (void)exec(db, "ROLLBACK");
    return made;
  }
  return exec(db, "COMMIT");
}

std::expected<void, std::string> exec(Connection& db, const char* sql) {
  char* message = nullptr;
  if (sqlite3_exec(db.raw, sql, nullptr, nullptr, &message) == SQLITE_OK) return {};
  std::string text = message ? message : "unknown error";
  sqlite3_free(message);
  return std::unexpected(text);
}

std::expected<void, std::string> write_rows(Connection& db, ShardId shard,
                                            std::span<const Entry> entries,
                                            const StateDelta& delta) {
  bool ok = write_entries(db, shard, entries) && write_books_and_meta(db, shard, delta);
  for (size_t i = 0; ok && i < delta.accounts.size(); ++i) {
    ok = write_account(db, shard, delta.account_indexes[i], delta.accounts[i]);
  }
  // Lots that leave memory move to lots_past, where a refund of a stored spend finds them.
  ok = ok &&
       for_ids(db, "INSERT OR REPLACE INTO lots_past SELECT * FROM lots WHERE shard_id = ? AND id = ?",
               shard, delta.lots_gone) &&
       for_ids(db, "DELETE FROM lots WHERE shard_id = ? AND id = ?", shard, delta.lots_gone);
  ok = ok && write_records(db, shard, delta) && write_purchases_and_keys(db, shard, delta) &&
       write_events(db, shard, delta.events) && write_audit(db, shard, delta.audit);
  if (!ok) return std::unexpected(error_of(db, "write"));
  return {};
}

std::expected<void, std::string> forget_keys_before(Connection& db, ShardId shard,
                                                    TimeUs horizon) {
  // Most transactions have nothing to forget: the oldest row alone says so (one row read, not
  // the k_forget_keys_max the delete below looks at).
  Stmt oldest(db, "SELECT at_us FROM idempotency WHERE shard_id = ? ORDER BY rowid LIMIT 1");
  oldest.bind(1, shard);
  if (oldest.step() != SQLITE_ROW || oldest.i64(0) > horizon.us) return {};
  Stmt del(db,
           "DELETE FROM idempotency WHERE rowid IN (SELECT rowid FROM idempotency "
           "WHERE shard_id = ?1 ORDER BY rowid LIMIT ?2) AND at_us <= ?3");
  if (!del.bind(1, shard).bind(2, k_forget_keys_max).bind(3, horizon.us).run()) {
    return std::unexpected(error_of(db, "forgetting keys"));
  }
  return {};
}

std::expected<void, std::string> forget_events_before(Connection& db, ShardId shard,
                                                      TimeUs horizon) {
  Stmt oldest(db, "SELECT at_us FROM events WHERE shard_id = ? ORDER BY seq LIMIT 1");
  oldest.bind(1, shard);
  if (oldest.step() != SQLITE_ROW || oldest.i64(0) > horizon.us) return {};
  // Events of a shard are in time order: the oldest k_forget_keys_max, those past the horizon.
  Stmt del(db,
           "DELETE FROM events WHERE shard_id = ?1 AND seq IN (SELECT seq FROM events "
           "WHERE shard_id = ?1 ORDER BY seq LIMIT ?2) AND at_us <= ?3");
  if (!del.bind(1, shard).bind(2, k_forget_keys_max).bind(3, horizon.us).run()) {
    return std::unexpected(error_of(db, "forgetting events"));
  }
  return {};
}

uint64_t journal_through(Connection& db, ShardId shard) {
  Stmt q(db, "SELECT value FROM meta WHERE shard_id = ? AND key = 'journal_through'");
  q.bind(1, shard);
  if (q.step() != SQLITE_ROW) return 0;
  return std::stoull(q.text(0));
}

std::expected<void, std::string> set_journal_through(Connection& db, ShardId shard,
                                                     uint64_t record) {
  if (!Stmt(db, "INSERT OR REPLACE INTO meta VALUES (?, 'journal_through', ?)")
           .bind(1, shard)
           .bind(2, std::to_string(record))
           .run()) {
    return std::unexpected(error_of(db, "journal_through"));
  }
  return {};
}

}  // namespace tally::store::sqlite
