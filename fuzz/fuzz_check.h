// Property checks inside fuzz targets: a violated property prints what was expected and stops
// the process with a trap, which libFuzzer reports as a crash and saves as an artifact.
#pragma once

#include <cstdio>

#define FUZZ_CHECK(cond, what)                                                                  \
  do {                                                                                          \
    if (!(cond)) {                                                                              \
      std::fprintf(stderr, "fuzz property violated at %s:%d: %s\n  (%s)\n", __FILE__, __LINE__, \
                   what, #cond);                                                                \
      __builtin_trap();                                                                         \
    }                                                                                           \
  } while (0)
