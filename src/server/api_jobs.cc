// Jobs: quotes, holds, captures, releases, spends, refunds; purchases and voids. Pricing runs
// here, before the command reaches its shard: the ledger never prices (DESIGN §4).
#include "ledger/text.h"
#include "server/api_internal.h"

namespace tally::server {
namespace {

// What a void removed (a lot's, or a purchase's over its lots).
HttpResponse void_answer(std::string_view what, uint64_t id, Credits voided, Credits consumed,
                         Credits held, Credits expired) {
  return json(200, [&](JsonWriter& w) {
    w.StartObject();
    write_id(w, what, id);
    write_amount(w, "voided", voided);
    write_amount(w, "consumed", consumed);
    write_amount(w, "held", held);
    write_amount(w, "expired", expired);
    w.EndObject();
  });
}

std::string_view account_id(const Ledger& l, uint32_t index) { return l.accounts()[index].id; }

void write_hold(JsonWriter& w, const HoldReply& h, std::string_view account, std::string_view tool,
                std::string_view version, const pricing::Quote* q, std::string_view plan) {
  w.StartObject();
  write_id(w, "id", h.hold.value);
  write_text(w, "account", account);
  write_amount(w, "amount", h.amount);
  write_text(w, "state", "active");
  write_text_or_null(w, "tool", tool);
  write_time(w, "expires_at", h.expires_at);
  write_text_or_null(w, "price_book_version", version);
  write_portions(w, h.portions);
  if (q) {
    w.Key("quote");
    write_quote(w, *q, plan);
  }
  w.EndObject();
}

void write_spend(JsonWriter& w, SpendId id, std::string_view account, Credits amount,
                 std::string_view tool, const Portions& portions, Credits refunded,
                 std::string_view version, HoldId hold) {
  w.StartObject();
  write_id(w, "id", id.value);
  write_text(w, "account", account);
  write_amount(w, "amount", amount);
  write_text_or_null(w, "tool", tool);
  write_portions(w, portions);
  write_amount(w, "refunded", refunded);
  write_text_or_null(w, "price_book_version", version);
  write_id(w, "hold", hold.value);
  w.EndObject();
}

// What a hold or spend asks (decode_job): an amount, or a tool with params to price.
using Job = JobRequest;

// Prices the job (when it names a tool without an amount) and calls `then` with the amount,
// the quote (null when given an amount) and the plan it was priced for.
void price_job(const CallPtr& call, std::shared_ptr<Job> job,
               std::function<void(Credits, std::shared_ptr<pricing::BookedQuote>, std::string)>
                   then) {
  if (job->amount) return then(*job->amount, nullptr, "");
  with_plan(call, job->account, [call, job, then](std::string plan) {
    auto q = call->ctx.o.prices->quote_at(call->now, job->tool, job->params.values, plan);
    if (!q) return fail(call, pricing_problem(q.error()));
    auto booked = std::make_shared<pricing::BookedQuote>(std::move(*q));
    if (booked->quote.total == Credits{}) {
      // Included in the plan (or free): nothing to hold or spend, so no ledger command and no
      // id; the quote says why.
      return answer(call, json(200, [&](JsonWriter& w) {
                      w.StartObject();
                      write_id(w, "id", 0);
                      write_text(w, "account", job->account);
                      write_amount(w, "amount", Credits{});
                      write_text(w, "state", "included");
                      write_text(w, "tool", job->tool);
                      write_text(w, "price_book_version", booked->book->version);
                      write_portions(w, {});
                      w.Key("quote");
                      write_quote(w, booked->quote, plan);
                      w.EndObject();
                    }));
    }
    then(booked->quote.total, booked, plan);
  });
}

}  // namespace

void with_plan(const CallPtr& call, const std::string& account,
               std::function<void(std::string plan)> then) {
  auto book = call->ctx.o.prices->version_at(call->now);
  if (book && book->plans.empty()) return then("");  // nothing is included in any plan
  struct Seen {
    bool found = false;
    std::string plan;
  };
  auto seen = std::make_shared<Seen>();
  call->ctx.o.service->read_ledger(
      account_shard(*call, account),
      [seen, account](const Ledger& l) {
        const Account* a = l.find_account(account);
        seen->found = a != nullptr;
        if (a && a->subscription) seen->plan = a->subscription->plan;
      },
      [call, seen, account, then] {
        if (!seen->found) return fail(call, not_found(cat("no account '", account, "'")));
        then(seen->plan);
      });
}

void quote(const CallPtr& call) {
  auto request = decode_quote(call->body);
  if (!request) return fail(call, request.error());
  auto shared = std::make_shared<QuoteRequest>(std::move(*request));
  auto priced = [call, shared](std::string plan) {
    auto q = call->ctx.o.prices->quote_at(call->now, shared->tool, shared->params.values, plan);
    if (!q) return fail(call, pricing_problem(q.error()));
    answer(call, json(200, [&](JsonWriter& w) { write_quote(w, q->quote, plan); }));
  };
  if (shared->account) return with_plan(call, *shared->account, priced);
  priced(shared->plan.value_or(""));
}

void place_hold(const CallPtr& call) {
  auto j = decode_job(call->body, true);
  if (!j) return fail(call, j.error());
  auto job = std::make_shared<Job>(std::move(*j));
  price_job(call, job, [call, job](Credits amount, std::shared_ptr<pricing::BookedQuote> q,
                                   std::string plan) {
    PlaceHold h = hold_command(*job, amount, q ? q->book->version : std::string());
    const std::string version = h.price_book_version;
    submit(call, std::move(h), [job, q, plan, version](const Reply& r) {
      const HoldReply& hold = std::get<HoldReply>(r);
      return json(201, [&](JsonWriter& w) {
        write_hold(w, hold, job->account, job->tool, version, q ? &q->quote : nullptr, plan);
      });
    });
  });
}

void get_hold(const CallPtr& call) {
  auto id = id_arg(call, 0, "hold");
  if (!id) return;
  read_shard(call, object_shard(*call, *id), [id = *id](const Ledger& l) {
    const HoldId hid{id};
    if (const Hold* h = l.find_hold(hid)) {
      return json(200, [&](JsonWriter& w) {
        write_hold(w, HoldReply{h->id, h->amount, h->expires_at, h->portions},
                   account_id(l, h->account), h->tool, h->price_book_version, nullptr, "");
      });
    }
    auto status = l.hold_status(hid);
    if (!status) return problem_response(not_found(cat("no hold '", id, "' (or it is too old)")));
    return json(200, [&](JsonWriter& w) {
      w.StartObject();
      write_id(w, "id", id);
      write_text(w, "state", hold_state_name(status->state));
      write_id(w, "spend", status->spend.value);
      w.EndObject();
    });
  });
}

namespace {

HttpResponse capture_answer(const Reply& r) {
  const CaptureReply& c = std::get<CaptureReply>(r);
  return json(200, [&](JsonWriter& w) {
    w.StartObject();
    write_id(w, "hold", c.hold.value);
    write_text(w, "state", "captured");
    write_id(w, "spend", c.spend.value);
    write_amount(w, "captured", c.captured);
    write_amount(w, "released", c.released);
    write_portions(w, c.portions);
    write_restored(w, c.restored);
    w.EndObject();
  });
}

}  // namespace

void capture(const CallPtr& call) {
  auto id = id_arg(call, 0, "hold");
  if (!id) return;
  auto c = decode_capture(call->body, HoldId{*id});
  if (!c) return fail(call, c.error());
  if (!c->usage) return submit(call, c->command, capture_answer);
  // Priced with the hold's price book version and the account's plan (rule 7).
  auto params = std::make_shared<ParamList>(std::move(*c->usage));
  struct Seen {
    std::optional<Hold> hold;
    std::string plan;
  };
  auto seen = std::make_shared<Seen>();
  call->ctx.o.service->read_ledger(
      object_shard(*call, *id),
      [seen, id = *id](const Ledger& l) {
        if (const Hold* h = l.find_hold(HoldId{id})) {
          seen->hold = *h;
          const Account& a = l.accounts()[h->account];
          if (a.subscription) seen->plan = a.subscription->plan;
        }
      },
      [call, seen, params, id = *id] {
        if (!seen->hold) {  // finished or unknown: the ledger says which
          return submit(call, Capture{HoldId{id}, std::nullopt}, capture_answer);
        }
        const Hold& h = *seen->hold;
        if (h.price_book_version.empty()) {
          return fail(call, bad_request("this hold was placed by amount: capture an 'amount'"));
        }
        auto q = call->ctx.o.prices->price_capture(h.price_book_version, h.amount, h.tool,
                                                   params->values, seen->plan);
        if (!q) return fail(call, pricing_problem(q.error()));
        submit(call, Capture{HoldId{id}, q->quote.total}, capture_answer);
      });
}

void release(const CallPtr& call) {
  auto id = id_arg(call, 0, "hold");
  if (!id) return;
  auto c = decode_release(call->body, HoldId{*id});
  if (!c) return fail(call, c.error());
  submit(call, std::move(*c), [](const Reply& r) {
    const ReleaseReply& rel = std::get<ReleaseReply>(r);
    return json(200, [&](JsonWriter& w) {
      w.StartObject();
      write_id(w, "hold", rel.hold.value);
      write_text(w, "state", "released");
      write_amount(w, "released", rel.released);
      write_restored(w, rel.restored);
      w.EndObject();
    });
  });
}

void spend(const CallPtr& call) {
  auto j = decode_job(call->body, false);
  if (!j) return fail(call, j.error());
  auto job = std::make_shared<Job>(std::move(*j));
  price_job(call, job, [call, job](Credits amount, std::shared_ptr<pricing::BookedQuote> q,
                                   std::string) {
    SpendNow s = spend_command(*job, amount, q ? q->book->version : std::string());
    const std::string version = s.price_book_version;
    submit(call, std::move(s), [job, version](const Reply& r) {
      const SpendReply& sp = std::get<SpendReply>(r);
      return json(201, [&](JsonWriter& w) {
        write_spend(w, sp.spend, job->account, sp.amount, job->tool, sp.portions, Credits{},
                    version, HoldId{});
      });
    });
  });
}

void get_spend(const CallPtr& call) {
  auto id = id_arg(call, 0, "spend");
  if (!id) return;
  read_shard(call, object_shard(*call, *id), [id = *id](const Ledger& l) {
    const Spend* s = l.find_spend(SpendId{id});
    if (!s) return problem_response(not_found(cat("no spend '", id, "' (or it is too old)")));
    return json(200, [&](JsonWriter& w) {
      write_spend(w, s->id, account_id(l, s->account), s->amount, s->tool, s->portions,
                  s->refunded, s->price_book_version, s->hold);
    });
  });
}

void refund(const CallPtr& call) {
  auto id = id_arg(call, 0, "spend");
  if (!id) return;
  auto c = decode_refund(call->body, SpendId{*id});
  if (!c) return fail(call, c.error());
  submit(call, std::move(*c), [](const Reply& r) {
    const RefundReply& rf = std::get<RefundReply>(r);
    return json(200, [&](JsonWriter& w) {
      w.StartObject();
      write_id(w, "spend", rf.spend.value);
      write_amount(w, "refunded", rf.refunded);
      write_amount(w, "refunded_total", rf.refunded_total);
      write_restored(w, rf.restored);
      w.EndObject();
    });
  });
}

void purchase(const CallPtr& call) {
  auto decoded = decode_purchase(call->body);
  if (!decoded) return fail(call, decoded.error());
  Purchase p = std::move(*decoded);
  // Without a header the payment reference is the key: a retried webhook is a retry.
  std::string key = call->request.has_idempotency_key ? "" : cat("purchase:", p.payment_ref);
  const std::string who = p.account;
  submit(
      call, std::move(p),
      [who](const Reply& r) {
        const PurchaseReply& pr = std::get<PurchaseReply>(r);
        return json(201, [&](JsonWriter& w) {
          w.StartObject();
          write_id(w, "id", pr.purchase);
          write_text(w, "account", who);
          write_text(w, "pack", pr.pack);
          w.Key("price");
          w.StartObject();
          write_text(w, "amount", format_major(pr.price));
          write_text(w, "currency", currency_code(pr.price.currency));
          w.EndObject();
          write_id(w, "lot", pr.lot.value);
          write_amount(w, "credits", pr.credits);
          write_id(w, "bonus_lot", pr.bonus_lot.value);
          write_amount(w, "bonus", pr.bonus);
          write_time(w, "expires_at", pr.expires_at);
          w.EndObject();
        });
      },
      std::move(key));
}

void void_purchase(const CallPtr& call) {
  auto id = id_arg(call, 0, "purchase");
  if (!id) return;
  auto c = decode_void_purchase(call->body, *id);
  if (!c) return fail(call, c.error());
  submit(call, std::move(*c), [](const Reply& r) {
    const VoidPurchaseReply& v = std::get<VoidPurchaseReply>(r);
    return void_answer("purchase", v.purchase, v.voided, v.consumed, v.held, v.expired);
  });
}

void void_lot(const CallPtr& call) {
  auto id = id_arg(call, 0, "lot");
  if (!id) return;
  auto c = decode_void_lot(call->body, LotId{*id});
  if (!c) return fail(call, c.error());
  submit(call, std::move(*c), [](const Reply& r) {
    const VoidReply& v = std::get<VoidReply>(r);
    return void_answer("lot", v.lot.value, v.voided, v.consumed, v.held, v.expired);
  });
}

}  // namespace tally::server
