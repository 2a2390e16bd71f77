/**
 * Supernets for one-shot NAS: one network that holds every architecture of a cell space, so that
 * all architectures share one set of weights (the "one-shot model" of Bender et al. 2018, the
 * continuous relaxation of DARTS).
 *
 * A supernet is built from the same pieces as the stand-alone networks: its typed graph is made
 * with the {@link GraphBuilder} and every candidate op is built by the op registry
 * (`space/graph/ops.ts`) through the cell-op builders the spaces use, so each candidate has
 * exactly the module (and state-dict names and shapes) the stand-alone network gives that op on
 * that edge. Every edge of a cell becomes a *mixed edge*: its candidates (one per op of the
 * space, `none` included) read the edge's source, and a node `<edge>` combines their outputs.
 *
 * Module names follow the stand-alone networks; the candidates live under the edge's name:
 * - NAS-Bench-201: `stem.0/1`, `cells.<i>.edges.<to>_<from>.ops.<op>`, the residual reduction
 *   blocks `cells.<i>`, `lastact`, `classifier` (C, N as in the benchmark's `TinyNetwork`).
 * - DARTS: the search network of DARTS's model_search.py: `stem.0/1` (3C channels),
 *   `cells.<i>.preprocess0/1`, `cells.<i>.edges.<j>_<from>.ops.<op>` (every node j = 2..5 reads
 *   every earlier node: 14 mixed edges of 8 ops per cell), the cell output the concatenation of
 *   nodes 2..5, cells N//3 and 2N//3 reducing, `classifier`. Defaults C=16, N=8 (DARTS's search
 *   settings). As in DARTS's search code, pooling candidates are followed by a batch norm
 *   (`<op>_bn`; `poolBN: false` leaves it out), and with `affine: false` (the default, as DARTS searches) the batch norms of the
 *   candidates and preprocessing keep their scale 1 and shift 0 and are not trained.
 *
 * **Sub-networks** ({@link Supernet.subnet}): the stand-alone network of an architecture
 * (`space.graph(arch)` compiled) with the supernet's weights copied in. Names map one to one: a
 * fixed module keeps its name; the stand-alone op on an edge (NB201 `cells.<i>.edges.<to>_<from>`,
 * DARTS `cells.<i>._ops.<k>`, the k-th `(op, input)` pair of the genotype) takes the weights of
 * the supernet's candidate of that op on that edge (`...edges.<to>_<from>.ops.<op>`). Pooling
 * batch norms of the supernet have no stand-alone counterpart and are dropped.
 *
 * **Forward modes** ({@link ForwardMode}), set with {@link Supernet.setMode} so that `call(x)` fits
 * any training loop: `softmax` (DARTS: each edge the softmax(alpha)-weighted sum of all its
 * candidates, optionally plus DARTS-'s auxiliary skip `beta * x`), `weights` (given mixing weights),
 * `path` (one op per edge, only that op computed: SPOS, ENAS, random search with weight sharing;
 * in the DARTS space an edge may also be off, as in a genotype), and `gumbel` (GDAS: a hard
 * one-hot Gumbel-softmax sample per edge with straight-through gradients, only the sampled op
 * computed).
 *
 * **Memory** ({@link Supernet.memoryEstimate}, {@link Supernet.fitBatchSize}): by formula from the
 * op registry's `saved` activation counts, before anything is trained.
 * @module
 */
import * as engine from '../engine/index.js';
import { type DType, F, type Tensor, keep, nn, noGrad, randn, tidy } from '../engine/index.js';
import type { Architecture } from '../space/architecture.js';
import { GraphBuilder, type NetGraph } from '../space/graph/graph.js';
import { type BuildLib, type BuiltOp, getOp, numel } from '../space/graph/ops.js';
import * as blocks from '../space/networks/blocks.js';
import { compileGraph, type GraphNetwork, NodeValues } from '../space/networks/compile.js';
import type { NetworkOptions } from '../space/space.js';
import {
  DARTS_CELLS,
  DARTS_CONCAT,
  DARTS_OPS,
  DARTS_STEM_MULTIPLIER,
  type DartsEdge,
  type DartsOp,
  cellOpBuilder,
  darts,
  dartsReductionCells,
} from '../space/spaces/darts.js';
import { NB201_EDGES, NB201_OPS, nb201, nb201Config } from '../space/spaces/nb201.js';

const LIB: BuildLib = { engine, blocks };

/** The spaces a supernet can be built for. */
export const SUPERNET_SPACES = ['nb201', 'darts'] as const;
export type SupernetSpace = (typeof SUPERNET_SPACES)[number];

/** A bad supernet request (unknown space, bad sizes, a malformed choice): one line, for users. */
export class SupernetError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SupernetError';
  }
}

/** Options of a supernet: the network's sizes (reduced sizes for a CPU search) and search-time details. */
export interface SupernetOptions extends NetworkOptions {
  /**
   * Train the batch norms of the candidate ops (and, in DARTS, of the cells' preprocessing)?
   * Default false, as DARTS and GDAS search (their scale stays 1 and shift 0: `affine=False`).
   */
  affine?: boolean;
  /**
   * DARTS space: follow each pooling candidate with a batch norm, as DARTS's search code does
   * (default true). Without it, a path computes exactly what its stand-alone sub-network does.
   */
  poolBN?: boolean;
  /** Seed of the weights' and alphas' initialisation (libtorch's generator); default: whatever it is now. */
  seed?: number;
}

/** Per cell type, per edge: the index of the op (in {@link Supernet.ops}) or -1 for an edge that is off. */
export type Choice = number[][];

/** How the mixed edges combine their candidates (see the module comment). */
export type ForwardMode =
  | { kind: 'softmax'; auxSkip?: number }
  | { kind: 'weights'; weights: readonly Tensor[]; auxSkip?: number }
  | { kind: 'path'; choice: Choice }
  | { kind: 'gumbel'; tau: number };

/** One mixed edge. */
export interface MixedEdge {
  /** Index of the cell type (`normal`, `reduce`; NB201 has one). */
  cellType: number;
  /** Index of the edge within its cell type's alphas. */
  edge: number;
  /** Graph node id of the mixing node, and its name (`cells.<i>.edges.<to>_<from>`). */
  node: number;
  name: string;
  stride: number;
  /** Per op: the candidate's nodes (in order) and the one holding its output. */
  candidates: { nodes: number[]; out: number }[];
}

/** What {@link Supernet.memoryEstimate} gives, in bytes. */
export interface MemoryEstimate {
  /** Trainable weights (elements). */
  weights: number;
  /** Bytes that do not grow with the batch: weights, their gradients, optimizer state, alphas. */
  fixedBytes: number;
  /** Bytes per sample: activations kept for backward (registry formula) times the safety factor, plus the input. */
  perSampleBytes: number;
  /** The registry formula alone (activations kept for backward, float32, per sample). */
  activationBytes: number;
}

/** A cell space as the supernet needs it. */
interface CellSpaceDef {
  space: SupernetSpace;
  cellTypes: readonly string[];
  ops: readonly string[];
  /** Edges per cell type, as [to, from]. */
  edges: readonly (readonly [number, number])[];
  /** The supernet's graph; `mix` adds a mixed edge. */
  graph(mix: MixAdder): { graph: NetGraph; cells: { scope: string; type: number }[] };
  derive(w: number[][][]): Architecture;
  choiceOf(arch: Architecture): Choice;
  /** Stand-alone node name -> supernet candidate node name, for one cell at `scope`. */
  standAlone(arch: Architecture, scope: string, type: number, map: Map<string, string>): void;
  /** Checks a path choice; throws a {@link SupernetError} naming the problem. */
  checkChoice(choice: Choice): void;
  networkOptions: NetworkOptions;
}

type MixAdder = (g: GraphBuilder, x: number, cellType: number, edge: number, c: number, stride: number, name: string) => number;

// ---- NAS-Bench-201 ---------------------------------------------------------------------------

function nb201Def(o: SupernetOptions): CellSpaceDef {
  const cfg = nb201Config(o);
  return {
    space: 'nb201',
    cellTypes: ['cell'],
    ops: NB201_OPS,
    edges: NB201_EDGES,
    networkOptions: { input: cfg.input, classes: cfg.classes, channels: cfg.channels, cells: cfg.cells },
    graph(mix) {
      const g = new GraphBuilder(cfg.input, 'nb201 supernet');
      let x = g.chain(g.input, [
        ['conv', { out: cfg.channels, k: 3 }, 'stem.0'],
        ['bn', {}, 'stem.1'],
      ]);
      const cells: { scope: string; type: number }[] = [];
      let c = cfg.channels;
      let i = 0;
      for (let stage = 0; stage < 3; stage++) {
        if (stage > 0) {
          c *= 2;
          x = g.add('resnet_basic', x, { out: c, stride: 2 }, `cells.${i++}`);
        }
        for (let k = 0; k < cfg.cells; k++) {
          const scope = `cells.${i++}`;
          cells.push({ scope, type: 0 });
          const input = x;
          x = g.scope(
            scope,
            () => {
              const nodes = [input];
              for (let to = 1; to <= 3; to++) {
                const terms: number[] = [];
                NB201_EDGES.forEach(([t, from], e) => {
                  if (t === to) terms.push(mix(g, nodes[from], 0, e, c, 1, `edges.${to}_${from}`));
                });
                nodes.push(g.add('add', terms, {}, `node${to}`));
              }
              return nodes[3];
            },
            `cell ${i - 1}`,
          );
        }
      }
      x = g.chain(x, [
        ['bn', {}, 'lastact.0'],
        ['act', { fn: 'relu' }, 'lastact.1'],
        ['global_avg_pool', {}, 'global_pooling'],
        ['linear', { out: cfg.classes }, 'classifier'],
      ]);
      return { graph: g.output('logits', x).build(), cells };
    },
    derive(w) {
      // AutoDL's genotype(): per edge the op of the largest alpha, `none` included.
      return nb201.fromOps(w[0].map((row) => NB201_OPS[argmax(row)]));
    },
    choiceOf(arch) {
      return [nb201.ops(arch).map((op) => NB201_OPS.indexOf(op))];
    },
    standAlone(arch, scope, _type, map) {
      // The stand-alone cell has a module only for its conv ops; skip, none and pooling have no weights.
      nb201.ops(arch).forEach((op, e) => {
        const [to, from] = NB201_EDGES[e];
        map.set(`${scope}.edges.${to}_${from}`, `${scope}.edges.${to}_${from}.ops.${op}`);
      });
    },
    checkChoice(choice) {
      if (choice.length !== 1 || choice[0].length !== 6) throw new SupernetError('nb201 supernet: a choice is one list of 6 op indices (one per edge)');
      choice[0].forEach((k, e) => {
        if (!Number.isInteger(k) || k < 0 || k >= NB201_OPS.length) throw new SupernetError(`nb201 supernet: edge ${e} needs an op index 0..4 (every edge is on; 0 is none), got ${k}`);
      });
    },
  };
}

// ---- DARTS -----------------------------------------------------------------------------------

/** The 14 edges of a DARTS search cell, as [to, from]: node j = 2..5 reads nodes 0..j-1. */
export const DARTS_SUPERNET_EDGES: readonly (readonly [number, number])[] = [2, 3, 4, 5].flatMap((j) => Array.from({ length: j }, (_, from) => [j, from] as const));

function dartsDef(o: SupernetOptions): CellSpaceDef {
  const input = o.input ?? [3, 32, 32];
  const classes = o.classes ?? 10;
  const channels = o.channels ?? 16;
  const cellCount = o.cells ?? 8;
  const posInt = (v: number) => Number.isSafeInteger(v) && v > 0;
  if (!Array.isArray(input) || input.length !== 3 || !input.every(posInt)) throw new SupernetError(`darts supernet: input must be three positive integers CxHxW, got ${String(input)}`);
  if (!posInt(classes)) throw new SupernetError(`darts supernet: classes must be a positive integer, got ${classes}`);
  if (!posInt(channels)) throw new SupernetError(`darts supernet: channels must be a positive integer, got ${channels}`);
  if (!posInt(cellCount)) throw new SupernetError(`darts supernet: cells must be a positive integer, got ${cellCount}`);
  const reductions = dartsReductionCells(cellCount);
  const m = 2 ** reductions.length;
  if (input[1] % m || input[2] % m)
    throw new SupernetError(`darts supernet: input ${input.join('x')} is too small or odd for ${reductions.length} reduction cell(s): height and width must be multiples of ${m}`);
  const dartsOpName = DARTS_OPS as readonly string[];
  return {
    space: 'darts',
    cellTypes: DARTS_CELLS,
    ops: DARTS_OPS,
    edges: DARTS_SUPERNET_EDGES,
    networkOptions: { input, classes, channels, cells: cellCount },
    graph(mix) {
      const g = new GraphBuilder(input, 'darts supernet');
      const stem = g.chain(g.input, [
        ['conv', { out: DARTS_STEM_MULTIPLIER * channels, k: 3 }, 'stem.0'],
        ['bn', {}, 'stem.1'],
      ]);
      let [s0, s1] = [stem, stem];
      let c = channels;
      let reductionPrev = false;
      const cells: { scope: string; type: number }[] = [];
      for (let i = 0; i < cellCount; i++) {
        const reduction = reductions.includes(i);
        if (reduction) c *= 2;
        const type = reduction ? 1 : 0;
        const scope = `cells.${i}`;
        cells.push({ scope, type });
        const [a, b, rp] = [s0, s1, reductionPrev];
        const out = g.scope(
          scope,
          () => {
            const p0 = rp ? g.add('factorized_reduce', a, { out: c }, 'preprocess0') : g.add('relu_conv_bn', a, { out: c, k: 1 }, 'preprocess0');
            const states = [p0, g.add('relu_conv_bn', b, { out: c, k: 1 }, 'preprocess1')];
            for (let j = 2; j <= 5; j++) {
              const terms: number[] = [];
              DARTS_SUPERNET_EDGES.forEach(([to, from], e) => {
                if (to === j) terms.push(mix(g, states[from], type, e, c, reduction && from < 2 ? 2 : 1, `edges.${j}_${from}`));
              });
              states.push(g.add('add', terms, {}, `nodes.${j}`));
            }
            return g.add(
              'concat',
              DARTS_CONCAT.map((j) => states[j]),
              {},
              'concat',
            );
          },
          `cell ${i}`,
        );
        [s0, s1] = [s1, out];
        reductionPrev = reduction;
      }
      const x = g.chain(s1, [
        ['global_avg_pool', {}, 'global_pooling'],
        ['linear', { out: classes }, 'classifier'],
      ]);
      return { graph: g.output('logits', x).build(), cells };
    },
    derive(w) {
      // DARTS's genotype(): on softmax(alpha), each node keeps its two incoming edges with the
      // strongest non-none op, and on each the strongest non-none op.
      const none = dartsOpName.indexOf('none');
      const cell = (rows: number[][]): DartsEdge[] => {
        const out: DartsEdge[] = [];
        for (let j = 2; j <= 5; j++) {
          const cand = DARTS_SUPERNET_EDGES.map(([to, from], e) => ({ to, from, e })).filter((x) => x.to === j);
          const best = (row: number[]) => {
            let k = -1;
            for (let i = 0; i < row.length; i++) if (i !== none && (k < 0 || row[i] > row[k])) k = i;
            return k;
          };
          const ranked = [...cand].sort((p, q) => rows[q.e][best(rows[q.e])] - rows[p.e][best(rows[p.e])]);
          for (const { from, e } of ranked.slice(0, 2)) out.push([dartsOpName[best(rows[e])] as DartsOp, from]);
        }
        return out;
      };
      const sm = w.map((rows) => rows.map(softmaxRow));
      return darts.fromGenotype({ normal: cell(sm[0]), normal_concat: [...DARTS_CONCAT], reduce: cell(sm[1]), reduce_concat: [...DARTS_CONCAT] });
    },
    choiceOf(arch) {
      const gt = darts.genotype(arch);
      return DARTS_CELLS.map((cell) => {
        const row = new Array<number>(DARTS_SUPERNET_EDGES.length).fill(-1);
        gt[cell].forEach(([op, from], k) => {
          const j = 2 + (k >> 1);
          row[DARTS_SUPERNET_EDGES.findIndex(([t, f]) => t === j && f === from)] = dartsOpName.indexOf(op);
        });
        return row;
      });
    },
    standAlone(arch, scope, type, map) {
      darts.genotype(arch)[DARTS_CELLS[type]].forEach(([op, from], k) => {
        map.set(`${scope}._ops.${k}`, `${scope}.edges.${2 + (k >> 1)}_${from}.ops.${op}`);
      });
    },
    checkChoice(choice) {
      if (choice.length !== 2 || choice.some((r) => r.length !== DARTS_SUPERNET_EDGES.length))
        throw new SupernetError('darts supernet: a choice is two lists (normal, reduce) of 14 op indices, -1 for an edge that is off');
      choice.forEach((row, t) => {
        row.forEach((k, e) => {
          if (!Number.isInteger(k) || k < -1 || k >= DARTS_OPS.length) throw new SupernetError(`darts supernet: ${DARTS_CELLS[t]} edge ${e}: op index must be -1 (off) or 0..7, got ${k}`);
        });
        for (let j = 2; j <= 5; j++) {
          if (!DARTS_SUPERNET_EDGES.some(([to], e) => to === j && row[e] >= 0)) throw new SupernetError(`darts supernet: ${DARTS_CELLS[t]} node ${j} has no edge on`);
        }
      });
    },
  };
}

// ---- helpers ---------------------------------------------------------------------------------

function argmax(row: readonly number[]): number {
  let k = 0;
  for (let i = 1; i < row.length; i++) if (row[i] > row[k]) k = i;
  return k;
}
function softmaxRow(row: readonly number[]): number[] {
  const m = Math.max(...row);
  const e = row.map((v) => Math.exp(v - m));
  const s = e.reduce((a, b) => a + b, 0);
  return e.map((v) => v / s);
}

/** A plain container for the modules under a name prefix. */
class Namespace extends nn.Module {}

// ---- the supernet ----------------------------------------------------------------------------

/** A weight-sharing supernet of a cell space (see the module comment). */
export class Supernet extends nn.Module {
  readonly space: SupernetSpace;
  /** The search space's own object (`nb201` or `darts`), for parsing and printing architectures. */
  readonly searchSpace: typeof nb201 | typeof darts;
  /** Cell types (`cell` for NB201; `normal`, `reduce` for DARTS): one alpha matrix each. */
  readonly cellTypes: readonly string[];
  /** The candidate ops of every edge, in alpha column order. */
  readonly ops: readonly string[];
  /** Edges per cell type as [to, from], in alpha row order. */
  readonly edges: readonly (readonly [number, number])[];
  /** The network options the sub-networks are built with (input, classes, channels, cells). */
  readonly networkOptions: NetworkOptions;
  /** The supernet's typed graph (mixed edges are `add` nodes over their candidates). */
  readonly graph: NetGraph;
  readonly mixedEdges: readonly MixedEdge[];
  /** The current forward mode (default softmax). */
  mode: ForwardMode = { kind: 'softmax' };
  /** The op indices the last `gumbel` forward sampled (per cell type, per edge), or null. */
  lastSample: Choice | null = null;
  declare private readonly def: CellSpaceDef;
  declare private readonly built: (BuiltOp | null)[];
  declare private readonly alphas: Tensor[];
  declare private readonly frozen: Set<Tensor>;
  declare private readonly cellScopes: { scope: string; type: number }[];
  /** For each node id: the mixed edge it is a candidate node of, and which candidate (or undefined). */
  declare private readonly candidateOf: ({ edge: MixedEdge; k: number } | undefined)[];
  declare private readonly mixedAt: (MixedEdge | undefined)[];

  constructor(space: SupernetSpace | string, o: SupernetOptions = {}) {
    super();
    if (!(SUPERNET_SPACES as readonly string[]).includes(space)) throw new SupernetError(`no supernet for space '${space}' (supernets exist for: ${SUPERNET_SPACES.join(', ')})`);
    if (o.seed !== undefined) engine.manualSeed(o.seed);
    let def: CellSpaceDef;
    try {
      def = space === 'nb201' ? nb201Def(o) : dartsDef(o);
    } catch (e) {
      throw e instanceof SupernetError ? e : new SupernetError((e as Error).message);
    }
    this.space = def.space;
    this.searchSpace = def.space === 'nb201' ? nb201 : darts;
    this.cellTypes = def.cellTypes;
    this.ops = def.ops;
    this.edges = def.edges;
    this.networkOptions = def.networkOptions;
    const mixed: MixedEdge[] = [];
    const nonAffine = new Set<number>();
    const mix: MixAdder = (g, x, cellType, edge, c, stride, name) => {
      const candidates = def.ops.map((op) =>
        g.scope(`${name}.ops`, () => {
          const nodes: number[] = [];
          if (op === 'none') nodes.push(g.add('zero', x, { stride }, op));
          else if (def.space === 'nb201') nodes.push(nb201Candidate(g, op, x, c, op));
          else {
            nodes.push(cellOpBuilder(g, op, x, c, stride, op));
            // DARTS's MixedOp follows pooling with a batch norm (affine=False).
            if (op.includes('pool') && o.poolBN !== false) nodes.push(g.add('bn', nodes[0], {}, `${op}_bn`));
          }
          for (const n of nodes) nonAffine.add(n);
          return { nodes, out: nodes[nodes.length - 1] };
        }),
      );
      const node = g.add(
        'add',
        candidates.map((cd) => cd.out),
        {},
        name,
      );
      mixed.push({ cellType, edge, node, name, stride, candidates });
      return node;
    };
    const { graph, cells } = def.graph(mix);
    // Full names of the mixed edges (the builder's scope prefix is known only inside it).
    for (const m of mixed) m.name = graph.nodes[m.node].name;
    if (def.space === 'darts') for (const n of graph.nodes) if (/\.preprocess[01]$/.test(n.name)) nonAffine.add(n.id);
    Object.defineProperty(this, 'def', { value: def, enumerable: false });
    Object.defineProperty(this, 'cellScopes', { value: cells, enumerable: false });
    this.graph = graph;
    this.mixedEdges = mixed;
    const candidateOf: ({ edge: MixedEdge; k: number } | undefined)[] = new Array(graph.nodes.length);
    const mixedAt: (MixedEdge | undefined)[] = new Array(graph.nodes.length);
    for (const m of mixed) {
      mixedAt[m.node] = m;
      m.candidates.forEach((cd, k) => {
        for (const n of cd.nodes) candidateOf[n] = { edge: m, k };
      });
    }
    Object.defineProperty(this, 'candidateOf', { value: candidateOf, enumerable: false });
    Object.defineProperty(this, 'mixedAt', { value: mixedAt, enumerable: false });
    const built = graph.nodes.map((n) => {
      if (n.id === 0) return null;
      const b = getOp(n.op).build(
        n.attrs,
        n.inputs.map((i) => graph.nodes[i].shape),
        n.shape,
        LIB,
      );
      if (b instanceof nn.Module) this.place(n.name, b);
      return b;
    });
    Object.defineProperty(this, 'built', { value: built, enumerable: false });
    // affine=False: the batch norms of the search ops keep weight 1 and bias 0.
    const frozen = new Set<Tensor>();
    if (!o.affine) {
      for (const id of nonAffine) {
        const b = built[id];
        if (!(b instanceof nn.Module)) continue;
        for (const m of b.modules()) if (m instanceof nn.BatchNorm2d) for (const p of m.parameters()) frozen.add(p);
      }
      for (const p of frozen) p.requiresGrad = false;
    }
    Object.defineProperty(this, 'frozen', { value: frozen, enumerable: false });
    const alphas = def.cellTypes.map(() => keep(tidy(() => randn([def.edges.length, def.ops.length]).mul(1e-3))).requiresGrad_(true));
    Object.defineProperty(this, 'alphas', { value: alphas, enumerable: false });
  }

  /** Registers `m` at a dotted path, making containers on the way (as the graph compiler does). */
  private place(path: string, m: nn.Module): void {
    const parts = path.split('.');
    let at: nn.Module = this;
    for (const p of parts.slice(0, -1)) {
      const child = (at as unknown as Record<string, unknown>)[p];
      if (child instanceof nn.Module) at = child;
      else if (child === undefined) at = at.registerModule(p, new Namespace());
      else throw new Error(`supernet: cannot place a module at '${path}': '${p}' is taken`);
    }
    at.registerModule(parts[parts.length - 1], m);
  }

  // ---- parameters ----------------------------------------------------------------------------

  /** The trainable weights (every parameter but the alphas and the frozen batch-norm affines). */
  weights(): Tensor[] {
    return [...this.parameters()].filter((p) => !this.frozen.has(p) && p.requiresGrad);
  }
  /** The architecture parameters: one `[edges, ops]` matrix per cell type (leaf tensors, not part of {@link weights} or the state dict). */
  archParameters(): Tensor[] {
    return [...this.alphas];
  }
  /** The alphas as plain numbers: `[cellType][edge][op]`. */
  alphaValues(): number[][][] {
    return this.alphas.map((a) => a.toArray() as number[][]);
  }
  /** Sets the alphas (same shapes as {@link alphaValues}). */
  setAlphas(values: readonly (readonly (readonly number[])[])[]): void {
    if (values.length !== this.alphas.length) throw new SupernetError(`${this.space} supernet: expected alphas for ${this.alphas.length} cell type(s), got ${values.length}`);
    noGrad(() =>
      tidy(() => {
        values.forEach((rows, t) => {
          if (rows.length !== this.edges.length || rows.some((r) => r.length !== this.ops.length))
            throw new SupernetError(`${this.space} supernet: alphas of ${this.cellTypes[t]} must be ${this.edges.length} rows of ${this.ops.length}`);
          this.alphas[t].copy_(engine.tensor(rows.map((r) => [...r]) as number[][], { dtype: this.alphas[t].dtype }));
        });
      }),
    );
  }
  /** softmax(alpha) per cell type: `[cellType][edge][op]`. */
  opWeights(): number[][][] {
    return this.alphaValues().map((rows) => rows.map(softmaxRow));
  }

  /** Converts weights and alphas (a dtype, a device). */
  override to(target: Parameters<nn.Module['to']>[0]): this {
    super.to(target);
    const o = typeof target === 'string' ? (engine.DTYPES.includes(target as DType) ? { dtype: target as DType } : { device: target as engine.Device }) : target;
    noGrad(() => {
      for (const a of this.alphas) {
        const nt = a.to(o);
        a.setData_(nt);
        nt.dispose();
      }
    });
    return this;
  }

  override dispose(): void {
    super.dispose();
    for (const a of this.alphas) a.dispose();
  }

  // ---- architectures -------------------------------------------------------------------------

  /** The discrete architecture the alphas pick (NB201: argmax per edge; DARTS: top-2 non-none edges per node). */
  derive(): Architecture {
    return this.def.derive(this.alphaValues());
  }
  /** {@link derive} in the space's text form. */
  deriveText(): string {
    return this.searchSpace.format(this.derive());
  }
  /** The path choice of an architecture of this space (DARTS: the genotype's edges on, the rest off). */
  choiceOf(arch: Architecture): Choice {
    if (arch.space !== this.space) throw new SupernetError(`a ${this.space} supernet cannot run an architecture of space '${arch.space}'`);
    return this.def.choiceOf(arch);
  }
  /** Sets the mode to the single path of `arch` (or a raw choice). */
  setPath(arch: Architecture | Choice): this {
    return this.setMode({ kind: 'path', choice: Array.isArray(arch) ? arch : this.choiceOf(arch as Architecture) });
  }
  /** Sets the forward mode (checked); returns this. */
  setMode(mode: ForwardMode): this {
    switch (mode.kind) {
      case 'softmax':
        break;
      case 'weights':
        if (mode.weights.length !== this.cellTypes.length) throw new SupernetError(`${this.space} supernet: mixing weights for ${this.cellTypes.length} cell type(s) needed`);
        break;
      case 'path':
        this.def.checkChoice(mode.choice);
        break;
      case 'gumbel':
        if (!(mode.tau > 0)) throw new SupernetError(`gumbel temperature must be > 0, got ${mode.tau}`);
        break;
      default:
        throw new SupernetError(`unknown forward mode '${String((mode as { kind: unknown }).kind)}'`);
    }
    this.mode = mode;
    return this;
  }

  /**
   * The stand-alone network of `arch` (its space's graph, compiled, with this supernet's network
   * options) with the supernet's weights copied in (see the module comment for the names), as a
   * new float32 module on the CPU (move it with `.to()`); later training of either leaves the other alone.
   */
  subnet(arch: Architecture): GraphNetwork {
    if (arch.space !== this.space) throw new SupernetError(`a ${this.space} supernet cannot hand out an architecture of space '${arch.space}'`);
    const net = compileGraph(this.searchSpace.graph(arch, this.networkOptions));
    const map = new Map<string, string>();
    for (const { scope, type } of this.cellScopes) this.def.standAlone(arch, scope, type, map);
    const mine = this.stateDict();
    const theirs = net.stateDict();
    try {
      const given = new Map<string, Tensor>();
      for (const key of theirs.keys()) {
        let src = key;
        const parts = key.split('.');
        for (let n = parts.length - 1; n > 0; n--) {
          const to = map.get(parts.slice(0, n).join('.'));
          if (to !== undefined) {
            src = [to, ...parts.slice(n)].join('.');
            break;
          }
        }
        const t = mine.get(src);
        if (!t) throw new Error(`supernet: no weights for the sub-network's '${key}' (looked for '${src}')`);
        given.set(key, t);
      }
      net.loadStateDict(given);
    } finally {
      for (const t of [...mine.values(), ...theirs.values()]) t.dispose();
    }
    return net;
  }

  // ---- forward -------------------------------------------------------------------------------

  override forward(x: Tensor): Tensor {
    const mode = this.mode;
    const K = this.ops.length;
    // Tensors made for the mixing (freed at the end; autograd keeps what it needs).
    const temps: Tensor[] = [];
    const temp = (t: Tensor): Tensor => {
      temps.push(t);
      return t;
    };
    // Per mixed edge: the weight of each candidate (softmax, weights), or the one candidate to run (path, gumbel).
    let weights: Tensor[][] | null = null; // [type][edge * K + op], each of shape [1]
    let pick: Choice | null = null;
    let hard: Tensor[] | null = null;
    let aux = 0;
    try {
      if (mode.kind === 'softmax' || mode.kind === 'weights') {
        const W = mode.kind === 'softmax' ? this.alphas.map((a) => temp(F.softmax(a, -1))) : [...mode.weights];
        weights = W.map((w) => temp(w.reshape(-1)).split(1, 0).map(temp));
        aux = mode.auxSkip ?? 0;
      } else if (mode.kind === 'path') {
        pick = mode.choice;
      } else {
        // GDAS: the hard one-hot of a Gumbel-softmax sample, straight-through to its soft probabilities.
        const probs = this.alphas.map((a) => {
          const gumbel = temp(noGrad(() => tidy(() => engine.randLike(a).clamp_(1e-20, 1 - 1e-7).log().neg().log().neg())));
          return temp(F.softmax(temp(temp(temp(F.logSoftmax(a, -1)).add(gumbel)).div(mode.tau)), -1));
        });
        pick = probs.map((p) => (p.toArray() as number[][]).map(argmax));
        hard = probs.map((p, t) => {
          const oneHot = temp(noGrad(() => tidy(() => F.oneHot(engine.tensor((pick as Choice)[t], { dtype: 'int64', device: p.device }), K).to({ dtype: p.dtype }))));
          return temp(temp(oneHot.sub(temp(p.detach()))).add(p));
        });
        this.lastSample = pick.map((r) => [...r]);
      }
      return this.run(x, weights, pick, hard, aux);
    } finally {
      for (const t of temps) t.dispose();
    }
  }

  /** Runs the graph: candidates off the chosen path are not computed; values are freed after their last reader. */
  private run(x: Tensor, weights: Tensor[][] | null, pick: Choice | null, hard: Tensor[] | null, aux: number): Tensor {
    const g = this.graph;
    const K = this.ops.length;
    const on = g.nodes.map((n) => {
      if (!pick) return true;
      const c = this.candidateOf[n.id];
      if (c) return pick[c.edge.cellType][c.edge.edge] === c.k;
      const m = this.mixedAt[n.id];
      return m ? pick[m.cellType][m.edge] >= 0 : true;
    });
    // The nodes each node reads: its graph inputs that run, and, for DARTS-'s auxiliary skip, the edge's source.
    const source = (m: MixedEdge) => g.nodes[m.candidates[0].nodes[0]].inputs[0];
    const reads = g.nodes.map((n) => {
      const ins = n.inputs.filter((i) => on[i]);
      const m = this.mixedAt[n.id];
      if (m && aux !== 0 && m.stride === 1 && weights) ins.push(source(m));
      return ins;
    });
    const left = new Int32Array(g.nodes.length);
    for (const n of g.nodes) if (on[n.id]) for (const i of reads[n.id]) left[i]++;
    left[g.outputs.logits]++;
    const vals = new NodeValues(g.nodes.length, x);
    try {
      for (const n of g.nodes) {
        if (n.id === 0 || !on[n.id]) continue;
        const m = this.mixedAt[n.id];
        let y: Tensor;
        if (m && weights) {
          // The weighted sum of all candidates (DARTS), plus DARTS-'s auxiliary skip on stride-1 edges.
          const w = weights[m.cellType];
          let acc: Tensor | null = null;
          m.candidates.forEach((cd, j) => {
            const term = vals.get(cd.out).mul(w[m.edge * K + j]);
            if (acc) {
              const next: Tensor = acc.add(term);
              acc.dispose();
              term.dispose();
              acc = next;
            } else acc = term;
          });
          y = acc as unknown as Tensor;
          if (aux !== 0 && m.stride === 1) {
            const next = y.add(vals.get(source(m)), aux);
            y.dispose();
            y = next;
          }
        } else if (m) {
          const k = (pick as Choice)[m.cellType][m.edge];
          const out = vals.get(m.candidates[k].out);
          if (hard) {
            // GDAS's code: the sampled op times its hard weight (1 in value), plus the other hard weights (0 in value).
            const h = hard[m.cellType].select(0, m.edge);
            const hk = h.select(0, k);
            const rest = h.sum().sub(hk);
            const prod = out.mul(hk);
            y = prod.add(rest);
            for (const t of [h, hk, rest, prod]) t.dispose();
          } else y = out;
        } else {
          const xs = reads[n.id].map((i) => vals.get(i));
          if (!xs.length) throw new Error(`supernet: node ${n.name} has no active input`);
          const op = this.built[n.id] as BuiltOp;
          y = op instanceof nn.Module ? (op.call(...xs) as Tensor) : op(xs);
        }
        vals.set(n.id, y);
        for (const i of reads[n.id]) if (--left[i] === 0) vals.release(i);
      }
    } catch (e) {
      vals.releaseAll();
      throw e;
    }
    return vals.get(g.outputs.logits);
  }

  // ---- memory --------------------------------------------------------------------------------

  /**
   * Training memory by formula: activations kept for backward per sample from the op registry's
   * `saved` counts over the nodes a step computes (all candidates for `all`, the DARTS and
   * softmax modes; the largest candidate of each edge for `single`, a path or GDAS), plus one
   * edge-sized sum per mixed edge, times `safety` (default 2, for the gradients alive during
   * backward and the allocator's slack: on the CPU the measured peak grew by 1.1 to 1.7 times the
   * formula's activations per added sample), plus the input; and, fixed, the weights with their
   * gradients and `optimizerSlots` optimizer buffers (default 1: SGD's momentum), plus two more
   * copies of the weights for second-order DARTS. Float32 (8 bytes per element in float64).
   */
  memoryEstimate(o: { mode?: 'all' | 'single'; optimizerSlots?: number; secondOrder?: boolean; safety?: number } = {}): MemoryEstimate {
    const mode = o.mode ?? 'all';
    const safety = o.safety ?? 2;
    const g = this.graph;
    const savedOf = (id: number) => {
      const n = g.nodes[id];
      const spec = getOp(n.op);
      const ins = n.inputs.map((i) => g.nodes[i].shape);
      return spec.saved ? spec.saved(n.attrs, ins, n.shape) : numel(n.shape);
    };
    let saved = 0;
    for (const n of g.nodes) {
      if (n.id === 0) continue;
      const m = this.mixedAt[n.id];
      if (m) {
        // A weighted candidate's output is kept for the weight's gradient: count the zero op's, which the registry does not.
        const per = m.candidates.map((cd) => cd.nodes.reduce((a, id) => a + savedOf(id) + (mode === 'all' && g.nodes[id].op === 'zero' ? numel(g.nodes[id].shape) : 0), 0));
        saved += (mode === 'all' ? per.reduce((a, b) => a + b, 0) : Math.max(...per)) + numel(n.shape);
      } else if (!this.candidateOf[n.id]) saved += savedOf(n.id);
    }
    const bytes = this.alphas[0].dtype === 'float64' ? 8 : 4;
    const weights = this.weights().reduce((a, p) => a + p.numel(), 0);
    const all = [...this.parameters()].reduce((a, p) => a + p.numel(), 0);
    const alphaCount = this.alphas.reduce((a, t) => a + t.numel(), 0);
    const slots = 2 + (o.optimizerSlots ?? 1) + (o.secondOrder ? 2 : 0);
    return {
      weights,
      fixedBytes: (all + weights * (slots - 1) + alphaCount * 4) * bytes,
      perSampleBytes: Math.ceil((saved * safety + numel(g.input)) * bytes),
      activationBytes: saved * bytes,
    };
  }

  /**
   * The largest batch size whose estimated training memory ({@link memoryEstimate}) fits in
   * `memBytes`, capped at `max` (default 1024) and rounded down to a multiple of `multipleOf`
   * (default 1). Throws a {@link SupernetError} when not even one sample fits. `memBytes` is what
   * training may add to the process: leave out its baseline (Node and libtorch take about 220 MiB
   * on the CPU before any tensor exists) and the data set.
   */
  fitBatchSize(memBytes: number, o: Parameters<Supernet['memoryEstimate']>[0] & { max?: number; multipleOf?: number } = {}): number {
    if (!(memBytes > 0)) throw new SupernetError(`memory available must be a positive number of bytes, got ${memBytes}`);
    const est = this.memoryEstimate(o);
    const free = memBytes - est.fixedBytes;
    const raw = Math.floor(free / est.perSampleBytes);
    const mult = Math.max(1, Math.floor(o.multipleOf ?? 1));
    const b = Math.min(o.max ?? 1024, raw - (raw % mult));
    if (b < 1 || raw < 1) {
      const need = est.fixedBytes + est.perSampleBytes * mult;
      throw new SupernetError(
        `the ${this.space} supernet does not fit: it needs about ${(need / 2 ** 20).toFixed(1)} MiB for a batch of ${mult}, ${(memBytes / 2 ** 20).toFixed(1)} MiB available (reduce --channels or --cells)`,
      );
    }
    return b;
  }
}

/** NB201's candidate for `op` (the same registry ops as its stand-alone cell). */
function nb201Candidate(g: GraphBuilder, op: string, x: number, c: number, name: string): number {
  switch (op) {
    case 'skip_connect':
      return g.add('identity', x, {}, name);
    case 'nor_conv_1x1':
      return g.add('relu_conv_bn', x, { out: c, k: 1 }, name);
    case 'nor_conv_3x3':
      return g.add('relu_conv_bn', x, { out: c, k: 3 }, name);
    case 'avg_pool_3x3':
      return g.add('avg_pool', x, { k: 3, stride: 1, pad: 1, countPad: false }, name);
  }
  throw new Error(`nb201 supernet: no candidate '${op}'`);
}

/** A supernet of `space` (`nb201` or `darts`) with reduced sizes where given. */
export function buildSupernet(space: SupernetSpace | string, o: SupernetOptions = {}): Supernet {
  return new Supernet(space, o);
}
