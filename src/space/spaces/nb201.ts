/**
 * The NAS-Bench-201 search space (Dong & Yang, "NAS-Bench-201: Extending the Scope of Reproducible
 * Neural Architecture Search", ICLR 2020): one cell, a DAG of 4 nodes whose 6 edges (every node
 * reads every earlier one) each carry one of 5 ops, so 5^6 = 15,625 cells, of which 6,466 are
 * unique up to isomorphism.
 *
 * Text form (the benchmark's own): `|op~0|+|op~0|op~1|+|op~0|op~1|op~2|`, the inputs of nodes
 * 1, 2 and 3 separated by `+`, each edge `op~source`. Decisions are named after the edges:
 * `1<-0`, `2<-0`, `2<-1`, `3<-0`, `3<-1`, `3<-2`.
 *
 * The network (the typed graph of {@link Nb201Space.graph}, compiled by `networks/compile.ts`): stem
 * conv3x3 (in -> C, no bias) + BN; three stages of N cells at C, 2C and 4C channels, separated by
 * residual reduction blocks (ResNet basic block, stride 2); BN + ReLU; global average pooling; a
 * linear classifier. Ops: `nor_conv_kxk` is ReLU-Conv(no bias)-BN, `avg_pool_3x3` is 3x3 average
 * pooling (stride 1, padding 1, padding not counted), `skip_connect` the identity, `none` zero;
 * a node is the sum of its incoming edges. With C=16, N=5 on 3x32x32 and 10 classes the largest
 * cell (all nor_conv_3x3) has 1,531,546 parameters and the smallest (all none) 73,306, as the
 * benchmark reports (1.531546 MB and 0.073306 MB).
 * @module
 */
import type { Architecture } from '../architecture.js';
import { type Decision, categorical } from '../decisions.js';
import { GraphBuilder, type NetGraph } from '../graph/graph.js';
import { ArchitectureError, DecisionSpace, type EncodingKind, type NetworkOptions, imageInput } from '../space.js';

/** The five ops, in the benchmark's order. */
export const NB201_OPS = ['none', 'skip_connect', 'nor_conv_1x1', 'nor_conv_3x3', 'avg_pool_3x3'] as const;
export type Nb201Op = (typeof NB201_OPS)[number];

/** The edges as [to, from], in the order of the text form. */
export const NB201_EDGES: readonly (readonly [number, number])[] = [
  [1, 0],
  [2, 0],
  [2, 1],
  [3, 0],
  [3, 1],
  [3, 2],
];
/** The decision name of the edge from node `from` into node `to`. */
export const edgeName = (to: number, from: number): string => `${to}<-${from}`;

/** Network settings with the benchmark's defaults filled in. */
export interface Nb201Config {
  input: [number, number, number];
  classes: number;
  channels: number;
  cells: number;
}

/** Fills in the defaults (3x32x32, 10 classes, C=16, N=5) and checks the values (throws {@link ArchitectureError}). */
export function nb201Config(o: NetworkOptions = {}): Nb201Config {
  const posInt = (v: number) => Number.isSafeInteger(v) && v > 0;
  const c: Nb201Config = {
    input: imageInput('nb201', o.input),
    classes: o.classes ?? 10,
    channels: o.channels ?? 16,
    cells: o.cells ?? 5,
  };
  if (!posInt(c.classes)) throw new ArchitectureError(`nb201: classes must be a positive integer, got ${c.classes}`);
  if (!posInt(c.channels)) throw new ArchitectureError(`nb201: channels must be a positive integer, got ${c.channels}`);
  if (!posInt(c.cells)) throw new ArchitectureError(`nb201: cells must be a positive integer, got ${c.cells}`);
  const [, h, w] = c.input;
  if (h % 4 || w % 4)
    throw new ArchitectureError(`nb201: input ${c.input.join('x')} is too small or odd for the two stride-2 reductions: height and width must be multiples of 4`);
  return c;
}

/**
 * The NB201 space. Its canonical form follows the benchmark's own de-duplication rule (below), so
 * {@link uniqueCount} is 6,466; the representative of a class is its first member in enumeration
 * order (edges in text order, ops in {@link NB201_OPS} order).
 */
export class Nb201Space extends DecisionSpace {
  readonly name = 'nb201';
  readonly description = 'NAS-Bench-201 cell: 4 nodes, 6 edges, 5 ops (none, skip_connect, nor_conv_1x1, nor_conv_3x3, avg_pool_3x3)';
  private _reps?: Map<string, Architecture>;

  constructor() {
    super(NB201_EDGES.map(([to, from]): Decision => categorical(edgeName(to, from), NB201_OPS)));
  }

  /** The op on each edge, in text order. */
  ops(arch: Architecture): Nb201Op[] {
    this.own(arch);
    return NB201_EDGES.map(([to, from]) => arch.values[edgeName(to, from)] as Nb201Op);
  }

  /** The architecture with these six ops (edges in text order). */
  fromOps(ops: readonly string[]): Architecture {
    if (ops.length !== 6) throw new ArchitectureError(`nb201: expected 6 ops, got ${ops.length}`);
    return this.arch(Object.fromEntries(NB201_EDGES.map(([to, from], i) => [edgeName(to, from), ops[i]])));
  }

  /**
   * Reads `|op~0|+|op~0|op~1|+|op~0|op~1|op~2|` strictly: exactly three nodes, each node's inputs
   * listed once, in order 0..i-1, with a known op. Surrounding whitespace is ignored. A string
   * starting with `{` is read as the architecture's JSON form.
   */
  override parse(text: string): Architecture {
    if (typeof text !== 'string') throw new ArchitectureError('nb201: expected a cell string');
    const s = text.trim();
    if (s.startsWith('{')) return super.parse(s);
    const fail = (why: string): never => {
      throw new ArchitectureError(`nb201: malformed cell string '${text}': ${why} (expected e.g. |nor_conv_3x3~0|+|none~0|skip_connect~1|+|avg_pool_3x3~0|nor_conv_1x1~1|none~2|)`);
    };
    if (!s) fail('it is empty');
    const nodes = s.split('+');
    if (nodes.length !== 3) fail(`found ${nodes.length} node(s) separated by '+', need 3`);
    const ops: string[] = [];
    nodes.forEach((node, k) => {
      const to = k + 1;
      if (node.length < 2 || !node.startsWith('|') || !node.endsWith('|')) fail(`node ${to} ('${node}') must start and end with '|'`);
      const edges = node.slice(1, -1).split('|');
      if (edges.length !== to) fail(`node ${to} must list ${to} input(s) (${Array.from({ length: to }, (_, j) => `op~${j}`).join('|')}), found ${edges.length}`);
      edges.forEach((e, j) => {
        const m = /^([A-Za-z0-9_]+)~(\d+)$/.exec(e);
        if (!m) fail(`edge '${e}' of node ${to} is not op~source`);
        const [, op, src] = m as RegExpExecArray;
        if (Number(src) !== j) fail(`node ${to}: input ${j} must come from node ${j}, found '${e}'${Number(src) >= to ? ` (node ${to} can only read ${to === 1 ? 'node 0' : `nodes 0 to ${to - 1}`})` : ''}`);
        if (!(NB201_OPS as readonly string[]).includes(op)) fail(`unknown op '${op}' (ops: ${NB201_OPS.join(', ')})`);
        ops.push(op);
      });
    });
    return this.fromOps(ops);
  }

  override format(arch: Architecture): string {
    const ops = this.ops(arch);
    let i = 0;
    return [1, 2, 3].map((to) => `|${Array.from({ length: to }, (_, j) => `${ops[i++]}~${j}`).join('|')}|`).join('+');
  }

  /**
   * The isomorphism key of NAS-Bench-201's code: `Structure.to_unique_str(consider_zero=True)` in
   * `lib/models/cell_searchs/genotypes.py` of D-X-Y/AutoDL-Projects (also in xautodl and
   * nas_201_api), which is how the benchmark counts 6,466 unique cells. Each node becomes a
   * symbolic expression: node 0 is `0`; an edge contributes `#` (zero) when its op is `none` or its
   * source node's expression is exactly `#`, the source's expression itself for `skip_connect`,
   * and `(source)@op` otherwise; a node is its edges' terms sorted and joined with `+`. The key is
   * node 3's expression. So skip connections are transparent, summands commute, and `none` edges
   * (and edges out of a node whose only input is `none`) are zero terms. Note the rule's letter:
   * the zero terms are kept in the sum (`x+#` differs from `x`), and a node with several zero
   * inputs (`#+#`) is not itself treated as zero; a rule that dropped zero terms or propagated
   * zeros fully would give 5,390 classes, and one that ignored zeros 12,751, not the published 6,466.
   */
  uniqueKey(arch: Architecture): string {
    const ops = this.ops(arch);
    const nodes = ['0'];
    let i = 0;
    for (let to = 1; to <= 3; to++) {
      const terms: string[] = [];
      for (let from = 0; from < to; from++) {
        const op = ops[i++];
        const x = nodes[from];
        if (op === 'none' || x === '#') terms.push('#');
        else if (op === 'skip_connect') terms.push(x);
        else terms.push(`(${x})@${op}`);
      }
      // Python's sorted() on str compares code points, as does the default JS sort.
      nodes.push(terms.sort().join('+'));
    }
    return nodes[3];
  }

  /**
   * Whether the output node is connected to the input by a path of non-`none` edges (the
   * benchmark's `Structure.check_valid`). A disconnected cell outputs zeros, so its network sees
   * nothing of its input.
   */
  connected(arch: Architecture): boolean {
    const ops = this.ops(arch);
    const reach = [true, false, false, false];
    NB201_EDGES.forEach(([to, from], k) => {
      if (ops[k] !== 'none' && reach[from]) reach[to] = true;
    });
    return reach[3];
  }

  private reps(): Map<string, Architecture> {
    if (!this._reps) {
      const m = new Map<string, Architecture>();
      for (const a of this.enumerate()) {
        const k = this.uniqueKey(a);
        if (!m.has(k)) m.set(k, a);
      }
      this._reps = m;
    }
    return this._reps;
  }

  override canonicalize(arch: Architecture): Architecture {
    const rep = this.reps().get(this.uniqueKey(arch));
    if (!rep) throw new Error('internal: nb201 canonical form missing');
    return rep;
  }
  override isomorphic(a: Architecture, b: Architecture): boolean {
    return this.uniqueKey(a) === this.uniqueKey(b);
  }
  override uniqueCount(): number {
    return this.reps().size;
  }

  /**
   * The cell with ops as nodes (the form graph predictors use): 8 nodes (input, the 6 edges in
   * text order, output); an op node reads the op nodes ending at its source (or the input), and
   * the output reads the op nodes ending at node 3. `none` edges carry nothing, so they get no
   * links. `ops[k]` is a one-hot over [input, output, ...NB201_OPS].
   */
  adjacency(arch: Architecture): { matrix: number[][]; ops: number[][] } {
    const ops = this.ops(arch);
    const n = 8;
    const matrix = Array.from({ length: n }, () => new Array<number>(n).fill(0));
    const live = (k: number) => ops[k] !== 'none';
    NB201_EDGES.forEach(([, from], k) => {
      if (!live(k)) return;
      if (from === 0) matrix[0][k + 1] = 1;
      NB201_EDGES.forEach(([to2], k2) => {
        if (to2 === from && live(k2)) matrix[k2 + 1][k + 1] = 1;
      });
    });
    NB201_EDGES.forEach(([to], k) => {
      if (to === 3 && live(k)) matrix[k + 1][7] = 1;
    });
    const types = ['input', 'output', ...NB201_OPS];
    const oneHot = (t: string) => types.map((x) => (x === t ? 1 : 0));
    return { matrix, ops: [oneHot('input'), ...ops.map(oneHot), oneHot('output')] };
  }

  /**
   * Path encoding (BANANAS, White et al. 2021): one count per op sequence along a route from the
   * input to the output (routes 0-3, 0-1-3, 0-2-3, 0-1-2-3; routes through `none` carry nothing);
   * sequences of 1, 2 and 3 of the 4 non-zero ops: 4 + 16 + 64 = 84 slots.
   */
  pathEncoding(arch: Architecture): number[] {
    const ops = this.ops(arch);
    const at = (to: number, from: number) => ops[NB201_EDGES.findIndex(([t, f]) => t === to && f === from)];
    const live = NB201_OPS.slice(1) as readonly string[];
    const out = new Array<number>(84).fill(0);
    for (const route of [
      [0, 3],
      [0, 1, 3],
      [0, 2, 3],
      [0, 1, 2, 3],
    ]) {
      const seq = route.slice(1).map((to, i) => at(to, route[i]));
      if (seq.includes('none')) continue;
      const offset = [0, 0, 4, 20][seq.length];
      out[offset + seq.reduce((acc, op) => acc * 4 + live.indexOf(op), 0)]++;
    }
    return out;
  }

  override encodingWidth(kind: EncodingKind): number {
    if (kind === 'adjacency') return 8 * 8 + 8 * 7;
    if (kind === 'path') return 84;
    return super.encodingWidth(kind);
  }

  /** `onehot` (6 edges x 5 ops = 30), `adjacency` (8x8 matrix then 8x7 op one-hots = 120) or `path` (84). */
  override encode(arch: Architecture, kind: EncodingKind = 'onehot'): number[] {
    if (kind === 'adjacency') {
      const { matrix, ops } = this.adjacency(arch);
      return [...matrix.flat(), ...ops.flat()];
    }
    if (kind === 'path') return this.pathEncoding(arch);
    return super.encode(arch, kind);
  }

  /**
   * The network as a typed graph (compile it with `networks/compile.ts`), as the benchmark's
   * `TinyNetwork`: `stem.0` conv3x3 + `stem.1` BN; `cells.<i>` (cells, and `resnet_basic` stride-2
   * reduction blocks between the stages), each cell's edges at `cells.<i>.edges.<to>_<from>`;
   * `lastact` BN + ReLU; global average pooling; `classifier`. `none` edges are left out of a
   * node's sum (a node with only `none` inputs is zero).
   */
  override graph(arch: Architecture, o: NetworkOptions = {}): NetGraph {
    const ops = this.ops(arch);
    const cfg = nb201Config(o);
    const g = new GraphBuilder(cfg.input, 'nb201');
    let x = g.chain(g.input, [
      ['conv', { out: cfg.channels, k: 3 }, 'stem.0'],
      ['bn', {}, 'stem.1'],
    ]);
    let c = cfg.channels;
    let i = 0;
    for (let stage = 0; stage < 3; stage++) {
      if (stage > 0) {
        c *= 2;
        x = g.add('resnet_basic', x, { out: c, stride: 2 }, `cells.${i++}`);
      }
      for (let k = 0; k < cfg.cells; k++) x = g.scope(`cells.${i}`, () => nb201Cell(g, x, ops, c), `cell ${i++}`);
    }
    x = g.chain(x, [
      ['bn', {}, 'lastact.0'],
      ['act', { fn: 'relu' }, 'lastact.1'],
      ['global_avg_pool', {}, 'global_pooling'],
      ['linear', { out: cfg.classes }, 'classifier'],
    ]);
    return g.output('logits', x).build();
  }
}

/** One cell alone as a graph (output `logits` is the cell's output), on a `[C, H, W]` input: for tests and drawings. */
export function nb201CellGraph(arch: Architecture, input: [number, number, number]): NetGraph {
  const g = new GraphBuilder(input, 'nb201');
  return g.output('logits', nb201Cell(g, g.input, nb201.ops(arch), input[0])).build();
}

/** Adds one NB201 cell reading node `x` (in the builder's current scope); returns its output node. */
function nb201Cell(g: GraphBuilder, x: number, ops: readonly Nb201Op[], c: number): number {
  const nodes = [x];
  for (let to = 1; to <= 3; to++) {
    const terms: number[] = [];
    NB201_EDGES.forEach(([t, from], k) => {
      if (t !== to || ops[k] === 'none') return;
      const name = `edges.${to}_${from}`;
      const src = nodes[from];
      switch (ops[k]) {
        case 'skip_connect':
          terms.push(src);
          break;
        case 'nor_conv_1x1':
          terms.push(g.add('relu_conv_bn', src, { out: c, k: 1 }, name));
          break;
        case 'nor_conv_3x3':
          terms.push(g.add('relu_conv_bn', src, { out: c, k: 3 }, name));
          break;
        case 'avg_pool_3x3':
          terms.push(g.add('avg_pool', src, { k: 3, stride: 1, pad: 1, countPad: false }, name));
          break;
      }
    });
    nodes.push(terms.length ? g.add('add', terms, {}, `node${to}`) : g.add('zero', x, {}, `node${to}`));
  }
  return nodes[3];
}

/** The shared instance. */
export const nb201 = new Nb201Space();
