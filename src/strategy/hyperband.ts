/**
 * Hyperband (Li et al. 2017, Algorithm 1): successive-halving brackets that trade the number of
 * configurations against their starting fidelity, from the most exploratory bracket
 * (`s = s_max`: `eta^s_max` configurations from `minFidelity`) to plain full-fidelity random
 * search (`s = 0`), then round again. New configurations are uniformly random.
 * @module
 */
import type { SearchSpace } from '../space/space.js';
import { BracketStrategy, FIDELITY_OPTIONS, hyperbandShape } from './bracket.js';
import { defineStrategy } from './common.js';

/** Hyperband with random configurations. */
export class Hyperband extends BracketStrategy {
  constructor(space: SearchSpace, seed: number, options: Record<string, unknown>) {
    super('hyperband', space, seed, options);
  }

  protected shape(k: number): { s: number; n: number } {
    return hyperbandShape(this.sMax, this.eta, k);
  }
}

/** The `hyperband` strategy. */
export const hyperbandFactory = defineStrategy({
  name: 'hyperband',
  description: 'Hyperband, Li et al. 2017: successive-halving brackets from many cheap to few full-fidelity random configurations',
  multiFidelity: true,
  options: FIDELITY_OPTIONS,
  make: (space, seed, options) => new Hyperband(space, seed, options),
});
