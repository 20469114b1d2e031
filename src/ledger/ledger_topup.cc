// Auto top-up (issue 18, docs/events.md "Auto top-up"): the ledger asks the platform to sell an
// account a pack when its available credits fall below a threshold, one request at a time, and
// the purchase posted with the request's payment_ref completes it. Like the balance alerts it
// is decided once a step is done (check_balances), so it needs the ledger's change tracking
// (a store): without one no request is ever made.
#include <algorithm>

#include "ledger/check.h"
#include "ledger/ledger.h"
#include "ledger/text.h"

namespace tally {

namespace {

constexpr std::string_view k_payment_ref_prefix = "auto_topup_";

// The wait before asking again after `failures` failed requests in a row (>= 1): the backoff,
// doubled per failure, at most a day (or the backoff itself when it is longer).
int64_t retry_wait_us(int64_t backoff_us, uint32_t failures) {
  const int64_t cap = std::max(backoff_us, k_us_per_day);
  int64_t wait = backoff_us;
  for (uint32_t i = 1; i < failures && wait < cap; ++i) wait *= 2;
  return std::min(wait, cap);
}

}  // namespace

std::string auto_topup_payment_ref(uint64_t id) { return cat(k_payment_ref_prefix, id); }

void Ledger::schedule_auto_topup(uint32_t account) {
  const AutoTopup& t = *accounts_[account].auto_topup;
  const TimeUs due = t.pending != 0 ? t.pending_until : t.retry_at;
  if (!due.is_never()) topup_timers_.emplace(due, account);
}

void Ledger::unschedule_auto_topup(uint32_t account) {
  const AutoTopup& t = *accounts_[account].auto_topup;
  const TimeUs due = t.pending != 0 ? t.pending_until : t.retry_at;
  if (!due.is_never()) topup_timers_.erase({due, account});
}

void Ledger::check_auto_topup(uint32_t account, Credits available, TimeUs at) {
  Account& a = accounts_[account];
  if (!a.auto_topup) return;
  AutoTopup& t = *a.auto_topup;
  if (available >= t.settings.below) {
    if (t.pending == 0 && t.failures > 0) {  // recovered without a top-up: no more retries
      unschedule_auto_topup(account);
      t.failures = 0;
      t.retry_at = TimeUs::never();
    }
    t.armed = true;
    touch(account);
    return;
  }
  // Below: ask once per crossing, never while a request is outstanding or backing off.
  if (!t.armed || t.pending != 0 || !t.retry_at.is_never()) return;
  t.armed = false;
  request_auto_topup(account, at);
}

void Ledger::request_auto_topup(uint32_t account, TimeUs at) {
  Account& a = accounts_[account];
  AutoTopup& t = *a.auto_topup;
  touch(account);
  const Pack* pack = catalog_ ? catalog_->find_pack(t.settings.pack) : nullptr;
  const std::optional<Money> price =
      pack != nullptr ? pack->price_for(t.settings.currency, t.settings.region) : std::nullopt;
  // A pack no longer sold so (the catalog changed since the settings were made): no request;
  // GET .../auto_topup shows the settings, and setting them again checks them.
  if (!price) return;
  unschedule_auto_topup(account);
  t.pending = next_id();
  t.pending_until = TimeUs{at.us + config_.auto_topup_timeout_us};
  topup_pending_.emplace(t.pending, account);
  schedule_auto_topup(account);
  emit(EventType::auto_topup_requested, account, at, pack->credits, t.pending, t.pending_until,
       pack->id, t.settings.below);
  if (tracking()) {
    Event& e = changes_.events.back();
    e.price = *price;
    e.region = t.settings.region;
  }
}

void Ledger::settle_auto_topup(uint32_t account, TimeUs at, bool failed) {
  AutoTopup& t = *accounts_[account].auto_topup;
  unschedule_auto_topup(account);
  if (t.pending != 0) topup_pending_.erase(t.pending);
  t.pending = 0;
  t.pending_until = {};
  if (failed) {
    ++t.failures;
    t.retry_at = TimeUs{at.us + retry_wait_us(config_.auto_topup_backoff_us, t.failures)};
  } else {
    t.failures = 0;
    t.retry_at = TimeUs::never();
  }
  schedule_auto_topup(account);
  touch(account);
}

void Ledger::run_auto_topup_due(uint32_t account, TimeUs at) {
  Account& a = accounts_[account];
  TALLY_CHECK(a.auto_topup.has_value());
  AutoTopup& t = *a.auto_topup;
  if (t.pending != 0) {  // it timed out: a failure
    TALLY_CHECK(t.pending_until == at);
    settle_auto_topup(account, at, true);
    return;
  }
  TALLY_CHECK(t.retry_at == at);
  t.retry_at = TimeUs::never();
  touch(account);
  if (available(a, at) < t.settings.below) {
    request_auto_topup(account, at);
  } else {
    t.failures = 0;
    t.armed = true;
  }
}

void Ledger::complete_auto_topup(uint32_t account, const std::string& payment_ref) {
  Account& a = accounts_[account];
  if (!a.auto_topup || a.auto_topup->pending == 0) return;
  if (payment_ref != auto_topup_payment_ref(a.auto_topup->pending)) return;
  settle_auto_topup(account, now_, false);
}

Result Ledger::set_auto_topup(const SetAutoTopup& c) {
  auto index = account_for(c.account);
  if (!index) return std::unexpected(index.error());
  Account& a = accounts_[*index];
  if (!c.settings) {
    if (a.auto_topup) {
      unschedule_auto_topup(*index);
      if (a.auto_topup->pending != 0) topup_pending_.erase(a.auto_topup->pending);
      a.auto_topup.reset();
      touch(*index);
    }
    return AutoTopupReply{a.id, std::nullopt};
  }
  const AutoTopupSettings& s = *c.settings;
  if (!s.below.is_positive()) {
    return std::unexpected(make_error(ErrorCode::invalid_request, "below must be positive"));
  }
  const Pack* pack = catalog_ ? catalog_->find_pack(s.pack) : nullptr;
  if (pack == nullptr) {
    return std::unexpected(make_error(
        ErrorCode::invalid_request,
        cat("no pack '", s.pack, "'", catalog_ ? cat("; packs: ", catalog_->pack_ids()) : "")));
  }
  if (!pack->price_for(s.currency, s.region)) {
    return std::unexpected(
        make_error(ErrorCode::invalid_request,
                   cat("pack '", pack->id, "' is not sold in '", s.currency, "'",
                       s.region.empty() ? "" : cat(" in region '", s.region, "'"))));
  }
  if (!a.auto_topup) a.auto_topup.emplace();
  a.auto_topup->settings = s;
  // Armed from now: an account already below asks at once (when the ledger tracks changes).
  a.auto_topup->armed = true;
  touch(*index);
  if (tracking()) check_auto_topup(*index, available(a, now_), now_);
  return AutoTopupReply{a.id, a.auto_topup};
}

Result Ledger::end_auto_topup(uint64_t id, const std::string& reason, bool failed) {
  if (auto e = check_text("reason", reason, config_.reason_length_max, false)) {
    return std::unexpected(*e);
  }
  auto it = topup_pending_.find(id);
  if (it == topup_pending_.end()) {
    return std::unexpected(make_error(
        ErrorCode::not_found, cat("no outstanding auto top-up ", id,
                                  " (it was completed, failed, cancelled, timed out or turned off)")));
  }
  const uint32_t account = it->second;
  settle_auto_topup(account, now_, failed);
  Account& a = accounts_[account];
  if (!failed) a.auto_topup->armed = false;  // cancelled: not again until it rises and falls
  return AutoTopupReply{a.id, a.auto_topup};
}

}  // namespace tally
