import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  type Drawing,
  checkDrawing,
  dotString,
  dotToSvg,
  drawArchitecture,
  drawingToSvg,
  genotypeCell,
  genotypeCellDrawing,
  networkDrawing,
  toDot,
} from '../../src/space/draw/index.js';
import { ArchitectureError } from '../../src/space/errors.js';
import { getOp } from '../../src/space/graph/ops.js';
import { chain } from '../../src/space/spaces/chain.js';
import { darts } from '../../src/space/spaces/darts.js';
import { multibranch } from '../../src/space/spaces/multibranch.js';
import { nasnet } from '../../src/space/spaces/nasnet.js';
import { nb101 } from '../../src/space/spaces/nb101.js';
import { nb201 } from '../../src/space/spaces/nb201.js';
import { DARTS_V2, NASNET_A, NB201_EXAMPLE } from './fixtures.js';

// ---- reading DOT and SVG back ------------------------------------------------------------------

const Q = '"((?:[^"\\\\]|\\\\.)*)"';
const unquote = (s: string) => s.replace(/\\(.)/g, (_, c: string) => (c === 'n' ? '\n' : c));

/** The nodes (id -> label) and edges (`from -> to: label`) of DOT text as toDot writes it. */
function readDot(dot: string): { nodes: Map<string, string>; edges: string[]; clusters: string[] } {
  const nodes = new Map<string, string>();
  const edges: string[] = [];
  const clusters: string[] = [];
  for (const line of dot.split('\n')) {
    let m = new RegExp(`^\\s*${Q} -> ${Q}(?: \\[(.*)\\])?;$`).exec(line);
    if (m) {
      const label = m[3] ? new RegExp(`label=${Q}`).exec(m[3]) : null;
      edges.push(`${unquote(m[1])} -> ${unquote(m[2])}${label ? `: ${unquote(label[1])}` : ''}`);
      continue;
    }
    m = new RegExp(`^\\s*${Q} \\[label=${Q}`).exec(line);
    if (m) {
      assert.ok(!nodes.has(unquote(m[1])), `node ${m[1]} declared once`);
      nodes.set(unquote(m[1]), unquote(m[2]));
      continue;
    }
    m = new RegExp(`^\\s*subgraph ${Q} \\{$`).exec(line);
    if (m) clusters.push(unquote(m[1]));
  }
  return { nodes, edges, clusters };
}

const ENTITY = /&(?:amp|lt|gt|quot|apos|#[0-9]+|#x[0-9a-fA-F]+);/y;
const decode = (s: string) =>
  s.replace(/&(amp|lt|gt|quot|apos|#[0-9]+|#x[0-9a-fA-F]+);/g, (_, e: string) => {
    const named: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" };
    if (named[e]) return named[e];
    return String.fromCodePoint(e[1] === 'x' ? Number.parseInt(e.slice(2), 16) : Number(e.slice(1)));
  });

/** Checks `&` is only used in entities. */
function checkEntities(s: string, where: string): void {
  for (let i = s.indexOf('&'); i >= 0; i = s.indexOf('&', i + 1)) {
    ENTITY.lastIndex = i;
    assert.ok(ENTITY.test(s), `bad entity in ${where}: ${s.slice(i, i + 12)}`);
  }
}

/**
 * A strict-enough XML well-formedness check: one root element, tags balanced and properly nested,
 * quoted and unique attributes, no stray `<` or bad `&` in text. Returns the root's name and the
 * text content of every `<text>` element, decoded.
 */
function checkXml(xml: string): { root: string; texts: string[] } {
  let s = xml.replace(/^\uFEFF?\s*<\?xml[^?]*\?>/, '');
  s = s.replace(/<!--([\s\S]*?)-->/g, (_, c: string) => {
    assert.ok(!c.includes('--'), 'no -- inside a comment');
    return '';
  });
  s = s.replace(/^\s*<!DOCTYPE[^>[]*(\[[^\]]*\])?\s*>/, '');
  const stack: string[] = [];
  const texts: string[] = [];
  let root = '';
  let pos = 0;
  let closedRoot = false;
  const tag = /<(\/?)([A-Za-z_][\w:.-]*)((?:\s+[A-Za-z_][\w:.-]*\s*=\s*(?:"[^"<]*"|'[^'<]*'))*)\s*(\/?)>/y;
  while (pos < s.length) {
    const lt = s.indexOf('<', pos);
    const text = s.slice(pos, lt < 0 ? s.length : lt);
    if (stack.length === 0) assert.match(text, /^\s*$/, 'only whitespace outside the root');
    checkEntities(text, 'text');
    if (stack[stack.length - 1] === 'text') texts.push(decode(text));
    if (lt < 0) break;
    tag.lastIndex = lt;
    const m = tag.exec(s);
    assert.ok(m, `malformed tag at: ${s.slice(lt, lt + 60)}`);
    const [whole, close, name, attrs, selfClose] = m;
    const names = [...attrs.matchAll(/([A-Za-z_][\w:.-]*)\s*=\s*("[^"]*"|'[^']*')/g)].map((a) => {
      checkEntities(a[2], `attribute ${a[1]}`);
      return a[1];
    });
    assert.equal(new Set(names).size, names.length, `duplicate attribute in <${name}>`);
    if (close) {
      assert.ok(!selfClose && !attrs.trim(), `bad end tag ${whole}`);
      assert.equal(stack.pop(), name, `</${name}> closes the open element`);
      if (stack.length === 0) closedRoot = true;
    } else {
      assert.ok(!closedRoot, 'a single root element');
      if (stack.length === 0) root = name;
      if (!selfClose) stack.push(name);
      else if (stack.length === 0) closedRoot = true;
    }
    pos = lt + whole.length;
  }
  assert.deepEqual(stack, [], 'every element is closed');
  assert.ok(root, 'there is a root element');
  return { root, texts };
}

// ---- cells -------------------------------------------------------------------------------------

test('an NB201 cell: nodes 0..3, one arrow per non-none edge labelled with its op', () => {
  const d = drawArchitecture(nb201, nb201.parse(NB201_EXAMPLE));
  const { nodes, edges, clusters } = readDot(toDot(d));
  assert.deepEqual([...nodes].sort(), [
    ['0', '0'],
    ['1', '1'],
    ['2', '2'],
    ['3', '3'],
  ]);
  assert.deepEqual(clusters, []);
  assert.deepEqual(edges, ['0 -> 1: nor_conv_3x3', '0 -> 2: nor_conv_3x3', '1 -> 2: nor_conv_3x3', '0 -> 3: skip_connect', '1 -> 3: nor_conv_3x3', '2 -> 3: nor_conv_1x1']);
  assert.deepEqual(
    d.nodes.map((n) => n.kind),
    ['input', 'state', 'state', 'output'],
  );
  assert.equal(d.direction, 'LR');
  assert.match(toDot(d), /rankdir="LR"/);

  // none edges carry nothing and are left out; the nodes stay.
  const sparse = readDot(toDot(drawArchitecture(nb201, nb201.parse('|none~0|+|avg_pool_3x3~0|none~1|+|none~0|skip_connect~1|nor_conv_1x1~2|'))));
  assert.equal(sparse.nodes.size, 4);
  assert.deepEqual(sparse.edges, ['0 -> 2: avg_pool_3x3', '1 -> 3: skip_connect', '2 -> 3: nor_conv_1x1']);
});

test("a DARTS_V2 normal cell as DARTS's visualize.py draws it: 8 op edges from the right sources, concat into c_{k}", () => {
  const arch = darts.parse(DARTS_V2);
  const d = drawArchitecture(darts, arch, { cell: 'normal' });
  const { nodes, edges, clusters } = readDot(toDot(d));
  assert.deepEqual([...nodes.keys()].sort(), ['0', '1', '2', '3', 'c_{k-1}', 'c_{k-2}', 'c_{k}']);
  assert.deepEqual(clusters, [], 'one cell alone has no frame');
  const ops = edges.filter((e) => e.includes(': '));
  assert.equal(ops.length, 8);
  // genotype() lists each node's inputs in increasing order of source.
  assert.deepEqual(ops, [
    'c_{k-2} -> 0: sep_conv_3x3',
    'c_{k-1} -> 0: sep_conv_3x3',
    'c_{k-2} -> 1: sep_conv_3x3',
    'c_{k-1} -> 1: sep_conv_3x3',
    'c_{k-2} -> 2: skip_connect',
    'c_{k-1} -> 2: sep_conv_3x3',
    'c_{k-2} -> 3: skip_connect',
    '0 -> 3: dil_conv_3x3',
  ]);
  assert.deepEqual(
    edges.filter((e) => !e.includes(': ')),
    ['0 -> c_{k}', '1 -> c_{k}', '2 -> c_{k}', '3 -> c_{k}'],
  );
  assert.equal(d.title, 'darts normal cell');
  const k = d.nodes.find((n) => n.id === 'c_{k}');
  assert.equal(k?.kind, 'output');

  const red = readDot(toDot(drawArchitecture(darts, arch, { cell: 'reduce' })));
  assert.deepEqual(
    red.edges.filter((e) => e.includes(': ')).sort(),
    [
      'c_{k-2} -> 0: max_pool_3x3',
      'c_{k-1} -> 0: max_pool_3x3',
      'c_{k-1} -> 1: max_pool_3x3',
      '0 -> 1: skip_connect',
      'c_{k-2} -> 2: max_pool_3x3',
      '0 -> 2: skip_connect',
      'c_{k-1} -> 3: max_pool_3x3',
      '0 -> 3: skip_connect',
    ].sort(),
  );
});

test('both DARTS cells: two framed clusters with prefixed ids, 16 op edges', () => {
  const d = drawArchitecture(darts, darts.parse(DARTS_V2));
  const { nodes, edges, clusters } = readDot(toDot(d));
  assert.deepEqual(clusters.sort(), ['cluster_normal', 'cluster_reduce']);
  assert.equal(nodes.size, 14);
  assert.equal(edges.filter((e) => e.includes(': ')).length, 16);
  assert.ok(edges.includes('normal/0 -> normal/3: dil_conv_3x3'));
  assert.ok(edges.includes('reduce/0 -> reduce/1: skip_connect'));
  assert.ok(d.nodes.every((n) => n.cluster === n.id.split('/')[0]));
  assert.equal(nodes.get('reduce/c_{k-2}'), 'c_{k-2}');
});

test('NASNet cells draw through the genotype accessor: 5 blocks, the paper\'s state names, concat of unread blocks', () => {
  const arch = nasnet.parse(NASNET_A);
  const { nodes, edges } = readDot(toDot(drawArchitecture(nasnet, arch, { cell: 'reduce' })));
  assert.deepEqual([...nodes.keys()].sort(), ['0', '1', '2', '3', '4', 'h_{i+1}', 'h_{i-1}', 'h_{i}']);
  assert.equal(edges.filter((e) => e.includes(': ')).length, 10);
  assert.ok(edges.includes('1 -> 3: skip_connect') && edges.includes('0 -> 3: avg_pool_3x3') && edges.includes('h_{i} -> 4: max_pool_3x3'));
  assert.deepEqual(
    edges.filter((e) => !e.includes(': ')),
    ['2 -> h_{i+1}', '3 -> h_{i+1}', '4 -> h_{i+1}'],
  );
  const both = drawArchitecture(nasnet, arch);
  assert.equal(both.title, 'nasnet cells');
  assert.equal(both.edges.length, 2 * 10 + 5 + 3);

  // Any space with a genotype accessor is drawn the same way (DARTS's state names by default).
  const standIn = { name: 'other', genotype: () => nasnet.genotype(arch) };
  const d = genotypeCellDrawing(standIn, arch, ['normal']);
  assert.deepEqual(
    d.nodes.filter((n) => n.kind !== 'state').map((n) => n.id),
    ['c_{k-2}', 'c_{k-1}', 'c_{k}'],
  );
});

test('bad cell choices are clear errors', () => {
  assert.throws(() => drawArchitecture(darts, darts.parse(DARTS_V2), { cell: 'reduction' }), (e: Error) => e instanceof ArchitectureError && /unknown cell 'reduction' \(cells: normal, reduce\)/.test(e.message));
  assert.throws(() => drawArchitecture(nb201, nb201.parse(NB201_EXAMPLE), { cell: 'normal' }), (e: Error) => e instanceof ArchitectureError && /no cell types/.test(e.message));
  assert.throws(() => drawArchitecture(darts, darts.parse(DARTS_V2), { cell: 'normal', network: true }), ArchitectureError);
  assert.throws(() => genotypeCell([['sep_conv_3x3', 0], ['skip_connect', 3]], [2]), /node 0 reads node 1, which does not come before it/);
  assert.throws(() => genotypeCell([['sep_conv_3x3', 0], ['skip_connect', 1]], [2, 3]), /concatenates node 1, which the cell does not have/);
});

test('an NB101 cell is drawn pruned: input, op nodes, output, edges of the pruned matrix', () => {
  // Nodes 2 and 4 lead nowhere and node 3 has no input: pruning keeps input, 1, 5, output.
  const spec = {
    matrix: [
      [0, 1, 1, 0, 0, 1, 0],
      [0, 0, 0, 0, 1, 0, 1],
      [0, 0, 0, 0, 0, 0, 0],
      [0, 0, 0, 0, 0, 0, 1],
      [0, 0, 0, 0, 0, 0, 0],
      [0, 0, 0, 0, 0, 0, 1],
      [0, 0, 0, 0, 0, 0, 0],
    ],
    ops: ['input', 'conv3x3-bn-relu', 'conv3x3-bn-relu', 'maxpool3x3', 'conv1x1-bn-relu', 'conv1x1-bn-relu', 'output'],
  };
  const d = drawArchitecture(nb101, nb101.parse(JSON.stringify(spec)));
  const { nodes, edges } = readDot(toDot(d));
  assert.deepEqual([...nodes], [
    ['0', 'input'],
    ['1', 'conv3x3-bn-relu'],
    ['2', 'conv1x1-bn-relu'],
    ['3', 'output'],
  ]);
  assert.deepEqual(edges, ['0 -> 1', '0 -> 2', '1 -> 3', '2 -> 3']);
  assert.deepEqual(
    d.nodes.map((n) => n.kind),
    ['input', 'op', 'op', 'output'],
  );
});

// ---- networks ----------------------------------------------------------------------------------

test('a chain network is a stack: one box per op with its registry label and shape, then the logits', () => {
  const arch = chain.parse('conv-3-32-1,sep-5-64-2,max-3-16-2,conv-1-128-1,avg-3-16-1,sep-3-64-1');
  const g = chain.graph(arch, { input: [1, 28, 28], classes: 7 });
  const d = drawArchitecture(chain, arch, { input: [1, 28, 28], classes: 7 });
  assert.equal(d.direction, 'TB');
  assert.equal(d.title, 'chain network');
  const { nodes, edges } = readDot(toDot(d));
  const ids = [...g.nodes.map((n) => n.name), 'output:logits'];
  assert.deepEqual([...nodes.keys()], ids);
  // A stack: each box reads the one before it.
  assert.deepEqual(
    edges,
    ids.slice(1).map((id, i) => `${ids[i]} -> ${id}`),
  );
  assert.equal(nodes.get('input'), 'input 1x28x28');
  assert.equal(nodes.get('layers.0'), 'conv 3x3-bn-relu → 32\n32x28x28');
  assert.equal(nodes.get('layers.1.depthwise'), 'dwconv 5x5 /2 → 32\n32x14x14');
  assert.equal(nodes.get('layers.2'), `${getOp('max_pool').label(g.nodes[4].attrs, [g.nodes[3].shape], g.nodes[4].shape)}\n64x7x7`);
  assert.equal(nodes.get('classifier'), 'linear → 7\n7');
  assert.equal(nodes.get('output:logits'), 'logits\n7');
  assert.equal(d.nodes[d.nodes.length - 1].kind, 'output');
});

test('a multi-branch network draws its skip inputs as extra arrows into the merges', () => {
  const arch = multibranch.parse('sum|conv-3-32-1,sep-5-64-2,max-3-16-2+0,conv-1-128-1+0+1,avg-3-16-1,sep-3-64-1+2');
  const { edges } = readDot(toDot(drawArchitecture(multibranch, arch)));
  const into = (id: string) => edges.filter((e) => e.endsWith(` -> ${id}`)).map((e) => e.split(' -> ')[0]);
  assert.equal(into('merges.3').length, 3, 'layer 3 sums its predecessor and skips from layers 0 and 1');
  assert.ok(into('merges.3').includes('layers.2'));
});

test('NB201 network: each cell collapses into one box (default) or is framed with its ops (expand)', () => {
  const arch = nb201.parse(NB201_EXAMPLE);
  const g = nb201.graph(arch, { cells: 2 });
  const d = drawArchitecture(nb201, arch, { network: true, cells: 2 });
  const { nodes, edges } = readDot(toDot(d));
  const groups = d.nodes.filter((n) => n.kind === 'group');
  assert.deepEqual(
    groups.map((n) => n.id),
    ['group:cell 0', 'group:cell 1', 'group:cell 3', 'group:cell 4', 'group:cell 6', 'group:cell 7'],
  );
  const cell0 = g.nodes.filter((n) => n.group === 'cell 0');
  assert.equal(nodes.get('group:cell 0'), `cell 0\n${cell0.length} ops\n16x32x32`);
  assert.equal(nodes.get('group:cell 6'), `cell 6\n${cell0.length} ops\n64x8x8`);
  assert.ok(edges.includes('stem.1 -> group:cell 0'));
  assert.ok(edges.includes('group:cell 1 -> cells.2'), 'the reduction block reads the last cell of stage 1');
  assert.ok(edges.includes('cells.2 -> group:cell 3'));
  assert.equal(new Set(edges).size, edges.length, 'no duplicate arrows');
  assert.ok(!edges.some((e) => e.split(' -> ')[0] === e.split(' -> ')[1]), 'no arrows inside a collapsed box');
  // Ungrouped ops plus one box per cell plus the logits.
  assert.equal(d.nodes.length, g.nodes.filter((n) => !n.group).length + 6 + 1);

  const x = drawArchitecture(nb201, arch, { network: true, cells: 2, expand: true });
  assert.equal(x.clusters.length, 6);
  assert.equal(x.nodes.length, g.nodes.length + 1);
  const framed = readDot(toDot(x));
  assert.equal(framed.clusters.length, 6);
  assert.ok(framed.edges.includes('stem.1 -> cells.0.edges.1_0'));
  assert.equal(framed.nodes.get('cells.0.edges.1_0'), 'relu-conv 3x3-bn → 16\n16x32x32');
});

test('DARTS network: 8 cells collapse into boxes (reductions halve the size), the auxiliary head ends in its own output', () => {
  const arch = darts.parse(DARTS_V2);
  const g = darts.graph(arch, { cells: 8, auxiliary: true });
  const d = drawArchitecture(darts, arch, { network: true, cells: 8, auxiliary: true });
  const groups = d.nodes.filter((n) => n.kind === 'group');
  assert.equal(groups.length, 8);
  const shapes = groups.map((n) => n.label.split('\n')[2]);
  // Reduction cells at 8 // 3 = 2 and 2 * 8 // 3 = 5; a cell outputs 4 nodes of C channels.
  assert.deepEqual(shapes, ['144x32x32', '144x32x32', '288x16x16', '288x16x16', '288x16x16', '576x8x8', '576x8x8', '576x8x8']);
  const outs = d.nodes.filter((n) => n.kind === 'output').map((n) => n.id);
  assert.deepEqual(outs.sort(), ['output:aux', 'output:logits']);
  // The head reads the second reduction cell (2 * 8 // 3 = 5) and ends in the aux output.
  const aux = g.nodes[g.outputs.aux].name;
  assert.ok(d.edges.some((e) => e.from === 'group:cell 5' && e.to === aux), `${aux} reads cell 5`);
  assert.ok(d.edges.some((e) => e.from === aux && e.to === 'output:aux'));
  assert.match(d.nodes.find((n) => n.id === 'output:aux')?.label ?? '', /^aux\n10$/);
  // Each cell reads the two cells before it (the first two read the stem).
  assert.ok(d.edges.some((e) => e.from === 'group:cell 0' && e.to === 'group:cell 2'));
  assert.ok(d.edges.some((e) => e.from === 'group:cell 1' && e.to === 'group:cell 2'));
});

test('networkDrawing names the auxiliary output too', () => {
  const d = networkDrawing({
    input: [3, 8, 8],
    nodes: [
      { id: 0, name: 'input', op: 'input', attrs: {}, inputs: [], shape: [3, 8, 8], group: '' },
      { id: 1, name: 'pool', op: 'global_avg_pool', attrs: {}, inputs: [0], shape: [3], group: 'head' },
      { id: 2, name: 'fc', op: 'linear', attrs: { out: 4 }, inputs: [1], shape: [4], group: 'head' },
    ],
    outputs: { logits: 2, aux: 1 },
  });
  assert.deepEqual(
    d.nodes.map((n) => [n.id, n.label]),
    [
      ['input', 'input 3x8x8'],
      ['group:head', 'head\n2 ops\n4'],
      ['output:logits', 'logits\n4'],
      ['output:aux', 'aux\n3'],
    ],
  );
  assert.deepEqual(
    d.edges.map((e) => `${e.from} -> ${e.to}`),
    ['input -> group:head', 'group:head -> output:logits', 'group:head -> output:aux'],
  );
});

// ---- DOT text and SVG --------------------------------------------------------------------------

test('DOT strings escape quotes, backslashes and line breaks', () => {
  assert.equal(dotString('plain'), '"plain"');
  assert.equal(dotString('say "hi"'), '"say \\"hi\\""');
  assert.equal(dotString('a\\b'), '"a\\\\b"');
  assert.equal(dotString('two\nlines\r\nthree'), '"two\\nlines\\nthree"');
  assert.equal(dotString('tab\there'), '"tab here"');
});

test('checkDrawing rejects duplicate ids, dangling edges and unknown clusters', () => {
  const base: Drawing = { direction: 'TB', nodes: [{ id: 'a', label: 'a', kind: 'op' }], edges: [], clusters: [] };
  assert.doesNotThrow(() => checkDrawing(base));
  assert.throws(() => toDot({ ...base, nodes: [...base.nodes, { id: 'a', label: 'b', kind: 'op' }] }), /node id 'a' is used twice/);
  assert.throws(() => toDot({ ...base, edges: [{ from: 'a', to: 'b' }] }), /unknown node 'b'/);
  assert.throws(() => toDot({ ...base, nodes: [{ id: 'a', label: 'a', kind: 'op', cluster: 'c' }] }), /undeclared cluster 'c'/);
});

test('SVG: Graphviz lays out the drawing as well-formed XML that holds every label', async () => {
  const svg = await drawingToSvg(drawArchitecture(nb201, nb201.parse(NB201_EXAMPLE)));
  const { root, texts } = checkXml(svg);
  assert.equal(root, 'svg');
  for (const label of ['0', '1', '2', '3', 'nb201 cell', 'nor_conv_3x3', 'nor_conv_1x1', 'skip_connect']) assert.ok(texts.includes(label), `label ${label} in ${texts.join('|')}`);
  assert.equal(texts.filter((t) => t === 'nor_conv_3x3').length, 4);

  const darted = checkXml(await drawingToSvg(drawArchitecture(darts, darts.parse(DARTS_V2))));
  for (const label of ['normal cell', 'reduction cell', 'c_{k-2}', 'c_{k-1}', 'c_{k}', 'dil_conv_3x3', 'max_pool_3x3']) assert.ok(darted.texts.includes(label), label);
});

test('SVG: labels with XML and DOT special characters survive escaping', async () => {
  const label = 'a "quoted" <op> & back\\slash';
  const d: Drawing = {
    title: 'T & <t>',
    direction: 'LR',
    nodes: [
      { id: 'x "1"', label, kind: 'input' },
      { id: 'y', label: 'two\nlines', kind: 'group' },
    ],
    edges: [{ from: 'x "1"', to: 'y', label: '→ 5 & 6' }],
    clusters: [],
  };
  const { texts } = checkXml(await drawingToSvg(d));
  for (const t of [label, 'two', 'lines', '→ 5 & 6', 'T & <t>']) assert.ok(texts.includes(t), `${t} in ${JSON.stringify(texts)}`);
});

test('SVG: invalid DOT is an error carrying Graphviz\'s message', async () => {
  await assert.rejects(dotToSvg('digraph { a -> '), /Graphviz could not lay out the drawing: .*syntax error/);
});
