/**
 * Random search: every ask is a uniformly random architecture of the space (`space.sample`).
 * With `dedupe` (the default) an architecture already asked is redrawn, up to `retries` times, so
 * a budget of queries is not spent twice on the same architecture; in a space almost exhausted
 * it may repeat one. Li & Talwalkar (2019) and the NAS-Bench papers use it as the baseline.
 * @module
 */
import type { SearchSpace } from '../space/space.js';
import { BaseStrategy, defineStrategy } from './common.js';
import type { Ask } from './strategy.js';

/** Uniform random sampling, optionally without repeats. */
export class RandomSearch extends BaseStrategy {
  private readonly dedupe: boolean;
  private readonly retries: number;

  constructor(space: SearchSpace, seed: number, options: Record<string, unknown>) {
    super('random', space, seed, options);
    this.dedupe = options.dedupe as boolean;
    this.retries = options.retries as number;
  }

  protected propose(n: number, out: Ask[]): void {
    while (out.length < n) out.push(this.issue(this.dedupe ? this.sampleNew(this.retries) : this.space.sample(this.rng)));
  }

  protected observe(): void {}
}

/** The `random` strategy. */
export const randomFactory = defineStrategy({
  name: 'random',
  description: 'random search: uniformly random architectures (Li & Talwalkar 2019 baseline)',
  options: [
    { name: 'dedupe', type: 'boolean', default: true, description: 'redraw architectures that were already asked' },
    { name: 'retries', type: 'integer', default: 100, min: 1, max: 1_000_000, description: 'draws per ask before a repeat is accepted (with dedupe)' },
  ],
  make: (space, seed, options) => new RandomSearch(space, seed, options),
});
