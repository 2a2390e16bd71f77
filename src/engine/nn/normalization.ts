/**
 * Normalisation layers, like `torch.nn.BatchNorm1d/2d`, `LayerNorm` and `GroupNorm`.
 * @module
 */
import type { DType, Device } from '../dtype.js';
import * as F from '../functional.js';
import { type Tensor, noGrad, ones, scalar, zeros } from '../tensor.js';
import { ones_, zeros_ } from './init.js';
import { Module } from './module.js';

/** Options of the batch-norm layers. */
export interface BatchNormOptions {
  /** Added to the variance for stability (default 1e-5). */
  eps?: number;
  /**
   * Weight of the newest batch in the running statistics (default 0.1); `null` gives a cumulative
   * average over all batches seen.
   */
  momentum?: number | null;
  /** Whether to learn a per-channel scale (weight) and shift (bias) (default true). */
  affine?: boolean;
  /**
   * Whether to keep running statistics (default true). Without them the layer normalises with
   * batch statistics in eval mode too.
   */
  trackRunningStats?: boolean;
  dtype?: DType;
  device?: Device;
}

/**
 * Shared code of {@link BatchNorm1d} and {@link BatchNorm2d}. State dict names follow PyTorch:
 * `weight`, `bias`, `running_mean`, `running_var`, `num_batches_tracked`.
 */
export abstract class BatchNormBase extends Module {
  readonly numFeatures: number;
  readonly eps: number;
  readonly momentum: number | null;
  readonly affine: boolean;
  readonly trackRunningStats: boolean;
  declare weight: Tensor | null;
  declare bias: Tensor | null;
  declare running_mean: Tensor | null;
  declare running_var: Tensor | null;
  declare num_batches_tracked: Tensor | null;

  constructor(numFeatures: number, o: BatchNormOptions = {}) {
    super();
    if (!Number.isInteger(numFeatures) || numFeatures <= 0) throw new Error(`${new.target.name}: numFeatures must be a positive integer, got ${numFeatures}`);
    this.numFeatures = numFeatures;
    this.eps = o.eps ?? 1e-5;
    this.momentum = o.momentum === undefined ? 0.1 : o.momentum;
    this.affine = o.affine ?? true;
    this.trackRunningStats = o.trackRunningStats ?? true;
    const opts = { dtype: o.dtype, device: o.device };
    this.registerParameter('weight', this.affine ? ones([numFeatures], opts) : null);
    this.registerParameter('bias', this.affine ? zeros([numFeatures], opts) : null);
    this.registerBuffer('running_mean', this.trackRunningStats ? zeros([numFeatures], opts) : null);
    this.registerBuffer('running_var', this.trackRunningStats ? ones([numFeatures], opts) : null);
    this.registerBuffer('num_batches_tracked', this.trackRunningStats ? scalar(0, { dtype: 'int64', device: o.device }) : null);
  }

  /** Running mean (the `running_mean` buffer). */
  get runningMean(): Tensor | null {
    return this.running_mean;
  }
  /** Running variance (the `running_var` buffer). */
  get runningVar(): Tensor | null {
    return this.running_var;
  }
  /** How many training batches have updated the running statistics. */
  get numBatchesTracked(): number {
    return this.num_batches_tracked ? this.num_batches_tracked.item() : 0;
  }

  /** Resets running statistics to mean 0, variance 1, no batches. */
  resetRunningStats(): void {
    if (this.running_mean) zeros_(this.running_mean);
    if (this.running_var) ones_(this.running_var);
    if (this.num_batches_tracked) noGrad(() => this.num_batches_tracked?.zero_());
  }
  /** Resets running statistics and the affine weight (1) and bias (0). */
  resetParameters(): void {
    this.resetRunningStats();
    if (this.weight) ones_(this.weight);
    if (this.bias) zeros_(this.bias);
  }

  /** @internal Throws unless the input has an accepted number of dimensions. */
  protected abstract checkInput(x: Tensor): void;

  override forward(x: Tensor): Tensor {
    this.checkInput(x);
    if (x.shape[1] !== this.numFeatures)
      throw new Error(`${this.constructor.name}(${this.numFeatures}): input has ${x.shape[1]} channels in dim 1 (shape [${x.shape.join(', ')}])`);
    let factor = this.momentum ?? 0;
    if (this.training && this.trackRunningStats && this.num_batches_tracked) {
      const nbt = this.num_batches_tracked;
      noGrad(() => nbt.add_(1));
      factor = this.momentum ?? 1 / nbt.item();
    }
    const bnTraining = this.training || (!this.running_mean && !this.running_var);
    const useRunning = !this.training || this.trackRunningStats;
    return F.batchNorm(x, useRunning ? this.running_mean : null, useRunning ? this.running_var : null, {
      weight: this.weight,
      bias: this.bias,
      training: bnTraining,
      momentum: factor,
      eps: this.eps,
    });
  }

  override extraRepr(): string {
    return `${this.numFeatures}, eps=${this.eps}, momentum=${this.momentum ?? 'None'}, affine=${this.affine ? 'True' : 'False'}, track_running_stats=${this.trackRunningStats ? 'True' : 'False'}`;
  }
}

/** Batch normalisation over `[N, C]` or `[N, C, L]` inputs. */
export class BatchNorm1d extends BatchNormBase {
  protected override checkInput(x: Tensor): void {
    if (x.ndim !== 2 && x.ndim !== 3) throw new Error(`BatchNorm1d expects a 2-d or 3-d input, got shape [${x.shape.join(', ')}]`);
  }
}

/** Batch normalisation over `[N, C, H, W]` inputs. */
export class BatchNorm2d extends BatchNormBase {
  protected override checkInput(x: Tensor): void {
    if (x.ndim !== 4) throw new Error(`BatchNorm2d expects a 4-d input [N, C, H, W], got shape [${x.shape.join(', ')}]`);
  }
}

/** Options of {@link LayerNorm}. */
export interface LayerNormOptions {
  eps?: number;
  /** Whether to learn a scale (and a shift, unless `bias` is false) (default true). */
  elementwiseAffine?: boolean;
  bias?: boolean;
  dtype?: DType;
  device?: Device;
}

/** Normalises over the last dimensions, of shape `normalizedShape`. Weight 1, bias 0. */
export class LayerNorm extends Module {
  readonly normalizedShape: number[];
  readonly eps: number;
  readonly elementwiseAffine: boolean;
  declare weight: Tensor | null;
  declare bias: Tensor | null;

  constructor(normalizedShape: number | number[], o: LayerNormOptions = {}) {
    super();
    const shape = typeof normalizedShape === 'number' ? [normalizedShape] : [...normalizedShape];
    if (!shape.length || !shape.every((d) => Number.isInteger(d) && d > 0))
      throw new Error(`LayerNorm: normalizedShape must be positive integers, got ${JSON.stringify(normalizedShape)}`);
    this.normalizedShape = shape;
    this.eps = o.eps ?? 1e-5;
    this.elementwiseAffine = o.elementwiseAffine ?? true;
    const opts = { dtype: o.dtype, device: o.device };
    this.registerParameter('weight', this.elementwiseAffine ? ones(shape, opts) : null);
    this.registerParameter('bias', this.elementwiseAffine && o.bias !== false ? zeros(shape, opts) : null);
  }

  override forward(x: Tensor): Tensor {
    return F.layerNorm(x, this.normalizedShape, this.weight, this.bias, this.eps);
  }

  override extraRepr(): string {
    return `(${this.normalizedShape.join(', ')},), eps=${this.eps}, elementwise_affine=${this.elementwiseAffine ? 'True' : 'False'}`;
  }
}

/** Options of {@link GroupNorm}. */
export interface GroupNormOptions {
  eps?: number;
  /** Whether to learn a per-channel scale and shift (default true). */
  affine?: boolean;
  dtype?: DType;
  device?: Device;
}

/** Normalises `[N, C, ...]` inputs over groups of `numChannels / numGroups` channels. Weight 1, bias 0. */
export class GroupNorm extends Module {
  readonly numGroups: number;
  readonly numChannels: number;
  readonly eps: number;
  readonly affine: boolean;
  declare weight: Tensor | null;
  declare bias: Tensor | null;

  constructor(numGroups: number, numChannels: number, o: GroupNormOptions = {}) {
    super();
    if (!Number.isInteger(numGroups) || numGroups <= 0 || !Number.isInteger(numChannels) || numChannels <= 0)
      throw new Error(`GroupNorm: numGroups and numChannels must be positive integers, got ${numGroups} and ${numChannels}`);
    if (numChannels % numGroups) throw new Error(`GroupNorm: numChannels (${numChannels}) must be divisible by numGroups (${numGroups})`);
    this.numGroups = numGroups;
    this.numChannels = numChannels;
    this.eps = o.eps ?? 1e-5;
    this.affine = o.affine ?? true;
    const opts = { dtype: o.dtype, device: o.device };
    this.registerParameter('weight', this.affine ? ones([numChannels], opts) : null);
    this.registerParameter('bias', this.affine ? zeros([numChannels], opts) : null);
  }

  override forward(x: Tensor): Tensor {
    return F.groupNorm(x, this.numGroups, this.weight, this.bias, this.eps);
  }

  override extraRepr(): string {
    return `${this.numGroups}, ${this.numChannels}, eps=${this.eps}, affine=${this.affine ? 'True' : 'False'}`;
  }
}

