/**
 * `npm run bench:demo-proxies`: how cheap trial proxies score networks of the demo space whose
 * final results (540 s of training, docs/results.md) are known, so their order can be
 * compared with the final's. Each network (`--archs`, JSON files of architectures; default: the
 * baseline CNN, the demo's pick, the best member found at 540 s and an earlier pick) is trained
 * on Fashion-MNIST with 5000 training images held out for validation (5% warm-up, as the demo's trials): one epoch on a seeded
 * fifth of the split (the demo's old trials); for each of `--seconds` (default 15,45,90) that
 * time on all of it with the schedule over the time (`--trial-budget`, the demo's trials were
 * 15 s once); and for each of `--fractions` (default 0.1) `--fraction-seconds` (45) on that seeded
 * fraction (many epochs of a subset); and for each of `--epochs` (default none) that many epochs on
 * all of it (a trial that counts images, not time). Prints one row per network: the validation
 * accuracies, the parameters and the images each went through.
 *
 * The trials train as `--precision` says (float32 by default), and with `--augment` and
 * `--label-smoothing` as the demo's trials do now (`--precision auto --augment --label-smoothing
 * 0.1 --epochs 1`); `--space` trains the networks in another space file (a copy of the demo's with
 * other choices).
 *
 * Options: --seconds 15,45,90  --fractions 0.1  --fraction-seconds 45  --epochs 1,2  --seed 0  --threads (all cores)  --archs a.json,b.json
 *   --precision float32|bfloat16|auto  --augment  --label-smoothing 0  --space examples/spaces/fmnist-net.json
 */
import { availableParallelism } from 'node:os';
import { parseArgs } from 'node:util';
import { DEMO_BASELINE } from '../src/cli/commands/demo.js';
import { DEFAULT_WARMUP } from '../src/cli/commands/search.js';
import { packageFile } from '../src/cli/package-info.js';
import { PRECISIONS, type Precision, resolvePrecision } from '../src/estimate/train.js';
import { type TrialSpec, trainArchitecture } from '../src/estimate/trial.js';
import { demoSplit, readArchFiles } from './demo-archs.js';

const { values: a } = parseArgs({
  options: {
    seconds: { type: 'string', default: '15,45,90' },
    fractions: { type: 'string', default: '0.1' },
    'fraction-seconds': { type: 'string', default: '45' },
    epochs: { type: 'string', default: '' },
    seed: { type: 'string', default: '0' },
    threads: { type: 'string' },
    archs: { type: 'string' },
    precision: { type: 'string', default: 'float32' },
    augment: { type: 'boolean', default: false },
    'label-smoothing': { type: 'string', default: '0' },
    space: { type: 'string' },
  },
});
const list = (v: string) => (v === '' ? [] : v.split(',').map(Number));
const seconds = list(a.seconds);
const fractions = list(a.fractions);
const epochCounts = list(a.epochs);
const fractionSeconds = Number(a['fraction-seconds']);
const seed = Number(a.seed);
const labelSmoothing = Number(a['label-smoothing']);
const precisionChoices: readonly string[] = [...PRECISIONS, 'auto'];
if (
  !(fractionSeconds > 0) ||
  !seconds.length ||
  !seconds.every((x) => x > 0) ||
  !fractions.every((x) => x > 0 && x <= 1) ||
  !epochCounts.every((x) => Number.isInteger(x) && x > 0) ||
  !Number.isInteger(seed) ||
  !precisionChoices.includes(a.precision) ||
  !(labelSmoothing >= 0 && labelSmoothing < 1)
) {
  console.error(
    `bench:demo-proxies: --seconds must be positive numbers (comma-separated), --fractions in (0, 1], --fraction-seconds positive, --epochs positive integers, --seed an integer, --precision one of ${precisionChoices.join(', ')} and --label-smoothing in [0, 1)`,
  );
  process.exit(2);
}
const picks = { ...DEMO_BASELINE, 'head.fc.hidden': 128, 's2.op': 'sep3', 's2.w': 96, 's3.op': 'sep3', 's3.w': 64 };
const archs: Record<string, Record<string, unknown>> = a.archs
  ? readArchFiles(a.archs)
  : {
      'baseline CNN': { ...DEMO_BASELINE },
      'conv3 16, sep3 64, conv5 64, pooling': { ...DEMO_BASELINE, 's1.w': 16, 's2.op': 'sep3', 's2.w': 64, 's3.op': 'conv5', 's3.w': 64, head: 'gap', 'head.fc.hidden': 128 },
      'conv3 32, sep3 96, sep3 192, fc 256': { ...DEMO_BASELINE, 's2.op': 'sep3', 's2.w': 96, 's3.op': 'sep3', 's3.w': 192 },
      'conv3 32, sep3 96, sep3 64, pooling': { ...picks, head: 'gap' },
    };
const space = a.space ?? packageFile('examples/spaces/fmnist-net.json');
const data = demoSplit(seed);
const threads = Number(a.threads ?? availableParallelism());
// The demo's trial recipe: batches of 128, the search's warm-up; precision, augmentation and label
// smoothing as asked.
const trial = {
  batchSize: 128,
  warmupFraction: DEFAULT_WARMUP,
  precision: resolvePrecision(a.precision as Precision | 'auto'),
  augment: a.augment,
  labelSmoothing,
};
const proxies: [string, Partial<TrialSpec>][] = [
  ['1 epoch on a fifth', { recipe: { ...trial, epochs: 1 }, fidelity: { dataFraction: 0.2 } }],
  ...seconds.map((t): [string, Partial<TrialSpec>] => [`${t} s on all`, { recipe: { ...trial, epochs: 1000, seconds: t } }]),
  ...fractions.map((f): [string, Partial<TrialSpec>] => [`${fractionSeconds} s on ${f}`, { recipe: { ...trial, epochs: 1000, seconds: fractionSeconds }, fidelity: { dataFraction: f } }]),
  ...epochCounts.map((e): [string, Partial<TrialSpec>] => [`${e} epoch(s) on all`, { recipe: { ...trial, epochs: e } }]),
];
console.log(`network | params | ${proxies.map(([p]) => `${p}: val acc (images)`).join(' | ')}`);
for (const [name, values] of Object.entries(archs)) {
  const cells: string[] = [];
  let params = 0;
  for (const [, proxy] of proxies) {
    const r = await trainArchitecture({ space, arch: { space: 'fmnist-net', values: values as never }, seed, threads, ...proxy }, data);
    params = r.params;
    cells.push(`${(100 * r.valAcc).toFixed(2)}% (${r.curve.reduce((n, p) => n + p.examples, 0)})`);
  }
  console.log(`${name} | ${params} | ${cells.join(' | ')}`);
}
