#include "webhooks/signature.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>

#include <charconv>
#include <cstdio>
#include <cstdlib>
#include <optional>

namespace tally::webhooks {
namespace {

std::string hex(const unsigned char* p, size_t n) {
  static constexpr char k_digits[] = "0123456789abcdef";
  std::string out(n * 2, '0');
  for (size_t i = 0; i < n; ++i) {
    out[2 * i] = k_digits[p[i] >> 4];
    out[2 * i + 1] = k_digits[p[i] & 15];
  }
  return out;
}

std::string signed_payload(int64_t unix_s, std::string_view body) {
  std::string out = std::to_string(unix_s);
  out += '.';
  out += body;
  return out;
}

}  // namespace

std::string hmac_sha256_hex(std::string_view key, std::string_view message) {
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int n = 0;
  HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()),
       reinterpret_cast<const unsigned char*>(message.data()), message.size(), md, &n);
  return hex(md, n);
}

std::string signature_header(int64_t unix_s, std::string_view body,
                             const std::vector<std::string>& secrets) {
  const std::string payload = signed_payload(unix_s, body);
  std::string out = "t=" + std::to_string(unix_s);
  for (const std::string& s : secrets) out += ",v1=" + hmac_sha256_hex(s, payload);
  return out;
}

std::string new_secret() {
  unsigned char raw[32];
  if (RAND_bytes(raw, sizeof raw) != 1) {
    std::fprintf(stderr, "tally: the random number generator failed; stopping\n");
    std::abort();
  }
  return "whsec_" + hex(raw, sizeof raw);
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
  const std::string expected = hmac_sha256_hex(secret, signed_payload(*t, body));
  for (std::string_view s : v1) {
    if (s.size() == expected.size() && CRYPTO_memcmp(s.data(), expected.data(), s.size()) == 0) {
      return true;
    }
  }
  return false;
}

}  // namespace tally::webhooks
