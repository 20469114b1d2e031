// Tests only: the URL of the PostgreSQL server the ctest fixture `pg` started (tests/pg), read
// from the file $TALLY_PG_URL_FILE names. A test that needs it fails, never skips, without it.
#pragma once

#include <gtest/gtest.h>

#include <cstdlib>
#include <fstream>
#include <string>

namespace tally::store {

inline std::string test_pg_url() {
  const char* file = std::getenv("TALLY_PG_URL_FILE");
  std::string url;
  if (file != nullptr) std::getline(std::ifstream(file), url);
  if (url.empty()) {
    ADD_FAILURE() << "no PostgreSQL test server: $TALLY_PG_URL_FILE (" << (file ? file : "unset")
                  << ") names none; run through ctest, whose fixture `pg` starts one";
  }
  return url;
}

}  // namespace tally::store
