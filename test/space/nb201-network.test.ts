import assert from 'node:assert/strict';
import { test } from 'node:test';
import { F, type Tensor, dispose, manualSeed, memory, randn, setNumThreads, tidy } from '../../src/engine/index.js';
import { nb201, nb201CellGraph } from '../../src/space/index.js';
import { GraphNetwork, buildNetwork, compileGraph } from '../../src/space/networks/index.js';
import { forwardBackward, realBatch } from './batch.js';

// One intra-op thread: the test runner runs two files at once, and tiny convolutions gain nothing from more.
setNumThreads(1);

const batch = () => realBatch(3);

test('the default network (C=16, N=5, 3x32x32, 10 classes) has the benchmark parameter counts', () => {
  const before = memory().liveTensors;
  for (const [s, want] of [
    ['|nor_conv_3x3~0|+|nor_conv_3x3~0|nor_conv_3x3~1|+|nor_conv_3x3~0|nor_conv_3x3~1|nor_conv_3x3~2|', 1531546],
    ['|none~0|+|none~0|none~1|+|none~0|none~1|none~2|', 73306],
  ] as const) {
    const net = buildNetwork(nb201.parse(s));
    assert.ok(net instanceof GraphNetwork);
    assert.equal(net.numParameters(), want);
    assert.equal(nb201.measure(nb201.parse(s)).params, want);
    const names = [...net.namedParameters()].map(([n]) => n);
    assert.ok(names.includes('stem.0.weight') && names.includes('classifier.bias'), 'NB201 module names');
    if (!s.includes('none')) assert.ok(names.includes('cells.0.edges.1_0.op.1.weight') && names.includes('cells.5.conv_a.op.1.weight'), names.slice(0, 8).join(' '));
    net.dispose();
  }
  assert.equal(memory().liveTensors, before);
});

test('100 seeded random NB201 architectures compile, train a step on a real batch, and match the formula', () => {
  const { x, y, input } = batch();
  const opts = { input, classes: 10, channels: 4, cells: 1 };
  const base = memory().liveTensors;
  manualSeed(1);
  const archs = nb201.sampleMany(100, 2026);
  let connected = 0;
  assert.equal(new Set(archs.map((a) => a.key)).size, 100);
  for (const arch of archs) {
    const net = buildNetwork(arch, opts);
    const str = nb201.format(arch);
    assert.equal(net.numParameters(), nb201.measure(arch, opts).params, `params of ${str}`);
    const { loss, stemGrad, biasGrad, shape } = forwardBackward(net, x, y);
    assert.deepEqual(shape, [x.shape[0], 10]);
    assert.ok(Number.isFinite(loss) && loss > 0, `loss of ${str}: ${loss}`);
    assert.ok(biasGrad > 0, `the classifier gets a gradient: ${str}`);
    // A cell whose output does not reach its input passes zeros on, so only a connected cell lets gradients reach the stem.
    assert.equal(stemGrad > 0, nb201.connected(arch), `the stem gets a gradient iff the cell is connected: ${str}`);
    if (nb201.connected(arch)) connected++;
    net.zeroGrad();
    net.dispose();
  }
  assert.ok(connected > 50, `most random cells are connected (${connected}/100)`);
  assert.equal(memory().liveTensors, base, 'no tensors leak');
  dispose([x, y]);
});

test('a node with only none inputs is zero, and eval mode runs', () => {
  const arch = nb201.parse('|none~0|+|none~0|none~1|+|nor_conv_1x1~0|nor_conv_3x3~1|none~2|');
  const net = buildNetwork(arch, { input: [3, 8, 8], channels: 4, cells: 2 }).eval();
  const out = tidy(() => {
    manualSeed(3);
    return (net.call(randn([2, 3, 8, 8])) as Tensor).toArray();
  });
  assert.equal((out as number[][]).length, 2);
  net.dispose();
  assert.throws(() => buildNetwork(arch, { input: [3, 10, 10] }), /multiples of 4/);
});

test('cells sum their incoming edges: all-skip gives 4x, pools and zeros as in the benchmark', () => {
  const base = memory().liveTensors;
  manualSeed(5);
  const x = randn([2, 3, 6, 6]);
  const cell = (s: string) => compileGraph(nb201CellGraph(nb201.parse(s), [3, 6, 6]));
  const diff = (a: Tensor, b: Tensor) => tidy(() => a.sub(b).abs().max().item());
  // node1 = x, node2 = x + node1 = 2x, node3 = x + node1 + node2 = 4x.
  const skip = cell('|skip_connect~0|+|skip_connect~0|skip_connect~1|+|skip_connect~0|skip_connect~1|skip_connect~2|');
  assert.ok(tidy(() => diff(skip.call(x), x.mul(4))) < 1e-6);
  // node3 = pool(x) + pool(pool(x)), with the other edges none; padding is not counted in the average.
  const pool = cell('|avg_pool_3x3~0|+|none~0|none~1|+|avg_pool_3x3~0|avg_pool_3x3~1|none~2|');
  const want = () => {
    const p = F.avgPool2d(x, 3, { stride: 1, padding: 1, countIncludePad: false });
    return p.add(F.avgPool2d(p, 3, { stride: 1, padding: 1, countIncludePad: false }));
  };
  assert.ok(tidy(() => diff(pool.call(x), want())) < 1e-6);
  // A node whose inputs are all none is zero; so is the output of a disconnected cell.
  const zero = cell('|none~0|+|none~0|skip_connect~1|+|none~0|none~1|skip_connect~2|');
  assert.equal(tidy(() => (zero.call(x) as Tensor).abs().sum().item()), 0);
  for (const m of [skip, pool, zero]) m.dispose();
  x.dispose();
  assert.equal(memory().liveTensors, base);
});
