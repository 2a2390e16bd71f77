/**
 * `Study`: a search strategy bound to a store, so that a search survives crashes and resumes
 * exactly where it stopped.
 *
 * How it stays consistent with the store (the only source of truth):
 * - Every trial carries the strategy's ask id (`attrs.ask`). A retry of a trial (after a worker
 *   crashed, was killed or hung) is a new trial with the same ask id and `attrs.retryOf`.
 * - After each ask (once its trial is stored) and each tell, the strategy's state is saved together
 *   with the set of ask ids it has been told, in one atomic write. A crash between storing a trial
 *   and saving the state leaves a trial the saved strategy has not asked yet: on resume the
 *   strategy asks again, deterministically gets the same architecture with the same id, and the
 *   stored trial is reused. A crash between finishing a trial and saving the state leaves a
 *   finished trial whose id is not in the told set: on resume it is told then.
 * - On open, every RUNNING trial belongs to a worker of a previous run, which is gone: it is failed
 *   (`worker lost`) and, like any trial that failed for infrastructure reasons, retried once.
 * - For each ask id, its latest trial decides: the strategy is told its value once it is
 *   COMPLETE or PRUNED (the last reported objective), or NaN once it FAILed for good.
 * @module
 */
import type { Architecture } from '../space/architecture.js';
import type { SearchSpace } from '../space/space.js';
import { createStrategy, restoreStrategy } from '../strategy/registry.js';
import type { Ask, Strategy, StrategyState } from '../strategy/strategy.js';
import { type CurvePoint, type Json, type Store, StoreError, type TrialOutcome, type TrialRecord } from './store.js';

/** Errors a trial ends with that are not the architecture's fault (the trial is retried once). */
export const INFRA_ERRORS = ['worker lost', 'worker crashed', 'worker hung', 'worker killed'] as const;
/** How many times a trial runs at most when it keeps failing for infrastructure reasons. */
export const MAX_ATTEMPTS = 2;

/** Whether a failed trial failed for infrastructure reasons. */
export function isInfraFailure(t: TrialRecord): boolean {
  return t.state === 'FAIL' && !!t.error && INFRA_ERRORS.some((e) => (t.error as string).startsWith(e));
}

/** What opening a study needs. */
export interface StudyOptions {
  store: Store;
  name: string;
  space: SearchSpace;
  strategy: string;
  strategyOptions?: Record<string, unknown>;
  seed: number;
  /** The objective's metric name (higher is better), e.g. `val_acc`. */
  objective: string;
  /** More immutable settings (dataset, recipe, ...): a resume must pass the same. */
  meta?: Record<string, Json>;
}

interface SavedState {
  strategy: StrategyState;
  told: number[];
  /** One more than the largest ask id the saved strategy has handed out. */
  asked: number;
}

const askOf = (t: TrialRecord): number => {
  const a = t.attrs.ask;
  if (typeof a !== 'number') throw new StoreError('LOOM_BAD_STORE', `store: trial ${t.number} of '${t.study}' has no ask id; was it written by another program?`);
  return a;
};

/**
 * The best of `trials`' COMPLETE ones with a value (ties: the earliest), or null: the highest value
 * among those at the highest fidelity (see {@link Study.best}).
 */
export function bestTrial(trials: readonly TrialRecord[]): TrialRecord | null {
  let b: TrialRecord | null = null;
  const level = (t: TrialRecord) => t.fidelity ?? Number.POSITIVE_INFINITY;
  for (const t of trials) {
    if (t.state !== 'COMPLETE' || t.value === null || Number.isNaN(t.value)) continue;
    if (!b || level(t) > level(b) || (level(t) === level(b) && t.value > (b.value as number))) b = t;
  }
  return b;
}

/** A strategy bound to a store (see the module comment). */
export class Study {
  readonly store: Store;
  readonly name: string;
  readonly space: SearchSpace;
  readonly objective: string;
  private strategy: Strategy;
  private readonly told = new Set<number>();
  private asked: number;
  /** Trials recovered on open: failed as lost, and retries scheduled. */
  readonly recovered: { lost: number[]; retried: number[]; told: number[] };

  private constructor(o: StudyOptions, strategy: Strategy, told: readonly number[], asked: number) {
    this.asked = asked;
    this.store = o.store;
    this.name = o.name;
    this.space = o.space;
    this.objective = o.objective;
    this.strategy = strategy;
    for (const t of told) this.told.add(t);
    this.recovered = { lost: [], retried: [], told: [] };
  }

  /** Creates the study, or resumes it (same settings required; see {@link StoreError} LOOM_STUDY_MISMATCH). */
  static open(o: StudyOptions): Study {
    const meta: Record<string, Json> = {
      space: o.space.name,
      strategy: o.strategy,
      strategyOptions: (o.strategyOptions ?? {}) as Json,
      seed: o.seed,
      objective: o.objective,
      ...(o.meta ?? {}),
    };
    o.store.createStudy(o.name, meta);
    const saved = o.store.getState(o.name, 'strategy') as unknown as SavedState | undefined;
    const strategy = saved ? restoreStrategy(o.space, saved.strategy) : createStrategy(o.strategy, o.space, o.seed, o.strategyOptions ?? {});
    const s = new Study(o, strategy, saved?.told ?? [], saved?.asked ?? 0);
    s.recover();
    return s;
  }

  private save(): void {
    const state: SavedState = { strategy: this.strategy.state(), told: [...this.told].sort((a, b) => a - b), asked: this.asked };
    this.store.putState(this.name, 'strategy', state as unknown as Json);
  }

  /** Latest trial of each ask id. */
  private latestByAsk(): Map<number, TrialRecord> {
    const m = new Map<number, TrialRecord>();
    for (const t of this.store.trials(this.name)) m.set(askOf(t), t);
    return m;
  }

  private attempts(ask: number): number {
    return this.store.trials(this.name).filter((t) => askOf(t) === ask).length;
  }

  private recover(): void {
    this.recovered.lost.push(...this.store.failStale(this.name, this.store.now() + 1));
    for (const [ask, t] of this.latestByAsk()) this.settle(ask, t);
  }

  /** Tells the strategy, or schedules a retry, for the latest trial `t` of `ask` once it is finished. */
  private settle(ask: number, t: TrialRecord): void {
    if (this.told.has(ask) || ask >= this.asked || t.state === 'WAITING' || t.state === 'RUNNING') return;
    if (isInfraFailure(t) && this.attempts(ask) < MAX_ATTEMPTS) {
      const r = this.store.addTrial(this.name, { arch: t.arch, fidelity: t.fidelity, attrs: { ...t.attrs, retryOf: t.number } });
      this.recovered.retried.push(r.number);
      return;
    }
    const value = t.state === 'FAIL' ? Number.NaN : this.valueOf(t);
    this.strategy.tell(ask, { value, cost: t.fidelity ?? undefined });
    this.told.add(ask);
    this.recovered.told.push(t.number);
    this.save();
  }

  /** The objective of a finished trial: its value, else the last reported objective on its curve, else NaN. */
  private valueOf(t: TrialRecord): number {
    if (t.value !== null) return t.value;
    const c = this.store.curve(this.name, t.number);
    for (let i = c.length - 1; i >= 0; i--) if (this.objective in c[i].metrics) return c[i].metrics[this.objective];
    return Number.NaN;
  }

  /** Whether the strategy has nothing more to ask. */
  finished(): boolean {
    return this.strategy.finished();
  }

  /**
   * The next trial to run: a WAITING one (a retry, or one stored before a crash), else a new one
   * from the strategy; null when the strategy has nothing to ask now (it waits for results) or is
   * finished.
   */
  next(): TrialRecord | null {
    // WAITING trials the strategy knows of (retries) first; one it has not asked yet was stored
    // just before a crash and comes back below when the strategy asks again.
    const waiting = this.store.trials(this.name, ['WAITING']).find((t) => askOf(t) < this.asked);
    if (waiting) return waiting;
    const [ask] = this.strategy.ask(1);
    if (!ask) return null;
    this.asked = Math.max(this.asked, ask.id + 1);
    const existing = this.store.trials(this.name).find((t) => askOf(t) === ask.id);
    if (existing) {
      // Stored before a crash, with this very ask (the strategy is deterministic).
      if (existing.state !== 'WAITING' || existing.arch === null || JSON.stringify(existing.arch) !== JSON.stringify(archJson(ask))) {
        throw new StoreError('LOOM_BAD_STORE', `study '${this.name}': the strategy asked again for trial ${existing.number} but got another architecture; the stored state does not match the strategy`);
      }
      this.save();
      return existing;
    }
    const t = this.store.addTrial(this.name, { arch: archJson(ask), fidelity: ask.fidelity ?? null, attrs: { ask: ask.id, ...(ask.parent === undefined ? {} : { parentAsk: ask.parent }) } });
    this.save();
    return t;
  }

  /** Claims trial `number` for `worker` (RUNNING). */
  claim(number: number, worker: string): TrialRecord {
    const t = this.store.claimTrial(this.name, worker, number);
    if (!t) throw new StoreError('LOOM_BAD_TRANSITION', `study '${this.name}': trial ${number} is not waiting`);
    return t;
  }

  report(number: number, worker: string, point: CurvePoint): void {
    this.store.reportCurve(this.name, number, worker, point);
  }

  /** Finishes a trial and tells the strategy (or schedules a retry after an infrastructure failure). */
  finish(number: number, worker: string | null, outcome: TrialOutcome): TrialRecord {
    const t = this.store.finishTrial(this.name, number, worker, outcome);
    this.settle(askOf(t), t);
    return t;
  }

  /** The latest trial of ask `ask` (e.g. a child's `attrs.parentAsk`), or null. */
  trialOfAsk(ask: number): TrialRecord | null {
    return this.latestByAsk().get(ask) ?? null;
  }

  /** The architecture of a trial. */
  archOf(t: TrialRecord): Architecture {
    return this.space.fromJSON(t.arch);
  }

  /**
   * The best COMPLETE trial (ties: the earliest), or null. In a multi-fidelity search it is the
   * best at the highest fidelity any trial completed at (as HpBandSter picks its incumbent): a
   * figure from a cheaper rung is not comparable with one from a dearer rung.
   */
  best(): TrialRecord | null {
    return bestTrial(this.store.trials(this.name, ['COMPLETE']));
  }

  /** The strategy's options, its defaults filled in (as saved with its state). */
  strategyOptions(): Record<string, unknown> {
    return this.strategy.state().options;
  }

  /** Trials by state, counting each ask once (its latest trial). */
  counts(): { complete: number; pruned: number; failed: number; running: number; waiting: number; trials: number } {
    const c = { complete: 0, pruned: 0, failed: 0, running: 0, waiting: 0, trials: 0 };
    for (const t of this.latestByAsk().values()) {
      c.trials++;
      if (t.state === 'COMPLETE') c.complete++;
      else if (t.state === 'PRUNED') c.pruned++;
      else if (t.state === 'FAIL') c.failed++;
      else if (t.state === 'RUNNING') c.running++;
      else c.waiting++;
    }
    return c;
  }

  /** Asks whose latest trial is finished for good (the budget in trials counts these). */
  finishedCount(): number {
    return this.told.size;
  }
}

function archJson(ask: Ask): Json {
  return ask.arch.toJSON() as unknown as Json;
}
