/**
 * Architectures in a few words, for tables (`loom study show`, the search report): the space's
 * own text form where it is a compact one (nb201's cell string, a chain's layers), else the
 * decisions as `key=value` pairs (a user-defined space, whose text form is its JSON).
 * @module
 */
import type { ArchitectureJSON } from './architecture.js';
import type { SearchSpace } from './space.js';

type Values = Record<string, unknown>;

const valueText = (v: unknown): string => (typeof v === 'object' && v !== null ? JSON.stringify(v) : String(v));

/** Decisions as `key=value` pairs, in the order given, separated by spaces. */
export function decisionPairs(values: Values): string {
  return Object.entries(values)
    .map(([k, v]) => `${k}=${valueText(v)}`)
    .join(' ');
}

/**
 * The space's text form of `arch` when it is compact (not JSON), else null. Null too when `space`
 * is missing or refuses the architecture (a user-defined space changed since).
 */
export function compactText(space: SearchSpace | null, arch: ArchitectureJSON): string | null {
  if (!space) return null;
  try {
    const text = space.format(space.fromJSON(arch));
    return text.startsWith('{') ? null : text;
  } catch {
    return null;
  }
}

/**
 * How a table of trials names `arch`, beside `best` (the best trial's architecture, or null):
 * `compact`, the space's compact text form, where it has one; else `diff`, the decisions where it
 * differs from the best's; else (it is the best's, or there is no best) `all`, all its decisions.
 */
export function trialLabel(space: SearchSpace | null, arch: ArchitectureJSON, best: ArchitectureJSON | null): { kind: 'compact' | 'diff' | 'all'; text: string } {
  const compact = compactText(space, arch);
  if (compact !== null) return { kind: 'compact', text: compact };
  const diff = best ? decisionDiff(arch, best) : '';
  return diff ? { kind: 'diff', text: diff } : { kind: 'all', text: decisionPairs(arch.values ?? {}) };
}

/**
 * How `arch` differs from `base`, as the decisions whose values differ (`key=value`, with `arch`'s
 * values; a decision `base` has and `arch` lacks reads `key=-`); empty when they agree.
 */
export function decisionDiff(arch: ArchitectureJSON, base: ArchitectureJSON): string {
  const a = arch.values ?? {};
  const b = base.values ?? {};
  const keys = [...new Set([...Object.keys(a), ...Object.keys(b)])];
  return keys
    .filter((k) => valueText(a[k]) !== valueText(b[k]))
    .map((k) => `${k}=${k in a ? valueText(a[k]) : '-'}`)
    .join(' ');
}
