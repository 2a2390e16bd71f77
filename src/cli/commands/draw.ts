/**
 * `loom arch draw <space> <arch> -o out.svg|out.dot`: an architecture's cell as a DAG, or its
 * network as a stack (`--network`), as SVG laid out by Graphviz (WebAssembly, loaded only for SVG)
 * or as Graphviz DOT text. Needs no native addon.
 * @module
 */
import { renameSync, unlinkSync, writeFileSync } from 'node:fs';
import { basename, dirname, extname, join } from 'node:path';
import { cellDrawer, drawArchitecture, drawingToSvg, toDot } from '../../space/draw/index.js';
import type { NetworkOptions } from '../../space/space.js';
import { UsageError } from '../errors.js';
import { readArch, space as namedSpace } from './space.js';

/** Options of {@link archDraw}. */
export interface ArchDrawOptions extends NetworkOptions {
  /** Output file; its extension (.svg or .dot) sets the format. */
  output: string;
  network?: boolean;
  expand?: boolean;
  auxiliary?: boolean;
  cell?: string;
}

const FORMATS = ['.svg', '.dot'] as const;

const WRITE_ERRORS: Readonly<Record<string, string>> = {
  ENOENT: 'its folder does not exist',
  ENOTDIR: 'its folder does not exist',
  EACCES: 'permission denied',
  EPERM: 'permission denied',
  EROFS: 'read-only file system',
  EISDIR: 'it is a folder',
  ENOSPC: 'no space left on the device',
};

/**
 * Writes `text` to `path` atomically: to a temporary file in the same folder, then renamed over
 * `path`, so a failure never leaves a partial file. Throws a {@link UsageError} saying why.
 */
export function writeFileAtomic(path: string, text: string): void {
  const tmp = join(dirname(path), `.${basename(path)}.${process.pid}.${Math.random().toString(36).slice(2)}.tmp`);
  try {
    writeFileSync(tmp, text);
    renameSync(tmp, path);
  } catch (e) {
    try {
      unlinkSync(tmp);
    } catch {
      // never created, or already gone
    }
    const code = String((e as NodeJS.ErrnoException).code);
    throw new UsageError(`cannot write ${path}: ${WRITE_ERRORS[code] ?? (e as Error).message}`);
  }
}

/** `loom arch draw`: draws the architecture and prints the path written. */
export async function archDraw(name: string, text: string, o: ArchDrawOptions): Promise<void> {
  const ext = extname(o.output).toLowerCase();
  if (!(FORMATS as readonly string[]).includes(ext)) {
    throw new UsageError(`-o ${o.output}: unknown drawing format '${ext || '(no extension)'}' (use .svg or .dot)`);
  }
  const space = namedSpace(name);
  const cells = o.network ? undefined : cellDrawer(space);
  if (o.cell !== undefined) {
    if (o.network) throw new UsageError('--cell applies to cell drawings, not to --network');
    if (!cells?.cells.length) throw new UsageError(`--cell: space '${space.name}' has no cell types to pick from`);
  }
  if (cells) {
    const netFlags = (['input', 'classes', 'channels', 'cells'] as const).filter((k) => o[k] !== undefined).map((k) => `--${k}`);
    for (const k of ['expand', 'auxiliary'] as const) if (o[k]) netFlags.push(`--${k}`);
    if (netFlags.length) throw new UsageError(`${netFlags.join(', ')} appl${netFlags.length === 1 ? 'ies' : 'y'} to network drawings: add --network`);
  }
  const arch = readArch(space, text);
  const drawing = drawArchitecture(space, arch, o);
  // SVG loads Graphviz (WebAssembly) here, on first use.
  const out = ext === '.svg' ? await drawingToSvg(drawing, space.name) : toDot(drawing, space.name);
  writeFileAtomic(o.output, out);
  process.stdout.write(`${o.output}\n`);
}
