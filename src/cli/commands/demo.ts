/**
 * `loom demo`: a real architecture search on Fashion-MNIST that fits in about 15 minutes on two
 * CPU cores. It is `loom search` with the defaults below: regularized evolution over the packaged
 * `examples/spaces/fmnist-net.json` space for `--budget`, its population started from the baseline
 * CNN (the space's member {@link DEMO_BASELINE}) and five random networks, each trial trained for
 * {@link DEMO_TRIAL_SECONDS} seconds on the training split, then the best architecture retrained on
 * the whole split for `--final-budget` and tested. Trials and final are both trained for a time
 * with the schedule over it, so the search ranks networks by what the final rewards: accuracy for
 * the time spent, which counts a network's real speed on this machine (separable convolutions
 * have few multiply-adds but run slowly on a CPU). The demo does not inherit weights: a child
 * would look better by its ancestors' training, which the final retraining does not get. With
 * `--baseline`, the space's member that is the fixed baseline CNN (`loom baseline`) is then
 * trained with the same final recipe and time, so the result shows what the search bought.
 * @module
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { join, resolve } from 'node:path';
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

/** Training time of each of the demo's trials, seconds. */
export const DEMO_TRIAL_SECONDS = 15;

export interface DemoOptions {
  budget: number;
  finalBudget: number;
  workers: number;
  seed: number;
  out: string;
  dataset: string;
  baseline?: boolean;
  quiet?: boolean;
  json?: boolean;
}

/** `loom demo` (see the module comment). */
export async function demo(o: DemoOptions): Promise<void> {
  const space = packageFile('examples/spaces/fmnist-net.json');
  const out = resolve(o.out);
  const log = (l: string) => {
    if (!o.quiet) process.stderr.write(`${l}\n`);
  };
  log(
    `loom demo: searching ${formatDuration(o.budget)} (evolution from the baseline CNN, trials of ${DEMO_TRIAL_SECONDS} s of training), ` +
      `then retraining the best for about ${formatDuration(o.finalBudget)}; results in ${out}`,
  );
  const result = await search({
    dataset: o.dataset,
    space,
    strategy: 'evolution',
    // The population starts from the baseline CNN, so the search improves on a known network;
    // tournaments of 3 of the 6 make the best members (the baseline among them) the usual parents.
    option: ['population=6', 'sampleSize=3', `initial=${JSON.stringify({ space: 'fmnist-net', values: DEMO_BASELINE })}`],
    budget: o.budget,
    finalBudget: o.finalBudget,
    workers: o.workers,
    out,
    seed: o.seed,
    trialBudget: DEMO_TRIAL_SECONDS,
    batchSize: 128,
    valSize: 5000,
    quiet: o.quiet,
    json: false,
    print: !o.json,
  });
  if (!o.baseline || !result?.best) {
    if (o.json) process.stdout.write(`${JSON.stringify(result)}\n`);
    return;
  }
  // The reference: the baseline CNN with the final model's recipe and time (or epochs), through the same path.
  const { trainFinal } = await import('../../study/search.js');
  const final = JSON.parse(readFileSync(join(out, 'recipe.json'), 'utf8')) as { recipe: Record<string, unknown>; seed: number };
  const length = typeof final.recipe.seconds === 'number' ? formatDuration(final.recipe.seconds) : `${final.recipe.epochs} epochs`;
  log(`baseline: training the baseline CNN (loom baseline) with the final recipe, ${length}`);
  const b = await trainFinal({
    space,
    arch: { space: 'fmnist-net', values: { ...DEMO_BASELINE } },
    recipe: final.recipe,
    seed: final.seed,
    dataset: o.dataset,
    dataOptions: { seed: o.seed },
    out: join(out, 'baseline'),
    threads: availableParallelism(),
    log: (l) => log(l.replace(/^final:/, 'baseline:')),
  });
  const cmp = {
    ...result,
    baseline: { test_acc: b.test?.accuracy ?? null, params: b.params, flops: b.flops, epochs: b.epochs, seconds: b.seconds, weights: b.weights },
  };
  writeFileSync(join(out, 'result.json'), `${JSON.stringify(cmp, null, 2)}\n`);
  if (o.json) {
    process.stdout.write(`${JSON.stringify(cmp)}\n`);
    return;
  }
  const pct = (v: number | null | undefined) => (v === null || v === undefined ? '-' : `${(100 * v).toFixed(2)}%`);
  process.stdout.write(
    `baseline CNN, same recipe (${b.epochs} epochs, ${b.seconds.toFixed(0)} s): test ${pct(b.test?.accuracy)}, ${b.params.toLocaleString('en-US')} params\n` +
      `searched model: test ${pct(result.best.test_acc)}, ${result.best.params.toLocaleString('en-US')} params (${result.finalEpochs ?? '?'} epochs, ${(result.finalSeconds ?? 0).toFixed(0)} s)\n`,
  );
}
