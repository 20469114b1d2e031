// API keys (auth.h): the admin key, create, list, revoke, rotate, and the key half of
// authenticate(). Tokens: auth_tokens.cc; where they are kept: auth_db.h.
#include "server/auth.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <climits>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <sstream>

#include "absl/strings/match.h"
#include "ledger/check.h"
#include "ledger/text.h"
#include "log/log.h"
#include "server/auth_db.h"
#include "server/auth_internal.h"

namespace tally::server {

using namespace auth_detail;

namespace {

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

// Replaces `path` with `secret` (mode 0600) atomically: a new file, fsync, rename.
std::expected<void, std::string> replace_secret_file(const std::string& path,
                                                     const std::string& secret) {
  const std::string tmp = path + ".new";
  ::unlink(tmp.c_str());
  const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL, 0600);
  if (fd < 0) return std::unexpected(cat("cannot create ", tmp));
  const std::string line = secret + "\n";
  const bool ok = ::write(fd, line.data(), line.size()) == static_cast<ssize_t>(line.size()) &&
                  ::fsync(fd) == 0;
  ::close(fd);
  if (!ok || ::rename(tmp.c_str(), path.c_str()) != 0) {
    return std::unexpected(cat("cannot write ", path));
  }
  return {};
}

std::string new_admin_key() { return "tk_admin_" + crypto::random_hex(24); }
std::string new_token_secret() { return crypto::random_hex(32); }

std::string secret_prefix(Scope s) {
  switch (s) {
    case Scope::admin: return "tk_admin_";
    case Scope::service: return "tk_svc_";
    case Scope::worker: return "tk_wrk_";
    case Scope::read: return "tk_read_";
  }
  return "tk_";
}

Principal::Kind kind_of(Scope s) {
  switch (s) {
    case Scope::admin: return Principal::Kind::admin;
    case Scope::service: return Principal::Kind::service;
    case Scope::worker: return Principal::Kind::worker;
    case Scope::read: return Principal::Kind::read;
  }
  return Principal::Kind::none;
}

}  // namespace

namespace auth_detail {

// 1 to 18 decimal digits (no overflow of int64).
std::optional<int64_t> digits(std::string_view s) {
  if (s.empty() || s.size() > 18) return std::nullopt;
  int64_t v = 0;
  for (char c : s) {
    if (c < '0' || c > '9') return std::nullopt;
    v = v * 10 + (c - '0');
  }
  return v;
}

std::optional<TimeUs> opt_time(int64_t us) {
  return us == k_no_end ? std::nullopt : std::optional<TimeUs>(TimeUs{us});
}

}  // namespace auth_detail

std::optional<Scope> parse_scope(std::string_view name) {
  for (Scope s : {Scope::admin, Scope::service, Scope::worker, Scope::read}) {
    if (scope_name(s) == name) return s;
  }
  return std::nullopt;
}

std::string_view scope_name(Scope scope) {
  switch (scope) {
    case Scope::admin: return "admin";
    case Scope::service: return "service";
    case Scope::worker: return "worker";
    case Scope::read: return "read";
  }
  return "?";
}

// A key as authenticate() sees it; last_used_us is written by every request that uses it.
struct Auth::KeyState {
  KeyInfo info;  // last_used_at and previous_valid_until are filled in by list_keys()
  std::atomic<int64_t> last_used_us{k_no_end};
  int64_t flushed_us = k_no_end;  // under change_mu_
};

Auth::~Auth() = default;

std::expected<std::unique_ptr<Auth>, std::string> Auth::open(const std::string& data_dir,
                                                             std::string admin_key,
                                                             std::string* admin_key_file,
                                                             TimeUs now,
                                                             const AuthStorage& storage) {
  std::unique_ptr<Auth> a(new Auth());
  auto db = storage.pg_url.empty()
                ? open_sqlite_auth_db(data_dir.empty() ? "" : data_dir + "/keys.db")
                : open_pg_auth_db(storage.pg_url, storage.pg_schema, storage.node, storage.epoch);
  if (!db) return std::unexpected(db.error());
  a->db_ = std::move(*db);
  const std::string db_path = a->db_->where();
  if (admin_key.empty()) {
    if (data_dir.empty()) return std::unexpected("an in-memory Auth needs an admin key");
    bool created = false;
    auto key = secret_file(data_dir + "/admin.key", new_admin_key, &created);
    if (!key) return std::unexpected(key.error());
    admin_key = *key;
    a->admin_key_path_ = data_dir + "/admin.key";
    if (created && admin_key_file) *admin_key_file = data_dir + "/admin.key";
  }
  if (auto r = a->import_bootstrap(admin_key, now); !r) {
    return std::unexpected(cat(db_path, ": ", r.error()));
  }
  if (auto r = a->load(); !r) return std::unexpected(cat(db_path, ": ", r.error()));
  auto shared = a->db_->shared_token_secret(new_token_secret());
  if (!shared) return std::unexpected(shared.error());
  if (*shared) {
    a->token_secret_ = std::move(**shared);
  } else if (data_dir.empty()) {
    a->token_secret_ = new_token_secret();
  } else {
    bool created = false;
    auto secret = secret_file(data_dir + "/token.secret", new_token_secret, &created);
    if (!secret) return std::unexpected(secret.error());
    a->token_secret_ = *secret;
  }
  return a;
}

// A bootstrap secret never seen becomes the admin key's one secret (keys.db) or one more of
// them (PostgreSQL, where each node brings its own); a known one changes nothing (if it was
// rotated away it stays away).
std::expected<void, std::string> Auth::import_bootstrap(const std::string& secret, TimeUs now) {
  bootstrap_hash_ = sha256_hex(secret);
  return db_->import_admin_secret(bootstrap_hash_, !db_->shared(), now);
}

std::expected<void, std::string> Auth::load() {
  auto stored = db_->load();
  if (!stored) return std::unexpected(stored.error());
  for (auto& key : stored->keys) {
    auto k = std::make_unique<KeyState>();
    k->info = std::move(key.info);
    k->last_used_us = k->flushed_us = key.last_used_us;
    keys_[k->info.id] = std::move(k);
  }
  for (const auto& secret : stored->secrets) {
    auto it = keys_.find(secret.key_id);
    if (it == keys_.end()) continue;  // revoked
    by_hash_[secret.sha256] = Secret{it->second.get(), secret.valid_until_us};
  }
  for (const auto& token : stored->tokens) revoked_tokens_[token.token_id] = token.prune_at_us;
  for (const auto& account : stored->accounts) {
    revoked_accounts_[account.account] =
        AccountCutoff{account.issued_before_us, account.prune_at_us};
    // Tokens issued from now on are stamped after every cutoff, whatever the clock says.
    last_stamp_us_ = std::max(last_stamp_us_.load(), account.issued_before_us);
  }
  return {};
}

Principal Auth::authenticate(std::string_view authorization, TimeUs now, std::string* why) const {
  auto refuse = [why](std::string_view w) {
    *why = w;
    return Principal{};
  };
  if (authorization.empty()) {
    return refuse("an Authorization header with a Bearer key or token is required");
  }
  const std::optional<std::string_view> secret = bearer_secret(authorization);
  if (!secret) return refuse("the Authorization header must be 'Bearer <key or token>'");
  if (is_token(*secret)) {
    return authenticate_token(*secret, now, why);
  }
  return authenticate_key(sha256_hex(*secret), now, why);
}

std::optional<std::string_view> Auth::bearer_secret(std::string_view authorization) {
  constexpr std::string_view bearer = "Bearer ";
  // The scheme's name is case-insensitive (RFC 9110 §11.1): "bearer" and "BEARER" do too.
  if (authorization.size() < bearer.size() ||
      !absl::EqualsIgnoreCase(to_absl(authorization.substr(0, bearer.size())), to_absl(bearer))) {
    return std::nullopt;
  }
  return authorization.substr(bearer.size());
}

Auth::Presented Auth::present(std::string_view authorization) const {
  Presented p{std::string(authorization), {}};
  const std::optional<std::string_view> secret = bearer_secret(authorization);
  if (secret && !is_token(*secret)) {
    p.key_hash = sha256_hex(*secret);
  }
  return p;
}

Principal Auth::authenticate(const Presented& presented, TimeUs now, std::string* why) const {
  if (presented.key_hash.empty()) return authenticate(presented.authorization, now, why);
  return authenticate_key(presented.key_hash, now, why);
}

Principal Auth::authenticate_key(const std::string& hash, TimeUs now, std::string* why) const {
  auto refuse = [why](std::string_view w) {
    *why = w;
    return Principal{};
  };
  std::shared_lock lock(mu_);
  auto it = by_hash_.find(hash);
  if (it == by_hash_.end()) return refuse("the key is not valid");
  KeyState& k = *it->second.key;
  if (now.us >= it->second.valid_until_us) {
    return refuse("the key was rotated and its overlap has ended: use the new secret");
  }
  if (k.info.expires_at && now >= *k.info.expires_at) return refuse("the key has expired");
  // To the second: a busy key's cache line is written once a second, not by every request.
  const int64_t last = k.last_used_us.load(std::memory_order_relaxed);
  if (last == k_no_end || now.us < last || now.us - last >= k_us_per_second) {
    k.last_used_us.store(now.us, std::memory_order_relaxed);
  }
  return {kind_of(k.info.scope), {}, k.info.id, {}};
}

bool Auth::bootstrap_admin_key_valid(TimeUs now) const {
  std::shared_lock lock(mu_);
  auto it = by_hash_.find(bootstrap_hash_);
  return it != by_hash_.end() && now.us < it->second.valid_until_us;
}

std::expected<NewKey, AuthError> Auth::create_key(std::string name, Scope scope,
                                                  std::optional<TimeUs> expires_at, TimeUs now) {
  std::lock_guard change(change_mu_);
  {
    std::shared_lock lock(mu_);
    if (keys_.size() >= k_keys_max) {
      return std::unexpected(AuthError{AuthError::Code::limit,
                                       cat("at most ", k_keys_max, " keys: revoke one first")});
    }
  }
  NewKey k;
  k.secret = cat(secret_prefix(scope), crypto::random_hex(24));
  k.info = KeyInfo{cat("key_", crypto::random_hex(8)), std::move(name), scope, now, expires_at, {}, {}, {}};
  const std::string hash = sha256_hex(k.secret);
  if (auto r = db_->insert_key(k.info, hash); !r) {
    return std::unexpected(AuthError{AuthError::Code::store, cat("storing the key: ", r.error())});
  }
  auto state = std::make_unique<KeyState>();
  state->info = k.info;
  std::unique_lock lock(mu_);
  by_hash_[hash] = Secret{state.get(), k_no_end};
  keys_[k.info.id] = std::move(state);
  return k;
}

std::vector<KeyInfo> Auth::list_keys(TimeUs now) const {
  std::vector<KeyInfo> out;
  std::shared_lock lock(mu_);
  std::unordered_map<const KeyState*, int64_t> previous;  // the latest end of an old secret
  for (const auto& [hash, s] : by_hash_) {
    if (s.valid_until_us == k_no_end || s.valid_until_us <= now.us) continue;
    int64_t& p = previous[s.key];
    p = std::max(p, s.valid_until_us);
  }
  for (const auto& [id, k] : keys_) {
    KeyInfo info = k->info;
    info.last_used_at = opt_time(k->last_used_us.load(std::memory_order_relaxed));
    if (auto it = previous.find(k.get()); it != previous.end()) {
      info.previous_valid_until = TimeUs{it->second};
    }
    out.push_back(std::move(info));
  }
  std::sort(out.begin(), out.end(), [](const KeyInfo& a, const KeyInfo& b) {
    return a.created_at != b.created_at ? a.created_at < b.created_at : a.id < b.id;
  });
  return out;
}

std::expected<KeyInfo, AuthError> Auth::revoke_key(const std::string& id, TimeUs now) {
  if (id == k_admin_key_id) {
    return std::unexpected(AuthError{
        AuthError::Code::invalid,
        "the admin key cannot be revoked: rotate it (POST /v1/keys/admin/rotate)"});
  }
  std::lock_guard change(change_mu_);
  KeyInfo info;
  {
    std::shared_lock lock(mu_);
    auto it = keys_.find(id);
    if (it == keys_.end()) {
      return std::unexpected(AuthError{AuthError::Code::not_found, cat("no key '", id, "'")});
    }
    info = it->second->info;
    info.last_used_at = opt_time(it->second->last_used_us.load());
  }
  info.revoked_at = now;
  if (auto r = db_->revoke_key(id, now, info.last_used_at); !r) {
    return std::unexpected(AuthError{AuthError::Code::store, r.error()});
  }
  std::unique_lock lock(mu_);
  const KeyState* gone = keys_.at(id).get();
  std::erase_if(by_hash_, [gone](const auto& e) { return e.second.key == gone; });
  keys_.erase(id);
  return info;
}

std::expected<NewKey, AuthError> Auth::rotate_key(const std::string& id, int64_t overlap_us,
                                                  TimeUs now) {
  TALLY_CHECK(overlap_us >= 0);
  std::lock_guard change(change_mu_);
  NewKey k;
  KeyState* state = nullptr;
  {
    std::shared_lock lock(mu_);
    auto it = keys_.find(id);
    if (it == keys_.end()) {
      return std::unexpected(AuthError{AuthError::Code::not_found, cat("no key '", id, "'")});
    }
    state = it->second.get();
    k.info = state->info;
  }
  k.secret = cat(secret_prefix(k.info.scope), crypto::random_hex(24));
  const std::string hash = sha256_hex(k.secret);
  // No overlap: ended whatever the clock says later (a manual clock restarts behind).
  const int64_t until = overlap_us == 0 ? INT64_MIN : add_us(now, overlap_us).us;
  if (auto r = db_->rotate_key(id, until, hash, now); !r) {
    return std::unexpected(AuthError{AuthError::Code::store, cat("rotating the key: ", r.error())});
  }
  {
    std::unique_lock lock(mu_);
    for (auto& [h, s] : by_hash_) {
      if (s.key == state) s.valid_until_us = std::min(s.valid_until_us, until);
    }
    by_hash_[hash] = Secret{state, k_no_end};
  }
  k.info.previous_valid_until = add_us(now, overlap_us);
  // The CLI and operators read DATA/admin.key: it names the secret that works from now on.
  if (id == k_admin_key_id && !admin_key_path_.empty()) {
    if (auto r = replace_secret_file(admin_key_path_, k.secret); !r) {
      return std::unexpected(AuthError{AuthError::Code::store,
                                       cat(r.error(), " (the new secret is stored: rotate again)")});
    }
  }
  return k;
}

std::expected<void, std::string> Auth::flush_last_used(TimeUs now) {
  std::lock_guard change(change_mu_);
  std::vector<std::pair<std::string, int64_t>> changed;
  {
    std::shared_lock lock(mu_);
    for (auto& [id, k] : keys_) {
      const int64_t used = k->last_used_us.load(std::memory_order_relaxed);
      if (used != k->flushed_us) changed.emplace_back(id, used);
    }
  }
  if (!changed.empty()) {
    if (auto r = db_->write_last_used(changed); !r) return r;
    std::shared_lock lock(mu_);
    for (const auto& [id, used] : changed) {
      if (auto it = keys_.find(id); it != keys_.end()) it->second->flushed_us = used;
    }
  }
  if (auto r = prune_stored(now); !r) return std::unexpected(r.error().detail);
  return {};
}

}  // namespace tally::server
