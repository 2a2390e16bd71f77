import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { memory, setNumThreads } from '../../src/engine/index.js';
import { distinctSamples, randomWsSearch } from '../../src/oneshot/random-ws.js';
import type { OneShotData } from '../../src/oneshot/search.js';
import { trainUniformPaths } from '../../src/oneshot/spos.js';
import { Supernet, SupernetError } from '../../src/oneshot/supernet.js';
import { nb201 } from '../../src/space/index.js';
import { Rng } from '../../src/util/rng.js';
import { TINY_NB201, freeData, skipNoData, tinyFashion } from './tiny-data.js';

setNumThreads(1);

let data: OneShotData | undefined;
before(() => {
  if (!skipNoData) data = tinyFashion();
});
after(() => freeData(data));

test('distinctSamples: seeded, distinct, and bounded by the space', () => {
  const a = distinctSamples(nb201, 50, new Rng(4));
  assert.equal(a.length, 50);
  assert.equal(new Set(a.map((x) => x.key)).size, 50);
  assert.deepEqual(
    distinctSamples(nb201, 50, new Rng(4)).map((x) => x.key),
    a.map((x) => x.key),
  );
});

test('random-WS end to end: trains exactly as SPOS does, scores N distinct samples with the shared weights, returns the best', { skip: skipNoData }, async () => {
  const d = data as OneShotData;
  const live = memory().liveTensors;
  const opts = { epochs: 1, batchSize: 64, lr: 0.05, seed: 2 };
  // The same seed gives the same sequence of paths and batches as SPOS's training.
  const s1 = new Supernet('nb201', { ...TINY_NB201, seed: 0 });
  const spos = await trainUniformPaths(s1, d, opts, 'spos');
  s1.dispose();
  const s = new Supernet('nb201', { ...TINY_NB201, seed: 0 });
  const seen: number[] = [];
  const r = await randomWsSearch(s, d, { ...opts, samples: 8, calibBatches: 2, scoreBatchSize: 96, onSample: (p) => void seen.push(p.index) });
  assert.equal(r.history[0].trainLoss, spos.history[0].trainLoss, 'same training as SPOS');
  assert.deepEqual(seen, [1, 2, 3, 4, 5, 6, 7, 8]);
  assert.equal(r.candidates.length, 8);
  assert.equal(new Set(r.candidates.map((c) => c.text)).size, 8);
  assert.equal(r.text, r.candidates[0].text);
  assert.equal(r.candidates[0].accuracy, Math.max(...r.candidates.map((c) => c.accuracy)));
  assert.equal(nb201.format(r.arch), r.text);
  assert.deepEqual(r.alphas, []);
  assert.equal(r.stopped, false);
  // The sampled set is the seeded one.
  assert.deepEqual(
    new Set(r.candidates.map((c) => c.arch.key)),
    new Set(distinctSamples(nb201, 8, new Rng(2).fork(0x4a4d)).map((a) => a.key)),
  );
  // onSample can stop the sampling.
  const r2 = await randomWsSearch(s, d, { epochs: 1, batchSize: 64, samples: 5, calibBatches: 1, evalBatches: 1, onSample: (p) => (p.index === 2 ? 'stop' : undefined) });
  assert.equal(r2.candidates.length, 2);
  assert.equal(r2.stopped, true);
  await assert.rejects(randomWsSearch(s, d, { epochs: 1, samples: 0 }), (e: Error) => e instanceof SupernetError && /samples/.test(e.message));
  s.dispose();
  assert.equal(memory().liveTensors, live);
});
