#include "service/key_filter.h"

#include <bit>

#include "absl/hash/hash.h"

namespace tally::service {
namespace {

// Two 64-bit hashes of a key, from which every probe is derived (Kirsch–Mitzenmacher).
struct Hashes {
  uint64_t a, b;
};
Hashes hashes(std::string_view key) {
  const uint64_t h = absl::HashOf(key);
  // A second, independent-enough hash: a 64-bit mix of the first (murmur3 finalizer).
  uint64_t g = h ^ 0x9e3779b97f4a7c15ULL;
  g = (g ^ (g >> 33)) * 0xff51afd7ed558ccdULL;
  g = (g ^ (g >> 33)) * 0xc4ceb9fe1a85ec53ULL;
  g ^= g >> 33;
  return {h, g | 1};
}

}  // namespace

KeyFilter::KeyFilter(uint64_t first_capacity, uint64_t bytes_max) : bytes_max_(bytes_max) {
  grow(first_capacity);
}

void KeyFilter::grow(uint64_t capacity) {
  Block b;
  b.capacity = capacity;
  b.bit_count = std::bit_ceil(capacity * k_bits_per_key);
  b.bits.assign(b.bit_count / 64, 0);
  blocks_.push_back(std::move(b));
}

void KeyFilter::add(std::string_view key) {
  ++added_;
  if (saturated_) return;
  if (blocks_.back().count >= blocks_.back().capacity) {
    const uint64_t capacity = blocks_.back().capacity * 2;
    if (memory_bytes() + std::bit_ceil(capacity * k_bits_per_key) / 8 > bytes_max_) {
      saturated_ = true;  // every key "may" be there from now on
      blocks_.clear();
      blocks_.shrink_to_fit();
      return;
    }
    grow(capacity);
  }
  Block& b = blocks_.back();
  const Hashes h = hashes(key);
  for (int i = 0; i < k_probes; ++i) {
    const uint64_t bit = (h.a + static_cast<uint64_t>(i) * h.b) & (b.bit_count - 1);
    b.bits[bit / 64] |= uint64_t{1} << (bit % 64);
  }
  ++b.count;
}

bool KeyFilter::may_contain(std::string_view key) const {
  if (saturated_) return true;
  const Hashes h = hashes(key);
  for (const Block& b : blocks_) {
    if (b.count == 0) continue;
    bool all = true;
    for (int i = 0; i < k_probes && all; ++i) {
      const uint64_t bit = (h.a + static_cast<uint64_t>(i) * h.b) & (b.bit_count - 1);
      all = (b.bits[bit / 64] >> (bit % 64)) & 1;
    }
    if (all) return true;
  }
  return false;
}

uint64_t KeyFilter::memory_bytes() const {
  uint64_t n = 0;
  for (const Block& b : blocks_) n += b.bits.size() * sizeof(uint64_t);
  return n;
}

}  // namespace tally::service
