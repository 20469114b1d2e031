// The webhook signature (docs/webhooks.md) against a header computed independently (Python's
// hmac module) for a fixed secret, time and body.
#include "webhooks/signature.h"

#include <gtest/gtest.h>

namespace tally::webhooks {
namespace {

TEST(Signature, HeaderSignsTheTimeADotAndTheBody) {
  // python3 -c 'import hmac,hashlib; print(hmac.new(b"whsec_test",
  //   b"1700000000.{\"id\":\"1\"}", hashlib.sha256).hexdigest())'
  const std::string v1 = "11bf4466ea17c3df3fd743af0b435368e16b7a05eb8eced85e8c4670767bdec5";
  EXPECT_EQ(signature_header(1700000000, R"({"id":"1"})", {"whsec_test"}), "t=1700000000,v1=" + v1);
  // During a rotation's overlap: one v1 per secret, the newest first.
  const std::string both =
      signature_header(1700000000, R"({"id":"1"})", {"whsec_new", "whsec_test"});
  EXPECT_TRUE(both.starts_with("t=1700000000,v1=")) << both;
  EXPECT_TRUE(both.ends_with(",v1=" + v1)) << both;
}

TEST(Signature, VerifyAcceptsEitherSecretWithinTheTolerance) {
  const std::string body = R"({"id":"281474976710657","type":"balance.low"})";
  const std::string h = signature_header(1000, body, {"whsec_b", "whsec_a"});
  EXPECT_TRUE(verify_signature(h, body, "whsec_a", 1000));
  EXPECT_TRUE(verify_signature(h, body, "whsec_b", 1300));
  EXPECT_FALSE(verify_signature(h, body, "whsec_b", 1301)) << "older than 5 minutes";
  EXPECT_FALSE(verify_signature(h, body, "whsec_b", 699)) << "from the future";
  EXPECT_FALSE(verify_signature(h, body, "whsec_c", 1000)) << "another secret";
  EXPECT_FALSE(verify_signature(h, body + " ", "whsec_a", 1000)) << "another body";
  EXPECT_FALSE(verify_signature("v1=" + h.substr(h.find("v1=") + 3), body, "whsec_b", 1000))
      << "no timestamp";
}

TEST(Signature, SecretsAreNewEachTime) {
  const std::string a = new_secret(), b = new_secret();
  EXPECT_TRUE(a.starts_with("whsec_"));
  EXPECT_EQ(a.size(), 6u + 64u);
  EXPECT_NE(a, b);
}

}  // namespace
}  // namespace tally::webhooks
