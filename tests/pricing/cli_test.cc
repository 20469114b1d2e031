// Runs `tally price-table`, `tally quote` and `tally price-diff` as a user would.
#include <gtest/gtest.h>
#include <sys/wait.h>

#include <array>
#include <cstdio>
#include <fstream>
#include <string>
#include <utility>

namespace {

struct CliRun {
  int status;
  std::string out;  // stdout and stderr
};

CliRun tally(const std::string& args) {
  std::string cmd = std::string(TALLY_BINARY) + " " + args + " 2>&1";
  FILE* p = popen(cmd.c_str(), "r");
  EXPECT_NE(p, nullptr);
  CliRun r{-1, ""};
  std::array<char, 4096> buf;
  size_t n = 0;
  while ((n = fread(buf.data(), 1, buf.size(), p)) > 0) r.out.append(buf.data(), n);
  int st = pclose(p);
  r.status = WIFEXITED(st) ? WEXITSTATUS(st) : -1;
  return r;
}

std::string book(const char* name) {
  return std::string(TALLY_SOURCE_DIR) + "/config/examples/" + name + ".toml";
}

bool has(const CliRun& r, const std::string& s) {
  return r.out.find(s) != std::string::npos;
}

TEST(PricingCli, PriceTableOfEveryExampleBook) {
  for (const char* name : {"miocai", "modelpix", "amisi", "pixai", "fair-guide"}) {
    for (const char* format : {"text", "markdown", "json"}) {
      CliRun r = tally("price-table --config " + book(name) + " --format " + format);
      EXPECT_EQ(r.status, 0) << name << " " << format << ": " << r.out;
      EXPECT_FALSE(r.out.empty());
    }
  }
  CliRun r = tally("price-table --config " + book("miocai"));
  EXPECT_TRUE(has(r, "1 credit = $0.05–$0.10")) << r.out;
  EXPECT_TRUE(has(r, "aetherion")) << r.out;
}

TEST(PricingCli, QuotePrintsBreakdownAndTotal) {
  CliRun r = tally("quote --config " + book("pixai") +
                   " image model=tsubaki-2 aspect_ratio=16:9 steps=40 hires=true face_fix=true "
                   "batch_size=4");
  ASSERT_EQ(r.status, 0) << r.out;
  EXPECT_TRUE(has(r, "+ 200 Face Fix")) << r.out;
  EXPECT_TRUE(has(r, "× 4 batch")) << r.out;
  EXPECT_TRUE(has(r, "total 31200 credits")) << r.out;
  CliRun j = tally("quote --json --config " + book("amisi") + " image resolution=8k");
  ASSERT_EQ(j.status, 0) << j.out;
  EXPECT_TRUE(has(j, R"("total":"4","total_micro":4000000)")) << j.out;
}

TEST(PricingCli, ErrorsExitNonZeroWithTheReason) {
  CliRun r = tally("quote --config " + book("amisi") + " image resolution=16k");
  EXPECT_EQ(r.status, 1);
  EXPECT_TRUE(has(r, "unknown_option")) << r.out;
  EXPECT_TRUE(has(r, "valid: 720p, 1080p, 4k, 8k")) << r.out;
  CliRun bad = tally("quote --config " + book("amisi") + " image resolution");
  EXPECT_EQ(bad.status, 2) << bad.out;
  CliRun early = tally("quote --config " + book("amisi") + " --at 2020-01-01T00:00:00Z image");
  EXPECT_EQ(early.status, 1);
  EXPECT_TRUE(has(early, "no_version_in_force")) << early.out;
  CliRun usage = tally("no-such-command");
  EXPECT_NE(usage.status, 0);
}

TEST(PricingCli, PriceDiffBetweenTwoFiles) {
  std::string path = ::testing::TempDir() + "amisi-next.toml";
  std::ifstream in(book("amisi"));
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  auto pos = text.find("price = 4 }");
  ASSERT_NE(pos, std::string::npos);
  text.replace(pos, 11, "price = 5 }");
  std::ofstream(path) << text;
  CliRun r = tally("price-diff " + book("amisi") + " " + path);
  ASSERT_EQ(r.status, 0) << r.out;
  EXPECT_TRUE(has(r, "image  resolution=8k  4 -> 5  dearer (+1)")) << r.out;
  // Two versions with one id but different content cannot be loaded together.
  CliRun both = tally("quote --config " + book("amisi") + " --config " + path + " image");
  EXPECT_EQ(both.status, 1);
  EXPECT_TRUE(has(both, "version_conflict")) << both.out;
}

// With --at, a later version given is announced as upcoming beside the one in force, as
// GET /v1/pricing does (issue 19); the latest version has none.
TEST(PricingCli, PriceTableAtATimeAnnouncesLaterVersions) {
  std::string path = ::testing::TempDir() + "amisi-2026.toml";
  std::ifstream in(book("amisi"));
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  for (auto [from, to] : {std::pair<std::string, std::string>{"amisi-2025-05-15", "amisi-2026-01-01"},
                          {"effective_at = 2025-05-15T00:00:00Z", "effective_at = 2026-01-01T00:00:00Z"}}) {
    const size_t pos = text.find(from);
    ASSERT_NE(pos, std::string::npos) << from;
    text.replace(pos, from.size(), to);
  }
  std::ofstream(path) << text;
  const std::string both = " --config " + book("amisi") + " --config " + path;
  CliRun r = tally("price-table" + both + " --at 2025-12-01T00:00:00Z");
  ASSERT_EQ(r.status, 0) << r.out;
  EXPECT_TRUE(has(r, "price book amisi-2025-05-15")) << r.out;
  EXPECT_TRUE(has(r, "Upcoming: price book amisi-2026-01-01 (Amisi) takes effect at "
                     "2026-01-01T00:00:00Z.")) << r.out;
  CliRun j = tally("price-table --format json" + both + " --at 2025-12-01T00:00:00Z");
  EXPECT_TRUE(has(j, R"("upcoming":[{"name":"Amisi","version":"amisi-2026-01-01")")) << j.out;
  CliRun latest = tally("price-table" + both);
  EXPECT_FALSE(has(latest, "Upcoming")) << latest.out;
}

// `tally lint` (docs/lint.md): 0 when nothing fails, 1 when an item fails, 2 for usage or a
// file it cannot load.
TEST(PricingCli, LintExitsByTheWorstItem) {
  CliRun fair = tally("lint " + book("fair-guide"));
  EXPECT_EQ(fair.status, 0) << fair.out;
  EXPECT_TRUE(has(fair, "fair-guide.toml: pass (0 fail, 0 warn, 7 pass)")) << fair.out;
  CliRun warn = tally("lint " + book("modelpix"));
  EXPECT_EQ(warn.status, 0) << warn.out;
  const std::string unfair = std::string(TALLY_SOURCE_DIR) + "/tests/lint/unfair.toml";
  CliRun bad = tally("lint " + unfair);
  EXPECT_EQ(bad.status, 1) << bad.out;
  EXPECT_TRUE(has(bad, "fail  bonus credits that expire within days: pack p100: its 20 bonus "
                       "credits expire 7 days after purchase (" + unfair +
                       ":50, packs[0].bonus_validity)"))
      << bad.out;
  CliRun json = tally("lint --json " + unfair);
  EXPECT_EQ(json.status, 1) << json.out;
  EXPECT_TRUE(has(json, R"("where":"packs[0].payment_surcharges.paypal","line":51)")) << json.out;
  EXPECT_EQ(tally("lint").status, 2);
  EXPECT_EQ(tally("lint /nonexistent.toml").status, 2);
  std::string path = ::testing::TempDir() + "lint-broken.toml";
  std::ofstream(path) << "[[packs]]\nid = \"p\"\n";
  CliRun broken = tally("lint " + path);
  EXPECT_EQ(broken.status, 2);
  EXPECT_TRUE(has(broken, path + ":1:1:")) << broken.out;
}

TEST(PricingCli, BrokenBookReportsFileLineColumn) {
  std::string path = ::testing::TempDir() + "broken.toml";
  std::ofstream(path) << "[price_book]\nversion = \"v\"\neffective_at = 2026-01-01T00:00:00Z\n"
                         "[price_book.tools.t]\nbase = 1.5\n";
  CliRun r = tally("price-table --config " + path);
  EXPECT_EQ(r.status, 1);
  EXPECT_TRUE(has(r, path + ":5:8: invalid_book")) << r.out;
}

}  // namespace
