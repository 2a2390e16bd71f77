/**
 * `npm run bench:inherit`: what weight inheritance buys. Over `--pairs` parent→child pairs, a
 * parent architecture (sampled) is trained for `--parent-epochs` and saved; a child is made from
 * it by the space's `mutate()` (one decision changed) and trained for `--child-epochs` twice with
 * the same seed: once starting from the parent's weights (`inheritWeights`: tensors whose name and
 * shape match copied, changed kernels and widths sliced), once from scratch. The question (issue 5's
 * acceptance line) is whether children reach higher validation accuracy with inheritance than
 * without, for the same training.
 *
 * Data: Fashion-MNIST (Debian's `dataset-fashion-mnist`, or `$LOOM_FASHION_MNIST`): the first
 * `--train` + `--val` training images, `--val` of them held out (seeded) for validation.
 *
 * Output: one JSON line per pair (the two architectures in the space's text form, the parent's
 * accuracy, the child's with and without inheritance, what was inherited, seconds), then one
 * summary line (`"summary": true`) with the mean accuracies, their mean difference and the
 * win/tie/loss count of inheritance. Progress goes to stderr.
 *
 * Measured (2026-11-30, 2 heavily shared CPU cores, NB201 at C=8, N=1, batch 64, lr 0.05, seed 0,
 * parent and child 1 epoch each, 20 pairs): on 1500 training images, children reached 51.5% mean
 * validation accuracy with inheritance against 31.6% from scratch (19 wins, 1 loss; 8.7 min); on
 * 5000 images, 74.4% against 71.7% (16 wins, 4 losses; 15.4 min). The gain shrinks as the child's
 * own training grows: an inherited child has, in effect, its parent's training too.
 *
 * Options: --pairs 20  --space nb201  --channels 8  --cells 1  --train 5000  --val 1000
 *   --parent-epochs 1  --child-epochs 1  --batch-size 128  --lr 0.05  --seed 0  --threads N
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { loadDataset } from '../src/data/datasets.js';
import { dispose, memory, setNumThreads } from '../src/engine/index.js';
import { type TrialData, type TrialResult, type TrialSpec, trainArchitecture } from '../src/estimate/trial.js';
import { getSpace } from '../src/space/registry.js';
import { Rng } from '../src/util/rng.js';

const { values: args } = parseArgs({
  options: {
    pairs: { type: 'string', default: '20' },
    space: { type: 'string', default: 'nb201' },
    channels: { type: 'string', default: '8' },
    cells: { type: 'string', default: '1' },
    train: { type: 'string', default: '5000' },
    val: { type: 'string', default: '1000' },
    'parent-epochs': { type: 'string', default: '1' },
    'child-epochs': { type: 'string', default: '1' },
    'batch-size': { type: 'string', default: '128' },
    lr: { type: 'string', default: '0.05' },
    seed: { type: 'string', default: '0' },
    threads: { type: 'string' },
  },
});

function int(name: keyof typeof args, min: number): number {
  const v = Number(args[name]);
  if (!Number.isSafeInteger(v) || v < min) {
    console.error(`bench:inherit: --${name} must be an integer >= ${min}, got ${args[name]}`);
    process.exit(2);
  }
  return v;
}
const pairs = int('pairs', 1);
const channels = int('channels', 1);
const cells = int('cells', 1);
const trainSize = int('train', 10);
const valSize = int('val', 10);
const parentEpochs = int('parent-epochs', 1);
const childEpochs = int('child-epochs', 1);
const batchSize = int('batch-size', 1);
const seed = int('seed', 0);
const threads = args.threads === undefined ? undefined : int('threads', 1);
const lr = Number(args.lr);
if (!(lr > 0)) {
  console.error(`bench:inherit: --lr must be a positive number, got ${args.lr}`);
  process.exit(2);
}
if (threads) setNumThreads(threads);

const space = getSpace(args.space);
const data: TrialData = loadDataset('fashion-mnist', { trainLimit: trainSize + valSize, valSize, seed, includeTest: false });
const dir = mkdtempSync(join(tmpdir(), 'loom-bench-inherit-'));
const live = memory().liveTensors;

const mean = (xs: number[]): number => xs.reduce((a, b) => a + b, 0) / xs.length;
const round = (x: number, d = 4): number => Math.round(x * 10 ** d) / 10 ** d;

function spec(arch: TrialSpec['arch'], epochs: number, trialSeed: number, extra: Partial<TrialSpec> = {}): TrialSpec {
  return { arch, network: { channels, cells }, recipe: { epochs, batchSize, lr }, seed: trialSeed, ...extra };
}

const rng = new Rng(seed);
const withInh: number[] = [];
const without: number[] = [];
let wins = 0;
let ties = 0;
let losses = 0;
let failed = 0;
let leaked = 0;
const t0 = performance.now();
try {
  for (let i = 0; i < pairs; i++) {
    const tp = performance.now();
    const parent = space.sample(rng);
    let child = space.mutate(parent, rng);
    // A mutation that yields an isomorphic network (e.g. an edge whose value is never read) teaches nothing: redraw a few times.
    for (let k = 0; k < 10 && space.isomorphic(parent, child); k++) child = space.mutate(parent, rng);
    const weights = join(dir, `parent-${i}.safetensors`);
    const trialSeed = seed * 1000 + i;
    const p = await trainArchitecture(spec(parent.toJSON(), parentEpochs, trialSeed, { saveTo: weights }), data);
    const runs: TrialResult[] = [];
    if (p.status === 'ok') {
      runs.push(await trainArchitecture(spec(child.toJSON(), childEpochs, trialSeed + 500, { inheritFrom: weights }), data));
      runs.push(await trainArchitecture(spec(child.toJSON(), childEpochs, trialSeed + 500), data));
    }
    rmSync(weights, { force: true });
    const [inh, scratch] = runs;
    const ok = p.status === 'ok' && inh?.status === 'ok' && scratch?.status === 'ok';
    if (ok) {
      withInh.push(inh.valAcc);
      without.push(scratch.valAcc);
      if (inh.valAcc > scratch.valAcc) wins++;
      else if (inh.valAcc === scratch.valAcc) ties++;
      else losses++;
    } else failed++;
    const line = {
      pair: i,
      parent: space.format(parent),
      child: space.format(child),
      parentValAcc: round(p.valAcc),
      inheritedValAcc: inh ? round(inh.valAcc) : null,
      scratchValAcc: scratch ? round(scratch.valAcc) : null,
      ...(ok ? {} : { failed: [p, inh, scratch].find((r) => r && r.status !== 'ok')?.reason ?? 'failed' }),
      inheritedTensors: inh?.inherited ? `${inh.inherited.tensors}/${inh.inherited.totalTensors}` : null,
      inheritedElements: inh?.inherited ? round(inh.inherited.elements / inh.inherited.totalElements, 3) : null,
      params: scratch?.params ?? p.params,
      seconds: round((performance.now() - tp) / 1000, 1),
    };
    console.log(JSON.stringify(line));
    console.error(
      `pair ${i + 1}/${pairs}: parent ${round(p.valAcc, 3)}, child inherited ${line.inheritedValAcc} vs scratch ${line.scratchValAcc} (${line.seconds} s)`,
    );
  }
  leaked = memory().liveTensors - live;
} finally {
  dispose([data.train, data.val ?? []]);
  rmSync(dir, { recursive: true, force: true });
}
const n = withInh.length;
console.log(
  JSON.stringify({
    summary: true,
    space: space.name,
    channels,
    cells,
    train: trainSize,
    val: valSize,
    parentEpochs,
    childEpochs,
    batchSize,
    lr,
    seed,
    pairs: n,
    failedPairs: failed,
    meanValAccInherited: n ? round(mean(withInh)) : null,
    meanValAccScratch: n ? round(mean(without)) : null,
    meanDifference: n ? round(mean(withInh.map((a, k) => a - without[k]))) : null,
    wins,
    ties,
    losses,
    liveTensorsLeft: leaked,
    seconds: round((performance.now() - t0) / 1000, 1),
  }),
);
