import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { FASHION_MNIST_DIR } from '../../src/data/fashion-mnist.js';
import { encodeIdx } from '../../src/data/idx.js';
import { assertUsageError } from './loom.js';

const cli = fileURLToPath(new URL('../../src/cli/main.js', import.meta.url));

function loom(args: string[], env: Record<string, string> = {}): { code: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [cli, ...args], {
    encoding: 'utf8',
    env: { ...process.env, LOOM_FASHION_MNIST: '', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
    timeout: 300_000,
  });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

const tmp = mkdtempSync(join(tmpdir(), 'loom-cli-'));
after(() => rmSync(tmp, { recursive: true, force: true }));

/** A tiny MNIST-style set: class k has a bright horizontal band at rows 2k..2k+2. */
function writeTinyDataset(dir: string, nTrain: number, nTest: number): void {
  const make = (n: number, offset: number) => {
    const images = new Uint8Array(n * 784);
    const labels = new Uint8Array(n);
    for (let i = 0; i < n; i++) {
      const k = (i + offset) % 10;
      labels[i] = k;
      for (let p = 0; p < 784; p++) images[i * 784 + p] = (p * 31 + i * 17) % 60;
      for (let r = 2 * k + 2; r < 2 * k + 5; r++) for (let c = 4; c < 24; c++) images[i * 784 + r * 28 + c] = 250;
    }
    return { images, labels };
  };
  const tr = make(nTrain, 0);
  const te = make(nTest, 3);
  writeFileSync(join(dir, 'train-images-idx3-ubyte.gz'), encodeIdx([nTrain, 28, 28], tr.images, { gzip: true }));
  writeFileSync(join(dir, 'train-labels-idx1-ubyte.gz'), encodeIdx([nTrain], tr.labels, { gzip: true }));
  writeFileSync(join(dir, 't10k-images-idx3-ubyte'), encodeIdx([nTest, 28, 28], te.images));
  writeFileSync(join(dir, 't10k-labels-idx1-ubyte'), encodeIdx([nTest], te.labels));
}

test('info --json prints one parsable JSON object', () => {
  const r = loom(['info', '--json']);
  assert.equal(r.code, 0, r.stderr);
  const info = JSON.parse(r.stdout);
  assert.match(info.libtorch, /^\d+\.\d+\.\d+$/);
  assert.ok(Number.isInteger(info.threads) && info.threads >= 1);
  assert.equal(typeof info.cuda.available, 'boolean');
  assert.ok(Number.isInteger(info.cuda.devices));
  assert.ok(existsSync(info.addon), `addon path exists: ${info.addon}`);
  assert.match(info.node, /^v\d+/);
  // The CPU's bfloat16, as /proc/cpuinfo tells (no such file elsewhere: false).
  const flags = existsSync('/proc/cpuinfo') ? readFileSync('/proc/cpuinfo', 'utf8') : '';
  assert.equal(info.cpuBfloat16, /\b(avx512_bf16|amx_bf16)\b/.test(flags));
  const human = loom(['info']);
  assert.equal(human.code, 0);
  assert.match(human.stdout, /^libtorch +\d+\.\d+\.\d+$/m);
  assert.match(human.stdout, /^bfloat16 +(the CPU has bfloat16 instructions|no bfloat16 instructions on the CPU)/m);
});

test('--help and --version exit 0', () => {
  const h = loom(['--help']);
  assert.equal(h.code, 0);
  assert.match(h.stdout, /Usage: loom/);
  assert.match(h.stdout, /demo/);
  const d = loom(['baseline', '--help']);
  assert.equal(d.code, 0);
  assert.match(d.stdout, /--epochs <n>/);
  const v = loom(['--version']);
  assert.equal(v.code, 0);
  assert.match(v.stdout.trim(), /^\d+\.\d+\.\d+/);
});

test('bad input: one clear line on stderr and exit code 2', () => {
  assertUsageError(loom(['baseline', '--frobnicate']), /unknown option '--frobnicate'/);
  assertUsageError(loom(['info', '--jsn']), /unknown option '--jsn'.*Did you mean --json\?/s);
  assertUsageError(loom(['baseline', '--epochs', '0']), /--epochs <n>.*'0' is invalid.*integer >= 1/);
  assertUsageError(loom(['baseline', '--epochs', '-3']), /'-3' is invalid/);
  assertUsageError(loom(['baseline', '--epochs', 'many']), /'many' is invalid/);
  assertUsageError(loom(['baseline', '--lr', '0']), /'0' is invalid.*number > 0/);
  assertUsageError(loom(['baseline', '--batch-size']), /argument missing/);
  assertUsageError(loom(['frob']), /unknown command 'frob'/);
  assertUsageError(loom(['baseline', '--device', 'tpu', '--data', tmp]), /--device: expected auto, cpu, cuda or cuda:N/);
  const none = loom([]);
  assert.equal(none.code, 2);
  assert.match(none.stderr, /Usage: loom/);
});

test('a missing dataset says how to install it (exit 2)', () => {
  const missing = join(tmp, 'no-such-dir');
  assertUsageError(loom(['baseline', '--data', missing]), /Fashion-MNIST not found: .*no-such-dir is not a folder\. Install it with `apt-get install dataset-fashion-mnist`/);
  assertUsageError(loom(['baseline'], { LOOM_FASHION_MNIST: tmp }), /lacks train-images-idx3-ubyte\[\.gz\], train-labels-idx1-ubyte\[\.gz\]/);
  const broken = mkdtempSync(join(tmp, 'broken-'));
  writeTinyDataset(broken, 20, 10);
  const img = join(broken, 't10k-images-idx3-ubyte');
  writeFileSync(img, readFileSync(img).subarray(0, 1000));
  assertUsageError(loom(['baseline', '--data', broken]), /t10k-images-idx3-ubyte: truncated IDX data: shape \[10, 28, 28\] of uint8 needs 7840 bytes, found 984/);
});

test('baseline trains end to end on a tiny MNIST-style set (--data, --json)', () => {
  const dir = mkdtempSync(join(tmp, 'tiny-'));
  writeTinyDataset(dir, 400, 100);
  const r = loom(['baseline', '--data', dir, '--epochs', '2', '--batch-size', '32', '--threads', '1', '--json']);
  assert.equal(r.code, 0, r.stderr);
  const out = JSON.parse(r.stdout);
  assert.equal(out.dataset.train + out.dataset.val, 400);
  assert.equal(out.dataset.test, 100);
  assert.equal(out.epochs.length, 2);
  assert.equal(out.recipe.threads, 1);
  assert.ok(out.test.accuracy > 0.5, `the easy set is learnt: ${out.test.accuracy}`);
  assert.equal(out.epochs[0].liveTensors, out.epochs[1].liveTensors, 'live tensors flat across epochs');
  assert.match(r.stderr, /loom baseline: Fashion-MNIST from /, 'logs go to stderr');
  // biome-ignore lint/suspicious/noControlCharactersInRegex: a pipe is not a terminal: no control characters
  assert.doesNotMatch(r.stderr, /[\x00-\x09\x0b-\x1f]/);
  const human = loom(['baseline', '--data', dir, '--epochs', '1', '--limit', '200', '--quiet']);
  assert.equal(human.code, 0, human.stderr);
  assert.equal(human.stderr, '', '--quiet: nothing on stderr');
  assert.match(human.stdout, /^epoch 1\/1 +train loss \d+\.\d+ +train acc [\d.]+% +val loss \d+\.\d+ +val acc [\d.]+%/m);
  assert.match(human.stdout, /^test accuracy [\d.]+% \(\d+\/100\)/m);
});

test('baseline on the real Fashion-MNIST (a subset, one epoch)', { skip: !existsSync(join(FASHION_MNIST_DIR, 'train-images-idx3-ubyte.gz')) && 'dataset-fashion-mnist is not installed' }, () => {
  const r = loom(['baseline', '--epochs', '1', '--limit', '1000', '--json', '--quiet']);
  assert.equal(r.code, 0, r.stderr);
  const out = JSON.parse(r.stdout);
  assert.equal(out.dataset.dir, FASHION_MNIST_DIR);
  assert.equal(out.dataset.train, 900);
  assert.equal(out.test.total, 1000);
  assert.ok(out.test.accuracy > 0.1, `better than chance: ${out.test.accuracy}`);
});
