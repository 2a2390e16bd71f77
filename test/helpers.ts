/**
 * Small helpers shared by the engine tests: approximate comparisons and a finite-difference
 * gradient checker.
 */
import assert from 'node:assert/strict';
import { type NestedArray, type Tensor, tensor, tidy } from '../src/engine/index.js';

function flat(v: NestedArray | ArrayLike<number>): number[] {
  if (typeof v === 'number') return [v];
  if (typeof v === 'boolean') return [v ? 1 : 0];
  const out: number[] = [];
  const walk = (x: unknown): void => {
    if (Array.isArray(x)) for (const y of x) walk(y);
    else if (typeof x === 'boolean') out.push(x ? 1 : 0);
    else out.push(Number(x));
  };
  if (Array.isArray(v)) walk(v);
  else out.push(...Array.from(v as ArrayLike<number>, Number));
  return out;
}

/** Asserts that two arrays (nested or flat, or a tensor's values) agree within `atol + rtol*|expected|`. */
export function assertClose(
  actual: Tensor | NestedArray | ArrayLike<number>,
  expected: NestedArray | ArrayLike<number>,
  tol: { atol?: number; rtol?: number } | number = 1e-6,
  msg = '',
): void {
  const atol = typeof tol === 'number' ? tol : (tol.atol ?? 1e-6);
  const rtol = typeof tol === 'number' ? 0 : (tol.rtol ?? 0);
  const a = isTensor(actual) ? actual.dataSync() : flat(actual as NestedArray);
  const e = flat(expected);
  assert.equal(a.length, e.length, `${msg} length ${a.length} != expected ${e.length}`);
  for (let i = 0; i < a.length; i++) {
    const ok = Number.isNaN(e[i]) ? Number.isNaN(a[i]) : Math.abs(a[i] - e[i]) <= atol + rtol * Math.abs(e[i]);
    if (!ok) assert.fail(`${msg} element ${i}: got ${a[i]}, expected ${e[i]} (actual [${a.join(', ')}], expected [${e.join(', ')}])`);
  }
}

function isTensor(v: unknown): v is Tensor {
  return typeof v === 'object' && v !== null && typeof (v as Tensor).dataSync === 'function' && '_id' in v;
}

/** Deterministic pseudo-random numbers (a small LCG), so test inputs do not depend on libtorch's generator. */
export function rng(seed = 1): () => number {
  let s = seed >>> 0 || 1;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

/** A float64 tensor of the given shape with values uniform in [lo, hi), from {@link rng}. */
export function randT(shape: number[], seed: number, lo = -1, hi = 1): Tensor {
  const r = rng(seed);
  const n = shape.reduce((a, b) => a * b, 1);
  const v = new Float64Array(n);
  for (let i = 0; i < n; i++) v[i] = lo + (hi - lo) * r();
  return tensor(v, { shape });
}

/** Values whose absolute value lies in [lo, hi] with mixed signs: keeps inputs away from kinks at 0. */
export function awayFromZero(shape: number[], seed: number, lo = 0.2, hi = 1.5): Tensor {
  const r = rng(seed);
  const n = shape.reduce((a, b) => a * b, 1);
  const v = new Float64Array(n);
  for (let i = 0; i < n; i++) v[i] = (lo + (hi - lo) * r()) * (r() < 0.5 ? -1 : 1);
  return tensor(v, { shape });
}

export interface GradcheckOptions {
  eps?: number;
  rtol?: number;
  atol?: number;
}

/**
 * Compares the gradients that backward() gives for `fn` at `inputs` with central finite differences.
 *
 * Inputs must be float64. A non-scalar output is reduced to a scalar with fixed, non-uniform weights,
 * so every output element's gradient is checked. `fn` may itself call autograd (e.g. to compute a
 * first-order gradient with createGraph: true); the numerical side then differentiates that.
 * Returns the largest absolute difference found.
 */
export function gradcheck(fn: (...xs: Tensor[]) => Tensor, inputs: Tensor[], opts: GradcheckOptions = {}): number {
  const eps = opts.eps ?? 1e-6;
  const rtol = opts.rtol ?? 1e-5;
  const atol = opts.atol ?? 1e-6;
  for (const x of inputs) assert.equal(x.dtype, 'float64', 'gradcheck needs float64 inputs');
  const shapes = inputs.map((x) => x.shape);
  const values = inputs.map((x) => Float64Array.from(x.data() as Float64Array));
  let weights: Float64Array | null = null;

  const loss = (leaves: Tensor[]): Tensor => {
    const out = fn(...leaves);
    if (!weights) {
      const n = out.numel();
      weights = new Float64Array(n);
      for (let i = 0; i < n; i++) weights[i] = 0.5 + Math.sin(1.3 * i + 0.4);
    }
    const w = tensor(weights, { shape: out.shape, dtype: out.dtype });
    return out.mul(w).sum();
  };
  const leavesOf = (): Tensor[] => values.map((v, i) => tensor(v, { shape: shapes[i], requiresGrad: true }));

  const analytic = tidy(() => {
    const leaves = leavesOf();
    const l = loss(leaves);
    assert.ok(l.requiresGrad, 'gradcheck: the output does not depend on any input');
    l.backward();
    return leaves.map((x, i) => {
      const g = x.grad;
      return g ? Float64Array.from(g.data() as Float64Array) : new Float64Array(values[i].length);
    });
  });

  const evalLoss = (): number => tidy(() => loss(leavesOf()).item());
  let worst = 0;
  for (let k = 0; k < values.length; k++) {
    const v = values[k];
    for (let j = 0; j < v.length; j++) {
      const orig = v[j];
      v[j] = orig + eps;
      const lp = evalLoss();
      v[j] = orig - eps;
      const lm = evalLoss();
      v[j] = orig;
      const num = (lp - lm) / (2 * eps);
      const an = analytic[k][j];
      const diff = Math.abs(an - num);
      worst = Math.max(worst, diff);
      if (!(diff <= atol + rtol * Math.abs(num)))
        assert.fail(`gradient mismatch for input ${k} element ${j}: analytic ${an}, numerical ${num} (diff ${diff})`);
    }
  }
  return worst;
}
