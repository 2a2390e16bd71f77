/**
 * `Linear` and `Identity`, like `torch.nn.Linear` / `torch.nn.Identity`.
 * @module
 */
import type { DType, Device } from '../dtype.js';
import * as F from '../functional.js';
import { type Tensor, empty } from '../tensor.js';
import { defaultBias_, kaimingUniform_ } from './init.js';
import { Module } from './module.js';

/** Options of {@link Linear}. */
export interface LinearOptions {
  /** Whether to learn an additive bias (default true). */
  bias?: boolean;
  dtype?: DType;
  device?: Device;
}

/**
 * `y = x Wᵀ + b` over the last dimension. Weight `[outFeatures, inFeatures]`, bias
 * `[outFeatures]`, initialised as PyTorch does (Kaiming uniform with a = √5; bias U(±1/√inFeatures)).
 */
export class Linear extends Module {
  readonly inFeatures: number;
  readonly outFeatures: number;
  declare weight: Tensor;
  declare bias: Tensor | null;

  constructor(inFeatures: number, outFeatures: number, o: LinearOptions = {}) {
    super();
    for (const [v, what] of [
      [inFeatures, 'inFeatures'],
      [outFeatures, 'outFeatures'],
    ] as const) {
      if (!Number.isInteger(v) || v < 0) throw new Error(`Linear: ${what} must be a non-negative integer, got ${v}`);
    }
    this.inFeatures = inFeatures;
    this.outFeatures = outFeatures;
    const opts = { dtype: o.dtype, device: o.device };
    this.registerParameter('weight', empty([outFeatures, inFeatures], opts));
    kaimingUniform_(this.weight, { a: Math.sqrt(5) });
    this.registerParameter('bias', o.bias === false ? null : empty([outFeatures], opts));
    if (this.bias) defaultBias_(this.bias, this.weight);
  }

  override forward(x: Tensor): Tensor {
    return F.linear(x, this.weight, this.bias);
  }

  override extraRepr(): string {
    return `in_features=${this.inFeatures}, out_features=${this.outFeatures}, bias=${this.bias ? 'True' : 'False'}`;
  }
}

/** Returns its input unchanged (the very same tensor, as PyTorch does). */
export class Identity extends Module {
  override forward<T>(x: T): T {
    return x;
  }
}
