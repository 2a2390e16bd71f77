/**
 * Cell drawings: an architecture's cell as a DAG, through each cell space's public accessors.
 * - NAS-Bench-201: nodes 0..3, one arrow per edge labelled with its op; `none` edges are left out
 *   (they carry nothing).
 * - DARTS: as DARTS's `visualize.py` draws a genotype: the two cell inputs `c_{k-2}` and
 *   `c_{k-1}`, intermediate nodes 0..3 (each reading two earlier nodes through the labelled ops)
 *   and the output `c_{k}`, which concatenates the nodes in the genotype's concat list. The normal
 *   and reduction cells are two framed clusters of one drawing, or one cell alone.
 * - NAS-Bench-101: the pruned cell (what the network computes), op nodes between `input` and
 *   `output`.
 * @module
 */
import type { Architecture } from '../architecture.js';
import { ArchitectureError } from '../errors.js';
import type { SearchSpace } from '../space.js';
import { DARTS_CELLS, type DartsCellType, DartsSpace } from '../spaces/darts.js';
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

/** What {@link genotypeCell} adds to a drawing. */
interface CellParts {
  nodes: DrawNode[];
  edges: DrawEdge[];
}

/**
 * One genotype-style cell (DARTS, and NASNet-like cells with two inputs per node): inputs
 * `c_{k-2}`, `c_{k-1}`; intermediate node j (0-based) reads the two edges at 2j and 2j+1, whose
 * sources are 0 and 1 for the cell inputs and s >= 2 for intermediate node s-2; `c_{k}`
 * concatenates the nodes in `concat` (numbered from 2, as genotypes do). Ids get `prefix`.
 */
export function genotypeCell(edgesIn: readonly (readonly [op: string, source: number])[], concat: readonly number[], prefix = '', cluster?: string): CellParts {
  const id = (s: string) => `${prefix}${s}`;
  const steps = Math.floor(edgesIn.length / 2);
  const nodeId = (src: number) => (src === 0 ? id('c_{k-2}') : src === 1 ? id('c_{k-1}') : id(String(src - 2)));
  const nodes: DrawNode[] = [
    { id: id('c_{k-2}'), label: 'c_{k-2}', kind: 'input', cluster },
    { id: id('c_{k-1}'), label: 'c_{k-1}', kind: 'input', cluster },
    ...Array.from({ length: steps }, (_, j): DrawNode => ({ id: id(String(j)), label: String(j), kind: 'state', cluster })),
    { id: id('c_{k}'), label: 'c_{k}', kind: 'output', cluster },
  ];
  const edges: DrawEdge[] = edgesIn.map(([op, src], e) => {
    if (src > Math.floor(e / 2) + 1) throw new ArchitectureError(`cell drawing: node ${Math.floor(e / 2)} reads node ${src - 2}, which comes after it`);
    return { from: nodeId(src), to: id(String(Math.floor(e / 2))), label: op };
  });
  for (const c of concat) edges.push({ from: nodeId(c), to: id('c_{k}'), faint: true });
  return { nodes, edges };
}

const DARTS_CELL_TITLES: Readonly<Record<DartsCellType, string>> = { normal: 'normal cell', reduce: 'reduction cell' };

/** DARTS cells of `cells` (default both, each a cluster; one cell alone has no frame). */
export function dartsCellDrawing(space: DartsSpace, arch: Architecture, cells: readonly DartsCellType[] = DARTS_CELLS): Drawing {
  const g = space.genotype(arch);
  const nodes: DrawNode[] = [];
  const edges: DrawEdge[] = [];
  const clusters: DrawCluster[] = [];
  for (const cell of cells) {
    const framed = cells.length > 1;
    if (framed) clusters.push({ id: cell, label: DARTS_CELL_TITLES[cell] });
    const parts = genotypeCell(g[cell], g[cell === 'normal' ? 'normal_concat' : 'reduce_concat'], framed ? `${cell}/` : '', framed ? cell : undefined);
    nodes.push(...parts.nodes);
    edges.push(...parts.edges);
  }
  return { title: cells.length > 1 ? 'darts cells' : `darts ${DARTS_CELL_TITLES[cells[0]]}`, direction: 'LR', nodes, edges, clusters };
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
  if (space instanceof DartsSpace) {
    return { cells: DARTS_CELLS, draw: (a, cells) => dartsCellDrawing(space, a, cells.length ? (cells as DartsCellType[]) : DARTS_CELLS) };
  }
  return undefined;
}
