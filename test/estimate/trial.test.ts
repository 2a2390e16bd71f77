import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { loadDataset } from '../../src/data/datasets.js';
import { FASHION_MNIST_DIR } from '../../src/data/fashion-mnist.js';
import { type Tensor, dispose, loadSafetensors, manualSeed, memory, nn, randint, randn, setNumThreads, tidy } from '../../src/engine/index.js';
import { ARCH_METADATA_KEY } from '../../src/estimate/inherit.js';
import { trainClassifier } from '../../src/estimate/train.js';
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
  // The data layer's Dataset is a TrialData as it is.
  data = loadDataset('fashion-mnist', { trainLimit: 2500, valSize: 500, seed: 0, includeTest: false });
});

after(() => {
  if (data) dispose([data.train, data.val ?? []]);
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
    again.curve.map(({ seconds: _, trainSeconds: __, ...p }) => p),
    cheap.curve.map(({ seconds: _, trainSeconds: __, ...p }) => p),
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

/** Main and auxiliary logits from separate linear heads, like a GraphNetwork with an `aux` output. */
class TwoHeads extends nn.Module {
  main = new nn.Linear(16, 4);
  aux = new nn.Linear(16, 4);
  override forward(x: Tensor): Tensor {
    return this.main.call(x.flatten(1));
  }
  forwardWithAux(x: Tensor): { logits: Tensor; aux: Tensor | null } {
    const f = x.flatten(1);
    return { logits: this.main.call(f), aux: this.training ? this.aux.call(f) : null };
  }
}

test('the loop trains an auxiliary head with its weight, clips gradients and applies cutout', async () => {
  const live = memory().liveTensors;
  manualSeed(0);
  const train = { images: randn([64, 1, 4, 4]), labels: randint(0, 4, [64]) };
  const run = async (recipe: Record<string, number>) => {
    manualSeed(1);
    const m = new TwoHeads();
    const before = [m.main.weight.clone(), m.aux.weight.clone()];
    const r = await trainClassifier(m, { train }, { epochs: 1, batchSize: 16, lr: 0.1, momentum: 0, weightDecay: 0, ...recipe });
    const moved = tidy(() => [m.main.weight, m.aux.weight].map((w, i) => w.sub(before[i]).norm().item()));
    dispose(before);
    m.dispose();
    return { moved, loss: r.epochs[0].trainLoss };
  };
  const withAux = await run({});
  const noAux = await run({ auxWeight: 0 });
  assert.ok(withAux.moved[1] > 1e-3, `the auxiliary head learns: ${withAux.moved[1]}`);
  assert.equal(noAux.moved[1], 0, 'auxWeight 0: the auxiliary head is not trained');
  assert.ok(noAux.moved[0] > 1e-3);
  // Gradient norm clipped to 1e-4 for 4 steps of lr 0.1 without momentum: each step moves all parameters by at most 1e-5.
  const clipped = await run({ gradClipNorm: 1e-4 });
  assert.ok(clipped.moved[0] <= 4e-5 * 1.001 && clipped.moved[0] > 0, `clipped steps: ${clipped.moved[0]}`);
  const cut = await run({ cutout: 2 });
  assert.notEqual(cut.loss, withAux.loss, 'cutout changes the training batches');
  dispose(train);
  assert.equal(memory().liveTensors, live);
});
