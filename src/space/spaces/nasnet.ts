/**
 * The NASNet search space (Zoph, Vasudevan, Shlens & Le, "Learning Transferable Architectures for
 * Scalable Image Recognition", CVPR 2018): a normal and a reduction cell, each of B = 5 blocks.
 * Hidden state 0 is the output of the cell before the previous one (h_{i-1}), 1 that of the
 * previous cell (h_i), and block b (b = 0..4) makes hidden state j = b + 2. A block picks two
 * inputs among the hidden states before it (0..j-1; the same one twice is allowed, as NASNet-A's
 * normal cell does), applies one op to each and adds the results. The cell's output concatenates
 * the blocks no block of the cell reads. The 13 ops are NASNet's list ({@link NASNET_OPS}).
 *
 * Decisions, per cell `normal` / `reduce` and block j in 2..6: `<cell>.<j>.in1` and
 * `<cell>.<j>.in2` (the inputs, 0..j-1) and `<cell>.<j>.op1` / `<cell>.<j>.op2` (their ops). Per
 * cell (2*3*4*5*6)^2 input choices x 13^10 op choices, about 7.15e16; the space has the square.
 * The two (input, op) pairs of a block are unordered: {@link NasnetSpace.canonicalize} sorts them
 * (by input, then op in list order), and `isomorphic` compares canonical forms.
 *
 * Text form: the genotype text DARTS-family code prints for NASNet (as in DARTS's genotypes.py),
 * `Genotype(normal=[('sep_conv_5x5', 1), ('sep_conv_3x3', 0), ...], normal_concat=[2, 3, 4, 5, 6],
 * reduce=[...], reduce_concat=[4, 5, 6])`: 10 `(op, input)` pairs per cell, two per block in
 * block order. The concat lists follow from the pairs; the reader accepts them left out and
 * checks them when given. The printer keeps each block's pairs in the architecture's order, so
 * `parse(format(a))` is `a`; print `canonicalize(a)` for the canonical text.
 *
 * The network (NASNet-A's CIFAR layout, {@link NasnetSpace.graph}): stem conv3x3 (in -> 3C) + BN;
 * three stages of N normal cells with a reduction cell between stages (3N + 2 cells), channels
 * C, 2C, 4C; ReLU, global average pooling, linear classifier; optionally DARTS's auxiliary head
 * after the second reduction cell. Cells preprocess their inputs and build their ops as DARTS's
 * code does (the space shares its cell-network builder). The paper's CIFAR-10 NASNet-A
 * (6 @ 768) uses N = 6 and 32 filters (`--cells 6 --channels 32`); the defaults are smaller
 * (N = 2, C = 16) for quick trials.
 * @module
 */
import type { Architecture } from '../architecture.js';
import { type Decision, categorical } from '../decisions.js';
import type { NetGraph } from '../graph/graph.js';
import { ArchitectureError, DecisionSpace, type Measures } from '../space.js';
import { type DartsConfig, type DartsNetworkOptions, cellNetworkConfig, cellNetworkGraph, cellOpBuilder } from './darts.js';
import { GENOTYPE_CELLS, type Genotype, type GenotypeCell, type GenotypeEdge, readGenotype, writeGenotype } from './genotype.js';

/**
 * NASNet's 13 ops, in the paper's order, named as DARTS-family code names them: identity
 * (`skip_connect`; FactorizedReduce at stride 2), 1x3 then 3x1 conv, 1x7 then 7x1 conv, 3x3
 * dilated conv (DARTS's DilConv, dilation 2), 3x3 average pooling, 3x3, 5x5 and 7x7 max pooling,
 * 1x1 and 3x3 conv (ReLU-conv-BN), and 3x3, 5x5 and 7x7 depthwise-separable convs (applied
 * twice, as NASNet's code stacks them: DARTS's SepConv).
 */
export const NASNET_OPS = [
  'skip_connect',
  'conv_3x1_1x3',
  'conv_7x1_1x7',
  'dil_conv_3x3',
  'avg_pool_3x3',
  'max_pool_3x3',
  'max_pool_5x5',
  'max_pool_7x7',
  'conv_1x1',
  'conv_3x3',
  'sep_conv_3x3',
  'sep_conv_5x5',
  'sep_conv_7x7',
] as const;
export type NasnetOp = (typeof NASNET_OPS)[number];

/** Blocks per cell (B). */
export const NASNET_BLOCKS = 5;
/** The hidden states the blocks make (0 and 1 are the cell's inputs). */
export const NASNET_NODES = [2, 3, 4, 5, 6] as const;

/** A NASNet genotype: per cell, 10 `(op, input)` pairs (two per block, blocks 2..6 in order) and the concatenated blocks. */
export type NasnetGenotype = Genotype<NasnetOp>;

/** Decision names of block `j` of a cell. */
export const nasnetDecisionNames = (cell: GenotypeCell, j: number) => ({ in1: `${cell}.${j}.in1`, op1: `${cell}.${j}.op1`, in2: `${cell}.${j}.in2`, op2: `${cell}.${j}.op2` });

/** The blocks no pair of `edges` reads, which the cell's output concatenates. */
export function nasnetConcat(edges: readonly GenotypeEdge[]): number[] {
  const used = new Set(edges.map(([, i]) => i));
  return NASNET_NODES.filter((j) => !used.has(j));
}

/** Fills in the defaults (3x32x32, 10 classes, C=16, N=2 normal cells per stage, no auxiliary head) and checks them (throws {@link ArchitectureError}). */
export function nasnetConfig(o: DartsNetworkOptions = {}): DartsConfig {
  return cellNetworkConfig('nasnet', o, { channels: 16, cells: 2 }, () => 2);
}

const EXAMPLE = "Genotype(normal=[('sep_conv_5x5', 1), ('sep_conv_3x3', 0), ... 10 pairs], normal_concat=[2, 3, 4, 5, 6], reduce=[... 10 pairs], reduce_concat=[4, 5, 6])";

/**
 * Reads NASNet genotype text strictly (syntax: `spaces/genotype.ts`): 10 pairs per cell, ops of
 * {@link NASNET_OPS}, block j reading hidden states 0..j-1; concat lists optional but, when given,
 * exactly the blocks no block reads. Returns the pairs as written, with the concat lists filled in.
 */
export function parseNasnetGenotype(text: string): NasnetGenotype {
  const g = readGenotype(text, { space: 'nasnet', example: EXAMPLE, optionalConcat: true });
  const { fail } = g;
  const out = {} as NasnetGenotype;
  for (const cell of GENOTYPE_CELLS) {
    const pairs = g[cell];
    if (pairs.length !== 2 * NASNET_BLOCKS) fail(`${cell} has ${pairs.length} ('op', input) pair(s); need 10 (two for each of the blocks 2 to 6)`);
    pairs.forEach(([op, idx], p) => {
      const j = 2 + (p >> 1);
      if (!(NASNET_OPS as readonly string[]).includes(op)) fail(`${cell} block ${j}: unknown op '${op}' (ops: ${NASNET_OPS.join(', ')})`);
      if (idx < 0 || idx >= j) fail(`${cell} block ${j}: input ${idx} is not an earlier hidden state (block ${j} can read hidden states 0 to ${j - 1})`);
    });
    const concat = nasnetConcat(pairs);
    const given = g[`${cell}_concat`];
    if (given && (given.length !== concat.length || given.some((x, i) => x !== concat[i])))
      fail(`${cell}_concat is [${given.join(', ')}], but the blocks no block reads are [${concat.join(', ')}] (the cell concatenates exactly those; leave it out to have it derived)`);
    out[cell] = pairs as unknown as GenotypeEdge<NasnetOp>[];
    out[`${cell}_concat`] = concat;
  }
  return out;
}

/** The NASNet space (see the module comment). */
export class NasnetSpace extends DecisionSpace {
  readonly name = 'nasnet';
  readonly description =
    'NASNet cells (Zoph et al. 2018): normal + reduction, 5 blocks each adding two ops on two earlier hidden states; 13 ops (identity, 1x3/3x1 and 1x7/7x1 convs, dilated conv, avg/max pools, 1x1/3x3 convs, 3x3/5x5/7x7 separable convs)';

  constructor() {
    const ds: Decision[] = [];
    for (const cell of GENOTYPE_CELLS) {
      for (const j of NASNET_NODES) {
        const n = nasnetDecisionNames(cell, j);
        const inputs = Array.from({ length: j }, (_, i) => i);
        ds.push(categorical(n.in1, inputs), categorical(n.op1, NASNET_OPS), categorical(n.in2, inputs), categorical(n.op2, NASNET_OPS));
      }
    }
    super(ds);
  }

  /** The genotype of an architecture (pairs in the architecture's order; concat derived). */
  genotype(arch: Architecture): NasnetGenotype {
    this.own(arch);
    const out = {} as NasnetGenotype;
    for (const cell of GENOTYPE_CELLS) {
      const edges = NASNET_NODES.flatMap((j) => {
        const n = nasnetDecisionNames(cell, j);
        return [
          [arch.values[n.op1], arch.values[n.in1]],
          [arch.values[n.op2], arch.values[n.in2]],
        ] as GenotypeEdge<NasnetOp>[];
      });
      out[cell] = edges;
      out[`${cell}_concat`] = nasnetConcat(edges);
    }
    return out;
  }

  /** The architecture of a genotype (pairs kept in their order; concat lists are not read). */
  fromGenotype(g: Pick<NasnetGenotype, 'normal' | 'reduce'>): Architecture {
    const values: Record<string, unknown> = {};
    for (const cell of GENOTYPE_CELLS) {
      const es = g[cell];
      if (!Array.isArray(es) || es.length !== 2 * NASNET_BLOCKS) throw new ArchitectureError(`nasnet: ${cell} needs 10 (op, input) pairs`);
      for (const j of NASNET_NODES) {
        const n = nasnetDecisionNames(cell, j);
        [values[n.op1], values[n.in1]] = es[2 * (j - 2)];
        [values[n.op2], values[n.in2]] = es[2 * (j - 2) + 1];
      }
    }
    return this.arch(values);
  }

  /** Reads genotype text (see {@link parseNasnetGenotype}); a string starting with `{` is read as the JSON form. */
  override parse(text: string): Architecture {
    if (typeof text === 'string' && text.trim().startsWith('{')) return super.parse(text.trim());
    return this.fromGenotype(parseNasnetGenotype(text));
  }

  override format(arch: Architecture): string {
    return writeGenotype(this.genotype(arch));
  }

  /** Each block's two (input, op) pairs in order: smaller input first, then the op earlier in {@link NASNET_OPS}. */
  override canonicalize(arch: Architecture): Architecture {
    this.own(arch);
    const rank = (input: unknown, op: unknown) => (input as number) * NASNET_OPS.length + NASNET_OPS.indexOf(op as NasnetOp);
    const values: Record<string, unknown> = { ...arch.values };
    let changed = false;
    for (const cell of GENOTYPE_CELLS) {
      for (const j of NASNET_NODES) {
        const n = nasnetDecisionNames(cell, j);
        if (rank(values[n.in1], values[n.op1]) <= rank(values[n.in2], values[n.op2])) continue;
        [values[n.in1], values[n.op1], values[n.in2], values[n.op2]] = [values[n.in2], values[n.op2], values[n.in1], values[n.op1]];
        changed = true;
      }
    }
    return changed ? this.arch(values) : arch;
  }

  /**
   * The network as a typed graph, in NASNet-A's CIFAR layout (see the module comment and
   * `cellNetworkGraph` in `spaces/darts.ts`): `cells` is N, the normal cells per stage, so the
   * network has 3N + 2 cells, the reduction cells at N and 2N + 1. Module names as DARTS's:
   * `stem`, `cells.<i>.preprocess0/1`, `cells.<i>._ops.<k>`, `auxiliary_head`, `classifier`.
   */
  override graph(arch: Architecture, o: DartsNetworkOptions = {}): NetGraph {
    const genotype = this.genotype(arch);
    const cfg = nasnetConfig(o);
    const n = cfg.cells;
    const reduction = Array.from({ length: 3 * n + 2 }, (_, i) => i === n || i === 2 * n + 1);
    return cellNetworkGraph({ space: 'nasnet', cfg, genotype, reduction, auxCell: 2 * n + 1, addOp: cellOpBuilder, finalRelu: true });
  }

  /** Parameters, FLOPs and activation memory from {@link graph} (`params` counts the auxiliary head when asked for; `mainParams` never does). */
  override measure(arch: Architecture, o: DartsNetworkOptions = {}): Measures {
    return super.measure(arch, o);
  }
}

/** The shared instance. */
export const nasnet = new NasnetSpace();
