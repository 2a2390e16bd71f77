/**
 * `npm run bench:final-recipe`: which recipe a short final retraining should use. Trains the
 * baseline CNN (`loom baseline`, the demo space's member of 390,634 parameters) on the whole
 * Fashion-MNIST training split with each recipe for the same epochs, and prints the test accuracy
 * of each side by side, plus the accuracy with flip test-time augmentation (the mean of the
 * softmax of an image and of its mirror).
 *
 * Recipes (SGD, Nesterov momentum 0.9, lr 0.1, weight decay 5e-4, cosine, batch 128):
 * `plain`, `ls` (label smoothing 0.1), `flip-ls` (random flips and smoothing), `shift-flip`
 * (shifts of up to 2 pixels and flips, the long-training default), `shift-flip-ls`.
 *
 * Options: --epochs 7  --recipes plain,ls,flip-ls,shift-flip  --threads (all cores)  --seed 0
 *          --train-limit N (the first N training images, for a quick check)
 */
import { availableParallelism } from 'node:os';
import { parseArgs } from 'node:util';
import { loadDataset } from '../src/data/datasets.js';
import { F, type Tensor, manualSeed, noGrad, setNumThreads, tidy } from '../src/engine/index.js';
import { type TrainRecipe, trainClassifier } from '../src/estimate/train.js';
import { DEMO_BASELINE } from '../src/cli/commands/demo.js';
import { packageFile } from '../src/cli/package-info.js';
import { buildNetwork } from '../src/space/networks/index.js';
import { getSpace } from '../src/space/registry.js';

const { values: a } = parseArgs({
  options: {
    epochs: { type: 'string', default: '7' },
    recipes: { type: 'string', default: 'plain,ls,flip-ls,shift-flip' },
    threads: { type: 'string' },
    seed: { type: 'string', default: '0' },
    'train-limit': { type: 'string' },
  },
});
const RECIPES: Record<string, Partial<TrainRecipe>> = {
  plain: {},
  ls: { labelSmoothing: 0.1 },
  'flip-ls': { augment: true, cropPadding: 0, labelSmoothing: 0.1 },
  'shift-flip': { augment: true },
  'shift-flip-ls': { augment: true, labelSmoothing: 0.1 },
};
setNumThreads(Number(a.threads ?? availableParallelism()));
const epochs = Number(a.epochs);
const seed = Number(a.seed);
const data = loadDataset('fashion-mnist', { includeTest: true, seed, ...(a['train-limit'] ? { trainLimit: Number(a['train-limit']) } : {}) });
const test = data.test;
if (!test) throw new Error('no test set');
const space = getSpace(packageFile('examples/spaces/fmnist-net.json'));
const rows: { recipe: string; test_acc: number; tta_acc: number; seconds: number }[] = [];
for (const name of a.recipes.split(',')) {
  const extra = RECIPES[name];
  if (!extra) throw new Error(`unknown recipe '${name}' (known: ${Object.keys(RECIPES).join(', ')})`);
  manualSeed(seed);
  const net = buildNetwork(space.fromJSON({ space: space.name, values: { ...DEMO_BASELINE } }), { input: [1, 28, 28], classes: 10 });
  const t0 = performance.now();
  const r = await trainClassifier(net, { train: data.train, test }, { epochs, batchSize: 128, seed, ...extra });
  const seconds = (performance.now() - t0) / 1000;
  // Flip test-time augmentation.
  net.eval();
  let correct = 0;
  const n = test.images.shape[0];
  noGrad(() => {
    for (let i = 0; i < n; i += 1000) {
      correct += tidy(() => {
        const k = Math.min(1000, n - i);
        const x = test.images.narrow(0, i, k);
        const p = F.softmax(net.call(x) as Tensor, 1).add(F.softmax(net.call(x.flip([3])) as Tensor, 1));
        return p.argmax(1).eq(test.labels.narrow(0, i, k)).sum().item();
      });
    }
  });
  const row = { recipe: name, test_acc: r.test?.accuracy ?? Number.NaN, tta_acc: correct / n, seconds };
  rows.push(row);
  console.log(JSON.stringify(row));
  net.dispose();
}
console.log(`\nbaseline CNN, ${epochs} epochs on ${data.train.labels.shape[0]} images\n| recipe | test accuracy | with flip TTA | seconds |\n| --- | --- | --- | --- |`);
for (const r of rows) console.log(`| ${r.recipe} | ${(100 * r.test_acc).toFixed(2)}% | ${(100 * r.tta_acc).toFixed(2)}% | ${r.seconds.toFixed(0)} |`);
