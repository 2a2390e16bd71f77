import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { TabularEstimator } from '../../src/bench/estimator.js';
import { aggregate, HarnessError, type RunTrace, runBenchmark, runStrategy, stat, withTableFidelities } from '../../src/bench/harness.js';
import { BenchmarkTable } from '../../src/bench/table.js';
import { getSpace } from '../../src/space/registry.js';
import type { SearchSpace } from '../../src/space/space.js';
import { createStrategy, strategyNames } from '../../src/strategy/registry.js';
import type { Ask, OptionSpec, Strategy, StrategyState, TellResult } from '../../src/strategy/strategy.js';
import { writeNb201Csv } from './synthetic.js';

const nb201 = getSpace('nb201');
const tmp = mkdtempSync(join(tmpdir(), 'loom-harness-'));
after(() => rmSync(tmp, { recursive: true, force: true }));

const CELLS = [
  '|nor_conv_3x3~0|+|nor_conv_3x3~0|nor_conv_3x3~1|+|skip_connect~0|nor_conv_3x3~1|nor_conv_1x1~2|',
  '|nor_conv_1x1~0|+|none~0|skip_connect~1|+|avg_pool_3x3~0|nor_conv_3x3~1|none~2|',
  '|avg_pool_3x3~0|+|none~0|skip_connect~1|+|avg_pool_3x3~0|nor_conv_3x3~1|none~2|',
  '|none~0|+|none~0|none~1|+|none~0|none~1|none~2|',
  '|skip_connect~0|+|none~0|none~1|+|none~0|none~1|skip_connect~2|',
];
// Cell i: val@4, val@12, test@12. Cell 1 is best at low fidelity, cell 2 at full fidelity; cell 3 failed.
const ROWS = [
  [60, 80, 79],
  [90, 70, 71],
  [50, 85, 84],
  [Number.NaN, Number.NaN, 10],
  [40, 75, 88],
];
const small = BenchmarkTable.parse(['arch,val@4,val@12,test@12', ...CELLS.map((c, i) => `${c},${ROWS[i].map((v) => (Number.isNaN(v) ? 'nan' : v)).join(',')}`)].join('\n'), nb201, 'small.csv');

/** A strategy that asks a fixed script of (cell, fidelity) pairs, for testing the harness alone. */
class Scripted implements Strategy {
  readonly name = 'scripted';
  readonly space: SearchSpace = nb201;
  next = 0;
  told: [number, TellResult][] = [];
  asked: number[] = [];
  pending = new Set<number>();
  constructor(
    readonly script: [number, number | undefined][],
    readonly o: { finishAtEnd?: boolean; extra?: number } = {},
  ) {}
  ask(n = 1): Ask[] {
    this.asked.push(n);
    const out: Ask[] = [];
    while (out.length < n + (this.o.extra ?? 0) && this.next < this.script.length) {
      const [cell, fidelity] = this.script[this.next];
      const arch = nb201.parse(CELLS[cell]);
      out.push(fidelity === undefined ? { id: this.next, arch } : { id: this.next, arch, fidelity });
      this.pending.add(this.next++);
    }
    return out;
  }
  tell(id: number, r: TellResult): void {
    assert.ok(this.pending.delete(id), `id ${id} told once, after being asked`);
    this.told.push([id, r]);
  }
  finished(): boolean {
    return !!this.o.finishAtEnd && this.next >= this.script.length;
  }
  state(): StrategyState {
    return { strategy: this.name, space: 'nb201', seed: 0, options: {}, data: this.next };
  }
}

const nan = Number.NaN;

test('the incumbent is the best full-fidelity objective; the report column follows it', () => {
  const e = new TabularEstimator(small, { objective: 'val@12' });
  const s = new Scripted([
    [1, 4], // 90 at low fidelity: never the incumbent
    [3, undefined], // failed
    [0, undefined], // 80: incumbent (test 79)
    [4, 12], // 75: worse
    [1, 12], // 70: worse
    [2, 3], // low fidelity (val@4 = 50)
    [2, undefined], // 85: incumbent (test 84)
    [0, 12], // 80: worse
  ]);
  const t = runStrategy(s, e, 7, { queries: 8, report: 'test@12' });
  assert.equal(t.seed, 7);
  assert.equal(t.queries, 8);
  assert.equal(t.finishedEarly, false);
  assert.deepEqual(t.report, [nan, nan, 79, 79, 79, 79, 84, 84]);
  assert.deepEqual(t.objective, [nan, nan, 80, 80, 80, 80, 85, 85]);
  assert.deepEqual(t.cost, [4, 16, 28, 40, 52, 56, 68, 80]);
  assert.deepEqual(t.incumbent, { arch: CELLS[2], objective: 85, report: 84, query: 7 });
  // The strategy was told the values at the fidelity it asked for, with their cost.
  assert.deepEqual(
    s.told.map(([id, r]) => [id, r.value, r.cost]),
    [
      [0, 90, 4],
      [1, nan, 12],
      [2, 80, 12],
      [3, 75, 12],
      [4, 70, 12],
      [5, 50, 4],
      [6, 85, 12],
      [7, 80, 12],
    ],
  );
});

test('minimise: the lowest objective is the incumbent; strategies see it negated', () => {
  const e = new TabularEstimator(small, { objective: 'val@12', minimize: true });
  const s = new Scripted([[0, undefined], [2, undefined], [1, undefined], [4, undefined]]);
  const t = runStrategy(s, e, 0, { queries: 4, report: 'test@12' });
  assert.deepEqual(t.objective, [80, 80, 70, 70]);
  assert.deepEqual(t.report, [79, 79, 71, 71]);
  assert.deepEqual(
    s.told.map(([, r]) => r.value),
    [-80, -85, -70, -75],
  );
});

test('ties keep the earlier incumbent; a budget smaller than the script stops on time', () => {
  const e = new TabularEstimator(small, { objective: 'val@12' });
  const s = new Scripted([[0, undefined], [0, 12], [2, undefined]]);
  const t = runStrategy(s, e, 0, { queries: 2, report: 'test@12' });
  assert.equal(t.queries, 2);
  assert.equal(t.incumbent?.query, 1);
  assert.equal(s.next, 2, 'nothing asked beyond the budget');
});

test('batches: ask(k) with k <= what is left of the budget, all told before the next ask', () => {
  const e = new TabularEstimator(small, { objective: 'val@12' });
  const s = new Scripted(Array.from({ length: 10 }, (_, i) => [i % 5, undefined] as [number, undefined]));
  const t = runStrategy(s, e, 0, { queries: 7, report: 'test@12', batch: 3 });
  assert.deepEqual(s.asked, [3, 3, 1]);
  assert.equal(t.queries, 7);
  assert.equal(s.pending.size, 0);
  // A strategy that returns more than it was asked for is a bug the harness reports.
  assert.throws(() => runStrategy(new Scripted([[0, undefined], [1, undefined], [2, undefined]], { extra: 1 }), e, 0, { queries: 3, report: 'test@12', batch: 2 }), (err: Error) => err instanceof HarnessError && /returned 3 asks for ask\(2\)/.test(err.message));
});

test('a strategy that finishes early stops the run; one that stalls is an error, not a hang', () => {
  const e = new TabularEstimator(small, { objective: 'val@12' });
  const t = runStrategy(new Scripted([[0, undefined], [2, undefined], [1, undefined]], { finishAtEnd: true }), e, 0, { queries: 10, report: 'test@12', batch: 2 });
  assert.equal(t.queries, 3);
  assert.equal(t.finishedEarly, true);
  assert.deepEqual(t.report, [79, 84, 84]);
  assert.throws(
    () => runStrategy(new Scripted([[0, undefined]]), e, 5, { queries: 3, report: 'test@12' }),
    (err: Error) => err instanceof HarnessError && err.message === "strategy 'scripted' (seed 5) returned no asks after 1 queries with nothing pending and is not finished",
  );
  assert.throws(() => runStrategy(new Scripted([]), e, 0, { queries: 0, report: 'test@12' }), /queries must be an integer >= 1/);
  assert.throws(() => runStrategy(new Scripted([]), e, 0, { queries: 1, report: 'nope' }), /no column 'nope'/);
});

test('stat: mean, sample std and standard error over the defined values', () => {
  assert.deepEqual(stat([]), { mean: null, std: null, se: null, n: 0 });
  assert.deepEqual(stat([nan, nan]), { mean: null, std: null, se: null, n: 0 });
  assert.deepEqual(stat([5]), { mean: 5, std: 0, se: 0, n: 1 });
  const s = stat([1, 2, nan, 3, 6]);
  assert.equal(s.n, 4);
  assert.equal(s.mean, 3);
  assert.ok(Math.abs((s.std as number) - Math.sqrt(14 / 3)) < 1e-12);
  assert.ok(Math.abs((s.se as number) - Math.sqrt(14 / 3) / 2) < 1e-12);
});

test('aggregate: one point per query count; runs that ended early carry their last values', () => {
  const tr = (report: number[], cost: number[]): RunTrace => ({ seed: 0, queries: report.length, incumbent: null, report, objective: report, cost, finishedEarly: false });
  const curve = aggregate([tr([nan, 10, 20, 30], [1, 2, 3, 4]), tr([4, 6], [2, 4])], 4);
  assert.deepEqual(
    curve.map((p) => [p.queries, p.mean, p.n, p.cost]),
    [
      [1, 4, 1, 1.5],
      [2, 8, 2, 3],
      [3, 13, 2, 3.5],
      [4, 18, 2, 4],
    ],
  );
  assert.equal(curve[0].std, 0);
  assert.ok(Math.abs((curve[3].std as number) - Math.sqrt(288)) < 1e-9);
});

test('runBenchmark: seeds base..base+K-1, final and curve over them, total cost', () => {
  const e = new TabularEstimator(small, { objective: 'val@12' });
  const seeds: number[] = [];
  // Seed s asks cell (s mod 5) then cell 2: its final incumbent is cell 2 (val 85, test 84).
  const r = runBenchmark({
    strategy: 'scripted',
    make: (seed) => {
      seeds.push(seed);
      return new Scripted([[seed % 5, undefined], [2, undefined]], { finishAtEnd: true });
    },
    estimator: e,
    report: 'test@12',
    queries: 3,
    seeds: 4,
    seed: 10,
  });
  assert.deepEqual(seeds, [10, 11, 12, 13]);
  assert.deepEqual(r.final, { mean: 84, std: 0, se: 0, n: 4 });
  // After one query: cells 0, 1, 2, 3 -> test 79, 71, 84, (failed).
  assert.equal(r.curve.length, 3);
  assert.equal(r.curve[0].n, 3);
  assert.ok(Math.abs((r.curve[0].mean as number) - (79 + 71 + 84) / 3) < 1e-12);
  assert.equal(r.curve[2].mean, 84);
  assert.deepEqual(r.cost, { total: 96, mean: 24, std: 0 });
  assert.deepEqual(
    r.runs.map((x) => [x.seed, x.queries, x.finishedEarly, x.incumbent?.query]),
    [
      [10, 2, true, 2],
      [11, 2, true, 2],
      [12, 2, true, 1],
      [13, 2, true, 2],
    ],
  );
  assert.equal(r.queries, 3);
  assert.equal(r.seeds, 4);
  assert.equal(r.seed, 10);
  assert.equal(r.table, 'small.csv');
});

test('with a registered strategy on the whole space: deterministic, seed by seed', { skip: !strategyNames().includes('random') && 'random search is not registered yet' }, () => {
  const p = join(tmp, 'nb201.csv');
  writeNb201Csv(p);
  const table = BenchmarkTable.load(p, nb201);
  const e = new TabularEstimator(table, { objective: 'val@12' });
  const spec = { strategy: 'random', make: (seed: number) => createStrategy('random', nb201, seed), estimator: e, report: 'test@12', queries: 40, seeds: 5, seed: 3 };
  const strip = (x: { seconds: number }) => JSON.stringify({ ...x, seconds: 0 });
  const r1 = runBenchmark(spec);
  const r2 = runBenchmark(spec);
  assert.equal(strip(r1), strip(r2));
  assert.equal(r1.curve.length, 40);
  assert.equal(r1.final.n, 5);
  assert.equal(r1.cost.mean, 40 * 12);
  // The curve never decreases for a maximised objective in any single run; the mean of the
  // report column need not, but the objective's incumbent is monotone, so check one run.
  const t = runStrategy(createStrategy('random', nb201, 3), e, 3, { queries: 40, report: 'test@12' });
  for (let i = 1; i < t.objective.length; i++) assert.ok(!(t.objective[i] < t.objective[i - 1]), 'incumbent objective never drops');
  assert.equal(t.incumbent?.report, r1.runs[0].incumbent?.report);
  // Another first seed gives other runs.
  assert.notEqual(strip(runBenchmark({ ...spec, seed: 4 })), strip(r1));
  // Batches of 4 use the same budget.
  const rb = runBenchmark({ ...spec, batch: 4 });
  assert.equal(rb.cost.mean, 40 * 12);
});

test('withTableFidelities: the fidelity range of multi-fidelity strategies comes from the table', () => {
  const specs: OptionSpec[] = [
    { name: 'minFidelity', type: 'number', default: 1, description: '' },
    { name: 'maxFidelity', type: 'number', default: 27, description: '' },
    { name: 'eta', type: 'number', default: 3, description: '' },
  ];
  const e = new TabularEstimator(small, { objective: 'val@12' });
  assert.deepEqual(withTableFidelities(specs, {}, e), { minFidelity: 4, maxFidelity: 12 });
  // Given values win; minFidelity is lowered to max/eta when the table's smallest is too close.
  assert.deepEqual(withTableFidelities(specs, { maxFidelity: 10, eta: 2 }, e), { minFidelity: 4, maxFidelity: 10, eta: 2 });
  assert.deepEqual(withTableFidelities(specs, { eta: 4 }, e), { minFidelity: 3, maxFidelity: 12, eta: 4 });
  assert.deepEqual(withTableFidelities(specs, { minFidelity: 2 }, e), { minFidelity: 2, maxFidelity: 12 });
  // A single fidelity: min is max/eta (asks below it read the full column).
  assert.deepEqual(withTableFidelities(specs, {}, new TabularEstimator(small, { objective: 'val@4' })), { minFidelity: 4 / 3, maxFidelity: 4 });
  // Strategies without such options, and objectives without fidelity, are left alone.
  assert.deepEqual(withTableFidelities([], { x: 1 }, e), { x: 1 });
  const plain = BenchmarkTable.parse(`arch,acc\n${CELLS[0]},1\n`, nb201);
  assert.deepEqual(withTableFidelities(specs, {}, new TabularEstimator(plain, { objective: 'acc' })), {});
});
