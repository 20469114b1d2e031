// Bytes for what a store keeps: the reply (or refusal) a retried request gets again (DESIGN
// rule 8), and a whole batch as the journal records it. Versioned, little-endian, length-prefixed; decoding checks every
// length and tag, so a corrupt row is an error value, never a crash.
//
// Pure and thread-safe.
#pragma once

#include <expected>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "ledger/command.h"
#include "ledger/ledger_state.h"

namespace tally::store {

// The version byte that opens a column and a stored result. 1: the fields of batch version 4
// (before budget alerts), still read; 2: those of k_batch_version (no column or result type
// gained a field after batch version 6: a new one needs codec version 3).
inline constexpr uint8_t k_codec_version = 2;

std::string encode_result(const Result& r);
// A hold's or spend's lot portions (stored as one column).
std::string encode_portions(const Portions& p);
[[nodiscard]] std::expected<Portions, std::string> decode_portions(std::string_view bytes);
// A hold's priced parameters (one column; empty bytes read as none).
std::string encode_params(const JobParams& p);
[[nodiscard]] std::expected<JobParams, std::string> decode_params(std::string_view bytes);
// An account's auto top-up (one column).
std::string encode_auto_topup(const AutoTopup& t);
[[nodiscard]] std::expected<AutoTopup, std::string> decode_auto_topup(std::string_view bytes);
// A team account's members and budgets (one column).
std::string encode_team(const Team& t);
[[nodiscard]] std::expected<Team, std::string> decode_team(std::string_view bytes);
// Errors name what was malformed ("truncated", "unknown reply tag 42", ...).
[[nodiscard]] std::expected<Result, std::string> decode_result(std::string_view bytes);

// A journal record's payload (docs/storage.md, "The journal"): one batch's entries and the state
// delta after them, every field of every record (fields() in codec.cc is the one list). Version
// byte first; lists hold at most k_batch_count_max items.
// 2: events, alerts; 3: auto top-up; 4: teams; 5: entries' member and project; 6: budget alerts;
// 7: audit lines (StateDelta::audit; older versions are still read, with none); 8: a spend's
// outcome (issue 19; older spends read as Outcome::none).
inline constexpr uint8_t k_batch_version = 8;
inline constexpr size_t k_batch_count_max = size_t{1} << 24;
struct BatchRecord {
  std::vector<Entry> entries;
  StateDelta delta;
};
// Replaces *out (its capacity is reused). `version` < k_batch_version writes what an older
// Tally wrote (fields it did not have are left out), for tests that older records still read.
void encode_batch(std::span<const Entry> entries, const StateDelta& delta, std::string* out,
                  uint8_t version = k_batch_version);
[[nodiscard]] std::expected<BatchRecord, std::string> decode_batch(std::string_view bytes);

}  // namespace tally::store
