// Activations whose libtorch 1.13 CPU kernels are missing, wrong or slow for some inputs (F's
// routing in `src/engine/functional.ts`, and GELU's backward in `native/src/ops.cc`), and padding. Every
// activation, in float32 and bfloat16, contiguous, channels-last, and with a gradient laid out
// otherwise than its input, must give the values and gradients of a float64 computation, keep its
// input's dtype and layout, and run (relu6, hardtanh and mish have no bfloat16 kernel there).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { autocast, autograd, F, manualSeed, nn, randn, type Tensor, tensor, tidy } from '../../src/engine/index.js';

/** d out / d x with `gradOut` flowing in (optionally recording the graph, for a second derivative). */
function autogradGrad(out: Tensor, x: Tensor, gradOut?: Tensor, createGraph = false): Tensor[] {
  return autograd.grad(out, x, { ...(gradOut ? { gradOutputs: [gradOut] } : {}), createGraph }) as Tensor[];
}

const FNS: [string, (x: Tensor) => Tensor][] = [
  ...Object.entries(F.activations),
  ['gelu (tanh)', (x) => F.gelu(x, 'tanh')],
  ['hardtanh', (x) => F.hardtanh(x, -0.5, 1)],
  ['logSigmoid', F.logSigmoid],
];

/**
 * Values of `randn(shape) * 3` moved off the activations' kinks (0, +-0.5, 1, +-3, 6), where
 * kernels may take either one-sided derivative (libtorch's float64 and vectorized float32
 * hardswish differ at exactly 3, which bfloat16 rounding hits often).
 */
function offKinks(shape: number[]): Tensor {
  const v = Float64Array.from(randn(shape).mul(3).dataSync());
  for (let i = 0; i < v.length; i++) for (const k of [0, -0.5, 0.5, 1, -3, 3, 6]) if (Math.abs(v[i] - k) < 0.1) v[i] = k + (v[i] < k ? -0.1 : 0.1);
  return tensor(v, { shape });
}

/** Largest |a - b| / (1 + |b|). */
function relErr(a: Tensor, b: Tensor): number {
  const x = a.to({ dtype: 'float64' }).dataSync();
  const y = b.dataSync();
  let m = 0;
  for (let i = 0; i < y.length; i++) m = Math.max(m, Math.abs(x[i] - y[i]) / (1 + Math.abs(y[i])));
  return m;
}

test('every activation, float32 and bfloat16, any layout: the values and gradients of float64, dtype and layout kept', () => {
  manualSeed(3);
  const layouts = ['contiguous', 'channels-last', 'channels-last, contiguous gradient', 'permuted gradient'] as const;
  for (const dtype of ['float32', 'bfloat16'] as const) {
    // bfloat16 keeps 8 significant bits: its relative rounding error is 2^-9; a few roundings apart
    const tol = dtype === 'float32' ? 1e-5 : 2.5e-2;
    for (const [name, f] of FNS) {
      for (const layout of layouts) {
        tidy(() => {
          // 4096 elements: large enough for libtorch's vectorized kernels
          const x = offKinks([4, 16, 8, 8]).to({ dtype });
          let g = randn([4, 16, 8, 8]).to({ dtype });
          let xin = x.clone();
          if (layout.startsWith('channels-last')) xin = x.contiguous('channels_last');
          if (layout === 'channels-last') g = g.contiguous('channels_last');
          if (layout === 'permuted gradient') g = randn([8, 8, 16, 4]).to({ dtype }).permute(3, 2, 0, 1);
          const leaf = xin.detach().requiresGrad_();
          const y = f(leaf);
          assert.equal(y.dtype, dtype, `${name} ${dtype} ${layout}: dtype`);
          assert.equal(y.memoryFormat, xin.memoryFormat, `${name} ${dtype} ${layout}: layout`);
          y.backward(g);
          const ref = x.to({ dtype: 'float64' }).requiresGrad_();
          const yr = f(ref);
          yr.backward(g.to({ dtype: 'float64' }));
          const ey = relErr(y, yr);
          const eg = relErr(leaf.grad as Tensor, ref.grad as Tensor);
          assert.ok(ey <= tol, `${name} ${dtype} ${layout}: values off by ${ey}`);
          assert.ok(eg <= tol, `${name} ${dtype} ${layout}: gradients off by ${eg}`);
        });
      }
    }
  }
});

test('GELU of a contiguous input with a transposed gradient (wrong in libtorch 1.13\'s own backward), and its second derivative', () => {
  tidy(() => {
    const x = randn([64, 48]).requiresGrad_();
    const g = randn([48, 64]).t();
    const [gx] = autogradGrad(F.gelu(x), x, g);
    const r = x.detach().to({ dtype: 'float64' }).requiresGrad_();
    const [gr] = autogradGrad(F.gelu(r), r, g.to({ dtype: 'float64' }));
    assert.ok(relErr(gx, gr) < 1e-5, `gradient off by ${relErr(gx, gr)}`);
    // the second derivative goes through the fix: d/dx sum(gelu'(x) * g) at x = 0 is g * gelu''(0) = g * 2 / sqrt(2 pi)
    const z = randn([3, 2]).mul(0).requiresGrad_();
    const gz = randn([2, 3]).t();
    const [d1] = autogradGrad(F.gelu(z), z, gz, true);
    const [d2] = autogradGrad(d1.mul(gz).sum(), z);
    const want = gz.mul(gz).mul(2 / Math.sqrt(2 * Math.PI)).dataSync();
    const got = d2.dataSync();
    for (let i = 0; i < want.length; i++) assert.ok(Math.abs(got[i] - want[i]) < 1e-5, `second derivative ${got[i]} vs ${want[i]}`);
  });
});

test('a conv-BN-ReLU6 / Hardswish / Mish network trains under bfloat16 autocast (the MobileNet space failed there: no bfloat16 backward of hardtanh)', () => {
  manualSeed(0);
  const net = new nn.Sequential(
    new nn.Conv2d(2, 4, 3, { padding: 1 }),
    new nn.BatchNorm2d(4),
    new nn.ReLU6(),
    new nn.Conv2d(4, 4, 1),
    new nn.Hardswish(),
    new nn.Conv2d(4, 2, 1),
    new nn.Mish(),
  );
  net.to({ memoryFormat: 'channels_last' });
  tidy(() => {
    const x = randn([3, 2, 6, 6]).mul(4).contiguous('channels_last');
    const y = autocast(() => net.call(x), { device: 'cpu', dtype: 'bfloat16' });
    assert.equal(y.dtype, 'bfloat16');
    y.float().square().mean().backward();
    for (const p of net.parameters()) assert.ok(p.grad && Number.isFinite(p.grad.abs().sum().item()) && p.grad.abs().sum().item() > 0);
  });
});

test('reflection and replication padding of bfloat16 tensors (no bfloat16 CPU kernels in libtorch 1.13): dtype kept, the values and gradients of float64', () => {
  for (const mode of ['reflect', 'replicate'] as const) {
    tidy(() => {
      const x = randn([2, 3, 5, 5]).to({ dtype: 'bfloat16' });
      const leaf = x.detach().requiresGrad_();
      const y = F.pad(leaf, [1, 2, 2, 1], mode);
      assert.equal(y.dtype, 'bfloat16');
      assert.deepEqual(y.shape, [2, 3, 8, 8]);
      const g = randn([2, 3, 8, 8]).to({ dtype: 'bfloat16' });
      y.backward(g);
      const ref = x.to({ dtype: 'float64' }).requiresGrad_();
      const yr = F.pad(ref, [1, 2, 2, 1], mode);
      yr.backward(g.to({ dtype: 'float64' }));
      assert.ok(relErr(y, yr) === 0, `${mode}: padding copies values`);
      assert.ok(relErr(leaf.grad as Tensor, ref.grad as Tensor) < 2.5e-2, `${mode}: gradients`);
    });
  }
});
