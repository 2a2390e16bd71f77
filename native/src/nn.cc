// Neural-network functional ops: convolution, normalisation, pooling, dropout,
// interpolation, softmax and losses.
#include "common.h"

namespace loom {

namespace {

int64_t reductionOf(const Napi::Value& v) {
  if (v.IsUndefined() || v.IsNull()) return at::Reduction::Mean;
  std::string r = str(v);
  if (r == "mean") return at::Reduction::Mean;
  if (r == "sum") return at::Reduction::Sum;
  if (r == "none") return at::Reduction::None;
  throw LoomError("reduction must be 'mean', 'sum' or 'none', got '" + r + "'");
}

// conv2d(x, w, b|null, stride, padding, dilation, groups)
Napi::Value Conv2d(const Napi::CallbackInfo& info) {
  const at::Tensor& x = tensorOf(info[0]);
  const at::Tensor& w = tensorOf(info[1]);
  auto b = optTensor(info[2]);
  if (x.dim() != 4 && x.dim() != 3)
    throw LoomError("conv2d expects input of shape [N, C, H, W] (or [C, H, W]), got " + c10::str(x.sizes()));
  return wrap(info.Env(), at::conv2d(x, w, b, intList(info[3]), intList(info[4]), intList(info[5]), i64(info[6])));
}
// conv1d(x, w, b|null, stride, padding, dilation, groups)
Napi::Value Conv1d(const Napi::CallbackInfo& info) {
  return wrap(info.Env(), at::conv1d(tensorOf(info[0]), tensorOf(info[1]), optTensor(info[2]), intList(info[3]),
                                     intList(info[4]), intList(info[5]), i64(info[6])));
}
// convTranspose2d(x, w, b|null, stride, padding, outputPadding, groups, dilation)
Napi::Value ConvTranspose2d(const Napi::CallbackInfo& info) {
  return wrap(info.Env(), at::conv_transpose2d(tensorOf(info[0]), tensorOf(info[1]), optTensor(info[2]), intList(info[3]),
                                               intList(info[4]), intList(info[5]), i64(info[6]), intList(info[7])));
}
Napi::Value Linear(const Napi::CallbackInfo& info) {
  return wrap(info.Env(), at::linear(tensorOf(info[0]), tensorOf(info[1]), optTensor(info[2])));
}
// batchNorm(x, weight|null, bias|null, runningMean|null, runningVar|null, training, momentum, eps)
Napi::Value BatchNorm(const Napi::CallbackInfo& info) {
  const at::Tensor& x = tensorOf(info[0]);
  bool training = boolean(info[5]);
  auto rm = optTensor(info[3]);
  auto rv = optTensor(info[4]);
  if (!training && (!rm || !rv)) throw LoomError("batchNorm in eval mode needs running mean and variance");
  if (training && x.dim() >= 2) {
    int64_t per = x.numel() / std::max<int64_t>(x.size(1), 1);
    if (per <= 1)
      throw LoomError("batchNorm in training mode needs more than one value per channel, got input of shape " +
                      c10::str(x.sizes()));
  }
  return wrap(info.Env(), at::batch_norm(x, optTensor(info[1]), optTensor(info[2]), rm, rv, training, f64(info[6]),
                                         f64(info[7]), at::globalContext().userEnabledCuDNN()));
}
// layerNorm(x, normalizedShape, weight|null, bias|null, eps)
Napi::Value LayerNorm(const Napi::CallbackInfo& info) {
  return wrap(info.Env(), at::layer_norm(tensorOf(info[0]), intList(info[1]), optTensor(info[2]), optTensor(info[3]),
                                         f64(info[4]), true));
}
// groupNorm(x, groups, weight|null, bias|null, eps)
Napi::Value GroupNorm(const Napi::CallbackInfo& info) {
  return wrap(info.Env(), at::group_norm(tensorOf(info[0]), i64(info[1]), optTensor(info[2]), optTensor(info[3]),
                                         f64(info[4]), true));
}
// maxPool2d(x, kernel, stride, padding, dilation, ceilMode)
Napi::Value MaxPool2d(const Napi::CallbackInfo& info) {
  return wrap(info.Env(), at::max_pool2d(tensorOf(info[0]), intList(info[1]), intList(info[2]), intList(info[3]),
                                         intList(info[4]), boolean(info[5])));
}
// avgPool2d(x, kernel, stride, padding, ceilMode, countIncludePad)
Napi::Value AvgPool2d(const Napi::CallbackInfo& info) {
  return wrap(info.Env(), at::avg_pool2d(tensorOf(info[0]), intList(info[1]), intList(info[2]), intList(info[3]),
                                         boolean(info[4]), boolean(info[5])));
}
Napi::Value AdaptiveAvgPool2d(const Napi::CallbackInfo& info) {
  return wrap(info.Env(), at::adaptive_avg_pool2d(tensorOf(info[0]), intList(info[1])));
}
Napi::Value AdaptiveMaxPool2d(const Napi::CallbackInfo& info) {
  return wrap(info.Env(), std::get<0>(at::adaptive_max_pool2d(tensorOf(info[0]), intList(info[1]))));
}
// dropout(x, p, training)
Napi::Value Dropout(const Napi::CallbackInfo& info) {
  double p = f64(info[1]);
  if (p < 0 || p > 1) throw LoomError("dropout probability must be in [0, 1], got " + std::to_string(p));
  return wrap(info.Env(), at::dropout(tensorOf(info[0]), p, boolean(info[2])));
}
// interpolate(x, size, mode, alignCorners)
Napi::Value Interpolate(const Napi::CallbackInfo& info) {
  const at::Tensor& x = tensorOf(info[0]);
  auto size = intList(info[1]);
  std::string mode = str(info[2]);
  bool align = boolean(info[3]);
  if (x.dim() != 4) throw LoomError("interpolate expects a 4-d input [N, C, H, W], got " + c10::str(x.sizes()));
  if (size.size() != 2) throw LoomError("interpolate expects an output size [H, W]");
  if (mode == "nearest") return wrap(info.Env(), at::upsample_nearest2d(x, size));
  if (mode == "bilinear") return wrap(info.Env(), at::upsample_bilinear2d(x, size, align));
  if (mode == "bicubic") return wrap(info.Env(), at::upsample_bicubic2d(x, size, align));
  throw LoomError("interpolate mode must be 'nearest', 'bilinear' or 'bicubic', got '" + mode + "'");
}
Napi::Value Softmax(const Napi::CallbackInfo& info) {
  return wrap(info.Env(), at::softmax(tensorOf(info[0]), i64(info[1])));
}
Napi::Value LogSoftmax(const Napi::CallbackInfo& info) {
  return wrap(info.Env(), at::log_softmax(tensorOf(info[0]), i64(info[1])));
}
// gumbelSoftmax is written in TypeScript on top of these ops.
Napi::Value Pad(const Napi::CallbackInfo& info) {
  const at::Tensor& x = tensorOf(info[0]);
  auto pad = intList(info[1]);
  std::string mode = info[2].IsString() ? str(info[2]) : "constant";
  if (mode == "constant") return wrap(info.Env(), at::constant_pad_nd(x, pad, f64(info[3])));
  if (mode == "reflect") return wrap(info.Env(), at::reflection_pad2d(x, pad));
  if (mode == "replicate") return wrap(info.Env(), at::replication_pad2d(x, pad));
  throw LoomError("pad mode must be 'constant', 'reflect' or 'replicate'");
}
Napi::Value Embedding(const Napi::CallbackInfo& info) {
  return wrap(info.Env(), at::embedding(tensorOf(info[0]), tensorOf(info[1])));
}
Napi::Value OneHot(const Napi::CallbackInfo& info) {
  return wrap(info.Env(), at::one_hot(tensorOf(info[0]), i64(info[1])));
}

// ---- losses -------------------------------------------------------------
// crossEntropy(logits, target, weight|null, reduction, ignoreIndex, labelSmoothing)
Napi::Value CrossEntropy(const Napi::CallbackInfo& info) {
  const at::Tensor& x = tensorOf(info[0]);
  const at::Tensor& t = tensorOf(info[1]);
  if (x.dim() < 1) throw LoomError("crossEntropy expects logits of shape [N, C]");
  double ls = info[5].IsNumber() ? f64(info[5]) : 0.0;
  if (ls < 0 || ls > 1) throw LoomError("label smoothing must be in [0, 1]");
  int64_t ignore = info[4].IsNumber() ? i64(info[4]) : -100;
  return wrap(info.Env(), at::cross_entropy_loss(x, t, optTensor(info[2]), reductionOf(info[3]), ignore, ls));
}
Napi::Value NllLoss(const Napi::CallbackInfo& info) {
  int64_t ignore = info[4].IsNumber() ? i64(info[4]) : -100;
  return wrap(info.Env(), at::nll_loss_nd(tensorOf(info[0]), tensorOf(info[1]), optTensor(info[2]), reductionOf(info[3]), ignore));
}
Napi::Value MseLoss(const Napi::CallbackInfo& info) {
  return wrap(info.Env(), at::mse_loss(tensorOf(info[0]), tensorOf(info[1]), reductionOf(info[2])));
}
Napi::Value L1Loss(const Napi::CallbackInfo& info) {
  return wrap(info.Env(), at::l1_loss(tensorOf(info[0]), tensorOf(info[1]), reductionOf(info[2])));
}
Napi::Value SmoothL1Loss(const Napi::CallbackInfo& info) {
  return wrap(info.Env(), at::smooth_l1_loss(tensorOf(info[0]), tensorOf(info[1]), reductionOf(info[2]), f64(info[3])));
}
// bceWithLogits(x, target, weight|null, posWeight|null, reduction)
Napi::Value BceWithLogits(const Napi::CallbackInfo& info) {
  return wrap(info.Env(), at::binary_cross_entropy_with_logits(tensorOf(info[0]), tensorOf(info[1]), optTensor(info[2]),
                                                               optTensor(info[3]), reductionOf(info[4])));
}
Napi::Value KlDiv(const Napi::CallbackInfo& info) {
  return wrap(info.Env(), at::kl_div(tensorOf(info[0]), tensorOf(info[1]), reductionOf(info[2]), boolean(info[3])));
}

}  // namespace

void initNN(Napi::Env env, Napi::Object exports) {
  LOOM_EXPORT("conv2d", Conv2d);
  LOOM_EXPORT("conv1d", Conv1d);
  LOOM_EXPORT("convTranspose2d", ConvTranspose2d);
  LOOM_EXPORT("linear", Linear);
  LOOM_EXPORT("batchNorm", BatchNorm);
  LOOM_EXPORT("layerNorm", LayerNorm);
  LOOM_EXPORT("groupNorm", GroupNorm);
  LOOM_EXPORT("maxPool2d", MaxPool2d);
  LOOM_EXPORT("avgPool2d", AvgPool2d);
  LOOM_EXPORT("adaptiveAvgPool2d", AdaptiveAvgPool2d);
  LOOM_EXPORT("adaptiveMaxPool2d", AdaptiveMaxPool2d);
  LOOM_EXPORT("dropout", Dropout);
  LOOM_EXPORT("interpolate", Interpolate);
  LOOM_EXPORT("softmax", Softmax);
  LOOM_EXPORT("logSoftmax", LogSoftmax);
  LOOM_EXPORT("pad", Pad);
  LOOM_EXPORT("embedding", Embedding);
  LOOM_EXPORT("oneHot", OneHot);
  LOOM_EXPORT("crossEntropy", CrossEntropy);
  LOOM_EXPORT("nllLoss", NllLoss);
  LOOM_EXPORT("mseLoss", MseLoss);
  LOOM_EXPORT("l1Loss", L1Loss);
  LOOM_EXPORT("smoothL1Loss", SmoothL1Loss);
  LOOM_EXPORT("bceWithLogits", BceWithLogits);
  LOOM_EXPORT("klDiv", KlDiv);
}

}  // namespace loom
