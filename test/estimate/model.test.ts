import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { normalize } from '../../src/data/augment.js';
import type { ModelData } from '../../src/data/datasets.js';
import { F, dispose, manualSeed, noGrad, rand, randint, setNumThreads, type Tensor, tidy } from '../../src/engine/index.js';
import { ModelFileError, loadModel, spaceCopy } from '../../src/estimate/model.js';
import { trainArchitecture } from '../../src/estimate/trial.js';
import { nb201 } from '../../src/space/index.js';
import { getSpace } from '../../src/space/registry.js';

setNumThreads(1);
const dir = mkdtempSync(join(tmpdir(), 'loom-model-'));
after(() => rmSync(dir, { recursive: true, force: true }));

const ARCH = nb201.parse('|nor_conv_3x3~0|+|nor_conv_3x3~0|skip_connect~1|+|skip_connect~0|nor_conv_1x1~1|nor_conv_3x3~2|').toJSON();
const MEAN = [0.4];
const STD = [0.25];

test('loadModel: a trial saved with saveTo comes back as its network, and classifies raw inputs with data.json\'s normalisation', async () => {
  manualSeed(0);
  // Inputs in [0, 1] as loadDataset gives them before normalising; the trial trains on them normalised.
  const raw = rand([96, 1, 12, 12]);
  const labels = randint(0, 3, [96]);
  const normed = normalize(raw, MEAN, STD);
  const saveTo = join(dir, 'model.safetensors');
  const r = await trainArchitecture(
    { arch: ARCH, network: { channels: 4, cells: 1 }, recipe: { epochs: 1, batchSize: 32 }, seed: 0, saveTo },
    { train: { images: normed, labels }, val: { images: normed, labels }, numClasses: 3, inputShape: [1, 12, 12] },
  );
  assert.equal(r.status, 'ok');
  const data: ModelData = { dataset: 'test', format: 'idx', kind: 'image', inputShape: [1, 12, 12], classes: ['a', 'b', 'c'], normalization: { mean: MEAN, std: STD } };
  writeFileSync(join(dir, 'data.json'), JSON.stringify(data));
  const m = loadModel(dir);
  try {
    assert.equal(m.space.name, 'nb201');
    assert.deepEqual(m.arch.toJSON(), ARCH);
    assert.deepEqual(m.network, { input: [1, 12, 12], classes: 3, channels: 4, cells: 1 });
    assert.equal(m.net.training, false, 'in eval mode');
    assert.deepEqual(m.data, data);
    // The same as the network on normalised inputs, in batches of any size, with or without the channel axis.
    const expected = noGrad(() => tidy(() => F.softmax(m.net.call(normed) as Tensor, 1)));
    for (const [x, batchSize] of [[raw, 1000], [raw, 7], [raw.squeeze(1), 40]] as const) {
      const p = m.probabilities(x, { batchSize });
      assert.deepEqual(p.shape, [96, 3]);
      assert.ok(p.sub(expected).abs().max().item() < 1e-5, `batch size ${batchSize}`);
      assert.ok(p.sum(1).sub(1).abs().max().item() < 1e-5, 'probabilities');
      p.dispose();
    }
    const c = m.classify(raw);
    const argmax = expected.argmax(1).dataSync();
    assert.deepEqual(c.map((q) => q.index), argmax);
    assert.deepEqual(
      c.map((q) => q.label),
      argmax.map((k: number) => data.classes[k]),
    );
    assert.throws(() => m.probabilities(rand([2, 1, 10, 10])), (e: Error) => e instanceof ModelFileError && /takes inputs of shape \[1, 12, 12\] .*these are \[1, 10, 10\]/.test(e.message));
    dispose([expected, raw, labels, normed]);
  } finally {
    m.dispose();
  }
  // data: false leaves data.json unread.
  const unread = loadModel(dir, { data: false });
  assert.equal(unread.data, null);
  unread.dispose();
  // The weights file alone, without data.json beside it: the network loads, its inputs are unknown.
  rmSync(join(dir, 'data.json'));
  const bare = loadModel(saveTo);
  assert.equal(bare.data, null);
  assert.throws(() => bare.probabilities(rand([1, 1, 12, 12])), /no data\.json beside it/);
  bare.dispose();
});

test('spaceCopy: a copy of user-defined spaces only, with their name; loadModel of a missing path', () => {
  assert.equal(spaceCopy(nb201), null);
  const fmnist = getSpace('fmnist-net');
  const copy = JSON.parse(spaceCopy(fmnist) ?? 'null');
  assert.equal(copy.name, 'fmnist-net');
  assert.deepEqual(copy.input, [1, 28, 28]);
  assert.throws(() => loadModel(join(dir, 'nothing-here')), (e: Error) => e instanceof ModelFileError && /nothing-here: no such file/.test(e.message));
});
