/**
 * `npm run bench:pruning-search`: what early stopping saves on a real search, and what it costs.
 * Runs `loom search` once per pruner (none, median, curve) with the same seed, space, data and
 * number of trials. The strategy is random search, whose architectures do not depend on the
 * results, so every run proposes the same architectures in the same order and the runs differ only
 * in the epochs the pruner cuts. Trials train for real (Fashion-MNIST, `examples/spaces/fmnist-net.json`).
 *
 * Prints one JSON line per pruner: wall seconds of the search, epochs trained, trials pruned, the
 * best validation accuracy found and which trial, then a summary line relative to no pruning.
 *
 * Options: --trials 12  --epochs 8  --train-limit 4000  --val-size 1000  --seed 0  --threads (all cores)
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';

const { values: a } = parseArgs({
  options: {
    trials: { type: 'string', default: '12' },
    epochs: { type: 'string', default: '8' },
    'train-limit': { type: 'string', default: '4000' },
    'val-size': { type: 'string', default: '1000' },
    seed: { type: 'string', default: '0' },
    threads: { type: 'string' },
  },
});
const root = resolve(new URL('.', import.meta.url).pathname, '..', '..');
const cli = join(root, 'dist', 'src', 'cli', 'main.js');
const dir = mkdtempSync(join(tmpdir(), 'loom-bench-pruning-'));
process.on('exit', () => rmSync(dir, { recursive: true, force: true }));

interface Row {
  pruner: string;
  seconds: number;
  epochs: number;
  pruned: number;
  best_val_acc: number;
  best_trial: number;
}

const rows: Row[] = [];
for (const pruner of ['none', 'median', 'curve']) {
  const out = join(dir, pruner);
  const args = [
    cli,
    'search',
    '--strategy',
    'random',
    '--trials',
    a.trials,
    '--epochs',
    a.epochs,
    '--train-limit',
    a['train-limit'],
    '--val-size',
    a['val-size'],
    '--seed',
    a.seed,
    '--pruner',
    pruner,
    '--final-epochs',
    '0',
    '--out',
    out,
    '--quiet',
    '--json',
    ...(a.threads ? ['--threads', a.threads] : []),
  ];
  const r = spawnSync(process.execPath, args, { encoding: 'utf8', maxBuffer: 1 << 26 });
  if (r.status !== 0) throw new Error(`loom search --pruner ${pruner} failed (${r.status}): ${r.stderr}`);
  const res = JSON.parse(r.stdout);
  const show = spawnSync(process.execPath, [cli, 'study', 'show', res.study, '--storage', `sqlite:${join(out, 'loom.db')}`, '--json'], { encoding: 'utf8', maxBuffer: 1 << 26 });
  const trials = JSON.parse(show.stdout).trials as { curve: number }[];
  const row: Row = {
    pruner,
    seconds: Math.round(res.searchSeconds * 10) / 10,
    epochs: trials.reduce((s, t) => s + t.curve, 0),
    pruned: res.trials.pruned,
    best_val_acc: res.best.val_acc,
    best_trial: res.best.trial,
  };
  rows.push(row);
  console.log(JSON.stringify(row));
}
const base = rows[0];
for (const r of rows.slice(1)) {
  console.log(
    JSON.stringify({
      summary: r.pruner,
      time_saved: Math.round((1 - r.seconds / base.seconds) * 1000) / 1000,
      epochs_saved: Math.round((1 - r.epochs / base.epochs) * 1000) / 1000,
      best_val_acc_change: Math.round((r.best_val_acc - base.best_val_acc) * 1e4) / 1e4,
      same_best_trial: r.best_trial === base.best_trial,
    }),
  );
}
