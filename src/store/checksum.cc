#include "store/checksum.h"

#include <array>

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

}  // namespace

uint32_t crc32c(uint32_t crc, std::string_view bytes) {
  crc = ~crc;
  for (const char b : bytes) crc = k_table[(crc ^ static_cast<uint8_t>(b)) & 0xff] ^ (crc >> 8);
  return ~crc;
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
