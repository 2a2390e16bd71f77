/**
 * Building networks: every built-in space describes its network as a typed graph
 * (`space.graph`), compiled here to an engine module. Needs the engine (the native addon); the
 * rest of `space/` does not.
 * @module
 */
import type { nn } from '../../engine/index.js';
import type { Architecture } from '../architecture.js';
import { getSpace } from '../registry.js';
import type { NetworkOptions } from '../space.js';
import { compileGraph } from './compile.js';

/** Builds the engine module of an architecture of a built-in space: its network graph compiled (a {@link GraphNetwork}). */
export function buildNetwork(arch: Architecture, o: NetworkOptions = {}): nn.Module {
  const space = getSpace(arch.space);
  if (!space.graph) throw new Error(`no network builder for space '${arch.space}'`);
  return compileGraph(space.graph(arch, o));
}

export { AuxiliaryHeadCIFAR, ConvBNAct, DilConv, FactorizedReduce, ResNetBasicBlock, SepConv } from './blocks.js';
export { GraphNetwork, compileGraph } from './compile.js';
export { ReLUConvBN } from './ops.js';
