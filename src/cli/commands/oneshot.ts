/**
 * `loom oneshot`: one-shot architecture search with weight sharing (DARTS first and second order,
 * GDAS, ENAS, SPOS, random search with weight sharing) on a cell space's supernet, then, unless
 * `--no-retrain`, the derived architecture retrained stand-alone (in a worker process, as a
 * search's final model) and tested. Writes `OUT/result.json`, `arch.txt`, `arch.json` and, after
 * retraining, `model.safetensors` and `recipe.json`.
 *
 * The training split is halved: the weights train on one half and the architecture (alphas,
 * controller, or the candidates' scores) is fitted on the other, as DARTS does; the data set's
 * own validation part is not used by the search. The batch size is fitted to the memory
 * available from the supernet's estimate before anything is trained.
 * @module
 */
import { availableParallelism, freemem } from 'node:os';
import { join, resolve } from 'node:path';
import { formatDuration } from '../../util/progress.js';
import { UsageError } from '../errors.js';
import { makeDirs } from '../../util/fs.js';

/** The methods `--method` takes, and how each is run. */
export const ONESHOT_METHODS = ['darts', 'darts2', 'gdas', 'enas', 'spos', 'random-ws'] as const;
export type OneShotMethodName = (typeof ONESHOT_METHODS)[number];

export interface OneShotCliOptions {
  method: OneShotMethodName;
  space: string;
  dataset: string;
  epochs: number;
  budget?: number;
  channels?: number;
  cells?: number;
  batchSize: number;
  lr?: number;
  remedy?: 'none' | 'darts-' | 'pt';
  trainLimit?: number;
  seed: number;
  threads?: number;
  out: string;
  retrain: boolean;
  retrainEpochs: number;
  finalChannels?: number;
  finalCells?: number;
  quiet?: boolean;
  json?: boolean;
}

const pct = (v: number | undefined): string => (v === undefined || Number.isNaN(v) ? '-' : `${(100 * v).toFixed(2)}%`);

/** `loom oneshot` (see the module comment). */
export async function oneshot(o: OneShotCliOptions): Promise<void> {
  const out = resolve(o.out);
  try {
    makeDirs(out);
  } catch (e) {
    throw new UsageError(`cannot write to the output folder ${out}: ${(e as Error).message.replace(/^[A-Z]+: /, '')}`);
  }
  if (o.remedy && o.remedy !== 'none' && o.method !== 'darts' && o.method !== 'darts2') throw new UsageError(`--remedy ${o.remedy} applies to --method darts or darts2, not ${o.method}`);
  const log = (l: string) => {
    if (!o.quiet) process.stderr.write(`${l}\n`);
  };
  const { setNumThreads, dispose } = await import('../../engine/index.js');
  const { loadDataset, resolveDataset } = await import('../../data/datasets.js');
  if (resolveDataset(o.dataset).format === 'csv') {
    throw new UsageError(`${o.dataset} is tabular data: one-shot search trains a supernet of image cells; search tables with \`loom search\` (its mlp space)`);
  }
  const { trainValSplit } = await import('../../data/loader.js');
  const { atomicWrite } = await import('../../study/search.js');
  const { Supernet, SupernetError } = await import('../../oneshot/supernet.js');
  const threads = o.threads ?? availableParallelism();
  setNumThreads(threads);

  let supernet: InstanceType<typeof Supernet>;
  const data = loadDataset(o.dataset, { seed: o.seed, ...(o.trainLimit ? { trainLimit: o.trainLimit } : {}) });
  const input = data.inputShape as [number, number, number];
  try {
    supernet = new Supernet(o.space, { input, classes: data.numClasses, seed: o.seed, ...(o.channels ? { channels: o.channels } : {}), ...(o.cells ? { cells: o.cells } : {}) });
  } catch (e) {
    dispose([data.train, ...(data.val ? [data.val] : []), ...(data.test ? [data.test] : [])]);
    if (e instanceof SupernetError) throw new UsageError(e.message);
    throw e;
  }
  const halves = trainValSplit(data.train, { valFraction: 0.5, seed: o.seed });
  dispose([data.train, ...(data.val ? [data.val] : []), ...(data.test ? [data.test] : [])]);
  try {
    // Fit the batch to half the free memory by the supernet's own estimate.
    const single = o.method !== 'darts' && o.method !== 'darts2';
    let batchSize = o.batchSize;
    try {
      const fit = supernet.fitBatchSize(freemem() * 0.5, { mode: single ? 'single' : 'all', secondOrder: o.method === 'darts2', max: o.batchSize });
      if (fit < batchSize) log(`batch size ${batchSize} does not fit in half the free memory (${(freemem() / 2 ** 30).toFixed(1)} GiB free): using ${fit}`);
      batchSize = fit;
    } catch (e) {
      if (e instanceof SupernetError) throw new UsageError(e.message);
      throw e;
    }
    const est = supernet.memoryEstimate({ mode: single ? 'single' : 'all', secondOrder: o.method === 'darts2' });
    log(
      `loom oneshot: ${o.method} on the ${o.space} supernet (${(est.weights / 1e6).toFixed(2)}M weights, about ${((est.fixedBytes + est.perSampleBytes * batchSize) / 2 ** 20).toFixed(0)} MiB to train at batch ${batchSize}); ` +
        `${halves.train.labels.shape[0]} images for the weights, ${halves.val.labels.shape[0]} for the architecture; ${o.epochs} epochs${o.budget ? `, at most ${formatDuration(o.budget)}` : ''}; ${threads} thread(s)`,
    );
    const common = {
      epochs: o.epochs,
      batchSize,
      seed: o.seed,
      ...(o.lr !== undefined ? { lr: o.lr } : {}),
      ...(o.budget !== undefined ? { budgetSeconds: o.budget } : {}),
      onEpoch: (e: import('../../oneshot/search.js').OneShotEpoch) => {
        const extra = Object.entries(e.extra)
          .map(([k, v]) => ` ${k} ${Number(v.toPrecision(3))}`)
          .join('');
        log(
          `epoch ${e.epoch}/${e.epochs}  train loss ${e.trainLoss.toFixed(4)} acc ${pct(e.trainAccuracy)}  val loss ${e.valLoss?.toFixed(4) ?? '-'} acc ${pct(e.valAccuracy)}${extra}  (${e.seconds.toFixed(1)} s)\n  arch ${e.arch}`,
        );
      },
    };
    const data2 = { train: halves.train, val: halves.val };
    const result = await runMethod(o, supernet, data2, common);
    const space = supernet.searchSpace;
    const archJson = result.arch.toJSON();
    atomicWrite(join(out, 'arch.json'), `${JSON.stringify(archJson, null, 2)}\n`);
    atomicWrite(join(out, 'arch.txt'), `${result.text}\n`);
    log(`derived in ${formatDuration(result.seconds)}${result.stopped ? ' (stopped early)' : ''}: ${result.text}`);
    supernet.dispose();
    dispose([halves.train, halves.val]);

    let retrain: { test_acc: number | null; params: number; flops: number; epochs: number; seconds: number; channels?: number; cells?: number } | null = null;
    if (o.retrain) {
      const { trainFinal } = await import('../../study/search.js');
      const network = { ...(o.finalChannels ?? o.channels ? { channels: o.finalChannels ?? o.channels } : {}), ...(o.finalCells ?? o.cells ? { cells: o.finalCells ?? o.cells } : {}) };
      log(`retraining the derived architecture stand-alone for ${o.retrainEpochs} epochs (augmented) on the whole training split`);
      const f = await trainFinal({
        space: space.name,
        arch: archJson,
        network,
        recipe: { epochs: o.retrainEpochs, batchSize: 128, augment: true },
        seed: o.seed,
        dataset: o.dataset,
        dataOptions: { seed: o.seed, ...(o.trainLimit ? { trainLimit: o.trainLimit } : {}) },
        out,
        threads,
        log,
      });
      retrain = { test_acc: f.test?.accuracy ?? null, params: f.params, flops: f.flops, epochs: f.epochs, seconds: f.seconds, ...network };
    }
    const res = {
      method: o.method,
      space: space.name,
      arch: result.text,
      archJson,
      searchSeconds: result.seconds,
      stopped: result.stopped,
      settings: { channels: o.channels ?? null, cells: o.cells ?? null, epochs: o.epochs, batchSize, seed: o.seed, remedy: o.remedy ?? 'none', trainLimit: o.trainLimit ?? null },
      ...(result.selection ? { selection: result.selection } : {}),
      history: result.history.map((e) => ({ epoch: e.epoch, trainLoss: e.trainLoss, trainAcc: e.trainAccuracy, valLoss: e.valLoss ?? null, valAcc: e.valAccuracy ?? null, seconds: e.seconds, arch: e.arch, ...e.extra })),
      alphas: result.alphas,
      retrain,
    };
    atomicWrite(join(out, 'result.json'), `${JSON.stringify(res, null, 2)}\n`);
    if (o.json) process.stdout.write(`${JSON.stringify(res)}\n`);
    else
      process.stdout.write(
        `${o.method}: ${result.text}\nsearch ${formatDuration(result.seconds)}${retrain ? `; retrained ${retrain.epochs} epoch${retrain.epochs === 1 ? '' : 's'}: test ${pct(retrain.test_acc ?? undefined)}, ${retrain.params.toLocaleString('en-US')} params` : ''}\nresults in ${out}\n${retrain?.test_acc != null ? `classify new inputs with it: loom predict ${out} FILES (PNG or JPEG images, or an IDX file of images)\n` : ''}`,
      );
  } catch (e) {
    if (e instanceof SupernetError) throw new UsageError(e.message);
    throw e;
  }
}

type Common = import('../../oneshot/search.js').OneShotOptions;

/** Runs the chosen method on the supernet. */
async function runMethod(
  o: OneShotCliOptions,
  supernet: import('../../oneshot/supernet.js').Supernet,
  data: import('../../oneshot/search.js').OneShotData,
  common: Common,
): Promise<import('../../oneshot/search.js').OneShotResult> {
  switch (o.method) {
    case 'darts':
    case 'darts2': {
      const { dartsSearch } = await import('../../oneshot/darts.js');
      const log = (l: string) => {
        if (!o.quiet) process.stderr.write(`${l}\n`);
      };
      return dartsSearch(supernet, data, {
        ...common,
        secondOrder: o.method === 'darts2',
        remedy: o.remedy ?? 'none',
        pt: {
          onDecision: (d) => {
            const where = d.kind === 'op' ? `${supernet.cellTypes[d.cellType]} edge ${supernet.edges[d.at][1]}->${supernet.edges[d.at][0]}` : `${supernet.cellTypes[d.cellType]} node ${d.at}`;
            const masked = d.masked.map((m) => `${m.candidate} ${(100 * m.accuracy).toFixed(1)}%`).join(', ');
            log(`darts-pt: ${where}: val ${(100 * d.baseAccuracy).toFixed(1)}%; masked: ${masked} -> ${d.chosen.join(' ')}; tuned ${(100 * d.tunedAccuracy).toFixed(1)}%`);
          },
        },
      });
    }
    case 'gdas': {
      const { gdasSearch } = await import('../../oneshot/gdas.js');
      return gdasSearch(supernet, data, common);
    }
    case 'enas': {
      const { enasSearch } = await import('../../oneshot/enas.js');
      return enasSearch(supernet, data, common);
    }
    case 'spos': {
      const { sposSearch } = await import('../../oneshot/spos.js');
      return sposSearch(supernet, data, common);
    }
    case 'random-ws': {
      const { randomWsSearch } = await import('../../oneshot/random-ws.js');
      return randomWsSearch(supernet, data, common);
    }
  }
}
