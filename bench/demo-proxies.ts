/**
 * `npm run bench:demo-proxies`: how the two trial proxies the demo has used score networks of the
 * demo space whose final results are known. Each network (`--archs`, JSON files of architectures;
 * default: the baseline CNN and the demo's earlier picks below) is trained twice on Fashion-MNIST
 * with 5000 training images held out for validation: one epoch on a seeded fifth of the split
 * (the old trials), and 15 s on all of it with the schedule over the time (`--trial-budget 15s`,
 * the current trials). Prints one row per network with both validation accuracies, the parameters
 * and the images each went through; compare the order with the networks' final test accuracies
 * (the README's Results).
 *
 * Options: --seconds 15  --seed 0  --threads (all cores)  --archs a.json,b.json
 */
import { readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { parseArgs } from 'node:util';
import { DEMO_BASELINE } from '../src/cli/commands/demo.js';
import { packageFile } from '../src/cli/package-info.js';
import { loadDataset } from '../src/data/datasets.js';
import { type TrialSpec, trainArchitecture } from '../src/estimate/trial.js';

const { values: a } = parseArgs({
  options: {
    seconds: { type: 'string', default: '15' },
    seed: { type: 'string', default: '0' },
    threads: { type: 'string' },
    archs: { type: 'string' },
  },
});
const seconds = Number(a.seconds);
const seed = Number(a.seed);
if (!(seconds > 0) || !Number.isInteger(seed)) {
  console.error('bench:demo-proxies: --seconds must be positive and --seed an integer');
  process.exit(2);
}
const picks = { ...DEMO_BASELINE, 'head.fc.hidden': 128, 's2.op': 'sep3', 's2.w': 96, 's3.op': 'sep3', 's3.w': 64 };
const archs: Record<string, Record<string, unknown>> = a.archs
  ? Object.fromEntries(a.archs.split(',').map((f) => [f, (JSON.parse(readFileSync(f, 'utf8')) as { values: Record<string, unknown> }).values]))
  : {
      'baseline CNN': { ...DEMO_BASELINE },
      'conv3 48, sep3 96, sep3 64, fc 128': { ...picks, 's1.w': 48, head: 'fc' },
      'conv3 32, sep3 96, sep3 64, pooling': { ...picks, head: 'gap' },
      'conv3 48, sep3 96, sep3 64, pooling': { ...picks, 's1.w': 48, head: 'gap' },
    };
const space = packageFile('examples/spaces/fmnist-net.json');
const d = loadDataset('fashion-mnist', { valSize: 5000, seed, includeTest: false });
const data = { train: d.train, val: d.val, numClasses: 10, inputShape: [1, 28, 28] };
const threads = Number(a.threads ?? availableParallelism());
const proxies: [string, Partial<TrialSpec>][] = [
  ['1 epoch on a fifth', { recipe: { epochs: 1, batchSize: 128 }, fidelity: { dataFraction: 0.2 } }],
  [`${seconds} s on all`, { recipe: { epochs: 1000, seconds, batchSize: 128 } }],
];
console.log(`network | params | ${proxies.map(([p]) => `${p}: val acc (images)`).join(' | ')}`);
for (const [name, values] of Object.entries(archs)) {
  const cells: string[] = [];
  let params = 0;
  for (const [, proxy] of proxies) {
    const r = await trainArchitecture({ space, arch: { space: 'fmnist-net', values: values as never }, seed, threads, ...proxy }, data);
    params = r.params;
    cells.push(`${(100 * r.valAcc).toFixed(2)}% (${r.curve.at(-1)?.examples ?? 0})`);
  }
  console.log(`${name} | ${params} | ${cells.join(' | ')}`);
}
