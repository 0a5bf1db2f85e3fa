// One oneDNN CPU engine and stream for the process, and a small cache of primitives keyed by their full
// parameter list (shapes, strides, padding, activation, thread count): creating a oneDNN primitive costs far
// more than running a small one, and a training loop asks for the same few shapes every step.
#pragma once
#include <dnnl.hpp>

#include <cstdint>
#include <map>
#include <memory>
#include <vector>

namespace native {

dnnl::engine& cpuEngine();
dnnl::stream& cpuStream();

/** Threads every kernel may use; the primitive caches are cleared when it changes. */
int computeThreads();
void setComputeThreads(int threads);

/** Activations tfjs fuses into convolutions and matrix products (`activation` attribute). */
enum class Activation : int64_t { None = 0, Relu = 1, Relu6 = 2, Elu = 3, LeakyRelu = 4, Sigmoid = 5 };

/** oneDNN post-ops that apply `activation` to a primitive's output. */
/** The post-ops of an activation; with `sumFirst`, dst's previous contents are added before it (y = act(conv + y)). */
dnnl::post_ops activationPostOps(Activation activation, float alpha, bool sumFirst = false);

using CacheKey = std::vector<int64_t>;

/** A bounded map from parameter lists to prepared primitives of one kind. */
template <typename Entry>
class PrimitiveCache {
 public:
  template <typename Make>
  Entry& get(const CacheKey& key, Make make) {
    auto found = entries_.find(key);
    if (found != entries_.end()) return *found->second;
    // Simple bound: a model uses tens of shapes; anything beyond this is a shape sweep, not a training loop.
    if (entries_.size() >= kCapacity) entries_.clear();
    auto inserted = entries_.emplace(key, make());
    return *inserted.first->second;
  }
  void clear() { entries_.clear(); }

 private:
  static constexpr size_t kCapacity = 256;
  std::map<CacheKey, std::unique_ptr<Entry>> entries_;
};

/** Registers a cache-clearing callback run when the thread count changes. */
void onThreadsChanged(void (*clear)());

}  // namespace native
