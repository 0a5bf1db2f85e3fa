// Max and average pooling on NHWC and their gradients, with tfjs cpu semantics: the max gradient goes to the
// first maximum in scan order (row, then column), average pooling divides by the in-bounds count and its
// gradient by the full window size, as tfjs does. Loops run over whole channel rows so they vectorise.
#include "pool.h"

#include <cstring>
#include <limits>
#include <vector>

#include "napi_args.h"
#include "parallel.h"

namespace native {
namespace {

struct PoolShape {
  int64_t batch, inH, inW, channels, outH, outW, filterH, filterW, strideH, strideW, padTop, padLeft;

  static PoolShape parse(const std::vector<int64_t>& p) {
    if (p.size() != 12) throw std::invalid_argument("pool: expected 12 parameters");
    return {p[0], p[1], p[2], p[3], p[4], p[5], p[6], p[7], p[8], p[9], p[10], p[11]};
  }
  size_t inSize() const { return static_cast<size_t>(batch * inH * inW * channels); }
  size_t outSize() const { return static_cast<size_t>(batch * outH * outW * channels); }
  int64_t rowStart(int64_t outRow) const { return outRow * strideH - padTop; }
  int64_t colStart(int64_t outCol) const { return outCol * strideW - padLeft; }
};

/** Channel blocks processed together in the gradients; threads own disjoint (image, block) pairs. */
constexpr int64_t kChannelBlock = 64;

void maxForward(const PoolShape& s, const float* x, float* y) {
  const int64_t rows = s.batch * s.outH;
  parallelChunks(rows, static_cast<int64_t>(s.outSize() * s.filterH * s.filterW), [&](int64_t begin, int64_t end) {
    for (int64_t r = begin; r < end; ++r) {
      const int64_t b = r / s.outH, oh = r % s.outH;
      const int64_t h0 = s.rowStart(oh);
      for (int64_t ow = 0; ow < s.outW; ++ow) {
        const int64_t w0 = s.colStart(ow);
        float* out = y + ((b * s.outH + oh) * s.outW + ow) * s.channels;
        for (int64_t c = 0; c < s.channels; ++c) out[c] = -std::numeric_limits<float>::infinity();
        for (int64_t h = std::max<int64_t>(h0, 0); h < std::min(h0 + s.filterH, s.inH); ++h) {
          for (int64_t w = std::max<int64_t>(w0, 0); w < std::min(w0 + s.filterW, s.inW); ++w) {
            const float* in = x + ((b * s.inH + h) * s.inW + w) * s.channels;
            for (int64_t c = 0; c < s.channels; ++c) out[c] = in[c] > out[c] ? in[c] : out[c];
          }
        }
      }
    }
  });
}

void avgForward(const PoolShape& s, const float* x, float* y) {
  const int64_t rows = s.batch * s.outH;
  parallelChunks(rows, static_cast<int64_t>(s.outSize() * s.filterH * s.filterW), [&](int64_t begin, int64_t end) {
    std::vector<float> sum(s.channels);
    for (int64_t r = begin; r < end; ++r) {
      const int64_t b = r / s.outH, oh = r % s.outH;
      const int64_t h0 = s.rowStart(oh);
      for (int64_t ow = 0; ow < s.outW; ++ow) {
        const int64_t w0 = s.colStart(ow);
        std::fill(sum.begin(), sum.end(), 0.f);
        int64_t count = 0;
        for (int64_t h = std::max<int64_t>(h0, 0); h < std::min(h0 + s.filterH, s.inH); ++h) {
          for (int64_t w = std::max<int64_t>(w0, 0); w < std::min(w0 + s.filterW, s.inW); ++w) {
            const float* in = x + ((b * s.inH + h) * s.inW + w) * s.channels;
            for (int64_t c = 0; c < s.channels; ++c) sum[c] += in[c];
            ++count;
          }
        }
        float* out = y + ((b * s.outH + oh) * s.outW + ow) * s.channels;
        for (int64_t c = 0; c < s.channels; ++c) out[c] = sum[c] / static_cast<float>(count);
      }
    }
  });
}

/** Runs `body(image, channelBegin, channelEnd)` over disjoint (image, channel block) pairs in parallel. */
template <typename Body>
void perImageBlock(const PoolShape& s, Body body) {
  const int64_t blocks = (s.channels + kChannelBlock - 1) / kChannelBlock;
  const int64_t tasks = s.batch * blocks;
  parallelChunks(tasks, static_cast<int64_t>(s.inSize() + s.outSize() * s.filterH * s.filterW),
                 [&](int64_t begin, int64_t end) {
                   for (int64_t t = begin; t < end; ++t) {
                     const int64_t b = t / blocks, block = t % blocks;
                     const int64_t c0 = block * kChannelBlock;
                     body(b, c0, std::min(c0 + kChannelBlock, s.channels));
                   }
                 });
}

void maxBackward(const PoolShape& s, const float* x, const float* dy, float* dx) {
  std::memset(dx, 0, s.inSize() * sizeof(float));
  perImageBlock(s, [&](int64_t b, int64_t c0, int64_t c1) {
    float best[kChannelBlock];
    int64_t where[kChannelBlock];
    const int64_t width = c1 - c0;
    for (int64_t oh = 0; oh < s.outH; ++oh) {
      const int64_t h0 = s.rowStart(oh);
      for (int64_t ow = 0; ow < s.outW; ++ow) {
        const int64_t w0 = s.colStart(ow);
        for (int64_t c = 0; c < width; ++c) best[c] = -std::numeric_limits<float>::infinity(), where[c] = -1;
        for (int64_t h = std::max<int64_t>(h0, 0); h < std::min(h0 + s.filterH, s.inH); ++h) {
          for (int64_t w = std::max<int64_t>(w0, 0); w < std::min(w0 + s.filterW, s.inW); ++w) {
            const int64_t pixel = ((b * s.inH + h) * s.inW + w) * s.channels + c0;
            const float* in = x + pixel;
            for (int64_t c = 0; c < width; ++c) {
              if (in[c] > best[c]) best[c] = in[c], where[c] = pixel + c;
            }
          }
        }
        const float* grad = dy + ((b * s.outH + oh) * s.outW + ow) * s.channels + c0;
        for (int64_t c = 0; c < width; ++c) {
          if (where[c] >= 0) dx[where[c]] += grad[c];
        }
      }
    }
  });
}

void avgBackward(const PoolShape& s, const float* dy, float* dx) {
  std::memset(dx, 0, s.inSize() * sizeof(float));
  const float scale = 1.f / static_cast<float>(s.filterH * s.filterW);
  perImageBlock(s, [&](int64_t b, int64_t c0, int64_t c1) {
    for (int64_t oh = 0; oh < s.outH; ++oh) {
      const int64_t h0 = s.rowStart(oh);
      for (int64_t ow = 0; ow < s.outW; ++ow) {
        const int64_t w0 = s.colStart(ow);
        const float* grad = dy + ((b * s.outH + oh) * s.outW + ow) * s.channels;
        for (int64_t h = std::max<int64_t>(h0, 0); h < std::min(h0 + s.filterH, s.inH); ++h) {
          for (int64_t w = std::max<int64_t>(w0, 0); w < std::min(w0 + s.filterW, s.inW); ++w) {
            float* out = dx + ((b * s.inH + h) * s.inW + w) * s.channels;
            for (int64_t c = c0; c < c1; ++c) out[c] += grad[c] * scale;
          }
        }
      }
    }
  });
}

napi_value PoolForward(napi_env env, napi_callback_info info) {
  return guarded(env, [&] {
    auto args = callArgs(env, info, 4);
    const bool isMax = number(env, args[0], "kind") == 0;
    FloatView x = floats(env, args[1], "x");
    FloatView y = floats(env, args[2], "y");
    const PoolShape s = PoolShape::parse(integers(env, args[3], "params"));
    requireLength(x, s.inSize(), "x");
    requireLength(y, s.outSize(), "y");
    if (isMax) {
      maxForward(s, x.data, y.data);
    } else {
      avgForward(s, x.data, y.data);
    }
    return undefinedValue(env);
  });
}

napi_value PoolBackward(napi_env env, napi_callback_info info) {
  return guarded(env, [&] {
    auto args = callArgs(env, info, 5);
    const bool isMax = number(env, args[0], "kind") == 0;
    FloatView x = floats(env, args[1], "x", !isMax);
    FloatView dy = floats(env, args[2], "dy");
    FloatView dx = floats(env, args[3], "dx");
    const PoolShape s = PoolShape::parse(integers(env, args[4], "params"));
    requireLength(dy, s.outSize(), "dy");
    requireLength(dx, s.inSize(), "dx");
    if (isMax) {
      requireLength(x, s.inSize(), "x");
      maxBackward(s, x.data, dy.data, dx.data);
    } else {
      avgBackward(s, dy.data, dx.data);
    }
    return undefinedValue(env);
  });
}

}  // namespace

void registerPool(napi_env env, napi_value exports) {
  const napi_property_descriptor properties[] = {
      {"poolForward", nullptr, PoolForward, nullptr, nullptr, nullptr, napi_enumerable, nullptr},
      {"poolBackward", nullptr, PoolBackward, nullptr, nullptr, nullptr, napi_enumerable, nullptr},
  };
  check(env, napi_define_properties(env, exports, 2, properties), "define_properties");
}

}  // namespace native
