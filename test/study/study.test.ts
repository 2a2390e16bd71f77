import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { getSpace } from '../../src/space/registry.js';
import { MemoryStore } from '../../src/study/memory.js';
import { SqliteStore } from '../../src/study/sqlite.js';
import type { Store, TrialRecord } from '../../src/study/store.js';
import { Study } from '../../src/study/study.js';

const space = getSpace('nb201');
const dir = mkdtempSync(join(tmpdir(), 'loom-study-'));
process.on('exit', () => rmSync(dir, { recursive: true, force: true }));

/** A made-up objective of an NB201 cell: more 3x3 convolutions, better. */
const score = (t: TrialRecord): number => (JSON.stringify(t.arch).match(/nor_conv_3x3/g) ?? []).length / 6;

const open = (store: Store, strategy = 'evolution') =>
  Study.open({ store, name: 's', space, strategy, strategyOptions: strategy === 'evolution' ? { population: 5, sampleSize: 2 } : {}, seed: 7, objective: 'val_acc' });

/** Runs `n` trials one at a time; returns the architectures in order. */
function run(study: Study, n: number): string[] {
  const out: string[] = [];
  for (let i = 0; i < n; i++) {
    const t = study.next();
    assert.ok(t);
    study.claim(t.number, 'w');
    study.report(t.number, 'w', { step: 1, metrics: { val_acc: score(t) / 2 } });
    study.finish(t.number, 'w', { state: 'COMPLETE', value: score(t), metrics: { val_acc: score(t) } });
    out.push(JSON.stringify(t.arch));
  }
  return out;
}

test('a study resumed after a clean stop continues exactly as one uninterrupted run', () => {
  const whole = run(open(new MemoryStore()), 30);
  const store = new SqliteStore(join(dir, 'a.db'));
  const first = run(open(store), 12);
  store.close();
  const again = new SqliteStore(join(dir, 'a.db'));
  const rest = run(open(again), 18);
  assert.deepEqual([...first, ...rest], whole);
  assert.equal(open(again).counts().complete, 30);
  again.close();
});

test('resume after a crash: RUNNING trials fail as lost and are retried once; nothing completed is lost', () => {
  const store = new SqliteStore(join(dir, 'b.db'));
  const s = open(store, 'random');
  run(s, 5);
  const a = s.next() as TrialRecord;
  s.claim(a.number, 'w1');
  s.report(a.number, 'w1', { step: 1, metrics: { val_acc: 0.3 } });
  store.close(); // the process dies here, trial a RUNNING
  const store2 = new SqliteStore(join(dir, 'b.db'));
  const s2 = open(store2, 'random');
  assert.deepEqual(s2.recovered.lost, [a.number]);
  assert.equal(s2.recovered.retried.length, 1);
  assert.equal(store2.getTrial('s', a.number)?.error, 'worker lost');
  const retry = s2.next() as TrialRecord;
  assert.equal(retry.attrs.retryOf, a.number);
  assert.deepEqual(retry.arch, a.arch);
  // The retry is lost too: no third attempt, the strategy is told NaN.
  s2.claim(retry.number, 'w2');
  s2.finish(retry.number, 'w2', { state: 'FAIL', error: 'worker crashed (SIGKILL)' });
  assert.equal(s2.counts().failed, 1);
  assert.equal(s2.counts().complete, 5);
  assert.equal(store2.trials('s', ['RUNNING']).length, 0);
  const n = s2.next() as TrialRecord;
  assert.notEqual(n.attrs.retryOf, retry.number);
  store2.close();
});

test('a crash between storing a trial and saving the strategy: the same trial is asked again and reused', () => {
  const store = new MemoryStore();
  const s = open(store);
  run(s, 3);
  const put = store.putState.bind(store);
  store.putState = () => {
    throw new Error('crash');
  };
  assert.throws(() => s.next(), /crash/);
  store.putState = put;
  const orphan = store.trials('s', ['WAITING'])[0];
  assert.ok(orphan);
  const s2 = open(store);
  const t = s2.next() as TrialRecord;
  assert.equal(t.number, orphan.number, 'reused, not duplicated');
  assert.equal(store.trials('s').length, 4);
});

test('a crash between finishing a trial and telling the strategy: told on resume, then the run matches', () => {
  const whole = run(open(new MemoryStore()), 10);
  const store = new MemoryStore();
  const s = open(store);
  const first = run(s, 4);
  const t = s.next() as TrialRecord;
  s.claim(t.number, 'w');
  const put = store.putState.bind(store);
  store.putState = () => {
    throw new Error('crash');
  };
  assert.throws(() => s.finish(t.number, 'w', { state: 'COMPLETE', value: score(t), metrics: { val_acc: score(t) } }), /crash/);
  store.putState = put;
  assert.equal(store.getTrial('s', t.number)?.state, 'COMPLETE', 'the result itself was stored');
  const s2 = open(store);
  assert.deepEqual(s2.recovered.told, [t.number]);
  const rest = run(s2, 5);
  assert.deepEqual([...first, JSON.stringify(t.arch), ...rest], whole);
});

test('opening a study with other settings is refused with a clear error', () => {
  const store = new MemoryStore();
  open(store);
  assert.throws(() => open(store, 'random'), /study 's' already exists with other settings/);
});

test('a multi-fidelity study picks its best from the highest fidelity completed, whatever a cheaper rung scored', () => {
  const s = Study.open({ store: new MemoryStore(), name: 'mf', space, strategy: 'sh', strategyOptions: { minFidelity: 1, maxFidelity: 3, eta: 3, configs: 3 }, seed: 1, objective: 'val_acc' });
  assert.equal(s.strategyOptions().maxFidelity, 3);
  const finish = (value: number) => {
    const t = s.next() as TrialRecord;
    s.claim(t.number, 'w');
    s.finish(t.number, 'w', { state: 'COMPLETE', value, metrics: { val_acc: value } });
    return t;
  };
  const low = [finish(0.9), finish(0.5), finish(0.4)];
  assert.deepEqual(low.map((t) => t.fidelity), [1, 1, 1]);
  assert.equal(s.best()?.number, low[0].number);
  const top = finish(0.7); // the promoted configuration scores less at its higher fidelity than its rung-0 figure
  assert.equal(top.fidelity, 3);
  assert.deepEqual(top.arch, low[0].arch);
  assert.equal(s.best()?.number, top.number);
});
