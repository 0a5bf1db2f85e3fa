// Float32 element-wise ops with numpy/tfjs broadcasting, unary ops, and sum/mean/max reductions over a
// contiguous block of axes. These are memory-bound: the gain over the cpu backend comes from tight loops over
// the innermost run and from using every core, not from clever arithmetic.
#include "elementwise.h"

#include <cmath>
#include <limits>
#include <vector>

#include "napi_args.h"
#include "parallel.h"

namespace native {
namespace {

enum class BinaryOp : int { Add = 0, Sub, Mul, Div, Maximum, Minimum, SquaredDifference, MaskPositive, TwiceProduct, AddRelu };

/** Applies `op` along one run of `length` elements; a stride of 0 repeats that operand's element. */
template <BinaryOp Op>
void binaryRun(const float* a, int64_t strideA, const float* b, int64_t strideB, float* out, int64_t length) {
  auto apply = [](float x, float y) -> float {
    switch (Op) {
      case BinaryOp::Add: return x + y;
      case BinaryOp::Sub: return x - y;
      case BinaryOp::Mul: return x * y;
      case BinaryOp::Div: return x / y;
      case BinaryOp::Maximum: return (x >= y || std::isnan(x)) ? x : y;
      case BinaryOp::Minimum: return (x <= y || std::isnan(x)) ? x : y;
      case BinaryOp::SquaredDifference: { const float d = x - y; return d * d; }
      // dy * (x > 0): the ReLU gradient in one pass.
      case BinaryOp::MaskPositive: return y > 0.f ? x : 0.f;
      // dy * 2x: the gradient of Square in one pass.
      case BinaryOp::TwiceProduct: return x * (2.f * y);
      // max(x + y, 0), NaN kept: a residual sum and the ReLU after it in one pass.
      case BinaryOp::AddRelu: { const float v = x + y; return v < 0.f ? 0.f : v; }
    }
    return 0.f;
  };
  // Separate loops per stride pattern so the common cases vectorise.
  if (strideA == 1 && strideB == 1) {
    for (int64_t i = 0; i < length; ++i) out[i] = apply(a[i], b[i]);
  } else if (strideA == 1) {
    const float y = b[0];
    for (int64_t i = 0; i < length; ++i) out[i] = apply(a[i], y);
  } else if (strideB == 1) {
    const float x = a[0];
    for (int64_t i = 0; i < length; ++i) out[i] = apply(x, b[i]);
  } else {
    const float v = apply(a[0], b[0]);
    for (int64_t i = 0; i < length; ++i) out[i] = v;
  }
}

/** Output shape and per-operand strides (0 where broadcast), with adjacent compatible axes merged. */
struct BroadcastPlan {
  std::vector<int64_t> dims, stridesA, stridesB;
  int64_t total = 1;
};

/** `outShape` empty: the broadcast of the two shapes; else both must broadcast to it (used to expand). */
BroadcastPlan planBroadcast(const std::vector<int64_t>& shapeA, const std::vector<int64_t>& shapeB,
                            const std::vector<int64_t>& outShape) {
  const size_t rank = std::max({shapeA.size(), shapeB.size(), outShape.size()});
  std::vector<int64_t> a(rank, 1), b(rank, 1), o(rank, 1);
  std::copy(shapeA.begin(), shapeA.end(), a.begin() + (rank - shapeA.size()));
  std::copy(shapeB.begin(), shapeB.end(), b.begin() + (rank - shapeB.size()));
  std::copy(outShape.begin(), outShape.end(), o.begin() + (rank - outShape.size()));
  std::vector<int64_t> dims(rank), sa(rank), sb(rank);
  int64_t strideA = 1, strideB = 1;
  for (size_t i = rank; i-- > 0;) {
    dims[i] = outShape.empty() ? std::max(a[i], b[i]) : o[i];
    if ((a[i] != dims[i] && a[i] != 1) || (b[i] != dims[i] && b[i] != 1)) {
      throw std::invalid_argument("binary: shapes do not broadcast");
    }
    sa[i] = a[i] == 1 ? 0 : strideA;
    sb[i] = b[i] == 1 ? 0 : strideB;
    strideA *= a[i];
    strideB *= b[i];
  }
  BroadcastPlan plan;
  for (size_t i = 0; i < rank; ++i) {
    if (dims[i] == 1) continue;
    if (!plan.dims.empty()) {
      // Merge with the previous axis when both operands step through them as one contiguous axis.
      const size_t last = plan.dims.size() - 1;
      const bool mergeA = plan.stridesA[last] == sa[i] * dims[i];
      const bool mergeB = plan.stridesB[last] == sb[i] * dims[i];
      if (mergeA && mergeB) {
        plan.dims[last] *= dims[i];
        plan.stridesA[last] = sa[i];
        plan.stridesB[last] = sb[i];
        continue;
      }
    }
    plan.dims.push_back(dims[i]);
    plan.stridesA.push_back(sa[i]);
    plan.stridesB.push_back(sb[i]);
  }
  if (plan.dims.empty()) plan.dims = {1}, plan.stridesA = {0}, plan.stridesB = {0};
  for (int64_t d : plan.dims) plan.total *= d;
  return plan;
}

template <BinaryOp Op>
void binaryBroadcast(const BroadcastPlan& plan, const float* a, const float* b, float* out) {
  const size_t rank = plan.dims.size();
  const int64_t inner = plan.dims[rank - 1];
  const int64_t innerA = plan.stridesA[rank - 1], innerB = plan.stridesB[rank - 1];
  // Split the output into chunks of whole or partial inner runs, one range per thread.
  parallelChunks(plan.total, plan.total, [&](int64_t begin, int64_t end) {
    int64_t position = begin;
    while (position < end) {
      int64_t rest = position / inner;
      const int64_t offsetInRun = position % inner;
      int64_t offsetA = offsetInRun * innerA, offsetB = offsetInRun * innerB;
      for (size_t axis = rank - 1; axis-- > 0;) {
        const int64_t index = rest % plan.dims[axis];
        rest /= plan.dims[axis];
        offsetA += index * plan.stridesA[axis];
        offsetB += index * plan.stridesB[axis];
      }
      const int64_t length = std::min(inner - offsetInRun, end - position);
      binaryRun<Op>(a + offsetA, innerA, b + offsetB, innerB, out + position, length);
      position += length;
    }
  });
}

napi_value Binary(napi_env env, napi_callback_info info) {
  return guarded(env, [&] {
    auto args = callArgs(env, info, 7);
    const auto op = static_cast<BinaryOp>(static_cast<int>(number(env, args[0], "op")));
    FloatView a = floats(env, args[1], "a");
    const auto shapeA = integers(env, args[2], "shapeA");
    FloatView b = floats(env, args[3], "b");
    const auto shapeB = integers(env, args[4], "shapeB");
    FloatView out = floats(env, args[5], "out");
    const auto outShape = isNullish(env, args[6]) ? std::vector<int64_t>() : integers(env, args[6], "outShape");
    const BroadcastPlan plan = planBroadcast(shapeA, shapeB, outShape);
    int64_t sizeA = 1, sizeB = 1;
    for (int64_t d : shapeA) sizeA *= d;
    for (int64_t d : shapeB) sizeB *= d;
    requireLength(a, static_cast<size_t>(sizeA), "a");
    requireLength(b, static_cast<size_t>(sizeB), "b");
    requireLength(out, static_cast<size_t>(plan.total), "out");
    switch (op) {
      case BinaryOp::Add: binaryBroadcast<BinaryOp::Add>(plan, a.data, b.data, out.data); break;
      case BinaryOp::Sub: binaryBroadcast<BinaryOp::Sub>(plan, a.data, b.data, out.data); break;
      case BinaryOp::Mul: binaryBroadcast<BinaryOp::Mul>(plan, a.data, b.data, out.data); break;
      case BinaryOp::Div: binaryBroadcast<BinaryOp::Div>(plan, a.data, b.data, out.data); break;
      case BinaryOp::Maximum: binaryBroadcast<BinaryOp::Maximum>(plan, a.data, b.data, out.data); break;
      case BinaryOp::Minimum: binaryBroadcast<BinaryOp::Minimum>(plan, a.data, b.data, out.data); break;
      case BinaryOp::SquaredDifference:
        binaryBroadcast<BinaryOp::SquaredDifference>(plan, a.data, b.data, out.data);
        break;
      case BinaryOp::MaskPositive: binaryBroadcast<BinaryOp::MaskPositive>(plan, a.data, b.data, out.data); break;
      case BinaryOp::TwiceProduct: binaryBroadcast<BinaryOp::TwiceProduct>(plan, a.data, b.data, out.data); break;
      case BinaryOp::AddRelu: binaryBroadcast<BinaryOp::AddRelu>(plan, a.data, b.data, out.data); break;
      default: throw std::invalid_argument("binary: unknown op");
    }
    return undefinedValue(env);
  });
}

enum class UnaryOp : int {
  Relu = 0, Relu6, Neg, Square, Sqrt, Rsqrt, Exp, Log, Abs, Sigmoid, Tanh, Step, LeakyRelu, Elu
};

template <UnaryOp Op>
void unaryLoop(const float* x, float* y, int64_t n, float alpha) {
  parallelChunks(n, n, [&](int64_t begin, int64_t end) {
    for (int64_t i = begin; i < end; ++i) {
      const float v = x[i];
      float r = 0.f;
      switch (Op) {
        case UnaryOp::Relu: r = v > 0.f ? v : (std::isnan(v) ? v : 0.f); break;
        case UnaryOp::Relu6: r = std::isnan(v) ? v : std::min(std::max(v, 0.f), 6.f); break;
        case UnaryOp::Neg: r = -v; break;
        case UnaryOp::Square: r = v * v; break;
        case UnaryOp::Sqrt: r = std::sqrt(v); break;
        case UnaryOp::Rsqrt: r = 1.f / std::sqrt(v); break;
        case UnaryOp::Exp: r = std::exp(v); break;
        case UnaryOp::Log: r = std::log(v); break;
        case UnaryOp::Abs: r = std::fabs(v); break;
        case UnaryOp::Sigmoid: r = 1.f / (1.f + std::exp(-v)); break;
        case UnaryOp::Tanh: r = std::tanh(v); break;
        case UnaryOp::Step: r = std::isnan(v) ? v : (v > 0.f ? 1.f : alpha); break;
        case UnaryOp::LeakyRelu: r = v < 0.f ? alpha * v : v; break;
        case UnaryOp::Elu: r = v >= 0.f ? v : std::expm1(v); break;
      }
      y[i] = r;
    }
  });
}

napi_value Unary(napi_env env, napi_callback_info info) {
  return guarded(env, [&] {
    auto args = callArgs(env, info, 4);
    const auto op = static_cast<UnaryOp>(static_cast<int>(number(env, args[0], "op")));
    FloatView x = floats(env, args[1], "x");
    FloatView y = floats(env, args[2], "y");
    const float alpha = static_cast<float>(number(env, args[3], "alpha"));
    requireLength(y, x.length, "y");
    const int64_t n = static_cast<int64_t>(x.length);
    switch (op) {
      case UnaryOp::Relu: unaryLoop<UnaryOp::Relu>(x.data, y.data, n, alpha); break;
      case UnaryOp::Relu6: unaryLoop<UnaryOp::Relu6>(x.data, y.data, n, alpha); break;
      case UnaryOp::Neg: unaryLoop<UnaryOp::Neg>(x.data, y.data, n, alpha); break;
      case UnaryOp::Square: unaryLoop<UnaryOp::Square>(x.data, y.data, n, alpha); break;
      case UnaryOp::Sqrt: unaryLoop<UnaryOp::Sqrt>(x.data, y.data, n, alpha); break;
      case UnaryOp::Rsqrt: unaryLoop<UnaryOp::Rsqrt>(x.data, y.data, n, alpha); break;
      case UnaryOp::Exp: unaryLoop<UnaryOp::Exp>(x.data, y.data, n, alpha); break;
      case UnaryOp::Log: unaryLoop<UnaryOp::Log>(x.data, y.data, n, alpha); break;
      case UnaryOp::Abs: unaryLoop<UnaryOp::Abs>(x.data, y.data, n, alpha); break;
      case UnaryOp::Sigmoid: unaryLoop<UnaryOp::Sigmoid>(x.data, y.data, n, alpha); break;
      case UnaryOp::Tanh: unaryLoop<UnaryOp::Tanh>(x.data, y.data, n, alpha); break;
      case UnaryOp::Step: unaryLoop<UnaryOp::Step>(x.data, y.data, n, alpha); break;
      case UnaryOp::LeakyRelu: unaryLoop<UnaryOp::LeakyRelu>(x.data, y.data, n, alpha); break;
      case UnaryOp::Elu: unaryLoop<UnaryOp::Elu>(x.data, y.data, n, alpha); break;
      default: throw std::invalid_argument("unary: unknown op");
    }
    return undefinedValue(env);
  });
}

enum class ReduceOp : int { Sum = 0, Mean, Max };

/** Reduces x viewed as [outer, reduced, inner] over its middle axis into [outer, inner]. */
void reduceMiddle(ReduceOp op, const float* x, float* y, int64_t outer, int64_t reduced, int64_t inner) {
  const int threads = omp_get_max_threads();
  const int64_t work = outer * reduced * inner;
  const bool isMax = op == ReduceOp::Max;
  const double divisor = op == ReduceOp::Mean ? static_cast<double>(reduced) : 1.0;
  auto reduceSlice = [&](int64_t o, int64_t r0, int64_t r1, double* acc) {
    const float* base = x + o * reduced * inner;
    for (int64_t r = r0; r < r1; ++r) {
      const float* row = base + r * inner;
      if (isMax) {
        for (int64_t i = 0; i < inner; ++i) acc[i] = (row[i] > acc[i] || std::isnan(row[i])) ? row[i] : acc[i];
      } else {
        for (int64_t i = 0; i < inner; ++i) acc[i] += row[i];
      }
    }
  };
  const double start = isMax ? -std::numeric_limits<double>::infinity() : 0.0;
  if (outer >= threads || threads == 1 || work < kParallelThreshold) {
    parallelChunks(outer, work, [&](int64_t begin, int64_t end) {
      std::vector<double> acc(inner);
      for (int64_t o = begin; o < end; ++o) {
        std::fill(acc.begin(), acc.end(), start);
        reduceSlice(o, 0, reduced, acc.data());
        for (int64_t i = 0; i < inner; ++i) y[o * inner + i] = static_cast<float>(acc[i] / divisor);
      }
    });
    return;
  }
  // Few outer slices (e.g. per-channel sums over N*H*W): split the reduced axis, then combine in order.
  std::vector<double> partial(static_cast<size_t>(threads) * inner);
  for (int64_t o = 0; o < outer; ++o) {
    std::fill(partial.begin(), partial.end(), start);
    parallelChunks(reduced, work / outer, [&](int64_t begin, int64_t end) {
      reduceSlice(o, begin, end, partial.data() + static_cast<size_t>(omp_get_thread_num()) * inner);
    });
    for (int64_t i = 0; i < inner; ++i) {
      double total = start;
      for (int t = 0; t < threads; ++t) {
        const double v = partial[static_cast<size_t>(t) * inner + i];
        if (isMax) {
          total = (v > total || std::isnan(v)) ? v : total;
        } else {
          total += v;
        }
      }
      y[o * inner + i] = static_cast<float>(total / divisor);
    }
  }
}

napi_value Reduce(napi_env env, napi_callback_info info) {
  return guarded(env, [&] {
    auto args = callArgs(env, info, 4);
    const auto op = static_cast<ReduceOp>(static_cast<int>(number(env, args[0], "op")));
    FloatView x = floats(env, args[1], "x");
    FloatView y = floats(env, args[2], "y");
    const auto dims = integers(env, args[3], "dims");
    if (dims.size() != 3 || dims[1] < 1) throw std::invalid_argument("reduce: dims must be [outer, reduced, inner]");
    requireLength(x, static_cast<size_t>(dims[0] * dims[1] * dims[2]), "x");
    requireLength(y, static_cast<size_t>(dims[0] * dims[2]), "y");
    if (op != ReduceOp::Sum && op != ReduceOp::Mean && op != ReduceOp::Max) {
      throw std::invalid_argument("reduce: unknown op");
    }
    reduceMiddle(op, x.data, y.data, dims[0], dims[1], dims[2]);
    return undefinedValue(env);
  });
}

/**
 * One SGD step with momentum for a variable, the optimizer's tfjs ops fused into one pass (each step
 * rounded to float32 in the same order): g = grad + decay * w; v = momentum * v + g;
 * u = nesterov ? g + momentum * v : v; w = w - lr * u. Without a velocity buffer (momentum 0) u = g.
 * Writes newValue and newVelocity (the latter only with a velocity).
 */
napi_value SgdUpdate(napi_env env, napi_callback_info info) {
  return guarded(env, [&] {
    auto args = callArgs(env, info, 9);
    FloatView value = floats(env, args[0], "value");
    FloatView velocity = floats(env, args[1], "velocity", true);
    FloatView grad = floats(env, args[2], "grad");
    FloatView newValue = floats(env, args[3], "newValue");
    FloatView newVelocity = floats(env, args[4], "newVelocity", true);
    const float lr = static_cast<float>(number(env, args[5], "lr"));
    const float momentum = static_cast<float>(number(env, args[6], "momentum"));
    const float decay = static_cast<float>(number(env, args[7], "weightDecay"));
    const bool nesterov = number(env, args[8], "nesterov") != 0;
    requireLength(grad, value.length, "grad");
    requireLength(newValue, value.length, "newValue");
    if ((velocity.data == nullptr) != (newVelocity.data == nullptr)) {
      throw std::invalid_argument("sgdUpdate: velocity and newVelocity are both given or both null");
    }
    if (velocity.data != nullptr) {
      requireLength(velocity, value.length, "velocity");
      requireLength(newVelocity, value.length, "newVelocity");
    }
    const int64_t n = static_cast<int64_t>(value.length);
    const float* w = value.data;
    const float* gr = grad.data;
    const float* v = velocity.data;
    float* wOut = newValue.data;
    float* vOut = newVelocity.data;
    parallelChunks(n, n, [&](int64_t begin, int64_t end) {
      for (int64_t i = begin; i < end; ++i) {
        float g = gr[i];
        if (decay > 0.f) {
          const float d = w[i] * decay;
          g = g + d;
        }
        float u = g;
        if (v != nullptr) {
          const float scaled = v[i] * momentum;
          const float nv = scaled + g;
          vOut[i] = nv;
          if (nesterov) {
            const float ahead = nv * momentum;
            u = g + ahead;
          } else {
            u = nv;
          }
        }
        const float step = u * lr;
        wOut[i] = w[i] - step;
      }
    });
    return undefinedValue(env);
  });
}

/**
 * A Keras moving-average update in one pass: out = value - (value - sample) * decay, each step rounded to
 * float32 in tfjs-layers' order (BatchNormalization's moving mean and variance in training).
 */
napi_value MovingAverage(napi_env env, napi_callback_info info) {
  return guarded(env, [&] {
    auto args = callArgs(env, info, 4);
    FloatView value = floats(env, args[0], "value");
    FloatView sample = floats(env, args[1], "sample");
    FloatView out = floats(env, args[2], "out");
    const float decay = static_cast<float>(number(env, args[3], "decay"));
    requireLength(sample, value.length, "sample");
    requireLength(out, value.length, "out");
    for (size_t i = 0; i < value.length; ++i) {
      const float difference = value.data[i] - sample.data[i];
      const float delta = difference * decay;
      out.data[i] = value.data[i] - delta;
    }
    return undefinedValue(env);
  });
}

}  // namespace

void registerElementwise(napi_env env, napi_value exports) {
  const napi_property_descriptor properties[] = {
      {"binary", nullptr, Binary, nullptr, nullptr, nullptr, napi_enumerable, nullptr},
      {"unary", nullptr, Unary, nullptr, nullptr, nullptr, napi_enumerable, nullptr},
      {"reduce", nullptr, Reduce, nullptr, nullptr, nullptr, napi_enumerable, nullptr},
      {"sgdUpdate", nullptr, SgdUpdate, nullptr, nullptr, nullptr, napi_enumerable, nullptr},
      {"movingAverage", nullptr, MovingAverage, nullptr, nullptr, nullptr, napi_enumerable, nullptr},
  };
  check(env, napi_define_properties(env, exports, 5, properties), "define_properties");
}

}  // namespace native
