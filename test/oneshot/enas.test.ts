import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { memory, type nn, setNumThreads } from '../../src/engine/index.js';
import { enasController, enasSearch } from '../../src/oneshot/enas.js';
import type { OneShotData } from '../../src/oneshot/search.js';
import { Supernet, SupernetError } from '../../src/oneshot/supernet.js';
import { darts, nb201 } from '../../src/space/index.js';
import { TINY_DARTS, TINY_NB201, freeData, skipNoData, tinyFashion } from './tiny-data.js';

setNumThreads(1);

let data: OneShotData | undefined;
before(() => {
  if (!skipNoData) data = tinyFashion();
});
after(() => freeData(data));

test('the ENAS controller (Loom\'s REINFORCE LSTM) samples valid architectures of both cell spaces and learns from rewards', () => {
  const live = memory().liveTensors;
  const sd = new Supernet('darts', { ...TINY_DARTS, seed: 0 });
  const cd = enasController(sd, { epochs: 1 });
  for (const a of cd.ask(5)) {
    assert.equal(darts.format(darts.parse(darts.format(a.arch))), darts.format(a.arch));
    sd.choiceOf(a.arch);
  }
  sd.dispose();
  // Reward: the share of NB201 edges that hold a 3x3 convolution. With ENAS's defaults (10 rewards
  // per update, lr 3.5e-3) 400 samples move the policy well above the uniform 20%.
  const s = new Supernet('nb201', { ...TINY_NB201, seed: 0 });
  const c = enasController(s, { epochs: 1, seed: 1 });
  const share = (n: number, tell: boolean) => {
    let k = 0;
    for (let i = 0; i < n; i++) {
      const [a] = c.ask(1);
      const conv = nb201.ops(a.arch).filter((op) => op === 'nor_conv_3x3').length / 6;
      k += conv;
      if (tell) c.tell(a.id, { value: conv });
    }
    return k / n;
  };
  const first = share(100, true);
  share(300, true);
  const last = share(100, false);
  assert.ok(last > first + 0.1 && last > 0.35, `3x3 share ${first} -> ${last}`);
  s.dispose();
  assert.equal(memory().liveTensors, live);
  assert.throws(
    () => enasController(s, { epochs: 1, controllerLr: -1 }),
    (e: Error) => e instanceof SupernetError && /^ENAS: controllerLr must be at least 0/.test(e.message),
  );
});

test('ENAS end to end on NB201: shared weights on sampled paths, controller on validation rewards; derivation from samples', { skip: skipNoData }, async () => {
  const d = data as OneShotData;
  const live = memory().liveTensors;
  const s = new Supernet('nb201', { ...TINY_NB201, seed: 0 });
  const r = await enasSearch(s, d, { epochs: 4, batchSize: 32, lr: 0.1, controllerBatch: 3, deriveSamples: 6, seed: 0 });
  assert.equal(r.arch.space, 'nb201');
  assert.equal(nb201.format(r.arch), r.text);
  assert.equal(r.history.length, 4);
  for (const e of r.history) {
    assert.equal(nb201.format(nb201.parse(e.arch)), e.arch);
    assert.ok(e.extra.reward >= 0 && e.extra.reward <= 1);
    // Every step rewarded one sample: the mean reward is the epoch's validation accuracy.
    assert.ok(e.valAccuracy !== undefined && e.valAccuracy >= 0 && e.valAccuracy <= 1);
    assert.ok(Number.isFinite(e.trainLoss));
  }
  assert.equal(r.history[3].liveTensors, r.history[0].liveTensors, 'live tensors flat from epoch to epoch');
  assert.ok(r.derived.length >= 1 && r.derived.length <= 6);
  assert.equal(r.derived[0].text, r.text);
  for (let i = 1; i < r.derived.length; i++) assert.ok(r.derived[i - 1].reward >= r.derived[i].reward);
  assert.deepEqual(r.alphas, []);
  // ENAS's phases: after each epoch's 12 weight steps (384 images at 32), ceil(12 / 3) = 4 controller updates of 3 samples.
  assert.equal(r.controllerSamples, 4 * 12);
  assert.ok(r.history.every((e) => e.extra.controllerSeconds > 0));
  // The batch norms are left calibrated for the result: the stem's saw the 3 calibration batches (384 images at 128) and nothing after.
  assert.equal((s.getSubmodule('stem.1') as nn.BatchNorm2d).numBatchesTracked, 3);
  // Shared weights trained on paths beat chance on validation batches.
  assert.ok(r.derived[0].reward > 0.2, `best reward ${r.derived[0].reward}`);
  s.dispose();
  assert.equal(memory().liveTensors, live);
});

test('ENAS with the alternate schedule rewards one controller sample per weight step', { skip: skipNoData }, async () => {
  const d = data as OneShotData;
  const live = memory().liveTensors;
  const s = new Supernet('nb201', { ...TINY_NB201, seed: 0 });
  const r = await enasSearch(s, d, { epochs: 1, batchSize: 64, schedule: 'alternate', controllerBatch: 2, deriveSamples: 3 });
  assert.equal(r.controllerSamples, 6, '384 images at 64: 6 steps');
  assert.ok(r.history[0].valAccuracy !== undefined && r.history[0].extra.controllerSeconds === undefined);
  assert.equal(nb201.format(r.arch), r.text);
  await assert.rejects(enasSearch(s, d, { epochs: 1, schedule: 'both' as 'phases' }), (e: Error) => e instanceof SupernetError && /schedule/.test(e.message));
  s.dispose();
  assert.equal(memory().liveTensors, live);
});

test('ENAS stops on an aborted signal, and on a budget (DARTS space)', { skip: skipNoData }, async () => {
  const d = data as OneShotData;
  const s = new Supernet('nb201', { ...TINY_NB201, seed: 0 });
  const ac = new AbortController();
  ac.abort();
  const r = await enasSearch(s, d, { epochs: 20, batchSize: 64, signal: ac.signal, deriveSamples: 2 });
  assert.equal(r.stopped, true);
  assert.equal(r.history.length, 1, 'stops after the first step');
  s.dispose();
  // The DARTS space: the controller picks each node's two inputs and two ops; the budget ends it.
  const sd = new Supernet('darts', { ...TINY_DARTS, seed: 0 });
  const b = await enasSearch(sd, d, { epochs: 200, batchSize: 64, budgetSeconds: 1.5, deriveSamples: 2 });
  assert.equal(b.stopped, true);
  assert.ok(b.history.length >= 1 && b.history.length < 200);
  assert.equal(b.arch.space, 'darts');
  assert.equal(darts.format(darts.parse(b.text)), b.text);
  assert.equal(darts.format(darts.parse(b.history[0].arch)), b.history[0].arch);
  sd.dispose();
});
