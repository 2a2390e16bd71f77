import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import Database from 'better-sqlite3';
import { MemoryStore } from '../../src/study/memory.js';
import { SqliteStore } from '../../src/study/sqlite.js';
import { StoreError } from '../../src/study/store.js';
import { storeConformance } from './conformance.js';

const dir = mkdtempSync(join(tmpdir(), 'loom-store-'));
process.on('exit', () => rmSync(dir, { recursive: true, force: true }));
let k = 0;

storeConformance('memory', () => new MemoryStore());
storeConformance('sqlite', () => new SqliteStore(join(dir, `c${k++}.db`)));

test('sqlite: everything survives closing and reopening; WAL mode', () => {
  const path = join(dir, 'reopen.db');
  const s = new SqliteStore(path);
  s.createStudy('a', { space: 'nb201' });
  s.putState('a', 'strategy', { x: 1 });
  s.addTrial('a', { arch: { v: 1 } });
  s.claimTrial('a', 'w');
  s.reportCurve('a', 0, 'w', { step: 1, metrics: { acc: Number.NaN } });
  s.finishTrial('a', 0, 'w', { state: 'COMPLETE', value: -0 });
  s.close();
  const r = new SqliteStore(path);
  assert.ok(Object.is(r.getTrial('a', 0)?.value, -0));
  assert.ok(Number.isNaN(r.curve('a', 0)[0].metrics.acc));
  assert.deepEqual(r.getState('a', 'strategy'), { x: 1 });
  r.close();
  const db = new Database(path, { readonly: true });
  assert.equal(db.pragma('journal_mode', { simple: true }), 'wal');
  db.close();
});

test('sqlite: refuses a file of another program and leaves it untouched', () => {
  const text = join(dir, 'notes.txt');
  writeFileSync(text, 'my precious notes\n');
  assert.throws(() => new SqliteStore(text), (e: unknown) => e instanceof StoreError && /is not a Loom study store \(not an SQLite database\)/.test(e.message));
  assert.equal(readFileSync(text, 'utf8'), 'my precious notes\n');
  const other = join(dir, 'other.db');
  const db = new Database(other);
  db.exec('CREATE TABLE contacts (name TEXT); INSERT INTO contacts VALUES (1)');
  db.close();
  const before = readFileSync(other);
  assert.throws(() => new SqliteStore(other), /an SQLite database of another program/);
  assert.deepEqual(readFileSync(other), before);
});

test('sqlite: two processes claiming from one file at once never get the same trial', async () => {
  const path = join(dir, 'race.db');
  const s = new SqliteStore(path);
  s.createStudy('race', {});
  for (let i = 0; i < 200; i++) s.addTrial('race', { arch: i });
  s.close();
  const mod = new URL('../../src/study/sqlite.js', import.meta.url).href;
  const script = `
    const { SqliteStore } = await import(${JSON.stringify(mod)});
    const s = new SqliteStore(${JSON.stringify(path)});
    const got = [];
    for (;;) {
      const t = s.claimTrial('race', process.argv[1]);
      if (!t) break;
      got.push(t.number);
      s.finishTrial('race', t.number, process.argv[1], { state: 'COMPLETE', value: t.number });
    }
    s.close();
    console.log(JSON.stringify(got));`;
  const run = (w: string) =>
    new Promise<number[]>((res, rej) => {
      const p = spawn(process.execPath, ['--input-type=module', '-e', script, w], { stdio: ['ignore', 'pipe', 'pipe'] });
      let out = '';
      let err = '';
      p.stdout.on('data', (d) => {
        out += d;
      });
      p.stderr.on('data', (d) => {
        err += d;
      });
      p.on('close', (c) => (c === 0 ? res(JSON.parse(out) as number[]) : rej(new Error(err))));
    });
  const [a, b] = await Promise.all([run('wa'), run('wb')]);
  assert.equal(a.length + b.length, 200);
  assert.equal(new Set([...a, ...b]).size, 200, 'no trial claimed twice');
  const r = new SqliteStore(path);
  assert.equal(r.trials('race', ['COMPLETE']).length, 200);
  r.close();
});
