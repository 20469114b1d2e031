// The hashes against published vectors (RFC 4231 test case 2, FIPS 180-2's "abc"), hex both
// ways, and the random secrets' shape.
#include "crypto/crypto.h"

#include <gtest/gtest.h>

namespace tally::crypto {
namespace {

TEST(Crypto, HmacSha256MatchesRfc4231) {
  EXPECT_EQ(hmac_sha256_hex("Jefe", "what do ya want for nothing?"),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
}

TEST(Crypto, Sha256MatchesFips180) {
  EXPECT_EQ(sha256_hex("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

TEST(Crypto, HexRoundTripsAndRefusesWhatIsNotLowercaseHex) {
  const std::string bytes("\x00\x01\xab\xff", 4);
  EXPECT_EQ(hex(bytes), "0001abff");
  EXPECT_EQ(unhex("0001abff"), bytes);
  EXPECT_EQ(unhex(""), std::string());
  EXPECT_EQ(unhex("abc"), std::nullopt);  // odd length
  EXPECT_EQ(unhex("0A"), std::nullopt);   // uppercase is not what we write
  EXPECT_EQ(unhex("zz"), std::nullopt);
}

TEST(Crypto, RandomHexHasTheLengthAskedAndDiffers) {
  const std::string a = random_hex(16), b = random_hex(16);
  EXPECT_EQ(a.size(), 32u);
  EXPECT_TRUE(unhex(a).has_value());
  EXPECT_NE(a, b);
}

TEST(Crypto, EqualConstantTimeComparesWholeStrings) {
  EXPECT_TRUE(equal_constant_time("abc", "abc"));
  EXPECT_FALSE(equal_constant_time("abc", "abd"));
  EXPECT_FALSE(equal_constant_time("abc", "ab"));
}

}  // namespace
}  // namespace tally::crypto
