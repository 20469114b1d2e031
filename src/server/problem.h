// An error answer of the HTTP API: application/problem+json with a stable `type`
// (docs/api.md). Plain data, kept apart from json.h so that headers which only report
// problems (api_decode.h) need no JSON library.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "ledger/credits.h"
#include "ledger/errors.h"

namespace tally::server {

struct Problem {
  int status = 400;
  std::string type = "invalid_request";
  std::string detail;
  std::optional<Credits> shortfall;  // insufficient_credits
  std::vector<std::string> errors;   // invalid_config: every message, as a start gives them
  std::optional<BudgetRefusal> budget;  // budget_exceeded: which budget, where it stood
  std::string owner;  // unavailable on a node without the shards' leases: the node that has them
};
// A 400 invalid_request with `detail`.
Problem bad_request(std::string detail);

}  // namespace tally::server
