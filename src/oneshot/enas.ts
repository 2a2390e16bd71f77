/**
 * ENAS (Pham, Guan, Zoph, Le & Dean, "Efficient Neural Architecture Search via Parameter
 * Sharing", ICML 2018) on the cell spaces: an LSTM controller samples architectures; the shared
 * weights are trained on the sampled paths, and the controller by REINFORCE on the validation
 * accuracy the shared weights give its samples.
 *
 * **Controller.** Loom's REINFORCE strategy (`strategy/reinforce.ts`) is the controller, as it is:
 * an autoregressive LSTM (hidden 64, as ENAS) emitting one softmax per decision of the space (each
 * NB201 edge's op; each DARTS node's pair of inputs and its two ops), with the embedding of each
 * choice fed to the next step; REINFORCE with a moving-average baseline and an entropy bonus, one
 * Adam step per `controllerBatch` rewards. Defaults are those of ENAS's micro (cell) search script:
 * Adam lr 3.5e-3, baseline decay 0.99, entropy weight 1e-4, 10 samples aggregated per update.
 * (ENAS's controller also bounds its logits, `1.1 tanh(l)`, and its op logits more tightly, with
 * the constant divided by 2.5; Loom's controller does not.)
 *
 * **Training**, on the shared skeleton (`search.ts`): each step first trains the weights on a
 * training batch through the path of a fresh controller sample (SGD with momentum, cosine
 * schedule, as every method here), then samples another architecture, computes its reward, the
 * accuracy of the shared weights on one validation batch (no gradient; batch norms use the batch's
 * statistics, as ENAS computes its rewards in training mode), and gives it to the controller. ENAS
 * alternates whole phases (a pass over the training data for the weights, then 30 controller
 * updates of 10 samples in its micro search, about one sample per weight step on CIFAR-10);
 * alternating step by step keeps that ratio while letting both improve within the few epochs a
 * CPU affords.
 *
 * **Derivation**, as ENAS: `deriveSamples` architectures (default 10) are sampled from the trained
 * controller and each is scored by its reward on one fixed validation batch; the best is the
 * result, and the supernet's batch norms are recalibrated for it (`calibrateFor`, as SPOS scores).
 * The same derivation runs at the end of each epoch for the progress report (`arch`, and
 * `extra.reward`, its reward). `alphas` in the result is `[]`: ENAS has none.
 * @module
 */
import { DataLoader } from '../data/loader.js';
import { noGrad, tidy } from '../engine/index.js';
import type { Architecture } from '../space/architecture.js';
import type { SearchSpace } from '../space/space.js';
import { Reinforce, reinforceFactory } from '../strategy/reinforce.js';
import { resolveOptions } from '../strategy/strategy.js';
import { type Batch, type OneShotData, type OneShotMethod, type OneShotOptions, type OneShotResult, correctOf, runOneShot, supernetLoss } from './search.js';
import { calibrateFor } from './spos.js';
import { type Supernet, SupernetError } from './supernet.js';

/** Options of {@link enasSearch}. */
export interface EnasOptions extends OneShotOptions {
  /** The controller's Adam learning rate (default 3.5e-3, ENAS's micro search). */
  controllerLr?: number;
  /** The controller LSTM's hidden size (default 64). */
  controllerHidden?: number;
  /** Weight of the entropy bonus (default 1e-4). */
  entropyWeight?: number;
  /** Decay of the moving-average baseline (default 0.99). */
  baselineDecay?: number;
  /** Rewards aggregated per controller update (default 10). */
  controllerBatch?: number;
  /** Controller samples compared when deriving (default 10). */
  deriveSamples?: number;
}

/** A controller sample and the reward the shared weights gave it. */
export interface EnasSample {
  arch: Architecture;
  text: string;
  /** Accuracy on the validation batch. */
  reward: number;
}

/** What {@link enasSearch} returns: the common result and the samples compared in the final derivation, best first. */
export interface EnasResult extends OneShotResult {
  derived: EnasSample[];
}

/** The controller of an ENAS search: Loom's REINFORCE strategy over the supernet's space, with ENAS's defaults. */
export function enasController(supernet: Supernet, o: EnasOptions = { epochs: 1 }): Reinforce {
  try {
    const options = resolveOptions('reinforce', reinforceFactory.options, {
      lr: o.controllerLr ?? 3.5e-3,
      hidden: o.controllerHidden ?? 64,
      entropyWeight: o.entropyWeight ?? 1e-4,
      baselineDecay: o.baselineDecay ?? 0.99,
      batch: o.controllerBatch ?? 10,
    });
    return new Reinforce(supernet.searchSpace as SearchSpace, o.seed ?? 0, options);
  } catch (e) {
    // The strategy's message names its own options; say which of ENAS's it was.
    const names: Record<string, string> = { lr: 'controllerLr', hidden: 'controllerHidden', entropyWeight: 'entropyWeight', baselineDecay: 'baselineDecay', batch: 'controllerBatch' };
    const m = /option '(\w+)' (.*)$/.exec((e as Error).message);
    throw new SupernetError(m ? `ENAS: ${names[m[1]] ?? m[1]} ${m[2]}` : `ENAS controller: ${(e as Error).message}`);
  }
}

/** One controller sample (asked, never told: only rewarded samples train the controller). */
function sample(controller: Reinforce): { id: number; arch: Architecture } {
  const [a] = controller.ask(1);
  return { id: a.id, arch: a.arch };
}

/** The accuracy of the shared weights on `batch` along `arch`'s path (no gradient; the supernet's training flag as it is). */
export function pathReward(supernet: Supernet, arch: Architecture, [x, y]: Batch): { reward: number; loss: number; correct: number } {
  supernet.setPath(arch);
  return tidy(() =>
    noGrad(() => {
      const { loss, logits } = supernetLoss(supernet, [x, y]);
      const correct = correctOf(logits, y);
      return { reward: correct / x.shape[0], loss: loss.item(), correct };
    }),
  );
}

/** The ENAS method for {@link runOneShot}, driving `controller`. */
export function enasMethod(controller: Reinforce): OneShotMethod {
  return {
    name: 'enas',
    order: 'weights-first',
    weightMode: (ctx) => ({ kind: 'path', choice: ctx.supernet.choiceOf(sample(controller).arch) }),
    archGradient(ctx, _train, val) {
      // The controller learns by REINFORCE, not through the alphas: they keep no gradient (Adam skips them).
      const s = sample(controller);
      const r = pathReward(ctx.supernet, s.arch, val);
      controller.tell(s.id, { value: r.reward });
      return { loss: r.loss, correct: r.correct };
    },
  };
}

/**
 * ENAS's derivation: `n` controller samples scored by their reward on `batch` (each distinct
 * architecture once); returns them best first (ties: the first sampled).
 */
export function enasDerive(supernet: Supernet, controller: Reinforce, batch: Batch, n: number): EnasSample[] {
  const mode = supernet.mode;
  const seen = new Map<string, EnasSample>();
  try {
    for (let i = 0; i < n; i++) {
      const { arch } = sample(controller);
      if (seen.has(arch.key)) continue;
      seen.set(arch.key, { arch, text: supernet.searchSpace.format(arch), reward: pathReward(supernet, arch, batch).reward });
    }
  } finally {
    supernet.setMode(mode);
  }
  return [...seen.values()].sort((a, b) => b.reward - a.reward);
}

/** Runs ENAS on a supernet (see the module comment). */
export async function enasSearch(supernet: Supernet, data: OneShotData, options: EnasOptions): Promise<EnasResult> {
  const n = options.deriveSamples ?? 10;
  if (!(Number.isSafeInteger(n) && n >= 1)) throw new SupernetError(`deriveSamples must be a positive integer, got ${options.deriveSamples}`);
  if (!data?.val) throw new SupernetError('ENAS needs data.val (the controller is rewarded on it)');
  const controller = enasController(supernet, options);
  // One fixed validation batch, drawn at random once (the first of a seeded epoch), for every derivation (ENAS: "a single minibatch").
  const derive = (): EnasSample[] => {
    const loader = new DataLoader([data.val.images, data.val.labels], { batchSize: options.batchSize ?? 64, seed: (options.seed ?? 0) + 7, device: options.device });
    for (const batch of loader) return enasDerive(supernet, controller, batch as unknown as Batch, n);
    throw new SupernetError('ENAS: the validation set is empty');
  };
  const user = options.onEpoch;
  const r = await runOneShot(supernet, data, enasMethod(controller), {
    ...options,
    onEpoch: (e) => {
      const [top] = derive();
      e.arch = top.text;
      e.opWeights = [];
      e.extra = { ...e.extra, reward: top.reward };
      return user?.(e);
    },
  });
  const derived = derive();
  // The rewards ran in training mode, so the running statistics are a mixture of paths: fit them to the result.
  calibrateFor(supernet, derived[0].arch, data, { batchSize: 128, seed: options.seed ?? 0, ...(options.device ? { device: options.device } : {}) });
  return { ...r, arch: derived[0].arch, text: derived[0].text, alphas: [], derived };
}
