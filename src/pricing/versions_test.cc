#include "pricing/versions.h"

#include <gtest/gtest.h>

#include <thread>

#include "pricing/test_books.h"

namespace tally::pricing {
namespace {

std::shared_ptr<const PriceBook> video_book(const std::string& version, const std::string& at,
                                            const std::string& per_second) {
  return testing::book_from_text(R"([price_book]
version = ")" + version + R"("
effective_at = )" + at + R"(
[price_book.tools.video]
unit = "second"
base = ")" + per_second + R"("
[[price_book.tools.video.params]]
id = "seconds"
kind = "usage"
min = 1
max = 60
)");
}

TimeUs at(const char* text) {
  return *parse_time(text);
}

class Versions : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(versions_.add(video_book("v1", "2026-01-01T00:00:00Z", "2")).has_value());
    ASSERT_TRUE(versions_.add(video_book("v2", "2026-06-01T00:00:00Z", "3")).has_value());
  }
  PriceVersions versions_;
};

TEST_F(Versions, VersionSelectionByTime) {
  EXPECT_EQ(versions_.version_at(at("2025-12-31T23:59:59.999999Z")), nullptr);
  EXPECT_EQ(versions_.version_at(at("2026-01-01T00:00:00Z"))->version, "v1");
  EXPECT_EQ(versions_.version_at(at("2026-05-31T23:59:59Z"))->version, "v1");
  EXPECT_EQ(versions_.version_at(at("2026-06-01T00:00:00Z"))->version, "v2");
  EXPECT_EQ(versions_.version_at(at("2030-01-01T00:00:00Z"))->version, "v2");
  std::vector<ParamValue> ten{{"seconds", "10"}};
  auto q1 = versions_.quote_at(at("2026-03-01T00:00:00Z"), "video", ten);
  auto q2 = versions_.quote_at(at("2026-07-01T00:00:00Z"), "video", ten);
  ASSERT_TRUE(q1 && q2);
  EXPECT_EQ(q1->quote.total, Credits::from_credits(20));
  EXPECT_EQ(q1->book->version, "v1");
  EXPECT_EQ(q2->quote.total, Credits::from_credits(30));
  auto none = versions_.quote_at(at("2020-01-01T00:00:00Z"), "video", ten);
  ASSERT_FALSE(none.has_value());
  EXPECT_EQ(none.error().code, PricingErrorCode::no_version_in_force);
}

TEST_F(Versions, CaptureIsPricedWithTheHoldsVersion) {
  // Hold under v1 for a declared maximum of 60 s: 120 credits.
  std::vector<ParamValue> max_usage{{"seconds", "60"}};
  auto hold = versions_.quote_at(at("2026-05-31T12:00:00Z"), "video", max_usage);
  ASSERT_TRUE(hold.has_value());
  EXPECT_EQ(hold->quote.total, Credits::from_credits(120));
  // The job ends after v2 (3/s) took effect; the capture still uses v1 (2/s).
  std::vector<ParamValue> actual{{"seconds", "45"}};
  auto cap = versions_.price_capture(hold->book->version, hold->quote.total, "video", actual);
  ASSERT_TRUE(cap.has_value()) << cap.error().to_string();
  EXPECT_EQ(cap->quote.total, Credits::from_credits(90));
  EXPECT_EQ(cap->book->version, "v1");
}

TEST_F(Versions, CaptureAboveTheHoldIsRefused) {
  std::vector<ParamValue> actual{{"seconds", "11"}};
  auto cap = versions_.price_capture("v1", Credits::from_credits(20), "video", actual);
  ASSERT_FALSE(cap.has_value());
  EXPECT_EQ(cap.error().code, PricingErrorCode::capture_exceeds_hold);
  EXPECT_NE(cap.error().detail.find("costs 22 credits but the hold reserved 20"),
            std::string::npos);
  std::vector<ParamValue> exact{{"seconds", "10"}};
  EXPECT_TRUE(versions_.price_capture("v1", Credits::from_credits(20), "video", exact).has_value());
  auto unknown = versions_.price_capture("v9", Credits::from_credits(20), "video", exact);
  ASSERT_FALSE(unknown.has_value());
  EXPECT_EQ(unknown.error().code, PricingErrorCode::unknown_version);
}

TEST_F(Versions, SameVersionWithDifferentContentIsAConflict) {
  // Identical content again: a no-op.
  EXPECT_TRUE(versions_.add(video_book("v1", "2026-01-01T00:00:00Z", "2")).has_value());
  auto r = versions_.add(video_book("v1", "2026-01-01T00:00:00Z", "2.5"));
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error().code, PricingErrorCode::version_conflict);
  EXPECT_EQ(versions_.versions().size(), 2u);
  // The old version is untouched.
  EXPECT_EQ(format_decimal(versions_.version("v1")->tools[0].base), "2");
}

TEST_F(Versions, VersionsOnlyAppendAfterTheLatest) {
  auto r = versions_.add(video_book("v0", "2025-01-01T00:00:00Z", "1"));
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error().code, PricingErrorCode::version_out_of_order);
  auto same = versions_.add(video_book("v2b", "2026-06-01T00:00:00Z", "1"));
  ASSERT_FALSE(same.has_value());
  EXPECT_EQ(same.error().code, PricingErrorCode::version_out_of_order);
  // add_all sorts a batch by effective time.
  PriceVersions fresh;
  ASSERT_TRUE(fresh
                  .add_all({video_book("b", "2026-02-01T00:00:00Z", "2"),
                            video_book("a", "2026-01-01T00:00:00Z", "1")})
                  .has_value());
  EXPECT_EQ(fresh.versions().front()->version, "a");
}

TEST_F(Versions, ConcurrentReadsWhileAVersionIsAdded) {
  std::vector<std::thread> readers;
  std::atomic<int> wrong{0};
  for (int t = 0; t < 2; ++t) {
    readers.emplace_back([&] {
      std::vector<ParamValue> p{{"seconds", "1"}};
      for (int i = 0; i < 2000; ++i) {
        auto q = versions_.quote_at(at("2026-03-01T00:00:00Z"), "video", p);
        if (!q || q->quote.total != Credits::from_credits(2)) ++wrong;
      }
    });
  }
  ASSERT_TRUE(versions_.add(video_book("v3", "2027-01-01T00:00:00Z", "4")).has_value());
  for (auto& r : readers) r.join();
  EXPECT_EQ(wrong.load(), 0);
}

}  // namespace
}  // namespace tally::pricing
