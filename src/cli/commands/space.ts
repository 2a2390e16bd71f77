/**
 * `loom space list|info|sample` and `loom arch stats`: search spaces and architectures. These need
 * no native addon (parameter counts and FLOPs come from formulas).
 * @module
 */
import { existsSync, readFileSync, statSync } from 'node:fs';
import type { Architecture } from '../../space/architecture.js';
import { getSpace, PACKAGED_SPACES, packagedSpaceFile, spaceNames } from '../../space/registry.js';
import type { NetworkOptions, SearchSpace } from '../../space/space.js';
import { UsageError } from '../errors.js';

const out = (s: string): void => {
  process.stdout.write(`${s}\n`);
};
const fmtInt = (n: number) => n.toLocaleString('en-US');
const fmtSize = (n: number | string | null) => (typeof n === 'number' ? fmtInt(n) : (n ?? '-'));

/** The search space named on the command line; an unknown name is a {@link UsageError}. */
export function space(name: string): SearchSpace {
  try {
    return getSpace(name);
  } catch (e) {
    throw new UsageError((e as Error).message);
  }
}

export function spaceList(o: { json?: boolean }): void {
  // Built-in spaces, then the packaged example spaces whose files are there (looked up once each).
  const entries: [string, string | null][] = [
    ...spaceNames().map((n): [string, null] => [n, null]),
    ...PACKAGED_SPACES.map((n): [string, string | null] => [n, packagedSpaceFile(n)]).filter(([, file]) => file !== null),
  ];
  const rows = entries.map(([n, file]) => {
    const i = getSpace(n).describe();
    return { name: i.name, description: i.description, decisions: i.decisions.length, size: i.size, unique: i.unique, ...(file ? { file } : {}) };
  });
  if (o.json) {
    out(JSON.stringify(rows));
    return;
  }
  const cells = rows.map((r) => ({ ...r, size: String(fmtSize(r.size)), unique: String(fmtSize(r.unique)) }));
  const w = Math.max(4, ...cells.map((r) => r.name.length));
  const ws = Math.max(4, ...cells.map((r) => r.size.length));
  const wu = Math.max(6, ...cells.map((r) => r.unique.length));
  out(`${'name'.padEnd(w)}  ${'size'.padStart(ws)}  ${'unique'.padStart(wu)}  description`);
  for (const r of cells) out(`${r.name.padEnd(w)}  ${r.size.padStart(ws)}  ${r.unique.padStart(wu)}  ${r.file ? '(example space, JSON) ' : ''}${r.description}`);
}

export function spaceInfo(name: string, o: { json?: boolean }): void {
  const i = space(name).describe();
  if (o.json) {
    out(JSON.stringify(i));
    return;
  }
  out(`${i.name}: ${i.description}`);
  out(`size ${fmtSize(i.size)} architectures; unique (non-isomorphic) ${fmtSize(i.unique)}`);
  out(`decisions (${i.decisions.length}):`);
  const nameWidth = Math.max(8, ...i.decisions.map((d) => String(d.name).length));
  for (const d of i.decisions) {
    const dom =
      d.kind === 'categorical'
        ? (d.choices as unknown[]).join(', ')
        : d.kind === 'input'
          ? `${d.min}..${d.max} of [${(d.candidates as number[]).join(', ')}]`
          : `${d.low}..${d.high}${d.kind === 'float' && d.log ? ' (log)' : ''}`;
    out(`  ${String(d.name).padEnd(nameWidth)} ${String(d.kind).padEnd(11)} ${dom}`);
  }
  if (i.constraints.length) out(`constraints: ${i.constraints.join(', ')}`);
  out(`encodings: ${Object.entries(i.encodings).map(([k, v]) => `${k} (${v})`).join(', ')}`);
}

export function spaceSample(name: string, o: { n: number; seed: number; json?: boolean }): void {
  const s = space(name);
  const archs = s.sampleMany(o.n, o.seed);
  if (o.json) {
    const canon = (a: Architecture) => (s.uniqueCount() !== undefined ? s.format(s.canonicalize(a)) : undefined);
    out(JSON.stringify(archs.map((a) => ({ arch: s.format(a), hash: a.hash, canonical: canon(a), values: a.values }))));
    return;
  }
  for (const a of archs) out(s.format(a));
}

/** Reads `<arch>`: a JSON file (an existing path, or one ending in .json) or the space's text form. */
export function readArch(s: SearchSpace, text: string): Architecture {
  const isFile = text.endsWith('.json') || (!text.includes('|') && !text.trim().startsWith('{') && existsSync(text) && statSync(text).isFile());
  if (!isFile) return s.parse(text);
  let json: unknown;
  try {
    json = JSON.parse(readFileSync(text, 'utf8'));
  } catch (e) {
    throw new UsageError(`${text}: ${(e as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : `not valid JSON (${(e as Error).message})`}`);
  }
  return s.fromJSON(json);
}

export interface ArchStatsOptions extends NetworkOptions {
  /** Build the space's auxiliary head (DARTS-family spaces). */
  auxiliary?: boolean;
  json?: boolean;
}

export function archStats(name: string, text: string, o: ArchStatsOptions): void {
  const s = space(name);
  if (!s.measure) throw new UsageError(`space '${name}' has no parameter/FLOPs formula yet`);
  const arch = readArch(s, text);
  const net: NetworkOptions & { auxiliary?: boolean } = { input: o.input, classes: o.classes, channels: o.channels, cells: o.cells, auxiliary: o.auxiliary };
  if (o.auxiliary && s.graph?.(arch, net).outputs.aux === undefined) throw new UsageError(`space '${name}' has no auxiliary head (--auxiliary is for darts and nasnet)`);
  const m = s.measure(arch, net);
  const res = {
    space: s.name,
    arch: s.format(arch),
    hash: arch.hash,
    canonical: s.uniqueCount() !== undefined ? s.format(s.canonicalize(arch)) : undefined,
    ...Object.fromEntries(Object.entries(net).filter(([, v]) => v !== undefined)),
    params: m.params,
    flops: m.flops,
    mainParams: m.mainParams,
    trainActivationBytes: m.trainActivationBytes,
    inferencePeakBytes: m.inferencePeakBytes,
  };
  if (o.json) {
    out(JSON.stringify(res));
    return;
  }
  out(`${res.arch}`);
  out(`params ${fmtInt(m.params)} (${(m.params / 1e6).toFixed(3)}M)`);
  if (m.mainParams !== undefined && m.mainParams !== m.params) out(`       ${fmtInt(m.mainParams)} without the auxiliary head (${(m.mainParams / 1e6).toFixed(3)}M)`);
  out(`flops  ${fmtInt(m.flops)} multiply-adds (${(m.flops / 1e6).toFixed(2)}M)`);
  const mib = (b: number) => `${(b / 2 ** 20).toFixed(2)} MiB`;
  if (m.trainActivationBytes !== undefined) out(`memory ${mib(m.trainActivationBytes)} of activations per sample kept for training`);
  if (m.inferencePeakBytes !== undefined) out(`       ${mib(m.inferencePeakBytes)} peak activations per sample in inference`);
}
