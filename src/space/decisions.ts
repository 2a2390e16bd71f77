/**
 * Decisions: the typed choices a {@link SearchSpace} is made of. Each decision has a name and a
 * domain; an architecture assigns one value to every decision. Values are plain JSON: a string,
 * number or boolean for categorical choices, a number for integers, floats and repeat counts, and
 * a sorted array of node indices for an input choice.
 * @module
 */
import type { Rng } from '../util/rng.js';

/** A decision's value (plain JSON). */
export type Value = string | number | boolean | readonly number[];

/** One of a fixed list of options (an op, a kernel size, a flag). */
export interface CategoricalDecision {
  readonly kind: 'categorical';
  readonly name: string;
  readonly choices: readonly (string | number | boolean)[];
}
/** An integer in [low, high] (inclusive) on a grid of `step`. */
export interface IntegerDecision {
  readonly kind: 'integer';
  readonly name: string;
  readonly low: number;
  readonly high: number;
  readonly step: number;
}
/** A real number in [low, high]; with `log`, sampled and encoded uniformly in log space. */
export interface FloatDecision {
  readonly kind: 'float';
  readonly name: string;
  readonly low: number;
  readonly high: number;
  readonly log: boolean;
}
/** Which earlier nodes a node reads: a subset of `candidates` with `min`..`max` members (sorted). */
export interface InputDecision {
  readonly kind: 'input';
  readonly name: string;
  readonly candidates: readonly number[];
  readonly min: number;
  readonly max: number;
}
/** How many times a block repeats: an integer in [low, high]. */
export interface RepeatDecision {
  readonly kind: 'repeat';
  readonly name: string;
  readonly low: number;
  readonly high: number;
}

export type Decision = CategoricalDecision | IntegerDecision | FloatDecision | InputDecision | RepeatDecision;

/** A rule over a whole assignment: returns true when satisfied, or a string saying what is wrong. */
export interface Constraint {
  readonly name: string;
  readonly check: (values: Readonly<Record<string, Value>>) => true | string;
}

function checkName(name: string): string {
  if (typeof name !== 'string' || name === '') throw new Error('a decision needs a non-empty name');
  return name;
}
function checkInt(v: number, what: string): number {
  if (!Number.isSafeInteger(v)) throw new Error(`${what} must be an integer, got ${v}`);
  return v;
}

/** A choice among `choices` (distinct strings, numbers or booleans). */
export function categorical(name: string, choices: readonly (string | number | boolean)[]): CategoricalDecision {
  checkName(name);
  if (!Array.isArray(choices) || choices.length === 0) throw new Error(`decision '${name}': needs at least one choice`);
  if (new Set(choices).size !== choices.length) throw new Error(`decision '${name}': choices must be distinct`);
  return Object.freeze({ kind: 'categorical', name, choices: Object.freeze([...choices]) });
}
/** An integer from `low` to `high` inclusive, in steps of `step` (default 1). */
export function integer(name: string, low: number, high: number, step = 1): IntegerDecision {
  checkName(name);
  checkInt(low, `decision '${name}': low`);
  checkInt(high, `decision '${name}': high`);
  checkInt(step, `decision '${name}': step`);
  if (step < 1 || high < low || (high - low) % step) throw new Error(`decision '${name}': needs low <= high, step >= 1 and high - low a multiple of step`);
  return Object.freeze({ kind: 'integer', name, low, high, step });
}
/** A real number in [low, high]. */
export function float(name: string, low: number, high: number): FloatDecision {
  checkName(name);
  if (!Number.isFinite(low) || !Number.isFinite(high) || !(low < high)) throw new Error(`decision '${name}': needs finite low < high`);
  return Object.freeze({ kind: 'float', name, low, high, log: false });
}
/** A positive real number in [low, high], uniform in log space (learning rates, weight decay). */
export function logFloat(name: string, low: number, high: number): FloatDecision {
  checkName(name);
  if (!Number.isFinite(low) || !Number.isFinite(high) || !(low > 0 && low < high)) throw new Error(`decision '${name}': needs finite 0 < low < high`);
  return Object.freeze({ kind: 'float', name, low, high, log: true });
}
/** Which of `candidates` (earlier node indices) a node reads: between `min` and `max` of them. */
export function inputChoice(name: string, candidates: readonly number[], o: { min?: number; max?: number } = {}): InputDecision {
  checkName(name);
  const c = [...candidates].sort((a, b) => a - b);
  if (!c.length || !c.every((x) => Number.isSafeInteger(x) && x >= 0) || new Set(c).size !== c.length)
    throw new Error(`decision '${name}': candidates must be distinct non-negative integers`);
  const min = o.min ?? 1;
  const max = o.max ?? c.length;
  if (!Number.isInteger(min) || !Number.isInteger(max) || min < 0 || max < min || max > c.length)
    throw new Error(`decision '${name}': needs 0 <= min <= max <= ${c.length} (the number of candidates)`);
  return Object.freeze({ kind: 'input', name, candidates: Object.freeze(c), min, max });
}
/** A repeat count from `low` to `high` inclusive. */
export function repeat(name: string, low: number, high: number): RepeatDecision {
  checkName(name);
  checkInt(low, `decision '${name}': low`);
  checkInt(high, `decision '${name}': high`);
  if (low < 0 || high < low) throw new Error(`decision '${name}': needs 0 <= low <= high`);
  return Object.freeze({ kind: 'repeat', name, low, high });
}

function binomial(n: number, k: number): number {
  let r = 1;
  for (let i = 1; i <= k; i++) r = (r * (n - k + i)) / i;
  return Math.round(r);
}

/** Number of values a decision can take (Infinity for floats). */
export function domainSize(d: Decision): number {
  switch (d.kind) {
    case 'categorical':
      return d.choices.length;
    case 'integer':
      return (d.high - d.low) / d.step + 1;
    case 'repeat':
      return d.high - d.low + 1;
    case 'float':
      return Number.POSITIVE_INFINITY;
    case 'input': {
      let n = 0;
      for (let k = d.min; k <= d.max; k++) n += binomial(d.candidates.length, k);
      return n;
    }
  }
}

/** Subsets of `items` with `min`..`max` members, smaller first, each in lexicographic order. */
function* subsets(items: readonly number[], min: number, max: number): Generator<number[]> {
  for (let k = min; k <= max; k++) {
    const idx = Array.from({ length: k }, (_, i) => i);
    if (k > items.length) return;
    while (true) {
      yield idx.map((i) => items[i]);
      let i = k - 1;
      while (i >= 0 && idx[i] === items.length - k + i) i--;
      if (i < 0) break;
      idx[i]++;
      for (let j = i + 1; j < k; j++) idx[j] = idx[j - 1] + 1;
    }
  }
}

/** Every value of a finite decision, in a fixed order. Throws for floats. */
export function domainValues(d: Decision): Value[] {
  switch (d.kind) {
    case 'categorical':
      return [...d.choices];
    case 'integer':
      return Array.from({ length: domainSize(d) }, (_, i) => d.low + i * d.step);
    case 'repeat':
      return Array.from({ length: domainSize(d) }, (_, i) => d.low + i);
    case 'input':
      return [...subsets(d.candidates, d.min, d.max)];
    case 'float':
      throw new Error(`decision '${d.name}' is continuous: its values cannot be listed`);
  }
}

const show = (v: unknown): string => JSON.stringify(v);

/** Checks a value against a decision; returns it normalised (input choices sorted, frozen) or throws. */
export function checkValue(d: Decision, v: unknown): Value {
  const bad = (why: string): never => {
    throw new Error(`decision '${d.name}': ${show(v)} ${why}`);
  };
  switch (d.kind) {
    case 'categorical':
      if (!d.choices.includes(v as string)) bad(`is not one of ${d.choices.map(show).join(', ')}`);
      return v as Value;
    case 'integer':
      if (typeof v !== 'number' || !Number.isInteger(v) || v < d.low || v > d.high || (v - d.low) % d.step)
        bad(`is not an integer from ${d.low} to ${d.high}${d.step > 1 ? ` in steps of ${d.step}` : ''}`);
      return v as number;
    case 'repeat':
      if (typeof v !== 'number' || !Number.isInteger(v) || v < d.low || v > d.high) bad(`is not a repeat count from ${d.low} to ${d.high}`);
      return v as number;
    case 'float':
      if (typeof v !== 'number' || !Number.isFinite(v) || v < d.low || v > d.high) bad(`is not a number from ${d.low} to ${d.high}`);
      return v as number;
    case 'input': {
      if (!Array.isArray(v)) return bad('is not an array of node indices');
      const s = [...(v as number[])].sort((a, b) => a - b);
      if (!s.every((x) => d.candidates.includes(x))) bad(`reads a node that is not among the candidates ${show(d.candidates)}`);
      if (new Set(s).size !== s.length) bad('lists a node twice');
      if (s.length < d.min || s.length > d.max) bad(`must read ${d.min === d.max ? d.min : `${d.min} to ${d.max}`} node(s)`);
      return Object.freeze(s);
    }
  }
}

/** A uniformly random value. */
export function sampleValue(d: Decision, rng: Rng): Value {
  switch (d.kind) {
    case 'categorical':
      return d.choices[rng.int(d.choices.length)];
    case 'integer':
      return d.low + d.step * rng.int(domainSize(d));
    case 'repeat':
      return d.low + rng.int(domainSize(d));
    case 'float':
      return d.log ? Math.exp(Math.log(d.low) + rng.next() * (Math.log(d.high) - Math.log(d.low))) : d.low + rng.next() * (d.high - d.low);
    case 'input': {
      // Uniform over all allowed subsets: pick the size weighted by how many subsets have it.
      let r = rng.int(domainSize(d));
      let k = d.min;
      for (; k < d.max; k++) {
        const c = binomial(d.candidates.length, k);
        if (r < c) break;
        r -= c;
      }
      const perm = rng.permutation(d.candidates.length);
      return Object.freeze(
        Array.from(perm.slice(0, k))
          .map((i) => d.candidates[i])
          .sort((a, b) => a - b),
      );
    }
  }
}

/** Whether two values of a decision are equal. */
export function valueEquals(a: Value, b: Value): boolean {
  if (Array.isArray(a) || Array.isArray(b)) {
    if (!Array.isArray(a) || !Array.isArray(b) || a.length !== b.length) return false;
    return a.every((x, i) => x === b[i]);
  }
  return a === b;
}

/**
 * The values one step away from `v`: every other choice (categorical); the next value up and down
 * (integers, repeats); adding, removing or swapping one input (input choices). Floats have no
 * finite neighbourhood (an empty list; {@link perturbValue} mutates them).
 */
export function neighbourValues(d: Decision, v: Value): Value[] {
  switch (d.kind) {
    case 'categorical':
      return d.choices.filter((c) => c !== v);
    case 'integer':
    case 'repeat': {
      const step = d.kind === 'integer' ? d.step : 1;
      const n = v as number;
      return [n - step, n + step].filter((x) => x >= d.low && x <= d.high);
    }
    case 'float':
      return [];
    case 'input': {
      const cur = v as readonly number[];
      const out: number[][] = [];
      const rest = d.candidates.filter((c) => !cur.includes(c));
      if (cur.length > d.min) for (const x of cur) out.push(cur.filter((y) => y !== x));
      if (cur.length < d.max) for (const x of rest) out.push([...cur, x].sort((a, b) => a - b));
      for (const x of cur) for (const y of rest) out.push([...cur.filter((z) => z !== x), y].sort((a, b) => a - b));
      return out.map((s) => Object.freeze(s));
    }
  }
}

/** A random nearby value: a neighbour for discrete decisions, a Gaussian step (a tenth of the range, in log space for log-floats) for floats. */
export function perturbValue(d: Decision, v: Value, rng: Rng): Value {
  if (d.kind !== 'float') {
    const n = neighbourValues(d, v);
    return n.length ? n[rng.int(n.length)] : v;
  }
  const tf = (x: number) => (d.log ? Math.log(x) : x);
  const inv = (x: number) => (d.log ? Math.exp(x) : x);
  const lo = tf(d.low);
  const hi = tf(d.high);
  // Box-Muller from two uniforms.
  const g = Math.sqrt(-2 * Math.log(1 - rng.next())) * Math.cos(2 * Math.PI * rng.next());
  const x = Math.min(hi, Math.max(lo, tf(v as number) + 0.1 * (hi - lo) * g));
  return Math.min(d.high, Math.max(d.low, inv(x)));
}

/**
 * Width of a decision's one-hot encoding: one slot per value for categorical, integer and repeat
 * decisions, one per candidate (multi-hot) for input choices, one scalar in [0, 1] for floats.
 */
export function encodingWidth(d: Decision): number {
  if (d.kind === 'float') return 1;
  if (d.kind === 'input') return d.candidates.length;
  return domainSize(d);
}

/** Appends a decision's encoding of `v` to `out` (see {@link encodingWidth}). */
export function encodeValue(d: Decision, v: Value, out: number[]): void {
  switch (d.kind) {
    case 'float': {
      const tf = (x: number) => (d.log ? Math.log(x) : x);
      out.push((tf(v as number) - tf(d.low)) / (tf(d.high) - tf(d.low)));
      return;
    }
    case 'input':
      for (const c of d.candidates) out.push((v as readonly number[]).includes(c) ? 1 : 0);
      return;
    default: {
      const vals = domainValues(d);
      for (const x of vals) out.push(x === v ? 1 : 0);
    }
  }
}

/** A JSON description of a decision (for `loom space info`). */
export function describeDecision(d: Decision): Record<string, unknown> {
  return { ...d, size: domainSize(d) === Number.POSITIVE_INFINITY ? 'continuous' : domainSize(d) };
}
