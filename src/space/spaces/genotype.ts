/**
 * The genotype text DARTS-family papers print (Python's namedtuple repr):
 * `Genotype(normal=[('sep_conv_3x3', 0), ...], normal_concat=[2, 3, 4, 5], reduce=[...],
 * reduce_concat=[2, 3, 4, 5])`, read strictly and written back. Shared by the cell spaces that
 * use it (DARTS, NASNet); each checks the meaning (how many pairs, which ops, which inputs) itself.
 *
 * Accepted: whitespace and line breaks anywhere between tokens, single or double quotes, trailing
 * commas, and concat lists written as `range(a, b)` (as the DARTS code prints them). Syntax
 * errors name the character position.
 * @module
 */
import { ArchitectureError } from '../errors.js';

/** The two cell types, in genotype order. */
export const GENOTYPE_CELLS = ['normal', 'reduce'] as const;
export type GenotypeCell = (typeof GENOTYPE_CELLS)[number];

/** One `(op, input node)` pair. */
export type GenotypeEdge<Op extends string = string> = readonly [Op, number];

/** A genotype: per cell, its `(op, input)` pairs (two per node, in node order) and the nodes its output concatenates. */
export interface Genotype<Op extends string = string> {
  normal: GenotypeEdge<Op>[];
  normal_concat: number[];
  reduce: GenotypeEdge<Op>[];
  reduce_concat: number[];
}

/** What {@link readGenotype} returns: the fields as written (concat lists absent when optional and left out), and the error function that names the text. */
export interface GenotypeText {
  normal: [string, number][];
  reduce: [string, number][];
  normal_concat?: number[];
  reduce_concat?: number[];
  /** Throws an {@link ArchitectureError} `<space>: malformed genotype '<text>': <why> (expected e.g. <example>)`. */
  fail: (why: string) => never;
}

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
 * Reads genotype text (see the module comment) without judging its meaning. `space` and `example`
 * go into error messages; with `optionalConcat`, the concat fields may be left out.
 */
export function readGenotype(text: string, o: { space: string; example: string; optionalConcat?: boolean }): GenotypeText {
  if (typeof text !== 'string') throw new ArchitectureError(`${o.space}: expected a genotype string`);
  const short = text.length > 80 ? `${text.slice(0, 77)}...` : text;
  const fail = (why: string): never => {
    throw new ArchitectureError(`${o.space}: malformed genotype '${short.replace(/\s+/g, ' ')}': ${why} (expected e.g. ${o.example})`);
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
        return [op, idx] as [string, number];
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
  for (const key of KEYS) if (!(key in got) && !(o.optionalConcat && key.endsWith('_concat'))) fail(`field '${key}' is missing`);
  return { ...(got as Omit<GenotypeText, 'fail'>), fail };
}

/** Writes a genotype as Python's namedtuple repr (concat as lists). */
export function writeGenotype(g: Genotype): string {
  const edges = (es: readonly GenotypeEdge[]) => `[${es.map(([op, i]) => `('${op}', ${i})`).join(', ')}]`;
  return `Genotype(normal=${edges(g.normal)}, normal_concat=[${g.normal_concat.join(', ')}], reduce=${edges(g.reduce)}, reduce_concat=[${g.reduce_concat.join(', ')}])`;
}
