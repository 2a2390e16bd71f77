import assert from 'node:assert/strict';
import { test } from 'node:test';
import { F, type Tensor, dispose, manualSeed, memory, nn, randint, randn, setNumThreads, tidy } from '../../src/engine/index.js';
import { ArchitectureError, GraphBuilder, chain, drawArchitecture, getSpace, toDot, spaceNames } from '../../src/space/index.js';
import { MlpSpace, formatMlp, mlp, mlpConfig, mlpWidth } from '../../src/space/spaces/mlp.js';
import { GraphNetwork, buildNetwork, compileGraph } from '../../src/space/networks/index.js';

setNumThreads(1);

const EXAMPLE = '256-128:relu:bn:0.1';

/** The values of `text` with the unused widths set as given. */
const withUnused = (text: string, unused: Record<string, number>) => mlp.arch({ ...mlp.parse(text).values, ...unused });

test('mlp: registry, size, decisions, description, one-hot encoding', () => {
  assert.equal(getSpace('mlp'), mlp);
  assert.ok(spaceNames().includes('mlp'));
  assert.deepEqual(
    mlp.decisions.map((d) => d.name),
    ['depth', 'width0', 'width1', 'width2', 'width3', 'act', 'norm', 'dropout'],
  );
  assert.equal(mlp.size(), 4 * 6 ** 4 * 4 * 2 * 5);
  assert.match(mlp.description, /^multi-layer perceptron for tabular data/);
  assert.ok(!mlp.description.includes('\n'));
  const info = mlp.describe();
  assert.equal(info.size, 207360);
  assert.equal(info.unique, 62160);
  assert.equal(info.encodings.onehot, 4 + 4 * 6 + 4 + 2 + 5);
  const e = mlp.encode(mlp.parse(EXAMPLE));
  assert.equal(e.length, 39);
  assert.equal(
    e.reduce((a, b) => a + b, 0),
    8,
    'one hot per decision',
  );
  assert.equal(e[1], 1, 'depth 2 is the second slot');
});

test('mlp: text form round trip', () => {
  const a = mlp.parse(EXAMPLE);
  assert.deepEqual(mlp.spec(a), { widths: [256, 128], act: 'relu', norm: 'bn', dropout: 0.1 });
  assert.equal(a.values.depth, 2);
  assert.equal(mlp.format(a), EXAMPLE);
  assert.equal(formatMlp(mlp.spec(a)), EXAMPLE);
  for (const s of ['64:tanh:none:0', '16-32-64-512:gelu:bn:0.5', '512-512-512:swish:none:0.3']) assert.equal(mlp.format(mlp.parse(s)), s);
  assert.equal(mlp.format(mlp.parse(' 256 - 128 : relu : bn : 0.10 ')), EXAMPLE, 'spaces and 0.10 are read');
  assert.equal(mlp.format(mlp.parse('64:tanh:none:.5')), '64:tanh:none:0.5');
  assert.equal(mlp.parse(JSON.stringify(a)).key, a.key, 'the JSON form goes to the base class');
  // The text form names the network: reading it back gives the canonical form.
  let nonCanonical = 0;
  for (const x of mlp.sampleMany(300, 1)) {
    const y = mlp.parse(mlp.format(x));
    assert.equal(y.key, mlp.canonicalize(x).key);
    assert.ok(mlp.isomorphic(x, y));
    if (y.key !== x.key) nonCanonical++;
    assert.equal(mlp.parse(mlp.format(y)).key, y.key);
  }
  assert.ok(nonCanonical > 100, `most samples have unused widths other than 16 (${nonCanonical})`);
  assert.equal(new MlpSpace(2, 'mlp2').parse('32-64:relu:none:0').values.depth, 2);
});

test('mlp: clear errors on bad strings', () => {
  const bad: [string, RegExp][] = [
    ['', /mlp: '': empty architecture string \(expected widths:act:norm:dropout, e\.g\. 256-128:relu:bn:0\.1/],
    ['256-128:relu:bn', /has 3 field\(s\) separated by ':', need 4/],
    ['256-128', /has 1 field\(s\) separated by ':', need 4/],
    ['256-128-64-32-16:relu:bn:0', /has 5 hidden layers, at most 4/],
    ['48:relu:bn:0', /width 0 '48' is not one of 16, 32, 64, 128, 256, 512/],
    ['64--32:relu:bn:0', /width 1 '' is not one of/],
    [':relu:bn:0', /width 0 '' is not one of/],
    ['256:elu:bn:0', /unknown activation 'elu'.*act relu\|gelu\|swish\|tanh/],
    ['256:relu:ln:0', /unknown norm 'ln'.*norm none\|bn/],
    ['256:relu:bn:0.4', /dropout '0\.4' is not one of 0, 0\.1, 0\.2, 0\.3, 0\.5/],
    ['256:relu:bn:x', /dropout 'x' is not one of/],
    ['256:relu:bn:', /dropout '' is not one of/],
    ['{"space":"mlp"', /mlp: not valid JSON/],
  ];
  for (const [s, re] of bad) assert.throws(() => mlp.parse(s), (e: unknown) => e instanceof ArchitectureError && re.test(e.message), `${s} -> ${re}`);
  assert.throws(() => mlp.parse(7 as unknown as string), ArchitectureError);
  assert.throws(() => new MlpSpace(2, 'mlp2').parse('16-16-16:relu:bn:0'), /mlp2: .*has 3 hidden layers, at most 2/);
  assert.throws(() => chain.format(mlp.parse(EXAMPLE)), /chain: expected an architecture of this space, got one of 'mlp'/);
});

test('mlp: unused widths do not count: canonical form, isomorphism, mutation, neighbours', () => {
  const a = mlp.parse('64:relu:none:0');
  assert.deepEqual([a.values.width1, a.values.width2, a.values.width3], [16, 16, 16]);
  const b = withUnused('64:relu:none:0', { width1: 512, width3: 128 });
  assert.notEqual(a.key, b.key);
  assert.ok(mlp.isomorphic(a, b));
  assert.equal(mlp.canonicalize(b).key, a.key);
  assert.equal(mlp.measure(a).params, mlp.measure(b).params);
  assert.ok(!mlp.isomorphic(a, mlp.parse('128:relu:none:0')), 'a used width counts');
  assert.ok(!mlp.isomorphic(a, mlp.parse('64-16:relu:none:0')), 'the depth counts');
  assert.ok(!mlp.isomorphic(a, mlp.parse('64:gelu:none:0')));
  assert.ok(!mlp.isomorphic(a, mlp.parse('64:relu:bn:0')));
  assert.ok(!mlp.isomorphic(a, mlp.parse('64:relu:none:0.1')));
  // Mutation always changes the network, by one decision.
  for (const start of [b, withUnused('512-16-16:tanh:bn:0.5', { width3: 256 }), mlp.parse('16-32-64-128:swish:none:0.2')]) {
    for (let seed = 0; seed < 300; seed++) {
      const m = mlp.mutate(start, seed);
      assert.ok(!mlp.isomorphic(m, start), `seed ${seed}: ${mlp.format(m)} is ${mlp.format(start)}`);
      const changed = mlp.decisions.filter((d) => m.values[d.name] !== start.values[d.name]);
      assert.equal(changed.length, 1, `seed ${seed} changes one decision`);
    }
  }
  // Neighbours: one decision away, all different networks (unused widths left out).
  const n1 = mlp.neighbours(b);
  assert.equal(n1.length, 1 + 5 + 3 + 1 + 4, 'depth 1: depth 2, five other widths, three activations, the other norm, four dropouts');
  assert.ok(n1.some((x) => mlp.format(x) === '64-512:relu:none:0'), 'a deeper neighbour keeps the unused width it had');
  const n4 = mlp.neighbours(mlp.parse('16-32-64-128:swish:none:0.2'));
  assert.equal(n4.length, 1 + 4 * 5 + 3 + 1 + 4);
  for (const [x, from] of [...n1.map((x) => [x, b] as const), ...n4.map((x) => [x, mlp.parse('16-32-64-128:swish:none:0.2')] as const)]) {
    assert.ok(!mlp.isomorphic(x, from));
    assert.equal(mlp.decisions.filter((d) => x.values[d.name] !== from.values[d.name]).length, 1);
  }
  assert.equal(new Set(n1.map((x) => mlp.canonicalize(x).key)).size, n1.length);
});

test('mlp: uniqueCount is the number of distinct networks', () => {
  assert.equal(mlp.uniqueCount(), (6 + 36 + 216 + 1296) * 4 * 2 * 5);
  assert.equal(mlp.uniqueCount(), 62160);
  // Count the canonical forms of every architecture of a 3-layer MLP space (the full space takes seconds).
  const mlp3 = new MlpSpace(3, 'mlp3');
  const canon = new Set<string>();
  let n = 0;
  for (const a of mlp3.enumerate()) {
    canon.add(mlp3.canonicalize(a).key);
    n++;
  }
  assert.equal(n, mlp3.size());
  assert.equal(n, 3 * 6 ** 3 * 40);
  assert.equal(canon.size, mlp3.uniqueCount());
  assert.equal(canon.size, (6 + 36 + 216) * 40);
  const small = new MlpSpace(2, 'mlp2');
  assert.equal(small.uniqueCount(), (6 + 36) * 40);
  assert.equal(small.size(), 2 * 36 * 40);
});

test('mlp: graph of a feature vector: names, shapes, measures, built parameters and state dict', () => {
  const a = mlp.parse(EXAMPLE);
  const o = { input: [20] as [number], classes: 3 };
  const g = mlp.graph(a, o);
  assert.deepEqual(g.input, [20]);
  assert.deepEqual(
    g.nodes.map((n) => `${n.name}:${n.op}:${n.shape.join('x')}`),
    [
      'input:input:20',
      'layers.0.linear:linear:256',
      'layers.0.bn:bn:256',
      'layers.0.act:act:256',
      'layers.0.dropout:dropout:256',
      'layers.1.linear:linear:128',
      'layers.1.bn:bn:128',
      'layers.1.act:act:128',
      'layers.1.dropout:dropout:128',
      'classifier:linear:3',
    ],
  );
  assert.equal(g.nodes[1].attrs.bias, false, 'no bias before batch norm');
  assert.equal(g.nodes[4].attrs.p, 0.1);
  assert.equal(g.nodes[3].attrs.fn, 'relu');
  assert.equal(g.nodes[1].group, 'layer 0');
  assert.equal(g.outputs.logits, g.nodes.length - 1);
  const params = 20 * 256 + 2 * 256 + 256 * 128 + 2 * 128 + 128 * 3 + 3;
  const m = mlp.measure(a, o);
  assert.equal(m.params, params);
  assert.equal(m.flops, 20 * 256 + 256 * 128 + 128 * 3);
  assert.ok((m.trainActivationBytes ?? 0) > 0 && (m.inferencePeakBytes ?? 0) > 0);
  const net = buildNetwork(a, o);
  assert.ok(net instanceof GraphNetwork);
  assert.equal(net.numParameters(), params);
  const sd = net.stateDict();
  const keys = [...sd.keys()];
  dispose([...sd.values()]);
  for (const k of ['layers.0.linear.weight', 'layers.0.bn.weight', 'layers.0.bn.bias', 'layers.0.bn.running_mean', 'layers.1.linear.weight', 'classifier.weight', 'classifier.bias'])
    assert.ok(keys.includes(k), `${k} in ${keys.join(', ')}`);
  assert.ok(!keys.includes('layers.0.linear.bias'));
  net.dispose();
  // Without batch norm and dropout: linear with bias, act, nothing else.
  const plain = mlp.graph(mlp.parse('64:tanh:none:0'), { input: [5] });
  assert.deepEqual(
    plain.nodes.map((n) => n.name),
    ['input', 'layers.0.linear', 'layers.0.act', 'classifier'],
  );
  assert.equal(mlp.measure(mlp.parse('64:tanh:none:0'), { input: [5] }).params, 5 * 64 + 64 + 64 * 10 + 10);
  assert.deepEqual(mlp.graph(a).input, [16], 'the default input is 16 features');
  assert.equal(mlp.graph(a).nodes.at(-1)?.shape[0], 10, 'the default is 10 classes');
});

test('mlp: an image input is flattened (1x28x28)', () => {
  const a = mlp.parse('64-32:gelu:bn:0.2');
  const o = { input: [1, 28, 28] as [number, number, number], classes: 10 };
  const g = mlp.graph(a, o);
  assert.equal(g.nodes[1].name, 'flatten');
  assert.deepEqual(g.nodes[1].shape, [784]);
  const params = 784 * 64 + 2 * 64 + 64 * 32 + 2 * 32 + 32 * 10 + 10;
  assert.equal(mlp.measure(a, o).params, params);
  const base = memory().liveTensors;
  manualSeed(3);
  const net = buildNetwork(a, o);
  assert.equal(net.numParameters(), params);
  const x = randn([4, 1, 28, 28]);
  const shape = tidy(() => (net.call(x) as Tensor).shape);
  assert.deepEqual(shape, [4, 10]);
  x.dispose();
  net.dispose();
  assert.equal(memory().liveTensors, base);
});

test('mlp: a built network trains on an [N, F] batch with batch norm and dropout, and evaluates', () => {
  const base = memory().liveTensors;
  manualSeed(7);
  const a = mlp.parse('32-16:swish:bn:0.5');
  const o = { input: [12] as [number], classes: 3 };
  const net = buildNetwork(a, o);
  const x = randn([8, 12]);
  const y = randint(0, 3, [8]);
  const bn = [...net.namedModules()].find(([n]) => n === 'layers.0.bn')?.[1];
  assert.ok(bn instanceof nn.BatchNorm1d, 'batch norm of a vector is BatchNorm1d');
  const runningMean = () => tidy(() => ((bn as unknown as { running_mean: Tensor }).running_mean.abs().sum().item()));
  assert.equal(runningMean(), 0);
  net.train();
  const r = tidy(() => {
    const logits = net.call(x) as Tensor;
    const loss = F.crossEntropy(logits, y);
    loss.backward();
    const grads = [...net.parameters()].map((p) => (p.grad ? p.grad.abs().sum().item() : 0));
    return { shape: logits.shape, loss: loss.item(), grads };
  });
  assert.deepEqual(r.shape, [8, 3]);
  assert.ok(Number.isFinite(r.loss) && r.loss > 0);
  assert.ok(r.grads.every((g) => g > 0), `every parameter gets a gradient: ${r.grads.join(', ')}`);
  assert.ok(runningMean() > 0, 'training updates the running statistics');
  const twice = (mode: 'train' | 'eval') =>
    tidy(() => {
      if (mode === 'train') net.train();
      else net.eval();
      return (net.call(x) as Tensor).sub(net.call(x) as Tensor).abs().max().item();
    });
  assert.ok(twice('train') > 0, 'dropout is random in training');
  assert.equal(twice('eval'), 0, 'evaluation is deterministic');
  const evalShape = tidy(() => (net.call(x) as Tensor).shape);
  assert.deepEqual(evalShape, [8, 3]);
  dispose([x, y]);
  net.dispose();
  assert.equal(memory().liveTensors, base, 'no tensors leak');
});

test('bn op: a vector [F] gets BatchNorm1d with 2F parameters; other ranks are refused', () => {
  const g = new GraphBuilder([6], 'test');
  const id = g.add('bn', g.input, {}, 'op');
  const graph = g.output('logits', id).build();
  assert.deepEqual(graph.nodes[id].shape, [6]);
  const net = compileGraph(graph);
  assert.equal(net.numParameters(), 12);
  const x = randn([5, 6]);
  const out = tidy(() => {
    const t = net.call(x) as Tensor;
    // Training-mode batch norm: each feature has mean 0 over the batch.
    return { shape: t.shape, mean: t.mean([0]).abs().max().item() };
  });
  assert.deepEqual(out.shape, [5, 6]);
  assert.ok(out.mean < 1e-5);
  x.dispose();
  net.dispose();
  const g2 = new GraphBuilder([4, 5], 'test');
  assert.throws(() => g2.add('bn', g2.input), /bn needs a feature map \[C, H, W\] or a vector \[F\], got \[4, 5\]/);
  const g3 = new GraphBuilder([4, 5, 5], 'test');
  assert.deepEqual(g3.shape(g3.add('bn', g3.input)), [4, 5, 5]);
});

test('mlp: channels scale the widths (widths * channels / 64, rounded, at least 1)', () => {
  assert.equal(mlpWidth(256, 64), 256);
  assert.equal(mlpWidth(256, 32), 128);
  assert.equal(mlpWidth(16, 2), 1);
  assert.equal(mlpWidth(16, 1), 1);
  assert.equal(mlpWidth(32, 3), 2);
  const a = mlp.parse('256-16:relu:none:0');
  const outs = (channels?: number) =>
    mlp
      .graph(a, { input: [10], channels })
      .nodes.filter((n) => n.op === 'linear')
      .map((n) => n.shape[0]);
  assert.deepEqual(outs(), [256, 16, 10]);
  assert.deepEqual(outs(64), [256, 16, 10]);
  assert.deepEqual(outs(32), [128, 8, 10]);
  assert.deepEqual(outs(128), [512, 32, 10]);
  assert.deepEqual(outs(1), [4, 1, 10]);
  const o = { input: [10] as [number], channels: 32 };
  assert.equal(mlp.measure(a, o).params, 10 * 128 + 128 + 128 * 8 + 8 + 8 * 10 + 10);
  const net = buildNetwork(a, o);
  assert.equal(net.numParameters(), mlp.measure(a, o).params);
  net.dispose();
});

test('mlp: options are checked; cells are refused; image spaces refuse a feature vector', () => {
  const a = mlp.parse(EXAMPLE);
  assert.throws(() => mlp.measure(a, { cells: 3 }), (e: unknown) => e instanceof ArchitectureError && /mlp: has no cells/.test(e.message));
  assert.throws(() => mlp.graph(a, { input: [3, 32] as unknown as [number] }), /mlp: input must be a feature vector \[F\] or an image \[C, H, W\] of positive integers, got \[3, 32\]/);
  assert.throws(() => mlp.graph(a, { input: [0] }), /mlp: input must be a feature vector/);
  assert.throws(() => mlp.graph(a, { input: [2.5] }), /mlp: input must be a feature vector/);
  assert.throws(() => mlp.graph(a, { classes: 0 }), /mlp: classes must be a positive integer, got 0/);
  assert.throws(() => mlp.graph(a, { channels: -1 }), /mlp: channels must be a positive integer, got -1/);
  assert.deepEqual(mlpConfig(), { input: [16], classes: 10, channels: 64 });
  assert.deepEqual(mlpConfig({ input: [1, 28, 28], classes: 2, channels: 8 }), { input: [1, 28, 28], classes: 2, channels: 8 });
  const c = chain.sample(1);
  assert.throws(() => chain.graph(c, { input: [16] }), (e: unknown) => e instanceof ArchitectureError && /chain: input must be three positive integers CxHxW, got 16/.test(e.message));
  for (const name of ['nb201', 'nb101', 'darts', 'nasnet', 'mobilenet', 'multibranch']) {
    const s = getSpace(name);
    assert.throws(() => s.graph?.(s.sample(1), { input: [16] }), ArchitectureError, name);
  }
});

test('mlp: the network draws as a stack of layers', () => {
  const a = mlp.parse(EXAMPLE);
  const d = drawArchitecture(mlp, a, { input: [20], classes: 3 });
  const labels = d.nodes.map((n) => n.label);
  assert.ok(
    labels.some((l) => l.startsWith('layer 0') && l.endsWith('256')),
    labels.join(' | '),
  );
  assert.ok(labels.some((l) => l.startsWith('layer 1') && l.endsWith('128')));
  assert.ok(labels.some((l) => l.startsWith('linear → 3')));
  const expanded = drawArchitecture(mlp, a, { input: [1, 28, 28], expand: true });
  assert.ok(expanded.nodes.some((n) => n.label.startsWith('flatten')));
  assert.ok(expanded.nodes.some((n) => n.label.startsWith('BN')));
  assert.match(toDot(d), /layer 0/);
});
