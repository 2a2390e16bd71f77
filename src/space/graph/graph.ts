/**
 * The typed network graph: what an architecture compiles to before it becomes an engine module.
 *
 * A {@link NetGraph} is a list of nodes in topological order. Node 0 is the input; every other node
 * applies one op of the registry (`graph/ops.ts`) to earlier nodes and has a known output shape
 * (`[C, H, W]` for feature maps, `[F]` for vectors, per sample). Because a node can only read
 * earlier nodes, a graph cannot have a cycle. Node names are dotted module paths (`cells.3._ops.1`):
 * the compiled module registers each node's parameters under its name, so state dicts read like
 * those of the hand-written PyTorch models the spaces follow.
 *
 * The graph is pure data (no engine): measures (params, FLOPs, activation memory), drawings and
 * the compiler all read it. Build one with a {@link GraphBuilder}, which checks shapes as it goes
 * and throws an {@link ArchitectureError} naming the node and the problem.
 * @module
 */
import { ArchitectureError } from '../errors.js';
import { type OpAttrs, type Shape, getOp } from './ops.js';

/** One node of a network graph. */
export interface GraphNode {
  /** Index in {@link NetGraph.nodes}. */
  readonly id: number;
  /** Unique dotted module path (`stem.0`, `cells.3._ops.1`). */
  readonly name: string;
  /** Registry op name (`input` for node 0). */
  readonly op: string;
  readonly attrs: Readonly<OpAttrs>;
  /** Ids of the nodes it reads, all smaller than its own. */
  readonly inputs: readonly number[];
  /** Output shape per sample. */
  readonly shape: Shape;
  /** The group it belongs to, for drawings (e.g. `cell 3`, `stage 2`); empty for none. */
  readonly group: string;
}

/** A typed network graph (see the module comment). */
export interface NetGraph {
  /** Input shape per sample (`[C, H, W]`). */
  readonly input: Shape;
  readonly nodes: readonly GraphNode[];
  /** Named outputs: `logits` always; `aux` for an auxiliary head. */
  readonly outputs: Readonly<Record<string, number>>;
}

const NAME_RE = /^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z0-9_]+)*$/;

/** Builds a {@link NetGraph} node by node, checking shapes. */
export class GraphBuilder {
  private readonly nodes: GraphNode[] = [];
  private readonly names = new Set<string>();
  private readonly outs: Record<string, number> = {};
  private prefix = '';
  private groupName = '';
  /** Where errors say they come from (e.g. `darts`). */
  private readonly where: string;

  /** `input`: the per-sample input shape. */
  constructor(input: Shape, where = 'network') {
    this.where = where;
    if (!Array.isArray(input) || input.length === 0 || !input.every((d) => Number.isSafeInteger(d) && d > 0)) {
      throw new ArchitectureError(`${where}: input shape must be positive integers, got ${JSON.stringify(input)}`);
    }
    this.nodes.push(Object.freeze({ id: 0, name: 'input', op: 'input', attrs: Object.freeze({}), inputs: Object.freeze([]), shape: Object.freeze([...input]), group: '' }));
    this.names.add('input');
  }

  /** The input node's id (0). */
  get input(): number {
    return 0;
  }

  /** Output shape of node `id`. */
  shape(id: number): Shape {
    return this.node(id).shape;
  }

  /** Channels (first dimension) of node `id`. */
  channels(id: number): number {
    return this.node(id).shape[0];
  }

  private node(id: number): GraphNode {
    const n = this.nodes[id];
    if (!n) throw new Error(`${this.where}: no node ${id} in the graph`);
    return n;
  }

  /**
   * Runs `fn` with names prefixed by `prefix.` and nodes put in drawing group `group` (when given).
   * Scopes nest. Returns what `fn` returns.
   */
  scope<T>(prefix: string, fn: () => T, group?: string): T {
    const [p, g] = [this.prefix, this.groupName];
    this.prefix = p ? `${p}.${prefix}` : prefix;
    if (group !== undefined) this.groupName = group;
    try {
      return fn();
    } finally {
      [this.prefix, this.groupName] = [p, g];
    }
  }

  /**
   * Adds a node applying `op` to `inputs` and returns its id. `name` (relative to the current
   * scope) names its module; without one, a unique name is made from the op.
   */
  add(op: string, inputs: number | readonly number[], attrs: OpAttrs = {}, name?: string): number {
    const spec = getOp(op);
    const ins = typeof inputs === 'number' ? [inputs] : [...inputs];
    const id = this.nodes.length;
    for (const i of ins) if (!Number.isInteger(i) || i < 0 || i >= id) throw new ArchitectureError(`${this.where}: op '${op}' reads node ${i}, which does not exist yet`);
    const [lo, hi] = spec.arity;
    if (ins.length < lo || ins.length > hi) {
      throw new ArchitectureError(`${this.where}: op '${op}' takes ${lo === hi ? lo : `${lo} to ${hi === Infinity ? 'any number of' : hi}`} input(s), got ${ins.length}`);
    }
    let full = name === undefined ? '' : this.prefix ? `${this.prefix}.${name}` : name;
    if (!full) {
      let k = 0;
      const base = this.prefix ? `${this.prefix}.${op}` : op;
      do full = `${base}_${k++}`;
      while (this.names.has(full));
    }
    if (!NAME_RE.test(full)) throw new Error(`${this.where}: bad node name '${full}'`);
    if (this.names.has(full)) throw new Error(`${this.where}: node name '${full}' is used twice`);
    const inShapes = ins.map((i) => this.nodes[i].shape);
    const a = Object.freeze({ ...attrs });
    let shape: Shape;
    try {
      shape = spec.shape(a, inShapes);
    } catch (e) {
      const from = ins.map((i) => `${this.nodes[i].name} ${this.nodes[i].shape.join('x')}`).join(', ');
      throw new ArchitectureError(`${this.where}: ${full} (${op}) on ${from}: ${(e as Error).message}`);
    }
    if (!shape.every((d) => Number.isSafeInteger(d) && d > 0)) {
      throw new ArchitectureError(
        `${this.where}: ${full} (${op}) would output ${shape.join('x')}: the input ${this.nodes[0].shape.join('x')} is too small for this network's reductions`,
      );
    }
    this.names.add(full);
    this.nodes.push(Object.freeze({ id, name: full, op, attrs: a, inputs: Object.freeze(ins), shape: Object.freeze([...shape]), group: this.groupName }));
    return id;
  }

  /** Adds a chain of single-input ops, each reading the previous one; returns the last id. */
  chain(from: number, steps: readonly [op: string, attrs?: OpAttrs, name?: string][]): number {
    let x = from;
    for (const [op, attrs, name] of steps) x = this.add(op, x, attrs ?? {}, name);
    return x;
  }

  /** Names node `id` as output `name` (`logits`, `aux`). */
  output(name: string, id: number): this {
    this.node(id);
    this.outs[name] = id;
    return this;
  }

  /** The finished, frozen graph (needs a `logits` output). */
  build(): NetGraph {
    if (this.outs.logits === undefined) throw new Error(`${this.where}: the graph has no 'logits' output`);
    return Object.freeze({ input: this.nodes[0].shape, nodes: Object.freeze([...this.nodes]), outputs: Object.freeze({ ...this.outs }) });
  }
}

/** Ids of the nodes that output `names` depend on (including themselves and the input), ascending. */
export function neededNodes(g: NetGraph, names: readonly string[] = ['logits']): number[] {
  const need = new Uint8Array(g.nodes.length);
  const stack: number[] = [];
  for (const n of names) {
    const id = g.outputs[n];
    if (id === undefined) throw new Error(`network graph has no output '${n}' (outputs: ${Object.keys(g.outputs).join(', ')})`);
    stack.push(id);
  }
  while (stack.length) {
    const id = stack.pop() as number;
    if (need[id]) continue;
    need[id] = 1;
    for (const i of g.nodes[id].inputs) stack.push(i);
  }
  const out: number[] = [];
  need.forEach((v, i) => {
    if (v) out.push(i);
  });
  return out;
}
