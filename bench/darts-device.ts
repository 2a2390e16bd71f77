/**
 * `npm run bench:darts-device`: one DARTS search epoch (first or second order) on the CPU and, where
 * libtorch sees one, on a CUDA GPU: the same supernet (same seed, so the same initial weights and
 * alphas), the same Fashion-MNIST images and batch order. Each device first runs a short warm-up
 * epoch on a few batches (kernel selection, allocator), then the timed epoch. Prints one JSON line
 * per device and a side-by-side table. Without CUDA it says so and times the CPU alone.
 *
 * Options: --space darts|nb201 (darts)  --channels 16  --cells 5  --images 2048 (for the weights,
 *          and as many for the architecture)  --batch-size 64  --order 1|2  --threads (all cores)
 *          --seed 0  --cpu-images N (fewer images for the CPU epoch; its time is scaled up to
 *          --images and marked so)
 */
import { availableParallelism } from 'node:os';
import { parseArgs } from 'node:util';
import { loadDataset } from '../src/data/datasets.js';
import { type Device, type Tensor, cuda, setNumThreads } from '../src/engine/index.js';
import { dartsMethod } from '../src/oneshot/darts.js';
import { type OneShotData, runOneShot } from '../src/oneshot/search.js';
import { Supernet } from '../src/oneshot/supernet.js';

const { values: a } = parseArgs({
  options: {
    space: { type: 'string', default: 'darts' },
    channels: { type: 'string', default: '16' },
    cells: { type: 'string', default: '5' },
    images: { type: 'string', default: '2048' },
    'cpu-images': { type: 'string' },
    'batch-size': { type: 'string', default: '64' },
    order: { type: 'string', default: '1' },
    threads: { type: 'string' },
    seed: { type: 'string', default: '0' },
  },
});
const num = (name: keyof typeof a, min: number): number => {
  const v = Number(a[name]);
  if (!Number.isInteger(v) || v < min) {
    console.error(`bench:darts-device: --${name} must be an integer >= ${min}, got '${a[name]}'`);
    process.exit(2);
  }
  return v;
};
if (a.space !== 'darts' && a.space !== 'nb201') {
  console.error(`bench:darts-device: --space must be darts or nb201, got '${a.space}'`);
  process.exit(2);
}
if (a.order !== '1' && a.order !== '2') {
  console.error(`bench:darts-device: --order must be 1 or 2, got '${a.order}'`);
  process.exit(2);
}
const channels = num('channels', 1);
const cells = num('cells', 1);
const images = num('images', 1);
const cpuImages = a['cpu-images'] === undefined ? images : num('cpu-images', 1);
const batchSize = num('batch-size', 1);
const seed = num('seed', 0);
const threads = a.threads === undefined ? availableParallelism() : num('threads', 1);
setNumThreads(threads);

const d = loadDataset('fashion-mnist', { trainLimit: 2 * images, valSize: images, seed, includeTest: false });
const val = d.val as OneShotData['val'];

/** The first `k` examples of each half of `x` (views; moved to `device` when given). */
const head = (x: OneShotData, k: number, device?: Device): OneShotData => {
  const part = (t: Tensor): Tensor => {
    const view = t.narrow(0, 0, k);
    if (!device) return view;
    const moved = view.to(device);
    view.dispose();
    return moved;
  };
  return { train: { images: part(x.train.images), labels: part(x.train.labels) }, val: { images: part(x.val.images), labels: part(x.val.labels) } };
};
const tensorsOf = (x: OneShotData): Tensor[] => [x.train.images, x.train.labels, x.val.images, x.val.labels];

/** Seconds of one search epoch on `device` over the first `n` images of each half. */
async function epochOn(device: Device, n: number): Promise<{ seconds: number; warmup: number; trainAcc: number }> {
  const data = head({ train: d.train, val }, n, device);
  const warm = head(data, Math.min(n, 4 * batchSize));
  const run = async (x: OneShotData): Promise<{ seconds: number; trainAcc: number }> => {
    const s = new Supernet(a.space as string, { channels, cells, input: [1, 28, 28], seed }).to(device);
    const opts = { epochs: 1, batchSize, seed, device };
    const method = dartsMethod({ ...opts, ...(a.order === '2' ? { secondOrder: true } : {}) });
    if (device !== 'cpu') cuda.synchronize();
    const t0 = performance.now();
    const r = await runOneShot(s, x, method, opts);
    if (device !== 'cpu') cuda.synchronize();
    const seconds = (performance.now() - t0) / 1000;
    s.dispose();
    return { seconds, trainAcc: r.history.at(-1)?.trainAccuracy ?? Number.NaN };
  };
  const w = await run(warm);
  const r = await run(data);
  for (const t of [...tensorsOf(data), ...tensorsOf(warm)]) t.dispose();
  return { seconds: r.seconds, warmup: w.seconds, trainAcc: r.trainAcc };
}

const rows: { device: string; seconds: number; note: string }[] = [];
const cpu = await epochOn('cpu', cpuImages);
const cpuSeconds = (cpu.seconds * images) / cpuImages;
console.log(JSON.stringify({ device: 'cpu', threads, images: cpuImages, seconds: cpu.seconds, warmupSeconds: cpu.warmup, trainAcc: cpu.trainAcc }));
rows.push({ device: `cpu (${threads} threads)`, seconds: cpuSeconds, note: cpuImages === images ? '' : ` (measured on ${cpuImages} images, scaled)` });
if (cuda.isAvailable()) {
  const g = await epochOn('cuda', images);
  console.log(JSON.stringify({ device: 'cuda', images, seconds: g.seconds, warmupSeconds: g.warmup, trainAcc: g.trainAcc }));
  rows.push({ device: 'cuda:0', seconds: g.seconds, note: ` (${(cpuSeconds / g.seconds).toFixed(1)}x the CPU's speed)` });
} else {
  console.log('no CUDA device here (cuda.isAvailable() is false): the CPU alone was timed');
}
console.log(`\none DARTS search epoch (order ${a.order}), ${a.space} supernet, ${channels} channels, ${cells} cells, ${images} + ${images} images, batch ${batchSize}`);
for (const r of rows) console.log(`${r.device.padEnd(18)} ${r.seconds.toFixed(2).padStart(9)} s${r.note}`);
