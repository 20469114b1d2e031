// Columns both SQL stores (SQLite, PostgreSQL) write and read the same way: ids bit for bit,
// a currency as its code ("" for none), a lot's scope as comma-separated tools, and every row
// read back into the ledger's records (from any row type with i64, text, bytes and is_null by
// 0-based column: sqlite::Stmt, pg::Row), with the column lists the SELECTs name. A column the
// ledger gains is read here once, for both. Pure.
#pragma once

#include <algorithm>
#include <array>
#include <cstdint>
#include <expected>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "catalog/catalog.h"
#include "ledger/entry.h"
#include "ledger/event.h"
#include "ledger/ledger_state.h"
#include "ledger/text.h"
#include "store/codec.h"
#include "store/entry_row.h"

namespace tally::store {

// Ids and digests, bit for bit.
inline int64_t id64(uint64_t v) {
  return static_cast<int64_t>(v);
}

inline std::string currency_text(const std::array<char, 3>& c) {
  return c[0] == '\0' ? "" : std::string(c.data(), 3);
}

inline std::string scope_text(const std::vector<std::string>& scope) {
  std::string out;
  for (const std::string& tool : scope) out += cat(out.empty() ? "" : ",", tool);
  return out;
}

inline uint64_t u64(int64_t v) {
  return static_cast<uint64_t>(v);
}

inline std::array<char, 3> currency_of(const std::string& s) {
  std::array<char, 3> c{};
  if (s.size() == 3) std::copy(s.begin(), s.end(), c.begin());
  return c;
}

inline std::vector<std::string> scope_of(const std::string& s) {
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

// The columns lot_row, spend_row and finished_row read, in their order (both backends'
// tables have them).
#define TALLY_LOT_SELECT                                                                      \
  "id, account_idx, source, voided, plan_credit, amount_micro, remaining_micro, held_micro, " \
  "consumed_micro, expired_micro, voided_micro, restored_micro, granted_at_us, "              \
  "effective_at_us, expires_at_us, scope, currency, paid_minor, reference, reason, refs, "    \
  "notice_at_us, noticed"
#define TALLY_SPEND_SELECT \
  "id, account_idx, amount_micro, refunded_micro, tool, price_book_version, at_us, hold, " \
  "portions, member, project, counted_at_us, outcome"
#define TALLY_FINISHED_SELECT "id, state, expires_at_us, spend, ended_at_us"

// A lot from a row of TALLY_LOT_SELECT; nullopt if its source is unknown.
template <typename Row>
std::optional<Lot> lot_row(const Row& lots) {
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

template <typename Row>
std::expected<Spend, std::string> spend_row(const Row& spends) {
  auto portions = decode_portions(spends.bytes(8));
  if (!portions) return std::unexpected(cat("spend portions: ", portions.error()));
  const int64_t outcome = spends.i64(12);
  if (outcome < 0 || outcome > k_outcome_last) {
    return std::unexpected(cat("spend ", spends.i64(0), ": unknown outcome ", outcome));
  }
  return Spend{SpendId{u64(spends.i64(0))},
               static_cast<uint32_t>(spends.i64(1)),
               Credits::from_micro(spends.i64(2)),
               Credits::from_micro(spends.i64(3)),
               spends.text(4),
               spends.text(5),
               TimeUs{spends.i64(6)},
               HoldId{u64(spends.i64(7))},
               std::move(*portions),
               spends.text(9),
               spends.text(10),
               TimeUs{spends.i64(11)},
               static_cast<Outcome>(outcome)};
}

template <typename Row>
std::pair<HoldId, FinishedHold> finished_row(const Row& fin) {
  return {HoldId{u64(fin.i64(0))},
          FinishedHold{static_cast<HoldState>(fin.i64(1)), TimeUs{fin.i64(2)},
                       SpendId{u64(fin.i64(3))}, TimeUs{fin.i64(4)}}};
}

// A meta row (key, value) into the state; other keys (marks, the watermark) are left alone.
inline void meta_row(const std::string& key, int64_t v, LedgerState* s) {
  if (key == "now_us") s->now = TimeUs{v};
  if (key == "seq") s->seq = u64(v);
  if (key == "id_counter") s->id_counter = u64(v);
  if (key == "event_seq") s->event_seq = u64(v);
  if (key == "audit_seq") s->audit_seq = u64(v);
}

// A books row (book, key, amount_micro) into the state.
template <typename Row>
std::expected<void, std::string> book_row(const Row& books, LedgerState* s) {
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
  return {};
}

// The columns account_row reads, in its order; `idx` (the position) is column 17.
#define TALLY_ACCOUNT_SELECT                                                          \
  "id, balance_micro, held_micro, open_holds, signup_granted, "                       \
  "last_reward_day_us, plan, past_due, cancel_at_period_end, anchor_us, period, "     \
  "period_start_us, period_end_us, allocation_micro, allocated, pending_plan, "       \
  "pending_allocation_micro, idx, low_balance_micro, expiring_notice_us, low_armed, " \
  "depleted_armed, auto_topup, team"

// An account (without its lots) from a row of TALLY_ACCOUNT_SELECT.
template <typename Row>
std::expected<void, std::string> account_row(const Row& acc, Account& a) {
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
  return {};
}

#define TALLY_HOLD_SELECT                                                                   \
  "id, account_idx, amount_micro, tool, price_book_version, created_at_us, expires_at_us, " \
  "portions, params, plan, member, project"

template <typename Row>
std::expected<Hold, std::string> hold_row(const Row& h) {
  auto portions = decode_portions(h.bytes(7));
  if (!portions) return std::unexpected(cat("hold portions: ", portions.error()));
  auto params = decode_params(h.bytes(8));
  if (!params) return std::unexpected(cat("hold params: ", params.error()));
  return Hold{HoldId{u64(h.i64(0))},
              static_cast<uint32_t>(h.i64(1)),
              Credits::from_micro(h.i64(2)),
              h.text(3),
              h.text(4),
              TimeUs{h.i64(5)},
              TimeUs{h.i64(6)},
              std::move(*portions),
              std::move(*params),
              h.text(9),
              h.text(10),
              h.text(11)};
}

#define TALLY_PURCHASE_SELECT \
  "id, account_idx, payment_ref, at_us, voided, digest_hi, digest_lo, reply"

template <typename Row>
std::expected<PurchaseRecord, std::string> purchase_row(const Row& p) {
  auto reply = decode_result(p.bytes(7));
  if (!reply || !*reply || !std::holds_alternative<PurchaseReply>(**reply)) {
    return std::unexpected("a purchase reply is not readable");
  }
  PurchaseRecord r;
  r.id = u64(p.i64(0));
  r.account = static_cast<uint32_t>(p.i64(1));
  r.payment_ref = p.text(2);
  r.at = TimeUs{p.i64(3)};
  r.voided = p.i64(4) != 0;
  r.fingerprint = CommandDigest{u64(p.i64(5)), u64(p.i64(6))};
  r.reply = std::get<PurchaseReply>(**reply);
  return r;
}

#define TALLY_KEY_SELECT "key, at_us, digest_hi, digest_lo, result, response"

template <typename Row>
std::expected<IdempotencyRecord, std::string> key_row(const Row& k) {
  auto result = decode_result(k.bytes(4));
  if (!result) return std::unexpected(cat("an idempotency reply: ", result.error()));
  return IdempotencyRecord{k.text(0), TimeUs{k.i64(1)}, CommandDigest{u64(k.i64(2)), u64(k.i64(3))},
                           std::move(*result), std::string(k.bytes(5))};
}

// An entry from a row of TALLY_ENTRY_COLUMNS and `checksum` (column 18), checked: a row that
// is not what was written is an error naming its seq ("entry seq 2 is corrupt: ...").
template <typename Row>
std::expected<Entry, std::string> entry_row(const Row& q, ShardId shard) {
  Entry e;
  e.seq = u64(q.i64(0));
  e.at = TimeUs{q.i64(1)};
  auto kind = parse_entry_kind(q.text(2));
  auto counter = parse_book(q.text(3));
  auto source = parse_source(q.text(4));
  if (!kind || !counter || !source) {
    return std::unexpected(cat("entry seq ", e.seq, " is corrupt: not readable"));
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
  e.member = q.text(16);
  e.project = q.text(17);
  static_assert(k_entry_column_count == 18);
  // Money is never served from a row that is not what was written.
  if (q.i64(k_entry_column_count) != entry_checksum(shard, e)) {
    return std::unexpected(
        cat("entry seq ", e.seq, " is corrupt: its checksum does not match its fields"));
  }
  return e;
}

#define TALLY_AUDIT_SELECT \
  "seq, at_us, credential_kind, credential, member, idempotency_key, account, action"

template <typename Row>
std::expected<AuditLine, std::string> audit_row(const Row& q) {
  AuditLine l;
  l.seq = u64(q.i64(0));
  l.at = TimeUs{q.i64(1)};
  auto kind = parse_credential_kind(q.text(2));
  if (!kind) return std::unexpected(cat("audit line ", l.seq, " has no known credential kind"));
  l.by = Credential{*kind, q.text(3), q.text(4)};
  l.idempotency_key = q.text(5);
  l.account = q.text(6);
  l.action = q.text(7);
  return l;
}

#define TALLY_EVENT_SELECT                                                                     \
  "seq, at_us, type, account, amount_micro, threshold_micro, ref, when_us, detail, currency, " \
  "price_minor, region"

template <typename Row>
std::expected<Event, std::string> event_row(const Row& q) {
  Event e;
  e.seq = u64(q.i64(0));
  e.at = TimeUs{q.i64(1)};
  auto type = parse_event_type(q.text(2));
  if (!type) return std::unexpected(cat("event ", e.seq, " has no known type"));
  e.type = *type;
  e.account = q.text(3);
  e.amount = Credits::from_micro(q.i64(4));
  e.threshold = Credits::from_micro(q.i64(5));
  e.ref = u64(q.i64(6));
  e.when = TimeUs{q.i64(7)};
  e.detail = q.text(8);
  if (const std::string currency = q.text(9); !currency.empty()) {
    auto code = parse_currency(currency);
    if (!code) return std::unexpected(cat("event ", e.seq, ": bad currency"));
    e.price.currency = *code;
  }
  e.price.minor = q.i64(10);
  e.region = q.text(11);
  return e;
}

}  // namespace tally::store
