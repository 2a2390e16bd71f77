/**
 * BANANAS (White, Neiswanger & Savani, "BANANAS: Bayesian Optimization with Neural Architectures
 * for Neural Architecture Search", AAAI 2021): Bayesian optimisation whose surrogate is an
 * ensemble of feed-forward neural predictors on the path encoding.
 *
 * Each ask, once `nInit` random architectures have been asked:
 * 1. **Predictor.** An ensemble of `ensemble` MLPs (`layers` hidden ReLU layers of `width` units)
 *    is trained from scratch on every result so far: inputs are the space's path encoding (else
 *    its adjacency encoding, else the one-hot encoding; option `encoding`), targets the objective
 *    standardised to mean 0 and variance 1 (failures, NaN, count as the worst value seen). Training
 *    is full-batch Adam (`lr`) on the mean squared error for `steps` steps; the members differ only
 *    in their initial weights (PyTorch's `nn.Linear` scheme, uniform in ±1/sqrt(fan_in)), drawn
 *    with the strategy's seeded {@link Rng} (a fork per training, keyed by the number of results),
 *    so training is deterministic. All members train at once as one batched network (`bmm`).
 * 2. **Candidates.** `candidates` architectures made by mutating (one decision each, the space's
 *    `mutate`) the `parents` best architectures seen, round robin; architectures already asked
 *    are skipped (random ones fill in when mutation runs dry).
 * 3. **Acquisition.** Independent Thompson sampling (`its`, the paper's choice): each candidate's
 *    score is one draw from a normal with the ensemble's mean and standard deviation; or `ucb`:
 *    mean + `ucbBeta` × standard deviation. A batch ask takes the best `n` candidates.
 *
 * **Defaults and sources.** The paper: 5 members, 10 layers of 20 units, Adam lr 0.01, 200
 * epochs of mini-batches, 10 initial random architectures, 100 candidates from the 10 best, ITS.
 * Here the members have 3 layers of 20 units and train for 30 full-batch steps: on two CPU cores
 * the engine spends about 2 to 3 ms per step of the batched ensemble at 300 results (mostly
 * per-op overhead), so the paper's size and schedule would cost over a second per ask, against
 * the 200 ms per query Loom allows its BO strategies. On the synthetic NB201 objective of the
 * tests, with 300 results, the ensemble mean's correlation with the objective on held-out cells
 * was 0.77 after 20 steps, 0.83 to 0.84 after 30 to 50, and 0.80 after 100. The loss is the mean
 * squared error (the paper uses the mean absolute error). The engine work runs on one intra-op
 * thread (see `engine-work.ts`), which also makes the asks independent of the machine's core count.
 *
 * No tensors live between calls: each training runs inside `tidy`. The saved state is the base
 * class's (generator, pending asks, history); the predictors are retrained from it, so a restored
 * strategy continues exactly.
 * @module
 */
import { Adam, type Tensor, noGrad, tensor, tidy } from '../engine/index.js';
import type { Architecture } from '../space/architecture.js';
import type { EncodingKind, SearchSpace } from '../space/space.js';
import { Rng } from '../util/rng.js';
import { BaseStrategy, defineStrategy, rankByValue } from './common.js';
import { inOneThread } from './engine-work.js';
import { type Ask, StrategyError } from './strategy.js';

/** The width of `space`'s encoding `kind` (0 when the space does not offer it). */
export function encodingWidthOf(space: SearchSpace, kind: EncodingKind): number {
  const s = space as SearchSpace & { encodingWidth?: (k: EncodingKind) => number };
  if (typeof s.encodingWidth === 'function') return s.encodingWidth(kind);
  try {
    return space.encode(space.sample(new Rng(0)), kind).length;
  } catch {
    return 0;
  }
}

/** The encoding BANANAS uses for `space`: `path` when offered, else `adjacency`, else `onehot`. */
export function predictorEncoding(space: SearchSpace, wanted = 'auto'): EncodingKind {
  if (wanted !== 'auto') {
    if (encodingWidthOf(space, wanted as EncodingKind) > 0) return wanted as EncodingKind;
    throw new StrategyError(`strategy 'bananas': space '${space.name}' has no '${wanted}' encoding`);
  }
  for (const k of ['path', 'adjacency', 'onehot'] as const) if (encodingWidthOf(space, k) > 0) return k;
  throw new StrategyError(`strategy 'bananas': space '${space.name}' offers no encoding for a predictor`);
}

/** Mean and standard deviation of the ensemble's predictions, per architecture. */
export interface Prediction {
  mean: number[];
  std: number[];
}

/** Settings of the predictor ensemble. */
export interface EnsembleConfig {
  members: number;
  layers: number;
  width: number;
  steps: number;
  lr: number;
}

/**
 * Trains an ensemble of MLPs on `x` (rows of equal length) and `y` (already standardised), all
 * members at once, and predicts `query`. Weights come from `rng`; no tensors outlive the call.
 */
export function trainAndPredict(x: readonly number[][], y: readonly number[], query: readonly number[][], cfg: EnsembleConfig, rng: Rng): Prediction {
  const D = x[0].length;
  const { members: E, layers: L, width: W } = cfg;
  const uniform = (n: number, fanIn: number) => {
    const bound = 1 / Math.sqrt(fanIn);
    const w = new Float32Array(n);
    for (let i = 0; i < n; i++) w[i] = (rng.next() * 2 - 1) * bound;
    return w;
  };
  // Layer 1 reads the shared input: one [D, E*W] matrix whose columns e*W..(e+1)*W are member e's.
  const shapes: number[][] = [
    [D, E * W],
    [1, E * W],
  ];
  for (let l = 1; l < L; l++) shapes.push([E, W, W], [E, 1, W]);
  shapes.push([E, W, 1], [E, 1, 1]);
  const init = shapes.map((s, i) => uniform(s.reduce((a, b) => a * b, 1), i < 2 ? D : W));
  return tidy(() => {
    const P = init.map((w, i) => tensor(w, { shape: shapes[i], requiresGrad: true }));
    const forward = (X: Tensor): Tensor => {
      const n = X.shape[0];
      let h = X.matmul(P[0]).add(P[1]).relu().view([n, E, W]).transpose(0, 1);
      for (let l = 1; l < L; l++) h = h.bmm(P[2 * l]).add(P[2 * l + 1]).relu();
      return h.bmm(P[2 * L]).add(P[2 * L + 1]).squeeze(2); // [E, n]
    };
    const X = tensor(Float32Array.from(x.flat()), { shape: [x.length, D] });
    const Y = tensor(Float32Array.from(y), { shape: [1, y.length] });
    const opt = new Adam(P, { lr: cfg.lr });
    try {
      for (let s = 0; s < cfg.steps; s++) {
        tidy(() => {
          const loss = forward(X).sub(Y).square().mean();
          opt.zeroGrad();
          loss.backward();
          opt.step();
        });
      }
    } finally {
      opt.dispose();
    }
    const Q = tensor(Float32Array.from(query.flat()), { shape: [query.length, D] });
    const out = noGrad(() => forward(Q).data() as Float32Array);
    const mean: number[] = [];
    const std: number[] = [];
    for (let c = 0; c < query.length; c++) {
      let m = 0;
      for (let e = 0; e < E; e++) m += out[e * query.length + c];
      m /= E;
      let v = 0;
      for (let e = 0; e < E; e++) v += (out[e * query.length + c] - m) ** 2;
      mean.push(m);
      std.push(E > 1 ? Math.sqrt(v / (E - 1)) : 0);
    }
    return { mean, std };
  });
}

/** BANANAS: neural-predictor-ensemble Bayesian optimisation. */
export class Bananas extends BaseStrategy {
  private readonly encoding: EncodingKind;
  private readonly cfg: EnsembleConfig;
  private readonly encoded = new Map<string, number[]>();

  constructor(space: SearchSpace, seed: number, options: Record<string, unknown>) {
    super('bananas', space, seed, options);
    this.encoding = predictorEncoding(space, options.encoding as string);
    this.cfg = {
      members: options.ensemble as number,
      layers: options.layers as number,
      width: options.width as number,
      steps: options.steps as number,
      lr: options.lr as number,
    };
  }

  /** The predictor's input for `a`; those of told architectures are kept (they are re-read every training). */
  private encode(a: Architecture, remember = false): number[] {
    let e = this.encoded.get(a.key);
    if (!e) {
      e = this.space.encode(a, this.encoding);
      if (remember) this.encoded.set(a.key, e);
    }
    return e;
  }

  protected propose(n: number, out: Ask[]): void {
    const nInit = this.options.nInit as number;
    while (out.length < n && this.history.length + this.pending.size < nInit) out.push(this.issue(this.sampleNew(100)));
    if (out.length >= n) return;
    const ok = this.history.filter((t) => !Number.isNaN(t.value));
    if (ok.length < 2) {
      while (out.length < n) out.push(this.issue(this.sampleNew(100)));
      return;
    }
    const cands = this.candidates(n - out.length);
    // Targets: standardised, failures at the worst value seen.
    const worst = Math.min(...ok.map((t) => t.value));
    const ys = this.history.map((t) => (Number.isNaN(t.value) ? worst : t.value));
    const mu = ys.reduce((a, b) => a + b, 0) / ys.length;
    const sd = Math.sqrt(ys.reduce((a, b) => a + (b - mu) ** 2, 0) / ys.length) || 1;
    const pred = inOneThread(() =>
      trainAndPredict(
        this.history.map((t) => this.encode(t.arch, true)),
        ys.map((v) => (v - mu) / sd),
        cands.map((a) => this.encode(a)),
        this.cfg,
        new Rng(this.seed).fork(this.history.length),
      ),
    );
    const beta = this.options.ucbBeta as number;
    const its = this.options.acquisition === 'its';
    const scored = cands.map((a, i) => ({ a, s: its ? pred.mean[i] + pred.std[i] * this.rng.normal() : pred.mean[i] + beta * pred.std[i] }));
    scored.sort((p, q) => q.s - p.s);
    for (const { a } of scored) {
      if (out.length >= n) break;
      out.push(this.issue(a));
    }
    // A (nearly) exhausted space: repeats rather than nothing.
    while (out.length < n) out.push(this.issue(this.sampleNew(100)));
  }

  /** Mutations of the best architectures, none asked before; at least `need` (random ones fill in). */
  private candidates(need: number): Architecture[] {
    const total = Math.max(need, this.options.candidates as number);
    const parents = rankByValue(this.history.filter((t) => !Number.isNaN(t.value))).slice(0, this.options.parents as number);
    const out: Architecture[] = [];
    const seen = new Set<string>();
    const add = (a: Architecture) => {
      if (this.asked.has(a.key) || seen.has(a.key)) return;
      seen.add(a.key);
      out.push(a);
    };
    for (let i = 0; out.length < total && i < 10 * total; i++) add(this.space.mutate(parents[i % parents.length].arch, this.rng));
    for (let i = 0; out.length < need && i < 100 * need; i++) add(this.space.sample(this.rng));
    return out;
  }

  protected observe(): void {}
}

/** The `bananas` strategy. */
export const bananasFactory = defineStrategy({
  name: 'bananas',
  description: 'BANANAS: Bayesian optimisation with an ensemble of neural predictors on path encodings, Thompson sampling, mutation-based acquisition (White et al. 2021)',
  options: [
    { name: 'nInit', type: 'integer', default: 10, min: 1, max: 1_000_000, description: 'random architectures before the predictor is used' },
    { name: 'ensemble', type: 'integer', default: 5, min: 1, max: 100, description: 'predictors in the ensemble' },
    { name: 'layers', type: 'integer', default: 3, min: 1, max: 100, description: 'hidden layers per predictor (paper: 10)' },
    { name: 'width', type: 'integer', default: 20, min: 1, max: 4096, description: 'units per hidden layer (paper: 20)' },
    { name: 'steps', type: 'integer', default: 30, min: 1, max: 1_000_000, description: 'full-batch Adam steps per training' },
    { name: 'lr', type: 'number', default: 0.01, min: 0, max: 10, description: "the predictors' Adam learning rate (paper: 0.01)" },
    { name: 'acquisition', type: 'string', default: 'its', choices: ['its', 'ucb'], description: 'independent Thompson sampling (paper) or an upper confidence bound' },
    { name: 'ucbBeta', type: 'number', default: 1, min: 0, max: 1000, description: 'standard deviations added to the mean (ucb)' },
    { name: 'candidates', type: 'integer', default: 100, min: 1, max: 1_000_000, description: 'candidate architectures per ask' },
    { name: 'parents', type: 'integer', default: 10, min: 1, max: 1_000_000, description: 'best architectures that candidates are mutated from' },
    { name: 'encoding', type: 'string', default: 'auto', choices: ['auto', 'path', 'adjacency', 'onehot'], description: "the predictors' input (auto: path, else adjacency, else one-hot)" },
  ],
  make: (space, seed, options) => new Bananas(space, seed, options),
});
