/**
 * Training and evaluating classifiers: the loop every training-based estimator builds on.
 *
 * ```ts
 * const result = await trainClassifier(model, { train, val, test }, { epochs: 5 }, {
 *   onEpoch: (e) => console.error(`epoch ${e.epoch}: val ${e.valAccuracy}`),
 * });
 * ```
 *
 * Every step runs inside `tidy`, so the number of live tensors is the same after each epoch
 * (reported as `liveTensors`, which tests assert on).
 * @module
 */
import {
  type Device,
  type MemoryFormat,
  F,
  autocast,
  cpuHasBfloat16,
  type Tensor,
  manualSeed,
  memory,
  noGrad,
  tidy,
} from '../engine/index.js';
import { Adam, AdamW, type Optimizer, SGD, clipGradNorm } from '../engine/optim.js';
import { CosineAnnealingLR, type LRScheduler, StepLR, WarmupLR } from '../engine/schedule.js';
import { augmentTransform } from '../data/augment.js';
import { DataLoader } from '../data/loader.js';

/** What the loop needs of a model: a forward call, train/eval modes and parameters (an `nn.Module` fits). */
export interface TrainableModel {
  call(x: Tensor): unknown;
  train(mode?: boolean): unknown;
  eval(): unknown;
  parameters(): Iterable<Tensor>;
  /** `Module.to`, for {@link TrainRecipe.channelsLast}. */
  to?(target: { memoryFormat?: MemoryFormat }): unknown;
}

/** A model with an auxiliary head (as `GraphNetwork`): both logits in training mode, `aux` null otherwise. */
interface AuxModel {
  forwardWithAux(x: Tensor): { logits: Tensor; aux: Tensor | null };
}

/** Inputs `[N, ...]` and integer class labels `[N]`. */
export interface LabelledSet {
  images: Tensor;
  labels: Tensor;
}

/** Data for {@link trainClassifier}: a training set, and optionally validation and test sets. */
export interface ClassifierData {
  train: LabelledSet;
  val?: LabelledSet;
  test?: LabelledSet;
}

/** How to train. Every field has a default fit for small image classifiers. */
export interface TrainRecipe {
  /** Training epochs; with `seconds`, the most epochs. */
  epochs: number;
  /**
   * Train for this wall time (validation included) instead of for `epochs`: the learning-rate
   * schedule then runs over time (its position is the larger of the time used and the batches
   * done over all `epochs`' batches), and training ends after the batch that uses up the time,
   * with the schedule at its end. The schedule so fits the time whatever the machine's load,
   * as in budgeted training (Li et al. 2020). Results then depend on the speed of the run.
   */
  seconds?: number;
  /** Default 128. */
  batchSize?: number;
  /** Default 'sgd'. */
  optimizer?: 'sgd' | 'adam' | 'adamw';
  /** Peak learning rate; default 0.1 for SGD, 1e-3 for Adam/AdamW. */
  lr?: number;
  /** SGD momentum, default 0.9. */
  momentum?: number;
  /** SGD Nesterov momentum, default true (false when `momentum` is 0). */
  nesterov?: boolean;
  /** Default 5e-4 (SGD, Adam) or 1e-2 (AdamW). */
  weightDecay?: number;
  /** Learning-rate schedule, stepped every batch: default 'cosine' (to 0 at the end). */
  schedule?: 'cosine' | 'step' | 'constant';
  /** Linear warm-up, in epochs (may be fractional); default 0. Not with `warmupFraction`. */
  warmupEpochs?: number;
  /**
   * Linear warm-up over this fraction of the whole schedule, in [0, 1): of the batches, or of the
   * time with `seconds` (where epochs are only a cap); default 0. Not with `warmupEpochs`.
   */
  warmupFraction?: number;
  /** Label smoothing of the cross-entropy loss, default 0. */
  labelSmoothing?: number;
  /** Random horizontal flips and shifts of up to `cropPadding` pixels; default false. */
  augment?: boolean;
  /** With `augment`, whether to flip (default true; false for data a mirror changes, like digits). */
  flip?: boolean;
  /** Shift range of the augmentation, default 2. */
  cropPadding?: number;
  /** Cutout (DeVries & Taylor 2017): a square of this size blanked in each training image, after any flip and shift; default 0 (none). */
  cutout?: number;
  /** Seed of the shuffle and of libtorch's generator (dropout, augmentation); default 0. */
  seed?: number;
  /** Clips the gradients' global L2 norm to this value before each step (default: no clipping). */
  gradClipNorm?: number;
  /**
   * Weight of the auxiliary head's loss, for models with `forwardWithAux` (a `GraphNetwork` built
   * with an `aux` output); default 0.4 (DARTS, NASNet). The reported loss is the main head's.
   */
  auxWeight?: number;
  /**
   * A batch loss above this ends training with a {@link DivergenceError} (default: only NaN or
   * infinite losses do).
   */
  maxLoss?: number;
  /** Batch size for evaluation, default 1000. */
  evalBatchSize?: number;
  /** Device of the batches (the model must already be there); default: where the data is. */
  device?: Device;
  /**
   * Lay the model's convolution weights out channels-last (`module.to({ memoryFormat })`) before
   * training image batches, so libtorch's CPU convolutions take oneDNN's channels-last path:
   * 1.1-1.9x faster training steps here, the same results up to float rounding. Default: on a
   * CPU, for models that have a `to` method. The model stays so laid out afterwards.
   */
  channelsLast?: boolean;
  /**
   * Precision of the forward pass: 'float32' (default), or 'bfloat16' for mixed precision
   * ({@link autocast}: convolutions and matrix products in bfloat16, the weights, the loss and the
   * optimizer step in float32), on the CPU or CUDA. It is about 1.5x faster where the CPU has
   * bfloat16 instructions ({@link cpuHasBfloat16}). Evaluation stays in float32. (float16 is not
   * offered: its narrow range needs loss scaling, which this loop does not do.)
   */
  precision?: Precision;
}

/** Precisions of a training recipe's forward pass ({@link TrainRecipe.precision}). */
export type Precision = 'float32' | 'bfloat16';
export const PRECISIONS: readonly Precision[] = ['float32', 'bfloat16'];

/**
 * 'auto' is 'bfloat16' for training on a CPU with bfloat16 instructions ({@link cpuHasBfloat16})
 * and 'float32' elsewhere (a GPU included: whether it has fast bfloat16 is not checked); other
 * values are themselves.
 */
export function resolvePrecision(p: Precision | 'auto', device: Device = 'cpu'): Precision {
  if (p !== 'auto') return p;
  return device === 'cpu' && cpuHasBfloat16() ? 'bfloat16' : 'float32';
}

/** What happened in one epoch. */
export interface EpochResult {
  /** 1-based. */
  epoch: number;
  epochs: number;
  trainLoss: number;
  trainAccuracy: number;
  valLoss?: number;
  valAccuracy?: number;
  /** Learning rate at the end of the epoch. */
  lr: number;
  /** Wall time of the epoch (training and validation), seconds. */
  seconds: number;
  /** The training part of `seconds` (the batches, without the validation after them). */
  trainSeconds: number;
  /** Training examples it went through (fewer than the split's when training for a time ended it early). */
  examples: number;
  /** Live native tensors after the epoch (flat from epoch to epoch when nothing leaks). */
  liveTensors: number;
  /** True when training ends after this epoch whatever `onEpoch` says: its last epoch, the time budget spent, or aborted. */
  last: boolean;
}

/** Progress within an epoch, for progress bars. */
export interface BatchProgress {
  epoch: number;
  epochs: number;
  /** 1-based batch number within the epoch. */
  batch: number;
  batches: number;
  /** Loss of this batch. */
  loss: number;
  /** Running means over the epoch so far. */
  meanLoss: number;
  accuracy: number;
  lr: number;
}

export interface TrainHooks {
  onEpochStart?: (epoch: number, batches: number) => void;
  onBatch?: (p: BatchProgress) => void;
  /** Called after each epoch's validation; returning 'stop' ends training there (the result then has `stopped: true`); other return values are ignored. */
  onEpoch?: (e: EpochResult) => unknown;
  /** Stops training between batches (the result then has `stopped: true`). */
  signal?: AbortSignal;
}

export interface EvalResult {
  loss: number;
  accuracy: number;
  correct: number;
  total: number;
}

export interface TrainResult {
  epochs: EpochResult[];
  /** Test-set result, when a test set was given. */
  test?: EvalResult;
  /** Whole run, seconds. */
  seconds: number;
  /** True when stopped early by the abort signal or by `onEpoch` returning 'stop'. */
  stopped: boolean;
}

/**
 * Training diverged: a batch loss became NaN or infinite, or rose above the recipe's `maxLoss`.
 * Thrown by {@link trainClassifier} at that batch, so a hopeless run ends at once.
 */
export class DivergenceError extends Error {
  /** The offending batch loss. */
  readonly loss: number;
  readonly epoch: number;
  /** 1-based batch number within the epoch. */
  readonly batch: number;
  constructor(loss: number, epoch: number, batch: number, maxLoss?: number) {
    const what = Number.isFinite(loss) ? `rose to ${loss}, above the bound ${maxLoss}` : `became ${loss}`;
    super(`training diverged: the loss ${what} in epoch ${epoch}, batch ${batch} (try a lower learning rate)`);
    this.name = 'DivergenceError';
    this.loss = loss;
    this.epoch = epoch;
    this.batch = batch;
  }
}

function checkRecipe(r: TrainRecipe): void {
  if (!Number.isInteger(r.epochs) || r.epochs <= 0) throw new Error(`epochs must be a positive integer, got ${r.epochs}`);
  const pos = (v: number | undefined, what: string) => {
    if (v !== undefined && !(Number.isFinite(v) && v > 0)) throw new Error(`${what} must be a positive number, got ${v}`);
  };
  pos(r.lr, 'lr');
  pos(r.batchSize, 'batchSize');
  pos(r.evalBatchSize, 'evalBatchSize');
  pos(r.gradClipNorm, 'gradClipNorm');
  pos(r.maxLoss, 'maxLoss');
  pos(r.seconds, 'seconds');
  if (r.auxWeight !== undefined && !(r.auxWeight >= 0)) throw new Error(`auxWeight must be >= 0, got ${r.auxWeight}`);
  if (r.batchSize !== undefined && !Number.isInteger(r.batchSize)) throw new Error(`batchSize must be an integer, got ${r.batchSize}`);
  if (r.weightDecay !== undefined && !(r.weightDecay >= 0)) throw new Error(`weightDecay must be >= 0, got ${r.weightDecay}`);
  if (r.warmupEpochs !== undefined && !(r.warmupEpochs >= 0)) throw new Error(`warmupEpochs must be >= 0, got ${r.warmupEpochs}`);
  if (r.warmupFraction !== undefined && !(r.warmupFraction >= 0 && r.warmupFraction < 1)) throw new Error(`warmupFraction must be in [0, 1), got ${r.warmupFraction}`);
  if (r.warmupEpochs !== undefined && r.warmupFraction !== undefined) throw new Error('give warmupEpochs or warmupFraction, not both');
  if (r.labelSmoothing !== undefined && !(r.labelSmoothing >= 0 && r.labelSmoothing < 1))
    throw new Error(`labelSmoothing must be in [0, 1), got ${r.labelSmoothing}`);
  if (r.precision !== undefined && !PRECISIONS.includes(r.precision)) throw new Error(`precision must be one of ${PRECISIONS.join(', ')}, got '${String(r.precision)}'`);
}

function makeOptimizer(params: Tensor[], r: TrainRecipe): Optimizer {
  const kind = r.optimizer ?? 'sgd';
  switch (kind) {
    case 'sgd':
      return new SGD(params, {
        lr: r.lr ?? 0.1,
        momentum: r.momentum ?? 0.9,
        nesterov: r.nesterov ?? (r.momentum ?? 0.9) > 0,
        weightDecay: r.weightDecay ?? 5e-4,
      });
    case 'adam':
      return new Adam(params, { lr: r.lr ?? 1e-3, weightDecay: r.weightDecay ?? 5e-4 });
    case 'adamw':
      return new AdamW(params, { lr: r.lr ?? 1e-3, weightDecay: r.weightDecay ?? 1e-2 });
    default:
      throw new Error(`unknown optimizer '${String(kind)}' (expected sgd, adam or adamw)`);
  }
}

function makeSchedule(opt: Optimizer, r: TrainRecipe, batchesPerEpoch: number): LRScheduler | null {
  const total = r.epochs * batchesPerEpoch;
  const warm = Math.min(total - 1, Math.round(r.warmupFraction !== undefined ? r.warmupFraction * total : (r.warmupEpochs ?? 0) * batchesPerEpoch));
  const rest = total - Math.max(0, warm);
  let main: LRScheduler | null;
  switch (r.schedule ?? 'cosine') {
    case 'cosine':
      main = new CosineAnnealingLR(opt, { tMax: Math.max(1, rest) });
      break;
    case 'step':
      main = new StepLR(opt, { stepSize: Math.max(1, Math.round(rest / 3)), gamma: 0.1 });
      break;
    case 'constant':
      main = null;
      break;
    default:
      throw new Error(`unknown schedule '${String(r.schedule)}' (expected cosine, step or constant)`);
  }
  if (warm > 0) return new WarmupLR(opt, { warmupSteps: warm, ...(main ? { after: main } : {}) });
  return main;
}

const yieldToEventLoop = (): Promise<void> => new Promise((res) => setImmediate(res));

/** Loss and accuracy of `model` on a labelled set, in eval mode without gradients. Restores the model's mode. */
export function evaluateClassifier(
  model: TrainableModel & { training?: boolean },
  set: LabelledSet,
  opts: { batchSize?: number; device?: Device } = {},
): EvalResult {
  const steps = evaluationSteps(model, set, opts);
  let r = steps.next();
  while (!r.done) r = steps.next();
  return r.value;
}

/**
 * {@link evaluateClassifier} that yields to the event loop between batches, so that a process
 * stays responsive (a worker keeps sending its heartbeat) while it evaluates a large set.
 */
export async function evaluateClassifierAsync(
  model: TrainableModel & { training?: boolean },
  set: LabelledSet,
  opts: { batchSize?: number; device?: Device } = {},
): Promise<EvalResult> {
  const steps = evaluationSteps(model, set, opts);
  let r = steps.next();
  while (!r.done) {
    await new Promise((res) => setImmediate(res));
    r = steps.next();
  }
  return r.value;
}

/** The evaluation, one batch per step. */
function* evaluationSteps(model: TrainableModel & { training?: boolean }, set: LabelledSet, opts: { batchSize?: number; device?: Device }): Generator<void, EvalResult> {
  const wasTraining = model.training ?? true;
  model.eval();
  try {
    const loader = new DataLoader([set.images, set.labels], { batchSize: opts.batchSize ?? 1000, shuffle: false, device: opts.device });
    let lossSum = 0;
    let correct = 0;
    for (const [x, y] of loader) {
      const [l, c] = noGrad(() =>
        tidy(() => {
          const logits = model.call(x) as Tensor;
          return [F.crossEntropy(logits, y, { reduction: 'sum' }).item(), logits.argmax(1).eq(y).sum().item()];
        }),
      );
      lossSum += l;
      correct += c;
      yield;
    }
    const total = loader.size;
    return { loss: lossSum / total, accuracy: correct / total, correct, total };
  } finally {
    model.train(wasTraining);
  }
}

/**
 * Trains a classifier with cross-entropy, then evaluates it on `data.val` after every epoch and on
 * `data.test` at the end. Async only so that it yields to the event loop between batches now and
 * then (timers, signals, heartbeats keep running); the work itself is synchronous.
 */
export async function trainClassifier(
  model: TrainableModel,
  data: ClassifierData,
  recipe: TrainRecipe,
  hooks: TrainHooks = {},
): Promise<TrainResult> {
  checkRecipe(recipe);
  const onCpu = (recipe.device ?? data.train.images.device) === 'cpu';
  const onDevice = onCpu ? 'cpu' : 'cuda';
  const precision = recipe.precision ?? 'float32';
  const seed = recipe.seed ?? 0;
  manualSeed(seed);
  if ((recipe.channelsLast ?? onCpu) && data.train.images.shape.length === 4) model.to?.({ memoryFormat: 'channels_last' });
  const params = [...model.parameters()];
  const opt = makeOptimizer(params, recipe);
  const pad = recipe.cropPadding ?? 2;
  if ((recipe.augment || (recipe.cutout ?? 0) > 0) && data.train.images.shape.length !== 4) {
    throw new Error(`augmentation (shifts, flips, cutout) is for images [N, C, H, W]; these inputs are [${data.train.images.shape.join(', ')}]: train them without it`);
  }
  const transform = augmentTransform({ cropPadding: recipe.augment ? pad : 0, flip: !!recipe.augment && recipe.flip !== false, cutout: recipe.cutout ?? 0 });
  const loader = new DataLoader([data.train.images, data.train.labels], {
    batchSize: recipe.batchSize ?? 128,
    seed,
    device: recipe.device,
    transform,
  });
  const sched = makeSchedule(opt, recipe, loader.length);
  const evalOpts = { batchSize: recipe.evalBatchSize ?? 1000, device: recipe.device };
  const smoothing = recipe.labelSmoothing ?? 0;
  const maxLoss = recipe.maxLoss ?? Number.POSITIVE_INFINITY;
  const auxWeight = recipe.auxWeight ?? 0.4;
  const withAux = (model as Partial<AuxModel>).forwardWithAux;
  const plainForward = (x: Tensor): { logits: Tensor; aux: Tensor | null } =>
    withAux && auxWeight > 0 ? withAux.call(model, x) : { logits: model.call(x) as Tensor, aux: null };
  // Mixed precision: the forward pass autocast, its logits back in float32 for the loss.
  const forward =
    precision === 'float32'
      ? plainForward
      : (x: Tensor) => {
          const { logits, aux } = autocast(() => plainForward(x), { device: onDevice, dtype: precision });
          return { logits: logits.float(), aux: aux ? aux.float() : null };
        };
  const results: EpochResult[] = [];
  const t0 = performance.now();
  // With a time budget the schedule's position follows the time used (see TrainRecipe.seconds).
  const totalSteps = recipe.epochs * loader.length;
  let steps = 0;
  let timeUp = false;
  const advanceSchedule = (): void => {
    steps++;
    if (recipe.seconds === undefined) {
      sched?.step();
      return;
    }
    const progress = Math.max(steps / totalSteps, (performance.now() - t0) / 1000 / recipe.seconds);
    if (progress >= 1) timeUp = true;
    sched?.setStep(Math.min(totalSteps, Math.max(steps, Math.round(progress * totalSteps))));
  };
  let stopped = false;
  let lastYield = performance.now();
  try {
    for (let epoch = 1; epoch <= recipe.epochs && !stopped && !timeUp; epoch++) {
      const te = performance.now();
      model.train(true);
      hooks.onEpochStart?.(epoch, loader.length);
      let lossSum = 0;
      let correct = 0;
      let seen = 0;
      let batch = 0;
      for (const [x, y] of loader) {
        const n = x.shape[0];
        const [loss, c] = tidy(() => {
          const { logits, aux } = forward(x);
          const l = F.crossEntropy(logits, y, { labelSmoothing: smoothing });
          const total = aux ? l.add(F.crossEntropy(aux, y, { labelSmoothing: smoothing }).mul(auxWeight)) : l;
          const lv = l.item();
          // A diverged loss is not stepped on, so the weights stay as they were before it.
          if (!(lv <= maxLoss)) return [lv, 0];
          opt.zeroGrad();
          total.backward();
          if (recipe.gradClipNorm !== undefined) clipGradNorm(params, recipe.gradClipNorm);
          opt.step();
          return [lv, logits.argmax(1).eq(y).sum().item()];
        });
        if (!(loss <= maxLoss)) throw new DivergenceError(loss, epoch, batch + 1, recipe.maxLoss);
        advanceSchedule();
        batch++;
        seen += n;
        lossSum += loss * n;
        correct += c;
        hooks.onBatch?.({
          epoch,
          epochs: recipe.epochs,
          batch,
          batches: loader.length,
          loss,
          meanLoss: lossSum / seen,
          accuracy: correct / seen,
          lr: opt.lr,
        });
        if (performance.now() - lastYield > 50) {
          await yieldToEventLoop();
          lastYield = performance.now();
        }
        if (hooks.signal?.aborted) {
          stopped = true;
          break;
        }
        if (timeUp) break;
      }
      const trainSeconds = (performance.now() - te) / 1000;
      const val = data.val ? await evaluateClassifierAsync(model, data.val, evalOpts) : undefined;
      const result: EpochResult = {
        epoch,
        epochs: recipe.epochs,
        trainLoss: lossSum / Math.max(1, seen),
        trainAccuracy: correct / Math.max(1, seen),
        ...(val ? { valLoss: val.loss, valAccuracy: val.accuracy } : {}),
        lr: opt.lr,
        seconds: (performance.now() - te) / 1000,
        trainSeconds,
        examples: seen,
        liveTensors: memory().liveTensors,
        last: timeUp || stopped || epoch === recipe.epochs,
      };
      results.push(result);
      if (hooks.onEpoch?.(result) === 'stop') stopped = true;
    }
    const test = data.test ? await evaluateClassifierAsync(model, data.test, evalOpts) : undefined;
    return { epochs: results, ...(test ? { test } : {}), seconds: (performance.now() - t0) / 1000, stopped };
  } finally {
    opt.dispose();
  }
}
