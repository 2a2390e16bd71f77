/**
 * `Embedding`, like `torch.nn.Embedding`.
 * @module
 */
import type { DType, Device } from '../dtype.js';
import * as F from '../functional.js';
import { type Tensor, empty, noGrad } from '../tensor.js';
import { normal_ } from './init.js';
import { Module } from './module.js';

/** Options of {@link Embedding}. */
export interface EmbeddingOptions {
  /**
   * A row initialised to zeros (e.g. for padding tokens). Unlike PyTorch, its gradient is not
   * masked: freeze it yourself if it must stay zero.
   */
  paddingIdx?: number;
  dtype?: DType;
  device?: Device;
}

/** A lookup table: integer indices of any shape to rows of `weight` `[numEmbeddings, embeddingDim]`, initialised N(0, 1). */
export class Embedding extends Module {
  readonly numEmbeddings: number;
  readonly embeddingDim: number;
  readonly paddingIdx: number | null;
  declare weight: Tensor;

  constructor(numEmbeddings: number, embeddingDim: number, o: EmbeddingOptions = {}) {
    super();
    if (!Number.isInteger(numEmbeddings) || numEmbeddings <= 0) throw new Error(`Embedding: numEmbeddings must be a positive integer, got ${numEmbeddings}`);
    if (!Number.isInteger(embeddingDim) || embeddingDim <= 0) throw new Error(`Embedding: embeddingDim must be a positive integer, got ${embeddingDim}`);
    this.numEmbeddings = numEmbeddings;
    this.embeddingDim = embeddingDim;
    let pad = o.paddingIdx ?? null;
    if (pad !== null) {
      if (!Number.isInteger(pad) || pad >= numEmbeddings || pad < -numEmbeddings)
        throw new Error(`Embedding: paddingIdx must be an integer in [-${numEmbeddings}, ${numEmbeddings}), got ${pad}`);
      if (pad < 0) pad += numEmbeddings;
    }
    this.paddingIdx = pad;
    this.registerParameter('weight', empty([numEmbeddings, embeddingDim], { dtype: o.dtype, device: o.device }));
    normal_(this.weight);
    if (pad !== null) {
      noGrad(() => {
        const row = this.weight.select(0, pad);
        row.zero_();
        row.dispose();
      });
    }
  }

  override forward(indices: Tensor): Tensor {
    return F.embedding(indices, this.weight);
  }

  override extraRepr(): string {
    return `${this.numEmbeddings}, ${this.embeddingDim}${this.paddingIdx !== null ? `, padding_idx=${this.paddingIdx}` : ''}`;
  }
}
