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
 * **Training**, on the shared skeleton (`search.ts`), in ENAS's two alternating phases
 * (`schedule: 'phases'`, the default): each epoch first trains the shared weights for a pass over
 * the training data, every batch through the path of a fresh controller sample (SGD with momentum,
 * cosine schedule, as every method here); then the controller is trained for `controllerSteps`
 * updates of `controllerBatch` samples, each sample rewarded with the accuracy of the shared
 * weights on a fresh validation batch (no gradient; batch norms use the batch's statistics, as
 * ENAS computes its rewards in training mode). By default there are about as many controller
 * samples as weight steps per epoch, as in ENAS's micro search (30 updates of 10 samples for
 * about 280 weight steps on CIFAR-10). `schedule: 'alternate'` instead rewards one controller
 * sample after every weight step (the skeleton's architecture step), so the controller moves
 * from the first epoch on. The epoch's `valLoss` and `valAccuracy` are those of the rewarded
 * samples; with phases, its `seconds` count the weights' phase, `extra.controllerSeconds` the
 * controller's.
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
  /**
   * `phases` (default, as ENAS): each epoch trains the weights on a pass over the training data,
   * then the controller for `controllerSteps` updates; `alternate`: one weight step and one
   * controller sample per step, through the skeleton's architecture step.
   */
  schedule?: 'phases' | 'alternate';
  /** `phases`: controller updates after each epoch (default: the epoch's training batches / `controllerBatch`, rounded up: about one sample per weight step, as ENAS). */
  controllerSteps?: number;
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
  /** Rewards the controller was trained on, in all. */
  controllerSamples: number;
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

/** One controller sample rewarded on `batch` and told to the controller. */
function rewardOne(supernet: Supernet, controller: Reinforce, batch: Batch): { loss: number; correct: number } {
  const s = sample(controller);
  const r = pathReward(supernet, s.arch, batch);
  controller.tell(s.id, { value: r.reward });
  return { loss: r.loss, correct: r.correct };
}

/**
 * The ENAS method for {@link runOneShot}, driving `controller`: weight steps on controller samples;
 * with `alternate`, also a controller sample rewarded on each step's validation batch (through
 * the skeleton's architecture step). `onReward` counts the rewarded samples.
 */
export function enasMethod(controller: Reinforce, schedule: 'phases' | 'alternate' = 'phases', onReward?: () => void): OneShotMethod {
  const method: OneShotMethod = {
    name: 'enas',
    order: 'weights-first',
    weightMode: (ctx) => ({ kind: 'path', choice: ctx.supernet.choiceOf(sample(controller).arch) }),
  };
  if (schedule === 'alternate') {
    // The controller learns by REINFORCE, not through the alphas: they keep no gradient (Adam skips them).
    method.archGradient = (ctx, _train, val) => {
      onReward?.();
      return rewardOne(ctx.supernet, controller, val);
    };
  }
  return method;
}

/** Batches of `loader`, epoch after epoch, until the consumer stops (nothing if it is empty). */
function* cycle(loader: DataLoader): Generator<Batch> {
  while (true) {
    let any = false;
    for (const b of loader) {
      any = true;
      yield b as unknown as Batch;
    }
    if (!any) return;
  }
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
  const t0 = performance.now();
  const n = options.deriveSamples ?? 10;
  if (!(Number.isSafeInteger(n) && n >= 1)) throw new SupernetError(`deriveSamples must be a positive integer, got ${options.deriveSamples}`);
  const schedule = options.schedule ?? 'phases';
  if (schedule !== 'phases' && schedule !== 'alternate') throw new SupernetError(`ENAS schedule must be 'phases' or 'alternate', got '${String(schedule)}'`);
  const cs = options.controllerSteps;
  if (cs !== undefined && !(Number.isSafeInteger(cs) && cs >= 1)) throw new SupernetError(`controllerSteps must be a positive integer, got ${cs}`);
  if (!data?.train || !data.val) throw new SupernetError('ENAS needs data.train (the shared weights) and data.val (the controller is rewarded on it)');
  const controller = enasController(supernet, options);
  const batchSize = options.batchSize ?? 64;
  const seed = options.seed ?? 0;
  const device = options.device ? { device: options.device } : {};
  let rewarded = 0;
  let cut = false;
  // One fixed validation batch, drawn at random once (the first of a seeded epoch), for every derivation (ENAS: "a single minibatch").
  const derive = (): EnasSample[] => {
    const loader = new DataLoader([data.val.images, data.val.labels], { batchSize, seed: seed + 7, ...device });
    for (const batch of loader) return enasDerive(supernet, controller, batch as unknown as Batch, n);
    throw new SupernetError('ENAS: the validation set is empty');
  };
  const over = () => !!options.signal?.aborted || (options.budgetSeconds !== undefined && (performance.now() - t0) / 1000 > options.budgetSeconds);
  // ENAS's second phase: controller updates, each on `controllerBatch` samples rewarded on fresh validation batches.
  const valLoader = new DataLoader([data.val.images, data.val.labels], { batchSize, seed: seed + 11, ...device });
  const updates = cs ?? Math.ceil(Math.ceil(data.train.images.shape[0] / batchSize) / (options.controllerBatch ?? 10));
  const controllerPhase = (): { loss: number; accuracy: number; samples: number } => {
    const want = updates * (options.controllerBatch ?? 10);
    let [loss, correct, seen, done] = [0, 0, 0, 0];
    for (const batch of cycle(valLoader)) {
      if (done >= want) break;
      if (over()) {
        cut = true;
        break;
      }
      const r = rewardOne(supernet, controller, batch);
      rewarded++;
      done++;
      loss += r.loss * batch[0].shape[0];
      correct += r.correct;
      seen += batch[0].shape[0];
    }
    return { loss: loss / Math.max(1, seen), accuracy: correct / Math.max(1, seen), samples: done };
  };
  const user = options.onEpoch;
  const r = await runOneShot(
    supernet,
    data,
    enasMethod(controller, schedule, () => {
      rewarded++;
    }),
    {
      ...options,
      onEpoch: (e) => {
        if (schedule === 'phases') {
          const tc = performance.now();
          const p = controllerPhase();
          if (p.samples > 0) {
            e.valLoss = p.loss;
            e.valAccuracy = p.accuracy;
          }
          e.extra = { ...e.extra, controllerSeconds: (performance.now() - tc) / 1000 };
        }
        const [top] = derive();
        e.arch = top.text;
        e.opWeights = [];
        e.extra = { ...e.extra, reward: top.reward };
        return user?.(e);
      },
    },
  );
  const derived = derive();
  // The rewards ran in training mode, so the running statistics are a mixture of paths: fit them to the result.
  calibrateFor(supernet, derived[0].arch, data, { batchSize: 128, seed, ...device });
  return { ...r, arch: derived[0].arch, text: derived[0].text, alphas: [], derived, controllerSamples: rewarded, stopped: r.stopped || cut };
}
