#include "pricing/errors.h"

namespace tally::pricing {

std::string_view error_code_name(PricingErrorCode code) {
  switch (code) {
    case PricingErrorCode::unknown_tool:
      return "unknown_tool";
    case PricingErrorCode::unknown_parameter:
      return "unknown_parameter";
    case PricingErrorCode::unknown_option:
      return "unknown_option";
    case PricingErrorCode::missing_parameter:
      return "missing_parameter";
    case PricingErrorCode::bad_value:
      return "bad_value";
    case PricingErrorCode::amount_too_large:
      return "amount_too_large";
    case PricingErrorCode::unknown_version:
      return "unknown_version";
    case PricingErrorCode::no_version_in_force:
      return "no_version_in_force";
    case PricingErrorCode::capture_exceeds_hold:
      return "capture_exceeds_hold";
    case PricingErrorCode::version_conflict:
      return "version_conflict";
    case PricingErrorCode::version_out_of_order:
      return "version_out_of_order";
    case PricingErrorCode::invalid_book:
      return "invalid_book";
    case PricingErrorCode::io_error:
      return "io_error";
  }
  return "unknown";
}

PricingError from_config_error(const config::ConfigError& e) {
  return PricingError{e.io_error ? PricingErrorCode::io_error : PricingErrorCode::invalid_book,
                      e.detail, e.where};
}

std::string PricingError::to_string() const {
  std::string out;
  if (!where.file.empty()) {
    out += where.file;
    if (where.line > 0) {
      // Appended piecewise: GCC 12 -O3 warns falsely (-Wrestrict) on "x" + std::string.
      out += ':';
      out += std::to_string(where.line);
      out += ':';
      out += std::to_string(where.column);
    }
    out += ": ";
  }
  out += error_code_name(code);
  out += ": ";
  out += detail;
  return out;
}

}  // namespace tally::pricing
