/**
 * `SearchSpace`: the interface every search space implements, and `DecisionSpace`, a base class
 * that derives sampling, mutation, crossover, enumeration and one-hot encoding from a list of
 * decisions and constraints. A space file (`spaces/<name>.ts`) subclasses it, adds its own text
 * form, canonical form and structural encodings, and registers itself in `registry.ts`.
 *
 * Sampling, mutation and crossover take a seeded {@link Rng} (or a seed): the same seed gives the
 * same architectures on every machine.
 * @module
 */
import { Rng } from '../util/rng.js';
import { Architecture, type ArchitectureJSON } from './architecture.js';
import { ArchitectureError } from './errors.js';
import type { NetGraph } from './graph/graph.js';
import { measureGraph } from './graph/measure.js';
import {
  type Constraint,
  type Decision,
  type Value,
  checkValue,
  describeDecision,
  domainSize,
  domainValues,
  encodeValue,
  encodingWidth,
  neighbourValues,
  perturbValue,
  sampleValue,
  valueEquals,
} from './decisions.js';

export { ArchitectureError } from './errors.js';

/** Encodings for performance predictors. */
export type EncodingKind = 'onehot' | 'adjacency' | 'path';

/** Measures of the network an architecture compiles to (per sample; see `graph/measure.ts`). */
export interface Measures {
  /** Parameters of the network as built (an auxiliary head included when built). */
  params: number;
  /** Multiply-adds of convolutions and linear layers, one forward pass to the logits. */
  flops: number;
  /** Parameters without the auxiliary head (what papers report). */
  mainParams?: number;
  /** Activations a training step keeps for backward, in float32 bytes per sample. */
  trainActivationBytes?: number;
  /** Peak live activations of an inference pass, in float32 bytes per sample. */
  inferencePeakBytes?: number;
}

/** Options shared by spaces that build classifiers. */
export interface NetworkOptions {
  /**
   * Input per sample (default: the space's, e.g. 3x32x32): an image `[channels, height, width]`,
   * or `[F]`, a feature vector of F features (tabular data) for spaces that take one, such as
   * `mlp` (image spaces refuse it with an {@link ArchitectureError}).
   */
  input?: [number, number, number] | [number];
  classes?: number;
  channels?: number;
  cells?: number;
}

/**
 * An image space's input: `input` (default `[3, 32, 32]`) checked to be three positive integers
 * `[C, H, W]`, else an {@link ArchitectureError} naming the space (so a feature vector `[F]` is refused).
 */
export function imageInput(name: string, input: NetworkOptions['input'] = [3, 32, 32]): [number, number, number] {
  const posInt = (v: number) => Number.isSafeInteger(v) && v > 0;
  if (!Array.isArray(input) || input.length !== 3 || !input.every(posInt))
    throw new ArchitectureError(`${name}: input must be three positive integers CxHxW, got ${Array.isArray(input) ? input.join('x') : String(input)}`);
  return input;
}

/**
 * Refuses a `classes` or `channels` that is not a positive integer, and any `cells` (for spaces
 * whose depth is part of the architecture); throws an {@link ArchitectureError} naming the space.
 */
export function checkWidthAndClasses(name: string, c: { classes: number; channels: number }, o: NetworkOptions): void {
  const posInt = (v: number) => Number.isSafeInteger(v) && v > 0;
  if (!posInt(c.classes)) throw new ArchitectureError(`${name}: classes must be a positive integer, got ${c.classes}`);
  if (!posInt(c.channels)) throw new ArchitectureError(`${name}: channels must be a positive integer, got ${c.channels}`);
  if (o.cells !== undefined) throw new ArchitectureError(`${name}: has no cells (its depth is part of the architecture)`);
}

/** What every search space offers. */
export interface SearchSpace {
  readonly name: string;
  readonly description: string;
  readonly decisions: readonly Decision[];
  readonly constraints: readonly Constraint[];
  /** Number of architectures (Infinity with continuous decisions; constraints are counted when the space is enumerable). */
  size(): number;
  /** Number of canonical (non-isomorphic) architectures, where it can be counted; else undefined. */
  uniqueCount(): number | undefined;
  /** Validates plain values and returns the architecture (throws {@link ArchitectureError}). */
  arch(values: Record<string, unknown>): Architecture;
  /** An architecture from its JSON form (`{ space, values }`, or the values of every decision alone). */
  fromJSON(json: unknown): Architecture;
  /** Reads the space's own text form (e.g. an NB201 cell string). */
  parse(text: string): Architecture;
  /** Writes the space's own text form. */
  format(arch: Architecture): string;
  /** A uniformly random architecture (among those meeting the constraints). */
  sample(rng: Rng | number): Architecture;
  /** `n` architectures from one seed. */
  sampleMany(n: number, seed: number): Architecture[];
  /** Every architecture that differs from `arch` in one decision (and meets the constraints). */
  neighbours(arch: Architecture): Architecture[];
  /** A random single-decision change (a random neighbour; floats take a Gaussian step) that changes the network: never an architecture isomorphic to `arch` (returns `arch` itself only when no change can be found). */
  mutate(arch: Architecture, rng: Rng | number): Architecture;
  /** Uniform crossover: each decision from one parent or the other (retried until the constraints hold). */
  crossover(a: Architecture, b: Architecture, rng: Rng | number): Architecture;
  /** Every architecture, in a fixed order (finite spaces only; throws above `limit`, default 10^7). */
  enumerate(limit?: number): Generator<Architecture>;
  /** The representative of `arch`'s isomorphism class (itself where the space has no symmetry). */
  canonicalize(arch: Architecture): Architecture;
  /** Whether two architectures compute the same function up to relabelling. */
  isomorphic(a: Architecture, b: Architecture): boolean;
  /** A fixed-length numeric encoding. */
  encode(arch: Architecture, kind?: EncodingKind): number[];
  /** The network as a typed graph (pure data; `networks/compile.ts` turns it into a module). */
  graph?(arch: Architecture, o?: NetworkOptions): NetGraph;
  /** Parameters, multiply-adds and activation memory, by formula from the graph (no network is built). */
  measure?(arch: Architecture, o?: NetworkOptions): Measures;
  /** A JSON summary (`loom space info`). */
  describe(): SpaceInfo;
}

/** What `loom space info --json` prints. */
export interface SpaceInfo {
  name: string;
  description: string;
  decisions: Record<string, unknown>[];
  constraints: string[];
  size: number | string;
  unique: number | string | null;
  encodings: Record<string, number>;
}

const rngOf = (r: Rng | number): Rng => (typeof r === 'number' ? new Rng(r) : r);

/** Retries for rejection sampling under constraints before giving up. */
const MAX_TRIES = 10_000;

/** A space defined by decisions and constraints; subclasses add text forms, symmetry and structure. */
export abstract class DecisionSpace implements SearchSpace {
  abstract readonly name: string;
  abstract readonly description: string;
  readonly decisions: readonly Decision[];
  readonly constraints: readonly Constraint[];
  private _size?: number;

  constructor(decisions: readonly Decision[], constraints: readonly Constraint[] = []) {
    const names = new Set<string>();
    for (const d of decisions) {
      if (names.has(d.name)) throw new Error(`search space: decision '${d.name}' is defined twice`);
      names.add(d.name);
    }
    this.decisions = Object.freeze([...decisions]);
    this.constraints = Object.freeze([...constraints]);
  }

  /** The decision named `name`. */
  decision(name: string): Decision {
    const d = this.decisions.find((x) => x.name === name);
    if (!d) throw new ArchitectureError(`${this.name}: no decision '${name}'`);
    return d;
  }

  size(): number {
    if (this._size !== undefined) return this._size;
    let n = 1;
    for (const d of this.decisions) n *= domainSize(d);
    if (this.constraints.length && Number.isFinite(n) && n <= 1e6) {
      n = 0;
      for (const _ of this.enumerate()) n++;
    }
    this._size = n;
    return n;
  }

  uniqueCount(): number | undefined {
    return undefined;
  }

  /** Checks the constraints; returns the first violation's message, or null. */
  violation(values: Readonly<Record<string, Value>>): string | null {
    for (const c of this.constraints) {
      const r = c.check(values);
      if (r !== true) return `${c.name}: ${r}`;
    }
    return null;
  }

  arch(values: Record<string, unknown>): Architecture {
    if (values === null || typeof values !== 'object' || Array.isArray(values)) throw new ArchitectureError(`${this.name}: architecture values must be an object`);
    const out: Record<string, Value> = {};
    for (const k of Object.keys(values)) if (!this.decisions.some((d) => d.name === k)) throw new ArchitectureError(`${this.name}: unknown decision '${k}'`);
    for (const d of this.decisions) {
      if (!(d.name in values)) throw new ArchitectureError(`${this.name}: decision '${d.name}' has no value`);
      try {
        out[d.name] = checkValue(d, values[d.name]);
      } catch (e) {
        throw new ArchitectureError(`${this.name}: ${(e as Error).message}`);
      }
    }
    const bad = this.violation(out);
    if (bad) throw new ArchitectureError(`${this.name}: constraint ${bad}`);
    return new Architecture(this.name, out);
  }

  fromJSON(json: unknown): Architecture {
    const j = json as Partial<ArchitectureJSON> | null;
    // The values alone (every decision by name, as `result.json`'s best.arch.values) are accepted too.
    if (j && typeof j === 'object' && !Array.isArray(j) && j.values === undefined && this.decisions.length > 0 && this.decisions.every((d) => d.name in j)) {
      return this.arch(j as Record<string, unknown>);
    }
    if (!j || typeof j !== 'object' || typeof j.values !== 'object') throw new ArchitectureError(`${this.name}: expected an object { "space": ..., "values": { ... } }, or the values of all ${this.decisions.length} decisions by name`);
    if (j.space !== undefined && j.space !== this.name) throw new ArchitectureError(`${this.name}: the JSON is an architecture of space '${j.space}'`);
    return this.arch(j.values as Record<string, unknown>);
  }

  /** Default text form: the canonical JSON. */
  parse(text: string): Architecture {
    let j: unknown;
    try {
      j = JSON.parse(text);
    } catch {
      throw new ArchitectureError(`${this.name}: not valid JSON: ${text.slice(0, 60)}`);
    }
    return this.fromJSON(j);
  }
  format(arch: Architecture): string {
    this.own(arch);
    return arch.key;
  }

  /** Throws unless `arch` belongs to this space. */
  protected own(arch: Architecture): void {
    if (!(arch instanceof Architecture) || arch.space !== this.name) throw new ArchitectureError(`${this.name}: expected an architecture of this space, got one of '${arch?.space}'`);
  }

  private build(values: Record<string, Value>): Architecture {
    return new Architecture(this.name, values);
  }

  sample(r: Rng | number): Architecture {
    const rng = rngOf(r);
    for (let t = 0; t < MAX_TRIES; t++) {
      const v: Record<string, Value> = {};
      for (const d of this.decisions) v[d.name] = sampleValue(d, rng);
      if (!this.violation(v)) return this.build(v);
    }
    throw new Error(`${this.name}: no architecture meeting the constraints in ${MAX_TRIES} random draws`);
  }

  sampleMany(n: number, seed: number): Architecture[] {
    const rng = new Rng(seed);
    return Array.from({ length: n }, () => this.sample(rng));
  }

  neighbours(arch: Architecture): Architecture[] {
    this.own(arch);
    const out: Architecture[] = [];
    for (const d of this.decisions) {
      for (const nv of neighbourValues(d, arch.values[d.name])) {
        const v = { ...arch.values, [d.name]: nv };
        if (!this.violation(v)) out.push(this.build(v));
      }
    }
    return out;
  }

  mutate(arch: Architecture, r: Rng | number): Architecture {
    this.own(arch);
    const rng = rngOf(r);
    const changeable = this.decisions.filter((d) => d.kind === 'float' || neighbourValues(d, arch.values[d.name]).length > 0);
    if (!changeable.length) return arch;
    for (let t = 0; t < MAX_TRIES; t++) {
      const d = changeable[rng.int(changeable.length)];
      const nv = perturbValue(d, arch.values[d.name], rng);
      if (valueEquals(nv, arch.values[d.name])) continue;
      const v = { ...arch.values, [d.name]: nv };
      if (this.violation(v)) continue;
      // A change that does not reach the network (an inactive decision, an isomorphic cell) is no mutation.
      const child = this.build(v);
      if (!this.isomorphic(child, arch)) return child;
    }
    return arch;
  }

  crossover(a: Architecture, b: Architecture, r: Rng | number): Architecture {
    this.own(a);
    this.own(b);
    const rng = rngOf(r);
    for (let t = 0; t < MAX_TRIES; t++) {
      const v: Record<string, Value> = {};
      for (const d of this.decisions) v[d.name] = rng.int(2) ? b.values[d.name] : a.values[d.name];
      if (!this.violation(v)) return this.build(v);
    }
    return a;
  }

  *enumerate(limit = 1e7): Generator<Architecture> {
    let total = 1;
    for (const d of this.decisions) total *= domainSize(d);
    if (!Number.isFinite(total)) throw new Error(`${this.name}: has continuous decisions and cannot be enumerated`);
    if (total > limit) throw new Error(`${this.name}: ${total} assignments exceed the enumeration limit of ${limit}`);
    const doms = this.decisions.map(domainValues);
    const idx = doms.map(() => 0);
    // Odometer order: the last decision changes fastest.
    while (true) {
      const v: Record<string, Value> = {};
      this.decisions.forEach((d, i) => {
        v[d.name] = doms[i][idx[i]];
      });
      if (!this.violation(v)) yield this.build(v);
      let i = idx.length - 1;
      while (i >= 0 && ++idx[i] === doms[i].length) idx[i--] = 0;
      if (i < 0) return;
    }
  }

  canonicalize(arch: Architecture): Architecture {
    this.own(arch);
    return arch;
  }

  /** The network graph (spaces that build networks override this). */
  graph?(arch: Architecture, o?: NetworkOptions): NetGraph;

  /** Measures by formula from {@link graph}. */
  measure(arch: Architecture, o: NetworkOptions = {}): Measures {
    if (!this.graph) throw new ArchitectureError(`${this.name}: this space does not build networks`);
    const m = measureGraph(this.graph(arch, o));
    return { params: m.params, flops: m.flops, mainParams: m.mainParams, trainActivationBytes: m.trainActivationBytes, inferencePeakBytes: m.inferencePeakBytes };
  }
  isomorphic(a: Architecture, b: Architecture): boolean {
    return this.canonicalize(a).equals(this.canonicalize(b));
  }

  /** Width of an encoding (0 where the space does not offer it). */
  encodingWidth(kind: EncodingKind): number {
    if (kind === 'onehot') return this.decisions.reduce((n, d) => n + encodingWidth(d), 0);
    return 0;
  }

  encode(arch: Architecture, kind: EncodingKind = 'onehot'): number[] {
    this.own(arch);
    if (kind !== 'onehot') throw new Error(`${this.name}: no '${kind}' encoding`);
    const out: number[] = [];
    for (const d of this.decisions) encodeValue(d, arch.values[d.name], out);
    return out;
  }

  describe(): SpaceInfo {
    const size = this.size();
    const unique = this.uniqueCount();
    const encodings: Record<string, number> = {};
    for (const k of ['onehot', 'adjacency', 'path'] as const) if (this.encodingWidth(k) > 0) encodings[k] = this.encodingWidth(k);
    return {
      name: this.name,
      description: this.description,
      decisions: this.decisions.map(describeDecision),
      constraints: this.constraints.map((c) => c.name),
      size: Number.isFinite(size) ? (Number.isSafeInteger(size) ? size : size.toExponential(3)) : 'infinite',
      unique: unique ?? null,
      encodings,
    };
  }
}
