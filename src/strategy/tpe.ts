/**
 * Tree-structured Parzen Estimator, Bergstra et al. 2011 ("Algorithms for Hyper-Parameter
 * Optimization"), in the independent form Optuna's `TPESampler` uses by default. After
 * `startup` random trials, each ask splits the told trials at the gamma quantile into a good set
 * (the best `min(ceil(gamma * n), 25)`, Optuna's default gamma) and a bad set (the rest; failed
 * trials count as the worst), fits for every decision a Parzen estimator l(x) on the good
 * values and g(x) on the bad ones, draws `candidates` values from l and keeps the one with the
 * largest l(x)/g(x), decision by decision.
 *
 * Estimators, following Optuna:
 * - categorical decisions (and input decisions with at most 1024 subsets, as one categorical
 *   over the subsets): weighted counts plus a prior weight spread evenly over the choices;
 * - integer, repeat and float decisions (log-floats in log space): a mixture of Gaussians
 *   truncated to the range, one at each observation plus a prior one at the centre with the
 *   range as its width; each observation's bandwidth is the larger distance to its sorted
 *   neighbours, clipped to [range / min(100, n + 2), range] (the "magic clip"); integers take
 *   the mass of their grid cell (extended by half a step at both ends);
 * - input decisions with more than 1024 subsets: each candidate's membership is a yes/no
 *   categorical, and draws whose size is out of bounds are redrawn.
 * Observation weights are Optuna's: equal below 25 trials, then older trials ramp down.
 *
 * A proposal that breaks the space's constraints (`space.arch` throws), or that was asked
 * before (with `dedupe`), is redrawn up to `retries` times; then a random unseen architecture
 * is asked instead. {@link ParzenModel} is shared with BOHB.
 * @module
 */
import type { Architecture } from '../space/architecture.js';
import { type Decision, type InputDecision, type Value, domainSize, domainValues, sampleValue } from '../space/decisions.js';
import { ArchitectureError, type SearchSpace } from '../space/space.js';
import type { Rng } from '../util/rng.js';
import { BaseStrategy, defineStrategy, rankByValue } from './common.js';
import type { Ask } from './strategy.js';

/** Input decisions with at most this many subsets are modelled as one categorical. */
const MAX_SUBSET_CATEGORIES = 1024;

/**
 * An input decision's subsets as the categories of one categorical, with the index of a value;
 * undefined when it has more than 1024 subsets (then each candidate is modelled on its own).
 */
export function subsetCategories(d: InputDecision): { subsets: Value[]; index: (v: Value) => number } | undefined {
  if (domainSize(d) > MAX_SUBSET_CATEGORIES) return undefined;
  const subsets = domainValues(d);
  const at = new Map(subsets.map((s, i) => [JSON.stringify(s), i]));
  return { subsets, index: (v) => at.get(JSON.stringify(v)) as number };
}
const LOG_SQRT_2PI = 0.5 * Math.log(2 * Math.PI);

/** erfc(x) (Numerical Recipes' Chebyshev fit, relative error below 1.2e-7 everywhere). */
function erfc(x: number): number {
  const z = Math.abs(x);
  const t = 1 / (1 + 0.5 * z);
  const r =
    t *
    Math.exp(
      -z * z - 1.26551223 + t * (1.00002368 + t * (0.37409196 + t * (0.09678418 + t * (-0.18628806 + t * (0.27886807 + t * (-1.13520398 + t * (1.48851587 + t * (-0.82215223 + t * 0.17087277)))))))),
    );
  return x >= 0 ? r : 2 - r;
}
/** Standard normal CDF. */
const phi = (z: number): number => 0.5 * erfc(-z / Math.SQRT2);
/** P(a < Z < b) for a standard normal Z, computed on the side where it does not cancel. */
const mass = (a: number, b: number): number => (a > 0 ? phi(-a) - phi(-b) : phi(b) - phi(a));

/** log(sum(exp(xs))). */
function logSumExp(xs: ArrayLike<number>): number {
  let m = Number.NEGATIVE_INFINITY;
  for (let i = 0; i < xs.length; i++) if (xs[i] > m) m = xs[i];
  if (m === Number.NEGATIVE_INFINITY) return m;
  let s = 0;
  for (let i = 0; i < xs.length; i++) s += Math.exp(xs[i] - m);
  return m + Math.log(s);
}

/** Optuna's default observation weights: flat below 25, then a linear ramp for the older ones. */
export function observationWeights(n: number): number[] {
  if (n < 25) return new Array(n).fill(1);
  const ramp = n - 25;
  return Array.from({ length: n }, (_, i) => (i < ramp ? 1 / n + ((1 - 1 / n) * i) / Math.max(1, ramp - 1) : 1));
}

/** One decision's density over its values. */
interface Estimator {
  /** A draw (widened by the bandwidth factor for numeric decisions). */
  sample(rng: Rng): Value;
  logpdf(v: Value): number;
}

/** Weighted counts plus `prior` spread over the choices. */
class CategoricalEstimator implements Estimator {
  private readonly logp: number[];
  private readonly cum: number[];
  constructor(
    private readonly choices: readonly Value[],
    private readonly index: (v: Value) => number,
    obs: readonly Value[],
    w: readonly number[],
    prior: number,
  ) {
    const k = choices.length;
    const p = new Array<number>(k).fill(prior / k);
    obs.forEach((v, i) => {
      p[index(v)] += w[i];
    });
    const total = p.reduce((a, b) => a + b, 0);
    let c = 0;
    this.cum = p.map((x) => {
      c += x / total;
      return c;
    });
    this.logp = p.map((x) => Math.log(x / total));
  }
  sample(rng: Rng): Value {
    const u = rng.next();
    let i = 0;
    while (i < this.cum.length - 1 && u >= this.cum[i]) i++;
    return this.choices[i];
  }
  logpdf(v: Value): number {
    return this.logp[this.index(v)];
  }
}

/** A truncated-Gaussian mixture over a numeric decision (integers by grid-cell mass). */
class NumericEstimator implements Estimator {
  private readonly mus: number[] = [];
  private readonly sigmas: number[] = [];
  private readonly logw: number[] = [];
  private readonly cum: number[] = [];
  private readonly logZ: number[] = [];
  private readonly logSigmas: number[] = [];
  /** Scratch space for {@link logpdf}. */
  private readonly terms: Float64Array;
  private readonly lo: number;
  private readonly hi: number;
  private readonly step: number;
  private readonly log: boolean;

  constructor(
    private readonly d: Decision & { kind: 'integer' | 'repeat' | 'float' },
    obs: readonly Value[],
    w: readonly number[],
    prior: number,
    private readonly widen: number,
  ) {
    this.log = d.kind === 'float' && d.log;
    this.step = d.kind === 'integer' ? d.step : d.kind === 'repeat' ? 1 : 0;
    const tf = (x: number) => (this.log ? Math.log(x) : x);
    this.lo = tf(d.low) - this.step / 2;
    this.hi = tf(d.high) + this.step / 2;
    const range = this.hi - this.lo;
    // Observations sorted by centre; each bandwidth is the larger gap to its sorted neighbours
    // (the range's ends count as neighbours only for a lone observation, as Optuna without
    // `consider_endpoints`). The prior kernel sits at the centre with the whole range as width.
    const ks = obs.map((v, i) => ({ mu: tf(v as number), w: w[i], s: range }));
    ks.sort((a, b) => a.mu - b.mu);
    const minSigma = range / Math.min(100, 2 + ks.length);
    const n = ks.length;
    ks.forEach((k, i) => {
      const left = i > 0 ? k.mu - ks[i - 1].mu : n === 1 ? k.mu - this.lo : 0;
      const right = i < n - 1 ? ks[i + 1].mu - k.mu : n === 1 ? this.hi - k.mu : 0;
      k.s = Math.min(range, Math.max(minSigma, left, right));
    });
    ks.push({ mu: (this.lo + this.hi) / 2, w: prior, s: range });
    this.terms = new Float64Array(ks.length);
    const total = ks.reduce((s, k) => s + k.w, 0);
    let c = 0;
    for (const k of ks) {
      const s = k.s;
      this.mus.push(k.mu);
      this.sigmas.push(s);
      this.logSigmas.push(Math.log(s));
      this.logw.push(Math.log(k.w / total));
      c += k.w / total;
      this.cum.push(c);
      this.logZ.push(Math.log(mass((this.lo - k.mu) / s, (this.hi - k.mu) / s)));
    }
  }

  sample(rng: Rng): Value {
    const u = rng.next();
    let i = 0;
    while (i < this.cum.length - 1 && u >= this.cum[i]) i++;
    const s = this.sigmas[i] * this.widen;
    let x = this.mus[i] + s * rng.normal();
    for (let t = 0; t < 100 && (x < this.lo || x > this.hi); t++) x = this.mus[i] + s * rng.normal();
    x = Math.min(this.hi, Math.max(this.lo, x));
    const d = this.d;
    if (this.step) {
      const k = Math.round((x - d.low) / this.step);
      return Math.min(d.high, Math.max(d.low, d.low + k * this.step));
    }
    return Math.min(d.high, Math.max(d.low, this.log ? Math.exp(x) : x));
  }

  logpdf(v: Value): number {
    const x = this.log ? Math.log(v as number) : (v as number);
    const h = this.step / 2;
    const terms = this.terms;
    for (let i = 0; i < this.mus.length; i++) {
      const s = this.sigmas[i];
      const z = (x - this.mus[i]) / s;
      // Density at x; an integer's cell mass is density times width when the cell is narrow next to the kernel.
      let lp = -0.5 * z * z - LOG_SQRT_2PI - this.logSigmas[i];
      if (h) {
        const m = h / s < 0.1 ? 0 : mass(z - h / s, z + h / s);
        lp = m > 1e-300 ? Math.log(m) : lp + Math.log(2 * h);
      }
      terms[i] = this.logw[i] + lp - this.logZ[i];
    }
    return logSumExp(terms);
  }
}

/** An input decision with many subsets: one yes/no estimator per candidate; out-of-bounds draws are redrawn. */
class MembershipEstimator implements Estimator {
  private readonly parts: CategoricalEstimator[];
  constructor(
    private readonly d: Decision & { kind: 'input' },
    obs: readonly Value[],
    w: readonly number[],
    prior: number,
  ) {
    const yn: Value[] = [false, true];
    this.parts = d.candidates.map((c) => new CategoricalEstimator(yn, (v) => (v ? 1 : 0), obs.map((o) => (o as readonly number[]).includes(c)), w, prior));
  }
  sample(rng: Rng): Value {
    for (let t = 0; t < 20; t++) {
      const s = this.d.candidates.filter((_, i) => this.parts[i].sample(rng) === true);
      if (s.length >= this.d.min && s.length <= this.d.max) return Object.freeze(s);
    }
    return sampleValue(this.d, rng);
  }
  logpdf(v: Value): number {
    const s = v as readonly number[];
    return this.d.candidates.reduce((acc, c, i) => acc + this.parts[i].logpdf(s.includes(c)), 0);
  }
}

/** How to build a {@link ParzenModel}. */
export interface ParzenOptions {
  /** Weight of the prior (uniform / wide) component (Optuna: 1). */
  readonly priorWeight: number;
  /** Factor on numeric bandwidths when drawing candidates from l (BOHB: 3; TPE: 1). */
  readonly bandwidthFactor?: number;
  /** Per-observation weights of the good and bad sets (default: equal). */
  readonly goodWeights?: readonly number[];
  readonly badWeights?: readonly number[];
}

function estimator(d: Decision, obs: readonly Value[], w: readonly number[], prior: number, widen: number): Estimator {
  switch (d.kind) {
    case 'categorical':
      return new CategoricalEstimator(d.choices, (v) => d.choices.indexOf(v as string), obs, w, prior);
    case 'input': {
      const cats = subsetCategories(d);
      return cats ? new CategoricalEstimator(cats.subsets, cats.index, obs, w, prior) : new MembershipEstimator(d, obs, w, prior);
    }
    default:
      return new NumericEstimator(d, obs, w, prior, widen);
  }
}

/** The pair of densities l (good) and g (bad) for every decision of a space. */
export class ParzenModel {
  private readonly l: Estimator[];
  private readonly g: Estimator[];

  constructor(
    private readonly space: SearchSpace,
    good: readonly Architecture[],
    bad: readonly Architecture[],
    o: ParzenOptions,
  ) {
    const gw = o.goodWeights ?? new Array(good.length).fill(1);
    const bw = o.badWeights ?? new Array(bad.length).fill(1);
    this.l = space.decisions.map((d) =>
      estimator(
        d,
        good.map((a) => a.values[d.name]),
        gw,
        o.priorWeight,
        o.bandwidthFactor ?? 1,
      ),
    );
    this.g = space.decisions.map((d) =>
      estimator(
        d,
        bad.map((a) => a.values[d.name]),
        bw,
        o.priorWeight,
        1,
      ),
    );
  }

  /** For every decision, the best of `n` draws from l by l(x)/g(x); the values of one proposal. */
  propose(rng: Rng, n: number): Record<string, Value> {
    const out: Record<string, Value> = {};
    this.space.decisions.forEach((d, j) => {
      let best: Value | undefined;
      let bestScore = Number.NEGATIVE_INFINITY;
      for (let i = 0; i < n; i++) {
        const v = this.l[j].sample(rng);
        const s = this.l[j].logpdf(v) - this.g[j].logpdf(v);
        if (best === undefined || s > bestScore) {
          best = v;
          bestScore = s;
        }
      }
      out[d.name] = best as Value;
    });
    return out;
  }

  /** `propose` until the values make an architecture that is allowed and (with `reject`) not rejected; undefined after `tries`. */
  proposeArch(rng: Rng, n: number, tries: number, reject?: (a: Architecture) => boolean): Architecture | undefined {
    for (let t = 0; t < tries; t++) {
      let a: Architecture;
      try {
        a = this.space.arch(this.propose(rng, n) as Record<string, unknown>);
      } catch (e) {
        if (e instanceof ArchitectureError) continue;
        throw e;
      }
      if (!reject?.(a)) return a;
    }
    return undefined;
  }
}

/** Optuna's default gamma: the good set holds the best min(ceil(0.1 n), 25) trials. */
export const defaultGamma = (n: number): number => Math.min(Math.ceil(0.1 * n), 25);

/** Independent TPE. */
export class Tpe extends BaseStrategy {
  private readonly startup: number;
  private readonly candidates: number;
  private readonly priorWeight: number;
  private readonly dedupe: boolean;
  private readonly retries: number;
  private model: ParzenModel | undefined;
  private modelAt = -1;

  constructor(space: SearchSpace, seed: number, options: Record<string, unknown>) {
    super('tpe', space, seed, options);
    this.startup = options.startup as number;
    this.candidates = options.candidates as number;
    this.priorWeight = options.priorWeight as number;
    this.dedupe = options.dedupe as boolean;
    this.retries = options.retries as number;
  }

  /** The model on the current history (rebuilt only when the history grew). */
  private currentModel(): ParzenModel {
    if (this.model && this.modelAt === this.history.length) return this.model;
    const n = this.history.length;
    const ranked = rankByValue(this.history);
    const nGood = Math.min(defaultGamma(n), ranked.filter((t) => !Number.isNaN(t.value)).length);
    // Each set keeps trial order (oldest first) so the weights ramp over age, as in Optuna.
    const byAge = (ts: typeof ranked) => [...ts].sort((a, b) => a.id - b.id);
    const good = byAge(ranked.slice(0, nGood));
    const bad = byAge(ranked.slice(nGood));
    this.model = new ParzenModel(
      this.space,
      good.map((t) => t.arch),
      bad.map((t) => t.arch),
      { priorWeight: this.priorWeight, goodWeights: observationWeights(good.length), badWeights: observationWeights(bad.length) },
    );
    this.modelAt = n;
    return this.model;
  }

  protected propose(n: number, out: Ask[]): void {
    while (out.length < n) {
      if (this.history.length < this.startup || !this.history.some((t) => !Number.isNaN(t.value))) {
        out.push(this.issue(this.dedupe ? this.sampleNew(100) : this.space.sample(this.rng)));
        continue;
      }
      const a = this.currentModel().proposeArch(this.rng, this.candidates, this.retries, this.dedupe ? (x) => this.asked.has(x.key) : undefined);
      out.push(this.issue(a ?? this.sampleNew(100)));
    }
  }

  protected observe(): void {}
}

/** The `tpe` strategy. */
export const tpeFactory = defineStrategy({
  name: 'tpe',
  description: 'Tree-structured Parzen Estimator, Bergstra et al. 2011 (independent per decision, as Optuna)',
  options: [
    { name: 'startup', type: 'integer', default: 10, min: 1, max: 100_000, description: 'random trials before the model is used (Optuna: 10)' },
    { name: 'candidates', type: 'integer', default: 24, min: 1, max: 10_000, description: 'draws from l(x) per decision, the best by l/g is kept (Optuna: 24)' },
    { name: 'priorWeight', type: 'number', default: 1, min: 0.001, max: 1000, description: 'weight of the prior component of each estimator (Optuna: 1)' },
    { name: 'dedupe', type: 'boolean', default: true, description: 'redraw proposals that were already asked' },
    { name: 'retries', type: 'integer', default: 20, min: 1, max: 10_000, description: 'proposals tried per ask (constraints, dedupe) before a random one' },
  ],
  make: (space, seed, options) => new Tpe(space, seed, options),
});
