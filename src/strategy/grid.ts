/**
 * Grid (exhaustive) search: every architecture of a finite space once, in the space's
 * enumeration order (`space.enumerate()`), or in a seeded random order with `shuffle`. It is
 * `finished()` once every architecture has been asked. Spaces with continuous decisions, or more
 * architectures than `limit`, are refused with a clear error.
 * @module
 */
import type { Architecture } from '../space/architecture.js';
import type { SearchSpace } from '../space/space.js';
import { BaseStrategy, defineStrategy } from './common.js';
import type { Ask } from './strategy.js';

/** Exhaustive enumeration of a small space. */
export class GridSearch extends BaseStrategy {
  private readonly archs: Architecture[] = [];
  private readonly order: Uint32Array;
  private position = 0;

  constructor(space: SearchSpace, seed: number, options: Record<string, unknown>) {
    super('grid', space, seed, options);
    const limit = options.limit as number;
    if (space.decisions.some((d) => d.kind === 'float')) throw this.error(`space '${space.name}' has continuous decisions and cannot be enumerated (use random, tpe or evolution)`);
    const size = space.size();
    if (!(size <= limit)) throw this.error(`space '${space.name}' has ${Number.isSafeInteger(size) ? size : size.toExponential(3)} architectures, more than the limit of ${limit} (option 'limit')`);
    try {
      for (const a of space.enumerate(Math.max(limit, size))) this.archs.push(a);
    } catch (e) {
      throw this.error(`space '${space.name}' cannot be enumerated within the limit of ${limit}: ${(e as Error).message}`);
    }
    // The order is a function of the seed alone (its own stream), so a restore rebuilds it.
    this.order = options.shuffle ? this.rng.fork(1).permutation(this.archs.length) : Uint32Array.from(this.archs.keys());
  }

  protected propose(n: number, out: Ask[]): void {
    while (out.length < n && this.position < this.archs.length) out.push(this.issue(this.archs[this.order[this.position++]]));
  }

  protected observe(): void {}

  override finished(): boolean {
    return this.position >= this.archs.length;
  }

  /** Number of architectures the grid holds. */
  get total(): number {
    return this.archs.length;
  }

  protected override saveOwn(): unknown {
    return { position: this.position };
  }
  protected override loadOwn(data: unknown): void {
    const p = (data as { position?: unknown } | null)?.position;
    if (!Number.isInteger(p) || (p as number) < 0 || (p as number) > this.archs.length) throw this.error('the saved grid position is out of range');
    this.position = p as number;
  }
}

/** The `grid` strategy. */
export const gridFactory = defineStrategy({
  name: 'grid',
  description: 'grid search: every architecture of a small, finite space once (enumeration order or shuffled)',
  options: [
    { name: 'shuffle', type: 'boolean', default: false, description: 'visit the architectures in a seeded random order' },
    { name: 'limit', type: 'integer', default: 1_000_000, min: 1, max: 100_000_000, description: 'largest space size accepted' },
  ],
  make: (space, seed, options) => new GridSearch(space, seed, options),
});
