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
import { existsSync, renameSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { type DatasetOptions, checkDataset, resolveDataset } from '../data/datasets.js';
import { spaceCopy } from '../estimate/model.js';
import { CurvePruner, MedianPruner, type Pruner, metricCurve } from '../estimate/pruner.js';
import type { TrainRecipe } from '../estimate/train.js';
import { type Fidelity, MAX_FINAL_EPOCHS, type TrialRecipe, type TrialResult, type TrialSpec } from '../estimate/trial.js';
import type { Architecture } from '../space/architecture.js';
import { getSpace } from '../space/registry.js';
import { ArchitectureError, type NetworkOptions, type SearchSpace } from '../space/space.js';
import { getStrategyFactory } from '../strategy/registry.js';
import type { Json, Store, TrialRecord } from './store.js';
import { MemoryStore } from './memory.js';
import { type JobOutcome, WorkerPool } from './pool.js';
import { SqliteStore } from './sqlite.js';
import { Study } from './study.js';
import { makeDirs } from '../util/fs.js';

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
  /**
   * Seeds of the trials: 'common' (the default for a new study) trains every trial with `seed`
   * (the same initialisation where the networks' shapes agree, the same batches and augmentation),
   * so trials differ by their architecture and fidelity rather than by luck: common random
   * numbers, which make the comparisons a search makes less noisy (one-epoch Fashion-MNIST trials
   * of five networks, five seeds: the spread of a difference of two trials 0.38 points with one
   * seed for both, 0.50 with two; docs/results.md). 'distinct' trains trial N with `seed + N`, as
   * studies made before this option did; resuming such a study keeps it.
   */
  trialSeeds?: 'common' | 'distinct';
  /** Network settings of the search (trials) and of the final model. */
  network?: { channels?: number; cells?: number };
  finalNetwork?: { channels?: number; cells?: number };
  recipe: TrialRecipe;
  /**
   * Train each trial for this many seconds instead of `recipe.epochs` epochs: its schedule runs
   * over the time ({@link TrainRecipe.seconds}), so trials are ranked by the accuracy they reach
   * in the same time, which counts each network's real speed. With a multi-fidelity strategy it
   * is the time of its highest fidelity: a trial asked at fidelity `f` trains for
   * `trialSeconds * f / maxFidelity` (successive halving over time, not epochs). Not with the
   * curve pruner (it needs a known last epoch).
   */
  trialSeconds?: number;
  /** Fidelity of each trial (a multi-fidelity strategy's asked fidelity sets the epochs, or the time: `trialSeconds`). */
  fidelity?: Fidelity;
  /** Retrain the best with this recipe (epochs included); null: no final retraining. */
  finalRecipe: TrialRecipe | null;
  /**
   * Train the final model for this many seconds instead of `finalRecipe.epochs` epochs (its
   * schedule runs over the time: {@link TrainRecipe.seconds}), so it fits whatever the load.
   */
  finalSeconds?: number;
  /**
   * Augment the final retraining (random shifts and flips): true, false, or 'auto' (when it plans
   * {@link AUTO_AUGMENT_EPOCHS} epochs or more for a network of {@link AUTO_AUGMENT_MIN_PARAMS}
   * parameters or more: {@link autoAugment}). Default: `finalRecipe.augment`.
   */
  finalAugment?: boolean | 'auto';
  /**
   * Early stopping of hopeless trials (default 'median'): 'median' stops a trial whose validation
   * accuracy trails the median of the complete trials at the same epoch (from epoch 2); 'curve'
   * extrapolates its learning curve (Domhan et al. 2015) and stops it when it is unlikely (P < 0.05)
   * to beat the best complete trial (from 4 epochs); 'none' never stops one.
   */
  pruner?: 'median' | 'curve' | 'none';
  /**
   * Weight inheritance: every trial saves its weights under `OUT/weights/`, and a trial whose
   * architecture the strategy made from a parent (evolution's mutations) starts from the parent's
   * trained weights where they fit (`estimate/inherit.ts`) instead of a fresh initialisation.
   */
  inherit?: boolean;
  /** Kill a trial that runs longer than this. */
  trialTimeoutSeconds?: number;
  /**
   * An architecture of the space (its JSON) to train after the final model exactly like it (same
   * recipe, time or epochs, network, seed and data) into `OUT/compare/`, and to test: a
   * hand-designed reference, to show what the search bought (`SearchResult.compare`).
   */
  compare?: Json;
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
  /** The whole run, seconds: search, final and (with `compare`) the reference's training, `compare.seconds`. */
  seconds: number;
  searchSeconds: number;
  finalSeconds: number;
  /** Epochs the final retraining trained (the last one may be partial when it trained for a time); 0 without one. */
  finalEpochs: number;
  resumed: boolean;
  /**
   * A reference architecture trained exactly like the final model (same recipe, time or epochs,
   * seed and data), when one was asked for (`loom search --compare`): what the search bought.
   */
  compare?: {
    arch: Json;
    text: string;
    params: number;
    flops: number;
    test_acc: number | null;
    epochs: number;
    seconds: number;
    weights: string | null;
  };
}

/** Intra-op threads of each of `workers` workers sharing `cores` cores (the default of {@link SearchOptions.threads}). */
export function workerThreads(cores: number, workers: number): number {
  return Math.max(1, Math.floor(cores / workers));
}

/** Opens a store from a storage URL (`sqlite:PATH`, `memory:`). */
export function openStore(storage: string): Store {
  if (storage === 'memory:') return new MemoryStore();
  if (storage.startsWith('sqlite:')) return new SqliteStore(storage.slice('sqlite:'.length));
  throw new Error(`unknown storage '${storage}' (use sqlite:PATH or memory:)`);
}

/** Writes `text` to `path` through a temporary file and a rename, so readers never see half a file. */
export const atomicWrite = (path: string, text: string): void => {
  const tmp = `${path}.tmp-${process.pid}`;
  writeFileSync(tmp, text);
  renameSync(tmp, path);
};

/** Runs (or resumes) a search; see the module comment. */
export async function runSearch(o: SearchOptions): Promise<SearchResult> {
  const t0 = Date.now();
  // Checked before the store is opened, so a refused search leaves no study behind.
  o = withTrialTime(o);
  const space = getSpace(o.space);
  const reference = o.compare === undefined ? null : compareArch(space, o.compare, o.finalRecipe);
  const tabular =
    checkDataForSpace(o.dataset, space, {
      augment: !!o.recipe.augment || (o.recipe.cutout ?? 0) > 0 || o.finalAugment === true || (o.finalAugment === undefined && !!o.finalRecipe?.augment) || (o.finalAugment !== false && (o.finalRecipe?.cutout ?? 0) > 0),
      cutout: Math.max(o.recipe.cutout ?? 0, o.finalRecipe?.cutout ?? 0),
      network: o.network,
      seed: o.seed,
      dataOptions: o.dataOptions,
    }) === 'tabular';
  const out = resolve(o.out);
  makeDirs(out);
  const store = openStore(o.storage);
  const log = o.onLog ?? (() => {});
  try {
    // A study made before trial seeds could be common has none in its settings: it resumes with distinct ones.
    const made = store.getStudy(o.study);
    o = { ...o, trialSeeds: o.trialSeeds ?? (made && made.meta.trialSeeds === undefined ? 'distinct' : 'common') };
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
        ...(o.trialSeeds === 'common' ? { trialSeeds: 'common' } : {}),
      },
    });
    const resumed = store.trials(o.study).length > 0;
    if (study.recovered.lost.length) log(`resumed: trials ${study.recovered.lost.join(', ')} were running when the last run stopped; failed as lost and retried`);
    else if (resumed) log(`resumed study '${o.study}': ${study.counts().complete} trials complete`);
    const secondsPerFidelity = trialTimeScale(o, study);
    const elapsedBefore = Number(store.getState(o.study, 'elapsed') ?? 0);
    const searchStart = Date.now();
    const elapsed = () => elapsedBefore + (Date.now() - searchStart) / 1000;
    const saveElapsed = () => store.putState(o.study, 'elapsed', elapsed());
    const cores = (await import('node:os')).availableParallelism();
    const threads = o.threads ?? workerThreads(cores, o.workers);
    const dataOptions = trialDataOptions(tabular, o.dataOptions, o.seed);
    const budgetLeft = () =>
      (o.budget.trials === undefined || study.finishedCount() < o.budget.trials) && (o.budget.seconds === undefined || elapsed() < o.budget.seconds) && !o.signal?.aborted;
    const progress = (running: number) =>
      o.onProgress?.({ finished: study.finishedCount(), running, budgetTrials: o.budget.trials, elapsedSeconds: elapsed(), budgetSeconds: o.budget.seconds, best: study.best()?.value ?? null });

    // ---- the search ----
    if (budgetLeft() && !study.finished()) {
      const pool = new WorkerPool(o.workers, { dataset: o.dataset, dataOptions, includeTest: false, threads }, { jobTimeoutMs: o.trialTimeoutSeconds ? o.trialTimeoutSeconds * 1000 : undefined });
      const running = new Map<number, Promise<void>>();
      const curves = new Map<number, number[]>();
      const prunerKind = o.pruner ?? 'median';
      try {
        const launch = (t: TrialRecord) => {
          const spec = trialSpec(o, t, threads, study, out, secondsPerFidelity);
          const planned = spec.fidelity?.epochs ?? spec.recipe?.epochs ?? 1;
          const pruner = makePruner(prunerKind, planned);
          const job = pool.run(spec, (point) => {
            study.report(t.number, job.worker, { step: point.epoch, metrics: { val_acc: point.valAcc, val_loss: point.valLoss, train_loss: point.trainLoss, train_acc: point.trainAcc, lr: point.lr, seconds: point.seconds, train_seconds: point.trainSeconds, examples: point.examples } });
            const c = curves.get(t.number) ?? [];
            c[point.epoch] = point.valAcc;
            curves.set(t.number, c);
            // After the last epoch (planned, or the last a time budget allowed) there is nothing left to save: the trial completes.
            const d = pruner && !point.last ? pruneCheck(pruner, c, study, t) : null;
            if (d?.prune) {
              log(`trial ${t.number}: pruned after epoch ${point.epoch}: ${d.reason}`);
              job.stop();
            }
          });
          study.claim(t.number, job.worker);
          const p = job.done.then((outcome) => {
            const rec = finishFrom(study, t, job.worker, outcome, spec.seed ?? 0);
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
          if (o.signal?.aborted) break; // interrupted: the running trials are failed as killed (and retried on resume)
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
    let finalEpochs = 0;
    let compare: SearchResult['compare'];
    if (best) {
      const arch = study.archOf(best);
      const text = space.format(arch);
      // The trial's own figures; else by formula (at the space's default input: the data's is in the workers).
      let measures: { params: number; flops: number } | null = null;
      if (best.metrics.params === undefined || best.metrics.flops === undefined) {
        try {
          measures = space.measure?.(arch, { ...(o.finalNetwork ?? o.network ?? {}) }) ?? null;
        } catch {
          measures = null;
        }
      }
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
      let finalRecipe = o.finalRecipe;
      if (finalRecipe) {
        // Epochs planned: as given, or (trained for a time) as the best trial's timing predicts.
        let planned: number | null = finalRecipe.epochs ?? 1;
        let length = `${planned} epoch${planned === 1 ? '' : 's'}`;
        let about = '';
        if (o.finalSeconds !== undefined) {
          // The schedule runs over the time itself, so the final fits its time whatever the load.
          finalRecipe = { ...finalRecipe, epochs: MAX_FINAL_EPOCHS, seconds: o.finalSeconds };
          const epochSeconds = estimateFinalEpochSeconds(study, best, o, dataOptions, threads / Math.max(1, cores));
          planned = epochSeconds !== null ? Math.max(1, Math.round(o.finalSeconds / epochSeconds)) : null;
          length = `${Math.round(o.finalSeconds)} s`;
          about = planned !== null ? `, about ${planned} epochs by trial ${best.number}'s timing` : '';
        }
        const augment = tabular ? false : o.finalAugment === 'auto' ? autoAugment(planned, bestOut.params) : (o.finalAugment ?? finalRecipe.augment ?? false);
        // Cutout is part of the final's augmentation: a final not augmented gets none.
        const cutout = augment ? (finalRecipe.cutout ?? 0) : 0;
        finalRecipe = { ...finalRecipe, augment, cutout };
        const how = augment ? `augmented${cutout > 0 ? `, cutout ${cutout}` : ''}` : 'not augmented';
        if (o.signal?.aborted) log(`final: not trained (the search was stopped); the same command resumes the search and then trains trial ${best.number}'s architecture or a better one`);
        else log(`final: retraining trial ${best.number}'s architecture for ${length} on the ${dataOptions.trainLimit !== undefined ? `first ${dataOptions.trainLimit} examples of the` : 'whole'} training split (${how}${about})`);
      }
      if (finalRecipe && !o.signal?.aborted) {
        const f = await trainFinal({ space: o.space, arch: arch.toJSON(), network: o.finalNetwork ?? o.network, recipe: finalRecipe, seed: o.seed, dataset: o.dataset, dataOptions, out, threads: cores, log, signal: o.signal });
        finalSeconds = f.seconds;
        finalEpochs = f.epochs;
        if (f.test) {
          bestOut.test_acc = f.test.accuracy;
          bestOut.params = f.params;
          bestOut.flops = f.flops;
          bestOut.weights = f.weights;
        }
      }
      if (reference && finalRecipe && bestOut.test_acc !== null && !o.signal?.aborted) {
        const text = space.format(reference);
        log(`compare: training ${text} like the final model`);
        const c = await trainFinal({ space: o.space, arch: reference.toJSON(), network: o.finalNetwork ?? o.network, recipe: finalRecipe, seed: o.seed, dataset: o.dataset, dataOptions, out: join(out, 'compare'), threads: cores, log: (l) => log(l.replace(/^final:/, 'compare:')), signal: o.signal });
        compare = { arch: reference.toJSON() as unknown as Json, text, params: c.params, flops: c.flops, test_acc: c.test?.accuracy ?? null, epochs: c.epochs, seconds: c.seconds, weights: c.weights };
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
      finalEpochs,
      resumed,
      ...(compare ? { compare } : {}),
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

/** Where a trial's weights are kept when the search inherits weights. */
export const trialWeightsPath = (out: string, trial: number): string => join(out, 'weights', `trial-${trial}.safetensors`);

/** What {@link trainFinal} needs. */
export interface FinalTraining {
  space: string;
  arch: TrialSpec['arch'];
  network?: TrialSpec['network'];
  recipe: TrialRecipe;
  seed: number;
  dataset: string;
  /** The search's data options; the final model trains on the whole training split (no validation part). */
  dataOptions: DatasetOptions;
  /** Folder for `model.safetensors` and `recipe.json`. */
  out: string;
  threads: number;
  log: (line: string) => void;
  /** Aborting stops the training (its worker is killed; nothing is saved). */
  signal?: AbortSignal;
}

/**
 * Trains an architecture as a search's final model, in a worker process: on the whole training
 * split (its progress monitored on a slice of it), then the saved weights are evaluated on the test
 * set. Writes `out/model.safetensors`, `out/recipe.json` and `out/data.json` (the inputs the model
 * expects: `ModelData` of `data/datasets.ts`). `test` is null when training failed.
 */
export async function trainFinal(f: FinalTraining): Promise<{ test: { accuracy: number; correct: number; total: number } | null; params: number; flops: number; weights: string | null; seconds: number; epochs: number }> {
  const f0 = Date.now();
  makeDirs(f.out);
  const weights = join(f.out, 'model.safetensors');
  const threads = Math.max(1, f.threads);
  const spec: TrialSpec = { space: f.space, arch: f.arch, network: f.network, recipe: f.recipe, seed: f.seed, threads, saveTo: weights };
  const pool = new WorkerPool(1, { dataset: f.dataset, dataOptions: { ...f.dataOptions, valSize: undefined, valFraction: undefined }, includeTest: true, threads });
  const stop = () => pool.close();
  f.signal?.addEventListener('abort', stop, { once: true });
  try {
    const job = pool.run(spec, (p) => f.log(`final: epoch ${p.epoch} train loss ${p.trainLoss.toFixed(4)} acc ${(100 * p.trainAcc).toFixed(2)}% (${p.seconds.toFixed(1)} s)`), true);
    const outcome = await job.done;
    const seconds = (Date.now() - f0) / 1000;
    if (outcome.kind === 'result' && outcome.result.status === 'ok' && outcome.test) {
      atomicWrite(join(f.out, 'recipe.json'), `${JSON.stringify({ recipe: f.recipe, network: f.network ?? {}, seed: f.seed }, null, 2)}\n`);
      if (outcome.data) atomicWrite(join(f.out, 'data.json'), `${JSON.stringify(outcome.data, null, 2)}\n`);
      // A user-defined space travels with the weights, so that loadModel finds it wherever the folder goes.
      const copy = spaceCopy(getSpace(f.space));
      if (copy) atomicWrite(join(f.out, 'space.json'), copy);
      f.log(`final: test accuracy ${(100 * outcome.test.accuracy).toFixed(2)}% (${outcome.test.correct}/${outcome.test.total})`);
      const r = outcome.result;
      return { test: { accuracy: outcome.test.accuracy, correct: outcome.test.correct, total: outcome.test.total }, params: r.params, flops: r.flops, weights, seconds, epochs: r.epochs };
    }
    f.log(`final: retraining failed: ${outcome.kind === 'error' ? outcome.message : (outcome.result.reason ?? outcome.result.status)}`);
    return { test: null, params: Number.NaN, flops: Number.NaN, weights: null, seconds, epochs: 0 };
  } finally {
    f.signal?.removeEventListener('abort', stop);
    pool.close();
  }
}

/** The trials' data options (and `loom train`'s): `given`, with a validation part held out unless it says: 5000 images, or a fifth of a table's rows. */
export function trialDataOptions(tabular: boolean, given: DatasetOptions | undefined, seed: number): DatasetOptions {
  const split = given?.valSize !== undefined || given?.valFraction !== undefined;
  return { ...(split ? {} : tabular ? { valFraction: 0.2 } : { valSize: 5000 }), seed, ...(given ?? {}) };
}

/**
 * Whether `dataset` is images or a table (CSV), checked against what `space` builds before any
 * work: tabular data needs a space whose networks read feature vectors (`mlp`, or a user-defined
 * space whose spec declares an input `[F]`) and no augmentation (`opts.augment`: any was asked for).
 * The data are read here (without making tensors) with `opts.dataOptions` and the validation part
 * the trials hold out, so missing or malformed files (truncated IDX, labels out of range, a table
 * without its label column, ragged or non-numeric rows) and a split that does not fit fail now
 * rather than in every trial. Throws an error saying what to change (a `DataError` for the data
 * themselves).
 */
export function checkDataForSpace(
  dataset: string,
  space: SearchSpace,
  opts: { augment?: boolean; cutout?: number; network?: NetworkOptions; seed?: number; dataOptions?: DatasetOptions } = {},
): 'image' | 'tabular' {
  const tabular = resolveDataset(dataset).format === 'csv';
  // Read and checked with the validation part the trials hold out, so that bad data or a split
  // that does not fit stops the search here rather than failing every trial in the workers.
  const data = checkDataset(dataset, trialDataOptions(tabular, opts.dataOptions, opts.seed ?? 0));
  if (!tabular) {
    const [, h, w] = data.inputShape;
    const cutout = opts.cutout ?? 0;
    if (cutout > Math.min(h, w)) throw new Error(`a cutout of ${cutout} pixels is larger than ${dataset}'s ${h}x${w} images: give a square of at most ${Math.min(h, w)} (a quarter to a half of the side is usual)`);
    return 'image';
  }
  const features = data.inputShape[0];
  if (opts.augment) throw new Error(`${dataset} is tabular data: augmentation (shifts, flips, cutout) is for images, so train it without any`);
  try {
    // A space that builds image networks refuses a vector input.
    space.graph?.(space.sample(opts.seed ?? 0), { ...(opts.network ?? {}), input: [features], classes: data.classes });
  } catch (e) {
    if (!(e instanceof ArchitectureError)) throw e;
    throw new Error(`${dataset} is tabular data (feature vectors), but search space '${space.name}' builds networks for images (${e.message}); use a space for feature vectors, such as 'mlp'`);
  }
  return 'tabular';
}

/** `compare`, the reference architecture, read before any work; a bad one throws. */
function compareArch(space: SearchSpace, json: Json, finalRecipe: TrialRecipe | null): Architecture {
  if (!finalRecipe) throw new Error('compare trains its architecture like the final model, and there is no final retraining (finalRecipe is null)');
  try {
    return space.fromJSON(json);
  } catch (e) {
    throw new Error(`compare: not an architecture of space '${space.name}': ${(e as Error).message}`);
  }
}

/** Most epochs a trial trained for a time (`trialSeconds`) gets. */
const MAX_TRIAL_EPOCHS = 1000;

/** `o` with `trialSeconds` made the trials' recipe; refuses what cannot train a trial for a time. */
function withTrialTime(o: SearchOptions): SearchOptions {
  const seconds = o.trialSeconds ?? o.recipe.seconds;
  if (seconds === undefined) return o;
  if (!(seconds > 0 && Number.isFinite(seconds))) throw new Error(`trialSeconds must be a positive number of seconds, got ${seconds}`);
  if (o.pruner === 'curve') throw new Error("pruner 'curve' needs trials of a known number of epochs, not trained for a time");
  return o.trialSeconds === undefined ? o : { ...o, recipe: { ...o.recipe, epochs: MAX_TRIAL_EPOCHS, seconds } };
}

/**
 * Seconds of training per unit of fidelity when a multi-fidelity strategy's trials are trained for
 * a time (`trialSeconds` is its `maxFidelity`'s time); null when fidelity counts epochs.
 */
function trialTimeScale(o: SearchOptions, study: Study): number | null {
  if (o.recipe.seconds === undefined || !getStrategyFactory(o.strategy).multiFidelity) return null;
  const top = Number(study.strategyOptions().maxFidelity);
  if (!(top > 0 && Number.isFinite(top))) throw new Error(`strategy '${o.strategy}' has no maxFidelity option, so its trials cannot be trained for a time`);
  return o.recipe.seconds / top;
}

/**
 * The training job of a trial: the search recipe at the trial's fidelity (and, with `o.inherit`,
 * its parent's weights). An asked fidelity sets the epochs, or with `secondsPerFidelity` the time.
 */
function trialSpec(o: SearchOptions, t: TrialRecord, threads: number, study: Study, out: string, secondsPerFidelity: number | null): TrialSpec {
  const fidelity: Fidelity = { ...(o.fidelity ?? {}) };
  let recipe = o.recipe;
  if (t.fidelity !== null && secondsPerFidelity !== null) recipe = { ...recipe, seconds: t.fidelity * secondsPerFidelity };
  else if (t.fidelity !== null) fidelity.epochs = Math.max(1, Math.round(t.fidelity));
  let inherit: Pick<TrialSpec, 'saveTo' | 'inheritFrom'> = {};
  if (o.inherit) {
    makeDirs(join(out, 'weights'));
    inherit = { saveTo: trialWeightsPath(out, t.number) };
    const parentAsk = t.attrs.parentAsk;
    const parent = typeof parentAsk === 'number' ? study.trialOfAsk(parentAsk) : null;
    if (parent && (parent.state === 'COMPLETE' || parent.state === 'PRUNED') && existsSync(trialWeightsPath(out, parent.number))) inherit.inheritFrom = trialWeightsPath(out, parent.number);
  }
  return {
    space: o.space,
    arch: t.arch as unknown as TrialSpec['arch'],
    network: o.network,
    recipe,
    fidelity,
    seed: o.trialSeeds === 'distinct' ? o.seed + t.number : o.seed,
    threads,
    ...inherit,
  };
}

/**
 * Fewest planned epochs for which `finalAugment: 'auto'` augments the final retraining (of a
 * network of at least {@link AUTO_AUGMENT_MIN_PARAMS} parameters). Shifts and flips slow short
 * trainings down and keep long ones from overfitting. Measured on Fashion-MNIST here (the results log,
 * docs/results.md): the baseline CNN with 5 epochs reached 92.61% without them and 91.35% with them, with
 * 540 s on the older 2-core machine (9 epochs) 93.24% without and 92.69% with; on the newer one,
 * bfloat16, 270 s (17-20 epochs; seeds 0, 1) 93.42% and 93.07% without, 93.17% and 93.55% with (a
 * wash), 540 s (seed 2) 93.09% in 32 epochs without and 93.95% with; the baseline with a residual
 * block in stage 2, 540 s (seed 2), 93.56% in 22 epochs without (99.98% training accuracy) and
 * 93.78% in 25 with; float32, 93.17% in 27 epochs without and 93.57% in 30 with; the 60-minute
 * search's 269k-parameter pick with 30 minutes (39 epochs, 99.97% training accuracy without them)
 * 93.56% without and 94.04% with. So they start at 20 planned epochs (25 until the demo's 22-epoch
 * final went without them).
 */
export const AUTO_AUGMENT_EPOCHS = 20;

/**
 * Fewest parameters of a network whose final retraining `finalAugment: 'auto'` augments: a small
 * network underfits the augmented images (the demo's 12k-parameter pick with 540 s, 26-27 epochs:
 * 92.32% without, 91.31% with, at 92.0% training accuracy).
 */
export const AUTO_AUGMENT_MIN_PARAMS = 100_000;

/**
 * Whether `finalAugment: 'auto'` augments a final retraining of `planned` epochs (null: unknown,
 * which augments) of a network of `params` parameters (NaN: unknown, which does not hold it back).
 */
export function autoAugment(planned: number | null, params: number): boolean {
  return (planned === null || planned >= AUTO_AUGMENT_EPOCHS) && !(params < AUTO_AUGMENT_MIN_PARAMS);
}

/**
 * Seconds an epoch of the final retraining of `best` should take: the median over its curve of an
 * epoch's training time (`train_seconds`, without the validation the final does not do; older
 * curves: the whole epoch's `seconds`) per training example it went through (older curves without
 * `examples`: the trial's training examples), times the examples of the whole training split,
 * times `threadRatio` (the trial's threads over the final run's; perfect scaling assumed). A
 * trial's first epoch includes libtorch's warm-up, which the median mostly leaves out. Null when
 * the trial recorded no timing.
 */
function estimateFinalEpochSeconds(study: Study, best: TrialRecord, o: SearchOptions, data: DatasetOptions, threadRatio: number): number | null {
  const examples = Number(best.metrics.examples);
  const perExample = study.store
    .curve(study.name, best.number)
    .map((p) => {
      const seen = typeof p.metrics.examples === 'number' ? p.metrics.examples : examples;
      const t = typeof p.metrics.train_seconds === 'number' ? p.metrics.train_seconds : p.metrics.seconds;
      return typeof t === 'number' && t > 0 && seen > 0 ? t / seen : Number.NaN;
    })
    .filter((x) => !Number.isNaN(x))
    .sort((a, b) => a - b);
  if (!(examples > 0) || perExample.length === 0) return null;
  const split = examples / (o.fidelity?.dataFraction ?? 1);
  const whole = data.valFraction !== undefined ? split / (1 - data.valFraction) : split + (data.valSize ?? 0);
  return perExample[Math.floor(perExample.length / 2)] * whole * threadRatio;
}

/** Stores a job's outcome as the trial's end. */
function finishFrom(study: Study, t: TrialRecord, worker: string, outcome: JobOutcome, seed: number): TrialRecord {
  if (outcome.kind === 'error') return study.finish(t.number, worker, { state: 'FAIL', error: outcome.message });
  const r: TrialResult = outcome.result;
  const metrics: Record<string, number> = {
    val_acc: r.valAcc,
    val_loss: r.valLoss,
    train_loss: r.trainLoss,
    params: r.params,
    flops: r.flops,
    epochs: r.epochs,
    seconds: r.seconds,
    examples: r.trainExamples,
    // The seed the trial trained with (its initialisation, batches and augmentation).
    seed,
  };
  // The share of the network's weights that came from the parent (weight inheritance).
  if (r.inherited) metrics.inherited = r.inherited.totalElements > 0 ? r.inherited.elements / r.inherited.totalElements : 0;
  if (r.status === 'failed') return study.finish(t.number, worker, { state: 'FAIL', value: Number.NaN, metrics, error: r.reason ?? 'failed' });
  if (r.status === 'stopped') return study.finish(t.number, worker, { state: 'PRUNED', value: r.valAcc, metrics, error: null });
  return study.finish(t.number, worker, { state: 'COMPLETE', value: r.valAcc, metrics });
}

/** The pruner of a trial that trains `epochs` epochs, or null for none. */
function makePruner(kind: 'median' | 'curve' | 'none', epochs: number): Pruner | null {
  // Median stopping (Golovin et al. 2017, as Optuna's) with a warm-up of 2 epochs, so a trial always gets past its first.
  if (kind === 'median') return new MedianPruner({ warmupSteps: 2 });
  if (kind === 'curve') return new CurvePruner({ finalStep: epochs, bound: 1 });
  return null;
}

/**
 * Asks `pruner` whether trial `self`, whose validation accuracy curve is `curve` so far, should
 * stop, against the study's COMPLETE trials at the same fidelity (a multi-fidelity strategy's
 * rungs train for different lengths, with their schedules over them, so their curves differ).
 */
function pruneCheck(pruner: Pruner, curve: readonly number[], study: Study, self: TrialRecord): { prune: boolean; reason: string } {
  const peers = study.store.trials(study.name, ['COMPLETE']).filter((t) => t.number !== self.number && t.fidelity === self.fidelity);
  const history = peers.map((t) => ({ state: t.state, value: t.value, curve: metricCurve(study.store.curve(study.name, t.number), 'val_acc') }));
  const current = curve.flatMap((v, step) => (v === undefined ? [] : [{ step, value: v }]));
  return pruner.decide(history, current);
}
