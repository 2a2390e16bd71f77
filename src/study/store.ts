/**
 * The study store: where studies, trials and learning curves live, so that a search survives
 * crashes and resumes exactly. One interface, several backends (SQLite embedded by default, an
 * in-memory store for tests and embedding); every backend passes the conformance suite in
 * `test/study/conformance.ts`.
 *
 * ## The contract
 * - **Studies** have a unique name and immutable metadata (set at creation; `createStudy` on an
 *   existing name with different metadata throws {@link StoreError} `LOOM_STUDY_MISMATCH`). A study
 *   also holds named JSON blobs (`putState`/`getState`, e.g. the strategy's saved state); a put
 *   replaces the blob atomically.
 * - **Trials** are numbered 0, 1, 2, ... within a study in creation order; numbers are never reused.
 *   States: WAITING → RUNNING → COMPLETE | PRUNED | FAIL. WAITING → FAIL is allowed (a trial
 *   that cannot start). No other transition exists.
 * - **Leases**: a RUNNING trial belongs to the worker that claimed it. `heartbeat`, `reportCurve`
 *   and `finishTrial` name the worker; if the trial is no longer RUNNING under that worker (it was
 *   failed as stale, or finished), they throw {@link StoreError} `LOOM_LEASE_LOST` and change
 *   nothing. `claimTrial` is atomic: two workers never get the same trial.
 * - **A finished trial is immutable**: nothing changes a COMPLETE, PRUNED or FAIL trial's state,
 *   value, metrics, curve or attributes afterwards.
 * - **Numbers round-trip exactly**, including NaN, Infinity, -Infinity and -0, in values, metrics
 *   and curves. Metric names are non-empty strings.
 * - **Durability**: once a call returns, its effect survives a crash of the process (a `kill -9`).
 * - **Staleness**: `failStale(study, before)` fails every RUNNING trial whose last heartbeat (or
 *   start) is older than `before` (ms since the epoch, the store's clock), with error
 *   `worker lost`, and returns their numbers.
 * - Times are milliseconds since the epoch from the store's clock (`now()`).
 * @module
 */

/** A trial's state (Optuna's). */
export type TrialState = 'WAITING' | 'RUNNING' | 'COMPLETE' | 'PRUNED' | 'FAIL';
export const TRIAL_STATES: readonly TrialState[] = ['WAITING', 'RUNNING', 'COMPLETE', 'PRUNED', 'FAIL'];
/** States a trial ends in. */
export const FINISHED_STATES: readonly TrialState[] = ['COMPLETE', 'PRUNED', 'FAIL'];

/** Plain JSON. */
export type Json = null | boolean | number | string | Json[] | { [k: string]: Json };

/** A study as stored. */
export interface StudyRecord {
  readonly name: string;
  /** Immutable metadata (space, objective, strategy, dataset, ...). */
  readonly meta: Record<string, Json>;
  readonly createdAt: number;
}

/** One point of a learning curve. */
export interface CurvePoint {
  /** Epoch (or step) number. */
  readonly step: number;
  readonly metrics: Readonly<Record<string, number>>;
}

/** A trial as stored (a snapshot; later changes do not show in it). */
export interface TrialRecord {
  readonly study: string;
  readonly number: number;
  readonly state: TrialState;
  /** The architecture (its JSON form) and anything else the study puts with it. */
  readonly arch: Json;
  /** The fidelity (e.g. epochs) asked for; null for the estimator's full fidelity. */
  readonly fidelity: number | null;
  /** The objective (higher is better); null until finished; NaN for a failed evaluation. */
  readonly value: number | null;
  readonly metrics: Readonly<Record<string, number>>;
  /** Free-form JSON (strategy ask id, retry-of, parent, ...). */
  readonly attrs: Readonly<Record<string, Json>>;
  readonly error: string | null;
  /** The worker holding (or that last held) the lease. */
  readonly worker: string | null;
  readonly createdAt: number;
  readonly startedAt: number | null;
  readonly finishedAt: number | null;
  readonly heartbeatAt: number | null;
  /** Number of curve points stored. */
  readonly curveLength: number;
}

/** What a new trial is made of. */
export interface NewTrial {
  arch: Json;
  fidelity?: number | null;
  attrs?: Record<string, Json>;
}

/** How a trial ends. */
export interface TrialOutcome {
  state: 'COMPLETE' | 'PRUNED' | 'FAIL';
  value?: number | null;
  metrics?: Record<string, number>;
  error?: string | null;
}

/** The store interface (see the module comment for the contract). */
export interface Store {
  /** Where it is (`sqlite:/path`, `memory:`). */
  readonly url: string;
  now(): number;
  /** Creates a study, or returns the existing one when its metadata is equal. */
  createStudy(name: string, meta: Record<string, Json>): StudyRecord;
  getStudy(name: string): StudyRecord | null;
  listStudies(): StudyRecord[];
  putState(study: string, key: string, value: Json): void;
  getState(study: string, key: string): Json | undefined;
  /** Adds a WAITING trial and returns it. */
  addTrial(study: string, t: NewTrial): TrialRecord;
  /** Atomically moves the oldest WAITING trial (or trial `number`, when given and WAITING) to RUNNING under `worker`; null when there is none. */
  claimTrial(study: string, worker: string, number?: number): TrialRecord | null;
  /** Records that `worker` still runs the trial. */
  heartbeat(study: string, number: number, worker: string): void;
  /** Appends (or replaces, for the same step) a learning-curve point of a RUNNING trial. */
  reportCurve(study: string, number: number, worker: string, point: CurvePoint): void;
  /** Finishes a RUNNING trial held by `worker` (or a WAITING one, with `worker` null, as FAIL). */
  finishTrial(study: string, number: number, worker: string | null, outcome: TrialOutcome): TrialRecord;
  /** Fails RUNNING trials whose heartbeat is older than `before`; returns their numbers. */
  failStale(study: string, before: number): number[];
  getTrial(study: string, number: number): TrialRecord | null;
  /** Trials in number order, optionally only those in `states`. */
  trials(study: string, states?: readonly TrialState[]): TrialRecord[];
  curve(study: string, number: number): CurvePoint[];
  close(): void;
}

/** Store errors, with a code scripts can test. */
export class StoreError extends Error {
  readonly code: 'LOOM_LEASE_LOST' | 'LOOM_STUDY_MISMATCH' | 'LOOM_NO_STUDY' | 'LOOM_NO_TRIAL' | 'LOOM_BAD_STORE' | 'LOOM_BAD_TRANSITION' | 'LOOM_BAD_VALUE';
  constructor(code: StoreError['code'], message: string) {
    super(message);
    this.name = 'StoreError';
    this.code = code;
  }
}

// ---- exact numbers in JSON ---------------------------------------------------------------------

const SPECIAL: Record<string, number> = { NaN: Number.NaN, Infinity: Number.POSITIVE_INFINITY, '-Infinity': Number.NEGATIVE_INFINITY, '-0': -0 };

/** A number as JSON that round-trips exactly (NaN, ±Infinity and -0 become tagged strings). */
export function encodeNumber(x: number): number | { $n: string } {
  if (Number.isNaN(x)) return { $n: 'NaN' };
  if (x === Number.POSITIVE_INFINITY) return { $n: 'Infinity' };
  if (x === Number.NEGATIVE_INFINITY) return { $n: '-Infinity' };
  if (Object.is(x, -0)) return { $n: '-0' };
  return x;
}
/** The inverse of {@link encodeNumber}. */
export function decodeNumber(v: unknown): number {
  if (typeof v === 'number') return v;
  const tag = (v as { $n?: string } | null)?.$n;
  if (typeof tag === 'string' && tag in SPECIAL) return SPECIAL[tag];
  throw new StoreError('LOOM_BAD_STORE', `store: not an encoded number: ${JSON.stringify(v)}`);
}
/** Metrics to exact JSON text. */
export function encodeMetrics(m: Readonly<Record<string, number>>): string {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(m)) {
    if (!k) throw new StoreError('LOOM_BAD_VALUE', 'store: a metric needs a non-empty name');
    if (typeof v !== 'number') throw new StoreError('LOOM_BAD_VALUE', `store: metric '${k}' must be a number, got ${JSON.stringify(v)}`);
    out[k] = encodeNumber(v);
  }
  return JSON.stringify(out);
}
/** The inverse of {@link encodeMetrics}. */
export function decodeMetrics(text: string): Record<string, number> {
  const raw = JSON.parse(text) as Record<string, unknown>;
  const out: Record<string, number> = {};
  for (const [k, v] of Object.entries(raw)) out[k] = decodeNumber(v);
  return out;
}
/** A nullable number to exact JSON text (null stays null). */
export function encodeValue(x: number | null | undefined): string | null {
  if (x === null || x === undefined) return null;
  if (typeof x !== 'number') throw new StoreError('LOOM_BAD_VALUE', `store: a trial value must be a number, got ${JSON.stringify(x)}`);
  return JSON.stringify(encodeNumber(x));
}
export function decodeValue(text: string | null): number | null {
  return text === null ? null : decodeNumber(JSON.parse(text));
}

/** Checks the state machine; throws LOOM_BAD_TRANSITION. */
export function checkTransition(study: string, number: number, from: TrialState, to: TrialState): void {
  const ok = (from === 'WAITING' && (to === 'RUNNING' || to === 'FAIL')) || (from === 'RUNNING' && FINISHED_STATES.includes(to));
  if (!ok) throw new StoreError('LOOM_BAD_TRANSITION', `store: trial ${number} of study '${study}' cannot go from ${from} to ${to}`);
}

/** Checks a study name: 1-200 printable characters. */
export function checkStudyName(name: string): string {
  if (typeof name !== 'string' || !/^[\x20-\x7e]{1,200}$/.test(name) || name.trim() !== name) {
    throw new StoreError('LOOM_BAD_VALUE', `store: a study name must be 1-200 printable characters without surrounding spaces, got ${JSON.stringify(name)}`);
  }
  return name;
}
