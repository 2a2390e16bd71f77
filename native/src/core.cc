// Handle table, tensor creation and inspection, autograd, and process-wide settings.
#include "common.h"

#include <ATen/Parallel.h>
#include <ATen/autocast_mode.h>
#include <ATen/detail/CUDAHooksInterface.h>
#include <torch/csrc/autograd/autograd.h>
#include <torch/csrc/autograd/grad_mode.h>
#include <c10/util/Logging.h>
#include <cstdlib>
#if defined(__GLIBC__)
#include <malloc.h>
#endif
#include <cstring>
#include <sstream>
#include <unordered_map>
#include <torch/version.h>

namespace loom {

namespace {

constexpr uint32_t kSlotBits = 22;
constexpr double kSlotSpan = double(1u << kSlotBits);
constexpr uint32_t kMaxSlots = 1u << kSlotBits;

struct Slot {
  at::Tensor t;
  uint32_t gen = 0;
  const void* storage = nullptr;  // key into storageRefs; null when the tensor has no storage
  bool live = false;
};

std::vector<Slot> slots;
std::vector<uint32_t> freeSlots;
int64_t liveCount = 0;
int64_t liveBytes = 0;
int64_t pendingExternal = 0;  // bytes not yet reported to V8
constexpr int64_t kReportEvery = 1 << 20;

void reportExternal(napi_env env, bool force = false) {
  if (pendingExternal == 0) return;
  if (force || pendingExternal > kReportEvery || pendingExternal < -kReportEvery) {
    int64_t result = 0;
    napi_adjust_external_memory(env, pendingExternal, &result);
    pendingExternal = 0;
  }
}

// Bytes are counted per storage, not per handle: views, aliases, detached copies and expanded
// tensors share their base's memory, and counting numel * itemsize for each (an expand of one
// element to 10^8 "held" 400 MB) made liveBytes and the figure reported to V8 far too large.
struct StorageRef {
  int64_t handles = 0;
  int64_t bytes = 0;
};
std::unordered_map<const void*, StorageRef> storageRefs;

void holdStorage(Slot& s) {
  s.storage = nullptr;
  if (!s.t.defined() || !s.t.has_storage()) return;
  const c10::StorageImpl* impl = s.t.storage().unsafeGetStorageImpl();
  if (!impl) return;
  s.storage = impl;
  StorageRef& r = storageRefs[impl];
  if (r.handles++ == 0) {
    r.bytes = static_cast<int64_t>(impl->nbytes());
    liveBytes += r.bytes;
    pendingExternal += r.bytes;
  }
}

void releaseStorage(Slot& s) {
  if (!s.storage) return;
  auto it = storageRefs.find(s.storage);
  s.storage = nullptr;
  if (it == storageRefs.end()) return;
  if (--it->second.handles == 0) {
    liveBytes -= it->second.bytes;
    pendingExternal -= it->second.bytes;
    storageRefs.erase(it);
  }
}

// Ids are non-negative integers below 2^53 (generation * 2^22 + slot). Anything else (a disposed
// tensor's -1, NaN, Infinity, a fraction) never names a live slot; without this check a non-finite
// id would be cast to an integer with undefined behaviour and could alias slot 0.
bool validId(double id) { return id >= 0 && id <= 9007199254740991.0 && std::floor(id) == id; }

Slot& slotOf(double id, uint32_t* indexOut = nullptr) {
  if (!validId(id)) throw LoomError("Tensor used after dispose()");
  double genD = std::floor(id / kSlotSpan);
  uint32_t index = static_cast<uint32_t>(id - genD * kSlotSpan);
  uint32_t gen = static_cast<uint32_t>(genD);
  if (index >= slots.size() || !slots[index].live || slots[index].gen != gen)
    throw LoomError("Tensor used after dispose()");
  if (indexOut) *indexOut = index;
  return slots[index];
}

}  // namespace

at::Tensor& tensorOf(const Napi::Value& v) {
  if (!v.IsNumber()) throw LoomError("expected a Tensor");
  return slotOf(v.As<Napi::Number>().DoubleValue()).t;
}

Napi::Value wrap(Napi::Env env, at::Tensor t) {
  if (!t.defined()) return env.Null();
  uint32_t index;
  if (!freeSlots.empty()) {
    index = freeSlots.back();
    freeSlots.pop_back();
  } else {
    if (slots.size() >= kMaxSlots) throw LoomError("too many live tensors (4M): dispose tensors or use tidy()");
    index = static_cast<uint32_t>(slots.size());
    slots.emplace_back();
  }
  Slot& s = slots[index];
  s.t = std::move(t);
  s.live = true;
  ++liveCount;
  holdStorage(s);
  reportExternal(env);
  return Napi::Number::New(env, double(s.gen) * kSlotSpan + double(index));
}

Napi::Value wrapList(Napi::Env env, const std::vector<at::Tensor>& ts) {
  Napi::Array arr = Napi::Array::New(env, ts.size());
  for (size_t i = 0; i < ts.size(); ++i) arr.Set(uint32_t(i), wrap(env, ts[i]));
  return arr;
}

std::vector<at::Tensor> tensorList(const Napi::Value& v) {
  if (!v.IsArray()) throw LoomError("expected an array of Tensors");
  Napi::Array arr = v.As<Napi::Array>();
  std::vector<at::Tensor> out;
  out.reserve(arr.Length());
  for (uint32_t i = 0; i < arr.Length(); ++i) out.push_back(tensorOf(arr.Get(i)));
  return out;
}

// Only null/undefined mean "no tensor". A negative id is a disposed tensor and must throw like any
// other use after dispose(), not silently drop an optional argument (a bias, a weight, a gradient).
c10::optional<at::Tensor> optTensor(const Napi::Value& v) {
  if (v.IsUndefined() || v.IsNull()) return c10::nullopt;
  return tensorOf(v);
}

int64_t i64(const Napi::Value& v) {
  if (!v.IsNumber()) throw LoomError("expected an integer");
  double d = v.As<Napi::Number>().DoubleValue();
  // Reject fractions and non-finite values instead of truncating them: select(0, 1.5) or
  // reshape(1.5, 6) must not quietly mean select(0, 1) or reshape(1, 6).
  if (!std::isfinite(d) || std::floor(d) != d || std::fabs(d) > 9007199254740991.0) {
    std::ostringstream os;
    os << "expected an integer, got " << d;
    throw LoomError(os.str());
  }
  return static_cast<int64_t>(d);
}
double f64(const Napi::Value& v) {
  if (v.IsBoolean()) return v.As<Napi::Boolean>().Value() ? 1.0 : 0.0;
  if (!v.IsNumber()) throw LoomError("expected a number");
  return v.As<Napi::Number>().DoubleValue();
}
bool boolean(const Napi::Value& v) { return v.ToBoolean().Value(); }
std::string str(const Napi::Value& v) {
  if (!v.IsString()) throw LoomError("expected a string");
  return v.As<Napi::String>().Utf8Value();
}
at::MemoryFormat memoryFormatOf(const Napi::Value& v) {
  if (v.IsUndefined() || v.IsNull()) return at::MemoryFormat::Contiguous;
  std::string s = str(v);
  if (s == "contiguous") return at::MemoryFormat::Contiguous;
  if (s == "channels_last") return at::MemoryFormat::ChannelsLast;
  throw LoomError("unknown memory format '" + s + "' (contiguous or channels_last)");
}

std::vector<int64_t> intList(const Napi::Value& v) {
  if (v.IsNumber()) return {i64(v)};
  if (!v.IsArray()) throw LoomError("expected an array of integers");
  Napi::Array arr = v.As<Napi::Array>();
  std::vector<int64_t> out(arr.Length());
  for (uint32_t i = 0; i < arr.Length(); ++i) out[i] = i64(arr.Get(i));
  return out;
}

// dtype codes shared with src/engine/dtype.ts
static const at::ScalarType kDtypes[] = {
    at::kFloat, at::kDouble, at::kHalf, at::kBFloat16, at::kLong,
    at::kInt,   at::kByte,   at::kBool, at::kChar,     at::kShort};
constexpr int kNumDtypes = sizeof(kDtypes) / sizeof(kDtypes[0]);

at::ScalarType dtypeOf(const Napi::Value& v) {
  int64_t c = i64(v);
  if (c < 0 || c >= kNumDtypes) throw LoomError("unknown dtype code " + std::to_string(c));
  return kDtypes[c];
}
int dtypeCode(at::ScalarType t) {
  for (int i = 0; i < kNumDtypes; ++i)
    if (kDtypes[i] == t) return i;
  throw LoomError(std::string("dtype not supported by Loom: ") + c10::toString(t));
}
at::Device deviceOf(const Napi::Value& v) {
  if (v.IsUndefined() || v.IsNull()) return at::Device(at::kCPU);
  int64_t d = i64(v);
  if (d < 0) return at::Device(at::kCPU);
  if (!at::hasCUDA()) throw LoomError("CUDA device requested but this libtorch has no CUDA support or no GPU is visible");
  return at::Device(at::kCUDA, static_cast<c10::DeviceIndex>(d));
}
at::TensorOptions options(const Napi::Value& dtype, const Napi::Value& device) {
  return at::TensorOptions().dtype(dtypeOf(dtype)).device(deviceOf(device));
}

namespace {

// ---- lifetime -------------------------------------------------------------
Napi::Value Dispose(const Napi::CallbackInfo& info) {
  if (!info[0].IsNumber()) return info.Env().Undefined();
  double id = info[0].As<Napi::Number>().DoubleValue();
  if (!validId(id)) return info.Env().Undefined();
  double genD = std::floor(id / kSlotSpan);
  uint32_t index = static_cast<uint32_t>(id - genD * kSlotSpan);
  // Stale ids (double dispose, late finalizer) are ignored: they never touch a reused slot.
  if (index >= slots.size() || !slots[index].live || slots[index].gen != uint32_t(genD))
    return Napi::Boolean::New(info.Env(), false);
  Slot& s = slots[index];
  // Release the count first: the key stays valid while s.t still holds the storage.
  releaseStorage(s);
  s.t = at::Tensor();
  s.live = false;
  s.gen = (s.gen + 1) & 0x7fffffff;
  --liveCount;
  freeSlots.push_back(index);
  reportExternal(info.Env());
  return Napi::Boolean::New(info.Env(), true);
}

Napi::Value IsLive(const Napi::CallbackInfo& info) {
  try {
    slotOf(f64(info[0]));
    return Napi::Boolean::New(info.Env(), true);
  } catch (const LoomError&) {
    return Napi::Boolean::New(info.Env(), false);
  }
}

Napi::Value MemoryInfo(const Napi::CallbackInfo& info) {
  reportExternal(info.Env(), true);
  Napi::Object o = Napi::Object::New(info.Env());
  o.Set("liveTensors", Napi::Number::New(info.Env(), double(liveCount)));
  o.Set("liveBytes", Napi::Number::New(info.Env(), double(liveBytes)));
  o.Set("slots", Napi::Number::New(info.Env(), double(slots.size())));
  return o;
}

// ---- creation ------------------------------------------------------------
// fromBuffer(typedArrayOrBuffer, dtype, shape, device)
Napi::Value FromBuffer(const Napi::CallbackInfo& info) {
  const uint8_t* data = nullptr;
  size_t len = 0;
  if (info[0].IsTypedArray()) {
    auto ta = info[0].As<Napi::TypedArray>();
    auto buf = ta.ArrayBuffer();
    data = static_cast<const uint8_t*>(buf.Data()) + ta.ByteOffset();
    len = ta.ByteLength();
  } else if (info[0].IsArrayBuffer()) {
    auto buf = info[0].As<Napi::ArrayBuffer>();
    data = static_cast<const uint8_t*>(buf.Data());
    len = buf.ByteLength();
  } else if (info[0].IsDataView()) {
    auto dv = info[0].As<Napi::DataView>();
    data = static_cast<const uint8_t*>(dv.ArrayBuffer().Data()) + dv.ByteOffset();
    len = dv.ByteLength();
  } else {
    throw LoomError("fromBuffer expects a TypedArray, ArrayBuffer or DataView");
  }
  auto dtype = dtypeOf(info[1]);
  auto shape = intList(info[2]);
  int64_t numel = 1;
  for (auto d : shape) {
    if (d < 0) throw LoomError("negative dimension in shape");
    numel *= d;
  }
  size_t need = size_t(numel) * c10::elementSize(dtype);
  if (need != len)
    throw LoomError("buffer holds " + std::to_string(len) + " bytes but shape and dtype need " +
                    std::to_string(need));
  at::Tensor t = at::empty(shape, at::TensorOptions().dtype(dtype));
  if (len) std::memcpy(t.data_ptr(), data, len);
  at::Device dev = deviceOf(info[3]);
  if (!dev.is_cpu()) t = t.to(dev);
  return wrap(info.Env(), t);
}

// toBuffer(id) -> ArrayBuffer holding a contiguous copy of the tensor's data.
Napi::Value ToBuffer(const Napi::CallbackInfo& info) {
  at::Tensor t = tensorOf(info[0]).detach();
  if (!t.device().is_cpu()) t = t.cpu();
  t = t.contiguous();
  size_t len = size_t(t.numel()) * t.element_size();
  Napi::ArrayBuffer buf = Napi::ArrayBuffer::New(info.Env(), len);
  if (len) std::memcpy(buf.Data(), t.data_ptr(), len);
  return buf;
}

Napi::Value Empty(const Napi::CallbackInfo& info) {
  return wrap(info.Env(), at::empty(intList(info[0]), options(info[1], info[2])));
}
Napi::Value Zeros(const Napi::CallbackInfo& info) {
  return wrap(info.Env(), at::zeros(intList(info[0]), options(info[1], info[2])));
}
Napi::Value Ones(const Napi::CallbackInfo& info) {
  return wrap(info.Env(), at::ones(intList(info[0]), options(info[1], info[2])));
}
Napi::Value Full(const Napi::CallbackInfo& info) {
  return wrap(info.Env(), at::full(intList(info[0]), f64(info[1]), options(info[2], info[3])));
}
Napi::Value Arange(const Napi::CallbackInfo& info) {
  return wrap(info.Env(), at::arange(f64(info[0]), f64(info[1]), f64(info[2]), options(info[3], info[4])));
}
Napi::Value Linspace(const Napi::CallbackInfo& info) {
  return wrap(info.Env(), at::linspace(f64(info[0]), f64(info[1]), i64(info[2]), options(info[3], info[4])));
}
Napi::Value Rand(const Napi::CallbackInfo& info) {
  return wrap(info.Env(), at::rand(intList(info[0]), options(info[1], info[2])));
}
Napi::Value Randn(const Napi::CallbackInfo& info) {
  return wrap(info.Env(), at::randn(intList(info[0]), options(info[1], info[2])));
}
Napi::Value Randint(const Napi::CallbackInfo& info) {
  return wrap(info.Env(), at::randint(i64(info[0]), i64(info[1]), intList(info[2]), options(info[3], info[4])));
}
Napi::Value Randperm(const Napi::CallbackInfo& info) {
  return wrap(info.Env(), at::randperm(i64(info[0]), options(info[1], info[2])));
}
Napi::Value Eye(const Napi::CallbackInfo& info) {
  return wrap(info.Env(), at::eye(i64(info[0]), i64(info[1]), options(info[2], info[3])));
}
Napi::Value Scalar(const Napi::CallbackInfo& info) {
  return wrap(info.Env(), at::scalar_tensor(f64(info[0]), options(info[1], info[2])));
}

// ---- inspection ----------------------------------------------------------
Napi::Value Shape(const Napi::CallbackInfo& info) {
  const at::Tensor& t = tensorOf(info[0]);
  auto sizes = t.sizes();
  Napi::Array arr = Napi::Array::New(info.Env(), sizes.size());
  for (size_t i = 0; i < sizes.size(); ++i) arr.Set(uint32_t(i), Napi::Number::New(info.Env(), double(sizes[i])));
  return arr;
}
Napi::Value Strides(const Napi::CallbackInfo& info) {
  const at::Tensor& t = tensorOf(info[0]);
  auto st = t.strides();
  Napi::Array arr = Napi::Array::New(info.Env(), st.size());
  for (size_t i = 0; i < st.size(); ++i) arr.Set(uint32_t(i), Napi::Number::New(info.Env(), double(st[i])));
  return arr;
}
Napi::Value Dtype(const Napi::CallbackInfo& info) {
  return Napi::Number::New(info.Env(), dtypeCode(tensorOf(info[0]).scalar_type()));
}
Napi::Value Device(const Napi::CallbackInfo& info) {
  const at::Tensor& t = tensorOf(info[0]);
  return Napi::Number::New(info.Env(), t.is_cuda() ? double(t.device().index()) : -1.0);
}
Napi::Value Numel(const Napi::CallbackInfo& info) {
  return Napi::Number::New(info.Env(), double(tensorOf(info[0]).numel()));
}
Napi::Value Dim(const Napi::CallbackInfo& info) {
  return Napi::Number::New(info.Env(), double(tensorOf(info[0]).dim()));
}
Napi::Value Item(const Napi::CallbackInfo& info) {
  const at::Tensor& t = tensorOf(info[0]);
  if (t.numel() != 1)
    throw LoomError("item() needs a tensor with exactly one element, got " + std::to_string(t.numel()));
  return Napi::Number::New(info.Env(), t.item<double>());
}
// isContiguous(id, format?) -> whether the tensor is laid out contiguously in that format.
Napi::Value IsContiguous(const Napi::CallbackInfo& info) {
  return Napi::Boolean::New(info.Env(), tensorOf(info[0]).is_contiguous(memoryFormatOf(info[1])));
}
// memoryFormat(id) -> "channels_last" or "contiguous": the layout kernels will compute in (by the strides).
Napi::Value MemoryFormatOf(const Napi::CallbackInfo& info) {
  bool cl = tensorOf(info[0]).suggest_memory_format() == at::MemoryFormat::ChannelsLast;
  return Napi::String::New(info.Env(), cl ? "channels_last" : "contiguous");
}
Napi::Value Format(const Napi::CallbackInfo& info) {
  std::ostringstream os;
  os << tensorOf(info[0]);
  return Napi::String::New(info.Env(), os.str());
}
Napi::Value SameStorage(const Napi::CallbackInfo& info) {
  return Napi::Boolean::New(info.Env(), tensorOf(info[0]).is_alias_of(tensorOf(info[1])));
}

// ---- autograd ------------------------------------------------------------
Napi::Value RequiresGrad(const Napi::CallbackInfo& info) {
  return Napi::Boolean::New(info.Env(), tensorOf(info[0]).requires_grad());
}
Napi::Value SetRequiresGrad(const Napi::CallbackInfo& info) {
  tensorOf(info[0]).set_requires_grad(boolean(info[1]));
  return info.Env().Undefined();
}
Napi::Value IsLeaf(const Napi::CallbackInfo& info) {
  return Napi::Boolean::New(info.Env(), tensorOf(info[0]).is_leaf());
}
Napi::Value Grad(const Napi::CallbackInfo& info) {
  return wrap(info.Env(), tensorOf(info[0]).grad());
}
Napi::Value SetGrad(const Napi::CallbackInfo& info) {
  auto g = optTensor(info[1]);
  tensorOf(info[0]).mutable_grad() = g ? *g : at::Tensor();
  return info.Env().Undefined();
}
// setData(dst, src): dst takes src's data (shape, dtype, device) but keeps its own identity,
// autograd flags and every handle to it, like `param.data = src` in PyTorch.
Napi::Value SetData(const Napi::CallbackInfo& info) {
  Slot& dst = slotOf(f64(info[0]));
  const at::Tensor& src = tensorOf(info[1]);
  dst.t.set_data(src);
  // Move this handle's byte accounting to the new storage (other handles to the same tensor keep
  // counting the old one until they are disposed: an overcount, never a double free).
  releaseStorage(dst);
  holdStorage(dst);
  reportExternal(info.Env());
  return info.Env().Undefined();
}
Napi::Value RetainGrad(const Napi::CallbackInfo& info) {
  tensorOf(info[0]).retain_grad();
  return info.Env().Undefined();
}
// zeroGrads(ids, setToNone)
Napi::Value ZeroGrads(const Napi::CallbackInfo& info) {
  bool none = boolean(info[1]);
  for (auto& t : tensorList(info[0])) {
    at::Tensor& g = t.mutable_grad();
    if (!g.defined()) continue;
    if (none) {
      g = at::Tensor();
    } else {
      if (g.grad_fn()) g = g.detach();
      else g.requires_grad_(false);
      g.zero_();
    }
  }
  return info.Env().Undefined();
}
// backward(id, gradId|null, retainGraph, createGraph)
Napi::Value Backward(const Napi::CallbackInfo& info) {
  at::Tensor& t = tensorOf(info[0]);
  auto g = optTensor(info[1]);
  if (!t.requires_grad())
    throw LoomError("backward(): the tensor does not require grad and has no grad_fn (was it made under noGrad, or from tensors without requiresGrad?)");
  if (!g && t.numel() != 1)
    throw LoomError("backward(): a gradient must be given for a non-scalar output of shape " + c10::str(t.sizes()));
  bool create = boolean(info[3]);
  bool retain = info[2].IsUndefined() || info[2].IsNull() ? create : boolean(info[2]);
  t.backward(g ? *g : at::Tensor(), retain, create);
  return info.Env().Undefined();
}
// grad(outputs, inputs, gradOutputs|null, retainGraph, createGraph, allowUnused)
Napi::Value GradOf(const Napi::CallbackInfo& info) {
  auto outs = tensorList(info[0]);
  auto ins = tensorList(info[1]);
  std::vector<at::Tensor> gouts;
  if (info[2].IsArray()) {
    Napi::Array a = info[2].As<Napi::Array>();
    for (uint32_t i = 0; i < a.Length(); ++i) {
      auto o = optTensor(a.Get(i));
      gouts.push_back(o ? *o : at::Tensor());
    }
  }
  bool create = boolean(info[4]);
  c10::optional<bool> retain;
  if (!info[3].IsUndefined() && !info[3].IsNull()) retain = boolean(info[3]);
  auto res = torch::autograd::grad(outs, ins, gouts, retain, create, boolean(info[5]));
  return wrapList(info.Env(), res);
}
Napi::Value SetGradEnabled(const Napi::CallbackInfo& info) {
  bool prev = at::GradMode::is_enabled();
  at::GradMode::set_enabled(boolean(info[0]));
  return Napi::Boolean::New(info.Env(), prev);
}
Napi::Value IsGradEnabled(const Napi::CallbackInfo& info) {
  return Napi::Boolean::New(info.Env(), at::GradMode::is_enabled());
}

// ---- settings ------------------------------------------------------------
Napi::Value ManualSeed(const Napi::CallbackInfo& info) {
  at::manual_seed(static_cast<uint64_t>(i64(info[0])));
  return info.Env().Undefined();
}
Napi::Value SetNumThreads(const Napi::CallbackInfo& info) {
  int64_t n = i64(info[0]);
  if (n < 1) throw LoomError("setNumThreads needs n >= 1");
  at::set_num_threads(int(n));
  return info.Env().Undefined();
}
Napi::Value GetNumThreads(const Napi::CallbackInfo& info) {
  return Napi::Number::New(info.Env(), at::get_num_threads());
}
Napi::Value CudaDeviceCount(const Napi::CallbackInfo& info) {
  return Napi::Number::New(info.Env(), at::hasCUDA() ? at::detail::getCUDAHooks().getNumGPUs() : 0);
}
Napi::Value CudaSynchronize(const Napi::CallbackInfo& info) {
  if (at::hasCUDA()) {
    // A device-to-host copy of one element waits for all queued kernels on the current stream.
    at::zeros({1}, at::TensorOptions().device(at::kCUDA)).cpu();
  }
  return info.Env().Undefined();
}
// ---- autocast (mixed precision) -------------------------------------------
// Inside an autocast region libtorch runs matrix products and convolutions in a lower precision
// (bfloat16 on the CPU; float16 or bfloat16 on CUDA) and keeps precision-sensitive ops in float32,
// as torch.autocast does. Regions nest; each exit restores the settings its entry found, and the
// outermost exit drops libtorch's cache of lower-precision copies of the weights (they change at
// every optimizer step).
struct AutocastState {
  bool cpu;
  at::ScalarType cpuType;
  bool cuda;
  at::ScalarType cudaType;
};
std::vector<AutocastState> autocastStack;

Napi::Value AutocastEnter(const Napi::CallbackInfo& info) {
  std::string device = str(info[0]);
  at::ScalarType type = dtypeOf(info[1]);
  bool enabled = boolean(info[2]);
  if (device != "cpu" && device != "cuda") throw LoomError("autocast: device must be 'cpu' or 'cuda', got '" + device + "'");
  if (device == "cpu" && type != at::kBFloat16) throw LoomError("autocast on the CPU supports bfloat16 only");
  if (device == "cuda" && type != at::kBFloat16 && type != at::kHalf) throw LoomError("autocast on CUDA supports float16 and bfloat16 only");
  autocastStack.push_back({at::autocast::is_cpu_enabled(), at::autocast::get_autocast_cpu_dtype(), at::autocast::is_enabled(), at::autocast::get_autocast_gpu_dtype()});
  if (device == "cpu") {
    at::autocast::set_cpu_enabled(enabled);
    at::autocast::set_autocast_cpu_dtype(type);
  } else {
    at::autocast::set_enabled(enabled);
    at::autocast::set_autocast_gpu_dtype(type);
  }
  at::autocast::increment_nesting();
  return Napi::Number::New(info.Env(), double(autocastStack.size()));
}
Napi::Value AutocastExit(const Napi::CallbackInfo& info) {
  if (autocastStack.empty()) throw LoomError("autocastExit without a matching autocastEnter");
  if (at::autocast::decrement_nesting() == 0) at::autocast::clear_cache();
  AutocastState s = autocastStack.back();
  autocastStack.pop_back();
  at::autocast::set_cpu_enabled(s.cpu);
  at::autocast::set_autocast_cpu_dtype(s.cpuType);
  at::autocast::set_enabled(s.cuda);
  at::autocast::set_autocast_gpu_dtype(s.cudaType);
  return info.Env().Undefined();
}
Napi::Value GetAutocastState(const Napi::CallbackInfo& info) {
  Napi::Object o = Napi::Object::New(info.Env());
  o.Set("cpu", Napi::Boolean::New(info.Env(), at::autocast::is_cpu_enabled()));
  o.Set("cpuDtype", Napi::Number::New(info.Env(), dtypeCode(at::autocast::get_autocast_cpu_dtype())));
  o.Set("cuda", Napi::Boolean::New(info.Env(), at::autocast::is_enabled()));
  o.Set("cudaDtype", Napi::Number::New(info.Env(), dtypeCode(at::autocast::get_autocast_gpu_dtype())));
  return o;
}

Napi::Value Version(const Napi::CallbackInfo& info) {
  Napi::Object o = Napi::Object::New(info.Env());
  o.Set("torch", Napi::String::New(info.Env(), std::to_string(TORCH_VERSION_MAJOR) + "." + std::to_string(TORCH_VERSION_MINOR) + "." + std::to_string(TORCH_VERSION_PATCH)));
  o.Set("parallel", Napi::String::New(info.Env(), at::get_parallel_info()));
  return o;
}

}  // namespace

void initCore(Napi::Env env, Napi::Object exports) {
  LOOM_EXPORT("dispose", Dispose);
  LOOM_EXPORT("isLive", IsLive);
  LOOM_EXPORT("memoryInfo", MemoryInfo);
  LOOM_EXPORT("fromBuffer", FromBuffer);
  LOOM_EXPORT("toBuffer", ToBuffer);
  LOOM_EXPORT("empty", Empty);
  LOOM_EXPORT("zeros", Zeros);
  LOOM_EXPORT("ones", Ones);
  LOOM_EXPORT("full", Full);
  LOOM_EXPORT("arange", Arange);
  LOOM_EXPORT("linspace", Linspace);
  LOOM_EXPORT("rand", Rand);
  LOOM_EXPORT("randn", Randn);
  LOOM_EXPORT("randint", Randint);
  LOOM_EXPORT("randperm", Randperm);
  LOOM_EXPORT("eye", Eye);
  LOOM_EXPORT("scalar", Scalar);
  LOOM_EXPORT("shape", Shape);
  LOOM_EXPORT("strides", Strides);
  LOOM_EXPORT("dtype", Dtype);
  LOOM_EXPORT("device", Device);
  LOOM_EXPORT("numel", Numel);
  LOOM_EXPORT("dim", Dim);
  LOOM_EXPORT("item", Item);
  LOOM_EXPORT("isContiguous", IsContiguous);
  LOOM_EXPORT("memoryFormat", MemoryFormatOf);
  LOOM_EXPORT("format", Format);
  LOOM_EXPORT("sameStorage", SameStorage);
  LOOM_EXPORT("requiresGrad", RequiresGrad);
  LOOM_EXPORT("setRequiresGrad", SetRequiresGrad);
  LOOM_EXPORT("isLeaf", IsLeaf);
  LOOM_EXPORT("grad", Grad);
  LOOM_EXPORT("setGrad", SetGrad);
  LOOM_EXPORT("setData", SetData);
  LOOM_EXPORT("retainGrad", RetainGrad);
  LOOM_EXPORT("zeroGrads", ZeroGrads);
  LOOM_EXPORT("backward", Backward);
  LOOM_EXPORT("gradOf", GradOf);
  LOOM_EXPORT("setGradEnabled", SetGradEnabled);
  LOOM_EXPORT("isGradEnabled", IsGradEnabled);
  LOOM_EXPORT("manualSeed", ManualSeed);
  LOOM_EXPORT("setNumThreads", SetNumThreads);
  LOOM_EXPORT("getNumThreads", GetNumThreads);
  LOOM_EXPORT("cudaDeviceCount", CudaDeviceCount);
  LOOM_EXPORT("cudaSynchronize", CudaSynchronize);
  LOOM_EXPORT("version", Version);
  LOOM_EXPORT("autocastEnter", AutocastEnter);
  LOOM_EXPORT("autocastExit", AutocastExit);
  LOOM_EXPORT("autocastState", GetAutocastState);
}

}  // namespace loom

// glibc returns large freed blocks to the kernel (munmap, heap trimming), so every training step
// page-faults its activations back in; on a small CNN that is about a fifth of the step time.
// Keep freed memory in the process for reuse instead (bounded: blocks above 128 MiB still go
// straight to the kernel, and more than 256 MiB free at the top of the heap is trimmed).
// LOOM_MALLOC_TUNING=0, or any MALLOC_*_ environment setting of the user's, leaves glibc alone.
static void tuneMalloc() {
#if defined(__GLIBC__)
  const char* off = std::getenv("LOOM_MALLOC_TUNING");
  if (off && std::string(off) == "0") return;
  for (const char* v : {"MALLOC_MMAP_THRESHOLD_", "MALLOC_TRIM_THRESHOLD_", "MALLOC_TOP_PAD_", "MALLOC_MMAP_MAX_"})
    if (std::getenv(v)) return;
  mallopt(M_MMAP_THRESHOLD, 128 << 20);
  mallopt(M_TRIM_THRESHOLD, 256 << 20);
  mallopt(M_TOP_PAD, 64 << 20);
#endif
}

static Napi::Object Init(Napi::Env env, Napi::Object exports) {
  tuneMalloc();
  // Every c10::Error captures and symbolises a C++ backtrace when it is built (about 20 ms each),
  // only for us to drop it (we report what_without_backtrace()). Skip the capture unless asked for
  // with LOOM_CPP_STACKTRACES=1, so a bad shape costs microseconds, not a stall of the event loop.
  const char* traces = std::getenv("LOOM_CPP_STACKTRACES");
  if (!traces || std::string(traces) != "1") c10::SetStackTraceFetcher([] { return std::string(); });
  loom::initCore(env, exports);
  loom::initTensorOps(env, exports);
  loom::initNN(env, exports);
  loom::initOptim(env, exports);
  return exports;
}

NODE_API_MODULE(loom, Init)
