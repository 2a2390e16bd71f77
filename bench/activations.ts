/**
 * `npm run bench:activations`: forward and backward time of each activation on a feature map of
 * the demo's first stage ([128, 32, 28, 28] by default), in float32 and bfloat16, contiguous and
 * channels-last, side by side in one run: libtorch's op called as it is (the kernel
 * `torch.nn.functional` calls in PyTorch 1.13) and Loom's `F` function, which computes some
 * bfloat16 inputs in float32 and runs GELU and log-sigmoid of channels-last tensors on their NHWC
 * view (`src/engine/functional.ts`). A cell of "error" is an op libtorch 1.13 has no kernel for
 * in that dtype. Each cell is the best of `--rounds` rounds of `--reps` calls, after a warm-up.
 *
 * Options: --shape 128,32,28,28  --threads (all cores)  --reps 20  --rounds 3
 */
import { availableParallelism } from 'node:os';
import { parseArgs } from 'node:util';
import { F, randn, setNumThreads, type Tensor, tidy } from '../src/engine/index.js';

const { values: a } = parseArgs({
  options: {
    shape: { type: 'string', default: '128,32,28,28' },
    threads: { type: 'string' },
    reps: { type: 'string', default: '20' },
    rounds: { type: 'string', default: '3' },
  },
});
const shape = String(a.shape).split(',').map(Number);
const reps = Number(a.reps);
const rounds = Number(a.rounds);
const threads = Number(a.threads ?? availableParallelism());
if (shape.length !== 4 || !shape.every((n) => Number.isInteger(n) && n > 0) || !(reps >= 1) || !(rounds >= 1) || !(threads >= 1)) {
  console.error('bench:activations: --shape takes four positive integers (N,C,H,W); --reps, --rounds and --threads positive integers');
  process.exit(2);
}
setNumThreads(threads);

/** libtorch's op as the addon exposes it, and Loom's routed function, by name. */
const OPS: [string, (x: Tensor) => Tensor, (x: Tensor) => Tensor][] = [
  ['relu', (x) => x.relu(), F.relu],
  ['relu6', (x) => x._unary('relu6'), F.relu6],
  ['hardswish', (x) => x._unary('hardswish'), F.hardswish],
  ['gelu', (x) => x._unary('gelu'), (x) => F.gelu(x)],
  ['gelu (tanh)', (x) => x._unary('gelu_tanh'), (x) => F.gelu(x, 'tanh')],
  ['silu (swish)', (x) => x._unary('silu'), F.silu],
  ['mish', (x) => x._unary('mish'), F.mish],
  ['sigmoid', (x) => x.sigmoid(), F.sigmoid],
  ['tanh', (x) => x.tanh(), F.tanh],
  ['logsigmoid', (x) => x._unary('logsigmoid'), F.logSigmoid],
];

/** Milliseconds per forward and backward of `f`, or null where libtorch has no kernel. */
function time(f: (x: Tensor) => Tensor, x0: Tensor, g: Tensor): number | null {
  const step = () =>
    tidy(() => {
      const x = x0.detach().requiresGrad_();
      f(x).backward(g);
    });
  try {
    for (let i = 0; i < 3; i++) step();
  } catch {
    return null;
  }
  let best = Number.POSITIVE_INFINITY;
  for (let r = 0; r < rounds; r++) {
    const t = performance.now();
    for (let i = 0; i < reps; i++) step();
    best = Math.min(best, (performance.now() - t) / reps);
  }
  return best;
}

const cell = (ms: number | null) => (ms === null ? 'error' : ms.toFixed(1));
const columns: [string, 'float32' | 'bfloat16', 'contiguous' | 'channels_last'][] = [
  ['float32 NCHW', 'float32', 'contiguous'],
  ['float32 channels-last', 'float32', 'channels_last'],
  ['bfloat16 NCHW', 'bfloat16', 'contiguous'],
  ['bfloat16 channels-last', 'bfloat16', 'channels_last'],
];
console.log(`bench:activations: forward + backward of [${shape.join(', ')}], ms (libtorch's op / Loom's F), ${threads} thread(s), best of ${rounds} x ${reps}`);
console.log(`activation | ${columns.map(([c]) => c).join(' | ')}`);
console.log(`--- | ${columns.map(() => '---').join(' | ')}`);
const base = randn(shape);
const grad = randn(shape);
for (const [name, raw, loom] of OPS) {
  const cells = columns.map(([, dtype, format]) => {
    const x = base.to({ dtype }).contiguous(format);
    const g = grad.to({ dtype }).contiguous(format);
    return `${cell(time(raw, x, g))} / ${cell(time(loom, x, g))}`;
  });
  console.log(`${name} | ${cells.join(' | ')}`);
}
