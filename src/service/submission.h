// One change as a shard runs it (DESIGN §4 and rule 8): the idempotency key is looked up first,
// before anything is priced or derived from the ledger's state; only for a new key is the
// command completed (priced with the account's plan in hand) and applied; the caller's answer
// is then written from the ledger as the command left it and remembered with the key. Shared by
// the service's shards and the simulator (tests/sim), so both run the same code.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "ledger/command.h"
#include "ledger/ledger.h"

namespace tally::service {

// A change with the steps that need its shard's ledger, run on the shard's thread in the order
// DESIGN §4 gives: the idempotency key is looked up first (memory, then the store); only for a
// new key does `prepare` complete the command from the ledger's state (prices a job with the
// account's plan in hand) and the ledger apply it; `encode` then writes the caller's answer from
// the ledger as the command left it, and that answer is remembered with the key, so a retry gets
// it byte for byte whatever changed since (rule 8).
struct Submission {
  Request request;
  // What `prepare` decides instead of applying the command.
  struct Answer {
    std::string response;
    // Remembered under the key although the books do not change (a job the plan includes), or
    // not remembered at all (a request refused before the ledger, like invalid_request).
    bool remember = false;
  };
  // Optional. Completes request.command (it may change only fields the command's fingerprint
  // leaves out, such as a priced amount), or returns the answer that replaces applying it.
  std::function<std::optional<Answer>(const Ledger&, Command*, TimeUs now)> prepare;
  // Optional. The answer to `result`, from the ledger right after the command ran.
  std::function<std::string(const Ledger&, const Result&)> encode;
};

// What a submission got: the ledger's result and the answer (`encode`'s, or the remembered one;
// empty without an `encode`). `result` is empty when `prepare` answered.
struct Outcome {
  std::optional<Result> result;
  std::string response;
  // Filled by the service (not by run_submission), ns: waiting in the shard's queue, and the
  // commit of the batch that made it durable (0 for a batch that wrote nothing).
  int64_t queue_ns = -1;
  int64_t commit_ns = -1;
};

// What the shard's store holds beyond its ledger's memory (service/recall.h); either may be
// null (no store).
struct ColdAccess {
  // The first answer to a key the ledger let go, if the store remembers the key.
  std::function<std::optional<Recalled>(const Request&)> recall;
  // Lends the ledger the records `command` names that left its memory.
  std::function<void(const Command&)> lend;
};

// Runs `submission` on `ledger` at `now` (entries of time and of the command go to `entries`):
// 1. the key: the ledger's memory, then `cold.recall` (the store, for a key the ledger let go);
//    a known key gets its first result and answer;
// 2. `cold.lend`: the records the command names that left memory come back for this batch;
// 3. `prepare`, which may answer instead (remembered with the key only if it says so);
// 4. the ledger applies the command, `encode` writes the answer, remembered with the key.
// Thread: the shard's.
Outcome run_submission(Ledger& ledger, Submission& submission, TimeUs now,
                       std::vector<Entry>* entries, const ColdAccess& cold);

}  // namespace tally::service
