/**
 * The NAS-Bench-101 search space (Ying et al., "NAS-Bench-101: Towards Reproducible Neural
 * Architecture Search", ICML 2019): one cell, a DAG of 7 nodes (node 0 the input, node 6 the
 * output) given by a strictly upper-triangular adjacency matrix with at most 9 edges; each of the 5
 * inner nodes is `conv3x3-bn-relu`, `conv1x1-bn-relu` or `maxpool3x3`.
 *
 * Decisions: one 0/1 decision per possible edge, named `to<-from` (21), and `op1`..`op5`.
 * Constraints: at most 9 edges, and the output reachable from the input.
 *
 * Text form (the benchmark's `ModelSpec` as JSON): `{"matrix": [[0,1,...], ...], "ops": ["input",
 * "conv3x3-bn-relu", ..., "output"]}`. A text starting with `{` that has `values` is read as the
 * architecture's own JSON form.
 *
 * Symmetry, as in the benchmark's code (`nasbench/lib/model_spec.py`, `graph_util.py`): a cell is
 * first pruned (nodes not on a path from the input to the output are removed; they compute nothing
 * that reaches the output), then hashed with `graph_util.hash_module` (iterated md5 over node
 * degrees, labels and sorted neighbour hashes), so isomorphic cells share one {@link Nb101Space.graphHash}.
 * The canonical architecture is the pruned cell with its inner nodes relabelled to the
 * lexicographically smallest topological order, padded back to 7 nodes with isolated
 * `conv3x3-bn-relu` nodes placed just before the output.
 *
 * The network (the typed graph of {@link Nb101Space.graph}, compiled by `networks/compile.ts`;
 * measured from the graph): stem conv3x3 (C=128) + BN + ReLU; 3 stacks of 3 cells, with 2x2 max pooling (stride 2) and doubled channels between stacks;
 * global average pooling; a dense layer. Inside a cell (`model_builder.build_module`), the output
 * concatenates its inner inputs, whose channels split the cell's output channels (remainder to the
 * first ones); other nodes take the largest channel count of their successors; a node fed by the
 * cell input gets a 1x1 conv-BN-ReLU projection of it, inner inputs are truncated to the node's
 * channels and summed; an input->output edge adds a projection of the input to the output.
 * @module
 */
import { createHash } from 'node:crypto';
import type { Architecture } from '../architecture.js';
import { type Constraint, type Decision, type Value, categorical } from '../decisions.js';
import { GraphBuilder, type NetGraph } from '../graph/graph.js';
import { ArchitectureError, DecisionSpace, type EncodingKind, type NetworkOptions, imageInput } from '../space.js';

/** The three inner-node ops, in the benchmark's order (`canonical_ops` of `model_spec.py`). */
export const NB101_OPS = ['conv3x3-bn-relu', 'conv1x1-bn-relu', 'maxpool3x3'] as const;
export type Nb101Op = (typeof NB101_OPS)[number];
export const NB101_NODES = 7;
export const NB101_MAX_EDGES = 9;

/** The decision name of the edge from `from` into `to`. */
export const nb101EdgeName = (to: number, from: number): string => `${to}<-${from}`;

/** A cell as the benchmark's `ModelSpec` holds it: adjacency matrix and op labels (with `input`/`output`). */
export interface Nb101Spec {
  matrix: number[][];
  ops: string[];
}

const N = NB101_NODES;
const EDGES: [number, number][] = [];
for (let from = 0; from < N; from++) for (let to = from + 1; to < N; to++) EDGES.push([to, from]);

const edgeCount = (v: Readonly<Record<string, Value>>): number => EDGES.reduce((n, [to, from]) => n + (v[nb101EdgeName(to, from)] === 1 ? 1 : 0), 0);

function matrixOf(v: Readonly<Record<string, Value>>): number[][] {
  const m = Array.from({ length: N }, () => new Array<number>(N).fill(0));
  for (const [to, from] of EDGES) m[from][to] = v[nb101EdgeName(to, from)] === 1 ? 1 : 0;
  return m;
}

/** Nodes reachable from node 0 and reaching the last node: the benchmark's pruning (`ModelSpec._prune`). */
export function prune(spec: Nb101Spec): Nb101Spec | null {
  const { matrix, ops } = spec;
  const n = matrix.length;
  const fwd = new Set([0]);
  const st = [0];
  while (st.length) {
    const t = st.pop() as number;
    for (let v = t + 1; v < n; v++)
      if (matrix[t][v] && !fwd.has(v)) {
        fwd.add(v);
        st.push(v);
      }
  }
  const bwd = new Set([n - 1]);
  st.push(n - 1);
  while (st.length) {
    const t = st.pop() as number;
    for (let v = 0; v < t; v++)
      if (matrix[v][t] && !bwd.has(v)) {
        bwd.add(v);
        st.push(v);
      }
  }
  const keep = [...Array(n).keys()].filter((v) => fwd.has(v) && bwd.has(v));
  if (keep.length < 2) return null;
  return { matrix: keep.map((r) => keep.map((c) => matrix[r][c])), ops: keep.map((v) => ops[v]) };
}

const md5 = (s: string) => createHash('md5').update(s).digest('hex');

/**
 * `graph_util.hash_module` of the benchmark, on a (pruned) spec: labels are -1 (input), -2 (output)
 * or the op's index in {@link NB101_OPS}; each node starts as md5 of Python's `str((out_degree,
 * in_degree, label))`, then, once per node, becomes md5 of its sorted in-neighbour hashes, `|`,
 * sorted out-neighbour hashes, `|`, its own hash; the fingerprint is md5 of `str(sorted(hashes))`.
 */
export function hashModule(spec: Nb101Spec): string {
  const { matrix, ops } = spec;
  const n = matrix.length;
  const labels = ops.map((op, i) => (i === 0 ? -1 : i === n - 1 ? -2 : NB101_OPS.indexOf(op as Nb101Op)));
  let hashes = labels.map((l, v) => {
    let out = 0;
    let inn = 0;
    for (let w = 0; w < n; w++) {
      out += matrix[v][w];
      inn += matrix[w][v];
    }
    return md5(`(${out}, ${inn}, ${l})`);
  });
  for (let it = 0; it < n; it++) {
    const next: string[] = [];
    for (let v = 0; v < n; v++) {
      const ins: string[] = [];
      const outs: string[] = [];
      for (let w = 0; w < n; w++) {
        if (matrix[w][v]) ins.push(hashes[w]);
        if (matrix[v][w]) outs.push(hashes[w]);
      }
      next.push(md5(`${ins.sort().join('')}|${outs.sort().join('')}|${hashes[v]}`));
    }
    hashes = next;
  }
  return md5(`[${[...hashes].sort().map((h) => `'${h}'`).join(', ')}]`);
}

/** Permutations of 1..k-1 ... used to relabel inner nodes. */
function* permutations(items: number[]): Generator<number[]> {
  if (items.length <= 1) {
    yield [...items];
    return;
  }
  for (let i = 0; i < items.length; i++) {
    const rest = [...items.slice(0, i), ...items.slice(i + 1)];
    for (const p of permutations(rest)) yield [items[i], ...p];
  }
}

/** Network settings with the benchmark's defaults filled in. */
export interface Nb101Config {
  input: [number, number, number];
  classes: number;
  /** Stem channels (128); stack s has 128 * 2^s. */
  channels: number;
  /** Cells per stack (3). */
  cells: number;
}

/** Fills in the defaults (3x32x32, 10 classes, C=128, 3 cells per stack) and checks them. */
export function nb101Config(o: NetworkOptions = {}): Nb101Config {
  const posInt = (v: number) => Number.isSafeInteger(v) && v > 0;
  const c: Nb101Config = { input: imageInput('nb101', o.input), classes: o.classes ?? 10, channels: o.channels ?? 128, cells: o.cells ?? 3 };
  if (!posInt(c.classes)) throw new ArchitectureError(`nb101: classes must be a positive integer, got ${c.classes}`);
  if (!posInt(c.channels)) throw new ArchitectureError(`nb101: channels must be a positive integer, got ${c.channels}`);
  if (!posInt(c.cells)) throw new ArchitectureError(`nb101: cells must be a positive integer, got ${c.cells}`);
  if (c.input[1] < 4 || c.input[2] < 4) throw new ArchitectureError(`nb101: input ${c.input.join('x')} is too small for the two 2x2 max-pool reductions (need at least 4x4)`);
  return c;
}

/**
 * Channels of each node of a pruned cell (`model_builder.compute_vertex_channels`): the output's
 * inner inputs split `cout` (the remainder going one each to the first), other inner nodes take the
 * largest of their inner successors. Throws when `cout` is smaller than the output's in-degree.
 */
export function vertexChannels(matrix: number[][], cin: number, cout: number): number[] {
  const n = matrix.length;
  const vc = new Array<number>(n).fill(0);
  vc[0] = cin;
  vc[n - 1] = cout;
  if (n === 2) return vc;
  let indeg = 0;
  for (let v = 1; v < n; v++) indeg += matrix[v][n - 1];
  const interior = Math.floor(cout / indeg);
  if (interior < 1) throw new ArchitectureError(`nb101: ${cout} output channels cannot be split among the output's ${indeg} inputs (use more channels)`);
  let corr = cout % indeg;
  for (let v = 1; v < n - 1; v++)
    if (matrix[v][n - 1]) {
      vc[v] = interior;
      if (corr) {
        vc[v]++;
        corr--;
      }
    }
  for (let v = n - 3; v > 0; v--)
    if (!matrix[v][n - 1]) for (let d = v + 1; d < n - 1; d++) if (matrix[v][d]) vc[v] = Math.max(vc[v], vc[d]);
  return vc;
}

/** The NAS-Bench-101 space. */
export class Nb101Space extends DecisionSpace {
  readonly name = 'nb101';
  readonly description = 'NAS-Bench-101 cell: 7-node DAG, at most 9 edges, inner ops conv3x3-bn-relu, conv1x1-bn-relu, maxpool3x3';
  private _sizeCache?: number;

  constructor() {
    const decisions: Decision[] = [...EDGES.map(([to, from]) => categorical(nb101EdgeName(to, from), [0, 1])), ...[1, 2, 3, 4, 5].map((i) => categorical(`op${i}`, NB101_OPS))];
    const constraints: Constraint[] = [
      { name: 'at most 9 edges', check: (v) => (edgeCount(v) <= NB101_MAX_EDGES ? true : `${edgeCount(v)} edges, at most ${NB101_MAX_EDGES} allowed`) },
      {
        name: 'input connected to output',
        check: (v) => (prune({ matrix: matrixOf(v), ops: new Array<string>(N).fill('') }) ? true : 'no path from the input (node 0) to the output (node 6)'),
      },
    ];
    super(decisions, constraints);
  }

  /** The cell as the benchmark's `ModelSpec` (unpruned, 7 nodes). */
  spec(arch: Architecture): Nb101Spec {
    this.own(arch);
    const v = arch.values;
    return { matrix: matrixOf(v), ops: ['input', ...[1, 2, 3, 4, 5].map((i) => v[`op${i}`] as string), 'output'] };
  }

  /** The pruned cell (what the network computes). Never null for an architecture of the space. */
  pruned(arch: Architecture): Nb101Spec {
    const p = prune(this.spec(arch));
    if (!p) throw new Error('internal: nb101 architecture with a disconnected cell');
    return p;
  }

  /** The benchmark's module hash of the pruned cell (the key NAS-Bench-101's data is indexed by). */
  graphHash(arch: Architecture): string {
    return hashModule(this.pruned(arch));
  }

  /** The architecture of a 7x7 spec; checks it strictly (throws {@link ArchitectureError}). */
  fromSpec(spec: unknown): Architecture {
    const fail = (why: string): never => {
      throw new ArchitectureError(`nb101: bad cell: ${why} (expected {"matrix": 7x7 0/1 strictly upper-triangular, at most 9 edges, "ops": ["input", 5 of ${NB101_OPS.join('|')}, "output"]})`);
    };
    if (!spec || typeof spec !== 'object' || Array.isArray(spec)) fail('not an object');
    const { matrix, ops } = spec as { matrix?: unknown; ops?: unknown };
    for (const k of Object.keys(spec as object)) if (k !== 'matrix' && k !== 'ops') fail(`unknown field '${k}'`);
    if (!Array.isArray(matrix)) fail('"matrix" must be an array of rows');
    const m = matrix as unknown[];
    if (m.length !== N) fail(`the matrix has ${m.length} rows, need ${N}`);
    m.forEach((row, i) => {
      if (!Array.isArray(row) || row.length !== N) fail(`row ${i} of the matrix must have ${N} entries`);
      (row as unknown[]).forEach((x, j) => {
        if (x !== 0 && x !== 1) fail(`matrix[${i}][${j}] is ${JSON.stringify(x)}, must be 0 or 1`);
        if (x === 1 && j <= i) fail(`matrix[${i}][${j}] is 1 but the matrix must be strictly upper-triangular (edges go from a lower to a higher node; no cycles or self-loops)`);
      });
    });
    if (!Array.isArray(ops)) fail('"ops" must be an array of op names');
    const o = ops as unknown[];
    if (o.length !== N) fail(`${o.length} ops, need ${N}`);
    if (o[0] !== 'input') fail(`ops[0] must be 'input', got ${JSON.stringify(o[0])}`);
    if (o[N - 1] !== 'output') fail(`ops[${N - 1}] must be 'output', got ${JSON.stringify(o[N - 1])}`);
    for (let i = 1; i < N - 1; i++) if (!(NB101_OPS as readonly unknown[]).includes(o[i])) fail(`unknown op ${JSON.stringify(o[i])} at node ${i} (ops: ${NB101_OPS.join(', ')})`);
    const mm = m as number[][];
    const edges = mm.flat().reduce((a, b) => a + b, 0);
    if (edges > NB101_MAX_EDGES) fail(`${edges} edges, at most ${NB101_MAX_EDGES} allowed`);
    if (!prune({ matrix: mm, ops: o as string[] })) fail('the input (node 0) and the output (node 6) are disconnected');
    const values: Record<string, Value> = {};
    for (const [to, from] of EDGES) values[nb101EdgeName(to, from)] = mm[from][to];
    for (let i = 1; i < N - 1; i++) values[`op${i}`] = o[i] as string;
    return this.arch(values);
  }

  override parse(text: string): Architecture {
    if (typeof text !== 'string') throw new ArchitectureError('nb101: expected a JSON cell {"matrix": ..., "ops": ...}');
    let j: unknown;
    try {
      j = JSON.parse(text);
    } catch {
      throw new ArchitectureError(`nb101: not valid JSON: ${text.slice(0, 60)} (expected {"matrix": [[...]], "ops": ["input", ..., "output"]})`);
    }
    if (j && typeof j === 'object' && !Array.isArray(j) && Object.hasOwn(j, 'values')) return this.fromJSON(j);
    return this.fromSpec(j);
  }

  override format(arch: Architecture): string {
    return JSON.stringify(this.spec(arch));
  }

  /** Number of architectures: 7x7 matrices with at most 9 edges whose output is reachable, times 3^5 op choices. */
  override size(): number {
    if (this._sizeCache === undefined) {
      let count = 0;
      for (let mask = 0; mask < 1 << EDGES.length; mask++) {
        let bits = 0;
        for (let x = mask; x; x &= x - 1) bits++;
        if (bits > NB101_MAX_EDGES) continue;
        // Forward reachability from node 0, nodes in order (edges only go forward).
        let reach = 1;
        EDGES.forEach(([to, from], k) => {
          if ((mask >> k) & 1 && (reach >> from) & 1) reach |= 1 << to;
        });
        if ((reach >> (N - 1)) & 1) count++;
      }
      this._sizeCache = count * NB101_OPS.length ** 5;
    }
    return this._sizeCache;
  }

  /**
   * The canonical member of `arch`'s class: the pruned cell, inner nodes relabelled (among
   * topological orders) to the smallest matrix-then-ops string, padded to 7 nodes with isolated
   * conv3x3-bn-relu nodes before the output.
   */
  override canonicalize(arch: Architecture): Architecture {
    const { matrix, ops } = this.pruned(arch);
    const n = matrix.length;
    const inner = [...Array(n - 2).keys()].map((i) => i + 1);
    let best: string | null = null;
    let bestSpec: Nb101Spec | null = null;
    for (const p of permutations(inner)) {
      // order[newIndex] = oldIndex
      const order = [0, ...p, n - 1];
      let ok = true;
      for (let a = 0; a < n && ok; a++) for (let b = 0; b <= a && ok; b++) if (matrix[order[a]][order[b]]) ok = false;
      if (!ok) continue;
      const pm = order.map((r) => order.map((c) => matrix[r][c]));
      const pops = order.map((v) => ops[v]);
      const key = `${pm.flat().join('')}|${pops.join(',')}`;
      if (best === null || key < best) {
        best = key;
        bestSpec = { matrix: pm, ops: pops };
      }
    }
    const s = bestSpec as Nb101Spec;
    // Pad to 7 nodes: pruned nodes 0..n-2 stay, isolated nodes n-1..5, the output at 6.
    const full = Array.from({ length: N }, () => new Array<number>(N).fill(0));
    const pos = (i: number) => (i === n - 1 ? N - 1 : i);
    for (let a = 0; a < n; a++) for (let b = 0; b < n; b++) if (s.matrix[a][b]) full[pos(a)][pos(b)] = 1;
    const fullOps = ['input', ...[1, 2, 3, 4, 5].map((i) => (i < n - 1 ? s.ops[i] : 'conv3x3-bn-relu')), 'output'];
    return this.fromSpec({ matrix: full, ops: fullOps });
  }

  override isomorphic(a: Architecture, b: Architecture): boolean {
    return this.graphHash(a) === this.graphHash(b);
  }

  /**
   * Path encoding (BANANAS): counts of the op sequences along input-to-output paths of the pruned
   * cell, for sequences of 0 to 5 inner ops: 1 + 3 + 9 + 27 + 81 + 243 = 364 slots.
   */
  pathEncoding(arch: Architecture): number[] {
    const { matrix, ops } = this.pruned(arch);
    const n = matrix.length;
    const out = new Array<number>(364).fill(0);
    const walk = (v: number, seq: number[]) => {
      if (v === n - 1) {
        const offset = (3 ** seq.length - 1) / 2;
        out[offset + seq.reduce((acc, x) => acc * 3 + x, 0)]++;
        return;
      }
      for (let w = v + 1; w < n; w++) if (matrix[v][w]) walk(w, w === n - 1 ? seq : [...seq, NB101_OPS.indexOf(ops[w] as Nb101Op)]);
    };
    walk(0, []);
    return out;
  }

  override encodingWidth(kind: EncodingKind): number {
    if (kind === 'adjacency') return N * N + 5 * NB101_OPS.length;
    if (kind === 'path') return 364;
    return super.encodingWidth(kind);
  }

  /** `onehot` (57), `adjacency` (the canonical form's 7x7 matrix, then its 5 inner ops one-hot: 64) or `path` (364). */
  override encode(arch: Architecture, kind: EncodingKind = 'onehot'): number[] {
    if (kind === 'adjacency') {
      const { matrix, ops } = this.spec(this.canonicalize(arch));
      return [...matrix.flat(), ...ops.slice(1, -1).flatMap((op) => NB101_OPS.map((x) => (x === op ? 1 : 0)))];
    }
    if (kind === 'path') return this.pathEncoding(arch);
    return super.encode(arch, kind);
  }

  /**
   * The network as a typed graph (compile it with `networks/compile.ts`), as the benchmark's
   * `model_builder.build_model`: `stem` conv3x3-BN-ReLU; `stack<s>.module<m>` cells (see
   * {@link nb101Cell}), with `stack<s>.downsample` 2x2 max pooling (stride 2, ceil: TF's 'same')
   * before stacks 1 and 2; global average pooling; the `dense` classifier.
   */
  override graph(arch: Architecture, o: NetworkOptions = {}): NetGraph {
    const spec = this.pruned(arch);
    const cfg = nb101Config(o);
    const g = new GraphBuilder(cfg.input, 'nb101');
    let x = g.add('conv_bn_act', g.input, { out: cfg.channels, k: 3 }, 'stem');
    let c = cfg.channels;
    let cell = 0;
    for (let stack = 0; stack < 3; stack++) {
      if (stack > 0) {
        x = g.add('max_pool', x, { k: 2, stride: 2, ceil: true }, `stack${stack}.downsample`);
        c *= 2;
      }
      for (let m = 0; m < cfg.cells; m++) x = g.scope(`stack${stack}.module${m}`, () => nb101Cell(g, x, spec, c), `cell ${cell++}`);
    }
    x = g.chain(x, [
      ['global_avg_pool', {}, 'global_pool'],
      ['linear', { out: cfg.classes }, 'dense'],
    ]);
    return g.output('logits', x).build();
  }
}

/**
 * Adds one cell (`model_builder.build_module`) on a pruned spec, reading node `x` and writing
 * `cout` channels, in the builder's current scope; returns its output node. Inner node t is
 * `vertex_<t>`: the sum (`input`) of its inner inputs, each truncated to its channels
 * (`truncate_<s>`), and of a 1x1 conv-BN-ReLU `projection` of the cell input, then its `op`. The
 * output concatenates (`concat`) the inner nodes that feed it and adds (`sum`) the output
 * `projection` of the cell input when the input feeds the output directly.
 */
export function nb101Cell(g: GraphBuilder, x: number, spec: Nb101Spec, cout: number): number {
  const { matrix, ops } = spec;
  const n = matrix.length;
  const vc = vertexChannels(matrix, g.channels(x), cout);
  const nodes = [x];
  const concat: number[] = [];
  for (let t = 1; t < n - 1; t++) {
    nodes.push(
      g.scope(`vertex_${t}`, () => {
        const addIn: number[] = [];
        for (let s = 1; s < t; s++)
          if (matrix[s][t]) addIn.push(g.channels(nodes[s]) === vc[t] ? nodes[s] : g.add('slice', nodes[s], { channels: vc[t] }, `truncate_${s}`));
        if (matrix[0][t]) addIn.push(g.add('conv_bn_act', x, { out: vc[t], k: 1 }, 'projection'));
        const input = addIn.length === 1 ? addIn[0] : g.add('add', addIn, {}, 'input');
        if (ops[t] === 'maxpool3x3') return g.add('max_pool', input, { k: 3, stride: 1, pad: 1 }, 'op');
        return g.add('conv_bn_act', input, { out: vc[t], k: ops[t] === 'conv3x3-bn-relu' ? 3 : 1 }, 'op');
      }),
    );
    if (matrix[t][n - 1]) concat.push(nodes[t]);
  }
  const proj = () => g.add('conv_bn_act', x, { out: cout, k: 1 }, 'output.projection');
  if (!concat.length) return proj();
  const out = concat.length === 1 ? concat[0] : g.add('concat', concat, {}, 'output.concat');
  return matrix[0][n - 1] ? g.add('add', [out, proj()], {}, 'output.sum') : out;
}

/** The shared instance. */
export const nb101 = new Nb101Space();
