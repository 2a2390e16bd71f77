import assert from 'node:assert/strict';
import { test } from 'node:test';
import { TabularEstimator } from '../../src/bench/estimator.js';
import { BenchmarkTable, BenchmarkTableError } from '../../src/bench/table.js';
import { getSpace } from '../../src/space/registry.js';

const nb201 = getSpace('nb201');
const A = '|nor_conv_3x3~0|+|nor_conv_3x3~0|nor_conv_3x3~1|+|skip_connect~0|nor_conv_3x3~1|nor_conv_1x1~2|';
const B = '|nor_conv_1x1~0|+|none~0|skip_connect~1|+|avg_pool_3x3~0|nor_conv_3x3~1|none~2|';
const C = '|avg_pool_3x3~0|+|none~0|skip_connect~1|+|avg_pool_3x3~0|nor_conv_3x3~1|none~2|';
const a = nb201.parse(A);
const b = nb201.parse(B);

// Fidelities 2, 4 and 12 of `val` (written out of order), a plain `acc`, and a loss.
const table = BenchmarkTable.parse(
  [
    'arch,val@12,val@2,val@4,test@12,acc,loss@12.0',
    `${A},80,50,60,79,0.9,0.2`,
    `${B},70,55,nan,71,,0.3`,
  ].join('\n'),
  nb201,
  'fid.csv',
);

test('full fidelity: the objective column, cost = its fidelity', () => {
  const e = new TabularEstimator(table, { objective: 'val@12' });
  assert.equal(e.metric, 'val');
  assert.equal(e.fullFidelity, 12);
  assert.deepEqual(e.fidelities, [2, 4, 12]);
  assert.deepEqual(e.evaluate({ arch: a }), { value: 80, objective: 80, fidelity: 12, column: 'val@12', full: true, cost: 12 });
  assert.deepEqual(e.evaluate({ arch: a, fidelity: 12 }), { value: 80, objective: 80, fidelity: 12, column: 'val@12', full: true, cost: 12 });
});

test('lower fidelities: the exact column, else the smallest fidelity above; above full reads full', () => {
  const e = new TabularEstimator(table, { objective: 'val@12' });
  const at = (f: number) => {
    const r = e.evaluate({ arch: a, fidelity: f });
    return [r.column, r.value, r.cost, r.full];
  };
  assert.deepEqual(at(2), ['val@2', 50, 2, false]);
  assert.deepEqual(at(1), ['val@2', 50, 2, false]);
  assert.deepEqual(at(4), ['val@4', 60, 4, false]);
  assert.deepEqual(at(3), ['val@4', 60, 4, false]);
  assert.deepEqual(at(4.5), ['val@12', 80, 12, true]);
  assert.deepEqual(at(50), ['val@12', 80, 12, true]);
  for (const f of [0, -1, Number.NaN, Number.POSITIVE_INFINITY]) {
    assert.throws(() => e.evaluate({ arch: a, fidelity: f }), /a fidelity must be a number > 0/);
  }
  // An objective at a lower fidelity: its own fidelity is full, higher columns are not read.
  const e4 = new TabularEstimator(table, { objective: 'val@4' });
  assert.deepEqual(e4.fidelities, [2, 4]);
  assert.equal(e4.evaluate({ arch: a, fidelity: 12 }).column, 'val@4');
  assert.equal(e4.evaluate({ arch: a, fidelity: 3 }).full, true);
});

test('a header written with another spelling of the fidelity (loss@12.0) is still found', () => {
  const e = new TabularEstimator(table, { objective: 'loss@12.0', minimize: true });
  assert.equal(e.evaluate({ arch: a, fidelity: 12 }).column, 'loss@12.0');
  assert.equal(e.evaluate({ arch: a, fidelity: 30 }).column, 'loss@12.0');
});

test('NaN cells are failed evaluations', () => {
  const e = new TabularEstimator(table, { objective: 'val@12' });
  const r = e.evaluate({ arch: b, fidelity: 4 });
  assert.ok(Number.isNaN(r.value) && Number.isNaN(r.objective));
  assert.equal(r.cost, 4);
  assert.ok(Number.isNaN(new TabularEstimator(table, { objective: 'acc' }).evaluate({ arch: b }).value));
});

test('a plain column: cost 1 per query; asking for a fidelity is an error', () => {
  const e = new TabularEstimator(table, { objective: 'acc' });
  assert.equal(e.fullFidelity, undefined);
  assert.deepEqual(e.fidelities, []);
  assert.deepEqual(e.evaluate({ arch: a }), { value: 0.9, objective: 0.9, fidelity: undefined, column: 'acc', full: true, cost: 1 });
  assert.throws(() => e.evaluate({ arch: a, fidelity: 4 }), /fid\.csv: the objective 'acc' has no fidelity, but fidelity 4 was asked for/);
});

test('minimise: the strategy sees the value negated; the objective is reported as recorded', () => {
  const e = new TabularEstimator(table, { objective: 'loss@12.0', minimize: true });
  const r = e.evaluate({ arch: a });
  assert.equal(r.value, -0.2);
  assert.equal(r.objective, 0.2);
  assert.ok(e.evaluate({ arch: b }).value < 0 && e.evaluate({ arch: a }).value > e.evaluate({ arch: b }).value);
});

test('unknown objective and architectures not in the table: clear errors', () => {
  assert.throws(() => new TabularEstimator(table, { objective: 'val@8' }), /fid\.csv: no column 'val@8' \(columns: val@12, val@2, val@4, test@12, acc, loss@12\.0\)/);
  const e = new TabularEstimator(table, { objective: 'val@12' });
  assert.throws(
    () => e.evaluate({ arch: nb201.parse(C) }),
    (err: Error) => err instanceof BenchmarkTableError && err.message === `fid.csv: architecture '${C}' is not in the table (2 rows)`,
  );
});
