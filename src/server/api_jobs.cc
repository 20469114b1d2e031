// Jobs: quotes, holds, captures, releases, spends, refunds; purchases and voids. A job is priced
// here, on its account's shard once its idempotency key is known to be new (DESIGN §4,
// service/submission.h); the ledger never prices.
#include <algorithm>
#include <type_traits>

#include "ledger/text.h"
#include "server/api_internal.h"
#include "service/purchase.h"

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

// A team account's member and project (issue 17), only when set: a personal account's replies
// stay as they were.
void write_member_project(JsonWriter& w, std::string_view member, std::string_view project) {
  if (!member.empty()) write_text(w, "member", member);
  if (!project.empty()) write_text(w, "project", project);
}

void write_hold(JsonWriter& w, const HoldReply& h, std::string_view account, std::string_view tool,
                std::string_view version, const pricing::Quote* q, std::string_view plan,
                std::string_view member, std::string_view project) {
  w.StartObject();
  write_id(w, "id", h.hold.value);
  write_text(w, "account", account);
  write_amount(w, "amount", h.amount);
  write_text(w, "state", "active");
  write_text_or_null(w, "tool", tool);
  write_time(w, "expires_at", h.expires_at);
  write_text_or_null(w, "price_book_version", version);
  write_member_project(w, member, project);
  write_portions(w, h.portions);
  if (q) {
    w.Key("quote");
    write_quote(w, *q, plan);
  }
  w.EndObject();
}

void write_spend(JsonWriter& w, SpendId id, std::string_view account, Credits amount,
                 std::string_view tool, const Portions& portions, Credits refunded,
                 std::string_view version, HoldId hold, std::string_view member,
                 std::string_view project, Outcome outcome) {
  w.StartObject();
  write_id(w, "id", id.value);
  write_text(w, "account", account);
  write_amount(w, "amount", amount);
  write_text_or_null(w, "tool", tool);
  write_portions(w, portions);
  write_amount(w, "refunded", refunded);
  write_text_or_null(w, "price_book_version", version);
  write_id(w, "hold", hold.value);
  write_member_project(w, member, project);
  write_text_or_null(w, "outcome", outcome == Outcome::none ? "" : outcome_name(outcome));
  w.EndObject();
}

// What a hold or spend asks (decode_job): an amount, or a tool with params to price.
using Job = JobRequest;

JobParams params_of(const ParamList& list) {
  JobParams out;
  out.reserve(list.values.size());
  for (const pricing::ParamValue& v : list.values) {
    out.push_back({std::string(v.name), std::string(v.value)});
  }
  return out;
}

// The price a job was given on its shard, for its answer.
struct Priced {
  std::shared_ptr<pricing::BookedQuote> quote;  // null for a job given by amount
  std::string plan;
};

// The answer to a job its plan includes: nothing held or spent, no id; the quote says why.
HttpResponse included_answer(const Job& job, const pricing::BookedQuote& q,
                             std::string_view plan) {
  return json(200, [&](JsonWriter& w) {
    w.StartObject();
    write_id(w, "id", 0);
    write_text(w, "account", job.account);
    write_amount(w, "amount", Credits{});
    write_text(w, "state", "included");
    write_text(w, "tool", job.tool);
    write_text(w, "price_book_version", q.book->version);
    write_portions(w, {});
    w.Key("quote");
    write_quote(w, q.quote, plan);
    w.EndObject();
  });
}

// A hold or spend: given its amount, or priced on its shard, once its key is known to be new,
// with the account's plan in hand and the price book in force at the shard's time. An unknown
// account or a pricing error is answered and not remembered; a job priced at 0 is answered
// "included" and remembered. `priced` receives the quote and plan, for the answer.
template <typename T>  // PlaceHold or SpendNow
Change job_change(const CallPtr& call, std::shared_ptr<Job> job, std::shared_ptr<Priced> priced,
                  T command) {
  Change change{std::move(command), nullptr, nullptr};
  if (job->amount) return change;
  T& c = std::get<T>(change.command);
  c.priced = true;
  c.params = params_of(job->params);
  const Api::Context* ctx = &call->ctx;
  change.prepare = [ctx, job, priced](const Ledger& l, Command* command,
                                      TimeUs now) -> std::optional<Prepared> {
    // The prices this shard uses now: a reload swaps them in order with its commands.
    const pricing::PriceVersions* prices = ctx->shard_config(l).prices.get();
    const Account* a = l.find_account(job->account);
    if (a == nullptr) {  // nothing to price for, nothing remembered (as before pricing)
      return Prepared{pack_response(problem_response(
                          not_found(cat("no account '", job->account, "'")))),
                      false};
    }
    priced->plan = a->subscription ? a->subscription->plan : std::string();
    auto q = prices->quote_at(now, job->tool, job->params.values, priced->plan);
    if (!q) return Prepared{pack_response(problem_response(pricing_problem(q.error()))), false};
    if (q->quote.total == Credits{}) {
      // Included in the plan: nothing to debit, but only a member who may spend gets it.
      if (auto e = l.check_team_debit(*a, job->member, job->project, Credits{}, now)) {
        return Prepared{pack_response(problem_response(ledger_problem(*e))),
                        e->code != ErrorCode::invalid_request};
      }
      return Prepared{pack_response(included_answer(*job, *q, priced->plan)), true};
    }
    priced->quote = std::make_shared<pricing::BookedQuote>(std::move(*q));
    T& t = std::get<T>(*command);
    t.amount = priced->quote->quote.total;
    t.price_book_version = priced->quote->book->version;
    if constexpr (std::is_same_v<T, PlaceHold>) t.plan = priced->plan;  // for its capture
    return std::nullopt;
  };
  return change;
}

}  // namespace

void with_plan(const CallPtr& call, const std::string& account,
               std::function<void(std::string plan)> then) {
  auto book = call->ctx.current()->prices->version_at(call->now);
  if (book && book->plans.empty()) return then("");  // nothing is included in any plan
  struct Seen {
    bool found = false;
    std::string plan;
  };
  auto seen = std::make_shared<Seen>();
  handed(*call);
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
  auto request = decode_quote(*call->body);
  if (!request) return fail(call, request.error());
  auto shared = std::make_shared<QuoteRequest>(std::move(*request));
  auto priced = [call, shared](std::string plan) {
    auto q = call->ctx.current()->prices->quote_at(call->now, shared->tool, shared->params.values,
                                                   plan);
    if (!q) return fail(call, pricing_problem(q.error()));
    answer(call, json(200, [&](JsonWriter& w) { write_quote(w, q->quote, plan); }));
  };
  if (shared->account) return with_plan(call, *shared->account, priced);
  priced(shared->plan.value_or(""));
}

void place_hold(const CallPtr& call) {
  auto j = decode_job(*call->body, true);
  if (!j) return fail(call, j.error());
  auto job = std::make_shared<Job>(std::move(*j));
  auto priced = std::make_shared<Priced>();
  Change change =
      job_change(call, job, priced, hold_command(*job, job->amount.value_or(Credits{}), ""));
  change.encode = [job, priced](const Ledger&, const Reply& r) {
    const HoldReply& hold = std::get<HoldReply>(r);
    const pricing::BookedQuote* q = priced->quote.get();
    return json(201, [&](JsonWriter& w) {
      write_hold(w, hold, job->account, job->tool, q ? std::string_view(q->book->version) : "",
                 q ? &q->quote : nullptr, priced->plan, job->member, job->project);
    });
  };
  submit(call, std::move(change));
}

void get_hold(const CallPtr& call) {
  auto id = id_arg(call, 0, "hold");
  if (!id) return;
  const HoldId hid{*id};
  store::Store* store = call->ctx.o.store;
  auto finished = [hid](const Ledger::HoldStatus& status) {
    return json(200, [&](JsonWriter& w) {
      w.StartObject();
      write_id(w, "id", hid.value);
      write_text(w, "state", hold_state_name(status.state));
      write_id(w, "spend", status.spend.value);
      w.EndObject();
    });
  };
  auto in_memory = [hid, finished](const Ledger& l) -> std::optional<HttpResponse> {
    if (const Hold* h = l.find_hold(hid)) {
      return json(200, [&](JsonWriter& w) {
        write_hold(w, HoldReply{h->id, h->amount, h->expires_at, h->portions},
                   account_id(l, h->account), h->tool, h->price_book_version, nullptr, "",
                   h->member, h->project);
      });
    }
    if (auto status = l.hold_status(hid)) return finished(*status);
    return std::nullopt;
  };
  read_memory_then_store(call, object_shard(*call, *id), in_memory,
                         [hid, store, finished](const Ledger& l) -> HttpResponse {
                           auto stored = store->find_finished_hold(l.shard(), hid);
                           if (!stored) return problem_response({500, "internal", stored.error().message, {}});
                           if (*stored && add_us((*stored)->ended_at,
                                                 l.config().spend_retention_us) > l.now()) {
                             return finished(Ledger::HoldStatus{(*stored)->state, (*stored)->spend});
                           }
                           return problem_response(
                               not_found(cat("no hold '", hid.value, "' (or it is too old)")));
                         });
}

void mark_outcome(const CallPtr& call) {
  auto id = id_arg(call, 0, "spend");
  if (!id) return;
  auto c = decode_outcome(*call->body, SpendId{*id});
  if (!c) return fail(call, c.error());
  submit(call, std::move(*c), [](const Reply& r) {
    const OutcomeReply& o = std::get<OutcomeReply>(r);
    return json(200, [&](JsonWriter& w) {
      w.StartObject();
      write_id(w, "spend", o.spend.value);
      write_text(w, "outcome", outcome_name(o.outcome));
      w.Key("changed");
      w.Bool(o.changed);
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

namespace {

// A capture's parameters: the hold's, with those its usage names replaced or added.
std::vector<pricing::ParamValue> merge_usage(const JobParams& held, const JobParams& usage) {
  std::vector<pricing::ParamValue> out;
  for (const JobParam& p : held) {
    const bool named = std::any_of(usage.begin(), usage.end(),
                                   [&](const JobParam& u) { return u.name == p.name; });
    if (!named) out.push_back({p.name, p.value});
  }
  for (const JobParam& u : usage) out.push_back({u.name, u.value});
  return out;
}

}  // namespace

void capture(const CallPtr& call) {
  auto id = id_arg(call, 0, "hold");
  if (!id) return;
  auto c = decode_capture(*call->body, HoldId{*id});
  if (!c) return fail(call, c.error());
  Change change{c->command, nullptr,
                [](const Ledger&, const Reply& r) { return capture_answer(r); }};
  if (c->usage) {
    // Priced on the shard with the hold's price book version, parameters and plan (rule 7):
    // the usage overrides only the parameters it names.
    Capture& command = std::get<Capture>(change.command);
    command.priced = true;
    command.usage = params_of(*c->usage);
    const Api::Context* ctx = &call->ctx;
    change.prepare = [ctx](const Ledger& l, Command* cmd, TimeUs) -> std::optional<Prepared> {
      const pricing::PriceVersions* prices = ctx->shard_config(l).prices.get();
      Capture& capture = std::get<Capture>(*cmd);
      const Hold* h = l.find_hold(capture.hold);
      if (h == nullptr) return std::nullopt;  // finished or unknown: the ledger says which
      if (h->price_book_version.empty()) {
        return Prepared{pack_response(problem_response(
                            bad_request("this hold was placed by amount: capture an 'amount'"))),
                        false};
      }
      const auto params = merge_usage(h->params, capture.usage);
      auto q = prices->price_capture(h->price_book_version, h->amount, h->tool, params, h->plan);
      if (!q) return Prepared{pack_response(problem_response(pricing_problem(q.error()))), false};
      capture.amount = q->quote.total;
      return std::nullopt;
    };
  }
  submit(call, std::move(change));
}

void release(const CallPtr& call) {
  auto id = id_arg(call, 0, "hold");
  if (!id) return;
  auto c = decode_release(*call->body, HoldId{*id});
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
  auto j = decode_job(*call->body, false);
  if (!j) return fail(call, j.error());
  auto job = std::make_shared<Job>(std::move(*j));
  auto priced = std::make_shared<Priced>();
  Change change =
      job_change(call, job, priced, spend_command(*job, job->amount.value_or(Credits{}), ""));
  change.encode = [job, priced](const Ledger&, const Reply& r) {
    const SpendReply& sp = std::get<SpendReply>(r);
    const pricing::BookedQuote* q = priced->quote.get();
    return json(201, [&](JsonWriter& w) {
      write_spend(w, sp.spend, job->account, sp.amount, job->tool, sp.portions, Credits{},
                  q ? std::string_view(q->book->version) : "", HoldId{}, job->member, job->project,
                  job->outcome);
    });
  };
  submit(call, std::move(change));
}

void get_spend(const CallPtr& call) {
  auto id = id_arg(call, 0, "spend");
  if (!id) return;
  const SpendId sid{*id};
  store::Store* store = call->ctx.o.store;
  auto show = [](const Ledger& l, const Spend& s) {
    return json(200, [&](JsonWriter& w) {
      write_spend(w, s.id, account_id(l, s.account), s.amount, s.tool, s.portions, s.refunded,
                  s.price_book_version, s.hold, s.member, s.project, s.outcome);
    });
  };
  auto in_memory = [sid, show](const Ledger& l) -> std::optional<HttpResponse> {
    if (const Spend* s = l.find_spend(sid)) return show(l, *s);
    return std::nullopt;
  };
  read_memory_then_store(call, object_shard(*call, *id), in_memory,
                         [sid, store, show](const Ledger& l) -> HttpResponse {
                           auto stored = store->find_spend(l.shard(), sid);
                           if (!stored) return problem_response({500, "internal", stored.error().message, {}});
                           if (*stored && (*stored)->account < l.accounts().size()) {
                             return show(l, **stored);
                           }
                           return problem_response(
                               not_found(cat("no spend '", sid.value, "' (or it is too old)")));
                         });
}

void refund(const CallPtr& call) {
  auto id = id_arg(call, 0, "spend");
  if (!id) return;
  auto c = decode_refund(*call->body, SpendId{*id});
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

namespace {

HttpResponse purchase_answer(const std::string& account, const PurchaseReply& pr) {
  return json(201, [&](JsonWriter& w) {
    w.StartObject();
    write_id(w, "id", pr.purchase);
    write_text(w, "account", account);
    write_text(w, "pack", pr.pack);
    write_price(w, "price", pr.price);
    write_id(w, "lot", pr.lot.value);
    write_amount(w, "credits", pr.credits);
    write_id(w, "bonus_lot", pr.bonus_lot.value);
    write_amount(w, "bonus", pr.bonus);
    write_time(w, "expires_at", pr.expires_at);
    w.EndObject();
  });
}

}  // namespace

std::string purchase_answer_bytes(const std::string& account, const PurchaseReply& reply) {
  return pack_response(purchase_answer(account, reply));
}

// A payment credits at most one purchase in the deployment (rule 8): service/purchase.h claims
// its payment_ref before the purchase reaches its shard, and records the answer once it is
// durable.
void purchase(const CallPtr& call) {
  auto decoded = decode_purchase(*call->body);
  if (!decoded) return fail(call, decoded.error());
  auto p = std::make_shared<const Purchase>(std::move(*decoded));
  // Without a header the payment reference is the key: a retried webhook is a retry.
  std::string key = call->request.has_idempotency_key ? call->request.idempotency_key
                                                      : cat(k_purchase_key_prefix, p->payment_ref);
  service::Submission s{Request{std::move(key), *p, credential_of(call->who)}, nullptr, nullptr};
  s.encode = [p, id = call->request.request_id](const Ledger&, const Result& r) {
    if (!r) return remembered(pack_response(problem_response(ledger_problem(r.error()))), id);
    return purchase_answer_bytes(p->account, std::get<PurchaseReply>(*r));
  };
  // The purchase's answer comes on the shard's writer thread once it (or its refusal) is
  // durable. Purchases are rare: the payments write there costs the shard one fsync each.
  handed(*call);
  call->account = p->account;
  service::submit_purchase(
      *call->ctx.o.service, *call->ctx.o.payments, std::move(s), call->now,
      [call, p](service::PurchaseOutcome o) {
        using Kind = service::PurchaseOutcome::Kind;
        switch (o.kind) {
          case Kind::credited:
            return answer(call, unpack_response(o.response));
          case Kind::taken:
            return fail(call,
                        Problem{409,
                                "payment_ref_used",
                                cat("payment_ref '", p->payment_ref, "' belongs to a purchase for ",
                                    "account '", o.account, "' (or of another pack, ",
                                    "currency or region): a payment credits one purchase"),
                                {}});
          case Kind::failed:
            return fail(call, Problem{500,
                                      "internal",
                                      cat("the payment record could not be written: ", o.message),
                                      {}});
          case Kind::ran:
            break;
        }
        call->queue_ns = o.outcome.queue_ns;
        call->commit_ns = o.outcome.commit_ns;
        answer(call, unpack_response(o.outcome.response));
      });
}

void void_purchase(const CallPtr& call) {
  auto id = id_arg(call, 0, "purchase");
  if (!id) return;
  auto c = decode_void_purchase(*call->body, *id);
  if (!c) return fail(call, c.error());
  submit(call, std::move(*c), [](const Reply& r) {
    const VoidPurchaseReply& v = std::get<VoidPurchaseReply>(r);
    return void_answer("purchase", v.purchase, v.voided, v.consumed, v.held, v.expired);
  });
}

void void_lot(const CallPtr& call) {
  auto id = id_arg(call, 0, "lot");
  if (!id) return;
  auto c = decode_void_lot(*call->body, LotId{*id});
  if (!c) return fail(call, c.error());
  submit(call, std::move(*c), [](const Reply& r) {
    const VoidReply& v = std::get<VoidReply>(r);
    return void_answer("lot", v.lot.value, v.voided, v.consumed, v.held, v.expired);
  });
}

}  // namespace tally::server
