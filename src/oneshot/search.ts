/**
 * The training-step skeleton every one-shot method runs on: epochs of steps, each a weight step
 * (SGD with momentum, weight decay, gradient clipping and a cosine schedule, on a training batch)
 * and, for methods with architecture parameters, an architecture step (Adam on the alphas, from
 * a validation batch). A method ({@link OneShotMethod}) says only what differs: the supernet's
 * forward mode for the weight step, how the alphas get their gradient, which comes first, and
 * what to report. DARTS (`darts.ts`) and GDAS (`gdas.ts`) are such methods.
 *
 * ```ts
 * const s = new Supernet('nb201', { channels: 8, cells: 1, input: [1, 28, 28] });
 * const r = await dartsSearch(s, { train, val }, { epochs: 10, onEpoch: (e) => console.error(e.arch) });
 * // r.arch: the derived architecture; r.history: one entry per epoch; r.seconds
 * ```
 *
 * Every step runs inside `tidy`, so live tensors stay flat from epoch to epoch (reported as
 * `liveTensors`).
 * @module
 */
import { type Device, F, type Tensor, autograd, clipGradNorm, manualSeed, memory, tidy } from '../engine/index.js';
import { Adam, type Optimizer, SGD } from '../engine/optim.js';
import { CosineAnnealingLR } from '../engine/schedule.js';
import { DataLoader } from '../data/loader.js';
import { DivergenceError, type LabelledSet } from '../estimate/train.js';
import type { Architecture } from '../space/architecture.js';
import type { PerturbationDecision } from './darts-pt.js';
import { type ForwardMode, type Supernet, SupernetError } from './supernet.js';

/** The two halves one-shot search trains on: weights on `train`, the architecture on `val`. */
export interface OneShotData {
  train: LabelledSet;
  val: LabelledSet;
}

/** Options every method takes; defaults are DARTS's CIFAR-10 search settings. */
export interface OneShotOptions {
  epochs: number;
  /** Default 64. */
  batchSize?: number;
  /** Weights: SGD learning rate, cosine-annealed per epoch from `lr` to `lrMin` (defaults 0.025, 0.001). */
  lr?: number;
  lrMin?: number;
  /** Default 0.9. */
  momentum?: number;
  /** Weights' L2 weight decay, default 3e-4. */
  weightDecay?: number;
  /** Gradient clipping of the weights (global L2 norm), default 5. */
  gradClip?: number;
  /** Alphas: Adam learning rate, betas and weight decay (defaults 3e-4, [0.5, 0.999], 1e-3). */
  archLr?: number;
  archBetas?: [number, number];
  archWeightDecay?: number;
  /** Epochs of weight training only, before the alphas are updated (default 0). */
  warmupEpochs?: number;
  /** Seed of the batch order and of libtorch's generator (Gumbel noise), default 0. */
  seed?: number;
  /** Device of the batches (the supernet must already be there); default: where the data is. */
  device?: Device;
  /**
   * Lay the supernet's convolution weights out channels-last first (`Module.to({ memoryFormat })`),
   * for libtorch's faster CPU convolutions; the supernet stays so. Default: on a CPU.
   */
  channelsLast?: boolean;
  /** Stops between steps (the result then has `stopped: true`). */
  signal?: AbortSignal;
  /**
   * Stops between steps once this much time has passed. The weights' cosine schedule then follows
   * the time: its position is the larger of the epochs done and the share of the time used times
   * `epochs`, so the learning rate has decayed when the time is up, as in a search of fewer epochs.
   */
  budgetSeconds?: number;
  /** After each epoch; returning 'stop' ends the search there. */
  onEpoch?: (e: OneShotEpoch) => unknown;
  /** After each step. */
  onStep?: (p: { epoch: number; step: number; steps: number; trainLoss: number; valLoss?: number }) => void;
}

/** One epoch of a search. */
export interface OneShotEpoch {
  /** 1-based. */
  epoch: number;
  epochs: number;
  /** Means over the epoch's weight steps (in the method's training mode, e.g. the softmax mixture). */
  trainLoss: number;
  trainAccuracy: number;
  /** Means over the epoch's architecture steps (their validation batches); absent without any. */
  valLoss?: number;
  valAccuracy?: number;
  /** Weights' learning rate in this epoch. */
  lr: number;
  seconds: number;
  liveTensors: number;
  /** The architecture derived at the end of the epoch, in the space's text form. */
  arch: string;
  /** softmax(alpha) per cell type, edge and op, at the end of the epoch. */
  opWeights: number[][][];
  /** Method-specific values (GDAS's `tau`, DARTS-'s `beta`, ...). */
  extra: Record<string, number>;
}

/** What a search returns. */
export interface OneShotResult {
  /** The derived architecture. */
  arch: Architecture;
  /** {@link arch} in the space's text form. */
  text: string;
  history: OneShotEpoch[];
  /** Wall time of the whole search. */
  seconds: number;
  /** True when stopped early (signal, budget, or `onEpoch` returning 'stop'). */
  stopped: boolean;
  /** The final alphas, `[cellType][edge][op]`. */
  alphas: number[][][];
  /** DARTS-PT's decisions, when the architecture was chosen by perturbation. */
  selection?: PerturbationDecision[];
}

/** Where a step is. */
export interface StepContext {
  readonly supernet: Supernet;
  /** 1-based epoch. */
  readonly epoch: number;
  readonly epochs: number;
  /** 0-based step over the whole search, and the total planned. */
  readonly step: number;
  readonly steps: number;
  readonly weightOpt: Optimizer;
  readonly options: Readonly<OneShotOptions>;
}

/** A batch: inputs and labels. */
export type Batch = readonly [Tensor, Tensor];

/** What a method adds to the skeleton. */
export interface OneShotMethod {
  readonly name: string;
  /** DARTS updates the alphas before the weights in each step; GDAS after. */
  readonly order: 'arch-first' | 'weights-first';
  /** The supernet's forward mode for this step's weight update. */
  weightMode(ctx: StepContext): ForwardMode;
  /**
   * Sets the alphas' `.grad` (they are zeroed before) from a validation batch (and the training
   * batch, for second-order DARTS); returns the validation loss and correct count it saw. Absent
   * for methods without architecture parameters.
   */
  archGradient?(ctx: StepContext, train: Batch, val: Batch): { loss: number; correct: number };
  /** Values to report with each epoch (e.g. `tau`). */
  report?(ctx: StepContext): Record<string, number>;
  /**
   * The architecture the search has found so far (per epoch and at the end); default the
   * supernet's {@link Supernet.derive} from the alphas. Methods without alphas (SPOS, random
   * search with weight sharing) supply their own.
   */
  derive?(supernet: Supernet): Architecture;
}

/** Cross-entropy of the supernet (in its current mode) on a batch, and the logits. */
export function supernetLoss(s: Supernet, [x, y]: Batch): { loss: Tensor; logits: Tensor } {
  const logits = s.call(x);
  return { loss: F.crossEntropy(logits, y), logits };
}

/** Number of correct argmax predictions. */
export const correctOf = (logits: Tensor, y: Tensor): number => logits.argmax(1).eq(y).sum().item();

/**
 * Sets each alpha's `.grad` to the gradient of the validation loss in forward mode `mode` (the
 * weights held fixed): first-order DARTS, GDAS. Returns the loss and correct count.
 */
export function firstOrderArchGradient(s: Supernet, val: Batch, mode: ForwardMode): { loss: number; correct: number } {
  s.setMode(mode);
  const alphas = s.archParameters();
  const { loss, logits } = supernetLoss(s, val);
  const grads = autograd.grad(loss, alphas, { allowUnused: true });
  alphas.forEach((a, i) => {
    a.grad = grads[i];
  });
  return { loss: loss.item(), correct: correctOf(logits, val[1]) };
}

function checkOptions(o: OneShotOptions): void {
  if (!Number.isInteger(o.epochs) || o.epochs < 1) throw new SupernetError(`epochs must be a positive integer, got ${o.epochs}`);
  const pos = (v: number | undefined, what: string) => {
    if (v !== undefined && !(Number.isFinite(v) && v > 0)) throw new SupernetError(`${what} must be a positive number, got ${v}`);
  };
  const nonNeg = (v: number | undefined, what: string) => {
    if (v !== undefined && !(Number.isFinite(v) && v >= 0)) throw new SupernetError(`${what} must be a number >= 0, got ${v}`);
  };
  pos(o.batchSize, 'batchSize');
  if (o.batchSize !== undefined && !Number.isInteger(o.batchSize)) throw new SupernetError(`batchSize must be an integer, got ${o.batchSize}`);
  pos(o.lr, 'lr');
  pos(o.archLr, 'archLr');
  pos(o.gradClip, 'gradClip');
  pos(o.budgetSeconds, 'budgetSeconds');
  nonNeg(o.lrMin, 'lrMin');
  nonNeg(o.momentum, 'momentum');
  nonNeg(o.weightDecay, 'weightDecay');
  nonNeg(o.archWeightDecay, 'archWeightDecay');
  nonNeg(o.warmupEpochs, 'warmupEpochs');
}

const yieldToEventLoop = (): Promise<void> => new Promise((res) => setImmediate(res));

/**
 * Runs a one-shot search: `options.epochs` epochs of steps on `data` (see the module comment);
 * returns the derived architecture, the history and the time taken. The supernet is left trained
 * (in training mode, its mode the method's last).
 */
export async function runOneShot(supernet: Supernet, data: OneShotData, method: OneShotMethod, options: OneShotOptions): Promise<OneShotResult> {
  checkOptions(options);
  if (!data?.train || !data.val) throw new SupernetError('one-shot search needs data.train (for the weights) and data.val (for the architecture)');
  const seed = options.seed ?? 0;
  manualSeed(seed);
  const batchSize = options.batchSize ?? 64;
  if (options.channelsLast ?? (options.device ?? data.train.images.device) === 'cpu') supernet.to({ memoryFormat: 'channels_last' });
  const weights = supernet.weights();
  const alphas = supernet.archParameters();
  const weightOpt = new SGD(weights, { lr: options.lr ?? 0.025, momentum: options.momentum ?? 0.9, weightDecay: options.weightDecay ?? 3e-4 });
  const archOpt = method.archGradient
    ? new Adam(alphas, { lr: options.archLr ?? 3e-4, betas: options.archBetas ?? [0.5, 0.999], weightDecay: options.archWeightDecay ?? 1e-3 })
    : null;
  const sched = new CosineAnnealingLR(weightOpt, { tMax: options.epochs, etaMin: options.lrMin ?? 0.001 });
  const trainLoader = new DataLoader([data.train.images, data.train.labels], { batchSize, seed, device: options.device });
  const valLoader = new DataLoader([data.val.images, data.val.labels], { batchSize, seed: seed + 1, device: options.device });
  // DARTS pairs each training batch with a validation batch; the validation loader restarts when it runs out.
  const stepsPerEpoch = trainLoader.length;
  const steps = stepsPerEpoch * options.epochs;
  const clip = options.gradClip ?? 5;
  const warmup = options.warmupEpochs ?? 0;
  const history: OneShotEpoch[] = [];
  const t0 = performance.now();
  let lastYield = t0;
  let stopped = false;
  let step = 0;
  const valIt: { it: Iterator<Tensor[]> | null } = { it: null };
  const nextVal = (): Batch => {
    let r = valIt.it?.next();
    if (!r || r.done) {
      valIt.it = valLoader[Symbol.iterator]();
      r = valIt.it.next();
    }
    return r.value as unknown as Batch;
  };
  const derive = (): Architecture => (method.derive ? method.derive(supernet) : supernet.derive());
  const ctxAt = (epoch: number): StepContext => ({ supernet, epoch, epochs: options.epochs, step, steps, weightOpt, options });
  try {
    supernet.train(true);
    for (let epoch = 1; epoch <= options.epochs && !stopped; epoch++) {
      const te = performance.now();
      const lr = weightOpt.lr;
      let [trainLoss, trainCorrect, seen, valLoss, valCorrect, valSeen] = [0, 0, 0, 0, 0, 0];
      let batch = 0;
      for (const [x, y] of trainLoader) {
        batch++;
        const ctx = ctxAt(epoch);
        const train: Batch = [x, y];
        const archStep = (): void => {
          if (!archOpt || !method.archGradient || epoch <= warmup) return;
          const val = nextVal();
          const r = tidy(() => {
            archOpt.zeroGrad();
            const out = (method.archGradient as NonNullable<OneShotMethod['archGradient']>)(ctx, train, val);
            archOpt.step();
            return out;
          });
          if (!Number.isFinite(r.loss)) throw new DivergenceError(r.loss, epoch, batch);
          valLoss += r.loss * val[0].shape[0];
          valCorrect += r.correct;
          valSeen += val[0].shape[0];
        };
        if (method.order === 'arch-first') archStep();
        const [loss, correct] = tidy(() => {
          supernet.setMode(method.weightMode(ctx));
          const { loss: l, logits } = supernetLoss(supernet, train);
          const lv = l.item();
          if (!Number.isFinite(lv)) return [lv, 0];
          weightOpt.zeroGrad();
          l.backward();
          clipGradNorm(weights, clip);
          weightOpt.step();
          return [lv, correctOf(logits, y)];
        });
        if (!Number.isFinite(loss)) throw new DivergenceError(loss, epoch, batch);
        // The weight step's backward reaches the alphas too; those gradients are not the alphas' to use.
        for (const a of alphas) a.grad = null;
        if (method.order === 'weights-first') archStep();
        trainLoss += loss * x.shape[0];
        trainCorrect += correct;
        seen += x.shape[0];
        step++;
        options.onStep?.({ epoch, step, steps, trainLoss: loss, ...(valSeen ? { valLoss: valLoss / valSeen } : {}) });
        if (performance.now() - lastYield > 50) {
          await yieldToEventLoop();
          lastYield = performance.now();
        }
        if (options.budgetSeconds !== undefined) {
          // Under a time budget the schedule runs ahead with the time, so it has ended when the time has.
          const timeUsed = (performance.now() - t0) / 1000 / options.budgetSeconds;
          if (timeUsed * options.epochs > sched.t) sched.setStep(Math.min(options.epochs, timeUsed * options.epochs));
          if (timeUsed > 1) stopped = true;
        }
        if (options.signal?.aborted) stopped = true;
        if (stopped) break;
      }
      sched.setStep(Math.max(epoch, sched.t));
      const e: OneShotEpoch = {
        epoch,
        epochs: options.epochs,
        trainLoss: trainLoss / Math.max(1, seen),
        trainAccuracy: trainCorrect / Math.max(1, seen),
        ...(valSeen ? { valLoss: valLoss / valSeen, valAccuracy: valCorrect / valSeen } : {}),
        lr,
        seconds: (performance.now() - te) / 1000,
        liveTensors: memory().liveTensors,
        arch: supernet.searchSpace.format(derive()),
        opWeights: supernet.opWeights(),
        extra: method.report?.(ctxAt(epoch)) ?? {},
      };
      history.push(e);
      if (options.onEpoch?.(e) === 'stop') stopped = true;
    }
    const arch = derive();
    return { arch, text: supernet.searchSpace.format(arch), history, seconds: (performance.now() - t0) / 1000, stopped, alphas: supernet.alphaValues() };
  } finally {
    // An unfinished validation epoch frees its batch.
    valIt.it?.return?.();
    weightOpt.dispose();
    archOpt?.dispose();
  }
}
