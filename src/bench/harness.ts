/**
 * The benchmark harness: runs a strategy against a tabular estimator with a query budget, over
 * several seeds, the way NAS-Bench papers compare strategies.
 *
 * Each `tell` is one query. The incumbent is the best objective among evaluations at full
 * fidelity (a lower-fidelity result never becomes the incumbent; the NAS-Bench protocol for
 * multi-fidelity strategies); ties keep the earlier one, failed (NaN) evaluations never count.
 * After every query the harness records the incumbent's value in a separate report column (e.g.
 * test accuracy while searching on validation accuracy) and the cumulative cost. Seeds are
 * `seed, seed + 1, ...`; the result aggregates the report value at the end (`final`) and after
 * each query (`curve`) as mean and sample standard deviation over the seeds.
 *
 * Everything is synchronous and reads no clock except for `seconds`: the same inputs give the
 * same result.
 * @module
 */
import type { SearchSpace } from '../space/space.js';
import type { OptionSpec, Strategy } from '../strategy/strategy.js';
import type { TabularEstimator } from './estimator.js';

/** A strategy that misbehaves under the harness (asks too much, or stalls). */
export class HarnessError extends Error {
  readonly code = 'LOOM_HARNESS';
  constructor(message: string) {
    super(message);
    this.name = 'HarnessError';
  }
}

/** Options of one run. */
export interface RunOptions {
  /** Query budget: the run stops after this many tells (or earlier when the strategy is finished). */
  queries: number;
  /** The column reported for the incumbent (e.g. `c10_test_acc@12`). */
  report: string;
  /** Trials asked at once, as for parallel workers: `ask(batch)`, then all of them are told (default 1). */
  batch?: number;
}

/** The incumbent of a run. */
export interface Incumbent {
  /** The architecture in the space's text form. */
  arch: string;
  /** Its objective at full fidelity, as recorded (not negated). */
  objective: number;
  /** Its value in the report column. */
  report: number;
  /** The query (1-based) that found it. */
  query: number;
}

/** One seed's run. */
export interface RunTrace {
  seed: number;
  /** Queries made (less than the budget when the strategy finished early). */
  queries: number;
  /** The final incumbent (null when no full-fidelity evaluation succeeded). */
  incumbent: Incumbent | null;
  /** After query i+1: the incumbent's report value (NaN while there is none). */
  report: number[];
  /** After query i+1: the incumbent's objective (NaN while there is none). */
  objective: number[];
  /** After query i+1: the cumulative cost. */
  cost: number[];
  /** Whether the strategy said it was finished before the budget was spent. */
  finishedEarly: boolean;
}

/**
 * Runs `strategy` for at most `o.queries` queries against `estimator`; throws a
 * {@link HarnessError} when the strategy returns no asks while it is not finished (nothing is ever
 * pending between asks, so it would never ask again), or more asks than requested.
 */
export function runStrategy(strategy: Strategy, estimator: TabularEstimator, seed: number, o: RunOptions): RunTrace {
  const batch = o.batch ?? 1;
  if (!Number.isSafeInteger(o.queries) || o.queries < 1) throw new HarnessError(`queries must be an integer >= 1, got ${o.queries}`);
  if (!Number.isSafeInteger(batch) || batch < 1) throw new HarnessError(`batch must be an integer >= 1, got ${batch}`);
  const table = estimator.table;
  table.column(o.report);
  const space: SearchSpace = strategy.space;
  const trace: RunTrace = { seed, queries: 0, incumbent: null, report: [], objective: [], cost: [], finishedEarly: false };
  let best = Number.NEGATIVE_INFINITY;
  let cost = 0;
  while (trace.queries < o.queries) {
    if (strategy.finished()) {
      trace.finishedEarly = true;
      break;
    }
    const want = Math.min(batch, o.queries - trace.queries);
    const asks = strategy.ask(want);
    if (asks.length > want) throw new HarnessError(`strategy '${strategy.name}' returned ${asks.length} asks for ask(${want})`);
    if (asks.length === 0) {
      if (strategy.finished()) {
        trace.finishedEarly = true;
        break;
      }
      throw new HarnessError(`strategy '${strategy.name}' (seed ${seed}) returned no asks after ${trace.queries} queries with nothing pending and is not finished`);
    }
    // Evaluate the whole batch first (as parallel workers would), then tell the results in ask order.
    const results = asks.map((a) => estimator.evaluate(a));
    for (let i = 0; i < asks.length; i++) {
      const r = results[i];
      strategy.tell(asks[i].id, { value: r.value, cost: r.cost });
      trace.queries++;
      cost += r.cost;
      if (r.full && !Number.isNaN(r.value) && r.value > best) {
        best = r.value;
        trace.incumbent = { arch: space.format(asks[i].arch), objective: r.objective, report: table.value(asks[i].arch, o.report), query: trace.queries };
      }
      trace.report.push(trace.incumbent ? trace.incumbent.report : Number.NaN);
      trace.objective.push(trace.incumbent ? trace.incumbent.objective : Number.NaN);
      trace.cost.push(cost);
    }
  }
  return trace;
}

/**
 * Fidelity options for a multi-fidelity strategy, filled in from the table where the user gave
 * none: `maxFidelity` is the objective's fidelity, and `minFidelity` the metric's smallest
 * recorded fidelity (lowered to `maxFidelity / eta` when that is smaller, so that the strategy has
 * two rungs at least). Only options the strategy declares (`specs`) are filled; the returned
 * object is a copy of `given` with them added.
 */
export function withTableFidelities(specs: readonly OptionSpec[], given: Record<string, unknown>, estimator: TabularEstimator): Record<string, unknown> {
  const out = { ...given };
  const has = (name: string) => specs.some((s) => s.name === name);
  const full = estimator.fullFidelity;
  if (full === undefined) return out;
  if (has('maxFidelity') && out.maxFidelity === undefined) out.maxFidelity = full;
  const max = typeof out.maxFidelity === 'number' ? out.maxFidelity : full;
  if (has('minFidelity') && out.minFidelity === undefined) {
    const etaSpec = specs.find((s) => s.name === 'eta');
    const eta = typeof out.eta === 'number' ? out.eta : typeof etaSpec?.default === 'number' ? etaSpec.default : 3;
    out.minFidelity = Math.min(estimator.fidelities[0] ?? max, max / eta);
  }
  return out;
}

/** Mean and sample standard deviation (n - 1; 0 for one value) of the non-NaN values, and their count. */
export interface Stat {
  /** null when no value is defined. */
  mean: number | null;
  std: number | null;
  /** Standard error of the mean (std / sqrt(n)). */
  se: number | null;
  /** How many values (seeds) were defined. */
  n: number;
}

/** {@link Stat} of `xs`, ignoring NaN. */
export function stat(xs: readonly number[]): Stat {
  const v = xs.filter((x) => !Number.isNaN(x));
  const n = v.length;
  if (!n) return { mean: null, std: null, se: null, n: 0 };
  const mean = v.reduce((a, b) => a + b, 0) / n;
  const std = n > 1 ? Math.sqrt(v.reduce((a, b) => a + (b - mean) ** 2, 0) / (n - 1)) : 0;
  return { mean, std, se: std / Math.sqrt(n), n };
}

/** One point of the anytime curve: the report value's statistics over seeds after `queries` queries. */
export interface CurvePoint extends Stat {
  queries: number;
  /** Mean cumulative cost over seeds after `queries` queries. */
  cost: number;
}

/** What {@link runBenchmark} returns (and `loom bench run --json` prints). */
export interface BenchmarkResult {
  strategy: string;
  options: Record<string, unknown>;
  space: string;
  table: string;
  objective: string;
  report: string;
  minimize: boolean;
  /** The query budget per seed. */
  queries: number;
  /** Number of seeds. */
  seeds: number;
  /** The first seed (the others follow it). */
  seed: number;
  batch: number;
  /** The report value of the final incumbent, over seeds. */
  final: Stat;
  /** The objective of the final incumbent, over seeds. */
  finalObjective: Stat;
  /** After each query count 1..queries (a run that finished early keeps its last incumbent). */
  curve: CurvePoint[];
  /** Cumulative cost per seed at its end. */
  cost: { total: number; mean: number; std: number };
  /** Each seed's end: its queries, cost and incumbent. */
  runs: { seed: number; queries: number; cost: number; finishedEarly: boolean; incumbent: Incumbent | null }[];
  /** Wall-clock seconds for all seeds. */
  seconds: number;
}

/** What {@link runBenchmark} needs. */
export interface BenchmarkSpec extends RunOptions {
  /** The strategy's name (as registered) or a label for `make`. */
  strategy: string;
  /** Makes a fresh strategy for a seed. */
  make: (seed: number) => Strategy;
  /** The strategy's options, for the record. */
  options?: Record<string, unknown>;
  estimator: TabularEstimator;
  /** Number of seeds (runs). */
  seeds: number;
  /** First seed (default 0). */
  seed?: number;
  /** Called after each seed's run (e.g. to advance a progress bar). */
  onRun?: (trace: RunTrace) => void;
}

/** Aggregates traces into curve points 1..queries, carrying each run's last value past its end. */
export function aggregate(traces: readonly RunTrace[], queries: number): CurvePoint[] {
  const curve: CurvePoint[] = [];
  const last = (xs: number[], q: number, empty: number) => (xs.length === 0 ? empty : xs[Math.min(q, xs.length) - 1]);
  for (let q = 1; q <= queries; q++) {
    const s = stat(traces.map((t) => last(t.report, q, Number.NaN)));
    const cost = traces.reduce((a, t) => a + last(t.cost, q, 0), 0) / Math.max(1, traces.length);
    curve.push({ queries: q, ...s, cost });
  }
  return curve;
}

/** Runs a strategy over `spec.seeds` seeds and aggregates the runs (see the module's documentation). */
export function runBenchmark(spec: BenchmarkSpec): BenchmarkResult {
  if (!Number.isSafeInteger(spec.seeds) || spec.seeds < 1) throw new HarnessError(`seeds must be an integer >= 1, got ${spec.seeds}`);
  const first = spec.seed ?? 0;
  const t0 = performance.now();
  const traces: RunTrace[] = [];
  for (let i = 0; i < spec.seeds; i++) {
    const seed = first + i;
    const trace = runStrategy(spec.make(seed), spec.estimator, seed, spec);
    traces.push(trace);
    spec.onRun?.(trace);
  }
  const seconds = (performance.now() - t0) / 1000;
  const ends = traces.map((t) => (t.cost.length ? t.cost[t.cost.length - 1] : 0));
  const costStat = stat(ends);
  const est = spec.estimator;
  return {
    strategy: spec.strategy,
    options: spec.options ?? {},
    space: est.table.space.name,
    table: est.table.source,
    objective: est.objective,
    report: spec.report,
    minimize: est.minimize,
    queries: spec.queries,
    seeds: spec.seeds,
    seed: first,
    batch: spec.batch ?? 1,
    final: stat(traces.map((t) => (t.incumbent ? t.incumbent.report : Number.NaN))),
    finalObjective: stat(traces.map((t) => (t.incumbent ? t.incumbent.objective : Number.NaN))),
    curve: aggregate(traces, spec.queries),
    cost: { total: ends.reduce((a, b) => a + b, 0), mean: costStat.mean ?? 0, std: costStat.std ?? 0 },
    runs: traces.map((t, i) => ({ seed: t.seed, queries: t.queries, cost: ends[i], finishedEarly: t.finishedEarly, incumbent: t.incumbent })),
    seconds,
  };
}
