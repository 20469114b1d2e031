#include <algorithm>
#include <atomic>
#include <mutex>

#include "ledger/check.h"
#include "ledger/text.h"
#include "lint/lint.h"
#include "log/log.h"
#include "pricing/table.h"
#include "server/api_internal.h"
#include "server/web.h"

namespace tally::server {

// Reports (api_reports.cc, docs/reports.md).
void get_finance(const CallPtr& call);
void get_forecast(const CallPtr& call);
void get_top_accounts(const CallPtr& call);

namespace {

// %XX decoding (no '+' to space: this is a path or query of RFC 3986, not a form).
std::optional<std::string> percent_decode(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] != '%') {
      out.push_back(s[i]);
      continue;
    }
    if (i + 2 >= s.size()) return std::nullopt;
    auto nibble = [](char c) -> int {
      if (c >= '0' && c <= '9') return c - '0';
      if (c >= 'a' && c <= 'f') return c - 'a' + 10;
      if (c >= 'A' && c <= 'F') return c - 'A' + 10;
      return -1;
    };
    const int hi = nibble(s[i + 1]), lo = nibble(s[i + 2]);
    if (hi < 0 || lo < 0) return std::nullopt;
    out.push_back(static_cast<char>(hi * 16 + lo));
    i += 2;
  }
  return out;
}

// An account a command names, for the access log.
std::string_view account_of(const Command& command) {
  return std::visit(
      [](const auto& c) -> std::string_view {
        if constexpr (requires { c.account; }) {
          return c.account;
        } else {
          return {};
        }
      },
      command);
}

// What the access log says about `call` beside what HTTP knows (AccessNote).
void note(const Call& call, AccessNote& n) {
  n.route = call.route != nullptr ? std::string_view(call.route->pattern) : std::string_view();
  n.key_id = call.who.key_id;
  n.token_id = call.who.token_id;
  if (!call.account.empty()) {
    n.account = call.account;
  } else if (call.route != nullptr && n.route.starts_with("/v1/accounts/{}") && !call.args.empty()) {
    n.account = call.args[0];
  } else {
    n.account = call.who.account;
  }
  const auto now = std::chrono::steady_clock::now();
  if (call.handed_at != std::chrono::steady_clock::time_point{}) {
    n.decode_ns = (call.handed_at - call.arrived).count();
    n.shard_ns = (now - call.handed_at).count();
  } else {
    n.decode_ns = (now - call.arrived).count();
  }
  n.queue_ns = call.queue_ns;
  n.commit_ns = call.commit_ns;
}

std::vector<std::string_view> split(std::string_view s, char sep) {
  std::vector<std::string_view> out;
  size_t start = 0;
  while (true) {
    const size_t end = s.find(sep, start);
    out.push_back(s.substr(start, end == std::string_view::npos ? end : end - start));
    if (end == std::string_view::npos) return out;
    start = end + 1;
  }
}

bool is_json_answer(std::string_view content_type) {
  return content_type == "application/json" || content_type == "application/problem+json";
}

bool is_json(std::string_view content_type) {
  const std::string_view base = content_type.substr(0, content_type.find(';'));
  std::string lower(base);
  for (char& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  while (!lower.empty() && lower.back() == ' ') lower.pop_back();
  return lower == "application/json";
}

// Routes of the table that match `path` (segment count and literals), and their captures.
struct Match {
  const Route* route = nullptr;
  std::vector<std::string> args;
  std::string allow;  // methods of the path, when only the method is wrong
};

std::expected<Match, Problem> match(std::string_view method, std::string_view path,
                                    bool clock_endpoint) {
  // The patterns' segments, split once: matching runs for every request.
  static const std::vector<std::vector<std::string_view>> k_patterns = [] {
    std::vector<std::vector<std::string_view>> out;
    for (const Route& r : routes()) out.push_back(split(std::string_view(r.pattern).substr(1), '/'));
    return out;
  }();
  const auto segments = split(path.substr(1), '/');
  Match m;
  for (size_t n = 0; n < routes().size(); ++n) {
    const Route& r = routes()[n];
    if (!clock_endpoint && std::string_view(r.pattern) == "/v1/admin/clock") continue;
    const auto& pattern = k_patterns[n];
    if (pattern.size() != segments.size()) continue;
    std::vector<std::string> args;
    bool same = true;
    for (size_t i = 0; i < pattern.size() && same; ++i) {
      if (pattern[i] == "{}") {
        auto decoded = percent_decode(segments[i]);
        if (!decoded) return std::unexpected(bad_request("the path has a bad %-escape"));
        args.push_back(std::move(*decoded));
      } else {
        same = pattern[i] == segments[i];
      }
    }
    if (!same) continue;
    if (method != r.method) {
      m.allow += cat(m.allow.empty() ? "" : ", ", r.method);
      continue;
    }
    m.route = &r;
    m.args = std::move(args);
    return m;
  }
  if (!m.allow.empty()) return m;
  return std::unexpected(not_found(cat("no endpoint ", method, " ", path, " (docs/openapi.yaml)")));
}

// A worker key (a generation worker's) prices, holds, captures and releases: nothing else.
bool worker_route(const Route& r) {
  return r.fn == quote || r.fn == place_hold || r.fn == get_hold || r.fn == capture ||
         r.fn == release;
}

bool allowed(const Route& route, const Principal& who, const std::vector<std::string>& args) {
  using K = Principal::Kind;
  // A read key reads what a service key may read.
  const bool read = who.kind == K::read && std::string_view(route.method) == "GET";
  switch (route.access) {
    case Access::open: return true;
    case Access::any: return who.kind != K::none;
    case Access::admin: return who.kind == K::admin;
    case Access::service:
      return who.kind == K::admin || who.kind == K::service || read ||
             (who.kind == K::worker && worker_route(route));
    case Access::reader:
      return who.kind == K::admin || who.kind == K::service || read ||
             (who.kind == K::user && !args.empty() && args[0] == who.account);
    case Access::owner:  // and [tokens], for a token (dispatch)
      return who.kind == K::admin || who.kind == K::service ||
             (who.kind == K::user && !args.empty() && args[0] == who.account);
  }
  return false;
}

// A token on an Access::owner route: the setting must be one [tokens] lets end users change.
std::optional<Problem> token_may_change(const Call& call) {
  const bool alerts = call.route->fn == set_alerts;
  if (may_change(call, alerts)) return std::nullopt;
  return Problem{403,
                 "editing_not_allowed",
                 alerts ? "this platform does not let end users change their alert settings "
                          "([tokens] edit_alerts)"
                        : "this platform does not let end users change their auto top-up "
                          "([tokens] edit_auto_topup)",
                 {}};
}

void proceed(const CallPtr& call, const rapidjson::Value* item_body,
             std::shared_ptr<const Call> batch);

// What a member's or viewer's token may read of its team account (docs/api.md "Tokens for team
// members"): the account and its balance, its own history, its own entry in the members and the
// budgets that bind it. An owner's or admin's token reads what the account's own token does.
std::optional<Problem> member_may(Call& call) {
  if (!call.sees_only_itself()) return std::nullopt;
  const auto fn = call.route->fn;
  if (fn != get_account && fn != get_balance && fn != get_entries && fn != list_members &&
      fn != list_budgets && fn != get_budget && fn != get_usage) {
    return Problem{403,
                   "forbidden",
                   cat("the token of member '", call.who.member, "' (role ", role_name(*call.role),
                       ") reads the team's balance, its own history and usage and the budgets "
                       "that bind it; this needs role admin or owner"),
                   {}};
  }
  if (fn == get_entries || fn == list_budgets) {
    // Its own: the member filter is the token's member, whatever the query asks.
    if (auto asked = call.query_value("member"); asked && *asked != call.who.member) {
      return Problem{403,
                     "forbidden",
                     cat("the token of member '", call.who.member, "' reads only its own ",
                         fn == get_entries ? "history" : "budgets"),
                     {}};
    }
    if (!call.query_value("member")) call.query.emplace_back("member", call.who.member);
  }
  return std::nullopt;
}

// A team member's token (Principal::member) on its team account: looks up the member's role on
// the account's shard, then goes on with the request as that role allows. A user who is no
// longer a member (or an account that is not a team's) is refused: the token reads nothing.
void member_role_then(const CallPtr& call, const rapidjson::Value* item_body,
                      std::shared_ptr<const Call> batch) {
  auto role = std::make_shared<std::optional<Role>>();
  call->ctx.o.service->read_ledger(
      account_shard(*call, call->who.account),
      [role, account = call->who.account, user = call->who.member](const Ledger& l) {
        const Account* a = l.find_account(account);
        if (!a || !a->team) return;
        if (const Member* m = a->team->find_member(user)) *role = m->role;
      },
      [call, role, item_body, batch = std::move(batch)]() mutable {
        if (!*role) {
          return fail(call,
                      Problem{403,
                              "not_a_member",
                              cat("user '", call->who.member, "' is not a member of team account '",
                                  call->who.account, "': its token reads nothing"),
                              {}});
        }
        call->role = **role;
        if (auto p = member_may(*call)) return fail(call, *p);
        if (call->route->access == Access::owner) {
          if (auto p = token_may_change(*call)) return fail(call, *p);
        }
        proceed(call, item_body, std::move(batch));
      });
}

// A request of a /v1/batch: the batch's call (its parsed body holds the item's, decoded in
// place) and its credential, read once.
struct BatchItemOf {
  std::shared_ptr<const Call> batch;
  const rapidjson::Value* body = nullptr;  // in batch->document; null: none
  const Auth::Presented* credential = nullptr;
};

void dispatch(Api::Context& ctx, HttpRequest&& request, Respond respond,
              const BatchItemOf* item = nullptr);

// --- Endpoints that need no shard ---

void healthz(const CallPtr& call) {
  answer(call, json(200, [&](JsonWriter& w) {
           w.StartObject();
           write_text(w, "status", "ok");
           w.Key("shards");
           w.Uint64(call->ctx.o.service->shards());
           if (call->ctx.o.node_health) {
             const std::string node = call->ctx.o.node_health();
             w.Key("node");
             w.RawValue(node.data(), node.size(), rapidjson::kObjectType);
           }
           w.EndObject();
         }));
}

// The samples of one Prometheus histogram, `labels` before `le` ("shard=\"0\"," or empty),
// `scale` dividing the recorded values (1e6 for µs -> seconds).
void histogram_samples(std::string& out, std::string_view name, std::string_view labels,
                       const service::HistogramSnapshot& h, double scale) {
  uint64_t running = 0;
  for (size_t b = 0; b < h.counts.size(); ++b) {
    running += h.counts[b];
    if (h.counts[b] == 0 && b + 1 != h.counts.size()) continue;  // keep the text short
    const std::string le = h.upper_bounds[b] == UINT64_MAX
                               ? std::string("+Inf")
                               : cat(static_cast<double>(h.upper_bounds[b]) / scale);
    out += cat(name, "_bucket{", labels, "le=\"", le, "\"} ", running, "\n");
  }
  const std::string_view plain = labels.substr(0, labels.empty() ? 0 : labels.size() - 1);
  const std::string braces = plain.empty() ? std::string() : cat("{", plain, "}");
  out += cat(name, "_sum", braces, " ", static_cast<double>(h.sum) / scale, "\n");
  out += cat(name, "_count", braces, " ", h.count, "\n");
}

// One Prometheus histogram over every shard.
void histogram_text(std::string& out, std::string_view name, std::string_view help,
                    const std::vector<service::ShardStats>& shards,
                    service::HistogramSnapshot service::ShardStats::*field, double scale) {
  out += cat("# HELP ", name, " ", help, "\n# TYPE ", name, " histogram\n");
  for (size_t i = 0; i < shards.size(); ++i) {
    histogram_samples(out, name, cat("shard=\"", i, "\","), shards[i].*field, scale);
  }
}

void metrics(const CallPtr& call) {
  const service::Service& s = *call->ctx.o.service;
  std::vector<service::ShardStats> shards;
  for (size_t i = 0; i < s.shards(); ++i) shards.push_back(s.stats(static_cast<ShardId>(i)));
  std::string out;
  auto counter = [&](std::string_view name, std::string_view help, auto field) {
    out += cat("# HELP ", name, " ", help, "\n# TYPE ", name, " counter\n");
    for (size_t i = 0; i < shards.size(); ++i) {
      out += cat(name, "{shard=\"", i, "\"} ", shards[i].*field, "\n");
    }
  };
  counter("tally_commands_total", "Commands the ledger ran (done or refused), by shard.",
          &service::ShardStats::commands);
  counter("tally_batches_total", "Batches committed (one transaction, one fsync), by shard.",
          &service::ShardStats::batches);
  counter("tally_cold_key_lookups_total",
          "Idempotency keys looked up in the store because memory no longer held them.",
          &service::ShardStats::cold_key_lookups);
  histogram_text(out, "tally_commit_seconds", "Time to commit one batch durably.", shards,
                 &service::ShardStats::commit_us, 1e6);
  histogram_text(out, "tally_batch_commands", "Commands per committed batch.", shards,
                 &service::ShardStats::batch_commands, 1);
  // The stages of a request (DESIGN §4), in the order it meets them; commit is above.
  out += cat("# HELP tally_decode_seconds From a request's arrival to its command or read ",
             "handed to its shard (routing, authentication, parsing, decoding).\n",
             "# TYPE tally_decode_seconds histogram\n");
  histogram_samples(out, "tally_decode_seconds", "", call->ctx.decode_ns.snapshot(), 1e9);
  histogram_text(out, "tally_queue_wait_seconds",
                 "From a command or read handed to its shard to its batch starting.", shards,
                 &service::ShardStats::queue_wait_ns, 1e9);
  histogram_text(out, "tally_apply_seconds",
                 "Running one change on its shard (key lookup, pricing, the ledger, the answer).",
                 shards, &service::ShardStats::apply_ns, 1e9);
  if (call->ctx.o.reply_ns) {
    out += cat("# HELP tally_reply_seconds From an answer given (its batch durable) to its ",
               "bytes written to the connection.\n# TYPE tally_reply_seconds histogram\n");
    histogram_samples(out, "tally_reply_seconds", "", call->ctx.o.reply_ns(), 1e9);
  }
  if (call->ctx.o.metrics_extra) out += call->ctx.o.metrics_extra();
  answer(call, {200, "text/plain; version=0.0.4", std::move(out), {}});
}

// The public price page: the table of the version in force, the versions that take effect
// later (announced, not yet charged), and the fairness score of the configuration.
void pricing_table(const CallPtr& call) {
  const auto live = call->ctx.current();
  auto book = live->prices->version_at(call->now);
  if (!book) return fail(call, not_found("no price book is in force"));
  const Catalog& catalog = *live->catalog;
  pricing::PriceTable table = pricing::build_price_table(*book, catalog.packs);
  table.upcoming = pricing::upcoming_versions(*live->prices, call->now);
  const lint::Report fairness = lint::lint_config(book.get(), catalog);
  auto more = [&](pricing::JsonWriter& w) {
    w.key("fairness");
    lint::write_json(w, fairness);
  };
  HttpResponse r{200, "application/json", pricing::render_table_json(table, more), {}};
  answer(call, std::move(r));
}

void plans(const CallPtr& call) {
  const auto live = call->ctx.current();
  const Catalog& c = *live->catalog;
  answer(call, json(200, [&](JsonWriter& w) {
           w.StartObject();
           write_text_or_null(w, "default_plan", c.default_plan);
           w.Key("plans");
           w.StartArray();
           for (const Plan& p : c.plans) {
             w.StartObject();
             write_text(w, "id", p.id);
             write_text(w, "name", p.name);
             w.Key("tier");
             w.Int(p.tier);
             write_amount(w, "allocation", p.allocation);
             write_text(w, "period", period_name(p.period));
             write_amount(w, "rollover_cap", p.rollover_cap);
             w.Key("custom_allocation");
             w.Bool(p.custom_allocation);
             write_amount(w, "signup_grant", p.signup_grant);
             w.Key("team_members");  // 0: the plan does not allow team accounts
             w.Uint(p.team_members);
             w.Key("daily_reward");
             if (p.daily_reward) {
               // What a claim now grants (the ledger's own rule), then what it is made of.
               const DailyRewardAt now = c.daily_reward_at(p, call->now);
               w.StartObject();
               write_amount(w, "amount", now.amount.value_or(Credits{}));
               write_amount(w, "base_amount", p.daily_reward->amount);
               if (p.member) {
                 write_text(w, "member_boost", format_ratio(p.daily_reward->member_boost));
               } else {
                 w.Key("member_boost");
                 w.Null();
               }
               write_text_or_null(w, "season", now.season ? now.season->id : "");
               write_text(w, "validity", format_validity(p.daily_reward->validity));
               w.EndObject();
             } else {
               w.Null();
             }
             w.Key("member");
             w.Bool(p.member);
             w.Key("purchase_bonus_percent");
             w.Int64(p.purchase_bonus_percent);
             w.EndObject();
           }
           w.EndArray();
           w.EndObject();
         }));
}

void packs(const CallPtr& call) {
  const auto live = call->ctx.current();
  const Catalog& c = *live->catalog;
  answer(call, json(200, [&](JsonWriter& w) {
           w.StartObject();
           w.Key("packs");
           w.StartArray();
           for (const Pack& p : c.packs) {
             w.StartObject();
             write_text(w, "id", p.id);
             write_text(w, "name", p.name);
             write_amount(w, "credits", p.credits);
             write_amount(w, "bonus", p.bonus);
             write_text(w, "validity", format_validity(p.validity));
             // The bonus lot's own life (also of a plan's purchase bonus): the page must not
             // let bonus credits look as lasting as the credits bought.
             write_text(w, "bonus_validity", format_validity(p.bonus_validity));
             w.Key("prices");
             w.StartArray();
             for (const PackPrice& pp : p.prices) {
               w.StartObject();
               write_text(w, "currency", currency_code(pp.price.currency));
               write_text(w, "amount", format_major(pp.price));
               write_text_or_null(w, "region", pp.region);
               write_text(w, "per_credit", format_price_per_credit_major(pp.price, p.credits));
               w.EndObject();
             }
             w.EndArray();
             w.EndObject();
           }
           w.EndArray();
           w.EndObject();
         }));
}

void set_clock(const CallPtr& call) {
  auto now = decode_clock(*call->body);
  if (!now) return fail(call, now.error());
  if (*now < call->now) {  // the ledger's time never goes back (rule 10)
    return fail(call, bad_request(cat("'now' is before the server's time ",
                                      format_time(call->now), ": time only moves forward")));
  }
  call->ctx.o.set_clock(*now);
  if (!record_action(call, "set_clock", "", format_time(*now))) return;
  // Answered once every shard has moved to the new time (expiries, timeouts and renewals due
  // by then applied and durable): a read sent after this reply sees them.
  service::Service& service = *call->ctx.o.service;
  auto left = std::make_shared<std::atomic<size_t>>(service.shards());
  const TimeUs at = *now;
  for (size_t i = 0; i < service.shards(); ++i) {
    service.read_ledger(
        static_cast<ShardId>(i), [](const Ledger&) {},
        [call, left, at] {
          if (--*left != 0) return;
          answer(call, json(200, [&](JsonWriter& w) {
                   w.StartObject();
                   write_time(w, "now", at);
                   w.EndObject();
                 }));
        });
  }
}

// Each request of the batch is dispatched as if sent alone, with the batch's credential; the
// answers come back in request order.
void batch(const CallPtr& call) {
  auto items = decode_batch(*call->body);
  if (!items) return fail(call, items.error());
  std::vector<HttpRequest> subs;
  std::vector<const rapidjson::Value*> bodies;  // in call->document, kept by each item's call
  auto paths = std::make_shared<std::vector<std::string>>();
  for (BatchItem& item : *items) {
    HttpRequest sub;
    sub.method = std::move(item.method);
    sub.target = std::move(item.path);
    sub.has_idempotency_key = item.idempotency_key.has_value();
    sub.idempotency_key = item.idempotency_key.value_or("");
    sub.content_type = "application/json";
    sub.host = call->request.host;
    sub.request_id = call->request.request_id;  // an item's problems name the batch
    paths->push_back(sub.target);
    subs.push_back(std::move(sub));
    bodies.push_back(item.body);
  }
  struct State {
    std::mutex mu;
    std::vector<HttpResponse> answers;
    size_t left = 0;
  };
  auto state = std::make_shared<State>();
  state->answers.resize(subs.size());
  state->left = subs.size();
  // Each shard gets its items at once, in one batch (one commit), in the batch's order.
  service::Service::Handoff handoff(*call->ctx.o.service);
  const Auth::Presented credential = call->ctx.o.auth->present(call->request.authorization);
  BatchItemOf item{call, nullptr, &credential};
  for (size_t i = 0; i < subs.size(); ++i) {
    item.body = bodies[i];
    dispatch(call->ctx, std::move(subs[i]), [state, call, i, paths](HttpResponse r) {
      if (!is_json_answer(r.content_type)) {  // e.g. /metrics: its text cannot sit in JSON
        r = problem_response(bad_request(
            cat((*paths)[i].substr(0, 128), " answers ", r.content_type,
                ", not JSON: call it on its own, outside a batch")));
        add_request_id(r.body, call->request.request_id);
      }
      {
        std::lock_guard lock(state->mu);
        state->answers[i] = std::move(r);
        if (--state->left != 0) return;
      }
      answer(call, json(200, [&](JsonWriter& w) {
               w.StartObject();
               w.Key("responses");
               w.StartArray();
               for (const HttpResponse& a : state->answers) {
                 w.StartObject();
                 w.Key("status");
                 w.Int(a.status);
                 w.Key("body");
                 w.RawValue(a.body.data(), a.body.size(), rapidjson::kObjectType);
                 w.EndObject();
               }
               w.EndArray();
               w.EndObject();
             }));
    }, &item);
  }
}

constexpr Route k_routes[] = {
    {"GET", "/healthz", Access::open, false, healthz},
    {"GET", "/metrics", Access::open, false, metrics},
    {"GET", "/v1/pricing", Access::open, false, pricing_table},
    {"GET", "/v1/plans", Access::open, false, plans},
    {"GET", "/v1/packs", Access::open, false, packs},
    {"POST", "/v1/accounts", Access::service, true, open_account},
    {"GET", "/v1/accounts", Access::service, false, list_accounts},
    {"GET", "/v1/accounts/{}", Access::reader, false, get_account},
    {"GET", "/v1/accounts/{}/entries", Access::reader, false, get_entries},
    {"GET", "/v1/accounts/{}/balance", Access::reader, false, get_balance},
    {"GET", "/v1/accounts/{}/events", Access::reader, false, get_account_events},
    {"GET", "/v1/accounts/{}/alerts", Access::reader, false, get_alerts},
    {"PUT", "/v1/accounts/{}/alerts", Access::owner, true, set_alerts},
    {"GET", "/v1/accounts/{}/auto_topup", Access::reader, false, get_auto_topup},
    {"PUT", "/v1/accounts/{}/auto_topup", Access::owner, true, set_auto_topup},
    {"DELETE", "/v1/accounts/{}/auto_topup", Access::owner, true, delete_auto_topup},
    {"POST", "/v1/accounts/{}/members", Access::service, true, add_member},
    {"GET", "/v1/accounts/{}/members", Access::reader, false, list_members},
    {"PATCH", "/v1/accounts/{}/members/{}", Access::service, true, set_member_role},
    {"DELETE", "/v1/accounts/{}/members/{}", Access::service, true, remove_member},
    {"POST", "/v1/accounts/{}/budgets", Access::service, true, add_budget},
    {"GET", "/v1/accounts/{}/budgets", Access::reader, false, list_budgets},
    {"GET", "/v1/accounts/{}/budgets/{}", Access::reader, false, get_budget},
    {"PATCH", "/v1/accounts/{}/budgets/{}", Access::service, true, update_budget},
    {"DELETE", "/v1/accounts/{}/budgets/{}", Access::service, true, remove_budget},
    {"GET", "/v1/accounts/{}/usage", Access::reader, false, get_usage},
    {"GET", "/v1/accounts/{}/forecast", Access::reader, false, get_forecast},
    {"POST", "/v1/accounts/{}/grants", Access::admin, true, grant},
    {"PUT", "/v1/accounts/{}/subscription", Access::service, true, set_subscription},
    {"DELETE", "/v1/accounts/{}/subscription", Access::service, true, cancel_subscription},
    {"POST", "/v1/accounts/{}/subscription/past_due", Access::service, true, past_due},
    {"POST", "/v1/accounts/{}/subscription/resume", Access::service, true, resume},
    {"POST", "/v1/accounts/{}/rewards/daily", Access::service, true, daily_reward},
    {"POST", "/v1/accounts/{}/tokens", Access::service, false, issue_token},
    {"POST", "/v1/accounts/{}/tokens/revoke", Access::service, false, revoke_tokens},
    {"POST", "/v1/quotes", Access::service, false, quote},
    {"POST", "/v1/holds", Access::service, true, place_hold},
    {"GET", "/v1/holds/{}", Access::service, false, get_hold},
    {"POST", "/v1/holds/{}/capture", Access::service, true, capture},
    {"POST", "/v1/holds/{}/release", Access::service, true, release},
    {"POST", "/v1/spends", Access::service, true, spend},
    {"GET", "/v1/spends/{}", Access::service, false, get_spend},
    {"POST", "/v1/spends/{}/refunds", Access::service, true, refund},
    {"POST", "/v1/spends/{}/outcome", Access::service, true, mark_outcome},
    {"POST", "/v1/purchases", Access::service, true, purchase},
    {"POST", "/v1/purchases/{}/void", Access::admin, true, void_purchase},
    {"POST", "/v1/lots/{}/void", Access::admin, true, void_lot},
    {"POST", "/v1/auto_topups/{}/fail", Access::service, true, fail_auto_topup},
    {"POST", "/v1/auto_topups/{}/cancel", Access::service, true, cancel_auto_topup},
    {"POST", "/v1/batch", Access::any, false, batch},
    {"GET", "/v1/events", Access::service, false, get_events},
    {"POST", "/v1/keys", Access::admin, false, create_key},
    {"GET", "/v1/keys", Access::admin, false, list_keys},
    {"DELETE", "/v1/keys/{}", Access::admin, false, revoke_key},
    {"POST", "/v1/keys/{}/rotate", Access::admin, false, rotate_key},
    {"POST", "/v1/webhooks", Access::admin, false, create_webhook},
    {"GET", "/v1/webhooks", Access::admin, false, list_webhooks},
    {"GET", "/v1/webhooks/{}", Access::admin, false, get_webhook},
    {"DELETE", "/v1/webhooks/{}", Access::admin, false, delete_webhook},
    {"POST", "/v1/webhooks/{}/rotate_secret", Access::admin, false, rotate_webhook_secret},
    {"POST", "/v1/webhooks/{}/enable", Access::admin, false, enable_webhook},
    {"GET", "/v1/webhooks/{}/deliveries", Access::admin, false, list_webhook_deliveries},
    {"POST", "/v1/webhooks/{}/deliveries/{}/redeliver", Access::admin, false,
     redeliver_webhook_event},
    {"GET", "/v1/platform/events", Access::admin, false, get_platform_events},
    {"GET", "/v1/reports/finance", Access::service, false, get_finance},
    {"GET", "/v1/reports/top-accounts", Access::service, false, get_top_accounts},
    {"POST", "/v1/admin/clock", Access::admin, false, set_clock},
    {"POST", "/v1/admin/reload", Access::admin, false, reload},
    {"GET", "/v1/audit", Access::service, false, get_audit},
};

void dispatch(Api::Context& ctx, HttpRequest&& request, Respond respond,
              const BatchItemOf* item) {
  auto call = std::make_shared<Call>(Call{.ctx = ctx,
                                          .request = std::move(request),
                                          .in_batch = item != nullptr,
                                          .now = ctx.o.clock(),
                                          .respond = std::move(respond)});
  const std::string& target = call->request.target;
  if (target.size() > k_target_bytes_max || target.empty() || target[0] != '/') {
    return fail(call, bad_request("the request target is not a path of at most 4096 bytes"));
  }
  const size_t q = target.find('?');
  call->path = target.substr(0, q);
  if (q != std::string::npos) {
    for (std::string_view pair : split(std::string_view(target).substr(q + 1), '&')) {
      if (pair.empty()) continue;
      const size_t eq = pair.find('=');
      auto name = percent_decode(pair.substr(0, eq));
      auto value = percent_decode(eq == std::string_view::npos ? "" : pair.substr(eq + 1));
      if (!name || !value) return fail(call, bad_request("the query has a bad %-escape"));
      call->query.emplace_back(std::move(*name), std::move(*value));
    }
  }
  auto m = match(call->request.method, call->path, static_cast<bool>(ctx.o.set_clock));
  if (!m) return fail(call, m.error());
  if (!m->route) {
    HttpResponse r = problem_response(
        {405, "method_not_allowed", cat(call->path, " allows ", m->allow), {}});
    r.headers.emplace_back("Allow", m->allow);
    return answer(call, std::move(r));
  }
  const Route& route = *m->route;
  call->route = &route;
  call->args = std::move(m->args);
  for (const std::string& a : call->args) {
    if (!is_account_id(a)) {
      return fail(call, bad_request(cat("'", a.substr(0, 128),
                                        "' is not an id: 1 to 128 characters of A-Z a-z 0-9 . _ - "
                                        ": @ + ~")));
    }
  }
  if (route.access != Access::open) {
    // A batch's items each present its credential again: a key an item revokes (or one that
    // expires meanwhile) is refused for the items after it (docs/api.md).
    std::string why;
    call->who = item != nullptr
                    ? ctx.o.auth->authenticate(*item->credential, call->now, &why)
                    : ctx.o.auth->authenticate(call->request.authorization, call->now, &why);
    if (call->who.kind == Principal::Kind::none) {
      HttpResponse r = problem_response({401, "unauthorized", why, {}});
      r.headers.emplace_back("WWW-Authenticate", "Bearer");
      return answer(call, std::move(r));
    }
    if (!allowed(route, call->who, call->args)) {
      return fail(call, Problem{403, "forbidden",
                                call->who.kind == Principal::Kind::user
                                    ? "this token reads only its own account"
                                    : "this key may not call this endpoint",
                                {}});
    }
    if (!call->who.member.empty()) {
      // A team member's token: what it may do follows the member's role now, which the shard
      // knows (a role changed or a member removed takes effect at the next request).
      return member_role_then(call, item ? item->body : nullptr, item ? item->batch : nullptr);
    }
    if (route.access == Access::owner && call->who.kind == Principal::Kind::user) {
      if (auto p = token_may_change(*call)) return fail(call, *p);
    }
  }
  proceed(call, item ? item->body : nullptr, item ? item->batch : nullptr);
}

// The rest of dispatch() once the caller is known and allowed: the body, the idempotency key,
// the endpoint. `item_body` and `batch`: a /v1/batch item's body, decoded in place in the
// batch's document, which `batch` keeps alive.
void proceed(const CallPtr& call, const rapidjson::Value* item_body,
             std::shared_ptr<const Call> batch) {
  const Route& route = *call->route;
  const bool has_body = call->request.method == "POST" || call->request.method == "PUT" ||
                        call->request.method == "PATCH";
  if (has_body && !call->request.body.empty() && !is_json(call->request.content_type)) {
    return fail(call, Problem{415, "unsupported_media_type",
                              "send the body as Content-Type: application/json", {}});
  }
  if (call->request.has_idempotency_key &&
      call->request.idempotency_key.starts_with(k_purchase_key_prefix)) {
    return fail(call, bad_request(cat("Idempotency-Key prefix '", k_purchase_key_prefix,
                                      "' is reserved: Tally keys a purchase sent without a "
                                      "header by its payment_ref under it")));
  }
  if (route.changes && !call->request.has_idempotency_key && route.fn != purchase) {
    return fail(call, Problem{400, "idempotency_key_missing",
                              "this request changes the ledger: send an Idempotency-Key header "
                              "(rule 8), the same on every retry",
                              {}});
  }
  static const rapidjson::Value k_no_body(rapidjson::kObjectType);
  call->body = &k_no_body;
  if (call->in_batch && has_body && item_body != nullptr) {
    call->body = item_body;  // in place: parsed and checked with the batch
    call->batch = std::move(batch);
  } else if (has_body && !call->in_batch) {
    if (auto p = parse_body(call->request.body, &call->document)) return fail(call, *p);
    call->body = &call->document;
  }
  route.fn(call);
}

}  // namespace

std::span<const Route> routes() { return k_routes; }

bool may_change(const Call& call, bool alerts) {
  switch (call.who.kind) {
    case Principal::Kind::admin:
    case Principal::Kind::service:
      return true;
    case Principal::Kind::user: {
      const config::TokensConfig& t = call.ctx.current()->tokens;
      return alerts ? t.edit_alerts : t.edit_auto_topup;
    }
    default:
      return false;
  }
}

std::optional<Problem> token_limits(const Call& call, const AutoTopupSettings& s) {
  if (call.who.kind != Principal::Kind::user) return std::nullopt;
  const config::TokensConfig& t = call.ctx.current()->tokens;
  if (!t.auto_topup_packs.empty() && std::find(t.auto_topup_packs.begin(), t.auto_topup_packs.end(),
                                               s.pack) == t.auto_topup_packs.end()) {
    std::string packs;
    for (const std::string& p : t.auto_topup_packs) packs += cat(packs.empty() ? "" : ", ", p);
    return Problem{403,
                   "editing_not_allowed",
                   cat("end users may choose the packs ", packs, " ([tokens] auto_topup_packs)"),
                   {}};
  }
  if (t.auto_topup_below_max && *t.auto_topup_below_max < s.below) {
    return Problem{403,
                   "editing_not_allowed",
                   cat("end users may set 'below' up to ", format_credits(*t.auto_topup_below_max),
                       " ([tokens] auto_topup_below_max)"),
                   {}};
  }
  return std::nullopt;
}

std::optional<std::string> Call::query_value(std::string_view name) const {
  for (const auto& [k, v] : query) {
    if (k == name) return v;
  }
  return std::nullopt;
}

void answer(const CallPtr& call, HttpResponse response) {
  if (response.content_type == "application/problem+json") {
    add_request_id(response.body, call->request.request_id);
  }
  if (log::access_enabled()) note(*call, response.note);
  if (response.status >= 500) {
    log::Line(log::Level::error, "request_failed")
        .text("request_id", call->request.request_id)
        .text("route", call->route != nullptr ? call->route->pattern : "")
        .num("status", response.status)
        .text("problem", response.body);
  }
  call->respond(std::move(response));
}

void fail(const CallPtr& call, const Problem& problem) { answer(call, problem_response(problem)); }

Problem not_found(std::string detail) { return {404, "not_found", std::move(detail), {}}; }

Problem ledger_problem(const LedgerError& e) {
  int status = 409;
  switch (e.code) {
    case ErrorCode::invalid_request: status = 400; break;
    case ErrorCode::not_found: status = 404; break;
    case ErrorCode::insufficient_credits: status = 402; break;
    case ErrorCode::budget_exceeded: status = 402; break;
    case ErrorCode::not_a_member: status = 403; break;
    case ErrorCode::forbidden: status = 403; break;
    case ErrorCode::limit_exceeded: status = 422; break;
    default: break;
  }
  Problem p{status, std::string(error_code_name(e.code)), e.detail, {}};
  if (e.code == ErrorCode::insufficient_credits || e.code == ErrorCode::budget_exceeded) {
    p.shortfall = e.shortfall;
  }
  if (e.code == ErrorCode::budget_exceeded) p.budget = e.budget;
  return p;
}

Problem pricing_problem(const pricing::PricingError& e) {
  using C = pricing::PricingErrorCode;
  int status = 400;
  if (e.code == C::capture_exceeds_hold) status = 409;
  if (e.code == C::amount_too_large) status = 422;
  if (e.code == C::no_version_in_force || e.code == C::unknown_version) status = 409;
  return {status, std::string(pricing::error_code_name(e.code)), e.detail, {}};
}

// Status, a space, then the body; the content type follows from the status (every answer
// remembered with a key is JSON: a reply, or a problem).
std::string pack_response(const HttpResponse& r) {
  TALLY_CHECK(r.status >= 100 && r.status <= 599 && r.headers.empty());
  return cat(r.status, " ", r.body);
}

HttpResponse unpack_response(std::string&& bytes) {
  TALLY_CHECK(bytes.size() >= 4 && bytes[3] == ' ');
  const int status = (bytes[0] - '0') * 100 + (bytes[1] - '0') * 10 + (bytes[2] - '0');
  bytes.erase(0, 4);
  return {status, status >= 400 ? "application/problem+json" : "application/json",
          std::move(bytes), {}};
}

HttpResponse unpack_response(std::string_view bytes) { return unpack_response(std::string(bytes)); }

void handed(Call& call) {
  call.handed_at = std::chrono::steady_clock::now();
  call.ctx.decode_ns.record(static_cast<uint64_t>((call.handed_at - call.arrived).count()));
}

std::string remembered(std::string packed, std::string_view request_id) {
  if (packed.size() >= 4 && packed[0] >= '4') add_request_id(packed, request_id);
  return packed;
}

Credential credential_of(const Principal& who) {
  using K = Principal::Kind;
  switch (who.kind) {
    case K::none:
      return {};
    case K::user:
      return Credential{CredentialKind::token, who.token_id, who.member};
    case K::admin:
    case K::service:
    case K::worker:
    case K::read:
      return Credential{CredentialKind::key, who.key_id, {}};
  }
  return {};
}

void submit(const CallPtr& call, Change change, std::string key) {
  if (key.empty()) key = call->request.idempotency_key;
  call->account = std::string(account_of(change.command));
  service::Submission s{
      Request{std::move(key), std::move(change.command), credential_of(call->who)}, nullptr,
      nullptr};
  if (change.prepare) {
    s.prepare = [prepare = std::move(change.prepare), id = call->request.request_id](
                    const Ledger& l, Command* command, TimeUs now) {
      auto prepared = prepare(l, command, now);
      if (prepared) prepared->response = remembered(std::move(prepared->response), id);
      return prepared;
    };
  }
  s.encode = [encode = std::move(change.encode), id = call->request.request_id](
                 const Ledger& l, const Result& r) {
    if (!r) return remembered(pack_response(problem_response(ledger_problem(r.error()))), id);
    TALLY_CHECK(!std::holds_alternative<NoChangeReply>(*r));  // always remembered with its answer
    return pack_response(encode(l, *r));
  };
  handed(*call);
  call->ctx.o.service->submit(std::move(s), [call](service::Outcome o) {
    call->queue_ns = o.queue_ns;
    call->commit_ns = o.commit_ns;
    answer(call, unpack_response(std::move(o.response)));
  });
}

void submit(const CallPtr& call, Command command, Encode encode, std::string key) {
  submit(call,
         Change{std::move(command), nullptr,
                [encode = std::move(encode)](const Ledger&, const Reply& r) { return encode(r); }},
         std::move(key));
}

void read_shard(const CallPtr& call, ShardId shard,
                std::function<HttpResponse(const Ledger&)> read, bool uses_store) {
  auto out = std::make_shared<HttpResponse>();
  auto run = [out, read = std::move(read)](const Ledger& l) { *out = read(l); };
  auto done = [call, out] { answer(call, std::move(*out)); };
  handed(*call);
  if (uses_store) return call->ctx.o.service->read(shard, std::move(run), std::move(done));
  call->ctx.o.service->read_ledger(shard, std::move(run), std::move(done));
}

void read_memory_then_store(const CallPtr& call, ShardId shard,
                            std::function<std::optional<HttpResponse>(const Ledger&)> in_memory,
                            std::function<HttpResponse(const Ledger&)> from_store) {
  auto out = std::make_shared<std::optional<HttpResponse>>();
  call->ctx.o.service->read_ledger(
      shard, [out, in_memory](const Ledger& l) { *out = in_memory(l); },
      [call, shard, out, in_memory, from_store = std::move(from_store)]() mutable {
        if (*out) return answer(call, std::move(**out));
        // The second read looks in memory again: the record may have changed since.
        read_shard(
            call, shard,
            [in_memory = std::move(in_memory), from_store = std::move(from_store)](const Ledger& l) {
              if (auto r = in_memory(l)) return std::move(*r);
              return from_store(l);
            },
            /*uses_store=*/true);
      });
}

ShardId account_shard(const Call& call, std::string_view account) {
  return call.ctx.o.service->shard_of_account(account);
}

ShardId object_shard(const Call& call, uint64_t id) {
  return static_cast<ShardId>(tally::shard_of(id) % call.ctx.o.service->shards());
}

std::optional<uint64_t> id_arg(const CallPtr& call, size_t i, std::string_view what) {
  auto id = parse_id(call->args.at(i));
  if (!id) fail(call, not_found(cat("no ", what, " '", call->args[i], "'")));
  return id;
}

std::optional<std::optional<std::string>> id_query(const CallPtr& call, std::string_view name) {
  using Answer = std::optional<std::optional<std::string>>;
  auto v = call->query_value(name);
  if (!v) return Answer(std::in_place, std::nullopt);  // not given: no filter
  if (!is_account_id(*v)) {
    fail(call,
         bad_request(cat("'", name, "' must be 1 to 128 characters of A-Z a-z 0-9 . _ - : @ + ~")));
    return std::nullopt;
  }
  return Answer(std::in_place, std::move(v));
}

std::optional<TimeUs> time_query(const CallPtr& call, std::string_view name) {
  auto v = call->query_value(name);
  if (!v) {
    fail(call, bad_request(cat("'", name, "' is required: an RFC 3339 time")));
    return std::nullopt;
  }
  auto t = parse_time(*v);
  if (!t) fail(call, bad_request(cat("'", name, "' is not an RFC 3339 time: '", *v, "'")));
  return t;
}

Api::Api(ApiOptions options) : context_(std::make_unique<Context>()) {
  context_->o = std::move(options);
  auto live = std::make_shared<const LiveConfig>(
      LiveConfig{context_->o.prices, context_->o.catalog, context_->o.tokens});
  context_->live.store(live);
  context_->on_shard.assign(context_->o.service->shards(), live);
}
Api::~Api() = default;

void Api::use_config(std::shared_ptr<const pricing::PriceVersions> prices,
                     std::shared_ptr<const Catalog> catalog, config::TokensConfig tokens,
                     std::function<void()> done) {
  auto live = std::make_shared<const LiveConfig>(
      LiveConfig{std::move(prices), std::move(catalog), std::move(tokens)});
  Context* ctx = context_.get();
  ctx->o.service->reconfigure(
      [ctx, live](Ledger& l) {
        l.set_catalog(live->catalog);
        ctx->on_shard.at(l.shard()) = live;
        log::Line(log::Level::debug, "config_swapped").num("shard", l.shard());
      },
      [ctx, live, done = std::move(done)] {
        ctx->live.store(live, std::memory_order_release);
        done();
      });
}

std::shared_ptr<const pricing::PriceVersions> Api::prices() const {
  return context_->current()->prices;
}

void Api::handle(HttpRequest&& request, Respond respond) {
  if (stopping_) {
    HttpResponse r = problem_response({503, "unavailable", "the server is shutting down", {}});
    add_request_id(r.body, request.request_id);
    r.headers.emplace_back("Retry-After", "1");
    return respond(std::move(r));
  }
  // The dashboard's files (web/, built in): GET /, /app.js, ... before the API's routes.
  if (auto asset = static_asset(request.method, request.target)) return respond(std::move(*asset));
  dispatch(*context_, std::move(request), std::move(respond));
}

}  // namespace tally::server
