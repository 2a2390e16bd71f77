/**
 * Optimizers, like `torch.optim`. Each step runs natively in one call (the same update rules
 * as torch.optim's SGD, Adam and AdamW), so a step costs one binding crossing, not one per tensor op.
 * @module
 */
import { N } from './native.js';
import { type Tensor, wrapId } from './tensor.js';

/** Anything that yields parameters: an array of tensors or a module's `parameters()`. */
export type Params = Iterable<Tensor>;

export interface SGDOptions {
  lr: number;
  momentum?: number;
  dampening?: number;
  weightDecay?: number;
  nesterov?: boolean;
  maximize?: boolean;
}
export interface AdamOptions {
  lr?: number;
  betas?: [number, number];
  eps?: number;
  weightDecay?: number;
  amsgrad?: boolean;
  maximize?: boolean;
}

/** Saved optimizer state: per-parameter step counts and buffers (tensors, null where unset). */
export interface OptimizerState {
  kind: string;
  lr: number;
  steps: number[];
  buffers: (Tensor | null)[][];
}

const finalizer = new FinalizationRegistry<number>((h) => N.optimDispose(h));

/** Base class of the built-in optimizers. */
export abstract class Optimizer {
  /** Learning rate used by the next {@link step}; schedules set it. */
  lr: number;
  /** The learning rate given at construction (schedules scale from it). */
  readonly initialLr: number;
  readonly params: readonly Tensor[];
  private handle: number;

  protected constructor(kind: string, params: Params, lr: number, native: Record<string, unknown>) {
    this.params = [...params];
    if (!this.params.length) throw new Error(`${kind}: got an empty parameter list`);
    if (!(lr >= 0) || !Number.isFinite(lr)) throw new Error(`${kind}: learning rate must be a finite number >= 0, got ${lr}`);
    this.lr = lr;
    this.initialLr = lr;
    this.handle = N.optimCreate(kind, this.params.map((p) => p._id), native);
    finalizer.register(this, this.handle, this);
  }

  /** Applies one update from the parameters' current gradients (parameters without a gradient are skipped). */
  step(): void {
    N.optimStep(this.live(), this.lr);
  }
  /** Clears gradients; by default sets them to none, as PyTorch 2 does. */
  zeroGrad(setToNone = true): void {
    N.optimZeroGrad(this.live(), setToNone);
  }
  /** A copy of the optimizer's state; dispose its tensors when done (e.g. with `dispose(state)`). */
  stateDict(): OptimizerState {
    const s = N.optimState(this.live());
    return { kind: this.constructor.name, lr: this.lr, steps: s.steps, buffers: s.buffers.map((b: (number | null)[]) => b.map((i) => wrapId(i))) };
  }
  /** Restores state saved by {@link stateDict} (buffers are copied). */
  loadStateDict(state: OptimizerState): void {
    if (state.kind !== this.constructor.name) throw new Error(`cannot load ${state.kind} state into ${this.constructor.name}`);
    N.optimLoadState(
      this.live(),
      state.steps,
      state.buffers.map((b) => b.map((t) => (t ? t._id : null))),
    );
    this.lr = state.lr;
  }
  /** Frees the optimizer's native state. */
  dispose(): void {
    if (this.handle >= 0) {
      N.optimDispose(this.handle);
      finalizer.unregister(this);
      this.handle = -1;
    }
  }
  private live(): number {
    if (this.handle < 0) throw new Error('optimizer used after dispose()');
    return this.handle;
  }
}

/** Stochastic gradient descent with optional momentum, Nesterov momentum and weight decay. */
export class SGD extends Optimizer {
  constructor(params: Params, o: SGDOptions) {
    super('sgd', params, o.lr, {
      momentum: o.momentum ?? 0,
      dampening: o.dampening ?? 0,
      weightDecay: o.weightDecay ?? 0,
      nesterov: !!o.nesterov,
      maximize: !!o.maximize,
    });
  }
}

function adamNative(o: AdamOptions, defaultWd: number): Record<string, unknown> {
  const [b1, b2] = o.betas ?? [0.9, 0.999];
  return { beta1: b1, beta2: b2, eps: o.eps ?? 1e-8, weightDecay: o.weightDecay ?? defaultWd, amsgrad: !!o.amsgrad, maximize: !!o.maximize };
}

/** Adam (Kingma & Ba); `weightDecay` adds an L2 term to the gradient. */
export class Adam extends Optimizer {
  constructor(params: Params, o: AdamOptions = {}) {
    super('adam', params, o.lr ?? 1e-3, adamNative(o, 0));
  }
}

/** AdamW (Loshchilov & Hutter): decoupled weight decay, default 0.01. */
export class AdamW extends Optimizer {
  constructor(params: Params, o: AdamOptions = {}) {
    super('adamw', params, o.lr ?? 1e-3, adamNative(o, 1e-2));
  }
}

/**
 * Rescales gradients in place so that their joint norm is at most `maxNorm`
 * (like `torch.nn.utils.clip_grad_norm_`). Returns the norm before clipping.
 */
export function clipGradNorm(params: Params, maxNorm: number, normType = 2): number {
  return N.clipGradNorm([...params].map((p) => p._id), maxNorm, normType);
}
