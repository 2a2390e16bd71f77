// Optimizers whose whole step runs natively (one call per step, not one per tensor op),
// following torch.optim's single-tensor SGD, Adam and AdamW exactly.
#include "common.h"

#include <memory>

namespace loom {

namespace {

enum Kind { kSGD = 0, kAdam = 1, kAdamW = 2 };

struct Optimizer {
  Kind kind = kSGD;
  std::vector<at::Tensor> params;
  std::vector<at::Tensor> buf1;   // momentum buffer (SGD) or exp_avg (Adam)
  std::vector<at::Tensor> buf2;   // exp_avg_sq
  std::vector<at::Tensor> buf3;   // max_exp_avg_sq (amsgrad)
  std::vector<int64_t> steps;     // per-parameter step count, as torch.optim keeps it
  double momentum = 0, dampening = 0, weightDecay = 0, beta1 = 0.9, beta2 = 0.999, eps = 1e-8;
  bool nesterov = false, amsgrad = false, maximize = false;
};

std::vector<std::unique_ptr<Optimizer>> optimizers;

Optimizer& optimOf(const Napi::Value& v) {
  int64_t h = i64(v);
  if (h < 0 || size_t(h) >= optimizers.size() || !optimizers[h]) throw LoomError("optimizer used after dispose()");
  return *optimizers[h];
}

double optNum(const Napi::Object& o, const char* key, double dflt) {
  Napi::Value v = o.Get(key);
  return v.IsUndefined() ? dflt : f64(v);
}

void stepSGD(Optimizer& o, double lr) {
  for (size_t i = 0; i < o.params.size(); ++i) {
    at::Tensor& p = o.params[i];
    const at::Tensor& g = p.grad();
    if (!g.defined()) continue;
    at::Tensor d = o.maximize ? g.neg() : g;
    if (o.weightDecay != 0) d = d.add(p, o.weightDecay);
    if (o.momentum != 0) {
      at::Tensor& buf = o.buf1[i];
      if (!buf.defined()) {
        buf = d.clone().detach();
      } else {
        buf.mul_(o.momentum).add_(d, 1 - o.dampening);
      }
      d = o.nesterov ? d.add(buf, o.momentum) : buf;
    }
    p.add_(d, -lr);
  }
}

void stepAdam(Optimizer& o, double lr) {
  for (size_t i = 0; i < o.params.size(); ++i) {
    at::Tensor& p = o.params[i];
    at::Tensor g = p.grad();
    if (!g.defined()) continue;
    if (o.maximize) g = g.neg();
    if (!o.buf1[i].defined()) {
      o.buf1[i] = at::zeros_like(p, at::MemoryFormat::Preserve);
      o.buf2[i] = at::zeros_like(p, at::MemoryFormat::Preserve);
      if (o.amsgrad) o.buf3[i] = at::zeros_like(p, at::MemoryFormat::Preserve);
    }
    int64_t step = ++o.steps[i];
    if (o.weightDecay != 0) {
      if (o.kind == kAdamW) p.mul_(1 - lr * o.weightDecay);
      else g = g.add(p, o.weightDecay);
    }
    at::Tensor& m = o.buf1[i];
    at::Tensor& v = o.buf2[i];
    m.mul_(o.beta1).add_(g, 1 - o.beta1);
    v.mul_(o.beta2).addcmul_(g, g, 1 - o.beta2);
    double bc1 = 1 - std::pow(o.beta1, double(step));
    double bc2 = 1 - std::pow(o.beta2, double(step));
    double stepSize = lr / bc1;
    double bc2Sqrt = std::sqrt(bc2);
    at::Tensor denom;
    if (o.amsgrad) {
      at::maximum_out(o.buf3[i], o.buf3[i], v);
      denom = (o.buf3[i].sqrt() / bc2Sqrt).add_(o.eps);
    } else {
      denom = (v.sqrt() / bc2Sqrt).add_(o.eps);
    }
    p.addcdiv_(m, denom, -stepSize);
  }
}

// optimCreate(kind, paramIds, options) -> handle
Napi::Value OptimCreate(const Napi::CallbackInfo& info) {
  auto o = std::make_unique<Optimizer>();
  std::string kind = str(info[0]);
  if (kind == "sgd") o->kind = kSGD;
  else if (kind == "adam") o->kind = kAdam;
  else if (kind == "adamw") o->kind = kAdamW;
  else throw LoomError("unknown optimizer '" + kind + "'");
  o->params = tensorList(info[1]);
  for (auto& p : o->params)
    if (!p.is_leaf()) throw LoomError("optimizers take leaf tensors (parameters), not results of operations");
  Napi::Object opts = info[2].IsObject() ? info[2].As<Napi::Object>() : Napi::Object::New(info.Env());
  o->momentum = optNum(opts, "momentum", 0);
  o->dampening = optNum(opts, "dampening", 0);
  o->weightDecay = optNum(opts, "weightDecay", o->kind == kAdamW ? 1e-2 : 0);
  o->nesterov = opts.Get("nesterov").ToBoolean();
  o->amsgrad = opts.Get("amsgrad").ToBoolean();
  o->maximize = opts.Get("maximize").ToBoolean();
  o->beta1 = optNum(opts, "beta1", 0.9);
  o->beta2 = optNum(opts, "beta2", 0.999);
  o->eps = optNum(opts, "eps", 1e-8);
  if (o->nesterov && (o->momentum <= 0 || o->dampening != 0))
    throw LoomError("Nesterov momentum requires a momentum and zero dampening");
  if (o->momentum < 0) throw LoomError("momentum must be >= 0");
  if (o->weightDecay < 0) throw LoomError("weight decay must be >= 0");
  if (o->beta1 < 0 || o->beta1 >= 1 || o->beta2 < 0 || o->beta2 >= 1) throw LoomError("Adam betas must be in [0, 1)");
  if (o->eps < 0) throw LoomError("eps must be >= 0");
  size_t n = o->params.size();
  o->buf1.resize(n);
  o->buf2.resize(n);
  o->buf3.resize(n);
  o->steps.assign(n, 0);
  optimizers.push_back(std::move(o));
  return Napi::Number::New(info.Env(), double(optimizers.size() - 1));
}

// optimStep(handle, lr)
Napi::Value OptimStep(const Napi::CallbackInfo& info) {
  Optimizer& o = optimOf(info[0]);
  double lr = f64(info[1]);
  if (!(lr >= 0)) throw LoomError("learning rate must be >= 0");
  at::NoGradGuard guard;
  if (o.kind == kSGD) stepSGD(o, lr);
  else stepAdam(o, lr);
  return info.Env().Undefined();
}

Napi::Value OptimZeroGrad(const Napi::CallbackInfo& info) {
  Optimizer& o = optimOf(info[0]);
  bool none = info[1].IsUndefined() ? true : boolean(info[1]);
  for (auto& p : o.params) {
    at::Tensor& g = p.mutable_grad();
    if (!g.defined()) continue;
    if (none) g = at::Tensor();
    else {
      if (g.grad_fn()) g = g.detach();
      else g.requires_grad_(false);
      g.zero_();
    }
  }
  return info.Env().Undefined();
}

// optimState(handle) -> { steps: number[], buffers: [buf1[], buf2[], buf3[]] } (null where unset)
Napi::Value OptimState(const Napi::CallbackInfo& info) {
  Optimizer& o = optimOf(info[0]);
  Napi::Env env = info.Env();
  Napi::Object out = Napi::Object::New(env);
  Napi::Array steps = Napi::Array::New(env, o.steps.size());
  for (size_t i = 0; i < o.steps.size(); ++i) steps.Set(uint32_t(i), Napi::Number::New(env, double(o.steps[i])));
  out.Set("steps", steps);
  Napi::Array bufs = Napi::Array::New(env, 3);
  bufs.Set(0u, wrapList(env, o.buf1));
  bufs.Set(1u, wrapList(env, o.buf2));
  bufs.Set(2u, wrapList(env, o.buf3));
  out.Set("buffers", bufs);
  return out;
}

// optimLoadState(handle, steps, [buf1[], buf2[], buf3[]]) with null for unset buffers
Napi::Value OptimLoadState(const Napi::CallbackInfo& info) {
  Optimizer& o = optimOf(info[0]);
  auto steps = intList(info[1]);
  if (steps.size() != o.params.size()) throw LoomError("optimizer state has a different number of parameters");
  Napi::Array bufs = info[2].As<Napi::Array>();
  std::vector<at::Tensor>* dst[3] = {&o.buf1, &o.buf2, &o.buf3};
  for (uint32_t k = 0; k < 3; ++k) {
    Napi::Array arr = bufs.Get(k).As<Napi::Array>();
    if (arr.Length() != o.params.size()) throw LoomError("optimizer state has a different number of parameters");
    for (uint32_t i = 0; i < arr.Length(); ++i) {
      auto t = optTensor(arr.Get(i));
      if (t && !t->sizes().equals(o.params[i].sizes()))
        throw LoomError("optimizer state buffer " + std::to_string(i) + " does not match its parameter's shape");
      (*dst[k])[i] = t ? t->detach().clone() : at::Tensor();
    }
  }
  o.steps = steps;
  return info.Env().Undefined();
}

Napi::Value OptimDispose(const Napi::CallbackInfo& info) {
  int64_t h = i64(info[0]);
  if (h >= 0 && size_t(h) < optimizers.size()) optimizers[h].reset();
  return info.Env().Undefined();
}

// clipGradNorm(paramIds, maxNorm, normType) -> total norm before clipping
Napi::Value ClipGradNorm(const Napi::CallbackInfo& info) {
  auto params = tensorList(info[0]);
  double maxNorm = f64(info[1]);
  double p = info[2].IsNumber() ? f64(info[2]) : 2.0;
  at::NoGradGuard guard;
  std::vector<at::Tensor> norms;
  for (auto& t : params)
    if (t.grad().defined()) norms.push_back(std::isinf(p) ? t.grad().abs().max() : at::norm(t.grad(), p));
  if (norms.empty()) return Napi::Number::New(info.Env(), 0.0);
  at::Tensor total = std::isinf(p) ? at::stack(norms).max() : at::norm(at::stack(norms), p);
  double coef = maxNorm / (total.item<double>() + 1e-6);
  if (coef < 1)
    for (auto& t : params)
      if (t.grad().defined()) t.mutable_grad().mul_(coef);
  return Napi::Number::New(info.Env(), total.item<double>());
}

}  // namespace

void initOptim(Napi::Env env, Napi::Object exports) {
  LOOM_EXPORT("optimCreate", OptimCreate);
  LOOM_EXPORT("optimStep", OptimStep);
  LOOM_EXPORT("optimZeroGrad", OptimZeroGrad);
  LOOM_EXPORT("optimState", OptimState);
  LOOM_EXPORT("optimLoadState", OptimLoadState);
  LOOM_EXPORT("optimDispose", OptimDispose);
  LOOM_EXPORT("clipGradNorm", ClipGradNorm);
}

}  // namespace loom
