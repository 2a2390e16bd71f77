/**
 * `npm run bench:strategies`: each registered strategy's own overhead, `ask` + `tell` time per
 * query once it holds 300 observations (the figure: the BO strategies must stay under
 * 200 ms per query).
 *
 * On NB201 with a synthetic objective (a fixed score per op and edge plus a hash of the cell, so
 * no table is needed), each strategy first takes 300 observations (asked and told in order, as
 * the harness does), then the next `--queries` ask(1) + tell pairs are timed one by one. Prints a
 * table (mean, median and max wall-clock ms per query, and process CPU ms per query: all threads,
 * so it includes background work, but it stays meaningful on a busy machine); `--json` prints one
 * JSON line per strategy instead.
 * Multi-fidelity strategies are told the same objective at every fidelity. A strategy that fails
 * (e.g. one that needs the native addon when it is not built) gets an `error` row.
 *
 * Options: --observations 300  --queries 20  --strategies a,b,c  --seed 0  --json
 */
import { parseArgs } from 'node:util';
import type { Architecture } from '../src/space/architecture.js';
import { getSpace } from '../src/space/registry.js';
import { createStrategy, describeStrategies } from '../src/strategy/registry.js';
import type { Strategy } from '../src/strategy/strategy.js';

const { values: args } = parseArgs({
  options: {
    observations: { type: 'string', default: '300' },
    queries: { type: 'string', default: '20' },
    strategies: { type: 'string' },
    seed: { type: 'string', default: '0' },
    json: { type: 'boolean', default: false },
  },
});
const observations = Number(args.observations);
const queries = Number(args.queries);
const seed = Number(args.seed);
for (const [k, v] of [
  ['observations', observations],
  ['queries', queries],
  ['seed', seed],
] as const) {
  if (!Number.isSafeInteger(v) || v < (k === 'queries' ? 1 : 0)) {
    console.error(`bench: --${k} must be a non-negative integer${k === 'queries' ? ' >= 1' : ''}`);
    process.exit(2);
  }
}

/** Strategies held to the 200 ms per query (model-based: Bayesian optimisation). */
const BO = new Set(['tpe', 'bohb', 'bananas', 'gp', 'bo']);
const LIMIT_MS = 200;

const space = getSpace('nb201');
const WEIGHT: Record<string, number> = { none: 0, skip_connect: 0.3, avg_pool_3x3: 0.4, nor_conv_1x1: 0.7, nor_conv_3x3: 1 };

/** The synthetic objective: op weights by edge plus a deterministic hash of the cell, about 50..95. */
function objective(arch: Architecture): number {
  let s = 0;
  let h = 0x811c9dc5;
  Object.keys(arch.values)
    .sort()
    .forEach((k, j) => {
      const op = String(arch.values[k]);
      s += (WEIGHT[op] ?? 0) * (1 + j / 6);
      for (let i = 0; i < op.length; i++) h = Math.imul(h ^ op.charCodeAt(i), 0x01000193);
      h = Math.imul(h ^ j, 0x01000193);
    });
  return 50 + 6 * s + 4 * ((h >>> 0) / 4294967296);
}

/** Asks one and tells it; throws when the strategy stalls. Returns false when it is finished. */
function step(s: Strategy): boolean {
  if (s.finished()) return false;
  const [a] = s.ask(1);
  if (!a) {
    if (s.finished()) return false;
    throw new Error(`strategy '${s.name}' returned no ask with nothing pending`);
  }
  s.tell(a.id, { value: objective(a.arch), cost: a.fidelity ?? 1 });
  return true;
}

interface Row {
  strategy: string;
  observations: number;
  queries: number;
  mean_ms: number | null;
  median_ms: number | null;
  max_ms: number | null;
  /** Process CPU time (user + system) per timed query: meaningful on a busy machine, where wall time is not. */
  cpu_ms: number | null;
  warmup_s: number | null;
  limit_ms: number | null;
  error?: string;
}

const names = args.strategies
  ? args.strategies
      .split(',')
      .map((x) => x.trim())
      .filter(Boolean)
  : describeStrategies().map((d) => d.name);
const rows: Row[] = [];
for (const name of names) {
  const row: Row = { strategy: name, observations, queries, mean_ms: null, median_ms: null, max_ms: null, cpu_ms: null, warmup_s: null, limit_ms: BO.has(name) ? LIMIT_MS : null };
  try {
    const s = createStrategy(name, space, seed);
    const t0 = performance.now();
    let held = 0;
    while (held < observations && step(s)) held++;
    row.warmup_s = (performance.now() - t0) / 1000;
    row.observations = held;
    const times: number[] = [];
    const cpu0 = process.cpuUsage();
    for (let i = 0; i < queries; i++) {
      const t = performance.now();
      if (!step(s)) break;
      times.push(performance.now() - t);
    }
    row.queries = times.length;
    const cpu = process.cpuUsage(cpu0);
    if (times.length) {
      const sorted = [...times].sort((a, b) => a - b);
      row.mean_ms = times.reduce((a, b) => a + b, 0) / times.length;
      row.median_ms = sorted[Math.floor((sorted.length - 1) / 2)];
      row.max_ms = sorted[sorted.length - 1];
      row.cpu_ms = (cpu.user + cpu.system) / 1000 / times.length;
    }
  } catch (e) {
    row.error = (e as Error).message;
  }
  rows.push(row);
  if (args.json) console.log(JSON.stringify({ bench: 'strategy-overhead', ...row }));
}

if (!args.json) {
  const f = (x: number | null) => (x === null ? '-' : x < 10 ? x.toFixed(3) : x.toFixed(1));
  const table = rows.map((r) => [
    r.strategy,
    String(r.observations),
    f(r.mean_ms),
    f(r.median_ms),
    f(r.max_ms),
    f(r.cpu_ms),
    r.warmup_s === null ? '-' : r.warmup_s.toFixed(2),
    r.error ? `error: ${r.error}` : r.limit_ms === null ? '' : r.mean_ms !== null && r.mean_ms < r.limit_ms ? `< ${r.limit_ms} ms: ok` : `OVER ${r.limit_ms} ms`,
  ]);
  const head = ['strategy', 'observations', 'ms/query (mean)', 'median', 'max', 'cpu ms/query', 'warm-up s', 'note'];
  const w = head.map((h, j) => Math.max(h.length, ...table.map((r) => r[j].length)));
  const line = (c: string[]) =>
    c
      .map((x, j) => (j === 0 || j === c.length - 1 ? x.padEnd(w[j]) : x.padStart(w[j])))
      .join('  ')
      .trimEnd();
  console.log(`ask + tell per query on nb201 (synthetic objective), after ${observations} observations; ${queries} timed queries each`);
  console.log(line(head));
  for (const r of table) console.log(line(r));
}
