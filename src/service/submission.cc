#include "service/submission.h"

namespace tally::service {

Outcome run_submission(Ledger& ledger, Submission& s, TimeUs now, std::vector<Entry>* entries,
                       const ColdAccess& cold) {
  const Request& request = s.request;
  const bool keyed = !std::holds_alternative<AdvanceTime>(request.command);
  // 1. The key, before anything is priced or derived from the ledger's state.
  std::optional<Recalled> first;
  if (keyed) first = ledger.recall(request);
  if (keyed && !first && cold.recall) first = cold.recall(request);
  if (first) {
    (void)ledger.apply(Request{"", AdvanceTime{}}, now, entries);  // time moves all the same
    // A record written before answers were remembered: answer it from its result.
    if (first->response.empty() && s.encode) first->response = s.encode(ledger, first->result);
    return Outcome{std::move(first->result), std::move(first->response)};
  }
  // 2. What the command names that left the ledger's memory comes back from the store.
  if (cold.lend) cold.lend(request.command);
  // 3. Complete the command from the ledger's state, or answer without applying it.
  if (s.prepare) {
    if (auto answer = s.prepare(ledger, &s.request.command, now)) {
      if (!answer->remember) return Outcome{std::nullopt, std::move(answer->response)};
      Result r = ledger.apply_unchanged(request, now, entries);
      if (r && std::holds_alternative<NoChangeReply>(*r)) {
        ledger.set_response(request.idempotency_key, answer->response);
      }
      return Outcome{std::move(r), std::move(answer->response)};
    }
  }
  // 4. Apply, and remember the answer with the key. The key is new (step 1), so the ledger
  // remembers every result but invalid_request (an idempotency_conflict here is a purchase's
  // payment_ref used for another pack, and is remembered too).
  Result r = ledger.apply(request, now, entries);
  std::string response = s.encode ? s.encode(ledger, r) : std::string();
  const bool remembered = r || r.error().code != ErrorCode::invalid_request;
  if (keyed && remembered && !response.empty()) {
    ledger.set_response(request.idempotency_key, response);
  }
  return Outcome{std::move(r), std::move(response)};
}

}  // namespace tally::service
