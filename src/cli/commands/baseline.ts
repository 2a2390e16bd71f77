/**
 * `loom baseline`: trains the fixed baseline CNN (the reference the demo's search must beat) on Fashion-MNIST and reports per-epoch and test results.
 * @module
 */
import { availableParallelism } from 'node:os';
import { loadFashionMnist } from '../../data/fashion-mnist.js';
import { trainValSplit } from '../../data/loader.js';
import { type Device, cuda, dispose, manualSeed, setNumThreads } from '../../engine/index.js';
import { baselineCnn } from '../../estimate/baseline.js';
import { type EpochResult, type Precision, type TrainRecipe, resolvePrecision, trainClassifier } from '../../estimate/train.js';
import { Progress, formatDuration } from '../../util/progress.js';
import { UsageError } from '../errors.js';

export interface BaselineOptions {
  epochs: number;
  batchSize: number;
  threads?: number;
  seed: number;
  json?: boolean;
  /** Use only the first N training and N test images. */
  limit?: number;
  valSize: number;
  lr?: number;
  augment?: boolean;
  /** Precision of the forward pass (default float32; auto: bfloat16 on a CPU with bfloat16 instructions). */
  precision?: Precision | 'auto';
  data?: string;
  device: string;
  quiet?: boolean;
}

function pickDevice(d: string): Device {
  if (d === 'auto') return cuda.isAvailable() ? 'cuda' : 'cpu';
  if (d === 'cpu') return 'cpu';
  if (d === 'cuda' || /^cuda:\d+$/.test(d)) {
    if (!cuda.isAvailable()) throw new UsageError(`--device ${d}: CUDA is not available (libtorch without CUDA, or no GPU); use --device cpu`);
    return d as Device;
  }
  throw new UsageError(`--device: expected auto, cpu, cuda or cuda:N, got '${d}'`);
}

const pct = (v: number | undefined): string => (v === undefined ? '-' : `${(100 * v).toFixed(2)}%`);

export async function baseline(o: BaselineOptions): Promise<void> {
  const t0 = performance.now();
  const threads = o.threads ?? availableParallelism();
  setNumThreads(threads);
  manualSeed(o.seed);
  const device = pickDevice(o.device);
  const log = (s: string) => {
    if (!o.quiet) process.stderr.write(`${s}\n`);
  };

  const data = loadFashionMnist({ dir: o.data, trainLimit: o.limit, testLimit: o.limit, device });
  const nTrain = data.train.labels.shape[0];
  const valSize = Math.min(o.valSize, Math.floor(nTrain / 10));
  if (valSize < 1) {
    dispose([data.train, data.test]);
    throw new UsageError(`--limit ${o.limit} leaves too few training images for a validation split (need at least 10)`);
  }
  const { train, val } = trainValSplit(data.train, { valSize, seed: o.seed });
  dispose(data.train);
  const model = baselineCnn({ inChannels: data.inputShape[0], numClasses: data.classes.length, imageSize: data.inputShape[1] }).to(device);
  const recipe: TrainRecipe = {
    epochs: o.epochs,
    batchSize: o.batchSize,
    seed: o.seed,
    augment: !!o.augment,
    device,
    ...(o.lr !== undefined ? { lr: o.lr } : {}),
    precision: resolvePrecision(o.precision ?? 'float32', device),
  };
  const params = model.numParameters();
  log(
    `loom baseline: Fashion-MNIST from ${data.dir}: ${train.labels.shape[0]} train / ${val.labels.shape[0]} val / ` +
      `${data.test.labels.shape[0]} test images; baseline CNN, ${params.toLocaleString('en-US')} parameters; ` +
      `${device}${device === 'cpu' ? `, ${threads} thread(s)` : ''}; ${o.epochs} epoch(s), batch ${o.batchSize}, ` +
      `SGD+Nesterov, cosine schedule${o.augment ? ', augmentation' : ''}${recipe.precision === 'float32' ? '' : `, ${recipe.precision} mixed precision`}`,
  );

  let bar: Progress | null = null;
  const epochLine = (e: EpochResult) =>
    `epoch ${String(e.epoch).padStart(String(e.epochs).length)}/${e.epochs}  train loss ${e.trainLoss.toFixed(4)}  ` +
    `train acc ${pct(e.trainAccuracy)}  val loss ${e.valLoss?.toFixed(4) ?? '-'}  val acc ${pct(e.valAccuracy)}  ` +
    `lr ${e.lr.toExponential(2)}  ${e.seconds.toFixed(1)} s`;
  try {
    const result = await trainClassifier(
      model,
      { train, val, test: data.test },
      recipe,
      {
        onEpochStart: (epoch, batches) => {
          bar = new Progress({ total: batches, label: `epoch ${epoch}/${o.epochs}`, unit: 'batch', silent: !!o.quiet });
        },
        onBatch: (p) => bar?.tick({ loss: p.meanLoss, acc: `${(100 * p.accuracy).toFixed(1)}%` }),
        onEpoch: (e) => {
          bar?.done();
          bar = null;
          if (o.json) log(epochLine(e));
          else process.stdout.write(`${epochLine(e)}\n`);
        },
      },
    );
    const total = (performance.now() - t0) / 1000;
    const test = result.test;
    if (!test) throw new Error('internal: no test result');
    if (o.json) {
      const out = {
        dataset: { name: data.name, dir: data.dir, train: train.labels.shape[0], val: val.labels.shape[0], test: test.total },
        model: { name: 'baseline-cnn', parameters: params },
        recipe: { ...recipe, threads: device === 'cpu' ? threads : undefined },
        epochs: result.epochs,
        test: { accuracy: test.accuracy, loss: test.loss, correct: test.correct, total: test.total },
        trainSeconds: result.seconds,
        seconds: total,
      };
      process.stdout.write(`${JSON.stringify(out)}\n`);
    } else {
      process.stdout.write(
        `test accuracy ${pct(test.accuracy)} (${test.correct}/${test.total}), test loss ${test.loss.toFixed(4)}; ` +
          `total time ${formatDuration(total)} (${total.toFixed(1)} s)\n`,
      );
    }
  } finally {
    (bar as Progress | null)?.done();
    model.dispose();
    dispose([train, val, data.test]);
  }
}
