// The audit trail of admin actions outside the ledger (auth.h, AdminAction): a table of
// DATA/keys.db, beside the keys and revocations those actions change. GET /v1/audit merges it
// with the shards' trails (api_audit.cc).
#include "ledger/text.h"
#include "server/auth.h"
#include "server/auth_internal.h"

namespace tally::server {

using namespace auth_detail;

std::expected<void, AuthError> Auth::record_action(AdminAction a) {
  std::lock_guard lock(change_mu_);
  Stmt in(db_->db,
          "INSERT INTO audit (at_us, credential_kind, credential, member, action, account, target)"
          " VALUES (?, ?, ?, ?, ?, ?, ?)");
  in.int64(1, a.at.us).text(2, credential_kind_name(a.by.kind)).text(3, a.by.id);
  in.text(4, a.by.member).text(5, a.action).text(6, a.account).text(7, a.target);
  if (!in.run()) {
    return std::unexpected(AuthError{AuthError::Code::store,
                                     cat("keys.db: recording ", a.action, ": ", db_->error())});
  }
  return {};
}

std::expected<void, std::string> Auth::scan_actions(
    uint64_t after_seq, const store::AuditFilter& filter,
    const std::function<bool(const AdminAction&)>& visit) {
  std::lock_guard lock(change_mu_);
  Stmt q(
      db_->db,
      "SELECT seq, at_us, credential_kind, credential, member, action, account, target FROM audit"
      " WHERE seq > ?1 AND (?2 = '' OR account = ?2) AND (?3 = '' OR credential = ?3) AND"
      " at_us >= ?4 AND at_us < ?5 ORDER BY seq");
  q.int64(1, static_cast<int64_t>(after_seq)).text(2, filter.account).text(3, filter.credential);
  q.int64(4, filter.from.us).int64(5, filter.to.us);
  while (q.row()) {
    AdminAction a;
    a.seq = static_cast<uint64_t>(q.col_time(0));
    a.at = TimeUs{q.col_time(1)};
    auto kind = parse_credential_kind(q.col(2));
    if (!kind) return std::unexpected(cat("keys.db: audit line ", a.seq, " has no known kind"));
    a.by = Credential{*kind, q.col(3), q.col(4)};
    a.action = q.col(5);
    a.account = q.col(6);
    a.target = q.col(7);
    if (!visit(a)) return {};
  }
  if (q.failed()) return std::unexpected(cat("keys.db: reading the audit trail: ", db_->error()));
  return {};
}

}  // namespace tally::server
