// Reading a shard's database back: its state for Ledger::from_state, its journal, and
// remembered requests.
#include <algorithm>
#include <map>
#include <optional>

#include "ledger/text.h"
#include "store/codec.h"
#include "store/sqlite_schema.h"

namespace tally::store::sqlite {
namespace {

uint64_t u64(int64_t v) {
  return static_cast<uint64_t>(v);
}

std::array<char, 3> currency_of(const std::string& s) {
  std::array<char, 3> c{};
  if (s.size() == 3) std::copy(s.begin(), s.end(), c.begin());
  return c;
}

std::vector<std::string> scope_of(const std::string& s) {
  std::vector<std::string> out;
  size_t start = 0;
  while (start < s.size()) {
    size_t end = s.find(',', start);
    if (end == std::string::npos) end = s.size();
    out.push_back(s.substr(start, end - start));
    start = end + 1;
  }
  return out;
}

// The columns lot_row, spend_row and finished_row read, in their order.
#define TALLY_LOT_SELECT                                                                      \
  "id, account_idx, source, voided, plan_credit, amount_micro, remaining_micro, held_micro, " \
  "consumed_micro, expired_micro, voided_micro, restored_micro, granted_at_us, "             \
  "effective_at_us, expires_at_us, scope, currency, paid_minor, reference, reason, refs, "    \
  "notice_at_us, noticed"
#define TALLY_SPEND_SELECT \
  "id, account_idx, amount_micro, refunded_micro, tool, price_book_version, at_us, hold, " \
  "portions, member, project, counted_at_us"
#define TALLY_FINISHED_SELECT "id, state, expires_at_us, spend, ended_at_us"

// A lot from a row of TALLY_LOT_SELECT; nullopt if its source is unknown.
std::optional<Lot> lot_row(Stmt& lots) {
  auto source = parse_source(lots.text(2));
  if (!source) return std::nullopt;
  Lot l;
  l.id = LotId{u64(lots.i64(0))};
  l.source = *source;
  l.voided = lots.i64(3) != 0;
  l.plan_credit = lots.i64(4) != 0;
  l.amount = Credits::from_micro(lots.i64(5));
  l.remaining = Credits::from_micro(lots.i64(6));
  l.held = Credits::from_micro(lots.i64(7));
  l.consumed = Credits::from_micro(lots.i64(8));
  l.expired = Credits::from_micro(lots.i64(9));
  l.voided_amount = Credits::from_micro(lots.i64(10));
  l.restored = Credits::from_micro(lots.i64(11));
  l.granted_at = TimeUs{lots.i64(12)};
  l.effective_at = TimeUs{lots.i64(13)};
  l.expires_at = TimeUs{lots.i64(14)};
  l.scope = scope_of(lots.text(15));
  l.cost_basis = CostBasis{currency_of(lots.text(16)), lots.i64(17)};
  l.reference = lots.text(18);
  l.reason = lots.text(19);
  l.refs = static_cast<uint32_t>(lots.i64(20));
  l.notice_at = TimeUs{lots.i64(21)};
  l.noticed = lots.i64(22) != 0;
  return l;
}

std::expected<Spend, std::string> spend_row(Stmt& spends) {
  auto portions = decode_portions(spends.bytes(8));
  if (!portions) return std::unexpected(cat("spend portions: ", portions.error()));
  return Spend{SpendId{u64(spends.i64(0))}, static_cast<uint32_t>(spends.i64(1)),
               Credits::from_micro(spends.i64(2)), Credits::from_micro(spends.i64(3)),
               spends.text(4), spends.text(5), TimeUs{spends.i64(6)}, HoldId{u64(spends.i64(7))},
               std::move(*portions), spends.text(9), spends.text(10), TimeUs{spends.i64(11)}};
}

std::pair<HoldId, FinishedHold> finished_row(Stmt& fin) {
  return {HoldId{u64(fin.i64(0))},
          FinishedHold{static_cast<HoldState>(fin.i64(1)), TimeUs{fin.i64(2)},
                       SpendId{u64(fin.i64(3))}, TimeUs{fin.i64(4)}}};
}

std::expected<void, std::string> read_meta_and_books(Connection& db, ShardId shard,
                                                     LedgerState* s) {
  Stmt meta(db, "SELECT key, value FROM meta WHERE shard_id = ?");
  meta.bind(1, shard);
  while (meta.step() == SQLITE_ROW) {
    const std::string key = meta.text(0);
    const int64_t v = std::stoll(meta.text(1));
    if (key == "now_us") s->now = TimeUs{v};
    if (key == "seq") s->seq = u64(v);
    if (key == "id_counter") s->id_counter = u64(v);
    if (key == "event_seq") s->event_seq = u64(v);
  }
  Stmt books(db, "SELECT book, key, amount_micro FROM books WHERE shard_id = ?");
  books.bind(1, shard);
  while (books.step() == SQLITE_ROW) {
    const std::string book = books.text(0);
    const auto parsed = parse_book_micro(books.text(2));
    if (!parsed) return std::unexpected("a system book is not a number");
    const BookMicro v = *parsed;
    if (book == "issuance") {
      auto source = parse_source(books.text(1));
      if (!source) return std::unexpected("unknown source in books");
      s->books.issuance[static_cast<size_t>(*source)] = v;
    } else if (book == "consumption") {
      s->books.consumption[books.text(1)] = v;
    } else if (book == "expired") {
      s->books.expired = v;
    } else if (book == "voided") {
      s->books.voided = v;
    }
  }
  return {};
}

std::expected<void, std::string> read_accounts(Connection& db, ShardId shard, LedgerState* s) {
  Stmt acc(db,
           "SELECT id, balance_micro, held_micro, open_holds, signup_granted, "
           "last_reward_day_us, plan, past_due, cancel_at_period_end, anchor_us, period, "
           "period_start_us, period_end_us, allocation_micro, allocated, pending_plan, "
           "pending_allocation_micro, idx, low_balance_micro, expiring_notice_us, low_armed, "
           "depleted_armed, auto_topup, team FROM accounts WHERE shard_id = ? ORDER BY idx");
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
    Account& a = s->accounts.emplace_back();
    a.id = acc.text(0);
    a.balance = Credits::from_micro(acc.i64(1));
    a.held = Credits::from_micro(acc.i64(2));
    a.open_holds = static_cast<uint32_t>(acc.i64(3));
    a.signup_granted = acc.i64(4) != 0;
    a.last_reward_day = TimeUs{acc.i64(5)};
    if (!acc.is_null(6)) {
      Subscription& sub = a.subscription.emplace();
      sub.plan = acc.text(6);
      sub.past_due = acc.i64(7) != 0;
      sub.cancel_at_period_end = acc.i64(8) != 0;
      sub.anchor = TimeUs{acc.i64(9)};
      sub.period = acc.i64(10);
      sub.period_start = TimeUs{acc.i64(11)};
      sub.period_end = TimeUs{acc.i64(12)};
      sub.allocation = Credits::from_micro(acc.i64(13));
      sub.allocated = acc.i64(14) != 0;
      sub.pending_plan = acc.text(15);
      if (!acc.is_null(16)) sub.pending_allocation = Credits::from_micro(acc.i64(16));
    }
    if (!acc.is_null(18)) a.alerts.low_balance = Credits::from_micro(acc.i64(18));
    if (!acc.is_null(19)) a.alerts.expiring_notice_us = acc.i64(19);
    a.low_armed = acc.i64(20) != 0;
    a.depleted_armed = acc.i64(21) != 0;
    if (!acc.is_null(22)) {
      auto topup = decode_auto_topup(acc.bytes(22));
      if (!topup) return std::unexpected(cat("account ", a.id, ": auto top-up: ", topup.error()));
      a.auto_topup = std::move(*topup);
    }
    if (!acc.is_null(23)) {
      auto team = decode_team(acc.bytes(23));
      if (!team) return std::unexpected(cat("account ", a.id, ": team: ", team.error()));
      a.team = std::move(*team);
    }
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
  Stmt holds(db,
             "SELECT id, account_idx, amount_micro, tool, price_book_version, created_at_us, "
             "expires_at_us, portions, params, plan, member, project FROM holds WHERE shard_id = ? "
             "ORDER BY id");
  holds.bind(1, shard);
  while (holds.step() == SQLITE_ROW) {
    auto portions = decode_portions(holds.bytes(7));
    if (!portions) return std::unexpected(cat("hold portions: ", portions.error()));
    auto params = decode_params(holds.bytes(8));
    if (!params) return std::unexpected(cat("hold params: ", params.error()));
    s->holds.push_back(Hold{HoldId{u64(holds.i64(0))}, static_cast<uint32_t>(holds.i64(1)),
                            Credits::from_micro(holds.i64(2)), holds.text(3), holds.text(4),
                            TimeUs{holds.i64(5)}, TimeUs{holds.i64(6)}, std::move(*portions),
                            std::move(*params), holds.text(9), holds.text(10),
                            holds.text(11)});
  }
  // Finished holds and spends that left the ledger's memory stay here; the cold marks say
  // which (write_records explains them).
  Stmt fin(db, "SELECT " TALLY_FINISHED_SELECT
               " FROM finished_holds WHERE shard_id = ? AND ended_at_us > ? ORDER BY rowid");
  fin.bind(1, shard).bind(2, meta_value(db, shard, "finished_cold_until_us").value_or(INT64_MIN));
  while (fin.step() == SQLITE_ROW) s->finished_holds.push_back(finished_row(fin));
  Stmt spends(db, "SELECT " TALLY_SPEND_SELECT
                  " FROM spends WHERE shard_id = ? AND id > ? ORDER BY id");
  spends.bind(1, shard).bind(2, meta_value(db, shard, "spends_cold_through").value_or(0));
  while (spends.step() == SQLITE_ROW) {
    auto spend = spend_row(spends);
    if (!spend) return std::unexpected(spend.error());
    s->spends.push_back(std::move(*spend));
  }
  return {};
}

std::expected<void, std::string> read_purchases(Connection& db, ShardId shard,
                                                         LedgerState* s) {
  Stmt p(db,
         "SELECT id, account_idx, payment_ref, at_us, voided, digest_hi, digest_lo, reply "
         "FROM purchases WHERE shard_id = ? ORDER BY id");
  p.bind(1, shard);
  while (p.step() == SQLITE_ROW) {
    auto reply = decode_result(p.bytes(7));
    if (!reply || !*reply || !std::holds_alternative<PurchaseReply>(**reply)) {
      return std::unexpected("a purchase reply is not readable");
    }
    PurchaseRecord& r = s->purchases.emplace_back();
    r.id = u64(p.i64(0));
    r.account = static_cast<uint32_t>(p.i64(1));
    r.payment_ref = p.text(2);
    r.at = TimeUs{p.i64(3)};
    r.voided = p.i64(4) != 0;
    r.fingerprint = CommandDigest{u64(p.i64(5)), u64(p.i64(6))};
    r.reply = std::get<PurchaseReply>(**reply);
  }
  return {};
}

// Keys that ran after the cold mark are the ledger's (write_batch explains the mark); of
// those, the most recent `max` are loaded, in the order they ran.
std::expected<void, std::string> read_keys(Connection& db, ShardId shard, size_t max,
                                           bool* left_out, LedgerState* s) {
  Stmt k(db,
         "SELECT key, at_us, digest_hi, digest_lo, result, response FROM idempotency "
         "WHERE shard_id = ?1 AND at_us > ?2 ORDER BY rowid DESC LIMIT ?3");
  k.bind(1, shard).bind(2, meta_value(db, shard, "idempotency_cold_until_us").value_or(INT64_MIN));
  k.bind(3, static_cast<int64_t>(max) + 1);  // one more: whether any is left out
  while (k.step() == SQLITE_ROW) {
    if (s->idempotency.size() == max) {
      *left_out = true;
      break;
    }
    auto result = decode_result(k.bytes(4));
    if (!result) return std::unexpected(cat("an idempotency reply: ", result.error()));
    s->idempotency.push_back(IdempotencyRecord{k.text(0), TimeUs{k.i64(1)},
                                               CommandDigest{u64(k.i64(2)), u64(k.i64(3))},
                                               std::move(*result), std::string(k.bytes(5))});
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
#define TALLY_EVENT_SELECT \
  "SELECT seq, at_us, type, account, amount_micro, threshold_micro, ref, when_us, detail, " \
  "currency, price_minor, region FROM events "
  Stmt q(db, account.empty()
                 ? TALLY_EVENT_SELECT "WHERE shard_id = ? AND seq > ? ORDER BY seq"
                 : TALLY_EVENT_SELECT "WHERE shard_id = ? AND seq > ? AND account = ? ORDER BY seq");
#undef TALLY_EVENT_SELECT
  q.bind(1, shard).bind(2, static_cast<int64_t>(after_seq));
  if (!account.empty()) q.bind(3, account);
  int rc;
  while ((rc = q.step()) == SQLITE_ROW) {
    Event e;
    e.seq = u64(q.i64(0));
    e.at = TimeUs{q.i64(1)};
    auto type = parse_event_type(q.text(2));
    if (!type) return std::unexpected(cat("shard ", shard, ": event ", e.seq, " has no known type"));
    e.type = *type;
    e.account = q.text(3);
    e.amount = Credits::from_micro(q.i64(4));
    e.threshold = Credits::from_micro(q.i64(5));
    e.ref = u64(q.i64(6));
    e.when = TimeUs{q.i64(7)};
    e.detail = q.text(8);
    if (const std::string currency = q.text(9); !currency.empty()) {
      auto code = parse_currency(currency);
      if (!code) return std::unexpected(cat("shard ", shard, ": event ", e.seq, ": bad currency"));
      e.price.currency = *code;
    }
    e.price.minor = q.i64(10);
    e.region = q.text(11);
    if (!visit(e)) return {};
  }
  if (rc != SQLITE_DONE) {
    return std::unexpected(cat("shard ", shard, ": reading events: ", sqlite3_errmsg(db.raw)));
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
    Entry e;
    e.seq = u64(q.i64(0));
    e.at = TimeUs{q.i64(1)};
    auto kind = parse_entry_kind(q.text(2));
    auto counter = parse_book(q.text(3));
    auto source = parse_source(q.text(4));
    if (!kind || !counter || !source) {
      return std::unexpected(
          cat("shard ", shard, ": entry seq ", e.seq, " is corrupt: not readable"));
    }
    e.kind = *kind;
    e.counter = *counter;
    e.source = *source;
    e.account = q.text(5);
    e.lot = LotId{u64(q.i64(6))};
    e.amount = Credits::from_micro(q.i64(7));
    e.held = Credits::from_micro(q.i64(8));
    e.balance_after = Credits::from_micro(q.i64(9));
    e.hold = HoldId{u64(q.i64(10))};
    e.spend = SpendId{u64(q.i64(11))};
    e.tool = q.text(12);
    e.reason = q.text(13);
    e.effective_at = TimeUs{q.i64(14)};
    e.expires_at = TimeUs{q.i64(15)};
    // Money is never served from a row that is not what was written.
    if (q.i64(16) != entry_checksum(shard, e)) {
      return std::unexpected(cat("shard ", shard, ": entry seq ", e.seq,
                                 " is corrupt: its checksum does not match its fields"));
    }
    if (!visit(e)) return {};
  }
  if (rc != SQLITE_DONE) {
    return std::unexpected(cat("shard ", shard, ": reading entries: ", sqlite3_errmsg(db.raw)));
  }
  return {};
}
#undef TALLY_ENTRY_SELECT

std::expected<std::optional<IdempotencyRecord>, std::string> find_idempotency(
    Connection& db, ShardId shard, std::string_view key) {
  Stmt k(db,
         "SELECT at_us, digest_hi, digest_lo, result, response FROM idempotency "
         "WHERE shard_id = ? AND key = ?");
  k.bind(1, shard).bind(2, key);
  if (k.step() != SQLITE_ROW) return std::nullopt;
  auto result = decode_result(k.bytes(3));
  if (!result) return std::unexpected(cat("an idempotency reply: ", result.error()));
  return IdempotencyRecord{std::string(key), TimeUs{k.i64(0)},
                           CommandDigest{u64(k.i64(1)), u64(k.i64(2))}, std::move(*result),
                           std::string(k.bytes(4))};
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
