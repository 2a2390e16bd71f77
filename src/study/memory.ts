/**
 * An in-memory {@link Store}: the same contract as the SQLite store, without durability (for
 * tests, embedding, and tabular searches that need no file).
 * @module
 */
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

interface MemTrial {
  rec: Omit<TrialRecord, 'curveLength' | 'metrics' | 'value'> & { metrics: string; value: string | null };
  curve: Map<number, string>;
}

/** A {@link Store} held in this process's memory. */
export class MemoryStore implements Store {
  readonly url = 'memory:';
  private readonly studies = new Map<string, { rec: StudyRecord; metaText: string; state: Map<string, string>; trials: MemTrial[] }>();
  private clock: () => number;

  /** `clock`: the store's clock (default Date.now), replaceable in tests. */
  constructor(clock: () => number = Date.now) {
    this.clock = clock;
  }
  now(): number {
    return this.clock();
  }

  private study(name: string) {
    const s = this.studies.get(name);
    if (!s) throw new StoreError('LOOM_NO_STUDY', `store: no study named '${name}' in ${this.url}`);
    return s;
  }
  private trial(study: string, number: number): MemTrial {
    const t = this.study(study).trials[number];
    if (!t) throw new StoreError('LOOM_NO_TRIAL', `store: study '${study}' has no trial ${number}`);
    return t;
  }
  private snapshot(t: MemTrial): TrialRecord {
    return Object.freeze({
      ...t.rec,
      arch: JSON.parse(JSON.stringify(t.rec.arch)) as Json,
      attrs: Object.freeze(JSON.parse(JSON.stringify(t.rec.attrs))),
      value: decodeValue(t.rec.value),
      metrics: Object.freeze(decodeMetrics(t.rec.metrics)),
      curveLength: t.curve.size,
    });
  }

  createStudy(name: string, meta: Record<string, Json>): StudyRecord {
    checkStudyName(name);
    const text = JSON.stringify(meta);
    const s = this.studies.get(name);
    if (s) {
      if (s.metaText !== text) throw new StoreError('LOOM_STUDY_MISMATCH', `store: study '${name}' already exists with other settings (${s.metaText}); use another --study name`);
      return s.rec;
    }
    const rec = Object.freeze({ name, meta: JSON.parse(text), createdAt: this.now() });
    this.studies.set(name, { rec, metaText: text, state: new Map(), trials: [] });
    return rec;
  }
  getStudy(name: string): StudyRecord | null {
    return this.studies.get(name)?.rec ?? null;
  }
  listStudies(): StudyRecord[] {
    return [...this.studies.values()].map((s) => s.rec);
  }
  putState(study: string, key: string, value: Json): void {
    const text = JSON.stringify(value);
    if (text === undefined) throw new StoreError('LOOM_BAD_VALUE', `store: state '${key}' is not JSON`);
    this.study(study).state.set(key, text);
  }
  getState(study: string, key: string): Json | undefined {
    const t = this.study(study).state.get(key);
    return t === undefined ? undefined : (JSON.parse(t) as Json);
  }

  addTrial(study: string, t: NewTrial): TrialRecord {
    const s = this.study(study);
    const arch = JSON.stringify(t.arch);
    if (arch === undefined) throw new StoreError('LOOM_BAD_VALUE', 'store: a trial needs a JSON architecture');
    const fidelity = t.fidelity ?? null;
    if (fidelity !== null && !Number.isFinite(fidelity)) throw new StoreError('LOOM_BAD_VALUE', `store: fidelity must be a finite number, got ${fidelity}`);
    const m: MemTrial = {
      rec: {
        study,
        number: s.trials.length,
        state: 'WAITING',
        arch: JSON.parse(arch),
        fidelity,
        value: null,
        metrics: '{}',
        attrs: JSON.parse(JSON.stringify(t.attrs ?? {})),
        error: null,
        worker: null,
        createdAt: this.now(),
        startedAt: null,
        finishedAt: null,
        heartbeatAt: null,
      },
      curve: new Map(),
    };
    s.trials.push(m);
    return this.snapshot(m);
  }

  claimTrial(study: string, worker: string, number?: number): TrialRecord | null {
    const s = this.study(study);
    const t = number === undefined ? s.trials.find((x) => x.rec.state === 'WAITING') : s.trials[number]?.rec.state === 'WAITING' ? s.trials[number] : undefined;
    if (!t) return null;
    const now = this.now();
    t.rec = { ...t.rec, state: 'RUNNING', worker, startedAt: now, heartbeatAt: now };
    return this.snapshot(t);
  }

  private leased(study: string, number: number, worker: string): MemTrial {
    const t = this.trial(study, number);
    if (t.rec.state !== 'RUNNING' || t.rec.worker !== worker) {
      throw new StoreError('LOOM_LEASE_LOST', `store: worker '${worker}' no longer holds trial ${number} of '${study}' (it is ${t.rec.state}${t.rec.worker ? ` under '${t.rec.worker}'` : ''})`);
    }
    return t;
  }

  heartbeat(study: string, number: number, worker: string): void {
    const t = this.leased(study, number, worker);
    t.rec = { ...t.rec, heartbeatAt: this.now() };
  }

  reportCurve(study: string, number: number, worker: string, point: CurvePoint): void {
    if (!Number.isFinite(point.step)) throw new StoreError('LOOM_BAD_VALUE', `store: a curve step must be a finite number, got ${point.step}`);
    const metrics = encodeMetrics(point.metrics);
    const t = this.leased(study, number, worker);
    t.curve.set(point.step, metrics);
    t.rec = { ...t.rec, heartbeatAt: this.now() };
  }

  finishTrial(study: string, number: number, worker: string | null, outcome: TrialOutcome): TrialRecord {
    const value = encodeValue(outcome.value);
    const metrics = encodeMetrics(outcome.metrics ?? {});
    const t = this.trial(study, number);
    if (worker === null) {
      if (t.rec.state !== 'WAITING') throw new StoreError('LOOM_LEASE_LOST', `store: trial ${number} of '${study}' is ${t.rec.state}; only a WAITING trial can be finished without a worker`);
    } else this.leased(study, number, worker);
    checkTransition(study, number, t.rec.state, outcome.state);
    t.rec = { ...t.rec, state: outcome.state as TrialState, value, metrics, error: outcome.error ?? null, finishedAt: this.now() };
    return this.snapshot(t);
  }

  failStale(study: string, before: number): number[] {
    const out: number[] = [];
    const now = this.now();
    for (const t of this.study(study).trials) {
      if (t.rec.state === 'RUNNING' && (t.rec.heartbeatAt ?? t.rec.startedAt ?? 0) < before) {
        t.rec = { ...t.rec, state: 'FAIL', error: 'worker lost', finishedAt: now };
        out.push(t.rec.number);
      }
    }
    return out;
  }

  getTrial(study: string, number: number): TrialRecord | null {
    const t = this.studies.get(study)?.trials[number];
    return t ? this.snapshot(t) : null;
  }
  trials(study: string, states?: readonly TrialState[]): TrialRecord[] {
    const s = this.studies.get(study);
    if (!s) return [];
    const out = s.trials.map((t) => this.snapshot(t));
    return states ? out.filter((t) => states.includes(t.state)) : out;
  }
  curve(study: string, number: number): CurvePoint[] {
    const t = this.studies.get(study)?.trials[number];
    if (!t) return [];
    return [...t.curve.entries()].sort((a, b) => a[0] - b[0]).map(([step, m]) => Object.freeze({ step, metrics: Object.freeze(decodeMetrics(m)) }));
  }
  close(): void {}
}
