/**
 * What the demo-space benchmarks (`demo-proxies.ts`, `precision.ts`) share: the networks named by
 * `--archs` and the demo's training split.
 * @module
 */
import { readFileSync } from 'node:fs';
import { loadDataset } from '../src/data/datasets.js';

/** Architectures' values by file name, from a comma-separated list of `arch.json` files. */
export function readArchFiles(list: string): Record<string, Record<string, unknown>> {
  return Object.fromEntries(list.split(',').map((f) => [f, (JSON.parse(readFileSync(f, 'utf8')) as { values: Record<string, unknown> }).values]));
}

/** Fashion-MNIST's training split with 5000 images held out for validation, as the demo's trials see it. */
export function demoSplit(seed: number) {
  const d = loadDataset('fashion-mnist', { valSize: 5000, seed, includeTest: false });
  return { train: d.train, val: d.val, numClasses: 10, inputShape: [1, 28, 28] };
}
