import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { dispose, memory, setNumThreads } from '../../src/engine/index.js';
import { perturbationSelect, supernetAccuracy } from '../../src/oneshot/darts-pt.js';
import { dartsSearch } from '../../src/oneshot/darts.js';
import type { OneShotData } from '../../src/oneshot/search.js';
import { Supernet } from '../../src/oneshot/supernet.js';
import { darts, nb201 } from '../../src/space/index.js';
import { TINY_DARTS, TINY_NB201, freeData, skipNoData as skip, tinyFashion } from './tiny-data.js';

setNumThreads(1);

let data: OneShotData | undefined;
before(() => {
  if (!skip) data = tinyFashion(256, 128);
});
after(() => freeData(data));

test('DARTS-PT on NB201: each edge gets the op whose masking costs the most accuracy, and the derived cell is those ops', { skip }, async () => {
  const d = data as OneShotData;
  const base = memory().liveTensors;
  const s = new Supernet('nb201', { ...TINY_NB201, seed: 0 });
  const r = await dartsSearch(s, d, { epochs: 2, batchSize: 32, archLr: 3e-3, remedy: 'pt', pt: { tuneEpochs: 1 } });
  const sel = r.selection ?? [];
  assert.equal(sel.length, 6, 'one decision per edge');
  assert.deepEqual(sel.map((x) => x.at).sort(), [0, 1, 2, 3, 4, 5]);
  const ops = nb201.ops(r.arch);
  for (const x of sel) {
    assert.equal(x.kind, 'op');
    assert.equal(x.masked.length, 5, 'every op masked in turn, none included');
    // The chosen op is the one whose masking left the lowest accuracy (ties: the highest loss).
    const worst = [...x.masked].sort((a, b) => a.accuracy - b.accuracy || b.loss - a.loss)[0];
    assert.deepEqual(x.chosen, [worst.candidate]);
    assert.equal(ops[x.at], worst.candidate, `edge ${x.at} of the derived cell`);
    for (const m of x.masked) assert.ok(m.accuracy >= 0 && m.accuracy <= 1 && Number.isFinite(m.loss));
    assert.ok(x.tunedAccuracy > 0.1, `the tuned supernet beats chance: ${x.tunedAccuracy}`);
  }
  assert.equal(r.text, nb201.format(r.arch));
  assert.ok(s.derive().equals(r.arch), 'the alphas are left set to the choice');
  assert.deepEqual(r.alphas, s.alphaValues());
  assert.equal(r.history.length, 2, 'the DARTS epochs are still reported');
  // The supernet, evaluated in the chosen cell's one-hot weights, scores what the last decision measured.
  const oneHot = s.opWeights();
  assert.ok(oneHot[0].every((row) => Math.max(...row) > 0.999));
  const acc = supernetAccuracy(s.setMode({ kind: 'softmax' }), d.val, 500, true);
  assert.ok(Math.abs(acc.accuracy - sel[5].tunedAccuracy) < 0.02, `${acc.accuracy} vs ${sel[5].tunedAccuracy}`);
  s.dispose();
  assert.equal(memory().liveTensors, base, 'nothing left behind');
});

test('DARTS-PT on the DARTS space: ops on all 28 edges (never none), then two inputs per node, as the genotype', { skip, timeout: 300_000 }, async () => {
  const d = data as OneShotData;
  const small: OneShotData = {
    train: { images: d.train.images.narrow(0, 0, 32), labels: d.train.labels.narrow(0, 0, 32) },
    // 8 validation images: the test checks the selection's structure, and each of its 224 measurements is a forward pass.
    val: { images: d.val.images.narrow(0, 0, 8), labels: d.val.labels.narrow(0, 0, 8) },
  };
  const s = new Supernet('darts', { ...TINY_DARTS, seed: 0 });
  const r = await dartsSearch(s, small, { epochs: 1, batchSize: 16, remedy: 'pt', pt: { tuneEpochs: 0 } });
  const sel = r.selection ?? [];
  assert.equal(sel.filter((x) => x.kind === 'op').length, 28);
  const nodes = sel.filter((x) => x.kind === 'edges');
  assert.equal(nodes.length, 8);
  for (const x of sel.filter((y) => y.kind === 'op')) assert.ok(!x.masked.some((m) => m.candidate === 'none') && x.chosen[0] !== 'none');
  const g = darts.genotype(r.arch);
  for (const [type, cell] of [
    [0, g.normal],
    [1, g.reduce],
  ] as const) {
    for (const n of nodes.filter((x) => x.cellType === type)) {
      const inputs = cell.slice(2 * (n.at - 2), 2 * (n.at - 2) + 2).map(([, from]) => `${from}->${n.at}`);
      assert.deepEqual([...inputs].sort(), [...n.chosen].sort(), `${s.cellTypes[type]} node ${n.at}`);
      assert.equal(n.masked.length, n.at, `node ${n.at} has ${n.at} candidate inputs`);
    }
  }
  s.dispose();
  dispose(small);
});

test('DARTS-PT stops at its budget or signal, keeping the alphas of the edges left; bad options are clear errors', { skip }, async () => {
  const d = data as OneShotData;
  const s = new Supernet('nb201', { ...TINY_NB201, seed: 0 });
  const before = s.alphaValues();
  const r = await perturbationSelect(s, d, { budgetSeconds: 1e-6 });
  assert.equal(r.stopped, true);
  assert.equal(r.decisions.length, 0);
  assert.deepEqual(s.alphaValues(), before, 'nothing decided, nothing changed');
  const ac = new AbortController();
  const r2 = await perturbationSelect(s, d, { tuneEpochs: 0, signal: ac.signal, onDecision: () => ac.abort() });
  assert.equal(r2.decisions.length, 1);
  assert.equal(r2.stopped, true);
  await assert.rejects(perturbationSelect(s, d, { tuneEpochs: -1 }), /tuneEpochs must be an integer >= 0, got -1/);
  await assert.rejects(dartsSearch(s, d, { epochs: 1, remedy: 'pq' as 'pt' }), /unknown DARTS remedy 'pq' \(known: none, darts-, pt\)/);
  s.dispose();
});
