/**
 * Network drawings: a {@link NetGraph} as a stack of boxes, top to bottom. Each node shows its op's
 * label from the op registry (`getOp(op).label(...)`, e.g. `conv 3x3 /2 → 32`) and its output
 * shape; the graph's outputs (`logits`, `aux`) end the stack. Nodes of one drawing group (`cell 3`,
 * `stage 2`) collapse into one grey box by default, showing the group's name, how many ops it
 * holds and the shape it passes on, so a 20-cell network stays readable; `expand` frames each
 * group instead and draws every op inside it.
 * @module
 */
import type { NetGraph } from '../graph/graph.js';
import { getOp } from '../graph/ops.js';
import type { DrawCluster, DrawEdge, DrawNode, Drawing } from './model.js';

/** Options of {@link networkDrawing}. */
export interface NetworkDrawOptions {
  /** Draw every op inside groups (framed) instead of one box per group. */
  expand?: boolean;
  /** Shown above the drawing. */
  title?: string;
}

const shapeText = (s: readonly number[]): string => s.join('x');

/** The label of node `id`: its op's registry label and (except for the input) its output shape. */
function opLabel(g: NetGraph, id: number): string {
  const n = g.nodes[id];
  const text = getOp(n.op).label(
    n.attrs,
    n.inputs.map((i) => g.nodes[i].shape),
    n.shape,
  );
  return n.op === 'input' ? text : `${text}\n${shapeText(n.shape)}`;
}

/** The network graph `g` as a stack drawing (see the module comment). */
export function networkDrawing(g: NetGraph, o: NetworkDrawOptions = {}): Drawing {
  const groups = [...new Set(g.nodes.map((n) => n.group).filter((x) => x !== ''))];
  const groupIndex = new Map(groups.map((x, i) => [x, i]));
  const collapsed = (id: number) => !o.expand && g.nodes[id].group !== '';
  // The box node `id` is drawn in: its own, or its collapsed group's.
  const box = (id: number) => (collapsed(id) ? `group:${g.nodes[id].group}` : g.nodes[id].name);

  // A group passes on the shape of its last node read from outside it (or named as an output).
  const exits = new Map<string, number>();
  const outputIds = new Set(Object.values(g.outputs));
  for (const n of g.nodes) {
    for (const i of n.inputs) {
      const from = g.nodes[i].group;
      if (from && from !== n.group) exits.set(from, Math.max(exits.get(from) ?? -1, i));
    }
    if (n.group && outputIds.has(n.id)) exits.set(n.group, Math.max(exits.get(n.group) ?? -1, n.id));
  }

  const nodes: DrawNode[] = [];
  const clusters: DrawCluster[] = o.expand ? groups.map((x, i) => ({ id: `g${i}`, label: x })) : [];
  const seenGroups = new Set<string>();
  for (const n of g.nodes) {
    if (!collapsed(n.id)) {
      const cluster = n.group ? `g${groupIndex.get(n.group)}` : undefined;
      nodes.push({ id: n.name, label: opLabel(g, n.id), kind: n.op === 'input' ? 'input' : 'op', cluster });
    } else if (!seenGroups.has(n.group)) {
      seenGroups.add(n.group);
      const members = g.nodes.filter((m) => m.group === n.group);
      const exit = exits.get(n.group) ?? members[members.length - 1].id;
      const count = `${members.length} op${members.length === 1 ? '' : 's'}`;
      nodes.push({ id: box(n.id), label: `${n.group}\n${count}\n${shapeText(g.nodes[exit].shape)}`, kind: 'group' });
    }
  }

  const edges: DrawEdge[] = [];
  const seenEdges = new Set<string>();
  const link = (from: string, to: string) => {
    const key = JSON.stringify([from, to]);
    if (from === to || seenEdges.has(key)) return;
    seenEdges.add(key);
    edges.push({ from, to });
  };
  for (const n of g.nodes) for (const i of n.inputs) link(box(i), box(n.id));
  for (const [name, id] of Object.entries(g.outputs)) {
    nodes.push({ id: `output:${name}`, label: `${name}\n${shapeText(g.nodes[id].shape)}`, kind: 'output' });
    link(box(id), `output:${name}`);
  }
  return { title: o.title, direction: 'TB', nodes, edges, clusters };
}
