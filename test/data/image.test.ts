import assert from 'node:assert/strict';
import { test } from 'node:test';
import { type DecodedImage, imageInput, readImage } from '../../src/data/image.js';

const grey = (width: number, height: number, f: (x: number, y: number) => number): DecodedImage => ({
  width,
  height,
  channels: 1,
  data: Float32Array.from({ length: width * height }, (_, p) => f(p % width, Math.floor(p / width))),
});

test('imageInput fits an image to the model: grey from colour, alpha on the ground, area shrinking, inverting', () => {
  // Colour to grey by BT.601 luma; grey repeated for a colour model.
  const rgb: DecodedImage = { width: 1, height: 1, channels: 3, data: Float32Array.from([1, 0.5, 0]) };
  const g = imageInput(rgb, [1, 1, 1]);
  assert.ok(Math.abs(g.data[0] - (0.299 + 0.587 * 0.5)) < 1e-6);
  assert.deepEqual(g.changes, ['colour made grey']);
  assert.deepEqual(Array.from(imageInput(grey(1, 1, () => 0.25), [3, 1, 1]).data), [0.25, 0.25, 0.25]);
  // Half-transparent white: half on black; inverted, on white and then flipped, so the ground is black too.
  const ga: DecodedImage = { width: 2, height: 1, channels: 2, data: Float32Array.from([1, 0.5, 0.2, 0]) };
  assert.deepEqual(Array.from(imageInput(ga, [1, 1, 2]).data), [0.5, 0]);
  const inv = imageInput(ga, [1, 1, 2], { invert: true });
  assert.deepEqual(Array.from(inv.data), [0, 0]);
  assert.deepEqual(inv.changes, ['transparency on white', 'inverted']);
  // A 28x28 image enlarged 2x by repeating pixels comes back exactly when shrunk by area.
  const small = grey(28, 28, (x, y) => ((x * 7 + y * 3) % 11) / 10);
  const big = grey(56, 56, (x, y) => small.data[Math.floor(y / 2) * 28 + Math.floor(x / 2)]);
  const back = imageInput(big, [1, 28, 28]);
  assert.deepEqual(back.changes, ['56x56 resized to 28x28']);
  for (let i = 0; i < 784; i++) assert.ok(Math.abs(back.data[i] - small.data[i]) < 1e-6, `pixel ${i}`);
  // Shrinking by 3 averages each 3x3 block; enlarging a constant keeps it; a ramp stays in range.
  const blocks = imageInput(grey(6, 3, (x) => (x < 3 ? 0 : 0.9)), [1, 1, 2]);
  assert.deepEqual(Array.from(blocks.data, (v) => +v.toFixed(6)), [0, 0.9]);
  assert.ok(imageInput(grey(5, 5, () => 0.3), [1, 12, 12]).data.every((v) => Math.abs(v - 0.3) < 1e-6));
  const ramp = imageInput(grey(4, 1, (x) => x / 3), [1, 1, 9], { fit: 'stretch' }).data;
  assert.ok(ramp.every((v, i) => v >= 0 && v <= 1 && (i === 0 || v >= ramp[i - 1] - 1e-6)), Array.from(ramp).join());
  assert.throws(() => imageInput(small, [2, 28, 28]), /images are read for models of one or three channels/);
});

test('imageInput keeps the aspect ratio: pad (the border colour around), crop (the middle), stretch', () => {
  // A 4x2 picture whose columns are 0, 0.4, 0.8 and 1 (its border is all of it: mean 0.55).
  const wide = grey(4, 2, (x) => [0, 0.4, 0.8, 1][x]);
  const values = (d: Float32Array) => Array.from(d, (v) => +v.toFixed(6));
  // Pad: scaled to 2x1 (pairs of columns averaged), at the top of 2x2 (the row of margin below), the margin the border's mean.
  const pad = imageInput(wide, [1, 2, 2]);
  assert.deepEqual(pad.changes, ['4x2 resized to 2x1 and padded to 2x2']);
  assert.deepEqual(values(pad.data), [0.2, 0.9, 0.55, 0.55]);
  // Crop: the middle 2x2.
  const crop = imageInput(wide, [1, 2, 2], { fit: 'crop' });
  assert.deepEqual(crop.changes, ['4x2 cropped to its middle 2x2']);
  assert.deepEqual(values(crop.data), [0.4, 0.8, 0.4, 0.8]);
  // Stretch: each axis on its own.
  const stretch = imageInput(wide, [1, 2, 2], { fit: 'stretch' });
  assert.deepEqual(stretch.changes, ['4x2 resized to 2x2 (stretched)']);
  assert.deepEqual(values(stretch.data), [0.2, 0.9, 0.2, 0.9]);
  // Crop, then resize: 8x4 into 2x2 takes the middle 4x4.
  const crop8 = imageInput(grey(8, 4, (x) => x / 7), [1, 2, 2], { fit: 'crop' });
  assert.deepEqual(crop8.changes, ['8x4 cropped to its middle 4x4, resized to 2x2']);
  assert.deepEqual(values(crop8.data), [2.5 / 7, 4.5 / 7, 2.5 / 7, 4.5 / 7].map((v) => +v.toFixed(6)));
  // A tall 10x30 dark bar on white, inverted, padded into 28x28: a light 9x28 bar (rounded from 9.33), black margins.
  const bar = grey(10, 30, () => 0.1);
  const tall = imageInput(bar, [1, 28, 28], { invert: true });
  assert.deepEqual(tall.changes, ['10x30 resized to 9x28 and padded to 28x28', 'inverted']);
  const col = (x: number) => Array.from({ length: 28 }, (_, y) => +tall.data[y * 28 + x].toFixed(6));
  assert.ok(col(14).every((v) => v === 0.9) && col(0).every((v) => v === 0.9), 'margins in the border colour, inverted');
  // A bar on a white ground: the margins take the ground's colour, so the object stays alone on it.
  const onWhite = grey(20, 40, (x, y) => (x >= 8 && x < 12 && y >= 5 && y < 35 ? 0 : 1));
  const fitted = imageInput(onWhite, [1, 28, 28], { invert: true });
  assert.deepEqual(fitted.changes, ['20x40 resized to 14x28 and padded to 28x28', 'inverted']);
  for (const x of [0, 3, 6, 21, 24, 27]) assert.ok(col2(fitted.data, x).every((v) => v < 1e-6), `column ${x} is ground`);
  assert.ok(col2(fitted.data, 14).some((v) => v > 0.9), 'the bar is in the middle');
  // Same aspect ratio: plain resizing whatever the fit; an RGB image of the model's own shape is kept.
  for (const fit of ['pad', 'crop', 'stretch'] as const) assert.deepEqual(imageInput(grey(8, 4, () => 0.5), [1, 2, 4], { fit }).changes, ['8x4 resized to 4x2']);
  assert.throws(() => imageInput(wide, [1, 2, 2], { fit: 'squash' as never }), /fit must be one of pad, crop, stretch, got squash/);
});

test('imageInput with trim: the plain margins cut away, then the object fitted and centred as Fashion-MNIST did', () => {
  // A 4x6 bright object at (30, 10) on a 60x40 ground of 0.9 with faint noise (within 5%).
  const noise = (x: number, y: number) => ((x * 13 + y * 7) % 5) * 0.008;
  const photo = grey(60, 40, (x, y) => (x >= 30 && x < 34 && y >= 10 && y < 16 ? 0.1 : 0.9 - noise(x, y)));
  const r = imageInput(photo, [1, 12, 12], { trim: true, invert: true });
  assert.deepEqual(r.changes, ['60x40 trimmed to its 4x6 object', '4x6 resized to 8x12 and padded to 12x12', 'inverted']);
  assert.deepEqual(r.kinds, ['trimmed to the object', 'resized and padded to 12x12', 'inverted']);
  // The object fills the middle 8 columns, all rows; the margins the ground's colour (inverted, near black).
  for (let y = 0; y < 12; y++) {
    for (let x = 0; x < 12; x++) {
      const v = r.data[y * 12 + x];
      if (x >= 2 && x < 10) assert.ok(Math.abs(v - 0.9) < 1e-6, `object at ${x},${y}: ${v}`);
      else assert.ok(Math.abs(v - 0.108) < 1e-6, `margin at ${x},${y}: ${v}`); // 1 - the corners' median, 0.892
    }
  }
  // Without trim, the object stays a speck in the padded picture.
  const plain = imageInput(photo, [1, 12, 12], { invert: true });
  assert.deepEqual(plain.changes, ['60x40 resized to 12x8 and padded to 12x12', 'inverted']);
  const bright = (d: Float32Array) => d.filter((v) => v > 0.5).length;
  assert.equal(bright(r.data), 96);
  assert.ok(bright(plain.data) <= 2, `${bright(plain.data)} bright pixels`);
  // Colour: the distance counts every channel; a blank picture and one without margins are left as they are.
  const rgb: DecodedImage = { width: 3, height: 3, channels: 3, data: Float32Array.from({ length: 27 }, (_, i) => (Math.floor(i / 3) === 4 && i % 3 === 2 ? 0 : 1)) };
  assert.deepEqual(imageInput(rgb, [3, 1, 1], { trim: true }).changes, ['3x3 trimmed to its 1x1 object']);
  assert.deepEqual(imageInput(grey(5, 5, () => 0.5), [1, 5, 5], { trim: true }).changes, []);
  assert.deepEqual(imageInput(grey(5, 5, (x, y) => (x + y) / 8), [1, 5, 5], { trim: true }).changes, []);
});

const col2 = (data: Float32Array, x: number) => Array.from({ length: 28 }, (_, y) => data[y * 28 + x]);

test('readImage refuses a file that is neither PNG nor JPEG, naming it', () => {
  assert.throws(() => readImage(new URL(import.meta.url).pathname), /neither a PNG nor a JPEG file/);
});
