import assert from 'node:assert/strict';
import { test } from 'node:test';
import { DataLoader, trainValSplit } from '../../src/data/loader.js';
import { type Tensor, arange, dispose, memory, tidy } from '../../src/engine/index.js';

/** n examples: x[i] = [i, i + 0.5] (float32), y[i] = i (int64). */
function dataset(n: number): { x: Tensor; y: Tensor } {
  return tidy(() => {
    const y = arange(n);
    const x = y.float().unsqueeze(1).add(tidy(() => arange(2).float().mul(0.5).unsqueeze(0)));
    return { x, y };
  });
}

function epochOrder(loader: DataLoader): { ids: number[]; sizes: number[] } {
  const ids: number[] = [];
  const sizes: number[] = [];
  for (const [x, y] of loader) {
    sizes.push(y.shape[0]);
    const yv = y.dataSync();
    const xv = x.dataSync();
    for (const [i, v] of yv.entries()) assert.equal(xv[2 * i], v, 'inputs and labels stay paired');
    ids.push(...yv);
  }
  return { ids, sizes };
}

test('each epoch visits every example once, in batches of batchSize', () => {
  const { x, y } = dataset(10);
  const loader = new DataLoader([x, y], { batchSize: 4, seed: 3 });
  assert.equal(loader.length, 3);
  const { ids, sizes } = epochOrder(loader);
  assert.deepEqual(sizes, [4, 4, 2]);
  assert.deepEqual([...ids].sort((a, b) => a - b), [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
  assert.notDeepEqual(ids, [0, 1, 2, 3, 4, 5, 6, 7, 8, 9], 'shuffled');
  const drop = new DataLoader([x, y], { batchSize: 4, dropLast: true });
  assert.equal(drop.length, 2);
  assert.deepEqual(epochOrder(drop).sizes, [4, 4]);
  dispose([x, y]);
});

test('shuffling is seeded: same seed same orders, a new order each epoch', () => {
  const { x, y } = dataset(50);
  const a = new DataLoader([x, y], { batchSize: 8, seed: 7 });
  const b = new DataLoader([x, y], { batchSize: 8, seed: 7 });
  const c = new DataLoader([x, y], { batchSize: 8, seed: 8 });
  const a1 = epochOrder(a).ids;
  const a2 = epochOrder(a).ids;
  assert.deepEqual(a1, epochOrder(b).ids);
  assert.deepEqual(a2, epochOrder(b).ids);
  assert.notDeepEqual(a1, a2);
  assert.notDeepEqual(a1, epochOrder(c).ids);
  assert.deepEqual([...a.order(0)], a1);
  const plain = new DataLoader([x, y], { batchSize: 8, shuffle: false });
  assert.deepEqual(epochOrder(plain).ids, Array.from({ length: 50 }, (_, i) => i));
  dispose([x, y]);
});

test('batches are freed as the loop advances, on break, and inside tidy', () => {
  const { x, y } = dataset(100);
  const loader = new DataLoader([x, y], { batchSize: 10, seed: 1 });
  const base = memory().liveTensors;
  let held: Tensor | null = null;
  for (const [bx] of loader) {
    if (held) assert.ok(held.isDisposed, 'the previous batch is freed when the next is drawn');
    held = bx;
    assert.ok(memory().liveTensors <= base + 3, `live tensors stay flat (${memory().liveTensors} vs ${base})`);
  }
  assert.equal(memory().liveTensors, base, 'nothing left after a full epoch');
  for (const _ of loader) break;
  assert.equal(memory().liveTensors, base, 'nothing left after break');
  const sum = tidy(() => {
    let s = 0;
    for (const [, by] of loader) s += tidy(() => by.sum().item());
    return s;
  });
  assert.equal(sum, 4950);
  assert.equal(memory().liveTensors, base, 'nothing left after a loop inside tidy');
  dispose([x, y]);
});

test('a transform replaces each batch, and its temporaries are freed', () => {
  const { x, y } = dataset(12);
  const loader = new DataLoader([x, y], { batchSize: 5, shuffle: false, transform: ([bx, by]) => [bx.mul(2), by] });
  const base = memory().liveTensors;
  const firsts: number[] = [];
  for (const [bx] of loader) firsts.push(bx.dataSync()[0]);
  assert.deepEqual(firsts, [0, 10, 20]);
  assert.equal(memory().liveTensors, base);
  dispose([x, y]);
});

test('bad arguments are rejected clearly', () => {
  const { x, y } = dataset(6);
  const short = tidy(() => y.narrow(0, 0, 5).clone());
  assert.throws(() => new DataLoader([x, short], { batchSize: 2 }), /tensor 1 has 5 examples, tensor 0 has 6/);
  assert.throws(() => new DataLoader([x, y], { batchSize: 0 }), /batchSize must be a positive integer/);
  assert.throws(() => new DataLoader([], { batchSize: 2 }), /at least one tensor/);
  assert.throws(() => trainValSplit({ x, y }, { valSize: 6 }), /valSize must be an integer in \[1, 5\]/);
  assert.throws(() => trainValSplit({ x, y }, { valFraction: 1.5 }), /valFraction must be in \(0, 1\)/);
  assert.throws(() => trainValSplit({ x, y }, {}), /give valSize or valFraction/);
  dispose([x, y, short]);
});

test('trainValSplit gives disjoint, complete, seeded parts with pairs intact', () => {
  const { x, y } = dataset(40);
  const base = memory().liveTensors;
  const s1 = trainValSplit({ x, y }, { valSize: 10, seed: 5 });
  const s2 = trainValSplit({ x, y }, { valSize: 10, seed: 5 });
  const s3 = trainValSplit({ x, y }, { valFraction: 0.25, seed: 6 });
  assert.equal(memory().liveTensors, base + 12, 'only the 4 result tensors of each split stay alive');
  const tr = s1.train.y.dataSync();
  const va = s1.val.y.dataSync();
  assert.equal(tr.length, 30);
  assert.equal(va.length, 10);
  assert.deepEqual([...tr, ...va].sort((a, b) => a - b), Array.from({ length: 40 }, (_, i) => i));
  assert.deepEqual(va, s2.val.y.dataSync(), 'same seed, same split');
  assert.notDeepEqual(va, s3.val.y.dataSync(), 'another seed, another split');
  assert.deepEqual(s1.val.x.shape, [10, 2]);
  const xv = s1.val.x.dataSync();
  for (const [i, v] of va.entries()) assert.equal(xv[2 * i + 1], v + 0.5);
  dispose([s1, s2, s3, x, y]);
});
