/**
 * The embedded default store: one SQLite file (better-sqlite3), in WAL mode with a busy timeout,
 * every write in an immediate transaction and `synchronous=FULL`, so several worker processes can
 * share it and nothing a call returned from is lost on a crash. The file carries Loom's
 * application id; a database of another program is refused, never modified.
 * @module
 */
import { existsSync, openSync, readSync, closeSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import Database from 'better-sqlite3';
import {
  type CurvePoint,
  type Json,
  type NewTrial,
  type Store,
  StoreError,
  type StudyRecord,
  type TrialOutcome,
  type TrialRecord,
  type TrialState,
  checkStudyName,
  checkTransition,
  decodeMetrics,
  decodeValue,
  encodeMetrics,
  encodeValue,
} from './store.js';
import { makeDirs } from '../util/fs.js';

/** 'LOOM' as a 32-bit integer: SQLite's application_id of a Loom store. */
const APPLICATION_ID = 0x4c4f4f4d;
const SCHEMA_VERSION = 1;

const SCHEMA = `
CREATE TABLE IF NOT EXISTS studies (
  name TEXT PRIMARY KEY,
  meta TEXT NOT NULL,
  created_at INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS study_state (
  study TEXT NOT NULL REFERENCES studies(name),
  key TEXT NOT NULL,
  value TEXT NOT NULL,
  PRIMARY KEY (study, key)
);
CREATE TABLE IF NOT EXISTS trials (
  study TEXT NOT NULL REFERENCES studies(name),
  number INTEGER NOT NULL,
  state TEXT NOT NULL CHECK (state IN ('WAITING','RUNNING','COMPLETE','PRUNED','FAIL')),
  arch TEXT NOT NULL,
  fidelity REAL,
  value TEXT,
  metrics TEXT NOT NULL DEFAULT '{}',
  attrs TEXT NOT NULL DEFAULT '{}',
  error TEXT,
  worker TEXT,
  created_at INTEGER NOT NULL,
  started_at INTEGER,
  finished_at INTEGER,
  heartbeat_at INTEGER,
  PRIMARY KEY (study, number)
);
CREATE INDEX IF NOT EXISTS trials_state ON trials(study, state, number);
CREATE TABLE IF NOT EXISTS curves (
  study TEXT NOT NULL,
  number INTEGER NOT NULL,
  step REAL NOT NULL,
  metrics TEXT NOT NULL,
  PRIMARY KEY (study, number, step),
  FOREIGN KEY (study, number) REFERENCES trials(study, number)
);
`;

interface TrialRow {
  study: string;
  number: number;
  state: TrialState;
  arch: string;
  fidelity: number | null;
  value: string | null;
  metrics: string;
  attrs: string;
  error: string | null;
  worker: string | null;
  created_at: number;
  started_at: number | null;
  finished_at: number | null;
  heartbeat_at: number | null;
  curve_length: number;
}

const TRIAL_COLUMNS = `t.*, (SELECT COUNT(*) FROM curves c WHERE c.study = t.study AND c.number = t.number) AS curve_length`;

function toRecord(r: TrialRow): TrialRecord {
  return Object.freeze({
    study: r.study,
    number: r.number,
    state: r.state,
    arch: JSON.parse(r.arch) as Json,
    fidelity: r.fidelity,
    value: decodeValue(r.value),
    metrics: Object.freeze(decodeMetrics(r.metrics)),
    attrs: Object.freeze(JSON.parse(r.attrs) as Record<string, Json>),
    error: r.error,
    worker: r.worker,
    createdAt: r.created_at,
    startedAt: r.started_at,
    finishedAt: r.finished_at,
    heartbeatAt: r.heartbeat_at,
    curveLength: r.curve_length,
  });
}

/** Reads the first 16 bytes of a file, to tell an SQLite database from anything else. */
function isSqliteFile(path: string): boolean {
  const fd = openSync(path, 'r');
  try {
    const b = Buffer.alloc(16);
    const n = readSync(fd, b, 0, 16, 0);
    return n === 0 || b.toString('latin1', 0, 16) === 'SQLite format 3\u0000';
  } finally {
    closeSync(fd);
  }
}

/** A {@link Store} in one SQLite file. */
export class SqliteStore implements Store {
  readonly url: string;
  readonly path: string;
  private readonly db: Database.Database;

  /** Opens (creating when missing) the store at `path`; `:memory:` for a private in-memory one. */
  constructor(path: string, opts: { busyTimeoutMs?: number } = {}) {
    const memory = path === ':memory:';
    this.path = memory ? path : resolve(path);
    this.url = `sqlite:${this.path}`;
    if (!memory) {
      if (existsSync(this.path) && !isSqliteFile(this.path)) {
        throw new StoreError('LOOM_BAD_STORE', `store: ${this.path} is not a Loom study store (not an SQLite database); refusing to touch it`);
      }
      try {
        makeDirs(dirname(this.path));
      } catch (e) {
        throw new StoreError('LOOM_BAD_STORE', `store: cannot create the folder of ${this.path}: ${(e as Error).message}`);
      }
    }
    try {
      this.db = new Database(this.path, { timeout: opts.busyTimeoutMs ?? 10_000 });
    } catch (e) {
      throw new StoreError('LOOM_BAD_STORE', `store: cannot open ${this.path}: ${(e as Error).message}`);
    }
    try {
      this.init();
    } catch (e) {
      this.db.close();
      if (e instanceof StoreError) throw e;
      throw new StoreError('LOOM_BAD_STORE', `store: cannot use ${this.path}: ${(e as Error).message}`);
    }
  }

  private init(): void {
    const db = this.db;
    const appId = db.pragma('application_id', { simple: true }) as number;
    const tables = (db.prepare(`SELECT COUNT(*) AS n FROM sqlite_master WHERE type = 'table'`).get() as { n: number }).n;
    if (appId !== APPLICATION_ID && (appId !== 0 || tables > 0)) {
      throw new StoreError('LOOM_BAD_STORE', `store: ${this.path} is an SQLite database of another program (application id ${appId}, ${tables} tables); refusing to touch it`);
    }
    const version = db.pragma('user_version', { simple: true }) as number;
    if (version > SCHEMA_VERSION) throw new StoreError('LOOM_BAD_STORE', `store: ${this.path} was written by a newer Loom (schema ${version}; this one reads ${SCHEMA_VERSION})`);
    if (this.path !== ':memory:') db.pragma('journal_mode = WAL');
    db.pragma('synchronous = FULL');
    db.pragma('foreign_keys = ON');
    db.transaction(() => {
      db.exec(SCHEMA);
      db.pragma(`application_id = ${APPLICATION_ID}`);
      db.pragma(`user_version = ${SCHEMA_VERSION}`);
    }).immediate();
  }

  now(): number {
    return Date.now();
  }

  /** Runs `fn` in an immediate (write-locking) transaction. */
  private tx<T>(fn: () => T): T {
    return this.db.transaction(fn).immediate();
  }

  private requireStudy(name: string): StudyRecord {
    const s = this.getStudy(name);
    if (!s) throw new StoreError('LOOM_NO_STUDY', `store: no study named '${name}' in ${this.url}`);
    return s;
  }

  createStudy(name: string, meta: Record<string, Json>): StudyRecord {
    checkStudyName(name);
    const text = JSON.stringify(meta);
    return this.tx(() => {
      const existing = this.getStudy(name);
      if (existing) {
        if (JSON.stringify(existing.meta) !== text) {
          throw new StoreError('LOOM_STUDY_MISMATCH', `store: study '${name}' already exists with other settings (${JSON.stringify(existing.meta)}); use another --study name`);
        }
        return existing;
      }
      const now = this.now();
      this.db.prepare('INSERT INTO studies (name, meta, created_at) VALUES (?, ?, ?)').run(name, text, now);
      return Object.freeze({ name, meta: JSON.parse(text), createdAt: now });
    });
  }

  getStudy(name: string): StudyRecord | null {
    const r = this.db.prepare('SELECT name, meta, created_at FROM studies WHERE name = ?').get(name) as { name: string; meta: string; created_at: number } | undefined;
    return r ? Object.freeze({ name: r.name, meta: JSON.parse(r.meta), createdAt: r.created_at }) : null;
  }

  listStudies(): StudyRecord[] {
    const rows = this.db.prepare('SELECT name, meta, created_at FROM studies ORDER BY created_at, name').all() as { name: string; meta: string; created_at: number }[];
    return rows.map((r) => Object.freeze({ name: r.name, meta: JSON.parse(r.meta), createdAt: r.created_at }));
  }

  putState(study: string, key: string, value: Json): void {
    const text = JSON.stringify(value);
    if (text === undefined) throw new StoreError('LOOM_BAD_VALUE', `store: state '${key}' is not JSON`);
    this.tx(() => {
      this.requireStudy(study);
      this.db.prepare('INSERT INTO study_state (study, key, value) VALUES (?, ?, ?) ON CONFLICT (study, key) DO UPDATE SET value = excluded.value').run(study, key, text);
    });
  }

  getState(study: string, key: string): Json | undefined {
    const r = this.db.prepare('SELECT value FROM study_state WHERE study = ? AND key = ?').get(study, key) as { value: string } | undefined;
    return r ? (JSON.parse(r.value) as Json) : undefined;
  }

  addTrial(study: string, t: NewTrial): TrialRecord {
    const arch = JSON.stringify(t.arch);
    if (arch === undefined) throw new StoreError('LOOM_BAD_VALUE', 'store: a trial needs a JSON architecture');
    const attrs = JSON.stringify(t.attrs ?? {});
    const fidelity = t.fidelity ?? null;
    if (fidelity !== null && !Number.isFinite(fidelity)) throw new StoreError('LOOM_BAD_VALUE', `store: fidelity must be a finite number, got ${fidelity}`);
    return this.tx(() => {
      this.requireStudy(study);
      const next = (this.db.prepare('SELECT COALESCE(MAX(number) + 1, 0) AS n FROM trials WHERE study = ?').get(study) as { n: number }).n;
      this.db
        .prepare(`INSERT INTO trials (study, number, state, arch, fidelity, attrs, created_at) VALUES (?, ?, 'WAITING', ?, ?, ?, ?)`)
        .run(study, next, arch, fidelity, attrs, this.now());
      return this.mustGet(study, next);
    });
  }

  claimTrial(study: string, worker: string, number?: number): TrialRecord | null {
    return this.tx(() => {
      this.requireStudy(study);
      const row = (
        number === undefined
          ? this.db.prepare(`SELECT number FROM trials WHERE study = ? AND state = 'WAITING' ORDER BY number LIMIT 1`).get(study)
          : this.db.prepare(`SELECT number FROM trials WHERE study = ? AND number = ? AND state = 'WAITING'`).get(study, number)
      ) as { number: number } | undefined;
      if (!row) return null;
      const now = this.now();
      this.db
        .prepare(`UPDATE trials SET state = 'RUNNING', worker = ?, started_at = ?, heartbeat_at = ? WHERE study = ? AND number = ? AND state = 'WAITING'`)
        .run(worker, now, now, study, row.number);
      return this.mustGet(study, row.number);
    });
  }

  /** Throws LOOM_LEASE_LOST unless trial `number` is RUNNING under `worker`. */
  private checkLease(study: string, number: number, worker: string): void {
    const r = this.db.prepare('SELECT state, worker FROM trials WHERE study = ? AND number = ?').get(study, number) as { state: TrialState; worker: string | null } | undefined;
    if (!r) throw new StoreError('LOOM_NO_TRIAL', `store: study '${study}' has no trial ${number}`);
    if (r.state !== 'RUNNING' || r.worker !== worker) {
      throw new StoreError('LOOM_LEASE_LOST', `store: worker '${worker}' no longer holds trial ${number} of '${study}' (it is ${r.state}${r.worker ? ` under '${r.worker}'` : ''})`);
    }
  }

  heartbeat(study: string, number: number, worker: string): void {
    this.tx(() => {
      this.checkLease(study, number, worker);
      this.db.prepare('UPDATE trials SET heartbeat_at = ? WHERE study = ? AND number = ?').run(this.now(), study, number);
    });
  }

  reportCurve(study: string, number: number, worker: string, point: CurvePoint): void {
    if (!Number.isFinite(point.step)) throw new StoreError('LOOM_BAD_VALUE', `store: a curve step must be a finite number, got ${point.step}`);
    const metrics = encodeMetrics(point.metrics);
    this.tx(() => {
      this.checkLease(study, number, worker);
      this.db
        .prepare('INSERT INTO curves (study, number, step, metrics) VALUES (?, ?, ?, ?) ON CONFLICT (study, number, step) DO UPDATE SET metrics = excluded.metrics')
        .run(study, number, point.step, metrics);
      this.db.prepare('UPDATE trials SET heartbeat_at = ? WHERE study = ? AND number = ?').run(this.now(), study, number);
    });
  }

  finishTrial(study: string, number: number, worker: string | null, outcome: TrialOutcome): TrialRecord {
    const value = encodeValue(outcome.value);
    const metrics = encodeMetrics(outcome.metrics ?? {});
    return this.tx(() => {
      const cur = this.getTrial(study, number);
      if (!cur) throw new StoreError('LOOM_NO_TRIAL', `store: study '${study}' has no trial ${number}`);
      if (worker === null) {
        if (cur.state !== 'WAITING') throw new StoreError('LOOM_LEASE_LOST', `store: trial ${number} of '${study}' is ${cur.state}; only a WAITING trial can be finished without a worker`);
      } else this.checkLease(study, number, worker);
      checkTransition(study, number, cur.state, outcome.state);
      this.db
        .prepare('UPDATE trials SET state = ?, value = ?, metrics = ?, error = ?, finished_at = ? WHERE study = ? AND number = ?')
        .run(outcome.state, value, metrics, outcome.error ?? null, this.now(), study, number);
      return this.mustGet(study, number);
    });
  }

  failStale(study: string, before: number): number[] {
    return this.tx(() => {
      const rows = this.db
        .prepare(`SELECT number FROM trials WHERE study = ? AND state = 'RUNNING' AND COALESCE(heartbeat_at, started_at, 0) < ? ORDER BY number`)
        .all(study, before) as { number: number }[];
      const now = this.now();
      const upd = this.db.prepare(`UPDATE trials SET state = 'FAIL', error = 'worker lost', finished_at = ? WHERE study = ? AND number = ?`);
      for (const r of rows) upd.run(now, study, r.number);
      return rows.map((r) => r.number);
    });
  }

  private mustGet(study: string, number: number): TrialRecord {
    const t = this.getTrial(study, number);
    if (!t) throw new StoreError('LOOM_NO_TRIAL', `store: study '${study}' has no trial ${number}`);
    return t;
  }

  getTrial(study: string, number: number): TrialRecord | null {
    const r = this.db.prepare(`SELECT ${TRIAL_COLUMNS} FROM trials t WHERE t.study = ? AND t.number = ?`).get(study, number) as TrialRow | undefined;
    return r ? toRecord(r) : null;
  }

  trials(study: string, states?: readonly TrialState[]): TrialRecord[] {
    const rows = this.db.prepare(`SELECT ${TRIAL_COLUMNS} FROM trials t WHERE t.study = ? ORDER BY t.number`).all(study) as TrialRow[];
    const out = rows.map(toRecord);
    return states ? out.filter((t) => states.includes(t.state)) : out;
  }

  curve(study: string, number: number): CurvePoint[] {
    const rows = this.db.prepare('SELECT step, metrics FROM curves WHERE study = ? AND number = ? ORDER BY step').all(study, number) as { step: number; metrics: string }[];
    return rows.map((r) => Object.freeze({ step: r.step, metrics: Object.freeze(decodeMetrics(r.metrics)) }));
  }

  close(): void {
    if (this.db.open) this.db.close();
  }
}
