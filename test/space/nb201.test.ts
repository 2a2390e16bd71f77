import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ArchitectureError, NB201_OPS, getSpace, nb201, spaceNames } from '../../src/space/index.js';

const EXAMPLE = '|nor_conv_3x3~0|+|nor_conv_3x3~0|nor_conv_3x3~1|+|skip_connect~0|nor_conv_3x3~1|nor_conv_1x1~2|';
const ALL = (op: string) => `|${op}~0|+|${op}~0|${op}~1|+|${op}~0|${op}~1|${op}~2|`;

test('the registry holds nb201', () => {
  assert.ok(spaceNames().includes('nb201'));
  assert.equal(getSpace('nb201'), nb201);
  assert.throws(() => getSpace('nope'), /unknown search space 'nope' \(known: nb201/);
});

test('cell strings: parse and print round trip (every cell)', () => {
  const a = nb201.parse(EXAMPLE);
  assert.equal(nb201.format(a), EXAMPLE);
  assert.deepEqual(nb201.ops(a), ['nor_conv_3x3', 'nor_conv_3x3', 'nor_conv_3x3', 'skip_connect', 'nor_conv_3x3', 'nor_conv_1x1']);
  assert.equal(a.values['3<-0'], 'skip_connect');
  // The hash is part of the data format (stores and tabular benchmarks key on it): it must never change.
  assert.equal(a.hash, '3f4fd2247330cad1e67fd862c3dc2103f6d529177a9083a671c886d2412e31e5');
  assert.equal(a.key, '{"space":"nb201","values":{"1<-0":"nor_conv_3x3","2<-0":"nor_conv_3x3","2<-1":"nor_conv_3x3","3<-0":"skip_connect","3<-1":"nor_conv_3x3","3<-2":"nor_conv_1x1"}}');
  assert.equal(nb201.parse(`  ${EXAMPLE}\n`).key, a.key, 'surrounding whitespace is ignored');
  assert.equal(nb201.parse(JSON.stringify(a)).key, a.key, 'the JSON form is read too');
  let n = 0;
  for (const x of nb201.enumerate()) {
    assert.equal(nb201.parse(nb201.format(x)).key, x.key);
    n++;
  }
  assert.equal(n, 15625);
});

test('malformed cell strings: clear errors naming the problem', () => {
  const bad: [string, RegExp][] = [
    ['', /it is empty/],
    ['nor_conv_3x3', /found 1 node\(s\) separated by '\+', need 3/],
    ['|none~0|+|none~0|none~1|', /found 2 node\(s\)/],
    [`${ALL('none')}+|none~0|`, /found 4 node\(s\)/],
    ['none~0|+|none~0|none~1|+|none~0|none~1|none~2|', /node 1 \('none~0\|'\) must start and end with '\|'/],
    ['|none~0|+|none~0|+|none~0|none~1|none~2|', /node 2 must list 2 input\(s\) \(op~0\|op~1\), found 1/],
    ['|none~0|+|none~0|none~1|+|none~0|none~1|none~2|none~3|', /node 3 must list 3 input\(s\)/],
    ['|conv_3x3~0|+|none~0|none~1|+|none~0|none~1|none~2|', /unknown op 'conv_3x3' \(ops: none, skip_connect, nor_conv_1x1, nor_conv_3x3, avg_pool_3x3\)/],
    ['|none~0|+|none~1|none~0|+|none~0|none~1|none~2|', /node 2: input 0 must come from node 0, found 'none~1'/],
    ['|none~0|+|none~0|none~1|+|none~0|none~1|none~3|', /node 3: input 2 must come from node 2, found 'none~3' \(node 3 can only read nodes 0 to 2\)/],
    ['|none-0|+|none~0|none~1|+|none~0|none~1|none~2|', /edge 'none-0' of node 1 is not op~source/],
    ['|none~0||+|none~0|none~1|+|none~0|none~1|none~2|', /node 1 must list 1 input/],
    ['{"values":{"1<-0":"none"}}', /decision '2<-0' has no value/],
    ['{"space":"darts","values":{}}', /architecture of space 'darts'/],
  ];
  for (const [s, re] of bad) {
    assert.throws(
      () => nb201.parse(s),
      (e: unknown) => e instanceof ArchitectureError && re.test((e as Error).message) && !(e as Error).message.includes('\n'),
      `${JSON.stringify(s)} should fail with ${re}`,
    );
  }
});

test('size 15625 and unique 6466 (NAS-Bench-201 isomorphism rule)', () => {
  assert.equal(nb201.size(), 15625);
  assert.equal(nb201.uniqueCount(), 6466);
  const info = nb201.describe();
  assert.equal(info.size, 15625);
  assert.equal(info.unique, 6466);
  assert.equal(info.decisions.length, 6);
  // Canonical forms: idempotent, one per class, and each class's members share it.
  const reps = new Set<string>();
  for (const a of nb201.enumerate()) {
    const c = nb201.canonicalize(a);
    assert.ok(nb201.isomorphic(a, c));
    reps.add(c.key);
  }
  assert.equal(reps.size, 6466);
  for (const k of reps) {
    const a = nb201.fromJSON(JSON.parse(k));
    assert.equal(nb201.canonicalize(a).key, k);
  }
});

test('isomorphism: what is and is not the same cell', () => {
  const iso = (a: string, b: string) => nb201.isomorphic(nb201.parse(a), nb201.parse(b));
  // Summands commute: with node 1 = node 0 (a skip), conv3(0) + conv1(1) is conv1(0) + conv3(1).
  assert.ok(iso('|skip_connect~0|+|none~0|none~1|+|nor_conv_3x3~0|nor_conv_1x1~1|none~2|', '|skip_connect~0|+|none~0|none~1|+|nor_conv_1x1~0|nor_conv_3x3~1|none~2|'));
  // ... but the rule compares expressions, so a node's extra zero term tells cells apart.
  assert.ok(!iso('|nor_conv_3x3~0|+|nor_conv_1x1~0|none~1|+|none~0|skip_connect~1|skip_connect~2|', '|nor_conv_1x1~0|+|nor_conv_3x3~0|none~1|+|none~0|skip_connect~1|skip_connect~2|'));
  // A skip connection is transparent: node 1 = node 0.
  assert.ok(iso('|skip_connect~0|+|none~0|nor_conv_3x3~1|+|none~0|none~1|skip_connect~2|', '|skip_connect~0|+|nor_conv_3x3~0|none~1|+|none~0|none~1|skip_connect~2|'));
  // What node 3 does not read does not matter... as long as the zero terms agree.
  assert.ok(iso('|nor_conv_3x3~0|+|avg_pool_3x3~0|none~1|+|nor_conv_1x1~0|none~1|none~2|', '|avg_pool_3x3~0|+|nor_conv_1x1~0|skip_connect~1|+|nor_conv_1x1~0|none~1|none~2|'));
  // Different ops are different cells.
  assert.ok(!iso(ALL('nor_conv_3x3'), ALL('nor_conv_1x1')));
  // The benchmark's rule keeps zero terms: x + 0 is not x.
  assert.ok(!iso('|none~0|+|none~0|none~1|+|nor_conv_3x3~0|none~1|none~2|', '|none~0|+|none~0|none~1|+|nor_conv_3x3~0|none~1|skip_connect~2|'));
  // Node 2 = c3(0) + c3(c3(0)); node 3 = 0 + c3(c3(0)) + c1(node 2); terms sorted by code point, as Python's sorted().
  assert.equal(nb201.uniqueKey(nb201.parse(EXAMPLE)), '(((0)@nor_conv_3x3)@nor_conv_3x3+(0)@nor_conv_3x3)@nor_conv_1x1+((0)@nor_conv_3x3)@nor_conv_3x3+0');
});

test('sampling is deterministic by seed and uniform over the 15625 cells', () => {
  const a = nb201.sampleMany(50, 7).map((x) => nb201.format(x));
  assert.deepEqual(a, nb201.sampleMany(50, 7).map((x) => nb201.format(x)));
  assert.notDeepEqual(a, nb201.sampleMany(50, 8).map((x) => nb201.format(x)));
  const counts = new Map<string, number>();
  for (const x of nb201.sampleMany(5000, 1)) {
    const op = x.values['3<-2'] as string;
    counts.set(op, (counts.get(op) ?? 0) + 1);
  }
  for (const op of NB201_OPS) assert.ok((counts.get(op) ?? 0) > 850 && (counts.get(op) ?? 0) < 1150, `${op}: ${counts.get(op)}`);
});

test('neighbourhood: 6 edges x 4 other ops = 24; mutation and crossover stay in the space', () => {
  const a = nb201.parse(EXAMPLE);
  const n = nb201.neighbours(a);
  assert.equal(n.length, 24);
  assert.equal(new Set(n.map((x) => x.key)).size, 24);
  for (const x of n) assert.equal(nb201.ops(x).filter((op, i) => op !== nb201.ops(a)[i]).length, 1);
  const m = nb201.mutate(a, 5);
  assert.ok(n.some((x) => x.equals(m)));
  const b = nb201.parse(ALL('avg_pool_3x3'));
  const c = nb201.crossover(a, b, 3);
  for (const [i, op] of nb201.ops(c).entries()) assert.ok(op === nb201.ops(a)[i] || op === nb201.ops(b)[i]);
});

test('encodings: one-hot, adjacency with op one-hots, path', () => {
  const a = nb201.parse(EXAMPLE);
  const oh = nb201.encode(a);
  assert.equal(oh.length, 30);
  assert.deepEqual(oh.slice(0, 5), [0, 0, 0, 1, 0]);
  assert.equal(oh.reduce((s, x) => s + x, 0), 6);
  const { matrix, ops } = nb201.adjacency(nb201.parse('|nor_conv_3x3~0|+|none~0|skip_connect~1|+|none~0|none~1|avg_pool_3x3~2|'));
  // input -> 1<-0 (op node 1) -> 2<-1 (op node 3) -> 3<-2 (op node 6) -> output; none edges unlinked.
  const links = matrix.flatMap((row, i) => row.flatMap((v, j) => (v ? [`${i}>${j}`] : [])));
  assert.deepEqual(links, ['0>1', '1>3', '3>6', '6>7']);
  assert.deepEqual(ops[0], [1, 0, 0, 0, 0, 0, 0]);
  assert.deepEqual(ops[2], [0, 0, 1, 0, 0, 0, 0], 'edge 2<-0 is none');
  assert.equal(nb201.encode(a, 'adjacency').length, 120);
  const path = nb201.encode(nb201.parse(ALL('nor_conv_3x3')), 'path');
  assert.equal(path.length, 84);
  assert.equal(path.reduce((s, x) => s + x, 0), 4, 'four routes through an all-conv cell');
  assert.equal(nb201.encode(nb201.parse(ALL('none')), 'path').reduce((s, x) => s + x, 0), 0);
});

test('measures by formula match the benchmark (C=16, N=5, CIFAR-10)', () => {
  // NAS-Bench-201 reports 1.531546 MB (largest) and 0.073306 MB (smallest) of parameters and 7.78 MFLOPs for the smallest.
  const big = nb201.measure(nb201.parse(ALL('nor_conv_3x3')));
  assert.deepEqual([big.params, big.flops], [1531546, 220119680]);
  const none = nb201.measure(nb201.parse(ALL('none')));
  assert.deepEqual([none.params, none.flops], [73306, 7783040]);
  // Activation memory grows with the ops that keep tensors for backward.
  assert.ok((big.trainActivationBytes ?? 0) > 4 * (none.trainActivationBytes ?? 0));
  const small = nb201.measure(nb201.parse(EXAMPLE), { input: [1, 28, 28], classes: 10, channels: 8, cells: 2 });
  assert.ok(small.params > 0 && small.flops > 0);
  assert.throws(() => nb201.measure(nb201.parse(EXAMPLE), { input: [3, 30, 30] }), /multiples of 4/);
  assert.throws(() => nb201.measure(nb201.parse(EXAMPLE), { channels: 0 }), /channels must be a positive integer/);
});
