// Element-wise activations with tfjs's definitions (relu6 clips at 6, elu uses alpha 1, step is tfjs's step).
#pragma once
#include <cmath>
#include <cstdint>

#include "dnnl_context.h"

namespace native {

inline float activate(Activation activation, float v, float alpha) {
  switch (activation) {
    case Activation::None:
      return v;
    case Activation::Relu:
      return v > 0.f ? v : 0.f;
    case Activation::Relu6:
      return v > 0.f ? (v < 6.f ? v : 6.f) : 0.f;
    case Activation::Elu:
      return v > 0.f ? v : std::expm1(v);
    case Activation::LeakyRelu:
      return v > 0.f ? v : alpha * v;
    case Activation::Sigmoid:
      return 1.f / (1.f + std::exp(-v));
  }
  return v;
}

}  // namespace native
