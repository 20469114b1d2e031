#include "ledger/finance.h"

#include <charconv>

namespace tally {
namespace {

// floor(a * b / c) for c > 0, exact in 128 bits (a * b fits: both are int64).
int64_t floor_mul_div(int64_t a, int64_t b, int64_t c) {
  const __int128 n = static_cast<__int128>(a) * b;
  __int128 q = n / c;
  if (n % c != 0 && n < 0) --q;
  return static_cast<int64_t>(q);
}

void add_paid(PaidFigures* to, const PaidFigures& from) {
  to->received += from.received;
  to->recognized += from.recognized;
  to->breakage += from.breakage;
  to->refunded += from.refunded;
  to->deferred_opening += from.deferred_opening;
  to->deferred_closing += from.deferred_closing;
  to->received_minor += from.received_minor;
  to->recognized_minor += from.recognized_minor;
  to->breakage_minor += from.breakage_minor;
  to->refunded_minor += from.refunded_minor;
  to->deferred_opening_minor += from.deferred_opening_minor;
  to->deferred_closing_minor += from.deferred_closing_minor;
}

// The origin a refund lot's grant names at the end of its reason, " (lot N had expired)"
// (Ledger::refund_lot writes it last, after any client text): for a lot no longer to be found.
LotId origin_in_reason(std::string_view reason) {
  constexpr std::string_view k_tail = " had expired)";
  constexpr std::string_view k_head = " (lot ";
  if (!reason.ends_with(k_tail)) return {};
  reason.remove_suffix(k_tail.size());
  const size_t at = reason.rfind(k_head);
  if (at == std::string_view::npos) return {};
  const std::string_view digits = reason.substr(at + k_head.size());
  uint64_t id = 0;
  auto [p, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), id);
  if (ec != std::errc() || p != digits.data() + digits.size()) return {};
  return LotId{id};
}

}  // namespace

FinanceLot finance_lot(const Lot& lot) {
  FinanceLot f{lot.cost_basis, {}};
  constexpr std::string_view k_prefix = "lot:";
  const std::string_view ref = lot.reference;
  if (lot.source == Source::refund && ref.starts_with(k_prefix)) {
    uint64_t id = 0;
    const char* end = ref.data() + ref.size();
    auto [p, ec] = std::from_chars(ref.data() + k_prefix.size(), end, id);
    if (ec == std::errc() && p == end) f.origin = LotId{id};
  }
  return f;
}

void FinanceReport::merge(const FinanceReport& o) {
  add_paid(&paid, o.paid);
  for (size_t i = 0; i < free.size(); ++i) {
    FreeFigures& f = free[i];
    const FreeFigures& g = o.free[i];
    f.issued += g.issued;
    f.consumed += g.consumed;
    f.expired += g.expired;
    f.voided += g.voided;
    f.outstanding_opening += g.outstanding_opening;
    f.outstanding_closing += g.outstanding_closing;
  }
  rolled_over += o.rolled_over;
  paid_lots += o.paid_lots;
  other_currencies.insert(o.other_currencies.begin(), o.other_currencies.end());
}

FinanceBook::FinanceBook(TimeUs from, TimeUs to, std::array<char, 3> currency)
    : from_(from), to_(to) {
  report_.from = from;
  report_.to = to;
  report_.currency = currency;
}

uint32_t FinanceBook::root_for_grant(const Entry& e, const FindFinanceLot& find, bool* known) {
  const std::optional<FinanceLot> lot = find(e.lot);
  if (e.counter != Book::issuance && e.source == Source::refund) {
    // A refund lot: its origin's credits coming back. Its reason names the origin too, for a
    // lot that came and went in one batch (the store never held it).
    const LotId origin = lot && lot->origin.is_set() ? lot->origin : origin_in_reason(e.reason);
    if (auto it = root_of_.find(origin.value); it != root_of_.end()) return it->second;
    *known = false;
  }
  Root r;
  r.source = e.source;
  if (e.counter == Book::issuance && lot && lot->cost_basis.paid_minor > 0) {
    r.paid = lot->cost_basis.currency == report_.currency;
    r.other = !r.paid;
    r.paid_minor = lot->cost_basis.paid_minor;
    if (r.other && e.at < to_) {
      report_.other_currencies.emplace(lot->cost_basis.currency.data(), 3);
    }
  }
  // A rollover lot carries the plan's allocation on (rule 6): its credits are the allocation's.
  if (e.counter != Book::issuance && e.source == Source::rollover) r.source = Source::subscription;
  roots_.push_back(r);
  return static_cast<uint32_t>(roots_.size() - 1);
}

bool FinanceBook::add(const Entry& e, const FindFinanceLot& find) {
  if (e.at >= to_) return true;
  bool known = true;
  uint32_t index = 0;
  if (auto it = root_of_.find(e.lot.value); it != root_of_.end()) {
    index = it->second;
  } else {
    if (e.kind != EntryKind::grant) return true;  // its lot was granted before these entries
    index = root_for_grant(e, find, &known);
    root_of_.emplace(e.lot.value, index);
  }
  Root& r = roots_[index];
  if (r.other) return known;
  if (e.kind == EntryKind::grant && e.counter == Book::issuance) {
    r.amount += e.amount;
    count(r, e, e.amount, r.paid_minor, /*issued=*/true);
    return known;
  }
  if (e.counter == Book::none) return known;  // a hold or release moves nothing out
  const Credits out = e.counter_amount();
  r.out += out;
  int64_t out_minor = 0;
  if (r.paid) {
    const int64_t now_minor = floor_mul_div(r.paid_minor, r.out.micro, r.amount.micro);
    out_minor = now_minor - r.out_minor;
    r.out_minor = now_minor;
  }
  if (e.kind == EntryKind::grant && e.source == Source::rollover && e.at >= from_) {
    report_.rolled_over += e.amount;
  }
  count(r, e, out, out_minor, /*issued=*/false);
  return known;
}

// Books `amount` (and `minor`) of root `r` moved by `e`: issued, or out to e.counter's book.
void FinanceBook::count(const Root& r, const Entry& e, Credits amount, int64_t minor, bool issued) {
  const bool before = e.at < from_;
  if (r.paid) {
    PaidFigures& p = report_.paid;
    const Credits sign_credits = issued ? amount : -amount;
    const int64_t sign_minor = issued ? minor : -minor;
    p.deferred_closing += sign_credits;
    p.deferred_closing_minor += sign_minor;
    if (before) {
      p.deferred_opening += sign_credits;
      p.deferred_opening_minor += sign_minor;
      return;
    }
    if (issued) {
      p.received += amount;
      p.received_minor += minor;
      ++report_.paid_lots;
      return;
    }
    Credits* c = e.counter == Book::consumption ? &p.recognized
                 : e.counter == Book::expired   ? &p.breakage
                                                : &p.refunded;
    int64_t* m = e.counter == Book::consumption ? &p.recognized_minor
                 : e.counter == Book::expired   ? &p.breakage_minor
                                                : &p.refunded_minor;
    *c += amount;
    *m += minor;
    return;
  }
  FreeFigures& f = report_.free[static_cast<size_t>(r.source)];
  f.outstanding_closing += issued ? amount : -amount;
  if (before) {
    f.outstanding_opening += issued ? amount : -amount;
    return;
  }
  Credits* c = issued                           ? &f.issued
               : e.counter == Book::consumption ? &f.consumed
               : e.counter == Book::expired     ? &f.expired
                                                : &f.voided;
  *c += amount;
}

}  // namespace tally
