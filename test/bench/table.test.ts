import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { BenchmarkTable, BenchmarkTableError } from '../../src/bench/table.js';
import { getSpace } from '../../src/space/registry.js';
import { failed, metrics, writeNb201Csv } from './synthetic.js';

const nb201 = getSpace('nb201');
const tmp = mkdtempSync(join(tmpdir(), 'loom-table-'));
after(() => rmSync(tmp, { recursive: true, force: true }));

const A = '|nor_conv_3x3~0|+|nor_conv_3x3~0|nor_conv_3x3~1|+|skip_connect~0|nor_conv_3x3~1|nor_conv_1x1~2|';
const B = '|nor_conv_1x1~0|+|none~0|skip_connect~1|+|avg_pool_3x3~0|nor_conv_3x3~1|none~2|';
// Isomorphic to each other (skip connections are transparent, so the conv1x1 into node 3 reads
// the same tensor from node 0 or node 1): same canonical form, different cells.
const ISO1 = '|skip_connect~0|+|skip_connect~0|skip_connect~1|+|skip_connect~0|nor_conv_1x1~1|skip_connect~2|';
const ISO2 = '|skip_connect~0|+|skip_connect~0|skip_connect~1|+|nor_conv_1x1~0|skip_connect~1|skip_connect~2|';

function file(name: string, text: string): string {
  const p = join(tmp, name);
  writeFileSync(p, text);
  return p;
}

/** Asserts that loading `text` fails with a BenchmarkTableError matching `re`. */
function rejects(text: string, re: RegExp, name = 'bad.csv'): void {
  const p = file(name, text);
  assert.throws(
    () => BenchmarkTable.load(p, nb201),
    (e: unknown) => {
      assert.ok(e instanceof BenchmarkTableError, String(e));
      assert.equal(e.code, 'LOOM_BAD_DATA');
      assert.match(e.message, re);
      return true;
    },
  );
}

test('the whole NB201 space loads fast, and rows are found by exact key', () => {
  const p = join(tmp, 'nb201.csv');
  writeNb201Csv(p);
  const t0 = performance.now();
  const t = BenchmarkTable.load(p, nb201);
  const ms = performance.now() - t0;
  assert.ok(ms < 3000, `loading 15,625 rows took ${ms.toFixed(0)} ms`);
  assert.equal(t.size, 15625);
  assert.deepEqual(
    t.columns.map((c) => [c.name, c.metric, c.fidelity]),
    [
      ['val@4', 'val', 4],
      ['val@12', 'val', 12],
      ['test@12', 'test', 12],
      ['loss@12', 'loss', 12],
    ],
  );
  assert.deepEqual(t.fidelities('val'), [4, 12]);
  assert.deepEqual(t.fidelities('nope'), []);
  let i = 0;
  for (const a of nb201.enumerate()) {
    if (i % 97 === 0) {
      const m = metrics(a, i);
      assert.equal(t.value(a, 'val@4'), m.val4);
      assert.equal(t.value(a, 'test@12'), m.test12);
      if (failed(i)) assert.ok(Number.isNaN(t.value(a, 'val@12')));
      else assert.equal(t.value(a, 'val@12'), m.val12);
    }
    i++;
  }
  // Failed rows: both the empty and the `nan` cells are NaN; `NaN` too.
  const v = t.columnValues('val@12');
  assert.equal(v.filter(Number.isNaN).length, 15);
  assert.equal(t.columnValues('loss@12').filter(Number.isNaN).length, 15);
  assert.ok(t.has(nb201.parse(A)));
});

test('isomorphic cells are separate rows with their own values (no canonicalisation)', () => {
  assert.ok(nb201.isomorphic(nb201.parse(ISO1), nb201.parse(ISO2)), 'the two test cells are isomorphic');
  const t = BenchmarkTable.parse(`arch,acc\n${ISO1},70.5\n${ISO2},71.25\n`, nb201, 'iso.csv');
  assert.equal(t.value(nb201.parse(ISO1), 'acc'), 70.5);
  assert.equal(t.value(nb201.parse(ISO2), 'acc'), 71.25);
  assert.throws(() => t.value(nb201.parse(A), 'acc'), (e: Error) => e instanceof BenchmarkTableError && e.message.includes(`iso.csv: architecture '${A}' is not in the table (2 rows)`));
});

test('plain metric columns, column order, CRLF, a BOM, blank lines and whitespace', () => {
  const t = BenchmarkTable.parse(`\ufeffacc , arch,loss@1.5\r\n\r\n 0.5 ,${A} ,1e-3\r\n-2,${B},.25\r\n`, nb201);
  assert.deepEqual(
    t.columns.map((c) => [c.name, c.fidelity]),
    [
      ['acc', undefined],
      ['loss@1.5', 1.5],
    ],
  );
  assert.equal(t.value(nb201.parse(A), 'acc'), 0.5);
  assert.equal(t.value(nb201.parse(A), 'loss@1.5'), 0.001);
  assert.equal(t.value(nb201.parse(B), 'acc'), -2);
  assert.equal(t.value(nb201.parse(B), 'loss@1.5'), 0.25);
  assert.throws(() => t.column('acc@12'), /no column 'acc@12' \(columns: acc, loss@1\.5\)/);
  assert.throws(() => t.value(nb201.parse(A), 'nope'), /no column 'nope'/);
});

test('quoted fields: architectures whose text form has commas (DARTS genotypes)', () => {
  const darts = getSpace('darts');
  const g = [darts.sample(1), darts.sample(2)];
  const q = (s: string) => `"${s.replaceAll('"', '""')}"`;
  const t = BenchmarkTable.parse(`arch,acc\n${q(darts.format(g[0]))},93.5\n${q(darts.format(g[1]))},"94"\n`, darts, 'darts.csv');
  assert.equal(t.size, 2);
  assert.equal(t.value(g[0], 'acc'), 93.5);
  assert.equal(t.value(g[1], 'acc'), 94);
  assert.throws(() => BenchmarkTable.parse(`arch,acc\n"${darts.format(g[0])},93.5\n`, darts, 'open.csv'), /open\.csv:2: a quoted field is not closed/);
});

test('strict parsing: clear errors with file, line and column', () => {
  rejects(`acc,val@12\n0.5,0.6\n`, /bad\.csv:1: no 'arch' column in the header \(found: acc, val@12\)/);
  rejects('', /bad\.csv: the table is empty/);
  rejects('arch,acc\n', /bad\.csv: the table has a header but no rows/);
  rejects(`arch,acc,acc\n${A},1,2\n`, /bad\.csv:1: column 3 'acc' repeats column 2/);
  rejects(`arch,acc@0\n${A},1\n`, /bad\.csv:1: column 2 'acc@0' is not 'metric' or 'metric@fidelity'/);
  rejects(`arch,acc@x\n${A},1\n`, /column 2 'acc@x' is not 'metric' or 'metric@fidelity'/);
  rejects(`arch,acc\n${A},1\n${B}\n`, /bad\.csv:3: expected 2 fields, found 1/);
  rejects(`arch,acc\n${A},1\n|nor_conv_9x9~0|+|none~0|none~1|+|none~0|none~1|none~2|,2\n`, /bad\.csv:3: column 1 'arch': not an architecture of space 'nb201': .*unknown op 'nor_conv_9x9'/);
  rejects(`arch,acc\n${A},1\n${B},2\n\n ${A} ,3\n`, new RegExp(`bad\\.csv:5: architecture '${A.replaceAll('|', '\\|').replaceAll('+', '\\+')}' is already on line 2`));
  rejects(`arch,acc,loss@12\n${A},1,0.5\n${B},2,abc\n`, /bad\.csv:3: column 3 'loss@12': 'abc' is not a number/);
  rejects(`arch,acc\n${A},inf\n`, /bad\.csv:2: column 2 'acc': 'inf' is not a number/);
  rejects(`arch,acc\n${A},1.2.3\n`, /'1\.2\.3' is not a number/);
  assert.throws(() => BenchmarkTable.load(join(tmp, 'missing.csv'), nb201), (e: Error) => e instanceof BenchmarkTableError && /missing\.csv: no such file/.test(e.message));
  assert.throws(() => BenchmarkTable.load(tmp, nb201), /is a folder, not a CSV file/);
});

test('empty, nan and NaN cells are failed evaluations (NaN), not errors', () => {
  const t = BenchmarkTable.parse(`arch,a,b,c\n${A},,nan,NaN\n${B}, 1 ,2,3\n`, nb201);
  for (const c of ['a', 'b', 'c']) assert.ok(Number.isNaN(t.value(nb201.parse(A), c)), c);
  assert.deepEqual([...t.columnValues('b')].slice(1), [2]);
});
