// The conformance suite (store_conformance_test.cc) on the embedded backends: memory, and
// SQLite with and without a projector and with small journal segments.
#include "ledger/test_support.h"
#include "store/memory_store.h"
#include "store/sqlite_store.h"
#include "store/store_conformance.h"

namespace tally::store {
namespace {

INSTANTIATE_TEST_SUITE_P(
    Backends, StoreConformance,
    ::testing::Values(
        Backend{"memory", [] { return std::unique_ptr<Store>(std::make_unique<MemoryStore>()); }},
        Backend{"sqlite",
                [] {
                  // A fresh directory per store; synchronous=NORMAL keeps the suite quick (a
                  // process crash, which is all a test can cause, loses nothing in WAL mode).
                  const std::string dir = testing::scratch_dir("store");
                  auto s = SqliteStore::open({dir, /*synchronous_full=*/false});
                  EXPECT_TRUE(s.has_value());
                  return std::unique_ptr<Store>(std::move(*s));
                }},
        Backend{"sqlite_unprojected",
                [] {
                  // No projector: every batch stays in the journal and in memory, as after a
                  // crash between an append and its projection; reads merge the tail.
                  SqliteOptions o{testing::scratch_dir("store"), /*synchronous_full=*/false};
                  o.project = false;
                  auto s = SqliteStore::open(o);
                  EXPECT_TRUE(s.has_value());
                  return std::unique_ptr<Store>(std::move(*s));
                }},
        Backend{"sqlite_small_segments",
                [] {
                  // Segments of 4 KiB, synced: segments close and are removed while it runs.
                  SqliteOptions o{testing::scratch_dir("store"), /*synchronous_full=*/true};
                  o.journal_segment_bytes = 4096;
                  auto s = SqliteStore::open(o);
                  EXPECT_TRUE(s.has_value());
                  return std::unique_ptr<Store>(std::move(*s));
                }}),
    [](const auto& info) { return std::string(info.param.name); });

}  // namespace
}  // namespace tally::store
