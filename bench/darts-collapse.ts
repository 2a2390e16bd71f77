/**
 * `npm run bench:darts-collapse`: what DARTS derives on the NAS-Bench-201 space, and what its
 * remedies derive. Trains an NB201 supernet with DARTS (first order) and prints one JSON line per
 * epoch (accuracies, the mean softmax weight of each op over the edges, the argmax cell), then the
 * cell two selection rules derive from the same trained supernet: the argmax of alpha (DARTS), and
 * DARTS-PT's perturbation-based selection, one JSON line per decision.
 *
 * Options: --epochs 25  --channels 8  --images 1000 (for the weights, and as many for the
 *          architecture)  --arch-lr 3e-3  --batch-size 64  --remedy none|darts-  --tune-epochs 1
 *          --threads (all cores)  --seed 0
 */
import { availableParallelism } from 'node:os';
import { parseArgs } from 'node:util';
import { loadDataset } from '../src/data/datasets.js';
import { setNumThreads } from '../src/engine/index.js';
import { perturbationSelect } from '../src/oneshot/darts-pt.js';
import { dartsMethod } from '../src/oneshot/darts.js';
import { type OneShotData, runOneShot } from '../src/oneshot/search.js';
import { Supernet } from '../src/oneshot/supernet.js';

const { values: a } = parseArgs({
  options: {
    epochs: { type: 'string', default: '25' },
    channels: { type: 'string', default: '8' },
    images: { type: 'string', default: '1000' },
    'arch-lr': { type: 'string', default: '3e-3' },
    'batch-size': { type: 'string', default: '64' },
    remedy: { type: 'string', default: 'none' },
    'tune-epochs': { type: 'string', default: '1' },
    threads: { type: 'string' },
    seed: { type: 'string', default: '0' },
  },
});
if (a.remedy !== 'none' && a.remedy !== 'darts-') throw new Error(`--remedy must be none or darts-, got '${a.remedy}'`);
setNumThreads(Number(a.threads ?? availableParallelism()));
const n = Number(a.images);
const seed = Number(a.seed);
const d = loadDataset('fashion-mnist', { trainLimit: 2 * n, valSize: n, seed, includeTest: false });
const data: OneShotData = { train: d.train, val: d.val as OneShotData['val'] };
const s = new Supernet('nb201', { channels: Number(a.channels), cells: 1, input: [1, 28, 28], seed });
const batchSize = Number(a['batch-size']);
const opts = {
  epochs: Number(a.epochs),
  batchSize,
  archLr: Number(a['arch-lr']),
  seed,
  remedy: a.remedy as 'none' | 'darts-',
  onEpoch: (e: import('../src/oneshot/search.js').OneShotEpoch) => {
    const w = e.opWeights[0];
    const mean = s.ops.map((op, k) => [op, Number((w.reduce((acc, row) => acc + row[k], 0) / w.length).toFixed(3))]);
    console.log(JSON.stringify({ epoch: e.epoch, trainAcc: e.trainAccuracy, valAcc: e.valAccuracy, seconds: e.seconds, meanOpWeight: Object.fromEntries(mean), arch: e.arch, ...e.extra }));
  },
};
const r = await runOneShot(s, data, dartsMethod(opts), opts);
console.log(JSON.stringify({ selection: `argmax of alpha (DARTS${a.remedy === 'darts-' ? '-' : ''})`, arch: r.text, seconds: r.seconds }));
const pt = await perturbationSelect(s, data, {
  seed,
  tuneEpochs: Number(a['tune-epochs']),
  tune: { batchSize },
  onDecision: (x) => console.log(JSON.stringify({ edge: `${s.edges[x.at][1]}->${s.edges[x.at][0]}`, baseAcc: x.baseAccuracy, masked: Object.fromEntries(x.masked.map((m) => [m.candidate, m.accuracy])), chosen: x.chosen[0], tunedAcc: x.tunedAccuracy })),
});
console.log(JSON.stringify({ selection: 'DARTS-PT', arch: pt.text, seconds: pt.seconds }));
const count = (text: string, op: string) => text.split(op).length - 1;
for (const [rule, text] of [
  ['argmax of alpha', r.text],
  ['DARTS-PT', pt.text],
]) {
  console.log(`${rule}: ${text}  (skip ${count(text, 'skip_connect')}, pooling ${count(text, 'avg_pool_3x3')}, none ${count(text, 'none')} of 6 edges)`);
}
