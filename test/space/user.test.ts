import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { after, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { dispose, manualSeed, memory, setNumThreads, tensor } from '../../src/engine/index.js';
import { ArchitectureError, type SpaceSpec, UserSpace, defineSpace, getSpace, loadSpaceFile, measureGraph, userSpace } from '../../src/space/index.js';
import { buildNetwork, compileGraph } from '../../src/space/networks/index.js';
import { assertUsageError, loom, ok } from '../cli/loom.js';
import { forwardBackward, realBatch } from './batch.js';
import { fmnistCnn } from './user-example.js';

setNumThreads(1);

/** The repository root: the first folder above this file with the example spaces. */
function repoRoot(): string {
  let d = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(d, 'examples', 'spaces', 'fmnist-cnn.json'))) {
    const up = dirname(d);
    if (up === d) throw new Error('examples/spaces/fmnist-cnn.json not found above the test');
    d = up;
  }
  return d;
}
const EXAMPLE = join(repoRoot(), 'examples', 'spaces', 'fmnist-cnn.json');
const exampleJson = (): SpaceSpec => JSON.parse(readFileSync(EXAMPLE, 'utf8'));
const tmp = mkdtempSync(join(tmpdir(), 'loom-user-'));
after(() => rmSync(tmp, { recursive: true, force: true }));

const EXAMPLE_DECISIONS = [
  'act',
  's1.w',
  's1.blocks',
  's1.blocks.0.op',
  's1.blocks.1.op',
  's1.skip',
  's2.w',
  's2.blocks',
  's2.blocks.0.op',
  's2.blocks.1.op',
  's2.skip',
  'dropout',
];

test('the builder and the JSON file give one spec, the same decisions and the same seeded samples', () => {
  const file = loadSpaceFile(EXAMPLE);
  const code = fmnistCnn();
  assert.deepEqual(code.toJSON(), exampleJson());
  assert.deepEqual(JSON.parse(JSON.stringify(code)), exampleJson(), 'JSON.stringify(space) writes the spec');
  assert.deepEqual(code.decisions, file.decisions);
  assert.deepEqual(
    file.decisions.map((d) => d.name),
    EXAMPLE_DECISIONS,
  );
  assert.deepEqual(file.decisions[1], { kind: 'categorical', name: 's1.w', choices: [16, 32, 48] });
  assert.deepEqual(file.decisions[5], { kind: 'input', name: 's1.skip', candidates: [0, 1], min: 1, max: 2 });
  assert.deepEqual(file.decisions[2], { kind: 'repeat', name: 's1.blocks', low: 0, high: 2 });
  // 2 acts x (3 widths x 3 depths x 4^2 ops x 3 skips)^2 x 2 dropouts.
  assert.equal(file.size(), 2 * (3 * 3 * 16 * 3) ** 2 * 2);
  for (const seed of [0, 1, 2026]) {
    const a = file.sampleMany(20, seed).map((x) => x.key);
    assert.deepEqual(code.sampleMany(20, seed).map((x) => x.key), a, `seed ${seed}`);
    assert.ok(new Set(a).size > 15, 'samples differ');
  }
  assert.notDeepEqual(
    file.sampleMany(20, 1).map((x) => x.key),
    file.sampleMany(20, 2).map((x) => x.key),
  );
  const a = file.sample(7);
  assert.deepEqual(code.mutate(a, 3), file.mutate(a, 3));
  assert.equal(code.measure(a).params, file.measure(a).params);
});

test('repeats and nested cells instantiate the chosen copies, under their instance paths', () => {
  const s = fmnistCnn();
  const arch = s.arch({
    act: 'relu',
    dropout: 0.2,
    's1.w': 32,
    's1.blocks': 2,
    's1.blocks.0.op': 'double',
    's1.blocks.1.op': 'sep3',
    's1.skip': [0, 1],
    's2.w': 48,
    's2.blocks': 1,
    's2.blocks.0.op': 'conv5',
    's2.blocks.1.op': 'double',
    's2.skip': [1],
  });
  const g = s.graph(arch);
  const names = g.nodes.map((n) => n.name);
  assert.deepEqual(names, [
    'input',
    'stem',
    's1.down',
    's1.blocks.0.conv.a',
    's1.blocks.0.conv.b',
    's1.blocks.0.sum',
    's1.blocks.1.conv',
    's1.blocks.1.sum',
    's1.merge',
    's2.down',
    's2.blocks.0.conv',
    's2.blocks.0.sum',
    's2.merge',
    'drop',
    'global_pool',
    'classifier',
  ]);
  const node = (n: string) => g.nodes.find((x) => x.name === n)!;
  assert.deepEqual(node('s1.blocks.0.conv.b').shape, [32, 14, 14]);
  assert.deepEqual(node('s1.merge').inputs, [node('s1.down').id, node('s1.blocks.1.sum').id]);
  assert.equal(node('s1.blocks.1.conv').op, 'sep_conv');
  assert.deepEqual(node('s2.blocks.0.conv').attrs, { act: 'relu', k: 5, out: 48 });
  assert.deepEqual(node('s2.merge').inputs, [node('s2.blocks.0.sum').id]);
  // Drawings group each top-level instance, nested cells included.
  assert.deepEqual(
    [...new Set(g.nodes.map((n) => n.group))],
    ['', 's1', 's2'],
  );
  assert.equal(node('s1.blocks.0.conv.a').group, 's1');
  assert.equal(node('drop').attrs.p, 0.2);
  // Three copies of `res` and no more: one more repeat adds exactly its nodes.
  const more = s.graph(s.arch({ ...arch.values, 's2.blocks': 2 }));
  assert.deepEqual(
    more.nodes.map((n) => n.name).filter((n) => !names.includes(n)),
    ['s2.blocks.1.conv.a', 's2.blocks.1.conv.b', 's2.blocks.1.sum'],
  );
  // 16 -> 32 -> 48 channels: stem 1*16*9+32, down 16*32*9+64, two convs 32*32*9+64 each, ...
  const p = (ci: number, co: number, k: number) => ci * co * k * k + 2 * co;
  const sep = (c: number) => 2 * c * 9 + c * c + 2 * c + c * c + 2 * c;
  const want = p(1, 16, 3) + p(16, 32, 3) + 2 * p(32, 32, 3) + sep(32) + p(32, 48, 3) + p(48, 48, 5) + 48 * 10 + 10;
  assert.equal(s.measure(arch).params, want);
});

test('decisions that do not reach the network are inactive, and canonical forms merge them', () => {
  const s = fmnistCnn();
  const base = s.sample(11).values;
  // Stage 1 skips its blocks (reads only `down`): its depth and ops do not matter.
  const a = s.arch({ ...base, 's1.skip': [0], 's1.blocks': 2, 's1.blocks.0.op': 'conv5', 's2.blocks': 1, 's2.blocks.0.op': 'conv3', 's2.skip': [1] });
  const active = s.activeDecisions(a);
  for (const d of ['s1.blocks', 's1.blocks.0.op', 's1.blocks.1.op', 's2.blocks.1.op']) assert.ok(!active.includes(d), `${d} is inactive`);
  for (const d of ['act', 's1.w', 's1.skip', 's2.blocks', 's2.blocks.0.op', 'dropout']) assert.ok(active.includes(d), `${d} is active`);
  const b = s.arch({ ...a.values, 's1.blocks': 1, 's1.blocks.0.op': 'sep3', 's2.blocks.1.op': 'double' });
  assert.ok(s.isomorphic(a, b));
  assert.deepEqual(s.graph(a), s.graph(b));
  assert.equal(s.canonicalize(a).values['s1.blocks'], 0);
  assert.ok(!s.isomorphic(a, s.arch({ ...a.values, 's2.blocks.0.op': 'conv5' })));
  // A zero repeat whose pass-through is read still decides the network.
  const z = s.arch({ ...a.values, 's2.blocks': 0 });
  assert.ok(s.activeDecisions(z).includes('s2.blocks'));
  assert.ok(!s.activeDecisions(z).includes('s2.blocks.0.op'));
  // ... and one whose pass-through nobody reads does not.
  assert.ok(!s.activeDecisions(s.arch({ ...a.values, 's1.blocks': 0 })).includes('s1.blocks'));
  // Half the example (one stage): 1,728 assignments, all fit; 516 canonical forms.
  const half = exampleJson();
  half.nodes.splice(2, 1);
  const h = userSpace(half);
  assert.equal(h.size(), 1728);
  assert.equal(h.uniqueCount(), 516);
  assert.equal(new Set([...h.enumerate()].map((x) => h.canonicalize(x).key)).size, 516, 'uniqueCount counts canonical forms');
  // Mutation changes the network: never only an inactive decision (evolution would train the parent again).
  for (let seed = 0; seed < 200; seed++) {
    const child = s.mutate(a, seed);
    assert.ok(!s.isomorphic(child, a), `seed ${seed}: the mutation changed only inactive decisions`);
    const changed = Object.keys(a.values).filter((k) => JSON.stringify(a.values[k]) !== JSON.stringify(child.values[k]));
    assert.equal(changed.length, 1, `seed ${seed}: one decision changes (${changed.join(', ')})`);
    assert.ok(active.includes(changed[0]), `seed ${seed}: ${changed[0]} is active`);
  }
});

test('100 seeded random architectures compile, train a step on a real batch, and match the formula', () => {
  const space = loadSpaceFile(EXAMPLE);
  const { x, y, input } = realBatch();
  const base = memory().liveTensors;
  manualSeed(1);
  const archs = space.sampleMany(100, 2026);
  assert.equal(new Set(archs.map((a) => a.key)).size, 100);
  for (const arch of archs) {
    const graph = space.graph(arch, { input });
    const net = compileGraph(graph);
    const str = space.format(arch);
    assert.equal(net.numParameters(), space.measure(arch, { input }).params, `params of ${str}`);
    assert.equal(net.numParameters(), measureGraph(graph).mainParams, 'no parameters off the path to the logits');
    const r = forwardBackward(net, x, y);
    assert.deepEqual(r.shape, [x.shape[0], 10]);
    assert.ok(Number.isFinite(r.loss) && r.loss > 0, `loss of ${str}: ${r.loss}`);
    assert.ok(r.stemGrad > 0 && r.biasGrad > 0, `gradients reach the stem and the classifier: ${str}`);
    net.dispose();
  }
  assert.equal(memory().liveTensors, base, 'no tensors leak');
  dispose([x, y]);
});

test('getSpace reads a .json path and registers the space, so buildNetwork finds it', () => {
  const s = getSpace(EXAMPLE);
  assert.ok(s instanceof UserSpace);
  assert.equal(getSpace('fmnist-cnn'), s);
  const arch = s.sample(4);
  const net = buildNetwork(arch, { input: [1, 16, 16] });
  assert.equal(net.numParameters(), s.measure!(arch, { input: [1, 16, 16] }).params);
  net.dispose();
  const f = join(tmp, 'nb201.json');
  writeFileSync(f, JSON.stringify({ ...exampleJson(), name: 'nb201' }));
  assert.throws(() => getSpace(f), /'nb201' is the name of a built-in search space/);
});

/** A small valid spec to break in the bad-input cases. */
function small(): SpaceSpec {
  return {
    name: 'small',
    input: [1, 8, 8],
    classes: 3,
    choices: { w: [4, 8] },
    cells: { blk: { nodes: [{ name: 'c', op: 'conv_bn_act', attrs: { out: { valueChoice: 'w' }, k: 3 } }] } },
    nodes: [
      { name: 'stem', op: 'conv_bn_act', attrs: { out: { valueChoice: 'w' }, k: 3 } },
      { name: 'body', cell: 'blk', repeat: { min: 1, max: 2 } },
      { name: 'out', op: 'add', inputs: { inputChoice: 'skip', candidates: ['stem', 'body'], n: 1 } },
    ],
  };
}

test('bad specs: each a clear ArchitectureError naming the JSON path and the problem', () => {
  assert.deepEqual(
    userSpace(small()).decisions.map((d) => d.name),
    ['w', 'body', 'skip'],
  );
  const bad = (edit: (s: SpaceSpec) => void, re: RegExp) => {
    const s = small();
    edit(s);
    assert.throws(
      () => userSpace(s),
      (e: unknown) => e instanceof ArchitectureError && re.test(e.message),
      re.source,
    );
  };
  bad((s) => {
    s.nodes[0].op = 'conv9';
  }, /^small: \$\.nodes\[0\]\.op: unknown op 'conv9' \(known: conv, /);
  bad((s) => {
    s.cells!.blk.nodes[0].attrs!.out = { valueChoice: 'width' };
  }, /\$\.cells\.blk\.nodes\[0\]\.attrs\.out: unknown value choice 'width'/);
  bad((s) => {
    s.nodes[0].inputs = 'out';
  }, /\$\.nodes\[0\]\.inputs: reads 'out', which is a later node: a node reads only earlier nodes, so templates have no cycles/);
  bad((s) => {
    s.nodes[1].inputs = ['body'];
  }, /\$\.nodes\[1\]\.inputs\[0\]: reads 'body', which is itself/);
  bad((s) => {
    s.nodes[2].inputs = { inputChoice: 'skip', candidates: ['stem', 'nowhere'] };
  }, /\$\.nodes\[2\]\.inputs\.candidates\[1\]: reads 'nowhere', which is no node here \(known: input, stem, body\)/);
  bad((s) => {
    s.nodes[1].inputs = 'input';
    s.nodes[2].inputs = 'body';
  }, /\$\.nodes\[0\]: node 'stem' is never read: it is disconnected/);
  bad((s) => {
    s.nodes[2].name = 'stem';
  }, /\$\.nodes\[2\]\.name: node name 'stem' is used twice/);
  bad((s) => {
    s.nodes[0].name = 'input';
  }, /\$\.nodes\[0\]\.name: 'input' is the name of the network input/);
  bad((s) => {
    s.nodes[1].repeat = { min: 3, max: 2 };
  }, /\$\.nodes\[1\]\.repeat\.max: the largest count 2 is below the smallest 3/);
  bad((s) => {
    s.nodes[1].repeat = { min: -1, max: 2 };
  }, /\$\.nodes\[1\]\.repeat\.min: expected an integer from 0 to 64, got -1/);
  bad((s) => {
    s.nodes[1].repeat = 1.5;
  }, /\$\.nodes\[1\]\.repeat: expected an integer from 0 to 64, got 1\.5/);
  bad((s) => {
    s.cells!.blk.nodes.push({ name: 'again', cell: 'blk' });
  }, /\$\.cells\.blk\.nodes\[1\]\.cell: cell 'blk' contains itself \(blk -> blk\)/);
  bad((s) => {
    s.nodes[1].cell = 'blok';
  }, /\$\.nodes\[1\]\.cell: unknown cell 'blok' \(cells: blk\)/);
  bad((s) => {
    (s.nodes[0] as unknown as Record<string, unknown>).atrs = {};
  }, /\$\.nodes\[0\]: unknown key 'atrs'/);
  bad((s) => {
    s.nodes[0].layerChoice = { candidates: [{ op: 'conv' }] };
  }, /\$\.nodes\[0\]: a node needs exactly one of 'op', 'layerChoice' or 'cell', got op and layerChoice/);
  bad((s) => {
    s.nodes[0] = { name: 'stem', layerChoice: { candidates: [{ op: 'identity' }, { op: 'identity' }] } };
  }, /\$\.nodes\[0\]\.layerChoice\.candidates\[1\]\.name: candidate name 'identity' is used twice/);
  bad((s) => {
    s.nodes[0] = { name: 'stem', layerChoice: { label: 'skip', candidates: [{ op: 'identity' }] } };
  }, /\$\.nodes\[2\]\.inputs: label 'skip' names a layer choice \(at \$\.nodes\[0\]\.layerChoice\) and an input choice here/);
  bad((s) => {
    s.nodes[0].attrs!.k = { valueChoice: 'k', values: [3, 5] };
    s.nodes.splice(1, 0, { name: 'c2', op: 'conv', attrs: { out: 4, k: { valueChoice: 'k', values: [1, 3] } } });
  }, /\$\.nodes\[1\]\.attrs\.k: label 'k' is given two different value choices/);
  bad((s) => {
    s.choices!.unused = [1, 2];
  }, /\$\.choices\.unused: value choice 'unused' is never used/);
  bad((s) => {
    s.cells!.spare = { nodes: [{ name: 'x', op: 'identity' }] };
  }, /\$\.cells\.spare: cell 'spare' is never used/);
  bad((s) => {
    s.choices!.w = ['a', 'b'];
    s.nodes[0].attrs!.out = { valueChoice: 'w', mul: 2 };
  }, /\$\.nodes\[0\]\.attrs\.out\.mul: 'mul' needs numeric values/);
  bad((s) => {
    s.nodes[2].inputs = { inputChoice: 'skip', candidates: ['stem', 'body'], n: 3 };
  }, /\$\.nodes\[2\]\.inputs\.n: expected an integer from 1 to 2, got 3/);
  bad((s) => {
    s.nodes.push({ name: 'classifier', op: 'identity' });
  }, /\$\.nodes\[3\]\.name: 'classifier' is reserved for the classifier head/);
  bad((s) => {
    s.input = [1, 8];
  }, /\$\.input: expected \[channels, height, width\]/);
  bad((s) => {
    s.logits = 'out';
    s.output = 'out';
  }, /\$: give either 'output' \(it feeds the classifier head\) or 'logits'/);
  bad((s) => {
    s.cells!.two = { inputs: ['a', 'b'], nodes: [{ name: 's', op: 'add', inputs: ['a', 'b'] }] };
    s.nodes[1] = { name: 'body', cell: 'two' };
  }, /\$\.nodes\[1\]\.inputs: cell 'two' takes 2 inputs \(a, b\), but this node gives it 1/);
});

test('shapes that never fit, a logits node of the wrong size, missing files and bad JSON', () => {
  // A sum of 4- and 8-channel maps fits only when both widths agree.
  const s = small();
  s.nodes[0].attrs!.out = { valueChoice: 'v', values: [4, 8] };
  s.nodes[2].op = 'add';
  s.nodes[2].inputs = ['stem', 'body'];
  const sp = userSpace(s);
  assert.equal(sp.size(), 4, 'v must equal w: 4 of the 8 assignments fit');
  for (const a of sp.sampleMany(30, 1)) assert.equal(a.values.v, a.values.w);
  assert.throws(() => sp.arch({ v: 4, w: 8, body: 1 }), /small: constraint fits: out \(add\) on stem 4x8x8, body\.0\.c 8x8x8: inputs to a sum must have one shape/);
  // Too small an input for the reductions: no architecture fits.
  const t = small();
  t.input = [1, 1, 1];
  t.nodes[0].attrs!.stride = 2;
  t.nodes[0].attrs!.k = 5;
  t.nodes[0].attrs!.pad = 0;
  assert.throws(() => userSpace(t).sample(0), (e: unknown) => e instanceof ArchitectureError && /too small/.test(e.message));
  const l = small();
  l.logits = 'out';
  const ls = userSpace(l);
  assert.throws(() => ls.arch({ w: 4, body: 1, skip: [0] }), /small: constraint fits: the logits node 'out' outputs 4x8x8, not 3 class scores/);
  assert.throws(() => loadSpaceFile(join(tmp, 'nope.json')), /nope\.json: no such file/);
  const f = join(tmp, 'broken.json');
  writeFileSync(f, '{ "name": ');
  assert.throws(() => loadSpaceFile(f), (e: unknown) => e instanceof ArchitectureError && /broken\.json: not valid JSON/.test(e.message));
  const g = join(tmp, 'bad-op.json');
  writeFileSync(g, JSON.stringify({ ...small(), name: undefined, nodes: [{ name: 'a', op: 'conv42' }] }));
  assert.throws(() => loadSpaceFile(g), /bad-op\.json: \$\.nodes\[0\]\.op: unknown op 'conv42'/);
});

test('logits nodes, multi-input cells, concat merges, inline and shared cells', () => {
  const s = defineSpace({ name: 'misc', input: [2, 8, 8], classes: 4 }, (b) => {
    const pair = b.cell(
      'pair',
      (c, l, r) => {
        const cat = c.node('cat', c.op('concat'), [l, r]);
        return c.node('mix', c.op('conv', { out: 6, k: 1 }), cat);
      },
      ['left', 'right'],
    );
    const unit = b.cell('unit', (c) => c.node('conv', c.layerChoice('op', { c1: c.op('conv', { out: 6, k: 1 }), c3: c.op('conv', { out: 6, k: 3 }) })));
    const a = b.node('a', b.op('conv', { out: 6, k: 1 }));
    const p = b.node('p', b.use(pair), [b.input, a]);
    const u = b.repeat('u', unit, 2, p, { share: true });
    const v = b.node('v', b.use(unit), u);
    const m = b.node('m', b.op('conv', { out: 6, k: 1 }), b.inputChoice('pick', [a, p, u, v], { min: 2, max: 3 }), { reduce: 'concat' });
    const pool = b.node('pool', b.op('global_avg_pool'), m);
    b.logits(b.node('fc', b.op('linear', { out: 4 }), pool));
  });
  assert.deepEqual(
    s.decisions.map((d) => d.name),
    ['unit.op', 'v.op', 'pick'],
    'the two repeated copies share one decision; the separate instance has its own',
  );
  const spec = s.toJSON();
  assert.equal(spec.logits, 'fc');
  assert.deepEqual(spec.nodes[2], { name: 'u', inputs: 'p', cell: 'unit', share: true, repeat: 2 });
  const arch = s.arch({ 'unit.op': 'c3', 'v.op': 'c1', pick: [0, 2, 3] });
  const g = s.graph(arch);
  const node = (n: string) => g.nodes.find((x) => x.name === n)!;
  assert.deepEqual(node('m_in').shape, [18, 8, 8], 'three 6-channel inputs concatenated');
  assert.equal(node('m_in').op, 'concat');
  assert.deepEqual(node('p.cat').shape, [8, 8, 8]);
  assert.equal(node('u.0.conv').attrs.k, 3);
  assert.equal(node('u.1.conv').attrs.k, 3);
  assert.equal(node('v.conv').attrs.k, 1);
  assert.equal(g.nodes[g.outputs.logits].name, 'fc');
  assert.ok(!g.nodes.some((n) => n.name === 'classifier'));
  // 3 ops x 2 ops x (C(4,2) + C(4,3)) input subsets, all fit; the canonical count equals it.
  assert.equal(s.size(), 2 * 2 * 10);
  // Unread instances leave their decisions inactive: picks with v (it reads u) 6 x 4, with u only 3 x 2, neither 1.
  assert.equal(s.uniqueCount(), 31);
  assert.throws(
    () =>
      defineSpace({ name: 'x', input: [1, 4, 4], classes: 2 }, (b) => {
        const a = b.node('a', b.op('identity'));
        b.cell('c', (c) => c.node('n', c.op('identity'), a));
      }),
    /node 'a' belongs to another template/,
  );
  // `mul` scales a value choice (whole results come out whole).
  const scaled = userSpace({
    name: 'scaled',
    input: [1, 4, 4],
    classes: 2,
    nodes: [
      { name: 'a', op: 'conv', attrs: { out: { valueChoice: 'w', values: [10, 100] }, k: 1 } },
      { name: 'b', op: 'conv', attrs: { out: { valueChoice: 'w', mul: 1.1 }, k: 1 } },
    ],
  });
  assert.deepEqual(
    [...scaled.enumerate()].map((x) => scaled.graph(x).nodes[2].shape[0]),
    [11, 110],
  );
  // Inline repeated body with its own decisions per copy.
  const r = userSpace({
    name: 'inline',
    input: [1, 8, 8],
    classes: 2,
    nodes: [{ name: 'stack', cell: { nodes: [{ name: 'c', op: 'conv', attrs: { out: 2, k: { valueChoice: 'k', values: [1, 3] } } }] }, repeat: { label: 'depth', min: 1, max: 3 } }],
  });
  assert.deepEqual(
    r.decisions.map((d) => d.name),
    ['depth', 'stack.0.k', 'stack.1.k', 'stack.2.k'],
  );
  assert.equal(r.size(), 8 * 3);
  assert.equal(r.uniqueCount(), 2 + 4 + 8, 'copies past the depth do not count');
});

test('text form: the JSON architecture, or its bare values', () => {
  const s = fmnistCnn();
  const a = s.sample(5);
  assert.ok(s.parse(s.format(a)).equals(a));
  assert.ok(s.parse(JSON.stringify(a.values)).equals(a));
  assert.throws(() => s.parse('{"act": "relu"}'), /fmnist-cnn: decision 's1\.w' has no value/);
  assert.throws(() => s.parse('{"space": "nb201", "values": {}}'), /architecture of space 'nb201'/);
  assert.throws(() => s.graph(a, { channels: 16 }), /no channels or cells setting/);
  assert.equal(s.graph(a, { input: [1, 32, 32], classes: 5 }).nodes.at(-1)!.shape[0], 5);
});

test('CLI: space info, space sample and arch stats take a .json space file', () => {
  const info = JSON.parse(ok(['space', 'info', EXAMPLE, '--json']));
  assert.equal(info.name, 'fmnist-cnn');
  assert.deepEqual(
    info.decisions.map((d: { name: string }) => d.name),
    EXAMPLE_DECISIONS,
  );
  assert.equal(info.size, 746496);
  assert.match(ok(['space', 'info', EXAMPLE]), /^fmnist-cnn: a small Fashion-MNIST CNN/);
  const space = loadSpaceFile(EXAMPLE);
  const lines = ok(['space', 'sample', EXAMPLE, '--n', '4', '--seed', '9']).trimEnd().split('\n');
  assert.deepEqual(
    lines,
    space.sampleMany(4, 9).map((a) => space.format(a)),
  );
  const json = JSON.parse(ok(['space', 'sample', EXAMPLE, '--n', '2', '--seed', '9', '--json']));
  assert.equal(json[0].arch, lines[0]);
  const arch = space.parse(lines[0]);
  const stats = JSON.parse(ok(['arch', 'stats', EXAMPLE, lines[0], '--json']));
  assert.equal(stats.params, space.measure(arch).params);
  assert.equal(stats.flops, space.measure(arch).flops);
  const bare = JSON.parse(ok(['arch', 'stats', EXAMPLE, JSON.stringify(arch.values), '--input', '1x32x32', '--json']));
  assert.equal(bare.flops, space.measure(arch, { input: [1, 32, 32] }).flops);
  const f = join(tmp, 'arch.json');
  writeFileSync(f, JSON.stringify(arch));
  assert.equal(JSON.parse(ok(['arch', 'stats', EXAMPLE, f, '--json'])).params, stats.params);
  // Bad input: one line, exit code 2.
  const bad = join(tmp, 'bad.json');
  writeFileSync(bad, JSON.stringify({ ...exampleJson(), nodes: [{ name: 'stem', op: 'conv', inputs: 'later' }] }));
  assertUsageError(loom(['space', 'info', bad]), /bad\.json: \$\.nodes\[0\]\.inputs: reads 'later', which is no node here \(known: input\)/);
  assertUsageError(loom(['space', 'sample', join(tmp, 'missing.json')]), /missing\.json: no such file/);
  assertUsageError(loom(['arch', 'stats', EXAMPLE, '{"act": "gelu"}']), /fmnist-cnn: decision 'act': "gelu" is not one of "relu", "swish"/);
});

test('user spaces: limits on parameters and multiply-adds are constraints, and the packaged fmnist-net space holds the demo baseline', () => {
  const NET = join(repoRoot(), 'examples', 'spaces', 'fmnist-net.json');
  const spec = JSON.parse(readFileSync(NET, 'utf8')) as SpaceSpec;
  const s = new UserSpace(spec);
  const { params, flops } = spec.limits as { params: number; flops: number };
  const archs = s.sampleMany(200, 7);
  for (const a of archs) {
    const m = s.measure(a);
    assert.ok(m.params <= params && m.flops <= flops, `${s.format(a)}: ${m.params} params, ${m.flops} multiply-adds`);
  }
  // Without the limits, the same draws include bigger networks: the limit is what keeps them out.
  const free = new UserSpace({ ...spec, name: 'fmnist-net-free', limits: undefined });
  assert.ok(free.sampleMany(200, 7).some((a) => free.measure(a).flops > flops));
  // The demo's baseline CNN (baseline.ts: 32/64/128 channels, 256 hidden units) is a member: 390,634 parameters.
  const baseline = s.arch({ 's1.op': 'conv3', 's1.w': 32, 's1.extra': 0, 's2.op': 'conv3', 's2.w': 64, 's2.extra': 0, 's3.op': 'conv3', 's3.w': 128, 's3.extra': 0, head: 'fc', 'head.fc.hidden': 256, dropout: 0 });
  assert.equal(s.measure(baseline).params, 390_634);
  // Over a limit: a clear refusal naming the figure.
  assertUsageError(
    loom(['arch', 'stats', NET, '{"s1.op":"conv5","s1.w":48,"s1.extra":1,"s2.op":"conv3","s2.w":64,"s2.extra":0,"s3.op":"conv3","s3.w":128,"s3.extra":0,"head":"fc","head.fc.hidden":256,"dropout":0}']),
    /constraint fits: 26,526,976 multiply-adds, over the limit of 16,000,000/,
  );
  assert.throws(() => new UserSpace({ ...spec, limits: { flops: -1 } }), /\$\.limits\.flops: expected a positive number, got -1/);
  assert.throws(() => new UserSpace({ ...spec, limits: { macs: 5 } as never }), /\$\.limits: unknown key 'macs' \(expected params, flops\)/);
});

test('a user-defined space for tables: input [F], linear layers with value choices, the classifier added on the vector', () => {
  const spec: SpaceSpec = {
    name: 'tiny-mlp',
    input: [5],
    classes: 3,
    nodes: [
      { name: 'hidden', op: 'linear', attrs: { out: { valueChoice: 'w', values: [8, 16] } } },
      { name: 'act', layerChoice: { label: 'act', candidates: [{ name: 'relu', op: 'act', attrs: { fn: 'relu' } }, { name: 'tanh', op: 'act', attrs: { fn: 'tanh' } }] } },
      { name: 'norm', op: 'bn' },
    ],
  };
  const space = userSpace(spec);
  assert.equal(space.size(), 4);
  const arch = space.arch({ w: 16, act: 'tanh' });
  const g = space.graph(arch);
  assert.deepEqual(g.input, [5]);
  assert.deepEqual(g.nodes.at(-1)?.shape, [3], 'the classifier reads the vector directly');
  assert.equal(measureGraph(g).params, 5 * 16 + 16 + 2 * 16 + 16 * 3 + 3);
  manualSeed(0);
  const net = compileGraph(g);
  const x = tensor(Array.from({ length: 20 }, (_, i) => i / 20), { shape: [4, 5] });
  const y = net.call(x) as ReturnType<typeof tensor>;
  assert.deepEqual(y.shape, [4, 3]);
  assert.ok(y.dataSync().every(Number.isFinite));
  dispose([x, y]);
  net.dispose();
  // An image space's spec cannot take a table's shape, and a vector spec's convolution says why.
  assert.throws(() => userSpace({ ...spec, nodes: [{ name: 'c', op: 'conv_bn_act', attrs: { out: 8, k: 3 } }] }).sample(0), ArchitectureError);
});
