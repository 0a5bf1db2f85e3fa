// Loops over [rows, channels] data with per-channel coefficients or sums. With few channels (a narrow
// network has 8) a loop per row is too short to vectorise, so rows are taken `perGroup` at a time as one
// flat run of at least kMinRun values, with the per-channel arrays repeated to the run's length.
#pragma once
#include <algorithm>
#include <cstdint>
#include <vector>

namespace native {

constexpr int64_t kMinRun = 256;

struct ChannelGroups {
  int64_t channels, rows, perGroup, groups;

  ChannelGroups(int64_t channelCount, int64_t rowCount)
      : channels(channelCount),
        rows(rowCount),
        perGroup(std::max<int64_t>(1, kMinRun / std::max<int64_t>(1, channelCount))),
        groups((rowCount + perGroup - 1) / perGroup) {}

  int64_t runLength() const { return perGroup * channels; }
  /** First row of group g, and its length in values (the last group may be shorter). */
  int64_t firstRow(int64_t g) const { return g * perGroup; }
  int64_t length(int64_t g) const { return (std::min(rows, (g + 1) * perGroup) - g * perGroup) * channels; }

  /** A per-channel array repeated to one run. */
  template <typename T>
  std::vector<T> expand(const std::vector<T>& perChannel) const {
    std::vector<T> run(static_cast<size_t>(runLength()));
    for (int64_t i = 0; i < runLength(); ++i) run[i] = perChannel[i % channels];
    return run;
  }

  /** Adds a run-length accumulator into per-channel totals. */
  template <typename T>
  void foldInto(const T* run, std::vector<double>& totals) const {
    for (int64_t i = 0; i < runLength(); ++i) totals[i % channels] += run[i];
  }
};

}  // namespace native
