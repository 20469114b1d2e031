// The JSON of one event (ledger/event.h), as GET /v1/events and webhook deliveries carry it
// (docs/events.md): {"id", "type", "at", "account", "data": {...}}, `data` by type.
#pragma once

#include <string>

#include "ledger/event.h"
#include "server/json.h"

namespace tally::server {

void write_event(JsonWriter& w, ShardId shard, const Event& e);
std::string event_json(ShardId shard, const Event& e);

}  // namespace tally::server
