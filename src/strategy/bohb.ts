/**
 * BOHB (Falkner et al. 2018, "BOHB: Robust and Efficient Hyperparameter Optimization at
 * Scale"): Hyperband's brackets, with new configurations drawn from a model instead of at
 * random. For each new configuration: with probability `randomFraction` (paper: 1/3) a uniformly
 * random one; otherwise the model is fitted on the largest fidelity with enough results: the
 * best `max(minPoints, topPercent%)` results (paper: 15%) form the good set and the rest the bad
 * set, and both need `minPoints` (default: number of decisions + 1, as in the paper) members,
 * `candidates` (paper: 64) draws are made from the good density with bandwidths widened by
 * `bandwidthFactor` (paper: 3), and the one maximising l(x)/g(x) is taken. While no fidelity has
 * enough results, configurations are random.
 *
 * The densities are the paper's multivariate product-kernel KDEs ({@link KdeModel}, as in the
 * authors' `hpbandster`); with `model: 'tpe'` they are TPE's per-decision Parzen estimators
 * ({@link ParzenModel}, with Optuna's prior component) instead.
 * @module
 */
import type { Architecture } from '../space/architecture.js';
import type { SearchSpace } from '../space/space.js';
import { BracketStrategy, FIDELITY_OPTIONS, hyperbandShape } from './bracket.js';
import { defineStrategy, rankByValue } from './common.js';
import { KdeModel } from './kde.js';
import { ParzenModel } from './tpe.js';

/** Hyperband with a density model (l/g) for new configurations. */
export class Bohb extends BracketStrategy {
  private readonly randomFraction: number;
  private readonly candidates: number;
  private readonly topPercent: number;
  private readonly bandwidthFactor: number;
  private readonly minPoints: number;
  private readonly model: 'kde' | 'tpe';

  constructor(space: SearchSpace, seed: number, options: Record<string, unknown>) {
    super('bohb', space, seed, options);
    this.randomFraction = options.randomFraction as number;
    this.candidates = options.candidates as number;
    this.topPercent = options.topPercent as number;
    this.bandwidthFactor = options.bandwidthFactor as number;
    this.minPoints = (options.minPoints as number) || space.decisions.length + 1;
    this.model = options.model as 'kde' | 'tpe';
  }

  protected shape(k: number): { s: number; n: number } {
    return hyperbandShape(this.sMax, this.eta, k);
  }

  /** Size of the good set among `n` results. */
  private goodSize(n: number): number {
    return Math.max(this.minPoints, Math.floor((this.topPercent * n) / 100));
  }

  /** The fidelity the model is built on: the largest whose good and bad sets both reach `minPoints`; undefined if none. */
  modelFidelity(): number | undefined {
    const counts = new Map<number, number>();
    for (const t of this.history) if (t.fidelity !== undefined) counts.set(t.fidelity, (counts.get(t.fidelity) ?? 0) + 1);
    let best: number | undefined;
    for (const [f, n] of counts) if (n - this.goodSize(n) >= this.minPoints && (best === undefined || f > best)) best = f;
    return best;
  }

  protected override newConfig(): Architecture {
    // The random draw is made every time, so the stream does not depend on whether a model exists.
    const explore = this.rng.next() < this.randomFraction;
    const fidelity = explore ? undefined : this.modelFidelity();
    if (fidelity === undefined) return this.sampleNew(100);
    const ranked = rankByValue(this.history.filter((t) => t.fidelity === fidelity));
    const ok = ranked.filter((t) => !Number.isNaN(t.value)).length;
    const nGood = Math.min(ok, this.goodSize(ranked.length));
    if (nGood < 1) return this.sampleNew(100);
    const good = ranked.slice(0, nGood).map((t) => t.arch);
    const bad = ranked.slice(nGood).map((t) => t.arch);
    const model =
      this.model === 'kde' ? new KdeModel(this.space, good, bad, this.bandwidthFactor) : new ParzenModel(this.space, good, bad, { priorWeight: 1, bandwidthFactor: this.bandwidthFactor });
    return model.proposeArch(this.rng, this.candidates, 20, (a) => this.asked.has(a.key)) ?? this.sampleNew(100);
  }
}

/** The `bohb` strategy. */
export const bohbFactory = defineStrategy({
  name: 'bohb',
  description: 'BOHB, Falkner et al. 2018: Hyperband brackets with new configurations from kernel density models (l/g, as TPE)',
  multiFidelity: true,
  options: [
    ...FIDELITY_OPTIONS,
    { name: 'model', type: 'string', default: 'kde', choices: ['kde', 'tpe'], description: "density model: the paper's multivariate KDE, or TPE's per-decision Parzen estimators" },
    { name: 'randomFraction', type: 'number', default: 1 / 3, min: 0, max: 1, description: 'share of new configurations drawn at random (paper: 1/3)' },
    { name: 'candidates', type: 'integer', default: 64, min: 1, max: 10_000, description: 'draws from the good density per new configuration (paper: 64)' },
    { name: 'topPercent', type: 'number', default: 15, min: 1, max: 99, description: 'percentage of results in the good set (paper: 15)' },
    { name: 'bandwidthFactor', type: 'number', default: 3, min: 0.01, max: 100, description: 'widening of the bandwidths when drawing candidates (paper: 3)' },
    { name: 'minPoints', type: 'integer', default: 0, min: 0, max: 100_000, description: 'results a fidelity needs (plus 2) before it is modelled (0: decisions + 1)' },
  ],
  make: (space, seed, options) => new Bohb(space, seed, options),
});
