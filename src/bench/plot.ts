/**
 * The anytime plot of a benchmark comparison: the incumbent's report value against queries, one
 * line per strategy (the mean over seeds) with a band of ± one standard deviation, drawn by
 * Vega-Lite and rendered to SVG by Vega's headless view (no browser or canvas needed).
 * @module
 */
import { parse, View } from 'vega';
import { compile, type TopLevelSpec } from 'vega-lite';
import type { BenchmarkResult } from './harness.js';

/** Options of {@link anytimePlotSpec} and {@link anytimePlotSvg}. */
export interface PlotOptions {
  /** Title (default: the report column, the table and the number of seeds). */
  title?: string;
  /**
   * The x axis: `queries` (default) or `cost`, the mean cumulative cost over seeds after each
   * query (e.g. training epochs), which puts multi-fidelity strategies on an equal footing.
   */
  x?: 'queries' | 'cost';
  /** Plot area size in pixels (default 640 x 400). */
  width?: number;
  height?: number;
}

/** The Vega-Lite specification of the anytime plot of `results` (one entry per strategy). */
export function anytimePlotSpec(results: readonly BenchmarkResult[], o: PlotOptions = {}): TopLevelSpec {
  if (!results.length) throw new Error('anytime plot: no results to plot');
  const r0 = results[0];
  const byCost = o.x === 'cost';
  const rows: { strategy: string; queries: number; cost: number; mean: number; lo: number; hi: number }[] = [];
  for (const r of results) {
    for (const p of r.curve) {
      if (p.mean === null) continue;
      const sd = p.std ?? 0;
      rows.push({ strategy: r.strategy, queries: p.queries, cost: p.cost, mean: p.mean, lo: p.mean - sd, hi: p.mean + sd });
    }
  }
  const order = results.map((r) => r.strategy);
  // The y range follows the means after the first tenth of the budget (and the bands above them):
  // the first few queries' low incumbents and wide bands would otherwise squash the part where
  // strategies differ. What falls below is clipped.
  const from = Math.max(2, Math.ceil(Math.max(...results.map((r) => r.queries)) / 10));
  const late = rows.filter((d) => d.queries >= from);
  const means = (late.length ? late : rows).map((d) => d.mean);
  const top = Math.max(...rows.map((d) => d.hi));
  const bottom = Math.min(...means);
  const pad = (top - bottom) * 0.03 || 1;
  const x = byCost
    ? { field: 'cost', type: 'quantitative' as const, title: 'cumulative cost (mean over seeds; e.g. epochs)', scale: { domain: [0, Math.max(...rows.map((d) => d.cost))] } }
    : { field: 'queries', type: 'quantitative' as const, title: 'queries (evaluations)', scale: { domain: [1, Math.max(...results.map((r) => r.queries))] } };
  const color = { field: 'strategy', type: 'nominal' as const, title: 'strategy', sort: order };
  const table = r0.table.split(/[\\/]/).pop();
  const seeds = `${r0.seeds} seed${r0.seeds === 1 ? '' : 's'}`;
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title: {
      text: o.title ?? `${r0.report} of the incumbent vs. ${byCost ? 'cost' : 'queries'}`,
      subtitle: `search objective ${r0.objective}${r0.minimize ? ' (minimised)' : ''}; mean ± std over ${seeds}; ${table}`,
      anchor: 'start',
    },
    width: o.width ?? 640,
    height: o.height ?? 400,
    background: 'white',
    config: { legend: { symbolType: 'stroke', symbolStrokeWidth: 3, symbolOpacity: 1 } },
    data: { values: rows },
    encoding: { x },
    layer: [
      {
        mark: { type: 'area', opacity: results.length > 3 ? 0.1 : 0.18, clip: true },
        encoding: {
          y: { field: 'lo', type: 'quantitative', title: `${r0.report} of the incumbent`, scale: { zero: false, domain: rows.length ? [bottom - pad, top + pad] : undefined, nice: true } },
          y2: { field: 'hi' },
          color,
        },
      },
      {
        mark: { type: 'line', strokeWidth: 2, clip: true },
        encoding: { y: { field: 'mean', type: 'quantitative' }, color },
      },
    ],
  };
}

/** The anytime plot of `results` as an SVG document. */
export async function anytimePlotSvg(results: readonly BenchmarkResult[], o: PlotOptions = {}): Promise<string> {
  const vg = compile(anytimePlotSpec(results, o)).spec;
  const view = new View(parse(vg), { renderer: 'none' });
  try {
    return await view.toSVG();
  } finally {
    view.finalize();
  }
}
