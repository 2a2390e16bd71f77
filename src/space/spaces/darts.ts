/**
 * The DARTS cell space (Liu, Simonyan & Yang, "DARTS: Differentiable Architecture Search", ICLR
 * 2019): a normal and a reduction cell, each with two inputs (node 0 = c_{k-2}, node 1 = c_{k-1})
 * and 4 intermediate nodes 2..5; node j reads two distinct earlier nodes (0..j-1), each through
 * one op, and sums them; the cell's output is the concatenation of nodes 2..5. The ops are the 7
 * non-zero DARTS ops ({@link DARTS_GENOTYPE_OPS}); `none` belongs to the search-time mixed op
 * ({@link DARTS_OPS}) but a derived genotype never contains it, so neither does this space.
 *
 * Decisions, per cell `normal` / `reduce` and node j in 2..5: `<cell>.<j>.in`, the two inputs
 * (sorted, so the two inputs of a node are unordered), `<cell>.<j>.op1` the op on the smaller
 * input and `<cell>.<j>.op2` the op on the larger one. Per cell 1*3*6*10 input pairs x 7^8 op
 * choices = 1,037,664,180; the space has the square of that (about 1.077e18).
 *
 * Text form: the genotype DARTS-family papers print,
 * `Genotype(normal=[('sep_conv_3x3', 0), ('sep_conv_3x3', 1), ...], normal_concat=[2, 3, 4, 5],
 * reduce=[...], reduce_concat=[2, 3, 4, 5])` (8 `(op, input)` pairs per cell, two per node in
 * node order; concat also as `range(2, 6)`, as the DARTS code prints it). The printer lists each
 * node's inputs in increasing order, so printing is canonical.
 *
 * The network is DARTS's evaluation network `NetworkCIFAR` (model.py, operations.py) as a typed
 * graph ({@link DartsSpace.graph}); `networks/compile.ts` turns it into a module and `measure`
 * (from the base class) counts its parameters and FLOPs. The cell-network skeleton
 * ({@link cellNetworkGraph}, {@link addCell}) is shared with the NASNet space.
 * @module
 */
import type { Architecture } from '../architecture.js';
import { type Decision, categorical, inputChoice } from '../decisions.js';
import { GraphBuilder, type NetGraph } from '../graph/graph.js';
import { ArchitectureError, DecisionSpace, type Measures, type NetworkOptions, imageInput } from '../space.js';
import { GENOTYPE_CELLS, type Genotype, type GenotypeEdge, readGenotype, writeGenotype } from './genotype.js';

/** The 8 DARTS ops (the search-time mixed op), in the DARTS code's order. */
export const DARTS_OPS = ['none', 'max_pool_3x3', 'avg_pool_3x3', 'skip_connect', 'sep_conv_3x3', 'sep_conv_5x5', 'dil_conv_3x3', 'dil_conv_5x5'] as const;
/** The ops a derived genotype may use: every DARTS op but `none`. */
export const DARTS_GENOTYPE_OPS = DARTS_OPS.slice(1) as readonly DartsOp[];
export type DartsOp = Exclude<(typeof DARTS_OPS)[number], 'none'>;

/** The two cell types, in genotype order. */
export const DARTS_CELLS = GENOTYPE_CELLS;
export type DartsCellType = (typeof DARTS_CELLS)[number];
/** The intermediate nodes of a cell (0 and 1 are its inputs). */
export const DARTS_NODES = [2, 3, 4, 5] as const;
/** The nodes a cell's output concatenates (always all intermediate nodes in this space). */
export const DARTS_CONCAT: readonly number[] = Object.freeze([2, 3, 4, 5]);

/** One node's input: `[op, source node]`. */
export type DartsEdge = GenotypeEdge<DartsOp>;
/** A genotype: per cell, 8 edges (two per node, nodes 2..5 in order) and the concatenated nodes. */
export type DartsGenotype = Genotype<DartsOp>;

/** Network settings of a cell space; the auxiliary head is off unless asked for. */
export interface DartsNetworkOptions extends NetworkOptions {
  /** Add DARTS's `AuxiliaryHeadCIFAR` (output `aux`) after the second reduction cell: counted in `measure().params`, not in `mainParams`. */
  auxiliary?: boolean;
}

/** Network settings of a cell space with the defaults filled in. */
export interface DartsConfig {
  input: [number, number, number];
  classes: number;
  channels: number;
  cells: number;
  auxiliary: boolean;
}

/** The stem's channel multiplier (`stem_multiplier = 3` in NetworkCIFAR). */
export const DARTS_STEM_MULTIPLIER = 3;

/** Indices of the reduction cells: `layers // 3` and `2 * layers // 3` (one cell when they coincide). */
export function dartsReductionCells(cells: number): number[] {
  return [...new Set([Math.floor(cells / 3), Math.floor((2 * cells) / 3)])];
}
/** Index of the cell after which the auxiliary head reads (`2 * layers // 3`). */
export const dartsAuxCell = (cells: number): number => Math.floor((2 * cells) / 3);

/** Spatial size after DARTS's `AvgPool2d(5, stride=3)` in the auxiliary head. */
const auxPooled = (s: number) => Math.floor((s - 5) / 3) + 1;

/** Fills in the defaults (3x32x32, 10 classes, C=36, 20 cells, no auxiliary head) and checks them (throws {@link ArchitectureError}). */
export function dartsConfig(o: DartsNetworkOptions = {}): DartsConfig {
  return cellNetworkConfig('darts', o, { channels: 36, cells: 20 }, (cells) => dartsReductionCells(cells).length);
}

/**
 * Fills in a cell space's network defaults (3x32x32 input, 10 classes, no auxiliary head, and
 * `defaults`) and checks them: `reductions(cells)` stride-2 reduction cells need height and width
 * divisible by 2 per reduction (FactorizedReduce halves even sizes), and the auxiliary head,
 * which reads the last reduction cell, an 8x8 to 10x10 map. Throws {@link ArchitectureError}
 * naming `space` and the problem.
 */
export function cellNetworkConfig(space: string, o: DartsNetworkOptions, defaults: { channels: number; cells: number }, reductions: (cells: number) => number): DartsConfig {
  const posInt = (v: number) => Number.isSafeInteger(v) && v > 0;
  const c: DartsConfig = {
    input: imageInput(space, o.input),
    classes: o.classes ?? 10,
    channels: o.channels ?? defaults.channels,
    cells: o.cells ?? defaults.cells,
    auxiliary: o.auxiliary ?? false,
  };
  if (!posInt(c.classes)) throw new ArchitectureError(`${space}: classes must be a positive integer, got ${c.classes}`);
  if (!posInt(c.channels)) throw new ArchitectureError(`${space}: channels must be a positive integer, got ${c.channels}`);
  if (!posInt(c.cells)) throw new ArchitectureError(`${space}: cells must be a positive integer, got ${c.cells}`);
  const r = reductions(c.cells);
  const [, h, w] = c.input;
  const m = 2 ** r;
  if (h % m || w % m)
    throw new ArchitectureError(
      `${space}: input ${c.input.join('x')} is too small or odd for the ${r} stride-2 reduction cell(s): height and width must be multiples of ${m} (FactorizedReduce needs even sizes)`,
    );
  if (c.auxiliary) {
    const s = [h / m, w / m];
    if (s.some((x) => x < 5 || auxPooled(x) !== 2))
      throw new ArchitectureError(
        `${space}: the auxiliary head (AuxiliaryHeadCIFAR) needs an 8x8 to 10x10 feature map after the last reduction, got ${s.join('x')} (input ${c.input.join('x')})`,
      );
  }
  return c;
}

/** Decision names of node `j` of a cell. */
export const dartsDecisionNames = (cell: DartsCellType, j: number) => ({ inputs: `${cell}.${j}.in`, op1: `${cell}.${j}.op1`, op2: `${cell}.${j}.op2` });

// ---- the genotype text --------------------------------------------------------------------

const EXAMPLE = "Genotype(normal=[('sep_conv_3x3', 0), ('sep_conv_3x3', 1), ...], normal_concat=[2, 3, 4, 5], reduce=[...], reduce_concat=[2, 3, 4, 5])";

/**
 * Reads genotype text strictly (syntax: `spaces/genotype.ts`). Syntax errors name the character
 * position; errors of meaning name the cell and node. Returns the pairs as written (not sorted).
 */
export function parseGenotype(text: string): DartsGenotype {
  const g = readGenotype(text, { space: 'darts', example: EXAMPLE });
  const { fail } = g;
  for (const cell of DARTS_CELLS) {
    const pairs = g[cell];
    if (pairs.length !== 8) fail(`${cell} has ${pairs.length} ('op', input) pair(s); need 8 (two for each of the nodes 2 to 5)`);
    pairs.forEach(([op, idx], p) => {
      const j = 2 + (p >> 1);
      if (op === 'none') fail(`${cell} node ${j}: op 'none' cannot appear in a genotype (DARTS drops zero ops when it derives one)`);
      if (!(DARTS_GENOTYPE_OPS as readonly string[]).includes(op)) fail(`${cell} node ${j}: unknown op '${op}' (ops: ${DARTS_GENOTYPE_OPS.join(', ')})`);
      if (idx < 0 || idx >= j) fail(`${cell} node ${j}: input ${idx} is not an earlier node (node ${j} can read nodes 0 to ${j - 1})`);
    });
    for (let j = 2; j <= 5; j++) {
      const a = pairs[2 * (j - 2)][1];
      const b = pairs[2 * (j - 2) + 1][1];
      if (a === b) fail(`${cell} node ${j} reads node ${a} twice (a node reads two distinct earlier nodes)`);
    }
    const concat = g[`${cell}_concat`] as number[];
    if (concat.length !== 4 || concat.some((x, i) => x !== DARTS_CONCAT[i]))
      fail(`${cell}_concat is [${concat.join(', ')}]; this space concatenates all intermediate nodes: [2, 3, 4, 5] or range(2, 6)`);
  }
  return {
    normal: g.normal as unknown as DartsEdge[],
    normal_concat: [...(g.normal_concat as number[])],
    reduce: g.reduce as unknown as DartsEdge[],
    reduce_concat: [...(g.reduce_concat as number[])],
  };
}

/** Writes a genotype as Python's namedtuple repr (concat as lists). */
export function formatGenotype(g: DartsGenotype): string {
  return writeGenotype(g);
}

// ---- the network, shared with other cell spaces ----------------------------------------------

/**
 * Adds one op of a cell reading node `x` (`c` channels in and out, `stride` 1 or 2) as node
 * `name` of the current scope, and returns the node that holds its result.
 */
export type CellOpBuilder = (g: GraphBuilder, op: string, x: number, c: number, stride: number, name: string) => number;

/**
 * Builds the ops of DARTS-family cells by name, as DARTS's `OPS[op](C, stride, affine=True)`
 * (operations.py) does: `skip_connect` (the identity; FactorizedReduce at stride 2),
 * `max_pool_kxk` and `avg_pool_kxk` (padding (k-1)/2; average pooling does not count the
 * padding), `sep_conv_kxk` (SepConv), `dil_conv_kxk` (DilConv, dilation 2), `conv_kxk`
 * (ReLU-conv-BN) and `conv_kx1_1xk` (ReLU, 1xk conv, kx1 conv, BN). Spaces check their op names
 * before building; an unknown one here is a bug.
 */
export const cellOpBuilder: CellOpBuilder = (g, op, x, c, stride, name) => {
  if (op === 'skip_connect') return stride === 1 ? g.add('identity', x, {}, name) : g.add('factorized_reduce', x, { out: c }, name);
  const m = /^(max_pool|avg_pool|sep_conv|dil_conv|conv)_(\d)x\2$/.exec(op);
  const k = Number(m?.[2]);
  switch (m?.[1]) {
    case 'max_pool':
      return g.add('max_pool', x, { k, stride, pad: (k - 1) / 2 }, name);
    case 'avg_pool':
      return g.add('avg_pool', x, { k, stride, pad: (k - 1) / 2, countPad: false }, name);
    case 'sep_conv':
      return g.add('sep_conv', x, { out: c, k, stride }, name);
    case 'dil_conv':
      return g.add('dil_conv', x, { out: c, k, stride, dil: 2 }, name);
    case 'conv':
      return g.add('relu_conv_bn', x, { out: c, k, stride }, name);
  }
  const f = /^conv_(\d)x1_1x\1$/.exec(op);
  if (f) return g.add('conv_1xk_kx1', x, { out: c, k: Number(f[1]), stride }, name);
  throw new Error(`cell network: no builder for op '${op}'`);
};

/**
 * Adds one cell (`Cell` in DARTS's model.py) in the builder's current scope: `preprocess0` (ReLU-conv1x1-BN,
 * or FactorizedReduce when the previous cell reduced) on `s0` and `preprocess1` (ReLU-conv1x1-BN)
 * on `s1`, both to `c` channels; then node j = 2, 3, ... sums its two ops (`_ops.<k>`, pair k of
 * `edges`; stride 2 on nodes 0 and 1 in a reduction cell) as `nodes.<j>`; the output concatenates
 * the nodes `concat` names (`concat`). Returns the output's node.
 */
export function addCell(
  g: GraphBuilder,
  s0: number,
  s1: number,
  cell: { edges: readonly GenotypeEdge[]; concat: readonly number[]; c: number; reduction: boolean; reductionPrev: boolean },
  addOp: CellOpBuilder,
): number {
  const { c, reduction, edges } = cell;
  const p0 = cell.reductionPrev ? g.add('factorized_reduce', s0, { out: c }, 'preprocess0') : g.add('relu_conv_bn', s0, { out: c, k: 1 }, 'preprocess0');
  const states = [p0, g.add('relu_conv_bn', s1, { out: c, k: 1 }, 'preprocess1')];
  for (let k = 0; k < edges.length; k += 2) {
    const terms = [k, k + 1].map((e) => {
      const [op, idx] = edges[e];
      return addOp(g, op, states[idx], c, reduction && idx < 2 ? 2 : 1, `_ops.${e}`);
    });
    states.push(g.add('add', terms, {}, `nodes.${states.length}`));
  }
  return g.add(
    'concat',
    cell.concat.map((j) => states[j]),
    {},
    'concat',
  );
}

/**
 * The graph of a cell network in DARTS's `NetworkCIFAR` layout: stem conv3x3 (in -> 3C, no bias)
 * `stem.0` + BN `stem.1`; then cells `cells.<i>` (drawing group `cell <i>`) of type
 * `reduction[i] ? 'reduce' : 'normal'`; a reduction cell doubles the channels and halves the size;
 * cell i reads the outputs of cells i-2 and i-1 (the stem for both at first). With
 * `cfg.auxiliary`, DARTS's auxiliary head `auxiliary_head` (output `aux`) reads cell `auxCell`'s
 * output. Then (with `finalRelu`, a ReLU `lastact`) global average pooling `global_pooling` and
 * the linear `classifier`.
 */
export function cellNetworkGraph(o: {
  space: string;
  cfg: DartsConfig;
  genotype: Genotype;
  reduction: readonly boolean[];
  auxCell: number;
  addOp: CellOpBuilder;
  finalRelu?: boolean;
}): NetGraph {
  const { cfg, genotype } = o;
  const g = new GraphBuilder(cfg.input, o.space);
  const cStem = DARTS_STEM_MULTIPLIER * cfg.channels;
  const stem = g.chain(g.input, [
    ['conv', { out: cStem, k: 3 }, 'stem.0'],
    ['bn', {}, 'stem.1'],
  ]);
  let [s0, s1] = [stem, stem];
  let c = cfg.channels;
  let reductionPrev = false;
  let aux: number | undefined;
  o.reduction.forEach((reduction, i) => {
    if (reduction) c *= 2;
    const type = reduction ? 'reduce' : 'normal';
    const cell = { edges: genotype[type], concat: genotype[`${type}_concat`], c, reduction, reductionPrev };
    const out = g.scope(`cells.${i}`, () => addCell(g, s0, s1, cell, o.addOp), `cell ${i}`);
    [s0, s1] = [s1, out];
    reductionPrev = reduction;
    if (i === o.auxCell && cfg.auxiliary) aux = g.add('aux_head_cifar', out, { classes: cfg.classes }, 'auxiliary_head');
  });
  let x = o.finalRelu ? g.add('act', s1, { fn: 'relu' }, 'lastact') : s1;
  x = g.chain(x, [
    ['global_avg_pool', {}, 'global_pooling'],
    ['linear', { out: cfg.classes }, 'classifier'],
  ]);
  g.output('logits', x);
  if (aux !== undefined) g.output('aux', aux);
  return g.build();
}

// ---- the space -----------------------------------------------------------------------------

/** The DARTS space. Canonical form: each node's two inputs unordered (the values already sort them). */
export class DartsSpace extends DecisionSpace {
  readonly name = 'darts';
  readonly description = 'DARTS cells: normal + reduction, 4 nodes each reading 2 earlier nodes through 7 ops (max/avg_pool_3x3, skip_connect, sep_conv_3x3/5x5, dil_conv_3x3/5x5)';

  constructor() {
    const ds: Decision[] = [];
    for (const cell of DARTS_CELLS) {
      for (const j of DARTS_NODES) {
        const n = dartsDecisionNames(cell, j);
        ds.push(
          inputChoice(
            n.inputs,
            Array.from({ length: j }, (_, i) => i),
            { min: 2, max: 2 },
          ),
        );
        ds.push(categorical(n.op1, DARTS_GENOTYPE_OPS));
        ds.push(categorical(n.op2, DARTS_GENOTYPE_OPS));
      }
    }
    super(ds);
  }

  /** The genotype of an architecture (each node's inputs in increasing order; concat [2, 3, 4, 5]). */
  genotype(arch: Architecture): DartsGenotype {
    this.own(arch);
    const edges = (cell: DartsCellType): DartsEdge[] =>
      DARTS_NODES.flatMap((j) => {
        const n = dartsDecisionNames(cell, j);
        const [a, b] = arch.values[n.inputs] as readonly number[];
        return [
          [arch.values[n.op1] as DartsOp, a],
          [arch.values[n.op2] as DartsOp, b],
        ] as DartsEdge[];
      });
    return { normal: edges('normal'), normal_concat: [...DARTS_CONCAT], reduce: edges('reduce'), reduce_concat: [...DARTS_CONCAT] };
  }

  /** The architecture of a genotype (the two inputs of a node in either order). */
  fromGenotype(g: DartsGenotype): Architecture {
    const values: Record<string, unknown> = {};
    for (const cell of DARTS_CELLS) {
      const es = g[cell];
      if (!Array.isArray(es) || es.length !== 8) throw new ArchitectureError(`darts: ${cell} needs 8 (op, input) pairs`);
      for (const j of DARTS_NODES) {
        let e1 = es[2 * (j - 2)];
        let e2 = es[2 * (j - 2) + 1];
        if (e1[1] > e2[1]) [e1, e2] = [e2, e1];
        const n = dartsDecisionNames(cell, j);
        values[n.inputs] = [e1[1], e2[1]];
        values[n.op1] = e1[0];
        values[n.op2] = e2[0];
      }
      const concat = g[`${cell}_concat`];
      if (!Array.isArray(concat) || concat.length !== 4 || concat.some((x, i) => x !== DARTS_CONCAT[i]))
        throw new ArchitectureError(`darts: ${cell}_concat must be [2, 3, 4, 5]`);
    }
    return this.arch(values);
  }

  /** Reads genotype text (see {@link parseGenotype}); a string starting with `{` is read as the JSON form. */
  override parse(text: string): Architecture {
    if (typeof text === 'string' && text.trim().startsWith('{')) return super.parse(text.trim());
    return this.fromGenotype(parseGenotype(text));
  }

  override format(arch: Architecture): string {
    return formatGenotype(this.genotype(arch));
  }

  /**
   * DARTS's `NetworkCIFAR` as a typed graph (see {@link cellNetworkGraph}), with DARTS's CIFAR
   * evaluation settings by default (C=36, 20 cells, 3x32x32, 10 classes): cells N//3 and 2N//3
   * reduce; module names follow model.py (`stem`, `cells.<i>.preprocess0/1`,
   * `cells.<i>._ops.<k>`, `auxiliary_head`, `classifier`), so a state dict converted from a DARTS
   * checkpoint lines up. Drop-path is omitted. The auxiliary head, when asked for, reads cell 2N//3.
   */
  override graph(arch: Architecture, o: DartsNetworkOptions = {}): NetGraph {
    const genotype = this.genotype(arch);
    const cfg = dartsConfig(o);
    const reductions = dartsReductionCells(cfg.cells);
    const reduction = Array.from({ length: cfg.cells }, (_, i) => reductions.includes(i));
    return cellNetworkGraph({ space: 'darts', cfg, genotype, reduction, auxCell: dartsAuxCell(cfg.cells), addOp: cellOpBuilder });
  }

  /** Parameters, FLOPs and activation memory from {@link graph} (`params` counts the auxiliary head when asked for; `mainParams` never does). */
  override measure(arch: Architecture, o: DartsNetworkOptions = {}): Measures {
    return super.measure(arch, o);
  }
}

/** The shared instance. */
export const darts = new DartsSpace();
