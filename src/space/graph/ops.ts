/**
 * The op registry: every op a network graph can hold, each with, in one place, its output shape,
 * its parameter and FLOPs formulas, the activations it keeps for the backward pass, its label in
 * drawings, and its builder (the engine module or function that computes it).
 *
 * Conventions, per sample:
 * - Shapes are `[C, H, W]` for feature maps and `[F]` for vectors.
 * - FLOPs count the multiply-adds of convolutions and linear layers (not biases, batch norm,
 *   activations, pooling or sums), as NAS papers report them.
 * - Batch norms are affine: 2 parameters per channel (running statistics are buffers).
 * - `saved` counts the elements an op keeps alive for the backward pass (its intermediate and
 *   output tensors), the basis of the activation-memory estimate.
 *
 * This file needs no engine: builders receive the engine through {@link BuildLib} when the
 * compiler (`networks/compile.ts`) calls them, so formulas and drawings work without the addon.
 * @module
 */
import type * as Engine from '../../engine/index.js';
import type * as Blocks from '../networks/blocks.js';

/** A shape per sample. */
export type Shape = readonly number[];
/** An op's attributes (plain JSON). */
export type OpAttr = number | string | boolean | readonly number[];
export type OpAttrs = Record<string, OpAttr>;

/** What builders get from the compiler: the engine and the shared building blocks. */
export interface BuildLib {
  readonly engine: typeof Engine;
  readonly blocks: typeof Blocks;
}
/** A built op: a module (called with the node's inputs) or a plain function of them. */
export type BuiltOp = Engine.nn.Module | ((xs: Engine.Tensor[]) => Engine.Tensor);

/** One op of the registry. */
export interface OpSpec {
  readonly name: string;
  readonly description: string;
  /** Smallest and largest number of inputs. */
  readonly arity: readonly [number, number];
  /** Output shape; throws an Error saying what is wrong with the inputs or attributes. */
  shape(a: Readonly<OpAttrs>, ins: readonly Shape[]): Shape;
  params(a: Readonly<OpAttrs>, ins: readonly Shape[], out: Shape): number;
  flops(a: Readonly<OpAttrs>, ins: readonly Shape[], out: Shape): number;
  /** Elements kept for backward (default: the output's). */
  saved?(a: Readonly<OpAttrs>, ins: readonly Shape[], out: Shape): number;
  /** Short text for drawings. */
  label(a: Readonly<OpAttrs>, ins: readonly Shape[], out: Shape): string;
  build(a: Readonly<OpAttrs>, ins: readonly Shape[], out: Shape, lib: BuildLib): BuiltOp;
}

// ---- attribute and shape helpers -------------------------------------------------------------

/** Number of elements of a shape. */
export const numel = (s: Shape): number => s.reduce((a, b) => a * b, 1);

/** A numeric attribute (or its default); throws when it is missing or not a finite number. */
export function num(a: Readonly<OpAttrs>, key: string, dflt?: number): number {
  const v = a[key] ?? dflt;
  if (typeof v !== 'number' || !Number.isFinite(v)) throw new Error(`attribute '${key}' must be a number, got ${JSON.stringify(a[key])}`);
  return v;
}
/** A positive integer attribute. */
export function posInt(a: Readonly<OpAttrs>, key: string, dflt?: number): number {
  const v = num(a, key, dflt);
  if (!Number.isSafeInteger(v) || v < 1) throw new Error(`attribute '${key}' must be a positive integer, got ${v}`);
  return v;
}
function nonNegInt(a: Readonly<OpAttrs>, key: string, dflt: number): number {
  const v = num(a, key, dflt);
  if (!Number.isSafeInteger(v) || v < 0) throw new Error(`attribute '${key}' must be a non-negative integer, got ${v}`);
  return v;
}
function bool(a: Readonly<OpAttrs>, key: string, dflt: boolean): boolean {
  const v = a[key] ?? dflt;
  if (typeof v !== 'boolean') throw new Error(`attribute '${key}' must be true or false, got ${JSON.stringify(v)}`);
  return v;
}
function str<T extends string>(a: Readonly<OpAttrs>, key: string, choices: readonly T[], dflt: T): T {
  const v = a[key] ?? dflt;
  if (typeof v !== 'string' || !choices.includes(v as T)) throw new Error(`attribute '${key}' must be one of ${choices.join(', ')}, got ${JSON.stringify(v)}`);
  return v as T;
}
function map(s: Shape, what: string): [number, number, number] {
  if (s.length !== 3) throw new Error(`${what} needs a feature map [C, H, W], got [${s.join(', ')}]`);
  return [s[0], s[1], s[2]];
}
function vec(s: Shape, what: string): number {
  if (s.length !== 1) throw new Error(`${what} needs a vector [F], got [${s.join(', ')}] (flatten or pool first)`);
  return s[0];
}
/** Output size of a convolution or pooling window along one axis. */
export function windowOut(n: number, k: number, stride: number, pad: number, dil = 1, ceil = false): number {
  const span = n + 2 * pad - dil * (k - 1) - 1;
  if (span < 0) return 0;
  let o = (ceil ? Math.ceil(span / stride) : Math.floor(span / stride)) + 1;
  // As PyTorch: with ceil mode, the last window must start inside the input or left padding.
  if (ceil && (o - 1) * stride >= n + pad) o--;
  return o;
}

/** Kernel, stride, padding (default 'same' for stride 1: dil*(k-1)/2) and dilation of a conv-like op. */
function geom(a: Readonly<OpAttrs>): { k: number; stride: number; pad: number; dil: number } {
  const k = posInt(a, 'k');
  const stride = posInt(a, 'stride', 1);
  const dil = posInt(a, 'dil', 1);
  const pad = nonNegInt(a, 'pad', Math.floor((dil * (k - 1)) / 2));
  return { k, stride, pad, dil };
}
function convShape(a: Readonly<OpAttrs>, s: Shape, what: string, out: number): Shape {
  const [, h, w] = map(s, what);
  const { k, stride, pad, dil } = geom(a);
  return [out, windowOut(h, k, stride, pad, dil), windowOut(w, k, stride, pad, dil)];
}
const hw = (s: Shape): number => (s.length === 3 ? s[1] * s[2] : 1);
const kk = (a: Readonly<OpAttrs>): number => posInt(a, 'k') ** 2;
const strideTag = (a: Readonly<OpAttrs>): string => (num(a, 'stride', 1) > 1 ? ` /${num(a, 'stride', 1)}` : '');
const dilTag = (a: Readonly<OpAttrs>): string => (num(a, 'dil', 1) > 1 ? ` d${num(a, 'dil', 1)}` : '');
const kTag = (a: Readonly<OpAttrs>): string => `${num(a, 'k')}x${num(a, 'k')}`;

/** Activation functions the `act` op (and ops with an `act` attribute) know. */
export const ACTIVATIONS = ['relu', 'relu6', 'hswish', 'swish', 'sigmoid', 'tanh', 'gelu'] as const;
export type Activation = (typeof ACTIVATIONS)[number];

/** The engine module of an activation. */
export function activationModule(fn: Activation, nn: typeof Engine.nn): Engine.nn.Module {
  switch (fn) {
    case 'relu':
      return new nn.ReLU();
    case 'relu6':
      return new nn.ReLU6();
    case 'hswish':
      return new nn.Hardswish();
    case 'swish':
      return new nn.SiLU();
    case 'sigmoid':
      return new nn.Sigmoid();
    case 'tanh':
      return new nn.Tanh();
    case 'gelu':
      return new nn.GELU();
  }
}

/**
 * Widths inside an `mbconv` op on `cin` input channels: the expanded width `cin * expand`, and the
 * squeeze-excite width `max(1, floor(cin * se))` (0 without SE), taken from the block's input
 * channels as MnasNet and EfficientNet do.
 */
export function mbconvWidths(a: Readonly<OpAttrs>, cin: number): { mid: number; reduced: number } {
  const se = num(a, 'se', 0);
  if (se < 0 || se > 1) throw new Error(`attribute 'se' must be a ratio from 0 (none) to 1, got ${se}`);
  return { mid: cin * posInt(a, 'expand', 1), reduced: se > 0 ? Math.max(1, Math.floor(cin * se)) : 0 };
}

const zeroFlops = () => 0;
const zeroParams = () => 0;
const sameShape = (_a: Readonly<OpAttrs>, ins: readonly Shape[]): Shape => ins[0];

// ---- the ops ---------------------------------------------------------------------------------

const OP_LIST: OpSpec[] = [
  {
    name: 'input',
    description: 'the network input (node 0 only)',
    arity: [0, 0],
    shape: () => {
      throw new Error('the input node is made by the graph builder');
    },
    params: zeroParams,
    flops: zeroFlops,
    saved: () => 0,
    label: (_a, _i, out) => `input ${out.join('x')}`,
    build: () => (xs) => xs[0],
  },
  {
    name: 'conv',
    description: 'convolution: out, k, stride=1, pad=same, dil=1, groups=1, bias=false',
    arity: [1, 1],
    shape: (a, [s]) => {
      const g = posInt(a, 'groups', 1);
      const out = posInt(a, 'out');
      if (s[0] % g || out % g) throw new Error(`groups ${g} must divide the input (${s[0]}) and output (${out}) channels`);
      return convShape(a, s, 'conv', out);
    },
    params: (a, [s], o) => (o[0] * s[0] * kk(a)) / posInt(a, 'groups', 1) + (bool(a, 'bias', false) ? o[0] : 0),
    flops: (a, [s], o) => ((o[0] * s[0] * kk(a)) / posInt(a, 'groups', 1)) * hw(o),
    label: (a, [s], o) => `${posInt(a, 'groups', 1) === s[0] && s[0] > 1 ? 'dwconv' : 'conv'} ${kTag(a)}${strideTag(a)}${dilTag(a)} → ${o[0]}`,
    build: (a, [s], o, { engine }) => {
      const { k, stride, pad, dil } = geom(a);
      return new engine.nn.Conv2d(s[0], o[0], k, { stride, padding: pad, dilation: dil, groups: posInt(a, 'groups', 1), bias: bool(a, 'bias', false) });
    },
  },
  {
    name: 'bn',
    description: 'batch norm (affine) of a feature map [C, H, W] (BatchNorm2d) or a vector [F] (BatchNorm1d)',
    arity: [1, 1],
    shape: (_a, [s]) => {
      if (s.length !== 1 && s.length !== 3) throw new Error(`bn needs a feature map [C, H, W] or a vector [F], got [${s.join(', ')}]`);
      return s;
    },
    params: (_a, [s]) => 2 * s[0],
    flops: zeroFlops,
    label: () => 'BN',
    build: (_a, [s], _o, { engine }) => (s.length === 1 ? new engine.nn.BatchNorm1d(s[0]) : new engine.nn.BatchNorm2d(s[0])),
  },
  {
    name: 'act',
    description: `activation: fn (${ACTIVATIONS.join(', ')})`,
    arity: [1, 1],
    shape: (a, [s]) => (str(a, 'fn', ACTIVATIONS, 'relu'), s),
    params: zeroParams,
    flops: zeroFlops,
    label: (a) => str(a, 'fn', ACTIVATIONS, 'relu'),
    build: (a, _i, _o, { engine }) => activationModule(str(a, 'fn', ACTIVATIONS, 'relu'), engine.nn),
  },
  {
    name: 'relu_conv_bn',
    description: 'ReLU, convolution (no bias), BN: out, k, stride=1, pad=same, dil=1',
    arity: [1, 1],
    shape: (a, [s]) => convShape(a, s, 'relu_conv_bn', posInt(a, 'out')),
    params: (a, [s], o) => o[0] * s[0] * kk(a) + 2 * o[0],
    flops: (a, [s], o) => o[0] * s[0] * kk(a) * hw(o),
    saved: (_a, [s], o) => numel(s) + 2 * numel(o),
    label: (a, _i, o) => `relu-conv ${kTag(a)}${strideTag(a)}${dilTag(a)}-bn → ${o[0]}`,
    build: (a, [s], o, { blocks }) => {
      const { k, stride, pad, dil } = geom(a);
      return new blocks.ReLUConvBN(s[0], o[0], k, stride, pad, dil);
    },
  },
  {
    name: 'conv_bn_act',
    description: 'convolution (no bias), BN, activation: out, k, stride=1, pad=same, groups=1, act=relu',
    arity: [1, 1],
    shape: (a, [s]) => {
      str(a, 'act', ACTIVATIONS, 'relu');
      const g = posInt(a, 'groups', 1);
      const out = posInt(a, 'out');
      if (s[0] % g || out % g) throw new Error(`groups ${g} must divide the input (${s[0]}) and output (${out}) channels`);
      return convShape(a, s, 'conv_bn_act', out);
    },
    params: (a, [s], o) => (o[0] * s[0] * kk(a)) / posInt(a, 'groups', 1) + 2 * o[0],
    flops: (a, [s], o) => ((o[0] * s[0] * kk(a)) / posInt(a, 'groups', 1)) * hw(o),
    saved: (_a, _i, o) => 3 * numel(o),
    label: (a, [s], o) =>
      `${posInt(a, 'groups', 1) === s[0] && s[0] > 1 ? 'dwconv' : 'conv'} ${kTag(a)}${strideTag(a)}-bn-${str(a, 'act', ACTIVATIONS, 'relu')} → ${o[0]}`,
    build: (a, [s], o, { blocks }) => {
      const { k, stride, pad } = geom(a);
      return new blocks.ConvBNAct(s[0], o[0], k, { stride, padding: pad, groups: posInt(a, 'groups', 1), act: str(a, 'act', ACTIVATIONS, 'relu') });
    },
  },
  {
    name: 'sep_conv',
    description: "DARTS's separable conv: twice (ReLU, depthwise kxk, pointwise 1x1, BN), stride on the first: out, k, stride=1, pad=same",
    arity: [1, 1],
    shape: (a, [s]) => convShape(a, s, 'sep_conv', posInt(a, 'out')),
    params: (a, [s], o) => 2 * s[0] * kk(a) + s[0] * s[0] + 2 * s[0] + s[0] * o[0] + 2 * o[0],
    flops: (a, [s], o) => (2 * s[0] * kk(a) + s[0] * s[0] + s[0] * o[0]) * hw(o),
    saved: (_a, [s], o) => numel(s) + 7 * s[0] * hw(o) + 2 * numel(o),
    label: (a, _i, o) => `sep_conv ${kTag(a)}${strideTag(a)} → ${o[0]}`,
    build: (a, [s], o, { blocks }) => {
      const { k, stride, pad } = geom(a);
      return new blocks.SepConv(s[0], o[0], k, stride, pad);
    },
  },
  {
    name: 'dil_conv',
    description: "DARTS's dilated conv: ReLU, dilated depthwise kxk, pointwise 1x1, BN: out, k, stride=1, dil=2, pad=same",
    arity: [1, 1],
    shape: (a, [s]) => convShape({ dil: 2, ...a }, s, 'dil_conv', posInt(a, 'out')),
    params: (a, [s], o) => s[0] * kk(a) + s[0] * o[0] + 2 * o[0],
    flops: (a, [s], o) => (s[0] * kk(a) + s[0] * o[0]) * hw(o),
    saved: (_a, [s], o) => numel(s) + s[0] * hw(o) + 2 * numel(o),
    label: (a, _i, o) => `dil_conv ${kTag(a)}${strideTag(a)} d${num(a, 'dil', 2)} → ${o[0]}`,
    build: (a, [s], o, { blocks }) => {
      const { k, stride, pad, dil } = geom({ dil: 2, ...a });
      return new blocks.DilConv(s[0], o[0], k, stride, pad, dil);
    },
  },
  {
    name: 'conv_1xk_kx1',
    description: "ReLU, 1xk conv (stride along the width), kx1 conv (stride along the height), BN: DARTS's conv_7x1_1x7, NASNet's 1x7-then-7x1 conv: out, k (odd), stride=1",
    arity: [1, 1],
    shape: (a, [s]) => {
      const [, h, w] = map(s, 'conv_1xk_kx1');
      const k = posInt(a, 'k');
      if (k % 2 === 0) throw new Error(`kernel size must be odd, got ${k}`);
      const st = posInt(a, 'stride', 1);
      return [posInt(a, 'out'), windowOut(h, k, st, (k - 1) / 2), windowOut(w, k, st, (k - 1) / 2)];
    },
    params: (a, [s], o) => (s[0] * o[0] + o[0] * o[0]) * posInt(a, 'k') + 2 * o[0],
    // The 1xk conv outputs the input's height at the output's width.
    flops: (a, [s], o) => s[0] * o[0] * posInt(a, 'k') * s[1] * o[2] + o[0] * o[0] * posInt(a, 'k') * hw(o),
    saved: (_a, [s], o) => numel(s) + o[0] * s[1] * o[2] + 2 * numel(o),
    label: (a, _i, o) => `relu-conv 1x${num(a, 'k')},${num(a, 'k')}x1${strideTag(a)}-bn → ${o[0]}`,
    build: (a, [s], o, { blocks }) => new blocks.FactorizedConv(s[0], o[0], posInt(a, 'k'), posInt(a, 'stride', 1)),
  },
  {
    name: 'factorized_reduce',
    description: 'ReLU, two 1x1 stride-2 convs (one shifted a pixel) to out/2 channels each, concatenated, BN: out (even)',
    arity: [1, 1],
    shape: (a, [s]) => {
      const [, h, w] = map(s, 'factorized_reduce');
      const out = posInt(a, 'out');
      if (out % 2) throw new Error(`output channels must be even, got ${out}`);
      if (h % 2 || w % 2) throw new Error(`height and width must be even to halve them, got ${h}x${w}`);
      return [out, h / 2, w / 2];
    },
    params: (_a, [s], o) => s[0] * o[0] + 2 * o[0],
    flops: (_a, [s], o) => s[0] * o[0] * hw(o),
    saved: (_a, [s], o) => numel(s) + 2 * numel(o),
    label: (_a, _i, o) => `factorized reduce → ${o[0]}`,
    build: (_a, [s], o, { blocks }) => new blocks.FactorizedReduce(s[0], o[0]),
  },
  {
    name: 'max_pool',
    description: 'max pooling: k, stride=k, pad=0, ceil=false',
    arity: [1, 1],
    shape: (a, [s]) => {
      const [c, h, w] = map(s, 'max_pool');
      const k = posInt(a, 'k');
      const st = posInt(a, 'stride', k);
      const p = nonNegInt(a, 'pad', 0);
      const ceil = bool(a, 'ceil', false);
      if (2 * p > k) throw new Error(`padding ${p} must be at most half the kernel ${k}`);
      return [c, windowOut(h, k, st, p, 1, ceil), windowOut(w, k, st, p, 1, ceil)];
    },
    params: zeroParams,
    flops: zeroFlops,
    label: (a) => `max_pool ${kTag(a)}${num(a, 'stride', num(a, 'k')) > 1 ? ` /${num(a, 'stride', num(a, 'k'))}` : ''}`,
    build: (a, _i, _o, { engine }) => {
      const k = posInt(a, 'k');
      const o = { stride: posInt(a, 'stride', k), padding: nonNegInt(a, 'pad', 0), ceilMode: bool(a, 'ceil', false) };
      return (xs) => engine.F.maxPool2d(xs[0], k, o);
    },
  },
  {
    name: 'avg_pool',
    description: 'average pooling: k, stride=k, pad=0, countPad=true',
    arity: [1, 1],
    shape: (a, [s]) => {
      const [c, h, w] = map(s, 'avg_pool');
      const k = posInt(a, 'k');
      const st = posInt(a, 'stride', k);
      const p = nonNegInt(a, 'pad', 0);
      bool(a, 'countPad', true);
      if (2 * p > k) throw new Error(`padding ${p} must be at most half the kernel ${k}`);
      return [c, windowOut(h, k, st, p), windowOut(w, k, st, p)];
    },
    params: zeroParams,
    flops: zeroFlops,
    label: (a) => `avg_pool ${kTag(a)}${num(a, 'stride', num(a, 'k')) > 1 ? ` /${num(a, 'stride', num(a, 'k'))}` : ''}`,
    build: (a, _i, _o, { engine }) => {
      const k = posInt(a, 'k');
      const o = { stride: posInt(a, 'stride', k), padding: nonNegInt(a, 'pad', 0), countIncludePad: bool(a, 'countPad', true) };
      return (xs) => engine.F.avgPool2d(xs[0], k, o);
    },
  },
  {
    name: 'global_avg_pool',
    description: 'mean over height and width: [C, H, W] -> [C]',
    arity: [1, 1],
    shape: (_a, [s]) => [map(s, 'global_avg_pool')[0]],
    params: zeroParams,
    flops: zeroFlops,
    label: () => 'global avg pool',
    build: () => (xs) => xs[0].mean([2, 3]),
  },
  {
    name: 'adaptive_avg_pool',
    description: 'adaptive average pooling to size [H, W] (at most the input size; windows as PyTorch picks them)',
    arity: [1, 1],
    shape: (a, [s]) => {
      const [c, h, w] = map(s, 'adaptive_avg_pool');
      const size = a.size;
      if (!Array.isArray(size) || size.length !== 2 || !size.every((d) => Number.isSafeInteger(d) && d > 0)) {
        throw new Error(`attribute 'size' must be [height, width] of positive integers, got ${JSON.stringify(size)}`);
      }
      if (size[0] > h || size[1] > w) throw new Error(`cannot pool ${h}x${w} up to ${size.join('x')}`);
      return [c, size[0], size[1]];
    },
    params: zeroParams,
    flops: zeroFlops,
    label: (_a, _i, o) => `adaptive avg pool → ${o[1]}x${o[2]}`,
    build: (a, _i, _o, { engine }) => {
      const [h, w] = a.size as readonly number[];
      return (xs) => engine.F.adaptiveAvgPool2d(xs[0], [h, w]);
    },
  },
  {
    name: 'identity',
    description: 'its input, unchanged',
    arity: [1, 1],
    shape: sameShape,
    params: zeroParams,
    flops: zeroFlops,
    saved: () => 0,
    label: () => 'identity',
    build: () => (xs) => xs[0],
  },
  {
    name: 'zero',
    description: 'zeros shaped like the input (spatially strided by stride=1): the "none" op',
    arity: [1, 1],
    shape: (a, [s]) => {
      const [c, h, w] = map(s, 'zero');
      const st = posInt(a, 'stride', 1);
      return [c, Math.ceil(h / st), Math.ceil(w / st)];
    },
    params: zeroParams,
    flops: zeroFlops,
    saved: () => 0,
    label: () => 'zero',
    build: (a) => {
      const st = posInt(a, 'stride', 1);
      return (xs) => (st === 1 ? xs[0].mul(0) : xs[0].slice(2, 0, undefined, st).slice(3, 0, undefined, st).mul(0));
    },
  },
  {
    name: 'add',
    description: 'elementwise sum of inputs of one shape',
    arity: [1, Number.POSITIVE_INFINITY],
    shape: (_a, ins) => {
      for (const s of ins) if (s.join('x') !== ins[0].join('x')) throw new Error(`inputs to a sum must have one shape, got ${ins.map((x) => x.join('x')).join(' and ')}`);
      return ins[0];
    },
    params: zeroParams,
    flops: zeroFlops,
    saved: () => 0,
    label: () => 'add',
    build: () => (xs) => {
      let y = xs[0];
      for (let i = 1; i < xs.length; i++) {
        const next = y.add(xs[i]);
        if (i > 1) y.dispose();
        y = next;
      }
      return y;
    },
  },
  {
    name: 'concat',
    description: 'concatenation along channels of inputs of one height and width',
    arity: [1, Number.POSITIVE_INFINITY],
    shape: (_a, ins) => {
      const [, h, w] = map(ins[0], 'concat');
      for (const s of ins) {
        const [, h2, w2] = map(s, 'concat');
        if (h2 !== h || w2 !== w) throw new Error(`inputs to a concatenation must have one height and width, got ${ins.map((x) => x.join('x')).join(' and ')}`);
      }
      return [ins.reduce((n, s) => n + s[0], 0), h, w];
    },
    params: zeroParams,
    flops: zeroFlops,
    label: () => 'concat',
    build: (_a, _i, _o, { engine }) => (xs) => engine.cat(xs, 1),
  },
  {
    name: 'slice',
    description: 'the first `channels` channels of the input',
    arity: [1, 1],
    shape: (a, [s]) => {
      const c = posInt(a, 'channels');
      if (c > s[0]) throw new Error(`cannot take ${c} channels of ${s[0]}`);
      return [c, ...s.slice(1)];
    },
    params: zeroParams,
    flops: zeroFlops,
    saved: () => 0,
    label: (a) => `first ${num(a, 'channels')} ch`,
    build: (a) => {
      const c = posInt(a, 'channels');
      return (xs) => xs[0].narrow(1, 0, c);
    },
  },
  {
    name: 'flatten',
    description: 'flattens a feature map to a vector',
    arity: [1, 1],
    shape: (_a, [s]) => [numel(s)],
    params: zeroParams,
    flops: zeroFlops,
    saved: () => 0,
    label: () => 'flatten',
    build: () => (xs) => xs[0].flatten(1),
  },
  {
    name: 'linear',
    description: 'fully connected layer on a vector: out, bias=true',
    arity: [1, 1],
    shape: (a, [s]) => (vec(s, 'linear'), [posInt(a, 'out')]),
    params: (a, [s], o) => s[0] * o[0] + (bool(a, 'bias', true) ? o[0] : 0),
    flops: (_a, [s], o) => s[0] * o[0],
    label: (_a, _i, o) => `linear → ${o[0]}`,
    build: (a, [s], o, { engine }) => new engine.nn.Linear(s[0], o[0], { bias: bool(a, 'bias', true) }),
  },
  {
    name: 'dropout',
    description: 'dropout with probability p (training only)',
    arity: [1, 1],
    shape: (a, [s]) => {
      const p = num(a, 'p');
      if (p < 0 || p >= 1) throw new Error(`dropout p must be in [0, 1), got ${p}`);
      return s;
    },
    params: zeroParams,
    flops: zeroFlops,
    label: (a) => `dropout ${num(a, 'p')}`,
    build: (a, _i, _o, { engine }) => new engine.nn.Dropout(num(a, 'p')),
  },
  {
    name: 'resnet_basic',
    description: "NAS-Bench-201's residual block: ReLU-conv3x3(stride)-BN, ReLU-conv3x3-BN, plus a shortcut (2x2 avg pool + conv1x1 when stride 2; ReLU-conv1x1-BN when only the channels change): out, stride=1",
    arity: [1, 1],
    shape: (a, [s]) => convShape({ k: 3, stride: num(a, 'stride', 1) }, s, 'resnet_basic', posInt(a, 'out')),
    params: (a, [s], o) => {
      const [ci, co] = [s[0], o[0]];
      const short = num(a, 'stride', 1) === 2 ? ci * co : ci !== co ? ci * co + 2 * co : 0;
      return 9 * ci * co + 2 * co + 9 * co * co + 2 * co + short;
    },
    flops: (a, [s], o) => {
      const [ci, co] = [s[0], o[0]];
      const short = num(a, 'stride', 1) === 2 || ci !== co ? ci * co : 0;
      return (9 * ci * co + 9 * co * co + short) * hw(o);
    },
    saved: (_a, [s], o) => 2 * numel(s) + 6 * numel(o),
    label: (a, _i, o) => `resnet block${strideTag(a)} → ${o[0]}`,
    build: (a, [s], o, { blocks }) => new blocks.ResNetBasicBlock(s[0], o[0], posInt(a, 'stride', 1)),
  },
  {
    name: 'mbconv',
    description:
      'MobileNetV2 inverted residual / MnasNet MBConv: conv1x1-BN-act to in*expand channels (when expand > 1), depthwise kxk (stride)-BN-act, optional squeeze-excite (ratio se of the input channels), conv1x1-BN to out, plus the input when stride 1 and in = out: out, k (odd), expand=1, stride=1, se=0, act=relu6',
    arity: [1, 1],
    shape: (a, [s]) => {
      str(a, 'act', ACTIVATIONS, 'relu6');
      mbconvWidths(a, map(s, 'mbconv')[0]);
      const k = posInt(a, 'k');
      if (k % 2 === 0) throw new Error(`kernel size must be odd, got ${k}`);
      return convShape({ k, stride: posInt(a, 'stride', 1) }, s, 'mbconv', posInt(a, 'out'));
    },
    params: (a, [s], o) => {
      const [cin, cout] = [s[0], o[0]];
      const { mid, reduced: r } = mbconvWidths(a, cin);
      const expand = mid !== cin ? cin * mid + 2 * mid : 0;
      const se = r ? mid * r + r + r * mid + mid : 0;
      return expand + mid * kk(a) + 2 * mid + se + mid * cout + 2 * cout;
    },
    flops: (a, [s], o) => {
      const [cin, cout] = [s[0], o[0]];
      const { mid, reduced: r } = mbconvWidths(a, cin);
      return (mid !== cin ? cin * mid * hw(s) : 0) + (mid * kk(a) + mid * cout) * hw(o) + 2 * mid * r;
    },
    saved: (a, [s], o) => {
      const [cin, cout] = [s[0], o[0]];
      const { mid, reduced: r } = mbconvWidths(a, cin);
      // Conv, BN and act outputs of the expansion and the depthwise conv; the SE's pooled, reduced,
      // activated, expanded and gate vectors and its scaled map; project conv and BN; the sum.
      const residual = num(a, 'stride', 1) === 1 && cin === cout;
      return (mid !== cin ? 3 * mid * hw(s) : 0) + 3 * mid * hw(o) + (r ? 4 * mid + 2 * r + mid * hw(o) : 0) + 2 * cout * hw(o) + (residual ? cout * hw(o) : 0);
    },
    label: (a, _i, o) => `MBConv${num(a, 'expand', 1)} ${kTag(a)}${strideTag(a)}${num(a, 'se', 0) > 0 ? ' SE' : ''} → ${o[0]}`,
    build: (a, [s], o, { blocks }) =>
      new blocks.MBConv(s[0], o[0], {
        kernel: posInt(a, 'k'),
        expansion: posInt(a, 'expand', 1),
        stride: posInt(a, 'stride', 1),
        seReduced: mbconvWidths(a, s[0]).reduced,
        act: str(a, 'act', ACTIVATIONS, 'relu6'),
      }),
  },
  {
    name: 'aux_head_cifar',
    description: "DARTS's auxiliary head for an 8x8 (to 10x10) input: ReLU, 5x5 avg pool /3, conv1x1 → 128, BN, ReLU, conv2x2 → 768, BN, ReLU, linear: classes",
    arity: [1, 1],
    shape: (a, [s]) => {
      const [, h, w] = map(s, 'aux_head_cifar');
      // Its 5x5/3 pooling makes 2x2 of 8 to 10 pixels, which the 2x2 conv reduces to one.
      if (h < 8 || h > 10 || w < 8 || w > 10) throw new Error(`the auxiliary head needs an 8x8 to 10x10 feature map, got ${h}x${w} (use a 32x32 input)`);
      return [posInt(a, 'classes')];
    },
    params: (_a, [s], o) => s[0] * 128 + 2 * 128 + 128 * 768 * 4 + 2 * 768 + 768 * o[0] + o[0],
    flops: (_a, [s], o) => s[0] * 128 * 4 + 128 * 768 * 4 + 768 * o[0],
    saved: (_a, [s]) => numel(s) + 4 * s[0] + 3 * 128 * 4 + 3 * 768,
    label: (_a, _i, o) => `auxiliary head → ${o[0]}`,
    build: (_a, [s], o, { blocks }) => new blocks.AuxiliaryHeadCIFAR(s[0], o[0]),
  },
];

const OPS: ReadonlyMap<string, OpSpec> = new Map(OP_LIST.map((o) => [o.name, o]));

/** The op named `name`; throws a clear error listing the known ones. */
export function getOp(name: string): OpSpec {
  const o = OPS.get(name);
  if (!o) throw new Error(`unknown op '${name}' (known: ${[...OPS.keys()].filter((k) => k !== 'input').join(', ')})`);
  return o;
}

/** Names of all registered ops. */
export function opNames(): string[] {
  return [...OPS.keys()];
}
