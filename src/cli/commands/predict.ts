/**
 * `loom predict <model> <inputs...>`: classifies new inputs with a saved model (a search's output
 * folder, `loom train --out`'s, or a weights file; see `estimate/model.ts`). Inputs: PNG and JPEG
 * images (files, a folder of them, or a folder of class folders that label them) for an image
 * model, fitted to its input (`data/image.ts`: `imageInput`); an IDX file of images in bytes
 * (`[N, H, W]` or `[N, C, H, W]`, optionally gzipped, as MNIST and Fashion-MNIST ship them) or a
 * data set (a name such as `fashion-mnist`, or a folder of IDX or CIFAR files: its test split) for
 * an image model; a CSV file with the model's feature columns for a table's. With labels
 * (`--labels FILE` of IDX class indices, the CSV's label column, a data set's own, class folders)
 * it also reports the accuracy. Prints one line per input (index or file, class, probability; with
 * `--top K` the K most likely) or, with `--json`, one object.
 * @module
 */
import { closeSync, openSync, readdirSync, readSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { IMAGE_FILE, type ImageFit, imageInput, isImage, readImage } from '../../data/image.js';
import { isDir, isFile } from '../../util/fs.js';
import { UsageError } from '../errors.js';

export interface PredictOptions {
  labels?: string;
  labelColumn?: string;
  /** Images: invert them (a dark object on a light ground, for a model of light objects on black). */
  invert?: boolean;
  /** Images: how a shape other than the model's is fitted (default pad). */
  fit?: ImageFit;
  /** Images: cut away the margins of a plain background first. */
  trim?: boolean;
  /** Give each input's K most likely classes (default 1), and with labels how often the right one is among them. */
  top?: number;
  limit?: number;
  batchSize?: number;
  threads?: number;
  json?: boolean;
}

/** The first bytes of a file (fewer when it is shorter). */
function head(path: string, n: number): Uint8Array {
  const bytes = new Uint8Array(n);
  const fd = openSync(path, 'r');
  try {
    return bytes.subarray(0, readSync(fd, bytes, 0, n, 0));
  } finally {
    closeSync(fd);
  }
}

/** Image formats loom predict does not read, by their signatures, to say so instead of failing as IDX. */
const OTHER_IMAGES: [string, (b: Uint8Array) => boolean][] = [
  ['GIF', (b) => String.fromCharCode(...b.subarray(0, 4)) === 'GIF8'],
  // 'BM', then (at 14) the size of one of the DIB headers BMP files use.
  ['BMP', (b) => b[0] === 0x42 && b[1] === 0x4d && b.length >= 18 && [12, 40, 52, 56, 64, 108, 124].includes(b[14] | (b[15] << 8) | (b[16] << 16) | (b[17] << 24))],
  ['WebP', (b) => String.fromCharCode(...b.subarray(0, 4)) === 'RIFF' && String.fromCharCode(...b.subarray(8, 12)) === 'WEBP'],
  ['TIFF', (b) => (b[0] === 0x49 && b[1] === 0x49 && b[2] === 42 && b[3] === 0) || (b[0] === 0x4d && b[1] === 0x4d && b[2] === 0 && b[3] === 42)],
  // An ISO media file ('ftyp' at 4) of an image brand: HEIC (phones' photos) and AVIF.
  ['HEIC or AVIF', (b) => String.fromCharCode(...b.subarray(4, 8)) === 'ftyp' && /^(hei[cx]|hev[cx]|mif1|msf1|avif|avis)$/.test(String.fromCharCode(...b.subarray(8, 12)))],
];
const OTHER_IMAGE_FILE = /\.(gif|bmp|webp|tiff?|heic|heif|avif)$/i;
const convertHint = 'loom predict reads PNG and JPEG images: convert them first (with ImageMagick: mogrify -format png FILES)';

/** Images to classify, and for each the class folder it lies in (null when it lies in none). */
interface ImageList {
  files: string[];
  folders: (string | null)[];
}

/**
 * The images `inputs` name: each a PNG or JPEG file, or a folder holding such files (sorted by
 * name) and no data set's files, or a folder of class folders (as torchvision's `ImageFolder`
 * reads them: no images of its own, a subfolder of images per class, named as the class); null
 * when the inputs are not images. An image in another format is refused with a word on converting
 * it.
 */
function imageInputs(inputs: readonly string[], holdsDataset: (dir: string) => boolean, csvFile: RegExp): ImageList | null {
  const out: ImageList = { files: [], folders: [] };
  const add = (files: string[], folder: string | null) => {
    out.files.push(...files);
    for (const _ of files) out.folders.push(folder);
  };
  const imagesIn = (dir: string, names: string[]) => names.filter((n) => IMAGE_FILE.test(n)).map((n) => join(dir, n));
  for (const input of inputs) {
    if (isDir(input)) {
      if (holdsDataset(input)) return null;
      const names = readdirSync(input).sort();
      const found = imagesIn(input, names);
      if (found.length) {
        add(found, null);
        continue;
      }
      // Class folders: each subfolder's own names, read once.
      const classes = names.filter((n) => isDir(join(input, n))).map((n) => ({ name: n, entries: readdirSync(join(input, n)).sort() }));
      const labelled = classes.map((c) => ({ name: c.name, files: imagesIn(join(input, c.name), c.entries) }));
      if (labelled.some((c) => c.files.length)) {
        for (const c of labelled) add(c.files, c.name);
        continue;
      }
      const other = [...names, ...classes.flatMap((c) => c.entries.map((f) => join(c.name, f)))].find((n) => OTHER_IMAGE_FILE.test(n));
      if (other) throw new UsageError(`${input}: holds images such as ${other} but no PNG or JPEG files; ${convertHint}`);
      return null;
    }
    if (IMAGE_FILE.test(input)) add([input], null);
    else if (csvFile.test(input)) return null;
    else if (isFile(input)) {
      const bytes = head(input, 18);
      if (isImage(bytes)) add([input], null);
      else {
        const other = OTHER_IMAGES.find(([, is]) => is(bytes));
        if (other) throw new UsageError(`${input}: a ${other[0]} image; ${convertHint}`);
        return null;
      }
    } else return null;
  }
  return out;
}

/** A class name as folders spell it: letters and digits only, lower case ("T-shirt/top" and "t_shirt_top" alike). */
const folderKey = (name: string) => name.toLowerCase().replace(/[^\p{L}\p{N}]/gu, '');

/**
 * The class index of each image from the class folder it lies in: the folder named as one of the
 * model's classes (letters and digits compared, case aside) or as its index; null when some image
 * lies in no class folder. An unknown folder name is refused, naming the model's classes.
 */
function folderLabels(list: ImageList, classes: readonly string[]): number[] | null {
  if (list.folders.some((f) => f === null)) return null;
  const keys = new Map(classes.map((c, i) => [folderKey(c), i]));
  return list.folders.map((f, i) => {
    const name = f as string;
    const k = keys.get(folderKey(name)) ?? (/^\d+$/.test(name) && Number(name) < classes.length ? Number(name) : undefined);
    if (k === undefined) throw new UsageError(`${dirname(list.files[i])}: a class folder named as none of the model's ${classes.length} classes (${classes.join(', ')}) nor as a class index`);
    return k;
  });
}

/** `loom predict` (see the module comment). */
export async function predict(modelPath: string, inputList: string | readonly string[], o: PredictOptions): Promise<void> {
  const { loadModel } = await import('../../estimate/model.js');
  const { CSV_EXT, holdsDataset, loadDataset, readCsvFeatures } = await import('../../data/datasets.js');
  const list = typeof inputList === 'string' ? [inputList] : inputList;
  if (!list.length) throw new UsageError('give the inputs to classify');
  const imageList = imageInputs(list, holdsDataset, CSV_EXT);
  const images = imageList?.files ?? null;
  if (!images && list.length > 1) throw new UsageError(`${list.length} inputs given: several inputs must all be images (PNG or JPEG files, or folders of them); an IDX file, a CSV file or a data set comes alone`);
  if (!images && o.invert) throw new UsageError('--invert is for PNG and JPEG images');
  if (!images && o.fit) throw new UsageError('--fit is for PNG and JPEG images');
  if (!images && o.trim) throw new UsageError('--trim is for PNG and JPEG images');
  const inputs = list.join(' ');
  const { readIdx } = await import('../../data/idx.js');
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
    /** The changes made to each image to fit the model. */
    let fitted: string[][] | null = null;
    if (images) {
      if (tabular) throw new UsageError(`${inputs}: images, but the model classifies rows of a table (${data.inputShape[0]} features); give a CSV file with its feature columns`);
      if (o.labels || o.labelColumn) throw new UsageError('--labels and --label-column are for an IDX file of images and a CSV file; PNG and JPEG images are labelled by lying in class folders (a folder per class, named as the class)');
      truth = folderLabels(imageList as ImageList, data.classes);
      const size = data.inputShape.reduce((a, b) => a * b, 1);
      const all = new Float32Array(images.length * size);
      // What was done to each image to fit the model: said once for all when the same, else by kind.
      const changes: string[][] = [];
      const kinds = new Map<string, number>();
      images.forEach((file, i) => {
        const input = imageInput(readImage(file), data.inputShape, { invert: o.invert, fit: o.fit, trim: o.trim });
        all.set(input.data, i * size);
        changes.push(input.changes);
        const kind = input.kinds.join(', ');
        if (kind) kinds.set(kind, (kinds.get(kind) ?? 0) + 1);
      });
      const first = changes[0].join(', ');
      if (first && changes.every((c) => c.join(', ') === first)) process.stderr.write(`${images.length === 1 ? basename(images[0]) : `all ${images.length} images`}: ${first}\n`);
      else for (const [what, n] of kinds) process.stderr.write(`${n === images.length ? `all ${n} images` : `${n} of ${images.length} images`}: ${what}${o.json ? '' : ' (--json says how, image by image)'}\n`);
      fitted = changes;
      x = tensor(all, { shape: [images.length, ...data.inputShape] });
    } else if (CSV_EXT.test(inputs)) {
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
    const top = Math.min(o.top ?? 1, data.classes.length);
    const predictions = (() => {
      try {
        return model.classify(x, { batchSize: o.batchSize, top });
      } finally {
        dispose(x);
      }
    })();
    const correct = truth ? predictions.reduce((s, p, i) => s + (p.index === truth[i] ? 1 : 0), 0) : null;
    const accuracy = truth && correct !== null ? correct / predictions.length : null;
    // With --top K: how often the right class is among the K most likely.
    const inTop = truth && top > 1 ? predictions.reduce((s, p, i) => s + (p.top?.some((t) => t.index === truth[i]) ? 1 : 0), 0) : null;
    const shown = o.limit !== undefined ? predictions.slice(0, o.limit) : predictions;
    if (o.json) {
      process.stdout.write(
        `${JSON.stringify({
          model: model.file,
          inputs: list.length === 1 ? list[0] : list,
          count: predictions.length,
          ...(accuracy !== null ? { accuracy, correct } : {}),
          ...(inTop !== null ? { top_k: top, top_k_accuracy: inTop / predictions.length, top_k_correct: inTop } : {}),
          predictions: shown.map((p, i) => ({ index: i, ...(images ? { file: images[i] } : {}), ...(fitted?.[i].length ? { changes: fitted[i] } : {}), class: p.index, label: p.label, probability: p.probability, ...(p.top ? { top: p.top.map((t) => ({ class: t.index, label: t.label, probability: t.probability })) } : {}), ...(truth ? { truth: truth[i] } : {}) })),
        })}\n`,
      );
      return;
    }
    const lines = shown.map((p, i) => `${images ? images[i] : i}\t${(p.top ?? [p]).map((t) => `${t.label}\t${t.probability.toFixed(4)}`).join('\t')}${truth ? `\t${truth[i] === p.index ? 'right' : `wrong (${data.classes[truth[i]]})`}` : ''}`);
    if (lines.length) process.stdout.write(`${lines.join('\n')}\n`);
    if (accuracy !== null) process.stderr.write(`accuracy ${(100 * accuracy).toFixed(2)}% (${correct}/${predictions.length})${inTop !== null ? `; in the top ${top}: ${((100 * inTop) / predictions.length).toFixed(2)}% (${inTop}/${predictions.length})` : ''}\n`);
  } finally {
    model.dispose();
  }
}
