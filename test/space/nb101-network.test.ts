import assert from 'node:assert/strict';
import { test } from 'node:test';
import { type Tensor, dispose, manualSeed, memory, randn, setNumThreads, tidy } from '../../src/engine/index.js';
import { nb101 } from '../../src/space/index.js';
import { GraphNetwork, buildNetwork } from '../../src/space/networks/index.js';
import { forwardBackward, realBatch } from './batch.js';

// One intra-op thread: the test runner runs two files at once, and tiny convolutions gain nothing from more.
setNumThreads(1);

const batch = () => realBatch();

const README =
  '{"matrix":[[0,1,1,1,0,1,0],[0,0,0,0,0,0,1],[0,0,0,0,0,0,1],[0,0,0,0,1,0,0],[0,0,0,0,0,0,1],[0,0,0,0,0,0,1],[0,0,0,0,0,0,0]],"ops":["input","conv1x1-bn-relu","conv3x3-bn-relu","conv3x3-bn-relu","conv3x3-bn-relu","maxpool3x3","output"]}';

test('the default network (C=128, 3x3 cells, 3x32x32, 10 classes) has the benchmark parameter count', () => {
  const before = memory().liveTensors;
  const net = buildNetwork(nb101.parse(README));
  assert.ok(net instanceof GraphNetwork);
  // NAS-Bench-101's trainable_parameters for the README cell.
  assert.equal(net.numParameters(), 2694282);
  assert.equal(nb101.measure(nb101.parse(README)).params, 2694282);
  // Module names follow the benchmark's variable scopes (stem, stack<s>/module<m>/vertex_<t>, dense).
  const names = [...net.namedParameters()].map(([n]) => n);
  for (const n of ['stem.conv.weight', 'stack0.module0.vertex_1.projection.conv.weight', 'stack2.module2.vertex_4.op.bn.bias', 'dense.bias'])
    assert.ok(names.includes(n), `${n} in ${names.slice(0, 6).join(' ')} ...`);
  // The README cell's input does not feed its output directly: no output projection.
  assert.ok(!names.some((n) => n.includes('output.projection')));
  net.dispose();
  assert.equal(memory().liveTensors, before);
});

test('100 seeded random NB101 architectures compile, train a step on a real batch, and match the formula', () => {
  const { x, y, input } = batch();
  const opts = { input, classes: 10, channels: 6, cells: 1 };
  const base = memory().liveTensors;
  manualSeed(1);
  const archs = nb101.sampleMany(100, 2026);
  assert.equal(new Set(archs.map((a) => a.key)).size, 100);
  for (const arch of archs) {
    const net = buildNetwork(arch, opts);
    const str = nb101.format(arch);
    assert.equal(net.numParameters(), nb101.measure(arch, opts).params, `params of ${str}`);
    const { loss, stemGrad, biasGrad, shape } = forwardBackward(net, x, y);
    assert.deepEqual(shape, [x.shape[0], 10]);
    assert.ok(Number.isFinite(loss) && loss > 0, `loss of ${str}: ${loss}`);
    assert.ok(biasGrad > 0, `the classifier gets a gradient: ${str}`);
    assert.ok(stemGrad > 0, `the stem gets a gradient (every cell connects input to output): ${str}`);
    net.zeroGrad();
    net.dispose();
  }
  assert.equal(memory().liveTensors, base, 'no tensors leak');
  dispose([x, y]);
});

test('odd input sizes pool with ceil (TF "same"), eval mode runs, too-small inputs and channels are rejected', () => {
  const arch = nb101.parse(README);
  const opts = { input: [1, 9, 9] as [number, number, number], channels: 5, cells: 2 };
  const net = buildNetwork(arch, opts).eval();
  assert.equal(net.numParameters(), nb101.measure(arch, opts).params);
  const out = tidy(() => {
    manualSeed(3);
    return (net.call(randn([2, 1, 9, 9])) as Tensor).shape;
  });
  assert.deepEqual(out, [2, 10]);
  net.dispose();
  assert.throws(() => buildNetwork(arch, { input: [3, 3, 3] }), /too small for the two 2x2 max-pool reductions/);
  assert.throws(() => buildNetwork(arch, { channels: 3 }), /3 output channels cannot be split among the output's 4 inputs/);
});
