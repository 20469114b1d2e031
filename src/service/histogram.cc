#include "service/histogram.h"

#include <algorithm>
#include <cmath>

namespace tally::service {

const std::array<uint64_t, Histogram::k_buckets>& Histogram::upper_bounds() {
  static const std::array<uint64_t, k_buckets> bounds = [] {
    std::array<uint64_t, k_buckets> b{};
    size_t i = 0;
    for (uint64_t v = 1; v <= 4; ++v) b[i++] = v;
    for (int octave = 2; octave < 40; ++octave) {  // (2^octave, 2^(octave+1)] in 4 steps
      const uint64_t base = uint64_t{1} << octave;
      const uint64_t step = base / 4;
      for (uint64_t k = 1; k <= 4; ++k) b[i++] = base + k * step;
    }
    b[i++] = UINT64_MAX;
    return b;
  }();
  return bounds;
}

size_t Histogram::bucket_of(uint64_t value) {
  const auto& b = upper_bounds();
  return static_cast<size_t>(std::lower_bound(b.begin(), b.end(), value) - b.begin());
}

HistogramSnapshot Histogram::snapshot() const {
  HistogramSnapshot s;
  const auto& b = upper_bounds();
  s.upper_bounds.assign(b.begin(), b.end());
  s.counts.resize(k_buckets);
  for (size_t i = 0; i < k_buckets; ++i) {
    s.counts[i] = counts_[i].load(std::memory_order_relaxed);
    s.count += s.counts[i];
  }
  s.sum = sum_.load(std::memory_order_relaxed);
  s.max = max_.load(std::memory_order_relaxed);
  return s;
}

uint64_t HistogramSnapshot::quantile(double q) const {
  if (count == 0) return 0;
  const auto rank = static_cast<uint64_t>(std::ceil(q * static_cast<double>(count)));
  uint64_t seen = 0;
  for (size_t i = 0; i < counts.size(); ++i) {
    seen += counts[i];
    if (seen >= std::max<uint64_t>(rank, 1)) return std::min(upper_bounds[i], max);
  }
  return max;
}

}  // namespace tally::service
