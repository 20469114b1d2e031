// Bytes for what a store keeps of a ledger result: the reply (or refusal) a retried request
// gets again (DESIGN rule 8). Versioned, little-endian, length-prefixed; decoding checks every
// length and tag, so a corrupt row is an error value, never a crash.
//
// Pure and thread-safe.
#pragma once

#include <expected>
#include <string>
#include <string_view>

#include "ledger/command.h"

namespace tally::store {

inline constexpr uint8_t k_codec_version = 1;

std::string encode_result(const Result& r);
// A hold's or spend's lot portions (stored as one column).
std::string encode_portions(const Portions& p);
[[nodiscard]] std::expected<Portions, std::string> decode_portions(std::string_view bytes);
// A hold's priced parameters (one column; empty bytes read as none).
std::string encode_params(const JobParams& p);
[[nodiscard]] std::expected<JobParams, std::string> decode_params(std::string_view bytes);
// Errors name what was malformed ("truncated", "unknown reply tag 42", ...).
[[nodiscard]] std::expected<Result, std::string> decode_result(std::string_view bytes);

}  // namespace tally::store
