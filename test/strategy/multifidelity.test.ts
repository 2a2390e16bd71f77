import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Architecture } from '../../src/space/architecture.js';
import { DecisionSpace, NB201_OPS, categorical, inputChoice, integer, logFloat } from '../../src/space/index.js';
import type { Bohb } from '../../src/strategy/bohb.js';
import type { BracketStrategy } from '../../src/strategy/bracket.js';
import { KdeModel } from '../../src/strategy/kde.js';
import { createStrategy, describeStrategies } from '../../src/strategy/registry.js';
import { type Ask, StrategyError } from '../../src/strategy/strategy.js';
import { Rng } from '../../src/util/rng.js';
import { checkDeterminism, checkResume, keyNoise, nb201, nb201Objective } from './helpers.js';

const R = 27;
/**
 * A three-plus-fidelity synthetic objective: the full-fidelity value is the NB201 objective; lower
 * fidelities add noise that shrinks with the budget (rank correlation well below 1 at fidelity 1).
 */
const mf = (a: { arch: Architecture; fidelity?: number }): number => {
  const b = a.fidelity ?? R;
  return nb201Objective(a.arch) + (1 - Math.sqrt(b / R)) * 4 * keyNoise(a.arch.key, b);
};
const MF = ['sh', 'hyperband', 'bohb'];

/** Runs until `budget` cost (fidelity) is spent; the incumbent is the best value seen at full fidelity. */
function runCost(name: string, seed: number, budget: number, f: (a: Ask) => number = mf, options: Record<string, unknown> = {}): { incumbent: number; asks: Ask[]; values: number[] } {
  const s = createStrategy(name, nb201, seed, options);
  let cost = 0;
  let incumbent = Number.NEGATIVE_INFINITY;
  const asks: Ask[] = [];
  const values: number[] = [];
  while (cost < budget) {
    const got = s.ask(4);
    assert.ok(got.length > 0, `${name} asked nothing with no results pending`);
    for (const a of got) {
      const v = f(a);
      const b = a.fidelity ?? R;
      cost += b;
      if (b === R && !Number.isNaN(v)) incumbent = Math.max(incumbent, v);
      s.tell(a.id, { value: v, cost: b });
      asks.push(a);
      values.push(v);
    }
  }
  return { incumbent, asks, values };
}

/** Consecutive asks grouped as [fidelity, count]. */
function rungs(asks: readonly Ask[]): [number, number][] {
  const out: [number, number][] = [];
  for (const a of asks) {
    const last = out[out.length - 1];
    if (last && last[0] === a.fidelity) last[1]++;
    else out.push([a.fidelity as number, 1]);
  }
  return out;
}

test('multi-fidelity: listed as such, with their options', () => {
  for (const name of MF) {
    const d = describeStrategies().find((x) => x.name === name);
    assert.equal(d?.multiFidelity, true, name);
    assert.deepEqual(
      ['minFidelity', 'maxFidelity', 'eta'].map((o) => d?.options.find((x) => x.name === o)?.default),
      [1, 27, 3],
    );
  }
});

test('sh: rungs of 27 @1, 9 @3, 3 @9, 1 @27; the best are promoted as new trials of the same architectures', () => {
  const s = createStrategy('sh', nb201, 0);
  const r0 = s.ask(100);
  assert.equal(r0.length, 27, 'a rung waits for its results');
  assert.ok(r0.every((a) => a.fidelity === 1));
  assert.deepEqual(s.ask(5), []);
  let prev = r0;
  for (const [fid, size] of [
    [3, 9],
    [9, 3],
    [27, 1],
  ]) {
    for (const a of prev) s.tell(a.id, { value: mf(a) });
    const next = s.ask(100);
    assert.deepEqual(rungs(next), [[fid, size]]);
    const top = [...prev].sort((x, y) => mf(y) - mf(x)).slice(0, size);
    assert.deepEqual(next.map((a) => a.arch.key).sort(), top.map((a) => a.arch.key).sort(), 'the best 1/eta go up');
    assert.ok(next.every((a) => a.id > prev[prev.length - 1].id), 'promotions are new trials');
    prev = next;
  }
  s.tell(prev[0].id, { value: 1 });
  assert.deepEqual(rungs(s.ask(100)), [[1, 27]], 'then a new bracket');
  assert.equal((s as BracketStrategy).bracketCount, 2);
});

test('hyperband: brackets from s_max down to 0 with the sizes of Li et al. (R = 81, eta = 3)', () => {
  const s = createStrategy('hyperband', nb201, 1, { minFidelity: 1, maxFidelity: 81, eta: 3 });
  // Each ask returns one whole rung (the next waits for its results).
  const calls: [number, number][] = [];
  while ((s as BracketStrategy).bracketCount < 6) {
    const got = s.ask(1000);
    for (const a of got) s.tell(a.id, { value: nb201Objective(a.arch) });
    calls.push(...rungs(got));
  }
  assert.deepEqual(calls.slice(0, 15), [
    [1, 81], [3, 27], [9, 9], [27, 3], [81, 1], // s = 4
    [3, 34], [9, 11], [27, 3], [81, 1], // s = 3
    [9, 15], [27, 5], [81, 1], // s = 2
    [27, 8], [81, 2], // s = 1
    [81, 5], // s = 0: random search at full fidelity
  ]);
  assert.deepEqual(calls[15], [1, 81], 'and round again');
});

test('multi-fidelity: two fidelities (a 12- and a 200-epoch column) are asked exactly', () => {
  const s = createStrategy('bohb', nb201, 0, { minFidelity: 12, maxFidelity: 200, eta: 200 / 12 });
  const seen = new Set<number>();
  for (let i = 0; i < 200; i++) {
    const got = s.ask(8);
    for (const a of got) {
      seen.add(a.fidelity as number);
      s.tell(a.id, { value: mf({ arch: a.arch, fidelity: (a.fidelity as number) / 8 }) });
    }
  }
  assert.deepEqual([...seen].sort((a, b) => a - b), [12, 200]);
});

test('multi-fidelity: the same or a better incumbent than full-fidelity random search at lower cost', () => {
  const seeds = 8;
  const C = 40 * R;
  const mean = (name: string, budget: number) => {
    let m = 0;
    for (let seed = 0; seed < seeds; seed++) m += runCost(name, seed, budget).incumbent;
    return m / seeds;
  };
  const rnd = mean('random', C);
  for (const [name, frac] of [
    ['sh', 0.6],
    ['hyperband', 0.75],
    ['bohb', 0.6],
  ] as const) {
    const got = mean(name, frac * C);
    assert.ok(got >= rnd, `${name} at ${frac} of the cost: ${got.toFixed(2)} vs random at full cost ${rnd.toFixed(2)}`);
  }
});

test('bohb: new configurations come from the model on the largest fidelity with enough results', () => {
  const s = createStrategy('bohb', nb201, 2, { randomFraction: 0 }) as Bohb;
  assert.equal(s.modelFidelity(), undefined);
  const first = s.ask(100);
  for (const a of first) s.tell(a.id, { value: mf(a) });
  assert.equal(s.modelFidelity(), 1, '27 results at fidelity 1 (>= 6 decisions + 3)');
  // With the model, a better incumbent than with random configurations in the same brackets
  // (TPE's estimators; the paper's KDE is checked on its own below and in the cost test above).
  let model = 0;
  let random = 0;
  for (let seed = 0; seed < 6; seed++) {
    model += runCost('bohb', seed, 20 * R, mf, { model: 'tpe', randomFraction: 0 }).incumbent;
    random += runCost('bohb', seed, 20 * R, mf, { model: 'tpe', randomFraction: 1 }).incumbent;
  }
  assert.ok(model > random + 6, `model ${(model / 6).toFixed(2)} vs random configurations ${(random / 6).toFixed(2)}`);
});

/** A small space with a categorical, an integer and a log-float decision. */
class NumericSpace extends DecisionSpace {
  readonly name = 'numeric';
  readonly description = 'KDE test space';
  constructor() {
    super([categorical('op', ['a', 'b', 'c', 'd']), integer('width', 8, 128, 8), logFloat('lr', 1e-5, 1)]);
  }
}

test("bohb's KDE: tight bandwidths where the good set agrees, proposals where l/g is high", () => {
  const rng = new Rng(0);
  // Good NB201 cells: 3x3 convs on five edges, anything on 3<-2.
  const fixed = ['1<-0', '2<-0', '2<-1', '3<-0', '3<-1'];
  const good = NB201_OPS.map((op) => nb201.arch({ ...Object.fromEntries(fixed.map((e) => [e, 'nor_conv_3x3'])), '3<-2': op }));
  const bad = nb201.sampleMany(20, 1);
  const m = new KdeModel(nb201, [...good, ...good], bad, 3);
  const names = nb201.decisions.map((d) => d.name);
  names.forEach((n, j) => {
    if (fixed.includes(n)) assert.equal(m.bandwidths[j], 1e-3);
    else assert.ok(m.bandwidths[j] > 0.5 && m.bandwidths[j] <= 0.8, `${n}: ${m.bandwidths[j]}`);
  });
  const props = Array.from({ length: 30 }, () => m.proposeArch(rng, 64, 5) as Architecture);
  const hits = props.flatMap((a) => fixed.map((e) => a.values[e] === 'nor_conv_3x3')).filter(Boolean).length;
  assert.ok(hits >= 0.95 * 30 * fixed.length, `${hits} of ${30 * fixed.length}`);
  // Continuous and integer dimensions: proposals near the good points, on the grid, in range.
  const sp = new NumericSpace();
  const goodN = [88, 96, 96, 104, 96].map((w, i) => sp.arch({ op: 'a', width: w, lr: 10 ** (-2 + 0.1 * (i - 2)) }));
  const badN = [8, 16, 24, 120, 128, 32, 40].map((w, i) => sp.arch({ op: 'bcdb'[i % 4], width: w, lr: [1e-5, 1e-4, 0.5][i % 3] }));
  const mn = new KdeModel(sp, goodN, badN, 3);
  const pn = Array.from({ length: 40 }, () => mn.proposeArch(rng, 64, 5) as Architecture);
  assert.ok(pn.every((a) => (a.values.width as number) % 8 === 0 && (a.values.lr as number) >= 1e-5 && (a.values.lr as number) <= 1));
  const near = pn.filter((a) => Math.abs((a.values.width as number) - 96) <= 24 && Math.abs(Math.log10(a.values.lr as number) + 2) < 1).length;
  assert.ok(near >= 32, `${near} of 40 proposals near the good points`);
  assert.ok(pn.filter((a) => a.values.op === 'a').length >= 32);
  // Input decisions: a small one as one categorical over its subsets, a large one per candidate.
  const inputs = new InputSpace();
  const evens = [0, 2, 4, 6, 8, 10];
  const goodI = [0, 1, 2, 3, 4, 5].map((i) => inputs.arch({ in: [1, 2], wide: evens.filter((_, j) => j !== i) }));
  const mi = new KdeModel(inputs, goodI, inputs.sampleMany(20, 2), 3);
  const pi = Array.from({ length: 30 }, () => mi.proposeArch(rng, 64, 5) as Architecture);
  assert.ok(pi.filter((a) => (a.values.in as number[]).join() === '1,2').length >= 25);
  const odd = pi.reduce((n, a) => n + (a.values.wide as number[]).filter((x) => x % 2).length, 0);
  assert.ok(odd <= 30, `${odd} odd members in 30 proposals`);
});

/** An input decision with 14 subsets and one with 4096. */
class InputSpace extends DecisionSpace {
  readonly name = 'inputs';
  readonly description = 'KDE test space with input decisions';
  constructor() {
    super([inputChoice('in', [0, 1, 2, 3], { min: 1, max: 3 }), inputChoice('wide', [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11], { min: 0, max: 12 })]);
  }
}

test('multi-fidelity: failures are never promoted nor incumbents', () => {
  // Every architecture with a 3x3 conv on edge 1<-0 fails, at every fidelity.
  const f = (a: Ask) => (a.arch.values['1<-0'] === 'nor_conv_3x3' ? Number.NaN : mf(a));
  for (const name of MF) {
    const { asks, values } = runCost(name, 3, 20 * R, f);
    assert.ok(values.some(Number.isNaN), name);
    // A failing architecture is never asked again (which would be a promotion).
    const failed = asks.filter((_, i) => Number.isNaN(values[i])).map((a) => a.arch.key);
    assert.equal(new Set(failed).size, failed.length, `${name} promoted a failure`);
    // A rung whose every result failed ends the bracket instead of stalling.
    const s = createStrategy(name, nb201, 4);
    for (let i = 0; i < 5; i++) for (const a of s.ask(100)) s.tell(a.id, { value: Number.NaN });
    assert.ok(s.ask(1).length === 1);
  }
});

test('multi-fidelity: deterministic, resume exactly (mid-rung), bad options are clear', () => {
  for (const name of MF) {
    checkDeterminism(name, nb201, {}, mf, 80);
    checkResume(name, nb201, {}, mf, 40, 80, 3);
    checkResume(name, nb201, { minFidelity: 2, maxFidelity: 50, eta: 2 }, mf, 70, 80, 1);
    const isErr = (re: RegExp) => (e: unknown) => e instanceof StrategyError && re.test(e.message);
    assert.throws(() => createStrategy(name, nb201, 0, { minFidelity: 10, maxFidelity: 10 }), isErr(/'maxFidelity' \(10\) must be larger than 'minFidelity' \(10\)/));
    assert.throws(() => createStrategy(name, nb201, 0, { minFidelity: 10, maxFidelity: 20 }), isErr(/must be at least eta \(3\)/));
    assert.throws(() => createStrategy(name, nb201, 0, { eta: 1 }), isErr(/'eta' must be at least 1.01/));
    assert.throws(() => createStrategy(name, nb201, 0, { minFidelity: 0 }), isErr(/'minFidelity' must be at least/));
  }
  assert.throws(() => createStrategy('bohb', nb201, 0, { randomFraction: 1.5 }), /'randomFraction' must be at most 1/);
  assert.throws(() => createStrategy('bohb', nb201, 0, { model: 'gp' }), /'model' must be one of kde, tpe/);
  checkResume('bohb', nb201, { model: 'tpe' }, mf, 60, 60, 2);
});
