// How credits come in (issue 4): subscriptions with renewals anchored to their start, rollover
// at period boundaries (DESIGN rule 6), daily rewards and purchases of packs.
#include <algorithm>

#include "ledger/check.h"
#include "ledger/ledger.h"
#include "ledger/lot_order.h"
#include "ledger/text.h"

namespace tally {
namespace {

std::string plan_ids(const Catalog& c) {
  std::string out;
  for (const Plan& p : c.plans) out += cat(out.empty() ? "" : ", ", p.id);
  return out.empty() ? "none configured" : out;
}

}  // namespace

std::string_view Subscription::state() const {
  if (past_due) return "past_due";  // a payment problem matters most; cancelling says the rest
  return cancel_at_period_end ? "cancelling" : "active";
}

LotId Ledger::grant_internal(uint32_t account, Source source, Credits amount, TimeUs now,
                             TimeUs expires_at, const std::string& reference,
                             const std::string& reason, std::vector<Entry>* out,
                             const CostBasis& cost_basis) {
  TALLY_CHECK(amount.is_positive() && expires_at > now);
  Lot lot;
  lot.source = source;
  lot.amount = amount;
  lot.granted_at = now;
  lot.effective_at = now;
  lot.expires_at = expires_at;
  lot.cost_basis = cost_basis;
  lot.reference = reference;
  lot.reason = reason;
  return create_lot(account, std::move(lot), {.counter = Book::issuance, .reason = &reason}, now,
                    out);
}

LotId Ledger::grant_signup_once(uint32_t account, const Plan& plan, TimeUs now,
                                std::vector<Entry>* out) {
  Account& a = accounts_[account];
  if (a.signup_granted || !plan.signup_grant.is_positive()) return {};
  a.signup_granted = true;
  return grant_internal(account, Source::signup, plan.signup_grant, now,
                        plan.signup_validity.expiry_from(now), cat("plan:", plan.id),
                        "signup grant", out);
}

SubscriptionReply Ledger::subscription_reply(const Account& a) const {
  const Subscription& s = *a.subscription;
  SubscriptionReply r;
  r.account = a.id;
  r.plan = s.plan;
  r.pending_plan = s.pending_plan;
  r.state = std::string(s.state());
  r.cancel_at_period_end = s.cancel_at_period_end;
  r.period_start = s.period_start;
  r.period_end = s.period_end;
  r.allocation = s.allocation;
  return r;
}

void Ledger::set_catalog(std::shared_ptr<const Catalog> catalog) {
  TALLY_CHECK(catalog != nullptr);
  for (const Account& a : accounts_) {
    if (!a.subscription) continue;
    TALLY_CHECK(catalog->find_plan(a.subscription->plan) != nullptr);
    TALLY_CHECK(a.subscription->pending_plan.empty() ||
                catalog->find_plan(a.subscription->pending_plan) != nullptr);
  }
  catalog_ = std::move(catalog);
}

LotId Ledger::grant_allocation(uint32_t account, TimeUs now, std::vector<Entry>* out) {
  Subscription& s = *accounts_[account].subscription;
  if (s.past_due || s.allocated) return {};
  s.allocated = true;
  if (!s.allocation.is_positive()) return {};
  const Plan* plan = catalog_->find_plan(s.plan);
  TALLY_CHECK(plan != nullptr);
  const LotId id = grant_internal(account, Source::subscription, s.allocation, now, s.period_end,
                                  cat("plan:", plan->id),
                                  cat(plan->name.empty() ? plan->id : plan->name, " ",
                                      period_name(plan->period), " allocation"),
                                  out);
  lot_in(account, id)->plan_credit = true;
  touch_lot(account, id);
  return id;
}

void Ledger::start_subscription(uint32_t account, const Plan& plan, Credits allocation, TimeUs now,
                                std::vector<Entry>* out, SubscriptionReply* reply) {
  touch(account);
  Account& a = accounts_[account];
  Subscription s;
  s.plan = plan.id;
  s.anchor = now;
  s.period_start = now;
  s.period_end = period_end(now, plan.period, 0);
  s.allocation = allocation;
  a.subscription = std::move(s);
  renewals_.emplace(a.subscription->period_end, account);
  const LotId signup = grant_signup_once(account, plan, now, out);
  const LotId allocation_lot = grant_allocation(account, now, out);
  *reply = subscription_reply(accounts_[account]);
  reply->signup_lot = signup;
  reply->allocation_lot = allocation_lot;
}

void Ledger::shorten_expiry(uint32_t account, LotId id, TimeUs at) {
  touch_lot(account, id);
  auto& lots = accounts_[account].lots;
  auto it = std::find_if(lots.begin(), lots.end(), [id](const Lot& l) { return l.id == id; });
  TALLY_CHECK(it != lots.end() && it->expires_at > at);
  Lot lot = std::move(*it);
  lots.erase(it);
  if (!lot.expires_at.is_never()) lot_expiries_.erase({lot.expires_at, id});
  lot.expires_at = at;
  lot_expiries_.emplace(at, id);
  auto pos = std::upper_bound(lots.begin(), lots.end(), lot, [this](const Lot& a, const Lot& b) {
    return consumes_before(a, b, config_);
  });
  lots.insert(pos, std::move(lot));
}

LotId Ledger::end_period(uint32_t account, Credits cap, TimeUs at, TimeUs period_end,
                         TimeUs new_end, std::vector<Entry>* out) {
  // The plan's credits of this period (its allocation and the rollover lot that began it), in
  // consumption order. An upgrade ends the period before period_end: those lots end with it,
  // held portions included (rule 3 decides their return).
  std::vector<LotId> ids;
  Credits total;
  for (const Lot& lot : accounts_[account].lots) {
    if (!lot.plan_credit || lot.voided || lot.expires_at != period_end) continue;
    if (lot.remaining.is_zero() && lot.held.is_zero()) continue;
    ids.push_back(lot.id);
    total += lot.remaining;
  }
  for (LotId id : ids) {
    if (lot_in(account, id)->expires_at > at) shorten_expiry(account, id, at);
  }
  const Credits carry = min(total, cap);
  LotId rollover;
  std::string carried_reason;
  if (carry.is_positive()) {
    Lot lot;  // granted below, once the carried credits have left their lots
    lot.source = Source::rollover;
    lot.plan_credit = true;
    lot.amount = carry;
    lot.granted_at = at;
    lot.effective_at = at;
    lot.expires_at = new_end;
    lot.reference = "rollover";
    lot.reason = cat("rollover of ", format_credits(carry), " (cap ", format_credits(cap), ")");
    rollover = insert_lot(account, std::move(lot)).id;
    carried_reason = cat("rolled over into lot ", rollover.value);
  }
  static const std::string k_expired = "expired at period end";
  Credits left = carry;
  for (LotId id : ids) {
    const Lot* lot = lot_in(account, id);
    const Credits take = min(left, lot->remaining);
    const Credits rest = lot->remaining - take;
    left -= take;
    for (auto [part, reason] : {std::pair<Credits, const std::string*>{take, &carried_reason},
                                std::pair<Credits, const std::string*>{rest, &k_expired}}) {
      if (!part.is_positive()) continue;
      post(account, id,
           {.kind = EntryKind::expire, .counter = Book::expired, .amount = -part, .reason = reason},
           at, out);
    }
  }
  if (carry.is_positive()) {
    const std::string reason = lot_in(account, rollover)->reason;
    post(account, rollover,
         {.kind = EntryKind::grant, .counter = Book::expired, .amount = carry, .reason = &reason},
         at, out);
  }
  for (LotId id : ids) maybe_drop_lot(account, id);
  return rollover;
}

void Ledger::renew(uint32_t account, TimeUs at, std::vector<Entry>* out) {
  touch(account);
  Account& a = accounts_[account];
  TALLY_CHECK(a.subscription.has_value() && a.subscription->period_end == at);
  Subscription& s = *a.subscription;
  if (s.cancel_at_period_end) {
    a.subscription.reset();  // the plan's credits expire at their own expiry, this instant
    return;
  }
  const Plan* old_plan = catalog_->find_plan(s.plan);
  TALLY_CHECK(old_plan != nullptr);
  const bool change = !s.pending_plan.empty();  // a downgrade, or a new custom allocation
  const Plan* next = change ? catalog_->find_plan(s.pending_plan) : old_plan;
  TALLY_CHECK(next != nullptr);
  // Renewals stay anchored to the start (Jan 31 -> Feb 29 -> Mar 31) while the period length
  // stays; a plan with another period length starts its own schedule at this boundary.
  const bool same_schedule = next->period == old_plan->period;
  const TimeUs new_end = same_schedule ? period_end(s.anchor, old_plan->period, s.period + 1)
                                       : period_end(at, next->period, 0);
  end_period(account, old_plan->rollover_cap, at, at, new_end, out);
  Subscription& t = *accounts_[account].subscription;
  if (same_schedule) {
    ++t.period;
  } else {
    t.anchor = at;
    t.period = 0;
  }
  if (change) {
    t.plan = next->id;
    t.allocation = t.pending_allocation.value_or(next->allocation);
  }
  t.pending_plan.clear();
  t.pending_allocation.reset();
  t.period_start = at;
  t.period_end = new_end;
  t.allocated = false;
  grant_allocation(account, at, out);
  renewals_.emplace(new_end, account);
  emit(EventType::subscription_renewed, account, at, t.allocation, 0, new_end, t.plan);
}

Result Ledger::set_plan(const SetPlan& c, TimeUs now, std::vector<Entry>* out) {
  auto account = account_for(c.account);
  if (!account) return std::unexpected(account.error());
  const Plan* plan = catalog_->find_plan(c.plan);
  if (plan == nullptr) {
    return std::unexpected(make_error(ErrorCode::invalid_request,
                                      cat("no plan '", c.plan, "'; plans: ", plan_ids(*catalog_))));
  }
  if (plan->custom_allocation != c.allocation.has_value()) {
    return std::unexpected(
        make_error(ErrorCode::invalid_request,
                   cat("plan '", plan->id, "' ", plan->custom_allocation ? "needs" : "takes no",
                       " allocation of its own")));
  }
  if (c.allocation && (!c.allocation->is_positive() || *c.allocation > config_.amount_max)) {
    return std::unexpected(make_error(ErrorCode::invalid_request,
                                      "allocation must be > 0 and within the amount bound"));
  }
  // A team account stays within what its plan allows (rule 11): a plan without teams, or with
  // fewer members than the team has, is refused, whether it starts now or at the period end.
  if (const std::optional<Team>& team = accounts_[*account].team) {
    if (plan->team_members == 0) {
      return std::unexpected(make_error(
          ErrorCode::invalid_request,
          cat("plan '", plan->id, "' does not allow teams; '", c.account, "' is a team account")));
    }
    if (team->members.size() > plan->team_members) {
      return std::unexpected(make_error(
          ErrorCode::limit_exceeded,
          cat("team account '", c.account, "' has ", team->members.size(), " members; plan '",
              plan->id, "' allows ", plan->team_members, ": remove members first")));
    }
  }
  const Credits allocation = c.allocation.value_or(plan->allocation);
  touch(*account);
  Account& a = accounts_[*account];
  SubscriptionReply reply;
  if (!a.subscription) {
    start_subscription(*account, *plan, allocation, now, out, &reply);
    return reply;
  }
  Subscription& s = *a.subscription;
  const Plan* current = catalog_->find_plan(s.plan);
  TALLY_CHECK(current != nullptr);
  if (plan == current && allocation == s.allocation) {
    s.pending_plan.clear();  // keep the current plan: withdraw a pending change or cancellation
    s.pending_allocation.reset();
    s.cancel_at_period_end = false;
    return subscription_reply(a);
  }
  if (plan->tier <= current->tier) {  // downgrade or lateral move: at the period end
    s.pending_plan = plan->id;
    s.pending_allocation = c.allocation;
    s.cancel_at_period_end = false;
    return subscription_reply(a);
  }
  // Upgrade: the current period ends now with the old plan's rollover; the new plan's first
  // full period starts now.
  const TimeUs new_end = period_end(now, plan->period, 0);
  const LotId rollover =
      end_period(*account, current->rollover_cap, now, s.period_end, new_end, out);
  renewals_.erase({s.period_end, *account});
  Subscription& t = *accounts_[*account].subscription;
  t.plan = plan->id;
  t.anchor = now;
  t.period = 0;
  t.period_start = now;
  t.period_end = new_end;
  t.allocation = allocation;
  t.allocated = false;
  t.pending_plan.clear();
  t.pending_allocation.reset();
  t.cancel_at_period_end = false;
  renewals_.emplace(new_end, *account);
  const LotId signup = grant_signup_once(*account, *plan, now, out);
  const LotId allocated = grant_allocation(*account, now, out);
  reply = subscription_reply(accounts_[*account]);
  reply.allocation_lot = allocated;
  reply.rollover_lot = rollover;
  reply.signup_lot = signup;
  return reply;
}

std::expected<uint32_t, LedgerError> Ledger::subscribed(const std::string& id) const {
  auto account = account_for(id);
  if (account && !accounts_[*account].subscription) {
    return std::unexpected(
        make_error(ErrorCode::not_subscribed, cat("account '", id, "' has no subscription")));
  }
  return account;
}

Result Ledger::cancel_subscription(const CancelSubscription& c) {
  auto account = subscribed(c.account);
  if (!account) return std::unexpected(account.error());
  touch(*account);
  Account& a = accounts_[*account];
  a.subscription->cancel_at_period_end = true;
  a.subscription->pending_plan.clear();
  a.subscription->pending_allocation.reset();
  return subscription_reply(a);
}

Result Ledger::mark_past_due(const MarkPastDue& c) {
  auto account = subscribed(c.account);
  if (!account) return std::unexpected(account.error());
  touch(*account);
  Account& a = accounts_[*account];
  a.subscription->past_due = true;
  emit(EventType::subscription_past_due, *account, now_, {}, 0, a.subscription->period_end,
       a.subscription->plan);
  return subscription_reply(a);
}

Result Ledger::resume_subscription(const ResumeSubscription& c, TimeUs now,
                                   std::vector<Entry>* out) {
  auto account = subscribed(c.account);
  if (!account) return std::unexpected(account.error());
  touch(*account);
  // Back to active: a failed payment recovered, and a cancellation at the period end withdrawn
  // (a pending plan change stays; setting the current plan withdraws that too).
  accounts_[*account].subscription->past_due = false;
  accounts_[*account].subscription->cancel_at_period_end = false;
  const LotId lot = grant_allocation(*account, now, out);
  SubscriptionReply reply = subscription_reply(accounts_[*account]);
  reply.allocation_lot = lot;
  return reply;
}

Result Ledger::claim_daily_reward(const ClaimDailyReward& c, TimeUs now, std::vector<Entry>* out) {
  auto account = account_for(c.account);
  if (!account) return std::unexpected(account.error());
  Account& a = accounts_[*account];
  const Plan* plan = a.subscription ? catalog_->find_plan(a.subscription->plan) : nullptr;
  if (plan == nullptr || !plan->daily_reward) {
    return std::unexpected(
        make_error(ErrorCode::reward_unavailable,
                   cat("account '", c.account, "' has no plan with a daily", " reward")));
  }
  const TimeUs day = day_start(now);
  if (a.last_reward_day == day) {
    return std::unexpected(
        make_error(ErrorCode::already_claimed, cat("today's reward was claimed; the next one from ",
                                                   format_time(add_us(day, k_us_per_day)))));
  }
  const DailyReward& rule = *plan->daily_reward;
  const DailyRewardAt reward = catalog_->daily_reward_at(*plan, now);
  const std::optional<Credits> amount = reward.amount;
  const Season* season = reward.season;
  if (!amount || !amount->is_positive() || *amount > config_.amount_max) {
    return std::unexpected(make_error(ErrorCode::reward_unavailable, "no reward today"));
  }
  if (auto e = check_room(a, *amount)) return std::unexpected(*e);
  if (auto e = check_lots(a, 1)) return std::unexpected(*e);
  a.last_reward_day = day;
  touch(*account);
  const std::string reason = season ? cat("daily reward (", season->id, ")") : "daily reward";
  const TimeUs expires = rule.validity.expiry_from(now);
  const LotId lot = grant_internal(*account, Source::reward, *amount, now, expires,
                                   cat("daily:", format_time(day).substr(0, 10)), reason, out);
  return RewardReply{lot, *amount, expires, season ? season->id : ""};
}

}  // namespace tally

namespace tally {

Result Ledger::purchase(const Purchase& c, TimeUs now, std::vector<Entry>* out) {
  auto account = account_for(c.account);
  if (!account) return std::unexpected(account.error());
  if (auto e = check_text("payment_ref", c.payment_ref, config_.reference_length_max, true)) {
    return std::unexpected(*e);
  }
  const CommandDigest print = fingerprint(Command{c});
  if (auto it = purchase_by_payment_.find(c.payment_ref); it != purchase_by_payment_.end()) {
    const PurchaseRecord& rec = purchases_.at(it->second);
    if (rec.fingerprint == print) return rec.reply;  // a retried webhook: the first reply
    return std::unexpected(
        make_error(ErrorCode::idempotency_conflict,
                   cat("payment_ref '", c.payment_ref, "' was used for a different purchase")));
  }
  const Pack* pack = catalog_->find_pack(c.pack);
  if (pack == nullptr) {
    return std::unexpected(make_error(ErrorCode::invalid_request,
                                      cat("no pack '", c.pack, "'; packs: ", catalog_->pack_ids())));
  }
  const std::optional<Money> price = pack->price_for(c.currency, c.region);
  if (!price) {
    return std::unexpected(
        make_error(ErrorCode::invalid_request,
                   cat("pack '", pack->id, "' is not sold in '", c.currency, "'",
                       c.region.empty() ? "" : cat(" in region '", c.region, "'"))));
  }
  Account& a = accounts_[*account];
  const Plan* plan = a.subscription ? catalog_->find_plan(a.subscription->plan) : nullptr;
  Credits bonus = pack->bonus;
  if (plan != nullptr && plan->purchase_bonus_percent > 0) {
    bonus += *apply_ratio(pack->credits, {plan->purchase_bonus_percent, 100});
  }
  // Money already taken: bounded by credits, never refused for a count of lots (ledger.h).
  if (auto e = check_room(a, pack->credits + bonus)) return std::unexpected(*e);
  const uint64_t id = next_id();
  const std::string reference = cat("purchase:", c.payment_ref);
  const TimeUs expires = pack->validity.expiry_from(now);
  PurchaseRecord rec{
      id,   *account, c.payment_ref,
      now,  false,    PurchaseReply{id, pack->id, *price, {}, pack->credits, {}, bonus, expires},
      print};
  PurchaseReply& r = rec.reply;
  r.lot = grant_internal(*account, Source::purchase, pack->credits, now, expires, reference,
                         cat("pack ", pack->id), out, CostBasis{price->currency, price->minor});
  if (bonus.is_positive()) {
    r.bonus_lot =
        grant_internal(*account, Source::promo, bonus, now, pack->bonus_validity.expiry_from(now),
                       reference, cat("bonus with pack ", pack->id), out);
  }
  for (LotId lot : {r.lot, r.bonus_lot}) {
    if (lot.is_set()) ref_lot(*account, lot);  // kept voidable while the record lives
  }
  PurchaseReply reply = rec.reply;
  purchase_by_payment_.emplace(c.payment_ref, id);
  purchases_.emplace(id, std::move(rec));
  purchase_order_.emplace_back(now, id);
  if (tracking()) changes_.purchases_put.push_back(id);
  emit(EventType::purchase_completed, *account, now, reply.credits + reply.bonus, id,
       TimeUs::never(), reply.pack);
  complete_auto_topup(*account, c.payment_ref);
  return reply;
}

Result Ledger::void_purchase(const VoidPurchase& c, TimeUs now, std::vector<Entry>* out) {
  if (auto e = check_text("reason", c.reason, config_.reason_length_max, false)) {
    return std::unexpected(*e);
  }
  auto it = purchases_.find(c.purchase);
  if (it == purchases_.end()) {
    return std::unexpected(
        make_error(ErrorCode::not_found,
                   cat("no voidable purchase ", c.purchase, " (purchases stay voidable for ",
                       config_.purchase_retention_us / k_us_per_day, " days)")));
  }
  PurchaseRecord& rec = it->second;
  if (rec.voided) {
    return std::unexpected(
        make_error(ErrorCode::lot_voided, cat("purchase ", c.purchase, " is already voided")));
  }
  rec.voided = true;
  if (tracking()) changes_.purchases_put.push_back(rec.id);
  VoidPurchaseReply reply;
  reply.purchase = rec.id;
  for (LotId lot : {rec.reply.lot, rec.reply.bonus_lot}) {
    if (!lot.is_set() || lot_in(rec.account, lot)->voided) continue;
    VoidReply v = void_open_lot(rec.account, lot, c.reason, now, out);
    reply.voided += v.voided;
    reply.consumed += v.consumed;
    reply.held += v.held;
    reply.expired += v.expired;
    reply.lots.push_back(v);
  }
  emit(EventType::purchase_voided, rec.account, now, reply.voided, rec.id, TimeUs::never(),
       rec.reply.pack);
  return reply;
}

}  // namespace tally
