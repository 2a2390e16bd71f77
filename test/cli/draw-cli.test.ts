import assert from 'node:assert/strict';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { DARTS_V2, NB201_EXAMPLE as NB201 } from '../space/fixtures.js';
import { assertUsageError, loom } from './loom.js';

const tmp = mkdtempSync(join(tmpdir(), 'loom-draw-'));
after(() => {
  chmodSync(tmp, 0o755);
  rmSync(tmp, { recursive: true, force: true });
});

/** Files in `dir` whose names look like leftover temporary files. */
const leftovers = (dir: string) => readdirSync(dir).filter((f) => f.endsWith('.tmp'));

test('arch draw nb201 -o x.svg writes an SVG of the cell and prints its path', () => {
  const out = join(tmp, 'nb201.svg');
  const r = loom(['arch', 'draw', 'nb201', NB201, '-o', out]);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stdout, `${out}\n`);
  assert.equal(r.stderr, '');
  const svg = readFileSync(out, 'utf8');
  assert.match(svg, /^<\?xml [^>]*\?>\s*<!DOCTYPE svg/);
  assert.match(svg, /<\/svg>\s*$/);
  for (const label of ['nor_conv_3x3', 'nor_conv_1x1', 'skip_connect', 'nb201 cell']) assert.ok(svg.includes(`>${label}</text>`), label);
  assert.deepEqual(leftovers(tmp), []);
});

test('arch draw darts --cell normal -o x.dot writes the normal cell as DOT; an existing file is replaced', () => {
  const out = join(tmp, 'darts.DOT');
  writeFileSync(out, 'old content');
  const r = loom(['arch', 'draw', 'darts', DARTS_V2, '--cell', 'normal', '-o', out]);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stdout, `${out}\n`);
  const dot = readFileSync(out, 'utf8');
  assert.match(dot, /^digraph "darts" \{/);
  assert.equal(dot.match(/\[label="(sep_conv_3x3|skip_connect|dil_conv_3x3)"\]/g)?.length, 8);
  assert.ok(dot.includes('"0" -> "3" [label="dil_conv_3x3"];'));
  assert.ok(!dot.includes('max_pool_3x3'), 'only the normal cell');
});

test('arch draw chain draws the network stack; --network does so for cell spaces, with its options', () => {
  const out = join(tmp, 'chain.dot');
  let r = loom(['arch', 'draw', 'chain', 'conv-3-32-1,sep-5-64-2,max-3-16-2,conv-1-128-1,avg-3-16-1,sep-3-64-1', '-o', out, '--input', '1x28x28']);
  assert.equal(r.code, 0, r.stderr);
  let dot = readFileSync(out, 'utf8');
  assert.ok(dot.includes('"input" [label="input 1x28x28"'));
  assert.ok(dot.includes('"layers.0" -> "layers.1.depthwise";'));
  r = loom(['arch', 'draw', 'nb201', NB201, '--network', '--cells', '1', '--channels', '8', '-o', out]);
  assert.equal(r.code, 0, r.stderr);
  dot = readFileSync(out, 'utf8');
  assert.ok(dot.includes('"group:cell 0" [label="cell 0\\n'), 'cells collapse into boxes');
  assert.ok(dot.includes('8x32x32'), '--channels reaches the network');
  r = loom(['arch', 'draw', 'nb201', NB201, '--network', '--expand', '--cells', '1', '-o', out]);
  assert.equal(r.code, 0, r.stderr);
  assert.ok(readFileSync(out, 'utf8').includes('subgraph "cluster_g0"'));
});

test('arch draw: bad input is one line and exit code 2, and nothing is written', () => {
  const out = join(tmp, 'bad.svg');
  assertUsageError(loom(['arch', 'draw', 'nb201', '|nor_conv_3x3~0|+|bogus~0|none~1|', '-o', out]), /nb201: malformed cell string/);
  assertUsageError(loom(['arch', 'draw', 'darts', 'Genotype(normal=[', '-o', out]), /darts: malformed genotype/);
  assertUsageError(loom(['arch', 'draw', 'nope', NB201, '-o', out]), /unknown search space 'nope'/);
  assertUsageError(loom(['arch', 'draw', 'nb201', NB201, '-o', join(tmp, 'x.png')]), /unknown drawing format '\.png' \(use \.svg or \.dot\)/);
  assertUsageError(loom(['arch', 'draw', 'nb201', NB201, '-o', join(tmp, 'noext')]), /unknown drawing format '\(no extension\)'/);
  assertUsageError(loom(['arch', 'draw', 'nb201', NB201]), /required option '-o, --output <file>'/);
  assertUsageError(loom(['arch', 'draw', 'nb201', NB201, '--cell', 'normal', '-o', out]), /--cell: space 'nb201' has no cell types to pick from/);
  assertUsageError(loom(['arch', 'draw', 'darts', DARTS_V2, '--cell', 'reduction', '-o', out]), /unknown cell 'reduction' \(cells: normal, reduce\)/);
  assertUsageError(loom(['arch', 'draw', 'darts', DARTS_V2, '--cell', 'normal', '--network', '-o', out]), /--cell applies to cell drawings/);
  assertUsageError(loom(['arch', 'draw', 'chain', 'conv-3-32-1,sep-5-64-2,max-3-16-2,conv-1-128-1,avg-3-16-1,sep-3-64-1', '--cell', 'normal', '-o', out]), /--cell: space 'chain' has no cell types/);
  assertUsageError(loom(['arch', 'draw', 'darts', DARTS_V2, '--expand', '-o', out]), /--expand applies to network drawings: add --network/);
  assertUsageError(loom(['arch', 'draw', 'darts', DARTS_V2, '--auxiliary', '--input', '3x64x64', '-o', out]), /--input, --auxiliary apply to network drawings: add --network/);
  assertUsageError(loom(['arch', 'draw', 'nb201', NB201, '--channels', '8', '--cells', '2', '-o', out]), /--channels, --cells apply to network drawings: add --network/);
  assertUsageError(loom(['arch', 'draw', 'nb201', NB201, '--input', '3x30x30', '--network', '-o', out]), /multiples of 4/);
  assert.ok(!existsSync(out));
  assert.deepEqual(leftovers(tmp), []);
});

test('arch draw: an unwritable output path is a clear error and leaves no partial file', () => {
  assertUsageError(loom(['arch', 'draw', 'nb201', NB201, '-o', join(tmp, 'missing', 'x.svg')]), /cannot write .*missing\/x\.svg: its folder does not exist/);
  assert.ok(!existsSync(join(tmp, 'missing')));

  const dir = join(tmp, 'taken.svg');
  mkdirSync(dir);
  assertUsageError(loom(['arch', 'draw', 'nb201', NB201, '-o', dir]), /cannot write .*taken\.svg: it is a folder/);
  assert.deepEqual(readdirSync(dir), []);
  assert.deepEqual(leftovers(tmp), [], 'the temporary file is removed');

  // Permissions do not stop root, so this part only runs for other users.
  if (process.getuid?.() !== 0) {
    const ro = join(tmp, 'readonly');
    mkdirSync(ro);
    chmodSync(ro, 0o555);
    assertUsageError(loom(['arch', 'draw', 'nb201', NB201, '-o', join(ro, 'x.svg')]), /cannot write .*x\.svg: permission denied/);
    assert.deepEqual(readdirSync(ro), []);
  }
});
