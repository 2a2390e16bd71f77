/**
 * The abstract drawing model: what a cell or a network looks like as a graph of labelled boxes,
 * before any layout. Cell and network drawings (`cells.ts`, `network.ts`) produce a
 * {@link Drawing}; `dot.ts` writes it as Graphviz DOT and `svg.ts` lays it out as SVG. Nothing
 * here places a box: positions come from Graphviz's layered layout.
 * @module
 */

/**
 * What a node stands for, which sets its look: `input` (a cell's or network's inputs), `output`
 * (its outputs), `state` (an intermediate node of a cell, a sum of its incoming edges), `op` (one
 * operation) or `group` (a collapsed cell or stage of a network).
 */
export type DrawNodeKind = 'input' | 'output' | 'state' | 'op' | 'group';

/** The node kinds, for checks. */
export const DRAW_NODE_KINDS: readonly DrawNodeKind[] = ['input', 'output', 'state', 'op', 'group'];

/** One box of a drawing. */
export interface DrawNode {
  /** Unique id (any text; DOT quotes it). In SVG it becomes the node's `<title>`. */
  readonly id: string;
  /** Text in the box; `\n` breaks lines. */
  readonly label: string;
  readonly kind: DrawNodeKind;
  /** Id of the {@link DrawCluster} that holds it, if any. */
  readonly cluster?: string;
}

/** One arrow, from node `from` to node `to`. */
export interface DrawEdge {
  readonly from: string;
  readonly to: string;
  /** Text on the arrow (an op name in cell drawings). */
  readonly label?: string;
  /** Drawn lighter (e.g. the concatenation into a DARTS cell's output). */
  readonly faint?: boolean;
}

/** A framed, labelled set of nodes (a DARTS cell type, an expanded network stage). */
export interface DrawCluster {
  readonly id: string;
  readonly label: string;
}

/** A drawing: nodes, edges and clusters, and the direction data flows in. */
export interface Drawing {
  /** Shown above the drawing. */
  readonly title?: string;
  /** `LR`: inputs on the left (cells); `TB`: top to bottom (network stacks). */
  readonly direction: 'LR' | 'TB';
  readonly nodes: readonly DrawNode[];
  readonly edges: readonly DrawEdge[];
  readonly clusters: readonly DrawCluster[];
}

/**
 * Checks a drawing's references: node ids unique, every edge between known nodes, every node's
 * cluster declared, cluster ids unique. Throws an Error naming the first problem (a drawing is
 * made by code, so a problem is a bug, not bad input).
 */
export function checkDrawing(d: Drawing): void {
  const ids = new Set<string>();
  const clusters = new Set<string>();
  for (const c of d.clusters) {
    if (clusters.has(c.id)) throw new Error(`drawing: cluster '${c.id}' is declared twice`);
    clusters.add(c.id);
  }
  for (const n of d.nodes) {
    if (ids.has(n.id)) throw new Error(`drawing: node id '${n.id}' is used twice`);
    if (!DRAW_NODE_KINDS.includes(n.kind)) throw new Error(`drawing: node '${n.id}' has unknown kind '${n.kind}'`);
    if (n.cluster !== undefined && !clusters.has(n.cluster)) throw new Error(`drawing: node '${n.id}' is in undeclared cluster '${n.cluster}'`);
    ids.add(n.id);
  }
  for (const e of d.edges) {
    for (const end of [e.from, e.to]) if (!ids.has(end)) throw new Error(`drawing: edge ${e.from} -> ${e.to} names unknown node '${end}'`);
  }
}
