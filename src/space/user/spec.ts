/**
 * The JSON form of a user-defined search space, and its checker.
 *
 * A space spec is a network template over the op registry (`graph/ops.ts`), with the choices NNI
 * users know: **LayerChoice** (a node's op among named candidates), **InputChoice** (which earlier
 * nodes a node reads), **ValueChoice** (an attribute's value among a list, shared by every use of
 * the same label), **repeats** (a cell repeated a chosen number of times) and **cells** (named
 * sub-templates, instantiated several times, nested as deep as needed). For example:
 *
 * ```json
 * {
 *   "name": "tiny", "input": [1, 28, 28], "classes": 10,
 *   "choices": { "width": [16, 32] },
 *   "cells": { "block": { "nodes": [
 *     { "name": "conv", "layerChoice": { "candidates": [
 *       { "name": "conv3", "op": "conv_bn_act", "attrs": { "out": { "valueChoice": "width" }, "k": 3 } },
 *       { "name": "sep3", "op": "sep_conv", "attrs": { "out": { "valueChoice": "width" }, "k": 3 } } ] } },
 *     { "name": "sum", "op": "add", "inputs": ["input", "conv"] } ] } },
 *   "nodes": [
 *     { "name": "stem", "op": "conv_bn_act", "attrs": { "out": { "valueChoice": "width" }, "k": 3 } },
 *     { "name": "stage", "cell": "block", "repeat": { "min": 1, "max": 3 } },
 *     { "name": "pool", "op": "max_pool", "attrs": { "k": 2 } },
 *     { "name": "head", "op": "conv_bn_act", "inputs": { "inputChoice": "skip", "candidates": ["stem", "pool"] }, "attrs": { "out": 64, "k": 1 } }
 *   ]
 * }
 * ```
 *
 * Rules (each broken rule is an {@link ArchitectureError} naming the JSON path, e.g.
 * `$.cells.block.nodes[1].inputs`):
 * - A node is an op (`op`, `attrs`), a `layerChoice` among candidates (each an op or a cell, with
 *   a `name`, by default the op's or the cell's), or a `cell` (a name from `cells`, or a cell
 *   written inline) that may carry a `repeat` (`{ "label", "min", "max" }`, or a fixed count).
 * - `inputs` names earlier nodes of the same list (`input` is the network's input, or a cell's
 *   input), or is an `inputChoice` among earlier nodes (`n` of them, or `min`..`max`; default 1).
 *   Without `inputs` a node reads the node before it (the first node reads the input). Several
 *   inputs of an op that takes one (or of a one-input cell) are first merged by `reduce`: `add`
 *   (default) or `concat`, in a node named `<name>_in`. A node may read only earlier nodes, so a
 *   template has no cycles; and every node must be read by a later one (or be the output).
 * - Attribute values are plain JSON or a `valueChoice`: `{ "valueChoice": label, "values": [...] }`,
 *   optionally `"mul": k` to scale a numeric value; a use without `values` refers to a choice
 *   already given (earlier in the same cell, in a cell around it, or in the top-level `choices`).
 * - The template's last node (or `output`) feeds a classifier head (global average pooling for a
 *   feature map, then a linear layer to `classes`), unless `logits` names the node that outputs the
 *   class scores itself.
 *
 * See `user/space.ts` for how labels become decisions.
 * @module
 */
import { ArchitectureError } from '../errors.js';
import { type OpAttr, getOp } from '../graph/ops.js';

/** A value a {@link ValueChoiceSpec} can take. */
export type ChoiceValue = string | number | boolean;

/** NNI's ValueChoice: an attribute chosen among `values`, shared by every use of `valueChoice` (its label). */
export interface ValueChoiceSpec {
  valueChoice: string;
  /** The values (on the first use; later uses may leave them out). */
  values?: ChoiceValue[];
  /** Multiplies a numeric value (e.g. a stage twice as wide as the `width` choice). */
  mul?: number;
}
/** An attribute: a plain value or a value choice. */
export type AttrSpec = OpAttr | ValueChoiceSpec;

/** NNI's InputChoice: which of `candidates` (earlier node names) a node reads. */
export interface InputChoiceSpec {
  inputChoice: string;
  candidates: string[];
  /** Exactly this many (default 1, unless `min`/`max` are given). */
  n?: number;
  min?: number;
  max?: number;
}

/** A candidate of a layer choice that applies one op. */
export interface OpCandidateSpec {
  /** Its value in the architecture (default: the op's name). */
  name?: string;
  op: string;
  attrs?: Record<string, AttrSpec>;
}
/** A candidate of a layer choice that applies a cell. */
export interface CellCandidateSpec {
  /** Its value in the architecture (default: the cell's name; needed for an inline cell). */
  name?: string;
  cell: string | CellSpec;
  share?: boolean;
}
/** NNI's LayerChoice: the node's op (or cell) among named candidates. */
export interface LayerChoiceSpec {
  /** The decision's label (default: the node's name). */
  label?: string;
  candidates: (OpCandidateSpec | CellCandidateSpec)[];
}
/** How many times a cell repeats, chained (each copy reads the one before). */
export interface RepeatSpec {
  /** The decision's label (default: the node's name). */
  label?: string;
  min: number;
  max: number;
}

/** One node of a template: exactly one of `op`, `layerChoice` or `cell`. */
export interface NodeSpec {
  name: string;
  inputs?: string | string[] | InputChoiceSpec;
  /** How several inputs of a one-input op or cell are merged (default `add`). */
  reduce?: 'add' | 'concat';
  op?: string;
  attrs?: Record<string, AttrSpec>;
  layerChoice?: LayerChoiceSpec;
  cell?: string | CellSpec;
  /** Instances of one cell marked `share` (in one scope) decide together; else each has its own decisions. */
  share?: boolean;
  repeat?: number | RepeatSpec;
}

/** A sub-template: named inputs, nodes, and the node it outputs (default: the last). */
export interface CellSpec {
  /** Names of its inputs (default `["input"]`). */
  inputs?: string[];
  nodes: NodeSpec[];
  output?: string;
}

/** A user-defined search space (see the module comment). */
export interface SpaceSpec {
  name: string;
  description?: string;
  /** Input shape per sample: `[C, H, W]` (images) or `[F]` (a feature vector: tabular data). */
  input: number[];
  classes: number;
  /** Value choices visible in every cell, in decision order. */
  choices?: Record<string, ChoiceValue[]>;
  cells?: Record<string, CellSpec>;
  nodes: NodeSpec[];
  /** The node that feeds the classifier head (default: the last node). */
  output?: string;
  /** The node that outputs the logits (no head is added). */
  logits?: string;
  /**
   * Upper bounds on the network at the spec's input: `params` (trainable parameters, an auxiliary
   * head excluded) and `flops` (multiply-adds of one forward pass). Architectures over a bound are
   * not in the space (a constraint, like NNI's model-size filters).
   */
  limits?: SpaceLimits;
}

/** See {@link SpaceSpec.limits}. */
export interface SpaceLimits {
  params?: number;
  flops?: number;
}

// ---- the checked form ------------------------------------------------------------------------

/** An attribute, checked. */
export type AttrIr = { readonly fixed: OpAttr } | { readonly label: string; readonly values?: readonly ChoiceValue[]; readonly mul: number; readonly at: string };
/** An op body, checked (attributes sorted by key). */
export interface OpIr {
  readonly kind: 'op';
  readonly op: string;
  readonly attrs: readonly (readonly [string, AttrIr])[];
  readonly at: string;
}
/** A use of a cell, checked. */
export interface CellUseIr {
  readonly kind: 'cell';
  readonly cell: CellIr;
  readonly share: boolean;
  readonly at: string;
}
/** A layer choice, checked. */
export interface LayerIr {
  readonly kind: 'layer';
  readonly label: string;
  readonly candidates: readonly { readonly name: string; readonly body: OpIr | CellUseIr }[];
  readonly at: string;
}
/** A node's inputs, checked. */
export type InputsIr =
  | { readonly kind: 'fixed'; readonly names: readonly string[] }
  | { readonly kind: 'choice'; readonly label: string; readonly candidates: readonly string[]; readonly min: number; readonly max: number; readonly at: string };
/** A node, checked. */
export interface NodeIr {
  readonly name: string;
  readonly at: string;
  readonly inputs: InputsIr;
  readonly reduce: 'add' | 'concat';
  readonly body: OpIr | LayerIr | CellUseIr;
  /** Repeat count: a decision (`label`) or fixed (`min === max`, no label). */
  readonly repeat?: { readonly label?: string; readonly min: number; readonly max: number; readonly at: string };
}
/** A cell (or the top-level template), checked. */
export interface CellIr {
  readonly name: string;
  readonly inputs: readonly string[];
  readonly nodes: readonly NodeIr[];
  readonly output: string;
  readonly at: string;
}
/** A whole spec, checked. */
export interface SpecIr {
  readonly name: string;
  readonly description: string;
  readonly input: [number, number, number] | [number];
  readonly classes: number;
  readonly choices: ReadonlyMap<string, readonly ChoiceValue[]>;
  readonly root: CellIr;
  /** Whether the output is the logits (no head). */
  readonly logits: boolean;
  readonly limits: Readonly<SpaceLimits>;
}

/** Largest repeat count. */
export const MAX_REPEAT = 64;
const NAME_RE = /^[A-Za-z_][A-Za-z0-9_]*$/;
const SPACE_NAME_RE = /^[A-Za-z0-9_][A-Za-z0-9_.-]*$/;
/** Node names of the top level that the classifier head uses. */
const HEAD_NAMES = ['global_pool', 'classifier'];

type Json = Record<string, unknown>;
const isObj = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);
const show = (v: unknown): string => JSON.stringify(v);

/** Checks a spec and returns its checked form (throws {@link ArchitectureError} naming the JSON path). */
export function checkSpec(json: unknown, where = 'space spec'): SpecIr {
  const fail = (at: string, msg: string): never => {
    throw new ArchitectureError(`${where}: ${at}: ${msg}`);
  };
  const obj = (v: unknown, at: string, keys: readonly string[], required: readonly string[] = []): Json => {
    if (!isObj(v)) fail(at, `expected an object, got ${show(v)}`);
    const o = v as Json;
    for (const k of Object.keys(o)) if (!keys.includes(k)) fail(at, `unknown key '${k}' (expected ${keys.join(', ')})`);
    for (const k of required) if (o[k] === undefined) fail(at, `'${k}' is missing`);
    return o;
  };
  const name = (v: unknown, at: string, what: string): string => {
    if (typeof v !== 'string' || !NAME_RE.test(v)) fail(at, `${what} must be an identifier (letters, digits, _; not starting with a digit), got ${show(v)}`);
    return v as string;
  };
  const int = (v: unknown, at: string, lo: number, hi: number): number => {
    if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < lo || v > hi) fail(at, `expected an integer from ${lo} to ${hi}, got ${show(v)}`);
    return v as number;
  };
  const choiceValues = (v: unknown, at: string): ChoiceValue[] => {
    if (!Array.isArray(v) || v.length === 0) return fail(at, `expected a non-empty list of values, got ${show(v)}`);
    v.forEach((x, i) => {
      if (!(typeof x === 'string' || typeof x === 'boolean' || (typeof x === 'number' && Number.isFinite(x)))) fail(`${at}[${i}]`, `a choice value must be a string, number or boolean, got ${show(x)}`);
    });
    if (new Set(v).size !== v.length) fail(at, `values must be distinct, got ${show(v)}`);
    return [...v];
  };

  const top = obj(json, '$', ['name', 'description', 'input', 'classes', 'choices', 'cells', 'nodes', 'output', 'logits', 'limits'], ['name', 'input', 'classes', 'nodes']);
  if (typeof top.name !== 'string' || !SPACE_NAME_RE.test(top.name)) fail('$.name', `the space name must be letters, digits, '_', '.', '-', got ${show(top.name)}`);
  if (top.description !== undefined && typeof top.description !== 'string') fail('$.description', 'must be a string');
  const input = top.input;
  if (!Array.isArray(input) || (input.length !== 3 && input.length !== 1)) fail('$.input', `expected [channels, height, width] (images) or [features] (tables), got ${show(input)}`);
  for (const [i, d] of (input as unknown[]).entries()) int(d, `$.input[${i}]`, 1, 1 << 20);
  const classes = int(top.classes, '$.classes', 1, 1 << 24);

  const choices = new Map<string, ChoiceValue[]>();
  if (top.choices !== undefined) {
    const c = obj(top.choices, '$.choices', Object.keys(isObj(top.choices) ? top.choices : {}));
    for (const [k, v] of Object.entries(c)) choices.set(name(k, `$.choices.${k}`, 'a choice label'), choiceValues(v, `$.choices.${k}`));
  }

  const cellDefs = top.cells === undefined ? {} : obj(top.cells, '$.cells', Object.keys(isObj(top.cells) ? top.cells : {}));
  const cells = new Map<string, CellIr>();
  const inProgress: string[] = [];

  const attr = (v: unknown, at: string): AttrIr => {
    if (isObj(v)) {
      const o = obj(v, at, ['valueChoice', 'values', 'mul'], ['valueChoice']);
      const label = name(o.valueChoice, `${at}.valueChoice`, 'a value choice label');
      const values = o.values === undefined ? undefined : choiceValues(o.values, `${at}.values`);
      if (o.mul !== undefined && (typeof o.mul !== 'number' || !Number.isFinite(o.mul))) fail(`${at}.mul`, `must be a number, got ${show(o.mul)}`);
      return { label, values, mul: (o.mul as number | undefined) ?? 1, at };
    }
    const ok =
      typeof v === 'string' ||
      typeof v === 'boolean' ||
      (typeof v === 'number' && Number.isFinite(v)) ||
      (Array.isArray(v) && v.every((x) => typeof x === 'number' && Number.isFinite(x)));
    if (!ok) fail(at, `an attribute must be a number, string, boolean, list of numbers or a valueChoice, got ${show(v)}`);
    return { fixed: Array.isArray(v) ? Object.freeze([...v]) : (v as OpAttr) };
  };
  const opBody = (op: unknown, attrs: unknown, at: string): OpIr => {
    if (typeof op !== 'string' || op === 'input') fail(`${at}.op`, `expected an op name, got ${show(op)}`);
    try {
      getOp(op as string);
    } catch (e) {
      fail(`${at}.op`, (e as Error).message);
    }
    const a = attrs === undefined ? {} : obj(attrs, `${at}.attrs`, Object.keys(isObj(attrs) ? attrs : {}));
    const list = Object.keys(a)
      .sort()
      .map((k) => [k, attr(a[k], `${at}.attrs.${k}`)] as const);
    return { kind: 'op', op: op as string, attrs: list, at };
  };
  const cellUse = (cell: unknown, share: unknown, at: string, inlineName: string): CellUseIr => {
    if (share !== undefined && typeof share !== 'boolean') fail(`${at}.share`, 'must be true or false');
    let ir: CellIr;
    if (typeof cell === 'string') {
      const done = cells.get(cell);
      if (done) ir = done;
      else {
        if (inProgress.includes(cell)) fail(`${at}.cell`, `cell '${cell}' contains itself (${[...inProgress.slice(inProgress.indexOf(cell)), cell].join(' -> ')})`);
        if (!Object.hasOwn(cellDefs, cell)) fail(`${at}.cell`, `unknown cell '${cell}' (cells: ${Object.keys(cellDefs).join(', ') || 'none'})`);
        inProgress.push(cell);
        ir = template(cellDefs[cell], `$.cells.${cell}`, name(cell, `$.cells.${cell}`, 'a cell name'), false);
        inProgress.pop();
        cells.set(cell, ir);
      }
    } else ir = template(cell, `${at}.cell`, inlineName, false);
    return { kind: 'cell', cell: ir, share: share === true, at };
  };

  /** Checks a node list (the top level or a cell). */
  const template = (v: unknown, at: string, cellName: string, isTop: boolean): CellIr => {
    const o = isTop ? (v as Json) : obj(v, at, ['inputs', 'nodes', 'output'], ['nodes']);
    let formals = ['input'];
    if (!isTop && o.inputs !== undefined) {
      if (!Array.isArray(o.inputs) || o.inputs.length === 0) fail(`${at}.inputs`, `expected a non-empty list of input names, got ${show(o.inputs)}`);
      formals = (o.inputs as unknown[]).map((x, i) => name(x, `${at}.inputs[${i}]`, 'an input name'));
      if (new Set(formals).size !== formals.length) fail(`${at}.inputs`, `input names must be distinct, got ${show(formals)}`);
    }
    if (!Array.isArray(o.nodes) || o.nodes.length === 0) fail(`${at}.nodes`, 'expected a non-empty list of nodes');
    const raw = o.nodes as unknown[];
    // Names first, so that a read of a later node says so.
    const names = raw.map((n, i) => name(isObj(n) ? n.name : undefined, `${at}.nodes[${i}].name`, 'a node name'));
    const index = new Map<string, number>();
    names.forEach((n, i) => {
      if (formals.includes(n)) fail(`${at}.nodes[${i}].name`, `'${n}' is the name of ${isTop ? 'the network input' : 'an input of the cell'}`);
      if (index.has(n)) fail(`${at}.nodes[${i}].name`, `node name '${n}' is used twice (also node ${index.get(n)})`);
      if (isTop && o.logits === undefined && HEAD_NAMES.includes(n)) fail(`${at}.nodes[${i}].name`, `'${n}' is reserved for the classifier head`);
      index.set(n, i);
    });
    const read = new Set<string>();
    const nodes = raw.map((n, i): NodeIr => {
      const nat = `${at}.nodes[${i}]`;
      const x = obj(n, nat, ['name', 'inputs', 'reduce', 'op', 'attrs', 'layerChoice', 'cell', 'share', 'repeat'], ['name']);
      const nm = names[i];
      const ref = (r: unknown, rat: string): string => {
        if (typeof r !== 'string') return fail(rat, `expected a node name, got ${show(r)}`);
        if (formals.includes(r)) return r;
        const j = index.get(r);
        if (j === undefined) fail(rat, `reads '${r}', which is no node here (known: ${[...formals, ...names.slice(0, i)].join(', ')})`);
        if ((j as number) >= i) fail(rat, `reads '${r}', which is ${j === i ? 'itself' : 'a later node'}: a node reads only earlier nodes, so templates have no cycles`);
        return r;
      };
      let inputs: InputsIr;
      if (x.inputs === undefined) inputs = { kind: 'fixed', names: [i === 0 ? formals[0] : names[i - 1]] };
      else if (typeof x.inputs === 'string') inputs = { kind: 'fixed', names: [ref(x.inputs, `${nat}.inputs`)] };
      else if (Array.isArray(x.inputs)) {
        if (x.inputs.length === 0) fail(`${nat}.inputs`, 'needs at least one input');
        inputs = { kind: 'fixed', names: x.inputs.map((r, k) => ref(r, `${nat}.inputs[${k}]`)) };
      } else {
        const iat = `${nat}.inputs`;
        const c = obj(x.inputs, iat, ['inputChoice', 'candidates', 'n', 'min', 'max'], ['inputChoice', 'candidates']);
        const label = name(c.inputChoice, `${iat}.inputChoice`, 'an input choice label');
        if (!Array.isArray(c.candidates) || c.candidates.length === 0) fail(`${iat}.candidates`, 'expected a non-empty list of node names');
        const cands = (c.candidates as unknown[]).map((r, k) => ref(r, `${iat}.candidates[${k}]`));
        if (new Set(cands).size !== cands.length) fail(`${iat}.candidates`, `candidates must be distinct, got ${show(cands)}`);
        if (c.n !== undefined && (c.min !== undefined || c.max !== undefined)) fail(iat, "give either 'n' or 'min'/'max'");
        // Default: exactly one; with only `min`, up to all; with only `max`, at least one.
        const min = int(c.n ?? c.min ?? 1, `${iat}.${c.n !== undefined ? 'n' : 'min'}`, 1, cands.length);
        const max = int(c.n ?? c.max ?? (c.min === undefined ? 1 : cands.length), `${iat}.${c.n !== undefined ? 'n' : 'max'}`, min, cands.length);
        inputs = { kind: 'choice', label, candidates: cands, min, max, at: iat };
      }
      for (const r of inputs.kind === 'fixed' ? inputs.names : inputs.candidates) read.add(r);
      if (x.reduce !== undefined && x.reduce !== 'add' && x.reduce !== 'concat') fail(`${nat}.reduce`, `must be 'add' or 'concat', got ${show(x.reduce)}`);
      if (index.has(`${nm}_in`) && (inputs.kind === 'choice' || inputs.names.length > 1)) fail(`${nat}.name`, `'${nm}_in' (another node) is the name of the merge of this node's inputs`);

      const kinds = (['op', 'layerChoice', 'cell'] as const).filter((k) => x[k] !== undefined);
      if (kinds.length !== 1) fail(nat, `a node needs exactly one of 'op', 'layerChoice' or 'cell'${kinds.length ? `, got ${kinds.join(' and ')}` : ''}`);
      if (x.attrs !== undefined && x.op === undefined) fail(`${nat}.attrs`, "'attrs' belongs to an 'op' node");
      if ((x.share !== undefined || x.repeat !== undefined) && x.cell === undefined) fail(nat, "'share' and 'repeat' belong to a 'cell' node");
      let body: NodeIr['body'];
      let repeat: NodeIr['repeat'];
      if (x.op !== undefined) body = opBody(x.op, x.attrs, nat);
      else if (x.cell !== undefined) {
        body = cellUse(x.cell, x.share, nat, nm);
        if (x.repeat !== undefined) {
          const rat = `${nat}.repeat`;
          if (typeof x.repeat === 'number') {
            const k = int(x.repeat, rat, 0, MAX_REPEAT);
            repeat = { min: k, max: k, at: rat };
          } else {
            const r = obj(x.repeat, rat, ['label', 'min', 'max'], ['min', 'max']);
            const min = int(r.min, `${rat}.min`, 0, MAX_REPEAT);
            if (typeof r.max === 'number' && r.max < min) fail(`${rat}.max`, `the largest count ${r.max} is below the smallest ${min}`);
            const max = int(r.max, `${rat}.max`, min, MAX_REPEAT);
            repeat = { label: r.label === undefined ? nm : name(r.label, `${rat}.label`, 'a repeat label'), min, max, at: rat };
          }
          if (body.cell.inputs.length !== 1) fail(rat, `a repeated cell must have one input (cell '${body.cell.name}' has ${body.cell.inputs.length})`);
        }
      } else {
        const lat = `${nat}.layerChoice`;
        const lc = obj(x.layerChoice, lat, ['label', 'candidates'], ['candidates']);
        if (!Array.isArray(lc.candidates) || lc.candidates.length === 0) fail(`${lat}.candidates`, 'expected a non-empty list of candidates');
        const seen = new Map<string, number>();
        const candidates = (lc.candidates as unknown[]).map((c, k) => {
          const cat = `${lat}.candidates[${k}]`;
          const co = obj(c, cat, ['name', 'op', 'attrs', 'cell', 'share']);
          if ((co.op === undefined) === (co.cell === undefined)) fail(cat, "a candidate needs exactly one of 'op' or 'cell'");
          if (co.op !== undefined && co.share !== undefined) fail(`${cat}.share`, "'share' belongs to a cell candidate");
          if (co.cell !== undefined && co.attrs !== undefined) fail(`${cat}.attrs`, "'attrs' belongs to an op candidate");
          if (co.name === undefined && co.cell !== undefined && typeof co.cell !== 'string') fail(cat, 'an inline cell candidate needs a name');
          const cn = name(co.name ?? co.op ?? co.cell, `${cat}.name`, 'a candidate name');
          if (seen.has(cn)) fail(`${cat}.name`, `candidate name '${cn}' is used twice (also candidate ${seen.get(cn)}); name them apart`);
          seen.set(cn, k);
          return { name: cn, body: co.op !== undefined ? opBody(co.op, co.attrs, cat) : cellUse(co.cell, co.share, cat, cn) };
        });
        body = { kind: 'layer', label: lc.label === undefined ? nm : name(lc.label, `${lat}.label`, 'a layer choice label'), candidates, at: lat };
      }
      const oneInput = (b: OpIr | CellUseIr) => (b.kind === 'op' ? getOp(b.op).arity[1] === 1 : b.cell.inputs.length === 1);
      const bodies = body.kind === 'layer' ? body.candidates.map((c) => c.body) : [body];
      const [lo, hi] = inputs.kind === 'fixed' ? [inputs.names.length, inputs.names.length] : [inputs.min, inputs.max];
      for (const b of bodies) {
        if (b.kind === 'cell' && b.cell.inputs.length > 1 && (lo !== hi || lo !== b.cell.inputs.length))
          fail(`${nat}.inputs`, `cell '${b.cell.name}' takes ${b.cell.inputs.length} inputs (${b.cell.inputs.join(', ')}), but this node gives it ${lo === hi ? lo : `${lo} to ${hi}`}`);
        if (b.kind === 'op') {
          const [alo, ahi] = getOp(b.op).arity;
          if (!oneInput(b) && (lo < alo || hi > ahi)) fail(`${nat}.inputs`, `op '${b.op}' takes ${alo} to ${ahi} inputs, got ${lo === hi ? lo : `${lo} to ${hi}`}`);
        }
      }
      return { name: nm, at: nat, inputs, reduce: (x.reduce as 'add' | 'concat' | undefined) ?? 'add', body, repeat };
    });
    const outKey = isTop && o.logits !== undefined ? 'logits' : 'output';
    if (isTop && o.logits !== undefined && o.output !== undefined) fail('$', "give either 'output' (it feeds the classifier head) or 'logits' (no head), not both");
    let output = names[names.length - 1];
    if (o[outKey] !== undefined) {
      const v = o[outKey];
      if (typeof v !== 'string' || !index.has(v)) fail(`${at}.${outKey}`, `names no node here: ${show(v)}`);
      output = v as string;
    }
    read.add(output);
    for (const f of formals) if (!read.has(f)) fail(isTop ? `${at}.nodes` : `${at}.inputs`, `${isTop ? 'the network input' : `input '${f}'`} is never read`);
    names.forEach((n, i) => {
      if (!read.has(n)) fail(`${at}.nodes[${i}]`, `node '${n}' is never read: it is disconnected (read it from a later node, or make it the ${outKey})`);
    });
    return { name: cellName, inputs: formals, nodes, output, at };
  };

  const limits: SpaceLimits = {};
  if (top.limits !== undefined) {
    const l = obj(top.limits, '$.limits', ['params', 'flops']);
    for (const k of ['params', 'flops'] as const) {
      const v = l[k];
      if (v === undefined) continue;
      if (typeof v !== 'number' || !Number.isFinite(v) || v <= 0) fail(`$.limits.${k}`, `expected a positive number, got ${show(v)}`);
      limits[k] = v as number;
    }
  }

  const root = template(top, '$', '', true);
  for (const k of Object.keys(cellDefs)) if (!cells.has(k)) fail(`$.cells.${k}`, `cell '${k}' is never used`);
  return {
    name: top.name as string,
    description: (top.description as string | undefined) ?? `user-defined space '${top.name}'`,
    input: [...(input as number[])] as [number, number, number] | [number],
    classes,
    choices,
    root,
    logits: top.logits !== undefined,
    limits,
  };
}
