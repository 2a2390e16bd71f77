import assert from 'node:assert/strict';
import { test } from 'node:test';
import { DecisionSpace, categorical, float, inputChoice, integer } from '../../src/space/index.js';
import { getSpace } from '../../src/space/registry.js';
import { createStrategy } from '../../src/strategy/registry.js';
import { StrategyError } from '../../src/strategy/strategy.js';
import { checkResume, keyNoise, run, trace } from './helpers.js';

/** 3 ops x 4 widths x 6 input sets = 72 assignments, minus the 12 where a pool reads two inputs. */
class SmallSpace extends DecisionSpace {
  readonly name = 'small';
  readonly description = 'a small space for grid tests';
  constructor(withFloat = false) {
    super(
      [categorical('op', ['conv', 'pool', 'skip']), integer('width', 1, 4), inputChoice('in', [0, 1, 2], { min: 1, max: 2 }), ...(withFloat ? [float('drop', 0, 0.5)] : [])],
      [{ name: 'pool-one-input', check: (v) => v.op !== 'pool' || (v.in as number[]).length === 1 || 'a pool reads one input' }],
    );
  }
}
const small = new SmallSpace();
const f = (a: { arch: { key: string } }) => keyNoise(a.arch.key);

test('grid: every architecture of a small constrained space exactly once, then finished', () => {
  assert.equal(small.size(), 60);
  const s = createStrategy('grid', small, 0);
  const { asks } = run(s, 1000, f, 7);
  assert.equal(asks.length, 60);
  assert.deepEqual(
    asks.map((a) => a.arch.key),
    [...small.enumerate()].map((a) => a.key),
    'enumeration order',
  );
  assert.ok(s.finished());
  assert.deepEqual(s.ask(5), []);
});

test('grid: shuffle visits the same set in a seeded order', () => {
  const keys = (seed: number) => trace(run(createStrategy('grid', small, seed, { shuffle: true }), 1000, f).asks).map((t) => t.split(':').slice(1).join(':'));
  const a = keys(1);
  assert.equal(a.length, 60);
  assert.deepEqual([...a].sort(), [...small.enumerate()].map((x) => x.key).sort());
  assert.deepEqual(keys(1), a);
  assert.notDeepEqual(keys(2), a);
  assert.notDeepEqual(
    a,
    [...small.enumerate()].map((x) => x.key),
  );
});

test('grid: covers NB201 and resumes mid-way', () => {
  const nb = getSpace('nb201');
  const s = createStrategy('grid', nb, 0);
  const { asks } = run(s, 20000, f, 500);
  assert.equal(asks.length, 15625);
  assert.equal(new Set(asks.map((a) => a.arch.key)).size, 15625);
  checkResume('grid', small, { shuffle: true }, f, 20, 20);
});

test('grid: continuous or too large spaces are refused clearly', () => {
  const isErr = (re: RegExp) => (e: unknown) => e instanceof StrategyError && re.test(e.message);
  assert.throws(() => createStrategy('grid', new SmallSpace(true), 0), isErr(/continuous decisions/));
  assert.throws(() => createStrategy('grid', getSpace('darts'), 0), isErr(/more than the limit of 1000000/));
  assert.throws(() => createStrategy('grid', small, 0, { limit: 50 }), isErr(/has 60 architectures, more than the limit of 50/));
  assert.throws(() => createStrategy('grid', small, 0, { shuffle: 1 }), isErr(/'shuffle' must be true or false/));
});
