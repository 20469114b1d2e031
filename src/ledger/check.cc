#include "ledger/check.h"

#include <cstdio>
#include <cstdlib>

namespace tally::detail {

void check_failed(const char* expr, const char* file, int line) {
  std::fprintf(stderr, "tally: check failed: %s at %s:%d\n", expr, file, line);
  std::fflush(stderr);
  std::abort();
}

}  // namespace tally::detail
