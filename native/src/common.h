// Shared declarations for the Loom native addon.
//
// Tensors live in a handle table on the native side; JavaScript holds only a
// number (the handle id). An id encodes a slot and that slot's generation, so a
// stale id (a tensor already disposed, or a finalizer that runs late) is detected
// instead of touching whatever now occupies the slot.
#pragma once
#ifndef NAPI_VERSION
#define NAPI_VERSION 8
#endif
#include <napi.h>
#include <ATen/ATen.h>
#include <string>
#include <vector>

namespace loom {

// Converts any exception thrown by libtorch or by our own checks into a JS Error.
// Every exported function goes through this wrapper, so nothing aborts the process.
template <Napi::Value (*F)(const Napi::CallbackInfo&)>
Napi::Value guarded(const Napi::CallbackInfo& info) {
  try {
    return F(info);
  } catch (const Napi::Error&) {
    throw;
  } catch (const c10::Error& e) {
    throw Napi::Error::New(info.Env(), e.what_without_backtrace());
  } catch (const std::exception& e) {
    throw Napi::Error::New(info.Env(), e.what());
  }
}

struct LoomError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

// ---- handle table -------------------------------------------------------
at::Tensor& tensorOf(const Napi::Value& v);          // throws LoomError on a bad id
Napi::Value wrap(Napi::Env env, at::Tensor t);        // undefined tensor -> null
Napi::Value wrapList(Napi::Env env, const std::vector<at::Tensor>& ts);
std::vector<at::Tensor> tensorList(const Napi::Value& v);
c10::optional<at::Tensor> optTensor(const Napi::Value& v);  // null/undefined -> nullopt; a disposed id throws

// ---- argument helpers ---------------------------------------------------
int64_t i64(const Napi::Value& v);
double f64(const Napi::Value& v);
bool boolean(const Napi::Value& v);
std::vector<int64_t> intList(const Napi::Value& v);
std::string str(const Napi::Value& v);
// An optional memory-format argument: undefined or "contiguous" -> Contiguous, "channels_last" -> ChannelsLast.
at::MemoryFormat memoryFormatOf(const Napi::Value& v);
at::ScalarType dtypeOf(const Napi::Value& v);
int dtypeCode(at::ScalarType t);
at::Device deviceOf(const Napi::Value& v);
at::TensorOptions options(const Napi::Value& dtype, const Napi::Value& device);

// Registration hooks implemented by each translation unit.
void initTensorOps(Napi::Env env, Napi::Object exports);
void initNN(Napi::Env env, Napi::Object exports);
void initOptim(Napi::Env env, Napi::Object exports);

#define LOOM_EXPORT(name, fn) \
  exports.Set(name, Napi::Function::New<::loom::guarded<fn>>(env, name))

}  // namespace loom
