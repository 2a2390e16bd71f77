/**
 * Crash safety of `loom search`: the main process and its workers are killed with SIGKILL at
 * seeded random moments, the same command is run again each time, and at the end no completed
 * trial is lost, no trial is left RUNNING, and exactly the asked number of trials is finished.
 */
import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { FASHION_MNIST_DIR } from '../../src/data/fashion-mnist.js';
import { SqliteStore } from '../../src/study/sqlite.js';
import { Rng } from '../../src/util/rng.js';

const MAIN = new URL('../../src/cli/main.js', import.meta.url).pathname;
const haveData = existsSync(join(FASHION_MNIST_DIR, 'train-images-idx3-ubyte.gz'));
const TRIALS = 150;

const children = (pid: number): number[] => {
  const out: number[] = [];
  for (const t of readdirSync(`/proc/${pid}/task`, { withFileTypes: true })) {
    try {
      out.push(...readFileSync(`/proc/${pid}/task/${t.name}/children`, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number));
    } catch {
      // the task ended meanwhile
    }
  }
  return out;
};
const alive = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

test('kill -9 of the search and of its workers at random moments: nothing completed is lost, resume finishes exactly', { skip: haveData ? false : 'needs dataset-fashion-mnist', timeout: 15 * 60_000 }, async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'loom-kill-'));
  const db = join(dir, 'loom.db');
  const args = [MAIN, 'search', '--space', 'nb201', '--channels', '4', '--cells', '1', '--strategy', 'random', '--trials', String(TRIALS), '--workers', '2', '--threads', '1'];
  args.push('--epochs', '1', '--final-epochs', '0', '--train-limit', '600', '--val-size', '100', '--batch-size', '100', '--no-pruning', '--out', dir, '--study', 'kill', '--quiet', '--json');
  const run = (): ChildProcess => spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  const completed = new Map<number, number>();
  const rng = new Rng(11);
  let mainKills = 0;
  let workerKills = 0;
  try {
    while (mainKills < 10) {
      const p = run();
      const exited = new Promise<number | null>((res) => p.on('exit', (code) => res(code)));
      await sleep(1500 + rng.int(3000));
      if (p.exitCode !== null) break; // finished before we could kill it
      const workers = children(p.pid as number);
      if (rng.int(3) === 0 && workers.length) {
        // A worker dies: only its trial fails (and is retried); the search goes on.
        process.kill(workers[rng.int(workers.length)], 'SIGKILL');
        workerKills++;
        await sleep(1500 + rng.int(2000));
      }
      if (p.exitCode !== null) break;
      process.kill(p.pid as number, 'SIGKILL');
      mainKills++;
      await exited;
      // Orphaned workers notice the lost IPC channel and exit (after any synchronous step they are in, such as loading data).
      for (let i = 0; i < 60 && workers.some(alive); i++) await sleep(250);
      for (const w of workers) assert.equal(alive(w), false, `worker ${w} exits with the search that started it`);
      // Everything COMPLETE so far stays COMPLETE with the same value.
      if (existsSync(db)) {
        const s = new SqliteStore(db);
        for (const c of s.trials('kill', ['COMPLETE'])) {
          if (completed.has(c.number)) assert.equal(c.value, completed.get(c.number));
          completed.set(c.number, c.value as number);
        }
        s.close();
      }
    }
    // The last run goes to the end.
    const last = run();
    let stdout = '';
    last.stdout?.on('data', (d) => {
      stdout += d;
    });
    let stderr = '';
    last.stderr?.on('data', (d) => {
      stderr += d;
    });
    const code = await new Promise<number | null>((res) => last.on('exit', (c) => res(c)));
    assert.equal(code, 0, stderr);
    const result = JSON.parse(stdout);
    const s = new SqliteStore(db);
    const trials = s.trials('kill');
    assert.equal(s.trials('kill', ['RUNNING']).length, 0, 'no trial left RUNNING');
    assert.equal(s.trials('kill', ['WAITING']).length, 0, 'no trial left WAITING');
    for (const [n, v] of completed) assert.equal(s.getTrial('kill', n)?.value, v, `completed trial ${n} kept`);
    const asks = new Set(trials.map((t) => t.attrs.ask));
    assert.equal(asks.size, TRIALS, 'exactly the asked number of trials');
    assert.equal(result.trials.complete + result.trials.failed + result.trials.pruned, TRIALS);
    for (const f of trials.filter((x) => x.state === 'FAIL')) assert.match(f.error ?? '', /worker (lost|crashed)/, `trial ${f.number} failed for infrastructure reasons only`);
    s.close();
    assert.ok(mainKills >= 10, `killed the search ${mainKills} times (workers ${workerKills} times)`);
    t.diagnostic(`search killed ${mainKills} times, workers ${workerKills} times; ${trials.length} trials for ${TRIALS} asks (${result.trials.complete} complete, ${result.trials.failed} failed, ${result.trials.retried} retries); ${completed.size} completed trials checked after each kill`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
