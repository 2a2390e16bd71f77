import assert from 'node:assert/strict';
import { test } from 'node:test';
import { F, type Tensor, autograd, dispose, manualSeed, memory, nn, noGrad, randn, setNumThreads, tensor, tidy } from '../../src/engine/index.js';
import { dartsMinusBeta, secondOrderArchGradient } from '../../src/oneshot/darts.js';
import { supernetLoss } from '../../src/oneshot/search.js';
import { Supernet } from '../../src/oneshot/supernet.js';

setNumThreads(1);

/**
 * A tiny float64 NB201 supernet (C=2, one cell per stage, 8x8 inputs, 3 classes) with fixed,
 * non-trivial alphas, and a training and a validation batch.
 */
function tiny(smooth: boolean) {
  manualSeed(0);
  const s = new Supernet('nb201', { input: [1, 8, 8], channels: 2, cells: 1, classes: 3 }).double();
  // ReLU has kinks, where a finite difference of gradients is not a derivative; GELU is smooth.
  if (smooth) for (const m of s.modules()) if (m instanceof nn.ReLU) m.forward = (x: Tensor) => F.gelu(x);
  s.setAlphas([Array.from({ length: 6 }, (_, e) => Array.from({ length: 5 }, (_, k) => Math.sin(5 * e + k)))]);
  const lab = (v: number[]) => tensor(BigInt64Array.from(v, BigInt));
  const train = [randn([6, 1, 8, 8], { dtype: 'float64' }), lab([0, 1, 2, 0, 1, 2])] as const;
  const val = [randn([6, 1, 8, 8], { dtype: 'float64' }), lab([2, 1, 0, 2, 0, 1])] as const;
  return { s, train, val };
}

/** The unrolled validation loss f(alpha) = L_val(w - xi (grad_w L_train(w, alpha) + wd w), alpha), computed directly; weights restored after. */
function unrolledLoss(s: Supernet, train: readonly [Tensor, Tensor], val: readonly [Tensor, Tensor], xi: number, wd: number): number {
  const W = s.weights();
  return tidy(() => {
    const w0 = noGrad(() => W.map((w) => w.clone()));
    const g = autograd.grad(supernetLoss(s, train).loss, W);
    noGrad(() => {
      for (let i = 0; i < W.length; i++) W[i].sub_((g[i] as Tensor).add(W[i], wd).mul(xi));
    });
    const v = supernetLoss(s, val).loss.item();
    noGrad(() => {
      for (let i = 0; i < W.length; i++) W[i].copy_(w0[i]);
    });
    return v;
  });
}

/** Central differences of {@link unrolledLoss} in every alpha (step h). */
function numericGradient(s: Supernet, train: readonly [Tensor, Tensor], val: readonly [Tensor, Tensor], xi: number, wd: number, h = 1e-5): number[] {
  const base = s.alphaValues()[0];
  const out: number[] = [];
  for (let e = 0; e < base.length; e++) {
    for (let k = 0; k < base[e].length; k++) {
      const a = base.map((r) => [...r]);
      a[e][k] += h;
      s.setAlphas([a]);
      const fp = unrolledLoss(s, train, val, xi, wd);
      a[e][k] -= 2 * h;
      s.setAlphas([a]);
      const fm = unrolledLoss(s, train, val, xi, wd);
      out.push((fp - fm) / (2 * h));
    }
  }
  s.setAlphas([base]);
  return out;
}

function dartsGradient(s: Supernet, train: readonly [Tensor, Tensor], val: readonly [Tensor, Tensor], o: { xi: number; weightDecay: number; epsilon?: number }): number[] {
  const A = s.archParameters()[0];
  const w0 = tidy(() => s.weights().map((w) => w.sum().item()));
  const g = tidy(() => {
    secondOrderArchGradient(s, train, val, o);
    const v = A.grad as Tensor;
    A.grad = null;
    return Array.from(v.dataSync());
  });
  assert.deepEqual(
    tidy(() => s.weights().map((w) => w.sum().item())),
    w0,
    'the weights are restored',
  );
  return g;
}

function firstOrder(s: Supernet, val: readonly [Tensor, Tensor]): number[] {
  return tidy(() => Array.from((autograd.grad(supernetLoss(s.setMode({ kind: 'softmax' }), val).loss, s.archParameters())[0] as Tensor).dataSync()));
}

const maxAbsDiff = (a: number[], b: number[]) => Math.max(...a.map((x, i) => Math.abs(x - b[i])));
const maxAbs = (a: number[]) => Math.max(...a.map(Math.abs));

test("second-order DARTS: the architecture gradient matches finite differences of the unrolled validation loss (float64, DARTS's epsilon)", () => {
  const { s, train, val } = tiny(true);
  const before = memory().liveTensors;
  for (const xi of [0.05, 0.5]) {
    const o = { xi, weightDecay: 3e-4 };
    const numeric = numericGradient(s, train, val, xi, o.weightDecay);
    const darts = dartsGradient(s, train, val, o);
    const first = firstOrder(s, val);
    const scale = maxAbs(numeric);
    const err = maxAbsDiff(darts, numeric);
    // The only approximation is the finite-difference Hessian-vector product, O(epsilon^2): within 1% of the gradient's size...
    assert.ok(err <= 0.01 * scale, `xi=${xi}: |darts - numeric| = ${err}, gradient scale ${scale}`);
    // ...while the second-order term itself is large (the check has teeth): first order is far off.
    assert.ok(maxAbsDiff(first, numeric) > 0.5 * scale, `xi=${xi}: the Hessian term matters (${maxAbsDiff(first, numeric)} vs ${scale})`);
    // A smaller finite-difference step shrinks the error by far more than 10x (the error is the approximation's, not a bug).
    const fine = dartsGradient(s, train, val, { ...o, epsilon: 1e-4 });
    assert.ok(maxAbsDiff(fine, numeric) < err / 10, `xi=${xi}: epsilon 1e-4 gives ${maxAbsDiff(fine, numeric)}, epsilon 1e-2 ${err}`);
  }
  assert.equal(memory().liveTensors, before);
  dispose([train, val]);
  s.dispose();
});

test('second-order DARTS on the ReLU supernet: exact with a small finite-difference step', () => {
  const { s, train, val } = tiny(false);
  const xi = 0.1;
  const numeric = numericGradient(s, train, val, xi, 0);
  const fine = dartsGradient(s, train, val, { xi, weightDecay: 0, epsilon: 1e-5 });
  assert.ok(maxAbsDiff(fine, numeric) <= 1e-4 * maxAbs(numeric), `${maxAbsDiff(fine, numeric)} vs scale ${maxAbs(numeric)}`);
  dispose([train, val]);
  s.dispose();
});

test("DARTS-'s beta falls linearly from beta0 to 0", () => {
  assert.equal(dartsMinusBeta(0, 100), 1);
  assert.equal(dartsMinusBeta(50, 100), 0.5);
  assert.equal(dartsMinusBeta(100, 100), 0);
  assert.equal(dartsMinusBeta(25, 100, 2), 1.5);
});
