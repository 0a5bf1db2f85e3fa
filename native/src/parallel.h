// Splitting loops over the OpenMP threads oneDNN also uses, so our loops and oneDNN's share one pool.
#pragma once
#include <omp.h>

#include <algorithm>
#include <cstdint>

namespace native {

/** Below this many elements a loop runs on the calling thread: waking the pool costs more than it saves. */
constexpr int64_t kParallelThreshold = 1 << 17;

/** Calls `body(begin, end)` on contiguous chunks of [0, count), one per thread, when `work` is large enough. */
template <typename Body>
void parallelChunks(int64_t count, int64_t work, Body body) {
  const int threads = omp_get_max_threads();
  if (threads <= 1 || work < kParallelThreshold || count < 2) {
    body(int64_t{0}, count);
    return;
  }
#pragma omp parallel num_threads(std::min<int64_t>(threads, count))
  {
    const int64_t team = omp_get_num_threads();
    const int64_t id = omp_get_thread_num();
    const int64_t begin = count * id / team;
    const int64_t end = count * (id + 1) / team;
    if (begin < end) body(begin, end);
  }
}

}  // namespace native
