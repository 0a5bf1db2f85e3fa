// Batch normalisation over the last (channel) axis: the forward pass, and the whole tfjs FusedBatchNorm
// gradient (x, mean, variance, scale, offset) in a single read of x and dy, where tfjs composes it from
// about ten full-size element-wise ops; or only its input gradient, from dy alone.
#include "batchnorm.h"

#include <algorithm>
#include <cmath>
#include <vector>

#include "channel_groups.h"
#include "napi_args.h"
#include "parallel.h"

namespace native {
namespace {

/** A per-channel parameter of length 1 (broadcast) or `channels`; absent gives `fallback`. */
struct ChannelParam {
  const float* data;
  bool scalar;
  float fallback;
  float at(int64_t c) const { return data == nullptr ? fallback : data[scalar ? 0 : c]; }
};

ChannelParam channelParam(const FloatView& view, int64_t channels, float fallback, const char* name) {
  if (view.data != nullptr && view.length != 1 && view.length != static_cast<size_t>(channels)) {
    throw std::invalid_argument(std::string("batchNorm: ") + name + " must have 1 or C elements");
  }
  return {view.data, view.length == 1, fallback};
}

/**
 * Checks a batch-norm gradient's per-channel inputs (C = mean's length; scale optional) and dx (optional)
 * against dy; returns C.
 */
int64_t gradientChannels(const FloatView& mean, const FloatView& variance, const FloatView& scale, const FloatView& dy, const FloatView& dx) {
  const int64_t channels = static_cast<int64_t>(mean.length);
  if (channels <= 0 || dy.length % channels != 0) throw std::invalid_argument("batchNorm: bad channel count");
  requireLength(variance, channels, "variance");
  if (scale.data != nullptr) requireLength(scale, channels, "scale");
  if (dx.data != nullptr) requireLength(dx, dy.length, "dx");
  return channels;
}

/** y = offset + (x - mean) * scale / sqrt(variance + epsilon) per channel, then max(y, 0) when `relu` is 1. */
napi_value Forward(napi_env env, napi_callback_info info) {
  return guarded(env, [&] {
    auto args = callArgs(env, info, 9);
    FloatView x = floats(env, args[0], "x");
    FloatView mean = floats(env, args[1], "mean");
    FloatView variance = floats(env, args[2], "variance");
    FloatView offset = floats(env, args[3], "offset", true);
    FloatView scale = floats(env, args[4], "scale", true);
    FloatView y = floats(env, args[5], "y");
    const int64_t channels = static_cast<int64_t>(number(env, args[6], "channels"));
    const float epsilon = static_cast<float>(number(env, args[7], "epsilon"));
    const bool relu = number(env, args[8], "relu") != 0;
    requireLength(y, x.length, "y");
    if (channels <= 0 || x.length % channels != 0) throw std::invalid_argument("batchNorm: bad channel count");
    const ChannelParam meanP = channelParam(mean, channels, 0.f, "mean");
    const ChannelParam varP = channelParam(variance, channels, 1.f, "variance");
    const ChannelParam offsetP = channelParam(offset, channels, 0.f, "offset");
    const ChannelParam scaleP = channelParam(scale, channels, 1.f, "scale");
    std::vector<float> multiplier(channels), shift(channels), add(channels);
    for (int64_t c = 0; c < channels; ++c) {
      multiplier[c] = scaleP.at(c) / std::sqrt(varP.at(c) + epsilon);
      shift[c] = meanP.at(c);
      add[c] = offsetP.at(c);
    }
    const ChannelGroups groups(channels, static_cast<int64_t>(x.length) / channels);
    const auto runMultiplier = groups.expand(multiplier), runShift = groups.expand(shift), runAdd = groups.expand(add);
    parallelChunks(groups.groups, static_cast<int64_t>(x.length), [&](int64_t begin, int64_t end) {
      for (int64_t g = begin; g < end; ++g) {
        const int64_t offset = groups.firstRow(g) * channels, length = groups.length(g);
        const float* in = x.data + offset;
        float* out = y.data + offset;
        if (relu) {
          // NaN stays NaN, as tfjs's ReLU keeps it.
          for (int64_t i = 0; i < length; ++i) {
            const float v = runAdd[i] + (in[i] - runShift[i]) * runMultiplier[i];
            out[i] = v < 0.f ? 0.f : v;
          }
        } else {
          for (int64_t i = 0; i < length; ++i) out[i] = runAdd[i] + (in[i] - runShift[i]) * runMultiplier[i];
        }
      }
    });
    return undefinedValue(env);
  });
}

/**
 * The FusedBatchNorm gradients. dx (= dy * scale / sqrt(variance + epsilon): the statistics are inputs) may
 * be null, and so may the four per-channel gradients together: then only dx is computed, from dy alone,
 * without reading x (what an input gradient through fixed statistics needs).
 */
napi_value Backward(napi_env env, napi_callback_info info) {
  return guarded(env, [&] {
    auto args = callArgs(env, info, 11);
    FloatView x = floats(env, args[0], "x", true);
    FloatView mean = floats(env, args[1], "mean");
    FloatView variance = floats(env, args[2], "variance");
    FloatView scale = floats(env, args[3], "scale", true);
    FloatView dy = floats(env, args[4], "dy");
    FloatView dx = floats(env, args[5], "dx", true);
    FloatView dMean = floats(env, args[6], "dMean", true);
    FloatView dVariance = floats(env, args[7], "dVariance", true);
    FloatView dScale = floats(env, args[8], "dScale", true);
    FloatView dOffset = floats(env, args[9], "dOffset", true);
    const float epsilon = static_cast<float>(number(env, args[10], "epsilon"));
    const int64_t channels = gradientChannels(mean, variance, scale, dy, dx);
    const bool sums = dMean.data != nullptr;
    if (sums != (dVariance.data != nullptr) || sums != (dScale.data != nullptr) || sums != (dOffset.data != nullptr)) {
      throw std::invalid_argument("batchNorm: the four per-channel gradients are all given or all null");
    }
    if (sums) {
      for (const FloatView* v : {&dMean, &dVariance, &dScale, &dOffset}) requireLength(*v, channels, "gradient");
      requireLength(x, dy.length, "x");
    }
    if (!sums && dx.data == nullptr) return undefinedValue(env);

    std::vector<float> rsqrt(channels), dxScale(channels);
    for (int64_t c = 0; c < channels; ++c) {
      rsqrt[c] = 1.f / std::sqrt(variance.data[c] + epsilon);
      dxScale[c] = rsqrt[c] * (scale.data == nullptr ? 1.f : scale.data[c]);
    }
    const ChannelGroups groups(channels, static_cast<int64_t>(dy.length) / channels);
    const auto runScale = groups.expand(dxScale);
    // With the per-channel gradients: per-thread partial sums in double, combined in thread order
    // (deterministic for a given thread count). Without them x is not read.
    const std::vector<float> meanCopy(mean.data, mean.data + channels);
    const auto runMean = sums ? groups.expand(meanCopy) : std::vector<float>();
    const int64_t run = groups.runLength();
    const int threads = omp_get_max_threads();
    std::vector<double> sumDy(sums ? static_cast<size_t>(threads) * run : 0, 0.0);
    std::vector<double> sumDyCentered(sumDy.size(), 0.0);
    parallelChunks(groups.groups, static_cast<int64_t>(dy.length), [&](int64_t begin, int64_t end) {
      const size_t at = static_cast<size_t>(omp_get_thread_num()) * run;
      for (int64_t g = begin; g < end; ++g) {
        const int64_t offset = groups.firstRow(g) * channels, length = groups.length(g);
        const float* grad = dy.data + offset;
        if (dx.data != nullptr) {
          float* out = dx.data + offset;
          for (int64_t i = 0; i < length; ++i) out[i] = grad[i] * runScale[i];
        }
        if (!sums) continue;
        const float* in = x.data + offset;
        double* partDy = sumDy.data() + at;
        double* partCentered = sumDyCentered.data() + at;
        for (int64_t i = 0; i < length; ++i) {
          const float gi = grad[i];
          partDy[i] += gi;
          partCentered[i] += static_cast<double>(gi) * (in[i] - runMean[i]);
        }
      }
    });
    if (!sums) return undefinedValue(env);
    std::vector<double> totalDy(channels, 0.0), totalCentered(channels, 0.0);
    for (int t = 0; t < threads; ++t) {
      groups.foldInto(sumDy.data() + static_cast<size_t>(t) * run, totalDy);
      groups.foldInto(sumDyCentered.data() + static_cast<size_t>(t) * run, totalCentered);
    }
    for (int64_t c = 0; c < channels; ++c) {
      const double s = scale.data == nullptr ? 1.0 : scale.data[c];
      const double r = rsqrt[c];
      dMean.data[c] = static_cast<float>(-r * s * totalDy[c]);
      dVariance.data[c] = static_cast<float>(-0.5 * r * r * r * s * totalCentered[c]);
      dScale.data[c] = static_cast<float>(r * totalCentered[c]);
      dOffset.data[c] = static_cast<float>(totalDy[c]);
    }
    return undefinedValue(env);
  });
}

/**
 * The whole gradient of batch normalisation in training, where mean and variance are x's own batch
 * statistics (biased variance): what FusedBatchNorm's gradient plus the gradient of tf.moments give, in
 * two reads of x and dy instead of four full-size passes. With `reluY` (the output of a ReLU that followed
 * the normalisation) dy is first masked where reluY is not positive, so the ReLU's gradient costs no pass of
 * its own. dx may be null (only the per-channel gradients), and so may dScale and dOffset together.
 *   dOffset = sum g,  dScale = r sum g (x - mean),  dx = s r (g - sum g / n) - s r^3 (x - mean) sum g (x - mean) / n
 * with g the masked dy, r = 1 / sqrt(variance + epsilon), s = scale, n = rows.
 */
napi_value TrainBackward(napi_env env, napi_callback_info info) {
  return guarded(env, [&] {
    auto args = callArgs(env, info, 10);
    FloatView x = floats(env, args[0], "x");
    FloatView mean = floats(env, args[1], "mean");
    FloatView variance = floats(env, args[2], "variance");
    FloatView scale = floats(env, args[3], "scale", true);
    FloatView dy = floats(env, args[4], "dy");
    FloatView reluY = floats(env, args[5], "reluY", true);
    FloatView dx = floats(env, args[6], "dx", true);
    FloatView dScale = floats(env, args[7], "dScale", true);
    FloatView dOffset = floats(env, args[8], "dOffset", true);
    const float epsilon = static_cast<float>(number(env, args[9], "epsilon"));
    const int64_t channels = gradientChannels(mean, variance, scale, dy, dx);
    requireLength(x, dy.length, "x");
    if (reluY.data != nullptr) requireLength(reluY, dy.length, "reluY");
    if ((dScale.data == nullptr) != (dOffset.data == nullptr)) throw std::invalid_argument("batchNorm: dScale and dOffset are given together");
    if (dScale.data != nullptr) {
      requireLength(dScale, channels, "dScale");
      requireLength(dOffset, channels, "dOffset");
    }
    const int64_t rows = static_cast<int64_t>(dy.length) / channels;
    const ChannelGroups groups(channels, rows);
    const std::vector<float> meanCopy(mean.data, mean.data + channels);
    const auto runMean = groups.expand(meanCopy);
    const int64_t run = groups.runLength();
    const int threads = omp_get_max_threads();
    std::vector<double> sumG(static_cast<size_t>(threads) * run, 0.0), sumGC(sumG.size(), 0.0);
    const float* mask = reluY.data;
    parallelChunks(groups.groups, static_cast<int64_t>(dy.length), [&](int64_t begin, int64_t end) {
      const size_t at = static_cast<size_t>(omp_get_thread_num()) * run;
      double* partG = sumG.data() + at;
      double* partGC = sumGC.data() + at;
      for (int64_t g = begin; g < end; ++g) {
        const int64_t offset = groups.firstRow(g) * channels, length = groups.length(g);
        const float* in = x.data + offset;
        const float* grad = dy.data + offset;
        const float* m = mask == nullptr ? nullptr : mask + offset;
        for (int64_t i = 0; i < length; ++i) {
          const float gi = (m == nullptr || m[i] > 0.f) ? grad[i] : 0.f;
          partG[i] += gi;
          partGC[i] += static_cast<double>(gi) * (in[i] - runMean[i]);
        }
      }
    });
    std::vector<double> totalG(channels, 0.0), totalGC(channels, 0.0);
    for (int t = 0; t < threads; ++t) {
      groups.foldInto(sumG.data() + static_cast<size_t>(t) * run, totalG);
      groups.foldInto(sumGC.data() + static_cast<size_t>(t) * run, totalGC);
    }
    std::vector<float> a(channels), b(channels), k(channels);
    const double n = static_cast<double>(rows);
    for (int64_t c = 0; c < channels; ++c) {
      const double r = 1.0 / std::sqrt(static_cast<double>(variance.data[c]) + epsilon);
      const double s = scale.data == nullptr ? 1.0 : scale.data[c];
      if (dScale.data != nullptr) {
        dScale.data[c] = static_cast<float>(r * totalGC[c]);
        dOffset.data[c] = static_cast<float>(totalG[c]);
      }
      a[c] = static_cast<float>(s * r);
      b[c] = static_cast<float>(totalG[c] / n);
      k[c] = static_cast<float>(s * r * r * r * totalGC[c] / n);
    }
    if (dx.data == nullptr) return undefinedValue(env);
    const auto runA = groups.expand(a), runB = groups.expand(b), runK = groups.expand(k);
    parallelChunks(groups.groups, static_cast<int64_t>(dy.length), [&](int64_t begin, int64_t end) {
      for (int64_t g = begin; g < end; ++g) {
        const int64_t offset = groups.firstRow(g) * channels, length = groups.length(g);
        const float* in = x.data + offset;
        const float* grad = dy.data + offset;
        float* out = dx.data + offset;
        if (mask == nullptr) {
          for (int64_t i = 0; i < length; ++i) out[i] = runA[i] * (grad[i] - runB[i]) - runK[i] * (in[i] - runMean[i]);
        } else {
          const float* m = mask + offset;
          for (int64_t i = 0; i < length; ++i) {
            const float gi = m[i] > 0.f ? grad[i] : 0.f;
            out[i] = runA[i] * (gi - runB[i]) - runK[i] * (in[i] - runMean[i]);
          }
        }
      }
    });
    return undefinedValue(env);
  });
}

/** Parses [outer, reduced, inner]: x is viewed as that, statistics are [outer, inner]. */
void momentsDims(napi_env env, napi_value value, int64_t& outer, int64_t& reduced, int64_t& inner) {
  const auto dims = integers(env, value, "dims");
  if (dims.size() != 3 || dims[1] < 1) throw std::invalid_argument("moments: dims must be [outer, reduced, inner]");
  outer = dims[0], reduced = dims[1], inner = dims[2];
}

/**
 * Mean and (biased) variance over the middle axis of x viewed as [outer, reduced, inner]: tf.moments in one
 * call and one read of x, instead of four tfjs ops: sums of x and of x squared per lane in double (exact
 * enough that E[x^2] - E[x]^2 loses nothing a float32 result keeps, unless |mean| exceeds the standard
 * deviation by ~1e4, far outside what batch-norm inputs look like).
 */
napi_value MomentsForward(napi_env env, napi_callback_info info) {
  return guarded(env, [&] {
    auto args = callArgs(env, info, 4);
    FloatView x = floats(env, args[0], "x");
    FloatView mean = floats(env, args[1], "mean");
    FloatView variance = floats(env, args[2], "variance");
    int64_t outer, reduced, inner;
    momentsDims(env, args[3], outer, reduced, inner);
    requireLength(x, static_cast<size_t>(outer * reduced * inner), "x");
    requireLength(mean, static_cast<size_t>(outer * inner), "mean");
    requireLength(variance, static_cast<size_t>(outer * inner), "variance");
    const int threads = omp_get_max_threads();
    const ChannelGroups groups(inner, reduced);
    const int64_t run = groups.runLength();
    std::vector<double> sums(static_cast<size_t>(threads) * run), squares(sums.size());
    std::vector<double> totalSum(inner), totalSquare(inner);
    for (int64_t o = 0; o < outer; ++o) {
      const float* base = x.data + o * reduced * inner;
      std::fill(sums.begin(), sums.end(), 0.0);
      std::fill(squares.begin(), squares.end(), 0.0);
      parallelChunks(groups.groups, reduced * inner, [&](int64_t begin, int64_t end) {
        const size_t at = static_cast<size_t>(omp_get_thread_num()) * run;
        double* sum = sums.data() + at;
        double* square = squares.data() + at;
        for (int64_t g = begin; g < end; ++g) {
          const float* values = base + groups.firstRow(g) * inner;
          const int64_t length = groups.length(g);
          for (int64_t i = 0; i < length; ++i) {
            const double v = values[i];
            sum[i] += v;
            square[i] += v * v;
          }
        }
      });
      std::fill(totalSum.begin(), totalSum.end(), 0.0);
      std::fill(totalSquare.begin(), totalSquare.end(), 0.0);
      for (int t = 0; t < threads; ++t) {
        groups.foldInto(sums.data() + static_cast<size_t>(t) * run, totalSum);
        groups.foldInto(squares.data() + static_cast<size_t>(t) * run, totalSquare);
      }
      const double n = static_cast<double>(reduced);
      for (int64_t i = 0; i < inner; ++i) {
        const double m = totalSum[i] / n;
        mean.data[o * inner + i] = static_cast<float>(m);
        variance.data[o * inner + i] = static_cast<float>(std::max(0.0, totalSquare[i] / n - m * m));
      }
    }
    return undefinedValue(env);
  });
}

/** dx = dMean / n + dVariance * 2 (x - mean) / n, broadcast over the reduced axis; either gradient may be null. */
napi_value MomentsBackward(napi_env env, napi_callback_info info) {
  return guarded(env, [&] {
    auto args = callArgs(env, info, 6);
    FloatView x = floats(env, args[0], "x");
    FloatView mean = floats(env, args[1], "mean");
    FloatView dMean = floats(env, args[2], "dMean", true);
    FloatView dVariance = floats(env, args[3], "dVariance", true);
    FloatView dx = floats(env, args[4], "dx");
    int64_t outer, reduced, inner;
    momentsDims(env, args[5], outer, reduced, inner);
    const size_t statistics = static_cast<size_t>(outer * inner);
    requireLength(x, static_cast<size_t>(outer * reduced * inner), "x");
    requireLength(dx, x.length, "dx");
    requireLength(mean, statistics, "mean");
    if (dMean.data != nullptr) requireLength(dMean, statistics, "dMean");
    if (dVariance.data != nullptr) requireLength(dVariance, statistics, "dVariance");
    const float n = static_cast<float>(reduced);
    std::vector<float> meanTerm(statistics, 0.f), varianceTerm(statistics, 0.f);
    for (size_t i = 0; i < statistics; ++i) {
      if (dMean.data != nullptr) meanTerm[i] = dMean.data[i] / n;
      if (dVariance.data != nullptr) varianceTerm[i] = dVariance.data[i] * 2.f / n;
    }
    const ChannelGroups groups(inner, reduced);
    const int64_t run = groups.runLength();
    // Per-slice coefficients repeated to one run: [outer][run].
    std::vector<float> runMean(static_cast<size_t>(outer) * run), runA(runMean.size()), runV(runMean.size());
    for (int64_t o = 0; o < outer; ++o) {
      for (int64_t i = 0; i < run; ++i) {
        const size_t at = static_cast<size_t>(o * inner + i % inner);
        runMean[o * run + i] = mean.data[at];
        runA[o * run + i] = meanTerm[at];
        runV[o * run + i] = varianceTerm[at];
      }
    }
    const int64_t tasks = outer * groups.groups;
    parallelChunks(tasks, static_cast<int64_t>(x.length), [&](int64_t begin, int64_t end) {
      for (int64_t t = begin; t < end; ++t) {
        const int64_t o = t / groups.groups, g = t % groups.groups;
        const int64_t offset = (o * reduced + groups.firstRow(g)) * inner, length = groups.length(g);
        const float* in = x.data + offset;
        float* out = dx.data + offset;
        const float* m = runMean.data() + o * run;
        const float* a = runA.data() + o * run;
        const float* v = runV.data() + o * run;
        for (int64_t i = 0; i < length; ++i) out[i] = a[i] + v[i] * (in[i] - m[i]);
      }
    });
    return undefinedValue(env);
  });
}

}  // namespace

void registerBatchNorm(napi_env env, napi_value exports) {
  const napi_property_descriptor properties[] = {
      {"batchNormForward", nullptr, Forward, nullptr, nullptr, nullptr, napi_enumerable, nullptr},
      {"batchNormBackward", nullptr, Backward, nullptr, nullptr, nullptr, napi_enumerable, nullptr},
      {"momentsForward", nullptr, MomentsForward, nullptr, nullptr, nullptr, napi_enumerable, nullptr},
      {"momentsBackward", nullptr, MomentsBackward, nullptr, nullptr, nullptr, napi_enumerable, nullptr},
      {"batchNormTrainBackward", nullptr, TrainBackward, nullptr, nullptr, nullptr, napi_enumerable, nullptr},
  };
  check(env, napi_define_properties(env, exports, 5, properties), "define_properties");
}

}  // namespace native
