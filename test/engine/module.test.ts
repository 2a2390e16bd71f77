import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { F, SGD, type Tensor, arange, cat, cuda, manualSeed, memory, nn, noGrad, ones, randn, tensor, tidy, zeros } from '../../src/engine/index.js';

const { Module } = nn;

function close(actual: number[], expected: number[], tol = 1e-6, what = ''): void {
  assert.equal(actual.length, expected.length, `${what}: length`);
  for (let i = 0; i < actual.length; i++) {
    assert.ok(Math.abs(actual[i] - expected[i]) <= tol, `${what}[${i}]: ${actual[i]} vs ${expected[i]}`);
  }
}
const names = (it: Iterable<[string, unknown]>): string[] => [...it].map(([n]) => n);

// The input used for the BatchNorm reference values: (arange(24).reshape(2,3,2,2) ** 2) % 7.
function bnInput(): Tensor {
  return tidy(() => arange(24, undefined, 1, { dtype: 'float32' }).reshape(2, 3, 2, 2).pow(2).remainder(7));
}

test('Linear and Conv2d initialise exactly like PyTorch under the same seed', () => {
  // torch 1.13: torch.manual_seed(0); nn.Linear(3, 2) / nn.Conv2d(3, 4, 3)
  manualSeed(0);
  const lin = new nn.Linear(3, 2);
  assert.deepEqual(lin.weight.dataSync(), [-0.004322517663240433, 0.3097158372402191, -0.4751853346824646, -0.4248946011066437, -0.2223689705133438, 0.15482072532176971]);
  assert.deepEqual(lin.bias?.dataSync(), [-0.011439144611358643, 0.45777493715286255]);
  assert.ok(lin.weight.requiresGrad && lin.weight.isLeaf);
  manualSeed(0);
  const conv = new nn.Conv2d(3, 4, 3);
  assert.deepEqual(conv.weight.flatten().dataSync().slice(0, 5), [-0.0014408392598852515, 0.10323861986398697, -0.15839511156082153, -0.14163152873516083, -0.07412299513816833]);
  assert.deepEqual(conv.bias?.dataSync(), [-0.01060392428189516, 0.028895428404211998, -0.07881414145231247, 0.1141955703496933]);
  // Same seed, same model; different seed, different model.
  manualSeed(0);
  const again = new nn.Linear(3, 2);
  assert.ok(again.weight.equal(lin.weight));
  manualSeed(1);
  const other = new nn.Linear(3, 2);
  assert.ok(!other.weight.equal(lin.weight));
  for (const m of [lin, conv, again, other]) m.dispose();
});

test('parameter counts and names follow PyTorch', () => {
  const conv = new nn.Conv2d(3, 16, 3);
  assert.equal(conv.numParameters(), 448);
  assert.deepEqual(names(conv.namedParameters()), ['weight', 'bias']);
  assert.deepEqual(conv.weight.shape, [16, 3, 3, 3]);
  const noBias = new nn.Conv2d(3, 16, 3, { bias: false });
  assert.equal(noBias.numParameters(), 432);
  assert.equal(noBias.bias, null);
  assert.deepEqual(names(noBias.stateDict()), ['weight']);
  const grouped = new nn.Conv2d(8, 16, 3, { groups: 4 });
  assert.deepEqual(grouped.weight.shape, [16, 2, 3, 3]);
  assert.equal(new nn.Linear(10, 5).numParameters(), 55);

  const bn = new nn.BatchNorm2d(16);
  assert.equal(bn.numParameters(), 32);
  assert.deepEqual(names(bn.namedBuffers()), ['running_mean', 'running_var', 'num_batches_tracked']);
  assert.equal(bn.num_batches_tracked?.dtype, 'int64');
  assert.deepEqual(bn.num_batches_tracked?.shape, []);
  const sd = bn.stateDict();
  assert.deepEqual([...sd.keys()], ['weight', 'bias', 'running_mean', 'running_var', 'num_batches_tracked']);
  for (const t of sd.values()) t.dispose();

  class Net extends Module {
    features = new nn.Sequential(new nn.Conv2d(3, 8, 3, { padding: 1 }), new nn.BatchNorm2d(8), new nn.ReLU(), new nn.MaxPool2d(2));
    pool = new nn.AdaptiveAvgPool2d(1);
    classifier: nn.Linear;
    constructor() {
      super();
      this.classifier = new nn.Linear(8, 10);
    }
    override forward(x: Tensor): Tensor {
      return this.classifier.call(this.pool.call(this.features.call(x)).flatten(1));
    }
  }
  const net = new Net();
  assert.deepEqual(names(net.namedParameters()), ['features.0.weight', 'features.0.bias', 'features.1.weight', 'features.1.bias', 'classifier.weight', 'classifier.bias']);
  assert.deepEqual(names(net.namedBuffers()), ['features.1.running_mean', 'features.1.running_var', 'features.1.num_batches_tracked']);
  assert.deepEqual(names(net.namedModules()), ['', 'features', 'features.0', 'features.1', 'features.2', 'features.3', 'pool', 'classifier']);
  assert.deepEqual(names(net.namedChildren()), ['features', 'pool', 'classifier']);
  assert.equal(net.numParameters(), 8 * 27 + 8 + 16 + 80 + 10);
  assert.equal(net.getSubmodule('features.1'), net.features.at(1));
  assert.throws(() => net.getSubmodule('features.9'), /no child '9'/);
  const y = tidy(() => net.call(randn([2, 3, 8, 8])));
  assert.deepEqual(y.shape, [2, 10]);
  y.dispose();
  for (const m of [conv, noBias, grouped, bn, net]) m.dispose();
});

test('children: fields, registerModule, containers; shared modules and tensors appear once', () => {
  class Block extends Module {
    declare scale: Tensor;
    body: nn.Module;
    notAChild: nn.Module[];
    constructor() {
      super();
      this.body = new nn.Linear(2, 2);
      this.registerModule('act', new nn.ReLU());
      this.registerParameter('scale', ones([1]));
      this.notAChild = [new nn.Linear(2, 2)]; // arrays are not searched, as in PyTorch
      Object.defineProperty(this, 'hidden', { value: new nn.Linear(2, 2), enumerable: false });
    }
  }
  const b = new Block();
  assert.deepEqual(names(b.namedChildren()), ['body', 'act']);
  assert.deepEqual(names(b.namedParameters()), ['scale', 'body.weight', 'body.bias']);
  // Reassigning a field swaps the child.
  const old = b.body;
  b.body = new nn.Linear(2, 3);
  assert.deepEqual([...b.parameters()].map((p) => p.shape), [[1], [3, 2], [3]]);
  old.dispose();
  assert.throws(() => b.registerModule('a.b', new nn.ReLU()), /must not contain '\.'/);
  assert.throws(() => b.registerModule('scale', new nn.ReLU()), /already a parameter/);
  assert.throws(() => b.registerParameter('body', zeros([1])), /already a child/);
  assert.throws(() => b.registerModule('forward', new nn.ReLU()), /hide a method/);
  const nonLeaf = tidy(() => ones([2], { requiresGrad: true }).mul(2));
  assert.throws(() => b.registerParameter('p', nonLeaf), /leaf/);
  nonLeaf.dispose();

  // Weight tying: one tensor, two modules -> counted once, named by its first owner.
  const emb = new nn.Embedding(5, 4);
  const head = new nn.Linear(4, 5, { bias: false });
  head.weight.dispose();
  head.registerParameter('weight', emb.weight);
  const tied = new nn.Sequential({ emb, head });
  assert.deepEqual(names(tied.namedParameters()), ['emb.weight']);
  assert.equal(tied.numParameters(), 20);
  // The same module twice: once in namedModules, but under both names in the state dict (as PyTorch).
  const shared = new nn.Linear(2, 2);
  const twice = new nn.Sequential(shared, shared);
  assert.deepEqual(names(twice.namedModules()), ['', '0']);
  const sd = twice.stateDict();
  assert.deepEqual([...sd.keys()], ['0.weight', '0.bias', '1.weight', '1.bias']);
  for (const t of sd.values()) t.dispose();

  // A cycle (a child holding its parent) does not hang traversal or the state dict.
  const parent = new nn.Sequential(new nn.Linear(1, 1));
  (parent.at(0) as unknown as { owner: nn.Module }).owner = parent;
  assert.deepEqual(names(parent.namedModules()), ['', '0']);
  const cyc = parent.stateDict();
  assert.deepEqual([...cyc.keys()], ['0.weight', '0.bias']);
  for (const t of cyc.values()) t.dispose();
  parent.dispose();

  const list = new nn.ModuleList([new nn.ReLU(), new nn.Linear(1, 1)]);
  list.append(new nn.Linear(1, 2)).insert(0, new nn.Tanh());
  assert.deepEqual(names(list.namedParameters()), ['2.weight', '2.bias', '3.weight', '3.bias']);
  assert.equal(list.length, 4);
  assert.ok(list.at(-1) instanceof nn.Linear);
  const dict = new nn.ModuleDict([
    ['b', new nn.Linear(1, 1)],
    ['10', new nn.Linear(1, 1)],
    ['a', new nn.Linear(1, 1)],
  ]);
  dict.set('2', new nn.Linear(1, 1));
  assert.deepEqual([...dict.keys()], ['b', '10', 'a', '2'], 'ModuleDict keeps insertion order, even for integer-like keys');
  assert.deepEqual(names(dict.namedParameters()).filter((n) => n.endsWith('weight')), ['b.weight', '10.weight', 'a.weight', '2.weight']);
  assert.throws(() => dict.set('x.y', new nn.ReLU()), /without '\.'/);
  assert.throws(() => dict.get('zzz'), /no module under 'zzz'/);
  for (const m of [b, tied, twice, list, dict]) m.dispose();
});

test('BatchNorm2d: running statistics match PyTorch in training, and are used in eval', () => {
  const x = bnInput();
  const x2 = x.mul(2);
  const bn = new nn.BatchNorm2d(3);
  tidy(() => {
    bn.call(x);
    const y2 = bn.call(x2);
    // torch: bn(x); y2 = bn(2x)
    close(y2.flatten().dataSync().slice(0, 6), [-1.0871139764785767, -0.41812074184417725, 1.588858962059021, 0.25087249279022217, -0.2662067413330078, 1.1535627841949463], 1e-5, 'y2');
  });
  close(bn.running_mean?.dataSync() ?? [], [0.4712500274181366, 0.6887499690055847, 0.543749988079071], 1e-6, 'running_mean');
  close(bn.running_var?.dataSync() ?? [], [2.0612499713897705, 1.9212498664855957, 1.8512499332427979], 1e-5, 'running_var');
  assert.equal(bn.numBatchesTracked, 2);
  bn.eval();
  const before = bn.running_mean?.dataSync();
  tidy(() => {
    const y3 = bn.call(x);
    close(y3.flatten().dataSync().slice(0, 6), [-0.32823508977890015, 0.3682849407196045, 2.4578449726104736, 1.064805030822754, 0.9460028409957886, 2.3889052867889404], 1e-5, 'eval output');
  });
  assert.deepEqual(bn.running_mean?.dataSync(), before, 'eval mode must not update running stats');
  assert.equal(bn.numBatchesTracked, 2);

  // momentum null: cumulative average over batches.
  const cma = new nn.BatchNorm2d(3, { momentum: null });
  tidy(() => {
    cma.call(x);
    cma.call(x2);
  });
  close(cma.running_mean?.dataSync() ?? [], [2.4375, 3.5625, 2.8125], 1e-5, 'cma mean');
  close(cma.running_var?.dataSync() ?? [], [6.3839287757873535, 5.669642448425293, 5.3125], 1e-5, 'cma var');

  // Without running statistics: batch statistics in eval too, and only weight/bias in the state dict.
  const nostats = new nn.BatchNorm2d(3, { trackRunningStats: false });
  assert.deepEqual(names(nostats.namedBuffers()), []);
  nostats.eval();
  tidy(() => {
    const y = nostats.call(x);
    close(y.mean([0, 2, 3]).dataSync(), [0, 0, 0], 1e-5, 'batch-normalised mean');
  });
  assert.throws(() => tidy(() => bn.call(randn([2, 3, 4]))), /4-d input/);
  assert.throws(() => tidy(() => bn.call(randn([2, 5, 4, 4]))), /5 channels/);

  const bn1 = new nn.BatchNorm1d(3);
  tidy(() => {
    const y = bn1.call(randn([8, 3]).mul(3).add(5));
    close(y.mean(0).dataSync(), [0, 0, 0], 1e-5, 'BatchNorm1d mean');
  });
  assert.equal(bn1.numBatchesTracked, 1);
  for (const t of [x, x2]) t.dispose();
  for (const m of [bn, cma, nostats, bn1]) m.dispose();
});

test('train() and eval() propagate; Dropout follows the mode', () => {
  const inner = new nn.Sequential(new nn.Dropout(0.5), new nn.BatchNorm1d(4));
  const net = new nn.Sequential(new nn.Linear(4, 4), new nn.ModuleList([inner]), new nn.ModuleDict({ d: new nn.Dropout(0.9) }));
  assert.ok([...net.modules()].every((m) => m.training));
  assert.equal(net.eval(), net);
  assert.ok([...net.modules()].every((m) => !m.training));
  net.train();
  assert.ok([...net.modules()].every((m) => m.training));
  net.train(false);
  assert.ok(!inner.at(0).training);

  const drop = new nn.Dropout(0.5);
  manualSeed(3);
  tidy(() => {
    const x = ones([1000]);
    const yTrain = drop.call(x);
    const zerosCount = yTrain.eq(0).sum().item();
    assert.ok(zerosCount > 350 && zerosCount < 650, `about half dropped, got ${zerosCount}`);
    assert.ok(yTrain.eq(2).logicalOr(yTrain.eq(0)).all().item(), 'kept values are scaled by 1/(1-p)');
    drop.eval();
    assert.ok(drop.call(x).equal(x));
  });
  assert.throws(() => new nn.Dropout(1.5), /between 0 and 1/);
  net.dispose();
});

test('stateDict round trip, aliasing, and strict loading', () => {
  const base = memory().liveTensors;
  manualSeed(1);
  const a = new nn.Sequential(new nn.Conv2d(2, 4, 3), new nn.BatchNorm2d(4), new nn.Flatten(), new nn.Linear(16, 3));
  manualSeed(2);
  const b = new nn.Sequential(new nn.Conv2d(2, 4, 3), new nn.BatchNorm2d(4), new nn.Flatten(), new nn.Linear(16, 3));
  const x = randn([5, 2, 4, 4]);
  tidy(() => void a.call(x)); // updates a's running stats
  a.eval();
  b.eval();
  const differ = tidy(() => !a.call(x).allclose(b.call(x)));
  assert.ok(differ);

  const sd = a.stateDict();
  const res = b.loadStateDict(sd);
  assert.deepEqual(res, { missingKeys: [], unexpectedKeys: [] });
  assert.ok(tidy(() => a.call(x).equal(b.call(x))), 'outputs equal after loading');
  assert.equal((b.at(1) as nn.BatchNorm2d).numBatchesTracked, 1);
  // The state dict aliases a's tensors: writing into it changes a, not b.
  const w = sd.get('3.bias')!;
  noGrad(() => w.fill_(7));
  assert.deepEqual((a.at(3) as nn.Linear).bias?.dataSync(), [7, 7, 7]);
  assert.notDeepEqual((b.at(3) as nn.Linear).bias?.dataSync(), [7, 7, 7]);
  // Disposing the state dict leaves the module intact.
  for (const t of sd.values()) t.dispose();
  assert.deepEqual((a.at(3) as nn.Linear).bias?.dataSync(), [7, 7, 7]);

  // Strict errors list every problem, and nothing is copied when loading fails.
  const sd2 = a.stateDict();
  const goodBias = sd2.get('3.bias')!;
  for (const k of ['0.weight', '1.running_var']) {
    sd2.get(k)?.dispose();
    sd2.delete(k);
  }
  sd2.set('extra.weight', zeros([1]));
  sd2.get('3.weight')?.dispose();
  sd2.set('3.weight', zeros([3, 15]));
  const bBias = (b.at(3) as nn.Linear).bias!.dataSync();
  assert.throws(
    () => b.loadStateDict(sd2),
    (e: Error) =>
      /Missing key\(s\): 0\.weight, 1\.running_var/.test(e.message) &&
      /Unexpected key\(s\): extra\.weight/.test(e.message) &&
      /size mismatch for 3\.weight: the state dict has shape \[3, 15\], the module has \[3, 16\]/.test(e.message),
  );
  assert.deepEqual((b.at(3) as nn.Linear).bias!.dataSync(), bBias, 'nothing copied on failure');
  // Non-strict: missing/unexpected are reported, but a shape mismatch still throws.
  assert.throws(() => b.loadStateDict(sd2, { strict: false }), /size mismatch for 3\.weight/);
  sd2.get('3.weight')!.dispose();
  sd2.delete('3.weight');
  const loose = b.loadStateDict(sd2, { strict: false });
  assert.deepEqual(loose.missingKeys, ['0.weight', '1.running_var', '3.weight']);
  assert.deepEqual(loose.unexpectedKeys, ['extra.weight']);
  assert.deepEqual((b.at(3) as nn.Linear).bias!.dataSync(), goodBias.dataSync());
  // A plain record works too.
  const rec = Object.fromEntries(a.stateDict());
  b.loadStateDict(rec);
  for (const t of [...sd2.values(), ...Object.values(rec), x]) t.dispose();
  a.dispose();
  b.dispose();
  assert.equal(memory().liveTensors, base, 'no tensors leaked');
});

test('to(dtype) converts floating tensors in place, keeps identity, requiresGrad and tying, leaks nothing', () => {
  const emb = new nn.Embedding(4, 3);
  const head = new nn.Linear(3, 4);
  head.weight.dispose();
  head.registerParameter('weight', emb.weight);
  const net = new nn.Sequential(emb, head, new nn.BatchNorm1d(4));
  const live = memory().liveTensors;
  const before = emb.weight.dataSync();
  const oldWeight = emb.weight;
  net.to('float64');
  assert.equal(emb.weight, oldWeight, 'the parameter keeps its identity (its data is swapped)');
  assert.ok(!oldWeight.isDisposed);
  assert.equal(emb.weight.dtype, 'float64');
  assert.equal(head.weight, emb.weight, 'tied weights stay tied');
  assert.ok(emb.weight.requiresGrad && emb.weight.isLeaf);
  close(emb.weight.dataSync(), before, 1e-7);
  const bn = net.at(2) as nn.BatchNorm1d;
  assert.equal(bn.running_mean?.dtype, 'float64');
  assert.equal(bn.num_batches_tracked?.dtype, 'int64', 'integer buffers keep their dtype');
  assert.equal(memory().liveTensors, live, 'old tensors were freed');
  tidy(() => {
    const y = net.call(tensor([0, 1, 2, 3], { dtype: 'int64' }));
    assert.equal(y.dtype, 'float64');
  });
  net.to({ dtype: 'float32', device: 'cpu' });
  assert.equal(head.bias?.dtype, 'float32');
  net.dispose();
});

test("to({ memoryFormat: 'channels_last' }) lays 4-D weights out channels-last in place: same values, same outputs, gradients and steps", () => {
  manualSeed(3);
  const net = new nn.Sequential(new nn.Conv2d(3, 8, 3, { padding: 1 }), new nn.BatchNorm2d(8), new nn.ReLU(), new nn.Conv2d(8, 4, 1), new nn.Flatten(), new nn.Linear(4 * 6 * 6, 5));
  const conv = net.at(0) as nn.Conv2d;
  const weight = conv.weight;
  const values = weight.dataSync();
  const x = randn([2, 3, 6, 6]);
  const ref = tidy(() => net.call(x)).dataSync();
  tidy(() => net.call(x).sum().backward());
  const refGrad = conv.weight.grad?.dataSync() ?? [];
  const live = memory().liveTensors;
  assert.ok(weight.isContiguous() && !weight.isContiguous('channels_last'));
  net.to({ memoryFormat: 'channels_last' });
  assert.equal(conv.weight, weight, 'the parameter keeps its identity');
  assert.ok(weight.isContiguous('channels_last') && !weight.isContiguous(), 'now channels innermost');
  assert.equal(weight.memoryFormat, 'channels_last');
  const grad = conv.weight.grad;
  assert.ok(grad?.isContiguous('channels_last'), 'its gradient too');
  grad?.dispose();
  assert.deepEqual(weight.dataSync(), values, 'the values read the same');
  assert.deepEqual(weight.shape, [8, 3, 3, 3], 'and the shape stays [O, I, kH, kW]');
  assert.ok((net.at(5) as nn.Linear).weight.isContiguous(), '2-D weights are left alone');
  assert.equal(memory().liveTensors, live, 'the old layouts were freed');
  close(tidy(() => net.call(x)).dataSync(), ref, 1e-5);
  net.zeroGrad();
  tidy(() => net.call(x).sum().backward());
  close(conv.weight.grad?.dataSync() ?? [], refGrad, 1e-4);
  const opt = new SGD(net.parameters(), { lr: 0.1, momentum: 0.9 });
  opt.step();
  assert.ok(weight.isContiguous('channels_last'), 'an optimizer step keeps the layout');
  net.to({ memoryFormat: 'contiguous' });
  assert.ok(weight.isContiguous());
  assert.equal(weight.memoryFormat, 'contiguous');
  // One input channel: row-major strides already pass as channels-last, so they are rewritten as
  // PyTorch's to(memory_format=...) does; kernels choose their layout by the strides.
  const first = new nn.Conv2d(1, 4, 3);
  assert.ok(first.weight.isContiguous('channels_last') && first.weight.memoryFormat === 'contiguous');
  first.to({ memoryFormat: 'channels_last' });
  assert.equal(first.weight.memoryFormat, 'channels_last');
  const y = tidy(() => first.call(randn([2, 1, 5, 5])));
  assert.equal(y.memoryFormat, 'channels_last', 'so the convolution computes channels-last');
  y.dispose();
  first.dispose();
  assert.throws(() => randn([2, 3]).contiguous('channels_last'), /channels_last needs a 4-D tensor/);
  assert.throws(() => x.contiguous('nhwc' as 'channels_last'), /unknown memory format 'nhwc'/);
  opt.dispose();
  net.dispose();
  x.dispose();
});

test('an optimizer made before to() keeps training the converted parameters', () => {
  const net = new nn.Linear(3, 2);
  const opt = new SGD(net.parameters(), { lr: 0.1 });
  net.to('float64');
  const before = net.weight.dataSync();
  tidy(() => net.call(randn([4, 3], { dtype: 'float64' })).pow(2).sum().backward());
  opt.step();
  assert.equal(net.weight.dtype, 'float64');
  const after = net.weight.dataSync();
  assert.ok(after.some((v, i) => v !== before[i]), 'the step changed the float64 weights');
  opt.dispose();
  net.dispose();
});

test('zeroGrad, requiresGrad_, numParameters({ trainableOnly })', () => {
  const net = new nn.Sequential(new nn.Linear(3, 4), new nn.ReLU(), new nn.Linear(4, 1));
  tidy(() => net.call(randn([5, 3])).sum().backward());
  assert.ok([...net.parameters()].every((p) => tidy(() => p.grad !== null)));
  net.zeroGrad(false);
  assert.ok([...net.parameters()].every((p) => tidy(() => p.grad?.abs().sum().item() === 0)));
  net.zeroGrad();
  assert.ok([...net.parameters()].every((p) => tidy(() => p.grad === null)));
  net.at(0).requiresGrad_(false);
  assert.equal(net.numParameters(), 21);
  assert.equal(net.numParameters({ trainableOnly: true }), 5);
  net.dispose();
});

test('a tiny model trains with plain SGD, and the loop does not leak', () => {
  manualSeed(0);
  // Two Gaussian blobs around (2, 2) (label 1) and (-2, -2) (label 0).
  const { X, Y } = tidy(() => ({
    X: cat([randn([64, 2]).add(2), randn([64, 2]).sub(2)]),
    Y: cat([ones([64], { dtype: 'int64' }), zeros([64], { dtype: 'int64' })]),
  }));
  const net = new nn.Sequential(new nn.Linear(2, 8), new nn.Tanh(), new nn.Linear(8, 2));
  const params = [...net.parameters()];
  const lossOf = (): number => tidy(() => noGrad(() => F.crossEntropy(net.call(X), Y).item()));
  const first = lossOf();
  const live = memory().liveTensors;
  for (let step = 0; step < 50; step++) {
    net.zeroGrad();
    tidy(() => F.crossEntropy(net.call(X), Y).backward());
    tidy(() =>
      noGrad(() => {
        for (const p of params) {
          const g = p.grad;
          if (g) p.add_(g, -0.5);
        }
      }),
    );
  }
  assert.equal(memory().liveTensors, live, 'the training loop leaks no tensors');
  const last = lossOf();
  assert.ok(last < first * 0.2, `loss should drop a lot: ${first} -> ${last}`);
  const acc = tidy(() => noGrad(() => net.call(X).argmax(1).eq(Y).float().mean().item()));
  assert.ok(acc > 0.95, `accuracy ${acc}`);
  net.dispose();
  X.dispose();
  Y.dispose();
});

test('a model built inside tidy survives it; dispose() frees every parameter and buffer', () => {
  const base = memory().liveTensors;
  const net = tidy(() => {
    const m = new nn.Sequential(new nn.Conv2d(1, 2, 3), new nn.BatchNorm2d(2), new nn.GroupNorm(1, 2), new nn.LayerNorm([2, 2]));
    m.call(randn([2, 1, 4, 4]));
    return m;
  });
  assert.equal(memory().liveTensors, base + 2 + 5 + 2 + 2);
  assert.ok([...net.parameters()].every((p) => !p.isDisposed));
  net.dispose();
  net.dispose();
  assert.equal(memory().liveTensors, base);
});

test("Conv2d padding 'same' (even kernel, dilation) matches PyTorch", () => {
  // torch.manual_seed(1); nn.Conv2d(2, 3, (2, 3), padding='same', dilation=(1, 2))(arange(40).reshape(1, 2, 4, 5) / 10)
  manualSeed(1);
  const conv = new nn.Conv2d(2, 3, [2, 3], { padding: 'same', dilation: [1, 2] });
  tidy(() => {
    const y = conv.call(arange(40, undefined, 1, { dtype: 'float32' }).reshape(1, 2, 4, 5).div(10));
    assert.deepEqual(y.shape, [1, 3, 4, 5]);
    close(y.flatten().dataSync().slice(0, 8), [0.8482275009155273, 0.84815514087677, 0.7086883783340454, 0.439375102519989, 0.44110000133514404, 0.8478658199310303, 0.8477934002876282, 0.8030789494514465], 1e-5, 'same');
  });
  assert.throws(() => new nn.Conv2d(2, 3, 3, { padding: 'same', stride: 2 }), /stride 1/);
  assert.throws(() => new nn.Conv2d(3, 4, 3, { groups: 2 }), /divisible by groups/);
  conv.dispose();
});

test('layers compute what they should', () => {
  tidy(() => {
    const x = randn([2, 4, 6, 6]);
    assert.deepEqual(new nn.MaxPool2d(2).call(x).shape, [2, 4, 3, 3]);
    assert.deepEqual(new nn.AvgPool2d(3, { stride: 1, padding: 1 }).call(x).shape, [2, 4, 6, 6]);
    assert.ok(new nn.AdaptiveAvgPool2d(1).call(x).flatten().allclose(x.mean([2, 3]).flatten(), 1e-5, 1e-6));
    assert.deepEqual(new nn.Flatten().call(x).shape, [2, 144]);
    assert.equal(new nn.Identity().call(x), x);
    const ln = new nn.LayerNorm(6);
    close(ln.call(x).mean(-1).flatten().dataSync().slice(0, 4), [0, 0, 0, 0], 1e-5, 'LayerNorm mean');
    const gn = new nn.GroupNorm(2, 4);
    close(gn.call(x).reshape(2, 2, -1).mean(-1).flatten().dataSync(), [0, 0, 0, 0], 1e-5, 'GroupNorm mean');
    const acts: [nn.Module, (t: Tensor) => Tensor][] = [
      [new nn.ReLU(), F.relu],
      [new nn.ReLU6(), F.relu6],
      [new nn.LeakyReLU(0.2), (t) => F.leakyRelu(t, 0.2)],
      [new nn.ELU(), (t) => F.elu(t)],
      [new nn.GELU(), (t) => F.gelu(t)],
      [new nn.SiLU(), F.silu],
      [new nn.Hardswish(), F.hardswish],
      [new nn.Sigmoid(), F.sigmoid],
      [new nn.Tanh(), F.tanh],
      [new nn.Softplus(), (t) => F.softplus(t)],
      [new nn.Mish(), F.mish],
    ];
    for (const [m, f] of acts) assert.ok((m.call(x) as Tensor).equal(f(x)), m.constructor.name);
    assert.ok(new nn.LeakyReLU(0.2).call(tensor([-1, 1])).equal(tensor([-0.2, 1])));
  });
  const emb = new nn.Embedding(5, 3, { paddingIdx: 0 });
  assert.deepEqual(emb.weight.select(0, 0).dataSync(), [0, 0, 0]);
  tidy(() => {
    const out = emb.call(tensor([[1, 0], [4, 4]], { dtype: 'int64' }));
    assert.deepEqual(out.shape, [2, 2, 3]);
    assert.ok(out.select(0, 1).select(0, 0).equal(emb.weight.select(0, 4)));
  });
  emb.dispose();
});

test('forward hooks see inputs and outputs and can be removed', () => {
  const lin = new nn.Linear(2, 2);
  const seen: number[][] = [];
  const h = lin.registerForwardHook((_m, args, out) => {
    seen.push([(args[0] as Tensor).shape[0], (out as Tensor).shape[1]]);
  });
  const pre = lin.registerForwardPreHook((_m, args) => [(args[0] as Tensor).mul(0)]);
  tidy(() => {
    const y = lin.call(ones([3, 2]));
    assert.ok(y.equal(lin.bias!.expand(3, 2)), 'the pre-hook replaced the input with zeros');
  });
  h.remove();
  pre.remove();
  tidy(() => void lin.call(ones([1, 2])));
  assert.deepEqual(seen, [[3, 2]]);
  lin.dispose();
});

test('save() and load() go through safetensors', () => {
  const dir = mkdtempSync(join(tmpdir(), 'loom-module-'));
  try {
    manualSeed(4);
    const a = new nn.Sequential(new nn.Linear(3, 4), new nn.BatchNorm1d(4));
    tidy(() => void a.call(randn([6, 3])));
    const b = new nn.Sequential(new nn.Linear(3, 4), new nn.BatchNorm1d(4));
    const path = join(dir, 'model.safetensors');
    a.save(path, { arch: 'mlp' });
    const live = memory().liveTensors;
    assert.deepEqual(b.load(path), { missingKeys: [], unexpectedKeys: [] });
    assert.equal(memory().liveTensors, live, 'loading frees the file tensors');
    for (const [[n, t], [, u]] of [...a.stateEntries()].map((e, i) => [e, [...b.stateEntries()][i]] as const)) assert.ok(t.equal(u), n);
    const c = new nn.Sequential(new nn.Linear(3, 5));
    assert.throws(() => c.load(path), (e: Error) => e.message.includes(path) && /size mismatch for 0\.weight/.test(e.message) && /Unexpected key\(s\): .*1\.weight/.test(e.message));
    for (const m of [a, b, c]) m.dispose();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('init helpers match torch.nn.init under the same seed', () => {
  const { init } = nn;
  // torch.manual_seed(5); w = torch.empty(3, 4, 2, 2); then the same calls in the same order.
  manualSeed(5);
  const w = zeros([3, 4, 2, 2]);
  init.xavierUniform_(w, init.calculateGain('tanh'));
  assert.deepEqual(w.flatten().dataSync().slice(0, 4), [0.509589672088623, -0.5769233703613281, 0.6287393569946289, 0.4936581254005432]);
  init.kaimingNormal_(w, { mode: 'fan_out', nonlinearity: 'relu' });
  close(w.flatten().dataSync().slice(0, 4), [0.3334539234638214, 0.1672356128692627, 0.08827745914459229, 0.44491255283355713], 1e-7, 'kaimingNormal_');
  init.xavierNormal_(w);
  close(w.flatten().dataSync().slice(0, 4), [-0.22245068848133087, -0.04959246143698692, 0.33037468791007996, -0.3845643401145935], 1e-7, 'xavierNormal_');
  init.kaimingUniform_(w);
  assert.deepEqual(w.flatten().dataSync().slice(0, 4), [0.07631171494722366, 0.34612420201301575, 0.047106996178627014, -0.16456769406795502]);
  assert.equal(init.calculateGain('leaky_relu', Math.sqrt(5)), 0.5773502691896257);
  assert.equal(init.calculateGain('leaky_relu'), 1.4141428569978354);
  assert.equal(init.calculateGain('selu'), 0.75);
  assert.deepEqual(init.calculateFanInAndFanOut(w), [16, 12]);
  assert.throws(() => init.kaimingUniform_(tensor([1, 2])), /fewer than 2 dimensions/);
  init.constant_(w, 0.25);
  assert.ok(w.eq(0.25).all().item());
  w.dispose();
  // torch.manual_seed(2); nn.Embedding(3, 2).weight
  manualSeed(2);
  const emb = new nn.Embedding(3, 2);
  close(emb.weight.dataSync(), [0.39229682087898254, -0.223564013838768, -0.31950026750564575, -1.2050371170043945, 1.0444635152816772, -0.6332277059555054], 1e-7, 'Embedding');
  emb.dispose();
});

test('apply(), non-persistent buffers, and toString()', () => {
  const net = new nn.Sequential(new nn.Linear(2, 3), new nn.ReLU(), new nn.Linear(3, 1));
  const visited: string[] = [];
  net.apply((m) => {
    visited.push(m.constructor.name);
    if (m instanceof nn.Linear) nn.init.zeros_(m.weight);
  });
  assert.deepEqual(visited, ['Linear', 'ReLU', 'Linear', 'Sequential']);
  assert.ok([...net.parameters()].filter((p) => p.ndim === 2).every((p) => p.eq(0).all().item()));
  const mask = net.at(1).registerBuffer('mask', ones([3]), { persistent: false });
  assert.deepEqual(names(net.namedBuffers()), ['1.mask']);
  const sd = net.stateDict();
  assert.ok(!sd.has('1.mask'), 'non-persistent buffers are not saved');
  for (const t of sd.values()) t.dispose();
  assert.equal(mask.requiresGrad, false);
  assert.equal(
    net.toString(),
    'Sequential(\n  (0): Linear(in_features=2, out_features=3, bias=True)\n  (1): ReLU()\n  (2): Linear(in_features=3, out_features=1, bias=True)\n)',
  );
  net.dispose();
  assert.ok(mask.isDisposed, 'dispose() frees buffers too');
});

test('to(cuda) moves parameters and buffers', { skip: !cuda.isAvailable() && 'no CUDA device' }, () => {
  const net = new nn.Sequential(new nn.Conv2d(1, 2, 3), new nn.BatchNorm2d(2));
  net.to('cuda');
  assert.ok([...net.parameters(), ...net.buffers()].every((t) => t.device === 'cuda:0'));
  tidy(() => {
    const y = net.call(randn([2, 1, 5, 5], { device: 'cuda' }));
    assert.equal(y.device, 'cuda:0');
  });
  net.cpu();
  assert.ok([...net.parameters(), ...net.buffers()].every((t) => t.device === 'cpu'));
  net.dispose();
});
