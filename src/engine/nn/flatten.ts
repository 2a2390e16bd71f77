/**
 * `Flatten`, like `torch.nn.Flatten`.
 * @module
 */
import type { Tensor } from '../tensor.js';
import { Module } from './module.js';

/** Flattens dimensions `startDim`..`endDim` (default 1..-1, keeping the batch dimension). */
export class Flatten extends Module {
  constructor(
    readonly startDim = 1,
    readonly endDim = -1,
  ) {
    super();
  }
  override forward(x: Tensor): Tensor {
    return x.flatten(this.startDim, this.endDim);
  }
  override extraRepr(): string {
    return `start_dim=${this.startDim}, end_dim=${this.endDim}`;
  }
}
