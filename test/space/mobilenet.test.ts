import assert from 'node:assert/strict';
import { test } from 'node:test';
import { type Tensor, dispose, manualSeed, memory, noGrad, randn, setNumThreads, tidy } from '../../src/engine/index.js';
import {
  type Architecture,
  ArchitectureError,
  GraphBuilder,
  MOBILENET_V2,
  getOp,
  getSpace,
  makeDivisible,
  mobilenet,
  mobilenetStrides,
  mobilenetWidths,
  spaceNames,
} from '../../src/space/index.js';
import { GraphNetwork, buildNetwork, compileGraph } from '../../src/space/networks/index.js';
import { forwardBackward, realBatch } from './batch.js';

// One intra-op thread: the test runner runs two files at once, and tiny convolutions gain nothing from more.
setNumThreads(1);

const V2 = 'k3e1d1,k3e6d2,k3e6d3,k3e6d4,k3e6d3,k3e6d3,k3e6d1';
const EXAMPLE = 'k5e3d2se,k3e6d1,k7e1d4se,k3e3d3,k5e6d2,k7e6d1se,k3e1d2';
const isArchErr = (re: RegExp) => (e: unknown) => e instanceof ArchitectureError && re.test(e.message);

test('mobilenet: registry, decisions, size, text and JSON forms round trip', () => {
  assert.ok(spaceNames().includes('mobilenet'));
  assert.equal(getSpace('mobilenet'), mobilenet);
  assert.equal(mobilenet.decisions.length, 28);
  assert.equal(mobilenet.size(), 72 ** 7);
  assert.equal(mobilenet.uniqueCount(), 72 ** 7);
  const info = mobilenet.describe();
  assert.equal(info.size, 10_030_613_004_288);
  assert.equal(info.encodings.onehot, 7 * (3 + 3 + 4 + 2));
  const v2 = mobilenet.fromStages(MOBILENET_V2);
  assert.equal(mobilenet.format(v2), V2);
  assert.equal(mobilenet.parse(V2).key, v2.key);
  const a = mobilenet.parse(` ${EXAMPLE.replaceAll(',', ' , ')} `);
  assert.equal(mobilenet.format(a), EXAMPLE);
  assert.deepEqual(mobilenet.stages(a)[0], { kernel: 5, expand: 3, depth: 2, se: true });
  assert.deepEqual(mobilenet.stages(a)[6], { kernel: 3, expand: 1, depth: 2, se: false });
  assert.equal(a.values.kernel3, 7);
  assert.equal(a.values.se3, true);
  assert.equal(mobilenet.parse(JSON.stringify(a)).key, a.key);
  assert.equal(mobilenet.fromJSON(a.toJSON()).key, a.key);
  for (const x of mobilenet.sampleMany(200, 1)) assert.equal(mobilenet.parse(mobilenet.format(x)).key, x.key);
  assert.equal(mobilenet.encode(a).length, 84);
});

test('mobilenet: clear errors naming the bad token', () => {
  const bad: [string, RegExp][] = [
    ['', /empty architecture string/],
    ['k3e6d2', /'k3e6d2' has 1 stage token\(s\), need 7/],
    [`${V2},k3e6d1`, /has 8 stage token\(s\), need 7/],
    [V2.replace('k3e6d4', 'k4e6d4'), /stage 4 'k4e6d4': kernel 4 is not one of 3, 5, 7/],
    [V2.replace('k3e6d4', 'k3e2d4'), /stage 4 'k3e2d4': expansion 2 is not one of 1, 3, 6/],
    [V2.replace('k3e1d1', 'k3e1d5'), /stage 1 'k3e1d5': depth 5 is not one of 1, 2, 3, 4/],
    [V2.replace('k3e1d1', 'k3e1d0'), /stage 1 'k3e1d0': depth 0 is not one of/],
    [V2.replace('k3e1d1', 'k03e1d1'), /stage 1 'k03e1d1': kernel '03' has a leading zero/],
    [V2.replace('k3e6d2', 'k3e6d2SE'), /stage 2 'k3e6d2SE': is not a stage token \(expected k<kernel>e<expand>d<depth>/],
    [V2.replace('k3e6d2', 'e6k3d2'), /stage 2 'e6k3d2': is not a stage token/],
    [V2.replace('k3e6d1', ''), /stage 7 '': is not a stage token/],
  ];
  for (const [s, re] of bad) assert.throws(() => mobilenet.parse(s), isArchErr(re), `${s} -> ${re}`);
  const values = { ...mobilenet.parse(V2).values };
  assert.throws(() => mobilenet.arch({ ...values, kernel2: 9 }), isArchErr(/decision 'kernel2': 9 is not one of 3, 5, 7/));
  assert.throws(() => mobilenet.arch({ ...values, se5: 'yes' }), isArchErr(/decision 'se5': "yes" is not one of false, true/));
  assert.throws(() => mobilenet.arch({ ...values, depth8: 1 }), isArchErr(/unknown decision 'depth8'/));
  assert.throws(() => mobilenet.fromJSON({ space: 'nb201', values }), isArchErr(/is an architecture of space 'nb201'/));
  assert.throws(() => mobilenet.parse('{"values": {'), isArchErr(/not valid JSON/));
});

test('mobilenet: sampling, neighbours, mutation and crossover stay in the space', () => {
  const archs = mobilenet.sampleMany(300, 7);
  assert.equal(new Set(archs.map((a) => a.key)).size, 300);
  assert.deepEqual(
    mobilenet.sampleMany(5, 7).map((a) => a.key),
    archs.slice(0, 5).map((a) => a.key),
    'seeded',
  );
  // Every value of every decision turns up.
  for (const d of ['kernel', 'expand', 'depth', 'se']) {
    const seen = new Set(archs.map((a) => a.values[`${d}4`]));
    assert.equal(seen.size, d === 'depth' ? 4 : d === 'se' ? 2 : 3, `${d}4 takes every value`);
  }
  const differs = (a: Architecture, b: Architecture) => mobilenet.decisions.filter((d) => a.values[d.name] !== b.values[d.name]).map((d) => d.name);
  // MobileNetV2: 2 other kernels and 2 other expansions per stage, SE flips, depths +-1 within 1..4.
  const v2 = mobilenet.parse(V2);
  const nb = mobilenet.neighbours(v2);
  assert.equal(nb.length, 7 * 2 + 7 * 2 + 7 + (1 + 2 + 2 + 1 + 2 + 2 + 1));
  for (const n of nb) assert.equal(differs(v2, n).length, 1);
  for (const [i, a] of archs.slice(0, 100).entries()) {
    const m = mobilenet.mutate(a, i);
    assert.equal(differs(a, m).length, 1, 'a mutation changes one decision');
    assert.equal(mobilenet.arch({ ...m.values }).key, m.key, 'and stays valid');
    const b = archs[i + 100];
    const c = mobilenet.crossover(a, b, i);
    for (const d of mobilenet.decisions) assert.ok(c.values[d.name] === a.values[d.name] || c.values[d.name] === b.values[d.name]);
    assert.equal(mobilenet.parse(mobilenet.format(c)).key, c.key);
  }
});

test('mobilenet: MobileNetV2 at 3x224x224 has torchvision\'s 3,504,872 parameters and 300.8M multiply-adds', () => {
  const v2 = mobilenet.parse(V2);
  const m = mobilenet.measure(v2);
  assert.equal(m.params, 3_504_872);
  assert.equal(m.flops, 300_774_272);
  const before = memory().liveTensors;
  const net = buildNetwork(v2);
  assert.ok(net instanceof GraphNetwork);
  assert.equal(net.numParameters(), 3_504_872);
  const names = [...net.namedParameters()].map(([n]) => n);
  for (const n of ['features.0.conv.weight', 'features.1.0.depthwise.conv.weight', 'features.2.1.expand.conv.weight', 'features.4.3.bn.bias', 'features.8.conv.weight', 'classifier.1.weight'])
    assert.ok(names.includes(n), `${n} in ${names.slice(0, 6).join(' ')} ...`);
  assert.ok(!names.includes('features.1.0.expand.conv.weight'), 'stage 1 (expansion 1) has no expansion conv');
  // Stages are drawing groups; the blocks' strides follow the template.
  const g = net.graph;
  const blocks = g.nodes.filter((n) => n.op === 'mbconv');
  assert.equal(blocks.length, 17);
  assert.deepEqual(
    [...new Set(blocks.map((n) => n.group))],
    Array.from({ length: 7 }, (_, i) => `stage ${i + 1}`),
  );
  assert.deepEqual(
    blocks.filter((n) => n.attrs.stride === 2).map((n) => n.name),
    ['features.2.0', 'features.3.0', 'features.4.0', 'features.6.0'],
  );
  assert.deepEqual(g.nodes[g.outputs.logits].shape, [1000]);
  tidy(() => {
    manualSeed(0);
    const y = noGrad(() => net.eval().call(randn([1, 3, 224, 224])) as Tensor);
    assert.deepEqual(y.shape, [1, 1000]);
    assert.ok(Number.isFinite(y.abs().sum().item()));
  });
  net.dispose();
  assert.equal(memory().liveTensors, before);
  // SE and larger kernels cost what the formula says, by hand: one stage-2-like block, 16 -> 24
  // channels, k5, expansion 3, stride 2, SE 0.25 on 16x16 (mid 48, SE width 4).
  const spec = getOp('mbconv');
  const a = { out: 24, k: 5, expand: 3, stride: 2, se: 0.25 };
  const params = 16 * 48 + 96 + (48 * 25 + 96) + (48 * 4 + 4 + 4 * 48 + 48) + (48 * 24 + 48);
  const flops = 16 * 48 * 256 + 48 * 25 * 64 + 2 * 48 * 4 + 48 * 24 * 64;
  assert.deepEqual(spec.shape(a, [[16, 16, 16]]), [24, 8, 8]);
  assert.equal(spec.params(a, [[16, 16, 16]], [24, 8, 8]), params);
  assert.equal(spec.flops(a, [[16, 16, 16]], [24, 8, 8]), flops);
  assert.match(spec.label(a, [[16, 16, 16]], [24, 8, 8]), /MBConv3 5x5 \/2 SE → 24/);
  assert.throws(() => spec.shape({ out: 4, k: 4 }, [[4, 8, 8]]), /kernel size must be odd, got 4/);
  assert.throws(() => spec.shape({ out: 4, k: 3, se: 2 }, [[4, 8, 8]]), /'se' must be a ratio from 0 \(none\) to 1, got 2/);
  assert.throws(() => spec.shape({ out: 4, k: 3, act: 'elu' }, [[4, 8, 8]]), /'act' must be one of relu, relu6, hswish/);
});

test('mobilenet: an mbconv block adds its input exactly when the stride is 1 and the widths match', () => {
  const base = memory().liveTensors;
  manualSeed(2);
  const x = randn([2, 8, 6, 6]);
  for (const [attrs, residual] of [
    [{ out: 8, k: 3, expand: 6, se: 0.25 }, true],
    [{ out: 8, k: 5, expand: 1 }, true],
    [{ out: 8, k: 3, expand: 3, stride: 2 }, false],
    [{ out: 16, k: 3, expand: 3 }, false],
  ] as const) {
    const g = new GraphBuilder([8, 6, 6]);
    const net = compileGraph(g.output('logits', g.add('mbconv', g.input, attrs, 'block')).build()).eval();
    // With the projection's BN zeroed the branch outputs zeros: the block is then x or 0.
    noGrad(() => {
      for (const [n, p] of net.namedParameters()) if (n.startsWith('block.bn.')) p.zero_();
    });
    const diff = tidy(() => {
      const y = net.call(x) as Tensor;
      return residual ? y.sub(x).abs().max().item() : y.abs().max().item();
    });
    assert.equal(diff, 0, `${JSON.stringify(attrs)}: ${residual ? 'y = x' : 'y = 0'}`);
    net.dispose();
  }
  x.dispose();
  assert.equal(memory().liveTensors, base);
});

test('mobilenet: widths scale like torchvision, strides drop for small inputs, bad options are clear errors', () => {
  assert.deepEqual([8, 11.2, 12, 16, 20, 22.4, 40, 1280, 3.2].map((v) => makeDivisible(v)), [8, 16, 16, 16, 24, 24, 40, 1280, 8]);
  assert.deepEqual(mobilenetWidths(32), { stem: 32, stages: [16, 24, 32, 64, 96, 160, 320], last: 1280 });
  assert.deepEqual(mobilenetWidths(8), { stem: 8, stages: [8, 8, 8, 16, 24, 40, 80], last: 1280 });
  assert.deepEqual(mobilenetWidths(48), { stem: 48, stages: [24, 40, 48, 96, 144, 240, 480], last: 1920 });
  // All five reductions at 224 (7x7 at the end); the stem's and stage 2's go first for smaller inputs.
  assert.deepEqual(mobilenetStrides(224, 224), { stem: 2, stages: [1, 2, 2, 2, 1, 2, 1] });
  assert.deepEqual(mobilenetStrides(128, 128), { stem: 2, stages: [1, 2, 2, 2, 1, 2, 1] });
  assert.deepEqual(mobilenetStrides(96, 96), { stem: 1, stages: [1, 2, 2, 2, 1, 2, 1] });
  assert.deepEqual(mobilenetStrides(32, 32), { stem: 1, stages: [1, 1, 2, 2, 1, 2, 1] });
  assert.deepEqual(mobilenetStrides(28, 40), { stem: 1, stages: [1, 1, 2, 2, 1, 2, 1] });
  assert.deepEqual(mobilenetStrides(4, 4), { stem: 1, stages: [1, 1, 1, 1, 1, 1, 1] });
  const v2 = mobilenet.parse(V2);
  const last = (o: object) => {
    const g = mobilenet.graph(v2, o);
    return g.nodes.find((n) => n.name === 'features.8')?.shape;
  };
  assert.deepEqual(last({ input: [3, 32, 32], classes: 10 }), [1280, 4, 4]);
  assert.deepEqual(last({ input: [1, 28, 28], classes: 10, channels: 8 }), [1280, 4, 4]);
  assert.deepEqual(last({ input: [3, 160, 100] }), [1280, 5, 4]);
  assert.deepEqual(last({}), [1280, 7, 7]);
  assert.throws(() => mobilenet.measure(v2, { input: [3, 3, 32] }), isArchErr(/input 3x32 is too small for the reductions: height and width must be at least 4/));
  assert.throws(() => mobilenet.measure(v2, { input: [3, 32] as unknown as [number, number, number] }), isArchErr(/input must be three positive integers/));
  assert.throws(() => mobilenet.measure(v2, { classes: 0 }), isArchErr(/classes must be a positive integer, got 0/));
  assert.throws(() => mobilenet.measure(v2, { channels: 2.5 }), isArchErr(/channels must be a positive integer, got 2.5/));
  assert.throws(() => mobilenet.measure(v2, { cells: 3 }), isArchErr(/mobilenet: has no cells/));
  // Parameters do not depend on the input size: at 3x32x32 with 10 classes only the classifier shrinks (990 fewer outputs of 1280 + 1).
  assert.equal(mobilenet.measure(v2, { input: [3, 32, 32], classes: 10 }).params, 3_504_872 - 990 * 1281);
});

test('100 seeded random mobilenet architectures compile, train a step on a real batch, and match the formula', () => {
  const { x, y, input } = realBatch();
  const opts = { input, classes: 10, channels: 8 };
  const base = memory().liveTensors;
  manualSeed(1);
  const archs = mobilenet.sampleMany(100, 2026);
  assert.ok(archs.some((a) => mobilenet.stages(a).some((s) => s.se)) && archs.some((a) => mobilenet.stages(a).some((s) => s.kernel === 7)));
  for (const arch of archs) {
    const net = buildNetwork(arch, opts);
    const str = mobilenet.format(arch);
    assert.equal(net.numParameters(), mobilenet.measure(arch, opts).params, `params of ${str}`);
    const { loss, stemGrad, biasGrad, shape } = forwardBackward(net, x, y);
    assert.deepEqual(shape, [x.shape[0], 10]);
    assert.ok(Number.isFinite(loss) && loss > 0, `loss of ${str}: ${loss}`);
    assert.ok(biasGrad > 0 && stemGrad > 0, `gradients reach the classifier and the stem: ${str}`);
    net.dispose();
  }
  assert.equal(memory().liveTensors, base, 'no tensors leak');
  dispose([x, y]);
});
