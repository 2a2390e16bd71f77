/**
 * Parsers for option values, for commander's `argParser`: they throw commander's
 * InvalidArgumentError, which the CLI reports as a one-line usage error (exit code 2).
 * @module
 */
import { InvalidArgumentError } from 'commander';

/** An integer >= `min` (and <= `max`). */
export function intArg(min: number, max = Number.MAX_SAFE_INTEGER): (v: string) => number {
  return (v: string) => {
    const s = v.trim();
    if (!/^[+-]?\d+$/.test(s)) throw new InvalidArgumentError(`expected an integer >= ${min}.`);
    const n = Number(s);
    if (n < min || n > max) throw new InvalidArgumentError(max === Number.MAX_SAFE_INTEGER ? `expected an integer >= ${min}.` : `expected an integer from ${min} to ${max}.`);
    return n;
  };
}

/** A finite number > 0. */
export function positiveNumberArg(v: string): number {
  const n = Number(v.trim());
  if (v.trim() === '' || !Number.isFinite(n) || n <= 0) throw new InvalidArgumentError('expected a number > 0.');
  return n;
}
