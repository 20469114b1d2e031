// Request parsing (json.h): the checks parse_body adds to RapidJSON's.
#include "server/json.h"

#include <gtest/gtest.h>

namespace tally::server {
namespace {

std::optional<Problem> parse(std::string_view body) {
  rapidjson::Document doc;
  return parse_body(body, &doc);
}

TEST(ParseBody, AcceptsObjectsAndEscapedPairs) {
  EXPECT_FALSE(parse(""));
  EXPECT_FALSE(parse(R"({"reason": "caf\u00e9 \ud83d\ude00"})"));
  EXPECT_FALSE(parse("{\"reason\": \"caf\xc3\xa9\"}"));
}

// Found by fuzz/api_decode_fuzz: RapidJSON decodes a lone low surrogate into bytes that are
// not UTF-8, which a reason or name would then store and echo back.
TEST(ParseBody, RefusesLoneSurrogates) {
  for (std::string_view body : {R"({"reason": "\udc00"})", R"({"reason": "a\uDFFFb"})",
                                R"({"\udc00": 1})", R"({"a": [{"b": "\udc80"}]})"}) {
    auto p = parse(body);
    ASSERT_TRUE(p) << body;
    EXPECT_EQ(p->status, 400);
    EXPECT_NE(p->detail.find("UTF-8"), std::string::npos) << p->detail;
  }
  // A high surrogate alone is refused by RapidJSON itself.
  EXPECT_TRUE(parse(R"({"reason": "\ud800"})"));
  // Raw bytes that are not UTF-8 too.
  EXPECT_TRUE(parse("{\"reason\": \"\xed\xb0\x80\"}"));
  EXPECT_TRUE(parse("{\"reason\": \"\xc0\xaf\"}"));
}

TEST(ParseBody, RefusesDeepNestingAndDuplicates) {
  EXPECT_TRUE(parse(std::string(40, '[') + std::string(40, ']')));
  auto p = parse(R"({"a": 1, "a": 2})");
  ASSERT_TRUE(p);
  EXPECT_NE(p->detail.find("repeats the key 'a'"), std::string::npos);
}

// Found by fuzz/api_decode_fuzz in a CI run: RapidJSON 1.1.0 reads a long mantissa with a large
// exponent as infinity, without a parse error, and cannot write it back.
TEST(ParseBody, RefusesNumbersTooLargeForADouble) {
  const std::string huge = "{\"n\": 1" + std::string(200, '1') + ".5E177}";
  auto p = parse(huge);
  ASSERT_TRUE(p);
  EXPECT_EQ(p->status, 400);
  EXPECT_NE(p->detail.find("too large"), std::string::npos) << p->detail;
  EXPECT_FALSE(parse(R"({"n": 1.5E300, "m": -2.5e-300})"));
}

}  // namespace
}  // namespace tally::server
