import assert from 'node:assert/strict';
import { test } from 'node:test';
import { randomCrop, randomHorizontalFlip } from '../../src/data/augment.js';
import { arange, dispose, manualSeed, memory, tidy } from '../../src/engine/index.js';

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
