/**
 * Cell drawings: an architecture's cell as a DAG, through each cell space's public accessors.
 * - NAS-Bench-201: nodes 0..3, one arrow per edge labelled with its op; `none` edges are left out
 *   (they carry nothing).
 * - Genotype spaces (DARTS, NASNet: any space with a `genotype(arch)` accessor): as DARTS's
 *   `visualize.py` draws a genotype: the two cell inputs `c_{k-2}` and `c_{k-1}`, the
 *   intermediate nodes 0.. (each reading two earlier nodes through the labelled ops) and the
 *   output `c_{k}`, which concatenates the nodes in the genotype's concat list (NASNet names them
 *   `h_{i-1}`, `h_{i}`, `h_{i+1}` as its paper does). The normal and reduction cells are two
 *   framed clusters of one drawing, or one cell alone.
 * - NAS-Bench-101: the pruned cell (what the network computes), op nodes between `input` and
 *   `output`.
 * @module
 */
import type { Architecture } from '../architecture.js';
import { ArchitectureError } from '../errors.js';
import type { SearchSpace } from '../space.js';
import { GENOTYPE_CELLS, type Genotype, type GenotypeCell } from '../spaces/genotype.js';
import { Nb101Space } from '../spaces/nb101.js';
import { NB201_EDGES, Nb201Space } from '../spaces/nb201.js';
import type { DrawCluster, DrawEdge, DrawNode, Drawing } from './model.js';

/** NAS-Bench-201's cell: nodes 0..3, edges labelled with their ops, `none` edges omitted. */
export function nb201CellDrawing(space: Nb201Space, arch: Architecture): Drawing {
  const ops = space.ops(arch);
  const nodes: DrawNode[] = [0, 1, 2, 3].map((i) => ({ id: String(i), label: String(i), kind: i === 0 ? 'input' : i === 3 ? 'output' : 'state' }));
  const edges: DrawEdge[] = [];
  NB201_EDGES.forEach(([to, from], k) => {
    if (ops[k] !== 'none') edges.push({ from: String(from), to: String(to), label: ops[k] });
  });
  return { title: 'nb201 cell', direction: 'LR', nodes, edges, clusters: [] };
}

/** Names of a genotype cell's inputs and output. */
export interface CellNames {
  readonly inputs: readonly [string, string];
  readonly output: string;
}

const DARTS_NAMES: CellNames = { inputs: ['c_{k-2}', 'c_{k-1}'], output: 'c_{k}' };

/**
 * One genotype cell (DARTS, NASNet: two inputs per node): the cell inputs (sources 0 and 1);
 * intermediate node j (0-based) reads the pairs at 2j and 2j+1, whose sources are 0 and 1 for the
 * cell inputs and s >= 2 for intermediate node s-2; the output concatenates the nodes in `concat`
 * (numbered from 2, as genotypes do). Ids get `o.prefix`; nodes go into cluster `o.cluster`.
 */
export function genotypeCell(
  pairs: readonly (readonly [op: string, source: number])[],
  concat: readonly number[],
  o: { prefix?: string; cluster?: string; names?: CellNames } = {},
): { nodes: DrawNode[]; edges: DrawEdge[] } {
  const { prefix = '', cluster, names = DARTS_NAMES } = o;
  const id = (s: string) => `${prefix}${s}`;
  const steps = Math.floor(pairs.length / 2);
  const inputs = names.inputs.map(id);
  const nodeId = (src: number) => (src < 2 ? inputs[src] : id(String(src - 2)));
  const nodes: DrawNode[] = [
    ...names.inputs.map((label, i): DrawNode => ({ id: inputs[i], label, kind: 'input', cluster })),
    ...Array.from({ length: steps }, (_, j): DrawNode => ({ id: id(String(j)), label: String(j), kind: 'state', cluster })),
    { id: id(names.output), label: names.output, kind: 'output', cluster },
  ];
  const edges: DrawEdge[] = pairs.map(([op, src], e) => {
    const j = Math.floor(e / 2);
    if (!Number.isInteger(src) || src < 0 || src > j + 1) throw new ArchitectureError(`cell drawing: node ${j} reads node ${src - 2}, which does not come before it`);
    return { from: nodeId(src), to: id(String(j)), label: op };
  });
  for (const c of concat) {
    if (!Number.isInteger(c) || c < 2 || c >= steps + 2) throw new ArchitectureError(`cell drawing: the output concatenates node ${c - 2}, which the cell does not have`);
    edges.push({ from: nodeId(c), to: id(names.output), faint: true });
  }
  return { nodes, edges };
}

/** A space whose architectures have a DARTS-style genotype (DARTS, NASNet). */
export interface GenotypeSpace {
  readonly name: string;
  genotype(arch: Architecture): Genotype;
}

/** Whether `space` has a `genotype(arch)` accessor (see {@link GenotypeSpace}). */
export const hasGenotype = (space: SearchSpace): space is SearchSpace & GenotypeSpace => typeof (space as Partial<GenotypeSpace>).genotype === 'function';

const CELL_TITLES: Readonly<Record<GenotypeCell, string>> = { normal: 'normal cell', reduce: 'reduction cell' };

/**
 * Node names per space, as its paper draws them: DARTS's `c_{k-2}`, `c_{k-1}` -> `c_{k}` (the
 * default) and NASNet's `h_{i-1}`, `h_{i}` -> `h_{i+1}`.
 */
const STATE_NAMES: Readonly<Record<string, CellNames>> = { nasnet: { inputs: ['h_{i-1}', 'h_{i}'], output: 'h_{i+1}' } };

/**
 * The cells `cells` (default both) of a genotype space: each cell a framed cluster, or one cell
 * alone without a frame.
 */
export function genotypeCellDrawing(space: GenotypeSpace, arch: Architecture, cells: readonly GenotypeCell[] = GENOTYPE_CELLS): Drawing {
  const g = space.genotype(arch);
  const nodes: DrawNode[] = [];
  const edges: DrawEdge[] = [];
  const clusters: DrawCluster[] = [];
  for (const cell of cells) {
    const framed = cells.length > 1;
    if (framed) clusters.push({ id: cell, label: CELL_TITLES[cell] });
    const parts = genotypeCell(g[cell], g[cell === 'normal' ? 'normal_concat' : 'reduce_concat'], {
      prefix: framed ? `${cell}/` : '',
      cluster: framed ? cell : undefined,
      names: STATE_NAMES[space.name],
    });
    nodes.push(...parts.nodes);
    edges.push(...parts.edges);
  }
  return { title: `${space.name} ${cells.length > 1 ? 'cells' : CELL_TITLES[cells[0]]}`, direction: 'LR', nodes, edges, clusters };
}

/** NAS-Bench-101's pruned cell: `input`, the op nodes, `output`; unlabelled edges as in the matrix. */
export function nb101CellDrawing(space: Nb101Space, arch: Architecture): Drawing {
  const { matrix, ops } = space.pruned(arch);
  const n = ops.length;
  const nodes: DrawNode[] = ops.map((op, i) => ({ id: String(i), label: op, kind: i === 0 ? 'input' : i === n - 1 ? 'output' : 'op' }));
  const edges: DrawEdge[] = [];
  for (let from = 0; from < n; from++) for (let to = from + 1; to < n; to++) if (matrix[from][to]) edges.push({ from: String(from), to: String(to) });
  return { title: 'nb101 cell (pruned)', direction: 'TB', nodes, edges, clusters: [] };
}

/** How a space's cell is drawn: the cell types one can pick (empty: one cell) and the drawer. */
export interface CellDrawer {
  readonly cells: readonly string[];
  /** Draws `cells` (a subset of {@link cells}; all of them when empty). */
  draw(arch: Architecture, cells: readonly string[]): Drawing;
}

/** The cell drawer of `space`, or undefined for spaces without cells (chain, multibranch, ...). */
export function cellDrawer(space: SearchSpace): CellDrawer | undefined {
  if (space instanceof Nb201Space) return { cells: [], draw: (a) => nb201CellDrawing(space, a) };
  if (space instanceof Nb101Space) return { cells: [], draw: (a) => nb101CellDrawing(space, a) };
  if (hasGenotype(space)) {
    return { cells: GENOTYPE_CELLS, draw: (a, cells) => genotypeCellDrawing(space, a, cells.length ? (cells as GenotypeCell[]) : GENOTYPE_CELLS) };
  }
  return undefined;
}
