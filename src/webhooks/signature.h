// Webhook signatures (docs/webhooks.md), Stripe's scheme: a delivery carries
//   Tally-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<body>">
// keyed with the endpoint's signing secret (its bytes as written, "whsec_..."). During a
// secret rotation's overlap the header has a v1 for each secret, newest first; a receiver
// accepts the delivery if any v1 matches and t is within its tolerance (5 minutes).
//
// Pure functions; thread-safe.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace tally::webhooks {

// The Tally-Signature header value for `body` sent at `unix_s`, one v1 per secret (in order).
std::string signature_header(int64_t unix_s, std::string_view body,
                             const std::vector<std::string>& secrets);

// A new signing secret: "whsec_" and 32 random bytes as hex (OpenSSL RAND_bytes; aborts if the
// RNG fails).
std::string new_secret();

// Whether `header` holds a valid v1 for `body` under `secret`, with t within `tolerance_s` of
// `now_unix_s` (what a receiver checks; the tests use it).
bool verify_signature(std::string_view header, std::string_view body, std::string_view secret,
                      int64_t now_unix_s, int64_t tolerance_s = 300);

}  // namespace tally::webhooks
