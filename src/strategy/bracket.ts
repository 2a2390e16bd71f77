/**
 * Successive-halving brackets, the engine of `sh`, `hyperband` and `bohb`. A bracket starts `n`
 * configurations at its lowest fidelity; when every result of a rung is in, the best
 * `floor(n_i / eta)` (failures never) are asked again, as new trials, at `eta` times the
 * fidelity, up to `maxFidelity`. Fidelities follow Li et al. 2017: the rungs of bracket `s` are
 * `maxFidelity * eta^(i - s)` for i = 0..s, with `s_max = floor(log_eta(maxFidelity / minFidelity))`.
 *
 * Brackets run one after another, as in Hyperband's Algorithm 1: while a rung waits for results
 * the strategy asks nothing (`ask` returns fewer or none; the harness tells results and asks
 * again). Subclasses choose each bracket's `s` and size, and where new configurations come from.
 * @module
 */
import type { Architecture } from '../space/architecture.js';
import type { SearchSpace } from '../space/space.js';
import { BaseStrategy, type PointJSON, type Told, loadPoint, rankByValue, savePoint } from './common.js';
import type { Ask, OptionSpec } from './strategy.js';

/** The options every bracket strategy takes. */
export const FIDELITY_OPTIONS: readonly OptionSpec[] = [
  { name: 'minFidelity', type: 'number', default: 1, min: 1e-9, description: 'smallest fidelity (budget, e.g. epochs) a configuration is evaluated at' },
  { name: 'maxFidelity', type: 'number', default: 27, min: 1e-9, description: 'largest (full) fidelity' },
  { name: 'eta', type: 'number', default: 3, min: 1.01, max: 1000, description: 'fidelity ratio between rungs; the best 1/eta are promoted (Li et al.: 3)' },
];

/** Which bracket, rung and entry an ask evaluates. */
interface Tag {
  b: number;
  r: number;
  e: number;
}

interface Entry {
  arch: Architecture;
  asked: boolean;
  /** Undefined until told; NaN for a failure. */
  value?: number;
}

interface Rung {
  fidelity: number;
  /** Number of configurations the rung holds. */
  size: number;
  entries: Entry[];
}

interface Bracket {
  /** Counter over the strategy's brackets (0, 1, ...). */
  index: number;
  s: number;
  rung: number;
  rungs: Rung[];
}

/** `x`, snapped to the nearest integer when it is one up to rounding error. */
const snap = (x: number): number => (Math.abs(x - Math.round(x)) < 1e-9 * Math.max(1, Math.abs(x)) ? Math.round(x) : x);

/** Base class of the bracket strategies. */
export abstract class BracketStrategy extends BaseStrategy<Tag> {
  protected readonly minFidelity: number;
  protected readonly maxFidelity: number;
  protected readonly eta: number;
  /** Index of the largest bracket: number of rungs minus one. */
  protected readonly sMax: number;
  private bracket: Bracket | null = null;
  private brackets = 0;

  constructor(name: string, space: SearchSpace, seed: number, options: Record<string, unknown>) {
    super(name, space, seed, options);
    this.minFidelity = options.minFidelity as number;
    this.maxFidelity = options.maxFidelity as number;
    this.eta = options.eta as number;
    if (!(this.maxFidelity > this.minFidelity)) throw this.error(`option 'maxFidelity' (${this.maxFidelity}) must be larger than 'minFidelity' (${this.minFidelity})`);
    this.sMax = Math.floor(Math.log(this.maxFidelity / this.minFidelity) / Math.log(this.eta) + 1e-9);
    if (this.sMax < 1)
      throw this.error(`maxFidelity / minFidelity (${this.maxFidelity} / ${this.minFidelity}) must be at least eta (${this.eta}), so that there are two rungs at least`);
  }

  /** The fidelities of bracket `s`, lowest first. */
  fidelities(s: number): number[] {
    return Array.from({ length: s + 1 }, (_, i) => snap(this.maxFidelity * this.eta ** (i - s)));
  }

  /** The `s` (rungs minus one) and number of starting configurations of the `k`-th bracket. */
  protected abstract shape(k: number): { s: number; n: number };

  /** A new configuration for the lowest rung of a bracket: uniformly random and unseen (BOHB overrides it with its model). */
  protected newConfig(_fidelity: number): Architecture {
    return this.sampleNew(100);
  }

  private open(): Bracket {
    const { s, n } = this.shape(this.brackets);
    const fids = this.fidelities(s);
    const rungs = fids.map((fidelity, i) => ({ fidelity, size: Math.max(1, Math.floor(n / this.eta ** i + 1e-9)), entries: [] as Entry[] }));
    this.bracket = { index: this.brackets++, s, rung: 0, rungs };
    return this.bracket;
  }

  protected propose(n: number, out: Ask[]): void {
    while (out.length < n) {
      const b = this.bracket ?? this.open();
      const rung = b.rungs[b.rung];
      const e = rung.entries.findIndex((x) => !x.asked);
      if (e >= 0 || (b.rung === 0 && rung.entries.length < rung.size)) {
        const i = e >= 0 ? e : rung.entries.push({ arch: this.newConfig(rung.fidelity), asked: false }) - 1;
        rung.entries[i].asked = true;
        out.push(this.issue(rung.entries[i].arch, rung.fidelity, { b: b.index, r: b.rung, e: i }));
      } else if (rung.entries.every((x) => x.value !== undefined)) {
        this.advance(b);
      } else {
        return; // the rung waits for results
      }
    }
  }

  /** The current rung is complete: promote its best to the next rung, or close the bracket. */
  private advance(b: Bracket): void {
    const next = b.rungs[b.rung + 1];
    const winners = next ? rankByValue(b.rungs[b.rung].entries.filter((x): x is Entry & { value: number } => x.value !== undefined && !Number.isNaN(x.value))).slice(0, next.size) : [];
    if (!winners.length) {
      this.bracket = null;
      return;
    }
    next.entries = winners.map((w) => ({ arch: w.arch, asked: false }));
    next.size = winners.length;
    b.rung++;
  }

  protected observe(t: Told<Tag>): void {
    const b = this.bracket;
    if (!b || !t.tag || t.tag.b !== b.index || t.tag.r !== b.rung) return;
    b.rungs[b.rung].entries[t.tag.e].value = t.value;
  }

  /** Number of brackets opened so far. */
  get bracketCount(): number {
    return this.brackets;
  }

  protected override saveOwn(): unknown {
    const b = this.bracket;
    const bracket = b && {
      ...b,
      rungs: b.rungs.map((r) => ({ ...r, entries: r.entries.map((x) => ({ ...savePoint(x), asked: x.asked })) })),
    };
    return { brackets: this.brackets, bracket };
  }

  protected override loadOwn(data: unknown): void {
    type E = PointJSON & { asked: boolean };
    const d = data as { brackets: number; bracket: (Omit<Bracket, 'rungs'> & { rungs: (Omit<Rung, 'entries'> & { entries: E[] })[] }) | null };
    if (!d || !Number.isInteger(d.brackets)) throw this.error('the saved bracket state is incomplete');
    this.brackets = d.brackets;
    const b = d.bracket;
    this.bracket = b && {
      ...b,
      rungs: b.rungs.map((r) => ({
        ...r,
        entries: r.entries.map((x) => ({ ...loadPoint(this.space, x), asked: x.asked })),
      })),
    };
  }
}

/** Hyperband's bracket `s_max - (k mod (s_max + 1))` with `ceil((s_max + 1) / (s + 1) * eta^s)` configurations (Li et al. 2017). */
export function hyperbandShape(sMax: number, eta: number, k: number): { s: number; n: number } {
  const s = sMax - (k % (sMax + 1));
  return { s, n: Math.ceil(((sMax + 1) / (s + 1)) * eta ** s - 1e-9) };
}
