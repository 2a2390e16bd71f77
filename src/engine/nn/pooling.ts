/**
 * Pooling layers, like `torch.nn.MaxPool2d`, `AvgPool2d`, `AdaptiveAvgPool2d`, `AdaptiveMaxPool2d`.
 * @module
 */
import * as F from '../functional.js';
import type { Tensor } from '../tensor.js';
import { Module } from './module.js';

/** An integer or a (height, width) pair. */
type Size2 = number | [number, number];

const fmt = (v: Size2): string => (typeof v === 'number' ? String(v) : `(${v.join(', ')})`);

/** Options of {@link MaxPool2d}. */
export interface MaxPool2dOptions {
  /** Default: the kernel size. */
  stride?: Size2;
  padding?: Size2;
  dilation?: Size2;
  ceilMode?: boolean;
}

/** 2-d max pooling over `[N, C, H, W]`. */
export class MaxPool2d extends Module {
  readonly kernelSize: Size2;
  readonly options: Readonly<MaxPool2dOptions>;
  constructor(kernelSize: Size2, o: MaxPool2dOptions = {}) {
    super();
    this.kernelSize = kernelSize;
    this.options = { ...o };
  }
  override forward(x: Tensor): Tensor {
    return F.maxPool2d(x, this.kernelSize, this.options);
  }
  override extraRepr(): string {
    const o = this.options;
    return `kernel_size=${fmt(this.kernelSize)}, stride=${fmt(o.stride ?? this.kernelSize)}, padding=${fmt(o.padding ?? 0)}, dilation=${fmt(o.dilation ?? 1)}, ceil_mode=${o.ceilMode ? 'True' : 'False'}`;
  }
}

/** Options of {@link AvgPool2d}. */
export interface AvgPool2dOptions {
  /** Default: the kernel size. */
  stride?: Size2;
  padding?: Size2;
  ceilMode?: boolean;
  /** Whether padding zeros count in the average (default true). */
  countIncludePad?: boolean;
}

/** 2-d average pooling over `[N, C, H, W]`. */
export class AvgPool2d extends Module {
  readonly kernelSize: Size2;
  readonly options: Readonly<AvgPool2dOptions>;
  constructor(kernelSize: Size2, o: AvgPool2dOptions = {}) {
    super();
    this.kernelSize = kernelSize;
    this.options = { ...o };
  }
  override forward(x: Tensor): Tensor {
    return F.avgPool2d(x, this.kernelSize, this.options);
  }
  override extraRepr(): string {
    const o = this.options;
    return `kernel_size=${fmt(this.kernelSize)}, stride=${fmt(o.stride ?? this.kernelSize)}, padding=${fmt(o.padding ?? 0)}`;
  }
}

/** Average pooling to a fixed output size (e.g. 1 for global average pooling). */
export class AdaptiveAvgPool2d extends Module {
  constructor(readonly outputSize: Size2) {
    super();
  }
  override forward(x: Tensor): Tensor {
    return F.adaptiveAvgPool2d(x, this.outputSize);
  }
  override extraRepr(): string {
    return `output_size=${fmt(this.outputSize)}`;
  }
}

/** Max pooling to a fixed output size. */
export class AdaptiveMaxPool2d extends Module {
  constructor(readonly outputSize: Size2) {
    super();
  }
  override forward(x: Tensor): Tensor {
    return F.adaptiveMaxPool2d(x, this.outputSize);
  }
  override extraRepr(): string {
    return `output_size=${fmt(this.outputSize)}`;
  }
}
