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

/** A number in [0, 1) (label smoothing, a probability). */
export function unitIntervalArg(v: string): number {
  const n = Number(v.trim());
  if (v.trim() === '' || !(n >= 0 && n < 1)) throw new InvalidArgumentError('expected a number from 0 up to (not including) 1.');
  return n;
}

/** An input shape of positive integers: an image `CxHxW` (e.g. `3x32x32`) or a feature count `F` (e.g. `12`). */
export function shapeArg(v: string): [number, number, number] | [number] {
  const m = /^(\d+)(?:x(\d+)x(\d+))?$/.exec(v.trim());
  const dims = m ? m.slice(1).filter((d) => d !== undefined).map(Number) : [];
  if (!m || !dims.every((d) => Number.isSafeInteger(d) && d > 0)) throw new InvalidArgumentError('expected CxHxW (an image) or F (a feature vector) with positive integers, e.g. 3x32x32 or 12.');
  return dims as [number, number, number] | [number];
}

/** Parses `90s`, `15m`, `1h`, `1h30m`, or plain seconds, into seconds. */
export function durationArg(v: string): number {
  const m = /^\s*(?:(\d+(?:\.\d+)?)h)?\s*(?:(\d+(?:\.\d+)?)m)?\s*(?:(\d+(?:\.\d+)?)s?)?\s*$/.exec(v);
  if (!m || (!m[1] && !m[2] && !m[3])) throw new InvalidArgumentError(`not a duration: '${v}' (use e.g. 90s, 15m, 1h30m)`);
  const s = Number(m[1] ?? 0) * 3600 + Number(m[2] ?? 0) * 60 + Number(m[3] ?? 0);
  if (!(s > 0)) throw new InvalidArgumentError(`a budget must be more than zero, got '${v}'`);
  return s;
}
