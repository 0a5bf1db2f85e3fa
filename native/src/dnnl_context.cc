#include "dnnl_context.h"

#include <omp.h>

namespace native {

namespace {
std::vector<void (*)()>& clearCallbacks() {
  static std::vector<void (*)()> callbacks;
  return callbacks;
}
}  // namespace

dnnl::engine& cpuEngine() {
  static dnnl::engine engine(dnnl::engine::kind::cpu, 0);
  return engine;
}

dnnl::stream& cpuStream() {
  static dnnl::stream stream(cpuEngine());
  return stream;
}

int computeThreads() { return omp_get_max_threads(); }

void setComputeThreads(int threads) {
  if (threads < 1) threads = 1;
  if (threads == omp_get_max_threads()) return;
  omp_set_num_threads(threads);
  // oneDNN primitives may size their work split at creation; rebuild them for the new count.
  for (auto clear : clearCallbacks()) clear();
}

void onThreadsChanged(void (*clear)()) { clearCallbacks().push_back(clear); }

dnnl::post_ops activationPostOps(Activation activation, float alpha, bool sumFirst) {
  dnnl::post_ops ops;
  if (sumFirst) ops.append_sum(1.f);
  switch (activation) {
    case Activation::None:
      break;
    case Activation::Relu:
      ops.append_eltwise(1.f, dnnl::algorithm::eltwise_relu, 0.f, 0.f);
      break;
    case Activation::Relu6:
      ops.append_eltwise(1.f, dnnl::algorithm::eltwise_clip, 0.f, 6.f);
      break;
    case Activation::Elu:
      ops.append_eltwise(1.f, dnnl::algorithm::eltwise_elu, 1.f, 0.f);
      break;
    case Activation::LeakyRelu:
      ops.append_eltwise(1.f, dnnl::algorithm::eltwise_relu, alpha, 0.f);
      break;
    case Activation::Sigmoid:
      ops.append_eltwise(1.f, dnnl::algorithm::eltwise_logistic, 0.f, 0.f);
      break;
  }
  return ops;
}

}  // namespace native
