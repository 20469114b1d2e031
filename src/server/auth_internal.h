// Internal to src/server/auth*.cc: the token format and the time columns, shared by the keys
// (auth.cc), the tokens (auth_tokens.cc) and the stores (auth_sqlite.cc, auth_pg.cc).
#pragma once

#include <climits>
#include <cstdint>
#include <expected>
#include <optional>
#include <string>
#include <string_view>

#include "crypto/crypto.h"
#include "ledger/check.h"
#include "ledger/time.h"
#include "server/auth.h"

namespace tally::server {
namespace auth_detail {

inline constexpr int64_t k_no_end = INT64_MAX;  // a time column that is NULL: no end
// v2.<expires_s>.<issued_us>.<id>.<hex account>.<hex hmac>; v1 tokens (no id, no issue time)
// are still read until they expire: revoking all of an account's tokens refuses them too.
inline constexpr std::string_view k_token_v1 = "v1.";
inline constexpr std::string_view k_token_v2 = "v2.";
inline constexpr std::string_view k_token_v3 = "v3.";  // v2 and the team member it acts as
// An end-user token's secret, not a key's (by its form; authenticate_token checks the rest).
inline bool is_token(std::string_view secret) {
  return secret.starts_with(k_token_v1) || secret.starts_with(k_token_v2) ||
         secret.starts_with(k_token_v3);
}
inline constexpr size_t k_token_id_bytes = 8;

using crypto::equal_constant_time;
using crypto::sha256_hex;
using crypto::unhex;
// 1 to 18 decimal digits (no overflow of int64).
std::optional<int64_t> digits(std::string_view s);
// k_no_end reads as nullopt.
std::optional<TimeUs> opt_time(int64_t us);

}  // namespace auth_detail

}  // namespace tally::server
