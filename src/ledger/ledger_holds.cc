// Debits: holds, captures, releases and one-shot spends (DESIGN rules 1 and 2).
#include <algorithm>

#include "ledger/check.h"
#include "ledger/ledger.h"
#include "ledger/lot_order.h"
#include "ledger/text.h"

namespace tally {
namespace {

// Bounds on the parameters a hold keeps (the price book bounds them again when it prices).
constexpr size_t k_params_max = 64;
constexpr size_t k_param_bytes_max = 256;

bool check_params(const JobParams& params) {
  if (params.size() > k_params_max) return false;
  return std::all_of(params.begin(), params.end(), [](const JobParam& p) {
    return p.name.size() <= k_param_bytes_max && p.value.size() <= k_param_bytes_max;
  });
}

}  // namespace

std::expected<Portions, LedgerError> Ledger::choose_portions(const Account& a, Credits amount,
                                                             std::string_view tool,
                                                             TimeUs now) const {
  // Lots are kept in consumption order, so taking eligible lots front to back is rule 1.
  // One pass: when the lots run out before `amount` is met, every eligible lot was summed.
  Portions portions;
  Credits left = amount;
  for (const Lot& lot : a.lots) {
    if (!is_eligible(lot, tool, now)) continue;
    Credits take = min(left, lot.remaining);
    portions.push_back({lot.id, take, lot.expires_at, {}});
    left -= take;
    if (left.is_zero()) break;
  }
  if (left.is_positive()) {
    const Credits eligible = amount - left;
    LedgerError e = make_error(ErrorCode::insufficient_credits,
                               cat("needs ", format_credits(amount), " credits for '", tool, "'; ",
                                   format_credits(eligible), " available"));
    e.shortfall = left;
    return std::unexpected(std::move(e));
  }
  TALLY_CHECK(left.is_zero());
  return portions;
}

std::expected<uint32_t, LedgerError> Ledger::check_debit(const std::string& account, Credits amount,
                                                         const std::string& tool,
                                                         const std::string& version,
                                                         const JobParams& params) const {
  auto index = account_for(account);
  if (!index) return index;
  if (!amount.is_positive() || amount > config_.amount_max) {
    return std::unexpected(
        make_error(ErrorCode::invalid_request,
                   cat("amount must be > 0 and at most ", format_credits(config_.amount_max))));
  }
  if (version.size() > config_.version_length_max) {
    return std::unexpected(
        make_error(ErrorCode::invalid_request, "price_book_version is too long"));
  }
  if (auto e = check_text("tool", tool, config_.tool_length_max, true)) {
    return std::unexpected(*e);
  }
  if (!check_params(params)) {
    return std::unexpected(make_error(
        ErrorCode::invalid_request,
        cat("at most ", k_params_max, " params of at most ", k_param_bytes_max, " bytes each")));
  }
  return index;
}

Result Ledger::place_hold(const PlaceHold& c, TimeUs now, std::vector<Entry>* out) {
  auto checked = check_debit(c.account, c.amount, c.tool, c.price_book_version, c.params);
  if (!checked) return std::unexpected(std::move(checked.error()));
  const uint32_t account = *checked;
  const int64_t ttl_us = c.ttl_us.value_or(config_.hold_ttl_default_us);
  if (ttl_us <= 0 || ttl_us > config_.hold_ttl_max_us) {
    return std::unexpected(make_error(
        ErrorCode::invalid_request,
        cat("ttl must be > 0 and at most ", config_.hold_ttl_max_us / k_us_per_second, " s")));
  }
  if (auto e = check_team_debit(accounts_[account], c.member, c.project, c.amount, now)) {
    return std::unexpected(std::move(*e));
  }
  if (accounts_[account].open_holds >= config_.holds_per_account_max) {
    return std::unexpected(make_error(
        ErrorCode::limit_exceeded,
        cat("account has ", config_.holds_per_account_max, " open holds, the most allowed")));
  }
  auto portions = choose_portions(accounts_[account], c.amount, c.tool, now);
  if (!portions) return std::unexpected(std::move(portions.error()));

  const HoldId id{next_id()};
  for (const Portion& p : *portions) {
    post(account, p.lot,
         {.kind = EntryKind::hold,
          .amount = -p.amount,
          .held = p.amount,
          .hold = id,
          .tool = &c.tool,
          .member = &c.member,
          .project = &c.project},
         now, out);
  }
  Hold& h = holds_[id];
  h.id = id;
  h.account = account;
  h.amount = c.amount;
  h.tool = c.tool;
  h.price_book_version = c.price_book_version;
  h.params = c.params;
  h.plan = c.plan;
  h.member = c.member;
  h.project = c.project;
  h.created_at = now;
  h.expires_at = add_us(now, ttl_us);
  h.portions = *portions;
  hold_timeouts_.emplace(h.expires_at, id);
  if (tracking()) changes_.holds_put.push_back(id);
  ++accounts_[account].open_holds;
  count_budgets(account, c.member, c.project, c.amount, id.value, now);
  return HoldReply{id, c.amount, h.expires_at, std::move(*portions)};
}

// The active hold `id`, or why it cannot be captured or released.
std::expected<Hold*, LedgerError> Ledger::active_hold(HoldId id) {
  if (auto it = holds_.find(id); it != holds_.end()) return &it->second;
  auto done = finished_.find(id);
  // A finished hold the store lent back (Ledger::lend_finished_hold) may be past its retention.
  if (done == finished_.end() ||
      add_us(done->second.ended_at, config_.spend_retention_us) <= now_) {
    return std::unexpected(make_error(ErrorCode::not_found, cat("no hold ", id.value)));
  }
  if (done->second.state == HoldState::expired) {
    return std::unexpected(
        make_error(ErrorCode::hold_expired,
                   cat("hold ", id.value, " passed its TTL at ",
                       format_time(done->second.expires_at), "; its credits were released")));
  }
  return std::unexpected(
      make_error(ErrorCode::hold_not_active,
                 cat("hold ", id.value, " is already ", hold_state_name(done->second.state))));
}

Result Ledger::capture(const Capture& c, TimeUs now, std::vector<Entry>* out) {
  auto active = active_hold(c.hold);
  if (!active) return std::unexpected(std::move(active.error()));
  Hold& h = **active;
  if (c.priced && !c.amount) {  // the caller prices usage before the ledger runs
    return std::unexpected(make_error(ErrorCode::invalid_request, "a capture's usage is unpriced"));
  }
  const Credits amount = c.amount.value_or(h.amount);
  if (amount.is_negative()) {
    return std::unexpected(make_error(ErrorCode::invalid_request, "capture amount must be >= 0"));
  }
  if (amount > h.amount) {
    return std::unexpected(make_error(ErrorCode::capture_exceeds_hold,
                                      cat("capture of ", format_credits(amount), " exceeds the ",
                                          format_credits(h.amount), " held")));
  }
  // Capture consumes the hold's portions in consumption order; what is left is released.
  Portions consumed;
  Portions rest;
  Credits left = amount;
  for (const Portion& p : h.portions) {
    Credits take = min(left, p.amount);
    left -= take;
    if (take.is_positive()) consumed.push_back({p.lot, take, p.expires_at, {}});
    if (take < p.amount) rest.push_back({p.lot, p.amount - take, p.expires_at, {}});
  }
  const SpendId spend = SpendId{next_id()};
  for (const Portion& p : consumed) {
    post(h.account, p.lot,
         {.kind = EntryKind::capture,
          .counter = Book::consumption,
          .held = -p.amount,
          .hold = h.id,
          .spend = spend,
          .tool = &h.tool,
          .member = &h.member,
          .project = &h.project},
         now, out);
  }
  record_spend(spend, h.account, consumed, h.tool, h.price_book_version, h.id, now);
  Spend& made = spends_[spend];
  made.member = h.member;
  made.project = h.project;
  made.counted_at = h.created_at;
  made.outcome = c.outcome;
  uncount_budgets(h.account, h.member, h.project, h.amount - amount, h.id.value, h.created_at, now);
  static const std::string k_rest_reason = "released: captured less than held";
  Restored restored =
      restore(h.account, rest, /*from_held=*/true, h.tool, h.id, {}, k_rest_reason, now, out);
  CaptureReply reply{
      h.id, spend, amount, h.amount - amount, std::move(consumed), std::move(restored)};
  end_hold(h, HoldState::captured, spend, now);  // h is gone after this
  return reply;
}

Result Ledger::release(const Release& c, TimeUs now, std::vector<Entry>* out) {
  if (auto e = check_text("reason", c.reason, config_.reason_length_max, false)) {
    return std::unexpected(*e);
  }
  auto active = active_hold(c.hold);
  if (!active) return std::unexpected(std::move(active.error()));
  Hold& h = **active;
  Restored restored =
      restore(h.account, h.portions, /*from_held=*/true, h.tool, h.id, {}, c.reason, now, out);
  uncount_budgets(h.account, h.member, h.project, h.amount, h.id.value, h.created_at, now);
  ReleaseReply reply{h.id, h.amount, std::move(restored)};
  end_hold(h, HoldState::released, {}, now);  // h is gone after this
  return reply;
}

void Ledger::end_hold(Hold& h, HoldState state, SpendId spend, TimeUs now) {
  TALLY_CHECK(state != HoldState::active);
  hold_timeouts_.erase({h.expires_at, h.id});
  TALLY_CHECK(accounts_[h.account].open_holds > 0);
  --accounts_[h.account].open_holds;
  // Only what answers a late capture or release is kept; the spend keeps the rest.
  finished_.emplace(h.id, FinishedHold{state, h.expires_at, spend, now});
  finished_holds_.emplace_back(now, h.id);
  touch(h.account);
  if (tracking()) {
    changes_.holds_gone.push_back(h.id);
    changes_.finished_put.push_back(h.id);
  }
  holds_.erase(h.id);
}

Result Ledger::spend_now(const SpendNow& c, TimeUs now, std::vector<Entry>* out) {
  auto checked = check_debit(c.account, c.amount, c.tool, c.price_book_version, c.params);
  if (!checked) return std::unexpected(std::move(checked.error()));
  const uint32_t account = *checked;
  if (auto e = check_team_debit(accounts_[account], c.member, c.project, c.amount, now)) {
    return std::unexpected(std::move(*e));
  }
  auto portions = choose_portions(accounts_[account], c.amount, c.tool, now);
  if (!portions) return std::unexpected(std::move(portions.error()));
  const SpendId spend{next_id()};
  for (const Portion& p : *portions) {
    post(account, p.lot,
         {.kind = EntryKind::spend,
          .counter = Book::consumption,
          .amount = -p.amount,
          .spend = spend,
          .tool = &c.tool,
          .member = &c.member,
          .project = &c.project},
         now, out);
  }
  record_spend(spend, account, *portions, c.tool, c.price_book_version, {}, now);
  Spend& made = spends_[spend];
  made.member = c.member;
  made.project = c.project;
  made.counted_at = now;
  made.outcome = c.outcome;
  count_budgets(account, c.member, c.project, c.amount, spend.value, now);
  return SpendReply{spend, c.amount, std::move(*portions)};
}

Result Ledger::mark_outcome(const MarkOutcome& c, TimeUs now) {
  if (c.outcome == Outcome::none) {
    return std::unexpected(
        make_error(ErrorCode::invalid_request, "outcome must be 'usable' or 'rejected'"));
  }
  auto it = spends_.find(c.spend);
  // A spend the store lent back (Ledger::lend_spend) may be past its retention, as for refunds.
  if (it == spends_.end() || add_us(it->second.at, config_.spend_retention_us) <= now) {
    const bool is_hold =
        holds_.contains(HoldId{c.spend.value}) || finished_.contains(HoldId{c.spend.value});
    return std::unexpected(make_error(
        ErrorCode::not_found,
        cat("no spend ", c.spend.value,
            is_hold ? " (that is a hold: mark the spend its capture made)" : "",
            " (outcomes can be marked for ", config_.spend_retention_us / k_us_per_day, " days)")));
  }
  Spend& s = it->second;
  if (s.outcome == c.outcome) return OutcomeReply{s.id, s.outcome, false};
  if (s.outcome != Outcome::none) {
    return std::unexpected(make_error(ErrorCode::outcome_conflict,
                                      cat("spend ", s.id.value, " is already marked ",
                                          outcome_name(s.outcome), "; an outcome is set once")));
  }
  s.outcome = c.outcome;
  if (tracking()) changes_.spends_put.push_back(s.id);
  return OutcomeReply{s.id, s.outcome, true};
}

void Ledger::record_spend(SpendId id, uint32_t account, const Portions& portions,
                          const std::string& tool, const std::string& version, HoldId hold,
                          TimeUs now) {
  Spend& s = spends_[id];
  s.id = id;
  s.account = account;
  s.tool = tool;
  s.price_book_version = version;
  s.at = now;
  s.hold = hold;
  s.portions = portions;
  for (const Portion& p : portions) {
    s.amount += p.amount;
    ref_lot(account, p.lot);
  }
  retained_spends_.emplace_back(now, id);
  touch(account);
  if (tracking()) changes_.spends_put.push_back(id);
}

}  // namespace tally
