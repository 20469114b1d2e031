// Tests only: the URL of the PostgreSQL server the ctest fixture `pg` started (tests/pg), read
// from the file $TALLY_PG_URL_FILE names, and new databases on it. A test that needs it fails,
// never skips, without it.
#pragma once

#include <gtest/gtest.h>

#include <cstdlib>
#include <fstream>
#include <string>

#include "ledger/text.h"
#include "store/pg_conn.h"

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

// A new, empty database `name` on the test server (dropped first if a run left it): its URL.
inline std::string test_pg_database(const std::string& name) {
  const std::string url = test_pg_url();
  auto db = pg::Connection::open(url, "");
  if (!db) {
    ADD_FAILURE() << db.error();
    return "";
  }
  for (const std::string& sql :
       {cat("DROP DATABASE IF EXISTS ", name), cat("CREATE DATABASE ", name)}) {
    if (auto r = (*db)->exec(sql); !r) {
      ADD_FAILURE() << sql << ": " << r.error();
      return "";
    }
  }
  return url.substr(0, url.rfind('/') + 1) + name;
}

// The first column of the first row of `sql` (a bigint) on the database `url`; -1 on failure.
inline int64_t test_pg_scalar(const std::string& url, const std::string& sql) {
  auto db = pg::Connection::open(url, "");
  EXPECT_TRUE(db.has_value()) << (db ? "" : db.error());
  if (!db) return -1;
  auto r = (*db)->query(sql.c_str());
  EXPECT_TRUE(r.has_value()) << (r ? "" : r.error());
  return r && r->size() > 0 ? r->i64(0, 0) : -1;
}

}  // namespace tally::store
