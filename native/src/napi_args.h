// Argument helpers for the N-API entry points: typed arrays are read in place (no copies), numbers and
// number arrays are converted, and every failure becomes a C++ exception that `guarded` turns into a JS Error.
#pragma once
#ifndef NAPI_VERSION
#define NAPI_VERSION 8
#endif
#include <node_api.h>

#include <cstddef>
#include <cstdint>
#include <stdexcept>
#include <string>
#include <vector>

namespace native {

/** A view of a Float32Array's memory, owned by JS; valid for the duration of one call. */
struct FloatView {
  float* data = nullptr;
  size_t length = 0;
};

inline void check(napi_env env, napi_status status, const char* what) {
  (void)env;
  if (status != napi_ok) throw std::runtime_error(std::string("N-API call failed: ") + what);
}

/** Reads argument `index` of the call; at most `maxArgs` are read. */
/** The call's arguments: `expected` required ones, then `optional` more that are undefined when not passed. */
inline std::vector<napi_value> callArgs(napi_env env, napi_callback_info info, size_t expected, size_t optional = 0) {
  std::vector<napi_value> args(expected + optional);
  size_t count = args.size();
  check(env, napi_get_cb_info(env, info, &count, args.data(), nullptr, nullptr), "get_cb_info");
  if (count < expected) throw std::invalid_argument("expected " + std::to_string(expected) + " arguments");
  return args;
}

inline bool isNullish(napi_env env, napi_value value) {
  napi_valuetype type;
  check(env, napi_typeof(env, value, &type), "typeof");
  return type == napi_null || type == napi_undefined;
}

/** A Float32Array argument, or an empty view when the argument is null/undefined and `optional`. */
inline FloatView floats(napi_env env, napi_value value, const char* name, bool optional = false) {
  FloatView view;
  if (optional && isNullish(env, value)) return view;
  bool isTyped = false;
  check(env, napi_is_typedarray(env, value, &isTyped), "is_typedarray");
  if (!isTyped) throw std::invalid_argument(std::string(name) + " must be a Float32Array");
  napi_typedarray_type type;
  size_t length = 0;
  void* data = nullptr;
  check(env, napi_get_typedarray_info(env, value, &type, &length, &data, nullptr, nullptr), "typedarray_info");
  if (type != napi_float32_array) throw std::invalid_argument(std::string(name) + " must be a Float32Array");
  view.data = static_cast<float*>(data);
  view.length = length;
  return view;
}

inline double number(napi_env env, napi_value value, const char* name) {
  double result = 0;
  if (napi_get_value_double(env, value, &result) != napi_ok) {
    throw std::invalid_argument(std::string(name) + " must be a number");
  }
  return result;
}

/** A JS array of integers (shapes, strides, kernel parameters). */
inline std::vector<int64_t> integers(napi_env env, napi_value value, const char* name) {
  bool isArray = false;
  check(env, napi_is_array(env, value, &isArray), "is_array");
  if (!isArray) throw std::invalid_argument(std::string(name) + " must be an array of integers");
  uint32_t length = 0;
  check(env, napi_get_array_length(env, value, &length), "array_length");
  std::vector<int64_t> result(length);
  for (uint32_t i = 0; i < length; ++i) {
    napi_value element;
    check(env, napi_get_element(env, value, i, &element), "get_element");
    int64_t v = 0;
    if (napi_get_value_int64(env, element, &v) != napi_ok) {
      throw std::invalid_argument(std::string(name) + " must be an array of integers");
    }
    result[i] = v;
  }
  return result;
}

inline void requireLength(const FloatView& view, size_t expected, const char* name) {
  if (view.length != expected) {
    throw std::invalid_argument(std::string(name) + " has " + std::to_string(view.length) + " elements, expected " +
                                std::to_string(expected));
  }
}

inline napi_value undefinedValue(napi_env env) {
  napi_value result;
  check(env, napi_get_undefined(env, &result), "get_undefined");
  return result;
}

/** Runs an entry point, turning any C++ exception into a pending JS Error. */
template <typename Body>
napi_value guarded(napi_env env, Body body) {
  try {
    return body();
  } catch (const std::exception& error) {
    napi_throw_error(env, "ERR_NATIVE_KERNEL", error.what());
  } catch (...) {
    napi_throw_error(env, "ERR_NATIVE_KERNEL", "unknown native error");
  }
  return nullptr;
}

}  // namespace native
