// One test per seed (docs/design.md, "Reference systems"): every number a seed states, quoted
// from its example book in config/examples/ and asserted exactly.
#include <gtest/gtest.h>

#include "pricing/test_books.h"

namespace tally::pricing {
namespace {

using testing::example_book;
using testing::total_of;

TEST(SeedMiocai, ImageUpscaleVideoAndChatModels) {
  auto book = example_book("miocai");
  ASSERT_TRUE(book);
  EXPECT_EQ(total_of(*book, "image", {}), "1");
  EXPECT_EQ(total_of(*book, "upscale", {}), "3");
  EXPECT_EQ(total_of(*book, "video", {}), "30");
  EXPECT_EQ(total_of(*book, "chat", {"model=aetherion"}), "1");
  EXPECT_EQ(total_of(*book, "chat", {"model=standard"}), "0");
  EXPECT_EQ(total_of(*book, "chat", {}), "0");  // standard is the default
}

TEST(SeedModelpix, ImageToolsAndPerSecondVideo) {
  auto book = example_book("modelpix");
  ASSERT_TRUE(book);
  EXPECT_EQ(total_of(*book, "image", {}), "7");
  EXPECT_EQ(total_of(*book, "image-edit", {}), "3");
  EXPECT_EQ(total_of(*book, "avatar-video", {"seconds=1"}), "2");
  EXPECT_EQ(total_of(*book, "avatar-video", {"seconds=10"}), "20");
  // Per second, video spans 2..23 by resolution and complexity; 480p is cheaper than 720p.
  int64_t lowest = INT64_MAX, highest = 0;
  for (const char* res : {"resolution=480p", "resolution=720p"}) {
    for (const char* cx : {"complexity=standard", "complexity=high"}) {
      auto q = testing::must_quote(*book, "video", {res, cx, "seconds=1"});
      lowest = std::min(lowest, q.total.micro);
      highest = std::max(highest, q.total.micro);
      EXPECT_GE(q.total, Credits::from_credits(2));
    }
  }
  EXPECT_EQ(lowest, Credits::from_credits(2).micro);
  EXPECT_EQ(highest, Credits::from_credits(23).micro);
  for (const char* cx : {"complexity=standard", "complexity=high"}) {
    EXPECT_LT(testing::must_quote(*book, "video", {"resolution=480p", cx, "seconds=5"}).total,
              testing::must_quote(*book, "video", {"resolution=720p", cx, "seconds=5"}).total);
  }
  EXPECT_EQ(total_of(*book, "video", {"resolution=720p", "complexity=high", "seconds=10"}), "230");
  // Avatar video is the most cost-effective video tool.
  EXPECT_LE(testing::must_quote(*book, "avatar-video", {"seconds=1"}).total.micro, lowest);
}

TEST(SeedAmisi, ImageByResolution) {
  auto book = example_book("amisi");
  ASSERT_TRUE(book);
  EXPECT_EQ(total_of(*book, "image", {"resolution=720p"}), "1");
  EXPECT_EQ(total_of(*book, "image", {"resolution=1080p"}), "2");
  EXPECT_EQ(total_of(*book, "image", {"resolution=4k"}), "3");
  EXPECT_EQ(total_of(*book, "image", {"resolution=8k"}), "4");
  EXPECT_EQ(total_of(*book, "image", {}), "1");
}

TEST(SeedPixai, LoraTrainingByArchitecture) {
  auto book = example_book("pixai");
  ASSERT_TRUE(book);
  EXPECT_EQ(total_of(*book, "lora-training", {"architecture=dit2"}), "200000");
  EXPECT_EQ(total_of(*book, "lora-training", {"architecture=dit1"}), "150000");
  EXPECT_EQ(total_of(*book, "lora-training", {"architecture=sdxl"}), "75000");
  EXPECT_EQ(total_of(*book, "lora-training", {"architecture=sd15"}), "25000");
}

TEST(SeedPixai, ImageFactorsMoveTheCostTheWayTheSeedSays) {
  auto book = example_book("pixai");
  ASSERT_TRUE(book);
  auto cost = [&](std::vector<std::string> kv) {
    return testing::must_quote(*book, "image", kv).total;
  };
  // Base models cost less.
  EXPECT_LT(cost({"model=moonbeam"}), cost({"model=haruka-v2"}));
  EXPECT_LT(cost({"model=haruka-v2"}), cost({"model=tsubaki-2"}));
  // Squares cost the most.
  for (const char* ar : {"3:4", "4:3", "2:3", "3:2", "9:16", "16:9"}) {
    EXPECT_LT(cost({std::string("aspect_ratio=") + ar}), cost({"aspect_ratio=1:1"})) << ar;
  }
  EXPECT_LT(cost({"batch_size=1"}), cost({"batch_size=4"}));
  EXPECT_LT(cost({}), cost({"hires=true"}));
  EXPECT_LT(cost({}), cost({"face_fix=true"}));
  EXPECT_LT(cost({"steps=20"}), cost({"steps=40"}));
  // Priority is on by default; turning it off saves.
  EXPECT_EQ(cost({}), cost({"priority=true"}));
  EXPECT_LT(cost({"priority=false"}), cost({}));
  // Defaults: Haruka v2, square, 25 steps, batch 1, priority: 1500 × 1.2.
  EXPECT_EQ(cost({}), Credits::from_credits(1800));
  // Every factor: (3500 × 0.8 × 1.5 × 1.5 + 200) × 4 × 1.2 = 31200.
  EXPECT_EQ(cost({"model=tsubaki-2", "aspect_ratio=16:9", "steps=40", "hires=true", "face_fix=true",
                  "batch_size=4"}),
            Credits::from_credits(31200));
}

TEST(SeedPixai, Cosmetics) {
  auto book = example_book("pixai");
  ASSERT_TRUE(book);
  EXPECT_EQ(total_of(*book, "cosmetic", {"item=avatar-frame"}), "10000");
  EXPECT_EQ(total_of(*book, "cosmetic", {"item=profile-background"}), "20000");
}

TEST(SeedFairGuide, EveryToolStaysInsideTheGuidesRanges) {
  auto book = example_book("fair-guide");
  ASSERT_TRUE(book);
  // Text: 1..5 credits by length and model.
  EXPECT_EQ(total_of(*book, "text", {"model=basic", "tokens=1"}), "1");
  EXPECT_EQ(total_of(*book, "text", {"model=basic", "tokens=2000"}), "2");
  EXPECT_EQ(total_of(*book, "text", {"model=premium", "tokens=1500"}), "4");  // 3.75 up
  EXPECT_EQ(total_of(*book, "text", {"model=premium", "tokens=2000"}), "5");
  // Images: 5..25 by resolution and model.
  EXPECT_EQ(total_of(*book, "image", {"resolution=sd", "model=basic"}), "5");
  EXPECT_EQ(total_of(*book, "image", {"resolution=hd", "model=standard"}), "15");
  EXPECT_EQ(total_of(*book, "image", {"resolution=uhd", "model=premium"}), "25");
  // Video: 50..200.
  EXPECT_EQ(total_of(*book, "video", {"model=standard", "seconds=5"}), "50");
  EXPECT_EQ(total_of(*book, "video", {"model=premium", "seconds=10"}), "200");
  // Audio between: 10..50.
  EXPECT_EQ(total_of(*book, "audio", {"length=30s"}), "10");
  EXPECT_EQ(total_of(*book, "audio", {"length=120s", "voice=premium"}), "50");
}

}  // namespace
}  // namespace tally::pricing
