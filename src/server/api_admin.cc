// POST /v1/admin/reload (issue 21, docs/operations.md "Reload"): the configuration file read
// again, by the reloader of `tally serve` (server/reload.h); answered once it is in force on
// every shard, or refused with the messages a start would give.
#include "ledger/text.h"
#include "server/api_internal.h"

namespace tally::server {
namespace {

void write_texts(JsonWriter& w, const char* key, const std::vector<std::string>& values) {
  w.Key(key);
  w.StartArray();
  for (const std::string& v : values) w.String(v.data(), static_cast<rapidjson::SizeType>(v.size()));
  w.EndArray();
}

HttpResponse reload_answer(const ReloadOutcome& o) {
  if (!o.applied) {
    Problem p{422, "invalid_config",
              cat("the configuration was not reloaded (the running one is kept): ",
                  o.errors.empty() ? std::string("no reason given") : o.errors.front()),
              {}};
    p.errors = o.errors;
    return problem_response(p);
  }
  return json(200, [&](JsonWriter& w) {
    w.StartObject();
    write_text(w, "file", o.file);
    w.Key("generation");
    w.Uint64(o.generation);
    write_texts(w, "changed", o.changed);
    write_texts(w, "restart_required", o.restart_required);
    write_text(w, "price_book_version", o.price_book_version);
    w.Key("price_book_added");
    w.Bool(o.price_book_added);
    write_text_or_null(w, "price_book_in_force", o.price_book_in_force);
    w.EndObject();
  });
}

}  // namespace

void reload(const CallPtr& call) {
  if (!call->ctx.o.reload) return fail(call, not_found("this server has no configuration reload"));
  if (call->in_batch) {
    // The batch's other requests are handed to their shards when the batch has been read;
    // a reload among them would price some of them either way.
    return fail(call, bad_request("POST /v1/admin/reload cannot be part of a batch: send it "
                                  "on its own"));
  }
  FieldReader fields(*call->body);
  if (auto p = fields.finish()) return fail(call, *p);
  ReloadTrigger trigger{"POST /v1/admin/reload", call->request.request_id, call->who.key_id};
  call->ctx.o.reload(std::move(trigger), [call](ReloadOutcome o) {
    // A refused reload changed nothing: only one in force is an admin action of the trail.
    if (o.applied && !record_action(call, "reload", "", o.file)) return;
    answer(call, reload_answer(o));
  });
}

}  // namespace tally::server
