/**
 * The training estimator: what a search worker runs for one trial. It builds an architecture's
 * network at the trial's fidelity, optionally starts it from a parent's weights, trains it with
 * {@link trainClassifier}, evaluates it on the validation split after every epoch, and returns
 * the learning curve with the final figures.
 *
 * ```ts
 * const data = loadDataset('fashion-mnist', { valSize: 5000, includeTest: false });
 * const r = await trainArchitecture(
 *   { arch: { space: 'nb201', values }, network: { channels: 16, cells: 5 },
 *     recipe: { epochs: 12, lr: 0.1 }, fidelity: { epochs: 3, dataFraction: 0.25 }, seed: 0 },
 *   data,
 *   { onEpoch: (p) => (hopeless(p) ? 'stop' : undefined) },
 * );
 * // r.status 'ok' | 'failed' | 'stopped', r.valAcc, r.curve[...]
 * ```
 *
 * A trial that diverges (a NaN or infinite loss, or one above `recipe.maxLoss`) ends at that
 * batch with status 'failed' and the reason; so does an architecture the space refuses. Other
 * errors (out of memory, a bug) are thrown, for the caller to treat as infrastructure failures.
 * Every tensor the trial makes is freed before it returns, whatever the outcome.
 * @module
 */
import { type Device, dispose, manualSeed, setNumThreads, tensor, tidy } from '../engine/index.js';
import { trainValSplit } from '../data/loader.js';
import type { ArchitectureJSON } from '../space/architecture.js';
import { buildNetwork } from '../space/networks/index.js';
import { getSpace } from '../space/registry.js';
import type { NetworkOptions } from '../space/space.js';
import { Rng } from '../util/rng.js';
import { ARCH_METADATA_KEY, type InheritOptions, type InheritReport, inheritWeights } from './inherit.js';
import { NETWORK_METADATA_KEY } from './model.js';
import { DivergenceError, type EpochResult, type LabelledSet, type TrainRecipe, trainClassifier } from './train.js';

/** The training recipe of a trial: {@link TrainRecipe} without what the trial sets itself. */
export type TrialRecipe = Partial<Omit<TrainRecipe, 'seed' | 'device'>>;

/**
 * How much of the full training a trial gets; each field given overrides the recipe's or the
 * network's, so a multi-fidelity strategy can ask for cheap versions of one configuration.
 */
export interface Fidelity {
  /** Training epochs (the schedule spans these). */
  epochs?: number;
  /** Fraction of the training split used, in (0, 1]: a seeded subset, the same for one seed. */
  dataFraction?: number;
  /** Initial channel width of the network. */
  channels?: number;
  /** Cells per stage (or the space's own meaning of `cells`). */
  cells?: number;
}

/** Network settings of a trial; input shape and classes come from the data. */
export interface TrialNetwork {
  channels?: number;
  cells?: number;
  /** Build the auxiliary head where the space has one (DARTS, NASNet); it is then trained with weight `recipe.auxWeight`. */
  auxiliary?: boolean;
}

/** One trial: which architecture, how big, how to train it, and where its weights come from and go. */
export interface TrialSpec {
  /** The space (default: `arch.space`); a `.json` path loads a user-defined space. */
  space?: string;
  /** The architecture, in its JSON form (`arch.toJSON()`). */
  arch: ArchitectureJSON;
  network?: TrialNetwork;
  /** Default: 1 epoch of SGD with the loop's defaults. */
  recipe?: TrialRecipe;
  fidelity?: Fidelity;
  /** Seed of the initialisation, the data subset, the shuffle and the augmentation (default 0). */
  seed?: number;
  /** libtorch intra-op threads for this process (default: leave as is). */
  threads?: number;
  /** Where to train (default: where the data is). */
  device?: Device;
  /** A parent's weights file: tensors that fit are copied into the new network before training ({@link inheritWeights}). */
  inheritFrom?: string;
  inherit?: InheritOptions;
  /** Save the trained weights here (safetensors, written atomically) with the architecture in the metadata; not on failure. */
  saveTo?: string;
}

/**
 * The data a trial trains on: what `loadDataset` returns fits (`train`, `val`, `numClasses`,
 * `inputShape`). Without `val`, a seeded tenth of `train` is held out for validation.
 */
export interface TrialData {
  train: LabelledSet;
  val?: LabelledSet;
  numClasses: number;
  /** One input's shape: `[C, H, W]` for images, `[F]` for a feature vector (tabular data). */
  inputShape: readonly number[];
  /** False: a mirrored input is not of its class, so augmentation does not flip unless the recipe says `flip: true` (`Dataset.flips`). */
  flips?: boolean;
}

/** One epoch of a trial's learning curve (a study store keeps it as `{ step: epoch, metrics: {...the rest} }`). */
export interface TrialCurvePoint {
  /** 1-based. */
  epoch: number;
  trainLoss: number;
  trainAcc: number;
  valLoss: number;
  valAcc: number;
  /** Learning rate at the end of the epoch. */
  lr: number;
  /** Wall time of the epoch, seconds. */
  seconds: number;
  /** The training part of `seconds` (without the validation). */
  trainSeconds: number;
  /** Training examples the epoch went through (fewer than the split's when a time budget ended it). */
  examples: number;
  /** True when the trial ends after this epoch anyway (its last epoch, its time spent, or aborted): nothing is left to prune. */
  last: boolean;
}

/** Hooks of {@link trainArchitecture}. */
export interface TrialHooks {
  /** After each epoch's validation; returning 'stop' ends the trial there with status 'stopped' (pruning); other values are ignored. */
  onEpoch?: (point: TrialCurvePoint) => unknown;
  /** Aborting stops training between batches (status 'stopped'). */
  signal?: AbortSignal;
}

/** What a trial gives back. */
export interface TrialResult {
  status: 'ok' | 'failed' | 'stopped';
  /** Why it failed (a diverged loss, a refused architecture). */
  reason?: string;
  /** Validation accuracy and loss after the last epoch trained (NaN when it failed). */
  valAcc: number;
  valLoss: number;
  /** Mean training loss of the last epoch (the offending loss when it diverged). */
  trainLoss: number;
  /** Parameters of the network as built, and multiply-adds per image by formula (NaN where the space has no formula). */
  params: number;
  flops: number;
  /** Epochs completed. */
  epochs: number;
  /** Wall time of the whole trial, seconds. */
  seconds: number;
  curve: TrialCurvePoint[];
  /** Training examples used (after `dataFraction`) and batches per epoch. */
  trainExamples: number;
  batchesPerEpoch: number;
  /** The network settings it was built with (fidelity applied). */
  network: NetworkOptions & { auxiliary?: boolean };
  /** What was inherited, when `inheritFrom` was given. */
  inherited?: InheritReport;
}

const validFraction = (f: number): boolean => f > 0 && f <= 1;

/**
 * Most epochs of a final model trained for a time (a search's final retraining, `loom train
 * --budget`): a cap that the time reaches first, except for very small data.
 */
export const MAX_FINAL_EPOCHS = 500;

/**
 * The first `n` examples of a training set (views of its tensors; dispose of both when done): the
 * progress figures of a model trained on the whole split, which leaves no validation part. They
 * measure fit, not generalisation; the test set is for the end.
 */
export function monitorSlice(train: LabelledSet, n = 2000): LabelledSet {
  const k = Math.min(n, train.images.shape[0]);
  return { images: train.images.narrow(0, 0, k), labels: train.labels.narrow(0, 0, k) };
}

/** A seeded subset of `fraction` of a labelled set (rows kept in their order), or null for the whole set. */
function subset(set: LabelledSet, fraction: number, seed: number): LabelledSet | null {
  const n = set.images.shape[0];
  const k = Math.max(1, Math.round(n * fraction));
  if (k >= n) return null;
  const idx = new Rng(seed).fork(0x5eed).permutation(n).slice(0, k).sort();
  return tidy(() => {
    const i = tensor(BigInt64Array.from(idx, (v) => BigInt(v)), { device: set.images.device });
    return { images: set.images.indexSelect(0, i), labels: set.labels.indexSelect(0, i.to({ device: set.labels.device })) };
  });
}

function checkSpec(spec: TrialSpec): void {
  const f = spec.fidelity ?? {};
  if (f.dataFraction !== undefined && !validFraction(f.dataFraction)) throw new Error(`fidelity.dataFraction must be in (0, 1], got ${f.dataFraction}`);
  for (const k of ['epochs', 'channels', 'cells'] as const) {
    const v = f[k];
    if (v !== undefined && !(Number.isInteger(v) && v > 0)) throw new Error(`fidelity.${k} must be a positive integer, got ${v}`);
  }
  if (spec.threads !== undefined && !(Number.isInteger(spec.threads) && spec.threads > 0)) throw new Error(`threads must be a positive integer, got ${spec.threads}`);
  const seed = spec.seed ?? 0;
  if (!(Number.isSafeInteger(seed) && seed >= 0)) throw new Error(`seed must be a non-negative integer, got ${seed}`);
}

/**
 * A data set's input shape as a network's `input` option: `[C, H, W]` (images) or `[F]` (a feature
 * vector); throws for any other shape.
 */
export function networkInput(shape: readonly number[]): NonNullable<NetworkOptions['input']> {
  if (shape.length === 3) return [shape[0], shape[1], shape[2]];
  if (shape.length === 1) return [shape[0]];
  throw new Error(`expects inputs [C, H, W] (images) or [F] (features), got shape [${shape.join(', ')}]`);
}

/**
 * Trains one architecture for one trial (see the module's doc): builds its network at the
 * fidelity, inherits `spec.inheritFrom`'s weights where they fit, trains on `data.train` (or the
 * fidelity's seeded fraction of it) with the recipe, validates after every epoch (calling
 * `hooks.onEpoch`, which may stop it), saves the weights to `spec.saveTo`, and returns the
 * curve and the final figures. The default recipe is 1 epoch; a divergence bound `maxLoss`
 * defaults to 100 (a cross-entropy far above any untrained network's).
 */
export async function trainArchitecture(spec: TrialSpec, data: TrialData, hooks: TrialHooks = {}): Promise<TrialResult> {
  checkSpec(spec);
  const t0 = performance.now();
  const seed = spec.seed ?? 0;
  const fid = spec.fidelity ?? {};
  if (spec.threads !== undefined) setNumThreads(spec.threads);
  const input = networkInput(data.inputShape);
  const network: NetworkOptions & { auxiliary?: boolean } = {
    input,
    classes: data.numClasses,
    ...(fid.channels ?? spec.network?.channels ? { channels: fid.channels ?? spec.network?.channels } : {}),
    ...(fid.cells ?? spec.network?.cells ? { cells: fid.cells ?? spec.network?.cells } : {}),
    ...(spec.network?.auxiliary ? { auxiliary: true } : {}),
  };
  const recipe: TrainRecipe = {
    maxLoss: 100,
    ...(data.flips === false ? { flip: false } : {}),
    ...spec.recipe,
    epochs: fid.epochs ?? spec.recipe?.epochs ?? 1,
    seed,
    ...(spec.device ? { device: spec.device } : {}),
  };
  const base = {
    params: Number.NaN,
    flops: Number.NaN,
    network,
    curve: [] as TrialCurvePoint[],
    trainExamples: 0,
    batchesPerEpoch: 0,
  };
  const failed = (reason: string, trainLoss = Number.NaN): TrialResult => ({
    ...base,
    status: 'failed',
    reason,
    valAcc: Number.NaN,
    valLoss: Number.NaN,
    trainLoss,
    epochs: base.curve.length,
    seconds: (performance.now() - t0) / 1000,
  });

  // The architecture and its network: a refusal here is the trial's failure, not the worker's.
  let net: ReturnType<typeof buildNetwork>;
  try {
    const space = getSpace(spec.space ?? spec.arch.space);
    const arch = space.fromJSON(spec.arch);
    manualSeed(seed);
    net = buildNetwork(arch, network);
    try {
      base.flops = space.measure?.(arch, network).flops ?? Number.NaN;
    } catch {
      // No formula for this network: flops stay unknown.
    }
  } catch (e) {
    if ((e as { code?: string }).code === 'LOOM_BAD_ARCH') return failed(`invalid architecture: ${(e as Error).message}`);
    throw e;
  }

  const owned: LabelledSet[] = [];
  try {
    base.params = net.numParameters();
    if (spec.device) net.to(spec.device);
    let inherited: InheritReport | undefined;
    if (spec.inheritFrom) inherited = inheritWeights(net, spec.inheritFrom, spec.inherit);

    let train = data.train;
    let val = data.val;
    if (!val) {
      const split = trainValSplit(train, { valFraction: 0.1, seed });
      owned.push(split.train, split.val);
      train = split.train;
      val = split.val;
    }
    if (fid.dataFraction !== undefined) {
      const part = subset(train, fid.dataFraction, seed);
      if (part) {
        owned.push(part);
        train = part;
      }
    }
    base.trainExamples = train.images.shape[0];
    const batch = recipe.batchSize ?? 128;
    base.batchesPerEpoch = Math.ceil(base.trainExamples / batch);

    const toPoint = (e: EpochResult): TrialCurvePoint => ({
      epoch: e.epoch,
      trainLoss: e.trainLoss,
      trainAcc: e.trainAccuracy,
      valLoss: e.valLoss ?? Number.NaN,
      valAcc: e.valAccuracy ?? Number.NaN,
      lr: e.lr,
      seconds: e.seconds,
      trainSeconds: e.trainSeconds,
      examples: e.examples,
      last: e.last,
    });
    let stoppedByHook = false;
    let result: Awaited<ReturnType<typeof trainClassifier>>;
    try {
      result = await trainClassifier(net, { train, val }, recipe, {
        signal: hooks.signal,
        onEpoch: (e) => {
          const p = toPoint(e);
          base.curve.push(p);
          if (hooks.onEpoch?.(p) === 'stop') {
            stoppedByHook = true;
            return 'stop';
          }
        },
      });
    } catch (e) {
      if (e instanceof DivergenceError) return { ...failed(e.message, e.loss), ...(inherited ? { inherited } : {}) };
      throw e;
    }
    const last = base.curve[base.curve.length - 1];
    // A stop asked for after the last epoch changes nothing: the trial is complete.
    const stopped = result.stopped && (base.curve.length < recipe.epochs || !!hooks.signal?.aborted);
    if (spec.saveTo) {
      net.save(spec.saveTo, {
        [ARCH_METADATA_KEY]: JSON.stringify(spec.arch),
        [NETWORK_METADATA_KEY]: JSON.stringify(network),
        'loom.epochs': String(base.curve.length),
      });
    }
    return {
      ...base,
      status: stopped ? 'stopped' : 'ok',
      ...(stopped ? { reason: stoppedByHook ? 'stopped by the caller after an epoch' : 'aborted' } : {}),
      valAcc: last?.valAcc ?? Number.NaN,
      valLoss: last?.valLoss ?? Number.NaN,
      trainLoss: last?.trainLoss ?? Number.NaN,
      epochs: base.curve.length,
      seconds: (performance.now() - t0) / 1000,
      ...(inherited ? { inherited } : {}),
    };
  } finally {
    net.dispose();
    dispose(owned);
  }
}
