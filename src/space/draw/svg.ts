/**
 * SVG from DOT, laid out by Graphviz itself: `@viz-js/viz` is Graphviz compiled to WebAssembly,
 * so no system Graphviz is needed. The library (1.2 MB of JavaScript with the WebAssembly
 * inlined) is loaded on the first call only, so code that never draws SVG never loads it.
 * @module
 */
import type { Viz } from '@viz-js/viz';
import type { Drawing } from './model.js';
import { toDot } from './dot.js';

let viz: Promise<Viz> | undefined;

/** The shared Graphviz instance, created on first use. */
function graphviz(): Promise<Viz> {
  viz ??= import('@viz-js/viz').then((m) => m.instance());
  return viz;
}

/**
 * Lays out DOT text with Graphviz's `dot` engine and returns the SVG document. Throws an Error
 * with Graphviz's messages when the text is not valid DOT.
 */
export async function dotToSvg(dot: string): Promise<string> {
  const r = (await graphviz()).render(dot, { format: 'svg', engine: 'dot' });
  if (r.status !== 'success') {
    const why = r.errors.filter((e) => e.level !== 'warning').map((e) => e.message.trim());
    throw new Error(`Graphviz could not lay out the drawing: ${why.join('; ') || 'unknown error'}`);
  }
  return r.output;
}

/** A drawing as an SVG document (via {@link toDot} and {@link dotToSvg}). */
export async function drawingToSvg(d: Drawing, name?: string): Promise<string> {
  return dotToSvg(toDot(d, name));
}
