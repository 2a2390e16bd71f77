import assert from 'node:assert/strict';
import { test } from 'node:test';
import { type Tensor, manualSeed, memory, randn, setNumThreads, tidy } from '../../src/engine/index.js';
import { GraphBuilder, type OpAttrs, type Shape, getOp, measureGraph, opNames } from '../../src/space/index.js';
import { compileGraph } from '../../src/space/networks/index.js';

setNumThreads(1);

/** One sample use of every registered op: attributes and input shapes. Adding an op means adding a line here. */
const SAMPLES: Record<string, [OpAttrs, Shape[]][]> = {
  conv: [
    [{ out: 6, k: 3 }, [[4, 9, 9]]],
    [{ out: 8, k: 5, stride: 2, groups: 4, bias: true }, [[4, 9, 9]]],
    [{ out: 4, k: 3, dil: 2, groups: 4 }, [[4, 9, 9]]],
  ],
  bn: [[{}, [[4, 5, 5]]]],
  act: [[{ fn: 'hswish' }, [[4, 5, 5]]]],
  relu_conv_bn: [[{ out: 6, k: 3, stride: 2 }, [[4, 8, 8]]]],
  conv_bn_act: [
    [{ out: 6, k: 1 }, [[4, 8, 8]]],
    [{ out: 4, k: 3, stride: 2, groups: 4, act: 'relu6' }, [[4, 8, 8]]],
  ],
  sep_conv: [[{ out: 6, k: 5, stride: 2 }, [[4, 8, 8]]]],
  dil_conv: [[{ out: 6, k: 3 }, [[4, 8, 8]]]],
  conv_1xk_kx1: [
    [{ out: 6, k: 7, stride: 2 }, [[4, 9, 9]]],
    [{ out: 4, k: 3 }, [[4, 8, 7]]],
  ],
  factorized_reduce: [[{ out: 6 }, [[4, 8, 8]]]],
  max_pool: [[{ k: 2, ceil: true }, [[4, 7, 7]]]],
  avg_pool: [[{ k: 3, stride: 1, pad: 1, countPad: false }, [[4, 7, 7]]]],
  global_avg_pool: [[{}, [[4, 7, 7]]]],
  adaptive_avg_pool: [[{ size: [4, 3] }, [[4, 7, 7]]]],
  identity: [[{}, [[4, 7, 7]]]],
  zero: [[{ stride: 2 }, [[4, 7, 7]]]],
  add: [[{}, [[4, 7, 7], [4, 7, 7], [4, 7, 7]]]],
  concat: [[{}, [[4, 7, 7], [2, 7, 7]]]],
  slice: [[{ channels: 3 }, [[4, 7, 7]]]],
  flatten: [[{}, [[4, 3, 3]]]],
  linear: [[{ out: 5 }, [[12]]]],
  dropout: [[{ p: 0.5 }, [[12]]]],
  resnet_basic: [
    [{ out: 8, stride: 2 }, [[4, 8, 8]]],
    [{ out: 8 }, [[4, 8, 8]]],
    [{ out: 4 }, [[4, 8, 8]]],
  ],
  aux_head_cifar: [[{ classes: 10 }, [[6, 8, 8]]]],
  mbconv: [
    [{ out: 4, k: 3 }, [[4, 8, 8]]],
    [{ out: 6, k: 5, expand: 3, stride: 2, se: 0.25, act: 'hswish' }, [[4, 9, 9]]],
    [{ out: 5, k: 7, expand: 6, se: 0.25 }, [[5, 6, 6]]],
  ],
};

/** Multiply-adds of every conv and linear inside a module, measured by running it (hooks on the leaves). */
function measuredFlops(m: import('../../src/engine/index.js').nn.Module, xs: Tensor[]): number {
  let flops = 0;
  const handles: { remove(): void }[] = [];
  for (const [, leaf] of m.namedModules()) {
    const name = leaf.constructor.name;
    if (name !== 'Conv2d' && name !== 'Linear') continue;
    handles.push(
      leaf.registerForwardHook((mod, _in, out) => {
        const w = (mod as unknown as { weight: Tensor }).weight;
        const o = out as Tensor;
        const perOut = w.numel() / w.shape[0];
        flops += (o.numel() / o.shape[0]) * perOut;
      }),
    );
  }
  tidy(() => {
    m.call(...xs);
  });
  for (const h of handles) h.remove();
  return flops;
}

test('every registered op: built module has the formula parameter count, FLOPs and output shape', () => {
  const base = memory().liveTensors;
  manualSeed(0);
  for (const name of opNames()) {
    if (name === 'input') continue;
    const samples = SAMPLES[name];
    assert.ok(samples, `test/space/graph.test.ts needs a sample for op '${name}'`);
    for (const [attrs, ins] of samples) {
      const g = new GraphBuilder(ins[0], 'test');
      const inputs = ins.map((s, i) => (i === 0 ? g.input : g.add('conv', g.input, { out: s[0], k: 1 }, `pre${i}`)));
      const id = g.add(name, inputs, attrs, 'op');
      const graph = g.output('logits', id).build();
      const spec = getOp(name);
      const node = graph.nodes[id];
      const net = compileGraph(graph).eval();
      const preParams = ins.slice(1).reduce((n, s) => n + ins[0][0] * s[0], 0);
      const what = `${name} ${JSON.stringify(attrs)} on ${ins.map((s) => s.join('x')).join(', ')}`;
      assert.equal(net.numParameters() - preParams, spec.params(node.attrs, ins, node.shape), `params of ${what}`);
      const out = tidy(() => {
        const x = randn([2, ...ins[0]]);
        const y = net.call(x) as Tensor;
        return y.shape;
      });
      assert.deepEqual(out, [2, ...node.shape], `shape of ${what}`);
      // FLOPs: hooks on the op's own convs and linears.
      const opModule = [...net.namedChildren()].find(([n]) => n === 'op')?.[1];
      if (opModule && ins.length === 1) {
        const x = randn([1, ...ins[0]]);
        assert.equal(measuredFlops(opModule, [x]), spec.flops(node.attrs, ins, node.shape), `FLOPs of ${what}`);
        x.dispose();
      } else assert.equal(spec.flops(node.attrs, ins, node.shape), 0, `${what} has no convs or linears`);
      net.dispose();
    }
  }
  assert.equal(memory().liveTensors, base);
});

test('graph builder: clear errors for unknown ops, bad arity, shapes that do not fit, too-small inputs, duplicate names', () => {
  const g = new GraphBuilder([3, 8, 8], 'mine');
  assert.throws(() => g.add('conv7', g.input, {}), /unknown op 'conv7' \(known: conv, /);
  assert.throws(() => g.add('add', [], {}), /op 'add' takes 1 to any number of input\(s\), got 0/);
  assert.throws(() => g.add('linear', g.input, { out: 3 }), /mine: linear_0 \(linear\) on input 3x8x8: linear needs a vector \[F\]/);
  assert.throws(() => g.add('conv', 5, { out: 3, k: 3 }), /reads node 5, which does not exist yet/);
  const a = g.add('conv', g.input, { out: 4, k: 3, stride: 2 }, 'a');
  assert.throws(() => g.add('add', [g.input, a]), /inputs to a sum must have one shape, got 3x8x8 and 4x4x4/);
  assert.throws(() => g.add('conv', g.input, { out: 4, k: 3 }, 'a'), /node name 'a' is used twice/);
  assert.throws(() => g.add('conv', g.input, { k: 3 }), /attribute 'out' must be a number/);
  let x = a;
  assert.throws(() => {
    for (let i = 0; i < 5; i++) x = g.add('max_pool', x, { k: 2 });
  }, /would output 4x0x0: the input 3x8x8 is too small for this network's reductions/);
  assert.throws(() => g.build(), /has no 'logits' output/);
});

test('measures: hand-computed params, FLOPs and activation memory of a small graph', () => {
  const g = new GraphBuilder([3, 8, 8]);
  const c = g.add('conv', g.input, { out: 4, k: 3, bias: true }, 'c'); // 4*3*9+4 = 112 params, 108*64 = 6912 MACs
  const p = g.add('max_pool', c, { k: 2 }, 'p'); // 4x4x4
  const f = g.add('flatten', p, {}, 'f'); // 64
  const l = g.add('linear', f, { out: 10 }, 'l'); // 650 params, 640 MACs
  const graph = g.output('logits', l).build();
  const m = measureGraph(graph);
  assert.equal(m.params, 762);
  assert.equal(m.mainParams, 762);
  assert.equal(m.flops, 6912 + 640);
  // Saved for backward: conv out 256 + pool out 64 + linear out 10 (flatten is a view) = 330 floats.
  assert.equal(m.trainActivationBytes, 330 * 4);
  // Inference peak: the caller holds the input (192) while conv (256) and pool (64) are live.
  assert.equal(m.inferencePeakBytes, (192 + 256 + 64) * 4);
});

test('the compiled module frees intermediates and keeps aux outputs apart', () => {
  const g = new GraphBuilder([3, 8, 8]);
  const s = g.add('conv', g.input, { out: 6, k: 3 }, 'stem');
  const i = g.add('identity', s);
  const sum = g.add('add', [s, i]);
  const aux = g.chain(sum, [['aux_head_cifar', { classes: 4 }, 'aux']]);
  const out = g.chain(sum, [
    ['global_avg_pool', {}, 'gap'],
    ['linear', { out: 4 }, 'classifier'],
  ]);
  const graph = g.output('logits', out).output('aux', aux).build();
  const net = compileGraph(graph);
  assert.equal(net.numMainParameters(), 6 * 27 + 24 + 4);
  assert.equal(net.numParameters(), net.numMainParameters() + measureGraph(graph).params - measureGraph(graph).mainParams);
  const base = memory().liveTensors;
  const x = randn([2, 3, 8, 8]);
  // Without the aux head (all ops here free what they make): only x and the logits are left.
  const logits = net.train().call(x) as Tensor;
  assert.equal(memory().liveTensors, base + 2);
  tidy(() => {
    logits.sum().backward();
  });
  const grad = net.namedParameters().next().value?.[1].grad;
  assert.ok(grad, 'gradients flow through the compiled graph');
  grad.dispose();
  logits.dispose();
  tidy(() => {
    const r = net.forwardWithAux(x);
    assert.deepEqual(r.logits.shape, [2, 4]);
    assert.deepEqual(r.aux?.shape, [2, 4]);
    assert.equal(net.eval().forwardWithAux(x).aux, null);
  });
  x.dispose();
  assert.equal(memory().liveTensors, base);
});
