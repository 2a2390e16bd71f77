/**
 * `npm run bench:pruning`: what early stopping saves on a simulated random search, and what it
 * costs in final accuracy. Random search draws architectures with replacement; every trial trains
 * for `--epochs` epochs unless its pruner stops it; the study's earlier trials (COMPLETE with their
 * whole curves, PRUNED with their partial ones) are the pruner's history, as in a live search.
 * Pruners compared: none, the median rule as shipped (Optuna's reference: values at the step; 5
 * startup trials, warm-up 1), the same with 5 warm-up epochs, the median rule with Vizier's
 * running-average reference, and the curve pruner (Domhan et al.'s P < 0.05, bound 100).
 *
 * **The curves are simulated, not trained** (training a few hundred networks for a benchmark is too
 * slow here). Each architecture's final accuracy (in %) is drawn from the `c10_val_acc@12` column
 * of NAS-Bench-201's 12-epoch table (`--table`, default `../shared/benchmarks/nb201-12epoch.csv`)
 * when that file exists; otherwise from a seeded stand-in distribution (90%: normal, mean 82, sd
 * 5, clipped to [40, 92]; 10%: collapsed networks at 10 ± 0.5), and the first line says which.
 * The curve reaching that final value has a random shape: one of pow3, Janoschek, MMF or exp4
 * with random rate and curvature, affinely mapped to run from a starting accuracy (10% plus 20–80%
 * of the way to the final one) at epoch 1 to the final one at the last epoch, plus a late rise of
 * up to `--bump` points in the last third (the learning-rate annealing jump of a cosine schedule,
 * which none of the families has), plus Gaussian noise of `--noise` points per epoch. Slow
 * starters that end high and fast starters that stall both occur, so pruning can lose the best
 * architecture; the figures show how often.
 *
 * Two budgets: `trials` (the same `--trials` architectures for every pruner: epochs spent, time
 * saved, best final accuracy found) and `epochs` (the epochs the unpruned search spent on those
 * trials: how many trials each pruner gets through with them, and the best found). Epochs are the
 * cost; the pruner's own CPU time is reported as `pruner_s`. One JSON line per (seed, budget,
 * pruner) for `--seed`, then `summary` lines over seeds seed..seed+repeats−1.
 *
 * Options: --trials 100  --epochs 50  --seed 0  --repeats 5  --noise 0.5  --bump 2  --table PATH
 */
import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { type CurveFamilyName, curveValue } from '../src/estimate/curve.js';
import { CurvePruner, MedianPruner, NopPruner, type Pruner, type PrunerTrial, type StepValue } from '../src/estimate/pruner.js';
import { Rng } from '../src/util/rng.js';

const { values: args } = parseArgs({
  options: {
    trials: { type: 'string', default: '100' },
    epochs: { type: 'string', default: '50' },
    seed: { type: 'string', default: '0' },
    repeats: { type: 'string', default: '5' },
    noise: { type: 'string', default: '0.5' },
    bump: { type: 'string', default: '2' },
    table: { type: 'string', default: resolve(process.cwd(), '../shared/benchmarks/nb201-12epoch.csv') },
  },
});
const trials = Number(args.trials);
const epochs = Number(args.epochs);
const seed = Number(args.seed);
const repeats = Number(args.repeats);
const noise = Number(args.noise);
const bump = Number(args.bump);
for (const [k, v, min] of [
  ['trials', trials, 1],
  ['epochs', epochs, 5],
  ['seed', seed, 0],
  ['repeats', repeats, 1],
] as const) {
  if (!Number.isSafeInteger(v) || v < min) {
    console.error(`bench: --${k} must be an integer >= ${min}`);
    process.exit(2);
  }
}
if (!(noise >= 0) || !(bump >= 0)) {
  console.error('bench: --noise and --bump must be numbers >= 0');
  process.exit(2);
}

/** Final accuracies (%) from the table's c10_val_acc@12 column, or null when the file is missing. */
function readTable(path: string): number[] | null {
  if (!existsSync(path)) return null;
  const lines = readFileSync(path, 'utf8').split(/\r?\n/).filter(Boolean);
  const col = lines[0].split(',').indexOf('c10_val_acc@12');
  if (col < 0) throw new Error(`bench: ${path} has no c10_val_acc@12 column`);
  const out: number[] = [];
  for (const line of lines.slice(1)) {
    const v = Number(line.split(',')[col]);
    if (Number.isFinite(v)) out.push(v);
  }
  return out;
}

const table = readTable(args.table);
/** The stand-in when there is no table (documented above). */
function standIn(r: Rng): number {
  if (r.next() < 0.1) return 10 + 0.5 * r.normal();
  return Math.min(92, Math.max(40, 82 + 5 * r.normal()));
}

interface Arch {
  /** True final accuracy (%), the noiseless value at the last epoch. */
  final: number;
  /** Observed validation accuracy (%) after each epoch 1..E (index 0 = epoch 1). */
  curve: number[];
}

const SHAPES = ['pow3', 'janoschek', 'mmf', 'exp4'] as const satisfies readonly CurveFamilyName[];

/** A simulated architecture: its final accuracy and one noisy learning curve reaching it. */
function simulate(final: number, r: Rng): Arch {
  const family = SHAPES[r.int(SHAPES.length)];
  const all: Record<(typeof SHAPES)[number], Record<string, number>> = {
    pow3: { c: 1, a: 1, alpha: 0.3 + 1.5 * r.next() },
    janoschek: { alpha: 1, beta: 0, kappa: 0.03 + 0.4 * r.next(), delta: 0.5 + 0.8 * r.next() },
    mmf: { alpha: 1, beta: 0, kappa: 0.05 + 0.5 * r.next(), delta: 0.6 + 1.4 * r.next() },
    exp4: { c: 1, a: 0.1 + 0.6 * r.next(), b: 0, alpha: 0.4 + 0.6 * r.next() },
  };
  const params = all[family];
  const raw = (x: number): number => curveValue(family, params, x);
  const r1 = raw(1);
  const rE = raw(epochs);
  const start = 10 + (0.2 + 0.6 * r.next()) * Math.max(final - 10, 0);
  const jump = Math.min(bump * r.next(), Math.max(final - start, 0));
  const base = final - jump;
  const late = (x: number): number => 1 / (1 + Math.exp(-(x - 0.8 * epochs) / (0.04 * epochs)));
  const l1 = late(1);
  const lE = late(epochs);
  const curve: number[] = [];
  for (let x = 1; x <= epochs; x++) {
    const progress = rE > r1 ? (raw(x) - r1) / (rE - r1) : 1;
    const v = start + (base - start) * progress + (jump * (late(x) - l1)) / (lE - l1);
    curve.push(Math.min(100, Math.max(0, v + noise * r.normal())));
  }
  return { final, curve };
}

/** The architectures of one search, in the order random search draws them (`n` of them). */
function draws(s: number, n: number): Arch[] {
  const r = new Rng(s);
  return Array.from({ length: n }, () => {
    const final = table ? table[r.int(table.length)] : standIn(r);
    return simulate(final, r);
  });
}

interface Run {
  trials: number;
  epochs: number;
  pruned: number;
  /** Observed final accuracy of the best complete trial, and its true final accuracy. */
  bestObserved: number;
  bestTrue: number;
  /** Did the search complete the best architecture (highest true final) among those it drew? */
  keptBest: boolean;
  prunerSeconds: number;
}

/** Random search over `archs` until `maxTrials` trials or `maxEpochs` epochs are spent. */
function search(archs: Arch[], pruner: Pruner, maxTrials: number, maxEpochs: number): Run {
  const history: PrunerTrial[] = [];
  let spent = 0;
  let pruned = 0;
  let best: Arch | null = null;
  let bestObserved = Number.NEGATIVE_INFINITY;
  let seconds = 0;
  let n = 0;
  let topDrawn: Arch | null = null;
  let topCompleted = false;
  for (const arch of archs) {
    if (n >= maxTrials || spent >= maxEpochs) break;
    n++;
    if (!topDrawn || arch.final > topDrawn.final) {
      topDrawn = arch;
      topCompleted = false;
    }
    const curve: StepValue[] = [];
    let stopped = false;
    for (let e = 1; e <= epochs && spent < maxEpochs; e++) {
      curve.push({ step: e, value: arch.curve[e - 1] });
      spent++;
      if (e === epochs) break;
      const t0 = process.cpuUsage();
      stopped = pruner.shouldPrune(history, curve);
      const u = process.cpuUsage(t0);
      seconds += (u.user + u.system) / 1e6;
      if (stopped) break;
    }
    if (stopped || curve.length < epochs) {
      pruned += stopped ? 1 : 0;
      history.push({ state: stopped ? 'PRUNED' : 'FAIL', curve });
      continue;
    }
    const value = curve[epochs - 1].value;
    history.push({ state: 'COMPLETE', curve, value });
    if (arch === topDrawn) topCompleted = true;
    if (value > bestObserved) {
      bestObserved = value;
      best = arch;
    }
  }
  return { trials: n, epochs: spent, pruned, bestObserved, bestTrue: best ? best.final : Number.NaN, keptBest: topCompleted, prunerSeconds: seconds };
}

const PRUNERS: [string, () => Pruner][] = [
  ['none', () => new NopPruner()],
  ['median', () => new MedianPruner()],
  ['median-warmup5', () => new MedianPruner({ warmupSteps: 5 })],
  ['median-vizier', () => new MedianPruner({ reference: 'runningAverage' })],
  ['curve', () => new CurvePruner({ finalStep: epochs, bound: 100 })],
];

const round = (v: number, d = 3): number => Math.round(v * 10 ** d) / 10 ** d;
console.log(
  JSON.stringify({
    bench: 'early-stopping',
    finals: table ? `${args.table} (c10_val_acc@12, ${table.length} architectures)` : 'seeded stand-in distribution (no table found)',
    trials,
    epochs,
    seeds: [seed, seed + repeats - 1],
    noise,
    bump,
  }),
);
type Row = { seed: number; budget: string; pruner: string; saved: number; regret: number; trials: number; keptBest: boolean; prunerSeconds: number };
const rows: Row[] = [];
for (let s = seed; s < seed + repeats; s++) {
  const archs = draws(s, trials * 50);
  const base = search(archs, new NopPruner(), trials, Number.POSITIVE_INFINITY);
  for (const budget of ['trials', 'epochs'] as const) {
    for (const [name, make] of PRUNERS) {
      const run = budget === 'trials' ? search(archs, make(), trials, Number.POSITIVE_INFINITY) : search(archs, make(), Number.POSITIVE_INFINITY, base.epochs);
      const saved = 1 - run.epochs / base.epochs;
      const regret = base.bestTrue - run.bestTrue;
      rows.push({ seed: s, budget, pruner: name, saved, regret, trials: run.trials, keptBest: run.keptBest, prunerSeconds: run.prunerSeconds });
      if (s !== seed) continue;
      console.log(
        JSON.stringify({
          bench: 'early-stopping',
          seed: s,
          budget,
          pruner: name,
          trials: run.trials,
          pruned: run.pruned,
          epochs: run.epochs,
          ...(budget === 'trials' ? { saved_pct: round(100 * saved, 1) } : {}),
          best_observed: round(run.bestObserved),
          best_final: round(run.bestTrue),
          change_vs_none: round(run.bestTrue - base.bestTrue),
          kept_best_drawn: run.keptBest,
          pruner_s: round(run.prunerSeconds, 2),
        }),
      );
    }
  }
}
for (const budget of ['trials', 'epochs']) {
  for (const [name] of PRUNERS) {
    const rs = rows.filter((r) => r.budget === budget && r.pruner === name);
    const mean = (f: (r: Row) => number): number => rs.reduce((a, r) => a + f(r), 0) / rs.length;
    console.log(
      JSON.stringify({
        bench: 'early-stopping',
        summary: true,
        budget,
        pruner: name,
        seeds: rs.length,
        mean_trials: round(mean((r) => r.trials), 1),
        ...(budget === 'trials' ? { mean_saved_pct: round(100 * mean((r) => r.saved), 1) } : {}),
        mean_change_vs_none: round(-mean((r) => r.regret)),
        worst_change_vs_none: round(-Math.max(...rs.map((r) => r.regret))),
        kept_best_drawn: `${rs.filter((r) => r.keptBest).length}/${rs.length}`,
        mean_pruner_s: round(mean((r) => r.prunerSeconds), 2),
      }),
    );
  }
}
