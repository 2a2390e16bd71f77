import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Adam, AdamW, CosineAnnealingLR, type Optimizer, SGD, StepLR, WarmupLR, clipGradNorm, dispose, memory, tensor, tidy } from '../../src/engine/index.js';

// Reference values computed with Python torch.optim (torch 1.13) on the same problem:
// p = [0.5, -1, 2] (float64); three steps on loss_k = sum(p^3) + (k+1) * sum(p^2).
function run(make: (ps: ReturnType<typeof tensor>[]) => Optimizer): number[] {
  const p = tensor([0.5, -1.0, 2.0], { dtype: 'float64', requiresGrad: true });
  const opt = make([p]);
  for (let k = 0; k < 3; k++) {
    opt.zeroGrad();
    tidy(() => p.pow(3).sum().add(p.mul(p).sum().mul(k + 1)).backward());
    opt.step();
  }
  const out = p.dataSync();
  opt.dispose();
  p.dispose();
  return out;
}
function close(a: number[], b: number[], tol = 1e-12): void {
  assert.equal(a.length, b.length);
  for (let i = 0; i < a.length; i++) assert.ok(Math.abs(a[i] - b[i]) <= tol, `index ${i}: ${a[i]} vs ${b[i]}`);
}

test('SGD with Nesterov momentum and weight decay matches torch.optim.SGD', () => {
  close(run((ps) => new SGD(ps, { lr: 0.1, momentum: 0.9, weightDecay: 0.01, nesterov: true })), [-0.179967401432267, -0.6407642035574871, -3.4631395828770364]);
  close(run((ps) => new SGD(ps, { lr: 0.05, momentum: 0.5, dampening: 0.3 })), [0.16286996904009704, -0.9358448414226564, -0.004040707200000098]);
});

test('Adam, AMSGrad and AdamW match torch.optim', () => {
  close(run((ps) => new Adam(ps, { lr: 0.1, weightDecay: 0.05 })), [0.1996679394276648, -1.0433148451449534, 1.699532122053617]);
  close(run((ps) => new Adam(ps, { lr: 0.1, amsgrad: true, betas: [0.8, 0.9] })), [0.1995594699314428, -1.039541063935008, 1.6993874989853512]);
  close(run((ps) => new AdamW(ps, { lr: 0.1, weightDecay: 0.1 })), [0.1878301158538091, -1.0174614800964952, 1.643100379260375]);
});

test('optimizer state saved mid-run and restored continues identically', () => {
  const trajectory = (restoreAt: number | null): number[] => {
    let p = tensor([0.5, -1.0, 2.0], { dtype: 'float64', requiresGrad: true });
    let opt: Optimizer = new Adam([p], { lr: 0.05 });
    for (let k = 0; k < 6; k++) {
      if (k === restoreAt) {
        const state = opt.stateDict();
        const saved = p.detach().clone();
        opt.dispose();
        p.dispose();
        p = saved.requiresGrad_(true);
        opt = new Adam([p], { lr: 0.05 });
        opt.loadStateDict(state);
        dispose(state.buffers);
      }
      opt.zeroGrad();
      tidy(() => p.pow(3).sum().backward());
      opt.step();
    }
    const out = p.dataSync();
    opt.dispose();
    p.dispose();
    return out;
  };
  close(trajectory(3), trajectory(null), 0);
});

test('bad optimizer input gives clear errors', () => {
  const p = tensor([1, 2], { requiresGrad: true });
  assert.throws(() => new SGD([], { lr: 0.1 }), /empty parameter list/);
  assert.throws(() => new SGD([p], { lr: Number.NaN }), /learning rate/);
  assert.throws(() => new SGD([p], { lr: 0.1, nesterov: true }), /Nesterov/);
  assert.throws(() => new Adam([p], { betas: [1.5, 0.9] }), /betas/);
  const q = p.mul(2);
  assert.throws(() => new SGD([q], { lr: 0.1 }), /leaf/);
  const opt = new SGD([p], { lr: 0.1 });
  opt.dispose();
  assert.throws(() => opt.step(), /after dispose/);
  dispose([p, q]);
});

test('clipGradNorm rescales to the max norm and reports the norm before', () => {
  const p = tensor([3, 4], { requiresGrad: true });
  tidy(() => p.mul(p).mul(0.5).sum().backward()); // grad = p = [3, 4], norm 5
  const before = clipGradNorm([p], 1);
  assert.ok(Math.abs(before - 5) < 1e-5);
  const g = p.grad!;
  close(g.dataSync(), [0.6, 0.8], 1e-5);
  dispose([g, p]);
});

test('schedules follow their closed forms and set the optimizer rate', () => {
  const base = memory().liveTensors;
  const p = tensor([1], { requiresGrad: true });
  const opt = new SGD([p], { lr: 1 });
  const cos = new CosineAnnealingLR(opt, { tMax: 10, etaMin: 0.1 });
  assert.equal(opt.lr, 1);
  for (let i = 0; i < 5; i++) cos.step();
  assert.ok(Math.abs(opt.lr - 0.55) < 1e-12);
  for (let i = 0; i < 10; i++) cos.step();
  assert.ok(Math.abs(opt.lr - 0.1) < 1e-12);
  const step = new StepLR(opt, { stepSize: 3, gamma: 0.5 });
  step.setStep(7);
  assert.equal(opt.lr, 0.25);
  const warm = new WarmupLR(opt, { warmupSteps: 4, startFactor: 0.2, after: new CosineAnnealingLR(opt, { tMax: 4 }) });
  assert.ok(Math.abs(warm.lrAt(0) - 0.2) < 1e-12);
  assert.ok(Math.abs(warm.lrAt(2) - 0.6) < 1e-12);
  assert.equal(warm.lrAt(4), 1);
  assert.ok(Math.abs(warm.lrAt(6) - 0.5) < 1e-12);
  assert.throws(() => new StepLR(opt, { stepSize: 0 }), /positive integer/);
  opt.dispose();
  p.dispose();
  assert.equal(memory().liveTensors, base);
});
