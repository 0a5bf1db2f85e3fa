// Batched matrix products (tfjs BatchMatMul / _FusedMatMul) through oneDNN's sgemm, which is row-major and
// multithreaded; the optional bias (per output column or scalar) and activation are applied in the same pass.
#include "matmul.h"

#include "activation.h"
#include "dnnl_context.h"
#include "napi_args.h"
#include "parallel.h"

namespace native {
namespace {

napi_value MatMul(napi_env env, napi_callback_info info) {
  return guarded(env, [&] {
    auto args = callArgs(env, info, 6);
    FloatView a = floats(env, args[0], "a");
    FloatView b = floats(env, args[1], "b");
    FloatView bias = floats(env, args[2], "bias", true);
    FloatView out = floats(env, args[3], "out");
    const auto p = integers(env, args[4], "params");
    const float alpha = static_cast<float>(number(env, args[5], "alpha"));
    if (p.size() != 8) throw std::invalid_argument("matMul: expected 8 parameters");
    const int64_t batchA = p[0], batchB = p[1], m = p[2], k = p[3], n = p[4];
    const bool transposeA = p[5] != 0, transposeB = p[6] != 0;
    const Activation activation = static_cast<Activation>(p[7]);
    const int64_t batch = std::max(batchA, batchB);
    if ((batchA != batch && batchA != 1) || (batchB != batch && batchB != 1)) {
      throw std::invalid_argument("matMul: batch dimensions must match or be 1");
    }
    requireLength(a, static_cast<size_t>(batchA * m * k), "a");
    requireLength(b, static_cast<size_t>(batchB * k * n), "b");
    requireLength(out, static_cast<size_t>(batch * m * n), "out");
    if (bias.data != nullptr && bias.length != 1 && bias.length != static_cast<size_t>(n)) {
      throw std::invalid_argument("matMul: bias must have 1 or N elements");
    }
    for (int64_t i = 0; i < batch; ++i) {
      const float* aPart = a.data + (batchA == 1 ? 0 : i) * m * k;
      const float* bPart = b.data + (batchB == 1 ? 0 : i) * k * n;
      float* outPart = out.data + i * m * n;
      const dnnl_status_t status = dnnl_sgemm(transposeA ? 'T' : 'N', transposeB ? 'T' : 'N', m, n, k, 1.f, aPart,
                                              transposeA ? m : k, bPart, transposeB ? k : n, 0.f, outPart, n);
      if (status != dnnl_success) throw std::runtime_error("dnnl_sgemm failed");
    }
    if (bias.data != nullptr || activation != Activation::None) {
      const int64_t rows = batch * m;
      const float* biasData = bias.data;
      const bool scalarBias = bias.length == 1;
      parallelChunks(rows, rows * n, [&](int64_t begin, int64_t end) {
        for (int64_t r = begin; r < end; ++r) {
          float* row = out.data + r * n;
          for (int64_t j = 0; j < n; ++j) {
            float v = row[j];
            if (biasData != nullptr) v += scalarBias ? biasData[0] : biasData[j];
            row[j] = activate(activation, v, alpha);
          }
        }
      });
    }
    return undefinedValue(env);
  });
}

}  // namespace

void registerMatMul(napi_env env, napi_value exports) {
  const napi_property_descriptor properties[] = {
      {"matMul", nullptr, MatMul, nullptr, nullptr, nullptr, napi_enumerable, nullptr},
  };
  check(env, napi_define_properties(env, exports, 1, properties), "define_properties");
}

}  // namespace native
