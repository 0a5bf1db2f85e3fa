// 2-D convolution (forward with fused bias/activation, input gradient, filter gradient), regular and
// depthwise, on tfjs's layouts: activations NHWC (or NCHW), filters [filterH, filterW, inC, outC] (depthwise:
// [filterH, filterW, inC, multiplier]). oneDNN reads and writes the JS buffers in place; only the filter is
// reordered into the blocked layout the fast kernels want.
#include "conv.h"

#include <cstring>
#include <string>
#include <unordered_map>

#include "dnnl_context.h"
#include "napi_args.h"

namespace native {
namespace {

using dnnl::memory;
using Tag = memory::format_tag;
using DataType = memory::data_type;

/** The parameter list the TS side sends, in this order. */
struct ConvShape {
  int64_t batch, inH, inW, inC, outH, outW, outC, filterH, filterW;
  int64_t strideH, strideW, dilationH, dilationW, padTop, padLeft, padBottom, padRight;
  bool depthwise, channelsFirst;
  Activation activation;

  static ConvShape parse(const std::vector<int64_t>& p) {
    if (p.size() != 20) throw std::invalid_argument("conv2d: expected 20 parameters");
    ConvShape s{};
    s.batch = p[0], s.inH = p[1], s.inW = p[2], s.inC = p[3];
    s.outH = p[4], s.outW = p[5], s.outC = p[6], s.filterH = p[7], s.filterW = p[8];
    s.strideH = p[9], s.strideW = p[10], s.dilationH = p[11], s.dilationW = p[12];
    s.padTop = p[13], s.padLeft = p[14], s.padBottom = p[15], s.padRight = p[16];
    s.depthwise = p[17] != 0, s.channelsFirst = p[18] != 0;
    s.activation = static_cast<Activation>(p[19]);
    return s;
  }
  size_t inSize() const { return static_cast<size_t>(batch * inH * inW * inC); }
  size_t outSize() const { return static_cast<size_t>(batch * outH * outW * outC); }
  size_t filterSize() const {
    return static_cast<size_t>(filterH * filterW * inC * (depthwise ? outC / inC : outC));
  }

  memory::desc src() const { return {{batch, inC, inH, inW}, DataType::f32, channelsFirst ? Tag::nchw : Tag::nhwc}; }
  memory::desc dst() const {
    return {{batch, outC, outH, outW}, DataType::f32, channelsFirst ? Tag::nchw : Tag::nhwc};
  }
  memory::desc bias() const { return {{outC}, DataType::f32, Tag::x}; }
  /** The filter as tfjs stores it, described by strides so no copy into a plain oneDNN layout is needed. */
  memory::desc userFilter() const {
    if (depthwise) {
      const int64_t multiplier = outC / inC;
      // oneDNN dims [groups, out per group, in per group, h, w] over tfjs [h, w, inC, multiplier].
      return {{inC, multiplier, 1, filterH, filterW},
              DataType::f32,
              {multiplier, 1, 1, filterW * inC * multiplier, inC * multiplier}};
    }
    return {{outC, inC, filterH, filterW}, DataType::f32, {1, outC, filterW * inC * outC, inC * outC}};
  }
  memory::desc anyFilter() const {
    if (depthwise) return {{inC, outC / inC, 1, filterH, filterW}, DataType::f32, Tag::any};
    return {{outC, inC, filterH, filterW}, DataType::f32, Tag::any};
  }
  memory::dims strides() const { return {strideH, strideW}; }
  memory::dims dilations() const { return {dilationH - 1, dilationW - 1}; }
  memory::dims padL() const { return {padTop, padLeft}; }
  memory::dims padR() const { return {padBottom, padRight}; }

  dnnl::convolution_forward::primitive_desc forwardDesc(bool withBias, const dnnl::primitive_attr& attr) const {
    auto empty = memory::desc();
    dnnl::convolution_forward::desc d(dnnl::prop_kind::forward_training, dnnl::algorithm::convolution_direct, src(),
                                      anyFilter(), withBias ? bias() : empty, dst(), strides(), dilations(), padL(),
                                      padR());
    return {d, attr, cpuEngine()};
  }
};

/** A filter in the user's layout plus, when the primitive wants another layout, the reorder between them. */
struct FilterBridge {
  memory user;
  memory internal;
  dnnl::reorder reorder;
  bool needed = false;
  /** Identity (from JS) of the filter last reordered into `internal`; 0 means none. */
  double reorderedId = 0;

  /** Reorders the user's filter in unless it is the one reordered last time (ids name immutable buffers). */
  void bringIn(dnnl::stream& stream, float* data, double filterId) {
    user.set_data_handle(data);
    if (!needed || (filterId != 0 && filterId == reorderedId)) return;
    reorder.execute(stream, user, internal);
    reorderedId = filterId;
  }

  void init(const memory::desc& userDesc, const memory::desc& internalDesc, bool toInternal) {
    user = memory(userDesc, cpuEngine(), nullptr);
    needed = internalDesc != userDesc;
    internal = needed ? memory(internalDesc, cpuEngine()) : user;
    if (needed) reorder = toInternal ? dnnl::reorder(user, internal) : dnnl::reorder(internal, user);
  }
};

struct ForwardEntry {
  dnnl::convolution_forward primitive;
  memory src, dst, bias;
  FilterBridge filter;
};

struct BackwardInputEntry {
  dnnl::convolution_backward_data primitive;
  memory diffDst, diffSrc;
  FilterBridge filter;
};

struct BackwardFilterEntry {
  dnnl::convolution_backward_weights primitive;
  memory src, diffDst;
  FilterBridge diffFilter;
};

PrimitiveCache<ForwardEntry>& forwardCache() {
  static PrimitiveCache<ForwardEntry> cache;
  return cache;
}
PrimitiveCache<BackwardInputEntry>& backwardInputCache() {
  static PrimitiveCache<BackwardInputEntry> cache;
  return cache;
}
PrimitiveCache<BackwardFilterEntry>& backwardFilterCache() {
  static PrimitiveCache<BackwardFilterEntry> cache;
  return cache;
}

void clearConvCaches() {
  forwardCache().clear();
  backwardInputCache().clear();
  backwardFilterCache().clear();
}

CacheKey keyOf(const std::vector<int64_t>& params, int64_t variant) {
  CacheKey key(params);
  key.push_back(variant);
  key.push_back(computeThreads());
  return key;
}

/**
 * y = act(conv(x, filter) + bias). With the optional 8th argument `accumulate` 1, y's previous contents are
 * added before the activation (oneDNN's sum post-op): a residual sum and its ReLU fused into the convolution.
 */
napi_value Forward(napi_env env, napi_callback_info info) {
  return guarded(env, [&] {
    auto args = callArgs(env, info, 7, 1);
    const bool accumulate = !isNullish(env, args[7]) && number(env, args[7], "accumulate") != 0;
    FloatView x = floats(env, args[0], "x");
    FloatView filter = floats(env, args[1], "filter");
    FloatView bias = floats(env, args[2], "bias", true);
    FloatView y = floats(env, args[3], "y");
    const auto params = integers(env, args[4], "params");
    const float alpha = static_cast<float>(number(env, args[5], "alpha"));
    const double filterId = number(env, args[6], "filterId");
    const ConvShape s = ConvShape::parse(params);
    requireLength(x, s.inSize(), "x");
    requireLength(filter, s.filterSize(), "filter");
    requireLength(y, s.outSize(), "y");
    const bool withBias = bias.data != nullptr;
    if (withBias) requireLength(bias, static_cast<size_t>(s.outC), "bias");

    CacheKey key = keyOf(params, (withBias ? 1 : 0) + (accumulate ? 2 : 0));
    // Alpha changes the primitive (leaky ReLU slope): part of the key, bit-exact.
    uint32_t alphaBits = 0;
    std::memcpy(&alphaBits, &alpha, sizeof alphaBits);
    key.push_back(static_cast<int64_t>(alphaBits));
    ForwardEntry& e = forwardCache().get(key, [&] {
      auto entry = std::make_unique<ForwardEntry>();
      dnnl::primitive_attr attr;
      attr.set_post_ops(activationPostOps(s.activation, alpha, accumulate));
      auto pd = s.forwardDesc(withBias, attr);
      entry->primitive = dnnl::convolution_forward(pd);
      entry->src = memory(pd.src_desc(), cpuEngine(), nullptr);
      entry->dst = memory(pd.dst_desc(), cpuEngine(), nullptr);
      if (withBias) entry->bias = memory(pd.bias_desc(), cpuEngine(), nullptr);
      entry->filter.init(s.userFilter(), pd.weights_desc(), true);
      return entry;
    });
    auto& stream = cpuStream();
    e.src.set_data_handle(x.data);
    e.dst.set_data_handle(y.data);
    e.filter.bringIn(stream, filter.data, filterId);
    std::unordered_map<int, memory> run{
        {DNNL_ARG_SRC, e.src}, {DNNL_ARG_WEIGHTS, e.filter.internal}, {DNNL_ARG_DST, e.dst}};
    if (withBias) {
      e.bias.set_data_handle(bias.data);
      run.emplace(DNNL_ARG_BIAS, e.bias);
    }
    e.primitive.execute(stream, run);
    stream.wait();
    return undefinedValue(env);
  });
}

napi_value BackwardInput(napi_env env, napi_callback_info info) {
  return guarded(env, [&] {
    auto args = callArgs(env, info, 5);
    FloatView dy = floats(env, args[0], "dy");
    FloatView filter = floats(env, args[1], "filter");
    FloatView dx = floats(env, args[2], "dx");
    const auto params = integers(env, args[3], "params");
    const double filterId = number(env, args[4], "filterId");
    const ConvShape s = ConvShape::parse(params);
    requireLength(dy, s.outSize(), "dy");
    requireLength(filter, s.filterSize(), "filter");
    requireLength(dx, s.inSize(), "dx");

    BackwardInputEntry& e = backwardInputCache().get(keyOf(params, 0), [&] {
      auto entry = std::make_unique<BackwardInputEntry>();
      auto hint = s.forwardDesc(false, dnnl::primitive_attr());
      dnnl::convolution_backward_data::desc d(dnnl::algorithm::convolution_direct, s.src(), s.anyFilter(), s.dst(),
                                              s.strides(), s.dilations(), s.padL(), s.padR());
      dnnl::convolution_backward_data::primitive_desc pd(d, cpuEngine(), hint);
      entry->primitive = dnnl::convolution_backward_data(pd);
      entry->diffDst = memory(pd.diff_dst_desc(), cpuEngine(), nullptr);
      entry->diffSrc = memory(pd.diff_src_desc(), cpuEngine(), nullptr);
      entry->filter.init(s.userFilter(), pd.weights_desc(), true);
      return entry;
    });
    auto& stream = cpuStream();
    e.diffDst.set_data_handle(dy.data);
    e.diffSrc.set_data_handle(dx.data);
    e.filter.bringIn(stream, filter.data, filterId);
    e.primitive.execute(stream, {{DNNL_ARG_DIFF_DST, e.diffDst},
                                 {DNNL_ARG_WEIGHTS, e.filter.internal},
                                 {DNNL_ARG_DIFF_SRC, e.diffSrc}});
    stream.wait();
    return undefinedValue(env);
  });
}

napi_value BackwardFilter(napi_env env, napi_callback_info info) {
  return guarded(env, [&] {
    auto args = callArgs(env, info, 4);
    FloatView x = floats(env, args[0], "x");
    FloatView dy = floats(env, args[1], "dy");
    FloatView dw = floats(env, args[2], "dw");
    const auto params = integers(env, args[3], "params");
    const ConvShape s = ConvShape::parse(params);
    requireLength(x, s.inSize(), "x");
    requireLength(dy, s.outSize(), "dy");
    requireLength(dw, s.filterSize(), "dw");

    BackwardFilterEntry& e = backwardFilterCache().get(keyOf(params, 0), [&] {
      auto entry = std::make_unique<BackwardFilterEntry>();
      auto hint = s.forwardDesc(false, dnnl::primitive_attr());
      dnnl::convolution_backward_weights::desc d(dnnl::algorithm::convolution_direct, s.src(), s.anyFilter(),
                                                 s.dst(), s.strides(), s.dilations(), s.padL(), s.padR());
      dnnl::convolution_backward_weights::primitive_desc pd(d, cpuEngine(), hint);
      entry->primitive = dnnl::convolution_backward_weights(pd);
      entry->src = memory(pd.src_desc(), cpuEngine(), nullptr);
      entry->diffDst = memory(pd.diff_dst_desc(), cpuEngine(), nullptr);
      entry->diffFilter.init(s.userFilter(), pd.diff_weights_desc(), false);
      return entry;
    });
    auto& stream = cpuStream();
    e.src.set_data_handle(x.data);
    e.diffDst.set_data_handle(dy.data);
    e.diffFilter.user.set_data_handle(dw.data);
    e.primitive.execute(stream, {{DNNL_ARG_SRC, e.src},
                                 {DNNL_ARG_DIFF_DST, e.diffDst},
                                 {DNNL_ARG_DIFF_WEIGHTS, e.diffFilter.internal}});
    if (e.diffFilter.needed) e.diffFilter.reorder.execute(stream, e.diffFilter.internal, e.diffFilter.user);
    stream.wait();
    return undefinedValue(env);
  });
}

/** Which implementation oneDNN chose for a forward convolution (for diagnostics and the benchmark). */
napi_value Implementation(napi_env env, napi_callback_info info) {
  return guarded(env, [&] {
    auto args = callArgs(env, info, 1);
    const ConvShape s = ConvShape::parse(integers(env, args[0], "params"));
    auto fwd = s.forwardDesc(false, dnnl::primitive_attr());
    dnnl::convolution_backward_data::desc dd(dnnl::algorithm::convolution_direct, s.src(), s.anyFilter(), s.dst(),
                                             s.strides(), s.dilations(), s.padL(), s.padR());
    dnnl::convolution_backward_data::primitive_desc bd(dd, cpuEngine(), fwd);
    dnnl::convolution_backward_weights::desc wd(dnnl::algorithm::convolution_direct, s.src(), s.anyFilter(), s.dst(),
                                                s.strides(), s.dilations(), s.padL(), s.padR());
    dnnl::convolution_backward_weights::primitive_desc bw(wd, cpuEngine(), fwd);
    std::string text = std::string("forward ") + fwd.impl_info_str() + ", input gradient " + bd.impl_info_str() +
                       ", filter gradient " + bw.impl_info_str();
    napi_value result;
    check(env, napi_create_string_utf8(env, text.c_str(), text.size(), &result), "create_string");
    return result;
  });
}

}  // namespace

void registerConv(napi_env env, napi_value exports) {
  onThreadsChanged(clearConvCaches);
  const napi_property_descriptor properties[] = {
      {"conv2dForward", nullptr, Forward, nullptr, nullptr, nullptr, napi_enumerable, nullptr},
      {"conv2dBackwardInput", nullptr, BackwardInput, nullptr, nullptr, nullptr, napi_enumerable, nullptr},
      {"conv2dBackwardFilter", nullptr, BackwardFilter, nullptr, nullptr, nullptr, napi_enumerable, nullptr},
      {"conv2dImplementation", nullptr, Implementation, nullptr, nullptr, nullptr, napi_enumerable, nullptr},
  };
  check(env, napi_define_properties(env, exports, sizeof(properties) / sizeof(properties[0]), properties),
        "define_properties");
}

}  // namespace native
