import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { spawn } from 'node:child_process';
import { DEMO_BASELINE } from '../../src/cli/commands/demo.js';
import { FASHION_MNIST_DIR } from '../../src/data/fashion-mnist.js';
import { encodeIdx } from '../../src/data/idx.js';
import type { ArchitectureJSON } from '../../src/space/architecture.js';
import { getSpace } from '../../src/space/registry.js';
import { AUTO_AUGMENT_MIN_PARAMS } from '../../src/study/search.js';
import { SqliteStore } from '../../src/study/sqlite.js';
import { assertUsageError, cli, loom } from './loom.js';

const dir = mkdtempSync(join(tmpdir(), 'loom-search-cli-'));
process.on('exit', () => rmSync(dir, { recursive: true, force: true }));
const haveData = existsSync(join(FASHION_MNIST_DIR, 'train-images-idx3-ubyte.gz'));
const TINY = ['--space', 'nb201', '--channels', '4', '--cells', '1', '--epochs', '1', '--train-limit', '600', '--val-size', '100', '--batch-size', '100', '--threads', '1'];

test('loom search: bad input is one line and exit code 2, and leaves existing files alone', () => {
  assertUsageError(loom(['search', '--space', 'nb201']), /give a budget: --budget 15m .* or --trials N/);
  assertUsageError(loom(['search', '--space', 'nb201', '--budget', '0s']), /a budget must be more than zero/);
  assertUsageError(loom(['search', '--space', 'nb201', '--budget', 'soon']), /not a duration: 'soon'/);
  assertUsageError(loom(['search', '--space', 'nb201', '--trials', '-3']), /--trials <n>.*expected an integer >= 1/);
  assertUsageError(loom(['search', '--space', 'nb201', '--trials', '1', '--final-label-smoothing', '1']), /--final-label-smoothing <x>.*expected a number from 0 up to \(not including\) 1/);
  assertUsageError(loom(['search', '--space', 'nb201', '--trials', '1', '--label-smoothing', '-0.1']), /--label-smoothing <x>.*expected a number from 0 up to \(not including\) 1/);
  assertUsageError(loom(['search', '--space', 'nb201', '--trials', '2', '--workers', '0']), /--workers <n>.*expected an integer from 1/);
  assertUsageError(loom(['search', '--space', 'nope', '--trials', '2', '--out', join(dir, 'a')]), /unknown search space 'nope'/);
  assertUsageError(loom(['search', '--space', 'nb201', '--strategy', 'magic', '--trials', '2', '--out', join(dir, 'a')]), /unknown strategy 'magic' \(known: random, /);
  assertUsageError(loom(['search', '--space', 'nb201', '--trials', '2', '--pruner', 'sometimes']), /argument 'sometimes' is invalid\. Allowed choices are median, curve, none/);
  assertUsageError(loom(['search', '--space', 'nb201', '--trials', '2', '--final-epochs', '3', '--final-budget', '1m', '--out', join(dir, 'a')]), /give --final-epochs or --final-budget, not both/);
  assertUsageError(loom(['search', '--space', 'nb201', '--strategy', 'sh', '--trials', '2', '--epochs', '2', '--trial-budget', '10s', '--out', join(dir, 'a')]), /strategy 'sh' sets each trial's time by its rung with --trial-budget; give --epochs or --trial-budget, not both/);
  assertUsageError(loom(['search', '--space', 'nb201', '--trials', '2', '--trial-budget', '10s', '--pruner', 'curve', '--out', join(dir, 'a')]), /--pruner curve cannot be used with --trial-budget/);
  assertUsageError(loom(['search', '--space', 'nb201', '--trials', '2', '--trial-budget', '0s', '--out', join(dir, 'a')]), /--trial-budget/);
  assertUsageError(loom(['search', '--space', 'nb201', '--trials', '2', '--precision', 'float16', '--out', join(dir, 'f16')]), /argument 'float16' is invalid\. Allowed choices are float32, bfloat16, auto/);
  assert.ok(!existsSync(join(dir, 'f16')), 'refused before the output folder is made');
  assertUsageError(loom(['train', 'mlp', '64:relu:none:0', '--precision', 'int8', '--dataset', join(dir, 'missing')]), /argument 'int8' is invalid\. Allowed choices are float32, bfloat16, auto/);
  assertUsageError(loom(['search', '--space', 'nb201', '--option', 'population=-1', '--trials', '2', '--out', join(dir, 'a')]), /option 'population' must be at least/);
  assertUsageError(loom(['search', '--space', 'nb201', '--dataset', join(dir, 'missing'), '--trials', '2', '--out', join(dir, 'a')]), /missing/);
  // --compare's architecture is read before any work.
  const cell = '|nor_conv_3x3~0|+|skip_connect~0|skip_connect~1|+|none~0|none~1|none~2|';
  assertUsageError(loom(['search', '--space', 'nb201', '--trials', '2', '--compare', 'conv3-64', '--out', join(dir, 'a')]), /--compare: not an architecture of space 'nb201': /);
  assertUsageError(loom(['search', '--space', 'nb201', '--trials', '2', '--compare', join(dir, 'missing.json'), '--out', join(dir, 'a')]), /--compare: .*missing\.json: no such file/);
  assertUsageError(loom(['search', '--space', 'nb201', '--trials', '2', '--compare', cell, '--final-epochs', '0', '--out', join(dir, 'a')]), /--compare trains its architecture like the final model, and --final-epochs 0 asks for none/);
  // Tabular data with an image space, or with augmentation, is refused before any work.
  const csv = join(dir, 'table.csv');
  writeFileSync(csv, `a,b,label\n${Array.from({ length: 20 }, (_, i) => `${i / 20},${1 - i / 20},${i % 2}`).join('\n')}\n`);
  const imageSpace = /table\.csv is tabular data \(feature vectors\), but search space 'nb201' builds networks for images \(.*\); use a space for feature vectors, such as 'mlp'/;
  assertUsageError(loom(['search', '--space', 'nb201', '--dataset', csv, '--trials', '2', '--out', join(dir, 'a')]), imageSpace);
  assertUsageError(loom(['train', 'nb201', '|nor_conv_3x3~0|+|skip_connect~0|skip_connect~1|+|none~0|none~1|none~2|', '--dataset', csv]), imageSpace);
  assertUsageError(loom(['search', '--dataset', csv, '--trials', '2', '--augment', '--out', join(dir, 'a')]), /table\.csv is tabular data: augmentation .* is for images/);
  assertUsageError(loom(['search', '--dataset', csv, '--trials', '2', '--final-augment', 'on', '--out', join(dir, 'a')]), /table\.csv is tabular data: augmentation/);
  assertUsageError(loom(['search', '--dataset', csv, '--trials', '2', '--cutout', '4', '--out', join(dir, 'a')]), /table\.csv is tabular data: augmentation/);
  assertUsageError(loom(['train', 'mlp', '64:relu:none:0', '--dataset', csv, '--cutout', '4']), /table\.csv is tabular data: augmentation/);
  assertUsageError(loom(['search', '--space', 'nb201', '--trials', '2', '--final-augment', 'off', '--final-cutout', '4', '--out', join(dir, 'a')]), /--final-cutout is part of the final retraining's augmentation, which --final-augment off turns off/);
  assertUsageError(loom(['search', '--space', 'nb201', '--trials', '2', '--cutout', '-1']), /--cutout <size>.*expected an integer >= 0/);
  assertUsageError(loom(['oneshot', '--method', 'darts', '--dataset', csv, '--out', join(dir, 'a')]), /table\.csv is tabular data: one-shot search trains a supernet of image cells/);
  // Image data are read before any trial: a truncated file, or a validation part larger than the
  // training set, stops the search at once instead of failing every trial in the workers.
  const idx = join(dir, 'idx');
  mkdirSync(idx);
  const images = (n: number) => encodeIdx([n, 28, 28], new Uint8Array(n * 784).map((_, i) => i % 251));
  const labels = (n: number) => encodeIdx([n], new Uint8Array(n).map((_, i) => i % 10));
  writeFileSync(join(idx, 'train-images-idx3-ubyte'), images(40));
  writeFileSync(join(idx, 'train-labels-idx1-ubyte'), labels(40));
  writeFileSync(join(idx, 't10k-images-idx3-ubyte'), images(20));
  writeFileSync(join(idx, 't10k-labels-idx1-ubyte'), labels(20));
  assertUsageError(loom(['search', '--dataset', idx, '--trials', '2', '--val-size', '40', '--out', join(dir, 'a')]), /the validation part \(--val-size\) must be an integer in \[1, 39\] for 40 examples, got 40 \(training examples\); hold out fewer with --val-size N/);
  assertUsageError(loom(['search', '--dataset', idx, '--trials', '2', '--out', join(dir, 'a')]), /the validation part \(--val-size\) must be an integer in \[1, 39\] for 40 examples, got 5000 \(training examples\); hold out fewer with --val-size N/);
  // A cutout square larger than the images would blank them whole.
  assertUsageError(loom(['search', '--dataset', idx, '--trials', '2', '--val-size', '10', '--final-cutout', '29', '--out', join(dir, 'a')]), /a cutout of 29 pixels is larger than .*idx's 28x28 images: give a square of at most 28/);
  assertUsageError(loom(['train', 'fmnist-net', JSON.stringify({ space: 'fmnist-net', values: DEMO_BASELINE }), '--dataset', idx, '--val-size', '10', '--cutout', '30']), /a cutout of 30 pixels is larger than/);
  writeFileSync(join(idx, 't10k-images-idx3-ubyte'), images(20).subarray(0, 1000));
  assertUsageError(loom(['search', '--dataset', idx, '--trials', '2', '--val-size', '10', '--out', join(dir, 'a')]), /t10k-images-idx3-ubyte: truncated IDX data: shape \[20, 28, 28\] of uint8 needs 15680 bytes, found 984/);
  assert.ok(!existsSync(join(dir, 'a', 'loom.db')), 'a refused search opens no store');
  const file = join(dir, 'plain-file');
  writeFileSync(file, 'x');
  assertUsageError(loom(['search', '--space', 'nb201', '--trials', '2', '--out', join(file, 'sub')]), /cannot write to the output folder/);
  // Under /proc, Node's own recursive mkdir never returns; Loom's says why it cannot.
  if (existsSync('/proc/self')) {
    assertUsageError(loom(['search', '--space', 'nb201', '--trials', '2', '--out', '/proc/loom-no/out']), /cannot write to the output folder \/proc\/loom-no\/out: no such file or directory/);
    assertUsageError(loom(['search', '--space', 'nb201', '--trials', '2', '--out', join(dir, 'c'), '--storage', 'sqlite:/proc/loom-no/s.db']), /cannot write to the storage's folder \/proc\/loom-no/);
  }
  // A storage file of another program is refused and left as it was.
  const other = join(dir, 'notes.db');
  writeFileSync(other, 'my notes, not a database\n');
  assertUsageError(loom(['search', ...TINY, '--trials', '2', '--out', join(dir, 'b'), '--storage', `sqlite:${other}`]), /is not a Loom study store/);
  assert.equal(readFileSync(other, 'utf8'), 'my notes, not a database\n');
  assertUsageError(loom(['study', 'list', '--storage', `sqlite:${join(dir, 'none.db')}`]), /no store at/);
});

test('loom search end to end: trials, resume with more trials, final model with a test accuracy, study list/show', { skip: haveData ? false : 'needs dataset-fashion-mnist', timeout: 600_000 }, () => {
  const out = join(dir, 'run');
  mkdirSync(out);
  const first = loom(['search', ...TINY, '--strategy', 'random', '--trials', '3', '--workers', '2', '--final-epochs', '0', '--out', out, '--study', 'e2e', '--json'], 300_000);
  assert.equal(first.code, 0, first.stderr);
  const r1 = JSON.parse(first.stdout);
  assert.equal(r1.trials.complete, 3);
  assert.equal(r1.best.test_acc, null, 'no final training asked');
  // The same command with a larger budget continues the study: the 3 trials are kept.
  const second = loom(['search', ...TINY, '--strategy', 'random', '--trials', '5', '--workers', '2', '--final-epochs', '3', '--out', out, '--study', 'e2e', '--json'], 300_000);
  assert.equal(second.code, 0, second.stderr);
  const r2 = JSON.parse(second.stdout);
  assert.equal(r2.resumed, true);
  assert.equal(r2.trials.complete, 5);
  assert.ok(r2.best.test_acc > 0.15 && r2.best.test_acc <= 1, `test accuracy ${r2.best.test_acc} (chance: 0.10)`);
  assert.ok(r2.best.params > 0 && r2.best.flops > 0);
  const saved = JSON.parse(readFileSync(join(out, 'result.json'), 'utf8'));
  assert.deepEqual(saved, r2);
  for (const f of ['arch.json', 'arch.txt', 'model.safetensors', 'recipe.json', 'data.json', 'report.md', 'trials.svg', 'progress.svg']) assert.ok(existsSync(join(out, f)), f);
  assert.deepEqual(JSON.parse(readFileSync(join(out, 'data.json'), 'utf8')).inputShape, [1, 28, 28]);
  assert.match(readFileSync(join(out, 'report.md'), 'utf8'), /test accuracy/);
  assert.match(readFileSync(join(out, 'report.md'), 'utf8'), /; search \d+ (s|min \d+ s), final training \d+ (s|min \d+ s)\./);
  const list = loom(['study', 'list', '--storage', `sqlite:${join(out, 'loom.db')}`, '--json']);
  assert.equal(list.code, 0, list.stderr);
  assert.deepEqual(
    JSON.parse(list.stdout).map((s: { name: string; complete: number }) => [s.name, s.complete]),
    [['e2e', 5]],
  );
  const show = JSON.parse(loom(['study', 'show', 'e2e', '--storage', `sqlite:${join(out, 'loom.db')}`, '--json']).stdout);
  assert.equal(show.trials.length, 5);
  assert.ok(show.trials.every((t: { curve: number; state: string }) => t.curve === 1 && t.state === 'COMPLETE'));
  // The text form: a row per trial with its value, parameters, time and architecture in nb201's string form.
  const nb201 = getSpace('nb201');
  const text = loom(['study', 'show', 'e2e', '--storage', `sqlite:${join(out, 'loom.db')}`]).stdout.trim().split('\n');
  assert.equal(text[1], 'trial\tstate\tvalue\tparams\tseconds\tcurve\tarchitecture');
  assert.deepEqual(
    text.slice(2).map((l) => l.split('\t').filter((_, i) => i !== 4)),
    show.trials.map((t: { number: number; value: number; metrics: { params: number }; arch: ArchitectureJSON }) => [String(t.number), 'COMPLETE', `${(100 * t.value).toFixed(2)}%`, String(t.metrics.params), '1', nb201.format(nb201.fromJSON(t.arch))]),
  );
  // CSV: a row per trial, its metrics and one column per decision.
  const csv = loom(['study', 'show', 'e2e', '--storage', `sqlite:${join(out, 'loom.db')}`, '--csv']).stdout.trim().split('\n').map((l) => l.split(','));
  const [head, ...rows] = csv;
  assert.deepEqual(head.slice(0, 3), ['number', 'state', 'value']);
  assert.equal(rows.length, 5);
  const decisions = Object.keys(show.trials[0].arch.values);
  assert.ok(decisions.length > 0 && decisions.every((d) => head.includes(`arch.${d}`)), head.join());
  rows.forEach((r, i) => {
    const t = show.trials[i];
    assert.equal(Number(r[0]), t.number);
    assert.equal(Number(r[2]), t.value);
    assert.equal(Number(r[head.indexOf('params')]), t.metrics.params);
    for (const d of decisions) assert.equal(r[head.indexOf(`arch.${d}`)], String(t.arch.values[d]));
  });
  assertUsageError(loom(['study', 'show', 'e2e', '--storage', `sqlite:${join(out, 'loom.db')}`, '--csv', '--json']), /give --json or --csv, not both/);
  // The report's table names each trial's architecture too (its pipes escaped for Markdown).
  const report = readFileSync(join(out, 'report.md'), 'utf8');
  assert.match(report, /\| trial \| state \| val acc \| params \| epochs \| seconds \| architecture \| note \|/);
  for (const t of show.trials) assert.ok(report.includes(`| \`${nb201.format(nb201.fromJSON(t.arch)).replace(/\|/g, '\\|')}\` |`), `trial ${t.number}'s architecture in the report`);
  // Other settings under the same study name are refused.
  assertUsageError(loom(['search', ...TINY, '--strategy', 'evolution', '--trials', '6', '--out', out, '--study', 'e2e']), /study 'e2e' already exists with other settings/);
});

test('loom search on a user-defined JSON space: trials and the final model load the space from its path', { skip: haveData ? false : 'needs dataset-fashion-mnist', timeout: 600_000 }, () => {
  const out = join(dir, 'user');
  const spec = new URL('../../../examples/spaces/fmnist-cnn.json', import.meta.url).pathname;
  const compare = JSON.parse(loom(['space', 'sample', spec, '-n', '1', '--seed', '5', '--json']).stdout)[0].arch;
  const r = loom(['search', '--space', spec, '--epochs', '1', '--train-limit', '600', '--val-size', '100', '--batch-size', '100', '--threads', '1', '--trials', '2', '--final-epochs', '1', '--compare', compare, '--out', out, '--json'], 300_000);
  assert.equal(r.code, 0, r.stderr);
  const res = JSON.parse(r.stdout);
  assert.equal(res.best.space, 'fmnist-cnn');
  assert.ok(res.best.test_acc !== null && res.best.test_acc > 0, `the final model was trained and tested: ${r.stderr}`);
  assert.ok(existsSync(join(out, 'model.safetensors')));
  // A user-defined space's text form is JSON: the report lists the best's decisions and its table
  // marks the best and says how the other trial differs; study show's rows alike.
  const report = readFileSync(join(out, 'report.md'), 'utf8');
  assert.match(report, /Its decisions: (`\S+=\S+`, )+`\S+=\S+`\./);
  const other = 1 - res.best.trial;
  const archs = JSON.parse(loom(['study', 'show', res.study, '--storage', `sqlite:${join(out, 'loom.db')}`, '--json']).stdout).trials.map((t: { arch: unknown }) => JSON.stringify(t.arch));
  const same = archs[0] === archs[1];
  assert.match(report, new RegExp(`\\| ${res.best.trial} \\| COMPLETE \\| .* \\| \\*\\*the best\\*\\* \\|`));
  if (!same) assert.match(report, new RegExp(`\\| ${other} \\| COMPLETE \\| .* \\| the best with (\\S+=\\S+ )*\\S+=\\S+ \\|`));
  const rows = loom(['study', 'show', res.study, '--storage', `sqlite:${join(out, 'loom.db')}`]).stdout.trim().split('\n').slice(2);
  assert.match(rows[res.best.trial], /\tCOMPLETE\t[\d.]+%\t\d+\t[\d.]+\t1\t(\S+=\S+ )+\S+=\S+$/, 'the best trial lists all its decisions');
  if (!same) assert.match(rows[other], /\t1\tbest with (\S+=\S+ )*\S+=\S+$/, 'another trial says how it differs from the best');
  // The space travels with the model (and the compared one), so each loads wherever its folder goes.
  for (const d of [out, join(out, 'compare')]) {
    assert.deepEqual(JSON.parse(readFileSync(join(d, 'space.json'), 'utf8')), { ...JSON.parse(readFileSync(spec, 'utf8')), name: 'fmnist-cnn' });
  }
  const p = loom(['predict', join(out, 'compare'), 'fashion-mnist', '--limit', '0', '--json']);
  assert.equal(p.code, 0, p.stderr);
  assert.equal(JSON.parse(p.stdout).accuracy, res.compare.test_acc, 'the compared model, loaded as a user loads it, predicts as its test measured');
  // The text output says how far the best lies from the compared architecture.
  const t = loom(['search', '--space', spec, '--epochs', '1', '--train-limit', '600', '--val-size', '100', '--batch-size', '100', '--threads', '1', '--trials', '2', '--final-epochs', '1', '--compare', compare, '--out', join(dir, 'user-text')], 300_000);
  assert.equal(t.code, 0, t.stderr);
  const best = Number(/^best: trial \d+, val [\d.]+%, test ([\d.]+)%/m.exec(t.stdout)?.[1]);
  const m = /^compared: test ([\d.]+)% \(the best (?:level with it|([\d.]+) points (above|below) it)\)/m.exec(t.stdout);
  assert.ok(m, t.stdout);
  const gap = m[2] === undefined ? 0 : Number(m[2]) * (m[3] === 'above' ? 1 : -1);
  assert.ok(Math.abs(best - Number(m[1]) - gap) < 0.006, `${best} - ${m[1]} is ${gap}`);
});

test('loom search --inherit: evolution children start from their parents\' weights; --final-budget trains the final model for a time', { skip: haveData ? false : 'needs dataset-fashion-mnist', timeout: 600_000 }, () => {
  const out = join(dir, 'inherit');
  const r = loom(['search', ...TINY, '--strategy', 'evolution', '--option', 'population=2', '--option', 'sampleSize=1', '--trials', '4', '--inherit', '--final-budget', '15s', '--out', out, '--json'], 300_000);
  assert.equal(r.code, 0, r.stderr);
  const res = JSON.parse(r.stdout);
  assert.equal(res.trials.complete, 4);
  const show = JSON.parse(loom(['study', 'show', res.study, '--storage', `sqlite:${join(out, 'loom.db')}`, '--json']).stdout);
  const [a, b, c, d] = show.trials;
  assert.deepEqual([a.parent, b.parent], [null, null], 'the random initial members have no parent');
  for (const child of [c, d]) {
    assert.ok(child.parent === 0 || child.parent === 1 || child.parent === 2, `trial ${child.number}'s parent is an earlier trial: ${child.parent}`);
    // NB201 mutations change one edge: the stem, the classifier and the other edges are inherited.
    assert.ok(child.metrics.inherited > 0.5 && child.metrics.inherited <= 1, `trial ${child.number} inherited ${child.metrics.inherited} of its weights`);
  }
  assert.equal(a.metrics.inherited, undefined, 'no parent, nothing inherited');
  for (const t of show.trials) assert.ok(existsSync(join(out, 'weights', `trial-${t.number}.safetensors`)), `trial ${t.number}'s weights are kept`);
  // The final retraining trained for 15 s, its schedule running over the time.
  const m = /final: retraining trial \d+'s architecture for 15 s on the first 600 examples of the training split \((augmented|not augmented), about (\d+) epochs by trial \d+'s timing\)/.exec(r.stderr);
  assert.ok(m, r.stderr);
  const recipe = JSON.parse(readFileSync(join(out, 'recipe.json'), 'utf8')).recipe;
  assert.equal(recipe.seconds, 15);
  assert.equal(recipe.labelSmoothing, 0.1, 'the final retraining smooths its labels by default');
  // --final-augment auto: augmented when AUTO_AUGMENT_EPOCHS (20) or more are planned for a network
  // of AUTO_AUGMENT_MIN_PARAMS or more; this 4-channel NB201 cell is far smaller, so never.
  assert.ok(res.best.params < AUTO_AUGMENT_MIN_PARAMS, `${res.best.params} params`);
  assert.equal(recipe.augment, false);
  assert.equal(m[1] === 'augmented', recipe.augment);
  assert.ok(res.finalEpochs >= 2, `the final trained ${res.finalEpochs} epochs of 600 images in 15 s`);
  // Its wall time adds the worker's start, the data's loading and the test to the 15 s of training.
  assert.ok(res.finalSeconds >= 15 && res.finalSeconds < 45, `final retraining took ${res.finalSeconds} s`);
  assert.ok(res.best.test_acc > 0.1, `test accuracy ${res.best.test_acc}`);
});

test('loom search --label-smoothing smooths the trials\' labels (recorded with the study); the final keeps its own', { skip: haveData ? false : 'needs dataset-fashion-mnist', timeout: 600_000 }, () => {
  const out = join(dir, 'smooth');
  const r = loom(['search', ...TINY, '--strategy', 'random', '--trials', '2', '--label-smoothing', '0.5', '--augment', '--cutout', '8', '--final-epochs', '1', '--final-augment', 'on', '--final-cutout', '6', '--out', out, '--json'], 300_000);
  assert.equal(r.code, 0, r.stderr);
  const res = JSON.parse(r.stdout);
  const show = JSON.parse(loom(['study', 'show', res.study, '--storage', `sqlite:${join(out, 'loom.db')}`, '--json']).stdout);
  assert.equal(show.meta.recipe.labelSmoothing, 0.5);
  assert.equal(show.meta.recipe.augment, true);
  assert.equal(show.meta.recipe.cutout, 8, 'the trials\' cutout is recorded with the study');
  // With 10 classes smoothed by 0.5 the target is 0.55 on the label and 0.05 elsewhere: no
  // prediction's cross-entropy is below that target's entropy, 1.677.
  const floor = -(0.55 * Math.log(0.55) + 9 * 0.05 * Math.log(0.05));
  for (const t of show.trials) assert.ok(t.metrics.train_loss >= floor - 1e-3, `trial ${t.number}: train loss ${t.metrics.train_loss} under the smoothed floor ${floor}`);
  const finalRecipe = JSON.parse(readFileSync(join(out, 'recipe.json'), 'utf8')).recipe;
  assert.equal(finalRecipe.labelSmoothing, 0.1, 'the final retraining smooths by --final-label-smoothing');
  assert.equal(finalRecipe.augment, true);
  assert.equal(finalRecipe.cutout, 6, 'the final retraining cuts out by --final-cutout');
  assert.match(r.stderr, /final: retraining trial \d+'s architecture for 1 epoch on the first 600 examples of the training split \(augmented, cutout 6\)/);
  // The same study name with other smoothing is another setting: refused, nothing touched.
  assertUsageError(loom(['search', ...TINY, '--strategy', 'random', '--trials', '3', '--label-smoothing', '0.2', '--augment', '--out', out, '--study', res.study]), /already exists with other settings/);
});

test('loom search --trial-budget: every trial trains for the time, its schedule over it; the epochs of the final retraining are estimated from the examples it went through', { skip: haveData ? false : 'needs dataset-fashion-mnist', timeout: 600_000 }, () => {
  const out = join(dir, 'trial-budget');
  // An epoch of 20,000 images takes longer than 2 s, so each trial stops inside its first epoch.
  const args = ['--space', 'nb201', '--channels', '4', '--cells', '1', '--train-limit', '20000', '--val-size', '500', '--batch-size', '50', '--threads', '1'];
  const r = loom(['search', ...args, '--strategy', 'random', '--trials', '2', '--trial-budget', '2s', '--final-budget', '4s', '--out', out, '--json'], 300_000);
  assert.equal(r.code, 0, r.stderr);
  const res = JSON.parse(r.stdout);
  assert.equal(res.trials.complete, 2);
  const store = new SqliteStore(join(out, 'loom.db'));
  try {
    const split = 20000 - 500;
    const perExample: number[] = [];
    for (const t of store.trials(res.study)) {
      const curve = store.curve(res.study, t.number);
      assert.equal(curve.length, 1, `trial ${t.number} trained one partial epoch`);
      const { examples, seconds, train_seconds, lr } = curve[0].metrics as { examples: number; seconds: number; train_seconds: number; lr: number };
      assert.ok(examples > 0 && examples < split, `trial ${t.number} went through ${examples} of ${split} images in 2 s`);
      assert.equal(examples % 50, 0, 'whole batches');
      assert.ok(lr < 1e-3, `the schedule reached its end with the time: lr ${lr}`);
      // The epoch's time is the 2 s of training (the last batch may run over) and the validation.
      assert.ok(seconds >= 2 && seconds < 6, `trial ${t.number}'s epoch took ${seconds} s`);
      // Its training part ends with the batch that used up the 2 s; the validation of 500 images follows.
      assert.ok(train_seconds > 1 && train_seconds < seconds, `trial ${t.number} trained ${train_seconds} s of its ${seconds} s epoch`);
      perExample.push(seconds / examples);
    }
    // The final's epochs are estimated from the training time per image the best trial went through, not per image of its split.
    const best = store.curve(res.study, res.best.trial)[0].metrics as { examples: number; train_seconds: number };
    const epochs = Math.max(1, Math.round(4 / ((best.train_seconds / best.examples) * 20000)));
    assert.match(r.stderr, new RegExp(`final: retraining trial ${res.best.trial}'s architecture for 4 s on the first 20000 examples of the training split \\(not augmented, about ${epochs} epochs by trial`));
  } finally {
    store.close();
  }
  const recipe = JSON.parse(readFileSync(join(out, 'recipe.json'), 'utf8')).recipe;
  assert.equal(recipe.seconds, 4, 'the final recipe has its own time, not the trials\'');
});

test('loom search --epochs E --trial-budget T: each trial trains E epochs or for T, whichever ends first, its schedule over the shorter', { skip: haveData ? false : 'needs dataset-fashion-mnist', timeout: 600_000 }, () => {
  const trials = (name: string, extra: string[]) => {
    const out = join(dir, name);
    const r = loom(['search', '--space', 'nb201', '--channels', '4', '--cells', '1', '--val-size', '100', '--batch-size', '50', '--threads', '1', '--strategy', 'random', '--trials', '2', '--final-epochs', '0', ...extra, '--out', out, '--json'], 300_000);
    assert.equal(r.code, 0, r.stderr);
    const res = JSON.parse(r.stdout);
    assert.equal(res.trials.complete, 2, r.stderr);
    const store = new SqliteStore(join(out, 'loom.db'));
    try {
      return store.trials(res.study).map((t) => store.curve(res.study, t.number).map((p) => p.metrics as { examples: number; train_seconds: number; lr: number }));
    } finally {
      store.close();
    }
  };
  // 600 images: two epochs take far less than the 60 s, so the epochs end each trial.
  for (const curve of trials('capped-epochs', ['--train-limit', '600', '--epochs', '2', '--trial-budget', '60s'])) {
    assert.equal(curve.length, 2, 'two whole epochs');
    assert.deepEqual(curve.map((p) => p.examples), [500, 500]);
    assert.ok(curve[1].lr < 1e-3, `the schedule ended with the epochs: lr ${curve[1].lr}`);
    assert.ok(curve[0].train_seconds + curve[1].train_seconds < 30, 'well inside the time');
  }
  // 20,000 images: an epoch takes longer than 1.5 s, so the time ends each trial inside its first of 3 epochs.
  for (const curve of trials('capped-time', ['--train-limit', '20000', '--epochs', '3', '--trial-budget', '1.5s'])) {
    assert.equal(curve.length, 1, 'one partial epoch');
    assert.ok(curve[0].examples > 0 && curve[0].examples < 19900, `${curve[0].examples} images`);
    assert.ok(curve[0].train_seconds >= 1.5 * 0.98 && curve[0].train_seconds < 4, `trained ${curve[0].train_seconds} s`);
    assert.ok(curve[0].lr < 1e-3, `the schedule ended with the time: lr ${curve[0].lr}`);
  }
});

test('loom search: when no trial completes, exit code 1 and where to read why', { skip: haveData ? false : 'needs dataset-fashion-mnist', timeout: 300_000 }, () => {
  const out = join(dir, 'diverge');
  const r = loom(['search', ...TINY, '--strategy', 'random', '--lr', '1e12', '--trials', '2', '--final-epochs', '0', '--out', out, '--study', 'nan'], 240_000);
  assert.equal(r.code, 1, r.stderr);
  assert.match(r.stdout, /0 complete, 0 pruned, 2 failed/);
  assert.match(r.stderr, /loom: no trial completed; why each failed: report\.md, or loom study show nan --storage sqlite:/);
  assert.match(readFileSync(join(out, 'report.md'), 'utf8'), /\| 0 \| FAIL \|.*(diverge|NaN|not finite)/i);
});

test('loom search: Ctrl-C stops at once (the running trial is failed as killed), and the same command resumes it', { skip: haveData ? false : 'needs dataset-fashion-mnist', timeout: 600_000 }, async () => {
  const out = join(dir, 'interrupt');
  const args = [cli, 'search', ...TINY, '--strategy', 'random', '--epochs', '3', '--final-epochs', '0', '--out', out, '--study', 'int'];
  const p = spawn(process.execPath, [...args, '--trials', '40'], { stdio: ['ignore', 'pipe', 'pipe'] });
  let err = '';
  p.stderr.setEncoding('utf8');
  const firstDone = new Promise<void>((res) =>
    p.stderr.on('data', (d: string) => {
      err += d;
      if (/trial 0: COMPLETE/.test(err)) res();
    }),
  );
  const exited = new Promise<number | null>((res) => p.on('exit', (code) => res(code)));
  await Promise.race([firstDone, exited]);
  const t0 = Date.now();
  p.kill('SIGINT');
  assert.equal(await exited, 130, 'interrupted: exit code 130');
  const stopSeconds = (Date.now() - t0) / 1000;
  assert.match(err, /interrupted: stopping/);
  assert.ok(stopSeconds < 20, `stopped ${stopSeconds} s after Ctrl-C (a trial takes longer: it was not waited for)`);
  // The same command (with a budget it can finish) resumes: the killed trial is retried, nothing is left RUNNING.
  const again = loom([...args.slice(1), '--trials', '3', '--json'], 300_000);
  assert.equal(again.code, 0, again.stderr);
  const res = JSON.parse(again.stdout);
  assert.equal(res.resumed, true);
  assert.equal(res.trials.complete, 3);
  const show = JSON.parse(loom(['study', 'show', 'int', '--storage', `sqlite:${join(out, 'loom.db')}`, '--json']).stdout);
  assert.ok(show.trials.every((t: { state: string }) => t.state !== 'RUNNING' && t.state !== 'WAITING'));
  assert.ok(show.trials.some((t: { error: string | null }) => /worker killed/.test(t.error ?? '')), 'the interrupted trial was failed as killed');
});

/** A table the features of which only a non-linear network separates: three rings in the first two columns, three noise columns. */
function ringsCsv(path: string, rows: number, seed: number): void {
  let s = seed;
  const rnd = () => {
    s = (s * 1103515245 + 12345) % 2 ** 31;
    return s / 2 ** 31;
  };
  const lines = ['x,y,n1,n2,n3,kind'];
  for (let i = 0; i < rows; i++) {
    const c = i % 3;
    const r = 1 + c + 0.3 * (rnd() - 0.5);
    const a = 2 * Math.PI * rnd();
    lines.push([r * Math.cos(a), r * Math.sin(a), rnd(), rnd(), rnd()].map((v) => v.toFixed(4)).join(',') + `,${['inner', 'middle', 'outer'][c]}`);
  }
  writeFileSync(path, `${lines.join('\n')}\n`);
}

test('loom search and loom train on a CSV table: the mlp space by default, a real final model, and data.json with the features and normalisation', { timeout: 300_000 }, () => {
  const csv = join(dir, 'rings.csv');
  ringsCsv(csv, 900, 7);
  const out = join(dir, 'tabular');
  const r = loom(['search', '--dataset', csv, '--label-column', 'kind', '--strategy', 'random', '--trials', '4', '--final-epochs', '60', '--threads', '1', '--compare', '16:tanh:none:0', '--out', out, '--json'], 240_000);
  assert.equal(r.code, 0, r.stderr);
  const res = JSON.parse(r.stdout);
  assert.equal(res.best.space, 'mlp');
  assert.equal(res.trials.complete, 4);
  assert.match(res.best.text, /^\d+(-\d+)*:[a-z]+:(none|bn):[\d.]+$/);
  // Chance is 1/3; the rings are not linearly separable, and the noise columns carry nothing.
  assert.ok(res.best.test_acc > 0.8, `test accuracy ${res.best.test_acc}`);
  assert.ok(res.best.params > 0 && res.best.flops > 0);
  const data = JSON.parse(readFileSync(join(out, 'data.json'), 'utf8'));
  assert.equal(data.kind, 'tabular');
  assert.deepEqual(data.inputShape, [5]);
  assert.deepEqual(data.features, ['x', 'y', 'n1', 'n2', 'n3']);
  assert.deepEqual(data.classes, ['inner', 'middle', 'outer']);
  assert.equal(data.normalization.mean.length, 5);
  assert.ok(Math.abs(data.normalization.mean[2] - 0.5) < 0.1, `noise column mean ${data.normalization.mean[2]}`);
  for (const f of ['arch.txt', 'model.safetensors', 'report.md']) assert.ok(existsSync(join(out, f)), f);
  // --compare: a hand-picked network trained exactly like the final model, beside it in result.json.
  assert.equal(res.compare.text, '16:tanh:none:0');
  assert.equal(res.compare.params, 5 * 16 + 16 + 16 * 3 + 3);
  assert.ok(res.compare.test_acc > 0.6 && res.compare.test_acc <= 1, `the compared network's test accuracy ${res.compare.test_acc}`);
  assert.ok(res.compare.epochs === 60 && existsSync(join(out, 'compare', 'model.safetensors')));
  const recipes = ['', 'compare'].map((d) => JSON.parse(readFileSync(join(out, d, 'recipe.json'), 'utf8')));
  assert.deepEqual(recipes[1], recipes[0], 'the same recipe, network and seed as the final model');
  assert.deepEqual(JSON.parse(readFileSync(join(out, 'result.json'), 'utf8')).compare, res.compare);
  assert.match(readFileSync(join(out, 'report.md'), 'utf8'), /Compared with `16:tanh:none:0` trained exactly like it .*\*\*test accuracy \d+\.\d\d%\*\*/);
  // One architecture by hand, in the space's text form.
  const t = loom(['train', 'mlp', '64-64:relu:none:0', '--dataset', csv, '--label-column', 'kind', '--epochs', '60', '--threads', '1', '--out', join(out, 'one'), '--json'], 120_000);
  assert.equal(t.code, 0, t.stderr);
  const one = JSON.parse(t.stdout);
  assert.equal(one.arch, '64-64:relu:none:0');
  assert.ok(one.test_acc > 0.8, `test accuracy ${one.test_acc}`);
  assert.deepEqual(JSON.parse(readFileSync(join(out, 'one', 'data.json'), 'utf8')).features, ['x', 'y', 'n1', 'n2', 'n3']);
  assert.equal(one.recipe.epochs, 60);
  // Mixed precision from the command line: recorded in the recipe, and the network still learns.
  const m = loom(['train', 'mlp', '64-64:relu:none:0', '--dataset', csv, '--label-column', 'kind', '--epochs', '60', '--precision', 'bfloat16', '--threads', '1', '--json'], 120_000);
  assert.equal(m.code, 0, m.stderr);
  const mixed = JSON.parse(m.stdout);
  assert.equal(mixed.recipe.precision, 'bfloat16');
  assert.ok(mixed.test_acc > 0.8, `test accuracy in bfloat16 ${mixed.test_acc}`);
  assert.ok(!('precision' in one.recipe), 'float32 is the default and is not written');
  // Trained for a time on the whole split, as a search's final retraining is, with its label smoothing.
  const b = loom(['train', 'mlp', '64-64:relu:none:0', '--dataset', csv, '--label-column', 'kind', '--budget', '2s', '--epochs', '100000', '--label-smoothing', '0.1', '--val-size', '0', '--threads', '1', '--json'], 120_000);
  assert.equal(b.code, 0, b.stderr);
  const timed = JSON.parse(b.stdout);
  assert.deepEqual([timed.recipe.seconds, timed.recipe.labelSmoothing, timed.recipe.epochs], [2, 0.1, 100000]);
  assert.equal(timed.val_acc, null, 'no validation part: nothing to report as validation accuracy');
  assert.equal(timed.train_examples, Math.round(one.train_examples / 0.8), `the whole split (${one.train_examples} rows with a fifth held out)`);
  assert.ok(timed.seconds >= 2 && timed.seconds < 30, `trained ${timed.seconds} s for a budget of 2 s`);
  assert.ok(timed.epochs > 1 && timed.epochs < 100000, `${timed.epochs} epochs: the time, not the epoch cap, ended it`);
  assert.ok(timed.test_acc > 0.8, `test accuracy ${timed.test_acc}`);
  // A user-defined space whose spec reads a feature vector searches the table too.
  const spaceFile = join(dir, 'my-mlp.json');
  const hidden = (name: string) => ({ name, op: 'linear', attrs: { out: { valueChoice: 'w', values: [32, 64] } } });
  const spec = { name: 'my-mlp', input: [5], classes: 3, nodes: [hidden('h1'), { name: 'a1', op: 'act', attrs: { fn: 'relu' } }, hidden('h2'), { name: 'a2', op: 'act', attrs: { fn: 'relu' } }] };
  writeFileSync(spaceFile, JSON.stringify(spec));
  const u = loom(['search', '--dataset', csv, '--label-column', 'kind', '--space', spaceFile, '--strategy', 'random', '--trials', '2', '--final-epochs', '60', '--threads', '1', '--out', join(out, 'user'), '--json'], 120_000);
  assert.equal(u.code, 0, u.stderr);
  const ures = JSON.parse(u.stdout);
  assert.equal(ures.best.space, 'my-mlp');
  assert.ok(ures.best.test_acc > 0.8, `test accuracy ${ures.best.test_acc}`);
});
