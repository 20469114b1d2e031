// Errors of configuration files: what is wrong, and where (file, line, column).
#pragma once

#include <cstdint>
#include <string>

namespace tally::config {

struct SourcePosition {
  std::string file;
  uint32_t line = 0;  // 1-based; 0 when unknown
  uint32_t column = 0;
};

struct ConfigError {
  std::string detail;
  SourcePosition where;
  bool io_error = false;  // the file could not be read (as opposed to a mistake in it)

  // "file:line:column: detail", or "file: detail" without a line.
  std::string to_string() const;
};

}  // namespace tally::config
