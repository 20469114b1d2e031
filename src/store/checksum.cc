#include "store/checksum.h"

#include <array>
#include <cstring>

#if defined(__x86_64__)
#include <nmmintrin.h>
#endif

namespace tally::store {
namespace {

// The table of the reflected polynomial 0x82F63B78, one byte at a time.
constexpr std::array<uint32_t, 256> make_table() {
  std::array<uint32_t, 256> t{};
  for (uint32_t i = 0; i < 256; ++i) {
    uint32_t c = i;
    for (int k = 0; k < 8; ++k) c = (c & 1) ? (c >> 1) ^ 0x82F63B78u : c >> 1;
    t[i] = c;
  }
  return t;
}
constexpr std::array<uint32_t, 256> k_table = make_table();

template <size_t N>
std::string_view little_endian(uint64_t v, std::array<char, N>& out) {
  for (size_t i = 0; i < N; ++i) out[i] = static_cast<char>((v >> (8 * i)) & 0xff);
  return {out.data(), N};
}

uint32_t crc32c_table(uint32_t crc, std::string_view bytes) {
  for (const char b : bytes) crc = k_table[(crc ^ static_cast<uint8_t>(b)) & 0xff] ^ (crc >> 8);
  return crc;
}

#if defined(__x86_64__)
// SSE 4.2's CRC32 instruction computes CRC-32C, 8 bytes per instruction (journal records are
// checksummed on every commit; the table costs about 8 instructions a byte).
__attribute__((target("sse4.2"))) uint32_t crc32c_sse42(uint32_t crc, std::string_view bytes) {
  const char* p = bytes.data();
  size_t n = bytes.size();
  uint64_t c = crc;
  for (; n >= 8; p += 8, n -= 8) {
    uint64_t word;
    std::memcpy(&word, p, 8);
    c = _mm_crc32_u64(c, word);
  }
  auto c32 = static_cast<uint32_t>(c);
  for (; n > 0; ++p, --n) c32 = _mm_crc32_u8(c32, static_cast<uint8_t>(*p));
  return c32;
}
const bool k_has_sse42 = __builtin_cpu_supports("sse4.2");
#endif

}  // namespace

uint32_t crc32c(uint32_t crc, std::string_view bytes) {
#if defined(__x86_64__)
  if (k_has_sse42) return ~crc32c_sse42(~crc, bytes);
#endif
  return ~crc32c_table(~crc, bytes);
}

// Both ways, for the test that they agree.
uint32_t crc32c_portable(uint32_t crc, std::string_view bytes) {
  return ~crc32c_table(~crc, bytes);
}

RowChecksum& RowChecksum::add(int64_t v) {
  std::array<char, 8> bytes;
  crc_ = crc32c(crc_, little_endian(static_cast<uint64_t>(v), bytes));
  return *this;
}

RowChecksum& RowChecksum::add(std::string_view v) {
  std::array<char, 4> length;
  crc_ = crc32c(crc_, little_endian(v.size(), length));
  crc_ = crc32c(crc_, v);
  return *this;
}

}  // namespace tally::store
