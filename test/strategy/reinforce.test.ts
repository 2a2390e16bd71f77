import assert from 'node:assert/strict';
import { test } from 'node:test';
import { memory } from '../../src/engine/index.js';
import { categorical, float, inputChoice, integer, logFloat } from '../../src/space/decisions.js';
import { DecisionSpace } from '../../src/space/space.js';
import { Reinforce } from '../../src/strategy/reinforce.js';
import { createStrategy, restoreStrategy } from '../../src/strategy/registry.js';
import { StrategyError } from '../../src/strategy/strategy.js';
import type { Ask } from '../../src/strategy/strategy.js';
import { best, checkDeterminism, checkResume, meanBest, nb201, nb201Objective, run } from './helpers.js';

const f = (a: Ask) => nb201Objective(a.arch);
const mean = (xs: readonly number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;

/** A small space with every decision kind: floats, a log float, an integer, and an input choice too large for one softmax. */
class MixedSpace extends DecisionSpace {
  readonly name = 'mixed';
  readonly description = 'test space';
  constructor() {
    super(
      [
        categorical('op', ['a', 'b', 'c']),
        integer('width', 8, 64, 8),
        float('drop', 0, 0.5),
        logFloat('lr', 1e-4, 1e-1),
        // 2^8 - 1 = 255 subsets: above MAX_SUBSETS, so a Bernoulli step per candidate.
        inputChoice('reads', [0, 1, 2, 3, 4, 5, 6, 7], { min: 1, max: 8 }),
        inputChoice('pair', [0, 1, 2, 3], { min: 2, max: 2 }),
      ],
      [{ name: 'narrow op c', check: (v) => v.op !== 'c' || (v.width as number) <= 32 || 'op c needs width <= 32' }],
    );
  }
}

test('reinforce: beats random search on the synthetic NB201 objective (default options)', () => {
  const rl = meanBest('reinforce', {}, 150, 6);
  const rnd = meanBest('random', {}, 150, 6);
  assert.ok(rl > rnd + 1, `reinforce ${rl.toFixed(2)} vs random ${rnd.toFixed(2)}`);
});

test('reinforce: the policy improves: later asks score higher than the first ones', () => {
  const { values } = run(createStrategy('reinforce', nb201, 5), 200, f);
  const early = mean(values.slice(0, 50));
  const late = mean(values.slice(-50));
  assert.ok(late > early + 2, `first 50 asks average ${early.toFixed(2)}, last 50 ${late.toFixed(2)}`);
});

test('reinforce: same seed, same asks; another seed, other asks', () => {
  checkDeterminism('reinforce', nb201, {}, f, 30);
  checkDeterminism('reinforce', nb201, { batch: 4 }, f, 30);
});

test('reinforce: state -> JSON -> restore continues exactly (weights, Adam state, baseline, unused results, pending asks)', () => {
  checkResume('reinforce', nb201, {}, f, 25, 25);
  // batch 4: results waiting for the next update are part of the state.
  checkResume('reinforce', nb201, { batch: 4, lr: 0.01 }, f, 22, 25, 3);
  const s = createStrategy('reinforce', nb201, 1);
  run(s, 12, f);
  const st = s.state();
  const own = (st.data as { own: { weights: number[][]; adam: { steps: number[] }; baseline: number; updates: number } }).own;
  assert.equal(own.updates, 12);
  assert.ok(own.adam.steps.every((n) => n === 12), 'Adam has taken one step per result');
  assert.equal(typeof own.baseline, 'number');
  assert.ok(own.weights.every((w) => w.every(Number.isFinite)));
});

test('reinforce: failures (NaN) count as the worst reward; the policy learns to avoid them', () => {
  // Every architecture with a 3x3 conv on edge 1<-0 (the best op on that edge) fails.
  const fails = (a: Ask) => a.arch.values['1<-0'] === 'nor_conv_3x3';
  const g = (a: Ask) => (fails(a) ? Number.NaN : f(a));
  const { asks, values } = run(createStrategy('reinforce', nb201, 2, { lr: 0.005 }), 200, g);
  assert.ok(values.some(Number.isNaN));
  const early = asks.slice(0, 60).filter(fails).length;
  const late = asks.slice(-60).filter(fails).length;
  assert.ok(late < early, `failing asks: ${early} of the first 60, ${late} of the last 60`);
  assert.ok(Number.isFinite(best(values)));
  // Failures before any success, and nothing but failures: it keeps asking valid architectures.
  const s = createStrategy('reinforce', nb201, 3, { batch: 2 });
  const r = run(s, 20, () => Number.NaN);
  assert.equal(r.asks.length, 20);
  assert.equal((s.state().data as { own: { updates: number } }).own.updates, 0);
});

test('reinforce: bad options and foreign states are StrategyErrors', () => {
  for (const o of [{ lr: -1 }, { batch: 0 }, { hidden: 2.5 }, { entropyWeight: 'x' }, { baselineDecay: 1.5 }, { floatBins: 1 }, { nope: 1 }]) {
    assert.throws(() => createStrategy('reinforce', nb201, 0, o), StrategyError, JSON.stringify(o));
  }
  const s = createStrategy('reinforce', nb201, 0);
  run(s, 3, f);
  const st = JSON.parse(JSON.stringify(s.state()));
  st.data.own.weights.pop();
  assert.throws(() => restoreStrategy(nb201, st), StrategyError);
  const other = JSON.parse(JSON.stringify(s.state()));
  other.options.hidden = 32;
  assert.throws(() => restoreStrategy(nb201, other), /does not fit/);
});

test('reinforce: every decision kind (floats discretised, Bernoulli inputs, subset softmax) and constraints', () => {
  const space = new MixedSpace();
  const s = createStrategy('reinforce', space, 9, { floatBins: 5, lr: 0.01 }) as Reinforce;
  const { asks } = run(s, 60, (a) => (a.arch.values.width as number) / 8 + (a.arch.values.reads as number[]).length);
  const drops = new Set<number>();
  for (const a of asks) {
    const v = a.arch.values;
    assert.ok(v.op !== 'c' || (v.width as number) <= 32, 'constraint held');
    assert.ok((v.reads as number[]).length >= 1);
    assert.equal((v.pair as number[]).length, 2);
    drops.add(v.drop as number);
    assert.ok((v.lr as number) >= 1e-4 && (v.lr as number) <= 1e-1);
    assert.doesNotThrow(() => space.arch(v as Record<string, unknown>));
  }
  // Five bins: centres 0.05, 0.15, ..., 0.45.
  for (const d of drops) assert.ok([0.05, 0.15, 0.25, 0.35, 0.45].some((c) => Math.abs(c - d) < 1e-12), `drop ${d}`);
  // The state round trip works here too.
  const t = restoreStrategy(space, JSON.parse(JSON.stringify(s.state())));
  assert.deepEqual(
    t.ask(3).map((a) => a.arch.key),
    s.ask(3).map((a) => a.arch.key),
  );
});

test('reinforce: no tensors outlive asks, tells, updates, saves and restores', () => {
  const before = memory().liveTensors;
  const s = createStrategy('reinforce', nb201, 4, { batch: 2 });
  run(s, 15, f);
  const t = restoreStrategy(nb201, JSON.parse(JSON.stringify(s.state())));
  run(t, 5, f, 3);
  assert.equal(memory().liveTensors, before);
});
