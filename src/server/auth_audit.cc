// The audit trail of admin actions outside the ledger (auth.h, AdminAction): kept by the keys'
// store (auth_db.h: a table of DATA/keys.db, or of the PostgreSQL database, shared by the
// nodes), beside the keys and revocations those actions change. GET /v1/audit merges it with
// the shards' trails (api_audit.cc).
#include "ledger/text.h"
#include "server/auth.h"
#include "server/auth_db.h"

namespace tally::server {

std::expected<void, AuthError> Auth::record_action(AdminAction a) {
  std::lock_guard lock(change_mu_);
  if (auto r = db_->record_action(a); !r) {
    return std::unexpected(AuthError{AuthError::Code::store,
                                     cat(db_->where(), ": recording ", a.action, ": ", r.error())});
  }
  return {};
}

std::expected<void, std::string> Auth::scan_actions(
    uint64_t after_seq, const store::AuditFilter& filter,
    const std::function<bool(const AdminAction&)>& visit) {
  std::lock_guard lock(change_mu_);
  if (auto r = db_->scan_actions(after_seq, filter, visit); !r) {
    return std::unexpected(cat(db_->where(), ": ", r.error()));
  }
  return {};
}

}  // namespace tally::server
