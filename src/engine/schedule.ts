/**
 * Learning-rate schedules, like `torch.optim.lr_scheduler`, in closed form: the rate at step t
 * is a pure function of t, so a resumed run lands on exactly the same rate.
 *
 * Call `scheduler.step()` once per epoch (or per batch, if the schedule's lengths count batches).
 * @module
 */
import type { Optimizer } from './optim.js';

/** Base class: sets `optimizer.lr` to `lrAt(t)` at construction (t = 0) and after each `step()`. */
export abstract class LRScheduler {
  /** Number of `step()` calls so far. */
  t = 0;
  constructor(
    readonly optimizer: Optimizer,
    readonly baseLr = optimizer.initialLr,
  ) {}
  /** Learning rate at step `t`. */
  abstract lrAt(t: number): number;
  /** Advances one step and updates the optimizer's learning rate. Returns the new rate. */
  step(): number {
    this.t += 1;
    return this.apply();
  }
  /** Jumps to step `t` (e.g. on resume). */
  setStep(t: number): number {
    this.t = t;
    return this.apply();
  }
  get lr(): number {
    return this.lrAt(this.t);
  }
  protected apply(): number {
    const lr = this.lrAt(this.t);
    this.optimizer.lr = lr;
    return lr;
  }
}

function positiveInt(v: number, what: string): number {
  if (!Number.isInteger(v) || v <= 0) throw new Error(`${what} must be a positive integer, got ${v}`);
  return v;
}

/** Multiplies the rate by `gamma` every `stepSize` steps. */
export class StepLR extends LRScheduler {
  readonly stepSize: number;
  readonly gamma: number;
  constructor(opt: Optimizer, o: { stepSize: number; gamma?: number }) {
    super(opt);
    this.stepSize = positiveInt(o.stepSize, 'StepLR stepSize');
    this.gamma = o.gamma ?? 0.1;
    this.apply();
  }
  lrAt(t: number): number {
    return this.baseLr * this.gamma ** Math.floor(t / this.stepSize);
  }
}

/** Multiplies the rate by `gamma` at each milestone. */
export class MultiStepLR extends LRScheduler {
  readonly milestones: number[];
  readonly gamma: number;
  constructor(opt: Optimizer, o: { milestones: number[]; gamma?: number }) {
    super(opt);
    this.milestones = [...o.milestones].sort((a, b) => a - b);
    this.gamma = o.gamma ?? 0.1;
    this.apply();
  }
  lrAt(t: number): number {
    return this.baseLr * this.gamma ** this.milestones.filter((m) => m <= t).length;
  }
}

/** `baseLr * gamma^t`. */
export class ExponentialLR extends LRScheduler {
  constructor(
    opt: Optimizer,
    readonly gamma: number,
  ) {
    super(opt);
    this.apply();
  }
  lrAt(t: number): number {
    return this.baseLr * this.gamma ** t;
  }
}

/** Cosine annealing from the base rate to `etaMin` over `tMax` steps (SGDR without restarts). */
export class CosineAnnealingLR extends LRScheduler {
  readonly tMax: number;
  readonly etaMin: number;
  constructor(opt: Optimizer, o: { tMax: number; etaMin?: number }) {
    super(opt);
    this.tMax = positiveInt(o.tMax, 'CosineAnnealingLR tMax');
    this.etaMin = o.etaMin ?? 0;
    this.apply();
  }
  lrAt(t: number): number {
    const tc = Math.min(t, this.tMax);
    return this.etaMin + ((this.baseLr - this.etaMin) * (1 + Math.cos((Math.PI * tc) / this.tMax))) / 2;
  }
}

/**
 * Linear warm-up for `warmupSteps` steps from `startFactor * rate`, then the `after` schedule
 * (whose step count starts at 0 when the warm-up ends), or a constant rate.
 */
export class WarmupLR extends LRScheduler {
  readonly warmupSteps: number;
  readonly startFactor: number;
  readonly after?: LRScheduler;
  constructor(opt: Optimizer, o: { warmupSteps: number; startFactor?: number; after?: LRScheduler }) {
    super(opt);
    this.warmupSteps = positiveInt(o.warmupSteps, 'WarmupLR warmupSteps');
    this.startFactor = o.startFactor ?? 0.1;
    this.after = o.after;
    if (this.startFactor < 0 || this.startFactor > 1) throw new Error('WarmupLR startFactor must be in [0, 1]');
    this.apply();
  }
  lrAt(t: number): number {
    if (t < this.warmupSteps) {
      const target = this.after ? this.after.lrAt(0) : this.baseLr;
      return target * (this.startFactor + ((1 - this.startFactor) * t) / this.warmupSteps);
    }
    return this.after ? this.after.lrAt(t - this.warmupSteps) : this.baseLr;
  }
}
