/**
 * Weight initialisation, like `torch.nn.init`. Every function fills the tensor in place without
 * recording gradients, draws from libtorch's seeded generator (so `manualSeed` makes it
 * reproducible, and the same seed gives the same numbers as PyTorch), and returns the tensor.
 * @module
 */
import { type Tensor, noGrad } from '../tensor.js';

/** Nonlinearities known to {@link calculateGain}. */
export type Nonlinearity =
  | 'linear'
  | 'conv1d'
  | 'conv2d'
  | 'conv3d'
  | 'conv_transpose1d'
  | 'conv_transpose2d'
  | 'conv_transpose3d'
  | 'sigmoid'
  | 'tanh'
  | 'relu'
  | 'leaky_relu'
  | 'selu';

/** Which fan {@link kaimingUniform_} and {@link kaimingNormal_} scale by. */
export type FanMode = 'fan_in' | 'fan_out';

/** The recommended gain for a nonlinearity (`param` is leaky_relu's negative slope, default 0.01). */
export function calculateGain(nonlinearity: Nonlinearity, param?: number): number {
  switch (nonlinearity) {
    case 'linear':
    case 'conv1d':
    case 'conv2d':
    case 'conv3d':
    case 'conv_transpose1d':
    case 'conv_transpose2d':
    case 'conv_transpose3d':
    case 'sigmoid':
      return 1;
    case 'tanh':
      return 5.0 / 3;
    case 'relu':
      return Math.sqrt(2.0);
    case 'leaky_relu': {
      const slope = param ?? 0.01;
      if (!Number.isFinite(slope)) throw new Error(`calculateGain: negative slope ${slope} is not a valid number`);
      return Math.sqrt(2.0 / (1 + slope ** 2));
    }
    case 'selu':
      return 3.0 / 4;
    default:
      throw new Error(`calculateGain: unsupported nonlinearity '${String(nonlinearity)}'`);
  }
}

/**
 * `[fanIn, fanOut]` of a weight: dim 1 and dim 0 times the receptive field (the product of the
 * remaining dims). Needs at least 2 dimensions.
 */
export function calculateFanInAndFanOut(t: Tensor): [number, number] {
  const s = t.shape;
  if (s.length < 2) throw new Error(`fan in and fan out cannot be computed for a tensor with fewer than 2 dimensions (shape [${s.join(', ')}])`);
  let receptive = 1;
  for (const d of s.slice(2)) receptive *= d;
  return [s[1] * receptive, s[0] * receptive];
}

function fanOf(t: Tensor, mode: FanMode): number {
  const [fanIn, fanOut] = calculateFanInAndFanOut(t);
  if (mode === 'fan_in') return fanIn;
  if (mode === 'fan_out') return fanOut;
  throw new Error(`mode must be 'fan_in' or 'fan_out', got '${String(mode)}'`);
}

/** Fills with samples from U(low, high). */
export function uniform_<T extends Tensor>(t: T, low = 0, high = 1): T {
  noGrad(() => t.uniform_(low, high));
  return t;
}
/** Fills with samples from N(mean, std²). */
export function normal_<T extends Tensor>(t: T, mean = 0, std = 1): T {
  noGrad(() => t.normal_(mean, std));
  return t;
}
/** Fills with `value`. */
export function constant_<T extends Tensor>(t: T, value: number): T {
  noGrad(() => t.fill_(value));
  return t;
}
/** Fills with zeros. */
export function zeros_<T extends Tensor>(t: T): T {
  return constant_(t, 0);
}
/** Fills with ones. */
export function ones_<T extends Tensor>(t: T): T {
  return constant_(t, 1);
}

/** Glorot/Xavier uniform: U(-a, a) with a = gain·sqrt(6 / (fanIn + fanOut)). */
export function xavierUniform_<T extends Tensor>(t: T, gain = 1): T {
  const [fanIn, fanOut] = calculateFanInAndFanOut(t);
  const std = gain * Math.sqrt(2.0 / (fanIn + fanOut));
  const a = Math.sqrt(3.0) * std;
  return uniform_(t, -a, a);
}
/** Glorot/Xavier normal: N(0, std²) with std = gain·sqrt(2 / (fanIn + fanOut)). */
export function xavierNormal_<T extends Tensor>(t: T, gain = 1): T {
  const [fanIn, fanOut] = calculateFanInAndFanOut(t);
  const std = gain * Math.sqrt(2.0 / (fanIn + fanOut));
  return normal_(t, 0, std);
}

/** Options of the Kaiming (He) initialisers. */
export interface KaimingOptions {
  /** Negative slope of the leaky ReLU that follows (used when `nonlinearity` is 'leaky_relu'); default 0. */
  a?: number;
  /** Scale by fan in (default; keeps forward variance) or fan out (keeps backward variance). */
  mode?: FanMode;
  /** Default 'leaky_relu' (with `a` = 0 that is ReLU's gain), as in PyTorch. */
  nonlinearity?: Nonlinearity;
}

/**
 * Kaiming/He uniform: U(-bound, bound) with bound = gain·sqrt(3 / fan). With `a: Math.sqrt(5)`
 * this is PyTorch's default for Linear and Conv weights. Empty tensors are left alone.
 */
export function kaimingUniform_<T extends Tensor>(t: T, o: KaimingOptions = {}): T {
  if (t.numel() === 0) return t;
  const fan = fanOf(t, o.mode ?? 'fan_in');
  const gain = calculateGain(o.nonlinearity ?? 'leaky_relu', o.a ?? 0);
  const std = gain / Math.sqrt(fan);
  const bound = Math.sqrt(3.0) * std;
  return uniform_(t, -bound, bound);
}
/** Kaiming/He normal: N(0, std²) with std = gain / sqrt(fan). Empty tensors are left alone. */
export function kaimingNormal_<T extends Tensor>(t: T, o: KaimingOptions = {}): T {
  if (t.numel() === 0) return t;
  const fan = fanOf(t, o.mode ?? 'fan_in');
  const gain = calculateGain(o.nonlinearity ?? 'leaky_relu', o.a ?? 0);
  return normal_(t, 0, gain / Math.sqrt(fan));
}

/**
 * PyTorch's default bias init for a layer whose weight is `weight`:
 * U(-1/sqrt(fanIn), 1/sqrt(fanIn)) (zero bound when fanIn is 0).
 */
export function defaultBias_<T extends Tensor>(bias: T, weight: Tensor): T {
  const [fanIn] = calculateFanInAndFanOut(weight);
  const bound = fanIn > 0 ? 1 / Math.sqrt(fanIn) : 0;
  return uniform_(bias, -bound, bound);
}
