import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Architecture } from '../../src/space/architecture.js';
import type { RegularizedEvolution } from '../../src/strategy/evolution.js';
import { createStrategy } from '../../src/strategy/registry.js';
import { StrategyError } from '../../src/strategy/strategy.js';
import { checkDeterminism, checkResume, meanBest, nb201, nb201Objective, run } from './helpers.js';

const f = (a: { arch: Architecture }) => nb201Objective(a.arch);
const isNeighbour = (a: Architecture, b: Architecture) => Object.keys(a.values).filter((k) => a.values[k] !== b.values[k]).length === 1;

test('evolution: beats random search on the synthetic NB201 objective', () => {
  const evo = meanBest('evolution', {}, 100, 8);
  const rnd = meanBest('random', {}, 100, 8);
  assert.ok(evo > rnd + 1, `evolution ${evo.toFixed(2)} vs random ${rnd.toFixed(2)}`);
});

test('evolution: random population first, then mutated children; the oldest member dies', () => {
  const s = createStrategy('evolution', nb201, 1, { population: 10, sampleSize: 3 }) as RegularizedEvolution;
  // Batch ask: only the 10 initial members can be asked before any result.
  const init = s.ask(25);
  assert.equal(init.length, 10);
  assert.ok(init.every((a) => a.parent === undefined), 'random initial members have no parent');
  assert.deepEqual(s.ask(3), []);
  for (const a of init) s.tell(a.id, { value: f(a) });
  const told: Architecture[] = init.map((a) => a.arch);
  for (let i = 0; i < 40; i++) {
    const pop = s.members();
    assert.equal(pop.length, 10);
    // The population is the 10 most recently told architectures.
    assert.deepEqual(
      pop.map((m) => m.arch.key),
      told.slice(-10).map((a) => a.key),
    );
    // A batch of children, each one mutation away from a current member.
    const kids = s.ask(2);
    assert.equal(kids.length, 2);
    for (const k of kids) {
      // Its parent is named by ask id (for weight inheritance): a current member, one mutation away.
      const parent = pop.find((m) => m.id === k.parent);
      assert.ok(parent, `child ${k.id}'s parent ${k.parent} is a member`);
      assert.ok(isNeighbour(parent.arch, k.arch), 'a child is a one-step mutation of its parent');
    }
    for (const k of kids) {
      s.tell(k.id, { value: f(k) });
      told.push(k.arch);
    }
  }
});

test('evolution: failures never join the population or become parents', () => {
  // Every architecture with a 3x3 conv on edge 1<-0 fails.
  const g = (a: { arch: Architecture }) => (a.arch.values['1<-0'] === 'nor_conv_3x3' ? Number.NaN : f(a));
  assert.ok('1<-0' in nb201.sample(0).values);
  const s = createStrategy('evolution', nb201, 2) as RegularizedEvolution;
  const { values } = run(s, 300, g, 4);
  assert.ok(values.some(Number.isNaN));
  const pop = s.members();
  assert.equal(pop.length, 10);
  assert.ok(pop.every((m) => !Number.isNaN(m.value) && m.arch.values['1<-0'] !== 'nor_conv_3x3'));
  // All-failing objective: the strategy keeps asking random architectures to fill its population.
  const t = createStrategy('evolution', nb201, 3);
  const r = run(t, 30, () => Number.NaN);
  assert.equal(r.asks.length, 30);
});

test('evolution: deterministic, resumes exactly, options checked', () => {
  checkDeterminism('evolution', nb201, {}, f, 60);
  checkResume('evolution', nb201, {}, f, 6, 40); // saved during the initial population
  checkResume('evolution', nb201, { population: 20, sampleSize: 5 }, f, 50, 40);
  assert.throws(
    () => createStrategy('evolution', nb201, 0, { population: 5, sampleSize: 8 }),
    (e: unknown) => e instanceof StrategyError && /'sampleSize' \(8\) must not exceed 'population' \(5\)/.test(e.message),
  );
  assert.throws(() => createStrategy('evolution', nb201, 0, { population: 1 }), /'population' must be at least 2/);
});

test('evolution: option initial starts the population from given architectures, then random ones; resumes exactly; bad ones are clear errors', () => {
  const known = ['|nor_conv_3x3~0|+|nor_conv_3x3~0|nor_conv_3x3~1|+|skip_connect~0|nor_conv_3x3~1|nor_conv_3x3~2|', '|avg_pool_3x3~0|+|none~0|skip_connect~1|+|none~0|none~1|nor_conv_1x1~2|'];
  const initial = known.join('; ');
  const s = createStrategy('evolution', nb201, 3, { population: 5, sampleSize: 2, initial }) as RegularizedEvolution;
  const first = s.ask(5);
  assert.deepEqual(first.slice(0, 2).map((a) => nb201.format(a.arch)), known, 'the given architectures come first');
  assert.equal(new Set(first.map((a) => a.arch.key)).size, 5, 'then distinct random ones');
  assert.ok(first.every((a) => a.parent === undefined));
  // A given architecture that failed is not asked again: a random one takes its place.
  s.tell(first[0].id, { value: Number.NaN });
  const again = s.ask(1);
  assert.equal(again.length, 1);
  assert.notEqual(nb201.format(again[0].arch), known[0]);
  checkDeterminism('evolution', nb201, { initial }, f, 30);
  checkResume('evolution', nb201, { population: 5, sampleSize: 2, initial }, f, 1, 20);
  assert.throws(() => createStrategy('evolution', nb201, 0, { population: 5, initial: '|bogus~0|' }), (e: unknown) => e instanceof StrategyError && /option 'initial': '\|bogus~0\|' is not an architecture of space 'nb201'/.test(e.message));
  assert.throws(() => createStrategy('evolution', nb201, 0, { population: 2, sampleSize: 1, initial: `${initial};${known[0]}` }), /names 3 architectures, more than 'population' \(2\)/);
});
