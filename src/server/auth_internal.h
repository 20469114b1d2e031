// Internal to src/server/auth*.cc: the token format, the keys.db handle and a
// prepared statement, shared by the keys (auth.cc) and the tokens (auth_tokens.cc).
#pragma once

#include <sqlite3.h>

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

class Stmt {
 public:
  Stmt(sqlite3* db, const char* sql) : db_(db) {
    TALLY_CHECK(sqlite3_prepare_v2(db, sql, -1, &q_, nullptr) == SQLITE_OK);
  }
  ~Stmt() { sqlite3_finalize(q_); }
  Stmt& text(int i, std::string_view s) {
    sqlite3_bind_text(q_, i, s.data(), static_cast<int>(s.size()), SQLITE_TRANSIENT);
    return *this;
  }
  Stmt& int64(int i, int64_t v) {
    sqlite3_bind_int64(q_, i, v);
    return *this;
  }
  Stmt& opt(int i, std::optional<TimeUs> t) {
    if (t) return int64(i, t->us);
    sqlite3_bind_null(q_, i);
    return *this;
  }
  bool row() {
    rc_ = sqlite3_step(q_);
    return rc_ == SQLITE_ROW;
  }
  // The last row() ended in an error, not at the end of the rows.
  bool failed() const { return rc_ != SQLITE_ROW && rc_ != SQLITE_DONE; }
  // Runs a statement that returns no rows; false (and the db's message) on failure.
  bool run() {
    const int rc = sqlite3_step(q_);
    sqlite3_reset(q_);
    return rc == SQLITE_DONE;
  }
  std::string col(int i) const {
    const auto* p = reinterpret_cast<const char*>(sqlite3_column_text(q_, i));
    return p ? p : "";
  }
  // NULL reads as k_no_end.
  int64_t col_time(int i) const {
    return sqlite3_column_type(q_, i) == SQLITE_NULL ? k_no_end : sqlite3_column_int64(q_, i);
  }

 private:
  sqlite3* db_;
  sqlite3_stmt* q_ = nullptr;
  int rc_ = SQLITE_OK;
};

}  // namespace auth_detail

struct Auth::Db {
  sqlite3* db = nullptr;
  ~Db() { sqlite3_close(db); }
  std::expected<void, std::string> exec(const char* sql) {
    char* err = nullptr;
    if (sqlite3_exec(db, sql, nullptr, nullptr, &err) == SQLITE_OK) return {};
    std::string m = err ? err : sqlite3_errmsg(db);
    sqlite3_free(err);
    return std::unexpected(m);
  }
  std::string error() const { return sqlite3_errmsg(db); }
};

}  // namespace tally::server
