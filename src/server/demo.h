// `tally serve --demo` (issue 8): seeds a few accounts with three months of realistic history
// (plans, daily rewards, purchases, generations, failed jobs, refunds, expiries, a
// charge-back, one job still running) so a newcomer sees a living dashboard at once.
//
// Call from serve() before the HTTP server starts, with the service running on a clock that
// `set_now` moves (the seeding walks time forward from `end` - 90 days to `end`).
#pragma once

#include <expected>
#include <functional>
#include <string>
#include <string_view>

#include "ledger/time.h"
#include "server/api.h"

namespace tally::server {

// The account the demo link opens.
inline constexpr std::string_view k_demo_account = "maya";

// Sends the demo's requests through `api` (as the admin key `admin_key`), moving the clock
// with `set_now` (never back). Returns false, changing nothing, when the demo accounts already
// exist (a second start on the same data directory); an error if a request fails. The same
// seed gives the same history.
std::expected<bool, std::string> seed_demo(Api& api, const std::string& admin_key,
                                           const std::function<void(TimeUs)>& set_now, TimeUs end,
                                           uint64_t seed = 42);

}  // namespace tally::server
