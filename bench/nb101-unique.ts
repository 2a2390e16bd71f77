/**
 * `node dist/bench/nb101-unique.js`: enumerates the NAS-Bench-101 space and counts its unique
 * cells (distinct graph hashes of pruned cells; the benchmark reports 423,624), printing one JSON
 * line with the count and the run time. Every 7x7 strictly upper-triangular matrix with at most 9
 * edges whose output is reachable is pruned; each distinct pruned matrix is then labelled with every
 * assignment of the 3 ops to its inner nodes and hashed (`graph_util.hash_module`).
 */
import { NB101_OPS, hashModule, prune } from '../src/space/index.js';

const t0 = performance.now();
const N = 7;
const edges: [number, number][] = [];
for (let a = 0; a < N; a++) for (let b = a + 1; b < N; b++) edges.push([a, b]);
const pruned = new Map<string, number[][]>();
const blank = new Array<string>(N).fill('');
let connected = 0;
for (let mask = 0; mask < 1 << edges.length; mask++) {
  let bits = 0;
  for (let x = mask; x; x &= x - 1) bits++;
  if (bits > 9) continue;
  const m = Array.from({ length: N }, () => new Array<number>(N).fill(0));
  edges.forEach(([a, b], k) => {
    m[a][b] = (mask >> k) & 1;
  });
  const p = prune({ matrix: m, ops: blank });
  if (!p) continue;
  connected++;
  pruned.set(JSON.stringify(p.matrix), p.matrix);
}
const t1 = performance.now();
const hashes = new Set<string>();
let labelled = 0;
for (const m of pruned.values()) {
  const inner = m.length - 2;
  for (let code = 0; code < 3 ** inner; code++) {
    const ops = ['input'];
    for (let i = 0, c = code; i < inner; i++, c = Math.floor(c / 3)) ops.push(NB101_OPS[c % 3]);
    ops.push('output');
    hashes.add(hashModule({ matrix: m, ops }));
    labelled++;
  }
}
const t2 = performance.now();
console.log(
  JSON.stringify({
    bench: 'nb101-unique',
    connectedMatrices: connected,
    prunedMatrices: pruned.size,
    labelledCells: labelled,
    unique: hashes.size,
    expected: 423624,
    matrixSeconds: +((t1 - t0) / 1000).toFixed(1),
    hashSeconds: +((t2 - t1) / 1000).toFixed(1),
    seconds: +((t2 - t0) / 1000).toFixed(1),
  }),
);
