/**
 * Network builders, by space: one file per space, one line here. Needs the engine (the native
 * addon); the rest of `space/` does not.
 * @module
 */
import type { nn } from '../../engine/index.js';
import type { Architecture } from '../architecture.js';
import { getSpace } from '../registry.js';
import type { NetworkOptions } from '../space.js';
import { compileGraph } from './compile.js';
import { buildDarts } from './darts.js';

const BUILDERS: ReadonlyMap<string, (arch: Architecture, o?: NetworkOptions) => nn.Module> = new Map<string, (arch: Architecture, o?: NetworkOptions) => nn.Module>([
  ['darts', buildDarts],
]);

/**
 * Builds the engine module of an architecture of a built-in space: its network graph compiled
 * (a {@link GraphNetwork}), or the space's own builder.
 */
export function buildNetwork(arch: Architecture, o: NetworkOptions = {}): nn.Module {
  const space = getSpace(arch.space);
  if (space.graph) return compileGraph(space.graph(arch, o));
  const b = BUILDERS.get(arch.space);
  if (!b) throw new Error(`no network builder for space '${arch.space}'`);
  return b(arch, o);
}

export { AuxiliaryHeadCIFAR, DartsCell, DartsNetwork, DartsReLUConvBN, DilConv, FactorizedReduce, SepConv, buildDarts, dartsOp } from './darts.js';
export { AuxiliaryHeadCIFAR as AuxHeadCIFAR, ConvBNAct, ResNetBasicBlock } from './blocks.js';
export { GraphNetwork, compileGraph } from './compile.js';
export { ReLUConvBN } from './ops.js';
