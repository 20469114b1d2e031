// A filter over idempotency keys the store holds but the ledger no longer remembers (rule 8):
// a key it has never seen is answered "no" without a store lookup; a key it may have seen is
// looked up. A scalable Bloom filter: blocks of doubling capacity, each at about 0.05 % false
// positives (16 bits and 11 probes per key), so its memory grows with the keys (2 to 4 bytes
// each) and its error stays small however many arrive. No false negatives. Memory is bounded
// by `bytes_max`: past it the filter is saturated and says "may" for every key (each miss is
// then looked up: slower, never wrong).
//
// Threads: none; the shard thread owns its filter.
#pragma once

#include <cstdint>
#include <string_view>
#include <vector>

namespace tally::service {

class KeyFilter {
 public:
  explicit KeyFilter(uint64_t first_capacity = 1 << 16, uint64_t bytes_max = uint64_t{64} << 20);
  void add(std::string_view key);
  // false: the key was never added. true: it may have been.
  bool may_contain(std::string_view key) const;
  uint64_t size() const { return added_; }
  uint64_t memory_bytes() const;
  bool saturated() const { return saturated_; }

 private:
  struct Block {
    std::vector<uint64_t> bits;
    uint64_t bit_count = 0;  // a power of two
    uint64_t capacity = 0;
    uint64_t count = 0;
  };
  static constexpr int k_probes = 11;     // with 16 bits per key: ~0.05 % false positives
  static constexpr uint64_t k_bits_per_key = 16;
  void grow(uint64_t capacity);

  std::vector<Block> blocks_;
  uint64_t added_ = 0;
  uint64_t bytes_max_;
  bool saturated_ = false;
};

}  // namespace tally::service
