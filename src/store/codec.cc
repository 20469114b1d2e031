#include "store/codec.h"

#include <cstring>

#include "ledger/text.h"

namespace tally::store {
namespace {

constexpr size_t k_string_max = 1 << 20;
constexpr size_t k_count_max = 1 << 16;

class Writer {
 public:
  std::string out;
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
  explicit Reader(std::string_view in) : in_(in) {}
  bool ok = true;
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
  template <typename T>
  void list(T& items) {
    uint32_t n = 0;
    (*this)(n);
    if (!ok || n > k_count_max) {
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
};

// Every field of every reply, once, for both directions.
template <typename A>
void fields(A& a, LotId& v) {
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
void fields(A& a, JobParam& p) {
  a(p.name, p.value);
}
template <typename A>
void fields(A& a, VoidPurchaseReply& r) {
  a(r.purchase, r.voided, r.consumed, r.held, r.expired);
  a.list(r.lots);
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
    return std::move(w.out);
  }
  w(static_cast<uint8_t>(result->index() + 1));
  std::visit(
      [&w](const auto& reply) { fields(w, const_cast<std::decay_t<decltype(reply)>&>(reply)); },
      *result);
  return std::move(w.out);
}


namespace {

// A list of fields() items, versioned.
template <typename List>
std::string encode_list(const List& items) {
  Writer w;
  w(k_codec_version);
  w.list(items);
  return std::move(w.out);
}
template <typename List>
std::expected<List, std::string> decode_list(std::string_view bytes) {
  Reader r(bytes);
  uint8_t version = 0;
  r(version);
  if (r.ok && version != k_codec_version)
    return std::unexpected(cat("unknown codec version ", version));
  List out;
  r.list(out);
  if (!r.done()) return std::unexpected("truncated or trailing bytes");
  return out;
}

}  // namespace

std::string encode_portions(const Portions& p) { return encode_list(p); }

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
  if (version != k_codec_version) return std::unexpected(cat("unknown codec version ", version));
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

}  // namespace tally::store
