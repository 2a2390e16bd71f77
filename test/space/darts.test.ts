import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { cat, dispose, F, manualSeed, memory, nn, randint, randn, setNumThreads, type Tensor, tidy } from '../../src/engine/index.js';
import { ArchitectureError, GraphBuilder, getSpace, spaceNames } from '../../src/space/index.js';
import { buildNetwork, compileGraph, FactorizedReduce, GraphNetwork } from '../../src/space/networks/index.js';
import { addCell, cellOpBuilder, DARTS_GENOTYPE_OPS, darts, dartsConfig, dartsReductionCells, formatGenotype, parseGenotype } from '../../src/space/spaces/darts.js';
import { auxTrainStep, forwardBackward, realBatch } from './batch.js';

// One intra-op thread: the test runner runs two files at once, and tiny convolutions gain nothing from more.
setNumThreads(1);

/** DARTS_V2 as printed in the DARTS code's genotypes.py (the released CIFAR-10 model). */
const DARTS_V2 =
  "Genotype(normal=[('sep_conv_3x3', 0), ('sep_conv_3x3', 1), ('sep_conv_3x3', 0), ('sep_conv_3x3', 1), ('sep_conv_3x3', 1), ('skip_connect', 0), ('skip_connect', 0), ('dil_conv_3x3', 2)], normal_concat=[2, 3, 4, 5], reduce=[('max_pool_3x3', 0), ('max_pool_3x3', 1), ('skip_connect', 2), ('max_pool_3x3', 1), ('max_pool_3x3', 0), ('skip_connect', 2), ('skip_connect', 2), ('max_pool_3x3', 1)], reduce_concat=[2, 3, 4, 5])";
/** The same genotype printed canonically: each node's inputs in increasing order. */
const DARTS_V2_CANONICAL =
  "Genotype(normal=[('sep_conv_3x3', 0), ('sep_conv_3x3', 1), ('sep_conv_3x3', 0), ('sep_conv_3x3', 1), ('skip_connect', 0), ('sep_conv_3x3', 1), ('skip_connect', 0), ('dil_conv_3x3', 2)], normal_concat=[2, 3, 4, 5], reduce=[('max_pool_3x3', 0), ('max_pool_3x3', 1), ('max_pool_3x3', 1), ('skip_connect', 2), ('max_pool_3x3', 0), ('skip_connect', 2), ('max_pool_3x3', 1), ('skip_connect', 2)], reduce_concat=[2, 3, 4, 5])";
/** DARTS_V1 (first-order), with concat written as the DARTS code prints `range(2, 6)`. */
const DARTS_V1_RANGE =
  "Genotype(normal=[('sep_conv_3x3', 1), ('sep_conv_3x3', 0), ('skip_connect', 0), ('sep_conv_3x3', 1), ('skip_connect', 0), ('sep_conv_3x3', 1), ('sep_conv_3x3', 0), ('skip_connect', 2)], normal_concat=range(2, 6), reduce=[('max_pool_3x3', 0), ('max_pool_3x3', 1), ('skip_connect', 2), ('max_pool_3x3', 0), ('max_pool_3x3', 0), ('skip_connect', 2), ('skip_connect', 2), ('avg_pool_3x3', 0)], reduce_concat=range(2, 6))";

test('the registry holds darts; its size is reported as a string', () => {
  assert.ok(spaceNames().includes('darts'));
  assert.equal(getSpace('darts'), darts);
  const info = darts.describe();
  assert.equal(info.name, 'darts');
  assert.equal(info.decisions.length, 24);
  // Per cell: 1*3*6*10 input pairs x 7^8 ops = 1,037,664,180; two cells: ~1.077e18.
  assert.equal(info.size, '1.077e+18');
  assert.ok(Math.abs(darts.size() / 1037664180 ** 2 - 1) < 1e-12);
  assert.equal(info.unique, null);
  // Multi-hot inputs (2 + 3 + 4 + 5 candidates) and 8 one-hot ops of 7 per cell.
  assert.equal(info.encodings.onehot, 2 * (14 + 8 * 7));
});

test('genotypes: parse and print round trip; the two inputs of a node are unordered', () => {
  const a = darts.parse(DARTS_V2);
  assert.equal(darts.format(a), DARTS_V2_CANONICAL);
  assert.equal(darts.parse(DARTS_V2_CANONICAL).key, a.key);
  assert.deepEqual(a.values['normal.4.in'], [0, 1]);
  assert.equal(a.values['normal.4.op1'], 'skip_connect');
  assert.equal(a.values['normal.4.op2'], 'sep_conv_3x3');
  // The hash is part of the data format (stores key on it): it must never change.
  assert.equal(a.hash, '6e591f200110584635202735b0632ad7ac50307fdab761b78930bbfb772e2206');
  // Whitespace, line breaks, double quotes, trailing commas and range() concat are all Python-valid.
  const loose = DARTS_V2.replaceAll("'", '"').replaceAll('), (', '),\n    (').replace('[2, 3, 4, 5]', 'range(2, 6)').replace(')], normal_concat', '),], normal_concat');
  assert.equal(darts.parse(`  ${loose}\n`).key, a.key);
  assert.equal(darts.parse(JSON.stringify(a)).key, a.key, 'the JSON form is read too');
  const v1 = darts.parse(DARTS_V1_RANGE);
  assert.equal(darts.parse(darts.format(v1)).key, v1.key);
  assert.ok(darts.format(v1).includes('normal_concat=[2, 3, 4, 5]'));
  // The genotype reader keeps the pairs as written; the architecture sorts each node's inputs.
  assert.deepEqual(parseGenotype(DARTS_V2).normal[4], ['sep_conv_3x3', 1]);
  assert.equal(formatGenotype(parseGenotype(DARTS_V2)), DARTS_V2);
  for (const x of darts.sampleMany(300, 7)) {
    const s = darts.format(x);
    assert.equal(darts.parse(s).key, x.key);
    assert.ok(!s.includes('none'), 'sampling never produces none');
    assert.equal(darts.canonicalize(x).key, x.key);
  }
  for (const x of [darts.mutate(a, 1), darts.crossover(a, v1, 2), ...darts.neighbours(a).slice(0, 50)]) assert.equal(darts.parse(darts.format(x)).key, x.key);
  assert.equal(darts.encode(a).length, darts.encodingWidth('onehot'));
});

test('malformed genotypes: clear errors naming the problem', () => {
  const V2 = DARTS_V2;
  const bad: [string, RegExp][] = [
    ['', /it is empty/],
    ["|nor_conv_3x3~0|+|none~0|", /unexpected character '\|' at character 1/],
    ['Genotyp(normal=[])', /must start with 'Genotype\('/],
    ['Genotype', /expected '\(' after 'Genotype' at the end/],
    [V2.slice(0, -1), /expected ',' or '\)' at the end/],
    ['Genotype(', /missing '\)' at the end/],
    [`${V2} x`, /unexpected text after the closing '\)'/],
    [V2.replace("('sep_conv_3x3', 0), ", ''), /normal has 7 \('op', input\) pair\(s\); need 8/],
    [V2.replace("('max_pool_3x3', 1)]", "('max_pool_3x3', 1), ('max_pool_3x3', 1)]"), /reduce has 9 \('op', input\) pair/],
    [V2.replace("('skip_connect', 0), ('dil_conv_3x3', 2)", "('skip_connect', 0), ('conv_3x3', 2)"), /normal node 5: unknown op 'conv_3x3' \(ops: max_pool_3x3, avg_pool_3x3/],
    [V2.replace("('sep_conv_3x3', 0), ('sep_conv_3x3', 1)", "('none', 0), ('sep_conv_3x3', 1)"), /normal node 2: op 'none' cannot appear in a genotype/],
    [V2.replace("('max_pool_3x3', 0), ('max_pool_3x3', 1), ('skip_connect', 2)", "('max_pool_3x3', 0), ('max_pool_3x3', 2), ('skip_connect', 2)"), /reduce node 2: input 2 is not an earlier node \(node 2 can read nodes 0 to 1\)/],
    [V2.replace("('skip_connect', 0), ('dil_conv_3x3', 2)", "('skip_connect', 0), ('dil_conv_3x3', 5)"), /normal node 5: input 5 is not an earlier node/],
    [V2.replace("('skip_connect', 0), ('dil_conv_3x3', 2)", "('skip_connect', 0), ('dil_conv_3x3', -1)"), /normal node 5: input -1 is not an earlier node/],
    [V2.replace("('skip_connect', 0), ('dil_conv_3x3', 2)", "('skip_connect', 0), ('dil_conv_3x3', 0)"), /normal node 5 reads node 0 twice/],
    [V2.replace('normal_concat=[2, 3, 4, 5]', 'normal_concat=[2, 3, 4]'), /normal_concat is \[2, 3, 4\]; this space concatenates all intermediate nodes/],
    [V2.replace('reduce_concat=[2, 3, 4, 5]', 'reduce_concat=range(2, 5)'), /reduce_concat is \[2, 3, 4\]/],
    [V2.replace(', reduce_concat=[2, 3, 4, 5]', ''), /field 'reduce_concat' is missing/],
    [V2.replace('reduce_concat=', 'normal_concat='), /field 'normal_concat' is given twice/],
    [V2.replace('reduce_concat=', 'reduction_concat='), /unknown field 'reduction_concat' \(fields: normal, normal_concat, reduce, reduce_concat\)/],
    [V2.replace("('sep_conv_3x3', 0)", "(sep_conv_3x3, 0)"), /expected an op name in quotes at character 19 \('sep_conv_3x3'\) in normal/],
    [V2.replace("('sep_conv_3x3', 0)", "('sep_conv_3x3' 0)"), /expected ',' after op 'sep_conv_3x3' in normal/],
    [V2.replace("('sep_conv_3x3', 0)", "('sep_conv_3x3', x)"), /expected the input node of op 'sep_conv_3x3' in normal \(an integer\)/],
    [V2.replace("('sep_conv_3x3', 0)", "('sep_conv_3x3', 0, 1)"), /expected '\)' closing the pair \('sep_conv_3x3', 0\) in normal/],
    [V2.replace("('sep_conv_3x3', 0)", "('sep_conv_3x3, 0)"), /the op name at character 19 in normal, 'sep_conv_3x3, 0\), \(', is not a plain name \(a closing quote missing\?\)/],
    [V2.replace("'sep_conv_3x3'", "'sep_conv_3x3"), /the op name at character 19 in normal, 'sep_conv_3x3, 0\), \(', is not a plain name/],
    [V2.replace('normal=[', 'normal=('), /expected '\[' starting normal/],
    [V2.replace('normal_concat=[2, 3, 4, 5]', 'normal_concat=[2 3, 4, 5]'), /expected ',' or '\]' in normal_concat/],
    ['{"values":{}}', /decision 'normal.2.in' has no value/],
    ['{"space":"nb201","values":{}}', /architecture of space 'nb201'/],
  ];
  for (const [s, re] of bad) {
    assert.throws(
      () => darts.parse(s),
      (e: unknown) => e instanceof ArchitectureError && re.test((e as Error).message) && !(e as Error).message.includes('\n'),
      `${JSON.stringify(s.slice(0, 120))} should fail with ${re}`,
    );
  }
  assert.throws(() => darts.parse("Genotype(normal=[('sep_conv_3x3', 0), ('sep_conv_3x3"), /expected an op name in quotes at character 40 \(an unterminated string starts there\) in normal/);
});

test('network settings: defaults, reduction positions and inputs too small for the reductions', () => {
  assert.deepEqual(dartsConfig(), { input: [3, 32, 32], classes: 10, channels: 36, cells: 20, auxiliary: false });
  assert.deepEqual(dartsReductionCells(20), [6, 13]);
  assert.deepEqual(dartsReductionCells(8), [2, 5]);
  assert.deepEqual(dartsReductionCells(3), [1, 2]);
  assert.deepEqual(dartsReductionCells(1), [0]);
  const a = darts.parse(DARTS_V2);
  assert.throws(() => darts.measure(a, { input: [3, 30, 30] }), /input 3x30x30 is too small or odd for the 2 stride-2 reduction cell\(s\): height and width must be multiples of 4/);
  assert.throws(() => darts.measure(a, { input: [3, 16, 16], auxiliary: true }), /auxiliary head \(AuxiliaryHeadCIFAR\) needs an 8x8 to 10x10 feature map after the last reduction, got 4x4/);
  assert.throws(() => darts.measure(a, { channels: 0 }), /channels must be a positive integer/);
  assert.throws(() => buildNetwork(a, { input: [1, 6, 6], cells: 3 }), /multiples of 4/);
  assert.equal(darts.measure(a, { input: [1, 2, 2], cells: 1, channels: 2 }).params > 0, true);
});

test('DARTS V2 (C=36, 20 cells, CIFAR-10): 3,349,342 parameters by formula and in the built module, auxiliary head excluded', () => {
  const before = memory().liveTensors;
  const a = darts.parse(DARTS_V2);
  const opts = { channels: 36, cells: 20, input: [3, 32, 32] as [number, number, number], classes: 10 };
  const m = darts.measure(a, opts);
  // DARTS's train.py reports "param size = 3.349342MB" (count_parameters_in_MB leaves out the auxiliary head).
  assert.equal(m.params, 3349342);
  assert.equal(darts.measure(a).params, 3349342, 'the defaults are the DARTS CIFAR evaluation settings');
  assert.equal(m.flops, 528359040);
  assert.equal(m.mainParams, 3349342);
  const net = buildNetwork(a, opts);
  assert.ok(net instanceof GraphNetwork);
  assert.equal(net.numParameters(), 3349342);
  // Module names as in DARTS's model.py, so converted checkpoints line up.
  const names = [...net.namedParameters()].map(([n]) => n);
  for (const n of [
    'stem.0.weight',
    'stem.1.bias',
    'cells.0.preprocess0.op.1.weight', // ReLUConvBN: op = (ReLU, Conv2d, BatchNorm2d)
    'cells.0.preprocess1.op.2.weight',
    'cells.0._ops.0.op.1.weight', // SepConv: op.1 depthwise, op.2 pointwise, op.3 BN, op.5..7 again
    'cells.0._ops.0.op.7.bias',
    'cells.0._ops.7.op.2.weight', // DilConv: op.1 depthwise (dilated), op.2 pointwise, op.3 BN
    'cells.6.preprocess1.op.1.weight', // a reduction cell
    'cells.7.preprocess0.conv_1.weight', // FactorizedReduce after a reduction cell
    'cells.7.preprocess0.conv_2.weight',
    'cells.19._ops.1.op.5.weight',
    'classifier.weight',
  ])
    assert.ok(names.includes(n), `parameter ${n}`);
  for (const n of names) assert.match(n, /^(stem\.[01]|cells\.\d+\.(preprocess[01]|_ops\.[0-7])|classifier)\.[\w.]+$/);
  // The reduction cell's ops are pools and skips (identity on node 2; no parameters).
  assert.ok(!names.some((n) => n.startsWith('cells.6._ops.')));
  net.dispose();
  // With the auxiliary head: the formula counts it when asked, and numMainParameters still leaves it out.
  const withAux = buildNetwork(a, { ...opts, auxiliary: true } as never) as GraphNetwork;
  const mAux = darts.measure(a, { ...opts, auxiliary: true });
  assert.equal(withAux.numParameters(), mAux.params);
  assert.equal(mAux.params - m.params, 576 * 128 + 256 + 128 * 768 * 4 + 1536 + 768 * 10 + 10);
  assert.equal(mAux.mainParams, 3349342);
  assert.equal(mAux.flops, m.flops, 'FLOPs count the path to the logits');
  assert.equal(withAux.numMainParameters(), 3349342);
  const auxNames = [...withAux.namedParameters()].map(([n]) => n).filter((n) => n.startsWith('auxiliary_head.'));
  assert.deepEqual(auxNames, [
    'auxiliary_head.features.2.weight',
    'auxiliary_head.features.3.weight',
    'auxiliary_head.features.3.bias',
    'auxiliary_head.features.5.weight',
    'auxiliary_head.features.6.weight',
    'auxiliary_head.features.6.bias',
    'auxiliary_head.classifier.weight',
    'auxiliary_head.classifier.bias',
  ]);
  withAux.dispose();
  assert.equal(memory().liveTensors, before);
});

/** Multiply-adds per image of every conv and linear layer in `net`, measured with forward hooks. */
function hookFlops(net: nn.Module): { total: () => number; remove: () => void } {
  let macs = 0;
  const handles = [...net.modules()].flatMap((m) => {
    if (m instanceof nn.Conv2d)
      return [
        m.registerForwardHook((_m, _a, out) => {
          // Per image: one multiply-add per output element and weight of its group.
          const [, c, h, w] = (out as Tensor).shape;
          macs += c * h * w * (m.inChannels / m.groups) * m.kernelSize[0] * m.kernelSize[1];
        }),
      ];
    if (m instanceof nn.Linear)
      return [
        m.registerForwardHook((_m, a, out) => {
          macs += (out as Tensor).shape[1] * (a[0] as Tensor).shape[1];
        }),
      ];
    return [];
  });
  return { total: () => macs, remove: () => {
      for (const h of handles) h.remove();
    },
  };
}

test('100 seeded random DARTS architectures compile, train a step on a real batch, and match the params and FLOPs formulas', () => {
  const { x, y, input } = realBatch();
  const opts = { input, classes: 10, channels: 4, cells: 3 };
  const base = memory().liveTensors;
  manualSeed(1);
  const archs = darts.sampleMany(100, 2026);
  assert.equal(new Set(archs.map((a) => a.key)).size, 100);
  const seenOps = new Set<string>();
  for (const arch of archs) {
    const str = darts.format(arch);
    for (const op of DARTS_GENOTYPE_OPS) if (str.includes(`'${op}'`)) seenOps.add(op);
    const net = buildNetwork(arch, opts);
    const m = darts.measure(arch, opts);
    assert.equal(net.numParameters(), m.params, `params of ${str}`);
    const hooks = hookFlops(net);
    const { loss, stemGrad, biasGrad, shape } = forwardBackward(net, x, y);
    hooks.remove();
    assert.equal(hooks.total(), m.flops, `flops of ${str}`);
    assert.deepEqual(shape, [x.shape[0], 10]);
    assert.ok(Number.isFinite(loss) && loss > 0, `loss of ${str}: ${loss}`);
    assert.ok(biasGrad > 0, `the classifier gets a gradient: ${str}`);
    assert.ok(stemGrad > 0, `the stem gets a gradient: ${str}`);
    net.zeroGrad();
    net.dispose();
  }
  assert.equal(seenOps.size, 7, 'every op was exercised');
  assert.equal(memory().liveTensors, base, 'no tensors leak');
  dispose([x, y]);
});

test('the auxiliary head runs on an 8x8 map (32x32 input), only in training mode, and matches its formula', () => {
  const base = memory().liveTensors;
  const a = darts.sample(11);
  const opts = { input: [1, 32, 32] as [number, number, number], classes: 10, channels: 4, cells: 3, auxiliary: true };
  const net = buildNetwork(a, opts as never) as GraphNetwork;
  assert.equal(net.numParameters(), darts.measure(a, opts).params);
  assert.equal(net.numMainParameters(), darts.measure(a, { ...opts, auxiliary: false }).params);
  manualSeed(4);
  const x = randn([2, 1, 32, 32]);
  const shapes = auxTrainStep(net, x);
  assert.deepEqual(shapes, [
    [2, 10],
    [2, 10],
  ]);
  net.eval();
  assert.equal(tidy(() => net.forwardWithAux(x).aux), null);
  net.dispose();
  x.dispose();
  assert.equal(memory().liveTensors, base);
});

test('cells compute as in the DARTS code: a reduction cell halves the size, the output concatenates 4 nodes', () => {
  const base = memory().liveTensors;
  const a = darts.parse(DARTS_V2);
  const g = darts.graph(a, { input: [3, 16, 16], channels: 4, cells: 3 });
  const node = (name: string) => {
    const n = g.nodes.find((x) => x.name === name);
    assert.ok(n, `node ${name}`);
    return n;
  };
  // Cell 0 normal (C=4 -> 16 channels), cells 1 and 2 reduce (C=8, then 16 -> 32 and 64 channels).
  assert.deepEqual(
    [0, 1, 2].map((i) => node(`cells.${i}.concat`).shape),
    [
      [16, 16, 16],
      [32, 8, 8],
      [64, 4, 4],
    ],
  );
  assert.deepEqual(node('cells.0.concat').inputs, [2, 3, 4, 5].map((j) => node(`cells.0.nodes.${j}`).id));
  // Preprocessing: ReLU-conv1x1-BN, or FactorizedReduce after a reduction cell; cell 0 reads the stem twice.
  assert.equal(node('cells.0.preprocess0').op, 'relu_conv_bn');
  assert.deepEqual(node('cells.0.preprocess0').inputs, node('cells.0.preprocess1').inputs);
  assert.equal(node('cells.1.preprocess0').op, 'relu_conv_bn');
  assert.equal(node('cells.2.preprocess0').op, 'factorized_reduce');
  // In a reduction cell, ops on the cell inputs have stride 2 (a skip becomes FactorizedReduce); on nodes, stride 1.
  assert.deepEqual([node('cells.1._ops.0').op, node('cells.1._ops.0').attrs], ['max_pool', { k: 3, stride: 2, pad: 1 }]);
  assert.deepEqual([node('cells.1._ops.2').op, node('cells.1._ops.2').attrs.stride, node('cells.1._ops.3').op], ['max_pool', 2, 'identity']);
  assert.deepEqual(node('cells.1._ops.3').inputs, [node('cells.1.nodes.2').id]);
  assert.equal(node('cells.0._ops.4').op, 'identity');
  const skip = darts.graph(darts.parse(DARTS_V2.replace("reduce=[('max_pool_3x3', 0)", "reduce=[('skip_connect', 0)")), { input: [3, 16, 16], channels: 4, cells: 3 });
  const fr = skip.nodes.find((n) => n.name === 'cells.1._ops.0');
  assert.deepEqual([fr?.op, fr?.attrs, fr?.shape], ['factorized_reduce', { out: 8 }, [8, 8, 8]]);
  // Every cell's nodes are drawn in their cell's group.
  for (const n of g.nodes) if (n.name.startsWith('cells.')) assert.equal(n.group, `cell ${n.name.split('.')[1]}`, n.name);
  const net = compileGraph(g).eval();
  manualSeed(6);
  const x = randn([2, 3, 16, 16]);
  assert.deepEqual(tidy(() => (net.call(x) as Tensor).shape), [2, 10]);
  net.dispose();
  x.dispose();
  assert.equal(memory().liveTensors, base);
});

test('cell wiring: each op reads the node its genotype pair names; FactorizedReduce shifts its second path by one pixel', () => {
  const base = memory().liveTensors;
  // Normal cell of skips: n2 = p0 + p1, n3 = p0 + n2, n4 = p1 + n3, n5 = n2 + n4; output [n2, n3, n4, n5].
  const g = parseGenotype(
    "Genotype(normal=[('skip_connect', 0), ('skip_connect', 1), ('skip_connect', 0), ('skip_connect', 2), ('skip_connect', 1), ('skip_connect', 3), ('skip_connect', 4), ('skip_connect', 2)], normal_concat=[2, 3, 4, 5], reduce=[('max_pool_3x3', 0), ('max_pool_3x3', 1), ('max_pool_3x3', 0), ('max_pool_3x3', 1), ('max_pool_3x3', 0), ('max_pool_3x3', 1), ('max_pool_3x3', 0), ('max_pool_3x3', 1)], reduce_concat=[2, 3, 4, 5])",
  );
  // The cell reads s0 = the input (3 channels) and s1 = a 1x1 conv of it (5 channels), at C=4.
  const b = new GraphBuilder([3, 6, 6], 'test');
  const s1 = b.add('conv', b.input, { out: 5, k: 1 }, 'pre');
  const out = b.scope('cell', () => addCell(b, b.input, s1, { edges: g.normal, concat: [2, 3, 4, 5], c: 4, reduction: false, reductionPrev: false }, cellOpBuilder));
  const cell = compileGraph(b.output('logits', out).build()).eval();
  const mod = (name: string) => {
    const m = [...cell.namedModules()].find(([n]) => n === name)?.[1];
    assert.ok(m, `module ${name}`);
    return m;
  };
  manualSeed(8);
  const s0 = randn([2, 3, 6, 6]);
  const err = tidy(() => {
    const p0 = mod('cell.preprocess0').call(s0) as Tensor;
    const p1 = mod('cell.preprocess1').call(mod('pre').call(s0) as Tensor) as Tensor;
    const n2 = p0.add(p1);
    const n3 = p0.add(n2);
    const n4 = p1.add(n3);
    const n5 = n2.add(n4);
    return (cell.call(s0) as Tensor).sub(cat([n2, n3, n4, n5], 1)).abs().max().item();
  });
  assert.ok(err < 1e-6, `cell output differs by ${err}`);
  // FactorizedReduce in eval mode with fresh statistics: BN divides by sqrt(1 + eps).
  const fr = new FactorizedReduce(3, 4).eval();
  const err2 = tidy(() => {
    const r = s0.relu();
    const a = fr.conv_1.call(r);
    const b = fr.conv_2.call(r.slice(2, 1).slice(3, 1));
    const want = cat([a, b], 1).div(Math.sqrt(1 + 1e-5));
    const got = fr.call(s0);
    assert.deepEqual(got.shape, [2, 4, 3, 3]);
    return got.sub(want).abs().max().item();
  });
  assert.ok(err2 < 1e-5, `FactorizedReduce differs by ${err2}`);
  for (const m of [cell, fr]) m.dispose();
  s0.dispose();
  assert.equal(memory().liveTensors, base);
});

test('loom arch stats: DARTS V2 at the paper settings, with --auxiliary, and the activation memory estimates', () => {
  const cli = fileURLToPath(new URL('../../src/cli/main.js', import.meta.url));
  const loom = (args: string[]) => spawnSync(process.execPath, [cli, 'arch', 'stats', ...args], { encoding: 'utf8', timeout: 60_000 });
  const args = ['darts', DARTS_V2, '--channels', '36', '--cells', '20', '--input', '3x32x32', '--classes', '10', '--json'];
  const r = loom(args);
  assert.equal(r.status, 0, r.stderr);
  const o = JSON.parse(r.stdout);
  assert.equal(o.params, 3349342);
  assert.equal(o.mainParams, 3349342);
  assert.equal(o.flops, 528359040);
  assert.ok(o.trainActivationBytes > o.inferencePeakBytes && o.inferencePeakBytes > 3 * 32 * 32 * 4, JSON.stringify(o));
  const aux = JSON.parse(loom([...args, '--auxiliary']).stdout);
  assert.equal(aux.auxiliary, true);
  assert.equal(aux.mainParams, 3349342);
  assert.equal(aux.params, 3349342 + 576 * 128 + 256 + 128 * 768 * 4 + 1536 + 768 * 10 + 10);
  assert.equal(aux.flops, o.flops);
  assert.match(loom(['darts', DARTS_V2, '--auxiliary']).stdout, /^params 3,825,768 \(3\.826M\)\n {7}3,349,342 without the auxiliary head/m);
  const nb = loom(['nb201', '|nor_conv_3x3~0|+|nor_conv_3x3~0|nor_conv_3x3~1|+|nor_conv_3x3~0|nor_conv_3x3~1|nor_conv_3x3~2|', '--auxiliary']);
  assert.equal(nb.status, 2);
  assert.match(nb.stderr, /^loom: space 'nb201' has no auxiliary head \(--auxiliary is for darts and nasnet\)\n$/);
  const small = loom(['darts', DARTS_V2, '--auxiliary', '--input', '3x16x16']);
  assert.equal(small.status, 2);
  assert.match(small.stderr, /needs an 8x8 to 10x10 feature map after the last reduction, got 4x4/);
});
