/**
 * `npm run bench:oneshot-methods`: every one-shot method end to end on the same reduced NB201
 * supernet and data, next to a multi-trial search given the same time.
 *
 * Each method runs as a user runs it: `loom oneshot --method M --space nb201` with the same epochs,
 * width, cells, seed and training images (the supernet's weights on one half, the architecture on
 * the other), then its derived architecture retrained stand-alone (`--retrain-epochs`, augmented)
 * and tested on the whole Fashion-MNIST test set. DARTS runs twice: plain, and with DARTS-PT's
 * perturbation-based selection (`--remedy pt`). Then `loom search` (regularized evolution over the
 * same space and network size, trials on the same two halves) gets the median search time of the
 * one-shot methods, and its best is retrained with the same recipe.
 *
 * Prints one JSON line per run (method, search seconds, derived architecture, retrained test
 * accuracy, parameters), then a Markdown table.
 *
 * Options: --epochs 6  --train-limit 4000  --channels 8  --cells 1  --retrain-epochs 5  --seed 0
 *          --methods darts,darts-pt,darts2,gdas,enas,spos,random-ws  --trial-epochs 2  --threads (all cores)
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';

const { values: a } = parseArgs({
  options: {
    epochs: { type: 'string', default: '6' },
    'train-limit': { type: 'string', default: '4000' },
    channels: { type: 'string', default: '8' },
    cells: { type: 'string', default: '1' },
    'retrain-epochs': { type: 'string', default: '5' },
    'trial-epochs': { type: 'string', default: '2' },
    seed: { type: 'string', default: '0' },
    methods: { type: 'string', default: 'darts,darts-pt,darts2,gdas,enas,spos,random-ws' },
    threads: { type: 'string' },
  },
});
const root = resolve(new URL('.', import.meta.url).pathname, '..', '..');
const cli = join(root, 'dist', 'src', 'cli', 'main.js');
const dir = mkdtempSync(join(tmpdir(), 'loom-bench-oneshot-'));
process.on('exit', () => rmSync(dir, { recursive: true, force: true }));
const threads = a.threads ? ['--threads', a.threads] : [];
const shared = ['--channels', a.channels, '--cells', a.cells, '--train-limit', a['train-limit'], '--seed', a.seed];

interface Row {
  method: string;
  search_seconds: number;
  arch: string;
  test_acc: number | null;
  params: number | null;
  note?: string;
}

function run(args: string[]): { code: number; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [cli, ...args], { encoding: 'utf8', maxBuffer: 1 << 28 });
  return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

const rows: Row[] = [];
for (const m of a.methods.split(',')) {
  const method = m === 'darts-pt' ? 'darts' : m;
  const out = join(dir, m);
  const r = run(['oneshot', '--method', method, ...(m === 'darts-pt' ? ['--remedy', 'pt'] : []), '--space', 'nb201', '--epochs', a.epochs, ...shared, ...threads, '--retrain-epochs', a['retrain-epochs'], '--out', out, '--quiet', '--json']);
  if (r.code !== 0) {
    console.error(`${m} failed:\n${r.stderr}`);
    continue;
  }
  const res = JSON.parse(readFileSync(join(out, 'result.json'), 'utf8'));
  const lastArgmax = res.history.length ? res.history[res.history.length - 1].arch : '';
  const row: Row = {
    method: m,
    search_seconds: res.searchSeconds,
    arch: res.arch,
    test_acc: res.retrain?.test_acc ?? null,
    params: res.retrain?.params ?? null,
    ...(m === 'darts-pt' ? { note: `argmax of alpha was ${lastArgmax}` } : {}),
  };
  rows.push(row);
  console.log(JSON.stringify(row));
}

// Multi-trial search with the one-shot methods' median search time.
const times = rows.map((r) => r.search_seconds).sort((x, y) => x - y);
if (times.length) {
  const budget = Math.max(30, Math.round(times[Math.floor(times.length / 2)]));
  const half = String(Math.floor(Number(a['train-limit']) / 2));
  const out = join(dir, 'search');
  const r = run([
    'search',
    '--space',
    'nb201',
    '--strategy',
    'evolution',
    '--budget',
    `${budget}s`,
    ...shared,
    '--val-size',
    half,
    '--epochs',
    a['trial-epochs'],
    '--final-epochs',
    a['retrain-epochs'],
    '--final-augment',
    'on',
    ...threads,
    '--out',
    out,
    '--quiet',
    '--json',
  ]);
  if (r.code !== 0) console.error(`search failed:\n${r.stderr}`);
  else {
    const res = JSON.parse(readFileSync(join(out, 'result.json'), 'utf8'));
    const row: Row = { method: `multi-trial evolution (${res.trials.complete} trials)`, search_seconds: res.searchSeconds, arch: res.best.text, test_acc: res.best.test_acc, params: res.best.params };
    rows.push(row);
    console.log(JSON.stringify(row));
  }
}

const pct = (v: number | null) => (v === null ? '-' : `${(100 * v).toFixed(2)}%`);
console.log('\n| method | search | derived architecture | retrained test accuracy | params |\n| --- | --- | --- | --- | --- |');
for (const r of rows) console.log(`| ${r.method} | ${r.search_seconds.toFixed(0)} s | \`${r.arch}\` | ${pct(r.test_acc)} | ${r.params?.toLocaleString('en-US') ?? '-'} |`);
for (const r of rows) if (r.note) console.log(`\n${r.method}: ${r.note}`);
