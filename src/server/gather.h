// One request that reads every shard and answers once the last has (GET /v1/accounts,
// /v1/events, /v1/audit, /v1/reports/finance). Kept out of api_internal.h: only the handlers that
// fan out include it.
#pragma once

#include <expected>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "server/api_internal.h"

namespace tally::server {

// Runs `part` on each shard's thread, in order with the shard's queue (with `uses_store`, after
// the commit in flight, so it may read the store; without, on the ledger alone), then `finish`
// once, on the thread of the last shard to finish, with every shard's part in shard order; or,
// if a part failed, answers 500 with the first failure.
template <typename Part>
void gather_shards(const CallPtr& call, bool uses_store,
                   std::function<std::expected<Part, std::string>(ShardId, const Ledger&)> part,
                   std::function<void(const CallPtr&, std::vector<Part>)> finish) {
  service::Service& service = *call->ctx.o.service;
  struct State {
    std::mutex mu;
    std::vector<std::optional<Part>> parts;
    std::string error;
    size_t left = 0;
    std::function<std::expected<Part, std::string>(ShardId, const Ledger&)> part;
    std::function<void(const CallPtr&, std::vector<Part>)> finish;
  };
  auto state = std::make_shared<State>();
  state->parts.resize(service.shards());
  state->left = service.shards();
  state->part = std::move(part);
  state->finish = std::move(finish);
  handed(*call);
  for (size_t i = 0; i < service.shards(); ++i) {
    const auto shard = static_cast<ShardId>(i);
    auto read = [state, shard](const Ledger& l) {
      auto got = state->part(shard, l);
      std::lock_guard lock(state->mu);
      if (got) {
        state->parts[shard] = std::move(*got);
      } else if (state->error.empty()) {
        state->error = std::move(got.error());
      }
    };
    auto done = [call, state] {
      std::vector<Part> parts;
      std::string error;
      {
        std::lock_guard lock(state->mu);
        if (--state->left != 0) return;
        error = std::move(state->error);
        for (std::optional<Part>& p : state->parts) {
          if (p) parts.push_back(std::move(*p));
        }
      }
      if (!error.empty()) return fail(call, {500, "internal", error, {}});
      state->finish(call, std::move(parts));
    };
    if (uses_store) {
      service.read(shard, std::move(read), std::move(done));
    } else {
      service.read_ledger(shard, std::move(read), std::move(done));
    }
  }
}

}  // namespace tally::server
