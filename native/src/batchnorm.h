#pragma once
#include "napi_args.h"
namespace native {
/** Adds batchNormForward, batchNormBackward, momentsForward and momentsBackward to `exports`. */
void registerBatchNorm(napi_env env, napi_value exports);
}  // namespace native
