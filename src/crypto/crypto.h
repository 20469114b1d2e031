// Hex, hashes, HMAC, random secrets and constant-time comparison (OpenSSL), shared by the API
// keys and tokens (src/server/auth*.cc) and the webhook signatures (src/webhooks). One place,
// so a key hash, a token's HMAC and a webhook signature are all encoded the same way.
// Pure functions; thread-safe.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

namespace tally::crypto {

// Lowercase hex of the bytes.
std::string hex(std::string_view bytes);
// The bytes of lowercase hex; nullopt for odd lengths or other characters.
std::optional<std::string> unhex(std::string_view s);
// Lowercase hex of SHA-256(s).
std::string sha256_hex(std::string_view s);
// Lowercase hex of HMAC-SHA256(key, message).
std::string hmac_sha256_hex(std::string_view key, std::string_view message);
// `bytes` random bytes as lowercase hex (OpenSSL RAND_bytes); logs and aborts if the RNG fails.
std::string random_hex(size_t bytes);
// a == b without a timing side channel on where they differ (the lengths are not secret).
bool equal_constant_time(std::string_view a, std::string_view b);

}  // namespace tally::crypto
