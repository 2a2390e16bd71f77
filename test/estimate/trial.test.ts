import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { FASHION_MNIST_DIR, loadFashionMnist } from '../../src/data/fashion-mnist.js';
import { trainValSplit } from '../../src/data/loader.js';
import { dispose, loadSafetensors, memory, setNumThreads } from '../../src/engine/index.js';
import { ARCH_METADATA_KEY } from '../../src/estimate/inherit.js';
import { type TrialCurvePoint, type TrialData, type TrialSpec, trainArchitecture } from '../../src/estimate/trial.js';
import { nb201 } from '../../src/space/index.js';

// One intra-op thread: the test runner runs two files at once, and tiny convolutions gain nothing from more.
setNumThreads(1);

const haveFashion = existsSync(join(FASHION_MNIST_DIR, 't10k-images-idx3-ubyte.gz'));
const skip = haveFashion ? false : `Fashion-MNIST is not installed (apt-get install dataset-fashion-mnist; looked in ${FASHION_MNIST_DIR})`;

/** 2000 training images for training, 500 for validation: small enough for seconds per epoch. */
let data: TrialData;
let dir: string;

before(() => {
  dir = mkdtempSync(join(tmpdir(), 'loom-trial-'));
  if (!haveFashion) return;
  const fm = loadFashionMnist({ trainLimit: 2500, testLimit: 1 });
  const { train, val } = trainValSplit(fm.train, { valSize: 500, seed: 0 });
  dispose([fm.train, fm.test]);
  data = { train, val, numClasses: fm.classes.length, inputShape: fm.inputShape };
});

after(() => {
  if (data) dispose([data.train, data.val]);
  rmSync(dir, { recursive: true, force: true });
});

const ARCH = nb201.parse('|nor_conv_3x3~0|+|nor_conv_3x3~0|skip_connect~1|+|skip_connect~0|nor_conv_1x1~1|nor_conv_3x3~2|').toJSON();

const spec = (over: Partial<TrialSpec> = {}): TrialSpec => ({
  arch: ARCH,
  network: { channels: 4, cells: 1 },
  recipe: { epochs: 2, batchSize: 64, lr: 0.05 },
  seed: 0,
  ...over,
});

test('a real short training of an NB201 network learns Fashion-MNIST, records its curve, saves its weights and leaks nothing', { skip }, async () => {
  const live = memory().liveTensors;
  const points: TrialCurvePoint[] = [];
  const path = join(dir, 'trained.safetensors');
  const r = await trainArchitecture(spec({ recipe: { epochs: 2, batchSize: 64, lr: 0.05 }, saveTo: path }), data, {
    onEpoch: (p) => {
      points.push(p);
    },
  });
  assert.equal(r.status, 'ok', r.reason);
  assert.equal(r.epochs, 2);
  assert.deepEqual(points, r.curve);
  assert.deepEqual(
    r.curve.map((p) => p.epoch),
    [1, 2],
  );
  assert.ok(r.valAcc > 0.5, `validation accuracy ${r.valAcc} clearly above chance (0.1)`);
  assert.equal(r.valAcc, r.curve[1].valAcc);
  assert.ok(r.curve[1].trainLoss < r.curve[0].trainLoss, 'the training loss falls');
  assert.equal(r.curve[1].lr, 0, 'the cosine schedule spans the trial');
  assert.ok(r.params > 1000 && r.flops > r.params, `params ${r.params}, flops ${r.flops}`);
  assert.equal(r.trainExamples, 2000);
  assert.equal(r.batchesPerEpoch, 32);
  assert.deepEqual(r.network, { input: [1, 28, 28], classes: 10, channels: 4, cells: 1 });
  assert.ok(r.seconds >= r.curve.reduce((s, p) => s + p.seconds, 0));
  const file = loadSafetensors(path);
  assert.deepEqual(JSON.parse(file.metadata[ARCH_METADATA_KEY]), ARCH);
  assert.ok(file.has('stem.0.weight') && file.has('classifier.bias'));
  file.dispose();
  assert.equal(memory().liveTensors, live, 'no tensor left behind');
});

test('fidelity overrides the recipe and the network: epochs, data fraction, channels and cells', { skip }, async () => {
  const live = memory().liveTensors;
  // (The first test trains on all 2000 examples, 32 batches of 64.)
  const full = await trainArchitecture(spec({ recipe: { epochs: 2, batchSize: 100 }, fidelity: { dataFraction: 0.25 } }), data);
  const cheap = await trainArchitecture(spec({ recipe: { epochs: 2, batchSize: 100 }, fidelity: { epochs: 1, dataFraction: 0.1 } }), data);
  assert.equal(full.curve.length, 2);
  assert.equal(cheap.curve.length, 1);
  assert.equal(full.trainExamples, 500);
  assert.equal(cheap.trainExamples, 200);
  assert.equal(full.batchesPerEpoch, 5);
  assert.equal(cheap.batchesPerEpoch, 2);
  const narrow = await trainArchitecture(spec({ network: { channels: 8, cells: 2 }, fidelity: { epochs: 1, dataFraction: 0.05, channels: 4, cells: 1 } }), data);
  const wide = await trainArchitecture(spec({ network: { channels: 4, cells: 1 }, fidelity: { epochs: 1, dataFraction: 0.05, channels: 8, cells: 2 } }), data);
  assert.deepEqual(narrow.network, { input: [1, 28, 28], classes: 10, channels: 4, cells: 1 });
  assert.deepEqual(wide.network, { input: [1, 28, 28], classes: 10, channels: 8, cells: 2 });
  assert.equal(narrow.params, full.params, 'fidelity channels/cells replace the network settings');
  assert.ok(wide.params > 3 * narrow.params, `more channels and cells, more parameters: ${wide.params} vs ${narrow.params}`);
  assert.ok(wide.flops > 3 * narrow.flops);
  // The same seed gives the same subset and the same run.
  const again = await trainArchitecture(spec({ recipe: { epochs: 2, batchSize: 100 }, fidelity: { epochs: 1, dataFraction: 0.1 } }), data);
  assert.deepEqual(
    again.curve.map(({ seconds: _, ...p }) => p),
    cheap.curve.map(({ seconds: _, ...p }) => p),
  );
  assert.equal(memory().liveTensors, live);
});

test('a diverging trial fails at once with the reason, and a NaN loss too', { skip }, async () => {
  const live = memory().liveTensors;
  const r = await trainArchitecture(spec({ recipe: { epochs: 5, batchSize: 64, lr: 1e6, momentum: 0 } }), data);
  assert.equal(r.status, 'failed');
  assert.match(r.reason ?? '', /diverged/);
  assert.equal(r.curve.length, 0, 'ended within the first epoch');
  assert.ok(Number.isNaN(r.valAcc));
  assert.ok(!Number.isFinite(r.trainLoss) || r.trainLoss > 100, `the offending loss ${r.trainLoss}`);
  // No bound: the loss runs on to NaN or infinity, which ends the trial just the same.
  const nan = await trainArchitecture(spec({ recipe: { epochs: 5, batchSize: 64, lr: 1e6, momentum: 0, maxLoss: Number.MAX_VALUE } }), data);
  assert.equal(nan.status, 'failed');
  assert.match(nan.reason ?? '', /diverged: the loss became (NaN|Infinity|-Infinity)/);
  assert.equal(memory().liveTensors, live);
});

test("onEpoch returning 'stop' ends the trial as stopped; an invalid architecture fails; bad fidelity throws", { skip }, async () => {
  const live = memory().liveTensors;
  const r = await trainArchitecture(spec({ recipe: { epochs: 4, batchSize: 100 }, fidelity: { dataFraction: 0.1 } }), data, {
    onEpoch: (p) => (p.epoch === 2 ? 'stop' : undefined),
  });
  assert.equal(r.status, 'stopped');
  assert.equal(r.curve.length, 2);
  assert.equal(r.epochs, 2);
  assert.equal(r.valAcc, r.curve[1].valAcc);
  const bad = await trainArchitecture(spec({ arch: { space: 'nb201', values: { 'edge.1_0': 'conv_9x9' } } }), data);
  assert.equal(bad.status, 'failed');
  assert.match(bad.reason ?? '', /invalid architecture/);
  await assert.rejects(trainArchitecture(spec({ fidelity: { dataFraction: 0 } }), data), /dataFraction/);
  await assert.rejects(trainArchitecture(spec({ fidelity: { epochs: 1.5 } }), data), /epochs/);
  assert.equal(memory().liveTensors, live);
});
