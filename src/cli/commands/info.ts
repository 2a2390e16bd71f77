/**
 * `loom info`: versions, libtorch, threads, CUDA, the CPU's bfloat16 and where the addon lives.
 * @module
 */
import { availableParallelism } from 'node:os';
import { addonPath, cpuHasBfloat16, cuda, getNumThreads, version } from '../../engine/index.js';
import { packageInfo } from '../package-info.js';

export interface InfoResult {
  loom: string;
  node: string;
  platform: string;
  arch: string;
  libtorch: string;
  /** libtorch's intra-op threads right now (libtorch's default, as `loom demo` has not set it). */
  threads: number;
  cpus: number;
  parallelBackend: string;
  cuda: { available: boolean; devices: number };
  /** Whether the CPU has bfloat16 instructions, so `--precision auto` trains in bfloat16 mixed precision. */
  cpuBfloat16: boolean;
  addon: string;
}

/** Collects what `loom info` shows. */
export function collectInfo(): InfoResult {
  const v = version();
  const backend = /ATen parallel backend: *(.*)/.exec(v.parallel)?.[1]?.trim() ?? 'unknown';
  const devices = cuda.deviceCount();
  return {
    loom: packageInfo().version,
    node: process.version,
    platform: process.platform,
    arch: process.arch,
    libtorch: v.torch,
    threads: getNumThreads(),
    cpus: availableParallelism(),
    parallelBackend: backend,
    cuda: { available: devices > 0, devices },
    cpuBfloat16: cpuHasBfloat16(),
    addon: addonPath(),
  };
}

export function info(opts: { json?: boolean }): void {
  const i = collectInfo();
  if (opts.json) {
    process.stdout.write(`${JSON.stringify(i)}\n`);
    return;
  }
  const rows: [string, string][] = [
    ['loom', i.loom],
    ['node', `${i.node} (${i.platform}-${i.arch})`],
    ['libtorch', i.libtorch],
    ['threads', `${i.threads} intra-op (of ${i.cpus} CPUs; ${i.parallelBackend})`],
    ['cuda', i.cuda.available ? `available, ${i.cuda.devices} device(s)` : 'not available'],
    ['bfloat16', i.cpuBfloat16 ? 'the CPU has bfloat16 instructions: --precision auto trains in bfloat16 mixed precision' : 'no bfloat16 instructions on the CPU: --precision auto trains in float32'],
    ['addon', i.addon],
  ];
  const w = Math.max(...rows.map(([k]) => k.length));
  process.stdout.write(`${rows.map(([k, v]) => `${k.padEnd(w)}  ${v}`).join('\n')}\n`);
}
