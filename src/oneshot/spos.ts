/**
 * SPOS (Guo et al., "Single Path One-Shot Neural Architecture Search with Uniform Sampling",
 * ECCV 2020): the supernet is trained first, with no architecture parameters, one uniformly
 * sampled single path per training batch; the search comes after, as an evolutionary algorithm
 * over the trained supernet in which every candidate is scored by the supernet's validation
 * accuracy *after its batch-norm statistics are recalibrated for that path*.
 *
 * **Training** ({@link uniformPathMethod}, {@link trainUniformPaths}): a method of the shared
 * skeleton (`search.ts`: SGD with momentum, cosine schedule, clipping) whose weight step runs the
 * supernet in `path` mode on a fresh uniformly random architecture of the space per batch
 * (`space.sample`: each NB201 edge one of its 5 ops, `none` included; a DARTS genotype drawn
 * uniformly); there is no architecture step. Random search with weight sharing (`random-ws.ts`)
 * trains the same way.
 *
 * **Scoring** ({@link scoreWithSupernet}): the path of the architecture is set, every batch norm's
 * running statistics are reset and re-estimated as a plain (cumulative) average over
 * `calibBatches` training batches forwarded in training mode without gradients (the shared
 * statistics fit no single path), then the supernet is evaluated in eval mode on the validation
 * batches. The calibration batches are the same images for every candidate (one seed).
 *
 * **Search** ({@link evolveWithSupernet}): SPOS's Algorithm 1, scaled down: a random initial
 * population of `population` distinct architectures; each generation scores its new candidates,
 * keeps the `topK` best seen so far, and breeds the next population from them, half by crossover
 * (two random parents, each decision from one or the other: `space.crossover`) and half by
 * mutation (a random parent, each decision redrawn uniformly with probability `mutationProb`,
 * 0.1 as in the paper), rejecting architectures already scored. SPOS's defaults are a population
 * of 50, top 10, 20 generations (1000 candidates) on ImageNet; the defaults here (20, 5, 5) fit a
 * CPU. The result is the best architecture scored; the supernet is left with batch-norm
 * statistics recalibrated for it ({@link calibrateFor}).
 *
 * **Budget.** `budgetSeconds` bounds the whole method: training stops when
 * `(1 - searchShare)` of it has passed (default share 0.2), the search when all of it has; at
 * least one candidate is always scored. Progress of training goes to `onEpoch` (the epoch's `arch`
 * is empty and `opWeights` `[]`: there is no architecture until the search), of the search to
 * `onGeneration`.
 * @module
 */
import { DataLoader } from '../data/loader.js';
import { type Device, F, type Tensor, nn, noGrad, tidy } from '../engine/index.js';
import type { Architecture } from '../space/architecture.js';
import { sampleValue } from '../space/decisions.js';
import type { SearchSpace } from '../space/space.js';
import { Rng } from '../util/rng.js';
import { type OneShotData, type OneShotEpoch, type OneShotMethod, type OneShotOptions, type OneShotResult, correctOf, runOneShot } from './search.js';
import { type Supernet, SupernetError } from './supernet.js';

// ---- training ----------------------------------------------------------------------------------

/**
 * The uniform single-path method for {@link runOneShot}: each weight step runs the path of a
 * fresh uniformly random architecture of the supernet's space, drawn from `new Rng(seed)`.
 * `onSample` sees each architecture drawn.
 */
export function uniformPathMethod(supernet: Supernet, seed = 0, name = 'spos', onSample?: (arch: Architecture) => void): OneShotMethod {
  const rng = new Rng(seed).fork(0x5905);
  const space = supernet.searchSpace as SearchSpace;
  return {
    name,
    order: 'weights-first',
    weightMode: () => {
      const arch = space.sample(rng);
      onSample?.(arch);
      return { kind: 'path', choice: supernet.choiceOf(arch) };
    },
  };
}

/** What {@link trainUniformPaths} gives: the skeleton's history, time and whether it stopped early. */
export interface UniformTraining {
  history: OneShotEpoch[];
  seconds: number;
  stopped: boolean;
}

/**
 * Trains the supernet's weights on uniformly sampled single paths (SPOS, random-WS) with the
 * shared skeleton; the epochs reported have an empty `arch` and no `opWeights` (the alphas are
 * not used). `options.budgetSeconds` bounds this training alone.
 */
export async function trainUniformPaths(supernet: Supernet, data: OneShotData, options: OneShotOptions, name = 'spos'): Promise<UniformTraining> {
  const user = options.onEpoch;
  const r: OneShotResult = await runOneShot(supernet, data, uniformPathMethod(supernet, options.seed ?? 0, name), {
    ...options,
    onEpoch: (e) => {
      // The skeleton derives from the (untrained, unused) alphas; a single-path method has no current architecture.
      e.arch = '';
      e.opWeights = [];
      return user?.(e);
    },
  });
  return { history: r.history, seconds: r.seconds, stopped: r.stopped };
}

// ---- scoring -----------------------------------------------------------------------------------

/** Options of {@link scoreWithSupernet}. */
export interface ScoreOptions {
  /** Training batches forwarded to re-estimate the batch-norm statistics (default 8). */
  calibBatches?: number;
  /** Validation batches evaluated, the first ones of the validation set in its order: the same images for every candidate (default 8: 1024 images at the default batch size, which bounds the cost of scoring hundreds of candidates on a CPU). */
  evalBatches?: number;
  /** Batch size of calibration and evaluation (default 128). */
  batchSize?: number;
  /** Seed of the calibration batches' order (default 0): the same images for every candidate. */
  seed?: number;
  /** Device of the batches (the supernet must be there); default: where the data is. */
  device?: Device;
}

/** A supernet's verdict on one architecture. */
export interface SupernetScore {
  /** Validation accuracy (fraction) and mean cross-entropy with the recalibrated statistics. */
  accuracy: number;
  loss: number;
  /** Validation examples evaluated. */
  examples: number;
}

/** An architecture with its score. */
export interface ScoredArch extends SupernetScore {
  arch: Architecture;
  /** The architecture in the space's text form. */
  text: string;
}

/** The batch norms below `net`. */
function batchNorms(net: nn.Module): nn.BatchNormBase[] {
  return [...net.modules()].filter((m): m is nn.BatchNormBase => m instanceof nn.BatchNormBase);
}

/**
 * Re-estimates the running statistics of every batch norm in `net` from `batches` (at most
 * `max`): resets them, forwards the batches in training mode without gradients with a cumulative
 * average (PyTorch's `momentum=None`), then restores each module's momentum and `net`'s training
 * flag. Returns the number of batches used. `forward` runs the network (default `net.call(x)`).
 */
export function recalibrateBatchNorm(net: nn.Module, batches: Iterable<Tensor[]>, max: number, forward: (x: Tensor) => Tensor = (x) => net.call(x) as Tensor): number {
  const bns = batchNorms(net);
  const wasTraining = net.training;
  // `momentum` is read-only in the engine's types, but a plain field: null (a cumulative average) for the calibration only.
  const writable = bns as unknown as { momentum: number | null }[];
  const momenta = writable.map((m) => m.momentum);
  let used = 0;
  try {
    for (const m of bns) m.resetRunningStats();
    for (const m of writable) m.momentum = null;
    net.train(true);
    if (max > 0) {
      for (const [x] of batches) {
        tidy(() => {
          noGrad(() => forward(x));
        });
        if (++used >= max) break;
      }
    }
  } finally {
    writable.forEach((m, i) => {
      m.momentum = momenta[i];
    });
    net.train(wasTraining);
  }
  return used;
}

function checkScoreOptions(o: ScoreOptions): void {
  const posInt = (v: number | undefined, what: string, min: number) => {
    if (v !== undefined && !(Number.isSafeInteger(v) && v >= min)) throw new SupernetError(`${what} must be an integer >= ${min}, got ${v}`);
  };
  posInt(o.calibBatches, 'calibBatches', 0);
  posInt(o.evalBatches, 'evalBatches', 1);
  posInt(o.batchSize, 'batchSize', 1);
  posInt(o.seed, 'seed', 0);
}

/**
 * Re-estimates the supernet's batch-norm statistics for `arch`'s path (as {@link scoreWithSupernet}
 * does before evaluating), and leaves the supernet's forward mode and training flag as they were.
 * A train-then-search method ends with this for the architecture it returns, so that the supernet
 * (and {@link Supernet.subnet}) hold statistics fit for it.
 */
export function calibrateFor(supernet: Supernet, arch: Architecture, data: OneShotData, o: ScoreOptions = {}): void {
  checkScoreOptions(o);
  if (!data?.train) throw new SupernetError('batch-norm calibration needs data.train');
  const mode = supernet.mode;
  supernet.setPath(arch);
  try {
    const calib = new DataLoader([data.train.images, data.train.labels], { batchSize: o.batchSize ?? 128, seed: o.seed ?? 0, device: o.device });
    recalibrateBatchNorm(supernet, calib, o.calibBatches ?? 8);
  } finally {
    supernet.setMode(mode);
  }
}

/**
 * Scores `arch` with the supernet's shared weights (see the module comment): its path, batch-norm
 * statistics recalibrated on `calibBatches` training batches, validation accuracy and loss in
 * eval mode. The supernet's forward mode and training flag are put back afterwards; its batch
 * norms keep the statistics of `arch` (training in `path` mode uses batch statistics, so this
 * does not disturb further training).
 */
export function scoreWithSupernet(supernet: Supernet, arch: Architecture, data: OneShotData, o: ScoreOptions = {}): SupernetScore {
  checkScoreOptions(o);
  if (!data?.train || !data.val) throw new SupernetError('scoring with a supernet needs data.train (batch-norm calibration) and data.val');
  const batchSize = o.batchSize ?? 128;
  const mode = supernet.mode;
  const wasTraining = supernet.training;
  try {
    calibrateFor(supernet, arch, data, o);
    supernet.setPath(arch);
    supernet.eval();
    const val = new DataLoader([data.val.images, data.val.labels], { batchSize, shuffle: false, device: o.device });
    const limit = o.evalBatches ?? 8;
    let [lossSum, correct, seen, b] = [0, 0, 0, 0];
    for (const [x, y] of val) {
      if (b++ >= limit) break;
      tidy(() =>
        noGrad(() => {
          const logits = supernet.call(x);
          lossSum += F.crossEntropy(logits, y).item() * x.shape[0];
          correct += correctOf(logits, y);
        }),
      );
      seen += x.shape[0];
    }
    return { accuracy: correct / Math.max(1, seen), loss: lossSum / Math.max(1, seen), examples: seen };
  } finally {
    supernet.train(wasTraining);
    supernet.setMode(mode);
  }
}

/** Scores `arch` and wraps the result as a {@link ScoredArch}. */
export function scoreArch(supernet: Supernet, arch: Architecture, data: OneShotData, o: ScoreOptions = {}): ScoredArch {
  return { arch, text: supernet.searchSpace.format(arch), ...scoreWithSupernet(supernet, arch, data, o) };
}

// ---- evolutionary search -------------------------------------------------------------------------

/** Options of {@link evolveWithSupernet}. */
export interface EvolutionOptions extends ScoreOptions {
  /** Candidates per generation (default 20; SPOS: 50). */
  population?: number;
  /** Parents kept: the best scored so far (default 5; SPOS: 10). */
  topK?: number;
  /** Generations, the random first one included (default 5; SPOS: 20). */
  generations?: number;
  /** Per-decision probability that a mutation redraws it (default 0.1, as SPOS). */
  mutationProb?: number;
  /** Seed of the population, parents, crossover and mutation (default: `seed`). */
  searchSeed?: number;
}

/** One generation of {@link evolveWithSupernet}. */
export interface Generation {
  /** 1-based. */
  generation: number;
  generations: number;
  /** Candidates scored in this generation, and in all. */
  scored: number;
  totalScored: number;
  /** The best architecture so far (text form) and its supernet accuracy. */
  best: string;
  bestAccuracy: number;
  seconds: number;
}

/** When a search phase stops: a signal, a wall-clock deadline (ms, `performance.now()`), a callback. */
export interface SearchHooks {
  signal?: AbortSignal;
  deadline?: number;
  onGeneration?: (g: Generation) => unknown;
}

/** A mutation in SPOS's sense: each decision redrawn uniformly with probability `p` (constraints checked; retried). */
export function mutateDecisions(space: SearchSpace, arch: Architecture, p: number, rng: Rng): Architecture {
  for (let t = 0; t < 100; t++) {
    const v: Record<string, unknown> = { ...arch.values };
    for (const d of space.decisions) if (rng.next() < p) v[d.name] = sampleValue(d, rng);
    try {
      return space.arch(v);
    } catch {
      // A redraw that breaks a constraint: draw again.
    }
  }
  return arch;
}

const best = (xs: readonly ScoredArch[]): ScoredArch[] => [...xs].sort((a, b) => b.accuracy - a.accuracy || a.loss - b.loss);
const yieldToEventLoop = (): Promise<void> => new Promise((res) => setImmediate(res));

function checkEvolution(o: EvolutionOptions): void {
  checkScoreOptions(o);
  const posInt = (v: number | undefined, what: string) => {
    if (v !== undefined && !(Number.isSafeInteger(v) && v >= 1)) throw new SupernetError(`${what} must be a positive integer, got ${v}`);
  };
  posInt(o.population, 'population');
  posInt(o.topK, 'topK');
  posInt(o.generations, 'generations');
  if (o.mutationProb !== undefined && !(o.mutationProb > 0 && o.mutationProb <= 1)) throw new SupernetError(`mutationProb must be in (0, 1], got ${o.mutationProb}`);
}

/** What {@link evolveWithSupernet} returns. */
export interface EvolutionResult {
  /** Every architecture scored, best first. */
  candidates: ScoredArch[];
  /** True when it ended early (signal, deadline, or `onGeneration` returning 'stop'). */
  stopped: boolean;
}

/**
 * SPOS's evolutionary search over a trained supernet (see the module comment): {@link evolve}
 * with {@link scoreArch} as the score. Stops between candidates on the signal or the deadline, but
 * always scores at least one.
 */
export async function evolveWithSupernet(supernet: Supernet, data: OneShotData, o: EvolutionOptions = {}, hooks: SearchHooks = {}): Promise<EvolutionResult> {
  checkEvolution(o);
  return evolve(supernet.searchSpace as SearchSpace, (arch) => scoreArch(supernet, arch, data, o), o, hooks);
}

/**
 * SPOS's evolutionary algorithm over `space` with any `score` (higher `accuracy` is better, lower
 * `loss` breaks ties): the random first population, then generations bred from the top K by
 * crossover and mutation, never scoring an architecture twice (see the module comment).
 */
export async function evolve(space: SearchSpace, score: (arch: Architecture) => ScoredArch, o: EvolutionOptions = {}, hooks: SearchHooks = {}): Promise<EvolutionResult> {
  checkEvolution(o);
  const P = o.population ?? 20;
  const K = o.topK ?? 5;
  const G = o.generations ?? 5;
  const p = o.mutationProb ?? 0.1;
  const rng = new Rng(o.searchSeed ?? o.seed ?? 0).fork(0xe70);
  const seen = new Map<string, ScoredArch>();
  const t0 = performance.now();
  let lastYield = t0;
  const over = () => seen.size > 0 && (!!hooks.signal?.aborted || (hooks.deadline !== undefined && performance.now() > hooks.deadline));
  /** Up to `n` architectures not yet scored nor already in `out`, from `make` (a bounded number of tries). */
  const fresh = (n: number, make: () => Architecture, out: Architecture[]): void => {
    const keys = new Set(out.map((a) => a.key));
    let added = 0;
    for (let t = 0; t < 20 * n && added < n; t++) {
      const a = make();
      if (seen.has(a.key) || keys.has(a.key)) continue;
      keys.add(a.key);
      out.push(a);
      added++;
    }
  };
  let stopped = false;
  let population: Architecture[] = [];
  fresh(P, () => space.sample(rng), population);
  for (let gen = 1; gen <= G && population.length; gen++) {
    if (over()) {
      stopped = true;
      break;
    }
    const tg = performance.now();
    let scored = 0;
    for (const arch of population) {
      if (over()) {
        stopped = true;
        break;
      }
      seen.set(arch.key, score(arch));
      scored++;
      if (performance.now() - lastYield > 50) {
        await yieldToEventLoop();
        lastYield = performance.now();
      }
    }
    const top = best([...seen.values()]).slice(0, K);
    const r = hooks.onGeneration?.({
      generation: gen,
      generations: G,
      scored,
      totalScored: seen.size,
      best: top[0].text,
      bestAccuracy: top[0].accuracy,
      seconds: (performance.now() - tg) / 1000,
    });
    if (r === 'stop') stopped = true;
    if (stopped || gen === G) break;
    const pick = () => top[rng.int(top.length)].arch;
    const next: Architecture[] = [];
    fresh(Math.floor(P / 2), () => space.crossover(pick(), pick(), rng), next);
    const crossed = next.length;
    fresh(P - crossed, () => mutateDecisions(space, pick(), p, rng), next);
    population = next;
  }
  return { candidates: best([...seen.values()]), stopped };
}

// ---- the method ------------------------------------------------------------------------------

/** Options of {@link sposSearch}. */
export interface SposOptions extends OneShotOptions, Omit<EvolutionOptions, 'seed' | 'device' | 'batchSize'> {
  /** Share of `budgetSeconds` kept for the search after training (default 0.2). */
  searchShare?: number;
  /** Batch size of scoring (default 128); training uses `batchSize`. */
  scoreBatchSize?: number;
  /** After each generation of the search; returning 'stop' ends it there. */
  onGeneration?: (g: Generation) => unknown;
}

/** What {@link sposSearch} and the random-WS search return: the common result and every candidate scored. */
export interface SupernetSearchResult extends OneShotResult {
  /** Every architecture scored, best first. */
  candidates: ScoredArch[];
  /** Wall time of the weight training and of the search after it. */
  trainSeconds: number;
  searchSeconds: number;
}

/** The training budget and the overall deadline of a train-then-search method. */
export function splitBudget(o: { budgetSeconds?: number; searchShare?: number }, t0: number): { trainBudget?: number; deadline?: number } {
  const share = o.searchShare ?? 0.2;
  if (!(share >= 0 && share < 1)) throw new SupernetError(`searchShare must be in [0, 1), got ${o.searchShare}`);
  if (o.budgetSeconds === undefined) return {};
  return { trainBudget: o.budgetSeconds * (1 - share), deadline: t0 + o.budgetSeconds * 1000 };
}

/** The score options of a train-then-search method's options. */
export function scoreOptionsOf(o: OneShotOptions & ScoreOptions & { scoreBatchSize?: number }): ScoreOptions {
  return {
    ...(o.calibBatches !== undefined ? { calibBatches: o.calibBatches } : {}),
    ...(o.evalBatches !== undefined ? { evalBatches: o.evalBatches } : {}),
    batchSize: o.scoreBatchSize ?? 128,
    seed: o.seed ?? 0,
    ...(o.device ? { device: o.device } : {}),
  };
}

/**
 * Runs SPOS on a supernet (see the module comment): uniform single-path training, then the
 * evolutionary search with recalibrated batch norms. `alphas` in the result is `[]`.
 */
export async function sposSearch(supernet: Supernet, data: OneShotData, options: SposOptions): Promise<SupernetSearchResult> {
  const t0 = performance.now();
  const { trainBudget, deadline } = splitBudget(options, t0);
  const evo: EvolutionOptions = { ...scoreOptionsOf(options) };
  for (const k of ['population', 'topK', 'generations', 'mutationProb', 'searchSeed'] as const) if (options[k] !== undefined) evo[k] = options[k];
  checkEvolution(evo);
  const trained = await trainUniformPaths(supernet, data, { ...options, ...(trainBudget !== undefined ? { budgetSeconds: trainBudget } : {}) }, 'spos');
  const ts = performance.now();
  const evolved = await evolveWithSupernet(supernet, data, evo, { signal: options.signal, deadline, onGeneration: options.onGeneration });
  return finishSupernetSearch(supernet, data, evo, trained, evolved.candidates, evolved.stopped, t0, ts);
}

/**
 * The end of a search over a trained supernet (SPOS, random-WS): the best of `candidates` (sorted,
 * best first) gets its batch-norm statistics recalibrated in the supernet, and the result is built.
 */
export function finishSupernetSearch(
  supernet: Supernet,
  data: OneShotData,
  score: ScoreOptions & { batchSize?: number; seed?: number; device?: Device },
  trained: UniformTraining,
  candidates: ScoredArch[],
  cut: boolean,
  t0: number,
  ts: number,
): SupernetSearchResult {
  const top = candidates[0];
  calibrateFor(supernet, top.arch, data, score);
  const end = performance.now();
  return {
    arch: top.arch,
    text: top.text,
    history: trained.history,
    seconds: (end - t0) / 1000,
    stopped: trained.stopped || cut,
    alphas: [],
    candidates,
    trainSeconds: trained.seconds,
    searchSeconds: (end - ts) / 1000,
  };
}
