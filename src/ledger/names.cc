// Stable names of the ledger's enums (stored and shown in the API: never rename one) and
// the canonical text forms of entries and commands.
#include <bit>
#include <cstring>
#include <string>

#include "ledger/command.h"
#include "ledger/config.h"
#include "ledger/entry.h"
#include "ledger/errors.h"
#include "ledger/ledger.h"
#include "ledger/text.h"
#include "ledger/types.h"

namespace tally {

std::string_view credential_kind_name(CredentialKind k) {
  switch (k) {
    case CredentialKind::none:
      return "none";
    case CredentialKind::key:
      return "key";
    case CredentialKind::token:
      return "token";
  }
  return "?";
}

std::optional<CredentialKind> parse_credential_kind(std::string_view name) {
  for (uint8_t k = 0; k <= k_credential_kind_last; ++k) {
    if (credential_kind_name(static_cast<CredentialKind>(k)) == name) {
      return static_cast<CredentialKind>(k);
    }
  }
  return std::nullopt;
}

// Stored in audit lines and shown by GET /v1/audit: never rename one.
std::string_view command_name(const Command& command) {
  struct Name {
    std::string_view operator()(const OpenAccount&) const { return "open_account"; }
    std::string_view operator()(const Grant&) const { return "grant"; }
    std::string_view operator()(const PlaceHold&) const { return "place_hold"; }
    std::string_view operator()(const Capture&) const { return "capture"; }
    std::string_view operator()(const Release&) const { return "release"; }
    std::string_view operator()(const SpendNow&) const { return "spend"; }
    std::string_view operator()(const Refund&) const { return "refund"; }
    std::string_view operator()(const VoidLot&) const { return "void_lot"; }
    std::string_view operator()(const SetPlan&) const { return "set_plan"; }
    std::string_view operator()(const CancelSubscription&) const { return "cancel_subscription"; }
    std::string_view operator()(const MarkPastDue&) const { return "mark_past_due"; }
    std::string_view operator()(const ResumeSubscription&) const { return "resume_subscription"; }
    std::string_view operator()(const ClaimDailyReward&) const { return "claim_daily_reward"; }
    std::string_view operator()(const Purchase&) const { return "purchase"; }
    std::string_view operator()(const VoidPurchase&) const { return "void_purchase"; }
    std::string_view operator()(const AdvanceTime&) const { return "advance_time"; }
    std::string_view operator()(const SetAlerts&) const { return "set_alerts"; }
    std::string_view operator()(const SetAutoTopup&) const { return "set_auto_topup"; }
    std::string_view operator()(const FailAutoTopup&) const { return "fail_auto_topup"; }
    std::string_view operator()(const CancelAutoTopup&) const { return "cancel_auto_topup"; }
    std::string_view operator()(const AddMember&) const { return "add_member"; }
    std::string_view operator()(const SetMemberRole&) const { return "set_member_role"; }
    std::string_view operator()(const RemoveMember&) const { return "remove_member"; }
    std::string_view operator()(const AddBudget&) const { return "add_budget"; }
    std::string_view operator()(const UpdateBudget&) const { return "update_budget"; }
    std::string_view operator()(const RemoveBudget&) const { return "remove_budget"; }
    std::string_view operator()(const MarkOutcome&) const { return "mark_outcome"; }
  };
  static_assert(std::variant_size_v<Command> == 27, "a new command needs its name here");
  return std::visit(Name{}, command);
}

std::string_view source_name(Source s) {
  switch (s) {
    case Source::signup:
      return "signup";
    case Source::subscription:
      return "subscription";
    case Source::rollover:
      return "rollover";
    case Source::reward:
      return "reward";
    case Source::promo:
      return "promo";
    case Source::admin:
      return "admin";
    case Source::purchase:
      return "purchase";
    case Source::refund:
      return "refund";
  }
  return "?";
}

std::optional<Source> parse_source(std::string_view name) {
  for (Source s : k_all_sources) {
    if (source_name(s) == name) return s;
  }
  return std::nullopt;
}

std::string_view hold_state_name(HoldState s) {
  switch (s) {
    case HoldState::active:
      return "active";
    case HoldState::captured:
      return "captured";
    case HoldState::released:
      return "released";
    case HoldState::expired:
      return "expired";
  }
  return "?";
}

std::string_view outcome_name(Outcome o) {
  switch (o) {
    case Outcome::none:
      return "none";
    case Outcome::usable:
      return "usable";
    case Outcome::rejected:
      return "rejected";
  }
  return "?";
}

std::optional<Outcome> parse_outcome(std::string_view name) {
  for (uint8_t o = 0; o <= k_outcome_last; ++o) {
    if (outcome_name(static_cast<Outcome>(o)) == name) return static_cast<Outcome>(o);
  }
  return std::nullopt;
}

std::string_view entry_kind_name(EntryKind k) {
  switch (k) {
    case EntryKind::grant:
      return "grant";
    case EntryKind::hold:
      return "hold";
    case EntryKind::release:
      return "release";
    case EntryKind::capture:
      return "capture";
    case EntryKind::spend:
      return "spend";
    case EntryKind::refund:
      return "refund";
    case EntryKind::expire:
      return "expire";
    case EntryKind::void_lot:
      return "void";
  }
  return "?";
}

std::optional<EntryKind> parse_entry_kind(std::string_view name) {
  for (uint8_t k = 0; k <= static_cast<uint8_t>(EntryKind::void_lot); ++k) {
    if (entry_kind_name(static_cast<EntryKind>(k)) == name) return static_cast<EntryKind>(k);
  }
  return std::nullopt;
}

std::optional<Book> parse_book(std::string_view name) {
  for (uint8_t b = 0; b <= static_cast<uint8_t>(Book::voided); ++b) {
    if (book_name(static_cast<Book>(b)) == name) return static_cast<Book>(b);
  }
  return std::nullopt;
}

std::string format_book(BookMicro v) {
  const bool negative = v < 0;
  unsigned __int128 u =
      negative ? -static_cast<unsigned __int128>(v) : static_cast<unsigned __int128>(v);
  std::string digits;
  do {
    digits.insert(digits.begin(), static_cast<char>('0' + static_cast<int>(u % 10)));
    u /= 10;
  } while (u > 0);
  return negative ? "-" + digits : digits;
}

std::optional<BookMicro> parse_book_micro(std::string_view s) {
  const bool negative = !s.empty() && s[0] == '-';
  if (negative) s.remove_prefix(1);
  if (s.empty() || s.size() > 38) return std::nullopt;  // 10^38 < 2^127
  BookMicro v = 0;
  for (char c : s) {
    if (c < '0' || c > '9') return std::nullopt;
    v = v * 10 + (c - '0');
  }
  return negative ? -v : v;
}

std::string_view book_name(Book b) {
  switch (b) {
    case Book::none:
      return "none";
    case Book::issuance:
      return "issuance";
    case Book::consumption:
      return "consumption";
    case Book::expired:
      return "expired";
    case Book::voided:
      return "voided";
  }
  return "?";
}

std::string_view error_code_name(ErrorCode c) {
  switch (c) {
    case ErrorCode::invalid_request:
      return "invalid_request";
    case ErrorCode::not_found:
      return "not_found";
    case ErrorCode::account_exists:
      return "account_exists";
    case ErrorCode::insufficient_credits:
      return "insufficient_credits";
    case ErrorCode::hold_expired:
      return "hold_expired";
    case ErrorCode::hold_not_active:
      return "hold_not_active";
    case ErrorCode::capture_exceeds_hold:
      return "capture_exceeds_hold";
    case ErrorCode::refund_exceeds_spend:
      return "refund_exceeds_spend";
    case ErrorCode::spend_not_refundable:
      return "spend_not_refundable";
    case ErrorCode::lot_voided:
      return "lot_voided";
    case ErrorCode::idempotency_conflict:
      return "idempotency_conflict";
    case ErrorCode::limit_exceeded:
      return "limit_exceeded";
    case ErrorCode::not_subscribed:
      return "not_subscribed";
    case ErrorCode::already_claimed:
      return "already_claimed";
    case ErrorCode::reward_unavailable:
      return "reward_unavailable";
    case ErrorCode::not_a_member:
      return "not_a_member";
    case ErrorCode::forbidden:
      return "forbidden";
    case ErrorCode::budget_exceeded:
      return "budget_exceeded";
    case ErrorCode::member_exists:
      return "member_exists";
    case ErrorCode::budget_exists:
      return "budget_exists";
    case ErrorCode::outcome_conflict:
      return "outcome_conflict";
  }
  return "?";
}

std::string_view policy_name(ConsumptionPolicy p) {
  return p == ConsumptionPolicy::priority_first ? "priority_first" : "expiry_first";
}

std::optional<ConsumptionPolicy> parse_policy(std::string_view name) {
  if (name == "expiry_first") return ConsumptionPolicy::expiry_first;
  if (name == "priority_first") return ConsumptionPolicy::priority_first;
  return std::nullopt;
}

TimeUs Validity::expiry_from(TimeUs from) const {
  switch (kind) {
    case Kind::never:
      return TimeUs::never();
    case Kind::months:
      return add_months(from, static_cast<int>(count));
    case Kind::duration:
      return add_us(from, count);
  }
  return TimeUs::never();
}

std::optional<Validity> parse_validity(std::string_view s) {
  if (s == "never") return Validity::never();
  if (s.size() < 3 || s[0] != 'P') return std::nullopt;
  int64_t months = 0;
  int64_t us = 0;
  bool in_time = false;
  bool any = false;
  bool any_time = false;  // "T" must be followed by hours, minutes or seconds
  size_t i = 1;
  while (i < s.size()) {
    if (s[i] == 'T') {
      if (in_time) return std::nullopt;
      in_time = true;
      ++i;
      continue;
    }
    // A number: digits, and for seconds an optional fraction of up to 6 digits.
    int64_t whole = 0;
    int64_t frac_us = 0;
    size_t digits = 0;
    while (i < s.size() && s[i] >= '0' && s[i] <= '9') {
      // 10 digits: 100 years is 3,155,760,000 seconds, which format_validity writes as such.
      if (++digits > 10) return std::nullopt;
      whole = whole * 10 + (s[i++] - '0');
    }
    if (digits == 0) return std::nullopt;
    if (i < s.size() && s[i] == '.') {
      ++i;
      int64_t scale = 100'000;
      size_t frac_digits = 0;
      while (i < s.size() && s[i] >= '0' && s[i] <= '9') {
        if (++frac_digits > 6) return std::nullopt;
        frac_us += (s[i++] - '0') * scale;
        scale /= 10;
      }
      if (frac_digits == 0 || i >= s.size() || s[i] != 'S' || !in_time) return std::nullopt;
    }
    if (i >= s.size()) return std::nullopt;
    const char unit = s[i++];
    any = true;
    any_time = any_time || in_time;
    int64_t scale_us = 0;  // 0: calendar months
    if (!in_time && (unit == 'Y' || unit == 'M')) {
      months += whole * (unit == 'Y' ? 12 : 1);  // whole < 10^10: cannot overflow
    } else if (!in_time && unit == 'W') {
      scale_us = 7 * k_us_per_day;
    } else if (!in_time && unit == 'D') {
      scale_us = k_us_per_day;
    } else if (in_time && unit == 'H') {
      scale_us = k_us_per_hour;
    } else if (in_time && unit == 'M') {
      scale_us = k_us_per_minute;
    } else if (in_time && unit == 'S') {
      scale_us = k_us_per_second;
    } else {
      return std::nullopt;
    }
    if (scale_us != 0) {
      int64_t part = 0;
      if (__builtin_mul_overflow(whole, scale_us, &part) ||
          __builtin_add_overflow(us, part + (unit == 'S' ? frac_us : 0), &us)) {
        return std::nullopt;
      }
    }
    if (months > 1200 || us > 100 * 366 * k_us_per_day) return std::nullopt;  // 100 years
  }
  if (!any || (in_time && !any_time) || (months > 0 && us > 0) || (months == 0 && us == 0)) {
    return std::nullopt;
  }
  return months > 0 ? Validity::months(months) : Validity::duration_us(us);
}

std::string format_validity(const Validity& v) {
  switch (v.kind) {
    case Validity::Kind::never:
      return "never";
    case Validity::Kind::months:
      return cat("P", v.count, "M");
    case Validity::Kind::duration:
      if (v.count % k_us_per_second == 0) return cat("PT", v.count / k_us_per_second, "S");
      return cat("PT", format_credits(Credits::from_micro(v.count)), "S");
  }
  return "never";
}

std::array<uint8_t, k_source_count> LedgerConfig::default_source_priority() {
  std::array<uint8_t, k_source_count> p{};
  const Source order[] = {Source::reward, Source::promo,    Source::admin,        Source::refund,
                          Source::signup, Source::rollover, Source::subscription, Source::purchase};
  for (uint8_t i = 0; i < k_source_count; ++i) p[static_cast<size_t>(order[i])] = i;
  return p;
}

std::array<Validity, k_source_count> LedgerConfig::default_validities() {
  std::array<Validity, k_source_count> v{};
  v[static_cast<size_t>(Source::signup)] = Validity::never();
  v[static_cast<size_t>(Source::subscription)] = Validity::months(1);
  v[static_cast<size_t>(Source::rollover)] = Validity::months(1);
  v[static_cast<size_t>(Source::reward)] = Validity::duration_us(7 * k_us_per_day);
  v[static_cast<size_t>(Source::promo)] = Validity::months(1);
  v[static_cast<size_t>(Source::admin)] = Validity::months(1);
  v[static_cast<size_t>(Source::purchase)] = Validity::months(12);
  v[static_cast<size_t>(Source::refund)] = Validity::duration_us(7 * k_us_per_day);
  return v;
}

namespace {
std::string id_text(uint64_t v) {
  return v == 0 ? "-" : cat(v);
}
}  // namespace

std::string format_entry(const Entry& e) {
  return cat(e.seq, " ", format_time(e.at), " ", entry_kind_name(e.kind), " account=", e.account,
             " lot=", id_text(e.lot.value), " source=", source_name(e.source),
             " amount=", format_credits(e.amount), " held=", format_credits(e.held),
             " counter=", book_name(e.counter), " balance_after=", format_credits(e.balance_after),
             " hold=", id_text(e.hold.value), " spend=", id_text(e.spend.value), " tool=", e.tool,
             " effective_at=", format_time(e.effective_at),
             " expires_at=", format_time(e.expires_at), " reason=", e.reason,
             e.member.empty() && e.project.empty()
                 ? std::string()
                 : cat(" member=", e.member, " project=", e.project));
}

namespace {

// A 128-bit digest of every field in a fixed order: integers as 64-bit words, strings as their
// length then their bytes 8 at a time, so no two commands share a field sequence. Two lanes
// with different constants, finished with splitmix64's mix; no buffer, no allocation.
class Fingerprint {
 public:
  explicit Fingerprint(char tag) { word(static_cast<uint64_t>(tag)); }
  Fingerprint& i(int64_t v) {
    word(static_cast<uint64_t>(v));
    return *this;
  }
  Fingerprint& u(uint64_t v) {
    word(v);
    return *this;
  }
  Fingerprint& s(std::string_view v) {
    word(v.size());
    size_t i = 0;
    for (; i + 8 <= v.size(); i += 8) {
      uint64_t w;
      std::memcpy(&w, v.data() + i, 8);
      word(w);
    }
    if (i < v.size()) {
      uint64_t w = 0;
      std::memcpy(&w, v.data() + i, v.size() - i);
      word(w);
    }
    return *this;
  }
  Fingerprint& opt(const std::optional<Credits>& c) { return c ? i(1).i(c->micro) : i(0); }
  Fingerprint& opt(const std::optional<int64_t>& v) { return v ? i(1).i(*v) : i(0); }
  CommandDigest take() const { return {mix(a_ ^ n_), mix(b_ ^ (n_ << 1))}; }

 private:
  static uint64_t mix(uint64_t z) {
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
  }
  // Two xxHash64-style lanes with different primes; the full mix runs once, in take().
  void word(uint64_t w) {
    ++n_;
    a_ = std::rotl(a_ + w * 0xc2b2ae3d27d4eb4fULL, 31) * 0x9e3779b185ebca87ULL;
    b_ = std::rotl(b_ + (w ^ 0x165667b19e3779f9ULL) * 0x27d4eb2f165667c5ULL, 29) *
         0x85ebca77c2b2ae63ULL;
  }
  uint64_t a_ = 0x6a09e667f3bcc908ULL;
  uint64_t b_ = 0xbb67ae8584caa73bULL;
  uint64_t n_ = 0;
};

}  // namespace

CommandDigest fingerprint(const Command& command) {
  struct Visitor {
    static CommandDigest params(Fingerprint f, const JobParams& list) {
      f.i(static_cast<int64_t>(list.size()));
      for (const JobParam& p : list) f.s(p.name).s(p.value);
      return f.take();
    }
    // The team fields of a debit or an opening, only when set: a personal account's commands
    // keep the digests they had before teams (a retry across an upgrade is still a retry).
    static Fingerprint& team(Fingerprint& f, const std::string& member,
                             const std::string& project) {
      if (member.empty() && project.empty()) return f;
      return f.i(-17).s(member).s(project);
    }
    // A debit's outcome (issue 19), only when given, for the same reason.
    static Fingerprint& outcome(Fingerprint& f, Outcome o) {
      if (o == Outcome::none) return f;
      return f.i(-19).i(static_cast<int64_t>(o));
    }
    CommandDigest operator()(const OpenAccount& c) {
      Fingerprint f('o');
      f.s(c.account).s(c.plan).i(c.no_plan);
      if (c.team) f.i(-17).s(c.owner);
      return f.take();
    }
    CommandDigest operator()(const AddMember& c) {
      return Fingerprint('m').s(c.account).s(c.user).i(static_cast<int64_t>(c.role)).take();
    }
    CommandDigest operator()(const SetMemberRole& c) {
      return Fingerprint('e').s(c.account).s(c.user).i(static_cast<int64_t>(c.role)).take();
    }
    CommandDigest operator()(const RemoveMember& c) {
      return Fingerprint('k').s(c.account).s(c.user).take();
    }
    // alert_at only when set: a budget's commands keep the digests they had before it.
    CommandDigest operator()(const AddBudget& c) {
      const BudgetSpec& b = c.spec;
      Fingerprint f('B');
      f.s(c.account)
          .s(b.id)
          .s(b.member)
          .s(b.project)
          .i(b.limit.micro)
          .i(static_cast<int64_t>(b.period))
          .opt(c.anchor ? std::optional<int64_t>(c.anchor->us) : std::nullopt)
          .i(static_cast<int64_t>(b.mode));
      if (!b.alert_at.is_zero()) f.i(-18).i(b.alert_at.micro);
      return f.take();
    }
    CommandDigest operator()(const UpdateBudget& c) {
      Fingerprint f('U');
      f.s(c.account).s(c.id).opt(c.limit).opt(
          c.mode ? std::optional<int64_t>(static_cast<int64_t>(*c.mode)) : std::nullopt);
      if (c.alert_at) f.i(-18).opt(c.alert_at);
      return f.take();
    }
    CommandDigest operator()(const RemoveBudget& c) {
      return Fingerprint('K').s(c.account).s(c.id).take();
    }
    CommandDigest operator()(const SetPlan& c) {
      return Fingerprint('p').s(c.account).s(c.plan).opt(c.allocation).take();
    }
    CommandDigest operator()(const CancelSubscription& c) {
      return Fingerprint('x').s(c.account).take();
    }
    CommandDigest operator()(const MarkPastDue& c) { return Fingerprint('d').s(c.account).take(); }
    CommandDigest operator()(const ResumeSubscription& c) {
      return Fingerprint('u').s(c.account).take();
    }
    CommandDigest operator()(const ClaimDailyReward& c) {
      return Fingerprint('w').s(c.account).take();
    }
    CommandDigest operator()(const Purchase& c) {
      return Fingerprint('b')
          .s(c.account)
          .s(c.pack)
          .s(c.currency)
          .s(c.region)
          .s(c.payment_ref)
          .take();
    }
    CommandDigest operator()(const VoidPurchase& c) {
      return Fingerprint('y').u(c.purchase).s(c.reason).take();
    }
    CommandDigest operator()(const Grant& c) {
      Fingerprint f('g');
      f.s(c.account).i(static_cast<int64_t>(c.source)).i(c.amount.micro);
      f.opt(c.effective_at ? std::optional<int64_t>(c.effective_at->us) : std::nullopt);
      f.i(static_cast<int64_t>(c.expiry.mode)).i(c.expiry.at.us);
      f.i(static_cast<int64_t>(c.expiry.valid_for.kind)).i(c.expiry.valid_for.count);
      f.s(std::string_view(c.cost_basis.currency.data(), 3)).i(c.cost_basis.paid_minor);
      f.s(c.reference).s(c.reason).i(static_cast<int64_t>(c.scope.size()));
      for (const auto& tool : c.scope) f.s(tool);
      return f.take();
    }
    // A priced job is what the client asked (tool and params), not the amount, version and
    // plan its pricing led to: a retry after a price or plan change is the same request.
    CommandDigest operator()(const PlaceHold& c) {
      if (c.priced) {
        Fingerprint f('H');
        f.s(c.account).s(c.tool).opt(c.ttl_us);
        return params(team(f, c.member, c.project), c.params);
      }
      Fingerprint f('h');
      f.s(c.account).i(c.amount.micro).s(c.tool).opt(c.ttl_us).s(c.price_book_version);
      return team(f, c.member, c.project).take();
    }
    // An outcome counts only when given, so digests of requests without one stay as they were.
    CommandDigest operator()(const Capture& c) {
      if (c.priced) return params(outcome(Fingerprint('C').u(c.hold.value), c.outcome), c.usage);
      Fingerprint f('c');
      f.u(c.hold.value).opt(c.amount);
      return outcome(f, c.outcome).take();
    }
    CommandDigest operator()(const Release& c) {
      return Fingerprint('r').u(c.hold.value).s(c.reason).take();
    }
    CommandDigest operator()(const SpendNow& c) {
      if (c.priced) {
        Fingerprint f('S');
        f.s(c.account).s(c.tool);
        return params(outcome(team(f, c.member, c.project), c.outcome), c.params);
      }
      Fingerprint f('s');
      f.s(c.account).i(c.amount.micro).s(c.tool).s(c.price_book_version);
      return outcome(team(f, c.member, c.project), c.outcome).take();
    }
    CommandDigest operator()(const MarkOutcome& c) {
      return Fingerprint('O').u(c.spend.value).i(static_cast<int64_t>(c.outcome)).take();
    }
    CommandDigest operator()(const Refund& c) {
      return Fingerprint('f').u(c.spend.value).opt(c.amount).s(c.reason).take();
    }
    CommandDigest operator()(const VoidLot& c) {
      return Fingerprint('v').u(c.lot.value).s(c.reason).take();
    }
    CommandDigest operator()(const AdvanceTime&) { return Fingerprint('a').take(); }
    CommandDigest operator()(const SetAlerts& c) {
      return Fingerprint('l').s(c.account).opt(c.alerts.low_balance).opt(
          c.alerts.expiring_notice_us).take();
    }
    CommandDigest operator()(const SetAutoTopup& c) {
      Fingerprint f('t');
      f.s(c.account).i(c.settings ? 1 : 0);
      if (c.settings) {
        f.i(c.settings->below.micro).s(c.settings->pack).s(c.settings->currency).s(
            c.settings->region);
      }
      return f.take();
    }
    CommandDigest operator()(const FailAutoTopup& c) {
      return Fingerprint('x').u(c.id).s(c.reason).take();
    }
    CommandDigest operator()(const CancelAutoTopup& c) {
      return Fingerprint('y').u(c.id).s(c.reason).take();
    }
  };
  return std::visit(Visitor{}, command);
}

}  // namespace tally
