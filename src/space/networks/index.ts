/**
 * Network builders, by space: one file per space, one line here. Needs the engine (the native
 * addon); the rest of `space/` does not.
 * @module
 */
import type { nn } from '../../engine/index.js';
import type { Architecture } from '../architecture.js';
import type { NetworkOptions } from '../space.js';
import { buildChain } from './chain.js';
import { buildDarts } from './darts.js';
import { buildMultiBranch } from './multibranch.js';
import { buildNb101 } from './nb101.js';
import { buildNb201 } from './nb201.js';

const BUILDERS: ReadonlyMap<string, (arch: Architecture, o?: NetworkOptions) => nn.Module> = new Map<string, (arch: Architecture, o?: NetworkOptions) => nn.Module>([
  ['nb201', buildNb201],
  ['nb101', buildNb101],
  ['chain', buildChain],
  ['multibranch', buildMultiBranch],
  ['darts', buildDarts],
]);

/** Builds the engine module of an architecture (its space must have a builder). */
export function buildNetwork(arch: Architecture, o: NetworkOptions = {}): nn.Module {
  const b = BUILDERS.get(arch.space);
  if (!b) throw new Error(`no network builder for space '${arch.space}' (builders: ${[...BUILDERS.keys()].join(', ')})`);
  return b(arch, o);
}

export { ChainNetwork, SepConvBNReLU, StridedConvBNReLU, buildChain, chainLayer } from './chain.js';
export { AuxiliaryHeadCIFAR, DartsCell, DartsNetwork, DartsReLUConvBN, DilConv, FactorizedReduce, SepConv, buildDarts, dartsOp } from './darts.js';
export { MultiBranchNetwork, buildMultiBranch } from './multibranch.js';
export { ConvBNReLU, Nb101Cell, Nb101Network, buildNb101 } from './nb101.js';
export { Nb201Cell, Nb201Network, ResNetBasicBlock, buildNb201 } from './nb201.js';
export { ReLUConvBN } from './ops.js';
