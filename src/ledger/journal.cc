#include "ledger/journal.h"

#include <map>

#include "absl/container/flat_hash_map.h"
#include "ledger/check.h"
#include "ledger/text.h"

namespace tally {

AsOfBalance balance_as_of(std::span<const Entry> entries, std::string_view account, TimeUs as_of) {
  struct LotState {
    Credits remaining;
    TimeUs effective_at;
  };
  std::map<uint64_t, LotState> lots;
  AsOfBalance b{as_of, {}, {}, {}, {}};
  for (const Entry& e : entries) {
    if (e.at > as_of) break;
    if (e.account != account) continue;
    LotState& l = lots[e.lot.value];
    if (e.kind == EntryKind::grant) l.effective_at = e.effective_at;
    l.remaining += e.amount;
    b.held += e.held;
  }
  for (const auto& [id, l] : lots)
    (l.effective_at <= as_of ? b.available : b.pending) += l.remaining;
  b.total = b.available + b.pending + b.held;
  return b;
}

EntryPage page_entries(std::span<const Entry> entries, std::string_view account, uint64_t after_seq,
                       uint32_t limit) {
  TALLY_CHECK(limit >= 1 && limit <= 1000);
  EntryPage page;
  for (const Entry& e : entries) {
    if (e.seq <= after_seq || e.account != account) continue;
    if (page.entries.size() == limit) {
      page.next_after = page.entries.back()->seq;
      break;
    }
    page.entries.push_back(&e);
  }
  return page;
}

namespace {

struct LotFold {
  std::string account;
  Credits granted, remaining, held, consumed, expired, voided, restored;
};

struct Fold {
  std::map<uint64_t, LotFold> lots;
  std::map<std::string, std::pair<Credits, Credits>> accounts;  // balance, held
  SystemBooks books;
};

void fold_entry(const Entry& e, Fold* f) {
  LotFold& l = f->lots[e.lot.value];
  l.account = e.account;
  l.remaining += e.amount;
  l.held += e.held;
  const Credits out = e.counter_amount();
  switch (e.kind) {
    case EntryKind::grant:
      l.granted += e.amount;
      break;
    case EntryKind::capture:
    case EntryKind::spend:
      l.consumed += out;
      break;
    case EntryKind::expire:
      l.expired += out;
      break;
    case EntryKind::void_lot:
      l.voided += out;
      break;
    case EntryKind::refund:
      l.restored += e.amount;
      break;
    case EntryKind::hold:
    case EntryKind::release:
      break;
  }
  switch (e.counter) {
    case Book::none:
      break;
    case Book::issuance:
      f->books.issuance[static_cast<size_t>(e.source)] += out.micro;
      break;
    case Book::consumption:
      f->books.consumption[e.tool] += out.micro;
      break;
    case Book::expired:
      f->books.expired += out.micro;
      break;
    case Book::voided:
      f->books.voided += out.micro;
      break;
  }
  auto& [balance, held] = f->accounts[e.account];
  balance += e.amount;
  held += e.held;
}

void compare_lot(const Lot& lot, const LotFold& f, std::vector<std::string>* diff) {
  auto check = [&](const char* what, Credits state, Credits journal) {
    if (state != journal) {
      diff->push_back(cat("lot ", lot.id.value, " ", what, ": state ", format_credits(state),
                          ", journal ", format_credits(journal)));
    }
  };
  check("granted", lot.amount, f.granted);
  check("remaining", lot.remaining, f.remaining);
  check("held", lot.held, f.held);
  check("consumed", lot.consumed, f.consumed);
  check("expired", lot.expired, f.expired);
  check("voided", lot.voided_amount, f.voided);
  check("restored", lot.restored, f.restored);
}

}  // namespace

VerifyReport verify(const Ledger& ledger, std::span<const Entry> entries) {
  VerifyReport r;
  Fold f;
  TimeUs last{INT64_MIN};
  for (const Entry& e : entries) {
    ++r.entries;
    if (e.seq != r.entries) r.differences.push_back(cat("entry ", e.seq, ": seq gap"));
    if (e.at < last) r.differences.push_back(cat("entry ", e.seq, ": time goes back"));
    last = e.at;
    if (e.counter == Book::none && !e.counter_amount().is_zero()) {
      r.differences.push_back(cat("entry ", e.seq, ": unbalanced"));
    }
    fold_entry(e, &f);
    if (f.accounts[e.account].first != e.balance_after) {
      r.differences.push_back(cat("entry ", e.seq, ": balance_after ",
                                  format_credits(e.balance_after), ", running ",
                                  format_credits(f.accounts[e.account].first)));
    }
  }
  if (r.entries != ledger.last_seq()) {
    r.differences.push_back(
        cat("journal has ", r.entries, " entries, ledger wrote ", ledger.last_seq()));
  }
  absl::flat_hash_map<uint64_t, const Lot*> live;
  for (const Account& a : ledger.accounts()) {
    ++r.accounts;
    for (const Lot& lot : a.lots) live[lot.id.value] = &lot;
    auto it = f.accounts.find(a.id);
    const auto journal = it == f.accounts.end() ? std::pair<Credits, Credits>{} : it->second;
    if (journal.first != a.balance || journal.second != a.held) {
      r.differences.push_back(
          cat("account ", a.id, ": state ", format_credits(a.balance), "/", format_credits(a.held),
              ", journal ", format_credits(journal.first), "/", format_credits(journal.second)));
    }
  }
  for (const auto& [id, lf] : f.lots) {
    ++r.lots;
    auto it = live.find(id);
    if (it != live.end()) {
      compare_lot(*it->second, lf, &r.differences);
    } else if (!lf.remaining.is_zero() || !lf.held.is_zero()) {
      r.differences.push_back(cat("lot ", id, " is gone but the journal holds ",
                                  format_credits(lf.remaining + lf.held)));
    }
  }
  for (const auto& [id, lot] : live) {
    if (!f.lots.contains(id)) r.differences.push_back(cat("lot ", id, " has no entries"));
  }
  const SystemBooks& s = ledger.system_books();
  for (size_t i = 0; i < k_source_count; ++i) {
    if (s.issuance[i] != f.books.issuance[i]) {
      r.differences.push_back(cat("issuance ", source_name(static_cast<Source>(i)), " differs"));
    }
  }
  auto nonzero = [](const absl::flat_hash_map<std::string, BookMicro>& m) {
    std::map<std::string, BookMicro> out;
    for (const auto& [k, v] : m) {
      if (v != 0) out[k] = v;
    }
    return out;
  };
  if (nonzero(s.consumption) != nonzero(f.books.consumption)) {
    r.differences.push_back("consumption books differ");
  }
  if (s.expired != f.books.expired) r.differences.push_back("expired book differs");
  if (s.voided != f.books.voided) r.differences.push_back("voided book differs");
  return r;
}

}  // namespace tally
