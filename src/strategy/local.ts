/**
 * Local search, as in White et al. 2020 ("Local search is state of the art for neural
 * architecture search benchmarks", Algorithm 1): start from a random architecture (the best of
 * `init` random ones; the paper's algorithm uses one), evaluate its one-mutation neighbourhood
 * (`space.neighbours`) in random order, and move to the best neighbour if it beats the current
 * architecture (best improvement). With `firstImprovement` the search moves as soon as a better
 * neighbour is seen. Option `initial` makes the first start given architectures (then random ones
 * up to `init`): the climb then improves on a known network, one change at a time. At a local
 * optimum (no better neighbour) it restarts from new random architectures. Architectures already
 * evaluated are not asked again: their known values count.
 *
 * Batch asks hand out the current neighbourhood in parallel; once it is exhausted the strategy
 * asks nothing more until the outstanding results arrive. A round with a single start candidate
 * (`init` 1, or one `initial` architecture) climbs from it whatever its value, so its
 * neighbourhood is handed out at once, while the start itself still trains: parallel workers are
 * not left idle waiting for it. Its value is still what a neighbour must beat (a start that failed
 * is beaten by any neighbour that did not). Results of asks from an abandoned
 * neighbourhood (after a first-improvement move) are remembered but do not steer the search.
 * Failed evaluations (NaN) are never moved to.
 * @module
 */
import type { Architecture } from '../space/architecture.js';
import type { SearchSpace } from '../space/space.js';
import { BaseStrategy, type PointJSON, type Told, archValues, defineStrategy, loadPoint, savePoint } from './common.js';
import type { Ask } from './strategy.js';

/** Which round (start or neighbourhood) an ask belongs to, and whether it is a start point or a neighbour. */
interface Tag {
  r: number;
  k: 'init' | 'nbr';
}

interface Point {
  arch: Architecture;
  value: number;
}

/** Best- (or first-) improvement hill climbing with random restarts. */
export class LocalSearch extends BaseStrategy<Tag> {
  private readonly init: number;
  private readonly first: boolean;
  /** Start candidates of the first round before random ones (option `initial`). */
  private readonly initial: Architecture[];
  /** Value of every architecture told so far (by key). */
  private readonly known = new Map<string, number>();
  private round = 0;
  private phase: 'init' | 'climb' = 'init';
  private initAsked = 0;
  private current: Point | null = null;
  /** Best point of the current round (start candidates or neighbours). */
  private best: Point | null = null;
  /** Neighbours not handed out yet, in the order they will be. */
  private queue: Architecture[] = [];
  /** The climb's start (`current`) was asked but its value is not known yet (a single start candidate). */
  private startPending = false;

  constructor(space: SearchSpace, seed: number, options: Record<string, unknown>) {
    super('local', space, seed, options);
    this.init = options.init as number;
    this.first = options.firstImprovement as boolean;
    this.initial = this.parseInitial(options.initial, 100_000, 'the limit');
  }

  /** How many start candidates the current round evaluates: the `initial` ones count in the first. */
  private starts(): number {
    return this.round === 0 ? Math.max(this.init, this.initial.length) : this.init;
  }

  private waiting(): number {
    let n = 0;
    for (const t of this.pending.values()) if (t.tag?.r === this.round) n++;
    return n;
  }

  protected propose(n: number, out: Ask[]): void {
    while (out.length < n) {
      if (this.phase === 'init') {
        if (this.initAsked >= this.starts()) return; // wait for the start candidates
        this.initAsked++;
        const given = this.round === 0 ? this.initial.find((a) => !this.asked.has(a.key)) : undefined;
        const ask = this.issue(given ?? this.sampleNew(100), undefined, { r: this.round, k: 'init' });
        out.push(ask);
        if (this.starts() === 1) {
          // The only start candidate: the climb starts here whatever its value, so its neighbourhood need not wait for it.
          this.moveTo({ arch: ask.arch, value: Number.NaN });
          this.startPending = true;
        }
      } else if (this.queue.length) {
        const a = this.queue.shift() as Architecture;
        const v = this.known.get(a.key);
        if (v !== undefined) this.consider({ arch: a, value: v });
        else if (!this.asked.has(a.key)) out.push(this.issue(a, undefined, { r: this.round, k: 'nbr' }));
      } else if (this.waiting() === 0 && !this.startPending) {
        this.step();
      } else {
        return;
      }
    }
  }

  /** The neighbourhood is done: move to the best neighbour if it improves, else restart. */
  private step(): void {
    if (this.best && this.current && this.beats(this.best, this.current)) this.moveTo(this.best);
    else this.restart();
  }

  /** Whether `p` (told, not failed) improves on `q`, which may have failed (NaN): any value beats a failure. */
  private beats(p: Point, q: Point): boolean {
    return Number.isNaN(q.value) || p.value > q.value;
  }

  private restart(): void {
    this.round++;
    this.phase = 'init';
    this.initAsked = 0;
    this.current = null;
    this.best = null;
    this.queue = [];
    this.startPending = false;
  }

  private moveTo(p: Point): void {
    this.round++;
    this.phase = 'climb';
    this.current = p;
    this.best = null;
    this.startPending = false;
    const nbrs = this.space.neighbours(p.arch);
    const perm = this.rng.permutation(nbrs.length);
    this.queue = Array.from(perm, (i) => nbrs[i]);
  }

  /** A neighbour's value is known: track the best; with first improvement, move at once. */
  private consider(p: Point): void {
    if (Number.isNaN(p.value)) return;
    if (!this.best || p.value > this.best.value) this.best = p;
    if (this.first && this.current && !this.startPending && this.beats(p, this.current)) this.moveTo(p);
  }

  protected observe(t: Told<Tag>): void {
    if (!Number.isNaN(t.value)) this.known.set(t.arch.key, t.value);
    if (this.startPending && t.tag?.k === 'init' && this.current && t.arch.key === this.current.arch.key) {
      // The climb's start, whose neighbourhood is already out: now it has the value its neighbours must beat.
      this.startPending = false;
      this.current = { arch: this.current.arch, value: t.value };
      if (this.first && this.best && this.beats(this.best, this.current)) this.moveTo(this.best);
      return;
    }
    if (t.tag?.r !== this.round) return;
    if (t.tag.k === 'nbr') {
      this.consider({ arch: t.arch, value: t.value });
      return;
    }
    if (!Number.isNaN(t.value) && (!this.best || t.value > this.best.value)) this.best = { arch: t.arch, value: t.value };
    if (this.initAsked >= this.starts() && this.waiting() === 0) {
      if (this.best) this.moveTo(this.best);
      else this.restart(); // every start candidate failed
    }
  }

  protected override saveOwn(): unknown {
    const pt = (p: Point | null) => (p ? savePoint(p) : null);
    return { round: this.round, phase: this.phase, initAsked: this.initAsked, current: pt(this.current), best: pt(this.best), queue: this.queue.map(archValues), startPending: this.startPending };
  }
  protected override loadOwn(data: unknown): void {
    type P = PointJSON | null;
    const d = data as { round: number; phase: 'init' | 'climb'; initAsked: number; current: P; best: P; queue: Record<string, unknown>[]; startPending?: boolean };
    if (!d || !Array.isArray(d.queue) || (d.phase !== 'init' && d.phase !== 'climb')) throw this.error('the saved local-search state is incomplete');
    const pt = (p: P): Point | null => (p ? (loadPoint(this.space, p) as Point) : null);
    this.round = d.round;
    this.phase = d.phase;
    this.initAsked = d.initAsked;
    this.current = pt(d.current);
    this.best = pt(d.best);
    this.queue = d.queue.map((v) => this.space.arch(v));
    this.startPending = d.startPending === true;
    this.known.clear();
    for (const t of this.history) if (!Number.isNaN(t.value)) this.known.set(t.arch.key, t.value);
  }
}

/** The `local` strategy. */
export const localFactory = defineStrategy({
  name: 'local',
  description: 'local search, White et al. 2020: best-improvement hill climbing over the one-mutation neighbourhood, random restarts',
  options: [
    { name: 'init', type: 'integer', default: 1, min: 1, max: 100_000, description: 'random architectures evaluated at each (re)start; the climb starts from the best' },
    { name: 'firstImprovement', type: 'boolean', default: false, description: 'move to the first better neighbour instead of the best of the whole neighbourhood' },
    {
      name: 'initial',
      type: 'string',
      default: '',
      description: "architectures in the space's text form, separated by ';', that the first start evaluates before random ones (climb from a known good network)",
    },
  ],
  make: (space, seed, options) => new LocalSearch(space, seed, options),
});
