/**
 * Batch augmentations for images `[N, C, H, W]`, drawn per example from libtorch's generator
 * (seed it with `manualSeed`), and per-channel normalisation. Each is a few whole-batch engine ops,
 * with no loop over images. Use as a {@link DataLoader} `transform` ({@link augmentTransform}).
 * @module
 */
import { F, type Tensor, arange, rand, randint, tensor, tidy, where } from '../engine/index.js';

/** Mirrors each image left-right with probability `p`. */
export function randomHorizontalFlip(x: Tensor, p = 0.5): Tensor {
  return tidy(() => {
    const n = x.shape[0];
    const mask = rand([n, 1, 1, 1], { device: x.device }).lt(p);
    return where(mask, x.flip([3]), x);
  });
}

/**
 * Shifts each image by up to `padding` pixels in each direction, filling with `fill`
 * (like torchvision's RandomCrop(size, padding)).
 */
export function randomCrop(x: Tensor, padding: number, fill = 0): Tensor {
  if (!Number.isInteger(padding) || padding < 0) throw new Error(`randomCrop: padding must be a non-negative integer, got ${padding}`);
  if (padding === 0) return x.alias();
  return tidy(() => {
    const [n, c, h, w] = x.shape;
    const padded = F.pad(x, [padding, padding, padding, padding], 'constant', fill);
    const dy = randint(0, 2 * padding + 1, [n, 1, 1, 1], { device: x.device });
    const dx = randint(0, 2 * padding + 1, [n, 1, 1, 1], { device: x.device });
    const rows = dy.add(arange(h, undefined, 1, { device: x.device }).view(1, 1, h, 1)).expand(n, c, h, w + 2 * padding);
    const cropped = padded.gather(2, rows);
    const cols = dx.add(arange(w, undefined, 1, { device: x.device }).view(1, 1, 1, w)).expand(n, c, h, w);
    return cropped.gather(3, cols);
  });
}

/** Composes batch transforms that apply to the first tensor of a batch (the inputs), leaving the rest. */
export function onInputs(...fns: ((x: Tensor) => Tensor)[]): (batch: Tensor[]) => Tensor[] {
  return ([x, ...rest]) => {
    let y = x;
    for (const f of fns) y = f(y);
    return [y, ...rest];
  };
}

/** Options of {@link cutout}. */
export interface CutoutOptions {
  /** Probability that an image gets its square (default 1, as in DeVries & Taylor). */
  p?: number;
  /**
   * Keep the whole square inside the image (its area is then exactly `size`²). Default false: the
   * square's centre is uniform over the image and the part outside is clipped, as in the paper.
   */
  inside?: boolean;
  /** Value written into the square (default 0: on normalised inputs, the training mean). */
  fill?: number;
}

/**
 * Cutout (DeVries & Taylor 2017, "Improved Regularization of Convolutional Neural Networks with
 * Cutout"): sets one random `size` x `size` square of each image, across all channels, to `fill`.
 * The squares are drawn for the whole batch at once from libtorch's generator, so a run under
 * `manualSeed` is reproducible.
 */
export function cutout(x: Tensor, size: number, opts: CutoutOptions = {}): Tensor {
  if (!Number.isInteger(size) || size < 0) throw new Error(`cutout: size must be a non-negative integer, got ${size}`);
  const p = opts.p ?? 1;
  if (!(p >= 0 && p <= 1)) throw new Error(`cutout: p must be in [0, 1], got ${p}`);
  if (x.shape.length !== 4) throw new Error(`cutout: expects images [N, C, H, W], got shape [${x.shape.join(', ')}]`);
  const [n, , h, w] = x.shape;
  if (opts.inside && (size > h || size > w)) throw new Error(`cutout: a ${size}x${size} square does not fit inside ${h}x${w} images`);
  if (size === 0 || p === 0 || n === 0) return x.alias();
  return tidy(() => {
    const device = x.device;
    let top: Tensor;
    let left: Tensor;
    if (opts.inside) {
      top = randint(0, h - size + 1, [n, 1, 1, 1], { device });
      left = randint(0, w - size + 1, [n, 1, 1, 1], { device });
    } else {
      const half = Math.floor(size / 2);
      top = randint(0, h, [n, 1, 1, 1], { device }).sub(half);
      left = randint(0, w, [n, 1, 1, 1], { device }).sub(half);
    }
    const rows = arange(h, undefined, 1, { device }).view(1, 1, h, 1);
    const cols = arange(w, undefined, 1, { device }).view(1, 1, 1, w);
    const inRows = rows.ge(top).logicalAnd(rows.lt(top.add(size)));
    const inCols = cols.ge(left).logicalAnd(cols.lt(left.add(size)));
    let mask = inRows.logicalAnd(inCols);
    if (p < 1) mask = mask.logicalAnd(rand([n, 1, 1, 1], { device }).lt(p));
    return x.maskedFill(mask, opts.fill ?? 0);
  });
}

function channelView(x: Tensor, values: readonly number[], what: string): Tensor {
  if (x.shape.length < 2) throw new Error(`normalize: expects [N, C, ...] inputs, got shape [${x.shape.join(', ')}]`);
  const c = x.shape[1];
  if (values.length !== c) throw new Error(`normalize: ${values.length} ${what} value(s) for ${c} channels`);
  const shape = [1, c, ...x.shape.slice(2).map(() => 1)];
  return tensor(Float32Array.from(values), { shape, device: x.device }).to({ dtype: x.dtype });
}

function checkStd(std: readonly number[]): void {
  for (const s of std) if (!(s > 0 && Number.isFinite(s))) throw new Error(`normalize: std must be positive and finite, got ${s}`);
}

/**
 * Per-channel normalisation `(x - mean[c]) / std[c]` of inputs `[N, C, ...]` (images
 * `[N, C, H, W]`, or tabular `[N, F]` with one "channel" per feature), as engine ops.
 */
export function normalize(x: Tensor, mean: readonly number[], std: readonly number[]): Tensor {
  checkStd(std);
  return tidy(() => x.sub(channelView(x, mean, 'mean')).div(channelView(x, std, 'std')));
}

/** {@link normalize} in place (for whole data sets, where a second copy costs memory); returns `x`. */
export function normalize_(x: Tensor, mean: readonly number[], std: readonly number[]): Tensor {
  checkStd(std);
  tidy(() => {
    x.sub_(channelView(x, mean, 'mean')).div_(channelView(x, std, 'std'));
  });
  return x;
}

/** Augmentations for {@link augmentTransform}, applied in this order. */
export interface AugmentOptions {
  /** Random crop with this much zero padding on each side (0 or absent: none). */
  cropPadding?: number;
  /** Random horizontal flip with probability 0.5. */
  flip?: boolean;
  /** Cutout with this square size (0 or absent: none). */
  cutout?: number;
}

/**
 * A {@link DataLoader} `transform` applying the chosen augmentations to each batch's inputs, or
 * undefined when none is chosen.
 */
export function augmentTransform(opts: AugmentOptions): ((batch: Tensor[]) => Tensor[]) | undefined {
  const fns: ((x: Tensor) => Tensor)[] = [];
  const pad = opts.cropPadding ?? 0;
  const size = opts.cutout ?? 0;
  if (!Number.isInteger(pad) || pad < 0) throw new Error(`augmentTransform: cropPadding must be a non-negative integer, got ${pad}`);
  if (!Number.isInteger(size) || size < 0) throw new Error(`augmentTransform: cutout must be a non-negative integer, got ${size}`);
  if (pad > 0) fns.push((x) => randomCrop(x, pad));
  if (opts.flip) fns.push((x) => randomHorizontalFlip(x));
  if (size > 0) fns.push((x) => cutout(x, size));
  return fns.length ? onInputs(...fns) : undefined;
}
