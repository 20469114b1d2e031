#include "server/auth.h"

#include <fcntl.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>
#include <sqlite3.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <mutex>
#include <sstream>

#include "absl/strings/match.h"
#include "ledger/text.h"

namespace tally::server {
namespace {

constexpr std::string_view k_token_prefix = "v1.";

std::string hex(const unsigned char* p, size_t n) {
  static constexpr char digits[] = "0123456789abcdef";
  std::string out(n * 2, '0');
  for (size_t i = 0; i < n; ++i) {
    out[2 * i] = digits[p[i] >> 4];
    out[2 * i + 1] = digits[p[i] & 15];
  }
  return out;
}

std::optional<std::string> unhex(std::string_view s) {
  if (s.size() % 2) return std::nullopt;
  std::string out;
  for (size_t i = 0; i < s.size(); i += 2) {
    auto nibble = [](char c) -> int {
      if (c >= '0' && c <= '9') return c - '0';
      if (c >= 'a' && c <= 'f') return c - 'a' + 10;
      return -1;
    };
    const int hi = nibble(s[i]), lo = nibble(s[i + 1]);
    if (hi < 0 || lo < 0) return std::nullopt;
    out.push_back(static_cast<char>(hi * 16 + lo));
  }
  return out;
}

std::string sha256_hex(std::string_view s) {
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int n = 0;
  EVP_Digest(s.data(), s.size(), md, &n, EVP_sha256(), nullptr);
  return hex(md, n);
}

std::string hmac_hex(std::string_view key, std::string_view message) {
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int n = 0;
  HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()),
       reinterpret_cast<const unsigned char*>(message.data()), message.size(), md, &n);
  return hex(md, n);
}

bool equal_constant_time(std::string_view a, std::string_view b) {
  return a.size() == b.size() && CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

// Reads a secret file, or creates it with `make()` and mode 0600.
std::expected<std::string, std::string> secret_file(const std::string& path,
                                                    std::string (*make)(), bool* created) {
  *created = false;
  if (std::ifstream in(path); in) {
    std::stringstream ss;
    ss << in.rdbuf();
    std::string s = ss.str();
    while (!s.empty() && (s.back() == '\n' || s.back() == '\r')) s.pop_back();
    if (s.empty()) return std::unexpected(cat(path, " is empty"));
    return s;
  }
  std::string s = make();
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL, 0600);
  if (fd < 0) return std::unexpected(cat("cannot create ", path));
  const std::string line = s + "\n";
  const bool ok = ::write(fd, line.data(), line.size()) == static_cast<ssize_t>(line.size()) &&
                  ::fsync(fd) == 0;
  ::close(fd);
  if (!ok) return std::unexpected(cat("cannot write ", path));
  *created = true;
  return s;
}

std::string new_admin_key() { return "tk_admin_" + random_hex(24); }
std::string new_token_secret() { return random_hex(32); }

}  // namespace

std::string random_hex(size_t bytes) {
  std::string raw(bytes, '\0');
  if (RAND_bytes(reinterpret_cast<unsigned char*>(raw.data()), static_cast<int>(bytes)) != 1) {
    std::fprintf(stderr, "tally: the random number generator failed; stopping\n");
    std::abort();
  }
  return hex(reinterpret_cast<const unsigned char*>(raw.data()), bytes);
}

struct Auth::Db {
  sqlite3* db = nullptr;
  ~Db() { sqlite3_close(db); }
};

Auth::~Auth() = default;

std::expected<std::unique_ptr<Auth>, std::string> Auth::open(const std::string& data_dir,
                                                             std::string admin_key,
                                                             std::string* admin_key_file) {
  std::unique_ptr<Auth> a(new Auth());
  a->db_ = std::make_unique<Db>();
  const std::string db_path = data_dir.empty() ? ":memory:" : data_dir + "/keys.db";
  if (sqlite3_open(db_path.c_str(), &a->db_->db) != SQLITE_OK) {
    return std::unexpected(cat("cannot open ", db_path, ": ", sqlite3_errmsg(a->db_->db)));
  }
  char* err = nullptr;
  if (sqlite3_exec(a->db_->db,
                   "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL;"
                   "CREATE TABLE IF NOT EXISTS keys (id TEXT PRIMARY KEY, name TEXT NOT NULL,"
                   " scope TEXT NOT NULL, sha256 TEXT NOT NULL UNIQUE,"
                   " created_at_us INTEGER NOT NULL);",
                   nullptr, nullptr, &err) != SQLITE_OK) {
    std::string m = err ? err : "unknown error";
    sqlite3_free(err);
    return std::unexpected(cat(db_path, ": ", m));
  }
  sqlite3_stmt* q = nullptr;
  sqlite3_prepare_v2(a->db_->db, "SELECT id, name, scope, sha256, created_at_us FROM keys", -1,
                     &q, nullptr);
  while (sqlite3_step(q) == SQLITE_ROW) {
    auto col = [&](int i) { return std::string(reinterpret_cast<const char*>(sqlite3_column_text(q, i))); };
    a->by_hash_[col(3)] = KeyInfo{col(0), col(1), col(2), TimeUs{sqlite3_column_int64(q, 4)}};
  }
  sqlite3_finalize(q);

  if (admin_key.empty()) {
    if (data_dir.empty()) return std::unexpected("an in-memory Auth needs an admin key");
    bool created = false;
    auto key = secret_file(data_dir + "/admin.key", new_admin_key, &created);
    if (!key) return std::unexpected(key.error());
    admin_key = *key;
    if (created && admin_key_file) *admin_key_file = data_dir + "/admin.key";
  }
  a->by_hash_[sha256_hex(admin_key)] = KeyInfo{"admin", "admin", "admin", TimeUs{0}};
  if (data_dir.empty()) {
    a->token_secret_ = new_token_secret();
  } else {
    bool created = false;
    auto secret = secret_file(data_dir + "/token.secret", new_token_secret, &created);
    if (!secret) return std::unexpected(secret.error());
    a->token_secret_ = *secret;
  }
  return a;
}

Principal Auth::authenticate(std::string_view authorization, TimeUs now, std::string* why) const {
  constexpr std::string_view bearer = "Bearer ";
  if (authorization.empty()) {
    *why = "an Authorization header with a Bearer key or token is required";
    return {};
  }
  // The scheme's name is case-insensitive (RFC 9110 §11.1): "bearer" and "BEARER" do too.
  if (authorization.size() < bearer.size() ||
      !absl::EqualsIgnoreCase(to_absl(authorization.substr(0, bearer.size())), to_absl(bearer))) {
    *why = "the Authorization header must be 'Bearer <key or token>'";
    return {};
  }
  const std::string_view secret = authorization.substr(bearer.size());
  if (secret.starts_with(k_token_prefix)) {
    // v1.<expires_s>.<hex account>.<hex hmac>
    const size_t a = secret.find('.', k_token_prefix.size());
    const size_t b = a == std::string_view::npos ? a : secret.find('.', a + 1);
    if (b == std::string_view::npos) {
      *why = "the token is malformed";
      return {};
    }
    const std::string_view signed_part = secret.substr(0, b);
    if (!equal_constant_time(hmac_hex(token_secret_, signed_part), secret.substr(b + 1))) {
      *why = "the token's signature is not valid";
      return {};
    }
    const std::string_view expires = secret.substr(k_token_prefix.size(), a - k_token_prefix.size());
    int64_t expires_s = 0;
    for (char c : expires) expires_s = expires_s * 10 + (c - '0');
    if (now.us >= expires_s * k_us_per_second) {
      *why = "the token has expired";
      return {};
    }
    auto account = unhex(secret.substr(a + 1, b - a - 1));
    if (!account) {
      *why = "the token is malformed";
      return {};
    }
    return {Principal::Kind::user, std::move(*account), {}};
  }
  const std::string hash = sha256_hex(secret);
  std::shared_lock lock(mu_);
  auto it = by_hash_.find(hash);
  if (it == by_hash_.end()) {
    *why = "the key is not valid";
    return {};
  }
  return {it->second.scope == "admin" ? Principal::Kind::admin : Principal::Kind::service, {},
          it->second.id};
}

std::expected<NewKey, std::string> Auth::create_key(std::string name, std::string scope,
                                                    TimeUs now) {
  NewKey k;
  k.secret = cat("tk_", scope == "admin" ? "admin_" : "svc_", random_hex(24));
  k.info = KeyInfo{cat("key_", random_hex(8)), std::move(name), std::move(scope), now};
  const std::string hash = sha256_hex(k.secret);
  std::unique_lock lock(mu_);
  sqlite3_stmt* q = nullptr;
  sqlite3_prepare_v2(db_->db,
                     "INSERT INTO keys (id, name, scope, sha256, created_at_us) VALUES (?,?,?,?,?)",
                     -1, &q, nullptr);
  sqlite3_bind_text(q, 1, k.info.id.c_str(), -1, SQLITE_TRANSIENT);
  sqlite3_bind_text(q, 2, k.info.name.c_str(), -1, SQLITE_TRANSIENT);
  sqlite3_bind_text(q, 3, k.info.scope.c_str(), -1, SQLITE_TRANSIENT);
  sqlite3_bind_text(q, 4, hash.c_str(), -1, SQLITE_TRANSIENT);
  sqlite3_bind_int64(q, 5, now.us);
  const int rc = sqlite3_step(q);
  sqlite3_finalize(q);
  if (rc != SQLITE_DONE) return std::unexpected(cat("storing the key: ", sqlite3_errmsg(db_->db)));
  by_hash_[hash] = k.info;
  return k;
}

Token Auth::issue_token(std::string_view account, TimeUs expires_at) const {
  const int64_t expires_s = (expires_at.us + k_us_per_second - 1) / k_us_per_second;
  const std::string signed_part =
      cat(k_token_prefix, expires_s, ".",
          hex(reinterpret_cast<const unsigned char*>(account.data()), account.size()));
  return {cat(signed_part, ".", hmac_hex(token_secret_, signed_part)),
          TimeUs{expires_s * k_us_per_second}};
}

}  // namespace tally::server
