#pragma once
#include "napi_args.h"
namespace native {
/** Adds conv2dForward, conv2dBackwardInput, conv2dBackwardFilter and conv2dImplementation to `exports`. */
void registerConv(napi_env env, napi_value exports);
}  // namespace native
