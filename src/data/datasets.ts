/**
 * The data sets a search can run on, behind one call.
 *
 * ```ts
 * const data = loadDataset('fashion-mnist', { valSize: 5000, seed: 0 });   // Debian's package
 * const cifar = loadDataset('/data/cifar-10-batches-bin', { valFraction: 0.1 });
 * const table = loadDataset('iris.csv', { testFraction: 0.2, valFraction: 0.2 });
 * await trainClassifier(model, { train: data.train, val: data.val }, recipe);
 * // ... and data.test only for the final report.
 * ```
 *
 * A spec is a built-in name (`fashion-mnist`, `mnist`, `cifar-10`, `cifar-100`, optionally
 * `name:FOLDER`) or a path: a folder of MNIST-style IDX files, of CIFAR-10 binary batches or of
 * CIFAR-100 binary files, or a CSV file of numeric features and a label column. Every format comes
 * back as the same {@link Dataset}: float32 inputs `[N, C, H, W]` (tabular `[N, F]`) scaled to [0, 1]
 * (images) and normalised per channel with the training part's mean and std, int64 labels `[N]`,
 * a seeded validation part carved from the training set, and the test set apart.
 *
 * Every problem with the files is a one-line {@link DataError} or {@link DatasetNotFoundError}
 * naming the file and what is wrong with it.
 * @module
 */
import { existsSync, readFileSync, readdirSync, realpathSync } from 'node:fs';
import { basename, join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { type Device, tensor, tidy } from '../engine/index.js';
import { isDir, isFile } from '../util/fs.js';
import { Rng } from '../util/rng.js';
import { DataError, DatasetNotFoundError, readDataFile } from './errors.js';
import { FASHION_MNIST_CLASSES, type LabelledImages, fashionMnistDir, findIdxFile, readIdxSplit } from './fashion-mnist.js';
import { isGzip } from './idx.js';
import { splitIndices } from './loader.js';

/** The file formats {@link loadDataset} reads. */
export type DatasetFormat = 'idx' | 'cifar-10' | 'cifar-100' | 'csv';

/** Options of {@link loadDataset}. */
export interface DatasetOptions {
  /** Folder of a named data set (`fashion-mnist` defaults to `$LOOM_FASHION_MNIST` or Debian's; `mnist` to `$LOOM_MNIST`; `cifar-10`/`cifar-100` to `$LOOM_CIFAR10`/`$LOOM_CIFAR100`). Ignored for paths. */
  dir?: string;
  /** Training examples held out for validation (give this or `valFraction`; neither, or 0: no validation part). */
  valSize?: number;
  /** Fraction of the training examples held out for validation, in (0, 1). */
  valFraction?: number;
  /** Seed of the validation split and of a carved test split (default 0). */
  seed?: number;
  /** Keep only the first N training examples, before the validation split (default: all). */
  trainLimit?: number;
  /** Keep only the first N test examples (default: all). */
  testLimit?: number;
  /** Normalise the inputs per channel with the training part's mean and std (default true). */
  normalize?: boolean;
  /** Load the test set (default true); a trial that never reports on it can leave it out. */
  includeTest?: boolean;
  /** Put the tensors on this device (default 'cpu'). */
  device?: Device;
  /** CSV: the label column's name (default `label`, matched ignoring case). */
  labelColumn?: string;
  /** CSV: fraction of the rows carved out, seeded, as the test set (default 0.2); a CSV file has no test split of its own. */
  testFraction?: number;
  /** CIFAR-100: train on the 100 fine labels (default) or the 20 coarse ones. */
  cifar100Labels?: 'fine' | 'coarse';
  /** IDX from a path: the number of classes (labels must lie below it); default: the largest training label + 1. */
  numClasses?: number;
}

/** How a test set was made when the source has none (CSV). */
export interface CarvedTestSplit {
  /** Always 'file': the rows were drawn from the one file given. */
  carvedFrom: 'file';
  /** Rows in the test set. */
  size: number;
  fraction: number;
  seed: number;
}

/**
 * A loaded classification data set. `train`/`val`/`test` fit the training loop's `ClassifierData`;
 * `val` is carved from the training set and `test` is meant for the final report only.
 */
export interface Dataset {
  /** Display name: 'Fashion-MNIST', 'CIFAR-10', or the folder's or file's name. */
  name: string;
  format: DatasetFormat;
  /** The folder or file read. */
  source: string;
  kind: 'image' | 'tabular';
  /**
   * False when a left-right mirrored input is not of its class (MNIST's digits), so augmentation
   * must not flip it (training then leaves flips out unless its recipe asks for them); absent when
   * that is not known (a folder or file of any data: the recipe's `flip` decides).
   */
  flips?: boolean;
  train: LabelledImages;
  /** The validation part (when `valSize` or `valFraction` was given). */
  val?: LabelledImages;
  /** The test set (absent with `includeTest: false`). */
  test?: LabelledImages;
  numClasses: number;
  /** Class names in label order (the labels' own text for CSV; '0', '1', ... where unknown). */
  classes: string[];
  /** Shape of one input: `[C, H, W]` for images, `[F]` for tabular data. */
  inputShape: number[];
  /**
   * Per-channel (tabular: per-feature) mean and std of the training part, in the inputs' units
   * before normalising ([0, 1] for images); a constant channel's std is given as 1 (see `notes`).
   */
  mean: number[];
  std: number[];
  /** Whether the inputs were normalised with `mean` and `std`. */
  normalized: boolean;
  /** CSV feature names, in input order. */
  features?: string[];
  /** Set when the test set was carved from the training data (CSV). */
  testSplit?: CarvedTestSplit;
  /** Things a report should say about the data (a carved test set, constant features, ...). */
  notes: string[];
}

/**
 * What a final model needs to be used on new data, written beside its weights as `data.json`: the
 * input shape, the classes in output order, the feature columns (tables), and the normalisation the
 * inputs had, `(x - mean) / std` per channel or feature, in the raw units (images: pixels / 255).
 */
export interface ModelData {
  /** The data set's display name. */
  dataset: string;
  format: string;
  kind: 'image' | 'tabular';
  inputShape: number[];
  classes: string[];
  features?: string[];
  normalization: { mean: number[]; std: number[] } | null;
}

/** What a model trained on `d` expects of its inputs ({@link ModelData}). */
export function modelData(d: Dataset): ModelData {
  return {
    dataset: d.name,
    format: d.format,
    kind: d.kind,
    inputShape: d.inputShape,
    classes: d.classes,
    ...(d.features ? { features: d.features } : {}),
    normalization: d.normalized ? { mean: d.mean, std: d.std } : null,
  };
}

/** Where a spec points, found without reading the data: see {@link resolveDataset}. */
export interface DatasetSource {
  name: string;
  format: DatasetFormat;
  /** The folder (IDX, CIFAR) or file (CSV) to read. */
  path: string;
  /** Class names known for the data set itself (Fashion-MNIST's, MNIST's digits). */
  classes?: readonly string[];
  /** False when a mirrored input is not of its class (MNIST's digits); see {@link Dataset.flips}. */
  flips?: boolean;
  /** Appended to "not found" messages: how to get the data. */
  hint?: string;
}

/** CIFAR-10's classes, in label order. */
export const CIFAR10_CLASSES: readonly string[] = [
  'airplane',
  'automobile',
  'bird',
  'cat',
  'deer',
  'dog',
  'frog',
  'horse',
  'ship',
  'truck',
];

/** CIFAR-100's 20 coarse classes (superclasses), in label order. */
export const CIFAR100_COARSE_CLASSES: readonly string[] = (
  'aquatic_mammals fish flowers food_containers fruit_and_vegetables household_electrical_devices household_furniture ' +
  'insects large_carnivores large_man-made_outdoor_things large_natural_outdoor_scenes large_omnivores_and_herbivores ' +
  'medium_mammals non-insect_invertebrates people reptiles small_mammals trees vehicles_1 vehicles_2'
).split(' ');

/** CIFAR-100's 100 fine classes, in label order (alphabetical). */
export const CIFAR100_FINE_CLASSES: readonly string[] = (
  'apple aquarium_fish baby bear beaver bed bee beetle bicycle bottle bowl boy bridge bus butterfly camel can castle ' +
  'caterpillar cattle chair chimpanzee clock cloud cockroach couch crab crocodile cup dinosaur dolphin elephant flatfish ' +
  'forest fox girl hamster house kangaroo keyboard lamp lawn_mower leopard lion lizard lobster man maple_tree motorcycle ' +
  'mountain mouse mushroom oak_tree orange orchid otter palm_tree pear pickup_truck pine_tree plain plate poppy porcupine ' +
  'possum rabbit raccoon ray road rocket rose sea seal shark shrew skunk skyscraper snail snake spider squirrel streetcar ' +
  'sunflower sweet_pepper table tank telephone television tiger tractor train trout tulip turtle wardrobe whale ' +
  'willow_tree wolf woman worm'
).split(' ');

const DIGITS = Array.from({ length: 10 }, (_, i) => String(i));
const CIFAR10_TRAIN = [1, 2, 3, 4, 5].map((i) => `data_batch_${i}.bin`);
/** Subfolders looked into when a folder holds no data set itself: the archives' own folder names and torchvision's layout. */
const SUBDIRS = ['cifar-10-batches-bin', 'cifar-100-binary', 'raw', 'MNIST/raw', 'FashionMNIST/raw'];
const IDX_FILES = 'train-images-idx3-ubyte[.gz], train-labels-idx1-ubyte[.gz], t10k-images-idx3-ubyte[.gz], t10k-labels-idx1-ubyte[.gz]';
const LOOKED_FOR =
  `MNIST-style IDX files (${IDX_FILES}), CIFAR-10 binary batches (data_batch_1.bin .. data_batch_5.bin, test_batch.bin) ` +
  `and CIFAR-100 binary files (train.bin, test.bin), also in the subfolders ${SUBDIRS.map((d) => `${d}/`).join(', ')}`;
const FASHION_HINT =
  ' Install it with `apt-get install dataset-fashion-mnist`, or point LOOM_FASHION_MNIST at a folder holding its four IDX files.';

/** Data in memory before it becomes tensors: records of `prod(inputShape)` values each. */
interface RawSplit {
  x: Uint8Array | Float32Array;
  y: Int32Array;
  n: number;
}

interface RawDataset {
  name: string;
  format: DatasetFormat;
  source: string;
  kind: 'image' | 'tabular';
  inputShape: number[];
  classes: string[];
  train: RawSplit;
  test: RawSplit;
  features?: string[];
  testSplit?: CarvedTestSplit;
  notes: string[];
}

const sameFolder = (a: string, b: string): boolean => {
  try {
    return realpathSync(a) === realpathSync(b);
  } catch {
    return false;
  }
};

const NAMES: Record<string, 'fashion-mnist' | 'mnist' | 'cifar-10' | 'cifar-100'> = {
  'fashion-mnist': 'fashion-mnist',
  fashion_mnist: 'fashion-mnist',
  fashionmnist: 'fashion-mnist',
  mnist: 'mnist',
  'cifar-10': 'cifar-10',
  cifar10: 'cifar-10',
  'cifar-100': 'cifar-100',
  cifar100: 'cifar-100',
};

/** File names {@link resolveDataset} reads as CSV tables. */
export const CSV_EXT = /\.(csv|tsv)(\.gz)?$/i;

/** What a folder holds: the first format whose files are there, else what one of {@link SUBDIRS} holds. */
function detectFolder(dir: string): { format: Exclude<DatasetFormat, 'csv'>; path: string } | undefined {
  const has = (f: string) => existsSync(join(dir, f));
  if (has('data_batch_1.bin') || has('test_batch.bin')) return { format: 'cifar-10', path: dir };
  if (has('train.bin') || has('test.bin')) return { format: 'cifar-100', path: dir };
  for (const split of ['train', 't10k'] as const) {
    for (const kind of ['images', 'labels'] as const) if (findIdxFile(dir, split, kind)) return { format: 'idx', path: dir };
  }
  for (const name of SUBDIRS) {
    const sub = join(dir, name);
    if (isDir(sub)) {
      const found = detectFolder(sub);
      if (found) return found;
    }
  }
  return undefined;
}

/** Whether `dir` holds a data set {@link resolveDataset} recognises (IDX or CIFAR files, there or in one of {@link SUBDIRS}). */
export function holdsDataset(dir: string): boolean {
  return detectFolder(dir) !== undefined;
}

/** The folder under `dir` (itself or one of {@link SUBDIRS}) that holds data of `format`; `dir` when none does. */
function folderOf(dir: string, format: Exclude<DatasetFormat, 'csv'>): string {
  const found = detectFolder(dir);
  return found?.format === format ? found.path : dir;
}

function namedSource(name: 'fashion-mnist' | 'mnist' | 'cifar-10' | 'cifar-100', dir: string | undefined): DatasetSource {
  switch (name) {
    case 'fashion-mnist':
      return { name: 'Fashion-MNIST', format: 'idx', path: folderOf(fashionMnistDir(dir), 'idx'), classes: FASHION_MNIST_CLASSES, hint: FASHION_HINT };
    case 'mnist': {
      const path = dir || process.env.LOOM_MNIST;
      if (!path) {
        throw new DatasetNotFoundError(
          `mnist: MNIST is not bundled: download its four IDX files (${IDX_FILES}) and give their folder ` +
            '(as the dataset path, `mnist:FOLDER`, or LOOM_MNIST)',
        );
      }
      return { name: 'MNIST', format: 'idx', path: folderOf(path, 'idx'), classes: DIGITS, flips: false };
    }
    case 'cifar-10':
    case 'cifar-100': {
      const env = name === 'cifar-10' ? 'LOOM_CIFAR10' : 'LOOM_CIFAR100';
      const path = dir || process.env[env];
      const label = name === 'cifar-10' ? 'CIFAR-10' : 'CIFAR-100';
      if (!path) {
        throw new DatasetNotFoundError(
          `${name}: ${label} is not bundled: download its binary version and give the folder of its files ` +
            `(as the dataset path, \`${name}:FOLDER\`, or ${env})`,
        );
      }
      return { name: label, format: name, path: folderOf(path, name) };
    }
  }
}

/**
 * Finds what a spec points at without reading the data: a built-in name (`fashion-mnist`, `mnist`,
 * `cifar-10`, `cifar-100`, also as `name:FOLDER`) or a path to a folder (its format detected from
 * the file names) or to a CSV file. A name wins over a same-named folder in the working directory;
 * write `./name` for the folder.
 * @throws DatasetNotFoundError when the path is missing, the name unknown, or a folder holds no recognisable data set.
 */
export function resolveDataset(spec: string, opts: { dir?: string } = {}): DatasetSource {
  if (typeof spec !== 'string' || spec.trim() === '') throw new DatasetNotFoundError('dataset: empty name or path');
  const colon = spec.indexOf(':');
  if (colon > 0) {
    const named = NAMES[spec.slice(0, colon).toLowerCase()];
    if (named) return namedSource(named, spec.slice(colon + 1) || opts.dir);
  }
  const named = NAMES[spec.toLowerCase()];
  if (named) return namedSource(named, opts.dir);
  if (!existsSync(spec)) {
    const looksLikePath = /[/\\]/.test(spec) || spec.startsWith('.') || CSV_EXT.test(spec);
    if (looksLikePath) throw new DatasetNotFoundError(`${spec}: no such file or folder`);
    throw new DatasetNotFoundError(
      `unknown dataset '${spec}': not one of fashion-mnist, mnist, cifar-10, cifar-100, and no file or folder of that name`,
    );
  }
  if (isFile(spec)) {
    if (CSV_EXT.test(spec)) return { name: basename(spec).replace(CSV_EXT, ''), format: 'csv', path: spec };
    throw new DatasetNotFoundError(
      `${spec}: a file, but not a CSV file (.csv or .tsv, optionally .gz); for IDX or CIFAR data give the folder holding the files`,
    );
  }
  if (!isDir(spec)) throw new DatasetNotFoundError(`${spec}: neither a file nor a folder`);
  const found = detectFolder(spec);
  if (!found) {
    let csv: string[] = [];
    try {
      csv = readdirSync(spec).filter((f) => CSV_EXT.test(f));
    } catch (e) {
      throw new DatasetNotFoundError(`${spec}: cannot list the folder: ${(e as Error).message}`);
    }
    const tip = csv.length ? ` (it holds ${csv.slice(0, 3).join(', ')}${csv.length > 3 ? ', ...' : ''}: give a CSV file's own path to use it)` : '';
    throw new DatasetNotFoundError(`${spec}: no recognisable data set in this folder; looked for ${LOOKED_FOR}${tip}`);
  }
  // Fashion-MNIST's own folder, given as a path, keeps its class names.
  if (found.format === 'idx' && sameFolder(found.path, fashionMnistDir())) return namedSource('fashion-mnist', found.path);
  const label = found.format === 'cifar-10' ? 'CIFAR-10' : found.format === 'cifar-100' ? 'CIFAR-100' : basename(found.path);
  return { name: label, format: found.format, path: found.path };
}

const readBytes = (path: string): Uint8Array => readDataFile(path, (m) => new DatasetNotFoundError(m));

// ---------------------------------------------------------------------------
// IDX
// ---------------------------------------------------------------------------

function readIdxSet(src: DatasetSource, numClasses: number | undefined): RawDataset {
  const dir = src.path;
  const hint = src.hint ?? '';
  if (!isDir(dir)) throw new DatasetNotFoundError(`${src.name} not found: ${dir} is not a folder.${hint}`);
  const missing: string[] = [];
  for (const split of ['train', 't10k'] as const) {
    for (const kind of ['images', 'labels'] as const) {
      if (!findIdxFile(dir, split, kind)) missing.push(`${split}-${kind}-${kind === 'images' ? 'idx3' : 'idx1'}-ubyte[.gz]`);
    }
  }
  if (missing.length) throw new DatasetNotFoundError(`${src.name} not found: ${dir} lacks ${missing.join(', ')}.${hint}`);
  const declared = src.classes?.length ?? numClasses;
  const train = readIdxSplit(dir, 'train', declared);
  const test = readIdxSplit(dir, 't10k', declared);
  const [, h, w] = train.images.shape;
  if (test.images.shape[1] !== h || test.images.shape[2] !== w) {
    throw new DataError(`${dir}: train images are ${h}x${w} but test images are ${test.images.shape[1]}x${test.images.shape[2]}`);
  }
  let classes: string[];
  if (src.classes) classes = [...src.classes];
  else {
    let k = numClasses;
    if (k === undefined) {
      k = 0;
      for (const l of train.labels) if (l + 1 > k) k = l + 1;
      for (let i = 0; i < test.labels.length; i++) {
        if (test.labels[i] >= k) {
          const file = findIdxFile(dir, 't10k', 'labels');
          throw new DataError(`${file}: label ${test.labels[i]} at index ${i} is out of range: the training labels go from 0 to ${k - 1}`);
        }
      }
    }
    classes = Array.from({ length: k }, (_, i) => String(i));
  }
  const split = (s: typeof train): RawSplit => ({ x: s.images.data, y: Int32Array.from(s.labels), n: s.images.shape[0] });
  return {
    name: src.name,
    format: 'idx',
    source: dir,
    kind: 'image',
    inputShape: [1, h, w],
    classes,
    train: split(train),
    test: split(test),
    notes: [],
  };
}

// ---------------------------------------------------------------------------
// CIFAR binary
// ---------------------------------------------------------------------------

const CIFAR_PIXELS = 3 * 32 * 32;

/** Reads CIFAR binary files: records of `labelBytes` label bytes then 3072 pixel bytes (R, G, B planes of 32x32). */
function readCifarFiles(
  paths: string[],
  format: 'cifar-10' | 'cifar-100',
  labelIndex: number,
): RawSplit {
  const labelBytes = format === 'cifar-10' ? 1 : 2;
  const record = labelBytes + CIFAR_PIXELS;
  const layout = format === 'cifar-10' ? '1 label byte + 3072 pixel bytes' : '2 label bytes (coarse, fine) + 3072 pixel bytes';
  const limits = format === 'cifar-10' ? [10] : [20, 100];
  const label = format === 'cifar-10' ? 'CIFAR-10' : 'CIFAR-100';
  const files = paths.map((p) => {
    const bytes = readBytes(p);
    if (bytes.length === 0) throw new DataError(`${p}: empty file; expected ${label} records of ${record} bytes (${layout})`);
    if (bytes.length % record !== 0) {
      throw new DataError(
        `${p}: truncated ${label} file: ${bytes.length} bytes is not a whole number of ${record}-byte records (${layout}); ` +
          `${bytes.length % record} byte(s) left over`,
      );
    }
    const n = bytes.length / record;
    for (let r = 0; r < n; r++) {
      for (let b = 0; b < labelBytes; b++) {
        const v = bytes[r * record + b];
        if (v >= limits[b]) {
          const what = labelBytes === 1 ? 'label' : b === 0 ? 'coarse label' : 'fine label';
          throw new DataError(`${p}: ${what} ${v} of record ${r} is out of range for ${limits[b]} classes; not valid ${label} binary data`);
        }
      }
    }
    return { bytes, n };
  });
  const n = files.reduce((a, f) => a + f.n, 0);
  const x = new Uint8Array(n * CIFAR_PIXELS);
  const y = new Int32Array(n);
  let at = 0;
  for (const f of files) {
    for (let r = 0; r < f.n; r++, at++) {
      const off = r * record;
      y[at] = f.bytes[off + labelIndex];
      x.set(f.bytes.subarray(off + labelBytes, off + record), at * CIFAR_PIXELS);
    }
  }
  return { x, y, n };
}

/** Class names from a CIFAR meta file (one name a line), or the built-in list when it is absent or does not fit. */
function cifarNames(path: string, builtIn: readonly string[], notes: string[]): string[] {
  if (!existsSync(path)) return [...builtIn];
  const names = readFileSync(path, 'utf8')
    .split(/\r?\n/)
    .map((s) => s.trim())
    .filter((s) => s);
  if (names.length === builtIn.length) return names;
  notes.push(`${path} lists ${names.length} class names, not ${builtIn.length}; using the standard names`);
  return [...builtIn];
}

function readCifarSet(src: DatasetSource, fine: boolean): RawDataset {
  const dir = src.path;
  if (!isDir(dir)) throw new DatasetNotFoundError(`${src.name} not found: ${dir} is not a folder`);
  const cifar10 = src.format === 'cifar-10';
  const trainFiles = cifar10 ? CIFAR10_TRAIN : ['train.bin'];
  const testFiles = cifar10 ? ['test_batch.bin'] : ['test.bin'];
  const missing = [...trainFiles, ...testFiles].filter((f) => !isFile(join(dir, f)));
  if (missing.length) throw new DatasetNotFoundError(`${src.name} not found: ${dir} lacks ${missing.join(', ')}`);
  const notes: string[] = [];
  let classes: string[];
  let labelIndex = 0;
  if (cifar10) classes = cifarNames(join(dir, 'batches.meta.txt'), CIFAR10_CLASSES, notes);
  else if (fine) {
    classes = cifarNames(join(dir, 'fine_label_names.txt'), CIFAR100_FINE_CLASSES, notes);
    labelIndex = 1;
  } else classes = cifarNames(join(dir, 'coarse_label_names.txt'), CIFAR100_COARSE_CLASSES, notes);
  const format = src.format as 'cifar-10' | 'cifar-100';
  const train = readCifarFiles(
    trainFiles.map((f) => join(dir, f)),
    format,
    labelIndex,
  );
  const test = readCifarFiles(
    testFiles.map((f) => join(dir, f)),
    format,
    labelIndex,
  );
  if (!cifar10) notes.push(`CIFAR-100 with its ${fine ? '100 fine' : '20 coarse'} labels`);
  return { name: src.name, format, source: dir, kind: 'image', inputShape: [3, 32, 32], classes, train, test, notes };
}

// ---------------------------------------------------------------------------
// CSV
// ---------------------------------------------------------------------------

/** Splits one CSV line into fields (RFC 4180 quoting within a line: "a,b" and "" for a quote). */
function splitCsvLine(line: string, delim: string, where: string): string[] {
  const out: string[] = [];
  let i = 0;
  for (;;) {
    if (line[i] === '"') {
      let field = '';
      i++;
      for (;;) {
        if (i >= line.length) throw new DataError(`${where}: unterminated quoted field`);
        if (line[i] === '"') {
          if (line[i + 1] === '"') {
            field += '"';
            i += 2;
          } else {
            i++;
            break;
          }
        } else field += line[i++];
      }
      const next = line.indexOf(delim, i);
      const rest = (next < 0 ? line.slice(i) : line.slice(i, next)).trim();
      if (rest) throw new DataError(`${where}: text after a closing quote`);
      out.push(field);
      if (next < 0) return out;
      i = next + 1;
    } else {
      const next = line.indexOf(delim, i);
      if (next < 0) {
        out.push(line.slice(i));
        return out;
      }
      out.push(line.slice(i, next));
      i = next + 1;
    }
  }
}

const NUMBER = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;

/** A CSV (or TSV) file's lines, the index of its header line and the header's fields. */
function readCsvLines(path: string): { lines: string[]; h: number; header: string[]; delim: string } {
  let bytes = readBytes(path);
  if (isGzip(bytes)) {
    try {
      bytes = gunzipSync(bytes);
    } catch (e) {
      throw new DataError(`${path}: damaged gzip stream (${(e as Error).message})`);
    }
  }
  const text = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('utf8').replace(/^\uFEFF/, '');
  const delim = /\.tsv(\.gz)?$/i.test(path) ? '\t' : ',';
  const lines = text.split(/\r?\n/);
  let h = 0;
  while (h < lines.length && lines[h].trim() === '') h++;
  if (h === lines.length) throw new DataError(`${path}: empty file; expected a header line naming the columns, then one row per example`);
  const header = splitCsvLine(lines[h], delim, `${path}: line ${h + 1}`).map((s) => s.trim());
  if (header.every((c) => NUMBER.test(c))) {
    throw new DataError(`${path}: line ${h + 1} is all numbers; the first line must be a header naming the columns (features and 'label')`);
  }
  return { lines, h, header, delim };
}

/** The data rows of {@link readCsvLines}' result, blank lines skipped: each row's fields (as many as the header's) and where it is, for messages. */
function* csvRows({ lines, h, header, delim }: ReturnType<typeof readCsvLines>, path: string): Generator<{ fields: string[]; where: string }> {
  for (let ln = h + 1; ln < lines.length; ln++) {
    if (lines[ln].trim() === '') continue;
    const where = `${path}: line ${ln + 1}`;
    const fields = splitCsvLine(lines[ln], delim, where);
    if (fields.length !== header.length) throw new DataError(`${where} has ${fields.length} field(s), the header has ${header.length}`);
    yield { fields, where };
  }
}

/** The label column's index in `header`: `labelColumn`, or without one `label` in any case; -1 when there is none. */
function labelIndex(header: readonly string[], labelColumn: string | undefined): number {
  const li = header.indexOf(labelColumn ?? 'label');
  return li < 0 && labelColumn === undefined ? header.findIndex((c) => c.toLowerCase() === 'label') : li;
}

/** A feature's value in a CSV row, checked: a number within float32's range. */
function csvNumber(v: string, where: string, column: string): number {
  if (!NUMBER.test(v)) throw new DataError(`${where}, column '${column}': ${v === '' ? 'empty value' : `'${v}' is not a number`}; every feature must be numeric`);
  const x = Number(v);
  if (!Number.isFinite(Math.fround(x))) throw new DataError(`${where}, column '${column}': '${v}' is beyond the float32 range`);
  return x;
}

/** A CSV label's class: numeric labels are one class per number ('1' and '1.0' alike). */
const classKey = (label: string, numeric: boolean): string => (numeric ? String(Number(label)) : label);

/**
 * The rows of a CSV file as inputs for a model trained on a table: the columns named `features`
 * (all must be there; others, such as an id, are left out), in that order, `[n * features.length]`;
 * and, where the file has a label column (`labelColumn`, default `label` matched ignoring case),
 * each row's index in `classes` (the classes the model was trained on, as `loadDataset` named
 * them), else null. For `loom predict` on new rows.
 * @throws DataError when a feature column is missing, a value is not a number, or a label is not one of `classes`.
 */
export function readCsvFeatures(path: string, features: readonly string[], classes: readonly string[], labelColumn?: string): { x: Float32Array; n: number; labels: number[] | null } {
  const csv = readCsvLines(path);
  const { header } = csv;
  const cols = features.map((f) => header.indexOf(f));
  const missing = features.filter((_, i) => cols[i] < 0);
  if (missing.length) {
    throw new DataError(`${path}: no column${missing.length > 1 ? 's' : ''} ${missing.slice(0, 8).map((c) => `'${c}'`).join(', ')}${missing.length > 8 ? ', ...' : ''} in the header; the model reads ${features.length} feature column(s): ${features.slice(0, 8).join(', ')}${features.length > 8 ? ', ...' : ''}`);
  }
  const li = labelIndex(header, labelColumn);
  if (li < 0 && labelColumn !== undefined) throw new DataError(`${path}: no label column '${labelColumn}' in the header`);
  const x: number[] = [];
  const labels: string[] = [];
  for (const { fields, where } of csvRows(csv, path)) {
    for (let k = 0; k < cols.length; k++) x.push(csvNumber(fields[cols[k]].trim(), where, features[k]));
    if (li >= 0) labels.push(fields[li].trim());
  }
  const n = x.length / Math.max(1, features.length);
  if (n === 0) throw new DataError(`${path}: a header but no data rows`);
  if (li < 0) return { x: Float32Array.from(x), n, labels: null };
  // Labels read as training read them: numeric classes are numbers.
  const numeric = classes.every((c) => NUMBER.test(c));
  const index = new Map(classes.map((c, i) => [c, i]));
  const known = labels.map((l, i) => {
    const k = index.get(numeric && NUMBER.test(l) ? classKey(l, true) : l);
    if (k === undefined) throw new DataError(`${path}: row ${i + 1}'s label '${l}' is not one of the model's classes (${classes.slice(0, 10).join(', ')}${classes.length > 10 ? ', ...' : ''})`);
    return k;
  });
  return { x: Float32Array.from(x), n, labels: known };
}

function readCsvSet(src: DatasetSource, opts: DatasetOptions): RawDataset {
  const path = src.path;
  const csv = readCsvLines(path);
  const { lines, h, header } = csv;
  const wanted = opts.labelColumn ?? 'label';
  const li = labelIndex(header, opts.labelColumn);
  if (li < 0) {
    const cols = header.slice(0, 12).map((c) => `'${c}'`).join(', ') + (header.length > 12 ? ', ...' : '');
    throw new DataError(
      `${path}: no label column '${wanted}' in the header (columns: ${cols})${opts.labelColumn === undefined ? '; name the label column: --label-column NAME on the command line, the labelColumn option in the library' : ''}`,
    );
  }
  if (header.indexOf(header[li], li + 1) >= 0) throw new DataError(`${path}: the header names the label column '${header[li]}' twice`);
  const features = header.filter((_, i) => i !== li);
  if (!features.length) throw new DataError(`${path}: no feature columns besides the label column '${header[li]}'`);
  const nf = features.length;
  // At most one row a line after the header; filled up to `filled`.
  const values = new Float32Array((lines.length - h - 1) * nf);
  let filled = 0;
  const labels: string[] = [];
  for (const { fields, where } of csvRows(csv, path)) {
    for (let c = 0; c < fields.length; c++) {
      const v = fields[c].trim();
      if (c === li) {
        if (v === '') throw new DataError(`${where}: empty label`);
        labels.push(v);
        continue;
      }
      values[filled++] = csvNumber(v, where, header[c]);
    }
  }
  const n = labels.length;
  if (n === 0) throw new DataError(`${path}: a header but no data rows`);
  // Numeric labels are one class per number ('1' and '1.0' alike), in numeric order.
  const numeric = labels.every((l) => NUMBER.test(l));
  const keys = labels.map((l) => classKey(l, numeric));
  const distinct = [...new Set(keys)];
  distinct.sort(numeric ? (a, b) => Number(a) - Number(b) : undefined);
  if (distinct.length < 2) throw new DataError(`${path}: every row has label '${distinct[0]}'; a classifier needs at least two classes`);
  const index = new Map(distinct.map((l, i) => [l, i]));
  const x = values.subarray(0, filled);
  const y = Int32Array.from(keys, (l) => index.get(l)!);
  const notes: string[] = [];
  if (n >= 20 && distinct.length > n / 2) {
    notes.push(`${distinct.length} distinct labels in ${n} rows: check that '${header[li]}' holds classes, not a continuous target`);
  }

  const fraction = opts.testFraction ?? 0.2;
  if (!(fraction > 0 && fraction < 1)) throw new DataError(`${path}: testFraction must be in (0, 1), got ${fraction}`);
  const nTest = Math.round(n * fraction);
  if (nTest < 1 || nTest >= n) throw new DataError(`${path}: ${n} row(s) are too few to carve a test set of ${fraction} of them`);
  const seed = opts.seed ?? 0;
  // A stream of its own, so that the validation split (seeded alike) is not the same draw.
  const perm = new Rng(seed).fork(0x7e57).permutation(n);
  const testIdx = perm.slice(0, nTest).sort();
  const trainIdx = perm.slice(nTest).sort();
  const all: RawSplit = { x, y, n };
  return {
    name: src.name,
    format: 'csv',
    source: path,
    kind: 'tabular',
    inputShape: [nf],
    classes: distinct,
    features,
    train: gather(all, trainIdx, nf),
    test: gather(all, testIdx, nf),
    testSplit: { carvedFrom: 'file', size: nTest, fraction, seed },
    notes: [
      `test set carved from ${basename(path)}: ${nTest} of ${n} rows (${fraction} of them, seed ${seed}); a CSV file has no test split of its own`,
      ...notes,
    ],
  };
}

// ---------------------------------------------------------------------------
// From raw data to tensors
// ---------------------------------------------------------------------------

function gather(s: RawSplit, idx: Uint32Array, size: number): RawSplit {
  const x = s.x instanceof Uint8Array ? new Uint8Array(idx.length * size) : new Float32Array(idx.length * size);
  const y = new Int32Array(idx.length);
  for (let k = 0; k < idx.length; k++) {
    const i = idx[k];
    x.set(s.x.subarray(i * size, (i + 1) * size), k * size);
    y[k] = s.y[i];
  }
  return { x, y, n: idx.length };
}

function head(s: RawSplit, limit: number | undefined, size: number): RawSplit {
  if (limit === undefined || limit >= s.n) return s;
  return { x: s.x.subarray(0, limit * size), y: s.y.subarray(0, limit), n: limit };
}

/** Mean and (population) std of each channel of records `[C, P]`; exact for bytes, in the records' units (bytes scaled by 1/255). */
function channelStats(s: RawSplit, channels: number, size: number): { mean: number[]; std: number[] } {
  const per = size / channels;
  const mean: number[] = [];
  const std: number[] = [];
  if (s.x instanceof Uint8Array) {
    // Counts per channel (under 2^32: a training set of bytes is under 4 GB).
    const hist = new Uint32Array(channels * 256);
    const x = s.x;
    for (let c = 0; c < channels; c++) {
      const h = hist.subarray(c * 256, (c + 1) * 256);
      for (let off = c * per; off < s.n * size; off += size) {
        const end = off + per;
        for (let p = off; p < end; p++) h[x[p]]++;
      }
    }
    for (let c = 0; c < channels; c++) {
      let sum = 0;
      let sq = 0;
      let cnt = 0;
      for (let v = 0; v < 256; v++) {
        const k = hist[c * 256 + v];
        cnt += k;
        sum += k * v;
        sq += k * v * v;
      }
      const m = sum / cnt;
      mean.push(m / 255);
      std.push(Math.sqrt(Math.max(0, sq / cnt - m * m)) / 255);
    }
  } else {
    const x = s.x;
    for (let c = 0; c < channels; c++) {
      let sum = 0;
      for (let r = 0; r < s.n; r++) for (let p = 0; p < per; p++) sum += x[r * size + c * per + p];
      const m = sum / (s.n * per);
      let sq = 0;
      for (let r = 0; r < s.n; r++) {
        for (let p = 0; p < per; p++) {
          const d = x[r * size + c * per + p] - m;
          sq += d * d;
        }
      }
      mean.push(m);
      std.push(Math.sqrt(sq / (s.n * per)));
    }
  }
  return { mean, std };
}

function toTensors(
  s: RawSplit,
  inputShape: number[],
  norm: { mean: number[]; std: number[] } | null,
  device: Device,
): LabelledImages {
  return tidy(() => {
    const bytes = s.x instanceof Uint8Array;
    const x = tensor(s.x, { shape: [s.n, ...inputShape] }).to({ dtype: 'float32', device, copy: true });
    const scale = bytes ? 1 / 255 : 1;
    if (norm && s.n > 0) {
      // (x * scale - mean) / std per channel, in two in-place passes: x * (scale / std) - mean / std.
      const view = [1, inputShape[0], ...inputShape.slice(1).map(() => 1)];
      const mul = tensor(Float32Array.from(norm.std, (sd) => scale / sd), { shape: view, device });
      const add = tensor(Float32Array.from(norm.mean, (m, c) => -m / norm.std[c]), { shape: view, device });
      x.mul_(mul).add_(add);
    } else if (bytes) x.mul_(scale);
    const y = tensor(s.y, { shape: [s.n] }).to({ dtype: 'int64', device });
    return { images: x, labels: y };
  });
}

function checkCount(v: number | undefined, what: string): void {
  if (v !== undefined && (!Number.isInteger(v) || v <= 0)) throw new DataError(`${what} must be a positive integer, got ${v}`);
}

/** Reads and checks a data set's files and `opts` (everything {@link loadDataset} refuses) and splits it, in memory, before any tensor. */
function readParts(spec: string, opts: DatasetOptions): { raw: RawDataset; src: DatasetSource; train: RawSplit; test: RawSplit; val?: RawSplit } {
  checkCount(opts.trainLimit, 'trainLimit');
  checkCount(opts.testLimit, 'testLimit');
  checkCount(opts.numClasses, 'numClasses');
  if (opts.seed !== undefined && (!Number.isSafeInteger(opts.seed) || opts.seed < 0)) {
    throw new DataError(`seed must be a non-negative integer, got ${opts.seed}`);
  }
  if (opts.valSize !== undefined && opts.valFraction !== undefined) throw new DataError('give valSize or valFraction, not both');
  if (opts.cifar100Labels !== undefined && opts.cifar100Labels !== 'fine' && opts.cifar100Labels !== 'coarse') {
    throw new DataError(`cifar100Labels must be 'fine' or 'coarse', got '${opts.cifar100Labels}'`);
  }
  const src = resolveDataset(spec, opts);
  let raw: RawDataset;
  if (src.format === 'idx') raw = readIdxSet(src, opts.numClasses);
  else if (src.format === 'csv') raw = readCsvSet(src, opts);
  else raw = readCifarSet(src, opts.cifar100Labels !== 'coarse');

  const size = raw.inputShape.reduce((a, b) => a * b, 1);
  const train = head(raw.train, opts.trainLimit, size);
  const test = head(raw.test, opts.testLimit, size);
  // valSize 0 holds nothing out, as no valSize does.
  if (!opts.valSize && opts.valFraction === undefined) return { raw, src, train, test };
  let parts: { trainIdx: Uint32Array; valIdx: Uint32Array };
  try {
    parts = splitIndices(train.n, { valSize: opts.valSize, valFraction: opts.valFraction, seed: opts.seed ?? 0 });
  } catch (e) {
    throw new DataError(`${raw.source}: ${(e as Error).message.replace(/^trainValSplit: /, '')} (training examples)`);
  }
  return { raw, src, train: gather(train, parts.trainIdx, size), test, val: gather(train, parts.valIdx, size) };
}

/**
 * Checks that {@link loadDataset} would load `spec` with `opts` (the files, their sizes and labels,
 * and the options against the data, such as a validation part larger than the training set),
 * without making tensors, and says what it holds. Throws what `loadDataset` throws.
 */
export function checkDataset(spec: string, opts: DatasetOptions = {}): { kind: 'image' | 'tabular'; inputShape: number[]; classes: number; train: number; val: number; test: number } {
  const { raw, train, test, val } = readParts(spec, opts);
  return { kind: raw.kind, inputShape: raw.inputShape, classes: raw.classes.length, train: train.n, val: val?.n ?? 0, test: test.n };
}

/**
 * Loads a data set for classification: a built-in name, or a path to a folder of IDX files, CIFAR-10
 * or CIFAR-100 binary files, or a CSV file (see the module's doc and {@link resolveDataset}).
 *
 * Inputs become float32 (images scaled to [0, 1]) and, by default, normalised per channel with the
 * mean and std of the training part (after `trainLimit` and without the validation part); labels
 * become int64 class indices. With `valSize` or `valFraction`, a seeded validation part is carved
 * from the training set ({@link splitIndices}, the split of `trainValSplit`). The test set is
 * returned apart: the data set's own, or for CSV a seeded `testFraction` of the rows, which
 * `testSplit` and `notes` then record.
 *
 * The caller owns the tensors: `dispose(data)` frees them all.
 * @throws DatasetNotFoundError when the name, path or files are missing.
 * @throws DataError when a file is malformed (truncated, wrong shape, labels out of range, ragged or non-numeric CSV, a single class) or an option does not fit the data.
 */
export function loadDataset(spec: string, opts: DatasetOptions = {}): Dataset {
  const { raw, src, train, test, val } = readParts(spec, opts);
  const size = raw.inputShape.reduce((a, b) => a * b, 1);
  const channels = raw.inputShape[0];
  const stats = channelStats(train, channels, size);
  const notes = [...raw.notes];
  const std = stats.std.map((s, c) => {
    if (s > 0) return s;
    const what = raw.features ? `feature '${raw.features[c]}'` : `channel ${c}`;
    notes.push(`${what} is constant in the training part; it is centred but not scaled`);
    return 1;
  });
  const normalized = opts.normalize !== false;
  const norm = normalized ? { mean: stats.mean, std } : null;
  const device = opts.device ?? 'cpu';
  const out: Dataset = {
    name: raw.name,
    format: raw.format,
    source: raw.source,
    kind: raw.kind,
    ...(src.flips === false ? { flips: false } : {}),
    train: toTensors(train, raw.inputShape, norm, device),
    numClasses: raw.classes.length,
    classes: raw.classes,
    inputShape: raw.inputShape,
    mean: stats.mean,
    std,
    normalized,
    notes,
  };
  if (val) out.val = toTensors(val, raw.inputShape, norm, device);
  if (opts.includeTest !== false) out.test = toTensors(test, raw.inputShape, norm, device);
  if (raw.features) out.features = raw.features;
  if (raw.testSplit) out.testSplit = raw.testSplit;
  return out;
}
