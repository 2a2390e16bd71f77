import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  Architecture,
  ArchitectureError,
  DecisionSpace,
  categorical,
  domainSize,
  domainValues,
  float,
  inputChoice,
  integer,
  logFloat,
  neighbourValues,
  repeat,
  stableStringify,
} from '../../src/space/index.js';
import { Rng } from '../../src/util/rng.js';

/** A small space with every kind of decision and one constraint. */
class ToySpace extends DecisionSpace {
  readonly name = 'toy';
  readonly description = 'every decision kind';
  constructor(withFloats = true) {
    super(
      [
        categorical('op', ['conv', 'pool', 'skip']),
        integer('filters', 16, 64, 16),
        repeat('depth', 1, 3),
        inputChoice('in3', [0, 1, 2], { min: 1, max: 2 }),
        ...(withFloats ? [float('dropout', 0, 0.5), logFloat('lr', 1e-4, 1e-1)] : []),
      ],
      [{ name: 'pool-needs-depth>1', check: (v) => v.op !== 'pool' || (v.depth as number) > 1 || 'a pool cell needs depth > 1' }],
    );
  }
}

test('decision domains: sizes, values, validation', () => {
  assert.equal(domainSize(categorical('a', [1, 2, 3])), 3);
  assert.deepEqual(domainValues(integer('b', 16, 64, 16)), [16, 32, 48, 64]);
  assert.deepEqual(domainValues(repeat('r', 2, 4)), [2, 3, 4]);
  const ic = inputChoice('i', [2, 0, 1], { min: 1, max: 2 });
  assert.equal(domainSize(ic), 6);
  assert.deepEqual(domainValues(ic), [[0], [1], [2], [0, 1], [0, 2], [1, 2]]);
  assert.equal(domainSize(float('f', 0, 1)), Number.POSITIVE_INFINITY);
  assert.throws(() => integer('b', 0, 10, 3), /multiple of step/);
  assert.throws(() => logFloat('l', 0, 1), /0 < low < high/);
  assert.throws(() => categorical('c', ['x', 'x']), /distinct/);
  assert.throws(() => inputChoice('i', [0, 1], { min: 3 }), /min <= max/);
});

test('neighbourhoods of each decision kind', () => {
  assert.deepEqual(neighbourValues(categorical('a', ['x', 'y', 'z']), 'y'), ['x', 'z']);
  assert.deepEqual(neighbourValues(integer('b', 16, 64, 16), 16), [32]);
  assert.deepEqual(neighbourValues(repeat('r', 1, 3), 2), [1, 3]);
  // {1} -> add 0 or 2 (2 ways), swap 1 for 0 or 2 (2 ways); cannot drop below min 1.
  assert.deepEqual(neighbourValues(inputChoice('i', [0, 1, 2], { min: 1, max: 2 }), [1]), [[0, 1], [1, 2], [0], [2]]);
  assert.deepEqual(neighbourValues(float('f', 0, 1), 0.5), []);
});

test('architectures are immutable data with a canonical string and a stable hash', () => {
  const s = new ToySpace();
  const a = s.arch({ lr: 0.01, dropout: 0.1, in3: [2, 0], depth: 2, filters: 32, op: 'conv' });
  const b = s.arch({ op: 'conv', filters: 32, depth: 2, in3: [0, 2], dropout: 0.1, lr: 0.01 });
  assert.equal(a.key, b.key, 'key order and input order do not matter');
  assert.equal(a.hash, b.hash);
  assert.match(a.hash, /^[0-9a-f]{64}$/);
  assert.deepEqual(a.values.in3, [0, 2]);
  assert.ok(Object.isFrozen(a) && Object.isFrozen(a.values) && Object.isFrozen(a.values.in3));
  assert.throws(() => {
    (a.values as Record<string, unknown>).op = 'pool';
  }, TypeError);
  assert.equal(a.key, stableStringify({ values: a.toJSON().values, space: 'toy' }));
  const round = s.fromJSON(JSON.parse(JSON.stringify(a)));
  assert.ok(round.equals(a));
  // the values alone (every decision by name) read as the same architecture; fewer are refused
  assert.ok(s.fromJSON(JSON.parse(JSON.stringify(a.values))).equals(a));
  assert.throws(() => s.fromJSON({ op: 'conv' }), /expected an object \{ "space": \.\.\., "values": \{ \.\.\. \} \}, or the values of all 6 decisions by name/);
  assert.throws(() => s.fromJSON([1, 2]), /expected an object/);
  assert.ok(a instanceof Architecture);
  assert.throws(() => s.arch({ ...a.values, op: 'dense' }), (e: unknown) => e instanceof ArchitectureError && /'op': "dense" is not one of "conv", "pool", "skip"/.test((e as Error).message));
  assert.throws(() => s.arch({ ...a.values, filters: 40 }), /in steps of 16/);
  assert.throws(() => s.arch({ ...a.values, in3: [] }), /must read 1 to 2 node/);
  assert.throws(() => s.arch({ ...a.values, extra: 1 }), /unknown decision 'extra'/);
  assert.throws(() => s.arch({ ...a.values, op: 'pool', depth: 1 }), /constraint pool-needs-depth>1: a pool cell needs depth > 1/);
});

test('seeded sampling is deterministic, in range and respects constraints', () => {
  const s = new ToySpace();
  const a = s.sampleMany(200, 42).map((x) => x.key);
  const b = s.sampleMany(200, 42).map((x) => x.key);
  const c = s.sampleMany(200, 43).map((x) => x.key);
  assert.deepEqual(a, b);
  assert.notDeepEqual(a, c);
  for (const x of s.sampleMany(500, 1)) {
    assert.ok(x.values.op !== 'pool' || (x.values.depth as number) > 1);
    const lr = x.values.lr as number;
    assert.ok(lr >= 1e-4 && lr <= 1e-1);
    s.arch(x.values); // validates
  }
  // Log-uniform: about half the learning rates below the geometric midpoint 10^-2.5.
  const low = s.sampleMany(2000, 5).filter((x) => (x.values.lr as number) < 10 ** -2.5).length;
  assert.ok(low > 850 && low < 1150, `log-uniform: ${low}/2000 below the midpoint`);
});

test('enumeration, size, neighbours, mutation and crossover on a finite space', () => {
  const s = new ToySpace(false);
  const all = [...s.enumerate()];
  // 3 ops * 4 filters * 3 depths * 6 input sets, minus pool with depth 1 (4 * 6 = 24).
  assert.equal(all.length, 3 * 4 * 3 * 6 - 24);
  assert.equal(s.size(), all.length);
  assert.equal(new Set(all.map((a) => a.key)).size, all.length);
  const a = s.arch({ op: 'conv', filters: 32, depth: 1, in3: [1] });
  const n = s.neighbours(a);
  // op: pool is banned at depth 1, so 1; filters 2; depth 1; inputs 4.
  assert.equal(n.length, 1 + 2 + 1 + 4);
  for (const x of n) {
    const diff = Object.keys(a.values).filter((k) => JSON.stringify(a.values[k]) !== JSON.stringify(x.values[k]));
    assert.equal(diff.length, 1);
  }
  const rng = new Rng(3);
  for (let i = 0; i < 50; i++) {
    const m = s.mutate(a, rng);
    assert.ok(n.some((x) => x.equals(m)), 'a mutation is a neighbour');
  }
  const b = s.arch({ op: 'skip', filters: 64, depth: 3, in3: [0, 2] });
  for (let i = 0; i < 50; i++) {
    const c = s.crossover(a, b, rng);
    for (const k of Object.keys(c.values)) assert.ok([a, b].some((p) => JSON.stringify(p.values[k]) === JSON.stringify(c.values[k])));
  }
  assert.equal(s.mutate(a, 9).key, s.mutate(a, 9).key, 'a seed gives the same mutation');
  const enc = s.encode(a);
  assert.equal(enc.length, 3 + 4 + 3 + 3);
  assert.deepEqual(enc, [1, 0, 0, 0, 1, 0, 0, 1, 0, 0, 0, 1, 0]);
  assert.throws(() => [...new ToySpace().enumerate()], /continuous/);
  assert.equal(new ToySpace().size(), Number.POSITIVE_INFINITY);
});

test('floats mutate by a bounded step and encode into [0, 1]', () => {
  const s = new ToySpace();
  const a = s.sample(11);
  const rng = new Rng(4);
  for (let i = 0; i < 100; i++) {
    const m = s.mutate(a, rng);
    const dr = m.values.dropout as number;
    assert.ok(dr >= 0 && dr <= 0.5);
    for (const x of s.encode(m)) assert.ok(x >= 0 && x <= 1);
  }
});
