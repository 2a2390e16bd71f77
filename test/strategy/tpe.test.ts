import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Architecture } from '../../src/space/architecture.js';
import { DecisionSpace, categorical, inputChoice, integer, logFloat, repeat } from '../../src/space/index.js';
import { createStrategy } from '../../src/strategy/registry.js';
import { ParzenModel, observationWeights } from '../../src/strategy/tpe.js';
import { Rng } from '../../src/util/rng.js';
import { checkDeterminism, checkResume, keyNoise, meanBest, nb201, nb201Objective, run } from './helpers.js';

const f = (a: { arch: Architecture }) => nb201Objective(a.arch);

/** Every decision kind, a constraint, and an input decision with 4096 subsets (modelled per candidate). */
class MixedSpace extends DecisionSpace {
  readonly name = 'mixed';
  readonly description = 'every decision kind for TPE tests';
  constructor() {
    super(
      [
        categorical('op', ['conv', 'pool', 'skip']),
        integer('width', 8, 128, 8),
        repeat('depth', 1, 6),
        logFloat('lr', 1e-5, 1),
        inputChoice('in', [0, 1, 2, 3], { min: 1, max: 3 }),
        inputChoice('wide', [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11], { min: 0, max: 12 }),
      ],
      [{ name: 'pool-shallow', check: (v) => v.op !== 'pool' || (v.depth as number) <= 3 || 'a pool cell has depth <= 3' }],
    );
  }
}
const mixed = new MixedSpace();
/** Peaks at op conv, width 96, depth 4, lr 1e-2, input {1,2}, wide = the even candidates. */
function mixedObjective(a: Architecture): number {
  const v = a.values;
  const wide = v.wide as number[];
  let s = v.op === 'conv' ? 2 : 0;
  s -= Math.abs((v.width as number) - 96) / 24;
  s -= Math.abs((v.depth as number) - 4) / 2;
  s -= Math.abs(Math.log10(v.lr as number) + 2);
  s += (v.in as number[]).join() === '1,2' ? 1 : 0;
  for (let i = 0; i < 12; i++) s -= (wide.includes(i) ? i % 2 : 1 - (i % 2)) * 0.25;
  return s + 0.2 * keyNoise(a.key);
}
const g = (a: { arch: Architecture }) => mixedObjective(a.arch);

test('tpe: beats random search on the synthetic NB201 objective and on a mixed space', () => {
  const tpe = meanBest('tpe', {}, 60, 6);
  const rnd = meanBest('random', {}, 60, 6);
  assert.ok(tpe > rnd + 1, `NB201: tpe ${tpe.toFixed(2)} vs random ${rnd.toFixed(2)}`);
  let dt = 0;
  let dr = 0;
  for (let seed = 0; seed < 4; seed++) {
    dt += Math.max(...run(createStrategy('tpe', mixed, seed), 80, g).values);
    dr += Math.max(...run(createStrategy('random', mixed, seed), 80, g).values);
  }
  assert.ok(dt > dr + 2, `mixed: tpe ${dt / 4} vs random ${dr / 4}`);
});

test('tpe: random start-up trials, then proposals concentrated on good values; constraints respected', () => {
  const s = createStrategy('tpe', mixed, 5, { startup: 10 });
  const { asks } = run(s, 120, g, 4);
  for (const a of asks) assert.ok(a.arch.values.op !== 'pool' || (a.arch.values.depth as number) <= 3);
  const late = asks.slice(60);
  const frac = (p: (a: Architecture) => boolean) => late.filter((a) => p(a.arch)).length / late.length;
  assert.ok(frac((a) => a.values.op === 'conv') > 0.6, 'conv is proposed far above its prior 1/3');
  assert.ok(frac((a) => Math.abs(Math.log10(a.values.lr as number) + 2) < 1) > 0.5, 'lr near 1e-2 (prior: 2/5 of the log range)');
  assert.ok(frac((a) => (a.values.width as number) >= 72) > 0.5, 'width near 96');
  const uniq = new Set(asks.map((a) => a.arch.key));
  assert.equal(uniq.size, asks.length, 'no architecture is asked twice');
});

test('tpe: Parzen estimators follow the good observations', () => {
  const rng = new Rng(0);
  const good = [4, 5, 5, 6].map((w) => mixed.arch({ op: 'conv', width: 8 * w + 48, depth: 4, lr: 0.01, in: [1], wide: [] }));
  const bad = [0, 1, 2, 14, 15].map((w) => mixed.arch({ op: 'skip', width: 8 + 8 * w, depth: 1, lr: 0.5, in: [3], wide: [1, 3] }));
  const m = new ParzenModel(mixed, good, bad, { priorWeight: 1 });
  const props = Array.from({ length: 50 }, () => m.propose(rng, 24));
  assert.ok(props.every((p) => p.op === 'conv'));
  const widths = props.map((p) => p.width as number);
  assert.ok(widths.reduce((a, b) => a + b) / 50 > 70 && Math.max(...widths) <= 128 && widths.every((w) => w % 8 === 0));
  assert.ok(props.every((p) => (p.lr as number) >= 1e-5 && (p.lr as number) <= 1 && Math.abs(Math.log10(p.lr as number) + 2) < 2));
  assert.deepEqual(observationWeights(3), [1, 1, 1]);
  const w = observationWeights(30);
  assert.equal(w.length, 30);
  assert.ok(Math.abs(w[0] - 1 / 30) < 1e-12 && w[4] === 1 && w[29] === 1 && w[1] > w[0]);
});

test('tpe: failures count as the worst trials', () => {
  // Architectures with a 3x3 conv on edge 1<-0 fail; the objective alone would favour them.
  const h = (a: { arch: Architecture }) => (a.arch.values['1<-0'] === 'nor_conv_3x3' ? Number.NaN : f(a));
  const { asks, values } = run(createStrategy('tpe', nb201, 3), 120, h, 2);
  assert.ok(values.slice(0, 60).some(Number.isNaN));
  const late = asks.slice(60);
  const failing = late.filter((a) => a.arch.values['1<-0'] === 'nor_conv_3x3').length / late.length;
  assert.ok(failing < 0.15, `TPE keeps proposing failing values (${failing})`);
});

test('tpe: ask+tell stays fast at 300 observations', () => {
  for (const [space, obj] of [
    [nb201, f],
    [mixed, g],
  ] as const) {
    // 300 random start-up trials (cheap to collect), then every ask fits the model on 300+ observations.
    const s = createStrategy('tpe', space, 0, { startup: 300 });
    run(s, 300, obj);
    const t0 = performance.now();
    run(s, 20, obj);
    const per = (performance.now() - t0) / 20;
    assert.ok(per < 100, `${space.name}: ${per.toFixed(1)} ms per query`);
  }
});

test('tpe: deterministic, resumes exactly, options checked', () => {
  checkDeterminism('tpe', nb201, {}, f, 40);
  checkResume('tpe', nb201, {}, f, 25, 25);
  checkResume('tpe', mixed, { startup: 5, candidates: 8 }, g, 25, 25);
  assert.throws(() => createStrategy('tpe', nb201, 0, { candidates: 0 }), /'candidates' must be at least 1/);
  assert.throws(() => createStrategy('tpe', nb201, 0, { gamma: 0.1 }), /unknown option 'gamma'/);
});
