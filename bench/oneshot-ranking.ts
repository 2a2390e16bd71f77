/**
 * `npm run bench:oneshot-ranking`: can a weight-sharing supernet be trusted to rank architectures?
 * A reduced NAS-Bench-201 supernet is trained on Fashion-MNIST the way SPOS and random search
 * with weight sharing train it (one uniformly sampled single path per batch: `trainUniformPaths`;
 * the two methods differ only in how they search afterwards, so one supernet answers for both).
 * Then `--archs` distinct architectures (seeded; distinct up to isomorphism) are scored twice:
 * by the supernet (`scoreWithSupernet`: the architecture's path, batch-norm statistics
 * recalibrated on `--calib-batches` training batches, validation accuracy) and by training each
 * stand-alone from scratch at the same size (`trainArchitecture`, `--standalone-epochs`). The
 * summary gives Kendall's tau (tau-b) and Spearman's rho between the two accuracies, where the
 * supernet's favourite ranks stand-alone, and, as a training-free reference, the tau of the
 * parameter count against the stand-alone accuracy.
 *
 * Data: Fashion-MNIST (Debian's `dataset-fashion-mnist`, or `$LOOM_FASHION_MNIST`): the first
 * `--train` + `--val` training images, `--val` of them held out (seeded) for validation; both
 * scorings use the same validation images.
 *
 * Output: one JSON line per architecture (text form, supernet accuracy and loss, stand-alone
 * accuracy, parameters, seconds), then one summary line (`"summary": true`). Progress goes to
 * stderr.
 *
 * Options: --archs 30  --epochs 10 (supernet)  --standalone-epochs 3  --train 5000  --val 1000
 *   --channels 8  --cells 1  --batch-size 64  --supernet-lr 0.05  --lr 0.05 (stand-alone)
 *   --calib-batches 8  --eval-batches N (default: all)  --budget SECONDS (supernet training)
 *   --seed 0  --threads N
 */
import { parseArgs } from 'node:util';
import { loadDataset } from '../src/data/datasets.js';
import { dispose, memory, setNumThreads } from '../src/engine/index.js';
import { type TrialData, trainArchitecture } from '../src/estimate/trial.js';
import { kendallTau, spearman } from '../src/oneshot/rank.js';
import type { OneShotData } from '../src/oneshot/search.js';
import { scoreWithSupernet, trainUniformPaths } from '../src/oneshot/spos.js';
import { Supernet } from '../src/oneshot/supernet.js';
import type { Architecture } from '../src/space/architecture.js';
import { nb201 } from '../src/space/index.js';
import { Rng } from '../src/util/rng.js';

const NAME = 'bench:oneshot-ranking';
let args: Record<string, string | undefined>;
try {
  args = parseArgs({
    options: {
      archs: { type: 'string', default: '30' },
      epochs: { type: 'string', default: '10' },
      'standalone-epochs': { type: 'string', default: '3' },
      train: { type: 'string', default: '5000' },
      val: { type: 'string', default: '1000' },
      channels: { type: 'string', default: '8' },
      cells: { type: 'string', default: '1' },
      'batch-size': { type: 'string', default: '64' },
      'supernet-lr': { type: 'string', default: '0.05' },
      lr: { type: 'string', default: '0.05' },
      'calib-batches': { type: 'string', default: '8' },
      'eval-batches': { type: 'string' },
      budget: { type: 'string' },
      seed: { type: 'string', default: '0' },
      threads: { type: 'string' },
    },
  }).values;
} catch (e) {
  console.error(`${NAME}: ${(e as Error).message}`);
  process.exit(2);
}

function int(name: string, min: number): number {
  const v = Number(args[name]);
  if (!Number.isSafeInteger(v) || v < min) {
    console.error(`${NAME}: --${name} must be an integer >= ${min}, got ${args[name]}`);
    process.exit(2);
  }
  return v;
}
function positive(name: string): number {
  const v = Number(args[name]);
  if (!(Number.isFinite(v) && v > 0)) {
    console.error(`${NAME}: --${name} must be a positive number, got ${args[name]}`);
    process.exit(2);
  }
  return v;
}
const archCount = int('archs', 2);
const epochs = int('epochs', 1);
const standaloneEpochs = int('standalone-epochs', 1);
const trainSize = int('train', 10);
const valSize = int('val', 10);
const channels = int('channels', 1);
const cells = int('cells', 1);
const batchSize = int('batch-size', 1);
const supernetLr = positive('supernet-lr');
const lr = positive('lr');
const calibBatches = int('calib-batches', 0);
const evalBatches = args['eval-batches'] === undefined ? undefined : int('eval-batches', 1);
const budget = args.budget === undefined ? undefined : positive('budget');
const seed = int('seed', 0);
const threads = args.threads === undefined ? undefined : int('threads', 1);
if (threads) setNumThreads(threads);

const round = (x: number, d = 4): number => Math.round(x * 10 ** d) / 10 ** d;
const mean = (xs: number[]): number => xs.reduce((a, b) => a + b, 0) / xs.length;

let loaded: ReturnType<typeof loadDataset>;
try {
  loaded = loadDataset('fashion-mnist', { trainLimit: trainSize + valSize, valSize, seed, includeTest: false });
} catch (e) {
  console.error(`${NAME}: ${(e as Error).message}`);
  process.exit(2);
}
const data: TrialData = loaded;
const shared: OneShotData = { train: loaded.train, val: loaded.val as OneShotData['val'] };
const t0 = performance.now();

/** `n` architectures, distinct up to isomorphism (NB201: edges that no path uses do not count). */
function sampleDistinct(n: number, rng: Rng): Architecture[] {
  const out: Architecture[] = [];
  const keys = new Set<string>();
  for (let t = 0; t < 100 * n && out.length < n; t++) {
    const a = nb201.sample(rng);
    const k = nb201.canonicalize(a).key;
    if (keys.has(k)) continue;
    keys.add(k);
    out.push(a);
  }
  return out;
}

const supernet = new Supernet('nb201', { input: [data.inputShape[0], data.inputShape[1], data.inputShape[2]], classes: data.numClasses, channels, cells, seed });
const live = memory().liveTensors;
let leaked = 0;
try {
  console.error(`${NAME}: training the supernet (${epochs} epochs on ${trainSize} images, uniform single paths)`);
  const trained = await trainUniformPaths(
    supernet,
    shared,
    {
      epochs,
      batchSize,
      lr: supernetLr,
      seed,
      ...(budget !== undefined ? { budgetSeconds: budget } : {}),
      onEpoch: (e) => console.error(`  epoch ${e.epoch}/${e.epochs}: train loss ${round(e.trainLoss, 3)}, acc ${round(e.trainAccuracy, 3)} (${round(e.seconds, 1)} s)`),
    },
    'spos',
  );
  console.log(
    JSON.stringify({
      supernet: true,
      epochs: trained.history.length,
      stopped: trained.stopped,
      trainLoss: round(trained.history[trained.history.length - 1].trainLoss),
      trainAccuracy: round(trained.history[trained.history.length - 1].trainAccuracy),
      seconds: round(trained.seconds, 1),
    }),
  );
  const archs = sampleDistinct(archCount, new Rng(seed).fork(0x7a9));
  const superAcc: number[] = [];
  const aloneAcc: number[] = [];
  const params: number[] = [];
  let scoreSeconds = 0;
  let aloneSeconds = 0;
  let failed = 0;
  for (const [i, arch] of archs.entries()) {
    const ts = performance.now();
    const s = scoreWithSupernet(supernet, arch, shared, { calibBatches, evalBatches: evalBatches ?? Math.ceil(valSize / 128), batchSize: 128, seed });
    const scoreTime = (performance.now() - ts) / 1000;
    scoreSeconds += scoreTime;
    const r = await trainArchitecture({ arch: arch.toJSON(), network: { channels, cells }, recipe: { epochs: standaloneEpochs, batchSize, lr }, seed: seed * 1000 + i }, data);
    aloneSeconds += r.seconds;
    if (r.status === 'ok') {
      superAcc.push(s.accuracy);
      aloneAcc.push(r.valAcc);
      params.push(r.params);
    } else failed++;
    console.log(
      JSON.stringify({
        i,
        arch: nb201.format(arch),
        supernetAcc: round(s.accuracy),
        supernetLoss: round(s.loss),
        standaloneAcc: r.status === 'ok' ? round(r.valAcc) : null,
        ...(r.status === 'ok' ? {} : { failed: r.reason ?? r.status }),
        params: r.params,
        scoreSeconds: round(scoreTime, 2),
        standaloneSeconds: round(r.seconds, 1),
      }),
    );
    console.error(`arch ${i + 1}/${archs.length}: supernet ${round(s.accuracy, 3)}, stand-alone ${round(r.valAcc, 3)} (${round(r.seconds, 1)} s)`);
  }
  const n = superAcc.length;
  // Where the supernet's favourite (and the stand-alone best) rank by the other measure (1 = best).
  const rankIn = (xs: number[], i: number) => 1 + xs.filter((v) => v > xs[i]).length;
  const bestSuper = n ? superAcc.indexOf(Math.max(...superAcc)) : -1;
  const bestAlone = n ? aloneAcc.indexOf(Math.max(...aloneAcc)) : -1;
  leaked = memory().liveTensors - live;
  console.log(
    JSON.stringify({
      summary: true,
      methods: ['spos', 'random-ws'],
      space: 'nb201',
      channels,
      cells,
      train: trainSize,
      val: valSize,
      supernetEpochs: trained.history.length,
      standaloneEpochs,
      batchSize,
      supernetLr,
      lr,
      calibBatches,
      seed,
      archs: n,
      failed,
      kendallTau: n >= 2 ? round(kendallTau(superAcc, aloneAcc)) : null,
      spearman: n >= 2 ? round(spearman(superAcc, aloneAcc)) : null,
      // A training-free reference: how well the parameter count alone ranks the same architectures.
      paramsKendallTau: n >= 2 ? round(kendallTau(params, aloneAcc)) : null,
      meanSupernetAcc: n ? round(mean(superAcc)) : null,
      meanStandaloneAcc: n ? round(mean(aloneAcc)) : null,
      supernetBestStandaloneRank: n ? rankIn(aloneAcc, bestSuper) : null,
      standaloneBestSupernetRank: n ? rankIn(superAcc, bestAlone) : null,
      supernetSeconds: round(trained.seconds, 1),
      scoreSeconds: round(scoreSeconds, 1),
      standaloneSeconds: round(aloneSeconds, 1),
      liveTensorsLeft: leaked,
      seconds: round((performance.now() - t0) / 1000, 1),
    }),
  );
} finally {
  supernet.dispose();
  dispose([loaded.train, loaded.val ?? []]);
}
