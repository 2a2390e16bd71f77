/**
 * Functional autograd, like `torch.autograd.grad`.
 * @module
 */
import { N } from './native.js';
import { type Tensor, wrapId } from './tensor.js';

export interface GradOptions {
  /** Gradients flowing into each output (needed for non-scalar outputs). */
  gradOutputs?: (Tensor | null)[];
  /** Keep the graph for another backward (defaults to `createGraph`). */
  retainGraph?: boolean;
  /** Record the gradient computation itself, so the result can be differentiated again. */
  createGraph?: boolean;
  /** Return null for inputs the outputs do not depend on, instead of throwing. */
  allowUnused?: boolean;
}

/**
 * Gradients of `outputs` with respect to `inputs`, returned rather than accumulated into `.grad`.
 * With `createGraph: true` the results carry their own graph (gradients of gradients).
 */
export function grad(outputs: Tensor | Tensor[], inputs: Tensor | Tensor[], opts: GradOptions = {}): (Tensor | null)[] {
  const outs = Array.isArray(outputs) ? outputs : [outputs];
  const ins = Array.isArray(inputs) ? inputs : [inputs];
  const gouts = opts.gradOutputs ? opts.gradOutputs.map((g) => (g ? g._id : null)) : null;
  const ids: (number | null)[] = N.gradOf(
    outs.map((t) => t._id),
    ins.map((t) => t._id),
    gouts,
    opts.retainGraph ?? null,
    !!opts.createGraph,
    !!opts.allowUnused,
  );
  return ids.map((i) => wrapId(i));
}
