/**
 * `loom predict <model> <inputs>`: classifies new inputs with a saved model (a search's output
 * folder, `loom train --out`'s, or a weights file; see `estimate/model.ts`). Inputs: an IDX file
 * of images in bytes (`[N, H, W]` or `[N, C, H, W]`, optionally gzipped, as MNIST and
 * Fashion-MNIST ship them) or a data set (a name such as `fashion-mnist`, or a folder of IDX or
 * CIFAR files: its test split) for an image model, a CSV file with the model's feature columns for
 * a table's. With labels (`--labels FILE` of IDX class indices, the CSV's label column, a data
 * set's own) it also reports the accuracy. Prints one line per input (index, class, probability) or, with `--json`,
 * one object.
 * @module
 */
import { basename } from 'node:path';
import { isFile } from '../../util/fs.js';
import { UsageError } from '../errors.js';

export interface PredictOptions {
  labels?: string;
  labelColumn?: string;
  limit?: number;
  batchSize?: number;
  threads?: number;
  json?: boolean;
}

const CSV_FILE = /\.(csv|tsv)(\.gz)?$/i;


/** `loom predict` (see the module comment). */
export async function predict(modelPath: string, inputs: string, o: PredictOptions): Promise<void> {
  const { loadModel } = await import('../../estimate/model.js');
  const { readIdx } = await import('../../data/idx.js');
  const { loadDataset, readCsvFeatures } = await import('../../data/datasets.js');
  const { DataError } = await import('../../data/errors.js');
  const { tensor, setNumThreads, dispose } = await import('../../engine/index.js');
  if (o.threads) setNumThreads(o.threads);
  const model = loadModel(modelPath);
  try {
    const data = model.data;
    if (!data) throw new UsageError(`${modelPath}: no data.json beside the weights, so the inputs' shape and normalisation are unknown; it is written with them by a search's final retraining and loom train --out`);
    const tabular = data.kind === 'tabular';
    let x: ReturnType<typeof tensor>;
    let truth: number[] | null = null;
    if (CSV_FILE.test(inputs)) {
      if (!tabular) throw new UsageError(`${inputs}: a CSV file, but the model classifies images [${data.inputShape.join(', ')}]; give an IDX file of images`);
      if (o.labels) throw new UsageError('--labels is for IDX images; a CSV file carries its labels in a column (--label-column)');
      const features = data.features ?? [];
      const rows = readCsvFeatures(inputs, features, data.classes, o.labelColumn);
      x = tensor(rows.x, { shape: [rows.n, features.length] });
      truth = rows.labels;
    } else if (!isFile(inputs)) {
      // A data set (a name, or a folder of IDX or CIFAR files): its test split, labelled.
      if (tabular) throw new UsageError(`${inputs}: the model classifies rows of a table (${data.inputShape[0]} features); give a CSV file with its feature columns`);
      if (o.labels || o.labelColumn) throw new UsageError(`${inputs}: a data set brings its own labels; --labels and --label-column are for an IDX file of images and a CSV file`);
      const d = loadDataset(inputs, { normalize: false, ...(data.classes.length === 20 ? { cifar100Labels: 'coarse' as const } : {}) });
      dispose([d.train]);
      const test = d.test as NonNullable<typeof d.test>;
      if (d.inputShape.join() !== data.inputShape.join() || d.numClasses !== data.classes.length) {
        dispose([test]);
        throw new DataError(`${inputs}: ${d.name}'s images are [${d.inputShape.join(', ')}] in ${d.numClasses} classes; the model takes [${data.inputShape.join(', ')}] in ${data.classes.length}`);
      }
      x = test.images;
      truth = Array.from(test.labels.data() as ArrayLike<number | bigint>, Number);
      test.labels.dispose();
    } else {
      if (tabular) throw new UsageError(`${inputs}: the model classifies rows of a table (${data.inputShape[0]} features); give a CSV file with its feature columns`);
      if (o.labelColumn) throw new UsageError('--label-column is for CSV files; give the labels of IDX images with --labels FILE');
      const idx = readIdx(inputs);
      if (idx.dtype !== 'uint8') throw new DataError(`${inputs}: IDX ${idx.dtype} data; loom predict reads images as bytes (uint8, 0-255), as MNIST's and Fashion-MNIST's files hold them`);
      const [c, h, w] = data.inputShape;
      if (idx.shape.length < 3) throw new DataError(`${inputs}: IDX data of shape [${idx.shape.join(', ')}], not images; the model takes [${data.inputShape.join(', ')}]`);
      const okShape = (idx.shape.length === 3 && c === 1 && idx.shape[1] === h && idx.shape[2] === w) || (idx.shape.length === 4 && idx.shape[1] === c && idx.shape[2] === h && idx.shape[3] === w);
      if (!okShape) throw new DataError(`${inputs}: images of shape [${idx.shape.slice(1).join(', ')}]; the model takes [${data.inputShape.join(', ')}]${c === 1 ? ` (or [${h}, ${w}])` : ''}`);
      const n = idx.shape[0];
      const scaled = new Float32Array(idx.data.length);
      for (let i = 0; i < scaled.length; i++) scaled[i] = idx.data[i] / 255;
      x = tensor(scaled, { shape: [n, c, h, w] });
      if (o.labels) {
        const lab = readIdx(o.labels);
        if (lab.shape.length !== 1 || !['uint8', 'int8', 'int16', 'int32'].includes(lab.dtype)) {
          throw new DataError(`${o.labels}: not an IDX file of labels (one integer per image; it holds ${lab.dtype} [${lab.shape.join(', ')}])`);
        }
        if (lab.shape[0] !== n) throw new DataError(`${o.labels}: ${lab.shape[0]} labels for ${n} images in ${basename(inputs)}`);
        truth = Array.from(lab.data as ArrayLike<number>);
        const bad = truth.findIndex((v) => !(v >= 0 && v < data.classes.length));
        if (bad >= 0) throw new DataError(`${o.labels}: label ${truth[bad]} at index ${bad} is outside the model's ${data.classes.length} classes (0-${data.classes.length - 1})`);
      }
    }
    const predictions = (() => {
      try {
        return model.classify(x, { batchSize: o.batchSize });
      } finally {
        dispose(x);
      }
    })();
    const correct = truth ? predictions.reduce((s, p, i) => s + (p.index === truth[i] ? 1 : 0), 0) : null;
    const accuracy = truth && correct !== null ? correct / predictions.length : null;
    const shown = o.limit !== undefined ? predictions.slice(0, o.limit) : predictions;
    if (o.json) {
      process.stdout.write(
        `${JSON.stringify({
          model: model.file,
          inputs,
          count: predictions.length,
          ...(accuracy !== null ? { accuracy, correct } : {}),
          predictions: shown.map((p, i) => ({ index: i, class: p.index, label: p.label, probability: p.probability, ...(truth ? { truth: truth[i] } : {}) })),
        })}\n`,
      );
      return;
    }
    const lines = shown.map((p, i) => `${i}\t${p.label}\t${p.probability.toFixed(4)}${truth ? `\t${truth[i] === p.index ? 'right' : `wrong (${data.classes[truth[i]]})`}` : ''}`);
    if (lines.length) process.stdout.write(`${lines.join('\n')}\n`);
    if (accuracy !== null) process.stderr.write(`accuracy ${(100 * accuracy).toFixed(2)}% (${correct}/${predictions.length})\n`);
  } finally {
    model.dispose();
  }
}
