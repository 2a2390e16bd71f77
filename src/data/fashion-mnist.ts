/**
 * Fashion-MNIST (and any MNIST-style set of IDX files) as engine tensors.
 *
 * By default the files come from Debian's `dataset-fashion-mnist` package
 * (/usr/share/datasets/fashion-mnist); `LOOM_FASHION_MNIST` or the `dir` option points elsewhere.
 * @module
 */
import { existsSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { type Device, type Tensor, tensor, tidy } from '../engine/index.js';
import { DataError, DatasetNotFoundError } from './errors.js';
import { type IdxArray, readIdx } from './idx.js';

/** Where Debian's dataset-fashion-mnist package puts the files. */
export const FASHION_MNIST_DIR = '/usr/share/datasets/fashion-mnist';

/** Fashion-MNIST's ten classes, in label order. */
export const FASHION_MNIST_CLASSES: readonly string[] = [
  'T-shirt/top',
  'Trouser',
  'Pullover',
  'Dress',
  'Coat',
  'Sandal',
  'Shirt',
  'Sneaker',
  'Bag',
  'Ankle boot',
];

/** Images and their labels: `images` float32 `[N, C, H, W]`, `labels` int64 `[N]`. */
export interface LabelledImages {
  images: Tensor;
  labels: Tensor;
}

/** A loaded image-classification dataset. */
export interface ImageClassificationData {
  name: string;
  /** The folder the files were read from. */
  dir: string;
  train: LabelledImages;
  test: LabelledImages;
  classes: string[];
  /** Shape of one input, `[C, H, W]`. */
  inputShape: number[];
  /** Pixel mean and standard deviation of the (whole) training set, in [0, 1] units, used to normalise. */
  mean: number;
  std: number;
}

export interface IdxImageSetOptions {
  /** Folder holding the four IDX files (train/t10k images/labels, plain or gzipped). */
  dir?: string;
  /** Keep only the first N training examples (default: all). */
  trainLimit?: number;
  /** Keep only the first N test examples (default: all). */
  testLimit?: number;
  /** Normalise with the training set's mean and std after scaling to [0, 1] (default true). */
  normalize?: boolean;
  /** Put the tensors on this device (default 'cpu'). */
  device?: Device;
}

const KINDS = { images: 'idx3', labels: 'idx1' } as const;

/** Finds `<split>-<kind>-idxN-ubyte[.gz]` (or the `<split>-<kind>.idxN-ubyte` spelling) in `dir`. */
export function findIdxFile(dir: string, split: 'train' | 't10k', kind: 'images' | 'labels'): string | undefined {
  const base = [`${split}-${kind}-${KINDS[kind]}-ubyte`, `${split}-${kind}.${KINDS[kind]}-ubyte`];
  for (const b of base) {
    for (const name of [`${b}.gz`, b]) {
      const p = join(dir, name);
      if (existsSync(p)) return p;
    }
  }
  return undefined;
}

function checkLimit(v: number | undefined, what: string): void {
  if (v !== undefined && (!Number.isInteger(v) || v <= 0)) throw new Error(`${what} must be a positive integer, got ${v}`);
}

/** Exact mean and std of uint8 pixels (via a histogram), in [0, 1] units. */
function pixelStats(pixels: Uint8Array): { mean: number; std: number } {
  const hist = new Float64Array(256);
  for (let i = 0; i < pixels.length; i++) hist[pixels[i]]++;
  let sum = 0;
  let sq = 0;
  for (let v = 0; v < 256; v++) {
    sum += hist[v] * v;
    sq += hist[v] * v * v;
  }
  const n = pixels.length;
  const mean = sum / n;
  const variance = Math.max(0, sq / n - mean * mean);
  return { mean: mean / 255, std: Math.sqrt(variance) / 255 };
}

/**
 * Reads one split (`train` or `t10k`) of an MNIST-style folder: uint8 images `[N, H, W]` and as
 * many uint8 labels, each below `numClasses` when given.
 * @throws DataError when a file is malformed, the counts differ or a label is out of range.
 */
export function readIdxSplit(
  dir: string,
  split: 'train' | 't10k',
  numClasses: number | undefined,
): { images: IdxArray & { data: Uint8Array }; labels: Uint8Array } {
  const imgPath = findIdxFile(dir, split, 'images');
  const lblPath = findIdxFile(dir, split, 'labels');
  if (!imgPath || !lblPath) throw new DatasetNotFoundError(`${dir}: lacks the ${split} images or labels (${split}-images-idx3-ubyte[.gz], ${split}-labels-idx1-ubyte[.gz])`);
  const images = readIdx(imgPath);
  if (images.dtype !== 'uint8' || images.shape.length !== 3) {
    throw new DataError(`${imgPath}: expected uint8 images of shape [N, H, W], got ${images.dtype} [${images.shape.join(', ')}]`);
  }
  const labels = readIdx(lblPath);
  if (labels.dtype !== 'uint8' || labels.shape.length !== 1) {
    throw new DataError(`${lblPath}: expected uint8 labels of shape [N], got ${labels.dtype} [${labels.shape.join(', ')}]`);
  }
  if (labels.shape[0] !== images.shape[0]) {
    throw new DataError(`${lblPath}: ${labels.shape[0]} labels for ${images.shape[0]} images in ${imgPath}`);
  }
  if (numClasses !== undefined) {
    const lbl = labels.data as Uint8Array;
    for (let i = 0; i < lbl.length; i++) {
      if (lbl[i] >= numClasses) throw new DataError(`${lblPath}: label ${lbl[i]} at index ${i} is out of range for ${numClasses} classes`);
    }
  }
  return { images: images as IdxArray & { data: Uint8Array }, labels: labels.data as Uint8Array };
}

function toTensors(
  images: IdxArray & { data: Uint8Array },
  labels: Uint8Array,
  limit: number | undefined,
  norm: { mean: number; std: number } | null,
  device: Device,
): LabelledImages {
  const [n0, h, w] = images.shape;
  const n = Math.min(n0, limit ?? n0);
  return tidy(() => {
    const raw = tensor(images.data.subarray(0, n * h * w), { shape: [n, 1, h, w] });
    // In place: a fresh 188 MB tensor per step costs more in page faults than the arithmetic.
    const x = raw.to({ dtype: 'float32', device, copy: true });
    if (norm) x.mul_(1 / (255 * norm.std)).sub_(norm.mean / norm.std);
    else x.mul_(1 / 255);
    const y = tensor(labels.subarray(0, n), { shape: [n] }).to({ dtype: 'int64', device });
    return { images: x, labels: y };
  });
}

/**
 * Loads an MNIST-style set of IDX files: `train-images-idx3-ubyte`, `train-labels-idx1-ubyte`,
 * `t10k-images-idx3-ubyte`, `t10k-labels-idx1-ubyte` (each optionally `.gz`).
 * Images become float32 `[N, 1, H, W]` scaled to [0, 1] and (by default) normalised with the
 * training set's mean and std; labels become int64 `[N]`. Without `classes`, classes are named
 * '0', '1', ... up to the largest training label.
 * @throws DatasetNotFoundError when the folder or a file is missing.
 */
export function loadIdxImageSet(
  dir: string,
  opts: Omit<IdxImageSetOptions, 'dir'> & { name?: string; classes?: readonly string[]; missingHint?: string } = {},
): ImageClassificationData {
  checkLimit(opts.trainLimit, 'trainLimit');
  checkLimit(opts.testLimit, 'testLimit');
  const name = opts.name ?? 'IDX image set';
  const hint = opts.missingHint ?? '';
  if (!existsSync(dir) || !statSync(dir).isDirectory()) {
    throw new DatasetNotFoundError(`${name} not found: ${dir} is not a folder.${hint}`);
  }
  const missing: string[] = [];
  for (const split of ['train', 't10k'] as const) {
    for (const kind of ['images', 'labels'] as const) {
      if (!findIdxFile(dir, split, kind)) missing.push(`${split}-${kind}-${KINDS[kind]}-ubyte[.gz]`);
    }
  }
  if (missing.length) throw new DatasetNotFoundError(`${name} not found: ${dir} lacks ${missing.join(', ')}.${hint}`);

  const train = readIdxSplit(dir, 'train', opts.classes?.length);
  const test = readIdxSplit(dir, 't10k', opts.classes?.length);
  if (train.images.shape[1] !== test.images.shape[1] || train.images.shape[2] !== test.images.shape[2]) {
    throw new DataError(`${dir}: train images are ${train.images.shape.slice(1).join('x')} but test images are ${test.images.shape.slice(1).join('x')}`);
  }
  let classes = opts.classes ? [...opts.classes] : undefined;
  if (!classes) {
    let max = 0;
    for (const l of train.labels) max = Math.max(max, l);
    classes = Array.from({ length: max + 1 }, (_, i) => String(i));
  }
  const stats = pixelStats(train.images.data);
  const norm = opts.normalize === false ? null : stats;
  const device = opts.device ?? 'cpu';
  const trainT = toTensors(train.images, train.labels, opts.trainLimit, norm, device);
  const testT = toTensors(test.images, test.labels, opts.testLimit, norm, device);
  return {
    name,
    dir,
    train: trainT,
    test: testT,
    classes,
    inputShape: [1, train.images.shape[1], train.images.shape[2]],
    mean: stats.mean,
    std: stats.std,
  };
}

/** The folder Fashion-MNIST is read from: `dir`, else `$LOOM_FASHION_MNIST`, else Debian's. */
export function fashionMnistDir(dir?: string): string {
  return dir || process.env.LOOM_FASHION_MNIST || FASHION_MNIST_DIR;
}

/**
 * Loads Fashion-MNIST (60 000 training and 10 000 test images of 28x28, ten classes).
 * @throws DatasetNotFoundError (telling how to install it) when the files are missing.
 */
export function loadFashionMnist(opts: IdxImageSetOptions = {}): ImageClassificationData {
  const dir = fashionMnistDir(opts.dir);
  return loadIdxImageSet(dir, {
    ...opts,
    name: 'Fashion-MNIST',
    classes: FASHION_MNIST_CLASSES,
    missingHint:
      ' Install it with `apt-get install dataset-fashion-mnist`, or point LOOM_FASHION_MNIST (or --data) at a folder ' +
      'holding train-images-idx3-ubyte.gz, train-labels-idx1-ubyte.gz, t10k-images-idx3-ubyte.gz and t10k-labels-idx1-ubyte.gz.',
  });
}
