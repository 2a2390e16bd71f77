import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Rng } from '../../src/util/rng.js';
import { ArchitectureError, type Nb101Spec, getSpace, hashModule, nb101, prune, spaceNames, vertexChannels } from '../../src/space/index.js';

const C3 = 'conv3x3-bn-relu';
const C1 = 'conv1x1-bn-relu';
const MP = 'maxpool3x3';

/** The Inception-like cell of the benchmark's README. */
const README: Nb101Spec = {
  matrix: [
    [0, 1, 1, 1, 0, 1, 0],
    [0, 0, 0, 0, 0, 0, 1],
    [0, 0, 0, 0, 0, 0, 1],
    [0, 0, 0, 0, 1, 0, 0],
    [0, 0, 0, 0, 0, 0, 1],
    [0, 0, 0, 0, 0, 0, 1],
    [0, 0, 0, 0, 0, 0, 0],
  ],
  ops: ['input', C1, C3, C3, C3, MP, 'output'],
};
/** The same cell as the benchmark's data stores it (`module_adjacency`, `module_operations`): a relabelling. */
const README_STORED: Nb101Spec = {
  matrix: [
    [0, 1, 1, 1, 1, 0, 0],
    [0, 0, 0, 0, 0, 0, 1],
    [0, 0, 0, 0, 0, 0, 1],
    [0, 0, 0, 0, 0, 0, 1],
    [0, 0, 0, 0, 0, 1, 0],
    [0, 0, 0, 0, 0, 0, 1],
    [0, 0, 0, 0, 0, 0, 0],
  ],
  ops: ['input', C3, C1, MP, C3, C3, 'output'],
};

const text = (s: Nb101Spec) => JSON.stringify(s);
const zeros = () => Array.from({ length: 7 }, () => new Array<number>(7).fill(0));
function specOf(edges: [number, number][], ops: string[] = [C3, C3, C3, C3, C3]): Nb101Spec {
  const m = zeros();
  for (const [a, b] of edges) m[a][b] = 1;
  return { matrix: m, ops: ['input', ...ops, 'output'] };
}

/** Relabels the inner nodes by `perm` (perm[new] = old); null when the result is not upper-triangular. */
function permute(s: Nb101Spec, perm: number[]): Nb101Spec | null {
  const order = [0, ...perm, 6];
  const m = order.map((r) => order.map((c) => s.matrix[r][c]));
  for (let a = 0; a < 7; a++) for (let b = 0; b <= a; b++) if (m[a][b]) return null;
  return { matrix: m, ops: order.map((v) => s.ops[v]) };
}

test('the registry holds nb101; size and info', () => {
  assert.ok(spaceNames().includes('nb101'));
  assert.equal(getSpace('nb101'), nb101);
  // 573,494 of the 2^21 upper-triangular matrices have <= 9 edges and connect input to output; 3^5 op choices each.
  assert.equal(nb101.size(), 573494 * 243);
  const info = nb101.describe();
  assert.equal(info.size, 139359042);
  assert.equal(info.decisions.length, 26);
  assert.deepEqual(info.constraints, ['at most 9 edges', 'input connected to output']);
  assert.deepEqual(info.encodings, { onehot: 57, adjacency: 64, path: 364 });
});

test('text form: round trip, JSON values form, and the benchmark parameter count', () => {
  const a = nb101.parse(text(README));
  assert.equal(nb101.format(a), text(README));
  assert.deepEqual(nb101.spec(a), README);
  assert.equal(a.values['6<-1'], 1);
  assert.equal(a.values.op1, C1);
  assert.equal(nb101.parse(JSON.stringify(a)).key, a.key, 'the architecture JSON is read too');
  assert.equal(nb101.parse(` ${text(README)}\n`).key, a.key);
  // NAS-Bench-101 reports trainable_parameters 2,694,282 for this cell (C=128, 3 stacks of 3 cells, CIFAR-10).
  assert.equal(nb101.measure(a).params, 2694282);
  assert.equal(nb101.measure(nb101.parse(text(README_STORED))).params, 2694282);
  for (const x of nb101.sampleMany(200, 7)) assert.equal(nb101.parse(nb101.format(x)).key, x.key);
});

test('bad cells: clear errors naming the problem', () => {
  const m = README.matrix;
  const bad: [unknown, RegExp][] = [
    [{ ...README, matrix: m.map((r, i) => (i === 3 ? [0, 0, 1, 0, 1, 0, 0] : r)) }, /matrix\[3\]\[2\] is 1 but the matrix must be strictly upper-triangular/],
    [{ ...README, matrix: m.map((r, i) => (i === 2 ? [0, 0, 1, 0, 0, 0, 1] : r)) }, /matrix\[2\]\[2\] is 1 .*strictly upper-triangular/],
    [specOf([[0, 1], [0, 2], [0, 3], [0, 4], [0, 5], [0, 6], [1, 6], [2, 6], [3, 6], [4, 6]]), /10 edges, at most 9 allowed/],
    [{ ...README, matrix: m.slice(1) }, /the matrix has 6 rows, need 7/],
    [{ ...README, matrix: m.map((r) => r.slice(1)) }, /row 0 of the matrix must have 7 entries/],
    [{ ...README, matrix: m.map((r, i) => (i === 0 ? [0, 2, 1, 1, 0, 1, 0] : r)) }, /matrix\[0\]\[1\] is 2, must be 0 or 1/],
    [{ ...README, ops: ['input', 'conv5x5', C3, C3, C3, MP, 'output'] }, /unknown op "conv5x5" at node 1/],
    [{ ...README, ops: [C3, C1, C3, C3, C3, MP, 'output'] }, /ops\[0\] must be 'input'/],
    [{ ...README, ops: ['input', C1, C3, C3, C3, MP, MP] }, /ops\[6\] must be 'output'/],
    [{ ...README, ops: README.ops.slice(1) }, /6 ops, need 7/],
    [specOf([[0, 1], [1, 2], [3, 6]]), /the input \(node 0\) and the output \(node 6\) are disconnected/],
    [{ ...README, extra: 1 }, /unknown field 'extra'/],
    [{ ops: README.ops }, /"matrix" must be an array/],
    [[1, 2], /not an object/],
  ];
  for (const [spec, re] of bad) {
    assert.throws(
      () => nb101.parse(JSON.stringify(spec)),
      (e: unknown) => e instanceof ArchitectureError && re.test(e.message),
      `${JSON.stringify(spec)} should fail with ${re}`,
    );
  }
  assert.throws(() => nb101.parse('{"matrix": [[0, 1]'), /nb101: not valid JSON/);
  assert.throws(() => nb101.arch({ ...nb101.parse(text(README)).values, '6<-0': 1, '5<-4': 1, '4<-1': 1 }), /constraint at most 9 edges: 12 edges, at most 9 allowed/);
});

test('pruning: nodes off every input-output path are removed; disconnected cells are invalid', () => {
  // 0->1->6, 0->2 (2 is a dead end), 3->6 (3 has no input), 4 and 5 isolated.
  const s = specOf([[0, 1], [1, 6], [0, 2], [3, 6]], [C1, MP, C3, C3, MP]);
  assert.deepEqual(prune(s), {
    matrix: [
      [0, 1, 0],
      [0, 0, 1],
      [0, 0, 0],
    ],
    ops: ['input', C1, 'output'],
  });
  assert.equal(prune(specOf([[0, 1], [2, 6]])), null);
  assert.deepEqual(prune(specOf([[0, 6]])), { matrix: [[0, 1], [0, 0]], ops: ['input', 'output'] });
  // The pruned cell computes the same as one built without the extra nodes.
  const a = nb101.parse(text(s));
  const b = nb101.parse(text(specOf([[0, 1], [1, 6]], [C1, C3, C3, C3, C3])));
  assert.ok(nb101.isomorphic(a, b));
  assert.equal(nb101.canonicalize(a).key, nb101.canonicalize(b).key);
  assert.equal(nb101.measure(a).params, nb101.measure(b).params);
  assert.notEqual(a.key, b.key);
});

test('graph hash: equal for isomorphic cells (the benchmark pair, permuted adjacency), different otherwise', () => {
  const a = nb101.parse(text(README));
  const b = nb101.parse(text(README_STORED));
  assert.notEqual(a.key, b.key);
  assert.equal(nb101.graphHash(a), nb101.graphHash(b));
  assert.equal(nb101.canonicalize(a).key, nb101.canonicalize(b).key);
  assert.equal(nb101.graphHash(a), hashModule(README), 'nothing to prune in the README cell');
  // The benchmark's own key for this cell (its data is indexed by it; also pinned in public tests of code built on it).
  assert.equal(nb101.graphHash(a), '28cfc7874f6d200472e1a9dcd8650aa0');
  // Hand-made non-isomorphic variants: another op, another edge, the ops of two nodes swapped across roles.
  const other = [
    { ...README, ops: ['input', C3, C3, C3, C3, MP, 'output'] },
    { ...README, matrix: README.matrix.map((r, i) => (i === 1 ? [0, 0, 0, 0, 1, 0, 0] : r)) },
    { ...README, ops: ['input', C1, C3, MP, C3, C3, 'output'] },
  ];
  for (const s of other) assert.notEqual(nb101.graphHash(nb101.parse(text(s))), nb101.graphHash(a), text(s));
  // Random archs and random valid relabellings of their inner nodes.
  const rng = new Rng(11);
  let checked = 0;
  for (const x of nb101.sampleMany(60, 3)) {
    const s = nb101.spec(x);
    for (let t = 0; t < 20; t++) {
      const perm = [...rng.permutation(5)].map((i) => i + 1);
      const p = permute(s, perm);
      if (!p) continue;
      const y = nb101.parse(text(p));
      assert.equal(nb101.graphHash(y), nb101.graphHash(x), `${text(s)} relabelled by ${perm}`);
      assert.equal(nb101.canonicalize(y).key, nb101.canonicalize(x).key);
      assert.ok(nb101.isomorphic(x, y));
      checked++;
    }
  }
  assert.ok(checked > 60, `${checked} relabellings checked`);
  // Two independent rules agree: the hash groups exactly as the permutation-minimal canonical form does.
  const archs = nb101.sampleMany(400, 5);
  const byHash = new Map<string, string>();
  const byCanon = new Map<string, string>();
  for (const x of archs) {
    const h = nb101.graphHash(x);
    const c = nb101.canonicalize(x).key;
    assert.equal(byHash.get(h) ?? c, c, 'one hash, one canonical form');
    assert.equal(byCanon.get(c) ?? h, h, 'one canonical form, one hash');
    byHash.set(h, c);
    byCanon.set(c, h);
    const canon = nb101.canonicalize(x);
    assert.equal(nb101.canonicalize(canon).key, canon.key, 'canonicalize is idempotent');
    // (Parameter counts of isomorphic cells can differ slightly: as in the benchmark's code, the
    // remainder of the output's channel split goes to the lowest-numbered nodes.)
  }
  // Uniform samples often prune to small cells, so classes repeat.
  assert.ok(byHash.size > 100 && byHash.size < 400, `${byHash.size} classes among 400 random archs`);
});

test('vertex channels split the output as the benchmark does', () => {
  // Output fed by nodes 1..5: 128 = 5 * 25 + 3, the remainder going one each to the first three.
  const m = specOf([[0, 1], [0, 2], [0, 3], [0, 4], [0, 5], [1, 6], [2, 6], [3, 6], [4, 6], [5, 6]]).matrix;
  assert.deepEqual(vertexChannels(m, 64, 128), [64, 26, 26, 26, 25, 25, 128]);
  // 0->1->2->6, 0->3->6: node 1 takes its successor's channels.
  const p = prune(specOf([[0, 1], [1, 2], [2, 6], [0, 3], [3, 6]])) as Nb101Spec;
  assert.deepEqual(vertexChannels(p.matrix, 32, 64), [32, 32, 32, 32, 64]);
  assert.throws(() => vertexChannels(m, 4, 3), /3 output channels cannot be split among the output's 5 inputs/);
});

test('encodings', () => {
  const a = nb101.parse(text(README));
  assert.equal(nb101.encode(a).length, 57);
  assert.equal(nb101.encode(a, 'adjacency').length, 64);
  assert.deepEqual(nb101.encode(a, 'adjacency'), nb101.encode(nb101.parse(text(README_STORED)), 'adjacency'));
  const p = nb101.encode(a, 'path');
  assert.equal(p.length, 364);
  // Paths: in-C1-out, in-C3-out, in-C3-C3-out, in-MP-out.
  assert.equal(p.reduce((x, y) => x + y, 0), 4);
  assert.deepEqual(p, nb101.encode(nb101.parse(text(README_STORED)), 'path'));
});
