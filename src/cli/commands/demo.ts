/**
 * `loom demo`: a real architecture search on Fashion-MNIST that fits in about 15 minutes on two
 * CPU cores. It is `loom search` with the defaults below: local search (hill climbing over
 * one-change neighbourhoods) over the packaged `examples/spaces/fmnist-net.json` space for
 * `--budget`, starting from the baseline CNN (the space's member {@link DEMO_BASELINE}), each
 * trial trained as the final model is (shifts and flips, label smoothing 0.1) but for
 * {@link DEMO_TRIAL_EPOCHS} epoch of the training split (at most {@link DEMO_TRIAL_MAX_SECONDS}
 * seconds, so a slow machine still ends its search on time), then the best architecture retrained
 * on the whole split for `--final-budget` and tested. Trials count images, not seconds: the final's
 * minutes are many epochs (25 to 60 on a recent 2-core machine), where what a network can learn
 * decides, and a trial of a few seconds ranks the opposite way (small global-pooling networks
 * learn fastest at first and end a point lower; docs/results.md). The demo does not inherit
 * weights: a child would look better by its ancestors' training, which the final retraining does
 * not get. With `--baseline`, the space's member that is the fixed baseline CNN (`loom baseline`)
 * is then trained with the same final recipe and time (`loom search --compare`), so the result
 * shows what the search bought.
 * @module
 */
import { availableParallelism } from 'node:os';
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
export const DEMO_TRIAL_EPOCHS = 1;

/**
 * The most seconds a demo trial on two or more threads trains (one on a single thread gets twice
 * as long): a trial that has not done its epochs by then ends there, its schedule over the time,
 * so a slow machine still ends its search on time.
 */
export const DEMO_TRIAL_MAX_SECONDS = 60;

/** The most trials the demo trains at once by default. */
export const DEMO_MAX_WORKERS = 8;

/**
 * The demo's workers: one per core (at most {@link DEMO_MAX_WORKERS}), unless given. A trial of the
 * demo space is too small to keep two threads busy: two one-thread workers train about 15% more
 * trials in the same time than one two-thread worker (here: 19 trials in 4.5 minutes instead of
 * 16-17, so the baseline's whole neighbourhood of 18, where one worker left two or three out).
 */
export function demoWorkers(given: number | undefined, cores: number): number {
  return given ?? Math.max(1, Math.min(cores, DEMO_MAX_WORKERS));
}

export interface DemoOptions {
  budget: number;
  finalBudget: number;
  /** Trials trained at once (default {@link demoWorkers}). */
  workers?: number;
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
  const cores = availableParallelism();
  const workers = demoWorkers(o.workers, cores);
  const { workerThreads } = await import('../../study/search.js');
  const threads = workerThreads(cores, workers);
  log(
    `loom demo: searching ${formatDuration(o.budget)} (local search from the baseline CNN, ${workers} trial${workers === 1 ? '' : 's'} at a time, of ${DEMO_TRIAL_EPOCHS} epoch${DEMO_TRIAL_EPOCHS === 1 ? '' : 's'}, augmented${precision === 'float32' ? '' : `, ${precision} mixed precision`}), ` +
      `then retraining the best for about ${formatDuration(o.finalBudget)}; results in ${out}`,
  );
  await search({
    dataset: o.dataset,
    space,
    strategy: 'local',
    // The climb starts from the baseline CNN, so the search improves on a known network one change
    // at a time; its neighbours (18) are tried in a seeded random order, and the best that beats it
    // becomes the next start. Random members of the space, half the trials of the demo's earlier
    // evolution, never scored as high as the baseline there (docs/results.md).
    option: [`initial=${baseline}`],
    budget: o.budget,
    finalBudget: o.finalBudget,
    workers,
    out,
    seed: o.seed,
    epochs: DEMO_TRIAL_EPOCHS,
    trialBudget: threads === 1 ? 2 * DEMO_TRIAL_MAX_SECONDS : DEMO_TRIAL_MAX_SECONDS,
    // Trials train as the final does (shifts and flips, label smoothing 0.1), only shorter: so
    // trained, networks with more to learn lead from the first epoch (docs/results.md).
    augment: true,
    labelSmoothing: 0.1,
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
