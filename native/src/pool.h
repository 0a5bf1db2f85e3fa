#pragma once
#include "napi_args.h"
namespace native {
/** Adds poolForward and poolBackward (kind 0 max, 1 average) to `exports`. */
void registerPool(napi_env env, napi_value exports);
}  // namespace native
