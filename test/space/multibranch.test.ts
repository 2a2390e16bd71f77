import assert from 'node:assert/strict';
import { test } from 'node:test';
import { dispose, manualSeed, memory, setNumThreads } from '../../src/engine/index.js';
import { ArchitectureError, chain, getSpace, multibranch } from '../../src/space/index.js';
import { GraphNetwork, buildNetwork } from '../../src/space/networks/index.js';
import { forwardBackward, realBatch } from './batch.js';

setNumThreads(1);
const batch = () => realBatch();

const LAYERS = 'conv-3-32-1,sep-5-64-2,max-3-16-2+0,conv-1-128-1+0+1,avg-3-16-1,sep-3-64-1+2';

test('multibranch: registry, text form round trip, errors', () => {
  assert.equal(getSpace('multibranch'), multibranch);
  // Per layer 96 choices; skip subsets 2^1 * 2^2 * 2^3 * 2^4 for layers 2..5; merge 2.
  assert.equal(multibranch.size(), 2 * 96 ** 6 * 2 ** 10);
  for (const m of ['sum', 'concat']) {
    const a = multibranch.parse(`${m}|${LAYERS}`);
    assert.equal(multibranch.format(a), `${m}|${LAYERS}`);
    assert.deepEqual(multibranch.layers(a)[3].skips, [0, 1]);
  }
  for (const x of multibranch.sampleMany(200, 1)) assert.equal(multibranch.parse(multibranch.format(x)).key, x.key);
  const bad: [string, RegExp][] = [
    [LAYERS, /lacks the merge prefix/],
    [`add|${LAYERS}`, /unknown merge 'add'/],
    [`sum|${LAYERS.replace('max-3-16-2+0', 'max-3-16-2+1')}`, /layer 2: skip input 1 is not an earlier layer other than its predecessor \(allowed: 0..0\)/],
    [`sum|${LAYERS.replace('sep-5-64-2', 'sep-5-64-2+0')}`, /layer 1: skip input 0 .*allowed: none/],
    [`sum|${LAYERS.replace('+0+1', '+x')}`, /skip input '\+x' is not a layer index/],
    [`sum|${LAYERS.replace('+0+1', '+1+1')}`, /lists a node twice/],
    [`sum|${LAYERS.replace('conv-1', 'conv-2')}`, /kernel '2' is not one of 1, 3, 5/],
  ];
  for (const [s, re] of bad) assert.throws(() => multibranch.parse(s), (e: unknown) => e instanceof ArchitectureError && re.test(e.message), `${s} -> ${re}`);
});

test('multibranch: without skips it is the chain network; skips add projections or channels', () => {
  const plain = 'conv-3-32-1,sep-5-64-2,max-3-16-2,conv-1-128-1,avg-3-16-1,sep-3-64-1';
  for (const m of ['sum', 'concat']) assert.equal(multibranch.measure(multibranch.parse(`${m}|${plain}`)).params, chain.measure(chain.parse(plain)).params);
  const sum = multibranch.parse(`sum|${LAYERS}`);
  const concat = multibranch.parse(`concat|${LAYERS}`);
  // Concat: layer 2 (a pool) reads 64 + 32 and keeps 96; layer 3 reads 96 + 32 + 64; layer 5 reads 128 + 96.
  assert.deepEqual(multibranch.shapes(concat, [3, 32, 32], 16).cin, [3, 32, 96, 192, 128, 224]);
  assert.deepEqual(multibranch.shapes(sum, [3, 32, 32], 16).cin, [3, 32, 64, 64, 128, 128]);
  assert.ok(multibranch.isomorphic(sum, multibranch.parse(`sum|${LAYERS.replace('avg-3-16-1', 'avg-3-64-1')}`)));
  // By hand at 3x32x32 (see chain.test.ts): sum adds 1x1 conv + BN projections for 2_0 (32->64), 3_0 (32->64) and 5_2 (64->128);
  // concat widens layer 3 (conv1 from 192) and layer 5 (sep3 from 224).
  const chainParams = 9 * 3 * 32 + 64 + (25 * 32 + 32 * 64 + 128) + (64 * 128 + 256) + (9 * 128 + 128 * 64 + 128) + 64 * 10 + 10;
  assert.equal(multibranch.measure(sum).params, chainParams + 2 * (32 * 64 + 128) + (64 * 128 + 256));
  assert.equal(multibranch.measure(concat).params, chainParams + (192 - 64) * 128 + (9 + 64) * (224 - 128));
});

test('100 seeded random multi-branch architectures compile, train a step on a real batch, and match the formula', () => {
  const { x, y, input } = batch();
  const opts = { input, classes: 10, channels: 2 };
  const base = memory().liveTensors;
  manualSeed(1);
  let skips = 0;
  for (const arch of multibranch.sampleMany(100, 2026)) {
    const net = buildNetwork(arch, opts);
    assert.ok(net instanceof GraphNetwork);
    const str = multibranch.format(arch);
    skips += multibranch.layers(arch).reduce((n, l) => n + l.skips.length, 0);
    assert.equal(net.numParameters(), multibranch.measure(arch, opts).params, `params of ${str}`);
    const { loss, biasGrad, shape } = forwardBackward(net, x, y);
    assert.deepEqual(shape, [x.shape[0], 10]);
    assert.ok(Number.isFinite(loss) && loss > 0, `loss of ${str}: ${loss}`);
    assert.ok(biasGrad > 0, `the classifier gets a gradient: ${str}`);
    net.dispose();
  }
  assert.ok(skips > 200, `random archs use skips (${skips})`);
  assert.equal(memory().liveTensors, base, 'no tensors leak');
  dispose([x, y]);
});
