import assert from 'node:assert/strict';
import { test } from 'node:test';
import { memory } from '../../src/engine/index.js';
import type { Architecture } from '../../src/space/architecture.js';
import { categorical } from '../../src/space/decisions.js';
import { DecisionSpace } from '../../src/space/space.js';
import { predictorEncoding, trainAndPredict } from '../../src/strategy/bananas.js';
import { rankByValue } from '../../src/strategy/common.js';
import { createStrategy, restoreStrategy } from '../../src/strategy/registry.js';
import { type Ask, StrategyError } from '../../src/strategy/strategy.js';
import { Rng } from '../../src/util/rng.js';
import { best, checkDeterminism, checkResume, meanBest, nb201, nb201Objective, run } from './helpers.js';

const f = (a: Ask) => nb201Objective(a.arch);
/** Quick settings for tests that check bookkeeping rather than search quality. */
const QUICK = { nInit: 5, steps: 15 };
const differsInOne = (a: Architecture, b: Architecture) => Object.keys(a.values).filter((k) => a.values[k] !== b.values[k]).length === 1;

/** Pearson correlation. */
function corr(x: readonly number[], y: readonly number[]): number {
  const mx = x.reduce((a, b) => a + b, 0) / x.length;
  const my = y.reduce((a, b) => a + b, 0) / y.length;
  let sxy = 0;
  let sxx = 0;
  let syy = 0;
  for (let i = 0; i < x.length; i++) {
    sxy += (x[i] - mx) * (y[i] - my);
    sxx += (x[i] - mx) ** 2;
    syy += (y[i] - my) ** 2;
  }
  return sxy / Math.sqrt(sxx * syy);
}

/** A space with only the one-hot encoding. */
class FlatSpace extends DecisionSpace {
  readonly name = 'flat';
  readonly description = 'test space';
  constructor() {
    super(['a', 'b', 'c', 'd'].map((n) => categorical(n, [0, 1, 2, 3])));
  }
}

test('bananas: beats random search on the synthetic NB201 objective (batches of 5, as the paper asks batches)', () => {
  let sum = 0;
  const seeds = 4;
  for (let seed = 0; seed < seeds; seed++) sum += best(run(createStrategy('bananas', nb201, seed), 60, f, 5).values);
  const bo = sum / seeds;
  const rnd = meanBest('random', {}, 60, seeds);
  assert.ok(bo > rnd + 1, `bananas ${bo.toFixed(2)} vs random ${rnd.toFixed(2)}`);
});

test('bananas: the predictor ensemble learns the objective from path encodings', () => {
  const train = nb201.sampleMany(150, 1);
  const held = nb201.sampleMany(100, 2);
  const y = train.map(nb201Objective);
  const mu = y.reduce((a, b) => a + b, 0) / y.length;
  const sd = Math.sqrt(y.reduce((a, b) => a + (b - mu) ** 2, 0) / y.length);
  const cfg = { members: 5, layers: 3, width: 20, steps: 50, lr: 0.01 };
  const enc = (a: Architecture) => nb201.encode(a, 'path');
  const p = trainAndPredict(
    train.map(enc),
    y.map((v) => (v - mu) / sd),
    held.map(enc),
    cfg,
    new Rng(3),
  );
  const r = corr(p.mean, held.map(nb201Objective));
  assert.ok(r > 0.7, `correlation with the true objective on held-out cells: ${r.toFixed(3)}`);
  assert.ok(p.std.every((s) => s > 0) && p.std.every(Number.isFinite), 'members disagree a little');
  // Deterministic given the generator.
  const q = trainAndPredict(train.map(enc), y.map((v) => (v - mu) / sd), held.map(enc), cfg, new Rng(3));
  assert.deepEqual(q, p);
});

test('bananas: nInit random asks, then unseen one-step mutations of the best architectures', () => {
  const s = createStrategy('bananas', nb201, 11, QUICK);
  const first = s.ask(8);
  assert.equal(first.length, 8, 'with no results every ask is random');
  const told: { arch: Architecture; value: number }[] = [];
  for (const a of first) {
    s.tell(a.id, { value: f(a) });
    told.push({ arch: a.arch, value: f(a) });
  }
  const keys = new Set(first.map((a) => a.arch.key));
  for (let round = 0; round < 6; round++) {
    const top = rankByValue(told).slice(0, 10);
    const batch = s.ask(4);
    assert.equal(batch.length, 4);
    for (const a of batch) {
      assert.ok(!keys.has(a.arch.key), 'never asks an architecture twice');
      keys.add(a.arch.key);
      assert.ok(
        top.some((t) => differsInOne(t.arch, a.arch)),
        'a candidate is one mutation from one of the 10 best',
      );
    }
    for (const a of batch) {
      s.tell(a.id, { value: f(a) });
      told.push({ arch: a.arch, value: f(a) });
    }
  }
});

test('bananas: same seed, same asks; another seed, other asks (ITS and UCB)', () => {
  checkDeterminism('bananas', nb201, QUICK, f, 14);
  checkDeterminism('bananas', nb201, { ...QUICK, acquisition: 'ucb' }, f, 14);
  // The two acquisitions choose differently.
  const its = run(createStrategy('bananas', nb201, 1, QUICK), 14, f).asks.map((a) => a.arch.key);
  const ucb = run(createStrategy('bananas', nb201, 1, { ...QUICK, acquisition: 'ucb' }), 14, f).asks.map((a) => a.arch.key);
  assert.deepEqual(ucb.slice(0, 5), its.slice(0, 5), 'the random start is the same');
  assert.notDeepEqual(ucb, its);
});

test('bananas: state -> JSON -> restore continues exactly', () => {
  checkResume('bananas', nb201, QUICK, f, 9, 9);
  // Saved during the random start, with asks pending.
  checkResume('bananas', nb201, { ...QUICK, nInit: 10 }, f, 4, 12, 3);
});

test('bananas: failures (NaN) are the worst value and never parents; an all-failing objective still gets asks', () => {
  // The two best ops on edge 1<-0 fail: 40% of random cells, and tempting ones.
  const fails = (a: { arch: Architecture }) => String(a.arch.values['1<-0']).startsWith('nor_conv');
  const s = createStrategy('bananas', nb201, 4, QUICK);
  const told: { arch: Architecture; value: number }[] = [];
  for (let i = 0; i < 40; i++) {
    const ok = told.filter((t) => !Number.isNaN(t.value));
    const [a] = s.ask(1);
    if (i >= QUICK.nInit && ok.length >= 2) {
      const parents = rankByValue(ok).slice(0, 10);
      assert.ok(parents.some((p) => differsInOne(p.arch, a.arch)), 'mutated from a successful architecture');
    }
    const v = fails(a) ? Number.NaN : f(a);
    s.tell(a.id, { value: v });
    told.push({ arch: a.arch, value: v });
  }
  assert.ok(told.some((t) => Number.isNaN(t.value)));
  const t = createStrategy('bananas', nb201, 5, QUICK);
  const r = run(t, 12, () => Number.NaN);
  assert.equal(r.asks.length, 12);
  assert.equal(new Set(r.asks.map((a) => a.arch.key)).size, 12);
});

test('bananas: encodings: path where the space has one, else one-hot; bad options are StrategyErrors', () => {
  assert.equal(predictorEncoding(nb201), 'path');
  const flat = new FlatSpace();
  assert.equal(predictorEncoding(flat), 'onehot');
  const s = createStrategy('bananas', flat, 0, QUICK);
  const { values } = run(s, 12, (a) => (a.arch.values.a as number) + (a.arch.values.b as number));
  assert.equal(values.length, 12);
  assert.throws(() => createStrategy('bananas', flat, 0, { encoding: 'path' }), StrategyError);
  for (const o of [{ acquisition: 'ei' }, { ensemble: 0 }, { steps: -1 }, { lr: 'fast' }, { nInit: 1.5 }, { encoding: 'graph' }, { nope: true }]) {
    assert.throws(() => createStrategy('bananas', nb201, 0, o), StrategyError, JSON.stringify(o));
  }
  const saved = JSON.parse(JSON.stringify(createStrategy('bananas', nb201, 0).state()));
  saved.data = { nonsense: 1 };
  assert.throws(() => restoreStrategy(nb201, saved), StrategyError);
});

test('bananas: a space smaller than the budget is exhausted, then repeats are asked rather than nothing', () => {
  class Tiny extends DecisionSpace {
    readonly name = 'tiny';
    readonly description = 'test space';
    constructor() {
      super([categorical('x', [0, 1, 2]), categorical('y', [0, 1])]);
    }
  }
  const s = createStrategy('bananas', new Tiny(), 0, { ...QUICK, nInit: 2 });
  const { asks } = run(s, 10, (a) => (a.arch.values.x as number) - (a.arch.values.y as number), 2);
  assert.equal(asks.length, 10);
  assert.equal(new Set(asks.slice(0, 6).map((a) => a.arch.key)).size, 6, 'all six architectures first');
});

test('bananas: no tensors outlive training, prediction, saves and restores', () => {
  const before = memory().liveTensors;
  const s = createStrategy('bananas', nb201, 6, QUICK);
  run(s, 9, f, 2);
  const t = restoreStrategy(nb201, JSON.parse(JSON.stringify(s.state())));
  run(t, 4, f, 2);
  assert.equal(memory().liveTensors, before);
});
