import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { CurvePoint } from '../../src/study/store.js';
import { CurvePruner, MedianPruner, NopPruner, type PrunerSpec, type PrunerTrial, type StepValue, createPruner, metricCurve } from '../../src/estimate/pruner.js';

const curve = (...values: number[]): StepValue[] => values.map((value, i) => ({ step: i + 1, value }));
const complete = (...values: number[]): PrunerTrial => ({ state: 'COMPLETE', curve: curve(...values) });

/** Five complete trials, steps 1..4; the median at step s is trial C's value: 0.3, 0.4, 0.5, 0.6. */
const FIVE: PrunerTrial[] = [
  complete(0.1, 0.2, 0.3, 0.4),
  complete(0.2, 0.3, 0.4, 0.5),
  complete(0.3, 0.4, 0.5, 0.6),
  complete(0.4, 0.5, 0.6, 0.7),
  complete(0.5, 0.6, 0.7, 0.8),
];

/** The decisions after each step of `values`, reported one at a time. */
function decisions(p: { shouldPrune(h: readonly PrunerTrial[], c: readonly StepValue[]): boolean }, history: PrunerTrial[], values: number[], steps?: number[]): boolean[] {
  const pts = values.map((value, i) => ({ step: steps ? steps[i] : i + 1, value }));
  return pts.map((_, i) => p.shouldPrune(history, pts.slice(0, i + 1)));
}

test('median rule: exact decisions at each step against the median of complete trials', () => {
  const p = new MedianPruner();
  // best so far: 0.35, 0.38, 0.45, 0.9 against medians 0.3, 0.4, 0.5, 0.6.
  assert.deepEqual(decisions(p, FIVE, [0.35, 0.38, 0.45, 0.9]), [false, true, true, false]);
  // The best so far counts, not the latest value: a dip after 0.55 at step 2 is not pruned at step 3.
  assert.deepEqual(decisions(p, FIVE, [0.2, 0.55, 0.45, 0.3]), [true, false, false, true]);
  // Strictly worse: equal to the median continues.
  assert.deepEqual(decisions(p, FIVE, [0.3, 0.4, 0.5, 0.6]), [false, false, false, false]);
  const d = p.decide(FIVE, curve(0.35, 0.38));
  assert.equal(d.prune, true);
  assert.equal(d.step, 2);
  assert.equal(d.best, 0.38);
  assert.equal(d.median, 0.4);
  assert.match(d.reason, /best 0.38 < median 0.4 of 5 trial\(s\) at step 2/);
});

test('median rule: an even number of trials interpolates the median; only COMPLETE trials count', () => {
  const four = FIVE.slice(0, 4); // at step 2: 0.2, 0.3, 0.4, 0.5 → median 0.35
  const others: PrunerTrial[] = [
    { state: 'PRUNED', curve: curve(0.9, 0.9) },
    { state: 'RUNNING', curve: curve(0.9, 0.9) },
    { state: 'FAIL', curve: curve(0.9, 0.9) },
  ];
  const p = new MedianPruner({ startupTrials: 4 });
  assert.equal(p.decide([...four, ...others], curve(0.1, 0.34)).prune, true);
  assert.equal(p.decide([...four, ...others], curve(0.1, 0.35)).prune, false);
  assert.equal(p.decide([...four, ...others], curve(0.1, 0.34)).median, 0.35);
  // The order of the history does not matter (stateless).
  assert.deepEqual(p.decide([...others, ...four].reverse(), curve(0.1, 0.34)), p.decide([...four, ...others], curve(0.1, 0.34)));
});

test('median rule: startup trials and warm-up steps are respected', () => {
  const low = [0.0, 0.0, 0.0, 0.0];
  // Default startup 5: with four complete trials (and pruned ones) nothing is pruned.
  const four = [...FIVE.slice(0, 4), { state: 'PRUNED', curve: curve(0.0) }];
  assert.deepEqual(decisions(new MedianPruner(), four, low), [false, false, false, false]);
  assert.match(new MedianPruner().decide(four, curve(0)).reason, /startup: 4 of 5 trials complete/);
  assert.deepEqual(decisions(new MedianPruner(), FIVE, low), [true, true, true, true]);
  assert.deepEqual(decisions(new MedianPruner({ startupTrials: 0 }), [], low), [false, false, false, false]);
  // Warm-up: no pruning at steps below warmupSteps.
  assert.deepEqual(decisions(new MedianPruner({ warmupSteps: 3 }), FIVE, low), [false, false, true, true]);
  assert.match(new MedianPruner({ warmupSteps: 3 }).decide(FIVE, curve(0, 0)).reason, /warm-up: step 2 < 3/);
  // Steps counted from 0 (as Optuna's examples do): the default warm-up of 1 skips step 0.
  assert.deepEqual(decisions(new MedianPruner({ startupTrials: 0 }), FIVE.map((t) => ({ ...t, curve: t.curve.map((q) => ({ step: q.step - 1, value: q.value })) })), low, [0, 1, 2, 3]), [false, true, true, true]);
});

test('median rule: interval decides at the first step of each window, also when steps are skipped', () => {
  const p = new MedianPruner({ interval: 2 }); // warm-up 1: windows [1,3), [3,5)
  assert.deepEqual(decisions(p, FIVE, [0, 0, 0, 0]), [true, false, true, false]);
  // Steps 1, 2, 4: step 4 is the first report in [3, 5), so it decides.
  const hist = FIVE;
  assert.deepEqual(decisions(p, hist, [0, 0, 0], [1, 2, 4]), [true, false, true]);
  assert.match(p.decide(hist, curve(0, 0)).reason, /interval/);
  const q = new MedianPruner({ interval: 3, warmupSteps: 2 }); // windows [2,5), [5,8)
  assert.deepEqual(decisions(q, FIVE, [0, 0, 0, 0]), [false, true, false, false]);
});

test("median rule: Vizier's running-average reference", () => {
  const p = new MedianPruner({ reference: 'runningAverage', startupTrials: 3 });
  // Running averages at step 3 of the five trials: 0.2, 0.3, 0.4, 0.5, 0.6 → median 0.4.
  assert.equal(p.decide(FIVE, curve(0.1, 0.2, 0.39)).prune, true);
  assert.equal(p.decide(FIVE, curve(0.1, 0.2, 0.41)).prune, false);
  assert.ok(Math.abs(p.decide(FIVE, curve(0.1, 0.2, 0.41)).median! - 0.4) < 1e-12);
  // A trial that did not reach the step is left out: two short ones would drag the median down.
  const withShort = [...FIVE, complete(0.0), complete(0.0)];
  assert.ok(Math.abs(p.decide(withShort, curve(0.1, 0.2, 0.39)).median! - 0.4) < 1e-12);
  // ... while the plain reference has them at step 1 only.
  assert.equal(new MedianPruner().decide(withShort, curve(0.05)).median, 0.2);
});

test('median rule: NaN values and steps no complete trial reached', () => {
  const p = new MedianPruner();
  // All NaN so far: pruned (as Optuna). A NaN after a good value: the best so far still counts.
  assert.deepEqual(decisions(p, FIVE, [Number.NaN, Number.NaN]), [true, true]);
  assert.match(p.decide(FIVE, curve(Number.NaN)).reason, /no finite value/);
  assert.deepEqual(decisions(p, FIVE, [0.35, Number.NaN, 0.45]), [false, true, true]);
  assert.deepEqual(decisions(p, FIVE, [0.9, Number.NaN]), [false, false]);
  // NaN references are skipped; with none left the step is not decided.
  const nanRefs = FIVE.map((t) => ({ ...t, curve: t.curve.map((q) => (q.step === 2 ? { step: 2, value: Number.NaN } : q)) }));
  assert.equal(p.decide(nanRefs, curve(0, 0)).prune, false);
  assert.match(p.decide(nanRefs, curve(0, 0)).reason, /0 complete trial\(s\) at step 2, need 1/);
  // Beyond the longest complete curve: nothing to compare with.
  assert.equal(p.decide(FIVE, curve(0, 0, 0, 0, 0)).prune, false);
  const needTwo = new MedianPruner({ minTrialsAtStep: 6 });
  assert.equal(needTwo.decide(FIVE, curve(0)).prune, false);
  // Empty and odd inputs do not throw.
  assert.equal(p.decide(FIVE, []).prune, false);
  assert.ok(Number.isNaN(p.decide(FIVE, []).step));
  assert.equal(p.decide(FIVE, [{ step: Number.NaN, value: 0.1 }]).prune, false);
  assert.equal(p.decide([{ state: 'COMPLETE', curve: [] }, ...FIVE], curve(0.35)).prune, false);
  // Unsorted current curves are sorted: the last step is the largest.
  assert.equal(p.decide(FIVE, [{ step: 2, value: 0.38 }, { step: 1, value: 0.35 }]).step, 2);
});

test('NopPruner never prunes', () => {
  const p = new NopPruner();
  assert.deepEqual(decisions(p, FIVE, [0, 0, 0, Number.NaN]), [false, false, false, false]);
  assert.equal(p.decide(FIVE, curve(0, 0)).step, 2);
  assert.deepEqual(p.toJSON(), { kind: 'none' });
});

test('pruner configurations round-trip through JSON and bad options are refused', () => {
  const specs: PrunerSpec[] = [
    { kind: 'none' },
    { kind: 'median', startupTrials: 2, warmupSteps: 2, interval: 2, reference: 'runningAverage', minTrialsAtStep: 2 },
    { kind: 'curve', finalStep: 20, threshold: 0.1, bound: 1, minPoints: 5, startupTrials: 1, warmupSteps: 1, interval: 1, extrapolation: { temperature: 2 } },
  ];
  for (const spec of specs) {
    const p = createPruner(JSON.parse(JSON.stringify(spec)));
    assert.equal(p.kind, spec.kind);
    assert.deepEqual(p.toJSON(), spec);
    assert.deepEqual(createPruner(p.toJSON()).toJSON(), spec);
  }
  const m = createPruner({ kind: 'median' });
  assert.deepEqual(m.toJSON(), { kind: 'median', startupTrials: 5, warmupSteps: 1, interval: 1, reference: 'value', minTrialsAtStep: 1 });
  assert.throws(() => new MedianPruner({ startupTrials: -1 }), /startupTrials must be an integer >= 0/);
  assert.throws(() => new MedianPruner({ interval: 0 }), /interval must be an integer >= 1/);
  assert.throws(() => new MedianPruner({ warmupSteps: Number.NaN }), /warmupSteps/);
  assert.throws(() => new MedianPruner({ reference: 'mean' as 'value' }), /reference must be/);
  assert.throws(() => new CurvePruner({} as { finalStep: number }), /finalStep must be a finite number/);
  assert.throws(() => new CurvePruner({ finalStep: 10, threshold: 2 }), /threshold must be in \[0, 1\]/);
  assert.throws(() => new CurvePruner({ finalStep: 10, minPoints: 2 }), /minPoints must be an integer >= 3/);
  assert.throws(() => createPruner({ kind: 'hyperband' } as unknown as PrunerSpec), /unknown pruner kind 'hyperband'/);
});

test('metricCurve reads one metric from store curve rows', () => {
  const rows: CurvePoint[] = [
    { step: 1, metrics: { val_acc: 0.5, loss: 1 } },
    { step: 2, metrics: { loss: 0.9 } },
    { step: 3, metrics: { val_acc: 0.7 } },
  ];
  assert.deepEqual(metricCurve(rows, 'val_acc'), [
    { step: 1, value: 0.5 },
    { step: 3, value: 0.7 },
  ]);
});

/** A saturating accuracy curve c − a·x^−0.8 over steps 1..n. */
function sat(c: number, a: number, n: number, noise = 0, seed = 1): StepValue[] {
  let s = seed;
  const u = (): number => {
    s = (s * 16807) % 2147483647;
    return s / 2147483647 - 0.5;
  };
  return Array.from({ length: n }, (_, i) => ({ step: i + 1, value: c - a * (i + 1) ** -0.8 + noise * u() }));
}

test('curve pruner: prunes a curve levelling off far below the incumbent, keeps a promising one', () => {
  const history: PrunerTrial[] = [{ state: 'COMPLETE', curve: sat(0.9, 0.5, 30), value: 0.9 }];
  const p = new CurvePruner({ finalStep: 30, bound: 1 });
  const hopeless = sat(0.6, 0.3, 8, 0.004);
  const d = p.decide(history, hopeless);
  assert.equal(d.prune, true, d.reason);
  assert.equal(d.incumbent, 0.9);
  assert.ok(d.probability! < 0.05);
  assert.ok(d.prediction!.ok && d.prediction!.mean < 0.7);
  // Rising fast towards 0.95: not pruned.
  const promising = sat(0.95, 0.7, 8, 0.004);
  const e = p.decide(history, promising);
  assert.equal(e.prune, false, e.reason);
  assert.ok(e.probability! > 0.05);
  // The per-step decisions of the hopeless curve: nothing before four points, pruned once sure.
  const steps = decisions(p, history, hopeless.map((q) => q.value));
  assert.deepEqual(steps.slice(0, 3), [false, false, false]);
  assert.equal(steps[steps.length - 1], true);
});

test('curve pruner: incumbent, gating and degenerate curves', () => {
  const p = new CurvePruner({ finalStep: 30, bound: 1 });
  const hopeless = sat(0.6, 0.3, 8, 0.004);
  // No complete trial: no incumbent, no pruning (startup 1).
  assert.equal(p.decide([{ state: 'PRUNED', curve: sat(0.9, 0.5, 30), value: 0.9 }], hopeless).prune, false);
  // A complete trial with no finite value does not count; one without `value` uses its curve's last finite value.
  assert.equal(p.incumbent([{ state: 'COMPLETE', curve: [], value: Number.NaN }]), Number.NaN);
  assert.equal(p.incumbent([{ state: 'COMPLETE', curve: [...curve(0.5, 0.7), { step: 3, value: Number.NaN }] }]), 0.7);
  assert.equal(p.incumbent([{ state: 'COMPLETE', curve: curve(0.5, 0.7), value: 0.8 }, { state: 'COMPLETE', curve: curve(0.75), value: null }]), 0.8);
  const history: PrunerTrial[] = [{ state: 'COMPLETE', curve: sat(0.9, 0.5, 30), value: 0.9 }];
  assert.match(p.decide(history, curve(0.1, 0.1, 0.1)).reason, /3 finite point\(s\), need 4/);
  // At (or past) the final step there is nothing left to save.
  assert.equal(p.decide(history, sat(0.6, 0.3, 30)).prune, false);
  assert.match(p.decide(history, sat(0.6, 0.3, 30)).reason, /final step/);
  // NaN-only and NaN-riddled curves: no throw; too few finite points → continue.
  assert.equal(p.decide(history, curve(Number.NaN, Number.NaN, Number.NaN, Number.NaN, Number.NaN)).prune, false);
  const riddled = hopeless.map((q, i) => (i % 2 ? { step: q.step, value: Number.NaN } : q));
  const dr = p.decide(history, riddled);
  assert.equal(dr.step, 8);
  assert.equal(dr.prediction?.points, 4);
  assert.equal(dr.prune, true, dr.reason);
  // A constant curve at 0.5 against 0.9: hopeless.
  assert.equal(p.decide(history, curve(0.5, 0.5, 0.5, 0.5, 0.5)).prune, true);
  // A constant curve at the incumbent's level: kept.
  assert.equal(p.decide(history, curve(0.9, 0.9, 0.9, 0.9, 0.9)).prune, false);
  // The threshold: 0 never prunes, 1 prunes all but certain winners.
  assert.equal(new CurvePruner({ finalStep: 30, bound: 1, threshold: 0 }).decide(history, hopeless).prune, false);
  assert.equal(new CurvePruner({ finalStep: 30, bound: 1, threshold: 1 }).decide(history, sat(0.95, 0.7, 8)).prune, true);
  // Warm-up and interval gate it as they gate the median rule.
  assert.equal(new CurvePruner({ finalStep: 30, bound: 1, warmupSteps: 10 }).decide(history, hopeless).prune, false);
});
