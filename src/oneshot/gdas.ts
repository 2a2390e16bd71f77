/**
 * GDAS (Dong & Yang, "Searching for A Robust Neural Architecture in Four GPU Hours", CVPR 2019):
 * on every edge, one op sampled by the Gumbel-softmax of the alphas, forwarded as a hard one-hot
 * with straight-through gradients, so only the sampled op is computed (and trained) per edge and
 * step. The temperature is annealed linearly from `tauMax` (10) to `tauMin` (0.1) over the epochs.
 * Each step first trains the weights on a training batch, then the alphas (Adam, as DARTS) on a
 * validation batch, both through fresh samples. The architecture is derived from the alphas as
 * in DARTS ({@link Supernet.derive}).
 * @module
 */
import { type OneShotData, type OneShotMethod, type OneShotOptions, type OneShotResult, type StepContext, firstOrderArchGradient, runOneShot } from './search.js';
import { type ForwardMode, type Supernet, SupernetError } from './supernet.js';

/** Options of {@link gdasSearch}. */
export interface GdasOptions extends OneShotOptions {
  /** Temperature at the first epoch, default 10. */
  tauMax?: number;
  /** Temperature at the last epoch, default 0.1. */
  tauMin?: number;
}

/** GDAS's temperature in epoch `epoch` (1-based) of `epochs`: linear from `tauMax` to `tauMin`. */
export function gdasTau(epoch: number, epochs: number, tauMax = 10, tauMin = 0.1): number {
  if (epochs <= 1) return tauMax;
  const f = Math.min(1, Math.max(0, (epoch - 1) / (epochs - 1)));
  return f === 1 ? tauMin : tauMax - (tauMax - tauMin) * f;
}

/** The GDAS method for {@link runOneShot}. */
export function gdasMethod(o: Partial<GdasOptions> = {}): OneShotMethod {
  const tauMax = o.tauMax ?? 10;
  const tauMin = o.tauMin ?? 0.1;
  if (!(tauMax > 0) || !(tauMin > 0) || tauMin > tauMax) throw new SupernetError(`GDAS temperatures must satisfy 0 < tauMin <= tauMax, got tauMin ${tauMin}, tauMax ${tauMax}`);
  const mode = (ctx: StepContext): ForwardMode => ({ kind: 'gumbel', tau: gdasTau(ctx.epoch, ctx.epochs, tauMax, tauMin) });
  return {
    name: 'gdas',
    order: 'weights-first',
    weightMode: mode,
    archGradient: (ctx, _train, val) => firstOrderArchGradient(ctx.supernet, val, mode(ctx)),
    report: (ctx) => ({ tau: gdasTau(ctx.epoch, ctx.epochs, tauMax, tauMin) }),
  };
}

/** Runs GDAS on a supernet; returns the derived architecture, the history and the time. */
export async function gdasSearch(supernet: Supernet, data: OneShotData, options: GdasOptions): Promise<OneShotResult> {
  return await runOneShot(supernet, data, gdasMethod(options), options);
}
