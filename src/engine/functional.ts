/**
 * Neural-network functions, like `torch.nn.functional`. Import as `F`.
 * @module
 */
import { N } from './native.js';
import { type Tensor, wrapId } from './tensor.js';

type Pair = number | [number, number];
type Reduction = 'mean' | 'sum' | 'none';

function pair(v: Pair, what: string): [number, number] {
  const p: [number, number] = typeof v === 'number' ? [v, v] : v;
  if (p.length !== 2 || !p.every(Number.isInteger)) throw new Error(`${what} must be an integer or a pair of integers`);
  return p;
}
const id = (t: Tensor | null | undefined): number | null => (t ? t._id : null);

export interface Conv2dOptions {
  stride?: Pair;
  padding?: Pair;
  dilation?: Pair;
  groups?: number;
}
/** 2-d convolution of `[N, Cin, H, W]` by a `[Cout, Cin/groups, kH, kW]` weight. */
export function conv2d(x: Tensor, weight: Tensor, bias?: Tensor | null, o: Conv2dOptions = {}): Tensor {
  return wrapId(
    N.conv2d(x._id, weight._id, id(bias), pair(o.stride ?? 1, 'stride'), pair(o.padding ?? 0, 'padding'), pair(o.dilation ?? 1, 'dilation'), o.groups ?? 1),
  );
}
/** 1-d convolution of `[N, Cin, L]`. */
export function conv1d(x: Tensor, weight: Tensor, bias?: Tensor | null, o: { stride?: number; padding?: number; dilation?: number; groups?: number } = {}): Tensor {
  return wrapId(N.conv1d(x._id, weight._id, id(bias), [o.stride ?? 1], [o.padding ?? 0], [o.dilation ?? 1], o.groups ?? 1));
}
export function convTranspose2d(
  x: Tensor,
  weight: Tensor,
  bias?: Tensor | null,
  o: Conv2dOptions & { outputPadding?: Pair } = {},
): Tensor {
  return wrapId(
    N.convTranspose2d(
      x._id, weight._id, id(bias), pair(o.stride ?? 1, 'stride'), pair(o.padding ?? 0, 'padding'),
      pair(o.outputPadding ?? 0, 'outputPadding'), o.groups ?? 1, pair(o.dilation ?? 1, 'dilation'),
    ),
  );
}
/** `x @ weight.T + bias`. */
export function linear(x: Tensor, weight: Tensor, bias?: Tensor | null): Tensor {
  return wrapId(N.linear(x._id, weight._id, id(bias)));
}

export interface BatchNormOptions {
  weight?: Tensor | null;
  bias?: Tensor | null;
  training?: boolean;
  momentum?: number;
  eps?: number;
}
/**
 * Batch normalisation over dim 1. In training mode it normalises with batch statistics and
 * updates `runningMean`/`runningVar` in place (when given); in eval mode it uses them.
 */
export function batchNorm(x: Tensor, runningMean: Tensor | null, runningVar: Tensor | null, o: BatchNormOptions = {}): Tensor {
  return wrapId(N.batchNorm(x._id, id(o.weight), id(o.bias), id(runningMean), id(runningVar), o.training ?? false, o.momentum ?? 0.1, o.eps ?? 1e-5));
}
export function layerNorm(x: Tensor, normalizedShape: number[], weight?: Tensor | null, bias?: Tensor | null, eps = 1e-5): Tensor {
  return wrapId(N.layerNorm(x._id, normalizedShape, id(weight), id(bias), eps));
}
export function groupNorm(x: Tensor, groups: number, weight?: Tensor | null, bias?: Tensor | null, eps = 1e-5): Tensor {
  return wrapId(N.groupNorm(x._id, groups, id(weight), id(bias), eps));
}

export interface PoolOptions {
  stride?: Pair;
  padding?: Pair;
  ceilMode?: boolean;
}
export function maxPool2d(x: Tensor, kernel: Pair, o: PoolOptions & { dilation?: Pair } = {}): Tensor {
  const k = pair(kernel, 'kernel');
  return wrapId(N.maxPool2d(x._id, k, pair(o.stride ?? k, 'stride'), pair(o.padding ?? 0, 'padding'), pair(o.dilation ?? 1, 'dilation'), !!o.ceilMode));
}
export function avgPool2d(x: Tensor, kernel: Pair, o: PoolOptions & { countIncludePad?: boolean } = {}): Tensor {
  const k = pair(kernel, 'kernel');
  return wrapId(N.avgPool2d(x._id, k, pair(o.stride ?? k, 'stride'), pair(o.padding ?? 0, 'padding'), !!o.ceilMode, o.countIncludePad ?? true));
}
export function adaptiveAvgPool2d(x: Tensor, size: Pair): Tensor {
  return wrapId(N.adaptiveAvgPool2d(x._id, pair(size, 'output size')));
}
export function adaptiveMaxPool2d(x: Tensor, size: Pair): Tensor {
  return wrapId(N.adaptiveMaxPool2d(x._id, pair(size, 'output size')));
}
/** Zeroes elements with probability `p` and scales the rest by 1/(1-p), when `training`. */
export function dropout(x: Tensor, p = 0.5, training = true): Tensor {
  return wrapId(N.dropout(x._id, p, training));
}
/** Resizes `[N, C, H, W]` to `size` (`[H, W]`) or by `scaleFactor`. */
export function interpolate(
  x: Tensor,
  o: { size?: Pair; scaleFactor?: number; mode?: 'nearest' | 'bilinear' | 'bicubic'; alignCorners?: boolean },
): Tensor {
  let size: [number, number];
  if (o.size !== undefined) size = pair(o.size, 'size');
  else if (o.scaleFactor !== undefined) {
    const s = x.shape;
    size = [Math.floor(s[2] * o.scaleFactor), Math.floor(s[3] * o.scaleFactor)];
  } else throw new Error('interpolate needs size or scaleFactor');
  return wrapId(N.interpolate(x._id, size, o.mode ?? 'nearest', !!o.alignCorners));
}
/**
 * Pads the last dimensions: `pad` lists (left, right, top, bottom, ...) amounts. Reflection and
 * replication have no bfloat16 CPU kernels in libtorch 1.13: such inputs pad in float32 (see
 * the activations below).
 */
export function pad(x: Tensor, amounts: number[], mode: 'constant' | 'reflect' | 'replicate' = 'constant', value = 0): Tensor {
  const padded = (t: Tensor) => wrapId(N.pad(t._id, amounts, mode, value));
  return mode === 'constant' ? padded(x) : inFloat32(x, padded);
}
/** Rows of `weight` picked by integer `indices`. */
export function embedding(indices: Tensor, weight: Tensor): Tensor {
  return wrapId(N.embedding(weight._id, indices._id));
}
export function oneHot(indices: Tensor, numClasses = -1): Tensor {
  return wrapId(N.oneHot(indices._id, numClasses));
}

// ---- activations -----------------------------------------------------------
// libtorch 1.13's CPU kernels lack some activations in bfloat16 (relu6 and hardtanh have no
// backward, mish no forward) and compute others slowly (silu, gelu's tanh form: about twice the
// time of float32), so on the CPU these compute a bfloat16 (or float16) input in float32 and cast
// the result back. GELU and log-sigmoid are slow on channels-last tensors (GELU's forward and
// backward of a [128, 32, 28, 28] map: 28 ms in bfloat16, 20 ms in float32, against 4-5 ms
// contiguous), so on the CPU they run on the tensor's NHWC view, which is contiguous, and the
// result is viewed back: same values, same layout. `bench/activations.ts` measures both.

/** `f(x)` computed in float32 for a reduced-precision CPU tensor, the result cast back to its dtype. */
function inFloat32(x: Tensor, f: (x: Tensor) => Tensor): Tensor {
  const dtype = x.dtype;
  if ((dtype === 'bfloat16' || dtype === 'float16') && x.device === 'cpu') return f(x.float()).to({ dtype });
  return f(x);
}

/** `f(x)` computed on the NHWC view of a channels-last 4-D CPU tensor (an elementwise `f` only). */
function onNhwcView(x: Tensor, f: (x: Tensor) => Tensor): Tensor {
  if (x.device === 'cpu' && x.shape.length === 4 && !x.isContiguous() && x.isContiguous('channels_last')) {
    return f(x.permute(0, 2, 3, 1)).permute(0, 3, 1, 2);
  }
  return f(x);
}

export const relu = (x: Tensor): Tensor => x.relu();
export const relu6 = (x: Tensor): Tensor => inFloat32(x, (t) => t._unary('relu6'));
export const leakyRelu = (x: Tensor, slope = 0.01): Tensor => wrapId(N.leakyRelu(x._id, slope));
export const elu = (x: Tensor, alpha = 1): Tensor => wrapId(N.elu(x._id, alpha));
export const selu = (x: Tensor): Tensor => x._unary('selu');
/** GELU; `approximate: 'tanh'` uses the tanh formula. */
export const gelu = (x: Tensor, approximate: 'none' | 'tanh' = 'none'): Tensor =>
  approximate === 'tanh' ? inFloat32(x, (t) => t._unary('gelu_tanh')) : onNhwcView(x, (t) => t._unary('gelu'));
export const silu = (x: Tensor): Tensor => inFloat32(x, (t) => t._unary('silu'));
/** Same as {@link silu}. */
export const swish = silu;
export const hardswish = (x: Tensor): Tensor => x._unary('hardswish');
export const hardsigmoid = (x: Tensor): Tensor => x._unary('hardsigmoid');
export const hardtanh = (x: Tensor, min = -1, max = 1): Tensor => inFloat32(x, (t) => wrapId(N.hardtanh(t._id, min, max)));
export const sigmoid = (x: Tensor): Tensor => x.sigmoid();
export const tanh = (x: Tensor): Tensor => x.tanh();
export const softplus = (x: Tensor, beta = 1, threshold = 20): Tensor => wrapId(N.softplus(x._id, beta, threshold));
export const mish = (x: Tensor): Tensor => inFloat32(x, (t) => t._unary('mish'));
export const logSigmoid = (x: Tensor): Tensor => onNhwcView(x, (t) => t._unary('logsigmoid'));
export const softmax = (x: Tensor, dim = -1): Tensor => wrapId(N.softmax(x._id, dim));
export const logSoftmax = (x: Tensor, dim = -1): Tensor => wrapId(N.logSoftmax(x._id, dim));

/** Activations by name, for code that picks one from a search space. */
export const activations: Record<string, (x: Tensor) => Tensor> = {
  relu, relu6, leaky_relu: (x) => leakyRelu(x), elu: (x) => elu(x), selu, gelu: (x) => gelu(x), silu, swish,
  hardswish, hardsigmoid, sigmoid, tanh, softplus: (x) => softplus(x), mish, identity: (x) => x.alias(),
};

// ---- losses ------------------------------------------------------------------
export interface CrossEntropyOptions {
  weight?: Tensor | null;
  reduction?: Reduction;
  ignoreIndex?: number;
  labelSmoothing?: number;
}
/** Cross-entropy between logits `[N, C]` and class indices `[N]` (int64) or class probabilities `[N, C]`. */
export function crossEntropy(logits: Tensor, target: Tensor, o: CrossEntropyOptions = {}): Tensor {
  return wrapId(N.crossEntropy(logits._id, target._id, id(o.weight), o.reduction ?? 'mean', o.ignoreIndex ?? -100, o.labelSmoothing ?? 0));
}
/** Negative log-likelihood of log-probabilities `[N, C]` at class indices `[N]`. */
export function nllLoss(logProbs: Tensor, target: Tensor, o: { weight?: Tensor | null; reduction?: Reduction; ignoreIndex?: number } = {}): Tensor {
  return wrapId(N.nllLoss(logProbs._id, target._id, id(o.weight), o.reduction ?? 'mean', o.ignoreIndex ?? -100));
}
export function mseLoss(x: Tensor, target: Tensor, reduction: Reduction = 'mean'): Tensor {
  return wrapId(N.mseLoss(x._id, target._id, reduction));
}
export function l1Loss(x: Tensor, target: Tensor, reduction: Reduction = 'mean'): Tensor {
  return wrapId(N.l1Loss(x._id, target._id, reduction));
}
export function smoothL1Loss(x: Tensor, target: Tensor, reduction: Reduction = 'mean', beta = 1): Tensor {
  return wrapId(N.smoothL1Loss(x._id, target._id, reduction, beta));
}
/** Binary cross-entropy on logits (numerically stable sigmoid + BCE). */
export function bceWithLogits(
  x: Tensor,
  target: Tensor,
  o: { weight?: Tensor | null; posWeight?: Tensor | null; reduction?: Reduction } = {},
): Tensor {
  return wrapId(N.bceWithLogits(x._id, target._id, id(o.weight), id(o.posWeight), o.reduction ?? 'mean'));
}
/** KL divergence; `input` holds log-probabilities. */
export function klDiv(input: Tensor, target: Tensor, reduction: Reduction = 'mean', logTarget = false): Tensor {
  return wrapId(N.klDiv(input._id, target._id, reduction, logTarget));
}
