/**
 * `loom bench run|compare`: search strategies on a tabular benchmark, over seeds, as NAS-Bench
 * papers compare them. Needs no native addon unless a strategy trains a network (e.g. REINFORCE's
 * controller).
 * @module
 */
import { existsSync, statSync, writeFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { TabularEstimator } from '../../bench/estimator.js';
import { type BenchmarkResult, runBenchmark, type Stat, withTableFidelities } from '../../bench/harness.js';
import { BenchmarkTable } from '../../bench/table.js';
import { getSpace } from '../../space/registry.js';
import type { SearchSpace } from '../../space/space.js';
import { createStrategy, getStrategyFactory, type StrategyFactory } from '../../strategy/registry.js';
import { type OptionSpec, resolveOptions, type Strategy, StrategyError } from '../../strategy/strategy.js';
import { Progress } from '../../util/progress.js';
import { UsageError } from '../errors.js';

const out = (s: string): void => {
  process.stdout.write(`${s}\n`);
};

/** Options shared by `bench run` and `bench compare`. */
export interface BenchOptions {
  space: string;
  table: string;
  objective: string;
  report: string;
  queries: number;
  seeds: number;
  seed: number;
  batch: number;
  /** `key=value` or `strategy.key=value` pairs. */
  option: string[];
  minimize?: boolean;
  quiet?: boolean;
  json?: boolean;
}

/** `bench run`'s options. */
export interface BenchRunOptions extends BenchOptions {
  strategy: string;
}

/** `bench compare`'s options. */
export interface BenchCompareOptions extends BenchOptions {
  /** Comma-separated strategy names. */
  strategies: string;
  /** Where to write the anytime plot (SVG). */
  plot?: string;
  /** The plot's x axis: queries (default) or mean cumulative cost. */
  plotX?: 'queries' | 'cost';
}

/** The factory of strategy `name`; an unknown name is bad input. */
function factory(name: string): StrategyFactory {
  try {
    return getStrategyFactory(name);
  } catch (e) {
    throw new UsageError((e as Error).message);
  }
}

/** Converts a `--option` value to the type its spec declares. */
function convert(spec: OptionSpec | undefined, key: string, raw: string): unknown {
  const bad = (what: string) => new UsageError(`--option ${key}=${raw}: expected ${what}`);
  const num = (s: string): number => {
    const t = s.trim();
    const n = Number(t);
    if (t === '' || !Number.isFinite(n)) throw bad(spec?.type === 'number[]' ? 'a comma-separated list of numbers' : 'a number');
    return n;
  };
  if (!spec) return raw;
  switch (spec.type) {
    case 'integer':
    case 'number':
      return num(raw);
    case 'boolean': {
      const t = raw.trim().toLowerCase();
      if (['true', '1', 'yes', 'on'].includes(t)) return true;
      if (['false', '0', 'no', 'off'].includes(t)) return false;
      throw bad('true or false');
    }
    case 'number[]': {
      const t = raw.trim().replace(/^\[(.*)\]$/, '$1');
      return t === '' ? [] : t.split(',').map(num);
    }
    default:
      return raw;
  }
}

/**
 * Reads `--option` pairs into options per strategy: `key=value` goes to every strategy that has
 * option `key`, `name.key=value` to strategy `name` only. A key no listed strategy has is passed
 * on as text when there is one strategy (which then reports it), and is an error otherwise.
 */
export function strategyOptions(pairs: readonly string[], names: readonly string[]): Map<string, Record<string, unknown>> {
  const specs = new Map(names.map((n) => [n, factory(n).options]));
  const res = new Map(names.map((n) => [n, {} as Record<string, unknown>]));
  for (const pair of pairs) {
    const eq = pair.indexOf('=');
    if (eq <= 0) throw new UsageError(`--option ${pair}: expected key=value (or strategy.key=value)`);
    let key = pair.slice(0, eq).trim();
    const raw = pair.slice(eq + 1);
    let targets = [...names];
    const dot = key.indexOf('.');
    if (dot > 0 && names.includes(key.slice(0, dot))) {
      targets = [key.slice(0, dot)];
      key = key.slice(dot + 1);
    } else if (dot > 0 && names.length > 1) {
      throw new UsageError(`--option ${pair}: '${key.slice(0, dot)}' is not one of the strategies (${names.join(', ')})`);
    }
    const having = targets.filter((n) => (specs.get(n) ?? []).some((s) => s.name === key));
    if (!having.length && targets.length > 1) throw new UsageError(`--option ${pair}: none of ${targets.join(', ')} has an option '${key}' (see loom strategy list)`);
    for (const n of having.length ? having : targets) {
      const spec = (specs.get(n) ?? []).find((s) => s.name === key);
      (res.get(n) as Record<string, unknown>)[key] = convert(spec, key, raw);
    }
  }
  for (const n of names) {
    try {
      resolveOptions(n, specs.get(n) ?? [], res.get(n));
    } catch (e) {
      throw e instanceof StrategyError ? new UsageError(e.message) : e;
    }
  }
  return res;
}

/** The space, table and estimator the options name (bad input throws exit-code-2 errors). */
function setup(o: BenchOptions): { space: SearchSpace; estimator: TabularEstimator } {
  let space: SearchSpace;
  try {
    space = getSpace(o.space);
  } catch (e) {
    throw new UsageError((e as Error).message);
  }
  const table = BenchmarkTable.load(o.table, space);
  const estimator = new TabularEstimator(table, { objective: o.objective, minimize: o.minimize });
  table.column(o.report);
  return { space, estimator };
}

/**
 * A maker of strategy `name` per seed, with its complete options (multi-fidelity strategies get
 * their fidelity range from the table unless given); creates the first one now so that unknown
 * names and bad options fail before any run.
 */
function strategyMaker(name: string, space: SearchSpace, given: Record<string, unknown>, o: BenchOptions, estimator: TabularEstimator): { make: (seed: number) => Strategy; options: Record<string, unknown> } {
  const f = factory(name);
  let options = given;
  let first: Strategy | undefined;
  if (f.multiFidelity) {
    if (estimator.fullFidelity === undefined) {
      throw new UsageError(`strategy '${name}' is multi-fidelity, but the objective '${estimator.objective}' has no fidelity (name the columns metric@fidelity)`);
    }
    options = withTableFidelities(f.options, given, estimator);
    if (estimator.fidelities.length < 2 && !o.quiet) {
      process.stderr.write(`loom: note: the table has only fidelity ${estimator.fullFidelity} of '${estimator.metric}', so ${name}'s lower-fidelity asks read it at full cost\n`);
    }
  }
  try {
    options = resolveOptions(name, f.options, options);
    first = createStrategy(name, space, o.seed, options);
  } catch (e) {
    if (e instanceof StrategyError) throw new UsageError(e.message);
    throw e;
  }
  const make = (seed: number) => {
    if (first && seed === o.seed) {
      const s = first;
      first = undefined;
      return s;
    }
    return createStrategy(name, space, seed, options);
  };
  return { make, options };
}

function runOne(name: string, given: Record<string, unknown>, space: SearchSpace, estimator: TabularEstimator, o: BenchOptions): BenchmarkResult {
  const { make, options } = strategyMaker(name, space, given, o, estimator);
  const bar = new Progress({ total: o.seeds, label: name, unit: 'seed', silent: !!o.quiet || o.seeds < 2 });
  try {
    return runBenchmark({
      strategy: name,
      make,
      options,
      estimator,
      report: o.report,
      queries: o.queries,
      seeds: o.seeds,
      seed: o.seed,
      batch: o.batch,
      onRun: () => bar.tick(),
    });
  } finally {
    bar.done();
  }
}

/** Decimals for a value shown next to a spread `sd`: two significant digits of the spread, at least 2. */
function decimals(x: number, sd: number | null | undefined): number {
  const ref = sd && sd > 0 ? sd : Math.abs(x) < 1 && x !== 0 ? Math.abs(x) : 1;
  return Math.min(6, Math.max(2, 1 - Math.floor(Math.log10(ref))));
}
/** Formats a value for the text tables ('-' when undefined). */
function fmt(x: number | null | undefined, sd?: number | null): string {
  if (x === null || x === undefined || Number.isNaN(x)) return '-';
  return x.toFixed(decimals(x, sd === undefined ? x : sd));
}
const pm = (s: Stat) => (s.mean === null ? '-' : `${fmt(s.mean, s.std)} ± ${fmt(s.std, s.std)}`);
const fmtInt = (n: number) => Math.round(n).toLocaleString('en-US');
const base = (p: string) => p.split(/[\\/]/).pop() ?? p;

/** `loom bench run`: one strategy over seeds; the final report value and the anytime curve. */
export function benchRun(o: BenchRunOptions): void {
  // Strategy names and options are checked first: they fail fast, before the table is read.
  const options = strategyOptions(o.option ?? [], [o.strategy]).get(o.strategy) ?? {};
  const { space, estimator } = setup(o);
  const r = runOne(o.strategy, options, space, estimator, o);
  if (o.json) {
    out(JSON.stringify(r));
    return;
  }
  out(`${r.strategy}: ${r.queries} queries x ${r.seeds} seed${r.seeds === 1 ? '' : 's'} (from seed ${r.seed}${r.batch > 1 ? `, batches of ${r.batch}` : ''}) on ${base(r.table)}`);
  out(`objective ${r.objective} (${r.minimize ? 'minimised' : 'maximised'}), report ${r.report}`);
  out(`final ${r.report}: ${pm(r.final)} (se ${fmt(r.final.se, r.final.se)}, ${r.final.n} seeds); objective ${pm(r.finalObjective)}`);
  const marks = [...new Set([1, 10, 25, 50, 100, 150, 200, 300, 500, 1000, r.queries].filter((q) => q <= r.queries))];
  out(`anytime ${r.report}: ${marks.map((q) => `@${q} ${pm(r.curve[q - 1])}`).join(', ')}`);
  out(`cost ${fmtInt(r.cost.mean)} per seed (${fmtInt(r.cost.total)} in all); ${r.seconds.toFixed(2)} s`);
  const early = r.runs.filter((x) => x.finishedEarly);
  if (early.length) out(`the strategy finished before the budget in ${early.length} of ${r.seeds} seeds (after ${Math.min(...early.map((x) => x.queries))} queries at least)`);
}

/** `loom bench compare`: several strategies on the same seeds; a table of mean ± std and an anytime plot. */
export async function benchCompare(o: BenchCompareOptions): Promise<void> {
  const names = o.strategies
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  if (!names.length) throw new UsageError('--strategies: expected a comma-separated list of strategy names (see loom strategy list)');
  const dup = names.find((n, i) => names.indexOf(n) !== i);
  if (dup) throw new UsageError(`--strategies: '${dup}' is listed twice`);
  for (const n of names) factory(n);
  if (o.plot) {
    const dir = dirname(resolve(o.plot));
    if (!existsSync(dir) || !statSync(dir).isDirectory()) throw new UsageError(`--plot ${o.plot}: folder ${dir} does not exist`);
  }
  const options = strategyOptions(o.option ?? [], names);
  const { space, estimator } = setup(o);
  const results = names.map((n) => runOne(n, options.get(n) ?? {}, space, estimator, o));
  if (o.plot) {
    const { anytimePlotSvg } = await import('../../bench/plot.js');
    const svg = await anytimePlotSvg(results, { x: o.plotX ?? 'queries' });
    try {
      writeFileSync(o.plot, svg);
    } catch (e) {
      throw new UsageError(`--plot ${o.plot}: cannot write it (${(e as Error).message})`);
    }
  }
  if (o.json) {
    const r0 = results[0];
    out(
      JSON.stringify({
        space: r0.space,
        table: r0.table,
        objective: r0.objective,
        report: r0.report,
        minimize: r0.minimize,
        queries: o.queries,
        seeds: o.seeds,
        seed: o.seed,
        batch: o.batch,
        strategies: names,
        results,
        plot: o.plot ?? null,
      }),
    );
    return;
  }
  const r0 = results[0];
  out(`${names.length} strateg${names.length === 1 ? 'y' : 'ies'}, ${o.queries} queries x ${o.seeds} seed${o.seeds === 1 ? '' : 's'} (from seed ${o.seed}) on ${base(r0.table)}; objective ${r0.objective}${r0.minimize ? ' (minimised)' : ''}`);
  const rows = results.map((r) => [r.strategy, pm(r.final), fmt(r.final.se, r.final.se), pm(r.finalObjective), fmtInt(r.cost.mean), r.seconds.toFixed(2)]);
  const head = ['strategy', `${r0.report} (mean ± std)`, 'se', `${r0.objective}`, 'cost/seed', 'seconds'];
  const w = head.map((h, j) => Math.max(h.length, ...rows.map((r) => r[j].length)));
  const line = (cells: string[]) => cells.map((c, j) => (j === 0 ? c.padEnd(w[j]) : c.padStart(w[j]))).join('  ');
  out(line(head));
  for (const r of rows) out(line(r));
  if (o.plot && !o.quiet) process.stderr.write(`loom: wrote the anytime plot to ${o.plot}\n`);
}
