import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { assertUsageError, loom, ok } from '../cli/loom.js';

const EXAMPLE = '|nor_conv_3x3~0|+|nor_conv_3x3~0|nor_conv_3x3~1|+|skip_connect~0|nor_conv_3x3~1|nor_conv_1x1~2|';
const ALL3 = '|nor_conv_3x3~0|+|nor_conv_3x3~0|nor_conv_3x3~1|+|nor_conv_3x3~0|nor_conv_3x3~1|nor_conv_3x3~2|';

const tmp = mkdtempSync(join(tmpdir(), 'loom-space-'));
after(() => rmSync(tmp, { recursive: true, force: true }));

test('loom space list and info', () => {
  const list = JSON.parse(ok(['space', 'list', '--json']));
  const nb = list.find((s: { name: string }) => s.name === 'nb201');
  assert.equal(nb.size, 15625);
  assert.equal(nb.unique, 6466);
  assert.match(ok(['space', 'list']), /^nb201 +15,625 +6,466 +NAS-Bench-201/m);
  const info = JSON.parse(ok(['space', 'info', 'nb201', '--json']));
  assert.equal(info.name, 'nb201');
  assert.equal(info.size, 15625);
  assert.equal(info.unique, 6466);
  assert.equal(info.decisions.length, 6);
  assert.deepEqual(info.decisions[0].choices, ['none', 'skip_connect', 'nor_conv_1x1', 'nor_conv_3x3', 'avg_pool_3x3']);
  assert.match(ok(['space', 'info', 'nb201']), /size 15,625 architectures; unique \(non-isomorphic\) 6,466/);
  // The packaged example spaces are listed, and known by name to every command.
  const net = list.find((s: { name: string }) => s.name === 'fmnist-net');
  assert.equal(net.size, 46656);
  assert.match(net.file, /examples[\\/]spaces[\\/]fmnist-net\.json$/);
  assert.match(ok(['space', 'list']), /^fmnist-cnn +746,496 +- +\(example space, JSON\)/m);
  assert.equal(JSON.parse(ok(['space', 'info', 'fmnist-net', '--json'])).decisions.length, 12);
  assertUsageError(loom(['space', 'info', 'fmnist-nett']), /unknown search space 'fmnist-nett' \(known: .*mlp, fmnist-net, fmnist-cnn; or a JSON space's file\)/);
});

test('loom space sample: seeded, text and JSON agree', () => {
  const text = ok(['space', 'sample', 'nb201', '--n', '5', '--seed', '3']).trimEnd().split('\n');
  assert.equal(text.length, 5);
  for (const l of text) assert.match(l, /^\|[a-z_0-9]+~0\|\+\|[a-z_0-9]+~0\|[a-z_0-9]+~1\|\+\|[a-z_0-9]+~0\|[a-z_0-9]+~1\|[a-z_0-9]+~2\|$/);
  assert.deepEqual(ok(['space', 'sample', 'nb201', '--n', '5', '--seed', '3']).trimEnd().split('\n'), text);
  assert.notDeepEqual(ok(['space', 'sample', 'nb201', '--n', '5', '--seed', '4']).trimEnd().split('\n'), text);
  const json = JSON.parse(ok(['space', 'sample', 'nb201', '--n', '5', '--seed', '3', '--json']));
  assert.deepEqual(
    json.map((a: { arch: string }) => a.arch),
    text,
  );
  assert.match(json[0].hash, /^[0-9a-f]{64}$/);
  assert.equal(ok(['space', 'sample', 'nb201']).trimEnd().split('\n').length, 1);
});

test('loom arch stats: params and FLOPs from a cell string or a JSON file', () => {
  const full = JSON.parse(ok(['arch', 'stats', 'nb201', ALL3, '--json']));
  assert.equal(full.params, 1531546);
  assert.equal(full.flops, 220119680);
  const o = JSON.parse(ok(['arch', 'stats', 'nb201', EXAMPLE, '--input', '1x28x28', '--classes', '100', '--channels', '8', '--cells', '2', '--json']));
  assert.deepEqual(o.input, [1, 28, 28]);
  assert.equal(o.arch, EXAMPLE);
  assert.ok(o.params > 0 && o.flops > 0);
  const file = join(tmp, 'arch.json');
  writeFileSync(file, JSON.stringify({ space: 'nb201', values: { '1<-0': 'nor_conv_3x3', '2<-0': 'nor_conv_3x3', '2<-1': 'nor_conv_3x3', '3<-0': 'nor_conv_3x3', '3<-1': 'nor_conv_3x3', '3<-2': 'nor_conv_3x3' } }));
  assert.equal(JSON.parse(ok(['arch', 'stats', 'nb201', file, '--json'])).params, 1531546);
  assert.match(ok(['arch', 'stats', 'nb201', ALL3]), /^params 1,531,546 \(1\.532M\)$/m);
});

test('bad input: one clear line, exit code 2', () => {
  assertUsageError(loom(['space', 'info', 'nb999']), /unknown search space 'nb999' \(known: nb201/);
  assertUsageError(loom(['space', 'sample', 'nope']), /unknown search space 'nope'/);
  assertUsageError(loom(['space', 'sample', 'nb201', '--n', '0']), /'0' is invalid/);
  assertUsageError(loom(['arch', 'stats', 'nb201', '|conv~0|+|none~0|none~1|+|none~0|none~1|none~2|']), /unknown op 'conv'/);
  assertUsageError(loom(['arch', 'stats', 'nb201', '|none~0|+|none~0|none~1|']), /malformed cell string .*found 2 node\(s\)/);
  assertUsageError(loom(['arch', 'stats', 'nb201', ALL3, '--input', '3x30x30']), /multiples of 4/);
  assertUsageError(loom(['arch', 'stats', 'nb201', ALL3, '--input', '3x32']), /expected CxHxW \(an image\) or F/);
  assertUsageError(loom(['arch', 'stats', 'nb201', ALL3, '--channels', '0']), /'0' is invalid/);
  assertUsageError(loom(['arch', 'stats', 'nb201', join(tmp, 'missing.json')]), /missing\.json: no such file/);
  const bad = join(tmp, 'bad.json');
  writeFileSync(bad, '{"space":"nb201","values":{"1<-0":"nor_conv_5x5"}}');
  assertUsageError(loom(['arch', 'stats', 'nb201', bad]), /decision '1<-0': "nor_conv_5x5" is not one of/);
  assertUsageError(loom(['arch', 'stats', 'nb201']), /missing required argument 'arch'/);
});
