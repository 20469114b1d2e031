#include "scenario/scenario.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>

#include "absl/strings/str_join.h"

namespace tally::scenario {
namespace {

std::string source_dir() {
  const char* root = std::getenv("TALLY_SOURCE_DIR");
  return root ? root : ".";
}

std::vector<std::string> scenario_files() {
  std::vector<std::string> files;
  for (const auto& e : std::filesystem::directory_iterator(source_dir() + "/tests/scenarios")) {
    if (e.path().extension() == ".scenario") files.push_back(e.path().string());
  }
  std::sort(files.begin(), files.end());
  return files;
}

TEST(Scenarios, EveryScenarioFilePasses) {
  const auto files = scenario_files();
  ASSERT_GE(files.size(), 4u);
  for (const std::string& file : files) {
    Outcome o = run_file(file);
    EXPECT_TRUE(o.ok()) << absl::StrJoin(o.failures, "\n") << "\n--- transcript ---\n"
                        << o.transcript;
  }
}

TEST(Scenarios, AFailedExpectationIsReportedWithItsLine) {
  Outcome o = run(R"(open u
grant u 10 source=admin
expect available u 11
spend u 20
expect ok
expect error insufficient_credits shortfall=10
frobnicate u
)",
                  "inline.scenario");
  ASSERT_EQ(o.failures.size(), 3u) << o.transcript;
  EXPECT_NE(o.failures[0].find("inline.scenario:3: expected available 11, got 10"),
            std::string::npos)
      << o.failures[0];
  EXPECT_NE(o.failures[1].find("inline.scenario:5: expected ok, got error insufficient_credits"),
            std::string::npos)
      << o.failures[1];
  EXPECT_NE(o.failures[2].find("unknown command 'frobnicate'"), std::string::npos);
}

TEST(Scenarios, TranscriptShowsRepliesAndEntries) {
  Outcome o = run("at 2026-03-01T00:00:00Z\nopen u\ngrant u 2.5 source=promo as=p\n", "t");
  ASSERT_TRUE(o.ok()) << o.transcript;
  EXPECT_NE(o.transcript.find("ok: lot 1: 2.5, effective 2026-03-01T00:00:00Z, expires "
                              "2026-04-01T00:00:00Z"),
            std::string::npos)
      << o.transcript;
  EXPECT_NE(o.transcript.find("#1 2026-03-01T00:00:00Z grant u lot 1 (promo) +2.5 -> balance 2.5"),
            std::string::npos)
      << o.transcript;
}

}  // namespace
}  // namespace tally::scenario
