/**
 * Early stopping of hopeless trials. A pruner looks at the learning curves of the study's other
 * trials and at the running trial's partial curve (values higher-is-better, e.g. validation
 * accuracy by epoch), and says whether to stop the running trial after its latest step.
 *
 * ```ts
 * const pruner = new MedianPruner({ startupTrials: 5 });
 * for (let epoch = 1; epoch <= epochs; epoch++) {
 *   curve.push({ step: epoch, value: trainOneEpochAndValidate() });
 *   if (pruner.shouldPrune(history, curve)) { markPruned(); break; }
 * }
 * ```
 *
 * Pruners are stateless: a decision depends only on the curves passed in, so a resumed search
 * decides as the interrupted one would have. Their configuration is plain JSON
 * ({@link Pruner.toJSON}, {@link createPruner}). Only COMPLETE trials of the history serve as
 * references (as in Optuna); PRUNED, FAIL and RUNNING trials are ignored. For a metric where lower
 * is better (a loss), pass its negation.
 * @module
 */
import type { CurvePoint } from '../study/store.js';
import { type CurvePrediction, type ExtrapolateOptions, type StepValue, extrapolate, probabilityAbove } from './curve.js';

export type { StepValue } from './curve.js';

/** Another trial of the study, as a pruner sees it (a store's TrialRecord plus its curve fits). */
export interface PrunerTrial {
  /** The store's trial state; only 'COMPLETE' trials are references. */
  readonly state: string;
  /** Its learning curve (any order; points with a non-finite step are ignored). */
  readonly curve: readonly StepValue[];
  /** Its final objective; when missing or not finite, the last finite value of its curve. */
  readonly value?: number | null;
}

/** What a pruner decided, and why. */
export interface PruneDecision {
  prune: boolean;
  /** The step decided at (the current curve's last step; NaN when it has none). */
  step: number;
  /** A short human-readable reason. */
  reason: string;
  /** The median pruner's comparison: the trial's best value so far and the others' median at `step`. */
  best?: number;
  median?: number;
  /** The curve pruner's prediction of the final value, and P(final > incumbent). */
  prediction?: CurvePrediction;
  incumbent?: number;
  probability?: number;
}

/** A pruner's configuration as plain JSON; {@link createPruner} makes the pruner back. */
export type PrunerSpec = { kind: 'none' } | ({ kind: 'median' } & MedianPrunerOptions) | ({ kind: 'curve' } & CurvePrunerOptions);

/** Decides, after each reported step of a running trial, whether to stop it. */
export interface Pruner {
  /** 'none', 'median' or 'curve'. */
  readonly kind: PrunerSpec['kind'];
  /** The decision at the last step of `current`, with its reason. Never throws for odd curves (empty, NaN values). */
  decide(history: readonly PrunerTrial[], current: readonly StepValue[]): PruneDecision;
  /** `decide(...).prune`. */
  shouldPrune(history: readonly PrunerTrial[], current: readonly StepValue[]): boolean;
  /** The configuration (plain JSON). */
  toJSON(): PrunerSpec;
}

/** When a pruner may act at all (shared by the median and curve pruners). */
export interface PrunerGate {
  /** No pruning until this many trials of the history are COMPLETE. */
  startupTrials?: number;
  /** No pruning at a step below this (Optuna's n_warmup_steps: steps counted as the curve counts them; Loom's epochs start at 1). Default 1. */
  warmupSteps?: number;
  /**
   * Decide only once per `interval` steps (default 1): at the first step the trial reports in each
   * window [warmupSteps + k·interval, warmupSteps + (k+1)·interval), as Optuna's interval_steps.
   */
  interval?: number;
}

/** The learning curve of `metric` from a store's curve rows (points without that metric are skipped). */
export function metricCurve(points: readonly CurvePoint[], metric: string): StepValue[] {
  const out: StepValue[] = [];
  for (const p of points) {
    const v = p.metrics[metric];
    if (typeof v === 'number') out.push({ step: p.step, value: v });
  }
  return out;
}

function checkInt(name: string, v: number, min: number): number {
  if (!Number.isSafeInteger(v) || v < min) throw new Error(`pruner: ${name} must be an integer >= ${min}, got ${v}`);
  return v;
}

/** The points with a finite step, sorted by step (values may be NaN). */
function sortedPoints(curve: readonly StepValue[]): StepValue[] {
  const pts = (curve ?? []).filter((p) => p && Number.isFinite(p.step));
  return pts.sort((a, b) => a.step - b.step);
}

function completed(history: readonly PrunerTrial[]): PrunerTrial[] {
  return (history ?? []).filter((t) => t && t.state === 'COMPLETE');
}

/** Median with linear interpolation (numpy's default percentile), of finite values. */
function median(values: number[]): number {
  const v = values.filter(Number.isFinite).sort((a, b) => a - b);
  if (!v.length) return Number.NaN;
  const h = (v.length - 1) / 2;
  const lo = Math.floor(h);
  return v[lo] + (h - lo) * (v[Math.ceil(h)] - v[lo]);
}

function bestFinite(pts: readonly StepValue[]): number {
  let best = Number.NEGATIVE_INFINITY;
  for (const p of pts) if (Number.isFinite(p.value) && p.value > best) best = p.value;
  return best === Number.NEGATIVE_INFINITY ? Number.NaN : best;
}

abstract class GatedPruner {
  readonly startupTrials: number;
  readonly warmupSteps: number;
  readonly interval: number;

  constructor(g: PrunerGate, defaultStartup: number) {
    this.startupTrials = checkInt('startupTrials', g.startupTrials ?? defaultStartup, 0);
    const w = g.warmupSteps ?? 1;
    if (!Number.isFinite(w)) throw new Error(`pruner: warmupSteps must be a finite number, got ${w}`);
    this.warmupSteps = w;
    this.interval = checkInt('interval', g.interval ?? 1, 1);
  }

  /** Why not to decide now (a 'continue' decision), or null to go on; also the sorted points. */
  protected gate(history: readonly PrunerTrial[], current: readonly StepValue[]): { stop: PruneDecision } | { pts: StepValue[]; step: number; refs: PrunerTrial[] } {
    const pts = sortedPoints(current);
    if (!pts.length) return { stop: { prune: false, step: Number.NaN, reason: 'no points yet' } };
    const step = pts[pts.length - 1].step;
    const refs = completed(history);
    if (refs.length < this.startupTrials) return { stop: { prune: false, step, reason: `startup: ${refs.length} of ${this.startupTrials} trials complete` } };
    if (step < this.warmupSteps) return { stop: { prune: false, step, reason: `warm-up: step ${step} < ${this.warmupSteps}` } };
    if (this.interval > 1) {
      const windowStart = step - ((step - this.warmupSteps) % this.interval);
      if (pts.some((p) => p.step >= windowStart && p.step < step)) return { stop: { prune: false, step, reason: `interval: step ${step} is not the first in its window of ${this.interval}` } };
    }
    return { pts, step, refs };
  }

  shouldPrune(history: readonly PrunerTrial[], current: readonly StepValue[]): boolean {
    return this.decide(history, current).prune;
  }

  abstract decide(history: readonly PrunerTrial[], current: readonly StepValue[]): PruneDecision;
}

/** Never prunes. */
export class NopPruner implements Pruner {
  readonly kind = 'none' as const;

  decide(_history: readonly PrunerTrial[], current: readonly StepValue[]): PruneDecision {
    const pts = sortedPoints(current);
    return { prune: false, step: pts.length ? pts[pts.length - 1].step : Number.NaN, reason: 'never prunes' };
  }

  shouldPrune(): boolean {
    return false;
  }

  toJSON(): PrunerSpec {
    return { kind: 'none' };
  }
}

/** Options of {@link MedianPruner} (defaults: startupTrials 5, warmupSteps 1, interval 1). */
export interface MedianPrunerOptions extends PrunerGate {
  /**
   * What the other trials contribute at step s: `'value'` (default), their value at exactly step
   * s, as Optuna's MedianPruner; or `'runningAverage'`, the mean of their values up to step s
   * (among trials that reached s), as the median stopping rule of Google Vizier (Golovin et al.
   * 2017, §3.2.2).
   */
  reference?: 'value' | 'runningAverage';
  /** Fewest COMPLETE trials with a finite reference at the step for a decision (Optuna's n_min_trials; default 1). */
  minTrialsAtStep?: number;
}

/**
 * The median stopping rule (Golovin et al. 2017, "Google Vizier: a service for black-box
 * optimization", §3.2.2; Optuna's MedianPruner as the reference behaviour): prune the trial at
 * step s when its **best value so far** (the largest finite value at any step up to s, as both
 * Vizier and Optuna use) is strictly worse than the median of the COMPLETE trials' references at
 * step s (see {@link MedianPrunerOptions.reference}). A trial whose values are all NaN is pruned
 * (as Optuna does); a step that no complete trial reached is never pruned. Defaults: 5 startup
 * trials, warm-up 1, interval 1.
 */
export class MedianPruner extends GatedPruner implements Pruner {
  readonly kind = 'median' as const;
  readonly reference: 'value' | 'runningAverage';
  readonly minTrialsAtStep: number;

  constructor(opts: MedianPrunerOptions = {}) {
    super(opts, 5);
    this.reference = opts.reference ?? 'value';
    if (this.reference !== 'value' && this.reference !== 'runningAverage') throw new Error(`MedianPruner: reference must be 'value' or 'runningAverage', got ${String(this.reference)}`);
    this.minTrialsAtStep = checkInt('minTrialsAtStep', opts.minTrialsAtStep ?? 1, 1);
  }

  /** A complete trial's reference at `step`, NaN when it has none. */
  private referenceAt(t: PrunerTrial, step: number): number {
    const pts = (t.curve ?? []).filter((p) => p && Number.isFinite(p.step));
    if (this.reference === 'value') {
      // Exact step match; the last point at that step wins.
      let v = Number.NaN;
      for (const p of pts) if (p.step === step) v = p.value;
      return Number.isFinite(v) ? v : Number.NaN;
    }
    if (!pts.some((p) => p.step >= step)) return Number.NaN;
    let sum = 0;
    let n = 0;
    for (const p of pts) {
      if (p.step <= step && Number.isFinite(p.value)) {
        sum += p.value;
        n++;
      }
    }
    return n ? sum / n : Number.NaN;
  }

  decide(history: readonly PrunerTrial[], current: readonly StepValue[]): PruneDecision {
    const g = this.gate(history, current);
    if ('stop' in g) return g.stop;
    const { pts, step, refs } = g;
    const best = bestFinite(pts);
    if (Number.isNaN(best)) return { prune: true, step, reason: 'no finite value so far' };
    const values = refs.map((t) => this.referenceAt(t, step)).filter(Number.isFinite);
    if (values.length < this.minTrialsAtStep) return { prune: false, step, best, reason: `${values.length} complete trial(s) at step ${step}, need ${this.minTrialsAtStep}` };
    const med = median(values);
    const prune = best < med;
    return { prune, step, best, median: med, reason: `best ${best} ${prune ? '<' : '>='} median ${med} of ${values.length} trial(s) at step ${step}` };
  }

  toJSON(): PrunerSpec {
    return { kind: 'median', startupTrials: this.startupTrials, warmupSteps: this.warmupSteps, interval: this.interval, reference: this.reference, minTrialsAtStep: this.minTrialsAtStep };
  }
}

/** Options of {@link CurvePruner} (defaults: startupTrials 1, warmupSteps 1, interval 1). */
export interface CurvePrunerOptions extends PrunerGate {
  /** The step a trial trains to (e.g. its epochs): the extrapolation's target. Required. */
  finalStep: number;
  /** Prune when P(final value > incumbent) is below this (default 0.05, Domhan et al.'s δ). */
  threshold?: number;
  /** Upper bound of the metric (1 for accuracies in [0, 1], 100 for percentages); none by default. */
  bound?: number;
  /** Fewest points of the current curve before extrapolating (default 4, at least 3). */
  minPoints?: number;
  /** Further extrapolation options (families, temperature, inflation, origin, maxIterations). */
  extrapolation?: Omit<ExtrapolateOptions, 'bound' | 'minPoints'>;
}

/**
 * Prunes by learning-curve extrapolation (Domhan, Springenberg & Hutter 2015): the current curve
 * is extrapolated to `finalStep` by an ensemble of parametric families ({@link extrapolate}), and
 * the trial is stopped when the probability that its final value beats the incumbent (the best
 * final value of the COMPLETE trials: their `value`, else their curve's last finite value) is
 * below `threshold`. It never prunes at or after `finalStep`, before `minPoints` points, or when
 * the extrapolation is not `ok`. Defaults: 1 startup trial (an incumbent is needed), warm-up 1,
 * interval 1, threshold 0.05.
 */
export class CurvePruner extends GatedPruner implements Pruner {
  readonly kind = 'curve' as const;
  readonly finalStep: number;
  readonly threshold: number;
  readonly bound: number | undefined;
  readonly minPoints: number;
  readonly extrapolation: Omit<ExtrapolateOptions, 'bound' | 'minPoints'>;

  constructor(opts: CurvePrunerOptions) {
    super(opts, 1);
    if (!Number.isFinite(opts?.finalStep)) throw new Error(`CurvePruner: finalStep must be a finite number, got ${opts?.finalStep}`);
    this.finalStep = opts.finalStep;
    this.threshold = opts.threshold ?? 0.05;
    if (!(this.threshold >= 0 && this.threshold <= 1)) throw new Error(`CurvePruner: threshold must be in [0, 1], got ${this.threshold}`);
    if (opts.bound !== undefined && !(Number.isFinite(opts.bound) && opts.bound > 0)) throw new Error(`CurvePruner: bound must be a positive finite number, got ${opts.bound}`);
    this.bound = opts.bound;
    this.minPoints = checkInt('minPoints', opts.minPoints ?? 4, 3);
    this.extrapolation = { ...(opts.extrapolation ?? {}) };
  }

  /** The best final value among the COMPLETE trials (NaN when none has a finite one). */
  incumbent(history: readonly PrunerTrial[]): number {
    let best = Number.NaN;
    for (const t of completed(history)) {
      let v = typeof t.value === 'number' && Number.isFinite(t.value) ? t.value : Number.NaN;
      if (Number.isNaN(v)) {
        const pts = sortedPoints(t.curve).filter((p) => Number.isFinite(p.value));
        if (pts.length) v = pts[pts.length - 1].value;
      }
      if (Number.isFinite(v) && !(v <= best)) best = v;
    }
    return best;
  }

  decide(history: readonly PrunerTrial[], current: readonly StepValue[]): PruneDecision {
    const g = this.gate(history, current);
    if ('stop' in g) return g.stop;
    const { pts, step } = g;
    if (step >= this.finalStep) return { prune: false, step, reason: `at the final step ${this.finalStep}` };
    const finite = pts.filter((p) => Number.isFinite(p.value)).length;
    if (finite < this.minPoints) return { prune: false, step, reason: `${finite} finite point(s), need ${this.minPoints}` };
    const incumbent = this.incumbent(history);
    if (Number.isNaN(incumbent)) return { prune: false, step, reason: 'no complete trial with a finite value' };
    let prediction: CurvePrediction;
    try {
      prediction = extrapolate(pts, this.finalStep, { ...this.extrapolation, minPoints: this.minPoints, ...(this.bound !== undefined ? { bound: this.bound } : {}) });
    } catch (e) {
      return { prune: false, step, incumbent, reason: `extrapolation failed: ${(e as Error).message}` };
    }
    if (!prediction.ok) return { prune: false, step, incumbent, prediction, reason: `no extrapolation: ${prediction.reason}` };
    const probability = probabilityAbove(prediction, incumbent);
    const prune = probability < this.threshold;
    const fmt = (v: number): string => (Math.abs(v) >= 1e-3 ? v.toFixed(4) : v.toExponential(2));
    return {
      prune,
      step,
      incumbent,
      prediction,
      probability,
      reason: `P(value at ${this.finalStep} > ${incumbent}) = ${fmt(probability)} ${prune ? '<' : '>='} ${this.threshold} (predicted ${fmt(prediction.mean)} ± ${fmt(prediction.std)})`,
    };
  }

  toJSON(): PrunerSpec {
    return {
      kind: 'curve',
      finalStep: this.finalStep,
      threshold: this.threshold,
      ...(this.bound !== undefined ? { bound: this.bound } : {}),
      minPoints: this.minPoints,
      startupTrials: this.startupTrials,
      warmupSteps: this.warmupSteps,
      interval: this.interval,
      ...(Object.keys(this.extrapolation).length ? { extrapolation: { ...this.extrapolation } } : {}),
    };
  }
}

/** The pruner a {@link PrunerSpec} describes (e.g. one read back from a study's saved state). */
export function createPruner(spec: PrunerSpec): Pruner {
  switch (spec?.kind) {
    case 'none':
      return new NopPruner();
    case 'median': {
      const { kind: _k, ...o } = spec;
      return new MedianPruner(o);
    }
    case 'curve': {
      const { kind: _k, ...o } = spec;
      return new CurvePruner(o);
    }
    default:
      throw new Error(`createPruner: unknown pruner kind '${String((spec as { kind?: unknown })?.kind)}' (known: none, median, curve)`);
  }
}
