/**
 * Regularized (aging) evolution, Real et al. 2019 ("Regularized Evolution for Image Classifier
 * Architecture Search", Algorithm 1). A population of `population` random architectures is
 * evaluated first; then each cycle samples `sampleSize` members uniformly at random (with
 * replacement, as in the paper's pseudocode), the best of the sample becomes the parent, its child
 * is `space.mutate(parent)`, and when the child's result arrives it joins the population on the
 * young end while the oldest member dies.
 *
 * Defaults follow NAS-Bench-201's REA runs (Dong & Yang 2020, and NATS-Bench's scripts):
 * population 10, sample size 3. Real et al. used P = 100, S = 25 on their large-scale search.
 *
 * Asynchrony works as in the paper's distributed version: asks made before earlier results are
 * told are children of the population as it stands (random architectures while the population
 * plus the random asks still out number fewer than `population`). A failed evaluation (NaN) never
 * joins the population, so it is never a parent and pushes nobody out; a failed initial member
 * is replaced by another random one. Option `initial` puts given architectures first among the
 * initial members (warm-starting from known networks, as LEMONADE and NeuNetS's NCEvolve start
 * from hand-designed ones); the rest of the population is random.
 * @module
 */
import type { Architecture } from '../space/architecture.js';
import type { SearchSpace } from '../space/space.js';
import { BaseStrategy, type PointJSON, type Told, defineStrategy, loadPoint, savePoint } from './common.js';
import type { Ask } from './strategy.js';

/** Whether an ask was a random initial member or a mutated child. */
type Role = 'init' | 'child';

interface Member {
  arch: Architecture;
  value: number;
  /** Its ask id (the parent id of its children); absent in states saved before ids were kept. */
  id?: number;
}

/** Aging evolution over any space with `mutate`. */
export class RegularizedEvolution extends BaseStrategy<Role> {
  private readonly populationSize: number;
  private readonly sampleSize: number;
  /** Oldest first. */
  private population: Member[] = [];
  /** Architectures that start the population before random ones (option `initial`). */
  private readonly initial: Architecture[];

  constructor(space: SearchSpace, seed: number, options: Record<string, unknown>) {
    super('evolution', space, seed, options);
    this.populationSize = options.population as number;
    this.sampleSize = options.sampleSize as number;
    if (this.sampleSize > this.populationSize) throw this.error(`option 'sampleSize' (${this.sampleSize}) must not exceed 'population' (${this.populationSize})`);
    this.initial = this.parseInitial(options.initial, this.populationSize, "'population'");
  }

  /** The first of the `initial` architectures not asked yet, if any. */
  private nextInitial(): Architecture | undefined {
    return this.initial.find((a) => !this.asked.has(a.key));
  }

  protected propose(n: number, out: Ask[]): void {
    let randomOut = 0;
    for (const t of this.pending.values()) if (t.tag === 'init') randomOut++;
    while (out.length < n) {
      if (this.population.length + randomOut < this.populationSize) {
        out.push(this.issue(this.nextInitial() ?? this.sampleNew(100), undefined, 'init'));
        randomOut++;
      } else if (this.population.length > 0) {
        const parent = this.tournament();
        out.push(this.issue(this.space.mutate(parent.arch, this.rng), undefined, 'child', parent.id));
      } else {
        return; // every initial member is out: wait for results
      }
    }
  }

  /** The best of `sampleSize` members drawn uniformly with replacement. */
  private tournament(): Member {
    let best: Member | undefined;
    for (let i = 0; i < this.sampleSize; i++) {
      const m = this.population[this.rng.int(this.population.length)];
      if (!best || m.value > best.value) best = m;
    }
    return best as Member;
  }

  protected observe(t: Told<Role>): void {
    if (Number.isNaN(t.value)) return;
    this.population.push({ arch: t.arch, value: t.value, id: t.id });
    if (this.population.length > this.populationSize) this.population.shift();
  }

  /** The current population, oldest first (a copy). */
  members(): { arch: Architecture; value: number; id?: number }[] {
    return this.population.map((m) => ({ ...m }));
  }

  protected override saveOwn(): unknown {
    return this.population.map((m) => ({ ...savePoint(m), ...(m.id === undefined ? {} : { id: m.id }) }));
  }
  protected override loadOwn(data: unknown): void {
    if (!Array.isArray(data)) throw this.error('the saved population is missing');
    this.population = data.map((m: PointJSON & { id?: unknown }) => ({ ...(loadPoint(this.space, m) as Member), ...(Number.isInteger(m.id) ? { id: m.id as number } : {}) }));
  }
}

/** The `evolution` strategy. */
export const evolutionFactory = defineStrategy({
  name: 'evolution',
  description: 'regularized (aging) evolution, Real et al. 2019: tournament selection, mutation, oldest member dies',
  options: [
    { name: 'population', type: 'integer', default: 10, min: 2, max: 100_000, description: 'population size P (NAS-Bench-201: 10; Real et al.: 100)' },
    { name: 'sampleSize', type: 'integer', default: 3, min: 1, max: 100_000, description: 'tournament sample size S (NAS-Bench-201: 3; Real et al.: 25)' },
    {
      name: 'initial',
      type: 'string',
      default: '',
      description: "architectures in the space's text form, separated by ';', that start the population before random ones (a known good network to improve on, as LEMONADE starts from hand-designed ones)",
    },
  ],
  make: (space, seed, options) => new RegularizedEvolution(space, seed, options),
});
