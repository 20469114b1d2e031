// GET /v1/accounts (issue 21): accounts to find by id prefix, plan and kind, a page at a time, in
// byte order of their ids across every shard.
//
// Each shard scans its accounts on its own thread and keeps the first `limit + 1` that match
// after the cursor (a bounded heap: O(accounts · log limit), no copy of the account table); the
// last shard to answer merges the pages. The scan is linear in the shard's accounts: an
// operator's search, not a request path of the pipeline.
#include <algorithm>
#include <atomic>
#include <mutex>

#include "ledger/text.h"
#include "server/api_internal.h"
#include "server/gather.h"

namespace tally::server {
namespace {

constexpr uint32_t k_list_default = 100;
constexpr uint32_t k_list_max = 1000;

struct Row {
  std::string id;
  std::string json;  // the account's summary, an object
};

struct Query {
  std::string prefix;
  std::string cursor;  // ids after this one; empty: from the first
  std::optional<std::string> plan;
  std::optional<bool> team;  // ?kind=team: true, ?kind=personal: false
  uint32_t limit = k_list_default;
};

// The account's summary: id, plan, balance and open holds (its lots: GET /v1/accounts/{id}).
std::string summary(const Ledger& l, const Account& a, TimeUs now) {
  const BalanceSummary b = l.balance(a, now);
  rapidjson::StringBuffer buffer;
  JsonWriter w(buffer);
  w.StartObject();
  write_account_head(w, a, b);
  w.Key("open_holds");
  w.Uint(a.open_holds);
  w.EndObject();
  return std::string(buffer.GetString(), buffer.GetSize());
}

// The first q.limit + 1 matching accounts of one shard, in id order.
std::vector<Row> scan(const Ledger& l, const Query& q, TimeUs now) {
  std::vector<const Account*> heap;  // a max-heap by id of the smallest matches so far
  auto by_id = [](const Account* a, const Account* b) { return a->id < b->id; };
  const size_t keep = size_t{q.limit} + 1;
  for (const Account& a : l.accounts()) {
    if (!a.id.starts_with(q.prefix) || (!q.cursor.empty() && a.id <= q.cursor)) continue;
    if (q.plan && (!a.subscription || a.subscription->plan != *q.plan)) continue;
    if (q.team && a.team.has_value() != *q.team) continue;
    if (heap.size() == keep) {
      if (!by_id(&a, heap.front())) continue;
      std::pop_heap(heap.begin(), heap.end(), by_id);
      heap.pop_back();
    }
    heap.push_back(&a);
    std::push_heap(heap.begin(), heap.end(), by_id);
  }
  std::sort_heap(heap.begin(), heap.end(), by_id);
  std::vector<Row> out;
  out.reserve(heap.size());
  for (const Account* a : heap) out.push_back({a->id, summary(l, *a, now)});
  return out;
}

std::expected<Query, Problem> decode_query(const Call& call) {
  Query q;
  if (auto v = call.query_value("limit")) {
    auto n = parse_id(*v);
    if (!n || *n > k_list_max) {
      return std::unexpected(bad_request(cat("'limit' must be an integer from 1 to ", k_list_max)));
    }
    q.limit = static_cast<uint32_t>(*n);
  }
  if (auto v = call.query_value("prefix"); v && !v->empty()) {
    // Any start of an id: the id alphabet, at most 128 characters ("." alone included).
    if (*v != "." && *v != ".." && !is_account_id(*v)) {
      return std::unexpected(
          bad_request("'prefix' must be 1 to 128 characters of A-Z a-z 0-9 . _ - : @ + ~"));
    }
    q.prefix = *v;
  }
  if (auto v = call.query_value("cursor")) {
    if (!is_account_id(*v)) {
      return std::unexpected(bad_request("'cursor' must be the next_cursor of a page"));
    }
    q.cursor = *v;
  }
  if (auto v = call.query_value("plan")) {
    if (v->empty() || v->size() > 128) {
      return std::unexpected(bad_request("'plan' must be a plan id of 1 to 128 bytes"));
    }
    q.plan = *v;
  }
  if (auto v = call.query_value("kind")) {
    if (*v != "team" && *v != "personal") {
      return std::unexpected(bad_request("'kind' must be team or personal"));
    }
    q.team = *v == "team";
  }
  for (const auto& [name, value] : call.query) {
    if (name != "limit" && name != "prefix" && name != "cursor" && name != "plan" &&
        name != "kind") {
      return std::unexpected(
          bad_request(cat("unknown query parameter '", name.substr(0, 64),
                          "': GET /v1/accounts takes prefix, plan, kind, cursor and limit")));
    }
  }
  return q;
}

}  // namespace

void list_accounts(const CallPtr& call) {
  auto q = decode_query(*call);
  if (!q) return fail(call, q.error());
  auto query = std::make_shared<const Query>(std::move(*q));
  const TimeUs now = call->now;
  gather_shards<std::vector<Row>>(
      call, /*uses_store=*/false,
      [query, now](ShardId, const Ledger& l) -> std::expected<std::vector<Row>, std::string> {
        return scan(l, *query, now);
      },
      [query](const CallPtr& call, std::vector<std::vector<Row>> pages) {
        std::vector<Row> rows;
        for (std::vector<Row>& page : pages) {
          for (Row& r : page) rows.push_back(std::move(r));
        }
        std::sort(rows.begin(), rows.end(), [](const Row& a, const Row& b) { return a.id < b.id; });
        const bool more = rows.size() > query->limit;
        if (more) rows.resize(query->limit);
        answer(call, json(200, [&](JsonWriter& w) {
                 w.StartObject();
                 w.Key("accounts");
                 w.StartArray();
                 for (const Row& r : rows) {
                   w.RawValue(r.json.data(), r.json.size(), rapidjson::kObjectType);
                 }
                 w.EndArray();
                 write_text_or_null(w, "next_cursor", more ? std::string_view(rows.back().id) : "");
                 w.EndObject();
               }));
      });
}

}  // namespace tally::server
