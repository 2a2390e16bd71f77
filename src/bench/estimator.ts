/**
 * The tabular estimator: answers a strategy's asks from a {@link BenchmarkTable} in microseconds,
 * at the fidelity the strategy asks for.
 *
 * The objective is a column name. `c10_val_acc@12` names the metric `c10_val_acc` at full fidelity
 * 12; an ask with fidelity `f` reads `c10_val_acc@f` when the table has that column, otherwise the
 * smallest recorded fidelity above `f` (asks at or above the full fidelity read the objective column
 * itself). The cost of an answer is the fidelity read (e.g. epochs), or 1 when the objective has no
 * fidelity. A minimised objective is negated for the strategy (which maximises) and reported as
 * recorded.
 * @module
 */
import type { Architecture } from '../space/architecture.js';
import { type BenchmarkTable, BenchmarkTableError } from './table.js';

/** What the estimator is asked: an architecture and, optionally, a fidelity (absent: full). */
export interface TabularQuery {
  readonly arch: Architecture;
  readonly fidelity?: number;
}

/** One answer. */
export interface TabularEvaluation {
  /** The value for the strategy: higher is better (negated when minimising); NaN for a failed evaluation. */
  readonly value: number;
  /** The objective as recorded in the table (not negated). */
  readonly objective: number;
  /** The fidelity read (undefined when the objective has none). */
  readonly fidelity: number | undefined;
  /** The column read. */
  readonly column: string;
  /** Whether this is the objective at full fidelity (only such answers can become the incumbent). */
  readonly full: boolean;
  /** What the evaluation cost: the fidelity read, or 1 without fidelities. */
  readonly cost: number;
}

/** Options of {@link TabularEstimator}. */
export interface TabularEstimatorOptions {
  /** The objective column, e.g. `c10_val_acc@12`. */
  objective: string;
  /** Lower is better (e.g. a loss): the strategy sees the value negated. */
  minimize?: boolean;
}

/** Answers asks from a table; see the module's documentation. */
export class TabularEstimator {
  readonly table: BenchmarkTable;
  /** The objective column. */
  readonly objective: string;
  /** The objective's metric (the column name before `@`). */
  readonly metric: string;
  /** The objective's fidelity (the full fidelity), undefined for a plain column. */
  readonly fullFidelity: number | undefined;
  /** The metric's recorded fidelities up to the full one, ascending. */
  readonly fidelities: readonly number[];
  readonly minimize: boolean;
  private readonly columnAt = new Map<number, { column: string; fidelity: number }>();

  constructor(table: BenchmarkTable, o: TabularEstimatorOptions) {
    const col = table.column(o.objective);
    this.table = table;
    this.objective = col.name;
    this.metric = col.metric;
    this.fullFidelity = col.fidelity;
    this.minimize = !!o.minimize;
    const full = col.fidelity;
    this.fidelities = Object.freeze(full === undefined ? [] : table.fidelities(col.metric).filter((f) => f <= full));
  }

  /** The column and fidelity an ask at fidelity `f` reads; throws a {@link BenchmarkTableError} when there is none. */
  resolve(f: number | undefined): { column: string; fidelity: number | undefined } {
    if (f === undefined) return { column: this.objective, fidelity: this.fullFidelity };
    if (typeof f !== 'number' || !(f > 0) || !Number.isFinite(f)) throw new BenchmarkTableError(`asked for fidelity ${f}: a fidelity must be a number > 0`);
    const full = this.fullFidelity;
    if (full === undefined) {
      throw new BenchmarkTableError(`${this.table.source}: the objective '${this.objective}' has no fidelity, but fidelity ${f} was asked for (a multi-fidelity strategy needs columns named '${this.metric}@<fidelity>')`);
    }
    let hit = this.columnAt.get(f);
    if (!hit) {
      const g = f >= full ? full : this.fidelities.find((x) => x >= f);
      if (g === undefined) throw new BenchmarkTableError(`${this.table.source}: no '${this.metric}' column at fidelity ${f} or above (fidelities: ${this.fidelities.join(', ')})`);
      hit = { column: g === full ? this.objective : `${this.metric}@${g}`, fidelity: g };
      if (!this.table.hasColumn(hit.column)) hit.column = this.table.columns.find((c) => c.metric === this.metric && c.fidelity === g)?.name ?? hit.column;
      this.columnAt.set(f, hit);
    }
    return hit;
  }

  /** Evaluates one query; throws a {@link BenchmarkTableError} for an architecture not in the table. */
  evaluate(q: TabularQuery): TabularEvaluation {
    const { column, fidelity } = this.resolve(q.fidelity);
    const objective = this.table.value(q.arch, column);
    return {
      value: this.minimize ? -objective : objective,
      objective,
      fidelity,
      column,
      full: column === this.objective,
      cost: fidelity ?? 1,
    };
  }
}
