// TALLY_CHECK: an assertion that stays on in release builds and stops the process (docs/design.md
// §8: a bug is an assertion). Use it for preconditions, postconditions and invariants; never for
// outcomes a client can cause, which are values (see ledger/errors.h).
#pragma once

namespace tally::detail {
[[noreturn]] void check_failed(const char* expr, const char* file, int line);
}  // namespace tally::detail

#define TALLY_CHECK(cond)                                       \
  do {                                                          \
    if (__builtin_expect(!(cond), 0)) {                         \
      ::tally::detail::check_failed(#cond, __FILE__, __LINE__); \
    }                                                           \
  } while (0)
