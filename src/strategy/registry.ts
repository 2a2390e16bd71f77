/**
 * The built-in strategies, by name. A new strategy is a file in `strategy/` exporting a
 * {@link StrategyFactory}, plus one import and one entry in `FACTORIES` here.
 * @module
 */
import type { SearchSpace } from '../space/space.js';
import { bananasFactory } from './bananas.js';
import { bohbFactory } from './bohb.js';
import { evolutionFactory } from './evolution.js';
import { gridFactory } from './grid.js';
import { hyperbandFactory } from './hyperband.js';
import { localFactory } from './local.js';
import { randomFactory } from './random.js';
import { reinforceFactory } from './reinforce.js';
import { shFactory } from './sh.js';
import { tpeFactory } from './tpe.js';
import { type OptionSpec, resolveOptions, type Strategy, StrategyError, type StrategyState } from './strategy.js';

/** How a strategy is described, created and restored. */
export interface StrategyFactory {
  readonly name: string;
  readonly description: string;
  readonly options: readonly OptionSpec[];
  /** Whether the strategy asks for fidelities (needs a multi-fidelity estimator). */
  readonly multiFidelity?: boolean;
  /** A new strategy; `options` are already checked and complete. */
  create(space: SearchSpace, seed: number, options: Record<string, unknown>): Strategy;
  /** The strategy that continues from `state` (already checked to be this strategy's and this space's). */
  restore(space: SearchSpace, state: StrategyState): Strategy;
}

const FACTORIES: readonly StrategyFactory[] = [
  randomFactory,
  gridFactory,
  evolutionFactory,
  localFactory,
  tpeFactory,
  shFactory,
  hyperbandFactory,
  bohbFactory,
  reinforceFactory,
  bananasFactory,
];

const byName = (): Map<string, StrategyFactory> => new Map(FACTORIES.map((f) => [f.name, f]));

/** Names of the built-in strategies. */
export function strategyNames(): string[] {
  return FACTORIES.map((f) => f.name);
}

/** The factory named `name`; throws a clear error listing the known ones. */
export function getStrategyFactory(name: string): StrategyFactory {
  const f = byName().get(name);
  if (!f) throw new StrategyError(`unknown strategy '${name}' (known: ${strategyNames().join(', ')})`);
  return f;
}

/** A new strategy over `space`; unknown or out-of-range options throw a {@link StrategyError}. */
export function createStrategy(name: string, space: SearchSpace, seed: number, options: Record<string, unknown> = {}): Strategy {
  if (!Number.isSafeInteger(seed) || seed < 0) throw new StrategyError(`strategy '${name}': seed must be a non-negative integer, got ${seed}`);
  const f = getStrategyFactory(name);
  return f.create(space, seed, resolveOptions(name, f.options, options));
}

/** The strategy that continues from a saved state. */
export function restoreStrategy(space: SearchSpace, state: StrategyState): Strategy {
  if (!state || typeof state !== 'object' || typeof state.strategy !== 'string') throw new StrategyError('not a saved strategy state');
  if (state.space !== space.name) throw new StrategyError(`saved state of strategy '${state.strategy}' is for space '${state.space}', not '${space.name}'`);
  const f = getStrategyFactory(state.strategy);
  return f.restore(space, { ...state, options: resolveOptions(f.name, f.options, state.options) });
}

/** What `loom strategy list --json` prints. */
export function describeStrategies(): { name: string; description: string; multiFidelity: boolean; options: OptionSpec[] }[] {
  return FACTORIES.map((f) => ({ name: f.name, description: f.description, multiFidelity: !!f.multiFidelity, options: [...f.options] }));
}
