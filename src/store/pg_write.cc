// The statements that write one batch to PostgreSQL: the SQLite store's write_rows
// (sqlite_write.cc), statement for statement, with upserts where SQLite updates and then inserts
// (a pipeline cannot branch on a row count), plus the batch's journal row.
#include <algorithm>

#include "catalog/catalog.h"
#include "ledger/ledger.h"
#include "store/checksum.h"
#include "store/codec.h"
#include "store/entry_row.h"
#include "store/pg_schema.h"
#include "store/row_columns.h"

namespace tally::store::pg {
namespace {

// Appends a statement with its parameters.
Params& add(std::vector<Queued>* out, const char* sql) {
  out->push_back(Queued{sql, Params()});
  return out->back().params;
}

void optional_i64(Params& p, const std::optional<int64_t>& v) {
  if (v) {
    p.i64(*v);
  } else {
    p.null();
  }
}

// The ids as a text[] literal's elements (a bigint[] parameter).
template <typename Ids>
std::vector<std::string> id_texts(const Ids& ids) {
  std::vector<std::string> out;
  out.reserve(ids.size());
  for (const auto& id : ids) out.push_back(std::to_string(id64(id.value)));
  return out;
}

void queue_entries(ShardId shard, std::span<const Entry> entries, std::vector<Queued>* out) {
  for (const Entry& e : entries) {
    Params& p = add(out, "INSERT INTO entries (shard_id, " TALLY_ENTRY_COLUMNS
                         ", checksum) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, "
                         "$13, $14, $15, $16, $17, $18, $19, $20)");
    p.i64(shard);
    entry_columns(e, [&p](auto v) {
      if constexpr (std::is_same_v<decltype(v), std::string_view>) {
        p.text(v);
      } else {
        p.i64(v);
      }
    });
    p.i64(entry_checksum(shard, e));
  }
}

void queue_books_and_meta(ShardId shard, const StateDelta& d, std::vector<Queued>* out) {
  auto put = [&](std::string_view name, std::string_view key, BookMicro v) {
    add(out,
        "INSERT INTO books VALUES ($1, $2, $3, $4) ON CONFLICT (shard_id, book, key) "
        "DO UPDATE SET amount_micro = EXCLUDED.amount_micro")
        .i64(shard)
        .text(name)
        .text(key)
        .text(format_book(v));
  };
  for (size_t i = 0; i < k_source_count; ++i) {
    put("issuance", source_name(static_cast<Source>(i)), d.books.issuance[i]);
  }
  for (const auto& [tool, v] : d.books.consumption) put("consumption", tool, v);
  put("expired", "", d.books.expired);
  put("voided", "", d.books.voided);
  for (auto [key, value] : {std::pair<const char*, int64_t>{"now_us", d.now.us},
                            {"seq", id64(d.seq)},
                            {"id_counter", id64(d.id_counter)},
                            {"event_seq", id64(d.event_seq)},
                            {"audit_seq", id64(d.audit_seq)}}) {
    add(out,
        "INSERT INTO meta VALUES ($1, $2, $3) ON CONFLICT (shard_id, key) "
        "DO UPDATE SET value = EXCLUDED.value")
        .i64(shard)
        .text(key)
        .text(std::to_string(value));
  }
}

constexpr const char* k_account_upsert = R"SQL(INSERT INTO accounts VALUES ($1, $2, $3, $4, $5,
  $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, $21, $22, $23, $24,
  $25) ON CONFLICT (shard_id, idx) DO UPDATE SET balance_micro = EXCLUDED.balance_micro,
  held_micro = EXCLUDED.held_micro, open_holds = EXCLUDED.open_holds,
  signup_granted = EXCLUDED.signup_granted, last_reward_day_us = EXCLUDED.last_reward_day_us,
  plan = EXCLUDED.plan, past_due = EXCLUDED.past_due,
  cancel_at_period_end = EXCLUDED.cancel_at_period_end, anchor_us = EXCLUDED.anchor_us,
  period = EXCLUDED.period, period_start_us = EXCLUDED.period_start_us,
  period_end_us = EXCLUDED.period_end_us, allocation_micro = EXCLUDED.allocation_micro,
  allocated = EXCLUDED.allocated, pending_plan = EXCLUDED.pending_plan,
  pending_allocation_micro = EXCLUDED.pending_allocation_micro,
  low_balance_micro = EXCLUDED.low_balance_micro,
  expiring_notice_us = EXCLUDED.expiring_notice_us, low_armed = EXCLUDED.low_armed,
  depleted_armed = EXCLUDED.depleted_armed, auto_topup = EXCLUDED.auto_topup,
  team = EXCLUDED.team)SQL";

// A lot that appears or changes; a lot lent back by the store (Ledger::lend_spend) that stays
// in memory leaves lots_past (a lot in `lots` is never in lots_past: one statement does both).
constexpr const char* k_lot_upsert = R"SQL(WITH up AS (INSERT INTO lots VALUES ($1, $2, $3, $4,
  $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, $21, $22, $23, $24)
  ON CONFLICT (shard_id, id) DO UPDATE SET voided = EXCLUDED.voided,
  plan_credit = EXCLUDED.plan_credit, amount_micro = EXCLUDED.amount_micro,
  remaining_micro = EXCLUDED.remaining_micro, held_micro = EXCLUDED.held_micro,
  consumed_micro = EXCLUDED.consumed_micro, expired_micro = EXCLUDED.expired_micro,
  voided_micro = EXCLUDED.voided_micro, restored_micro = EXCLUDED.restored_micro,
  expires_at_us = EXCLUDED.expires_at_us, paid_minor = EXCLUDED.paid_minor,
  refs = EXCLUDED.refs, notice_at_us = EXCLUDED.notice_at_us, noticed = EXCLUDED.noticed)
  DELETE FROM lots_past WHERE shard_id = $1 AND id = $2)SQL";

void queue_account(ShardId shard, uint32_t index, const Account& a, std::vector<Queued>* out) {
  Params& p = add(out, k_account_upsert);
  p.i64(shard).i64(index).text(a.id).i64(a.balance.micro).i64(a.held.micro).i64(a.open_holds);
  p.i64(a.signup_granted).i64(a.last_reward_day.us);
  if (a.subscription) {
    const Subscription& s = *a.subscription;
    p.text(s.plan).i64(s.past_due).i64(s.cancel_at_period_end).i64(s.anchor.us).i64(s.period);
    p.i64(s.period_start.us).i64(s.period_end.us).i64(s.allocation.micro).i64(s.allocated);
    p.text(s.pending_plan);
    optional_i64(p,
                 s.pending_allocation ? std::optional(s.pending_allocation->micro) : std::nullopt);
  } else {
    for (int i = 0; i < 11; ++i) p.null();
  }
  optional_i64(p, a.alerts.low_balance ? std::optional(a.alerts.low_balance->micro) : std::nullopt);
  optional_i64(p, a.alerts.expiring_notice_us);
  p.i64(a.low_armed).i64(a.depleted_armed);
  if (a.auto_topup) {
    p.bytes(encode_auto_topup(*a.auto_topup));
  } else {
    p.null();
  }
  if (a.team) {
    p.bytes(encode_team(*a.team));
  } else {
    p.null();
  }
  for (const Lot& l : a.lots) {
    Params& q = add(out, k_lot_upsert);
    q.i64(shard).i64(id64(l.id.value)).i64(index).text(source_name(l.source)).i64(l.voided);
    q.i64(l.plan_credit).i64(l.amount.micro).i64(l.remaining.micro).i64(l.held.micro);
    q.i64(l.consumed.micro).i64(l.expired.micro).i64(l.voided_amount.micro);
    q.i64(l.restored.micro).i64(l.granted_at.us).i64(l.effective_at.us).i64(l.expires_at.us);
    q.text(scope_text(l.scope)).text(currency_text(l.cost_basis.currency));
    q.i64(l.cost_basis.paid_minor).text(l.reference).text(l.reason).i64(l.refs);
    q.i64(l.notice_at.us).i64(l.noticed);
  }
}

// Sets meta `key` to the value the query's first row gives ($1 shard, $2 ids), unless it holds
// a larger one; nothing if the query gives no row.
void queue_raise_mark(ShardId shard, const char* sql, std::vector<std::string> ids,
                      std::vector<Queued>* out) {
  add(out, sql).i64(shard).text_array(ids);
}

void queue_records(ShardId shard, const StateDelta& d, std::vector<Queued>* out) {
  for (HoldId id : d.holds_gone) {
    add(out, "DELETE FROM holds WHERE shard_id = $1 AND id = $2").i64(shard).i64(id64(id.value));
  }
  for (const Hold& h : d.holds_put) {
    add(out,
        "INSERT INTO holds VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13) "
        "ON CONFLICT (shard_id, id) DO UPDATE SET account_idx = EXCLUDED.account_idx, "
        "amount_micro = EXCLUDED.amount_micro, tool = EXCLUDED.tool, "
        "price_book_version = EXCLUDED.price_book_version, "
        "created_at_us = EXCLUDED.created_at_us, expires_at_us = EXCLUDED.expires_at_us, "
        "portions = EXCLUDED.portions, params = EXCLUDED.params, plan = EXCLUDED.plan, "
        "member = EXCLUDED.member, project = EXCLUDED.project")
        .i64(shard)
        .i64(id64(h.id.value))
        .i64(h.account)
        .i64(h.amount.micro)
        .text(h.tool)
        .text(h.price_book_version)
        .i64(h.created_at.us)
        .i64(h.expires_at.us)
        .bytes(encode_portions(h.portions))
        .bytes(h.params.empty() ? std::string() : encode_params(h.params))
        .text(h.plan)
        .text(h.member)
        .text(h.project);
  }
  for (const auto& [id, f] : d.finished_put) {
    add(out,
        "INSERT INTO finished_holds (shard_id, id, state, expires_at_us, spend, ended_at_us) "
        "VALUES ($1, $2, $3, $4, $5, $6)")
        .i64(shard)
        .i64(id64(id.value))
        .i64(static_cast<int64_t>(f.state))
        .i64(f.expires_at.us)
        .i64(id64(f.spend.value))
        .i64(f.ended_at.us);
  }
  for (const Spend& s : d.spends_put) {
    add(out,
        "INSERT INTO spends VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14) "
        "ON CONFLICT (shard_id, id) DO UPDATE SET account_idx = EXCLUDED.account_idx, "
        "amount_micro = EXCLUDED.amount_micro, refunded_micro = EXCLUDED.refunded_micro, "
        "tool = EXCLUDED.tool, price_book_version = EXCLUDED.price_book_version, "
        "at_us = EXCLUDED.at_us, hold = EXCLUDED.hold, portions = EXCLUDED.portions, "
        "member = EXCLUDED.member, project = EXCLUDED.project, "
        "counted_at_us = EXCLUDED.counted_at_us, outcome = EXCLUDED.outcome")
        .i64(shard)
        .i64(id64(s.id.value))
        .i64(s.account)
        .i64(s.amount.micro)
        .i64(s.refunded.micro)
        .text(s.tool)
        .text(s.price_book_version)
        .i64(s.at.us)
        .i64(id64(s.hold.value))
        .bytes(encode_portions(s.portions))
        .text(s.member)
        .text(s.project)
        .i64(s.counted_at.us)
        .i64(static_cast<int64_t>(s.outcome));
  }
  // The cold marks (sqlite_write.cc's write_records explains them): the end of the newest
  // finished hold let go that has a row (this batch's rows are written above), and the newest
  // spend let go. Neither goes back.
  if (!d.finished_gone.empty()) {
    queue_raise_mark(
        shard,
        "INSERT INTO meta SELECT $1::bigint, 'finished_cold_until_us', f.ended_at_us::text "
        "FROM finished_holds f WHERE f.shard_id = $1 AND f.id = ANY($2::bigint[]) "
        "ORDER BY f.ord DESC LIMIT 1 ON CONFLICT (shard_id, key) DO UPDATE "
        "SET value = EXCLUDED.value WHERE meta.value::bigint < EXCLUDED.value::bigint",
        id_texts(d.finished_gone), out);
  }
  if (!d.spends_gone.empty()) {
    const SpendId newest = *std::max_element(d.spends_gone.begin(), d.spends_gone.end());
    add(out,
        "INSERT INTO meta VALUES ($1, 'spends_cold_through', $2) ON CONFLICT (shard_id, key) "
        "DO UPDATE SET value = EXCLUDED.value WHERE meta.value::bigint < EXCLUDED.value::bigint")
        .i64(shard)
        .text(std::to_string(id64(newest.value)));
  }
}

void queue_purchases_and_keys(ShardId shard, const StateDelta& d, std::vector<Queued>* out) {
  for (uint64_t id : d.purchases_gone) {
    add(out, "DELETE FROM purchases WHERE shard_id = $1 AND id = $2").i64(shard).i64(id64(id));
  }
  for (const PurchaseRecord& p : d.purchases_put) {
    const PurchaseReply& r = p.reply;
    add(out,
        "INSERT INTO purchases VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, "
        "$14) ON CONFLICT (shard_id, id) DO UPDATE SET voided = EXCLUDED.voided, "
        "reply = EXCLUDED.reply")
        .i64(shard)
        .i64(id64(p.id))
        .i64(p.account)
        .text(r.pack)
        .text(p.payment_ref)
        .text(currency_text(r.price.currency))
        .i64(r.price.minor)
        .i64(id64(r.lot.value))
        .i64(id64(r.bonus_lot.value))
        .i64(p.at.us)
        .i64(p.voided)
        .i64(id64(p.fingerprint.hi))
        .i64(id64(p.fingerprint.lo))
        .bytes(encode_result(Result{p.reply}));
  }
  // Keys that leave the ledger's memory stay; one mark says which rows are cold (the time of
  // the newest key let go that has a row; sqlite_write.cc explains it).
  if (!d.idempotency_gone.empty()) {
    queue_raise_mark(
        shard,
        "INSERT INTO meta SELECT $1::bigint, 'idempotency_cold_until_us', i.at_us::text "
        "FROM idempotency i WHERE i.shard_id = $1 AND i.key = ANY($2::text[]) "
        "ORDER BY i.ord DESC LIMIT 1 ON CONFLICT (shard_id, key) DO UPDATE "
        "SET value = EXCLUDED.value",
        d.idempotency_gone, out);
  }
  // A key used again after it went cold replaces its row and comes last in run order.
  for (const IdempotencyRecord& r : d.idempotency_put) {
    add(out,
        "INSERT INTO idempotency VALUES ($1, $2, $3, $4, $5, $6, $7) "
        "ON CONFLICT (shard_id, key) DO UPDATE SET at_us = EXCLUDED.at_us, "
        "digest_hi = EXCLUDED.digest_hi, digest_lo = EXCLUDED.digest_lo, "
        "result = EXCLUDED.result, response = EXCLUDED.response, ord = EXCLUDED.ord")
        .i64(shard)
        .text(r.key)
        .i64(r.at.us)
        .i64(id64(r.fingerprint.hi))
        .i64(id64(r.fingerprint.lo))
        .bytes(encode_result(r.result))
        .bytes(r.response);
  }
}

void queue_events(ShardId shard, std::span<const Event> events, std::vector<Queued>* out) {
  for (const Event& e : events) {
    add(out, "INSERT INTO events VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)")
        .i64(shard)
        .i64(id64(e.seq))
        .i64(e.at.us)
        .text(event_type_name(e.type))
        .text(e.account)
        .i64(e.amount.micro)
        .i64(e.threshold.micro)
        .i64(id64(e.ref))
        .i64(e.when.us)
        .text(e.detail)
        .text(e.price.currency[0] == 0 ? std::string_view("") : currency_code(e.price.currency))
        .i64(e.price.minor)
        .text(e.region);
  }
}

void queue_audit(ShardId shard, std::span<const AuditLine> lines, std::vector<Queued>* out) {
  for (const AuditLine& l : lines) {
    add(out, "INSERT INTO audit VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)")
        .i64(shard)
        .i64(id64(l.seq))
        .i64(l.at.us)
        .text(credential_kind_name(l.by.kind))
        .text(l.by.id)
        .text(l.by.member)
        .text(l.idempotency_key)
        .text(l.account)
        .text(l.action);
  }
}

}  // namespace

void queue_fence(ShardId shard, const std::string& node, int64_t epoch, std::vector<Queued>* out) {
  add(out, "SELECT tally_fence($1, $2, $3)").i64(shard).text(node).i64(epoch);
}

void queue_batch(ShardId shard, uint64_t record, int64_t lease_epoch, std::string_view payload,
                 std::span<const Entry> entries, const StateDelta& delta,
                 std::vector<Queued>* out) {
  add(out,
      "INSERT INTO journal (shard_id, record, last_seq, payload, checksum, lease_epoch) "
      "VALUES ($1, $2, $3, $4, $5, $6)")
      .i64(shard)
      .i64(id64(record))
      .i64(id64(delta.seq))
      .bytes(payload)
      .i64(crc32c(0, payload))
      .i64(lease_epoch);
  queue_entries(shard, entries, out);
  queue_books_and_meta(shard, delta, out);
  for (size_t i = 0; i < delta.accounts.size(); ++i) {
    queue_account(shard, delta.account_indexes[i], delta.accounts[i], out);
  }
  // Lots that leave memory move to lots_past, where a refund of a stored spend finds them.
  for (LotId id : delta.lots_gone) {
    add(out, "DELETE FROM lots_past WHERE shard_id = $1 AND id = $2")
        .i64(shard)
        .i64(id64(id.value));
    add(out,
        "WITH moved AS (DELETE FROM lots WHERE shard_id = $1 AND id = $2 RETURNING *) "
        "INSERT INTO lots_past SELECT * FROM moved")
        .i64(shard)
        .i64(id64(id.value));
  }
  queue_records(shard, delta, out);
  queue_purchases_and_keys(shard, delta, out);
  queue_events(shard, delta.events, out);
  queue_audit(shard, delta.audit, out);
}

void queue_forget(ShardId shard, std::optional<TimeUs> keys_horizon,
                  std::optional<TimeUs> events_horizon, std::vector<Queued>* out) {
  if (keys_horizon) {
    add(out,
        "DELETE FROM idempotency WHERE shard_id = $1 AND ord IN (SELECT ord FROM idempotency "
        "WHERE shard_id = $1 ORDER BY ord LIMIT $2) AND at_us <= $3")
        .i64(shard)
        .i64(k_forget_max)
        .i64(keys_horizon->us);
  }
  if (events_horizon) {
    add(out,
        "DELETE FROM events WHERE shard_id = $1 AND seq IN (SELECT seq FROM events "
        "WHERE shard_id = $1 ORDER BY seq LIMIT $2) AND at_us <= $3")
        .i64(shard)
        .i64(k_forget_max)
        .i64(events_horizon->us);
  }
}

}  // namespace tally::store::pg
