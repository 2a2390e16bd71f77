/**
 * Batch augmentations for images `[N, C, H, W]`, drawn per example from libtorch's generator
 * (seed it with `manualSeed`). Use as a {@link DataLoader} `transform`.
 * @module
 */
import { F, type Tensor, arange, rand, randint, tidy, where } from '../engine/index.js';

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
