// End-user tokens (auth.h): signed, stamped with a strictly increasing issue time, and checked
// against the revocation list (token ids, and accounts whose tokens issued before a time are
// all refused), which the keys' store keeps (auth_db.h) and memory answers from.
#include <algorithm>
#include <vector>

#include "ledger/text.h"
#include "server/auth_db.h"
#include "server/auth_internal.h"

namespace tally::server {

using namespace auth_detail;

Principal Auth::authenticate_token(std::string_view secret, TimeUs now, std::string* why) const {
  auto refuse = [why](std::string_view w) {
    *why = w;
    return Principal{};
  };
  const bool v1 = secret.starts_with(k_token_v1);
  const bool v3 = secret.starts_with(k_token_v3);
  const size_t sig = secret.rfind('.');
  std::vector<std::string_view> parts;  // of the signed part
  for (size_t at = 0; at < sig;) {
    const size_t dot = std::min(secret.find('.', at), sig);
    parts.push_back(secret.substr(at, dot - at));
    at = dot + 1;
  }
  if (parts.size() != (v1 ? 3u : v3 ? 6u : 5u)) return refuse("the token is malformed");
  if (!equal_constant_time(crypto::hmac_sha256_hex(token_secret_, secret.substr(0, sig)),
                           secret.substr(sig + 1))) {
    return refuse("the token's signature is not valid");
  }
  // Signed by us: the fields are as issue_token() wrote them.
  auto expires_s = digits(parts[1]);
  auto issued_us = v1 ? std::optional<int64_t>(0) : digits(parts[2]);
  auto account = unhex(parts[v1 ? 2 : 4]);
  auto member = v3 ? unhex(parts[5]) : std::optional<std::string>("");
  if (!expires_s || !issued_us || !account || !member) return refuse("the token is malformed");
  if (now.us >= *expires_s * k_us_per_second) return refuse("the token has expired");
  Principal p{Principal::Kind::user,
              std::move(*account),
              {},
              v1 ? "" : std::string(parts[3]),
              std::move(*member)};
  std::shared_lock lock(mu_);
  if (!p.token_id.empty() && revoked_tokens_.contains(p.token_id)) {
    return refuse("the token has been revoked");
  }
  if (auto it = revoked_accounts_.find(p.account);
      it != revoked_accounts_.end() && *issued_us < it->second.issued_before_us) {
    return refuse("the token has been revoked");
  }
  return p;
}

Token Auth::issue_token(std::string_view account, TimeUs expires_at, TimeUs now,
                        std::string_view member) const {
  int64_t stamp = last_stamp_us_.load();
  while (!last_stamp_us_.compare_exchange_weak(stamp, std::max(now.us, stamp + 1))) {
  }
  stamp = std::max(now.us, stamp + 1);
  const int64_t expires_s = (expires_at.us + k_us_per_second - 1) / k_us_per_second;
  const std::string id = crypto::random_hex(k_token_id_bytes);
  const std::string signed_part =
      member.empty() ? cat(k_token_v2, expires_s, ".", stamp, ".", id, ".", crypto::hex(account))
                     : cat(k_token_v3, expires_s, ".", stamp, ".", id, ".", crypto::hex(account),
                           ".", crypto::hex(member));
  return {cat(signed_part, ".", crypto::hmac_sha256_hex(token_secret_, signed_part)), id,
          TimeUs{expires_s * k_us_per_second}};
}

// Drops the revocations whose tokens have all expired, from the db then from memory. Under
// change_mu_.
std::expected<void, AuthError> Auth::prune_stored(TimeUs now) {
  if (auto r = db_->prune(now); !r) {
    return std::unexpected(AuthError{AuthError::Code::store, r.error()});
  }
  std::unique_lock lock(mu_);
  prune_locked(now);
  return {};
}

void Auth::prune_locked(TimeUs now) {
  std::erase_if(revoked_tokens_, [now](const auto& e) { return e.second <= now.us; });
  std::erase_if(revoked_accounts_, [now](const auto& e) { return e.second.prune_at_us <= now.us; });
}

std::expected<void, AuthError> Auth::revoke_token(const std::string& account,
                                                  const std::string& token_id, TimeUs now) {
  std::lock_guard change(change_mu_);
  if (auto r = prune_stored(now); !r) return r;
  {
    std::shared_lock lock(mu_);
    if (revoked_tokens_.contains(token_id)) return {};
    if (revoked_tokens_.size() >= k_token_revocations_max) {
      return std::unexpected(AuthError{
          AuthError::Code::limit,
          cat("the revocation list holds ", k_token_revocations_max,
              " token ids: revoke all of the account's tokens instead ({\"all\": true})")});
    }
  }
  // The token's own expiry is not known from its id: keep it as long as any token can live.
  const int64_t prune_at = add_us(now, k_token_lifetime_max_s * k_us_per_second).us;
  if (auto r = db_->revoke_token(token_id, account, now, prune_at); !r) {
    return std::unexpected(AuthError{AuthError::Code::store, r.error()});
  }
  std::unique_lock lock(mu_);
  revoked_tokens_[token_id] = prune_at;
  return {};
}

std::expected<void, AuthError> Auth::revoke_tokens(const std::string& account, TimeUs now) {
  std::lock_guard change(change_mu_);
  if (auto r = prune_stored(now); !r) return r;
  {
    std::shared_lock lock(mu_);
    if (!revoked_accounts_.contains(account) &&
        revoked_accounts_.size() >= k_account_revocations_max) {
      return std::unexpected(AuthError{
          AuthError::Code::limit,
          cat("the revocation list holds ", k_account_revocations_max,
              " accounts: rotate DATA/token.secret to revoke every token (docs/operations.md)")});
    }
  }
  // Every token issued so far has a smaller stamp; every later one a larger.
  int64_t cutoff = last_stamp_us_.load();
  while (!last_stamp_us_.compare_exchange_weak(cutoff, std::max(now.us, cutoff + 1))) {
  }
  cutoff = std::max(now.us, cutoff + 1);
  const int64_t prune_at = add_us(TimeUs{cutoff}, k_token_lifetime_max_s * k_us_per_second).us;
  if (auto r = db_->revoke_account_tokens(account, cutoff, prune_at); !r) {
    return std::unexpected(AuthError{AuthError::Code::store, r.error()});
  }
  std::unique_lock lock(mu_);
  revoked_accounts_[account] = AccountCutoff{cutoff, prune_at};
  return {};
}

size_t Auth::revocations() const {
  std::shared_lock lock(mu_);
  return revoked_tokens_.size() + revoked_accounts_.size();
}

}  // namespace tally::server
