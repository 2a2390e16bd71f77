import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { type Tensor, dispose, manualSeed, memory, randint, randn, setNumThreads, tidy } from '../../src/engine/index.js';
import { ARCH_METADATA_KEY, inheritWeights } from '../../src/estimate/inherit.js';
import { trainArchitecture } from '../../src/estimate/trial.js';
import { nb201 } from '../../src/space/index.js';
import { buildNetwork } from '../../src/space/networks/index.js';

setNumThreads(1);

const dir = mkdtempSync(join(tmpdir(), 'loom-inherit-'));
after(() => rmSync(dir, { recursive: true, force: true }));

const PARENT = '|nor_conv_3x3~0|+|nor_conv_3x3~0|avg_pool_3x3~1|+|skip_connect~0|nor_conv_1x1~1|nor_conv_3x3~2|';
// Edge 1_0 conv3x3 -> conv1x1, edge 2_1 avg_pool -> conv3x3 (new parameters), edge 3_1 conv1x1 -> conv3x3.
const CHILD = '|nor_conv_1x1~0|+|nor_conv_3x3~0|nor_conv_3x3~1|+|skip_connect~0|nor_conv_3x3~1|nor_conv_3x3~2|';
const opts = { input: [1, 8, 8] as [number, number, number], classes: 10, channels: 4, cells: 1 };

/** The module's state as plain arrays, by name. */
function snapshot(net: { stateDict(): Map<string, Tensor> }): Map<string, { shape: number[]; data: number[] }> {
  const sd = net.stateDict();
  const out = new Map<string, { shape: number[]; data: number[] }>();
  for (const [n, t] of sd) out.set(n, { shape: t.shape, data: Array.from(t.data() as ArrayLike<number | bigint>, Number) });
  dispose([...sd.values()]);
  return out;
}

/** A parent with non-trivial buffers: random weights and BatchNorm statistics from a few training-mode passes. */
function trainedParent(arch: string, o: typeof opts, seed: number) {
  manualSeed(seed);
  const net = buildNetwork(nb201.parse(arch), o);
  tidy(() => {
    for (let i = 0; i < 3; i++) net.call(randn([4, ...o.input]));
  });
  return net;
}

/** Element of a row-major array at a multi-index. */
function at(v: { shape: number[]; data: number[] }, idx: number[]): number {
  let k = 0;
  for (let d = 0; d < idx.length; d++) k = k * v.shape[d] + idx[d];
  return v.data[k];
}

function* indices(shape: number[]): Generator<number[]> {
  const n = shape.reduce((a, b) => a * b, 1);
  for (let k = 0; k < n; k++) {
    const idx: number[] = [];
    let r = k;
    for (let d = shape.length - 1; d >= 0; d--) {
      idx.unshift(r % shape[d]);
      r = Math.floor(r / shape[d]);
    }
    yield idx;
  }
}

test('a mutated child inherits exactly the tensors whose name and shape match, and the centre of changed kernels', () => {
  const live = memory().liveTensors;
  const parent = trainedParent(PARENT, opts, 1);
  const path = join(dir, 'parent.safetensors');
  parent.save(path, { [ARCH_METADATA_KEY]: JSON.stringify(nb201.parse(PARENT).toJSON()) });
  const p = snapshot(parent);
  manualSeed(2);
  const child = buildNetwork(nb201.parse(CHILD), opts);
  const before = snapshot(child);
  const report = inheritWeights(child, path);
  const c = snapshot(child);

  assert.deepEqual(report.parentArch, nb201.parse(PARENT).toJSON());
  // The cell repeats in the three stages (cells 0, 2 and 4; 1 and 3 are the reduction blocks).
  const sliced = [0, 2, 4].flatMap((i) => [`cells.${i}.edges.1_0.op.1.weight`, `cells.${i}.edges.3_1.op.1.weight`]);
  assert.deepEqual(report.sliced.sort(), sliced);
  const fresh = [...c.keys()].filter((n) => !p.has(n));
  assert.ok(fresh.length > 0 && fresh.every((n) => /^cells\.[024]\.edges\.2_1\./.test(n)), fresh.join(' '));
  assert.deepEqual(report.fresh.sort(), fresh.sort());
  assert.equal(report.exact.length, c.size - fresh.length - 6);
  assert.equal(report.tensors, report.exact.length + 6);
  assert.equal(report.totalTensors, c.size);
  for (const n of report.exact) assert.deepEqual(c.get(n), p.get(n), `${n} copied whole`);
  for (const n of fresh) assert.deepEqual(c.get(n), before.get(n), `${n} keeps its initialisation`);
  assert.ok(report.exact.includes('cells.0.edges.1_0.op.2.running_mean'), 'buffers are inherited');
  assert.notDeepEqual(p.get('cells.0.edges.1_0.op.2.running_mean'), before.get('cells.0.edges.1_0.op.2.running_mean'));

  // 3x3 -> 1x1: the child's kernel is the centre of the parent's.
  const shrunk = c.get('cells.0.edges.1_0.op.1.weight');
  const big = p.get('cells.0.edges.1_0.op.1.weight');
  assert.ok(shrunk && big);
  assert.deepEqual(shrunk.shape, [4, 4, 1, 1]);
  for (const [o, i] of indices([4, 4])) assert.equal(at(shrunk, [o, i, 0, 0]), at(big, [o, i, 1, 1]));
  // 1x1 -> 3x3: the parent's kernel lands in the centre; the ring keeps the child's initialisation.
  const grown = c.get('cells.0.edges.3_1.op.1.weight');
  const small = p.get('cells.0.edges.3_1.op.1.weight');
  const init = before.get('cells.0.edges.3_1.op.1.weight');
  assert.ok(grown && small && init);
  for (const [o, i, y, x] of indices([4, 4, 3, 3])) {
    const want: number = y === 1 && x === 1 ? at(small, [o, i, 0, 0]) : at(init, [o, i, y, x]);
    assert.equal(at(grown, [o, i, y, x]), want);
  }
  let elements = 0;
  for (const n of report.exact) elements += c.get(n)?.data.length ?? 0;
  const centres = 2 * (4 * 4 + 8 * 8 + 16 * 16);
  assert.equal(report.elements, elements + centres, 'exact elements plus the kernel centres of the sliced tensors');
  assert.equal(report.totalElements, [...c.values()].reduce((s, v) => s + v.data.length, 0));

  // grownKernels 'zero': the ring around an inherited centre is zeroed (a network morphism).
  manualSeed(2);
  const morph = buildNetwork(nb201.parse(CHILD), opts);
  const sd = parent.stateDict();
  inheritWeights(morph, sd, { grownKernels: 'zero' });
  dispose([...sd.values()]);
  const m = snapshot(morph).get('cells.0.edges.3_1.op.1.weight');
  assert.ok(m);
  for (const [o, i, y, x] of indices([4, 4, 3, 3])) assert.equal(at(m, [o, i, y, x]), y === 1 && x === 1 ? at(small, [o, i, 0, 0]) : 0);
  for (const net of [parent, child, morph]) net.dispose();
  assert.equal(memory().liveTensors, live, 'no tensor left behind');
});

test('across widths the overlapping leading channels are copied; exclude keeps tensors fresh', () => {
  const live = memory().liveTensors;
  const wide = trainedParent(PARENT, { ...opts, channels: 8 }, 3);
  const w = snapshot(wide);
  const sd = wide.stateDict();
  manualSeed(4);
  const narrow = buildNetwork(nb201.parse(PARENT), opts);
  const r = inheritWeights(narrow, sd, { exclude: (n) => n.startsWith('classifier.') });
  const n = snapshot(narrow);
  assert.deepEqual(r.fresh.sort(), ['classifier.bias', 'classifier.weight']);
  assert.equal(r.tensors, n.size - 2);
  // Wide to narrow: every sliced tensor is the leading block of the parent's.
  const stem = n.get('stem.0.weight');
  const wstem = w.get('stem.0.weight');
  assert.ok(stem && wstem);
  assert.deepEqual(stem.shape, [4, 1, 3, 3]);
  for (const idx of indices(stem.shape)) assert.equal(at(stem, idx), at(wstem, idx));
  const conv = n.get('cells.0.edges.1_0.op.1.weight');
  const wconv = w.get('cells.0.edges.1_0.op.1.weight');
  assert.ok(conv && wconv);
  for (const idx of indices(conv.shape)) assert.equal(at(conv, idx), at(wconv, idx));
  const rv = n.get('cells.0.edges.1_0.op.2.running_var');
  assert.deepEqual(rv?.data, w.get('cells.0.edges.1_0.op.2.running_var')?.data.slice(0, 4));

  // Narrow to wide: the leading block is the parent's, the rest the child's initialisation.
  manualSeed(5);
  const wider = buildNetwork(nb201.parse(PARENT), { ...opts, channels: 8 });
  const init = snapshot(wider).get('cells.0.edges.1_0.op.1.weight');
  const nsd = narrow.stateDict();
  const r2 = inheritWeights(wider, nsd);
  dispose([...nsd.values()]);
  const got = snapshot(wider).get('cells.0.edges.1_0.op.1.weight');
  assert.ok(init && got);
  for (const idx of indices(got.shape)) {
    const inside = idx[0] < 4 && idx[1] < 4;
    assert.equal(at(got, idx), inside ? at(conv, idx) : at(init, idx));
  }
  assert.ok(r2.sliced.length > 10 && r2.exact.some((x) => x.endsWith('num_batches_tracked')));
  dispose([...sd.values()]);
  for (const net of [wide, narrow, wider]) net.dispose();
  assert.equal(memory().liveTensors, live);
});

test('trainArchitecture saves a parent and starts a child from it', async () => {
  const live = memory().liveTensors;
  manualSeed(0);
  const x = randn([256, 1, 8, 8]);
  const y = randint(0, 10, [256]);
  const data = { train: { images: x, labels: y }, numClasses: 10, inputShape: [1, 8, 8] };
  const path = join(dir, 'trained-parent.safetensors');
  const parent = await trainArchitecture({ arch: nb201.parse(PARENT).toJSON(), network: { channels: 4, cells: 1 }, recipe: { epochs: 1, batchSize: 64 }, saveTo: path }, data);
  assert.equal(parent.status, 'ok');
  assert.equal(parent.inherited, undefined);
  const child = await trainArchitecture({ arch: nb201.parse(CHILD).toJSON(), network: { channels: 4, cells: 1 }, recipe: { epochs: 1, batchSize: 64 }, inheritFrom: path }, data);
  assert.equal(child.status, 'ok');
  assert.deepEqual(child.inherited?.parentArch, nb201.parse(PARENT).toJSON());
  assert.equal(child.inherited?.sliced.length, 6);
  assert.ok((child.inherited?.tensors ?? 0) > (child.inherited?.fresh.length ?? 0));
  dispose([x, y]);
  assert.equal(memory().liveTensors, live);
});
