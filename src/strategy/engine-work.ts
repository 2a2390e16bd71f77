/**
 * Running a strategy's own small engine computations (a controller update, a predictor's
 * training) on one intra-op thread.
 * @module
 */
import { getNumThreads, setNumThreads } from '../engine/index.js';

/**
 * Runs `fn` with libtorch's intra-op threads set to one, then puts the caller's setting back.
 * Strategies' tensors are tiny, so extra threads only add synchronisation (and, on a busy machine,
 * spinning OpenMP workers cost many times the work itself); one thread also makes the floating-point
 * results, and so the asks, the same whatever the machine's core count.
 */
export function inOneThread<T>(fn: () => T): T {
  const before = getNumThreads();
  if (before === 1) return fn();
  setNumThreads(1);
  try {
    return fn();
  } finally {
    setNumThreads(before);
  }
}
