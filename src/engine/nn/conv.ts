/**
 * Convolution layers, like `torch.nn.Conv1d` / `Conv2d`.
 * @module
 */
import type { DType, Device } from '../dtype.js';
import * as F from '../functional.js';
import { type Tensor, empty } from '../tensor.js';
import { defaultBias_, kaimingUniform_ } from './init.js';
import { Module } from './module.js';

/** An integer or a (height, width) pair. */
export type Size2 = number | [number, number];

/** Options of {@link Conv2d}. */
export interface Conv2dOptions {
  stride?: Size2;
  /** Zero padding: amounts, or 'valid' (none) or 'same' (output size = input size; stride 1 only). */
  padding?: Size2 | 'same' | 'valid';
  dilation?: Size2;
  groups?: number;
  /** Whether to learn an additive bias (default true). */
  bias?: boolean;
  dtype?: DType;
  device?: Device;
}

function pair(v: Size2, what: string, min: number): [number, number] {
  const p: [number, number] = typeof v === 'number' ? [v, v] : [v[0], v[1]];
  if (!Array.isArray(p) || p.length !== 2 || !p.every((x) => Number.isInteger(x) && x >= min))
    throw new Error(`${what} must be an integer >= ${min} or a pair of them, got ${JSON.stringify(v)}`);
  return p;
}
function positiveInt(v: number, what: string): number {
  if (!Number.isInteger(v) || v <= 0) throw new Error(`${what} must be a positive integer, got ${v}`);
  return v;
}

/**
 * 2-d convolution over `[N, Cin, H, W]`. Weight `[outChannels, inChannels/groups, kH, kW]`,
 * bias `[outChannels]`, initialised as PyTorch does (Kaiming uniform with a = √5; bias
 * U(±1/√fanIn)).
 */
export class Conv2d extends Module {
  readonly inChannels: number;
  readonly outChannels: number;
  readonly kernelSize: [number, number];
  readonly stride: [number, number];
  readonly padding: [number, number] | 'same';
  readonly dilation: [number, number];
  readonly groups: number;
  declare weight: Tensor;
  declare bias: Tensor | null;

  constructor(inChannels: number, outChannels: number, kernelSize: Size2, o: Conv2dOptions = {}) {
    super();
    this.inChannels = positiveInt(inChannels, 'Conv2d: inChannels');
    this.outChannels = positiveInt(outChannels, 'Conv2d: outChannels');
    this.kernelSize = pair(kernelSize, 'Conv2d: kernelSize', 1);
    this.stride = pair(o.stride ?? 1, 'Conv2d: stride', 1);
    this.dilation = pair(o.dilation ?? 1, 'Conv2d: dilation', 1);
    this.groups = positiveInt(o.groups ?? 1, 'Conv2d: groups');
    if (inChannels % this.groups || outChannels % this.groups)
      throw new Error(`Conv2d: inChannels (${inChannels}) and outChannels (${outChannels}) must both be divisible by groups (${this.groups})`);
    const p = o.padding ?? 0;
    if (p === 'same') {
      if (this.stride[0] !== 1 || this.stride[1] !== 1) throw new Error("Conv2d: padding 'same' needs stride 1");
      this.padding = 'same';
    } else this.padding = p === 'valid' ? [0, 0] : pair(p, 'Conv2d: padding', 0);
    const [kh, kw] = this.kernelSize;
    const opts = { dtype: o.dtype, device: o.device };
    this.registerParameter('weight', empty([outChannels, inChannels / this.groups, kh, kw], opts));
    kaimingUniform_(this.weight, { a: Math.sqrt(5) });
    this.registerParameter('bias', o.bias === false ? null : empty([outChannels], opts));
    if (this.bias) defaultBias_(this.bias, this.weight);
  }

  override forward(x: Tensor): Tensor {
    if (x.ndim !== 4 && x.ndim !== 3) throw new Error(`Conv2d expects a [N, C, H, W] or [C, H, W] input, got shape [${x.shape.join(', ')}]`);
    let padding: [number, number] = [0, 0];
    let input = x;
    if (this.padding === 'same') {
      // Total padding d*(k-1) per dim; an odd total puts the extra row/column at the end, as PyTorch does.
      const tot = this.kernelSize.map((k, i) => this.dilation[i] * (k - 1));
      const lo = tot.map((t) => Math.floor(t / 2));
      if (tot[0] % 2 || tot[1] % 2) input = F.pad(x, [lo[1], tot[1] - lo[1], lo[0], tot[0] - lo[0]]);
      else padding = [lo[0], lo[1]];
    } else padding = this.padding;
    try {
      return F.conv2d(input, this.weight, this.bias, { stride: this.stride, padding, dilation: this.dilation, groups: this.groups });
    } finally {
      if (input !== x) input.dispose();
    }
  }

  override extraRepr(): string {
    const s = [`${this.inChannels}, ${this.outChannels}, kernel_size=(${this.kernelSize.join(', ')})`];
    if (this.stride.some((v) => v !== 1)) s.push(`stride=(${this.stride.join(', ')})`);
    if (this.padding === 'same') s.push("padding='same'");
    else if (this.padding.some((v) => v !== 0)) s.push(`padding=(${this.padding.join(', ')})`);
    if (this.dilation.some((v) => v !== 1)) s.push(`dilation=(${this.dilation.join(', ')})`);
    if (this.groups !== 1) s.push(`groups=${this.groups}`);
    if (!this.bias) s.push('bias=False');
    return s.join(', ');
  }
}

/** Options of {@link Conv1d}. */
export interface Conv1dOptions {
  stride?: number;
  padding?: number;
  dilation?: number;
  groups?: number;
  bias?: boolean;
  dtype?: DType;
  device?: Device;
}

/** 1-d convolution over `[N, Cin, L]`; weight `[outChannels, inChannels/groups, k]`, PyTorch's init. */
export class Conv1d extends Module {
  readonly inChannels: number;
  readonly outChannels: number;
  readonly kernelSize: number;
  readonly stride: number;
  readonly padding: number;
  readonly dilation: number;
  readonly groups: number;
  declare weight: Tensor;
  declare bias: Tensor | null;

  constructor(inChannels: number, outChannels: number, kernelSize: number, o: Conv1dOptions = {}) {
    super();
    this.inChannels = positiveInt(inChannels, 'Conv1d: inChannels');
    this.outChannels = positiveInt(outChannels, 'Conv1d: outChannels');
    this.kernelSize = positiveInt(kernelSize, 'Conv1d: kernelSize');
    this.stride = positiveInt(o.stride ?? 1, 'Conv1d: stride');
    this.dilation = positiveInt(o.dilation ?? 1, 'Conv1d: dilation');
    this.padding = o.padding ?? 0;
    if (!Number.isInteger(this.padding) || this.padding < 0) throw new Error(`Conv1d: padding must be a non-negative integer, got ${this.padding}`);
    this.groups = positiveInt(o.groups ?? 1, 'Conv1d: groups');
    if (inChannels % this.groups || outChannels % this.groups)
      throw new Error(`Conv1d: inChannels (${inChannels}) and outChannels (${outChannels}) must both be divisible by groups (${this.groups})`);
    const opts = { dtype: o.dtype, device: o.device };
    this.registerParameter('weight', empty([outChannels, inChannels / this.groups, kernelSize], opts));
    kaimingUniform_(this.weight, { a: Math.sqrt(5) });
    this.registerParameter('bias', o.bias === false ? null : empty([outChannels], opts));
    if (this.bias) defaultBias_(this.bias, this.weight);
  }

  override forward(x: Tensor): Tensor {
    return F.conv1d(x, this.weight, this.bias, { stride: this.stride, padding: this.padding, dilation: this.dilation, groups: this.groups });
  }

  override extraRepr(): string {
    return `${this.inChannels}, ${this.outChannels}, kernel_size=(${this.kernelSize},), stride=(${this.stride},)`;
  }
}
