/**
 * The ask/tell interface every search strategy implements (Optuna's spine).
 *
 * - `ask(n)` returns up to `n` new trials to evaluate: an architecture and, for multi-fidelity
 *   strategies, the fidelity (e.g. epochs) to evaluate it at. It may return fewer than `n` (none
 *   while a rung waits for results, or when a finite search is exhausted: then `finished()`).
 * - `tell(id, result)` reports one trial's result. `value` is the objective, **higher is better**
 *   (the harness negates a minimised objective); `NaN` marks a failed evaluation, which strategies
 *   treat as the worst possible value and never pick as an incumbent or a parent.
 * - `state()` is plain JSON; `restoreStrategy(state)` (in `registry.ts`) rebuilds a strategy that
 *   continues exactly as the saved one would have: same asks, same random draws.
 *
 * Strategies are seeded and deterministic: the same space, options, seed and sequence of tells
 * give the same sequence of asks on every machine. They never read the clock.
 * @module
 */
import type { Architecture } from '../space/architecture.js';
import type { SearchSpace } from '../space/space.js';

/** One trial a strategy wants evaluated. */
export interface Ask {
  /** Trial id, unique within the strategy (0, 1, 2, ... in ask order). */
  readonly id: number;
  readonly arch: Architecture;
  /** The fidelity (budget, e.g. epochs) to evaluate at; absent means the estimator's full fidelity. */
  readonly fidelity?: number;
  /**
   * The id of the ask this architecture was made from (a mutation's parent), when there is one:
   * an estimator may start the child from the parent's trained weights (weight inheritance).
   */
  readonly parent?: number;
}

/** What an evaluation returned. */
export interface TellResult {
  /** The objective, higher is better; NaN for a failed evaluation. */
  readonly value: number;
  /** What the evaluation cost (e.g. training epochs or seconds), if known. */
  readonly cost?: number;
}

/** One option a strategy accepts (for `loom strategy list` and for checking user input). */
export interface OptionSpec {
  readonly name: string;
  readonly type: 'integer' | 'number' | 'string' | 'boolean' | 'number[]';
  readonly default: unknown;
  readonly description: string;
  /** Inclusive bounds for numbers. */
  readonly min?: number;
  readonly max?: number;
  /** Allowed values for strings. */
  readonly choices?: readonly string[];
}

/** A strategy's saved state: plain JSON. */
export interface StrategyState {
  /** The strategy's registered name. */
  readonly strategy: string;
  /** The space's name (checked on restore). */
  readonly space: string;
  readonly seed: number;
  readonly options: Record<string, unknown>;
  /** Everything else the strategy needs to continue exactly. */
  readonly data: unknown;
}

/** A search strategy. */
export interface Strategy {
  readonly name: string;
  readonly space: SearchSpace;
  /** Up to `n` (default 1) new trials. */
  ask(n?: number): Ask[];
  /** Reports the result of trial `id` (each asked id exactly once). */
  tell(id: number, result: TellResult): void;
  /** True when the strategy has nothing more to ask (e.g. a grid that is exhausted). */
  finished(): boolean;
  /** The saved state (plain JSON). */
  state(): StrategyState;
}

/** Bad input to a strategy (an unknown option, a value out of range, a state of another strategy). */
export class StrategyError extends Error {
  readonly code = 'LOOM_BAD_STRATEGY';
  constructor(message: string) {
    super(message);
    this.name = 'StrategyError';
  }
}

/** Checks user options against the specs and fills in defaults; throws {@link StrategyError}. */
export function resolveOptions(strategy: string, specs: readonly OptionSpec[], given: Record<string, unknown> = {}): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const k of Object.keys(given)) {
    if (!specs.some((s) => s.name === k)) {
      throw new StrategyError(`strategy '${strategy}': unknown option '${k}' (options: ${specs.map((s) => s.name).join(', ') || 'none'})`);
    }
  }
  for (const s of specs) {
    const v = given[s.name] === undefined ? s.default : given[s.name];
    const bad = (why: string) => new StrategyError(`strategy '${strategy}': option '${s.name}' ${why}, got ${JSON.stringify(v)}`);
    if (s.type === 'integer' || s.type === 'number') {
      if (typeof v !== 'number' || !Number.isFinite(v)) throw bad('must be a number');
      if (s.type === 'integer' && !Number.isInteger(v)) throw bad('must be an integer');
      if (s.min !== undefined && v < s.min) throw bad(`must be at least ${s.min}`);
      if (s.max !== undefined && v > s.max) throw bad(`must be at most ${s.max}`);
    } else if (s.type === 'string') {
      if (typeof v !== 'string') throw bad('must be a string');
      if (s.choices && !s.choices.includes(v)) throw bad(`must be one of ${s.choices.join(', ')}`);
    } else if (s.type === 'boolean') {
      if (typeof v !== 'boolean') throw bad('must be true or false');
    } else if (s.type === 'number[]') {
      if (!Array.isArray(v) || !v.every((x) => typeof x === 'number' && Number.isFinite(x))) throw bad('must be a list of numbers');
    }
    out[s.name] = v;
  }
  return out;
}

/** `value` with NaN (a failed trial) mapped to -Infinity, for comparisons. */
export function score(value: number): number {
  return Number.isNaN(value) ? Number.NEGATIVE_INFINITY : value;
}
