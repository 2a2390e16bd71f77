import assert from 'node:assert/strict';
import { test } from 'node:test';
import { type Tensor, cpuHasBfloat16, dispose, manualSeed, memory, nn, randn, tensor, tidy } from '../../src/engine/index.js';
import { baselineCnn } from '../../src/estimate/baseline.js';
import { type BatchProgress, type EpochResult, evaluateClassifier, resolvePrecision, trainClassifier } from '../../src/estimate/train.js';

/** n images 1x8x8 of noise; class k (0..3) has a bright k-th quadrant. */
function quadrants(n: number, seed: number): { images: Tensor; labels: Tensor } {
  manualSeed(seed);
  return tidy(() => {
    const labels = new BigInt64Array(n);
    const mask = new Float32Array(n * 64);
    for (let i = 0; i < n; i++) {
      const k = (i * 7 + seed) % 4;
      labels[i] = BigInt(k);
      const r0 = k < 2 ? 0 : 4;
      const c0 = k % 2 ? 4 : 0;
      for (let r = r0; r < r0 + 4; r++) for (let c = c0; c < c0 + 4; c++) mask[i * 64 + r * 8 + c] = 1.5;
    }
    const images = randn([n, 1, 8, 8]).mul(0.5).add(tensor(mask, { shape: [n, 1, 8, 8] }));
    return { images, labels: tensor(labels) };
  });
}

function mlp(): nn.Sequential {
  return new nn.Sequential(new nn.Flatten(), new nn.Linear(64, 32), new nn.ReLU(), new nn.Linear(32, 4));
}

test('trainClassifier learns, reports each epoch and batch, and keeps live tensors flat', async () => {
  const train = quadrants(512, 1);
  const val = quadrants(128, 2);
  const test_ = quadrants(128, 3);
  manualSeed(0);
  const model = mlp();
  const base = memory().liveTensors;
  const epochs: EpochResult[] = [];
  const batches: BatchProgress[] = [];
  const result = await trainClassifier(
    model,
    { train, val, test: test_ },
    { epochs: 4, batchSize: 32, lr: 0.05, seed: 0 },
    { onEpoch: (e) => epochs.push(e), onBatch: (b) => batches.push(b) },
  );
  assert.equal(result.epochs.length, 4);
  assert.deepEqual(epochs, result.epochs);
  assert.equal(batches.length, 4 * 16);
  assert.deepEqual(batches[0], { ...batches[0], epoch: 1, epochs: 4, batch: 1, batches: 16 });
  assert.ok(result.epochs[3].trainLoss < result.epochs[0].trainLoss, 'the loss falls');
  assert.ok((result.epochs[3].valAccuracy ?? 0) > 0.95, `val accuracy ${result.epochs[3].valAccuracy}`);
  assert.ok((result.test?.accuracy ?? 0) > 0.95, `test accuracy ${result.test?.accuracy}`);
  assert.equal(result.test?.total, 128);
  assert.equal(result.epochs[3].lr, 0, 'cosine schedule ends at zero');
  assert.deepEqual(result.epochs.map((e) => e.last), [false, false, false, true], 'only the fourth of 4 epochs is the last');
  const live = result.epochs.map((e) => e.liveTensors);
  assert.ok(live.every((v) => v === live[0]), `live tensors flat across epochs: ${live.join(', ')}`);
  assert.ok(live[0] <= base + 8, `few tensors beyond the model's (momentum buffers live natively): ${live[0]} vs ${base}`);
  assert.equal(memory().liveTensors, base, 'nothing left behind after training');
  model.dispose();
  dispose([train, val, test_]);
});

test('the same seed gives the same run', async () => {
  const train = quadrants(128, 4);
  const run = async () => {
    manualSeed(11);
    const m = mlp();
    const r = await trainClassifier(m, { train }, { epochs: 2, batchSize: 16, seed: 3, augment: false });
    m.dispose();
    return r.epochs.map((e) => e.trainLoss);
  };
  assert.deepEqual(await run(), await run());
  dispose(train);
});

test('bfloat16 mixed precision trains a CNN as well as float32 here, its weights staying float32; bad precisions are refused', async () => {
  const train = quadrants(512, 12);
  const val = quadrants(128, 13);
  const run = async (precision: 'float32' | 'bfloat16') => {
    manualSeed(5);
    const model = baselineCnn({ widths: [4, 8, 8], numClasses: 4, hidden: 16, imageSize: 8 });
    const base = memory().liveTensors;
    const r = await trainClassifier(model, { train, val }, { epochs: 4, batchSize: 32, lr: 0.05, seed: 2, precision });
    assert.equal(memory().liveTensors, base, 'nothing left behind (autocast copies included)');
    for (const p of model.parameters()) assert.equal(p.dtype, 'float32');
    model.dispose();
    return r.epochs.map((e) => e.trainLoss);
  };
  const full = await run('float32');
  const mixed = await run('bfloat16');
  assert.ok(mixed[3] < mixed[0] / 2, `the mixed-precision loss falls: ${mixed.join(', ')}`);
  assert.ok(Math.abs(mixed[3] - full[3]) < 0.1 + 0.2 * full[3], `final losses close: ${mixed[3]} vs ${full[3]}`);
  assert.notDeepEqual(mixed, full, 'bfloat16 rounding shows in the losses');
  const m = mlp();
  await assert.rejects(trainClassifier(m, { train }, { epochs: 1, precision: 'float16' as never }), /precision must be one of float32, bfloat16, got 'float16'/);
  m.dispose();
  dispose([train, val]);
});

test("resolvePrecision: 'auto' is bfloat16 only for a CPU with bfloat16 instructions", () => {
  assert.equal(resolvePrecision('auto'), cpuHasBfloat16() ? 'bfloat16' : 'float32');
  assert.equal(resolvePrecision('auto', 'cuda'), 'float32');
  assert.equal(resolvePrecision('bfloat16', 'cuda'), 'bfloat16');
  assert.equal(resolvePrecision('float32'), 'float32');
});

test('evaluateClassifier uses eval mode without gradients and restores the mode', () => {
  const data = quadrants(64, 5);
  const model = baselineCnn({ widths: [4, 8, 8], numClasses: 4, hidden: 16, imageSize: 8 });
  let sawEval = false;
  model.registerForwardHook((m) => {
    sawEval = !m.training;
  });
  const base = memory().liveTensors;
  const r = evaluateClassifier(model, data, { batchSize: 10 });
  assert.ok(sawEval);
  assert.ok(model.training, 'back in training mode');
  assert.equal(r.total, 64);
  assert.equal(r.correct, Math.round(r.accuracy * 64));
  assert.ok(Number.isFinite(r.loss));
  assert.equal(memory().liveTensors, base);
  for (const p of model.parameters()) assert.equal(p.grad, null);
  model.dispose();
  dispose(data);
});

test('augmentation, warm-up, Adam and early stop via an abort signal', async () => {
  const train = quadrants(256, 6);
  const model = baselineCnn({ widths: [4, 8, 8], numClasses: 4, hidden: 16, imageSize: 8 });
  const ac = new AbortController();
  const r = await trainClassifier(
    model,
    { train },
    { epochs: 3, batchSize: 32, optimizer: 'adam', lr: 1e-2, warmupEpochs: 0.5, augment: true },
    {
      onBatch: (b) => {
        if (b.epoch === 2 && b.batch === 3) ac.abort();
      },
      signal: ac.signal,
    },
  );
  assert.equal(r.stopped, true);
  assert.equal(r.epochs.length, 2);
  model.dispose();
  dispose(train);
});

test('augmentation flips unless the recipe says flip: false (data a mirror changes: here left and right quadrants)', async () => {
  const train = quadrants(512, 8);
  const accuracy = async (flip: boolean | undefined): Promise<number> => {
    manualSeed(4);
    const model = mlp();
    const r = await trainClassifier(model, { train, val: train }, { epochs: 6, batchSize: 32, lr: 0.05, augment: true, cropPadding: 0, ...(flip === undefined ? {} : { flip }), seed: 1 });
    model.dispose();
    return r.epochs.at(-1)?.valAccuracy ?? Number.NaN;
  };
  const without = await accuracy(false);
  const flipped = await accuracy(undefined);
  // Flips turn each class into its mirror half of the time, so left and right cannot be told apart.
  assert.ok(without > 0.9, `without flips the quadrants are learnt: ${without}`);
  assert.ok(flipped < 0.75, `with flips, left and right quadrants are confused: ${flipped}`);
  dispose(train);
});

test('a time budget ends training after the batch that uses it up, with the schedule at its end', async () => {
  const train = quadrants(256, 8);
  manualSeed(0);
  const model = mlp();
  // Each batch takes at least 30 ms, so 0.3 s is about 10 batches of the 10,000 that 1000 epochs would be.
  const busy = (ms: number) => {
    const end = performance.now() + ms;
    while (performance.now() < end) {}
  };
  const lrs: number[] = [];
  const t0 = performance.now();
  const r = await trainClassifier(model, { train }, { epochs: 1000, batchSize: 32, lr: 0.05, seconds: 0.3 }, {
    onBatch: (b) => {
      lrs.push(b.lr);
      busy(30);
    },
  });
  const took = (performance.now() - t0) / 1000;
  assert.equal(r.stopped, false, 'running out of time is the normal end, not a stop');
  assert.ok(r.epochs.length >= 1 && r.epochs.length <= 3, `epochs ${r.epochs.length}`);
  assert.ok(lrs.length >= 5 && lrs.length < 40, `batches ${lrs.length}`);
  assert.ok(took < 2, `took ${took} s`);
  assert.ok(lrs[1] < 0.05 * 0.99 && lrs[1] > 0.03, `the schedule follows the time: second batch's rate ${lrs[1]}`);
  assert.ok(lrs.every((v, i) => i === 0 || v <= lrs[i - 1]), 'the rate only falls');
  assert.equal(lrs[lrs.length - 1], 0, 'cosine schedule ends at zero when the time is up');
  assert.deepEqual(r.epochs.map((e) => e.last), r.epochs.map((_, i) => i === r.epochs.length - 1), 'the epoch in which the time ran out is the last');
  await assert.rejects(trainClassifier(model, { train }, { epochs: 1, seconds: 0 }), /seconds must be a positive number/);
  model.dispose();
  dispose(train);
});

test('warmupFraction warms the rate up over that fraction of the batches, or of the time with a time budget', async () => {
  const train = quadrants(256, 9);
  manualSeed(0);
  const model = mlp();
  const rates = async (recipe: Parameters<typeof trainClassifier>[2], busyMs = 0) => {
    const lrs: number[] = [];
    await trainClassifier(model, { train }, recipe, {
      onBatch: (b) => {
        lrs.push(b.lr);
        const end = performance.now() + busyMs;
        while (performance.now() < end) {}
      },
    });
    return lrs;
  };
  // 4 epochs of 8 batches: the first quarter (8 batches) rises to the peak, then cosine to zero.
  const byBatch = await rates({ epochs: 4, batchSize: 32, lr: 0.05, warmupFraction: 0.25 });
  assert.equal(byBatch.length, 32);
  const peak = byBatch.indexOf(Math.max(...byBatch));
  assert.equal(peak, 7, `the peak comes when the warm-up ends: batch ${peak + 1}`);
  assert.ok(Math.abs(byBatch[peak] - 0.05) < 1e-6, `peak rate ${byBatch[peak]}`);
  assert.ok(byBatch.slice(0, 8).every((v, i) => i === 0 || v > byBatch[i - 1]), 'rising during the warm-up');
  assert.ok(byBatch.slice(8).every((v, i) => v <= byBatch[7 + i]), 'falling after it');
  assert.ok(byBatch[0] < 0.05 * 0.25, `the first batch's rate ${byBatch[0]}`);
  // A time budget: the warm-up takes the first half of the time, whatever the number of batches.
  const byTime = await rates({ epochs: 1000, batchSize: 32, lr: 0.05, seconds: 0.6, warmupFraction: 0.5 }, 30);
  const top = byTime.indexOf(Math.max(...byTime));
  assert.ok(byTime.length >= 8, `batches ${byTime.length}`);
  assert.ok(top >= byTime.length * 0.3 && top <= byTime.length * 0.7, `the peak at batch ${top + 1} of ${byTime.length}`);
  assert.ok(byTime[top] > 0.05 * 0.9 && byTime[0] < 0.05 * 0.5, `rates ${byTime.map((v) => v.toFixed(3)).join(' ')}`);
  assert.equal(byTime[byTime.length - 1], 0, 'the schedule ends at zero when the time is up');
  model.dispose();
  dispose(train);
});

test('bad recipes are rejected before any work', async () => {
  const train = quadrants(16, 7);
  const model = mlp();
  await assert.rejects(trainClassifier(model, { train }, { epochs: 0 }), /epochs must be a positive integer, got 0/);
  await assert.rejects(trainClassifier(model, { train }, { epochs: 1, lr: -1 }), /lr must be a positive number/);
  await assert.rejects(trainClassifier(model, { train }, { epochs: 1, batchSize: 2.5 }), /batchSize must be an integer/);
  await assert.rejects(trainClassifier(model, { train }, { epochs: 1, warmupFraction: 1 }), /warmupFraction must be in \[0, 1\), got 1/);
  await assert.rejects(trainClassifier(model, { train }, { epochs: 1, warmupFraction: 0.1, warmupEpochs: 1 }), /give warmupEpochs or warmupFraction, not both/);
  await assert.rejects(
    trainClassifier(model, { train }, { epochs: 1, optimizer: 'lbfgs' as 'sgd' }),
    /unknown optimizer 'lbfgs'/,
  );
  model.dispose();
  dispose(train);
});
