#pragma once
#include "napi_args.h"
namespace native {
/** Adds matMul to `exports`. */
void registerMatMul(napi_env env, napi_value exports);
}  // namespace native
