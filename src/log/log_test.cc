#include "log/log.h"

#include <gtest/gtest.h>
#include <rapidjson/document.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <cctype>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

namespace tally::log {
namespace {

class LogTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("tally-log-test-" + std::to_string(::getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::create_directories(dir_);
    file_ = (dir_ / "tally.log").string();
    ASSERT_TRUE(configure({file_, Level::info, true}).has_value());
  }
  void TearDown() override {
    (void)configure({});
    std::filesystem::remove_all(dir_);
  }
  static std::vector<std::string> lines_of(const std::string& path) {
    std::ifstream in(path);
    std::vector<std::string> out;
    for (std::string line; std::getline(in, line);) out.push_back(line);
    return out;
  }
  static rapidjson::Document parse(const std::string& line) {
    rapidjson::Document d;
    d.Parse<rapidjson::kParseValidateEncodingFlag>(line.c_str(), line.size());
    EXPECT_FALSE(d.HasParseError()) << line;
    EXPECT_TRUE(d.IsObject()) << line;
    return d;
  }
  std::filesystem::path dir_;
  std::string file_;
};

// "2026-12-03T06:00:00.123456Z": digits where RFC 3339 has them, six of them after the dot.
bool is_time(const std::string& t) {
  const std::string shape = "dddd-dd-ddTdd:dd:dd.ddddddZ";
  if (t.size() != shape.size()) return false;
  for (size_t i = 0; i < t.size(); ++i) {
    if (shape[i] == 'd' ? !std::isdigit(static_cast<unsigned char>(t[i])) : t[i] != shape[i]) return false;
  }
  return true;
}

TEST_F(LogTest, ALineIsOneJsonObjectWithTimeLevelEventThenItsFields) {
  Line(Level::warn, "commit_stall").num("shard", 1).num("commit_us", int64_t{812'000}).text("why", "disk");
  const auto lines = lines_of(file_);
  ASSERT_EQ(lines.size(), 1u);
  const std::string prefix = R"({"time":")";
  ASSERT_TRUE(lines[0].starts_with(prefix)) << lines[0];
  EXPECT_TRUE(is_time(lines[0].substr(prefix.size(), 27))) << lines[0];
  EXPECT_EQ(lines[0].substr(prefix.size() + 27),
            R"(","level":"warn","event":"commit_stall","shard":1,"commit_us":812000,"why":"disk"})");
}

TEST_F(LogTest, LinesBelowTheLevelAreNotWritten) {
  Line(Level::debug, "hidden").num("n", 1);
  Line(Level::info, "shown");
  ASSERT_TRUE(configure({file_, Level::error, false}).has_value());
  EXPECT_FALSE(enabled(Level::warn));
  EXPECT_FALSE(access_enabled());
  Line(Level::warn, "hidden_too");
  Line(Level::error, "shown_too");
  const auto lines = lines_of(file_);
  ASSERT_EQ(lines.size(), 2u);
  EXPECT_EQ(std::string(parse(lines[0])["event"].GetString()), "shown");
  EXPECT_EQ(std::string(parse(lines[1])["event"].GetString()), "shown_too");
}

TEST_F(LogTest, TextIsEscapedAndInvalidUtf8Replaced) {
  const std::string nasty = std::string("a\"b\\c\nd\x01") + "\xff" + "\xC3\xA9" + "\xED\xA0\x80" + "z";
  Line(Level::info, "x").text("v", nasty);
  const auto lines = lines_of(file_);
  ASSERT_EQ(lines.size(), 1u);
  const auto d = parse(lines[0]);
  EXPECT_EQ(std::string(d["v"].GetString()),
            "a\"b\\c\nd\x01\xEF\xBF\xBD\xC3\xA9\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBDz");
}

TEST_F(LogTest, LongValuesAreCutAndLongLinesStayWholeJson) {
  const std::string big(5000, 'x');
  {
    Line line(Level::info, "big");
    for (int i = 0; i < 20; ++i) line.text("f" + std::to_string(i), big);
    line.texts("list", std::vector<std::string>(20, big));
    line.num("after", 7);
  }
  const auto lines = lines_of(file_);
  ASSERT_EQ(lines.size(), 1u);
  EXPECT_LT(lines[0].size() + 1, 4096u);  // below PIPE_BUF: one atomic write, also to a pipe
  const auto d = parse(lines[0]);
  EXPECT_EQ(std::string(d["f0"].GetString()), std::string(k_value_bytes_max, 'x') + "\xE2\x80\xA6");
  EXPECT_TRUE(d.HasMember("truncated") && d["truncated"].GetBool());
  EXPECT_EQ(d["after"].GetInt(), 7);
}

TEST_F(LogTest, ThreadsNeverInterleaveLines) {
  std::vector<std::thread> threads;
  for (int t = 0; t < 8; ++t) {
    threads.emplace_back([t] {
      const std::string filler(300 + t * 25, static_cast<char>('a' + t));
      for (int i = 0; i < 500; ++i) Line(Level::info, "t").num("thread", t).num("i", i).text("f", filler);
    });
  }
  for (auto& t : threads) t.join();
  const auto lines = lines_of(file_);
  ASSERT_EQ(lines.size(), 8u * 500u);
  std::vector<int> next(8, 0);
  for (const std::string& line : lines) {
    const auto d = parse(line);
    const int t = d["thread"].GetInt();
    EXPECT_EQ(d["i"].GetInt(), next[t]++);  // each thread's lines in its order
    EXPECT_EQ(std::string(d["f"].GetString()), std::string(300 + t * 25, static_cast<char>('a' + t)));
  }
}

TEST_F(LogTest, ConfigureReopensTheFileAfterItWasMoved) {
  Line(Level::info, "before");
  std::filesystem::rename(file_, file_ + ".1");  // what logrotate does, then signals a reload
  Line(Level::info, "still_old");                // the open file is the moved one
  ASSERT_TRUE(configure({file_, Level::info, true}).has_value());
  Line(Level::info, "after");
  EXPECT_EQ(lines_of(file_ + ".1").size(), 2u);
  const auto now = lines_of(file_);
  ASSERT_EQ(now.size(), 1u);
  EXPECT_EQ(std::string(parse(now[0])["event"].GetString()), "after");
}

TEST_F(LogTest, AFileThatCannotBeOpenedKeepsTheOldOne) {
  auto r = configure({(dir_ / "no-such-dir" / "x.log").string(), Level::debug, false});
  ASSERT_FALSE(r.has_value());
  EXPECT_NE(r.error().find("no-such-dir"), std::string::npos) << r.error();
  EXPECT_FALSE(enabled(Level::debug));  // nothing changed
  EXPECT_TRUE(access_enabled());
  Line(Level::info, "kept");
  EXPECT_EQ(lines_of(file_).size(), 1u);
}

TEST(LogLevels, NamesRoundTrip) {
  for (Level l : {Level::debug, Level::info, Level::warn, Level::error}) {
    EXPECT_EQ(parse_level(level_name(l)), l);
  }
  EXPECT_EQ(parse_level("verbose"), std::nullopt);
  EXPECT_EQ(parse_level("INFO"), std::nullopt);
}

TEST(LogTime, Rfc3339WithMicroseconds) {
  std::string out;
  append_time(out, 1'796'270'400'000'001);  // 2026-12-03T04:00:00.000001Z
  EXPECT_EQ(out, "2026-12-03T04:00:00.000001Z");
  out.clear();
  append_time(out, 0);
  EXPECT_EQ(out, "1970-01-01T00:00:00.000000Z");
}

}  // namespace
}  // namespace tally::log
