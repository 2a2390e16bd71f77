/**
 * DARTS (Liu, Simonyan & Yang, "DARTS: Differentiable Architecture Search", ICLR 2019): the
 * continuous relaxation (each edge the softmax(alpha)-weighted sum of its ops) trained by
 * bilevel optimisation: the weights by SGD on the training half, the alphas by Adam (lr 3e-4,
 * betas (0.5, 0.999), weight decay 1e-3) on the validation half, alternating step by step (the
 * alphas first); then the discrete architecture is derived ({@link Supernet.derive}).
 *
 * - First order (`secondOrder: false`, the default; xi = 0): the alphas follow
 *   grad_alpha L_val(w, alpha).
 * - Second order: the alphas follow the gradient of the unrolled validation loss
 *   L_val(w', alpha), w' = w - xi * (mu * m + grad_w L_train(w, alpha) + wd * w) (one step of the
 *   weights' own SGD, momentum buffer m included, as DARTS's code unrolls it), which is
 *   grad_alpha L_val(w', alpha) - xi * grad2_{alpha,w} L_train(w, alpha) grad_w' L_val(w', alpha);
 *   the Hessian-vector product is the central finite difference
 *   (grad_alpha L_train(w+, alpha) - grad_alpha L_train(w-, alpha)) / (2 eps),
 *   w+- = w +- eps * grad_w' L_val(w', alpha), eps = 0.01 / ||grad_w' L_val(w', alpha)||.
 *   xi defaults to the weights' current learning rate, as in DARTS.
 *
 * **The known failure and a remedy.** DARTS on NAS-Bench-201 collapses to cells of skip
 * connections (the benchmark's paper reports 54.30% on CIFAR-10): parameter-free ops win the
 * softmax early because they help the supernet train. `remedy: 'darts-'` is DARTS- (Chu et al.,
 * "DARTS-: Robustly Stepping out of Performance Collapse Without Indicators", ICLR 2021): every
 * stride-1 edge gets an auxiliary skip connection `beta * x` outside the softmax, with beta
 * decayed linearly from `beta0` (default 1) to 0 over the search, so the skip op no longer has to
 * win the softmax to carry the gradient through the cell; the derivation ignores the auxiliary
 * skip. (Stride-2 edges of DARTS's reduction cells get none: an identity cannot halve a map.)
 * `remedy: 'pt'` is DARTS-PT (Wang et al., ICLR 2021, `darts-pt.ts`): the search runs as plain
 * DARTS, then the architecture is chosen edge by edge by how much the supernet's validation
 * accuracy drops when an op is masked, not by the argmax of alpha. On small Fashion-MNIST runs
 * DARTS- still ended on all-pooling cells (pooling, not skip, wins there); DARTS-PT does not.
 * @module
 */
import { autograd, dispose, noGrad, type Tensor } from '../engine/index.js';
import { type Batch, type OneShotData, type OneShotMethod, type OneShotOptions, type OneShotResult, type StepContext, correctOf, firstOrderArchGradient, runOneShot, supernetLoss } from './search.js';
import { type PerturbationOptions, perturbationSelect } from './darts-pt.js';
import { type ForwardMode, type Supernet, SupernetError } from './supernet.js';

/** Options of {@link dartsSearch}. */
export interface DartsOptions extends OneShotOptions {
  /** Second-order (unrolled) architecture gradient; default false (first order). */
  secondOrder?: boolean;
  /** xi of the unrolled step; default the weights' current learning rate. */
  unrolledLr?: number;
  /**
   * The remedy against the collapse to parameter-free ops: 'darts-' (an auxiliary skip with a
   * decaying beta, during the search), 'pt' (DARTS-PT: the architecture chosen after the search by
   * perturbation instead of the argmax of alpha, `darts-pt.ts`) or 'none' (default).
   */
  remedy?: 'none' | 'darts-' | 'pt';
  /** DARTS-'s starting beta, default 1. */
  beta0?: number;
  /** DARTS-PT's settings (remedy 'pt'); its tuning defaults to this search's batch size, momentum, weight decay, clipping and device. */
  pt?: PerturbationOptions;
}

/** DARTS-'s beta at step `step` of `steps`: linear from `beta0` to 0. */
export function dartsMinusBeta(step: number, steps: number, beta0 = 1): number {
  return beta0 * Math.max(0, 1 - step / Math.max(1, steps));
}

/** Options of {@link secondOrderArchGradient}. */
export interface UnrolledOptions {
  /** xi: the learning rate of the unrolled step. */
  xi: number;
  /** The weights' momentum and their momentum buffers (in `supernet.weights()` order; null entries are zero). */
  momentum?: number;
  momentumBuffers?: readonly (Tensor | null)[] | null;
  /** The weights' weight decay (part of the unrolled step). */
  weightDecay?: number;
  /** Forward mode of all the passes (default softmax). */
  mode?: ForwardMode;
  /**
   * The finite difference's step is `epsilon / ||grad_w' L_val||`; default 0.01, as DARTS. (On a
   * ReLU network a step that size can cross activation kinks, so the approximation is rough on
   * tiny networks; the error vanishes as the step shrinks.)
   */
  epsilon?: number;
}

/**
 * Sets each alpha's `.grad` to DARTS's second-order architecture gradient (see the module
 * comment) for a training and a validation batch, and leaves the weights as they were. Returns the
 * validation loss at the unrolled weights and its correct count. Call inside `tidy`.
 */
export function secondOrderArchGradient(s: Supernet, train: Batch, val: Batch, o: UnrolledOptions): { loss: number; correct: number } {
  const mode = o.mode ?? { kind: 'softmax' };
  s.setMode(mode);
  const W = s.weights();
  const A = s.archParameters();
  const zeroIfNull = (gs: (Tensor | null)[], like: readonly Tensor[]) => gs.map((g, i) => g ?? noGrad(() => like[i].mul(0)));
  const backup = noGrad(() => W.map((w) => w.clone()));
  try {
    // w' = w - xi * (mu * m + grad_w L_train + wd * w)
    const gTrain = zeroIfNull(autograd.grad(supernetLoss(s, train).loss, W, { allowUnused: true }), W);
    noGrad(() => {
      W.forEach((w, i) => {
        let d = gTrain[i].add(w, o.weightDecay ?? 0);
        const m = o.momentumBuffers?.[i];
        if (m && o.momentum) d = d.add(m, o.momentum);
        w.sub_(d.mul(o.xi));
      });
    });
    // grad_alpha and grad_w' of L_val(w', alpha)
    const { loss, logits } = supernetLoss(s, val);
    const lossValue = loss.item();
    const correct = correctOf(logits, val[1]);
    const g = zeroIfNull(autograd.grad(loss, [...A, ...W], { allowUnused: true }), [...A, ...W]);
    const dAlpha = g.slice(0, A.length);
    const dW = g.slice(A.length);
    const norm = Math.sqrt(dW.reduce((acc, t) => acc + t.square().sum().item(), 0));
    // A zero gradient of the weights (nothing to unroll along) leaves the first-order term.
    let hessian: Tensor[] | null = null;
    if (norm > 0) {
      const eps = (o.epsilon ?? 0.01) / norm;
      const alphaGradAt = (sign: number): (Tensor | null)[] => {
        noGrad(() =>
          W.forEach((w, i) => {
            w.copy_(backup[i]).add_(dW[i], sign * eps);
          }),
        );
        return autograd.grad(supernetLoss(s, train).loss, A, { allowUnused: true });
      };
      const plus = zeroIfNull(alphaGradAt(1), A);
      const minus = zeroIfNull(alphaGradAt(-1), A);
      hessian = plus.map((p, i) => p.sub(minus[i]).div(2 * eps));
    }
    A.forEach((a, i) => {
      a.grad = hessian ? dAlpha[i].sub(hessian[i].mul(o.xi)) : dAlpha[i];
    });
    return { loss: lossValue, correct };
  } finally {
    noGrad(() => {
      for (let i = 0; i < W.length; i++) W[i].copy_(backup[i]);
    });
    dispose(backup);
  }
}

/** The DARTS method for {@link runOneShot} (exported for tests and for composing variants). */
export function dartsMethod(o: DartsOptions = { epochs: 1 }): OneShotMethod {
  const remedy = o.remedy ?? 'none';
  if (remedy !== 'none' && remedy !== 'darts-' && remedy !== 'pt') throw new SupernetError(`unknown DARTS remedy '${String(remedy)}' (known: none, darts-, pt)`);
  const beta0 = o.beta0 ?? 1;
  if (!(beta0 >= 0) || !Number.isFinite(beta0)) throw new SupernetError(`beta0 must be a number >= 0, got ${o.beta0}`);
  if (o.unrolledLr !== undefined && !(o.unrolledLr > 0)) throw new SupernetError(`unrolledLr must be > 0, got ${o.unrolledLr}`);
  const mode = (ctx: StepContext): ForwardMode =>
    remedy === 'darts-' ? { kind: 'softmax', auxSkip: dartsMinusBeta(ctx.step, ctx.steps, beta0) } : { kind: 'softmax' };
  return {
    name: `darts${o.secondOrder ? '2' : ''}${remedy === 'darts-' ? '-' : remedy === 'pt' ? '-pt' : ''}`,
    order: 'arch-first',
    weightMode: mode,
    archGradient(ctx, train, val) {
      if (!o.secondOrder) return firstOrderArchGradient(ctx.supernet, val, mode(ctx));
      const momentum = ctx.options.momentum ?? 0.9;
      const state = momentum > 0 ? ctx.weightOpt.stateDict() : null;
      try {
        return secondOrderArchGradient(ctx.supernet, train, val, {
          xi: o.unrolledLr ?? ctx.weightOpt.lr,
          momentum,
          // The optimizer's first buffer list holds SGD's momentum buffers, in weights() order.
          momentumBuffers: state ? state.buffers[0] : null,
          weightDecay: ctx.options.weightDecay ?? 3e-4,
          mode: mode(ctx),
        });
      } finally {
        if (state) dispose(state.buffers);
      }
    },
    report: (ctx): Record<string, number> => (remedy === 'darts-' ? { beta: dartsMinusBeta(ctx.step, ctx.steps, beta0) } : {}),
  };
}

/** Share of a time budget that remedy 'pt' keeps for the perturbation-based selection. */
export const PT_BUDGET_SHARE = 0.3;

/**
 * Runs DARTS (see the module comment) on a supernet; returns the derived architecture, the history
 * and the time. With remedy 'pt' the architecture is then chosen by perturbation
 * ({@link perturbationSelect}; its decisions in `selection`, its time counted in `seconds`).
 */
export async function dartsSearch(supernet: Supernet, data: OneShotData, options: DartsOptions): Promise<OneShotResult> {
  const method = dartsMethod(options);
  const pt = options.remedy === 'pt';
  const budget = options.budgetSeconds;
  // With a time budget, DARTS-PT's selection gets its last PT_BUDGET_SHARE.
  const r = await runOneShot(supernet, data, method, pt && budget !== undefined ? { ...options, budgetSeconds: budget * (1 - PT_BUDGET_SHARE) } : options);
  if (!pt || options.signal?.aborted) return r;
  const { batchSize, momentum, weightDecay, gradClip, device, seed } = options;
  const defined = Object.fromEntries(Object.entries({ batchSize, momentum, weightDecay, gradClip, device }).filter(([, v]) => v !== undefined));
  const selection = await perturbationSelect(supernet, data, {
    seed,
    signal: options.signal,
    ...(budget !== undefined ? { budgetSeconds: Math.max(1e-3, budget - r.seconds) } : {}),
    ...options.pt,
    tune: { ...defined, ...options.pt?.tune },
  });
  return { ...r, arch: selection.arch, text: selection.text, seconds: r.seconds + selection.seconds, stopped: r.stopped || selection.stopped, alphas: supernet.alphaValues(), selection: selection.decisions };
}
