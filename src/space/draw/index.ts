/**
 * Drawings of architectures: cells as DAGs (`cells.ts`), networks as stacks (`network.ts`), both
 * through one abstract {@link Drawing} model written as Graphviz DOT (`dot.ts`) and laid out as
 * SVG by Graphviz compiled to WebAssembly (`svg.ts`, loaded only when SVG is asked for). No engine
 * is needed.
 * @module
 */
import type { Architecture } from '../architecture.js';
import { ArchitectureError } from '../errors.js';
import type { NetworkOptions, SearchSpace } from '../space.js';
import { cellDrawer } from './cells.js';
import type { Drawing } from './model.js';
import { networkDrawing } from './network.js';

export {
  type CellDrawer,
  type CellNames,
  type GenotypeSpace,
  cellDrawer,
  genotypeCell,
  genotypeCellDrawing,
  hasGenotype,
  nb101CellDrawing,
  nb201CellDrawing,
} from './cells.js';
export { dotString, toDot } from './dot.js';
export { DRAW_NODE_KINDS, type DrawCluster, type DrawEdge, type DrawNode, type DrawNodeKind, type Drawing, checkDrawing } from './model.js';
export { type NetworkDrawOptions, networkDrawing } from './network.js';
export { dotToSvg, drawingToSvg } from './svg.js';

/** Options of {@link drawArchitecture}; the network options apply to network drawings. */
export interface DrawOptions extends NetworkOptions {
  /** Draw the whole network (a stack) even for a cell space. */
  network?: boolean;
  /** With `network`: every op inside cells and stages, framed, instead of one box per group. */
  expand?: boolean;
  /** With `network`, for spaces that have one (DARTS, NASNet): draw the auxiliary head too. */
  auxiliary?: boolean;
  /** For spaces with several cell types (DARTS, NASNet: `normal`, `reduce`): draw only this one. */
  cell?: string;
}

/**
 * Draws `arch` of `space`: its cell for cell spaces (NB201, NB101, DARTS, NASNet), otherwise, or with
 * `network`, its network graph as a stack. Throws an {@link ArchitectureError} when the space can
 * draw neither, or when `cell` names no cell type of the space.
 */
export function drawArchitecture(space: SearchSpace, arch: Architecture, o: DrawOptions = {}): Drawing {
  const cells = o.network ? undefined : cellDrawer(space);
  if (o.cell !== undefined) {
    const types = cells?.cells ?? [];
    if (!types.length) throw new ArchitectureError(`${space.name}: ${o.network ? 'a network drawing has' : 'this space has'} no cell types to pick from (cell '${o.cell}')`);
    if (!types.includes(o.cell)) throw new ArchitectureError(`${space.name}: unknown cell '${o.cell}' (cells: ${types.join(', ')})`);
  }
  if (cells) return cells.draw(arch, o.cell === undefined ? [] : [o.cell]);
  if (!space.graph) throw new ArchitectureError(`${space.name}: this space has neither a cell drawing nor a network graph to draw`);
  const net: NetworkOptions & { auxiliary?: boolean } = { input: o.input, classes: o.classes, channels: o.channels, cells: o.cells, auxiliary: o.auxiliary };
  return networkDrawing(space.graph(arch, net), { expand: o.expand, title: `${space.name} network` });
}
