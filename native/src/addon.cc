// Entry point of the native compute backend's addon: registers the kernels and reports the runtime
// (oneDNN version, threading runtime, CPU instruction set, thread count).
#include <dnnl.hpp>

#if defined(__GLIBC__)
#include <malloc.h>
#endif

#include <string>

#include "batchnorm.h"
#include "conv.h"
#include "dnnl_context.h"
#include "elementwise.h"
#include "matmul.h"
#include "napi_args.h"
#include "pool.h"

namespace native {
namespace {

const char* isaName(dnnl_cpu_isa_t isa) {
  switch (isa) {
    case dnnl_cpu_isa_sse41: return "sse41";
    case dnnl_cpu_isa_avx: return "avx";
    case dnnl_cpu_isa_avx2: return "avx2";
    case dnnl_cpu_isa_avx512_core: return "avx512_core";
    case dnnl_cpu_isa_avx512_core_vnni: return "avx512_core_vnni";
    case dnnl_cpu_isa_avx512_core_bf16: return "avx512_core_bf16";
    case dnnl_cpu_isa_avx512_core_amx: return "avx512_core_amx";
    case dnnl_cpu_isa_avx2_vnni: return "avx2_vnni";
    default: return "other";
  }
}

napi_value SetThreads(napi_env env, napi_callback_info info) {
  return guarded(env, [&] {
    auto args = callArgs(env, info, 1);
    setComputeThreads(static_cast<int>(number(env, args[0], "threads")));
    return undefinedValue(env);
  });
}

napi_value GetThreads(napi_env env, napi_callback_info) {
  return guarded(env, [&] {
    napi_value result;
    check(env, napi_create_int32(env, computeThreads(), &result), "create_int32");
    return result;
  });
}

napi_value RuntimeInfo(napi_env env, napi_callback_info) {
  return guarded(env, [&] {
    const dnnl_version_t* version = dnnl_version();
    std::string text = "oneDNN " + std::to_string(version->major) + "." + std::to_string(version->minor) + "." +
                       std::to_string(version->patch) + " (" +
                       (version->cpu_runtime == DNNL_RUNTIME_OMP ? "OpenMP" :
                        version->cpu_runtime == DNNL_RUNTIME_TBB ? "TBB" : "other runtime") +
                       ", " + isaName(dnnl_get_effective_cpu_isa()) + ")";
    napi_value result;
    check(env, napi_create_string_utf8(env, text.c_str(), text.size(), &result), "create_string");
    return result;
  });
}

/**
 * Every tfjs op allocates its output afresh (8 MB and more for a ResNet activation) and V8 frees it at the
 * next garbage collection. glibc serves such sizes with fresh mmaps, or gives freed heap back to the OS, so
 * nearly every output is page-faulted and zeroed by the kernel again. Keeping them in the heap lets freed
 * outputs be reused (measured: a third fewer page faults, 3-4% faster ResNet-18 training). The process
 * keeps its peak heap instead of returning it: right for a compute process.
 */
void keepLargeAllocationsInHeap() {
#if defined(__GLIBC__)
  mallopt(M_MMAP_THRESHOLD, 256 << 20);
  mallopt(M_TRIM_THRESHOLD, 1 << 30);
#endif
}

napi_value Init(napi_env env, napi_value exports) {
  keepLargeAllocationsInHeap();
  return guarded(env, [&] {
    const napi_property_descriptor properties[] = {
        {"setThreads", nullptr, SetThreads, nullptr, nullptr, nullptr, napi_enumerable, nullptr},
        {"getThreads", nullptr, GetThreads, nullptr, nullptr, nullptr, napi_enumerable, nullptr},
        {"runtimeInfo", nullptr, RuntimeInfo, nullptr, nullptr, nullptr, napi_enumerable, nullptr},
    };
    check(env, napi_define_properties(env, exports, 3, properties), "define_properties");
    registerConv(env, exports);
    registerMatMul(env, exports);
    registerPool(env, exports);
    registerBatchNorm(env, exports);
    registerElementwise(env, exports);
    return exports;
  });
}

}  // namespace
}  // namespace native

NAPI_MODULE(NODE_GYP_MODULE_NAME, native::Init)
