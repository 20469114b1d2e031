// Ledger: construction, the apply loop with idempotency, accounts, grants and the one function
// that changes lot books (post).
#include "ledger/ledger.h"

#include <algorithm>

#include "ledger/check.h"
#include "ledger/lot_order.h"
#include "ledger/text.h"

namespace tally {
namespace {

// Ids and tool names: A-Z a-z 0-9 . _ - : @ + ~ (safe in URLs, logs and file names).
constexpr std::array<bool, 256> k_id_chars = [] {
  std::array<bool, 256> t{};
  for (int c = 'a'; c <= 'z'; ++c) t[static_cast<size_t>(c)] = true;
  for (int c = 'A'; c <= 'Z'; ++c) t[static_cast<size_t>(c)] = true;
  for (int c = '0'; c <= '9'; ++c) t[static_cast<size_t>(c)] = true;
  for (char c : {'.', '_', '-', ':', '@', '+', '~'}) t[static_cast<unsigned char>(c)] = true;
  return t;
}();

bool is_iso_currency(const std::array<char, 3>& c) {
  return std::all_of(c.begin(), c.end(), [](char ch) { return ch >= 'A' && ch <= 'Z'; });
}

}  // namespace

bool is_id_char(char c) {
  return k_id_chars[static_cast<unsigned char>(c)];
}

Ledger::Ledger(LedgerConfig config, std::shared_ptr<const Catalog> catalog, ShardId shard)
    : config_(std::move(config)),
      shard_(shard),
      catalog_(catalog ? std::move(catalog) : std::make_shared<const Catalog>()) {
  TALLY_CHECK(config_.hold_ttl_default_us > 0);
  TALLY_CHECK(config_.hold_ttl_default_us <= config_.hold_ttl_max_us);
  TALLY_CHECK(config_.refund_grace_us > 0);
  TALLY_CHECK(config_.amount_max.is_positive());
}

uint64_t Ledger::next_id() {
  ++id_counter_;
  TALLY_CHECK(id_counter_ < (uint64_t{1} << k_id_shard_shift));
  return (static_cast<uint64_t>(shard_) << k_id_shard_shift) | id_counter_;
}

Result Ledger::apply(const Request& request, TimeUs now, std::vector<Entry>* out) {
  return run(request, now, out, true);
}

Result Ledger::apply_unchanged(const Request& request, TimeUs now, std::vector<Entry>* out) {
  return run(request, now, out, false);
}

namespace {
LedgerError conflict(const std::string& key) {
  return make_error(ErrorCode::idempotency_conflict,
                    cat("idempotency key '", key, "' was used for a different request"));
}
}  // namespace

const Ledger::Idempotent* Ledger::remembered(const std::string& key) const {
  if (auto it = idempotency_.find(key); it != idempotency_.end()) return &it->second;
  if (auto gone = leaving_.find(key); gone != leaving_.end()) return &gone->second;
  return nullptr;
}

std::optional<Recalled> Ledger::recall(const Request& request) const {
  const Idempotent* first = remembered(request.idempotency_key);
  if (first == nullptr) return std::nullopt;
  if (first->fingerprint != fingerprint(request.command)) {
    return Recalled{std::unexpected(conflict(request.idempotency_key)), {}};
  }
  return Recalled{first->result, first->response};
}

void Ledger::set_response(const std::string& key, std::string response) {
  auto it = idempotency_.find(key);
  TALLY_CHECK(it != idempotency_.end());
  if (it->second.response.empty()) it->second.response = std::move(response);
}

Result Ledger::run(const Request& request, TimeUs now, std::vector<Entry>* out, bool execute) {
  TALLY_CHECK(out != nullptr);
  TALLY_CHECK(now >= now_);  // the caller's clock never goes back (DESIGN rule 10)
  TALLY_CHECK(now < k_time_max);  // so every expiry computed from it is after it (time.h)
  AdvanceReply advanced = advance_to(now, out);
  if (std::holds_alternative<AdvanceTime>(request.command)) return advanced;
  const size_t first_entry = out->size();  // the command's own entries start here

  if (auto e = check_text("idempotency_key", request.idempotency_key,
                          config_.idempotency_key_length_max, true)) {
    return std::unexpected(*e);
  }
  const CommandDigest print = fingerprint(request.command);
  // One probe: a new key is inserted before the command runs and its result filled in after.
  auto [it, fresh] = idempotency_.try_emplace(request.idempotency_key);
  const Idempotent* first = fresh ? nullptr : &it->second;
  if (fresh && !leaving_.empty()) {
    if (auto gone = leaving_.find(request.idempotency_key); gone != leaving_.end()) {
      idempotency_.erase(it);
      first = &gone->second;
    }
  }
  if (first != nullptr) {
    if (first->fingerprint == print) return first->result;
    return std::unexpected(conflict(request.idempotency_key));
  }
  Result result = execute ? this->execute(request.command, now, out) : Result{NoChangeReply{}};
  run_notices_due(now);  // of lots this command granted within their notice
  check_balances(now);
  if (!result && result.error().code == ErrorCode::invalid_request) {
    idempotency_.erase(it);  // not remembered: a corrected request may reuse the key
    return result;
  }
  it->second = Idempotent{print, result, now, {}};
  if (tracking()) changes_.idempotency_put.push_back(request.idempotency_key);
  if (tracking() && execute && result) {
    audit(request, now, std::span<const Entry>(*out).subspan(first_entry));
  }
  idempotency_order_.emplace_back(now, &it->first);
  return result;
}

void Ledger::audit(const Request& request, TimeUs now, std::span<const Entry> made) {
  // The account the command names; a capture, release or refund names a hold or a spend, whose
  // account its entries carry.
  std::string account = std::visit(
      [](const auto& c) -> std::string {
        if constexpr (requires { c.account; }) {
          return c.account;
        } else {
          return {};
        }
      },
      request.command);
  if (account.empty() && !made.empty()) account = made.front().account;
  if (const auto* mark = std::get_if<MarkOutcome>(&request.command)) {  // moves no credits
    account = accounts_[spends_.at(mark->spend).account].id;
  }
  changes_.audit.push_back(AuditLine{++audit_seq_, now, request.by, request.idempotency_key,
                                     std::move(account),
                                     std::string(command_name(request.command))});
}

Result Ledger::execute(const Command& c, TimeUs now, std::vector<Entry>* out) {
  struct Visitor {
    Ledger& l;
    TimeUs now;
    std::vector<Entry>* out;
    Result operator()(const OpenAccount& c) { return l.open_account(c, now, out); }
    Result operator()(const Grant& c) { return l.grant(c, now, out); }
    Result operator()(const PlaceHold& c) { return l.place_hold(c, now, out); }
    Result operator()(const Capture& c) { return l.capture(c, now, out); }
    Result operator()(const Release& c) { return l.release(c, now, out); }
    Result operator()(const SpendNow& c) { return l.spend_now(c, now, out); }
    Result operator()(const Refund& c) { return l.refund(c, now, out); }
    Result operator()(const VoidLot& c) { return l.void_lot(c, now, out); }
    Result operator()(const SetPlan& c) { return l.set_plan(c, now, out); }
    Result operator()(const CancelSubscription& c) { return l.cancel_subscription(c); }
    Result operator()(const MarkPastDue& c) { return l.mark_past_due(c); }
    Result operator()(const ResumeSubscription& c) { return l.resume_subscription(c, now, out); }
    Result operator()(const ClaimDailyReward& c) { return l.claim_daily_reward(c, now, out); }
    Result operator()(const Purchase& c) { return l.purchase(c, now, out); }
    Result operator()(const VoidPurchase& c) { return l.void_purchase(c, now, out); }
    Result operator()(const AdvanceTime&) { return AdvanceReply{now}; }
    Result operator()(const SetAlerts& c) { return l.set_alerts(c); }
    Result operator()(const SetAutoTopup& c) { return l.set_auto_topup(c); }
    Result operator()(const FailAutoTopup& c) { return l.end_auto_topup(c.id, c.reason, true); }
    Result operator()(const CancelAutoTopup& c) {
      return l.end_auto_topup(c.id, c.reason, false);
    }
    Result operator()(const AddMember& c) { return l.add_member(c, now); }
    Result operator()(const SetMemberRole& c) { return l.set_member_role(c); }
    Result operator()(const RemoveMember& c) { return l.remove_member(c); }
    Result operator()(const AddBudget& c) { return l.add_budget(c, now); }
    Result operator()(const UpdateBudget& c) { return l.update_budget(c, now); }
    Result operator()(const RemoveBudget& c) { return l.remove_budget(c); }
    Result operator()(const MarkOutcome& c) { return l.mark_outcome(c, now); }
  };
  return std::visit(Visitor{*this, now, out}, c);
}

std::optional<LedgerError> Ledger::check_text(std::string_view what, std::string_view text,
                                              uint32_t max, bool is_id) const {
  if (text.size() > max) {
    return make_error(ErrorCode::invalid_request,
                      cat(what, " is ", text.size(), " bytes; at most ", max, " allowed"));
  }
  if (is_id && (text.empty() || !std::all_of(text.begin(), text.end(), is_id_char))) {
    return make_error(ErrorCode::invalid_request,
                      cat(what, " must be 1 to ", max, " characters of A-Z a-z 0-9 . _ - : @ + ~"));
  }
  return std::nullopt;
}

Result Ledger::open_account(const OpenAccount& c, TimeUs now, std::vector<Entry>* out) {
  if (auto e = check_text("account", c.account, config_.account_id_length_max, true)) {
    return std::unexpected(*e);
  }
  const std::string& plan_id = c.plan.empty() && !c.no_plan ? catalog_->default_plan : c.plan;
  const Plan* plan = nullptr;
  if (!plan_id.empty()) {
    plan = catalog_->find_plan(plan_id);
    if (plan == nullptr) {
      return std::unexpected(make_error(ErrorCode::invalid_request,
                                        cat("no plan '", plan_id, "'")));
    }
    if (plan->custom_allocation) {
      return std::unexpected(
          make_error(ErrorCode::invalid_request,
                     cat("plan '", plan_id, "' needs a custom allocation: open the",
                         " account without a plan, then set the plan")));
    }
    if (c.team && plan->team_members == 0) {
      return std::unexpected(make_error(
          ErrorCode::invalid_request,
          cat("plan '", plan_id, "' does not allow teams; name a plan that does, or none")));
    }
  }
  if (c.team) {
    if (auto e = check_text("owner", c.owner, k_team_name_length_max, true)) {
      return std::unexpected(*e);
    }
  } else if (!c.owner.empty()) {
    return std::unexpected(
        make_error(ErrorCode::invalid_request, "owner applies to team accounts only"));
  }
  auto [it, inserted] = account_index_.try_emplace(c.account, accounts_.size());
  if (!inserted) {
    return std::unexpected(
        make_error(ErrorCode::account_exists, cat("account '", c.account, "' exists")));
  }
  Account& a = accounts_.emplace_back();
  a.id = c.account;
  if (c.team) a.team.emplace().members.push_back(Member{c.owner, Role::owner, now});
  touch(it->second);
  OpenAccountReply reply{c.account, {}, {}, {}};
  if (plan != nullptr) {
    SubscriptionReply sub;
    start_subscription(it->second, *plan, plan->allocation, now, out, &sub);
    reply.plan = plan->id;
    reply.signup_lot = sub.signup_lot;
    reply.allocation_lot = sub.allocation_lot;
  }
  return reply;
}

std::optional<LedgerError> Ledger::check_room(const Account& a, Credits amount) const {
  auto total = checked_add(a.balance + a.held, amount);
  if (total && *total <= config_.account_total_max) return std::nullopt;
  return make_error(ErrorCode::limit_exceeded,
                    cat("account '", a.id, "' would hold more than ",
                        format_credits(config_.account_total_max), " credits"));
}

std::expected<uint32_t, LedgerError> Ledger::account_for(const std::string& id) const {
  auto it = account_index_.find(id);
  if (it == account_index_.end()) {
    return std::unexpected(make_error(ErrorCode::not_found, cat("no account '", id, "'")));
  }
  return it->second;
}

const Account* Ledger::find_account(std::string_view id) const {
  auto it = account_index_.find(to_absl(id));
  return it == account_index_.end() ? nullptr : &accounts_[it->second];
}

Result Ledger::grant(const Grant& c, TimeUs now, std::vector<Entry>* out) {
  auto found = account_for(c.account);
  if (!found) return std::unexpected(std::move(found.error()));
  if (!c.amount.is_positive() || c.amount > config_.amount_max) {
    return std::unexpected(
        make_error(ErrorCode::invalid_request,
                   cat("amount must be > 0 and at most ", format_credits(config_.amount_max))));
  }
  for (auto [what, text, max] :
       {std::tuple{"reason", &c.reason, config_.reason_length_max},
        std::tuple{"reference", &c.reference, config_.reference_length_max}}) {
    if (auto e = check_text(what, *text, max, false)) return std::unexpected(*e);
  }
  if (c.scope.size() > config_.scope_tools_max) {
    return std::unexpected(make_error(
        ErrorCode::invalid_request,
        cat("scope names ", c.scope.size(), " tools; at most ", config_.scope_tools_max)));
  }
  for (const auto& tool : c.scope) {
    if (auto e = check_text("scope tool", tool, config_.tool_length_max, true)) {
      return std::unexpected(*e);
    }
  }
  if (c.cost_basis.paid_minor < 0 ||
      (c.cost_basis.paid_minor > 0 && !is_iso_currency(c.cost_basis.currency))) {
    return std::unexpected(make_error(ErrorCode::invalid_request,
                                      "cost basis must be >= 0 with a 3-letter ISO 4217 currency"));
  }
  const TimeUs effective = c.effective_at.value_or(now);
  if (effective < now) {
    return std::unexpected(make_error(ErrorCode::invalid_request,
                                      "effective_at is in the past; grants cannot be backdated"));
  }
  auto expires = grant_expiry(c, effective);
  if (!expires) return std::unexpected(std::move(expires.error()));
  const uint32_t account = *found;
  if (auto e = check_room(accounts_[account], c.amount)) return std::unexpected(*e);
  if (auto e = check_lots(accounts_[account], 1)) return std::unexpected(*e);
  Lot lot;
  lot.source = c.source;
  lot.amount = c.amount;
  lot.granted_at = now;
  lot.effective_at = effective;
  lot.expires_at = *expires;
  lot.scope = c.scope;
  std::sort(lot.scope.begin(), lot.scope.end());
  lot.scope.erase(std::unique(lot.scope.begin(), lot.scope.end()), lot.scope.end());
  lot.cost_basis = c.cost_basis;
  lot.reference = c.reference;
  lot.reason = c.reason;
  const LotId id = create_lot(account, std::move(lot),
                              {.counter = Book::issuance, .reason = &c.reason}, now, out);
  return GrantReply{id, c.amount, effective, *expires};
}

std::expected<TimeUs, LedgerError> Ledger::grant_expiry(const Grant& c, TimeUs effective) const {
  TimeUs expires = TimeUs::never();
  switch (c.expiry.mode) {
    case Expiry::Mode::source_default:
      expires = config_.default_validity[static_cast<size_t>(c.source)].expiry_from(effective);
      break;
    case Expiry::Mode::at:
      expires = c.expiry.at;
      break;
    case Expiry::Mode::never:
      break;
    case Expiry::Mode::valid_for: {
      const Validity& v = c.expiry.valid_for;
      if (v.kind == Validity::Kind::never || v.count <= 0 ||
          (v.kind == Validity::Kind::months && v.count > 1200)) {
        return std::unexpected(
            make_error(ErrorCode::invalid_request,
                       "valid_for must be a positive duration of at most 100 years"));
      }
      expires = v.expiry_from(effective);
      break;
    }
  }
  // A validity that would end past the last time the API can write stops at it (time.h); a
  // grant is the caller's own choice, so it is refused rather than silently shortened.
  if (c.expiry.mode != Expiry::Mode::at && expires == k_time_max) {
    const bool own = c.expiry.mode == Expiry::Mode::valid_for;
    return std::unexpected(make_error(
        ErrorCode::invalid_request,
        cat(own ? "valid_for" : cat("the default validity of ", source_name(c.source), " credits"),
            " from effective_at ", format_time(effective), " ends at or after ",
            format_time(k_time_max), ", the latest time the API reads and writes; give an earlier",
            " effective_at, ", own ? "a shorter valid_for, " : "valid_for, ",
            "an expires_at or never_expires")));
  }
  if (expires <= effective) {
    return std::unexpected(
        make_error(ErrorCode::invalid_request,
                   cat("expires_at ", format_time(expires),
                       " is not after the lot becomes effective (", format_time(effective), ")")));
  }
  return expires;
}

std::optional<LedgerError> Ledger::check_lots(const Account& a, size_t more) const {
  if (a.lots_with_credits + more <= config_.lots_per_account_max) return std::nullopt;
  return make_error(ErrorCode::limit_exceeded,
                    cat("account '", a.id, "' has ", a.lots_with_credits,
                        " lots with credits remaining or held; ", more, " more would pass the",
                        " bound of ", config_.lots_per_account_max));
}

LotId Ledger::create_lot(uint32_t account, Lot lot, Posting grant, TimeUs now,
                         std::vector<Entry>* out) {
  grant.kind = EntryKind::grant;
  grant.amount = lot.amount;
  Lot& placed = insert_lot(account, std::move(lot));
  set_notice(account, placed, now);
  const LotId id = placed.id;
  post(account, id, grant, now, out);
  return id;
}

Lot& Ledger::insert_lot(uint32_t account, Lot lot) {
  lot.id = LotId{next_id()};
  return place_lot(account, std::move(lot));
}

Lot& Ledger::place_lot(uint32_t account, Lot lot, bool tracked) {
  if (tracked) touch(account);
  auto& lots = accounts_[account].lots;
  auto pos = std::upper_bound(lots.begin(), lots.end(), lot, [this](const Lot& a, const Lot& b) {
    return consumes_before(a, b, config_);
  });
  lot_account_.emplace(lot.id, account);
  if (tracked) touch_lot(account, lot.id);
  if (!lot.expires_at.is_never()) lot_expiries_.emplace(lot.expires_at, lot.id);
  if (!lot.notice_at.is_never()) notices_.emplace(lot.notice_at, lot.id);
  return *lots.insert(pos, std::move(lot));
}

Lot* Ledger::lot_in(uint32_t account, LotId id) {
  for (Lot& lot : accounts_[account].lots) {
    if (lot.id == id) return &lot;
  }
  return nullptr;
}

const Lot* Ledger::find_lot(LotId id) const {
  auto it = lot_account_.find(id);
  if (it == lot_account_.end()) return nullptr;
  for (const Lot& lot : accounts_[it->second].lots) {
    if (lot.id == id) return &lot;
  }
  return nullptr;
}

void Ledger::maybe_drop_lot(uint32_t account, LotId id) {
  touch(account);
  auto& lots = accounts_[account].lots;
  auto it = std::find_if(lots.begin(), lots.end(), [id](const Lot& l) { return l.id == id; });
  TALLY_CHECK(it != lots.end());
  if (it->has_credits() || it->refs != 0) return;
  if (!it->expires_at.is_never()) lot_expiries_.erase({it->expires_at, id});
  if (!it->notice_at.is_never()) notices_.erase({it->notice_at, id});
  it->notice_at = TimeUs::never();  // nothing left to expire: no notice to give
  lot_account_.erase(id);
  if (tracking()) {
    // A store keeps it (a refund of a stored spend may need it): as it was when it left.
    changes_.lots_gone.push_back(id);
    changes_.lots_left.emplace_back(account, std::move(*it));
  }
  lots.erase(it);
}

// The one place where lot books, account caches and system books change; it emits the entry
// that records the change, so state and journal cannot disagree.
void Ledger::post(uint32_t account, LotId lot_id, const Posting& p, TimeUs at,
                  std::vector<Entry>* out) {
  watch_balance(account, at);
  touch_lot(account, lot_id);
  Account& a = accounts_[account];
  Lot* lot = lot_in(account, lot_id);
  TALLY_CHECK(lot != nullptr);
  const bool had_credits = lot->has_credits();
  lot->remaining += p.amount;
  lot->held += p.held;
  a.balance += p.amount;
  a.held += p.held;
  TALLY_CHECK(!lot->remaining.is_negative() && !lot->held.is_negative());
  if (lot->has_credits() && !had_credits) {  // the one place a lot gains or loses its credits
    ++a.lots_with_credits;
  } else if (had_credits && !lot->has_credits()) {
    TALLY_CHECK(a.lots_with_credits > 0);
    --a.lots_with_credits;
  }
  const Credits counter = -(p.amount + p.held);
  const Credits out_of_lot = counter;  // what left the lot towards the counter book
  switch (p.kind) {
    case EntryKind::capture:
    case EntryKind::spend:
      lot->consumed += out_of_lot;
      break;
    case EntryKind::expire:
      lot->expired += out_of_lot;
      break;
    case EntryKind::void_lot:
      lot->voided_amount += out_of_lot;
      break;
    case EntryKind::refund:
      lot->restored += p.amount;
      break;
    case EntryKind::grant:
    case EntryKind::hold:
    case EntryKind::release:
      break;
  }
  switch (p.counter) {
    case Book::none:
      TALLY_CHECK(counter.is_zero());
      break;
    case Book::issuance:
      books_.issuance[static_cast<size_t>(lot->source)] += counter.micro;
      break;
    case Book::consumption:
      TALLY_CHECK(p.tool != nullptr);
      books_.consumption[*p.tool] += counter.micro;
      break;
    case Book::expired:
      books_.expired += counter.micro;
      break;
    case Book::voided:
      books_.voided += counter.micro;
      break;
  }
  Entry& e = out->emplace_back();
  e.seq = ++seq_;
  e.at = at;
  e.kind = p.kind;
  e.counter = p.counter;
  e.source = lot->source;
  e.account = a.id;
  e.lot = lot_id;
  e.amount = p.amount;
  e.held = p.held;
  e.balance_after = a.balance;
  e.hold = p.hold;
  e.spend = p.spend;
  if (p.tool != nullptr) e.tool = *p.tool;
  if (p.reason != nullptr) e.reason = *p.reason;
  if (p.member != nullptr) e.member = *p.member;
  if (p.project != nullptr) e.project = *p.project;
  if (p.kind == EntryKind::grant) {
    e.effective_at = lot->effective_at;
    e.expires_at = lot->expires_at;
  }
}

}  // namespace tally
