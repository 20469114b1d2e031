// Pricing errors are values (docs/design.md §8): a stable machine code plus a human detail that
// says what was wrong and, where it helps, lists what is valid. Loader errors also carry the file,
// line and column of the offending TOML node.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "config/config_error.h"

namespace tally::pricing {

enum class PricingErrorCode : uint8_t {
  unknown_tool,          // the tool id is not in the price book
  unknown_parameter,     // the tool has no such parameter
  unknown_option,        // the parameter has no such option
  missing_parameter,     // a parameter without a default was not given
  bad_value,             // a value of the wrong type or out of its range
  amount_too_large,      // the price does not fit the credit type
  unknown_version,       // no loaded price book has this version id
  no_version_in_force,   // no price book is effective at the requested time
  capture_exceeds_hold,  // actual usage costs more than the hold reserved
  version_conflict,      // a version id loaded twice with different content
  version_out_of_order,  // effective_at not after every loaded version's
  invalid_book,          // a malformed price book file (has a source position)
  io_error,              // the file could not be read
};

// Stable snake_case names ("unknown_option"), used by the CLI and the API.
std::string_view error_code_name(PricingErrorCode code);

using SourcePosition = config::SourcePosition;

struct PricingError {
  PricingErrorCode code;
  std::string detail;
  SourcePosition where;

  // "file:line:column: invalid_book: detail", or "code: detail" without a position.
  std::string to_string() const;
};

// A configuration error as a pricing error: io_error if the file could not be read, else
// invalid_book; detail and position unchanged.
PricingError from_config_error(const config::ConfigError& e);

}  // namespace tally::pricing
