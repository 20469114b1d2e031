// Reports (issue 19, docs/reports.md).
//   GET /v1/reports/finance?from=&to=&currency=[&format=csv]   money and credits of a period
//   GET /v1/accounts/{id}/forecast[?currency=]                  burn rate and upgrade advice
//   GET /v1/reports/top-accounts?from=&to=[&limit=]             the accounts that used most
// Each shard scans its whole journal (the store's entries, in seq order) on its own thread,
// after the commit in flight, into a FinanceBook (ledger/finance.h); the last shard to answer
// merges the reports. A lot's cost basis comes from the ledger's memory, else from the store
// (lots that left memory, looked up between a first scan that lists them and the second). An
// operator's report: linear in the journal, not a request path of the pipeline.
#include <mutex>

#include "absl/container/flat_hash_map.h"
#include "ledger/advice.h"
#include "ledger/finance.h"
#include "ledger/text.h"
#include "server/api_internal.h"
#include "server/gather.h"

namespace tally::server {
namespace {

// A report's period: ?from= and ?to=, RFC 3339 times, `to` after `from`.
std::optional<Problem> decode_period(const Call& call, TimeUs* from, TimeUs* to) {
  for (auto [name, at] : {std::pair{"from", from}, std::pair{"to", to}}) {
    auto v = call.query_value(name);
    if (!v) return bad_request(cat("'", name, "' is required: an RFC 3339 time"));
    auto t = parse_time(*v);
    if (!t)
      return bad_request(cat("'", name, "' is not an RFC 3339 time: '", v->substr(0, 64), "'"));
    *at = *t;
  }
  if (*to <= *from) return bad_request("'to' must be after 'from'");
  return std::nullopt;
}

constexpr int64_t k_top_accounts_default = 10;
constexpr int64_t k_top_accounts_max = 100;

struct TopQuery {
  TimeUs from, to;
  size_t limit = k_top_accounts_default;
};

// An account's use over the period: what its entries counted against the consumption book
// (captures and spends, less refunds of spends), as the forecast counts it.
struct AccountUse {
  std::string account;
  Credits used;
};

bool uses_more(const AccountUse& a, const AccountUse& b) {
  return a.used != b.used ? a.used > b.used : a.account < b.account;
}

// The `limit` accounts that used most, most first (ties by id); none that used nothing.
void keep_top(std::vector<AccountUse>* uses, size_t limit) {
  std::erase_if(*uses, [](const AccountUse& u) { return !u.used.is_positive(); });
  std::sort(uses->begin(), uses->end(), uses_more);
  if (uses->size() > limit) uses->resize(limit);
}

std::expected<TopQuery, Problem> decode_top_query(const Call& call) {
  TopQuery q;
  for (const auto& [name, value] : call.query) {
    if (name != "from" && name != "to" && name != "limit") {
      return std::unexpected(
          bad_request(cat("unknown query parameter '", name.substr(0, 64),
                          "': GET /v1/reports/top-accounts takes from, to and limit")));
    }
  }
  if (auto p = decode_period(call, &q.from, &q.to)) return std::unexpected(*p);
  if (auto v = call.query_value("limit")) {
    auto n = parse_id(*v);
    if (!n || *n > static_cast<uint64_t>(k_top_accounts_max)) {
      return std::unexpected(
          bad_request(cat("'limit' must be an integer from 1 to ", k_top_accounts_max)));
    }
    q.limit = static_cast<size_t>(*n);
  }
  return q;
}

// One shard's top accounts: its whole journal, the entries in [from, to) that moved the
// consumption book.
std::expected<std::vector<AccountUse>, std::string> top_of_shard(store::Store& store, ShardId shard,
                                                                 const TopQuery& q) {
  absl::flat_hash_map<std::string, Credits> used;
  auto scanned = store.scan_entries(shard, 0, [&](const Entry& e) {
    if (e.counter == Book::consumption && e.at >= q.from && e.at < q.to) {
      used[e.account] += e.counter_amount();
    }
    return true;
  });
  if (!scanned) return std::unexpected(scanned.error().message);
  std::vector<AccountUse> out;
  out.reserve(used.size());
  for (auto& [account, credits] : used) out.push_back({account, credits});
  keep_top(&out, q.limit);
  return out;
}

struct FinanceQuery {
  TimeUs from, to;
  std::array<char, 3> currency{};
  bool csv = false;
};

std::expected<FinanceQuery, Problem> decode_finance_query(const Call& call) {
  FinanceQuery q;
  for (const auto& [name, value] : call.query) {
    if (name != "from" && name != "to" && name != "currency" && name != "format") {
      return std::unexpected(
          bad_request(cat("unknown query parameter '", name.substr(0, 64),
                          "': GET /v1/reports/finance takes from, to, currency and format")));
    }
  }
  if (auto p = decode_period(call, &q.from, &q.to)) return std::unexpected(*p);
  std::optional<std::array<char, 3>> currency;
  if (auto c = call.query_value("currency")) currency = parse_currency(*c);
  if (!currency) {
    return std::unexpected(bad_request("'currency' is required: a 3-letter ISO 4217 code (USD)"));
  }
  q.currency = *currency;
  if (auto f = call.query_value("format")) {
    if (*f != "json" && *f != "csv") {
      return std::unexpected(bad_request("'format' must be json or csv"));
    }
    q.csv = *f == "csv";
  }
  return q;
}

// One shard's report: its journal from the first entry. Lots that left the ledger's memory are
// read from the store between two scans (the store's reads may not nest in a scan).
std::expected<FinanceReport, std::string> finance_of_shard(const Ledger& l, store::Store& store,
                                                           ShardId shard, const FinanceQuery& q) {
  absl::flat_hash_map<uint64_t, std::optional<FinanceLot>> gone;
  auto listed = store.scan_entries(shard, 0, [&](const Entry& e) {
    if (e.kind == EntryKind::grant && e.at < q.to && l.find_lot(e.lot) == nullptr) {
      gone.emplace(e.lot.value, std::nullopt);
    }
    return true;
  });
  if (!listed) return std::unexpected(listed.error().message);
  for (auto& [id, lot] : gone) {
    auto stored = store.find_lot(shard, LotId{id});
    if (!stored) return std::unexpected(stored.error().message);
    if (*stored) lot = finance_lot(**stored);
  }
  FinanceBook book(q.from, q.to, q.currency);
  const FindFinanceLot find = [&](LotId id) -> std::optional<FinanceLot> {
    if (const Lot* lot = l.find_lot(id)) return finance_lot(*lot);
    auto it = gone.find(id.value);
    return it == gone.end() ? std::nullopt : it->second;
  };
  auto scanned = store.scan_entries(shard, 0, [&](const Entry& e) {
    (void)book.add(e, find);  // it ignores entries at or after `to`
    return true;
  });
  if (!scanned) return std::unexpected(scanned.error().message);
  return book.report();
}

struct MoneyAndCredits {
  const char* name;
  Credits credits;
  int64_t minor;
};

std::vector<MoneyAndCredits> paid_lines(const PaidFigures& p) {
  return {{"received", p.received, p.received_minor},
          {"recognized", p.recognized, p.recognized_minor},
          {"breakage", p.breakage, p.breakage_minor},
          {"refunded", p.refunded, p.refunded_minor},
          {"deferred_opening", p.deferred_opening, p.deferred_opening_minor},
          {"deferred_closing", p.deferred_closing, p.deferred_closing_minor}};
}

std::vector<std::pair<const char*, Credits>> free_lines(const FreeFigures& f) {
  return {{"issued", f.issued},
          {"consumed", f.consumed},
          {"expired", f.expired},
          {"voided", f.voided},
          {"outstanding_opening", f.outstanding_opening},
          {"outstanding_closing", f.outstanding_closing}};
}

bool any_credits(const FreeFigures& f) {
  for (const auto& [name, c] : free_lines(f)) {
    if (!c.is_zero()) return true;
  }
  return false;
}

HttpResponse finance_json(const FinanceReport& r) {
  return json(200, [&](JsonWriter& w) {
    w.StartObject();
    write_time(w, "from", r.from);
    write_time(w, "to", r.to);
    write_text(w, "currency", currency_code(r.currency));
    w.Key("paid");
    w.StartObject();
    for (const MoneyAndCredits& m : paid_lines(r.paid)) {
      // "received": "9.99", "received_minor": 999, "received_credits": "20" (and _micro).
      write_text(w, m.name, format_major(Money{r.currency, m.minor}));
      const std::string minor = cat(m.name, "_minor");
      w.Key(minor.data(), static_cast<rapidjson::SizeType>(minor.size()));
      w.Int64(m.minor);
      write_amount(w, cat(m.name, "_credits"), m.credits);
    }
    w.EndObject();
    w.Key("paid_lots");
    w.Uint64(r.paid_lots);
    w.Key("free");
    w.StartArray();
    for (Source s : k_all_sources) {
      const FreeFigures& f = r.free[static_cast<size_t>(s)];
      if (!any_credits(f)) continue;
      w.StartObject();
      write_text(w, "source", source_name(s));
      for (const auto& [name, c] : free_lines(f)) write_amount(w, name, c);
      w.EndObject();
    }
    w.EndArray();
    write_amount(w, "rolled_over", r.rolled_over);
    w.Key("other_currencies");
    w.StartArray();
    for (const std::string& c : r.other_currencies)
      w.String(c.data(), static_cast<unsigned>(c.size()));
    w.EndArray();
    w.EndObject();
  });
}

// One line per figure: figure,source,credits,money,currency (money empty for free credits).
HttpResponse finance_csv(const FinanceReport& r) {
  const std::string_view currency = currency_code(r.currency);
  std::string out = "figure,source,credits,money,currency\n";
  for (const MoneyAndCredits& m : paid_lines(r.paid)) {
    out += cat(m.name, ",paid,", format_credits(m.credits), ",",
               format_major(Money{r.currency, m.minor}), ",", currency, "\n");
  }
  for (Source s : k_all_sources) {
    const FreeFigures& f = r.free[static_cast<size_t>(s)];
    if (!any_credits(f)) continue;
    for (const auto& [name, c] : free_lines(f)) {
      out += cat(name, ",", source_name(s), ",", format_credits(c), ",,\n");
    }
  }
  out += cat("rolled_over,subscription,", format_credits(r.rolled_over), ",,\n");
  HttpResponse response;
  response.content_type = "text/csv; charset=utf-8";
  response.body = std::move(out);
  return response;
}

// The account's subscription periods before the current one (the last k_advice_periods, oldest
// first), each with what the account consumed in it.
std::vector<PeriodUse> past_periods(const Subscription& s, Period period,
                                    const ConsumptionLog& log) {
  std::vector<PeriodUse> out;
  for (int64_t k = std::max<int64_t>(s.period - k_advice_periods, 0); k < s.period; ++k) {
    const TimeUs start = k == 0 ? s.anchor : period_end(s.anchor, period, k - 1);
    const TimeUs end = period_end(s.anchor, period, k);
    out.push_back({start, end, log.between(start, end)});
  }
  return out;
}

void write_money_or_null(JsonWriter& w, std::string_view key, const std::optional<Money>& m) {
  if (m) return write_price(w, key, *m);
  w.Key(key.data(), static_cast<rapidjson::SizeType>(key.size()));
  w.Null();
}

void write_advice(JsonWriter& w, const Advice& a) {
  w.Key("advice");
  w.StartObject();
  write_text(w, "kind", advice_kind_name(a.kind));
  write_text(w, "why", a.why);
  write_text_or_null(w, "plan", a.plan);
  write_amount(w, "allocation", a.allocation);
  w.Key("periods");
  w.StartArray();
  for (const PeriodUse& p : a.periods) {
    w.StartObject();
    write_time(w, "start", p.start);
    write_time(w, "end", p.end);
    write_amount(w, "used", p.used);
    w.EndObject();
  }
  w.EndArray();
  w.Key("periods_over");
  w.Int64(a.periods_over);
  write_amount(w, "need", a.need);
  write_text_or_null(w, "upgrade_plan", a.upgrade_plan);
  write_money_or_null(w, "upgrade_price", a.upgrade_price);
  write_money_or_null(w, "stay_price", a.stay_price);
  write_money_or_null(w, "saves", a.saves);
  w.Key("packs");
  if (!a.packs) {
    w.Null();
  } else {
    w.StartObject();
    w.Key("items");
    w.StartArray();
    for (const auto& [pack, count] : a.packs->packs) {
      w.StartObject();
      write_text(w, "pack", pack);
      w.Key("count");
      w.Int64(count);
      w.EndObject();
    }
    w.EndArray();
    write_amount(w, "credits", a.packs->credits);
    write_price(w, "price", a.packs->price);
    w.EndObject();
  }
  w.EndObject();
}

}  // namespace

void get_forecast(const CallPtr& call) {
  const std::string id = call->args[0];
  std::string currency = "USD";
  for (const auto& [name, value] : call->query) {
    if (name != "currency") {
      return fail(call, bad_request(cat("unknown query parameter '", name.substr(0, 64),
                                        "': the forecast takes currency")));
    }
    if (!parse_currency(value)) {
      return fail(call, bad_request("'currency' must be a 3-letter ISO 4217 code (USD)"));
    }
    currency = value;
  }
  store::Store* store = call->ctx.o.store;
  const ShardId shard = account_shard(*call, id);
  read_shard(
      call, shard,
      [id, currency, store, shard](const Ledger& l) {
        const Account* a = l.find_account(id);
        if (!a) return problem_response(not_found(cat("no account '", id, "'")));
        const TimeUs now = l.now();
        ConsumptionLog log;
        auto scanned = store->scan_account_entries(shard, id, 0, [&](const Entry& e) {
          log.add(e);
          return true;
        });
        if (!scanned) return problem_response({500, "internal", scanned.error().message, {}});
        const Plan* plan = a->subscription ? l.catalog().find_plan(a->subscription->plan) : nullptr;
        std::vector<PeriodUse> periods;
        if (plan) periods = past_periods(*a->subscription, plan->period, log);
        // Plans carry no price in the configuration (yet): the advice names the plan that
        // covers the use without stating a saving (docs/reports.md).
        const PlanPrice no_price = [](const Plan&, std::string_view) -> std::optional<Money> {
          return std::nullopt;
        };
        const Advice advice =
            advise(l.catalog(), plan, a->subscription ? a->subscription->allocation : Credits{},
                   periods, currency, no_price);
        const BalanceSummary balance = l.balance(*a, now);
        return json(200, [&](JsonWriter& w) {
          w.StartObject();
          write_text(w, "account", id);
          write_time(w, "as_of", now);
          write_amount(w, "available", balance.available);
          w.Key("rates");
          w.StartArray();
          for (const int64_t days : {int64_t{7}, int64_t{30}}) {
            const Credits consumed = log.between(TimeUs{now.us - days * k_us_per_day}, now);
            const BurnRate b = forecast(a->lots, now, days, consumed);
            w.StartObject();
            w.Key("window_days");
            w.Int64(days);
            write_amount(w, "consumed", b.consumed);
            write_amount(w, "per_day", b.per_day);
            write_optional_time(w, "runs_out_at", b.runs_out_at);
            write_amount(w, "expires_unused", b.expires_unused);
            w.EndObject();
          }
          w.EndArray();
          write_advice(w, advice);
          w.EndObject();
        });
      },
      /*uses_store=*/true);
}

void get_finance(const CallPtr& call) {
  auto q = decode_finance_query(*call);
  if (!q) return fail(call, q.error());
  auto query = std::make_shared<const FinanceQuery>(*q);
  store::Store* store = call->ctx.o.store;
  gather_shards<FinanceReport>(
      call, /*uses_store=*/true,
      [query, store](ShardId shard, const Ledger& l) {
        return finance_of_shard(l, *store, shard, *query);
      },
      [query](const CallPtr& call, std::vector<FinanceReport> parts) {
        FinanceReport report = std::move(parts.front());
        for (size_t i = 1; i < parts.size(); ++i) report.merge(parts[i]);
        answer(call, query->csv ? finance_csv(report) : finance_json(report));
      });
}

void get_top_accounts(const CallPtr& call) {
  auto q = decode_top_query(*call);
  if (!q) return fail(call, q.error());
  auto query = std::make_shared<const TopQuery>(*q);
  store::Store* store = call->ctx.o.store;
  gather_shards<std::vector<AccountUse>>(
      call, /*uses_store=*/true,
      [query, store](ShardId shard, const Ledger&) { return top_of_shard(*store, shard, *query); },
      [query](const CallPtr& call, std::vector<std::vector<AccountUse>> parts) {
        std::vector<AccountUse> all;  // an account lives on one shard: no sums across parts
        for (auto& part : parts) all.insert(all.end(), part.begin(), part.end());
        keep_top(&all, query->limit);
        answer(call, json(200, [&](JsonWriter& w) {
                 w.StartObject();
                 write_time(w, "from", query->from);
                 write_time(w, "to", query->to);
                 w.Key("accounts");
                 w.StartArray();
                 for (const AccountUse& u : all) {
                   w.StartObject();
                   write_text(w, "account", u.account);
                   write_amount(w, "used", u.used);
                   w.EndObject();
                 }
                 w.EndArray();
                 w.EndObject();
               }));
      });
}

}  // namespace tally::server
