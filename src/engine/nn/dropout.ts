/**
 * `Dropout`, like `torch.nn.Dropout`.
 * @module
 */
import * as F from '../functional.js';
import type { Tensor } from '../tensor.js';
import { Module } from './module.js';

/**
 * In training mode, zeroes each element with probability `p` and scales the rest by 1/(1-p);
 * in eval mode, returns the input unchanged.
 */
export class Dropout extends Module {
  readonly p: number;
  constructor(p = 0.5) {
    super();
    if (!(p >= 0 && p <= 1)) throw new Error(`Dropout: probability must be between 0 and 1, got ${p}`);
    this.p = p;
  }
  override forward(x: Tensor): Tensor {
    return F.dropout(x, this.p, this.training);
  }
  override extraRepr(): string {
    return `p=${this.p}`;
  }
}
