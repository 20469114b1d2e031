// GET /v1/audit (issue 21, docs/api.md "Audit trail"): who did what. Two sources, merged in time
// order: each shard's trail of ledger changes (AuditLine, written with the change in its batch's
// journal record) and the admin actions outside the ledger (AdminAction, in DATA/keys.db). The
// cursor is a position per source, as GET /v1/events pages its shards.
#include <mutex>

#include "ledger/text.h"
#include "server/api_internal.h"
#include "server/gather.h"

namespace tally::server {
namespace {

constexpr uint32_t k_audit_default = 100;
constexpr uint32_t k_audit_max = 1000;

struct AuditQuery {
  store::AuditFilter filter;
  std::vector<uint64_t> after;  // per shard, then the admin actions: the last line given
  uint32_t limit = k_audit_default;
};

// One line of either source; `shard` is the shard count for an admin action (it sorts last).
struct Line {
  size_t source;
  AuditLine change;    // a ledger change (source < shards)
  AdminAction action;  // an admin action (source == shards)
  TimeUs at() const { return action.seq != 0 ? action.at : change.at; }
  uint64_t seq() const { return action.seq != 0 ? action.seq : change.seq; }
};

std::expected<AuditQuery, Problem> decode_audit_query(const Call& call, size_t shards) {
  AuditQuery q;
  q.after.assign(shards + 1, 0);
  for (const auto& [name, value] : call.query) {
    if (name == "limit") {
      auto n = parse_id(value);
      if (!n || *n > k_audit_max) {
        return std::unexpected(
            bad_request(cat("'limit' must be an integer from 1 to ", k_audit_max)));
      }
      q.limit = static_cast<uint32_t>(*n);
    } else if (name == "key" || name == "account") {
      if (!is_account_id(value)) {
        return std::unexpected(bad_request(
            cat("'", name, "' must be 1 to 128 characters of A-Z a-z 0-9 . _ - : @ + ~")));
      }
      (name == "key" ? q.filter.credential : q.filter.account) = value;
    } else if (name == "from" || name == "to") {
      auto t = parse_time(value);
      if (!t) {
        return std::unexpected(
            bad_request(cat("'", name, "' is not an RFC 3339 time: '", value.substr(0, 64), "'")));
      }
      (name == "from" ? q.filter.from : q.filter.to) = *t;
    } else if (name == "cursor") {
      auto cursor = parse_cursor(value, shards + 1);
      if (!cursor) {
        return std::unexpected(bad_request(
            cat("'cursor' must be the next_cursor of a page of GET /v1/audit on this deployment")));
      }
      q.after = std::move(*cursor);
    } else {
      return std::unexpected(
          bad_request(cat("unknown query parameter '", name.substr(0, 64),
                          "': the audit trail takes key, account, from, to, cursor and limit")));
    }
  }
  if (q.filter.to <= q.filter.from)
    return std::unexpected(bad_request("'to' must be after 'from'"));
  return q;
}

void write_or_null(JsonWriter& w, std::string_view key, std::string_view value) {
  if (value.empty()) {
    w.Key(key.data(), static_cast<rapidjson::SizeType>(key.size()));
    w.Null();
  } else {
    write_text(w, key, value);
  }
}

void write_line(JsonWriter& w, const Line& l, size_t shards) {
  const bool admin = l.source == shards;
  const Credential& by = admin ? l.action.by : l.change.by;
  w.StartObject();
  write_time(w, "at", l.at());
  write_text(w, "source", admin ? "admin" : "ledger");
  w.Key("shard");
  if (admin) {
    w.Null();
  } else {
    w.Uint64(l.source);
  }
  w.Key("seq");
  w.Uint64(l.seq());
  write_text(w, "action", admin ? l.action.action : l.change.action);
  write_text(w, "credential", credential_kind_name(by.kind));
  write_or_null(w, "key_id", by.kind == CredentialKind::key ? by.id : "");
  write_or_null(w, "token_id", by.kind == CredentialKind::token ? by.id : "");
  write_or_null(w, "member", by.member);
  write_or_null(w, "idempotency_key", admin ? "" : l.change.idempotency_key);
  write_or_null(w, "account", admin ? l.action.account : l.change.account);
  write_or_null(w, "target", admin ? l.action.target : "");
  w.EndObject();
}

// Every source's page merged in time order (then source, then seq), the first q.limit kept.
HttpResponse merged_page(std::vector<Line> found, AuditQuery q, size_t shards) {
  std::sort(found.begin(), found.end(), [](const Line& a, const Line& b) {
    if (a.at() != b.at()) return a.at() < b.at();
    if (a.source != b.source) return a.source < b.source;
    return a.seq() < b.seq();
  });
  const bool more = found.size() > q.limit;
  if (found.size() > q.limit) found.resize(q.limit);
  for (const Line& l : found) q.after[l.source] = std::max(q.after[l.source], l.seq());
  return json(200, [&](JsonWriter& w) {
    w.StartObject();
    w.Key("lines");
    w.StartArray();
    for (const Line& l : found) write_line(w, l, shards);
    w.EndArray();
    write_text(w, "next_cursor", format_cursor(q.after));
    w.Key("has_more");
    w.Bool(more);
    w.EndObject();
  });
}

}  // namespace

bool record_action(const CallPtr& call, std::string action, std::string account,
                   std::string target) {
  auto recorded = call->ctx.o.auth->record_action(
      AdminAction{0, call->now, credential_of(call->who), std::move(action), std::move(account),
                  std::move(target)});
  if (recorded) return true;
  fail(call,
       {500,
        "internal",
        cat("the change was made but its audit line was not written: ", recorded.error().detail),
        {}});
  return false;
}

void get_audit(const CallPtr& call) {
  service::Service& service = *call->ctx.o.service;
  const size_t shards = service.shards();
  auto q = decode_audit_query(*call, shards);
  if (!q) return fail(call, q.error());
  // One more than the page from each source: whether there is more is then known.
  const uint32_t want = q->limit + 1;
  std::vector<Line> admin_lines;
  auto admin =
      call->ctx.o.auth->scan_actions(q->after[shards], q->filter, [&](const AdminAction& a) {
        admin_lines.push_back(Line{shards, {}, a});
        return admin_lines.size() < want;
      });
  if (!admin) return fail(call, {500, "internal", admin.error(), {}});
  auto query = std::make_shared<const AuditQuery>(std::move(*q));
  store::Store* store = call->ctx.o.store;
  gather_shards<std::vector<Line>>(
      call, /*uses_store=*/true,
      [query, store, want](ShardId shard,
                           const Ledger&) -> std::expected<std::vector<Line>, std::string> {
        std::vector<Line> page;
        auto scanned =
            store->scan_audit(shard, query->after[shard], query->filter, [&](const AuditLine& l) {
              page.push_back(Line{shard, l, {}});
              return page.size() < want;
            });
        if (!scanned) return std::unexpected(scanned.error().message);
        return page;
      },
      [query, shards, found = std::move(admin_lines)](
          const CallPtr& call, std::vector<std::vector<Line>> pages) mutable {
        for (std::vector<Line>& page : pages) {
          for (Line& l : page) found.push_back(std::move(l));
        }
        answer(call, merged_page(std::move(found), *query, shards));
      });
}

}  // namespace tally::server
