/**
 * Learning-curve extrapolation in the manner of Domhan, Springenberg & Hutter (IJCAI 2015,
 * "Speeding up automatic hyperparameter optimization of deep neural networks by extrapolation of
 * learning curves"): a partial curve (validation accuracy by epoch, higher is better) is fitted by
 * several parametric families, and their fits are combined into a predictive distribution of the
 * value at a later step.
 *
 * ```ts
 * const p = extrapolate([{ step: 1, value: 0.41 }, { step: 2, value: 0.55 }, ...], 50, { bound: 1 });
 * p.mean, p.std;                 // predicted value at step 50 and its uncertainty
 * probabilityAbove(p, 0.92);     // P(value at step 50 > 0.92)
 * ```
 *
 * **Families** (Domhan et al.'s Table 1 names; x is the step, see {@link ExtrapolateOptions.origin}):
 * `pow3` c − a·x^−α; `pow4` c − (a·x + b)^−α; `logPower` a / (1 + (x/e^b)^c); `mmf`
 * α − (α − β) / (1 + (κx)^δ); `exp4` c − e^(−a·x^α + b); `janoschek` α − (α − β)·e^(−κ·x^δ);
 * `ilog2` c − a / ln(x + 1) (the paper's ln x, shifted by one so that x = 1 is defined);
 * `vaporPressure` exp(a + b/x + c·ln x). (Weibull is Janoschek with κ reparametrised, and Hill3 is
 * log power; log-log-linear grows without limit; those three are left out.)
 *
 * **Constraints**, as the paper's prior: every family is held increasing in x by the bounds of its
 * parameters (e.g. a ≥ 0, α ≥ 0 in pow3), and with {@link ExtrapolateOptions.bound} (1 for
 * accuracies in [0, 1], 100 for percentages) its asymptote is at most the bound and a fit whose
 * prediction exceeds it is dropped. Values are divided by the bound (or by the largest |value|)
 * before fitting, so the same code serves both scales.
 *
 * **Fitting**: each family is fitted by a projected Levenberg–Marquardt (analytic Jacobians,
 * Marquardt's diagonal scaling, steps clipped to the box of bounds) from two to three data-driven
 * starts; the best start wins.
 *
 * **Combining** (a cheap, documented stand-in for the paper's MCMC over the weighted ensemble):
 * each family m gives a Gaussian for the value at the target step, with mean μ_m = f_m(x*; θ̂) and
 * variance σ_m²·(1 + gᵀ(JᵀJ)⁻¹g) (the classical prediction variance of a new observation under the
 * linearised model: residual noise σ_m² = RSS/(n − k) plus parameter uncertainty carried to x* by
 * the gradient g = ∂f/∂θ at x*), inflated by {@link ExtrapolateOptions.inflation} for the
 * extrapolation distance. The families are weighted by Akaike-style BIC weights exp(−ΔBIC/2),
 * tempered (see {@link ExtrapolateOptions.temperature}); the prediction is that Gaussian mixture,
 * so its variance holds both each family's spread and the disagreement between families. For a
 * bounded metric the mixture's components are truncated at the bound when probabilities are
 * asked ({@link probabilityAbove}).
 * @module
 */

/** One point of a learning curve: the metric (higher is better) after `step` steps or epochs. */
export interface StepValue {
  readonly step: number;
  readonly value: number;
}

/** The parametric families (Domhan et al. 2015 names). */
export type CurveFamilyName = 'pow3' | 'pow4' | 'logPower' | 'mmf' | 'exp4' | 'janoschek' | 'ilog2' | 'vaporPressure';

/** Every family, in a fixed order. */
export const CURVE_FAMILIES: readonly CurveFamilyName[] = ['pow3', 'pow4', 'logPower', 'mmf', 'exp4', 'janoschek', 'ilog2', 'vaporPressure'];

/** Options of {@link extrapolate}. */
export interface ExtrapolateOptions {
  /** Upper bound of the metric (1 for accuracies in [0, 1], 100 for percentages); none by default. */
  bound?: number;
  /** Families to use (default: all of {@link CURVE_FAMILIES}). */
  families?: readonly CurveFamilyName[];
  /** Fewest finite points for a prediction (default 3; at least 3). With fewer, `ok` is false. */
  minPoints?: number;
  /**
   * x = step − origin. Default: 0 when every step is ≥ 1 (epochs counted from 1), else
   * (smallest step − 1), so that the first point sits at x ≥ 1.
   */
  origin?: number;
  /** Levenberg–Marquardt iterations per start (default 100). */
  maxIterations?: number;
  /**
   * Temperature of the BIC weights, exp(−ΔBIC / (2·T)) (default 4). At T = 1 the best fit takes
   * almost all the weight even when others fit about as well; higher spreads it, so that the
   * families' disagreement shows in the uncertainty.
   */
  temperature?: number;
  /**
   * Extra variance for extrapolating: each family's prediction variance is multiplied by
   * (1 + inflation · (x* − x_last) / x_last) (default 0.1). The linearised variance alone
   * ignores that the family itself may be wrong; this grows the spread with the distance. (On
   * curves drawn from the families themselves, 0 is about calibrated; real curves stray more.)
   */
  inflation?: number;
}

/** One family's fit. */
export interface CurveFit {
  family: CurveFamilyName;
  /** Fitted parameters by name (in the metric's own units). */
  params: Record<string, number>;
  /** Residual sum of squares (metric units²). */
  rss: number;
  /** Residual standard deviation, sqrt(RSS / (n − k)), floored (metric units). */
  sigma: number;
  bic: number;
  /** Weight in the ensemble (they sum to 1 over the usable fits; 0 for a dropped one). */
  weight: number;
  /** Predicted value at the target step and its standard deviation. */
  mean: number;
  std: number;
  /** Why the fit was dropped (weight 0), when it was. */
  dropped?: string;
}

/** A predictive distribution for the value at `step` (plain JSON). */
export interface CurvePrediction {
  /** The target step. */
  step: number;
  /** False when there was too little to fit (see `reason`); then `mean` is the last finite value (NaN when none) and `std` is NaN. */
  ok: boolean;
  reason?: string;
  mean: number;
  std: number;
  /** The metric's bound, when one was given. */
  bound?: number;
  /** Finite points used. */
  points: number;
  /** The last finite observed value (NaN when none). */
  last: number;
  families: CurveFit[];
}

// ---------------------------------------------------------------------------------------------
// Families. Each works on scaled values (divided by the bound or the largest |value|), so
// `B` (the bound) is 1 when bounded and +Infinity when not.

interface Family {
  readonly name: CurveFamilyName;
  readonly params: readonly string[];
  /** f(x; p), given lx = ln x; writes ∂f/∂p into `g` when given. Parameters are in their internal form. */
  f(p: Float64Array, x: number, lx: number, g?: Float64Array): number;
  lower(B: number): number[];
  upper(B: number): number[];
  /** Starting points from the data (x ascending, y scaled); `c` holds asymptote guesses. */
  starts(d: StartData): number[][];
  /** Parameters by their documented names, in the metric's units (`s` is the scale). */
  named(p: Float64Array, s: number): Record<string, number>;
}

interface StartData {
  x: Float64Array;
  y: Float64Array;
  /** Asymptote guesses above the last values, at most the bound. */
  c: number[];
  /** Mean of the first and of the last few values. */
  y0: number;
  yl: number;
  /** A middle x. */
  xm: number;
}

const INF = Number.POSITIVE_INFINITY;
const logPos = (v: number): number => Math.log(Math.max(v, 1e-12));

const pow3: Family = {
  name: 'pow3',
  params: ['c', 'a', 'alpha'],
  f(p, _x, lx, g) {
    const t = Math.exp(-p[2] * lx);
    if (g) {
      g[0] = 1;
      g[1] = -t;
      g[2] = p[1] * t * lx;
    }
    return p[0] - p[1] * t;
  },
  lower: () => [-INF, 0, 1e-3],
  upper: (B) => [B, INF, 5],
  starts: (d) =>
    d.c.flatMap((c) => [0.5, 1.5].map((al) => [c, Math.max(c - d.y0, 1e-6) * d.x[0] ** al, al])),
  named: (p, s) => ({ c: p[0] * s, a: p[1] * s, alpha: p[2] }),
};

const pow4: Family = {
  name: 'pow4',
  params: ['c', 'a', 'b', 'alpha'],
  f(p, x, _lx, g) {
    const u = p[1] * x + p[2];
    const t = u ** -p[3];
    if (g) {
      const du = p[3] * t / u;
      g[0] = 1;
      g[1] = du * x;
      g[2] = du;
      g[3] = t * Math.log(u);
    }
    return p[0] - t;
  },
  lower: () => [-INF, 1e-9, 0, 1e-3],
  upper: (B) => [B, INF, INF, 5],
  // One start: pow4 is nearly degenerate (a and b trade off) and converges slowly.
  starts: (d) =>
    d.c.slice(0, 1).map((c) => {
      const al = 0.7;
      // (a·x0 + b)^−α = c − y0 with b = 1, when that gives a positive a.
      const u0 = Math.max(c - d.y0, 1e-6) ** (-1 / al);
      const a = (u0 - 1) / d.x[0];
      return a > 0 ? [c, a, 1, al] : [c, u0 / d.x[0], 0, al];
    }),
  named: (p, s) => ({ c: p[0] * s, a: p[1] * s ** (-1 / p[3]), b: p[2] * s ** (-1 / p[3]), alpha: p[3] }),
};

const logPower: Family = {
  name: 'logPower',
  params: ['a', 'b', 'c'],
  f(p, _x, lx, g) {
    const lb = lx - p[1];
    const r = Math.exp(p[2] * lb);
    const q = 1 / (1 + r);
    if (g) {
      const k = p[0] * r * q * q;
      g[0] = q;
      g[1] = k * p[2];
      g[2] = -k * lb;
    }
    return p[0] * q;
  },
  lower: () => [0, -20, -10],
  upper: (B) => [B, 30, -1e-3],
  starts: (d) =>
    d.c.map((a) => {
      const c = -1;
      // a / (1 + r) = y at the middle point → r = a/y − 1, and r = (x/e^b)^c.
      const ym = Math.max(Math.min(interp(d, d.xm), a * 0.999), 1e-6);
      const r = a / ym - 1;
      return [a, Math.log(d.xm) - Math.log(r) / c, c];
    }),
  named: (p, s) => ({ a: p[0] * s, b: p[1], c: p[2] }),
};

// mmf and janoschek are fitted as α, d = α − β ≥ 0, k = ln κ, δ.
const mmf: Family = {
  name: 'mmf',
  params: ['alpha', 'beta', 'kappa', 'delta'],
  f(p, _x, lx, g) {
    const lk = p[2] + lx;
    const q = Math.exp(p[3] * lk);
    const h = 1 / (1 + q);
    if (g) {
      const k = p[1] * q * h * h;
      g[0] = 1;
      g[1] = -h;
      g[2] = k * p[3];
      g[3] = k * lk;
    }
    return p[0] - p[1] * h;
  },
  lower: () => [-INF, 0, -30, 1e-3],
  upper: (B) => [B, INF, 30, 10],
  starts: (d) => d.c.map((c) => [c, Math.max(c - d.y0, 1e-3) * 2, -Math.log(d.xm), 1]),
  named: (p, s) => ({ alpha: p[0] * s, beta: (p[0] - p[1]) * s, kappa: Math.exp(p[2]), delta: p[3] }),
};

const janoschek: Family = {
  name: 'janoschek',
  params: ['alpha', 'beta', 'kappa', 'delta'],
  f(p, _x, lx, g) {
    const u = Math.exp(p[2] + p[3] * lx);
    const e = Math.exp(-u);
    if (g) {
      const k = p[1] * e * u;
      g[0] = 1;
      g[1] = -e;
      g[2] = k;
      g[3] = k * lx;
    }
    return p[0] - p[1] * e;
  },
  lower: () => [-INF, 0, -30, 1e-3],
  upper: (B) => [B, INF, 30, 5],
  starts: (d) => d.c.map((c) => [c, Math.max(c - d.y0, 1e-3) * 1.5, -Math.log(d.xm), 1]),
  named: (p, s) => ({ alpha: p[0] * s, beta: (p[0] - p[1]) * s, kappa: Math.exp(p[2]), delta: p[3] }),
};

const exp4: Family = {
  name: 'exp4',
  params: ['c', 'a', 'b', 'alpha'],
  f(p, _x, lx, g) {
    const xa = Math.exp(p[3] * lx);
    const e = Math.exp(-p[1] * xa + p[2]);
    if (g) {
      g[0] = 1;
      g[1] = e * xa;
      g[2] = -e;
      g[3] = e * p[1] * xa * lx;
    }
    return p[0] - e;
  },
  lower: () => [-INF, 0, -50, 1e-3],
  upper: (B) => [B, INF, 50, 2],
  starts: (d) =>
    d.c.map((c) => {
      const al = 0.5;
      const x0 = d.x[0] ** al;
      const xl = d.x[d.x.length - 1] ** al;
      const l0 = logPos(c - d.y0);
      const ll = logPos(c - d.yl);
      const a = xl > x0 ? Math.max((l0 - ll) / (xl - x0), 1e-3) : 0.1;
      return [c, a, l0 + a * x0, al];
    }),
  named: (p, s) => ({ c: p[0] * s, a: p[1], b: p[2] + Math.log(s), alpha: p[3] }),
};

const ilog2: Family = {
  name: 'ilog2',
  params: ['c', 'a'],
  f(p, x, _lx, g) {
    const t = 1 / Math.log(x + 1);
    if (g) {
      g[0] = 1;
      g[1] = -t;
    }
    return p[0] - p[1] * t;
  },
  lower: () => [-INF, 0],
  upper: (B) => [B, INF],
  starts: (d) => d.c.slice(0, 1).map((c) => [c, Math.max(c - d.y0, 1e-6) * Math.log(d.x[0] + 1)]),
  named: (p, s) => ({ c: p[0] * s, a: p[1] * s }),
};

const vaporPressure: Family = {
  name: 'vaporPressure',
  params: ['a', 'b', 'c'],
  f(p, x, lx, g) {
    const y = Math.exp(p[0] + p[1] / x + p[2] * lx);
    if (g) {
      g[0] = y;
      g[1] = y / x;
      g[2] = y * lx;
    }
    return y;
  },
  // b ≤ 0 and c ≥ 0 keep it increasing for x > 0.
  lower: () => [-50, -INF, 0],
  upper: () => [50, 0, 2],
  starts: (d) => {
    const x0 = d.x[0];
    const xl = d.x[d.x.length - 1];
    const l0 = logPos(d.y0);
    const ll = logPos(d.yl);
    // c = 0: ln y = a + b/x through the first and last points.
    const b = xl > x0 ? Math.min((l0 - ll) / (1 / x0 - 1 / xl), 0) : -1;
    return [[ll - b / xl, b, 0]];
  },
  named: (p, s) => ({ a: p[0] + Math.log(s), b: p[1], c: p[2] }),
};

const FAMILIES: Record<CurveFamilyName, Family> = { pow3, pow4, logPower, mmf, exp4, janoschek, ilog2, vaporPressure };

function interp(d: StartData, x: number): number {
  const xs = d.x;
  const n = xs.length;
  if (x <= xs[0]) return d.y[0];
  for (let i = 1; i < n; i++) {
    if (xs[i] >= x) {
      const t = (x - xs[i - 1]) / (xs[i] - xs[i - 1] || 1);
      return d.y[i - 1] + t * (d.y[i] - d.y[i - 1]);
    }
  }
  return d.y[n - 1];
}

// ---------------------------------------------------------------------------------------------
// Levenberg–Marquardt.

interface LmResult {
  p: Float64Array;
  cost: number;
}

/** Solves A·v = b in place for a small symmetric positive definite A (Cholesky); false when not SPD. */
function choleskySolve(A: Float64Array, b: Float64Array, k: number, out: Float64Array): boolean {
  const L = new Float64Array(k * k);
  for (let i = 0; i < k; i++) {
    for (let j = 0; j <= i; j++) {
      let s = A[i * k + j];
      for (let m = 0; m < j; m++) s -= L[i * k + m] * L[j * k + m];
      if (i === j) {
        if (!(s > 0)) return false;
        L[i * k + i] = Math.sqrt(s);
      } else L[i * k + j] = s / L[j * k + j];
    }
  }
  const z = new Float64Array(k);
  for (let i = 0; i < k; i++) {
    let s = b[i];
    for (let m = 0; m < i; m++) s -= L[i * k + m] * z[m];
    z[i] = s / L[i * k + i];
  }
  for (let i = k - 1; i >= 0; i--) {
    let s = z[i];
    for (let m = i + 1; m < k; m++) s -= L[m * k + i] * out[m];
    out[i] = s / L[i * k + i];
  }
  return true;
}

function sse(fam: Family, p: Float64Array, x: Float64Array, lx: Float64Array, y: Float64Array): number {
  let s = 0;
  for (let i = 0; i < x.length; i++) {
    const r = fam.f(p, x[i], lx[i]) - y[i];
    s += r * r;
  }
  return Number.isFinite(s) ? s : INF;
}

/** JᵀJ and Jᵀr at p. */
function normalEquations(fam: Family, p: Float64Array, x: Float64Array, lx: Float64Array, y: Float64Array, A: Float64Array, gr: Float64Array, g: Float64Array): void {
  const k = p.length;
  A.fill(0);
  gr.fill(0);
  for (let i = 0; i < x.length; i++) {
    const r = fam.f(p, x[i], lx[i], g) - y[i];
    for (let a = 0; a < k; a++) {
      gr[a] += g[a] * r;
      for (let b = 0; b <= a; b++) A[a * k + b] += g[a] * g[b];
    }
  }
  for (let a = 0; a < k; a++) for (let b = 0; b < a; b++) A[b * k + a] = A[a * k + b];
}

function levenbergMarquardt(fam: Family, start: number[], lo: number[], hi: number[], x: Float64Array, lx: Float64Array, y: Float64Array, maxIt: number): LmResult {
  const k = start.length;
  const clamp = (v: number, i: number): number => Math.min(Math.max(v, lo[i]), hi[i]);
  const p = Float64Array.from(start, clamp);
  let cost = sse(fam, p, x, lx, y);
  if (!Number.isFinite(cost)) return { p, cost: INF };
  const A = new Float64Array(k * k);
  const M = new Float64Array(k * k);
  const gr = new Float64Array(k);
  const g = new Float64Array(k);
  const neg = new Float64Array(k);
  const step = new Float64Array(k);
  const trial = new Float64Array(k);
  const fixed = new Uint8Array(k);
  let lambda = 1e-3;
  for (let it = 0; it < maxIt; it++) {
    normalEquations(fam, p, x, lx, y, A, gr, g);
    // Active set: a parameter at a bound that the gradient pushes further out stays put.
    for (let a = 0; a < k; a++) {
      fixed[a] = (p[a] <= lo[a] && gr[a] > 0) || (p[a] >= hi[a] && gr[a] < 0) ? 1 : 0;
      neg[a] = fixed[a] ? 0 : -gr[a];
    }
    let accepted = false;
    let next = cost;
    for (let tries = 0; tries < 12 && !accepted; tries++) {
      M.set(A);
      for (let a = 0; a < k; a++) {
        M[a * k + a] += lambda * (A[a * k + a] + 1e-12);
        if (fixed[a]) {
          for (let b = 0; b < k; b++) M[a * k + b] = M[b * k + a] = 0;
          M[a * k + a] = 1;
        }
      }
      if (!choleskySolve(M, neg, k, step)) {
        lambda *= 4;
        continue;
      }
      for (let a = 0; a < k; a++) trial[a] = clamp(p[a] + step[a], a);
      next = sse(fam, trial, x, lx, y);
      if (next < cost) accepted = true;
      else lambda *= 4;
    }
    if (!accepted) break;
    const gain = cost - next;
    p.set(trial);
    cost = next;
    lambda = Math.max(lambda / 3, 1e-12);
    if (gain <= 1e-9 * cost + 1e-15) break;
  }
  return { p, cost };
}

// ---------------------------------------------------------------------------------------------
// The ensemble.

const SQRT2 = Math.SQRT2;

/** The standard normal CDF, through the Chebyshev-fitted erfc of Numerical Recipes (§6.2; relative error < 1.2e-7). */
export function normalCdf(z: number): number {
  if (Number.isNaN(z)) return Number.NaN;
  const x = -z / SQRT2;
  const t = 1 / (1 + 0.5 * Math.abs(x));
  const r =
    t *
    Math.exp(
      -x * x -
        1.26551223 +
        t * (1.00002368 + t * (0.37409196 + t * (0.09678418 + t * (-0.18628806 + t * (0.27886807 + t * (-1.13520398 + t * (1.48851587 + t * (-0.82215223 + t * 0.17087277)))))))),
    );
  const erfc = x >= 0 ? r : 2 - r;
  return 0.5 * erfc;
}

/** Clean, sorted finite points. */
function cleanPoints(curve: readonly StepValue[]): StepValue[] {
  const pts: StepValue[] = [];
  for (const pt of curve ?? []) {
    if (pt && Number.isFinite(pt.step) && Number.isFinite(pt.value)) pts.push({ step: pt.step, value: pt.value });
  }
  pts.sort((a, b) => a.step - b.step);
  return pts;
}

/**
 * Fits the families to a partial learning curve and predicts the value at `finalStep` (see the
 * module comment for the method). Points with a non-finite step or value are ignored; with fewer
 * than `minPoints` finite points, or when no family could be fitted, the result has `ok: false`,
 * `mean` = the last finite value (NaN when none) and `std` = NaN. Throws only for a bad
 * `finalStep` or option.
 */
export function extrapolate(curve: readonly StepValue[], finalStep: number, opts: ExtrapolateOptions = {}): CurvePrediction {
  if (!Number.isFinite(finalStep)) throw new Error(`extrapolate: finalStep must be a finite number, got ${finalStep}`);
  const bound = opts.bound;
  if (bound !== undefined && !(Number.isFinite(bound) && bound > 0)) throw new Error(`extrapolate: bound must be a positive finite number, got ${bound}`);
  const minPoints = Math.max(3, opts.minPoints ?? 3);
  const maxIt = opts.maxIterations ?? 100;
  const temperature = opts.temperature ?? 4;
  const inflation = opts.inflation ?? 0.1;
  if (!(temperature > 0) || !(inflation >= 0) || !(maxIt >= 1)) throw new Error('extrapolate: temperature must be > 0, inflation >= 0 and maxIterations >= 1');
  const names = opts.families ?? CURVE_FAMILIES;
  for (const nm of names) if (!Object.hasOwn(FAMILIES, nm)) throw new Error(`extrapolate: unknown curve family '${nm}' (known: ${CURVE_FAMILIES.join(', ')})`);

  const pts = cleanPoints(curve);
  const n = pts.length;
  const last = n ? pts[n - 1].value : Number.NaN;
  const base = { step: finalStep, ...(bound !== undefined ? { bound } : {}), points: n, last };
  const fail = (reason: string): CurvePrediction => ({ ...base, ok: false, reason, mean: last, std: Number.NaN, families: [] });
  if (n < minPoints) return fail(`${n} finite point${n === 1 ? '' : 's'}, need ${minPoints}`);

  const origin = opts.origin ?? (pts[0].step >= 1 ? 0 : pts[0].step - 1);
  if (pts[0].step - origin <= 0) return fail(`steps must be above the origin ${origin}`);
  const xF = finalStep - origin;
  if (xF <= 0) return fail(`finalStep ${finalStep} is not above the origin ${origin}`);
  let maxAbs = 0;
  for (const pt of pts) maxAbs = Math.max(maxAbs, Math.abs(pt.value));
  const s = bound ?? (maxAbs > 0 ? maxAbs : 1);
  const B = bound !== undefined ? 1 : INF;
  const x = Float64Array.from(pts, (pt) => pt.step - origin);
  const lx = x.map(Math.log);
  const y = Float64Array.from(pts, (pt) => pt.value / s);
  const xl = x[n - 1];

  const m = Math.min(3, Math.max(1, Math.floor(n / 4)));
  let y0 = 0;
  let yl = 0;
  let ymin = INF;
  let ymax = -INF;
  for (let i = 0; i < m; i++) {
    y0 += y[i] / m;
    yl += y[n - 1 - i] / m;
  }
  for (const v of y) {
    ymin = Math.min(ymin, v);
    ymax = Math.max(ymax, v);
  }
  const range = Math.max(ymax - ymin, 1e-3);
  // Noise floor: 0.05% of the scale, so a constant curve gets a small but non-zero spread.
  const sigmaFloor = 5e-4;
  const cGuess = [yl + 0.1 * range + 1e-3, yl + 0.5 * range + 1e-3].map((c) => Math.min(c, B));
  const dStart: StartData = { x, y, c: cGuess, y0, yl, xm: x[Math.floor((n - 1) / 2)] };

  const fits: (CurveFit & { bicRaw: number; var: number })[] = [];
  const g = new Float64Array(4);
  for (const nm of names) {
    const fam = FAMILIES[nm];
    const k = fam.params.length;
    const lo = fam.lower(B);
    const hi = fam.upper(B);
    if (n < k + 1) continue; // no residual degrees of freedom
    let best: LmResult | null = null;
    for (const st of fam.starts(dStart)) {
      if (!st.every(Number.isFinite)) continue;
      const r = levenbergMarquardt(fam, st, lo, hi, x, lx, y, maxIt);
      if (Number.isFinite(r.cost) && (!best || r.cost < best.cost)) best = r;
    }
    if (!best) continue;
    const rss = best.cost;
    const sigma2 = Math.max(rss / (n - k), sigmaFloor * sigmaFloor);
    const mu = fam.f(best.p, xF, Math.log(xF), g);
    // Prediction variance σ²(1 + gᵀ(JᵀJ + εI)⁻¹g), then the extrapolation inflation.
    const A = new Float64Array(k * k);
    const gr = new Float64Array(k);
    const gi = new Float64Array(k);
    normalEquations(fam, best.p, x, lx, y, A, gr, gi);
    let tr = 0;
    for (let a = 0; a < k; a++) tr += A[a * k + a];
    for (let a = 0; a < k; a++) A[a * k + a] += 1e-9 * (tr / k) + 1e-12;
    const gF = g.subarray(0, k);
    const v = new Float64Array(k);
    let lever = Number.NaN;
    if (choleskySolve(A, gF, k, v)) {
      lever = 0;
      for (let a = 0; a < k; a++) lever += gF[a] * v[a];
    }
    const far = Math.max(0, (xF - xl) / xl);
    // A prediction's std never exceeds the scale (the width of [0, bound] for accuracies).
    const variance = Math.min(sigma2 * (1 + (Number.isFinite(lever) ? lever : 1e6)) * (1 + inflation * far), 1);
    const logL = -0.5 * n * (Math.log(2 * Math.PI * Math.max(rss / n, sigmaFloor * sigmaFloor)) + 1);
    const bic = k * Math.log(n) - 2 * logL;
    let dropped: string | undefined;
    if (!Number.isFinite(mu) || !Number.isFinite(variance)) dropped = 'prediction not finite';
    else if (mu > B + 1e-9) dropped = `prediction ${mu * s} above the bound ${bound}`;
    fits.push({
      family: nm,
      params: fam.named(best.p, s),
      rss: rss * s * s,
      sigma: Math.sqrt(sigma2) * s,
      bic,
      bicRaw: bic,
      weight: 0,
      mean: mu * s,
      std: Math.sqrt(variance) * s,
      var: variance,
      ...(dropped ? { dropped } : {}),
    });
  }
  const usable = fits.filter((f) => !f.dropped);
  const strip = (): CurveFit[] => fits.map(({ bicRaw: _b, var: _v, ...f }) => f);
  if (!usable.length) return { ...fail(fits.length ? 'no family gave a usable prediction' : 'no family could be fitted'), families: strip() };
  const minBic = Math.min(...usable.map((f) => f.bicRaw));
  let wsum = 0;
  for (const f of usable) {
    f.weight = Math.exp(-(f.bicRaw - minBic) / (2 * temperature));
    wsum += f.weight;
  }
  let mean = 0;
  for (const f of usable) {
    f.weight /= wsum;
    mean += f.weight * f.mean;
  }
  let variance = 0;
  for (const f of usable) variance += f.weight * (f.std * f.std + (f.mean - mean) ** 2);
  return { ...base, ok: true, mean, std: Math.sqrt(variance), families: strip() };
}

/**
 * P(value at the prediction's step > threshold) under the prediction's mixture, each component
 * truncated at the bound when there is one (so the probability of beating the bound is 0). NaN
 * when the prediction is not `ok`.
 */
export function probabilityAbove(pred: CurvePrediction, threshold: number): number {
  if (!pred.ok || Number.isNaN(threshold)) return Number.NaN;
  const B = pred.bound ?? INF;
  if (threshold >= B) return 0;
  let p = 0;
  for (const f of pred.families) {
    if (!(f.weight > 0)) continue;
    const sd = Math.max(f.std, 1e-12);
    const below = normalCdf((threshold - f.mean) / sd);
    if (B === INF) p += f.weight * (1 - below);
    else {
      const top = normalCdf((B - f.mean) / sd);
      p += f.weight * (top > 1e-300 ? Math.max(0, top - below) / top : 0);
    }
  }
  return Math.min(1, Math.max(0, p));
}

/**
 * The value of family `name` with named parameters `params` (as in {@link CurveFit.params}) at
 * x = `x` (a step minus the origin). For simulations and tests.
 */
export function curveValue(name: CurveFamilyName, params: Record<string, number>, x: number): number {
  const P = params;
  switch (name) {
    case 'pow3':
      return P.c - P.a * x ** -P.alpha;
    case 'pow4':
      return P.c - (P.a * x + P.b) ** -P.alpha;
    case 'logPower':
      return P.a / (1 + (x / Math.exp(P.b)) ** P.c);
    case 'mmf':
      return P.alpha - (P.alpha - P.beta) / (1 + (P.kappa * x) ** P.delta);
    case 'exp4':
      return P.c - Math.exp(-P.a * x ** P.alpha + P.b);
    case 'janoschek':
      return P.alpha - (P.alpha - P.beta) * Math.exp(-P.kappa * x ** P.delta);
    case 'ilog2':
      return P.c - P.a / Math.log(x + 1);
    case 'vaporPressure':
      return Math.exp(P.a + P.b / x + P.c * Math.log(x));
    default:
      throw new Error(`curveValue: unknown curve family '${name as string}'`);
  }
}
