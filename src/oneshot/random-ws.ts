/**
 * Random search with weight sharing (Li & Talwalkar, "Random Search and Reproducibility for
 * Neural Architecture Search", UAI 2019), the baseline one-shot methods have to beat: the
 * supernet is trained on uniformly random single paths (one architecture per batch, exactly as
 * SPOS trains: {@link trainUniformPaths}), then `samples` distinct random architectures are drawn
 * (seeded) and each is scored with the shared weights ({@link scoreWithSupernet}: batch norms
 * recalibrated for its path, validation accuracy); the best is returned, and the supernet is left
 * with batch-norm statistics recalibrated for it. The default of 100 samples matches the most
 * candidates SPOS's scaled-down evolution scores (population 20 over 5 generations), so the two
 * compare at equal search cost; a GPU affords many more.
 *
 * `budgetSeconds` bounds the whole method as in SPOS: training gets `(1 - searchShare)` of it
 * (default share 0.2), sampling stops when all of it has passed (after at least one candidate).
 * @module
 */
import type { Architecture } from '../space/architecture.js';
import type { SearchSpace } from '../space/space.js';
import { Rng } from '../util/rng.js';
import type { OneShotData, OneShotOptions } from './search.js';
import { type ScoreOptions, type ScoredArch, type SupernetSearchResult, finishSupernetSearch, scoreArch, scoreOptionsOf, splitBudget, trainUniformPaths } from './spos.js';
import { type Supernet, SupernetError } from './supernet.js';

/** Options of {@link randomWsSearch}. */
export interface RandomWsOptions extends OneShotOptions, Omit<ScoreOptions, 'seed' | 'device' | 'batchSize'> {
  /** Random architectures scored after training (default 100). */
  samples?: number;
  /** Seed of the sampled architectures (default: `seed`). */
  searchSeed?: number;
  /** Share of `budgetSeconds` kept for scoring (default 0.2). */
  searchShare?: number;
  /** Batch size of scoring (default 128); training uses `batchSize`. */
  scoreBatchSize?: number;
  /** After each candidate scored; returning 'stop' ends the sampling there. */
  onSample?: (s: { index: number; samples: number; scored: ScoredArch; best: ScoredArch }) => unknown;
}

/** `n` distinct architectures of `space` drawn from `rng` (fewer if the space runs out: at most 50 n draws). */
export function distinctSamples(space: SearchSpace, n: number, rng: Rng): Architecture[] {
  const out: Architecture[] = [];
  const keys = new Set<string>();
  for (let t = 0; t < 50 * n && out.length < n; t++) {
    const a = space.sample(rng);
    if (keys.has(a.key)) continue;
    keys.add(a.key);
    out.push(a);
  }
  return out;
}

const yieldToEventLoop = (): Promise<void> => new Promise((res) => setImmediate(res));

/** Runs random search with weight sharing (see the module comment). `alphas` in the result is `[]`. */
export async function randomWsSearch(supernet: Supernet, data: OneShotData, options: RandomWsOptions): Promise<SupernetSearchResult> {
  const t0 = performance.now();
  const samples = options.samples ?? 100;
  if (!(Number.isSafeInteger(samples) && samples >= 1)) throw new SupernetError(`samples must be a positive integer, got ${options.samples}`);
  const { trainBudget, deadline } = splitBudget(options, t0);
  const score = scoreOptionsOf(options);
  const trained = await trainUniformPaths(supernet, data, { ...options, ...(trainBudget !== undefined ? { budgetSeconds: trainBudget } : {}) }, 'random-ws');
  const ts = performance.now();
  const archs = distinctSamples(supernet.searchSpace as SearchSpace, samples, new Rng(options.searchSeed ?? options.seed ?? 0).fork(0x4a4d));
  const scored: ScoredArch[] = [];
  let top: ScoredArch | null = null;
  let lastYield = ts;
  let cut = false;
  for (const [i, arch] of archs.entries()) {
    if (scored.length && (options.signal?.aborted || (deadline !== undefined && performance.now() > deadline))) {
      cut = true;
      break;
    }
    const s = scoreArch(supernet, arch, data, score);
    scored.push(s);
    if (!top || s.accuracy > top.accuracy || (s.accuracy === top.accuracy && s.loss < top.loss)) top = s;
    if (options.onSample?.({ index: i + 1, samples: archs.length, scored: s, best: top }) === 'stop') {
      cut = true;
      break;
    }
    if (performance.now() - lastYield > 50) {
      await yieldToEventLoop();
      lastYield = performance.now();
    }
  }
  return finishSupernetSearch(supernet, data, score, trained, [...scored].sort((a, b) => b.accuracy - a.accuracy || a.loss - b.loss), cut, t0, ts);
}
