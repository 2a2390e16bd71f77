/**
 * A real search, end to end: a {@link Study} (strategy + store) hands out trials, a
 * {@link WorkerPool} trains them in child processes at the strategy's fidelity and reports every
 * epoch (stored as the trial's learning curve; a pruner may stop hopeless trials), until the
 * budget (trials, or time counted across runs) is spent. Then the best architecture is retrained
 * with the final recipe, evaluated on the test set, and saved with its report.
 *
 * Running the same search again (same storage and study name) resumes it: see `study.ts`.
 * @module
 */
import { mkdirSync, renameSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { DatasetOptions } from '../data/datasets.js';
import { MedianPruner, metricCurve } from '../estimate/pruner.js';
import type { Fidelity, TrialRecipe, TrialResult, TrialSpec } from '../estimate/trial.js';
import { getSpace } from '../space/registry.js';
import type { Json, Store, TrialRecord } from './store.js';
import { MemoryStore } from './memory.js';
import { type JobOutcome, WorkerPool } from './pool.js';
import { SqliteStore } from './sqlite.js';
import { Study } from './study.js';

/** Everything a search needs; see `loom search --help` for the defaults the CLI uses. */
export interface SearchOptions {
  dataset: string;
  dataOptions?: DatasetOptions;
  space: string;
  strategy: string;
  strategyOptions?: Record<string, unknown>;
  /** Stop asking after this many finished trials, or after this many seconds of search (across runs). */
  budget: { trials?: number; seconds?: number };
  workers: number;
  /** Intra-op threads per worker (default: cores / workers, at least 1). */
  threads?: number;
  /** `sqlite:PATH` or `memory:`. */
  storage: string;
  study: string;
  out: string;
  seed: number;
  /** Network settings of the search (trials) and of the final model. */
  network?: { channels?: number; cells?: number };
  finalNetwork?: { channels?: number; cells?: number };
  recipe: TrialRecipe;
  /** Fidelity of each trial (a multi-fidelity strategy's asked fidelity sets the epochs). */
  fidelity?: Fidelity;
  /** Retrain the best with this recipe (epochs included); null: no final retraining. */
  finalRecipe: TrialRecipe | null;
  /** Median-stop trials whose best validation accuracy so far trails the median of the complete trials at the same epoch (from epoch 2). */
  pruning?: boolean;
  /** Kill a trial that runs longer than this. */
  trialTimeoutSeconds?: number;
  onProgress?: (p: SearchProgress) => void;
  onLog?: (line: string) => void;
  /** Stops the search gracefully when aborted (running trials are failed as killed and retried on resume). */
  signal?: AbortSignal;
}

/** Progress, for the progress bar. */
export interface SearchProgress {
  finished: number;
  running: number;
  budgetTrials?: number;
  elapsedSeconds: number;
  budgetSeconds?: number;
  best: number | null;
}

/** What `DIR/result.json` holds. */
export interface SearchResult {
  study: string;
  storage: string;
  best: {
    trial: number;
    space: string;
    arch: Json;
    text: string;
    params: number;
    flops: number;
    val_acc: number;
    test_acc: number | null;
    weights: string | null;
  } | null;
  trials: { complete: number; failed: number; pruned: number; total: number; retried: number };
  seconds: number;
  searchSeconds: number;
  finalSeconds: number;
  resumed: boolean;
}

/** Opens a store from a storage URL (`sqlite:PATH`, `memory:`). */
export function openStore(storage: string): Store {
  if (storage === 'memory:') return new MemoryStore();
  if (storage.startsWith('sqlite:')) return new SqliteStore(storage.slice('sqlite:'.length));
  throw new Error(`unknown storage '${storage}' (use sqlite:PATH or memory:)`);
}

const atomicWrite = (path: string, text: string): void => {
  const tmp = `${path}.tmp-${process.pid}`;
  writeFileSync(tmp, text);
  renameSync(tmp, path);
};

/** Runs (or resumes) a search; see the module comment. */
export async function runSearch(o: SearchOptions): Promise<SearchResult> {
  const t0 = Date.now();
  const space = getSpace(o.space);
  const out = resolve(o.out);
  mkdirSync(out, { recursive: true });
  const store = openStore(o.storage);
  const log = o.onLog ?? (() => {});
  try {
    const study = Study.open({
      store,
      name: o.study,
      space,
      strategy: o.strategy,
      strategyOptions: o.strategyOptions,
      seed: o.seed,
      objective: 'val_acc',
      meta: {
        dataset: o.dataset,
        network: (o.network ?? {}) as Json,
        recipe: o.recipe as Json,
        fidelity: (o.fidelity ?? {}) as Json,
      },
    });
    const resumed = store.trials(o.study).length > 0;
    if (study.recovered.lost.length) log(`resumed: trials ${study.recovered.lost.join(', ')} were running when the last run stopped; failed as lost and retried`);
    else if (resumed) log(`resumed study '${o.study}': ${study.counts().complete} trials complete`);
    const elapsedBefore = Number(store.getState(o.study, 'elapsed') ?? 0);
    const searchStart = Date.now();
    const elapsed = () => elapsedBefore + (Date.now() - searchStart) / 1000;
    const saveElapsed = () => store.putState(o.study, 'elapsed', elapsed());
    const cores = (await import('node:os')).availableParallelism();
    const threads = o.threads ?? Math.max(1, Math.floor(cores / o.workers));
    const dataOptions = { valSize: 5000, seed: o.seed, ...(o.dataOptions ?? {}) };
    const budgetLeft = () =>
      (o.budget.trials === undefined || study.finishedCount() < o.budget.trials) && (o.budget.seconds === undefined || elapsed() < o.budget.seconds) && !o.signal?.aborted;
    const progress = (running: number) =>
      o.onProgress?.({ finished: study.finishedCount(), running, budgetTrials: o.budget.trials, elapsedSeconds: elapsed(), budgetSeconds: o.budget.seconds, best: study.best()?.value ?? null });

    // ---- the search ----
    if (budgetLeft() && !study.finished()) {
      const pool = new WorkerPool(o.workers, { dataset: o.dataset, dataOptions, includeTest: false, threads }, { jobTimeoutMs: o.trialTimeoutSeconds ? o.trialTimeoutSeconds * 1000 : undefined });
      const running = new Map<number, Promise<void>>();
      const curves = new Map<number, number[]>();
      const pruner = new MedianPruner({ warmupSteps: 2 });
      try {
        const launch = (t: TrialRecord) => {
          const spec = trialSpec(o, t, threads);
          const job = pool.run(spec, (point) => {
            study.report(t.number, job.worker, { step: point.epoch, metrics: { val_acc: point.valAcc, val_loss: point.valLoss, train_loss: point.trainLoss, train_acc: point.trainAcc, lr: point.lr, seconds: point.seconds } });
            const c = curves.get(t.number) ?? [];
            c[point.epoch] = point.valAcc;
            curves.set(t.number, c);
            const d = o.pruning ? medianStop(pruner, c, study, t.number) : null;
            if (d?.prune) {
              log(`trial ${t.number}: pruned after epoch ${point.epoch}: ${d.reason}`);
              job.stop();
            }
          });
          study.claim(t.number, job.worker);
          const p = job.done.then((outcome) => {
            const rec = finishFrom(study, t, job.worker, outcome);
            running.delete(t.number);
            saveElapsed();
            const v = rec.value;
            log(`trial ${t.number}: ${rec.state}${v !== null && !Number.isNaN(v) ? ` val_acc ${(100 * v).toFixed(2)}%` : ''}${rec.error ? ` (${rec.error})` : ''}`);
            progress(running.size);
          });
          running.set(t.number, p);
        };
        progress(0);
        while (true) {
          while (pool.idle() > 0 && budgetLeft() && study.finishedCount() + running.size < (o.budget.trials ?? Number.POSITIVE_INFINITY)) {
            const t = study.next();
            if (!t) break;
            launch(t);
          }
          if (running.size === 0) break;
          const tick = new Promise<void>((res) => setTimeout(res, 1000));
          await Promise.race([...running.values(), tick]);
          if (!budgetLeft() && o.budget.seconds !== undefined && elapsed() > o.budget.seconds * 1.25 + 30) break; // overran: stop waiting
          progress(running.size);
        }
      } finally {
        pool.close();
        await Promise.allSettled([...running.values()]);
        saveElapsed();
      }
    }
    const searchSeconds = elapsed() - elapsedBefore;
    const counts = study.counts();
    const retried = store.trials(o.study).filter((t) => t.attrs.retryOf !== undefined).length;

    // ---- the final model ----
    const best = study.best();
    let bestOut: SearchResult['best'] = null;
    let finalSeconds = 0;
    if (best) {
      const arch = study.archOf(best);
      const text = space.format(arch);
      const measures = space.measure ? space.measure(arch, { ...(o.finalNetwork ?? o.network ?? {}) }) : null;
      bestOut = {
        trial: best.number,
        space: space.name,
        arch: best.arch,
        text,
        params: Number(best.metrics.params ?? measures?.params ?? Number.NaN),
        flops: Number(best.metrics.flops ?? measures?.flops ?? Number.NaN),
        val_acc: best.value as number,
        test_acc: null,
        weights: null,
      };
      atomicWrite(join(out, 'arch.json'), `${JSON.stringify(arch.toJSON(), null, 2)}\n`);
      atomicWrite(join(out, 'arch.txt'), `${text}\n`);
      if (o.finalRecipe && !o.signal?.aborted) {
        const f0 = Date.now();
        log(`final: retraining trial ${best.number}'s architecture for ${o.finalRecipe.epochs ?? 1} epochs on the whole training split`);
        const weights = join(out, 'model.safetensors');
        const spec: TrialSpec = {
          space: o.space,
          arch: arch.toJSON(),
          network: o.finalNetwork ?? o.network,
          recipe: o.finalRecipe,
          seed: o.seed,
          threads: Math.max(1, cores),
          saveTo: weights,
        };
        const pool = new WorkerPool(1, { dataset: o.dataset, dataOptions: { ...dataOptions, valSize: undefined, valFraction: undefined }, includeTest: true, threads: Math.max(1, cores) });
        try {
          const job = pool.run(spec, (p) => log(`final: epoch ${p.epoch} train loss ${p.trainLoss.toFixed(4)} acc ${(100 * p.trainAcc).toFixed(2)}% (${p.seconds.toFixed(1)} s)`), true);
          const outcome = await job.done;
          if (outcome.kind === 'result' && outcome.result.status === 'ok' && outcome.test) {
            bestOut.test_acc = outcome.test.accuracy;
            bestOut.params = outcome.result.params;
            bestOut.flops = outcome.result.flops;
            bestOut.weights = weights;
            atomicWrite(join(out, 'recipe.json'), `${JSON.stringify({ recipe: o.finalRecipe, network: o.finalNetwork ?? o.network ?? {}, seed: o.seed }, null, 2)}\n`);
            log(`final: test accuracy ${(100 * outcome.test.accuracy).toFixed(2)}% (${outcome.test.correct}/${outcome.test.total})`);
          } else log(`final: retraining failed: ${outcome.kind === 'error' ? outcome.message : (outcome.result.reason ?? outcome.result.status)}`);
        } finally {
          pool.close();
        }
        finalSeconds = (Date.now() - f0) / 1000;
      }
    }
    const result: SearchResult = {
      study: o.study,
      storage: store.url,
      best: bestOut,
      trials: { complete: counts.complete, failed: counts.failed, pruned: counts.pruned, total: counts.trials, retried },
      seconds: (Date.now() - t0) / 1000,
      searchSeconds,
      finalSeconds,
      resumed,
    };
    atomicWrite(join(out, 'result.json'), `${JSON.stringify(result, null, 2)}\n`);
    try {
      const { writeReport } = await import('./report.js');
      await writeReport(out, study, result);
    } catch (e) {
      log(`report: could not be written: ${(e as Error).message}`);
    }
    return result;
  } finally {
    store.close();
  }
}

/** The training job of a trial: the search recipe at the trial's fidelity. */
function trialSpec(o: SearchOptions, t: TrialRecord, threads: number): TrialSpec {
  const fidelity: Fidelity = { ...(o.fidelity ?? {}) };
  if (t.fidelity !== null) fidelity.epochs = Math.max(1, Math.round(t.fidelity));
  return {
    space: o.space,
    arch: t.arch as unknown as TrialSpec['arch'],
    network: o.network,
    recipe: o.recipe,
    fidelity,
    seed: o.seed + t.number,
    threads,
  };
}

/** Stores a job's outcome as the trial's end. */
function finishFrom(study: Study, t: TrialRecord, worker: string, outcome: JobOutcome): TrialRecord {
  if (outcome.kind === 'error') return study.finish(t.number, worker, { state: 'FAIL', error: outcome.message });
  const r: TrialResult = outcome.result;
  const metrics: Record<string, number> = { val_acc: r.valAcc, val_loss: r.valLoss, train_loss: r.trainLoss, params: r.params, flops: r.flops, epochs: r.epochs, seconds: r.seconds };
  if (r.status === 'failed') return study.finish(t.number, worker, { state: 'FAIL', value: Number.NaN, metrics, error: r.reason ?? 'failed' });
  if (r.status === 'stopped') return study.finish(t.number, worker, { state: 'PRUNED', value: r.valAcc, metrics, error: null });
  return study.finish(t.number, worker, { state: 'COMPLETE', value: r.valAcc, metrics });
}

/**
 * Asks the median stopping rule ({@link MedianPruner}: Golovin et al. 2017, as Optuna's; warm-up
 * of 2 epochs so a trial always gets past its first) whether a trial whose validation accuracy
 * curve is `curve` so far should stop, against the study's COMPLETE trials.
 */
function medianStop(pruner: MedianPruner, curve: readonly number[], study: Study, self: number): { prune: boolean; reason: string } {
  const history = study.store.trials(study.name, ['COMPLETE']).filter((t) => t.number !== self).map((t) => ({ state: t.state, value: t.value, curve: metricCurve(study.store.curve(study.name, t.number), 'val_acc') }));
  const current = curve.flatMap((v, step) => (v === undefined ? [] : [{ step, value: v }]));
  return pruner.decide(history, current);
}
