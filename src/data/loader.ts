/**
 * Mini-batches over in-memory tensors, and seeded train/validation splits.
 *
 * ```ts
 * const loader = new DataLoader([images, labels], { batchSize: 128, seed: 0 });
 * for (const [x, y] of loader) {          // one epoch; the next loop is the next epoch
 *   tidy(() => { ...forward, backward, step... });
 * }
 * ```
 * @module
 */
import { type Device, type Tensor, dispose, tensor, tidy } from '../engine/index.js';
import { Rng } from '../util/rng.js';

export interface DataLoaderOptions {
  batchSize: number;
  /** Draw examples in a new random order each epoch (default true). */
  shuffle?: boolean;
  /** Seed of the shuffle: epoch `e` of seed `s` is always the same order (default 0). */
  seed?: number;
  /** Skip the last, smaller batch (default false). */
  dropLast?: boolean;
  /** Move each batch to this device. */
  device?: Device;
  /**
   * Applied to each batch (e.g. augmentation); runs inside a scope, so its intermediate tensors are
   * freed. Its result replaces the batch.
   */
  transform?: (batch: Tensor[]) => Tensor[];
}

function indexTensor(idx: Uint32Array | number[], device: Device = 'cpu'): Tensor {
  const out = new BigInt64Array(idx.length);
  for (let i = 0; i < idx.length; i++) out[i] = BigInt(idx[i]);
  return tensor(out, { device });
}

function commonLength(tensors: readonly Tensor[], what: string): number {
  if (!tensors.length) throw new Error(`${what}: needs at least one tensor`);
  const n = tensors[0].shape[0];
  if (n === undefined) throw new Error(`${what}: tensors need a first (example) dimension; got a 0-d tensor`);
  tensors.forEach((t, i) => {
    const m = t.shape[0];
    if (m !== n) throw new Error(`${what}: tensor ${i} has ${m} examples, tensor 0 has ${n}; all must agree on dimension 0`);
  });
  return n;
}

/**
 * Iterates over mini-batches of tensors that share their first dimension (e.g. `[images, labels]`).
 *
 * Each `for ... of` is one epoch, drawn in a seeded random order (a permutation of the example
 * indices, gathered with `indexSelect`). A batch's tensors belong to the loader: they are freed
 * when the next batch is drawn or the loop ends (`clone()` what must outlive that), so live
 * tensors stay flat without any bookkeeping by the caller, inside or outside `tidy`.
 */
export class DataLoader implements Iterable<Tensor[]> {
  readonly tensors: readonly Tensor[];
  readonly size: number;
  readonly batchSize: number;
  readonly shuffle: boolean;
  readonly seed: number;
  readonly dropLast: boolean;
  readonly device: Device | undefined;
  private readonly transform: ((batch: Tensor[]) => Tensor[]) | undefined;
  /** Epochs started so far (the next epoch's number). */
  epoch = 0;

  constructor(tensors: readonly Tensor[], opts: DataLoaderOptions) {
    this.size = commonLength(tensors, 'DataLoader');
    if (!Number.isInteger(opts.batchSize) || opts.batchSize <= 0) {
      throw new Error(`DataLoader: batchSize must be a positive integer, got ${opts.batchSize}`);
    }
    this.tensors = [...tensors];
    this.batchSize = opts.batchSize;
    this.shuffle = opts.shuffle ?? true;
    this.seed = opts.seed ?? 0;
    if (!Number.isSafeInteger(this.seed) || this.seed < 0) throw new Error(`DataLoader: seed must be a non-negative integer, got ${this.seed}`);
    this.dropLast = opts.dropLast ?? false;
    this.device = opts.device;
    this.transform = opts.transform;
  }

  /** Batches per epoch. */
  get length(): number {
    return this.dropLast ? Math.floor(this.size / this.batchSize) : Math.ceil(this.size / this.batchSize);
  }

  /** The order of examples in epoch `epoch` (identity when not shuffling). */
  order(epoch: number): Uint32Array {
    if (!this.shuffle) return Uint32Array.from({ length: this.size }, (_, i) => i);
    return new Rng(this.seed).fork(epoch).permutation(this.size);
  }

  /** Iterates over the next epoch. */
  [Symbol.iterator](): Iterator<Tensor[]> {
    return this.iterate(this.epoch++);
  }

  private *iterate(epoch: number): Generator<Tensor[]> {
    const nb = this.length;
    // The index lives where the data does (indexSelect needs both on one device).
    const perm = this.shuffle ? indexTensor(this.order(epoch), this.tensors[0].device) : null;
    let current: Tensor[] = [];
    try {
      for (let b = 0; b < nb; b++) {
        dispose(current);
        current = [];
        const start = b * this.batchSize;
        const len = Math.min(this.batchSize, this.size - start);
        current = tidy(() => {
          let out: Tensor[];
          if (perm) {
            const idx = perm.narrow(0, start, len);
            out = this.tensors.map((t) => t.indexSelect(0, t.device === idx.device ? idx : idx.to({ device: t.device })));
          } else out = this.tensors.map((t) => t.narrow(0, start, len));
          if (this.device) out = out.map((t) => t.to({ device: this.device }));
          if (this.transform) out = this.transform(out);
          return out;
        });
        yield current;
      }
    } finally {
      dispose(current);
      perm?.dispose();
    }
  }
}

export interface SplitOptions {
  /** Examples in the validation part (give this or `valFraction`). */
  valSize?: number;
  /** Fraction of examples in the validation part, in (0, 1). */
  valFraction?: number;
  /** Seed of the split (default 0). */
  seed?: number;
}

/**
 * Splits tensors that share their first dimension into seeded, disjoint train and validation parts
 * (new tensors; the inputs are untouched). Works on any record of tensors, e.g. `{ images, labels }`.
 */
export function trainValSplit<T extends { [K in keyof T]: Tensor }>(data: T, opts: SplitOptions): { train: T; val: T } {
  const keys = Object.keys(data) as (keyof T & string)[];
  const n = commonLength(
    keys.map((k): Tensor => data[k]),
    'trainValSplit',
  );
  const { trainIdx, valIdx } = splitIndices(n, opts);
  return tidy(() => {
    const vi = indexTensor(valIdx);
    const ti = indexTensor(trainIdx);
    const train = {} as Record<string, Tensor>;
    const val = {} as Record<string, Tensor>;
    for (const k of keys) {
      const t: Tensor = data[k];
      const onDevice = (i: Tensor) => (t.device === 'cpu' ? i : i.to({ device: t.device }));
      train[k] = t.indexSelect(0, onDevice(ti));
      val[k] = t.indexSelect(0, onDevice(vi));
    }
    return { train: train as unknown as T, val: val as unknown as T };
  });
}

/**
 * The example indices of {@link trainValSplit}'s two parts for `n` examples (each part in
 * ascending order; the same seed and sizes give the same parts), for splitting data that is not
 * (yet) in tensors.
 */
export function splitIndices(n: number, opts: SplitOptions): { trainIdx: Uint32Array; valIdx: Uint32Array } {
  let valSize: number;
  if (opts.valSize !== undefined) {
    valSize = opts.valSize;
    if (!Number.isInteger(valSize) || valSize <= 0 || valSize >= n) {
      throw new Error(`trainValSplit: valSize must be an integer in [1, ${n - 1}] for ${n} examples, got ${valSize}`);
    }
  } else if (opts.valFraction !== undefined) {
    if (!(opts.valFraction > 0 && opts.valFraction < 1)) throw new Error(`trainValSplit: valFraction must be in (0, 1), got ${opts.valFraction}`);
    valSize = Math.round(n * opts.valFraction);
    if (valSize <= 0 || valSize >= n) throw new Error(`trainValSplit: valFraction ${opts.valFraction} of ${n} examples leaves an empty part`);
  } else throw new Error('trainValSplit: give valSize or valFraction');
  const perm = new Rng(opts.seed ?? 0).permutation(n);
  // Keep each part in the original order: deterministic and kinder to caches.
  const valIdx = perm.slice(0, valSize).sort();
  const trainIdx = perm.slice(valSize).sort();
  return { trainIdx, valIdx };
}
