/**
 * The DARTS cell space (Liu, Simonyan & Yang, "DARTS: Differentiable Architecture Search", ICLR
 * 2019): a normal and a reduction cell, each with two inputs (node 0 = c_{k-2}, node 1 = c_{k-1})
 * and 4 intermediate nodes 2..5; node j reads two distinct earlier nodes (0..j-1), each through
 * one op, and sums them; the cell's output is the concatenation of nodes 2..5. The ops are the 7
 * non-zero DARTS ops ({@link DARTS_GENOTYPE_OPS}); `none` belongs to the search-time mixed op
 * ({@link DARTS_OPS}) but a derived genotype never contains it, so neither does this space.
 *
 * Decisions, per cell `normal` / `reduce` and node j in 2..5: `<cell>.<j>.in`, the two inputs
 * (sorted, so the two inputs of a node are unordered), `<cell>.<j>.op1` the op on the smaller
 * input and `<cell>.<j>.op2` the op on the larger one. Per cell 1*3*6*10 input pairs x 7^8 op
 * choices = 1,037,664,180; the space has the square of that (about 1.077e18).
 *
 * Text form: the genotype DARTS-family papers print,
 * `Genotype(normal=[('sep_conv_3x3', 0), ('sep_conv_3x3', 1), ...], normal_concat=[2, 3, 4, 5],
 * reduce=[...], reduce_concat=[2, 3, 4, 5])` (8 `(op, input)` pairs per cell, two per node in
 * node order; concat also as `range(2, 6)`, as the DARTS code prints it). The printer lists each
 * node's inputs in increasing order, so printing is canonical.
 *
 * The network (built by `networks/darts.ts`; measured here by formula) is DARTS's evaluation
 * network `NetworkCIFAR` (model.py, operations.py): see {@link DartsSpace.measure}.
 * @module
 */
import type { Architecture } from '../architecture.js';
import { type Decision, categorical, inputChoice } from '../decisions.js';
import { ArchitectureError, DecisionSpace, type Measures, type NetworkOptions } from '../space.js';

/** The 8 DARTS ops (the search-time mixed op), in the DARTS code's order. */
export const DARTS_OPS = ['none', 'max_pool_3x3', 'avg_pool_3x3', 'skip_connect', 'sep_conv_3x3', 'sep_conv_5x5', 'dil_conv_3x3', 'dil_conv_5x5'] as const;
/** The ops a derived genotype may use: every DARTS op but `none`. */
export const DARTS_GENOTYPE_OPS = DARTS_OPS.slice(1) as readonly DartsOp[];
export type DartsOp = Exclude<(typeof DARTS_OPS)[number], 'none'>;

/** The two cell types, in genotype order. */
export const DARTS_CELLS = ['normal', 'reduce'] as const;
export type DartsCellType = (typeof DARTS_CELLS)[number];
/** The intermediate nodes of a cell (0 and 1 are its inputs). */
export const DARTS_NODES = [2, 3, 4, 5] as const;
/** The nodes a cell's output concatenates (always all intermediate nodes in this space). */
export const DARTS_CONCAT: readonly number[] = Object.freeze([2, 3, 4, 5]);

/** One node's input: `[op, source node]`. */
export type DartsEdge = readonly [DartsOp, number];
/** A genotype: per cell, 8 edges (two per node, nodes 2..5 in order) and the concatenated nodes. */
export interface DartsGenotype {
  normal: DartsEdge[];
  normal_concat: number[];
  reduce: DartsEdge[];
  reduce_concat: number[];
}

/** Network settings; the auxiliary head is off unless asked for. */
export interface DartsNetworkOptions extends NetworkOptions {
  /** Add DARTS's `AuxiliaryHeadCIFAR` after the second reduction cell (counted in `measure`, built by the network). */
  auxiliary?: boolean;
}

/** Network settings with DARTS's CIFAR evaluation defaults filled in. */
export interface DartsConfig {
  input: [number, number, number];
  classes: number;
  channels: number;
  cells: number;
  auxiliary: boolean;
}

/** The stem's channel multiplier (`stem_multiplier = 3` in NetworkCIFAR). */
export const DARTS_STEM_MULTIPLIER = 3;

/** Indices of the reduction cells: `layers // 3` and `2 * layers // 3` (one cell when they coincide). */
export function dartsReductionCells(cells: number): number[] {
  return [...new Set([Math.floor(cells / 3), Math.floor((2 * cells) / 3)])];
}
/** Index of the cell after which the auxiliary head reads (`2 * layers // 3`). */
export const dartsAuxCell = (cells: number): number => Math.floor((2 * cells) / 3);

/** Spatial size after DARTS's `AvgPool2d(5, stride=3)` in the auxiliary head. */
const auxPooled = (s: number) => Math.floor((s - 5) / 3) + 1;

/** Fills in the defaults (3x32x32, 10 classes, C=36, 20 cells, no auxiliary head) and checks them (throws {@link ArchitectureError}). */
export function dartsConfig(o: DartsNetworkOptions = {}): DartsConfig {
  const c: DartsConfig = {
    input: o.input ?? [3, 32, 32],
    classes: o.classes ?? 10,
    channels: o.channels ?? 36,
    cells: o.cells ?? 20,
    auxiliary: o.auxiliary ?? false,
  };
  const posInt = (v: number) => Number.isSafeInteger(v) && v > 0;
  if (!Array.isArray(c.input) || c.input.length !== 3 || !c.input.every(posInt))
    throw new ArchitectureError(`darts: input must be three positive integers CxHxW, got ${Array.isArray(c.input) ? c.input.join('x') : String(c.input)}`);
  if (!posInt(c.classes)) throw new ArchitectureError(`darts: classes must be a positive integer, got ${c.classes}`);
  if (!posInt(c.channels)) throw new ArchitectureError(`darts: channels must be a positive integer, got ${c.channels}`);
  if (!posInt(c.cells)) throw new ArchitectureError(`darts: cells must be a positive integer, got ${c.cells}`);
  const r = dartsReductionCells(c.cells).length;
  const [, h, w] = c.input;
  const m = 2 ** r;
  if (h % m || w % m)
    throw new ArchitectureError(
      `darts: input ${c.input.join('x')} is too small or odd for the ${r} stride-2 reduction cell(s): height and width must be multiples of ${m} (FactorizedReduce needs even sizes)`,
    );
  if (c.auxiliary) {
    const s = [h / m, w / m];
    if (s.some((x) => x < 5 || auxPooled(x) !== 2))
      throw new ArchitectureError(
        `darts: the auxiliary head (AuxiliaryHeadCIFAR) needs an 8x8 to 10x10 feature map after the last reduction, got ${s.join('x')} (input ${c.input.join('x')})`,
      );
  }
  return c;
}

/** Decision names of node `j` of a cell. */
export const dartsDecisionNames = (cell: DartsCellType, j: number) => ({ inputs: `${cell}.${j}.in`, op1: `${cell}.${j}.op1`, op2: `${cell}.${j}.op2` });

// ---- the genotype text --------------------------------------------------------------------

type Tok = { t: 'id' | 'int' | 'str' | 'p' | 'bad'; v: string; at: number };

function tokenize(s: string, fail: (why: string) => never): Tok[] {
  const out: Tok[] = [];
  let i = 0;
  while (i < s.length) {
    const ch = s[i];
    if (/\s/.test(ch)) {
      i++;
      continue;
    }
    if ('()[],='.includes(ch)) {
      out.push({ t: 'p', v: ch, at: i });
      i++;
      continue;
    }
    if (ch === "'" || ch === '"') {
      const end = s.indexOf(ch, i + 1);
      if (end < 0) {
        // Reported where the parser reaches it: an earlier missing quote is the likelier mistake.
        out.push({ t: 'bad', v: s.slice(i), at: i });
        break;
      }
      out.push({ t: 'str', v: s.slice(i + 1, end), at: i });
      i = end + 1;
      continue;
    }
    const m = /^(?:[A-Za-z_][A-Za-z0-9_]*|-?\d+)/.exec(s.slice(i));
    if (!m) fail(`unexpected character '${ch}' at character ${i + 1}`);
    const word = (m as RegExpExecArray)[0];
    out.push({ t: /^-?\d/.test(word) ? 'int' : 'id', v: word, at: i });
    i += word.length;
  }
  return out;
}

const KEYS = ['normal', 'normal_concat', 'reduce', 'reduce_concat'] as const;

/**
 * Reads genotype text strictly (see the module comment). Syntax errors name the character
 * position; errors of meaning name the cell and node. Returns the pairs as written (not sorted).
 */
export function parseGenotype(text: string): DartsGenotype {
  if (typeof text !== 'string') throw new ArchitectureError('darts: expected a genotype string');
  const short = text.length > 80 ? `${text.slice(0, 77)}...` : text;
  const fail = (why: string): never => {
    throw new ArchitectureError(
      `darts: malformed genotype '${short.replace(/\s+/g, ' ')}': ${why} (expected e.g. Genotype(normal=[('sep_conv_3x3', 0), ('sep_conv_3x3', 1), ...], normal_concat=[2, 3, 4, 5], reduce=[...], reduce_concat=[2, 3, 4, 5]))`,
    );
  };
  const s = text.trim();
  if (!s) fail('it is empty');
  const toks = tokenize(s, fail);
  let k = 0;
  const where = () =>
    k >= toks.length ? 'at the end' : toks[k].t === 'bad' ? `at character ${toks[k].at + 1} (an unterminated string starts there)` : `at character ${toks[k].at + 1} ('${toks[k].v}')`;
  const peek = (v: string) => k < toks.length && toks[k].t === 'p' && toks[k].v === v;
  const expect = (v: string, what = `'${v}'`) => {
    if (!peek(v)) fail(`expected ${what} ${where()}`);
    k++;
  };
  const int = (what: string): number => {
    if (k >= toks.length || toks[k].t !== 'int') fail(`expected ${what} (an integer) ${where()}`);
    return Number(toks[k++].v);
  };
  /** `[x, y, ...]` with an optional trailing comma. */
  const list = <T>(item: () => T, what: string): T[] => {
    expect('[', `'[' starting ${what}`);
    const items: T[] = [];
    while (!peek(']')) {
      items.push(item());
      if (peek(',')) k++;
      else if (!peek(']')) fail(`expected ',' or ']' in ${what} ${where()}`);
    }
    k++;
    return items;
  };
  if (k >= toks.length || toks[k].t !== 'id' || toks[k].v !== 'Genotype') fail(`it must start with 'Genotype(', found '${toks[0].v}'`);
  k++;
  expect('(', "'(' after 'Genotype'");
  const got: Partial<Record<(typeof KEYS)[number], unknown>> = {};
  while (!peek(')')) {
    if (k >= toks.length) fail("missing ')' at the end");
    if (toks[k].t !== 'id') fail(`expected a field name (${KEYS.join(', ')}) ${where()}`);
    const key = toks[k].v as (typeof KEYS)[number];
    if (!KEYS.includes(key)) fail(`unknown field '${key}' (fields: ${KEYS.join(', ')})`);
    if (key in got) fail(`field '${key}' is given twice`);
    k++;
    expect('=', `'=' after '${key}'`);
    if (key === 'normal' || key === 'reduce') {
      got[key] = list(() => {
        expect('(', `'(' starting an ('op', input) pair of ${key}`);
        if (k >= toks.length || toks[k].t !== 'str') fail(`expected an op name in quotes ${where()} in ${key}`);
        const opAt = toks[k].at + 1;
        const op = toks[k++].v;
        if (!/^\w+$/.test(op)) fail(`the op name at character ${opAt} in ${key}, '${op.length > 30 ? `${op.slice(0, 27)}...` : op}', is not a plain name (a closing quote missing?)`);
        expect(',', `',' after op '${op}' in ${key}`);
        const idx = int(`the input node of op '${op}' in ${key}`);
        expect(')', `')' closing the pair ('${op}', ${idx}) in ${key}`);
        return [op, idx] as const;
      }, key);
    } else if (k < toks.length && toks[k].t === 'id' && toks[k].v === 'range') {
      k++;
      expect('(', "'(' after 'range'");
      const a = int('the start of range()');
      expect(',', "',' in range(start, stop)");
      const b = int('the stop of range()');
      expect(')', "')' closing range()");
      got[key] = Array.from({ length: Math.max(0, b - a) }, (_, i) => a + i);
    } else {
      got[key] = list(() => int(`a node index in ${key}`), key);
    }
    if (peek(',')) k++;
    else if (!peek(')')) fail(`expected ',' or ')' ${where()}`);
  }
  k++;
  if (k < toks.length) fail(`unexpected text after the closing ')' ${where()}`);
  for (const key of KEYS) if (!(key in got)) fail(`field '${key}' is missing`);

  const g = got as { normal: [string, number][]; reduce: [string, number][]; normal_concat: number[]; reduce_concat: number[] };
  for (const cell of DARTS_CELLS) {
    const pairs = g[cell];
    if (pairs.length !== 8) fail(`${cell} has ${pairs.length} ('op', input) pair(s); need 8 (two for each of the nodes 2 to 5)`);
    pairs.forEach(([op, idx], p) => {
      const j = 2 + (p >> 1);
      if (op === 'none') fail(`${cell} node ${j}: op 'none' cannot appear in a genotype (DARTS drops zero ops when it derives one)`);
      if (!(DARTS_GENOTYPE_OPS as readonly string[]).includes(op)) fail(`${cell} node ${j}: unknown op '${op}' (ops: ${DARTS_GENOTYPE_OPS.join(', ')})`);
      if (idx < 0 || idx >= j) fail(`${cell} node ${j}: input ${idx} is not an earlier node (node ${j} can read nodes 0 to ${j - 1})`);
    });
    for (let j = 2; j <= 5; j++) {
      const a = pairs[2 * (j - 2)][1];
      const b = pairs[2 * (j - 2) + 1][1];
      if (a === b) fail(`${cell} node ${j} reads node ${a} twice (a node reads two distinct earlier nodes)`);
    }
    const concat = g[`${cell}_concat`];
    if (concat.length !== 4 || concat.some((x, i) => x !== DARTS_CONCAT[i]))
      fail(`${cell}_concat is [${concat.join(', ')}]; this space concatenates all intermediate nodes: [2, 3, 4, 5] or range(2, 6)`);
  }
  return {
    normal: g.normal as unknown as DartsEdge[],
    normal_concat: [...g.normal_concat],
    reduce: g.reduce as unknown as DartsEdge[],
    reduce_concat: [...g.reduce_concat],
  };
}

/** Writes a genotype as Python's namedtuple repr (concat as lists). */
export function formatGenotype(g: DartsGenotype): string {
  const edges = (es: readonly DartsEdge[]) => `[${es.map(([op, i]) => `('${op}', ${i})`).join(', ')}]`;
  return `Genotype(normal=${edges(g.normal)}, normal_concat=[${g.normal_concat.join(', ')}], reduce=${edges(g.reduce)}, reduce_concat=[${g.reduce_concat.join(', ')}])`;
}

// ---- measures ------------------------------------------------------------------------------

/** Parameters and multiply-adds of one op with `c` channels, stride `stride`, on an output of `hw` pixels (a reduce-cell skip is FactorizedReduce). */
export function dartsOpMeasures(op: DartsOp, c: number, stride: number, hw: number): Measures {
  const k = op.endsWith('5x5') ? 25 : 9;
  switch (op) {
    case 'sep_conv_3x3':
    case 'sep_conv_5x5':
      // Two (depthwise kxk, pointwise 1x1, BN) blocks.
      return { params: 2 * (c * k + c * c + 2 * c), flops: 2 * (c * k + c * c) * hw };
    case 'dil_conv_3x3':
    case 'dil_conv_5x5':
      return { params: c * k + c * c + 2 * c, flops: (c * k + c * c) * hw };
    case 'skip_connect':
      return stride === 1 ? { params: 0, flops: 0 } : factorizedReduce(c, c, hw);
    default:
      return { params: 0, flops: 0 };
  }
}
/** FactorizedReduce(cin, cout): two 1x1 stride-2 convs to cout/2 each, concatenated, then BN. */
function factorizedReduce(cin: number, cout: number, hw: number): Measures {
  const half = Math.floor(cout / 2);
  return { params: 2 * cin * half + 2 * cout, flops: 2 * cin * half * hw };
}

// ---- the space -----------------------------------------------------------------------------

/** The DARTS space. Canonical form: each node's two inputs unordered (the values already sort them). */
export class DartsSpace extends DecisionSpace {
  readonly name = 'darts';
  readonly description = 'DARTS cells: normal + reduction, 4 nodes each reading 2 earlier nodes through 7 ops (max/avg_pool_3x3, skip_connect, sep_conv_3x3/5x5, dil_conv_3x3/5x5)';

  constructor() {
    const ds: Decision[] = [];
    for (const cell of DARTS_CELLS) {
      for (const j of DARTS_NODES) {
        const n = dartsDecisionNames(cell, j);
        ds.push(
          inputChoice(
            n.inputs,
            Array.from({ length: j }, (_, i) => i),
            { min: 2, max: 2 },
          ),
        );
        ds.push(categorical(n.op1, DARTS_GENOTYPE_OPS));
        ds.push(categorical(n.op2, DARTS_GENOTYPE_OPS));
      }
    }
    super(ds);
  }

  /** The genotype of an architecture (each node's inputs in increasing order; concat [2, 3, 4, 5]). */
  genotype(arch: Architecture): DartsGenotype {
    this.own(arch);
    const edges = (cell: DartsCellType): DartsEdge[] =>
      DARTS_NODES.flatMap((j) => {
        const n = dartsDecisionNames(cell, j);
        const [a, b] = arch.values[n.inputs] as readonly number[];
        return [
          [arch.values[n.op1] as DartsOp, a],
          [arch.values[n.op2] as DartsOp, b],
        ] as DartsEdge[];
      });
    return { normal: edges('normal'), normal_concat: [...DARTS_CONCAT], reduce: edges('reduce'), reduce_concat: [...DARTS_CONCAT] };
  }

  /** The architecture of a genotype (the two inputs of a node in either order). */
  fromGenotype(g: DartsGenotype): Architecture {
    const values: Record<string, unknown> = {};
    for (const cell of DARTS_CELLS) {
      const es = g[cell];
      if (!Array.isArray(es) || es.length !== 8) throw new ArchitectureError(`darts: ${cell} needs 8 (op, input) pairs`);
      for (const j of DARTS_NODES) {
        let e1 = es[2 * (j - 2)];
        let e2 = es[2 * (j - 2) + 1];
        if (e1[1] > e2[1]) [e1, e2] = [e2, e1];
        const n = dartsDecisionNames(cell, j);
        values[n.inputs] = [e1[1], e2[1]];
        values[n.op1] = e1[0];
        values[n.op2] = e2[0];
      }
      const concat = g[`${cell}_concat`];
      if (!Array.isArray(concat) || concat.length !== 4 || concat.some((x, i) => x !== DARTS_CONCAT[i]))
        throw new ArchitectureError(`darts: ${cell}_concat must be [2, 3, 4, 5]`);
    }
    return this.arch(values);
  }

  /** Reads genotype text (see {@link parseGenotype}); a string starting with `{` is read as the JSON form. */
  override parse(text: string): Architecture {
    if (typeof text === 'string' && text.trim().startsWith('{')) return super.parse(text.trim());
    return this.fromGenotype(parseGenotype(text));
  }

  override format(arch: Architecture): string {
    return formatGenotype(this.genotype(arch));
  }

  /**
   * Parameters and multiply-adds of DARTS's `NetworkCIFAR`, by formula. Stem: conv3x3 (in -> 3C,
   * no bias) + BN. Cells i = 0..N-1; cells N//3 and 2N//3 are reduction cells, which double the
   * channels and halve the size; each cell preprocesses its inputs s0 (FactorizedReduce when the
   * previous cell reduced, else ReLU-conv1x1-BN) and s1 (ReLU-conv1x1-BN) to C channels, applies
   * its ops (stride 2 on nodes 0 and 1 in a reduction cell) and concatenates nodes 2..5 (4C
   * channels). Then global average pooling and a linear classifier. With `auxiliary`, adds
   * `AuxiliaryHeadCIFAR` on cell 2N//3's output (ReLU, avgpool 5/3, conv1x1 -> 128, BN, ReLU,
   * conv2x2 -> 768, BN, ReLU, linear). All batch norms are affine (2 parameters per channel).
   * FLOPs count the multiply-adds of convolutions and linear layers (no biases, batch norm, ReLU,
   * pooling or sums), per image.
   */
  override measure(arch: Architecture, o: DartsNetworkOptions = {}): Measures {
    const g = this.genotype(arch);
    const cfg = dartsConfig(o);
    const [cin, h0, w0] = cfg.input;
    const C = cfg.channels;
    const reductions = dartsReductionCells(cfg.cells);
    const cStem = DARTS_STEM_MULTIPLIER * C;
    let params = 9 * cin * cStem + 2 * cStem;
    let flops = 9 * cin * cStem * h0 * w0;
    let cPP = cStem;
    let cP = cStem;
    let cCur = C;
    let h = h0;
    let w = w0;
    let reductionPrev = false;
    let aux: { c: number; h: number; w: number } | null = null;
    for (let i = 0; i < cfg.cells; i++) {
      const reduction = reductions.includes(i);
      if (reduction) cCur *= 2;
      const hwIn = h * w; // spatial size of s1 (and of s0 after preprocessing)
      const pre0 = reductionPrev ? factorizedReduce(cPP, cCur, hwIn) : { params: cPP * cCur + 2 * cCur, flops: cPP * cCur * hwIn };
      params += pre0.params + cP * cCur + 2 * cCur;
      flops += pre0.flops + cP * cCur * hwIn;
      const ho = reduction ? h / 2 : h;
      const wo = reduction ? w / 2 : w;
      for (const [op, idx] of reduction ? g.reduce : g.normal) {
        const stride = reduction && idx < 2 ? 2 : 1;
        const m = dartsOpMeasures(op, cCur, stride, ho * wo);
        params += m.params;
        flops += m.flops;
      }
      h = ho;
      w = wo;
      reductionPrev = reduction;
      cPP = cP;
      cP = DARTS_CONCAT.length * cCur;
      if (i === dartsAuxCell(cfg.cells)) aux = { c: cP, h, w };
    }
    params += cP * cfg.classes + cfg.classes;
    flops += cP * cfg.classes;
    if (cfg.auxiliary && aux) {
      const ph = auxPooled(aux.h);
      const pw = auxPooled(aux.w);
      params += aux.c * 128 + 2 * 128 + 128 * 768 * 4 + 2 * 768 + 768 * cfg.classes + cfg.classes;
      flops += aux.c * 128 * ph * pw + 128 * 768 * 4 * (ph - 1) * (pw - 1) + 768 * cfg.classes;
    }
    return { params, flops };
  }
}

/** The shared instance. */
export const darts = new DartsSpace();
