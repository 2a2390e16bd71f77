/**
 * Successive halving (Jamieson & Talwalkar 2016, in the form Li et al. 2017 use inside
 * Hyperband): `configs` random architectures (default `eta^s_max`, so that one reaches the top)
 * are evaluated at the lowest fidelity, the best `1/eta` of each rung go up a rung at `eta`
 * times the fidelity, until `maxFidelity`. Then a new bracket of random architectures starts.
 * Asks carry `fidelity`; a promoted architecture is asked again as a new trial.
 * @module
 */
import type { SearchSpace } from '../space/space.js';
import { BracketStrategy, FIDELITY_OPTIONS } from './bracket.js';
import { defineStrategy } from './common.js';

/** Successive halving, repeated with fresh random configurations. */
export class SuccessiveHalving extends BracketStrategy {
  private readonly configs: number;

  constructor(space: SearchSpace, seed: number, options: Record<string, unknown>) {
    super('sh', space, seed, options);
    this.configs = (options.configs as number) || Math.round(this.eta ** this.sMax);
  }

  protected shape(): { s: number; n: number } {
    return { s: this.sMax, n: this.configs };
  }
}

/** The `sh` strategy. */
export const shFactory = defineStrategy({
  name: 'sh',
  description: 'successive halving, Jamieson & Talwalkar 2016: random configurations, the best 1/eta promoted to eta times the fidelity',
  multiFidelity: true,
  options: [
    ...FIDELITY_OPTIONS,
    { name: 'configs', type: 'integer', default: 0, min: 0, max: 1_000_000, description: 'configurations per bracket (0: eta^s_max, one reaches maxFidelity)' },
  ],
  make: (space, seed, options) => new SuccessiveHalving(space, seed, options),
});
