// The access log of `tally serve` (docs/operations.md "Logs"): one JSON line per HTTP request,
// written once its answer is (log.h, event "access"), with what HTTP saw (Exchange) and what
// the API added (AccessNote): request id, method, route, path, status, credential ids, account,
// idempotency key and the time each stage took.
//
// Never a secret: credentials appear by id (key_id, token_id), and a query parameter whose
// name says it holds one (…key…, …token…, …secret…, …password…, …auth…) or whose value looks
// like a Tally key (tk_…) is written as "[redacted]".
//
// Thread-safe; called on the I/O threads (HttpOptions::on_exchange).
#pragma once

#include <string>
#include <string_view>

#include "server/http_server.h"

namespace tally::server {

// Writes the access line of `x` when the access log is on.
void log_access(const Exchange& x);

// `target` (path and query) with the values of secret-looking query parameters replaced.
std::string redact_target(std::string_view target);

}  // namespace tally::server
