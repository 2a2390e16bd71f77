/**
 * `loom search`, `loom study list|show` and `loom train`: real searches that train their trials,
 * the studies they leave in a store, and training one architecture by hand.
 * @module
 */
import { accessSync, constants, existsSync, statSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import type { ArchitectureJSON } from '../../space/architecture.js';
import type { Json } from '../../study/store.js';
import { Progress, formatDuration } from '../../util/progress.js';
import type { SearchResult } from '../../study/search.js';
import type { Precision } from '../../estimate/train.js';
import { UsageError } from '../errors.js';
import { makeDirs } from '../../util/fs.js';

/** Options of `loom search` as commander gives them. */
export interface SearchCliOptions {
  dataset: string;
  /** Default: the packaged `examples/spaces/fmnist-net.json` for images, `mlp` for tabular data. */
  space?: string;
  strategy: string;
  option?: string[];
  budget?: number;
  trials?: number;
  workers: number;
  threads?: number;
  storage?: string;
  study?: string;
  out: string;
  seed: number;
  /** Epochs per trial (default 2); with `trialBudget`, each trial trains for these epochs or that time, whichever ends first (not with multi-fidelity strategies). */
  epochs?: number;
  /** Train each trial for this many seconds instead of for `epochs` epochs (its schedule runs over the time). */
  trialBudget?: number;
  finalEpochs?: number;
  finalBudget?: number;
  /** Augment the final retraining: on, off, or auto (default: when it plans `AUTO_AUGMENT_EPOCHS`, 20, or more for a network of 100k parameters or more). */
  finalAugment?: 'auto' | 'on' | 'off';
  /** Label smoothing of the final retraining (default 0.1). */
  finalLabelSmoothing?: number;
  /** Label smoothing of the trials (default 0). */
  labelSmoothing?: number;
  /** Cutout of the trials: a square of this many pixels blanked in each training image (default 0: none). */
  cutout?: number;
  /** Cutout of the final retraining, part of its augmentation (so only when it is augmented; default 0: none). */
  finalCutout?: number;
  inherit?: boolean;
  trialSeeds?: 'common' | 'distinct';
  batchSize: number;
  lr?: number;
  /** Precision of every training's forward pass, trials, final and comparison (default float32; auto: bfloat16 on a CPU with bfloat16 instructions). */
  precision?: Precision | 'auto';
  /** Learning-rate warm-up of trials and final, a fraction of each training (default {@link DEFAULT_WARMUP}). */
  warmup?: number;
  channels?: number;
  cells?: number;
  finalChannels?: number;
  dataFraction?: number;
  trainLimit?: number;
  /** Default: 5000 images, or a fifth of a table's rows. */
  valSize?: number;
  /** CSV: the label column (default `label`). */
  labelColumn?: string;
  augment?: boolean;
  /** False: augmentation without horizontal flips (`--no-flip`). */
  flip?: boolean;
  pruning?: boolean;
  pruner?: 'median' | 'curve' | 'none';
  trialTimeout?: number;
  /**
   * An architecture of the space (its text form, or a JSON file) to train after the search
   * exactly like the final model, and compare with it on the test set (`OUT/compare/`).
   */
  compare?: string;
  quiet?: boolean;
  json?: boolean;
  /** Print the summary or JSON on stdout (default true). */
  print?: boolean;
}

/**
 * Whether `dataset` is images or a table, checked against `space` before any work (see the
 * library's `checkDataForSpace`): a missing data set, tabular data with an image space, or tabular
 * data with augmentation is a usage error.
 */
export async function checkDataKind(
  dataset: string,
  space: import('../../space/space.js').SearchSpace,
  opts: { augment?: boolean; cutout?: number; network?: { channels?: number; cells?: number }; seed?: number; dataOptions?: import('../../data/datasets.js').DatasetOptions } = {},
): Promise<'image' | 'tabular'> {
  const { checkDataForSpace } = await import('../../study/search.js');
  const { DataError } = await import('../../data/errors.js');
  try {
    return checkDataForSpace(dataset, space, opts);
  } catch (e) {
    // A validation part that does not fit: say which option sets it (the default may be the 5000 images).
    if (e instanceof DataError && /valSize must be an integer/.test(e.message)) {
      throw new DataError(`${e.message.replace(/valSize/, 'the validation part (--val-size)')}; hold out fewer with --val-size N`);
    }
    if (e instanceof DataError) throw e;
    throw new UsageError((e as Error).message);
  }
}

/** Default trial and final epochs: tables are small, so an epoch is a few steps. */
const DEFAULT_EPOCHS = { image: { trial: 2, final: 10 }, tabular: { trial: 30, final: 100 } } as const;

/** `key=value` strategy options: numbers, booleans and lists of numbers are parsed. */
export function parseStrategyOptions(pairs: readonly string[] = []): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const p of pairs) {
    const i = p.indexOf('=');
    if (i <= 0) throw new UsageError(`--option needs key=value, got '${p}'`);
    const k = p.slice(0, i);
    const v = p.slice(i + 1);
    if (/^-?\d+(\.\d+)?(e-?\d+)?$/i.test(v)) out[k] = Number(v);
    else if (v === 'true' || v === 'false') out[k] = v === 'true';
    else if (/^-?[\d.]+(,-?[\d.]+)+$/.test(v)) out[k] = v.split(',').map(Number);
    else out[k] = v;
  }
  return out;
}

function checkWritableDir(dir: string, what = 'the output folder'): void {
  try {
    makeDirs(dir);
    accessSync(dir, constants.W_OK);
    if (!statSync(dir).isDirectory()) throw new Error('not a folder');
  } catch (e) {
    throw new UsageError(`cannot write to ${what} ${dir}: ${(e as Error).message.replace(/^[A-Z]+: /, '')}`);
  }
}

/**
 * Default learning-rate warm-up of `loom search` and `loom train`, a fraction of each training (of
 * its time when trained for a time). Without one, networks with separable convolutions often
 * diverge at SGD's peak rate of 0.1 in short trainings: the demo space's conv3 32 / sep3 96 /
 * sep3 192 / fc 256 reached 10.14% validation in 15 s without, 86.42% with 5% (and 92.46% in 90 s
 * with 10%, against 84.82% without).
 */
export const DEFAULT_WARMUP = 0.05;

/** `loom search`: runs the search, prints its summary (or result.json with `json`; nothing with `print: false`) and returns the result. */
export async function search(o: SearchCliOptions): Promise<SearchResult> {
  if (o.budget === undefined && o.trials === undefined) throw new UsageError('give a budget: --budget 15m (time, counted across resumed runs) or --trials N');
  if (o.finalEpochs !== undefined && o.finalBudget !== undefined) throw new UsageError('give --final-epochs or --final-budget, not both');
  const precision = await cpuPrecision(o.precision);
  const out = resolve(o.out);
  checkWritableDir(out);
  const storage = o.storage ?? `sqlite:${resolve(out, 'loom.db')}`;
  if (storage.startsWith('sqlite:')) {
    const p = resolve(storage.slice(7));
    checkWritableDir(dirname(p), "the storage's folder");
  } else if (storage !== 'memory:') throw new UsageError(`--storage must be sqlite:PATH or memory:, got '${storage}'`);
  const { getSpace } = await import('../../space/registry.js');
  const { createStrategy, getStrategyFactory } = await import('../../strategy/registry.js');
  const { resolveDataset } = await import('../../data/datasets.js');
  const { packageFile } = await import('../package-info.js');
  const spaceName = o.space ?? (resolveDataset(o.dataset).format === 'csv' ? 'mlp' : packageFile('examples/spaces/fmnist-net.json'));
  const space = getSpace(spaceName);
  const strategyOptions = parseStrategyOptions(o.option);
  createStrategy(o.strategy, space, o.seed, strategyOptions); // checks the name and options now, before any work
  // --epochs with --trial-budget: each trial trains for its epochs or its time, whichever ends first.
  const cappedTrials = o.epochs !== undefined && o.trialBudget !== undefined;
  if (cappedTrials && getStrategyFactory(o.strategy).multiFidelity) {
    throw new UsageError(`strategy '${o.strategy}' sets each trial's time by its rung with --trial-budget; give --epochs or --trial-budget, not both`);
  }
  const reference = o.compare === undefined ? null : await compareArch(space, o.compare);
  if (reference && o.finalEpochs === 0) throw new UsageError('--compare trains its architecture like the final model, and --final-epochs 0 asks for none');
  if (o.trialBudget !== undefined && o.pruner === 'curve') {
    throw new UsageError('--pruner curve cannot be used with --trial-budget: it extrapolates to a known last epoch, which a trial trained for a time does not have');
  }
  // A missing data set, or a table with an image space or augmentation, fails here, before any trial.
  const network = { ...(o.channels ? { channels: o.channels } : {}), ...(o.cells ? { cells: o.cells } : {}) };
  const dataOptions = { ...(o.valSize !== undefined ? { valSize: o.valSize } : {}), ...(o.trainLimit ? { trainLimit: o.trainLimit } : {}), ...(o.labelColumn ? { labelColumn: o.labelColumn } : {}) };
  if ((o.finalCutout ?? 0) > 0 && o.finalAugment === 'off') throw new UsageError('--final-cutout is part of the final retraining\'s augmentation, which --final-augment off turns off');
  const cutout = Math.max(o.cutout ?? 0, o.finalCutout ?? 0);
  const kind = await checkDataKind(o.dataset, space, { augment: !!o.augment || o.finalAugment === 'on' || cutout > 0, cutout, network, seed: o.seed, dataOptions });
  const epochs = DEFAULT_EPOCHS[kind];
  const study = o.study ?? `${basename(spaceName).replace(/\.json$/, '')}-${o.strategy}-${basename(o.dataset)}-s${o.seed}`;
  const { runSearch } = await import('../../study/search.js');
  const bar = o.quiet || o.json ? null : new Progress({ total: o.trials ?? Math.round(o.budget as number), label: 'search', unit: o.trials ? 'trial' : 's', stream: process.stderr });
  const log = (l: string) => {
    if (o.quiet) return;
    if (bar) bar.log(l);
    else process.stderr.write(`${l}\n`);
  };
  let shown = 0;
  const abort = new AbortController();
  const onSig = () => {
    log('interrupted: stopping (run the same command again to resume)');
    abort.abort();
  };
  process.once('SIGINT', onSig);
  process.once('SIGTERM', onSig);
  // The final retraining: --final-epochs, or epochs fitted to --final-budget (default: half of --budget).
  const final = o.finalEpochs !== undefined ? { epochs: o.finalEpochs } : { epochs: epochs.final, seconds: o.finalBudget ?? (o.budget !== undefined ? o.budget / 2 : undefined) };
  const train = {
    batchSize: o.batchSize,
    ...(o.lr !== undefined ? { lr: o.lr } : {}),
    warmupFraction: o.warmup ?? DEFAULT_WARMUP,
    augment: !!o.augment,
    ...(o.flip === false ? { flip: false } : {}),
    ...(precision !== 'float32' ? { precision } : {}),
  };
  // Trials' label smoothing (the final retraining has its own, --final-label-smoothing).
  const trialRecipe = { ...train, ...(o.labelSmoothing ? { labelSmoothing: o.labelSmoothing } : {}), ...(o.cutout ? { cutout: o.cutout } : {}) };
  const r = await runSearch({
    dataset: o.dataset,
    dataOptions,
    space: spaceName,
    strategy: o.strategy,
    strategyOptions,
    budget: { trials: o.trials, seconds: o.budget },
    workers: o.workers,
    threads: o.threads,
    storage,
    study,
    out,
    seed: o.seed,
    ...(o.trialSeeds ? { trialSeeds: o.trialSeeds } : {}),
    network,
    finalNetwork: { ...(o.finalChannels ?? o.channels ? { channels: o.finalChannels ?? o.channels } : {}), ...(o.cells ? { cells: o.cells } : {}) },
    recipe: { ...trialRecipe, epochs: o.epochs ?? epochs.trial, ...(cappedTrials ? { seconds: o.trialBudget } : {}) },
    ...(o.trialBudget !== undefined && !cappedTrials ? { trialSeconds: o.trialBudget } : {}),
    fidelity: o.dataFraction ? { dataFraction: o.dataFraction } : {},
    finalRecipe: final.epochs > 0 ? { ...train, epochs: final.epochs, labelSmoothing: o.finalLabelSmoothing ?? 0.1, ...(o.finalCutout ? { cutout: o.finalCutout } : {}) } : null,
    finalAugment: o.finalAugment === 'on' ? true : o.finalAugment === 'off' ? false : 'auto',
    ...(final.seconds !== undefined ? { finalSeconds: final.seconds } : {}),
    inherit: !!o.inherit,
    pruner: o.pruning === false ? 'none' : (o.pruner ?? 'median'),
    trialTimeoutSeconds: o.trialTimeout,
    ...(reference ? { compare: reference } : {}),
    signal: abort.signal,
    onLog: log,
    onProgress: (p) => {
      if (!bar) return;
      const left = p.budgetSeconds !== undefined ? `${formatDuration(Math.max(0, p.budgetSeconds - p.elapsedSeconds))} left` : `${p.finished}/${p.budgetTrials}`;
      const at = Math.floor(o.trials ? p.finished : Math.min(p.elapsedSeconds, o.budget as number));
      bar.tick({ running: p.running, best: p.best === null ? '-' : `${(100 * p.best).toFixed(2)}%`, budget: left }, Math.max(0, at - shown));
      shown = Math.max(shown, at);
    },
  });
  bar?.done();
  process.off('SIGINT', onSig);
  process.off('SIGTERM', onSig);
  // A script can tell: 130 after Ctrl-C (resumable), 1 when no trial completed (each failure's reason is in the study).
  if (abort.signal.aborted) process.exitCode = 130;
  else if (!r.best) process.exitCode = 1;
  if (o.print === false) return r;
  if (o.json) {
    process.stdout.write(`${JSON.stringify(r)}\n`);
    return r;
  }
  const b = r.best;
  /** How far the best's test accuracy lies from the compared one's, in words. */
  const gap = (best: number | null, other: number) => {
    if (best === null) return '';
    const d = Math.round(10_000 * (best - other)) / 100;
    return d === 0 ? ' (the best level with it)' : ` (the best ${Math.abs(d).toFixed(2)} points ${d > 0 ? 'above' : 'below'} it)`;
  };
  process.stdout.write(
    [
      `study ${r.study} (${r.storage}): ${r.trials.complete} complete, ${r.trials.pruned} pruned, ${r.trials.failed} failed; ${formatDuration(r.seconds)}`,
      b ? `best: trial ${b.trial}, val ${(100 * b.val_acc).toFixed(2)}%, test ${b.test_acc === null ? '-' : `${(100 * b.test_acc).toFixed(2)}%`}, ${b.params.toLocaleString('en-US')} params` : 'no trial completed',
      b ? `  ${b.text}` : '',
      ...(r.compare ? [`compared: ${r.compare.test_acc === null ? 'its training failed' : `test ${(100 * r.compare.test_acc).toFixed(2)}%${gap(b?.test_acc ?? null, r.compare.test_acc)}`}, ${r.compare.params.toLocaleString('en-US')} params, trained like the best (${r.compare.epochs} epoch${r.compare.epochs === 1 ? '' : 's'}, ${r.compare.seconds.toFixed(0)} s)`, `  ${r.compare.text}`] : []),
      `results in ${out} (result.json, report.md${b?.weights ? ', model.safetensors' : ''})`,
      ...(b?.weights ? [`classify new inputs with it: loom predict ${out} ${kind === 'tabular' ? 'FILE (a CSV file of rows)' : 'FILES (PNG or JPEG images, or an IDX file of images)'}`] : []),
      '',
    ].join('\n'),
  );
  if (!b && !abort.signal.aborted) process.stderr.write(`loom: no trial completed; why each failed: report.md, or loom study show ${r.study} --storage ${r.storage}\n`);
  return r;
}

/** `--compare`'s architecture, read now so that a bad one fails before any work. */
async function compareArch(space: import('../../space/space.js').SearchSpace, text: string): Promise<Json> {
  const { readArch } = await import('./space.js');
  try {
    return readArch(space, text).toJSON() as unknown as Json;
  } catch (e) {
    if (e instanceof UsageError) throw new UsageError(`--compare: ${e.message}`);
    throw new UsageError(`--compare: not an architecture of space '${space.name}': ${(e as Error).message}`);
  }
}

/** `loom study list`. */
export async function studyList(o: { storage: string; json?: boolean }): Promise<void> {
  const { openStore } = await import('../../study/search.js');
  const { bestTrial } = await import('../../study/study.js');
  const store = openExisting(o.storage, openStore);
  try {
    const rows = store.listStudies().map((s) => {
      const ts = store.trials(s.name);
      const by = (st: string) => ts.filter((t) => t.state === st).length;
      const best = bestTrial(ts)?.value ?? null;
      return { name: s.name, space: s.meta.space, strategy: s.meta.strategy, trials: ts.length, complete: by('COMPLETE'), pruned: by('PRUNED'), failed: by('FAIL'), running: by('RUNNING'), best };
    });
    if (o.json) process.stdout.write(`${JSON.stringify(rows)}\n`);
    else for (const r of rows) process.stdout.write(`${r.name}\t${r.space}\t${r.strategy}\t${r.complete}/${r.trials} complete\tbest ${r.best === null ? '-' : `${(100 * r.best).toFixed(2)}%`}\n`);
  } finally {
    store.close();
  }
}

/** `loom study show <name>`. */
export async function studyShow(name: string, o: { storage: string; json?: boolean; csv?: boolean }): Promise<void> {
  if (o.json && o.csv) throw new UsageError('give --json or --csv, not both');
  const { openStore } = await import('../../study/search.js');
  const store = openExisting(o.storage, openStore);
  try {
    const s = store.getStudy(name);
    if (!s) throw new UsageError(`no study '${name}' in ${store.url} (studies: ${store.listStudies().map((x) => x.name).join(', ') || 'none'})`);
    const all = store.trials(name);
    const byAsk = new Map(all.map((t) => [t.attrs.ask, t.number]));
    const trials = all.map((t) => ({
      number: t.number,
      state: t.state,
      value: t.value === null || Number.isNaN(t.value) ? null : t.value,
      metrics: Object.fromEntries(Object.entries(t.metrics).map(([k, v]) => [k, Number.isFinite(v) ? v : String(v)])),
      curve: t.curveLength,
      fidelity: t.fidelity,
      error: t.error,
      retryOf: t.attrs.retryOf ?? null,
      /** The trial whose architecture this one's was made from (a mutation's parent). */
      parent: t.attrs.parentAsk === undefined ? null : (byAsk.get(t.attrs.parentAsk) ?? null),
      arch: t.arch as unknown as ArchitectureJSON,
    }));
    if (o.json) {
      process.stdout.write(`${JSON.stringify({ name: s.name, meta: s.meta, createdAt: s.createdAt, trials })}\n`);
      return;
    }
    if (o.csv) {
      process.stdout.write(trialsCsv(trials));
      return;
    }
    process.stdout.write(`study ${s.name}: ${JSON.stringify(s.meta)}\n`);
    // The best trial as the search picks it (the highest fidelity's best value).
    const { bestTrial } = await import('../../study/study.js');
    const best = bestTrial(all);
    const archText = await archFormatter(String(s.meta.space ?? ''), best ? (best.arch as unknown as ArchitectureJSON) : null);
    process.stdout.write('trial\tstate\tvalue\tparams\tseconds\tcurve\tarchitecture\n');
    for (const t of trials) {
      const params = Number(t.metrics.params);
      const secs = Number(t.metrics.seconds);
      const notes = [t.parent !== null ? `from trial ${t.parent}` : '', t.retryOf !== null ? `retry of ${t.retryOf}` : '', t.error ?? ''].filter(Boolean).join('; ');
      process.stdout.write(
        `${t.number}\t${t.state}\t${t.value === null ? '-' : `${(100 * t.value).toFixed(2)}%`}\t${Number.isFinite(params) ? params : '-'}\t${Number.isFinite(secs) ? secs.toFixed(1) : '-'}\t${t.curve}\t${archText(t.arch)}${notes ? `\t(${notes})` : ''}\n`,
      );
    }
  } finally {
    store.close();
  }
}

/**
 * How `loom study show` writes a trial's architecture (`space/label.ts`'s `trialLabel`): the
 * space's compact text form; else how the trial differs from the best's decisions, the best's own
 * row listing them all. A space that no longer loads (a user-defined space's file moved) leaves
 * the decisions.
 */
async function archFormatter(spaceName: string, best: ArchitectureJSON | null): Promise<(a: ArchitectureJSON) => string> {
  const { getSpace } = await import('../../space/registry.js');
  const { trialLabel } = await import('../../space/label.js');
  let space: import('../../space/space.js').SearchSpace | null = null;
  try {
    space = getSpace(spaceName);
  } catch {
    // Its decisions still read.
  }
  return (a) => {
    const { kind, text } = trialLabel(space, a, best);
    return kind === 'diff' ? `best with ${text}` : text;
  };
}

/** A CSV field: quoted where it holds a comma, a quote or a line break. */
const csvField = (v: unknown): string => {
  const t = v === null || v === undefined ? '' : typeof v === 'object' ? JSON.stringify(v) : String(v);
  return /[",\r\n]/.test(t) ? `"${t.replace(/"/g, '""')}"` : t;
};

/**
 * `loom study show --csv`: one row per trial (number, state, value, each metric, curve length,
 * parent, retry, error) and one column per decision of its architecture (`arch.<key>`), for a
 * spreadsheet or pandas.
 */
export function trialsCsv(
  trials: readonly { number: number; state: string; value: number | null; metrics: Record<string, unknown>; curve: number; parent: number | null; retryOf: unknown; error: string | null; arch: ArchitectureJSON }[],
): string {
  const union = (keys: Iterable<string>[]) => [...new Set(keys.flatMap((k) => [...k]))];
  const metrics = union(trials.map((t) => Object.keys(t.metrics)));
  const decisions = union(trials.map((t) => Object.keys(t.arch.values)));
  const header = ['number', 'state', 'value', ...metrics, 'curve', 'parent', 'retry_of', 'error', ...decisions.map((d) => `arch.${d}`)];
  const rows = trials.map((t) => [t.number, t.state, t.value, ...metrics.map((m) => t.metrics[m]), t.curve, t.parent, t.retryOf, t.error, ...decisions.map((d) => t.arch.values[d])]);
  return [header, ...rows].map((r) => `${r.map(csvField).join(',')}\n`).join('');
}

/** The precision of trainings on the CPU (search and train run there), auto resolved. */
async function cpuPrecision(p: Precision | 'auto' | undefined): Promise<Precision> {
  return (await import('../../estimate/train.js')).resolvePrecision(p ?? 'float32');
}

function openExisting<T>(storage: string, open: (s: string) => T): T {
  if (storage.startsWith('sqlite:') && !existsSync(resolve(storage.slice(7)))) throw new UsageError(`no store at ${resolve(storage.slice(7))}`);
  return open(storage);
}

/** `loom train <space> <arch>`: trains one architecture and evaluates it on the test set. */
export async function train(
  spaceName: string,
  archText: string,
  o: { dataset: string; labelColumn?: string; epochs?: number; budget?: number; batchSize: number; lr?: number; warmup?: number; labelSmoothing?: number; cutout?: number; channels?: number; cells?: number; augment?: boolean; flip?: boolean; valSize?: number; seed: number; out?: string; threads?: number; json?: boolean; quiet?: boolean; precision?: Precision | 'auto' },
): Promise<void> {
  const precision = await cpuPrecision(o.precision);
  const { getSpace } = await import('../../space/registry.js');
  const { readArch } = await import('./space.js');
  const space = getSpace(spaceName);
  const arch = readArch(space, archText);
  const { loadDataset, modelData } = await import('../../data/datasets.js');
  const network = { ...(o.channels ? { channels: o.channels } : {}), ...(o.cells ? { cells: o.cells } : {}) };
  const labels = o.labelColumn ? { labelColumn: o.labelColumn } : {};
  // Checked with the validation part it will hold out (none with --val-size 0).
  const kind = await checkDataKind(o.dataset, space, { augment: !!o.augment || (o.cutout ?? 0) > 0, cutout: o.cutout, network, seed: o.seed, dataOptions: { ...labels, ...(o.valSize !== undefined ? { valSize: o.valSize } : {}) } });
  const { MAX_FINAL_EPOCHS, monitorSlice, trainArchitecture } = await import('../../estimate/trial.js');
  const { evaluateClassifier } = await import('../../estimate/train.js');
  const { loadModel, spaceCopy } = await import('../../estimate/model.js');
  const { setNumThreads, tidy, dispose } = await import('../../engine/index.js');
  if (o.threads) setNumThreads(o.threads);
  // --val-size 0 trains on the whole split, as a search's final model does.
  const whole = o.valSize === 0;
  const { trialDataOptions } = await import('../../study/search.js');
  const data = loadDataset(o.dataset, whole ? { ...labels, seed: o.seed } : trialDataOptions(kind === 'tabular', { ...(o.valSize !== undefined ? { valSize: o.valSize } : {}), ...labels }, o.seed));
  const out = o.out ? resolve(o.out) : null;
  if (out) checkWritableDir(out);
  const saveTo = out ? join(out, 'model.safetensors') : join((await import('node:os')).tmpdir(), `loom-train-${process.pid}.safetensors`);
  const recipe = {
    // With --budget the schedule runs over the time and the epochs only cap it.
    ...(o.budget !== undefined ? { epochs: o.epochs ?? MAX_FINAL_EPOCHS, seconds: o.budget } : { epochs: o.epochs ?? DEFAULT_EPOCHS[kind].final }),
    batchSize: o.batchSize,
    warmupFraction: o.warmup ?? DEFAULT_WARMUP,
    augment: !!o.augment,
    ...(o.flip === false ? { flip: false } : {}),
    ...(o.lr ? { lr: o.lr } : {}),
    ...(o.labelSmoothing ? { labelSmoothing: o.labelSmoothing } : {}),
    ...(o.cutout ? { cutout: o.cutout } : {}),
    ...(precision !== 'float32' ? { precision } : {}),
  };
  const monitor = whole ? monitorSlice(data.train) : undefined;
  const checked = whole ? `acc on ${monitor?.images.shape[0]} training examples` : 'val acc';
  const r = await trainArchitecture(
    { space: spaceName, arch: arch.toJSON(), network, recipe, seed: o.seed, saveTo },
    monitor ? { ...data, val: monitor } : data,
    {
      onEpoch: (p) => {
        if (!o.quiet && !o.json) process.stderr.write(`epoch ${p.epoch}: train loss ${p.trainLoss.toFixed(4)} acc ${(100 * p.trainAcc).toFixed(2)}%, ${checked} ${(100 * p.valAcc).toFixed(2)}% (${p.seconds.toFixed(1)} s)\n`);
      },
    },
  );
  if (monitor) dispose([monitor.images, monitor.labels]);
  if (r.status !== 'ok') throw new Error(`training ${r.status}: ${r.reason ?? ''}`);
  // The saved weights, loaded as a user loads them (`loadModel`), are what is tested.
  // Its data.json is not read: without --out the weights lie in the temporary folder, beside whatever is there.
  const model = loadModel(saveTo, { space, data: false });
  const test = tidy(() => evaluateClassifier(model.net, data.test as NonNullable<typeof data.test>));
  model.dispose();
  const valAcc = whole ? null : r.valAcc;
  const result = { space: space.name, arch: space.format(arch), params: r.params, flops: r.flops, epochs: r.epochs, train_examples: r.trainExamples, val_acc: valAcc, test_acc: test.accuracy, seconds: r.seconds, recipe, seed: o.seed, weights: out ? saveTo : null };
  if (!out) (await import('node:fs')).rmSync(saveTo, { force: true });
  else {
    const { writeFileSync } = await import('node:fs');
    writeFileSync(join(out, 'result.json'), `${JSON.stringify(result, null, 2)}\n`);
    writeFileSync(join(out, 'data.json'), `${JSON.stringify(modelData(data), null, 2)}\n`);
    const copy = spaceCopy(space);
    if (copy) writeFileSync(join(out, 'space.json'), copy);
  }
  process.stdout.write(o.json ? `${JSON.stringify(result)}\n` : `test accuracy ${(100 * test.accuracy).toFixed(2)}% (${test.correct}/${test.total}); ${valAcc === null ? 'trained on the whole split' : `val ${(100 * valAcc).toFixed(2)}%`}; ${r.params.toLocaleString('en-US')} params\n`);
}
