/**
 * Measures of a network graph, by formula from the op registry: parameters, multiply-adds, and
 * activation memory (what training keeps for the backward pass, and the peak of an inference
 * pass that frees each value after its last reader, as the compiled module does).
 * @module
 */
import { type NetGraph, neededNodes } from './graph.js';
import { getOp, numel } from './ops.js';

/** What {@link measureGraph} reports. Memory figures are per sample, in bytes of float32. */
export interface GraphMeasures {
  /** Parameters of the whole graph (every output's nodes). */
  params: number;
  /** Parameters of the nodes the `logits` output needs (an auxiliary head excluded). */
  mainParams: number;
  /** Multiply-adds of one forward pass to `logits`. */
  flops: number;
  /** Activations kept for backward in one training step to `logits`, per sample. */
  trainActivationBytes: number;
  /** Peak of live activations during an inference pass to `logits`, per sample. */
  inferencePeakBytes: number;
}

const F32 = 4;

/** Measures a graph (see {@link GraphMeasures}). */
export function measureGraph(g: NetGraph): GraphMeasures {
  const main = neededNodes(g, ['logits']);
  const inMain = new Uint8Array(g.nodes.length);
  for (const i of main) inMain[i] = 1;
  let params = 0;
  let mainParams = 0;
  let flops = 0;
  let saved = 0;
  for (const n of g.nodes) {
    if (n.id === 0) continue;
    const spec = getOp(n.op);
    const ins = n.inputs.map((i) => g.nodes[i].shape);
    const p = spec.params(n.attrs, ins, n.shape);
    params += p;
    if (!inMain[n.id]) continue;
    mainParams += p;
    flops += spec.flops(n.attrs, ins, n.shape);
    saved += spec.saved ? spec.saved(n.attrs, ins, n.shape) : numel(n.shape);
  }
  // Inference: walk the main nodes in order, freeing each value after its last reader. Nodes
  // that pass their input on (identity, a one-input sum) share their root's memory.
  const aliases = (id: number) => {
    const n = g.nodes[id];
    return n.op === 'identity' || (n.op === 'add' && n.inputs.length === 1);
  };
  const root = new Int32Array(g.nodes.length);
  for (const id of main) root[id] = id !== 0 && aliases(id) ? root[g.nodes[id].inputs[0]] : id;
  const lastUse = new Map<number, number>();
  for (const id of main) for (const i of g.nodes[id].inputs) lastUse.set(root[i], id);
  for (const o of Object.values(g.outputs)) lastUse.set(root[o], Number.POSITIVE_INFINITY);
  let live = numel(g.input);
  let peak = live;
  for (const id of main) {
    if (id === 0) continue;
    if (root[id] === id) live += numel(g.nodes[id].shape);
    peak = Math.max(peak, live);
    const dead = new Set<number>();
    for (const i of g.nodes[id].inputs) if (root[i] !== 0 && lastUse.get(root[i]) === id) dead.add(root[i]);
    for (const r of dead) live -= numel(g.nodes[r].shape);
  }
  return { params, mainParams, flops, trainActivationBytes: saved * F32, inferencePeakBytes: peak * F32 };
}
