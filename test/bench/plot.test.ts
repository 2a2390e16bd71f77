import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { BenchmarkResult, CurvePoint } from '../../src/bench/harness.js';
import { anytimePlotSpec, anytimePlotSvg } from '../../src/bench/plot.js';

function result(strategy: string, base: number): BenchmarkResult {
  const curve: CurvePoint[] = Array.from({ length: 20 }, (_, i) => ({ queries: i + 1, mean: i === 0 ? null : base + i, std: i === 0 ? null : 1, se: null, n: i === 0 ? 0 : 5, cost: (i + 1) * 12 }));
  const stat = { mean: base + 19, std: 1, se: 0.4, n: 5 };
  return {
    strategy,
    options: {},
    space: 'nb201',
    table: '/tmp/some/dir/bench.csv',
    objective: 'val@12',
    report: 'test@12',
    minimize: false,
    queries: 20,
    seeds: 5,
    seed: 0,
    batch: 1,
    final: stat,
    finalObjective: stat,
    curve,
    cost: { total: 1200, mean: 240, std: 0 },
    runs: [],
    seconds: 0.1,
  };
}

test('the plot spec: a band and a line per strategy, from the curves', () => {
  const spec = anytimePlotSpec([result('random', 50), result('evolution', 60)]) as unknown as {
    data: { values: { strategy: string; queries: number; cost: number; mean: number; lo: number; hi: number }[] };
    encoding: { x: { field: string } };
    layer: { mark: { type: string } }[];
    title: { text: string; subtitle: string };
  };
  assert.deepEqual(
    spec.layer.map((l) => l.mark.type),
    ['area', 'line'],
  );
  const rows = spec.data.values;
  assert.equal(rows.length, 38, 'the first query (no incumbent yet) is left out');
  assert.deepEqual(rows[0], { strategy: 'random', queries: 2, cost: 24, mean: 51, lo: 50, hi: 52 });
  assert.equal(spec.encoding.x.field, 'queries');
  assert.equal(rows.at(-1)?.strategy, 'evolution');
  assert.match(spec.title.text, /test@12 of the incumbent/);
  assert.match(spec.title.subtitle, /val@12; mean ± std over 5 seeds; bench\.csv/);
  assert.throws(() => anytimePlotSpec([]), /no results/);
});

test('the plot renders to SVG headlessly, with axis titles and a legend', async () => {
  const svg = await anytimePlotSvg([result('random', 50), result('evolution', 60)]);
  assert.match(svg, /^<svg [^>]*xmlns="http:\/\/www\.w3\.org\/2000\/svg"/);
  assert.match(svg, /<\/svg>$/);
  for (const text of ['queries (evaluations)', 'test@12 of the incumbent', 'random', 'evolution', 'strategy']) assert.ok(svg.includes(`>${text}<`), `SVG has the text '${text}'`);
  // Two bands and two lines: paths with fill (area) and stroke (line) per strategy.
  assert.ok((svg.match(/class="mark-area/g) ?? []).length >= 1);
  assert.ok((svg.match(/class="mark-line/g) ?? []).length >= 1);
  assert.equal((svg.match(/<path [^>]*aria-roledescription="area mark"/g) ?? []).length, 2);
  assert.equal((svg.match(/<path [^>]*aria-roledescription="line mark"/g) ?? []).length, 2);
});

test('the plot against cost', async () => {
  const spec = anytimePlotSpec([result('random', 50)], { x: 'cost' }) as unknown as { encoding: { x: { field: string; scale: { domain: number[] } } }; title: { text: string } };
  assert.equal(spec.encoding.x.field, 'cost');
  assert.deepEqual(spec.encoding.x.scale.domain, [0, 240]);
  assert.match(spec.title.text, /vs\. cost$/);
  const svg = await anytimePlotSvg([result('random', 50)], { x: 'cost' });
  assert.ok(svg.includes('>cumulative cost (mean over seeds; e.g. epochs)<'));
});
