import assert from 'node:assert/strict';
import { test } from 'node:test';
import { dispose, manualSeed, memory, setNumThreads } from '../../src/engine/index.js';
import { ArchitectureError, ChainSpace, chain, getSpace } from '../../src/space/index.js';
import { GraphNetwork, buildNetwork } from '../../src/space/networks/index.js';
import { forwardBackward, realBatch } from './batch.js';

setNumThreads(1);
const batch = () => realBatch();

const EXAMPLE = 'conv-3-32-1,sep-5-64-2,max-3-16-2,conv-1-128-1,avg-3-16-1,sep-3-64-1';

test('chain: registry, size, text form round trip', () => {
  assert.equal(getSpace('chain'), chain);
  assert.equal(chain.size(), 96 ** 6);
  assert.equal(chain.decisions.length, 24);
  const a = chain.parse(EXAMPLE);
  assert.equal(chain.format(a), EXAMPLE);
  assert.deepEqual(chain.layers(a)[1], { type: 'sep', kernel: 5, filters: 64, stride: 2 });
  assert.equal(chain.parse(JSON.stringify(a)).key, a.key);
  for (const x of chain.sampleMany(200, 1)) assert.equal(chain.parse(chain.format(x)).key, x.key);
  assert.equal(new ChainSpace(3, 'chain3').sampleMany(5, 1).length, 5);
});

test('chain: clear errors on bad strings', () => {
  const bad: [string, RegExp][] = [
    ['', /empty architecture string/],
    ['conv-3-32-1', /has 1 layer\(s\), need 6/],
    [EXAMPLE.replace('sep-5', 'dil-5'), /layer 1 'dil-5-64-2': unknown op type 'dil'/],
    [EXAMPLE.replace('conv-3-32', 'conv-7-32'), /layer 0 'conv-7-32-1': kernel '7' is not one of 1, 3, 5/],
    [EXAMPLE.replace('conv-3-32', 'conv-3-48'), /filters '48' is not one of 16, 32, 64, 128/],
    [EXAMPLE.replace('max-3-16-2', 'max-3-16-4'), /stride '4' is not one of 1, 2/],
    [EXAMPLE.replace('max-3-16-2', 'max-3-2'), /layer 2 'max-3-2': has 3 field\(s\), need 4/],
  ];
  for (const [s, re] of bad) assert.throws(() => chain.parse(s), (e: unknown) => e instanceof ArchitectureError && re.test(e.message), `${s} -> ${re}`);
});

test('chain: pools ignore filters, so the canonical form fixes them', () => {
  const a = chain.parse(EXAMPLE);
  const b = chain.parse(EXAMPLE.replace('max-3-16-2', 'max-3-128-2').replace('avg-3-16-1', 'avg-3-32-1'));
  assert.notEqual(a.key, b.key);
  assert.ok(chain.isomorphic(a, b));
  assert.equal(chain.canonicalize(b).key, a.key);
  assert.equal(chain.measure(a).params, chain.measure(b).params);
  assert.ok(!chain.isomorphic(a, chain.parse(EXAMPLE.replace('conv-3-32-1', 'conv-3-64-1'))));
  // Formula by hand at 3x32x32: conv3 3->32 (32x32), sep5 32->64 (s2, 16x16), max (8x8), conv1 64->128, avg, sep3 128->64, linear 64->10.
  const params = 9 * 3 * 32 + 64 + (25 * 32 + 32 * 64 + 128) + (64 * 128 + 256) + (9 * 128 + 128 * 64 + 128) + 64 * 10 + 10;
  assert.equal(chain.measure(a).params, params);
});

test('100 seeded random chain architectures compile, train a step on a real batch, and match the formula', () => {
  const { x, y, input } = batch();
  const opts = { input, classes: 10, channels: 2 };
  const base = memory().liveTensors;
  manualSeed(1);
  for (const arch of chain.sampleMany(100, 2026)) {
    const net = buildNetwork(arch, opts);
    assert.ok(net instanceof GraphNetwork);
    const str = chain.format(arch);
    assert.equal(net.numParameters(), chain.measure(arch, opts).params, `params of ${str}`);
    const { loss, biasGrad, shape } = forwardBackward(net, x, y);
    assert.deepEqual(shape, [x.shape[0], 10]);
    assert.ok(Number.isFinite(loss) && loss > 0, `loss of ${str}: ${loss}`);
    assert.ok(biasGrad > 0, `the classifier gets a gradient: ${str}`);
    net.dispose();
  }
  assert.equal(memory().liveTensors, base, 'no tensors leak');
  dispose([x, y]);
  assert.throws(() => chain.measure(chain.parse(EXAMPLE), { cells: 3 }), /chain: has no cells/);
});
