/**
 * The TypeScript builder of user-defined search spaces: the same template as the JSON form
 * (`user/spec.ts`) written as code, with NNI's vocabulary (`layerChoice`, `inputChoice`,
 * `valueChoice`, repeats and cells). It only writes the spec object, so a space written with the
 * builder and the same space written as JSON have the same decisions and sample the same
 * architectures for a seed.
 *
 * ```ts
 * const space = defineSpace({ name: 'tiny', input: [1, 28, 28], classes: 10 }, (b) => {
 *   const width = b.choice('width', [16, 32]);
 *   const block = b.cell('block', (c, x) => {
 *     const conv = c.node('conv', c.layerChoice('op', {
 *       conv3: c.op('conv_bn_act', { out: width, k: 3 }),
 *       sep3: c.op('sep_conv', { out: width, k: 3 }),
 *     }), x);
 *     return c.node('sum', c.op('add'), [x, conv]);
 *   });
 *   const stem = b.node('stem', b.op('conv_bn_act', { out: width, k: 3 }));
 *   const stage = b.repeat('stage', block, { min: 1, max: 3 });
 *   const pool = b.node('pool', b.op('max_pool', { k: 2 }));
 *   b.node('head', b.op('conv_bn_act', { out: 64, k: 1 }), b.inputChoice('skip', [stem, pool]));
 * });
 * ```
 * @module
 */
import { ArchitectureError } from '../errors.js';
import type { AttrSpec, CellCandidateSpec, CellSpec, ChoiceValue, InputChoiceSpec, NodeSpec, OpCandidateSpec, SpaceSpec, ValueChoiceSpec } from './spec.js';
import { UserSpace } from './space.js';

/** A node of a template being built (pass it as another node's input). */
export class NodeRef {
  /** @internal */
  constructor(
    readonly name: string,
    /** @internal The template it belongs to. */
    readonly owner: TemplateBuilder,
  ) {}
}

/** A cell defined with {@link TemplateBuilder.cell}. */
export class CellRef {
  /** @internal */
  constructor(readonly name: string) {}
}

/** An op body: `op` applied with `attrs`. */
export interface OpBody {
  readonly op: string;
  readonly attrs?: Record<string, AttrSpec>;
}
/** A cell body: a cell applied as one node. */
export interface CellBody {
  readonly cell: string;
  readonly share?: boolean;
}
/** A layer-choice body. */
export interface LayerBody {
  readonly layerChoice: { label?: string; candidates: (OpCandidateSpec | CellCandidateSpec)[] };
}
/** What a node computes. */
export type Body = OpBody | CellBody | LayerBody;
/** A node's inputs: one node, several (merged by `reduce` for a one-input op), or an input choice. */
export type Inputs = NodeRef | readonly NodeRef[] | InputChoiceSpec;

/** What a space needs besides its nodes. */
export interface SpaceHead {
  name: string;
  description?: string;
  input: [number, number, number] | [number];
  classes: number;
}

/** Builds one node list: the top level (a {@link SpaceBuilder}) or a cell. */
export class TemplateBuilder {
  /** @internal */
  readonly nodes: NodeSpec[] = [];
  /** @internal */
  outputName?: string;
  /** The template's inputs (the network input at the top level). */
  readonly inputs: readonly NodeRef[];

  /** @internal */
  constructor(
    /** @internal */ readonly root: SpaceBuilder | null,
    inputNames: readonly string[],
  ) {
    this.inputs = inputNames.map((n) => new NodeRef(n, this));
  }

  /** The (first) input. */
  get input(): NodeRef {
    return this.inputs[0];
  }

  private nameOf(r: NodeRef): string {
    if (!(r instanceof NodeRef) || r.owner !== this) throw new ArchitectureError(`space builder: node '${r?.name}' belongs to another template (a cell reads only its own inputs and nodes)`);
    return r.name;
  }

  /** An op with attributes (values or {@link valueChoice}s). */
  op(op: string, attrs?: Record<string, AttrSpec>): OpBody {
    return attrs === undefined ? { op } : { op, attrs };
  }

  /**
   * NNI's ValueChoice: an attribute chosen among `values` (give them on the first use of a label;
   * later uses may leave them out). `mul` scales a numeric value.
   */
  valueChoice(label: string, values?: readonly ChoiceValue[], o: { mul?: number } = {}): ValueChoiceSpec {
    const v: ValueChoiceSpec = { valueChoice: label };
    if (values !== undefined) v.values = [...values];
    if (o.mul !== undefined) v.mul = o.mul;
    return v;
  }

  /** NNI's InputChoice: `n` (default 1), or `min`..`max`, of `candidates` (earlier nodes). */
  inputChoice(label: string, candidates: readonly NodeRef[], o: { n?: number; min?: number; max?: number } = {}): InputChoiceSpec {
    return { inputChoice: label, candidates: candidates.map((c) => this.nameOf(c)), ...o };
  }

  /** NNI's LayerChoice: the node's op (or cell) among named candidates; the label defaults to the node's name. */
  layerChoice(label: string | undefined, candidates: Record<string, OpBody | CellBody>): LayerBody {
    const list = Object.entries(candidates).map(([name, b]): OpCandidateSpec | CellCandidateSpec => ({ name, ...b }));
    return { layerChoice: label === undefined ? { candidates: list } : { label, candidates: list } };
  }

  /** A cell used as one node; `share` makes its instances (in one scope) decide together. */
  use(cell: CellRef, o: { share?: boolean } = {}): CellBody {
    return o.share ? { cell: cell.name, share: true } : { cell: cell.name };
  }

  /** Adds a node; without `inputs` it reads the node before it (the first reads the input). */
  node(name: string, body: Body, inputs?: Inputs, o: { reduce?: 'add' | 'concat' } = {}): NodeRef {
    const n: NodeSpec = { name };
    if (inputs !== undefined) {
      if (inputs instanceof NodeRef) n.inputs = this.nameOf(inputs);
      else if (Array.isArray(inputs)) n.inputs = inputs.map((r: NodeRef) => this.nameOf(r));
      else n.inputs = inputs as InputChoiceSpec;
    }
    if (o.reduce !== undefined) n.reduce = o.reduce;
    Object.assign(n, body);
    this.nodes.push(n);
    return new NodeRef(name, this);
  }

  /** A cell repeated `count` times (a fixed number, or a `repeat` decision `{ label?, min, max }`), each copy reading the one before. */
  repeat(name: string, cell: CellRef, count: number | { label?: string; min: number; max: number }, input?: Inputs, o: { share?: boolean; reduce?: 'add' | 'concat' } = {}): NodeRef {
    const ref = this.node(name, this.use(cell, o), input, o);
    this.nodes[this.nodes.length - 1].repeat = typeof count === 'number' ? count : { ...count };
    return ref;
  }

  /** Names the template's output (default: the last node). */
  output(r: NodeRef): void {
    this.outputName = this.nameOf(r);
  }

  /**
   * Defines a cell (a named sub-template; cells are visible everywhere). `fn` gets the cell's
   * builder and its inputs (`inputs` names them; default one, `input`) and returns its output
   * (default: its last node).
   */
  cell(name: string, fn: (c: TemplateBuilder, ...inputs: NodeRef[]) => unknown, inputs: readonly string[] = ['input']): CellRef {
    const root = this.root ?? (this as unknown as SpaceBuilder);
    if (root.cells[name] !== undefined) throw new ArchitectureError(`space builder: cell '${name}' is defined twice`);
    const c = new TemplateBuilder(root, inputs);
    const out = fn(c, ...c.inputs);
    if (out instanceof NodeRef) c.output(out);
    const spec: CellSpec = inputs.length !== 1 || inputs[0] !== 'input' ? { inputs: [...inputs], nodes: c.nodes } : { nodes: c.nodes };
    if (c.outputName !== undefined && c.outputName !== c.nodes[c.nodes.length - 1]?.name) spec.output = c.outputName;
    root.cells[name] = spec;
    return new CellRef(name);
  }
}

/** The top-level builder: a {@link TemplateBuilder} plus global choices and the logits. */
export class SpaceBuilder extends TemplateBuilder {
  /** @internal */
  readonly choices: Record<string, ChoiceValue[]> = {};
  /** @internal */
  readonly cells: Record<string, CellSpec> = {};
  /** @internal */
  logitsName?: string;

  /** @internal */
  constructor() {
    super(null, ['input']);
  }

  /** A value choice visible in every cell (listed in the spec's `choices`); returns its reference. */
  choice(label: string, values: readonly ChoiceValue[], o: { mul?: number } = {}): ValueChoiceSpec {
    if (this.choices[label] !== undefined) throw new ArchitectureError(`space builder: global choice '${label}' is declared twice`);
    this.choices[label] = [...values];
    return this.valueChoice(label, undefined, o);
  }

  /** A reference to a global choice (e.g. scaled: `b.ref('width', { mul: 2 })`). */
  ref(label: string, o: { mul?: number } = {}): ValueChoiceSpec {
    return this.valueChoice(label, undefined, o);
  }

  /** Names the node that outputs the class scores itself (no classifier head is added). */
  logits(r: NodeRef): void {
    this.output(r);
    this.logitsName = this.outputName;
  }
}

/** The spec object a builder function describes (what the JSON form holds). */
export function defineSpec(head: SpaceHead, fn: (b: SpaceBuilder) => unknown): SpaceSpec {
  const b = new SpaceBuilder();
  const out = fn(b);
  if (out instanceof NodeRef && b.logitsName === undefined) b.output(out);
  const spec: SpaceSpec = { name: head.name } as SpaceSpec;
  if (head.description !== undefined) spec.description = head.description;
  spec.input = [...head.input];
  spec.classes = head.classes;
  if (Object.keys(b.choices).length) spec.choices = b.choices;
  if (Object.keys(b.cells).length) spec.cells = b.cells;
  spec.nodes = b.nodes;
  const last = b.nodes[b.nodes.length - 1]?.name;
  if (b.logitsName !== undefined) spec.logits = b.logitsName;
  else if (b.outputName !== undefined && b.outputName !== last) spec.output = b.outputName;
  return JSON.parse(JSON.stringify(spec)) as SpaceSpec;
}

/** A {@link UserSpace} written with the builder (see the module comment). */
export function defineSpace(head: SpaceHead, fn: (b: SpaceBuilder) => unknown): UserSpace {
  return new UserSpace(defineSpec(head, fn));
}

