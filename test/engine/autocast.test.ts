// Mixed precision (autocast): which ops run in bfloat16, that weights and gradients stay float32,
// that regions nest and restore, and that a region never reuses a stale low-precision weight copy.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { autocast, autocastState, cpuHasBfloat16, F, manualSeed, nn, noGrad, randn, tensor, tidy } from '../../src/engine/index.js';

test('autocast runs linear layers and convolutions in bfloat16 and keeps the loss in float32', () => {
  manualSeed(0);
  const lin = new nn.Linear(8, 4);
  const conv = new nn.Conv2d(2, 3, 3);
  tidy(() => {
    const x = randn([5, 8]);
    const img = randn([2, 2, 6, 6]);
    assert.equal(lin.call(x).dtype, 'float32');
    autocast(() => {
      const y = lin.call(x);
      assert.equal(y.dtype, 'bfloat16');
      assert.equal(conv.call(img).dtype, 'bfloat16');
      // the cross-entropy is on libtorch's float32 list: bfloat16 logits give a float32 loss
      assert.equal(F.crossEntropy(y, tensor(new BigInt64Array(5))).dtype, 'float32');
      assert.equal(lin.weight.dtype, 'float32');
    });
    assert.equal(lin.call(x).dtype, 'float32');
  });
});

test('autocast regions nest, an inner enabled: false turns it off, and every exit restores what its entry found', () => {
  assert.deepEqual(autocastState(), { enabled: false, dtype: 'bfloat16' });
  const lin = new nn.Linear(3, 2);
  tidy(() => {
    const x = randn([1, 3]);
    autocast(() => {
      assert.equal(autocastState().enabled, true);
      autocast(
        () => {
          assert.equal(autocastState().enabled, false);
          assert.equal(lin.call(x).dtype, 'float32');
        },
        { enabled: false },
      );
      assert.equal(autocastState().enabled, true);
      assert.equal(lin.call(x).dtype, 'bfloat16');
    });
  });
  assert.equal(autocastState().enabled, false);
  // an error inside the region still ends it
  assert.throws(
    () =>
      autocast(() => {
        throw new Error('boom');
      }),
    /boom/,
  );
  assert.equal(autocastState().enabled, false);
});

test('gradients reach the float32 weights in float32 and agree with full precision to bfloat16 rounding', () => {
  manualSeed(1);
  const lin = new nn.Linear(16, 4);
  const x = randn([32, 16]);
  const target = tensor(new BigInt64Array(32).map((_, i) => BigInt(i % 4)));
  const gradOf = (mixed: boolean): number[] => {
    lin.zeroGrad();
    tidy(() => {
      const logits = mixed ? autocast(() => lin.call(x)).float() : lin.call(x);
      F.crossEntropy(logits, target).backward();
    });
    const g = lin.weight.grad;
    assert.ok(g);
    assert.equal(g.dtype, 'float32');
    return g.dataSync();
  };
  const full = gradOf(false);
  const mixed = gradOf(true);
  const scale = Math.max(...full.map(Math.abs));
  let worst = 0;
  for (let i = 0; i < full.length; i++) worst = Math.max(worst, Math.abs(full[i] - mixed[i]));
  // bfloat16 keeps 8 significant bits: products are off by about 2^-8 of their size
  assert.ok(worst < 0.02 * scale, `worst gradient difference ${worst} vs scale ${scale}`);
  assert.ok(worst > 0, 'the mixed-precision gradient should show bfloat16 rounding');
  x.dispose();
  target.dispose();
});

test('a weight changed between regions is used as changed (no stale low-precision copy)', () => {
  manualSeed(2);
  const lin = new nn.Linear(4, 3, { bias: false });
  tidy(() => {
    const x = randn([2, 4]);
    const before = autocast(() => lin.call(x)).float();
    noGrad(() => lin.weight.mul_(2));
    const after = autocast(() => lin.call(x)).float();
    const a = before.dataSync();
    const b = after.dataSync();
    for (let i = 0; i < a.length; i++) assert.ok(Math.abs(b[i] - 2 * a[i]) <= 0.02 * Math.abs(a[i]) + 1e-3, `output ${i}: ${b[i]} vs 2 x ${a[i]}`);
  });
});

test('autocast refuses what libtorch cannot do, with clear messages', () => {
  assert.throws(() => autocast(() => 0, { dtype: 'float16' }), /on the CPU supports bfloat16 only/);
  assert.throws(() => autocast(() => 0, { dtype: 'int8' as never }), /dtype must be 'bfloat16' or 'float16'/);
  assert.throws(() => autocast(() => 0, { device: 'tpu' as never }), /device must be 'cpu' or 'cuda'/);
  assert.throws(() => autocast(async () => 0), /must be synchronous/);
  assert.equal(autocastState().enabled, false);
  assert.equal(typeof cpuHasBfloat16(), 'boolean');
});
