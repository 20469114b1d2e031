#include "scenario/scenario.h"

#include <charconv>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <sstream>

#include "catalog/catalog.h"
#include "config/config.h"
#include "config/toml_reader.h"
#include "ledger/describe.h"
#include "ledger/finance.h"
#include "ledger/journal.h"
#include "ledger/ledger.h"
#include "ledger/text.h"

namespace tally::scenario {
namespace {

struct Line {
  size_t number = 0;
  std::string text;
  std::vector<std::string> words;              // positional words
  std::map<std::string, std::string> options;  // key=value (value may be "quoted")
};

// Splits a line into words and key=value options; a value may be quoted to hold spaces.
bool tokenize(std::string_view s, Line* line) {
  size_t i = 0;
  while (i < s.size()) {
    while (i < s.size() && s[i] == ' ') ++i;
    if (i >= s.size() || s[i] == '#') break;
    std::string word;
    bool quoted = false;
    while (i < s.size() && (quoted || s[i] != ' ')) {
      if (s[i] == '"') {
        quoted = !quoted;
      } else {
        word.push_back(s[i]);
      }
      ++i;
    }
    if (quoted) return false;
    const size_t eq = word.find('=');
    if (eq != std::string::npos && eq > 0) {
      line->options[word.substr(0, eq)] = word.substr(eq + 1);
    } else {
      line->words.push_back(word);
    }
  }
  return true;
}

// The id a reply's `as=LABEL` names: the lot, hold, spend or purchase it created.
struct LabelOf {
  uint64_t operator()(const GrantReply& r) { return r.lot.value; }
  uint64_t operator()(const HoldReply& r) { return r.hold.value; }
  uint64_t operator()(const CaptureReply& r) { return r.spend.value; }
  uint64_t operator()(const SpendReply& r) { return r.spend.value; }
  uint64_t operator()(const RewardReply& r) { return r.lot.value; }
  uint64_t operator()(const PurchaseReply& r) { return r.purchase; }
  uint64_t operator()(const SubscriptionReply& r) { return r.rollover_lot.value; }
  template <typename T>
  uint64_t operator()(const T&) {
    return 0;
  }
};

class Runner {
 public:
  explicit Runner(std::string file) : file_(std::move(file)) {}
  void run_line(Line& l);
  Outcome finish() { return std::move(out_); }

 private:
  void fail(const Line& l, const std::string& what) {
    out_.failures.push_back(cat(file_, ":", l.number, ": ", what));
    out_.transcript += cat("  FAILED: ", what, "\n");
  }
  void start(const Line& l, const std::string& config_path);
  void apply(const Line& l, const Command& c);
  void expect(const Line& l);
  void expect_lot(const Line& l);
  void expect_finance(const Line& l);
  FinanceReport finance(const Line& l, std::array<char, 3> currency);
  void show(const Line& l);
  std::optional<Command> command(const Line& l);
  std::optional<Command> plans_command(const Line& l);
  std::string word(const Line& l, size_t i);
  std::string option(const Line& l, const std::string& key, const std::string& fallback);
  Credits credits(const Line& l, const std::string& text);
  TimeUs time(const Line& l, const std::string& text);
  uint64_t label(const Line& l, const std::string& name);
  void bind(const Line& l, uint64_t id) {
    if (l.options.contains("as")) labels_[l.options.at("as")] = id;
  }
  const Account* account(const Line& l, const std::string& id);

  std::string file_;
  std::unique_ptr<Ledger> ledger_;
  TimeUs now_ = *parse_time("2026-01-01T00:00:00Z");
  std::vector<Entry> journal_;
  size_t last_entries_ = 0;
  std::optional<Result> last_;
  std::map<std::string, uint64_t> labels_;
  std::map<uint64_t, FinanceLot> finance_lots_;  // what each lot cost, noted as it is granted
  bool bad_line_ = false;
  Outcome out_;
};

std::string Runner::word(const Line& l, size_t i) {
  if (i < l.words.size()) return l.words[i];
  fail(l, cat("'", l.words[0], "' needs more words"));
  bad_line_ = true;
  return "";
}

std::string Runner::option(const Line& l, const std::string& key, const std::string& fallback) {
  auto it = l.options.find(key);
  return it == l.options.end() ? fallback : it->second;
}

Credits Runner::credits(const Line& l, const std::string& text) {
  auto c = parse_credits(text);
  if (!c) {
    fail(l, cat("'", text, "' is not an amount of credits"));
    bad_line_ = true;
  }
  return c.value_or(Credits{});
}

TimeUs Runner::time(const Line& l, const std::string& text) {
  if (text == "never") return TimeUs::never();
  auto t = parse_time(text);
  if (!t) {
    fail(l, cat("'", text, "' is not an RFC 3339 time"));
    bad_line_ = true;
  }
  return t.value_or(now_);
}

uint64_t Runner::label(const Line& l, const std::string& name) {
  auto it = labels_.find(name);
  if (it != labels_.end()) return it->second;
  fail(l, cat("no label '", name, "' (set one with as=NAME)"));
  bad_line_ = true;
  return 0;
}

const Account* Runner::account(const Line& l, const std::string& id) {
  const Account* a = ledger_->find_account(id);
  if (a == nullptr) fail(l, cat("no account '", id, "'"));
  return a;
}

void Runner::start(const Line& l, const std::string& config_path) {
  if (config_path.empty()) {
    ledger_ = std::make_unique<Ledger>(LedgerConfig{});
    return;
  }
  const std::filesystem::path base = std::filesystem::path(file_).parent_path();
  auto c = config::load_config((base / config_path).string());
  if (!c) {
    fail(l, c.error().to_string());
    ledger_ = std::make_unique<Ledger>(LedgerConfig{});
    return;
  }
  ledger_ = std::make_unique<Ledger>(c->ledger, c->catalog);
}

void Runner::apply(const Line& l, const Command& c) {
  const size_t before = journal_.size();
  const std::string key = option(l, "key", cat("line-", l.number));
  last_ = ledger_->apply(Request{key, c}, now_, &journal_);
  last_entries_ = journal_.size() - before;
  out_.transcript += cat("  ", describe(*last_), "\n");
  for (size_t i = before; i < journal_.size(); ++i) {
    const Entry& e = journal_[i];
    out_.transcript += cat("    ", describe(e), "\n");
    if (e.kind != EntryKind::grant) continue;
    if (const Lot* lot = ledger_->find_lot(e.lot))
      finance_lots_.emplace(e.lot.value, finance_lot(*lot));
  }
  for (const std::string& bad : ledger_->check_invariants()) fail(l, "invariant: " + bad);
  for (const std::string& bad : verify(*ledger_, journal_).differences) fail(l, "verify: " + bad);
  if (!*last_ || !l.options.contains("as")) return;
  bind(l, std::visit(LabelOf{}, **last_));
}

std::optional<Command> Runner::command(const Line& l) {
  const std::string& verb = l.words[0];
  if (verb == "open") {
    const std::string plan = option(l, "plan", "");
    return OpenAccount{word(l, 1), plan == "none" ? "" : plan, plan == "none"};
  }
  if (verb == "grant") {
    Grant g{.account = word(l, 1), .amount = credits(l, word(l, 2))};
    auto source = parse_source(option(l, "source", "admin"));
    if (!source) fail(l, "source must be one of the eight sources");
    g.source = source.value_or(Source::admin);
    if (l.options.contains("expires")) {
      const TimeUs at = time(l, l.options.at("expires"));
      g.expiry =
          at.is_never() ? Expiry{Expiry::Mode::never, {}, {}} : Expiry{Expiry::Mode::at, at, {}};
    }
    if (l.options.contains("valid_for")) {
      auto v = parse_validity(l.options.at("valid_for"));
      if (!v) fail(l, "valid_for is not an ISO 8601 duration");
      g.expiry = {Expiry::Mode::valid_for, {}, v.value_or(Validity::months(1))};
    }
    if (l.options.contains("effective")) g.effective_at = time(l, l.options.at("effective"));
    std::stringstream scope(option(l, "scope", ""));
    for (std::string tool; std::getline(scope, tool, ',');) g.scope.push_back(tool);
    g.reason = option(l, "reason", "");
    g.reference = option(l, "reference", "");
    if (l.options.contains("paid")) {
      // What the credits cost: paid=MINOR_UNITS currency=ISO (finance reports).
      auto currency = parse_currency(option(l, "currency", "USD"));
      int64_t minor = 0;
      const std::string text = l.options.at("paid");
      auto [p, ec] = std::from_chars(text.data(), text.data() + text.size(), minor);
      if (!currency || ec != std::errc() || p != text.data() + text.size()) {
        fail(l, "paid must be an integer of minor units and currency a 3-letter code");
      }
      g.cost_basis = CostBasis{currency.value_or(std::array<char, 3>{}), minor};
    }
    return g;
  }
  if (verb == "hold") {
    PlaceHold h{word(l, 1), credits(l, word(l, 2)), option(l, "tool", "image"), std::nullopt, "v1"};
    if (l.options.contains("ttl")) {
      auto v = parse_validity(l.options.at("ttl"));
      if (!v || v->kind != Validity::Kind::duration) fail(l, "ttl must be a duration like PT1H");
      h.ttl_us = v ? v->count : 0;
    }
    return h;
  }
  if (verb == "capture" || verb == "refund") {
    const uint64_t id = label(l, word(l, 1));
    std::optional<Credits> amount;
    if (l.words.size() > 2) amount = credits(l, l.words[2]);
    if (verb == "capture") return Capture{HoldId{id}, amount};
    return Refund{SpendId{id}, amount, option(l, "reason", "")};
  }
  if (verb == "release") return Release{HoldId{label(l, word(l, 1))}, option(l, "reason", "")};
  if (verb == "spend") {
    return SpendNow{word(l, 1), credits(l, word(l, 2)), option(l, "tool", "image"), "v1"};
  }
  if (verb == "void") return VoidLot{LotId{label(l, word(l, 1))}, option(l, "reason", "")};
  return plans_command(l);
}

std::optional<Command> Runner::plans_command(const Line& l) {
  const std::string& verb = l.words[0];
  if (verb == "plan") {
    std::optional<Credits> allocation;
    if (l.options.contains("allocation")) allocation = credits(l, l.options.at("allocation"));
    return SetPlan{word(l, 1), word(l, 2), allocation};
  }
  if (verb == "cancel") return CancelSubscription{word(l, 1)};
  if (verb == "past_due") return MarkPastDue{word(l, 1)};
  if (verb == "resume") return ResumeSubscription{word(l, 1)};
  if (verb == "reward") return ClaimDailyReward{word(l, 1)};
  if (verb == "buy") {
    return Purchase{word(l, 1), word(l, 2), option(l, "currency", "USD"), option(l, "region", ""),
                    option(l, "ref", cat("ref-line-", l.number))};
  }
  if (verb == "void_purchase") return VoidPurchase{label(l, word(l, 1)), option(l, "reason", "")};
  fail(l, cat("unknown command '", verb, "' (see docs/scenarios.md)"));
  return std::nullopt;
}

void Runner::expect(const Line& l) {
  const std::string what = word(l, 1);
  if (bad_line_) return;
  if (what == "ok" || what == "error") {
    if (!last_) return fail(l, "expect needs a command before it");
    if (what == "ok" && !*last_) return fail(l, cat("expected ok, got ", describe(*last_)));
    if (what == "ok") return;
    if (*last_) return fail(l, cat("expected an error, got ", describe(*last_)));
    const std::string code = word(l, 2);
    if (error_code_name(last_->error().code) != code) {
      return fail(l, cat("expected error ", code, ", got ", describe(*last_)));
    }
    if (l.options.contains("shortfall") &&
        credits(l, l.options.at("shortfall")) != last_->error().shortfall) {
      return fail(l, cat("expected shortfall ", l.options.at("shortfall"), ", got ",
                         format_credits(last_->error().shortfall)));
    }
    return;
  }
  if (what == "lot") return expect_lot(l);
  if (what == "finance" || what == "free") return expect_finance(l);
  if (what == "entries") {
    if (std::to_string(last_entries_) != word(l, 2)) {
      fail(l, cat("expected ", word(l, 2), " entries, the command wrote ", last_entries_));
    }
    return;
  }
  if (what == "plan") {
    const Account* a = account(l, word(l, 2));
    if (a == nullptr) return;
    const std::string plan = a->subscription ? a->subscription->plan : "none";
    if (plan != word(l, 3)) fail(l, cat("expected plan ", word(l, 3), ", account is on ", plan));
    return;
  }
  const Account* a = account(l, word(l, 2));
  if (a == nullptr) return;
  const BalanceSummary b = ledger_->balance(*a, now_);
  const std::map<std::string, Credits> values = {
      {"available", b.available}, {"held", b.held}, {"pending", b.pending}, {"total", b.total}};
  auto it = values.find(what);
  if (it == values.end()) return fail(l, cat("cannot expect '", what, "'"));
  const Credits want = credits(l, word(l, 3));
  if (it->second != want) {
    fail(l,
         cat("expected ", what, " ", format_credits(want), ", got ", format_credits(it->second)));
  }
}

void Runner::expect_lot(const Line& l) {
  const uint64_t id = label(l, word(l, 2));
  if (bad_line_) return;
  const Lot* lot = ledger_->find_lot(LotId{id});
  if (l.words.size() > 3 && l.words[3] == "gone") {
    if (lot != nullptr) fail(l, cat("expected lot ", id, " to be settled and gone"));
    return;
  }
  if (lot == nullptr) return fail(l, cat("lot ", id, " is gone (settled)"));
  const std::pair<const char*, Credits> books[] = {
      {"remaining", lot->remaining}, {"held", lot->held}, {"amount", lot->amount}};
  for (const auto& [key, value] : books) {
    if (l.options.contains(key) && credits(l, l.options.at(key)) != value) {
      fail(l, cat("lot ", id, " ", key, ": expected ", l.options.at(key), ", got ",
                  format_credits(value)));
    }
  }
  if (l.options.contains("expires") && format_time(lot->expires_at) != l.options.at("expires")) {
    fail(l, cat("lot ", id, " expires ", format_time(lot->expires_at), ", expected ",
                l.options.at("expires")));
  }
  if (l.options.contains("source") && source_name(lot->source) != l.options.at("source")) {
    fail(l, cat("lot ", id, " source is ", source_name(lot->source)));
  }
}

FinanceReport Runner::finance(const Line& l, std::array<char, 3> currency) {
  const TimeUs from = l.options.contains("from") ? time(l, l.options.at("from")) : TimeUs{0};
  const TimeUs to = l.options.contains("to") ? time(l, l.options.at("to")) : add_us(now_, 1);
  FinanceBook book(from, to, currency);
  for (const Entry& e : journal_) {
    (void)book.add(e, [this](LotId id) -> std::optional<FinanceLot> {
      auto it = finance_lots_.find(id.value);
      if (it == finance_lots_.end()) return std::nullopt;
      return it->second;
    });
  }
  return book.report();
}

// `expect finance CURRENCY key=MONEY...` (money in major units: received, recognized,
// breakage, refunded, deferred_opening, deferred) or `expect free SOURCE key=CREDITS...`
// (issued, consumed, expired, voided, outstanding, rolled_over), over [from, to).
void Runner::expect_finance(const Line& l) {
  const bool paid = word(l, 1) == "finance";
  const std::string which = word(l, 2);
  if (bad_line_) return;
  auto currency = paid ? parse_currency(which) : std::array<char, 3>{'U', 'S', 'D'};
  if (!currency) return fail(l, cat("'", which, "' is not a currency"));
  const FinanceReport r = finance(l, *currency);
  std::map<std::string, std::string> got;
  if (paid) {
    const PaidFigures& p = r.paid;
    for (auto [key, minor] :
         {std::pair{"received", p.received_minor}, std::pair{"recognized", p.recognized_minor},
          std::pair{"breakage", p.breakage_minor}, std::pair{"refunded", p.refunded_minor},
          std::pair{"deferred_opening", p.deferred_opening_minor},
          std::pair{"deferred", p.deferred_closing_minor}}) {
      got[key] = format_major(Money{*currency, minor});
    }
  } else {
    auto source = parse_source(which);
    if (!source) return fail(l, cat("'", which, "' is not a source"));
    const FreeFigures& f = r.free[static_cast<size_t>(*source)];
    for (auto [key, c] : {std::pair{"issued", f.issued}, std::pair{"consumed", f.consumed},
                          std::pair{"expired", f.expired}, std::pair{"voided", f.voided},
                          std::pair{"outstanding", f.outstanding_closing},
                          std::pair{"rolled_over", r.rolled_over}}) {
      got[key] = format_credits(c);
    }
  }
  for (const auto& [key, want] : l.options) {
    if (key == "from" || key == "to") continue;
    auto it = got.find(key);
    if (it == got.end()) return fail(l, cat("cannot expect '", key, "' of ", word(l, 1)));
    if (it->second != want)
      fail(l, cat(word(l, 1), " ", which, " ", key, ": expected ", want, ", got ", it->second));
  }
}

void Runner::show(const Line& l) {
  const Account* a = account(l, word(l, 1));
  if (a == nullptr) return;
  const BalanceSummary b = ledger_->balance(*a, now_);
  out_.transcript += cat("  available ", format_credits(b.available), ", held ",
                         format_credits(b.held), ", pending ", format_credits(b.pending), "\n");
  for (const Lot& lot : a->lots) {
    out_.transcript += cat("  lot ", lot.id.value, " ", source_name(lot.source), " remaining ",
                           format_credits(lot.remaining), " held ", format_credits(lot.held),
                           " expires ", format_time(lot.expires_at), "\n");
  }
}

void Runner::run_line(Line& l) {
  if (!tokenize(l.text, &l)) return fail(l, "unbalanced quotes");
  if (l.words.empty()) return;
  out_.transcript += cat("> ", l.text, "\n");
  bad_line_ = false;
  const std::string& verb = l.words[0];
  if (verb == "config") {
    if (ledger_) return fail(l, "config must come before the first command");
    return start(l, word(l, 1));
  }
  if (!ledger_) start(l, "");
  if (verb == "at" || verb == "advance") {
    TimeUs next = now_;
    if (verb == "at") next = time(l, word(l, 1));
    auto v = verb == "advance" ? parse_validity(word(l, 1)) : std::nullopt;
    if (verb == "advance") {
      if (!v || v->kind == Validity::Kind::never) return fail(l, "advance takes a duration");
      next = v->expiry_from(now_);
    }
    if (bad_line_) return;
    if (next < now_) return fail(l, "time cannot go back");
    now_ = next;
    return apply(l, AdvanceTime{});
  }
  if (verb == "expect") return expect(l);
  if (verb == "show") return show(l);
  std::optional<Command> c = command(l);
  if (c && !bad_line_) apply(l, *c);
}

}  // namespace

Outcome run(std::string_view text, const std::string& file) {
  Runner runner(file);
  size_t number = 0;
  std::istringstream in{std::string(text)};
  for (std::string s; std::getline(in, s);) {
    Line l;
    l.number = ++number;
    l.text = s;
    runner.run_line(l);
  }
  return runner.finish();
}

Outcome run_file(const std::string& path) {
  auto text = config::read_config_text(path);
  if (!text) return Outcome{"", {text.error().to_string()}};
  return run(*text, path);
}

}  // namespace tally::scenario
