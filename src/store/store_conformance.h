// The Store conformance suite (store_conformance_test.cc), parameterised by backend: each test
// binary that links the suite instantiates it with its backends, e.g.
//   INSTANTIATE_TEST_SUITE_P(Backends, StoreConformance, ::testing::Values(Backend{...}),
//                            [](const auto& info) { return std::string(info.param.name); });
// store_backends_test.cc runs the embedded ones, pg_store_test.cc PostgreSQL.
#pragma once

#include <gtest/gtest.h>

#include <functional>
#include <memory>
#include <ostream>

#include "store/store.h"

namespace tally::store {

struct Backend {
  const char* name;
  std::function<std::unique_ptr<Store>()> make;
};
inline void PrintTo(const Backend& b, std::ostream* os) {
  *os << b.name;
}

class StoreConformance : public ::testing::TestWithParam<Backend> {};

}  // namespace tally::store
