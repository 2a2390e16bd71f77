/**
 * Shared pieces of the strategy tests: synthetic NB201 objectives, an ask/tell loop, and the
 * save -> JSON -> restore check every strategy must pass.
 */
import assert from 'node:assert/strict';
import type { Architecture } from '../../src/space/architecture.js';
import { getSpace } from '../../src/space/registry.js';
import type { SearchSpace } from '../../src/space/space.js';
import { createStrategy, restoreStrategy } from '../../src/strategy/registry.js';
import type { Ask, Strategy } from '../../src/strategy/strategy.js';
import { Rng } from '../../src/util/rng.js';

export const nb201 = getSpace('nb201');

/** Per-op scores of the synthetic NB201 objective: convolutions good, `none` bad. */
const OP_SCORE: Record<string, number> = { none: 0, skip_connect: 1, avg_pool_3x3: 1.5, nor_conv_1x1: 3, nor_conv_3x3: 4 };

/** A deterministic pseudo-noise in [-0.5, 0.5) from an architecture's key. */
export function keyNoise(key: string, salt = 0): number {
  let h = 2166136261 ^ salt;
  for (let i = 0; i < key.length; i++) h = Math.imul(h ^ key.charCodeAt(i), 16777619);
  return new Rng(h >>> 0).next() - 0.5;
}

/**
 * The synthetic objective: sum over edges of an op score (edge weights differ so edges matter
 * unequally), plus fixed noise per architecture. Maximum 24 * mean weight plus noise.
 */
export function nb201Objective(arch: Architecture): number {
  let v = 0;
  let i = 0;
  for (const k of Object.keys(arch.values).sort()) v += OP_SCORE[arch.values[k] as string] * (1 + 0.1 * i++);
  return v + 2 * keyNoise(arch.key);
}

/** The best objective value in the whole space (for regret checks). */
export function nb201Best(): number {
  let best = Number.NEGATIVE_INFINITY;
  for (const a of nb201.enumerate()) best = Math.max(best, nb201Objective(a));
  return best;
}

/** Runs `strategy` for `queries` asks (in batches of `batch`), telling `f(ask)`; returns every ask and value. */
export function run(strategy: Strategy, queries: number, f: (a: Ask) => number = (a) => nb201Objective(a.arch), batch = 1): { asks: Ask[]; values: number[] } {
  const asks: Ask[] = [];
  const values: number[] = [];
  let stalls = 0;
  while (asks.length < queries && !strategy.finished()) {
    const got = strategy.ask(Math.min(batch, queries - asks.length));
    if (!got.length) {
      assert.ok(++stalls < 3, `${strategy.name} asked nothing with no results pending`);
      continue;
    }
    stalls = 0;
    for (const a of got) {
      const v = f(a);
      strategy.tell(a.id, { value: v });
      asks.push(a);
      values.push(v);
    }
  }
  return { asks, values };
}

/** The best value of `values` (NaN ignored). */
export function best(values: readonly number[]): number {
  return Math.max(...values.filter((v) => !Number.isNaN(v)));
}

/** A compact trace of asks for equality checks. */
export function trace(asks: readonly Ask[]): string[] {
  return asks.map((a) => `${a.id}:${a.arch.key}${a.fidelity === undefined ? '' : `@${a.fidelity}`}`);
}

/**
 * Runs a strategy `before` queries, saves its state through JSON (with `pending` asks left
 * unanswered at the save), restores it, and checks the restored one makes exactly the same asks
 * as the original over the next `after` queries.
 */
export function checkResume(name: string, space: SearchSpace, options: Record<string, unknown>, f: (a: Ask) => number, before: number, after: number, pending = 2): void {
  const a = createStrategy(name, space, 7, options);
  run(a, before, f);
  const open = a.ask(pending);
  const saved = JSON.parse(JSON.stringify(a.state()));
  const b = restoreStrategy(space, saved);
  assert.deepEqual(b.state(), a.state(), `${name}: the restored state differs`);
  for (const s of [a, b]) for (const o of open) s.tell(o.id, { value: f(o) });
  const ra = run(a, after, f, 3);
  const rb = run(b, after, f, 3);
  assert.ok(ra.asks.length > 0, `${name}: asked nothing after the save`);
  assert.deepEqual(trace(rb.asks), trace(ra.asks), `${name}: the restored strategy asks differently`);
}

/** Same seed, same asks; another seed, other asks. */
export function checkDeterminism(name: string, space: SearchSpace, options: Record<string, unknown>, f: (a: Ask) => number, queries: number): void {
  const t1 = trace(run(createStrategy(name, space, 3, options), queries, f).asks);
  const t2 = trace(run(createStrategy(name, space, 3, options), queries, f).asks);
  const t3 = trace(run(createStrategy(name, space, 4, options), queries, f).asks);
  assert.deepEqual(t1, t2, `${name}: same seed, different asks`);
  assert.notDeepEqual(t1, t3, `${name}: another seed, same asks`);
}

/** Mean of the best value found in `queries` queries over seeds 0..seeds-1. */
export function meanBest(name: string, options: Record<string, unknown>, queries: number, seeds: number, f: (a: Ask) => number = (a) => nb201Objective(a.arch)): number {
  let s = 0;
  for (let seed = 0; seed < seeds; seed++) s += best(run(createStrategy(name, nb201, seed, options), queries, f).values);
  return s / seeds;
}
