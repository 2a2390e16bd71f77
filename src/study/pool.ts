/**
 * A pool of worker processes (`worker-main.ts`), each training one trial at a time with its own
 * thread count. A worker that crashes, is killed, or stops sending heartbeats fails only its job,
 * with an infrastructure error (`worker crashed ...`, `worker hung ...`), and is replaced. A job
 * that runs past its time limit is killed and fails as `time limit`.
 * @module
 */
import { type ChildProcess, fork } from 'node:child_process';
import type { DatasetOptions, ModelData } from '../data/datasets.js';
import type { TrialCurvePoint as CurvePoint, TrialResult, TrialSpec } from '../estimate/trial.js';

/** What a worker loads at start. */
export interface WorkerInit {
  dataset: string;
  dataOptions: DatasetOptions;
  includeTest: boolean;
  threads: number;
}

/** How a job ended. */
export type JobOutcome =
  | { kind: 'result'; result: TrialResult; test?: { accuracy: number; loss: number; correct: number; total: number }; data?: ModelData }
  | { kind: 'error'; message: string; infra: boolean };

export interface PoolOptions {
  /** Kill a worker silent for this long (default 60 s; data loading is allowed more). */
  heartbeatTimeoutMs?: number;
  /** Kill a job running longer than this (default: none). */
  jobTimeoutMs?: number;
  /** Extra arguments for node (default: none). */
  execArgv?: string[];
}

interface Slot {
  id: string;
  proc: ChildProcess;
  ready: Promise<void>;
  lastBeat: number;
  job: { id: number; started: number; onEpoch: (p: CurvePoint) => void; resolve: (o: JobOutcome) => void } | null;
  dead: boolean;
}

const WORKER = new URL('./worker-main.js', import.meta.url);
const LOAD_GRACE_MS = 10 * 60_000;

/** Worker processes that run trials (see the module comment). */
export class WorkerPool {
  private readonly slots: Slot[] = [];
  private readonly init: WorkerInit;
  private readonly opts: Required<Omit<PoolOptions, 'jobTimeoutMs'>> & { jobTimeoutMs?: number };
  private nextJob = 0;
  private nextWorker = 0;
  private timer: NodeJS.Timeout;
  private closed = false;

  constructor(size: number, init: WorkerInit, opts: PoolOptions = {}) {
    if (!Number.isInteger(size) || size < 1) throw new Error(`workers must be a positive integer, got ${size}`);
    this.init = init;
    this.opts = { heartbeatTimeoutMs: opts.heartbeatTimeoutMs ?? 60_000, execArgv: opts.execArgv ?? [], jobTimeoutMs: opts.jobTimeoutMs };
    for (let i = 0; i < size; i++) this.slots.push(this.spawn());
    this.timer = setInterval(() => this.watch(), 500);
    this.timer.unref();
  }

  private spawn(): Slot {
    const id = `w${this.nextWorker++}-${process.pid}`;
    const proc = fork(WORKER, [], { execArgv: ['--expose-gc', ...this.opts.execArgv], stdio: ['ignore', 'ignore', 'pipe', 'ipc'], serialization: 'advanced' });
    let stderr = '';
    proc.stderr?.on('data', (d: Buffer) => {
      stderr = (stderr + d.toString()).slice(-2000);
    });
    const slot: Slot = { id, proc, ready: Promise.resolve(), lastBeat: Date.now() + LOAD_GRACE_MS, job: null, dead: false };
    slot.ready = new Promise<void>((res) => {
      proc.on('message', (m: { type: string; job?: number; point?: CurvePoint; result?: TrialResult; test?: never; data?: ModelData; message?: string }) => {
        slot.lastBeat = Date.now();
        if (m.type === 'ready') res();
        else if (m.type === 'epoch' && slot.job && m.job === slot.job.id && m.point) slot.job.onEpoch(m.point);
        else if (m.type === 'done' && slot.job && m.job === slot.job.id && m.result) this.settle(slot, { kind: 'result', result: m.result, test: m.test, data: m.data });
        else if (m.type === 'error') {
          if (slot.job && (m.job === undefined || m.job === slot.job.id)) this.settle(slot, { kind: 'error', message: m.message ?? 'unknown error', infra: m.job === undefined });
          if (m.job === undefined) this.kill(slot, null);
        }
      });
    });
    proc.on('exit', (code, signal) => {
      slot.dead = true;
      if (slot.job) {
        const why = signal ? `signal ${signal}` : `exit code ${code}`;
        const tail = stderr.trim().split('\n').slice(-1)[0];
        this.settle(slot, { kind: 'error', message: `worker crashed (${why})${tail ? `: ${tail}` : ''}`, infra: true });
      }
    });
    proc.send(this.init);
    return slot;
  }

  private settle(slot: Slot, o: JobOutcome): void {
    const j = slot.job;
    slot.job = null;
    j?.resolve(o);
  }

  private kill(slot: Slot, outcome: JobOutcome | null): void {
    if (outcome) this.settle(slot, outcome);
    slot.dead = true;
    slot.proc.kill('SIGKILL');
  }

  private watch(): void {
    const now = Date.now();
    for (const s of this.slots) {
      if (s.dead || !s.job) continue;
      if (now - s.lastBeat > this.opts.heartbeatTimeoutMs) this.kill(s, { kind: 'error', message: `worker hung (no heartbeat for ${Math.round((now - s.lastBeat) / 1000)} s)`, infra: true });
      else if (this.opts.jobTimeoutMs !== undefined && now - s.job.started > this.opts.jobTimeoutMs)
        this.kill(s, { kind: 'error', message: `time limit: the trial ran past ${Math.round(this.opts.jobTimeoutMs / 1000)} s`, infra: false });
    }
  }

  /** Workers without a job. */
  idle(): number {
    return this.slots.filter((s) => !s.job).length;
  }

  /** An idle slot, with a fresh worker when its last one died. */
  private freeSlot(): Slot {
    const i = this.slots.findIndex((s) => !s.job);
    if (i < 0) throw new Error('no idle worker');
    if (this.slots[i].dead) this.slots[i] = this.spawn();
    return this.slots[i];
  }

  /** Runs a job on an idle worker; `onEpoch` sees each epoch as it ends. Never rejects. */
  run(spec: TrialSpec, onEpoch: (p: CurvePoint) => void, final = false): { worker: string; done: Promise<JobOutcome>; stop: () => void } {
    if (this.closed) throw new Error('the worker pool is closed');
    const slot = this.freeSlot();
    const id = this.nextJob++;
    const done = new Promise<JobOutcome>((resolve) => {
      slot.job = { id, started: Date.now(), onEpoch, resolve };
    });
    void slot.ready.then(() => {
      if (slot.job?.id === id && !slot.dead) {
        slot.job.started = Date.now();
        slot.proc.send({ type: 'run', job: id, spec, final });
      }
    });
    return {
      worker: slot.id,
      done,
      stop: () => {
        if (slot.job?.id === id && !slot.dead) slot.proc.send({ type: 'stop' });
      },
    };
  }

  /** Kills every worker. */
  close(): void {
    this.closed = true;
    clearInterval(this.timer);
    for (const s of this.slots) {
      if (s.job) this.settle(s, { kind: 'error', message: 'worker killed (the search stopped)', infra: true });
      if (!s.dead) s.proc.kill('SIGKILL');
    }
  }
}
