// Credentials of the HTTP API (docs/api.md, "Auth"): the admin key, service keys stored as
// SHA-256 hashes in DATA/keys.db, and end-user tokens signed with HMAC-SHA256 that read one
// account until they expire. Secrets are compared in constant time and never logged.
//
// Thread-safe: authenticate() may run on every I/O thread while create_key() runs.
#pragma once

#include <expected>
#include <memory>
#include <shared_mutex>
#include <string>
#include <string_view>
#include <unordered_map>

#include "ledger/time.h"

namespace tally::server {

struct Principal {
  enum class Kind : uint8_t { none, admin, service, user };
  Kind kind = Kind::none;
  std::string account;  // user: the one account the token reads
  std::string key_id;   // admin or service: which key
};

struct KeyInfo {
  std::string id;
  std::string name;
  std::string scope;  // "service" or "admin"
  TimeUs created_at;
};

struct NewKey {
  KeyInfo info;
  std::string secret;  // shown once
};

struct Token {
  std::string token;
  TimeUs expires_at;
};

class Auth {
 public:
  // Opens (creating) DATA/keys.db and DATA/token.secret, and takes the admin key from
  // `admin_key` when it is not empty, else from DATA/admin.key (generated, mode 0600, on the
  // first start; `*generated_admin_key_file` then names it). `data_dir` empty: everything in
  // memory (tests), with a fresh token secret.
  static std::expected<std::unique_ptr<Auth>, std::string> open(const std::string& data_dir,
                                                                std::string admin_key,
                                                                std::string* admin_key_file);
  ~Auth();

  // From an Authorization header value; Kind::none if missing, bad or expired (`why` says).
  Principal authenticate(std::string_view authorization, TimeUs now, std::string* why) const;

  // A new key with `scope` ("service" or "admin"), stored hashed; fails on a store error.
  std::expected<NewKey, std::string> create_key(std::string name, std::string scope, TimeUs now);
  // An end-user token for `account` that expires at `expires_at`.
  Token issue_token(std::string_view account, TimeUs expires_at) const;

 private:
  Auth() = default;
  struct Db;
  std::unique_ptr<Db> db_;
  mutable std::shared_mutex mu_;
  std::unordered_map<std::string, KeyInfo> by_hash_;  // SHA-256 of the secret -> key
  std::string token_secret_;                          // 32 random bytes
};

// Random bytes as lowercase hex (OpenSSL RAND_bytes); aborts if the RNG fails.
std::string random_hex(size_t bytes);

}  // namespace tally::server
