import assert from 'node:assert/strict';
import { test } from 'node:test';
import { augmentTransform, cutout, normalize, normalize_, randomCrop, randomHorizontalFlip } from '../../src/data/augment.js';
import { arange, dispose, manualSeed, memory, ones, tensor, tidy } from '../../src/engine/index.js';

test('randomHorizontalFlip mirrors whole images or leaves them', () => {
  manualSeed(1);
  const x = tidy(() => arange(64 * 9).float().view(64, 1, 3, 3));
  const base = memory().liveTensors;
  const y = randomHorizontalFlip(x);
  assert.equal(memory().liveTensors, base + 1);
  const xv = x.dataSync();
  const yv = y.dataSync();
  let flipped = 0;
  for (let n = 0; n < 64; n++) {
    const o = n * 9;
    const same = [0, 1, 2, 3, 4, 5, 6, 7, 8].every((i) => yv[o + i] === xv[o + i]);
    const mirrored = [0, 1, 2].every((r) => [0, 1, 2].every((c) => yv[o + 3 * r + c] === xv[o + 3 * r + (2 - c)]));
    assert.ok(same || mirrored, `image ${n} is either unchanged or mirrored`);
    if (!same) flipped++;
  }
  assert.ok(flipped > 10 && flipped < 54, `about half flipped (${flipped}/64)`);
  dispose([x, y]);
});

test('randomCrop shifts each image by at most the padding, filling with zeros', () => {
  manualSeed(2);
  const n = 32;
  const x = tidy(() => arange(n * 16).float().add(1).view(n, 1, 4, 4));
  const y = randomCrop(x, 1);
  assert.deepEqual(y.shape, [n, 1, 4, 4]);
  const xv = x.dataSync();
  const yv = y.dataSync();
  const shifts = new Set<string>();
  for (let k = 0; k < n; k++) {
    const at = (a: number[], r: number, c: number) => (r < 0 || r > 3 || c < 0 || c > 3 ? 0 : a[k * 16 + 4 * r + c]);
    let found = false;
    for (let dy = -1; dy <= 1 && !found; dy++) {
      for (let dx = -1; dx <= 1 && !found; dx++) {
        let ok = true;
        for (let r = 0; r < 4 && ok; r++) for (let c = 0; c < 4 && ok; c++) ok = at(yv, r, c) === at(xv, r + dy, c + dx);
        if (ok) {
          found = true;
          shifts.add(`${dy},${dx}`);
        }
      }
    }
    assert.ok(found, `image ${k} is a shifted copy`);
  }
  assert.ok(shifts.size >= 4, `several different shifts drawn (${[...shifts].join(' ')})`);
  dispose([x, y]);
});

/** Per image of a cutout of all-ones `[n, c, h, w]`: the zeroed cells of channel 0, checking all channels agree. */
function zeroedCells(y: Float32Array | number[], n: number, c: number, h: number, w: number): number[][] {
  const out: number[][] = [];
  for (let k = 0; k < n; k++) {
    const cells: number[] = [];
    for (let p = 0; p < h * w; p++) {
      const v = y[k * c * h * w + p];
      for (let ch = 1; ch < c; ch++) assert.equal(y[(k * c + ch) * h * w + p], v, 'one square across all channels');
      if (v === 0) cells.push(p);
      else assert.equal(v, 1);
    }
    out.push(cells);
  }
  return out;
}

test('cutout with inside: true zeroes exactly one size x size square per image, within the image', () => {
  manualSeed(3);
  const [n, c, h, w, size] = [200, 3, 8, 10, 4];
  const x = ones([n, c, h, w]);
  const base = memory().liveTensors;
  const y = cutout(x, size, { inside: true });
  assert.equal(memory().liveTensors, base + 1);
  const corners = new Set<number>();
  for (const cells of zeroedCells(y.dataSync(), n, c, h, w)) {
    assert.equal(cells.length, size * size);
    const rows = cells.map((p) => Math.floor(p / w));
    const cols = cells.map((p) => p % w);
    assert.equal(Math.max(...rows) - Math.min(...rows), size - 1, 'a square, not scattered cells');
    assert.equal(Math.max(...cols) - Math.min(...cols), size - 1);
    corners.add(cells[0]);
  }
  // Top-left corners spread over the (h - size + 1) x (w - size + 1) = 35 positions.
  assert.ok(corners.size >= 30, `${corners.size} distinct squares`);
  assert.equal(x.dataSync().every((v) => v === 1), true, 'input untouched');
  dispose([x, y]);
});

test('cutout as in the paper: centres uniform, squares clipped at the border, mean area as expected', () => {
  manualSeed(4);
  const [n, h, w, size] = [4000, 6, 7, 4];
  const x = ones([n, 1, h, w]);
  const y = cutout(x, size);
  const areas = zeroedCells(y.dataSync(), n, 1, h, w).map((cells) => cells.length);
  // Expected visible side along an axis of length L: the mean over centres c of |[c - 2, c + 2) n [0, L)|.
  const side = (len: number) => {
    let s = 0;
    for (let ctr = 0; ctr < len; ctr++) s += Math.min(len, ctr - 2 + size) - Math.max(0, ctr - 2);
    return s / len;
  };
  const expected = side(h) * side(w);
  const mean = areas.reduce((a, b) => a + b, 0) / n;
  assert.ok(Math.max(...areas) <= size * size, 'never more than size^2');
  assert.equal(Math.max(...areas), size * size, 'whole squares occur');
  assert.ok(Math.min(...areas) >= 2 * 2, 'at least the quarter that a corner centre keeps');
  assert.ok(Math.abs(mean - expected) < 0.25, `mean area ${mean} vs ${expected}`);
  dispose([x, y]);
});

test('cutout is deterministic under manualSeed; p and fill; bad arguments', () => {
  const x = tidy(() => arange(16 * 2 * 5 * 5).float().add(1).view(16, 2, 5, 5));
  manualSeed(7);
  const a = cutout(x, 3);
  manualSeed(7);
  const b = cutout(x, 3);
  assert.deepEqual(a.dataSync(), b.dataSync());
  const c = cutout(x, 3);
  assert.notDeepEqual(a.dataSync(), c.dataSync(), 'the next draw differs');
  const none = cutout(x, 3, { p: 0 });
  assert.deepEqual(none.dataSync(), x.dataSync());
  manualSeed(8);
  const half = cutout(ones([400, 1, 5, 5]), 2, { p: 0.5, inside: true, fill: -1 });
  const hv = half.dataSync();
  let hit = 0;
  for (let k = 0; k < 400; k++) {
    const cells = hv.slice(k * 25, k * 25 + 25).filter((v) => v === -1).length;
    assert.ok(cells === 0 || cells === 4);
    if (cells) hit++;
  }
  assert.ok(hit > 150 && hit < 250, `about half the images cut (${hit}/400)`);
  assert.throws(() => cutout(x, 6, { inside: true }), /a 6x6 square does not fit inside 5x5 images/);
  assert.throws(() => cutout(x, -1), /size must be a non-negative integer/);
  assert.throws(() => cutout(x.view(16, 50), 2), /expects images \[N, C, H, W\]/);
  dispose([x, a, b, c, none, half]);
});

test('normalize subtracts and divides per channel (images and tabular); normalize_ in place', () => {
  const x = tidy(() => arange(2 * 3 * 2 * 2).float().view(2, 3, 2, 2));
  const y = normalize(x, [1, 2, 3], [2, 4, 8]);
  const xv = x.dataSync();
  const yv = y.dataSync();
  for (let i = 0; i < xv.length; i++) {
    const ch = Math.floor(i / 4) % 3;
    assert.ok(Math.abs(yv[i] - (xv[i] - [1, 2, 3][ch]) / [2, 4, 8][ch]) < 1e-6);
  }
  const t = tensor([
    [1, 10],
    [3, 30],
  ]);
  const same = normalize_(t, [2, 20], [1, 10]);
  assert.equal(same, t);
  assert.deepEqual(t.toArray(), [
    [-1, -1],
    [1, 1],
  ]);
  assert.throws(() => normalize(x, [1, 2], [1, 1]), /2 mean value\(s\) for 3 channels/);
  assert.throws(() => normalize(x, [1, 2, 3], [1, 0, 1]), /std must be positive/);
  dispose([x, y, t]);
});

test('augmentTransform composes crop, flip and cutout on the inputs only', () => {
  assert.equal(augmentTransform({}), undefined);
  manualSeed(9);
  const x = ones([8, 1, 6, 6]);
  const labels = arange(8);
  const tf = augmentTransform({ cropPadding: 1, flip: true, cutout: 2 })!;
  const [y, l] = tf([x, labels]);
  assert.deepEqual(y.shape, [8, 1, 6, 6]);
  assert.equal(l, labels);
  const zeros = Array.from(y.dataSync()).filter((v) => v === 0).length;
  assert.ok(zeros > 0 && zeros <= 8 * (4 + 11), `padding and squares zero some pixels (${zeros})`);
  assert.throws(() => augmentTransform({ cutout: 1.5 }), /cutout must be a non-negative integer/);
  dispose([x, labels, y]);
});
