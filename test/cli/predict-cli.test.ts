/**
 * `loom predict`: a saved model (here `loom train --out`'s) classifies new inputs as its own test
 * measured it, from IDX files, data sets, CSV rows and PNG images; a user-defined space travels with
 * the model as space.json; bad input is one line.
 */
import assert from 'node:assert/strict';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { encodeIdx } from '../../src/data/idx.js';
import { saveSafetensors, zeros } from '../../src/engine/index.js';
import { Rng } from '../../src/util/rng.js';
import { encodePng } from '../data/png-encode.js';
import { assertUsageError, loom } from './loom.js';

const dir = mkdtempSync(join(tmpdir(), 'loom-predict-'));
after(() => rmSync(dir, { recursive: true, force: true }));

/** Three classes of 12x12 byte images: a bright 4x4 square at the left, middle or right, on noise. */
function squares(n: number, seed: number): { images: Uint8Array; labels: Uint8Array } {
  const rng = new Rng(seed);
  const images = new Uint8Array(n * 144);
  const labels = new Uint8Array(n);
  for (let i = 0; i < n; i++) {
    const k = i % 3;
    labels[i] = k;
    for (let p = 0; p < 144; p++) images[i * 144 + p] = Math.floor(rng.next() * 60);
    const top = 2 + Math.floor(rng.next() * 6);
    for (let y = top; y < top + 4; y++) for (let x = 4 * k; x < 4 * k + 4; x++) images[i * 144 + y * 12 + x] = 200 + Math.floor(rng.next() * 55);
  }
  return { images, labels };
}

const data = join(dir, 'squares');
const spaceFile = join(dir, 'tiny.json');
const model = join(dir, 'model');
mkdirSync(data);
for (const [split, n, seed] of [['train', 600, 1], ['t10k', 150, 2]] as const) {
  const s = squares(n, seed);
  writeFileSync(join(data, `${split}-images-idx3-ubyte`), encodeIdx([n, 12, 12], s.images));
  writeFileSync(join(data, `${split}-labels-idx1-ubyte`), encodeIdx([n], s.labels));
}
writeFileSync(
    spaceFile,
    JSON.stringify({
      name: 'tiny-predict-space',
      input: [1, 12, 12],
      classes: 3,
      nodes: [
        { name: 'c', op: 'conv_bn_act', attrs: { out: { valueChoice: 'w', values: [4, 8] }, k: 3 } },
        { name: 'pool', op: 'max_pool', attrs: { k: 2 } },
        { name: 'flat', op: 'flatten' },
      ],
    }),
  );
const images = join(data, 't10k-images-idx3-ubyte');
const labels = join(data, 't10k-labels-idx1-ubyte');

test('loom predict: the saved model of loom train --out classifies the test images as its own test did, its user space travelling as space.json', { timeout: 300_000 }, () => {
  const t = loom(['train', spaceFile, '{"space":"tiny-predict-space","values":{"w":8}}', '--dataset', data, '--epochs', '4', '--val-size', '60', '--threads', '1', '--out', model, '--json']);
  assert.equal(t.code, 0, t.stderr);
  const trained = JSON.parse(t.stdout);
  assert.ok(trained.test_acc > 0.6, `the squares are learnable: test accuracy ${trained.test_acc}`);
  assert.ok(existsSync(join(model, 'space.json')), 'a user-defined space is kept beside the model');
  // The space's own file moves away: the model still loads, from its space.json.
  renameSync(spaceFile, `${spaceFile}.moved`);
  try {
    const r = loom(['predict', model, images, '--labels', labels, '--json']);
    assert.equal(r.code, 0, r.stderr);
    const p = JSON.parse(r.stdout);
    assert.equal(p.count, 150);
    assert.equal(p.predictions.length, 150);
    assert.equal(p.accuracy, trained.test_acc, 'what the training measured on the test set is what the saved model predicts');
    assert.equal(p.correct, Math.round(trained.test_acc * 150));
    for (const q of p.predictions) {
      assert.ok(q.class >= 0 && q.class < 3 && q.label === String(q.class), JSON.stringify(q));
      assert.ok(q.probability >= 1 / 3 && q.probability <= 1, `${q.probability}`);
    }
    assert.equal(p.predictions.filter((q: { class: number; truth: number }) => q.class === q.truth).length, p.correct);
    // Text: one line per input (here the first 3), the accuracy on stderr; the weights file alone does too.
    const text = loom(['predict', join(model, 'model.safetensors'), images, '--labels', labels, '--limit', '3']);
    assert.equal(text.code, 0, text.stderr);
    const lines = text.stdout.trim().split('\n');
    assert.equal(lines.length, 3);
    for (const [i, l] of lines.entries()) assert.match(l, new RegExp(`^${i}\\t[012]\\t[01]\\.\\d{4}\\t(right|wrong \\([012]\\))$`));
    assert.match(text.stderr, new RegExp(`^accuracy ${(100 * trained.test_acc).toFixed(2)}% \\(${p.correct}/150\\)\\n$`));
    // --top 2: each input's two most likely classes by falling probability, the first the prediction; how often the truth is among them.
    const two = JSON.parse(loom(['predict', model, images, '--labels', labels, '--top', '2', '--json']).stdout);
    assert.equal(two.accuracy, p.accuracy);
    let among = 0;
    two.predictions.forEach((q: { class: number; probability: number; truth: number; top: { class: number; label: string; probability: number }[] }, i: number) => {
      assert.equal(q.top.length, 2);
      assert.deepEqual([q.top[0].class, q.top[0].probability], [p.predictions[i].class, p.predictions[i].probability]);
      assert.ok(q.top[1].probability <= q.top[0].probability && q.top[1].class !== q.top[0].class && q.top[1].label === String(q.top[1].class));
      if (q.top.some((t) => t.class === q.truth)) among++;
    });
    assert.deepEqual([two.top_k, two.top_k_correct, two.top_k_accuracy], [2, among, among / 150]);
    assert.ok(among >= p.correct);
    const twoText = loom(['predict', model, images, '--labels', labels, '--top', '2', '--limit', '1']);
    assert.match(twoText.stdout, /^0\t[012]\t[01]\.\d{4}\t[012]\t[01]\.\d{4}\t(right|wrong \([012]\))\n$/);
    assert.match(twoText.stderr, new RegExp(`^accuracy [\\d.]+% \\(${p.correct}/150\\); in the top 2: [\\d.]+% \\(${among}/150\\)\\n$`));
    // More than the classes: all of them.
    assert.equal(JSON.parse(loom(['predict', model, images, '--top', '9', '--limit', '1', '--json']).stdout).predictions[0].top.length, 3);
    assertUsageError(loom(['predict', model, images, '--top', '0']), /--top/);
    // A data set's folder: its test split, labelled by itself.
    const whole = JSON.parse(loom(['predict', model, data, '--json']).stdout);
    assert.equal(whole.accuracy, trained.test_acc);
    assertUsageError(loom(['predict', model, data, '--labels', labels]), /squares: a data set brings its own labels/);
    // Without labels: predictions only, the same ones.
    const plain = JSON.parse(loom(['predict', model, images, '--json']).stdout);
    assert.equal(plain.accuracy, undefined);
    assert.deepEqual(
      plain.predictions.map((q: { class: number }) => q.class),
      p.predictions.map((q: { class: number }) => q.class),
    );
  } finally {
    renameSync(`${spaceFile}.moved`, spaceFile);
  }
});

test('loom predict: bad input is one line and exit code 2', { timeout: 120_000 }, () => {
  assert.ok(existsSync(join(model, 'model.safetensors')), 'needs the model of the test above');
  assertUsageError(loom(['predict', join(dir, 'nowhere'), images]), /nowhere: no such file/);
  assertUsageError(loom(['predict', data, images]), /squares: no model\.safetensors in this folder; give the output folder of a search/);
  // A safetensors file that Loom did not write.
  const foreign = join(dir, 'foreign.safetensors');
  saveSafetensors(foreign, { w: zeros([2, 2]) });
  assertUsageError(loom(['predict', foreign, images]), /foreign\.safetensors: a safetensors file, but not a Loom model: no architecture in its metadata/);
  // Not images, images of another size, labels that do not fit.
  assertUsageError(loom(['predict', model, labels]), /t10k-labels-idx1-ubyte: IDX data of shape \[150\], not images; the model takes \[1, 12, 12\]/);
  const big = join(dir, 'big-images');
  writeFileSync(big, encodeIdx([2, 28, 28], new Uint8Array(2 * 784)));
  assertUsageError(loom(['predict', model, big]), /big-images: images of shape \[28, 28\]; the model takes \[1, 12, 12\] \(or \[12, 12\]\)/);
  assertUsageError(loom(['predict', model, images, '--labels', join(data, 'train-labels-idx1-ubyte')]), /train-labels-idx1-ubyte: 600 labels for 150 images/);
  const outOfRange = join(dir, 'labels-9');
  writeFileSync(outOfRange, encodeIdx([150], new Uint8Array(150).fill(9)));
  assertUsageError(loom(['predict', model, images, '--labels', outOfRange]), /label 9 at index 0 is outside the model's 3 classes \(0-2\)/);
  const csv = join(dir, 'rows.csv');
  writeFileSync(csv, 'a,b\n1,2\n');
  assertUsageError(loom(['predict', model, csv]), /rows\.csv: a CSV file, but the model classifies images \[1, 12, 12\]; give an IDX file of images/);
  // data.json gone: the inputs' shape and normalisation are unknown.
  const bare = join(dir, 'bare');
  mkdirSync(bare);
  copyFileSync(join(model, 'model.safetensors'), join(bare, 'model.safetensors'));
  copyFileSync(join(model, 'space.json'), join(bare, 'space.json'));
  assertUsageError(loom(['predict', bare, images]), /bare: no data\.json beside the weights/);
  // Neither space.json nor a space of that name known: say what to do.
  rmSync(join(bare, 'space.json'));
  writeFileSync(join(bare, 'data.json'), readFileSync(join(model, 'data.json')));
  assertUsageError(loom(['predict', bare, images]), /the model's space 'tiny-predict-space' is neither a built-in or packaged space nor defined by a space\.json beside the weights/);
});

test('loom predict on PNG and JPEG images: files or a folder, fitted to the model (grey, size, shape), the same predictions as the same images in IDX', { timeout: 120_000 }, () => {
  assert.ok(existsSync(join(model, 'model.safetensors')), 'needs the model of the first test');
  const s = squares(150, 2);
  const n = 5;
  const pngs = join(dir, 'pngs');
  const colour = join(dir, 'colour');
  mkdirSync(pngs);
  mkdirSync(colour);
  for (let i = 0; i < n; i++) {
    const img = s.images.subarray(i * 144, (i + 1) * 144);
    writeFileSync(join(pngs, `img-${i}.png`), encodePng({ width: 12, height: 12, colorType: 0, depth: 8 }, img));
    // The same image at twice the size in RGB, each pixel a grey 2x2 block.
    const rgb = Array.from({ length: 24 * 24 * 3 }, (_, k) => {
      const p = Math.floor(k / 3);
      return img[Math.floor(Math.floor(p / 24) / 2) * 12 + Math.floor((p % 24) / 2)];
    });
    writeFileSync(join(colour, `img-${i}.png`), encodePng({ width: 24, height: 24, colorType: 2, depth: 8 }, rgb));
  }
  const files = Array.from({ length: n }, (_, i) => join(pngs, `img-${i}.png`));
  const idx = JSON.parse(loom(['predict', model, images, '--limit', String(n), '--json']).stdout).predictions;
  const r = loom(['predict', model, ...files, '--json']);
  assert.equal(r.code, 0, r.stderr);
  const p = JSON.parse(r.stdout);
  assert.equal(p.count, n);
  assert.deepEqual(p.inputs, files);
  assert.deepEqual(
    p.predictions.map((q: { file: string; class: number; probability: number }) => [q.file, q.class, q.probability]),
    idx.map((q: { class: number; probability: number }, i: number) => [files[i], q.class, q.probability]),
    'the byte images as PNG files are the same inputs',
  );
  assert.equal(r.stderr, '', 'nothing changed to fit');
  // A folder of them: the same, in name order; the text form names each file.
  const folder = loom(['predict', model, pngs]);
  assert.equal(folder.code, 0, folder.stderr);
  const lines = folder.stdout.trim().split('\n');
  assert.deepEqual(lines, files.map((f, i) => `${f}\t${idx[i].class}\t${idx[i].probability.toFixed(4)}`));
  // Twice the size and in colour: made grey and shrunk by area, so the same images again.
  const c = loom(['predict', model, colour, '--json']);
  assert.equal(c.code, 0, c.stderr);
  assert.match(c.stderr, /^all 5 images: colour made grey, 24x24 resized to 12x12\n$/);
  JSON.parse(c.stdout).predictions.forEach((q: { class: number; probability: number }, i: number) => {
    assert.equal(q.class, idx[i].class);
    assert.ok(Math.abs(q.probability - idx[i].probability) < 1e-4, `${q.probability} against ${idx[i].probability}`);
  });
  // Class folders (as torchvision's ImageFolder): each image labelled by its folder's name, the accuracy reported.
  const byClass = join(dir, 'by-class');
  for (let i = 0; i < n; i++) {
    mkdirSync(join(byClass, String(s.labels[i])), { recursive: true });
    writeFileSync(join(byClass, String(s.labels[i]), `img-${i}.png`), readFileSync(files[i]));
  }
  const labelled = loom(['predict', model, byClass, '--json']);
  assert.equal(labelled.code, 0, labelled.stderr);
  const lp = JSON.parse(labelled.stdout);
  const order = [...Array(n).keys()].sort((a, b) => s.labels[a] - s.labels[b] || a - b);
  assert.deepEqual(
    lp.predictions.map((q: { file: string; class: number; truth: number }) => [q.file, q.class, q.truth]),
    order.map((i) => [join(byClass, String(s.labels[i]), `img-${i}.png`), idx[i].class, s.labels[i]]),
  );
  const right = order.filter((i) => idx[i].class === s.labels[i]).length;
  assert.deepEqual([lp.accuracy, lp.correct], [right / n, right]);
  assert.match(loom(['predict', model, byClass]).stderr, new RegExp(`^accuracy [\\d.]+% \\(${right}/${n}\\)\\n$`));
  mkdirSync(join(byClass, 'cats'));
  writeFileSync(join(byClass, 'cats', 'a.png'), readFileSync(files[0]));
  assertUsageError(loom(['predict', model, byClass]), /by-class\/cats: a class folder named as none of the model's 3 classes \(0, 1, 2\) nor as a class index/);
  // Inverted, the bright squares become dark: the predictions change.
  const inv = JSON.parse(loom(['predict', model, ...files, '--invert', '--json']).stdout).predictions;
  assert.notDeepEqual(inv.map((q: { probability: number }) => q.probability), idx.map((q: { probability: number }) => q.probability));
  // Bad input: labels for images without any, --invert for IDX, several inputs not all images, a broken PNG.
  assertUsageError(loom(['predict', model, files[0], '--labels', labels]), /PNG and JPEG images are labelled by lying in class folders/);
  assertUsageError(loom(['predict', model, images, '--invert']), /--invert is for PNG and JPEG images/);
  assertUsageError(loom(['predict', model, images, files[0]]), /2 inputs given: several inputs must all be images \(PNG or JPEG files/);
  const broken = join(dir, 'broken.png');
  writeFileSync(broken, readFileSync(files[0]).subarray(0, 40));
  assertUsageError(loom(['predict', model, broken]), /broken\.png: truncated/);
  const fake = join(dir, 'fake.png');
  writeFileSync(fake, 'not an image');
  assertUsageError(loom(['predict', model, fake]), /fake\.png: not a PNG image \(no PNG signature\)/);
  assertUsageError(loom(['predict', model, join(dir, 'missing.png')]), /missing\.png: no such file/);
  // A JPEG (ImageMagick, quality 90: a 16x8 grey ramp) beside a PNG in one folder; its shape fitted as --fit says.
  const mixed = join(dir, 'mixed');
  mkdirSync(mixed);
  writeFileSync(join(mixed, 'a.png'), readFileSync(files[0]));
  writeFileSync(
    join(mixed, 'b.jpg'),
    Buffer.from(
      '/9j/4AAQSkZJRgABAQAAAQABAAD/2wBDAAMCAgMCAgMDAwMEAwMEBQgFBQQEBQoHBwYIDAoMDAsKCwsNDhIQDQ4RDgsLEBYQERMUFRUVDA8XGBYUGBIUFRT/wAALCAAIABABAREA/8QAFQABAQAAAAAAAAAAAAAAAAAABwn/xAAgEAABAwIHAAAAAAAAAAAAAAABAgMEAAgGByEjNEFR/9oACAEBAAA/AAq2zLbi7XnVVNt7wEiBDakONgJQkHUV/9k=',
      'base64',
    ),
  );
  const m = loom(['predict', model, mixed, '--json']);
  assert.equal(m.code, 0, m.stderr);
  assert.deepEqual(JSON.parse(m.stdout).predictions.map((q: { file: string }) => q.file), [join(mixed, 'a.png'), join(mixed, 'b.jpg')]);
  assert.equal(JSON.parse(m.stdout).predictions[0].class, idx[0].class, 'the PNG as before');
  // The images were not all changed alike: the kinds of change are said, each image's sizes are in the JSON.
  assert.equal(m.stderr, '1 of 2 images: resized and padded to 12x12\n');
  assert.deepEqual(
    JSON.parse(m.stdout).predictions.map((q: { changes?: string[] }) => q.changes),
    [undefined, ['16x8 resized to 12x6 and padded to 12x12']],
  );
  assert.equal(loom(['predict', model, mixed]).stderr, '1 of 2 images: resized and padded to 12x12 (--json says how, image by image)\n');
  const crop = loom(['predict', model, join(mixed, 'b.jpg'), '--fit', 'crop']);
  assert.equal(crop.code, 0, crop.stderr);
  assert.equal(crop.stderr, 'b.jpg: 16x8 cropped to its middle 8x8, resized to 12x12\n');
  assert.match(crop.stdout, /^\S+b\.jpg\t\S+\t[01]\.\d{4}\n$/);
  assertUsageError(loom(['predict', model, images, '--fit', 'crop']), /--fit is for PNG and JPEG images/);
  assertUsageError(loom(['predict', model, images, '--trim']), /--trim is for PNG and JPEG images/);
  assertUsageError(loom(['predict', model, files[0], '--fit', 'squash']), /option '--fit <how>' argument 'squash' is invalid/);
  // A JPEG file is known by its first bytes whatever its name; a broken one is said to be so.
  const jpeg = join(dir, 'photo.dat');
  writeFileSync(jpeg, Uint8Array.from([0xff, 0xd8, 0xff, 0xe0, 0, 16, 74, 70, 73, 70, 0, 1, 1, 0, 0, 1, 0, 1]));
  assertUsageError(loom(['predict', model, jpeg]), /photo\.dat: .*truncated/i);
  // Other image formats are named, with a word on converting them, rather than read as IDX.
  const gif = join(dir, 'anim.dat');
  writeFileSync(gif, Buffer.from('GIF89a\x01\x00\x01\x00\x00\x00\x00;', 'latin1'));
  assertUsageError(loom(['predict', model, gif]), /anim\.dat: a GIF image; loom predict reads PNG and JPEG images: convert them first/);
  const heic = join(dir, 'IMG_0001.HEIC');
  writeFileSync(heic, Buffer.from('\0\0\0\x18ftypheic\0\0\0\0mif1heic', 'latin1'));
  assertUsageError(loom(['predict', model, heic]), /IMG_0001\.HEIC: a HEIC or AVIF image; loom predict reads PNG and JPEG images: convert them first/);
  const gifs = join(dir, 'gifs');
  mkdirSync(gifs);
  writeFileSync(join(gifs, 'a.gif'), readFileSync(gif));
  assertUsageError(loom(['predict', model, gifs]), /gifs: holds images such as a\.gif but no PNG or JPEG files; loom predict reads PNG and JPEG images/);
});

test('loom predict on a table: the CSV columns are matched by name, extra columns left out, the label column scored', { timeout: 300_000 }, () => {
  const rng = new Rng(3);
  const rows: string[] = ['x,y,kind'];
  for (let i = 0; i < 300; i++) {
    const x = rng.next() * 2 - 1;
    const y = rng.next() * 2 - 1;
    rows.push(`${x.toFixed(4)},${y.toFixed(4)},${x + y > 0 ? 'up' : 'down'}`);
  }
  const table = join(dir, 'halves.csv');
  writeFileSync(table, `${rows.join('\n')}\n`);
  const out = join(dir, 'table-model');
  const t = loom(['train', 'mlp', '16:relu:none:0', '--dataset', table, '--label-column', 'kind', '--epochs', '30', '--threads', '1', '--out', out, '--json']);
  assert.equal(t.code, 0, t.stderr);
  assert.ok(!existsSync(join(out, 'space.json')), 'a built-in space needs no copy');
  const r = loom(['predict', out, table, '--label-column', 'kind', '--json']);
  assert.equal(r.code, 0, r.stderr);
  const p = JSON.parse(r.stdout);
  assert.equal(p.count, 300);
  assert.ok(p.accuracy > 0.85, `accuracy over every row ${p.accuracy}`);
  assert.ok(p.predictions.every((q: { label: string }) => q.label === 'up' || q.label === 'down'));
  // The same rows with the columns in another order, an id column and no labels: the same predictions.
  const shuffled = join(dir, 'shuffled.csv');
  writeFileSync(shuffled, `${['id,y,x', ...rows.slice(1).map((l, i) => {
    const [x, y] = l.split(',');
    return `${i},${y},${x}`;
  })].join('\n')}\n`);
  const s = JSON.parse(loom(['predict', out, shuffled, '--json']).stdout);
  assert.equal(s.accuracy, undefined);
  assert.deepEqual(
    s.predictions.map((q: { label: string }) => q.label),
    p.predictions.map((q: { label: string }) => q.label),
  );
  // A missing feature column, and images for a table's model.
  const partial = join(dir, 'partial.csv');
  writeFileSync(partial, 'x,kind\n0.5,up\n');
  assertUsageError(loom(['predict', out, partial]), /partial\.csv: no column 'y' in the header; the model reads 2 feature column\(s\): x, y/);
  assertUsageError(loom(['predict', out, images]), /the model classifies rows of a table \(2 features\); give a CSV file with its feature columns/);
  assertUsageError(loom(['predict', out, join(dir, 'pngs', 'img-0.png')]), /images, but the model classifies rows of a table \(2 features\)/);
  const unknown = join(dir, 'unknown.csv');
  writeFileSync(unknown, 'x,y,kind\n0.5,0.5,sideways\n');
  assertUsageError(loom(['predict', out, unknown, '--label-column', 'kind']), /row 1's label 'sideways' is not one of the model's classes \(down, up\)/);
});
