/**
 * Graphviz DOT text of a {@link Drawing}. Every id and label is written as a quoted DOT string
 * ({@link dotString}), so any text is safe; node kinds map to fixed styles (inputs green, outputs
 * yellow, cell states blue, as DARTS's `visualize.py` colours them; ops white, collapsed groups
 * grey). The output is deterministic: the same drawing gives the same text.
 * @module
 */
import { type DrawNode, type DrawNodeKind, type Drawing, checkDrawing } from './model.js';

/**
 * `s` as a quoted DOT string. Backslashes and double quotes are escaped, line breaks become DOT's
 * `\n` (a centred line break in labels), other control characters become spaces.
 */
export function dotString(s: string): string {
  const body = s
    .replace(/\\/g, '\\\\')
    .replace(/"/g, '\\"')
    .replace(/\r\n|\r|\n/g, '\\n')
    // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what this replaces
    .replace(/[\u0000-\u001f\u007f]/g, ' ');
  return `"${body}"`;
}

const FONT = 'Helvetica';

const KIND_STYLE: Readonly<Record<DrawNodeKind, Readonly<Record<string, string>>>> = {
  input: { shape: 'box', style: 'rounded,filled', fillcolor: 'darkseagreen2' },
  output: { shape: 'box', style: 'rounded,filled', fillcolor: 'palegoldenrod' },
  state: { shape: 'box', style: 'rounded,filled', fillcolor: 'lightblue' },
  op: { shape: 'box', style: 'rounded,filled', fillcolor: 'white' },
  group: { shape: 'box', style: 'filled', fillcolor: 'gray90', penwidth: '1.5' },
};

/** `[k=v, ...]` with every value quoted. */
function attrList(attrs: Readonly<Record<string, string | undefined>>): string {
  const parts = Object.entries(attrs)
    .filter((e): e is [string, string] => e[1] !== undefined)
    .map(([k, v]) => `${k}=${dotString(v)}`);
  return parts.length ? ` [${parts.join(', ')}]` : '';
}

const nodeLine = (n: DrawNode, indent: string): string => `${indent}${dotString(n.id)}${attrList({ label: n.label, ...KIND_STYLE[n.kind] })};`;

/** The DOT text of a drawing (a `digraph`); checks the drawing first (see {@link checkDrawing}). */
export function toDot(d: Drawing, name = 'architecture'): string {
  checkDrawing(d);
  const lines: string[] = [`digraph ${dotString(name)} {`];
  lines.push(
    `  graph${attrList({ rankdir: d.direction, fontname: FONT, fontsize: '14', labelloc: 't', label: d.title, nodesep: '0.3', ranksep: d.direction === 'LR' ? '0.6' : '0.3' })};`,
  );
  lines.push(`  node${attrList({ fontname: FONT, fontsize: '12', margin: '0.12,0.06' })};`);
  lines.push(`  edge${attrList({ fontname: FONT, fontsize: '10' })};`);
  // Graphviz lays out LR as a rotated TB layout, which puts the first nodes of a rank at the
  // bottom; declaring nodes and clusters in reverse order keeps the drawing's order top-down.
  const inOrder = <T>(xs: readonly T[]): readonly T[] => (d.direction === 'LR' ? [...xs].reverse() : xs);
  const nodes = inOrder(d.nodes);
  for (const n of nodes) if (n.cluster === undefined) lines.push(nodeLine(n, '  '));
  for (const c of inOrder(d.clusters)) {
    lines.push(`  subgraph ${dotString(`cluster_${c.id}`)} {`);
    lines.push(`    graph${attrList({ label: c.label, style: 'rounded', color: 'gray60' })};`);
    for (const n of nodes) if (n.cluster === c.id) lines.push(nodeLine(n, '    '));
    lines.push('  }');
  }
  for (const e of d.edges) {
    lines.push(`  ${dotString(e.from)} -> ${dotString(e.to)}${attrList({ label: e.label, color: e.faint ? 'gray60' : undefined })};`);
  }
  lines.push('}');
  return `${lines.join('\n')}\n`;
}
