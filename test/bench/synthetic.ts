/**
 * Synthetic tabular benchmarks for the bench tests: every NB201 cell with made-up but
 * deterministic metrics computed from its ops (so tests never need the real NAS-Bench-201 table).
 */
import { writeFileSync } from 'node:fs';
import type { Architecture } from '../../src/space/architecture.js';
import { getSpace } from '../../src/space/registry.js';

const WEIGHT: Record<string, number> = { none: 0, skip_connect: 0.3, avg_pool_3x3: 0.4, nor_conv_1x1: 0.7, nor_conv_3x3: 1 };

/** A deterministic value in [0, 1) from an integer (a hash, not a random stream). */
function jitter(i: number, salt: number): number {
  let x = Math.imul(i + 1, 0x9e3779b1) ^ Math.imul(salt + 7, 0x85ebca6b);
  x = Math.imul(x ^ (x >>> 15), 0x2c1b3c6d);
  x ^= x >>> 12;
  return (x >>> 0) / 4294967296;
}

/** The synthetic metrics of an NB201 cell (the i-th of the enumeration). */
export function metrics(arch: Architecture, i: number): { val4: number; val12: number; test12: number } {
  const ops = Object.keys(arch.values)
    .sort()
    .map((k) => String(arch.values[k]));
  const s = ops.reduce((a, op, j) => a + WEIGHT[op] * (1 + j / 6), 0);
  const val12 = Math.round((50 + 6 * s + 4 * jitter(i, 1)) * 1000) / 1000;
  const val4 = Math.round((0.8 * val12 + 8 * jitter(i, 2)) * 1000) / 1000;
  const test12 = Math.round((val12 + 3 * (jitter(i, 3) - 0.5)) * 1000) / 1000;
  return { val4, val12, test12 };
}

/** Rows whose evaluations failed (every 1000th cell): their `val@12` cell is empty or `nan`. */
export const failed = (i: number): boolean => i % 1000 === 999;

/**
 * CSV text of the whole NB201 space with columns `val@4`, `val@12`, `test@12` and `loss@12`
 * (100 - val@12, for minimisation); failed rows have an empty or `nan` `val@12` cell.
 */
export function nb201Csv(): string {
  const space = getSpace('nb201');
  const lines = ['arch,val@4,val@12,test@12,loss@12'];
  let i = 0;
  for (const a of space.enumerate()) {
    const m = metrics(a, i);
    const v12 = failed(i) ? (i % 2000 === 999 ? '' : 'nan') : String(m.val12);
    const loss = failed(i) ? 'NaN' : String(Math.round((100 - m.val12) * 1000) / 1000);
    lines.push(`${space.format(a)},${m.val4},${v12},${m.test12},${loss}`);
    i++;
  }
  return `${lines.join('\n')}\n`;
}

let cached: string | undefined;

/** Writes {@link nb201Csv} to `file` (computed once per process). */
export function writeNb201Csv(file: string): void {
  cached ??= nb201Csv();
  writeFileSync(file, cached);
}
