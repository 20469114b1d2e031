// The access log's pure parts: secrets kept out of logged paths, and request ids.
#include "server/access_log.h"

#include <gtest/gtest.h>

#include <set>
#include <string>

namespace tally::server {
namespace {

TEST(RedactTarget, SecretLookingQueryValuesAreReplaced) {
  EXPECT_EQ(redact_target("/v1/accounts/u1/entries"), "/v1/accounts/u1/entries");
  EXPECT_EQ(redact_target("/v1/accounts?prefix=a&limit=5"), "/v1/accounts?prefix=a&limit=5");
  EXPECT_EQ(redact_target("/v1/accounts?api_key=abc&prefix=a"), "/v1/accounts?api_key=[redacted]&prefix=a");
  EXPECT_EQ(redact_target("/x?Token=v2.1.2&Authorization=Bearer%20x&pass=1&PassWord=2&client_secret=s"),
            "/x?Token=[redacted]&Authorization=[redacted]&pass=1&PassWord=[redacted]&client_secret=[redacted]");
  EXPECT_EQ(redact_target("/x?cursor=tk_admin_123&after=5"), "/x?cursor=[redacted]&after=5");
  // Odd shapes stay as they are: no value, empty pairs, a trailing '&'.
  EXPECT_EQ(redact_target("/x?key&&a=1&"), "/x?key&&a=1&");
  EXPECT_EQ(redact_target("/x?"), "/x?");
}

TEST(RequestId, SaneIdsAreKeptAndOthersRefused) {
  EXPECT_TRUE(is_request_id("9f2c41d07a3b5e18"));
  EXPECT_TRUE(is_request_id("Root=1-5759e988-bd862e3fe1be46a994272793"));
  EXPECT_TRUE(is_request_id("a.b_c:d+e/f=g@h-i"));
  EXPECT_TRUE(is_request_id(std::string(128, 'x')));
  EXPECT_FALSE(is_request_id(""));
  EXPECT_FALSE(is_request_id(std::string(129, 'x')));
  for (const char* bad : {"a b", "a\"b", "a\\b", "a\nb", "a;b", "a,b", "é"}) {
    EXPECT_FALSE(is_request_id(bad)) << bad;
  }
}

TEST(RequestId, NewIdsAreSixteenHexDigitsAndDistinct) {
  std::set<std::string> seen;
  for (int i = 0; i < 100'000; ++i) {
    const std::string id = new_request_id();
    ASSERT_EQ(id.size(), 16u);
    ASSERT_EQ(id.find_first_not_of("0123456789abcdef"), std::string::npos) << id;
    ASSERT_TRUE(is_request_id(id));
    seen.insert(id);
  }
  EXPECT_EQ(seen.size(), 100'000u);
}

}  // namespace
}  // namespace tally::server
