#pragma once
#include "napi_args.h"
namespace native {
/** Adds binary, unary and reduce to `exports`. */
void registerElementwise(napi_env env, napi_value exports);
}  // namespace native
