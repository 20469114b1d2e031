#include "store/codec.h"

#include <algorithm>
#include <cstring>

#include "ledger/check.h"
#include "ledger/text.h"

namespace tally::store {
namespace {

constexpr size_t k_string_max = 1 << 20;
constexpr size_t k_count_max = 1 << 16;

class Writer {
 public:
  std::string out;
  uint8_t version = k_batch_version;  // of a batch record; fields() added later ask it
  void raw(const void* p, size_t n) { out.append(static_cast<const char*>(p), n); }
  void operator()(uint8_t v) { raw(&v, 1); }
  void operator()(bool v) { (*this)(static_cast<uint8_t>(v)); }
  void operator()(int64_t v) { raw(&v, 8); }
  void operator()(uint64_t v) { raw(&v, 8); }
  void operator()(uint32_t v) { raw(&v, 4); }
  void operator()(Credits v) { (*this)(v.micro); }
  void operator()(TimeUs v) { (*this)(v.us); }
  template <typename Tag>
  void operator()(Id<Tag> v) {
    (*this)(v.value);
  }
  void operator()(const std::string& v) {
    (*this)(static_cast<uint32_t>(v.size()));
    raw(v.data(), v.size());
  }
  void operator()(const Money& m) {
    raw(m.currency.data(), 3);
    (*this)(m.minor);
  }
  void operator()(__int128 v) { raw(&v, 16); }
  void operator()(const std::array<char, 3>& v) { raw(v.data(), 3); }
  template <typename E>
  void enumeration(E v, uint8_t /*last*/) {
    (*this)(static_cast<uint8_t>(v));
  }
  template <typename T>
  void optional(const std::optional<T>& v) {
    (*this)(v.has_value());
    if (!v) return;
    if constexpr (std::is_arithmetic_v<T> || std::is_same_v<T, Credits>) {
      (*this)(*v);
    } else {
      fields(*this, const_cast<T&>(*v));
    }
  }
  template <typename T>
  void list(const T& items) {
    (*this)(static_cast<uint32_t>(items.size()));
    for (const auto& item : items) fields(*this, const_cast<std::decay_t<decltype(item)>&>(item));
  }
  template <typename... T>
  void operator()(T&... v) requires(sizeof...(T) > 1) {
    ((*this)(v), ...);
  }
};

class Reader {
 public:
  explicit Reader(std::string_view in, size_t count_max = k_count_max)
      : in_(in), count_max_(count_max) {}
  bool ok = true;
  uint8_t version = k_batch_version;  // of the batch record being read (decode_batch sets it)
  bool done() const { return ok && pos_ == in_.size(); }
  void raw(void* p, size_t n) {
    if (!ok || in_.size() - pos_ < n) {
      ok = false;
      return;
    }
    std::memcpy(p, in_.data() + pos_, n);
    pos_ += n;
  }
  void operator()(uint8_t& v) { raw(&v, 1); }
  void operator()(bool& v) {
    uint8_t b = 0;
    raw(&b, 1);
    if (b > 1) ok = false;
    v = b == 1;
  }
  void operator()(int64_t& v) { raw(&v, 8); }
  void operator()(uint64_t& v) { raw(&v, 8); }
  void operator()(uint32_t& v) { raw(&v, 4); }
  void operator()(Credits& v) { (*this)(v.micro); }
  void operator()(TimeUs& v) { (*this)(v.us); }
  template <typename Tag>
  void operator()(Id<Tag>& v) {
    (*this)(v.value);
  }
  void operator()(std::string& v) {
    uint32_t n = 0;
    (*this)(n);
    if (!ok || n > k_string_max || in_.size() - pos_ < n) {
      ok = false;
      return;
    }
    v.assign(in_.data() + pos_, n);
    pos_ += n;
  }
  void operator()(Money& m) {
    raw(m.currency.data(), 3);
    (*this)(m.minor);
  }
  void operator()(__int128& v) { raw(&v, 16); }
  void operator()(std::array<char, 3>& v) { raw(v.data(), 3); }
  // An enum stored as one byte, at most `last`.
  template <typename E>
  void enumeration(E& v, uint8_t last) {
    uint8_t b = 0;
    (*this)(b);
    if (b > last) ok = false;
    v = static_cast<E>(b);
  }
  template <typename T>
  void optional(std::optional<T>& v) {
    bool has = false;
    (*this)(has);
    v.reset();
    if (!has || !ok) return;
    if constexpr (std::is_arithmetic_v<T> || std::is_same_v<T, Credits>) {
      (*this)(v.emplace());
    } else {
      fields(*this, v.emplace());
    }
  }
  template <typename T>
  void list(T& items) {
    uint32_t n = 0;
    (*this)(n);
    if (!ok || n > count_max_) {
      ok = false;
      return;
    }
    items.clear();
    for (uint32_t i = 0; i < n && ok; ++i) fields(*this, items.emplace_back());
  }
  template <typename... T>
  void operator()(T&... v) requires(sizeof...(T) > 1) {
    ((*this)(v), ...);
  }

 private:
  std::string_view in_;
  size_t pos_ = 0;
  size_t count_max_;
};

// Every field of every reply and stored record, once, for both directions.
// A scalar (an id, an amount, a time, a string) in a list or an optional.
template <typename A, typename T>
void fields(A& a, T& v)
  requires requires { a(v); }
{
  a(v);
}
template <typename A>
void fields(A& a, Portion& p) {
  a(p.lot, p.amount, p.expires_at, p.refunded);
}
template <typename A>
void fields(A& a, Restored& r) {
  a(r.to_lots, r.to_refund_lots, r.voided);
  a.list(r.refund_lots);
}
template <typename A>
void fields(A& a, OpenAccountReply& r) {
  a(r.account, r.plan, r.signup_lot, r.allocation_lot);
}
template <typename A>
void fields(A& a, GrantReply& r) {
  a(r.lot, r.amount, r.effective_at, r.expires_at);
}
template <typename A>
void fields(A& a, HoldReply& r) {
  a(r.hold, r.amount, r.expires_at);
  a.list(r.portions);
}
template <typename A>
void fields(A& a, CaptureReply& r) {
  a(r.hold, r.spend, r.captured, r.released);
  a.list(r.portions);
  fields(a, r.restored);
}
template <typename A>
void fields(A& a, ReleaseReply& r) {
  a(r.hold, r.released);
  fields(a, r.restored);
}
template <typename A>
void fields(A& a, SpendReply& r) {
  a(r.spend, r.amount);
  a.list(r.portions);
}
template <typename A>
void fields(A& a, RefundReply& r) {
  a(r.spend, r.refunded, r.refunded_total);
  fields(a, r.restored);
}
template <typename A>
void fields(A& a, VoidReply& r) {
  a(r.lot, r.voided, r.consumed, r.held, r.expired);
}
template <typename A>
void fields(A& a, AdvanceReply& r) {
  a(r.now, r.lots_expired, r.holds_expired, r.renewals);
}
template <typename A>
void fields(A& a, SubscriptionReply& r) {
  a(r.account, r.plan, r.pending_plan, r.state, r.cancel_at_period_end, r.period_start,
    r.period_end, r.allocation, r.allocation_lot, r.rollover_lot, r.signup_lot);
}
template <typename A>
void fields(A& a, RewardReply& r) {
  a(r.lot, r.amount, r.expires_at, r.season);
}
template <typename A>
void fields(A& a, PurchaseReply& r) {
  a(r.purchase, r.pack, r.price, r.lot, r.credits, r.bonus_lot, r.bonus, r.expires_at);
}
template <typename A>
void fields(A&, NoChangeReply&) {}
template <typename A>
void fields(A& a, Alerts& x) {
  a.optional(x.low_balance);
  a.optional(x.expiring_notice_us);
}
template <typename A>
void fields(A& a, AutoTopup& t) {
  a(t.settings.below, t.settings.pack, t.settings.currency, t.settings.region);
  a(t.armed, t.pending, t.pending_until, t.failures, t.retry_at);
}
template <typename A>
void fields(A& a, AutoTopupReply& r) {
  a(r.account);
  a.optional(r.auto_topup);
}
template <typename A>
void fields(A& a, AlertsReply& r) {
  a(r.account);
  fields(a, r.alerts);
}
template <typename A>
void fields(A& a, JobParam& p) {
  a(p.name, p.value);
}
template <typename A>
void fields(A& a, Member& m) {
  a(m.user);
  a.enumeration(m.role, k_role_last);
  a(m.added_at);
}
template <typename A>
void fields(A& a, Budget& b) {
  a(b.spec.id, b.spec.member, b.spec.project, b.spec.limit);
  a.enumeration(b.spec.period, k_budget_period_last);
  a(b.spec.anchor);
  a.enumeration(b.spec.mode, k_budget_mode_last);
  a(b.created_at, b.period_index, b.period_start, b.period_end, b.counting_from, b.first_debit,
    b.used, b.crossed);
  if (a.version >= 6) a(b.spec.alert_at, b.reached);
}
template <typename A>
void fields(A& a, Team& t) {
  a.list(t.members);
  a.list(t.budgets);
}
template <typename A>
void fields(A& a, MemberReply& r) {
  a(r.account);
  fields(a, r.member);
}
template <typename A>
void fields(A& a, BudgetReply& r) {
  a(r.account);
  fields(a, r.budget);
}
template <typename A>
void fields(A& a, OutcomeReply& r) {
  a(r.spend);
  a.enumeration(r.outcome, k_outcome_last);
  a(r.changed);
}
template <typename A>
void fields(A& a, VoidPurchaseReply& r) {
  a(r.purchase, r.voided, r.consumed, r.held, r.expired);
  a.list(r.lots);
}

// A stored result: encode_result's bytes, nested.
void result_field(Writer& w, Result& r) { w(encode_result(r)); }
void result_field(Reader& r, Result& out) {
  std::string bytes;
  r(bytes);
  if (!r.ok) return;
  auto decoded = decode_result(bytes);
  if (!decoded) {
    r.ok = false;
    return;
  }
  out = std::move(*decoded);
}

// The records of a journal record (encode_batch): every field of each, in declaration order.
template <typename A>
void fields(A& a, Entry& e) {
  a(e.seq, e.at);
  a.enumeration(e.kind, static_cast<uint8_t>(EntryKind::void_lot));
  a.enumeration(e.counter, static_cast<uint8_t>(Book::voided));
  a.enumeration(e.source, static_cast<uint8_t>(Source::refund));
  a(e.account, e.lot, e.amount, e.held, e.balance_after, e.hold, e.spend, e.tool, e.reason,
    e.effective_at, e.expires_at);
  if (a.version >= 5) a(e.member, e.project);
}
template <typename A>
void fields(A& a, Lot& l) {
  a(l.id);
  a.enumeration(l.source, static_cast<uint8_t>(Source::refund));
  a(l.voided, l.plan_credit, l.amount, l.remaining, l.held, l.consumed, l.expired,
    l.voided_amount, l.restored, l.granted_at, l.effective_at, l.expires_at);
  a.list(l.scope);
  a(l.cost_basis.currency, l.cost_basis.paid_minor, l.reference, l.reason, l.refs);
  if (a.version >= 2) a(l.notice_at, l.noticed);
}
template <typename A>
void fields(A& a, Subscription& s) {
  a(s.plan, s.past_due, s.cancel_at_period_end, s.anchor, s.period, s.period_start,
    s.period_end, s.allocation, s.allocated, s.pending_plan);
  a.optional(s.pending_allocation);
}
template <typename A>
void fields(A& a, Account& x) {
  a(x.id);
  a.list(x.lots);
  a(x.balance, x.held, x.lots_with_credits, x.open_holds);
  a.optional(x.subscription);
  a(x.signup_granted, x.last_reward_day);
  if (a.version >= 2) {
    fields(a, x.alerts);
    a(x.low_armed, x.depleted_armed);
  }
  if (a.version >= 3) a.optional(x.auto_topup);
  if (a.version >= 4) a.optional(x.team);
}
template <typename A>
void fields(A& a, Event& e) {
  a(e.seq, e.at);
  a.enumeration(e.type, k_event_type_count - 1);
  a(e.account, e.amount, e.threshold, e.ref, e.when, e.detail);
  if (a.version >= 3) a(e.price, e.region);
}
template <typename A>
void fields(A& a, Hold& h) {
  a(h.id, h.account, h.amount, h.tool, h.price_book_version, h.created_at, h.expires_at);
  a.list(h.portions);
  a.list(h.params);
  a(h.plan);
  if (a.version >= 4) a(h.member, h.project);
}
template <typename A>
void fields(A& a, std::pair<HoldId, FinishedHold>& f) {
  a(f.first);
  a.enumeration(f.second.state, static_cast<uint8_t>(HoldState::expired));
  a(f.second.expires_at, f.second.spend, f.second.ended_at);
}
template <typename A>
void fields(A& a, Spend& s) {
  a(s.id, s.account, s.amount, s.refunded, s.tool, s.price_book_version, s.at, s.hold);
  a.list(s.portions);
  if (a.version >= 4) a(s.member, s.project, s.counted_at);
  if (a.version >= 8) a.enumeration(s.outcome, k_outcome_last);
}
template <typename A>
void fields(A& a, CommandDigest& d) {
  a(d.hi, d.lo);
}
template <typename A>
void fields(A& a, PurchaseRecord& p) {
  a(p.id, p.account, p.payment_ref, p.at, p.voided);
  fields(a, p.reply);
  fields(a, p.fingerprint);
}
template <typename A>
void fields(A& a, IdempotencyRecord& r) {
  a(r.key, r.at);
  fields(a, r.fingerprint);
  result_field(a, r.result);
  a(r.response);
}
template <typename A>
void fields(A& a, AuditLine& l) {
  a(l.seq, l.at);
  a.enumeration(l.by.kind, k_credential_kind_last);
  a(l.by.id, l.by.member, l.idempotency_key, l.account, l.action);
}
template <typename A>
void fields(A& a, std::pair<std::string, BookMicro>& book) {
  a(book.first, book.second);
}
// The system books; consumption as a list in tool order (a hash map's order is not stable).
void books_field(Writer& w, const SystemBooks& b) {
  for (BookMicro v : b.issuance) w(v);
  w(b.expired);
  w(b.voided);
  std::vector<std::pair<std::string, BookMicro>> consumption(b.consumption.begin(),
                                                             b.consumption.end());
  std::sort(consumption.begin(), consumption.end());
  w.list(consumption);
}
void books_field(Reader& r, SystemBooks& b) {
  for (BookMicro& v : b.issuance) r(v);
  r(b.expired);
  r(b.voided);
  std::vector<std::pair<std::string, BookMicro>> consumption;
  r.list(consumption);
  b.consumption.clear();
  for (auto& [tool, v] : consumption) {
    if (!b.consumption.emplace(std::move(tool), v).second) r.ok = false;  // a tool twice
  }
}
template <typename A>
void fields(A& a, StateDelta& d) {
  a(d.now, d.seq, d.id_counter);
  if (a.version >= 2) {
    a(d.event_seq);
    a.list(d.events);
  }
  books_field(a, d.books);
  a.list(d.accounts);
  a.list(d.account_indexes);
  a.list(d.lots_gone);
  a.list(d.holds_put);
  a.list(d.holds_gone);
  a.list(d.finished_put);
  a.list(d.finished_gone);
  a.list(d.spends_put);
  a.list(d.spends_gone);
  a.list(d.purchases_put);
  a.list(d.purchases_gone);
  a.list(d.idempotency_put);
  a.list(d.idempotency_gone);
  if (a.version >= 7) {
    a(d.audit_seq);
    a.list(d.audit);
  }
}

// Reads the reply of variant index `tag`, expanding over the variant's alternatives.
template <size_t I = 0>
bool read_reply(Reader& r, size_t tag, Reply* out) {
  if constexpr (I == std::variant_size_v<Reply>) {
    return false;
  } else {
    if (tag != I) return read_reply<I + 1>(r, tag, out);
    fields(r, out->template emplace<I>());  // filled in place
    return true;
  }
}

}  // namespace

std::string encode_result(const Result& result) {
  Writer w;
  w(k_codec_version);
  if (!result) {
    w(uint8_t{0});
    LedgerError e = result.error();
    w(static_cast<uint8_t>(e.code));
    w(e.detail);
    w(e.shortfall);
    // Only budget_exceeded has more (refusals stored before it have nothing after shortfall).
    if (e.code == ErrorCode::budget_exceeded) {
      w(e.budget.budget, e.budget.limit, e.budget.used, e.budget.left);
    }
    return std::move(w.out);
  }
  w(static_cast<uint8_t>(result->index() + 1));
  std::visit(
      [&w](const auto& reply) { fields(w, const_cast<std::decay_t<decltype(reply)>&>(reply)); },
      *result);
  return std::move(w.out);
}


namespace {

// The batch version whose fields() a column or result of codec version `v` holds; 0: unknown.
uint8_t fields_version(uint8_t v) {
  if (v == 1) return 4;
  return v == k_codec_version ? k_batch_version : 0;
}

// A list of fields() items, versioned.
template <typename List>
std::string encode_list(const List& items) {
  Writer w;
  w(k_codec_version);
  w.list(items);
  return std::move(w.out);
}
// A column's bytes: the codec version, then what `read(reader, out)` reads, and nothing after.
template <typename T, typename Read>
std::expected<T, std::string> decode_column(std::string_view bytes, Read read) {
  Reader r(bytes);
  uint8_t version = 0;
  r(version);
  r.version = fields_version(version);
  if (r.ok && r.version == 0) return std::unexpected(cat("unknown codec version ", version));
  T out;
  read(r, out);
  if (!r.done()) return std::unexpected("truncated or trailing bytes");
  return out;
}
template <typename List>
std::expected<List, std::string> decode_list(std::string_view bytes) {
  return decode_column<List>(bytes, [](Reader& r, List& out) { r.list(out); });
}

}  // namespace

std::string encode_portions(const Portions& p) { return encode_list(p); }

std::string encode_auto_topup(const AutoTopup& t) {
  Writer w;
  w(k_codec_version);
  fields(w, const_cast<AutoTopup&>(t));
  return std::move(w.out);
}

std::expected<AutoTopup, std::string> decode_auto_topup(std::string_view bytes) {
  return decode_column<AutoTopup>(bytes, [](Reader& r, AutoTopup& out) { fields(r, out); });
}

std::string encode_team(const Team& t) {
  Writer w;
  w(k_codec_version);
  fields(w, const_cast<Team&>(t));
  return std::move(w.out);
}

std::expected<Team, std::string> decode_team(std::string_view bytes) {
  return decode_column<Team>(bytes, [](Reader& r, Team& out) { fields(r, out); });
}

std::expected<Portions, std::string> decode_portions(std::string_view bytes) {
  return decode_list<Portions>(bytes);
}

std::string encode_params(const JobParams& p) { return encode_list(p); }

std::expected<JobParams, std::string> decode_params(std::string_view bytes) {
  if (bytes.empty()) return JobParams{};  // a hold stored before holds kept their params
  return decode_list<JobParams>(bytes);
}

std::expected<Result, std::string> decode_result(std::string_view bytes) {
  Reader r(bytes);
  uint8_t version = 0;
  uint8_t tag = 0;
  r(version);
  r(tag);
  if (!r.ok) return std::unexpected("truncated");
  r.version = fields_version(version);
  if (r.version == 0) return std::unexpected(cat("unknown codec version ", version));
  Result out;
  if (tag == 0) {
    uint8_t code = 0;
    LedgerError e;
    r(code);
    r(e.detail);
    r(e.shortfall);
    if (code > k_error_code_last) {
      return std::unexpected(cat("unknown error code ", code));
    }
    e.code = static_cast<ErrorCode>(code);
    if (e.code == ErrorCode::budget_exceeded) {
      r(e.budget.budget, e.budget.limit, e.budget.used, e.budget.left);
    }
    out = std::unexpected(std::move(e));
  } else {
    Reply reply;
    if (!read_reply(r, tag - 1u, &reply)) return std::unexpected(cat("unknown reply tag ", tag));
    out = std::move(reply);
  }
  if (!r.ok) return std::unexpected("truncated");
  if (!r.done()) return std::unexpected("trailing bytes");
  return out;
}

void encode_batch(std::span<const Entry> entries, const StateDelta& delta, std::string* out,
                  uint8_t version) {
  TALLY_CHECK(version >= 1 && version <= k_batch_version);
  Writer w;
  w.version = version;
  w.out = std::move(*out);
  w.out.clear();
  w(version);
  w.list(entries);
  fields(w, const_cast<StateDelta&>(delta));
  *out = std::move(w.out);
}

std::expected<BatchRecord, std::string> decode_batch(std::string_view bytes) {
  Reader r(bytes, k_batch_count_max);
  uint8_t version = 0;
  r(version);
  if (r.ok && (version == 0 || version > k_batch_version)) {
    return std::unexpected(cat("unknown batch record version ", version, " (this Tally writes ",
                               k_batch_version, ")"));
  }
  r.version = version;  // 1: before events and alerts; 2: before auto top-up; 3: before teams;
                        // 4: before entries named member and project; 5: before budget alerts;
                        // 6: before audit lines
  BatchRecord out;
  r.list(out.entries);
  fields(r, out.delta);
  if (!r.ok) return std::unexpected("truncated or malformed batch record");
  if (!r.done()) return std::unexpected("trailing bytes after the batch record");
  return out;
}

}  // namespace tally::store
