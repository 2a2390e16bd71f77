// Tensor math: elementwise (unary, binary, in place), reductions, shape ops, linear algebra.
#include "common.h"

#include <torch/csrc/autograd/custom_function.h>

namespace loom {

namespace {

// JS numbers become integral scalars when they hold an integer, as Python ints do,
// so `intTensor.add(2)` stays integral while `intTensor.add(0.5)` promotes.
at::Scalar scalarOf(const Napi::Value& v) {
  if (v.IsBoolean()) return at::Scalar(v.As<Napi::Boolean>().Value());
  double d = f64(v);
  if (std::nearbyint(d) == d && std::fabs(d) < 9.007199254740992e15) return at::Scalar(int64_t(d));
  return at::Scalar(d);
}

// A scalar as a "wrapped number" tensor: takes part in type promotion like a Python scalar.
at::Tensor wrapped(const at::Scalar& s) {
  at::Tensor t = c10::scalar_to_tensor(s);
  t.unsafeGetTensorImpl()->set_wrapped_number(true);
  return t;
}

// ---- unary --------------------------------------------------------------
// GELU with a backward that hands libtorch's kernel a gradient laid out like the input: libtorch
// 1.13's CPU gelu_backward returns wrong values when the two are laid out differently in some ways
// (a contiguous input whose incoming gradient is a transposed or permuted view: errors of whole
// units, or NaN). Its derivative stays libtorch's own, so a second derivative works as before.
struct GeluExact : public torch::autograd::Function<GeluExact> {
  static at::Tensor forward(torch::autograd::AutogradContext* ctx, const at::Tensor& x) {
    ctx->save_for_backward({x});
    return at::gelu(x);
  }
  static torch::autograd::variable_list backward(torch::autograd::AutogradContext* ctx, torch::autograd::variable_list grads) {
    const at::Tensor x = ctx->get_saved_variables()[0];
    at::Tensor g = grads[0];
    if (g.strides() != x.strides()) g = at::empty_like(x).copy_(g);
    return {at::gelu_backward(g, x)};
  }
};

at::Tensor geluExact(const at::Tensor& a) {
  // Without a gradient to compute, libtorch's own op (the custom function records a graph node).
  if (!a.requires_grad() || !at::GradMode::is_enabled()) return at::gelu(a);
  return GeluExact::apply(a);
}

#define UNARY_OPS(X)                                       \
  X(neg, at::neg(a)) X(abs, at::abs(a)) X(exp, at::exp(a)) \
  X(log, at::log(a)) X(log2, at::log2(a)) X(log10, at::log10(a)) \
  X(log1p, at::log1p(a)) X(expm1, at::expm1(a)) X(sqrt, at::sqrt(a)) \
  X(rsqrt, at::rsqrt(a)) X(sin, at::sin(a)) X(cos, at::cos(a)) X(tan, at::tan(a)) \
  X(asin, at::asin(a)) X(acos, at::acos(a)) X(atan, at::atan(a)) \
  X(sinh, at::sinh(a)) X(cosh, at::cosh(a)) X(tanh, at::tanh(a)) \
  X(sigmoid, at::sigmoid(a)) X(relu, at::relu(a)) X(relu6, at::hardtanh(a, 0, 6)) \
  X(gelu, geluExact(a)) X(gelu_tanh, at::gelu(a, "tanh")) X(silu, at::silu(a)) \
  X(hardswish, at::hardswish(a)) X(hardsigmoid, at::hardsigmoid(a)) X(mish, at::mish(a)) \
  X(sign, at::sign(a)) X(floor, at::floor(a)) X(ceil, at::ceil(a)) X(round, at::round(a)) \
  X(trunc, at::trunc(a)) X(reciprocal, at::reciprocal(a)) X(square, at::square(a)) \
  X(logical_not, at::logical_not(a)) X(erf, at::erf(a)) X(isnan, at::isnan(a)) \
  X(isinf, at::isinf(a)) X(isfinite, at::isfinite(a)) X(logsigmoid, at::log_sigmoid(a)) \
  X(tanhshrink, at::sub(a, at::tanh(a))) X(selu, at::selu(a)) X(frac, at::frac(a))

#define X_ENUM(name, expr) U_##name,
enum UnaryOp { UNARY_OPS(X_ENUM) U_COUNT };
#undef X_ENUM

at::Tensor unary(int op, const at::Tensor& a) {
  switch (op) {
#define X_CASE(name, expr) \
  case U_##name:           \
    return expr;
    UNARY_OPS(X_CASE)
#undef X_CASE
  }
  throw LoomError("unknown unary op code " + std::to_string(op));
}

Napi::Value UnaryNames(const Napi::CallbackInfo& info) {
  Napi::Array arr = Napi::Array::New(info.Env());
  uint32_t i = 0;
#define X_NAME(name, expr) arr.Set(i++, Napi::String::New(info.Env(), #name));
  UNARY_OPS(X_NAME)
#undef X_NAME
  return arr;
}

Napi::Value Unary(const Napi::CallbackInfo& info) {
  return wrap(info.Env(), unary(int(i64(info[0])), tensorOf(info[1])));
}

// In-place unary ops, for those that have an in-place form.
Napi::Value UnaryInplace(const Napi::CallbackInfo& info) {
  std::string op = str(info[0]);
  at::Tensor& a = tensorOf(info[1]);
  if (op == "relu") a.relu_();
  else if (op == "neg") a.neg_();
  else if (op == "exp") a.exp_();
  else if (op == "sqrt") a.sqrt_();
  else if (op == "sigmoid") a.sigmoid_();
  else if (op == "tanh") a.tanh_();
  else if (op == "abs") a.abs_();
  else if (op == "zero") a.zero_();
  else throw LoomError("no in-place form for unary op '" + op + "'");
  return info[1];
}

// ---- binary -------------------------------------------------------------
#define BINARY_OPS(X)                                                                     \
  X(add) X(sub) X(mul) X(div) X(pow) X(maximum) X(minimum) X(eq) X(ne) X(lt) X(le) X(gt) \
  X(ge) X(logical_and) X(logical_or) X(logical_xor) X(fmod) X(remainder) X(atan2)        \
  X(floor_divide) X(bitwise_and) X(bitwise_or)

#define X_ENUM(name) B_##name,
enum BinaryOp { BINARY_OPS(X_ENUM) B_COUNT };
#undef X_ENUM

at::Tensor binary(int op, const at::Tensor& a, const at::Tensor& b) {
  switch (op) {
    case B_add: return at::add(a, b);
    case B_sub: return at::sub(a, b);
    case B_mul: return at::mul(a, b);
    case B_div: return at::div(a, b);
    case B_pow: return at::pow(a, b);
    case B_maximum: return at::maximum(a, b);
    case B_minimum: return at::minimum(a, b);
    case B_eq: return at::eq(a, b);
    case B_ne: return at::ne(a, b);
    case B_lt: return at::lt(a, b);
    case B_le: return at::le(a, b);
    case B_gt: return at::gt(a, b);
    case B_ge: return at::ge(a, b);
    case B_logical_and: return at::logical_and(a, b);
    case B_logical_or: return at::logical_or(a, b);
    case B_logical_xor: return at::logical_xor(a, b);
    case B_fmod: return at::fmod(a, b);
    case B_remainder: return at::remainder(a, b);
    case B_atan2: return at::atan2(a, b);
    case B_floor_divide: return at::div(a, b, "floor");
    case B_bitwise_and: return at::bitwise_and(a, b);
    case B_bitwise_or: return at::bitwise_or(a, b);
  }
  throw LoomError("unknown binary op code " + std::to_string(op));
}

void binaryInplace(int op, at::Tensor& a, const at::Tensor& b) {
  switch (op) {
    case B_add: a.add_(b); return;
    case B_sub: a.sub_(b); return;
    case B_mul: a.mul_(b); return;
    case B_div: a.div_(b); return;
    case B_pow: a.pow_(b); return;
    case B_maximum: at::maximum_out(a, a, b); return;
    case B_minimum: at::minimum_out(a, a, b); return;
    case B_fmod: a.fmod_(b); return;
    case B_remainder: a.remainder_(b); return;
    default: break;
  }
  throw LoomError("this binary op has no in-place form");
}

Napi::Value BinaryNames(const Napi::CallbackInfo& info) {
  Napi::Array arr = Napi::Array::New(info.Env());
  uint32_t i = 0;
#define X_NAME(name) arr.Set(i++, Napi::String::New(info.Env(), #name));
  BINARY_OPS(X_NAME)
#undef X_NAME
  return arr;
}

// binTT(op, a, b): tensor (op) tensor
Napi::Value BinTT(const Napi::CallbackInfo& info) {
  return wrap(info.Env(), binary(int(i64(info[0])), tensorOf(info[1]), tensorOf(info[2])));
}
// binTS(op, a, s): tensor (op) scalar
Napi::Value BinTS(const Napi::CallbackInfo& info) {
  int op = int(i64(info[0]));
  const at::Tensor& a = tensorOf(info[1]);
  at::Scalar s = scalarOf(info[2]);
  // pow(Tensor, Scalar) is the overload torch uses for `x ** 2`: same promotion, but it also
  // refuses integer tensors to negative integer powers instead of returning garbage.
  if (op == B_pow) return wrap(info.Env(), at::pow(a, s));
  return wrap(info.Env(), binary(op, a, wrapped(s)));
}
// binST(op, s, a): scalar (op) tensor
Napi::Value BinST(const Napi::CallbackInfo& info) {
  return wrap(info.Env(), binary(int(i64(info[0])), wrapped(scalarOf(info[1])), tensorOf(info[2])));
}
Napi::Value BinTTInplace(const Napi::CallbackInfo& info) {
  binaryInplace(int(i64(info[0])), tensorOf(info[1]), tensorOf(info[2]));
  return info[1];
}
Napi::Value BinTSInplace(const Napi::CallbackInfo& info) {
  int op = int(i64(info[0]));
  at::Tensor& a = tensorOf(info[1]);
  at::Scalar s = scalarOf(info[2]);
  if (op == B_pow) a.pow_(s);
  else binaryInplace(op, a, wrapped(s));
  return info[1];
}

// add with alpha: a + alpha * b (in place when inplace is true)
Napi::Value AddScaled(const Napi::CallbackInfo& info) {
  at::Tensor& a = tensorOf(info[0]);
  const at::Tensor& b = tensorOf(info[1]);
  at::Scalar alpha = scalarOf(info[2]);
  if (boolean(info[3])) {
    a.add_(b, alpha);
    return info[0];
  }
  return wrap(info.Env(), at::add(a, b, alpha));
}

Napi::Value Where(const Napi::CallbackInfo& info) {
  const at::Tensor& c = tensorOf(info[0]);
  at::Tensor a = info[1].IsNumber() && info[3].ToBoolean() ? wrapped(scalarOf(info[1])) : tensorOf(info[1]);
  at::Tensor b = info[2].IsNumber() && info[4].ToBoolean() ? wrapped(scalarOf(info[2])) : tensorOf(info[2]);
  return wrap(info.Env(), at::where(c, a, b));
}
Napi::Value Clamp(const Napi::CallbackInfo& info) {
  c10::optional<at::Scalar> lo, hi;
  if (info[1].IsNumber()) lo = scalarOf(info[1]);
  if (info[2].IsNumber()) hi = scalarOf(info[2]);
  if (!lo && !hi) throw LoomError("clamp needs a min or a max");
  if (boolean(info[3])) {
    tensorOf(info[0]).clamp_(lo, hi);
    return info[0];
  }
  return wrap(info.Env(), at::clamp(tensorOf(info[0]), lo, hi));
}
Napi::Value MaskedFill(const Napi::CallbackInfo& info) {
  const at::Tensor& a = tensorOf(info[0]);
  at::Tensor mask = tensorOf(info[1]);
  // libtorch 1.13 accepts a float mask here and silently fills nothing; demand bool (uint8 is
  // converted, which also avoids its deprecation warning on stderr).
  if (mask.scalar_type() == at::kByte) mask = mask.to(at::kBool);
  else if (mask.scalar_type() != at::kBool)
    throw LoomError(std::string("maskedFill(): the mask must be a bool tensor, got ") + c10::toString(mask.scalar_type()));
  return wrap(info.Env(), at::masked_fill(a, mask, scalarOf(info[2])));
}
Napi::Value Lerp(const Napi::CallbackInfo& info) {
  return wrap(info.Env(), at::lerp(tensorOf(info[0]), tensorOf(info[1]), scalarOf(info[2])));
}
Napi::Value LeakyRelu(const Napi::CallbackInfo& info) {
  return wrap(info.Env(), at::leaky_relu(tensorOf(info[0]), scalarOf(info[1])));
}
Napi::Value Elu(const Napi::CallbackInfo& info) {
  return wrap(info.Env(), at::elu(tensorOf(info[0]), scalarOf(info[1])));
}
Napi::Value Softplus(const Napi::CallbackInfo& info) {
  return wrap(info.Env(), at::softplus(tensorOf(info[0]), scalarOf(info[1]), scalarOf(info[2])));
}
Napi::Value Hardtanh(const Napi::CallbackInfo& info) {
  return wrap(info.Env(), at::hardtanh(tensorOf(info[0]), scalarOf(info[1]), scalarOf(info[2])));
}

// ---- filling and copying in place ---------------------------------------
Napi::Value Fill(const Napi::CallbackInfo& info) {
  tensorOf(info[0]).fill_(scalarOf(info[1]));
  return info[0];
}
Napi::Value CopyFrom(const Napi::CallbackInfo& info) {
  tensorOf(info[0]).copy_(tensorOf(info[1]));
  return info[0];
}
Napi::Value Uniform(const Napi::CallbackInfo& info) {
  tensorOf(info[0]).uniform_(f64(info[1]), f64(info[2]));
  return info[0];
}
Napi::Value Normal(const Napi::CallbackInfo& info) {
  tensorOf(info[0]).normal_(f64(info[1]), f64(info[2]));
  return info[0];
}
Napi::Value Bernoulli(const Napi::CallbackInfo& info) {
  return wrap(info.Env(), at::bernoulli(tensorOf(info[0])));
}
Napi::Value Multinomial(const Napi::CallbackInfo& info) {
  return wrap(info.Env(), at::multinomial(tensorOf(info[0]), i64(info[1]), boolean(info[2])));
}

// ---- reductions ---------------------------------------------------------
c10::optional<std::vector<int64_t>> optDims(const Napi::Value& v) {
  if (v.IsUndefined() || v.IsNull()) return c10::nullopt;
  return intList(v);
}

// reduce(kind, a, dims|null, keepdim)
Napi::Value Reduce(const Napi::CallbackInfo& info) {
  std::string kind = str(info[0]);
  const at::Tensor& a = tensorOf(info[1]);
  auto dims = optDims(info[2]);
  bool keep = boolean(info[3]);
  std::vector<int64_t> all;
  at::IntArrayRef d = dims ? at::IntArrayRef(*dims) : at::IntArrayRef(all);
  at::Tensor r;
  if (kind == "sum") r = dims ? at::sum(a, d, keep) : at::sum(a);
  else if (kind == "mean") r = dims ? at::mean(a, d, keep) : at::mean(a);
  else if (kind == "amax") r = at::amax(a, d, keep);
  else if (kind == "amin") r = at::amin(a, d, keep);
  else if (kind == "prod") {
    if (!dims) r = at::prod(a);
    else if (dims->size() == 1) r = at::prod(a, (*dims)[0], keep);
    else throw LoomError("prod reduces over one dimension or all");
  } else if (kind == "logsumexp") {
    if (!dims) {
      for (int64_t i = 0; i < a.dim(); ++i) all.push_back(i);
      d = all;
    }
    r = at::logsumexp(a, d, keep);
  } else if (kind == "all") r = dims ? (dims->size() == 1 ? at::all(a, (*dims)[0], keep) : throw LoomError("all() reduces one dim or all")) : at::all(a);
  else if (kind == "any") r = dims ? (dims->size() == 1 ? at::any(a, (*dims)[0], keep) : throw LoomError("any() reduces one dim or all")) : at::any(a);
  else throw LoomError("unknown reduction '" + kind + "'");
  return wrap(info.Env(), r);
}

// varStd(isStd, a, dims|null, correction, keepdim)
Napi::Value VarStd(const Napi::CallbackInfo& info) {
  bool isStd = boolean(info[0]);
  const at::Tensor& a = tensorOf(info[1]);
  auto dims = optDims(info[2]);
  c10::optional<int64_t> corr = i64(info[3]);
  bool keep = boolean(info[4]);
  at::OptionalIntArrayRef d = dims ? at::OptionalIntArrayRef(*dims) : c10::nullopt;
  return wrap(info.Env(), isStd ? at::std(a, d, corr, keep) : at::var(a, d, corr, keep));
}

// maxMin(isMax, a, dim|null, keepdim) -> value tensor, or [values, indices] along a dim
Napi::Value MaxMin(const Napi::CallbackInfo& info) {
  bool isMax = boolean(info[0]);
  const at::Tensor& a = tensorOf(info[1]);
  if (info[2].IsUndefined() || info[2].IsNull()) return wrap(info.Env(), isMax ? at::max(a) : at::min(a));
  auto r = isMax ? at::max(a, i64(info[2]), boolean(info[3])) : at::min(a, i64(info[2]), boolean(info[3]));
  return wrapList(info.Env(), {std::get<0>(r), std::get<1>(r)});
}
Napi::Value ArgMaxMin(const Napi::CallbackInfo& info) {
  bool isMax = boolean(info[0]);
  const at::Tensor& a = tensorOf(info[1]);
  c10::optional<int64_t> dim;
  if (info[2].IsNumber()) dim = i64(info[2]);
  bool keep = boolean(info[3]);
  return wrap(info.Env(), isMax ? at::argmax(a, dim, keep) : at::argmin(a, dim, keep));
}
Napi::Value Norm(const Napi::CallbackInfo& info) {
  const at::Tensor& a = tensorOf(info[0]);
  double p = f64(info[1]);
  auto dims = optDims(info[2]);
  if (!dims) return wrap(info.Env(), at::norm(a, p));
  return wrap(info.Env(), at::norm(a, p, *dims, boolean(info[3])));
}
Napi::Value Cumsum(const Napi::CallbackInfo& info) {
  return wrap(info.Env(), at::cumsum(tensorOf(info[0]), i64(info[1])));
}
Napi::Value Sort(const Napi::CallbackInfo& info) {
  auto r = at::sort(tensorOf(info[0]), i64(info[1]), boolean(info[2]));
  return wrapList(info.Env(), {std::get<0>(r), std::get<1>(r)});
}
Napi::Value Topk(const Napi::CallbackInfo& info) {
  auto r = at::topk(tensorOf(info[0]), i64(info[1]), i64(info[2]), boolean(info[3]), true);
  return wrapList(info.Env(), {std::get<0>(r), std::get<1>(r)});
}
Napi::Value Equal(const Napi::CallbackInfo& info) {
  return Napi::Boolean::New(info.Env(), at::equal(tensorOf(info[0]), tensorOf(info[1])));
}
Napi::Value Allclose(const Napi::CallbackInfo& info) {
  return Napi::Boolean::New(info.Env(), at::allclose(tensorOf(info[0]), tensorOf(info[1]), f64(info[2]), f64(info[3])));
}

// ---- shape ops ----------------------------------------------------------
Napi::Value Reshape(const Napi::CallbackInfo& info) {
  return wrap(info.Env(), tensorOf(info[0]).reshape(intList(info[1])));
}
Napi::Value View(const Napi::CallbackInfo& info) {
  return wrap(info.Env(), tensorOf(info[0]).view(intList(info[1])));
}
Napi::Value Permute(const Napi::CallbackInfo& info) {
  return wrap(info.Env(), tensorOf(info[0]).permute(intList(info[1])));
}
Napi::Value Transpose(const Napi::CallbackInfo& info) {
  return wrap(info.Env(), tensorOf(info[0]).transpose(i64(info[1]), i64(info[2])));
}
Napi::Value Flatten(const Napi::CallbackInfo& info) {
  return wrap(info.Env(), tensorOf(info[0]).flatten(i64(info[1]), i64(info[2])));
}
Napi::Value Squeeze(const Napi::CallbackInfo& info) {
  const at::Tensor& a = tensorOf(info[0]);
  return wrap(info.Env(), info[1].IsNumber() ? a.squeeze(i64(info[1])) : a.squeeze());
}
Napi::Value Unsqueeze(const Napi::CallbackInfo& info) {
  return wrap(info.Env(), tensorOf(info[0]).unsqueeze(i64(info[1])));
}
Napi::Value Cat(const Napi::CallbackInfo& info) {
  return wrap(info.Env(), at::cat(tensorList(info[0]), i64(info[1])));
}
Napi::Value Stack(const Napi::CallbackInfo& info) {
  return wrap(info.Env(), at::stack(tensorList(info[0]), i64(info[1])));
}
Napi::Value Narrow(const Napi::CallbackInfo& info) {
  return wrap(info.Env(), tensorOf(info[0]).narrow(i64(info[1]), i64(info[2]), i64(info[3])));
}
// slice(a, dim, start|null, end|null, step)
Napi::Value Slice(const Napi::CallbackInfo& info) {
  c10::optional<int64_t> start, end;
  if (info[2].IsNumber()) start = i64(info[2]);
  if (info[3].IsNumber()) end = i64(info[3]);
  int64_t step = info[4].IsNumber() ? i64(info[4]) : 1;
  return wrap(info.Env(), at::slice(tensorOf(info[0]), i64(info[1]), start, end, step));
}
Napi::Value Select(const Napi::CallbackInfo& info) {
  return wrap(info.Env(), tensorOf(info[0]).select(i64(info[1]), i64(info[2])));
}
Napi::Value IndexSelect(const Napi::CallbackInfo& info) {
  return wrap(info.Env(), at::index_select(tensorOf(info[0]), i64(info[1]), tensorOf(info[2])));
}
Napi::Value Gather(const Napi::CallbackInfo& info) {
  return wrap(info.Env(), at::gather(tensorOf(info[0]), i64(info[1]), tensorOf(info[2])));
}
Napi::Value Scatter(const Napi::CallbackInfo& info) {
  return wrap(info.Env(), at::scatter(tensorOf(info[0]), i64(info[1]), tensorOf(info[2]), tensorOf(info[3])));
}
Napi::Value ScatterAdd(const Napi::CallbackInfo& info) {
  return wrap(info.Env(), at::scatter_add(tensorOf(info[0]), i64(info[1]), tensorOf(info[2]), tensorOf(info[3])));
}
Napi::Value MaskedSelect(const Napi::CallbackInfo& info) {
  return wrap(info.Env(), at::masked_select(tensorOf(info[0]), tensorOf(info[1])));
}
Napi::Value Nonzero(const Napi::CallbackInfo& info) {
  return wrap(info.Env(), at::nonzero(tensorOf(info[0])));
}
Napi::Value Expand(const Napi::CallbackInfo& info) {
  return wrap(info.Env(), tensorOf(info[0]).expand(intList(info[1])));
}
Napi::Value Repeat(const Napi::CallbackInfo& info) {
  return wrap(info.Env(), tensorOf(info[0]).repeat(intList(info[1])));
}
Napi::Value Flip(const Napi::CallbackInfo& info) {
  return wrap(info.Env(), at::flip(tensorOf(info[0]), intList(info[1])));
}
Napi::Value Roll(const Napi::CallbackInfo& info) {
  return wrap(info.Env(), at::roll(tensorOf(info[0]), intList(info[1]), intList(info[2])));
}
Napi::Value Tril(const Napi::CallbackInfo& info) {
  return wrap(info.Env(), boolean(info[2]) ? at::triu(tensorOf(info[0]), i64(info[1])) : at::tril(tensorOf(info[0]), i64(info[1])));
}
Napi::Value Chunk(const Napi::CallbackInfo& info) {
  return wrapList(info.Env(), at::chunk(tensorOf(info[0]), i64(info[1]), i64(info[2])));
}
Napi::Value Split(const Napi::CallbackInfo& info) {
  if (info[1].IsArray()) return wrapList(info.Env(), at::split_with_sizes(tensorOf(info[0]), intList(info[1]), i64(info[2])));
  return wrapList(info.Env(), at::split(tensorOf(info[0]), i64(info[1]), i64(info[2])));
}
// contiguous(id, format?): the tensor itself when already laid out so, else a copy (a 4-D
// "channels_last" tensor keeps its NCHW shape with the channels innermost in memory). As with
// PyTorch's x.to(memory_format=...), a tensor with a size-1 dimension (one input channel) is
// restrided when its strides do not say channels-last, since kernels choose by the strides.
Napi::Value Contiguous(const Napi::CallbackInfo& info) {
  const at::Tensor& t = tensorOf(info[0]);
  at::MemoryFormat f = memoryFormatOf(info[1]);
  if (f == at::MemoryFormat::Contiguous) return wrap(info.Env(), t.contiguous());
  if (t.dim() != 4)
    throw LoomError("channels_last needs a 4-D tensor [N, C, H, W], got " + std::to_string(t.dim()) + " dimension(s)");
  return wrap(info.Env(), t.to(t.options(), /*non_blocking=*/false, /*copy=*/false, f));
}
Napi::Value Clone(const Napi::CallbackInfo& info) {
  return wrap(info.Env(), tensorOf(info[0]).clone());
}
Napi::Value Detach(const Napi::CallbackInfo& info) {
  return wrap(info.Env(), tensorOf(info[0]).detach());
}
Napi::Value Alias(const Napi::CallbackInfo& info) {
  return wrap(info.Env(), tensorOf(info[0]));
}
// to(a, dtype|null, device|null, copy)
Napi::Value To(const Napi::CallbackInfo& info) {
  const at::Tensor& a = tensorOf(info[0]);
  at::ScalarType dt = info[1].IsNumber() ? dtypeOf(info[1]) : a.scalar_type();
  at::Device dev = info[2].IsNumber() ? deviceOf(info[2]) : a.device();
  return wrap(info.Env(), a.to(dev, dt, false, boolean(info[3])));
}

// ---- linear algebra -----------------------------------------------------
Napi::Value Matmul(const Napi::CallbackInfo& info) {
  return wrap(info.Env(), at::matmul(tensorOf(info[0]), tensorOf(info[1])));
}
Napi::Value Bmm(const Napi::CallbackInfo& info) {
  return wrap(info.Env(), at::bmm(tensorOf(info[0]), tensorOf(info[1])));
}
Napi::Value Outer(const Napi::CallbackInfo& info) {
  return wrap(info.Env(), at::outer(tensorOf(info[0]), tensorOf(info[1])));
}
Napi::Value Einsum(const Napi::CallbackInfo& info) {
  return wrap(info.Env(), at::einsum(str(info[0]), tensorList(info[1])));
}

}  // namespace

void initTensorOps(Napi::Env env, Napi::Object exports) {
  LOOM_EXPORT("unaryNames", UnaryNames);
  LOOM_EXPORT("unary", Unary);
  LOOM_EXPORT("unaryInplace", UnaryInplace);
  LOOM_EXPORT("binaryNames", BinaryNames);
  LOOM_EXPORT("binTT", BinTT);
  LOOM_EXPORT("binTS", BinTS);
  LOOM_EXPORT("binST", BinST);
  LOOM_EXPORT("binTTInplace", BinTTInplace);
  LOOM_EXPORT("binTSInplace", BinTSInplace);
  LOOM_EXPORT("addScaled", AddScaled);
  LOOM_EXPORT("where", Where);
  LOOM_EXPORT("clamp", Clamp);
  LOOM_EXPORT("maskedFill", MaskedFill);
  LOOM_EXPORT("lerp", Lerp);
  LOOM_EXPORT("leakyRelu", LeakyRelu);
  LOOM_EXPORT("elu", Elu);
  LOOM_EXPORT("softplus", Softplus);
  LOOM_EXPORT("hardtanh", Hardtanh);
  LOOM_EXPORT("fill", Fill);
  LOOM_EXPORT("copyFrom", CopyFrom);
  LOOM_EXPORT("uniform", Uniform);
  LOOM_EXPORT("normal", Normal);
  LOOM_EXPORT("bernoulli", Bernoulli);
  LOOM_EXPORT("multinomial", Multinomial);
  LOOM_EXPORT("reduce", Reduce);
  LOOM_EXPORT("varStd", VarStd);
  LOOM_EXPORT("maxMin", MaxMin);
  LOOM_EXPORT("argMaxMin", ArgMaxMin);
  LOOM_EXPORT("norm", Norm);
  LOOM_EXPORT("cumsum", Cumsum);
  LOOM_EXPORT("sort", Sort);
  LOOM_EXPORT("topk", Topk);
  LOOM_EXPORT("equal", Equal);
  LOOM_EXPORT("allclose", Allclose);
  LOOM_EXPORT("reshape", Reshape);
  LOOM_EXPORT("view", View);
  LOOM_EXPORT("permute", Permute);
  LOOM_EXPORT("transpose", Transpose);
  LOOM_EXPORT("flatten", Flatten);
  LOOM_EXPORT("squeeze", Squeeze);
  LOOM_EXPORT("unsqueeze", Unsqueeze);
  LOOM_EXPORT("cat", Cat);
  LOOM_EXPORT("stack", Stack);
  LOOM_EXPORT("narrow", Narrow);
  LOOM_EXPORT("slice", Slice);
  LOOM_EXPORT("select", Select);
  LOOM_EXPORT("indexSelect", IndexSelect);
  LOOM_EXPORT("gather", Gather);
  LOOM_EXPORT("scatter", Scatter);
  LOOM_EXPORT("scatterAdd", ScatterAdd);
  LOOM_EXPORT("maskedSelect", MaskedSelect);
  LOOM_EXPORT("nonzero", Nonzero);
  LOOM_EXPORT("expand", Expand);
  LOOM_EXPORT("repeat", Repeat);
  LOOM_EXPORT("flip", Flip);
  LOOM_EXPORT("roll", Roll);
  LOOM_EXPORT("tril", Tril);
  LOOM_EXPORT("chunk", Chunk);
  LOOM_EXPORT("split", Split);
  LOOM_EXPORT("contiguous", Contiguous);
  LOOM_EXPORT("clone", Clone);
  LOOM_EXPORT("detach", Detach);
  LOOM_EXPORT("alias", Alias);
  LOOM_EXPORT("to", To);
  LOOM_EXPORT("matmul", Matmul);
  LOOM_EXPORT("bmm", Bmm);
  LOOM_EXPORT("outer", Outer);
  LOOM_EXPORT("einsum", Einsum);
}

}  // namespace loom
