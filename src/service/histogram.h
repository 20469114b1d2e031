// A fixed-bucket histogram of non-negative integers (commit time in µs, batch size in
// commands), recorded lock-free by one thread and read by any. HDR-like buckets: exact up to
// 4, then four linear steps per power of two (1, 2, 3, 4, 5, 6, 7, 8, 10, 12, 14, 16, 20, ...),
// so a quantile is within 25 % of the true value; the last bucket (+Inf) takes everything
// past 2^40.
//
// Threads: record() and snapshot() from any thread (the I/O threads share the request stages'
// histograms; a shard's are recorded by its own threads).
#pragma once

#include <array>
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <vector>

namespace tally::service {

// A copy of a histogram's buckets: what ShardStats carries and a Prometheus /metrics endpoint
// prints (`_bucket{le=...}` from upper_bounds and the running sum of counts, `_sum`, `_count`).
struct HistogramSnapshot {
  std::vector<uint64_t> upper_bounds;  // inclusive; the last is UINT64_MAX (+Inf)
  std::vector<uint64_t> counts;        // per bucket (not cumulative), same length
  uint64_t count = 0;                  // sum of counts
  uint64_t sum = 0;                    // sum of every recorded value
  uint64_t max = 0;                    // largest recorded value (exact)

  // The upper bound of the bucket holding the q-th quantile (0 < q <= 1), capped at max;
  // 0 when empty.
  uint64_t quantile(double q) const;
  uint64_t mean() const { return count == 0 ? 0 : sum / count; }
};

class Histogram {
 public:
  static constexpr size_t k_buckets = 4 + 4 * 38 + 1;  // 1..4, octaves 4..2^40, +Inf

  // The bucket upper bounds, shared by every histogram.
  static const std::array<uint64_t, k_buckets>& upper_bounds();
  static size_t bucket_of(uint64_t value);

  void record(uint64_t value) {
    counts_[bucket_of(value)].fetch_add(1, std::memory_order_relaxed);
    sum_.fetch_add(value, std::memory_order_relaxed);
    uint64_t max = max_.load(std::memory_order_relaxed);
    while (value > max && !max_.compare_exchange_weak(max, value, std::memory_order_relaxed)) {
    }
  }
  HistogramSnapshot snapshot() const;

 private:
  std::array<std::atomic<uint64_t>, k_buckets> counts_{};
  std::atomic<uint64_t> sum_{0};
  std::atomic<uint64_t> max_{0};
};

}  // namespace tally::service
