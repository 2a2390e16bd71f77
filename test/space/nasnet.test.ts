import assert from 'node:assert/strict';
import { test } from 'node:test';
import { F, manualSeed, memory, randint, randn, setNumThreads, tidy } from '../../src/engine/index.js';
import { ArchitectureError, getSpace, NASNET_OPS, nasnet, nasnetConcat, parseNasnetGenotype, spaceNames } from '../../src/space/index.js';
import { buildNetwork, GraphNetwork } from '../../src/space/networks/index.js';
import { auxTrainStep, forwardBackward, realBatch } from './batch.js';

// One intra-op thread: the test runner runs two files at once, and tiny convolutions gain nothing from more.
setNumThreads(1);

/** NASNet-A as DARTS's genotypes.py writes it (multi-line, trailing commas). */
const NASNET_A = `Genotype(
  normal = [
    ('sep_conv_5x5', 1),
    ('sep_conv_3x3', 0),
    ('sep_conv_5x5', 0),
    ('sep_conv_3x3', 0),
    ('avg_pool_3x3', 1),
    ('skip_connect', 0),
    ('avg_pool_3x3', 0),
    ('avg_pool_3x3', 0),
    ('sep_conv_3x3', 1),
    ('skip_connect', 1),
  ],
  normal_concat = [2, 3, 4, 5, 6],
  reduce = [
    ('sep_conv_5x5', 1),
    ('sep_conv_7x7', 0),
    ('max_pool_3x3', 1),
    ('sep_conv_7x7', 0),
    ('avg_pool_3x3', 1),
    ('sep_conv_5x5', 0),
    ('skip_connect', 3),
    ('avg_pool_3x3', 2),
    ('sep_conv_3x3', 2),
    ('max_pool_3x3', 1),
  ],
  reduce_concat = [4, 5, 6],
)`;
/** NASNet-A printed on one line. */
const NASNET_A_LINE =
  "Genotype(normal=[('sep_conv_5x5', 1), ('sep_conv_3x3', 0), ('sep_conv_5x5', 0), ('sep_conv_3x3', 0), ('avg_pool_3x3', 1), ('skip_connect', 0), ('avg_pool_3x3', 0), ('avg_pool_3x3', 0), ('sep_conv_3x3', 1), ('skip_connect', 1)], normal_concat=[2, 3, 4, 5, 6], reduce=[('sep_conv_5x5', 1), ('sep_conv_7x7', 0), ('max_pool_3x3', 1), ('sep_conv_7x7', 0), ('avg_pool_3x3', 1), ('sep_conv_5x5', 0), ('skip_connect', 3), ('avg_pool_3x3', 2), ('sep_conv_3x3', 2), ('max_pool_3x3', 1)], reduce_concat=[4, 5, 6])";
/** Its canonical form: each block's pairs by input, then op in NASNET_OPS order. */
const NASNET_A_CANONICAL =
  "Genotype(normal=[('sep_conv_3x3', 0), ('sep_conv_5x5', 1), ('sep_conv_3x3', 0), ('sep_conv_5x5', 0), ('skip_connect', 0), ('avg_pool_3x3', 1), ('avg_pool_3x3', 0), ('avg_pool_3x3', 0), ('skip_connect', 1), ('sep_conv_3x3', 1)], normal_concat=[2, 3, 4, 5, 6], reduce=[('sep_conv_7x7', 0), ('sep_conv_5x5', 1), ('sep_conv_7x7', 0), ('max_pool_3x3', 1), ('sep_conv_5x5', 0), ('avg_pool_3x3', 1), ('avg_pool_3x3', 2), ('skip_connect', 3), ('max_pool_3x3', 1), ('sep_conv_3x3', 2)], reduce_concat=[4, 5, 6])";

test('the registry holds nasnet: 40 decisions, 13 ops, size ((2*3*4*5*6)^2 * 13^10)^2', () => {
  assert.ok(spaceNames().includes('nasnet'));
  assert.equal(getSpace('nasnet'), nasnet);
  assert.equal(NASNET_OPS.length, 13);
  const info = nasnet.describe();
  assert.equal(info.decisions.length, 40);
  assert.equal(info.size, ((720 ** 2 * 13 ** 10) ** 2).toExponential(3));
  assert.equal(info.size, '5.107e+33');
  // Inputs one-hot over 2..6 candidates (twice per block), ops over 13 (twice per block), two cells.
  assert.equal(info.encodings.onehot, 2 * (2 * (2 + 3 + 4 + 5 + 6) + 10 * 13));
  assert.deepEqual(info.decisions.slice(0, 4).map((d) => d.name), ['normal.2.in1', 'normal.2.op1', 'normal.2.in2', 'normal.2.op2']);
});

test('genotypes: NASNet-A reads, prints and round-trips; concat is derived; the two inputs of a block are unordered', () => {
  const a = nasnet.parse(NASNET_A);
  assert.equal(nasnet.format(a), NASNET_A_LINE);
  assert.equal(nasnet.parse(NASNET_A_LINE).key, a.key);
  // The block reading hidden state 0 twice (two 3x3 average pools) is allowed, as in NASNet-A.
  assert.deepEqual([a.values['normal.5.in1'], a.values['normal.5.in2']], [0, 0]);
  // Concat lists follow from the pairs: every block unused in the normal cell; blocks 2 and 3 are read in the reduction cell.
  const g = nasnet.genotype(a);
  assert.deepEqual([g.normal_concat, g.reduce_concat], [
    [2, 3, 4, 5, 6],
    [4, 5, 6],
  ]);
  assert.deepEqual(nasnetConcat(g.reduce), [4, 5, 6]);
  const noConcat = NASNET_A_LINE.replace(', normal_concat=[2, 3, 4, 5, 6]', '').replace(', reduce_concat=[4, 5, 6]', '');
  assert.equal(nasnet.parse(noConcat).key, a.key, 'concat lists may be left out');
  assert.equal(nasnet.parse(NASNET_A_LINE.replace('reduce_concat=[4, 5, 6]', 'reduce_concat=range(4, 7)')).key, a.key);
  assert.equal(nasnet.parse(JSON.stringify(a)).key, a.key, 'the JSON form is read too');
  // Canonical form: each block's pairs sorted; the original and the canonical one are isomorphic, not equal.
  const c = nasnet.canonicalize(a);
  assert.equal(nasnet.format(c), NASNET_A_CANONICAL);
  assert.notEqual(c.key, a.key);
  assert.ok(nasnet.isomorphic(a, nasnet.parse(NASNET_A_CANONICAL)));
  assert.equal(nasnet.canonicalize(c), c, 'canonical forms are fixed points');
  // Changing an op (not just the order) breaks isomorphism.
  assert.ok(!nasnet.isomorphic(a, nasnet.parse(NASNET_A_LINE.replace("('sep_conv_5x5', 1)", "('sep_conv_7x7', 1)"))));
  assert.deepEqual(parseNasnetGenotype(NASNET_A).normal[0], ['sep_conv_5x5', 1]);
});

test('sampling, mutation, neighbours and crossover give valid architectures that round-trip through the text form', () => {
  const archs = nasnet.sampleMany(300, 11);
  assert.equal(new Set(archs.map((x) => x.key)).size, 300);
  assert.deepEqual(
    nasnet.sampleMany(5, 11).map((x) => x.key),
    archs.slice(0, 5).map((x) => x.key),
    'seeded',
  );
  let swapped = 0;
  const ops = new Set<string>();
  for (const x of archs) {
    const s = nasnet.format(x);
    assert.equal(nasnet.parse(s).key, x.key);
    for (const op of NASNET_OPS) if (s.includes(`'${op}'`)) ops.add(op);
    const c = nasnet.canonicalize(x);
    assert.ok(nasnet.isomorphic(x, c));
    assert.equal(nasnet.canonicalize(c).key, c.key);
    if (c.key !== x.key) swapped++;
    // Canonical pairs are sorted by input, then op.
    for (const cell of ['normal', 'reduce'] as const) {
      const es = nasnet.genotype(c)[cell];
      for (let k = 0; k < 10; k += 2) {
        const rank = ([op, i]: readonly [string, number]) => i * 13 + NASNET_OPS.indexOf(op as never);
        assert.ok(rank(es[k]) <= rank(es[k + 1]), `${cell} pairs ${k}, ${k + 1} of ${nasnet.format(c)}`);
      }
      // Blocks only read earlier hidden states; the output concatenates at least the last block.
      es.forEach(([, i], k) => {
        assert.ok(i >= 0 && i < 2 + (k >> 1));
      });
      assert.ok(nasnet.genotype(c)[`${cell}_concat`].includes(6));
    }
  }
  assert.equal(ops.size, 13, 'every op is sampled');
  assert.ok(swapped > 250, `most random architectures are not canonical (${swapped} of 300)`);
  const a = archs[0];
  // One decision per neighbour: per cell, inputs (1+2+3+4+5 other choices, twice) and ops (12 others, 10 times).
  const nb = nasnet.neighbours(a);
  assert.equal(nb.length, 2 * (2 * 15 + 10 * 12));
  for (const x of [...nb, nasnet.mutate(a, 1), nasnet.mutate(a, 2), nasnet.crossover(a, archs[1], 3)]) {
    assert.equal(nasnet.parse(nasnet.format(x)).key, x.key);
    assert.equal(nasnet.encode(x).length, nasnet.encodingWidth('onehot'));
  }
  assert.notEqual(nasnet.mutate(a, 1).key, a.key);
});

test('bad genotypes: clear errors naming the problem', () => {
  const A = NASNET_A_LINE;
  const bad: [string, RegExp][] = [
    ['', /nasnet: malformed genotype '': it is empty/],
    ['Genotype(normal=[', /expected an op name in quotes at the end in normal|expected '\(' starting an \('op', input\) pair of normal at the end/],
    ['NASNet(normal=[])', /must start with 'Genotype\('/],
    [`${A})`, /unexpected text after the closing '\)'/],
    [A.replace("('sep_conv_5x5', 1), ", ''), /normal has 9 \('op', input\) pair\(s\); need 10 \(two for each of the blocks 2 to 6\)/],
    [A.replace("('max_pool_3x3', 1)]", "('max_pool_3x3', 1), ('max_pool_3x3', 1)]"), /reduce has 11 \('op', input\) pair/],
    [A.replace("('sep_conv_5x5', 1)", "('conv_5x5', 1)"), /normal block 2: unknown op 'conv_5x5' \(ops: skip_connect, conv_3x1_1x3, /],
    [A.replace("('sep_conv_5x5', 1)", "('none', 1)"), /normal block 2: unknown op 'none'/],
    [A.replace("('sep_conv_5x5', 1)", "('sep_conv_5x5', 2)"), /normal block 2: input 2 is not an earlier hidden state \(block 2 can read hidden states 0 to 1\)/],
    [A.replace("('max_pool_3x3', 1)]", "('max_pool_3x3', 7)]"), /reduce block 6: input 7 is not an earlier hidden state \(block 6 can read hidden states 0 to 5\)/],
    [A.replace("('max_pool_3x3', 1)]", "('max_pool_3x3', -1)]"), /reduce block 6: input -1 is not an earlier hidden state/],
    [A.replace('reduce_concat=[4, 5, 6]', 'reduce_concat=[2, 3, 4, 5, 6]'), /reduce_concat is \[2, 3, 4, 5, 6\], but the blocks no block reads are \[4, 5, 6\]/],
    [A.replace("('sep_conv_5x5', 1)", "('sep_conv_5x5' 1)"), /expected ',' after op 'sep_conv_5x5' in normal/],
    [A.replace('normal=[', 'normal=('), /expected '\[' starting normal/],
    [A.replace('normal=', 'normal_cell='), /unknown field 'normal_cell'/],
    [A.replace(', reduce=', ', normal='), /field 'normal' is given twice/],
    ['{"values":{}}', /nasnet: decision 'normal.2.in1' has no value/],
    ['{"space":"darts","values":{}}', /architecture of space 'darts'/],
  ];
  for (const [s, re] of bad) {
    assert.throws(
      () => nasnet.parse(s),
      (e: unknown) => e instanceof ArchitectureError && re.test((e as Error).message) && !(e as Error).message.includes('\n'),
      `${JSON.stringify(s.slice(0, 120))} should fail with ${re}`,
    );
  }
  const v = { ...nasnet.parse(A).values, 'normal.3.in1': 3 };
  assert.throws(() => nasnet.arch(v), /nasnet: decision 'normal.3.in1': 3 is not one of 0, 1, 2/);
  assert.throws(() => nasnet.arch({ ...nasnet.parse(A).values, 'reduce.6.op2': 'sep_conv_9x9' }), /'reduce.6.op2': "sep_conv_9x9" is not one of/);
});

test('the network: NASNet-A CIFAR layout (3N + 2 cells, reductions between stages), measured params equal the built module', () => {
  const before = memory().liveTensors;
  const a = nasnet.parse(NASNET_A);
  const g = nasnet.graph(a, { cells: 2, channels: 8 });
  const node = (name: string) => {
    const n = g.nodes.find((x) => x.name === name);
    assert.ok(n, `node ${name}`);
    return n;
  };
  // Cells 0-1 normal at C=8 (5 concatenated blocks: 40 channels), cell 2 reduces (C=16, 3 blocks: 48), ... cell 5 reduces (C=32).
  assert.deepEqual(
    [0, 1, 2, 3, 4, 5, 6, 7].map((i) => node(`cells.${i}.concat`).shape),
    [
      [40, 32, 32],
      [40, 32, 32],
      [48, 16, 16],
      [80, 16, 16],
      [80, 16, 16],
      [96, 8, 8],
      [160, 8, 8],
      [160, 8, 8],
    ],
  );
  assert.ok(!g.nodes.some((n) => n.name.startsWith('cells.8.')));
  assert.equal(node('stem.0').shape[0], 24, 'stem multiplier 3');
  assert.equal(node('cells.3.preprocess0').op, 'factorized_reduce');
  assert.equal(node('cells.2.preprocess0').op, 'relu_conv_bn');
  // Reduction cell: the 7x7 separable conv on hidden state 0 has stride 2; skip_connect on block 3 is the identity.
  assert.deepEqual([node('cells.2._ops.1').op, node('cells.2._ops.1').attrs], ['sep_conv', { out: 16, k: 7, stride: 2 }]);
  assert.equal(node('cells.2._ops.6').op, 'identity');
  assert.deepEqual(node('cells.2.concat').inputs, [4, 5, 6].map((j) => node(`cells.2.nodes.${j}`).id));
  // NASNet-A's normal block 5 pools hidden state 0 twice.
  assert.deepEqual(node('cells.0.nodes.5').inputs, [node('cells.0._ops.6').id, node('cells.0._ops.7').id]);
  assert.deepEqual(node('cells.0._ops.6').inputs, node('cells.0._ops.7').inputs);
  assert.equal(node('lastact').op, 'act');
  for (const n of g.nodes) if (n.name.startsWith('cells.')) assert.equal(n.group, `cell ${n.name.split('.')[1]}`);
  // The paper's CIFAR-10 setting (N=6, 32 filters): 3.06M parameters here, near the paper's 3.3M
  // (NASNet's own code also concatenates h_i into the normal cell's output, and differs in details).
  const paper = nasnet.measure(a, { cells: 6, channels: 32 });
  assert.equal(paper.params, 3061738);
  assert.equal(paper.mainParams, paper.params);
  const m = nasnet.measure(a, { cells: 1, channels: 4, auxiliary: true });
  const net = buildNetwork(a, { cells: 1, channels: 4, auxiliary: true } as never) as GraphNetwork;
  assert.ok(net instanceof GraphNetwork);
  assert.equal(net.numParameters(), m.params);
  assert.equal(net.numMainParameters(), m.mainParams);
  assert.equal(m.params - (m.mainParams ?? 0), 48 * 128 + 256 + 128 * 768 * 4 + 1536 + 768 * 10 + 10, 'the auxiliary head reads the second reduction cell (3 blocks at C=16: 48 channels)');
  manualSeed(3);
  const x = randn([2, 3, 32, 32]);
  const shapes = auxTrainStep(net, x);
  assert.deepEqual(shapes, [
    [2, 10],
    [2, 10],
  ]);
  net.dispose();
  x.dispose();
  assert.equal(memory().liveTensors, before);
});

test('network settings: defaults and inputs too small or odd for the reductions', () => {
  const a = nasnet.parse(NASNET_A);
  const small = nasnet.graph(a);
  assert.equal(small.nodes.filter((n) => n.name.endsWith('.concat')).length, 8, 'default N = 2: 8 cells');
  assert.equal(small.nodes.find((n) => n.name === 'stem.0')?.shape[0], 48, 'default C = 16');
  assert.throws(() => nasnet.measure(a, { input: [3, 30, 30] }), (e: unknown) => e instanceof ArchitectureError && /nasnet: input 3x30x30 is too small or odd for the 2 stride-2 reduction cell\(s\): height and width must be multiples of 4/.test((e as Error).message));
  assert.throws(() => nasnet.measure(a, { input: [3, 16, 16], auxiliary: true }), /nasnet: the auxiliary head \(AuxiliaryHeadCIFAR\) needs an 8x8 to 10x10 feature map after the last reduction, got 4x4/);
  assert.throws(() => nasnet.measure(a, { cells: 0 }), /nasnet: cells must be a positive integer/);
  assert.ok(nasnet.measure(a, { input: [1, 4, 4], cells: 1, channels: 2 }).params > 0, 'a 4x4 input is the smallest');
});

test('100 seeded random NASNet architectures compile, train a step on a real batch, and match the formula', () => {
  const { x, y, input } = realBatch();
  const opts = { input, classes: 10, channels: 4, cells: 1 };
  const base = memory().liveTensors;
  manualSeed(1);
  const archs = nasnet.sampleMany(100, 2026);
  assert.equal(new Set(archs.map((a) => a.key)).size, 100);
  for (const arch of archs) {
    const str = nasnet.format(arch);
    const net = buildNetwork(arch, opts);
    assert.equal(net.numParameters(), nasnet.measure(arch, opts).params, `params of ${str}`);
    const { loss, stemGrad, biasGrad, shape } = forwardBackward(net, x, y);
    assert.deepEqual(shape, [x.shape[0], 10]);
    assert.ok(Number.isFinite(loss) && loss > 0, `loss of ${str}: ${loss}`);
    assert.ok(biasGrad > 0, `the classifier gets a gradient: ${str}`);
    assert.ok(stemGrad > 0, `the stem gets a gradient: ${str}`);
    net.dispose();
  }
  assert.equal(memory().liveTensors, base, 'no tensors leak');
  x.dispose();
  y.dispose();
});
