/**
 * What every built-in strategy shares: trial ids, the asks still waiting for a result, the history
 * of told trials, the seeded generator, and saving/restoring all of that. A strategy subclasses
 * {@link BaseStrategy}, implements `propose` (new asks), `observe` (a result came back) and, when
 * it keeps more state, `saveOwn`/`loadOwn`; {@link defineStrategy} turns it into a
 * {@link StrategyFactory} whose `restore` rebuilds it from a saved state.
 * @module
 */
import type { Architecture } from '../space/architecture.js';
import type { SearchSpace } from '../space/space.js';
import { Rng, type RngState } from '../util/rng.js';
import type { StrategyFactory } from './registry.js';
import { type Ask, type OptionSpec, type Strategy, StrategyError, type StrategyState, type TellResult, score } from './strategy.js';

/** A trial that was asked: its id, architecture, fidelity and the strategy's own bookkeeping tag. */
export interface Trial<Tag = unknown> {
  readonly id: number;
  readonly arch: Architecture;
  readonly fidelity?: number;
  /** Strategy-specific JSON (e.g. which rung of which bracket the trial belongs to). */
  readonly tag?: Tag;
}

/** A trial with its result (`value` NaN for a failed evaluation). */
export interface Told<Tag = unknown> extends Trial<Tag> {
  readonly value: number;
  readonly cost?: number;
}

/** The JSON form of a trial: the architecture as its values, NaN as null. */
interface TrialJSON {
  id: number;
  values: Record<string, unknown>;
  fidelity?: number;
  tag?: unknown;
  value?: number | null;
  cost?: number;
}

/** The part of {@link StrategyState.data} that {@link BaseStrategy} writes. */
interface BaseData {
  rng: RngState;
  nextId: number;
  pending: TrialJSON[];
  history: TrialJSON[];
  own: unknown;
}

/** An architecture as plain JSON values (for saved states). */
export function archValues(arch: Architecture): Record<string, unknown> {
  return arch.toJSON().values;
}

/** An architecture with its value (NaN: failed; undefined: not yet evaluated). */
export interface Point {
  arch: Architecture;
  value?: number;
}

/** The JSON form of a {@link Point}: values, and the value with NaN as null. */
export interface PointJSON {
  values: Record<string, unknown>;
  value?: number | null;
}

/** A point for a saved state. */
export function savePoint(p: Point): PointJSON {
  return p.value === undefined ? { values: archValues(p.arch) } : { values: archValues(p.arch), value: Number.isNaN(p.value) ? null : p.value };
}

/** A point back from {@link savePoint}'s form (throws an ArchitectureError for values not in `space`). */
export function loadPoint(space: SearchSpace, j: PointJSON): Point {
  const arch = space.arch(j.values);
  return j.value === undefined ? { arch } : { arch, value: j.value === null ? Number.NaN : j.value };
}

/** Sorts by value, best first; failures last; ties keep their order (stable). */
export function rankByValue<T extends { value: number }>(trials: readonly T[]): T[] {
  return [...trials].sort((a, b) => score(b.value) - score(a.value) || 0);
}

/**
 * Base class of the built-in strategies. It hands out ids, keeps the asks waiting for results and
 * the told history, checks `tell`, and saves everything (including the generator's state) so
 * that a restored strategy continues exactly.
 */
export abstract class BaseStrategy<Tag = unknown> implements Strategy {
  readonly name: string;
  readonly space: SearchSpace;
  readonly seed: number;
  readonly options: Readonly<Record<string, unknown>>;
  /** The strategy's only source of randomness (saved and restored with the state). */
  protected rng: Rng;
  private nextId = 0;
  /** Asked trials still waiting for their result, by id (in ask order). */
  protected readonly pending = new Map<number, Trial<Tag>>();
  /** Told trials, in tell order. */
  protected readonly history: Told<Tag>[] = [];
  /** Keys of every architecture asked so far (told or pending). */
  protected readonly asked = new Set<string>();

  constructor(name: string, space: SearchSpace, seed: number, options: Record<string, unknown>) {
    this.name = name;
    this.space = space;
    this.seed = seed;
    this.options = Object.freeze({ ...options });
    this.rng = new Rng(seed);
  }

  /** Up to `n` new asks (see {@link Strategy.ask}). */
  ask(n = 1): Ask[] {
    if (!Number.isInteger(n) || n < 0) throw new StrategyError(`strategy '${this.name}': ask(n) needs a non-negative integer, got ${n}`);
    const out: Ask[] = [];
    if (n > 0) this.propose(n, out);
    return out;
  }

  /**
   * Adds up to `n - out.length` asks to `out` with {@link issue}. Adding fewer means "nothing
   * more until some results come back" (or, with {@link finished}, nothing more at all).
   */
  protected abstract propose(n: number, out: Ask[]): void;

  /** Called for each result, after it has been added to the history. */
  protected abstract observe(trial: Told<Tag>): void;

  /** A new ask with the next id, registered as pending; `parent` is the ask `arch` was derived from (see {@link Ask.parent}). */
  protected issue(arch: Architecture, fidelity?: number, tag?: Tag, parent?: number): Ask {
    const id = this.nextId++;
    const t: Trial<Tag> = { id, arch, ...(fidelity === undefined ? {} : { fidelity }), ...(tag === undefined ? {} : { tag }) };
    this.pending.set(id, t);
    this.asked.add(arch.key);
    return { id, arch, ...(fidelity === undefined ? {} : { fidelity }), ...(parent === undefined ? {} : { parent }) };
  }

  tell(id: number, result: TellResult): void {
    const t = this.pending.get(id);
    if (!t) throw new StrategyError(`strategy '${this.name}': trial ${id} was ${Number.isInteger(id) && id >= 0 && id < this.nextId ? 'already told' : 'never asked'}`);
    if (!result || typeof result.value !== 'number') throw new StrategyError(`strategy '${this.name}': trial ${id}: the result needs a numeric value (NaN for a failure)`);
    if (result.value === Number.POSITIVE_INFINITY || result.value === Number.NEGATIVE_INFINITY)
      throw new StrategyError(`strategy '${this.name}': trial ${id}: value ${result.value} is not finite (report a failure as NaN)`);
    this.pending.delete(id);
    const told: Told<Tag> = { ...t, value: result.value, ...(result.cost === undefined ? {} : { cost: result.cost }) };
    this.history.push(told);
    this.observe(told);
  }

  finished(): boolean {
    return false;
  }

  /** The strategy's own state beyond the base's (plain JSON). */
  protected saveOwn(): unknown {
    return null;
  }
  /** Restores what {@link saveOwn} wrote; runs after the base state (history, pending) is back. */
  protected loadOwn(_data: unknown): void {}

  state(): StrategyState {
    const data: BaseData = {
      rng: this.rng.state(),
      nextId: this.nextId,
      pending: [...this.pending.values()].map((t) => this.trialJSON(t)),
      history: this.history.map((t) => this.trialJSON(t)),
      own: this.saveOwn(),
    };
    return { strategy: this.name, space: this.space.name, seed: this.seed, options: { ...this.options }, data: JSON.parse(JSON.stringify(data)) };
  }

  private trialJSON(t: Trial<Tag> | Told<Tag>): TrialJSON {
    const j: TrialJSON = { id: t.id, values: archValues(t.arch) };
    if (t.fidelity !== undefined) j.fidelity = t.fidelity;
    if (t.tag !== undefined) j.tag = t.tag;
    if ('value' in t) j.value = Number.isNaN(t.value) ? null : t.value;
    if ('cost' in t && t.cost !== undefined) j.cost = t.cost;
    return j;
  }

  private trialFrom(j: TrialJSON): Trial<Tag> {
    return {
      id: j.id,
      arch: this.space.arch(j.values),
      ...(j.fidelity === undefined ? {} : { fidelity: j.fidelity }),
      ...(j.tag === undefined ? {} : { tag: j.tag as Tag }),
    };
  }

  /** @internal Puts back a state written by {@link state} (used by {@link defineStrategy}'s `restore`). */
  load(data: unknown): void {
    const d = data as Partial<BaseData> | null;
    if (!d || typeof d !== 'object' || !Number.isInteger(d.nextId) || !Array.isArray(d.pending) || !Array.isArray(d.history) || !d.rng)
      throw new StrategyError(`strategy '${this.name}': the saved state's data is not a ${this.name} state`);
    try {
      this.rng = Rng.fromState(d.rng);
      this.nextId = d.nextId as number;
      this.pending.clear();
      this.history.length = 0;
      this.asked.clear();
      for (const j of d.pending) {
        const t = this.trialFrom(j);
        this.pending.set(t.id, t);
        this.asked.add(t.arch.key);
      }
      for (const j of d.history) {
        const t = this.trialFrom(j);
        this.history.push({ ...t, value: j.value === null || j.value === undefined ? Number.NaN : j.value, ...(j.cost === undefined ? {} : { cost: j.cost }) });
        this.asked.add(t.arch.key);
      }
      this.loadOwn(d.own);
    } catch (e) {
      if (e instanceof StrategyError) throw e;
      throw new StrategyError(`strategy '${this.name}': cannot restore the saved state: ${(e as Error).message}`);
    }
  }

  /** A uniformly random architecture not asked before, if one turns up within `tries` draws (else a repeat). */
  protected sampleNew(tries: number): Architecture {
    let a = this.space.sample(this.rng);
    for (let t = 1; t < tries && this.asked.has(a.key); t++) a = this.space.sample(this.rng);
    return a;
  }

  /**
   * The architectures of an `initial` option: texts in the space's text form separated by ';'
   * (empty: none), each checked against the space, at most `max` of them.
   */
  protected parseInitial(option: unknown, max: number, maxName: string): Architecture[] {
    const texts = String(option ?? '').split(';').map((t) => t.trim()).filter((t) => t.length > 0);
    if (texts.length > max) throw this.error(`option 'initial' names ${texts.length} architectures, more than ${maxName} (${max})`);
    return texts.map((t) => {
      try {
        return this.space.parse(t);
      } catch (e) {
        throw this.error(`option 'initial': '${t}' is not an architecture of space '${this.space.name}': ${(e as Error).message}`);
      }
    });
  }

  /** A {@link StrategyError} prefixed with the strategy's name. */
  protected error(message: string): StrategyError {
    return new StrategyError(`strategy '${this.name}': ${message}`);
  }
}

/** What {@link defineStrategy} needs. */
export interface StrategyDefinition {
  readonly name: string;
  readonly description: string;
  readonly options: readonly OptionSpec[];
  readonly multiFidelity?: boolean;
  /** A new strategy (options already checked and complete). */
  make(space: SearchSpace, seed: number, options: Record<string, unknown>): BaseStrategy;
}

/** A factory whose `restore` makes a fresh strategy with the saved seed and options, then loads the saved data. */
export function defineStrategy(def: StrategyDefinition): StrategyFactory {
  return {
    name: def.name,
    description: def.description,
    options: def.options,
    ...(def.multiFidelity ? { multiFidelity: true } : {}),
    create: (space, seed, options) => def.make(space, seed, options),
    restore: (space, state) => {
      const s = def.make(space, state.seed, state.options);
      s.load(state.data);
      return s;
    },
  };
}
