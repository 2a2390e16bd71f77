/**
 * `npm run bench:precision`: training speed of networks of the demo space in float32 and in
 * bfloat16 mixed precision (`recipe.precision`), side by side in one run. Each network (`--archs`,
 * JSON files of architectures of `--space`; default: the baseline CNN, a separable network, the
 * 60-minute search's pick and a small global-pooling network) trains one epoch on a seeded
 * `--fraction` of Fashion-MNIST's training split (5000 images held out; batches of 128, 5% warm-up,
 * channels-last, as the demo's trials), once per precision and `--rounds` times, keeping each
 * precision's fastest. Prints one row per network: seconds per epoch of the whole split
 * (the fraction's training time over the fraction), the speed-up, and both validation accuracies
 * (a check that bfloat16 learns alike, not a result: one epoch on a fraction).
 *
 * Options: --fraction 0.2  --rounds 1  --threads (all cores)  --seed 0  --space FILE  --archs a.json,b.json
 */
import { readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { parseArgs } from 'node:util';
import { DEMO_BASELINE } from '../src/cli/commands/demo.js';
import { DEFAULT_WARMUP } from '../src/cli/commands/search.js';
import { packageFile } from '../src/cli/package-info.js';
import { cpuHasBfloat16 } from '../src/engine/index.js';
import type { Precision } from '../src/estimate/train.js';
import { trainArchitecture } from '../src/estimate/trial.js';
import { demoSplit, readArchFiles } from './demo-archs.js';

const { values: a } = parseArgs({
  options: {
    fraction: { type: 'string', default: '0.2' },
    rounds: { type: 'string', default: '1' },
    threads: { type: 'string' },
    seed: { type: 'string', default: '0' },
    space: { type: 'string' },
    archs: { type: 'string' },
  },
});
const fraction = Number(a.fraction);
const rounds = Number(a.rounds);
const seed = Number(a.seed);
if (!(fraction > 0 && fraction <= 1) || !Number.isInteger(rounds) || rounds < 1 || !Number.isInteger(seed)) {
  console.error('bench:precision: --fraction must be in (0, 1], --rounds a positive integer and --seed an integer');
  process.exit(2);
}
const space = a.space ?? packageFile('examples/spaces/fmnist-net.json');
const spaceName = (JSON.parse(readFileSync(space, 'utf8')) as { name: string }).name;
const archs: Record<string, Record<string, unknown>> = a.archs
  ? readArchFiles(a.archs)
  : {
      'baseline CNN': { ...DEMO_BASELINE },
      'conv3 32, sep3 96, sep3 192, fc 256': { ...DEMO_BASELINE, 's2.op': 'sep3', 's2.w': 96, 's3.op': 'sep3', 's3.w': 192 },
      'conv5 16 + residual, conv3 96, sep3 192, fc 128': { ...DEMO_BASELINE, 's1.op': 'conv5', 's1.w': 16, 's1.extra': 1, 's2.w': 96, 's3.op': 'sep3', 's3.w': 192, 'head.fc.hidden': 128 },
      'conv3 32, sep3 64, sep3 64, pooling': { ...DEMO_BASELINE, 's2.op': 'sep3', 's3.op': 'sep3', 's3.w': 64, head: 'gap' },
    };
const data = demoSplit(seed);
const threads = Number(a.threads ?? availableParallelism());
const precisions: Precision[] = ['float32', 'bfloat16'];
console.log(`bench:precision: ${threads} thread(s); this CPU ${cpuHasBfloat16() ? 'has' : 'has no'} bfloat16 instructions; one epoch on ${fraction} of the split, best of ${rounds}`);
console.log('network | params | multiply-adds | s/epoch float32 | s/epoch bfloat16 | speed-up | val acc float32 | val acc bfloat16');
for (const [name, values] of Object.entries(archs)) {
  const best: Record<string, { seconds: number; valAcc: number }> = {};
  let params = 0;
  let flops = 0;
  for (let r = 0; r < rounds; r++) {
    for (const precision of precisions) {
      const t = await trainArchitecture(
        {
          space,
          arch: { space: spaceName, values: values as never },
          seed,
          threads,
          recipe: { epochs: 1, batchSize: 128, warmupFraction: DEFAULT_WARMUP, precision },
          fidelity: { dataFraction: fraction },
        },
        data,
      );
      if (t.status !== 'ok') {
        console.error(`bench:precision: ${name} in ${precision}: ${t.status} (${t.reason ?? ''})`);
        process.exit(1);
      }
      params = t.params;
      flops = t.flops;
      const seconds = t.curve[0].trainSeconds / fraction;
      if (!best[precision] || seconds < best[precision].seconds) best[precision] = { seconds, valAcc: t.valAcc };
    }
  }
  const [f, b] = precisions.map((p) => best[p]);
  console.log(
    `${name} | ${params} | ${(flops / 1e6).toFixed(1)}M | ${f.seconds.toFixed(1)} | ${b.seconds.toFixed(1)} | ${(f.seconds / b.seconds).toFixed(2)}x | ${(100 * f.valAcc).toFixed(2)}% | ${(100 * b.valAcc).toFixed(2)}%`,
  );
}
