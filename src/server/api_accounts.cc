// Accounts: open, read, history, balance as of, grants, subscriptions, rewards and tokens.
#include "ledger/history.h"
#include "ledger/journal.h"
#include "ledger/text.h"
#include "server/api_internal.h"

namespace tally::server {
namespace {

constexpr uint32_t k_page_default = 100;
constexpr uint32_t k_page_max = 1000;

HttpResponse balance_answer(TimeUs as_of, Credits available, Credits held, Credits pending,
                            Credits total) {
  return json(200, [&](JsonWriter& w) {
    w.StartObject();
    write_time(w, "as_of", as_of);
    write_amount(w, "available", available);
    write_amount(w, "held", held);
    write_amount(w, "pending", pending);
    write_amount(w, "total", total);
    w.EndObject();
  });
}

// A history's ?member= and ?project=: an entry passes when it names each one given, exactly.
struct EntryFilter {
  std::optional<std::string> member;
  std::optional<std::string> project;
  bool passes(const Entry& e) const {
    return (!member || e.member == *member) && (!project || e.project == *project);
  }
};

void write_entry(JsonWriter& w, const Entry& e) {
  w.StartObject();
  w.Key("seq");
  w.Uint64(e.seq);
  write_time(w, "at", e.at);
  write_text(w, "kind", entry_kind_name(e.kind));
  write_text(w, "account", e.account);
  write_amount(w, "amount", e.amount);
  write_amount(w, "held", e.held);
  write_amount(w, "balance_after", e.balance_after);
  write_id(w, "lot", e.lot.value);
  write_text(w, "source", source_name(e.source));
  write_text_or_null(w, "tool", e.tool);
  write_id(w, "hold", e.hold.value);
  write_id(w, "spend", e.spend.value);
  write_text(w, "reason", e.reason);
  if (!e.member.empty()) write_text(w, "member", e.member);  // team accounts only
  if (!e.project.empty()) write_text(w, "project", e.project);
  if (e.kind == EntryKind::grant) {  // when the credits it granted expire
    write_time(w, "expires_at", e.expires_at);
  } else {
    w.Key("expires_at");
    w.Null();
  }
  w.EndObject();
}

// The cursor of a page: the seq of its last entry when more follow, else null.
void write_next_after(JsonWriter& w, bool more, const std::vector<Entry>& page) {
  w.Key("next_after");
  if (more && !page.empty()) {
    w.Uint64(page.back().seq);
  } else {
    w.Null();
  }
}

// One operation of ?group=operation (ledger/history.h) with its entries as `portions`.
void write_operation(JsonWriter& w, std::span<const Entry> entries) {
  const Operation op = fold_operation(entries);
  const Entry& first = entries.front();
  w.StartObject();
  write_text(w, "operation", operation_kind_name(op.kind));
  write_time(w, "at", first.at);
  w.Key("first_seq");
  w.Uint64(first.seq);
  w.Key("last_seq");
  w.Uint64(entries.back().seq);
  write_text(w, "summary", op.summary);
  write_amount(w, "credits", op.credits);
  write_amount(w, "amount", op.amount);
  write_amount(w, "held", op.held);
  write_amount(w, "balance_after", op.balance_after);
  const bool one_source = std::all_of(entries.begin(), entries.end(),
                                      [&](const Entry& e) { return e.source == first.source; });
  if (one_source) {
    write_text(w, "source", source_name(first.source));
  } else {
    w.Key("source");
    w.Null();
  }
  write_text_or_null(w, "tool", first.tool);
  write_id(w, "hold", first.hold.value);
  write_id(w, "spend", first.spend.value);
  if (!first.member.empty()) write_text(w, "member", first.member);
  if (!first.project.empty()) write_text(w, "project", first.project);
  w.Key("portions");
  w.StartArray();
  for (const Entry& e : entries) write_entry(w, e);
  w.EndArray();
  w.EndObject();
}

struct HistoryQuery {
  std::string account;
  uint32_t limit = 0;  // entries, or operations when by_operation
  uint64_t after = 0;
  EntryFilter filter;
  bool by_operation = false;
};

// One page of an account's history from the store, by entry or by operation.
HttpResponse history_page(store::Store& store, ShardId shard, const HistoryQuery& q) {
  std::vector<Entry> page;
  std::vector<size_t> starts;  // by operation: where each operation's entries start in `page`
  bool more = false;
  auto scanned = store.scan_account_entries(shard, q.account, q.after, [&](const Entry& e) {
    if (!q.filter.passes(e)) return true;
    if (q.by_operation && !starts.empty() && continues_operation(page[starts.back()], e)) {
      page.push_back(e);  // an operation is never cut between pages
      return true;
    }
    if ((q.by_operation ? starts.size() : page.size()) == q.limit) {
      more = true;
      return false;
    }
    if (q.by_operation) starts.push_back(page.size());
    page.push_back(e);
    return true;
  });
  if (!scanned) return problem_response({500, "internal", scanned.error().message, {}});
  return json(200, [&](JsonWriter& w) {
    w.StartObject();
    w.Key(q.by_operation ? "operations" : "entries");
    w.StartArray();
    if (q.by_operation) {
      for (size_t i = 0; i < starts.size(); ++i) {
        const size_t end = i + 1 < starts.size() ? starts[i + 1] : page.size();
        write_operation(w, std::span(page).subspan(starts[i], end - starts[i]));
      }
    } else {
      for (const Entry& e : page) write_entry(w, e);
    }
    w.EndArray();
    write_next_after(w, more, page);
    w.EndObject();
  });
}

HttpResponse no_account(std::string_view id) {
  return problem_response(not_found(cat("no account '", id, "'")));
}

// Answers with the account as it is now (after a change: as that change left it).
void answer_account(const CallPtr& call, const std::string& id, int status) {
  read_shard(call, account_shard(*call, id), [call, id, status](const Ledger& l) {
    const Account* a = l.find_account(id);
    if (!a) return no_account(id);
    return json(status, [&](JsonWriter& w) { write_account(w, l, *a, l.now()); });
  });
}

HttpResponse subscription_answer(const SubscriptionReply& s) {
  return json(200, [&](JsonWriter& w) {
    w.StartObject();
    write_text(w, "account", s.account);
    write_text(w, "plan", s.plan);
    write_text(w, "state", s.state);
    write_time(w, "period_start", s.period_start);
    write_time(w, "period_end", s.period_end);
    write_amount(w, "allocation", s.allocation);
    write_text_or_null(w, "pending_plan", s.pending_plan);
    w.Key("cancel_at_period_end");
    w.Bool(s.cancel_at_period_end);
    write_id(w, "allocation_lot", s.allocation_lot.value);
    write_id(w, "rollover_lot", s.rollover_lot.value);
    write_id(w, "signup_lot", s.signup_lot.value);
    w.EndObject();
  });
}

void subscription_command(const CallPtr& call, Command command) {
  if (auto p = decode_no_fields(*call->body)) return fail(call, *p);
  submit(call, std::move(command), [](const Reply& r) {
    return subscription_answer(std::get<SubscriptionReply>(r));
  });
}

}  // namespace

void open_account(const CallPtr& call) {
  auto c = decode_open_account(*call->body);
  if (!c) return fail(call, c.error());
  const std::string id = c->account;
  // The account as the opening left it (a retry gets this answer again, rule 8).
  submit(call, Change{std::move(*c), nullptr, [id](const Ledger& l, const Reply&) {
                        const Account* a = l.find_account(id);
                        if (!a) return no_account(id);  // cannot happen: accounts stay
                        return json(201, [&](JsonWriter& w) { write_account(w, l, *a, l.now()); });
                      }});
}

void get_account(const CallPtr& call) { answer_account(call, call->args[0], 200); }

void get_entries(const CallPtr& call) {
  const std::string id = call->args[0];
  uint32_t limit = k_page_default;
  uint64_t after = 0;
  if (auto v = call->query_value("limit")) {
    auto n = parse_id(*v);
    if (!n || *n > k_page_max) {
      return fail(call, bad_request(cat("'limit' must be an integer from 1 to ", k_page_max)));
    }
    limit = static_cast<uint32_t>(*n);
  }
  if (auto v = call->query_value("after")) {
    auto n = parse_id(*v);
    if (!n && *v != "0") return fail(call, bad_request("'after' must be a seq from a page"));
    after = n.value_or(0);
  }
  // ?member= and ?project= (team accounts, issue 17): only the entries that name them, exactly.
  EntryFilter filter;
  if (auto member = id_query(call, "member")) {
    filter.member = std::move(*member);
  } else {
    return;
  }
  if (auto project = id_query(call, "project")) {
    filter.project = std::move(*project);
  } else {
    return;
  }
  // ?group=operation (issue 19): one line per operation, its entries folded under it; `limit`
  // then counts operations, and the cursor is the seq of the page's last operation's last entry.
  bool by_operation = false;
  if (auto v = call->query_value("group")) {
    if (*v != "operation" && *v != "entry") {
      return fail(call, bad_request(cat("'group' must be 'operation' or 'entry', not '", *v, "'")));
    }
    by_operation = *v == "operation";
  }
  store::Store* store = call->ctx.o.store;
  const ShardId shard = account_shard(*call, id);
  const HistoryQuery q{id, limit, after, std::move(filter), by_operation};
  read_shard(
      call, shard,
      [q, store, shard](const Ledger& l) {
        if (!l.find_account(q.account)) return no_account(q.account);
        return history_page(*store, shard, q);
      },
      /*uses_store=*/true);
}

void get_balance(const CallPtr& call) {
  const std::string id = call->args[0];
  TimeUs as_of = call->now;
  if (auto v = call->query_value("as_of")) {
    auto t = parse_time(*v);
    if (!t) return fail(call, bad_request(cat("'as_of' is not an RFC 3339 time: '", *v, "'")));
    as_of = *t;
  }
  const bool now = !call->query_value("as_of");
  store::Store* store = call->ctx.o.store;
  const ShardId shard = account_shard(*call, id);
  read_shard(call, shard, [id, as_of, now, store, shard](const Ledger& l) {
    const Account* a = l.find_account(id);
    if (!a) return no_account(id);
    if (now) {  // the live balance: also what this batch changed before the read
      const BalanceSummary b = l.balance(*a, l.now());
      return balance_answer(l.now(), b.available, b.held, b.pending, b.total);
    }
    std::vector<Entry> entries;
    auto scanned = store->scan_account_entries(shard, id, 0, [&](const Entry& e) {
      if (e.at > as_of) return false;
      entries.push_back(e);
      return true;
    });
    if (!scanned) return problem_response({500, "internal", scanned.error().message, {}});
    const AsOfBalance b = balance_as_of(entries, id, as_of);
    return balance_answer(b.as_of, b.available, b.held, b.pending, b.total);
  }, /*uses_store=*/!now);
}

void grant(const CallPtr& call) {
  auto g = decode_grant(*call->body, call->args[0]);
  if (!g) return fail(call, g.error());
  const std::string account = g->account;
  // The lot as the grant left it (a retry gets this answer again, rule 8).
  submit(call, Change{std::move(*g), nullptr, [account](const Ledger& l, const Reply& r) {
                        const GrantReply& reply = std::get<GrantReply>(r);
                        const Lot* lot = l.find_lot(reply.lot);
                        return json(201, [&](JsonWriter& w) {
                          if (lot) return write_lot(w, *lot, account);
                          // Only for a retry of a grant remembered before answers were (schema
                          // 2), whose lot memory let go: the grant as it was made.
                          w.StartObject();
                          write_id(w, "id", reply.lot.value);
                          write_text(w, "account", account);
                          write_amount(w, "amount", reply.amount);
                          write_time(w, "effective_at", reply.effective_at);
                          write_time(w, "expires_at", reply.expires_at);
                          w.EndObject();
                        });
                      }});
}

void set_subscription(const CallPtr& call) {
  auto c = decode_set_plan(*call->body, call->args[0]);
  if (!c) return fail(call, c.error());
  submit(call, std::move(*c), [](const Reply& r) {
    return subscription_answer(std::get<SubscriptionReply>(r));
  });
}

void cancel_subscription(const CallPtr& call) {
  subscription_command(call, CancelSubscription{call->args[0]});
}
void past_due(const CallPtr& call) { subscription_command(call, MarkPastDue{call->args[0]}); }
void resume(const CallPtr& call) { subscription_command(call, ResumeSubscription{call->args[0]}); }

void daily_reward(const CallPtr& call) {
  if (auto p = decode_no_fields(*call->body)) return fail(call, *p);
  submit(call, ClaimDailyReward{call->args[0]}, [](const Reply& r) {
    const RewardReply& reward = std::get<RewardReply>(r);
    return json(201, [&](JsonWriter& w) {
      w.StartObject();
      write_id(w, "lot", reward.lot.value);
      write_amount(w, "amount", reward.amount);
      write_time(w, "expires_at", reward.expires_at);
      write_text_or_null(w, "season", reward.season);
      w.EndObject();
    });
  });
}

void issue_token(const CallPtr& call) {
  auto req = decode_token_request(*call->body);
  if (!req) return fail(call, req.error());
  const std::string id = call->args[0];
  const TimeUs expires = add_us(call->now, req->ttl_s * k_us_per_second);
  // The configured or listening address only, never the request's Host header.
  const ApiOptions& o = call->ctx.o;
  const std::string base = o.public_url.empty() ? o.listen_url() : o.public_url;
  read_shard(
      call, account_shard(*call, id),
      [id, member = req->member, expires, base, auth = o.auth, now = call->now](const Ledger& l) {
        const Account* a = l.find_account(id);
        if (!a) return no_account(id);
        if (!member.empty()) {
          if (!a->team) {
            return problem_response(bad_request(
                cat("account '", id, "' is not a team account: a token names no 'member'")));
          }
          if (!a->team->find_member(member)) {
            return problem_response(
                {403,
                 "not_a_member",
                 cat("user '", member, "' is not a member of team account '", id, "'"),
                 {}});
          }
        }
        const Token t = auth->issue_token(id, expires, now, member);
        return json(201, [&](JsonWriter& w) {
          w.StartObject();
          write_text(w, "token", t.token);
          write_text(w, "id", t.id);
          write_text(w, "account", id);
          write_text_or_null(w, "member", member);
          write_time(w, "expires_at", t.expires_at);
          write_text(w, "url", cat(base, "/#token=", t.token));
          w.EndObject();
        });
      });
}

}  // namespace tally::server
