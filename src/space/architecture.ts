/**
 * `Architecture`: one point of a search space, as pure data. It is immutable (deeply frozen),
 * JSON-serialisable (`{ space, values }`), and has a canonical string (its JSON with the keys
 * sorted) and a stable hash (sha256 of that string). It knows nothing of networks: a compiler
 * turns it into one. Isomorphic architectures are different `Architecture`s with equal
 * `space.canonicalize(arch)`.
 * @module
 */
import { createHash } from 'node:crypto';
import type { Value } from './decisions.js';

/** JSON with object keys sorted at every level: the same data always gives the same string. */
export function stableStringify(v: unknown): string {
  if (v === null || typeof v !== 'object') {
    if (typeof v === 'number' && !Number.isFinite(v)) throw new Error(`stableStringify: ${v} is not JSON`);
    return JSON.stringify(v);
  }
  if (Array.isArray(v)) return `[${v.map(stableStringify).join(',')}]`;
  const keys = Object.keys(v).sort();
  return `{${keys.map((k) => `${JSON.stringify(k)}:${stableStringify((v as Record<string, unknown>)[k])}`).join(',')}}`;
}

/** The JSON form of an architecture. */
export interface ArchitectureJSON {
  space: string;
  values: Record<string, Value>;
}

const hashes = new WeakMap<Architecture, string>();

/**
 * An immutable assignment of values to a space's decisions (the object and its values are frozen).
 * Build it through the space (`space.arch(values)`), which validates.
 */
export class Architecture {
  readonly space: string;
  readonly values: Readonly<Record<string, Value>>;
  /** Canonical string: `{"space":...,"values":{...}}` with sorted keys. Equal architectures, equal strings. */
  readonly key: string;

  /** @internal Use `space.arch(values)`, which checks the values. */
  constructor(space: string, values: Record<string, Value>) {
    this.space = space;
    const v: Record<string, Value> = {};
    for (const k of Object.keys(values).sort()) {
      const x = values[k];
      v[k] = Array.isArray(x) ? Object.freeze([...x]) : x;
    }
    this.values = Object.freeze(v);
    this.key = stableStringify({ space, values: v });
    Object.freeze(this);
  }

  /** The value of one decision (throws for an unknown name). */
  get(name: string): Value {
    if (!(name in this.values)) throw new Error(`architecture of '${this.space}' has no decision '${name}'`);
    return this.values[name];
  }

  /** sha256 (hex) of {@link key}: stable across runs, machines and versions of Loom. */
  get hash(): string {
    let h = hashes.get(this);
    if (h === undefined) {
      h = createHash('sha256').update(this.key).digest('hex');
      hashes.set(this, h);
    }
    return h;
  }

  /** Whether two architectures are the same assignment (not merely isomorphic). */
  equals(other: Architecture): boolean {
    return this.key === other.key;
  }

  toJSON(): ArchitectureJSON {
    const values: Record<string, Value> = {};
    for (const [k, x] of Object.entries(this.values)) values[k] = Array.isArray(x) ? [...x] : x;
    return { space: this.space, values };
  }
  toString(): string {
    return this.key;
  }
}
