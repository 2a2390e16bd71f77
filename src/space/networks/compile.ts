/**
 * The compiler from a typed network graph (`graph/graph.ts`) to an engine module: each node's op
 * is built through the op registry, registered under the node's dotted name (so parameter names
 * follow the graph), and run in the graph's order. Intermediate tensors are freed as soon as
 * their last reader has run, so a forward pass holds only what autograd keeps.
 * @module
 */
import * as engine from '../../engine/index.js';
import { type Tensor, nn } from '../../engine/index.js';
import { type NetGraph, neededNodes } from '../graph/graph.js';
import { type BuildLib, type BuiltOp, getOp } from '../graph/ops.js';
import * as blocks from './blocks.js';

const LIB: BuildLib = { engine, blocks };

/** A plain container for the modules under a name prefix. */
class Namespace extends nn.Module {}

/** Runs a plan: the nodes to compute, and after which step each value can be freed. */
interface Plan {
  order: number[];
  /** For each step, the node ids whose values are dead after it. */
  free: number[][];
}

/**
 * The node values of one forward pass over a graph, each freed when released by the last node that
 * needs it. Identity-like ops pass their input tensor on, so one tensor can be several nodes'
 * value: it is disposed of when its last holder is released. The input (node 0) is never disposed of.
 */
export class NodeValues {
  private readonly vals: (Tensor | undefined)[];
  private readonly holders: Map<Tensor, number>;
  constructor(
    nodes: number,
    private readonly input: Tensor,
  ) {
    this.vals = new Array(nodes);
    this.vals[0] = input;
    this.holders = new Map([[input, 1]]);
  }
  /** Node `id`'s value (it must be set and not yet released). */
  get(id: number): Tensor {
    return this.vals[id] as Tensor;
  }
  set(id: number, t: Tensor): void {
    this.vals[id] = t;
    this.holders.set(t, (this.holders.get(t) ?? 0) + 1);
  }
  release(id: number): void {
    const t = this.vals[id];
    this.vals[id] = undefined;
    if (!t) return;
    const n = (this.holders.get(t) ?? 1) - 1;
    if (n > 0) this.holders.set(t, n);
    else {
      this.holders.delete(t);
      if (t !== this.input) t.dispose();
    }
  }
  /** Releases every value still held (after an error). */
  releaseAll(): void {
    for (let i = 1; i < this.vals.length; i++) if (this.vals[i]) this.release(i);
  }
}

/** The engine module of a network graph. `call(x)` returns the `logits` output. */
export class GraphNetwork extends nn.Module {
  /** The graph it was compiled from. */
  readonly graph: NetGraph;
  private readonly ops: (BuiltOp | null)[];
  private readonly plans = new Map<string, Plan>();

  constructor(graph: NetGraph) {
    super();
    this.graph = graph;
    this.ops = graph.nodes.map((n) => {
      if (n.id === 0) return null;
      const built = getOp(n.op).build(
        n.attrs,
        n.inputs.map((i) => graph.nodes[i].shape),
        n.shape,
        LIB,
      );
      if (built instanceof nn.Module) this.place(n.name, built);
      return built;
    });
  }

  /** Registers `m` at a dotted path, making containers on the way. */
  private place(path: string, m: nn.Module): void {
    const parts = path.split('.');
    let at: nn.Module = this;
    for (const p of parts.slice(0, -1)) {
      const child = (at as unknown as Record<string, unknown>)[p];
      if (child instanceof nn.Module) at = child;
      else if (child === undefined) at = at.registerModule(p, new Namespace());
      else throw new Error(`network graph: cannot place a module at '${path}': '${p}' is taken`);
    }
    const last = parts[parts.length - 1];
    if ((at as unknown as Record<string, unknown>)[last] !== undefined) throw new Error(`network graph: two modules named '${path}'`);
    at.registerModule(last, m);
  }

  private plan(outputs: readonly string[]): Plan {
    const key = outputs.join(',');
    let p = this.plans.get(key);
    if (p) return p;
    const order = neededNodes(this.graph, outputs).filter((i) => i !== 0);
    const keep = new Set(outputs.map((o) => this.graph.outputs[o]));
    const lastUse = new Map<number, number>();
    order.forEach((id, step) => {
      for (const i of this.graph.nodes[id].inputs) lastUse.set(i, step);
    });
    const free: number[][] = order.map(() => []);
    for (const [id, step] of lastUse) if (id !== 0 && !keep.has(id)) free[step].push(id);
    p = { order, free };
    this.plans.set(key, p);
    return p;
  }

  /** The named outputs (e.g. `['logits', 'aux']`) for input `x`. */
  forwardOutputs(x: Tensor, outputs: readonly string[] = ['logits']): Record<string, Tensor> {
    const { order, free } = this.plan(outputs);
    const vals = new NodeValues(this.graph.nodes.length, x);
    try {
      order.forEach((id, step) => {
        const node = this.graph.nodes[id];
        const xs = node.inputs.map((i) => vals.get(i));
        const op = this.ops[id] as BuiltOp;
        vals.set(id, op instanceof nn.Module ? (op.call(...xs) as Tensor) : op(xs));
        for (const d of free[step]) vals.release(d);
      });
    } catch (e) {
      vals.releaseAll();
      throw e;
    }
    const out: Record<string, Tensor> = {};
    for (const o of outputs) out[o] = vals.get(this.graph.outputs[o]);
    return out;
  }

  /** Logits, and the auxiliary logits when the graph has an `aux` output and the network is training (else null). */
  forwardWithAux(x: Tensor): { logits: Tensor; aux: Tensor | null } {
    if (this.training && this.graph.outputs.aux !== undefined) {
      const r = this.forwardOutputs(x, ['logits', 'aux']);
      return { logits: r.logits, aux: r.aux };
    }
    return { logits: this.forwardOutputs(x).logits, aux: null };
  }

  override forward(x: Tensor): Tensor {
    return this.forwardOutputs(x).logits;
  }

  /** Parameters outside the `aux` output's own nodes (what papers report). */
  numMainParameters(): number {
    const main = new Set(neededNodes(this.graph, ['logits']));
    let n = 0;
    for (const [name, p] of this.namedParameters()) {
      const node = this.graph.nodes.find((nd) => name.startsWith(`${nd.name}.`));
      if (!node || main.has(node.id)) n += p.numel();
    }
    return n;
  }
}

/** Compiles a network graph to an engine module. */
export function compileGraph(graph: NetGraph): GraphNetwork {
  return new GraphNetwork(graph);
}
