/**
 * `loom demo`: a real architecture search on Fashion-MNIST that fits in about 15 minutes on two
 * CPU cores. It is `loom search` with the defaults below: regularized evolution over the packaged
 * `examples/spaces/fmnist-net.json` space for `--budget`, its population started from the baseline
 * CNN (the space's member {@link DEMO_BASELINE}) and five random networks, each trial trained for
 * {@link DEMO_TRIAL_EPOCHS} epochs on the training split (at most {@link DEMO_TRIAL_MAX_SECONDS}
 * seconds, so a slow machine still ends its search on time), then the best architecture retrained
 * on the whole split for `--final-budget` and tested. Trials count images, not seconds: the final's
 * minutes are many epochs (25 to 60 on a recent 2-core machine), where what a network can learn
 * decides, and a trial of a few seconds ranks the opposite way (small global-pooling networks
 * learn fastest at first and end a point lower; the README's Results). The demo does not inherit
 * weights: a child would look better by its ancestors' training, which the final retraining does
 * not get. With `--baseline`, the space's member that is the fixed baseline CNN (`loom baseline`)
 * is then trained with the same final recipe and time (`loom search --compare`), so the result
 * shows what the search bought.
 * @module
 */
import { resolve } from 'node:path';
import type { Precision } from '../../estimate/train.js';
import { formatDuration } from '../../util/progress.js';
import { packageFile } from '../package-info.js';
import { search } from './search.js';

/** The demo space's member that is the fixed baseline CNN of `loom baseline` (390,634 parameters). */
export const DEMO_BASELINE = {
  's1.op': 'conv3',
  's1.w': 32,
  's1.extra': 0,
  's2.op': 'conv3',
  's2.w': 64,
  's2.extra': 0,
  's3.op': 'conv3',
  's3.w': 128,
  's3.extra': 0,
  head: 'fc',
  'head.fc.hidden': 256,
  dropout: 0,
} as const;

/** Training epochs of each of the demo's trials (on the training split less the 5000 held out). */
export const DEMO_TRIAL_EPOCHS = 2;

/** The most seconds a demo trial trains: a trial that has not done its epochs by then ends there, its schedule over the time. */
export const DEMO_TRIAL_MAX_SECONDS = 60;

export interface DemoOptions {
  budget: number;
  finalBudget: number;
  workers: number;
  seed: number;
  out: string;
  dataset: string;
  baseline?: boolean;
  /** Precision of every training (default auto: bfloat16 mixed precision on a CPU with bfloat16 instructions, else float32). */
  precision?: Precision | 'auto';
  quiet?: boolean;
  json?: boolean;
}

/** `loom demo` (see the module comment). */
export async function demo(o: DemoOptions): Promise<void> {
  const space = packageFile('examples/spaces/fmnist-net.json');
  const baseline = JSON.stringify({ space: 'fmnist-net', values: DEMO_BASELINE });
  const out = resolve(o.out);
  const log = (l: string) => {
    if (!o.quiet) process.stderr.write(`${l}\n`);
  };
  const { resolvePrecision } = await import('../../estimate/train.js');
  const precision = resolvePrecision(o.precision ?? 'auto');
  log(
    `loom demo: searching ${formatDuration(o.budget)} (evolution from the baseline CNN, trials of ${DEMO_TRIAL_EPOCHS} epochs${precision === 'float32' ? '' : `, ${precision} mixed precision`}), ` +
      `then retraining the best for about ${formatDuration(o.finalBudget)}; results in ${out}`,
  );
  await search({
    dataset: o.dataset,
    space,
    strategy: 'evolution',
    // The population starts from the baseline CNN, so the search improves on a known network;
    // tournaments of 3 of the 6 make the best members (the baseline among them) the usual parents.
    option: ['population=6', 'sampleSize=3', `initial=${baseline}`],
    budget: o.budget,
    finalBudget: o.finalBudget,
    workers: o.workers,
    out,
    seed: o.seed,
    epochs: DEMO_TRIAL_EPOCHS,
    trialBudget: DEMO_TRIAL_MAX_SECONDS,
    // Every trial trains its two epochs: a median rule after the first would rank by one epoch.
    pruning: false,
    batchSize: 128,
    valSize: 5000,
    precision,
    // The reference: the baseline CNN with the final model's recipe and time, through the same path.
    ...(o.baseline ? { compare: baseline } : {}),
    quiet: o.quiet,
    json: o.json,
  });
}
