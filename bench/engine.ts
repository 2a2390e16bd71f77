/**
 * `npm run bench:engine`: Loom's engine against Python PyTorch on the same machine, in the same run.
 *
 * Prints one JSON line per workload: `cnn`, `cnn-cl` (the same CNN with its convolution weights
 * laid out channels-last on both sides, as Loom trains on a CPU), `cnn-bf16` (`cnn-cl` with its
 * forward pass autocast to bfloat16 on both sides: `autocast` / `torch.autocast`; not in the
 * default list, as it is slower than float32 on CPUs without bfloat16 instructions) and `mlp` (ms per training step), `op` (µs per 1-element
 * add) and `leak` (resident memory growth over many `cnn` steps). `ratio` is Python's time over
 * Loom's (above 1: Loom is faster). Both sides: 1 thread, fixed seeds, random inputs,
 * 10 warm-up steps, then the timed steps; the two sides alternate rounds and each keeps its best.
 *
 * Options: --workloads cnn,cnn-cl,mlp,op,leak (and cnn-bf16)  --steps 100  --rounds 2  --leak-steps 10000
 *          --device cpu|cuda  --batch N  --python /usr/bin/python3
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import {
  type Device,
  F,
  type Optimizer,
  SGD,
  Adam,
  type Tensor,
  cuda,
  keep,
  manualSeed,
  memory,
  noGrad,
  randint,
  randn,
  setNumThreads,
  tensor,
  tidy,
  zeros,
  ones,
  autocast,
} from '../src/engine/index.js';

const { values: args } = parseArgs({
  options: {
    workloads: { type: 'string', default: 'cnn,cnn-cl,mlp,op,leak' },
    steps: { type: 'string', default: '100' },
    warmup: { type: 'string', default: '10' },
    rounds: { type: 'string', default: '2' },
    'leak-steps': { type: 'string', default: '10000' },
    device: { type: 'string', default: 'cpu' },
    batch: { type: 'string' },
    threads: { type: 'string', default: '1' },
    python: { type: 'string' },
  },
});
const steps = Number(args.steps);
const warmup = Number(args.warmup);
const rounds = Number(args.rounds);
const device = args.device as Device;
const threads = Number(args.threads);
setNumThreads(threads);
if (device !== 'cpu' && !cuda.isAvailable()) {
  console.error(`bench: device ${device} requested but CUDA is not available in this libtorch build`);
  process.exit(2);
}

const here = dirname(fileURLToPath(import.meta.url));
const repo = [join(here, '..'), join(here, '..', '..')].find((d) => existsSync(join(d, 'bench', 'engine_torch.py')))!;
const pyScript = join(repo, 'bench', 'engine_torch.py');
const python = args.python ?? process.env.LOOM_PYTHON ?? (existsSync('/usr/bin/python3') ? '/usr/bin/python3' : 'python3');

function runPython(workload: string, batch?: number): Record<string, number> | null {
  const a = [pyScript, '--workload', workload, '--steps', String(steps), '--warmup', String(warmup), '--device', device, '--threads', String(threads)];
  if (batch) a.push('--batch', String(batch));
  const r = spawnSync(python, a, { encoding: 'utf8' });
  if (r.status !== 0) {
    console.error(`bench: Python side failed (${python}): ${(r.stderr || r.error?.message || '').trim().split('\n').pop()}`);
    console.error('bench: install Debian\'s python3-torch (apt-get install python3-torch) or pass --python');
    return null;
  }
  return JSON.parse(r.stdout.trim().split('\n').pop()!);
}

// ---- models (plain parameters and F, the same layers as engine_torch.py) ----------------------

interface Model {
  params: Tensor[];
  /** Tensors the model holds that are not trained (batch-norm running statistics). */
  buffers: Tensor[];
  forward(x: Tensor): Tensor;
}

function param(shape: number[], fanIn: number): Tensor {
  return keep(tidy(() => randn(shape, { device }).mul(1 / Math.sqrt(fanIn)).requiresGrad_()));
}

function bn(c: number) {
  const weight = keep(ones([c], { device }).requiresGrad_());
  const bias = keep(zeros([c], { device }).requiresGrad_());
  const rm = keep(zeros([c], { device }));
  const rv = keep(ones([c], { device }));
  return { params: [weight, bias], buffers: [rm, rv], apply: (x: Tensor) => F.batchNorm(x, rm, rv, { weight, bias, training: true, momentum: 0.1, eps: 1e-5 }) };
}

function cnnModel(): Model {
  const w1 = param([32, 1, 3, 3], 9);
  const b1 = bn(32);
  const w2 = param([64, 32, 3, 3], 288);
  const b2 = bn(64);
  const w3 = param([64, 1, 3, 3], 9);
  const w4 = param([128, 64, 1, 1], 64);
  const b3 = bn(128);
  const fw = param([10, 128], 128);
  const fb = keep(zeros([10], { device }).requiresGrad_());
  return {
    params: [w1, ...b1.params, w2, ...b2.params, w3, w4, ...b3.params, fw, fb],
    buffers: [...b1.buffers, ...b2.buffers, ...b3.buffers],
    forward(x) {
      let h = b1.apply(F.conv2d(x, w1, null, { padding: 1 })).relu();
      h = b2.apply(F.conv2d(h, w2, null, { stride: 2, padding: 1 })).relu();
      h = F.conv2d(h, w3, null, { padding: 1, groups: 64 });
      h = b3.apply(F.conv2d(h, w4)).relu();
      h = F.adaptiveAvgPool2d(h, 1).flatten(1);
      return F.linear(h, fw, fb);
    },
  };
}

function mlpModel(): Model {
  const l1w = param([128, 64], 64);
  const l1b = keep(zeros([128], { device }).requiresGrad_());
  const l2w = param([128, 128], 128);
  const l2b = keep(zeros([128], { device }).requiresGrad_());
  const l3w = param([10, 128], 128);
  const l3b = keep(zeros([10], { device }).requiresGrad_());
  return {
    params: [l1w, l1b, l2w, l2b, l3w, l3b],
    buffers: [],
    forward(x) {
      return F.linear(F.linear(F.linear(x, l1w, l1b).relu(), l2w, l2b).relu(), l3w, l3b);
    },
  };
}

type TrainWorkload = 'cnn' | 'cnn-cl' | 'cnn-bf16' | 'mlp';

function setup(workload: TrainWorkload, batch: number) {
  manualSeed(0);
  const cnn = workload !== 'mlp';
  const model = cnn ? cnnModel() : mlpModel();
  if (workload === 'cnn-cl' || workload === 'cnn-bf16') {
    // What Module.to({ memoryFormat: 'channels_last' }) does, on the plain parameters.
    noGrad(() => {
      for (const p of model.params.filter((t) => t.ndim === 4)) {
        const laid = p.contiguous('channels_last');
        p.setData_(laid);
        laid.dispose();
      }
    });
  }
  const x = keep(cnn ? randn([batch, 1, 28, 28], { device }) : randn([batch, 64], { device }));
  const y = keep(randint(0, 10, [batch], { device }));
  const opt: Optimizer =
    cnn ? new SGD(model.params, { lr: 0.05, momentum: 0.9, weightDecay: 5e-4 }) : new Adam(model.params, { lr: 1e-3 });
  const step = (): void =>
    tidy(() => {
      opt.zeroGrad();
      const logits = workload === 'cnn-bf16' ? autocast(() => model.forward(x), { device: device === 'cpu' ? 'cpu' : 'cuda' }) : model.forward(x);
      const loss = F.crossEntropy(logits, y);
      loss.backward();
      opt.step();
    });
  return { step, dispose: () => { opt.dispose(); for (const t of [...model.params, ...model.buffers, x, y]) t.dispose(); } };
}

function timeTraining(workload: TrainWorkload, batch: number): number {
  const s = setup(workload, batch);
  for (let i = 0; i < warmup; i++) s.step();
  if (device !== 'cpu') cuda.synchronize();
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < steps; i++) s.step();
  if (device !== 'cpu') cuda.synchronize();
  const ms = Number(process.hrtime.bigint() - t0) / 1e6 / steps;
  s.dispose();
  return ms;
}

function timeOp(n = 100000): number {
  const a = tensor([1]);
  const b = tensor([1]);
  let best = Number.POSITIVE_INFINITY;
  for (let r = 0; r < 5; r++) {
    const t0 = process.hrtime.bigint();
    for (let i = 0; i < n; i++) {
      const c = a.add(b);
      c.dispose();
    }
    best = Math.min(best, Number(process.hrtime.bigint() - t0) / 1e3 / n);
  }
  a.dispose();
  b.dispose();
  return best;
}

const round3 = (v: number) => Math.round(v * 1000) / 1000;

for (const w of args.workloads!.split(',')) {
  if (w === 'cnn' || w === 'cnn-cl' || w === 'cnn-bf16' || w === 'mlp') {
    const batch = Number(args.batch ?? (w === 'mlp' ? 32 : 64));
    let loom = Number.POSITIVE_INFINITY;
    let py = Number.POSITIVE_INFINITY;
    for (let r = 0; r < rounds; r++) {
      loom = Math.min(loom, timeTraining(w, batch));
      const p = runPython(w, batch);
      if (p) py = Math.min(py, p.ms_per_step);
    }
    const pyOk = Number.isFinite(py);
    console.log(
      JSON.stringify({
        workload: w, device, batch, threads, steps,
        loom_ms_per_step: round3(loom),
        python_ms_per_step: pyOk ? round3(py) : null,
        ratio: pyOk ? round3(py / loom) : null,
      }),
    );
  } else if (w === 'op') {
    let loom = Number.POSITIVE_INFINITY;
    let py = Number.POSITIVE_INFINITY;
    for (let r = 0; r < rounds; r++) {
      loom = Math.min(loom, timeOp());
      const p = runPython('op');
      if (p) py = Math.min(py, p.us_per_op);
    }
    const pyOk = Number.isFinite(py);
    console.log(
      JSON.stringify({
        workload: 'op', loom_us_per_op: round3(loom), python_us_per_op: pyOk ? round3(py) : null,
        ratio: pyOk ? round3(py / loom) : null, loom_over_python: pyOk ? round3(loom / py) : null,
      }),
    );
  } else if (w === 'leak') {
    const total = Number(args['leak-steps']);
    const liveBefore = memory().liveTensors;
    const s = setup('cnn', 64);
    let rssAfterWarm = 0;
    const t0 = Date.now();
    for (let i = 0; i < total; i++) {
      s.step();
      if (i === Math.min(499, total - 1)) {
        global.gc?.();
        rssAfterWarm = process.memoryUsage().rss;
      }
    }
    s.dispose();
    global.gc?.();
    const rssEnd = process.memoryUsage().rss;
    console.log(
      JSON.stringify({
        workload: 'leak', steps: total,
        rss_after_500_mb: round3(rssAfterWarm / 2 ** 20),
        rss_end_mb: round3(rssEnd / 2 ** 20),
        growth_mb: round3((rssEnd - rssAfterWarm) / 2 ** 20),
        live_tensors_before: liveBefore,
        live_tensors_after: memory().liveTensors,
        seconds: round3((Date.now() - t0) / 1000),
      }),
    );
  } else {
    console.error(`bench: unknown workload '${w}' (expected cnn, cnn-cl, cnn-bf16, mlp, op, leak)`);
    process.exit(2);
  }
}
