import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { DataLoader } from '../../src/data/loader.js';
import { type Tensor, memory, type nn, noGrad, setNumThreads, tidy } from '../../src/engine/index.js';
import type { OneShotData } from '../../src/oneshot/search.js';
import { type ScoredArch, evolve, evolveWithSupernet, mutateDecisions, scoreWithSupernet, sposSearch, uniformPathMethod } from '../../src/oneshot/spos.js';
import { Supernet, SupernetError } from '../../src/oneshot/supernet.js';
import { type Architecture, NB201_EDGES, NB201_OPS, darts, nb201 } from '../../src/space/index.js';
import { Rng } from '../../src/util/rng.js';
import { TINY_DARTS, TINY_NB201, freeData, skipNoData, tinyFashion } from './tiny-data.js';

// One intra-op thread: the test runner runs two files at once, and tiny convolutions gain nothing from more.
setNumThreads(1);

let data: OneShotData | undefined;
before(() => {
  if (!skipNoData) data = tinyFashion();
});
after(() => freeData(data));

test('SPOS training draws a fresh uniform path per step: every op about equally often on every edge', () => {
  const s = new Supernet('nb201', { ...TINY_NB201, seed: 0 });
  const drawn: string[][] = [];
  const m = uniformPathMethod(s, 3, 'spos', (a) => drawn.push(nb201.ops(a)));
  assert.equal(m.archGradient, undefined, 'no architecture parameters are trained');
  const n = 1000;
  for (let i = 0; i < n; i++) {
    const mode = m.weightMode({ supernet: s } as Parameters<typeof m.weightMode>[0]);
    assert.equal(mode.kind, 'path');
  }
  for (let e = 0; e < 6; e++) {
    for (const op of NB201_OPS) {
      const c = drawn.filter((ops) => ops[e] === op).length;
      // Binomial(1000, 0.2): mean 200, sd 12.6; 150..250 is four standard deviations.
      assert.ok(c > 150 && c < 250, `edge ${e}, ${op}: ${c} of ${n}`);
    }
  }
  assert.ok(new Set(drawn.map((o) => o.join())).size > 900, 'the paths differ from step to step');
  s.dispose();
});

test('SPOS mutation redraws each decision with probability p; crossover-free children stay in the space', () => {
  const rng = new Rng(1);
  const a = nb201.sample(rng);
  let changed = 0;
  for (let i = 0; i < 400; i++) {
    const c = mutateDecisions(nb201, a, 0.1, rng);
    changed += nb201.ops(c).filter((op, e) => op !== nb201.ops(a)[e]).length;
  }
  // Each of 6 decisions redrawn with p = 0.1 and changed by a redraw with p = 0.8: 0.48 changes per child.
  assert.ok(changed / 400 > 0.3 && changed / 400 < 0.66, `mean changes ${changed / 400}`);
  const d = darts.sample(rng);
  for (let i = 0; i < 20; i++) darts.format(mutateDecisions(darts, d, 0.5, rng));
});

test('SPOS evolution climbs: on a synthetic score (3x3 convolutions per cell) it finds far better cells than as many random samples', async () => {
  const conv = (a: Architecture) => nb201.ops(a).filter((op) => op === 'nor_conv_3x3').length;
  const score = (a: Architecture): ScoredArch => ({ arch: a, text: nb201.format(a), accuracy: conv(a), loss: 0, examples: 1 });
  let evolved = 0;
  let random = 0;
  for (let seed = 0; seed < 5; seed++) {
    const gens: number[] = [];
    const r = await evolve(nb201, score, { population: 20, topK: 5, generations: 10, searchSeed: seed }, { onGeneration: (g) => void gens.push(g.bestAccuracy) });
    assert.equal(gens.length, 10);
    for (let i = 1; i < gens.length; i++) assert.ok(gens[i] >= gens[i - 1], 'the best never gets worse');
    assert.ok(r.candidates.length <= 200 && new Set(r.candidates.map((c) => c.text)).size === r.candidates.length);
    evolved += r.candidates[0].accuracy;
    const rng = new Rng(100 + seed);
    random += Math.max(...Array.from({ length: r.candidates.length }, () => conv(nb201.sample(rng))));
  }
  // Random sampling rarely finds 5 of 6 (p = 0.0016 per sample); evolution reaches 6 of 6 or close every time.
  assert.ok(evolved / 5 >= 5.5, `evolution's mean best ${evolved / 5}`);
  assert.ok(random / 5 < evolved / 5 - 1, `random ${random / 5} vs evolution ${evolved / 5}`);
});

test('scoreWithSupernet recalibrates the batch norms of the path (cumulative mean of the calibration batches) and scores in eval mode', { skip: skipNoData }, () => {
  const d = data as OneShotData;
  const live = memory().liveTensors;
  const s = new Supernet('nb201', { ...TINY_NB201, seed: 0 });
  const arch = nb201.parse('|nor_conv_1x1~0|+|nor_conv_3x3~0|skip_connect~1|+|avg_pool_3x3~0|none~1|nor_conv_3x3~2|');
  const stem = s.getSubmodule('stem.1') as nn.BatchNorm2d;
  const on = s.getSubmodule('cells.0.edges.1_0.ops.nor_conv_1x1.op.2') as nn.BatchNorm2d;
  const off = s.getSubmodule('cells.0.edges.1_0.ops.nor_conv_3x3.op.2') as nn.BatchNorm2d;
  noGrad(() => {
    for (const bn of [stem, on, off]) {
      bn.runningMean?.fill_(5);
      bn.runningVar?.fill_(7);
    }
  });
  s.train(true);
  const r = scoreWithSupernet(s, arch, d, { calibBatches: 1, batchSize: 128, seed: 0 });
  assert.ok(r.accuracy >= 0 && r.accuracy <= 1 && Number.isFinite(r.loss));
  assert.equal(r.examples, d.val.images.shape[0], 'up to 8 batches by default: here the whole validation set');
  assert.equal(s.training, true, 'the training flag is put back');
  assert.equal(s.mode.kind, 'softmax', 'the forward mode is put back');
  assert.equal(stem.momentum, 0.1, 'the momentum is put back');
  // With one calibration batch the stem's running mean is exactly that batch's mean of the stem conv's output.
  const want = tidy(() => {
    for (const [x] of new DataLoader([d.train.images, d.train.labels], { batchSize: 128, seed: 0 })) {
      return noGrad(() => ((s.getSubmodule('stem.0') as nn.Module).call(x) as Tensor).mean([0, 2, 3]).dataSync());
    }
    return [];
  });
  const got = (stem.runningMean as Tensor).dataSync();
  assert.equal(got.length, 4);
  for (const [i, v] of got.entries()) assert.ok(Math.abs(v - want[i]) < 1e-4, `channel ${i}: ${v} vs ${want[i]}`);
  assert.equal(stem.numBatchesTracked, 1);
  assert.equal(on.numBatchesTracked, 1, 'the path\'s candidate was calibrated');
  assert.ok((on.runningMean as Tensor).dataSync().every((v) => v !== 5));
  // A candidate off the path is reset (mean 0, variance 1) and never sees a batch.
  assert.deepEqual((off.runningMean as Tensor).dataSync(), [0, 0, 0, 0]);
  assert.deepEqual((off.runningVar as Tensor).dataSync(), [1, 1, 1, 1]);
  assert.equal(off.numBatchesTracked, 0);
  // Same architecture, same calibration images: the same score; more calibration batches change the statistics.
  assert.deepEqual(scoreWithSupernet(s, arch, d, { calibBatches: 1, batchSize: 128, seed: 0 }), r);
  const before2 = (stem.runningVar as Tensor).dataSync();
  scoreWithSupernet(s, arch, d, { calibBatches: 3, batchSize: 64, evalBatches: 1, seed: 0 });
  assert.equal(stem.numBatchesTracked, 3);
  assert.notDeepEqual((stem.runningVar as Tensor).dataSync(), before2);
  assert.throws(() => scoreWithSupernet(s, arch, d, { calibBatches: -1 }), (e: Error) => e instanceof SupernetError && /calibBatches/.test(e.message));
  s.dispose();
  assert.equal(memory().liveTensors, live);
});

test('SPOS end to end on NB201: uniform-path training, then evolution over recalibrated candidates; a valid architecture, flat live tensors', { skip: skipNoData }, async () => {
  const d = data as OneShotData;
  const live = memory().liveTensors;
  const s = new Supernet('nb201', { ...TINY_NB201, seed: 0 });
  const gens: number[] = [];
  const r = await sposSearch(s, d, {
    epochs: 4,
    batchSize: 32,
    lr: 0.1,
    population: 6,
    topK: 3,
    generations: 3,
    calibBatches: 2,
    scoreBatchSize: 96,
    onGeneration: (g) => {
      gens.push(g.scored);
    },
  });
  assert.equal(r.arch.space, 'nb201');
  assert.equal(nb201.format(nb201.parse(r.text)), r.text);
  assert.equal(r.history.length, 4);
  assert.ok(r.history.every((e) => e.arch === '' && e.opWeights.length === 0 && e.valAccuracy === undefined));
  assert.equal(r.history[3].liveTensors, r.history[0].liveTensors, 'live tensors flat from epoch to epoch');
  assert.deepEqual(r.alphas, []);
  assert.equal(r.stopped, false);
  // 6 random, then up to 6 new children per generation; every candidate distinct, best first.
  assert.equal(gens.length, 3);
  assert.equal(gens[0], 6);
  assert.equal(r.candidates.length, gens.reduce((a, b) => a + b, 0));
  assert.equal(new Set(r.candidates.map((c) => c.text)).size, r.candidates.length);
  for (let i = 1; i < r.candidates.length; i++) assert.ok(r.candidates[i - 1].accuracy >= r.candidates[i].accuracy);
  assert.equal(r.text, r.candidates[0].text);
  // Trained weights tell architectures apart, and the best beats chance (10 classes).
  assert.ok(r.candidates[0].accuracy > 0.2, `best supernet accuracy ${r.candidates[0].accuracy}`);
  assert.ok(r.candidates[0].accuracy > r.candidates[r.candidates.length - 1].accuracy);
  // The supernet is left calibrated for the winner: the batch norms of its conv ops saw the 2 calibration batches, the others none.
  const ops = nb201.ops(r.arch);
  for (const [e, [to, from]] of NB201_EDGES.entries()) {
    for (const op of ['nor_conv_1x1', 'nor_conv_3x3']) {
      const bn = s.getSubmodule(`cells.0.edges.${to}_${from}.ops.${op}.op.2`) as nn.BatchNorm2d;
      assert.equal(bn.numBatchesTracked, ops[e] === op ? 2 : 0, `edge ${to}<-${from} ${op}`);
    }
  }
  assert.ok(r.trainSeconds > 0 && r.searchSeconds > 0 && r.seconds >= r.trainSeconds + r.searchSeconds - 0.05);
  s.dispose();
  assert.equal(memory().liveTensors, live);
});

test('SPOS honours the budget (training and search stop, one candidate at least) and the DARTS space', { skip: skipNoData }, async () => {
  const d = data as OneShotData;
  const live = memory().liveTensors;
  const s = new Supernet('darts', { ...TINY_DARTS, seed: 0 });
  const r = await sposSearch(s, d, { epochs: 50, batchSize: 64, budgetSeconds: 1.5, population: 50, generations: 5, calibBatches: 1, evalBatches: 1, scoreBatchSize: 64 });
  assert.equal(r.stopped, true);
  assert.ok(r.history.length < 50);
  assert.ok(r.candidates.length >= 1 && r.candidates.length < 250);
  assert.equal(r.arch.space, 'darts');
  assert.equal(darts.format(darts.parse(r.text)), r.text);
  // An aborted signal still leaves one scored candidate.
  const ac = new AbortController();
  ac.abort();
  const e = await evolveWithSupernet(s, d, { population: 4, calibBatches: 1, evalBatches: 1, batchSize: 32 }, { signal: ac.signal });
  assert.equal(e.candidates.length, 1);
  assert.equal(e.stopped, true);
  await assert.rejects(evolveWithSupernet(s, d, { population: 0 }), (err: Error) => err instanceof SupernetError && /population/.test(err.message));
  s.dispose();
  assert.equal(memory().liveTensors, live);
});
