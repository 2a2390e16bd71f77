import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { gzipSync } from 'node:zlib';
import {
  CIFAR10_CLASSES,
  CIFAR100_COARSE_CLASSES,
  CIFAR100_FINE_CLASSES,
  checkDataset,
  loadDataset,
  resolveDataset,
} from '../../src/data/datasets.js';
import { DataError, DatasetNotFoundError } from '../../src/data/errors.js';
import { FASHION_MNIST_CLASSES } from '../../src/data/fashion-mnist.js';
import { encodeIdx } from '../../src/data/idx.js';
import { trainValSplit } from '../../src/data/loader.js';
import { type Tensor, dispose, memory } from '../../src/engine/index.js';

const root = mkdtempSync(join(tmpdir(), 'loom-datasets-'));
after(() => rmSync(root, { recursive: true, force: true }));
let dirs = 0;
const fresh = (): string => {
  const d = join(root, `d${dirs++}`);
  mkdirSync(d);
  return d;
};

/** Per-channel mean and std of a tensor `[N, C, ...]`, computed in JS. */
function channelMoments(t: Tensor): { mean: number[]; std: number[] } {
  const [n, c] = t.shape;
  const per = t.shape.slice(2).reduce((a, b) => a * b, 1);
  const v = t.dataSync();
  const mean: number[] = [];
  const std: number[] = [];
  for (let ch = 0; ch < c; ch++) {
    let s = 0;
    let sq = 0;
    for (let i = 0; i < n; i++) {
      for (let p = 0; p < per; p++) {
        const x = v[(i * c + ch) * per + p];
        s += x;
        sq += x * x;
      }
    }
    const m = s / (n * per);
    mean.push(m);
    std.push(Math.sqrt(Math.max(0, sq / (n * per) - m * m)));
  }
  return { mean, std };
}

const close = (a: number, b: number, tol: number, what: string) => assert.ok(Math.abs(a - b) <= tol, `${what}: ${a} vs ${b}`);
const labelsOf = (t: Tensor): number[] => Array.from(t.dataSync() as ArrayLike<number | bigint>, Number);

/** Throws `kind` with a one-line message matching every pattern. */
function rejects(fn: () => unknown, kind: typeof DataError | typeof DatasetNotFoundError, ...patterns: RegExp[]): void {
  const base = memory().liveTensors;
  let caught: unknown;
  try {
    dispose(fn());
  } catch (e) {
    caught = e;
  }
  assert.ok(caught instanceof kind, `expected ${kind.name}, got ${caught instanceof Error ? `${caught.name}: ${caught.message}` : caught}`);
  const msg = (caught as Error).message;
  assert.ok(!msg.includes('\n'), `one line: ${msg}`);
  for (const p of patterns) assert.match(msg, p);
  assert.equal(memory().liveTensors, base, 'no tensors left behind');
}

// ---------------------------------------------------------------------------
// builders
// ---------------------------------------------------------------------------

/** An MNIST-style folder: images[i] all pixels (i * 37 + p) % 256, labels i % classes. */
function writeIdx(dir: string, o: { nTrain: number; nTest: number; h: number; w: number; classes: number; gzip?: boolean }): {
  train: { x: Uint8Array; y: Uint8Array };
  test: { x: Uint8Array; y: Uint8Array };
} {
  const make = (n: number, salt: number) => {
    const x = new Uint8Array(n * o.h * o.w);
    for (let i = 0; i < x.length; i++) x[i] = (i * 37 + salt) % 256;
    const y = Uint8Array.from({ length: n }, (_, i) => (i + salt) % o.classes);
    return { x, y };
  };
  const train = make(o.nTrain, 0);
  const test = make(o.nTest, 1);
  const ext = o.gzip ? '.gz' : '';
  writeFileSync(join(dir, `train-images-idx3-ubyte${ext}`), encodeIdx([o.nTrain, o.h, o.w], train.x, { gzip: o.gzip }));
  writeFileSync(join(dir, `train-labels-idx1-ubyte${ext}`), encodeIdx([o.nTrain], train.y, { gzip: o.gzip }));
  // The test files always plain: a folder may mix both.
  writeFileSync(join(dir, 't10k-images-idx3-ubyte'), encodeIdx([o.nTest, o.h, o.w], test.x));
  writeFileSync(join(dir, 't10k-labels-idx1-ubyte'), encodeIdx([o.nTest], test.y));
  return { train, test };
}

/**
 * CIFAR records: label (i % classes, or coarse i % 20 and fine i % 100), then R plane all 0 or
 * 255 (alternating images), G plane constant 51, B plane pixel p = (i + p) % 256.
 */
function cifarRecords(n: number, labelBytes: 1 | 2, start: number, classes = 10): Uint8Array {
  const rec = labelBytes + 3072;
  const out = new Uint8Array(n * rec);
  for (let k = 0; k < n; k++) {
    const i = start + k;
    const o = k * rec;
    if (labelBytes === 1) out[o] = i % classes;
    else {
      out[o] = i % 20;
      out[o + 1] = i % 100;
    }
    out.fill(i % 2 ? 255 : 0, o + labelBytes, o + labelBytes + 1024);
    out.fill(51, o + labelBytes + 1024, o + labelBytes + 2048);
    for (let p = 0; p < 1024; p++) out[o + labelBytes + 2048 + p] = (i + p) % 256;
  }
  return out;
}

function writeCifar10(dir: string, perBatch = 4, nTest = 3): void {
  for (let b = 1; b <= 5; b++) writeFileSync(join(dir, `data_batch_${b}.bin`), cifarRecords(perBatch, 1, (b - 1) * perBatch));
  writeFileSync(join(dir, 'test_batch.bin'), cifarRecords(nTest, 1, 1000));
}

function writeCsv(path: string, text: string): string {
  writeFileSync(path, text);
  return path;
}

/** n rows: id, x = id * 2, y = -id, label cycling through three names. */
function csvText(n: number): string {
  const names = ['setosa', 'versicolor', 'virginica'];
  const rows = ['id,x,species,y'];
  for (let i = 0; i < n; i++) rows.push(`${i},${i * 2},${names[i % 3]},${-i}`);
  return `${rows.join('\n')}\n`;
}

// ---------------------------------------------------------------------------
// IDX
// ---------------------------------------------------------------------------

test('an IDX folder (gzipped and plain files) loads as [N, 1, H, W] with normalisation from the training set', () => {
  const dir = fresh();
  const raw = writeIdx(dir, { nTrain: 30, nTest: 7, h: 4, w: 5, classes: 3, gzip: true });
  const base = memory().liveTensors;
  const d = loadDataset(dir);
  assert.equal(d.format, 'idx');
  assert.equal(d.kind, 'image');
  assert.equal(d.source, dir);
  assert.deepEqual(d.inputShape, [1, 4, 5]);
  assert.deepEqual(d.train.images.shape, [30, 1, 4, 5]);
  assert.deepEqual(d.test?.images.shape, [7, 1, 4, 5]);
  assert.equal(d.train.labels.dtype, 'int64');
  assert.deepEqual(labelsOf(d.train.labels), Array.from(raw.train.y));
  assert.deepEqual(labelsOf(d.test!.labels), Array.from(raw.test.y));
  assert.equal(d.numClasses, 3);
  assert.deepEqual(d.classes, ['0', '1', '2']);
  assert.equal(d.val, undefined);
  assert.equal(d.normalized, true);
  // The statistics are those of the training bytes in [0, 1] units...
  let s = 0;
  for (const v of raw.train.x) s += v / 255;
  const m = s / raw.train.x.length;
  let sq = 0;
  for (const v of raw.train.x) sq += (v / 255 - m) ** 2;
  close(d.mean[0], m, 1e-12, 'mean');
  close(d.std[0], Math.sqrt(sq / raw.train.x.length), 1e-12, 'std');
  // ... and the training inputs come out with mean 0 and std 1.
  const got = channelMoments(d.train.images);
  close(got.mean[0], 0, 1e-5, 'normalised mean');
  close(got.std[0], 1, 1e-5, 'normalised std');
  // The test set uses the training statistics.
  const tv = d.test!.images.dataSync();
  close(tv[3], (raw.test.x[3] / 255 - d.mean[0]) / d.std[0], 1e-5, 'test pixel');
  dispose(d);
  assert.equal(memory().liveTensors, base);
});

test('normalize: false leaves pixels in [0, 1]; trainLimit/testLimit keep the first examples; includeTest: false skips the test set', () => {
  const dir = fresh();
  const raw = writeIdx(dir, { nTrain: 12, nTest: 5, h: 3, w: 3, classes: 4 });
  const d = loadDataset(dir, { normalize: false, trainLimit: 8, testLimit: 2 });
  assert.equal(d.normalized, false);
  assert.deepEqual(d.train.images.shape, [8, 1, 3, 3]);
  assert.deepEqual(d.test?.images.shape, [2, 1, 3, 3]);
  const v = d.train.images.dataSync();
  for (let i = 0; i < v.length; i++) close(v[i], raw.train.x[i] / 255, 1e-7, `pixel ${i}`);
  dispose(d);
  const noTest = loadDataset(dir, { includeTest: false });
  assert.equal(noTest.test, undefined);
  dispose(noTest);
});

test("'mnist:DIR' and 'fashion-mnist' with dir name the classes and check labels against them", () => {
  const dir = fresh();
  writeIdx(dir, { nTrain: 10, nTest: 4, h: 2, w: 2, classes: 3 });
  const m = loadDataset(`mnist:${dir}`);
  assert.equal(m.name, 'MNIST');
  assert.equal(m.flips, false, 'a mirrored digit is not a digit: augmentation must not flip MNIST');
  assert.equal(m.numClasses, 10);
  assert.deepEqual(m.classes, ['0', '1', '2', '3', '4', '5', '6', '7', '8', '9']);
  dispose(m);
  const f = loadDataset('fashion-mnist', { dir });
  assert.equal(f.name, 'Fashion-MNIST');
  assert.equal(f.flips, undefined);
  assert.deepEqual(f.classes, FASHION_MNIST_CLASSES);
  dispose(f);
  // A label beyond the ten classes.
  const bad = fresh();
  writeIdx(bad, { nTrain: 12, nTest: 4, h: 2, w: 2, classes: 12 });
  rejects(() => loadDataset('mnist', { dir: bad }), DataError, /train-labels-idx1-ubyte/, /label 10 at index 10 is out of range for 10 classes/);
  // numClasses declares the range for a plain path.
  rejects(() => loadDataset(bad, { numClasses: 11 }), DataError, /label 11 at index 11 is out of range for 11 classes/);
});

test('IDX bad input: truncated, corrupt gzip, count mismatch, test labels beyond the training labels, missing files', () => {
  const trunc = fresh();
  writeIdx(trunc, { nTrain: 10, nTest: 4, h: 3, w: 3, classes: 2 });
  const full = encodeIdx([10, 3, 3], new Uint8Array(90));
  writeFileSync(join(trunc, 'train-images-idx3-ubyte'), full.subarray(0, full.length - 7));
  rejects(() => loadDataset(trunc), DataError, /train-images-idx3-ubyte: truncated IDX data: shape \[10, 3, 3\] of uint8 needs 90 bytes, found 83/);

  const gz = fresh();
  writeIdx(gz, { nTrain: 10, nTest: 4, h: 3, w: 3, classes: 2, gzip: true });
  const zipped = gzipSync(encodeIdx([10], new Uint8Array(10)));
  writeFileSync(join(gz, 'train-labels-idx1-ubyte.gz'), zipped.subarray(0, zipped.length - 6));
  rejects(() => loadDataset(gz), DataError, /train-labels-idx1-ubyte\.gz: damaged gzip stream/);

  const count = fresh();
  writeIdx(count, { nTrain: 10, nTest: 4, h: 3, w: 3, classes: 2 });
  writeFileSync(join(count, 't10k-labels-idx1-ubyte'), encodeIdx([5], new Uint8Array(5)));
  rejects(() => loadDataset(count), DataError, /t10k-labels-idx1-ubyte: 5 labels for 4 images/);

  const range = fresh();
  writeIdx(range, { nTrain: 10, nTest: 4, h: 3, w: 3, classes: 2 });
  writeFileSync(join(range, 't10k-labels-idx1-ubyte'), encodeIdx([4], Uint8Array.from([0, 1, 7, 0])));
  rejects(() => loadDataset(range), DataError, /t10k-labels-idx1-ubyte: label 7 at index 2 is out of range: the training labels go from 0 to 1/);

  const missing = fresh();
  writeIdx(missing, { nTrain: 10, nTest: 4, h: 3, w: 3, classes: 2 });
  rmSync(join(missing, 't10k-images-idx3-ubyte'));
  rejects(() => loadDataset(missing), DatasetNotFoundError, /lacks t10k-images-idx3-ubyte\[\.gz\]/);
  rejects(() => loadDataset('fashion-mnist', { dir: join(missing, 'nope') }), DatasetNotFoundError, /Fashion-MNIST not found: .*nope is not a folder/, /apt-get install dataset-fashion-mnist/);

  // checkDataset (what a search runs before any trial) refuses the same, and makes no tensors.
  const cases: [string, RegExp][] = [[trunc, /truncated IDX data/], [gz, /damaged gzip stream/], [count, /5 labels for 4 images/], [range, /label 7 at index 2 is out of range/]];
  for (const [dir, why] of cases) rejects(() => checkDataset(dir), DataError, why);
  rejects(() => checkDataset(missing), DatasetNotFoundError, /lacks t10k-images-idx3-ubyte/);
  const good = fresh();
  writeIdx(good, { nTrain: 10, nTest: 4, h: 3, w: 3, classes: 2 });
  const base = memory().liveTensors;
  assert.deepEqual(checkDataset(good, { valSize: 3 }), { kind: 'image', inputShape: [1, 3, 3], classes: 2, train: 7, val: 3, test: 4 });
  assert.deepEqual(checkDataset(good, { trainLimit: 6 }), { kind: 'image', inputShape: [1, 3, 3], classes: 2, train: 6, val: 0, test: 4 });
  assert.equal(memory().liveTensors, base, 'no tensors made');
  rejects(() => checkDataset(good, { valSize: 10 }), DataError, /valSize must be an integer in \[1, 9\] for 10 examples, got 10 \(training examples\)/);
  rejects(() => checkDataset(good, { trainLimit: 6, valFraction: 0.05 }), DataError, /leaves an empty part/);
});

// ---------------------------------------------------------------------------
// CIFAR
// ---------------------------------------------------------------------------

test('CIFAR-10 binary batches load as [N, 3, 32, 32] in channel-plane order, with per-channel statistics', () => {
  const dir = fresh();
  writeCifar10(dir);
  const base = memory().liveTensors;
  const d = loadDataset(dir, { normalize: false });
  assert.equal(d.format, 'cifar-10');
  assert.equal(d.name, 'CIFAR-10');
  assert.deepEqual(d.inputShape, [3, 32, 32]);
  assert.deepEqual(d.train.images.shape, [20, 3, 32, 32]);
  assert.deepEqual(d.test?.images.shape, [3, 3, 32, 32]);
  assert.deepEqual(d.classes, CIFAR10_CLASSES);
  assert.deepEqual(
    labelsOf(d.train.labels),
    Array.from({ length: 20 }, (_, i) => i % 10),
  );
  assert.deepEqual(labelsOf(d.test!.labels), [0, 1, 2]);
  // Image 3 of the training set: R all 255, G 51, B (3 + p) % 256 at p = y * 32 + x.
  const img = d.train.images.select(0, 3);
  const v = img.dataSync();
  img.dispose();
  close(v[0], 1, 1e-7, 'R');
  close(v[1024 + 5], 0.2, 1e-7, 'G');
  close(v[2048 + 2 * 32 + 7], (3 + 71) / 255, 1e-7, 'B at y=2, x=7');
  // R: half the images 0, half 1 -> mean 0.5, std 0.5. G: constant -> std reported as 1, noted.
  close(d.mean[0], 0.5, 1e-12, 'R mean');
  close(d.std[0], 0.5, 1e-12, 'R std');
  close(d.mean[1], 0.2, 1e-12, 'G mean');
  assert.equal(d.std[1], 1);
  assert.ok(d.notes.some((n) => /channel 1 is constant/.test(n)), d.notes.join('; '));
  const bm = channelMoments(d.train.images);
  close(d.mean[2], bm.mean[2], 1e-6, 'B mean');
  close(d.std[2], bm.std[2], 1e-6, 'B std');
  dispose(d);
  // Normalised: every non-constant channel has mean 0 and std 1 on the training set.
  const n = loadDataset(dir);
  const nm = channelMoments(n.train.images);
  for (const c of [0, 2]) {
    close(nm.mean[c], 0, 1e-5, `channel ${c} mean`);
    close(nm.std[c], 1, 1e-5, `channel ${c} std`);
  }
  close(nm.std[1], 0, 1e-6, 'constant channel stays constant');
  dispose(n);
  assert.equal(memory().liveTensors, base);
});

test('CIFAR-10 is found in a cifar-10-batches-bin subfolder and by name; batches.meta.txt names the classes', () => {
  const top = fresh();
  const dir = join(top, 'cifar-10-batches-bin');
  mkdirSync(dir);
  writeCifar10(dir, 2, 2);
  const names = CIFAR10_CLASSES.map((c) => c.toUpperCase());
  writeFileSync(join(dir, 'batches.meta.txt'), `${names.join('\n')}\n\n`);
  assert.equal(resolveDataset(top).path, dir);
  const d = loadDataset(top);
  assert.deepEqual(d.classes, names);
  assert.equal(d.source, dir);
  dispose(d);
  const named = loadDataset(`cifar-10:${top}`, { includeTest: false });
  assert.deepEqual(named.train.images.shape, [10, 3, 32, 32]);
  dispose(named);
});

test('CIFAR-100 binary: fine labels by default, coarse on request', () => {
  const dir = fresh();
  writeFileSync(join(dir, 'train.bin'), cifarRecords(25, 2, 90));
  writeFileSync(join(dir, 'test.bin'), cifarRecords(4, 2, 0));
  const fine = loadDataset(dir);
  assert.equal(fine.format, 'cifar-100');
  assert.equal(fine.numClasses, 100);
  assert.deepEqual(fine.classes, CIFAR100_FINE_CLASSES);
  assert.deepEqual(
    labelsOf(fine.train.labels),
    Array.from({ length: 25 }, (_, k) => (90 + k) % 100),
  );
  dispose(fine);
  const coarse = loadDataset(dir, { cifar100Labels: 'coarse' });
  assert.equal(coarse.numClasses, 20);
  assert.deepEqual(coarse.classes, CIFAR100_COARSE_CLASSES);
  assert.deepEqual(
    labelsOf(coarse.train.labels),
    Array.from({ length: 25 }, (_, k) => (90 + k) % 20),
  );
  dispose(coarse);
});

test('CIFAR bad input: truncated batch, missing batch, label out of range', () => {
  const trunc = fresh();
  writeCifar10(trunc, 2, 2);
  writeFileSync(join(trunc, 'data_batch_3.bin'), cifarRecords(2, 1, 0).subarray(0, 2 * 3073 - 100));
  rejects(
    () => loadDataset(trunc),
    DataError,
    /data_batch_3\.bin: truncated CIFAR-10 file: 6046 bytes is not a whole number of 3073-byte records \(1 label byte \+ 3072 pixel bytes\); 2973 byte\(s\) left over/,
  );
  const missing = fresh();
  writeCifar10(missing, 2, 2);
  rmSync(join(missing, 'data_batch_4.bin'));
  rejects(() => loadDataset(missing), DatasetNotFoundError, /CIFAR-10 not found: .* lacks data_batch_4\.bin/);
  const label = fresh();
  writeCifar10(label, 2, 2);
  const recs = cifarRecords(2, 1, 0);
  recs[3073] = 10;
  writeFileSync(join(label, 'test_batch.bin'), recs);
  rejects(() => loadDataset(label), DataError, /test_batch\.bin: label 10 of record 1 is out of range for 10 classes/);
  const c100 = fresh();
  writeFileSync(join(c100, 'train.bin'), cifarRecords(3, 2, 0));
  const bad = cifarRecords(2, 2, 0);
  bad[1] = 100;
  writeFileSync(join(c100, 'test.bin'), bad);
  rejects(() => loadDataset(c100), DataError, /test\.bin: fine label 100 of record 0 is out of range for 100 classes/);
  writeFileSync(join(c100, 'test.bin'), cifarRecords(2, 2, 0).subarray(0, 3074 + 1));
  rejects(() => loadDataset(c100), DataError, /test\.bin: truncated CIFAR-100 file: .*3074-byte records \(2 label bytes/);
});

// ---------------------------------------------------------------------------
// CSV
// ---------------------------------------------------------------------------

test('a CSV file loads as [N, F] with a seeded test split carved from it, said so in the result', () => {
  const path = writeCsv(join(fresh(), 'plants.csv'), csvText(50));
  const d = loadDataset(path, { labelColumn: 'species', normalize: false });
  assert.equal(d.format, 'csv');
  assert.equal(d.kind, 'tabular');
  assert.equal(d.name, 'plants');
  assert.deepEqual(d.features, ['id', 'x', 'y']);
  assert.deepEqual(d.inputShape, [3]);
  assert.deepEqual(d.classes, ['setosa', 'versicolor', 'virginica']);
  assert.deepEqual(d.testSplit, { carvedFrom: 'file', size: 10, fraction: 0.2, seed: 0 });
  assert.ok(d.notes.some((n) => /test set carved from plants\.csv: 10 of 50 rows/.test(n)), d.notes.join('; '));
  assert.deepEqual(d.train.images.shape, [40, 3]);
  assert.deepEqual(d.test?.images.shape, [10, 3]);
  // Every row lands in exactly one part, features and label kept together.
  const idsOf = (part: { images: Tensor; labels: Tensor }): number[] => {
    const x = part.images.dataSync();
    const y = labelsOf(part.labels);
    return y.map((label, r) => {
      const id = x[3 * r];
      assert.equal(x[3 * r + 1], 2 * id);
      assert.equal(x[3 * r + 2] + id, 0);
      assert.equal(label, id % 3);
      return id;
    });
  };
  const trainIds = idsOf(d.train);
  const testIds = idsOf(d.test!);
  assert.deepEqual(
    [...trainIds, ...testIds].sort((a, b) => a - b),
    Array.from({ length: 50 }, (_, i) => i),
  );
  // Statistics come from the training rows only.
  const mean = trainIds.reduce((a, b) => a + b, 0) / trainIds.length;
  close(d.mean[0], mean, 1e-9, 'id mean');
  close(d.mean[1], 2 * mean, 1e-9, 'x mean');
  close(d.mean[2], -mean, 1e-9, 'y mean');
  // Same seed, same split; another seed, another split.
  const same = loadDataset(path, { labelColumn: 'species', normalize: false });
  const other = loadDataset(path, { labelColumn: 'species', normalize: false, seed: 1 });
  assert.deepEqual(idsOf(same.test!), testIds);
  assert.notDeepEqual(idsOf(other.test!), testIds);
  // Normalised training features have mean 0 and std 1 per feature.
  const normed = loadDataset(path, { labelColumn: 'species' });
  const nm = channelMoments(normed.train.images);
  for (let f = 0; f < 3; f++) {
    close(nm.mean[f], 0, 1e-5, `feature ${f} mean`);
    close(nm.std[f], 1, 1e-5, `feature ${f} std`);
  }
  dispose([d, same, other, normed]);
});

test('CSV: quoted fields, a label column named label (any case), numeric labels sorted as numbers, testFraction, TSV', () => {
  const dir = fresh();
  const path = writeCsv(
    join(dir, 'q.csv'),
    '"a, first",b,Label\r\n"1.5",2,10\r\n3,"4e0",9\r\n\r\n-5,.5,10.0\r\n6,7,2\r\n8,9,9\r\n',
  );
  const d = loadDataset(path, { testFraction: 0.4, normalize: false });
  assert.deepEqual(d.features, ['a, first', 'b']);
  assert.deepEqual(d.classes, ['2', '9', '10']);
  assert.equal(d.testSplit?.size, 2);
  assert.equal(d.train.labels.shape[0] + d.test!.labels.shape[0], 5);
  const rows = new Map<number, [number, number]>();
  for (const part of [d.train, d.test!]) {
    const x = part.images.dataSync();
    for (const [r, y] of labelsOf(part.labels).entries()) rows.set(x[2 * r], [x[2 * r + 1], y]);
  }
  assert.deepEqual(rows.get(1.5), [2, 2]);
  assert.deepEqual(rows.get(-5), [0.5, 2]);
  assert.deepEqual(rows.get(6), [7, 0]);
  dispose(d);
  const tsv = writeCsv(join(dir, 't.tsv'), 'f1\tf2\tlabel\n1\t2\ta\n3\t4\tb\n5\t6\ta\n7\t8\tb\n9\t10\ta\n');
  const t = loadDataset(tsv);
  assert.deepEqual(t.inputShape, [2]);
  assert.deepEqual(t.classes, ['a', 'b']);
  dispose(t);
  // A label column with a value per row is probably a continuous target: said in the notes.
  const rows20 = Array.from({ length: 20 }, (_, i) => `${i},${i * 0.37}`).join('\n');
  const reg = loadDataset(writeCsv(join(dir, 'reg.csv'), `f,target\n${rows20}\n`), { labelColumn: 'target' });
  assert.equal(reg.numClasses, 20);
  assert.ok(reg.notes.some((n) => /20 distinct labels in 20 rows: check that 'target' holds classes/.test(n)), reg.notes.join('; '));
  dispose(reg);
});

test('CSV bad input: ragged rows, non-numeric or empty features, missing label column, a single class, no header, no rows', () => {
  const dir = fresh();
  const csv = (name: string, text: string) => writeCsv(join(dir, name), text);
  rejects(() => loadDataset(csv('ragged.csv', 'a,b,label\n1,2,x\n3,y\n')), DataError, /ragged\.csv: line 3 has 2 field\(s\), the header has 3/);
  rejects(
    () => loadDataset(csv('text.csv', 'a,b,label\n1,2,x\n3,four,y\n')),
    DataError,
    /text\.csv: line 3, column 'b': 'four' is not a number; every feature must be numeric/,
  );
  rejects(() => loadDataset(csv('empty-value.csv', 'a,b,label\n1,,x\n3,4,y\n')), DataError, /empty-value\.csv: line 2, column 'b': empty value/);
  rejects(
    () => loadDataset(csv('nolabel.csv', 'a,b,class\n1,2,x\n3,4,y\n')),
    DataError,
    /nolabel\.csv: no label column 'label' in the header \(columns: 'a', 'b', 'class'\); name the label column: --label-column NAME on the command line, the labelColumn option in the library/,
  );
  rejects(() => loadDataset(join(dir, 'nolabel.csv'), { labelColumn: 'kind' }), DataError, /no label column 'kind'/);
  rejects(
    () => loadDataset(csv('one.csv', 'a,label\n1,x\n2,x\n3,x\n')),
    DataError,
    /one\.csv: every row has label 'x'; a classifier needs at least two classes/,
  );
  rejects(() => loadDataset(csv('noheader.csv', '1,2,0\n3,4,1\n')), DataError, /noheader\.csv: line 1 is all numbers; the first line must be a header/);
  rejects(() => loadDataset(csv('rows.csv', 'a,label\n\n')), DataError, /rows\.csv: a header but no data rows/);
  rejects(() => loadDataset(csv('blank.csv', '')), DataError, /blank\.csv: empty file/);
  rejects(() => loadDataset(csv('few.csv', 'a,label\n1,x\n2,y\n')), DataError, /few\.csv: 2 row\(s\) are too few to carve a test set of 0\.2/);
  rejects(() => loadDataset(csv('quote.csv', 'a,label\n"1,x\n2,y\n')), DataError, /quote\.csv: line 2: unterminated quoted field/);
  rejects(() => loadDataset(csv('big.csv', 'a,label\n1e39,x\n2,y\n')), DataError, /big\.csv: line 2, column 'a': '1e39' is beyond the float32 range/);
  rejects(() => loadDataset(csv('nan.csv', 'a,label\nNaN,x\n2,y\n')), DataError, /nan\.csv: line 2, column 'a': 'NaN' is not a number/);
});

// ---------------------------------------------------------------------------
// validation split, resolution, bad paths
// ---------------------------------------------------------------------------

test('valSize / valFraction carve a seeded validation part from the training set; statistics exclude it', () => {
  const dir = fresh();
  writeIdx(dir, { nTrain: 40, nTest: 6, h: 3, w: 3, classes: 4 });
  const all = loadDataset(dir, { normalize: false });
  const split = loadDataset(dir, { normalize: false, valSize: 10, seed: 5 });
  assert.deepEqual(split.train.images.shape, [30, 1, 3, 3]);
  assert.deepEqual(split.val?.images.shape, [10, 1, 3, 3]);
  assert.deepEqual(split.test?.images.shape, [6, 1, 3, 3], 'the test set is untouched');
  // Train and val partition the training set (images identified by their first pixel, all distinct here).
  const firsts = (t: Tensor) => {
    const v = t.dataSync();
    return Array.from({ length: t.shape[0] }, (_, i) => v[i * 9]);
  };
  const a = firsts(split.train.images);
  const b = firsts(split.val!.images);
  assert.equal(new Set([...a, ...b]).size, 40);
  assert.deepEqual([...a, ...b].sort(), firsts(all.train.images).sort());
  // The mean is the training part's, not the whole training set's.
  const own = channelMoments(split.train.images);
  close(split.mean[0], own.mean[0], 1e-6, 'mean of the training part');
  assert.ok(Math.abs(split.mean[0] - all.mean[0]) > 1e-6, 'differs from the full set');
  // Deterministic: same seed, same parts; another seed, other parts.
  const same = loadDataset(dir, { normalize: false, valSize: 10, seed: 5 });
  const other = loadDataset(dir, { normalize: false, valSize: 10, seed: 6 });
  assert.deepEqual(firsts(same.val!.images), b);
  assert.notDeepEqual(firsts(other.val!.images), b);
  // The same parts as trainValSplit with the same seed (the demo's split).
  const viaTensors = trainValSplit(all.train, { valSize: 10, seed: 5 });
  assert.deepEqual(firsts(viaTensors.val.images), b);
  assert.deepEqual(labelsOf(viaTensors.train.labels), labelsOf(split.train.labels));
  dispose(viaTensors);
  const frac = loadDataset(dir, { valFraction: 0.25 });
  assert.equal(frac.val?.images.shape[0], 10);
  dispose([all, split, same, other, frac]);
  rejects(() => loadDataset(dir, { valSize: 40 }), DataError, /valSize must be an integer in \[1, 39\] for 40 examples, got 40 \(training examples\)/);
  rejects(() => loadDataset(dir, { valFraction: 1.5 }), DataError, /valFraction must be in \(0, 1\)/);
  rejects(() => loadDataset(dir, { valSize: 5, valFraction: 0.1 }), DataError, /not both/);
});

test('resolveDataset: names, name:folder, paths, and clear errors for what is not there', () => {
  const dir = fresh();
  writeIdx(dir, { nTrain: 4, nTest: 2, h: 2, w: 2, classes: 2 });
  assert.deepEqual(resolveDataset(dir), { name: dir.split('/').pop(), format: 'idx', path: dir });
  assert.equal(resolveDataset('fashion-mnist', { dir }).path, dir);
  assert.equal(resolveDataset(`MNIST:${dir}`).name, 'MNIST');
  // torchvision's layout: ROOT/MNIST/raw/<idx files>.
  const tv = fresh();
  mkdirSync(join(tv, 'MNIST', 'raw'), { recursive: true });
  writeIdx(join(tv, 'MNIST', 'raw'), { nTrain: 4, nTest: 2, h: 2, w: 2, classes: 2 });
  assert.deepEqual(resolveDataset(tv), { name: 'raw', format: 'idx', path: join(tv, 'MNIST', 'raw') });
  assert.equal(resolveDataset(`mnist:${tv}`).path, join(tv, 'MNIST', 'raw'));
  // Fashion-MNIST's folder given as a path is Fashion-MNIST.
  const saved = process.env.LOOM_FASHION_MNIST;
  process.env.LOOM_FASHION_MNIST = tv;
  try {
    assert.equal(resolveDataset(join(tv, 'MNIST', 'raw')).name, 'raw');
    process.env.LOOM_FASHION_MNIST = dir;
    assert.deepEqual(resolveDataset(`${dir}/`).classes, FASHION_MNIST_CLASSES);
  } finally {
    if (saved === undefined) delete process.env.LOOM_FASHION_MNIST;
    else process.env.LOOM_FASHION_MNIST = saved;
  }
  rejects(() => loadDataset(join(dir, 'missing')), DatasetNotFoundError, /missing: no such file or folder/);
  rejects(() => loadDataset('./nothing-here.csv'), DatasetNotFoundError, /nothing-here\.csv: no such file or folder/);
  rejects(() => loadDataset('imagenet'), DatasetNotFoundError, /unknown dataset 'imagenet': not one of fashion-mnist, mnist, cifar-10, cifar-100/);
  const savedMnist = process.env.LOOM_MNIST;
  delete process.env.LOOM_MNIST;
  try {
    rejects(() => loadDataset('mnist'), DatasetNotFoundError, /mnist: MNIST is not bundled/);
  } finally {
    if (savedMnist !== undefined) process.env.LOOM_MNIST = savedMnist;
  }
  const empty = fresh();
  writeFileSync(join(empty, 'notes.txt'), 'hello');
  writeFileSync(join(empty, 'table.csv'), 'a,label\n');
  rejects(
    () => loadDataset(empty),
    DatasetNotFoundError,
    /no recognisable data set in this folder; looked for MNIST-style IDX files \(train-images-idx3-ubyte\[\.gz\].*CIFAR-10 binary batches \(data_batch_1\.bin .. data_batch_5\.bin, test_batch\.bin\).*CIFAR-100 binary files \(train\.bin, test\.bin\), also in the subfolders cifar-10-batches-bin\/, cifar-100-binary\/, raw\/, MNIST\/raw\/, FashionMNIST\/raw\//,
    /it holds table\.csv: give a CSV file's own path/,
  );
  rejects(() => loadDataset(join(empty, 'notes.txt')), DatasetNotFoundError, /notes\.txt: a file, but not a CSV file/);
  rejects(() => loadDataset(dir, { trainLimit: 0 }), DataError, /trainLimit must be a positive integer, got 0/);
});
