/**
 * `examples/spaces/fmnist-cnn.json` written with the TypeScript builder: the same spec object,
 * hence the same decisions and the same architectures for a seed (checked in `user.test.ts`).
 * @module
 */
import { defineSpace } from '../../src/space/index.js';

/** The example Fashion-MNIST CNN space, built in code. */
export function fmnistCnn() {
  return defineSpace(
    {
      name: 'fmnist-cnn',
      description:
        'a small Fashion-MNIST CNN: stem, two downsampling stages of 0-2 residual blocks (conv 3x3, conv 5x5, separable 3x3 or two convs), 10 classes',
      input: [1, 28, 28],
      classes: 10,
    },
    (b) => {
      const act = b.choice('act', ['relu', 'swish']);
      // `w` is given in `stage`; the cells inside a stage read the stage's own choice.
      const w = b.valueChoice('w');
      const double = b.cell('double', (c) => {
        c.node('a', c.op('conv_bn_act', { out: w, k: 3, act }));
        return c.node('b', c.op('conv_bn_act', { out: w, k: 3, act }));
      });
      const res = b.cell('res', (c, x) => {
        const conv = c.node(
          'conv',
          c.layerChoice('op', {
            conv3: c.op('conv_bn_act', { out: w, k: 3, act }),
            conv5: c.op('conv_bn_act', { out: w, k: 5, act }),
            sep3: c.op('sep_conv', { out: w, k: 3 }),
            double: c.use(double),
          }),
        );
        return c.node('sum', c.op('add'), [x, conv]);
      });
      const stage = b.cell('stage', (c) => {
        const down = c.node('down', c.op('conv_bn_act', { out: c.valueChoice('w', [16, 32, 48]), k: 3, stride: 2, act }));
        const blocks = c.repeat('blocks', res, { min: 0, max: 2 });
        return c.node('merge', c.op('add'), c.inputChoice('skip', [down, blocks], { min: 1, max: 2 }));
      });
      b.node('stem', b.op('conv_bn_act', { out: 16, k: 3, act }));
      b.node('s1', b.use(stage));
      b.node('s2', b.use(stage));
      return b.node('drop', b.op('dropout', { p: b.valueChoice('dropout', [0, 0.2]) }));
    },
  );
}
