import assert from 'node:assert/strict';
import { test } from 'node:test';
import { F, type Tensor, dispose, manualSeed, memory, noGrad, randn, setNumThreads, tensor, tidy } from '../../src/engine/index.js';
import { Supernet, SupernetError } from '../../src/oneshot/supernet.js';
import { DARTS_OPS, NB201_OPS, darts, measureGraph, nb201 } from '../../src/space/index.js';

// One intra-op thread: the test runner runs two files at once, and tiny convolutions gain nothing from more.
setNumThreads(1);

const INPUT: [number, number, number] = [1, 16, 16];
const NB = { input: INPUT, channels: 4, cells: 1 };
const DA = { input: INPUT, channels: 4, cells: 3 };
const labels = (n: number) => tensor(BigInt64Array.from({ length: n }, (_, i) => BigInt(i % 10)));

test('NB201 supernet: alphas [6, 5], 6 mixed edges per cell, parameters = all-3x3 + all-1x1 - all-none cells', () => {
  const before = memory().liveTensors;
  const s = new Supernet('nb201', { ...NB, seed: 0 });
  assert.deepEqual(
    s.archParameters().map((a) => a.shape),
    [[6, 5]],
  );
  assert.deepEqual(s.cellTypes, ['cell']);
  assert.deepEqual(s.ops, NB201_OPS);
  assert.equal(s.mixedEdges.length, 6 * 3);
  // Each edge holds both convolutions; everything else is the same in every NB201 network.
  const p = (cell: string) => nb201.measure(nb201.parse(cell), NB).params;
  const all = (op: string) => `|${op}~0|+|${op}~0|${op}~1|+|${op}~0|${op}~1|${op}~2|`;
  assert.equal(s.numParameters(), p(all('nor_conv_3x3')) + p(all('nor_conv_1x1')) - p(all('none')));
  assert.equal(s.numParameters(), measureGraph(s.graph).params, 'the registry formula counts the supernet too');
  // affine=False: each conv candidate's BN (2 x C per edge) is frozen; 3 stages at 4, 8, 16 channels.
  const frozen = 2 * 6 * 2 * (4 + 8 + 16);
  assert.equal(
    s.weights().reduce((a, w) => a + w.numel(), 0),
    s.numParameters() - frozen,
  );
  assert.ok(!s.weights().some((w) => s.archParameters().includes(w)), 'alphas are not weights');
  const sd = s.stateDict();
  assert.ok(![...sd.keys()].some((k) => k.includes('alpha')));
  dispose([...sd.values()]);
  const names = [...s.namedParameters()].map(([n]) => n);
  assert.ok(names.includes('cells.0.edges.2_1.ops.nor_conv_3x3.op.1.weight'), names.slice(0, 6).join(' '));
  s.dispose();
  assert.equal(memory().liveTensors, before);
});

test('DARTS supernet: alphas [14, 8] for normal and reduce, 14 mixed edges per cell, module count matches the registry', () => {
  const before = memory().liveTensors;
  const s = new Supernet('darts', { ...DA, seed: 0 });
  assert.deepEqual(
    s.archParameters().map((a) => a.shape),
    [
      [14, 8],
      [14, 8],
    ],
  );
  assert.deepEqual(s.cellTypes, ['normal', 'reduce']);
  assert.deepEqual(s.ops, DARTS_OPS);
  assert.equal(s.mixedEdges.length, 14 * 3);
  assert.equal(s.numParameters(), measureGraph(s.graph).params);
  // Cell 0 is normal at C=4 (stem 12 channels); cells 1 and 2 reduce (3//3 = 1, 2*3//3 = 2) at 8 and 16.
  const sep = (c: number, k: number) => 2 * (c * k * k + c * c + 2 * c);
  const dil = (c: number, k: number) => c * k * k + c * c + 2 * c;
  const bn = (c: number) => 2 * c;
  const edge = (c: number, stride: number) => sep(c, 3) + sep(c, 5) + dil(c, 3) + dil(c, 5) + 2 * bn(c) + (stride === 2 ? c * c + bn(c) : 0);
  const rcb = (cin: number, c: number) => cin * c + bn(c);
  // In a reduction cell the 8 edges out of the two inputs have stride 2 (skip_connect is then a FactorizedReduce).
  const cell = (c: number, reduce: boolean) => (reduce ? 8 * edge(c, 2) + 6 * edge(c, 1) : 14 * edge(c, 1));
  const want =
    12 * 9 + bn(12) + // stem: conv3x3 1 -> 12, BN
    rcb(12, 4) + rcb(12, 4) + cell(4, false) + // cell 0 reads the stem twice; outputs 16 channels
    rcb(12, 8) + rcb(16, 8) + cell(8, true) + // cell 1 reads the stem and cell 0; outputs 32
    (16 * 16 + bn(16)) + rcb(32, 16) + cell(16, true) + // cell 2: FactorizedReduce of cell 0 (after a reduction), cell 1; outputs 64
    64 * 10 + 10;
  assert.equal(s.numParameters(), want);
  s.dispose();
  assert.equal(memory().liveTensors, before);
});

test('derive() on hand-set alphas: NB201 takes the argmax per edge (none included)', () => {
  const s = new Supernet('nb201', NB);
  const want = ['nor_conv_3x3', 'none', 'skip_connect', 'avg_pool_3x3', 'nor_conv_1x1', 'nor_conv_3x3'];
  s.setAlphas([want.map((op, e) => NB201_OPS.map((o, k) => (o === op ? 1 + e : -k * 0.1)))]);
  assert.equal(s.deriveText(), '|nor_conv_3x3~0|+|none~0|skip_connect~1|+|avg_pool_3x3~0|nor_conv_1x1~1|nor_conv_3x3~2|');
  s.dispose();
});

test('derive() on hand-set alphas: DARTS keeps the two strongest non-none edges per node and the strongest non-none op on each', () => {
  const s = new Supernet('darts', DA);
  const K = DARTS_OPS.length;
  const idx = (op: string) => (DARTS_OPS as readonly string[]).indexOf(op);
  const row = (op: string, strength: number, noneLogit = 0) =>
    Array.from({ length: K }, (_, k) => (k === idx(op) ? strength : k === 0 ? noneLogit : 0));
  // Edges in order: 2<-0, 2<-1, 3<-0, 3<-1, 3<-2, 4<-0..3, 5<-0..4.
  const normal = [
    row('sep_conv_3x3', 3),
    row('dil_conv_5x5', 2),
    row('skip_connect', 1),
    row('max_pool_3x3', 0.5, 9), // strongest overall is none: ranked by its best non-none op (weak), so dropped
    row('sep_conv_5x5', 4),
    row('avg_pool_3x3', 1),
    row('sep_conv_3x3', 1.5),
    row('dil_conv_3x3', 2),
    row('skip_connect', 0.1),
    row('sep_conv_5x5', 0.2),
    row('sep_conv_5x5', 0.3),
    row('max_pool_3x3', 2),
    row('dil_conv_3x3', 0.4),
    row('skip_connect', 3),
  ];
  const reduce = Array.from({ length: 14 }, (_, e) => row('max_pool_3x3', 1 + (e % 3)));
  s.setAlphas([normal, reduce]);
  const g = darts.genotype(s.derive());
  assert.deepEqual(g.normal, [
    ['sep_conv_3x3', 0],
    ['dil_conv_5x5', 1],
    ['skip_connect', 0],
    ['sep_conv_5x5', 2],
    ['sep_conv_3x3', 1],
    ['dil_conv_3x3', 2],
    ['max_pool_3x3', 2],
    ['skip_connect', 4],
  ]);
  // Reduce: every edge max_pool, strengths 1, 2, 3 by edge index mod 3.
  assert.deepEqual(
    g.reduce.map(([, i]) => i),
    [0, 1, 0, 2, 0, 3, 1, 2],
  );
  assert.ok(g.reduce.every(([op]) => op === 'max_pool_3x3'));
  assert.match(s.deriveText(), /^Genotype\(normal=\[\('sep_conv_3x3', 0\), \('dil_conv_5x5', 1\)/);
  s.dispose();
});

test('a path equals its one-hot mixing weights and the stand-alone sub-network with the supernet weights (NB201, DARTS)', () => {
  manualSeed(3);
  const before = memory().liveTensors;
  const x = randn([4, ...INPUT]);
  const cases: [Supernet, ReturnType<typeof nb201.parse>][] = [
    [new Supernet('nb201', NB), nb201.parse('|nor_conv_3x3~0|+|none~0|skip_connect~1|+|avg_pool_3x3~0|nor_conv_1x1~1|nor_conv_3x3~2|')],
    [
      new Supernet('darts', DA),
      darts.parse(
        "Genotype(normal=[('sep_conv_3x3', 0), ('dil_conv_5x5', 1), ('skip_connect', 0), ('sep_conv_5x5', 2), ('sep_conv_3x3', 1), ('dil_conv_3x3', 3), ('skip_connect', 2), ('sep_conv_5x5', 4)], normal_concat=[2, 3, 4, 5], reduce=[('skip_connect', 0), ('sep_conv_3x3', 1), ('dil_conv_3x3', 0), ('sep_conv_5x5', 2), ('skip_connect', 2), ('dil_conv_5x5', 3), ('sep_conv_3x3', 1), ('sep_conv_5x5', 4)], reduce_concat=[2, 3, 4, 5])",
      ),
    ],
  ];
  for (const [s, arch] of cases) {
    // A few softmax training steps first, so weights and batch-norm statistics are not at their initial values.
    tidy(() => {
      for (let i = 0; i < 2; i++) F.crossEntropy(s.call(x), labels(4)).backward();
    });
    s.eval();
    const net = s.subnet(arch).eval();
    const choice = s.choiceOf(arch);
    const onehot = choice.map((r) => tensor(r.map((k) => s.ops.map((_, j) => (j === k ? 1 : 0))) as number[][]));
    tidy(() => {
      const a = s.setPath(arch).call(x);
      const b = net.call(x);
      const c = s.setMode({ kind: 'weights', weights: onehot }).call(x);
      assert.ok(a.sub(b).abs().max().item() < 1e-5, `${s.space}: path vs sub-network ${a.sub(b).abs().max().item()}`);
      // DARTS: off edges are simply not summed; one-hot rows of zeros would do the same, so compare NB201 only.
      if (s.space === 'nb201') assert.ok(a.sub(c).abs().max().item() < 1e-6, `${s.space}: path vs one-hot weights`);
    });
    // Sub-network weights are copies: training the supernet further leaves them alone.
    const w0 = tidy(() => net.stateDict().get('classifier.weight')?.sum().item());
    s.train().setMode({ kind: 'softmax' });
    tidy(() => F.crossEntropy(s.call(x), labels(4)).backward());
    noGrad(() =>
      tidy(() => {
        for (const p of s.weights()) p.sub_(p.grad ?? 0);
      }),
    );
    assert.equal(
      tidy(() => net.stateDict().get('classifier.weight')?.sum().item()),
      w0,
    );
    dispose(onehot);
    net.dispose();
    s.dispose();
  }
  x.dispose();
  assert.equal(memory().liveTensors, before);
});

test('forward modes: softmax, the DARTS- auxiliary skip, and GDAS hard sampling with straight-through gradients', () => {
  manualSeed(4);
  const s = new Supernet('nb201', NB);
  const x = randn([4, ...INPUT]);
  const y = labels(4);
  const before = memory().liveTensors;
  const alphaGrad = (): number => {
    const g = s.archParameters()[0].grad;
    const v = g ? g.abs().sum().item() : 0;
    g?.dispose();
    for (const a of s.archParameters()) a.grad = null;
    return v;
  };
  s.eval();
  tidy(() => {
    const plain = s.setMode({ kind: 'softmax' }).call(x);
    F.crossEntropy(plain, y).backward();
    assert.ok(alphaGrad() > 0, 'softmax: the alphas get gradients');
    const withSkip = s.setMode({ kind: 'softmax', auxSkip: 0.7 }).call(x);
    assert.ok(withSkip.sub(plain).abs().max().item() > 1e-4, 'the auxiliary skip changes the output');
    const zeroSkip = s.setMode({ kind: 'softmax', auxSkip: 0 }).call(x);
    assert.ok(zeroSkip.sub(plain).abs().max().item() === 0, 'beta = 0 is plain DARTS');
  });
  // A sample can cut a cell off from its input (all zeros then), so count gradients over several samples.
  let gumbelGrad = 0;
  for (let i = 0; i < 5; i++) {
    tidy(() => {
      const out = s.setMode({ kind: 'gumbel', tau: 1 }).call(x);
      const sample = s.lastSample as number[][];
      assert.equal(sample[0].length, 6);
      // In value, the hard sample is the single path it picked.
      const path = s.setPath(sample).call(x);
      assert.ok(out.sub(path).abs().max().item() < 1e-5);
      F.crossEntropy(out, y).backward();
      gumbelGrad += alphaGrad();
    });
  }
  assert.ok(gumbelGrad > 0, 'gumbel: the alphas get straight-through gradients');
  assert.equal(memory().liveTensors, before, 'forward/backward in tidy leaves no tensors behind');
  assert.throws(() => s.setMode({ kind: 'gumbel', tau: 0 }), /temperature/);
  assert.throws(() => s.setPath([[0, 1, 2]]), SupernetError);
  assert.throws(() => new Supernet('nb101'), /no supernet for space 'nb101'/);
  assert.throws(() => new Supernet('darts', { input: [1, 14, 14], cells: 3 }), /multiples of 4/);
  dispose([x, y]);
  s.dispose();
});

test('DARTS with pooling: a path equals its sub-network without the pooling batch norms (poolBN: false)', () => {
  manualSeed(5);
  const s = new Supernet('darts', { ...DA, poolBN: false });
  const x = randn([2, ...INPUT]);
  const arch = darts.parse(
    "Genotype(normal=[('max_pool_3x3', 0), ('avg_pool_3x3', 1), ('skip_connect', 0), ('max_pool_3x3', 2), ('sep_conv_3x3', 1), ('avg_pool_3x3', 3), ('skip_connect', 2), ('dil_conv_5x5', 4)], normal_concat=[2, 3, 4, 5], reduce=[('max_pool_3x3', 0), ('avg_pool_3x3', 1), ('skip_connect', 0), ('sep_conv_5x5', 2), ('avg_pool_3x3', 2), ('dil_conv_3x3', 3), ('max_pool_3x3', 1), ('skip_connect', 4)], reduce_concat=[2, 3, 4, 5])",
  );
  tidy(() => F.crossEntropy(s.call(x), labels(2)).backward());
  s.eval();
  const net = s.subnet(arch).eval();
  tidy(() => assert.ok(s.setPath(arch).call(x).sub(net.call(x)).abs().max().item() < 1e-5));
  assert.ok(![...s.namedModules()].some(([n]) => n.endsWith('_bn')));
  net.dispose();
  x.dispose();
  s.dispose();
});

test('GDAS computes only the sampled op of each edge', () => {
  const s = new Supernet('nb201', NB);
  const calls = new Map<string, number>();
  const hooks = s.mixedEdges.flatMap((m) =>
    s.ops.map((op) => {
      const name = `${m.name}.ops.${op}`;
      const mod = [...s.namedModules()].find(([n]) => n === name)?.[1];
      return mod?.registerForwardHook(() => {
        calls.set(name, (calls.get(name) ?? 0) + 1);
      });
    }),
  );
  const x = randn([2, ...INPUT]);
  tidy(() => s.setMode({ kind: 'gumbel', tau: 2 }).call(x));
  const sample = s.lastSample as number[][];
  for (const m of s.mixedEdges) {
    for (const [k, op] of s.ops.entries()) {
      const n = calls.get(`${m.name}.ops.${op}`) ?? 0;
      if (op.startsWith('nor_conv')) assert.equal(n, sample[0][m.edge] === k ? 1 : 0, `${m.name} ${op}`);
    }
  }
  // And softmax runs every candidate.
  calls.clear();
  tidy(() => s.setMode({ kind: 'softmax' }).call(x));
  assert.equal([...calls.values()].filter((v) => v === 1).length, 2 * s.mixedEdges.length);
  for (const h of hooks) h?.remove();
  x.dispose();
  s.dispose();
});

test('DARTS paths: edges off are skipped; a node with no edge on is refused', () => {
  const s = new Supernet('darts', DA);
  const x = randn([2, ...INPUT]);
  const row = () => Array.from({ length: 14 }, () => -1);
  const c = [row(), row()];
  for (const r of c) for (const e of [0, 1, 2, 6, 10]) r[e] = 4;
  tidy(() => assert.deepEqual(s.setPath(c).call(x).shape, [2, 10]));
  c[0][10] = -1;
  assert.throws(() => s.setPath(c), /normal node 5 has no edge on/);
  x.dispose();
  s.dispose();
});

test('memory estimate and batch-size fitting', () => {
  const s = new Supernet('darts', DA);
  const all = s.memoryEstimate();
  const single = s.memoryEstimate({ mode: 'single' });
  assert.ok(single.perSampleBytes < all.perSampleBytes / 2, 'one path per edge needs far less than all ops');
  assert.ok(s.memoryEstimate({ secondOrder: true }).fixedBytes > all.fixedBytes);
  for (const mem of [2 ** 26, 2 ** 28, 2 ** 30]) {
    const b = s.fitBatchSize(mem, { max: 100_000 });
    assert.ok(all.fixedBytes + b * all.perSampleBytes <= mem && all.fixedBytes + (b + 1) * all.perSampleBytes > mem, `batch ${b} for ${mem} bytes`);
  }
  assert.equal(s.fitBatchSize(2 ** 30, { max: 64 }), 64);
  assert.equal(s.fitBatchSize(2 ** 28, { multipleOf: 8 }) % 8, 0);
  assert.throws(() => s.fitBatchSize(all.fixedBytes + 10), /does not fit: it needs about .* MiB/);
  s.dispose();
});

test('float64: weights and alphas convert together', () => {
  const s = new Supernet('nb201', NB).double();
  assert.equal(s.archParameters()[0].dtype, 'float64');
  assert.ok(s.weights().every((w: Tensor) => w.dtype === 'float64'));
  tidy(() => assert.equal(s.call(randn([2, ...INPUT], { dtype: 'float64' })).dtype, 'float64'));
  s.dispose();
});

test('a supernet laid out channels-last (the CPU search default) computes the same: float64 losses and weight and alpha gradients to 1e-9', () => {
  for (const [name, o] of [['nb201', NB], ['darts', DA]] as const) {
    const s = new Supernet(name, { ...o, seed: 0 });
    s.to('float64');
    manualSeed(2);
    const x = randn([4, ...INPUT], { dtype: 'float64' });
    const y = labels(4);
    const step = (): { loss: number; grads: number[] } => {
      s.zeroGrad();
      for (const a of s.archParameters()) a.grad = null;
      const loss = tidy(() => {
        const l = F.crossEntropy(s.call(x) as Tensor, y);
        l.backward();
        return l.item();
      });
      const grads = [...s.weights().slice(0, 4), ...s.archParameters()].map((p) => tidy(() => p.grad?.abs().sum().item() ?? Number.NaN));
      return { loss, grads };
    };
    s.train(true);
    const a = step();
    s.to({ memoryFormat: 'channels_last' });
    assert.ok(s.weights().some((p) => p.memoryFormat === 'channels_last'), `${name}: convolution weights laid out channels-last`);
    const b = step();
    assert.ok(Math.abs(a.loss - b.loss) <= 1e-9 * a.loss, `${name}: loss ${a.loss} vs ${b.loss}`);
    for (const [i, g] of a.grads.entries()) assert.ok(Math.abs(g - b.grads[i]) <= 1e-9 * Math.max(1, g), `${name}: gradient sum ${i}: ${g} vs ${b.grads[i]}`);
    s.dispose();
    x.dispose();
    y.dispose();
  }
});
