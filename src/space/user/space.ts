/**
 * `UserSpace`: a search space defined by a user's template (`user/spec.ts`), written as JSON (read
 * with {@link loadSpaceFile}) or with the TypeScript builder (`user/builder.ts`); both give the same
 * spec object, hence the same decisions and the same architectures for a seed.
 *
 * **Decisions.** Every label becomes one decision: a value choice a categorical decision over its
 * values, a layer choice a categorical decision over its candidates' names, an input choice an
 * input decision whose values are indices into its candidate list (`[0, 2]` reads the first and
 * third candidate), a repeat a repeat decision. A label at the top level names its decision
 * directly; inside a cell it is prefixed by the cell's instance path (`stage.0.op` for label `op`
 * in the first copy of repeat node `stage`; `conv.res.op` inside cell candidate `res` of layer
 * choice `conv`), so each instance decides on its own. Instances marked `share` use the cell's
 * name instead (`block.op`): all sharing instances of one cell in one scope decide together.
 * Labels listed in the top-level `choices` are global: the same decision everywhere. A label used
 * twice in one scope is one decision (as in NNI) and must describe the same choice. A value choice
 * used without `values` refers to the innermost instance that has the label: the cell itself, then
 * the cells around it, then the top level (so the blocks of a stage can follow the stage's width).
 *
 * The order of decisions is fixed by the spec: the global `choices` as declared, then a
 * depth-first walk of the nodes in order; per node its input choice, its repeat, its layer choice,
 * then the value choices of its op's attributes (sorted by attribute name), candidate by candidate,
 * then the decisions of the cells it uses (a repeat's copies up to its largest count, in order).
 *
 * **Constraint.** `fits`: the template instantiates with the chosen values on the spec's input
 * (shapes agree wherever inputs are summed or concatenated, and the input is large enough for the
 * reductions). Sampling, mutation and enumeration keep to architectures that fit.
 *
 * **Canonical form.** Decisions that do not reach the network (the attributes of unchosen
 * candidates, copies past the chosen repeat count, nodes no path to the logits reads) are reset to
 * their first value, so architectures that differ only there are isomorphic (other coincidences,
 * such as two input choices that happen to read the same node, are not merged). `size()` and
 * `uniqueCount()` are counted (one instantiation per assignment) up to {@link USER_COUNT_LIMIT}
 * assignments; above it, `size()` is the number of assignments and the unique count is unknown.
 *
 * The text form is the architecture's JSON (`{"space", "values"}`); `parse` also takes the bare
 * `values` object.
 * @module
 */
import { readFileSync } from 'node:fs';
import { basename } from 'node:path';
import { type Architecture, stableStringify } from '../architecture.js';
import { type Decision, type Value, categorical, domainSize, domainValues, inputChoice, repeat } from '../decisions.js';
import { ArchitectureError } from '../errors.js';
import { GraphBuilder, type NetGraph, neededNodes } from '../graph/graph.js';
import { measureGraph } from '../graph/measure.js';
import { type OpAttr, type OpAttrs, type Shape, getOp } from '../graph/ops.js';
import { DecisionSpace, type NetworkOptions } from '../space.js';
import { type AttrIr, type CellIr, type CellUseIr, type NodeIr, type OpIr, type SpaceLimits, type SpaceSpec, type SpecIr, checkSpec } from './spec.js';

/** Spaces with at most this many assignments have their size and unique count counted exactly. */
export const USER_COUNT_LIMIT = 10_000;

type DecisionKind = 'value' | 'layer' | 'input' | 'repeat';

const join = (prefix: string, name: string): string => (prefix ? `${prefix}.${name}` : name);
/** The decision prefix inside a cell used at local path `local` (see the module comment). */
const cellPrefix = (prefix: string, local: string, use: CellUseIr): string => join(prefix, use.share ? use.cell.name : local);

/** Deep-freezes a JSON value (a copy). */
function frozenCopy<T>(v: T): T {
  if (Array.isArray(v)) return Object.freeze(v.map(frozenCopy)) as T;
  if (v && typeof v === 'object') return Object.freeze(Object.fromEntries(Object.entries(v).map(([k, x]) => [k, frozenCopy(x)]))) as T;
  return v;
}

/** Decision names of value-choice references, by attribute and the decision prefix of the instance. */
type RefNames = Map<AttrIr, Map<string, string>>;

/** The decisions of a checked spec (see the module comment for names and order), and what each value reference resolved to. */
function deriveDecisions(ir: SpecIr, where: string): { decisions: Decision[]; refs: RefNames } {
  const refs: RefNames = new Map();
  const list: Decision[] = [];
  const byName = new Map<string, { kind: DecisionKind; d: Decision; at: string }>();
  const usedGlobals = new Set<string>();
  const qual = (prefix: string, label: string) => (ir.choices.has(label) ? label : join(prefix, label));
  const fail = (at: string, msg: string): never => {
    throw new ArchitectureError(`${where}: ${at}: ${msg}`);
  };
  const declare = (name: string, kind: DecisionKind, d: Decision, at: string): void => {
    const old = byName.get(name);
    if (!old) {
      byName.set(name, { kind, d, at });
      list.push(d);
      return;
    }
    const an = (k: string) => `${k === 'input' ? 'an' : 'a'} ${k}`;
    if (old.kind !== kind) fail(at, `label '${name}' names ${an(old.kind)} choice (at ${old.at}) and ${an(kind)} choice here`);
    if (stableStringify(old.d) !== stableStringify(d)) fail(at, `label '${name}' is given two different ${kind} choices: ${stableStringify(old.d)} (at ${old.at}) and ${stableStringify(d)}`);
  };
  for (const [label, values] of ir.choices) declare(label, 'value', categorical(label, values), `$.choices.${label}`);

  /** `chain`: the decision prefixes of the enclosing instances, outermost (the top level, '') first. */
  const op = (b: OpIr, chain: readonly string[]): void => {
    const prefix = chain[chain.length - 1];
    for (const [, a] of b.attrs) {
      if ('fixed' in a) continue;
      if (ir.choices.has(a.label)) usedGlobals.add(a.label);
      let name = qual(prefix, a.label);
      if (a.values) declare(name, 'value', categorical(name, a.values), a.at);
      else {
        // A reference: the innermost instance that has the label (a cell reads its enclosing cells' choices).
        const found = [...chain].reverse().find((p) => byName.has(qual(p, a.label)));
        if (found !== undefined) name = qual(found, a.label);
      }
      const d = byName.get(name) ?? fail(a.at, `unknown value choice '${a.label}': give its values on its first use, or list it in $.choices`);
      const byPrefix = refs.get(a) ?? new Map<string, string>();
      refs.set(a, byPrefix);
      byPrefix.set(prefix, name);
      if (d.kind !== 'value') fail(a.at, `label '${name}' names ${d.kind === 'input' ? 'an' : 'a'} ${d.kind} choice (at ${d.at}), not a value choice`);
      const vals = d.d.kind === 'categorical' ? d.d.choices : [];
      if (a.mul !== 1 && !vals.every((v) => typeof v === 'number')) fail(`${a.at}.mul`, `'mul' needs numeric values, and '${a.label}' has ${stableStringify(vals)}`);
    }
  };
  const cell = (c: CellIr, chain: readonly string[]): void => {
    const prefix = chain[chain.length - 1];
    const inner = (local: string, use: CellUseIr) => [...chain, cellPrefix(prefix, local, use)];
    for (const n of c.nodes) {
      if (n.inputs.kind === 'choice') {
        const name = qual(prefix, n.inputs.label);
        declare(name, 'input', inputChoice(name, n.inputs.candidates.map((_, i) => i), { min: n.inputs.min, max: n.inputs.max }), n.inputs.at);
      }
      if (n.repeat?.label !== undefined) {
        const name = qual(prefix, n.repeat.label);
        declare(name, 'repeat', repeat(name, n.repeat.min, n.repeat.max), n.repeat.at);
      }
      const b = n.body;
      if (b.kind === 'op') op(b, chain);
      else if (b.kind === 'layer') {
        const name = qual(prefix, b.label);
        declare(name, 'layer', categorical(name, b.candidates.map((x) => x.name)), b.at);
        for (const x of b.candidates) {
          if (x.body.kind === 'op') op(x.body, chain);
          else cell(x.body.cell, inner(`${n.name}.${x.name}`, x.body));
        }
      } else {
        const copies = n.repeat ? (b.share ? Math.min(1, n.repeat.max) : n.repeat.max) : 1;
        for (let i = 0; i < copies; i++) cell(b.cell, inner(n.repeat ? `${n.name}.${i}` : n.name, b));
      }
    }
  };
  cell(ir.root, ['']);
  for (const g of ir.choices.keys()) if (!usedGlobals.has(g)) fail(`$.choices.${g}`, `value choice '${g}' is never used`);
  return { decisions: list, refs };
}

/** An instantiated template: the graph, and the decisions that reach its logits. */
interface Instance {
  graph: NetGraph;
  active: Set<string>;
}

/** Builds the network graph of `values` (see {@link UserSpace.graph}). */
function instantiate(ir: SpecIr, refs: RefNames, values: Readonly<Record<string, Value>>, input: Shape, classes: number, prune: boolean): Instance {
  const g = new GraphBuilder(input, ir.name);
  /** The decisions each graph node's existence or attributes depend on. */
  const reads: Set<string>[] = [new Set()];
  let ctx: string[] = [];
  const within = <T>(names: readonly string[], fn: () => T): T => {
    const saved = ctx;
    ctx = [...ctx, ...names];
    try {
      return fn();
    } finally {
      ctx = saved;
    }
  };
  const add = (op: string, ins: readonly number[], attrs: OpAttrs, name: string): number => {
    const id = g.add(op, ins, attrs, name);
    reads[id] = new Set(ctx);
    return id;
  };
  const qual = (prefix: string, label: string) => (ir.choices.has(label) ? label : join(prefix, label));
  const merged = (ins: number[], n: NodeIr): number[] => (ins.length > 1 ? [add(n.reduce, ins, {}, `${n.name}_in`)] : ins);

  const applyOp = (b: OpIr, ins: number[], n: NodeIr, prefix: string): number => {
    const attrs: Record<string, OpAttr> = {};
    const used: string[] = [];
    for (const [k, a] of b.attrs) {
      if ('fixed' in a) {
        attrs[k] = a.fixed;
        continue;
      }
      const name = refs.get(a)?.get(prefix) as string;
      used.push(name);
      const v = values[name] as OpAttr;
      // Scaled values that should be whole (100 x 1.1 is 110.00000000000001) lose the float noise.
      const scaled = (v as number) * a.mul;
      attrs[k] = a.mul === 1 ? v : Math.abs(scaled - Math.round(scaled)) < 1e-9 ? Math.round(scaled) : scaled;
    }
    const x = getOp(b.op).arity[1] === 1 ? merged(ins, n) : ins;
    return within(used, () => add(b.op, x, attrs, n.name));
  };
  /**
   * A node's value: its graph node, and the decisions a reader depends on besides the node's own
   * (those of a repeat with no copy, whose value passes its input on).
   */
  type Ref = { readonly id: number; readonly reads: readonly string[] };
  /** Drawing groups: each top-level cell instance (or repeat copy) is one group, cells inside it included. */
  const group = (path: string, local: string): string | undefined => (path ? undefined : local);
  const ref = (id: number): Ref => ({ id, reads: [] });
  const applyCell = (use: CellUseIr, ins: number[], n: NodeIr, prefix: string, path: string, candidate?: string): Ref => {
    const x = use.cell.inputs.length === 1 ? merged(ins, n) : ins;
    if (!n.repeat || candidate !== undefined) {
      const local = candidate === undefined ? n.name : `${n.name}.${candidate}`;
      return g.scope(n.name, () => runCell(use.cell, x.map(ref), cellPrefix(prefix, local, use), join(path, n.name)), group(path, n.name));
    }
    const rep = n.repeat.label === undefined ? undefined : qual(prefix, n.repeat.label);
    const count = rep === undefined ? n.repeat.min : (values[rep] as number);
    return within(rep === undefined ? [] : [rep], () => {
      // With no copy the value is the input, and the count (with all this node read) still decides it.
      let y: Ref = { id: x[0], reads: count === 0 ? ctx : [] };
      for (let i = 0; i < count; i++) {
        const local = `${n.name}.${i}`;
        const from = y;
        y = g.scope(local, () => runCell(use.cell, [from], cellPrefix(prefix, local, use), join(path, local)), group(path, local));
      }
      return y;
    });
  };
  const runNode = (n: NodeIr, env: Map<string, Ref>, prefix: string, path: string): Ref => {
    const extra: string[] = [];
    let from: Ref[];
    if (n.inputs.kind === 'fixed') from = n.inputs.names.map((r) => env.get(r) as Ref);
    else {
      const name = qual(prefix, n.inputs.label);
      extra.push(name);
      const cands = n.inputs.candidates;
      from = (values[name] as readonly number[]).map((i) => env.get(cands[i]) as Ref);
    }
    for (const r of from) extra.push(...r.reads);
    const ins = from.map((r) => r.id);
    return within(extra, () => {
      const b = n.body;
      if (b.kind === 'op') return ref(applyOp(b, ins, n, prefix));
      if (b.kind === 'cell') return applyCell(b, ins, n, prefix, path);
      const name = qual(prefix, b.label);
      const c = b.candidates.find((x) => x.name === values[name]);
      if (!c) throw new ArchitectureError(`${ir.name}: decision '${name}' has no candidate ${JSON.stringify(values[name])}`);
      return within([name], () => (c.body.kind === 'op' ? ref(applyOp(c.body, ins, n, prefix)) : applyCell(c.body, ins, n, prefix, path, c.name)));
    });
  };
  const runCell = (c: CellIr, ins: readonly Ref[], prefix: string, path: string): Ref => {
    const env = new Map<string, Ref>(c.inputs.map((f, i) => [f, ins[i]]));
    for (const n of c.nodes) env.set(n.name, runNode(n, env, prefix, path));
    return env.get(c.output) as Ref;
  };

  const out = runCell(ir.root, [ref(0)], '', '');
  let logits = out.id;
  if (ir.logits) {
    const s = g.shape(logits);
    if (s.length !== 1 || s[0] !== classes) throw new ArchitectureError(`${ir.name}: the logits node '${ir.root.output}' outputs ${s.join('x')}, not ${classes} class scores`);
  } else {
    const pooled = g.shape(logits).length === 3 ? add('global_avg_pool', [logits], {}, 'global_pool') : logits;
    logits = add('linear', [pooled], { out: classes }, 'classifier');
  }
  const graph = g.output('logits', logits).build();
  const need = neededNodes(graph);
  const active = new Set<string>(out.reads);
  for (const id of need) for (const d of reads[id]) active.add(d);
  return { graph: prune && need.length < graph.nodes.length ? keepNodes(graph, need, ir.name) : graph, active };
}

/** The graph with only the nodes `keep` (ascending, closed under inputs), renumbered. */
function keepNodes(graph: NetGraph, keep: readonly number[], where: string): NetGraph {
  const g = new GraphBuilder(graph.input, where);
  const id = new Map<number, number>([[0, 0]]);
  for (const i of keep) {
    if (i === 0) continue;
    const n = graph.nodes[i];
    id.set(i, g.scope('', () => g.add(n.op, n.inputs.map((x) => id.get(x) as number), n.attrs, n.name), n.group));
  }
  for (const [k, v] of Object.entries(graph.outputs)) g.output(k, id.get(v) as number);
  return g.build();
}

/** Why a network graph is over the spec's limits, or null. */
function overLimits(graph: NetGraph, limits: Readonly<SpaceLimits>): string | null {
  if (limits.params === undefined && limits.flops === undefined) return null;
  const m = measureGraph(graph);
  if (limits.params !== undefined && m.mainParams > limits.params) return `${m.mainParams.toLocaleString('en-US')} parameters, over the limit of ${limits.params.toLocaleString('en-US')}`;
  if (limits.flops !== undefined && m.flops > limits.flops) return `${m.flops.toLocaleString('en-US')} multiply-adds, over the limit of ${limits.flops.toLocaleString('en-US')}`;
  return null;
}

/** A user-defined search space (see the module comment). */
export class UserSpace extends DecisionSpace {
  readonly name: string;
  readonly description: string;
  /** The spec it was made from (frozen). */
  readonly spec: Readonly<SpaceSpec>;
  private readonly ir: SpecIr;
  private readonly refs: RefNames;
  private _census?: { fit: number; unique: number } | null;

  /** Checks `spec` (throws an {@link ArchitectureError} naming the JSON path of a problem); `where` prefixes errors (e.g. a file name). */
  constructor(spec: SpaceSpec, where?: string) {
    const ir = checkSpec(spec, where ?? (typeof spec?.name === 'string' ? spec.name : 'space spec'));
    const { decisions, refs } = deriveDecisions(ir, where ?? ir.name);
    super(decisions, [
      {
        name: 'fits',
        check: (v) => {
          try {
            const { graph } = instantiate(ir, refs, v, ir.input, ir.classes, ir.limits.params !== undefined || ir.limits.flops !== undefined);
            return overLimits(graph, ir.limits) ?? true;
          } catch (e) {
            if (!(e instanceof ArchitectureError)) throw e;
            return e.message.startsWith(`${ir.name}: `) ? e.message.slice(ir.name.length + 2) : e.message;
          }
        },
      },
    ]);
    this.ir = ir;
    this.refs = refs;
    this.name = ir.name;
    this.description = ir.description;
    this.spec = frozenCopy(spec);
  }

  /** The spec (plain JSON, as given). */
  toJSON(): SpaceSpec {
    return JSON.parse(JSON.stringify(this.spec));
  }

  private assignments(): number {
    return this.decisions.reduce((n, d) => n * domainSize(d), 1);
  }

  /** Architectures that fit, and their distinct canonical forms: one instantiation per assignment. */
  private census(): { fit: number; unique: number } | null {
    if (this._census !== undefined) return this._census;
    if (this.assignments() > USER_COUNT_LIMIT) {
      this._census = null;
      return null;
    }
    const doms = this.decisions.map((d) => [d.name, domainValues(d)] as const);
    const keys = new Set<string>();
    let fit = 0;
    const values: Record<string, Value> = {};
    const visit = (i: number): void => {
      if (i < doms.length) {
        for (const v of doms[i][1]) {
          values[doms[i][0]] = v;
          visit(i + 1);
        }
        return;
      }
      let active: Set<string>;
      try {
        active = instantiate(this.ir, this.refs, values, this.ir.input, this.ir.classes, false).active;
      } catch (e) {
        if (e instanceof ArchitectureError) return;
        throw e;
      }
      fit++;
      keys.add(stableStringify(this.decisions.map((d) => (active.has(d.name) ? values[d.name] : null))));
    };
    visit(0);
    this._census = { fit, unique: keys.size };
    return this._census;
  }

  /** Exact (architectures that fit) up to {@link USER_COUNT_LIMIT} assignments; above, the number of assignments. */
  override size(): number {
    return this.census()?.fit ?? this.assignments();
  }

  /** Distinct canonical forms, counted up to {@link USER_COUNT_LIMIT} assignments. */
  override uniqueCount(): number | undefined {
    return this.census()?.unique;
  }

  /** Names of the decisions that reach the network of `arch` (the others could change without changing it). */
  activeDecisions(arch: Architecture): string[] {
    this.own(arch);
    const { active } = instantiate(this.ir, this.refs, arch.values, this.ir.input, this.ir.classes, false);
    return this.decisions.map((d) => d.name).filter((n) => active.has(n));
  }

  private canonicalValues(values: Readonly<Record<string, Value>>): Record<string, Value> {
    const { active } = instantiate(this.ir, this.refs, values, this.ir.input, this.ir.classes, false);
    const out: Record<string, Value> = {};
    for (const d of this.decisions) out[d.name] = active.has(d.name) ? values[d.name] : domainValues(d)[0];
    return out;
  }

  /** The architecture with every decision that does not reach the network at its first value. */
  override canonicalize(arch: Architecture): Architecture {
    this.own(arch);
    return this.arch(this.canonicalValues(arch.values));
  }

  /** Also reads the bare values object (`{"conv1": "sep", ...}`). */
  override parse(text: string): Architecture {
    let j: unknown;
    try {
      j = JSON.parse(text);
    } catch {
      throw new ArchitectureError(`${this.name}: not valid JSON: ${text.slice(0, 60)}`);
    }
    const full = j !== null && typeof j === 'object' && 'values' in j && typeof j.values === 'object' && j.values !== null && !Array.isArray(j.values);
    return full ? this.fromJSON(j) : this.fromJSON({ values: j });
  }

  override sample(r: Parameters<DecisionSpace['sample']>[0]): Architecture {
    try {
      return super.sample(r);
    } catch (e) {
      if (e instanceof ArchitectureError) throw e;
      const first = Object.fromEntries(this.decisions.map((d) => [d.name, domainValues(d)[0]]));
      throw new ArchitectureError(`${this.name}: no architecture of this space fits (${(e as Error).message}); with the first values: ${this.violation(first)}`);
    }
  }

  /**
   * The network: the template instantiated with the architecture's values, then the classifier
   * head. `o.input` and `o.classes` replace the spec's; the nodes no path to the logits reads are
   * left out.
   */
  override graph(arch: Architecture, o: NetworkOptions = {}): NetGraph {
    this.own(arch);
    if (o.channels !== undefined || o.cells !== undefined) throw new ArchitectureError(`${this.name}: a user-defined space has no channels or cells setting (write them into the template)`);
    return instantiate(this.ir, this.refs, arch.values, o.input ?? this.ir.input, o.classes ?? this.ir.classes, true).graph;
  }
}

/** A {@link UserSpace} from a spec object (the JSON form, or what the builder makes). */
export function userSpace(spec: SpaceSpec): UserSpace {
  return new UserSpace(spec);
}

/**
 * Reads a space spec from a JSON file. The space is named by its `name`, or else the file's name
 * without `.json`. Errors (a missing file, bad JSON, a broken rule) are {@link ArchitectureError}s
 * naming the file and the JSON path of the problem.
 */
export function loadSpaceFile(path: string): UserSpace {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    throw new ArchitectureError(`${path}: ${(e as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (e as Error).message}`);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    throw new ArchitectureError(`${path}: not valid JSON (${(e as Error).message})`);
  }
  if (json !== null && typeof json === 'object' && !Array.isArray(json) && !('name' in json)) json = { name: basename(path).replace(/\.json$/i, ''), ...json };
  return new UserSpace(json as SpaceSpec, path);
}
