import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { strategyNames } from '../../src/strategy/registry.js';
import { writeNb201Csv } from '../bench/synthetic.js';
import { assertUsageError, loom, ok } from './loom.js';

const A = '|nor_conv_3x3~0|+|nor_conv_3x3~0|nor_conv_3x3~1|+|skip_connect~0|nor_conv_3x3~1|nor_conv_1x1~2|';
const hasRandom = strategyNames().includes('random');
const needsRandom = { skip: !hasRandom && 'random search is not registered yet' };

const tmp = mkdtempSync(join(tmpdir(), 'loom-bench-cli-'));
after(() => rmSync(tmp, { recursive: true, force: true }));
const table = join(tmp, 'nb201-synthetic.csv');
writeNb201Csv(table);
const base = ['--space', 'nb201', '--table', table, '--objective', 'val@12', '--report', 'test@12'];

test('loom strategy list: names, descriptions and options', () => {
  const list = JSON.parse(ok(['strategy', 'list', '--json'])) as { name: string; description: string; multiFidelity: boolean; options: { name: string; type: string; default: unknown; description: string }[] }[];
  assert.deepEqual(
    list.map((s) => s.name),
    strategyNames(),
  );
  for (const s of list) {
    assert.ok(s.description.length > 0, s.name);
    assert.equal(typeof s.multiFidelity, 'boolean');
    for (const o of s.options) assert.ok(o.name && o.type && o.description, `${s.name}.${o.name}`);
  }
  const text = ok(['strategy', 'list']);
  for (const s of list) {
    assert.match(text, new RegExp(`^${s.name}( \\(multi-fidelity\\))?: `, 'm'));
    for (const o of s.options) assert.match(text, new RegExp(`^  ${o.name} +.*default ${JSON.stringify(o.default).replace(/[[\]().*+?^$|\\]/g, '\\$&')} `, 'm'));
  }
});

test('loom bench run --json: final, curve, cost; the same seeds give the same result', needsRandom, () => {
  const args = ['bench', 'run', ...base, '--strategy', 'random', '--queries', '30', '--seeds', '4', '--seed', '2', '--json'];
  const r = JSON.parse(ok(args));
  assert.equal(r.strategy, 'random');
  assert.equal(r.queries, 30);
  assert.equal(r.seeds, 4);
  assert.equal(r.seed, 2);
  assert.equal(r.objective, 'val@12');
  assert.equal(r.report, 'test@12');
  assert.equal(r.final.n, 4);
  assert.ok(r.final.mean > 50 && r.final.std >= 0);
  assert.equal(r.curve.length, 30);
  assert.deepEqual(Object.keys(r.curve[0]).sort(), ['cost', 'mean', 'n', 'queries', 'se', 'std']);
  assert.equal(r.curve[29].mean, r.final.mean);
  assert.deepEqual(
    r.runs.map((x: { seed: number }) => x.seed),
    [2, 3, 4, 5],
  );
  assert.equal(r.cost.mean, 30 * 12);
  assert.equal(typeof r.seconds, 'number');
  const again = JSON.parse(ok(args));
  assert.deepEqual({ ...again, seconds: 0 }, { ...r, seconds: 0 });
  // Options reach the strategy and are recorded.
  const r2 = JSON.parse(ok(['bench', 'run', ...base, '--strategy', 'random', '--queries', '5', '--option', 'dedupe=false', '--json']));
  assert.equal(r2.options.dedupe, false);
  // Text output.
  const text = ok(['bench', 'run', ...base, '--strategy', 'random', '--queries', '30', '--seeds', '4', '--seed', '2', '--quiet']);
  assert.match(text, /^random: 30 queries x 4 seeds \(from seed 2\) on nb201-synthetic\.csv$/m);
  assert.match(text, /^final test@12: \d+\.\d+ ± \d+\.\d+ \(se \d+\.\d+, 4 seeds\)/m);
  assert.match(text, /^cost 360 per seed \(1,440 in all\)/m);
});

test('loom bench run --minimize on a loss column', needsRandom, () => {
  const r = JSON.parse(ok(['bench', 'run', '--space', 'nb201', '--table', table, '--objective', 'loss@12', '--report', 'test@12', '--minimize', '--strategy', 'random', '--queries', '20', '--seeds', '2', '--json']));
  assert.equal(r.minimize, true);
  const max = JSON.parse(ok(['bench', 'run', ...base, '--strategy', 'random', '--queries', '20', '--seeds', '2', '--json']));
  // loss@12 = 100 - val@12, so minimising the loss finds the same incumbents as maximising val.
  assert.deepEqual(r.final, max.final);
  assert.ok(Math.abs(r.finalObjective.mean - (100 - max.finalObjective.mean)) < 1e-9);
});

test('loom bench compare: a table, JSON with every strategy, and an SVG plot', needsRandom, () => {
  const names = strategyNames().filter((n) => n === 'random' || n === 'evolution' || n === 'local').slice(0, 2);
  const plot = join(tmp, 'anytime.svg');
  const text = ok(['bench', 'compare', ...base, '--strategies', names.join(','), '--queries', '25', '--seeds', '3', '--plot', plot]);
  assert.match(text, /^strategy +test@12 \(mean ± std\) +se +val@12 +cost\/seed +seconds$/m);
  for (const n of names) assert.match(text, new RegExp(`^${n} +\\d+\\.\\d+ ± \\d+\\.\\d+ `, 'm'));
  assert.ok(existsSync(plot));
  const svg = readFileSync(plot, 'utf8');
  assert.match(svg, /^<svg /);
  for (const n of names) assert.ok(svg.includes(`>${n}<`), `legend names ${n}`);
  const j = JSON.parse(ok(['bench', 'compare', ...base, '--strategies', names.join(','), '--queries', '25', '--seeds', '3', '--json']));
  assert.deepEqual(j.strategies, names);
  assert.deepEqual(
    j.results.map((r: { strategy: string }) => r.strategy),
    names,
  );
  assert.equal(j.plot, null);
  // The same seeds as bench run: the random entry equals a bench run of it.
  const run = JSON.parse(ok(['bench', 'run', ...base, '--strategy', 'random', '--queries', '25', '--seeds', '3', '--json']));
  assert.deepEqual({ ...j.results[0], seconds: 0 }, { ...run, seconds: 0 });
});

const multiFidelity = strategyNames().find((n) => n === 'sh' || n === 'hyperband' || n === 'bohb');

test('multi-fidelity strategies: the fidelity range comes from the table; low-fidelity queries cost less', { skip: !multiFidelity && 'no multi-fidelity strategy is registered yet' }, () => {
  const name = multiFidelity as string;
  const r = JSON.parse(ok(['bench', 'run', ...base, '--strategy', name, '--queries', '60', '--seeds', '2', '--json']));
  assert.equal(r.options.maxFidelity, 12);
  assert.equal(r.options.minFidelity, 4);
  assert.equal(r.curve.length, 60);
  assert.ok(r.cost.mean < 60 * 12, `cost ${r.cost.mean} below full-fidelity search`);
  assert.ok(r.cost.mean >= 60 * 4);
  assert.equal(r.final.n, 2, 'some evaluations reached full fidelity');
  // Given options win.
  const r2 = JSON.parse(ok(['bench', 'run', ...base, '--strategy', name, '--queries', '20', '--option', 'minFidelity=1', '--json']));
  assert.equal(r2.options.minFidelity, 1);
  // An objective without fidelity cannot serve a multi-fidelity strategy.
  const plain = join(tmp, 'plain.csv');
  writeFileSync(plain, `arch,acc\n${A},80\n`);
  assertUsageError(loom(['bench', 'run', '--space', 'nb201', '--table', plain, '--objective', 'acc', '--report', 'acc', '--strategy', name, '--queries', '5']), new RegExp(`strategy '${name}' is multi-fidelity, but the objective 'acc' has no fidelity`));
});

test('bad input: one clear line, exit code 2', () => {
  // Errors found before the table is read use the big table; the others a two-row one.
  const run = (extra: string[]) => loom(['bench', 'run', ...base, '--queries', '5', ...extra]);
  const tiny = join(tmp, 'tiny.csv');
  writeFileSync(tiny, `arch,val@4,val@12,test@12,loss@12\n${A},1,2,3,4\n`);
  assertUsageError(run(['--strategy', 'nope']), /unknown strategy 'nope' \(known: /);
  assertUsageError(loom(['bench', 'run', '--space', 'nb999', '--table', tiny, '--objective', 'val@12', '--report', 'test@12', '--strategy', 'random', '--queries', '5']), /unknown search space 'nb999'/);
  assertUsageError(loom(['bench', 'run', '--space', 'nb201', '--table', join(tmp, 'none.csv'), '--objective', 'val@12', '--report', 'test@12', '--strategy', 'random', '--queries', '5']), /none\.csv: no such file/);
  assertUsageError(loom(['bench', 'run', '--space', 'nb201', '--table', tiny, '--objective', 'val@13', '--report', 'test@12', '--strategy', 'random', '--queries', '5']), /no column 'val@13' \(columns: val@4, val@12, test@12, loss@12\)/);
  assertUsageError(loom(['bench', 'run', '--space', 'nb201', '--table', tiny, '--objective', 'val@12', '--report', 'acc', '--strategy', 'random', '--queries', '5']), /no column 'acc'/);
  assertUsageError(run(['--strategy', 'random', '--queries', '0']), /queries.*expected an integer/);
  assertUsageError(loom(['bench', 'run', ...base, '--strategy', 'random']), /required option .*--queries/);
  assertUsageError(run(['--strategy', 'random', '--option', 'nonsense']), /--option nonsense: expected key=value/);
  assertUsageError(loom(['bench', 'compare', ...base, '--queries', '5', '--strategies', 'random,random']), /'random' is listed twice/);
  assertUsageError(loom(['bench', 'compare', ...base, '--queries', '5', '--strategies', 'random', '--plot', join(tmp, 'no', 'dir', 'x.svg')]), /--plot .*does not exist/);
  if (hasRandom) {
    assertUsageError(run(['--strategy', 'random', '--option', 'foo=1']), /strategy 'random': unknown option 'foo'/);
    assertUsageError(run(['--strategy', 'random', '--option', 'dedupe=maybe']), /--option dedupe=maybe: expected true or false/);
  }
  // A table with a malformed cell, and one that lacks architectures the strategy asks for.
  const bad = join(tmp, 'bad.csv');
  writeFileSync(bad, `arch,val@12,test@12\n${A},80,x\n`);
  assertUsageError(loom(['bench', 'run', '--space', 'nb201', '--table', bad, '--objective', 'val@12', '--report', 'test@12', '--strategy', 'random', '--queries', '5']), /bad\.csv:2: column 3 'test@12': 'x' is not a number/);
  if (hasRandom) {
    const partial = join(tmp, 'partial.csv');
    writeFileSync(partial, `arch,val@12,test@12\n${A},80,79\n`);
    assertUsageError(loom(['bench', 'run', '--space', 'nb201', '--table', partial, '--objective', 'val@12', '--report', 'test@12', '--strategy', 'random', '--queries', '5']), /partial\.csv: architecture '\|.*\|' is not in the table \(1 row\)/);
  }
});
