import assert from 'node:assert/strict';
import { test } from 'node:test';
import { F, type Tensor, autocast, manualSeed, type nn, randint, randn, tidy } from '../../src/engine/index.js';
import { getSpace, spaceNames } from '../../src/space/registry.js';
import { buildNetwork } from '../../src/space/networks/index.js';
import { packageFile } from '../../src/cli/package-info.js';

/** Small settings per space, so that every space's network builds in a moment. */
const SMALL: Record<string, { channels?: number; cells?: number; input?: [number, number, number] }> = {
  nb201: { channels: 4, cells: 1 },
  nb101: { channels: 4, cells: 1 },
  darts: { channels: 4, cells: 3 },
  nasnet: { channels: 4, cells: 3 },
  mobilenet: { input: [3, 32, 32] },
};

/** The eval-mode outputs of `net` on a batch. */
const evalOut = (net: nn.Module, x: Tensor): number[] => {
  net.eval();
  return tidy(() => (net.call(x) as Tensor).dataSync());
};

/** A train-mode loss and the summed gradients of the first parameters (batch statistics: no running ones are read). */
function trainStep(net: nn.Module, x: Tensor, y: Tensor): { loss: number; grads: number[] } {
  net.train(true);
  net.zeroGrad();
  manualSeed(5);
  const loss = tidy(() => {
    const l = F.crossEntropy(net.call(x) as Tensor, y);
    l.backward();
    return l.item();
  });
  const grads = [...net.parameters()].slice(0, 3).flatMap((p) => (p.grad ? [tidy(() => p.grad?.abs().sum().item() ?? 0)] : []));
  return { loss, grads };
}

test('every space\'s network computes the same with its convolution weights laid out channels-last (the CPU training default)', () => {
  const spaces = [...spaceNames().filter((n) => n !== 'mlp'), packageFile('examples/spaces/fmnist-net.json')];
  for (const name of spaces) {
    const space = getSpace(name);
    const o = SMALL[space.name] ?? {};
    const input = o.input ?? [name.endsWith('.json') ? 1 : 3, 28, 28];
    for (const seed of [0, 1]) {
      const arch = space.sample(seed);
      const what = `${space.name} ${space.format(arch)}`;
      manualSeed(seed);
      const net = buildNetwork(arch, { ...o, input, classes: 10 });
      manualSeed(9);
      const x = randn([4, ...input]);
      const y = randint(0, 10, [4]);
      // float32, oneDNN's channels-last kernels: eval outputs agree to rounding.
      const outA = evalOut(net, x);
      net.to({ memoryFormat: 'channels_last' });
      // ([O, 1, 1, 1] weights read as row-major whatever their strides: libtorch's rule for the ambiguous case.)
      const convs = [...net.parameters()].filter((p) => p.ndim === 4 && p.shape.slice(1).some((d) => d > 1));
      assert.ok(convs.length > 0 && convs.every((p) => p.memoryFormat === 'channels_last'), `${what}: convolution weights laid out channels-last`);
      const outB = evalOut(net, x);
      const scale = Math.max(1, ...outA.map(Math.abs));
      for (const [i, v] of outA.entries()) assert.ok(Math.abs(v - outB[i]) <= 1e-4 * scale, `${what}: output ${i} ${v} vs ${outB[i]}`);
      // float64, where rounding cannot hide a wrong stride: a training step's loss and gradients agree to 1e-9.
      const x64 = x.to({ dtype: 'float64' });
      net.to({ dtype: 'float64', memoryFormat: 'contiguous' });
      const a = trainStep(net, x64, y);
      net.to({ memoryFormat: 'channels_last' });
      const b = trainStep(net, x64, y);
      assert.ok(Math.abs(a.loss - b.loss) <= 1e-9 * Math.max(1, a.loss), `${what}: loss ${a.loss} vs ${b.loss}`);
      assert.equal(a.grads.length, b.grads.length);
      for (const [i, g] of a.grads.entries()) assert.ok(Math.abs(g - b.grads[i]) <= 1e-9 * Math.max(1, g), `${what}: gradient sum ${i} ${g} vs ${b.grads[i]}`);
      net.dispose();
      for (const t of [x, y, x64]) t.dispose();
    }
  }
});

test('every space\'s networks train a step in bfloat16 mixed precision, channels-last: the loss and gradients of float32 (MobileNet\'s relu6 had no bfloat16 kernel)', () => {
  const spaces = [...spaceNames(), 'fmnist-net', 'fmnist-cnn'];
  /** One step's loss, and all parameters' gradients end to end (float64). */
  const step = (net: nn.Module, x: Tensor, y: Tensor, bf16: boolean, training: boolean): { loss: number; grad: Float64Array } => {
    net.train(training);
    net.zeroGrad();
    manualSeed(5);
    const loss = tidy(() => {
      const logits = bf16 ? autocast(() => net.call(x) as Tensor, { device: 'cpu', dtype: 'bfloat16' }).float() : (net.call(x) as Tensor);
      const l = F.crossEntropy(logits, y);
      l.backward();
      return l.item();
    });
    const parts = [...net.parameters()].map((p) => (p.grad ? Float64Array.from(tidy(() => p.grad?.dataSync() ?? [])) : new Float64Array(p.numel())));
    const grad = new Float64Array(parts.reduce((n, p) => n + p.length, 0));
    let at = 0;
    for (const p of parts) {
      grad.set(p, at);
      at += p.length;
    }
    return { loss, grad };
  };
  for (const name of spaces) {
    const space = getSpace(name);
    const o = SMALL[space.name] ?? {};
    const input: [number, number, number] = o.input ?? [name.startsWith('fmnist') ? 1 : 3, 28, 28];
    for (const seed of [0, 1, 2, 3]) {
      const arch = space.sample(seed);
      const what = `${space.name} ${space.format(arch)}`;
      manualSeed(seed);
      const net = buildNetwork(arch, { ...o, input, classes: 10 });
      if (name !== 'mlp') net.to({ memoryFormat: 'channels_last' });
      manualSeed(9);
      const x = randn([8, ...input]);
      const y = randint(0, 10, [8]);
      // Train mode: it runs, and the loss is float32's. (Its gradients are not compared: batch
      // statistics of 8 examples through dozens of layers amplify bfloat16's rounding, so that
      // deep MobileNet and NASNet networks at initialisation keep only 0.1-0.8 of their direction;
      // float32 keeps 0.999 of float64's.)
      const a = step(net, x, y, false, true);
      const b = step(net, x, y, true, true);
      assert.ok(Number.isFinite(b.loss) && Math.abs(b.loss - a.loss) <= 0.1 * Math.max(1, a.loss), `${what}: bfloat16 loss ${b.loss} vs float32 ${a.loss}`);
      assert.ok(b.grad.every(Number.isFinite), `${what}: finite bfloat16 gradients`);
      // Eval mode: every op's backward in bfloat16 keeps the gradient's direction.
      const c = step(net, x, y, false, false);
      const d = step(net, x, y, true, false);
      let dot = 0;
      let nc = 0;
      let nd = 0;
      for (let i = 0; i < c.grad.length; i++) {
        dot += c.grad[i] * d.grad[i];
        nc += c.grad[i] ** 2;
        nd += d.grad[i] ** 2;
      }
      const cosine = dot / Math.sqrt(nc * nd);
      assert.ok(cosine > 0.99, `${what}: eval-mode gradient cosine between bfloat16 and float32 ${cosine}`);
      net.dispose();
      for (const t of [x, y]) t.dispose();
    }
  }
});
