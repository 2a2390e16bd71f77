import assert from 'node:assert/strict';
import { test } from 'node:test';
import { CURVE_FAMILIES, type CurveFamilyName, type StepValue, curveValue, extrapolate, normalCdf, probabilityAbove } from '../../src/estimate/curve.js';
import { Rng } from '../../src/util/rng.js';

/** A realistic accuracy curve from one of five families: asymptote in [0.6, 0.95], start in [0.1, 0.4]. */
function randomTruth(r: Rng): { family: CurveFamilyName; f: (x: number) => number } {
  const families: CurveFamilyName[] = ['pow3', 'janoschek', 'mmf', 'exp4', 'logPower'];
  const family = families[r.int(families.length)];
  const fin = 0.6 + 0.35 * r.next();
  const start = 0.1 + 0.3 * r.next();
  const params: Record<CurveFamilyName, () => Record<string, number>> = {
    pow3: () => ({ c: fin, a: fin - start, alpha: 0.3 + 1.2 * r.next() }),
    janoschek: () => ({ alpha: fin, beta: start / 2, kappa: 0.05 + 0.4 * r.next(), delta: 0.5 + 0.7 * r.next() }),
    mmf: () => ({ alpha: fin, beta: start / 2, kappa: 0.1 + 0.5 * r.next(), delta: 0.7 + 1.3 * r.next() }),
    exp4: () => ({ c: fin, a: 0.2 + 0.6 * r.next(), b: Math.log(fin - start) + 0.3, alpha: 0.4 + 0.5 * r.next() }),
    logPower: () => ({ a: fin, b: Math.log(1 + 3 * r.next()), c: -(0.7 + 1.3 * r.next()) }),
    pow4: () => ({}),
    ilog2: () => ({}),
    vaporPressure: () => ({}),
  };
  const p = params[family]();
  return { family, f: (x) => curveValue(family, p, x) };
}

function observe(f: (x: number) => number, n: number, noise: number, r: Rng, first = 1): StepValue[] {
  return Array.from({ length: n }, (_, i) => ({ step: first + i, value: f(first + i) + noise * r.normal() }));
}

test('normalCdf matches known quantiles', () => {
  assert.ok(Math.abs(normalCdf(0) - 0.5) < 1e-7);
  assert.ok(Math.abs(normalCdf(1.959964) - 0.975) < 1e-6);
  assert.ok(Math.abs(normalCdf(-1) - 0.158655) < 1e-6);
  assert.ok(Math.abs(normalCdf(-3) - 0.0013499) < 1e-6);
  assert.equal(normalCdf(-40), 0);
  assert.equal(normalCdf(40), 1);
});

test('extrapolation recovers the final value of each known family (little noise)', () => {
  const cases: [CurveFamilyName, Record<string, number>][] = [
    ['pow3', { c: 0.9, a: 0.6, alpha: 0.7 }],
    ['janoschek', { alpha: 0.93, beta: 0.1, kappa: 0.2, delta: 0.8 }],
    ['mmf', { alpha: 0.88, beta: 0.15, kappa: 0.3, delta: 1.2 }],
    ['exp4', { c: 0.85, a: 0.5, b: -0.2, alpha: 0.6 }],
    ['logPower', { a: 0.92, b: 1, c: -1.3 }],
    ['ilog2', { c: 0.95, a: 0.4 }],
  ];
  for (const [family, params] of cases) {
    const r = new Rng(7);
    const f = (x: number): number => curveValue(family, params, x);
    const p = extrapolate(observe(f, 25, 0.002, r), 60, { bound: 1 });
    assert.ok(p.ok, `${family}: ${p.reason}`);
    const err = Math.abs(p.mean - f(60));
    assert.ok(err < 0.02, `${family}: predicted ${p.mean}, truth ${f(60)}`);
    assert.ok(p.std > 0 && p.std < 0.05, `${family}: std ${p.std}`);
    assert.ok(Math.abs(p.mean - f(60)) <= 3 * p.std, `${family}: truth ${f(60)} is ${err / p.std} std from ${p.mean}`);
    const w = p.families.reduce((s, fit) => s + fit.weight, 0);
    assert.ok(Math.abs(w - 1) < 1e-9);
  }
});

test('the predictive distribution is calibrated-ish on 100 seeded noisy curves', () => {
  let within2 = 0;
  let within1 = 0;
  const errors: number[] = [];
  for (let seed = 0; seed < 100; seed++) {
    const r = new Rng(seed);
    const { f } = randomTruth(r);
    const curve = observe(f, 20, 0.005, r);
    const truth = f(50) + 0.005 * r.normal(); // the noisy value a finished trial would report
    const p = extrapolate(curve, 50, { bound: 1 });
    assert.ok(p.ok, `seed ${seed}: ${p.reason}`);
    const z = Math.abs(truth - p.mean) / p.std;
    if (z <= 2) within2++;
    if (z <= 1) within1++;
    errors.push(Math.abs(truth - p.mean));
  }
  errors.sort((a, b) => a - b);
  assert.ok(within2 >= 80, `truth within 2 std in only ${within2} of 100 cases`);
  // Not uselessly wide either: about two thirds (not all) within one std.
  assert.ok(within1 >= 55 && within1 <= 95, `truth within 1 std in ${within1} of 100 cases`);
  assert.ok(errors[50] < 0.02, `median absolute error ${errors[50]}`);
});

test('fitted families are increasing and respect the bound; P(final > bound) is 0', () => {
  const r = new Rng(3);
  // A curve that creeps up to the bound: every usable fit must stay at or below 1.
  const f = (x: number): number => 0.999 - 0.5 * x ** -1.2;
  for (const bound of [1, 100]) {
    const curve = observe(f, 30, 0.003, r).map((p) => ({ step: p.step, value: Math.min(p.value, 1) * bound }));
    const p = extrapolate(curve, 300, { bound });
    assert.ok(p.ok);
    assert.ok(p.mean <= bound);
    for (const fit of p.families) {
      if (fit.weight > 0) assert.ok(fit.mean <= bound * (1 + 1e-9), `${fit.family}: ${fit.mean} > ${bound}`);
      else assert.ok(fit.dropped);
      let prev = Number.NEGATIVE_INFINITY;
      for (let x = 1; x <= 300; x += 1) {
        const v = curveValue(fit.family, fit.params, x);
        assert.ok(v >= prev - 1e-9 * bound, `${fit.family} decreases at x=${x}: ${v} < ${prev}`);
        prev = v;
      }
    }
    assert.equal(probabilityAbove(p, bound), 0);
    assert.equal(probabilityAbove(p, 2 * bound), 0);
    const q = probabilityAbove(p, 0);
    assert.ok(q > 0.99 && q <= 1);
  }
});

test('a decreasing curve is extrapolated flat, not downwards', () => {
  const curve = Array.from({ length: 12 }, (_, i) => ({ step: i + 1, value: 0.8 - 0.01 * i }));
  const p = extrapolate(curve, 40, { bound: 1 });
  assert.ok(p.ok);
  // Every family is increasing, so the best they can do is a level near the curve's mean.
  assert.ok(p.mean > 0.7 && p.mean < 0.85, `mean ${p.mean}`);
});

test('percentages and fractions give the same prediction (scaled)', () => {
  const r = new Rng(11);
  const curve = observe((x) => 0.9 - 0.5 * x ** -0.8, 15, 0.004, r);
  const a = extrapolate(curve, 40, { bound: 1 });
  const b = extrapolate(
    curve.map((p) => ({ step: p.step, value: p.value * 100 })),
    40,
    { bound: 100 },
  );
  assert.ok(Math.abs(a.mean * 100 - b.mean) < 1e-6 * 100);
  assert.ok(Math.abs(a.std * 100 - b.std) < 1e-6 * 100);
  assert.ok(Math.abs(probabilityAbove(a, 0.88) - probabilityAbove(b, 88)) < 1e-9);
});

test('degenerate inputs have defined results and do not throw', () => {
  for (const curve of [[], [{ step: 1, value: 0.4 }], [{ step: 1, value: 0.4 }, { step: 2, value: 0.5 }]]) {
    const p = extrapolate(curve, 10, { bound: 1 });
    assert.equal(p.ok, false);
    assert.match(p.reason ?? '', /finite point/);
    assert.equal(p.points, curve.length);
    assert.ok(curve.length ? p.mean === curve[curve.length - 1].value : Number.isNaN(p.mean));
    assert.ok(Number.isNaN(p.std));
    assert.ok(Number.isNaN(probabilityAbove(p, 0.5)));
    assert.deepEqual(p.families, []);
  }
  // NaN and infinite values (and steps) are ignored.
  const withNaN = [
    { step: 1, value: 0.3 },
    { step: 2, value: Number.NaN },
    { step: Number.NaN, value: 0.9 },
    { step: 3, value: 0.5 },
    { step: 4, value: Number.POSITIVE_INFINITY },
    { step: 5, value: 0.58 },
    { step: 6, value: 0.62 },
  ];
  const p = extrapolate(withNaN, 20, { bound: 1 });
  assert.equal(p.points, 4);
  assert.ok(p.ok && Number.isFinite(p.mean) && Number.isFinite(p.std));
  const allNaN = extrapolate(Array.from({ length: 5 }, (_, i) => ({ step: i + 1, value: Number.NaN })), 20);
  assert.equal(allNaN.ok, false);
  assert.ok(Number.isNaN(allNaN.mean) && Number.isNaN(allNaN.last));
  // A constant curve: predicted constant, with a small but positive spread.
  const flat = extrapolate(Array.from({ length: 8 }, (_, i) => ({ step: i + 1, value: 0.5 })), 50, { bound: 1 });
  assert.ok(flat.ok);
  assert.ok(Math.abs(flat.mean - 0.5) < 1e-3, `mean ${flat.mean}`);
  assert.ok(flat.std > 0 && flat.std < 0.01, `std ${flat.std}`);
  assert.ok(probabilityAbove(flat, 0.6) < 1e-6);
  assert.ok(probabilityAbove(flat, 0.4) > 1 - 1e-6);
  // Zeros and negative values, unbounded.
  const zeros = extrapolate(Array.from({ length: 6 }, (_, i) => ({ step: i + 1, value: 0 })), 50);
  assert.ok(zeros.ok && Math.abs(zeros.mean) < 1e-3);
  const neg = extrapolate(Array.from({ length: 8 }, (_, i) => ({ step: i + 1, value: -2 + Math.log(i + 1) / 5 })), 30);
  assert.ok(neg.ok && neg.mean > -2 && neg.mean < 0, `mean ${neg.mean}`);
  // Order and duplicates do not matter beyond the points themselves.
  const r = new Rng(5);
  const curve = observe((x) => 0.8 - 0.4 / x, 10, 0.003, r);
  const shuffled = [...curve].reverse();
  assert.deepEqual(extrapolate(shuffled, 30, { bound: 1 }), extrapolate(curve, 30, { bound: 1 }));
  // Steps from 0 are shifted (origin -1), and a target before the last point is interpolated.
  const zeroBased = extrapolate(
    curve.map((p) => ({ step: p.step - 1, value: p.value })),
    29,
    { bound: 1 },
  );
  assert.ok(zeroBased.ok && Math.abs(zeroBased.mean - extrapolate(curve, 30, { bound: 1 }).mean) < 1e-9);
  assert.ok(extrapolate(curve, 5, { bound: 1 }).ok);
  // Bad arguments are the caller's error, with a clear message.
  assert.throws(() => extrapolate(curve, Number.NaN), /finalStep must be a finite number/);
  assert.throws(() => extrapolate(curve, 10, { bound: 0 }), /bound must be a positive/);
  assert.throws(() => extrapolate(curve, 10, { families: ['nope' as CurveFamilyName] }), /unknown curve family 'nope'/);
  assert.throws(() => extrapolate(curve, 10, { families: ['toString' as CurveFamilyName] }), /unknown curve family 'toString'/);
  // The result is plain JSON.
  const j = extrapolate(curve, 30, { bound: 1 });
  assert.deepEqual(JSON.parse(JSON.stringify(j)), j);
});

test('a family subset, and too few points for a family, are respected', () => {
  const r = new Rng(2);
  const curve = observe((x) => 0.9 - 0.5 * x ** -0.8, 4, 0.003, r);
  // Four points: the four-parameter families have no residual degree of freedom and are skipped.
  const p = extrapolate(curve, 20, { bound: 1 });
  assert.ok(p.ok);
  const fitted = new Set(p.families.map((f) => f.family));
  for (const nm of ['pow4', 'mmf', 'exp4', 'janoschek'] as const) assert.ok(!fitted.has(nm), nm);
  for (const nm of ['pow3', 'logPower', 'ilog2'] as const) assert.ok(fitted.has(nm), nm);
  const q = extrapolate(observe((x) => 0.9 - 0.5 * x ** -0.8, 12, 0.003, r), 20, { bound: 1, families: ['pow3', 'ilog2'] });
  assert.deepEqual(
    q.families.map((f) => f.family),
    ['pow3', 'ilog2'],
  );
  assert.equal(CURVE_FAMILIES.length, 8);
});

test('a 50-point extrapolation takes well under 10 ms', () => {
  const r = new Rng(9);
  const curve = observe((x) => curveValue('janoschek', { alpha: 0.93, beta: 0.1, kappa: 0.2, delta: 0.8 }, x), 50, 0.005, r);
  for (let i = 0; i < 5; i++) extrapolate(curve, 200, { bound: 1 });
  // CPU time of this process, best of five batches, so that a loaded machine does not fail it.
  let best = Number.POSITIVE_INFINITY;
  for (let b = 0; b < 5; b++) {
    const t0 = process.cpuUsage();
    for (let i = 0; i < 10; i++) extrapolate(curve, 200, { bound: 1 });
    const u = process.cpuUsage(t0);
    best = Math.min(best, (u.user + u.system) / 1000 / 10);
  }
  assert.ok(best < 10, `${best.toFixed(2)} ms per extrapolation`);
});
