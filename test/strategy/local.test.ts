import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Architecture } from '../../src/space/architecture.js';
import { createStrategy } from '../../src/strategy/registry.js';
import { StrategyError } from '../../src/strategy/strategy.js';
import type { Ask } from '../../src/strategy/strategy.js';
import { checkDeterminism, checkResume, meanBest, nb201, nb201Objective } from './helpers.js';

const f = (a: { arch: Architecture }) => nb201Objective(a.arch);
const keys = (xs: readonly { arch: Architecture }[] | Architecture[]) => xs.map((x) => ('arch' in x ? x.arch : x).key).sort();
const tellAll = (s: ReturnType<typeof createStrategy>, asks: Ask[], g: (a: Ask) => number) => {
  for (const a of asks) s.tell(a.id, { value: g(a) });
};

test('local: beats random search on the synthetic NB201 objective', () => {
  const ls = meanBest('local', {}, 100, 8);
  const rnd = meanBest('random', {}, 100, 8);
  assert.ok(ls > rnd + 1, `local ${ls.toFixed(2)} vs random ${rnd.toFixed(2)}`);
});

test('local: evaluates the whole neighbourhood, then moves to its best (best improvement)', () => {
  const s = createStrategy('local', nb201, 1);
  // One start point (init 1): the climb starts there whatever its value, so its neighbourhood is
  // handed out with it, for parallel workers.
  const [start, ...nbhd] = s.ask(100);
  assert.deepEqual(keys(nbhd), keys(nb201.neighbours(start.arch)), 'the asks are the start and its one-mutation neighbourhood');
  assert.deepEqual(s.ask(1), [], 'nothing more until the neighbourhood is told');
  tellAll(s, nbhd, f);
  assert.deepEqual(s.ask(1), [], 'nor before the start itself is told: its value is what a neighbour must beat');
  tellAll(s, [start], f);
  const best = nbhd.reduce((a, b) => (f(b) > f(a) ? b : a));
  assert.ok(f(best) > f(start), 'seed 1 starts below a better neighbour');
  // The next neighbourhood is the best neighbour's, minus the architectures already known.
  const known = new Set([start, ...nbhd].map((x) => x.arch.key));
  const next = s.ask(100);
  assert.deepEqual(
    keys(next),
    keys(nb201.neighbours(best.arch).filter((a) => !known.has(a.key))),
  );
});

test('local: first improvement moves as soon as a better neighbour is told', () => {
  const s = createStrategy('local', nb201, 2, { firstImprovement: true });
  const [start] = s.ask();
  s.tell(start.id, { value: 0 });
  const [a] = s.ask();
  assert.ok(nb201.neighbours(start.arch).some((x) => x.key === a.arch.key));
  s.tell(a.id, { value: 1 }); // better: move at once
  const [b] = s.ask();
  assert.ok(nb201.neighbours(a.arch).some((x) => x.key === b.arch.key), 'the next ask is a neighbour of the new point');
});

test('local: restarts at a local optimum; never moves to a failure', () => {
  const s = createStrategy('local', nb201, 3);
  const [start] = s.ask();
  s.tell(start.id, { value: 1 });
  const nbhd = s.ask(100);
  assert.equal(nbhd.length, 24);
  tellAll(s, nbhd, () => Number.NaN); // every neighbour failed: a local optimum
  const [restart] = s.ask();
  const near = new Set([start.arch, ...nbhd.map((x) => x.arch), ...nbhd.flatMap((x) => nb201.neighbours(x.arch))].map((a) => a.key));
  assert.ok(!near.has(restart.arch.key), 'a fresh random start, not a neighbour of a failed architecture');
  // Equal values everywhere: no improvement, so a restart after each neighbourhood.
  const t = createStrategy('local', nb201, 4, { init: 3 });
  const first = t.ask(10);
  assert.equal(first.length, 3);
  tellAll(t, first, () => 0);
  tellAll(t, t.ask(100), () => 0);
  assert.equal(t.ask(10).length, 3, 'a restart draws `init` new start points');
});

test('local: a single start trains beside its neighbourhood; its value, told last, still decides the move', () => {
  // The start told after its neighbours, and better than all of them: a local optimum, so a restart.
  const s = createStrategy('local', nb201, 7);
  const [start, ...nbhd] = s.ask(100);
  assert.equal(nbhd.length, nb201.neighbours(start.arch).length);
  tellAll(s, nbhd, () => 1);
  s.tell(start.id, { value: 2 });
  const restart = s.ask(100);
  assert.ok(restart.length > 1 && !nb201.neighbours(start.arch).some((a) => a.key === restart[0].arch.key), 'a fresh start (with its own neighbourhood)');
  // A start that failed: any neighbour that did not fail beats it, so the climb moves to the best one.
  const t = createStrategy('local', nb201, 8);
  const [s0, ...n0] = t.ask(100);
  t.tell(s0.id, { value: Number.NaN });
  tellAll(t, n0, (a) => (a.id === n0[3].id ? 5 : a.id === n0[1].id ? Number.NaN : 1));
  const next = t.ask(100);
  assert.ok(next.length > 0 && next.every((a) => nb201.neighbours(n0[3].arch).some((x) => x.key === a.arch.key)), 'the next neighbourhood is the best neighbour\'s');
  // First improvement: a better neighbour told before the start moves the climb once the start is told.
  const u = createStrategy('local', nb201, 9, { firstImprovement: true });
  const [s1, a1, b1] = u.ask(3);
  u.tell(a1.id, { value: 3 });
  u.tell(b1.id, { value: 4 });
  assert.ok(u.ask(1).every((x) => nb201.neighbours(s1.arch).some((y) => y.key === x.arch.key)), 'no move before the start is known');
  u.tell(s1.id, { value: 2 });
  const [c1] = u.ask(1);
  assert.ok(nb201.neighbours(b1.arch).some((x) => x.key === c1.arch.key), 'then it moves to the best neighbour told so far');
});

test('local: deterministic and resumes exactly', () => {
  checkDeterminism('local', nb201, {}, f, 80);
  checkResume('local', nb201, {}, f, 30, 60);
  checkResume('local', nb201, { firstImprovement: true, init: 4 }, f, 30, 60);
});

test('local: option initial climbs from given architectures (the best of them), then restarts at random; resumes exactly; bad ones are clear errors', () => {
  const known = ['|nor_conv_3x3~0|+|nor_conv_3x3~0|nor_conv_3x3~1|+|skip_connect~0|nor_conv_3x3~1|nor_conv_3x3~2|', '|avg_pool_3x3~0|+|none~0|skip_connect~1|+|none~0|none~1|nor_conv_1x1~2|'];
  const initial = known.join('; ');
  const s = createStrategy('local', nb201, 5, { initial });
  const starts = s.ask(10);
  assert.deepEqual(starts.map((a) => nb201.format(a.arch)), known, 'the first start evaluates exactly the given architectures (init 1 is less)');
  tellAll(s, starts, (a) => (nb201.format(a.arch) === known[1] ? 2 : 1));
  const nbhd = s.ask(100);
  assert.deepEqual(keys(nbhd), keys(nb201.neighbours(starts[1].arch).filter((a) => a.key !== starts[0].arch.key)), 'the climb starts from the better given one');
  // No neighbour is better: a restart draws `init` random architectures, not the given ones again.
  tellAll(s, nbhd, () => 0);
  const [restart, ...around] = s.ask(10);
  assert.ok(!known.includes(nb201.format(restart.arch)));
  assert.ok(around.length === 9 && around.every((a) => nb201.neighbours(restart.arch).some((x) => x.key === a.arch.key)), 'one random start, handed out with its neighbours');
  // With init 3, the first start is the given two and one random architecture.
  const t = createStrategy('local', nb201, 6, { initial: known[0], init: 3 });
  const first = t.ask(10);
  assert.equal(first.length, 3);
  assert.equal(nb201.format(first[0].arch), known[0]);
  assert.equal(new Set(first.map((a) => a.arch.key)).size, 3);
  checkDeterminism('local', nb201, { initial }, f, 60);
  checkResume('local', nb201, { initial }, f, 1, 40);
  checkResume('local', nb201, { initial, init: 3 }, f, 30, 60);
  assert.throws(() => createStrategy('local', nb201, 0, { initial: '|bogus~0|' }), (e: unknown) => e instanceof StrategyError && /strategy 'local': option 'initial': '\|bogus~0\|' is not an architecture of space 'nb201'/.test(e.message));
});
