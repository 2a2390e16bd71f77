import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { type Dataset, loadDataset } from '../../src/data/datasets.js';
import { fashionMnistDir } from '../../src/data/fashion-mnist.js';
import { dispose, memory, setNumThreads } from '../../src/engine/index.js';
import { dartsSearch } from '../../src/oneshot/darts.js';
import { gdasSearch, gdasTau } from '../../src/oneshot/gdas.js';
import { type OneShotResult, runOneShot } from '../../src/oneshot/search.js';
import { Supernet, type SupernetOptions } from '../../src/oneshot/supernet.js';
import { darts, nb201 } from '../../src/space/index.js';
import { Rng } from '../../src/util/rng.js';

// One intra-op thread: the test runner runs two files at once, and tiny convolutions gain nothing from more.
setNumThreads(1);

const haveFashion = existsSync(join(fashionMnistDir(), 'train-images-idx3-ubyte.gz'));
const skip = haveFashion ? false : `Fashion-MNIST is not installed (apt-get install dataset-fashion-mnist; looked in ${fashionMnistDir()})`;

/** 256 Fashion-MNIST images: 128 to train the weights, 128 for the architecture. */
let data: Dataset;
before(() => {
  if (haveFashion) data = loadDataset('fashion-mnist', { trainLimit: 256, valSize: 128, seed: 0, includeTest: false });
});
after(() => {
  if (data) dispose([data.train, data.val ?? []]);
});

const NB: SupernetOptions = { input: [1, 28, 28], channels: 4, cells: 1, seed: 0 };

/** Runs a search on a fresh supernet and checks what every search must do; returns the result and the alphas before. */
async function run(space: 'nb201' | 'darts', o: SupernetOptions, search: (s: Supernet) => Promise<OneShotResult>, epochs: number) {
  const base = memory().liveTensors;
  const s = new Supernet(space, o);
  const before = s.alphaValues();
  const r = await search(s);
  assert.equal(r.history.length, epochs);
  assert.equal(r.stopped, false);
  assert.notDeepEqual(s.alphaValues(), before, 'the alphas moved');
  assert.deepEqual(r.alphas, s.alphaValues());
  const space_ = space === 'nb201' ? nb201 : darts;
  assert.ok(space_.parse(r.text).equals(r.arch), 'the text form reads back as the architecture');
  assert.equal(r.history[r.history.length - 1].arch, r.text);
  for (const e of r.history) {
    assert.ok(Number.isFinite(e.trainLoss) && e.trainLoss > 0 && e.trainAccuracy >= 0 && e.trainAccuracy <= 1);
    assert.ok(e.valLoss !== undefined && Number.isFinite(e.valLoss) && e.valAccuracy !== undefined);
    assert.equal(e.opWeights.length, s.cellTypes.length);
  }
  // Live tensors: the same after every epoch, and back to the start once the supernet is gone.
  assert.equal(new Set(r.history.map((e) => e.liveTensors)).size, 1, `live tensors per epoch: ${r.history.map((e) => e.liveTensors).join(', ')}`);
  s.dispose();
  assert.equal(memory().liveTensors, base);
  return { r, before };
}

test('DARTS (first order) on the NB201 supernet: 2 epochs on 256 Fashion-MNIST images', { skip }, async () => {
  const { r } = await run('nb201', NB, (s) => dartsSearch(s, { train: data.train, val: data.val as Dataset['train'] }, { epochs: 2, batchSize: 32 }), 2);
  assert.ok(r.history[1].lr < r.history[0].lr, 'the cosine schedule lowers the learning rate');
  assert.deepEqual(r.history[0].extra, {});
});

test('DARTS (second order) on the NB201 supernet', { skip }, async () => {
  await run('nb201', NB, (s) => dartsSearch(s, { train: data.train, val: data.val as Dataset['train'] }, { epochs: 2, batchSize: 32, secondOrder: true }), 2);
});

test("DARTS- (the remedy): beta falls from 1 to 0 across the search and changes the search's path", { skip }, async () => {
  const opts = { epochs: 2, batchSize: 32, archLr: 3e-3 };
  const plain = await run('nb201', NB, (s) => dartsSearch(s, { train: data.train, val: data.val as Dataset['train'] }, opts), 2);
  const minus = await run('nb201', NB, (s) => dartsSearch(s, { train: data.train, val: data.val as Dataset['train'] }, { ...opts, remedy: 'darts-' }), 2);
  assert.deepEqual(plain.before, minus.before, 'same seed, same start');
  // 4 steps per epoch: beta after epoch 1 (4 of 8 steps) is 0.5, after epoch 2 it is 0.
  assert.deepEqual(
    minus.r.history.map((e) => e.extra.beta),
    [0.5, 0],
  );
  const diff = Math.max(...minus.r.alphas[0].flat().map((v, i) => Math.abs(v - plain.r.alphas[0].flat()[i])));
  assert.ok(diff > 1e-4, `the auxiliary skip changes where the alphas go (max difference ${diff})`);
  assert.notEqual(minus.r.history[0].trainLoss, plain.r.history[0].trainLoss);
});

test('GDAS on the NB201 supernet: the temperature goes from 10 to 0.1', { skip }, async () => {
  const { r } = await run('nb201', NB, (s) => gdasSearch(s, { train: data.train, val: data.val as Dataset['train'] }, { epochs: 3, batchSize: 32 }), 3);
  assert.deepEqual(
    r.history.map((e) => e.extra.tau),
    [10, 5.05, 0.1],
  );
  assert.equal(gdasTau(1, 1), 10);
});

test('DARTS and GDAS on a reduced DARTS supernet (C=4, 3 cells)', { skip, timeout: 300_000 }, async () => {
  const small = { train: { images: data.train.images.narrow(0, 0, 32), labels: data.train.labels.narrow(0, 0, 32) }, val: { images: (data.val as Dataset['train']).images.narrow(0, 0, 32), labels: (data.val as Dataset['train']).labels.narrow(0, 0, 32) } };
  const o = { input: [1, 28, 28] as [number, number, number], channels: 4, cells: 3, seed: 0 };
  for (const search of [(s: Supernet) => dartsSearch(s, small, { epochs: 1, batchSize: 16 }), (s: Supernet) => gdasSearch(s, small, { epochs: 1, batchSize: 16 })]) {
    const { r } = await run('darts', o, search, 1);
    const g = darts.genotype(r.arch);
    assert.equal(g.normal.length, 8);
    assert.ok(!r.text.includes('none'));
  }
  dispose(small);
});

test('stopping: onEpoch returning stop, an abort signal, a time budget; bad options are one-line errors', { skip }, async () => {
  const s = new Supernet('nb201', NB);
  const d = { train: data.train, val: data.val as Dataset['train'] };
  let r = await dartsSearch(s, d, { epochs: 5, batchSize: 64, onEpoch: () => 'stop' });
  assert.equal(r.history.length, 1);
  assert.equal(r.stopped, true);
  const ac = new AbortController();
  ac.abort();
  r = await gdasSearch(s, d, { epochs: 5, batchSize: 64, signal: ac.signal });
  assert.equal(r.stopped, true);
  assert.equal(r.history.length, 1);
  r = await dartsSearch(s, d, { epochs: 5, batchSize: 64, budgetSeconds: 1e-6 });
  assert.equal(r.stopped, true);
  // Under a budget the cosine schedule follows the time: each epoch of a 10,000-epoch search given 3 s
  // starts at the learning rate of the share of the time used (not of the epochs done), less a little
  // slack for the time between epochs.
  r = await dartsSearch(s, d, { epochs: 10_000, batchSize: 64, lr: 0.025, budgetSeconds: 3 });
  assert.equal(r.stopped, true);
  assert.ok(r.history.length >= 2 && r.history.length < 10_000, `${r.history.length} epochs in 3 s`);
  let used = 0;
  for (const e of r.history) {
    const bound = 0.001 + (0.024 * (1 + Math.cos(Math.PI * Math.min(1, (0.95 * used) / 3)))) / 2;
    assert.ok(e.lr <= bound + 1e-9, `epoch ${e.epoch} started ${used.toFixed(2)} s in at lr ${e.lr}; the time's lr is ${bound}`);
    used += e.seconds;
  }
  await assert.rejects(dartsSearch(s, d, { epochs: 0 }), /epochs must be a positive integer/);
  await assert.rejects(dartsSearch(s, d, { epochs: 1, batchSize: 2.5 }), /batchSize must be an integer/);
  await assert.rejects(dartsSearch(s, { train: data.train } as never, { epochs: 1 }), /needs data.train .* and data.val/);
  await assert.rejects(dartsSearch(s, d, { epochs: 1, remedy: 'pc' as never }), /unknown DARTS remedy 'pc'/);
  await assert.rejects(gdasSearch(s, d, { epochs: 1, tauMin: 20 }), /tauMin <= tauMax/);
  s.dispose();
});

test('the skeleton runs a method without alphas: uniform single-path weight training (as SPOS) with its own derive', { skip }, async () => {
  const base = memory().liveTensors;
  const s = new Supernet('nb201', NB);
  const alphas = s.alphaValues();
  const rng = new Rng(7);
  const picked: string[] = [];
  const fixed = nb201.parse('|nor_conv_3x3~0|+|nor_conv_3x3~0|nor_conv_3x3~1|+|skip_connect~0|nor_conv_3x3~1|nor_conv_3x3~2|');
  const r = await runOneShot(
    s,
    { train: data.train, val: data.val as Dataset['train'] },
    {
      name: 'uniform-path',
      order: 'weights-first',
      weightMode: () => {
        const a = nb201.sample(rng);
        picked.push(nb201.format(a));
        return { kind: 'path', choice: s.choiceOf(a) };
      },
      derive: () => fixed,
    },
    { epochs: 2, batchSize: 32 },
  );
  assert.equal(picked.length, 8, 'one path per step');
  assert.ok(new Set(picked).size > 1);
  assert.deepEqual(s.alphaValues(), alphas, 'no architecture step, the alphas stay');
  assert.equal(r.history[0].valLoss, undefined);
  assert.equal(r.text, nb201.format(fixed));
  assert.equal(r.history[1].arch, r.text);
  assert.ok(r.history[1].trainLoss < r.history[0].trainLoss + 0.5);
  s.dispose();
  assert.equal(memory().liveTensors, base);
});
