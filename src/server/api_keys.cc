// Keys and token revocation (docs/api.md "Auth", docs/operations.md): create, list, revoke and
// rotate API keys; revoke end-user tokens. These change DATA/keys.db, not the ledger: no
// Idempotency-Key, and each is in force for the next request the server authenticates,
// including the next request of the same /v1/batch.
#include "ledger/text.h"
#include "server/api_internal.h"

namespace tally::server {
namespace {

static_assert(k_token_ttl_max_s <= k_token_lifetime_max_s,
              "a revocation must outlive every token it can refuse");

Problem auth_problem(const AuthError& e) {
  switch (e.code) {
    case AuthError::Code::not_found:
      return not_found(e.detail);
    case AuthError::Code::invalid:
      return bad_request(e.detail);
    case AuthError::Code::limit:
      return {422, "limit_exceeded", e.detail, {}};
    case AuthError::Code::store:
      break;
  }
  return {500, "internal", e.detail, {}};
}

void write_key_fields(JsonWriter& w, const KeyInfo& k) {
  write_text(w, "id", k.id);
  write_text(w, "name", k.name);
  write_text(w, "scope", scope_name(k.scope));
  write_time(w, "created_at", k.created_at);
  write_optional_time(w, "expires_at", k.expires_at);
  write_optional_time(w, "last_used_at", k.last_used_at);
  write_optional_time(w, "previous_valid_until", k.previous_valid_until);
}

HttpResponse new_key_response(int status, const NewKey& k) {
  return json(status, [&](JsonWriter& w) {
    w.StartObject();
    write_key_fields(w, k.info);
    write_text(w, "key", k.secret);
    w.EndObject();
  });
}

}  // namespace

void create_key(const CallPtr& call) {
  auto request = decode_key(*call->body);
  if (!request) return fail(call, request.error());
  auto key = call->ctx.o.auth->create_key(request->name, *parse_scope(request->scope),
                                          request->expires_at, call->now);
  if (!key) return fail(call, auth_problem(key.error()));
  if (!record_action(call, "create_key", "", key->info.id)) return;
  answer(call, new_key_response(201, *key));
}

void list_keys(const CallPtr& call) {
  const std::vector<KeyInfo> keys = call->ctx.o.auth->list_keys(call->now);
  answer(call, json(200, [&](JsonWriter& w) {
           w.StartObject();
           w.Key("keys");
           w.StartArray();
           for (const KeyInfo& k : keys) {
             w.StartObject();
             write_key_fields(w, k);
             w.EndObject();
           }
           w.EndArray();
           w.EndObject();
         }));
}

void revoke_key(const CallPtr& call) {
  auto key = call->ctx.o.auth->revoke_key(call->args[0], call->now);
  if (!key) return fail(call, auth_problem(key.error()));
  if (!record_action(call, "revoke_key", "", key->id)) return;
  answer(call, json(200, [&](JsonWriter& w) {
           w.StartObject();
           write_key_fields(w, *key);
           write_optional_time(w, "revoked_at", key->revoked_at);
           w.EndObject();
         }));
}

void rotate_key(const CallPtr& call) {
  auto overlap_s = decode_rotate_overlap_s(*call->body);
  if (!overlap_s) return fail(call, overlap_s.error());
  auto key = call->ctx.o.auth->rotate_key(call->args[0], *overlap_s * k_us_per_second, call->now);
  if (!key) return fail(call, auth_problem(key.error()));
  if (!record_action(call, "rotate_key", "", key->info.id)) return;
  answer(call, new_key_response(200, *key));
}

void revoke_tokens(const CallPtr& call) {
  auto request = decode_token_revocation(*call->body);
  if (!request) return fail(call, request.error());
  const std::string account = call->args[0];
  // Written here, on the I/O thread (a shard thread may not wait for an fsync), before the
  // reply: the next request sees it. An unknown account is then answered 404; its revocation,
  // which can refuse nothing, stays until pruned.
  Auth* auth = call->ctx.o.auth;
  auto done = request->token_id ? auth->revoke_token(account, *request->token_id, call->now)
                                : auth->revoke_tokens(account, call->now);
  if (!done) return fail(call, auth_problem(done.error()));
  if (!record_action(call, "revoke_tokens", account, request->token_id.value_or(""))) return;
  const TimeUs now = call->now;
  read_shard(call, account_shard(*call, account),
             [account, now, request = *request](const Ledger& l) {
               if (!l.find_account(account)) {
                 return problem_response(not_found(cat("no account '", account, "'")));
               }
               return json(200, [&](JsonWriter& w) {
                 w.StartObject();
                 write_text(w, "account", account);
                 if (request.token_id) {
                   write_text(w, "token_id", *request.token_id);
                 } else {
                   w.Key("token_id");
                   w.Null();
                 }
                 w.Key("all");
                 w.Bool(!request.token_id);
                 write_time(w, "revoked_at", now);
                 w.EndObject();
               });
             });
}

}  // namespace tally::server
