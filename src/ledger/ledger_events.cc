// Events (issue 18, ledger/event.h): balance alerts, expiry notices and the events of commands,
// produced as part of the step that causes them.
#include <algorithm>

#include "ledger/check.h"
#include "ledger/ledger.h"

namespace tally {

namespace {

constexpr std::string_view k_event_names[k_event_type_count] = {
    "balance.low",     "balance.depleted",     "credits.expiring",      "credits.expired",
    "hold.timed_out",  "subscription.renewed", "subscription.past_due", "purchase.completed",
    "purchase.voided", "refund.created",       "auto_topup.requested",  "budget.threshold_reached",
    "budget.exceeded"};

}  // namespace

std::string_view event_type_name(EventType t) {
  const auto i = static_cast<size_t>(t);
  return i < k_event_type_count ? k_event_names[i] : "unknown";
}

std::optional<EventType> parse_event_type(std::string_view name) {
  for (uint8_t i = 0; i < k_event_type_count; ++i) {
    if (k_event_names[i] == name) return static_cast<EventType>(i);
  }
  return std::nullopt;
}

void Ledger::emit(EventType type, uint32_t account, TimeUs at, Credits amount, uint64_t ref,
                  TimeUs when, std::string detail, Credits threshold) {
  if (!tracking()) return;
  changes_.events.push_back(Event{.seq = ++event_seq_,
                                  .at = at,
                                  .type = type,
                                  .account = accounts_[account].id,
                                  .amount = amount,
                                  .threshold = threshold,
                                  .ref = ref,
                                  .when = when,
                                  .detail = std::move(detail)});
}

Credits Ledger::available(const Account& a, TimeUs now) const {
  Credits sum;
  for (const Lot& lot : a.lots) {
    if (lot.remaining.is_positive() && lot.is_effective_at(now) && !lot.is_expired_at(now)) {
      sum += lot.remaining;
    }
  }
  return sum;
}

Credits Ledger::low_threshold(const Account& a) const {
  if (a.alerts.low_balance) return *a.alerts.low_balance;
  if (!a.subscription || !catalog_) return {};
  const Plan* plan = catalog_->find_plan(a.subscription->plan);
  return plan != nullptr ? plan->low_balance : Credits{};
}

int64_t Ledger::expiring_notice_us(const Account& a) const {
  if (a.alerts.expiring_notice_us) return *a.alerts.expiring_notice_us;
  if (!a.subscription || !catalog_) return 0;
  const Plan* plan = catalog_->find_plan(a.subscription->plan);
  return plan != nullptr ? plan->expiring_notice_us : 0;
}

void Ledger::watch_balance(uint32_t account, TimeUs at) {
  if (!tracking()) return;
  if (std::find(watched_.begin(), watched_.end(), account) != watched_.end()) return;
  watched_.push_back(account);
  Account& a = accounts_[account];
  const Credits now_available = available(a, at);
  const Credits threshold = low_threshold(a);
  if (threshold.is_positive() && now_available >= threshold) a.low_armed = true;
  if (now_available.is_positive()) a.depleted_armed = true;
  if (a.auto_topup && now_available >= a.auto_topup->settings.below) a.auto_topup->armed = true;
}

void Ledger::check_balances(TimeUs at) {
  for (uint32_t account : watched_) {
    Account& a = accounts_[account];
    const Credits now_available = available(a, at);
    const Credits threshold = low_threshold(a);
    if (!threshold.is_positive() || now_available >= threshold) {
      a.low_armed = threshold.is_positive();
    } else if (a.low_armed) {
      a.low_armed = false;
      emit(EventType::balance_low, account, at, now_available, 0, TimeUs::never(), {}, threshold);
    }
    if (now_available.is_positive()) {
      a.depleted_armed = true;
    } else if (a.depleted_armed) {
      a.depleted_armed = false;
      emit(EventType::balance_depleted, account, at, now_available);
    }
    check_auto_topup(account, now_available, at);
    touch(account);
  }
  watched_.clear();
}

void Ledger::set_notice(uint32_t account, Lot& lot, TimeUs now) {
  const int64_t notice = expiring_notice_us(accounts_[account]);
  if (!lot.notice_at.is_never()) notices_.erase({lot.notice_at, lot.id});
  lot.notice_at = TimeUs::never();
  if (notice <= 0 || lot.expires_at.is_never() || lot.voided || lot.noticed) return;
  // Expiries are within k_time_min..k_time_max and a notice at most a few years: no overflow.
  lot.notice_at = std::max(TimeUs{lot.expires_at.us - notice}, now);
  if (lot.notice_at >= lot.expires_at) {  // no notice shorter than nothing
    lot.notice_at = TimeUs::never();
    return;
  }
  notices_.emplace(lot.notice_at, lot.id);
}

void Ledger::run_notice(LotId id, TimeUs at) {
  const uint32_t account = lot_account_.at(id);
  Lot* lot = lot_in(account, id);
  TALLY_CHECK(lot != nullptr && lot->notice_at == at);
  lot->notice_at = TimeUs::never();
  lot->noticed = true;
  touch_lot(account, id);
  if (lot->remaining.is_positive() && !lot->voided) {
    emit(EventType::credits_expiring, account, at, lot->remaining, id.value, lot->expires_at);
  }
}

void Ledger::run_notices_due(TimeUs now) {
  while (!notices_.empty() && notices_.begin()->first <= now) {
    auto [at, id] = *notices_.begin();
    notices_.erase(notices_.begin());
    run_notice(id, at);
  }
}

Result Ledger::set_alerts(const SetAlerts& c) {
  auto index = account_for(c.account);
  if (!index) return std::unexpected(index.error());
  if (c.alerts.low_balance && c.alerts.low_balance->is_negative()) {
    return std::unexpected(
        make_error(ErrorCode::invalid_request, "low_balance must not be negative"));
  }
  if (c.alerts.expiring_notice_us && *c.alerts.expiring_notice_us < 0) {
    return std::unexpected(
        make_error(ErrorCode::invalid_request, "expiring_notice must not be negative"));
  }
  Account& a = accounts_[*index];
  a.alerts = c.alerts;
  touch(*index);
  // The new notice applies to every lot not yet noticed; the threshold is armed from now.
  for (Lot& lot : a.lots) {
    if (lot.noticed) continue;
    set_notice(*index, lot, now_);
    touch_lot(*index, lot.id);
  }
  const Credits threshold = low_threshold(a);
  a.low_armed = threshold.is_positive() && available(a, now_) >= threshold;
  return AlertsReply{a.id, a.alerts};
}

}  // namespace tally
