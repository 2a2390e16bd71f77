import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { FASHION_MNIST_DIR } from '../../src/data/fashion-mnist.js';
import { getSpace } from '../../src/space/registry.js';
import { assertUsageError, loom } from './loom.js';

const dir = mkdtempSync(join(tmpdir(), 'loom-oneshot-cli-'));
process.on('exit', () => rmSync(dir, { recursive: true, force: true }));
const haveData = existsSync(join(FASHION_MNIST_DIR, 'train-images-idx3-ubyte.gz'));
const TINY = ['--channels', '4', '--cells', '1', '--epochs', '1', '--train-limit', '200', '--batch-size', '32', '--threads', '1'];

test('loom oneshot: bad input is one line and exit code 2', () => {
  assertUsageError(loom(['oneshot', '--space', 'nb201']), /required option '--method <name>' not specified/);
  assertUsageError(loom(['oneshot', '--method', 'magic']), /argument 'magic' is invalid\. Allowed choices are darts, darts2, gdas, enas, spos, random-ws/);
  assertUsageError(loom(['oneshot', '--method', 'gdas', '--remedy', 'darts-', '--out', join(dir, 'x')]), /--remedy darts- applies to --method darts or darts2, not gdas/);
  assertUsageError(loom(['oneshot', '--method', 'darts', '--space', 'chain', ...TINY, '--out', join(dir, 'x')]), /no supernet for space 'chain' \(supernets exist for: nb201, darts\)/);
  assertUsageError(loom(['oneshot', '--method', 'darts', '--channels', '0']), /--channels <c>.*expected an integer >= 1/);
});

test('loom oneshot end to end: DARTS with the remedy on a tiny NB201 supernet, then GDAS retrained', { skip: haveData ? false : 'needs dataset-fashion-mnist', timeout: 600_000 }, () => {
  const out = join(dir, 'darts');
  const r = loom(['oneshot', '--method', 'darts', '--remedy', 'darts-', ...TINY, '--no-retrain', '--out', out, '--json'], 300_000);
  assert.equal(r.code, 0, r.stderr);
  const res = JSON.parse(r.stdout);
  assert.equal(res.method, 'darts');
  assert.equal(res.settings.remedy, 'darts-');
  assert.equal(res.retrain, null);
  assert.equal(res.history.length, 1);
  assert.ok(res.history[0].beta >= 0 && res.history[0].beta <= 1, `DARTS-'s beta is reported: ${JSON.stringify(res.history[0])}`);
  // The derived architecture is a valid NB201 cell, written in both forms.
  const nb201 = getSpace('nb201');
  assert.equal(nb201.format(nb201.parse(res.arch)), res.arch);
  assert.equal(readFileSync(join(out, 'arch.txt'), 'utf8').trim(), res.arch);
  assert.deepEqual(JSON.parse(readFileSync(join(out, 'result.json'), 'utf8')), res);
  assert.match(r.stderr, /epoch 1\/1 +train loss [\d.]+ acc [\d.]+% +val loss [\d.]+ acc [\d.]+% beta [\d.]+/);
  assert.match(r.stderr, /^ {2}arch \|/m);

  const g = loom(['oneshot', '--method', 'gdas', ...TINY, '--retrain-epochs', '1', '--out', join(dir, 'gdas'), '--json'], 300_000);
  assert.equal(g.code, 0, g.stderr);
  const gr = JSON.parse(g.stdout);
  assert.ok(gr.history[0].tau > 0, 'the Gumbel temperature is reported');
  assert.ok(gr.retrain && gr.retrain.test_acc !== null && gr.retrain.test_acc >= 0 && gr.retrain.epochs === 1, JSON.stringify(gr.retrain));
  assert.ok(existsSync(join(dir, 'gdas', 'model.safetensors')));
});

test('loom oneshot: ENAS, SPOS and random search with weight sharing end to end on a tiny NB201 supernet', { skip: haveData ? false : 'needs dataset-fashion-mnist', timeout: 600_000 }, () => {
  const nb201 = getSpace('nb201');
  for (const method of ['enas', 'spos', 'random-ws']) {
    const r = loom(['oneshot', '--method', method, ...TINY, '--no-retrain', '--out', join(dir, method), '--json'], 300_000);
    assert.equal(r.code, 0, `${method}: ${r.stderr}`);
    const res = JSON.parse(r.stdout);
    assert.equal(res.method, method);
    assert.equal(nb201.format(nb201.parse(res.arch)), res.arch, `${method} derives a valid NB201 cell`);
    assert.ok(res.searchSeconds > 0 && res.history.length >= 1, `${method}: ${JSON.stringify(res.history)}`);
  }
});
