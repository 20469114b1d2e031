#include "webhooks/signature.h"

#include <charconv>
#include <optional>

#include "crypto/crypto.h"

namespace tally::webhooks {
namespace {

std::string signed_payload(int64_t unix_s, std::string_view body) {
  std::string out = std::to_string(unix_s);
  out += '.';
  out += body;
  return out;
}

}  // namespace

std::string signature_header(int64_t unix_s, std::string_view body,
                             const std::vector<std::string>& secrets) {
  const std::string payload = signed_payload(unix_s, body);
  std::string out = "t=" + std::to_string(unix_s);
  for (const std::string& s : secrets) out += ",v1=" + crypto::hmac_sha256_hex(s, payload);
  return out;
}

std::string new_secret() {
  return "whsec_" + crypto::random_hex(32);
}

bool verify_signature(std::string_view header, std::string_view body, std::string_view secret,
                      int64_t now_unix_s, int64_t tolerance_s) {
  std::optional<int64_t> t;
  std::vector<std::string_view> v1;
  while (!header.empty()) {
    const size_t comma = header.find(',');
    const std::string_view part = header.substr(0, comma);
    header = comma == std::string_view::npos ? std::string_view{} : header.substr(comma + 1);
    if (part.starts_with("t=")) {
      int64_t v = 0;
      const auto [end, ec] = std::from_chars(part.data() + 2, part.data() + part.size(), v);
      if (ec == std::errc() && end == part.data() + part.size()) t = v;
    } else if (part.starts_with("v1=")) {
      v1.push_back(part.substr(3));
    }
  }
  if (!t || *t < now_unix_s - tolerance_s || *t > now_unix_s + tolerance_s) return false;
  const std::string expected = crypto::hmac_sha256_hex(secret, signed_payload(*t, body));
  for (std::string_view s : v1) {
    if (crypto::equal_constant_time(s, expected)) {
      return true;
    }
  }
  return false;
}

}  // namespace tally::webhooks
